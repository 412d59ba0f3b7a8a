"""Hidden tests for exercise 9: momentum, Nesterov, AdaGrad, RMSProp, Adam, schedules.

Single steps are checked from the initial state (t = 1, hand-computable) and
from random states (t > 1); whole trajectories through `run_steps` are compared
at t = 1, 2 and 5 on the same gradients (CS231n style), and `minimize` on the
narrow valley. Tolerances are tight (rtol 1e−9): the formulas are exact, so a
float32 implementation or a misplaced ε shows. Known mistakes are recognised by
the step variants of `_step` below, written independently of the reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grader.checking import Mutant, check_call, fail, format_call
from grader.compare import compare, describe
from grader.inputs import distinct_dims, learning_rate, nonzero
from grader.parts import parts_equal
from grader.sandbox.codec import CallableRef

RTOL, ATOL = 1e-9, 1e-12
KAPPA = 50.0
NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
STEP_PARTS = ("new params", "new state")


# -- an independent implementation of every step, with known mistakes as variants ----------

def _step(name: str, params: Any, grads: Any, state: dict[str, Any], hyper: dict[str, float],
          mistake: str = "") -> tuple[Any, dict[str, Any]]:
    """One optimizer step; `mistake` names a known-wrong variant ("" is the right formula)."""
    p = np.asarray(params, dtype=float)
    g = np.asarray(grads, dtype=float)
    lr, eps = hyper["lr"], hyper.get("eps", 0.0)
    with np.errstate(all="ignore"):
        if name == "sgd":
            return (p + lr * g if mistake == "ascent" else p - lr * g), {}
        if name in ("momentum", "nesterov"):
            beta, v_old = hyper["beta"], np.asarray(state["v"], dtype=float)
            v = {"ema": beta * v_old + (1 - beta) * g, "no_state": g, "beta_on_g": v_old + beta * g,
                 "minus_g": beta * v_old - g}.get(mistake, beta * v_old + g)
            if name == "momentum":
                move = v_old if mistake == "old_v" else v
            else:
                move = {"plain": v, "no_beta": g + v, "old_v": g + beta * v_old}.get(mistake, g + beta * v)
            return (p + lr * move if mistake == "ascent" else p - lr * move), {"v": v}
        if name == "adagrad":
            G_old = np.asarray(state["G"], dtype=float)
            G = g * g if mistake == "no_accumulate" else G_old + g * g
            denom = {"no_sqrt": G + eps, "eps_inside": np.sqrt(G + eps),
                     "old_G": np.sqrt(G_old) + eps}.get(mistake, np.sqrt(G) + eps)
            return p - lr * g / denom, {"G": G}
        if name == "rmsprop":
            rho, s_old = hyper["rho"], np.asarray(state["s"], dtype=float)
            s = {"no_one_minus": rho * s_old + g * g, "swapped": (1 - rho) * s_old + rho * g * g,
                 "sum": s_old + g * g}.get(mistake, rho * s_old + (1 - rho) * g * g)
            denom = {"no_sqrt": s + eps, "eps_inside": np.sqrt(s + eps)}.get(mistake, np.sqrt(s) + eps)
            return p - lr * g / denom, {"s": s}
        if name == "adam":
            b1, b2 = hyper["beta1"], hyper["beta2"]
            if mistake == "betas_swapped":
                b1, b2 = b2, b1
            t_old = int(state["t"])
            t = t_old + 1
            m = b1 * np.asarray(state["m"], dtype=float) + (1 - b1) * g
            sq = g if mistake == "v_not_squared" else g * g
            v = b2 * np.asarray(state["v"], dtype=float) + (1 - b2) * sq
            t_used = t_old if mistake == "old_t" else t
            m_hat = m if mistake in ("no_bias_correction", "v_hat_only") else m / (1 - b1**t_used)
            v_hat = v if mistake in ("no_bias_correction", "m_hat_only") else v / (1 - b2**t_used)
            denom = np.sqrt(v_hat + eps) if mistake == "eps_inside" else np.sqrt(v_hat) + eps
            t_out = t_old if mistake == "t_not_incremented" else t
            return p - lr * m_hat / denom, {"m": m, "v": v, "t": t_out}
    raise ValueError(name)


MISTAKES: dict[str, list[tuple[str, str]]] = {
    "sgd": [("ascent", "You moved uphill: the update is θ ← θ − α·g (minus).")],
    "momentum": [
        ("ema", "You averaged: v ← β·v + (1 − β)·g. This exercise's momentum adds the whole gradient, "
                "v ← β·v + g (so a constant g gives the step α·g/(1 − β))."),
        ("old_v", "You moved θ with the OLD velocity: first v ← β·v + g, then θ ← θ − α·v with the new v."),
        ("no_state", "Your velocity forgets the past: v ← β·v + g uses the state's v (you set v = g, plain GD)."),
        ("beta_on_g", "β multiplies the old velocity, not the gradient: v ← β·v + g."),
        ("minus_g", "Sign slip in the velocity: v ← β·v + g, then θ ← θ − α·v."),
        ("ascent", "You moved uphill: θ ← θ − α·v (minus)."),
    ],
    "nesterov": [
        ("plain", "That is plain momentum (θ − α·v). Nesterov looks ahead: θ ← θ − α·(g + β·v) with the new v."),
        ("no_beta", "The look-ahead term is β·v, not v: θ ← θ − α·(g + β·v)."),
        ("old_v", "Use the NEW velocity in the look-ahead: v ← β·v + g first, then θ ← θ − α·(g + β·v)."),
        ("ema", "You averaged: v ← β·v + (1 − β)·g; here v ← β·v + g."),
        ("ascent", "You moved uphill: θ ← θ − α·(g + β·v) (minus)."),
    ],
    "adagrad": [
        ("no_accumulate", "AdaGrad SUMS the squared gradients over all steps: G ← G + g² (you set G = g²)."),
        ("no_sqrt", "Divide by the square root: θ ← θ − α·g / (√G + ε), not by G + ε."),
        ("eps_inside", "ε goes outside the square root here: √G + ε, not √(G + ε)."),
        ("old_G", "Add g² to G first, then divide by √G + ε with the NEW G."),
    ],
    "rmsprop": [
        ("no_one_minus", "The average needs the factor (1 − ρ): s ← ρ·s + (1 − ρ)·g²."),
        ("swapped", "ρ and 1 − ρ are swapped: s ← ρ·s + (1 − ρ)·g² keeps most of the OLD average."),
        ("sum", "That is AdaGrad's running sum. RMSProp decays it: s ← ρ·s + (1 − ρ)·g²."),
        ("no_sqrt", "Divide by the square root: θ ← θ − α·g / (√s + ε), not by s + ε."),
        ("eps_inside", "ε goes outside the square root here: √s + ε, not √(s + ε)."),
    ],
    "adam": [
        ("no_bias_correction", "The bias correction is missing: m̂ = m/(1 − β₁ᵗ) and v̂ = v/(1 − β₂ᵗ); "
                               "m and v start at 0, so without it the early steps have the wrong size "
                               "(at t = 1 by the factor (1 − β₁)/√(1 − β₂))."),
        ("old_t", "The step counter must be incremented BEFORE it is used: t ← t + 1, then divide by "
                  "1 − βᵗ with the new t (the first step uses t = 1; t = 0 divides by zero)."),
        ("t_not_incremented", "Return the incremented step counter in the state: \"t\": t + 1."),
        ("v_not_squared", "v averages the SQUARED gradients: v ← β₂·v + (1 − β₂)·g²."),
        ("betas_swapped", "β₁ and β₂ are swapped: β₁ (≈ 0.9) goes with m, β₂ (≈ 0.999) with v."),
        ("m_hat_only", "Correct v too: v̂ = v/(1 − β₂ᵗ)."),
        ("v_hat_only", "Correct m too: m̂ = m/(1 − β₁ᵗ)."),
        ("eps_inside", "ε goes outside the square root: √v̂ + ε, not √(v̂ + ε)."),
    ],
}


def _step_mutants(name: str) -> list[Mutant]:
    return [Mutant(message, lambda p, g, s, h, m=mistake: _step(name, p, g, s, h, m))
            for mistake, message in MISTAKES[name]]


def _hyper(rng: np.random.Generator, name: str) -> dict[str, float]:
    """Random hyper-parameters; ε large enough (≥ 1e−3) that where it sits changes the answer."""
    hyper = {"lr": learning_rate(rng, 0.01, 0.2)}
    if name in ("momentum", "nesterov"):
        hyper["beta"] = float(rng.uniform(0.5, 0.95))
    if name == "rmsprop":
        hyper["rho"] = float(rng.uniform(0.6, 0.95))
    if name == "adam":
        hyper["beta1"] = float(rng.uniform(0.7, 0.92))
        hyper["beta2"] = float(rng.uniform(0.95, 0.999))
    if name in ("adagrad", "rmsprop", "adam"):
        hyper["eps"] = float(rng.uniform(1e-3, 5e-2))
    return hyper


def _random_state(rng: np.random.Generator, name: str, d: int) -> dict[str, Any]:
    if name in ("momentum", "nesterov"):
        return {"v": nonzero(rng, (d,))}
    if name == "adagrad":
        return {"G": rng.uniform(0.5, 6.0, size=d)}
    if name == "rmsprop":
        return {"s": rng.uniform(0.2, 3.0, size=d)}
    if name == "adam":
        return {"m": nonzero(rng, (d,), 0.1, 1.0), "v": rng.uniform(0.05, 2.0, size=d), "t": int(rng.integers(2, 9))}
    return {}


def _low_precision(value: Any) -> str | None:
    """The dtype of the first float16/float32 array in value (a tuple, list or dict), if any."""
    if isinstance(value, np.ndarray | np.generic) and value.dtype in (np.float16, np.float32):
        return str(value.dtype)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else ()
    return next((found for item in items if (found := _low_precision(item))), None)


def float64_equal(names: tuple[str, ...]) -> Any:
    """parts_equal with rtol 1e−9 that first names a single-precision result."""
    parts = parts_equal(names, rtol=RTOL, atol=ATOL)

    def equal(expected: Any, got: Any) -> str | None:
        reason = parts(expected, got)
        dtype = _low_precision(got)
        if reason is not None and dtype is not None:
            text = reason if isinstance(reason, str) else reason.reason  # parts_equal gives a Mismatch
            return (f"your result holds {dtype} arrays (about 7 significant digits): compute in float64, "
                    "e.g. np.asarray(x, dtype=float); the bias correction and ε need the precision.\n" + text)
        return reason

    return equal


def _check_step(student, ref, name: str, params, grads, state, hyper, context: str = "") -> None:
    check_call(student, getattr(ref, name), name, [params, grads, state, hyper], mutants=_step_mutants(name),
               equal=float64_equal(STEP_PARTS), rtol=RTOL, atol=ATOL, context=context)


def _check_random_steps(student, ref, rng, name: str, count: int = 2) -> None:
    for _ in range(count):
        d = distinct_dims(rng, 1, 3, 6)[0]
        _check_step(student, ref, name, nonzero(rng, (d,)), nonzero(rng, (d,)), _random_state(rng, name, d),
                    _hyper(rng, name))


# -- the valley ---------------------------------------------------------------------------

def test_valley_loss_and_gradient(student, ref, rng):
    """valley_loss(2, 0.2) = ½·(4 + 50·0.04) = 3 and valley_gradient(2, 0.2) = (2, 10); random points."""
    mutants_loss = [
        Mutant("The ½ is missing: J = ½·(x² + κ·y²).", lambda p: float(p[0] ** 2 + KAPPA * p[1] ** 2)),
        Mutant("κ multiplies y², not x²: J = ½·(x² + 50·y²).", lambda p: float(0.5 * (KAPPA * p[0] ** 2 + p[1] ** 2))),
    ]
    mutants_grad = [
        Mutant("The ½ cancels the 2 of the square: ∇J = (x, κ·y), not (2x, 2κ·y).",
               lambda p: np.array([2 * p[0], 2 * KAPPA * p[1]])),
        Mutant("κ belongs to the y-component: ∇J = (x, κ·y).", lambda p: np.array([KAPPA * p[0], p[1]])),
    ]
    points = [np.array([2.0, 0.2]), nonzero(rng, (2,)), nonzero(rng, (2,))]
    for point in points:
        check_call(student, ref.valley_loss, "valley_loss", [point], mutants=mutants_loss, rtol=RTOL, atol=ATOL)
        check_call(student, ref.valley_gradient, "valley_gradient", [point], mutants=mutants_grad,
                   rtol=RTOL, atol=ATOL)


# -- the state ----------------------------------------------------------------------------

def test_init_state(student, ref, rng):
    """init_state for every optimizer: zeros shaped like params (and t = 0 for Adam)."""
    d = distinct_dims(rng, 1, 3, 6)[0]
    params = nonzero(rng, (d,))
    for name in NAMES:
        check_call(student, ref.init_state, "init_state", [name, params],
                   context=f"The state before the first {name} step.")
    got = student.call("init_state", "adam", params).value
    if isinstance(got, dict) and not isinstance(got.get("t"), int | np.integer):
        fail(f"init_state('adam', …)['t'] must be the int 0 (a step counter); got {describe(got.get('t'))}")


# -- single steps -------------------------------------------------------------------------

def test_sgd_step(student, ref, rng):
    """sgd: θ − α·g on the docstring's example and a random one; the state stays {}."""
    _check_step(student, ref, "sgd", np.array([1.0, -2.0]), np.array([0.5, 4.0]), {}, {"lr": 0.1})
    _check_random_steps(student, ref, rng, "sgd", 1)


def test_momentum_worked_example(student, ref):
    """momentum from v = 0 with α = 0.1, β = 0.9, g = (1, −2): θ = (−0.1, 0.2), v = (1, −2); then (−0.29, 0.58)."""
    hyper = {"lr": 0.1, "beta": 0.9}
    g = np.array([1.0, -2.0])
    _check_step(student, ref, "momentum", np.zeros(2), g, {"v": np.zeros(2)}, hyper)
    _check_step(student, ref, "momentum", np.array([-0.1, 0.2]), g, {"v": g.copy()}, hyper)


def test_momentum_random(student, ref, rng):
    """momentum from random velocities; β = 0 must be plain gradient descent."""
    _check_random_steps(student, ref, rng, "momentum")
    d = distinct_dims(rng, 1, 3, 6)[0]
    _check_step(student, ref, "momentum", nonzero(rng, (d,)), nonzero(rng, (d,)), {"v": nonzero(rng, (d,))},
                {"lr": learning_rate(rng), "beta": 0.0}, context="β = 0: v = g, so the step is plain gradient descent.")


def test_nesterov_worked_example(student, ref):
    """nesterov from v = 0, α = 0.1, β = 0.9, g = (1, −2): θ = −0.1·(1.9·g) = (−0.19, 0.38)."""
    _check_step(student, ref, "nesterov", np.zeros(2), np.array([1.0, -2.0]), {"v": np.zeros(2)},
                {"lr": 0.1, "beta": 0.9})


def test_nesterov_random(student, ref, rng):
    """nesterov from random velocities."""
    _check_random_steps(student, ref, rng, "nesterov")


def test_adagrad(student, ref, rng):
    """adagrad: the docstring's first step (α·sign(g) with ε = 0), then random accumulated G."""
    _check_step(student, ref, "adagrad", np.zeros(2), np.array([3.0, -4.0]), {"G": np.zeros(2)},
                {"lr": 0.5, "eps": 0.0})
    _check_random_steps(student, ref, rng, "adagrad")


def test_rmsprop(student, ref, rng):
    """rmsprop: the docstring's first step, then random running averages s."""
    _check_step(student, ref, "rmsprop", np.zeros(2), np.array([3.0, -4.0]), {"s": np.zeros(2)},
                {"lr": 0.01, "rho": 0.9, "eps": 0.0})
    _check_random_steps(student, ref, rng, "rmsprop")


def test_adam_first_step(student, ref, rng):
    """adam at t = 1 by hand: m̂ = g, v̂ = g², θ ≈ θ − α·sign(g); a zero gradient entry does not move."""
    hyper = {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    zero = {"m": np.zeros(2), "v": np.zeros(2), "t": 0}
    _check_step(student, ref, "adam", np.ones(2), np.array([2.0, -0.5]), zero, hyper)
    d = distinct_dims(rng, 1, 3, 6)[0]
    g = nonzero(rng, (d,))
    g[0] = 0.0
    _check_step(student, ref, "adam", nonzero(rng, (d,)), g,
                {"m": np.zeros(d), "v": np.zeros(d), "t": 0}, _hyper(rng, "adam"),
                context="The first step (t = 1), with ∂J/∂θ₀ = 0: that entry must not move.")


def test_adam_random_state(student, ref, rng):
    """adam from random states with t between 2 and 8 (bias correction with the incremented t)."""
    _check_random_steps(student, ref, rng, "adam", 3)


def test_steps_keep_their_inputs(student, ref, rng):
    """Every step is pure: params, grads and the state dict (and its arrays) are left untouched."""
    d = distinct_dims(rng, 1, 3, 6)[0]
    for name in NAMES[1:]:
        args = [nonzero(rng, (d,)), nonzero(rng, (d,)), _random_state(rng, name, d), _hyper(rng, name)]
        outcome = student.call(name, *args)
        if outcome.error is not None:
            check_call(student, getattr(ref, name), name, args)  # reports the error
        before, after = args[2], (outcome.args_after or [None] * 4)[2]
        changed = [key for key in before
                   if not isinstance(after, dict) or compare(before[key], after.get(key), rtol=0, atol=0)]
        if changed:
            fail(f"call: {format_call(name, getattr(ref, name), args, {})}\n"
                 f"likely mistake: you changed the state you were given (key(s) {', '.join(map(repr, changed))}) "
                 "in place, e.g. `state['v'] *= beta` or `state['t'] += 1`. Build a new dict with new arrays: "
                 "the caller may still need the old state (to replay or compare a trajectory).")
        check_call(student, getattr(ref, name), name, args, mutants=_step_mutants(name),
                   equal=float64_equal(STEP_PARTS))


# -- trajectories ---------------------------------------------------------------------------

def _trajectory_mutants(name: str) -> list[Mutant]:
    def run(params, grads, hyper, mistake):
        theta = np.array(params, dtype=float)
        state = _initial(name, theta)
        path = [theta]
        for g in grads:
            theta, state = _step(name, theta, g, state, hyper, mistake)
            path.append(theta)
        return np.array(path), state

    return [Mutant(message, lambda n, p, g, h, m=mistake: run(p, g, h, m)) for mistake, message in MISTAKES[name]]


def _initial(name: str, params: Any) -> dict[str, Any]:
    zeros = np.zeros_like(np.asarray(params, dtype=float))
    return {"sgd": {}, "momentum": {"v": zeros}, "nesterov": {"v": zeros}, "adagrad": {"G": zeros},
            "rmsprop": {"s": zeros}, "adam": {"m": zeros, "v": zeros, "t": 0}}[name]


def test_trajectories_at_t_1_2_5(student, ref, rng):
    """run_steps for every optimizer on the same 5 random gradients: θ and the state at t = 1, 2 and 5."""
    d = distinct_dims(rng, 1, 3, 6)[0]
    params, grads = nonzero(rng, (d,)), nonzero(rng, (5, d))
    for name in NAMES:
        hyper = _hyper(rng, name)
        path, _ = ref.run_steps(name, params, grads, hyper)
        at = "; ".join(f"θ at t = {t}: {describe(path[t])}" for t in (1, 2, 5))
        # one call per optimizer: rows 1, 2 and 5 of the trajectory are θ after 1, 2 and 5 steps
        check_call(student, ref.run_steps, "run_steps", [name, params, grads, hyper],
                   mutants=_trajectory_mutants(name), equal=float64_equal(("trajectory", "final state")),
                   context=f"{name} for 5 steps (row t of the trajectory is θ after t steps).\n{at}")


def test_minimize_on_the_valley(student, ref, rng):
    """minimize on the valley κ = 50: the docstring's 2 momentum steps, then GD, momentum and Adam for 30 steps."""
    grad = CallableRef("valley_gradient", kappa=KAPPA)
    start = np.array([2.0, 0.2])

    def mutants(name):
        def reset_every_step(n, fn, s, h, k):
            theta, path = np.array(s, dtype=float), [np.array(s, dtype=float)]
            for _ in range(k):
                theta, _ = _step(name, theta, fn(theta), _initial(name, theta), h)
                path.append(theta)
            return np.array(path)

        def no_start(n, fn, s, h, k):
            return ref.minimize(n, fn, s, h, k)[1:]

        def gd(n, fn, s, h, k):
            return ref.minimize("sgd", fn, s, {"lr": h["lr"]}, k)

        def wrong_step(n, fn, s, h, k, mistake):
            theta, path = np.array(s, dtype=float), [np.array(s, dtype=float)]
            state = _initial(name, theta)
            for _ in range(k):
                theta, state = _step(name, theta, fn(theta), state, h, mistake)
                path.append(theta)
            return np.array(path)

        return [
            Mutant("You created a fresh state at every step, so the optimizer forgets its memory: call "
                   "init_state ONCE before the loop and pass each step's new state to the next.", reset_every_step),
            Mutant("The trajectory starts with the start point: n_steps + 1 rows.", no_start),
            Mutant("Your minimize ignores `name`: it took plain gradient-descent steps.", gd),
        ] + [
            Mutant(f"minimize is right, but your {name} step is not (see its test): {message}",
                   lambda *a, m=mistake: wrong_step(*a, m))
            for mistake, message in MISTAKES[name]
        ]

    cases = [("momentum", {"lr": 0.02, "beta": 0.9}, 2)]
    cases += [("sgd", {"lr": 0.035}, 30), ("momentum", {"lr": 0.02, "beta": 0.8}, 30),
              ("adam", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 30)]
    for name, hyper, steps in cases:
        check_call(student, ref.minimize, "minimize", [name, grad, start, hyper, steps],
                   mutants=mutants(name), rtol=RTOL, atol=ATOL)
    name, start = "rmsprop", nonzero(rng, (2,))
    check_call(student, ref.minimize, "minimize", [name, grad, start, _hyper(rng, name), 10],
               mutants=mutants(name), rtol=RTOL, atol=ATOL)


# -- schedules -------------------------------------------------------------------------------

def test_step_decay(student, ref, rng):
    """step_decay: α₀ = 0.1, drop ½ every 10 steps at k = 0, 9, 10, 25; random schedules."""
    mutants = [
        Mutant("Use the whole number of periods ⌊k / every⌋ (integer division k // every), not k / every.",
               lambda lr0, k, drop, every: lr0 * drop ** (k / every)),
        Mutant("Off by one: the first period is k = 0 … every − 1, so α_k = α₀·drop^⌊k / every⌋.",
               lambda lr0, k, drop, every: lr0 * drop ** ((k + 1) // every)),
        Mutant("The rate is multiplied by drop once per period: α₀·drop^⌊k/every⌋, not α₀·drop·⌊k/every⌋.",
               lambda lr0, k, drop, every: lr0 * drop * (k // every)),
    ]
    cases = [(0.1, k, 0.5, 10) for k in (0, 9, 10, 25)]
    for _ in range(2):
        every = int(rng.integers(3, 8))
        cases.append((learning_rate(rng), int(rng.integers(every + 1, 5 * every)) , float(rng.uniform(0.3, 0.8)),
                      every))
    for args in cases:
        check_call(student, ref.step_decay, "step_decay", list(args), mutants=mutants, rtol=RTOL, atol=ATOL)


def test_cosine_schedule(student, ref, rng):
    """cosine_schedule: α₀ at k = 0, the midpoint at k = total/2, α_min at and after k = total; random ones."""
    mutants = [
        Mutant("The cosine goes from α₀ to α_min: α_min + ½·(α₀ − α_min)·(1 + cos(π·k/total)); you left out "
               "the ½·(1 + …) and used cos(π·k/total) itself.",
               lambda lr0, k, total, lr_min=0.0: lr_min + (lr0 - lr_min) * math.cos(math.pi * k / total)),
        Mutant("The floor α_min is missing: α_min + ½·(α₀ − α_min)·(1 + cos(π·k/total)).",
               lambda lr0, k, total, lr_min=0.0: 0.5 * lr0 * (1 + math.cos(math.pi * min(k, total) / total))),
        Mutant("After k = total the rate stays at α_min; the cosine must not climb back up.",
               lambda lr0, k, total, lr_min=0.0: lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * k / total))),
        Mutant("The angle is π·k/total (half a period over the schedule), not 2π·k/total.",
               lambda lr0, k, total, lr_min=0.0: lr_min + 0.5 * (lr0 - lr_min)
               * (1 + math.cos(2 * math.pi * min(k, total) / total))),
    ]
    cases: list[tuple[Any, ...]] = [(0.1, k, 100) for k in (0, 25, 50, 100)]
    total = int(rng.integers(20, 60))
    lr0, lr_min = learning_rate(rng, 0.05, 0.3), learning_rate(rng, 0.001, 0.01)
    cases += [(lr0, int(rng.integers(1, total // 2)), total, lr_min),
              (lr0, int(rng.integers(total // 2 + 1, total)), total, lr_min),
              (lr0, total + int(rng.integers(1, 40)), total, lr_min)]
    for args in cases:
        check_call(student, ref.cosine_schedule, "cosine_schedule", list(args), mutants=mutants,
                   rtol=RTOL, atol=ATOL)
