"""Shared helpers for the project's tests: workspaces and running `grade`."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from grader.catalog import resolve

K = TypeVar("K")
REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
SUBMISSIONS = REPO / "tests" / "submissions"


def reference_source(file: str) -> str:
    return (SOLUTIONS / file).read_text(encoding="utf-8")


def mutate(source: str, old: str, new: str) -> str:
    """Replace `old` by `new` exactly once; fail loudly if `old` is not there."""
    count = source.count(old)
    assert count == 1, f"expected exactly one {old!r} in the source, found {count}"
    return source.replace(old, new)


@cache
def submission_edits(exercise: int) -> dict[str, list[tuple[str, str]]]:
    """The EDITS table of tests/submissions/exerciseN.py, read as data (never imported)."""
    tree = ast.parse((SUBMISSIONS / f"exercise{exercise}.py").read_text(encoding="utf-8"))
    (assign,) = [node for node in tree.body if isinstance(node, ast.Assign)]
    return ast.literal_eval(assign.value)


def submission(exercise: int, name: str) -> str:
    """A test submission: the reference solution with that submission's edits applied."""
    source = reference_source(resolve(f"exercise{exercise}").file)
    for old, new in submission_edits(exercise)[name]:
        source = mutate(source, old, new)
    return source


def make_workspace(root: Path, files: dict[str, str]) -> Path:
    """A workspace at `root` whose exercises/ holds `files` (name -> source)."""
    exercises = root / "exercises"
    exercises.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (exercises / name).write_text(text, encoding="utf-8")
    return root


def run_grade(*args: str, cwd: Path | None = None, timeout: float = 120, env: dict[str, str] | None = None,
              stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a fresh interpreter, as a user would."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        input=stdin,
    )


def grade_json(
    workspace: Path, exercise: str, *extra: str, seed: int = 7, timeout: float = 120
) -> tuple[int, dict[str, Any]]:
    """Grade `exercise` in `workspace` with --json; return (exit code, results.json)."""
    proc = run_grade(exercise, "--json", "--seed", str(seed), "--no-record", "--path", str(workspace),
                     *extra, timeout=timeout)
    assert proc.stdout.strip(), f"no JSON on stdout; stderr was:\n{proc.stderr}"
    assert proc.returncode in (0, 1), proc.stderr
    result = json.loads(proc.stdout)
    assert (proc.returncode == 0) == (result["score"] == result["max_score"])
    assert "internal grader error" not in proc.stdout, proc.stdout
    return proc.returncode, result


def grade_many(
    exercise: str, jobs: dict[K, tuple[str, int]], root: Path, *, workers: int = 2
) -> dict[K, tuple[int, dict[str, Any]]]:
    """Grade each (source, seed) of `jobs` in a workspace of its own under `root`.

    Two at a time by default: every run is already a pair of processes.
    """
    file = resolve(exercise).file

    def run(item: tuple[int, K]) -> tuple[int, dict[str, Any]]:
        index, key = item
        source, seed = jobs[key]
        return grade_json(make_workspace(root / f"job{index}", {file: source}), exercise, seed=seed)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(jobs, pool.map(run, enumerate(jobs)), strict=True))


def find_test(results: dict[str, Any], fragment: str) -> dict[str, Any]:
    """The one test whose name contains `fragment`."""
    found = [t for t in results["tests"] if fragment in t["name"]]
    assert len(found) == 1, f"{fragment!r} matched {[t['name'] for t in found]}"
    return found[0]
