"""The zygote process: forks one keeper and one confined worker per request.

Runs in a fresh interpreter started by `grader.sandbox.zygote`; imports numpy,
the requested preloads, the course data sets and the worker bootstrap, and
nothing that knows an answer. For each "spawn" request it forks a *keeper*
(a subreaper, so every process the student starts stays its descendant), and
the keeper forks the *worker*, which confines itself (`grader.sandbox.confine`)
and serves calls. Where PID namespaces work, the worker is the first process
(pid 1) of a new one: when it ends, the kernel ends everything it started. When
the worker dies, or the grader closes the keeper's control pipe (a time-out,
the end of grading, or the grader itself dying), the keeper kills every
remaining descendant, `setsid` daemons included, reports the worker's exit
status on its status pipe and exits.

Two processes per worker, not three: a separate pid 1 above the worker (a
reaper and reporter) cost a fork and an exit of this 35 MB process for every
student, 2 of a worker's 17 CPU milliseconds (`benchmarks/bench_worker_life.py`).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import socket
from typing import Any

MAX_CONTROL_BYTES = 1 << 16
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, arg: int) -> int:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0))


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        pass
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(name))
    return kids


def kill_descendants() -> None:
    """SIGKILL and reap every descendant of this (subreaper) process until none is left."""
    me = os.getpid()
    while True:
        for pid in _children(me):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _keeper(spec: dict[str, Any], fds: list[int], rules: list[tuple[int, int]], abi: int,
            groups: Any = None) -> None:
    """In the keeper: fork the worker, watch it and the grader's pipe, clean up, report."""
    req_r, resp_w, ctl_r, status_w, log_fd = fds
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    keeper = os.getpid()
    dirs: list[str] = []
    from grader.sandbox.confine import EXIT_CONFINEMENT_FAILED, new_pid_namespace

    def refuse() -> None:
        with contextlib.suppress(OSError):
            os.write(status_w, json.dumps({"code": EXIT_CONFINEMENT_FAILED}).encode())

    if groups is not None and spec.get("cgroup"):
        from grader.sandbox.cgroups import MAX_TASKS

        try:  # one memory and process budget for the worker and all it starts
            dirs = groups.create(f"w{keeper}", int(spec.get("memory", 0)), MAX_TASKS)
        except OSError:
            return refuse()
        spec = {**spec, "cgroup_dirs": dirs}
    nproc = int(spec.get("nproc", 0))
    if nproc > 0 and os.geteuid() != 0 and spec.get("uid") is None:
        from grader.sandbox.confine import processes_of

        # RLIMIT_NPROC counts the user's processes machine-wide: count them here, where /proc is the
        # machine's (the worker's own /proc, in a PID namespace, shows only its namespace).
        spec = {**spec, "nproc": nproc + processes_of(os.getuid()), "nproc_counted": True}
    pidns = bool(spec.get("pidns"))
    if pidns:
        try:  # our next child is pid 1 of a new namespace; we stay beside the grader
            new_pid_namespace(as_root=os.geteuid() == 0)
        except OSError:
            return refuse()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ctl_r)
            os.close(status_w)
            from grader.sandbox.confine import enter_worker

            # In its own namespace the worker's parent is outside it: getppid() says 0 there.
            enter_worker(spec, req_r, resp_w, log_fd, rules, abi, 0 if pidns else keeper,
                         first_in_namespace=pidns)
        finally:
            os._exit(70)
    for fd in (req_r, resp_w, log_fd):
        os.close(fd)
    for fd, _ in rules:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    while True:
        try:
            ready, _, _ = select.select([ctl_r, pidfd], [], [])
        except InterruptedError:
            continue
        break
    said = b""
    if ctl_r in ready:  # the grader ended the worker (or died)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        said = _read_some(ctl_r)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    kill_descendants()
    oom = groups.remove(dirs) if dirs else False
    with contextlib.suppress(OSError):
        os.write(status_w, json.dumps({"code": code, "oom": oom}).encode())
    # The grader's last word: "end" when it is done with this module altogether. Then the private
    # folder is ours to remove, now that nothing of the student's runs: the grader does not wait
    # for the worker's death (milliseconds at the end of every `grade exerciseN`).
    while chunk := _read_some(ctl_r):
        said += chunk
    if said == END_OF_MODULE and spec.get("root"):
        remove_private_folder(str(spec["root"]))


# What the grader writes on a keeper's control pipe, before closing it, once it is done with the module.
END_OF_MODULE = b"end"


def _read_some(fd: int) -> bytes:
    """Up to a few bytes from the grader's control pipe; b"" at its end (or on an error)."""
    try:
        return os.read(fd, 16)
    except OSError:
        return b""


def remove_private_folder(root: str) -> None:
    """Remove a worker's private folder, opening up the folders the student's code made unreadable."""
    import shutil

    try:
        shutil.rmtree(root)
    except OSError:
        for folder, subdirs, _ in os.walk(root):
            for name in subdirs:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(folder, name), 0o700)
        shutil.rmtree(root, ignore_errors=True)


# Sub-modules a package loads lazily on first use, which every worker would otherwise
# import again after its fork (sympy's diff pulls in combinatorics: ~20 ms a worker).
_LAZY = {"sympy": ("sympy.combinatorics", "sympy.sets.setexpr")}


def _preload(name: str) -> None:
    importlib.import_module(name)
    for sub in _LAZY.get(name, ()):
        with contextlib.suppress(ImportError):
            importlib.import_module(sub)


def serve(fd: int, preload: list[str]) -> None:
    sock = socket.socket(fileno=fd)
    _SOCKET_FD.append(fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    probing = _start_probe()  # namespaces and cgroups, tried in a child while we import
    # The point of a zygote: workers start with numpy loaded. numpy loads linalg and random
    # on first use; importing numpy.random in every worker cost ~30 ms (it pulls in hashlib
    # and libcrypto), more than the rest of a worker's start.
    import numpy.linalg
    import numpy.random  # noqa: F401

    for name in preload:
        _preload(name)
    import grader.datasets  # noqa: F401  (course material, importable by students)
    from grader.sandbox import callables, codec, confine, policy, protocol, worker  # noqa: F401
    from grader.sandbox import landlock as ll

    abi = ll.abi_version()
    rules = policy.open_rules(policy.static_rules()) if abi else []
    groups = _worker_groups()
    probes = _finish_probe(probing) or {"netns": False, "pidns": False, "cgroup": None}
    probes["cgroup"] = groups.hierarchy.describe() if groups else None  # what will really be used
    _PROBES.update(probes)
    sock.sendall(json.dumps({"ready": True, "abi": abi, "pid": os.getpid(), "rules": len(rules),
                             "probes": probes}).encode())
    try:
        _serve_requests(sock, rules, abi, groups)
    finally:
        if groups is not None:
            groups.close()


def _start_probe() -> tuple[int, int]:
    """Fork a child (cheap now, before numpy) that runs `layers.probe()`; (pid, pipe to read)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the probes wait for their own children
            from grader.sandbox.layers import probe

            os.write(write_fd, json.dumps(probe()).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    return pid, read_fd


def _finish_probe(probing: tuple[int, int]) -> dict[str, Any] | None:
    pid, read_fd = probing
    try:
        data = b""
        while chunk := os.read(read_fd, 4096):
            data += chunk
        report = json.loads(data) if data else None
    except (OSError, ValueError):
        report = None
    finally:
        os.close(read_fd)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # SIGCHLD is ignored here, so this may find it already gone
    return report if isinstance(report, dict) else None


def _worker_groups() -> Any:
    """This zygote's cgroup folder for its workers, or None where cgroups cannot be used."""
    from grader.sandbox import cgroups

    hierarchy = cgroups.find()
    if hierarchy is None:
        return None
    try:
        return cgroups.Groups(hierarchy)
    except OSError:
        return None


def _serve_requests(sock: socket.socket, rules: list[tuple[int, int]], abi: int, groups: Any) -> None:
    while True:
        try:
            data, fds, flags, _ = socket.recv_fds(sock, MAX_CONTROL_BYTES, 8)
        except InterruptedError:
            continue
        except OSError:
            return
        if not data:
            return
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
            for extra in fds:
                os.close(extra)
            sock.sendall(b'{"ok": false, "error": "truncated request"}')
            continue
        try:
            request = json.loads(data)
            reply = _handle(request, fds, rules, abi, groups)
        except Exception as exc:  # a malformed request: refuse it, keep serving
            for extra in fds:
                with contextlib.suppress(OSError):
                    os.close(extra)
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sock.sendall(json.dumps(reply).encode())


def _handle(request: dict[str, Any], fds: list[int], rules: list[tuple[int, int]], abi: int,
            groups: Any = None) -> dict[str, Any]:
    op = request.get("op")
    if op == "preload":
        from grader.sandbox.zygote import check_modules

        for name in check_modules(list(request.get("modules", []))):
            _preload(name)
        return {"ok": True}
    if op != "spawn":
        raise ValueError(f"unknown operation {op!r}")
    if len(fds) != 5:
        raise ValueError("spawn needs 5 descriptors")
    # The layers beyond Landlock: where they work here, unless the grader keeps them off.
    allowed = request.get("namespaces") is True
    request = {**request, "netns": allowed and bool(_PROBES.get("netns")),
               "pidns": allowed and bool(_PROBES.get("pidns")),
               "cgroup": allowed and groups is not None}
    pid = os.fork()
    if pid == 0:
        try:
            _close_socket()
            _keeper(request, fds, rules, abi, groups)
        finally:
            os._exit(0)
    for extra in fds:
        os.close(extra)
    return {"ok": True, "pid": pid}


_SOCKET_FD: list[int] = []
_PROBES: dict[str, Any] = {}  # what this machine allows (layers.probe), found at start


def _close_socket() -> None:
    for fd in _SOCKET_FD:
        with contextlib.suppress(OSError):
            os.close(fd)
