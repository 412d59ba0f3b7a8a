"""Rendering an ExerciseResult for a person at a terminal.

Everything fits the width (the terminal's, never less than 80 columns): titles
and feedback wrap with hanging indents, the points stay on the title's first
line. An import or syntax error is shown once, above the tests; untouched
stubs are listed on one line; a diagnosis repeated by several tests is shown
once, with "(also in N more tests)".
"""

from __future__ import annotations

import shutil
import textwrap

from grader import console
from grader.results import ExerciseResult, TestResult

MIN_WIDTH = 80
#: Labels of feedback lines; a wrapped line continues under the text after the label.
_LABELS = ("call:", "expected:", "got:", "problem:", "likely mistake:", "likely cause:", "checked:", "points:",
           "question:", "your answer:", "why:")
_INDENT = 6


def terminal_width(width: int | None = None) -> int:
    """`width`, else the terminal's; never less than MIN_WIDTH."""
    if width is None:
        width = shutil.get_terminal_size((MIN_WIDTH, 24)).columns
    return max(MIN_WIDTH, width)


def wrap(text: str, width: int, indent: int = 0, hang: int | None = None) -> list[str]:
    """Wrap one logical line: first line at `indent`, continuations at `hang` (default: after a label)."""
    if hang is None:
        hang = indent
        stripped = text.lstrip()
        for label in _LABELS:
            if stripped.startswith(label):
                rest = stripped[len(label):]
                hang = indent + (len(text) - len(stripped)) + len(label) + (len(rest) - len(rest.lstrip()))
                break
        else:
            hang = indent + (len(text) - len(text.lstrip()))
    hang = min(hang, width // 2)
    if len(text) + indent <= width:
        return [" " * indent + text]
    return textwrap.wrap(
        text, width=width, initial_indent=" " * indent, subsequent_indent=" " * hang,
        break_long_words=True, break_on_hyphens=False, drop_whitespace=True,
    ) or [" " * indent]


def _fit_code(line: str, width: int) -> str:
    """A line of code or a caret line: never re-wrapped (the caret must stay under its column), cut to width."""
    return line if len(line) <= width else line[: width - 1] + "…"


def _test_line(test: TestResult, width: int) -> list[str]:
    points = f"{test.score:g}/{test.max_score:g}"
    passed = test.status == "passed"
    mark = console.ok("✓") if passed else console.bad("✗")
    styled_points = console.dim(points) if passed else console.bad(points)
    room = width - 4 - len(points) - 2  # "  ✓ " + title + "  " + points
    lines = textwrap.wrap(test.title, width=room, break_long_words=True) or [""]
    first = lines[0]
    out = [f"  {mark} {first}{' ' * (room - len(first) + 2)}{styled_points}"]
    out += [f"    {line}" for line in lines[1:]]
    return out


def _feedback_lines(text: str, width: int, *, suffix: str = "") -> list[str]:
    out: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if suffix and line.startswith("likely mistake:") and i == max(
                j for j, candidate in enumerate(lines) if candidate.startswith("likely mistake:")):
            line = f"{line} {suffix}"
        code_like = line.startswith("    ") and not line.strip().startswith(_LABELS)
        if code_like or (set(line.strip()) <= {"^", "~", " "} and line.strip()):
            out.append(_fit_code(" " * _INDENT + line, width))
        elif not line.strip():
            out.append("")
        else:
            out.extend(wrap(line, width, _INDENT))
    return out


def render(
    result: ExerciseResult,
    *,
    file_label: str,
    verbose: bool = False,
    width: int | None = None,
    first: bool = False,
    function_order: tuple[str, ...] = (),
    only: str = "",
    next_step: str = "",
) -> str:
    """The report: one line per test, feedback under failures (each once), the total.

    `first`: show the tests up to the first failing function (in `function_order`)
    only. `only`: the tests were selected with `-k` for this function. `next_step`:
    the line printed after full marks ("Next: grade exercise2 (…)").
    """
    width = terminal_width(width)
    header = console.bold(f"Exercise {result.exercise} · {result.title}")
    where = f"({file_label}, seed {result.seed}{', ' + only + ' only' if only else ''})"
    plain = f"Exercise {result.exercise} · {result.title}   {where}"
    lines = [header + console.dim(f"   {where}")] if len(plain) <= width else [header, console.dim(where)]

    if result.import_error:
        lines.append(console.bad("  ✗ Your file could not be imported, so none of its tests can run:"))
        for line in result.import_error.splitlines():
            if line.startswith("    ") or (line.strip() and set(line.strip()) <= {"^", "~"}):
                lines.append(_fit_code("    " + line, width))
            else:
                lines.extend(wrap(line, width, 4))

    tests = list(result.tests)
    hidden_after = 0
    if first and function_order:
        failing = [f for f in function_order if any(t.function == f for t in tests if t.status != "passed")]
        if failing:
            stop = function_order.index(failing[0])
            allowed = set(function_order[: stop + 1])
            kept = [t for t in tests if not t.functions or set(t.functions) & allowed]
            hidden_after = len(tests) - len(kept)
            tests = kept

    diagnosis_count: dict[str, int] = {}
    for test in tests:
        if test.status != "passed" and test.diagnosis and test.kind not in {"not_implemented", "import_error"}:
            diagnosis_count[test.diagnosis] = diagnosis_count.get(test.diagnosis, 0) + 1
    shown_diagnoses: set[str] = set()
    stubs: list[str] = []
    for test in tests:
        lines.extend(_test_line(test, width))
        if test.status == "passed":
            continue
        if test.kind == "not_implemented" and not verbose:
            if test.function and test.function not in stubs:
                stubs.append(test.function)
            continue
        if test.kind == "import_error":  # shown once, above the tests
            continue
        if not verbose and test.diagnosis and test.diagnosis in shown_diagnoses:
            continue
        suffix = ""
        repeats = diagnosis_count.get(test.diagnosis, 1) - 1
        if repeats > 0 and not verbose:
            suffix = f"(also in {repeats} more test{'s' if repeats > 1 else ''})"
            shown_diagnoses.add(test.diagnosis)
        if test.output:
            lines.extend(_feedback_lines(test.output, width, suffix=suffix))
    if stubs:
        every = {f for t in result.tests for f in t.functions}
        names = ", ".join(stubs)
        if len(stubs) > 2 and set(stubs) >= every and len(names) > width - 40:
            names = f"all {len(stubs)} (start with {stubs[0]})"
        stub_line = f"not implemented yet: {names} — `grade hint exercise{result.exercise}`"
        if len(stub_line) + 2 > width:
            stub_line = f"not implemented yet: {names} — `grade hint`"
        lines.extend(console.style(line, fg="yellow") for line in wrap(stub_line, width, 2, 4))
    if hidden_after:
        lines.append(console.dim(f"  … {hidden_after} more test{'s' if hidden_after > 1 else ''} of later functions "
                                 "not shown (--first)"))
    if result.grader_error:
        lines.extend(console.bad(line) for line in wrap(f"grader error: {result.grader_error}", width, 0, 4))

    score = f"Score: {result.score:g}/{result.max_score:g}"
    if only:
        score = f"Score for {only}: {result.score:g}/{result.max_score:g}"
    lines.append("")
    if result.passed:
        done = "all tests pass. Well done!" if not only else f"every test of {only} passes."
        lines.append(console.ok(f"{score} — {done}"))
        if next_step:
            lines.extend(wrap(next_step, width, 0, 6))
    else:
        lines.append(console.bold(score))
        tip = (f"Reproduce this run: grade exercise{result.exercise} --seed {result.seed}   "
               f"Stuck? grade hint exercise{result.exercise}")
        lines.extend(console.dim(line) for line in wrap(tip, width, 0, 0))
    return "\n".join(lines)
