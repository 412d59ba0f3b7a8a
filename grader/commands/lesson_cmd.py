"""`grade lesson [N]`: list the lessons, or read one.

At a terminal the lesson is rendered (rich: headings, tables fitted to the
width, math as Unicode) and shown through a pager; the "Check yourself"
answers stay hidden until a key press after the pager closes. Piped or with
`--plain` it prints the Markdown itself (annotations removed, links made
absolute) — for `grade lesson 3 | glow -`. `--answers` shows the answers in
place in both modes.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

import click

from grader import console


def printable(markdown: str, lesson_dir: str) -> str:
    """The lesson without its annotations, with relative links made absolute (openable from anywhere)."""
    from pathlib import Path

    from grader.course import strip_comments
    from grader.reader import absolute_links

    return absolute_links(strip_comments(markdown), Path(lesson_dir))


def _interactive() -> bool:
    """A person at a terminal: render, page, wait for a key."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _figures_as_text(markdown: str) -> str:
    """A terminal cannot show the PNGs: say where each figure is."""
    return re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", r"*Figure: \1*  \n`\2`", markdown)


def _page(text: str) -> None:
    """Through $PAGER (default `less`; click falls back to printing when there is none).

    LESS=-R (unless LESS is set) keeps the colours and lets `q` quit at once.
    """
    os.environ.setdefault("LESS", "-R")
    click.echo_via_pager(text, color=console.colour_enabled())


@click.command("lesson")
@click.argument("lesson", metavar="[N]", required=False)
@click.option("--answers", is_flag=True, help="Show the 'Check yourself' answers in place.")
@click.option("--plain", is_flag=True, help="Print the Markdown source instead of rendering it (the default "
                                             "when the output is not a terminal).")
@click.option("--width", type=click.IntRange(40, 200), default=None,
              help="Render for this many columns (default: the terminal's, at most 100).")
def command(lesson: str | None, answers: bool, plain: bool, width: int | None) -> None:
    """The course lessons: list them, or read lesson N (a number or a name).

    At a terminal the lesson is rendered and paged, and the answers of its
    "Check yourself" questions are shown after a key press. Piped, it prints
    Markdown (e.g. `grade lesson 3 | glow -`); --answers keeps the answers in
    place. The web version of the course: `grade site OUT`.
    """
    from grader.course import UnknownLesson, find_lesson, load_lessons

    if lesson is None:
        titles = {item.number: item.title.split("·", 1)[-1].strip() for item in load_lessons()}
        room = 80 - 4 - 11  # the number column and the exercise column
        titles = {n: t if len(t) <= room else t[: room - 1] + "…" for n, t in titles.items()}
        column = max(len(t) for t in titles.values())
        console.echo(console.bold(f"{'#':>2}  {'title':<{column}} exercise"))
        for item in load_lessons():
            console.echo(f"{item.number:>2}  {titles[item.number]:<{column}} {item.exercise or '-'}")
        console.echo(console.dim("\nRead one with `grade lesson N`. Figures: `grade figures` (needs matplotlib);"
                                 "\nthe whole course as web pages: `grade site OUT`."))
        return
    try:
        found = find_lesson(lesson)
    except UnknownLesson as exc:
        raise click.BadParameter(str(exc), param_hint="N") from None

    from grader.reader import answers_markdown, prepare, render

    rich_mode = not plain and (_interactive() or width is not None)
    prepared = prepare(found, answers=answers)
    if not rich_mode:
        text = prepared.markdown.replace(": hidden)", f": hidden — `grade lesson {found.number} --answers`)")
        click.echo(text, nl=False)
        return
    columns = width or min(100, shutil.get_terminal_size((80, 24)).columns)
    colour = console.colour_enabled()
    page = render(_figures_as_text(prepared.markdown), width=columns, colour=colour)
    if _interactive():
        _page(page)
    else:
        click.echo(page, nl=False, color=colour)
    if not prepared.answers:
        return
    if _interactive():
        click.pause(console.dim(f"Press any key for the {len(prepared.answers)} 'Check yourself' answer(s)..."))
        click.echo(render(answers_markdown(prepared.answers), width=columns, colour=colour), nl=False, color=colour)
    else:
        console.echo(console.dim(f"Answers hidden: grade lesson {found.number} --answers"))
