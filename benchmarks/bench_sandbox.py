"""Cost of the sandbox per submission: confined zygote workers against round 1's forked ones.

    python benchmarks/bench_sandbox.py [--runs 9] [--jobs 20] [--old-ref 9d73ab2]

Two measures, each as a ratio from one run (new ÷ old, medians, runs
interleaved so both designs see the same machine load):

1. `grade exercise1 --no-record` on the reference in a fresh process (what a
   student waits for). Target ≤ 1.2×.
2. Per submission in a long-lived grading process (what `grade batch` pays):
   `grade_file(exercise1, reference)` repeated in one process, so the new
   design starts each confined worker from a warm zygote. Target ≤ 1.3×.

"old" is the round-1 design (workers forked from the grading process),
checked out from git into a temporary worktree; "new" is this checkout.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # report this checkout's layers, whatever is installed
FILE = "exercise1_update_rule.py"

_LOOP = r"""
import sys, time
from pathlib import Path
from grader.catalog import resolve
from grader.runner import grade_file
exercise = resolve("exercise1")
path = Path(sys.argv[1])
jobs = int(sys.argv[2])
grade_file(exercise, path, seed=1)  # warm-up: imports, zygote
times = []
for seed in range(jobs):
    start = time.perf_counter()
    result = grade_file(exercise, path, seed=seed)
    times.append(time.perf_counter() - start)
    assert result.score == result.max_score, result
times.sort()
print(times[len(times) // 2])
"""


def _run(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--old-ref", default="9d73ab2")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(old), args.old_ref],
                       check=True, capture_output=True)
        try:
            designs = {"old (fork from the grader)": old, "new (confined, from a zygote)": REPO}
            # Each design grades its own reference solution (exercise 1 changed between them), so both
            # runs are full-marks runs of the same shape.
            spaces: dict[str, Path] = {}
            for index, (name, root) in enumerate(designs.items()):
                spaces[name] = Path(tmp) / f"ws{index}"
                (spaces[name] / "exercises").mkdir(parents=True)
                shutil.copy(root / "solutions" / FILE, spaces[name] / "exercises" / FILE)
                subprocess.run([py, "-m", "compileall", "-q", str(root / "grader"), str(root / "solutions")],
                               check=True)

            def grade(name: str) -> list[str]:
                # `python -m grader.cli` run from a checkout imports that checkout's grader.
                return [py, "-m", "grader.cli", "exercise1", "--no-record", "--seed", "1", "--path", str(spaces[name])]

            for name, cwd in designs.items():
                _run(grade(name), cwd)  # warm-up
            times: dict[str, list[float]] = {name: [] for name in designs}
            for _ in range(args.runs):
                for name, cwd in designs.items():
                    times[name].append(_run(grade(name), cwd))
            cold = {name: statistics.median(t) for name, t in times.items()}

            per_job: dict[str, list[float]] = {name: [] for name in designs}
            for _ in range(3):
                for name, cwd in designs.items():
                    out = subprocess.run([py, "-c", _LOOP, str(spaces[name] / "exercises" / FILE), str(args.jobs)],
                                         cwd=cwd, capture_output=True, text=True, check=True).stdout
                    per_job[name].append(float(out.split()[-1]))
            warm = {name: statistics.median(t) for name, t in per_job.items()}
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True)

    from grader.sandbox.layers import detect

    (old_name, new_name) = designs
    print(f"sandbox layers: {detect().as_dict()}")
    print(f"1. grade exercise1 on the reference, fresh process (median of {args.runs}):")
    for name, value in cold.items():
        print(f"   {name:<31} {value * 1000:7.0f} ms")
    print(f"   ratio new/old: {cold[new_name] / cold[old_name]:.2f}x (target <= 1.2x)")
    print(f"2. per submission in one grading process (median of {args.jobs} jobs, best of 3 rounds' medians):")
    for name, value in warm.items():
        print(f"   {name:<31} {value * 1000:7.0f} ms")
    print(f"   ratio new/old: {warm[new_name] / warm[old_name]:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
