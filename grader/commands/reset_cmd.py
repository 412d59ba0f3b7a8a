"""`grade reset EXERCISE`: put the stub back, keeping a backup of the student's file."""

from __future__ import annotations

from pathlib import Path

import click

from grader import console
from grader.backups import backup
from grader.catalog import Exercise
from grader.commands.common import EXERCISE, path_option, workspace_from
from grader.stubs import stub_source


@click.command("reset")
@click.argument("exercise", type=EXERCISE)
@path_option
def command(exercise: Exercise, path: Path | None) -> None:
    """Restore EXERCISE's stub. Your current file is first copied to .grade/backups/."""
    workspace = workspace_from(path)
    target = workspace.exercise_path(exercise)
    stub = stub_source(exercise.file)
    if target.exists():
        if target.read_text(encoding="utf-8") == stub:
            console.echo(f"{target.name} is already the untouched stub; nothing to do.")
            return
        saved = backup(target, workspace.state_dir / "backups")
        console.echo(f"Your file was backed up to {saved}")
    target.write_text(stub, encoding="utf-8")
    console.echo(console.ok(f"Restored the stub of {exercise.name} in {target}"))
