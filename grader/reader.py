"""Reading a lesson in the terminal: Markdown rendered by rich, answers hidden.

`prepare(lesson)` turns a lesson file into what a reader sees: annotations
removed, relative links made absolute (so they open from anywhere), LaTeX
math as Unicode text, and the "(Answer: …)" parts of its "Check yourself"
section replaced by numbered placeholders (`Prepared.answers` holds them).
`render(markdown, width)` draws it for a terminal with rich — headings,
tables fitted to the width, code blocks — and is imported lazily: rich is
not needed by `grade --help` or `grade list`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from grader.course import Lesson, strip_comments
from grader.mathtext import markdown_math_to_unicode

_CHECK_SECTION = re.compile(r"^## Check yourself\s*$(?P<body>.*?)(?=^## |^Do next:|\Z)", re.MULTILINE | re.DOTALL)
_ANSWER = re.compile(r"\(Answer: (?P<answer>.*?)\)(?=\s*$|\s*\n)", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)\)")


@dataclass(frozen=True)
class Prepared:
    markdown: str
    answers: tuple[str, ...]  # the hidden "Check yourself" answers, in order


def absolute_links(markdown: str, base: Path) -> str:
    """Relative link targets made absolute against `base` (URLs and #anchors untouched)."""
    def absolute(match: re.Match[str]) -> str:
        target = match.group(2)
        if "://" in target or target.startswith("#"):
            return match.group(0)
        return f"{match.group(1)}({(base / target).resolve()})"

    return _LINK.sub(absolute, markdown)


def hide_answers(markdown: str) -> Prepared:
    """Replace each "(Answer: …)" in the "Check yourself" section by "(answer N: hidden)"."""
    answers: list[str] = []

    def hide_in_section(section: re.Match[str]) -> str:
        def hide(match: re.Match[str]) -> str:
            answers.append(" ".join(match.group("answer").split()))
            return f"(answer {len(answers)}: hidden)"

        return section.group(0).replace(section.group("body"), _ANSWER.sub(hide, section.group("body")))

    return Prepared(_CHECK_SECTION.sub(hide_in_section, markdown), tuple(answers))


def prepare(lesson: Lesson, *, answers: bool = False, math: bool = True) -> Prepared:
    """The lesson as a reader sees it; with `answers` the "Check yourself" answers stay in place."""
    text = absolute_links(strip_comments(lesson.path.read_text(encoding="utf-8")), lesson.path.parent)
    if math:
        text = markdown_math_to_unicode(text)
    return Prepared(text, ()) if answers else hide_answers(text)


def answers_markdown(answers: tuple[str, ...]) -> str:
    lines = ["## Check yourself: answers", ""]
    lines += [f"{number}. {answer}" for number, answer in enumerate(answers, start=1)]
    return "\n".join(lines) + "\n"


def render(markdown: str, *, width: int, colour: bool) -> str:
    """The Markdown drawn for a terminal `width` columns wide (ANSI styles only if `colour`)."""
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(width=width, record=False, force_terminal=colour, no_color=not colour,
                      color_system="standard" if colour else None, highlight=False, soft_wrap=False)
    with console.capture() as capture:
        console.print(Markdown(markdown, code_theme="ansi_dark", hyperlinks=False))
    return capture.get()
