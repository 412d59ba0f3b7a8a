"""`grade batch` for a cohort: notes under load, Ctrl-C and resume, per-file caching, course-secret seeds,
the class report (ranked misconceptions, checked in a headless browser) and a Dask cluster."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from helpers import REPO, mutate, reference_source, run_grade

from grader.catalog import resolve
from grader.stubs import stub_source

EX = resolve("exercise1")
EX2 = resolve("exercise2")
UNSAFE = "--unsafe-no-sandbox"  # detect() reports no filesystem layer on this branch
REFERENCE = reference_source(EX.file)
SNIPPETS = REPO / "tests" / "submissions" / "instructor"
HANGS = REFERENCE + (SNIPPETS / "exercise1_hangs.py").read_text()
CRASHES = REFERENCE + (SNIPPETS / "exercise1_crashes.py").read_text()
IMPORT_HANGS = REFERENCE + "\nwhile True:\n    pass\n"
SYNTAX = REFERENCE.replace("def bowl_loss(", "def bowl_loss(:", 1)
MEMORY = REFERENCE + '''

def bowl_loss(point):
    """Asks for far more memory than the limit allows."""
    return len(bytearray(10**11))
'''
ADDS_STEP = mutate(REFERENCE, "return params - learning_rate", "return params + learning_rate")
NO_FACTOR_2 = mutate(REFERENCE, "return 2.0 * np.asarray(point, dtype=float)", "return np.asarray(point, dtype=float)")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _book(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def _class(root: Path, members: dict[str, str], exercise_file: str = EX.file) -> Path:
    for name, text in members.items():
        _write(root / name / exercise_file, text)
    return root


def _burners(n: int = 2) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def test_notes_explain_each_score_and_load_times_out_no_correct_submission(tmp_path):
    """Hanging, import-hanging, crashing, non-importing, memory-hungry and correct submissions, graded with the
    default limits while two CPU-burning processes run beside the batch."""
    members = {"hang": HANGS, "imphang": IMPORT_HANGS, "crash": CRASHES, "syntax": SYNTAX, "memory": MEMORY,
               **{f"ok{i}": REFERENCE for i in range(6)}}
    subs = _class(tmp_path / "subs", members)
    (tmp_path / "subs" / "absent").mkdir()
    burners = _burners()
    try:
        proc = run_grade("batch", UNSAFE, str(subs), "--out", str(tmp_path / "out"), "-e", EX.name,
                         "--jobs", "2", timeout=600)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert proc.returncode == 0, proc.stderr
    book = _book(tmp_path / "out")
    for i in range(6):
        assert float(book[f"ok{i}"][EX.name]) == EX.max_score and book[f"ok{i}"]["notes"] == ""
    assert book["hang"]["notes"] == "exercise1: timed out in gradient_step"
    assert book["imphang"]["notes"] == "exercise1: did not import: timed out"
    assert book["crash"]["notes"] == "exercise1: exited (code 3) in bowl_gradient"
    line = next(i for i, t in enumerate(SYNTAX.splitlines(), 1) if "def bowl_loss(:" in t)
    assert book["syntax"]["notes"] == f"exercise1: did not import: SyntaxError line {line}"
    assert book["memory"]["notes"] == "exercise1: crashed (memory limit) in bowl_loss"
    assert book["absent"]["notes"] == "exercise1: not submitted"
    assert "Notes: 1 not submitted, 2 did not import, 1 timed out, 2 crashed." in proc.stdout


def _marked_processes(mark: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if mark.encode() in Path(f"/proc/{entry.name}/environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("executor", [[], ["--scheduler", "local"]], ids=["pool", "dask-local"])
def test_ctrl_c_stops_fast_keeps_what_is_graded_and_resumes(tmp_path, executor):
    if executor:
        pytest.importorskip("distributed")
    members = {f"s{i:02d}": (HANGS if i % 2 else REFERENCE) for i in range(12)}
    subs = _class(tmp_path / "subs", members)
    out = tmp_path / "out"
    mark = f"GRADE_TEST_MARK={uuid.uuid4().hex}"
    env = {**os.environ, "NO_COLOR": "1", mark.split("=")[0]: mark.split("=")[1]}
    args = [sys.executable, "-m", "grader.cli", "batch", UNSAFE, str(subs), "--out", str(out), "-e", EX.name,
            "--timeout", "2", "--jobs", "2", *executor]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    store = out / ".grade-batch" / "store.sqlite3"
    deadline = time.monotonic() + 240
    graded = 0
    while time.monotonic() < deadline and graded < 2:
        time.sleep(0.3)
        if store.exists():
            try:
                with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
                    graded = db.execute("SELECT count(*) FROM results").fetchone()[0]
            except sqlite3.Error:
                continue
    assert graded >= 2 and proc.poll() is None, "the batch finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # a second Ctrl-C: no hang, no traceback
    _, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 130, stderr
    assert took < 5.0, f"took {took:.1f} s to stop"  # 2 s asked; margin for a loaded machine
    assert "Traceback" not in stderr and "resume" in stderr
    time.sleep(1.0)
    assert _marked_processes(mark) == [], "a grading process outlived Ctrl-C"
    book = _book(out)
    kept = [s for s in members if book[s][EX.name] != ""]
    assert len(kept) >= graded
    assert any("not graded yet" in book[s]["notes"] for s in members)
    if executor:
        return  # resuming is the store's business, the same after either executor: tested once, below

    again = run_grade("batch", UNSAFE, str(subs), "--out", str(out), "-e", EX.name, "--timeout", "2",
                      "--jobs", "2", timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"unchanged {len(kept)}" in again.stdout
    book = _book(out)
    assert all(book[s][EX.name] != "" for s in members)
    assert all(float(book[s][EX.name]) == EX.max_score for s in members if members[s] == REFERENCE)


def test_a_changed_file_regrades_only_its_exercise(tmp_path):
    ex2_ref = reference_source(EX2.file)
    subs = tmp_path / "subs"
    _write(subs / "ann" / EX.file, REFERENCE)
    _write(subs / "ann" / EX2.file, ex2_ref)
    _write(subs / "ben" / EX.file, REFERENCE.replace("import numpy as np", "import numpy as np\nimport helper", 1))
    _write(subs / "ben" / "helper.py", "X = 1\n")
    _write(subs / "ben" / EX2.file, ex2_ref)
    args = ["batch", UNSAFE, str(subs), "--out", str(tmp_path / "out"), "-e", EX.name, "-e", EX2.name]
    first = run_grade(*args, timeout=600)
    assert first.returncode == 0 and "graded 4, unchanged 0" in first.stdout, first.stdout + first.stderr
    _write(subs / "ann" / EX.file, ADDS_STEP)  # ann edits exercise 1 only
    second = run_grade(*args, timeout=600)
    assert "graded 1, unchanged 3" in second.stdout, second.stdout
    _write(subs / "ben" / "helper.py", "X = 2\n")  # ben's exercise-1 file imports helper.py
    third = run_grade(*args, timeout=600)
    assert "graded 1, unchanged 3" in third.stdout, third.stdout
    book = _book(tmp_path / "out")
    assert float(book["ann"][EX.name]) < EX.max_score and float(book["ben"][EX.name]) == EX.max_score


def test_course_secret_gives_each_student_their_own_seed(tmp_path):
    from grader.instructor.course_secret import create_secret, load_secret, student_seed
    from grader.runner import grade_file

    course = tmp_path / "course"
    secret = create_secret(course)
    subs = _class(course / "submissions", {"s1": ADDS_STEP, "s2": ADDS_STEP})
    # full feedback: each student's outputs then quote their own hidden inputs
    proc = run_grade("batch", UNSAFE, str(subs), "--out", str(tmp_path / "out"), "-e", EX.name,
                     "--hidden-feedback", "full", timeout=600)
    assert proc.returncode == 0 and "per-student seeds from the course secret" in proc.stderr, proc.stderr
    outputs = {}
    for student in ("s1", "s2"):
        results = json.loads((tmp_path / "out" / student / "results.json").read_text())
        assert "seed" not in json.dumps(results["extra_data"])
        alone = grade_file(EX, subs / student / EX.file, seed=student_seed(load_secret(secret), student, EX.name))
        assert [(t["score"], t["output"]) for t in results["tests"]] == [(t.score, t.output) for t in alone.tests]
        outputs[student] = [t["output"] for t in results["tests"]]
    assert outputs["s1"] != outputs["s2"]
    fixed = run_grade("batch", UNSAFE, str(subs), "--out", str(tmp_path / "out2"), "-e", EX.name, "--seed", "5",
                      timeout=600)
    assert "seed 5 for every student (--seed)" in fixed.stderr
    none = run_grade("batch", UNSAFE, str(_class(tmp_path / "bare", {"s1": REFERENCE})), "--out",
                     str(tmp_path / "out3"), "-e", EX.name, timeout=600)
    assert "seed 2024 for every student (no course secret found" in none.stderr


def test_refuses_without_filesystem_confinement(tmp_path):
    subs = _class(tmp_path / "subs", {"s1": REFERENCE})
    proc = run_grade("batch", str(subs), "--out", str(tmp_path / "out"), "-e", EX.name,
                     env={"GRADE_SANDBOX_LAYERS": "none"})
    assert proc.returncode == 2 and "--unsafe-no-sandbox" in proc.stderr
    assert not (tmp_path / "out").exists()


# -- the class report ---------------------------------------------------------------------------

PLANTED = {"adds_step": 5, "no_factor_2": 3, "stub": 2, "correct": 2}


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    sources = {"adds_step": ADDS_STEP, "no_factor_2": NO_FACTOR_2, "stub": stub_source(EX.file),
               "correct": REFERENCE}
    members = {f"{kind}-{i}": sources[kind] for kind, n in PLANTED.items() for i in range(n)}
    subs = _class(root / "subs", members)
    (root / "subs" / "absent").mkdir()
    proc = run_grade("batch", UNSAFE, str(subs), "--out", str(root / "out"), "-e", EX.name, "--seed", "3",
                     timeout=600)
    assert proc.returncode == 0, proc.stderr
    return root / "out", members


def test_report_ranks_the_planted_misconceptions(reported):
    out, members = reported
    data = json.loads((out / "report.json").read_text())
    (ex,) = data["exercises"]
    assert ex["students"] == len(members) + 1 and ex["submitted"] == len(members)
    assert sum(b["count"] for b in ex["histogram"]) == len(members) + 1
    book = _book(out)
    for b in ex["histogram"]:
        assert b["count"] == sum(1 for row in book.values() if float(row[EX.name]) == b["score"])
    groups = {kind: {f"{kind}-{i}" for i in range(n)} for kind, n in PLANTED.items()}
    ranked = ex["misconceptions"]
    counts = [m["count"] for m in ranked]
    assert counts == sorted(counts, reverse=True)
    by_students = {frozenset(m["students"]): m for m in ranked}
    adds, factor = by_students[frozenset(groups["adds_step"])], by_students[frozenset(groups["no_factor_2"])]
    assert adds["count"] == 5 and factor["count"] == 3
    assert ranked.index(adds) < ranked.index(factor)
    assert ranked[0] is adds
    for m in ranked:  # nobody correct or untouched is said to have a misconception
        assert not set(m["students"]) & (groups["correct"] | groups["stub"])
    for test in ex["tests"]:
        assert test["graded"] == len(members)
        assert test["passed"] >= PLANTED["correct"]


def test_report_html_renders_offline_in_a_headless_browser(reported):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    out, _ = reported
    data = json.loads((out / "report.json").read_text())
    requests = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox",
                                                                         "--disable-gpu"])
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((out / "report.html").as_uri())
        assert page.title() == "What the class got wrong"
        assert page.locator("section#exercise1 svg.hist rect").count() == len(data["exercises"][0]["histogram"])
        rows = page.locator("section#exercise1 table.misconceptions tbody tr")
        assert rows.count() == len(data["exercises"][0]["misconceptions"])
        first = data["exercises"][0]["misconceptions"][0]
        assert rows.first.locator("td").first.inner_text() == str(first["count"])
        assert first["misconception"] in rows.first.inner_text()
        assert page.locator("svg.hist").first.bounding_box()["width"] > 100
        browser.close()
    assert errors == []
    assert all(url.startswith("file://") for url in requests)  # offline: nothing fetched from anywhere


# -- Dask ---------------------------------------------------------------------------------------

@pytest.fixture
def dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    for _ in range(2):
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                       str(scheduler_file), "--nthreads", "1", "--no-dashboard",
                                       "--host", "127.0.0.1"],
                                      env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    address = json.loads(scheduler_file.read_text())["address"]
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    yield address
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_dask_cluster_grades_like_the_local_pool(tmp_path, dask_cluster):
    members = {"a": REFERENCE, "b": ADDS_STEP, "c": CRASHES, "d": stub_source(EX.file), "e": NO_FACTOR_2,
               "f": SYNTAX}
    subs = _class(tmp_path / "subs", members)
    common = [UNSAFE, str(subs), "-e", EX.name, "--seed", "11", "--timeout", "2"]
    local = run_grade("batch", *common, "--out", str(tmp_path / "local"), timeout=600)
    remote = run_grade("batch", *common, "--out", str(tmp_path / "dask"), "--scheduler", dask_cluster,
                       timeout=600)
    assert local.returncode == remote.returncode == 0, local.stderr + remote.stderr
    assert (tmp_path / "local" / "gradebook.csv").read_bytes() == (tmp_path / "dask" / "gradebook.csv").read_bytes()
    for student in members:
        a = json.loads((tmp_path / "local" / student / "results.json").read_text())
        b = json.loads((tmp_path / "dask" / student / "results.json").read_text())
        a.pop("execution_time"), b.pop("execution_time")
        assert a == b, student
    assert json.loads((tmp_path / "local" / "report.json").read_text()) == \
        json.loads((tmp_path / "dask" / "report.json").read_text())


def test_scheduler_local_starts_its_own_cluster(tmp_path):
    pytest.importorskip("distributed")
    subs = _class(tmp_path / "subs", {"a": REFERENCE, "b": ADDS_STEP})
    proc = run_grade("batch", UNSAFE, str(subs), "--out", str(tmp_path / "out"), "-e", EX.name,
                     "--scheduler", "local", "--jobs", "2", timeout=600)
    assert proc.returncode == 0, proc.stderr
    book = _book(tmp_path / "out")
    assert float(book["a"][EX.name]) == EX.max_score and float(book["b"][EX.name]) < EX.max_score
