"""Exercise 2 — partial derivatives and the gradient.

A loss J(x, y) of two variables is a surface. Its *partial derivative* with
respect to x, ∂J/∂x, is the slope you feel when you move in x alone: every
other variable is held constant. The *gradient* collects all the partials in
one vector that lives in the input space:

    ∇J(x, y) = (∂J/∂x, ∂J/∂y)

Geometrically, ∇J points in the direction of steepest *local* ascent and its
length |∇J| is that steepest slope. Walking along a unit vector u changes J at
the rate ∇J · u = |∇J| cos θ, which is largest (+|∇J|) along ∇J and most
negative (−|∇J|) along −∇J. That is why gradient descent steps against it.

The worked example from the notes is the bowl J(x, y) = x² + y², where the
loss is 3² + 4² = 25 at (3, 4). There the gradient is (6, 8) and its
magnitude is √(6² + 8²) = 10: you will derive both.

Symbolic answers: where a function asks for a formula, return a SymPy
expression built from the symbols `x` and `y` defined below (e.g. `2*x`) or
a string in Python syntax (e.g. "2*x"). Any equivalent form is accepted.

Fill in every function below, then run `grade exercise2`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

# The variables your symbolic answers may use.
x, y = sp.symbols("x y")


def bowl_partials() -> dict[str, sp.Expr | str]:
    """The two partial derivatives of the bowl J(x, y) = x² + y².

    Hold the other variable constant: its square is then a constant whose
    derivative is 0.

    Returns:
        {"x": ∂J/∂x, "y": ∂J/∂y}, each a SymPy expression in x and y or a
        string such as "3*x + y".

    Example (checking your answers at the notes' point (3, 4)):
        Your ∂J/∂x at x = 3 must be 6 and your ∂J/∂y at y = 4 must be 8,
        so the gradient there is (6, 8).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def poly_partials(a: int, b: int, c: int) -> dict[str, sp.Expr | str]:
    """The partial derivatives of f(x, y) = a·x²·y + b·y³ + c·x.

    Differentiating with respect to x treats y as a constant, so y stays as a
    factor in a·x²·y and the term b·y³ (no x in it) contributes 0. Likewise
    for y, the term c·x is a constant.

    Args:
        a, b, c: integer coefficients.

    Returns:
        {"x": ∂f/∂x, "y": ∂f/∂y}, expressions in x and y with the numbers
        a, b, c substituted in.

    Example:
        poly_partials(2, -1, 3) is f = 2x²y − y³ + 3x, whose partials are
        {"x": 4*x*y + 3, "y": 2*x**2 - 3*y**2}.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def numerical_gradient(
    f: Callable[[np.ndarray], float], point: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Estimate ∇f(point) by central differences, one coordinate at a time.

    For each coordinate i, with e_i the i-th unit vector:

        ∂f/∂p_i ≈ (f(p + h·e_i) − f(p − h·e_i)) / (2h)

    Only p_i moves (the other coordinates are held constant: that is what
    "partial" means). The error of this estimate shrinks like h².

    Args:
        f: maps a point of shape (d,) to a number (the loss).
        point: shape (d,), where to evaluate the gradient (floats or ints). Must not be modified.
        h: the step, h > 0.

    Returns:
        A new float array of shape (d,): the estimated gradient.

    Example (the bowl J = x² + y² at the notes' point):
        >>> numerical_gradient(lambda p: float(np.sum(p**2)), np.array([3.0, 4.0]))
        array([6., 8.])        # up to rounding, about 1e-10
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def gradient_magnitude(grad: np.ndarray) -> float:
    """The length of the gradient, |∇J| = √(Σ_i (∂J/∂p_i)²): the steepest slope.

    Args:
        grad: shape (d,), a gradient vector.

    Returns:
        A non-negative Python float.

    Example (the notes' gradient at (3, 4)):
        >>> gradient_magnitude(np.array([6.0, 8.0]))
        10.0
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def steepest_ascent_direction(grad: np.ndarray) -> np.ndarray:
    """The unit vector of steepest local ascent, u = ∇J / |∇J|.

    Where ∇J = 0 (a stationary point: a minimum, a maximum or a saddle) no
    direction is steepest; return the zero vector then. Gradient descent moves
    along −u, the direction of steepest local descent.

    Args:
        grad: shape (d,), the gradient ∇J at some point. Must not be modified.

    Returns:
        A new float array of shape (d,): of length 1, or all zeros when grad is 0.

    Example:
        >>> steepest_ascent_direction(np.array([6.0, 8.0]))
        array([0.6, 0.8])
        >>> steepest_ascent_direction(np.array([0.0, 0.0]))
        array([0., 0.])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def directional_derivative(grad: np.ndarray, direction: np.ndarray) -> float:
    """The rate of change of J per unit distance moved along `direction`.

    With u = direction / |direction| (a unit vector; the length of `direction`
    must not matter), the rate is

        D_u J = ∇J · u = |∇J| cos θ,

    θ being the angle between ∇J and u. It is largest, +|∇J|, along ∇J,
    zero along a contour line (u ⟂ ∇J), and most negative, −|∇J|, along −∇J:
    the update θ − α∇J moves where the loss falls fastest.

    Args:
        grad: shape (d,), the gradient ∇J at a point.
        direction: shape (d,), any non-zero vector.

    Returns:
        A Python float.

    Example (∇J = (6, 8), the notes' gradient at (3, 4)):
        >>> directional_derivative(np.array([6.0, 8.0]), np.array([-3.0, -4.0]))
        -10.0
        >>> directional_derivative(np.array([6.0, 8.0]), np.array([2.0, 0.0]))
        6.0
        >>> directional_derivative(np.array([6.0, 8.0]), np.array([-4.0, 3.0]))
        0.0
    """
    # YOUR CODE HERE
    raise NotImplementedError()
