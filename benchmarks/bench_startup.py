"""Start-up cost of `grade`, measured against the bare import floor.

    python benchmarks/bench_startup.py [--runs 7] [--only exercise9 ...]

For each exercise: `grade exerciseN` on the reference solution in a fresh
process (cold: a new interpreter every run) against the floor
`python -c "import numpy, pytest, click"` (plus sympy for exercises whose
grading needs it), and `grade list` against `python -c "import click"`.
Prints the medians and their ratios; targets are 1.5× and 2×. The package is
byte-compiled first, as the floor's modules are.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.catalog import load_catalog
from grader.stubs import solution_path

REPO = Path(__file__).resolve().parent.parent


def _run(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, cwd=REPO)  # `-m grader.cli` imports this checkout's grader
    return time.perf_counter() - start


def paired_medians(commands: list[list[str]], runs: int) -> list[float]:
    """Median wall time of each command, run in turn (A B C A B C …) so that every
    command sees the same machine conditions; one unmeasured warm-up round first."""
    for argv in commands:
        _run(argv)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, argv in enumerate(commands):
            times[i].append(_run(argv))
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", action="extend", nargs="+", default=[], metavar="EXERCISE",
                        help="only these exercises (e.g. --only exercise6 exercise7, repeatable); default: all")
    args = parser.parse_args()
    py = sys.executable
    grade = [py, "-m", "grader.cli"]
    # The floor's modules come byte-compiled from site-packages; compile ours too, as an
    # ordinary first run would (PYTHONDONTWRITEBYTECODE, set on some machines, prevents it).
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([py, "-m", "compileall", "-q", str(repo / "grader"), str(repo / "solutions")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        (ws / "exercises").mkdir()
        for ex in load_catalog():
            shutil.copy(solution_path(ex.file), ws / "exercises" / ex.file)
        click_floor, listing = paired_medians([[py, "-c", "import click"], [*grade, "list", "--path", str(ws)]],
                                              args.runs)
        print(f"{'command':<18} {'median s':>9} {'floor s':>8} {'ratio':>6} target"
              f"  {'floor*':>7} {'ratio*':>6}")
        print(f"{'grade list':<18} {listing:>9.3f} {click_floor:>8.3f} {listing / click_floor:>6.2f} <= 2.0")
        for ex in load_catalog():
            if args.only and ex.name not in args.only:
                continue
            # exercises 6-7 (deep backprop, gradient checking) were given the tighter target of 1.3x
            target = 1.3 if ex.number >= 6 else 1.5
            modules = ", ".join(["numpy", "pytest", "click", *ex.preload])
            floor, bare, took = paired_medians(
                [
                    [py, "-c", f"import {modules}"],
                    [py, "-c", f"import os, {modules}; os._exit(0)"],
                    [*grade, ex.name, "--no-record", "--seed", "1", "--path", str(ws)],
                ],
                args.runs,
            )
            print(f"{'grade ' + ex.name:<18} {took:>9.3f} {floor:>8.3f} {took / floor:>6.2f} <= {target}"
                  f"  {bare:>7.3f} {took / bare:>6.2f}   (import {modules})")
        print("floor* skips interpreter teardown (os._exit), as `grade` does after a run: the stricter floor.")


if __name__ == "__main__":
    main()
