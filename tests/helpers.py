"""Shared helpers for the project's tests: workspaces and running `grade`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"


def reference_source(file: str) -> str:
    return (SOLUTIONS / file).read_text(encoding="utf-8")


def mutate(source: str, old: str, new: str) -> str:
    """Replace `old` by `new` exactly once; fail loudly if `old` is not there."""
    count = source.count(old)
    assert count == 1, f"expected exactly one {old!r} in the source, found {count}"
    return source.replace(old, new)


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
    return proc.returncode, json.loads(proc.stdout)


def find_test(results: dict[str, Any], fragment: str) -> dict[str, Any]:
    """The one test whose name contains `fragment`."""
    found = [t for t in results["tests"] if fragment in t["name"]]
    assert len(found) == 1, f"{fragment!r} matched {[t['name'] for t in found]}"
    return found[0]
