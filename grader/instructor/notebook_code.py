"""Code in and out of nbgrader notebooks, read as plain JSON (no Jupyter needed).

`notebook_module_source` turns a submitted notebook into the `exerciseN_*.py`
module `grade` expects: the read-only code cells (imports, given helpers) and
the solution cells, in notebook order, by nbgrader metadata. Test cells and
the visible-check runtime cell are left out, and so are cells without
nbgrader metadata (a student's scratch work), which are not part of the answer.

`fill_solutions` does the reverse for tests and benchmarks: it puts given code
into the solution cells of a release notebook, as a student would.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from grader.instructor.solution_blocks import split_solution

# IPython-only lines (`%timeit f(x)`, `!pip install …`) are not Python.
_MAGIC = re.compile(r"^(\s*)([%!].*)$")
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
# The read-only cell that holds the visible-check runtime (notebooks.py): not part of the answer.
RUNTIME_GRADE_ID = "nn-checks"


def read_notebook(path: Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError(f"{path} is not a Jupyter notebook")
    return data


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_solution_cell(cell: dict[str, Any]) -> bool:
    return cell.get("cell_type") == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_test_cell(cell: dict[str, Any]) -> bool:
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_given_cell(cell: dict[str, Any]) -> bool:
    """A read-only code cell of the assignment: imports, constants, helpers (not the check runtime)."""
    meta = nbgrader_meta(cell)
    return (cell.get("cell_type") == "code" and bool(meta.get("locked")) and not meta.get("grade")
            and meta.get("grade_id") != RUNTIME_GRADE_ID)


def notebook_module_source(notebook: dict[str, Any]) -> str:
    """The notebook's answer as a Python module (given code + solution cells)."""
    chunks = []
    for cell in notebook["cells"]:
        if is_solution_cell(cell) or is_given_cell(cell):
            chunks.append(_without_magics(cell_source(cell)).rstrip("\n") + "\n")
    return "\n\n".join(chunks)


def fill_solutions(notebook: dict[str, Any], source: str) -> dict[str, Any]:
    """A copy of `notebook` whose solution cells hold the matching blocks of `source`.

    Solution cells are matched by grade_id (the function's name, as
    `notebooks.build_notebook` writes them); a cell whose function `source`
    lacks keeps what it had. Solution markers are dropped, as a student would.
    """
    blocks = {b.name: b.source for b in split_solution(source).blocks if b.name}
    filled = copy.deepcopy(notebook)
    for cell in filled["cells"]:
        name = nbgrader_meta(cell).get("grade_id")
        if is_solution_cell(cell) and name in blocks:
            lines = [line for line in blocks[name].splitlines(keepends=True) if not _MARKER.match(line)]
            cell["source"] = "".join(lines).rstrip("\n")
    return filled


def _without_magics(code: str) -> str:
    return "\n".join(_MAGIC.sub(r"\1# \2  (IPython-only, skipped)", line) for line in code.split("\n"))
