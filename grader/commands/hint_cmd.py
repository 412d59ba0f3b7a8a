"""`grade hint EXERCISE`: reveal hints one at a time."""

from __future__ import annotations

from pathlib import Path

import click

from grader import console
from grader.catalog import Exercise
from grader.commands.common import EXERCISE, path_option, workspace_from
from grader.progress import ProgressStore


@click.command("hint")
@click.argument("exercise", type=EXERCISE)
@click.option("--all", "show_all", is_flag=True, help="Show every hint at once.")
@path_option
def command(exercise: Exercise, show_all: bool, path: Path | None) -> None:
    """Show the next of several progressive hints for EXERCISE.

    Each call reveals one more hint (they get more specific); earlier ones are
    repeated so you have them together.
    """
    workspace = workspace_from(path)
    store = ProgressStore(workspace.progress_db)
    total = len(exercise.hints)
    shown = total if show_all else store.reveal_next_hint(exercise.number, total)
    console.echo(console.bold(f"Hints for {exercise.name} · {exercise.title}"))
    for i, hint in enumerate(exercise.hints[:shown], start=1):
        marker = console.style(f"[{i}/{total}]", fg="cyan" if i == shown else None)
        console.echo(f"{marker} {hint}\n")
    if shown < total:
        console.echo(console.dim(f"Run `grade hint {exercise.name}` again for the next hint."))
    else:
        console.echo(console.dim(f"That was the last hint. `grade solution {exercise.name}` shows the reference."))
