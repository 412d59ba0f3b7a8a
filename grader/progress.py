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
lock file beside it, `progress.sqlite3.lock`. Graded code never reaches this
file: the sandbox's Landlock rules deny the whole workspace.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator
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
CREATE TABLE IF NOT EXISTS wrong_answers (
    exercise INTEGER NOT NULL,
    function TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (exercise, function)
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


class _Foreign(Exception):
    pass


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    """A file that is not a database, or a damaged one (not a lock or permission problem)."""
    text = str(exc).lower()
    return any(m in text for m in ("not a database", "malformed", "file is encrypted", "unsupported file format"))
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


def _fill_missing_tables(conn: sqlite3.Connection) -> None:
    """Let a read-only connection read tables its file does not have yet (an older version's file).

    Reading the schema also reads the file, so a damaged one fails here. The missing tables
    are created empty in an attached in-memory database: unqualified names that `main` lacks
    resolve there, and the file itself is never written.
    """
    have = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    statements = [f"CREATE TABLE IF NOT EXISTS {part.strip()}" for part in _SCHEMA.split("CREATE TABLE IF NOT EXISTS")
                  if part.strip()]
    missing = [stmt for stmt in statements if stmt.split()[5] not in have]
    if missing:
        conn.execute("ATTACH DATABASE ':memory:' AS blank")
        for stmt in missing:
            conn.execute(stmt.replace("CREATE TABLE IF NOT EXISTS ", "CREATE TABLE IF NOT EXISTS blank.", 1))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_COLUMNS = {
    "attempts": {"exercise", "score", "max_score", "seed", "file_sha", "created"},
    "hints": {"exercise", "shown"},
    "quiz": {"topic", "kind", "question", "score", "max_score", "seed", "created"},
}


class ProgressWriteError(OSError):
    """The attempt (or hint, or quiz answer) could not be written: read-only workspace, full disk, ..."""


def _foreign(conn: sqlite3.Connection) -> str | None:
    """Why this database is not ours (missing tables or columns), or None."""
    for table, columns in _COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if have and not columns <= have:
            return f"its table {table!r} lacks {', '.join(sorted(columns - have))}"
    return None


def _notice(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class ProgressStore:
    """Reads and writes one workspace's progress database.

    A corrupt file, or one that is not this tool's (another program's
    database under the same name), is moved aside with a message and a fresh
    store is created; reading never needs write access, so `grade list` and
    `grade progress` work on a read-only workspace.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    def _move_aside(self, why: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        try:
            os.replace(self.path, target)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.replace(side, target.with_name(target.name + suffix))
        except OSError as exc:
            _notice(f"grade: the progress database {self.path} is unusable ({why}) and could not be "
                    f"moved aside ({exc.strerror or exc}); progress is not shown or recorded.")
            raise ProgressWriteError(f"unusable progress database: {why}") from exc
        _notice(f"grade: the progress database was unusable ({why}); moved it to {target.name} "
                f"and started a fresh one.")

    def _ensure_schema(self) -> None:
        """Create the tables and switch to WAL once, one process or thread at a time.

        Switching the journal mode needs the database to itself, and SQLite's
        busy handler does not wait for that: concurrent first writers would fail
        with "database is locked". A lock file serialises this one step.
        """
        if self._ready:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(self.path.name + ".lock"), "a")  # noqa: SIM115
        except OSError as exc:
            raise ProgressWriteError(exc.errno, exc.strerror or str(exc), str(exc.filename or "")) from exc
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for attempt in range(2):
                try:
                    self._create()
                    break
                except sqlite3.DatabaseError as exc:
                    if attempt or not _corrupt(exc):
                        raise ProgressWriteError(str(exc)) from exc
                    self._move_aside(str(exc))
                except _Foreign as exc:
                    if attempt:
                        raise ProgressWriteError(str(exc)) from exc
                    self._move_aside(str(exc))
        self._ready = True

    def _create(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            why = _foreign(conn)
            if why:
                raise _Foreign(why)
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
        finally:
            conn.close()

    def _reader(self) -> sqlite3.Connection:
        """A read-only connection; an empty in-memory store when there is nothing usable."""
        empty = sqlite3.connect(":memory:")
        empty.executescript(_SCHEMA)
        if not self.path.exists():
            # Reading must not create the database (e.g. `grade list` in a fresh workspace).
            return empty
        uri = self.path.resolve().as_uri()
        for query in ("?mode=ro", "?immutable=1"):  # immutable: a WAL file in a read-only folder
            try:
                conn = sqlite3.connect(uri + query, uri=True, timeout=30.0)
                conn.execute("PRAGMA busy_timeout = 30000")
                why = _foreign(conn)
                if why is None:
                    _fill_missing_tables(conn)
                    empty.close()
                    return conn
                conn.close()
                error = why
            except sqlite3.DatabaseError as exc:
                error = str(exc)
                if not _corrupt(exc):
                    continue
            with contextlib.suppress(ProgressWriteError):  # unusable: move it aside if we can
                self._move_aside(error)
            return empty
        return empty

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if not write:
            conn = self._reader()
        else:
            self._ensure_schema()
            try:
                conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
                conn.execute("PRAGMA busy_timeout = 30000")
            except sqlite3.Error as exc:
                raise ProgressWriteError(str(exc)) from exc
        try:
            if write:
                conn.execute("BEGIN IMMEDIATE")
            yield conn
            if write:
                conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if write and conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if write:
                raise ProgressWriteError(str(exc)) from exc
            raise
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
