"""nbgrader source notebooks, generated from the reference solutions and the catalog.

One notebook per exercise, built from the same single source as the stubs:

    intro (Markdown, read-only)      catalog title + the module docstring + how to work
    setup (code, read-only)          the file's imports and constants
    for each function, in file order:
      spec-<name> (Markdown, read-only)   `name(args)` + its docstring: the student's spec
      <name> (code, solution cell)        the reference code between its
                                          ### BEGIN/END SOLUTION markers
      <test name> (code, graded)          one cell per hidden test of that function:
                                          `*worked_example*` tests visible, the others
                                          wrapped in ### BEGIN/END HIDDEN TESTS
    tests no function claims (code, graded) at the end

Every test cell calls `grader.instructor.notebook_checks.run_check` with the
hidden test's name, so nbgrader runs exactly the checks `grade` runs, and its
points are the catalog's, so nbgrader's total equals `grade`'s.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
from typing import Any

from grader.catalog import Exercise
from grader.instructor import DEFAULT_SEED
from grader.instructor.solution_blocks import Block, SolutionFile, split_solution, without_long_docstring
from grader.stubs import solution_source

NBGRADER_SCHEMA_VERSION = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Markdown would turn `θ_new = θ_old` into italics and `$…$` into maths: escape
# them, except inside `code spans`, where a backslash would show literally.
_MARKDOWN_SPECIALS = re.compile(r"([\\_$<])")
_CODE_SPAN = re.compile(r"(`+[^`]*`+)")


def is_visible_test(test_name: str) -> bool:
    """Worked-example tests are shown to students; the rest stay hidden until graded."""
    return "worked_example" in test_name


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


def docstring_markdown(text: str) -> str:
    """A docstring as Markdown: prose escaped, indented blocks (formulas, examples) as code."""
    out: list[str] = []
    code: list[str] = []

    def flush_code() -> None:
        while code and not code[-1].strip():
            code.pop()
        if code:
            indent = min(len(line) - len(line.lstrip()) for line in code if line.strip())
            out.extend(["", "```text", *(line[indent:] for line in code), "```", ""])
        code.clear()

    for line in text.splitlines():
        indented = line.startswith((" ", "\t")) and bool(line.strip())
        if indented or (code and not line.strip()):  # a blank line inside a block stays in it
            code.append(line)
        else:
            flush_code()
            out.append(_escape_prose(line))
    flush_code()
    return "\n".join(out).strip() + "\n"


def _escape_prose(line: str) -> str:
    parts = _CODE_SPAN.split(line)  # odd indices are code spans
    return "".join(p if i % 2 else _MARKDOWN_SPECIALS.sub(r"\\\1", p) for i, p in enumerate(parts))


def check_call_source(exercise: Exercise, test: str, seed: int) -> str:
    """The one line a test cell runs: the hidden test of `grade`, in this kernel."""
    return (
        "from grader.instructor.notebook_checks import run_check\n\n"
        f"run_check({exercise.name!r}, {test!r}, globals(), seed={seed})"
    )


def build_notebook(exercise: Exercise, *, seed: int = DEFAULT_SEED) -> Any:
    """The nbgrader source notebook (an nbformat NotebookNode) of `exercise`."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    solution = split_solution(solution_source(exercise.file), filename=exercise.file)
    titles = hidden_test_titles(exercise)
    groups = group_tests_by_function(exercise, solution.blocks)
    cells: list[Any] = [new_markdown_cell(_intro(exercise, solution), metadata=_meta("exercise-intro", locked=True))]

    def test_cells(tests: list[str]) -> None:
        for test in tests:
            points = exercise.points[test]
            call = check_call_source(exercise, test, seed)
            unit = "point" if points == 1 else "points"
            if is_visible_test(test):
                source = f"# Test: {titles[test]} ({points} {unit})\n{call}\n"
            else:
                source = (
                    f"# Hidden test: {titles[test]} ({points} {unit})\n"
                    "# It runs when your notebook is graded.\n"
                    f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS\n"
                )
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


def _intro(exercise: Exercise, solution: SolutionFile) -> str:
    return (
        f"# Exercise {exercise.number} · {exercise.title}\n\n"
        f"{docstring_markdown(solution.docstring)}\n"
        "**In this notebook:** replace every `# YOUR CODE HERE` / `raise NotImplementedError()` "
        "with your code, then run the cells in order. The test cell after each function checks "
        "the worked example; hidden tests (the same checks as "
        f"`grade {exercise.name}`) run when your notebook is graded. Test cells need the course "
        "package (`nn-learn-grader`) installed in the kernel."
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
