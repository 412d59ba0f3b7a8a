"""Grading a whole class in parallel: a folder of submissions in, a gradebook out.

    SUBMISSIONS/<student>/...        exercise files anywhere (bare, exercises/, deeper)
    SUBMISSIONS/<student>/<assignment>/*.ipynb   nbgrader's submitted/ layout
                                                 (or pass the course dir holding submitted/)

Each (student, exercise) is one task. The coordinator (this module) reads
the answer's bytes itself (links refused, sizes capped:
`grader.instructor.submissions`), and hands them as a JSON task to a pool of
grading processes (`grader.instructor.pool`, or a Dask cluster:
`grader.instructor.dask_pool`); each writes them into a private folder and
calls `grader.runner.grade_file`, whose sandbox runs the student's code. The
answers come back as plain data, are checked, and stored by the coordinator
alone (`grader.instructor.batch_cache.Store`, committed per submission), so a
killed batch loses nothing and a rerun resumes where it stopped.

OUT/gradebook.csv holds student × exercise scores and notes that explain them
(`grader.instructor.notes`); OUT/<folder>/results.json is each student's
Gradescope-format results; OUT/students.csv maps student names to folders;
OUT/report.html and report.json say what the class got wrong
(`grader.instructor.class_report`).

Hidden-test seeds: with a course secret (`grader.instructor.course_secret`),
every (student, exercise) has its own seed, the same one nbgrader autograde
and Gradescope derive; `--seed` fixes one seed for everyone instead; with
neither, every student gets DEFAULT_SEED and the batch says so.
"""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import os
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader.catalog import Exercise
from grader.instructor import DEFAULT_SEED
from grader.instructor.batch_cache import BadResult, Store, grader_fingerprint, job_key, result_from_dict
from grader.instructor.names import assign_folders, csv_cell, display_name
from grader.instructor.notes import explain
from grader.instructor.submissions import Found, Unreadable, files_digest, not_found_message, search, walk, zero_result
from grader.results import ExerciseResult, redact, results_json
from grader.sandbox.client import MAX_TIMEOUTS_PER_FUNCTION, Limits

GRADEBOOK = "gradebook.csv"
STUDENTS = "students.csv"
GRADEBOOK_EVERY = 2.0  # seconds between atomic rewrites of the gradebook while grading


# -- seeds -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seeds:
    """Where each student's hidden-test seed comes from."""

    fixed: int | None = DEFAULT_SEED
    secret: bytes | None = None
    origin: str = ""  # the secret file, or why the seed is fixed

    def seed(self, student: str, exercise: str) -> int:
        if self.fixed is not None:
            return self.fixed
        from grader.instructor.course_secret import student_seed

        assert self.secret is not None
        return student_seed(self.secret, student, exercise)

    @property
    def per_student(self) -> bool:
        return self.fixed is None

    def describe(self) -> str:
        if self.per_student:
            return f"per-student seeds from the course secret {self.origin}"
        return f"seed {self.fixed} for every student ({self.origin})"


def choose_seeds(submissions: Path, seed: int | None, secret_file: Path | None = None) -> Seeds:
    """--seed wins; else the course secret (given, or found from SUBMISSIONS upwards); else DEFAULT_SEED."""
    from grader.instructor.course_secret import find_secret, load_secret

    if seed is not None:
        return Seeds(fixed=seed, origin="--seed")
    path = secret_file or find_secret(submissions)
    if path is None:
        return Seeds(fixed=DEFAULT_SEED, origin=f"no course secret found in {submissions} or its parents")
    return Seeds(fixed=None, secret=load_secret(path), origin=str(path))


# -- the plan ----------------------------------------------------------------------------------

@dataclass
class Entry:
    """One (student, exercise): what to grade, or the note that says why there is nothing to grade."""

    student: str
    exercise: Exercise
    seed: int
    found: Found | None = None
    special: str = ""  # decided before grading: not submitted, refused link, unreadable …
    key: str = ""
    graded_file: str = ""

    @property
    def message(self) -> str:
        """The feedback of an answer that is not graded."""
        if self.found is None and self.special.startswith("not submitted"):
            return not_found_message(self.exercise) + self.special.removeprefix("not submitted")
        return f"{self.exercise.name} was not graded: {self.special.removeprefix('refused: ')}."


@dataclass
class Plan:
    """What a batch will do: the students (display name → folder) and every entry."""

    folders: dict[str, Path]
    entries: list[Entry]
    exercises: list[Exercise]
    seeds: Seeds
    limits: Limits
    budgets: dict[str, float]
    # What each student's results.json shows of a failed hidden test (`grader.results.redact`):
    # "summary" (what was checked, points, the likely mistake) or "full" (inputs and values too).
    hidden_feedback: str = "summary"

    @property
    def students(self) -> list[str]:
        return list(self.folders)

    @property
    def jobs(self) -> list[Entry]:
        return [e for e in self.entries if not e.special]


def students_root(submissions: Path) -> Path:
    """The folder whose sub-folders are the students: submitted/ of an nbgrader course, else itself."""
    if (submissions / "submitted").is_dir() and (submissions / "nbgrader_config.py").is_file():
        return submissions / "submitted"
    return submissions


def find_students(submissions: Path) -> dict[str, Path]:
    """Student name → folder: every visible sub-folder of `students_root(submissions)` (links included,
    to be refused with a note)."""
    found = {}
    for entry in sorted(os.scandir(students_root(submissions)), key=lambda e: e.name):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir(follow_symlinks=False) or entry.is_symlink():
            found[display_name(entry.name)] = Path(entry.path)
    return found


def _function_count(exercise: Exercise) -> int:
    from grader.stubs import solution_path

    tree = ast.parse(solution_path(exercise.file).read_bytes())
    return sum(1 for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_"))


def default_budget(exercise: Exercise, limits: Limits) -> float:
    """Wall seconds one submission may take in all: the import, every function timing out as often as
    the sandbox lets it, and a margin for the grading itself on a loaded machine."""
    calls = MAX_TIMEOUTS_PER_FUNCTION * _function_count(exercise) + 2
    return limits.import_timeout + calls * limits.call_timeout + 60.0


def _describe_refusals(refused: list[tuple[str, str]]) -> str:
    return "; ".join(f"{path} is {why}" for path, why in refused[:3])


def plan(submissions: Path, exercises: Sequence[Exercise], *, seeds: Seeds | None = None, seed: int | None = None,
         limits: Limits, budget: float | None = None) -> Plan:
    """Find every student's answers and hash them, so unchanged ones can be skipped."""
    seeds = seeds or Seeds(fixed=DEFAULT_SEED if seed is None else seed, origin="--seed")
    fingerprints = {e.name: grader_fingerprint_cached(e) for e in exercises}
    folders = find_students(submissions)
    entries: list[Entry] = []
    for student, folder in folders.items():
        if folder.is_symlink():
            files: list[tuple[Path, bool]] | None = None
            problem = "refused: the submission folder is a symbolic link (links are not followed)"
        else:
            try:
                files, problem = list(walk(folder)), ""
                os.listdir(folder)
            except OSError as exc:
                files, problem = None, f"refused: the submission folder could not be read ({exc.strerror})"
        for exercise in exercises:
            entry = Entry(student, exercise, seeds.seed(student, exercise.name))
            entries.append(entry)
            if files is None:
                entry.special = problem
                continue
            looked = search(folder, exercise, files)
            if looked.found is None:
                entry.special = ("refused: " + _describe_refusals(looked.refused)) if looked.refused \
                    else "not submitted"
                continue
            entry.found = looked.found
            entry.graded_file = looked.found.relative
            try:
                digest = files_digest(looked.found.files())
            except Unreadable as exc:
                entry.special = f"refused: {exc}"
                continue
            entry.key = job_key(digest, exercise, entry.seed, limits, fingerprints[exercise.name])
    budgets = {e.name: budget or default_budget(e, limits) for e in exercises}
    return Plan(folders, entries, list(exercises), seeds, limits, budgets)


# -- outcomes ----------------------------------------------------------------------------------

@dataclass
class Graded:
    """The outcome of one (student, exercise)."""

    student: str
    exercise: str
    result: ExerciseResult | None = None
    error: str = ""  # grading failed outright (not the student's fault)
    cached: bool = False
    missing: bool = False
    note: str = ""
    kinds: list[str] = field(default_factory=list)
    stored_key: str = ""  # the store holds `result` under this key (the writer reloads it from there)

    @property
    def status(self) -> str:
        """For the progress counts: graded, unchanged, failed."""
        if self.error:
            return "failed"
        return "unchanged" if self.cached else "graded"


@dataclass
class BatchReport:
    students: list[str]
    exercises: list[Exercise]
    graded: list[Graded] = field(default_factory=list)
    interrupted: bool = False
    seeds: Seeds | None = None
    kinds: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    @property
    def failures(self) -> list[Graded]:
        return [g for g in self.graded if g.error]

    @property
    def fresh(self) -> int:
        return sum(1 for g in self.graded if not g.cached and not g.missing and not g.error)


class Executor(Protocol):
    def run(self, tasks: Sequence[Any], *, stop: Callable[[], bool]) -> Iterator[Any]: ...
    def close(self) -> None: ...


def task_payload(entry: Entry, job_id: int, limits: Limits) -> dict[str, Any]:
    """The JSON task for a pool worker: the answer's bytes (read now, links refused) and how to grade."""
    assert entry.found is not None
    files = entry.found.files()
    return {
        "id": job_id,
        "exercise": entry.exercise.name,
        "seed": entry.seed,
        "limits": asdict(limits),
        "main": entry.exercise.file,
        "files": {name: base64.b64encode(data).decode() for name, data in files.items()},
        "digest": files_digest(files),
        "nonce": secrets.token_hex(16),  # echoed by the worker: an answer nobody could guess
    }


def _order(jobs: list[Entry], previous: dict[tuple[str, str], float], budgets: dict[str, float]) -> list[Entry]:
    """Largest first (last run's time, else the exercise's size), so no straggler starts last."""
    def cost(entry: Entry) -> float:
        return previous.get((entry.student, entry.exercise.name), budgets[entry.exercise.name] / 100.0)
    return sorted(jobs, key=cost, reverse=True)


def run_batch(
    planned: Plan,
    out: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    on_done: Callable[[Graded], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    executor: Executor | None = None,
    sweep: bool = False,
    keep_results: bool = True,
) -> BatchReport:
    """Grade the planned entries into `out`; see the module docstring for what is written.

    `on_done` is called once per entry as it finishes (cached and ungradable ones first);
    `stop()` is polled, and when it turns true the batch ends at once, keeping what was graded.
    With `keep_results=False` the report holds each outcome's status and note, not its feedback.
    """
    from grader.instructor.class_report import ClassReport
    from grader.instructor.pool import Task, WorkerPool, default_jobs

    report = BatchReport(planned.students, planned.exercises, seeds=planned.seeds)
    out.mkdir(parents=True, exist_ok=True)
    store = Store(out)
    writer = _Outputs(out, planned, store)
    stats = ClassReport(planned.exercises)

    def finish(graded: Graded, entry: Entry) -> None:
        if not graded.note and not graded.kinds:
            graded.note, graded.kinds = explain(graded.result)
            if graded.error:
                why = graded.error.split("; its log:")[0].removeprefix("grading failed: ")[:120]
                graded.note, graded.kinds = f"grading failed ({why})", ["grader error"]
        if entry.found is not None and len(entry.found.candidates) > 1:
            others = len(entry.found.candidates)
            extra = f"graded file: {entry.graded_file} ({others} candidates)"
            graded.note = f"{graded.note}; {extra}" if graded.note else extra
        report.graded.append(graded)
        report.kinds.update(graded.kinds)
        writer.record(entry, graded)
        if graded.result is not None:
            stats.add(entry.student, graded.result, submitted=not graded.missing)
        if on_done:
            on_done(graded)
        if not keep_results:  # the store and results.json have it: keep the coordinator's memory flat
            graded.result = None

    try:
        to_grade: list[Entry] = []
        for entry in planned.entries:
            if entry.special:
                result = zero_result(entry.exercise, entry.seed, entry.message)
                graded = Graded(entry.student, entry.exercise.name, result, missing=True)
                graded.note, graded.kinds = explain(result, special=entry.special)
                finish(graded, entry)
                continue
            cached = None if force else store.load(entry.student, entry.exercise, entry.key)
            if cached is None:
                to_grade.append(entry)
            else:
                finish(Graded(entry.student, entry.exercise.name, cached, cached=True, stored_key=entry.key), entry)

        ordered = _order(to_grade, store.previous_seconds(), planned.budgets)
        limits = planned.limits
        runnable = [Task(payload={}, budget=planned.budgets[e.exercise.name], tag=e,
                         make=lambda e=e, n=n: task_payload(e, n, limits)) for n, e in enumerate(ordered)]
        pool = executor or WorkerPool(jobs or default_jobs(), sweep=sweep)
        try:
            for outcome in pool.run(runnable, stop=stop):
                entry = outcome.task.tag
                key = job_key(outcome.task.payload["digest"], entry.exercise, entry.seed, planned.limits,
                              grader_fingerprint_cached(entry.exercise))
                finish(_graded(entry, outcome, store, key), entry)
                writer.maybe_flush()
        finally:
            pool.close()
        report.interrupted = stop()
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        writer.flush(report)
        stats.write(out, writer.folders)
        store.close()
    return report


_FINGERPRINTS: dict[str, str] = {}


def grader_fingerprint_cached(exercise: Exercise) -> str:
    if exercise.name not in _FINGERPRINTS:
        _FINGERPRINTS[exercise.name] = grader_fingerprint(exercise)
    return _FINGERPRINTS[exercise.name]


def _graded(entry: Entry, outcome: Any, store: Store, key: str) -> Graded:
    """A pool outcome → Graded; a good result is stored (the store is the cache and the resume point)."""
    graded = _graded_plain(entry, outcome)
    if outcome.over_budget:
        graded.note, graded.kinds = explain(graded.result, special=outcome.error)
    if graded.result is not None and not graded.error:
        store.save(entry.student, entry.exercise.name, key, graded.result)
        graded.stored_key = key
    return graded


# -- the files under OUT ---------------------------------------------------------------------

def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `path` so a reader sees the old file or the new one, never half of one.

    `durable=False` leaves the disk flush to a later `sync_filesystem` (a batch's
    results.json files: one fsync each cost the coordinator 2.5 ms a student).
    """
    if path.is_symlink():
        path.unlink()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        if durable:
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def sync_filesystem(folder: Path) -> None:
    """Flush to disk everything written so far on `folder`'s filesystem: one syncfs(2) (Linux), else sync(2)."""
    import ctypes

    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
        if syncfs is None or syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


class _Outputs:
    """gradebook.csv (rewritten atomically every few seconds and at the end), results.json, students.csv."""

    def __init__(self, out: Path, planned: Plan, store: Store) -> None:
        self.out = out
        self.planned = planned
        self.folders = assign_folders(planned.students, store.folders())
        store.add_folders(self.folders)
        self.cells: dict[tuple[str, str], tuple[float | None, str]] = {}  # score (None: failed), note
        # A student's results.json is written once all their exercises are in. Until then only the
        # store key of each stored result is held here (the result itself is reloaded then), so the
        # coordinator's memory does not grow with the class when largest-first order scatters them.
        self.per_student: dict[str, dict[str, ExerciseResult | str]] = {}
        self.store = store
        self.by_name = {e.name: e for e in planned.exercises}
        self.expected = Counter(e.student for e in planned.entries)
        self.last_flush = time.monotonic()
        self.unsynced = False  # results.json files written since the last flush
        self._write_students()

    def _write_students(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["student", "folder"])
        for student in self.planned.students:
            writer.writerow([csv_cell(student), self.folders[student]])
        atomic_write(self.out / STUDENTS, buffer.getvalue().encode("utf-8"))

    def record(self, entry: Entry, graded: Graded) -> None:
        # Keep only what the gradebook needs; full results live in the store and results.json.
        score = None if graded.result is None else graded.result.score
        self.cells[(entry.student, entry.exercise.name)] = (score, graded.note)
        if graded.result is not None:
            done = self.per_student.setdefault(entry.student, {})
            done[entry.exercise.name] = graded.stored_key or graded.result
            if len(done) == self.expected[entry.student]:
                done[entry.exercise.name] = graded.result  # at hand: not read back from the store
                results = [self._reload(entry.student, name, held) for name, held in done.items()]
                self._write_results(entry.student, [r for r in results if r is not None])
                del self.per_student[entry.student]

    def _reload(self, student: str, name: str, held: ExerciseResult | str) -> ExerciseResult | None:
        if isinstance(held, str):
            return self.store.load(student, self.by_name[name], held)
        return held

    def _write_results(self, student: str, results: list[ExerciseResult]) -> None:
        folder = self.out / self.folders[student]
        if folder.is_symlink():
            folder.unlink()
        folder.mkdir(exist_ok=True)
        results.sort(key=lambda r: r.exercise)
        data = results_json([redact(r, self.planned.hidden_feedback) for r in results])
        if self.planned.seeds.per_student:
            # A student's own seed would let them recompute their hidden inputs on a resubmission.
            data["output"] = "Graded with your own hidden inputs (per-student seeds)."
            for item in data.get("extra_data", {}).get("exercises", []):
                item.pop("seed", None)
        # One line: json's C encoder (an indent makes it the pure-Python one, most of a result's cost here).
        atomic_write(folder / "results.json", json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n",
                     durable=False)
        self.unsynced = True  # made durable, all at once, before the next gradebook

    def maybe_flush(self) -> None:
        if time.monotonic() - self.last_flush >= GRADEBOOK_EVERY:
            self.flush(None)

    def flush(self, report: BatchReport | None) -> None:
        for student, done in list(self.per_student.items()):
            if report is not None:  # the end (or an interruption): write what this student has
                results = [self._reload(student, name, held) for name, held in done.items()]
                self._write_results(student, [r for r in results if r is not None])
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        exercises = self.planned.exercises
        writer.writerow(["student", *(e.name for e in exercises), "total", "max_total", "notes"])
        for student in self.planned.students:
            row, notes = [csv_cell(student)], []
            total = max_total = 0.0
            for exercise in exercises:
                max_total += exercise.max_score
                cell = self.cells.get((student, exercise.name))
                if cell is None:
                    row.append("")
                    notes.append(f"{exercise.name}: not graded yet (interrupted; rerun to resume)")
                    continue
                score, note = cell
                if score is None:
                    row.append("")
                    notes.append(f"{exercise.name}: {note or 'grading failed'}")
                    continue
                row.append(f"{score:g}")
                total += score
                if note:
                    notes.append(f"{exercise.name}: {note}")
            writer.writerow([*row, f"{total:g}", f"{max_total:g}", csv_cell("; ".join(notes))])
        if self.unsynced:  # a gradebook on disk never counts a results.json that is not
            sync_filesystem(self.out)
            self.unsynced = False
        atomic_write(self.out / GRADEBOOK, buffer.getvalue().encode("utf-8"))
        self.last_flush = time.monotonic()


# -- one submission folder (the Gradescope route) ----------------------------------------------

def grade_folder(folder: Path, exercises: Sequence[Exercise], *, student: str, seeds: Seeds, limits: Limits,
                 budget: float | None = None, workers: int | None = None) -> list[tuple[Entry, Graded]]:
    """Grade one student's folder through the same pool as a batch (no store, no files written)."""
    from grader.instructor.pool import Task, WorkerPool, default_jobs

    entries, files = [], list(walk(folder))
    for exercise in exercises:
        entry = Entry(student, exercise, seeds.seed(student, exercise.name))
        looked = search(folder, exercise, files)
        if looked.found is None:
            entry.special = ("refused: " + _describe_refusals(looked.refused)) if looked.refused else "not submitted"
        else:
            entry.found, entry.graded_file = looked.found, looked.found.relative
        entries.append(entry)
    outcomes: dict[str, Graded] = {}
    tasks = []
    for number, entry in enumerate(entries):
        if not entry.special:
            try:
                payload = task_payload(entry, number, limits)
            except Unreadable as exc:
                entry.special = f"refused: {exc}"
            else:
                tasks.append(Task(payload=payload, budget=budget or default_budget(entry.exercise, limits),
                                  tag=entry))
        if entry.special:
            result = zero_result(entry.exercise, entry.seed, entry.message)
            graded = Graded(student, entry.exercise.name, result, missing=True)
            graded.note, graded.kinds = explain(result, special=entry.special)
            outcomes[entry.exercise.name] = graded
    if tasks:
        with WorkerPool(min(len(tasks), workers or default_jobs()), sweep=True) as pool:
            for outcome in pool.run(tasks):
                entry = outcome.task.tag
                graded = _graded_plain(entry, outcome)
                graded.note, graded.kinds = explain(graded.result) if graded.result else ("grading failed", [])
                outcomes[entry.exercise.name] = graded
    return [(entry, outcomes[entry.exercise.name]) for entry in entries]


def _graded_plain(entry: Entry, outcome: Any) -> Graded:
    name = entry.exercise.name
    if outcome.over_budget:
        result = zero_result(entry.exercise, entry.seed,
                             f"Grading {name} was stopped: your code {outcome.error} for the whole exercise "
                             "(an infinite loop, or far too slow?).")
        return Graded(entry.student, name, result)
    if outcome.result is None:
        return Graded(entry.student, name, error=outcome.error or "grading failed")
    try:
        result = result_from_dict(outcome.result, entry.exercise)
    except BadResult as exc:
        return Graded(entry.student, name, error=f"the grading process sent a bad result ({exc})")
    return Graded(entry.student, name, result, error=f"grader error: {result.grader_error}"
                  if result.grader_error else "")
