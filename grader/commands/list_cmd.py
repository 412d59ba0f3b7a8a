"""`grade list`: every exercise with its points, status and best score."""

from __future__ import annotations

import json
from pathlib import Path

import click

from grader import console
from grader.catalog import load_catalog
from grader.commands.common import is_untouched_stub, json_option, path_option, workspace_from
from grader.progress import ProgressStore


def exercise_status(untouched: bool, best: float | None, max_score: float) -> str:
    """not started (stub untouched, never graded) / in progress / done (full marks)."""
    if best is not None and best >= max_score:
        return "done"
    if untouched and best is None:
        return "not started"
    return "in progress"


@click.command("list")
@path_option
@json_option
def command(path: Path | None, as_json: bool) -> None:
    """List every exercise with number, title, points, status and best score."""
    workspace = workspace_from(path)
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
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    colour = {"done": console.ok, "in progress": lambda s: console.style(s, fg="yellow"), "not started": console.dim}
    width = max(len("title"), *(len(row["title"]) for row in rows))
    console.echo(console.bold(f"{'#':>2}  {'exercise':<11} {'title':<{width}} {'points':>6}  {'status':<11}  best"))
    for row in rows:
        best_text = "-" if row["best_score"] is None else f"{row['best_score']:g}/{row['points']}"
        status = colour[row["status"]](f"{row['status']:<11}")
        console.echo(
            f"{row['number']:>2}  {row['name']:<11} {row['title']:<{width}} {row['points']:>6}  {status}  {best_text}"
        )
    console.echo(console.dim("\nGrade one with `grade exercise1` (or `grade 1`); `grade all` grades everything."))
