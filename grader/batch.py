"""Grading a whole class in parallel: a folder of submissions in, a gradebook out.

    SUBMISSIONS/<student>/...        exercise files anywhere (bare, exercises/, deeper)
    SUBMISSIONS/<student>/<assignment>/*.ipynb   nbgrader's submitted/ layout
                                                 (or pass the course dir holding submitted/)

Each (student, exercise) is one job for a process pool whose workers import
the grader once and call `grader.runner.grade_file` per job; every call still
runs the student's code in its own sandbox worker process, so isolation is
exactly that of `grade`, and a hang or crash costs only that student's
points. No `grade` process is spawned per student: that start-up is what
makes nbgrader's kernel-per-notebook grading slow.

OUT/gradebook.csv holds student × exercise scores; OUT/<student>/results.json
is each student's Gradescope-format results; OUT/<student>/.cache/ lets a
rerun skip submissions whose code, seed, limits and grader are unchanged
(`grader.instructor.batch_cache`; the files are written by `grader.instructor.gradebook`).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.catalog import Exercise, resolve
from grader.instructor.batch_cache import grader_fingerprint, job_key, load_cached, store_cached
from grader.instructor.gradebook import write_gradebook, write_student_results
from grader.results import ExerciseResult
from grader.sandbox.client import Limits


@dataclass(frozen=True)
class Job:
    """One student's answer to one exercise, ready to grade in a pool worker."""

    student: str
    exercise: str  # catalog name, e.g. "exercise1"
    path: str
    kind: str  # "python" | "notebook"
    key: str  # content hash of the answer + everything else the score depends on


@dataclass
class Graded:
    """The outcome of one (student, exercise)."""

    student: str
    exercise: str
    result: ExerciseResult | None = None
    error: str = ""  # grading failed outright (not the student's fault)
    cached: bool = False
    missing: bool = False


@dataclass
class Plan:
    """What a batch will do: the students, the jobs, and the answers nobody submitted."""

    students: list[str]
    jobs: list[Job]
    missing: list[Graded]
    exercises: list[Exercise]
    seed: int
    limits: Limits


@dataclass
class BatchReport:
    students: list[str]
    exercises: list[Exercise]
    graded: list[Graded] = field(default_factory=list)

    @property
    def failures(self) -> list[Graded]:
        return [g for g in self.graded if g.error]

    @property
    def fresh(self) -> int:
        return sum(1 for g in self.graded if not g.cached and not g.missing)


def students_root(submissions: Path) -> Path:
    """The folder whose sub-folders are the students: submitted/ of an nbgrader course, else itself."""
    if (submissions / "submitted").is_dir() and (submissions / "nbgrader_config.py").is_file():
        return submissions / "submitted"
    return submissions


def find_students(submissions: Path) -> dict[str, Path]:
    """Student id → folder: every visible sub-folder of `students_root(submissions)`."""
    return {
        p.name: p for p in sorted(students_root(submissions).iterdir())
        if p.is_dir() and not p.name.startswith((".", "__"))
    }


# -- the pool worker ------------------------------------------------------------

_pool_worker = False  # set in pool workers only: they may freeze their heap
_settled = False  # the first job's lazy imports are frozen too


def _import_heavy() -> None:
    """Pay the heavy imports once per process, not once per job."""
    import importlib

    for name in ("numpy", "pytest", "grader.checking", "grader.runner"):
        importlib.import_module(name)


def _init_pool_worker() -> None:
    global _pool_worker
    _pool_worker = True
    _import_heavy()
    _freeze()


def _freeze() -> None:
    # Long-lived workers accumulate module objects; frozen ones are skipped by any
    # collection the student-facing code triggers, so each job stays cheap.
    import gc

    gc.collect()
    gc.freeze()


def grade_job(job: Job, seed: int, limits: Limits) -> ExerciseResult:
    """Grade one job in this process (a pool worker); the student's code runs in a sandbox."""
    from grader.instructor.submissions import Found, module_file
    from grader.runner import grade_file

    global _settled
    exercise = resolve(job.exercise)
    found = Found(exercise, Path(job.path), "notebook" if job.kind == "notebook" else "python")
    with module_file(found) as path:
        result = grade_file(exercise, path, seed=seed, limits=limits)
    if _pool_worker and not _settled:  # the first job imported pytest's lazy parts: freeze them too
        _settled = True
        _freeze()
    return result


# -- the batch --------------------------------------------------------------------

def plan(submissions: Path, exercises: Sequence[Exercise], *, seed: int, limits: Limits) -> Plan:
    """Find every student's answers; hash them so unchanged ones can be skipped."""
    from grader.instructor.submissions import find_answer, missing_result, not_found_message

    fingerprints = {e.name: grader_fingerprint(e) for e in exercises}
    students = find_students(submissions)
    jobs: list[Job] = []
    missing: list[Graded] = []
    for student, folder in students.items():
        for exercise in exercises:
            found = find_answer(folder, exercise)
            if found is None:
                result = missing_result(exercise, seed, not_found_message(exercise))
                missing.append(Graded(student, exercise.name, result, missing=True))
                continue
            key = job_key(found.digest(), exercise, seed, limits, fingerprints[exercise.name])
            jobs.append(Job(student, exercise.name, str(found.path), found.kind, key))
    return Plan(list(students), jobs, missing, list(exercises), seed, limits)


def run_batch(
    planned: Plan,
    out: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    on_done: Callable[[Graded], None] | None = None,
) -> BatchReport:
    """Grade the planned jobs into `out` (gradebook.csv, <student>/results.json).

    `on_done` is called once per job as it finishes (cached ones first), for a progress bar.
    """
    report = BatchReport(planned.students, planned.exercises, list(planned.missing))
    out.mkdir(parents=True, exist_ok=True)
    to_grade: list[Job] = []
    for job in planned.jobs:
        cached = None if force else load_cached(out, job.student, job.exercise, job.key)
        if cached is None:
            to_grade.append(job)
            continue
        graded = Graded(job.student, job.exercise, cached, cached=True)
        report.graded.append(graded)
        if on_done:
            on_done(graded)

    for job, result, error in _grade_in_pool(to_grade, planned.seed, planned.limits, jobs or os.cpu_count() or 1):
        if result is not None and not result.grader_error:
            store_cached(out, job.student, job.exercise, job.key, result)
        if result is not None and result.grader_error:
            error = f"grader error: {result.grader_error}"
        graded = Graded(job.student, job.exercise, result, error=error)
        report.graded.append(graded)
        if on_done:
            on_done(graded)

    write_student_results(out, report)
    write_gradebook(out, report)
    return report


def _grade_in_pool(jobs: list[Job], seed: int, limits: Limits, workers: int) -> Iterator[tuple[Job, Any, str]]:
    """Yield (job, result | None, error) as jobs finish; survives a pool worker dying.

    A dying worker breaks the whole shared pool, taking every job in flight
    with it. Those jobs are then retried each in a pool of its own, so only the
    one that kills its worker again is reported as failed.
    """
    if not jobs:
        return
    # fork: workers start in milliseconds and inherit the imports made here once.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if "fork" in methods:
        _import_heavy()  # once here, inherited by every worker
    suspects: list[Job] = []
    with cf.ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), mp_context=context,
                                initializer=_init_pool_worker) as pool:
        futures = {pool.submit(grade_job, job, seed, limits): job for job in jobs}
        for future in cf.as_completed(futures):
            outcome = _outcome(futures[future], future)
            if outcome is None:
                suspects.append(futures[future])
            else:
                yield outcome
    for start in range(0, len(suspects), workers):
        chunk = suspects[start:start + workers]
        pools = [cf.ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_init_pool_worker)
                 for _ in chunk]
        try:
            futures = {p.submit(grade_job, job, seed, limits): job for p, job in zip(pools, chunk, strict=True)}
            for future in cf.as_completed(futures):
                job = futures[future]
                yield _outcome(job, future) or (job, None, "the grading process died while grading this submission")
        finally:
            for p in pools:
                p.shutdown(wait=True)


def _outcome(job: Job, future: cf.Future[ExerciseResult]) -> tuple[Job, Any, str] | None:
    """(job, result, "") or (job, None, why); None when the pool broke under it."""
    try:
        return job, future.result(), ""
    except cf.process.BrokenProcessPool:
        return None
    except Exception as exc:  # the grader's fault, not the student's: report it, keep going
        return job, None, f"grading failed: {type(exc).__name__}: {exc}"
