"""Grading of symbolic answers (derivatives, gradients) with a hard time bound.

How an answer ``a`` is compared with the expected expression ``e``:

1. ``a`` is parsed safely (:mod:`grader.symbolic_parse`).  If ``a - e`` is
   already 0 after SymPy's automatic evaluation, that settles it.
2. Numeric check: ``a`` and ``e`` are evaluated in float64 at 32 random
   points (positive, mixed-sign, small and larger values, avoiding 0),
   together with a bound on the rounding error.  The points come from a fresh
   secret seed drawn (``os.urandom``) only after the answer is fixed, so an
   answer cannot be built to agree at them (e.g. ``e + c·∏(x − xᵢ)``): the
   public ``--seed`` only picks the readable counterexample.  Where ``e`` is
   defined, ``a`` must be defined too and agree within ``1e-8`` relative
   plus ``1e-9`` absolute (widened by the rounding bound).  A clear
   disagreement means "different" at once (milliseconds); a slight one is
   re-checked with exact arithmetic in a child process.
3. Exact check, which outranks the numbers whenever it completes: in a
   forked child (killed after ``timeout`` seconds; SymPy cannot be
   interrupted from a thread), decimals are read as the exact numbers they
   stand for and ``cancel(a - e)`` is tried; a nonzero rational function, or
   an exact rational point (from the secret seed, including values outside
   the sampled ranges) where both sides differ beyond any rounding, proves
   "different" even if every sample point agreed; ``simplify`` then tries to
   prove equality.  A proof of equality also wins over a numeric near-miss.
   When no exact step completes, the numeric evidence decides.
4. On a mismatch, the answer is compared (numerically, at the same points)
   with known wrong variants to explain the likely mistake.

The child gets the parsed expressions by ``fork`` and never reads text; its
reply is one size-capped JSON object with a per-call token, never a pickle.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import selectors
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import sympy

from .symbolic_parse import (
    ALLOWED_FUNCTIONS,
    InvalidAnswer,
    UnsupportedExpression,
    evaluate,
    evaluate_with_error,
    parse_answer,
    symbol_table,
)

__all__ = [
    "ALLOWED_FUNCTIONS",
    "ChildResult",
    "InvalidAnswer",
    "SymbolicVerdict",
    "call_with_timeout",
    "check_derivative",
    "check_equivalent",
    "fresh_sample_seed",
    "inner_derivative_mistakes",
    "parse_answer",
    "sample_points",
]

Status = Literal["equivalent", "different", "invalid"]

RTOL = 1e-8  # agreement: |a - e| <= RTOL * max(|a|, |e|) + ATOL (+ rounding noise)
ATOL = 1e-9
CLEAR_RTOL = 1e-5  # beyond CLEAR_RTOL * max(|a|, |e|) + CLEAR_ATOL no re-check is needed
CLEAR_ATOL = 1e-7
NOISE_FACTOR = 8.0  # safety factor on the first-order rounding-error bounds
MIN_POINTS = 8  # agreeing points needed for a numeric verdict (and for a diagnosis)
MAX_RECHECKS = 8  # suspicious points re-evaluated with 30 digits
POINTS_PER_REGIME = 8
# (low, high, random signs): |value| is drawn uniformly from [low, high]
# No wider values here: a correct answer in another form (tanh written with exp) can
# overflow float64 there while the expected value does not. The exact check goes wider.
_REGIMES = ((0.2, 2.0, False), (0.2, 2.0, True), (0.05, 0.95, False), (1.5, 4.0, False))
SAMPLE_SIZE = POINTS_PER_REGIME * len(_REGIMES)
# Counterexamples are first searched among values a student can check by hand.
_NICE_VALUES = (1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5, -0.5, 2.5, -1.5, 0.25, 4.0)


@dataclass(frozen=True)
class SymbolicVerdict:
    """Outcome of comparing a student answer with the expected expression.

    Attributes:
        status: "equivalent", "different" or "invalid" (unreadable answer).
        message: one or two student-facing sentences.
        answer: the parsed answer (None when invalid).
        expected: the expected expression.
        counterexample: variable values where answer and expected differ
            (both values are quoted in ``message``), or None.
        diagnosis: the likely mistake in one sentence, or None.
        method: how the verdict was reached:
            "identical" -- answer - expected is 0 as soon as SymPy builds it;
            "numeric+simplify" -- all points agree and an exact check
            (cancel, then simplify) confirmed it;
            "numeric+inconclusive" -- all points agree, the exact checks
            finished without a proof either way (still "equivalent");
            "numeric" -- all points agree and the exact checks timed out or
            failed (still "equivalent"), or a point showed a clear difference;
            "numeric+high-precision" -- a small float difference was
            confirmed with exact arithmetic (or could not be re-checked);
            "exact" -- all points agree but the exact check proved a
            difference (a rational function that is not 0, or an exact
            point where the two differ);
            "simplify" -- an exact proof decided alone: the expected value is
            undefined at almost every sample point, or a numeric near-miss
            was proven to be an equality;
            "parse" -- the answer was invalid.
        sample_seed: the secret seed of the sample points (None when the
            answer was invalid); kept for debugging, never shown.
    """

    status: Status
    message: str
    answer: sympy.Expr | None
    expected: sympy.Expr
    counterexample: dict[str, float] | None
    diagnosis: str | None
    method: str
    sample_seed: int | None = None

    @property
    def correct(self) -> bool:
        return self.status == "equivalent"


# --------------------------------------------------------------------------
# Hard time bound: run a function in a forked child
# --------------------------------------------------------------------------

MAX_REPLY_BYTES = 64 * 1024  # a proof verdict is a few hundred bytes


@dataclass(frozen=True)
class ChildResult:
    """``status`` is "ok" (``value`` holds the result), "error" (``value`` holds
    a short description), "timeout" (child killed) or "unavailable" (no fork)."""

    status: Literal["ok", "error", "timeout", "unavailable"]
    value: Any = None


def call_with_timeout(fn: Callable[[], Any], timeout: float) -> ChildResult:
    """Run ``fn()`` in a forked child and return its result, which must be plain JSON data.

    The child is killed with SIGKILL once ``timeout`` seconds have passed, so
    this returns after at most about ``timeout`` seconds plus the fork cost,
    whatever ``fn`` does.  The child is always reaped.

    The reply is one JSON object carrying a random token drawn here before the
    fork; it is read up to MAX_REPLY_BYTES and decoded with ``json`` only (never
    unpickled), and anything else -- too long, not JSON, the wrong shape, the
    wrong token (something other than our child wrote into the pipe, e.g.
    through ``/proc/<pid>/fd``) -- is an "error" result, never an exception.
    """
    if not hasattr(os, "fork") or timeout <= 0:
        return ChildResult("unavailable" if not hasattr(os, "fork") else "timeout")
    deadline = time.monotonic() + timeout
    token = os.urandom(16).hex()
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # e.g. a process limit: fall back to the numeric verdict
        os.close(read_fd)
        os.close(write_fd)
        return ChildResult("unavailable")
    if pid == 0:  # pragma: no cover - runs in the child; coverage cannot see it
        _child_main(fn, token, read_fd, write_fd)
    os.close(write_fd)
    try:
        payload = _read_until(read_fd, deadline, MAX_REPLY_BYTES)
    finally:
        os.close(read_fd)
        _kill_and_reap(pid)
    if payload is None:
        return ChildResult("timeout")
    return _decode_reply(payload, token)


def _decode_reply(payload: bytes, token: str) -> ChildResult:
    """The child's reply, checked field by field; a bad reply is an "error"."""
    if len(payload) > MAX_REPLY_BYTES:
        return ChildResult("error", "reply too large")
    try:
        reply = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # truncated (child killed mid-write) or garbage
        return ChildResult("error", "unreadable reply")
    if not isinstance(reply, dict) or set(reply) != {"token", "status", "value"}:
        return ChildResult("error", "malformed reply")
    if reply["token"] != token:
        return ChildResult("error", "reply not from the proof child")
    status = reply["status"]
    if status not in ("ok", "error") or (status == "error" and not isinstance(reply["value"], str)):
        return ChildResult("error", "malformed reply")
    return ChildResult(status, reply["value"])


def _child_main(fn: Callable[[], Any], token: str, read_fd: int, write_fd: int) -> None:  # pragma: no cover
    # os._exit skips atexit handlers and buffered-output flushing inherited
    # from the parent (pytest, Jupyter), which must only happen once.
    try:
        os.close(read_fd)
        try:
            reply = {"token": token, "status": "ok", "value": fn()}
            payload = json.dumps(reply, allow_nan=False).encode()
        except BaseException as exc:  # report anything, even SystemExit, to the parent
            reply = {"token": token, "status": "error", "value": repr(exc)[:1000]}
            payload = json.dumps(reply).encode()
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view) :]
    finally:
        os._exit(0)


def _read_until(fd: int, deadline: float, limit: int) -> bytes | None:
    """Read ``fd`` to EOF (at most ``limit`` + 1 bytes); None if the deadline passes first."""
    chunks: list[bytes] = []
    size = 0
    # a selector rather than select.select, which fails for fd numbers >= 1024
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # stop reading: the caller reports "reply too large"
                return b"".join(chunks)


def _kill_and_reap(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


# --------------------------------------------------------------------------
# Work done in the child
# --------------------------------------------------------------------------


def _as_real(*exprs: sympy.Expr) -> list[sympy.Expr]:
    """Replace every symbol by a real one of the same name (we sample reals)."""
    symbols = set().union(*(expr.free_symbols for expr in exprs))
    real = {sym: sympy.Symbol(sym.name, real=True) for sym in symbols}
    return [expr.xreplace(real) for expr in exprs]


def _prove_equal(answer: sympy.Expr, expected: sympy.Expr) -> bool:
    """True if SymPy shows answer - expected == 0 for real variables."""
    difference = sympy.Add(*_as_real(_exact_numbers(answer), -_exact_numbers(expected)))
    # cancel() settles rational expressions in the variables and in exp(...) terms
    # (polynomials, the sigmoid's σ(1 − σ) forms) in milliseconds, without the
    # ~0.2 s of imports simplify() makes on first use; simplify is the fallback.
    if sympy.cancel(difference) == 0:
        return True
    if sympy.simplify(difference) == 0:
        return True
    return difference.equals(0) is True


def _float_to_rational(value: float) -> sympy.Rational:
    """The number a decimal in an answer stands for.

    The simplest fraction (denominator up to 10**6) that rounds to the same
    double, so 0.1 is 1/10 and Python's 1/3 = 0.3333333333333333 is 1/3; else
    the decimal itself, exactly (0.333333333333 is not 1/3).
    """
    simple = Fraction(value).limit_denominator(10**6)
    if float(simple) != value:
        simple = Fraction(repr(value))
    return sympy.Rational(simple.numerator, simple.denominator)


def _exact_numbers(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every Float replaced by the exact number it stands for."""
    floats = expr.atoms(sympy.Float)
    if not floats:
        return expr
    return expr.xreplace({f: _float_to_rational(float(f)) for f in floats})


EXACT_DIGITS = 50  # working precision of the exact comparison
# |a - e| above this (relative to max(1, |a|, |e|)) with EXACT_DIGITS correct digits is a
# proven difference; true equality leaves about 10**-EXACT_DIGITS.
EXACT_GAP = sympy.Float("1e-35", EXACT_DIGITS)


def _exact_value(expr: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Rational]) -> sympy.Float | None:
    """``expr`` at an exact point to EXACT_DIGITS certified digits, or None if not a finite real."""
    try:
        value = expr.xreplace(point).evalf(EXACT_DIGITS, strict=True)
    except Exception:  # PrecisionExhausted, or a function with no numeric value there
        return None
    if not (value.is_Number and value.is_finite and value.is_real):
        return None  # complex, nan, zoo: proves nothing here
    return sympy.Float(value, EXACT_DIGITS)


def _differs_at(
    answer: sympy.Expr, expected: sympy.Expr, point: Mapping[sympy.Symbol, sympy.Rational]
) -> bool:
    a = _exact_value(answer, point)
    e = _exact_value(expected, point)
    if a is None or e is None:
        return False
    return bool(abs(a - e) > EXACT_GAP * max(sympy.Float(1), abs(a), abs(e)))


def _exact_pair(answer: sympy.Expr, expected: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr, dict[str, sympy.Symbol]]:
    """Both with exact numbers and the same real symbols; name -> symbol."""
    a, e = _as_real(_exact_numbers(answer), _exact_numbers(expected))
    return a, e, {sym.name: sym for sym in a.free_symbols | e.free_symbols}


def _differ_in_high_precision(
    answer: sympy.Expr, expected: sympy.Expr, points: list[dict[str, float]]
) -> int | None:
    """Index of the first of ``points`` where the two really differ (exact arithmetic), or None."""
    a, e, symbols = _exact_pair(answer, expected)
    for index, point in enumerate(points):
        exact = {sym: sympy.Rational(point.get(name, 1.0)) for name, sym in symbols.items()}
        if _differs_at(a, e, exact):
            return index
    return None


# Regimes of the exact witness search: the numeric regimes plus wider values,
# so that a difference hidden outside the sampled ranges is found too.
_WITNESS_REGIMES = (*_REGIMES, (0.01, 0.2, True), (4.0, 40.0, True), (40.0, 400.0, True))
_WITNESS_DENOMINATORS = (997, 1009, 7919, 65537)
_EARLY_WITNESSES = 3  # witness points tried before cancel() on a big expression
_LOW_DEGREE = 12  # cancel() expands products: cheap up to about this total degree


def _degree_bound(expr: sympy.Basic) -> int:
    """An upper bound on the total degree of ``expr`` as a polynomial in its atoms.

    Functions count as degree 1 in their arguments' atoms (a product inside exp()
    is not expanded by cancel()); negative and fractional powers count their size.
    """
    if expr.is_Atom:
        return 0 if expr.is_number else 1
    if expr.is_Add:
        return max(_degree_bound(arg) for arg in expr.args)
    if expr.is_Mul:
        return sum(_degree_bound(arg) for arg in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Rational:
            return min(10**6, int(sympy.ceiling(abs(exponent))) * _degree_bound(base))
        return _degree_bound(base) + _degree_bound(exponent)
    return 1


def _witness_points(names: Sequence[str], seed: int) -> list[dict[str, sympy.Rational]]:
    """Two exact rational points per witness regime, from the run's secret seed."""
    rng = np.random.default_rng([seed, 1])
    points = []
    for _ in range(2):
        for low, high, signed in _WITNESS_REGIMES:
            point = {}
            for name in names:
                q = int(rng.choice(_WITNESS_DENOMINATORS))
                value = sympy.Rational(int(rng.integers(int(low * q), int(high * q) + 1)), q)
                point[name] = -value if signed and rng.random() < 0.5 else value
            points.append(point)
    return points


def _is_rational_function(difference: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> bool:
    """``difference`` is p/q with p, q polynomials in ``symbols`` over the rationals."""
    if not symbols:
        return bool(difference.is_Rational)
    numerator, denominator = sympy.fraction(sympy.cancel(difference))
    try:
        polys = [sympy.Poly(part, *symbols) for part in (numerator, denominator)]
    except sympy.PolynomialError:
        return False
    return all(poly.domain.is_ZZ or poly.domain.is_QQ for poly in polys)


def _exact_check(answer: sympy.Expr, expected: sympy.Expr, seed: int) -> dict[str, Any]:
    """Decide equality exactly where that is cheap; runs in the proof child.

    Returns ``{"verdict": "equal" | "not_equal" | "unknown", "point": {name: value} | None}``:
    "equal" when cancel() reduces the difference to 0; "not_equal" when the
    difference is a nonzero rational function with rational coefficients
    (cancel() is a normal form for those), or when at one of a few exact
    rational points (drawn from the run's secret ``seed``) both sides are
    finite reals that differ beyond any rounding (EXACT_DIGITS certified
    digits) -- ``point`` is then that witness, as floats.  Works on the parsed
    expressions only: no text is read here.
    """
    a, e, symbols = _exact_pair(answer, expected)
    difference = a - e
    if difference == 0:
        return {"verdict": "equal", "point": None}
    names = sorted(symbols)
    witnesses = _witness_points(names, seed)
    # cancel() first settles the usual small correct answer fastest; on a big expression
    # (say a product of 32 factors) it can take far longer than a few exact witness
    # points, where a difference that is nonzero almost everywhere shows at once.
    early = _EARLY_WITNESSES if _degree_bound(difference) > _LOW_DEGREE else 0
    for index, point in enumerate(witnesses):
        if index == early and sympy.cancel(difference) == 0:
            return {"verdict": "equal", "point": None}
        if _differs_at(a, e, {symbols[name]: value for name, value in point.items()}):
            return {"verdict": "not_equal", "point": {name: float(value) for name, value in point.items()}}
    if _is_rational_function(difference, [symbols[name] for name in names]):
        return {"verdict": "not_equal", "point": None}
    return {"verdict": "unknown", "point": None}


# --------------------------------------------------------------------------
# Numeric comparison
# --------------------------------------------------------------------------


def sample_points(names: Sequence[str], seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded random values for each variable, never 0 or near-0.

    Four regimes of POINTS_PER_REGIME points: |v| in [0.2, 2] positive, the
    same with each variable negative at half of the points, [0.05, 0.95]
    (for expressions defined only on (0, 1)) and [1.5, 4].
    """
    rng = np.random.default_rng(seed)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for low, high, signed in _REGIMES:
        for name in names:
            values = rng.uniform(low, high, POINTS_PER_REGIME)
            if signed:
                values *= rng.permutation([-1.0, 1.0] * (POINTS_PER_REGIME // 2))
            columns[name].append(values)
    return {name: np.concatenate(parts) for name, parts in columns.items()}


# (values, rounding-error bounds) at the sample points
Sampled = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Comparison:
    agree: np.ndarray  # equal within tolerance, and rounding noise is small
    clear: np.ndarray  # certainly different (including "answer undefined")
    suspicious: np.ndarray  # slightly different: re-check with more digits
    # The remaining points prove nothing: the expected value is undefined
    # there, or rounding noise is too large to tell (ill-conditioned).


def _compare(answer: Sampled, expected: Sampled) -> _Comparison:
    """Classify each point; the rounding-error bounds widen the tolerance.

    A point near a root of an expanded polynomial, or where an intermediate
    value overflows, has a large (or infinite) noise bound: it neither agrees
    nor disagrees unless the gap is far beyond the noise.
    """
    (a, a_err), (e, e_err) = answer, expected
    defined = np.isfinite(e)
    both = defined & np.isfinite(a)
    with np.errstate(all="ignore"):
        gap = np.abs(a - e)
        scale = np.maximum(np.abs(a), np.abs(e))
        noise = NOISE_FACTOR * (a_err + e_err)
        well_conditioned = noise <= CLEAR_RTOL * scale + CLEAR_ATOL
        within = gap <= RTOL * scale + ATOL + noise
        far = gap > CLEAR_RTOL * scale + CLEAR_ATOL + 100 * noise
    clear = (defined & ~np.isfinite(a)) | (both & far)
    return _Comparison(both & within & well_conditioned, clear, both & ~within & ~far)


def _same_values(first: Sampled, second: Sampled) -> bool:
    """The two agree (loosely) wherever both are defined, at enough points."""
    (a, a_err), (b, b_err) = first, second
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < MIN_POINTS:
        return False
    a, b = a[both], b[both]
    noise = NOISE_FACTOR * (a_err[both] + b_err[both])
    return bool(np.all(np.abs(a - b) <= 1e-7 * np.maximum(np.abs(a), np.abs(b)) + 1e-9 + noise))


def _point(samples: Mapping[str, np.ndarray], index: int, names: Sequence[str]) -> dict[str, float]:
    return {name: float(samples[name][index]) for name in names}


# --------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------


def _format_number(value: float) -> str:
    """Integers exactly, everything else to 6 significant digits."""
    if not math.isfinite(value):
        return "undefined"
    if value == round(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _format_factor(value: float) -> str:
    """A constant factor or offset, as a simple fraction when it is one (3/2, -1/3)."""
    fraction = Fraction(value).limit_denominator(12)
    if abs(float(fraction) - value) <= 1e-9 * max(abs(value), 1.0):
        return str(fraction)
    return _format_number(value)


def _format_point(point: Mapping[str, float]) -> str:
    return ", ".join(f"{name} = {_format_number(value)}" for name, value in point.items())


def _distinct_pair(a: float, e: float) -> tuple[str, str]:
    """Format a and e with just enough digits to show that they differ."""
    first, second = _format_number(a), _format_number(e)
    digits = 7
    while first == second and digits <= 17:
        first, second = f"{a:.{digits}g}", f"{e:.{digits}g}"
        digits += 1
    return first, second


def _mismatch_message(point: Mapping[str, float], a: float, e: float) -> str:
    where = f"at {_format_point(point)} " if point else ""
    if not math.isfinite(a):
        return (
            f"Not quite: {where}your answer is undefined (for example a division by zero "
            f"or the log of a negative number) but the correct value is {_format_number(e)}."
        )
    shown_a, shown_e = _distinct_pair(a, e)
    return f"Not quite: {where}your answer evaluates to {shown_a} but the correct value is {shown_e}."


# --------------------------------------------------------------------------
# Diagnosis
# --------------------------------------------------------------------------


def _ratio_message(ratio: float) -> str:
    if abs(ratio - 1) < 1e-3:
        return (
            f"Your answer is very close to the correct one (relative difference {abs(ratio - 1):.1e}): "
            "use exact constants such as pi, sqrt(2) or 1/3 instead of rounded decimals."
        )
    if abs(ratio + 1) < 1e-7:
        return "Sign error: your answer is the negative of the correct one."
    if abs(ratio - 2) < 1e-7:
        return "Your answer is twice the correct one: check for an extra factor of 2."
    if abs(ratio - 0.5) < 1e-7:
        return (
            "Your answer is half the correct one: a factor of 2 is missing (for example from differentiating a square)."
        )
    return f"Your answer is {_format_factor(ratio)} times the correct one: check the constant factors."


def _constant_of(values: np.ndarray) -> float | None:
    """The common value of ``values`` if they are all (nearly) equal."""
    if values.size < MIN_POINTS:
        return None
    middle = float(np.median(values))
    if np.all(np.abs(values - middle) <= 1e-7 * abs(middle) + 1e-9):
        return middle
    return None


def _generic_diagnosis(a: np.ndarray, e: np.ndarray) -> str | None:
    """Constant factor (sign, 2, 1/2, c) or constant offset between a and e."""
    usable = np.isfinite(a) & np.isfinite(e) & (np.abs(e) > 1e-12)
    with np.errstate(all="ignore"):
        ratio = _constant_of(a[usable] / e[usable])
    # A ratio of exactly 1 (or an offset of exactly 0) means the sample points show no
    # difference at all (only the exact check found one): nothing to say about it.
    if ratio is not None and abs(ratio) > 1e-9 and ratio != 1:
        return _ratio_message(ratio)
    both = np.isfinite(a) & np.isfinite(e)
    offset = _constant_of(a[both] - e[both])
    if offset is not None and offset != 0:
        return f"Your answer differs from the correct one by the constant {_format_factor(offset)}."
    return None


def _diagnose(
    answer: Sampled,
    expected: Sampled,
    candidates: Sequence[tuple[str, sympy.Expr]],
    samples: Mapping[str, np.ndarray],
) -> str | None:
    """First candidate mistake the answer matches, else a generic diagnosis."""
    for message, wrong in candidates:
        if _same_values(answer, _evaluate_checked(wrong, samples, "a mistake")):
            return message
    return _generic_diagnosis(answer[0], expected[0])


# --------------------------------------------------------------------------
# Wrong variants for derivatives
# --------------------------------------------------------------------------


def _find_symbol(expr: sympy.Expr, name: str | sympy.Symbol) -> sympy.Symbol:
    if isinstance(name, sympy.Symbol):
        return name
    for sym in expr.free_symbols:
        if sym.name == name:
            return sym
    return sympy.Symbol(name)


def _sigmoid_argument(expr: sympy.Expr) -> sympy.Expr | None:
    """g if expr is 1/(1 + exp(-g)), else None."""
    if not (expr.is_Pow and expr.exp == -1 and expr.base.is_Add):
        return None
    terms = expr.base.args
    if len(terms) != 2 or sympy.S.One not in terms:
        return None
    other = terms[0] if terms[1] == 1 else terms[1]
    if isinstance(other, sympy.exp):
        return -other.args[0]
    return None


# Smooth one-argument functions whose outer derivative is worth offering
# (step functions would give DiracDelta, which nobody can evaluate).
_CHAIN_RULE_FUNCTIONS = (
    sympy.exp,
    sympy.log,
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.Abs,
)


def _outer_derivatives(expr: sympy.Expr, wrt: sympy.Symbol) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """Pairs (g, F'(g)) for expr = F(g): the outer derivative at the inner argument."""
    pairs: list[tuple[sympy.Expr, sympy.Expr]] = []
    inner = _sigmoid_argument(expr)
    if inner is not None:  # sigma'(g) = sigma(g) * (1 - sigma(g))
        pairs.append((inner, expr * (1 - expr)))
    if expr.is_Pow:
        base, exponent = expr.args
        if not exponent.has(wrt):  # d/du u**n = n u**(n-1)
            pairs.append((base, exponent * base ** (exponent - 1)))
        elif not base.has(wrt):  # d/du a**u = a**u log(a)
            pairs.append((exponent, expr * sympy.log(base)))
    elif isinstance(expr, _CHAIN_RULE_FUNCTIONS):
        u = sympy.Dummy("u", real=True)
        outer = sympy.diff(expr.func(u), u)
        pairs.append((expr.args[0], outer.subs(u, expr.args[0])))
    return pairs


def inner_derivative_mistakes(function: sympy.Expr, wrt: str | sympy.Symbol) -> dict[str, sympy.Expr]:
    """Wrong derivatives that forget the chain rule's inner factor.

    For ``function = c * F(g) + k`` with c and k independent of ``wrt`` and
    F one of Pow (constant exponent or constant base), exp, log, sin, ...,
    or the sigmoid 1/(1 + exp(-g)), the correct derivative is
    ``c * F'(g) * dg/dwrt``; the returned mapping has ``c * F'(g)`` under a
    message that names the forgotten factor dg/dwrt.  Only the top level is
    inspected, and variants where dg/dwrt == 1 (nothing to forget) are
    skipped; anything else returns ``{}``.
    """
    w = _find_symbol(function, wrt)
    _, dependent = function.as_independent(w, as_Add=True)
    factor, core = dependent.as_independent(w, as_Mul=True)
    mistakes: dict[str, sympy.Expr] = {}
    for inner, outer in _outer_derivatives(core, w):
        d_inner = sympy.diff(inner, w)
        if d_inner == 0 or d_inner == 1:
            continue
        message = f"You forgot the inner derivative (chain rule): multiply by ∂({inner})/∂{w} = {d_inner}."
        mistakes.setdefault(message, factor * outer)
    return mistakes


def _derivative_candidates(
    function: sympy.Expr,
    wrt: sympy.Symbol,
    symbols: Mapping[str, sympy.Symbol],
    expected: sympy.Expr,
) -> list[tuple[str, sympy.Expr]]:
    """Generic wrong variants of d(function)/d(wrt), most specific first."""
    candidates = list(inner_derivative_mistakes(function, wrt).items())
    candidates.append(("You returned the function itself, not its derivative.", function))
    for name, sym in symbols.items():
        if sym == wrt:
            continue
        other = sympy.diff(function, sym)
        if other != 0 and other - expected != 0:
            candidates.append(
                (
                    f"That is the derivative with respect to {name}; differentiate with respect to {wrt.name} instead.",
                    other,
                )
            )
    if expected != 0:
        candidates.append((f"Your answer is 0, but the function does change with {wrt.name}.", sympy.S.Zero))
    return candidates


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


def _evaluate_checked(expr: sympy.Expr, samples: Mapping[str, np.ndarray], role: str) -> Sampled:
    """Evaluate an author-supplied expression; unsupported pieces are author errors."""
    try:
        return evaluate_with_error(expr, samples, _size_of(samples))
    except UnsupportedExpression as exc:
        raise ValueError(f"cannot evaluate {role} {expr}: {exc}") from None


def _size_of(samples: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(samples.values()))) if samples else SAMPLE_SIZE


def _resolve_symbols(variables: Sequence[str | sympy.Symbol], *exprs: sympy.Expr) -> dict[str, sympy.Symbol]:
    """Variable name -> Symbol, reusing the author's Symbols (and assumptions)."""
    table = symbol_table(variables)
    present: dict[str, sympy.Symbol] = {}
    for expr in exprs:  # the first expression (the expected one) wins
        for sym in expr.free_symbols:
            present.setdefault(sym.name, sym)
    table.update((name, present[name]) for name in table if name in present)
    missing = sorted(set(present) - set(table))
    if missing:
        raise ValueError(f"symbols {missing} are not among the variables {list(table)}")
    return table


def _author_expr(value: sympy.Expr | str | float, variables: Sequence[str | sympy.Symbol], role: str) -> sympy.Expr:
    """An expression from the exercise author: a SymPy Expr, a number or trusted formula text.

    Text goes through the same whitelist parser as answers, so author formulas
    and student answers are read identically; variable names given as strings
    become real Symbols.
    """
    if isinstance(value, sympy.Expr):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
    if isinstance(value, str):
        # Real symbols: that is where we sample, and it keeps derivatives of
        # Abs and sqrt free of re(), im() and unevaluated Derivatives.
        real = [sympy.Symbol(v, real=True) if isinstance(v, str) else v for v in variables]
        try:
            return parse_answer(value, real)
        except InvalidAnswer as exc:
            raise ValueError(f"{role} {value!r} is not a valid formula: {exc}") from None
    raise TypeError(f"{role} must be a sympy expression, a number or a formula string, not {type(value).__name__}")


Mistakes = Mapping[str, sympy.Expr | str] | Iterable[tuple[sympy.Expr | str, str]]


def _user_mistakes(mistakes: Mistakes | None, variables: Sequence[str | sympy.Symbol]) -> list[tuple[str, sympy.Expr]]:
    """Normalise ``mistakes`` to (message, wrong expression) pairs, in order."""
    if mistakes is None:
        return []
    if isinstance(mistakes, Mapping):
        pairs = [(message, wrong) for message, wrong in mistakes.items()]
    else:
        pairs = [(message, wrong) for wrong, message in mistakes]
    for message, _ in pairs:
        if not isinstance(message, str):
            raise TypeError("each mistake needs a message string")
    return [(message, _author_expr(wrong, variables, "mistake")) for message, wrong in pairs]


def _invalid(message: str, expected: sympy.Expr) -> SymbolicVerdict:
    return SymbolicVerdict("invalid", message, None, expected, None, None, "parse")


def fresh_sample_seed() -> int:
    """A seed for the sample points, from the OS's randomness: one per check.

    It is drawn in the grading process after the student's answer has been
    received, and lives only there, so nothing the submission can read or
    compute (``--seed``, an earlier run's feedback, the grader's memory at
    any earlier time) tells it where the answer will be evaluated.
    """
    return int.from_bytes(os.urandom(8), "little")


def check_equivalent(
    answer: object,
    expected: sympy.Expr | str,
    variables: Sequence[str | sympy.Symbol],
    *,
    mistakes: Mistakes | None = None,
    seed: int = 0,
    sample_seed: int | None = None,
    timeout: float = 3.0,
) -> SymbolicVerdict:
    """Decide whether ``answer`` equals ``expected`` as a function of ``variables``.

    ``answer`` is formula text or a SymPy expression (anything else is
    "invalid").  "equivalent" means: wherever ``expected`` is defined at the
    sampled points, the answer is defined too and equal to 1e-8 relative,
    and no exact check that finishes within ``timeout`` seconds shows them to
    differ (see ``SymbolicVerdict.method``).  "different" comes with a
    counterexample and a diagnosis if the answer matches one of ``mistakes``
    or differs from ``expected`` by a constant factor or offset.

    The sample points come from ``sample_seed``, by default a fresh secret
    (:func:`fresh_sample_seed`) per call; ``seed`` (the run's public seed)
    only picks the readable counterexample shown on a mismatch.

    ``expected`` and the wrong expressions in ``mistakes`` are trusted author
    input: SymPy expressions or formula text (read by the answer parser).
    ``mistakes`` is a mapping message -> wrong expression, or a sequence of
    (wrong expression, message) pairs; they are tried in order.
    ``variables`` are names (or Symbols) of everything an answer may use.

    Never raises because of the answer; raises ValueError/TypeError for
    author errors (e.g. ``expected`` uses a symbol not in ``variables``).
    Returns within about ``timeout`` seconds plus a few milliseconds.
    """
    deadline = time.monotonic() + timeout
    expected_expr = _author_expr(expected, variables, "expected")
    candidates = _user_mistakes(mistakes, variables)
    return _check(answer, expected_expr, variables, candidates, seed, sample_seed, deadline)


def check_derivative(
    answer: object,
    function: sympy.Expr | str,
    wrt: str | sympy.Symbol,
    variables: Sequence[str | sympy.Symbol],
    *,
    mistakes: Mistakes | None = None,
    seed: int = 0,
    sample_seed: int | None = None,
    timeout: float = 3.0,
) -> SymbolicVerdict:
    """Check ``answer`` against the partial derivative ``sympy.diff(function, wrt)``.

    Same contract as :func:`check_equivalent` (``wrt`` must be one of
    ``variables``).  On a mismatch the exercise's own ``mistakes`` are tried
    first, then the generic ones: a forgotten inner derivative
    (:func:`inner_derivative_mistakes`), the function itself instead of its
    derivative, the derivative with respect to another variable, an answer of
    0, and finally a constant factor (sign, 2, 1/2, c) or constant offset.
    """
    deadline = time.monotonic() + timeout
    function_expr = _author_expr(function, variables, "function")
    symbols = _resolve_symbols(variables, function_expr)
    name = wrt.name if isinstance(wrt, sympy.Symbol) else wrt
    if name not in symbols:
        raise ValueError(f"wrt={name!r} is not among the variables {list(symbols)}")
    w = symbols[name]
    expected = sympy.diff(function_expr, w)
    candidates = _user_mistakes(mistakes, list(symbols.values()))
    candidates += _derivative_candidates(function_expr, w, symbols, expected)
    return _check(answer, expected, list(symbols.values()), candidates, seed, sample_seed, deadline)


def _check(
    answer: object,
    expected: sympy.Expr,
    variables: Sequence[str | sympy.Symbol],
    candidates: Sequence[tuple[str, sympy.Expr]],
    seed: int,
    sample_seed: int | None,
    deadline: float,
) -> SymbolicVerdict:
    symbols = _resolve_symbols(variables, expected, *(wrong for _, wrong in candidates))
    try:
        parsed = parse_answer(answer, list(symbols.values()))  # type: ignore[arg-type]
    except InvalidAnswer as exc:
        return _invalid(str(exc), expected)
    except Exception:  # hostile input must never crash the grader
        return _invalid("Your answer could not be read; please rewrite it more simply.", expected)
    # Only now, with the answer fixed, are the points where it is evaluated drawn.
    secret = fresh_sample_seed() if sample_seed is None else sample_seed
    samples = sample_points(list(symbols), secret)
    expected_values = _evaluate_checked(expected, samples, "the expected expression")
    try:
        answer_values = evaluate_with_error(parsed, samples, SAMPLE_SIZE)
    except InvalidAnswer as exc:
        return _invalid(str(exc), expected)
    except Exception:  # hostile input must never crash the grader
        return _invalid("Your answer could not be read; please rewrite it more simply.", expected)
    case = _Case(parsed, expected, answer_values, expected_values, samples, candidates, seed, secret)
    return dataclasses.replace(_decide(case, deadline), sample_seed=secret)


@dataclass(frozen=True)
class _Case:
    """Everything known about one comparison once the answer has been read."""

    answer: sympy.Expr
    expected: sympy.Expr
    answer_values: Sampled
    expected_values: Sampled
    samples: dict[str, np.ndarray]
    candidates: Sequence[tuple[str, sympy.Expr]]
    seed: int  # public: picks the readable counterexample
    sample_seed: int  # secret: the sample points and the exact check's witnesses

    @property
    def names(self) -> list[str]:
        """The variables that occur in the answer or the expected expression."""
        used = {sym.name for sym in self.answer.free_symbols | self.expected.free_symbols}
        return [name for name in self.samples if name in used]


def _equivalent(case: _Case, method: str) -> SymbolicVerdict:
    return SymbolicVerdict("equivalent", "Correct.", case.answer, case.expected, None, None, method)


def _decide(case: _Case, deadline: float) -> SymbolicVerdict:
    """Numeric evidence first; an exact check that completes overrides it.

    A clear numeric difference settles "different" at once.  Otherwise the
    proof child runs :func:`_exact_check` (and re-checks near-misses with
    exact arithmetic): a proven equality wins over a numeric near-miss, a
    proven difference over numeric agreement.  Only when no exact check
    completes does the numeric evidence decide.
    """
    if case.answer - case.expected == 0:  # identical once SymPy has evaluated both
        return _equivalent(case, "identical")
    comparison = _compare(case.answer_values, case.expected_values)
    if comparison.clear.any():
        index = int(np.flatnonzero(comparison.clear)[0])
        return _different(case, _readable_counterexample(case, index), "numeric")
    near_misses = np.flatnonzero(comparison.suspicious)[:MAX_RECHECKS]
    few_points = comparison.agree.sum() < MIN_POINTS
    # Half the time for the quick exact check, the rest for simplify().
    budget = (deadline - time.monotonic()) / 2
    if near_misses.size:
        points = [_point(case.samples, int(i), list(case.samples)) for i in near_misses]
        recheck = call_with_timeout(lambda: _differ_in_high_precision(case.answer, case.expected, points), budget)
        recheck_value = recheck.value if recheck.status == "ok" else None
        if isinstance(recheck_value, int) and not isinstance(recheck_value, bool) and 0 <= recheck_value < len(points):
            point = _point(case.samples, int(near_misses[recheck_value]), case.names)
            return _different(case, point, "numeric+high-precision")
        if recheck.status != "ok" or recheck_value is not None:
            # Neither re-checked nor proven equal: the float evidence of a difference stands,
            # unless a proof of equality completes.
            if _prove(case.answer, case.expected, deadline) == "proved":
                return _equivalent(case, "simplify")
            point = _point(case.samples, int(near_misses[0]), case.names)
            return _different(case, point, "numeric+high-precision")
        budget = (deadline - time.monotonic()) / 2
    exact = _exact(case, budget)
    if exact is not None:
        verdict, witness = exact
        if verdict == "equal":
            return _equivalent(case, "simplify" if few_points else "numeric+simplify")
        if verdict == "not_equal":
            method = "simplify" if few_points else "exact"
            if witness is None and few_points:
                return _unconfirmed(case)
            fallback = witness or _point(case.samples, 0, case.names)
            return _different(case, _readable_counterexample(case, None, fallback), method)
    if few_points:
        return _decide_symbolically(case, deadline)
    proof = _prove(case.answer, case.expected, deadline)
    method = {"proved": "numeric+simplify", "unproved": "numeric+inconclusive"}.get(proof, "numeric")
    return _equivalent(case, method)


# Pairs (answer, expected) proven equal in this process, by their exact structure (srepr):
# a proof of equality holds whatever the sample points, so a batch that sees the same
# correct answer from 300 students forks the proof child once. Bounded; never a
# "different" verdict (those may rest on the run's secret points).
_PROVEN_EQUAL: dict[tuple[str, str], None] = {}
_PROVEN_EQUAL_MAX = 4096


def _proof_key(answer: sympy.Expr, expected: sympy.Expr) -> tuple[str, str]:
    return sympy.srepr(answer), sympy.srepr(expected)


def _remember_equal(answer: sympy.Expr, expected: sympy.Expr) -> None:
    if len(_PROVEN_EQUAL) >= _PROVEN_EQUAL_MAX:
        _PROVEN_EQUAL.pop(next(iter(_PROVEN_EQUAL)))
    _PROVEN_EQUAL[_proof_key(answer, expected)] = None


def _exact(case: _Case, budget: float) -> tuple[str, dict[str, float] | None] | None:
    """(verdict, witness point) from :func:`_exact_check` in the proof child; None if it did not finish."""
    if _proof_key(case.answer, case.expected) in _PROVEN_EQUAL:
        return "equal", None
    result = call_with_timeout(lambda: _exact_check(case.answer, case.expected, case.sample_seed), budget)
    if result.status != "ok" or not isinstance(result.value, dict):
        return None
    verdict, point = result.value.get("verdict"), result.value.get("point")
    if verdict not in ("equal", "not_equal", "unknown"):
        return None
    if verdict == "equal":
        _remember_equal(case.answer, case.expected)
    return verdict, _valid_point(point, case.names)


def _valid_point(point: object, names: Sequence[str]) -> dict[str, float] | None:
    """A witness from the child, if it is a point over exactly ``names`` with finite coordinates."""
    if not isinstance(point, dict) or set(point) != set(names):
        return None
    values = [point[name] for name in names]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        return None
    return {name: float(point[name]) for name in names}


def _prove(answer: sympy.Expr, expected: sympy.Expr, deadline: float) -> Literal["proved", "unproved", "timeout"]:
    if _proof_key(answer, expected) in _PROVEN_EQUAL:
        return "proved"
    result = call_with_timeout(lambda: _prove_equal(answer, expected), deadline - time.monotonic())
    if result.status == "ok" and isinstance(result.value, bool):
        if result.value:
            _remember_equal(answer, expected)
        return "proved" if result.value else "unproved"
    return "timeout"


def _unconfirmed(case: _Case) -> SymbolicVerdict:
    message = "Your answer could not be confirmed to equal the expected expression."
    return SymbolicVerdict("different", message, case.answer, case.expected, None, None, "simplify")


def _decide_symbolically(case: _Case, deadline: float) -> SymbolicVerdict:
    """Fallback when ``expected`` is undefined at almost every sample point."""
    if _prove(case.answer, case.expected, deadline) == "proved":
        return _equivalent(case, "simplify")
    return _unconfirmed(case)


def _clear_at(case: _Case, points: Mapping[str, np.ndarray]) -> np.ndarray:
    size = _size_of(points)
    answer = evaluate_with_error(case.answer, points, size)
    expected = evaluate_with_error(case.expected, points, size)
    return _compare(answer, expected).clear


def _readable_counterexample(
    case: _Case, index: int | None, fallback: dict[str, float] | None = None
) -> dict[str, float]:
    """A point where the two clearly differ, preferring small round numbers.

    Tries random combinations of simple values first (picked by the public
    seed, so a rerun with ``--seed`` shows the same), then the sample point
    ``index`` rounded to 2 decimals and that point itself, or ``fallback``
    (a witness of the exact check).
    """
    rng = np.random.default_rng(case.seed + 1)
    nice = {name: rng.choice(_NICE_VALUES, SAMPLE_SIZE) for name in case.samples}
    # smallest values first: easiest to check by hand, least likely to saturate
    order = np.argsort(sum(np.abs(values) for values in nice.values()), kind="stable")
    nice = {name: values[order] for name, values in nice.items()}
    clear = _clear_at(case, nice)
    if clear.any():
        return _point(nice, int(np.flatnonzero(clear)[0]), case.names)
    if index is None:
        assert fallback is not None
        return fallback
    rounded = {name: np.round(values[index : index + 1], 2) for name, values in case.samples.items()}
    if _clear_at(case, rounded).all():
        return _point(rounded, 0, case.names)
    return _point(case.samples, index, case.names)


def _exact_mismatch_message(case: _Case, point: dict[str, float]) -> str:
    """Both values with enough exact digits to see a difference smaller than float rounding."""
    a, e, symbols = _exact_pair(case.answer, case.expected)
    exact = {sym: sympy.Rational(point.get(name, 1.0)) for name, sym in symbols.items()}
    shown_a, shown_e = (_exact_value(expr, exact) for expr in (a, e))
    if shown_a is None or shown_e is None:
        return f"Not quite: at {_format_point(point)} your answer differs slightly from the correct value."
    digits = 17
    while digits < EXACT_DIGITS - 5 and str(shown_a.evalf(digits)) == str(shown_e.evalf(digits)):
        digits += 1
    where = f"at {_format_point(point)} " if point else ""
    return (
        f"Not quite: {where}your answer evaluates to {shown_a.evalf(digits)} "
        f"but the correct value is {shown_e.evalf(digits)}."
    )


def _different(case: _Case, point: dict[str, float], method: str) -> SymbolicVerdict:
    at = {name: np.array([value]) for name, value in point.items()}
    answer_value = float(evaluate(case.answer, at, 1)[0])
    expected_value = float(evaluate(case.expected, at, 1)[0])
    diagnosis = _diagnose(case.answer_values, case.expected_values, case.candidates, case.samples)
    if answer_value == expected_value:  # a difference below float resolution, found exactly
        message = _exact_mismatch_message(case, point)
    else:
        message = _mismatch_message(point, answer_value, expected_value)
    return SymbolicVerdict("different", message, case.answer, case.expected, point, diagnosis, method)
