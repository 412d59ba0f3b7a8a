"""Which student functions each hidden test exercises, and which call which.

Read from source text with `ast` (nothing is imported or run), so it is cheap
and safe on a student's file: `grade exerciseN -k NAME` selects tests with it,
`--first` and `grade hint` find the first failing function, and feedback says
"fix `neuron_forward` first" when a function fails because one it calls failed.
"""

from __future__ import annotations

import ast
import re
import types
from functools import cache
from pathlib import Path

from grader.catalog import Exercise


def public_functions(source: str) -> list[str]:
    """Top-level functions not starting with "_", in file order ([] if the source does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]


def graded_functions(source: str) -> list[str]:
    """The public functions the student writes: those with a `### BEGIN SOLUTION` region."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = source.splitlines()
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            body = lines[node.lineno - 1: node.end_lineno]
            if any(line.strip() == "### BEGIN SOLUTION" for line in body):
                found.append(node.name)
    return found


def call_graph(source: str) -> dict[str, set[str]]:
    """function -> the top-level functions of the same file it calls directly ({} if unparsable)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    graph: dict[str, set[str]] = {}
    for name, node in defs.items():
        called = {
            sub.func.id for sub in ast.walk(node)
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in defs
        }
        # A function passed by name (e.g. gradient_descent(bowl_gradient, …)) is used too.
        called |= {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and sub.id in defs}
        called.discard(name)
        graph[name] = called
    return graph


def callees(graph: dict[str, set[str]], func: str) -> list[str]:
    """Every function `func` calls, directly or through others (breadth first)."""
    seen: list[str] = []
    frontier = sorted(graph.get(func, ()))
    while frontier:
        nxt = frontier.pop(0)
        if nxt in seen or nxt == func:
            continue
        seen.append(nxt)
        frontier.extend(sorted(graph.get(nxt, ())))
    return seen


def _titles(hidden_source: str) -> dict[str, str]:
    tree = ast.parse(hidden_source)
    titles = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = (ast.get_docstring(node) or "").strip()
            titles[node.name] = doc.splitlines()[0] if doc else node.name
    return titles


def _loaded_titles(exercise: Exercise) -> dict[str, str] | None:
    """`_titles` from the hidden module a grading run has already imported (None if it has not).

    After grading, parsing the hidden file again cost 8-14 ms of every `grade exerciseN`; the
    functions' docstrings are the same text, already in memory.
    """
    from grader.runner import loaded_hidden_module

    module = loaded_hidden_module(exercise)
    if module is None:
        return None
    return {name: hidden_test_title(func) for name, func in vars(module).items()
            if name.startswith("test_") and isinstance(func, types.FunctionType)
            and func.__module__ == module.__name__}


def hidden_test_title(func: types.FunctionType) -> str:
    """A hidden test's title: the first line of its docstring (its name without one)."""
    doc = (func.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else func.__name__


def functions_of_test(test_id: str, title: str, functions: list[str]) -> tuple[str, ...]:
    """The functions a test exercises.

    The ones its title starts with ("batch_gd, sgd and minibatch_gd bring …"),
    else the one its id names (`test_<function>_…`), else every one its title names.
    """
    names = "|".join(re.escape(f) for f in sorted(functions, key=len, reverse=True))
    if names:
        lead = re.match(rf"((?:{names})(?:\s*(?:,|and)\s*(?:{names}))*)(?![\w])", title)
        if lead:
            found = re.findall(rf"(?<!\w)(?:{names})(?!\w)", lead.group(1))
            return tuple(dict.fromkeys(found))
    prefixed = [f for f in functions if test_id == f"test_{f}" or test_id.startswith(f"test_{f}_")]
    if prefixed:
        return (max(prefixed, key=len),)
    return tuple(f for f in functions if re.search(rf"(?<![\w.]){re.escape(f)}(?!\w)", title))


def test_functions(exercise: Exercise) -> dict[str, tuple[str, ...]]:
    """test id -> the functions it exercises, for every graded test of `exercise`."""
    return dict(_test_functions(exercise.number))


def reference_functions(exercise: Exercise) -> tuple[str, ...]:
    """The exercise's graded functions, in file order."""
    return _reference_functions(exercise.number)


def _exercise(number: int) -> Exercise:
    from grader.catalog import load_catalog

    return next(e for e in load_catalog() if e.number == number)


@cache
def _reference_functions(number: int) -> tuple[str, ...]:
    from grader.stubs import solution_path

    exercise = _exercise(number)
    return tuple(graded_functions(Path(solution_path(exercise.file)).read_text(encoding="utf-8")))


@cache
def _test_functions(number: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    from grader.runner import HIDDEN_DIR

    exercise = _exercise(number)
    functions = list(_reference_functions(number))
    titles = _loaded_titles(exercise)
    if titles is None:
        titles = _titles((HIDDEN_DIR / f"{exercise.tests}.py").read_text(encoding="utf-8"))
    return tuple((test_id, functions_of_test(test_id, titles.get(test_id, test_id), functions))
                 for test_id in exercise.points)
