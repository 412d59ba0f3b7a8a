"""Comparing a returned tuple part by part, for functions with several outputs.

`check_call` compares a tuple as one value, so a wrong ∂L/∂b inside
`(∂L/∂w, ∂L/∂b, ∂L/∂X)` would be reported without its shape, dtype or the
ratio hint that names a sum-versus-mean mix-up. `parts_equal(names)` builds
an `equal=` callback for `check_call` that names the wrong part and describes
expected vs got for that part alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from grader.compare import ATOL, RTOL, Mismatch, compare, describe, ratio_hint


def parts_equal(
    names: Sequence[str],
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    batch_size: int | None = None,
) -> Callable[[Any, Any], Mismatch | None]:
    """An `equal(expected, got)` for `check_call` when the function returns a tuple.

    The callback returns None when every part matches; otherwise one paragraph
    per wrong part: its name, expected and got (value, shape, dtype), the worst
    index, and a constant-ratio hint (−1, ½, 2, n, 1/n with n = batch_size).
    """
    names = tuple(names)

    def equal(expected: Any, got: Any) -> Mismatch | None:
        if not isinstance(got, tuple | list) or len(got) != len(names):
            count = f"{len(got)} values" if isinstance(got, tuple | list) else f"a {type(got).__name__}"
            return Mismatch(
                f"return a tuple of {len(names)} values ({', '.join(names)}); "
                f"you returned {describe(got)}",
                summary=f"expected a tuple of {len(names)} values ({', '.join(names)}), got {count}",
            )
        problems = []
        summaries = []
        hints = []
        for name, exp, act in zip(names, expected, got, strict=True):
            mismatch = compare(exp, act, rtol=rtol, atol=atol)
            if mismatch is None:
                continue
            lines = [
                f"{name} is wrong: {mismatch.reason}",
                f"    expected {name}: {describe(exp)}",
                f"    got {name}:      {describe(act)}",
                *(f"    {detail}" for detail in mismatch.details),
            ]
            summaries.append(f"{name} is wrong: {mismatch.summary or mismatch.reason.splitlines()[0]}")
            hint = mismatch.hint or ratio_hint(exp, act, n=batch_size)
            if hint:
                hints.append(f"{name}: {hint}" if len(names) > 1 else hint)
            problems.append("\n".join(lines))
        if not problems:
            return None
        return Mismatch("\n".join(problems), summary="; ".join(summaries), hint=" ".join(hints) or None)

    return equal
