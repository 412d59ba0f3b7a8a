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
EXAM_STYLE_IDS = {"style-backprop-222", "style-momentum-adam", "style-autograd-accumulate", "style-deep-gradients"}
# The only wording the notes quote (PYQ 2b, 2024).
QUOTED = "Explain the significance of the chain rule in backpropagation."


def _invoke(*args: str, stdin: str = ""):
    return CliRunner().invoke(cli, list(args), input=stdin, env={"NO_COLOR": "1"})


# -- the bank -------------------------------------------------------------------------------

PAST = [q for q in course.load_pyqs() if q.source == "past-year"]
STYLE = [q for q in course.load_pyqs() if q.source == "exam-style"]


def _fold(text: str) -> str:
    return " ".join(text.lower().split()).rstrip("?.")


def test_every_cited_pyq_is_in_the_bank_with_every_field():
    bank = {q.id: q for q in PAST}
    assert set(bank) == EXPECTED_IDS
    for q in course.load_pyqs():
        for name in ("note", "question", "answer", "topic"):
            assert isinstance(getattr(q, name), str) and getattr(q, name)
        assert q.marks > 0 and q.lessons and q.exercises
        assert all(len(p) > 10 for p in q.key_points)
    for q in PAST:
        # The id is derived from the session and the question number.
        assert q.id == "-".join(p for p in (str(q.year), q.month.lower(), q.number) if p)
    for q in STYLE:
        assert q.id.startswith("style-") and q.session == "exam-style" and not q.reconstructed


def test_sessions_and_numbers_as_the_notes_cite_them():
    bank = {q.id: q for q in course.load_pyqs()}
    assert (bank["2024-may-3a"].year, bank["2024-may-3a"].month, bank["2024-may-3a"].number) == (2024, "May", "3a")
    assert (bank["2023-may-2b"].year, bank["2023-may-2b"].month, bank["2023-may-2b"].number) == (2023, "May", "2b")
    assert (bank["2024-2b"].year, bank["2024-2b"].month, bank["2024-2b"].number) == (2024, "", "2b")
    assert (bank["2022-3a"].year, bank["2022-3a"].month, bank["2022-3a"].number) == (2022, "", "3a")


def test_exam_style_questions_have_weighted_marking_points():
    style = {q.id: q for q in course.load_pyqs() if q.source == "exam-style"}
    assert set(style) >= EXAM_STYLE_IDS
    for q in style.values():
        assert q.id.startswith("style-") and "not from a past paper" in q.note
        assert len(q.point_marks) == len(q.key_points) >= 3 and sum(q.point_marks) == q.marks
        assert q.lessons and q.exercises


def test_only_the_quoted_question_is_not_reconstructed():
    for q in PAST:
        if q.id == "2024-2b":
            assert not q.reconstructed and q.question == QUOTED and QUOTED in q.note
        else:
            assert q.reconstructed and "reconstructed" in q.note
        if q.marks_assumed:
            assert "assumed" in q.note


def test_no_two_questions_share_a_wording():
    wordings = [_fold(v.question) for q in course.load_pyqs() for v in q.all_versions]
    assert len(wordings) == len(set(wordings)), [w for w in wordings if wordings.count(w) > 1]


def test_marking_points_sum_to_the_marks():
    for q in course.load_pyqs():
        for v in q.all_versions:
            assert len(v.point_marks) == len(v.key_points), f"{q.id} ({v.marks})"
            assert sum(v.point_marks) == v.marks and min(v.point_marks) >= 1, f"{q.id} ({v.marks})"
            assert len(v.key_points) >= 3


def test_the_bank_has_exam_style_questions_and_both_mark_sizes():
    assert len(STYLE) >= 8
    assert {q.marks for q in course.load_pyqs()} >= {5, 10}
    both = [q.id for q in course.load_pyqs() if {v.marks for v in q.all_versions} >= {5, 10}]
    assert len(both) >= 4, both


def test_model_answers_are_sized_to_their_marks():
    for q in course.load_pyqs():
        for v in q.all_versions:
            words = len(course.strip_comments(v.answer).split())
            assert 25 * v.marks <= words <= 75 * v.marks, f"{q.id} ({v.marks} marks): {words} words"
    for q in course.load_pyqs():
        sizes = {v.marks: len(v.answer.split()) for v in q.all_versions}
        if 5 in sizes and 10 in sizes:
            assert sizes[10] > 1.5 * sizes[5], f"{q.id}: the 10-mark answer must say more than the 5-mark one"


def test_diagrams_fit_the_terminal_and_figures_exist():
    for q in course.load_pyqs():
        assert q.diagram or q.figure, f"{q.id} has neither a diagram nor a figure"
        for line in q.diagram.splitlines():
            assert len(line) <= 76 and "\t" not in line, f"{q.id}: {line!r}"
        if q.figure:
            assert (REPO / "course" / "figures" / q.figure).is_file(), f"{q.id}: no figure {q.figure}"


def test_model_answers_cover_their_key_ideas():
    bank = {q.id: " ".join(course.strip_comments(q.answer).lower().split()) for q in course.load_pyqs()}
    for idea in ("learning rate", "∂j/∂w", "overshoot", "minimum"):
        assert idea in bank["2024-may-3a"], idea
    for idea in ("forward pass", "backward pass", "chain rule", "δ", "upstream"):
        assert idea in bank["2023-may-2b"], idea
    assert "|" in bank["2022-3a"] and "mini-batch" in bank["2022-3a"]  # a table


def test_the_chain_rule_answer_is_corrected():
    """2b (2024): factors of the same neuron, the sum over paths, efficiency from reverse accumulation and reuse."""
    for version in {q.id: q for q in course.load_pyqs()}["2024-2b"].all_versions:
        text = " ".join(course.strip_comments(version.answer).lower().split())
        assert "multiplications" not in text
        for idea in ("dz/dx = dz/dy · dy/dx", "factors", "∂j/∂aⱼ · σ'(zⱼ) · aᵢ", "paths", "reverse", "reus"):
            assert idea in text, f"2024-2b ({version.marks} marks) misses {idea!r}"
    lesson = " ".join(course.find_lesson("4").text().lower().split())
    assert "multiplications" not in lesson
    for idea in ("same neuron j", "σ'(zⱼ) · aᵢ", "∂j/∂aⱼ = σₖ ∂j/∂zₖ · wₖⱼ", "reverse accumulation", "reuse"):
        assert idea in lesson, idea


def test_links_point_to_real_lessons_and_exercises():
    lesson_paths = {lesson.relpath for lesson in course.load_lessons()}
    for q in course.load_pyqs():
        for relpath in q.lessons:
            assert relpath in lesson_paths, f"{q.id} links to missing {relpath}"
            assert (REPO / relpath).is_file()
        for name in q.exercises:
            assert resolve(name).name == name


def _bank_file(tmp_path, body: str) -> Path:
    path = tmp_path / "pyq.toml"
    path.write_text(body, encoding="utf-8")
    course.load_pyqs.cache_clear()
    return path


_STYLE_ENTRY = """
[[pyq]]
id = "style-x"
source = "exam-style"
topic = "t"
marks = 5
note = "n"
question = "q?"
answer = "a"
key_points = ["one point here", "two points here"]
point_marks = {marks}
lessons = []
exercises = []
"""


def test_bank_rejects_an_entry_with_a_missing_field(tmp_path):
    with pytest.raises(ValueError, match="lacks"):
        course.load_pyqs(_bank_file(tmp_path, '[[pyq]]\nid = "2020-1a"\nyear = 2020\n'))
    # A past-year entry needs its session; an exam-style one does not.
    entry = _STYLE_ENTRY.format(marks="[3, 2]").replace('source = "exam-style"\n', "")
    with pytest.raises(ValueError, match="lacks year"):
        course.load_pyqs(_bank_file(tmp_path, entry))
    assert course.load_pyqs(_bank_file(tmp_path, _STYLE_ENTRY.format(marks="[3, 2]")))[0].marks == 5


@pytest.mark.parametrize("marks", ["[3, 3]", "[5]", "[5, 0]"])
def test_bank_rejects_marking_points_that_do_not_add_up(tmp_path, marks):
    with pytest.raises(ValueError, match="point_marks"):
        course.load_pyqs(_bank_file(tmp_path, _STYLE_ENTRY.format(marks=marks)))


def test_bank_reads_versions(tmp_path):
    body = _STYLE_ENTRY.format(marks="[3, 2]") + (
        '\n[[pyq.versions]]\nmarks = 10\nquestion = "long q?"\nanswer = "b"\n'
        'key_points = ["p1 is long", "p2 is long"]\npoint_marks = [6, 4]\n'
    )
    q = course.load_pyqs(_bank_file(tmp_path, body))[0]
    assert [v.marks for v in q.all_versions] == [10, 5]
    assert q.version(10).question == "long q?" and q.version(None).question == "q?"
    with pytest.raises(KeyError):
        q.version(7)


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
    ids = {q["id"] for q in listed}
    assert ids == {q.id for q in course.load_pyqs()} and ids >= EXPECTED_IDS
    one = json.loads(_invoke("pyq", "2023-may-2b", "--json").output)
    assert one["session"] == "May 2023" and one["key_points"] and "<!--" not in one["answer"]
    assert set(course.PYQ_FIELDS) <= set(one) and set(course.PAST_YEAR_FIELDS) <= set(one)
    assert one["versions"] and all("<!--" not in v["answer"] for v in one["versions"])


def test_show_a_version_by_marks():
    five = _invoke("pyq", "2024-2b", "--marks", "5", "--answer")
    assert five.exit_code == 0
    assert "State the chain rule" in five.output and "Model answer (5 marks)" in five.output
    assert "[2] Factors of the same neuron" in five.output
    ten = _invoke("pyq", "2024-2b", "--answer")
    assert QUOTED in ten.output and "Model answer (10 marks)" in ten.output and "Diagram" in ten.output
    bad = _invoke("pyq", "2024-2b", "--marks", "7")
    assert bad.exit_code == 2 and "10, 5 marks, not 7" in bad.output


def test_list_fits_80_columns():
    out = _invoke("pyq").output
    assert max(len(line) for line in out.splitlines()) <= 80
    for q in course.load_pyqs():
        assert q.id in out


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


def test_numbers_in_the_diagrams_are_the_answers_numbers():
    """The ASCII diagrams repeat worked numbers: recompute them (one neuron, the ½ convention, 2-2-2 epochs)."""
    import math

    bank = {q.id: q for q in course.load_pyqs()}

    def d(f, x, h=1e-6):
        return (f(x + h) - f(x - h)) / (2 * h)

    w, x, y = 0.5, 2.0, 3.0
    z = w * x
    neuron = bank["2023-may-2b"].diagram
    assert f"z = w·x = {z:g}" in neuron and f"L = (z − y)² = {(z - y) ** 2:g}" in neuron
    assert f"∂L/∂z = 2(z − y) = {2 * (z - y):g}".replace("-", "−") in neuron
    assert f"∂L/∂w = ∂L/∂z · ∂z/∂w = {2 * (z - y) * x:g}".replace("-", "−") in neuron
    half = bank["style-half-squared-error"].diagram
    assert f"= {2 * (z - y):g}".replace("-", "−") in half and f"= {(z - y):g}".replace("-", "−") in half
    assert f"δ·x = {round(d(lambda v: (v * x - y) ** 2 / 2, w)):g}".replace("-", "−") in half
    w, x, b, y = 2.0, 1.5, -1.0, 1.0
    graph = bank["style-neuron-graph"].diagram
    zz = w * x + b
    assert f"u = {w * x:g}" in graph and f"z = {zz:g}" in graph and f"= {(zz - y) ** 2:g}" in graph
    assert f"∂L/∂w = 2·x = {round(d(lambda v: (v * x + b - y) ** 2, w)):g}" in graph
    assert f"∂L/∂b = {round(d(lambda v: (w * x + v - y) ** 2, b)):g}" in graph
    epochs = bank["style-epochs-iterations"].diagram
    assert f"{math.ceil(500 / 64)} iterations" in epochs and f"{20 * math.ceil(500 / 64)} updates" in epochs
    assert f"│{500 - 7 * 64}│" in epochs
