"""The batch grader's memory: what was graded, with which code, and the result.

A cached result is reused only when its key matches: a hash of the student's
answer, the exercise, the seed, the limits, and the grader code that decides
the exercise's scores (`grader_fingerprint`). Results live in
OUT/<student>/.cache/<exercise>.json.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from grader.catalog import Exercise
from grader.results import ExerciseResult, TestResult
from grader.sandbox.client import Limits

CACHE_DIR = ".cache"


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
    roots = ["grader.runner", "grader.sandbox.worker", "grader.hidden.conftest", f"grader.hidden.{exercise.tests}"]
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
        for node in ast.walk(ast.parse(path.read_bytes())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            queue.extend(n for n in names if n == "grader" or n.startswith("grader."))
    return seen


def job_key(answer_digest: str, exercise: Exercise, seed: int, limits: Limits, fingerprint: str) -> str:
    """The cache key of one (answer, exercise) under one grading configuration."""
    parts = [answer_digest, exercise.name, str(seed), repr(dataclasses.astuple(limits)), fingerprint]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()



def cache_path(out: Path, student: str, exercise: str) -> Path:
    return out / student / CACHE_DIR / f"{exercise}.json"


def load_cached(out: Path, student: str, exercise: str, key: str) -> ExerciseResult | None:
    """The stored result if its key is `key`, else None (also for a missing or damaged file)."""
    try:
        data = json.loads(cache_path(out, student, exercise).read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return _result_from_dict(data["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store_cached(out: Path, student: str, exercise: str, key: str, result: ExerciseResult) -> None:
    path = cache_path(out, student, exercise)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": key, "result": dataclasses.asdict(result)}), encoding="utf-8")


def _result_from_dict(data: dict[str, Any]) -> ExerciseResult:
    tests = [TestResult(**t) for t in data.pop("tests")]
    return ExerciseResult(**data, tests=tests)
