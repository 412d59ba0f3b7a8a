"""Which confinement layers the sandbox can apply on this machine.

`detect()` is what `grade doctor` reports, what results.json carries in
`extra_data["sandbox"]`, and what `grade batch` / the Gradescope runner check
before grading (they refuse when `filesystem` is None unless the instructor
passes `--unsafe-no-sandbox`).

Each field names the mechanism in force for that class of protection, or None
when nothing on this machine provides it. `GRADE_SANDBOX_LAYERS` restricts
what may be used, e.g. to simulate a machine without user namespaces:
``GRADE_SANDBOX_LAYERS=landlock`` (Landlock and rlimits only) or
``GRADE_SANDBOX_LAYERS=none`` (rlimits only; tests of the refusal path).

The namespaces and cgroups are tried for real (`probe`), in children: the
zygote does that while it imports numpy and reports the result, which
`plan()` uses when this process runs a zygote (`grade doctor` probes itself).

Stdlib only, cheap: `grade doctor` must not import numpy.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

FORCE_ENV = "GRADE_SANDBOX_LAYERS"
# "1": a keeper process above every worker, even where the zygote can fork workers into their own
# PID namespaces itself (root): the layout of every other machine, kept testable here.
KEEPER_ENV = "GRADE_SANDBOX_KEEPER"


@dataclass(frozen=True)
class Layers:
    """The mechanism behind each protection, or None where none is available."""

    filesystem: str | None = None  # e.g. "landlock (ABI 7)", "mount namespace (bwrap)"
    network: str | None = None  # e.g. "network namespace", "landlock TCP (ABI 4+)"
    processes: str | None = None  # signals/ptrace/proc: "pid namespace", "landlock scopes (ABI 6+)"
    cleanup: str | None = None  # every student process gone after a call: "pid namespace", "cgroup", "subreaper"
    memory: str | None = None  # memory of all student processes together: "cgroup v2", "rlimits"
    uid: str | None = None  # "uid 65534 (nobody)" when the grader runs as root

    @property
    def level(self) -> str:
        """"full" when every layer is active and memory is bounded for all processes together,
        "none" without filesystem confinement, else "partial"."""
        if self.filesystem is None:
            return "none"
        values = (self.filesystem, self.network, self.processes, self.cleanup, self.memory)
        together = bool(self.memory) and not str(self.memory).startswith("rlimits")
        return "full" if all(values) and together else "partial"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": self.level}


@dataclass(frozen=True)
class Plan:
    """What the sandbox will actually do on this machine (the mechanics behind `Layers`)."""

    landlock_abi: int = 0  # 0: no Landlock
    uid: int | None = None  # run workers as this uid (the grader is root)
    drop_caps: bool = False  # root grader, but `uid` could not read the interpreter: uid 0, no capabilities
    netns: bool = False  # a new network namespace per worker
    why_no_uid: str = ""
    why_no_landlock: str = ""
    why_no_netns: str = ""
    cgroup: str | None = None  # "cgroup v1"/"cgroup v2": one memory and process budget per worker tree
    why_no_cgroup: str = ""
    pidns: bool = False  # a PID namespace with its own /proc (a mount namespace) per worker
    why_no_pidns: str = ""


def forced() -> str | None:
    """The restriction asked for in the environment, if any (lower-cased)."""
    value = os.environ.get(FORCE_ENV, "").strip().lower()
    return value or None


NOBODY = 65534


def _readable_by_others(path: str) -> str | None:
    """The first directory on the way to `path` that other users cannot enter, or None."""
    import stat

    current = os.path.realpath(path)
    parts = []
    while True:
        parts.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for part in reversed(parts):
        try:
            mode = os.stat(part).st_mode
        except OSError:
            return part
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return part
    return None


def _netns_works() -> bool:
    """Can a worker get its own network namespace here (directly as root, else in a user namespace)?

    Tried in a child, exactly as a worker does it (AppArmor, seccomp or a sysctl may forbid it).
    """
    pid = os.fork()
    if pid == 0:
        try:
            from grader.sandbox.confine import private_network

            private_network(as_root=os.geteuid() == 0)
            os._exit(0)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _pidns_works() -> bool:
    """Can a worker get its own PID namespace and /proc here? Tried in a child as the keeper does it."""
    pid = os.fork()
    if pid == 0:
        try:
            from grader.sandbox.confine import new_pid_namespace, private_proc

            new_pid_namespace(as_root=os.geteuid() == 0)
            inner = os.fork()
            if inner == 0:
                try:
                    private_proc()
                    os._exit(0 if [n for n in os.listdir("/proc") if n.isdigit()] == ["1"] else 1)
                finally:
                    os._exit(1)
            _, status = os.waitpid(inner, 0)
            os._exit(os.waitstatus_to_exitcode(status))
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def probe() -> dict[str, Any]:
    """What this machine lets a worker have beyond Landlock: tried for real, in children.

    {"netns": bool, "pidns": bool, "cgroup": "cgroup v1" | "cgroup v2" | None}. The
    zygote runs this while it imports numpy and reports it (`plan` then asks the
    zygote rather than probing again in the grading process, which is busy
    importing the grading code); `grade doctor` runs it itself.
    """
    from grader.sandbox import cgroups

    hierarchy = cgroups.find()
    return {"netns": _netns_works(), "pidns": _pidns_works(),
            "cgroup": hierarchy.describe() if hierarchy else None}


def _probed() -> dict[str, Any]:
    """The zygote's probe report when this process runs one, else a probe of our own."""
    from grader.sandbox import zygote

    running = zygote.running_zygote()
    if running is not None:
        with contextlib.suppress(zygote.ZygoteError, OSError, ValueError):
            report = running.ready().get("probes")
            # The zygote reports more than this (whether it may fork workers into namespaces itself).
            if isinstance(report, dict) and {"netns", "pidns", "cgroup"} <= set(report):
                return {key: report[key] for key in ("netns", "pidns", "cgroup")}
    return probe()


def filesystem_reason() -> str:
    """"" when workers' files are confined (Landlock), else why not; needs no probe, never waits."""
    from grader.sandbox import landlock

    force = forced()
    if force not in (None, "landlock"):
        return "disabled by GRADE_SANDBOX_LAYERS"
    return "" if landlock.abi_version() else "the kernel has no Landlock (Linux ≥ 5.13 with landlock in lsm=)"


@cache
def identity() -> tuple[int | None, bool, str]:
    """(uid for workers, drop capabilities, why not uid 65534): no probing, a few stat calls."""
    import sys

    if forced() not in (None, "landlock"):
        return None, False, "disabled by GRADE_SANDBOX_LAYERS"
    if os.geteuid() != 0:
        return None, False, "the grader does not run as root (workers keep its uid)"
    blocked = next(filter(None, (_readable_by_others(p) for p in
                                 {sys.executable, sys.prefix, sys.base_prefix, *sys.path}
                                 if p and os.path.exists(p))), None)
    if blocked is None:
        return NOBODY, False, ""
    return None, True, f"uid {NOBODY} cannot read the interpreter ({blocked} is closed to other users)"


@cache
def plan() -> Plan:
    """This machine's layers once per process: Landlock's ABI, root, namespaces, cgroups."""
    from grader.sandbox import landlock

    force = forced()
    if force not in (None, "landlock", "none"):
        force = "none"  # an unknown restriction: use the least, and say so (level "none")
    abi = landlock.abi_version() if force != "none" else 0
    why_ll = "" if abi else ("disabled by GRADE_SANDBOX_LAYERS" if force == "none"
                             else "the kernel has no Landlock (Linux ≥ 5.13 with landlock in lsm=)")
    uid, drop_caps, why_uid = identity()
    if force is not None:
        off = "disabled by GRADE_SANDBOX_LAYERS"
        return Plan(abi, uid, drop_caps, False, why_uid, why_ll, off, None, off, False, off)
    found = _probed()
    netns, pidns, cgroup = bool(found["netns"]), bool(found["pidns"]), found["cgroup"] or None
    root = os.geteuid() == 0
    why_net = "" if netns else ("unshare(CLONE_NEWNET) failed" if root
                                else "unprivileged user namespaces are not available")
    why_pidns = "" if pidns else ("unshare(CLONE_NEWPID) or mounting /proc failed" if root
                                  else "unprivileged user namespaces are not available")
    why_cgroup = "" if cgroup else ("no cgroup with the memory and pids controllers that this user may "
                                    "create groups in (cgroup v2 needs a delegated subtree)")
    return Plan(abi, uid, drop_caps, netns, why_uid, why_ll, why_net, cgroup, why_cgroup, pidns, why_pidns)


@cache
def detect() -> Layers:
    """Which mechanism provides each protection on this machine (cached per process)."""
    p = plan()
    abi = p.landlock_abi
    filesystem = f"landlock (ABI {abi})" if abi else None
    if p.netns:
        network = "network namespace" if os.geteuid() == 0 else "network namespace (in a user namespace)"
    elif abi >= 4:
        network = f"landlock TCP bind/connect (ABI {abi}); UDP not covered"
    else:
        network = None
    procs = ["pid namespace with its own /proc"] if p.pidns else []
    if abi >= 6:
        procs.append(f"landlock signal scope and ptrace (ABI {abi})")
    elif abi:
        procs.append(f"landlock ptrace (ABI {abi}; signals not scoped)")
    if p.uid is not None:
        procs.append(f"uid {p.uid}")
    elif p.drop_caps:
        procs.append("no capabilities")
    processes = ", ".join(procs) or None
    if p.cgroup:
        memory = f"{p.cgroup} (one memory limit and at most 64 processes for a worker and all it starts)"
    elif p.uid is not None or os.geteuid() != 0:
        memory = "rlimits (address space per process; at most 64 processes)"
    else:
        memory = "rlimits (address space per process; process count not bounded)"
    if p.uid is not None:
        uid = f"uid {p.uid} (nobody)"
    elif p.drop_caps:
        uid = "uid 0 without capabilities"
    else:
        uid = None
    return Layers(filesystem=filesystem, network=network, processes=processes,
                  cleanup=("pid namespace and subreaper (every descendant killed)" if p.pidns
                           else "subreaper (every descendant killed)"), memory=memory, uid=uid)


def reasons() -> dict[str, str]:
    """Why a layer is missing or weaker (for `grade doctor`)."""
    p = plan()
    out = {}
    if p.why_no_landlock:
        out["filesystem"] = p.why_no_landlock
    if p.why_no_netns:
        out["network"] = f"no network namespace: {p.why_no_netns}"
    if p.why_no_uid:
        out["uid"] = p.why_no_uid
    if p.why_no_pidns:
        out["processes"] = f"no PID namespace: {p.why_no_pidns}"
    if not p.cgroup:
        out["memory"] = f"each process is limited on its own: {p.why_no_cgroup}"
    return out
