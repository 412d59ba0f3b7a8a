"""The test submissions themselves: each is a real, minimal edit of the reference."""

from __future__ import annotations

import pytest
from helpers import SUBMISSIONS, reference_source, submission, submission_edits

from grader.catalog import resolve
from grader.stubs import strip_solutions

CASES = [
    (n, name)
    for n in sorted(int(p.stem.removeprefix("exercise")) for p in SUBMISSIONS.glob("exercise*.py"))
    for name in sorted(submission_edits(n))
]


def _code(source: str) -> list[str]:
    """The source outside the solution regions, without leading comments or extra imports."""
    lines = source.splitlines(keepends=True)
    body = "".join(lines[next(i for i, line in enumerate(lines) if not line.startswith("#")):])
    return [line for line in strip_solutions(body).splitlines() if not line.startswith("import math")]


def test_there_are_submissions_for_exercises_2_to_5():
    assert {n for n, _ in CASES} >= {2, 3, 4, 5}


@pytest.mark.parametrize(("exercise", "name"), CASES)
def test_submission_is_valid_python_that_differs_from_the_reference(exercise, name):
    source = submission(exercise, name)
    assert source != reference_source(resolve(f"exercise{exercise}").file)
    compile(source, f"{name}.py", "exec")


@pytest.mark.parametrize(("exercise", "name"), [case for case in CASES if not case[1].startswith("alt_")])
def test_wrong_submission_edits_only_the_solution_regions(exercise, name):
    """A deliberate mistake is one edit a student could make in the stub, nothing else."""
    source = submission(exercise, name)
    assert _code(source) == _code(reference_source(resolve(f"exercise{exercise}").file))
