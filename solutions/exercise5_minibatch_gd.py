"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.

A linear model predicts ŷ = X·w + b for a batch X of n examples (one per row,
d features each). The course measures its error with the mean squared error

    MSE(w, b) = (1/n) Σ_i (ŷ_i − y_i)²            (a MEAN over the examples, not a sum)

whose gradient, with the residuals r = ŷ − y, is

    ∂MSE/∂w = (2/n)·Xᵀr        (shape (d,): ∂MSE/∂w_j = (2/n) Σ_i r_i·X[i, j])
    ∂MSE/∂b = (2/n)·Σ_i r_i    (a single number)

Three ways to spend the data on gradient-descent updates θ ← θ − α·∇MSE:
  * batch GD: one update per epoch, with the gradient over all n examples;
  * stochastic GD (SGD): one update per example, in a freshly shuffled order each epoch;
  * mini-batch GD: one update per mini-batch of `batch_size` examples, shuffled each epoch.

Shapes used throughout: X (n, d), y (n,), w (d,), b a float.

The exercises run on `grader.datasets.house_prices`, a generated data set of
house sizes, rooms and ages (standardised) with prices in units of 100 000 EUR.

Fill in every function below, then run `grade exercise5`.
"""

from __future__ import annotations

import numpy as np


def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """The mean squared error of the linear model ŷ = X·w + b.

        MSE = (1/n) Σ_i (ŷ_i − y_i)²

    Args:
        X: shape (n, d), one example per row.
        y: shape (n,), the targets.
        w: shape (d,), the weights.
        b: the bias, a float.

    Returns:
        The MSE, a float.

    Example (used again below):
        X = [[1, 0], [0, 1], [1, 1], [2, 1]], w = [1, 2], b = 0.5 give
        ŷ = [1.5, 2.5, 3.5, 4.5]; with y = [0.5, 3.5, 1.5, 4.5] the residuals
        are r = ŷ − y = [1, −1, 2, 0] and MSE = (1 + 1 + 4 + 0)/4 = 1.5.
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
        >>> y = np.array([0.5, 3.5, 1.5, 4.5])
        >>> mse(X, y, np.array([1.0, 2.0]), 0.5)
        1.5
    """
    ### BEGIN SOLUTION
    predictions = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b
    return float(np.mean((predictions - np.asarray(y, dtype=float)) ** 2))
    ### END SOLUTION


def mse_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    """The gradient of the MSE with respect to w and b.

        r = X·w + b − y
        ∂MSE/∂w = (2/n)·Xᵀr      ∂MSE/∂b = (2/n)·Σ_i r_i

    Args:
        X: shape (n, d).  y: shape (n,).  w: shape (d,).  b: a float.

    Returns:
        (dw, db): dw of shape (d,), db a float.

    Example (the data of `mse`, r = [1, −1, 2, 0], n = 4):
        dw = (2/4)·[1·1 + 0·(−1) + 1·2 + 2·0, 0·1 + 1·(−1) + 1·2 + 1·0] = [1.5, 0.5]
        db = (2/4)·(1 − 1 + 2 + 0) = 1.0
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
        >>> y = np.array([0.5, 3.5, 1.5, 4.5])
        >>> mse_gradient(X, y, np.array([1.0, 2.0]), 0.5)
        (array([1.5, 0.5]), 1.0)
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    residuals = X @ np.asarray(w, dtype=float) + b - np.asarray(y, dtype=float)
    n = X.shape[0]
    return (2.0 / n) * (X.T @ residuals), float((2.0 / n) * np.sum(residuals))
    ### END SOLUTION


def gd_step(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, learning_rate: float
) -> tuple[np.ndarray, float]:
    """One gradient-descent update on the batch (X, y):

        w_new = w − α·∂MSE/∂w,   b_new = b − α·∂MSE/∂b      (α = learning_rate)

    where the MSE (and so its gradient) is averaged over the rows of this X.

    Args:
        X: shape (m, d), the examples of this (mini-)batch. Must not be modified.
        y: shape (m,). Must not be modified.
        w: shape (d,), the current weights. Must not be modified.
        b: the current bias.
        learning_rate: α > 0.

    Returns:
        (w_new, b_new): a new array of shape (d,) and a float.

    Example (the data of `mse`, α = 0.1: gradient ([1.5, 0.5], 1.0)):
        w_new = [1 − 0.15, 2 − 0.05] = [0.85, 1.95],  b_new = 0.5 − 0.1 = 0.4
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
        >>> y = np.array([0.5, 3.5, 1.5, 4.5])
        >>> w_new, b_new = gd_step(X, y, np.array([1.0, 2.0]), 0.5, 0.1)
        >>> w_new, round(b_new, 12)
        (array([0.85, 1.95]), 0.4)
    """
    ### BEGIN SOLUTION
    dw, db = mse_gradient(X, y, w, b)
    return np.asarray(w, dtype=float) - learning_rate * dw, float(b - learning_rate * db)
    ### END SOLUTION


def batch_gd(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, learning_rate: float, epochs: int
) -> tuple[np.ndarray, float, np.ndarray]:
    """Batch gradient descent: each epoch makes ONE `gd_step` on all n examples.

    Args:
        X: shape (n, d). y: shape (n,). Neither may be modified.
        w0: shape (d,), the initial weights. Must not be modified.
        b0: the initial bias.
        learning_rate: α > 0.
        epochs: the number of epochs (= updates here), ≥ 0.

    Returns:
        (w, b, losses): the final weights (d,), the final bias (a float) and
        losses of shape (epochs + 1,): losses[0] = mse(X, y, w0, b0) and
        losses[k] the full-data MSE after epoch k.

    Example (the data of `mse`, α = 0.1, one epoch = the `gd_step` example):
        after it ŷ = [1.25, 2.35, 3.2, 4.05], r = [0.75, −1.15, 1.7, −0.45] and
        the MSE falls from 1.5 to (0.5625 + 1.3225 + 2.89 + 0.2025)/4 = 1.244375.
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
        >>> y = np.array([0.5, 3.5, 1.5, 4.5])
        >>> w, b, losses = batch_gd(X, y, np.array([1.0, 2.0]), 0.5, 0.1, 1)
        >>> losses.round(12)
        array([1.5     , 1.244375])
    """
    ### BEGIN SOLUTION
    w, b = np.array(w0, dtype=float), float(b0)
    losses = [mse(X, y, w, b)]
    for _ in range(epochs):
        w, b = gd_step(X, y, w, b, learning_rate)
        losses.append(mse(X, y, w, b))
    return w, b, np.array(losses)
    ### END SOLUTION


def minibatch_gd(
    X: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray,
    b0: float,
    learning_rate: float,
    epochs: int,
    batch_size: int,
    seed: int,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Mini-batch gradient descent with the examples reshuffled every epoch.

    The order is defined exactly, so that runs are reproducible:
      1. create the generator ONCE, before the first epoch: rng = np.random.default_rng(seed)
         (a Generator cannot be passed between processes, so you get the integer seed);
      2. at the start of every epoch draw perm = rng.permutation(n);
      3. the mini-batches of that epoch are idx = perm[i : i + batch_size] for
         i = 0, batch_size, 2·batch_size, … < n. When batch_size does not divide n,
         the LAST batch is smaller; keep it (never drop it, never pad it with
         examples from the start of perm);
      4. for each batch in turn: (w, b) = gd_step(X[idx], y[idx], w, b, α) — the
         gradient is the mean over the batch's own size (len(idx)), also for the
         smaller last batch;
      5. after each epoch, record the MSE on ALL the data.

    Args:
        X: shape (n, d). y: shape (n,). Neither may be modified (shuffle indices, not X).
        w0: shape (d,), the initial weights. Must not be modified.
        b0: the initial bias.
        learning_rate: α > 0.
        epochs: the number of passes over the data, ≥ 0.
        batch_size: the number of examples per update, ≥ 1.
        seed: the seed of the generator, see step 1.

    Returns:
        (w, b, losses) as in `batch_gd`: losses has shape (epochs + 1,) and
        starts with mse(X, y, w0, b0).

    Example (n = 5, batch_size = 2, seed = 0):
        >>> np.random.default_rng(0).permutation(5)
        array([2, 4, 3, 0, 1])

        so epoch 1 updates on examples [2, 4], then [3, 0], then [1] (the last
        batch has one example and its gradient divides by 1); epoch 2 draws
        the next permutation from the same rng.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    w, b = np.array(w0, dtype=float), float(b0)
    losses = [mse(X, y, w, b)]
    for _ in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)
        losses.append(mse(X, y, w, b))
    return w, b, np.array(losses)
    ### END SOLUTION


def sgd(
    X: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray,
    b0: float,
    learning_rate: float,
    epochs: int,
    seed: int,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Stochastic gradient descent: one update per example, in a shuffled order.

    Exactly `minibatch_gd` with batch_size = 1: rng = np.random.default_rng(seed)
    once; every epoch perm = rng.permutation(n) and, for i in perm, one update
    on the single example i, whose gradient is

        ∂/∂w (x_i·w + b − y_i)² = 2(x_i·w + b − y_i)·x_i,   ∂/∂b = 2(x_i·w + b − y_i).

    Args:
        X: shape (n, d). y: shape (n,). Neither may be modified.
        w0: shape (d,). Must not be modified.
        b0: the initial bias.
        learning_rate: α > 0.
        epochs: passes over the data, ≥ 0 (each makes n updates).
        seed: the seed of the generator.

    Returns:
        (w, b, losses) as in `batch_gd` (the full-data MSE after each epoch).
    """
    ### BEGIN SOLUTION
    return minibatch_gd(X, y, w0, b0, learning_rate, epochs, 1, seed)
    ### END SOLUTION
