"""Exercise 7 (gradient checking): the reference, its math, and its grading.

The grading tests run the real `grade` CLI on temporary workspaces: the
reference gets full marks, the stub 0, every deliberately wrong submission in
tests/submissions/exercise7.py loses exactly the expected tests with the
expected diagnosis, and three alternative correct solutions (perturb in place
and restore, flatten-and-concatenate norms, basis vectors and plain loops)
get full marks. The math tests check the central difference's O(h²) error,
the truncation/rounding trade-off of the error-versus-h curve, the trusted
losses and planted bugs the hidden tests use, and the docstrings' numbers.
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
from helpers import submission_edits

from grader.catalog import resolve
from grader.hidden import test_exercise7 as hidden
from grader.sandbox.callables import build
from grader.sandbox.codec import CallableRef

REPO = Path(__file__).resolve().parent.parent
FILE = "exercise7_gradient_check.py"
HIDDEN = REPO / "grader" / "hidden" / "test_exercise7.py"
EXERCISE = resolve("exercise7")

# submission -> (the diagnosis phrase, the tests that fail at seed 1, those among them whose feedback
# cannot name it: e.g. a one-sided difference on the bowl shifts every entry by the same h, a tie)
WRONG: dict[str, tuple[str, list[str], list[str]]] = {
    "all_entries_at_once": (
        "ONE entry",
        [
            "test_error_versus_h_network",
            "test_find_bug_correct_backward",
            "test_find_bug_planted_bugs",
            "test_gradient_errors_planted_bug",
            "test_numerical_gradient_bowl",
            "test_numerical_gradient_keeps_params",
            "test_numerical_gradient_network",
            "test_numerical_gradient_step_size",
        ],
        ["test_find_bug_correct_backward"],
    ),
    "best_largest_error": ("LARGEST error", ["test_best_step"], []),
    "best_returns_index": ("index of the best step", ["test_best_step"], []),
    "curve_reversed": ("reverse order", ["test_error_versus_h_network"], []),
    "denominator_g_only": (
        "not ‖g‖ alone",
        [
            "test_error_versus_h_network",
            "test_gradient_errors_planted_bug",
            "test_relative_error_random",
            "test_relative_error_worked_example",
        ],
        [],
    ),
    "denominator_max": (
        "not their maximum",
        [
            "test_error_versus_h_network",
            "test_gradient_errors_planted_bug",
            "test_relative_error_random",
            "test_relative_error_worked_example",
        ],
        ["test_gradient_errors_planted_bug"],
    ),
    "divided_by_h": (
        "instead of 2h",
        [
            "test_error_versus_h_network",
            "test_find_bug_correct_backward",
            "test_find_bug_planted_bugs",
            "test_gradient_errors_planted_bug",
            "test_numerical_gradient_bowl",
            "test_numerical_gradient_keeps_params",
            "test_numerical_gradient_network",
            "test_numerical_gradient_step_size",
        ],
        ["test_find_bug_correct_backward"],
    ),
    "errors_absolute": ("must be RELATIVE", ["test_gradient_errors_planted_bug"], []),
    "errors_over_all_keys": ("not the error over all parameters", ["test_gradient_errors_planted_bug"], []),
    "first_over_threshold": ("first parameter over the threshold", [], []),
    "flat_index": ("not the flat index", ["test_find_bug_planted_bugs"], []),
    "forward_difference": (
        "forward difference",
        [
            "test_error_versus_h_network",
            "test_find_bug_correct_backward",
            "test_gradient_errors_planted_bug",
            "test_numerical_gradient_bowl",
            "test_numerical_gradient_keeps_params",
            "test_numerical_gradient_network",
            "test_numerical_gradient_step_size",
        ],
        ["test_error_versus_h_network", "test_find_bug_correct_backward"],
    ),
    # find_bug at threshold 0 sees its inexact errors as a bug; the diagnosis there cannot tell that from
    # a strict `<`, and the feedback says to fix numerical_gradient first (the test after the contract's)
    "ignores_h": ("ignored the argument h",
                  ["test_error_versus_h_network", "test_find_bug_correct_backward",
                   "test_numerical_gradient_step_size"],
                  ["test_find_bug_correct_backward"]),
    "largest_relative_entry": ("not the largest relative", ["test_find_bug_planted_bugs"], []),
    "mean_over_arrays": (
        "averaged the relative errors",
        ["test_error_versus_h_network", "test_relative_error_random"],
        [],
    ),
    "never_restored": (
        "put them back",
        [
            "test_error_versus_h_network",
            "test_find_bug_correct_backward",
            "test_gradient_errors_planted_bug",
            "test_numerical_gradient_keeps_params",
            "test_numerical_gradient_network",
            "test_numerical_gradient_step_size",
        ],
        ["test_error_versus_h_network", "test_find_bug_correct_backward"],
    ),
    "no_floor": ("floor is missing", ["test_relative_error_worked_example"], []),
    "squared_norms": (
        "squared norms",
        [
            "test_error_versus_h_network",
            "test_gradient_errors_planted_bug",
            "test_relative_error_random",
            "test_relative_error_worked_example",
        ],
        [],
    ),
    "threshold_ignored": ("return None", ["test_find_bug_correct_backward"], []),
    # passes every case but the one where each error equals the threshold (exactly 0 at threshold 0)
    "threshold_strict": ("≤ threshold (not <)", ["test_find_bug_correct_backward"], []),
}
ALTERNATIVES = ["alt_basis_vectors", "alt_concatenate", "alt_restore_in_place"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> contract.Graded:
    """Every submission graded once (two at a time: each run is its own process pair)."""
    return contract.grade_class(EXERCISE, [*WRONG, *ALTERNATIVES], tmp_path_factory.mktemp("ex7"),
                                twice=ALTERNATIVES)


@pytest.mark.parametrize("seed", contract.REFERENCE_SEEDS)
def test_reference_gets_full_marks(graded, seed):
    contract.assert_full_marks(graded[("reference", seed)], EXERCISE)


def test_untouched_stub_scores_zero(graded):
    contract.assert_stub_scores_zero(graded[("stub", 1)])


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_is_diagnosed(graded, name):
    phrase, failing, undiagnosed = WRONG[name]
    contract.assert_loses_exactly(graded[(name, 1)], EXERCISE, failing)
    contract.assert_feedback_says(graded[(name, 1)], phrase, [tid for tid in failing if tid not in undiagnosed])
    assert len(undiagnosed) <= 2


def test_every_submission_is_used():
    assert set(submission_edits(7)) == {*WRONG, *ALTERNATIVES}
    assert len(WRONG) >= 12 and len(ALTERNATIVES) >= 3


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solution_gets_full_marks(graded, name, seed):
    contract.assert_passes(graded[(name, seed)])


def test_a_failure_caused_by_numerical_gradient_points_back_to_it(graded):
    output = contract.by_id(graded[("ignores_h", 1)])["test_find_bug_correct_backward"]["output"]
    assert "fix `numerical_gradient` first" in output


def test_catalog_entry():
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.topic, EXERCISE.file, EXERCISE.tests) == (
        7,
        "gradient-check",
        "deep-backprop",
        FILE,
        "test_exercise7",
    )
    assert contract.hidden_test_ids(EXERCISE) == set(EXERCISE.points)
    functions = set(re.findall(r"^def ([a-z]\w+)\(", (REPO / "solutions" / FILE).read_text(), flags=re.MULTILINE))
    assert set(EXERCISE.function_hints) == functions


def test_exercise_file_is_the_generated_stub():
    contract.assert_stub_is_generated(EXERCISE)


# -- the reference and the trusted callables -------------------------------------------------------


@pytest.fixture(scope="module")
def ref() -> Any:
    spec = importlib.util.spec_from_file_location("_ex7_ref", REPO / "solutions" / FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ex6() -> Any:
    spec = importlib.util.spec_from_file_location("_ex6_ref", REPO / "solutions" / "exercise6_mlp_backprop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docstring_examples_run(ref):
    result = doctest.testmod(ref, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 12


def test_module_docstring_numbers(ref):
    rel = 0.5 / (10 + float(np.hypot(6.0, 8.5)))
    assert f"0.5 / (10 + {np.hypot(6.0, 8.5):.6f}) = {rel:.6f}" in ref.__doc__
    assert ref.relative_error({"w": np.array([6.0, 8.0])}, {"w": np.array([6.0, 8.5])}) == pytest.approx(rel)
    assert "ε^(1/3) ≈ 1e-5" in ref.__doc__ and 5e-6 < np.finfo(float).eps ** (1 / 3) < 1e-5


def test_trusted_network_loss_and_gradient_are_exercise6s(ex6):
    """The callables the hidden tests check are an independent copy of exercise 6's network."""
    for acts, loss in [(["tanh", "relu", "sigmoid"], "mse"), (["relu", "sigmoid"], "bce")]:
        f, grad_fn, params = hidden._network(np.random.default_rng(4), acts, loss)
        yhat, cache = ex6.forward(params, np.array(f.params["X"]), acts)
        assert f(params) == pytest.approx(ex6.compute_loss(yhat, np.array(f.params["Y"]), loss), rel=1e-13)
        grads = ex6.backward(params, cache, np.array(f.params["Y"]), acts, loss)
        for key, value in grad_fn(params).items():
            np.testing.assert_allclose(value, grads[key], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["scale", "sign", "entry", "transpose"])
def test_planted_bugs_are_found_by_the_reference(ref, kind):
    f, grad_fn, params = hidden._network(None)
    bug = {"key": "W2", "kind": kind, "factor": 1.5, "index": [1, 0], "offset": 0.01}
    buggy = CallableRef("mlp_gradient", **{**grad_fn.params, "bug": bug})
    errors = ref.gradient_errors(f, buggy, params)
    assert errors["W2"] > 1e-3 and all(errors[k] < 1e-7 for k in params if k != "W2")
    key, index = ref.find_bug(f, buggy, params)
    assert key == "W2"
    if kind == "entry":
        assert index == (1, 0)
    assert ref.find_bug(f, grad_fn, params) is None


def test_central_differences_have_second_order_error(ref):
    """Error(h)/Error(h/10) ≈ 100 for a smooth non-quadratic loss, ≈ 10 for the forward difference."""
    f, grad_fn, params = hidden._network(None)
    exact = grad_fn(params)
    central = [ref.relative_error(exact, ref.numerical_gradient(f, params, h)) for h in (1e-2, 1e-3)]
    forward = [ref.relative_error(exact, hidden._numgrad(f, params, h, mode="forward")) for h in (1e-2, 1e-3)]
    assert 80 < central[0] / central[1] < 120
    assert 8 < forward[0] / forward[1] < 12


def test_error_versus_h_has_the_sweet_spot_in_the_middle(ref):
    f, grad_fn, params = hidden._network(None)
    errors = ref.error_versus_h(f, grad_fn(params), params, hidden.HS)
    best = ref.best_step(hidden.HS, errors)
    assert 1e-7 <= best <= 1e-4
    assert errors[0] > 1e3 * errors.min() and errors[-1] > 1e3 * errors.min()
    assert np.all(np.diff(errors[:4]) < 0) and np.all(np.diff(errors[-5:]) > 0)


def test_numerical_gradient_leaves_params_alone(ref):
    f, _, params = hidden._network(np.random.default_rng(2), ["tanh", "sigmoid"])
    before = {k: v.copy() for k, v in params.items()}
    ref.numerical_gradient(f, params)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


def test_relative_error_floor_and_types(ref):
    assert ref.relative_error({"a": np.zeros((2, 2))}, {"a": np.zeros((2, 2))}) == 0.0
    value = ref.relative_error({"a": np.ones(3), "b": np.ones((1, 1))}, {"a": np.ones(3), "b": 2 * np.ones((1, 1))})
    assert type(value) is float and value == pytest.approx(1 / (2 + np.sqrt(7)))


def test_every_mutant_of_the_hidden_tests_is_wrong_somewhere(ref):
    """Each relative-error and numerical-gradient mutant differs from the reference on a hidden input."""
    g = {"w": np.array([6.0, 8.0])}
    gh = {"w": np.array([6.0, 8.5])}
    rng = np.random.default_rng(0)
    multi = {k: rng.normal(size=(2, 3)) for k in ("W1", "W2")}
    multi_hat = {k: v + 0.3 * rng.normal(size=v.shape) * (2.0 if k == "W2" else 1.0) for k, v in multi.items()}
    zeros = {"w": np.zeros(2)}
    for mutant in hidden.RELATIVE_MUTANTS:
        outs = [mutant.fn(a, b) for a, b in ((g, gh), (multi, multi_hat), (zeros, zeros))]
        refs = [ref.relative_error(a, b) for a, b in ((g, gh), (multi, multi_hat), (zeros, zeros))]
        assert not np.allclose(np.array(outs, dtype=float), refs, equal_nan=False), mutant.message
    f, _, params = hidden._network(None)
    for mutant in hidden.NUMGRAD_MUTANTS:
        wrong = mutant.fn(f, {k: v.copy() for k, v in params.items()}, 0.05)
        right = ref.numerical_gradient(f, params, 0.05)
        assert any(not np.allclose(wrong[k], right[k], rtol=1e-7, atol=1e-12) for k in right), mutant.message


def test_the_strict_threshold_mutant_differs_from_the_reference_only_at_the_threshold(ref):
    (strict,) = [m for m in hidden.FIND_MUTANTS if "(not <)" in m.message]
    f, grad = build("bowl_params_loss", {}), build("bowl_params_gradient", {})
    at = {"w": np.array([3.0, 4.0])}
    assert ref.gradient_errors(f, grad, at, 0.5) == {"w": 0.0}  # exact: the boundary case is real
    assert ref.find_bug(f, grad, at, h=0.5, threshold=0.0) is None
    assert strict.fn(f, grad, at, h=0.5, threshold=0.0) == ("w", (0,))
    assert strict.fn(f, grad, at) is None and ref.find_bug(f, grad, at) is None


def test_hint_formula_is_the_reference(ref):
    """The relative-error line of the hints, run literally, equals relative_error (and the worked number)."""
    (snippet,) = [s for hint in EXERCISE.hints for s in re.findall(r"`([^`]*=[^`]*)`", hint)]
    assert snippet == "rel = norm(g - g_hat) / max(norm(g) + norm(g_hat), 1e-8)"
    for g, g_hat in ((np.array([6.0, 8.0]), np.array([6.0, 8.5])), (np.zeros(3), np.zeros(3))):
        ns = {"norm": np.linalg.norm, "g": g, "g_hat": g_hat}
        exec(snippet, ns)
        assert ns["rel"] == pytest.approx(ref.relative_error({"w": g}, {"w": g_hat}), abs=1e-15)
    assert "0.5/(10 + 10.404326) = 0.024505" in " ".join(EXERCISE.hints)
