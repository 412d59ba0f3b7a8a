"""The zygote: a clean per-process service that forks every worker, restarted when it dies."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from grader.sandbox.client import StudentModule
from grader.sandbox.zygote import ZygoteError, check_modules, shared_zygote, shutdown_shared

PROBE = """
import os, sys

def modules():
    return sorted(sys.modules)

def parent_chain():
    return os.getpid(), os.getppid()
"""


def _modules_of(pid: int) -> str:
    with open(f"/proc/{pid}/maps") as fh:
        return fh.read()


def test_the_zygote_holds_no_reference_and_no_checking_code(tmp_path):
    from grader.catalog import resolve
    from grader.runner import load_reference

    load_reference(resolve("exercise1"))  # this process holds it; the zygote must not
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe", preload=("sympy",)) as module:
        names = module.call("modules").value
    assert "sympy" in names and "numpy" in names
    grader_modules = [n for n in names if n == "grader" or n.startswith("grader.")]
    assert set(grader_modules) <= {"grader", "grader.sandbox", "grader.sandbox.codec", "grader.sandbox.callables",
                                   "grader.sandbox.protocol", "grader.sandbox.worker", "grader.datasets"}
    assert not [n for n in names if n.startswith(("_grader_reference", "pytest", "_pytest", "solutions"))]
    # Nor are the solutions' or hidden tests' files mapped into the zygote.
    maps = _modules_of(shared_zygote().proc.pid)
    assert "solutions" not in maps and "hidden" not in maps


def test_a_preload_reaches_the_next_worker_even_one_forked_before_it(tmp_path):
    """The zygote may fork the next worker ahead of its request; a preload request comes between."""
    shutdown_shared()  # a zygote that has not imported sympy yet
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe") as module:
        assert "sympy" not in module.call("modules").value
    with StudentModule(path, "probe", preload=("sympy",)) as module:
        assert "sympy" in module.call("modules").value


def test_a_dead_zygote_is_restarted_on_the_next_request(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    first = shared_zygote()
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait()
    with StudentModule(path, "probe") as module:
        worker, _ = module.call("parent_chain").value
    second = shared_zygote()
    assert second is not first and second.alive()
    assert worker != second.proc.pid


def test_a_forked_child_process_gets_its_own_zygote(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    parent_zygote = shared_zygote().proc.pid
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            with StudentModule(path, "probe") as module:
                ok = module.call("modules").error is None
            mine = shared_zygote().proc.pid
            os.write(write, f"{int(ok)} {mine}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    ok, child_zygote = os.read(read, 100).split()
    assert ok == b"1" and int(child_zygote) != parent_zygote
    assert shared_zygote().proc.pid == parent_zygote and shared_zygote().alive()


def test_malformed_and_refused_requests_keep_the_zygote_serving(tmp_path):
    zygote = shared_zygote()
    with pytest.raises(ZygoteError):
        zygote.spawn({"path": "/nonexistent"}, [])  # no descriptors
    with pytest.raises(ValueError):
        check_modules(["grader.solutions.exercise1_update_rule"])
    with pytest.raises(ValueError):
        check_modules(["os; import grader"])
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    with StudentModule(path, "probe") as module:
        assert module.call("modules").error is None
    assert zygote.alive()


@pytest.mark.parametrize("layout", ["no keeper", "keeper"])
def test_closing_a_module_ends_its_worker_and_keeper_at_once(tmp_path, monkeypatch, layout):
    from grader.sandbox.layers import KEEPER_ENV

    if layout == "keeper":
        monkeypatch.setenv(KEEPER_ENV, "1")
    path = tmp_path / "probe.py"
    path.write_text(PROBE + "\nimport time\ndef sleep():\n    time.sleep(60)\n")
    module = StudentModule(path, "probe")
    assert module.call("parent_chain").error is None
    # Host pids, seen from here (inside a PID namespace the worker is pid 1); no keeper where the
    # zygote forks the worker into its namespace itself.
    keeper, worker = module.host_pids
    assert worker > 0
    module.submit("sleep")
    start = time.monotonic()
    module.close()
    assert time.monotonic() - start < 10
    for pid in (worker, keeper or worker):
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)


LITTERS = """
import os, threading, time

def litter():
    # a folder it cannot read back, and a thread that keeps writing files until it is killed
    os.makedirs("locked/inner")
    open("locked/inner/data.txt", "w").write("x")
    os.chmod("locked", 0)
    def write():
        n = 0
        while True:
            with open(f"file{n % 50}.txt", "w") as fh:
                fh.write("y" * 1000)
            n += 1
    threading.Thread(target=write, daemon=True).start()
    time.sleep(0.05)
    return sorted(os.listdir("."))

def quits():
    os._exit(3)
"""


@pytest.mark.parametrize("ending", ["running", "crashed"])
def test_the_private_folder_is_gone_after_close_whoever_removes_it(tmp_path, ending):
    """close() leaves a live worker's folder to its keeper (it does not wait for the worker to die);
    after a crash the grader removes the folder itself. Either way nothing is left, even where the
    student's code locked a folder and kept writing files."""
    path = tmp_path / "litter.py"
    path.write_text(LITTERS)
    module = StudentModule(path, "litter")
    root = module._dirs.root
    outcome = module.call("litter")
    assert outcome.error is None and "locked" in outcome.value
    if ending == "crashed":
        assert module.call("quits").error.kind == "crash"
    module.close()
    deadline = time.monotonic() + 10
    while root.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not root.exists()
    module.close()  # twice is harmless


def _alive(pid: int) -> bool:
    """Running (a zombie awaiting its reaper is already dead)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_call_limits_follow_the_reference_time():
    from grader.sandbox.client import Limits

    limits = Limits(call_timeout=5, time_floor=3, time_factor=100)
    assert limits.call_limit(None, timed_out_before=False) == 3  # no reference time: never below the floor
    assert Limits().call_limit(None, timed_out_before=False) == 0.5  # the unmeasured limit
    assert Limits(call_timeout=0.5).call_limit(None, timed_out_before=False) == 0.5  # never over the ceiling
    assert limits.call_limit(0.001, timed_out_before=False) == 3  # a fast reference: the floor
    assert limits.call_limit(0.04, timed_out_before=False) == 4
    assert limits.call_limit(1.0, timed_out_before=False) == 5
    assert limits.call_limit(1.0, timed_out_before=True) == limits.repeat_limit == 0.1  # timed out once:
    # never the full limit again
    assert Limits(call_timeout=1, adaptive=False).call_limit(0.0, timed_out_before=True) == 1


def test_a_submission_that_hangs_everywhere_is_bounded_by_its_budget(tmp_path):
    from grader.sandbox.client import Limits

    path = tmp_path / "hang.py"
    path.write_text("".join(f"def g{i}():\n    while True:\n        pass\n" for i in range(5)))
    # The budget counts wall seconds; so do these calls' limits (cpu_time=False), so that the arithmetic
    # below holds on a loaded machine too (a CPU-second limit of 1 s is 2 s of wall time at half a core).
    limits = Limits(call_timeout=5, time_floor=1, time_factor=1, submission_budget=2.9, cpu_time=False)
    start = time.monotonic()
    with StudentModule(path, "hang", limits) as module:
        # submit ... result with nothing in between: a near-zero reference time (×1), so the floor applies
        outcomes = [module.submit(f"g{i}").result() for i in range(5)]
    assert time.monotonic() - start < 30
    messages = [o.error.message for o in outcomes]
    assert "within 1 s" in messages[0] and "within 1 s" in messages[1]
    # what is left of the budget: 0.9 s, less the two kills after the first time-outs (they count too)
    assert re.search(r"within 0\.\d+ s \(the rest of this exercise's 2\.9 s time budget\)", messages[2])
    assert all("was not run: your code already used this exercise's time budget of 2.9 s" in m
               for m in messages[3:])
    assert sum(o.seconds for o in outcomes) < 4


CRASHY = '''
import os

def quits(x):
    """Stops its process (a stray exit at the end of a notebook cell, say)."""
    os._exit(0)

def only_on_negatives(x):
    if x < 0:
        os._exit(3)
    return x

def pid():
    return os.getpid()
'''


def test_a_function_that_keeps_killing_its_process_is_not_run_a_third_time(tmp_path):
    path = tmp_path / "crashy.py"
    path.write_text(CRASHY)
    with StudentModule(path, "crashy") as module:
        outcomes = [module.call("quits", i) for i in range(4)]
        workers = {module.call("pid").value}
        third = module.call("quits", 9)
        workers.add(module.call("pid").value)
        # one crash is not a verdict on every input: the function runs again after it
        assert module.call("only_on_negatives", -1).error.kind == "crash"
        assert module.call("only_on_negatives", 2).value == 2
    kinds = [o.error.kind for o in outcomes]
    assert kinds == ["crash"] * 4
    assert "exited with code 0" in outcomes[0].error.message and "exited with code 0" in outcomes[1].error.message
    for later in (*outcomes[2:], third):
        assert later.error.message.startswith("quits() was not run again: it already stopped your code's process "
                                              "2 times (the last time: your code's process exited with code 0")
    assert len(workers) == 1  # the retired calls started no new worker


@pytest.mark.parametrize("layout", [{}, {"GRADE_SANDBOX_KEEPER": "1"}, {"GRADE_SANDBOX_LAYERS": "landlock"}],
                         ids=["as_found", "keeper", "landlock_only"])
def test_a_grader_killed_mid_call_leaves_no_private_folder(tmp_path, layout):
    """SIGKILL never lets `grade` say it is done; its zygote, told by the closed socket, removes
    the folder the student's copy and output were in: itself where it watches its workers, and
    once the keeper has ended where there is one (a keeper removes it only when told the grader
    is done, which a killed grader never says). `layout` forces keepers (as where the zygote
    cannot fork workers itself: not root), or no namespaces at all."""
    import subprocess
    import sys
    import tempfile

    from helpers import make_workspace, reference_source

    from grader.catalog import resolve

    exercise = resolve("exercise1")
    hangs = reference_source(exercise.file) + "\n\ndef bowl_loss(point):\n    import time\n    time.sleep(60)\n"
    workspace = make_workspace(tmp_path / "ws", {exercise.file: hangs})
    base = tempfile.mkdtemp(prefix="grade-kill-")
    os.chmod(base, 0o755)  # private folders go here whatever the workers' uid

    def private_folders() -> list[str]:
        return [name for name in os.listdir(base) if name.startswith("grade-worker-")]

    try:
        proc = subprocess.Popen([sys.executable, "-m", "grader.cli", exercise.name], cwd=workspace,
                                env={**os.environ, "TMPDIR": base, **layout}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not private_folders() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert private_folders(), "grading never started"
        time.sleep(1.0)  # inside the hanging call now
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while private_folders() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not private_folders()
    finally:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def test_the_grading_process_takes_the_zygotes_probes_instead_of_probing_again(monkeypatch):
    """The zygote tried the namespaces and cgroups while importing numpy; asking again would fork
    probes in the grading process (about 50 ms, in `grade exerciseN` and each batch's results)."""
    from grader.sandbox import layers

    report = shared_zygote().ready()["probes"]

    def probe_again() -> dict:
        raise AssertionError("probed again although the zygote had reported")

    monkeypatch.setattr(layers, "probe", probe_again)
    assert layers._probed() == {key: report[key] for key in ("netns", "pidns", "cgroup")}
