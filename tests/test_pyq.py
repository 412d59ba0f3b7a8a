"""The PYQ bank (course/pyq.toml) and `grade pyq`, `grade lesson`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from grader import course
from grader.catalog import resolve
from grader.cli import cli

REPO = Path(__file__).resolve().parent.parent
EXPECTED_IDS = {"2024-may-3a", "2023-may-2b", "2024-2b", "2022-3a"}
# exam-style practice questions (written for the course, no paper): source = "exam-style"
EXAM_STYLE_IDS = {"style-momentum-adam", "style-autograd-accumulate", "style-deep-gradients"}
# The only wording the notes quote (PYQ 2b, 2024).
QUOTED = "Explain the significance of the chain rule in backpropagation."


def _invoke(*args: str, stdin: str = ""):
    return CliRunner().invoke(cli, list(args), input=stdin, env={"NO_COLOR": "1"})


# -- the bank -------------------------------------------------------------------------------

def test_every_cited_pyq_is_in_the_bank_with_every_field():
    bank = {q.id: q for q in course.load_pyqs() if q.source == "past-year"}
    assert set(bank) == EXPECTED_IDS
    for q in bank.values():
        for name in ("month", "note", "question", "answer", "topic"):
            assert isinstance(getattr(q, name), str)
        assert q.question and q.answer and q.note and q.topic
        assert q.marks > 0
        assert len(q.key_points) >= 5 and all(len(p) > 10 for p in q.key_points)
        assert q.lessons and q.exercises
        # The id is derived from the session and the question number.
        assert q.id == "-".join(p for p in (str(q.year), q.month.lower(), q.number) if p)


def test_sessions_and_numbers_as_the_notes_cite_them():
    bank = {q.id: q for q in course.load_pyqs()}
    assert (bank["2024-may-3a"].year, bank["2024-may-3a"].month, bank["2024-may-3a"].number) == (2024, "May", "3a")
    assert (bank["2023-may-2b"].year, bank["2023-may-2b"].month, bank["2023-may-2b"].number) == (2023, "May", "2b")
    assert (bank["2024-2b"].year, bank["2024-2b"].month, bank["2024-2b"].number) == (2024, "", "2b")
    assert (bank["2022-3a"].year, bank["2022-3a"].month, bank["2022-3a"].number) == (2022, "", "3a")


def test_exam_style_questions_have_weighted_marking_points():
    style = {q.id: q for q in course.load_pyqs() if q.source == "exam-style"}
    assert set(style) == EXAM_STYLE_IDS
    for q in style.values():
        assert q.id.startswith("style-") and "not from a past paper" in q.note
        assert len(q.point_marks) == len(q.key_points) >= 5 and sum(q.point_marks) == q.marks
        assert q.lessons and q.exercises


def test_only_the_quoted_question_is_not_reconstructed():
    for q in course.load_pyqs():
        if q.source == "exam-style":
            continue
        if q.id == "2024-2b":
            assert not q.reconstructed and q.question == QUOTED and QUOTED in q.note
        else:
            assert q.reconstructed and "reconstructed" in q.note
        if q.marks_assumed:
            assert "assumed" in q.note


def test_model_answers_are_exam_length():
    for q in course.load_pyqs():
        words = len(course.strip_comments(q.answer).split())
        low, high = (300, 700) if q.source == "past-year" else (30 * q.marks, 75 * q.marks)  # sized to the marks
        assert low <= words <= high, f"{q.id}: {words} words"


def test_model_answers_cover_their_key_ideas():
    bank = {q.id: course.strip_comments(q.answer) for q in course.load_pyqs()}
    for qid in ("2024-may-3a", "2023-may-2b", "2022-3a"):
        text = " ".join(bank[qid].lower().split())
        for idea in ("loss", "gradient descent", "backpropagation", "chain rule", "learning rate",
                     "forward pass", "backward pass", "∂j/∂w", "minimum"):
            assert idea in text, f"{qid} misses {idea!r}"
    chain = " ".join(bank["2024-2b"].lower().split())
    for idea in ("dz/dx = dz/dy · dy/dx", "reuse", "upstream", "layer by layer", "efficien"):
        assert idea in chain, f"2024-2b misses {idea!r}"


def test_links_point_to_real_lessons_and_exercises():
    lesson_paths = {lesson.relpath for lesson in course.load_lessons()}
    for q in course.load_pyqs():
        for relpath in q.lessons:
            assert relpath in lesson_paths, f"{q.id} links to missing {relpath}"
            assert (REPO / relpath).is_file()
        for name in q.exercises:
            assert resolve(name).name == name


def test_bank_rejects_an_entry_with_a_missing_field(tmp_path):
    bad = tmp_path / "pyq.toml"
    bad.write_text('[[pyq]]\nid = "2020-1a"\nyear = 2020\n', encoding="utf-8")
    with pytest.raises(ValueError, match="lacks"):
        course.load_pyqs(bad)


# -- grade pyq -------------------------------------------------------------------------------------

def test_list_shows_every_pyq():
    result = _invoke("pyq")
    assert result.exit_code == 0
    for qid in EXPECTED_IDS:
        assert qid in result.output
    assert "reconstructed" in result.output and "assumed" in result.output


def test_show_without_a_terminal_gives_the_question_and_how_to_see_the_answer():
    result = _invoke("pyq", "2024-2b")
    assert result.exit_code == 0
    assert QUOTED in result.output
    assert "Model answer" not in result.output
    assert "grade pyq 2024-2b --answer" in result.output


def test_show_with_answer():
    result = _invoke("pyq", "2024-2b", "--answer")
    assert result.exit_code == 0
    out = result.output
    assert out.index(QUOTED) < out.index("Model answer") < out.index("Key points")
    assert "<!--" not in out
    assert "grade lesson 4" in out and "grade exercise3" in out


def test_show_at_a_terminal_waits_for_a_key(monkeypatch):
    from grader.commands import pyq_cmd

    pauses = []
    monkeypatch.setattr(pyq_cmd, "_interactive", lambda: True)
    monkeypatch.setattr(click, "pause", lambda info=None, err=False: pauses.append(info))
    result = _invoke("pyq", "2022-3a")
    assert result.exit_code == 0 and len(pauses) == 1
    assert "Model answer" in result.output and "reconstructed" in result.output.lower()


def test_unknown_id_suggests_and_exits_2():
    result = _invoke("pyq", "2024-3a")
    assert result.exit_code == 2
    assert "Did you mean" in result.output and "2024-may-3a" in result.output


def test_json_list_and_one():
    listed = json.loads(_invoke("pyq", "--json").output)
    assert {q["id"] for q in listed} == EXPECTED_IDS | EXAM_STYLE_IDS
    one = json.loads(_invoke("pyq", "2023-may-2b", "--json").output)
    assert one["session"] == "May 2023" and one["key_points"] and "<!--" not in one["answer"]
    assert set(course.PYQ_FIELDS) <= set(one)


# -- grade lesson ----------------------------------------------------------------------------------

def test_lesson_list_and_show():
    listed = _invoke("lesson")
    assert listed.exit_code == 0
    for lesson in course.load_lessons():
        assert lesson.title.split("·", 1)[-1].strip() in listed.output
    shown = _invoke("lesson", "3")
    assert shown.exit_code == 0
    assert shown.output.startswith("# 3 · Partial derivatives") and "<!--" not in shown.output
    assert "Do next: `grade exercise2`" in shown.output
    figure = str((REPO / "course" / "figures" / "bowl.png").resolve())
    assert f"]({figure})" in shown.output  # links made absolute, so they open from anywhere
    assert _invoke("lesson", "chain-rule").output.startswith("# 4 · The chain rule")


def test_lesson_unknown_exits_2():
    result = _invoke("lesson", "chain")
    assert result.exit_code == 2 and "chain-rule" in result.output


# -- staying light ---------------------------------------------------------------------------------

def test_course_commands_import_no_heavy_modules():
    code = (
        "import sys\n"
        "import grader.course, grader.quiz, grader.figures\n"
        "from grader.commands import pyq_cmd, lesson_cmd, quiz_cmd, plot_cmd, figures_cmd\n"
        "from grader.cli import main\n"
        "for argv in (['pyq'], ['lesson'], ['pyq', '--help'], ['quiz', '--help'], ['plot', '--help'],"
        " ['figures', '--help']):\n"
        "    try:\n        main(argv)\n"
        "    except SystemExit as e:\n        assert e.code in (0, None), (argv, e.code)\n"
        "heavy = sorted(m for m in ('numpy', 'sympy', 'matplotlib', 'pytest') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert "HEAVY []" in proc.stdout
