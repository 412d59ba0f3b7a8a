"""Exercise 1 — the update rule of gradient descent.

Gradient descent minimises a loss J(θ) by repeatedly stepping against its
gradient, the direction of steepest local *ascent*:

    θ_new = θ_old − α · ∇J(θ_old)          (α > 0 is the learning rate)

The worked example from the notes is the bowl J(x, y) = x² + y². From (3, 4)
the gradient is (2x, 2y) = (6, 8); one step with α = 0.1 lands on
(3 − 0.6, 4 − 0.8) = (2.4, 3.2), and the loss falls from 25 to 16.

Fill in every function below, then run `grade exercise1`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def bowl_loss(point: np.ndarray) -> float:
    """The bowl J(p) = Σ_i p_i², i.e. J(x, y) = x² + y² in two dimensions.

    Args:
        point: shape (d,), the parameters p = (p_1, …, p_d) (floats or ints).

    Returns:
        The loss, a Python float (not a numpy array).

    Example:
        >>> bowl_loss(np.array([3.0, 4.0]))
        25.0
    """
    ### BEGIN SOLUTION
    point = np.asarray(point, dtype=float)
    return float(np.sum(point**2))
    ### END SOLUTION


def bowl_gradient(point: np.ndarray) -> np.ndarray:
    """The gradient of the bowl: ∂J/∂p_i = 2·p_i, so ∇J(p) = 2p.

    Args:
        point: shape (d,) (floats or ints).

    Returns:
        A new float numpy array of shape (d,) (an ndarray, not a list).

    Example:
        >>> bowl_gradient(np.array([3.0, 4.0]))
        array([6., 8.])
    """
    ### BEGIN SOLUTION
    return 2.0 * np.asarray(point, dtype=float)
    ### END SOLUTION


def gradient_step(params: np.ndarray, grad: np.ndarray, learning_rate: float) -> np.ndarray:
    """One gradient-descent update: θ_new = θ_old − α · ∇J(θ_old).

    Args:
        params: shape (d,), the current parameters θ_old (floats or ints). Must not be modified.
        grad: shape (d,), the gradient ∇J evaluated at θ_old (floats or ints).
        learning_rate: α > 0, the step size.

    Returns:
        A new float64 numpy array of shape (d,): the updated parameters θ_new,
        to full float64 precision (integer inputs give float results).

    Example:
        >>> gradient_step(np.array([3.0, 4.0]), np.array([6.0, 8.0]), 0.1)
        array([2.4, 3.2])
    """
    ### BEGIN SOLUTION
    params = np.asarray(params, dtype=float)
    return params - learning_rate * np.asarray(grad, dtype=float)
    ### END SOLUTION


def gradient_descent(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    learning_rate: float,
    n_steps: int,
) -> np.ndarray:
    """Run `n_steps` updates θ_{k+1} = θ_k − α · ∇J(θ_k) from θ_0 = start.

    Args:
        grad_fn: maps parameters of shape (d,) to the gradient ∇J, shape (d,).
        start: shape (d,), the initial parameters θ_0. Must not be modified.
        learning_rate: α > 0.
        n_steps: the number of updates, n ≥ 0.

    Returns:
        The trajectory, a float array of shape (n_steps + 1, d): row k is θ_k,
        row 0 is `start` (so n_steps = 0 gives the start alone, shape (1, d)).

    Example (the bowl, α = 0.1, so every step multiplies θ by 1 − 2α = 0.8):
        >>> gradient_descent(bowl_gradient, np.array([3.0, 4.0]), 0.1, 2)
        array([[3.  , 4.  ],
               [2.4 , 3.2 ],
               [1.92, 2.56]])
    """
    ### BEGIN SOLUTION
    theta = np.array(start, dtype=float)
    trajectory = [theta]
    for _ in range(n_steps):
        theta = theta - learning_rate * np.asarray(grad_fn(theta), dtype=float)
        trajectory.append(theta)
    return np.stack(trajectory)
    ### END SOLUTION


def classify_learning_rate(
    losses: np.ndarray, rtol: float = 1e-2, window: int = 10, atol: float = 1e-12
) -> str:
    """Judge a run of gradient descent from its loss history J(θ_0), …, J(θ_n).

    A run has converged when further steps no longer change the loss: its
    RELATIVE change over the last few steps is small, whatever level the loss
    settles at (a regression levels at the noise variance, not at 0).

    Let n = len(losses) − 1 be the number of steps and w = min(window, n);
    J_{n−w} is the loss `w` steps before the last one, J_n the last loss.
    The rules, applied in this order:
      0. fewer than two losses (no step taken)  → raise ValueError
      1. any loss is NaN or ±inf                → "diverged"  (the steps blew up)
      2. J_n ≤ atol                             → "converged" (zero to working precision)
      3. J_n ≥ J_0                              → "diverged"  (it never fell: α too large, overshooting)
      4. |J_n − J_{n−w}| ≤ rtol · J_{n−w}       → "converged" (levelled off)
      5. J_n > J_{n−w}                          → "diverged"  (a rising tail: it fell, then climbed)
      6. otherwise                              → "too slow"  (still falling fast: α too small)

    Rule 2 is needed because an approach to a zero minimum keeps a constant
    relative change (the bowl at α = 0.1 shrinks the loss ×0.64 every step).

    Args:
        losses: shape (n + 1,) with n ≥ 1, the losses (≥ 0) after each step,
            starting with J(θ_0).
        rtol: the largest relative change over the window that counts as
            levelled off (default 1e-2: 1 % over the last 10 steps).
        window: how many of the last steps to look at (default 10); fewer
            when the run is shorter.
        atol: a last loss at most this counts as zero (default 1e-12).

    Returns:
        One of "converged", "diverged", "too slow" (a Python str).

    Raises:
        ValueError: if `losses` holds fewer than two values.

    Example (the bowl from (3, 4) for 100 steps):
        α = 0.1   → J_100 ≈ 1e-18 ≤ atol                          → "converged"
        α = 0.001 → J fell 3.9 % over the last 10 steps (> 1 %)   → "too slow"
        α = 1.1   → J_100 ≈ 1.7e17 ≥ J_0 = 25                     → "diverged"
    and a short history judged over its last 2 steps (1.0 → 0.995: a 0.5 % change):
        >>> classify_learning_rate(np.array([16.0, 4.0, 1.0, 0.999, 0.995]), window=2)
        'converged'
        >>> classify_learning_rate(np.array([16.0, 4.0, 1.0, 0.5, 0.25]), window=2)
        'too slow'
    """
    ### BEGIN SOLUTION
    losses = np.asarray(losses, dtype=float)
    if losses.size < 2:
        raise ValueError("classify_learning_rate needs at least two losses (one step)")
    if not np.all(np.isfinite(losses)):
        return "diverged"
    first, last = losses[0], losses[-1]
    if last <= atol:
        return "converged"
    if last >= first:
        return "diverged"
    w = min(window, losses.size - 1)
    before = losses[-1 - w]
    if abs(last - before) <= rtol * before:
        return "converged"
    if last > before:
        return "diverged"
    return "too slow"
    ### END SOLUTION
