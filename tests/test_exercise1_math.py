"""Exercise 1's mathematics: formulas vs sympy.diff, gradients vs central differences,
and the notes' worked numbers recomputed from the reference."""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.catalog import resolve
from grader.runner import load_reference

ref = load_reference(resolve("exercise1"))


def central_difference(f, p, h=1e-6):
    p = np.asarray(p, dtype=float)
    grad = np.zeros_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        grad[i] = (f(p + e) - f(p - e)) / (2 * h)
    return grad


def test_bowl_gradient_is_the_sympy_derivative_of_the_bowl():
    x, y = sp.symbols("x y")
    J = x**2 + y**2
    grad = [sp.diff(J, v) for v in (x, y)]
    assert grad == [2 * x, 2 * y]  # the hint and docstrings state ∂J/∂x = 2x, ∂J/∂y = 2y
    point = {x: sp.Rational(3), y: sp.Rational(4)}
    assert [g.subs(point) for g in grad] == [6, 8]
    np.testing.assert_allclose(ref.bowl_gradient(np.array([3.0, 4.0])), [6.0, 8.0])


def test_quadratic_gradient_callable_matches_sympy():
    from grader.sandbox.callables import build

    ps = sp.symbols("p0:3")
    scales, center = [0.7, 1.3, 2.0], [0.5, -1.0, 2.5]
    J = sum(s * (p - c) ** 2 for s, p, c in zip(scales, ps, center, strict=True))
    point = [1.5, 0.25, -0.75]
    expected = [float(sp.diff(J, p).subs(dict(zip(ps, point, strict=True)))) for p in ps]
    np.testing.assert_allclose(build("quadratic_gradient", {"scales": scales, "center": center})(point), expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=6))
def test_bowl_gradient_matches_central_differences(values):
    p = np.array(values)
    np.testing.assert_allclose(ref.bowl_gradient(p), central_difference(ref.bowl_loss, p), rtol=1e-5, atol=1e-4)


def test_worked_example_from_the_notes():
    start = np.array([3.0, 4.0])
    assert ref.bowl_loss(start) == 25.0
    grad = ref.bowl_gradient(start)
    assert np.linalg.norm(grad) == 10.0
    step = ref.gradient_step(start, grad, 0.1)
    np.testing.assert_allclose(step, [2.4, 3.2])
    assert abs(ref.bowl_loss(step) - 16.0) < 1e-12


def test_gradient_step_does_not_touch_its_inputs():
    params, grad = np.array([3.0, 4.0]), np.array([6.0, 8.0])
    ref.gradient_step(params, grad, 0.1)
    assert params.tolist() == [3.0, 4.0] and grad.tolist() == [6.0, 8.0]


def test_bowl_descent_contracts_by_one_minus_two_alpha():
    # On the bowl each step multiplies θ by (1 − 2α): it converges iff |1 − 2α| < 1, i.e. 0 < α < 1.
    for alpha in (0.001, 0.1, 0.45, 0.9, 1.1):
        path = ref.gradient_descent(ref.bowl_gradient, np.array([3.0, 4.0]), alpha, 5)
        np.testing.assert_allclose(path[1:], path[:-1] * (1 - 2 * alpha))


def test_learning_rate_regimes_from_the_docstring():
    def losses(alpha):
        path = ref.gradient_descent(ref.bowl_gradient, np.array([3.0, 4.0]), alpha, 100)
        return np.array([ref.bowl_loss(p) for p in path])

    assert ref.classify_learning_rate(losses(0.1)) == "converged"
    assert ref.classify_learning_rate(losses(0.001)) == "too slow"
    assert ref.classify_learning_rate(losses(1.1)) == "diverged"
    assert ref.classify_learning_rate(losses(1.0)) == "diverged"  # bounces between ±(3, 4) forever
