"""What `run_autograder` runs inside Gradescope: grade a submission, write results.json.

    python -m grader.instructor.gradescope_run --root /autograder --config autograder.json

Grades every exercise in the config from `ROOT/submission/` (the student's
`exerciseN_*.py` files found by name anywhere in it, or nbgrader notebooks)
and writes Gradescope's `ROOT/results/results.json`. Worked-example tests are
visible at once; the others get the configured visibility. An autograder
failure still writes a results.json that says so, never nothing.
"""

from __future__ import annotations

import argparse
import json
import traceback
from pathlib import Path
from typing import Any

from grader.instructor.gradescope import AutograderConfig, select_exercises
from grader.instructor.notebooks import is_visible_test
from grader.instructor.submissions import find_answer, missing_result, module_file, not_found_message
from grader.results import ExerciseResult, results_json


def grade_submission(submission: Path, config: AutograderConfig) -> list[ExerciseResult]:
    """One result per configured exercise, with Gradescope visibilities set."""
    from grader.runner import grade_file
    from grader.sandbox.client import Limits

    defaults = Limits()
    limits = Limits(call_timeout=config.call_timeout,
                    import_timeout=max(defaults.import_timeout, config.call_timeout),
                    memory_mb=defaults.memory_mb)
    results = []
    for exercise in select_exercises(config.exercises):
        found = find_answer(submission, exercise)
        if found is None:
            result = missing_result(exercise, config.seed, not_found_message(exercise))
        else:
            with module_file(found) as path:
                result = grade_file(exercise, path, seed=config.seed, limits=limits)
        for test in result.tests:
            test.visibility = "visible" if is_visible_test(test.test_id) else config.hidden_visibility
        results.append(result)
    return results


def failure_json(message: str) -> dict[str, Any]:
    return {
        "score": 0.0,
        "output": f"The autograder itself failed (not your code); please tell the course staff.\n{message}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    out = args.root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        config = AutograderConfig.from_json(args.config.read_text(encoding="utf-8"))
        data = results_json(grade_submission(args.root / "submission", config))
    except Exception:
        data = failure_json(traceback.format_exc(limit=5))
    out.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
