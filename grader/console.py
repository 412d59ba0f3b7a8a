"""Terminal output: colour only on a terminal, never with NO_COLOR.

Plain click styling (no rich) so that `grade list` stays as fast as bare click.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click


def colour_enabled(stream: Any = None) -> bool:
    """Colour iff the stream is a TTY and NO_COLOR is unset (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    stream = sys.stderr if err else sys.stdout
    click.echo(message, err=err, nl=nl, color=colour_enabled(stream))


def style(text: str, **kwargs: Any) -> str:
    """click.style; the ANSI codes are stripped again by `echo` when colour is off."""
    return click.style(text, **kwargs)


def ok(text: str) -> str:
    return style(text, fg="green")


def bad(text: str) -> str:
    return style(text, fg="red")


def dim(text: str) -> str:
    return style(text, dim=True)


def bold(text: str) -> str:
    return style(text, bold=True)


def progress_hidden() -> bool:
    """Progress bars only for a person watching: hidden when stderr is not a terminal."""
    isatty = getattr(sys.stderr, "isatty", None)
    return not (isatty and isatty())
