"""The one result model, in the shape of Gradescope's results.json.

Produced once by the runner and rendered many ways: the terminal report,
`--json`, the batch CSV gradebook, nbgrader partial credit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TestResult:
    """One hidden test: Gradescope's `tests[]` entry."""

    name: str
    score: float
    max_score: float
    output: str = ""
    number: str = ""
    test_id: str = ""
    visibility: str = "visible"

    @property
    def status(self) -> str:
        return "passed" if self.score >= self.max_score else "failed"

    def to_gradescope(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.name,
            "number": self.number,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "output": self.output,
            "visibility": self.visibility,
            "extra_data": {"test_id": self.test_id},
        }
        return entry


@dataclass
class ExerciseResult:
    """Every hidden test of one exercise, graded once."""

    exercise: int
    slug: str
    title: str
    seed: int
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    grader_error: str = ""

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    @property
    def passed(self) -> bool:
        return not self.grader_error and self.score >= self.max_score

    def to_gradescope(self) -> dict[str, Any]:
        return results_json([self])


def results_json(results: list[ExerciseResult]) -> dict[str, Any]:
    """Gradescope's results.json for one or more graded exercises."""
    tests = [t.to_gradescope() for r in results for t in r.tests]
    errors = [f"exercise{r.exercise}: {r.grader_error}" for r in results if r.grader_error]
    seeds = ", ".join(f"exercise{r.exercise} seed {r.seed}" for r in results)
    output = f"Graded with {seeds}."
    if errors:
        output += "\nGrader errors:\n" + "\n".join(errors)
    return {
        "score": sum(r.score for r in results),
        "max_score": sum(r.max_score for r in results),
        "execution_time": round(sum(r.execution_time for r in results), 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "exercises": [
                {
                    "exercise": r.exercise,
                    "slug": r.slug,
                    "seed": r.seed,
                    "score": r.score,
                    "max_score": r.max_score,
                }
                for r in results
            ],
            # Which confinement layers the student's code ran under (see `grade doctor`).
            "sandbox": _sandbox_layers(),
        },
    }


def _sandbox_layers() -> dict[str, Any]:
    from grader.sandbox.layers import detect

    return detect().as_dict()
