"""Per-student hidden-test seeds, derived from a course secret.

An instructor's course folder holds a random secret (`.grade-course-secret`,
created by `grade instructor nbgrader` and never released). Every graded route
(`grade batch`, nbgrader autograde, Gradescope) derives a student's seed for
an exercise from it:

    seed = int.from_bytes(HMAC-SHA256(secret, "v1\\0" + student + "\\0" + exercise)[:8]) mod 2**63

so two students never share hidden inputs (with overwhelming probability), a
regrade reproduces a student's inputs exactly, and nobody without the secret
can predict them. `--seed` still overrides the derivation for debugging.

Stdlib only: the batch coordinator and the Gradescope runner import it early.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = ".grade-course-secret"
_SECRET_BYTES = 32
_VERSION = b"v1"


class SecretError(ValueError):
    """The course secret is missing, unreadable or malformed."""


def create_secret(course_dir: Path, *, overwrite: bool = False) -> Path:
    """Write a fresh secret into `course_dir` (mode 0600); keep an existing one unless `overwrite`."""
    path = Path(course_dir) / SECRET_FILE
    if path.exists() and not overwrite:
        load_secret(path)  # validate it
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(_SECRET_BYTES) + "\n")
    return path


def find_secret(start: Path) -> Path | None:
    """The secret file in `start` or the nearest parent folder that has one."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        candidate = folder / SECRET_FILE
        if candidate.is_file():
            return candidate
    return None


def load_secret(path: Path) -> bytes:
    """Read a secret file: one line of at least 32 hex digits."""
    try:
        text = Path(path).read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SecretError(f"cannot read the course secret {path}: {exc}") from exc
    if len(key) < 16:
        raise SecretError(f"the course secret {path} is too short (want 32 random bytes as hex)")
    return key


def student_seed(secret: bytes, student: str, exercise: str) -> int:
    """The hidden-test seed of `student` for `exercise` (a catalog name, e.g. "exercise3")."""
    message = _VERSION + b"\0" + student.encode("utf-8") + b"\0" + exercise.encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % (1 << 63)
