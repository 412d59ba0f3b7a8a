"""`grade lesson [N]`: list the lessons, or print one as plain Markdown."""

from __future__ import annotations

import re

import click

from grader import console


def printable(markdown: str, lesson_dir: str) -> str:
    """The lesson without its annotations, with relative links made absolute (openable from anywhere)."""
    from pathlib import Path

    from grader.course import strip_comments

    def absolute(match: re.Match[str]) -> str:
        target = match.group(2)
        if "://" in target or target.startswith("#"):
            return match.group(0)
        return f"{match.group(1)}({(Path(lesson_dir) / target).resolve()})"

    return re.sub(r"(!?\[[^\]]*\])\(([^)\s]+)\)", absolute, strip_comments(markdown))


@click.command("lesson")
@click.argument("lesson", metavar="[N]", required=False)
def command(lesson: str | None) -> None:
    """The course lessons: list them, or print lesson N (a number or a name) as Markdown.

    Pipe it into a Markdown viewer if you have one, e.g. `grade lesson 3 | glow -`.
    """
    from grader.course import UnknownLesson, find_lesson, load_lessons

    if lesson is None:
        console.echo(console.bold(f"{'#':>2}  {'title':<66} exercise"))
        for item in load_lessons():
            title = item.title.split("·", 1)[-1].strip()
            console.echo(f"{item.number:>2}  {title:<66} {item.exercise or '-'}")
        console.echo(console.dim("\nRead one with `grade lesson N`. Figures: `grade figures` (needs matplotlib)."))
        return
    try:
        found = find_lesson(lesson)
    except UnknownLesson as exc:
        raise click.BadParameter(str(exc), param_hint="N") from None
    click.echo(printable(found.text(annotations=True), str(found.path.parent)), nl=False)
