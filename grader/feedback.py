"""Turning raw hidden-test outcomes into feedback a student can act on.

Runs in the grading process after the hidden tests: it fills the structured
fields of each TestResult (`kind`, `function`, `problem`, `diagnosis`), says
which functions each test exercises, moves an import or syntax error out of
the tests to one place (`ExerciseResult.import_error`), and, when a function
fails because a function it calls fails, says "fix `neuron_forward` first".
The student's file is only parsed (`ast`), never imported here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from grader.catalog import Exercise
from grader.results import ExerciseResult, TestResult

_NOT_RUN = "not run: your file could not be imported ({error}); see the error shown once, above the tests."


def structure(test: TestResult, failure: Any) -> None:
    """Copy a CheckFailed's fields onto its TestResult (a passed test keeps kind "")."""
    if test.status == "passed":
        return
    test.details = test.output
    if failure is None:
        test.kind = "grader_error"
        test.problem = test.output.splitlines()[0] if test.output else "the test did not run"
        return
    test.kind = getattr(failure, "kind", "wrong") or "wrong"
    test.function = getattr(failure, "function", "")
    test.problem = getattr(failure, "problem", "")
    test.diagnosis = getattr(failure, "diagnosis", "") or ""


def import_error_text(output: str, student_file: str) -> str:
    """The import failure as the student needs it: the message, then their own line and caret.

    Frames of the import machinery ("<frozen importlib…>") are dropped; the
    traceback starts at the first frame in the student's file.
    """
    lines = output.splitlines()
    lines = [line for line in lines if not line.startswith("call:")
             and not line.startswith("Your file could not be imported")]
    message = [line for line in lines if not line.startswith("    ")]
    tb = [line[4:] for line in lines if line.startswith("    ")]
    start = next((i for i, line in enumerate(tb) if student_file in line and line.lstrip().startswith("File")), None)
    if start is not None:
        tb = tb[start:]
        # The last line of a traceback repeats the message already shown above it.
        if tb and message and tb[-1].strip() and tb[-1].strip() in "\n".join(message):
            tb = tb[:-1]
        kept = []
        for line in tb:
            if "<frozen importlib" in line:
                continue
            kept.append(line.replace(str(Path(line.split('"')[1]).parent) + "/", "") if line.strip().startswith(
                'File "') and '"' in line else line)
        tb = kept
    else:
        tb = [line for line in tb if "<frozen importlib" not in line and "_call_with_frames_removed" not in line]
    import textwrap

    text = "\n".join(message)
    if tb:
        text += "\n" + textwrap.indent(textwrap.dedent("\n".join(tb)), "    ")
    return text.rstrip()


def explain_dependencies(result: ExerciseResult, exercise: Exercise, student_path: Path) -> None:
    """Fill `functions`, the one-place import error, and "fix `G` first" diagnoses."""
    from grader.stubs import solution_path
    from grader.testmap import call_graph, callees, test_functions

    mapping = test_functions(exercise)
    for test in result.tests:
        test.functions = mapping.get(test.test_id, ())
        if not test.function and test.functions and test.status != "passed":
            test.function = test.functions[0]

    broken = [t for t in result.tests if t.kind == "import_error"]
    if broken:
        result.import_error = import_error_text(broken[0].output, student_path.name)
        headline = (result.import_error.splitlines() or ["an error"])[0].strip()
        for test in broken:
            test.output = _NOT_RUN.format(error=headline)
            test.details = ""
            test.problem = "your file could not be imported"
            test.diagnosis = "your file could not be imported: fix the error shown at the top first."
        return

    failing = {t.function for t in result.tests if t.status != "passed" and t.function}
    if not failing:  # nothing to blame on a callee: skip parsing the files
        return
    try:
        source = student_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        source = ""
    graph = call_graph(source) or call_graph(Path(solution_path(exercise.file)).read_text(encoding="utf-8"))
    order = list(graph)
    for test in result.tests:
        if test.status == "passed" or test.kind not in {"wrong", "error"} or not test.function:
            continue
        culprits = [g for g in callees(graph, test.function) if g in failing and g != test.function]
        if not culprits or test.diagnosis.startswith("fix `"):
            continue
        culprit = min(culprits, key=lambda g: order.index(g) if g in order else len(order))
        note = (f"fix `{culprit}` first: {test.function} calls it and it fails its own tests, "
                "so this test may pass once it is fixed.")
        test.diagnosis = note + (f" {test.diagnosis}" if test.diagnosis else "")
        test.output = test.output.rstrip() + f"\nlikely cause: {note}"
        test.details = test.output


def first_failing_function(result: ExerciseResult, order: tuple[str, ...]) -> str:
    """The failing function that comes first in the file ("" when every test passes)."""
    failing = {t.function for t in result.tests if t.status != "passed" and t.function}
    for name in order:
        if name in failing:
            return name
    return next(iter(sorted(failing)), "")


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
