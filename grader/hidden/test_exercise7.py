"""Hidden tests for exercise 7: gradient checking.

The losses and backward passes the student's functions check are trusted
callables (`grader.sandbox.callables`): the notes' bowl as a parameter dict,
and exercise 6's network on fixed data, with or without a planted bug
(a scaled, negated, transposed or single-entry-wrong gradient of one
parameter). Central differences are compared within their rounding noise;
error-versus-h curves within a factor of 10 where rounding dominates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checking import Mutant, check_call, fail, format_call
from grader.compare import compare, describe
from grader.hidden.test_exercise6 import random_network, worked_example
from grader.inputs import distinct_dims
from grader.sandbox.codec import CallableRef
from grader.strict import strict

EPS = float(np.finfo(float).eps)
HS = [float(h) for h in np.logspace(-1, -12, 12)]


# -- the functions being checked -----------------------------------------------------------

def _bowl() -> tuple[CallableRef, dict[str, np.ndarray]]:
    return CallableRef("bowl_params_loss"), {"w": np.array([3.0, 4.0])}


def _network(rng: np.random.Generator | None, acts: list[str] | None = None, loss: str = "mse",
             bug: dict[str, Any] | None = None) -> tuple[CallableRef, CallableRef, dict[str, np.ndarray]]:
    """(f, grad_fn, params): the 2-2-2 network (rng None) or a random one, as trusted callables."""
    if rng is None:
        params, X, Y = worked_example()
        acts = ["sigmoid", "sigmoid"]
    else:
        acts = acts or ["tanh", "sigmoid"]
        # small layers (distinct sizes 2-5): every entry costs two evaluations of the loss
        params, X, Y = random_network(rng, acts, loss, sizes=distinct_dims(rng, len(acts) + 1, 2, 5))
    data = {"X": X.tolist(), "Y": Y.tolist(), "activations": list(acts), "loss": loss}
    return CallableRef("mlp_loss", **data), CallableRef("mlp_gradient", **data, bug=bug), params


def _numgrad_atol(f: CallableRef, params: dict[str, np.ndarray], h: float) -> float:
    # rounding noise of a central difference: about eps·|f| / h, whatever the arrangement of the formula
    return 64 * EPS * (1.0 + abs(f(params))) / h


# -- numerical_gradient -------------------------------------------------------------------------

def _numgrad(f, params, h=1e-5, *, mode: str = "central", fixed_h: bool = False, restore: bool = True):
    h = 1e-5 if fixed_h else h
    work = {k: np.array(v, dtype=float) for k, v in params.items()}
    out = {}
    for key in work:
        g = np.zeros_like(work[key])
        if mode == "all":
            plus = {k: v.copy() for k, v in work.items()}
            minus = {k: v.copy() for k, v in work.items()}
            plus[key] = plus[key] + h
            minus[key] = minus[key] - h
            out[key] = np.full_like(g, (f(plus) - f(minus)) / (2 * h))
            continue
        for index in np.ndindex(g.shape):
            if mode == "drift":  # θᵢ += h; f; θᵢ −= 2h; f; never put back
                work[key][index] += h
                up = f(work)
                work[key][index] -= 2 * h
                g[index] = (up - f(work)) / (2 * h)
                continue
            plus = {k: v.copy() for k, v in work.items()}
            minus = {k: v.copy() for k, v in work.items()}
            plus[key][index] += h
            minus[key][index] -= h
            here = f(work)
            g[index] = {"central": (f(plus) - f(minus)) / (2 * h), "forward": (f(plus) - here) / h,
                        "backward": (here - f(minus)) / h, "over h": (f(plus) - f(minus)) / h}[mode]
        out[key] = g
    return out


NUMGRAD_MUTANTS = [
    Mutant("You used the forward difference (f(θ + h·eᵢ) − f(θ))/h; use the central difference "
           "(f(θ + h·eᵢ) − f(θ − h·eᵢ))/(2h), whose error is O(h²) instead of O(h).",
           lambda f, p, h=1e-5: _numgrad(f, p, h, mode="forward")),
    Mutant("You used the backward difference (f(θ) − f(θ − h·eᵢ))/h; use the central difference.",
           lambda f, p, h=1e-5: _numgrad(f, p, h, mode="backward")),
    Mutant("You divided by h instead of 2h: θ + h·eᵢ and θ − h·eᵢ are 2h apart.",
           lambda f, p, h=1e-5: _numgrad(f, p, h, mode="over h")),
    Mutant("You moved every entry of the array at once; a partial derivative moves ONE entry (θ ± h·eᵢ) "
           "and keeps all the others.", lambda f, p, h=1e-5: _numgrad(f, p, h, mode="all")),
    Mutant("You ignored the argument h and used a fixed step; use the h you are given.",
           lambda f, p, h=1e-5: _numgrad(f, p, h, fixed_h=True)),
    Mutant("You moved the entries of params itself (θᵢ += h, θᵢ −= 2h) and never put them back, so every "
           "later derivative is taken at a shifted point; work on copies (or restore θᵢ).",
           lambda f, p, h=1e-5: _numgrad(f, p, h, mode="drift")),
]


def _check_numgrad(student, ref, f, params, h: float | None = None) -> Any:
    args = [f, params] if h is None else [f, params, h]
    return check_call(student, ref.numerical_gradient, "numerical_gradient", args, mutants=NUMGRAD_MUTANTS,
                      rtol=1e-7, atol=_numgrad_atol(f, params, h or 1e-5), inputs_must_not_change=False,
                      equal=strict(rtol=1e-7, atol=_numgrad_atol(f, params, h or 1e-5)))


def test_numerical_gradient_bowl(student, ref):
    """numerical_gradient of the bowl J = x² + y² at {"w": (3, 4)} is {"w": (6, 8)}."""
    f, params = _bowl()
    _check_numgrad(student, ref, f, params)
    _check_numgrad(student, ref, f, {"w": np.array([3.0, 4.0]), "b": np.array([[1.5], [-2.5]])})


def test_numerical_gradient_network(student, ref, rng):
    """numerical_gradient of the 2-2-2 network's loss and of random networks' losses (every key)."""
    f, _, params = _network(None)
    _check_numgrad(student, ref, f, params)
    for acts, loss in ((["tanh", "relu", "sigmoid"], "mse"), (["relu", "sigmoid"], "bce")):
        f, _, params = _network(rng, acts, loss)
        _check_numgrad(student, ref, f, params)


def test_numerical_gradient_step_size(student, ref, rng):
    """numerical_gradient uses the step h it is given (h = 0.05 and 1e-3 on a non-quadratic loss)."""
    for h in (0.05, 1e-3):
        f, _, params = _network(rng, ["tanh", "sigmoid"])
        _check_numgrad(student, ref, f, params, h)


def test_numerical_gradient_keeps_params(student, ref, rng):
    """numerical_gradient leaves the params dict it is given unchanged."""
    f, _, params = _network(rng, ["sigmoid", "tanh"])
    _check_numgrad(student, ref, f, params)
    outcome = student.call("numerical_gradient", f, params)
    after = outcome.args_after
    if outcome.error is None and after is not None and isinstance(after[1], dict):
        changed = [k for k in params if compare(params[k], after[1].get(k), rtol=0, atol=0) is not None]
        if changed:
            fail("call: " + format_call("numerical_gradient", ref.numerical_gradient, [f, params], {}) + "\n"
                 f"likely mistake: you changed params ({', '.join(changed)}) and did not put the entries back; "
                 "nudge copies, or restore θᵢ after each pair of evaluations.")


# -- relative_error --------------------------------------------------------------------------------

def _norm(d: dict[str, Any]) -> float:
    return float(np.sqrt(sum(float(np.sum(np.asarray(v, dtype=float) ** 2)) for v in d.values())))


def _diff(g, gh) -> dict[str, Any]:
    return {k: np.asarray(g[k], dtype=float) - np.asarray(gh[k], dtype=float) for k in g}


def _rel(g, gh, *, floor: bool = True, denom: str = "sum", squared: bool = False) -> float:
    if squared:
        return float(_norm(_diff(g, gh)) ** 2 / max(_norm(g) ** 2 + _norm(gh) ** 2, 1e-8))
    bottom = {"sum": _norm(g) + _norm(gh), "g": _norm(g), "max": max(_norm(g), _norm(gh))}[denom]
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(_norm(_diff(g, gh))) / (max(bottom, 1e-8) if floor else bottom))


RELATIVE_MUTANTS = [
    Mutant("The floor is missing: rel = ‖g − ĝ‖ / max(‖g‖ + ‖ĝ‖, 1e-8), so two zero gradients give 0, not 0/0.",
           lambda g, gh: _rel(g, gh, floor=False)),
    Mutant("The denominator is ‖g‖ + ‖ĝ‖ (both norms), not ‖g‖ alone.", lambda g, gh: _rel(g, gh, denom="g")),
    Mutant("The denominator is ‖g‖ + ‖ĝ‖, the SUM of the norms, not their maximum.",
           lambda g, gh: _rel(g, gh, denom="max")),
    Mutant("You used squared norms (no square roots); ‖v‖ = √(Σ vᵢ²).", lambda g, gh: _rel(g, gh, squared=True)),
    Mutant("You returned ‖g − ĝ‖ without dividing: the error must be RELATIVE to the size of the gradients.",
           lambda g, gh: _norm(_diff(g, gh))),
    Mutant("You averaged the relative errors of the separate arrays; the norms run over ALL entries of all "
           "arrays together.", lambda g, gh: float(np.mean([_rel({k: g[k]}, {k: gh[k]}) for k in g]))),
    Mutant("You used the largest |gᵢ − ĝᵢ| (the max norm); the relative error uses Euclidean norms.",
           lambda g, gh: float(max(np.max(np.abs(v)) for v in _diff(g, gh).values())
                               / max(_norm(g) + _norm(gh), 1e-8))),
]


def test_relative_error_worked_example(student, ref):
    """relative_error((6, 8), (6, 8.5)) = 0.5/(10 + 10.404326) ≈ 0.024505; two zero gradients give 0."""
    for g, gh in (({"w": np.array([6.0, 8.0])}, {"w": np.array([6.0, 8.5])}),
                  ({"w": np.zeros(2)}, {"w": np.zeros(2)})):
        check_call(student, ref.relative_error, "relative_error", [g, gh], mutants=RELATIVE_MUTANTS,
                   rtol=1e-9, atol=1e-15, equal=strict(rtol=1e-9, atol=1e-15))


def test_relative_error_random(student, ref, rng):
    """relative_error on random multi-array gradients, close (≈ 1e-6) and far apart."""
    shapes = {"W1": (3, 2), "b1": (3, 1), "W2": (1, 3), "b2": (1, 1)}
    for scale in (1e-6, 0.3):
        g = {k: rng.normal(size=s) for k, s in shapes.items()}
        gh = {k: v + scale * rng.normal(size=v.shape) * (2.0 if k == "W2" else 1.0) for k, v in g.items()}
        check_call(student, ref.relative_error, "relative_error", [g, gh], mutants=RELATIVE_MUTANTS,
                   rtol=1e-9, atol=1e-15, equal=strict(rtol=1e-9, atol=1e-15))


# -- planted bugs -----------------------------------------------------------------------------------

def _planted(rng: np.random.Generator) -> list[tuple[CallableRef, CallableRef, dict[str, np.ndarray]]]:
    """Random networks whose backward pass has one planted bug each."""
    cases = []
    for acts, loss, bug in (
        (["tanh", "relu", "sigmoid"], "mse", {"key": "W2", "kind": "scale", "factor": 1.5}),
        (["relu", "sigmoid"], "bce", {"key": "b1", "kind": "entry", "index": [1, 0], "offset": 0.02}),
        (["sigmoid", "tanh"], "mse", {"key": "W1", "kind": "sign"}),
    ):
        f, grad_fn, params = _network(rng, acts, loss, bug)
        if bug["kind"] == "entry":
            grad_fn = CallableRef("mlp_gradient", **{**grad_fn.params, "bug": {
                **bug, "index": [int(rng.integers(params["b1"].shape[0])), 0]}})
        cases.append((f, grad_fn, params))
    f, grad_fn, params = _network(None)  # the 2-2-2 network: ∂L/∂b₂ with the wrong sign
    cases.append((f, CallableRef("mlp_gradient", **{**grad_fn.params, "bug": {"key": "b2", "kind": "sign"}}),
                   params))
    return cases


def _errors_variant(f, grad_fn, params, h=1e-5, *, mode: str = "rel", numgrad=_numgrad, rel=None):
    g, gh = grad_fn(params), numgrad(f, params, h)
    rel = rel or _rel
    if mode == "abs":
        return {k: _norm({k: np.asarray(g[k]) - gh[k]}) for k in params}
    if mode == "overall":
        total = rel(g, gh)
        return {k: total for k in params}
    return {k: float(rel({k: g[k]}, {k: gh[k]})) for k in params}


def _inherited(make) -> list[Mutant]:
    """Mutants of a function that calls numerical_gradient / relative_error: one per mistake in those."""
    return [Mutant(f"numerical_gradient is wrong, and this function uses it. {m.message}", make(numgrad=m.fn))
            for m in NUMGRAD_MUTANTS] + [
            Mutant(f"relative_error is wrong, and this function uses it. {m.message}", make(rel=m.fn))
            for m in RELATIVE_MUTANTS]


ERRORS_MUTANTS = [
    Mutant("errors[key] is the relative error of that parameter alone, rel({key: g[key]}, {key: ĝ[key]}), "
           "not the error over all parameters.", lambda *a: _errors_variant(*a, mode="overall")),
    Mutant("errors[key] must be RELATIVE: ‖g − ĝ‖ / max(‖g‖ + ‖ĝ‖, 1e-8) for that parameter.",
           lambda *a: _errors_variant(*a, mode="abs")),
    *_inherited(lambda **kw: lambda *a: _errors_variant(*a, **kw)),
]


def test_gradient_errors_planted_bug(student, ref, rng):
    """gradient_errors: ≈ 1e-10 for the correct parameters, large for the one with the planted bug."""
    for f, grad_fn, params in _planted(rng)[:2]:
        check_call(student, ref.gradient_errors, "gradient_errors", [f, grad_fn, params],
                   mutants=ERRORS_MUTANTS, inputs_must_not_change=False, equal=_errors_equal)


def _errors_equal(expected: Any, got: Any) -> str | None:
    """Errors of correct parameters are rounding noise: within a factor of 10 below 1e-7; others to 1e-6."""
    if not isinstance(got, dict) or set(got) != set(expected):
        return f"return a dict with the keys {sorted(expected)}; you returned {describe(got)}"
    wrong = []
    for key, value in expected.items():
        mine = got[key]
        if not isinstance(mine, float) or not np.isfinite(mine):
            wrong.append(f"errors[{key!r}] must be a finite Python float; got {describe(mine)}")
        elif value > 1e-7:
            if compare(value, mine, rtol=1e-6, atol=0) is not None:
                wrong.append(f"errors[{key!r}] is {describe(mine)}; expected {value:.6g}")
        elif not (value / 10 <= mine <= max(10 * value, 1e-12)):
            wrong.append(f"errors[{key!r}] is {describe(mine)}; expected about {value:.2g} (rounding noise)")
    return "\n".join(wrong) or None


def _find(f, grad_fn, params, h=1e-5, threshold=1e-7, *, rank: str = "rel", first: bool = False,
          entry: str = "abs", flat: bool = False, always: bool = False, strict: bool = False, numgrad=_numgrad,
          rel=None):
    errors = _errors_variant(f, grad_fn, params, h, mode="abs" if rank == "abs" else "rel", numgrad=numgrad,
                             rel=rel)
    over = [k for k in params if (errors[k] >= threshold if strict else errors[k] > threshold)]
    if not over and not always:
        return None
    key = over[0] if first and over else max(errors, key=lambda k: errors[k])
    g, gh = np.asarray(grad_fn(params)[key], dtype=float), numgrad(f, params, h)[key]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.abs(g - gh) if entry == "abs" else np.abs(g - gh) / np.abs(gh)
    index = int(np.argmax(score))
    return (key, index) if flat else (key, tuple(int(i) for i in np.unravel_index(index, g.shape)))


FIND_MUTANTS = [
    Mutant("You ranked the parameters by their ABSOLUTE error ‖g − ĝ‖; rank them by the relative error "
           "(a parameter with large gradients has large absolute errors even when it is right).",
           lambda *a, **k: _find(*a, **k, rank="abs")),
    Mutant("You returned the first parameter over the threshold; return the one with the LARGEST relative error.",
           lambda *a, **k: _find(*a, **k, first=True)),
    Mutant("Within the parameter, the entry is the one with the largest |g − ĝ|, not the largest relative "
           "difference.", lambda *a, **k: _find(*a, **k, entry="rel")),
    Mutant("The index must be a tuple with one int per dimension (np.unravel_index), not the flat index.",
           lambda *a, **k: _find(*a, **k, flat=True)),
    Mutant("An error equal to the threshold passes too: the backward pass is correct when every error is "
           "≤ threshold (not <).", lambda *a, **k: _find(*a, **k, strict=True)),
    Mutant("A backward pass whose every error is ≤ threshold passes: return None.",
           lambda *a, **k: _find(*a, **k, always=True)),
    *_inherited(lambda **kw: lambda *a, **k: _find(*a, **k, **kw)),
]


def test_find_bug_planted_bugs(student, ref, rng):
    """find_bug names the parameter and the entry of four planted bugs (a scaled, a negated, one wrong entry)."""
    for f, grad_fn, params in _planted(rng):
        check_call(student, ref.find_bug, "find_bug", [f, grad_fn, params], mutants=FIND_MUTANTS,
                   inputs_must_not_change=False, equal=strict())


def test_find_bug_correct_backward(student, ref, rng):
    """find_bug returns None for correct backward passes (the bowl, the 2-2-2 and a random net; errors at threshold)."""
    bowl, at = _bowl()
    cases = [(bowl, CallableRef("bowl_params_gradient"), at), _network(None),
             _network(rng, ["tanh", "relu", "sigmoid"])]
    for f, grad_fn, params in cases:
        check_call(student, ref.find_bug, "find_bug", [f, grad_fn, params], mutants=FIND_MUTANTS,
                   inputs_must_not_change=False, equal=strict())
    # "≤ threshold passes", at the boundary itself: with h = 0.5 the central difference of the bowl at
    # integer points is exact in floating point, so every error is exactly 0 and threshold 0 must pass.
    check_call(student, ref.find_bug, "find_bug", [bowl, CallableRef("bowl_params_gradient"), at],
               {"h": 0.5, "threshold": 0.0}, mutants=FIND_MUTANTS, inputs_must_not_change=False, equal=strict(),
               context="every error is exactly 0 here (the central difference of a quadratic is exact at h = 0.5)")


# -- choosing h -------------------------------------------------------------------------------------

def _curve_equal(expected: Any, got: Any) -> str | None:
    """Truncation-dominated errors (> 1e-8) to a relative 1e-3; rounding-dominated ones within a factor 10."""
    if not isinstance(got, np.ndarray) or got.shape != expected.shape or got.dtype != np.float64:
        return f"return a float64 array of shape {expected.shape}; you returned {describe(got)}"
    bad = []
    for h, e, g in zip(HS, expected, got, strict=True):
        ok = np.isfinite(g) and (abs(g - e) <= 1e-3 * e if e > 1e-8 else e / 10 <= g <= 10 * e + 1e-15)
        if not ok:
            bad.append(f"h = {h:.0e}: expected {e:.3g}, got {g:.3g}")
    return ("wrong errors at " + len(bad).__str__() + " of " + str(len(HS)) + " steps:\n    "
            + "\n    ".join(bad)) if bad else None


def _curve(f, grad, params, hs, *, numgrad=_numgrad, rel=_rel, reverse=False):
    numgrad = _keep_h(numgrad)
    values = np.array([rel(grad, numgrad(f, params, float(h))) for h in hs], dtype=float)
    return values[::-1] if reverse else values


CURVE_MUTANTS = [
    Mutant("Your errors fall like h, not h²: numerical_gradient uses a one-sided difference, not the "
           "central one.", lambda *a: _curve(*a, numgrad=lambda f, p, h: _numgrad(f, p, h, mode="forward"))),
    Mutant("Your errors are ≈ 1/3 for every h: numerical_gradient divides by h instead of 2h.",
           lambda *a: _curve(*a, numgrad=lambda f, p, h: _numgrad(f, p, h, mode="over h"))),
    Mutant("You returned absolute errors ‖g − ĝ‖; each entry is relative_error(grad, ĝ).",
           lambda *a: _curve(*a, rel=lambda g, gh: _norm(_diff(g, gh)))),
    Mutant("The errors are in the reverse order of hs.", lambda *a: _curve(*a, reverse=True)),
    *_inherited(lambda **kw: lambda *a: _curve(*a, **kw)),
]


def _keep_h(numgrad):
    return lambda f, p, h: numgrad(f, p, h)


def test_error_versus_h_network(student, ref):
    """error_versus_h on the 2-2-2 network for h = 1e-1 … 1e-12: falls like h², then rises like ε/h."""
    f, grad_fn, params = _network(None)
    grad = grad_fn(params)
    check_call(student, ref.error_versus_h, "error_versus_h", [f, grad, params, HS], mutants=CURVE_MUTANTS,
               inputs_must_not_change=False, equal=_curve_equal)


BEST_MUTANTS = [
    Mutant("You returned the h with the LARGEST error; the best step has the smallest.",
           lambda hs, e: float(np.asarray(hs)[int(np.argmax(e))])),
    Mutant("You returned the index of the best step; return the step h itself.",
           lambda hs, e: int(np.argmin(e))),
    Mutant("You returned the smallest error; return the step h where it occurs.",
           lambda hs, e: float(np.min(e))),
]


def test_best_step(student, ref, rng):
    """best_step on a V-shaped curve h² + ε/h (best h = 1e-5) and on random curves (with a tie)."""
    curve = [h**2 + EPS / h for h in HS]
    cases = [(HS, curve)]
    hs = sorted(rng.uniform(1e-9, 1e-1, size=7).tolist(), reverse=True)
    errors = rng.uniform(1e-11, 1e-3, size=7)
    errors[5] = errors[2] = errors.min() / 2  # a tie: the first one wins
    cases.append((hs, errors.tolist()))
    for hs_, errors_ in cases:
        check_call(student, ref.best_step, "best_step", [hs_, errors_], mutants=BEST_MUTANTS, equal=strict())
