"""Exercise 9 — optimizers beyond plain gradient descent, and learning-rate schedules.

Plain gradient descent takes the step θ ← θ − α·g with g = ∇J(θ). In a narrow
valley (a loss much steeper across than along) one α cannot suit both
directions: small enough not to bounce across the valley, it crawls along it.
The optimizers below change the step using a little memory, the *state*:

    momentum   v ← β·v + g                    θ ← θ − α·v
    Nesterov   v ← β·v + g                    θ ← θ − α·(g + β·v)
    AdaGrad    G ← G + g²                     θ ← θ − α·g / (√G + ε)
    RMSProp    s ← ρ·s + (1 − ρ)·g²           θ ← θ − α·g / (√s + ε)
    Adam       t ← t + 1                      (the step counter: incremented FIRST)
               m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
               m̂ = m / (1 − β₁ᵗ)              v̂ = v / (1 − β₂ᵗ)     (bias correction)
               θ ← θ − α·m̂ / (√v̂ + ε)

Squares, square roots and divisions act element by element. Every optimizer is
a *pure* function

    step(params, grads, state, hyper) -> (new_params, new_state)

that returns new arrays and a new state dict and changes none of its inputs, so
a whole trajectory can be replayed and compared. `init_state` gives the state
before the first step (zeros, and t = 0 for Adam).

Shapes: params, grads and every array in the state have the same shape (d,).
hyper is a dict of floats: "lr" (α) always, and "beta" (β), "rho" (ρ),
"beta1", "beta2" (β₁, β₂), "eps" (ε) where the formula uses them.

Fill in every function below, then run `grade exercise9`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")

#: The narrow valley J(x, y) = ½·(x² + κ·y²) with condition number κ = 50.
VALLEY_KAPPA = 50.0

State = dict[str, Any]


def valley_loss(point: np.ndarray) -> float:
    """The narrow valley J(x, y) = ½·(x² + κ·y²) with κ = VALLEY_KAPPA = 50.

    Its Hessian is diag(1, κ): curvature 1 along the valley floor (x) and 50
    across it (y), so the condition number is 50.

    Args:
        point: shape (2,), the point (x, y).

    Returns:
        J(x, y), a float.

    Example:
        J(2, 0.2) = ½·(4 + 50·0.04) = ½·(4 + 2) = 3
        >>> valley_loss(np.array([2.0, 0.2]))
        3.0
    """
    ### BEGIN SOLUTION
    x, y = np.asarray(point, dtype=float)
    return float(0.5 * (x * x + VALLEY_KAPPA * y * y))
    ### END SOLUTION


def valley_gradient(point: np.ndarray) -> np.ndarray:
    """∇J of the valley J(x, y) = ½·(x² + κ·y²): the vector (x, κ·y).

    Args:
        point: shape (2,), the point (x, y). Must not be modified.

    Returns:
        A new array of shape (2,): (∂J/∂x, ∂J/∂y) = (x, κ·y).

    Example:
        >>> valley_gradient(np.array([2.0, 0.2]))
        array([ 2., 10.])
    """
    ### BEGIN SOLUTION
    p = np.asarray(point, dtype=float)
    return np.array([p[0], VALLEY_KAPPA * p[1]])
    ### END SOLUTION


def init_state(name: str, params: np.ndarray) -> State:
    """The optimizer's state before its first step.

        "sgd"                   {}                      (plain GD keeps no memory)
        "momentum", "nesterov"  {"v": 0}                (the velocity)
        "adagrad"               {"G": 0}                (the running SUM of g²)
        "rmsprop"               {"s": 0}                (the running AVERAGE of g²)
        "adam"                  {"m": 0, "v": 0, "t": 0}

    Each 0 is a float array of zeros shaped like params; Adam's "t" is the int 0.

    Args:
        name: one of OPTIMIZERS.
        params: shape (d,), only its shape matters.

    Returns:
        A new dict with exactly the keys above.

    Example:
        >>> init_state("adam", np.array([1.0, 2.0]))
        {'m': array([0., 0.]), 'v': array([0., 0.]), 't': 0}
    """
    ### BEGIN SOLUTION
    zeros = np.zeros(np.shape(params), dtype=float)
    keys = {"sgd": (), "momentum": ("v",), "nesterov": ("v",), "adagrad": ("G",), "rmsprop": ("s",),
            "adam": ("m", "v")}
    if name not in keys:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")
    state: State = {key: zeros.copy() for key in keys[name]}
    if name == "adam":
        state["t"] = 0
    return state
    ### END SOLUTION


def sgd(params: np.ndarray, grads: np.ndarray, state: State, hyper: dict[str, float]) -> tuple[np.ndarray, State]:
    """Plain gradient descent: θ ← θ − α·g. The state is empty and stays empty.

    Args:
        params: shape (d,). Must not be modified.
        grads: shape (d,), ∇J at params. Must not be modified.
        state: {} (see init_state).
        hyper: {"lr": α}.

    Returns:
        (new_params, new_state): a new array (d,) and a new, empty dict.

    Example:
        >>> sgd(np.array([1.0, -2.0]), np.array([0.5, 4.0]), {}, {"lr": 0.1})
        (array([ 0.95, -2.4 ]), {})
    """
    ### BEGIN SOLUTION
    return np.asarray(params, dtype=float) - hyper["lr"] * np.asarray(grads, dtype=float), {}
    ### END SOLUTION


def momentum(params: np.ndarray, grads: np.ndarray, state: State, hyper: dict[str, float]) -> tuple[np.ndarray, State]:
    """Gradient descent with (heavy-ball) momentum.

        v ← β·v + g          (the velocity: a decaying sum of past gradients)
        θ ← θ − α·v          (the NEW velocity moves θ)

    With a constant gradient g the velocity tends to g/(1 − β), so the step
    tends to α·g/(1 − β): β = 0.9 makes the effective step ten times α·g.
    β = 0 is plain gradient descent.

    Args:
        params: shape (d,). Must not be modified.
        grads: shape (d,). Must not be modified.
        state: {"v": array (d,)}. Must not be modified.
        hyper: {"lr": α, "beta": β}.

    Returns:
        (new_params, {"v": new_v}).

    Example (α = 0.1, β = 0.9, from v = 0, the same g = (1, −2) twice):
        step 1: v = (1, −2),        θ = (0, 0) − 0.1·(1, −2)   = (−0.1, 0.2)
        step 2: v = 0.9·(1, −2) + (1, −2) = (1.9, −3.8),  θ = (−0.29, 0.58)
        >>> hyper = {"lr": 0.1, "beta": 0.9}
        >>> p, s = momentum(np.zeros(2), np.array([1.0, -2.0]), {"v": np.zeros(2)}, hyper)
        >>> p, s = momentum(p, np.array([1.0, -2.0]), s, hyper)
        >>> p.round(12), s["v"].round(12)
        (array([-0.29,  0.58]), array([ 1.9, -3.8]))
    """
    ### BEGIN SOLUTION
    g = np.asarray(grads, dtype=float)
    v = hyper["beta"] * np.asarray(state["v"], dtype=float) + g
    return np.asarray(params, dtype=float) - hyper["lr"] * v, {"v": v}
    ### END SOLUTION


def nesterov(params: np.ndarray, grads: np.ndarray, state: State, hyper: dict[str, float]) -> tuple[np.ndarray, State]:
    """Nesterov momentum, in the form that needs only the gradient at θ (as PyTorch's SGD uses).

        v ← β·v + g
        θ ← θ − α·(g + β·v)          (a look-ahead: the step already includes the next β·v)

    Args:
        params: shape (d,). Must not be modified.
        grads: shape (d,). Must not be modified.
        state: {"v": array (d,)}. Must not be modified.
        hyper: {"lr": α, "beta": β}.

    Returns:
        (new_params, {"v": new_v}).

    Example (α = 0.1, β = 0.9, v = 0, g = (1, −2)):
        v = (1, −2);  θ = (0, 0) − 0.1·((1, −2) + 0.9·(1, −2)) = (−0.19, 0.38)
        >>> p, s = nesterov(np.zeros(2), np.array([1.0, -2.0]), {"v": np.zeros(2)}, {"lr": 0.1, "beta": 0.9})
        >>> p.round(12), s["v"]
        (array([-0.19,  0.38]), array([ 1., -2.]))
    """
    ### BEGIN SOLUTION
    g = np.asarray(grads, dtype=float)
    beta = hyper["beta"]
    v = beta * np.asarray(state["v"], dtype=float) + g
    return np.asarray(params, dtype=float) - hyper["lr"] * (g + beta * v), {"v": v}
    ### END SOLUTION


def adagrad(params: np.ndarray, grads: np.ndarray, state: State, hyper: dict[str, float]) -> tuple[np.ndarray, State]:
    """AdaGrad: each coordinate's step shrinks with the SUM of its squared gradients so far.

        G ← G + g²
        θ ← θ − α·g / (√G + ε)        (ε outside the square root)

    Args:
        params: shape (d,). Must not be modified.
        grads: shape (d,). Must not be modified.
        state: {"G": array (d,)}. Must not be modified.
        hyper: {"lr": α, "eps": ε}.

    Returns:
        (new_params, {"G": new_G}).

    Example (α = 0.5, ε = 0, G = 0, g = (3, −4)): G = (9, 16), √G = (3, 4), so
    the first step is α·sign(g): θ = (0, 0) − 0.5·(3/3, −4/4) = (−0.5, 0.5).
        >>> adagrad(np.zeros(2), np.array([3.0, -4.0]), {"G": np.zeros(2)}, {"lr": 0.5, "eps": 0.0})
        (array([-0.5,  0.5]), {'G': array([ 9., 16.])})
    """
    ### BEGIN SOLUTION
    g = np.asarray(grads, dtype=float)
    G = np.asarray(state["G"], dtype=float) + g * g
    return np.asarray(params, dtype=float) - hyper["lr"] * g / (np.sqrt(G) + hyper["eps"]), {"G": G}
    ### END SOLUTION


def rmsprop(params: np.ndarray, grads: np.ndarray, state: State, hyper: dict[str, float]) -> tuple[np.ndarray, State]:
    """RMSProp: divide by the root of a decaying AVERAGE of squared gradients.

        s ← ρ·s + (1 − ρ)·g²
        θ ← θ − α·g / (√s + ε)         (ε outside the square root)

    Args:
        params: shape (d,). Must not be modified.
        grads: shape (d,). Must not be modified.
        state: {"s": array (d,)}. Must not be modified.
        hyper: {"lr": α, "rho": ρ, "eps": ε}.

    Returns:
        (new_params, {"s": new_s}).

    Example (α = 0.01, ρ = 0.9, ε = 0, s = 0, g = (3, −4)):
        s = 0.1·(9, 16) = (0.9, 1.6);  √s ≈ (0.948683, 1.264911)
        θ = −0.01·(3/0.948683, −4/1.264911) ≈ (−0.031623, 0.031623)
        >>> p, s = rmsprop(np.zeros(2), np.array([3.0, -4.0]), {"s": np.zeros(2)},
        ...                {"lr": 0.01, "rho": 0.9, "eps": 0.0})
        >>> p.round(6), s["s"].round(12)
        (array([-0.031623,  0.031623]), array([0.9, 1.6]))
    """
    ### BEGIN SOLUTION
    g = np.asarray(grads, dtype=float)
    rho = hyper["rho"]
    s = rho * np.asarray(state["s"], dtype=float) + (1.0 - rho) * g * g
    return np.asarray(params, dtype=float) - hyper["lr"] * g / (np.sqrt(s) + hyper["eps"]), {"s": s}
    ### END SOLUTION


def adam(params: np.ndarray, grads: np.ndarray, state: State, hyper: dict[str, float]) -> tuple[np.ndarray, State]:
    """Adam: momentum (m) and RMSProp (v) together, with bias correction.

        t ← t + 1                              (increment FIRST: the first step uses t = 1)
        m ← β₁·m + (1 − β₁)·g                  v ← β₂·v + (1 − β₂)·g²
        m̂ = m / (1 − β₁ᵗ)                      v̂ = v / (1 − β₂ᵗ)
        θ ← θ − α·m̂ / (√v̂ + ε)

    m and v start at 0, so early on they are biased towards 0; dividing by
    1 − βᵗ removes that bias exactly. At t = 1, m̂ = g and v̂ = g², so the
    first step is α·g/(|g| + ε) ≈ α·sign(g), whatever the size of g.

    Args:
        params: shape (d,). Must not be modified.
        grads: shape (d,). Must not be modified.
        state: {"m": array (d,), "v": array (d,), "t": int}. Must not be modified.
        hyper: {"lr": α, "beta1": β₁, "beta2": β₂, "eps": ε}.

    Returns:
        (new_params, {"m": new_m, "v": new_v, "t": t + 1}), the new t an int.

    Example (t = 1 by hand: α = 0.1, β₁ = 0.9, β₂ = 0.999, ε = 1e−8, g = (2, −0.5)):
        m = 0.1·g = (0.2, −0.05),  v = 0.001·g² = (0.004, 0.00025)
        m̂ = m/0.1 = (2, −0.5),     v̂ = v/0.001 = (4, 0.25)
        θ = (1, 1) − 0.1·(2/(2 + 1e−8), −0.5/(0.5 + 1e−8)) ≈ (0.9, 1.1)
        >>> state = init_state("adam", np.ones(2))
        >>> hyper = {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
        >>> p, s = adam(np.ones(2), np.array([2.0, -0.5]), state, hyper)
        >>> p.round(6), s["t"]
        (array([0.9, 1.1]), 1)
    """
    ### BEGIN SOLUTION
    g = np.asarray(grads, dtype=float)
    b1, b2 = hyper["beta1"], hyper["beta2"]
    t = int(state["t"]) + 1
    m = b1 * np.asarray(state["m"], dtype=float) + (1.0 - b1) * g
    v = b2 * np.asarray(state["v"], dtype=float) + (1.0 - b2) * g * g
    m_hat = m / (1.0 - b1**t)
    v_hat = v / (1.0 - b2**t)
    new = np.asarray(params, dtype=float) - hyper["lr"] * m_hat / (np.sqrt(v_hat) + hyper["eps"])
    return new, {"m": m, "v": v, "t": t}
    ### END SOLUTION


#: name -> step function (used by minimize and run_steps).
STEPS: dict[str, Callable[..., tuple[np.ndarray, State]]] = {
    "sgd": sgd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam,
}


def step_decay(lr0: float, step: int, drop: float, every: int) -> float:
    """Step decay: multiply the learning rate by `drop` every `every` steps.

        α_k = α₀ · drop^⌊k / every⌋          (k = 0 is the first update)

    Args:
        lr0: α₀ > 0.
        step: k ≥ 0.
        drop: the factor, 0 < drop ≤ 1 (e.g. 0.5 halves the rate).
        every: the period, an int ≥ 1.

    Returns:
        α_k, a float.

    Example (α₀ = 0.1, drop = 0.5, every = 10):
        k = 0…9 give 0.1, k = 10…19 give 0.05, k = 25 gives 0.1·0.5² = 0.025
        >>> step_decay(0.1, 9, 0.5, 10), step_decay(0.1, 10, 0.5, 10), step_decay(0.1, 25, 0.5, 10)
        (0.1, 0.05, 0.025)
    """
    ### BEGIN SOLUTION
    return float(lr0 * drop ** (int(step) // int(every)))
    ### END SOLUTION


def cosine_schedule(lr0: float, step: int, total: int, lr_min: float = 0.0) -> float:
    """Cosine annealing from α₀ at k = 0 down to α_min at k = total (and α_min after it).

        α_k = α_min + ½·(α₀ − α_min)·(1 + cos(π·k / total))     for 0 ≤ k ≤ total
        α_k = α_min                                               for k > total

    Args:
        lr0: α₀.
        step: k ≥ 0.
        total: the number of steps of the schedule, an int ≥ 1.
        lr_min: the floor α_min (default 0).

    Returns:
        α_k, a float.

    Example (α₀ = 0.1, total = 100): k = 0 → 0.1, k = 50 → 0.05 (cos(π/2) = 0),
    k = 100 → 0, k = 25 → 0.05·(1 + cos(π/4)) ≈ 0.085355
        >>> round(cosine_schedule(0.1, 50, 100), 12), round(cosine_schedule(0.1, 25, 100), 6)
        (0.05, 0.085355)
    """
    ### BEGIN SOLUTION
    k = min(int(step), int(total))
    return float(lr_min + 0.5 * (lr0 - lr_min) * (1.0 + np.cos(np.pi * k / total)))
    ### END SOLUTION


def minimize(
    name: str,
    grad_fn: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    hyper: dict[str, float],
    n_steps: int,
) -> np.ndarray:
    """Run optimizer `name` for n_steps from `start`, with the gradient from grad_fn.

        state = init_state(name, start);  θ₀ = start
        for k = 1 … n_steps:  θ_k, state = step(θ_(k−1), grad_fn(θ_(k−1)), state, hyper)

    The state is created ONCE, before the loop, and carried from step to step.

    Args:
        name: one of OPTIMIZERS (the step functions above, e.g. "adam" → adam).
        grad_fn: θ (d,) ↦ ∇J(θ) (d,), e.g. valley_gradient.
        start: shape (d,). Must not be modified.
        hyper: passed unchanged to every step.
        n_steps: the number of updates, ≥ 0.

    Returns:
        The trajectory, shape (n_steps + 1, d): row 0 is start, row k is θ_k.

    Example (the valley from (2, 0.2), momentum, α = 0.02, β = 0.9, 2 steps):
        g = (2, 10): v = (2, 10), θ₁ = (2, 0.2) − 0.02·(2, 10) = (1.96, 0)
        g = (1.96, 0): v = (3.76, 9), θ₂ = (1.96, 0) − 0.02·(3.76, 9) = (1.8848, −0.18)
        >>> minimize("momentum", valley_gradient, np.array([2.0, 0.2]), {"lr": 0.02, "beta": 0.9}, 2).round(12)
        array([[ 2.    ,  0.2   ],
               [ 1.96  ,  0.    ],
               [ 1.8848, -0.18  ]])
    """
    ### BEGIN SOLUTION
    step = STEPS[name]
    theta = np.array(start, dtype=float)
    state = init_state(name, theta)
    path = [theta]
    for _ in range(n_steps):
        theta, state = step(theta, np.asarray(grad_fn(theta), dtype=float), state, hyper)
        path.append(theta)
    return np.array(path)
    ### END SOLUTION


def run_steps(name: str, params: np.ndarray, grads: np.ndarray, hyper: dict[str, float]) -> tuple[np.ndarray, State]:
    """Replay optimizer `name` on a given sequence of gradients (already written: the grader uses it).

    Starts from init_state(name, params) and applies the step with grads[0],
    grads[1], … in turn, whatever θ is, so trajectories of different
    optimizers can be compared at t = 1, 2, 5 on the same gradients.

    Args:
        name: one of OPTIMIZERS.
        params: shape (d,), θ₀.
        grads: shape (T, d), the gradient of each step.
        hyper: passed to every step.

    Returns:
        (trajectory, final_state): shape (T + 1, d) with row 0 = params, and the state after T steps.
    """
    step = STEPS[name]
    theta = np.array(params, dtype=float)
    state = init_state(name, theta)
    path = [theta]
    for g in np.asarray(grads, dtype=float):
        theta, state = step(theta, g, state, hyper)
        path.append(np.asarray(theta, dtype=float))
    return np.array(path), state
