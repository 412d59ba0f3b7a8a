"""Strict comparison of structured results (dicts of arrays, tuples) for hidden tests.

`check_call` compares values; exercises 6 and 7 also promise types, shapes,
dtypes and dict keys, and name the wrong part of a dict of gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.compare import compare, describe, ratio_hint


def _problems(expected: Any, got: Any, where: str, batch: int | None, rtol: float, atol: float) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{where or 'the result'} must be a dict with keys {sorted(expected)}; got {describe(got)}"]
        if set(expected) != set(got):
            return [f"{where or 'the dict'} must have exactly the keys {sorted(expected)}; yours has {sorted(got)}"]
        out: list[str] = []
        for key in expected:
            out += _problems(expected[key], got[key], f"{where}[{key!r}]", batch, rtol, atol)
        return out
    if isinstance(expected, tuple):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            return [f"return a tuple of {len(expected)} values; you returned {describe(got)}"]
        out = []
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            out += _problems(e, g, f"{where}[{i}]" if where else f"item {i}", batch, rtol, atol)
        return out
    name = where or "the result"
    if isinstance(expected, float):
        if not isinstance(got, float):
            return [f"{name} must be a Python float (e.g. float(...)); got {describe(got)}"]
    elif isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return [f"{name} must be a numpy array of shape {expected.shape}; got {describe(got)}"]
        if got.shape == expected.shape and got.dtype != np.float64:
            return [f"{name} has dtype {got.dtype}; compute in float64 (the default of np.array(..., dtype=float)): "
                    "float32 keeps only about 7 digits, and the values must agree to 9."]
    mismatch = compare(expected, got, rtol=rtol, atol=atol)
    if mismatch is None:
        return []
    lines = [f"{name} is wrong: {mismatch.reason}", f"    expected: {describe(expected)}",
             f"    got:      {describe(got)}", *(f"    {d}" for d in mismatch.details)]
    hint = ratio_hint(expected, got, n=batch)
    if hint is None and _only_single_precision(expected, got):
        hint = ("Your values agree with the expected ones to about 7 significant digits only: float32 "
                "arithmetic somewhere (np.float32)? Compute in float64.")
    if hint:
        lines.append(f"    {hint}")
    return ["\n".join(lines)]


def _only_single_precision(expected: Any, got: Any) -> bool:
    try:
        e, g = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
        return e.shape == g.shape and bool(np.allclose(g, e, rtol=1e-5, atol=1e-7))
    except (TypeError, ValueError):
        return False


def strict(batch: int | None = None, *, rtol: float = 1e-9, atol: float = 1e-12) -> Callable[[Any, Any], str | None]:
    """An `equal(expected, got)` for `check_call`: None on a match, else one paragraph per wrong part.

    Dicts must have exactly the expected keys, tuples the expected length,
    floats must be floats (np.float64 counts), arrays float64 arrays of the
    expected shape; values agree within rtol/atol (the default 1e-9 fails a
    float32 computation). Each wrong part is named (`['W2']`, `item 1`) and
    described, with a constant-ratio hint (n = batch) or a float32 hint.
    """

    def equal(expected: Any, got: Any) -> str | None:
        found = _problems(expected, got, "", batch, rtol, atol)
        return "\n".join(found) if found else None

    return equal
