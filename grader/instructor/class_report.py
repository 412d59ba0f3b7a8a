"""What the class got wrong: OUT/report.json and a static, offline OUT/report.html.

Per exercise: a histogram of the scores (every student; a missing answer
counts as 0), the pass rate of every hidden test (over the answers handed
in), and the misconceptions the diagnoses found, ranked by how many students
made them, each with the count and the students' names.

A misconception is the sentence after "likely mistake:" in a failed test's
feedback (the runner's mutant match or constant-ratio hint). Sentences that
differ only in their numbers (a per-student batch size, say) are one
misconception; the most common wording is shown. A student counts once per
misconception however many tests showed it.

The page is one file with inline SVG and CSS: no script, no network, no
matplotlib.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.catalog import Exercise
from grader.results import ExerciseResult

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
_MISTAKE = re.compile(r"^\s*likely mistake:\s*(.+?)\s*$", re.MULTILINE)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def misconceptions_in(output: str) -> list[str]:
    """The "likely mistake:" sentences of one test's feedback."""
    return [m.group(1) for m in _MISTAKE.finditer(output)]


def _group_key(sentence: str) -> str:
    return _NUMBER.sub("N", sentence.strip().rstrip(".").lower())


@dataclass
class _Exercise:
    exercise: Exercise
    scores: dict[str, float] = field(default_factory=dict)
    submitted: set[str] = field(default_factory=set)
    passed: Counter[str] = field(default_factory=Counter)
    graded: Counter[str] = field(default_factory=Counter)
    titles: dict[str, str] = field(default_factory=dict)
    mistakes: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    wording: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    mistake_tests: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


class ClassReport:
    """Collects results as the batch produces them (small: counts and names, not feedback)."""

    def __init__(self, exercises: list[Exercise]) -> None:
        self._by_name = {e.name: _Exercise(e) for e in exercises}
        self._by_number = {e.number: e.name for e in exercises}

    def add(self, student: str, result: ExerciseResult, *, submitted: bool = True) -> None:
        name = self._by_number.get(result.exercise)
        if name is None:
            return
        entry = self._by_name[name]
        entry.scores[student] = result.score
        if not submitted:
            return
        entry.submitted.add(student)
        for test in result.tests:
            entry.titles.setdefault(test.test_id, test.name.partition(" · ")[2] or test.test_id)
            entry.graded[test.test_id] += 1
            if test.score >= test.max_score:
                entry.passed[test.test_id] += 1
                continue
            for sentence in misconceptions_in(test.output):
                key = _group_key(sentence)
                entry.mistakes[key]["students"].add(student)
                entry.wording[key][sentence] += 1
                entry.mistake_tests[key].add(test.test_id)

    def as_dict(self, folders: dict[str, str] | None = None) -> dict[str, Any]:
        exercises = []
        for entry in self._by_name.values():
            ex = entry.exercise
            bins = Counter(math.floor(s + 1e-9) for s in entry.scores.values())
            ranked = sorted(entry.mistakes, key=lambda k: (-len(entry.mistakes[k]["students"]), k))
            exercises.append({
                "exercise": ex.name,
                "title": ex.title,
                "max_score": ex.max_score,
                "students": len(entry.scores),
                "submitted": len(entry.submitted),
                "mean_score": round(sum(entry.scores.values()) / len(entry.scores), 3) if entry.scores else None,
                "histogram": [{"score": s, "count": bins.get(s, 0)} for s in range(int(ex.max_score) + 1)],
                "tests": [
                    {
                        "test_id": test_id,
                        "title": entry.titles.get(test_id, test_id),
                        "points": points,
                        "passed": entry.passed[test_id],
                        "graded": entry.graded[test_id],
                        "pass_rate": round(entry.passed[test_id] / entry.graded[test_id], 4)
                        if entry.graded[test_id] else None,
                    }
                    for test_id, points in ex.points.items()
                ],
                "misconceptions": [
                    {
                        "misconception": entry.wording[key].most_common(1)[0][0],
                        "count": len(entry.mistakes[key]["students"]),
                        "students": sorted(entry.mistakes[key]["students"]),
                        "tests": sorted(entry.mistake_tests[key]),
                    }
                    for key in ranked
                ],
            })
        return {"version": 1, "exercises": exercises}

    def write(self, out: Path, folders: dict[str, str] | None = None) -> None:
        from grader.batch import atomic_write

        data = self.as_dict(folders)
        atomic_write(out / REPORT_JSON, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        atomic_write(out / REPORT_HTML, render_html(data).encode("utf-8"))


# -- HTML ------------------------------------------------------------------------------------

def _histogram_svg(histogram: list[dict[str, int]], max_score: int, title: str) -> str:
    width, height, pad = 520, 180, 28
    peak = max((b["count"] for b in histogram), default=0) or 1
    bar = (width - 2 * pad) / max(1, len(histogram))
    parts = [f'<svg class="hist" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{html.escape(title)}</title>']
    for i, b in enumerate(histogram):
        h = (height - 2 * pad) * b["count"] / peak
        x = pad + i * bar
        y = height - pad - h
        parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(1.0, bar - 2):.1f}" height="{h:.1f}">'
                     f'<title>score {b["score"]}: {b["count"]} student(s)</title></rect>')
        if b["count"]:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{b["count"]}</text>')
        if len(histogram) <= 25 or b["score"] % 5 == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - pad + 14}" text-anchor="middle">'
                         f'{b["score"]}</text>')
    parts.append(f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" class="axis"/>')
    parts.append(f'<text x="{width / 2}" y="{height - 2}" text-anchor="middle" class="label">'
                 f'score (of {max_score})</text></svg>')
    return "".join(parts)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2.5rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f4f4f4}.num{text-align:right}
.hist rect{fill:#4a78b5}.hist text{font-size:11px;fill:#333}.hist .axis{stroke:#555}
.meter{display:inline-block;height:.7rem;background:#4a9b5a;vertical-align:middle}
.names{font-size:.85rem;color:#555}
"""


def render_html(data: dict[str, Any]) -> str:
    """The whole report as one static page."""
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>What the class got wrong</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>What the class got wrong</h1>",
           "<p>Scores, the pass rate of every hidden test, and the misconceptions the diagnoses found, "
           "most common first. Student names are for the instructor only.</p>"]
    for ex in data["exercises"]:
        name = html.escape(ex["exercise"])
        out.append(f'<section id="{name}"><h2>{name}: {html.escape(ex["title"])}</h2>')
        mean = "" if ex["mean_score"] is None else f', mean {ex["mean_score"]:g} of {ex["max_score"]}'
        out.append(f'<p>{ex["students"]} students, {ex["submitted"]} handed it in{mean}.</p>')
        out.append(_histogram_svg(ex["histogram"], ex["max_score"], f'{ex["exercise"]} score histogram'))
        out.append('<table class="tests"><thead><tr><th>test</th><th class="num">points</th>'
                   '<th class="num">passed</th><th>pass rate</th></tr></thead><tbody>')
        for test in ex["tests"]:
            rate = test["pass_rate"]
            shown = "–" if rate is None else f"{100 * rate:.0f} %"
            meter = "" if rate is None else f'<span class="meter" style="width:{6 * rate:.2f}rem"></span> '
            out.append(f'<tr><td>{html.escape(test["title"])}</td><td class="num">{test["points"]}</td>'
                       f'<td class="num">{test["passed"]}/{test["graded"]}</td><td>{meter}{shown}</td></tr>')
        out.append("</tbody></table>")
        if ex["misconceptions"]:
            out.append('<table class="misconceptions"><thead><tr><th class="num">students</th>'
                       "<th>misconception</th><th>who</th></tr></thead><tbody>")
            for item in ex["misconceptions"]:
                names = ", ".join(html.escape(s) for s in item["students"])
                out.append(f'<tr><td class="num">{item["count"]}</td><td>{html.escape(item["misconception"])}</td>'
                           f'<td class="names">{names}</td></tr>')
            out.append("</tbody></table>")
        else:
            out.append("<p>No misconception was diagnosed.</p>")
        out.append("</section>")
    out.append("</body></html>\n")
    return "\n".join(out)
