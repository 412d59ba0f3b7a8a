"""Hidden tests for exercise 5: the MSE and batch / stochastic / mini-batch GD.

Exact checks compare the student's functions with the reference on the
docstring example, on random batches (n ≠ d) and on the generated house-price
data; the training runs are reproducible because the order of the examples is
defined by the integer seed. Known mistakes are recognised by running wrong
variants of the training loop (`_run`) on the same inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checking import Mutant, check_call
from grader.compare import describe
from grader.datasets import house_prices
from grader.inputs import distinct_dims, learning_rate, nonzero
from grader.parts import parts_equal

TRAIN_NAMES = ("w", "b", "losses")


def _example() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The docstring's data: residuals r = [1, −1, 2, 0], MSE 1.5, gradient ([1.5, 0.5], 1.0)."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    return X, np.array([0.5, 3.5, 1.5, 4.5]), np.array([1.0, 2.0]), 0.5


def _random_batch(rng: np.random.Generator, low: float = 0.3, high: float = 3.0) -> list[Any]:
    """Random (X, y, w, b) with n ≠ d and n ≥ 3."""
    n, d = distinct_dims(rng, 2, 3, 7)
    return [nonzero(rng, (n, d), low, high), nonzero(rng, (n,), low, high), nonzero(rng, (d,)),
            nonzero(rng)]


def _residuals(X: Any, y: Any, w: Any, b: float) -> np.ndarray:
    return np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b - np.asarray(y, dtype=float)


# -- mse ---------------------------------------------------------------------------

MSE_MUTANTS = [
    Mutant("You summed the squared errors; the course's MSE is the MEAN (1/n) Σ (ŷ_i − y_i)².",
           lambda X, y, w, b: float(np.sum(_residuals(X, y, w, b) ** 2))),
    Mutant("You used the 1/(2n) convention; this course's MSE is (1/n) Σ (ŷ_i − y_i)².",
           lambda X, y, w, b: float(np.mean(_residuals(X, y, w, b) ** 2) / 2)),
    Mutant("You returned the root of the MSE (RMSE); the MSE has no square root.",
           lambda X, y, w, b: float(np.sqrt(np.mean(_residuals(X, y, w, b) ** 2)))),
    Mutant("You averaged |ŷ − y| (the MAE); the MSE squares the errors.",
           lambda X, y, w, b: float(np.mean(np.abs(_residuals(X, y, w, b))))),
    Mutant("The bias is missing from the prediction: ŷ = X·w + b.",
           lambda X, y, w, b: float(np.mean(_residuals(X, y, w, 0.0) ** 2))),
    Mutant("You returned the squared error of every example; the MSE is their mean, one number.",
           lambda X, y, w, b: _residuals(X, y, w, b) ** 2),
]


def test_mse_worked_example(student, ref):
    """mse on the docstring's data: residuals [1, −1, 2, 0] give MSE = 6/4 = 1.5."""
    check_call(student, ref.mse, "mse", list(_example()), mutants=MSE_MUTANTS, batch_size=4)


def test_mse_random(student, ref, rng):
    """mse on random batches (n ≠ d) and on one with values in the hundreds."""
    for _ in range(2):
        args = _random_batch(rng)
        check_call(student, ref.mse, "mse", args, mutants=MSE_MUTANTS, batch_size=len(args[1]))
    args = _random_batch(rng, 100.0, 900.0)
    check_call(student, ref.mse, "mse", args, mutants=MSE_MUTANTS, batch_size=len(args[1]))


# -- mse_gradient ------------------------------------------------------------------

def _grad(X: Any, y: Any, w: Any, b: float, *, scale: float = 2.0, mean: bool = True,
          dw_mode: str = "X.T@r", db_mode: str = "sum") -> tuple[Any, Any]:
    """∂MSE/∂(w, b) with one step optionally done wrong (the reference when all defaults)."""
    X = np.asarray(X, dtype=float)
    r = _residuals(X, y, w, b)
    per_example = scale * r / (len(r) if mean else 1)
    dw = {"X.T@r": X.T @ per_example, "no X": np.full(X.shape[1], np.sum(per_example))}[dw_mode]
    db = {"sum": float(np.sum(per_example)), "vector": per_example}[db_mode]
    return dw, db


GRADIENT_MISTAKES: list[tuple[str, dict[str, Any]]] = [
    ("Your gradient is n × too big: the MSE is a mean, so ∂MSE/∂w = (2/n)·Xᵀr (a sum would "
     "have no 1/n).", {"mean": False}),
    ("The factor 2 from the square is missing: ∂MSE/∂w = (2/n)·Xᵀr, ∂MSE/∂b = (2/n)·Σ r_i.",
     {"scale": 1.0}),
    ("Sign error: with r = ŷ − y the gradient is +(2/n)·Xᵀr; you used y − ŷ.", {"scale": -2.0}),
    ("You forgot the inner derivative ∂ŷ_i/∂w = x_i: ∂MSE/∂w = (2/n)·Xᵀr, not (2/n)·Σ r_i "
     "in every entry.", {"dw_mode": "no X"}),
    ("∂MSE/∂b is one number, (2/n)·Σ_i r_i: sum the per-example terms over the batch.",
     {"db_mode": "vector"}),
    ("Integer division: 2 // n is 0 for n > 2, so your gradient vanishes; write 2 / n.",
     {"scale": 0.0}),
]

GRADIENT_MUTANTS = [
    Mutant(message, lambda X, y, w, b, v=variant: _grad(X, y, w, b, **v))
    for message, variant in GRADIENT_MISTAKES
]


def _check_gradient(student, ref, args: list[Any]) -> None:
    n = len(args[1])
    check_call(student, ref.mse_gradient, "mse_gradient", args, mutants=GRADIENT_MUTANTS,
               equal=parts_equal(("∂MSE/∂w", "∂MSE/∂b"), batch_size=n), batch_size=n)


def test_mse_gradient_worked_example(student, ref):
    """mse_gradient on the docstring's data: ∂MSE/∂w = (2/4)·Xᵀr = [1.5, 0.5], ∂MSE/∂b = 1."""
    _check_gradient(student, ref, list(_example()))


def test_mse_gradient_random(student, ref, rng):
    """mse_gradient on random batches (n ≠ d) and on one with values in the hundreds."""
    for _ in range(2):
        _check_gradient(student, ref, _random_batch(rng))
    _check_gradient(student, ref, _random_batch(rng, 100.0, 900.0))


# -- gd_step -----------------------------------------------------------------------

def _step_mutants(ref) -> list[Mutant]:
    def step(X, y, w, b, lr, **variant):
        dw, db = _grad(X, y, w, b, **variant)
        return np.asarray(w, dtype=float) - lr * dw, float(b - lr * db)

    return [
        Mutant("You added the step: the update is w − α·∂MSE/∂w (the gradient points uphill).",
               lambda X, y, w, b, lr: ref.gd_step(X, y, w, b, -lr)),
        Mutant("The learning rate is missing: w − α·∂MSE/∂w.",
               lambda X, y, w, b, lr: ref.gd_step(X, y, w, b, 1.0)),
        Mutant("You returned the gradient, not the updated parameters w − α·∂MSE/∂w.",
               lambda X, y, w, b, lr: ref.mse_gradient(X, y, w, b)),
        Mutant("The bias is not updated: b_new = b − α·∂MSE/∂b.",
               lambda X, y, w, b, lr: (ref.gd_step(X, y, w, b, lr)[0], b)),
        Mutant("You applied the learning rate twice: the update is w − α·∂MSE/∂w, not w − α²·∂MSE/∂w.",
               lambda X, y, w, b, lr: ref.gd_step(X, y, w, b, lr * lr)),
    ] + [
        Mutant(f"Your step uses a wrong gradient (see mse_gradient). {message}",
               lambda X, y, w, b, lr, v=variant: step(X, y, w, b, lr, **v))
        for message, variant in GRADIENT_MISTAKES
    ]


def _check_step(student, ref, args: list[Any], *, keep_inputs: bool) -> None:
    n = len(args[1])
    check_call(student, ref.gd_step, "gd_step", args, mutants=_step_mutants(ref),
               equal=parts_equal(("w_new", "b_new"), batch_size=n), batch_size=n,
               inputs_must_not_change=keep_inputs, check_value=not keep_inputs)


def test_gd_step_exact(student, ref, rng):
    """gd_step, one exact update: the docstring's (α = 0.1 → w = [0.85, 1.95], b = 0.4) and random ones."""
    _check_step(student, ref, [*_example(), 0.1], keep_inputs=False)
    for _ in range(2):
        _check_step(student, ref, [*_random_batch(rng), learning_rate(rng, 0.01, 0.05)],
                    keep_inputs=False)


def test_gd_step_keeps_inputs(student, ref, rng):
    """gd_step returns new parameters and leaves X, y and w untouched."""
    _check_step(student, ref, [*_random_batch(rng), learning_rate(rng, 0.01, 0.05)], keep_inputs=True)


# -- the training loops --------------------------------------------------------------

def _run(ref, X, y, w0, b0, lr, epochs, batch_size, seed, *, order: str = "fresh",
         last: str = "keep", grad: str = "mean", record: str = "epoch") -> tuple[Any, float, Any]:
    """Mini-batch GD with one thing optionally done wrong (the reference when all defaults)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n = len(y)
    rng = np.random.default_rng(seed)
    legacy = np.random.RandomState(seed)
    first = rng.permutation(n) if order == "once" else None
    draw = {
        "fresh": lambda: rng.permutation(n),
        "none": lambda: np.arange(n),                                    # never shuffled
        "same": lambda: np.random.default_rng(seed).permutation(n),     # rng re-created every epoch
        "once": lambda: first,                                           # shuffled only once
        "legacy": lambda: legacy.permutation(n),                         # np.random.seed(seed)
        "replacement": lambda: rng.integers(0, n, size=n),
        "choice": lambda: rng.choice(n, size=n, replace=False),
    }[order]
    w, b = np.array(w0, dtype=float), float(b0)
    losses = [ref.mse(X, y, w, b)]
    for _ in range(epochs):
        perm = draw()
        stop = n - batch_size + 1 if last == "drop" else n
        for start in range(0, stop, batch_size):
            idx = perm[start:start + batch_size]
            step = lr
            if last == "wrap" and len(idx) < batch_size:
                idx = np.concatenate([idx, perm[:batch_size - len(idx)]])
            if last == "divide by batch_size":
                step = lr * len(idx) / batch_size
            if grad == "sum":
                step = step * len(idx)
            elif grad == "ascent":
                step = -step
            elif grad == "lr twice":
                step = step * lr
            if grad == "all data":  # the batch's indices drawn, then every example used anyway
                w, b = ref.gd_step(X, y, w, b, step)
            else:
                w, b = ref.gd_step(X[idx], y[idx], w, b, step)
            if record == "step":
                losses.append(ref.mse(X, y, w, b))
        if record == "epoch":
            losses.append(ref.mse(X, y, w, b))
        elif record == "last batch":
            losses.append(ref.mse(X[idx], y[idx], w, b))
    return w, b, np.array(losses)


def _history_mutants(fn) -> list[Mutant]:
    def no_initial(*args):
        w, b, losses = fn(*args)
        return w, b, losses[1:]

    def no_final(*args):
        w, b, losses = fn(*args)
        return w, b, losses[:-1]

    def summed(X, y, *args):
        w, b, losses = fn(X, y, *args)
        return w, b, losses * len(y)

    return [
        Mutant("Your losses are n × the MSE: mse must average the squared errors, not sum them.",
               summed),
        Mutant("losses must start with the MSE at (w0, b0): epochs + 1 entries.", no_initial),
        Mutant("losses must end with the MSE after the last epoch: epochs + 1 entries.", no_final),
    ]


ORDER_MISTAKES = [
    ("You never shuffled: every epoch must visit the examples in the order "
     "perm = rng.permutation(n), drawn afresh each epoch.", {"order": "none"}),
    ("Every epoch used the same order: you re-created the generator inside the epoch loop. "
     "Create rng = np.random.default_rng(seed) once, before the first epoch.", {"order": "same"}),
    ("You shuffled only once: draw a fresh perm = rng.permutation(n) at the start of EVERY epoch.",
     {"order": "once"}),
    ("Use the Generator: rng = np.random.default_rng(seed) and rng.permutation(n); "
     "np.random.seed / np.random.permutation (the legacy generator) give a different order.",
     {"order": "legacy"}),
    ("You sampled examples with replacement (rng.integers): each epoch must visit every example "
     "exactly once, in the order perm = rng.permutation(n).", {"order": "replacement"}),
    ("Draw the order with rng.permutation(n) as the docstring says: rng.choice(n, n, "
     "replace=False) gives a different order from the same seed.", {"order": "choice"}),
]

BATCH_MISTAKES = [
    ("You dropped the last, smaller mini-batch: when batch_size does not divide n, the last "
     "batch perm[k·B : n] still gets its update.", {"last": "drop"}),
    ("You filled the last mini-batch up with examples from the start of perm (using them twice "
     "in one epoch): the last batch is just perm[k·B : n], smaller.", {"last": "wrap"}),
    ("The smaller last mini-batch must average over its own size len(idx), not batch_size.",
     {"last": "divide by batch_size"}),
]

COMMON_MISTAKES = [
    ("Your updates go uphill: the update is θ − α·∇MSE (you added the step, or the gradient "
     "has the wrong sign).", {"grad": "ascent"}),
    ("Your steps are batch-size × too big: each update uses the MEAN gradient over the batch "
     "(2/m)·X_bᵀ(ŷ_b − y_b), not the sum.", {"grad": "sum"}),
    ("Record the full-data MSE once per EPOCH (after its last update), not after every update.",
     {"record": "step"}),
    ("Your losses are the MSE of the LAST BATCH only: after each epoch record mse(X, y, w, b) on ALL "
     "the data.", {"record": "last batch"}),
    ("You applied the learning rate twice: each update is θ − α·∇MSE, not θ − α²·∇MSE.",
     {"grad": "lr twice"}),
    ("Each update must use only its mini-batch: gd_step(X[idx], y[idx], w, b, α). Yours used all of X and y "
     "at every step, which is batch gradient descent, just more steps of it.", {"grad": "all data"}),
]


def _mutants_for(ref, func: str) -> list[Mutant]:
    """Mutants of batch_gd, sgd or minibatch_gd: `_run` variants plus history slips."""
    if func == "minibatch_gd":
        def run(X, y, w0, b0, lr, epochs, batch_size, seed, **v):
            return _run(ref, X, y, w0, b0, lr, epochs, batch_size, seed, **v)
        mistakes = ORDER_MISTAKES + BATCH_MISTAKES + COMMON_MISTAKES
    elif func == "sgd":
        def run(X, y, w0, b0, lr, epochs, seed, **v):
            return _run(ref, X, y, w0, b0, lr, epochs, 1, seed, **v)
        # with one example per batch there is no last partial batch and sum = mean
        mistakes = [*ORDER_MISTAKES, COMMON_MISTAKES[0], *COMMON_MISTAKES[2:]]
    else:
        def run(X, y, w0, b0, lr, epochs, **v):
            return _run(ref, X, y, w0, b0, lr, epochs, len(y), 0, order="none", **v)
        mistakes = [*COMMON_MISTAKES[:2], COMMON_MISTAKES[4]]
    mutants = [
        Mutant(message, lambda *args, v=variant: run(*args, **v)) for message, variant in mistakes
    ]
    return mutants + _history_mutants(getattr(ref, func))


def _check_training(student, ref, func: str, args: list[Any], *, keep_inputs: bool = False,
                    context: str = "") -> Any:
    n = len(args[1])
    return check_call(student, getattr(ref, func), func, args, mutants=_mutants_for(ref, func),
                      equal=parts_equal(TRAIN_NAMES, batch_size=n), batch_size=n,
                      inputs_must_not_change=keep_inputs, context=context, check_value=not keep_inputs)


def _house_setup(rng: np.random.Generator, n_low: int, n_high: int) -> tuple[Any, Any, Any, float]:
    """House-price data of a random size with a random non-zero start (w0, b0)."""
    X, y = house_prices(int(rng.integers(n_low, n_high + 1)), seed=int(rng.integers(2**31)))
    return X, y, nonzero(rng, (X.shape[1],)), nonzero(rng)


def test_batch_gd_exact(student, ref, rng):
    """batch_gd: exact parameters and loss history on the docstring's data and on house prices."""
    _check_training(student, ref, "batch_gd", [*_example(), 0.1, 1])
    X, y, w0, b0 = _house_setup(rng, 8, 15)
    _check_training(student, ref, "batch_gd", [X, y, w0, b0, learning_rate(rng, 0.05, 0.2),
                                               int(rng.integers(3, 7))])


def test_sgd_exact(student, ref, rng):
    """sgd: exact result of a few epochs, examples visited in the order rng.permutation(n)."""
    X, y, w0, b0 = _house_setup(rng, 7, 13)
    _check_training(student, ref, "sgd", [X, y, w0, b0, learning_rate(rng, 0.02, 0.08),
                                          int(rng.integers(2, 4)), int(rng.integers(2**31))])


def _batching(rng: np.random.Generator, n: int, largest: int = 16) -> int:
    """A batch size in [3, largest] that does not divide n (so there is a smaller last batch)."""
    sizes = [m for m in range(3, min(n, largest + 1)) if n % m]
    return int(rng.choice(sizes))


def test_minibatch_gd_exact(student, ref, rng):
    """minibatch_gd: exact result of a few epochs with batch_size dividing n and not."""
    X, y, w0, b0 = _house_setup(rng, 12, 12)
    for batch_size in (4, _batching(rng, 12)):
        _check_training(student, ref, "minibatch_gd",
                        [X, y, w0, b0, learning_rate(rng, 0.05, 0.2), int(rng.integers(2, 4)),
                         batch_size, int(rng.integers(2**31))],
                        context=f"n = {len(y)} examples in batches of {batch_size}:")


def test_minibatch_gd_last_partial_batch(student, ref, rng):
    """minibatch_gd keeps the smaller last batch (e.g. n = 11, batch_size = 4: sizes 4, 4, 3)."""
    X, y, w0, b0 = _house_setup(rng, 9, 17)
    batch_size = _batching(rng, len(y))
    sizes = [min(batch_size, len(y) - i) for i in range(0, len(y), batch_size)]
    _check_training(student, ref, "minibatch_gd",
                    [X, y, w0, b0, learning_rate(rng, 0.05, 0.2), 1, batch_size,
                     int(rng.integers(2**31))],
                    context=f"n = {len(y)}, batch_size = {batch_size}: one epoch makes "
                            f"{len(sizes)} updates on batches of sizes {sizes}.")


def test_training_zero_epochs(student, ref, rng):
    """batch_gd, sgd and minibatch_gd with epochs = 0: (w0, b0) unchanged, losses = [MSE(w0, b0)]."""
    X, y, w0, b0 = _house_setup(rng, 7, 11)
    lr, seed = learning_rate(rng, 0.02, 0.08), int(rng.integers(2**31))
    context = "epochs = 0: no update at all; losses holds the one starting MSE, shape (1,)."
    _check_training(student, ref, "batch_gd", [X, y, w0, b0, lr, 0], context=context)
    _check_training(student, ref, "sgd", [X, y, w0, b0, lr, 0, seed], context=context)
    _check_training(student, ref, "minibatch_gd", [X, y, w0, b0, lr, 0, 3, seed], context=context)


def test_minibatch_gd_batch_at_least_n(student, ref, rng):
    """minibatch_gd with batch_size = n and batch_size > n: one update per epoch on all the examples."""
    X, y, w0, b0 = _house_setup(rng, 7, 11)
    n = len(y)
    for batch_size in (n, n + int(rng.integers(1, 5))):
        _check_training(student, ref, "minibatch_gd",
                        [X, y, w0, b0, learning_rate(rng, 0.05, 0.2), 2, batch_size, int(rng.integers(2**31))],
                        context=f"n = {n}, batch_size = {batch_size} (≥ n): every epoch is ONE batch of all "
                                f"{n} examples.")


def test_training_keeps_inputs(student, ref, rng):
    """batch_gd, sgd and minibatch_gd leave X, y and w0 untouched (shuffle indices, not X)."""
    X, y, w0, b0 = _house_setup(rng, 7, 11)
    lr, seed = learning_rate(rng, 0.02, 0.08), int(rng.integers(2**31))
    _check_training(student, ref, "batch_gd", [X, y, w0, b0, lr, 2], keep_inputs=True)
    _check_training(student, ref, "sgd", [X, y, w0, b0, lr, 2, seed], keep_inputs=True)
    _check_training(student, ref, "minibatch_gd", [X, y, w0, b0, lr, 2, 3, seed], keep_inputs=True)


# -- convergence ---------------------------------------------------------------------

# Within 25% of the least-squares optimum: the start (w = 0, b = 0) is ~250 × worse, and the
# mini-batch noise of these learning rates stays below ~10% (checked over 600 random data sets;
# SGD at α = 0.008 for 15 epochs: at most 8.3% over 300).
CONVERGED_FACTOR = 1.25

def _converged(X: np.ndarray, y: np.ndarray, epochs: int, best: float):
    """An `equal` accepting any run with a well-formed history that ends within 25% of `best`."""
    threshold = CONVERGED_FACTOR * best

    def equal(expected: Any, got: Any) -> str | None:
        if not expected[2][-1] <= threshold:  # guards the inputs, not the student
            raise RuntimeError("internal: the reference did not converge on these inputs")
        if not isinstance(got, tuple | list) or len(got) != 3:
            return f"return (w, b, losses); you returned {describe(got)}"
        w, b, losses = got
        losses = np.asarray(losses, dtype=float)
        if losses.shape != (epochs + 1,):
            return f"losses must have shape ({epochs + 1},) (epochs + 1), not {losses.shape}"
        if not np.isclose(losses[0], expected[2][0], rtol=1e-6):
            return f"losses[0] must be the MSE at (w0, b0), {expected[2][0]:.6g}; got {losses[0]:.6g}"
        final = float(np.mean((X @ np.asarray(w, dtype=float) + float(b) - y) ** 2))
        if not final <= losses[0]:
            return (f"the loss grew instead of falling (from {losses[0]:.6g} to {final:.6g}): "
                    "check that each step subtracts α·gradient and that the gradient is a mean")
        if not final <= threshold:
            return (f"the training did not converge: the MSE of your final (w, b) is {final:.6g}, "
                    f"it should fall below {threshold:.6g} (the reference reaches "
                    f"{expected[2][-1]:.6g}, the best possible is {best:.6g})")
        if not np.isclose(losses[-1], final, rtol=1e-6):
            return f"losses[-1] = {losses[-1]:.6g} is not the MSE of the (w, b) you returned, {final:.6g}"
        return None
    return equal


def test_training_converges_on_house_prices(student, ref, rng):
    """batch_gd, sgd and minibatch_gd bring the house-price MSE to within 25% of the best fit."""
    X, y = house_prices(int(rng.integers(90, 131)), seed=int(rng.integers(2**31)))
    A = np.column_stack([X, np.ones(len(y))])
    best = float(np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2))
    w0, b0, seed = np.zeros(X.shape[1]), 0.0, int(rng.integers(2**31))
    runs = [
        ("batch_gd", [X, y, w0, b0, 0.3, 50]),
        ("sgd", [X, y, w0, b0, 0.008, 15, seed]),
        ("minibatch_gd", [X, y, w0, b0, 0.02, 50, _batching(rng, len(y), 16), seed]),
    ]
    for func, args in runs:
        check_call(student, getattr(ref, func), func, args, mutants=_mutants_for(ref, func),
                   equal=_converged(X, y, args[5], best), inputs_must_not_change=False,
                   context=f"Training from w = 0, b = 0 on {len(y)} houses:")
