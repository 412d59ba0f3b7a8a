"""Exercise 4 (backprop through a neuron): the reference, its math, and its grading.

The grading tests run the real `grade` CLI in a subprocess on temporary
workspaces: the reference gets full marks, the stub gets 0, every deliberately
wrong submission in tests/submissions/exercise4.py loses exactly the expected
tests with the expected diagnosis, and alternative correct solutions pass.
The math tests check every derivative formula of the docstrings and hints
against sympy.diff, and every gradient of the reference against central
differences.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
from pathlib import Path
from typing import Any

import grading_contract as contract
import numpy as np
import pytest
import sympy as sp
from helpers import submission_edits

from grader.catalog import resolve

REPO = Path(__file__).resolve().parent.parent
FILE = "exercise4_neuron_backprop.py"
HIDDEN = REPO / "grader" / "hidden" / "test_exercise4.py"
EXERCISE = resolve("exercise4")

BACKWARD = ["test_backward_notes_example", "test_backward_batch_example",
            "test_backward_identity_random", "test_backward_sigmoid_random",
            "test_backward_large_magnitude"]
# test_train_neuron_keeps_inputs checks only the inputs: it fails for in-place updates alone.
TRAIN = ["test_train_neuron_worked_example", "test_train_neuron_random"]

# submission -> (a phrase every failing test's feedback must contain, the tests that fail at seed 1)
WRONG: dict[str, tuple[str, list[str]]] = {
    "missing_factor_2": ("The factor 2 from the square is missing", BACKWARD + TRAIN),
    "sign_y_minus_a": ("wrong sign", BACKWARD + TRAIN),
    "no_inner_derivative_x": ("You forgot the inner derivative ∂z/∂w = x", BACKWARD + TRAIN),
    "sigmoid_derivative_from_z": ("z·(1 − z)", ["test_sigmoid_derivative_worked_example",
                                                "test_sigmoid_derivative_random",
                                                "test_backward_sigmoid_random",
                                                "test_train_neuron_random"]),
    "bias_not_summed": ("∂L/∂b must be a single number", BACKWARD + TRAIN),
    "transposed_dX": ("you returned the transposed (d, n) array", BACKWARD[1:]),
    "inplace_update": ("you modified the input array(s) `w0` in place",
                       ["test_train_neuron_keeps_inputs"]),
    "ascent": ("Your parameters move uphill", TRAIN),
    "sigmoid_overflow_nan": ("contains NaN (not a number)", ["test_sigmoid_values", "test_sigmoid_derivative_random"]),
    "sigmoid_0d_array": ("got a 0-d array", ["test_sigmoid_values"]),
    # n = 1 in the notes' examples, where a sum and a mean agree
    "sum_not_mean": ("n × too big", BACKWARD[1:] + TRAIN[1:]),
}
ALTERNATIVES = ["alt_loops", "alt_vectorised"]


# -- running the grader ------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> contract.Graded:
    """Every submission graded once (two at a time: each run is its own process pair)."""
    return contract.grade_class(EXERCISE, [*WRONG, *ALTERNATIVES], tmp_path_factory.mktemp("ex4"),
                                reseeded="missing_factor_2")


@pytest.mark.parametrize("seed", contract.REFERENCE_SEEDS)
def test_reference_gets_full_marks(graded, seed):
    contract.assert_full_marks(graded[("reference", seed)], EXERCISE)


def test_untouched_stub_scores_zero(graded):
    contract.assert_stub_scores_zero(graded[("stub", 1)])


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_is_diagnosed(graded, name):
    phrase, failing = WRONG[name]
    contract.assert_loses_exactly(graded[(name, 1)], EXERCISE, failing)
    contract.assert_feedback_says(graded[(name, 1)], phrase, failing)


def test_every_submission_is_used():
    assert set(submission_edits(4)) == {*WRONG, *ALTERNATIVES}


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solution_gets_full_marks(graded, name):
    contract.assert_passes(graded[(name, 1)])


def test_seed_changes_the_random_inputs_only(graded):
    contract.assert_seed_changes_only(graded, "missing_factor_2",
                             ["test_backward_identity_random", "test_backward_sigmoid_random",
                              "test_train_neuron_random"],
                             fixed_tests=["test_backward_notes_example"])


# -- catalog, stub, hidden tests agree -------------------------------------------------

def test_catalog_entry():
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.title, EXERCISE.topic, EXERCISE.file,
            EXERCISE.tests) == (4, "neuron-backprop", "Backprop through a neuron",
                                "backpropagation", FILE, "test_exercise4")
    assert 15 <= EXERCISE.max_score <= 20
    assert 3 <= len(EXERCISE.hints) <= 5
    assert contract.hidden_test_ids(EXERCISE) == set(EXERCISE.points)


def test_exercise_file_is_the_generated_stub():
    contract.assert_stub_is_generated(EXERCISE)


# -- the reference's worked numbers ------------------------------------------------------

def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_ex4_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ref() -> Any:
    return _load(REPO / "solutions" / FILE)


def test_docstring_examples_run(ref):
    result = doctest.testmod(ref, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= 10


def test_notes_example_numbers(ref):
    """w = 0.5, x = 2, y = 3: z = 1, L = 4, ∂L/∂w = 2(1 − 3)·2 = −8, ∂L/∂b = −4, ∂L/∂x = −2."""
    w, x, y = 0.5, 2.0, 3.0
    z = w * x
    assert (z, (z - y) ** 2, 2 * (z - y) * x) == (1.0, 4.0, -8.0)
    loss, cache = ref.neuron_forward(np.array([w]), np.array([[x]]), 0.0, np.array([y]))
    dw, db, dx = ref.neuron_backward(cache)
    assert loss == 4.0
    np.testing.assert_allclose(dw, [-8.0])
    assert db == -4.0
    np.testing.assert_allclose(dx, [[-2.0]])


def test_sigmoid_numbers_in_docstrings(ref):
    s1 = 1 / (1 + np.exp(-1.0))
    text = ref.neuron_forward.__doc__
    assert f"σ(1) ≈ {s1:.6f}" in text
    assert f"≈ {(s1 - 3) ** 2:.6f}" in text
    loss, _ = ref.neuron_forward(np.array([0.5]), np.array([[2.0]]), 0.0, np.array([3.0]), "sigmoid")
    assert loss == pytest.approx((s1 - 3) ** 2, rel=1e-12)
    s2 = 1 / (1 + np.exp(-2.0))
    title = _hidden_doc("test_sigmoid_derivative_worked_example")
    assert f"≈ {s2 * (1 - s2):.6f}" in title


def _hidden_doc(name: str) -> str:
    source = HIDDEN.read_text()
    match = re.search(rf'def {name}\(.*?\):\n    """(.*?)"""', source, flags=re.DOTALL)
    assert match, name
    return match.group(1)


def test_batch_example_numbers(ref):
    """The docstring's batch of two: z = [1, 0.5], δ = [−2, 0.5], ∂L/∂w = −3.5, ∂L/∂b = −1.5."""
    X, y, w = np.array([[2.0], [1.0]]), np.array([3.0, 0.0]), np.array([0.5])
    loss, cache = ref.neuron_forward(w, X, 0.0, y)
    assert loss == pytest.approx(((1 - 3) ** 2 + 0.5**2) / 2)
    dw, db, dX = ref.neuron_backward(cache)
    np.testing.assert_allclose(dw, [-3.5])
    assert db == pytest.approx(-1.5)
    np.testing.assert_allclose(dX, [[-1.0], [0.25]])
    assert "∂L/∂w = [2·(−2) + 1·0.5] = [−3.5], ∂L/∂b = −2 + 0.5 = −1.5" in ref.neuron_backward.__doc__


def test_train_example_numbers(ref):
    """α = 0.05 from w = 0.5, b = 0: (w, b) = (0.9, 0.2) then (1.1, 0.3), losses 4, 1, 0.25."""
    X, y = np.array([[2.0]]), np.array([3.0])
    w, b = 0.5, 0.0
    seen = [(2 * w + b - 3) ** 2]
    for _ in range(2):
        r = 2 * w + b - 3
        w, b = w - 0.05 * 2 * r * 2, b - 0.05 * 2 * r
        seen.append((2 * w + b - 3) ** 2)
    assert (w, b) == pytest.approx((1.1, 0.3))
    np.testing.assert_allclose(seen, [4.0, 1.0, 0.25])
    w_ref, b_ref, losses = ref.train_neuron(X, y, np.array([0.5]), 0.0, 0.05, 2)
    np.testing.assert_allclose(w_ref, [1.1])
    assert b_ref == pytest.approx(0.3)
    np.testing.assert_allclose(losses, seen)


def test_sigmoid_is_stable_for_huge_inputs(ref):
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        values = ref.sigmoid(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
    np.testing.assert_allclose(values, [0.0, np.exp(-40.0), 0.5, 1.0, 1.0], rtol=1e-12, atol=0)
    assert isinstance(ref.sigmoid(0.0), float)


# -- formulas against sympy.diff -----------------------------------------------------------

w, x, b, y, z, a = sp.symbols("w x b y z a", real=True)
SIGMA = 1 / (1 + sp.exp(-z))


def _same(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    return sp.simplify(lhs - rhs) == 0


@pytest.mark.parametrize("activation", ["identity", "sigmoid"])
def test_docstring_chain_rule_formulas_scalar(activation):
    """δ = 2(a − y)·g'(z), ∂L/∂w = δ·x, ∂L/∂b = δ, ∂L/∂x = δ·w for one example (n = 1)."""
    g = (lambda t: 1 / (1 + sp.exp(-t))) if activation == "sigmoid" else (lambda t: t)
    zz = w * x + b
    loss = (g(zz) - y) ** 2
    g_prime = (g(zz) * (1 - g(zz))) if activation == "sigmoid" else sp.Integer(1)
    delta = 2 * (g(zz) - y) * g_prime
    assert _same(sp.diff(loss, w), delta * x)
    assert _same(sp.diff(loss, b), delta)
    assert _same(sp.diff(loss, x), delta * w)


def test_notes_formula_and_sigmoid_derivative():
    assert _same(sp.diff((w * x - y) ** 2, w), 2 * (w * x - y) * x)   # ∇w = 2(w·x − y)·x
    assert _same(sp.diff(SIGMA, z), SIGMA * (1 - SIGMA))            # σ' = σ(1 − σ)


def test_docstring_batch_formulas():
    """For n = 3, d = 2 and the sigmoid: ∂L/∂w = Xᵀδ, ∂L/∂b = Σδ, ∂L/∂X = δwᵀ with the 1/n in δ."""
    n, d = 3, 2
    Xs = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"x{i}{j}", real=True))
    ws = sp.Matrix(d, 1, lambda j, _: sp.Symbol(f"w{j}", real=True))
    ys = [sp.Symbol(f"y{i}", real=True) for i in range(n)]
    zs = [(Xs[i, :] * ws)[0] + b for i in range(n)]
    acts = [1 / (1 + sp.exp(-zi)) for zi in zs]
    loss = sum((ai - yi) ** 2 for ai, yi in zip(acts, ys, strict=True)) / n
    deltas = [sp.Rational(2, n) * (ai - yi) * ai * (1 - ai) for ai, yi in zip(acts, ys, strict=True)]
    for j in range(d):
        assert _same(sp.diff(loss, ws[j]), sum(deltas[i] * Xs[i, j] for i in range(n)))
        for i in range(n):
            assert _same(sp.diff(loss, Xs[i, j]), deltas[i] * ws[j])
    assert _same(sp.diff(loss, b), sum(deltas))


# formula in a hint -> (the function it differentiates, the variable)
HINT_DERIVATIVES = {
    "dL/dw = 2*(w*x + b - y)*x": ((w * x + b - y) ** 2, w),
    "dL/da = 2*(a - y)": ((a - y) ** 2, a),
    "da/dz = sigmoid(z)*(1 - sigmoid(z))": (SIGMA, z),
    "dz/dw = x": (w * x + b, w),
    "dz/db = 1": (w * x + b, b),
    "dz/dx = w": (w * x + b, x),
}
# numpy lines in a hint, run in order; each name defined is checked below
HINT_CODE = [
    "delta = (2/n)*(a - y)*g_prime",
    "dL_dw = X.T @ delta",
    "dL_db = delta.sum()",
    "dL_dX = np.outer(delta, w)",
]


def _hint_snippets() -> list[str]:
    return [s for hint in EXERCISE.hints for s in re.findall(r"`([^`]*=[^`]*)`", hint)]


def test_every_hint_formula_is_checked():
    assert sorted(_hint_snippets()) == sorted([*HINT_DERIVATIVES, *HINT_CODE])


@pytest.mark.parametrize("formula", sorted(HINT_DERIVATIVES))
def test_hint_derivative_matches_sympy(formula):
    function, var = HINT_DERIVATIVES[formula]
    rhs = formula.split("=", 1)[1]
    claimed = sp.sympify(rhs, locals={"sigmoid": lambda t: 1 / (1 + sp.exp(-t)),
                                      "w": w, "x": x, "b": b, "y": y, "z": z, "a": a})
    assert _same(sp.diff(function, var), claimed)


# -- the reference's gradients against central differences ---------------------------------

def _central(f, value: np.ndarray, h: float = 1e-6) -> np.ndarray:
    value = np.array(value, dtype=float)
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        up, down = value.copy(), value.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (f(up) - f(down)) / (2 * h)
    return grad


def _random_case(seed: int, activation: str):
    rng = np.random.default_rng(seed)
    n, d = 5, 3
    X = rng.uniform(-2, 2, size=(n, d))
    w = rng.uniform(-0.9, 0.9, size=d)
    y = rng.uniform(0.1, 0.9, size=n) if activation == "sigmoid" else rng.normal(size=n)
    return w, X, float(rng.normal()), y


@pytest.mark.parametrize("activation", ["identity", "sigmoid"])
@pytest.mark.parametrize("seed", [0, 1])
def test_backward_matches_central_differences(ref, activation, seed):
    w, X, b, y = _random_case(seed, activation)
    _, cache = ref.neuron_forward(w, X, b, y, activation)
    dw, db, dX = ref.neuron_backward(cache)
    assert dw.shape == w.shape and dX.shape == X.shape and isinstance(db, float)
    loss = ref.neuron_forward
    np.testing.assert_allclose(dw, _central(lambda v: loss(v, X, b, y, activation)[0], w), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dX, _central(lambda v: loss(w, v, b, y, activation)[0], X), rtol=1e-6, atol=1e-9)
    fd_b = _central(lambda v: loss(w, X, float(v[0]), y, activation)[0], np.array([b]))[0]
    assert db == pytest.approx(fd_b, rel=1e-6, abs=1e-9)


def test_sigmoid_derivative_matches_central_differences(ref):
    zs = np.linspace(-6, 6, 25)
    fd = (ref.sigmoid(zs + 1e-6) - ref.sigmoid(zs - 1e-6)) / 2e-6
    np.testing.assert_allclose(ref.sigmoid_derivative(zs), fd, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("activation", ["identity", "sigmoid"])
def test_hint_code_matches_central_differences(ref, activation):
    w, X, b, y = _random_case(3, activation)
    _, cache = ref.neuron_forward(w, X, b, y, activation)
    a_ = cache["a"]
    namespace = {"np": np, "X": X, "w": w, "y": y, "a": a_, "n": len(y),
                 "g_prime": a_ * (1 - a_) if activation == "sigmoid" else 1.0}
    for line in HINT_CODE:
        exec(line, namespace)
    loss = ref.neuron_forward
    np.testing.assert_allclose(namespace["dL_dw"], _central(lambda v: loss(v, X, b, y, activation)[0], w), rtol=1e-6)
    np.testing.assert_allclose(namespace["dL_dX"], _central(lambda v: loss(w, v, b, y, activation)[0], X), rtol=1e-6)
    fd_b = _central(lambda v: loss(w, X, float(v[0]), y, activation)[0], np.array([b]))[0]
    assert float(namespace["dL_db"]) == pytest.approx(fd_b, rel=1e-6)


def test_training_lowers_the_loss(ref):
    w, X, b, y = _random_case(4, "identity")
    _, _, losses = ref.train_neuron(X, y, w, b, 0.05, 30)
    assert losses.shape == (31,)
    assert np.all(np.diff(losses) < 0)
