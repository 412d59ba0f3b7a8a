"""Hidden tests for exercise 4: backpropagation through a neuron.

Every check compares the student's function with the reference on the notes'
example or on seeded random batches (n ≠ d, n ≥ 3). Known mistakes are
recognised by running wrong variants of the backward pass (`_backward`) and
of the training loop (`_train`) on the same inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checking import Mutant, check_call, format_call
from grader.inputs import distinct_dims, learning_rate, nonzero
from grader.parts import parts_equal

GRAD_NAMES = ("∂L/∂w", "∂L/∂b", "∂L/∂X")
TRAIN_NAMES = ("w", "b", "losses")


def _sigmoid(z: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


# -- sigmoid and its derivative ------------------------------------------------

SIGMOID_MUTANTS = [
    Mutant("Sign slip in the exponent: σ(z) = 1/(1 + e^(−z)); you computed 1/(1 + e^(+z)) = σ(−z).",
           lambda z: _sigmoid(-np.asarray(z, dtype=float))),
    Mutant("You returned e^(−z)/(1 + e^(−z)) = 1 − σ(z); the sigmoid is 1/(1 + e^(−z)).",
           lambda z: 1.0 - _sigmoid(z)),
    Mutant("You returned tanh(z); the sigmoid is 1/(1 + e^(−z)) (values in (0, 1)).",
           lambda z: np.tanh(np.asarray(z, dtype=float))),
]

SIGMOID_DERIVATIVE_MUTANTS = [
    Mutant("You computed z·(1 − z) from the input z. The formula is σ'(z) = σ(z)·(1 − σ(z)): "
           "apply the sigmoid first, s = σ(z), then return s·(1 − s).",
           lambda z: np.asarray(z, dtype=float) * (1.0 - np.asarray(z, dtype=float))),
    Mutant("You returned σ(z) itself; its derivative is σ(z)·(1 − σ(z)).", _sigmoid),
    Mutant("You applied the sigmoid twice: σ'(z) = s·(1 − s) with s = σ(z), not σ(s)·(1 − σ(s)).",
           lambda z: _sigmoid(_sigmoid(z)) * (1.0 - _sigmoid(_sigmoid(z)))),
    Mutant("You returned 1 − σ(z); the derivative is the product σ(z)·(1 − σ(z)).",
           lambda z: 1.0 - _sigmoid(z)),
    Mutant("Sign error: σ'(z) = σ(z)·(1 − σ(z)) is positive everywhere (σ only increases).",
           lambda z: -_sigmoid(z) * (1.0 - _sigmoid(z))),
]


def test_sigmoid_values(student, ref, rng):
    """sigmoid at 0 (a float), on random arrays of two shapes, and at |z| up to 1000 without NaN."""
    check_call(student, ref.sigmoid, "sigmoid", [0.0], mutants=SIGMOID_MUTANTS)
    n, d = distinct_dims(rng, 2, 3, 7)
    check_call(student, ref.sigmoid, "sigmoid", [nonzero(rng, (n,))], mutants=SIGMOID_MUTANTS)
    check_call(student, ref.sigmoid, "sigmoid", [nonzero(rng, (n, d))], mutants=SIGMOID_MUTANTS)
    check_call(student, ref.sigmoid, "sigmoid", [nonzero(rng, (n,), 50.0, 800.0)],
               mutants=SIGMOID_MUTANTS,
               context="Very large |z|: σ must saturate to 0 or 1, never NaN.")
    for z in (np.array([-1000.0, 1000.0]), 1000.0, -1000.0):
        check_call(student, ref.sigmoid, "sigmoid", [z], mutants=SIGMOID_MUTANTS,
                   context="|z| = 1000: e^1000 overflows float64, yet σ must be exactly 0 or 1, never NaN.")


def test_sigmoid_derivative_worked_example(student, ref):
    """sigmoid_derivative(0) = 0.25 and σ'(−2) = σ'(2) ≈ 0.104994."""
    check_call(student, ref.sigmoid_derivative, "sigmoid_derivative", [0.0],
               mutants=SIGMOID_DERIVATIVE_MUTANTS)
    check_call(student, ref.sigmoid_derivative, "sigmoid_derivative", [np.array([-2.0, 2.0])],
               mutants=SIGMOID_DERIVATIVE_MUTANTS)


def test_sigmoid_derivative_random(student, ref, rng):
    """sigmoid_derivative on random arrays and a number, including |z| = 1000 where it is 0 (not NaN)."""
    n, d = distinct_dims(rng, 2, 3, 7)
    for z in (nonzero(rng, (n,)), nonzero(rng, (n, d)), nonzero(rng, (n,), 5.0, 30.0),
              np.array([-1000.0, 1000.0]), float(rng.uniform(-3, 3))):
        check_call(student, ref.sigmoid_derivative, "sigmoid_derivative", [z],
                   mutants=SIGMOID_DERIVATIVE_MUTANTS)


# -- the forward pass ------------------------------------------------------------

def _forward_mutants(ref) -> list[Mutant]:
    def sum_not_mean(w, X, b, y, act):
        loss, cache = ref.neuron_forward(w, X, b, y, act)
        return loss * len(y), cache

    def not_squared(w, X, b, y, act):
        _, cache = ref.neuron_forward(w, X, b, y, act)
        return float(np.mean(np.abs(cache["a"] - cache["y"]))), cache

    def per_example(w, X, b, y, act):
        _, cache = ref.neuron_forward(w, X, b, y, act)
        return (cache["a"] - cache["y"]) ** 2, cache

    def no_bias(w, X, b, y, act):
        return ref.neuron_forward(w, X, 0.0, y, act)

    def no_activation(w, X, b, y, act):
        loss, cache = ref.neuron_forward(w, X, b, y, "identity")
        cache["activation"] = act
        return loss, cache

    return [
        Mutant("Your loss is n × the expected one: L is the MEAN (1/n) Σ (a_i − y_i)², "
               "not the sum.", sum_not_mean),
        Mutant("You averaged |a − y|; the loss squares the errors: L = (1/n) Σ (a_i − y_i)².",
               not_squared),
        Mutant("You returned the per-example squared errors; L is their mean, a single number.",
               per_example),
        Mutant("The bias is missing: z = X·w + b.", no_bias),
        Mutant("You did not apply the activation: with activation='sigmoid', a = σ(z), not z.",
               no_activation),
    ]


def test_forward_notes_example(student, ref):
    """neuron_forward on the notes' neuron w = 0.5, x = 2, y = 3: L = 4 (≈ 5.148095 with σ)."""
    args = [np.array([0.5]), np.array([[2.0]]), 0.0, np.array([3.0])]
    equal = parts_equal(("L", "cache"))
    check_call(student, ref.neuron_forward, "neuron_forward", [*args, "identity"],
               mutants=_forward_mutants(ref), equal=equal)
    check_call(student, ref.neuron_forward, "neuron_forward", [*args, "sigmoid"],
               mutants=_forward_mutants(ref), equal=equal)


def test_forward_random_batches(student, ref, rng):
    """neuron_forward on random batches (n ≠ d), both activations; inputs must stay unchanged."""
    for activation in ("identity", "sigmoid"):
        args = _batch(rng, activation)
        n = len(args[3])
        check_call(student, ref.neuron_forward, "neuron_forward", [*args, activation],
                   mutants=_forward_mutants(ref), equal=parts_equal(("L", "cache"), batch_size=n),
                   batch_size=n)


# -- the backward pass -------------------------------------------------------------

def _backward(
    cache: dict[str, Any],
    *,
    factor: float = 2.0,
    divide_by_n: bool = True,
    g_prime: str = "a",
    dw_mode: str = "X.T@delta",
    db_mode: str = "sum",
    dX_mode: str = "outer(delta, w)",
) -> tuple[Any, Any, Any]:
    """The backward pass with one step optionally done wrong (the reference when all defaults)."""
    X, w, y, z, a = (np.asarray(cache[k], dtype=float) for k in ("X", "w", "y", "z", "a"))
    n = X.shape[0]
    if cache["activation"] != "sigmoid":
        gp = np.ones_like(z)
    else:
        gp = {
            "a": a * (1.0 - a),
            "z": z * (1.0 - z),                              # σ' computed from z, not σ(z)
            "sigma(a)": _sigmoid(a) * (1.0 - _sigmoid(a)),   # sigmoid_derivative(a)
            "none": np.ones_like(z),                          # the activation's derivative dropped
        }[g_prime]
    per_example = factor * (a - y) * gp
    delta = per_example / n if divide_by_n else per_example
    dw = {
        "X.T@delta": X.T @ delta,
        "no x": np.full(X.shape[1], np.sum(delta)),
        "no x scalar": float(np.sum(delta)),
        "column": (X.T @ delta).reshape(-1, 1),
    }[dw_mode]
    db = {
        "sum": float(np.sum(delta)),
        "delta": delta,
        "per example": per_example,
        "mean": float(np.mean(delta)),
    }[db_mode]
    dX = {
        "outer(delta, w)": np.outer(delta, w),
        "outer(w, delta)": np.outer(w, delta),
        "delta*X": delta[:, None] * X,
    }[dX_mode]
    return dw, db, dX


# (the misconception, the `_backward` variant that embodies it)
BACKWARD_MISTAKES: list[tuple[str, dict[str, Any]]] = [
    ("The factor 2 from the square is missing: ∂/∂a (a − y)² = 2(a − y).", {"factor": 1.0}),
    ("Every gradient has the wrong sign: ∂L/∂a = 2(a − y), not 2(y − a) "
     "(the derivative of (a − y)² with respect to a).", {"factor": -2.0}),
    ("You forgot the inner derivative ∂z/∂w = x: ∂L/∂w_j = Σ_i δ_i·X[i, j] = (Xᵀδ)_j, "
     "not Σ_i δ_i.", {"dw_mode": "no x"}),
    ("You forgot the inner derivative ∂z/∂w = x: ∂L/∂w = Xᵀδ is a vector of shape (d,), "
     "one entry per weight.", {"dw_mode": "no x scalar"}),
    ("σ'(z) computed from z: the sigmoid's derivative is σ(z)·(1 − σ(z)) = a·(1 − a), "
     "not z·(1 − z).", {"g_prime": "z"}),
    ("You applied the sigmoid twice: σ'(z) = a·(1 − a) with a = σ(z) "
     "(or sigmoid_derivative(z)), not sigmoid_derivative(a).", {"g_prime": "sigma(a)"}),
    ("The activation's derivative is missing: with a sigmoid, δ_i = (2/n)(a_i − y_i)·σ'(z_i) "
     "with σ'(z) = a·(1 − a).", {"g_prime": "none"}),
    ("∂L/∂b must be a single number, the sum Σ_i δ_i over the batch; you returned the "
     "per-example terms δ_i as a vector.", {"db_mode": "delta"}),
    ("∂L/∂b must be a single number: sum the per-example terms over the batch and include "
     "the 1/n of the mean, ∂L/∂b = (1/n) Σ_i 2(a_i − y_i)·g'(z_i).", {"db_mode": "per example"}),
    ("∂L/∂b is divided by n twice: the 1/n is already inside δ, so ∂L/∂b = Σ_i δ_i.",
     {"db_mode": "mean"}),
    ("Every gradient is n × too big: the loss is the MEAN over the batch, so each δ_i "
     "carries a factor 1/n.", {"divide_by_n": False}),
    ("∂L/∂X has the shape of X, (n, d): ∂L/∂X[i, j] = δ_i·w_j, i.e. np.outer(δ, w); "
     "you returned the transposed (d, n) array.", {"dX_mode": "outer(w, delta)"}),
    ("∂L/∂X[i, j] = δ_i·w_j: the inner derivative ∂z_i/∂x_i is the weight vector w, not x_i.",
     {"dX_mode": "delta*X"}),
    ("∂L/∂w must have shape (d,) like w; yours is a (d, 1) column (e.g. Xᵀ @ δ[:, None]).",
     {"dw_mode": "column"}),
]


def _backward_mutants() -> list[Mutant]:
    return [
        Mutant(message, lambda cache, v=variant: _backward(cache, **v))
        for message, variant in BACKWARD_MISTAKES
    ]


def _check_backward(student, ref, w, X, b, y, activation: str, context: str = "") -> None:
    _, cache = ref.neuron_forward(w, X, b, y, activation)
    forward_call = format_call("neuron_forward", ref.neuron_forward, [w, X, b, y, activation], {})
    where = f"cache = the dict returned by {forward_call}"
    check_call(student, ref.neuron_backward, "neuron_backward", [cache],
               mutants=_backward_mutants(), equal=parts_equal(GRAD_NAMES, batch_size=len(y)),
               batch_size=len(y), context=(context + "\n" if context else "") + where)


def test_backward_notes_example(student, ref):
    """neuron_backward on the notes' neuron: ∂L/∂w = 2(1 − 3)·2 = −8, ∂L/∂b = −4, ∂L/∂x = −2."""
    _check_backward(student, ref, np.array([0.5]), np.array([[2.0]]), 0.0, np.array([3.0]),
                    "identity")


def test_backward_batch_example(student, ref):
    """neuron_backward on the docstring's batch of two: ∂L/∂w = −3.5, ∂L/∂b = −1.5."""
    _check_backward(student, ref, np.array([0.5]), np.array([[2.0], [1.0]]), 0.0,
                    np.array([3.0, 0.0]), "identity")


def _batch(rng: np.random.Generator, activation: str) -> list[Any]:
    """Random (w, X, b, y) with n ≠ d; for the sigmoid, weights small enough that σ' is not ≈ 0."""
    n, d = distinct_dims(rng, 2, 3, 7)
    X = nonzero(rng, (n, d), 0.3, 2.0)
    if activation == "sigmoid":
        w, b = nonzero(rng, (d,), 0.2, 0.9), nonzero(rng, (), 0.2, 0.9)
        y = rng.uniform(0.1, 0.9, size=n)
    else:
        w, b, y = nonzero(rng, (d,)), nonzero(rng), nonzero(rng, (n,))
    return [w, X, b, y]


def test_backward_identity_random(student, ref, rng):
    """neuron_backward on random batches (n ≠ d) with the identity activation."""
    for _ in range(2):
        _check_backward(student, ref, *_batch(rng, "identity"), "identity")


def test_backward_sigmoid_random(student, ref, rng):
    """neuron_backward on random batches (n ≠ d) with the sigmoid activation."""
    for _ in range(2):
        _check_backward(student, ref, *_batch(rng, "sigmoid"), "sigmoid")


def test_backward_large_magnitude(student, ref, rng):
    """neuron_backward on a batch with inputs and targets in the hundreds."""
    n, d = distinct_dims(rng, 2, 3, 7)
    args = [nonzero(rng, (d,)), nonzero(rng, (n, d), 100.0, 900.0), nonzero(rng, (), 100.0, 900.0),
            nonzero(rng, (n,), 100.0, 900.0)]
    _check_backward(student, ref, *args, "identity")


# -- training -------------------------------------------------------------------

def _train_mutants(ref) -> list[Mutant]:
    def loop(X, y, w0, b0, lr, epochs, act, *, backward=_backward, update_b=True):
        w, b, losses = np.array(w0, dtype=float), float(b0), []
        for _ in range(epochs):
            loss, cache = ref.neuron_forward(w, X, b, y, act)
            losses.append(loss)
            dw, db, _ = backward(cache)
            w = w - lr * dw
            if update_b:
                b = b - lr * db
        losses.append(ref.neuron_forward(w, X, b, y, act)[0])
        return w, b, np.array(losses)

    def ascent(X, y, w0, b0, lr, epochs, act):
        return ref.train_neuron(X, y, w0, b0, -lr, epochs, act)

    def no_initial(X, y, w0, b0, lr, epochs, act):
        w, b, losses = ref.train_neuron(X, y, w0, b0, lr, epochs, act)
        return w, b, losses[1:]

    def no_final(X, y, w0, b0, lr, epochs, act):
        w, b, losses = ref.train_neuron(X, y, w0, b0, lr, epochs, act)
        return w, b, losses[:-1]

    def one_short(X, y, w0, b0, lr, epochs, act):
        return ref.train_neuron(X, y, w0, b0, lr, max(epochs - 1, 0), act)

    return [
        Mutant("Your parameters move uphill: the update is w ← w − α·∂L/∂w (you added the step, "
               "or your gradient has the wrong sign).", ascent),
        Mutant("The bias is never updated: b ← b − α·∂L/∂b every epoch.",
               lambda *a: loop(*a, update_b=False)),
        Mutant("losses must start with the loss at (w0, b0): epochs + 1 entries.", no_initial),
        Mutant("losses must end with the loss after the last update: epochs + 1 entries.",
               no_final),
        Mutant("You made one update too few: `epochs` updates.", one_short),
    ] + [
        # A wrong backward pass shows up here too: name the gradient mistake.
        Mutant(f"The updates use a wrong gradient (see neuron_backward). {message}",
               lambda *a, v=variant: loop(*a, backward=lambda c: _backward(c, **v)))
        for message, variant in BACKWARD_MISTAKES
    ]


def _stable_rate(X: np.ndarray, rng: np.random.Generator) -> float:
    """A rate below 1/λ_max of the identity neuron's Hessian (2/n)[X 1]ᵀ[X 1], so L falls."""
    A = np.column_stack([X, np.ones(len(X))])
    lam = float(np.linalg.eigvalsh(2.0 / len(X) * A.T @ A)[-1])
    return learning_rate(rng, 0.2, 0.9) / lam


def _check_train(student, ref, args: list[Any], *, keep_inputs: bool, context: str = "") -> None:
    _, _, losses = ref.train_neuron(*args)
    if not losses[-1] < losses[0]:  # guards the test inputs, not the student
        raise RuntimeError("internal: the reference's loss did not fall on these inputs")
    check_call(student, ref.train_neuron, "train_neuron", args, mutants=_train_mutants(ref),
               equal=parts_equal(TRAIN_NAMES, batch_size=len(args[1])), batch_size=len(args[1]),
               inputs_must_not_change=keep_inputs, context=context, check_value=not keep_inputs)


def test_train_neuron_worked_example(student, ref):
    """train_neuron on the notes' neuron, α = 0.05, two epochs: losses 4 → 1 → 0.25."""
    args = [np.array([[2.0]]), np.array([3.0]), np.array([0.5]), 0.0, 0.05, 2, "identity"]
    _check_train(student, ref, args, keep_inputs=False)


def test_train_neuron_random(student, ref, rng):
    """train_neuron on random batches with both activations: exact parameters and a falling loss."""
    for activation in ("identity", "sigmoid"):
        w, X, b, y = _batch(rng, activation)
        args = [X, y, w, b, _stable_rate(X, rng), int(rng.integers(3, 9)), activation]
        _check_train(student, ref, args, keep_inputs=False)


def test_train_neuron_keeps_inputs(student, ref, rng):
    """train_neuron leaves X, y and w0 untouched (it updates copies)."""
    w, X, b, y = _batch(rng, "identity")
    args = [X, y, w, b, _stable_rate(X, rng), 4, "identity"]
    _check_train(student, ref, args, keep_inputs=True)
