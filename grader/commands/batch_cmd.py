"""`grade batch`: grade a folder of submissions in parallel into a CSV gradebook."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader import console
from grader.commands.common import EXERCISE
from grader.instructor import DEFAULT_SEED

EXIT_OK, EXIT_FAILED = 0, 1


@click.command("batch")
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for gradebook.csv and each student's results.json.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Submissions graded at once [default: the number of CPUs].")
@click.option("--force", is_flag=True, help="Regrade everything, even submissions unchanged since the last run.")
@click.option("--exercise", "-e", "exercises", type=EXERCISE, multiple=True,
              help="Only this exercise (repeatable) [default: every exercise in the catalog].")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=None,
              help="Seconds each call into student code may take [default: 5].")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=DEFAULT_SEED, show_default=True,
              help="Seed of the random hidden inputs (the same for every student).")
def command(submissions: Path, out: Path, jobs: int | None, force: bool, exercises: tuple,
            timeout: float | None, seed: int) -> None:
    """Grade every student's submission under SUBMISSIONS into --out.

    \b
    SUBMISSIONS holds one folder per student, with their exerciseN_*.py files
    (bare, under exercises/, or deeper) or nbgrader notebooks
    (<student>/exercise1/exercise1.ipynb; an nbgrader course folder works too:
    its submitted/ is used). Writes OUT/gradebook.csv (student × exercise,
    total) and OUT/<student>/results.json (Gradescope format). Unchanged
    submissions are not regraded on a rerun unless --force. Exit code 0 when
    every submission was graded (whatever the scores), 1 if grading failed.
    """
    from grader.batch import plan, run_batch, students_root
    from grader.catalog import load_catalog
    from grader.sandbox.client import Limits

    chosen = sorted({e.number: e for e in exercises}.values(), key=lambda e: e.number) or list(load_catalog())
    defaults = Limits()
    limits = Limits(
        call_timeout=timeout if timeout is not None else defaults.call_timeout,
        import_timeout=max(defaults.import_timeout, timeout or 0),
        memory_mb=defaults.memory_mb,
    )
    root = students_root(submissions).resolve()
    if out.resolve() == root or root in out.resolve().parents:
        raise click.UsageError(f"--out must not be inside {root} (it would be graded as a student)")
    workers = jobs or os.cpu_count() or 1
    planned = plan(submissions, chosen, seed=seed, limits=limits)
    if not planned.students:
        click.echo("No submissions found: expected one folder per student holding exercise files "
                   "or notebooks.", err=True)
    with click.progressbar(length=len(planned.jobs), label=f"Grading ({workers} jobs)", file=sys.stderr,
                           show_pos=True, hidden=console.progress_hidden()) as bar:
        report = run_batch(planned, out, jobs=workers, force=force, on_done=lambda graded: bar.update(1))

    cached = sum(1 for g in report.graded if g.cached)
    click.echo(
        f"{len(report.students)} students, {len(chosen)} exercise(s): graded {report.fresh}, "
        f"unchanged {cached} (cached; --force regrades), not submitted "
        f"{sum(1 for g in report.graded if g.missing)}. Seed {seed}."
    )
    click.echo(f"Gradebook: {out / 'gradebook.csv'}")
    for graded in report.failures:
        click.echo(f"FAILED {graded.student} {graded.exercise}: {graded.error}", err=True)
    sys.exit(EXIT_FAILED if report.failures else EXIT_OK)
