"""Pieces shared by the sub-commands: options, argument types, workspace lookup."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.catalog import Exercise, UnknownExercise, resolve
from grader.workspace import Workspace, WorkspaceNotFound, find_workspace

F = TypeVar("F", bound=Callable[..., Any])


class ExerciseType(click.ParamType):
    """An exercise named any way the catalog allows; unknown names exit 2 with suggestions."""

    name = "EXERCISE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Exercise:
        if isinstance(value, Exercise):
            return value
        try:
            return resolve(str(value))
        except UnknownExercise as exc:
            self.fail(str(exc), param, ctx)


EXERCISE = ExerciseType()


def path_option(func: F) -> F:
    return click.option(
        "--path",
        "path",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The workspace (a folder holding exercises/). Default: found from the current folder upwards.",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


def workspace_from(path: Path | None) -> Workspace:
    """The workspace, or a usage error (exit 2) that says how to get one."""
    try:
        return find_workspace(path)
    except WorkspaceNotFound as exc:
        raise click.UsageError(str(exc)) from None


def file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def is_untouched_stub(workspace: Workspace, exercise: Exercise) -> bool:
    """True when the student's file is still exactly the generated stub."""
    from grader.stubs import stub_source

    path = workspace.exercise_path(exercise)
    try:
        return path.read_text(encoding="utf-8") == stub_source(exercise.file)
    except OSError:
        return True
