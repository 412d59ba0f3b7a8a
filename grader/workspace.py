"""Finding the student's workspace, the way git finds a repository.

A workspace is a directory holding `exercises/`; grading state (the progress
database, reset backups) lives beside it in `.grade/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.catalog import Exercise

STATE_DIR = ".grade"


class WorkspaceNotFound(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def progress_db(self) -> Path:
        return self.state_dir / "progress.sqlite3"

    def exercise_path(self, exercise: Exercise) -> Path:
        return self.exercises_dir / exercise.file


def find_workspace(start: Path | None = None) -> Workspace:
    """Walk up from `start` (default: the current directory) to a dir with `exercises/`."""
    here = (start or Path.cwd()).resolve()
    if here.name == "exercises" and here.is_dir():
        return Workspace(here.parent)
    for candidate in (here, *here.parents):
        if (candidate / "exercises").is_dir():
            return Workspace(candidate)
    raise WorkspaceNotFound(
        f"No exercises/ folder in {here} or any parent. "
        "Run `grade init DIR` to create a workspace, or pass --path DIR."
    )
