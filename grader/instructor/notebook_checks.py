"""What nbgrader test cells call: the hidden tests of `grade`, run inside the kernel.

A test cell of a generated notebook is one line,

    run_check("exercise1", "test_gradient_step_random", globals(), seed=2024)

which runs that hidden test function from `grader/hidden/` (the same code
`grade exercise1` runs; there is no second copy of any test) with the fixtures
`grader/hidden/conftest.py` provides: `student`, `ref`, `rng` and `seed`.
`student` is `NotebookStudent`, an adapter over the notebook's namespace with
the `call(func, *args, **kwargs) -> CallOutcome` interface of
`grader.checking.Student`: arguments and results make the same codec round
trip as through the sandbox, so the student's functions see, and the checks
get back, exactly the values they would under `grade`.

nbgrader scores a cell 0 when anything reaches stderr, so warnings are
silenced and the student's output is captured while a check runs; a failed
check raises `NotebookCheckFailed` with the same feedback `grade` prints.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from grader.instructor import DEFAULT_SEED
from grader.sandbox import codec
from grader.sandbox.client import DEFAULT_CALL_TIMEOUT, MAX_TIMEOUTS_PER_FUNCTION, CallOutcome, StudentError

_OUTPUT_TAIL = 1500


class NotebookCheckFailed(AssertionError):
    """A hidden test failed; the message is the feedback `grade` would show."""


class GraderInternalError(RuntimeError):
    """The check itself broke (not the student's code): report it to the course staff."""


class _CallTimedOut(BaseException):
    # BaseException, so a student's `except Exception:` cannot swallow the deadline.
    pass


class NotebookStudent:
    """The student's functions in a notebook namespace, called like the sandbox calls them."""

    def __init__(
        self, namespace: dict[str, Any], exercise_name: str, *, call_timeout: float = DEFAULT_CALL_TIMEOUT
    ) -> None:
        self._namespace = namespace
        self.exercise_name = exercise_name
        self.call_timeout = call_timeout
        self._timeouts: dict[str, int] = {}

    def call(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> CallOutcome:
        """Run `func(*args, **kwargs)` from the namespace; never raises for student faults."""
        start = time.monotonic()
        if self._timeouts.get(func, 0) >= MAX_TIMEOUTS_PER_FUNCTION:
            return CallOutcome(error=StudentError(
                kind="timeout", type="Timeout",
                message=f"{func}() was not run again: it already timed out {MAX_TIMEOUTS_PER_FUNCTION} times",
            ))
        target = self._namespace.get(func)
        if not callable(target):
            return CallOutcome(error=StudentError(
                kind="missing_function", type="MissingFunction",
                message=f"the notebook defines no function called {func}",
            ))
        # The same trip the worker's arguments make: encoded, decoded, callables rebuilt.
        sent_args = _round_trip(list(args))
        sent_kwargs = _round_trip(kwargs)
        sent_args = [a.resolve() if isinstance(a, codec.CallableRef) else a for a in sent_args]
        sent_kwargs = {k: v.resolve() if isinstance(v, codec.CallableRef) else v for k, v in sent_kwargs.items()}
        limit = timeout if timeout is not None else self.call_timeout
        output = io.StringIO()
        try:
            with _captured(output), _deadline(limit):
                value = target(*sent_args, **sent_kwargs)
        except _CallTimedOut:
            self._timeouts[func] = self._timeouts.get(func, 0) + 1
            return CallOutcome(
                error=StudentError(
                    kind="timeout", type="Timeout",
                    message=f"{func}() did not return within {limit:g} s (an infinite loop?)",
                    output=_tail(output),
                ),
                seconds=time.monotonic() - start,
            )
        except KeyboardInterrupt:
            raise  # the user interrupted the kernel: stop, do not grade
        except BaseException as exc:  # SystemExit included: the sandbox reports it too
            kind = "not_implemented" if isinstance(exc, NotImplementedError) else "exception"
            return CallOutcome(
                error=StudentError(
                    kind=kind, type=type(exc).__name__, message=str(exc)[:2000],
                    traceback=_student_traceback(exc), output=_tail(output),
                ),
                seconds=time.monotonic() - start,
            )
        seconds = time.monotonic() - start
        try:
            got = _round_trip(value)
            after = _round_trip([a if not callable(a) else None for a in sent_args])
        except (codec.CodecError, TypeError, ValueError) as exc:
            return CallOutcome(error=StudentError(kind="exception", type="BadValue", message=str(exc)),
                               seconds=seconds)
        return CallOutcome(value=got, args_after=after, seconds=seconds)


def run_check(
    exercise: str,
    test: str,
    namespace: dict[str, Any],
    *,
    seed: int = DEFAULT_SEED,
    call_timeout: float = DEFAULT_CALL_TIMEOUT,
) -> None:
    """Run hidden test `test` of `exercise` against the functions in `namespace`.

    Returns None when it passes (so nbgrader awards the cell's points) and
    raises NotebookCheckFailed with `grade`'s feedback when it fails.
    """
    __tracebackhide__ = True  # IPython: show the feedback, not this frame
    from grader.catalog import resolve
    from grader.checking import CheckFailed

    entry = resolve(exercise)
    if test not in entry.points:
        raise GraderInternalError(f"{entry.name} has no hidden test {test!r} in the catalog")
    test_fn = getattr(importlib.import_module(f"grader.hidden.{entry.tests}"), test)
    fixtures = _fixtures(entry, test, namespace, seed, call_timeout)
    wanted = list(inspect.signature(test_fn).parameters)
    unknown = [name for name in wanted if name not in fixtures]
    if unknown:
        raise GraderInternalError(f"{test} asks for fixtures the notebook runner lacks: {unknown}")
    failure: str | None = None
    with _quiet():
        try:
            test_fn(**{name: fixtures[name]() for name in wanted})
        except CheckFailed as exc:
            failure = str(exc)
        except Exception as exc:
            raise GraderInternalError(
                f"internal grader error in {test} (please report it): {type(exc).__name__}: {exc}"
            ) from exc
    if failure is not None:
        raise NotebookCheckFailed(failure) from None


def _fixtures(entry: Any, test: str, namespace: dict[str, Any], seed: int,
              call_timeout: float) -> dict[str, Callable[[], Any]]:
    """conftest.py's fixtures, built lazily and only when the test asks for them."""
    from grader.inputs import seeded_rng
    from grader.runner import load_reference

    return {
        "student": lambda: NotebookStudent(namespace, entry.name, call_timeout=call_timeout),
        "ref": lambda: load_reference(entry),  # fresh per test, as each `grade` run is
        "seed": lambda: seed,
        "rng": lambda: seeded_rng(seed, test),
    }


def _round_trip(value: Any) -> Any:
    return codec.from_jsonable(json.loads(json.dumps(codec.to_jsonable(value), allow_nan=False)))


@contextlib.contextmanager
def _captured(output: io.StringIO) -> Iterator[None]:
    """Prints and warnings of the student's code go to `output`, as the worker's go to its log."""

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        output.write(warnings.formatwarning(message, category, filename, lineno, line))

    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output), warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No warnings and nothing on stderr: nbgrader would score the cell 0 for either."""
    import numpy as np

    sink = io.StringIO()
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the call after `seconds` (SIGALRM; main thread only, as kernels run cells)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _CallTimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _tail(buffer: io.StringIO) -> str:
    return buffer.getvalue()[-_OUTPUT_TAIL:]


def _student_traceback(exc: BaseException) -> str:
    # Frames of this module are noise to a student: keep their own.
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f.filename != __file__]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(own),
             *traceback.format_exception_only(type(exc), exc)]
    return "".join(lines)[-4000:]
