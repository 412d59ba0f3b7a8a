"""`grade watch [EXERCISE]`: re-grade on every save, in a warm process.

numpy, pytest, the reference solution and the hidden tests are loaded once;
each save of the exercise's file (seen by `watchfiles`) forks a fresh sandboxed
worker from this warm process and re-runs the hidden tests, so feedback comes
within a few tenths of a second. Below the report a progress bar of the whole
course is always shown, with the keys: h hint, l list, n next exercise,
r re-run, q quit (Ctrl-C quits too).

Without a terminal (stdin not a TTY) keys are read as characters from stdin,
one per line or not; end of input only stops the key reader.
"""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from grader import console
from grader.catalog import Exercise, load_catalog
from grader.commands.common import EXERCISE, path_option, workspace_from
from grader.progress import ProgressStore
from grader.workspace import Workspace

KEYS = "h hint · l list · n next exercise · r re-run · q quit"
#: Printed after every rendered report, so a script (the benchmark) can see it is complete.
RENDERED = "── watching"


def course_bar(workspace: Workspace, width: int) -> str:
    """`Course ███░░░ 3/10 exercises · 52/180 points`, sized to `width`."""
    exercises = load_catalog()
    best = ProgressStore(workspace.progress_db).best_scores()
    done = sum(1 for e in exercises if best.get(e.number, 0.0) >= e.max_score)
    points = sum(min(best.get(e.number, 0.0), e.max_score) for e in exercises)
    total = sum(e.max_score for e in exercises)
    text = f" {done}/{len(exercises)} exercises · {points:g}/{total:g} points"
    room = max(10, width - len("Course ") - len(text) - 1)
    filled = round(room * points / total) if total else 0
    return "Course " + console.ok("█" * filled) + console.dim("░" * (room - filled)) + text


def first_unfinished(workspace: Workspace, after: int = 0) -> Exercise:
    """The first exercise after number `after` without full marks (wrapping round); exercise 1 if all are done."""
    exercises = load_catalog()
    best = ProgressStore(workspace.progress_db).best_scores()
    todo = [e for e in exercises if best.get(e.number, 0.0) < e.max_score]
    later = [e for e in todo if e.number > after] or todo
    return later[0] if later else exercises[0]


@contextmanager
def _cbreak(stream: Any) -> Any:
    """Single key presses without Enter on a terminal; nothing changes otherwise."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield
        return
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _read_key(timeout: float) -> str | None:
    """One key from stdin within `timeout` seconds; "" at end of input, None when nothing came."""
    try:
        fd = sys.stdin.fileno()
    except (OSError, ValueError, AttributeError):
        time.sleep(timeout)
        return None
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    data = os.read(fd, 1)
    return data.decode("utf-8", "replace") if data else ""


class Watcher:
    """The warm grading loop for one workspace."""

    def __init__(self, workspace: Workspace, exercise: Exercise, *, seed: int | None, record: bool,
                 width: int | None) -> None:
        self.workspace = workspace
        self.exercise = exercise
        self.seed = seed
        self.record = record
        self.width = width
        self.tty = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
        self.events: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()
        self.last_passed = False

    # -- grading -------------------------------------------------------------
    def warm_up(self) -> None:
        """Import what every run needs once, before the first save."""
        import importlib

        import grader.runner

        for name in ("numpy", *self.exercise.preload):
            importlib.import_module(name)
        grader.runner._hidden_module(self.exercise)  # the hidden tests, imported once

    def grade(self) -> None:
        from grader.commands.grade_cmd import _limits, grade_one, new_seed, next_step
        from grader.commands.hint_cmd import save_last_result
        from grader.commands.report import render, terminal_width
        from grader.testmap import reference_functions

        exercise = self.exercise
        path = self.workspace.exercise_path(exercise)
        if not path.exists():
            self._show(f"{path} does not exist: restore it with `grade reset {exercise.name}`.")
            return
        seed = new_seed() if self.seed is None else self.seed
        result = grade_one(self.workspace, exercise, seed=seed, limits=_limits(None, None), record=self.record,
                           engine="direct")
        save_last_result(self.workspace, exercise, result, reference_functions(exercise))
        width = terminal_width(self.width)
        label = str(path.relative_to(self.workspace.root))
        text = render(result, file_label=label, width=width, function_order=reference_functions(exercise),
                      first=not result.passed and self.tty)
        if result.passed:
            from grader.commands.report import wrap

            following = next_step(self.workspace, exercise)
            done = "Full marks: congratulations!"
            if following.startswith("Next:"):
                done += " " + following.replace("Next: grade ", "Press n for the next exercise, ")
            text += "\n" + "\n".join(console.ok(line) for line in wrap(done, width))
        self.last_passed = result.passed
        self._show(text)

    def _show(self, text: str) -> None:
        from grader.commands.report import terminal_width

        width = terminal_width(self.width)
        if self.tty:
            click.clear()
        console.echo(text)
        console.echo("")
        console.echo(course_bar(self.workspace, width))
        status = f"{RENDERED} {self.exercise.name} · {KEYS}"
        console.echo(console.dim(status if len(status) <= width else f"{RENDERED} {self.exercise.name}\n{KEYS}"))
        sys.stdout.flush()

    # -- keys ------------------------------------------------------------------
    def key(self, key: str) -> bool:
        """Act on a key; False means quit."""
        key = key.lower()
        if key == "q":
            return False
        if key == "r":
            self.grade()
        elif key == "n":
            self.switch(first_unfinished(self.workspace, after=self.exercise.number))
        elif key == "h":
            self.hint()
        elif key == "l":
            self.listing()
        return True

    def switch(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.warm_up()
        self.grade()

    def hint(self) -> None:
        from grader.commands.hint_cmd import choose_function, render_hints, reveal_next
        from grader.commands.report import terminal_width

        exercise = self.exercise
        if not exercise.function_hints:
            self._show(f"`grade hint {exercise.name}` shows this exercise's hints.")
            return
        function, why = choose_function(self.workspace, exercise)
        shown = reveal_next(self.workspace, exercise, function, len(exercise.function_hints[function]))
        self._show(render_hints(exercise, function, why, shown, terminal_width(self.width)))

    def listing(self) -> None:
        from grader.commands.list_cmd import render_list

        self._show(render_list(self.workspace))

    # -- the loop ----------------------------------------------------------------
    def _watch_files(self) -> None:
        import watchfiles

        target = None
        try:
            for changes in watchfiles.watch(self.workspace.exercises_dir, stop_event=self.stop, debounce=200,
                                            step=15, rust_timeout=500, yield_on_timeout=False,
                                            raise_interrupt=False):
                target = self.workspace.exercise_path(self.exercise).resolve()
                if any(Path(p).resolve() == target and kind != watchfiles.Change.deleted for kind, p in changes):
                    self.events.put("save")
        except Exception as exc:  # the watcher dying must not leave the loop waiting forever
            self.events.put(f"error:{exc}")

    def run(self) -> None:
        self.warm_up()
        thread = threading.Thread(target=self._watch_files, name="grade-watch", daemon=True)
        thread.start()
        self.grade()
        keys_open = True
        with _cbreak(sys.stdin):
            try:
                while True:
                    try:
                        event = self.events.get(timeout=0.0 if keys_open else 0.2)
                    except queue.Empty:
                        event = None
                    if event == "save":
                        while not self.events.empty():  # several writes of one save: grade once
                            self.events.get_nowait()
                        self.grade()
                        continue
                    if event and event.startswith("error:"):
                        console.echo(console.bad(f"file watching stopped: {event[6:]}"), err=True)
                        return
                    if keys_open:
                        key = _read_key(0.05)
                        if key == "":
                            keys_open = False  # end of input: keep watching files
                        elif key and not key.isspace() and not self.key(key):
                            return
            except KeyboardInterrupt:
                pass
            finally:
                self.stop.set()
                thread.join(timeout=2)
        console.echo(console.dim("Stopped watching."))


@click.command("watch")
@click.argument("exercise", type=EXERCISE, required=False)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Seed for the hidden inputs [default: a fresh one every run].")
@click.option("--no-record", is_flag=True, help="Do not record the runs in the progress database.")
@click.option("--width", type=click.IntRange(80, 400), default=None, hidden=True)
@path_option
def command(exercise: Exercise | None, seed: int | None, no_record: bool, width: int | None,
            path: Path | None) -> None:
    """Re-grade EXERCISE every time you save its file.

    EXERCISE defaults to the first one without full marks. Keys: h hint,
    l list, n next exercise, r re-run, q quit.
    """
    workspace = workspace_from(path)
    exercise = exercise or first_unfinished(workspace)
    Watcher(workspace, exercise, seed=seed, record=not no_record, width=width).run()
