"""The `grade` command line: a lazy click group.

Sub-commands are imported only when invoked, so `grade --help` and
`grade list` load neither numpy nor sympy. Exercise names (`exercise3`, `3`,
`chain-rule`) are commands too: they grade that exercise.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any


def _as_program() -> bool:
    return __name__ == "__main__" or os.path.basename(sys.argv[0]) == "grade"


def _no_prewarm() -> bool:
    return bool(os.environ.get("GRADE_NO_PREWARM")) or bool({"-h", "--help"} & set(sys.argv[1:]))


def _start_zygote_early() -> None:
    """`grade exerciseN` (or `grade N`) as a program: start the sandbox's zygote before anything else.

    The zygote is a fresh interpreter that imports numpy (and sympy for some
    exercises) on its own; begun before this process imports click, the catalog
    and numpy, it does that on the other core meanwhile. Exercise slugs are
    recognised later, from the catalog (`_prewarm`).
    """
    if len(sys.argv) > 1 and re.fullmatch(r"(exercise)?\d{1,2}", sys.argv[1]) and not _no_prewarm():
        from grader.sandbox.zygote import shared_zygote

        shared_zygote(())


if _as_program():
    _start_zygote_early()

import click  # noqa: E402  (after the zygote has started)

from grader import __version__  # noqa: E402

# name -> (module, attribute, one-line help shown by `grade --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "list": ("grader.commands.list_cmd", "command", "List every exercise with its status and best score."),
    "all": ("grader.commands.grade_cmd", "grade_all", "Grade every exercise and show a summary table."),
    "hint": ("grader.commands.hint_cmd", "command", "Show the next progressive hint for an exercise."),
    "solution": ("grader.commands.solution_cmd", "command", "Show the reference solution of an exercise."),
    "progress": ("grader.commands.progress_cmd", "command", "Attempts, best scores and quiz results over time."),
    "init": ("grader.commands.init_cmd", "command", "Create a fresh workspace with the exercise stubs."),
    "reset": ("grader.commands.reset_cmd", "command", "Restore an exercise's stub (your file is backed up)."),
    "dev": ("grader.commands.dev_cmd", "command", "Authoring tools: regenerate stubs, check the catalog."),
    "instructor": ("grader.commands.instructor_cmd", "command", "Build an nbgrader course or a Gradescope autograder."),
    "batch": ("grader.commands.batch_cmd", "command", "Grade a class's submissions in parallel into a CSV gradebook."),
    "lesson": ("grader.commands.lesson_cmd", "command", "List the lessons, or read lesson N (rendered and paged)."),
    "pyq": ("grader.commands.pyq_cmd", "command", "Past-year exam questions with model answers."),
    "quiz": ("grader.commands.quiz_cmd", "command", "Exam practice: randomised questions checked as you answer."),
    "plot": ("grader.commands.plot_cmd", "command", "Draw your code's run beside the reference (needs matplotlib)."),
    "figures": ("grader.commands.figures_cmd", "command", "Regenerate the course figures as PNGs (needs matplotlib)."),
    "doctor": ("grader.commands.doctor_cmd", "command", "Show which sandbox layers confine graded code here."),
    "watch": ("grader.commands.watch_cmd", "command", "Re-grade an exercise on every save (keys: h l n r q)."),
    "site": ("grader.commands.site_cmd", "command", "Write the course as static web pages (lessons, exam questions)."),
}


def _prewarm(preload: tuple[str, ...]) -> None:
    """Start the sandbox's zygote now, before this process imports numpy and pytest.

    The zygote is a fresh interpreter that imports numpy (and sympy for some
    exercises) on its own; begun here it does so on the other core while we
    import the grading code, instead of after it. Not for `--help`. When it is
    running already (`_start_zygote_early`), the worker's start asks for the
    preloads: waiting for the zygote here would hold up this process.
    """
    if _no_prewarm():
        return
    from grader.sandbox.zygote import running_zygote, shared_zygote

    if running_zygote() is None:
        shared_zygote(preload)


class LazyGroup(click.Group):
    """A group whose sub-commands live in modules imported on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built: dict[str, click.Command] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr, _ = COMMANDS[cmd_name]
            return getattr(importlib.import_module(module_name), attr)
        from grader.catalog import UnknownExercise, resolve

        try:
            exercise = resolve(cmd_name)
        except UnknownExercise:
            return None
        # click asks twice (resolving, then invoking): build each exercise's command once.
        command = self._built.get(exercise.name)
        if command is None:
            _prewarm(exercise.preload)
            from grader.commands.grade_cmd import exercise_command

            command = self._built[exercise.name] = exercise_command(exercise)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        command = self.get_command(ctx, name)
        if command is None and not name.startswith("-"):
            import difflib

            from grader.catalog import load_catalog

            names = list(COMMANDS) + [n for ex in load_catalog() for n in (ex.name, ex.slug)]
            close = difflib.get_close_matches(name.lower(), names, n=2, cutoff=0.5)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise click.UsageError(
                f"No command or exercise called {name!r}.{hint} "
                "Run `grade list` for the exercises, `grade --help` for the commands.",
                ctx,
            )
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        rows.insert(0, ("exerciseN", "Grade exercise N (also `grade N` or its slug, e.g. `grade update-rule`)."))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def cli() -> None:
    """Auto-graded exercises on how neural networks learn.

    \b
    Start here:
      grade list            what there is to do
      grade exercise1       grade exercise 1 (the update rule)
      grade hint exercise1  stuck? the next hint
    """


# Set by `main` (the console script), never by in-process callers such as tests:
# grading commands may then end the process without interpreter teardown.
FAST_EXIT = False


def finish(code: int) -> None:
    """Exit with `code`; as the console script, skip the interpreter's teardown.

    Unloading numpy, pytest and sympy module by module costs 0.03–0.12 s and
    does nothing a finished grading run needs (output is flushed first).
    """
    if FAST_EXIT:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> Any:
    global FAST_EXIT
    FAST_EXIT = True
    return cli.main(args=argv, prog_name="grade")


if __name__ == "__main__":  # pragma: no cover
    # `python -m grader.cli` runs this file as __main__; call the real module's main so
    # the FAST_EXIT flag is set where the commands read it.
    from grader.cli import main as _main

    sys.exit(_main())
