"""Authoring checks: the catalog, solutions, stubs and hidden tests agree.

Pure functions returning lists of problems; `grade dev check` prints them and
the test suite asserts there are none.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.catalog import Exercise, load_catalog
from grader.runner import HIDDEN_DIR
from grader.stubs import BEGIN_SOLUTION, MarkerError, solution_path, solution_source, stub_source


def hidden_test_names(exercise: Exercise) -> list[str]:
    """The test functions defined in the exercise's hidden module (read, not imported)."""
    tree = ast.parse((HIDDEN_DIR / f"{exercise.tests}.py").read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def stub_drift(exercises_dir: Path) -> list[str]:
    """Files under `exercises_dir` that are missing or differ from their generated stub."""
    problems = []
    for ex in load_catalog():
        path = exercises_dir / ex.file
        if not path.exists():
            problems.append(f"{path} is missing (run `grade dev sync`)")
        elif path.read_text(encoding="utf-8") != stub_source(ex.file):
            problems.append(f"{path} differs from the stub generated from solutions/ (run `grade dev sync`)")
    return problems


def catalog_problems() -> list[str]:
    """Everything that would make an exercise ungradeable or its metadata wrong."""
    problems = []
    for ex in load_catalog():
        if not solution_path(ex.file).exists():
            problems.append(f"{ex.name}: solution {ex.file} is missing")
            continue
        source = solution_source(ex.file)
        if BEGIN_SOLUTION not in source:
            problems.append(f"{ex.name}: {ex.file} has no solution markers")
        try:
            stub = stub_source(ex.file)
            compile(stub, ex.file, "exec")
        except (MarkerError, SyntaxError) as exc:
            problems.append(f"{ex.name}: {exc}")
        if not (HIDDEN_DIR / f"{ex.tests}.py").exists():
            problems.append(f"{ex.name}: hidden test module {ex.tests}.py is missing")
            continue
        names = hidden_test_names(ex)
        for name in sorted(set(names) - set(ex.points)):
            problems.append(f"{ex.name}: hidden test {name} has no points in the catalog")
        for name in sorted(set(ex.points) - set(names)):
            problems.append(f"{ex.name}: the catalog gives points to {name}, which does not exist")
        if any(not hint.strip() for hint in ex.hints) or len(ex.hints) < 2:
            problems.append(f"{ex.name}: needs at least two non-empty hints")
    return problems


def sync_stubs(exercises_dir: Path) -> list[Path]:
    """Write every stub that differs; return the files written."""
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for ex in load_catalog():
        path = exercises_dir / ex.file
        text = stub_source(ex.file)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
