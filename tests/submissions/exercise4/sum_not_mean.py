# Deliberately wrong submission for the grader's tests: the 1/n of the mean is missing from the
# gradients.
"""Exercise 4 — backpropagation through a single neuron.

The neuron of the notes, extended with a bias, an optional activation and a
batch of examples. For a batch X of n examples with d features each:

    forward:   z = X·w + b            (shape (n,): one pre-activation per example)
               a = g(z)               (g = identity, or the sigmoid σ(z) = 1/(1 + e^(−z)))
               L = (1/n) Σ_i (a_i − y_i)²      (the mean squared error over the batch)

    backward (the chain rule, from L back to the parameters):
               δ_i = ∂L/∂z_i = (2/n)·(a_i − y_i)·g'(z_i)
               ∂L/∂w = Σ_i δ_i·x_i = Xᵀδ       (since ∂z_i/∂w = x_i)
               ∂L/∂b = Σ_i δ_i                 (since ∂z_i/∂b = 1)
               ∂L/∂X[i, j] = δ_i·w_j           (since ∂z_i/∂x_i = w)

    with g'(z) = 1 for the identity and g'(z) = σ(z)·(1 − σ(z)) for the sigmoid.

The notes' example (one example, no bias, identity): w = 0.5, x = 2, y = 3 gives
z = w·x = 1 and L = (1 − 3)² = 4; ∂L/∂z = 2(z − y) = −4 and ∂z/∂w = x = 2, so
∂L/∂w = 2(w·x − y)·x = 2·(1 − 3)·2 = −8. Gradient descent moves w *against*
this: up, towards the w = 1.5 that makes z = y.

Shapes used throughout: w (d,), X (n, d), y (n,), b a float.

Fill in every function below, then run `grade exercise4`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ACTIVATIONS = ("identity", "sigmoid")


def sigmoid(z: Any) -> Any:
    """The logistic sigmoid σ(z) = 1 / (1 + e^(−z)), element by element.

    σ squashes any real number into (0, 1): σ(0) = 0.5, σ(z) → 1 as z → +∞
    and σ(z) → 0 as z → −∞. It must not overflow for large |z| (e.g. z = ±1000).

    Args:
        z: a number, or an array of any shape.

    Returns:
        σ(z): a float for a number, else a new array of z's shape.

    Example:
        >>> sigmoid(0.0)
        0.5
        >>> sigmoid(np.array([-2.0, 2.0]))
        array([0.11920292, 0.88079708])
    """
    ### BEGIN SOLUTION
    z_arr = np.asarray(z, dtype=float)
    # e^(−|z|) is at most 1, so neither branch can overflow; both branches are
    # algebraically σ(z) (the second is e^z / (1 + e^z) written with e^(−|z|)).
    e = np.exp(-np.abs(z_arr))
    result = np.where(z_arr >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(result) if result.ndim == 0 else result
    ### END SOLUTION


def sigmoid_derivative(z: Any) -> Any:
    """The derivative of the sigmoid with respect to its input: σ'(z) = σ(z)·(1 − σ(z)).

    Note the argument is z, the *input* of the sigmoid: compute s = σ(z)
    first, then s·(1 − s). (Writing z·(1 − z) is a classic slip.)
    σ' is largest at z = 0, where it is 0.25, and tends to 0 for large |z|.

    Args:
        z: a number, or an array of any shape.

    Returns:
        σ'(z): a float for a number, else a new array of z's shape.

    Example:
        >>> sigmoid_derivative(0.0)
        0.25
        >>> sigmoid_derivative(np.array([-2.0, 2.0]))   # σ' is symmetric
        array([0.10499359, 0.10499359])
    """
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1.0 - s)
    ### END SOLUTION


def neuron_forward(
    w: np.ndarray,
    X: np.ndarray,
    b: float,
    y: np.ndarray,
    activation: str = "identity",
) -> tuple[float, dict[str, Any]]:
    """The forward pass of one neuron on a batch, and the mean squared error.

        z = X·w + b,   a = g(z),   L = (1/n) Σ_i (a_i − y_i)²

    where g is the identity (a = z) or the sigmoid (a = σ(z)).

    Args:
        w: shape (d,), the weights. Must not be modified.
        X: shape (n, d), one example per row. Must not be modified.
        b: the bias, a float.
        y: shape (n,), the targets. Must not be modified.
        activation: "identity" or "sigmoid".

    Returns:
        (L, cache): the loss L as a float, and a dict with exactly the keys
        "X", "w", "y" (the inputs), "z" and "a" (both shape (n,)) and
        "activation" (the string), which the backward pass needs.

    Example (the notes' neuron: w = 0.5, x = 2, y = 3, no bias):
        >>> L, cache = neuron_forward(np.array([0.5]), np.array([[2.0]]), 0.0, np.array([3.0]))
        >>> L, cache["z"]
        (4.0, array([1.]))

        With activation="sigmoid" the same inputs give a = σ(1) ≈ 0.731059 and
        L = (0.731059 − 3)² ≈ 5.148095.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    w = np.asarray(w, dtype=float)
    y = np.asarray(y, dtype=float)
    z = X @ w + b
    if activation == "identity":
        a = z
    elif activation == "sigmoid":
        a = sigmoid(z)
    else:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    loss = float(np.mean((a - y) ** 2))
    cache = {"X": X, "w": w, "y": y, "z": z, "a": a, "activation": activation}
    return loss, cache
    ### END SOLUTION


def neuron_backward(cache: dict[str, Any]) -> tuple[np.ndarray, float, np.ndarray]:
    """The backward pass: the gradient of L = (1/n) Σ_i (a_i − y_i)² by the chain rule.

        δ_i = ∂L/∂z_i = (2/n)·(a_i − y_i)·g'(z_i)     g'(z) = 1 (identity) or σ(z)·(1 − σ(z))
        ∂L/∂w = Xᵀδ          (∂L/∂w_j = Σ_i δ_i·X[i, j])
        ∂L/∂b = Σ_i δ_i      (a single number: the per-example terms summed over the batch)
        ∂L/∂X = δ wᵀ         (∂L/∂X[i, j] = δ_i·w_j)

    The 1/n of the mean sits inside δ, so ∂L/∂b is the *sum* of the δ_i,
    i.e. the mean over the batch of the per-example terms 2(a_i − y_i)·g'(z_i).

    Args:
        cache: the dict returned by `neuron_forward`, with "X" (n, d), "w" (d,),
            "y" (n,), "z" (n,), "a" (n,) and "activation".

    Returns:
        (dL_dw, dL_db, dL_dX) with shapes (d,), a float, and (n, d) — each
        gradient has the shape of the thing it is the gradient for.

    Example 1 (the notes: w = 0.5, x = 2, y = 3, b = 0, identity; z = 1):
        ∂L/∂w = 2(1 − 3)·2 = −8,  ∂L/∂b = 2(1 − 3) = −4,  ∂L/∂x = 2(1 − 3)·0.5 = −2
        >>> _, cache = neuron_forward(np.array([0.5]), np.array([[2.0]]), 0.0, np.array([3.0]))
        >>> neuron_backward(cache)
        (array([-8.]), -4.0, array([[-2.]]))

    Example 2 (a batch of n = 2: X = [[2], [1]], y = [3, 0], w = [0.5], b = 0):
        z = [1, 0.5], a − y = [−2, 0.5], δ = (2/2)·[−2, 0.5] = [−2, 0.5], so
        ∂L/∂w = [2·(−2) + 1·0.5] = [−3.5], ∂L/∂b = −2 + 0.5 = −1.5,
        ∂L/∂X = [[−2·0.5], [0.5·0.5]] = [[−1], [0.25]].
    """
    ### BEGIN SOLUTION
    X, w, y, z, a = (np.asarray(cache[k], dtype=float) for k in ("X", "w", "y", "z", "a"))
    # g'(z): σ'(z) = σ(z)(1 − σ(z)) reuses σ(z), which the cache already holds as a.
    g_prime = a * (1.0 - a) if cache["activation"] == "sigmoid" else np.ones_like(z)
    delta = 2.0 * (a - y) * g_prime
    dL_dw = X.T @ delta
    dL_db = float(np.sum(delta))
    dL_dX = np.outer(delta, w)
    return dL_dw, dL_db, dL_dX
    ### END SOLUTION


def train_neuron(
    X: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray,
    b0: float,
    learning_rate: float,
    epochs: int,
    activation: str = "identity",
) -> tuple[np.ndarray, float, np.ndarray]:
    """Train the neuron by full-batch gradient descent, one update per epoch.

    Starting from (w, b) = (w0, b0), each epoch does a forward pass on all of
    X, a backward pass, and the update

        w ← w − α·∂L/∂w,   b ← b − α·∂L/∂b      (α = learning_rate)

    Args:
        X: shape (n, d). Must not be modified.
        y: shape (n,). Must not be modified.
        w0: shape (d,), the initial weights. Must not be modified.
        b0: the initial bias, a float.
        learning_rate: α > 0.
        epochs: the number of updates, ≥ 0.
        activation: "identity" or "sigmoid", as in `neuron_forward`.

    Returns:
        (w, b, losses): the final weights (d,), the final bias (a float), and
        the loss history of shape (epochs + 1,): losses[0] is the loss at
        (w0, b0) and losses[k] the loss after k updates.

    Example (the notes' neuron from w = 0.5, b = 0 with α = 0.05, two epochs):
        step 1: ∂L/∂w = −8, ∂L/∂b = −4  →  w = 0.9, b = 0.2, z = 2, L = 1
        step 2: ∂L/∂w = −4, ∂L/∂b = −2  →  w = 1.1, b = 0.3, z = 2.5, L = 0.25
        >>> X, y = np.array([[2.0]]), np.array([3.0])
        >>> w, b, losses = train_neuron(X, y, np.array([0.5]), 0.0, 0.05, 2)
        >>> w, round(b, 12), losses
        (array([1.1]), 0.3, array([4.  , 1.  , 0.25]))
    """
    ### BEGIN SOLUTION
    w = np.array(w0, dtype=float)  # a copy: the updates below must not touch w0
    b = float(b0)
    losses = []
    for _ in range(epochs):
        loss, cache = neuron_forward(w, X, b, y, activation)
        losses.append(loss)
        dL_dw, dL_db, _ = neuron_backward(cache)
        w = w - learning_rate * dL_dw
        b = b - learning_rate * dL_db
    losses.append(neuron_forward(w, X, b, y, activation)[0])
    return w, b, np.array(losses)
    ### END SOLUTION
