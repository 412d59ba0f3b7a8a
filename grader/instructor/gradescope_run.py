"""What `run_autograder` runs inside Gradescope: grade a submission, write results.json.

    python -m grader.instructor.gradescope_run --root /autograder --config autograder.json

Grades every exercise in the config from `ROOT/submission/` (the student's
`exerciseN_*.py` files found by name anywhere in it, or nbgrader notebooks)
and writes Gradescope's `ROOT/results/results.json`.

  * Which file was graded is printed for each exercise (stdout and the
    results' `output`); when two or more files could be the answer, the rule
    in `grader.instructor.submissions` picks one and the output says so. A
    missing file is reported once per exercise (on its first test).
  * Gradescope runs this as root. The submission is copied into a private
    folder owned by an unprivileged user (`nobody`, or GRADER_AUTOGRADER_USER;
    "none" grades as the current user, for a local dry run), and the grading
    runs as that user in a child process; this root process keeps
    `ROOT/results/`, kills every process the grading started (and every
    process of that user) and only then writes results.json, so nothing a
    student left running can change it.
  * Hidden-test seeds: per student from the course secret bundled in the zip
    (the student id from `ROOT/submission_metadata.json`, field
    `student_id_field`), the same as `grade batch` and nbgrader; else the
    config's fixed seed.
  * No filesystem confinement on the image and the zip was not built with
    --unsafe-no-sandbox: nothing is graded, and results.json says why.

An autograder failure still writes a results.json that says so, never nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.instructor.gradescope import SECRET_NAME, AutograderConfig, select_exercises
from grader.instructor.notebooks import is_visible_test
from grader.results import ExerciseResult, redact, results_json

UNPRIVILEGED_ENV = "GRADER_AUTOGRADER_USER"
MAX_CHILD_OUTPUT = 32 * 1024 * 1024
RULE = ("a .py file before a notebook, then one directly in an exercises/ folder, then the shallowest, "
        "then the first by path")


def student_id(root: Path, field: str) -> str | None:
    """The submitter's id from Gradescope's submission_metadata.json (first user), or None."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        users = meta.get("users") or []
        user = users[0]
        value = user.get(field) or user.get("email")
    except (OSError, ValueError, AttributeError, IndexError, KeyError, TypeError):
        return None
    return str(value) if value else None


@dataclass(frozen=True)
class _TableSeeds:
    """Seeds decided by the root runner, handed to its unprivileged child (which never sees the secret)."""

    table: dict[str, int]
    per_student: bool = True

    def seed(self, student: str, exercise: str) -> int:
        return int(self.table[exercise])


def _seeds(root: Path, config: AutograderConfig, source: Path) -> tuple[Any, str]:
    from grader.batch import Seeds
    from grader.instructor.course_secret import load_secret

    if config.seeds:
        return _TableSeeds(dict(config.seeds)), "student"
    secret_file = source / SECRET_NAME
    if config.per_student_seeds and secret_file.is_file():
        who = student_id(root, config.student_id_field)
        if who is not None:
            return Seeds(fixed=None, secret=load_secret(secret_file), origin="course secret"), who
        return Seeds(fixed=config.seed, origin="no student id in submission_metadata.json"), "student"
    return Seeds(fixed=config.seed, origin="the autograder's seed"), "student"


def grade_submission(submission: Path, config: AutograderConfig, *, root: Path | None = None,
                     source: Path | None = None) -> tuple[list[ExerciseResult], list[str]]:
    """One result per configured exercise (Gradescope visibilities set) and the lines that say what was graded."""
    from grader.batch import grade_folder
    from grader.sandbox.client import Limits

    defaults = Limits()
    limits = Limits(call_timeout=config.call_timeout,
                    import_timeout=max(defaults.import_timeout, config.call_timeout),
                    memory_mb=defaults.memory_mb)
    seeds, who = _seeds(root or submission.parent, config, source or Path(__file__).resolve().parents[2])
    results, lines = [], []
    for entry, graded in grade_folder(submission, select_exercises(config.exercises), student=who, seeds=seeds,
                                      limits=limits):
        name = entry.exercise.name
        result = graded.result
        if result is None:  # the grader failed on this exercise: zero, saying so
            from grader.instructor.submissions import zero_result

            result = zero_result(entry.exercise, entry.seed, f"The autograder failed on {name} (not your code): "
                                 f"{graded.error}. Please tell the course staff.")
            result.grader_error = graded.error
        if entry.special:
            for test in result.tests[1:]:
                test.output = ""  # said once, on the exercise's first test
            lines.append(f"{name}: {entry.special}; 0 of {entry.exercise.max_score:g} points")
        else:
            candidates = entry.found.candidates if entry.found else ()
            line = f"{name}: graded {entry.graded_file}"
            if len(candidates) > 1:
                others = ", ".join(p.relative_to(submission).as_posix() for p in candidates[1:4])
                line += f" (also found: {others}; chosen by the rule: {RULE})"
            if graded.note and not graded.note.startswith("graded file"):
                line += f" [{graded.note.split('; graded file')[0]}]"
            lines.append(line)
        for test in result.tests:
            test.visibility = "visible" if is_visible_test(test.test_id) else config.hidden_visibility
        results.append(result)
    return results, lines


def failure_json(message: str) -> dict[str, Any]:
    return {
        "score": 0.0,
        "output": f"The autograder itself failed (not your code); please tell the course staff.\n{message}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _results(submission: Path, config: AutograderConfig, root: Path, source: Path) -> dict[str, Any]:
    results, lines = grade_submission(submission, config, root=root, source=source)
    data = results_json([redact(r, config.hidden_feedback) for r in results])
    head = "\n".join(lines)
    if config.per_student_seeds or config.seeds:
        data["output"] = "Graded with your own hidden inputs."
        for item in data.get("extra_data", {}).get("exercises", []):
            item.pop("seed", None)
    data["output"] = f"{head}\n{data['output']}"
    return data


def _refusal(config: AutograderConfig) -> str | None:
    from grader.sandbox.layers import detect

    layers = detect()
    if layers.filesystem is None and not config.unsafe_no_sandbox:
        return ("Refusing to grade: this autograder image offers no filesystem confinement for student code "
                "(grade doctor lists the layers). Rebuild the zip with `grade instructor gradescope "
                "--unsafe-no-sandbox` to grade anyway.")
    return None


def private_copy(submission: Path, owner: int | None) -> Path:
    """A copy of the submission in a fresh private folder, owned by `owner`.

    Regular files are copied (capped, never through a link); symbolic links
    are recreated as links, never followed, so the grader refuses them by
    name; anything else (a FIFO, a device) is left out.
    """
    from grader.instructor.submissions import MAX_NOTEBOOK_BYTES, Unreadable, read_untrusted

    folder = Path(tempfile.mkdtemp(prefix="grade-gradescope-"))
    target = folder / "submission"
    target.mkdir()
    for dirpath, dirs, files in os.walk(submission, followlinks=False):
        here = Path(dirpath)
        rel = here.relative_to(submission)
        for name in dirs + files:
            src, dst = here / name, target / rel / name
            if src.is_symlink():
                with contextlib.suppress(OSError):
                    os.symlink(os.readlink(src), dst)
            elif src.is_dir():
                dst.mkdir()
            else:
                with contextlib.suppress(Unreadable):
                    dst.write_bytes(read_untrusted(src, MAX_NOTEBOOK_BYTES))
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    if owner is not None:
        for path in [folder, *sorted(folder.rglob("*"))]:
            with contextlib.suppress(OSError):
                os.lchown(path, owner, owner)
    os.chmod(folder, 0o700)
    return target


def processes_of(uid: int) -> list[int]:
    """Every live process owned by `uid` (from /proc)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(entry.path).st_uid == uid:
                    found.append(int(entry.name))
    return found


def kill_user_processes(uid: int, *, timeout: float = 10.0) -> bool:
    """SIGKILL every process of `uid` until none is left (True), or give up after `timeout`."""
    from grader.instructor.pool import kill_tree

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in processes_of(uid) if p != os.getpid()]
        if not alive:
            return True
        for pid in alive:
            kill_tree(pid)
        time.sleep(0.05)
    return not processes_of(uid)


def _unprivileged_user() -> tuple[int, int] | None:
    """(uid, gid) to grade as when running as root, or None to grade as this process."""
    name = os.environ.get(UNPRIVILEGED_ENV, "nobody")
    if os.geteuid() != 0 or name.lower() == "none":
        return None
    import pwd

    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def run_unprivileged(argv: list[str], uid: int, gid: int, *, cwd: Path, timeout: float) -> bytes:
    """Run `argv` as uid/gid (no supplementary groups) and return its stdout (capped).

    This process becomes a subreaper first, so anything the child leaves
    behind (a setsid, double-forked daemon included) is re-parented here and
    killed when the child exits or times out: nothing it started outlives the
    return, and a daemon holding the pipe open cannot delay it.
    """
    import threading

    from grader.instructor.pool import become_subreaper, kill_tree, reap_strays

    become_subreaper()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": os.environ.get("LANG", "C.UTF-8")}
    for key in ("GRADE_SANDBOX_LAYERS", "PYTHONPATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    proc = subprocess.Popen(argv, cwd=cwd, env=env, user=uid, group=gid, extra_groups=[], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    chunks: list[bytes] = []

    def drain() -> None:
        assert proc.stdout is not None
        total = 0
        while chunk := proc.stdout.read1(1 << 16):
            if total < MAX_CHILD_OUTPUT:
                chunks.append(chunk)
            total += len(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    finally:
        kill_tree(proc.pid)  # its session and everything still below it
        proc.wait()
        deadline = time.monotonic() + 5
        while reap_strays(set()) and time.monotonic() < deadline:
            time.sleep(0.05)  # orphans adopted while we killed: again until none is left
        reader.join(timeout=10)
    return b"".join(chunks)[:MAX_CHILD_OUTPUT]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--child-submission", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    source = args.config.resolve().parent
    if args.child_submission is not None:  # the unprivileged child: results as JSON on stdout, nothing else
        config = AutograderConfig.from_json(args.config.read_text(encoding="utf-8"))
        data = _results(args.child_submission, config, args.root, source)
        sys.stdout.write(json.dumps(data))
        return 0

    out = args.root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    user = None
    try:
        config = AutograderConfig.from_json(args.config.read_text(encoding="utf-8"))
        refusal = _refusal(config)
        user = _unprivileged_user()
        if refusal is not None:
            data = failure_json(refusal)
        elif user is None:
            copy = private_copy(args.root / "submission", None)
            try:
                data = _results(copy, config, args.root, source)
            finally:
                shutil.rmtree(copy.parent, ignore_errors=True)
        else:
            data = _graded_as(user, args, config, source)
    except Exception:
        data = failure_json(traceback.format_exc(limit=5))
    if user is not None and args.root == Path("/autograder"):
        # On Gradescope's own container this user runs nothing but the grading: sweep it all.
        kill_user_processes(user[0])
    from grader.instructor.pool import reap_strays

    reap_strays(set())  # every process the grading started is gone before results.json is written
    for line in str(data.get("output", "")).splitlines()[:20]:
        print(line)
    out.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


def _graded_as(user: tuple[int, int], args: argparse.Namespace, config: AutograderConfig,
               source: Path) -> dict[str, Any]:
    from grader.batch import default_budget
    from grader.sandbox.client import Limits

    uid, gid = user
    copy = private_copy(args.root / "submission", uid)
    # The child gets the config with each exercise's seed decided here: the secret stays with root.
    seeds, who = _seeds(args.root, config, source)
    chosen = select_exercises(config.exercises)
    child_config = replace(config, seeds={e.name: seeds.seed(who, e.name) for e in chosen})
    (copy.parent / "autograder.json").write_text(child_config.to_json(), encoding="utf-8")
    os.chown(copy.parent / "autograder.json", uid, gid)
    limits = Limits(call_timeout=config.call_timeout)
    budget = sum(default_budget(e, limits) for e in select_exercises(config.exercises)) + 120
    grader_parent = str(Path(__file__).resolve().parents[2])
    argv = [sys.executable, "-I", "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); from grader.instructor.gradescope_run import main; "
            "raise SystemExit(main(sys.argv[2:]))", grader_parent,
            "--root", str(args.root), "--config", str(copy.parent / "autograder.json"),
            "--child-submission", str(copy)]
    try:
        raw = run_unprivileged(argv, uid, gid, cwd=copy.parent, timeout=budget)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    return _checked(json.loads(raw), config)


def _checked(data: Any, config: AutograderConfig) -> dict[str, Any]:
    """The child's results.json, each exercise's part re-parsed defensively (it ran beside student code)."""
    from grader.instructor.batch_cache import BadResult, _number, _text

    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise BadResult("the grading child sent no results")
    clean_tests = []
    for test in data["tests"]:
        if not isinstance(test, dict):
            raise BadResult("a test must be an object")
        score, top = _number(test, "score"), _number(test, "max_score")
        if not 0 <= score <= top:
            raise BadResult("a score out of range")
        clean_tests.append({"name": _text(test, "name"), "number": _text(test, "number", ""), "score": score,
                            "max_score": top, "status": "passed" if score >= top else "failed",
                            "output": _text(test, "output", ""), "visibility": _text(test, "visibility"),
                            "extra_data": {"test_id": _text(test.get("extra_data", {}), "test_id", "")}})
    expected = {e.name: e.max_score for e in select_exercises(config.exercises)}
    if abs(sum(t["max_score"] for t in clean_tests) - sum(expected.values())) > 1e-9:
        raise BadResult("the grading child's results do not cover the configured exercises")
    return {**{k: data[k] for k in ("output", "extra_data") if k in data}, "tests": clean_tests,
            "score": sum(t["score"] for t in clean_tests), "max_score": sum(expected.values()),
            "execution_time": _number(data, "execution_time", 0.0), "visibility": "visible",
            "stdout_visibility": "hidden"}


if __name__ == "__main__":
    raise SystemExit(main())
