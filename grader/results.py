"""The one result model, in the shape of Gradescope's results.json.

Produced once by the runner and rendered many ways: the terminal report,
`--json`, the batch CSV gradebook, nbgrader partial credit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

#: How much of a failed hidden test's feedback is shown: "full" (self-study:
#: the call, expected and got values, the diagnosis) or "summary" (graded
#: routes: what was checked, the points and the diagnosis; no inputs, no
#: expected values).
FEEDBACK_MODES = ("summary", "full")


@dataclass
class TestResult:
    """One hidden test: Gradescope's `tests[]` entry, plus the structured feedback.

    `output` is the complete feedback (call, expected, got, problem, likely
    mistake). The structured fields split it so that a rendering can choose:
    `kind` ("" when passed, else "wrong", "error", "not_implemented",
    "import_error", "missing_function", "timeout", "grader_error", or
    "not_submitted" when no answer was graded at all),
    `functions` the student functions the test exercises, `function` the one
    that failed, `problem` what differs in words (no values), `diagnosis` the
    likely-mistake sentence (no values) and `details` the rest of `output`.
    """

    name: str
    score: float
    max_score: float
    output: str = ""
    number: str = ""
    test_id: str = ""
    visibility: str = "visible"
    kind: str = ""
    function: str = ""
    functions: tuple[str, ...] = ()
    problem: str = ""
    diagnosis: str = ""
    details: str = ""

    @property
    def title(self) -> str:
        """What the test checks (its name without the exercise prefix)."""
        return self.name.split(" · ", 1)[-1]

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
            "extra_data": {
                "test_id": self.test_id,
                "kind": self.kind,
                "function": self.function,
                "functions": list(self.functions),
                "diagnosis": self.diagnosis,
            },
        }
        return entry


_TEST_FIELDS = fields(TestResult)


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
    # The student's file could not be imported: shown once, above the tests.
    import_error: str = ""
    feedback_mode: str = "full"

    def plain(self) -> dict[str, Any]:
        """`dataclasses.asdict(self)`, without its deep copy of every value: all are immutable here,
        and a batch turns two results a submission into plain data (a test keeps the two equal)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["tests"] = [{f.name: getattr(t, f.name) for f in _TEST_FIELDS} for t in self.tests]
        return data

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


def summary_output(test: TestResult) -> str:
    """A failed test's feedback without its inputs or expected values.

    What was checked, the points, what kind of difference (in words) and the
    diagnosis: enough to know what to fix, nothing to copy.
    """
    if test.status == "passed":
        return ""
    lines = [f"checked: {test.title}", f"points:  {test.score:g}/{test.max_score:g}"]
    if test.kind in {"not_implemented", "missing_function", "import_error", "timeout", "error", "not_submitted"}:
        first = (test.diagnosis or test.output).strip().splitlines()
        lines.append(f"problem: {first[0] if first else test.kind}")
        return "\n".join(lines)
    if test.problem:
        lines.append(f"problem: {test.problem}")
    if test.diagnosis:
        lines.append(f"likely mistake: {test.diagnosis}")
    if not test.problem and not test.diagnosis:
        lines.append("problem: your value differs from the expected one")
    return "\n".join(lines)


def redact(result: ExerciseResult, mode: str) -> ExerciseResult:
    """The result as `mode` ("summary" or "full") shows it; "full" returns it as is.

    In "summary" every failed test's `output` and `details` are replaced by
    `summary_output` (what was checked, the points, the diagnosis), so no hidden
    input or expected value reaches a results.json, a CSV or a terminal. The
    import error (the student's own code and message) is kept. A new object is
    returned; `result` is not modified.
    """
    from dataclasses import replace

    if mode not in FEEDBACK_MODES:
        raise ValueError(f"hidden feedback mode must be one of {FEEDBACK_MODES}, got {mode!r}")
    if mode == "full":
        return result
    # New test objects, not a deep copy: every field left shared is immutable (str, float, tuple).
    # An empty output (a reason said once, on an earlier test) stays empty.
    tests = [replace(test, details="", output=summary_output(test) if test.output else "") for test in result.tests]
    return replace(result, feedback_mode=mode, tests=tests)


def results_json(results: list[ExerciseResult]) -> dict[str, Any]:
    """Gradescope's results.json for one or more graded exercises."""
    tests = [t.to_gradescope() for r in results for t in r.tests]
    errors = [f"exercise{r.exercise}: {r.grader_error}" for r in results if r.grader_error]
    seeds = ", ".join(f"exercise{r.exercise} seed {r.seed}" for r in results)
    output = f"Graded with {seeds}."
    for r in results:
        if r.import_error:
            output += f"\nexercise{r.exercise}: your file could not be imported, so none of its tests ran:\n"
            output += r.import_error
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
                    "import_error": r.import_error,
                    "feedback_mode": r.feedback_mode,
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
