"""Hidden tests for exercise 6: backpropagation through a deep network.

The student's functions are compared with the reference on the docstring's
2-2-2 sigmoid network, on the notes' 3-layer network σ(w₃σ(w₂σ(w₁x))) and on
seeded random networks: distinct (so non-square) layer sizes, a batch of m ≥ 3
examples (m different from every layer size), non-zero weights and biases, and
pre-activations at least 0.05 away from ReLU's kink. Values must be float64 and
agree to a relative 1e-9, so a float32 implementation fails. Known mistakes are
recognised by running wrong variants (`_backward`, `_train`) on the same inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.checking import CheckFailed, Mutant, check_call, check_raises, fail, format_call
from grader.compare import compare
from grader.inputs import distinct_dims, learning_rate, nonzero
from grader.strict import strict

RTOL, ATOL = 1e-9, 1e-12
SIG_ACTS = ("sigmoid", "sigmoid")


def _check(student, reference, func: str, args: Sequence[Any], *, mutants: Sequence[Mutant] = (),
           batch: int | None = None, context: Any = "", shapes: str = "", rtol: float = RTOL) -> Any:
    """check_call with the strict comparison, plus a shape hint when a matrix product failed.

    `context` may be a function: it is rendered only when the check fails (rendering is not free).
    """
    try:
        return check_call(student, reference, func, list(args), mutants=mutants, rtol=rtol, atol=ATOL,
                          equal=strict(batch, rtol=rtol, atol=ATOL), batch_size=batch,
                          context="" if callable(context) else context)
    except CheckFailed as exc:
        text = str(exc)
        if callable(context):
            text = context() + "\n" + text
        if shapes and "raised ValueError" in text and ("matmul" in text or "broadcast" in text
                                                       or "aligned" in text):
            text += ("\nlikely mistake: a matrix product or ⊙ with mismatched shapes. In the column convention "
                     "Wₗ is (nₗ, nₗ₋₁), δₗ and Zₗ are (nₗ, m), Wₗ₊₁ᵀ·δₗ₊₁ is (nₗ, m) and ∂L/∂Wₗ = δₗ·Aₗ₋₁ᵀ; "
                     f"here {shapes}. A transposed product (W·δ instead of Wᵀ·δ) or the weights of the "
                     "wrong layer only fit when the sizes happen to be equal.")
        raise CheckFailed(text) from None


# -- independent helpers (never the reference) ----------------------------------------------

def _g(Z: Any, name: str) -> np.ndarray:
    Z = np.asarray(Z, dtype=float)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * Z))
    if name == "tanh":
        return np.tanh(Z)
    return np.maximum(Z, 0.0)


def _g_prime(Z: Any, name: str) -> np.ndarray:
    Z = np.asarray(Z, dtype=float)
    if name == "sigmoid":
        s = _g(Z, name)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(Z) ** 2
    return (Z > 0).astype(float)


def _a_form(V: Any, name: str) -> np.ndarray:
    """The derivative written in terms of the activation a (a(1 − a), 1 − a², a > 0), applied to V."""
    V = np.asarray(V, dtype=float)
    if name == "sigmoid":
        return V * (1.0 - V)
    if name == "tanh":
        return 1.0 - V**2
    return (V > 0).astype(float)


def _shapes(params: dict[str, Any], X: Any) -> str:
    sizes = [np.shape(X)[0]] + [np.shape(params[f"W{k}"])[0] for k in range(1, len(params) // 2 + 1)]
    return f"the layer sizes are n = {tuple(int(s) for s in sizes)} and m = {np.shape(X)[1]}"


# -- activations ------------------------------------------------------------------------

ACTIVATION_MUTANTS = [
    Mutant("Sign slip in the exponent: σ(z) = 1/(1 + e^(−z)); you computed σ(−z).",
           lambda Z, name: _g(-np.asarray(Z, dtype=float), name) if name == "sigmoid" else None),
    Mutant("relu(z) = max(0, z), the larger of 0 and z; you returned min(0, z).",
           lambda Z, name: np.minimum(np.asarray(Z, dtype=float), 0.0) if name == "relu" else None),
    Mutant("relu(z) = max(0, z); you returned |z|.",
           lambda Z, name: np.abs(np.asarray(Z, dtype=float)) if name == "relu" else None),
    Mutant("You returned the sigmoid for tanh; tanh(z) = 2σ(2z) − 1 takes values in (−1, 1).",
           lambda Z, name: _g(Z, "sigmoid") if name == "tanh" else None),
]

DERIVATIVE_MUTANTS = [
    Mutant("You applied the a-form of the derivative to z: σ′(z) = σ(z)·(1 − σ(z)) = a·(1 − a) with a = σ(z), "
           "not z·(1 − z). Compute a = g(z) first.",
           lambda Z, name: _a_form(Z, name) if name == "sigmoid" else None),
    Mutant("You applied the a-form of the derivative to z: tanh′(z) = 1 − tanh(z)² = 1 − a² with a = tanh(z), "
           "not 1 − z². Compute a = g(z) first.",
           lambda Z, name: _a_form(Z, name) if name == "tanh" else None),
    Mutant("You applied the activation twice: g′(z) = a·(1 − a) (or 1 − a²) with a = g(z), "
           "not g′(g(z)).", lambda Z, name: _g_prime(_g(Z, name), name) if name != "relu" else None),
    Mutant("You returned the activation g(z) itself, not its derivative.", lambda Z, name: _g(Z, name)),
    Mutant("tanh′(z) = 1 − tanh(z)²: you forgot to square tanh.",
           lambda Z, name: 1.0 - np.tanh(np.asarray(Z, dtype=float)) if name == "tanh" else None),
    Mutant("ReLU′(z) is 1 for z > 0 and 0 for z < 0 (a step), not max(0, z).",
           lambda Z, name: np.maximum(np.asarray(Z, dtype=float), 0.0) if name == "relu" else None),
]


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return nonzero(rng, shape, 0.1, 4.0)


def test_activation_values(student, ref, rng):
    """activation for sigmoid, tanh and relu on random (nₗ, m) arrays, and σ at −2, 0, 2."""
    _check(student, ref.activation, "activation", [np.array([[-2.0, 0.0, 2.0]]), "sigmoid"],
           mutants=ACTIVATION_MUTANTS)
    n, m = distinct_dims(rng, 2, 2, 7)
    for name in ("sigmoid", "tanh", "relu"):
        _check(student, ref.activation, "activation", [_away_from_zero(rng, (n, m)), name],
               mutants=ACTIVATION_MUTANTS)


def test_activation_extremes(student, ref, rng):
    """activation at |z| up to 1000: σ saturates to 0 and 1 (no NaN), tanh to ±1, relu stays exact."""
    Z = np.array([[-1000.0, -745.0, -40.0, 40.0, 745.0, 1000.0]])
    for name in ("sigmoid", "tanh", "relu"):
        _check(student, ref.activation, "activation", [Z, name], mutants=ACTIVATION_MUTANTS,
               context="Very large |z|: the result must saturate, never be NaN.")
    _check(student, ref.activation_derivative, "activation_derivative", [Z, "sigmoid"],
           mutants=DERIVATIVE_MUTANTS, context="Very large |z|: σ′ tends to 0, never NaN.")


def test_activation_derivative_values(student, ref, rng):
    """activation_derivative for the three activations on random arrays away from 0."""
    _check(student, ref.activation_derivative, "activation_derivative",
           [np.array([[-2.0, 0.0, 2.0]]), "sigmoid"], mutants=DERIVATIVE_MUTANTS)
    n, m = distinct_dims(rng, 2, 2, 7)
    for name in ("sigmoid", "tanh", "relu"):
        _check(student, ref.activation_derivative, "activation_derivative", [_away_from_zero(rng, (n, m)), name],
               mutants=DERIVATIVE_MUTANTS)


def test_activation_derivative_relu_convention(student, ref):
    """ReLU′ at the kink follows the stated convention ReLU′(0) = 0 (and is 0/1 around it)."""
    _check(student, ref.activation_derivative, "activation_derivative",
           [np.array([[-1.5, 0.0, 2.5], [0.0, 3.0, -0.5]]), "relu"],
           mutants=[Mutant("ReLU′(0) must be 0 by this exercise's convention: use z > 0, not z >= 0.",
                           lambda Z, name: (np.asarray(Z) >= 0).astype(float)), *DERIVATIVE_MUTANTS])


# -- networks -----------------------------------------------------------------------------

def worked_example() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The docstring's 2-2-2 sigmoid network with biases (one example)."""
    params = {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array([[0.35], [0.35]]),
              "W2": np.array([[0.40, 0.45], [0.50, 0.55]]), "b2": np.array([[0.60], [0.60]])}
    return params, np.array([[0.05], [0.10]]), np.array([[0.01], [0.99]])


def notes_network() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The notes' σ(w₃σ(w₂σ(w₁x))) with w = (0.5, −1, 2), x = 1, y = 1, no biases (all zero)."""
    params = {}
    for layer, w in enumerate((0.5, -1.0, 2.0), start=1):
        params[f"W{layer}"] = np.array([[w]])
        params[f"b{layer}"] = np.zeros((1, 1))
    return params, np.array([[1.0]]), np.array([[1.0]])


def random_network(rng: np.random.Generator, acts: Sequence[str], loss: str, *, m: int | None = None,
                   sizes: Sequence[int] | None = None) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Distinct layer sizes, batch m ≥ 3 distinct from them, and every ReLU input ≥ 0.05 from 0."""
    n_layers = len(acts)
    for _ in range(200):
        dims = list(sizes) if sizes is not None else distinct_dims(rng, n_layers + 1, 2, 7)
        if m is None:
            choices = [v for v in range(3, 10) if v not in dims]
            batch = int(rng.choice(choices))
        else:
            batch = m
        X = nonzero(rng, (dims[0], batch), 0.3, 2.0)
        params = {}
        for layer in range(1, n_layers + 1):
            fan_in = dims[layer - 1]
            params[f"W{layer}"] = nonzero(rng, (dims[layer], fan_in), 0.3, 1.6) / np.sqrt(fan_in)
            params[f"b{layer}"] = nonzero(rng, (dims[layer], 1), 0.1, 0.8)
        A, ok = X, True
        for layer, name in enumerate(acts, start=1):
            Z = params[f"W{layer}"] @ A + params[f"b{layer}"]
            if (name == "relu" and np.min(np.abs(Z)) < 0.05) or (name == "relu" and np.all(Z < 0)):
                ok = False
            A = _g(Z, name)
        if ok:
            break
    else:  # pragma: no cover - guards the inputs, not the student
        raise RuntimeError("internal: no ReLU network away from the kink")
    if loss == "bce":
        Y = rng.integers(0, 2, size=A.shape).astype(float)
        Y[0, 0], Y[-1, -1] = 0.0, 1.0  # both classes present
    elif acts[-1] == "sigmoid":
        Y = rng.uniform(0.05, 0.95, size=A.shape)
    else:
        Y = nonzero(rng, A.shape, 0.2, 1.5)
    return params, X, Y


# -- forward ---------------------------------------------------------------------------------

def _forward(params, X, acts, *, bias: bool = True, last: bool = True, same: str | None = None,
             store_a_as_z: bool = False):
    A = np.asarray(X, dtype=float)
    cache = {"A0": A}
    for layer, name in enumerate(acts, start=1):
        Z = np.asarray(params[f"W{layer}"]) @ A + (np.asarray(params[f"b{layer}"]) if bias else 0.0)
        use = same or name
        A = Z if (not last and layer == len(acts)) else _g(Z, use)
        cache[f"Z{layer}"] = A if store_a_as_z else Z
        cache[f"A{layer}"] = A
    return A, cache


def _forward_mutants() -> list[Mutant]:
    return [
        Mutant("The bias is missing: Zₗ = Wₗ·Aₗ₋₁ + bₗ.", lambda p, X, a: _forward(p, X, a, bias=False)),
        Mutant("The last layer has no activation: ŷ = A_L = g_L(Z_L), not Z_L.",
               lambda p, X, a: _forward(p, X, a, last=False)),
        Mutant("Every layer used the first layer's activation; layer l uses activations[l − 1].",
               lambda p, X, a: _forward(p, X, a, same=a[0])),
        Mutant("Every layer used the last layer's activation; layer l uses activations[l − 1].",
               lambda p, X, a: _forward(p, X, a, same=a[-1])),
        Mutant("cache['Zl'] must hold the pre-activation Zₗ = Wₗ·Aₗ₋₁ + bₗ; yours holds Aₗ = g(Zₗ).",
               lambda p, X, a: _forward(p, X, a, store_a_as_z=True)),
    ]


def test_forward_worked_example(student, ref):
    """forward on the 2-2-2 network: Z₁ = (0.3775, 0.3925), ŷ ≈ (0.751365, 0.772928)."""
    params, X, _ = worked_example()
    _check(student, ref.forward, "forward", [params, X, list(SIG_ACTS)], mutants=_forward_mutants(),
           shapes=_shapes(params, X))


def test_forward_random(student, ref, rng):
    """forward on random 2- and 3-layer networks with mixed activations (non-square, m ≥ 3)."""
    for acts in (["relu", "tanh", "sigmoid"], ["tanh", "relu"]):
        params, X, _ = random_network(rng, acts, "mse")
        _check(student, ref.forward, "forward", [params, X, acts], mutants=_forward_mutants(),
               shapes=_shapes(params, X))


def test_forward_one_layer_and_batch_of_one(student, ref, rng):
    """forward with a single layer (L = 1) and with a batch of one example (m = 1)."""
    params, X, _ = random_network(rng, ["tanh"], "mse")
    _check(student, ref.forward, "forward", [params, X, ["tanh"]], mutants=_forward_mutants(),
           shapes=_shapes(params, X))
    params, X, _ = random_network(rng, ["relu", "sigmoid"], "mse", m=1)
    _check(student, ref.forward, "forward", [params, X, ["relu", "sigmoid"]], mutants=_forward_mutants(),
           shapes=_shapes(params, X))


# -- the loss ----------------------------------------------------------------------------------

def _bce_terms(Yh, Y):
    return Y * np.log(Yh) + (1.0 - Y) * np.log(1.0 - Yh)


LOSS_MUTANTS = [
    Mutant("You divided by the number of entries n_L·m; the loss is a mean over the m examples (columns) "
           "and a SUM over the outputs (rows).",
           lambda Yh, Y, loss: float(np.mean((Yh - Y) ** 2) if loss == "mse" else -np.mean(_bce_terms(Yh, Y)))),
    Mutant("You summed over the batch; the loss is the MEAN over the m examples (divide by m = Y.shape[1]).",
           lambda Yh, Y, loss: float(np.sum((Yh - Y) ** 2) if loss == "mse" else -np.sum(_bce_terms(Yh, Y)))),
    Mutant("You divided by the number of rows n_L; m, the number of examples, is the number of COLUMNS "
           "(Y.shape[1]) in the column convention.",
           lambda Yh, Y, loss: float((np.sum((Yh - Y) ** 2) if loss == "mse" else -np.sum(_bce_terms(Yh, Y)))
                                     / np.shape(Y)[0])),
    Mutant("The cross-entropy has a minus sign: L = −(1/m) Σ [y·log ŷ + (1 − y)·log(1 − ŷ)] is positive.",
           lambda Yh, Y, loss: float(np.sum(_bce_terms(Yh, Y)) / np.shape(Y)[1]) if loss == "bce" else None),
    Mutant("The (1 − y)·log(1 − ŷ) term is missing: the examples with y = 0 count too.",
           lambda Yh, Y, loss: float(-np.sum(Y * np.log(Yh)) / np.shape(Y)[1]) if loss == "bce" else None),
    Mutant("You used the ½ convention; this course's MSE has no ½: L = (1/m) Σ (ŷ − y)².",
           lambda Yh, Y, loss: float(np.sum((Yh - Y) ** 2) / np.shape(Y)[1] / 2) if loss == "mse" else None),
]


def test_compute_loss_worked_example(student, ref):
    """compute_loss: 0.596742 for the 2-2-2 network (mse) and 0.366985 for the docstring's bce example."""
    _check(student, ref.compute_loss, "compute_loss",
           [np.array([[0.75136507], [0.77292847]]), np.array([[0.01], [0.99]]), "mse"], mutants=LOSS_MUTANTS)
    _check(student, ref.compute_loss, "compute_loss",
           [np.array([[0.8, 0.4]]), np.array([[1.0, 0.0]]), "bce"], mutants=LOSS_MUTANTS, batch=2)


def test_compute_loss_random(student, ref, rng):
    """compute_loss on random (n_L, m) outputs with n_L ≠ m, for both losses."""
    n, m = distinct_dims(rng, 2, 2, 7)
    m = max(m, 3)
    Yh = rng.uniform(0.05, 0.95, size=(n, m))
    _check(student, ref.compute_loss, "compute_loss", [Yh, rng.uniform(0.0, 1.0, size=(n, m)), "mse"],
           mutants=LOSS_MUTANTS, batch=m)
    _check(student, ref.compute_loss, "compute_loss",
           [Yh, rng.integers(0, 2, size=(n, m)).astype(float), "bce"], mutants=LOSS_MUTANTS, batch=m)


# -- backward ------------------------------------------------------------------------------------

def _backward(params, cache, Y, acts, loss, *, transpose: bool = True, own_w: bool = False,
              gprime: str = "z", db: str = "sum", scale: str = "mean", dw: str = "delta@A.T",
              factor: float = 2.0, bce_sigma: bool = False, output_gprime: bool = True,
              hidden_gprime: bool = True, gfn=None, name_shift: int = 0):
    """The backward pass with one step optionally done wrong (the reference when all defaults)."""
    L = len(acts)
    Y = np.asarray(Y, dtype=float)
    AL, ZL = cache[f"A{L}"], cache[f"Z{L}"]
    n_out, m = Y.shape
    divide = {"mean": m, "sum": 1, "all": m * n_out}[scale]

    def derivative(layer: int) -> np.ndarray:
        Z, A = cache[f"Z{layer}"], cache[f"A{layer}"]
        name = acts[min(layer - 1 + name_shift, L - 1)]
        if gfn is not None:
            wrong = gfn(Z, name)
            return _g_prime(Z, name) if wrong is None else np.asarray(wrong, dtype=float)
        return {"z": _g_prime(Z, name), "a": _g_prime(A, name), "a-form": _a_form(Z, name),
                "none": np.ones_like(Z)}[gprime]

    if loss == "mse":
        delta = factor * (AL - Y) / divide
        if output_gprime:
            delta = delta * derivative(L)
    else:
        delta = (AL - Y) / divide
        if bce_sigma:
            delta = delta * _g_prime(ZL, "sigmoid")
    grads = {}
    for layer in range(L, 0, -1):
        A_prev = cache[f"A{layer - 1}"]
        if dw == "delta@A.T":
            grads[f"W{layer}"] = delta @ A_prev.T
        elif dw == "A@delta.T":
            grads[f"W{layer}"] = A_prev @ delta.T
        else:  # "last": `=` instead of `+=` in a loop over the examples
            grads[f"W{layer}"] = delta[:, -1:] @ A_prev[:, -1:].T
        grads[f"b{layer}"] = {"sum": np.sum(delta, axis=1, keepdims=True), "none": delta,
                              "axis0": np.sum(delta, axis=0, keepdims=True),
                              "mean": np.mean(delta, axis=1, keepdims=True),
                              "flat": np.sum(delta, axis=1),
                              "last": delta[:, -1:]}[db if dw != "last" else "last"]
        if layer > 1:
            W = np.asarray(params[f"W{layer - 1 if own_w else layer}"], dtype=float)
            delta = (W.T if transpose else W) @ delta
            if hidden_gprime:
                delta = delta * derivative(layer - 1)
    return {k: grads[k] for layer in range(1, L + 1) for k in (f"W{layer}", f"b{layer}")}


# (the misconception, the `_backward` variant that embodies it)
BACKWARD_MISTAKES: list[tuple[str, dict[str, Any]]] = [
    ("δₗ = (Wₗ₊₁ᵀ·δₗ₊₁) ⊙ g′(Zₗ): you multiplied by Wₗ₊₁ itself, not its transpose Wₗ₊₁ᵀ "
     "(the error travels back along the connections it came through).", {"transpose": False}),
    ("Layer off by one: going back from layer l + 1 to layer l uses W_(l+1), the weights of the layer you "
     "are leaving, not W_l.", {"own_w": True}),
    ("g′ evaluated at the activation: the derivative takes the pre-activation, g′(Zₗ) (cache['Zl']), "
     "not g′(Aₗ).", {"gprime": "a"}),
    ("You applied the a-form of the derivative to Z: σ′(Z) = A·(1 − A) and tanh′(Z) = 1 − A², "
     "not Z·(1 − Z) or 1 − Z².", {"gprime": "a-form"}),
    ("The ⊙ g′(Zₗ) factor is missing: every layer multiplies the error signal by its activation's "
     "derivative, δₗ = (Wₗ₊₁ᵀ·δₗ₊₁) ⊙ g′ₗ(Zₗ) and δ_L = (2/m)(ŷ − y) ⊙ g′_L(Z_L).", {"gprime": "none"}),
    ("The hidden layers' ⊙ g′ₗ(Zₗ) factor is missing: δₗ = (Wₗ₊₁ᵀ·δₗ₊₁) ⊙ g′ₗ(Zₗ), the error signal "
     "passes back through each layer's activation.", {"hidden_gprime": False}),
    ("The output layer's ⊙ g′_L(Z_L) is missing: with the mse loss δ_L = (2/m)(ŷ − y) ⊙ g′_L(Z_L).",
     {"output_gprime": False}),
    ("∂L/∂bₗ must be summed over the batch: δₗ summed along axis 1, shape (nₗ, 1); you returned "
     "the per-example δₗ of shape (nₗ, m).", {"db": "none"}),
    ("∂L/∂bₗ summed over the wrong axis: sum δₗ over the examples (axis 1, the columns), not over "
     "the neurons (axis 0).", {"db": "axis0"}),
    ("∂L/∂bₗ is divided by m twice: the 1/m of the mean is already inside δ, so ∂L/∂bₗ is the SUM "
     "of δₗ's columns, not their mean.", {"db": "mean"}),
    ("∂L/∂bₗ must keep the shape of bₗ, a column (nₗ, 1): use keepdims=True.", {"db": "flat"}),
    ("Every gradient is m × too big: the loss is the MEAN over the batch, so δ_L carries a factor 1/m.",
     {"scale": "sum"}),
    ("Every gradient is divided by n_L·m: the loss is a mean over the m examples but a SUM over the "
     "outputs, so δ_L carries 1/m only.", {"scale": "all"}),
    ("∂L/∂Wₗ = δₗ·Aₗ₋₁ᵀ has the shape of Wₗ, (nₗ, nₗ₋₁); you computed Aₗ₋₁·δₗᵀ, its transpose.",
     {"dw": "A@delta.T"}),
    ("Only the last example contributes: the gradient is a sum of every example's contribution "
     "(`+=` in a loop over the examples, or one matrix product), not `=` overwritten each time.",
     {"dw": "last"}),
    ("The factor 2 of the square is missing: ∂/∂ŷ (ŷ − y)² = 2(ŷ − y).", {"factor": 1.0}),
    ("Every gradient has the wrong sign: ∂L/∂ŷ = 2(ŷ − y), not 2(y − ŷ).", {"factor": -2.0}),
    ("With a sigmoid output and the cross-entropy, δ_L = (1/m)(ŷ − y): σ′(Z_L) cancels and must not be "
     "multiplied in again.", {"bce_sigma": True}),
    ("Each layer's g′ is its OWN activation's derivative: δₗ = (Wₗ₊₁ᵀ·δₗ₊₁) ⊙ g′ₗ(Zₗ) with gₗ = "
     "activations[l − 1] (0-based); you used the activation of the layer above, activations[l].", {"name_shift": 1}),
]


# A wrong activation_derivative shows up in the backward pass too: name it there.
BACKWARD_MISTAKES += [
    (f"activation_derivative is wrong, and backward uses it. {mutant.message}", {"gfn": mutant.fn})
    for mutant in DERIVATIVE_MUTANTS
]


def _backward_mutants() -> list[Mutant]:
    return [Mutant(message, lambda p, c, Y, a, loss, v=variant: _backward(p, c, Y, a, loss, **v))
            for message, variant in BACKWARD_MISTAKES]


def _check_backward(student, ref, params, X, Y, acts, loss, context: str = "") -> None:
    _, cache = ref.forward(params, X, acts)

    def where() -> str:
        return ((context + "\n") if context else "") + "cache = the dict returned by " + format_call(
            "forward", ref.forward, [params, X, acts], {})

    _check(student, ref.backward, "backward", [params, cache, Y, acts, loss], mutants=_backward_mutants(),
           batch=Y.shape[1], context=where, shapes=_shapes(params, X))


def test_backward_worked_example(student, ref):
    """backward on the 2-2-2 network: δ₂ ≈ (0.276997, −0.076196), ∂L/∂W₁ ≈ [[0.000877, …], …]."""
    params, X, Y = worked_example()
    _check_backward(student, ref, params, X, Y, list(SIG_ACTS), "mse")


def test_backward_notes_deep_network(student, ref):
    """backward on the notes' σ(w₃σ(w₂σ(w₁x))): ∂L/∂w₃ ≈ −0.0515, ∂L/∂w₂ ≈ −0.0417, ∂L/∂w₁ ≈ 0.0157."""
    params, X, Y = notes_network()
    _check_backward(student, ref, params, X, Y, ["sigmoid"] * 3, "mse")


def test_backward_random_mse(student, ref, rng):
    """backward with the mse loss on random 3- and 2-layer networks (mixed activations, m ≥ 3)."""
    for acts in (["relu", "tanh", "sigmoid"], ["sigmoid", "relu", "tanh"], ["tanh", "sigmoid"]):
        _check_backward(student, ref, *random_network(rng, acts, "mse"), acts, "mse")


def test_backward_random_bce(student, ref, rng):
    """backward with sigmoid + binary cross-entropy (δ_L = (ŷ − y)/m) on random networks."""
    for acts in (["relu", "sigmoid"], ["tanh", "relu", "sigmoid"]):
        _check_backward(student, ref, *random_network(rng, acts, "bce"), acts, "bce")


def test_backward_one_layer_and_batch_of_one(student, ref, rng):
    """backward with a single layer (L = 1, δ₁ = δ_L), a batch of one example, and bce without a σ output."""
    _check_backward(student, ref, *random_network(rng, ["sigmoid"], "mse"), ["sigmoid"], "mse")
    _check_backward(student, ref, *random_network(rng, ["sigmoid"], "bce"), ["sigmoid"], "bce")
    acts = ["relu", "tanh", "sigmoid"]
    _check_backward(student, ref, *random_network(rng, acts, "mse", m=1), acts, "mse")
    # δ_L = (ŷ − y)/m holds only because σ′ cancels: the docstring promises a ValueError for any other output.
    acts = ["sigmoid", "tanh"]
    params, X, Y = random_network(rng, ["sigmoid", "sigmoid"], "bce")
    _, cache = ref.forward(params, X, acts)
    check_raises(student, "backward", [params, cache, Y, acts, "bce"], "ValueError",
                 because="when the loss is 'bce' and the output layer is not a sigmoid", reference=ref.backward)


# -- train_step and train ---------------------------------------------------------------------------

def _step(params, X, Y, acts, loss, lr, *, backward=_backward, sign: float = 1.0, loss_after: bool = False,
          skip_bias: bool = False, loss_fn=None, fwd=_forward):
    Yh, cache = fwd(params, X, acts)
    grads = backward(params, cache, Y, acts, loss)
    new = {k: np.asarray(v, dtype=float) - (0.0 if skip_bias and k.startswith("b") else sign * lr * grads[k])
           for k, v in params.items()}
    value = (loss_fn or _loss)(Yh, Y, loss)
    if loss_after:
        value = _loss(_forward(new, X, acts)[0], Y, loss)
    return new, value


def _loss(Yh, Y, loss):
    Y = np.asarray(Y, dtype=float)
    if loss == "mse":
        return float(np.sum((Yh - Y) ** 2) / Y.shape[1])
    return float(-np.sum(_bce_terms(Yh, Y)) / Y.shape[1])


def _step_mutants() -> list[Mutant]:
    return [
        Mutant("Your parameters move uphill: θ ← θ − α·∂L/∂θ (you added the step).",
               lambda *a: _step(*a, sign=-1.0)),
        Mutant("Return the loss of the OLD parameters (computed by the forward pass before the update), "
               "not the loss after it.", lambda *a: _step(*a, loss_after=True)),
        Mutant("The biases are never updated: bₗ ← bₗ − α·∂L/∂bₗ too.", lambda *a: _step(*a, skip_bias=True)),
        Mutant("You forgot the learning rate: θ ← θ − α·∂L/∂θ.",
               lambda p, X, Y, a, loss, lr: _step(p, X, Y, a, loss, 1.0)),
    ] + [
        Mutant(f"The update uses a wrong gradient (see backward). {message}",
               lambda *a, v=variant: _step(*a, backward=lambda *b: _backward(*b, **v)))
        for message, variant in BACKWARD_MISTAKES
    ] + [
        Mutant(f"The loss you return is wrong (see compute_loss). {mutant.message}",
               lambda *a, f=mutant.fn: _step(*a, loss_fn=f))
        for mutant in LOSS_MUTANTS
    ] + [
        Mutant(f"The forward pass is wrong (see forward). {mutant.message}",
               lambda *a, f=mutant.fn: _step(*a, fwd=f))
        for mutant in _forward_mutants()
    ]


def test_train_step_worked_example(student, ref):
    """train_step on the 2-2-2 network with α = 0.25: W₂ → [[0.358916, 0.408666], [0.511301, 0.561370]]."""
    params, X, Y = worked_example()
    _check(student, ref.train_step, "train_step", [params, X, Y, list(SIG_ACTS), "mse", 0.25],
           mutants=_step_mutants(), shapes=_shapes(params, X))


def test_train_step_random(student, ref, rng):
    """train_step on random networks with both losses."""
    for acts, loss in ((["tanh", "relu", "sigmoid"], "mse"), (["relu", "sigmoid"], "bce")):
        params, X, Y = random_network(rng, acts, loss)
        _check(student, ref.train_step, "train_step", [params, X, Y, acts, loss, learning_rate(rng, 0.05, 0.5)],
               mutants=_step_mutants(), batch=Y.shape[1], shapes=_shapes(params, X))


def test_train_step_keeps_inputs(student, ref, rng):
    """train_step leaves params (and X, Y) unchanged: it returns new arrays."""
    acts = ["tanh", "sigmoid"]
    params, X, Y = random_network(rng, acts, "mse")
    args = [params, X, Y, acts, "mse", 0.3]
    _check(student, ref.train_step, "train_step", args, mutants=_step_mutants(), batch=Y.shape[1],
           shapes=_shapes(params, X))
    outcome = student.call("train_step", *args)
    after = outcome.args_after
    if outcome.error is None and after is not None:
        changed = [k for k in params if compare(params[k], after[0].get(k) if isinstance(after[0], dict) else None,
                                                rtol=0, atol=0) is not None]
        if changed:
            fail("call: " + format_call("train_step", ref.train_step, args, {}) + "\n"
                 f"likely mistake: you modified the caller's params in place ({', '.join(changed)} changed, "
                 "e.g. `params[k] -= ...`); build a new dict of new arrays: "
                 "{k: params[k] - learning_rate * grads[k] for k in params}.")


def _train(params, X, Y, acts, loss, lr, epochs, *, accumulate: bool = False, backward=_backward,
           initial: bool = True, final: bool = True, short: bool = False, loss_fn=None, fwd=_forward,
           sign: float = 1.0):
    loss_of = loss_fn or _loss
    current = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    total = None
    losses = []
    for _ in range(max(epochs - 1, 0) if short else epochs):
        Yh, cache = fwd(current, X, acts)
        losses.append(loss_of(Yh, Y, loss))
        grads = backward(current, cache, Y, acts, loss)
        if accumulate:
            total = grads if total is None else {k: total[k] + grads[k] for k in grads}
            grads = total
        current = {k: current[k] - sign * lr * grads[k] for k in current}
    losses.append(loss_of(fwd(current, X, acts)[0], Y, loss))
    if not initial:
        losses = losses[1:]
    if not final:
        losses = losses[:-1]
    return current, np.array(losses)


def _train_mutants() -> list[Mutant]:
    return [
        Mutant("Your parameters move uphill: θ ← θ − α·∂L/∂θ (you added the step).",
               lambda *a: _train(*a, sign=-1.0)),
        Mutant("The gradients of the previous steps are not reset: each step must use only the gradient of "
               "the current parameters, not the sum of all gradients so far.",
               lambda *a: _train(*a, accumulate=True)),
        Mutant("losses must start with the loss of the initial params: epochs + 1 entries.",
               lambda *a: _train(*a, initial=False)),
        Mutant("losses must end with the loss after the last update: epochs + 1 entries.",
               lambda *a: _train(*a, final=False)),
        Mutant("You made one update too few: `epochs` updates.", lambda *a: _train(*a, short=True)),
    ] + [
        Mutant(f"The updates use a wrong gradient (see backward). {message}",
               lambda *a, v=variant: _train(*a, backward=lambda *b: _backward(*b, **v)))
        for message, variant in BACKWARD_MISTAKES
    ] + [
        Mutant(f"The losses are wrong (see compute_loss). {mutant.message}",
               lambda *a, f=mutant.fn: _train(*a, loss_fn=f))
        for mutant in LOSS_MUTANTS
    ] + [
        Mutant(f"The forward pass is wrong (see forward). {mutant.message}",
               lambda *a, f=mutant.fn: _train(*a, fwd=f))
        for mutant in _forward_mutants()
    ]


def test_train_random(student, ref, rng):
    """train on a random 3-layer network for a few epochs: exact parameters and losses."""
    acts = ["tanh", "relu", "sigmoid"]
    params, X, Y = random_network(rng, acts, "mse")
    args = [params, X, Y, acts, "mse", learning_rate(rng, 0.1, 0.5), int(rng.integers(3, 7))]
    _check(student, ref.train, "train", args, mutants=_train_mutants(), batch=Y.shape[1],
           shapes=_shapes(params, X))


# 100 steps at α = 2 amplify a difference in the last digit (a correct solution that sums in another
# order) to about 1e-9: this test allows 1e-7 (a float32 run is still far off), and takes only an
# initialisation whose run, nudged by 1e-12 (ten thousand times rounding), stays within 1e-9 of itself.
XOR_RTOL = 1e-7


def _insensitive_to_rounding(ref, params, X, Y, acts, fitted, losses) -> bool:
    nudged = {key: value * (1.0 + 1e-12) for key, value in params.items()}
    again, again_losses = ref.train(nudged, X, Y, acts, "bce", 2.0, 100)
    close = np.allclose(again_losses, losses, rtol=XOR_RTOL / 100, atol=0.0)
    return close and all(np.allclose(again[key], fitted[key], rtol=XOR_RTOL / 100, atol=1e-12) for key in fitted)


def test_train_fits_xor(student, ref, rng):
    """train fits XOR with a 2-4-1 tanh/sigmoid network and the cross-entropy (α = 2, 100 epochs)."""
    from grader.datasets import xor

    X, Y = xor()
    acts = ["tanh", "sigmoid"]
    for _ in range(30):
        params = {"W1": rng.normal(size=(4, 2)), "b1": 0.1 * rng.normal(size=(4, 1)),
                  "W2": rng.normal(size=(1, 4)), "b2": np.zeros((1, 1))}
        fitted, losses = ref.train(params, X, Y, acts, "bce", 2.0, 100)
        # an initialisation that the reference solves (about 9 in 10 are), on a path that rounding cannot
        # bend: a correct solution that sums in another order must end where the reference does
        if (losses[-1] < 0.1 and np.array_equal(ref.forward(fitted, X, acts)[0] > 0.5, Y > 0.5)
                and _insensitive_to_rounding(ref, params, X, Y, acts, fitted, losses)):
            break
    else:  # pragma: no cover - guards the inputs, not the student
        raise RuntimeError("internal: no XOR initialisation that the reference fits")
    got = _check(student, ref.train, "train", [params, X, Y, acts, "bce", 2.0, 100],
                 mutants=_train_mutants(), batch=4, shapes=_shapes(params, X), rtol=XOR_RTOL)
    predictions = ref.forward(got[0], X, acts)[0] > 0.5
    if not np.array_equal(predictions, Y > 0.5):  # pragma: no cover - implied by the exact check
        fail(f"after training, the network classifies XOR as {predictions.astype(int)}, not {Y.astype(int)}")
