"""Exercise 10 — training deep networks: activations, initialisation, vanishing and exploding gradients.

A deep network multiplies many factors on the way back. With the row
convention used here (one example per row):

    forward   a₀ = X (n, d₀);  zₗ = aₗ₋₁·Wₗᵀ + bₗ (n, dₗ);  aₗ = g(zₗ) for l < L;  ŷ = a_L = z_L (linear output)
    loss      J = (1/n) Σ_i ‖ŷ_i − y_i‖²
    backward  δ_L = ∂J/∂z_L = (2/n)(ŷ − y)
              δₗ = (δₗ₊₁·Wₗ₊₁) ⊙ g′(zₗ)                          (n, dₗ), for l = L − 1, …, 1
              ∂J/∂Wₗ = δₗᵀ·aₗ₋₁ (dₗ, dₗ₋₁),   ∂J/∂bₗ = Σ_i δₗ[i] (dₗ,)

Wₗ has shape (dₗ, dₗ₋₁) (out × in). Each layer back multiplies δ by Wₗ₊₁ and
by g′(zₗ). The sigmoid's g′ is at most 0.25, so ten sigmoid layers shrink δ by
up to 0.25¹⁰ ≈ 1e−6: the first layers barely learn (vanishing gradients). Large
weights multiply instead (exploding gradients). Remedies: ReLU (g′ = 1 where
active), initialisation that keeps the variance of the signal constant
(Xavier/Glorot for tanh and sigmoid, He for ReLU), gradient clipping, and
watching a validation set to stop in time.

Fill in every function below, then run `grade exercise10`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
#: The slope of leaky ReLU for z < 0.
LEAKY_SLOPE = 0.01
#: Standard deviation of the "small" initialisation.
SMALL_STD = 0.01

Params = list[tuple[np.ndarray, np.ndarray]]


def activate(z: np.ndarray, name: str) -> np.ndarray:
    """g(z), element by element, for the four activations.

        sigmoid     σ(z) = 1/(1 + e^(−z))           (no overflow for any z: σ(−1000) = 0, σ(1000) = 1;
                                                     and σ(−40) ≈ 4.25e−18, not 0: use e^z/(1 + e^z) for z < 0)
        tanh        tanh z
        relu        max(0, z)
        leaky_relu  z for z > 0, LEAKY_SLOPE·z (= 0.01·z) otherwise

    Args:
        z: an array of any shape. Must not be modified.
        name: one of ACTIVATIONS.

    Returns:
        A new float array of z's shape.

    Example:
        >>> z = np.array([-2.0, 0.0, 3.0])
        >>> activate(z, "relu"), activate(z, "leaky_relu")
        (array([0., 0., 3.]), array([-0.02,  0.  ,  3.  ]))
        >>> activate(np.array([0.0, 2.0]), "sigmoid").round(6)
        array([0.5     , 0.880797])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def activation_derivative(z: np.ndarray, name: str) -> np.ndarray:
    """g′(z), element by element, taken at the PRE-activation z.

        sigmoid     σ′(z) = σ(z)·(1 − σ(z))        (at most 0.25, at z = 0)
        tanh        1 − tanh² z                     (at most 1, at z = 0)
        relu        1 for z > 0, 0 for z ≤ 0        (the convention at 0 is 0)
        leaky_relu  1 for z > 0, LEAKY_SLOPE for z ≤ 0

    Args:
        z: an array of any shape. Must not be modified.
        name: one of ACTIVATIONS.

    Returns:
        A new float array of z's shape.

    Example:
        >>> z = np.array([-2.0, 0.0, 3.0])
        >>> activation_derivative(z, "relu"), activation_derivative(z, "leaky_relu")
        (array([0., 0., 1.]), array([0.01, 0.01, 1.  ]))
        >>> activation_derivative(np.array([0.0]), "sigmoid"), activation_derivative(np.array([0.0]), "tanh")
        (array([0.25]), array([1.]))
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def init_std(kind: str, fan_in: int, fan_out: int) -> float:
    """The standard deviation of a layer's initial weights.

        "small"   SMALL_STD = 0.01                     (too small for deep nets: the signal dies out)
        "xavier"  √(2 / (fan_in + fan_out))            (Glorot & Bengio: Var(W) = 2/(fan_in + fan_out))
        "he"      √(2 / fan_in)                        (He et al., for ReLU: Var(W) = 2/fan_in)

    Xavier keeps the variance of activations and gradients about constant for
    tanh/sigmoid-like units; ReLU zeroes half its inputs, so He doubles the
    variance to 2/fan_in.

    Args:
        kind: "small", "xavier" or "he".
        fan_in: the number of inputs of the layer (d_(l−1)).
        fan_out: the number of outputs (d_l).

    Returns:
        The standard deviation, a float.

    Example: a 100 → 50 layer
        >>> round(init_std("xavier", 100, 50), 6), init_std("he", 100, 50)
        (0.11547, 0.1414213562373095)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def init_network(sizes: list[int], kind: str, seed: int, gain: float = 1.0) -> Params:
    """Random weights for a network with layer sizes d₀, d₁, …, d_L, and zero biases.

        rng = np.random.default_rng(seed)          (ONE generator for the whole network)
        for l = 1 … L:  Wₗ = gain · init_std(kind, dₗ₋₁, dₗ) · rng.standard_normal((dₗ, dₗ₋₁))
                        bₗ = zeros(dₗ)

    Draw the layers in order, first layer first, so the same seed gives the
    same network everywhere. gain > 1 makes weights larger (e.g. to watch
    gradients explode).

    Args:
        sizes: [d₀, d₁, …, d_L], at least two sizes.
        kind: "small", "xavier" or "he" (see init_std).
        seed: the generator's seed.
        gain: a factor on every weight (default 1).

    Returns:
        A list of L tuples (Wₗ, bₗ) with shapes (dₗ, dₗ₋₁) and (dₗ,).

    Example:
        >>> params = init_network([3, 4, 1], "he", seed=0)
        >>> [(W.shape, b.shape) for W, b in params]
        [((4, 3), (4,)), ((1, 4), (1,))]
        >>> params[0][0][0].round(4)   # the first row of W₁: √(2/3)·(the first 3 standard normals of seed 0)
        array([ 0.1027, -0.1079,  0.5229])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def forward(params: Params, X: np.ndarray, activation: str) -> dict[str, list[np.ndarray]]:
    """The forward pass (already written): hidden layers use `activation`, the last layer is linear.

    Returns:
        {"z": [z₁, …, z_L], "a": [a₀ = X, a₁, …, a_L = ŷ]}, each (n, dₗ).
    """
    a = np.asarray(X, dtype=float)
    zs, activations = [], [a]
    for index, (W, b) in enumerate(params):
        z = a @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float)
        a = z if index == len(params) - 1 else activate(z, activation)
        zs.append(z)
        activations.append(a)
    return {"z": zs, "a": activations}


def layer_deltas(params: Params, X: np.ndarray, y: np.ndarray, activation: str) -> list[np.ndarray]:
    """δₗ = ∂J/∂zₗ for every layer, for J = (1/n) Σ_i ‖ŷ_i − y_i‖².

        δ_L = (2/n)(ŷ − y)                         (the output layer is linear: g′ = 1)
        δₗ  = (δₗ₊₁ · Wₗ₊₁) ⊙ g′(zₗ)               for l = L − 1, …, 1   (g′ at z, not at a)

    Use `forward(params, X, activation)` for the z's and ŷ.

    Args:
        params: [(W₁, b₁), …, (W_L, b_L)], Wₗ (dₗ, dₗ₋₁).
        X: shape (n, d₀).
        y: shape (n, d_L).
        activation: the hidden layers' activation (one of ACTIVATIONS).

    Returns:
        [δ₁, …, δ_L]: L new arrays, δₗ of shape (n, dₗ) (the shape of zₗ).

    Example (a 1-1-1 ReLU network):
        W₁ = [[2]], W₂ = [[3]], b = 0, x = 1, y = 1: z₁ = 2, a₁ = 2, ŷ = 6,
        δ₂ = 2·(6 − 1) = 10, δ₁ = 10·3·relu′(2) = 30
        >>> params = [(np.array([[2.0]]), np.zeros(1)), (np.array([[3.0]]), np.zeros(1))]
        >>> layer_deltas(params, np.array([[1.0]]), np.array([[1.0]]), "relu")
        [array([[30.]]), array([[10.]])]
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def delta_norms(params: Params, X: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """‖δₗ‖ for l = 1 … L: the Frobenius norm √(Σ_i Σ_j δₗ[i, j]²) of each layer's δ.

    Plotted against l (log scale), these show gradients vanishing towards the
    input layers (sigmoid, small weights) or exploding (large weights).

    Args:
        as for layer_deltas.

    Returns:
        A new array of shape (L,): entry l − 1 is ‖δₗ‖.

    Example (the 1-1-1 net of layer_deltas): ‖δ₁‖ = 30, ‖δ₂‖ = 10
        >>> params = [(np.array([[2.0]]), np.zeros(1)), (np.array([[3.0]]), np.zeros(1))]
        >>> delta_norms(params, np.array([[1.0]]), np.array([[1.0]]), "relu")
        array([30., 10.])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def clip_by_norm(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """Gradient clipping by the GLOBAL norm of all gradients together.

        N = √(Σ_k ‖g_k‖²)               (every entry of every array)
        if N > max_norm:  g_k ← g_k · max_norm / N   for every k (the direction is kept)
        else:             g_k unchanged

    Args:
        grads: a list of arrays of any shapes. Must not be modified.
        max_norm: the threshold, > 0.

    Returns:
        (clipped, N): a list of NEW arrays of the same shapes, and N, the global
        norm BEFORE clipping (a float).

    Example: grads [3, 0] and [[4]] have N = √(9 + 16) = 5; with max_norm = 1 they become [0.6, 0] and [[0.8]].
        >>> clipped, norm = clip_by_norm([np.array([3.0, 0.0]), np.array([[4.0]])], 1.0)
        >>> clipped, norm
        ([array([0.6, 0. ]), array([[0.8]])], 5.0)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def train_val_split(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the indices 0 … n − 1 and hold out a validation part.

        perm = np.random.default_rng(seed).permutation(n)
        n_val = ⌊val_fraction · n⌋;   val = perm[:n_val],   train = perm[n_val:]

    Args:
        n: the number of examples.
        val_fraction: between 0 and 1.
        seed: the generator's seed.

    Returns:
        (train_idx, val_idx): int arrays of lengths n − n_val and n_val.

    Example:
        >>> train, val = train_val_split(10, 0.3, seed=0)
        >>> len(train), len(val), sorted([*train, *val]) == list(range(10))
        (7, 3, True)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def fit_linear(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    w0: np.ndarray,
    learning_rate: float,
    max_iters: int,
    tol_rel: float,
    tol_grad: float,
    patience: int,
) -> dict[str, Any]:
    """Gradient descent on J(w) = (1/n)‖X_train·w − y_train‖² with a real stopping rule and early stopping.

        w = w0 (a copy); record J(w) and V(w) (V: the same MSE on the validation set); best = (V(w), w, 0)
        for k = 1, 2, …, max_iters:
            g = (2/n)·X_trainᵀ(X_train·w − y_train)
            if ‖g‖ < tol_grad:             stop, reason "gradient"       (checked BEFORE the step)
            w = w − learning_rate·g;  record J(w), V(w)
            if V(w) < best V:              best = (V(w), w, k)           (strictly lower)
            if |J_k − J_(k−1)| / max(|J_(k−1)|, 1e−12) < tol_rel:   stop, reason "relative"
            if k − best iteration ≥ patience:                        stop, reason "patience"
        if no rule stopped it: reason "max_iters"

    Early stopping keeps the best weights: the result is the w with the lowest V.

    Args:
        X_train (n, d), y_train (n,), X_val (m, d), y_val (m,): the data. Must not be modified.
        w0: shape (d,). Must not be modified.
        learning_rate: α > 0.
        max_iters: the most updates, ≥ 0.
        tol_rel, tol_grad: the tolerances (0 switches a rule off).
        patience: updates without a new best V before stopping, ≥ 1.

    Returns:
        {"w": the best weights (d,), "best_iteration": its k (0 = w0), "iterations": the number of
        updates made, "reason": "gradient" | "relative" | "patience" | "max_iters",
        "train_losses": J after 0, 1, …, iterations updates, "val_losses": V likewise}.

    Example: X_train = [[1], [2]], y_train = [2, 4] (so w* = 2), X_val = [[3]], y_val = [6],
        w0 = [0], α = 0.1: g = (2/2)·(1·(0 − 2) + 2·(0 − 4)) = −10, w₁ = 1, J₁ = (1 + 4)/2 = 2.5, V₁ = 9
        >>> out = fit_linear(np.array([[1.0], [2.0]]), np.array([2.0, 4.0]), np.array([[3.0]]), np.array([6.0]),
        ...                  np.zeros(1), 0.1, 1, 0.0, 0.0, 5)
        >>> out["w"], out["train_losses"], out["val_losses"], out["reason"]
        (array([1.]), array([10. ,  2.5]), array([36.,  9.]), 'max_iters')
    """
    # YOUR CODE HERE
    raise NotImplementedError()
