"""Exercise 9 (optimizers): the reference, its numbers, and its grading.

The grading tests run the real `grade` CLI on temporary workspaces: the
reference gets full marks, the stub 0, every wrong submission in
tests/submissions/exercise9.py loses exactly the expected tests with the
expected diagnosis, and alternative correct solutions pass. The math tests
check the reference against numbers computed by hand, against an independent
implementation written here (optimizer objects that update in place, the way
frameworks do), and the hints' code against the reference.
"""

from __future__ import annotations

import doctest
import importlib.util
import itertools
import math
import re
from pathlib import Path
from typing import Any

import grading_contract as contract
import numpy as np
import pytest
from helpers import submission_edits

from grader.catalog import resolve
from grader.stubs import stub_source

REPO = Path(__file__).resolve().parent.parent
FILE = "exercise9_optimizers.py"
HIDDEN = REPO / "grader" / "hidden" / "test_exercise9.py"
EXERCISE = resolve("exercise9")

STEPS_TESTS = ["test_steps_keep_their_inputs", "test_trajectories_at_t_1_2_5", "test_minimize_on_the_valley"]
ADAM = ["test_adam_first_step", "test_adam_random_state", *STEPS_TESTS]
TRAJECTORY_ONLY = ["test_steps_keep_their_inputs", "test_trajectories_at_t_1_2_5"]

# submission -> (a phrase, the tests that fail at seed 1, the tests whose feedback has the phrase [default: all])
WRONG: dict[str, tuple[str, list[str], list[str] | None]] = {
    "momentum_ema": ("You averaged: v ← β·v + (1 − β)·g",
                     ["test_momentum_worked_example", "test_momentum_random", *STEPS_TESTS], None),
    "momentum_old_v": ("You moved θ with the OLD velocity",
                       ["test_momentum_worked_example", "test_momentum_random", *STEPS_TESTS], None),
    "momentum_inplace_state": ("you changed the state you were given (key(s) 'v') in place",
                               ["test_steps_keep_their_inputs"], None),
    "nesterov_plain": ("That is plain momentum",
                       ["test_nesterov_worked_example", "test_nesterov_random", *TRAJECTORY_ONLY], None),
    "adagrad_no_accumulate": ("AdaGrad SUMS the squared gradients", ["test_adagrad", *TRAJECTORY_ONLY], None),
    "adagrad_eps_inside": ("ε goes outside the square root here: √G + ε", ["test_adagrad", *TRAJECTORY_ONLY], None),
    "rmsprop_no_one_minus": ("The average needs the factor (1 − ρ)", ["test_rmsprop", *STEPS_TESTS], None),
    "rmsprop_swapped": ("ρ and 1 − ρ are swapped", ["test_rmsprop", *STEPS_TESTS], None),
    "adam_no_bias_correction": ("The bias correction is missing", ADAM, None),
    "adam_old_t": ("The step counter must be incremented BEFORE it is used", ADAM, None),
    "adam_t_not_incremented": ("Return the incremented step counter", ADAM, None),
    "adam_v_not_squared": ("v averages the SQUARED gradients", ADAM, None),
    "adam_eps_inside": ("ε goes outside the square root: √v̂ + ε", ADAM, None),
    # a float32 implementation: right formulas, 7 digits
    "adam_float32": ("float32 arrays", ADAM, ADAM[:4]),
    "sgd_inplace_params": ("you modified the input array(s) `params` in place",
                           ["test_sgd_step", "test_trajectories_at_t_1_2_5", "test_minimize_on_the_valley"],
                           ["test_sgd_step"]),
    "step_decay_no_floor": ("integer division k // every", ["test_step_decay"], None),
    "cosine_no_clamp": ("After k = total the rate stays at α_min", ["test_cosine_schedule"], None),
    "minimize_fresh_state": ("You created a fresh state at every step", ["test_minimize_on_the_valley"], None),
    "valley_gradient_factor_2": ("The ½ cancels the 2 of the square", ["test_valley_loss_and_gradient"], None),
}
ALTERNATIVES = ["alt_loops", "alt_copy_then_inplace", "alt_closed_forms"]


# -- running the grader ------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> contract.Graded:
    """Every submission graded once (two at a time: each run is its own process pair)."""
    return contract.grade_class(EXERCISE, [*WRONG, *ALTERNATIVES], tmp_path_factory.mktemp("ex9"),
                                reseeded="adam_old_t")


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
    assert set(submission_edits(9)) == {*WRONG, *ALTERNATIVES}
    assert len(WRONG) >= 12 and len(ALTERNATIVES) >= 3


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solution_gets_full_marks(graded, name):
    contract.assert_passes(graded[(name, 1)])


def test_seed_changes_the_random_inputs_only(graded):
    contract.assert_seed_changes_only(graded, "adam_old_t", ["test_adam_random_state", "test_trajectories_at_t_1_2_5"])


# -- catalog, stub, hidden tests agree -------------------------------------------------

def test_catalog_entry():
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.topic, EXERCISE.file, EXERCISE.tests) == (
        9, "optimizers", "optimizers", FILE, "test_exercise9")
    assert 3 <= len(EXERCISE.hints) <= 5
    assert contract.hidden_test_ids(EXERCISE) == set(EXERCISE.points)
    graded_functions = {"valley_gradient", "init_state", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
                        "step_decay", "cosine_schedule", "minimize"}
    assert set(EXERCISE.function_hints) == graded_functions


def test_exercise_file_is_the_generated_stub():
    contract.assert_stub_is_generated(EXERCISE)


def test_every_stub_docstring_has_an_example_and_shapes():
    stub = stub_source(FILE)
    for name in ("valley_loss", "valley_gradient", "init_state", "sgd", "momentum", "nesterov", "adagrad",
                 "rmsprop", "adam", "step_decay", "cosine_schedule", "minimize"):
        body = stub.split(f"def {name}(", 1)[1].split('"""', 2)[1]
        assert "Example" in body and "Args:" in body and "Returns:" in body, name


# -- the reference -----------------------------------------------------------------------

def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_ex9_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ref() -> Any:
    return _load(REPO / "solutions" / FILE)


def test_docstring_examples_run(ref):
    result = doctest.testmod(ref, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= 20


def test_adam_first_step_by_hand(ref):
    """t = 1: m = (1 − β₁)g, v = (1 − β₂)g², m̂ = g, v̂ = g², θ₁ = θ₀ − α·g/(|g| + ε)."""
    g, lr, b1, b2, eps = np.array([2.0, -0.5]), 0.1, 0.9, 0.999, 1e-8
    p, s = ref.adam(np.ones(2), g, ref.init_state("adam", np.ones(2)),
                    {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps})
    np.testing.assert_allclose(s["m"], [0.2, -0.05], rtol=1e-14)
    np.testing.assert_allclose(s["v"], [0.004, 0.00025], rtol=1e-12)
    np.testing.assert_allclose(p, [1 - 0.1 * 2 / (2 + eps), 1 + 0.1 * 0.5 / (0.5 + eps)], rtol=1e-15)
    assert s["t"] == 1 and isinstance(s["t"], int)
    # second step with the same g: m̂ and v̂ are still exactly g and g² (bias correction is exact)
    p2, s2 = ref.adam(p, g, s, {"lr": lr, "beta1": b1, "beta2": b2, "eps": 0.0})
    np.testing.assert_allclose(p2, p - lr * np.sign(g), rtol=1e-13)
    assert s2["t"] == 2


def test_adam_zero_gradient_and_beta_zero(ref):
    """A zero gradient entry never moves; β₁ = β₂ = 0 makes Adam α·g/(|g| + ε) at every t."""
    hyper = {"lr": 0.05, "beta1": 0.0, "beta2": 0.0, "eps": 1e-3}
    p, s = np.array([1.0, 2.0, 3.0]), ref.init_state("adam", np.zeros(3))
    for g in (np.array([0.0, 1.5, -4.0]), np.array([0.0, -2.0, 0.5])):
        new, s = ref.adam(p, g, s, hyper)
        np.testing.assert_allclose(new, p - 0.05 * g / (np.abs(g) + 1e-3), rtol=1e-14)
        assert new[0] == p[0]
        p = new


def test_momentum_effective_step_is_one_over_one_minus_beta(ref):
    """With a constant gradient the momentum step tends to α·g/(1 − β)."""
    beta, lr, g = 0.9, 0.01, np.array([1.0, -3.0])
    p, s = np.zeros(2), {"v": np.zeros(2)}
    for _ in range(400):
        new, s = ref.momentum(p, g, s, {"lr": lr, "beta": beta})
        step, p = new - p, new
    np.testing.assert_allclose(step, -lr * g / (1 - beta), rtol=1e-12)
    np.testing.assert_allclose(s["v"], g / (1 - beta), rtol=1e-12)


def test_momentum_beta_zero_is_gradient_descent(ref):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        p, g, v = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4)
        new, s = ref.momentum(p, g, {"v": v}, {"lr": 0.1, "beta": 0.0})
        np.testing.assert_array_equal(new, ref.sgd(p, g, {}, {"lr": 0.1})[0])
        np.testing.assert_array_equal(s["v"], g)


def test_rmsprop_and_adagrad_by_hand(ref):
    p, s = ref.rmsprop(np.zeros(2), np.array([3.0, -4.0]), {"s": np.zeros(2)}, {"lr": 0.01, "rho": 0.9, "eps": 0.0})
    np.testing.assert_allclose(p, [-0.01 * 3 / math.sqrt(0.9), 0.01 * 4 / math.sqrt(1.6)], rtol=1e-14)
    p, s = ref.adagrad(np.zeros(2), np.array([3.0, -4.0]), {"G": np.zeros(2)}, {"lr": 0.5, "eps": 0.0})
    np.testing.assert_allclose(p, [-0.5, 0.5], rtol=1e-15)
    p, s = ref.adagrad(p, np.array([4.0, 3.0]), s, {"lr": 0.5, "eps": 0.0})   # G = (25, 25)
    np.testing.assert_allclose(p, [-0.5 - 0.5 * 4 / 5, 0.5 - 0.5 * 3 / 5], rtol=1e-15)


def test_steps_leave_inputs_untouched(ref):
    rng = np.random.default_rng(5)
    for name in ref.OPTIMIZERS:
        params, grads = rng.normal(size=3), rng.normal(size=3)
        state = {k: (v + rng.uniform(0.1, 1, size=3) if isinstance(v, np.ndarray) else 3)
                 for k, v in ref.init_state(name, params).items()}
        copies = (params.copy(), grads.copy(), {k: np.copy(v) for k, v in state.items()})
        hyper = {"lr": 0.1, "beta": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8}
        new, new_state = ref.STEPS[name](params, grads, state, hyper)
        np.testing.assert_array_equal(params, copies[0])
        np.testing.assert_array_equal(grads, copies[1])
        assert set(state) == set(copies[2]) and all(np.array_equal(state[k], copies[2][k]) for k in state)
        assert new is not params and new.dtype == np.float64 and new.shape == (3,)
        assert all(new_state[k] is not state[k] for k in state if k != "t")


def test_schedules_by_hand(ref):
    assert [ref.step_decay(0.1, k, 0.5, 10) for k in (0, 9, 10, 19, 20, 25)] == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rel=1e-15)
    assert ref.cosine_schedule(0.1, 0, 100) == pytest.approx(0.1, rel=1e-15)
    assert ref.cosine_schedule(0.1, 50, 100) == pytest.approx(0.05, rel=1e-12)
    assert ref.cosine_schedule(0.1, 25, 100) == pytest.approx(0.05 * (1 + math.sqrt(0.5)), rel=1e-12)
    assert ref.cosine_schedule(0.1, 100, 100, 0.01) == pytest.approx(0.01, rel=1e-12)
    assert ref.cosine_schedule(0.1, 150, 100, 0.01) == pytest.approx(0.01, rel=1e-12)
    rates = [ref.cosine_schedule(0.3, k, 40, 0.002) for k in range(60)]
    assert all(a >= b for a, b in itertools.pairwise(rates))
    assert isinstance(ref.step_decay(1, 3, 0.5, 2), float)


# -- an independent implementation: optimizer objects that update in place ---------------

class _Optimizer:
    """Framework-style optimizers (state kept inside, parameters updated in place), written independently."""

    def __init__(self, name: str, params: np.ndarray, **hyper: float) -> None:
        self.name, self.p, self.h, self.k = name, params.copy(), hyper, 0
        self.buf1, self.buf2 = np.zeros_like(self.p), np.zeros_like(self.p)

    def step(self, g: np.ndarray) -> None:
        h, self.k = self.h, self.k + 1
        if self.name == "sgd":
            self.p -= h["lr"] * g
        elif self.name in ("momentum", "nesterov"):
            self.buf1 *= h["beta"]
            self.buf1 += g
            direction = g + h["beta"] * self.buf1 if self.name == "nesterov" else self.buf1
            self.p -= h["lr"] * direction
        elif self.name == "adagrad":
            self.buf1 += g**2
            self.p -= h["lr"] * g / (self.buf1**0.5 + h["eps"])
        elif self.name == "rmsprop":
            self.buf1 = h["rho"] * self.buf1 + (1 - h["rho"]) * g**2
            self.p -= h["lr"] * g / (self.buf1**0.5 + h["eps"])
        else:  # Adam, written with the bias-corrected moments as in Kingma & Ba, Algorithm 1
            self.buf1 += (1 - h["beta1"]) * (g - self.buf1)
            self.buf2 += (1 - h["beta2"]) * (g**2 - self.buf2)
            m_hat = self.buf1 / (1 - h["beta1"] ** self.k)
            v_hat = self.buf2 / (1 - h["beta2"] ** self.k)
            self.p -= h["lr"] * m_hat / (v_hat**0.5 + h["eps"])


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_matches_an_independent_implementation(ref, name, seed):
    rng = np.random.default_rng(seed)
    d, T = 4, 25
    params, grads = rng.normal(size=d), rng.normal(size=(T, d)) * rng.uniform(0.01, 10, size=d)
    hyper = {"lr": 0.03, "beta": 0.85, "rho": 0.8, "beta1": 0.9, "beta2": 0.99, "eps": 1e-3}
    path, state = ref.run_steps(name, params, grads, hyper)
    other = _Optimizer(name, params, **hyper)
    for t, g in enumerate(grads, start=1):
        other.step(g)
        np.testing.assert_allclose(path[t], other.p, rtol=1e-12, atol=1e-14)
    if name == "adam":
        assert state["t"] == T


def test_valley_gd_zigzags_momentum_and_adam_do_not(ref):
    """On κ = 50, plain GD at α = 0.035 flips the sign of y every step; momentum and Adam get lower faster."""
    start = np.array([2.0, 0.2])
    gd = ref.minimize("sgd", ref.valley_gradient, start, {"lr": 0.035}, 60)
    assert np.all(np.sign(gd[1:21, 1]) == -np.sign(gd[:20, 1]))     # across the valley: bounce
    mom = ref.minimize("momentum", ref.valley_gradient, start, {"lr": 0.02, "beta": 0.8}, 60)
    adam = ref.minimize("adam", ref.valley_gradient, start, {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 60)
    loss = [ref.valley_loss(path[-1]) for path in (gd, mom, adam)]
    assert loss[1] < loss[0] / 10 and loss[2] < loss[0] / 10
    # the valley's Hessian diag(1, 50): condition number 50, and the gradient is (x, 50y)
    eps = 1e-6
    for point in (np.array([1.3, -0.4]), np.array([-2.0, 0.7])):
        fd = [(ref.valley_loss(point + eps * e) - ref.valley_loss(point - eps * e)) / (2 * eps) for e in np.eye(2)]
        np.testing.assert_allclose(ref.valley_gradient(point), fd, rtol=1e-8)


def test_trusted_valley_gradient_is_the_reference(ref):
    from grader.sandbox.callables import build

    trusted = build("valley_gradient", {"kappa": ref.VALLEY_KAPPA})
    for point in (np.array([1.3, -0.4]), np.array([-2.0, 0.7])):
        np.testing.assert_array_equal(trusted(point), ref.valley_gradient(point))


# -- the hints' code runs and agrees with the reference -----------------------------------------

def _hint_snippets() -> list[str]:
    return [s for hint in EXERCISE.hints for s in re.findall(r"`([^`]*)`", hint)]


def test_every_hint_snippet_is_checked(ref):
    snippets = _hint_snippets()
    rng = np.random.default_rng(3)
    theta, g = rng.normal(size=3), rng.normal(size=3)
    v, G, s, m = rng.normal(size=3), rng.uniform(0.5, 2, size=3), rng.uniform(0.5, 2, size=3), rng.normal(size=3)
    ns: dict[str, Any] = {"np": np, "math": math, "theta": theta, "g": g, "v": v, "G": G, "s": s, "m": m,
                          "lr": 0.1, "beta": 0.8, "rho": 0.9, "beta1": 0.9, "beta2": 0.99, "eps": 1e-3,
                          "state": {"t": 3}, "lr0": 0.2, "drop": 0.5, "step": 13, "every": 5, "total": 40,
                          "lr_min": 0.01}
    hyper = {k: ns[k] for k in ("lr", "beta", "rho", "beta1", "beta2", "eps")}
    checked = set()

    def run(code: str) -> Any:
        checked.add(code)
        if " = " in code:
            exec(code, ns)
            return ns[code.split("=", 1)[0].strip()]
        return eval(code, ns)

    # momentum and nesterov from (theta, g, v)
    expected, new_state = ref.momentum(theta, g, {"v": v}, hyper)
    v_new = run("v = beta * v + g")
    np.testing.assert_allclose(v_new, new_state["v"])
    np.testing.assert_allclose(run("theta = theta - lr * v"), expected)
    ns["theta"], ns["v"] = theta, v_new
    np.testing.assert_allclose(run("theta - lr * (g + beta * v)"), ref.nesterov(theta, g, {"v": v}, hyper)[0])
    # adagrad and rmsprop
    G_new = run("G = G + g**2")
    np.testing.assert_allclose(G_new, ref.adagrad(theta, g, {"G": G}, hyper)[1]["G"])
    np.testing.assert_allclose(run("theta - lr * g / (np.sqrt(G) + eps)"), ref.adagrad(theta, g, {"G": G}, hyper)[0])
    np.testing.assert_allclose(run("s = rho * s + (1 - rho) * g**2"), ref.rmsprop(theta, g, {"s": s}, hyper)[1]["s"])
    # adam from t = 3 (incremented to 4)
    ns["v"] = v_adam = np.abs(v)
    adam_new, adam_state = ref.adam(theta, g, {"m": m, "v": v_adam, "t": 3}, hyper)
    for code in ("t = state['t'] + 1", "m = beta1 * m + (1 - beta1) * g", "v = beta2 * v + (1 - beta2) * g**2",
                 "m_hat = m / (1 - beta1**t)", "v_hat = v / (1 - beta2**t)"):
        run(code)
    assert ns["t"] == adam_state["t"] == 4
    np.testing.assert_allclose(run("theta - lr * m_hat / (np.sqrt(v_hat) + eps)"), adam_new)
    # schedules
    assert run("lr0 * drop ** (step // every)") == pytest.approx(ref.step_decay(0.2, 13, 0.5, 5))
    assert run("lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * step / total))") == pytest.approx(
        ref.cosine_schedule(0.2, 13, 40, 0.01))
    assert checked == set(snippets)
