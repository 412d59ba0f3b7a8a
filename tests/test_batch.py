"""`grade batch`: a generated class graded in parallel, checked against `grade` itself."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import grade_json, make_workspace, mutate, reference_source, run_grade

from grader.batch import plan, run_batch
from grader.catalog import load_catalog, resolve
from grader.instructor.notebook_code import fill_solutions, notebook_module_source
from grader.instructor.notebooks import build_notebook
from grader.instructor.pool import Task, WorkerPool
from grader.sandbox.client import Limits
from grader.stubs import stub_source

EX = resolve("exercise1")
SEED = 99
TIMEOUT = "0.5"
SNIPPETS = Path(__file__).resolve().parent / "submissions" / "instructor"
WRONG = ("return params - learning_rate", "return params + learning_rate")
UNSAFE = "--unsafe-no-sandbox"  # detect() reports no filesystem layer on this branch; see test_batch_hostile


def _notebook_submission(source: str) -> str:
    """A submitted nbgrader notebook holding `source` in its solution cells."""
    return json.dumps(fill_solutions(build_notebook(EX, seed=SEED), source))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> dict[str, Path | None]:
    """One class in every supported shape; student -> the module `grade` should grade."""
    root = tmp_path_factory.mktemp("class")
    reference = reference_source(EX.file)
    wrong = mutate(reference, *WRONG)
    files = {
        "alice": ("alice/exercises", reference),  # a workspace
        "bob": ("bob", wrong),  # the bare file
        "carol": ("carol/deep/er", stub_source(EX.file)),  # nested, untouched stub
        "dave": ("dave", reference + (SNIPPETS / "exercise1_hangs.py").read_text()),
        "erin": ("erin", reference + (SNIPPETS / "exercise1_crashes.py").read_text()),
    }
    students: dict[str, Path | None] = {}
    for student, (folder, text) in files.items():
        students[student] = _write(root / "submissions" / folder / EX.file, text)
    # nbgrader's submitted/<student>/<assignment>/<notebook>.ipynb layout
    notebook = _write(root / "submissions" / "grace" / EX.name / f"{EX.name}.ipynb", _notebook_submission(wrong))
    students["grace"] = _write(root / "extracted" / EX.file, notebook_module_source(json.loads(notebook.read_text())))
    (root / "submissions" / "frank" / "notes").mkdir(parents=True)  # handed in nothing
    students["frank"] = None
    return {"root": root, **students}


@pytest.fixture(scope="module")
def batch_run(klass):
    root = klass["root"]
    # full feedback: the outputs are compared with `grade`'s, which shows inputs and values
    proc = run_grade("batch", UNSAFE, str(root / "submissions"), "--out", str(root / "out"), "-e", EX.name,
                     "--timeout", TIMEOUT, "--seed", str(SEED), "--jobs", "2", "--hidden-feedback", "full", timeout=240)
    return proc


def test_students_results_show_no_hidden_values_by_default(klass, tmp_path):
    out = tmp_path / "summary"
    proc = run_grade("batch", UNSAFE, str(klass["root"] / "submissions"), "--out", str(out), "-e", EX.name,
                     "--timeout", TIMEOUT, "--seed", str(SEED), "--jobs", "2", timeout=240)
    assert proc.returncode in (0, 1), proc.stderr
    failed = [t for f in out.iterdir() if (f / "results.json").is_file()
              for t in json.loads((f / "results.json").read_text())["tests"] if t["score"] < t["max_score"]]
    assert failed  # the class has wrong submissions
    for test in failed:
        if test["output"]:
            assert test["output"].startswith("checked: ") and "points:" in test["output"]
            assert "expected:" not in test["output"] and "call:" not in test["output"], test["output"]


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def test_class_is_graded_like_grade_does_one_by_one(klass, batch_run, tmp_path):
    """Every CSV score equals a separate `grade exercise1` run on the same code, seed and timeout."""
    assert batch_run.returncode == 0, batch_run.stderr
    book = _gradebook(klass["root"] / "out")
    assert list(book) == sorted(["alice", "bob", "carol", "dave", "erin", "frank", "grace"])
    for student, path in klass.items():
        if student == "root":
            continue
        row = book[student]
        if path is None:
            assert row[EX.name] == "0" and "not submitted" in row["notes"]
            continue
        ws = make_workspace(tmp_path / student, {EX.file: path.read_text()})
        _, alone = grade_json(ws, EX.name, "--timeout", TIMEOUT, seed=SEED)
        assert float(row[EX.name]) == alone["score"], student
        assert float(row["total"]) == alone["score"] and float(row["max_total"]) == EX.max_score
        results = json.loads((klass["root"] / "out" / student / "results.json").read_text())
        assert results["score"] == alone["score"]
        assert [t["score"] for t in results["tests"]] == [t["score"] for t in alone["tests"]]
        assert [t["output"] for t in results["tests"]] == [t["output"] for t in alone["tests"]]
    # The class spans the range, so the comparison above means something.
    scores = {s: float(book[s][EX.name]) for s in book}
    assert scores["alice"] == EX.max_score
    assert scores["carol"] == 0
    assert 0 < scores["bob"] < EX.max_score and scores["grace"] == scores["bob"]
    assert 0 < scores["dave"] < EX.max_score and 0 < scores["erin"] < EX.max_score


def test_hang_and_crash_are_explained_per_student(klass, batch_run):
    out = klass["root"] / "out"
    dave = json.loads((out / "dave" / "results.json").read_text())
    assert any("did not return within 0.5 s" in t["output"] for t in dave["tests"])
    erin = json.loads((out / "erin" / "results.json").read_text())
    assert any("exited with code 3" in t["output"] for t in erin["tests"])


def test_rerun_skips_unchanged_and_force_regrades(klass, batch_run, tmp_path):
    import shutil

    subs = tmp_path / "subs"
    shutil.copytree(klass["root"] / "submissions", subs)
    out = tmp_path / "out"
    shutil.copytree(klass["root"] / "out", out)  # the earlier run's cache, same grader and options
    args = ["batch", UNSAFE, str(subs), "--out", str(out), "-e", EX.name, "--timeout", TIMEOUT, "--seed", str(SEED)]
    again = run_grade(*args)
    assert again.returncode == 0, again.stderr
    assert "graded 0, unchanged 6" in again.stdout

    _write(subs / "bob" / EX.file, reference_source(EX.file))  # bob fixes his bug
    fixed = run_grade(*args)
    assert "graded 1, unchanged 5" in fixed.stdout
    assert float(_gradebook(out)["bob"][EX.name]) == EX.max_score

    other_seed = run_grade(*args[:-1], "7")  # a different seed is a different grading
    assert "graded 6, unchanged 0" in other_seed.stdout

    forced = run_grade(*args[:-1], "7", "--force")
    assert "graded 6, unchanged 0" in forced.stdout
    assert _gradebook(out)["bob"][EX.name] == str(EX.max_score)


def test_nbgrader_course_folder_is_read_from_submitted(tmp_path):
    course = tmp_path / "course"
    _write(course / "nbgrader_config.py", "c = get_config()\n")
    wrong = mutate(reference_source(EX.file), *WRONG)
    _write(course / "submitted" / "s1" / EX.name / f"{EX.name}.ipynb", _notebook_submission(wrong))
    _write(course / "submitted" / "s2" / EX.name / f"{EX.name}.ipynb",
           _notebook_submission(reference_source(EX.file)))
    _write(course / "source" / EX.name / "ignored.txt", "not a student")
    # As the course README says: from the course folder, the gradebook beside submitted/.
    proc = run_grade("batch", UNSAFE, str(course), "--out", str(course / "grades"), "-e", EX.name, "--seed", str(SEED))
    assert proc.returncode == 0, proc.stderr
    book = _gradebook(course / "grades")
    assert set(book) == {"s1", "s2"}
    assert float(book["s2"][EX.name]) == EX.max_score
    ws = make_workspace(tmp_path / "ws", {EX.file: wrong})
    _, alone = grade_json(ws, EX.name, seed=SEED)
    assert float(book["s1"][EX.name]) == alone["score"] < EX.max_score


def _task(number: int, source: str, seed: int = SEED, limits: Limits | None = None) -> Task:
    import base64
    import dataclasses

    payload = {"id": number, "nonce": f"n{number}", "exercise": EX.name, "seed": seed,
               "limits": dataclasses.asdict(limits or Limits()), "main": EX.file,
               "files": {EX.file: base64.b64encode(source.encode()).decode()}}
    return Task(payload=payload, budget=120, tag=number)


def test_repeated_grading_in_one_pool_worker_matches_fresh_processes(tmp_path):
    """A pool worker grades job after job: no state may leak between calls.

    One worker grades three submissions twice over, interleaved; every result
    must equal a fresh `grade` process's, test by test, feedback included.
    """
    sources = {
        "ref": reference_source(EX.file),
        "wrong": mutate(reference_source(EX.file), *WRONG),
        "stub": stub_source(EX.file),
    }
    fresh = {}
    for name, source in sources.items():
        ws = make_workspace(tmp_path / name, {EX.file: source})
        fresh[name] = grade_json(ws, EX.name, seed=SEED)[1]
    order = [*sources, *sources]
    with WorkerPool(1) as pool:
        outcomes = {o.task.tag: o for o in pool.run([_task(i, sources[n]) for i, n in enumerate(order)])}
        assert pool.replaced == 0
    for number, name in enumerate(order):
        result = outcomes[number].result
        assert result is not None, outcomes[number].error
        assert [t["score"] for t in result["tests"]] == [t["score"] for t in fresh[name]["tests"]]
        assert [t["output"] for t in result["tests"]] == [t["output"] for t in fresh[name]["tests"]]


def _tiny_class(root: Path, names: list[str]) -> Path:
    for name in names:
        _write(root / name / EX.file, reference_source(EX.file))
    return root


def test_a_failing_grader_costs_only_that_student(tmp_path):
    """A grader fault (here: a hidden test that is not in the catalog's points) is reported, the rest graded,
    exit code 1."""
    import dataclasses

    subs = _tiny_class(tmp_path / "subs", ["ann", "broken", "zoe"])
    planned = plan(subs, [EX], seed=SEED, limits=Limits())
    broken_exercise = dataclasses.replace(EX, points={**EX.points, "test_nonexistent": 1})
    for entry in planned.entries:
        if entry.student == "broken":
            entry.exercise = broken_exercise  # the coordinator expects a test the grader never runs
    planned.budgets[broken_exercise.name] = 120
    report = run_batch(planned, tmp_path / "out", jobs=2)
    failed = {g.student: g.error for g in report.failures}
    assert set(failed) == {"broken"}, failed
    book = _gradebook(tmp_path / "out")
    assert float(book["ann"][EX.name]) == float(book["zoe"][EX.name]) == EX.max_score
    assert book["broken"][EX.name] == "" and "grading failed" in book["broken"]["notes"]


def test_bad_usage_exits_2(tmp_path):
    assert run_grade("batch", UNSAFE, str(tmp_path / "nope"), "--out", str(tmp_path / "o")).returncode == 2
    subs = _tiny_class(tmp_path / "subs", ["ann"])
    inside = run_grade("batch", UNSAFE, str(subs), "--out", str(subs / "out"))
    assert inside.returncode == 2 and "must not be inside" in inside.stderr
    assert run_grade("batch", UNSAFE, str(subs), "--out", str(tmp_path / "o"), "-e", "exercise99").returncode == 2


def test_every_catalog_exercise_is_a_column(tmp_path):
    subs = _tiny_class(tmp_path / "subs", ["ann"])
    planned = plan(subs, list(load_catalog()), seed=SEED, limits=Limits())
    assert [j.exercise.name for j in planned.jobs] == [EX.name]  # only exercise 1 was handed in
    missing = {e.exercise.name for e in planned.entries if e.special == "not submitted"}
    assert missing == {e.name for e in load_catalog()} - {EX.name}
    header = ["student", *(e.name for e in load_catalog()), "total", "max_total", "notes"]
    report = run_batch(planned, tmp_path / "out", jobs=1)
    assert not report.failures
    with (tmp_path / "out" / "gradebook.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == header
    assert float(rows[1][-2]) == sum(e.max_score for e in load_catalog())
    assert rows[1][-1].count("not submitted") == len(load_catalog()) - 1
