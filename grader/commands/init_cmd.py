"""`grade init DIR`: a fresh workspace with every exercise's stub."""

from __future__ import annotations

from pathlib import Path

import click

from grader import console
from grader.backups import backup
from grader.catalog import load_catalog
from grader.stubs import stub_source
from grader.workspace import Workspace


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Replace existing exercise files (each is backed up first).")
def command(directory: Path, force: bool) -> None:
    """Create a workspace in DIRECTORY (default: here) with the exercise stubs.

    Existing work is never overwritten unless --force is given, and even then
    every replaced file is first copied to DIRECTORY/.grade/backups/.
    """
    workspace = Workspace(directory.resolve())
    planned = [(workspace.exercise_path(ex), stub_source(ex.file)) for ex in load_catalog()]
    conflicts = [p for p, text in planned if p.exists() and p.read_text(encoding="utf-8") != text]
    if conflicts and not force:
        names = "\n".join(f"  {p}" for p in conflicts)
        console.echo(
            f"These files already exist and differ from the stubs; nothing was changed:\n{names}\n"
            "Use --force to replace them (each is backed up first), or `grade reset EXERCISE` for one.",
            err=True,
        )
        raise SystemExit(1)
    workspace.exercises_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for path, text in planned:
        if path.exists():
            if path.read_text(encoding="utf-8") == text:
                continue
            saved = backup(path, workspace.state_dir / "backups")
            console.echo(f"backed up {path.name} to {saved}")
        path.write_text(text, encoding="utf-8")
        written += 1
    console.echo(console.ok(f"Workspace ready in {workspace.root} ({written} stub(s) written)."))
    console.echo(f"Next: cd {workspace.root} && grade list, then edit exercises/ and run `grade exercise1`.")
