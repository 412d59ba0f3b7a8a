"""Stubs from solutions: the same transform nbgrader's ClearSolutions applies.

A pure function from source to source; writing files happens in the callers
(`grade dev sync`, `grade init`, `grade reset`).
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB_BODY = ("# YOUR CODE HERE", "raise NotImplementedError()")
SOLUTIONS_DIR = Path(__file__).resolve().parent.parent / "solutions"
_MARKER = re.compile(r"^(\s*)### (BEGIN|END) SOLUTION\s*$")


class MarkerError(ValueError):
    """Solution markers that are nested, unbalanced or misplaced."""


def strip_solutions(source: str, *, filename: str = "<source>") -> str:
    """Replace each BEGIN/END SOLUTION region by `raise NotImplementedError()`.

    The replacement keeps the indentation of the BEGIN marker. Nested or
    unterminated markers raise MarkerError naming the line.
    """
    out: list[str] = []
    open_at: int | None = None
    for lineno, line in enumerate(source.splitlines(keepends=True), start=1):
        match = _MARKER.match(line.rstrip("\n"))
        if match is None:
            if BEGIN_SOLUTION in line or END_SOLUTION in line:
                raise MarkerError(f"{filename}:{lineno}: a solution marker must be alone on its line")
            if open_at is None:
                out.append(line)
            continue
        indent, kind = match.groups()
        if kind == "BEGIN":
            if open_at is not None:
                raise MarkerError(f"{filename}:{lineno}: nested BEGIN SOLUTION (open since line {open_at})")
            open_at = lineno
            out.extend(f"{indent}{body}\n" for body in STUB_BODY)
        else:
            if open_at is None:
                raise MarkerError(f"{filename}:{lineno}: END SOLUTION without BEGIN SOLUTION")
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{filename}:{open_at}: BEGIN SOLUTION is never closed")
    return "".join(out)


def solution_source(file: str) -> str:
    """The reference file's text (shipped inside the package as `grader.solutions`)."""
    return solution_path(file).read_text(encoding="utf-8")


def solution_path(file: str) -> Path:
    here = SOLUTIONS_DIR / file
    if here.exists():
        return here
    # Installed (non-editable) layout: solutions/ is the package grader/solutions.
    return Path(__file__).resolve().parent / "solutions" / file


def stub_source(file: str) -> str:
    """The stub a student starts from, generated from the reference solution."""
    return strip_solutions(solution_source(file), filename=file)
