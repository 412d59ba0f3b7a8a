"""nbgrader source notebooks, generated from the reference solutions and the catalog.

One notebook per exercise, built from the same single source as the stubs:

    intro (Markdown, read-only)      title + the module docstring (math as LaTeX) + how to work
    nn-checks (code, read-only)      the visible-check runtime (grader/visible/runtime.py) and the
                                     baked worked examples: numpy only, no reference code
    setup (code, read-only)          the file's imports and constants
    for each function, in file order:
      spec-<name> (Markdown, read-only)   `name(args)` + its docstring: the student's spec
      <name> (code, solution cell)        the reference code between its
                                          ### BEGIN/END SOLUTION markers
      <test name> (code, graded)          one cell per hidden test of `grade` for that function:
                                          `nn_check(...)` for a worked example (baked values),
                                          `nn_hidden_test(...)` for the others
    tests no function claims (code, graded) at the end

No test cell holds test data that is secret, so nothing is cut out of them at
release (no HIDDEN TESTS markers) and generate_assignment changes no locked
cell: autograde raises no "checksum has changed" warning. The grade of every
test cell is not what the student's kernel printed: `nbgrader autograde`
replaces each one with the verdict of `grade`'s own hidden test, run outside
the kernel (see nbgrader_grading.py). Points are the catalog's, so nbgrader's
total equals `grade`'s.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
from typing import Any

from grader.catalog import Exercise
from grader.instructor.notebook_code import RUNTIME_GRADE_ID
from grader.instructor.notebook_markdown import docstring_markdown
from grader.instructor.solution_blocks import Block, SolutionFile, split_solution, without_long_docstring
from grader.instructor.visible_tests import exercise_payload, is_visible_test, runtime_source
from grader.stubs import solution_source

NBGRADER_SCHEMA_VERSION = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def group_tests_by_function(exercise: Exercise, blocks: tuple[Block, ...]) -> dict[str, list[str]]:
    """Hidden tests grouped under the function after which their cell goes, in catalog order.

    A test cell must come after every function it calls, so it goes after the
    last one (in file order) its source names: a string such as
    `"gradient_step"` or an attribute such as `ref.gradient_step`, also inside
    the module's helpers it calls. A test that names none goes under the
    function its name starts with (`test_bowl_loss_random` → `bowl_loss`), and
    failing that under "" (the end of the notebook).
    """
    order = {b.name: i for i, b in enumerate(blocks) if b.name}
    module = importlib.import_module(f"grader.hidden.{exercise.tests}")
    by_length = sorted(order, key=len, reverse=True)
    groups: dict[str, list[str]] = {}
    for test in exercise.points:
        named = _names_used(module, test) & set(order)
        if named:
            owner = max(named, key=order.__getitem__)
        else:
            owner = next((n for n in by_length if test == f"test_{n}" or test.startswith(f"test_{n}_")), "")
        groups.setdefault(owner, []).append(test)
    return groups


def _names_used(module: Any, function: str) -> set[str]:
    """Strings and attribute names in `function`'s source and the module helpers it calls."""
    import ast

    names: set[str] = set()
    seen: set[str] = set()
    queue = [function]
    while queue:
        current = queue.pop()
        target = getattr(module, current, None)
        # Only the hidden module's own helpers: check_call and friends name no exercise function.
        if current in seen or not inspect.isfunction(target) or target.__module__ != module.__name__:
            continue
        seen.add(current)
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(target)))
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                queue.append(node.id)
    return names


def hidden_test_titles(exercise: Exercise) -> dict[str, str]:
    """The first docstring line of every hidden test: its title, as `grade` shows it."""
    module = importlib.import_module(f"grader.hidden.{exercise.tests}")
    titles = {}
    for test in exercise.points:
        fn = getattr(module, test, None)
        if fn is None:
            raise LookupError(f"{exercise.tests}.py has no test {test} (listed in the catalog)")
        doc = inspect.getdoc(fn) or ""
        titles[test] = doc.splitlines()[0] if doc else test
    return titles


def test_functions(exercise: Exercise, blocks: tuple[Block, ...]) -> dict[str, list[str]]:
    """The solution functions (the ones a student writes) each test calls, in file order.

    A test that names none of them (it could only fail on a stub through
    something indirect) is said to need all of them.
    """
    solutions = [b.name for b in blocks if b.kind == "solution"]
    module = importlib.import_module(f"grader.hidden.{exercise.tests}")
    found = {}
    for test in exercise.points:
        named = _names_used(module, test)
        found[test] = [n for n in solutions if n in named] or list(solutions)
    return found


def check_call_source(exercise: Exercise, test: str, title: str, points: int) -> str:
    """The source of a test cell: a comment saying what it checks, and one call of the runtime."""
    unit = "point" if points == 1 else "points"
    if is_visible_test(test):
        return f"# Test: {title} ({points} {unit})\nnn_check({test!r})"
    return (
        f"# Hidden test: {title} ({points} {unit})\n"
        "# It runs when your notebook is graded; here it only checks that you wrote the functions it needs.\n"
        f"nn_hidden_test({test!r})"
    )


def build_notebook(exercise: Exercise, *, seed: int | None = None) -> Any:
    """The nbgrader source notebook (an nbformat NotebookNode) of `exercise`.

    `seed` is accepted for older callers and has no effect: no seed is written into a
    notebook any more (autograde derives each student's seed from the course secret).
    """
    del seed
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    solution = split_solution(solution_source(exercise.file), filename=exercise.file)
    titles = hidden_test_titles(exercise)
    groups = group_tests_by_function(exercise, solution.blocks)
    payload = exercise_payload(exercise, titles, test_functions(exercise, solution.blocks))
    runtime = runtime_source(payload, module_docstring=_RUNTIME_DOC.format(name=exercise.name))
    runtime_cell = new_code_cell(runtime.rstrip("\n"), metadata=_meta(RUNTIME_GRADE_ID, locked=True))
    runtime_cell.metadata["jupyter"] = {"source_hidden": True}  # JupyterLab shows it collapsed
    cells: list[Any] = [
        new_markdown_cell(_intro(exercise, solution), metadata=_meta("exercise-intro", locked=True)),
        runtime_cell,
    ]

    def test_cells(tests: list[str]) -> None:
        for test in tests:
            points = exercise.points[test]
            source = check_call_source(exercise, test, titles[test], points)
            cells.append(new_code_cell(source, metadata=_meta(test, grade=True, locked=True, points=points)))

    setup_count = 0
    for block in solution.blocks:
        if block.kind == "setup":
            setup_count += 1
            grade_id = "setup" if setup_count == 1 else f"setup-{setup_count}"
            cells.append(new_code_cell(block.source.rstrip("\n"), metadata=_meta(grade_id, locked=True)))
            continue
        if block.docstring:
            spec = f"### `{block.signature}`\n\n{docstring_markdown(block.docstring)}"
            cells.append(new_markdown_cell(spec.rstrip("\n"), metadata=_meta(f"spec-{block.name}", locked=True)))
        code = without_long_docstring(block).rstrip("\n")
        if block.kind == "solution":
            cells.append(new_code_cell(code, metadata=_meta(block.name, solution=True)))
        else:
            cells.append(new_code_cell(code, metadata=_meta(f"given-{block.name}", locked=True)))
        test_cells(groups.pop(block.name, []))
    leftover = groups.pop("", [])
    if leftover:
        cells.append(new_markdown_cell("## Further tests", metadata=_meta("further-tests", locked=True)))
        test_cells(leftover)

    notebook = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": dict(KERNELSPEC),
            "language_info": {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"},
        },
    )
    nbformat.validate(notebook)
    return notebook


_RUNTIME_DOC = """Checks for the worked examples of {name} (read-only; run this cell first).

Every test cell below calls one of these two functions:
    nn_check(test)         runs a worked example on your function and prints
                           "✓ ... passed", or what is wrong and the likely mistake;
    nn_hidden_test(test)   a hidden test: it runs when your notebook is graded,
                           here it only says whether the functions it needs are written.
Nothing here is graded: grading re-runs every test outside this notebook.
"""

# The stub's closing instruction speaks of the `grade` command, which a notebook does not use:
# "Fill in every function (or solution region) below, then run `grade exerciseN` (and …)."
_GRADE_SENTENCE = re.compile(r"Fill in every [a-z ]+ below,\s+then run `grade exercise\d+`(?:\s+\([^)]*\))?\.")


def _intro(exercise: Exercise, solution: SolutionFile) -> str:
    text = _GRADE_SENTENCE.sub("", solution.docstring).rstrip()
    text = text.split("\n\n", 1)[1] if text.startswith("Exercise ") and "\n\n" in text else text  # the heading
    return (
        f"# Exercise {exercise.number} — {exercise.title}\n\n"
        f"{docstring_markdown(text)}\n"
        "**In this notebook:** run the cells from the top. In each function's cell, replace "
        "`# YOUR CODE HERE` and `raise NotImplementedError()` with your code, run it, then run the test "
        "cell below it: a worked example prints **✓ … passed**, or what is wrong and the likely mistake. "
        "Cells marked *Hidden test* only check that the function is written; they are graded, with new "
        "inputs, when you hand the notebook in. You need nothing beyond numpy"
        f"{' and sympy' if 'sympy' in exercise.preload else ''}."
    )


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: int | None = None) -> dict[str, Any]:
    """nbgrader cell metadata, schema version 3 (what its "Create Assignment" toolbar writes)."""
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": NBGRADER_SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}
