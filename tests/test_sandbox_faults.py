"""`grade doctor`, the warning without confinement, and faults of the progress store.

A corrupt or foreign `.grade/progress.sqlite3` is moved aside and a fresh one
made; on a read-only workspace or a full disk the report still prints,
followed by one line saying the attempt was not recorded; `grade list` and
`grade progress` work read-only.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys

import pytest
from helpers import REPO, SOLUTIONS, make_workspace, run_grade

from grader.catalog import resolve
from grader.progress import ProgressStore

FILE = "exercise1_update_rule.py"
REF = (SOLUTIONS / FILE).read_text()
FULL = resolve("exercise1").max_score
LAYER_KEYS = {"filesystem", "network", "processes", "cleanup", "memory", "uid", "level"}


def _workspace(tmp_path):
    return make_workspace(tmp_path / "ws", {FILE: REF})


def _db(ws):
    return ws / ".grade" / "progress.sqlite3"


def test_doctor_reports_every_layer_and_exits_0():
    proc = run_grade("doctor")
    assert proc.returncode == 0, proc.stderr
    for label in ("files", "network", "signals/ptrace", "process cleanup", "memory", "worker user"):
        assert label in proc.stdout
    assert all(len(line) <= 80 for line in proc.stdout.splitlines())
    data = json.loads(run_grade("doctor", "--json").stdout)
    assert set(data) >= LAYER_KEYS
    assert data["level"] in {"full", "partial", "none"}


def test_doctor_and_results_json_agree_and_the_none_level_still_grades(tmp_path):
    ws = _workspace(tmp_path)
    for env in ({}, {"GRADE_SANDBOX_LAYERS": "landlock"}, {"GRADE_SANDBOX_LAYERS": "none"}):
        doctor = json.loads(run_grade("doctor", "--json", env=env).stdout)
        proc = run_grade("exercise1", "--json", "--no-record", "--path", str(ws), env=env)
        assert proc.returncode == 0, proc.stderr
        sandbox = json.loads(proc.stdout)["extra_data"]["sandbox"]
        assert sandbox == {k: doctor[k] for k in LAYER_KEYS}
        if env.get("GRADE_SANDBOX_LAYERS") == "none":
            assert sandbox["level"] == "none" and sandbox["filesystem"] is None
            assert "NOT confined" in run_grade("doctor", env=env).stdout
        if env.get("GRADE_SANDBOX_LAYERS") == "landlock":
            assert sandbox["level"] != "full"
            assert "namespace" not in str(sandbox["network"])


def test_no_confinement_warns_once_per_workspace_and_grades(tmp_path):
    ws = _workspace(tmp_path)
    env = {"GRADE_SANDBOX_LAYERS": "none"}
    first = run_grade("exercise1", "--no-record", "--path", str(ws), env=env)
    second = run_grade("exercise1", "--no-record", "--path", str(ws), env=env)
    assert first.returncode == second.returncode == 0
    warnings = [line for line in first.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "grade doctor" in warnings[0]
    assert "warning:" not in second.stderr
    assert f"Score: {FULL}/{FULL}" in second.stdout


def test_a_corrupt_store_is_moved_aside_and_a_fresh_one_used(tmp_path):
    ws = _workspace(tmp_path)
    _db(ws).parent.mkdir()
    _db(ws).write_bytes(b"this is not a database" * 100)
    listing = run_grade("list", "--path", str(ws))
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    proc = run_grade("exercise1", "--path", str(ws))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert f"Score: {FULL}/{FULL}" in proc.stdout
    aside = list(_db(ws).parent.glob("progress.sqlite3.broken-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    assert "moved it to" in listing.stderr + proc.stderr
    assert [a.score for a in ProgressStore(_db(ws)).attempts()] == [float(FULL)]


def test_a_foreign_database_is_moved_aside(tmp_path):
    ws = _workspace(tmp_path)
    _db(ws).parent.mkdir()
    conn = sqlite3.connect(_db(ws))
    conn.execute("CREATE TABLE attempts (id INTEGER PRIMARY KEY, payload BLOB)")
    conn.execute("INSERT INTO attempts (payload) VALUES (x'00')")
    conn.commit()
    conn.close()
    proc = run_grade("exercise1", "--path", str(ws))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "moved it to" in proc.stderr
    assert len(list(_db(ws).parent.glob("progress.sqlite3.broken-*"))) == 1
    assert [a.score for a in ProgressStore(_db(ws)).attempts()] == [float(FULL)]
    progress = run_grade("progress", "--path", str(ws))
    assert progress.returncode == 0 and "Traceback" not in progress.stderr


def _as_root_in_mount_namespace(script: str) -> list[str]:
    return ["unshare", "--mount", "--propagation", "private", "sh", "-euc", script]


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(_as_root_in_mount_namespace("mount -t tmpfs none /mnt"), capture_output=True).returncode == 0


def _grade_cmd(*args: str) -> str:
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "grader.cli", *args))


def test_read_only_workspace_prints_the_report_then_one_line(tmp_path):
    ws = _workspace(tmp_path)
    ProgressStore(_db(ws)).record_attempt(1, 5.0, 15.0, seed=1, file_sha=None)
    env = {**os.environ, "NO_COLOR": "1"}
    if _can_mount():
        q = shlex.quote(str(ws))
        def run(*args: str) -> subprocess.CompletedProcess[str]:
            script = f"mount --bind {q} {q}; mount -o remount,ro,bind {q} {q}; exec {_grade_cmd(*args)}"
            return subprocess.run(_as_root_in_mount_namespace(script), capture_output=True, text=True,
                                  cwd=REPO, env=env, timeout=120)
    elif os.geteuid() != 0:
        for path in (ws, ws / ".grade", *ws.rglob("*")):
            path.chmod(path.stat().st_mode & ~0o222)
        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return run_grade(*args)
    else:
        pytest.skip("root without mount namespaces: a read-only workspace cannot be simulated")
    proc = run("exercise1", "--path", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert f"Score: {FULL}/{FULL}" in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len([line for line in lines if line.startswith("attempt not recorded: ")]) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    listing = run("list", "--path", str(ws))
    assert listing.returncode == 0 and f"5/{FULL}" in listing.stdout.replace(" ", ""), listing.stdout + listing.stderr
    progress = run("progress", "--path", str(ws))
    assert progress.returncode == 0 and "Traceback" not in progress.stderr
    assert [a.score for a in ProgressStore(_db(ws)).attempts()] == [5.0]


def test_full_disk_prints_the_report_then_one_line(tmp_path):
    if not _can_mount():
        pytest.skip("needs root and a mount namespace to make a small full file system")
    ws = _workspace(tmp_path)
    grade_dir = shlex.quote(str(ws / ".grade"))
    make_store = shlex.quote(
        f"from grader.progress import ProgressStore; from pathlib import Path; "
        f"ProgressStore(Path({str(_db(ws))!r})).record_attempt(1, 5.0, 15.0, seed=1, file_sha=None)")
    script = (f"mkdir -p {grade_dir}; mount -t tmpfs -o size=256k none {grade_dir}; "
              f"{shlex.quote(sys.executable)} -c {make_store}; "
              f"dd if=/dev/zero of={grade_dir}/fill bs=4k 2>/dev/null || true; "
              f"exec {_grade_cmd('exercise1', '--path', str(ws))}")
    proc = subprocess.run(_as_root_in_mount_namespace(script), capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"Score: {FULL}/{FULL}" in proc.stdout
    not_recorded = [line for line in proc.stderr.splitlines() if line.startswith("attempt not recorded: ")]
    assert len(not_recorded) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
