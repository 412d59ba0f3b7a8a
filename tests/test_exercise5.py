"""Exercise 5 (MSE; batch, stochastic and mini-batch GD): the reference and its grading.

The grading tests run the real `grade` CLI in a subprocess on temporary
workspaces: the reference gets full marks, the stub gets 0, every deliberately
wrong submission in tests/submissions/exercise5.py loses exactly the expected
tests with the expected diagnosis, and alternative correct solutions pass.
The math tests check the MSE gradient formulas of the docstrings and hints
against sympy.diff and the reference's gradient against central differences,
and pin down the exact shuffling and batching rules of the docstrings.
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
from grader.datasets import house_prices

REPO = Path(__file__).resolve().parent.parent
FILE = "exercise5_minibatch_gd.py"
HIDDEN = REPO / "grader" / "hidden" / "test_exercise5.py"
EXERCISE = resolve("exercise5")

# The keeps-inputs tests check only the inputs: they fail for in-place updates alone.
TRAINING = ["test_batch_gd_exact", "test_sgd_exact", "test_minibatch_gd_exact",
            "test_minibatch_gd_last_partial_batch", "test_minibatch_gd_batch_at_least_n",
            "test_training_converges_on_house_prices"]
STEP = ["test_gd_step_exact"]
LAST_BATCH = ["test_minibatch_gd_exact", "test_minibatch_gd_last_partial_batch", "test_minibatch_gd_batch_at_least_n"]

# submission -> (phrases, one of which every failing test's feedback contains; tests failing at seed 1)
WRONG: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "mse_sum": (("summed the squared errors", "not sum them"),
                ["test_mse_worked_example", "test_mse_random", *TRAINING, "test_training_zero_epochs"]),
    "gradient_sum": (("n × too big", "batch-size × too big", "the gradient is a mean"),
                     ["test_mse_gradient_worked_example", "test_mse_gradient_random", *STEP,
                      *[t for t in TRAINING if t != "test_sgd_exact"]]),
    "sgd_no_shuffle": (("You never shuffled",), ["test_sgd_exact"]),
    "same_order_every_epoch": (("re-created the generator",),
                               ["test_sgd_exact", "test_minibatch_gd_exact"]),
    "drop_last_batch": (("dropped the last, smaller mini-batch",), LAST_BATCH),
    "wrap_last_batch": (("filled the last mini-batch up",), LAST_BATCH),
    "last_batch_full_divisor": (("its own size len(idx)",), LAST_BATCH),
    "ascent": (("added the step",), [*STEP, *TRAINING]),
    "gd_step_lr_twice": (("applied the learning rate twice",), [*STEP, *TRAINING]),
    "loss_last_batch": (("MSE of the LAST BATCH only",),
                        ["test_sgd_exact", "test_minibatch_gd_exact", "test_minibatch_gd_last_partial_batch",
                         "test_training_converges_on_house_prices"]),
    "gradient_integer_division": (("Integer division: 2 // n", "fix `mse_gradient` first"),
                                  ["test_mse_gradient_worked_example", "test_mse_gradient_random", *STEP,
                                   *[t for t in TRAINING if t != "test_sgd_exact"]]),
    # the batch's indices drawn, then every step on all the data (batch GD with more steps)
    "minibatch_all_data": (("Each update must use only its mini-batch",),
                           ["test_sgd_exact", "test_minibatch_gd_exact", "test_minibatch_gd_last_partial_batch"]),
    "inplace_update": (("you modified the input array(s)",),
                       ["test_gd_step_keeps_inputs", "test_training_keeps_inputs"]),
}
ALTERNATIVES = ["alt_loops", "alt_vectorised"]


# -- running the grader ------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> contract.Graded:
    """Every submission graded once (two at a time: each run is its own process pair)."""
    return contract.grade_class(EXERCISE, [*WRONG, *ALTERNATIVES], tmp_path_factory.mktemp("ex5"),
                                reseeded="sgd_no_shuffle")


@pytest.mark.parametrize("seed", contract.REFERENCE_SEEDS)
def test_reference_gets_full_marks(graded, seed):
    contract.assert_full_marks(graded[("reference", seed)], EXERCISE)


def test_untouched_stub_scores_zero(graded):
    contract.assert_stub_scores_zero(graded[("stub", 1)])


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_is_diagnosed(graded, name):
    phrases, failing = WRONG[name]
    contract.assert_loses_exactly(graded[(name, 1)], EXERCISE, failing)
    contract.assert_feedback_says(graded[(name, 1)], phrases, failing)


def test_every_submission_is_used():
    assert set(submission_edits(5)) == {*WRONG, *ALTERNATIVES}


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solution_gets_full_marks(graded, name):
    contract.assert_passes(graded[(name, 1)])


def test_seed_changes_the_random_inputs_only(graded):
    contract.assert_seed_changes_only(graded, "sgd_no_shuffle", ["test_sgd_exact"])


# -- catalog, stub, hidden tests agree -------------------------------------------------

def test_catalog_entry():
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.title, EXERCISE.topic, EXERCISE.file,
            EXERCISE.tests) == (5, "minibatch-gd", "Loss functions and mini-batch gradient descent",
                                "training", FILE, "test_exercise5")
    assert 15 <= EXERCISE.max_score <= 20
    assert 3 <= len(EXERCISE.hints) <= 5
    assert contract.hidden_test_ids(EXERCISE) == set(EXERCISE.points)


def test_exercise_file_is_the_generated_stub():
    contract.assert_stub_is_generated(EXERCISE)


# -- the reference's worked numbers ------------------------------------------------------

@pytest.fixture(scope="module")
def ref() -> Any:
    spec = importlib.util.spec_from_file_location("_ex5_reference", REPO / "solutions" / FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _example():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    return X, np.array([0.5, 3.5, 1.5, 4.5]), np.array([1.0, 2.0]), 0.5


def test_docstring_examples_run(ref):
    result = doctest.testmod(ref, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= 12


def test_worked_example_numbers(ref):
    """r = [1, −1, 2, 0]; MSE 1.5; gradient ([1.5, 0.5], 1.0); one step (α = 0.1) → MSE 1.244375."""
    X, y, w, b = _example()
    r = X @ w + b - y
    np.testing.assert_allclose(r, [1, -1, 2, 0])
    assert ref.mse(X, y, w, b) == np.mean(r**2) == 1.5
    dw, db = ref.mse_gradient(X, y, w, b)
    np.testing.assert_allclose(dw, 2 / 4 * X.T @ r)
    np.testing.assert_allclose(dw, [1.5, 0.5])
    assert db == 1.0
    w1, b1 = ref.gd_step(X, y, w, b, 0.1)
    np.testing.assert_allclose(w1, [0.85, 1.95])
    assert b1 == pytest.approx(0.4)
    r1 = X @ w1 + b1 - y
    np.testing.assert_allclose(r1, [0.75, -1.15, 1.7, -0.45])
    assert ref.mse(X, y, w1, b1) == pytest.approx((0.5625 + 1.3225 + 2.89 + 0.2025) / 4)
    assert ref.mse(X, y, w1, b1) == pytest.approx(1.244375)


def test_hidden_test_titles_quote_true_numbers(ref):
    X, y, w, b = _example()
    source = HIDDEN.read_text()
    assert "MSE = 6/4 = 1.5" in source and ref.mse(X, y, w, b) == 6 / 4
    assert "(α = 0.1 → w = [0.85, 1.95], b = 0.4)" in source


# -- the shuffling and batching rules -------------------------------------------------------

def test_minibatch_follows_the_documented_order(ref):
    """Each epoch: perm = rng.permutation(n) from one default_rng(seed); batches perm[i:i+B]."""
    X, y = house_prices(11, seed=5)
    w0, b0, lr, seed, size = np.array([0.3, -0.2, 0.1]), 0.7, 0.1, 42, 4
    rng = np.random.default_rng(seed)
    w, b = w0.copy(), b0
    seen_sizes = []
    for _ in range(3):
        perm = rng.permutation(len(y))
        for i in range(0, len(y), size):
            idx = perm[i:i + size]
            seen_sizes.append(len(idx))
            r = X[idx] @ w + b - y[idx]
            w, b = w - lr * 2 / len(idx) * X[idx].T @ r, b - lr * 2 / len(idx) * r.sum()
    assert seen_sizes == [4, 4, 3] * 3  # the last, smaller batch is kept
    w_ref, b_ref, losses = ref.minibatch_gd(X, y, w0, b0, lr, 3, size, seed)
    np.testing.assert_allclose(w_ref, w, rtol=1e-12)
    assert b_ref == pytest.approx(b, rel=1e-12)
    assert losses.shape == (4,) and losses[0] == ref.mse(X, y, w0, b0)


def test_docstring_permutation_example():
    assert np.random.default_rng(0).permutation(5).tolist() == [2, 4, 3, 0, 1]


def test_sgd_is_minibatch_of_one_and_batch_gd_is_one_full_batch(ref):
    X, y = house_prices(9, seed=2)
    w0 = np.array([0.5, -1.5, 2.0])
    sgd = ref.sgd(X, y, w0, 0.3, 0.05, 3, 7)
    mb1 = ref.minibatch_gd(X, y, w0, 0.3, 0.05, 3, 1, 7)
    full = ref.minibatch_gd(X, y, w0, 0.3, 0.05, 3, 9, 7)
    batch = ref.batch_gd(X, y, w0, 0.3, 0.05, 3)
    for got, want in ((sgd, mb1), (batch, full)):
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        assert got[1] == pytest.approx(want[1], rel=1e-12)
        np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


def test_training_keeps_inputs_and_lowers_the_loss(ref):
    X, y = house_prices(40, seed=3)
    w0 = np.zeros(3)
    copies = X.copy(), y.copy(), w0.copy()
    for _, _, losses in (ref.batch_gd(X, y, w0, 0.0, 0.2, 30), ref.sgd(X, y, w0, 0.0, 0.01, 10, 1),
                         ref.minibatch_gd(X, y, w0, 0.0, 0.05, 10, 6, 1)):
        assert losses[-1] < 0.05 * losses[0]
    for before, after in zip(copies, (X, y, w0), strict=True):
        np.testing.assert_array_equal(before, after)


# -- formulas against sympy.diff and central differences -------------------------------------

w, x, b, y = sp.symbols("w x b y", real=True)


def _same(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    return sp.simplify(lhs - rhs) == 0


def test_single_example_gradient_formulas():
    """sgd's docstring: ∂/∂w (x·w + b − y)² = 2(x·w + b − y)·x and ∂/∂b = 2(x·w + b − y)."""
    loss = (x * w + b - y) ** 2
    assert _same(sp.diff(loss, w), 2 * (x * w + b - y) * x)
    assert _same(sp.diff(loss, b), 2 * (x * w + b - y))


def test_mse_gradient_formula_on_a_symbolic_batch():
    """For n = 3, d = 2: ∂MSE/∂w_j = (2/n) Σ_i r_i·X[i, j] and ∂MSE/∂b = (2/n) Σ_i r_i."""
    n, d = 3, 2
    Xs = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"x{i}{j}", real=True))
    ws = sp.Matrix(d, 1, lambda j, _: sp.Symbol(f"w{j}", real=True))
    ys = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"y{i}", real=True))
    r = Xs * ws + sp.ones(n, 1) * b - ys
    mse = sum(ri**2 for ri in r) / n
    grad_w = sp.Rational(2, n) * Xs.T * r
    for j in range(d):
        assert _same(sp.diff(mse, ws[j]), grad_w[j])
    assert _same(sp.diff(mse, b), sp.Rational(2, n) * sum(r))


HINT_DERIVATIVES = {
    "dL/dw = 2*(w*x + b - y)*x": ((w * x + b - y) ** 2, w),
    "dL/db = 2*(w*x + b - y)": ((w * x + b - y) ** 2, b),
}
HINT_CODE = ["r = X @ w + b - y", "dw = (2/n) * X.T @ r", "db = (2/n) * r.sum()",
             "rng = np.random.default_rng(seed)", "perm = rng.permutation(n)",
             "idx = perm[i:i + batch_size]"]


def _hint_snippets() -> list[str]:
    return [s for hint in EXERCISE.hints for s in re.findall(r"`([^`]*=[^`]*)`", hint)]


def test_every_hint_formula_is_checked():
    assert sorted(_hint_snippets()) == sorted([*HINT_DERIVATIVES, *HINT_CODE])


@pytest.mark.parametrize("formula", sorted(HINT_DERIVATIVES))
def test_hint_derivative_matches_sympy(formula):
    function, var = HINT_DERIVATIVES[formula]
    claimed = sp.sympify(formula.split("=", 1)[1], locals={"w": w, "x": x, "b": b, "y": y})
    assert _same(sp.diff(function, var), claimed)


def _central(f, value: np.ndarray, h: float = 1e-6) -> np.ndarray:
    value = np.array(value, dtype=float)
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        up, down = value.copy(), value.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (f(up) - f(down)) / (2 * h)
    return grad


def _case(seed: int):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(6, 4)), rng.normal(size=6), rng.normal(size=4), float(rng.normal())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mse_gradient_matches_central_differences(ref, seed):
    X, y_, w_, b_ = _case(seed)
    dw, db = ref.mse_gradient(X, y_, w_, b_)
    assert dw.shape == w_.shape and isinstance(db, float)
    np.testing.assert_allclose(dw, _central(lambda v: ref.mse(X, y_, v, b_), w_), rtol=1e-6, atol=1e-9)
    fd_b = _central(lambda v: ref.mse(X, y_, w_, float(v[0])), np.array([b_]))[0]
    assert db == pytest.approx(fd_b, rel=1e-6, abs=1e-9)


def test_hint_code_matches_reference_and_central_differences(ref):
    X, y_, w_, b_ = _case(3)
    namespace = {"np": np, "X": X, "y": y_, "w": w_, "b": b_, "n": len(y_), "seed": 9,
                 "i": 2, "batch_size": 3}
    for line in HINT_CODE:
        exec(line, namespace)
    dw, db = ref.mse_gradient(X, y_, w_, b_)
    np.testing.assert_allclose(namespace["dw"], dw, rtol=1e-12)
    assert float(namespace["db"]) == pytest.approx(db, rel=1e-12)
    np.testing.assert_allclose(namespace["dw"], _central(lambda v: ref.mse(X, y_, v, b_), w_), rtol=1e-6)
    assert namespace["idx"].tolist() == np.random.default_rng(9).permutation(6)[2:5].tolist()
