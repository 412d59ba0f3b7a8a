"""`grade batch`: grade a folder of submissions in parallel into a CSV gradebook."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from grader.commands.common import EXERCISE
from grader.commands.grade_cmd import hidden_feedback_option

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Progress:
    """Counts (graded, unchanged, failed) and an ETA: a bar on a terminal, a line a minute otherwise."""

    def __init__(self, total: int, workers: int) -> None:
        from grader import console

        self.total = total
        self.counts = {"graded": 0, "unchanged": 0, "failed": 0}
        self.done = 0
        self.tty = not console.progress_hidden()
        self.started = time.monotonic()
        self.graded_started: float | None = None
        self.last_line = self.started
        self.workers = workers

    def eta(self) -> str:
        fresh = self.counts["graded"] + self.counts["failed"]
        left = self.total - self.done
        if not fresh or self.graded_started is None or not left:
            return "--:--"
        rate = fresh / max(1e-6, time.monotonic() - self.graded_started)
        seconds = int(left / rate)
        return f"{seconds // 60:d}:{seconds % 60:02d}"

    def text(self) -> str:
        c = self.counts
        return (f"{self.done}/{self.total}  graded {c['graded']}, unchanged {c['unchanged']}, "
                f"failed {c['failed']}  ETA {self.eta()}")

    def update(self, status: str) -> None:
        if self.graded_started is None and status != "unchanged":
            self.graded_started = time.monotonic()
        self.counts[status] = self.counts.get(status, 0) + 1
        self.done += 1
        now = time.monotonic()
        if self.tty:
            width = 20
            filled = int(width * self.done / max(1, self.total))
            line = f"\r[{'#' * filled}{'-' * (width - filled)}] {self.text()}"
            click.echo(line[:79].ljust(79), nl=False, err=True)
        elif now - self.last_line >= 60 or self.done == self.total:
            click.echo(f"grading: {self.text()}", err=True)
            self.last_line = now

    def close(self) -> None:
        if self.tty:
            click.echo("", err=True)


@click.command("batch")
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for gradebook.csv, report.html and each student's results.json.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Submissions graded at once [default: one per CPU, each process pinned to its own].")
@click.option("--force", is_flag=True, help="Regrade everything, even submissions unchanged since the last run.")
@click.option("--exercise", "-e", "exercises", type=EXERCISE, multiple=True,
              help="Only this exercise (repeatable) [default: every exercise in the catalog].")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=None,
              help="CPU seconds each call into student code may use, as `grade exerciseN --timeout` "
                   "[default: 100× the reference's time, at least 0.5 and at most 5].")
@click.option("--budget", type=click.FloatRange(1, 36000), default=None,
              help="Wall seconds one submission (one exercise) may take in all before it is stopped "
                   "[default: the import plus every function timing out twice, plus 60].")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="One seed for every student's hidden inputs (debugging) [default: per student from "
                   "the course secret, else 2024].")
@click.option("--course-secret", "secret", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The course secret file [default: .grade-course-secret in SUBMISSIONS "
                                 "or a parent folder].")
@click.option("--scheduler", default=None, metavar="local|ADDRESS",
              help="Grade on a Dask cluster: 'local' starts one on this machine, or a scheduler address "
                   "such as tcp://10.0.0.5:8786 (needs the [cluster] extra).")
@click.option("--unsafe-no-sandbox", is_flag=True,
              help="Grade even though this machine offers no filesystem confinement for student code.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@hidden_feedback_option("summary")
def command(submissions: Path, out: Path, jobs: int | None, force: bool, exercises: tuple, timeout: float | None,
            budget: float | None, seed: int | None, secret: Path | None, scheduler: str | None,
            unsafe_no_sandbox: bool, as_json: bool, hidden_feedback: str) -> None:
    """Grade every student's submission under SUBMISSIONS into --out.

    \b
    SUBMISSIONS holds one folder per student, with their exerciseN_*.py files
    (bare, under exercises/, or deeper) or nbgrader notebooks
    (<student>/exercise1/exercise1.ipynb; an nbgrader course folder works too:
    its submitted/ is used). Writes, as it grades:
      OUT/gradebook.csv           student × exercise, total, notes
      OUT/<folder>/results.json   each student's results (Gradescope format)
      OUT/students.csv            student name → folder under OUT
      OUT/report.html, report.json   what the class got wrong
    Unchanged submissions are not regraded on a rerun unless --force; an
    interrupted batch (Ctrl-C) resumes where it stopped. Exit code 0 when
    every submission was graded (whatever the scores), 1 if grading failed
    for some, 130 when interrupted.
    """
    from grader.batch import choose_seeds, plan, run_batch, students_root
    from grader.catalog import load_catalog
    from grader.instructor.course_secret import SecretError
    from grader.instructor.notes import summary
    from grader.instructor.pool import default_jobs
    from grader.sandbox.client import Limits
    from grader.sandbox.layers import detect, filesystem_reason

    chosen = sorted({e.number: e for e in exercises}.values(), key=lambda e: e.number) or list(load_catalog())
    # Files are confined by Landlock alone, which needs no probe; the namespaces' probes (forks)
    # matter only for a cluster's network check.
    confined = not filesystem_reason()
    if not confined and not unsafe_no_sandbox:
        click.echo("grade batch: refusing to grade: this machine offers no filesystem confinement for "
                   "student code (grade doctor says which layers are missing), so a submission could read or "
                   "change its classmates' files and the outputs. Pass --unsafe-no-sandbox to grade anyway "
                   "(only for code you trust).", err=True)
        sys.exit(EXIT_USAGE)
    if not confined:
        click.echo("warning: grading WITHOUT filesystem confinement (--unsafe-no-sandbox).", err=True)
    if scheduler is not None and detect().network is None and not unsafe_no_sandbox:
        click.echo("grade batch: refusing --scheduler: student code is not kept off the network here, and "
                   "a Dask scheduler accepts work from anyone who can reach it. Pass --unsafe-no-sandbox "
                   "to use it anyway.", err=True)
        sys.exit(EXIT_USAGE)
    limits = Limits.explicit(timeout)  # --timeout means what it means for `grade exerciseN`
    root = students_root(submissions).resolve()
    resolved_out = out.resolve()
    if resolved_out == root or root in resolved_out.parents:
        raise click.UsageError(f"--out must not be inside {root} (it would be graded as a student)")
    try:
        seeds = choose_seeds(submissions, seed, secret)
    except SecretError as exc:
        raise click.UsageError(str(exc)) from None
    workers = jobs or default_jobs()
    planned = plan(submissions, chosen, seeds=seeds, limits=limits, budget=budget)
    planned.hidden_feedback = hidden_feedback
    if not planned.students:
        click.echo("No submissions found: expected one folder per student holding exercise files "
                   "or notebooks.", err=True)
    click.echo(f"Hidden inputs: {seeds.describe()}.", err=True)

    stop = _Interrupts()
    executor = None
    if scheduler is not None:
        from grader.instructor.dask_pool import DaskPool, DaskUnavailable

        try:
            executor = DaskPool(scheduler, workers=workers)
        except DaskUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    progress = _Progress(len(planned.entries), workers)
    with stop:
        report = run_batch(planned, out, jobs=workers, force=force, on_done=lambda g: progress.update(g.status),
                           stop=stop.requested, executor=executor, sweep=executor is None,
                           keep_results=False)
    progress.close()

    cached = sum(1 for g in report.graded if g.cached)
    missing = sum(1 for g in report.graded if g.missing and "not submitted" in g.kinds)
    if as_json:
        import json

        click.echo(json.dumps({
            "students": len(report.students), "exercises": [e.name for e in chosen], "graded": report.fresh,
            "unchanged": cached, "not_submitted": missing, "failed": len(report.failures),
            "notes": dict(report.kinds), "interrupted": report.interrupted, "seeds": seeds.describe(),
            "gradebook": str(out / "gradebook.csv"), "report": str(out / "report.html"),
            "failures": [{"student": g.student, "exercise": g.exercise, "error": g.error} for g in report.failures],
        }, indent=2))
    else:
        click.echo(
            f"{len(report.students)} students, {len(chosen)} exercise(s): graded {report.fresh}, "
            f"unchanged {cached} (cached; --force regrades), not submitted {missing}, "
            f"failed {len(report.failures)}."
        )
        if report.kinds:
            click.echo(f"Notes: {summary(report.kinds)}.")
        click.echo(f"Gradebook: {out / 'gradebook.csv'}   Report: {out / 'report.html'}")
    for graded in report.failures[:20]:
        click.echo(f"FAILED {graded.student} {graded.exercise}: {graded.error}", err=True)
    if len(report.failures) > 20:
        click.echo(f"… and {len(report.failures) - 20} more (see the notes column)", err=True)
    if report.interrupted:
        left = len(planned.entries) - len(report.graded)
        click.echo(f"Interrupted: {len(report.graded)} of {len(planned.entries)} kept, {left} not graded yet. "
                   "Run the same command again to resume (graded submissions are not regraded).", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_FAILED if report.failures else EXIT_OK)


class _Interrupts:
    """Ctrl-C (or SIGTERM) asks the batch to stop at once; a second one is ignored quietly.

    The coordinator polls `requested()` every 0.1 s, kills every worker and
    writes what was graded, so the stop takes well under 2 s.
    """

    def __init__(self) -> None:
        self.count = 0
        self._saved: dict[int, Any] = {}

    def requested(self) -> bool:
        return self.count > 0

    def _handler(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.count == 1:
            click.echo("\nStopping: keeping what is graded, stopping the workers…", err=True)

    def __enter__(self) -> _Interrupts:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._saved.items():
            # Once interrupted, later Ctrl-Cs are ignored while the batch writes its files and exits.
            signal.signal(sig, signal.SIG_IGN if self.count else handler)
