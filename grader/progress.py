"""The workspace's progress database (stdlib sqlite3).

Schema (one file, `.grade/progress.sqlite3` in the workspace):

- ``attempts(id, exercise, score, max_score, seed, file_sha, created)`` — one row
  per `grade exerciseN` run; best score and status derive from it.
- ``hints(exercise, shown)`` — how many progressive hints were revealed.
- ``quiz(id, topic, kind, question, score, max_score, seed, created)`` — one row
  per answered `grade quiz` / `grade pyq` practice question.
- ``quiz_review(key, title, topic, kind, box, misses, answered, last_seen, due)``
  — one row per quiz item ever missed (added in a later version; created if
  absent, so older databases keep working): a Leitner box. A miss puts the
  item in box 0, due at once; each right answer in review moves it up one box
  and schedules it REVIEW_INTERVALS_DAYS[box] days later; after the last box
  it is mastered and no longer asked. `key` rebuilds the question
  (`grader.quiz.regenerate`).

Every write is a short transaction in WAL mode with a busy timeout, so two
`grade` processes writing at once both succeed instead of failing "database is
locked"; creating the database (and switching it to WAL) is serialised by a
lock file beside it, `progress.sqlite3.lock`.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: Days until the next review after a right answer in box 1, 2, 3; box 4 = mastered.
REVIEW_INTERVALS_DAYS = (0, 1, 3, 7)
MASTERED_BOX = len(REVIEW_INTERVALS_DAYS)

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
CREATE TABLE IF NOT EXISTS quiz_review (
    key TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,
    box INTEGER NOT NULL,
    misses INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    last_seen TEXT NOT NULL,
    due TEXT NOT NULL
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


@dataclass(frozen=True)
class ReviewItem:
    """A quiz item missed at least once, and where it stands in the review schedule."""

    key: str
    title: str
    topic: str
    kind: str
    box: int  # 0 = just missed … MASTERED_BOX = no longer asked
    misses: int
    answered: int
    last_seen: str
    due: str


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

    def record_review(
        self, *, key: str, title: str, topic: str, kind: str, correct: bool, now: datetime | None = None
    ) -> None:
        """Update an item's schedule after an answer: a miss resets it to box 0 (due now), a right
        answer moves a known item up one box. Right answers to items never missed are not stored."""
        moment = now or datetime.now(UTC)
        stamp = moment.isoformat(timespec="seconds")
        with self._connect(write=True) as conn:
            row = conn.execute("SELECT box, misses, answered FROM quiz_review WHERE key = ?", (key,)).fetchone()
            if row is None and correct:
                return
            box, misses, answered = row if row else (0, 0, 0)
            if correct:
                box = min(MASTERED_BOX, box + 1)
            else:
                box, misses = 0, misses + 1
            days = REVIEW_INTERVALS_DAYS[min(box, MASTERED_BOX - 1)]
            due = (moment + timedelta(days=days)).isoformat(timespec="seconds")
            conn.execute(
                "INSERT INTO quiz_review (key, title, topic, kind, box, misses, answered, last_seen, due)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET title = excluded.title,"
                " box = excluded.box, misses = excluded.misses, answered = excluded.answered,"
                " last_seen = excluded.last_seen, due = excluded.due",
                (key, title, topic, kind, box, misses, answered + 1, stamp, due),
            )

    def review_items(self) -> list[ReviewItem]:
        """Every item ever missed, mastered ones included, soonest due first."""
        with self._connect(write=False) as conn:
            rows = conn.execute(
                "SELECT key, title, topic, kind, box, misses, answered, last_seen, due FROM quiz_review"
                " ORDER BY due, box, misses DESC, key"
            ).fetchall()
        return [ReviewItem(*row) for row in rows]

    def due_for_review(self, now: datetime | None = None) -> list[ReviewItem]:
        """Items due by `now` and not mastered: the lowest box (most recently missed) first, then most misses."""
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        due = [item for item in self.review_items() if item.box < MASTERED_BOX and item.due <= stamp]
        return sorted(due, key=lambda item: (item.box, -item.misses, item.due, item.key))
