"""Comparing a student's value with the expected one, and describing the gap.

Used in the grading process only (never in the worker). Numbers are compared
with `numpy.isclose`-style tolerances; the description names shape, dtype,
values, the worst index and the largest absolute and relative errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.sandbox.codec import Opaque

RTOL = 1e-6
ATOL = 1e-9
_PRINT_OPTIONS = {"precision": 6, "threshold": 12, "edgeitems": 3, "linewidth": 88}


@dataclass(frozen=True)
class Mismatch:
    """Why two values differ, in words, plus what a diagnosis may need."""

    reason: str
    details: tuple[str, ...] = ()
    # `summary`: the reason without any value (for graded feedback); empty = the reason's first line.
    summary: str = ""
    # `hint`: a likely-mistake sentence the comparison itself can give (e.g. float32).
    hint: str | None = None


def is_numeric(value: Any) -> bool:
    if isinstance(value, bool | str | Opaque) or value is None:
        return False
    if isinstance(value, int | float | np.number | np.ndarray):
        return not (isinstance(value, np.ndarray) and value.dtype.kind not in "biufc")
    if isinstance(value, list | tuple):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return False
        return arr.dtype.kind in "biufc"
    return False


def compact(value: Any, *, precision: int = 6, threshold: int = 12, limit: int = 300, call: bool = False) -> str:
    """One line for any value: arrays without line breaks, containers rendered recursively.

    With `call=True` arrays read `array([...])`, as they would be typed in a call.
    """
    text = _compact(value, precision, threshold, call)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _compact(value: Any, precision: int, threshold: int, call: bool) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=precision, threshold=threshold, edgeitems=3, linewidth=10_000):
            text = " ".join(np.array2string(value, separator=", ").split())
        return f"array({text})" if call else text
    if isinstance(value, np.generic):
        return _compact(value.item(), precision, threshold, call)
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {_compact(v, precision, threshold, call)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_compact(v, precision, threshold, call) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, float):
        text = f"{value:.{precision + 4}g}"
        # keep floats recognisable as floats (0.0, not 0)
        return text if any(c in text for c in ".eni") else text + ".0"
    return repr(value)


def describe(value: Any) -> str:
    """A short, student-readable rendering: the value plus its shape and dtype."""
    if isinstance(value, np.ndarray):
        return f"{compact(value)}  (ndarray, shape {value.shape}, dtype {value.dtype})"
    if isinstance(value, np.generic):
        return f"{value.item()!r}  (numpy scalar {value.dtype})"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}: {value.text}"
    return f"{compact(value)}  ({type(value).__name__})"


def _type_mismatch(expected: Any, got: Any) -> Mismatch | None:
    """The return TYPE a docstring promises: a new array, or a Python float.

    An ndarray is promised where the reference returns one: a list or tuple is
    refused. A float is promised where the reference returns a float (Python or
    numpy float64): an ndarray (0-d included) is refused, and so is a float32
    scalar, which holds only about 7 significant digits. Python ints (and
    numpy integers) count as floats, as in Python's own typing.
    """
    if isinstance(expected, np.ndarray) and isinstance(got, list | tuple):
        kind = type(got).__name__
        return Mismatch(
            f"expected a numpy array, got a Python {kind}",
            summary=f"expected a numpy array, got a Python {kind}",
            hint=f"You returned a {kind}; the docstring promises a new numpy array: wrap it with np.array(…) "
                 "or compute with numpy operations.",
        )
    if isinstance(expected, float | np.floating) and not isinstance(expected, np.float32 | np.float16):
        if isinstance(got, np.ndarray):
            shape = "a 0-d array" if got.ndim == 0 else f"an array of shape {got.shape}"
            return Mismatch(
                f"expected a float, got {shape}",
                summary=f"expected a float, got {shape}",
                hint=("You returned " + shape + " where the docstring promises a single float: "
                      + ("convert it with float(…)." if got.size == 1
                         else "reduce it (a sum or a mean?) to one number.")),
            )
        if isinstance(got, np.float32 | np.float16):
            return Mismatch(
                f"expected a float (64-bit), got a numpy {got.dtype} scalar",
                summary=f"expected a 64-bit float, got {got.dtype}",
                hint=f"You computed in {got.dtype}, which keeps only about 7 significant digits: "
                     "compute in float64 (numpy's default) and return float(…).",
            )
    return None


def compare(expected: Any, got: Any, *, rtol: float = RTOL, atol: float = ATOL) -> Mismatch | None:
    """None when `got` matches `expected`, else a Mismatch saying how it differs."""
    typed = _type_mismatch(expected, got)
    if typed is not None:
        return typed
    if is_numeric(expected):
        return _compare_numeric(expected, got, rtol=rtol, atol=atol)
    if isinstance(expected, list | tuple) and isinstance(got, list | tuple):
        if len(expected) != len(got):
            return Mismatch(f"expected {len(expected)} items, got {len(got)}")
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            inner = compare(e, g, rtol=rtol, atol=atol)
            if inner is not None:
                return Mismatch(f"item {i}: {inner.reason}", inner.details)
        return None
    if isinstance(expected, dict) and isinstance(got, dict):
        if set(expected) != set(got):
            return Mismatch(f"expected keys {sorted(expected)}, got {sorted(got)}")
        for key in expected:
            inner = compare(expected[key], got[key], rtol=rtol, atol=atol)
            if inner is not None:
                return Mismatch(f"key {key!r}: {inner.reason}", inner.details)
        return None
    if type(expected) is not type(got) and not (isinstance(expected, str) and isinstance(got, str)):
        return Mismatch(f"expected a {type(expected).__name__}, got a {type(got).__name__}")
    try:
        same = bool(np.array_equal(expected, got)) if isinstance(expected, np.ndarray) else bool(expected == got)
    except (TypeError, ValueError):  # values with no single truth (an array of objects) are not a match
        same = False
    return None if same else Mismatch("the values differ")


def _compare_numeric(expected: Any, got: Any, *, rtol: float, atol: float) -> Mismatch | None:
    if not is_numeric(got):
        return Mismatch(f"expected a number or array, got {describe(got)}",
                        summary=f"expected a number or array, got a {type(got).__name__}")
    exp = np.asarray(expected)
    act = np.asarray(got)
    if exp.shape != act.shape:
        hint = ""
        if act.ndim == 2 and act.T.shape == exp.shape and np.allclose(act.T, exp, rtol=rtol, atol=atol):
            hint = " (your array is the transpose of the expected one)"
        elif act.size == exp.size and np.allclose(act.reshape(exp.shape), exp, rtol=rtol, atol=atol):
            hint = " (the right numbers in the wrong shape)"
        return Mismatch(f"wrong shape: expected {exp.shape}, got {act.shape}{hint}")
    if act.dtype.kind == "c" and exp.dtype.kind != "c":
        return Mismatch("got complex numbers where real ones were expected")
    if isinstance(got, np.ndarray) and got.dtype in (np.float32, np.float16) and exp.dtype == np.float64:
        return Mismatch(
            f"expected a float64 array, got {got.dtype}",
            hint=f"Your array is {got.dtype}, which keeps only about 7 significant digits: compute in "
                 "float64 (numpy's default; do not pass dtype=np.float32 or .astype(np.float32)).",
        )
    exp_f = exp.astype(float)
    act_f = act.astype(float)
    with np.errstate(invalid="ignore", over="ignore"):
        # np.isclose's own test, |got − expected| ≤ atol + rtol·|expected|, in one pass: it holds
        # only where both are finite (a NaN or inf difference compares False), so a match here is a
        # match below, and everything else takes the full path with its messages.
        if bool(np.all(np.abs(act_f - exp_f) <= atol + rtol * np.abs(exp_f))):
            return None
    bad_nan = np.isnan(act_f) & ~np.isnan(exp_f)
    bad_inf = np.isinf(act_f) & ~np.isinf(exp_f)
    if np.any(bad_nan) or np.any(bad_inf):
        which = "NaN (not a number)" if np.any(bad_nan) else "inf (infinity)"
        count = int(np.count_nonzero(bad_nan | bad_inf))
        where = ""
        if exp_f.ndim:
            first = np.argwhere(bad_nan | bad_inf)[0]
            where = f" ({count} of {exp_f.size} entries, the first at index {[int(i) for i in first]})"
        return Mismatch(
            f"your value contains {which} where a finite number was expected{where}",
            summary=f"your value contains {which} where a finite number was expected",
            hint=(f"{which.split()[0]} comes from an overflow (np.exp of a large number, a product that "
                  "exceeds 1e308) or from 0/0 or inf − inf: rewrite the formula so that no step "
                  "overflows for large inputs."),
        )
    same_nonfinite = (np.isnan(exp_f) & np.isnan(act_f)) | (
        np.isinf(exp_f) & (exp_f == act_f)
    )
    close = np.isclose(act_f, exp_f, rtol=rtol, atol=atol) | same_nonfinite
    if bool(np.all(close)):
        return None
    abs_err = np.abs(act_f - exp_f)
    abs_err = np.where(np.isnan(abs_err), np.inf, abs_err)
    worst = np.unravel_index(int(np.argmax(abs_err)), exp_f.shape) if exp_f.ndim else ()
    # A relative error means something only against a non-zero expected value: where every wrong
    # entry should be 0 (an index, a count, a zero gradient), say so instead of dividing by ~0.
    relative = ~close & (exp_f != 0)
    if np.any(relative):
        rel_text = f", max rel error {float(np.max(abs_err[relative] / np.abs(exp_f[relative]))):.4g}"
    else:
        rel_text = " (where 0 was expected, so no relative error)"
    n_bad = int(np.size(close) - np.count_nonzero(close))
    hint = None
    if act.dtype.kind in "iub" and exp.dtype.kind == "f":
        hint = ("Your result is an integer array, so the fractions were cut off: convert integer inputs "
                "to float first (np.asarray(x, dtype=float)) and avoid in-place updates of integer arrays.")
    details = [
        f"max abs error {float(np.max(abs_err)):.4g}{rel_text}",
    ]
    if exp_f.ndim:
        details.append(
            f"worst at index {[int(i) for i in worst]}: expected {compact(float(exp_f[worst]))}, "
            f"got {compact(float(act_f[worst]))}; {n_bad} of {exp_f.size} entries wrong"
        )
    return Mismatch("wrong values", tuple(details), hint=hint)


def ratio_hint(expected: Any, got: Any, *, n: int | None = None) -> str | None:
    """Name a constant factor between got and expected (−1, ½, 2, N, 1/N), if any."""
    if not (is_numeric(expected) and is_numeric(got)):
        return None
    exp = np.asarray(expected, dtype=float)
    act = np.asarray(got, dtype=float)
    if exp.shape != act.shape or not np.all(np.isfinite(act)):
        return None
    mask = np.abs(exp) > 1e-12
    if not np.any(mask):
        return None
    # One number over another is always "a constant multiple": only a named
    # factor means something then. Arrays need two non-zero entries in the ratio.
    several = int(np.count_nonzero(mask)) >= 2
    ratios = act[mask] / exp[mask]
    r = float(np.median(ratios))
    if not np.allclose(ratios, r, rtol=1e-6, atol=1e-12) or not np.allclose(act, r * exp, rtol=1e-6, atol=1e-9):
        return None
    names = {
        -1.0: "Your answer is exactly −1 × the expected one: a sign error.",
        0.5: "Your answer is exactly half the expected one: a missing factor 2?",
        2.0: "Your answer is exactly twice the expected one: an extra factor 2?",
    }
    if n and n > 1:
        names[float(n)] = f"Your answer is {n} × the expected one: a sum where a mean (÷{n}) belongs?"
        names[1.0 / n] = f"Your answer is the expected one ÷ {n}: a mean where a sum belongs?"
    for value, sentence in names.items():
        if abs(r - value) <= 1e-6 * max(1.0, abs(value)):
            return sentence
    if several and abs(r - 1.0) > 1e-6:
        return f"Your answer is a constant multiple (×{r:.6g}) of the expected one, entry by entry."
    return None
