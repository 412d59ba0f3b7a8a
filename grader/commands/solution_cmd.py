"""`grade solution EXERCISE`: print the reference solution."""

from __future__ import annotations

from pathlib import Path

import click

from grader import console
from grader.catalog import Exercise
from grader.commands.common import EXERCISE, is_untouched_stub, path_option, workspace_from
from grader.progress import ProgressStore
from grader.stubs import solution_source


@click.command("solution")
@click.argument("exercise", type=EXERCISE)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@path_option
def command(exercise: Exercise, yes: bool, path: Path | None) -> None:
    """Print the reference solution of EXERCISE.

    If you have not attempted the exercise yet you are asked to confirm first
    (answering is the point of the exercise); --yes skips the question.
    """
    attempted = True
    try:
        workspace = workspace_from(path)
        attempted = bool(ProgressStore(workspace.progress_db).attempts(exercise.number)) or not (
            is_untouched_stub(workspace, exercise)
        )
    except click.UsageError:
        attempted = False  # no workspace at all: certainly not attempted
    if not attempted and not yes:
        click.confirm(
            f"You have not attempted {exercise.name} yet. Show the reference solution anyway?",
            abort=True,
        )
    console.echo(console.dim(f"# Reference solution of {exercise.name} ({exercise.file})"))
    console.echo(solution_source(exercise.file))
