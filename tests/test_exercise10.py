"""Exercise 10 (training deep networks): the reference, its numbers, and its grading.

Grading runs the real `grade` CLI (reference full, stub 0, wrong submissions
diagnosed, alternatives full). The math tests check the activation
derivatives against sympy.diff, the δ recursion against autograd and central
differences (through ∂J/∂Wₗ = δₗᵀaₗ₋₁), the initialisations' variances
statistically, and the vanishing/exploding pattern the lesson describes.
"""

from __future__ import annotations

import doctest
import importlib.util
import itertools
import re
from pathlib import Path
from typing import Any

import autograd
import autograd.numpy as anp
import grading_contract as contract
import numpy as np
import pytest
import sympy as sp
from helpers import submission_edits

from grader.catalog import resolve
from grader.stubs import stub_source

REPO = Path(__file__).resolve().parent.parent
FILE = "exercise10_training_deep_nets.py"
HIDDEN = REPO / "grader" / "hidden" / "test_exercise10.py"
EXERCISE = resolve("exercise10")
DELTAS = ["test_layer_deltas", "test_delta_norms_vanish_and_explode"]

# submission -> (a phrase, the tests that fail at seed 1, the tests whose feedback has the phrase [default: all])
WRONG: dict[str, tuple[str, list[str], list[str] | None]] = {
    "sigmoid_derivative_from_z": ("σ′ computed from z", ["test_activation_derivatives", *DELTAS],
                                  ["test_activation_derivatives", "test_layer_deltas"]),
    "tanh_not_squared": ("the tanh is squared", ["test_activation_derivatives", "test_layer_deltas"], None),
    "relu_one_at_zero": ("ReLU′(0) = 0", ["test_activation_derivatives"], None),
    "leaky_derivative_zero": ("not 0: that is plain ReLU's derivative",
                              ["test_activation_derivatives", "test_layer_deltas"], None),
    "leaky_slope_on_positive": ("multiplies NEGATIVE z by 0.01", ["test_activations", "test_layer_deltas"],
                                ["test_activations"]),
    "xavier_lecun": ("LeCun's", ["test_init_std", "test_init_network"], None),
    "he_fan_out": ("use the number of INPUTS", ["test_init_std", "test_init_network"], None),
    "init_in_out_shape": ("(out × in)", ["test_init_network"], None),
    "init_fresh_rng": ("Create the generator ONCE", ["test_init_network"], None),
    "deltas_no_gprime": ("The ⊙ g′(zₗ) factor is missing", DELTAS, None),
    "deltas_gprime_of_a": ("not at aₗ = g(zₗ)", DELTAS, None),
    "deltas_no_2_over_n": ("the factor 2/n is missing", DELTAS, None),
    "deltas_output_first": ("the first layer", DELTAS, ["test_delta_norms_vanish_and_explode"]),
    "clip_per_tensor": ("GLOBAL norm", ["test_clip_by_norm"], None),
    "clip_always_scale": ("Scale only when N > max_norm", ["test_clip_by_norm"], None),
    "clip_norm_after": ("norm BEFORE clipping", ["test_clip_by_norm"], None),
    "split_round": ("round down", ["test_train_val_split"], None),
    "fit_returns_last_w": ("returns the BEST weights", ["test_early_stopping_rules"], None),
    "fit_absolute_change": ("RELATIVE", ["test_early_stopping_rules"], None),
    "fit_patience_off_by_one": ("k − best_iteration ≥ patience", ["test_early_stopping_rules"], None),
    # right on every run but one whose validation loss never changes (ties)
    "fit_best_not_strict": ("STRICTLY lower validation loss", ["test_early_stopping_rules"], None),
    # right on every run but one whose training loss grows (an α above 2/L)
    "fit_signed_change": ("Measure the SIZE of the change", ["test_early_stopping_rules"], None),
}
ALTERNATIVES = ["alt_loops", "alt_einsum", "alt_while_loop"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> contract.Graded:
    """Every submission graded once (two at a time: each run is its own process pair)."""
    return contract.grade_class(EXERCISE, [*WRONG, *ALTERNATIVES], tmp_path_factory.mktemp("ex10"),
                                reseeded="deltas_no_gprime")


@pytest.mark.parametrize("seed", contract.REFERENCE_SEEDS)
def test_reference_gets_full_marks(graded, seed):
    contract.assert_full_marks(graded[("reference", seed)], EXERCISE)


def test_untouched_stub_scores_zero(graded):
    contract.assert_stub_scores_zero(graded[("stub", 1)])


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_is_diagnosed(graded, name):
    phrase, failing, diagnosed = WRONG[name]
    contract.assert_loses_exactly(graded[(name, 1)], EXERCISE, failing)
    contract.assert_feedback_says(graded[(name, 1)], phrase, diagnosed or failing)


def test_every_submission_is_used():
    assert set(submission_edits(10)) == {*WRONG, *ALTERNATIVES}
    assert len(WRONG) >= 12 and len(ALTERNATIVES) >= 3


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solution_gets_full_marks(graded, name):
    contract.assert_passes(graded[(name, 1)])


def test_seed_changes_the_random_inputs_only(graded):
    contract.assert_seed_changes_only(graded, "deltas_no_gprime", ["test_delta_norms_vanish_and_explode"])


# -- catalog, stub, hidden tests agree -------------------------------------------------

def test_catalog_entry():
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.topic, EXERCISE.file, EXERCISE.tests) == (
        10, "training-deep-nets", "deep-training", FILE, "test_exercise10")
    assert 3 <= len(EXERCISE.hints) <= 5
    assert contract.hidden_test_ids(EXERCISE) == set(EXERCISE.points)
    assert set(EXERCISE.function_hints) == {"activate", "activation_derivative", "init_std", "init_network",
                                            "layer_deltas", "delta_norms", "clip_by_norm", "train_val_split",
                                            "fit_linear"}


def test_exercise_file_is_the_generated_stub():
    contract.assert_stub_is_generated(EXERCISE)


def test_stub_keeps_the_forward_pass():
    body = stub_source(FILE).split("def forward(", 1)[1].split("\ndef ", 1)[0]
    assert "NotImplementedError" not in body


# -- the reference -----------------------------------------------------------------------

def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_ex10_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ref() -> Any:
    return _load(REPO / "solutions" / FILE)


def test_docstring_examples_run(ref):
    result = doctest.testmod(ref, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 15


z = sp.symbols("z", real=True)
SYMBOLIC = {"sigmoid": 1 / (1 + sp.exp(-z)), "tanh": sp.tanh(z)}


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_smooth_derivatives_match_sympy(ref, name):
    derivative = sp.lambdify(z, sp.diff(SYMBOLIC[name], z), "numpy")
    zs = np.linspace(-6, 6, 49)
    np.testing.assert_allclose(ref.activation_derivative(zs, name), derivative(zs), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ref.activate(zs, name), sp.lambdify(z, SYMBOLIC[name], "numpy")(zs), rtol=1e-12)


def test_sigmoid_derivative_is_at_most_a_quarter_and_the_kinks_follow_the_convention(ref):
    zs = np.linspace(-10, 10, 2001)
    assert np.max(ref.activation_derivative(zs, "sigmoid")) == 0.25
    assert ref.activation_derivative(np.array([0.0]), "relu")[0] == 0.0
    assert ref.activation_derivative(np.array([0.0]), "leaky_relu")[0] == ref.LEAKY_SLOPE
    for name in ("relu", "leaky_relu"):  # away from 0: central differences
        pts = np.array([-2.0, -0.3, 0.4, 1.7])
        fd = (ref.activate(pts + 1e-6, name) - ref.activate(pts - 1e-6, name)) / 2e-6
        np.testing.assert_allclose(ref.activation_derivative(pts, name), fd, rtol=1e-8)


def test_sigmoid_is_exact_far_out(ref):
    with np.errstate(over="raise", invalid="raise"):
        values = ref.activate(np.array([-1000.0, -40.0, 40.0, 1000.0]), "sigmoid")
    np.testing.assert_allclose(values, [0.0, np.exp(-40) / (1 + np.exp(-40)), 1 / (1 + np.exp(-40)), 1.0],
                               rtol=1e-14, atol=0)


def test_initialisation_variances(ref):
    """Sample variances of a 400 × 600 layer: Xavier 2/(in + out), He 2/in, within 3%."""
    fan_in, fan_out = 600, 400
    for kind, variance in (("xavier", 2 / (fan_in + fan_out)), ("he", 2 / fan_in), ("small", 1e-4)):
        (W, b), = ref.init_network([fan_in, fan_out], kind, seed=11)
        assert W.shape == (fan_out, fan_in) and np.all(b == 0)
        assert np.var(W) == pytest.approx(variance, rel=0.03)
        assert abs(np.mean(W)) < 0.01 * np.sqrt(variance) * 10
    assert ref.init_std("xavier", 100, 50) == pytest.approx(np.sqrt(2 / 150), rel=1e-15)
    assert f"{np.sqrt(2 / 150):.6f}".rstrip("0") in ref.init_std.__doc__


def _loss_of_weights(ref: Any, params: Any, X: Any, y: Any, activation: str) -> Any:
    def J(*Ws: Any) -> Any:
        a = X
        for index, (W, (_, b)) in enumerate(zip(Ws, params, strict=True)):
            z_ = anp.dot(a, W.T) + b
            if index == len(params) - 1:
                a = z_
            elif activation == "sigmoid":
                a = 1 / (1 + anp.exp(-z_))
            elif activation == "tanh":
                a = anp.tanh(z_)
            else:
                a = anp.where(z_ > 0, z_, (ref.LEAKY_SLOPE if activation == "leaky_relu" else 0.0) * z_)
        return anp.mean(anp.sum((a - y) ** 2, axis=1))

    return J


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_deltas_give_the_autograd_weight_gradients(ref, activation):
    """∂J/∂Wₗ = δₗᵀ·aₗ₋₁ from the reference's δ's equals autograd's gradient to 1e−10."""
    rng = np.random.default_rng(4)
    sizes = [4, 5, 3, 6, 2]
    params = [(rng.normal(size=(o, i)) * 0.8, rng.normal(size=o) * 0.3) for i, o in itertools.pairwise(sizes)]
    X, y = rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    deltas = ref.layer_deltas(params, X, y, activation)
    acts = ref.forward(params, X, activation)["a"]
    J = _loss_of_weights(ref, params, X, y, activation)
    Ws = [W for W, _ in params]
    for index, delta in enumerate(deltas):
        assert delta.shape == (7, sizes[index + 1])
        np.testing.assert_allclose(delta.T @ acts[index], autograd.grad(J, index)(*Ws), rtol=1e-10, atol=1e-12)
    # and central differences on one weight of the first layer
    h, (i, j) = 1e-6, (1, 2)
    up, down = [W.copy() for W in Ws], [W.copy() for W in Ws]
    up[0][i, j] += h
    down[0][i, j] -= h
    assert (deltas[0].T @ X)[i, j] == pytest.approx((J(*up) - J(*down)) / (2 * h), rel=1e-6)


def test_gradients_vanish_with_sigmoid_and_explode_with_large_relu_weights(ref):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 20)), rng.standard_normal((8, 1))
    sizes = [20] * 10 + [1]
    small = ref.delta_norms(ref.init_network(sizes, "small", 1), X, y, "sigmoid")
    xavier = ref.delta_norms(ref.init_network(sizes, "xavier", 1), X, y, "sigmoid")
    he = ref.delta_norms(ref.init_network(sizes, "he", 1), X, y, "relu")
    large = ref.delta_norms(ref.init_network(sizes, "he", 1, gain=1.5), X, y, "relu")
    assert np.all(np.diff(small) > 0) and small[0] < 1e-15 * small[-1]        # vanishing: ≤ (0.25·0.01·√20)⁹
    assert np.all(np.diff(xavier) > 0) and xavier[0] < 1e-4 * xavier[-1]      # still vanishing: σ′ ≤ 0.25
    assert 0.1 < he[0] / he[-1] < 10                                           # He + ReLU: about constant
    assert large[0] > 10 * large[-1]                                           # exploding towards the input


def test_clip_keeps_the_direction(ref):
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    clipped, norm = ref.clip_by_norm(grads, 0.5)
    total = np.sqrt(sum(np.sum(g**2) for g in clipped))
    assert total == pytest.approx(0.5, rel=1e-14) and norm == pytest.approx(np.sqrt(sum(np.sum(g**2) for g in grads)))
    for g, c in zip(grads, clipped, strict=True):
        np.testing.assert_allclose(c, g * 0.5 / norm, rtol=1e-14)
    same, n2 = ref.clip_by_norm(grads, norm)  # exactly at the threshold: unchanged
    assert all(np.array_equal(a, b) for a, b in zip(same, grads, strict=True)) and n2 == norm
    zero, n0 = ref.clip_by_norm([np.zeros(3)], 1.0)
    assert n0 == 0.0 and np.array_equal(zero[0], np.zeros(3))


def test_fit_linear_stops_for_every_reason(ref):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    Xv = rng.normal(size=(8, 3))
    yv = Xv @ np.array([1.0, -2.0, 0.5])
    Xs, ys = Xv, Xv @ np.array([3.0, 1.0, -1.0])  # another model: the validation loss rises after a while
    w0 = np.zeros(3)
    assert ref.fit_linear(X, y, Xv, yv, w0, 0.1, 1000, 0.0, 1e-6, 10_000)["reason"] == "gradient"
    assert ref.fit_linear(X, y, Xv, yv, w0, 0.1, 1000, 1e-3, 0.0, 10_000)["reason"] == "relative"
    out = ref.fit_linear(X, y, Xs, ys, w0, 0.1, 1000, 0.0, 0.0, 5)
    assert out["reason"] == "patience" and out["iterations"] == out["best_iteration"] + 5
    assert out["val_losses"][out["best_iteration"]] == min(out["val_losses"])
    np.testing.assert_array_equal(out["w"], ref.fit_linear(X, y, Xs, ys, w0, 0.1, out["best_iteration"], 0.0, 0.0,
                                                           10_000)["w"])
    out = ref.fit_linear(X, y, Xv, yv, w0, 0.1, 7, 0.0, 0.0, 10_000)
    assert out["reason"] == "max_iters" and len(out["train_losses"]) == 8
    # at the gradient stop, ‖∇J‖ really is below the tolerance
    out = ref.fit_linear(X, y, Xv, yv, w0, 0.1, 1000, 0.0, 1e-6, 10_000)
    w = out["w"]
    assert np.linalg.norm(2 / 20 * X.T @ (X @ w - y)) < 1e-5


@pytest.mark.parametrize("seed", range(40))
def test_the_built_validation_set_has_its_optimum_mid_run(ref, seed):
    """Where a drawn validation set gives no clear patience stop, the hidden test builds one whose loss
    is lowest after k updates (3 ≤ k < 20): V must fall strictly to it, rise strictly for the patience
    updates after it, and the result must tell the best weights from the last ones."""
    import grader.hidden.test_exercise10 as hidden

    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 5))
    Xt, yt = hidden._regression(rng, int(rng.integers(15, 25)), d)
    w0 = np.zeros(d)
    lr = float(rng.uniform(0.05, 0.12))
    built = hidden._validation_best_after(rng, Xt, yt, w0, lr)
    assert built is not None  # α·λ_max < 1 for these draws
    Xv, yv = built
    assert Xv.shape == Xt.shape and not np.allclose(Xv, Xt)
    args = [Xt, yt, Xv, yv, w0, lr, 500, 0.0, 0.0, 3]
    out = ref.fit_linear(*args)
    k = out["best_iteration"]
    assert out["reason"] == "patience" and 3 <= k < 20 and out["iterations"] == k + 3
    V = out["val_losses"]
    assert np.all(np.diff(V[: k + 1]) < 0) and np.all(np.diff(V[k:]) > 0)
    assert hidden._clear_patience_stop(out)
    last = hidden._fit(*args, mistake="last_w")["w"]
    assert not np.allclose(last, out["w"])  # the mutant that returns the last weights is told apart


def test_fit_linear_docstring_numbers(ref):
    """g = (2/2)(1·(0 − 2) + 2·(0 − 4)) = −10, w₁ = 0 − 0.1·(−10) = 1, J₁ = ((1 − 2)² + (2 − 4)²)/2 = 2.5, V₁ = 9."""
    g = (2 / 2) * (1 * (0 - 2) + 2 * (0 - 4))
    w1 = 0 - 0.1 * g
    assert (g, w1, ((w1 - 2) ** 2 + (2 * w1 - 4) ** 2) / 2, (3 * w1 - 6) ** 2) == (-10, 1, 2.5, 9)


# -- the hints' formulas ---------------------------------------------------------------------------

def test_hint_snippets_agree_with_the_reference(ref):
    snippets = {s for hint in EXERCISE.hints for s in re.findall(r"`([^`]*)`", hint)}
    rng = np.random.default_rng(0)
    zs = np.array([-1.5, 0.0, 0.7, 2.0])
    s = ref.activate(zs, "sigmoid")
    ns: dict[str, Any] = {"np": np, "z": zs, "s": s, "fan_in": 30, "fan_out": 20, "seed": 5, "gain": 1.0,
                          "std": ref.init_std("he", 30, 20)}
    expected = {
        "s * (1 - s)": ref.activation_derivative(zs, "sigmoid"),
        "1 - np.tanh(z)**2": ref.activation_derivative(zs, "tanh"),
        "(z > 0).astype(float)": ref.activation_derivative(zs, "relu"),
        "np.where(z > 0, 1.0, 0.01)": ref.activation_derivative(zs, "leaky_relu"),
        "np.sqrt(2 / (fan_in + fan_out))": ref.init_std("xavier", 30, 20),
        "np.sqrt(2 / fan_in)": ref.init_std("he", 30, 20),
    }
    for code, value in expected.items():
        np.testing.assert_allclose(eval(code, ns), value, rtol=1e-15)
    exec("rng = np.random.default_rng(seed)", ns)
    exec("W = gain * std * rng.standard_normal((fan_out, fan_in))", ns)
    np.testing.assert_array_equal(ns["W"], ref.init_network([30, 20], "he", 5)[0][0])
    # the δ recursion of the hint, on a 3-layer sigmoid net
    params = [(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in ((3, 4), (4, 5), (5, 2))]
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    cache = ref.forward(params, X, "sigmoid")
    ns.update({"n": 6, "yhat": cache["a"][-1], "y": y})
    exec("delta = (2 / n) * (yhat - y)", ns)
    got = [ns["delta"]]
    for index in (1, 0):
        ns.update({"W_next": params[index + 1][0], "z_l": cache["z"][index],
                   "g_prime": lambda v: ref.activation_derivative(v, "sigmoid")})
        exec("delta = (delta @ W_next) * g_prime(z_l)", ns)
        got.insert(0, ns["delta"])
    for a, b in zip(got, ref.layer_deltas(params, X, y, "sigmoid"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    grads = [rng.normal(size=(2, 3)), rng.normal(size=4)]
    ns["grads"] = grads
    exec("N = np.sqrt(sum(np.sum(g**2) for g in grads))", ns)
    assert ns["N"] == pytest.approx(ref.clip_by_norm(grads, 1.0)[1], rel=1e-15)
    checked = {*expected, "rng = np.random.default_rng(seed)",
               "W = gain * std * rng.standard_normal((fan_out, fan_in))", "delta = (2 / n) * (yhat - y)",
               "delta = (delta @ W_next) * g_prime(z_l)",
               "N = np.sqrt(sum(np.sum(g**2) for g in grads))"}
    assert snippets == checked
