"""Released notebooks and the student kit in a fresh environment with nothing but numpy, sympy, nbclient, ipykernel.

The environment is created once per test session (`python -m venv` and pip, from the package
index) under a temporary folder. It has no `grader` package: the releases must not need it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import mutate, reference_source
from leaks import baked_numbers, code_lines, hidden_values, reference_lines

from grader.catalog import resolve
from grader.instructor.course_secret import load_secret, student_seed
from grader.instructor.notebook_code import fill_solutions, is_test_cell, nbgrader_meta
from grader.instructor.visible_tests import is_visible_test
from grader.stubs import stub_source

EXERCISES = [resolve("exercise1"), resolve("exercise2")]  # numpy only, and numpy + sympy
NBGRADER = shutil.which("nbgrader", path=str(Path(sys.executable).parent))
RUN_NOTEBOOK = r'''
import json, sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
cells = []
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    texts, errors = [], []
    for out in cell.outputs:
        if out.output_type == "stream":
            texts.append(out.text)
        elif out.output_type == "error":
            errors.append(out.ename + ": " + "\n".join(out.traceback))
    cells.append({"id": cell.metadata.get("nbgrader", {}).get("grade_id"), "out": "".join(texts), "errors": errors})
print(json.dumps(cells))
'''


def _clean_env() -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH", "JUPYTER_DATA_DIR", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.fixture(scope="session")
def clean_python(tmp_path_factory) -> Path:
    # GRADE_TEST_CLEAN_VENV=DIR keeps the environment between runs (it is rebuilt if incomplete).
    kept = os.environ.get("GRADE_TEST_CLEAN_VENV")
    root = Path(kept) if kept else tmp_path_factory.mktemp("clean-venv")
    python = root / "venv" / "bin" / "python"
    ready = root / "venv" / ".complete"
    if not ready.exists():
        shutil.rmtree(root / "venv", ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=300)
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--prefer-binary", "numpy", "sympy",
                              "nbclient", "ipykernel"], capture_output=True, text=True, timeout=1500,
                             env=_clean_env())
        assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
        ready.write_text("numpy sympy nbclient ipykernel\n")
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True,
                            timeout=120, env=_clean_env())
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert {"numpy", "sympy", "nbclient", "ipykernel"} <= names and not names & {"nn-learn-grader", "nbgrader"}
    probe = subprocess.run([str(python), "-c", "import grader"], capture_output=True, text=True, cwd=root,
                           env=_clean_env())
    assert probe.returncode != 0 and "No module named 'grader'" in probe.stderr  # the course package is absent
    return python


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Path]:
    """Real `nbgrader generate_assignment` releases of exercises 1 and 2."""
    from grader.instructor.nbgrader_course import write_course

    course = tmp_path_factory.mktemp("course") / "course"
    write_course(course, exercises=EXERCISES)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for exercise in EXERCISES:
        proc = subprocess.run([NBGRADER, "generate_assignment", exercise.name], cwd=course, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return {e.name: course / "release" / e.name / f"{e.name}.ipynb" for e in EXERCISES} | {"course": course}


def _execute(python: Path, notebook: dict, folder: Path) -> list[dict]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.py").write_text(RUN_NOTEBOOK)
    (folder / "nb.ipynb").write_text(json.dumps(notebook))
    proc = subprocess.run([str(python), "run.py", "nb.ipynb"], cwd=folder, capture_output=True, text=True,
                          timeout=600, env=_clean_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
@pytest.mark.timeout(2400)  # the first test also builds the environment (pip, on a shared machine)
def test_release_runs_without_the_package(exercise, clean_python, releases, tmp_path):
    release = json.loads(releases[exercise.name].read_text())
    tests = {nbgrader_meta(c)["grade_id"] for c in release["cells"] if is_test_cell(c)}
    assert tests == set(exercise.points)

    stubs = {c["id"]: c for c in _execute(clean_python, release, tmp_path / "stubs")}
    everything = json.dumps(stubs)
    assert "ImportError" not in everything and "ModuleNotFoundError" not in everything
    for grade_id, cell in stubs.items():
        if grade_id in tests:  # every test cell fails, with the diagnosis, and no traceback through the checks
            assert len(cell["errors"]) == 1 and "is not implemented yet" in cell["errors"][0], (grade_id, cell)
            assert "Traceback" not in cell["errors"][0] and "nn_checks" not in cell["errors"][0]
        else:
            assert cell["errors"] == [], (grade_id, cell)

    solved = fill_solutions(release, reference_source(exercise.file))
    passed = {c["id"]: c for c in _execute(clean_python, solved, tmp_path / "reference")}
    for grade_id, cell in passed.items():
        assert cell["errors"] == [], (grade_id, cell)
        if grade_id in tests and is_visible_test(grade_id):
            assert cell["out"].startswith("✓ ") and "passed" in cell["out"]


def test_release_holds_no_reference_code_and_no_hidden_value(releases):
    course = releases["course"]
    secret = load_secret(course / ".grade-course-secret")
    for exercise in EXERCISES:
        files = list((course / "release" / exercise.name).rglob("*"))
        assert [f.name for f in files] == [f"{exercise.name}.ipynb"]  # no secret, no data file beside it
        text = files[0].read_text()
        leaked_code = reference_lines(exercise) & code_lines(text)
        assert reference_lines(exercise) and not leaked_code, leaked_code
        seeds = [2024, 7] + [student_seed(secret, s, exercise.name) for s in ("ana", "ben")]
        forbidden = hidden_values(exercise, seeds)
        assert len(forbidden) > 30
        assert not sorted(v for v in forbidden if v in text)
        assert not forbidden & baked_numbers(text)  # nor inside the baked (base64) arrays


# -- the student kit (.py route) ---------------------------------------------------------

@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from grader.cli import cli

    out = tmp_path_factory.mktemp("kit") / "kit"
    made = CliRunner().invoke(cli, ["instructor", "student-kit", str(out)])
    assert made.exit_code == 0, made.output
    again = CliRunner().invoke(cli, ["instructor", "student-kit", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    return out


def test_kit_holds_stubs_checks_and_no_answers(kit):
    from grader.catalog import load_catalog

    for exercise in load_catalog():
        stub = (kit / "exercises" / exercise.file).read_text()
        assert stub.replace(f"python check_{exercise.name}.py", f"grade {exercise.name}") == stub_source(exercise.file)
        check = (kit / f"check_{exercise.name}.py").read_text()
        for text in (stub, check):
            assert not reference_lines(exercise) & code_lines(text)
            forbidden = hidden_values(exercise, [2024, 11])
            assert not sorted(v for v in forbidden if v in text)
        assert not hidden_values(exercise, [2024]) & baked_numbers(check)
        assert "import grader" not in check and "from grader" not in check
    assert sorted(p.name for p in kit.iterdir()) == sorted(
        ["README.md", "requirements.txt", "exercises", *(f"check_{e.name}.py" for e in load_catalog())])


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
@pytest.mark.timeout(2400)
def test_kit_checks_run_without_the_package(exercise, kit, clean_python, tmp_path):
    work = tmp_path / "kit"
    shutil.copytree(kit, work)
    script = f"check_{exercise.name}.py"

    def check(source: str) -> subprocess.CompletedProcess[str]:
        (work / "exercises" / exercise.file).write_text(source)
        return subprocess.run([str(clean_python), script], cwd=work, capture_output=True, text=True, timeout=300,
                              env=_clean_env())

    stubs = check((kit / "exercises" / exercise.file).read_text())
    assert stubs.returncode == 1 and "not implemented yet" in stubs.stdout and "Error" not in stubs.stderr
    assert f"0 of {len(exercise.points)} checks passed" in stubs.stdout
    reference = check(reference_source(exercise.file))
    assert reference.returncode == 0, reference.stdout
    assert reference.stdout.count("✓ ") == sum(map(is_visible_test, exercise.points))
    if exercise.name == "exercise1":
        wrong = check(mutate(reference_source(exercise.file), "return params - learning_rate",
                             "return params + learning_rate"))
        assert wrong.returncode == 1 and "likely mistake: You added the gradient step" in wrong.stdout
