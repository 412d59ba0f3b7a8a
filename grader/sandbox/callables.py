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
