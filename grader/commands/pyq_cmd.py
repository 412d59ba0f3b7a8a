"""`grade pyq [ID]`: the past-year exam questions, with model answers.

Without an ID: a table of every question. With one: the question first, then
the model answer — after a keypress at a terminal, at once with `--answer`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from grader import console
from grader.commands.common import json_option


def _as_dict(pyq: Any) -> dict[str, Any]:
    from dataclasses import asdict

    from grader.course import strip_comments

    data = asdict(pyq)
    data["answer"] = strip_comments(pyq.answer)  # the annotations are for the project's tests
    data["session"] = pyq.session
    return data


def _links(pyq: Any) -> str:
    from grader.course import find_lesson

    lessons = []
    for relpath in pyq.lessons:
        lesson = find_lesson(relpath.rsplit("/", 1)[-1])
        lessons.append(f"`grade lesson {lesson.number}` ({lesson.title})")
    exercises = ", ".join(f"`grade {name}`" for name in pyq.exercises)
    return f"Read: {'; '.join(lessons)}\nPractise: {exercises}"


def _interactive() -> bool:
    """A person at a terminal (a keypress can be waited for)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _show_question(pyq: Any) -> None:
    marks = f"{pyq.marks} marks" + (" (assumed)" if pyq.marks_assumed else "")
    console.echo(console.bold(f"PYQ {pyq.number} · {pyq.session} · {marks}") + console.dim(f"   [{pyq.id}]"))
    if pyq.reconstructed:
        console.echo(console.style("Reconstructed wording: the notes do not quote this question.", fg="yellow"))
    console.echo(console.dim(pyq.note))
    console.echo()
    console.echo(console.bold("Question: ") + pyq.question)


def _show_answer(pyq: Any) -> None:
    from grader.course import strip_comments

    console.echo(console.bold("\nModel answer"))
    console.echo(strip_comments(pyq.answer))
    console.echo(console.bold("\nKey points a marker looks for"))
    for number, point in enumerate(pyq.key_points, start=1):
        console.echo(f"  {number}. {point}")
    console.echo()
    console.echo(console.dim(_links(pyq)))
    console.echo(console.dim("Practise with a self-score: grade quiz --kind pyq"))


def _table() -> None:
    from grader.course import load_pyqs

    console.echo(console.bold(f"{'id':<14} {'session':<10} {'Q':<3} {'marks':<6} question"))
    for pyq in load_pyqs():
        marks = f"{pyq.marks}{'*' if pyq.marks_assumed else ''}"
        question = pyq.question + (" (reconstructed)" if pyq.reconstructed else "")
        console.echo(f"{pyq.id:<14} {pyq.session:<10} {pyq.number:<3} {marks:<6} {question}")
    console.echo(console.dim("\n* marks assumed (not given in the notes). "
                             "Show one with `grade pyq ID`; add --answer for the model answer at once."))


@click.command("pyq")
@click.argument("pyq_id", metavar="[ID]", required=False)
@click.option("--answer", "show_answer", is_flag=True, help="Show the model answer straight away.")
@json_option
def command(pyq_id: str | None, show_answer: bool, as_json: bool) -> None:
    """Past-year exam questions (PYQs) with model answers and marking points.

    Without ID, list them. With ID (e.g. 2024-2b), show the question; the model
    answer follows after a keypress at a terminal, or at once with --answer.
    """
    from grader.course import UnknownPYQ, find_pyq, load_pyqs

    if pyq_id is None:
        if as_json:
            click.echo(json.dumps([_as_dict(q) for q in load_pyqs()], indent=2, ensure_ascii=False))
        else:
            _table()
        return
    try:
        pyq = find_pyq(pyq_id)
    except UnknownPYQ as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from None
    if as_json:
        click.echo(json.dumps(_as_dict(pyq), indent=2, ensure_ascii=False))
        return
    _show_question(pyq)
    if show_answer:
        _show_answer(pyq)
    elif _interactive():
        click.pause(console.dim("\nThink through your answer, then press any key for the model answer..."))
        _show_answer(pyq)
    else:
        console.echo(console.dim(f"\nTo see the model answer: grade pyq {pyq.id} --answer"))
