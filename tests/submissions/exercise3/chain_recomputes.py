# Wrong on purpose: right values, but every gradient is recomputed from scratch.
"""Exercise 3 — the chain rule, and backpropagation through a small graph.

If y = f(u) and u = g(x), a small change in x changes u, which changes y:

    dy/dx = dy/du · du/dx          (the chain rule)

A neural network's loss is a long composite of such steps, so its gradient
is a product of *local* derivatives, one per step. Backpropagation computes
them in two passes:

  * forward: run the graph from the inputs to the loss and keep (cache) the
    intermediate values the local derivatives need;
  * backward: start at the loss with dL/dL = 1 and walk back, multiplying the
    gradient that arrives from above (the *upstream* gradient) by each step's
    local derivative. Every upstream gradient is computed once and reused by
    the step below it; nothing is recomputed from scratch.

The notes' neuron: z = w·x, L = (z − y)². Backward from L, the local
derivatives are ∂L/∂z (of the square) and ∂z/∂w (of the product); their
product is ∂L/∂w, your first answer below.

This exercise adds a bias and a sigmoid, a = σ(z) = 1 / (1 + e^(−z)), whose
local derivative is σ'(z) = σ(z)·(1 − σ(z)) = a·(1 − a): it is computed from
the activation a = σ(z), not from z.

Symbolic answers: return a SymPy expression (use `sympy_sigmoid` below for σ)
or a string in Python syntax such as "3*(w*x + 1)**2" (strings may also use
sigmoid(...), exp(...), log(...)). Any equivalent form is accepted.

Fill in every function below, then run `grade exercise3`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp


def sigmoid(z: Any) -> Any:
    """σ(z) = 1 / (1 + e^(−z)), elementwise; written so that large |z| cannot overflow."""
    z = np.asarray(z, dtype=float)
    # e^(−logaddexp(0, −z)) = 1 / (1 + e^(−z)), without ever forming a huge e^(−z).
    out = np.exp(-np.logaddexp(0.0, -z))
    return float(out) if out.ndim == 0 else out


# The scalar symbols of the symbolic questions (the numeric functions below take
# arguments with the same names; inside them those names are the arguments).
w, x, y, b = sp.symbols("w x y b")


def sympy_sigmoid(z: sp.Expr) -> sp.Expr:
    """σ as a SymPy expression, for symbolic answers: 1 / (1 + exp(−z))."""
    return 1 / (1 + sp.exp(-z))


def chain_rule_derivatives() -> dict[str, sp.Expr | str]:
    """Three derivatives by the chain rule, in the module's scalar symbols w, x, y, b.

    Returns:
        A dict with three answers:
          "squared_error":  d/dw of (w·x − y)²       (the notes' neuron; outer: u², inner: u = w·x − y)
          "sigmoid_neuron": d/dw of σ(w·x + b)       (outer: σ(u), inner: u = w·x + b)
          "gaussian":       d/dx of exp(−x²)         (outer: e^u, inner: u = −x²)
        Each is a SymPy expression or a string; for σ use `sympy_sigmoid(...)`
        in an expression, and sigmoid(...) or 1/(1 + exp(-(...))) in a string.

    Example (a different question, to show the form):
        d/dx of (3·x + 1)² is 2·(3·x + 1)·3: the outer derivative 2u at
        u = 3x + 1, times the inner derivative 3. Return it as "6*(3*x + 1)"
        or as 6 * (3 * x + 1) built from the SymPy symbols above.
    """
    ### BEGIN SOLUTION
    s = sympy_sigmoid(w * x + b)
    return {
        "squared_error": 2 * (w * x - y) * x,
        "sigmoid_neuron": s * (1 - s) * x,
        "gaussian": -2 * x * sp.exp(-(x**2)),
    }
    ### END SOLUTION


def sigmoid_backward(upstream: Any, a: Any) -> Any:
    """Backward through a = σ(z): dL/dz = dL/da · σ'(z) = upstream · a · (1 − a).

    The node only knows its own input and output; `upstream` = dL/da is what
    the rest of the graph above it contributes. Works elementwise on arrays.

    Args:
        upstream: dL/da, a number or an array.
        a: the cached activation σ(z) (NOT z), same shape as upstream.

    Returns:
        dL/dz, same shape as `a` (a float for scalar inputs).

    Example:
        >>> sigmoid_backward(2.0, 0.5)      # σ'(0) = 0.5 · 0.5 = 0.25
        0.5
    """
    ### BEGIN SOLUTION
    result = np.asarray(upstream, dtype=float) * np.asarray(a, dtype=float) * (1.0 - np.asarray(a, dtype=float))
    return float(result) if result.ndim == 0 else result
    ### END SOLUTION


def neuron_forward(
    w: np.ndarray, x: np.ndarray, b: float, y: float
) -> tuple[float, dict[str, Any]]:
    """Forward pass of one sigmoid neuron with a squared-error loss.

        z = w · x + b         (weighted sum)
        a = σ(z)              (activation; use `sigmoid` above)
        L = (a − y)²          (loss)

    Args:
        w: shape (d,), the weights. Must not be modified.
        x: shape (d,), the input. Must not be modified.
        b: the bias.
        y: the target.

    Returns:
        (L, cache): the loss as a float, and the dict
        cache = {"x": x, "w": w, "z": z, "a": a, "y": y} of everything the
        backward pass needs (x and w as arrays, the rest as floats).

    Example:
        >>> loss, cache = neuron_forward(np.array([1.0, -2.0]), np.array([0.5, 0.25]), 0.0, 0.25)
        >>> loss, cache["z"], cache["a"]       # z = 0.5 − 0.5 + 0 = 0, σ(0) = 0.5, L = 0.25²
        (0.0625, 0.0, 0.5)
    """
    ### BEGIN SOLUTION
    w = np.array(w, dtype=float)
    x = np.array(x, dtype=float)
    z = float(w @ x + b)
    a = sigmoid(z)
    loss = (a - y) ** 2
    return float(loss), {"x": x, "w": w, "z": z, "a": a, "y": float(y)}
    ### END SOLUTION


def neuron_backward(cache: dict[str, Any], upstream: float = 1.0) -> dict[str, Any]:
    """Backward pass of `neuron_forward`, from the loss back to w, b and x.

    Multiply local derivatives from the top down, each time reusing the
    gradient computed just above:

        dL/da = upstream · 2(a − y)                  (L = (a − y)²)
        dL/dz = dL/da · a(1 − a)                     (a = σ(z); σ' from a, not z)
        dL/dw = dL/dz · x,   dL/db = dL/dz,   dL/dx = dL/dz · w      (z = w·x + b)

    `upstream` is the gradient arriving at L from above: 1.0 when L is the
    final loss, 1/N when L is one of N terms of a mean, and so on.

    Args:
        cache: the dict returned by `neuron_forward` (keys x, w, z, a, y).
        upstream: d(final loss)/dL.

    Returns:
        {"w": array of shape (d,), "b": float, "x": array of shape (d,)}.

    Example (the cache of the neuron_forward example: x = (0.5, 0.25), w = (1, −2), a = 0.5, y = 0.25):
        dL/da = 2(0.5 − 0.25) = 0.5, dL/dz = 0.5 · 0.5(1 − 0.5) = 0.125, so
        {"w": array([0.0625, 0.03125]), "b": 0.125, "x": array([0.125, -0.25])}
    """
    ### BEGIN SOLUTION
    a, y = cache["a"], cache["y"]
    d_a = upstream * 2.0 * (a - y)
    d_z = sigmoid_backward(d_a, a)
    return {
        "w": d_z * np.asarray(cache["x"], dtype=float),
        "b": float(d_z),
        "x": d_z * np.asarray(cache["w"], dtype=float),
    }
    ### END SOLUTION


def chain_backward(local_grad: Callable[[int], float], n_nodes: int, upstream: float) -> np.ndarray:
    """The backward sweep through a chain x = z_0 → z_1 → … → z_k (k = n_nodes).

    Each node computes z_i = f_i(z_(i−1)); the loss L sits above z_k and
    `upstream` = dL/dz_k. `local_grad(i)` returns node i's local derivative
    dz_i/dz_(i−1) for i = 1, …, k. By the chain rule,

        dL/dz_k = upstream,    dL/dz_(i−1) = dL/dz_i · dz_i/dz_(i−1).

    Each gradient reuses the one just above it, so the sweep needs each local
    derivative exactly once. Local derivatives are expensive in a real
    network: `local_grad` may refuse to compute the same one twice.

    Args:
        local_grad: i ↦ dz_i/dz_(i−1), for i in 1..n_nodes.
        n_nodes: k ≥ 1, the number of nodes.
        upstream: dL/dz_k.

    Returns:
        Float array g of shape (k + 1,) with g[i] = dL/dz_i; g[k] = upstream
        and g[0] = dL/dx.

    Example (local derivatives 2, 3, 0.5 and upstream 1):
        >>> chain_backward(lambda i: [2.0, 3.0, 0.5][i - 1], 3, 1.0)
        array([3. , 1.5, 0.5, 1. ])
    """
    ### BEGIN SOLUTION
    grads = np.empty(n_nodes + 1)
    for i in range(n_nodes + 1):
        product = upstream
        for j in range(i + 1, n_nodes + 1):
            product *= local_grad(j)
        grads[i] = product
    return grads
    ### END SOLUTION
