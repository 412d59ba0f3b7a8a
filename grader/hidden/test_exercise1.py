"""Hidden tests for exercise 1: the update rule.

Each test compares the student's function with the reference on the notes'
worked example or on seeded random inputs; mutants name common mistakes.
"""

from __future__ import annotations

import numpy as np

from grader.checking import Mutant, check_call, check_calls, check_raises, fail
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
    Mutant("You applied the learning rate twice: the step is α·∇J, not α²·∇J.", lambda p, g, a: p - a * a * g),
    Mutant("You computed in float32, which keeps only about 7 significant digits: compute in float64 "
           "(numpy's default).",
           lambda p, g, a: (np.asarray(p, dtype=np.float32) - np.float32(a) * np.asarray(g, dtype=np.float32))
           .astype(float)),
    Mutant("Integer truncation: your result was stored in an integer array (e.g. `new = params.copy()` of "
           "integer params, then `new -= …`); convert to float first: np.asarray(params, dtype=float).",
           lambda p, g, a: np.trunc(np.asarray(p, dtype=float) - a * np.asarray(g, dtype=float))),
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

    # θ -= α·∇J on the array already appended: every appended row is one and the same array
    def aliased_rows(fn, s, a, n):
        path = ref.gradient_descent(fn, s, a, n)
        return np.vstack([path[:1], np.tile(path[-1], (n, 1))]) if n else path

    def aliased_all(fn, s, a, n):
        path = ref.gradient_descent(fn, s, a, n)
        return np.tile(path[-1], (n + 1, 1))

    return [
        Mutant("Row 0 of the trajectory must be the start point; yours begins after the first step.", skip_start),
        Mutant("Your trajectory takes one step too few: n_steps updates give n_steps + 1 rows.", one_short),
        Mutant("Your trajectory takes one step too many.", one_long),
        Mutant("Your steps go uphill (θ + α·∇J): gradient descent subtracts the gradient.", ascent),
        Mutant("You returned only the final point; return every θ_k, shape (n_steps + 1, d).", final_only),
        Mutant("Every row is the start point: update θ inside the loop and use the new θ for the next gradient.",
               start_repeated),
        Mutant("Every row after the start is the final point: you appended θ, then changed that same array in "
               "place (θ -= …), so all the appended rows are one array. Append a copy (θ.copy()), or write "
               "θ = θ − α·∇J, which makes a new array.", aliased_rows),
        Mutant("Every row is the final point, the start too: you appended θ itself and then changed it in place "
               "(θ -= …). Append copies (θ.copy()), or write θ = θ − α·∇J, which makes a new array.", aliased_all),
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


def test_gradient_step_integer_inputs(student, ref, rng):
    """gradient_step on integer params and grad returns float parameters (no integer truncation)."""
    for d in distinct_dims(rng, 2):
        params = rng.integers(-9, 10, size=d)
        grad = rng.integers(1, 10, size=d) * rng.choice([-1, 1], size=d)
        check_call(student, ref.gradient_step, "gradient_step", [params, grad, learning_rate(rng)],
                   mutants=STEP_MUTANTS, inputs_must_not_change=False)


def test_gradient_step_precision(student, ref, rng):
    """gradient_step keeps float64 precision: a tiny step from parameters in the thousands."""
    params = rng.uniform(1e3, 1e4, size=4) + rng.uniform(0.1, 0.9, size=4)
    grad = rng.uniform(0.5, 2.0, size=4)
    check_call(student, ref.gradient_step, "gradient_step", [params, grad, 1e-4], mutants=STEP_MUTANTS,
               rtol=1e-12, atol=0.0, inputs_must_not_change=False)


def test_gradient_step_keeps_inputs(student, ref, rng):
    """gradient_step returns a new array and leaves params and grad untouched."""
    args = [nonzero(rng, (4,)), nonzero(rng, (4,)), learning_rate(rng)]
    check_call(student, ref.gradient_step, "gradient_step", args, mutants=STEP_MUTANTS, check_value=False)


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


def test_gradient_descent_zero_steps(student, ref, rng):
    """gradient_descent with n_steps = 0 returns the start alone, as one row of shape (1, d)."""
    d = int(rng.integers(2, 6))
    args = [CallableRef("bowl_gradient"), nonzero(rng, (d,)), 0.1, 0]
    check_call(student, ref.gradient_descent, "gradient_descent", args, mutants=[
        Mutant("With n_steps = 0 the trajectory is the start point as ONE ROW, shape (1, d), not a "
               "vector of shape (d,).", lambda fn, s, a, n: np.array(s, dtype=float)),
        *_trajectory_mutants(ref),
    ])


# -- classify_learning_rate ----------------------------------------------------

def _rule(losses, rtol=1e-2, window=10, atol=1e-12, *, strict=False, w_fixed=None, rising=True,
          level_first=False, zero_rule=True, finite=True, never_fell=">=", base="before"):
    """The documented rule with one switch flipped per mistake (the reference is all defaults)."""
    losses = np.asarray(losses, dtype=float)
    if losses.size < 2:
        raise ValueError("too short")
    if finite and not np.all(np.isfinite(losses)):
        return "diverged"
    first, last = losses[0], losses[-1]
    if zero_rule and last <= atol:
        return "converged"
    w = w_fixed if w_fixed is not None else min(window, losses.size - 1)
    before = losses[-1 - w]
    scale = before if base == "before" else last
    levelled = abs(last - before) < rtol * scale if strict else abs(last - before) <= rtol * scale
    fell = last < first if never_fell == ">=" else last <= first
    if level_first and levelled:
        return "converged"
    if not fell:
        return "diverged"
    if levelled:
        return "converged"
    if rising and last > before:
        return "diverged"
    return "too slow"


def _old_rule(losses, rtol=1e-2, window=10, atol=1e-12):
    losses = np.asarray(losses, dtype=float)
    if not np.all(np.isfinite(losses)):
        return "diverged"
    if losses[-1] <= 1e-6:
        return "converged"
    return "diverged" if losses[-1] >= losses[0] else "too slow"


def _mutant(message, **flags):
    return Mutant(message, lambda losses, **kw: _rule(losses, **kw, **flags))


CLASSIFY_MUTANTS = [
    Mutant("You judged convergence by the loss LEVEL (loss ≤ 1e-6), the old rule; a run has converged when "
           "the loss stops changing: |J_n − J_{n−w}| ≤ rtol·J_{n−w} (rule 4), whatever level it settles at.",
           _old_rule),
    _mutant("You compared only the last two losses; the rule looks at the change over the last w = "
            "min(window, n) steps, J_n against J_{n−w}.", w_fixed=1),
    _mutant("Boundary: a change of exactly rtol·J_{n−w} counts as levelled off (≤, not <).", strict=True),
    _mutant("Your rule misses a rising tail: a loss that fell and then climbed over the last w steps "
            "(J_n > J_{n−w}) is \"diverged\" (rule 5).", rising=False),
    _mutant("Rule order: check \"the loss never fell\" (J_n ≥ J_0, rule 3) before \"levelled off\" (rule 4); "
            "a loss that stays at its starting value bounces, it has not converged.", level_first=True),
    _mutant("You left out rule 2: a last loss ≤ atol is \"converged\"; near a zero minimum the relative "
            "change stays large (×0.64 per step on the bowl at α = 0.1) even when the loss is 1e-18.",
            zero_rule=False),
    _mutant("Boundary: \"never fell\" is J_n ≥ J_0 (a loss back at its start has not fallen), not J_n > J_0.",
            never_fell=">"),
    _mutant("The relative change is measured against J_{n−w}, the loss at the start of the window, "
            "not against the last loss.", base="last"),
]


def _classify(student, ref, cases, contexts=None):
    """Check (losses, kwargs) cases; the diagnosis is the mistake that explains all of them."""
    calls = [([np.asarray(losses, dtype=float)], kwargs) for losses, kwargs in cases]
    check_calls(student, ref.classify_learning_rate, "classify_learning_rate", calls,
                mutants=CLASSIFY_MUTANTS, contexts=contexts)


def _bowl_losses(ref, alpha, steps=100):
    path = ref.gradient_descent(ref.bowl_gradient, np.array([3.0, 4.0]), alpha, steps)
    return np.sum(path**2, axis=1)


def test_classify_learning_rate_bowl(student, ref):
    """classify_learning_rate on the bowl: α = 0.001 too slow, 0.1 converged, 1.1 diverged, 1.0 bounces."""
    cases, contexts = [], []
    for alpha, verdict in ((0.001, "too slow"), (0.1, "converged"), (1.1, "diverged"), (1.0, "diverged")):
        losses = _bowl_losses(ref, alpha)
        if ref.classify_learning_rate(losses) != verdict:  # guards the reference itself
            fail(f"internal: reference disagrees for α = {alpha}")
        cases.append((losses, {}))
        contexts.append(f"The bowl from (3, 4) with α = {alpha} for 100 steps:")
    _classify(student, ref, cases, contexts)


def test_classify_learning_rate_house_prices(student, ref, rng):
    """classify_learning_rate on batch GD for house prices: levelled at the noise variance is converged."""
    from grader.catalog import resolve
    from grader.datasets import house_prices
    from grader.runner import graded_reference

    ex5 = graded_reference(resolve("exercise5"))
    X, y = house_prices(int(rng.integers(150, 250)), seed=int(rng.integers(2**31)))
    cases, contexts = [], []
    for alpha, epochs, verdict in ((0.3, 100, "converged"), (0.01, 60, "too slow")):
        losses = ex5.batch_gd(X, y, np.zeros(X.shape[1]), 0.0, alpha, epochs)[2]
        if ref.classify_learning_rate(losses) != verdict:
            fail(f"internal: reference disagrees for house prices at α = {alpha}")
        cases.append((losses, {}))
        contexts.append(
            f"Batch GD on {len(y)} houses, α = {alpha}, {epochs} epochs (the loss levels at about "
            f"{losses[-1]:.4g}, the noise variance):" if verdict == "converged" else
            f"Batch GD on {len(y)} houses, α = {alpha}, {epochs} epochs (still falling):")
    _classify(student, ref, cases, contexts)


def test_classify_learning_rate_boundaries(student, ref, rng):
    """classify_learning_rate on both sides of every threshold: rtol, the window, a rising tail, J_n = J_0."""
    start = float(rng.uniform(5, 50))
    n = int(rng.integers(25, 40))
    fast = start * 0.7 ** np.arange(n)
    cases = [
        # a change of exactly rtol·J_{n−w} (exact in binary): levelled, so converged
        (np.array([8.0, 4.0, 3.0]), {"rtol": 0.25, "window": 1}),
        (np.array([8.0, 4.0, 3.0 - 1e-9]), {"rtol": 0.25, "window": 1}),
        # within rtol of J_{n−w} (0.9 ≤ 0.25·4) but not of J_n (0.9 > 0.25·3.1): converged
        (np.array([8.0, 4.0, 3.1]), {"rtol": 0.25, "window": 1}),
        # rose above the start, then fell back exactly to J_0: it never fell below the start
        (np.array([10.0, 20.0, 40.0, 80.0, 10.0]), {"window": 1}),
        # falling fast over the window, but the very last step is tiny: still too slow
        (np.append(fast, fast[-1] * 0.999), {}),
        # fell, then a rising tail (still below the start): diverged
        (np.concatenate([fast[:15], fast[14] * 1.5 ** np.arange(1, 6)]), {}),
        # levelled with noise: up by 0.5 % over the window is within rtol: converged
        (np.concatenate([fast[:12], np.full(12, 0.0643), [0.0643 * 1.005]]), {}),
        # back at the starting value after a dip: never fell below J_0
        (np.concatenate([[start], start * 0.5 ** np.arange(1, 8), [start]]), {}),
        # a custom window and rtol
        (start * (1 - 0.004 * np.arange(n)), {"window": 3, "rtol": 0.02}),
        (start * (1 - 0.004 * np.arange(n)), {"window": 30}),
    ]
    _classify(student, ref, cases)


def test_classify_learning_rate_edge_cases(student, ref, rng):
    """classify_learning_rate: NaN and inf, one step, a zero loss, and ValueError for fewer than two losses."""
    start = float(rng.uniform(5, 50))
    n = int(rng.integers(20, 60))
    _classify(student, ref, [(losses, {}) for losses in (
        np.append(start * np.ones(n - 1), np.nan),
        np.append(start * 0.5 ** np.arange(n - 1), np.inf),
        np.array([start, np.nan, start / 2]),
        np.array([start, start / 2]),                  # one step: w = 1
        np.array([start, start * 1.2]),
        np.array([start, 0.0]),                        # lands exactly on the minimum
        np.full(n, 0.0),                               # starts there
    )])
    for losses in (np.array([]), np.array([start])):
        check_raises(student, "classify_learning_rate", [losses], "ValueError",
                     because="for fewer than two losses (no step to judge)",
                     reference=ref.classify_learning_rate)
