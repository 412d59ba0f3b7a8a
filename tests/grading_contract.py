"""What every exercise's grading tests ask of the real `grade` CLI, written once.

An exercise's test module grades its class of submissions once (`grade_class`)
and states, per submission, what must come out: the reference gets full marks
at every seed, the untouched stub 0 with "not implemented yet", a wrong
submission loses exactly the points of the tests it should fail and each of
them names the mistake, an alternative correct solution gets full marks, and
a seed changes the random inputs and nothing else. The tables of wrong
submissions stay in the modules; the checks live here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from helpers import REPO, grade_many, submission

from grader.catalog import Exercise
from grader.stubs import stub_source

Graded = dict[tuple[str, int], dict[str, Any]]

REFERENCE_SEEDS = (1, 2, 3)


def grade_class(exercise: Exercise, names: Iterable[str], root: Path, *, reseeded: str | None = None,
                twice: Iterable[str] = ()) -> Graded:
    """Grade the reference (seeds 1–3), the stub and each named submission (seed 1), two at a time.

    `reseeded` is graded again at seed 2 and, as ("again", 1), at seed 1 once more: the same seed
    must give the same feedback. Each of `twice` is also graded at seed 2.
    """
    reference = (REPO / "solutions" / exercise.file).read_text(encoding="utf-8")
    jobs = {("reference", seed): reference for seed in REFERENCE_SEEDS}
    jobs[("stub", 1)] = stub_source(exercise.file)
    for name in names:
        jobs[(name, 1)] = submission(exercise.number, name)
    for name in twice:
        jobs[(name, 2)] = jobs[(name, 1)]
    if reseeded is not None:
        jobs[(reseeded, 2)] = jobs[("again", 1)] = jobs[(reseeded, 1)]
    graded = grade_many(exercise.name, {key: (source, key[1]) for key, source in jobs.items()}, root)
    return {key: result for key, (_, result) in graded.items()}


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A result's tests by their hidden test id."""
    return {t["extra_data"]["test_id"]: t for t in result["tests"]}


def _lost(result: dict[str, Any]) -> list[str]:
    return [t["output"] for t in result["tests"] if t["score"] < t["max_score"]]


def assert_full_marks(result: dict[str, Any], exercise: Exercise) -> None:
    assert result["score"] == result["max_score"] == exercise.max_score, _lost(result)


def assert_stub_scores_zero(result: dict[str, Any]) -> None:
    assert result["score"] == 0
    for test in result["tests"]:
        assert "not implemented yet" in test["output"], test


def assert_loses_exactly(result: dict[str, Any], exercise: Exercise, failing: Iterable[str]) -> None:
    """Exactly the `failing` tests fail, and the score is the maximum less their points."""
    failing = sorted(failing)
    failed = sorted(tid for tid, t in by_id(result).items() if t["score"] < t["max_score"])
    assert failed == failing
    assert result["score"] == exercise.max_score - sum(exercise.points[tid] for tid in failing)


def assert_feedback_says(result: dict[str, Any], phrases: str | Iterable[str], tests: Iterable[str]) -> None:
    """The feedback of each of `tests` holds one of `phrases` (the diagnosis of the mistake)."""
    wanted = (phrases,) if isinstance(phrases, str) else tuple(phrases)
    outputs = by_id(result)
    for tid in tests:
        assert any(p in outputs[tid]["output"] for p in wanted), (tid, outputs[tid]["output"])


def assert_passes(result: dict[str, Any]) -> None:
    assert result["score"] == result["max_score"], _lost(result)


def assert_seed_changes_only(graded: Graded, name: str, random_tests: Iterable[str],
                             fixed_tests: Iterable[str] = ()) -> None:
    """Seed 2 changes the feedback of the random tests; seed 1 again gives the same; fixed ones never change."""
    one, two = (by_id(graded[(name, seed)]) for seed in (1, 2))
    again = by_id(graded[("again", 1)])
    for tid in random_tests:
        assert one[tid]["output"] != two[tid]["output"], tid
        assert one[tid]["output"] == again[tid]["output"], tid
    for tid in fixed_tests:
        assert one[tid]["output"] == two[tid]["output"], tid


def hidden_test_ids(exercise: Exercise) -> set[str]:
    """The test functions the hidden test file defines (read as text: it is not imported here)."""
    hidden = REPO / "grader" / "hidden" / f"{exercise.tests}.py"
    return set(re.findall(r"^def (test_\w+)\(", hidden.read_text(encoding="utf-8"), flags=re.MULTILINE))


def assert_stub_is_generated(exercise: Exercise) -> str:
    """exercises/ holds exactly the stub generated from solutions/; returns it."""
    stub = (REPO / "exercises" / exercise.file).read_text(encoding="utf-8")
    assert stub == stub_source(exercise.file)
    return stub
