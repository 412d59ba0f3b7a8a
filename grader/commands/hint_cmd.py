"""`grade hint EXERCISE [FUNCTION]`: reveal hints one at a time, for the function that needs them.

Hints are kept per function in the catalog (`[exercise.function_hints]`). Without
FUNCTION the hints are for the first function that failed in your last
`grade exerciseN` (or the first function of the file when it has not been
graded yet). Each call reveals one more hint of that function; earlier ones are
repeated. Exercises without per-function hints show their general hints.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from grader import console
from grader.catalog import Exercise
from grader.commands.common import EXERCISE, path_option, workspace_from
from grader.progress import ProgressStore
from grader.workspace import Workspace


def last_result_path(workspace: Workspace, exercise: Exercise) -> Path:
    return workspace.state_dir / "last" / f"{exercise.name}.json"


def save_last_result(workspace: Workspace, exercise: Exercise, result: object, order: tuple[str, ...]) -> None:
    """Remember which functions failed in this run (for `grade hint` and `grade watch`)."""
    tests = getattr(result, "tests", [])
    failing = {t.function for t in tests if t.status != "passed" and t.function}
    data = {"failing": [f for f in order if f in failing] + sorted(failing - set(order)),
            "passed": bool(getattr(result, "passed", False))}
    path = last_result_path(workspace, exercise)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a hint without the last result is still a hint


def _failing(workspace: Workspace, exercise: Exercise) -> list[str]:
    try:
        return list(json.loads(last_result_path(workspace, exercise).read_text(encoding="utf-8"))["failing"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _counters_path(workspace: Workspace) -> Path:
    return workspace.state_dir / "function_hints.json"


def reveal_next(workspace: Workspace, exercise: Exercise, function: str, total: int) -> int:
    """Count one more hint of `function` as shown (capped at `total`); return how many are shown now."""
    path = _counters_path(workspace)
    try:
        counters = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(counters, dict):
            counters = {}
    except (OSError, ValueError):
        counters = {}
    key = f"{exercise.name}.{function}"
    shown = min(total, int(counters.get(key, 0)) + 1)
    counters[key] = shown
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(counters, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return shown


def choose_function(workspace: Workspace, exercise: Exercise) -> tuple[str, str]:
    """(function, why): the first failing function of the last run, else the file's first function."""
    order = list(exercise.function_hints)
    for name in _failing(workspace, exercise):
        if name in exercise.function_hints:
            return name, "the first function that failed in your last run"
    return (order[0], "the first function of the file") if order else ("", "")


def render_hints(exercise: Exercise, function: str, why: str, shown: int, width: int) -> str:
    from grader.commands.report import wrap

    hints = exercise.function_hints[function]
    total = len(hints)
    lines = wrap(f"Hints for {exercise.name} · {function} ({why})", width, 0, 2)
    lines[0] = console.bold(lines[0])
    for i, hint in enumerate(hints[:shown], start=1):
        marker = f"[{i}/{total}]"
        body = wrap(f"{marker} {hint}", width, 0, len(marker) + 1)
        body[0] = console.style(marker, fg="cyan" if i == shown else None) + body[0][len(marker):]
        lines += [*body, ""]
    if shown < total:
        tail = f"Run `grade hint {exercise.name} {function}` again for the next hint."
    else:
        tail = (f"That was the last hint for {function}: the last step is yours. "
                f"`grade solution {exercise.name}` shows the reference.")
    lines += [console.dim(line) for line in wrap(tail, width)]
    others = [f for f in exercise.function_hints if f != function]
    if others:
        lines += [console.dim(line) for line in
                  wrap(f"Other functions: grade hint {exercise.name} NAME, with NAME one of {', '.join(others)}.",
                       width, 0, 2)]
    return "\n".join(lines)


@click.command("hint")
@click.argument("exercise", type=EXERCISE)
@click.argument("function", required=False)
@click.option("--all", "show_all", is_flag=True, help="Show every hint (of the function) at once.")
@path_option
def command(exercise: Exercise, function: str | None, show_all: bool, path: Path | None) -> None:
    """Show the next of several progressive hints for EXERCISE.

    The hints are for FUNCTION, or else for the first function that failed in
    your last `grade EXERCISE`. Each call reveals one more hint (they get more
    specific, and the last still leaves you a step); earlier ones are repeated.
    """
    from grader.commands.report import terminal_width

    workspace = workspace_from(path)
    width = terminal_width()
    if exercise.function_hints:
        if function is None:
            function, why = choose_function(workspace, exercise)
        elif function not in exercise.function_hints:
            import difflib

            close = difflib.get_close_matches(function, list(exercise.function_hints), n=2, cutoff=0.5)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise click.BadParameter(f"{exercise.name} has no function {function!r}.{hint} Its functions: "
                                     f"{', '.join(exercise.function_hints)}.", param_hint="FUNCTION")
        else:
            why = "as asked"
        total = len(exercise.function_hints[function])
        shown = total if show_all else reveal_next(workspace, exercise, function, total)
        console.echo(render_hints(exercise, function, why, shown, width))
        return

    if function is not None:
        raise click.BadParameter(f"{exercise.name} has no per-function hints; run `grade hint {exercise.name}`.",
                                 param_hint="FUNCTION")
    store = ProgressStore(workspace.progress_db)
    total = len(exercise.hints)
    shown = total if show_all else store.reveal_next_hint(exercise.number, total)
    console.echo(console.bold(f"Hints for {exercise.name} · {exercise.title}"))
    for i, hint in enumerate(exercise.hints[:shown], start=1):
        marker = console.style(f"[{i}/{total}]", fg="cyan" if i == shown else None)
        console.echo(f"{marker} {hint}\n")
    if shown < total:
        console.echo(console.dim(f"Run `grade hint {exercise.name}` again for the next hint."))
    else:
        console.echo(console.dim(f"That was the last hint. `grade solution {exercise.name}` shows the reference."))
