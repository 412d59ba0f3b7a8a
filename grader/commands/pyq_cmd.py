"""`grade pyq [ID]`: the past-year exam questions, with model answers.

Without an ID: a table of every question. With one: the question first, then
the model answer with its diagram and its marking points (each with its
marks) — after a keypress at a terminal, at once with `--answer`. `--marks N`
picks the N-mark version of a question that has several.
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
    for version in data["versions"]:
        version["answer"] = strip_comments(version["answer"])
    data["session"] = pyq.session
    return data


def _links(pyq: Any) -> str:
    from grader.course import find_lesson

    lessons = []
    for relpath in pyq.lessons:
        lesson = find_lesson(relpath.rsplit("/", 1)[-1])
        lessons.append(f"`grade lesson {lesson.number}` ({lesson.title.split('·', 1)[-1].strip()})")
    exercises = ", ".join(f"`grade {name}`" for name in pyq.exercises)
    return "Read: " + "\n      ".join(lessons) + f"\nPractise: {exercises}"


def _interactive() -> bool:
    """A person at a terminal (a keypress can be waited for)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _marks_text(pyq: Any, version: Any) -> str:
    text = f"{version.marks} marks" + (" (assumed)" if pyq.marks_assumed else "")
    others = [str(v.marks) for v in pyq.all_versions if v.marks != version.marks]
    if others:
        text += f"; also asked for {' or '.join(others)} (--marks)"
    return text


def _show_question(pyq: Any, version: Any) -> None:
    console.echo(console.bold(f"{pyq.label} · {_marks_text(pyq, version)}") + console.dim(f"   [{pyq.id}]"))
    if pyq.reconstructed:
        console.echo(console.style("Reconstructed wording: the notes do not quote this question.", fg="yellow"))
    console.echo(console.dim(pyq.note))
    console.echo()
    console.echo(console.bold("Question: ") + version.question)


def _show_answer(pyq: Any, version: Any) -> None:
    from grader.course import strip_comments

    console.echo(console.bold(f"\nModel answer ({version.marks} marks)"))
    console.echo(strip_comments(version.answer))
    if pyq.diagram:
        console.echo(console.bold("\nDiagram"))
        console.echo(pyq.diagram)
        if pyq.caption:
            console.echo(console.dim(pyq.caption))
    console.echo(console.bold("\nKey points a marker looks for") + console.dim(f" (marks, out of {version.marks})"))
    for number, (point, marks) in enumerate(zip(version.key_points, version.point_marks, strict=True), start=1):
        console.echo(f"  {number}. [{marks}] {point}")
    console.echo()
    console.echo(console.dim(_links(pyq)))
    console.echo(console.dim("Practise with a self-score: grade quiz --kind pyq"))


def _table() -> None:
    from grader.course import load_pyqs

    console.echo(console.bold(f"{'id':<26} {'from':<10} {'marks':<6} question"))
    for pyq in load_pyqs():
        marks = "/".join(str(v.marks) for v in sorted(pyq.all_versions, key=lambda v: v.marks))
        marks += "*" if pyq.marks_assumed else ""
        source = (pyq.session + ("†" if pyq.reconstructed else "")) if pyq.source == "past-year" else "practice"
        question = pyq.question
        width = 80 - 45  # the table fits 80 columns
        if len(question) > width:
            question = question[: width - 1] + "…"
        console.echo(f"{pyq.id:<26} {source:<10} {marks:<6} {question}")
    console.echo(console.dim("\n* marks assumed (the notes give none)   † wording reconstructed (not quoted)\n"
                             "practice: an exam-style question, not from a paper\n"
                             "Show one with `grade pyq ID`; --answer for the model answer at once."))


@click.command("pyq")
@click.argument("pyq_id", metavar="[ID]", required=False)
@click.option("--answer", "show_answer", is_flag=True, help="Show the model answer straight away.")
@click.option("--marks", type=click.IntRange(1, 100), default=None,
              help="The version worth this many marks (when a question is asked for 5 and for 10).")
@json_option
def command(pyq_id: str | None, show_answer: bool, marks: int | None, as_json: bool) -> None:
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
    try:
        version = pyq.version(marks)
    except KeyError:
        offered = ", ".join(str(v.marks) for v in pyq.all_versions)
        raise click.BadParameter(f"{pyq.id} is asked for {offered} marks, not {marks}.", param_hint="--marks") from None
    if as_json:
        click.echo(json.dumps(_as_dict(pyq), indent=2, ensure_ascii=False))
        return
    _show_question(pyq, version)
    if show_answer:
        _show_answer(pyq, version)
    elif _interactive():
        click.pause(console.dim("\nThink through your answer, then press any key for the model answer..."))
        _show_answer(pyq, version)
    else:
        more = f" --marks {marks}" if marks is not None else ""
        console.echo(console.dim(f"\nTo see the model answer: grade pyq {pyq.id}{more} --answer"))
