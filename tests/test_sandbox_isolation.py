"""The worker process: forked or fresh, it sees only its own pipes and no grader internals."""

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
'''


@pytest.fixture(params=[True, False], ids=["forked", "fresh"])
def probe(request, tmp_path: Path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe", fork=request.param) as module:
        yield module


def test_forking_is_used_when_numpy_is_loaded(tmp_path):
    assert "numpy" in sys.modules
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe") as module:
        from grader.sandbox.client import _ForkedProcess

        assert isinstance(module._proc, _ForkedProcess)
        assert module.call("pid").value == module._proc.pid


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
    path.write_text(PROBE + "\ndef die():\n    os.kill(os.getpid(), 9)\n")
    with StudentModule(path, "probe") as module:
        outcome = module.call("die")
        assert outcome.error is not None and "SIGKILL" in outcome.error.message
        assert module.call("pid").value != os.getpid()  # restarted, still graded
