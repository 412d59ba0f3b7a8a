"""A worker in its own PID namespace with its own /proc: the grader is not there to see or signal.

The zygote forks the worker into a new namespace (as root), or a keeper
between them does (everywhere else, and here with GRADE_SANDBOX_KEEPER=1: both
layouts run every test); the worker is its first process (pid 1) and
mounts a private /proc, so the worker's ids, `/proc` and `kill` reach only its
own processes, and when it ends the kernel ends everything it started. Where namespaces are not available the layer is
absent and `grade doctor` says why (the forced-Landlock case below).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from helpers import REPO

from grader.sandbox import layers
from grader.sandbox.client import StudentModule

PROBE = '''
import os, signal, time

def look(grader):
    """What the worker can tell about the grader (pid `grader` on the machine)."""
    seen = {"pid": os.getpid(), "ppid": os.getppid(), "grader_in_proc": os.path.exists(f"/proc/{grader}")}
    try:
        os.kill(grader, signal.SIGKILL)
        seen["kill"] = "delivered"
    except OSError as exc:
        seen["kill"] = exc.strerror
    return seen

def leave_daemon():
    """A detached child that outlives the call: it must not outlive the worker."""
    if os.fork() == 0:
        os.setsid()
        while True:
            time.sleep(1)
    return 1
'''

needs_pidns = pytest.mark.skipif(not layers.plan().pidns,
                                 reason="no PID namespaces here (the forced-Landlock test covers this case)")


@pytest.fixture(params=["no keeper", "keeper"])
def layout(request, monkeypatch):
    if request.param == "keeper":
        monkeypatch.setenv(layers.KEEPER_ENV, "1")
    return request.param


def _module(tmp_path) -> StudentModule:
    path = tmp_path / "probe.py"
    path.write_text(PROBE, encoding="utf-8")
    return StudentModule(path, "probe")


@needs_pidns
def test_the_worker_cannot_see_or_signal_the_grader(tmp_path, layout):
    with _module(tmp_path) as module:
        seen = module.call("look", os.getpid()).value
    assert seen["pid"] == 1 and seen["ppid"] == 0  # its parent (zygote or keeper) is outside the namespace
    assert seen["grader_in_proc"] is False
    assert seen["kill"] == "No such process"


@needs_pidns
def test_a_daemon_dies_with_the_namespace(tmp_path, layout):
    with _module(tmp_path) as module:
        assert module.call("leave_daemon").value == 1
        keeper, worker = module.host_pids
        if layout == "keeper":
            assert keeper is not None
        watched = keeper or worker  # the keeper, or the worker where the zygote is its parent
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{watched}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{watched}")
    leftovers = subprocess.run(["pgrep", "-f", "probe.py"], capture_output=True, text=True).stdout.split()
    assert leftovers == []


def test_doctor_reports_the_pid_namespace_honestly():
    forced = subprocess.run(
        [sys.executable, "-m", "grader.cli", "doctor", "--json"], cwd=REPO, capture_output=True, text=True,
        env={**os.environ, "GRADE_SANDBOX_LAYERS": "landlock"}, timeout=60,
    )
    report = json.loads(forced.stdout)
    assert "pid namespace" not in f"{report['processes']} {report['cleanup']}"
    assert report["missing"]["processes"] == "no PID namespace: disabled by GRADE_SANDBOX_LAYERS"
    here = layers.detect()
    assert ("pid namespace" in (here.processes or "")) == layers.plan().pidns
