"""What one confined worker costs the machine: this checkout against an earlier commit.

    python benchmarks/bench_worker_life.py [--ref 15b6aca] [--lives 200] [--rounds 3]

A worker's life is what every graded submission pays once, whatever its calls:
the zygote forks the keeper, the keeper the worker (which confines itself and
imports the file), one call, and the close (the keeper kills, cleans up and
exits). Measured as `StudentModule` open, one call, close, `--lives` times in a
row on exercise 1's reference, in CPU milliseconds of the whole machine per life
(/proc/stat: user, nice, system, irq and softirq, so the zygote, keepers,
workers and the kernel's own work all count) and in wall milliseconds. The two
designs run alternately, `--rounds` times each, so both see the same load; a
line per round and the medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_LIVES = r"""
import os, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, os.getcwd())
from grader.catalog import resolve
from grader.sandbox.client import StudentModule
from grader.sandbox.zygote import shared_zygote
from grader.stubs import solution_source
import numpy as np

def busy():
    with open("/proc/stat") as fh:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, fh.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")

exercise = resolve("exercise1")
lives = int(sys.argv[1])
path = Path(tempfile.mkdtemp()) / exercise.file
path.write_text(solution_source(exercise.file), encoding="utf-8")
shared_zygote(exercise.preload).ready()
x = np.array([1.0, 2.0, 3.0])
for _ in range(5):  # warm-up
    with StudentModule(path, exercise.module) as module:
        module.call("gradient_step", x, x, 0.1)
cpu, start = busy(), time.perf_counter()
for _ in range(lives):
    with StudentModule(path, exercise.module) as module:
        assert module.call("gradient_step", x, x, 0.1).error is None
wall = time.perf_counter() - start
time.sleep(0.3)  # the last keepers finish their cleanup
print(1000 * (busy() - cpu) / lives, 1000 * wall / lives)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default="15b6aca", help="the commit to compare with [default: 15b6aca, "
                        "the last with a separate pid 1 above each worker]")
    parser.add_argument("--lives", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(old), args.ref],
                       check=True, capture_output=True)
        try:
            designs = {f"{args.ref}": old, "this checkout": REPO}
            seen: dict[str, list[tuple[float, float]]] = {name: [] for name in designs}
            for round_ in range(args.rounds):
                for name, root in designs.items():
                    out = subprocess.run([sys.executable, "-c", _LIVES, str(args.lives)], cwd=root,
                                         capture_output=True, text=True, check=True).stdout.split()
                    cpu, wall = float(out[-2]), float(out[-1])
                    seen[name].append((cpu, wall))
                    print(f"round {round_ + 1}: {name:<14} machine CPU {cpu:6.2f} ms, wall {wall:6.2f} ms per life")
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True)
    print(f"medians over {args.rounds} rounds of {args.lives} lives:")
    for name, values in seen.items():
        print(f"  {name:<14} machine CPU {statistics.median(c for c, _ in values):6.2f} ms, "
              f"wall {statistics.median(w for _, w in values):6.2f} ms per life")


if __name__ == "__main__":
    main()
