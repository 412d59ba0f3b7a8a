"""`grade batch` against a hostile class: links, odd names, broken files, attacks on the pool.

Attackers are graded first (their names sort first and the class runs on one
worker), honest classmates after; every honest classmate's score and feedback
must equal a solo grading of the same file with the same seed.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import pytest
from helpers import REPO, mutate, reference_source, run_grade

from grader.catalog import resolve
from grader.results import redact
from grader.runner import grade_file
from grader.stubs import stub_source

EX = resolve("exercise1")
SEED = 31
UNSAFE = "--unsafe-no-sandbox"  # detect() reports no filesystem layer on this branch
WRONG = ("return params - learning_rate", "return params + learning_rate")

# At import: write forged "full marks" answers onto the pool worker's answer pipe, for every likely job id.
FORGE = r'''
def _forge():
    import json, os, struct
    try:
        parent = os.getppid()
        argv = open(f"/proc/{parent}/cmdline", "rb").read().split(b"\0")
        fd = os.open(f"/proc/{parent}/fd/{int(argv[6])}", os.O_WRONLY)
    except Exception:
        return
    tests = [{"name": "x", "score": 100.0, "max_score": 100.0, "output": "", "number": "1.1",
              "test_id": "t", "visibility": "visible"}]
    for job in range(40):
        fake = {"type": "result", "id": job, "nonce": "", "result": {"exercise": 1, "slug": "s", "title": "t",
                "seed": 0, "tests": tests, "execution_time": 0.0, "grader_error": ""}}
        raw = json.dumps(fake).encode()
        os.write(fd, struct.pack("<Q", len(raw)) + raw)
_forge()
'''
STOP_PARENT = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n"
KILL_PARENT = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
DAEMON_MARK = "987.25"  # a sleep only this test's daemon runs
DAEMON = ("import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
          f"        os.execvp('sleep', ['sleep', '{DAEMON_MARK}'])\n    os._exit(0)\n")
FLOOD = "import sys\nfor _ in range(20000):\n    print('x' * 1000)\n"


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _book(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def _solo(path: Path, tmp: Path) -> list[tuple[float, str]]:
    copy = _write(tmp / "solo" / path.parent.name / EX.file, path.read_bytes())
    result = redact(grade_file(EX, copy, seed=SEED), "summary")  # what a batch shows students by default
    return [(t.score, t.output) for t in result.tests]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    subs = root / "subs"
    reference = reference_source(EX.file)
    honest = {
        "alice": reference,
        "bob": mutate(reference, *WRONG),
        "carol": stub_source(EX.file),
        "Zoë 名前": reference,
        "=1+1": mutate(reference, *WRONG),
        "-rf": reference,
        "gradebook.csv": reference,
        "report.html": stub_source(EX.file),
        "Alice": mutate(reference, *WRONG),  # differs from alice only in case
        "x..y": reference,
    }
    for name, text in honest.items():
        _write(subs / name / EX.file, text)
    attackers = {
        "a0-forge": stub_source(EX.file) + "\n" + FORGE,  # any point it gets is unearned
        "a1-stop": reference + "\n" + STOP_PARENT,
        "a2-kill": reference + "\n" + KILL_PARENT,
        "a3-daemon": reference + "\n" + DAEMON,
        "a4-flood": reference + "\n" + FLOOD,
    }
    for name, text in attackers.items():
        _write(subs / name / EX.file, text)
    (subs / "a5-link-classmate").mkdir()
    os.symlink(subs / "alice" / EX.file, subs / "a5-link-classmate" / EX.file)
    (subs / "a6-link-solutions" / "exercises").mkdir(parents=True)
    os.symlink(REPO / "solutions" / EX.file, subs / "a6-link-solutions" / "exercises" / EX.file)
    os.symlink(REPO / "solutions", subs / "a7-folder-link")
    (subs / "a8-dir-link").mkdir()
    os.symlink(REPO / "solutions", subs / "a8-dir-link" / "exercises")
    _write(subs / "a9-hardlink-solution-copy" / "keep.py", reference)
    os.link(subs / "a9-hardlink-solution-copy" / "keep.py", subs / "a9-hardlink-solution-copy" / EX.file)
    _write(subs / "b0-huge" / EX.file, reference + "#" * 1_200_000)
    _write(subs / "b1-bad-notebook" / EX.name / f"{EX.name}.ipynb", "{not json")
    _write(subs / "b2-odd-notebook" / f"{EX.name}.ipynb", json.dumps({"cells": 5}))
    (subs / "b3-fifo").mkdir()
    os.mkfifo(subs / "b3-fifo" / EX.file)
    started = time.monotonic()
    proc = run_grade("batch", UNSAFE, str(subs), "--out", str(root / "out"), "-e", EX.name, "--seed", str(SEED),
                     "--timeout", "2", "--budget", "60", "--jobs", "1", timeout=600)
    return {"root": root, "subs": subs, "proc": proc, "honest": honest, "seconds": time.monotonic() - started}


def test_honest_classmates_score_as_if_graded_alone(hostile, tmp_path):
    proc = hostile["proc"]
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    out = hostile["root"] / "out"
    book = _book(out)
    folders = {row["student"]: row["folder"] for row in csv.DictReader((out / "students.csv").open())}
    for name in hostile["honest"]:
        cell = "'" + name if name.startswith(("=", "-")) else name  # CSV-injection escape
        row = book[cell]
        solo = _solo(hostile["subs"] / name / EX.file, tmp_path / folders[cell])
        assert float(row[EX.name]) == sum(s for s, _ in solo), name
        results = json.loads((out / folders[cell] / "results.json").read_text())
        assert [(t["score"], t["output"]) for t in results["tests"]] == solo, name
    assert hostile["seconds"] < 400


def test_attackers_earn_nothing_and_cost_only_themselves(hostile):
    book = _book(hostile["root"] / "out")
    for name in ("a0-forge", "a5-link-classmate", "a6-link-solutions", "a7-folder-link",
                 "a8-dir-link", "a9-hardlink-solution-copy", "b0-huge", "b1-bad-notebook", "b2-odd-notebook",
                 "b3-fifo"):
        assert book[name][EX.name] in ("", "0"), (name, book[name])
    notes = {name: book[name]["notes"] for name in book}
    assert "symbolic link" in notes["a5-link-classmate"] and "symbolic link" in notes["a6-link-solutions"]
    assert "symbolic link" in notes["a7-folder-link"]
    assert "not submitted" in notes["a8-dir-link"]  # a linked folder is never entered
    assert "hard link" in notes["a9-hardlink-solution-copy"]
    assert "larger than" in notes["b0-huge"]
    assert "not a valid notebook" in notes["b1-bad-notebook"] and "not a valid notebook" in notes["b2-odd-notebook"]
    assert "not a regular file" in notes["b3-fifo"]
    # The signal to "the parent" reaches nobody: in its own PID namespace the worker's parent is
    # outside it (getppid() is 0, and kill(0) is the worker's own process group, of which pid 1 ignores
    # it), so the reference it carries is graded as such; where the signal reaches the keeper it is
    # refused (the import fails); without a sandbox the pool's watchdog sees a stopped or killed
    # grading process. Whichever, only the attacker pays (the classmates' test above).
    for name, said in (("a1-stop", "stopped"), ("a2-kill", "killed by SIGKILL")):
        score, note = book[name][EX.name], notes[name]
        assert score == f"{EX.max_score:g}" or (score in ("", "0") and (said in note or "did not import" in note)), \
            (name, book[name])
    # the daemon and the flood harm nobody: they are graded like the reference they carry
    assert float(book["a3-daemon"][EX.name]) == float(book["a4-flood"][EX.name]) == EX.max_score


def test_names_are_sanitised_and_mapped(hostile):
    out = hostile["root"] / "out"
    rows = list(csv.DictReader((out / "students.csv").open(encoding="utf-8")))
    folders = [r["folder"] for r in rows]
    assert len({f.lower() for f in folders}) == len(folders)  # unique even on a case-insensitive disk
    for folder in folders:
        assert folder and not folder.startswith((".", "-")) and "/" not in folder and folder != ".."
        assert folder not in ("gradebook.csv", "report.html", "students.csv", "report.json")
        assert (out / folder).resolve().parent == out.resolve()
    assert (out / "gradebook.csv").is_file() and (out / "report.html").is_file()
    assert {r["student"] for r in rows} >= {"'=1+1", "'-rf", "gradebook.csv", "Zoë 名前", "Alice", "alice"}
    with (out / "gradebook.csv").open(encoding="utf-8") as fh:
        for line in fh:
            assert not line.startswith(("=", "+", "-", "@"))


def test_no_process_of_the_batch_outlives_it(hostile):
    """The daemon (setsid + double fork, so out of every process group) was killed with the rest."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                argv = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            assert DAEMON_MARK.encode() not in argv, f"the student's daemon {entry.name} outlived the batch"
