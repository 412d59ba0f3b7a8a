"""The batch coordinator's store: what was graded, with which code, and the result.

One SQLite file, OUT/.grade-batch/store.sqlite3, written only by the
coordinator (never by a pool worker, never by student code), committed after
every graded submission so a killed batch loses nothing and a rerun resumes.

A stored result is reused only when its key matches: a hash of the bytes the
grader read for that answer (the module and its local imports, per exercise:
a changed file regrades only its exercise), the exercise, the student's seed,
the limits and the grader code that decides the exercise's scores
(`grader_fingerprint`). Nothing a student could have written is ever trusted
as a key or a result: both come from this store.

The store also keeps the stable mapping from student names to the folder
names under OUT/ (see `grader.instructor.names`).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grader.catalog import Exercise
from grader.results import ExerciseResult, TestResult
from grader.sandbox.client import Limits

STORE_DIR = ".grade-batch"
STORE_FILE = "store.sqlite3"


def grader_fingerprint(exercise: Exercise) -> str:
    """A hash of all the code that decides `exercise`'s scores.

    The hidden tests, the reference solution, the catalog entry, and every
    grader module those and the runner import (followed through the source,
    lazy imports included). A change to any of them invalidates cached scores;
    a change elsewhere in the package (the CLI, the lessons) does not.
    """
    import grader
    from grader.stubs import solution_path

    h = hashlib.sha256(f"{grader.__version__}\0{exercise!r}".encode())
    h.update(solution_path(exercise.file).read_bytes())
    roots = ["grader.runner", "grader.sandbox.worker", "grader.hidden.conftest", f"grader.hidden.{exercise.tests}",
             "grader.instructor.pool_worker"]
    for path in sorted(_imported_grader_files(roots)):
        h.update(path.as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _module_file(name: str) -> Path | None:
    import grader

    base = Path(grader.__file__).resolve().parent.joinpath(*name.split(".")[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_grader_files(roots: list[str]) -> set[Path]:
    seen: set[Path] = set()
    queue = list(roots)
    while queue:
        path = _module_file(queue.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        queue.extend(_grader_imports(path, path.stat().st_mtime_ns))
    return seen


@functools.lru_cache(maxsize=512)
def _grader_imports(path: Path, mtime_ns: int) -> tuple[str, ...]:
    """The grader modules `path` imports (lazy imports included); parsed once per version of the file
    (the exercises of one batch share most of their modules)."""
    found: list[str] = []
    for node in _statements(ast.parse(path.read_bytes()).body):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        found.extend(n for n in names if n == "grader" or n.startswith("grader."))
    return tuple(found)


def _statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement, at any depth (in functions, classes, branches, handlers), and no expression.

    An import is always a statement, so this finds them all while visiting a tenth of the nodes
    `ast.walk` does: fingerprinting a batch's grader took 0.29 s before.
    """
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(children)


def job_key(answer_digest: str, exercise: Exercise, seed: int, limits: Limits, fingerprint: str) -> str:
    """The cache key of one (answer, exercise) under one grading configuration."""
    parts = [answer_digest, exercise.name, str(seed), repr(dataclasses.astuple(limits)), fingerprint]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


# -- results as plain data, parsed defensively ------------------------------------------------

class BadResult(ValueError):
    """A result dict that is not what `dataclasses.asdict(ExerciseResult)` produces."""


_MAX_TEXT = 200_000


def _text(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise BadResult(f"{key} must be text")
    return value


def _number(data: dict[str, Any], key: str, default: float | None = None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadResult(f"{key} must be a finite number")
    return float(value)


def _texts(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list | tuple) or len(value) > 100 or not all(isinstance(v, str) for v in value):
        raise BadResult(f"{key} must be a list of names")
    return tuple(value)


def result_from_dict(data: Any, exercise: Exercise | None = None) -> ExerciseResult:
    """An ExerciseResult from plain data, checking every field's type (and, given, the exercise's tests)."""
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list) or len(data["tests"]) > 1000:
        raise BadResult("not a result")
    seed = data.get("seed")
    number = data.get("exercise")
    if not isinstance(seed, int) or not isinstance(number, int) or isinstance(seed, bool):
        raise BadResult("exercise and seed must be integers")
    tests = []
    for entry in data["tests"]:
        if not isinstance(entry, dict):
            raise BadResult("a test must be an object")
        test = TestResult(name=_text(entry, "name"), score=_number(entry, "score"),
                          max_score=_number(entry, "max_score"), output=_text(entry, "output", ""),
                          number=_text(entry, "number", ""), test_id=_text(entry, "test_id", ""),
                          visibility=_text(entry, "visibility", "visible"),
                          # the structured feedback (summary mode, notes and the class report read it)
                          kind=_text(entry, "kind", ""), function=_text(entry, "function", ""),
                          functions=_texts(entry, "functions"), problem=_text(entry, "problem", ""),
                          diagnosis=_text(entry, "diagnosis", ""), details=_text(entry, "details", ""))
        if not 0 <= test.score <= test.max_score:
            raise BadResult(f"score of {test.test_id} out of range")
        tests.append(test)
    result = ExerciseResult(number, _text(data, "slug"), _text(data, "title"), seed, tests,
                            _number(data, "execution_time", 0.0), _text(data, "grader_error", ""),
                            import_error=_text(data, "import_error", ""),
                            feedback_mode=_text(data, "feedback_mode", "full"))
    if exercise is not None:
        expected = {k: float(v) for k, v in exercise.points.items()}
        if number != exercise.number or {t.test_id: t.max_score for t in tests} != expected:
            raise BadResult(f"a result that does not match {exercise.name}'s tests")
    return result


def result_to_json(result: ExerciseResult) -> str:
    return json.dumps(result.plain(), sort_keys=True, allow_nan=False)


# -- the store ---------------------------------------------------------------------------------

class Store:
    """OUT/.grade-batch/store.sqlite3: results by (student, exercise) and the student → folder map."""

    def __init__(self, out: Path) -> None:
        folder = out / STORE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        self.path = folder / STORE_FILE
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError:
            # A damaged or foreign file: move it aside, start afresh (everything is regraded).
            aside = self.path.with_name(f"{STORE_FILE}.damaged")
            os.replace(self.path, aside)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS results (student TEXT NOT NULL, exercise TEXT NOT NULL, "
                   "key TEXT NOT NULL, result TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', "
                   "graded_file TEXT NOT NULL DEFAULT '', PRIMARY KEY (student, exercise))")
        db.execute("CREATE TABLE IF NOT EXISTS students (student TEXT PRIMARY KEY, folder TEXT NOT NULL UNIQUE)")
        db.execute("SELECT count(*) FROM results").fetchone()
        return db

    def close(self) -> None:
        self._db.close()

    def load(self, student: str, exercise: Exercise, key: str) -> ExerciseResult | None:
        """The stored result if its key is `key`, else None (also for a damaged row)."""
        row = self._db.execute("SELECT key, result FROM results WHERE student = ? AND exercise = ?",
                               (student, exercise.name)).fetchone()
        if row is None or row[0] != key:
            return None
        try:
            return result_from_dict(json.loads(row[1]), exercise)
        except (ValueError, TypeError):
            return None

    def previous_seconds(self) -> dict[tuple[str, str], float]:
        """How long each (student, exercise) took last time: the largest-first order."""
        times = {}
        for student, exercise, text in self._db.execute("SELECT student, exercise, result FROM results"):
            try:
                times[(student, exercise)] = float(json.loads(text).get("execution_time", 0.0))
            except (ValueError, TypeError, AttributeError):
                continue
        return times

    def save(self, student: str, exercise: str, key: str, result: ExerciseResult) -> None:
        self._db.execute("INSERT OR REPLACE INTO results (student, exercise, key, result) VALUES (?, ?, ?, ?)",
                         (student, exercise, key, result_to_json(result)))

    def forget(self, student: str, exercise: str) -> None:
        self._db.execute("DELETE FROM results WHERE student = ? AND exercise = ?", (student, exercise))

    def folders(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT student, folder FROM students"))

    def add_folders(self, mapping: dict[str, str]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO students (student, folder) VALUES (?, ?)",
                                 mapping.items())
