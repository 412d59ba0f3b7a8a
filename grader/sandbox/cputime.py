"""CPU time used by a worker and every process it started, read from /proc.

Call limits are counted in CPU seconds, not wall seconds: a machine loaded by
a batch (or by anything else) slows a correct submission's wall clock but not
the CPU time its work needs, so the limits can be tight without ever timing
out honest code. A wall-clock backstop still bounds code that waits instead
of computing (`time.sleep`, `input()`).

The tree is walked from the keeper (a subreaper): its children are the worker
and any process the student detached, and their descendants follow through
`/proc/<pid>/task/<tid>/children`. Where the worker has no keeper (it is pid 1
of its own namespace, which nothing it starts can leave), from the worker. Each process counts its own user + system
time and that of children it has reaped (cutime, cstime), so a child that
burned CPU and exited is not forgotten.
"""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_MAX_PROCESSES = 512  # more than the sandbox lets a worker start; bounds the walk


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                kids.extend(int(p) for p in fh.read().split())
        except (OSError, ValueError):
            continue
    return kids


def _ticks(stat: bytes) -> int:
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat.rpartition(b")")[2].split()
    return int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])


def _own_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return _ticks(fh.read())
    except (OSError, ValueError, IndexError):
        return 0  # gone between listing and reading: its time went to its parent's cutime


def first_child(pid: int) -> int:
    """The oldest child of `pid` (the keeper's worker), or -1."""
    kids = _children(pid)
    return min(kids) if kids else -1


def open_stat(pid: int) -> int:
    """A descriptor on /proc/PID/stat, re-read with `process_seconds` (one pread a call), or -1."""
    try:
        return os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1


def process_seconds(fd: int) -> float:
    """User + system seconds (own and reaped children's) of the process behind `open_stat`'s fd."""
    if fd < 0:
        return 0.0
    try:
        return _ticks(os.pread(fd, 4096, 0)) / _TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def tree_cpu_seconds(root: int, *, include_root: bool = False) -> float:
    """User + system seconds of every descendant of `root` (and of `root` itself with `include_root`:
    a worker with no keeper above it); 0.0 if unreadable."""
    if root <= 0:
        return 0.0
    ticks = 0
    seen: set[int] = set()
    pending = [root] if include_root else _children(root)
    while pending and len(seen) < _MAX_PROCESSES:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        ticks += _own_ticks(pid)
        pending.extend(_children(pid))
    return ticks / _TICK


def available() -> bool:
    """Can this machine report per-process CPU time (Linux /proc with child lists)?"""
    return os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
