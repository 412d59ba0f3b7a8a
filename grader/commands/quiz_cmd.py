"""`grade quiz`: randomised exam practice, answers typed one per line.

Works the same at a terminal and with answers piped in (one line per
answer), so it can be scripted and tested; the end of the input ends the quiz
cleanly with the partial result. Questions come from `grader.quiz`.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any

import click

from grader import console
from grader.commands.common import path_option
from grader.quiz import KINDS, TOPICS

MAX_INVALID = 3  # unreadable answers in a row before a question counts as wrong


def _stdin_is_tty() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty())


def read_line(prompt: str) -> str | None:
    """One line from stdin, or None at the end of the input (or Ctrl-C / Ctrl-D)."""
    console.echo(console.bold(prompt), nl=False)
    try:
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        line = ""
    if not line:
        console.echo()
        return None
    if not _stdin_is_tty():
        console.echo(line.rstrip("\n"))  # show scripted answers, so the transcript reads like a dialogue
    return line.rstrip("\n")


def _ask_pyq(question: Any) -> Any:
    """Show the model answer and its key points; the student ticks the points they made."""
    if _stdin_is_tty() and read_line("Write your answer (on paper), then press Enter for the model answer. ") is None:
        return None
    console.echo(console.bold("\nModel answer"))
    console.echo(question.solution)
    console.echo(console.bold("\nKey points a marker looks for"))
    for number, point in enumerate(question.key_points, start=1):
        console.echo(f"  {number}. {point}")
    return _ask(question, "Which key points did your answer make? (e.g. 1 3 4, 'all' or 'none') > ")


def _ask(question: Any, prompt: str = "answer> ") -> Any:
    from grader.quiz import Verdict

    for _ in range(MAX_INVALID):
        line = read_line(prompt)
        if line is None:
            return None
        verdict = question.check(line)
        if verdict.status != "invalid":
            return verdict
        console.echo(console.style(verdict.message, fg="yellow"))
    return Verdict("wrong", 0.0, "Three unreadable answers: counted as wrong, moving on.")


def _workspace_store(path: Path | None) -> Any:
    from grader.progress import ProgressStore
    from grader.workspace import WorkspaceNotFound, find_workspace

    try:
        return ProgressStore(find_workspace(path).progress_db)
    except WorkspaceNotFound as exc:
        if path is not None:
            raise click.UsageError(str(exc)) from None
        console.echo(console.dim("(No workspace here, so this quiz is not recorded; pass --path DIR.)"))
        return None


@click.command("quiz")
@click.option("--topic", type=click.Choice(TOPICS), default=None, help="Only questions on this topic.")
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="Only numeric, symbolic (formulas) or pyq (past-year, self-scored) questions.")
@click.option("--count", type=click.IntRange(1, 50), default=5, show_default=True, help="Number of questions.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Seed of the random questions (printed, so a quiz can be repeated).")
@path_option
def command(topic: str | None, kind: str | None, count: int, seed: int | None, path: Path | None) -> None:
    """Exam practice: randomised questions checked as you answer.

    \b
    Numeric answers: numbers separated by commas, e.g. 2.4, 3.2 (fractions like 1/3 work).
    Formulas: Python syntax, e.g. 2*x*y + 3 or (3*x + 1)**2; any equivalent form is right.
    Past-year questions: read the model answer, then type the numbers of the key points you made.

    Answers can be piped in, one per line. Results are recorded in the
    workspace's progress (`grade progress`). Exit code 0 when every answer is right.
    """
    from grader.quiz import make_quiz

    seed = secrets.randbelow(1_000_000) if seed is None else seed
    store = _workspace_store(path)
    try:
        questions = make_quiz(seed, count, topic, kind)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    console.echo(console.bold(f"Quiz · {len(questions)} question(s) · seed {seed}")
                 + console.dim(f"   (repeat it with --seed {seed})"))
    results: list[tuple[Any, Any]] = []
    for number, question in enumerate(questions, start=1):
        console.echo("\n" + console.bold(f"Question {number}/{len(questions)}")
                     + console.dim(f" · {question.topic} · {question.kind}"))
        console.echo(question.prompt)
        verdict = _ask_pyq(question) if question.kind == "pyq" else _ask(question)
        if verdict is None:
            break
        mark = console.ok("✓") if verdict.correct else console.bad("✗")
        console.echo(f"{mark} {verdict.message}")
        if question.kind != "pyq":
            console.echo(console.dim(f"  Solution: {question.solution}"))
        results.append((question, verdict))
        if store is not None:
            store.record_quiz(topic=question.topic, kind=question.kind, question=question.title,
                              score=verdict.score, max_score=question.max_score, seed=seed)
    _summary(questions, results)
    all_right = len(results) == len(questions) and all(v.correct for _, v in results)
    sys.exit(0 if all_right else 1)


def _summary(questions: list[Any], results: list[tuple[Any, Any]]) -> None:
    console.echo()
    if len(results) < len(questions):
        console.echo(console.style(
            f"Quiz ended early (end of input): {len(results)} of {len(questions)} answered.", fg="yellow"))
    # Every question weighs 1 in the total; a PYQ's self-score is its fraction of key points.
    total = sum(v.score / q.max_score for q, v in results)
    right = sum(v.correct for _, v in results)
    console.echo(console.bold(f"Score: {total:.3g}/{len(questions)}") + f"  ({right} fully right)")
