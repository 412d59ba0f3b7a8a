"""`grade list`: every exercise with its points, status and best score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from grader import console
from grader.catalog import load_catalog
from grader.commands.common import is_untouched_stub, json_option, path_option, workspace_from
from grader.progress import ProgressStore
from grader.workspace import Workspace


def exercise_status(untouched: bool, best: float | None, max_score: float) -> str:
    """not started (stub untouched, never graded) / in progress / done (full marks)."""
    if best is not None and best >= max_score:
        return "done"
    if untouched and best is None:
        return "not started"
    return "in progress"


def list_rows(workspace: Workspace) -> list[dict[str, Any]]:
    best = ProgressStore(workspace.progress_db).best_scores()
    rows = []
    for ex in load_catalog():
        score = best.get(ex.number)
        status = exercise_status(is_untouched_stub(workspace, ex), score, ex.max_score)
        rows.append(
            {
                "number": ex.number,
                "name": ex.name,
                "slug": ex.slug,
                "title": ex.title,
                "points": ex.max_score,
                "status": status,
                "best_score": score,
            }
        )
    return rows


def render_list(workspace: Workspace, width: int = 80) -> str:
    """The table, at most `width` columns: long titles wrap in their column."""
    import textwrap

    rows = list_rows(workspace)
    colour = {"done": console.ok, "in progress": lambda s: console.style(s, fg="yellow"), "not started": console.dim}
    best_texts = ["-" if r["best_score"] is None else f"{r['best_score']:g}/{r['points']}" for r in rows]
    best_width = max(4, *(len(b) for b in best_texts))
    fixed = 2 + 2 + 11 + 1 + 1 + 6 + 2 + 11 + 2 + best_width
    title_width = max(12, min(max(len("title"), *(len(r["title"]) for r in rows)), width - fixed))
    lines = [console.bold(f"{'#':>2}  {'exercise':<11} {'title':<{title_width}} {'points':>6}  "
                          f"{'status':<11}  {'best':<{best_width}}".rstrip())]
    for row, best_text in zip(rows, best_texts, strict=True):
        title = textwrap.wrap(row["title"], title_width) or [""]
        status = colour[row["status"]](f"{row['status']:<11}")
        lines.append(f"{row['number']:>2}  {row['name']:<11} {title[0]:<{title_width}} {row['points']:>6}  "
                     f"{status}  {best_text}")
        lines += [f"{'':>2}  {'':<11} {part}" for part in title[1:]]
    lines.append(console.dim("\nGrade one with `grade exercise1` (or `grade 1`); `grade all` grades everything."))
    return "\n".join(lines)


@click.command("list")
@path_option
@json_option
def command(path: Path | None, as_json: bool) -> None:
    """List every exercise with number, title, points, status and best score."""
    workspace = workspace_from(path)
    if as_json:
        click.echo(json.dumps(list_rows(workspace), indent=2))
        return
    console.echo(render_list(workspace))
