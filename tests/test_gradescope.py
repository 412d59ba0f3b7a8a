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
    proc = run_grade("instructor", "gradescope", str(out), "--hidden-visibility", "hidden")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as zf:
        for info in zf.infolist():
            target = root / "source" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    return root / "source"


def _run(bundle: Path, stand_in: Path, files: dict[str, str]) -> dict:
    """run_autograder on `files` (path under submission/ -> text) with the stand-in paths."""
    for rel, text in files.items():
        path = stand_in / "submission" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {**os.environ, "AUTOGRADER_ROOT": str(stand_in), "GRADER_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([str(bundle / "run_autograder")], env=env, cwd=stand_in, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((stand_in / "results" / "results.json").read_text())


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
    assert {"numpy", "sympy", "pytest", "click"} <= {
        line.split(">")[0].split("=")[0].strip() for line in (bundle / "requirements.txt").read_text().splitlines()
    }


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
    assert all(t["score"] == 0 and "No " in t["output"] for t in others)
    assert good["max_score"] == sum(e.max_score for e in load_catalog())
    assert good["score"] == EX.max_score

    bad = _run(bundle, tmp_path / "bad", {EX.file: wrong})
    ws = make_workspace(tmp_path / "ws", {EX.file: wrong})
    _, alone = grade_json(ws, EX.name, seed=DEFAULT_SEED)
    assert 0 < alone["score"] < EX.max_score
    bad_ex1 = [t for t in bad["tests"] if t["name"].startswith(f"{EX.name} ·")]
    assert [t["score"] for t in bad_ex1] == [t["score"] for t in alone["tests"]]
    assert [t["output"] for t in bad_ex1] == [t["output"] for t in alone["tests"]]

    for results in (good, bad):
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
    assert run_grade("instructor", "gradescope", str(out), "-e", "1").returncode == 0
    again = run_grade("instructor", "gradescope", str(out), "-e", "1")
    assert again.returncode == 2 and "--force" in again.stderr
    assert run_grade("instructor", "gradescope", str(out), "-e", "1", "--force").returncode == 0
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
