"""Exercise 6 (backprop through a deep network): the reference, its math, and its grading.

The grading tests run the real `grade` CLI in a subprocess on temporary
workspaces: the reference gets full marks, the stub gets 0, every deliberately
wrong submission in tests/submissions/exercise6.py loses exactly the expected
tests with the expected diagnosis, and the alternative correct solutions
(loops, einsum, the row layout inside the functions, a hand-written training
loop) get full marks. The math tests check the reference's gradients against
central differences (relative error ≤ 1e-7) and against autograd (≤ 1e-10)
for every activation and loss, the docstrings' worked numbers, and the
derivative formulas against sympy.diff.
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
from grader.hidden import test_exercise6 as hidden

REPO = Path(__file__).resolve().parent.parent
FILE = "exercise6_mlp_backprop.py"
HIDDEN = REPO / "grader" / "hidden" / "test_exercise6.py"
EXERCISE = resolve("exercise6")

# The tests that groups of wrong submissions below fail together. A gradient wrong on the random
# networks and in the training that uses it, right on the worked examples:
BATCH_GRADIENTS = ["test_backward_one_layer_and_batch_of_one", "test_backward_random_bce",
                   "test_backward_random_mse", "test_train_fits_xor", "test_train_random",
                   "test_train_step_keeps_inputs", "test_train_step_random"]
# Wrong on the 2-2-2 worked example too:
ALL_GRADIENTS = sorted([*BATCH_GRADIENTS, "test_backward_worked_example", "test_train_step_worked_example"])
# Wrong on the notes' three-layer σ network too:
DEEP_GRADIENTS = sorted([*ALL_GRADIENTS, "test_backward_notes_deep_network"])

# submission -> (the diagnosis phrase, the tests that fail at seed 1, those among them whose feedback
# cannot name the mistake: 300 chaotic XOR epochs of a wrong update do not reproduce exactly)
WRONG: dict[str, tuple[str, list[str], list[str]]] = {
    "assign_not_add": (
        "Only the last example contributes",
        BATCH_GRADIENTS,
        [],
    ),
    "bce_missing_term": (
        "(1 − y)·log(1 − ŷ) term is missing",
        [
            "test_compute_loss_random",
            "test_compute_loss_worked_example",
            "test_train_fits_xor",
            "test_train_step_random",
        ],
        [],
    ),
    "bce_sigma_prime_again": (
        "σ′(Z_L) cancels",
        [
            "test_backward_one_layer_and_batch_of_one",
            "test_backward_random_bce",
            "test_train_fits_xor",
            "test_train_step_random",
        ],
        [],
    ),
    "bias_not_summed": (
        "∂L/∂bₗ must be summed over the batch",
        BATCH_GRADIENTS,
        [],
    ),
    "bias_wrong_axis": (
        "summed over the wrong axis",
        ALL_GRADIENTS,
        [],
    ),
    "dW_transposed": (
        "transpose",
        ALL_GRADIENTS,
        [],
    ),
    "float32": (
        "float",
        [
            "test_activation_derivative_values",
            "test_activation_extremes",
            "test_activation_values",
            "test_backward_notes_deep_network",
            "test_backward_one_layer_and_batch_of_one",
            "test_backward_random_mse",
            "test_backward_worked_example",
            "test_forward_one_layer_and_batch_of_one",
            "test_forward_random",
            "test_forward_worked_example",
            "test_train_fits_xor",
            "test_train_random",
            "test_train_step_keeps_inputs",
            "test_train_step_random",
            "test_train_step_worked_example",
        ],
        [],
    ),
    "forward_no_bias": (
        "The bias is missing",
        [
            "test_forward_one_layer_and_batch_of_one",
            "test_forward_random",
            "test_forward_worked_example",
            "test_train_fits_xor",
            "test_train_random",
            "test_train_step_keeps_inputs",
            "test_train_step_random",
            "test_train_step_worked_example",
        ],
        [],
    ),
    "gprime_of_a": (
        "g′ evaluated at the activation",
        DEEP_GRADIENTS,
        [],
    ),
    "gradients_not_reset": ("not reset", ["test_train_fits_xor", "test_train_random"], []),
    "loss_sum_not_mean": (
        "You summed over the batch",
        ["test_compute_loss_random", "test_train_random", "test_train_step_keeps_inputs", "test_train_step_random"],
        [],
    ),
    "missing_hidden_gprime": (
        "factor is missing",
        DEEP_GRADIENTS,
        [],
    ),
    "not_transposed": (
        "transpose",
        ALL_GRADIENTS,
        [],
    ),
    "relu_derivative_one_at_zero": ("ReLU′(0) must be 0", ["test_activation_derivative_relu_convention"], []),
    "sigmoid_derivative_z_form": (
        "a-form of the derivative",
        [
            "test_activation_derivative_values",
            "test_activation_extremes",
            "test_backward_notes_deep_network",
            "test_backward_one_layer_and_batch_of_one",
            "test_backward_random_mse",
            "test_backward_worked_example",
            "test_train_random",
            "test_train_step_keeps_inputs",
            "test_train_step_random",
            "test_train_step_worked_example",
        ],
        [],
    ),
    "step_ascent": (
        "move uphill",
        [
            "test_train_fits_xor",
            "test_train_random",
            "test_train_step_keeps_inputs",
            "test_train_step_random",
            "test_train_step_worked_example",
        ],
        ["test_train_fits_xor"],
    ),
    "step_in_place": ("you modified the caller's params in place", ["test_train_step_keeps_inputs"], []),
    "sum_not_mean": (
        "m × too big",
        BATCH_GRADIENTS,
        [],
    ),
    "tanh_derivative_unsquared": (
        "you forgot to square tanh",
        [
            "test_activation_derivative_values",
            "test_backward_one_layer_and_batch_of_one",
            "test_backward_random_bce",
            "test_backward_random_mse",
            "test_train_fits_xor",
            "test_train_random",
            "test_train_step_keeps_inputs",
            "test_train_step_random",
        ],
        ["test_train_fits_xor"],
    ),
    "weights_off_by_one": (
        "layer",
        DEEP_GRADIENTS,
        [],
    ),
    # the docstring promises a ValueError for 'bce' without a sigmoid output: this one computes on
    "bce_any_output": ("must raise ValueError", ["test_backward_one_layer_and_batch_of_one"], []),
    # right whenever every layer has the same activation (the worked example, the notes' network)
    "gprime_of_the_layer_above": (
        "its OWN activation's derivative",
        BATCH_GRADIENTS,
        [],
    ),
}
ALTERNATIVES = ["alt_einsum", "alt_loops", "alt_own_loop_train", "alt_rows"]


# -- running the grader -------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> contract.Graded:
    """Every submission graded once (two at a time: each run is its own process pair)."""
    return contract.grade_class(EXERCISE, [*WRONG, *ALTERNATIVES], tmp_path_factory.mktemp("ex6"),
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
    assert len(undiagnosed) <= 1


def test_every_submission_is_used():
    assert set(submission_edits(6)) == {*WRONG, *ALTERNATIVES}
    assert len(WRONG) >= 12 and len(ALTERNATIVES) >= 3


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solution_gets_full_marks(graded, name, seed):
    contract.assert_passes(graded[(name, seed)])


def test_float32_implementation_fails_with_a_dtype_message(graded):
    tests = contract.by_id(graded[("float32", 1)])
    assert "compute in float64" in tests["test_forward_worked_example"]["output"]
    assert "about 7 significant digits" in tests["test_backward_worked_example"]["output"]


def test_shape_errors_get_a_shape_hint(graded):
    output = contract.by_id(graded[("not_transposed", 1)])["test_backward_random_mse"]["output"]
    assert "mismatched shapes" in output and "the layer sizes are n = (" in output


# -- catalog, stub, hidden tests agree ------------------------------------------------------------


def test_catalog_entry():
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.topic, EXERCISE.file, EXERCISE.tests) == (
        6,
        "mlp-backprop",
        "deep-backprop",
        FILE,
        "test_exercise6",
    )
    assert contract.hidden_test_ids(EXERCISE) == set(EXERCISE.points)
    assert 3 <= len(EXERCISE.hints) <= 5
    functions = set(re.findall(r"^def ([a-z]\w+)\(", (REPO / "solutions" / FILE).read_text(), flags=re.MULTILINE))
    assert set(EXERCISE.function_hints) == functions


def test_exercise_file_is_the_generated_stub():
    stub = contract.assert_stub_is_generated(EXERCISE)
    assert "### BEGIN SOLUTION" not in stub and stub.count("raise NotImplementedError()") == 7
    assert "COLUMN" in stub and "(n₀, m)" in stub


# -- the reference ----------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_ex6_{path.stem}", path)
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


def test_every_docstring_states_the_column_convention(ref):
    for name in ("forward", "backward", "train_step", "train", "compute_loss"):
        doc = getattr(ref, name).__doc__
        assert "(n₀, m)" in doc or "(n_L, m)" in doc or "column" in doc.lower(), name


def _fmt(value: float) -> str:
    return f"{value:.6f}".replace("-", "−")


def test_module_docstring_numbers_are_the_reference_s(ref):
    """Every intermediate number of the 2-2-2 example in the module docstring, recomputed."""
    params, X, Y = hidden.worked_example()
    acts = ["sigmoid", "sigmoid"]
    yhat, cache = ref.forward(params, X, acts)
    grads = ref.backward(params, cache, Y, acts, "mse")
    new, loss = ref.train_step(params, X, Y, acts, "mse", 0.25)
    doc = ref.__doc__
    delta2 = grads["b2"][:, 0]
    delta1 = grads["b1"][:, 0]
    pairs = {
        "Z₁": cache["Z1"][:, 0],
        "A₁": cache["A1"][:, 0],
        "Z₂": cache["Z2"][:, 0],
        "ŷ = A₂": yhat[:, 0],
        "δ₂ = 2(ŷ − y) ⊙ ŷ(1 − ŷ)": delta2,
        "δ₁ = (W₂ᵀδ₂) ⊙ A₁(1 − A₁)": delta1,
        "b₂": new["b2"][:, 0],
        "b₁": new["b1"][:, 0],
    }
    for label, values in pairs.items():
        text = f"{label} = (" + ", ".join(_fmt(v) for v in values) + ")"
        assert text in doc, text
    assert f"L = {loss:.6f}" in doc
    for key, label in (("W2", "∂L/∂W₂ = δ₂A₁ᵀ"), ("W1", "∂L/∂W₁ = δ₁xᵀ")):
        rows = ", ".join("[" + ", ".join(_fmt(v) for v in row) + "]" for row in grads[key])
        assert f"{label} = [{rows}]" in doc, (label, rows)
    for key, label in (("W2", "after one step: W₂"), ("W1", "W₁")):
        rows = ", ".join("[" + ", ".join(_fmt(v) for v in row) + "]" for row in new[key])
        assert f"{label} = [{rows}]" in doc, (label, rows)
    # δ in the docstring is exactly ∂L/∂b (one example); ∂L/∂W = δ·aᵀ
    np.testing.assert_allclose(grads["W2"], np.outer(delta2, cache["A1"][:, 0]), rtol=1e-14)


def test_worked_example_matches_the_textbook_numbers(ref):
    """The same network in the ½-sum-of-squares convention with α = 0.5 (a widely reproduced
    worked example) gives these updated weights; ours has no ½ and α = 0.25: the same step."""
    params, X, Y = hidden.worked_example()
    new, _ = ref.train_step(params, X, Y, ["sigmoid", "sigmoid"], "mse", 0.25)
    np.testing.assert_allclose(new["W2"], [[0.35891648, 0.408666186], [0.511301270, 0.561370121]], atol=5e-9)
    np.testing.assert_allclose(new["W1"], [[0.149780716, 0.19956143], [0.24975114, 0.29950229]], atol=5e-9)


def test_notes_deep_network_matches_lesson_5(ref):
    """σ(w₃σ(w₂σ(w₁x))) with w = (0.5, −1, 2), x = y = 1: lesson 5's table."""
    params, X, Y = hidden.notes_network()
    yhat, cache = ref.forward(params, X, ["sigmoid"] * 3)
    grads = ref.backward(params, cache, Y, ["sigmoid"] * 3, "mse")
    assert round(float(yhat[0, 0]), 4) == 0.6678
    assert [round(float(grads[k][0, 0]), 4) for k in ("W3", "W2", "W1")] == [-0.0515, -0.0417, 0.0157]


def test_sigmoid_is_stable_for_huge_inputs(ref):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = ref.activation(np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]]), "sigmoid")
        slopes = ref.activation_derivative(np.array([[-1000.0, 1000.0]]), "sigmoid")
    np.testing.assert_allclose(values, [[0.0, np.exp(-40.0), 0.5, 1.0, 1.0]], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(slopes, [[0.0, 0.0]])


def test_return_types_are_as_documented(ref):
    params, X, Y = hidden.worked_example()
    yhat, cache = ref.forward(params, X, ["sigmoid", "sigmoid"])
    assert type(ref.compute_loss(yhat, Y, "mse")) is float
    assert set(cache) == {"A0", "Z1", "A1", "Z2", "A2"}
    grads = ref.backward(params, cache, Y, ["sigmoid", "sigmoid"], "mse")
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in params.items()}
    assert all(v.dtype == np.float64 for v in grads.values())
    with pytest.raises(ValueError):
        ref.backward(params, cache, Y, ["sigmoid", "tanh"], "bce")
    with pytest.raises(ValueError):
        ref.activation(np.zeros((1, 1)), "softplus")


# -- gradients against central differences and autograd ---------------------------------------------

CASES = [  # (activations, loss): every activation in hidden and output layers, both losses
    (["sigmoid", "sigmoid", "sigmoid"], "mse"),
    (["tanh", "relu", "tanh"], "mse"),
    (["relu", "tanh", "sigmoid"], "mse"),
    (["relu"], "mse"),
    (["tanh", "relu", "sigmoid"], "bce"),
    (["sigmoid", "sigmoid"], "bce"),
]


def _case(acts: list[str], loss: str, seed: int):
    return hidden.random_network(np.random.default_rng(seed), acts, loss)


def _relative_error(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    diff = np.sqrt(sum(float(np.sum((a[k] - b[k]) ** 2)) for k in a))
    size = np.sqrt(sum(float(np.sum(a[k] ** 2)) for k in a)) + np.sqrt(sum(float(np.sum(b[k] ** 2)) for k in b))
    return diff / max(size, 1e-8)


def _central(ref, params, X, Y, acts, loss, h=1e-5):
    grads = {}
    for key, value in params.items():
        g = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[key][index] += h
            minus[key][index] -= h
            g[index] = (
                ref.compute_loss(ref.forward(plus, X, acts)[0], Y, loss)
                - ref.compute_loss(ref.forward(minus, X, acts)[0], Y, loss)
            ) / (2 * h)
        grads[key] = g
    return grads


@pytest.mark.parametrize(("acts", "loss"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_backward_matches_central_differences(ref, acts, loss, seed):
    params, X, Y = _case(acts, loss, seed)
    _, cache = ref.forward(params, X, acts)
    grads = ref.backward(params, cache, Y, acts, loss)
    assert _relative_error(grads, _central(ref, params, X, Y, acts, loss)) <= 1e-7


def _autograd_loss(acts, loss, X, Y):
    import autograd.numpy as anp

    def g(z, name):
        if name == "sigmoid":
            return 1.0 / (1.0 + anp.exp(-z))
        if name == "tanh":
            return anp.tanh(z)
        return anp.maximum(z, 0.0)

    def total(params):
        A = X
        for layer, name in enumerate(acts, start=1):
            A = g(anp.dot(params[f"W{layer}"], A) + params[f"b{layer}"], name)
        m = Y.shape[1]
        if loss == "mse":
            return anp.sum((A - Y) ** 2) / m
        return -anp.sum(Y * anp.log(A) + (1 - Y) * anp.log(1 - A)) / m

    return total


@pytest.mark.parametrize(("acts", "loss"), CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_autograd(ref, acts, loss, seed):
    from autograd import grad

    params, X, Y = _case(acts, loss, seed)
    _, cache = ref.forward(params, X, acts)
    grads = ref.backward(params, cache, Y, acts, loss)
    oracle = grad(_autograd_loss(acts, loss, X, Y))(params)
    assert set(oracle) == set(grads)
    assert _relative_error(grads, oracle) <= 1e-10
    loss_value = _autograd_loss(acts, loss, X, Y)(params)
    yhat, _ = ref.forward(params, X, acts)
    assert ref.compute_loss(yhat, Y, loss) == pytest.approx(float(loss_value), rel=1e-12)


def test_the_oracles_catch_a_wrong_gradient(ref):
    """The checks above can fail: a gradient missing ⊙σ′ in the hidden layers is far off."""
    from autograd import grad

    acts, loss = ["tanh", "relu", "sigmoid"], "mse"
    params, X, Y = _case(acts, loss, 0)
    _, cache = ref.forward(params, X, acts)
    wrong = hidden._backward(params, cache, Y, acts, loss, hidden_gprime=False)
    assert _relative_error(wrong, grad(_autograd_loss(acts, loss, X, Y))(params)) > 1e-3
    assert _relative_error(wrong, _central(ref, params, X, Y, acts, loss)) > 1e-3


def test_hidden_test_reference_variants_agree_with_the_reference(ref):
    """The hidden tests' own _backward (all defaults) and _forward are the reference: mutants differ only by intent."""
    for acts, loss in CASES:
        params, X, Y = _case(acts, loss, 5)
        yhat, cache = ref.forward(params, X, acts)
        mine_yhat, _ = hidden._forward(params, X, acts)
        np.testing.assert_allclose(mine_yhat, yhat, rtol=1e-14)
        grads = ref.backward(params, cache, Y, acts, loss)
        mine = hidden._backward(params, cache, Y, acts, loss)
        for key in grads:
            np.testing.assert_allclose(mine[key], grads[key], rtol=1e-12, atol=1e-15)


def test_every_mutant_differs_from_the_reference_on_some_hidden_input(ref):
    """No mutant is indistinguishable from the right answer on the inputs the hidden tests use."""
    inputs = [(*hidden.worked_example(), ["sigmoid", "sigmoid"], "mse")]
    rng = np.random.default_rng(3)
    for acts, loss in ((["relu", "tanh", "sigmoid"], "mse"), (["tanh", "relu", "sigmoid"], "bce")):
        inputs.append((*hidden.random_network(rng, acts, loss), acts, loss))
    for message, variant in hidden.BACKWARD_MISTAKES:
        differs = False
        for params, X, Y, acts, loss in inputs:
            _, cache = ref.forward(params, X, acts)
            good = ref.backward(params, cache, Y, acts, loss)
            try:
                bad = hidden._backward(params, cache, Y, acts, loss, **variant)
            except ValueError:  # a shape mismatch on non-square layers also tells it apart
                differs = True
                continue
            if any(np.shape(bad[k]) != good[k].shape or not np.allclose(bad[k], good[k]) for k in good):
                differs = True
        assert differs, message


# -- formulas against sympy ----------------------------------------------------------------------------

z, y = sp.symbols("z y", real=True)
SIGMA = 1 / (1 + sp.exp(-z))


def test_activation_derivatives_match_sympy():
    assert sp.simplify(sp.diff(SIGMA, z) - SIGMA * (1 - SIGMA)) == 0
    assert sp.simplify(sp.diff(sp.tanh(z), z) - (1 - sp.tanh(z) ** 2)) == 0


def test_sigmoid_cross_entropy_delta_is_yhat_minus_y():
    """∂/∂z of −[y log σ(z) + (1 − y) log(1 − σ(z))] = σ(z) − y: σ′ cancels."""
    bce = -(y * sp.log(SIGMA) + (1 - y) * sp.log(1 - SIGMA))
    assert sp.simplify(sp.diff(bce, z) - (SIGMA - y)) == 0


def test_mse_delta_matches_sympy_for_a_batch():
    """L = (1/m) Σ (ŷ − y)² with ŷ = σ(z): ∂L/∂z_i = (2/m)(ŷ_i − y_i)·σ′(z_i)."""
    m = 3
    zs = sp.symbols("z0:3", real=True)
    ys = sp.symbols("y0:3", real=True)
    sig = [1 / (1 + sp.exp(-v)) for v in zs]
    loss = sum((s - t) ** 2 for s, t in zip(sig, ys, strict=True)) / m
    for i in range(m):
        claimed = sp.Rational(2, m) * (sig[i] - ys[i]) * sig[i] * (1 - sig[i])
        assert sp.simplify(sp.diff(loss, zs[i]) - claimed) == 0


def test_training_fits_xor(ref):
    from grader.datasets import xor

    X, Y = xor()
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.normal(size=(4, 2)),
        "b1": 0.1 * rng.normal(size=(4, 1)),
        "W2": rng.normal(size=(1, 4)),
        "b2": np.zeros((1, 1)),
    }
    before = {k: v.copy() for k, v in params.items()}
    final, losses = ref.train(params, X, Y, ["tanh", "sigmoid"], "bce", 1.0, 300)
    assert losses.shape == (301,) and losses[-1] < 0.05 < losses[0]
    assert np.array_equal(ref.forward(final, X, ["tanh", "sigmoid"])[0] > 0.5, Y > 0.5)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


# -- the hints' code, run literally ----------------------------------------------------------------

HINT_CODE = [
    "delta = (2/m)*(A_L - Y)*g_prime_L",
    "delta = (A_L - Y)/m",
    "dW = delta @ A_prev.T",
    "db = delta.sum(axis=1, keepdims=True)",
    "delta = (W.T @ delta)*g_prime",
]


def test_every_hint_code_snippet_is_checked():
    snippets = [s for hint in EXERCISE.hints for s in re.findall(r"`([^`]*=[^`]*)`", hint)]
    assert sorted(snippets) == sorted(HINT_CODE)


@pytest.mark.parametrize(("acts", "loss"), [(["tanh", "relu", "sigmoid"], "mse"), (["relu", "sigmoid"], "bce")])
def test_hint_code_gives_the_central_difference_gradients(ref, acts, loss):
    """The backward pass assembled from the hints' lines equals the central differences."""
    params, X, Y = _case(acts, loss, 7)
    _, cache = ref.forward(params, X, acts)
    n_layers, m = len(acts), Y.shape[1]
    ns: dict[str, Any] = {
        "np": np,
        "m": m,
        "Y": Y,
        "A_L": cache[f"A{n_layers}"],
        "g_prime_L": ref.activation_derivative(cache[f"Z{n_layers}"], acts[-1]),
    }
    exec(HINT_CODE[0] if loss == "mse" else HINT_CODE[1], ns)
    grads = {}
    for layer in range(n_layers, 0, -1):
        ns["A_prev"] = cache[f"A{layer - 1}"]
        exec(HINT_CODE[2], ns)
        exec(HINT_CODE[3], ns)
        grads[f"W{layer}"], grads[f"b{layer}"] = ns["dW"], ns["db"]
        if layer > 1:
            ns["W"] = params[f"W{layer}"]
            ns["g_prime"] = ref.activation_derivative(cache[f"Z{layer - 1}"], acts[layer - 2])
            exec(HINT_CODE[4], ns)
    assert _relative_error(grads, _central(ref, params, X, Y, acts, loss)) <= 1e-7
