"""`grade dev`: tools for authors of exercises (not needed by students)."""

from __future__ import annotations

from pathlib import Path

import click

from grader import console
from grader.stubs import SOLUTIONS_DIR

REPO_EXERCISES = SOLUTIONS_DIR.parent / "exercises"


@click.group("dev")
def command() -> None:
    """Authoring tools: regenerate stubs from solutions, check the catalog."""


@command.command("sync")
@click.option("--exercises-dir", type=click.Path(file_okay=False, path_type=Path), default=REPO_EXERCISES,
              show_default=True, help="Where the generated stubs go.")
def sync(exercises_dir: Path) -> None:
    """Regenerate exercises/ from solutions/ (nbgrader-style marker stripping)."""
    from grader.authoring import sync_stubs

    written = sync_stubs(exercises_dir)
    for path in written:
        console.echo(f"wrote {path}")
    console.echo(console.ok(f"{len(written)} stub(s) updated; the rest were already in sync."))


@command.command("check")
@click.option("--exercises-dir", type=click.Path(file_okay=False, path_type=Path), default=REPO_EXERCISES,
              show_default=True, help="The generated stubs to compare against solutions/.")
def check(exercises_dir: Path) -> None:
    """Check that catalog, solutions, hidden tests and stubs agree (exit 1 if not)."""
    from grader.authoring import catalog_problems, stub_drift

    problems = catalog_problems() + stub_drift(exercises_dir)
    for problem in problems:
        console.echo(console.bad("✗ ") + problem)
    if problems:
        raise SystemExit(1)
    console.echo(console.ok("✓ catalog, solutions, hidden tests and stubs agree"))
