"""The check helpers hidden tests use: call the student, compare, explain.

A hidden test computes the expected value by calling the reference solution in
the grading process, calls the student's function through the sandbox, and
raises `CheckFailed` with student-facing feedback when they differ. Known
mistakes are recognised by computing known-wrong variants of the reference
("mutants") on the same inputs and seeing whether the student's value matches
one of them — evidence, not guesswork.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from grader.compare import ATOL, RTOL, Mismatch, compact, compare, describe, ratio_hint
from grader.reference_memo import ReferenceTimer
from grader.sandbox.client import CallOutcome, PendingCall, StudentError, StudentModule


class CheckFailed(AssertionError):
    """A failed check; its message is the complete feedback shown to the student.

    The keyword fields split that message for renderings that show less (see
    `grader.results.redact`): `function` the student function that failed,
    `kind` ("wrong", "error", "not_implemented", "import_error",
    "missing_function", "timeout"), `problem` the difference in words without
    values, `diagnosis` the likely-mistake sentence. A plain
    `CheckFailed(message)` still works: its diagnosis is read from the message's
    "likely mistake:" lines.
    """

    def __init__(
        self,
        message: str,
        *,
        function: str = "",
        kind: str = "wrong",
        problem: str = "",
        diagnosis: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.function = function
        self.kind = kind
        self.problem = problem
        if diagnosis is None:
            found = [line.split(":", 1)[1].strip() for line in message.splitlines()
                     if line.startswith("likely mistake:")]
            diagnosis = " ".join(found)
        self.diagnosis = diagnosis

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Mutant:
    """A known-wrong variant of a reference function and the misconception it embodies."""

    message: str
    fn: Callable[..., Any]


class Student:
    """The student's module as hidden tests see it: calls go through the sandbox."""

    def __init__(self, module: StudentModule, exercise_name: str) -> None:
        self._module = module
        self.exercise_name = exercise_name

    def call(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> CallOutcome:
        return self._module.call(func, *args, timeout=timeout, **kwargs)

    def submit(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> PendingCall:
        """Start a call; the student's code runs while the grader works out the expected value."""
        return self._module.submit(func, *args, timeout=timeout, **kwargs)


def format_call(func: str, reference: Callable[..., Any] | None, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """`name(arg=value, …)` with parameter names taken from the reference signature."""
    parts: list[str] = []
    names: list[str] = []
    if reference is not None:
        try:
            names = list(inspect.signature(reference).parameters)
        except (TypeError, ValueError):
            names = []
    for i, arg in enumerate(args):
        text = _short(arg)
        parts.append(f"{names[i]}={text}" if i < len(names) else text)
    parts.extend(f"{k}={_short(v)}" for k, v in kwargs.items())
    return f"{func}({', '.join(parts)})"


def _short(value: Any) -> str:
    return compact(value, precision=4, threshold=8, limit=160, call=True)


def explain_error(func: str, error: StudentError, exercise_name: str) -> str:
    """Feedback for a call that produced no value at all."""
    if error.kind == "not_implemented":
        return (
            f"{func} is not implemented yet (it still raises NotImplementedError).\n"
            f"Read its docstring, then run `grade hint {exercise_name}` if you are stuck."
        )
    if error.kind == "missing_function":
        return f"Your file has no function called {func}; did you rename or delete it?"
    if error.kind == "import_error":
        text = f"Your file could not be imported, so none of its tests can run:\n{error.type}: {error.message}"
    elif error.kind == "timeout" or error.kind == "crash":
        text = error.message
    else:
        text = f"{func} raised {error.type}: {error.message}"
    if error.traceback:
        text += "\n" + _indent(error.traceback.rstrip(), "    ")
    if error.output.strip():
        text += "\nYour code printed (last lines):\n" + _indent(error.output.rstrip()[-800:], "    ")
    return text


ERROR_KINDS = {
    "not_implemented": "not_implemented",
    "missing_function": "missing_function",
    "import_error": "import_error",
    "timeout": "timeout",
}


def raising_function(error: StudentError) -> str:
    """The innermost function of the student's traceback ("" when unknown)."""
    import re

    frames = re.findall(r'File "[^"]*", line \d+, in (\S+)', error.traceback or "")
    return frames[-1] if frames else ""


def error_failure(header: str, func: str, error: StudentError, exercise_name: str) -> CheckFailed:
    """The CheckFailed for a call that produced no value, with its kind and a one-line diagnosis."""
    kind = ERROR_KINDS.get(error.kind, "error")
    text = explain_error(func, error, exercise_name)
    inner = raising_function(error)
    if kind == "not_implemented" and inner and inner not in {func, "<module>"}:
        # `func` itself is written but calls a stub: say which one.
        text = (f"{func} calls {inner}, which is not implemented yet (it still raises NotImplementedError): "
                f"fix `{inner}` first.")
        return CheckFailed(header + text, function=func, kind="error",
                           problem=f"{inner} is not implemented yet", diagnosis=f"fix `{inner}` first.")
    if kind == "not_implemented":
        diagnosis = f"{func} is not implemented yet."
    elif kind == "missing_function":
        diagnosis = f"your file has no function called {func}."
    elif kind == "import_error":
        diagnosis = "your file could not be imported."
    elif kind == "timeout":
        diagnosis = error.message.splitlines()[0] if error.message else f"{func} took too long."
    else:
        message = error.message.strip().splitlines()
        diagnosis = f"{func} raised {error.type}" + (f": {message[0][:200]}" if message else "")
    return CheckFailed(header + text, function=func, kind=kind, problem=diagnosis, diagnosis=diagnosis)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def check_call(
    student: Student,
    reference: Callable[..., Any],
    func: str,
    args: Sequence[Any],
    kwargs: dict[str, Any] | None = None,
    *,
    mutants: Sequence[Mutant] = (),
    rtol: float = RTOL,
    atol: float = ATOL,
    inputs_must_not_change: bool = True,
    batch_size: int | None = None,
    equal: Callable[[Any, Any], Any] | None = None,
    context: str = "",
    check_value: bool = True,
    _both: _Both | None = None,
) -> Any:
    """Check `student.func(*args, **kwargs)` against `reference(*args, **kwargs)`.

    Returns the student's value when it matches; raises CheckFailed otherwise,
    with the call, expected vs got, the size and place of the error, and the
    likely misconception (a matching mutant, or a constant-ratio hint where
    `batch_size` names the N of a sum-versus-mean mix-up).

    `equal(expected, got)` replaces the numeric comparison when given: it
    returns None for a match, else the reason (a str or a Mismatch).

    `check_value=False` checks only that the inputs stay unchanged (for tests
    titled so: a wrong value is the business of the other tests).
    """
    kwargs = dict(kwargs or {})
    outcome = _both or _call_beside_reference(student, reference, func, args, kwargs)
    expected = outcome.expected
    outcome = outcome.student
    header = f"{context}\n" if context else ""
    # The call is rendered only for feedback: formatting big arrays costs more than most checks.
    if outcome.error is not None:
        raise error_failure(header + f"call: {format_call(func, reference, args, kwargs)}\n", func, outcome.error,
                            student.exercise_name)
    got = outcome.value
    if not check_value:
        mismatch = None
    elif equal is not None:
        reason = equal(expected, got)
        # A plain-text reason may quote expected values: it has no value-free summary.
        mismatch = reason if isinstance(reason, Mismatch) or reason is None else Mismatch(
            reason, summary="your value does not pass this check")
    else:
        mismatch = compare(expected, got, rtol=rtol, atol=atol)
    changed = _changed_inputs(args, outcome.args_after, reference) if inputs_must_not_change else []
    if mismatch is None and not changed:
        return got

    lines = [f"call:     {format_call(func, reference, args, kwargs)}"]
    diagnoses: list[str] = []
    problem = ""
    if mismatch is not None:
        problem = mismatch.summary or mismatch.reason.splitlines()[0]
        lines += [f"expected: {describe(expected)}", f"got:      {describe(got)}", f"problem:  {mismatch.reason}"]
        lines += [f"          {d}" for d in mismatch.details]
    if changed:
        problem = problem or "an input array was modified"
        diagnoses.append(
            "you modified the input array(s) "
            + ", ".join(changed)
            + " in place (e.g. `x -= …` or `x[...] = …`); the caller's data must stay as it was, "
            "so compute into a new array instead (`x - …`, `x.copy()`)."
        )
    if mismatch is not None:
        diagnosis = diagnose(got, args, kwargs, mutants, rtol=rtol, atol=atol)
        if diagnosis is None:
            diagnosis = mismatch.hint or ratio_hint(expected, got, n=batch_size)
            if diagnosis is None and mismatch.reason.startswith("wrong shape"):
                diagnosis = "Check the shape of what you return against the docstring."
        if diagnosis:
            diagnoses.append(diagnosis)
    lines += [f"likely mistake: {d}" for d in diagnoses]
    raise CheckFailed(header + "\n".join(lines), function=func, kind="wrong", problem=problem,
                      diagnosis=" ".join(diagnoses))


def check_calls(
    student: Student,
    reference: Callable[..., Any],
    func: str,
    calls: Sequence[tuple[Sequence[Any], dict[str, Any]]],
    *,
    mutants: Sequence[Mutant] = (),
    contexts: Sequence[str] | None = None,
    **options: Any,
) -> None:
    """`check_call` on several inputs, with the diagnosis weighed over all of them.

    The student's values on every input are collected first; a mutant that
    reproduces ALL of them is preferred to one that merely matches the first
    failing input, so two mistakes that agree on one input are still told
    apart. Then each input is checked in order, as `check_call` does.
    """
    both = [_call_beside_reference(student, reference, func, args, dict(kwargs)) for args, kwargs in calls]
    values = [None if b.student.error is not None else b.student.value for b in both]

    def consistent(mutant: Mutant) -> bool:
        for (args, kwargs), got in zip(calls, values, strict=True):
            try:
                wrong = mutant.fn(*copy.deepcopy(list(args)), **copy.deepcopy(kwargs))
            except Exception:
                return False
            if compare(wrong, got) is not None:
                return False
        return True

    ordered: list[Mutant] | None = None
    for i, (args, kwargs) in enumerate(calls):
        context = contexts[i] if contexts else options.get("context", "")
        extra = {k: v for k, v in options.items() if k != "context"}
        try:
            check_call(student, reference, func, args, kwargs, mutants=ordered or mutants, context=context,
                       _both=both[i], **extra)
        except CheckFailed:
            if ordered is not None:
                raise
            # Weigh the mutants over every input only when a diagnosis is needed.
            ordered = sorted(mutants, key=lambda m: not consistent(m))
            check_call(student, reference, func, args, kwargs, mutants=ordered, context=context,
                       _both=both[i], **extra)


@dataclass(frozen=True)
class _Both:
    expected: Any
    student: CallOutcome


def _call_beside_reference(
    student: Any, reference: Callable[..., Any], func: str, args: Sequence[Any], kwargs: dict[str, Any]
) -> _Both:
    """The reference's value and the student's outcome, computed at the same time.

    The student's call starts first (in its worker process) and the reference
    runs here meanwhile. Adapters without `submit` (e.g. in notebooks) are
    called one after the other.
    """
    submit = getattr(student, "submit", None)
    if submit is None:
        expected = reference(*copy.deepcopy(list(args)), **copy.deepcopy(kwargs))
        return _Both(expected, student.call(func, *args, **kwargs))
    pending = submit(func, *args, **kwargs)
    took = ReferenceTimer()  # a remembered answer counts at what it cost to compute: the call's limit
    try:
        with took:
            expected = reference(*copy.deepcopy(list(args)), **copy.deepcopy(kwargs))
    finally:
        # always collected, so no stale reply is left in the pipe
        outcome = pending.result(reference_seconds=took.seconds)
    return _Both(expected, outcome)


def diagnose(
    got: Any,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    mutants: Sequence[Mutant],
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> str | None:
    """The message of the first mutant whose output equals the student's, if any."""
    for mutant in mutants:
        try:
            wrong = mutant.fn(*copy.deepcopy(list(args)), **copy.deepcopy(kwargs))
        except Exception:  # a mutant that cannot run on these inputs simply does not match
            continue
        if compare(wrong, got, rtol=rtol, atol=atol) is None:
            return mutant.message
    return None


def _changed_inputs(args: Sequence[Any], after: Sequence[Any] | None, reference: Callable[..., Any]) -> list[str]:
    import numpy as np

    if after is None:
        return []
    changed = []
    for i, (before, now) in enumerate(zip(args, after, strict=False)):
        if not isinstance(before, np.ndarray):
            continue
        # The common case first: the array came back exactly as it went in (NaNs in place count).
        if (isinstance(now, np.ndarray) and now.shape == before.shape and now.dtype == before.dtype
                and np.array_equal(before, now, equal_nan=before.dtype.kind in "fc")):
            continue
        if compare(before, now, rtol=0, atol=0) is not None:
            changed.append(i)
    if not changed:
        return []
    try:
        names = list(inspect.signature(reference).parameters)
    except (TypeError, ValueError):
        names = []
    return [f"`{names[i]}`" if i < len(names) else f"argument {i + 1}" for i in changed]


def fail(message: str, *, function: str = "", problem: str = "", diagnosis: str | None = None) -> None:
    """Fail a check with a message (for checks that are not a single call)."""
    raise CheckFailed(message, function=function, problem=problem, diagnosis=diagnosis)


def check_raises(
    student: Student,
    func: str,
    args: Sequence[Any],
    exception: str,
    *,
    because: str,
    reference: Callable[..., Any] | None = None,
) -> None:
    """Check that `student.func(*args)` raises the exception named `exception` (e.g. "ValueError").

    `because` says, in the student's terms, when the docstring promises it.
    """
    outcome = student.call(func, *args)
    call_text = format_call(func, reference, args, {})
    error = outcome.error
    if error is not None and error.kind == "exception" and error.type == exception:
        return
    if error is not None and error.kind != "exception":
        raise error_failure(f"call: {call_text}\n", func, error, student.exercise_name)
    if error is None:
        got = f"it returned {describe(outcome.value)}"
        diagnosis = f"{func} must raise {exception} {because}; yours returned a value."
    else:
        got = f"it raised {error.type}: {error.message.strip()[:200]}"
        diagnosis = (f"{func} must raise {exception} {because}; yours raised {error.type} "
                     "(check the input first and raise the documented error yourself).")
    raise CheckFailed(
        f"call:     {call_text}\nexpected: {exception} ({because})\ngot:      {got}\n"
        f"likely mistake: {diagnosis}",
        function=func, kind="wrong", problem=f"expected {exception} {because}", diagnosis=diagnosis,
    )
