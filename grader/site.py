"""`grade site OUT`: the course as static web pages that work from file://.

Pages (all in OUT, linked with relative URLs, no server and no network):

* ``index.html`` — the lessons in order, the exercises, the question bank;
* ``lesson-NN-slug.html`` — one per ``course/lessons/NN-*.md`` (every file,
  whoever wrote it), with its figures, its "Do next" exercise and its PYQs
  linked, and "Check yourself" answers behind a reveal;
* ``exercises.html`` — each exercise with the lessons that teach it and the
  questions that practise it;
* ``pyq.html`` — the past-year and exam-style questions, each answer (per
  mark version), diagram, figure and weighted marking points behind a
  ``<details>`` reveal;
* ``figures/`` — the course's PNGs, copied.

Math written as `$…$` / `$$…$$` in the lessons is turned into MathML at build
time (latex2mathml), so the browser lays it out natively — no JavaScript, no
CDN. Markdown is parsed by markdown-it-py (which rich already depends on)
with mdit-py-plugins' dollar-math rule.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import course
from grader.mathtext import latex_to_mathml

_CSS = """
:root { color-scheme: light dark; --accent: #2563eb; --muted: #6b7280; --box: rgba(127,127,127,.12); }
body { font: 17px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 46rem; margin: 0 auto;
       padding: 1rem 1.25rem 4rem; }
nav { font-size: .9rem; margin-bottom: 1.5rem; display: flex; gap: 1rem; flex-wrap: wrap; }
nav a, a { color: var(--accent); }
h1 { line-height: 1.2; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
pre { background: var(--box); padding: .75rem 1rem; overflow-x: auto; line-height: 1.35; }
table { border-collapse: collapse; margin: 1rem 0; display: block; overflow-x: auto; }
th, td { border: 1px solid rgba(127,127,127,.4); padding: .3rem .6rem; vertical-align: top; }
img { max-width: 100%; height: auto; display: block; margin: 1rem auto; }
figure { margin: 1.5rem 0; } figcaption { color: var(--muted); font-size: .9rem; text-align: center; }
math[display="block"] { display: block; margin: 1rem 0; font-size: 1.15em; }
details { background: var(--box); padding: .5rem 1rem; margin: .75rem 0; border-radius: 6px; }
details.answer { display: inline-block; padding: 0 .6rem; margin: .2rem 0; }
summary { cursor: pointer; font-weight: 600; }
.meta { color: var(--muted); font-size: .9rem; }
.pyq { border-top: 1px solid rgba(127,127,127,.4); padding-top: 1rem; margin-top: 2rem; }
.marks { white-space: nowrap; font-weight: 600; }
.tag { font-size: .8rem; border: 1px solid currentColor; border-radius: 4px; padding: 0 .35rem; }
"""


@dataclass(frozen=True)
class BuildReport:
    out: Path
    pages: tuple[str, ...]
    figures: tuple[str, ...]


def lesson_page(lesson: course.Lesson) -> str:
    return f"lesson-{lesson.number:02d}-{lesson.slug}.html"


def _markdown() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table")
    md.use(dollarmath_plugin, allow_digits=False, allow_space=False, double_inline=True,
           renderer=lambda content, options: latex_to_mathml(content, display=options["display_mode"]))
    return md


def _page(title: str, body: str, *, nav: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<link rel=\"icon\" href=\"data:,\">\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<nav>{nav}</nav>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _nav(lessons: Iterable[course.Lesson], current: course.Lesson | None = None) -> str:
    lessons = list(lessons)
    parts = ['<a href="index.html">Course</a>', '<a href="exercises.html">Exercises</a>',
             '<a href="pyq.html">Exam questions</a>']
    if current is not None:
        index = lessons.index(current)
        if index > 0:
            parts.insert(0, f'<a href="{lesson_page(lessons[index - 1])}">← Lesson {lessons[index - 1].number}</a>')
        if index + 1 < len(lessons):
            parts.append(f'<a href="{lesson_page(lessons[index + 1])}">Lesson {lessons[index + 1].number} →</a>')
    return " ".join(parts)


def _link_commands(rendered: str, lessons: dict[int, course.Lesson]) -> str:
    """`grade pyq ID`, `grade exerciseN` and `grade lesson N` in code become links to their pages."""
    rendered = re.sub(r"<code>grade pyq ([a-z0-9-]+)</code>",
                      r'<a href="pyq.html#\1"><code>grade pyq \1</code></a>', rendered)
    rendered = re.sub(r"<code>grade (exercise\d+)</code>",
                      r'<a href="exercises.html#\1"><code>grade \1</code></a>', rendered)

    def lesson_link(match: re.Match[str]) -> str:
        lesson = lessons.get(int(match.group(1)))
        return f'<a href="{lesson_page(lesson)}">{match.group(0)}</a>' if lesson else match.group(0)

    return re.sub(r"<code>grade lesson (\d+)</code>", lesson_link, rendered)


def _figures_relative(rendered: str) -> str:
    """Lessons link ../figures/x.png (from course/lessons/); the site keeps them in figures/."""
    return re.sub(r'src="(?:\.\./)+figures/', 'src="figures/', rendered)


def _check_yourself(md: Any, markdown: str) -> str:
    """Each "(Answer: …)" of a "Check yourself" section behind its own reveal (inline, so lists stay lists)."""
    from grader.reader import hide_answers

    prepared = hide_answers(markdown)
    text = prepared.markdown
    for number, answer in enumerate(prepared.answers, start=1):
        inline = md.renderInline(answer).replace("\n", " ")
        text = text.replace(f"(answer {number}: hidden)",
                            f'<details class="answer"><summary>Answer</summary>{inline}</details>', 1)
    return text


def _render_lesson(md: Any, lesson: course.Lesson, lessons: dict[int, course.Lesson],
                   bank: tuple[course.PYQ, ...]) -> str:
    text = _check_yourself(md, lesson.text())
    body = _figures_relative(_link_commands(md.render(text), lessons))
    # Images with their alt text as a visible caption.
    body = re.sub(r'<p><img src="([^"]+)" alt="([^"]*)" ?/?></p>',
                  r'<figure><img src="\1" alt="\2"><figcaption>\2</figcaption></figure>', body)
    questions = [q for q in bank if lesson.relpath in q.lessons]
    if questions:
        body += "\n<h2>Exam questions on this lesson</h2>\n<ul>\n" + "".join(
            f'<li><a href="pyq.html#{q.id}">{html.escape(q.label)}</a> — {html.escape(q.question)} '
            f'<span class="marks">[{"/".join(str(v.marks) for v in reversed(q.all_versions))} marks]</span></li>\n'
            for q in questions) + "</ul>\n"
    return body


def _render_pyq(md: Any, q: course.PYQ, lessons_by_path: dict[str, course.Lesson]) -> str:
    parts = [f'<section class="pyq" id="{q.id}">',
             f"<h2>{html.escape(q.label)} <span class=\"tag\">{html.escape(q.topic)}</span></h2>",
             f'<p class="meta">{html.escape(q.note)}</p>']
    if q.reconstructed:
        parts.append('<p class="meta"><strong>Reconstructed wording:</strong> the notes do not quote it.</p>')
    for version in q.all_versions:
        assumed = " (assumed)" if q.marks_assumed else ""
        parts.append(f'<p><span class="marks">[{version.marks} marks{assumed}]</span> '
                     f"<strong>{html.escape(version.question)}</strong></p>")
        answer = _figures_relative(md.render(course.strip_comments(version.answer)))
        rows = "".join(f"<tr><td>{html.escape(point)}</td><td class=\"marks\">{marks}</td></tr>"
                       for point, marks in zip(version.key_points, version.point_marks, strict=True))
        parts.append(
            f"<details><summary>Model answer ({version.marks} marks) and marking points</summary>\n{answer}\n"
            f"<table><thead><tr><th>A marker looks for</th><th>marks</th></tr></thead><tbody>{rows}"
            f"<tr><td><strong>total</strong></td><td class=\"marks\">{version.marks}</td></tr></tbody></table>"
            "</details>")
    if q.diagram or q.figure:
        inner = ""
        if q.figure:
            inner += f'<img src="figures/{html.escape(q.figure)}" alt="{html.escape(q.caption or q.topic)}">'
        if q.diagram:
            inner += f"<pre>{html.escape(q.diagram)}</pre>"
        caption = f"<figcaption>{html.escape(q.caption)}</figcaption>" if q.caption else ""
        parts.append(f"<details><summary>Diagram</summary><figure>{inner}{caption}</figure></details>")
    links = [f'<a href="{lesson_page(lessons_by_path[p])}">lesson {lessons_by_path[p].number}</a>'
             for p in q.lessons if p in lessons_by_path]
    exercises = [f'<a href="exercises.html#{name}"><code>grade {name}</code></a>' for name in q.exercises]
    parts.append(f'<p class="meta">Read: {", ".join(links) or "—"}. Practise: {", ".join(exercises) or "—"}. '
                 f"In the terminal: <code>grade pyq {q.id}</code>.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _exercises_page(lessons: tuple[course.Lesson, ...], bank: tuple[course.PYQ, ...]) -> str:
    from grader.catalog import load_catalog

    parts = ["<h1>Exercises</h1>", "<p>Each exercise is graded in your workspace: <code>grade init</code> once, "
             "then <code>grade exerciseN</code>.</p>"]
    for exercise in load_catalog():
        taught = [lesson for lesson in lessons if lesson.exercise == exercise.name]
        questions = [q for q in bank if exercise.name in q.exercises]
        parts.append(f'<section id="{exercise.name}"><h2>{exercise.number} · {html.escape(exercise.title)}</h2>')
        parts.append(f'<p class="meta">topic: {html.escape(exercise.topic)} · file <code>{exercise.file}</code> · '
                     f"<code>grade {exercise.name}</code> · {exercise.max_score} points</p>")
        if taught:
            parts.append("<p>Read first: " + ", ".join(
                f'<a href="{lesson_page(lesson)}">{html.escape(lesson.title)}</a>' for lesson in taught) + "</p>")
        if questions:
            parts.append("<p>Exam questions that use it: " + ", ".join(
                f'<a href="pyq.html#{q.id}">{html.escape(q.id)}</a>' for q in questions) + "</p>")
        parts.append("</section>")
    return "\n".join(parts)


def _index_page(lessons: tuple[course.Lesson, ...], bank: tuple[course.PYQ, ...]) -> str:
    items = "".join(
        f'<li><a href="{lesson_page(lesson)}">{html.escape(lesson.title)}</a>'
        + (f' — then <a href="exercises.html#{lesson.exercise}"><code>grade {lesson.exercise}</code></a>'
           if lesson.exercise else "") + "</li>\n"
        for lesson in lessons)
    past = sum(q.source == "past-year" for q in bank)
    return (
        "<h1>How neural networks learn</h1>\n"
        "<p>Gradient descent, partial derivatives, the chain rule and backpropagation: read a lesson, "
        "then practise it with its auto-graded exercise.</p>\n"
        f"<h2>Lessons</h2>\n<ol>\n{items}</ol>\n"
        f'<h2>Exam preparation</h2>\n<p><a href="pyq.html">{past} past-year and {len(bank) - past} exam-style '
        "questions</a> with model answers, diagrams and marking points. In the terminal: "
        "<code>grade pyq</code>, <code>grade quiz</code>.</p>\n"
    )


def build_site(out: Path) -> BuildReport:
    """Write the whole course into `out` (created if needed; our files overwritten, others left alone)."""
    lessons = course.load_lessons()
    bank = course.load_pyqs()
    md = _markdown()
    out.mkdir(parents=True, exist_ok=True)
    by_number = {lesson.number: lesson for lesson in lessons}
    by_path = {lesson.relpath: lesson for lesson in lessons}
    pages: dict[str, str] = {"index.html": _page("How neural networks learn", _index_page(lessons, bank),
                                                 nav=_nav(lessons))}
    for lesson in lessons:
        pages[lesson_page(lesson)] = _page(lesson.title, _render_lesson(md, lesson, by_number, bank),
                                           nav=_nav(lessons, lesson))
    pages["exercises.html"] = _page("Exercises", _exercises_page(lessons, bank), nav=_nav(lessons))
    pyq_body = ("<h1>Exam questions</h1>\n<p>Past-year questions cited by the course notes and exam-style "
                "practice questions. Write your answer first; then open the model answer and score yourself "
                "against the marking points.</p>\n"
                + "\n".join(_render_pyq(md, q, by_path) for q in bank))
    pages["pyq.html"] = _page("Exam questions", pyq_body, nav=_nav(lessons))
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
    figures_out = out / "figures"
    figures_out.mkdir(exist_ok=True)
    copied = []
    for figure in sorted(course.figures_dir().glob("*.png")):
        shutil.copyfile(figure, figures_out / figure.name)
        copied.append(figure.name)
    return BuildReport(out, tuple(pages), tuple(copied))
