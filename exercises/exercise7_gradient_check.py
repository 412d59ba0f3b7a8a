"""Exercise 7 — gradient checking: is my backward pass right?

Practitioners test a backward pass against the definition of the derivative.
For a loss f(θ) of a parameter dict θ = {"W1": …, "b1": …} (arrays of any
shape, e.g. exercise 6's network in the column convention: Wₗ (nₗ, nₗ₋₁),
bₗ (nₗ, 1)), nudge ONE entry θᵢ at a time by ±h and take the central difference

    ĝᵢ = (f(θ + h·eᵢ) − f(θ − h·eᵢ)) / (2h)      (error O(h²): the h terms cancel)

then compare the analytic gradient g (from backprop) with ĝ by the relative
error over ALL entries of all the arrays together (CS231n's definition, with
its floor for gradients that are both ≈ 0):

    rel(g, ĝ) = ‖g − ĝ‖ / max(‖g‖ + ‖ĝ‖, 1e-8)       (‖·‖ the Euclidean norm)

A correct backward pass in float64 gives rel ≈ 1e-10 or less at h = 1e-5; a
bug gives 1e-3 … 1. Choosing h is a trade-off: the truncation error of the
central difference falls like h², but f is only known to about
ε ≈ 2.2e-16 (float64), and dividing its rounding noise by 2h makes that part
grow like ε/h. The total error is smallest near h ≈ ε^(1/3) ≈ 1e-5 … 1e-6.

Worked example (the notes' bowl J = x² + y² as a dict {"w": (3, 4)}):
    ĝ = ((3 + h)² − (3 − h)²)/(2h) = 6 and 8 exactly, for any h (J is quadratic),
    so numerical_gradient gives {"w": (6, 8)} = 2·(3, 4).
    An analytic gradient with a bug, {"w": (6, 8.5)}, has
    rel = ‖(0, 0.5)‖ / (‖(6, 8)‖ + ‖(6, 8.5)‖) = 0.5 / (10 + 10.404326) = 0.024505.

Fill in every function below, then run `grade exercise7` (and `grade plot
exercise7` to see your error against h).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Params = dict[str, np.ndarray]

#: The floor of the relative error's denominator (CS231n): rel = 0 when g = ĝ = 0.
FLOOR = 1e-8


def numerical_gradient(f: Callable[[Params], float], params: Params, h: float = 1e-5) -> Params:
    """The central-difference gradient of f at params, entry by entry.

        ĝ[key][i] = (f(θ with θ[key][i] + h) − f(θ with θ[key][i] − h)) / (2h)

    Only ONE entry moves at a time; every other entry keeps its value. `params`
    must be unchanged afterwards (work on copies, or put each entry back).

    Args:
        f: a function of a parameter dict, returning a float.
        params: {name: float array of any shape}. Must not be modified.
        h: the step, > 0.

    Returns:
        A new dict with the same keys, each a float64 array of the shape of params[key].

    Example (the bowl J = x² + y² at (3, 4)):
        >>> bowl = lambda p: float(np.sum(p["w"] ** 2))
        >>> numerical_gradient(bowl, {"w": np.array([3.0, 4.0])})["w"].round(6)
        array([6., 8.])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def relative_error(g: Params, g_hat: Params) -> float:
    """CS231n's relative error between two gradients, over all their entries together.

        rel = ‖g − ĝ‖ / max(‖g‖ + ‖ĝ‖, 1e-8)

    where ‖·‖ is the Euclidean norm of ALL entries of ALL arrays (as if every
    array were flattened and concatenated). The floor 1e-8 makes rel = 0 when
    both gradients are 0 (instead of 0/0).

    Args:
        g, g_hat: dicts with the same keys and matching array shapes.

    Returns:
        rel, a Python float in [0, 1].

    Example (the docstring's buggy bowl gradient):
        0.5 / (10 + 10.404326) = 0.024505
        >>> round(relative_error({"w": np.array([6.0, 8.0])}, {"w": np.array([6.0, 8.5])}), 6)
        0.024505
        >>> relative_error({"w": np.zeros(2)}, {"w": np.zeros(2)})
        0.0
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def gradient_errors(
    f: Callable[[Params], float], grad_fn: Callable[[Params], Params], params: Params, h: float = 1e-5
) -> dict[str, float]:
    """The relative error of the analytic gradient grad_fn(params), parameter by parameter.

        errors[key] = rel({key: g[key]}, {key: ĝ[key]})   with g = grad_fn(params),
                                                          ĝ = numerical_gradient(f, params, h)

    Args:
        f: the loss, a function of the parameter dict.
        grad_fn: the backward pass to check: params -> {name: ∂f/∂params[name]}.
        params: the point to check at. Must not be modified.
        h: the step of the central differences.

    Returns:
        {key: rel} with one Python float per key of params.

    Example (the bowl with a bug only in "b"):
        >>> f = lambda p: float(np.sum(p["w"] ** 2) + np.sum(p["b"] ** 2))
        >>> buggy = lambda p: {"w": 2 * p["w"], "b": 3 * p["b"]}
        >>> errors = gradient_errors(f, buggy, {"w": np.array([3.0, 4.0]), "b": np.array([1.0])})
        >>> errors["w"] < 1e-9, round(errors["b"], 6)     # (3 − 2)/(3 + 2) = 0.2
        (True, 0.2)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def find_bug(
    f: Callable[[Params], float],
    grad_fn: Callable[[Params], Params],
    params: Params,
    h: float = 1e-5,
    threshold: float = 1e-7,
) -> tuple[str, tuple[int, ...]] | None:
    """Locate the wrong part of a backward pass: which parameter, and which entry.

    1. Compute the per-parameter errors of `gradient_errors(f, grad_fn, params, h)`
       (computing the analytic and the numerical gradient once each).
    2. If every error is ≤ threshold, the backward pass passes: return None.
    3. Otherwise the culprit is the key with the LARGEST relative error (the
       first such key in params' order on a tie), and within it the entry
       where |g − ĝ| is largest (np.argmax on the flattened array; the first
       one on a tie), returned as an index tuple.

    Args:
        f, grad_fn, params, h: as in `gradient_errors`.
        threshold: the largest relative error that counts as correct.

    Returns:
        None, or (key, index) with index a tuple of Python ints, one per
        dimension of params[key].

    Example (a planted bug: entry (1, 0) of ∂f/∂W off by 0.5):
        >>> f = lambda p: float(np.sum(p["W"] ** 2) + np.sum(p["b"] ** 2))
        >>> def buggy(p):
        ...     g = {"W": 2 * p["W"], "b": 2 * p["b"]}
        ...     g["W"][1, 0] += 0.5
        ...     return g
        >>> params = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([[0.5], [-0.5]])}
        >>> find_bug(f, buggy, params)
        ('W', (1, 0))
        >>> find_bug(f, lambda p: {"W": 2 * p["W"], "b": 2 * p["b"]}, params) is None
        True
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def error_versus_h(f: Callable[[Params], float], grad: Params, params: Params, hs: Sequence[float]) -> np.ndarray:
    """The relative error of numerical_gradient against a known-correct gradient, for each step h.

        errors[j] = relative_error(grad, numerical_gradient(f, params, hs[j]))

    Plotted on log-log axes (`grade plot exercise7`) the errors fall like h²
    for large h (truncation), then rise like ε/h for tiny h (rounding): the
    sweet spot lies in between.

    Args:
        f: the loss.  grad: its exact gradient at params (a dict like params).
        params: the point. Must not be modified.
        hs: the steps to try, e.g. np.logspace(-1, -12, 12).

    Returns:
        A float64 array of shape (len(hs),).

    Example (the bowl is quadratic: no truncation error at all, only rounding):
        >>> bowl = lambda p: float(np.sum(p["w"] ** 2))
        >>> p = {"w": np.array([3.0, 4.0])}
        >>> errors = error_versus_h(bowl, {"w": 2 * p["w"]}, p, [1e-1, 1e-3])
        >>> errors.shape, bool(np.all(errors < 1e-12))
        ((2,), True)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def best_step(hs: Sequence[float], errors: Sequence[float]) -> float:
    """The step h with the smallest error (the first one on a tie): hs[argmin(errors)].

    Args:
        hs: the steps tried.  errors: the error of each, same length.

    Returns:
        That h, a Python float.

    Example:
        >>> best_step([1e-2, 1e-5, 1e-9], [3e-5, 2e-11, 4e-7])
        1e-05
    """
    # YOUR CODE HERE
    raise NotImplementedError()
