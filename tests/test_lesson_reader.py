"""`grade lesson N`: rendered for the terminal (rich), paged, answers hidden; and the math text helpers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from grader import course
from grader.cli import cli
from grader.mathtext import latex_to_unicode, markdown_math_to_unicode

REPO = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _columns(line: str) -> int:
    """Terminal columns of a line (combining accents take none)."""
    import unicodedata

    return sum(0 if unicodedata.combining(char) else 1 for char in line)


def _invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", **(env or {})})


@pytest.mark.parametrize("width", [60, 80, 100])
def test_rendered_lessons_fit_the_width_with_tables_and_math(width):
    for lesson in course.load_lessons():
        result = _invoke("lesson", str(lesson.number), "--width", str(width))
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert max(_columns(line) for line in lines) <= width, (lesson.name, width)
        assert not ANSI.search(result.output)  # NO_COLOR
        assert "$$" not in result.output and "<!--" not in result.output
        assert lesson.title in " ".join(result.output.split())  # the heading, rendered (maybe wrapped)
        assert "#" * 2 + " " not in result.output  # headings are drawn, not printed as Markdown
    two = _invoke("lesson", "2", "--width", "80").output
    assert "α < 2/λ_max" in two  # LaTeX as Unicode
    assert "───" in two and "Stochastic" in two and "| variant |" not in two  # the variants table, drawn


def test_check_yourself_answers_are_hidden_unless_asked():
    lesson = course.find_lesson("3")
    raw = lesson.text()
    hidden_count = raw.count("(Answer:")
    assert hidden_count >= 2
    rendered = _invoke("lesson", "3", "--width", "80").output
    assert "(Answer:" not in rendered
    assert all(f"(answer {n}: hidden)" in rendered for n in range(1, hidden_count + 1))
    assert "grade lesson 3 --answers" in rendered
    shown = _invoke("lesson", "3", "--width", "80", "--answers").output
    assert shown.count("(Answer:") == hidden_count and "hidden" not in shown
    plain = _invoke("lesson", "3").output  # piped: Markdown, still hidden
    assert plain.startswith("# 3 · Partial derivatives") and "(answer 1: hidden — `grade lesson 3 --answers`)" in plain
    assert _invoke("lesson", "3", "--answers").output.count("(Answer:") == hidden_count


def test_at_a_terminal_the_lesson_is_paged_and_answers_follow_a_key(monkeypatch):
    from grader.commands import lesson_cmd

    paged, pauses = [], []
    monkeypatch.setattr(lesson_cmd, "_interactive", lambda: True)
    monkeypatch.setattr(click, "echo_via_pager", lambda text, color=None: paged.append(text))
    monkeypatch.setattr(click, "pause", lambda info=None, err=False: pauses.append(info))
    result = _invoke("lesson", "1", "--width", "70")
    assert result.exit_code == 0, result.output
    assert len(paged) == 1 and "How neural networks learn" in paged[0] and "(answer 1: hidden)" in paged[0]
    assert len(pauses) == 1 and "answer" in pauses[0]
    answers = result.output  # printed after the key press
    assert "Check yourself: answers" in answers and "0.5" in answers


def test_colour_only_without_no_color(monkeypatch):
    from grader import console

    monkeypatch.setattr(console, "colour_enabled", lambda stream=None: True)
    coloured = CliRunner().invoke(cli, ["lesson", "2", "--width", "80"], env={}, color=True).output
    assert ANSI.search(coloured)


def test_reader_commands_start_without_rich_or_numpy():
    code = (
        "import sys\n"
        "from grader.cli import main\n"
        "for argv in (['--help'], ['lesson'], ['pyq'], ['site', '--help'], ['lesson', '--help'], ['list']):\n"
        "    try:\n        main(argv)\n"
        "    except SystemExit:\n        pass\n"
        "heavy = sorted(m for m in ('rich', 'markdown_it', 'latex2mathml', 'numpy', 'sympy') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


# -- math text ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tex", "text"), [
    (r"\alpha < \frac{2}{\lambda_{\max}}", "α < 2/λ_max"),
    (r"x_j \leftarrow \frac{x_j - \mu_j}{\sigma_j}", "xⱼ ← (xⱼ − μⱼ)/σⱼ"),
    (r"J(\theta) = \frac{1}{N} \sum_{i=1}^{N} (\hat{y}_i - y_i)^2", "J(θ) = 1/N Σᵢ₌₁ᴺ (ŷᵢ − yᵢ)²"),
    (r"\frac{dz}{dx} = \frac{dz}{dy} \cdot \frac{dy}{dx}", "dz/dx = dz/dy · dy/dx"),
    (r"\frac{\partial J}{\partial w}", "∂J/∂w"),
    (r"W^\top \delta", "Wᵀ δ"),
    (r"e^{-z}", "e^(−z)"),
])
def test_latex_becomes_readable_unicode(tex, text):
    assert latex_to_unicode(tex) == text


def test_only_real_math_is_converted():
    text = "It costs $5 and $6. But $x_1$ is math; `$a$` is code.\n\n```\n$$b$$\n```\n\n$$\\alpha$$\n"
    out = markdown_math_to_unicode(text)
    assert "$5 and $6" in out and "x₁ is math" in out and "`$a$`" in out and "$$b$$" in out
    assert "\n  α\n" in out and "$$\\alpha$$" not in out
