"""`grade progress`: attempts, best scores and quiz results over time."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from grader import console
from grader.catalog import load_catalog
from grader.commands.common import json_option, path_option, workspace_from
from grader.progress import ProgressStore


@click.command("progress")
@path_option
@json_option
def command(path: Path | None, as_json: bool) -> None:
    """Show every exercise's attempts, best and latest score, and quiz results."""
    workspace = workspace_from(path)
    store = ProgressStore(workspace.progress_db)
    attempts = store.attempts()
    quiz = store.quiz_results()
    if as_json:
        click.echo(json.dumps(
            {"attempts": [asdict(a) for a in attempts], "quiz": [asdict(q) for q in quiz]}, indent=2
        ))
        return
    width = 80
    console.echo(console.bold(f"{'exercise':<11} {'attempts':>8} {'best':>9} {'latest':>9}  last run"))
    for ex in load_catalog():
        mine = [a for a in attempts if a.exercise == ex.number]
        if not mine:
            console.echo(f"{ex.name:<11} {0:>8} {'-':>9} {'-':>9}")
            continue
        best = max(a.score for a in mine)
        latest = mine[-1]
        when = latest.created.replace("T", " ")[:16]
        console.echo(
            f"{ex.name:<11} {len(mine):>8} {best:>6g}/{ex.max_score:<2} {latest.score:>6g}/{ex.max_score:<2}  "
            f"{console.dim(when)}"
        )
        # The score history on its own line, as many recent scores as fit.
        prefix = "  history: "
        scores = [f"{a.score:g}" for a in mine]
        shown: list[str] = []
        for score in reversed(scores):
            if len(prefix) + len("… ") + len(" ".join([score, *shown])) > width:
                break
            shown.insert(0, score)
        more = "… " if len(shown) < len(scores) else ""
        console.echo(console.dim(f"{prefix}{more}{' '.join(shown)}  (oldest → newest)"[: width]))
    if quiz:
        console.echo(console.bold("\nQuiz and PYQ practice"))
        by_topic: dict[str, list[float]] = {}
        for q in quiz:
            totals = by_topic.setdefault(q.topic, [0.0, 0.0, 0])
            totals[0] += q.score
            totals[1] += q.max_score
            totals[2] += 1
        for topic, (score, max_score, count) in sorted(by_topic.items()):
            noun = "question" if count == 1 else "questions"
            console.echo(f"{topic:<28} {int(count):>3} {noun:<9}  {score:g}/{max_score:g}")
    if not attempts and not quiz:
        console.echo(console.dim("\nNothing recorded yet: start with `grade exercise1`."))
