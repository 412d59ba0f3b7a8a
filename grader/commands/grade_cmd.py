"""`grade exerciseN` and `grade all`: run the hidden tests and report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from grader import console
from grader.catalog import Exercise, load_catalog
from grader.cli import finish
from grader.commands.common import file_sha, json_option, path_option, workspace_from
from grader.progress import ProgressStore
from grader.workspace import Workspace

EXIT_PASSED, EXIT_FAILED = 0, 1


def new_seed() -> int:
    """A fresh 6-digit seed (os.urandom: `secrets`/`random` cost an import each)."""
    return int.from_bytes(os.urandom(4), "little") % 1_000_000


def grading_options(func: Any) -> Any:
    func = click.option(
        "--seed", type=click.IntRange(0, 2**32 - 1), default=None,
        help="Seed for the random hidden inputs (printed on every run, so a failure can be reproduced).",
    )(func)
    func = click.option(
        "--timeout", type=click.FloatRange(0.1, 600), default=None,
        help="CPU seconds each call into your code may use (one that waits rather than computes is "
             "stopped after 4× that + 1 s); importing your file may use 4× that "
             "[default: 100× the reference's time, at least 0.5 and at most 5; importing 1.5].",
    )(func)
    func = click.option("--memory-mb", type=click.IntRange(64, 65536), default=None,
                        help="Memory limit of the process running your code [default: 2048].")(func)
    func = click.option("-v", "--verbose", is_flag=True, help="Show feedback for every failure, stubs included.")(func)
    func = click.option("--no-record", is_flag=True, help="Do not record this attempt in the progress database.")(func)
    return path_option(json_option(func))


def _limits(timeout: float | None, memory_mb: int | None) -> Any:
    from grader.sandbox.client import Limits

    return Limits.explicit(timeout, memory_mb)


def grade_one(workspace: Workspace, exercise: Exercise, *, seed: int, limits: Any, record: bool,
              only: frozenset[str] | None = None, engine: str | None = None) -> Any:
    """Grade one exercise; with `record`, also record the attempt (see `record_attempt`).

    `only` (the tests of `-k FUNCTION`) grades part of the exercise: that run is not an attempt.
    """
    from grader.runner import grade_file, start_student

    path = workspace.exercise_path(exercise)
    if not path.exists():
        raise click.UsageError(
            f"{path} does not exist. Restore the stub with `grade reset {exercise.name}`."
        )
    sha = file_sha(path)  # of the file graded, before the report is read and the file edited again
    # The worker first: it starts (and imports the student's file) while we import numpy below.
    student = start_student(exercise, path, limits)
    try:
        from grader.checking_symbolic import expected_feedback

        # Self-study: a wrong formula's expected answer is shown from the 4th wrong attempt at it.
        with expected_feedback(exercise.name, _wrong_answer_counts(workspace, exercise)) as feedback:
            result = grade_file(exercise, path, seed=seed, limits=limits, only=only, engine=engine,
                                student=student)
    finally:
        student.close()  # grade_file closes it too; this covers a failure before it ran
    result.file_sha = sha  # type: ignore[attr-defined]
    result.wrong_now = feedback.wrong_now  # type: ignore[attr-defined]
    if record and only is None:
        record_attempt(workspace, exercise, result)
    return result


def record_attempt(workspace: Workspace, exercise: Exercise, result: Any) -> bool:
    """Record an attempt after its report is printed; on failure say so in one line (stderr)."""
    from grader.progress import ProgressWriteError

    try:
        store = ProgressStore(workspace.progress_db)
        store.record_attempt(
            exercise.number, result.score, result.max_score, seed=result.seed,
            file_sha=getattr(result, "file_sha", None),
        )
        store.record_wrong_answers(exercise.number, getattr(result, "wrong_now", ()))
    except (ProgressWriteError, OSError) as exc:  # ProgressWriteError is an OSError too
        reason = exc.strerror or str(exc)
        click.echo(f"attempt not recorded: {reason}", err=True)
        return False
    return True


_WARNED_FILE = "sandbox-warning-shown"


def warn_if_unconfined(workspace: Workspace) -> None:
    """One line on stderr when graded code runs without filesystem confinement, once per workspace."""
    from grader.sandbox.layers import filesystem_reason

    # Not `detect()`: that waits for the zygote's probes, while grading can start now.
    why = filesystem_reason()
    if not why:
        return
    marker = workspace.state_dir / _WARNED_FILE
    if marker.exists():
        return
    click.echo(f"warning: your code runs without file-system confinement here ({why}); "
               "fine for self-study, see `grade doctor`.", err=True)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(why + "\n")
    except OSError:
        pass  # a read-only workspace: warned once per run instead


def _terminate_cleanly() -> None:
    """SIGTERM ends grading like Ctrl-C does: workers are ended and temp folders removed."""
    import signal

    def handler(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # pytest, running the hidden tests, would swallow a SystemExit

    signal.signal(signal.SIGTERM, handler)


def _wrong_answer_counts(workspace: Workspace, exercise: Exercise) -> dict[str, int]:
    """Earlier wrong attempts per function; none if the store cannot be read (never reveal then)."""
    import sqlite3

    try:
        return ProgressStore(workspace.progress_db).wrong_answer_counts(exercise.number)
    except (sqlite3.Error, OSError):
        return {}


def hidden_feedback_option(default: str) -> Any:
    """`--hidden-feedback summary|full`: how much of a failed hidden test is shown."""
    return click.option(
        "--hidden-feedback", "hidden_feedback", type=click.Choice(["summary", "full"]), default=default,
        show_default=True,
        help="summary: what each failed test checked, its points and the likely mistake (no inputs, no "
             "expected values; the default for graded routes); full: also the call, expected and got values.",
    )


def selected_tests(exercise: Exercise, function: str | None) -> frozenset[str] | None:
    """The test ids of `-k FUNCTION` (None = all); a usage error with "did you mean" for unknown names."""
    if function is None:
        return None
    import difflib

    from grader.testmap import reference_functions, test_functions

    names = reference_functions(exercise)
    if function not in names:
        close = difflib.get_close_matches(function, names, n=2, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise click.BadParameter(f"{exercise.name} has no function {function!r}.{hint} Its functions: "
                                 f"{', '.join(names)}.", param_hint="-k")
    return frozenset(t for t, funcs in test_functions(exercise).items() if function in funcs)


def next_step(workspace: Workspace, exercise: Exercise) -> str:
    """ "Next: grade exercise2 (Partial derivatives and the gradient)" — the first exercise after this one
    without full marks (then any earlier one); "" when the course is done."""
    exercises = load_catalog()
    best = ProgressStore(workspace.progress_db).best_scores()
    todo = [e for e in exercises if best.get(e.number, 0.0) < e.max_score and e.number != exercise.number]
    later = [e for e in todo if e.number > exercise.number] or todo
    if not later:
        return "That was the last exercise: the whole course has full marks. Try `grade quiz` or `grade pyq`."
    nxt = later[0]
    return f"Next: grade {nxt.name} ({nxt.title})"


def exercise_command(exercise: Exercise) -> click.Command:
    """The click command that grades one exercise (built per exercise for its help text)."""

    @click.command(exercise.name, help=f"Grade exercise {exercise.number}: {exercise.title}.\n\n"
                   f"Runs the hidden tests on exercises/{exercise.file}. Exit code 0 on full marks, 1 otherwise.")
    @grading_options
    @click.option("--first", is_flag=True, help="Stop at the first failing function: show its tests and the ones "
                  "before it.")
    @click.option("-k", "function", metavar="NAME", default=None,
                  help="Run only the tests of the function NAME (e.g. -k gradient_step); not recorded.")
    @hidden_feedback_option("full")
    def command(path: Path | None, as_json: bool, seed: int | None, timeout: float | None,
                memory_mb: int | None, verbose: bool, no_record: bool, first: bool, function: str | None,
                hidden_feedback: str) -> None:
        from grader.commands.report import render
        from grader.results import redact
        from grader.testmap import reference_functions

        workspace = workspace_from(path)
        _terminate_cleanly()
        warn_if_unconfined(workspace)
        only = selected_tests(exercise, function)
        seed = new_seed() if seed is None else seed
        result = grade_one(workspace, exercise, seed=seed, limits=_limits(timeout, memory_mb), record=False,
                           only=only)
        if only is None:
            from grader.commands.hint_cmd import save_last_result

            save_last_result(workspace, exercise, result, reference_functions(exercise))
        shown = redact(result, hidden_feedback)
        if as_json:
            click.echo(json.dumps(shown.to_gradescope(), indent=2))
        else:
            label = str(workspace.exercise_path(exercise).relative_to(workspace.root))
            following = next_step(workspace, exercise) if result.passed and only is None else ""
            console.echo(render(shown, file_label=label, verbose=verbose, first=first,
                                function_order=reference_functions(exercise), only=function or "",
                                next_step=following))
        sys.stdout.flush()  # the report first: recording may fail (read-only workspace, full disk)
        if not no_record and only is None:
            record_attempt(workspace, exercise, result)
        finish(EXIT_PASSED if result.passed else EXIT_FAILED)

    return command


@click.command("all")
@grading_options
def grade_all(path: Path | None, as_json: bool, seed: int | None, timeout: float | None,
              memory_mb: int | None, verbose: bool, no_record: bool) -> None:
    """Grade every exercise and show a summary table (exit 0 only if all are full marks)."""
    from grader.commands.report import render
    from grader.results import results_json

    workspace = workspace_from(path)
    _terminate_cleanly()
    warn_if_unconfined(workspace)
    seed = new_seed() if seed is None else seed
    limits = _limits(timeout, memory_mb)
    results = []
    exercises = load_catalog()
    with click.progressbar(exercises, label="Grading", file=sys.stderr,
                           item_show_func=lambda e: e.name if e else "",
                           hidden=console.progress_hidden()) as bar:
        for exercise in bar:
            results.append(grade_one(workspace, exercise, seed=seed, limits=limits, record=False))
    if as_json:
        click.echo(json.dumps(results_json(results), indent=2))
    else:
        if verbose:
            for result, exercise in zip(results, exercises, strict=True):
                label = str(workspace.exercise_path(exercise).relative_to(workspace.root))
                console.echo(render(result, file_label=label, verbose=True) + "\n")
        width = max(len(e.title) for e in exercises)
        console.echo(console.bold(f"{'exercise':<11} {'title':<{width}} {'score':>9}"))
        for result, exercise in zip(results, exercises, strict=True):
            score = f"{result.score:g}/{result.max_score:g}"
            mark = console.ok("✓") if result.passed else console.bad("✗")
            console.echo(f"{exercise.name:<11} {exercise.title:<{width}} {score:>9} {mark}")
        total = f"{sum(r.score for r in results):g}/{sum(r.max_score for r in results):g}"
        console.echo(console.bold(f"{'total':<{width + 12}} {total:>9}"))
        console.echo(console.dim(f"seed {seed}; details: grade exerciseN --seed {seed}"))
    sys.stdout.flush()
    if not no_record:
        for result, exercise in zip(results, exercises, strict=True):
            if not record_attempt(workspace, exercise, result):
                break  # one line is enough: the others would fail the same way
    finish(EXIT_PASSED if all(r.passed for r in results) else EXIT_FAILED)
