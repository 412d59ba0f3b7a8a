"""The Gradescope autograder zip, run against a stand-in of /autograder/."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import grade_json, make_workspace, mutate, reference_source, run_grade

from grader.catalog import load_catalog, resolve
from grader.instructor import DEFAULT_SEED

EX = resolve("exercise1")
WRONG = ("return params - learning_rate", "return params + learning_rate")
# Gradescope's results.json: https://gradescope-autograders.readthedocs.io/en/latest/specs/
TOP_KEYS = {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
TEST_KEYS = {"score", "max_score", "name", "number", "output", "visibility", "status"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The zip built by the CLI (every exercise, hidden tests `hidden`), unpacked as Gradescope does."""
    root = tmp_path_factory.mktemp("autograder")
    out = root / "autograder.zip"
    proc = run_grade("instructor", "gradescope", str(out), "--hidden-visibility", "hidden", "--unsafe-no-sandbox",
                     "--seed", str(DEFAULT_SEED), cwd=root)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as zf:
        for info in zf.infolist():
            target = root / "source" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    return root / "source"


def _nobody_can_run_python() -> bool:
    """Whether this interpreter is usable by an unprivileged user (not when it lives under /root)."""
    if os.geteuid() != 0:
        return False
    try:
        proc = subprocess.run([sys.executable, "-c", "print(42)"], user=65534, group=65534, extra_groups=[],
                              cwd="/tmp", capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.stdout.strip() == b"42"


def _run(bundle: Path, stand_in: Path, files: dict[str, str], *, metadata: dict | None = None,
         env_extra: dict[str, str] | None = None) -> dict:
    """run_autograder on `files` (path under submission/ -> text) with the stand-in paths."""
    for rel, text in files.items():
        path = stand_in / "submission" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (stand_in / "submission").mkdir(parents=True, exist_ok=True)
    if metadata is not None:
        (stand_in / "submission_metadata.json").write_text(json.dumps(metadata))
    env = {**os.environ, "AUTOGRADER_ROOT": str(stand_in), "GRADER_PYTHON": sys.executable, **(env_extra or {})}
    if not _nobody_can_run_python():
        env["GRADER_AUTOGRADER_USER"] = "none"  # this interpreter is out of nobody's reach (e.g. under /root)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([str(bundle / "run_autograder")], env=env, cwd=stand_in, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((stand_in / "results" / "results.json").read_text())
    results["_stdout"] = proc.stdout
    return results


def test_zip_holds_scripts_config_and_package(bundle):
    for script in ("setup.sh", "run_autograder"):
        mode = (bundle / script).stat().st_mode
        assert mode & stat.S_IXUSR, f"{script} is not executable"
        syntax = subprocess.run(["bash", "-n", str(bundle / script)], capture_output=True, text=True)
        assert syntax.returncode == 0, syntax.stderr
    for ex in load_catalog():
        assert (bundle / "solutions" / ex.file).is_file()
        assert (bundle / "grader" / "hidden" / f"{ex.tests}.py").is_file()
    assert (bundle / "pyproject.toml").is_file() and (bundle / "grader" / "catalog.toml").is_file()
    assert not list(bundle.rglob("__pycache__"))
    config = json.loads((bundle / "autograder.json").read_text())
    assert config["exercises"] == [e.name for e in load_catalog()]
    assert config["seed"] == DEFAULT_SEED and config["hidden_visibility"] == "hidden"
    pins = dict(line.split("==") for line in (bundle / "requirements.txt").read_text().splitlines())
    assert {"numpy", "sympy", "pytest", "click"} <= set(pins)
    from importlib import metadata

    assert all(pins[name] == metadata.version(name) for name in pins)  # the versions it was built with


def test_bundled_package_is_the_one_that_runs(bundle):
    env = {**os.environ, "PYTHONPATH": str(bundle)}
    proc = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], env=env,
                          cwd=bundle.parent, capture_output=True, text=True, check=True)
    assert Path(proc.stdout.strip()).resolve() == (bundle / "grader" / "__init__.py").resolve()


def test_bundle_builds_as_a_package(bundle, tmp_path):
    """setup.sh's `pip install .` needs pyproject's package layout to hold in the zip's files alone."""
    work = tmp_path / "src"
    shutil.copytree(bundle, work)
    build = tmp_path / "build"
    # setuptools' build_py lays the packages out exactly as a wheel would, offline.
    proc = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                           "--build-lib", str(build)], cwd=work, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    for ex in load_catalog():
        assert (build / "grader" / "solutions" / ex.file).is_file()
        assert (build / "grader" / "hidden" / f"{ex.tests}.py").is_file()
    assert (build / "grader" / "catalog.toml").is_file()
    assert (build / "grader" / "instructor" / "gradescope_run.py").is_file()


def test_reference_and_wrong_submissions(bundle, tmp_path):
    reference = reference_source(EX.file)
    wrong = mutate(reference, *WRONG)

    good = _run(bundle, tmp_path / "good", {f"nested/exercises/{EX.file}": reference})
    ex1 = [t for t in good["tests"] if t["name"].startswith(f"{EX.name} ·")]
    assert sum(t["score"] for t in ex1) == EX.max_score == sum(t["max_score"] for t in ex1)
    assert len(ex1) == len(EX.points)
    # The other exercises were not handed in: zero, saying why, with their full max score.
    others = [t for t in good["tests"] if not t["name"].startswith(f"{EX.name} ·")]
    assert all(t["score"] == 0 for t in others)
    for exercise in load_catalog()[1:]:  # the missing file is said once per exercise, on its first test
        tests = [t for t in others if t["number"].startswith(f"{exercise.number}.")]
        assert f"No {exercise.file}" in tests[0]["output"] and all(not t["output"] for t in tests[1:])
        assert f"{exercise.name}: not submitted" in good["output"]
    assert f"{EX.name}: graded nested/exercises/{EX.file}" in good["output"]
    assert f"{EX.name}: graded nested/exercises/{EX.file}" in good["_stdout"]
    assert good["max_score"] == sum(e.max_score for e in load_catalog())
    assert good["score"] == EX.max_score

    bad = _run(bundle, tmp_path / "bad", {EX.file: wrong})
    ws = make_workspace(tmp_path / "ws", {EX.file: wrong})
    # Gradescope shows students the summary (no hidden inputs or values): what `--hidden-feedback summary` shows
    _, alone = grade_json(ws, EX.name, "--hidden-feedback", "summary", seed=DEFAULT_SEED)
    assert 0 < alone["score"] < EX.max_score
    bad_ex1 = [t for t in bad["tests"] if t["name"].startswith(f"{EX.name} ·")]
    assert [t["score"] for t in bad_ex1] == [t["score"] for t in alone["tests"]]
    assert [t["output"] for t in bad_ex1] == [t["output"] for t in alone["tests"]]
    assert all("expected:" not in t["output"] for t in bad_ex1)

    for results in (good, bad):
        results.pop("_stdout")
        assert set(results) >= TOP_KEYS
        assert results["stdout_visibility"] == "hidden"
        for test in results["tests"]:
            assert set(test) >= TEST_KEYS
            expected = "visible" if _is_worked_example(test) else "hidden"
            assert test["visibility"] == expected, test["name"]
    assert any(t["visibility"] == "visible" for t in bad_ex1) and any(t["visibility"] == "hidden" for t in bad_ex1)


def _is_worked_example(test: dict) -> bool:
    """Map a results.json test back to its catalog test by its number `N.i`."""
    number, index = (int(x) for x in test["number"].split("."))
    exercise = next(e for e in load_catalog() if e.number == number)
    return "worked_example" in list(exercise.points)[index - 1]


def test_default_visibility_and_one_exercise(tmp_path):
    out = tmp_path / "ag.zip"
    assert run_grade("instructor", "gradescope", str(out), "-e", "1", cwd=tmp_path).returncode == 0
    again = run_grade("instructor", "gradescope", str(out), "-e", "1", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert run_grade("instructor", "gradescope", str(out), "-e", "1", "--force", cwd=tmp_path).returncode == 0
    config = json.loads(zipfile.ZipFile(out).read("autograder.json"))
    assert config["exercises"] == [EX.name] and config["hidden_visibility"] == "after_published"
    assert run_grade("instructor", "gradescope", str(tmp_path / "x.tar")).returncode == 2


def test_autograder_failure_still_writes_results(tmp_path):
    from grader.instructor.gradescope_run import main

    (tmp_path / "submission").mkdir()
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["--root", str(tmp_path), "--config", str(tmp_path / "bad.json")]) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "autograder itself failed" in results["output"]


def test_ambiguous_upload_follows_the_rule_and_says_so(bundle, tmp_path):
    """Two candidate files: the one directly in exercises/ wins over a shallower one, and the output says why."""
    reference = reference_source(EX.file)
    wrong = mutate(reference, *WRONG)
    results = _run(bundle, tmp_path / "two", {EX.file: wrong, f"work/exercises/{EX.file}": reference})
    ex1 = [t for t in results["tests"] if t["name"].startswith(f"{EX.name} ·")]
    assert sum(t["score"] for t in ex1) == EX.max_score  # the exercises/ copy was graded
    line = next(line for line in results["output"].splitlines() if line.startswith(f"{EX.name}:"))
    assert f"graded work/exercises/{EX.file}" in line and f"also found: {EX.file}" in line and "rule" in line


def test_per_student_seeds_from_the_bundled_secret(tmp_path):
    """Two students with the same wrong code get different hidden inputs, each the seed `grade batch` derives."""
    from grader.instructor.course_secret import create_secret, load_secret, student_seed
    from grader.runner import grade_file

    course = tmp_path / "course"
    secret = create_secret(course)
    out = tmp_path / "ag.zip"
    # full feedback, so that the outputs show each student's own hidden inputs
    proc = run_grade("instructor", "gradescope", str(out), "-e", "1", "--unsafe-no-sandbox",
                     "--hidden-feedback", "full", cwd=course)
    assert proc.returncode == 0 and "per-student seeds" in proc.stdout, proc.stderr
    source = tmp_path / "source"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(source)
        assert (zf.getinfo("course-secret").external_attr >> 16) & 0o777 == 0o600
    (source / "run_autograder").chmod(0o755)
    wrong = mutate(reference_source(EX.file), *WRONG)
    outputs = {}
    for sid in ("s1", "s2"):
        results = _run(source, tmp_path / sid, {EX.file: wrong}, metadata={"users": [{"sid": sid, "email": "x"}]})
        assert "seed" not in json.dumps(results["extra_data"])  # the student's own seed is not shown
        outputs[sid] = [t["output"] for t in results["tests"]]
        seed = student_seed(load_secret(secret), sid, EX.name)
        ws = make_workspace(tmp_path / f"ws-{sid}", {EX.file: wrong})
        # `grade --seed` takes 32-bit seeds; derived ones are 63-bit, so grade in-process with the same call
        alone = grade_file(EX, ws / "exercises" / EX.file, seed=seed)
        assert [t["score"] for t in results["tests"]] == [t.score for t in alone.tests]
        assert outputs[sid] == [t.output for t in alone.tests]
    assert outputs["s1"] != outputs["s2"]  # different hidden inputs


def test_refuses_without_filesystem_confinement_unless_unsafe(tmp_path):
    out = tmp_path / "ag.zip"
    assert run_grade("instructor", "gradescope", str(out), "-e", "1", cwd=tmp_path).returncode == 0
    source = tmp_path / "source"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(source)
    (source / "run_autograder").chmod(0o755)
    results = _run(source, tmp_path / "r", {EX.file: reference_source(EX.file)},
                   env_extra={"GRADE_SANDBOX_LAYERS": "none"})
    assert results["score"] == 0 and "Refusing to grade" in results["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root (as on Gradescope)")
def test_grading_child_runs_unprivileged_and_nothing_outlives_it():
    """As root: the child runs as nobody; daemons it leaves (setsid, one holding its stdout) are dead when it
    returns. Only this test's own processes are looked at (the machine may run others as nobody)."""
    import time

    from grader.instructor.gradescope_run import run_unprivileged

    marks = ("300.125", "301.125")
    script = ("import os, subprocess; print(os.getuid(), os.getgid(), os.getgroups(), flush=True); "
              f"subprocess.Popen(['sleep', '{marks[0]}'], start_new_session=True); "
              f"subprocess.Popen(['sleep', '{marks[1]}'], start_new_session=True, stdout=subprocess.DEVNULL)")
    started = time.monotonic()
    out = run_unprivileged(["/usr/bin/python3", "-c", script], 65534, 65534, cwd=Path("/tmp"), timeout=60)
    assert time.monotonic() - started < 30
    assert out.split()[:3] == [b"65534", b"65534", b"[]"]
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                argv = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            assert not {m.encode() for m in marks} & set(argv), f"process {entry.name} outlived the child"
