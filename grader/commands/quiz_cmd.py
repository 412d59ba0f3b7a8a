"""`grade quiz`: randomised exam practice, answers typed one per line.

Works the same at a terminal and with answers piped in (one line per
answer), so it can be scripted and tested; the end of the input ends the quiz
cleanly with the partial result, Ctrl-C stops it ("quiz stopped") keeping what
was answered. Every answer is recorded at once in the workspace's progress,
and missed items enter the review schedule that `grade quiz --review` asks
from (grader.progress, table quiz_review). At the end every missed item is
reviewed with its worked solution. Questions come from `grader.quiz`.
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
    """One line from stdin, or None at the end of the input (Ctrl-D). Ctrl-C raises KeyboardInterrupt."""
    console.echo(console.bold(prompt), nl=False)
    line = sys.stdin.readline()
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
    console.echo(console.bold("\nKey points a marker looks for")
                 + console.dim(f" (marks, out of {question.max_score:g})"))
    for number, (point, marks) in enumerate(zip(question.key_points, question.point_marks, strict=True), start=1):
        console.echo(f"  {number}. [{marks}] {point}")
    return _ask(question, "Which key points did your answer make? (e.g. 1 3 4, 'all' or 'none') > ")


def _ask(question: Any, prompt: str = "answer> ") -> Any:
    """(verdict, the line typed), or None at the end of the input."""
    from grader.quiz import Verdict

    line = ""
    for _ in range(MAX_INVALID):
        line = read_line(prompt)
        if line is None:
            return None
        verdict = question.check(line)
        if verdict.status != "invalid":
            return verdict, line
        console.echo(console.style(verdict.message, fg="yellow"))
    return Verdict("wrong", 0.0, "Three unreadable answers: counted as wrong, moving on."), line


def _workspace_store(path: Path | None, *, required: bool = False) -> Any:
    from grader.progress import ProgressStore
    from grader.workspace import WorkspaceNotFound, find_workspace

    try:
        return ProgressStore(find_workspace(path).progress_db)
    except WorkspaceNotFound as exc:
        if path is not None or required:
            hint = " (--review asks again what this workspace's progress recorded as missed)" if required else ""
            raise click.UsageError(str(exc) + hint) from None
        console.echo(console.dim("(No workspace here, so this quiz is not recorded; pass --path DIR.)"))
        return None


@click.command("quiz")
@click.option("--topic", type=click.Choice(TOPICS), default=None, help="Only questions on this topic.")
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="Only numeric, symbolic (formulas), concept (multiple choice) or pyq (self-scored) questions.")
@click.option("--count", type=click.IntRange(1, 50), default=None,
              help="Number of questions  [default: 5; with --review, every item due]")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Seed of the random questions (printed, so a quiz can be repeated).")
@click.option("--review", is_flag=True,
              help="Ask again the items you missed before that are due (spaced by their history).")
@path_option
def command(topic: str | None, kind: str | None, count: int | None, seed: int | None, review: bool,
            path: Path | None) -> None:
    """Exam practice: randomised questions checked as you answer.

    \b
    Numeric answers: numbers separated by commas, e.g. 2.4, 3.2 (fractions like 1/3 work).
    Formulas: Python syntax, e.g. 2*x*y + 3 or (3*x + 1)**2; any equivalent form is right.
    Multiple choice: one letter.
    Past-year questions: read the model answer, then type the numbers of the key points you made.

    Answers can be piped in, one per line. Results are recorded in the
    workspace's progress (`grade progress`); missed items come back in
    `grade quiz --review` (again after 1, 3 and 7 days while you get them
    right). Exit code 0 when every answer is right.
    """
    from grader.quiz import make_quiz

    store = _workspace_store(path, required=review)
    if review:
        questions = _review_questions(store, count, topic, kind)
        if not questions:
            sys.exit(0)
        seed = None
        console.echo(console.bold(f"Review · {len(questions)} item(s) you missed before"))
    else:
        seed = secrets.randbelow(1_000_000) if seed is None else seed
        try:
            questions = make_quiz(seed, count or 5, topic, kind)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        console.echo(console.bold(f"Quiz · {len(questions)} question(s) · seed {seed}")
                     + console.dim(f"   (repeat it with --seed {seed})"))
    results: list[tuple[Any, Any, str]] = []
    stopped = False
    try:
        for number, question in enumerate(questions, start=1):
            console.echo("\n" + console.bold(f"Question {number}/{len(questions)}")
                         + console.dim(f" · {question.topic} · {question.kind}"))
            console.echo(question.prompt)
            outcome = _ask_pyq(question) if question.kind == "pyq" else _ask(question)
            if outcome is None:
                break
            verdict, answer = outcome
            mark = console.ok("✓") if verdict.correct else console.bad("✗")
            console.echo(f"{mark} {verdict.message}")
            if question.kind != "pyq":
                console.echo(console.dim(f"  Solution: {question.solution}"))
            results.append((question, verdict, answer))
            _record(store, question, verdict, seed)
    except KeyboardInterrupt:
        stopped = True
        console.echo()
        console.echo(console.style(f"quiz stopped: {len(results)} of {len(questions)} answered"
                                   + (" (recorded)." if store is not None and results else "."), fg="yellow"))
    _summary(questions, results, stopped)
    _review_missed(results)
    all_right = len(results) == len(questions) and all(v.correct for _, v, _ in results)
    sys.exit(0 if all_right else 1)


def _record(store: Any, question: Any, verdict: Any, seed: int | None) -> None:
    if store is None:
        return
    store.record_quiz(topic=question.topic, kind=question.kind, question=question.title,
                      score=verdict.score, max_score=question.max_score, seed=seed)
    if question.key:
        store.record_review(key=question.key, title=question.title, topic=question.topic, kind=question.kind,
                            correct=verdict.correct)


def _review_questions(store: Any, count: int | None, topic: str | None, kind: str | None) -> list[Any]:
    """The due review items as questions, most urgent first; a message when none is due."""
    from grader.quiz import UnknownItem, regenerate

    items = [i for i in store.due_for_review() if (topic is None or i.topic == topic) and kind in (None, i.kind)]
    questions = []
    for item in items:
        try:
            questions.append(regenerate(item.key))
        except UnknownItem:
            continue  # a question from an older version of the course
        if count is not None and len(questions) == count:
            break
    if not questions:
        waiting = [i for i in store.review_items() if i.box < _mastered()]
        if waiting:
            console.echo(f"Nothing to review now: {len(waiting)} item(s) come back later "
                         f"(next on {min(i.due for i in waiting)[:10]}).")
        else:
            console.echo("Nothing to review: no missed quiz items. Take a quiz with `grade quiz`.")
    return questions


def _mastered() -> int:
    from grader.progress import MASTERED_BOX

    return MASTERED_BOX


def _summary(questions: list[Any], results: list[tuple[Any, Any, str]], stopped: bool = False) -> None:
    console.echo()
    if len(results) < len(questions) and not stopped:
        console.echo(console.style(
            f"Quiz ended early (end of input): {len(results)} of {len(questions)} answered.", fg="yellow"))
    # Every question weighs 1 in the total; a PYQ's self-score is its fraction of the marks.
    total = sum(v.score / q.max_score for q, v, _ in results)
    right = sum(v.correct for _, v, _ in results)
    console.echo(console.bold(f"Score: {total:.3g}/{len(questions)}") + f"  ({right} fully right)")


def _review_missed(results: list[tuple[Any, Any, str]]) -> None:
    """Every missed item again, with the answer given, the diagnosis and the worked solution."""
    missed = [(n, q, v, a) for n, (q, v, a) in enumerate(results, start=1) if not v.correct]
    if not missed:
        return
    console.echo(console.bold(f"\nReview of the {len(missed)} missed item(s)"))
    for number, question, verdict, answer in missed:
        console.echo(console.bold(f"\n{number}. {question.title}") + console.dim(f" · {question.topic}"))
        console.echo(question.prompt.splitlines()[0])
        if question.kind == "pyq":
            missed_points = [f"[{m}] {p}" for i, (p, m) in enumerate(zip(question.key_points, question.point_marks,
                                                                            strict=True), start=1)
                             if str(i) not in answer.replace(",", " ").split() and answer.strip() != "all"]
            console.echo(f"  {verdict.message}")
            for point in missed_points:
                console.echo(f"  to add: {point}")
        else:
            console.echo(f"  You answered: {answer}")
            console.echo(f"  {verdict.message}")
            console.echo(f"  Worked solution: {question.solution}")
    console.echo(console.dim("\nThese come back in `grade quiz --review` until you get them right."))
