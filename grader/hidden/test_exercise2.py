"""Hidden tests for exercise 2: partial derivatives and the gradient.

Symbolic answers are checked for equivalence with SymPy (any equivalent form
passes); numeric functions are compared with the reference on the notes'
worked example (∇J(3, 4) = (6, 8), |∇J| = 10) and on seeded random inputs.
Mutants and symbolic mistakes name the common misconceptions.
"""

from __future__ import annotations

import numpy as np

from grader.checking import Mutant, check_call
from grader.checking_symbolic import SymbolicMistake, check_symbolic
from grader.inputs import distinct_dims, nonzero
from grader.sandbox.codec import CallableRef

VARIABLES = ("x", "y")
BOWL = "x**2 + y**2"


def _poly(a: int, b: int, c: int) -> str:
    return f"{a}*x**2*y + {b}*y**3 + {c}*x"


def _pretty_poly(a: int, b: int, c: int) -> str:
    """a·x²·y + b·y³ + c·x with the signs folded in, e.g. "3·x²·y − 4·y³ + 2·x"."""
    text = f"{a}·x²·y"
    for k, term in ((b, "y³"), (c, "x")):
        text += f" {'−' if k < 0 else '+'} {abs(k)}·{term}"
    return text.replace("-", "−")


def _coefficients(rng: np.random.Generator) -> tuple[int, int, int]:
    """Three integers of distinct sizes 2..7 with random signs: no 0, ±1 or coincidences."""
    sizes = rng.choice(np.arange(2, 8), size=3, replace=False)
    signs = rng.choice([-1, 1], size=3)
    a, b, c = (int(s * m) for s, m in zip(signs, sizes, strict=True))
    return a, b, c


# -- symbolic partial derivatives ----------------------------------------------

def _bowl_mistakes(wrt: str) -> list[SymbolicMistake]:
    other = "y" if wrt == "x" else "x"
    return [
        SymbolicMistake(f"{wrt}", f"You dropped the factor 2: d({wrt}²)/d{wrt} = 2{wrt}."),
        SymbolicMistake(f"{wrt}**2", f"You returned {wrt}² itself; differentiate it: 2{wrt}."),
        SymbolicMistake(f"-2*{wrt}", f"Sign error: ∂(x² + y²)/∂{wrt} = +2{wrt}, not −2{wrt}."),
        SymbolicMistake(f"2*{other}", f"That is ∂J/∂{other}: you differentiated with respect to the wrong variable."),
        SymbolicMistake(f"2*{wrt} + {other}**2",
                        f"Holding {other} constant, {other}² is a constant: its derivative is 0, so drop it."),
        SymbolicMistake("2*x + 2*y",
                        f"You differentiated both terms; ∂/∂{wrt} holds {other} constant, so only {wrt}² counts."),
    ]


def test_bowl_partials(student, seed):
    """bowl_partials: ∂J/∂x and ∂J/∂y of the bowl J = x² + y² (at (3, 4) they give ∇J = (6, 8))."""
    for wrt in VARIABLES:
        check_symbolic(
            student, "bowl_partials", key=wrt, function=BOWL, wrt=wrt, variables=VARIABLES,
            question=f"∂J/∂{wrt} for J(x, y) = x² + y²", mistakes=_bowl_mistakes(wrt), seed=seed,
        )


def _poly_x_mistakes(a: int, b: int, c: int) -> list[SymbolicMistake]:
    return [
        SymbolicMistake(f"{a}*x*y + {c}", "You dropped the factor 2 of the power rule: d(x²)/dx = 2x."),
        SymbolicMistake(f"2*{a}*y + {c}",
                        "The power rule lowers the power by ONE: d(x²)/dx = 2x, so x stays (2·a·x·y, not 2·a·y)."),
        SymbolicMistake(f"2*{a}*x + {c}",
                        "You dropped y from 2·a·x·y: y is held constant, so it stays as a factor."),
        SymbolicMistake(f"2*{a}*x*y + {b}*y**3 + {c}",
                        "The term b·y³ has no x in it: holding y constant it is a constant, "
                        "and its partial derivative with respect to x is 0."),
        SymbolicMistake(f"2*{a}*x*y + {c}*x", "The derivative of c·x with respect to x is c, not c·x."),
        SymbolicMistake(f"2*{a}*x*y + {a}*x**2 + {c}",
                        "You used the product rule as if y changed with x; for ∂/∂x, y is a constant."),
        SymbolicMistake(f"{a}*x**2 + 3*{b}*y**2", "That is ∂f/∂y: you differentiated with respect to y."),
        SymbolicMistake(f"-(2*{a}*x*y + {c})", "Sign error: your answer is −1 × ∂f/∂x."),
    ]


def _poly_y_mistakes(a: int, b: int, c: int) -> list[SymbolicMistake]:
    return [
        SymbolicMistake(f"{a}*x**2 + {b}*y**2", "You dropped the factor 3 of the power rule: d(y³)/dy = 3y²."),
        SymbolicMistake(f"{a}*x**2 + 3*{b}*y**3", "The power rule lowers the power by one: d(y³)/dy = 3y²."),
        SymbolicMistake(f"{a}*x**2 + 3*{b}*y",
                        "The power rule lowers the power by ONE: d(y³)/dy = 3y², not 3y (a power of 1)."),
        SymbolicMistake(f"{a}*x**2 + 3*{b}*y**2 + {c}*x",
                        "The term c·x has no y in it: holding x constant, its partial derivative "
                        "with respect to y is 0."),
        SymbolicMistake(f"{a} + 3*{b}*y**2",
                        "You dropped x² from a·x²·y: x is held constant, so a·x² is the coefficient of y."),
        SymbolicMistake(f"2*{a}*x*y + {c}", "That is ∂f/∂x: you differentiated with respect to x."),
        SymbolicMistake(f"-({a}*x**2 + 3*{b}*y**2)", "Sign error: your answer is −1 × ∂f/∂y."),
    ]


def _check_poly(student, rng, seed, wrt: str) -> None:
    for _ in range(2):
        a, b, c = _coefficients(rng)
        mistakes = _poly_x_mistakes(a, b, c) if wrt == "x" else _poly_y_mistakes(a, b, c)
        check_symbolic(
            student, "poly_partials", [a, b, c], key=wrt, function=_poly(a, b, c), wrt=wrt,
            variables=VARIABLES, mistakes=mistakes, seed=seed,
            question=f"∂f/∂{wrt} for f(x, y) = {_pretty_poly(a, b, c)}",
        )


def test_poly_partials_x(student, rng, seed):
    """poly_partials: ∂f/∂x of f = a·x²·y + b·y³ + c·x, random coefficients (y held constant)."""
    _check_poly(student, rng, seed, "x")


def test_poly_partials_y(student, rng, seed):
    """poly_partials: ∂f/∂y of f = a·x²·y + b·y³ + c·x, random coefficients (x held constant)."""
    _check_poly(student, rng, seed, "y")


# -- numerical_gradient ----------------------------------------------------------

def _numgrad_mutants(ref) -> list[Mutant]:
    def forward(f, p, h=1e-5):
        p = np.asarray(p, dtype=float)
        return np.array([(f(p + h * e) - f(p)) / h for e in np.eye(p.size)])

    def backward(f, p, h=1e-5):
        p = np.asarray(p, dtype=float)
        return np.array([(f(p) - f(p - h * e)) / h for e in np.eye(p.size)])

    def over_h(f, p, h=1e-5):
        return 2.0 * ref.numerical_gradient(f, p, h)

    def all_at_once(f, p, h=1e-5):
        p = np.asarray(p, dtype=float)
        return np.full(p.size, (f(p + h) - f(p - h)) / (2 * h))

    def fixed_h(f, p, h=1e-5):
        return ref.numerical_gradient(f, p, 1e-5)

    def not_restored(f, p, h=1e-5):
        p = np.array(p, dtype=float)  # replays the bug on a copy
        grad = np.empty_like(p)
        for i in range(p.size):
            p[i] += h
            f_plus = f(p)
            p[i] -= 2 * h
            grad[i] = (f_plus - f(p)) / (2 * h)
        return grad

    return [
        Mutant("You used the forward difference (f(p + h·e_i) − f(p)) / h; the docstring asks for "
               "the central difference (f(p + h·e_i) − f(p − h·e_i)) / (2h), whose error is far smaller.",
               forward),
        Mutant("You used the backward difference (f(p) − f(p − h·e_i)) / h; use the central difference "
               "(f(p + h·e_i) − f(p − h·e_i)) / (2h).", backward),
        Mutant("You divided by h instead of 2h: the two points p ± h·e_i are 2h apart.", over_h),
        Mutant("You moved every coordinate at once; a partial derivative moves only p_i "
               "(p ± h·e_i) and holds the others constant.", all_at_once),
        Mutant("You ignored the argument h and used a fixed step; use the h you are given.", fixed_h),
        Mutant("You moved `point` itself (point[i] += h, point[i] -= 2h) and never moved it back, so every "
               "later partial is taken at a shifted point; move a copy instead.", not_restored),
    ]


def _numgrad_atol(f: CallableRef, point: np.ndarray, h: float) -> float:
    # Central differences carry rounding noise of about eps·|f| / h, whatever the formula's
    # arrangement; allow that much, far below the O(h) error of a one-sided difference.
    return 32 * np.finfo(float).eps * (1.0 + abs(f(point))) / h


def _check_numgrad(student, ref, f: CallableRef, point: np.ndarray, h: float | None = None,
                   *, keep_inputs: bool = False) -> None:
    kwargs = {} if h is None else {"h": h}
    check_call(
        student, ref.numerical_gradient, "numerical_gradient", [f, point], kwargs,
        mutants=_numgrad_mutants(ref), rtol=1e-7, atol=_numgrad_atol(f, point, h or 1e-5),
        inputs_must_not_change=keep_inputs, check_value=not keep_inputs,
    )


def test_numerical_gradient_worked_example(student, ref):
    """numerical_gradient of the bowl J = x² + y² at (3, 4) is (6, 8)."""
    _check_numgrad(student, ref, CallableRef("bowl_loss"), np.array([3.0, 4.0]))


def test_numerical_gradient_random(student, ref, rng):
    """numerical_gradient of random smooth losses at random points (one of large magnitude)."""
    for d in distinct_dims(rng, 2, 2, 6):
        scales = rng.uniform(0.5, 3.0, size=d).tolist()
        f = CallableRef("quadratic_loss", scales=scales, center=nonzero(rng, (d,)).tolist())
        _check_numgrad(student, ref, f, nonzero(rng, (d,)))
    d = int(rng.integers(3, 7))
    _check_numgrad(student, ref, CallableRef("log_sum_exp_loss", weights=nonzero(rng, (d,)).tolist()),
                   nonzero(rng, (d,)))
    a, b, c = _coefficients(rng)
    _check_numgrad(student, ref, CallableRef("cubic_poly_loss", a=a, b=b, c=c), nonzero(rng, (2,)))
    f = CallableRef("quadratic_loss", scales=[1.0, 2.0, 0.5], center=nonzero(rng, (3,)).tolist())
    _check_numgrad(student, ref, f, nonzero(rng, (3,), 1e2, 1e3))


def test_numerical_gradient_step_size(student, ref, rng):
    """numerical_gradient uses the step h it is given (checked with larger h on non-quadratic losses)."""
    for h in (0.05, 0.01):
        a, b, c = _coefficients(rng)
        _check_numgrad(student, ref, CallableRef("cubic_poly_loss", a=a, b=b, c=c), nonzero(rng, (2,)), h)
    d = int(rng.integers(3, 6))
    _check_numgrad(student, ref, CallableRef("log_sum_exp_loss", weights=nonzero(rng, (d,)).tolist()),
                   nonzero(rng, (d,)), 0.02)


def test_numerical_gradient_integer_point(student, ref, rng):
    """numerical_gradient at a point of integers: point ± h must not be rounded back to integers."""
    d = int(rng.integers(2, 5))
    f = CallableRef("quadratic_loss", scales=rng.uniform(0.5, 3.0, size=d).tolist(),
                    center=nonzero(rng, (d,)).tolist())
    point = rng.integers(-5, 6, size=d)
    check_call(student, ref.numerical_gradient, "numerical_gradient", [f, point],
               mutants=[Mutant("Integer truncation: a copy of an integer point stays integer, so point + h is "
                               "rounded back to point and your differences are 0. Copy it as floats: "
                               "np.array(point, dtype=float).", lambda f, p, h=1e-5: np.zeros(len(p))),
                        *_numgrad_mutants(ref)],
               rtol=1e-7, atol=_numgrad_atol(f, point.astype(float), 1e-5), inputs_must_not_change=False)


def test_numerical_gradient_keeps_point(student, ref, rng):
    """numerical_gradient leaves the point it is given unchanged."""
    d = int(rng.integers(3, 6))
    f = CallableRef("quadratic_loss", scales=rng.uniform(0.5, 3.0, size=d).tolist(),
                    center=nonzero(rng, (d,)).tolist())
    _check_numgrad(student, ref, f, nonzero(rng, (d,)), keep_inputs=True)


# -- gradient_magnitude ----------------------------------------------------------

MAGNITUDE_MUTANTS = [
    Mutant("You returned the squared length Σg²; the magnitude is its square root √(Σg²).",
           lambda g: float(np.sum(np.asarray(g) ** 2))),
    Mutant("You added the absolute values (Σ|g_i|); the magnitude is the Euclidean length √(Σg²).",
           lambda g: float(np.sum(np.abs(g)))),
    Mutant("You added the components; the magnitude is the length √(Σg²).", lambda g: float(np.sum(g))),
    Mutant("You returned the largest component; the magnitude is the length √(Σg²).",
           lambda g: float(np.max(np.abs(g)))),
    Mutant("You returned |g_i| for each component; the magnitude is one number, √(Σg²).",
           lambda g: np.abs(np.asarray(g, dtype=float))),
]


def test_gradient_magnitude_worked_example(student, ref):
    """gradient_magnitude of the notes' gradient (6, 8) is √(36 + 64) = 10."""
    check_call(student, ref.gradient_magnitude, "gradient_magnitude", [np.array([6.0, 8.0])],
               mutants=MAGNITUDE_MUTANTS)


def test_gradient_magnitude_random(student, ref, rng):
    """gradient_magnitude of random gradients of several sizes, one of large magnitude."""
    for d in distinct_dims(rng, 3):
        check_call(student, ref.gradient_magnitude, "gradient_magnitude", [nonzero(rng, (d,))],
                   mutants=MAGNITUDE_MUTANTS)
    check_call(student, ref.gradient_magnitude, "gradient_magnitude", [nonzero(rng, (4,), 1e3, 1e5)],
               mutants=MAGNITUDE_MUTANTS)


# -- steepest_ascent_direction ---------------------------------------------------

def _ascent_mutants() -> list[Mutant]:
    def as_float(g):
        return np.asarray(g, dtype=float)

    return [
        Mutant("You returned ∇J itself; divide it by its length |∇J| to get a unit vector.", as_float),
        Mutant("That is the steepest DESCENT direction −∇J/|∇J|; the gradient itself points uphill.",
               lambda g: -as_float(g) / np.linalg.norm(as_float(g))),
        Mutant("You divided by |∇J|² instead of |∇J|: the result must have length 1.",
               lambda g: as_float(g) / np.sum(as_float(g) ** 2)),
        Mutant("You divided by Σ|g_i|; a unit vector is divided by its Euclidean length √(Σg²).",
               lambda g: as_float(g) / np.sum(np.abs(as_float(g)))),
        Mutant("You divided by the largest component; divide by the length √(Σg²).",
               lambda g: as_float(g) / np.max(np.abs(as_float(g)))),
    ]


def test_steepest_ascent_worked_example(student, ref):
    """steepest_ascent_direction of (6, 8) is (6, 8)/10 = (0.6, 0.8)."""
    check_call(student, ref.steepest_ascent_direction, "steepest_ascent_direction", [np.array([6.0, 8.0])],
               mutants=_ascent_mutants())


def test_steepest_ascent_random(student, ref, rng):
    """steepest_ascent_direction of random gradients (unit length, same direction), one large."""
    for d in distinct_dims(rng, 3):
        check_call(student, ref.steepest_ascent_direction, "steepest_ascent_direction",
                   [nonzero(rng, (d,))], mutants=_ascent_mutants())
    check_call(student, ref.steepest_ascent_direction, "steepest_ascent_direction",
               [nonzero(rng, (5,), 1e3, 1e5)], mutants=_ascent_mutants())


def test_steepest_ascent_zero_gradient(student, ref, rng):
    """steepest_ascent_direction at a stationary point (∇J = 0) is the zero vector."""
    zero_mutants = [
        Mutant("At a stationary point |∇J| = 0, so ∇J/|∇J| is 0/0 = NaN; return the zero vector there.",
               lambda g: np.full(np.shape(g), np.nan)),
    ]
    for d in (2, int(rng.integers(3, 7))):
        check_call(student, ref.steepest_ascent_direction, "steepest_ascent_direction", [np.zeros(d)],
                   mutants=zero_mutants)


# -- directional_derivative --------------------------------------------------------

def _directional_mutants() -> list[Mutant]:
    def as_float(v):
        return np.asarray(v, dtype=float)

    return [
        Mutant("You returned ∇J · direction without dividing by |direction|: the rate is per unit "
               "distance, so use the unit vector u = direction / |direction|.",
               lambda g, d: float(as_float(g) @ as_float(d))),
        Mutant("You divided by |direction|²; u = direction / |direction| has length 1.",
               lambda g, d: float(as_float(g) @ as_float(d) / np.sum(as_float(d) ** 2))),
        Mutant("You returned cos θ only (divided by |∇J| as well); the rate is |∇J| cos θ = ∇J · u.",
               lambda g, d: float(as_float(g) @ as_float(d) / np.linalg.norm(g) / np.linalg.norm(d))),
        Mutant("You returned the products g_i·u_i; the directional derivative is their sum ∇J · u.",
               lambda g, d: as_float(g) * as_float(d) / np.linalg.norm(d)),
        Mutant("Sign error: moving along ∇J increases J, so the rate along u is +∇J · u.",
               lambda g, d: -float(as_float(g) @ as_float(d) / np.linalg.norm(d))),
    ]


def test_directional_derivative_random(student, ref, rng):
    """directional_derivative along random directions of random lengths, one of large magnitude."""
    for d in distinct_dims(rng, 3):
        direction = nonzero(rng, (d,)) * rng.uniform(0.2, 5.0)
        check_call(student, ref.directional_derivative, "directional_derivative",
                   [nonzero(rng, (d,)), direction], mutants=_directional_mutants())
    check_call(student, ref.directional_derivative, "directional_derivative",
               [nonzero(rng, (4,), 1e3, 1e5), nonzero(rng, (4,), 1e2, 1e4)], mutants=_directional_mutants())


def test_directional_derivative_steepest(student, ref, rng):
    """directional_derivative is +|∇J| along ∇J, −|∇J| along −∇J and 0 along a contour line."""
    for grad in (np.array([6.0, 8.0]), nonzero(rng, (int(rng.integers(3, 6)),))):
        scale = float(rng.uniform(0.2, 5.0))
        contour = rng.normal(size=grad.size)
        contour -= (contour @ grad) / (grad @ grad) * grad  # remove the part along ∇J
        cases = [(scale * grad, "along ∇J"), (-scale * grad, "along −∇J, the gradient-descent direction"),
                 (contour, "along a contour line (perpendicular to ∇J)")]
        for direction, where in cases:
            check_call(student, ref.directional_derivative, "directional_derivative", [grad, direction],
                       mutants=_directional_mutants(), atol=1e-9 * float(np.linalg.norm(grad)),
                       context=f"The rate of change of J {where}:")
