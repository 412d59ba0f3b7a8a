"""Trusted functions that may be passed to student code by name.

Both the grader (for the reference) and the worker (for the student) build
them from the same name and parameters, so no code crosses the process wall.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _bowl_gradient() -> Callable[[Any], Any]:
    import numpy as np

    def bowl_gradient(point: Any) -> Any:
        """∇J for J(p) = Σ p_i²: the vector 2p."""
        return 2.0 * np.asarray(point, dtype=float)

    return bowl_gradient


def _quadratic_gradient(scales: list[float], center: list[float]) -> Callable[[Any], Any]:
    import numpy as np

    s = np.asarray(scales, dtype=float)
    c = np.asarray(center, dtype=float)

    def quadratic_gradient(point: Any) -> Any:
        """∇J for J(p) = Σ s_i (p_i − c_i)²: the vector 2 s ⊙ (p − c)."""
        return 2.0 * s * (np.asarray(point, dtype=float) - c)

    return quadratic_gradient


# Exercises that pass other callables add their factory here: the worker
# imports only this module, so a registration made elsewhere would not reach it.
_REGISTRY: dict[str, Callable[..., Callable[..., Any]]] = {
    "bowl_gradient": _bowl_gradient,
    "quadratic_gradient": _quadratic_gradient,
}


# -- exercises 2 and 3: losses for numerical_gradient, local derivatives for chain_backward --

def _bowl_loss() -> Callable[[Any], float]:
    import numpy as np

    def bowl_loss(point: Any) -> float:
        """J(p) = Σ p_i²."""
        return float(np.sum(np.asarray(point, dtype=float) ** 2))

    return bowl_loss


def _quadratic_loss(scales: list[float], center: list[float]) -> Callable[[Any], float]:
    import numpy as np

    s = np.asarray(scales, dtype=float)
    c = np.asarray(center, dtype=float)

    def quadratic_loss(point: Any) -> float:
        """J(p) = Σ s_i (p_i − c_i)²."""
        return float(np.sum(s * (np.asarray(point, dtype=float) - c) ** 2))

    return quadratic_loss


def _cubic_poly_loss(a: float, b: float, c: float) -> Callable[[Any], float]:
    import numpy as np

    def cubic_poly_loss(point: Any) -> float:
        """f(x, y) = a·x²·y + b·y³ + c·x for point = (x, y)."""
        px, py = np.asarray(point, dtype=float)
        return float(a * px**2 * py + b * py**3 + c * px)

    return cubic_poly_loss


def _log_sum_exp_loss(weights: list[float]) -> Callable[[Any], float]:
    import numpy as np

    w = np.asarray(weights, dtype=float)

    def log_sum_exp_loss(point: Any) -> float:
        """J(p) = log Σ_i exp(w_i p_i): smooth, and every coordinate affects every partial."""
        t = w * np.asarray(point, dtype=float)
        top = float(np.max(t))  # shifting by the max keeps exp from overflowing
        return top + float(np.log(np.sum(np.exp(t - top))))

    return log_sum_exp_loss


def _chain_local_grad(values: list[float], once: bool = False) -> Callable[[Any], float]:
    seen: set[int] = set()

    def local_grad(i: Any) -> float:
        """dz_i/dz_(i−1) of node i (1-based); with once=True each node answers only once."""
        if isinstance(i, bool) or (not isinstance(i, int | float) and not hasattr(i, "__index__")):
            raise TypeError(f"local_grad(i) takes a node number 1..{len(values)}, got {i!r}")
        index = int(i)
        if index != i or not 1 <= index <= len(values):
            raise IndexError(f"local_grad(i) takes a node number 1..{len(values)}, got {i!r}")
        if once and index in seen:
            raise RuntimeError(
                f"local_grad({index}) was asked for a second time. Backpropagation computes each "
                "local derivative once: keep the upstream gradient dL/dz_i you already have and "
                "multiply it by the next local derivative instead of recomputing products."
            )
        seen.add(index)
        return float(values[index - 1])

    return local_grad


_REGISTRY.update(
    {
        "bowl_loss": _bowl_loss,
        "quadratic_loss": _quadratic_loss,
        "cubic_poly_loss": _cubic_poly_loss,
        "log_sum_exp_loss": _log_sum_exp_loss,
        "chain_local_grad": _chain_local_grad,
    }
)


def build(name: str, params: dict[str, Any]) -> Callable[..., Any]:
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown trusted callable {name!r}") from None
    return factory(**params)


# -- exercise 7: losses of a parameter dict, and their (possibly planted-buggy) gradients --------

def _bowl_params_loss() -> Callable[[Any], float]:
    import numpy as np

    def bowl_params_loss(params: Any) -> float:
        """J(θ) = Σ over every array of params of Σ θ_i²: the notes' bowl, for a dict of arrays."""
        return float(sum(np.sum(np.asarray(v, dtype=float) ** 2) for v in params.values()))

    return bowl_params_loss


def _apply_bug(grads: dict[str, Any], bug: dict[str, Any] | None) -> dict[str, Any]:
    """A planted mistake in one parameter's gradient (the DLS idea): scale, sign, or one entry off."""
    import numpy as np

    if not bug:
        return grads
    key, kind = bug["key"], bug["kind"]
    g = np.array(grads[key], dtype=float)
    if kind == "scale":
        g = g * float(bug["factor"])
    elif kind == "sign":
        g = -g
    elif kind == "entry":
        g[tuple(int(i) for i in bug["index"])] += float(bug["offset"])
    elif kind == "transpose":
        g = g.T.copy()
    else:
        raise ValueError(f"unknown planted bug {kind!r}")
    return {**grads, key: g}


def _bowl_params_gradient(bug: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    import numpy as np

    def bowl_params_gradient(params: Any) -> dict[str, Any]:
        """∇J = 2θ for every array, with the planted bug if any."""
        return _apply_bug({k: 2.0 * np.asarray(v, dtype=float) for k, v in params.items()}, bug)

    return bowl_params_gradient


def _mlp_parts(X: list[Any], Y: list[Any], activations: list[str], loss: str) -> tuple[Any, Any]:
    """The loss and backprop of exercise 6's network (column convention), written out independently."""
    import numpy as np

    Xa, Ya = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    m = Ya.shape[1]

    def g(Z: Any, name: str) -> Any:
        if name == "sigmoid":
            return 0.5 * (1.0 + np.tanh(0.5 * Z))
        if name == "tanh":
            return np.tanh(Z)
        return np.maximum(Z, 0.0)

    def g_prime(Z: Any, name: str) -> Any:
        if name == "sigmoid":
            s = g(Z, name)
            return s * (1.0 - s)
        if name == "tanh":
            return 1.0 - np.tanh(Z) ** 2
        return (Z > 0).astype(float)

    def forward(params: Any) -> tuple[list[Any], list[Any]]:
        As, Zs = [Xa], []
        for layer, name in enumerate(activations, start=1):
            W, b = np.asarray(params[f"W{layer}"], dtype=float), np.asarray(params[f"b{layer}"], dtype=float)
            Zs.append(W @ As[-1] + b)
            As.append(g(Zs[-1], name))
        return As, Zs

    def value(params: Any) -> float:
        A = forward(params)[0][-1]
        if loss == "mse":
            return float(np.sum((A - Ya) ** 2) / m)
        return float(-np.sum(Ya * np.log(A) + (1.0 - Ya) * np.log(1.0 - A)) / m)

    def gradient(params: Any) -> dict[str, Any]:
        As, Zs = forward(params)
        n = len(activations)
        delta = (2.0 / m) * (As[-1] - Ya) * g_prime(Zs[-1], activations[-1]) if loss == "mse" else (As[-1] - Ya) / m
        grads: dict[str, Any] = {}
        for layer in range(n, 0, -1):
            grads[f"W{layer}"] = delta @ As[layer - 1].T
            grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)
            if layer > 1:
                delta = (np.asarray(params[f"W{layer}"], dtype=float).T @ delta) * g_prime(Zs[layer - 2],
                                                                                          activations[layer - 2])
        return grads

    return value, gradient


def _mlp_loss(X: list[Any], Y: list[Any], activations: list[str], loss: str) -> Callable[[Any], float]:
    value, _ = _mlp_parts(X, Y, activations, loss)

    def mlp_loss(params: Any) -> float:
        """The loss of exercise 6's network on fixed data, as a function of its parameter dict."""
        return value(params)

    return mlp_loss


def _mlp_gradient(X: list[Any], Y: list[Any], activations: list[str], loss: str,
                  bug: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    _, gradient = _mlp_parts(X, Y, activations, loss)

    def mlp_gradient(params: Any) -> dict[str, Any]:
        """Backprop for `mlp_loss`, with the planted bug if any."""
        return _apply_bug(gradient(params), bug)

    return mlp_gradient


_REGISTRY.update(
    {
        "bowl_params_loss": _bowl_params_loss,
        "bowl_params_gradient": _bowl_params_gradient,
        "mlp_loss": _mlp_loss,
        "mlp_gradient": _mlp_gradient,
    }
)
# -- exercise 9: the narrow valley of the optimizers --------------------------------

def _valley_gradient(kappa: float = 50.0) -> Callable[[Any], Any]:
    import numpy as np

    def valley_gradient(point: Any) -> Any:
        """∇J for the valley J(x, y) = ½·(x² + κ·y²): the vector (x, κ·y)."""
        p = np.asarray(point, dtype=float)
        return np.array([p[0], kappa * p[1]])

    return valley_gradient


def _rotated_quadratic_gradient(matrix: list[list[float]], center: list[float]) -> Callable[[Any], Any]:
    import numpy as np

    A = np.asarray(matrix, dtype=float)
    c = np.asarray(center, dtype=float)

    def rotated_quadratic_gradient(point: Any) -> Any:
        """∇J for J(p) = ½·(p − c)ᵀA(p − c) with A symmetric: the vector A(p − c)."""
        return A @ (np.asarray(point, dtype=float) - c)

    return rotated_quadratic_gradient


_REGISTRY.update({"valley_gradient": _valley_gradient, "rotated_quadratic_gradient": _rotated_quadratic_gradient})
