"""Call limits count CPU seconds: a loaded machine never times out honest code, hangs end fast.

Each case runs a real confined worker. The load test is the one that fails if
limits were wall-clock: a call that needs 0.3 s of CPU, beside more busy
processes than there are cores, takes well over the 0.5 s floor of wall time.
The cases run with the default limits.
"""

from __future__ import annotations

import multiprocessing
import os
import time

import numpy as np
import pytest

from grader.sandbox.client import Limits, StudentModule
from grader.sandbox.cputime import available, tree_cpu_seconds

pytestmark = pytest.mark.skipif(not available(), reason="needs /proc/<pid>/task/<tid>/children (Linux)")

BURN = '''
import time

def burn(seconds):
    """Use `seconds` of CPU, then return it (an honest but slow function)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds
'''


def _module(tmp_path, source: str, limits: Limits | None = None) -> StudentModule:
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    return StudentModule(path, "probe", limits or Limits())


def _burner(stop_at: float) -> None:
    # Its own session, as the worker has: with the scheduler's autogroups, CPU is shared
    # between sessions first, so burners in the test's session would barely slow the worker.
    os.setsid()
    while time.monotonic() < stop_at:
        pass


def test_a_slow_honest_call_passes_on_an_overloaded_machine(tmp_path):
    burners = [multiprocessing.Process(target=_burner, args=(time.monotonic() + 30,), daemon=True)
               for _ in range(2 * (os.cpu_count() or 1))]
    for proc in burners:
        proc.start()
    try:
        with _module(tmp_path, BURN) as module:
            start = time.monotonic()
            outcome = module.submit("burn", 0.3).result()  # no reference time in between: the 0.5 s floor
            took = time.monotonic() - start
    finally:
        for proc in burners:
            proc.kill()
            proc.join()
    assert outcome.error is None, outcome.error
    assert outcome.value == 0.3
    assert took > 0.5, f"the machine was not loaded enough to show the point ({took:.2f} s)"


def test_a_busy_loop_ends_after_the_cpu_floor(tmp_path):
    with _module(tmp_path, BURN + "\ndef spin():\n    while True:\n        pass\n") as module:
        start = time.monotonic()
        outcome = module.submit("spin").result()
        took = time.monotonic() - start
    assert outcome.error is not None and outcome.error.kind == "timeout"
    assert "did not return within 0.5 s of CPU time" in outcome.error.message
    assert took < 4  # the loop never ends by itself: only the 0.5 s CPU floor (under load, more wall) stops it


def test_a_call_that_sleeps_is_ended_by_the_wall_clock_and_told_so(tmp_path):
    source = "import time\n\ndef nap():\n    time.sleep(600)\n"
    with _module(tmp_path, source) as module:
        start = time.monotonic()
        outcome = module.submit("nap").result()
        took = time.monotonic() - start
    assert outcome.error is not None and outcome.error.kind == "timeout"
    assert "mostly waiting rather than computing" in outcome.error.message
    assert 3 <= took < 6  # WALL_FACTOR × the 0.5 s floor + WALL_SLACK


def test_cpu_burnt_by_a_child_process_counts(tmp_path):
    # The worker itself only waits; its child does the looping.
    source = ("import os\n\ndef fork_and_wait():\n    pid = os.fork()\n    if pid == 0:\n"
              "        while True:\n            pass\n    os.waitpid(pid, 0)\n")
    with _module(tmp_path, source) as module:
        start = time.monotonic()
        outcome = module.submit("fork_and_wait").result()
        took = time.monotonic() - start
    assert outcome.error is not None and "of CPU time" in outcome.error.message
    assert took < 3


def test_an_import_that_loops_is_ended_by_its_cpu_limit(tmp_path):
    with _module(tmp_path, "while True:\n    pass\n", Limits(import_cpu=1.0)) as module:
        start = time.monotonic()
        outcome = module.call("anything")
        took = time.monotonic() - start
    assert outcome.error is not None and outcome.error.kind == "import_error"
    assert "took more than 1 s of CPU time" in outcome.error.message
    assert took < 3


def test_a_file_that_imports_pyplot_at_the_top_is_within_the_import_limit(tmp_path):
    # What notebook habits put at the top of a file: the heaviest import an honest answer makes.
    source = ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nimport numpy as np\n\n"
              "def total(x):\n    return float(np.sum(x))\n")
    with _module(tmp_path, source) as module:
        outcome = module.call("total", [1.0, 2.0])
    assert outcome.error is None, outcome.error
    assert outcome.value == 3.0


def test_an_explicit_timeout_is_exactly_that_many_cpu_seconds(tmp_path):
    source = "import time\n\ndef nap():\n    time.sleep(600)\n\ndef spin():\n    while True:\n        pass\n"
    with _module(tmp_path, source, Limits.explicit(0.5)) as module:
        start = time.monotonic()
        spun = module.submit("spin").result()
        napped = module.submit("nap").result()
        took = time.monotonic() - start
    assert spun.error is not None and "did not return within 0.5 s of CPU time" in spun.error.message
    assert napped.error is not None and "did not return within 3 s, mostly waiting" in napped.error.message
    assert took < 6


def test_tree_cpu_seconds_sums_the_descendants(tmp_path):
    with _module(tmp_path, BURN) as module:
        assert module.call("burn", 0.3).error is None
        keeper, worker = module.host_pids
        # from the keeper (its descendants), or from the worker itself where it has no keeper
        used = tree_cpu_seconds(keeper) if keeper else tree_cpu_seconds(worker, include_root=True)
        assert 0.25 <= used < 5  # /proc counts whole clock ticks
        np.testing.assert_equal(tree_cpu_seconds(-1), 0.0)


CHAIN = BURN + '''

def step():
    while True:
        pass

def run(n):
    """Calls step() n times: hangs with it."""
    return [step() for _ in range(n)]

def independent():
    """Honest, slow, and calls nothing that hung."""
    return burn(0.3)
'''


def test_after_a_hang_its_callers_get_a_short_limit_and_others_keep_theirs(tmp_path):
    with _module(tmp_path, CHAIN) as module:
        start = time.monotonic()
        first = module.submit("step").result()
        again = module.submit("step").result()
        caller = module.submit("run", 3).result()
        hung_for = time.monotonic() - start
        honest = module.submit("independent").result()
    assert "within 0.5 s of CPU time" in first.error.message
    assert "within 0.1 s of CPU time" in again.error.message  # timed out once: not the full limit again
    assert "within 0.1 s of CPU time (it calls step(), which did not return earlier)" in caller.error.message
    assert hung_for < 2
    assert honest.error is None and honest.value == 0.3  # the 0.5 s floor still applies to it
