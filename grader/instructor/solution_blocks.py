"""A reference solution file cut into the pieces a notebook is made of.

The module docstring, then the top-level statements in source order, grouped
into blocks: setup code (imports, constants), and one block per function or
class. A block whose text holds a `### BEGIN SOLUTION` marker is a solution
block, the part a student writes. Comments just above a statement belong to it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

from grader.stubs import BEGIN_SOLUTION

BlockKind = Literal["setup", "given", "solution"]
_DOC_OPEN = re.compile(r"^(\s*)([rRuU]?)(\"\"\"|''')")


@dataclass(frozen=True)
class Block:
    """A run of top-level statements that becomes one notebook cell."""

    kind: BlockKind  # setup: plain module code; given: a def/class to keep; solution: holds markers
    name: str  # the function or class name; "" for setup code
    source: str  # the exact source text, markers included
    docstring: str  # the cleaned docstring of a def/class ("" if none)
    signature: str  # `name(a, b=1)` for a function, `name` for a class, "" for setup


@dataclass(frozen=True)
class SolutionFile:
    docstring: str
    blocks: tuple[Block, ...]

    def block(self, name: str) -> Block:
        for block in self.blocks:
            if block.name == name:
                return block
        raise KeyError(name)


def split_solution(source: str, *, filename: str = "<solution>") -> SolutionFile:
    """Cut `source` into its docstring and blocks; `if __name__ == "__main__"` is dropped.

    A notebook kernel runs with `__name__ == "__main__"`, so a demo block would
    execute on import there; it is left out rather than translated.
    """
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines(keepends=True)
    body = list(tree.body)
    docstring = ""
    previous_end = 0
    if body and _is_docstring(body[0]):
        docstring = ast.get_docstring(tree, clean=True) or ""
        previous_end = body[0].end_lineno or 0
        body = body[1:]

    # Each statement's text: the lines after the previous statement up to its
    # last line. An indented comment right after a body (`### END SOLUTION`)
    # is not part of the statement's AST, so it is moved back to its owner.
    segments: list[tuple[ast.stmt, int, int]] = []
    for node in body:
        start, end = previous_end, node.end_lineno or node.lineno
        if segments:
            owner, owner_start, _ = segments[-1]
            tail = _indented_tail(lines, start, _first_line(node) - 1)
            segments[-1] = (owner, owner_start, tail)
            start = tail
        segments.append((node, start, end))
        previous_end = end
    if segments:
        owner, owner_start, _ = segments[-1]
        segments[-1] = (owner, owner_start, _indented_tail(lines, previous_end, len(lines)))

    blocks: list[Block] = []
    pending_setup: list[str] = []

    def flush_setup() -> None:
        text = "".join(pending_setup).strip("\n")
        if text.strip():
            blocks.append(Block("setup", "", text + "\n", "", ""))
        pending_setup.clear()

    for node, start, end in segments:
        text = "".join(lines[start:end])
        if _is_main_guard(node):
            continue
        has_marker = BEGIN_SOLUTION in text
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            flush_setup()
            blocks.append(
                Block(
                    "solution" if has_marker else "given",
                    node.name,
                    text.strip("\n") + "\n",
                    ast.get_docstring(node, clean=True) or "",
                    _signature(node, source),
                )
            )
        elif has_marker:  # a module-level solution region, e.g. a constant to choose
            flush_setup()
            blocks.append(Block("solution", _target_name(node, len(blocks)), text.strip("\n") + "\n", "", ""))
        else:
            pending_setup.append(text)
    flush_setup()
    return SolutionFile(docstring, tuple(blocks))


def without_long_docstring(block: Block) -> str:
    """The block's source with its docstring cut to the summary line.

    The full docstring is shown as Markdown above the code cell; keeping only
    the summary in the code keeps cells short without changing what runs. The
    original quote style and prefix (e.g. a raw r-string) are kept.
    """
    if not block.docstring:
        return block.source
    tree = ast.parse(block.source)
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    doc = node.body[0]
    start, end = doc.lineno, doc.end_lineno or doc.lineno
    if start == end:
        return block.source
    lines = block.source.splitlines(keepends=True)
    match = _DOC_OPEN.match(lines[start - 1])
    if match is None:
        return block.source
    indent, prefix, quote = match.groups()
    first = lines[start - 1][match.end():].strip()
    if not first:  # the summary starts on the line after the opening quotes
        first = lines[start].strip() if start < len(lines) else ""
    if not first or quote in first or first.endswith(quote[0]) or first.endswith("\\"):
        return block.source
    summary = f"{indent}{prefix}{quote}{first}{quote}\n"
    # A body that was only the docstring would now be empty of statements: keep it whole.
    if len(node.body) == 1:
        return block.source
    return "".join([*lines[: start - 1], summary, *lines[end:]])


def _first_line(node: ast.stmt) -> int:
    """The statement's first line (1-based), decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _indented_tail(lines: list[str], start: int, stop: int) -> int:
    """End (exclusive) of the indented lines from `start` that still belong to the block above."""
    end = start
    for i in range(start, stop):
        line = lines[i]
        if not line.strip():
            continue
        if line[0] in " \t":
            end = i + 1
        else:
            break
    return end


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, source: str) -> str:
    """`name(a, b=1e-6)`: parameter names and defaults as written, no annotations."""
    if isinstance(node, ast.ClassDef):
        return node.name
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)

    def text(expr: ast.expr) -> str:
        return ast.get_source_segment(source, expr) or ast.unparse(expr)

    parts = [a.arg if d is None else f"{a.arg}={text(d)}" for a, d in zip(positional, defaults, strict=True)]
    if args.vararg:
        parts.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        parts.append("*")
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(a.arg if d is None else f"{a.arg}={text(d)}")
    if args.kwarg:
        parts.append(f"**{args.kwarg.arg}")
    return f"{node.name}({', '.join(parts)})"


def _target_name(node: ast.stmt, index: int) -> str:
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return f"solution_{index}"
