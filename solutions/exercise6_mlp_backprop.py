"""Exercise 6 — backpropagation through a deep network (a multi-layer perceptron).

The notes' deep network ŷ = σ(W₃·σ(W₂·σ(W₁·x))), with a bias in every layer,
any number L ≥ 1 of layers and a batch of m examples at once.

THE COLUMN CONVENTION (used by every function in this file): one example is a
COLUMN. A batch X has shape (n₀, m): n₀ input features, m examples side by side.
Layer l has nₗ neurons, a weight matrix Wₗ of shape (nₗ, nₗ₋₁) and a bias bₗ of
shape (nₗ, 1) (a column, broadcast across the m examples). Its pre-activations
Zₗ and activations Aₗ have shape (nₗ, m). Parameters live in a dict
{"W1": W₁, "b1": b₁, …, "WL": W_L, "bL": b_L}; `activations` lists one
activation name per layer ("sigmoid", "tanh" or "relu").

    forward:   A₀ = X
               Zₗ = Wₗ·Aₗ₋₁ + bₗ,   Aₗ = gₗ(Zₗ)          l = 1, …, L;   ŷ = A_L
    losses:    "mse":  L = (1/m) Σ_examples Σ_outputs (ŷ − y)²   (mean over the batch,
                                                                   sum over the outputs)
               "bce":  L = −(1/m) Σ [y·log ŷ + (1 − y)·log(1 − ŷ)]   (sigmoid output layer)
    backward:  δ_L = ∂L/∂Z_L = (2/m)(ŷ − y) ⊙ g′_L(Z_L)      (mse)
               δ_L = ∂L/∂Z_L = (1/m)(ŷ − y)                   (sigmoid + bce: σ′ cancels)
               δₗ  = (Wₗ₊₁ᵀ·δₗ₊₁) ⊙ g′ₗ(Zₗ)                     l = L − 1, …, 1
               ∂L/∂Wₗ = δₗ·Aₗ₋₁ᵀ   (shape (nₗ, nₗ₋₁), like Wₗ)
               ∂L/∂bₗ = Σ over the batch of δₗ = δₗ summed along axis 1, shape (nₗ, 1)
    update:    Wₗ ← Wₗ − α·∂L/∂Wₗ,   bₗ ← bₗ − α·∂L/∂bₗ

The 1/m of the mean sits inside δ_L, so every gradient is already averaged
over the batch: ∂L/∂bₗ is a SUM of the δ columns, not their mean.

Worked example (the 2-2-2 sigmoid network with biases, one example, "mse", α = 0.25):
    x = (0.05, 0.10)ᵀ, W₁ = [[0.15, 0.20], [0.25, 0.30]], b₁ = (0.35, 0.35)ᵀ,
    W₂ = [[0.40, 0.45], [0.50, 0.55]], b₂ = (0.60, 0.60)ᵀ, y = (0.01, 0.99)ᵀ.
    Z₁ = (0.377500, 0.392500), A₁ = (0.593270, 0.596884)
    Z₂ = (1.105906, 1.224921), ŷ = A₂ = (0.751365, 0.772928), L = 0.596742
    δ₂ = 2(ŷ − y) ⊙ ŷ(1 − ŷ) = (0.276997, −0.076196)
    δ₁ = (W₂ᵀδ₂) ⊙ A₁(1 − A₁) = (0.017543, 0.019909)
    ∂L/∂W₂ = δ₂A₁ᵀ = [[0.164334, 0.165335], [−0.045205, −0.045480]], ∂L/∂b₂ = δ₂
    ∂L/∂W₁ = δ₁xᵀ = [[0.000877, 0.001754], [0.000995, 0.001991]],     ∂L/∂b₁ = δ₁
    after one step: W₂ = [[0.358916, 0.408666], [0.511301, 0.561370]],
                    W₁ = [[0.149781, 0.199561], [0.249751, 0.299502]],
                    b₂ = (0.530751, 0.619049), b₁ = (0.345614, 0.345023)
    (Halving our loss gives the ½-sum-of-squares of many textbooks; α = 0.25 here is their α = 0.5.)

Fill in every function below, then run `grade exercise6`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu")
LOSSES = ("mse", "bce")


def activation(Z: np.ndarray, name: str) -> np.ndarray:
    """The activation g(Z), element by element, for name = "sigmoid", "tanh" or "relu".

        sigmoid: σ(z) = 1 / (1 + e^(−z))     values in (0, 1)
        tanh:    tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))   values in (−1, 1)
        relu:    max(0, z)

    For very large |z| (z = ±1000) the sigmoid must saturate to 1 or 0 with no
    overflow warning and never return NaN (compute it with e^(−|z|)).

    Args:
        Z: an array of any shape, e.g. (nₗ, m) pre-activations.
        name: "sigmoid", "tanh" or "relu"; anything else raises ValueError.

    Returns:
        A new float64 array of Z's shape.

    Example:
        >>> activation(np.array([[-2.0, 0.0, 2.0]]), "sigmoid")
        array([[0.11920292, 0.5       , 0.88079708]])
        >>> activation(np.array([[-2.0, 0.0, 2.0]]), "relu")
        array([[0., 0., 2.]])
    """
    ### BEGIN SOLUTION
    Z = np.asarray(Z, dtype=float)
    if name == "sigmoid":
        e = np.exp(-np.abs(Z))  # ≤ 1: neither branch overflows
        return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0.0)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
    ### END SOLUTION


def activation_derivative(Z: np.ndarray, name: str) -> np.ndarray:
    """g′(Z), the derivative of the activation with respect to its INPUT z.

        sigmoid: σ′(z) = σ(z)·(1 − σ(z))
        tanh:    tanh′(z) = 1 − tanh(z)²
        relu:    1 where z > 0, else 0   (the convention at the kink: ReLU′(0) = 0)

    The argument is z, not the activation a = g(z): apply g first.

    Args:
        Z: an array of any shape.
        name: "sigmoid", "tanh" or "relu".

    Returns:
        A new float64 array of Z's shape.

    Example:
        >>> activation_derivative(np.array([[-2.0, 0.0, 2.0]]), "sigmoid")
        array([[0.10499359, 0.25      , 0.10499359]])
        >>> activation_derivative(np.array([[-2.0, 0.0, 2.0]]), "relu")
        array([[0., 0., 1.]])
    """
    ### BEGIN SOLUTION
    Z = np.asarray(Z, dtype=float)
    if name == "sigmoid":
        s = activation(Z, "sigmoid")
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(Z) ** 2
    if name == "relu":
        return (Z > 0).astype(float)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
    ### END SOLUTION


def forward(
    params: dict[str, np.ndarray], X: np.ndarray, activations: Sequence[str]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The forward pass through L = len(activations) layers (column convention).

        A₀ = X;   Zₗ = Wₗ·Aₗ₋₁ + bₗ,   Aₗ = gₗ(Zₗ)   for l = 1, …, L

    Args:
        params: {"W1": (n₁, n₀), "b1": (n₁, 1), …, "WL": (n_L, n_{L−1}), "bL": (n_L, 1)}.
            Must not be modified.
        X: shape (n₀, m), one example per COLUMN. Must not be modified.
        activations: L names, activations[l − 1] is layer l's ("sigmoid", "tanh", "relu").

    Returns:
        (ŷ, cache): ŷ = A_L of shape (n_L, m), and the dict
        {"A0": X, "Z1": Z₁, "A1": A₁, …, "ZL": Z_L, "AL": A_L} (keys "A0", "Z1", "A1",
        "Z2", …, numbered by layer, float64 arrays) that the backward pass reads.

    Example (the 2-2-2 network of the module docstring):
        >>> params = {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array([[0.35], [0.35]]),
        ...           "W2": np.array([[0.40, 0.45], [0.50, 0.55]]), "b2": np.array([[0.60], [0.60]])}
        >>> yhat, cache = forward(params, np.array([[0.05], [0.10]]), ["sigmoid", "sigmoid"])
        >>> cache["Z1"].round(6), cache["A1"].round(6)
        (array([[0.3775],
               [0.3925]]), array([[0.59327 ],
               [0.596884]]))
        >>> cache["Z2"].round(6), yhat.round(6)
        (array([[1.105906],
               [1.224921]]), array([[0.751365],
               [0.772928]]))
    """
    ### BEGIN SOLUTION
    A = np.asarray(X, dtype=float)
    cache = {"A0": A}
    for layer, name in enumerate(activations, start=1):
        Z = np.asarray(params[f"W{layer}"], dtype=float) @ A + np.asarray(params[f"b{layer}"], dtype=float)
        A = activation(Z, name)
        cache[f"Z{layer}"] = Z
        cache[f"A{layer}"] = A
    return A, cache
    ### END SOLUTION


def compute_loss(Yhat: np.ndarray, Y: np.ndarray, loss: str) -> float:
    """The loss of the predictions Yhat (n_L, m) against the targets Y (n_L, m).

        "mse":  L = (1/m) Σᵢ Σₖ (Yhat[k, i] − Y[k, i])²      (m = number of columns)
        "bce":  L = −(1/m) Σᵢ Σₖ [Y·log(Yhat) + (1 − Y)·log(1 − Yhat)]

    Both are means over the m examples (columns) and sums over the n_L outputs
    (rows); with one output that is the usual mean. For "bce", Yhat must lie
    strictly between 0 and 1 (a sigmoid's output); it is not clipped.

    Args:
        Yhat: shape (n_L, m), the network's output.
        Y: shape (n_L, m), the targets (for "bce", in [0, 1]).
        loss: "mse" or "bce"; anything else raises ValueError.

    Returns:
        L, a Python float.

    Example (the 2-2-2 network: ŷ = (0.751365, 0.772928), y = (0.01, 0.99)):
        (0.751365 − 0.01)² + (0.772928 − 0.99)² = 0.549622 + 0.047120 = 0.596742
        >>> round(compute_loss(np.array([[0.75136507], [0.77292847]]), np.array([[0.01], [0.99]]), "mse"), 6)
        0.596742
        >>> round(compute_loss(np.array([[0.8, 0.4]]), np.array([[1.0, 0.0]]), "bce"), 6)
        0.366985
    """
    ### BEGIN SOLUTION
    Yhat = np.asarray(Yhat, dtype=float)
    Y = np.asarray(Y, dtype=float)
    m = Y.shape[1]
    if loss == "mse":
        return float(np.sum((Yhat - Y) ** 2) / m)
    if loss == "bce":
        return float(-np.sum(Y * np.log(Yhat) + (1.0 - Y) * np.log(1.0 - Yhat)) / m)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    ### END SOLUTION


def backward(
    params: dict[str, np.ndarray],
    cache: dict[str, np.ndarray],
    Y: np.ndarray,
    activations: Sequence[str],
    loss: str,
) -> dict[str, np.ndarray]:
    """The backward pass: ∂L/∂Wₗ and ∂L/∂bₗ of every layer, by the δ recursion.

        δ_L = (2/m)(A_L − Y) ⊙ g′_L(Z_L)              for "mse"
        δ_L = (1/m)(A_L − Y)                          for "bce" (needs a sigmoid output layer)
        δₗ  = (Wₗ₊₁ᵀ·δₗ₊₁) ⊙ g′ₗ(Zₗ)                    for l = L − 1, …, 1
        ∂L/∂Wₗ = δₗ·Aₗ₋₁ᵀ       ∂L/∂bₗ = δₗ summed over the batch (axis 1), kept as a column

    Shapes: δₗ is (nₗ, m) like Zₗ; every gradient has the shape of its parameter.
    g′ₗ is evaluated at Zₗ (the cache's "Zl"), never at Aₗ.

    Args:
        params: the parameters the forward pass used. Must not be modified.
        cache: the dict returned by `forward(params, X, activations)`.
        Y: shape (n_L, m), the targets.
        activations: the same list as for `forward`.
        loss: "mse" or "bce". "bce" with an output activation other than
            "sigmoid" raises ValueError.

    Returns:
        {"W1": ∂L/∂W₁, "b1": ∂L/∂b₁, …, "WL": …, "bL": …}: float64 arrays with
        the shapes of params.

    Example (the 2-2-2 network, "mse"): δ₂ = 2(ŷ − y) ⊙ ŷ(1 − ŷ) = (0.276997, −0.076196),
    δ₁ = (W₂ᵀδ₂) ⊙ A₁(1 − A₁) = (0.017543, 0.019909); ∂L/∂W₂ = δ₂A₁ᵀ, ∂L/∂W₁ = δ₁xᵀ.
        >>> params = {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array([[0.35], [0.35]]),
        ...           "W2": np.array([[0.40, 0.45], [0.50, 0.55]]), "b2": np.array([[0.60], [0.60]])}
        >>> Y, acts = np.array([[0.01], [0.99]]), ["sigmoid", "sigmoid"]
        >>> _, cache = forward(params, np.array([[0.05], [0.10]]), acts)
        >>> grads = backward(params, cache, Y, acts, "mse")
        >>> grads["b2"].round(6), grads["b1"].round(6)
        (array([[ 0.276997],
               [-0.076196]]), array([[0.017543],
               [0.019909]]))
        >>> grads["W2"].round(6)
        array([[ 0.164334,  0.165335],
               [-0.045205, -0.04548 ]])
        >>> grads["W1"].round(6)
        array([[0.000877, 0.001754],
               [0.000995, 0.001991]])
    """
    ### BEGIN SOLUTION
    n_layers = len(activations)
    Y = np.asarray(Y, dtype=float)
    AL, ZL = cache[f"A{n_layers}"], cache[f"Z{n_layers}"]
    m = Y.shape[1]
    if loss == "mse":
        delta = (2.0 / m) * (AL - Y) * activation_derivative(ZL, activations[-1])
    elif loss == "bce":
        if activations[-1] != "sigmoid":
            raise ValueError("the 'bce' loss needs a sigmoid output layer")
        delta = (AL - Y) / m  # σ′(z) cancels against the derivative of the log
    else:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    grads: dict[str, np.ndarray] = {}
    for layer in range(n_layers, 0, -1):
        grads[f"W{layer}"] = delta @ cache[f"A{layer - 1}"].T
        grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)
        if layer > 1:
            upstream = np.asarray(params[f"W{layer}"], dtype=float).T @ delta
            delta = upstream * activation_derivative(cache[f"Z{layer - 1}"], activations[layer - 2])
    return {key: grads[key] for layer in range(1, n_layers + 1) for key in (f"W{layer}", f"b{layer}")}
    ### END SOLUTION


def train_step(
    params: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    activations: Sequence[str],
    loss: str,
    learning_rate: float,
) -> tuple[dict[str, np.ndarray], float]:
    """One step of gradient descent on the batch (X, Y): forward, loss, backward, update.

        θ ← θ − α·∂L/∂θ   for every θ in params   (α = learning_rate)

    Args:
        params: the current parameters. Must not be modified: return new arrays.
        X: shape (n₀, m).  Y: shape (n_L, m).
        activations, loss: as in `forward` and `backward`.
        learning_rate: α > 0.

    Returns:
        (new_params, L): a new dict with the same keys and shapes, and the loss
        L (a float) of the OLD params on (X, Y), i.e. before the update.

    Example (the 2-2-2 network, "mse", α = 0.25):
        W₂ ← W₂ − 0.25·∂L/∂W₂ = [[0.40 − 0.041084, …], …] = [[0.358916, 0.408666], [0.511301, 0.56137]]
        >>> params = {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array([[0.35], [0.35]]),
        ...           "W2": np.array([[0.40, 0.45], [0.50, 0.55]]), "b2": np.array([[0.60], [0.60]])}
        >>> new, L = train_step(params, np.array([[0.05], [0.10]]), np.array([[0.01], [0.99]]),
        ...                     ["sigmoid", "sigmoid"], "mse", 0.25)
        >>> round(L, 6), new["W2"].round(6)
        (0.596742, array([[0.358916, 0.408666],
               [0.511301, 0.56137 ]]))
        >>> new["W1"].round(6)
        array([[0.149781, 0.199561],
               [0.249751, 0.299502]])
        >>> new["b2"].round(6), new["b1"].round(6)
        (array([[0.530751],
               [0.619049]]), array([[0.345614],
               [0.345023]]))
    """
    ### BEGIN SOLUTION
    Yhat, cache = forward(params, X, activations)
    value = compute_loss(Yhat, Y, loss)
    grads = backward(params, cache, Y, activations, loss)
    new = {key: np.asarray(params[key], dtype=float) - learning_rate * grads[key] for key in params}
    return new, value
    ### END SOLUTION


def train(
    params: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    activations: Sequence[str],
    loss: str,
    learning_rate: float,
    epochs: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Full-batch gradient descent: `epochs` calls of `train_step` on all of (X, Y).

    Each step computes FRESH gradients of the current parameters (nothing is
    carried over from the step before).

    Args:
        params: the initial parameters. Must not be modified.
        X: shape (n₀, m).  Y: shape (n_L, m).
        activations, loss: as in `forward` and `backward`.
        learning_rate: α > 0.
        epochs: the number of updates, ≥ 0.

    Returns:
        (params, losses): the final parameters (a new dict) and the losses,
        shape (epochs + 1,): losses[0] is the loss of the initial parameters,
        losses[k] the loss after k updates.

    Example (XOR, `grader.datasets.xor()`, with a 2-4-1 network, activations
    ["tanh", "sigmoid"], loss "bce", α = 1, 300 epochs, W₁, b₁, W₂ drawn from a
    normal distribution and b₂ = 0): for most initialisations the loss falls
    from about 0.75 to below 0.01 and ŷ > 0.5 exactly on the two XOR-true corners.
    """
    ### BEGIN SOLUTION
    current = {key: np.array(value, dtype=float) for key, value in params.items()}
    losses = []
    for _ in range(epochs):
        current, value = train_step(current, X, Y, activations, loss, learning_rate)
        losses.append(value)
    Yhat, _ = forward(current, X, activations)
    losses.append(compute_loss(Yhat, Y, loss))
    return current, np.array(losses)
    ### END SOLUTION
