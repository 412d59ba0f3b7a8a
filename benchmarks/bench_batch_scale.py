"""A cohort through `grade batch`: the round-1 design against this one, in one run.

    python benchmarks/bench_batch_scale.py [--students 300] [--old-students 40] [--jobs N]
    python benchmarks/bench_batch_scale.py --scale 10000 --scheduler local [--every 120]

Generates a class of STUDENTS × exercises 1–5 with a stated mix (per
submission, drawn with a fixed seed):

    62 % correct (the reference)
    21 % wrong (one of the tests/submissions edits for that exercise; exercise 1: adds the step)
     5 % hanging (one function loops forever)
     2 % hanging at import (a module-level loop)
    10 % crashing (one function calls os._exit(3))

and grades it with

  * the old design: round-1 commit 9d73ab2 (fork pool + pickle), checked out
    in a temporary `git worktree`, on the first OLD_STUDENTS students only
    (the whole class takes ~30 min there); its time is extrapolated linearly
    to the class size, and the report says so;
  * the new design: this checkout's `grade batch` on the whole class.

Prints wall time and time per submission for both, and the ratio. With
`--scale N` it instead grades N generated submissions (N/5 students × 5
exercises) through `--scheduler` (default local) and reports the
throughput and the coordinator's peak RSS (VmHWM of the `grade batch`
process, sampled from /proc).

Both designs run with --unsafe-no-sandbox semantics (the old one has no
such flag; the new one needs it where no filesystem confinement exists).
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from grader.catalog import load_catalog  # noqa: E402

OLD_COMMIT = "9d73ab2"
MIX = (("correct", 0.62), ("wrong", 0.21), ("hang", 0.05), ("import_hang", 0.02), ("crash", 0.10))


def _first_function(source: str) -> str:
    tree = ast.parse(source)
    return next(n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_"))


def _wrong(exercise, reference: str) -> str:
    if exercise.number == 1:
        return reference.replace("return params - learning_rate", "return params + learning_rate", 1)
    from helpers import submission, submission_edits

    name = sorted(n for n in submission_edits(exercise.number) if not n.startswith(("alt", "correct")))[0]
    return submission(exercise.number, name)


def variant(kind: str, exercise, reference: str) -> str:
    func = _first_function(reference)
    if kind == "correct":
        return reference
    if kind == "wrong":
        return _wrong(exercise, reference)
    if kind == "hang":
        return reference + f"\n\ndef {func}(*args, **kwargs):\n    while True:\n        pass\n"
    if kind == "import_hang":
        return reference + "\n\nwhile True:\n    pass\n"
    return reference + f"\n\ndef {func}(*args, **kwargs):\n    import os\n    os._exit(3)\n"


def make_class(root: Path, students: int, exercises, seed: int = 14) -> dict[str, int]:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    counts = dict.fromkeys(kinds, 0)
    references = {e.name: (REPO / "solutions" / e.file).read_text(encoding="utf-8") for e in exercises}
    cache: dict[tuple[str, str], str] = {}
    for s in range(students):
        folder = root / f"student{s:05d}"
        folder.mkdir(parents=True)
        for exercise in exercises:
            kind = rng.choices(kinds, weights)[0]
            counts[kind] += 1
            key = (exercise.name, kind)
            if key not in cache:
                cache[key] = variant(kind, exercise, references[exercise.name])
            (folder / exercise.file).write_text(cache[key], encoding="utf-8")
    return counts


def _memory_mb(pid: int, field: str) -> float:
    """A /proc/PID/status memory field in MB: VmRSS (now) or VmHWM (the peak); 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _graded_so_far(out: Path | None) -> int:
    if out is None or not (out / ".grade-batch" / "store.sqlite3").exists():
        return 0
    import sqlite3

    try:
        with sqlite3.connect(f"file:{out / '.grade-batch' / 'store.sqlite3'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0


def run(argv: list[str], cwd: Path, *, out: Path | None = None, every: float = 0.0) -> tuple[float, float, str]:
    """(wall seconds, coordinator peak RSS in MB, stdout); with `every`, also prints the coordinator's
    RSS and the results stored so far every `every` seconds (is the memory flat?)."""
    env = {**os.environ, "NO_COLOR": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    next_report = start + every
    while proc.poll() is None:
        peak = max(peak, _memory_mb(proc.pid, "VmHWM"))
        if every and time.perf_counter() >= next_report:
            next_report += every
            print(f"  {time.perf_counter() - start:7.0f} s: {_graded_so_far(out):6d} results, "
                  f"coordinator RSS {_memory_mb(proc.pid, 'VmRSS'):4.0f} MB (peak {peak:4.0f} MB)", flush=True)
        time.sleep(0.5)
    out, err = proc.communicate()
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:6])} … failed ({proc.returncode}):\n{err[-3000:]}")
    return took, peak, out


def old_worktree(tmp: Path) -> Path:
    target = tmp / "old"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(target), OLD_COMMIT], check=True,
                   capture_output=True)
    return target


def grade_old(old: Path, subs: Path, out: Path, jobs: int | None) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(old)!r}); from grader.cli import main; main()",
            "batch", str(subs), "--out", str(out), "--jobs", str(jobs or os.cpu_count() or 1)]


def grade_new(subs: Path, out: Path, jobs: int | None, *extra: str) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "batch", "--unsafe-no-sandbox", str(subs), "--out", str(out),
            *(["--jobs", str(jobs)] if jobs else []),
            # the class has exercises 1-5 only: without -e the rest would count as "not submitted"
            *(arg for e in list(load_catalog())[:5] for arg in ("-e", e.name)), *extra]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--old-students", type=int, default=40, help="class size for the old design (0: skip)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="grading processes [default: grade batch's own, one per CPU; the old design: the cores]")
    parser.add_argument("--scale", type=int, default=0, help="grade this many submissions via --scheduler")
    parser.add_argument("--scheduler", default="local")
    parser.add_argument("--every", type=float, default=120.0,
                        help="with --scale: print the coordinator's RSS every this many seconds (0: never)")
    args = parser.parse_args()
    exercises = list(load_catalog())[:5]
    print(f"machine: {os.cpu_count()} CPUs, --jobs {args.jobs or 'default'}; mix per submission: "
          + ", ".join(f"{k} {int(w * 100)} %" for k, w in MIX))
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp_name:
        tmp = Path(tmp_name)
        if args.scale:
            students = max(1, args.scale // len(exercises))
            counts = make_class(tmp / "scale", students, exercises)
            n = students * len(exercises)
            took, peak, out = run(grade_new(tmp / "scale", tmp / "out-scale", args.jobs, "--scheduler",
                                            args.scheduler), REPO, out=tmp / "out-scale", every=args.every)
            print(f"scale: {n} submissions ({counts}) via --scheduler {args.scheduler}: {took:.1f} s, "
                  f"{n / took:.2f} submissions/s, coordinator peak RSS {peak:.0f} MB")
            print(out.strip().splitlines()[-3] if out.strip() else "")
            return 0
        counts = make_class(tmp / "class", args.students, exercises)
        n = args.students * len(exercises)
        print(f"class: {args.students} students × {len(exercises)} exercises = {n} submissions {counts}")
        rows = []
        if args.old_students:
            old = old_worktree(tmp)
            try:
                small = tmp / "old-class"
                small.mkdir()
                for s in range(min(args.old_students, args.students)):
                    shutil.copytree(tmp / "class" / f"student{s:05d}", small / f"student{s:05d}")
                m = min(args.old_students, args.students) * len(exercises)
                took, peak, _ = run(grade_old(old, small, tmp / "out-old", args.jobs), REPO)
                rows.append(("old (9d73ab2), measured", m, took, peak))
                rows.append(("old (9d73ab2), extrapolated", n, took * n / m, peak))
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)],
                               capture_output=True)
        took, peak, out = run(grade_new(tmp / "class", tmp / "out-new", args.jobs), REPO)
        rows.append(("new", n, took, peak))
        print(f"\n{'design':32} {'subs':>6} {'wall s':>9} {'s/sub':>7} {'peak MB':>8}")
        for name, m, wall, rss in rows:
            print(f"{name:32} {m:6d} {wall:9.1f} {wall / m:7.3f} {rss:8.0f}")
        if args.old_students:
            print(f"\nnew vs old (extrapolated): {rows[1][2] / rows[-1][2]:.1f}× faster")
        print("\n" + "\n".join(out.strip().splitlines()[-3:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
