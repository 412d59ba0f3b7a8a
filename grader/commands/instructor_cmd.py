"""`grade instructor`: build an nbgrader course or a Gradescope autograder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from grader.commands.common import EXERCISE
from grader.commands.grade_cmd import hidden_feedback_option
from grader.instructor import DEFAULT_SEED

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@click.group("instructor")
def command() -> None:
    """Instructor tools: nbgrader course, student kit, Gradescope autograder.

    \b
      grade instructor nbgrader DIR      nbgrader course, one assignment each
      grade instructor student-kit DIR   stubs + worked-example checks only
      grade instructor gradescope A.zip  Gradescope autograder zip
      grade batch SUBMISSIONS --out DIR  grade a whole class
    """


def _exercise_option(func: Any) -> Any:
    return click.option("--exercise", "-e", "exercises", type=EXERCISE, multiple=True,
                        help="Only this exercise (repeatable) [default: every exercise in the catalog].")(func)


def _seed_option(what: str) -> Any:
    return click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=DEFAULT_SEED, show_default=True,
                        help=f"Seed of the random hidden inputs, fixed {what} so scores are reproducible.")


@command.command("nbgrader")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Write into an existing DIRECTORY, replacing nbgrader_config.py, README.md, templates/ and "
                   "source/ (the gradebook, submissions and course secret are kept).")
@click.option("--course-id", default="nn-learn", show_default=True, help="nbgrader's CourseDirectory.course_id.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Debugging: grade every student with this one seed instead of the per-student seeds "
                   "derived from the course secret.")
@_exercise_option
def nbgrader_command(directory: Path, force: bool, course_id: str, seed: int | None, exercises: tuple) -> None:
    """Write an nbgrader course directory to DIRECTORY.

    One assignment per exercise, source/exerciseN/exerciseN.ipynb, generated from
    the reference solutions: the docstrings as Markdown with LaTeX math, one
    solution cell per function, and one graded test cell per hidden test of
    `grade` (worth the catalog's points). Worked examples run in the student's
    notebook from baked values; `nbgrader autograde` grades every test outside
    the student's kernel, with per-student inputs seeded from the course secret
    (DIRECTORY/.grade-course-secret, created once, never released). Then, from
    DIRECTORY: `nbgrader generate_assignment exercise1`, `nbgrader autograde exercise1`.
    """
    try:
        import nbformat  # noqa: F401 -- only to fail early with an install hint
        import nbgrader  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "nbgrader is not installed: pip install 'nn-learn-grader[instructor]'"
        ) from None
    from grader.instructor.nbgrader_course import CourseExists, write_course

    try:
        written = write_course(directory, exercises=list(exercises) or None, course_id=course_id,
                               seed=seed, force=force)
    except CourseExists as exc:
        raise click.UsageError(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"\nNext: cd {directory} && nbgrader generate_assignment exercise1   (see {directory}/README.md)")
    click.echo("Keep .grade-course-secret private: it seeds every student's hidden inputs.")


@command.command("student-kit")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into an existing OUT, overwriting the kit's files.")
@_exercise_option
def student_kit_command(out: Path, force: bool, exercises: tuple) -> None:
    """Write the student kit for the .py route to OUT: stubs and worked-example checks, no answers.

    OUT holds exercises/exerciseN_*.py (the stubs), check_exerciseN.py (the
    worked examples with their values baked in; numpy only) and a README. It
    contains no reference solution, no hidden test and no hidden expected value:
    hand it to a graded class, then grade their files with `grade batch` or
    Gradescope. (The self-study package keeps its solutions; do not give a
    graded class `pip install nn-learn-grader`.)
    """
    from grader.instructor.student_kit import KitExists, write_kit

    try:
        written = write_kit(out, exercises=list(exercises) or None, force=force)
    except KitExists as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"wrote {len(written)} files to {out} (try: cd {out} && python check_exercise1.py)")


@command.command("gradescope")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="One seed for every submission's hidden inputs [default: per student from the course "
                   f"secret, else {DEFAULT_SEED}].")
@click.option("--course-secret", "secret", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The course secret file to bundle [default: .grade-course-secret in the "
                                 "current folder or a parent].")
@click.option("--student-id-field", type=click.Choice(["sid", "email", "id"]), default="sid", show_default=True,
              help="Which field of Gradescope's submission metadata names the student (use the ids your "
                   "nbgrader course and `grade batch` folders use).")
@click.option("--hidden-visibility", type=click.Choice(VISIBILITIES), default="after_published", show_default=True,
              help="Gradescope visibility of the hidden tests (worked-example tests are always visible).")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=None,
              help="Seconds each call into student code may take [default: 5].")
@click.option("--unsafe-no-sandbox", is_flag=True,
              help="Let the autograder grade even if the image offers no filesystem confinement.")
@hidden_feedback_option("summary")
@_exercise_option
def gradescope_command(out: Path, force: bool, seed: int | None, secret: Path | None, student_id_field: str,
                       hidden_visibility: str, timeout: float | None, unsafe_no_sandbox: bool,
                       hidden_feedback: str, exercises: tuple) -> None:
    """Build a Gradescope autograder zip at OUT.

    Upload OUT as the assignment's autograder. Students submit their
    exerciseN_*.py files (any folder layout, or an exercises/ folder); the
    autograder writes per-test results with the same hidden tests as `grade`,
    says which file it graded for each exercise, and grades as an
    unprivileged user. With a course secret (bundled, never shown to
    students) each student's hidden inputs are their own, the same as
    `grade batch` and nbgrader give them.
    """
    from grader.instructor.course_secret import SecretError, find_secret, load_secret
    from grader.instructor.gradescope import build_zip
    from grader.sandbox.client import DEFAULT_CALL_TIMEOUT

    if out.suffix != ".zip":
        raise click.UsageError(f"{out} should end in .zip")
    if out.exists() and not force:
        raise click.UsageError(f"{out} already exists; pass --force to overwrite it")
    secret_file = None if seed is not None else (secret or find_secret(Path.cwd()))
    if secret_file is not None:
        try:
            load_secret(secret_file)
        except SecretError as exc:
            raise click.UsageError(str(exc)) from None
    names = build_zip(out, exercises=[e.name for e in exercises], seed=DEFAULT_SEED if seed is None else seed,
                      hidden_visibility=hidden_visibility, hidden_feedback=hidden_feedback,
                      call_timeout=timeout if timeout is not None else DEFAULT_CALL_TIMEOUT,
                      secret=secret_file, student_id_field=student_id_field, unsafe_no_sandbox=unsafe_no_sandbox)
    graded = ", ".join(e.name for e in exercises) or "every exercise"
    seeds = (f"per-student seeds from {secret_file} (by {student_id_field})" if secret_file is not None
             else f"seed {DEFAULT_SEED if seed is None else seed} for everyone")
    click.echo(f"wrote {out} ({len(names)} files; grades {graded}, {seeds}, hidden tests {hidden_visibility})")
