"""Hostile submissions graded end to end by `grade exercise1`, as a student would hand them in.

Each one is the untouched stub (worth 0) plus an attack. Every case asserts:
no unearned point, no change to any protected file (hashed before and
after), nothing the student started still running once `grade` returned,
and a bounded run. Also run with GRADE_SANDBOX_LAYERS=landlock (no
namespaces, no root tricks): the file-system cases must hold there too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from helpers import REPO, make_workspace, run_grade

from grader.sandbox import layers
from grader.stubs import stub_source

FILE = "exercise1_update_rule.py"
STUB = stub_source(FILE)

ATTACKS = {
    # Find the reference on disk and run it in place of the stubs.
    "exec_reference": """
import glob, os, sys
for _root in [{repo!r}, *sys.path]:
    for _path in glob.glob(os.path.join(_root, "*", "exercise1_update_rule.py")) + glob.glob(
            os.path.join(_root, "grader", "*", "exercise1_update_rule.py")) + [
            os.path.join(_root, "solutions", "exercise1_update_rule.py")]:
        try:
            exec(compile(open(_path).read(), _path, "exec"), globals())
        except Exception:
            pass
""",
    # Remove the import guard, then import the solutions.
    "import_guard": """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_NoGraderImports"]
sys.path[:0] = [{repo!r}, {repo!r} + "/solutions"]
for _name in ("grader.solutions.exercise1_update_rule", "solutions.exercise1_update_rule", "exercise1_update_rule"):
    try:
        _mod = __import__(_name, fromlist=["*"])
        globals().update({{k: getattr(_mod, k) for k in dir(_mod) if not k.startswith("_")}})
    except BaseException:
        pass
""",
    # Overwrite everything worth overwriting.
    "writes": """
import os
for _path in {protected!r}:
    for _mode in ("a", "w"):
        try:
            with open(_path, _mode) as _fh:
                _fh.write("def gradient_step(*a):\\n    return 0\\n")
        except OSError:
            pass
    try:
        os.remove(_path)
    except OSError:
        pass
    try:
        os.symlink(_path, "link")
        open("link", "w").write("x")
    except OSError:
        pass
""",
    # A daemon that outlives grading and then rewrites results / the progress store.
    "daemon": """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)
        for _path in {protected!r} + [{results!r}]:
            try:
                open(_path, "w").write("{{\\"score\\": 999}}")
            except OSError:
                pass
        while True:
            time.sleep(1)
    os._exit(0)
""",
    # Stop or kill the grader and the processes around us.
    "signals": """
import os, signal
for _pid in (os.getppid(), {grader_pid}, 1):
    for _sig in (signal.SIGSTOP, signal.SIGTERM):
        try:
            os.kill(_pid, _sig)
        except OSError:
            pass
""",
    # Children that together want far more than the memory limit (--memory-mb 512).
    "memory_children": """
import os, time
_kids = []
for _ in range(3):
    _pid = os.fork()
    if _pid == 0:
        try:
            _hog = bytearray(300 * 1024 * 1024)
            time.sleep(60)
        finally:
            os._exit(0)
    _kids.append(_pid)
""",
    # 300 MB on stdout.
    "flood": """
import sys
_block = "x" * (1 << 20)
for _ in range(300):
    sys.stdout.write(_block)
""",
    # A fake report on every output channel we might share with the grader.
    "tty": """
import os
_fake = '{{"score": 15, "max_score": 15, "tests": []}}'
for _path in ("/dev/tty", "/proc/{grader_pid}/fd/1", "/proc/{grader_pid}/fd/2", "/dev/console"):
    try:
        with open(_path, "w") as _fh:
            _fh.write(_fake)
    except OSError:
        pass
print(_fake)
os.write(1, _fake.encode())
""",
}


@pytest.fixture(params=["default", "landlock"])
def env_mode(request):
    env = {} if request.param == "default" else {layers.FORCE_ENV: "landlock"}
    layers.plan.cache_clear()
    layers.detect.cache_clear()
    if request.param == "landlock":
        os.environ[layers.FORCE_ENV] = "landlock"
    try:
        confined = layers.detect().filesystem is not None
    finally:
        os.environ.pop(layers.FORCE_ENV, None)
        layers.plan.cache_clear()
        layers.detect.cache_clear()
    if not confined:
        pytest.skip("no Landlock on this machine (grade doctor: level none): nothing is confined")
    return env


def _protected(tmp_path: Path, workspace: Path) -> list[Path]:
    classmate = tmp_path / "classmate" / "exercises" / FILE
    classmate.parent.mkdir(parents=True)
    classmate.write_text(STUB)
    out = tmp_path / "out" / "gradebook.csv"
    out.parent.mkdir()
    out.write_text("student,exercise1\n")
    from grader.progress import ProgressStore

    store = workspace / ".grade" / "progress.sqlite3"
    ProgressStore(store).record_attempt(1, 3.0, 15.0, seed=1, file_sha="abc")
    return [
        REPO / "solutions" / FILE,
        REPO / "grader" / "hidden" / "test_exercise1.py",
        REPO / "grader" / "hidden" / "conftest.py",
        REPO / "grader" / "runner.py",
        REPO / "grader" / "checking.py",
        REPO / "grader" / "sandbox" / "worker.py",
        store,
        classmate,
        out,
    ]


def _digest(paths: list[Path]) -> dict[str, str | None]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths}


def _ticks_now() -> int:
    with open("/proc/uptime") as fh:
        return int(float(fh.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def _stat(pid: str) -> list[str]:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rpartition(")")[2].split()


def _ours(pid: str, grade: str) -> bool:
    """A descendant of this test process (its own zygote and workers), not of a `grade` run."""
    me = str(os.getpid())
    for _ in range(64):
        if pid == grade:
            return False
        if pid == me:
            return True
        try:
            pid = _stat(pid)[1]
        except OSError:
            return False
        if pid in ("0", "1"):
            return False
    return False


def _processes_under(folder: Path, since: int = 0, grade: int = 0) -> list[str]:
    """Processes a grading run left behind.

    Any process whose working directory is inside `folder` (the run's private
    temp dirs). Where that cannot be read (not root: workers are non-dumpable),
    any process of this user forked from a zygote (its command line names the
    zygote module) started since `since` (clock ticks since boot) that is not
    this test process's own.
    """
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cwd: str | None = os.readlink(f"/proc/{name}/cwd")
        except OSError:
            cwd = None  # a non-dumpable worker of ours, or another user's process
        if cwd is not None:  # exact: inside this run's private folders or not
            if cwd.startswith(str(folder)):
                found.append(f"{name} {cwd}")
            continue
        if not since:
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                cmdline = fh.read()
            with open(f"/proc/{name}/status") as fh:
                uid = next(int(line.split()[1]) for line in fh if line.startswith("Uid:"))
            fields = _stat(name)
        except (OSError, StopIteration):
            continue
        # Other users' processes (the machine may be shared) are not ours to judge.
        if uid == os.getuid() and b"grader.sandbox.zygote_server" in cmdline and int(fields[19]) >= since \
                and fields[0] != "Z" and not _ours(name, str(grade)):
            found.append(f"{name} (from a zygote)")
    return found


def _left_running(folder: Path, since: int, grace: float = 15.0) -> list[str]:
    """What is still running after `grace` seconds (the zygote exits just after `grade` does)."""
    deadline = time.monotonic() + grace
    while (found := _processes_under(folder, since)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def _left_in(folder: Path, grace: float = 15.0) -> list[str]:
    """What is still in `folder` after `grace` seconds. `grade` does not wait for its zygote: the
    zygote removes the last worker's private folder once that worker is dead, a few ms after `grade`
    returned (up to 35 ms measured under load, with a worker whose children held 900 MB)."""
    deadline = time.monotonic() + grace
    while (found := sorted(p.name for p in folder.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


@pytest.fixture
def run_tmp():
    """TMPDIR for one grading run: its private folders land here (enterable by a worker's uid 65534)."""
    folder = Path(tempfile.mkdtemp(prefix="grade-attack-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# What the stub's own feedback says once the attack ran: proof that the worker did run the file.
EXPECTED = {"flood": "output limit"}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_earns_nothing_changes_nothing_leaves_nothing(attack, env_mode, tmp_path, run_tmp):
    workspace = tmp_path / "student"
    tmp = run_tmp
    protected = _protected(tmp_path, make_workspace(workspace, {}))
    results = workspace / "results.json"
    code = ATTACKS[attack].format(repo=str(REPO), protected=[str(p) for p in protected],
                                  results=str(results), grader_pid=os.getpid())
    make_workspace(workspace, {FILE: STUB + "\n" + code})
    before = _digest(protected)
    start = time.monotonic()
    since = _ticks_now()
    proc = run_grade("exercise1", "--json", "--seed", "5", "--no-record", "--timeout", "3", "--memory-mb", "512",
                     "--path",
                     str(workspace), env={**env_mode, "TMPDIR": str(tmp)}, timeout=240)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)  # exactly one JSON document: ours
    assert result["score"] == 0, [t["name"] for t in result["tests"] if t["score"]]
    expected = EXPECTED.get(attack, "not implemented yet")
    assert any(expected in t["output"] for t in result["tests"]), result["tests"][0]["output"]
    assert elapsed < 180
    if attack == "daemon":
        time.sleep(5)  # the daemon would have written by now
    assert _digest(protected) == before
    assert not results.exists()
    assert _left_running(tmp, since) == []
    assert _left_in(tmp) == []  # private folders removed


def test_the_memory_bound_is_reported_as_it_is():
    """Without a cgroup, children are limited one by one: doctor must not claim more."""
    memory = layers.detect().memory or ""
    if not memory.startswith("cgroup"):
        assert "per process" in memory
        assert layers.detect().level != "full"


def test_sigterm_and_sigkill_of_grade_leave_no_worker(tmp_path, run_tmp):
    """`grade` killed mid-run: the keeper sees its pipe close and kills the worker and its children."""
    hang = STUB + """
import os, time
if os.fork() == 0:
    os.setsid()
    while True:
        time.sleep(1)

def gradient_step(*args):
    while True:
        pass
"""
    workspace = make_workspace(tmp_path / "student", {FILE: hang})
    for sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGINT):
        tmp = run_tmp / sig.name
        tmp.mkdir(mode=0o711)
        since = _ticks_now()
        proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", "exercise1", "--no-record", "--timeout", "60",
             "--path", str(workspace)],
            env={**os.environ, "TMPDIR": str(tmp)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(_processes_under(tmp, since, proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # at least the worker and its daemon
        assert len(_processes_under(tmp, since, proc.pid)) >= 2, "the worker never started"
        time.sleep(2)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        assert _left_running(tmp, since, grace=20) == [], sig


def test_a_submission_that_is_a_symlink_to_the_reference_is_refused(tmp_path):
    workspace = make_workspace(tmp_path / "student", {})
    (workspace / "exercises" / FILE).symlink_to(REPO / "solutions" / FILE)
    proc = run_grade("exercise1", "--json", "--no-record", "--path", str(workspace))
    result = json.loads(proc.stdout)
    assert proc.returncode == 1 and result["score"] == 0
    # refused at import: said once for the exercise, and every test points to it
    assert "symbolic link" in result["extra_data"]["exercises"][0]["import_error"]
    assert all("could not be imported" in t["output"] for t in result["tests"])
