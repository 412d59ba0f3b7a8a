"""Self-contained visible tests, baked from the reference at generation time.

A visible test (a hidden test of `grade` whose name says `worked_example`) is
run once here against the reference solution, with `check_call` recorded: every
call's function, arguments, the reference's value, the tolerances, and the
values the test's known mistakes ("mutants") give on the same inputs. That data
and `grader/visible/runtime.py` are all a released notebook or the student kit
needs to run the worked examples: numpy only, no reference code, no hidden test.

Hidden tests contribute only their title, points and the functions they call
(so the release can say "not implemented yet" for a stub); their inputs and
expected values never leave the grading machine.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.catalog import Exercise
from grader.sandbox.client import CallOutcome, StudentError
from grader.sandbox.codec import CallableRef, from_jsonable, to_jsonable

RUNTIME_PATH = Path(__file__).resolve().parent.parent / "visible" / "runtime.py"


class BakeError(RuntimeError):
    """A visible test cannot be turned into self-contained data."""


def is_visible_test(test_name: str) -> bool:
    """Worked-example tests are shown to students; the rest stay hidden until graded."""
    return "worked_example" in test_name


@dataclass
class _Recording:
    calls: list[dict[str, Any]]
    pending: dict[str, Any] | None = None


class _ReferenceStudent:
    """Stands in for the student: answers every call with the reference, records it."""

    def __init__(self, reference: Any, exercise_name: str, recording: _Recording, *, strict: bool = True,
                 tabulate: bool = False) -> None:
        self._strict = strict
        self._tabulate = tabulate
        self._reference = reference
        self.exercise_name = exercise_name
        self._recording = recording

    def call(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> CallOutcome:
        info = self._recording.pending
        if (info is None or info["func"] != func) and self._strict:
            raise BakeError(f"a visible test calls {func} outside check_call; it cannot be baked")
        self._recording.pending = None
        # Tabulating: keep the CallableRef, so the student's side of the call is recorded too.
        resolved = [a.resolve() if isinstance(a, CallableRef) and not self._tabulate else a
                    for a in copy.deepcopy(list(args))]
        try:
            value = getattr(self._reference, func)(*resolved, **copy.deepcopy(kwargs))
        except Exception as exc:  # a test that checks a documented error (check_raises)
            self._recording.calls.append({"func": func, "args": to_jsonable(list(args)),
                                          "expected": None, "raises": type(exc).__name__, "mutants": []})
            return CallOutcome(error=StudentError(kind="exception", type=type(exc).__name__, message=str(exc)))
        if info is None or info["func"] != func:  # e.g. a symbolic check: only the value is known
            info = {"func": func, "args": to_jsonable(list(args)), "expected": to_jsonable(value), "mutants": []}
        self._recording.calls.append(info)
        # Back as the sandbox sends values: through the codec (SymPy answers arrive as text).
        return CallOutcome(value=from_jsonable(to_jsonable(value)), args_after=resolved)


def callable_key(name: str, params: Any) -> str:
    """How the runtime finds the table of a trusted callable: its name and parameters."""
    return json.dumps([name, to_jsonable(params)], sort_keys=True)


@contextmanager
def _tabulating_callables(tables: dict[str, list[list[Any]]]) -> Any:
    """Record every value a trusted callable returns while the reference and the mutants run.

    A worked example that passes a function in (the bowl's gradient into
    gradient_descent) then ships that function as a table of its values at
    the points the worked example visits, not as code: the code of the
    notes' helpers is often the very answer to another function.
    """
    original = CallableRef.__call__

    def tabulated(self: CallableRef, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise BakeError(f"{self.name} was called with keyword arguments; a table cannot hold them")
        result = original(self, *args)
        entry = [to_jsonable(list(args)), to_jsonable(result)]
        rows = tables.setdefault(callable_key(self.name, self.params), [])
        if entry not in rows:
            rows.append(entry)
        return result

    CallableRef.__call__ = tabulated  # type: ignore[method-assign]
    try:
        yield
    finally:
        CallableRef.__call__ = original  # type: ignore[method-assign]


@contextmanager
def _recording_check_call(module: Any, recording: _Recording) -> Any:
    from grader.checking import ATOL, RTOL, compare, format_call

    real = module.check_call

    def check_call(student: Any, reference: Any, func: str, args: Sequence[Any],
                   kwargs: dict[str, Any] | None = None, **options: Any) -> Any:
        kwargs = dict(kwargs or {})
        rtol, atol = options.get("rtol", RTOL), options.get("atol", ATOL)
        expected = reference(*copy.deepcopy(list(args)), **copy.deepcopy(kwargs))
        mutants = []
        for mutant in options.get("mutants", ()):
            try:
                wrong = mutant.fn(*copy.deepcopy(list(args)), **copy.deepcopy(kwargs))
            except Exception:
                continue
            if compare(expected, wrong, rtol=rtol, atol=atol) is not None:  # tells the mistake apart
                mutants.append([mutant.message, to_jsonable(wrong)])
        try:
            params = list(inspect.signature(reference).parameters)
        except (TypeError, ValueError):
            params = []
        recording.pending = {
            "func": func,
            "call": format_call(func, reference, args, kwargs),
            "context": options.get("context", ""),
            "args": to_jsonable(list(args)),
            "kwargs": {k: to_jsonable(v) for k, v in kwargs.items()},
            "params": params,
            "expected": to_jsonable(expected),
            "rtol": rtol,
            "atol": atol,
            "keep_inputs": bool(options.get("inputs_must_not_change", True)),
            "mutants": mutants,
        }
        return real(student, reference, func, args, kwargs, **options)

    module.check_call = check_call
    try:
        yield
    finally:
        module.check_call = real


def record_calls(exercise: Exercise, test: str, *, seed: int | None = None,
                 tables: dict[str, list[list[Any]]] | None = None) -> list[dict[str, Any]]:
    """Run `test` against the reference and return its recorded calls (JSON data).

    With `seed=None` the test may not be random (a visible test); tests and
    audits pass a seed to see what a hidden test would compute for it.
    """
    from grader.inputs import seeded_rng
    from grader.runner import load_reference

    module = importlib.import_module(f"grader.hidden.{exercise.tests}")
    fn = getattr(module, test)
    reference = load_reference(exercise)
    recording = _Recording([])
    student = _ReferenceStudent(reference, exercise.name, recording, strict=seed is None, tabulate=tables is not None)
    fixtures: dict[str, Any] = {"ref": reference, "student": student}
    if seed is not None:
        fixtures.update(seed=seed, rng=seeded_rng(seed, test))
    wanted = list(inspect.signature(fn).parameters)
    if set(wanted) - set(fixtures):
        raise BakeError(f"visible test {test} needs {sorted(set(wanted) - set(fixtures))}: visible tests may "
                        "not be random (no rng or seed fixture)")
    with _recording_check_call(module, recording), _tabulating_callables({} if tables is None else tables):
        fn(**{name: fixtures[name] for name in wanted})
    if not recording.calls:
        raise BakeError(f"test {test} made no call to check")
    return recording.calls


def bake_visible_test(exercise: Exercise, test: str,
                      tables: dict[str, list[list[Any]]] | None = None) -> list[dict[str, Any]]:
    """The calls of visible test `test`, with expected values and mutant values, as JSON data.

    `tables` collects the values of the trusted callables the calls pass in.
    """
    return record_calls(exercise, test, tables={} if tables is None else tables)


def exercise_payload(exercise: Exercise, titles: dict[str, str], functions: dict[str, list[str]]) -> dict[str, Any]:
    """Every test of `exercise` (title, points, visible or not, the functions it needs, baked calls)
    and the tables of the trusted callables the worked examples pass in."""
    tests: dict[str, Any] = {}
    tables: dict[str, list[list[Any]]] = {}
    for test, points in exercise.points.items():
        visible = is_visible_test(test)
        tests[test] = {
            "title": titles[test],
            "points": points,
            "visible": visible,
            "functions": functions.get(test, []),
            "calls": bake_visible_test(exercise, test, tables) if visible else [],
        }
    return {"tests": tests, "tables": tables}


def runtime_source(payload: dict[str, Any], *, module_docstring: str | None = None) -> str:
    """`runtime.py` followed by the exercise's data: one self-contained Python source."""
    text = RUNTIME_PATH.read_text(encoding="utf-8")
    if module_docstring is not None:
        end = text.index('"""', 3) + 3
        text = f'"""{module_docstring}"""' + text[end:]
    data = json.dumps(payload, ensure_ascii=True, sort_keys=True, allow_nan=False)
    return text.rstrip("\n") + f"\n\n\nnn_load({data!r})\n"
