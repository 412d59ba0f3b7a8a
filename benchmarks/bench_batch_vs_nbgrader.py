"""`grade batch` against `nbgrader autograde` on the same class, on this machine.

    python benchmarks/bench_batch_vs_nbgrader.py [--students 40] [--jobs N] [--min-ratio 20] [--all-correct]

Generates one class of exercise-1 submissions, a mix of correct, wrong and
untouched-stub answers, twice: as exercise files (what `grade` students hand
in) and as nbgrader notebooks (the release notebook with its solution cells
filled in with the same code). Grades the files with `grade batch` and the
notebooks with `nbgrader autograde` (and, for completeness, the notebooks
with `grade batch` too), checks that every submission gets the same score
from each, and prints the time per submission and the ratio.

Exit code 1 if any score differs or the ratio is below --min-ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grader.catalog import resolve  # noqa: E402
from grader.instructor.notebook_code import fill_solutions, read_notebook  # noqa: E402
from grader.stubs import solution_source, stub_source  # noqa: E402

EXERCISE = resolve("exercise1")
SEED = 4242


def _replace(old: str, new: str) -> Callable[[str], str]:
    def apply(source: str) -> str:
        if source.count(old) != 1:
            raise SystemExit(f"the reference of {EXERCISE.name} changed: {old!r} is not in it exactly once")
        return source.replace(old, new)

    return apply


# name -> how a student's file differs from the reference (None: the untouched stub)
VARIANTS: dict[str, Callable[[str], str] | None] = {
    "correct": lambda source: source,
    "adds_step": _replace("return params - learning_rate", "return params + learning_rate"),
    "no_factor_two": _replace("return 2.0 * np.asarray(point, dtype=float)", "return np.asarray(point, dtype=float)"),
    "stub": None,
}


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and every process it started)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def make_class(root: Path, students: int, env: dict[str, str], kinds: list[str] | None = None) -> dict[str, str]:
    """Write files under root/class and notebooks under root/course; returns student -> variant."""
    grade = [sys.executable, "-m", "grader.cli"]
    course = root / "course"
    subprocess.run([*grade, "instructor", "nbgrader", str(course), "-e", EXERCISE.name, "--seed", str(SEED)],
                   check=True, capture_output=True, env=env)
    subprocess.run(["nbgrader", "generate_assignment", EXERCISE.name], cwd=course, check=True,
                   capture_output=True, env=env)
    release = read_notebook(course / "release" / EXERCISE.name / f"{EXERCISE.name}.ipynb")
    reference = solution_source(EXERCISE.file)
    names = kinds or list(VARIANTS)
    roster = {}
    for i in range(students):
        student = f"student{i:03d}"
        variant = names[i % len(names)]
        roster[student] = variant
        change = VARIANTS[variant]
        source = stub_source(EXERCISE.file) if change is None else change(reference)
        notebook = release if change is None else fill_solutions(release, source)
        files = root / "class" / student
        files.mkdir(parents=True)
        (files / EXERCISE.file).write_text(source, encoding="utf-8")
        submitted = course / "submitted" / student / EXERCISE.name
        submitted.mkdir(parents=True)
        (submitted / f"{EXERCISE.name}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return roster


def csv_scores(path: Path) -> dict[str, float]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["student"]: float(row[EXERCISE.name]) for row in csv.DictReader(fh)}


def nbgrader_scores(course: Path, students: list[str]) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s: float(gradebook.find_submission(EXERCISE.name, s).score) for s in students}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=None, help="[default: grade batch's own, one per CPU]")
    parser.add_argument("--min-ratio", type=float, default=20.0)
    parser.add_argument("--all-correct", action="store_true",
                        help="every student hands in the reference (the issue's all-correct class)")
    args = parser.parse_args()
    bin_dir = str(Path(sys.executable).parent)  # nbgrader and alembic live beside this python
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           # the commands run in a temporary folder: make them import this checkout's grader,
           # whatever the environment has installed
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    if shutil.which("nbgrader", path=env["PATH"]) is None:
        raise SystemExit("nbgrader is not installed: pip install 'nn-learn-grader[instructor]'")
    grade = [sys.executable, "-m", "grader.cli"]
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        roster = make_class(root, args.students, env, ["correct"] if args.all_correct else None)
        n = len(roster)
        batch = [*grade, "batch", "--unsafe-no-sandbox"]  # where the sandbox has no filesystem layer
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        batch_files = run([*batch, str(root / "class"), "--out", str(root / "out-files"), "--seed",
                           str(SEED), "-e", EXERCISE.name, *jobs, "--force"], root, env)
        batch_notebooks = run([*batch, str(root / "course"), "--out", str(root / "out-notebooks"),
                               "--seed", str(SEED), "-e", EXERCISE.name, *jobs, "--force"],
                              root, env)
        nbgrader = run(["nbgrader", "autograde", EXERCISE.name], root / "course", env)

        from_files = csv_scores(root / "out-files" / "gradebook.csv")
        from_notebooks = csv_scores(root / "out-notebooks" / "gradebook.csv")
        from_nbgrader = nbgrader_scores(root / "course", list(roster))

    differ = [s for s in roster if not (from_files[s] == from_notebooks[s] == from_nbgrader[s])]
    print(f"{n} submissions of {EXERCISE.name} ({', '.join(VARIANTS)} in turn), seed {SEED}, "
          f"--jobs {args.jobs or 'default'}, {os.cpu_count()} CPUs")
    for variant in sorted(set(roster.values())):
        scores = sorted({from_nbgrader[s] for s, v in roster.items() if v == variant})
        print(f"  {variant:<14} score {', '.join(f'{x:g}' for x in scores)} / {EXERCISE.max_score}")
    print(f"{'':<32}{'wall s':>8}{'per sub. s':>11}{'speed-up':>10}{'CPU s':>8}{'CPU/sub. s':>11}{'CPU ratio':>10}")
    rows = (("nbgrader autograde (notebooks)", nbgrader), ("grade batch (exercise files)", batch_files),
            ("grade batch (same notebooks)", batch_notebooks))
    for label, (wall, cpu) in rows:
        print(f"{label:<32}{wall:>8.2f}{wall / n:>11.3f}{nbgrader[0] / wall:>9.1f}×"
              f"{cpu:>8.2f}{cpu / n:>11.3f}{nbgrader[1] / cpu:>9.1f}×")
    print("(CPU: all processes each command started, kernels and sandbox workers included; "
          f"load average before: {load[0]:.2f})")
    ratio = nbgrader[0] / batch_files[0]
    print(f"scores identical on all {n} submissions: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
    print(f"grade batch is {ratio:.1f}× faster per submission than nbgrader autograde "
          f"(target ≥ {args.min_ratio:g}×: {'met' if ratio >= args.min_ratio else 'NOT met'})")
    return 0 if not differ and ratio >= args.min_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
