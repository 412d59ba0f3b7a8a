"""Rendering an ExerciseResult for a person at a terminal."""

from __future__ import annotations

from grader import console
from grader.results import ExerciseResult


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def render(result: ExerciseResult, *, file_label: str, verbose: bool = False) -> str:
    """The full report: one line per test, feedback under every failure, the total."""
    lines = [
        console.bold(f"Exercise {result.exercise} · {result.title}")
        + console.dim(f"   ({file_label}, seed {result.seed})")
    ]
    all_stubbed = bool(result.tests) and all("not implemented yet" in t.output for t in result.tests)
    for test in result.tests:
        title = test.name.split(" · ", 1)[-1]
        points = f"{test.score:g}/{test.max_score:g}"
        if test.status == "passed":
            lines.append(f"  {console.ok('✓')} {title}  {console.dim(points)}")
        else:
            lines.append(f"  {console.bad('✗')} {title}  {console.bad(points)}")
            if test.output and (verbose or not all_stubbed):
                lines.append(_indent(test.output))
    if all_stubbed and not verbose:
        lines.append(
            "      Every function is still a stub (not implemented yet): open the file, read the "
            f"docstrings and start with the first one; `grade hint exercise{result.exercise}` gives a nudge."
        )
    if result.grader_error:
        lines.append(console.bad(f"grader error: {result.grader_error}"))
    score = f"Score: {result.score:g}/{result.max_score:g}"
    lines.append("")
    if result.passed:
        lines.append(console.ok(f"{score} — all tests pass. Well done!"))
    else:
        lines.append(console.bold(score))
        lines.append(
            console.dim(
                f"Reproduce this run: grade exercise{result.exercise} --seed {result.seed}   "
                f"Stuck? grade hint exercise{result.exercise}"
            )
        )
    return "\n".join(lines)
