"""`grade quiz`: question generators, answer checking, and the scripted dialogue.

Expected answers are recomputed here from the question as the student sees
it (its prompt), by hand formulas or SymPy — independently of grader.quiz.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner
from helpers import make_workspace
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication,
    parse_expr,
    standard_transformations,
)

from grader import quiz
from grader.cli import cli
from grader.progress import ProgressStore

SEEDS = range(12)
_NUMBER = r"[−-]?\d+(?:\.\d+)?"


def _num(text: str) -> float:
    return float(text.replace("−", "-"))


def _expr(text: str) -> sp.Expr:
    """A formula as a question prints it (`2(x + 1)²`, `3·x^2·y`) as SymPy."""
    text = text.replace("·", "*").replace("−", "-").replace("²", "^2")
    return parse_expr(text, transformations=(*standard_transformations, implicit_multiplication, convert_xor))


def _questions(maker, seeds=SEEDS):
    return [maker(np.random.default_rng(seed)) for seed in seeds]


# -- reading typed numbers ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "values"), [
    ("2.4, 3.2", [2.4, 3.2]), ("(2.4, 3.2)", [2.4, 3.2]), ("[2.4 3.2]", [2.4, 3.2]), ("2.4 3.2", [2.4, 3.2]),
    ("−8", [-8.0]), ("1/3", [1 / 3]), ("3*0.8", [2.4]), ("1e-3", [0.001]), ("-2^2", [-4.0]),
])
def test_parse_numbers_accepts_what_students_type(text, values):
    assert quiz.parse_numbers(text) == pytest.approx(values)


@pytest.mark.parametrize("text", ["", "abc", "2,,3", "x + 1", "9**9**9", "1/0", "__import__('os')", "2 ** 99"])
def test_parse_numbers_rejects_everything_else(text):
    with pytest.raises(ValueError):
        quiz.parse_numbers(text)


def test_tolerance_accepts_two_decimals_and_rejects_a_slip():
    assert quiz.close_enough([7.33], [22 / 3])
    assert not quiz.close_enough([7.3], [22 / 3])
    assert not quiz.close_enough([1.0, 2.0], [1.0])


# -- numeric questions: the expected answer matches the prompt ------------------------------

def test_gd_step_answer_is_one_step_on_the_printed_quadratic():
    x, y = sp.symbols("x y")
    for q in _questions(quiz.gd_step_question):
        m = re.search(rf"J\(x, y\) = (.+?)\. Take ONE .* \(x, y\) = \(({_NUMBER}), ({_NUMBER})\) "
                      rf"with learning rate α = ({_NUMBER})", q.prompt)
        assert m, q.prompt
        J = _expr(m.group(1))
        point = {x: _num(m.group(2)), y: _num(m.group(3))}
        rate = _num(m.group(4))
        step = [float(point[v] - rate * sp.diff(J, v).subs(point)) for v in (x, y)]
        assert q.check(", ".join(f"{v:.4f}" for v in step)).correct, (q.prompt, step)
        assert not q.check(", ".join(f"{v + 0.1:.4f}" for v in step)).correct


def test_gradient_answer_is_the_gradient_of_the_printed_function():
    x, y = sp.symbols("x y")
    for q in _questions(quiz.gradient_question):
        m = re.search(rf"f\(x, y\) = (.+?)\. What is the gradient ∇f at \(x, y\) = \(({_NUMBER}), ({_NUMBER})\)",
                      q.prompt)
        assert m, q.prompt
        f = _expr(m.group(1))
        at = {x: _num(m.group(2)), y: _num(m.group(3))}
        grad = [float(sp.diff(f, v).subs(at)) for v in (x, y)]
        assert q.check(f"{grad[0]}, {grad[1]}").correct
        if grad[0] != grad[1]:
            assert not q.check(f"{grad[1]}, {grad[0]}").correct


def test_neuron_answer_is_2_wx_minus_y_times_x():
    for q in _questions(quiz.neuron_question):
        w, x, y = (_num(v) for v in re.search(
            rf"w = ({_NUMBER}), x = ({_NUMBER}), y = ({_NUMBER})", q.prompt).groups())
        assert q.check(f"{2 * (w * x - y) * x:.4f}").correct
        assert not q.check(f"{2 * (w * x - y):.4f}").correct


def test_mse_gradient_answer_is_the_mean_gradient():
    for q in _questions(quiz.mse_gradient_question):
        w, b = (_num(v) for v in re.search(rf"w = ({_NUMBER}), b = ({_NUMBER})", q.prompt).groups())
        data = np.array([[_num(a), _num(c)] for a, c in re.findall(rf"\(({_NUMBER}), ({_NUMBER})\)", q.prompt)])
        r = w * data[:, 0] + b - data[:, 1]
        expected = (2 * np.mean(r * data[:, 0]), 2 * np.mean(r))
        assert len(data) == 3
        assert q.check(f"{expected[0]:.3f}, {expected[1]:.3f}").correct


def test_numeric_mistakes_are_named():
    q = quiz.neuron_question(np.random.default_rng(5))
    w, x, y = (_num(v) for v in re.search(rf"w = ({_NUMBER}), x = ({_NUMBER}), y = ({_NUMBER})", q.prompt).groups())
    forgot_x = q.check(f"{2 * (w * x - y):.4f}")
    assert forgot_x.status == "wrong" and "∂z/∂w = x" in forgot_x.message
    sign = q.check(f"{-2 * (w * x - y) * x:.4f}")
    assert sign.status == "wrong" and "sign" in sign.message
    plain = q.check("12345")
    assert plain.status == "wrong" and "the answer is" in plain.message


def test_gd_step_ascent_is_diagnosed():
    q = quiz.gd_step_question(np.random.default_rng(1))
    point = np.array([_num(v) for v in re.search(rf"= \(({_NUMBER}), ({_NUMBER})\) with", q.prompt).groups()])
    expected = np.array(quiz.parse_numbers(q.answer))
    ascent = 2 * point - expected  # θ + α∇J mirrors θ − α∇J about θ
    verdict = q.check(f"{ascent[0]:.4f}, {ascent[1]:.4f}")
    assert verdict.status == "wrong" and "added the step" in verdict.message


def test_invalid_numeric_answers_are_not_scored():
    q = quiz.gd_step_question(np.random.default_rng(0))
    for text in ("abc", "1.5", "1, 2, 3"):
        verdict = q.check(text)
        assert verdict.status == "invalid" and "2 numbers" in verdict.message


# -- symbolic questions ----------------------------------------------------------------------

def test_symbolic_right_equivalent_wrong_and_invalid():
    x = sp.Symbol("x")
    q = quiz.chain_question(np.random.default_rng(0), 0)
    function = sp.sympify(q.title.split(" of ", 1)[1].replace("sigmoid", "sig"), locals={
        "sig": lambda u: 1 / (1 + sp.exp(-u))})
    wrt = sp.Symbol(q.title[3])
    derivative = sp.diff(function, wrt)
    assert q.check(str(derivative)).correct
    assert q.check(str(sp.expand(derivative))).correct  # an equivalent, differently written form
    assert q.check(str(sp.factor(derivative))).correct
    assert not q.check(str(derivative + 1)).correct
    invalid = q.check("2*(")
    assert invalid.status == "invalid" and invalid.score == 0
    assert x in function.free_symbols or wrt in function.free_symbols


def test_chain_rule_forgotten_inner_derivative_is_diagnosed():
    # Find a seed whose chain question is (a·x + b)^n, where the inner derivative is a ≠ 1.
    for seed in range(60):
        q = quiz.chain_question(np.random.default_rng(seed), seed)
        if q.title.startswith("d/dx of (") and "**" in q.title:
            break
    else:
        pytest.fail("no (a*x + b)**n question in 60 seeds")
    x = sp.Symbol("x")
    inner_text, n = q.title.split(" of ", 1)[1].rsplit("**", 1)
    inner = sp.sympify(inner_text)
    outer_only = int(n) * inner ** (int(n) - 1)
    verdict = q.check(str(outer_only))
    assert verdict.status == "wrong" and "inner derivative" in verdict.message
    assert q.check(str(sp.diff(inner ** int(n), x))).correct


def test_partial_derivative_wrong_variable_is_diagnosed():
    x, y = sp.symbols("x y")
    for seed in SEEDS:
        q = quiz.partial_question(np.random.default_rng(seed), seed)
        function = sp.sympify(q.title.split(" of ", 1)[1])
        wrt, other = (x, y) if q.title.startswith("∂f/∂x") else (y, x)
        assert q.check(str(sp.diff(function, wrt))).correct
        if sp.diff(function, other) != sp.diff(function, wrt):
            assert not q.check(str(sp.diff(function, other))).correct


# -- PYQ self-scoring --------------------------------------------------------------------------

def test_pyq_ticks():
    from grader.course import load_pyqs

    q = quiz.pyq_question(load_pyqs()[0])
    count = len(q.key_points)
    assert q.check("all").score == count and q.check("all").correct
    assert q.check("none").score == 0 and not q.check("none").correct
    assert q.check("1 3, 4").score == 3
    assert q.check("1 1 1").score == 1
    for bad in ("", "0 1", str(count + 1), "x"):
        assert q.check(bad).status == "invalid"


# -- assembling quizzes --------------------------------------------------------------------------

def test_quiz_topics_are_the_catalog_topics():
    from grader.catalog import load_catalog

    assert tuple(dict.fromkeys(ex.topic for ex in load_catalog())) == quiz.TOPICS


def test_same_seed_same_quiz_and_filters():
    first = [q.prompt for q in quiz.make_quiz(7, 6)]
    assert first == [q.prompt for q in quiz.make_quiz(7, 6)]
    assert first != [q.prompt for q in quiz.make_quiz(8, 6)]
    for topic in quiz.TOPICS:
        questions = quiz.make_quiz(3, 4, topic=topic)
        assert len(questions) == 4
        assert all(q.topic == topic or q.kind == "pyq" for q in questions)
    pyqs = quiz.make_quiz(1, 10, kind="pyq")
    bank = quiz.course.load_pyqs()
    assert {q.kind for q in pyqs} == {"pyq"} and len(pyqs) == len({q.title for q in pyqs}) == len(bank)
    assert sum(q.kind == "pyq" for q in quiz.make_quiz(2, 20)) <= 1
    with pytest.raises(ValueError):
        quiz.make_quiz(1, 3, topic="training", kind="symbolic")


# -- the command, driven through stdin -----------------------------------------------------------

@pytest.fixture
def workspace(tmp_path):
    return make_workspace(tmp_path / "ws", {})


def _run(args, answers, workspace=None):
    extra = ["--path", str(workspace)] if workspace else []
    return CliRunner().invoke(cli, ["quiz", *args, *extra], input="".join(a + "\n" for a in answers),
                              env={"NO_COLOR": "1"})


def test_all_right_exits_0_and_is_recorded(workspace):
    questions = quiz.make_quiz(11, 5)
    result = _run(["--seed", "11"], [q.answer for q in questions], workspace)
    assert result.exit_code == 0, result.output
    assert "Score: 5/5" in result.output
    records = ProgressStore(workspace / ".grade" / "progress.sqlite3").quiz_results()
    assert [r.question for r in records] == [q.title for q in questions]
    assert all(r.score == r.max_score and r.seed == 11 for r in records)
    assert {r.kind for r in records} <= set(quiz.KINDS)


def test_wrong_and_invalid_answers(workspace):
    questions = quiz.make_quiz(5, 3, kind="numeric")
    answers = ["what?", questions[0].answer, "999, 999" if "," in questions[1].answer else "999", questions[2].answer]
    result = _run(["--seed", "5", "--kind", "numeric", "--count", "3"], answers, workspace)
    assert result.exit_code == 1
    assert "Type " in result.output  # the re-prompt after "what?"
    assert "Score: 2/3" in result.output
    scores = [r.score for r in ProgressStore(workspace / ".grade" / "progress.sqlite3").quiz_results()]
    assert scores == [1.0, 0.0, 1.0]


def test_symbolic_equivalent_form_through_the_command(workspace):
    questions = quiz.make_quiz(4, 2, kind="symbolic")
    answers = [str(sp.expand(sp.sympify(q.answer))) for q in questions]
    result = _run(["--seed", "4", "--kind", "symbolic", "--count", "2"], answers, workspace)
    assert result.exit_code == 0, result.output


def test_eof_mid_quiz_ends_cleanly_with_the_partial_result(workspace):
    questions = quiz.make_quiz(9, 5)
    result = _run(["--seed", "9"], [questions[0].answer, questions[1].answer], workspace)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "ended early" in result.output and "2 of 5 answered" in result.output
    assert len(ProgressStore(workspace / ".grade" / "progress.sqlite3").quiz_results()) == 2


def test_pyq_question_in_the_command_shows_model_answer_and_records_self_score(workspace):
    result = _run(["--seed", "1", "--kind", "pyq", "--count", "1"], ["1 2"], workspace)
    assert "Model answer" in result.output and "Key points" in result.output
    assert "<!--" not in result.output
    record = ProgressStore(workspace / ".grade" / "progress.sqlite3").quiz_results()[0]
    assert record.kind == "pyq" and record.score == 2 and record.max_score >= 5
    assert result.exit_code == 1  # not every key point ticked


def test_quiz_without_a_workspace_still_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    q = quiz.make_quiz(2, 1, kind="numeric")[0]
    result = _run(["--seed", "2", "--kind", "numeric", "--count", "1"], [q.answer])
    assert result.exit_code == 0 and "not recorded" in result.output


def test_quiz_bad_path_or_options_exit_2(tmp_path):
    assert _run(["--seed", "1"], [], tmp_path / "nowhere").exit_code == 2
    assert _run(["--topic", "nonsense"], []).exit_code == 2
    assert _run(["--topic", "training", "--kind", "symbolic"], [], make_workspace(tmp_path / "w", {})).exit_code == 2


def test_every_generated_answer_key_is_accepted_and_a_perturbed_one_is_not():
    for seed in range(25):
        for q in quiz.make_quiz(seed, 8):
            assert q.check(q.answer).correct, (q.title, q.answer)
            if q.kind == "numeric":
                bumped = ", ".join(f"{v + 0.5:.6f}" for v in quiz.parse_numbers(q.answer))
                assert not q.check(bumped).correct
            elif q.kind == "symbolic":
                assert not q.check(f"({q.answer}) + 1").correct
