"""What a confined worker can reach, probed from inside it (one hostile probe module).

Each probe is what a student would write: try the forbidden thing, report
what happened. Every test also runs with GRADE_SANDBOX_LAYERS=landlock (a
machine without user namespaces or root tricks): the file, TCP, signal and
/proc protections must hold there too, and the weaker level be reported.
"""

from __future__ import annotations

import hashlib
import os
import select
import signal
import socket
import sys
import time
import uuid
from pathlib import Path

import pytest

from grader.sandbox import layers
from grader.sandbox.client import OUTPUT_LIMIT_BYTES, Limits, StudentModule

REPO = Path(__file__).resolve().parent.parent
# Only this (grader) process holds this string: a worker forked from it would too.
GRADER_ONLY_MARKER = "grader-only-" + uuid.uuid4().hex
MARKER_DIGEST = hashlib.sha256(GRADER_ONLY_MARKER.encode()).hexdigest()

PROBE = r'''
import gc, os, signal, socket, sys, time

def try_open(path, mode="rb"):
    try:
        with open(path, mode) as fh:
            if "r" in mode:
                fh.read(16)
            else:
                fh.write(b"x" if "b" in mode else "x")
        return "ok"
    except Exception as exc:
        return type(exc).__name__

def opened(paths, mode="rb"):
    return [p for p in paths if try_open(p, mode) == "ok"]

def listed(paths):
    found = []
    for p in paths:
        try:
            os.listdir(p)
            found.append(p)
        except OSError:
            pass
    return found

def exec_reference(path):
    """Find the reference on disk and run it: the classic cheat."""
    namespace = {}
    try:
        exec(compile(open(path).read(), path, "exec"), namespace)
    except Exception as exc:
        return type(exc).__name__
    return sorted(k for k in namespace if not k.startswith("__"))

def import_without_guard(repo):
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_NoGraderImports"]
    sys.path[:0] = [repo, repo + "/solutions"]
    got = []
    for name in ("solutions.exercise1_update_rule", "grader.solutions.exercise1_update_rule",
                 "exercise1_update_rule", "grader.hidden.test_exercise1", "grader.checking"):
        try:
            __import__(name)
            got.append(name)
        except BaseException:
            pass
    return got

def hang():
    while True:
        pass

def _marker_hits(data, digest):
    import hashlib
    hits, at = 0, data.find(b"grader-only-")
    while at >= 0:
        if hashlib.sha256(data[at:at + 44]).hexdigest() == digest:
            hits += 1
        at = data.find(b"grader-only-", at + 1)
    return hits

def scan_memory(digest):
    """Look for the grader's data everywhere this process can see: modules, objects, raw memory.

    The marker itself is never sent here (it would then be in our memory): only its hash.
    """
    modules = [m for m in sys.modules if m.startswith(("_grader_reference", "grader.hidden", "grader.checking",
                                                       "grader.runner", "pytest", "_pytest"))]
    objects = 0
    for obj in gc.get_objects():
        mod = getattr(obj, "__module__", None)
        if isinstance(mod, str) and mod.startswith(("_grader_reference", "grader.hidden", "grader.checking")):
            objects += 1
    hits = sum(_marker_hits(o if isinstance(o, bytes) else o.encode(errors="ignore"), digest)
               for o in gc.get_objects() if isinstance(o, (str, bytes)))
    try:  # raw memory: through /proc/self/mem, or (non-dumpable, other uid) ctypes on our own mappings
        maps = open("/proc/self/maps").read().splitlines()
    except OSError:
        maps = []
    try:
        mem = open("/proc/self/mem", "rb", 0)
    except OSError:
        mem = None
    import ctypes
    for line in maps:
        fields = line.split()
        if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        try:
            if mem is not None:
                mem.seek(start)
                data = mem.read(end - start)
            else:
                data = ctypes.string_at(start, end - start)
            hits += _marker_hits(data, digest)
        except (OSError, OverflowError, ValueError):
            pass
    return modules, objects, hits

def signal_pid(pid, sig):
    try:
        os.kill(pid, sig)
        return "sent"
    except OSError as exc:
        return type(exc).__name__

def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__

def proc_of(pid):
    found = opened([f"/proc/{pid}/mem", f"/proc/{pid}/environ", f"/proc/{pid}/cmdline", f"/proc/{pid}/maps"])
    found += opened([f"/proc/{pid}/mem"], "r+b")
    found += listed([f"/proc/{pid}/fd", f"/proc/{pid}/root", f"/proc/{pid}/cwd"])
    for fd in range(64):
        if try_open(f"/proc/{pid}/fd/{fd}", "wb") == "ok":
            found.append(f"/proc/{pid}/fd/{fd}")
    return found

def reach_terminal(pid):
    reached = opened(["/dev/tty", "/dev/console", "/dev/pts/0", f"/proc/{pid}/fd/1", f"/proc/{pid}/fd/2"], "wb")
    return reached, os.isatty(0), os.isatty(1), os.isatty(2), os.getsid(0) == os.getpid() or os.getsid(0)

def whoami():
    return os.getuid(), os.geteuid(), os.getcwd()

def my_pid():
    return os.getpid()

def write_own_tmp():
    with open("scratch.txt", "w") as fh:
        fh.write("mine")
    return open("scratch.txt").read()

def flood(megabytes):
    block = "x" * (1 << 20)
    for _ in range(megabytes):
        sys.stdout.write(block)
    return "done"

def big_reply(megabytes):
    return "y" * (megabytes << 20)

def raw_oversized_frame(megabytes):
    import struct
    for fd in range(3, 256):
        try:
            os.write(fd, struct.pack("<Q", megabytes << 20) + b"{")
        except OSError:
            pass
    time.sleep(30)
'''


@pytest.fixture(params=["default", "landlock"])
def mode(request, monkeypatch):
    if request.param == "landlock":
        monkeypatch.setenv(layers.FORCE_ENV, "landlock")
    else:
        monkeypatch.delenv(layers.FORCE_ENV, raising=False)
    layers.plan.cache_clear()
    layers.detect.cache_clear()
    yield request.param
    layers.plan.cache_clear()
    layers.detect.cache_clear()


@pytest.fixture
def probe(tmp_path, mode):
    if layers.detect().filesystem is None:
        pytest.skip("no Landlock on this machine: graded code is not confined (grade doctor says level none)")
    path = tmp_path / "student" / "probe.py"
    path.parent.mkdir()
    path.write_text(PROBE)
    with StudentModule(path, "probe", Limits(call_timeout=20, import_timeout=60)) as module:
        yield module


def value(module, func, *args):
    outcome = module.call(func, *args)
    assert outcome.error is None, outcome.error
    return outcome.value


def _protected(tmp_path: Path) -> list[str]:
    classmate = tmp_path / "classmate" / "exercises" / "exercise1_update_rule.py"
    classmate.parent.mkdir(parents=True)
    classmate.write_text("def gradient_step(*a):\n    return 1\n")
    grade_dir = tmp_path / "student" / ".grade"
    grade_dir.mkdir(parents=True, exist_ok=True)
    (grade_dir / "progress.sqlite3").write_bytes(b"SQLite format 3\0")
    out = tmp_path / "out" / "gradebook.csv"
    out.parent.mkdir()
    out.write_text("student,score\n")
    return [
        str(REPO / "solutions" / "exercise1_update_rule.py"),
        str(REPO / "grader" / "hidden" / "test_exercise1.py"),
        str(REPO / "grader" / "runner.py"),
        str(REPO / "grader" / "sandbox" / "worker.py"),
        str(grade_dir / "progress.sqlite3"),
        str(classmate),
        str(out),
        str(tmp_path / "student" / "probe.py"),  # the original: the worker has a private copy
    ]


def _digest(paths: list[str]) -> dict[str, str]:
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def test_the_weaker_level_is_reported_honestly(mode):
    detected = layers.detect()
    if mode == "landlock":
        assert detected.network is None or "namespace" not in detected.network
        assert detected.level != "full"
    assert detected.as_dict()["level"] == detected.level
    assert detected.cleanup  # the keeper's process-tree kill works everywhere
    if detected.filesystem:
        assert detected.filesystem.startswith("landlock (ABI ")


def test_protected_files_can_be_neither_read_nor_written(probe, tmp_path):
    protected = _protected(tmp_path)
    before = _digest(protected)
    assert value(probe, "opened", protected) == []
    assert value(probe, "opened", protected, "ab") == []
    assert value(probe, "listed", [str(REPO), str(REPO / "solutions"), str(REPO / "grader"), str(tmp_path),
                                   str(tmp_path / "classmate"), "/tmp", "/root", "/home"]) == []
    assert _digest(protected) == before
    assert value(probe, "write_own_tmp") == "mine"  # its private folder is writable


def test_finding_the_reference_on_disk_and_exec_ing_it_fails(probe):
    for path in (REPO / "solutions" / "exercise1_update_rule.py", REPO / "grader" / "hidden" / "test_exercise1.py"):
        assert value(probe, "exec_reference", str(path)) == "PermissionError"


def test_removing_the_import_guard_does_not_reach_the_solutions(probe):
    assert value(probe, "import_without_guard", str(REPO)) == []


def test_a_worker_restarted_after_a_time_out_holds_nothing_of_the_grader(tmp_path, mode):
    if layers.detect().filesystem is None:
        pytest.skip("no Landlock: reading /proc/self/mem is the same either way, but the rest is unconfined")
    import grader.checking  # noqa: F401  (the grader's side holds the checking code ...)
    from grader.catalog import resolve
    from grader.runner import load_reference

    reference = load_reference(resolve("exercise1"))  # ... and the reference
    assert reference.gradient_step is not None
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe", Limits(call_timeout=1, import_timeout=60)) as module:
        first = value(module, "whoami")
        assert module.call("hang").error.kind == "timeout"
        scan = module.call("scan_memory", MARKER_DIGEST, timeout=120)  # only the hang gets 1 s
        assert scan.error is None, scan.error
        modules, objects, hits = scan.value
    assert modules == [] and objects == 0
    assert hits == 0, "the grader's memory reached the worker"
    assert first  # the first worker answered too
    # The scan can fail: run in this (grader) process, the same code finds the marker.
    namespace: dict = {}
    exec(compile(PROBE, "probe", "exec"), namespace)  # our own probe text, not student input
    assert namespace["scan_memory"](MARKER_DIGEST)[2] > 0


def _parent(probe) -> int:
    """The worker's parent on the host: its keeper, or the zygote where it has none."""
    from grader.sandbox.zygote import shared_zygote

    keeper, _ = probe.host_pids
    return keeper or shared_zygote().proc.pid


def test_signals_to_the_grader_and_the_keeper_are_refused(probe):
    assert value(probe, "whoami")
    parent = _parent(probe)
    assert parent > 1
    for pid in (os.getpid(), parent, os.getppid()):
        for sig in (signal.SIGSTOP, signal.SIGKILL, signal.SIGTERM):
            assert value(probe, "signal_pid", pid, int(sig)) != "sent", (pid, sig)
    assert Path(f"/proc/{parent}").exists()


def test_grader_proc_entries_are_unreadable(probe):
    assert value(probe, "whoami")
    # pid 1: the machine's init, unless the worker is itself the first process of its own namespace
    others = [os.getpid(), _parent(probe)] + ([] if value(probe, "my_pid") == 1 else [1])
    for pid in others:
        assert value(probe, "proc_of", pid) == []


def test_tcp_to_a_loopback_listener_is_refused(probe):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert value(probe, "connect", port) != "connected"
        ready, _, _ = select.select([server], [], [], 0.2)
        assert not ready  # nobody knocked


def test_the_terminal_and_the_graders_output_are_unreachable(probe):
    reached, *ttys, _session = value(probe, "reach_terminal", os.getpid())
    assert reached == []
    assert ttys == [False, False, False]


def test_an_output_flood_is_cut_at_the_limit_with_a_clear_message(probe):
    start = time.monotonic()
    outcome = probe.call("flood", 300)
    assert outcome.error is not None and "output limit" in outcome.error.message
    assert probe._log.stat().st_size <= OUTPUT_LIMIT_BYTES
    assert time.monotonic() - start < 60
    assert value(probe, "whoami")  # restarted for the next call


def test_a_huge_reply_is_refused_with_a_clear_message(probe):
    # A generous CPU limit: building and encoding 60 MB takes most of the 0.5 s default on a slow
    # machine, and this test is about the size, not the time.
    outcome = probe.call("big_reply", 60, timeout=10)
    assert outcome.error is not None and outcome.error.type == "ReplyTooLarge"
    assert "limit" in outcome.error.message
    outcome = probe.call("raw_oversized_frame", 60)  # bypassing the worker's own check
    assert outcome.error is not None and outcome.error.type == "ReplyTooLarge"
    assert value(probe, "whoami")


def test_the_worker_drops_root(probe):
    uid, euid, cwd = value(probe, "whoami")
    plan = layers.plan()
    if os.geteuid() == 0 and plan.uid is not None:
        assert uid == euid == plan.uid
    assert "grade-worker-" in cwd


def test_no_capabilities_left_when_the_worker_keeps_uid_0(tmp_path, mode):
    plan = layers.plan()
    if os.geteuid() != 0 or not plan.drop_caps:
        pytest.skip("only when the grader runs as root and uid 65534 cannot read the interpreter")
    path = tmp_path / "caps.py"
    path.write_text("def caps():\n    return [l for l in open('/proc/self/status') if l.startswith('Cap')]\n")
    with StudentModule(path, "caps") as module:
        lines = value(module, "caps")
    assert all(line.split()[1] == "0" * 16 for line in lines), lines


def test_grader_process_is_still_fine():
    assert sys.modules["grader.sandbox.client"]
