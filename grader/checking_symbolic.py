"""The symbolic counterpart of `grader.checking.check_call`.

A hidden test asks the student's function for a formula (a SymPy expression,
which arrives here as `codec.SymbolicText`, or a plain string), and
`check_symbolic` decides with `grader.symbolic` whether it is equivalent to
the expected one. Equivalent forms pass; a wrong answer fails with the
question, the given formula, a point where the two differ (with both values)
and, when the answer matches a known mistake, what that mistake is. An answer
that does not parse fails with the parser's message.

The expected formula itself is part of the feedback only when the grading run
allows it (`expected_feedback`): self-study `grade` shows it once a function
has had REVEAL_AFTER wrong attempts (counted in the progress store); without
a policy -- batch, Gradescope, nbgrader, any direct call -- it is never shown.

SymPy is imported only through `grader.symbolic`, lazily, when a check runs:
importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from grader.checking import CheckFailed, Student, explain_error
from grader.sandbox.codec import Opaque


@dataclass(frozen=True)
class SymbolicMistake:
    """A known-wrong formula (trusted grader text, e.g. "2*(w*x - y)") and the misconception it shows."""

    answer: str
    message: str


REVEAL_AFTER = 3  # wrong attempts at a function before its expected formula is shown
MAX_SHOWN = 300  # characters of a wrong answer quoted back


@dataclass
class ExpectedPolicy:
    """When a wrong symbolic answer's feedback may show the expected formula.

    `wrong_before` counts, per function, the earlier runs with a wrong
    symbolic answer (from the progress store); the formula is shown from the
    run after the REVEAL_AFTER-th. `wrong_now` collects the functions whose
    answer was wrong in this run, for the caller to record.
    """

    exercise: str
    wrong_before: Mapping[str, int]
    reveal_after: int = REVEAL_AFTER
    wrong_now: set[str] = field(default_factory=set)

    def attempt(self, func: str) -> int:
        """The number of this run among the wrong attempts at `func`."""
        return self.wrong_before.get(func, 0) + 1

    def shows_expected(self, func: str) -> bool:
        return self.attempt(func) > self.reveal_after


_POLICY: ContextVar[ExpectedPolicy | None] = ContextVar("grader_expected_policy", default=None)


@contextmanager
def expected_feedback(exercise: str, wrong_before: Mapping[str, int]) -> Iterator[ExpectedPolicy]:
    """Within this block, wrong symbolic answers follow a self-study policy (see ExpectedPolicy)."""
    policy = ExpectedPolicy(exercise, dict(wrong_before))
    token = _POLICY.set(policy)
    try:
        yield policy
    finally:
        _POLICY.reset(token)


def call_text(func: str, args: Sequence[Any], kwargs: dict[str, Any], key: str | None) -> str:
    """`func(1, 2)["x"]`: what the student's answer was read from."""
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    text = f"{func}({', '.join(parts)})"
    return text if key is None else f"{text}[{key!r}]"


def answer_text(value: Any) -> str | None:
    """The answer as text for the parser, or None when it is not a formula at all.

    SymPy expressions cross the sandbox as `SymbolicText` (a str); plain numbers
    are accepted as constant formulas.
    """
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, Opaque):
        return None
    if isinstance(value, int | float):
        return repr(value)
    try:  # numpy scalars
        import numpy as np

        if isinstance(value, np.generic) and value.dtype.kind in "iuf":
            return repr(value.item())
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return None


def _describe_type(value: Any) -> str:
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name} ({value.text})"
    return f"a {type(value).__name__} ({value!r})"


def _extract(value: Any, func: str, key: str | None) -> Any:
    if key is None:
        return value
    if not isinstance(value, dict):
        raise CheckFailed(
            f"{func} must return a dict of answers (with the key {key!r}); it returned {_describe_type(value)}."
        )
    if key not in value:
        keys = ", ".join(repr(k) for k in value) or "none"
        raise CheckFailed(f"{func}'s dict has no answer under the key {key!r} (its keys: {keys}).")
    return value[key]


def check_symbolic(
    student: Student,
    func: str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    variables: Sequence[str],
    question: str,
    expected: str | None = None,
    function: str | None = None,
    wrt: str | None = None,
    key: str | None = None,
    mistakes: Sequence[SymbolicMistake] = (),
    seed: int = 0,
    timeout: float = 3.0,
) -> str:
    """Check the formula `student.func(*args, **kwargs)` (or its item `key`) returns.

    Give either `expected` (the right formula, as trusted text) or `function`
    and `wrt`: then the expected answer is d(function)/d(wrt), computed by SymPy.
    `variables` names the symbols an answer may use; `question` is shown to the
    student; `mistakes` are known-wrong formulas with their explanations.
    `seed` is the run's public seed: it only picks the readable counterexample;
    the points the answer is evaluated at are drawn afresh, in secret, after
    the call has returned (see `grader.symbolic`).

    Returns the student's answer text when it is equivalent; raises CheckFailed
    otherwise. A wrong answer's feedback shows the expected formula only under
    an `expected_feedback` policy that allows it, and counts the wrong attempt
    there.
    """
    from grader import symbolic

    if (expected is None) == (function is None or wrt is None):
        raise ValueError("check_symbolic needs `expected`, or `function` and `wrt` (not both)")
    kwargs = dict(kwargs or {})
    shown = call_text(func, args, kwargs, key)
    header = f"question: {question}\ncall:     {shown}\n"
    outcome = student.call(func, *args, **kwargs)
    if outcome.error is not None:
        raise CheckFailed(header + explain_error(func, outcome.error, student.exercise_name))
    try:
        value = _extract(outcome.value, func, key)
    except CheckFailed as exc:
        raise CheckFailed(header + str(exc)) from None
    text = answer_text(value)
    if text is None:
        raise CheckFailed(
            header + f"got:      {_describe_type(value)}\n"
            "problem:  the answer must be a SymPy expression or a string such as \"2*x\"."
        )

    known = [(m.answer, m.message) for m in mistakes]
    if function is not None and wrt is not None:
        verdict = symbolic.check_derivative(
            text, function, wrt, list(variables), mistakes=known, seed=seed, timeout=timeout
        )
    else:
        verdict = symbolic.check_equivalent(
            text, expected, list(variables), mistakes=known, seed=seed, timeout=timeout
        )
    if verdict.status == "equivalent":
        return text
    policy = _POLICY.get()
    if policy is not None and verdict.status == "different":
        policy.wrong_now.add(func)
    raise CheckFailed(header + _feedback(verdict, text, func, policy))


def _feedback(verdict: Any, text: str, func: str, policy: ExpectedPolicy | None) -> str:
    """[expected] / got / where they differ (the verdict's message quotes both values) / why."""
    if verdict.status == "invalid":
        return f"got:      {text!r}\nproblem:  {verdict.message}"
    lines = []
    if policy is not None and policy.shows_expected(func):
        lines.append(f"expected: {verdict.expected}")
    elif policy is not None:
        lines.append(f"expected: hidden for now (wrong attempt {policy.attempt(func)} of "
                     f"{policy.reveal_after} at {func});")
        lines.append(f"          `grade solution {policy.exercise}` shows it")
    got = str(verdict.answer)
    if len(got) > MAX_SHOWN:  # e.g. a product of 32 factors: the point below says enough
        got = got[: MAX_SHOWN - 1] + "…"
    lines += [f"got:      {got}", f"problem:  {verdict.message}"]
    if verdict.diagnosis:
        lines.append(f"likely mistake: {verdict.diagnosis}")
    return "\n".join(lines)
