"""Hidden tests for exercise 1: the update rule.

Each test compares the student's function with the reference on the notes'
worked example or on seeded random inputs; mutants name common mistakes.
"""

from __future__ import annotations

import numpy as np

from grader.checking import Mutant, check_call, fail
from grader.inputs import distinct_dims, learning_rate, nonzero
from grader.sandbox.codec import CallableRef

LOSS_MUTANTS = [
    Mutant("You returned the length √(Σp²) of the vector; the bowl is the sum of squares Σp².",
           lambda p: float(np.sqrt(np.sum(np.asarray(p) ** 2)))),
    Mutant("You summed the coordinates without squaring them: J = Σ p_i².",
           lambda p: float(np.sum(p))),
    Mutant("You returned the squares as an array; J is their sum, a single number.",
           lambda p: np.asarray(p, dtype=float) ** 2),
]

GRADIENT_MUTANTS = [
    Mutant("You dropped the factor 2: d(p²)/dp = 2p, not p.", lambda p: np.asarray(p, dtype=float)),
    Mutant("You returned p², the loss terms, not their derivative 2p.", lambda p: np.asarray(p, dtype=float) ** 2),
    Mutant("Sign error: the gradient of Σp² is +2p (it points uphill); the minus sign belongs in the update.",
           lambda p: -2.0 * np.asarray(p, dtype=float)),
]

STEP_MUTANTS = [
    Mutant("You added the gradient step instead of subtracting it: the gradient points uphill, "
           "so the update is θ − α·∇J.", lambda p, g, a: p + a * g),
    Mutant("The learning rate is not applied: the step is α·∇J, not ∇J.", lambda p, g, a: p - g),
    Mutant("You returned the step α·∇J itself, not the new parameters θ − α·∇J.", lambda p, g, a: a * g),
    Mutant("You returned the step −α·∇J, not the new parameters θ − α·∇J.", lambda p, g, a: -a * g),
    Mutant("You returned the gradient instead of the new parameters.", lambda p, g, a: g),
    Mutant("You divided by the learning rate instead of multiplying: θ − α·∇J.", lambda p, g, a: p - g / a),
    Mutant("You returned the old parameters unchanged.", lambda p, g, a: p),
]


def _trajectory_mutants(ref):
    def skip_start(fn, s, a, n):
        return ref.gradient_descent(fn, s, a, n)[1:]

    def one_short(fn, s, a, n):
        return ref.gradient_descent(fn, s, a, max(n - 1, 0))

    def one_long(fn, s, a, n):
        return ref.gradient_descent(fn, s, a, n + 1)

    def ascent(fn, s, a, n):
        return ref.gradient_descent(fn, s, -a, n)

    def final_only(fn, s, a, n):
        return ref.gradient_descent(fn, s, a, n)[-1]

    def start_repeated(fn, s, a, n):
        return np.tile(np.asarray(s, dtype=float), (n + 1, 1))

    return [
        Mutant("Row 0 of the trajectory must be the start point; yours begins after the first step.", skip_start),
        Mutant("Your trajectory takes one step too few: n_steps updates give n_steps + 1 rows.", one_short),
        Mutant("Your trajectory takes one step too many.", one_long),
        Mutant("Your steps go uphill (θ + α·∇J): gradient descent subtracts the gradient.", ascent),
        Mutant("You returned only the final point; return every θ_k, shape (n_steps + 1, d).", final_only),
        Mutant("Every row is the start point: update θ inside the loop and use the new θ for the next gradient.",
               start_repeated),
    ]


# -- bowl_loss ---------------------------------------------------------------

def test_bowl_loss_worked_example(student, ref):
    """bowl_loss at the notes' points: J(3, 4) = 25 and J(2.4, 3.2) = 16."""
    check_call(student, ref.bowl_loss, "bowl_loss", [np.array([3.0, 4.0])], mutants=LOSS_MUTANTS)
    check_call(student, ref.bowl_loss, "bowl_loss", [np.array([2.4, 3.2])], mutants=LOSS_MUTANTS)


def test_bowl_loss_random(student, ref, rng):
    """bowl_loss on random points of several dimensions, one of large magnitude."""
    for d in distinct_dims(rng, 3):
        check_call(student, ref.bowl_loss, "bowl_loss", [nonzero(rng, (d,))], mutants=LOSS_MUTANTS)
    check_call(student, ref.bowl_loss, "bowl_loss", [nonzero(rng, (4,), 1e3, 1e4)], mutants=LOSS_MUTANTS)


# -- bowl_gradient -----------------------------------------------------------

def test_bowl_gradient_worked_example(student, ref):
    """bowl_gradient at (3, 4) is (6, 8)."""
    check_call(student, ref.bowl_gradient, "bowl_gradient", [np.array([3.0, 4.0])], mutants=GRADIENT_MUTANTS)


def test_bowl_gradient_random(student, ref, rng):
    """bowl_gradient on random points of several dimensions."""
    for d in distinct_dims(rng, 3):
        check_call(student, ref.bowl_gradient, "bowl_gradient", [nonzero(rng, (d,))], mutants=GRADIENT_MUTANTS)


# -- gradient_step -----------------------------------------------------------

def test_gradient_step_worked_example(student, ref):
    """gradient_step on the notes' example: (3, 4) − 0.1·(6, 8) = (2.4, 3.2)."""
    check_call(
        student, ref.gradient_step, "gradient_step",
        [np.array([3.0, 4.0]), np.array([6.0, 8.0]), 0.1], mutants=STEP_MUTANTS,
        inputs_must_not_change=False,  # mutation has a test of its own
    )


def test_gradient_step_random(student, ref, rng):
    """gradient_step on random parameters, gradients and learning rates."""
    for d in distinct_dims(rng, 3):
        args = [nonzero(rng, (d,)), nonzero(rng, (d,)), learning_rate(rng)]
        check_call(student, ref.gradient_step, "gradient_step", args, mutants=STEP_MUTANTS,
                   inputs_must_not_change=False)
    big = [nonzero(rng, (5,), 1e3, 1e5), nonzero(rng, (5,), 1e3, 1e5), learning_rate(rng)]
    check_call(student, ref.gradient_step, "gradient_step", big, mutants=STEP_MUTANTS,
               inputs_must_not_change=False)


def test_gradient_step_keeps_inputs(student, ref, rng):
    """gradient_step returns a new array and leaves params and grad untouched."""
    args = [nonzero(rng, (4,)), nonzero(rng, (4,)), learning_rate(rng)]
    check_call(student, ref.gradient_step, "gradient_step", args, mutants=STEP_MUTANTS)


# -- gradient_descent --------------------------------------------------------

def test_gradient_descent_worked_example(student, ref):
    """gradient_descent on the bowl from (3, 4), α = 0.1, three steps: (3,4) → (2.4,3.2) → …"""
    args = [CallableRef("bowl_gradient"), np.array([3.0, 4.0]), 0.1, 3]
    check_call(student, ref.gradient_descent, "gradient_descent", args, mutants=_trajectory_mutants(ref))


def test_gradient_descent_random_quadratic(student, ref, rng):
    """gradient_descent on random stretched bowls J = Σ s_i (p_i − c_i)² from random starts."""
    for d in distinct_dims(rng, 2):
        scales = rng.uniform(0.5, 2.0, size=d).tolist()
        center = nonzero(rng, (d,)).tolist()
        grad_fn = CallableRef("quadratic_gradient", scales=scales, center=center)
        n_steps = int(rng.integers(4, 12))
        args = [grad_fn, nonzero(rng, (d,)), learning_rate(rng, 0.05, 0.2), n_steps]
        check_call(student, ref.gradient_descent, "gradient_descent", args, mutants=_trajectory_mutants(ref))


# -- classify_learning_rate ----------------------------------------------------

def _bowl_losses(ref, alpha, steps=100):
    path = ref.gradient_descent(ref.bowl_gradient, np.array([3.0, 4.0]), alpha, steps)
    return np.sum(path**2, axis=1)


def test_classify_learning_rate_bowl(student, ref):
    """classify_learning_rate on the bowl: α = 0.001 too slow, 0.1 converged, 1.1 diverged."""
    for alpha, verdict in ((0.001, "too slow"), (0.1, "converged"), (1.1, "diverged")):
        losses = _bowl_losses(ref, alpha)
        if ref.classify_learning_rate(losses) != verdict:  # guards the reference itself
            fail(f"internal: reference disagrees for α = {alpha}")
        check_call(
            student, ref.classify_learning_rate, "classify_learning_rate", [losses],
            context=f"The bowl from (3, 4) with α = {alpha} for 100 steps:",
        )


def test_classify_learning_rate_random(student, ref, rng):
    """classify_learning_rate on random loss histories, including NaN, oscillation and custom tol."""
    n = int(rng.integers(20, 60))
    start = float(rng.uniform(5, 50))
    cases = [
        start * np.exp(-rng.uniform(0.5, 1.0) * np.arange(n)),        # falls fast: converged
        start * (1 - rng.uniform(0.001, 0.01) * np.arange(n)),        # falls slowly
        start * rng.uniform(1.1, 1.5) ** np.arange(n),                 # grows: diverged
        np.full(n, start),                                             # bounces at the same height
        np.full(n, rng.uniform(1e-9, 1e-7)),                           # starts at the minimum
        np.append(start * np.ones(n - 1), np.nan),                     # blew up to NaN
        np.append(start * np.ones(n - 1), np.inf),
    ]
    for losses in cases:
        check_call(student, ref.classify_learning_rate, "classify_learning_rate", [losses])
    slow = start * (1 - 0.001 * np.arange(n))
    check_call(student, ref.classify_learning_rate, "classify_learning_rate", [slow],
               {"tol": float(slow[-1]) + 1.0})
