"""The nbgrader course: generated notebooks, baked visible tests, and the real nbgrader CLI end to end."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SUBMISSIONS, mutate, reference_source, run_grade, submission, submission_edits
from leaks import numbers

from grader.catalog import load_catalog, resolve
from grader.instructor.course_secret import SECRET_FILE, load_secret, student_seed
from grader.instructor.nbgrader_grading import cell_outputs, hidden_summary
from grader.instructor.notebook_code import (
    RUNTIME_GRADE_ID,
    cell_source,
    fill_solutions,
    is_solution_cell,
    is_test_cell,
    nbgrader_meta,
    notebook_module_source,
)
from grader.instructor.notebook_markdown import docstring_markdown, inline_math, to_latex
from grader.instructor.notebooks import build_notebook
from grader.instructor.solution_blocks import split_solution
from grader.instructor.visible_tests import is_visible_test, record_calls
from grader.runner import grade_file
from grader.stubs import BEGIN_SOLUTION, END_SOLUTION, solution_source, stub_source

EX = resolve("exercise1")
WRONG = ("return params - learning_rate", "return params + learning_rate")
EXERCISES = list(load_catalog())
NBGRADER = shutil.which("nbgrader", path=str(Path(sys.executable).parent))
UNICODE_MATH = re.compile("[θαβσδη∇∂Σ²³ᵀ−·⊙≈≤≥←→√ŷ]")
_NOTEBOOKS: dict[str, object] = {}


def notebook(exercise):
    if exercise.name not in _NOTEBOOKS:
        _NOTEBOOKS[exercise.name] = build_notebook(exercise)
    return _NOTEBOOKS[exercise.name]


def _runtime(nb) -> dict:
    """The notebook's check runtime, executed on its own, as the kernel runs that cell."""
    (cell,) = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == RUNTIME_GRADE_ID]
    namespace: dict = {"__name__": "__main__"}
    exec(compile(cell_source(cell), "<nn-checks>", "exec"), namespace)
    return namespace


def _student(source: str) -> dict:
    namespace: dict = {"__name__": "student"}
    exec(compile(source, "<student>", "exec"), namespace)
    return namespace


def _verdict(runtime: dict, test: str, namespace: dict) -> str:
    """"" when the test cell passes, else its feedback."""
    function = runtime["nn_check"] if is_visible_test(test) else runtime["nn_hidden_test"]
    try:
        function(test, namespace)
    except runtime["NNCheckFailed"] as exc:
        return str(exc) or "failed"
    return ""


def _mistakes(text: str) -> list[str]:
    return [line.split("likely mistake:", 1)[1].strip() for line in text.splitlines() if "likely mistake:" in line]


# -- the source notebooks ----------------------------------------------------------------

@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_source_notebook_matches_catalog_and_nbgrader_schema(exercise):
    from nbgrader.nbgraderformat import MetadataValidator

    nb = notebook(exercise)
    MetadataValidator().validate_nb(nb)  # nbgrader's own check: schema 3, ids, points
    tests = [c for c in nb.cells if is_test_cell(c)]
    assert {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in tests} == exercise.points
    for cell in tests:
        meta, source = nbgrader_meta(cell), cell_source(cell)
        assert meta["locked"] and not meta["solution"]
        call = "nn_check" if is_visible_test(meta["grade_id"]) else "nn_hidden_test"
        assert source.endswith(f"{call}({meta['grade_id']!r})")
        # Nothing for generate_assignment to cut out of a locked cell: no checksum can change.
        assert "HIDDEN TESTS" not in source and "seed" not in source
    solution_blocks = [b for b in split_solution(solution_source(exercise.file)).blocks if b.kind == "solution"]
    solutions = [c for c in nb.cells if is_solution_cell(c)]
    assert [nbgrader_meta(c)["grade_id"] for c in solutions] == [b.name for b in solution_blocks]
    for cell in solutions:
        assert BEGIN_SOLUTION in cell_source(cell) and END_SOLUTION in cell_source(cell)
    runtime = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == RUNTIME_GRADE_ID]
    assert len(runtime) == 1 and nbgrader_meta(runtime[0])["locked"]
    assert "import grader" not in cell_source(runtime[0]) and "from grader" not in cell_source(runtime[0])


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_markdown_is_latex_and_speaks_of_the_notebook(exercise):
    nb = notebook(exercise)
    markdown = [cell_source(c) for c in nb.cells if c.cell_type == "markdown"]
    intro = markdown[0]
    assert intro.startswith(f"# Exercise {exercise.number} — {exercise.title}")
    assert "In this notebook" in intro and f"grade {exercise.name}" not in intro
    for text in markdown:
        prose = re.sub(r"```.*?```", "", text, flags=re.S)  # code examples may keep their comments
        prose = re.sub(r"`[^`]*`", "", prose)
        outside_math = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", prose)
        assert not UNICODE_MATH.findall(outside_math), outside_math
        assert prose.count("$") % 2 == 0
    assert any("\\nabla" in t or "\\partial" in t or "\\sigma" in t for t in markdown)


def test_latex_conversion():
    expected = r"\theta _{new} = \theta _{old} - \alpha \cdot \nabla J(\theta _{old})"
    assert to_latex("θ_new = θ_old − α · ∇J(θ_old)") == expected
    assert to_latex("√(6² + 8²)") == r"\sqrt{6^2 + 8^2}"
    assert to_latex("e^(−z)") == "e^{-z}"
    assert inline_math("the bowl J(x, y) = x² + y². From (3, 4)") == "the bowl $J(x, y) = x^2 + y^2$. From (3, 4)"
    assert inline_math("keep `θ_k` and x_i, not 2 words") == "keep `θ_k` and $x_i$, not 2 words"
    text = docstring_markdown("Step θ ← θ − α·g.\n\n    θ_new = θ − α·g          (α > 0)\n\nArgs:\n"
                              "    point: shape (d,), the p_i.\n\nExample:\n    >>> f(1)\n    2\n")
    assert "$$ \\theta _{new} = \\theta - \\alpha \\cdot g $$ $(\\alpha > 0)$" in text
    assert "- `point`: shape (d,), the $p_i$." in text and "```python\n>>> f(1)\n2\n```" in text


def test_reference_module_from_a_notebook_excludes_the_runtime_and_tests():
    code = notebook_module_source(notebook(EX))
    assert "nn_load" not in code and "nn_check" not in code
    block = split_solution(solution_source(EX.file)).block("gradient_step")
    assert block.source.split(BEGIN_SOLUTION)[1].split(END_SOLUTION)[0] in code
    assert "Example:" not in code  # the docstring's detail moved to the Markdown cell above


# -- the visible-check runtime -------------------------------------------------------------

@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_reference_passes_every_cell_and_stubs_fail_every_cell(exercise, capsys):
    runtime = _runtime(notebook(exercise))
    reference = _student(reference_source(exercise.file))
    stub = _student(stub_source(exercise.file))
    for test in exercise.points:
        assert _verdict(runtime, test, reference) == "", test
        failure = _verdict(runtime, test, stub)
        assert "is not implemented yet" in failure, (test, failure)
        assert "Traceback" not in failure and "/grader/" not in failure
    out = capsys.readouterr().out
    visible = [t for t in exercise.points if is_visible_test(t)]
    assert out.count("✓ ") == len(visible) and out.count("· hidden test") == len(exercise.points) - len(visible)


def _wrong_submissions():
    cases = [(EX, "added_gradient", mutate(reference_source(EX.file), *WRONG))]
    for number in (2, 3, 4, 5):
        for name in submission_edits(number):
            cases.append((resolve(f"exercise{number}"), name, submission(number, name)))
    return cases


@pytest.mark.parametrize("case", _wrong_submissions(), ids=lambda c: f"{c[0].name}-{c[1]}")
def test_visible_tests_agree_with_grade(case, tmp_path):
    """A baked worked example passes or fails exactly as `grade`'s test, with `grade`'s diagnosis."""
    exercise, _, source = case
    runtime = _runtime(notebook(exercise))
    path = tmp_path / exercise.file
    path.write_text(source)
    graded = {t.test_id: t for t in grade_file(exercise, path, seed=3).tests}
    namespace = _student(source)
    for test in filter(is_visible_test, exercise.points):
        mine = _verdict(runtime, test, namespace)
        assert (mine == "") == (graded[test].score == graded[test].max_score), (test, mine, graded[test].output)
        if mine:
            messages = {m for call in record_calls(exercise, test) for m, _ in call["mutants"]}
            theirs = _mistakes(graded[test].output)
            assert set(_mistakes(mine)) <= set(theirs)
            assert {m for m in theirs if m in messages} <= set(_mistakes(mine))


def test_a_failing_visible_test_shows_the_diagnosis_without_a_traceback():
    runtime = _runtime(notebook(EX))
    failure = _verdict(runtime, "test_gradient_step_worked_example", _student(mutate(reference_source(EX.file),
                                                                                     *WRONG)))
    assert failure.startswith("gradient_step on the notes' example")
    assert "expected: [2.4, 3.2]" in failure and "got:      [3.6, 4.8]" in failure
    assert "likely mistake: You added the gradient step instead of subtracting it" in failure
    rendered = runtime["NNCheckFailed"](failure)._render_traceback_()  # what IPython shows instead of a traceback
    assert rendered[0].endswith(failure.splitlines()[0]) and "Traceback" not in "".join(rendered)


def test_visible_runtime_catches_hangs_and_in_place_changes(monkeypatch):
    runtime = _runtime(notebook(EX))
    monkeypatch.setitem(runtime, "NN_CALL_SECONDS", 0.3)
    hangs = _student(reference_source(EX.file) + "\n\ndef bowl_loss(point):\n    while True:\n        pass\n")
    assert "did not return within 0.3 s" in _verdict(runtime, "test_bowl_loss_worked_example", hangs)
    crashes = _student(reference_source(EX.file) + "\n\ndef bowl_gradient(point):\n    return point[5]\n")
    text = _verdict(runtime, "test_bowl_gradient_worked_example", crashes)
    assert "bowl_gradient raised IndexError" in text and "<student>" in text


# -- what a graded cell shows ----------------------------------------------------------------

def test_hidden_summary_keeps_the_diagnosis_only():
    full = ("call:     gradient_step(params=array([ 2.8592, -2.0686]), grad=array([1.5, 2.5]), learning_rate=0.29)\n"
            "expected: [ 3.566516, -1.378451]  (ndarray, shape (2,), dtype float64)\n"
            "got:      [ 2.151977, -2.758775]  (ndarray, shape (2,), dtype float64)\n"
            "problem:  wrong values\n"
            "likely mistake: You added the gradient step instead of subtracting it.")
    summary = hidden_summary(full)
    assert summary == "likely mistake: You added the gradient step instead of subtracting it."
    assert "not implemented yet" in hidden_summary("gradient_step is not implemented yet (it still raises …).")
    assert "2.8592" not in hidden_summary(full.rsplit("\n", 1)[0]) and "wrong result" in hidden_summary("x")
    test = {"title": "gradient_step on random inputs.", "score": 0.0, "max_score": 2.0, "output": full}
    (hidden,) = cell_outputs(test, visible=False)
    assert hidden["output_type"] == "error" and hidden["traceback"][0].startswith("✗ gradient_step on random inputs")
    assert "3.566516" not in json.dumps(hidden) and "(hidden test, 0/2 points)" in hidden["traceback"][0]
    (shown,) = cell_outputs(test, visible=False, hidden_feedback="full")
    assert "3.566516" in json.dumps(shown, ensure_ascii=False)
    (passed,) = cell_outputs({**test, "score": 2.0}, visible=False)
    assert passed == {"output_type": "stream", "name": "stdout", "text": "✓ gradient_step on random inputs passed "
                                                                         "(2 points)\n"}


def test_course_folder_secret_and_force(tmp_path):
    from click.testing import CliRunner

    from grader.cli import cli

    def make(*extra: str):
        return CliRunner().invoke(cli, ["instructor", "nbgrader", str(course), "-e", "1", *extra])

    course = tmp_path / "course"
    first = make()
    assert first.exit_code == 0, first.output
    secret = (course / SECRET_FILE).read_text()
    assert (course / SECRET_FILE).stat().st_mode & 0o077 == 0  # only the instructor can read it
    (course / "gradebook.db").write_text("keep me")
    again = make()
    assert again.exit_code == 2 and "--force" in again.output
    forced = make("--seed", "5", "--force")
    assert forced.exit_code == 0, forced.output
    assert (course / "gradebook.db").read_text() == "keep me" and (course / SECRET_FILE).read_text() == secret
    config = (course / "nbgrader_config.py").read_text()
    assert "c.OutOfKernelGrading.seed = 5" in config and "OutOfKernelGrading.secret_file" in config
    make_plain = tmp_path / "plain"
    plain = CliRunner().invoke(cli, ["instructor", "nbgrader", str(make_plain), "-e", "1"])
    assert plain.exit_code == 0 and "OutOfKernelGrading.seed =" not in (make_plain / "nbgrader_config.py").read_text()
    template = (course / "templates" / "nn_feedback" / "index.html.j2").read_text()
    assert ">Test cell</a>" not in template and "nn_learn" in template


# -- the real nbgrader, end to end ---------------------------------------------------------

def _nbgrader(course: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    assert NBGRADER, "nbgrader is not installed beside this python (pip install -e '.[dev]')"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([NBGRADER, *args], cwd=course, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


# The course fixture runs nbgrader for real (several kernels and grading processes): minutes on a busy machine.
E2E = pytest.mark.timeout(1800)
CHEAT_CELL = (SUBMISSIONS / "instructor" / "nbgrader_kernel_patch.ipy").read_text()


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """One course, exercise 1: three students with the same wrong code and a cheat, autograded for real."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    from grader.instructor.nbgrader_course import write_course

    write_course(course, exercises=[EX])
    validated = _nbgrader(course, "validate", f"source/{EX.name}/{EX.name}.ipynb")
    _nbgrader(course, "generate_assignment", EX.name)
    release_path = course / "release" / EX.name / f"{EX.name}.ipynb"
    inverted = _nbgrader(course, "validate", "--invert", str(release_path))
    release = json.loads(release_path.read_text())
    wrong = mutate(reference_source(EX.file), *WRONG)
    cheat = fill_solutions(release, stub_source(EX.file))
    cheat["cells"].insert(3, {"cell_type": "code", "metadata": {}, "source": CHEAT_CELL, "outputs": [],
                              "execution_count": None})
    for cell in cheat["cells"]:  # and again inside a solution cell, which does reach the graded code
        if is_solution_cell(cell) and nbgrader_meta(cell)["grade_id"] == "bowl_loss":
            cell["source"] += "\n\nimport numpy\nnumpy.allclose = numpy.isclose = lambda *a, **k: True\n"
    submissions = {s: fill_solutions(release, wrong) for s in ("ana", "ben", "chloé")} | {"mallory": cheat}
    for student, nb in submissions.items():
        folder = course / "submitted" / student / EX.name
        folder.mkdir(parents=True)
        (folder / f"{EX.name}.ipynb").write_text(json.dumps(nb))
    autograded = _nbgrader(course, "autograde", EX.name)  # the default: no kernel at all
    marker = course / "autograded" / "mallory" / EX.name / "cheat-ran-in-kernel"
    ran_by_default = marker.exists()
    # The cheat again, with the notebook run in a kernel first: the patches run, and still earn nothing.
    in_kernel = _nbgrader(course, "autograde", EX.name, "--student", "mallory", "--force", "--Execute.enabled=True")
    _nbgrader(course, "generate_feedback", EX.name)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        cells = {s: {g.name: g.score for g in gb.find_submission_notebook(EX.name, EX.name, s).grades}
                 for s in submissions}
        totals = {s: gb.find_submission(EX.name, s).score for s in submissions}
    return {"course": course, "release": release_path, "validated": validated, "inverted": inverted,
            "autograded": autograded, "in_kernel": in_kernel, "ran_by_default": ran_by_default,
            "ran_in_kernel": marker.exists(), "cells": cells, "totals": totals, "wrong": wrong}


@E2E
def test_validate_passes_on_source_and_invert_passes_on_release(graded_course):
    assert "Success! Your notebook passes all the tests." in graded_course["validated"].stdout
    assert "Success! The notebook does not pass any tests." in graded_course["inverted"].stdout


@E2E
def test_release_holds_no_reference_code_and_generate_assignment_changes_no_test_cell(graded_course):
    text = graded_course["release"].read_text()
    assert "BEGIN SOLUTION" not in text
    for block in split_solution(solution_source(EX.file)).blocks:
        if block.kind == "solution":
            body = block.source.split(BEGIN_SOLUTION)[1].split(END_SOLUTION)[0]
            for line in body.splitlines():
                assert len(line.strip()) < 8 or json.dumps(line.strip())[1:-1] not in text, line
    log = graded_course["autograded"].stdout + graded_course["autograded"].stderr
    assert "checksum" not in log.lower() and "has changed" not in log, log[-3000:]


@E2E
def test_kernel_patching_cheat_scores_zero(graded_course):
    assert not graded_course["ran_by_default"] and graded_course["ran_in_kernel"]  # no kernel, then a kernel
    assert graded_course["totals"]["mallory"] == 0
    assert set(graded_course["cells"]["mallory"].values()) == {0.0}


@E2E
def test_grades_equal_grade_file_with_each_students_seed(graded_course, tmp_path):
    course = graded_course["course"]
    secret = load_secret(course / SECRET_FILE)
    path = tmp_path / EX.file
    path.write_text(graded_course["wrong"])
    outputs = {}
    for student in ("ana", "ben", "chloé"):
        result = grade_file(EX, path, seed=student_seed(secret, student, EX.name))
        assert graded_course["cells"][student] == {t.test_id: t.score for t in result.tests}
        assert 0 < graded_course["totals"][student] == result.score < EX.max_score
        outputs[student] = {t.test_id: t.output for t in result.tests}
    # Same code, different hidden inputs: the full feedback quotes different calls.
    random_step = [o["test_gradient_step_random"] for o in outputs.values()]
    assert len({next(line for line in o.splitlines() if line.startswith("call:")) for o in random_step}) == 3
    graded_course["outputs"] = outputs
    # `grade batch` on the same course folder (it finds submitted/ and the course secret there)
    # gives every student the same hidden inputs, hence the same score as nbgrader.
    out = tmp_path / "grades"
    proc = run_grade("batch", str(course), "--out", str(out), "-e", EX.name, "--unsafe-no-sandbox", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "per-student seeds from the course secret" in proc.stderr, proc.stderr
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as fh:
        book = {row["student"]: row for row in csv.DictReader(fh)}
    for student in ("ana", "ben", "chloé"):
        assert float(book[student][EX.name]) == graded_course["totals"][student], student


@E2E
def test_feedback_names_each_test_and_leaks_no_hidden_value(graded_course):
    course = graded_course["course"]
    secret = load_secret(course / SECRET_FILE)
    for student in ("ana", "ben", "chloé"):
        html = (course / "feedback" / student / EX.name / f"{EX.name}.html").read_text()
        assert ">Test cell<" not in html and "nn_load(" not in html
        assert "likely mistake: You added the gradient step" in html
        seed = student_seed(secret, student, EX.name)
        forbidden = set()
        for test in EX.points:
            if is_visible_test(test):
                continue
            for call in record_calls(EX, test, seed=seed):
                forbidden |= numbers(call["expected"]) | numbers(call["args"])
        assert len(forbidden) > 20
        leaked = sorted(n for n in forbidden if n in html)
        assert not leaked, leaked
