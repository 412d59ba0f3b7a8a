"""One memory and process budget for a worker and everything it starts, by cgroup.

`RLIMIT_AS` bounds each process on its own, so a submission that forks could
use the limit many times over, and `RLIMIT_NPROC` does not bind uid 0. A
control group does both for the whole tree: the keeper makes one group per
worker (memory limit = the worker's, swap included; at most MAX_TASKS
processes), the worker joins it before it confines itself (so every process
it starts is in it too), and the keeper removes it once every process in it
is gone, reporting whether the kernel's OOM killer had to act.

Where the groups go, probed once per zygote:

* cgroup v2: our own cgroup, when it has `memory` and `pids` enabled for its
  children and we may write there (a delegated subtree: systemd's
  `Delegate=yes`, a container whose root cgroup is ours);
* cgroup v1: the `memory` and `pids` hierarchies, at our place in each, when
  we may create groups there (root, typically).

Neither (a user without delegation, a read-only /sys/fs/cgroup): no groups,
and `grade doctor` says the per-process rlimits are all there is.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass

MAX_TASKS = 64
_ROOT = "/sys/fs/cgroup"
_PREFIX = "grade-"


@dataclass(frozen=True)
class Hierarchy:
    """Where this process may create groups: one folder (v2) or one per controller (v1)."""

    version: int
    memory: str
    pids: str

    def describe(self) -> str:
        return f"cgroup v{self.version}"


def _own_paths() -> dict[str, str]:
    """controller (or "" for v2) -> our cgroup path, from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(",") if controllers else [""]:
                    paths[name] = path
    except (OSError, ValueError):
        pass
    return paths


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, super options) of every cgroup file system."""
    found = []
    try:
        with open("/proc/self/mountinfo") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                fields, tail = left.split(), right.split()
                if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
                    found.append((fields[4], tail[0], set(tail[2].split(","))))
    except OSError:
        pass
    return found


def _probe(folder: str, files: tuple[str, ...]) -> bool:
    """Can we make a group under `folder` and set its limits (then remove it)?"""
    probe = os.path.join(folder, f"{_PREFIX}probe-{os.getpid()}")
    try:
        os.mkdir(probe)
    except OSError:
        return False
    try:
        return all(os.path.exists(os.path.join(probe, name)) and os.access(os.path.join(probe, name), os.W_OK)
                   for name in files)
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(probe)


def find() -> Hierarchy | None:
    """The place for worker groups on this machine, or None (see the module docstring)."""
    paths = _own_paths()
    mounts = _mounts()
    if "" in paths:
        for point, kind, _ in mounts:
            if kind != "cgroup2":
                continue
            folder = os.path.normpath(point + paths[""])
            try:
                with open(os.path.join(folder, "cgroup.subtree_control")) as fh:
                    enabled = set(fh.read().split())
            except OSError:
                continue
            if {"memory", "pids"} <= enabled and _probe(folder, ("memory.max", "pids.max", "cgroup.procs")):
                return Hierarchy(2, folder, folder)
    v1: dict[str, str] = {}
    for controller, limit_file in (("memory", "memory.limit_in_bytes"), ("pids", "pids.max")):
        for point, kind, options in mounts:
            if kind == "cgroup" and controller in options and controller in paths:
                folder = os.path.normpath(point + paths[controller])
                if _probe(folder, (limit_file, "cgroup.procs")):
                    v1[controller] = folder
                    break
    if len(v1) == 2:
        return Hierarchy(1, v1["memory"], v1["pids"])
    return None


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


class Groups:
    """This zygote's folder of worker groups (`grade-<pid>` in each hierarchy folder)."""

    def __init__(self, hierarchy: Hierarchy) -> None:
        self.hierarchy = hierarchy
        own = f"{_PREFIX}{os.getpid()}"
        self.memory_parent = os.path.join(hierarchy.memory, own)
        self.pids_parent = os.path.join(hierarchy.pids, own)
        for folder in {hierarchy.memory, hierarchy.pids}:
            _remove_stale(folder)
        for parent in {self.memory_parent, self.pids_parent}:
            os.makedirs(parent, exist_ok=True)
        if hierarchy.version == 2:  # let the workers' groups below ours use both controllers
            _write(os.path.join(self.memory_parent, "cgroup.subtree_control"), "+memory +pids")

    def create(self, name: str, memory_bytes: int, tasks: int = MAX_TASKS) -> list[str]:
        """A group for one worker; returns its folders (to `join` and `remove`)."""
        memory = os.path.join(self.memory_parent, name)
        pids = os.path.join(self.pids_parent, name)
        dirs = sorted({memory, pids})
        for folder in dirs:
            os.mkdir(folder)
        self.limit(dirs, memory_bytes)
        _write(os.path.join(pids, "pids.max"), str(tasks))
        return dirs

    def limit(self, dirs: list[str], memory_bytes: int) -> None:
        """Set the memory limit of a group made by `create` (0: none); a joined group may be limited later."""
        if memory_bytes <= 0:
            return
        memory = next(d for d in dirs if d.startswith(self.memory_parent + os.sep))
        if self.hierarchy.version == 2:
            _write(os.path.join(memory, "memory.max"), str(memory_bytes))
            with contextlib.suppress(OSError):  # absent without swap accounting
                _write(os.path.join(memory, "memory.swap.max"), "0")
            return
        _write(os.path.join(memory, "memory.limit_in_bytes"), str(memory_bytes))
        with contextlib.suppress(OSError):  # memory + swap, where swap accounting is on
            _write(os.path.join(memory, "memory.memsw.limit_in_bytes"), str(memory_bytes))

    def remove(self, dirs: list[str]) -> bool:
        """Remove a worker's (now empty) group; True if it hit its memory limit."""
        oom = any(_oom_happened(folder, self.hierarchy.version) for folder in dirs)
        for folder in dirs:
            for _ in range(50):  # the last processes may still be exiting
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        return oom

    def close(self) -> None:
        for parent in {self.memory_parent, self.pids_parent}:
            _remove_tree(parent)


def join(dirs: list[str]) -> None:
    """Move this process into the group (in the worker, before it drops its privileges)."""
    for folder in dirs:
        _write(os.path.join(folder, "cgroup.procs"), str(os.getpid()))


def _oom_happened(folder: str, version: int) -> bool:
    try:
        if version == 2:
            with open(os.path.join(folder, "memory.events")) as fh:
                events = dict(line.split() for line in fh if line.strip())
            return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
        with open(os.path.join(folder, "memory.oom_control")) as fh:
            control = dict(line.split() for line in fh if line.strip())
        if "oom_kill" in control:  # Linux >= 4.13
            return int(control["oom_kill"]) > 0 or control.get("under_oom") == "1"
        with open(os.path.join(folder, "memory.failcnt")) as fh:
            return int(fh.read().strip() or 0) > 0
    except (OSError, ValueError):
        return False


def _remove_tree(folder: str) -> None:
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.rmdir(entry.path)
        os.rmdir(folder)


def _remove_stale(folder: str) -> None:
    """Groups left by zygotes that were killed (their pid is gone)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            name = entry.name
            if not name.startswith(_PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            pid = name[len(_PREFIX):]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                _remove_tree(entry.path)
