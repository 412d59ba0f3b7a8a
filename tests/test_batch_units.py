"""Small parts of `grade batch`: names, CSV cells, the store, the defensive parsers, notes, the pool's watchdog."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO, reference_source

from grader.catalog import resolve
from grader.instructor.batch_cache import BadResult, Store, _grader_imports, result_from_dict
from grader.instructor.names import RESERVED, assign_folders, csv_cell, display_name
from grader.instructor.notes import explain
from grader.instructor.pool import Task, WorkerPool, _anonymous_log, _Worker, sweep_scratch_folders
from grader.instructor.pool_worker import TaskError, parse_task
from grader.results import ExerciseResult
from grader.results import TestResult as _Test
from grader.sandbox.client import Limits

EX = resolve("exercise1")


def test_folder_names_are_safe_unique_and_stable():
    names = ["alice", "Alice", "-rf", "=1+1", "gradebook.csv", "Zoë 名前", "a/b", "x..y", "", "..", "REPORT.HTML"]
    mapping = assign_folders(names, {})
    folders = list(mapping.values())
    assert len({f.lower() for f in folders}) == len(folders)
    for folder in folders:
        assert folder and folder[0] not in ".-" and set(folder) <= set(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        assert folder.lower() not in RESERVED
    assert mapping["Alice"] == "Alice"  # a safe name is kept as it is (the first in code-point order)
    assert mapping["alice"].startswith("alice-")  # its case twin gets a hash suffix
    # a new classmate whose name collides later does not rename anyone
    again = assign_folders([*names, "ALICE"], mapping)
    assert {n: again[n] for n in names} == mapping
    assert again["ALICE"].lower() not in {f.lower() for f in folders}
    assert display_name("caf\udce9") == "caf\ufffd"  # undecodable bytes in a folder name


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"])
def test_formula_cells_are_escaped(text):
    assert csv_cell(text) == "'" + text
    assert csv_cell("alice") == "alice"


def _result(score: float = 1.0) -> ExerciseResult:
    tests = [_Test(name=f"t{i}", score=min(score, float(p)), max_score=float(p), test_id=t, number=f"1.{i}")
             for i, (t, p) in enumerate(EX.points.items(), 1)]
    return ExerciseResult(EX.number, EX.slug, EX.title, 5, tests)


def test_a_results_plain_data_is_what_asdict_gives():
    result = _result(2.0)
    result.tests[0] = dataclasses.replace(result.tests[0], functions=("bowl_loss", "gradient_step"), kind="wrong",
                                          problem="wrong values", diagnosis="a sign slip", details="d", output="o")
    result.import_error, result.grader_error, result.execution_time = "SyntaxError", "e", 0.25
    assert result.plain() == dataclasses.asdict(result)
    assert result_from_dict(result.plain(), EX) == result


def test_result_parser_refuses_anything_but_a_result():
    good = dataclasses.asdict(_result())
    assert result_from_dict(good, EX).score == _result().score
    bad = [
        None, [], {"tests": "x"}, {**good, "seed": "5"}, {**good, "exercise": 2},
        {**good, "tests": [{**good["tests"][0], "score": 99.0}, *good["tests"][1:]]},
        {**good, "tests": good["tests"][1:]},
        {**good, "tests": [{**good["tests"][0], "score": float("nan")}, *good["tests"][1:]]},
        {**good, "tests": [{**good["tests"][0], "output": 5}, *good["tests"][1:]]},
    ]
    for data in bad:
        with pytest.raises(BadResult):
            result_from_dict(data, EX)


def test_task_parser_refuses_bad_frames():
    good = {"id": 1, "nonce": "n", "exercise": EX.name, "seed": 3, "limits": {"call_timeout": 1.0},
            "main": EX.file, "files": {EX.file: base64.b64encode(b"x = 1\n").decode()}}
    assert parse_task(json.dumps(good).encode())["files"] == {EX.file: b"x = 1\n"}
    for change in ({"files": {"../evil.py": "eA=="}}, {"files": {".hidden.py": "eA=="}}, {"main": "other.py"},
                   {"id": "1"}, {"files": {EX.file: "not base64!"}}, {"limits": {"call_timeout": "1"}},
                   {"files": {"a.sh": "eA=="}, "main": "a.sh"}):
        with pytest.raises((TaskError, ValueError)):
            parse_task(json.dumps({**good, **change}).encode())
    with pytest.raises(ValueError):
        parse_task(b"\x80 not json")


def test_damaged_store_is_moved_aside(tmp_path):
    store = Store(tmp_path)
    store.save("s", EX.name, "k", _result())
    assert store.load("s", EX, "k") is not None and store.load("s", EX, "other") is None
    store.close()
    (tmp_path / ".grade-batch" / "store.sqlite3").write_bytes(b"this is not a database" * 100)
    for extra in ("-wal", "-shm"):
        (tmp_path / ".grade-batch" / f"store.sqlite3{extra}").unlink(missing_ok=True)
    fresh = Store(tmp_path)
    assert fresh.load("s", EX, "k") is None
    assert (tmp_path / ".grade-batch" / "store.sqlite3.damaged").exists()
    fresh.close()


@pytest.mark.parametrize(("output", "note"), [
    ("call: f(1)\ngradient_step() did not return within 5 s (an infinite loop?)", "timed out in gradient_step"),
    ("Your file could not be imported, so none of its tests can run:\nSyntaxError: invalid syntax (x.py, line 12)",
     "did not import: SyntaxError line 12"),
    ("Your file could not be imported, so none of its tests can run:\nTimeout: importing x.py took longer than 20 s",
     "did not import: timed out"),
    ("call: bowl_loss(point=[1, 2])\nbowl_loss raised MemoryError: ", "crashed (memory limit) in bowl_loss"),
    ("call: g(1)\nyour code's process was killed by signal SIGSEGV (a crash, or the memory limit) while running g()",
     "crashed (memory limit) in g"),
    ("call: g(1)\nyour code's process was killed by signal SIGABRT while running g()", "crashed (SIGABRT) in g"),
    ("expected: 1\ngot: 2\nlikely mistake: a sign error", ""),
])
def test_notes_read_the_feedback(output, note):
    result = _result(0.0)
    result.tests[0].output = output
    assert explain(result)[0] == note


def _task(number: int, source: str, budget: float = 120, limits: Limits | None = None) -> Task:
    payload = {"id": number, "nonce": f"n{number}", "exercise": EX.name, "seed": 3,
               "limits": dataclasses.asdict(limits or Limits()), "main": EX.file,
               "files": {EX.file: base64.b64encode(source.encode()).decode()}}
    return Task(payload=payload, budget=budget, tag=number)


def _assert_only_live_scratch(pool: WorkerPool) -> None:
    """What killed grading processes left (the submission's copy, the student's folder) went with them."""
    assert {p.name for p in pool._scratch.iterdir()} == {w.scratch.name for w in pool._workers}
    deadline = time.monotonic() + 10  # an idle worker's last student folder is removed by its keeper, soon
    while any(any(w.scratch.iterdir()) for w in pool._workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [list(w.scratch.iterdir()) for w in pool._workers if any(w.scratch.iterdir())]


def test_watchdog_stops_a_submission_past_its_budget_and_the_pool_goes_on():
    hang_forever = reference_source(EX.file) + "\n\ndef bowl_loss(point):\n    while True:\n        pass\n"
    patient = Limits(call_timeout=600, time_floor=600)  # calls would not end: the budget must
    tasks = [_task(0, hang_forever, budget=4, limits=patient), _task(1, reference_source(EX.file))]
    started = time.monotonic()
    with WorkerPool(1) as pool:
        outcomes = {o.task.tag: o for o in pool.run(tasks)}
        _assert_only_live_scratch(pool)
    assert not pool._scratch.exists()
    assert outcomes[0].over_budget and "budget of 4 s" in outcomes[0].error
    assert outcomes[1].result is not None and sum(t["score"] for t in outcomes[1].result["tests"]) == EX.max_score
    assert time.monotonic() - started < 120


@pytest.mark.parametrize("sig", [signal.SIGSTOP, signal.SIGKILL])
def test_a_stopped_or_killed_worker_costs_only_its_job(sig):
    """The test itself stops/kills the worker mid-job (every attempt): that job fails, the next one is graded."""
    slow = reference_source(EX.file) + "\nimport time\ntime.sleep(3)\n"
    tasks = [_task(0, slow), _task(1, reference_source(EX.file))]
    hit: set[int] = set()

    with WorkerPool(1) as pool:
        def meddle() -> bool:
            for worker in pool._workers:
                if worker.task is not None and worker.task.tag == 0 and worker.ready and worker.proc.pid not in hit \
                        and time.monotonic() - worker.task_started > 0.5:
                    hit.add(worker.proc.pid)
                    os.kill(worker.proc.pid, sig)
            return False

        outcomes = {o.task.tag: o for o in pool.run(tasks, stop=meddle)}
        assert pool.replaced >= 2  # the job was retried once in a fresh worker, then reported
        _assert_only_live_scratch(pool)
    assert outcomes[0].result is None
    assert ("stopped" if sig == signal.SIGSTOP else "killed by SIGKILL") in outcomes[0].error
    assert outcomes[1].result is not None and sum(t["score"] for t in outcomes[1].result["tests"]) == EX.max_score


def test_a_task_sent_ahead_to_a_worker_that_dies_is_graded_elsewhere_uncounted():
    """A worker holds the task after its current one in its pipe; killed, it loses neither."""
    slow = reference_source(EX.file) + "\nimport time\ntime.sleep(2)\n"
    tasks = [_task(0, slow), *(_task(i, reference_source(EX.file)) for i in range(1, 5))]
    hit: list[tuple[int, int]] = []

    with WorkerPool(1) as pool:
        def meddle() -> bool:
            for worker in pool._workers:
                if not hit and worker.task is not None and worker.task.tag == 0 and worker.next is not None \
                        and time.monotonic() - worker.task_started > 0.5:
                    hit.append((worker.proc.pid, worker.next.tag))
                    os.kill(worker.proc.pid, signal.SIGKILL)
            return False

        outcomes = {o.task.tag: o for o in pool.run(tasks, stop=meddle)}
        _assert_only_live_scratch(pool)
    assert hit, "the worker never had a task sent ahead"
    ahead = hit[0][1]
    assert sorted(outcomes) == [0, 1, 2, 3, 4]
    assert all(o.result is not None and sum(t["score"] for t in o.result["tests"]) == EX.max_score
               for o in outcomes.values()), {k: o.error for k, o in outcomes.items()}
    assert outcomes[0].task.attempts == 2  # the one it was grading: retried once
    assert outcomes[ahead].task.attempts == 1  # the one waiting in its pipe never started: not counted


def test_json_summary(tmp_path):
    from helpers import run_grade

    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / EX.file).write_text(reference_source(EX.file))
    (tmp_path / "subs" / "bob").mkdir()
    proc = run_grade("batch", "--unsafe-no-sandbox", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                     "-e", EX.name, "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["students"] == 2 and data["graded"] == 1 and data["not_submitted"] == 1 and data["failed"] == 0
    assert data["notes"] == {"not submitted": 1} and data["exercises"] == [EX.name]


def test_pending_results_wait_in_the_store_not_in_memory(tmp_path):
    """Largest-first order scatters a student's exercises: until the last one is in, the writer holds
    store keys, not results, so the coordinator's memory does not grow with the class."""
    from grader.batch import Graded, _Outputs, plan

    ex2 = resolve("exercise2")
    subs = tmp_path / "subs"
    for student in ("ann", "bob"):
        (subs / student).mkdir(parents=True)
        for exercise in (EX, ex2):
            (subs / student / exercise.file).write_text(reference_source(exercise.file), encoding="utf-8")
    planned = plan(subs, [EX, ex2], seed=5, limits=Limits())
    out = tmp_path / "out"
    out.mkdir()
    store = Store(out)
    writer = _Outputs(out, planned, store)
    entries = {(e.student, e.exercise.name): e for e in planned.entries}
    for n, (student, exercise) in enumerate([("ann", EX), ("bob", EX), ("bob", ex2), ("ann", ex2)]):
        result = _result(float(n))
        result.exercise, result.slug, result.title = exercise.number, exercise.slug, exercise.title
        result.tests = [_Test(name=f"t{i}", score=0.0, max_score=float(p), test_id=t, number=f"{exercise.number}.{i}")
                        for i, (t, p) in enumerate(exercise.points.items(), 1)]
        store.save(student, exercise.name, f"key{n}", result)
        writer.record(entries[(student, exercise.name)], Graded(student, exercise.name, result, stored_key=f"key{n}"))
        pending = writer.per_student.get("ann", {})
        assert all(isinstance(held, str) for held in pending.values())
    assert writer.per_student == {}
    for student in ("ann", "bob"):
        data = json.loads((out / writer.folders[student] / "results.json").read_text())
        assert [e["exercise"] for e in data["extra_data"]["exercises"]] == [1, 2]
    store.close()


def test_an_interrupted_batch_writes_what_a_student_has_from_the_store(tmp_path):
    """Ctrl-C between a student's two exercises: their results.json holds the one that is in."""
    from grader.batch import BatchReport, Graded, _Outputs, plan

    ex2 = resolve("exercise2")
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    for exercise in (EX, ex2):
        (subs / "ann" / exercise.file).write_text(reference_source(exercise.file), encoding="utf-8")
    planned = plan(subs, [EX, ex2], seed=5, limits=Limits())
    out = tmp_path / "out"
    out.mkdir()
    store = Store(out)
    writer = _Outputs(out, planned, store)
    entry = next(e for e in planned.entries if e.exercise == EX)
    result = _result(1.0)
    store.save("ann", EX.name, "key0", result)
    writer.record(entry, Graded("ann", EX.name, result, stored_key="key0"))
    assert writer.per_student == {"ann": {EX.name: "key0"}}  # waiting for exercise 2, as a store key
    writer.flush(BatchReport(students=["ann"], exercises=[EX, ex2], interrupted=True))
    data = json.loads((out / writer.folders["ann"] / "results.json").read_text())
    assert [e["exercise"] for e in data["extra_data"]["exercises"]] == [1]
    assert data["score"] == result.score > 0
    store.close()


def test_results_are_flushed_to_disk_once_per_gradebook_and_before_it(tmp_path, monkeypatch):
    """No fsync per student's results.json; one filesystem sync before each gradebook that counts them."""
    import grader.batch as batch
    from grader.batch import Graded, _Outputs, plan

    subs = tmp_path / "subs"
    for student in ("ann", "bob", "cy"):
        (subs / student).mkdir(parents=True)
        (subs / student / EX.file).write_text(reference_source(EX.file), encoding="utf-8")
    planned = plan(subs, [EX], seed=5, limits=Limits())
    out = tmp_path / "out"
    out.mkdir()
    store = Store(out)
    events: list[str] = []
    real_fsync, real_sync = os.fsync, batch.sync_filesystem
    monkeypatch.setattr(batch.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(batch, "sync_filesystem", lambda folder: (events.append(f"sync {folder.name}"),
                                                                  real_sync(folder))[1])
    writer = _Outputs(out, planned, store)
    events.clear()  # students.csv: written durably once, at the start
    for entry in planned.entries:
        writer.record(entry, Graded(entry.student, EX.name, _result(1.0)))
    assert events == []  # three results.json on disk, none forced out yet
    assert all((out / writer.folders[s] / "results.json").is_file() for s in ("ann", "bob", "cy"))
    writer.flush(None)
    assert events == ["sync out", "fsync"]  # the results first, then the gradebook itself
    events.clear()
    writer.flush(None)
    assert events == ["fsync"]  # nothing new to sync
    store.close()


def test_a_coordinator_that_dies_without_closing_its_pool_leaves_nothing_once_the_next_pool_starts(tmp_path):
    """A killed coordinator cannot clean up; the next pool of this user removes what it left."""
    coordinator = f"""
import os, sys
sys.path.insert(0, {str(REPO)!r})
sys.path.insert(0, {str(REPO / "tests")!r})
from test_batch_units import _task, reference_source, EX
from grader.instructor.pool import WorkerPool
pool = WorkerPool(1)
[outcome] = pool.run([_task(0, reference_source(EX.file))])
assert outcome.result is not None, outcome.error
if sys.argv[1] == "die":
    os._exit(0)  # no close(): the grading process dies with us (PR_SET_PDEATHSIG)
pool.close()
"""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    subprocess.run([sys.executable, "-c", coordinator, "die"], env=env, check=True, timeout=120)
    assert [p.name for p in scratch.iterdir() if p.name.startswith("grade-pool-")]  # what it could not remove
    subprocess.run([sys.executable, "-c", coordinator, "close"], env=env, check=True, timeout=120)
    assert not [p for p in scratch.iterdir() if p.name.startswith("grade-")]


def test_the_sweep_leaves_a_living_coordinators_folder_alone(tmp_path):
    mine = tmp_path / f"grade-pool-{os.getpid()}-abc"
    gone = tmp_path / "grade-pool-999999999-abc"  # beyond pid_max: no such process
    other = tmp_path / "grade-pool-notes"
    for folder in (mine, gone, other):
        (folder / "job-x").mkdir(parents=True)
    assert sweep_scratch_folders(str(tmp_path)) == 1
    assert mine.is_dir() and other.is_dir() and not gone.exists()


def test_a_grading_process_log_is_readable_but_has_no_name():
    log = _anonymous_log()
    try:
        os.write(log, b"x" * 5000 + b"\nTraceback: the end")
        assert _Worker(proc=None, req_w=-1, resp_r=-1, log=log, scratch=Path()).log_tail(18) == "Traceback: the end"
        assert os.readlink(f"/proc/self/fd/{log}").endswith("(deleted)")
    finally:
        os.close(log)


def test_the_grader_fingerprint_follows_imports_at_any_depth(tmp_path):
    """Lazy imports count: inside functions, classes, branches, handlers, with and match blocks."""
    source = tmp_path / "module.py"
    source.write_text('''
import grader.a, os
from grader import b
from .relative import nothing
def f():
    from grader.c import d
    class K:
        def g(self):
            try:
                import grader.e
            except ImportError:
                import grader.f
            else:
                import grader.g
            finally:
                import grader.h
with open("x") as fh:
    if fh:
        import grader.i
    else:
        while True:
            import grader.j
match 1:
    case 1:
        import grader.k
text = "import grader.not_an_import"
lam = lambda: __import__("grader.dynamic")  # not an import statement: out of reach of any parser
''')
    found = set(_grader_imports(source, source.stat().st_mtime_ns))
    assert found == {"grader.a", "grader", "grader.b", "grader.c", "grader.c.d", "grader.e", "grader.f",
                     "grader.g", "grader.h", "grader.i", "grader.j", "grader.k"}
