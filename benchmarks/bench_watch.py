"""`grade watch`: latency from saving the exercise file to the rendered feedback.

    python benchmarks/bench_watch.py [--saves 20] [--exercises 1 2 3 4 5] [--target 0.3]

For each exercise, starts `grade watch exerciseN` in a fresh workspace (its
own process, as a student would), waits for the first report, then saves the
file `--saves` times, alternating the reference solution and a wrong
submission (so every save changes the verdict), and measures the time from
the write to the line that ends the rendered report. Prints the median and
the maximum per exercise. Exit code 1 if a median is above --target seconds.

The machine's load matters a great deal (every save runs the hidden tests
against a freshly forked sandboxed worker): report the load with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from grader.catalog import resolve  # noqa: E402
from grader.commands.watch_cmd import RENDERED  # noqa: E402
from grader.stubs import solution_source  # noqa: E402

#: exercise -> (old, new): one wrong edit of the reference, so saves alternate right and wrong.
WRONG = {
    1: ("    return 2.0 * np.asarray(point, dtype=float)", "    return np.asarray(point, dtype=float)"),
    2: ("    return float(np.linalg.norm(np.asarray(grad, dtype=float)))",
        "    return float(np.sum(np.asarray(grad, dtype=float) ** 2))"),
    3: ("        grads[i - 1] = grads[i] * local_grad(i)", "        grads[i - 1] = grads[i] + local_grad(i)"),
    4: ("    s = sigmoid(z)\n    return s * (1.0 - s)", "    return z * (1.0 - z)"),
    5: ("    return float(np.mean((predictions - np.asarray(y, dtype=float)) ** 2))",
        "    return float(np.sum((predictions - np.asarray(y, dtype=float)) ** 2))"),
}


def measure(number: int, saves: int, timeout: float = 120.0) -> list[float]:
    exercise = resolve(f"exercise{number}")
    right = solution_source(exercise.file)
    old, new = WRONG[number]
    assert right.count(old) == 1, (number, old)
    wrong = right.replace(old, new)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        (ws / "exercises").mkdir()
        target = ws / "exercises" / exercise.file
        target.write_text(wrong, encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", "watch", exercise.name, "--no-record", "--seed", "1",
             "--path", str(ws)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "NO_COLOR": "1"}, cwd=REPO)
        stamps: list[float] = []

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(RENDERED):
                    stamps.append(time.perf_counter())

        threading.Thread(target=read, daemon=True).start()

        def wait(count: int) -> float:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if len(stamps) >= count:
                    return stamps[count - 1]
                time.sleep(0.001)
            proc.kill()
            raise SystemExit(f"exercise{number}: no report within {timeout} s: {proc.stderr.read()}")

        latencies = []
        try:
            wait(1)
            time.sleep(0.5)
            for i in range(saves):
                source = right if i % 2 == 0 else wrong
                started = time.perf_counter()
                target.write_text(source, encoding="utf-8")
                latencies.append(wait(i + 2) - started)
                time.sleep(0.25)  # a student does not save twice within a quarter second
        finally:
            if proc.stdin is not None:
                proc.stdin.write("q\n")
                proc.stdin.flush()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--exercises", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--target", type=float, default=0.3, help="median seconds allowed per exercise")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs)")
    slow = []
    for number in args.exercises:
        latencies = measure(number, args.saves)
        median = statistics.median(latencies)
        print(f"exercise{number}: median {median:.3f} s, max {max(latencies):.3f} s over {len(latencies)} saves")
        if median > args.target:
            slow.append(number)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if slow:
        print(f"above the {args.target:g} s target: {', '.join(f'exercise{n}' for n in slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
