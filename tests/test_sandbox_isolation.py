"""The worker process: forked by the zygote, it sees only its own pipes and no grader internals."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox.client import StudentModule

PROBE = '''
import os, sys
import numpy as np

def open_fds():
    return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))

def grader_modules():
    return sorted(m for m in sys.modules if m.startswith(("grader", "_grader_reference", "pytest", "_pytest")))

def import_reference():
    import grader.solutions.exercise1_update_rule as ref
    return 1

def use_datasets():
    from grader.datasets import house_prices
    X, y = house_prices(5, seed=1)
    return X.shape

def draw():
    return float(np.random.random())

def pid():
    return os.getpid()

def parents():
    return os.getppid(), int(open("/proc/self/stat").read().rpartition(")")[2].split()[2])
'''


@pytest.fixture
def probe(tmp_path: Path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe") as module:
        yield module


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


@pytest.mark.parametrize("layout", ["no keeper", "keeper"])
def test_workers_come_from_the_zygote_never_from_the_grader(tmp_path, monkeypatch, layout):
    from grader.sandbox.layers import KEEPER_ENV
    from grader.sandbox.zygote import shared_zygote

    if layout == "keeper":
        monkeypatch.setenv(KEEPER_ENV, "1")
    assert "numpy" in sys.modules  # the grader holds numpy (and, when grading, the reference)
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe") as module:
        seen_inside = module.call("pid").value
        keeper, worker = module.host_pids  # host pids, seen from here
        # the zygote -> the worker, pid 1 of its own namespace where there is one; with a keeper (a
        # subreaper) in between where the zygote cannot make that namespace itself
        assert seen_inside == (1 if module.plan.pidns else worker)
        assert worker not in (os.getpid(), keeper, -1)
        if keeper is None:
            assert module.plan.pidns and layout == "no keeper"
            assert _ppid(worker) == shared_zygote().proc.pid
        else:
            assert _ppid(worker) == keeper
            assert _ppid(keeper) == shared_zygote().proc.pid
        assert _ppid(shared_zygote().proc.pid) == os.getpid()


def test_worker_sees_only_its_two_pipes(probe):
    fds = probe.call("open_fds").value
    # 0-2 (devnull / the output log), the two pipes, and the descriptor listdir itself opened
    assert len(fds) <= 6, fds
    assert fds[:3] == [0, 1, 2]


def test_grader_internals_are_out_of_reach(probe):
    modules = probe.call("grader_modules").value
    assert not any(m.startswith("_grader_reference") for m in modules)
    assert not any(m.startswith("grader.") and not m.startswith(("grader.sandbox", "grader.datasets"))
                   for m in modules), modules
    outcome = probe.call("import_reference")
    assert outcome.error is not None and "not allowed" in outcome.error.message


def test_course_data_sets_stay_importable(probe):
    assert probe.call("use_datasets").value == (5, 3)


def test_forked_workers_do_not_share_random_state(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    np.random.seed(0)
    draws = []
    for _ in range(2):
        with StudentModule(path, "probe") as module:
            draws.append(module.call("draw").value)
    assert draws[0] != draws[1]


def test_killing_a_forked_worker_is_reported(tmp_path):
    path = tmp_path / "probe.py"
    # A segfault: a signal even a namespace's pid 1 cannot ignore (the kernel drops only the signals
    # sent to it from inside with their default action: os.kill(os.getpid(), 9) does nothing there).
    path.write_text(PROBE + "\ndef die():\n    import ctypes\n    ctypes.string_at(0)\n")
    with StudentModule(path, "probe") as module:
        outcome = module.call("die")
        assert outcome.error is not None and "SIGSEGV" in outcome.error.message
        assert module.call("pid").value != os.getpid()  # restarted, still graded
