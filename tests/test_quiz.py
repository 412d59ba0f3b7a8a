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

    pyq = load_pyqs()[0]
    q = quiz.pyq_question(pyq)
    count = len(q.key_points)
    marks = pyq.point_marks
    assert q.max_score == pyq.marks == sum(marks)
    assert q.check("all").score == pyq.marks and q.check("all").correct
    assert q.check("none").score == 0 and not q.check("none").correct
    assert q.check("1 3, 4").score == marks[0] + marks[2] + marks[3]
    assert q.check("1 1 1").score == marks[0]
    assert f"{marks[0]}/{pyq.marks} marks" in q.check("1").message
    for bad in ("", "0 1", str(count + 1), "x"):
        assert q.check(bad).status == "invalid"
    ten = quiz.pyq_question(pyq, 10)
    assert ten.max_score == 10 and ten.key == f"pyq:{pyq.id}:10" and "10 marks" in ten.prompt


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
    from grader.course import load_pyqs

    pyqs = quiz.make_quiz(1, 50, kind="pyq")
    assert {q.kind for q in pyqs} == {"pyq"} and len(pyqs) == len({q.title for q in pyqs}) == len(load_pyqs())
    concepts = quiz.make_quiz(1, 50, kind="concept")
    assert {q.kind for q in concepts} == {"concept"} and len(concepts) == len({q.title for q in concepts}) >= 10
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
    question = quiz.make_quiz(1, 1, kind="pyq")[0]
    assert record.kind == "pyq" and record.score == sum(question.point_marks[:2]) and record.max_score >= 5
    assert record.max_score == sum(question.point_marks)
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


# -- values that keep mistakes apart, and the diagnoses --------------------------------------------

NUMERIC_MAKERS = (quiz.gd_step_question, quiz.gradient_question, quiz.neuron_question,
                  quiz.sigmoid_neuron_question, quiz.mse_gradient_question)


@pytest.mark.parametrize("maker", NUMERIC_MAKERS, ids=lambda m: m.__name__)
def test_no_seed_makes_two_mistakes_indistinguishable(maker):
    for seed in range(300):
        q = maker(np.random.default_rng(seed))
        expected = quiz.parse_numbers(q.answer)
        values = [expected] + [list(wrong) for _, wrong in q.mistakes]
        for i, first in enumerate(values):
            for second in values[i + 1:]:
                assert not quiz.close_enough(first, second), (seed, q.prompt)
        # Every known mistake, typed, is named by its own diagnosis.
        for message, wrong in q.mistakes:
            verdict = q.check(", ".join(f"{v:.6f}" for v in wrong))
            assert verdict.status == "wrong" and message in verdict.message, (seed, message)


def test_neuron_values_never_hide_the_x_factor():
    for seed in range(300):
        q = quiz.neuron_question(np.random.default_rng(seed))
        w, x, y = (_num(v) for v in re.search(rf"w = ({_NUMBER}), x = ({_NUMBER}), y = ({_NUMBER})", q.prompt).groups())
        assert x != 1 and w != 0 and w * x != y and x != w, q.prompt


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_sigmoid_neuron_diagnoses_a_dropped_sigma_prime_and_the_z_slip():
    for seed in range(40):
        q = quiz.sigmoid_neuron_question(np.random.default_rng(seed))
        w, x, y = (_num(v) for v in re.search(rf"w = ({_NUMBER}), x = ({_NUMBER}), y = ({_NUMBER})", q.prompt).groups())
        z = w * x
        a = _sigmoid(z)
        right = 2 * (a - y) * a * (1 - a) * x
        assert q.check(f"{right:.5f}").correct
        dropped = q.check(f"{2 * (a - y) * x:.5f}")
        assert dropped.status == "wrong" and "dropped σ′" in dropped.message
        slip = q.check(f"{2 * (a - y) * z * (1 - z) * x:.5f}")
        assert slip.status == "wrong" and "not z(1 − z)" in slip.message
        assert "2(a − y) · a(1 − a) · x" in q.solution  # the factored chain


def _neuron_chain(template_start, seeds=range(200)):
    for seed in seeds:
        q = quiz.chain_question(np.random.default_rng(seed), seed, neuron=True)
        if q.title.split(" of ", 1)[1].startswith(template_start):
            return q
    pytest.fail(f"no {template_start} question")


def test_symbolic_sigmoid_slips_are_diagnosed():
    q = _neuron_chain("sigmoid(w*x + b)")
    dropped = q.check("x")
    assert dropped.status == "wrong" and "dropped σ′" in dropped.message
    slip = q.check("(w*x + b)*(1 - (w*x + b))*x")
    assert slip.status == "wrong" and "not z(1 − z)" in slip.message
    assert q.check("sigmoid(w*x + b)*(1 - sigmoid(w*x + b))*x").correct
    loss = _neuron_chain("(sigmoid(w*x) - y)")
    verdict = loss.check("2*(sigmoid(w*x) - y)*x")
    assert verdict.status == "wrong" and "dropped σ′" in verdict.message


def test_partial_not_holding_the_other_variable_fixed_is_diagnosed():
    x, y = sp.symbols("x y")
    seen = 0
    for seed in range(40):
        q = quiz.partial_question(np.random.default_rng(seed), seed)
        function = sp.sympify(q.title.split(" of ", 1)[1])
        wrt, other = (x, y) if q.title.startswith("∂f/∂x") else (y, x)
        total = sp.diff(function, wrt) + sp.diff(function, other)
        if sp.simplify(total - sp.diff(function, wrt)) == 0:
            continue
        verdict = q.check(str(total))
        assert verdict.status == "wrong" and f"hold {other} fixed" in verdict.message
        seen += 1
    assert seen >= 10


def test_symbolic_solutions_are_in_factored_form_and_right():
    for seed in range(60):
        for q in (quiz.chain_question(np.random.default_rng(seed), seed),
                  quiz.chain_question(np.random.default_rng(seed), seed, neuron=True),
                  quiz.partial_question(np.random.default_rng(seed), seed)):
            names = {n: sp.Symbol(n) for n in ("x", "y", "w", "b")}
            names["sigmoid"] = lambda u: 1 / (1 + sp.exp(-u))
            factored = sp.sympify(q.factored, locals=names)
            expected = sp.sympify(q.answer, locals=names)
            assert sp.simplify(factored - expected) == 0, (q.title, q.factored)
            if q.kind == "symbolic" and q.topic != "partial-derivatives":
                assert " · " in q.solution, q.solution  # outer × inner, not one expanded expression


# -- conceptual items ------------------------------------------------------------------------------

def test_concept_items_explain_every_wrong_option():
    from grader.quiz_concepts import CONCEPTS

    assert len(CONCEPTS) >= 10 and len({c.id for c in CONCEPTS}) == len(CONCEPTS)
    for item in CONCEPTS:
        q = quiz.concept_question(item, 3)
        letters = re.findall(r"^  ([a-d])\) (.*)$", q.prompt, flags=re.MULTILINE)
        assert len(letters) == 1 + len(item.wrong)
        for letter, text in letters:
            verdict = q.check(letter)
            if text == item.right:
                assert verdict.correct and letter == q.answer
            else:
                why = dict(item.wrong)[text]
                assert verdict.status == "wrong" and why in verdict.message
        assert q.check("z").status == "invalid" and q.check("").status == "invalid"
    orders = {quiz.concept_question(CONCEPTS[0], seed).answer for seed in range(20)}
    assert len(orders) > 1  # the right option is not always in the same place


def test_concept_numbers_are_right():
    import math

    from grader.quiz_concepts import CONCEPTS

    items = {c.id: c for c in CONCEPTS}
    assert items["epochs-iterations"].right == str(3 * math.ceil(1000 / 50))
    assert "20 iterations" in items["epochs-iterations"].why and math.ceil(1000 / 50) == 20
    assert items["sigmoid-slope"].right.startswith(str(float(_sigmoid(0.0) * (1 - _sigmoid(0.0)))))
    assert "0.0625" in items["levelled-loss"].right and 0.25**2 == 0.0625


# -- the registry and regeneration ------------------------------------------------------------------

def test_register_adds_a_generator_in_one_line(monkeypatch):
    monkeypatch.setattr(quiz, "GENERATORS", dict(quiz.GENERATORS))

    def momentum(rng, seed):
        value = float(rng.integers(1, 9))
        return quiz.Question("numeric", "gradient-descent", "a test item", f"Type {value:g}.", "it is.", 1.0,
                             f"{value:g}", quiz.numeric_checker([value], []))

    quiz.register("test-item", "numeric", ("gradient-descent",), momentum)
    with pytest.raises(ValueError, match="already registered"):
        quiz.register("test-item", "numeric", ("gradient-descent",), momentum)
    with pytest.raises(ValueError, match="kind"):
        quiz.register("other", "essay", ("gradient-descent",), momentum)
    found = [q for seed in range(10) for q in quiz.make_quiz(seed, 6, topic="gradient-descent", kind="numeric")
             if q.title == "a test item"]
    assert found and all(q.key.startswith("gen:test-item:") for q in found)
    assert quiz.regenerate(found[0].key).prompt == found[0].prompt


def test_register_many_takes_kind_topics_build_triples(monkeypatch):
    monkeypatch.setattr(quiz, "GENERATORS", dict(quiz.GENERATORS))
    triples = (("numeric", ("training",), lambda rng, seed: quiz.mse_gradient_question(rng)),
               ("symbolic", ("chain-rule",), quiz.chain_question))
    quiz.register_many("extra", triples)
    assert quiz.GENERATORS["extra-0"].kind == "numeric" and quiz.GENERATORS["extra-1"].topics == ("chain-rule",)
    built = quiz._build(quiz.GENERATORS["extra-1"], 5)
    assert built.key == "gen:extra-1:5" and quiz.regenerate(built.key).prompt == built.prompt


def test_every_question_can_be_regenerated_from_its_key():
    for seed in range(8):
        for q in quiz.make_quiz(seed, 12):
            again = quiz.regenerate(q.key)
            assert (again.prompt, again.answer, again.key) == (q.prompt, q.answer, q.key)
    for bad in ("gen:nothing:1", "pyq:2099-1a:10", "concept:none:1", "junk", "gen:gd-step:x"):
        with pytest.raises(quiz.UnknownItem):
            quiz.regenerate(bad)


# -- the end-of-quiz review, --review and Ctrl-C ---------------------------------------------------

def _wrong(q):
    return "zz" if q.kind == "concept" else ("none" if q.kind == "pyq" else
                                             ("x + 12345" if q.kind == "symbolic" else
                                              ", ".join(["12345"] * len(quiz.parse_numbers(q.answer)))))


def test_missed_items_are_reviewed_at_the_end(workspace):
    questions = quiz.make_quiz(21, 3, kind="numeric")
    answers = [questions[0].answer, _wrong(questions[1]), questions[2].answer]
    result = _run(["--seed", "21", "--kind", "numeric", "--count", "3"], answers, workspace)
    assert result.exit_code == 1
    review = result.output.split("Review of the 1 missed item(s)", 1)[1]
    assert questions[1].title in review and "You answered: 12345" in review
    assert "Worked solution: " + questions[1].solution in review
    assert questions[0].title not in review


def test_review_asks_again_what_was_missed_and_spaces_it(workspace):
    questions = quiz.make_quiz(22, 3, kind="numeric")
    _run(["--seed", "22", "--kind", "numeric", "--count", "3"],
         [_wrong(questions[0]), questions[1].answer, _wrong(questions[2])], workspace)
    store = ProgressStore(workspace / ".grade" / "progress.sqlite3")
    assert {i.key for i in store.due_for_review()} == {questions[0].key, questions[2].key}
    # The review asks exactly the two missed items (same numbers); answer one right, one wrong again.
    result = _run(["--review"], [questions[0].answer, _wrong(questions[2])], workspace)
    assert "Review · 2 item(s)" in result.output and result.exit_code == 1
    assert questions[0].prompt in result.output and questions[2].prompt in result.output
    assert questions[1].prompt not in result.output
    items = {i.key: i for i in store.review_items()}
    assert items[questions[0].key].box == 1 and items[questions[2].key].box == 0
    assert items[questions[2].key].misses == 2
    # The one answered right is spaced out (due tomorrow); only the other one is due now.
    assert [i.key for i in store.due_for_review()] == [questions[2].key]
    result = _run(["--review"], [questions[2].answer], workspace)
    assert result.exit_code == 0
    nothing = _run(["--review"], [], workspace)
    assert nothing.exit_code == 0 and "Nothing to review now: 2 item(s) come back later" in nothing.output


def test_review_needs_a_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _run(["--review"], []).exit_code == 2


def test_review_schedule_is_a_leitner_box(tmp_path):
    from datetime import UTC, datetime, timedelta

    from grader.progress import MASTERED_BOX, REVIEW_INTERVALS_DAYS

    store = ProgressStore(tmp_path / "p.sqlite3")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    store.record_review(key="k", title="t", topic="training", kind="numeric", correct=True, now=start)
    assert store.review_items() == []  # right answers to items never missed are not tracked
    store.record_review(key="k", title="t", topic="training", kind="numeric", correct=False, now=start)
    moment = start
    for box in range(1, MASTERED_BOX + 1):
        assert [i.key for i in store.due_for_review(moment)] == ["k"]
        store.record_review(key="k", title="t", topic="training", kind="numeric", correct=True, now=moment)
        item = store.review_items()[0]
        assert item.box == box
        if box < MASTERED_BOX:
            days = REVIEW_INTERVALS_DAYS[box]
            assert store.due_for_review(moment + timedelta(days=days) - timedelta(seconds=1)) == [] or days == 0
            moment += timedelta(days=days)
    assert store.due_for_review(moment + timedelta(days=365)) == []  # mastered


def test_review_table_is_added_to_an_old_database(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE quiz (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, kind TEXT NOT "
                       "NULL, question TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, seed INTEGER, "
                       "created TEXT NOT NULL); INSERT INTO quiz VALUES (1, 't', 'numeric', 'q', 1, 1, 3, 'x');")
    conn.close()
    store = ProgressStore(path)
    assert store.review_items() == [] and len(store.quiz_results()) == 1
    store.record_review(key="gen:gd-step:1", title="t", topic="t", kind="numeric", correct=False)
    assert len(store.due_for_review()) == 1 and len(store.quiz_results()) == 1


def test_ctrl_c_says_quiz_stopped_and_keeps_the_answers(workspace, monkeypatch):
    from grader.commands import quiz_cmd

    questions = quiz.make_quiz(23, 4, kind="numeric")
    answers = iter([questions[0].answer, _wrong(questions[1])])

    def fake_read_line(prompt):
        try:
            return next(answers)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(quiz_cmd, "read_line", fake_read_line)
    result = _run(["--seed", "23", "--kind", "numeric", "--count", "4"], [], workspace)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "quiz stopped: 2 of 4 answered (recorded)." in result.output
    assert "ended early" not in result.output and "Score: 1/4" in result.output
    assert "Review of the 1 missed item(s)" in result.output
    records = ProgressStore(workspace / ".grade" / "progress.sqlite3").quiz_results()
    assert [r.score for r in records] == [1.0, 0.0]
