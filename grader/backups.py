"""Keeping a copy of a student's file before anything replaces it."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path


def backup(path: Path, backup_dir: Path) -> Path:
    """Copy `path` to `backup_dir/<stem>.<timestamp>.py` and return the copy's path.

    Timestamps have microseconds and a counter guards collisions, so no backup
    ever overwrites another.
    """
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{path.stem}.{stamp}{path.suffix}"
    counter = 1
    while target.exists():
        target = backup_dir / f"{path.stem}.{stamp}-{counter}{path.suffix}"
        counter += 1
    shutil.copy2(path, target)
    return target
