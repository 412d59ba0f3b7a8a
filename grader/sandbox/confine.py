"""Confining a freshly forked worker before it imports the student's file.

In order: standard streams to the output log (never the grader's terminal),
every other inherited descriptor closed, resource limits, a network namespace
(when allowed), a separate uid (or, when that uid could not read the
interpreter, uid 0 stripped of every capability), the parent-death signal,
no-new-privileges and non-dumpable, then Landlock: read the interpreter and
libraries, read the private copy of the submission, write only the private
work folder, no TCP, no signals or abstract sockets outside the sandbox.
Any failure ends the worker with a message instead of running unconfined.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import resource
import signal
import sys
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
_CAPSET = {"x86_64": 126, "aarch64": 91, "arm64": 91}
EXIT_CONFINEMENT_FAILED = 71
# How a worker that is its namespace's pid 1 ends at the output cap (see `_end_at_the_output_cap`).
EXIT_OUTPUT_LIMIT = 72

_libc = ctypes.CDLL(None, use_errno=True)


class ConfinementError(OSError):
    pass


def prctl(option: int, arg: int = 0) -> None:
    if _libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        err = ctypes.get_errno()
        raise ConfinementError(err, f"prctl({option}): {os.strerror(err)}")


def unshare(flags: int) -> None:
    if _libc.unshare(ctypes.c_int(flags)) != 0:
        err = ctypes.get_errno()
        raise ConfinementError(err, f"unshare: {os.strerror(err)}")


def setns(fd: int, kind: int) -> None:
    if _libc.setns(ctypes.c_int(fd), ctypes.c_int(kind)) != 0:
        err = ctypes.get_errno()
        raise ConfinementError(err, f"setns: {os.strerror(err)}")


def pid_namespace_round_trip(own: int) -> None:
    """Make the next child pid 1 of a new PID namespace, then undo that (`own`: /proc/self/ns/pid).

    What a zygote that forks workers straight into their own namespaces does
    around each fork; where it fails (not root, or root of a container that may
    not enter its own namespace) the caller must keep a keeper process between
    itself and the worker. Raises ConfinementError.
    """
    unshare(CLONE_NEWPID)
    setns(own, CLONE_NEWPID)


def _map_own_ids() -> None:
    """In a new user namespace: map only our own uid and gid (files keep their owners)."""
    uid, gid = os.getuid(), os.getgid()
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


def new_pid_namespace(*, as_root: bool) -> None:
    """Make this process's next child the first process (pid 1) of a new PID namespace.

    Root does it directly; anyone else inside a new user namespace mapping only
    their own ids. The caller itself stays where it is (that is how unshare works
    for PID namespaces): it is the keeper, which must keep seeing the grader.
    """
    if as_root:
        unshare(CLONE_NEWPID)
        return
    unshare(CLONE_NEWUSER | CLONE_NEWPID)
    _map_own_ids()


def mount(source: str | None, target: str, fstype: str | None, flags: int) -> None:
    def enc(value: str | None) -> bytes | None:
        return value.encode() if value is not None else None

    if _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), None) != 0:
        err = ctypes.get_errno()
        raise ConfinementError(err, f"mount {target}: {os.strerror(err)}")


def private_proc() -> None:
    """In the first process of a new PID namespace: a mount namespace whose /proc shows only it.

    Mounts stay private (nothing propagates back to the machine), and the fresh
    /proc lists the namespace's processes alone: the grader, the zygote and the
    rest of the machine are not there to be read or signalled.
    """
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def private_network(*, as_root: bool) -> None:
    """A new, empty network namespace (only a loopback that is down).

    Root creates it directly; anyone else inside a new user namespace that maps
    only their own uid and gid (so files keep their owners).
    """
    if as_root:
        unshare(CLONE_NEWNET)
        return
    unshare(CLONE_NEWUSER | CLONE_NEWNET)
    _map_own_ids()
    drop_capabilities()  # the capabilities a new user namespace grants: not wanted


def drop_capabilities() -> None:
    """Empty the bounding, effective, permitted and inheritable sets (uid 0 keeps no power)."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last = int(fh.read())
    except OSError:
        last = 63
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)
    data = (Data * 2)()
    number = _CAPSET.get(platform.machine())
    if number is None or _libc.syscall(ctypes.c_long(number), ctypes.byref(header), data) != 0:
        raise ConfinementError(ctypes.get_errno(), "capset failed")


def _close_other_fds(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def processes_of(uid: int) -> int:
    """How many processes `uid` has, as this process's /proc shows them."""
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError):
                count += os.stat(f"/proc/{name}").st_uid == uid
    return count


def _set_limits(spec: dict[str, Any]) -> None:
    memory = int(spec.get("memory", 0))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = int(spec.get("fsize", 0))
    if fsize > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nproc = int(spec.get("nproc", 0))
    if nproc > 0 and os.geteuid() != 0 and spec.get("uid") is None and not spec.get("nproc_counted"):
        # RLIMIT_NPROC counts every process of the real uid: allow what the user runs already, plus the margin.
        nproc += processes_of(os.getuid())
    if nproc > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    nofile = 256
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def _landlock(spec: dict[str, Any], rules: list[tuple[int, int]], abi: int) -> None:
    from grader.sandbox import landlock as ll
    from grader.sandbox import policy

    own: list[tuple[int, int]] = []
    for path, access in ((spec["srcdir"], ll.READ), (spec["workdir"], policy.WORK_RIGHTS),
                         (f"/proc/{os.getpid()}", ll.READ)):
        rule = ll.open_rule(path, access)
        if rule is None:
            raise ConfinementError(2, f"cannot open {path} for the sandbox")
        own.append(rule)
    try:
        ll.restrict([*rules, *own], abi=abi)
    finally:
        for fd, _ in own:
            os.close(fd)


def enter_worker(spec: dict[str, Any], req: int, resp: int, log_fd: int,
                 rules: list[tuple[int, int]], abi: int, keeper: int, *,
                 first_in_namespace: bool = False) -> None:
    """Confine this process, then serve the student's module (never returns).

    `keeper`: the parent this worker must have (the keeper's pid, or 0 when the
    worker is pid 1 of a new PID namespace: its parent is outside it).
    `first_in_namespace`: that is the case; the worker mounts its own /proc.
    """
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    for fd in {devnull, log_fd}:
        if fd > 2:
            os.close(fd)
    try:
        if first_in_namespace:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the keeper gone: the worker, and the namespace, go too
            private_proc()
        # Its own process group and session: kill(0, sig) and killpg reach only the student's processes.
        with contextlib.suppress(PermissionError):  # already a group leader
            os.setsid()
        _close_other_fds({req, resp, *(fd for fd, _ in rules)})
        if spec.get("cgroup_dirs"):  # while still allowed to write there; children inherit it
            from grader.sandbox.cgroups import join

            join(list(spec["cgroup_dirs"]))
        _set_limits(spec)
        if spec.get("netns"):
            private_network(as_root=os.geteuid() == 0)
        uid = spec.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setresgid(int(uid), int(uid), int(uid))
            os.setresuid(int(uid), int(uid), int(uid))
        elif spec.get("drop_caps"):
            drop_capabilities()
        # After any change of credentials, which clears it.
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != keeper:
            os._exit(EXIT_CONFINEMENT_FAILED)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        prctl(PR_SET_DUMPABLE, 0)
        os.chdir(spec["workdir"])
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(spec.get("env", {})).items()})
        if spec.get("landlock"):
            _landlock(spec, rules, abi)
    except OSError as exc:
        os.write(2, f"sandbox: could not confine the worker: {exc}\n".encode())
        os._exit(EXIT_CONFINEMENT_FAILED)
    for fd, _ in rules:
        with contextlib.suppress(OSError):
            os.close(fd)
    if first_in_namespace:
        signal.signal(signal.SIGXFSZ, _end_at_the_output_cap)
    else:
        # Python ignores SIGXFSZ; the default action ends the worker at the output cap,
        # which the grader reports as "output limit exceeded".
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    _reseed()
    from grader.sandbox.worker import serve_fds

    serve_fds(spec["path"], spec["module"], req, resp, int(spec.get("max_reply", 0)))
    os._exit(0)


def _end_at_the_output_cap(signum: int, frame: Any) -> None:
    """SIGXFSZ in a worker that is its namespace's pid 1: end it, as the default action would elsewhere.

    The kernel does not deliver to a namespace's first process the signals it
    sends it with their default action (SIGXFSZ at RLIMIT_FSIZE among them), so
    the write would only fail and the flood go on; with a handler it is
    delivered, and the grader reads this exit code as the output cap.
    """
    os._exit(EXIT_OUTPUT_LIMIT)


def _reseed() -> None:
    """A fork copies the generators' state: reseed like a fresh process would."""
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(None)
    if "random" in sys.modules:
        sys.modules["random"].seed()
