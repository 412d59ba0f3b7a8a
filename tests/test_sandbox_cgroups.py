"""One memory limit and one process count for a worker and every process it starts.

Where the machine offers cgroups (v1 memory+pids as root, or a delegated v2
subtree) the keeper puts each worker in its own group. Without them each
process is limited on its own, and `grade doctor` says so: that branch is
`test_sandbox_attacks.test_the_memory_bound_is_reported_as_it_is`.
"""

from __future__ import annotations

import glob
import os
import time

import pytest

from grader.sandbox import cgroups, layers
from grader.sandbox.client import Limits, StudentModule

pytestmark = pytest.mark.skipif(layers.plan().cgroup is None,
                                reason="no cgroup this user may create groups in (doctor reports rlimits)")

HOG = '''
import os, time
import numpy as np

def children_hold(count, mb, seconds):
    """Start `count` children that each touch `mb` MB and hold it; their exit codes."""
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                block = np.ones(mb * 2**20 // 8)
                time.sleep(seconds)
                os._exit(0 if block[-1] == 1 else 1)
            except BaseException:
                os._exit(3)
        pids.append(pid)
    return [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]

def grow_beside_children(mb_children, mb_own):
    """Two children hold `mb_children` MB each while this process touches `mb_own` MB."""
    for _ in range(2):
        if os.fork() == 0:
            block = np.ones(mb_children * 2**20 // 8)
            time.sleep(30)
            os._exit(0)
    time.sleep(1)
    return float(np.ones(mb_own * 2**20 // 8).sum())

def fork_many(n):
    """Fork up to `n` sleeping children; how many forks succeeded."""
    started = 0
    try:
        for _ in range(n):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            started += 1
    except OSError:
        pass
    return started
'''


def _module(tmp_path, memory_mb: int) -> StudentModule:
    path = tmp_path / "hog.py"
    path.write_text(HOG, encoding="utf-8")
    return StudentModule(path, "hog", Limits(memory_mb=memory_mb, time_floor=20, call_timeout=20))


def test_children_together_cannot_exceed_the_memory_limit(tmp_path):
    # Each child stays far below the 768 MB per-process limit; three together would use 1.2 GB.
    with _module(tmp_path, 768) as module:
        outcome = module.call("children_hold", 3, 400, 2)
    assert outcome.error is None, outcome.error
    codes = outcome.value
    assert len(codes) == 3 and -9 in codes, codes  # the kernel stopped one at the group's limit
    # How many more go depends on how fast the kernel frees the first one's memory (all three,
    # now and then). One that fits on its own is left alone:
    assert module_call_alone(tmp_path) == [0]


def module_call_alone(tmp_path) -> list[int]:
    with _module(tmp_path, 768) as module:
        outcome = module.call("children_hold", 1, 400, 0)
    assert outcome.error is None, outcome.error
    return outcome.value


def test_the_worker_stopped_at_the_group_limit_is_told_why(tmp_path):
    with _module(tmp_path, 1024) as module:
        outcome = module.call("grow_beside_children", 300, 600)
    assert outcome.error is not None
    assert "was stopped at the memory limit of 1024 MB" in outcome.error.message
    assert "every process it started, together" in outcome.error.message


def test_at_most_64_processes_even_as_root(tmp_path):
    with _module(tmp_path, 1024) as module:
        outcome = module.call("fork_many", 200)
    assert outcome.error is None, outcome.error
    assert outcome.value == cgroups.MAX_TASKS - 1  # the worker itself is the 64th


def _own_group(pid: int, controller: str) -> str:
    """The name of the cgroup `pid` is in, for that controller (v1) or the unified one (v2)."""
    with open(f"/proc/{pid}/cgroup", encoding="utf-8") as fh:
        for line in fh:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controller in controllers.split(",") or controllers == "":
                return path.rsplit("/", 1)[-1]
    raise AssertionError(f"no {controller} group for {pid}")


def test_worker_groups_are_removed_after_each_worker(tmp_path):
    hierarchy = cgroups.find()
    assert hierarchy is not None
    with _module(tmp_path, 1024) as module:
        assert module.call("fork_many", 3).value == 3
        _, worker = module.host_pids
        name = _own_group(worker, "pids")
        assert name.startswith("w")
        assert glob.glob(os.path.join(hierarchy.pids, "grade-*", name))
    deadline = time.monotonic() + 5
    while glob.glob(os.path.join(hierarchy.pids, "grade-*", name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not glob.glob(os.path.join(hierarchy.pids, "grade-*", name))
    assert not glob.glob(os.path.join(hierarchy.memory, "grade-*", name))


def test_doctor_names_the_cgroup():
    memory = layers.detect().memory or ""
    assert memory.startswith("cgroup v") and "all it starts" in memory


def _memory_limit_of(pid: int) -> int:
    hierarchy = cgroups.find()
    assert hierarchy is not None
    name = _own_group(pid, "memory")
    [folder] = glob.glob(os.path.join(hierarchy.memory, "grade-*", name))
    limit_file = "memory.max" if hierarchy.version == 2 else "memory.limit_in_bytes"
    with open(os.path.join(folder, limit_file), encoding="utf-8") as fh:
        return int(fh.read())


def test_each_worker_has_its_own_group_with_the_limit_it_asked_for(tmp_path):
    """Where the zygote forks workers ahead of their requests (already in a group), the limit
    is still set by each request, and no two workers share a group."""
    seen = []
    for mb in (700, 900, 700):
        with _module(tmp_path, mb) as module:
            assert module.call("fork_many", 1).value == 1
            _, worker = module.host_pids
            seen.append((_own_group(worker, "memory"), _own_group(worker, "pids"), _memory_limit_of(worker)))
    assert len({memory for memory, _, _ in seen}) == len({pids for _, pids, _ in seen}) == 3
    assert [limit for _, _, limit in seen] == [700 << 20, 900 << 20, 700 << 20]


def test_a_zygote_that_ends_leaves_no_group_behind(tmp_path):
    """Its workers' groups and the group of a worker it forked ahead, unused, all go with it."""
    from grader.sandbox.zygote import Zygote

    hierarchy = cgroups.find()
    assert hierarchy is not None
    zygote = Zygote()
    pid = zygote.ready()["pid"]
    own = [os.path.join(folder, f"grade-{pid}") for folder in {hierarchy.memory, hierarchy.pids}]
    assert all(os.path.isdir(folder) for folder in own)
    if os.geteuid() == 0:  # as root the zygote forks the next worker ahead, in a group of its own
        deadline = time.monotonic() + 10
        while not glob.glob(os.path.join(own[0], "w*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert glob.glob(os.path.join(own[0], "w*"))
    zygote.close()
    assert zygote.proc.returncode == 0
    assert not [folder for folder in own if os.path.exists(folder)]
