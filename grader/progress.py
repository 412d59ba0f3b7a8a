"""The workspace's progress database (stdlib sqlite3).

Schema (one file, `.grade/progress.sqlite3` in the workspace):

- ``attempts(id, exercise, score, max_score, seed, file_sha, created)`` — one row
  per `grade exerciseN` run; best score and status derive from it.
- ``hints(exercise, shown)`` — how many progressive hints were revealed.
- ``quiz(id, topic, kind, question, score, max_score, seed, created)`` — one row
  per answered `grade quiz` / `grade pyq` practice question.
- ``wrong_answers(exercise, function, count)`` — how many recorded runs gave a
  wrong symbolic answer for that function (its expected formula is shown from
  the fourth). Created on first use, so older databases gain it untouched.

Every write is a short transaction in WAL mode with a busy timeout, so two
`grade` processes writing at once both succeed instead of failing "database is
locked"; creating the database (and switching it to WAL) is serialised by a
lock file beside it, `progress.sqlite3.lock`.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exercise INTEGER NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    seed INTEGER,
    file_sha TEXT,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hints (
    exercise INTEGER PRIMARY KEY,
    shown INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS quiz (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    seed INTEGER,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS wrong_answers (
    exercise INTEGER NOT NULL,
    function TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (exercise, function)
);
"""


@dataclass(frozen=True)
class Attempt:
    exercise: int
    score: float
    max_score: float
    seed: int | None
    file_sha: str | None
    created: str


@dataclass(frozen=True)
class QuizRecord:
    topic: str
    kind: str
    question: str
    score: float
    max_score: float
    seed: int | None
    created: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ProgressStore:
    """Reads and writes one workspace's progress database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    def _ensure_schema(self) -> None:
        """Create the tables and switch to WAL once, one process or thread at a time.

        Switching the journal mode needs the database to itself, and SQLite's
        busy handler does not wait for that: concurrent first writers would fail
        with "database is locked". A lock file serialises this one step.
        """
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout = 30000")
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
            finally:
                conn.close()
        self._ready = True

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.exists():
            # Reading must not create the database (e.g. `grade list` in a fresh workspace).
            conn = sqlite3.connect(":memory:")
            conn.executescript(_SCHEMA)
        else:
            self._ensure_schema()
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
        try:
            if write:
                conn.execute("BEGIN IMMEDIATE")
            yield conn
            if write:
                conn.execute("COMMIT")
        except BaseException:
            if write and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def record_attempt(
        self, exercise: int, score: float, max_score: float, *, seed: int | None, file_sha: str | None
    ) -> None:
        with self._connect(write=True) as conn:
            conn.execute(
                "INSERT INTO attempts (exercise, score, max_score, seed, file_sha, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (exercise, score, max_score, seed, file_sha, _now()),
            )

    def attempts(self, exercise: int | None = None) -> list[Attempt]:
        query = "SELECT exercise, score, max_score, seed, file_sha, created FROM attempts"
        params: tuple[int, ...] = ()
        if exercise is not None:
            query += " WHERE exercise = ?"
            params = (exercise,)
        with self._connect(write=False) as conn:
            rows = conn.execute(query + " ORDER BY id", params).fetchall()
        return [Attempt(*row) for row in rows]

    def best_scores(self) -> dict[int, float]:
        """Best score per exercise number, over every attempt."""
        with self._connect(write=False) as conn:
            rows = conn.execute("SELECT exercise, MAX(score) FROM attempts GROUP BY exercise")
            return {int(ex): float(best) for ex, best in rows.fetchall()}

    def reveal_next_hint(self, exercise: int, total: int) -> int:
        """Count one more hint as shown (capped at `total`); return how many are shown now."""
        with self._connect(write=True) as conn:
            row = conn.execute("SELECT shown FROM hints WHERE exercise = ?", (exercise,)).fetchone()
            shown = min(total, (int(row[0]) if row else 0) + 1)
            conn.execute(
                "INSERT INTO hints (exercise, shown) VALUES (?, ?)"
                " ON CONFLICT(exercise) DO UPDATE SET shown = excluded.shown",
                (exercise, shown),
            )
        return shown

    def record_quiz(
        self,
        *,
        topic: str,
        kind: str,
        question: str,
        score: float,
        max_score: float,
        seed: int | None,
    ) -> None:
        with self._connect(write=True) as conn:
            conn.execute(
                "INSERT INTO quiz (topic, kind, question, score, max_score, seed, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (topic, kind, question, score, max_score, seed, _now()),
            )

    def quiz_results(self) -> list[QuizRecord]:
        with self._connect(write=False) as conn:
            rows = conn.execute(
                "SELECT topic, kind, question, score, max_score, seed, created FROM quiz ORDER BY id"
            ).fetchall()
        return [QuizRecord(*row) for row in rows]

    def wrong_answer_counts(self, exercise: int) -> dict[str, int]:
        """Function name -> recorded runs with a wrong symbolic answer for it."""
        with self._connect(write=False) as conn:
            rows = conn.execute(
                "SELECT function, count FROM wrong_answers WHERE exercise = ?", (exercise,)
            ).fetchall()
        return {str(function): int(count) for function, count in rows}

    def record_wrong_answers(self, exercise: int, functions: Iterable[str]) -> None:
        """Count one more wrong attempt at each of `functions` (one run: once each)."""
        names = sorted(set(functions))
        if not names:
            return
        with self._connect(write=True) as conn:
            conn.executemany(
                "INSERT INTO wrong_answers (exercise, function, count) VALUES (?, ?, 1)"
                " ON CONFLICT(exercise, function) DO UPDATE SET count = count + 1",
                [(exercise, name) for name in names],
            )
