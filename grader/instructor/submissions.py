"""Finding a student's answer to an exercise in a folder, whatever its shape.

A submission may hold the exercise file itself (`exercise1_update_rule.py`,
anywhere: bare, under `exercises/`, or deeper), or an nbgrader notebook
(`exercise1/exercise1.ipynb`, or any `exercise1.ipynb`). A notebook is turned
into the module `grade` expects (its given and solution cells), so every
route grades the same code with the same hidden tests.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.catalog import Exercise
from grader.results import ExerciseResult, TestResult

_IGNORED_DIRS = {"__MACOSX", "__pycache__", "node_modules"}


@dataclass(frozen=True)
class Found:
    """One exercise's answer inside a submission folder."""

    exercise: Exercise
    path: Path
    kind: Literal["python", "notebook"]

    def module_source(self) -> str:
        """The Python module that will be graded."""
        if self.kind == "python":
            return self.path.read_text(encoding="utf-8", errors="replace")
        from grader.instructor.notebook_code import notebook_module_source, read_notebook

        return notebook_module_source(read_notebook(self.path))

    def digest(self) -> str:
        """A hash of everything grading this answer depends on in the submission.

        For a Python file its sibling .py files count too (a student may import
        a helper module); for a notebook only the extracted code, so re-running
        a notebook (new outputs, same code) does not count as a change.
        """
        h = hashlib.sha256()
        h.update(self.kind.encode())
        h.update(self.module_source().encode())
        if self.kind == "python":
            for sibling in sorted(self.path.parent.glob("*.py")):
                if sibling != self.path:
                    h.update(sibling.name.encode())
                    h.update(sibling.read_bytes())
        return h.hexdigest()


def _walk(folder: Path) -> Iterator[Path]:
    """Files under `folder`, skipping hidden folders (.ipynb_checkpoints, .git) and OS debris."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if any(p.startswith(".") or p in _IGNORED_DIRS for p in rel):
            continue
        if path.is_file():
            yield path


def _rank(folder: Path, path: Path) -> tuple[int, int, str]:
    # Prefer exercises/<file> (a workspace), then the shallowest, then by name.
    rel = path.relative_to(folder)
    return (0 if path.parent.name == "exercises" else 1, len(rel.parts), rel.as_posix())


def find_answer(folder: Path, exercise: Exercise) -> Found | None:
    """The student's file for `exercise` under `folder`: a .py file first, else a notebook."""
    files = list(_walk(folder))
    python = [p for p in files if p.name == exercise.file]
    if python:
        return Found(exercise, min(python, key=lambda p: _rank(folder, p)), "python")
    notebooks = [
        p for p in files
        if p.suffix == ".ipynb" and (p.stem in (exercise.name, exercise.module) or p.parent.name == exercise.name)
    ]
    if notebooks:
        return Found(exercise, min(notebooks, key=lambda p: _rank(folder, p)), "notebook")
    return None


@contextmanager
def module_file(found: Found) -> Iterator[Path]:
    """A path to grade: the .py file itself, or the notebook's code in a temporary file."""
    if found.kind == "python":
        yield found.path
        return
    with tempfile.TemporaryDirectory(prefix="grade-notebook-") as tmp:
        path = Path(tmp) / found.exercise.file
        path.write_text(found.module_source(), encoding="utf-8")
        yield path


def missing_result(exercise: Exercise, seed: int, message: str) -> ExerciseResult:
    """Zero on every hidden test, each saying why: the answer was not submitted."""
    from grader.instructor.notebooks import hidden_test_titles

    titles = hidden_test_titles(exercise)
    result = ExerciseResult(exercise.number, exercise.slug, exercise.title, seed)
    for number, (test_id, points) in enumerate(exercise.points.items(), start=1):
        result.tests.append(
            TestResult(
                name=f"exercise{exercise.number} · {titles[test_id]}",
                score=0.0,
                max_score=float(points),
                output=message,
                number=f"{exercise.number}.{number}",
                test_id=test_id,
            )
        )
    return result


def not_found_message(exercise: Exercise) -> str:
    return (
        f"No {exercise.file} (or {exercise.name}.ipynb) in your submission, so {exercise.name} "
        "was not graded. Upload the file with exactly that name."
    )
