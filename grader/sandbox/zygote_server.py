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

One process, where the zygote may enter its own PID namespace again (root):
then it forks the worker straight into a new namespace (`unshare` before the
fork, `setns` back after it) and does the keeper's work itself, for every
worker at once (`_Watched`, `_serve_requests`). A worker's fork, faults and
exit are then all a student costs; the keeper's were a third of them. Nothing
of the student's can outlive its worker there (the kernel ends a namespace with
its pid 1), which is what the keeper's subreaper was for. There the next worker
is forked ahead of its request (`_Spare`): it enters its namespace and its cgroup
while the grader is busy with the previous student, and waits for the request on
a socket only the zygote holds.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import socket
import time
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
    if probes.get("fold") and probes.get("pidns"):
        try:
            _OWN_PID_NAMESPACE.append(os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC))
        except OSError:
            _PROBES["fold"] = False
        else:
            # Workers (and keepers) are reaped here, through their pidfds, to learn how they ended.
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sock.sendall(json.dumps({"ready": True, "abi": abi, "pid": os.getpid(), "rules": len(rules),
                             "probes": probes}).encode())
    try:
        _make_spare(rules, abi, groups)
        _serve_requests(sock, rules, abi, groups)
    finally:
        _discard_spares(groups)
        _end_workers(groups)
        _remove_keepers_folders()
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

            report = probe()
            report["fold"] = _can_fold()
            os.write(write_fd, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    return pid, read_fd


def _can_fold() -> bool:
    """Can this process fork workers into new PID namespaces and come back (root, allowed to setns)?"""
    if os.geteuid() != 0:
        return False
    from grader.sandbox.confine import pid_namespace_round_trip

    try:
        own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        pid_namespace_round_trip(own)
    except OSError:
        return False
    finally:
        os.close(own)
    return True


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


class _Watched:
    """A child the zygote watches: a worker it forked itself (the keeper's work is then its own), or a keeper."""

    def __init__(self, pid: int, *, ctl_r: int = -1, status_w: int = -1, dirs: list[str] | None = None,
                 root: str = "") -> None:
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.keeper = ctl_r < 0  # a keeper watches its own control pipe and reports itself
        self.ctl_r = ctl_r
        self.status_w = status_w
        self.dirs = dirs or []
        self.root = root
        self.said = b""
        self.alive = True

    def fds(self) -> list[int]:
        return [fd for fd in (self.pidfd, self.ctl_r, self.status_w) if fd >= 0]

    def close(self, fd_name: str) -> None:
        fd = getattr(self, fd_name)
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
            setattr(self, fd_name, -1)


_WATCHED: dict[int, _Watched] = {}  # pidfd or control pipe -> its child


def _watch(child: _Watched) -> None:
    _WATCHED[child.pidfd] = child
    if child.ctl_r >= 0:
        _WATCHED[child.ctl_r] = child


def _ended(child: _Watched, groups: Any) -> None:
    """The child's pidfd is readable: reap it; for a worker, report how it ended, as a keeper would."""
    _WATCHED.pop(child.pidfd, None)
    try:
        _, status = os.waitpid(child.pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        code = -signal.SIGKILL
    child.close("pidfd")
    child.alive = False
    if child.keeper:
        return
    # The worker was pid 1 of its namespace: the kernel has ended all it started with it.
    oom = groups.remove(child.dirs) if child.dirs and groups is not None else False
    with contextlib.suppress(OSError):
        os.write(child.status_w, json.dumps({"code": code, "oom": oom}).encode())
    child.close("status_w")
    if child.ctl_r < 0:
        _finished(child)


def _told(child: _Watched) -> None:
    """The grader wrote on (or closed) a worker's control pipe: the worker is to end."""
    if child.alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
    chunk = _read_some(child.ctl_r)
    if chunk:
        child.said += chunk
        return
    _WATCHED.pop(child.ctl_r, None)
    child.close("ctl_r")
    if not child.alive:
        _finished(child)


def _end_workers(groups: Any) -> None:
    """The grader is gone: end the workers this process forked itself, reap them, remove their groups
    and their private folders (a grader that was SIGKILLed never says "end", and nobody else would)."""
    for child in {id(c): c for c in _WATCHED.values()}.values():
        if child.keeper:  # keepers end themselves
            continue
        if child.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
            _ended(child, groups)
        if child.root and os.path.isdir(child.root):
            remove_private_folder(child.root)


# keeper pid -> (a pidfd on it, or -1 if it was already gone; its worker's private folder). A keeper
# removes the folder only when told "end": on a close alone the grader may still read the output log
# (a worker killed on a time-out). A grader that was SIGKILLed says neither, so its zygote removes
# what is left once the keepers are gone.
_KEEPERS_FOLDERS: dict[int, tuple[int, str]] = {}
_PRUNE_AT = 64  # entries; folders that are gone (nearly all) are dropped then, so it stays small


def _remember_keepers_folder(pid: int, root: str) -> None:
    if len(_KEEPERS_FOLDERS) >= _PRUNE_AT:
        for old, (pidfd, folder) in list(_KEEPERS_FOLDERS.items()):
            if not os.path.isdir(folder):
                _forget_keeper(old, pidfd)
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:  # it ended already (and was reaped: SIGCHLD is ignored here)
        pidfd = -1
    previous = _KEEPERS_FOLDERS.pop(pid, None)
    if previous is not None:  # a pid used again: that keeper is long gone
        _forget_keeper(pid, previous[0])
    _KEEPERS_FOLDERS[pid] = (pidfd, root)


def _forget_keeper(pid: int, pidfd: int) -> None:
    _KEEPERS_FOLDERS.pop(pid, None)
    if pidfd >= 0:
        with contextlib.suppress(OSError):
            os.close(pidfd)


def _remove_keepers_folders(grace: float = 10.0) -> None:
    """The grader is gone: once each keeper has ended (its control pipe closed with the grader, so it
    kills its worker and all it started), remove the private folder it was not told to remove."""
    deadline = time.monotonic() + grace
    for pid, (pidfd, folder) in list(_KEEPERS_FOLDERS.items()):
        if os.path.isdir(folder):
            if pidfd >= 0:  # poll, not select: a batch's zygote may hold fds past select's 1024
                waiting = select.poll()
                waiting.register(pidfd, select.POLLIN)
                with contextlib.suppress(OSError):
                    waiting.poll(max(0.0, deadline - time.monotonic()) * 1000)
            remove_private_folder(folder)
        _forget_keeper(pid, pidfd)


def _finished(child: _Watched) -> None:
    # As the keeper does: the private folder is removed once nothing of the student's runs and
    # the grader has said it is done with the module.
    if child.said == END_OF_MODULE and child.root:
        remove_private_folder(child.root)


def _serve_requests(sock: socket.socket, rules: list[tuple[int, int]], abi: int, groups: Any) -> None:
    while True:
        if _WATCHED:
            try:
                ready, _, _ = select.select([sock, *_WATCHED], [], [])
            except InterruptedError:
                continue
            for fd in ready:
                child = _WATCHED.get(fd)
                if child is None:
                    continue
                if fd == child.pidfd:
                    _ended(child, groups)
                else:
                    _told(child)
            if sock not in ready:
                continue
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
        if reply.get("worker", -1) > 0:  # a worker forked here (not a keeper's): fork the next one now,
            _make_spare(rules, abi, groups)  # after the reply, so the grader does not wait for it


def _handle(request: dict[str, Any], fds: list[int], rules: list[tuple[int, int]], abi: int,
            groups: Any = None) -> dict[str, Any]:
    op = request.get("op")
    if op == "preload":
        from grader.sandbox.zygote import check_modules

        _discard_spares(groups)  # forked before these imports: the next workers must have them
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
    if request["pidns"] and _OWN_PID_NAMESPACE and request.get("keeper") is not True:
        return _spawn_worker(request, fds, rules, abi, groups)
    pid = os.fork()
    if pid == 0:
        try:
            _close_socket()
            _keeper(request, fds, rules, abi, groups)
        finally:
            os._exit(0)
    for extra in fds:
        os.close(extra)
    if _OWN_PID_NAMESPACE:  # SIGCHLD is not ignored here: reap the keeper when it ends
        _watch(_Watched(pid))
    if request.get("root"):
        _remember_keepers_folder(pid, str(request["root"]))
    return {"ok": True, "pid": pid}


def _spawn_worker(request: dict[str, Any], fds: list[int], rules: list[tuple[int, int]], abi: int,
                  groups: Any) -> dict[str, Any]:
    """Fork the worker as pid 1 of a new PID namespace, with no keeper: this process watches it."""
    from grader.sandbox.confine import CLONE_NEWPID, EXIT_CONFINEMENT_FAILED, unshare

    req_r, resp_w, ctl_r, status_w, log_fd = fds
    spec = request
    if spec.get("cgroup") and groups is not None:
        spare = _take_spare()
        if spare is not None and spare.start(spec, fds, groups):
            _watch(_Watched(spare.pid, ctl_r=ctl_r, status_w=status_w, dirs=spare.dirs,
                            root=str(spec.get("root") or "")))
            return {"ok": True, "pid": spare.pid, "worker": spare.pid}
    dirs: list[str] = []
    try:
        if groups is not None and spec.get("cgroup"):
            from grader.sandbox.cgroups import MAX_TASKS

            _SPAWNED[0] += 1  # one memory and process budget for the worker and all it starts
            dirs = groups.create(f"w{_SPAWNED[0]}", int(spec.get("memory", 0)), MAX_TASKS)
            spec = {**spec, "cgroup_dirs": dirs}
        unshare(CLONE_NEWPID)
    except OSError:
        if dirs:
            groups.remove(dirs)
        with contextlib.suppress(OSError):
            os.write(status_w, json.dumps({"code": EXIT_CONFINEMENT_FAILED}).encode())
        for fd in fds:
            os.close(fd)
        return {"ok": True, "pid": -1}
    pid = _fork_into_the_new_namespace()
    if pid == 0:
        try:
            _close_the_zygotes_fds(ctl_r, status_w)
            from grader.sandbox.confine import enter_worker

            # Its parent is outside its namespace: getppid() says 0 there.
            enter_worker(spec, req_r, resp_w, log_fd, rules, abi, 0, first_in_namespace=True)
        finally:
            os._exit(70)
    for fd in (req_r, resp_w, log_fd):
        os.close(fd)
    _watch(_Watched(pid, ctl_r=ctl_r, status_w=status_w, dirs=dirs, root=str(spec.get("root") or "")))
    return {"ok": True, "pid": pid, "worker": pid}


def _fork_into_the_new_namespace() -> int:
    """fork() after unshare(CLONE_NEWPID): the child is pid 1 there; the parent goes back to its own."""
    from grader.sandbox.confine import CLONE_NEWPID, EXIT_CONFINEMENT_FAILED, setns

    me = os.getpid()
    try:
        return os.fork()
    finally:
        # Back in our own namespace for the next child, in the parent only. Should that fail, no
        # later fork could be trusted to land where it must: end the zygote (the grader starts another).
        if os.getpid() == me:
            try:
                setns(_OWN_PID_NAMESPACE[0], CLONE_NEWPID)
            except OSError:
                os._exit(EXIT_CONFINEMENT_FAILED)


def _close_the_zygotes_fds(*extra: int) -> None:
    """In a child forked here: drop the grader's socket, every other student's pipes and the namespace fd."""
    _close_socket()
    for other in {id(c): c for c in _WATCHED.values()}.values():
        for fd in other.fds():
            with contextlib.suppress(OSError):
                os.close(fd)
    for fd in (*extra, *_OWN_PID_NAMESPACE, *(pidfd for pidfd, _ in _KEEPERS_FOLDERS.values() if pidfd >= 0)):
        os.close(fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)


class _Spare:
    """A child forked ahead of the next request, already pid 1 of its own PID namespace and inside
    its own cgroup, waiting on a socket for what to become (`start`).

    Moving a process into a cgroup waits for an RCU grace period (the kernel's cgroup threadgroup
    lock): 8 to 16 ms here, with nothing to do meanwhile, on the way of every grading. A spare
    moves while the grader is busy with the previous student.
    """

    def __init__(self, pid: int, sock: socket.socket, dirs: list[str]) -> None:
        self.pid = pid
        self.sock = sock
        self.dirs = dirs

    def start(self, spec: dict[str, Any], fds: list[int], groups: Any) -> bool:
        """Hand it the request; False (and it is gone) when it cannot take it."""
        req_r, resp_w, _ctl_r, _status_w, log_fd = fds
        try:
            groups.limit(self.dirs, int(spec.get("memory", 0)))
            socket.send_fds(self.sock, [json.dumps(spec).encode()], [req_r, resp_w, log_fd])
        except OSError:
            self.discard(groups)
            return False
        self.sock.close()
        for fd in (req_r, resp_w, log_fd):
            os.close(fd)
        return True

    def discard(self, groups: Any) -> None:
        """End an unused spare (a changed zygote, or the end) and remove its group."""
        self.sock.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        if groups is not None:
            groups.remove(self.dirs)


_SPARES: list[_Spare] = []


def _take_spare() -> _Spare | None:
    return _SPARES.pop() if _SPARES else None


def _discard_spares(groups: Any) -> None:
    while _SPARES:
        _SPARES.pop().discard(groups)


def _make_spare(rules: list[tuple[int, int]], abi: int, groups: Any) -> None:
    """Fork the next worker ahead of its request, where workers are forked here and have cgroups."""
    from grader.sandbox.cgroups import MAX_TASKS, join
    from grader.sandbox.confine import CLONE_NEWPID, EXIT_CONFINEMENT_FAILED, PR_SET_PDEATHSIG, prctl, unshare

    if _SPARES or groups is None or not _OWN_PID_NAMESPACE or not _PROBES.get("pidns"):
        return
    _SPAWNED[0] += 1
    try:
        dirs = groups.create(f"w{_SPAWNED[0]}", 0, MAX_TASKS)
    except OSError:
        return
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        unshare(CLONE_NEWPID)
    except OSError:
        ours.close()
        theirs.close()
        groups.remove(dirs)
        return
    pid = _fork_into_the_new_namespace()
    if pid == 0:
        try:
            ours.close()
            _close_the_zygotes_fds()
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote gone: so is the spare
            join(dirs)
            _serve_as_spare(theirs, rules, abi)
        finally:
            os._exit(EXIT_CONFINEMENT_FAILED)
    theirs.close()
    _SPARES.append(_Spare(pid, ours, dirs))


def _serve_as_spare(sock: socket.socket, rules: list[tuple[int, int]], abi: int) -> None:
    """In the spare: wait for the request, then become its worker (never returns)."""
    from grader.sandbox.confine import enter_worker

    try:
        data, fds, _, _ = socket.recv_fds(sock, 4 * MAX_CONTROL_BYTES, 3)  # the request and the zygote's additions
    except OSError:
        os._exit(0)
    sock.close()
    if not data or len(fds) != 3:
        os._exit(0)  # the zygote ended, or discarded this spare
    spec = json.loads(data)
    req_r, resp_w, log_fd = fds
    # Already in its group: enter_worker joins none.
    enter_worker({**spec, "cgroup_dirs": []}, req_r, resp_w, log_fd, rules, abi, 0, first_in_namespace=True)


_SOCKET_FD: list[int] = []
_PROBES: dict[str, Any] = {}  # what this machine allows (layers.probe), found at start
_OWN_PID_NAMESPACE: list[int] = []  # /proc/self/ns/pid, held where workers need no keeper
_SPAWNED = [0]


def _close_socket() -> None:
    for fd in _SOCKET_FD:
        with contextlib.suppress(OSError):
            os.close(fd)
