"""Grading one exercise: start the sandbox, run its hidden test module, score.

The student's file is imported only inside the worker process; this process
imports the reference solution and the hidden tests, and computes every
verdict. The hidden tests are pytest-style functions taking the conftest's
fixtures; by default they are called directly (`_run_direct`), or through
pytest in-process (plugin autoloading off, no terminal output) with
`GRADE_ENGINE=pytest`: pytest then contributes collection and fixtures only.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.catalog import Exercise
from grader.feedback import explain_dependencies, structure
from grader.results import ExerciseResult, TestResult
from grader.sandbox.client import Limits, StudentModule
from grader.stubs import solution_path

HIDDEN_DIR = Path(__file__).resolve().parent / "hidden"
ENGINES = ("direct", "pytest")
_UNUSED_PLUGINS = (
    "stepwise", "warnings", "logging", "junitxml", "doctest", "pastebin", "legacypath", "tmpdir",
    "monkeypatch", "recwarn", "setuponly", "setupplan", "unittest", "faulthandler", "debugging",
    "unraisableexception", "threadexception",
)


def load_reference(exercise: Exercise) -> ModuleType:
    """Import the reference solution by path (installed or checkout alike)."""
    name = f"_grader_reference_{exercise.module}"
    spec = importlib.util.spec_from_file_location(name, solution_path(exercise.file))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def graded_reference(exercise: Exercise) -> ModuleType:
    """The reference as hidden tests see it: imported once per process, its answers remembered.

    A batch process grades hundreds of submissions against the same reference, mostly on the
    same inputs (`grader.reference_memo`). Imported again when its file changes.
    """
    path = solution_path(exercise.file)
    key = f"{path}:{path.stat().st_mtime_ns}"
    view = _REFERENCES.get(key)
    if view is None:
        from grader.reference_memo import memoized

        view = _REFERENCES[key] = memoized(load_reference(exercise))
    return view


_REFERENCES: dict[str, ModuleType] = {}


class GradingSession:
    """The pytest plugin that carries one grading run and collects its outcomes."""

    def __init__(self, exercise: Exercise, student: Any, reference: ModuleType, seed: int) -> None:
        self.exercise = exercise
        self.student = student
        self.reference = reference
        self.seed = seed
        self.outcomes: dict[str, tuple[bool, str]] = {}
        self.failures: dict[str, Any] = {}  # test id -> its CheckFailed (structured feedback)
        self.titles: dict[str, str] = {}
        self.collect_errors: list[str] = []

    # pytest hooks -----------------------------------------------------------
    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.collect_errors.append(str(report.longrepr))

    def pytest_itemcollected(self, item: Any) -> None:
        doc = (getattr(item.obj, "__doc__", None) or "").strip()
        self.titles[item.name] = doc.splitlines()[0] if doc else item.name

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        from grader.checking import CheckFailed

        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            if call.excinfo is None:
                self.outcomes[item.name] = (True, "")
            elif isinstance(call.excinfo.value, CheckFailed):
                self.outcomes[item.name] = (False, str(call.excinfo.value))
                self.failures[item.name] = call.excinfo.value
            else:
                # Anything else is the grader's own fault, not the student's: say so.
                text = call.excinfo.getrepr(style="short")
                self.outcomes[item.name] = (
                    False,
                    f"internal grader error (please report it): {call.excinfo.typename}\n{text}",
                )


@contextmanager
def _quiet_pytest_env() -> Any:
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    # Third-party plugins cost ~0.3 s to load and the hidden tests need none.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved


def grade_file(
    exercise: Exercise,
    student_path: Path,
    *,
    seed: int,
    limits: Limits | None = None,
    only: frozenset[str] | None = None,
    engine: str | None = None,
    student: StudentModule | None = None,
) -> ExerciseResult:
    """Grade `student_path` as `exercise`; always returns a result, never hangs.

    `only`: run just these hidden test ids (`grade exerciseN -k NAME`); the
    result then holds those tests alone. `engine`: "direct" (the default) calls
    the hidden test functions with the conftest's fixtures, without pytest;
    "pytest" runs the same module through pytest. Verdicts are identical (a
    test compares them on every exercise); direct saves pytest's import and
    session, about 0.2 s per exercise. `GRADE_ENGINE=pytest` selects pytest.
    `student`: a worker already started on `student_path` by `start_student`
    (the caller began it before importing numpy); closed here.
    """
    engine = engine or os.environ.get("GRADE_ENGINE", "").strip().lower() or "direct"
    if engine not in ENGINES:
        raise ValueError(f"unknown grading engine {engine!r}: use one of {', '.join(ENGINES)}")
    started = time.perf_counter()
    result = ExerciseResult(exercise.number, exercise.slug, exercise.title, seed)
    # The worker first: this process's zygote (started now if it is not running
    # yet, a clean interpreter that never sees the reference) imports numpy and
    # the preloads, then forks a confined worker that imports the student's
    # file, all while this process imports numpy and the reference.
    module = student or start_student(exercise, student_path, limits)
    try:
        for name in ("numpy", *exercise.preload):
            importlib.import_module(name)
        from grader.checking import Student

        session = GradingSession(exercise, Student(module, exercise.name), graded_reference(exercise), seed)
        if engine == "direct":
            _run_direct(exercise, session, only)
        else:
            _run_pytest_engine(exercise, session, only)
    finally:
        module.close()
    return _score(exercise, session, result, only, student_path, started)


def start_student(exercise: Exercise, student_path: Path, limits: Limits | None = None) -> StudentModule:
    """Start the confined worker for `student_path` now; it imports the file while we go on."""
    return StudentModule(student_path, exercise.module, limits, preload=exercise.preload)


def _score(exercise: Exercise, session: GradingSession, result: ExerciseResult, only: frozenset[str] | None,
           student_path: Path, started: float) -> ExerciseResult:
    """Turn the session's outcomes into scored test results, in catalog order."""
    for number, (test_id, points) in enumerate(exercise.points.items(), start=1):
        if only is not None and test_id not in only:
            continue
        passed, output = session.outcomes.get(test_id, (False, "this hidden test did not run"))
        if test_id not in session.outcomes:
            result.grader_error = result.grader_error or f"hidden test {test_id} is missing"
        result.tests.append(
            TestResult(
                name=f"exercise{exercise.number} · {session.titles.get(test_id, test_id)}",
                score=float(points) if passed else 0.0,
                max_score=float(points),
                output=output,
                number=f"{exercise.number}.{number}",
                test_id=test_id,
            )
        )
        structure(result.tests[-1], session.failures.get(test_id))
    extra = sorted(set(session.outcomes) - set(exercise.points))
    if extra:
        result.grader_error = f"hidden tests without points in the catalog: {', '.join(extra)}"
    if session.collect_errors:
        result.grader_error = "could not collect hidden tests:\n" + "\n".join(session.collect_errors)
    explain_dependencies(result, exercise, student_path)
    result.execution_time = time.perf_counter() - started
    return result


_HIDDEN_MODULES: dict[str, ModuleType] = {}


def _hidden_module(exercise: Exercise) -> ModuleType:
    """The hidden test module, imported once per process (re-imported when its file changes)."""
    path = HIDDEN_DIR / f"{exercise.tests}.py"
    key = _hidden_key(path)
    module = _HIDDEN_MODULES.get(key)
    if module is None:
        spec = importlib.util.spec_from_file_location(f"_grader_hidden_{exercise.tests}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _HIDDEN_MODULES[key] = module
    return module


def loaded_hidden_module(exercise: Exercise) -> ModuleType | None:
    """The hidden test module if this process has imported it already (its file unchanged since)."""
    try:
        return _HIDDEN_MODULES.get(_hidden_key(HIDDEN_DIR / f"{exercise.tests}.py"))
    except OSError:
        return None


@cache
def _fixture_names(test: Callable[..., Any]) -> tuple[str, ...]:
    """The fixtures a hidden test asks for (its parameters), read once per process: a batch
    grading process calls each test hundreds of times."""
    import inspect

    return tuple(inspect.signature(test).parameters)


def _hidden_key(path: Path) -> str:
    return f"{path}:{path.stat().st_mtime_ns}"


def _run_direct(exercise: Exercise, session: GradingSession, only: frozenset[str] | None) -> None:
    """Call each hidden test with the conftest's fixtures, as pytest would, in catalog order."""
    import warnings

    with warnings.catch_warnings():
        # As `-W ignore` does for the pytest engine: the reference and the comparisons may warn
        # (an overflow in a wrong answer's expected value), which is noise in a report.
        warnings.simplefilter("ignore")
        _call_hidden_tests(exercise, session, only)


def _call_hidden_tests(exercise: Exercise, session: GradingSession, only: frozenset[str] | None) -> None:
    import traceback

    from grader.checking import CheckFailed
    from grader.inputs import seeded_rng
    from grader.testmap import hidden_test_title

    try:
        module = _hidden_module(exercise)
    except Exception as exc:  # as pytest's collection error: the grader's fault, reported as such
        session.collect_errors.append(f"{type(exc).__name__}: {exc}")
        return
    for test_id in exercise.points:
        if only is not None and test_id not in only:
            continue
        func = getattr(module, test_id, None)
        if func is None:
            continue
        session.titles[test_id] = hidden_test_title(func)
        fixtures = {"student": session.student, "ref": session.reference, "seed": session.seed,
                    "rng": seeded_rng(session.seed, test_id)}
        kwargs = {name: fixtures[name] for name in _fixture_names(func)}
        try:
            func(**kwargs)
        except CheckFailed as exc:
            session.outcomes[test_id] = (False, str(exc))
            session.failures[test_id] = exc
        except Exception as exc:  # the grader's own fault, as in the pytest hook
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
            session.outcomes[test_id] = (
                False, f"internal grader error (please report it): {type(exc).__name__}\n{text}")
        else:
            session.outcomes[test_id] = (True, "")


def _run_pytest_engine(exercise: Exercise, session: GradingSession, only: frozenset[str] | None) -> None:
    """Run the hidden module through pytest (`GRADE_ENGINE=pytest`): collection and fixtures by pytest."""
    import pytest

    args = [
        str(HIDDEN_DIR / f"{exercise.tests}.py"),
        "-c",
        str(HIDDEN_DIR / "pytest.ini"),
        "--rootdir",
        str(HIDDEN_DIR),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "--assert=plain",
        "--import-mode=importlib",
        "-W",
        "ignore",
        "--capture=sys",
        # Built-in plugins the hidden tests never use; each costs start-up time.
        *(f"-pno:{name}" for name in _UNUSED_PLUGINS),
    ]
    if only is not None:
        args += ["-k", " or ".join(sorted(only)) or "not_a_test"]
    from grader.hidden.conftest import SESSION_PLUGIN

    with _quiet_pytest_env():
        _run_pytest(pytest, args, session, SESSION_PLUGIN)


def _run_pytest(pytest: Any, args: list[str], session: GradingSession, name: str) -> None:
    class _Registrar:
        # Registering under a fixed name lets conftest fixtures find the session.
        def pytest_configure(self, config: Any) -> None:
            config.pluginmanager.register(session, name)
            # Failure reports are never shown (feedback is the CheckFailed message), and
            # the default long style parses test sources to build them: about half the
            # grading CPU on a failing submission. `--tb` belongs to the terminal plugin,
            # which is off, so set the parsed option directly.
            config.option.tbstyle = "native"

    interrupted: list[bool] = []

    class _Interrupt:
        def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
            interrupted.append(True)

    pytest.main(args, plugins=[_Registrar(), _Interrupt()])
    if interrupted:
        # pytest swallows Ctrl-C (and SIGTERM, which `grade` turns into one): grading stops here.
        raise KeyboardInterrupt
