"""Exercise 3 (the chain rule), end to end and in its maths.

End to end: the real `grade` CLI in subprocesses grades the reference, the
untouched stub, one deliberately wrong submission per mistake and several
alternative correct ones (edits of the reference in tests/submissions/exercise3.py). Maths: the symbolic
answers, docstring and hint formulas against sympy.diff; the neuron's backward
pass and the chain's backward sweep against central differences.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
import sympy as sp
from helpers import REPO, grade_many, submission, submission_edits

import grader.hidden.test_exercise3 as hidden
from grader.catalog import resolve
from grader.runner import load_reference
from grader.sandbox.callables import build
from grader.stubs import stub_source

EXERCISE = resolve("exercise3")
FILE = EXERCISE.file
REF_SOURCE = (REPO / "solutions" / FILE).read_text(encoding="utf-8")
ref = load_reference(EXERCISE)
w, x, y, b, z, u = sp.symbols("w x y b z u")


def sigma(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


LOCALS = {"w": w, "x": x, "y": y, "b": b, "z": z, "sigmoid": sigma}

TITLES = {
    name: f"exercise3 · {getattr(hidden, name).__doc__.strip().splitlines()[0]}" for name in EXERCISE.points
}

BACKWARD_TESTS = ("test_neuron_backward_worked_example", "test_neuron_backward_random")
CHAIN_TESTS = ("test_chain_backward_worked_example", "test_chain_backward_random",
               "test_chain_backward_reuses_upstream", "test_chain_backward_one_node")

# submission -> {hidden test that must fail: sentence its feedback must contain}; all others must pass.
WRONG: dict[str, dict[str, str]] = {
    "sq_missing_inner": {"test_squared_error_derivative": "You left out the inner derivative: the chain rule"},
    "sq_sign": {"test_squared_error_derivative": "Sign error: the outer derivative of u² is 2u"},
    "sq_no_factor_2": {"test_squared_error_derivative": "You dropped the factor 2: d(u²)/du = 2u."},
    "sq_wrong_variable": {"test_squared_error_derivative": "That is the derivative with respect to x"},
    "sigmoid_from_z": {"test_sigmoid_neuron_derivative": "is computed from σ(z), not from z"},
    "sigmoid_missing_inner": {"test_sigmoid_neuron_derivative": "You left out the inner derivative d(w·x + b)/dw = x"},
    "gaussian_missing_inner": {"test_gaussian_derivative": "You left out the inner derivative: d(e^u)/du = e^u"},
    "sigmoid_backward_no_upstream": {
        "test_sigmoid_backward": "You left out the upstream gradient",
        **dict.fromkeys(BACKWARD_TESTS, "Does your sigmoid_backward use its `upstream` argument?"),
    },
    "forward_no_bias": {"test_neuron_forward_random": "You left out the bias: z = w·x + b."},
    "backward_sigma_from_z": dict.fromkeys(BACKWARD_TESTS, "not from z: you used z·(1 − z)"),
    "backward_sign": dict.fromkeys(BACKWARD_TESTS, "Sign error: dL/da = 2(a − y), not 2(y − a)."),
    "backward_no_factor_2": dict.fromkeys(BACKWARD_TESTS, "You dropped the factor 2: dL/da = 2(a − y)."),
    "backward_missing_inner": dict.fromkeys(BACKWARD_TESTS, "You left out the inner derivative for w"),
    "backward_swapped": dict.fromkeys(BACKWARD_TESTS, "∂z/∂w = x and ∂z/∂x = w; you swapped them"),
    "backward_ignores_upstream": {"test_neuron_backward_random": "You ignored `upstream`"},
    "chain_recomputes": {"test_chain_backward_reuses_upstream": "local_grad(2) was asked for a second time"},
    "chain_no_upstream": dict.fromkeys(CHAIN_TESTS[1:], "You started the sweep from 1 instead of `upstream`"),
    "chain_added": dict.fromkeys(CHAIN_TESTS, "The chain rule MULTIPLIES local derivatives; you added them."),
    "backward_x_missing_inner": dict.fromkeys(
        ("test_neuron_backward_worked_example", "test_neuron_backward_random"),
        'Your "x" entry misses its chain factor: dL/dx = dL/dz · ∂z/∂x = dL/dz · w'),
}
ALTERNATIVES = ["alt_sigmoid_text", "alt_strings_vectorised", "alt_sympy_diff_nodes"]
SEED = 7


def _submission(name: str) -> str:
    return submission(3, name)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], tuple[int, dict[str, Any]]]:
    """Every grading run this module needs, two at a time (each is its own process)."""
    jobs: dict[tuple[str, int], str] = {("reference", s): REF_SOURCE for s in (1, SEED)}
    jobs.update({("stub", s): stub_source(FILE) for s in (1, 2)})
    jobs[("stub-again", 1)] = stub_source(FILE)  # the same seed must give the same inputs
    jobs.update({(name, SEED): _submission(name) for name in [*WRONG, *ALTERNATIVES]})

    return grade_many("exercise3", {key: (src, key[1]) for key, src in jobs.items()},
                      tmp_path_factory.mktemp("ex3"))


def _by_id(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_name = {t["name"]: t for t in results["tests"]}
    return {test_id: by_name[title] for test_id, title in TITLES.items()}


# -- end to end --------------------------------------------------------------------

def test_catalog_entry() -> None:
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.title, EXERCISE.topic, EXERCISE.tests) == (
        3, "chain-rule", "The chain rule", "chain-rule", "test_exercise3")
    assert FILE == "exercise3_chain_rule.py"
    assert 15 <= EXERCISE.max_score <= 25 and 3 <= len(EXERCISE.hints) <= 5
    assert len(set(TITLES.values())) == len(TITLES)


@pytest.mark.parametrize("seed", [1, SEED])
def test_reference_gets_full_marks(graded, seed: int) -> None:
    code, results = graded[("reference", seed)]
    failures = {t["name"]: t["output"] for t in results["tests"] if t["status"] == "failed"}
    assert failures == {}
    assert code == 0 and results["score"] == results["max_score"] == EXERCISE.max_score


def test_untouched_stub_gets_zero_with_not_implemented(graded) -> None:
    code, results = graded[("stub", 1)]
    assert code == 1 and results["score"] == 0 and results["max_score"] == EXERCISE.max_score
    for test in results["tests"]:
        assert "not implemented yet" in test["output"], test["name"]


def test_stub_in_repo_is_generated_from_the_solution() -> None:
    assert (REPO / "exercises" / FILE).read_text(encoding="utf-8") == stub_source(FILE)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_loses_the_right_points_with_diagnosis(graded, name: str) -> None:
    code, results = graded[(name, SEED)]
    tests = _by_id(results)
    failed = {test_id for test_id, t in tests.items() if t["status"] == "failed"}
    assert failed == set(WRONG[name]), {t: tests[t]["output"] for t in failed}
    for test_id, sentence in WRONG[name].items():
        output = tests[test_id]["output"]
        assert sentence in output, output
        assert "internal grader error" not in output
    assert code == 1
    assert results["score"] == EXERCISE.max_score - sum(EXERCISE.points[t] for t in failed)


def test_symbolic_feedback_shows_question_got_and_a_point_not_the_expected(graded) -> None:
    output = _by_id(graded[("sigmoid_from_z", SEED)][1])["test_sigmoid_neuron_derivative"]["output"]
    assert "question: d/dw of σ(w·x + b)" in output
    assert "call:     chain_rule_derivatives()['sigmoid_neuron']" in output
    assert "expected: hidden for now (wrong attempt 1 of 3 at chain_rule_derivatives)" in output, output
    assert "x*exp(-b - w*x)/(exp(-b - w*x) + 1)**2" not in output  # shown from the 4th wrong attempt only
    assert re.search(r"got: +.*\(b \+ w\*x\)", output), output
    assert re.search(r"at (w|x|b) = .* your answer evaluates to \S+ but the correct value is \S+", output), output


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solutions_get_full_marks(graded, name: str) -> None:
    code, results = graded[(name, SEED)]
    failures = {t["name"]: t["output"] for t in results["tests"] if t["status"] == "failed"}
    assert failures == {}
    assert code == 0 and results["score"] == EXERCISE.max_score


def test_seeds_change_the_hidden_inputs(graded) -> None:
    one, two = (_by_id(graded[("stub", s)][1]) for s in (1, 2))
    for test_id in ("test_neuron_forward_random", "test_neuron_backward_random", "test_chain_backward_random"):
        assert "call:" in one[test_id]["output"]
        assert one[test_id]["output"] != two[test_id]["output"], test_id
    assert one["test_chain_backward_worked_example"]["output"] == two["test_chain_backward_worked_example"]["output"]


def test_same_seed_reproduces_the_same_inputs(graded) -> None:
    assert graded[("stub", 1)][1]["tests"] == graded[("stub-again", 1)][1]["tests"]


def test_every_submission_is_used() -> None:
    assert set(submission_edits(3)) == {*WRONG, *ALTERNATIVES}


# -- the maths -------------------------------------------------------------------------

def _expr(answer: Any) -> sp.Expr:
    return sp.sympify(str(answer), locals=LOCALS)


def test_reference_symbolic_answers_are_the_sympy_derivatives() -> None:
    answers = ref.chain_rule_derivatives()
    assert set(answers) == {"squared_error", "sigmoid_neuron", "gaussian"}
    questions = {
        "squared_error": sp.diff((w * x - y) ** 2, w),
        "sigmoid_neuron": sp.diff(sigma(w * x + b), w),
        "gaussian": sp.diff(sp.exp(-(x**2)), x),
    }
    for key, expected in questions.items():
        assert sp.simplify(_expr(answers[key]) - expected) == 0, key


def test_sigmoid_derivative_identity_and_stable_sigmoid() -> None:
    # σ'(z) = σ(z)·(1 − σ(z)): stated in the module docstring, used everywhere
    assert "σ'(z) = σ(z)·(1 − σ(z)) = a·(1 − a)" in ref.__doc__
    assert sp.simplify(sp.diff(ref.sympy_sigmoid(z), z) - sigma(z) * (1 - sigma(z))) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings at extreme inputs
        values = ref.sigmoid(np.array([-800.0, -30.0, 0.0, 30.0, 800.0]))
    np.testing.assert_allclose(values[1:4], 1 / (1 + np.exp(-np.array([-30.0, 0.0, 30.0]))), rtol=1e-14)
    assert values[0] == 0.0 and values[-1] == 1.0 and ref.sigmoid(0.0) == 0.5


def test_neuron_backward_formulas_are_the_chain_rule() -> None:
    """The docstring's and hint's local derivatives, multiplied, equal sympy.diff of the loss."""
    doc = ref.neuron_backward.__doc__
    for text in ("dL/da = upstream · 2(a − y)", "dL/dz = dL/da · a(1 − a)",
                 "dL/dw = dL/dz · x,   dL/db = dL/dz,   dL/dx = dL/dz · w"):
        assert text in doc
    hint = EXERCISE.hints[3]
    for text in ("d_a = upstream * 2*(a - y)", "d_z = sigmoid_backward(d_a, a)",
                 "d_z * x for w, d_z for b and d_z * w for x"):
        assert text in hint
    loss = (sigma(w * x + b) - y) ** 2
    a = sigma(w * x + b)
    d_a = u * 2 * (a - y)
    d_z = d_a * a * (1 - a)
    for var, local in ((w, x), (b, 1), (x, w)):
        assert sp.simplify(u * sp.diff(loss, var) - d_z * local) == 0, var


def _central_difference(f, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        grad[i] = (f(p + e) - f(p - e)) / (2 * h)
    return grad


def test_neuron_backward_matches_central_differences() -> None:
    rng = np.random.default_rng(0)
    for d in (1, 3, 5):
        w0, x0 = rng.normal(size=d), rng.normal(size=d)
        b0, y0, upstream = float(rng.normal()), float(rng.uniform(0, 1)), float(rng.normal())
        _, cache = ref.neuron_forward(w0, x0, b0, y0)
        grads = ref.neuron_backward(cache, upstream)

        def total(w_, x_, b_, y_=y0, upstream_=upstream):
            return upstream_ * ref.neuron_forward(w_, x_, b_, y_)[0]

        d_w = _central_difference(lambda v, x_=x0, b_=b0: total(v, x_, b_), w0)
        d_x = _central_difference(lambda v, w_=w0, b_=b0: total(w_, v, b_), x0)
        np.testing.assert_allclose(grads["w"], d_w, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(grads["x"], d_x, rtol=1e-6, atol=1e-9)
        db = (total(w0, x0, b0 + 1e-6) - total(w0, x0, b0 - 1e-6)) / 2e-6
        assert grads["b"] == pytest.approx(db, rel=1e-6, abs=1e-9)


def test_docstring_worked_examples() -> None:
    w0, x0 = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    loss, cache = ref.neuron_forward(w0, x0, 0.0, 0.25)
    assert (loss, cache["z"], cache["a"]) == (0.0625, 0.0, 0.5)
    assert "(0.0625, 0.0, 0.5)" in ref.neuron_forward.__doc__
    assert set(cache) == {"x", "w", "z", "a", "y"}
    grads = ref.neuron_backward(cache)
    np.testing.assert_allclose(grads["w"], [0.0625, 0.03125])
    np.testing.assert_allclose(grads["x"], [0.125, -0.25])
    assert grads["b"] == 0.125
    doc = ref.neuron_backward.__doc__
    assert '{"w": array([0.0625, 0.03125]), "b": 0.125, "x": array([0.125, -0.25])}' in doc
    assert "dL/da = 2(0.5 − 0.25) = 0.5, dL/dz = 0.5 · 0.5(1 − 0.5) = 0.125" in doc
    assert ref.sigmoid_backward(2.0, 0.5) == 0.5
    np.testing.assert_array_equal(ref.chain_backward(lambda i: [2.0, 3.0, 0.5][i - 1], 3, 1.0), [3.0, 1.5, 0.5, 1.0])
    # chain_rule_derivatives' example: d/dx (3x + 1)² = 2·(3x + 1)·3 = 6(3x + 1)
    doc = ref.chain_rule_derivatives.__doc__
    assert "d/dx of (3·x + 1)² is 2·(3·x + 1)·3" in doc and '"6*(3*x + 1)"' in doc
    assert sp.diff((3 * x + 1) ** 2, x) == 2 * (3 * x + 1) * 3 == 6 * (3 * x + 1)


def test_chain_backward_matches_central_differences_of_a_real_chain() -> None:
    """z_i = f_i(z_(i-1)) for a chain of smooth functions; L = upstream · z_k."""
    functions = [(np.sin, np.cos), (np.tanh, lambda t: 1 - np.tanh(t) ** 2),
                 (lambda t: 0.5 * t**2 + t, lambda t: t + 1.0), (np.exp, np.exp), (lambda t: 3.0 * t, lambda t: 3.0)]
    x0, upstream = 0.4, -1.7
    values = [x0]
    for f, _ in functions:
        values.append(float(f(values[-1])))
    local = [float(df(values[i])) for i, (_, df) in enumerate(functions)]
    grads = ref.chain_backward(lambda i: local[i - 1], len(functions), upstream)

    def tail(i: int, start: float) -> float:  # L as a function of z_i
        value = start
        for f, _ in functions[i:]:
            value = float(f(value))
        return upstream * value

    for i in range(len(functions) + 1):
        h = 1e-6
        numeric = (tail(i, values[i] + h) - tail(i, values[i] - h)) / (2 * h)
        assert grads[i] == pytest.approx(numeric, rel=1e-6), i


def test_chain_local_grad_trusted_callable() -> None:
    once = build("chain_local_grad", {"values": [2.0, -0.5, 3.0], "once": True})
    assert [once(i) for i in (3, 2, 1)] == [3.0, -0.5, 2.0]
    with pytest.raises(RuntimeError, match="asked for a second time"):
        once(2)
    again = build("chain_local_grad", {"values": [2.0, -0.5, 3.0]})
    assert again(1) == again(1) == 2.0 and again(np.int64(3)) == 3.0 and again(2.0) == -0.5
    for bad in (0, 4, 1.5):
        with pytest.raises(IndexError):
            again(bad)
    with pytest.raises(TypeError):
        again("1")


HINT_D_FORMULA = re.compile(r"d/d([a-z]) (.+?) = (.+?)(?=,| and |\. |\.$|;|$| \()")
HINT_PARTIAL = re.compile(r"d([a-z])/d([a-z]) = (\w+)")


def test_hint_formulas_match_sympy_diff() -> None:
    found = []
    for hint in EXERCISE.hints:
        for var, function, formula in HINT_D_FORMULA.findall(hint):
            expected = sp.diff(_expr(function), LOCALS[var])
            assert sp.simplify(_expr(formula) - expected) == 0, (function, formula)
            found.append(formula)
        for name, var, formula in HINT_PARTIAL.findall(hint):
            assert name == "z" and "z = w*x + b" in hint
            assert sp.diff(w * x + b, LOCALS[var]) == _expr(formula)
            found.append(f"dz/d{var}")
    # d/dw (w·x − y)², d/dz σ, d/dx exp(−x²), d/dw σ(w·x + b), dz/dw, dz/dx
    assert len(found) == 6, found


def test_hidden_symbolic_mistakes_are_really_wrong() -> None:
    """Each listed mistake differs from the right derivative somewhere (checked numerically)."""
    rng = np.random.default_rng(4)
    point = {s: float(v) for s, v in zip((w, x, y, b), rng.uniform(0.3, 1.7, 4), strict=True)}
    questions = [
        (hidden.SQUARED_ERROR_MISTAKES, sp.diff((w * x - y) ** 2, w)),
        (hidden.SIGMOID_MISTAKES, sp.diff(sigma(w * x + b), w)),
        (hidden.GAUSSIAN_MISTAKES, sp.diff(sp.exp(-(x**2)), x)),
    ]
    for mistakes, expected in questions:
        right = float(expected.subs(point))
        for mistake in mistakes:
            assert abs(float(_expr(mistake.answer).subs(point)) - right) > 1e-6, mistake
