"""The nbgrader course: generated notebooks, their checks, and the real nbgrader CLI end to end."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import grade_json, make_workspace, mutate, reference_source, run_grade

from grader.catalog import load_catalog, resolve
from grader.instructor.notebook_checks import NotebookCheckFailed, NotebookStudent, run_check
from grader.instructor.notebook_code import (
    cell_source,
    fill_solutions,
    is_solution_cell,
    is_test_cell,
    nbgrader_meta,
    notebook_module_source,
)
from grader.instructor.notebooks import build_notebook, is_visible_test
from grader.instructor.solution_blocks import split_solution
from grader.runner import grade_file
from grader.sandbox.codec import CallableRef
from grader.stubs import BEGIN_SOLUTION, END_SOLUTION, solution_source, stub_source

EX = resolve("exercise1")
SEED = 31
WRONG = ("return params - learning_rate", "return params + learning_rate")
EXERCISES = list(load_catalog())
NBGRADER = shutil.which("nbgrader", path=str(Path(sys.executable).parent))


def _namespace(source: str) -> dict:
    namespace: dict = {"__name__": "__main__"}
    exec(compile(source, "<notebook>", "exec"), namespace)
    return namespace


def _outcomes(exercise, namespace: dict, seed: int) -> dict[str, str]:
    """test -> "" (passed) or the feedback, from the notebook route."""
    found = {}
    for test in exercise.points:
        try:
            run_check(exercise.name, test, namespace, seed=seed)
            found[test] = ""
        except NotebookCheckFailed as exc:
            found[test] = str(exc)
    return found


# -- the source notebooks ----------------------------------------------------------------

@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_source_notebook_matches_catalog_and_nbgrader_schema(exercise):
    from nbgrader.nbgraderformat import MetadataValidator

    nb = build_notebook(exercise, seed=SEED)
    MetadataValidator().validate_nb(nb)  # nbgrader's own check: schema 3, ids, points
    tests = [c for c in nb.cells if is_test_cell(c)]
    assert sorted(nbgrader_meta(c)["grade_id"] for c in tests) == sorted(exercise.points)  # one cell per test
    assert {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in tests} == exercise.points
    assert sum(nbgrader_meta(c)["points"] for c in tests) == exercise.max_score
    for cell in tests:
        meta, source = nbgrader_meta(cell), cell_source(cell)
        assert meta["locked"] and not meta["solution"]
        assert f"run_check({exercise.name!r}, {meta['grade_id']!r}, globals(), seed={SEED})" in source
        hidden = "### BEGIN HIDDEN TESTS" in source
        assert hidden != is_visible_test(meta["grade_id"])
        if hidden:  # the call sits wholly inside the markers, so the release keeps none of it
            inside = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            assert "run_check" in inside and "run_check" not in source.replace(inside, "")
    solution_blocks = [b for b in split_solution(solution_source(exercise.file)).blocks if b.kind == "solution"]
    solutions = [c for c in nb.cells if is_solution_cell(c)]
    assert [nbgrader_meta(c)["grade_id"] for c in solutions] == [b.name for b in solution_blocks]
    for cell in solutions:
        assert BEGIN_SOLUTION in cell_source(cell) and END_SOLUTION in cell_source(cell)
    markdown = "\n".join(cell_source(c) for c in nb.cells if c.cell_type == "markdown")
    assert exercise.title in markdown
    for block in solution_blocks:
        if block.docstring:
            assert f"`{block.signature}`" in markdown


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_reference_notebook_passes_every_test_cell_in_order(exercise):
    """Executing the source notebook's cells top to bottom, as a kernel would: every test passes."""
    nb = build_notebook(exercise, seed=SEED)
    namespace: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell_source(cell), f"<{nbgrader_meta(cell).get('grade_id')}>", "exec"), namespace)


def test_solution_cells_hold_the_reference_code_without_the_long_docstrings():
    nb = build_notebook(EX, seed=SEED)
    code = notebook_module_source(nb)
    def definitions(source: str) -> list[str]:
        return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef | ast.ClassDef)]

    assert definitions(code) == definitions(solution_source(EX.file))  # same functions, same order
    block = split_solution(solution_source(EX.file)).block("gradient_step")
    body = block.source.split(BEGIN_SOLUTION)[1].split(END_SOLUTION)[0]
    assert body in code
    assert "Example:" not in code  # the docstring's detail moved to the Markdown cell above


def test_docstrings_render_as_markdown():
    from grader.instructor.notebooks import docstring_markdown

    text = docstring_markdown("Run `n_steps` updates θ_{k+1} = θ_k.\n\nArgs:\n    x: shape (d,).\n")
    assert "`n_steps`" in text and "θ\\_{k+1}" in text  # code spans kept, prose escaped
    assert "```text\nx: shape (d,).\n```" in text


def test_refuses_to_overwrite_without_force(tmp_path):
    from click.testing import CliRunner

    from grader.cli import cli

    def make(*extra: str):
        return CliRunner().invoke(cli, ["instructor", "nbgrader", str(course), "-e", "1", *extra])

    course = tmp_path / "course"
    first = make()
    assert first.exit_code == 0, first.output
    (course / "gradebook.db").write_text("keep me")
    again = make()
    assert again.exit_code == 2 and "--force" in again.output
    forced = make("--seed", "5", "--force")
    assert forced.exit_code == 0, forced.output
    assert (course / "gradebook.db").read_text() == "keep me"
    notebook = (course / "source" / EX.name / f"{EX.name}.ipynb").read_text()
    assert "seed=5)" in notebook
    config = (course / "nbgrader_config.py").read_text()
    assert "c.CollectApp.check_owner = False" in config and "c.ExecutePreprocessor.timeout" in config


# -- the in-kernel checks are `grade`'s checks --------------------------------------

@pytest.mark.parametrize("variant", ["reference", "wrong", "stub"])
def test_notebook_checks_give_grades_feedback_word_for_word(variant, tmp_path):
    """Same seed, same code: the same tests pass, and failures say exactly what `grade` says.

    Failure feedback quotes the random inputs, so this also proves the `rng`
    fixture the notebook builds is the one `grade`'s conftest builds.
    """
    source = {
        "reference": reference_source(EX.file),
        "wrong": mutate(reference_source(EX.file), *WRONG),
        "stub": stub_source(EX.file),
    }[variant]
    path = tmp_path / EX.file
    path.write_text(source)
    graded = grade_file(EX, path, seed=SEED)
    notebook = _outcomes(EX, _namespace(source), SEED)
    assert notebook == {t.test_id: t.output for t in graded.tests}
    if variant == "wrong":
        assert 0 < graded.score < EX.max_score
        assert "array(" in notebook["test_gradient_step_random"]  # random inputs, quoted


def test_student_adapter_reports_like_the_sandbox(capsys):
    def mutates(x):
        x *= 2
        return x

    def warns(x):
        import warnings

        print("debug print")
        warnings.warn("careful", RuntimeWarning, stacklevel=1)
        np.log(-1.0)  # a NumPy RuntimeWarning
        return x.sum()

    def hangs(x):
        while True:
            pass

    def stub(x):
        raise NotImplementedError()

    student = NotebookStudent({"mutates": mutates, "warns": warns, "hangs": hangs, "stub": stub}, "exercise1",
                              call_timeout=0.3)
    original = np.array([1.0, 2.0])
    outcome = student.call("mutates", original)
    assert np.array_equal(original, [1.0, 2.0])  # the caller's array went through the codec
    assert np.array_equal(outcome.args_after[0], [2.0, 4.0]) and np.array_equal(outcome.value, [2.0, 4.0])

    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        outcome = student.call("warns", np.array([1.0, 2.0]))
    # np.float64 arrives as a plain float: the codec's round trip, exactly as from the sandbox
    assert outcome.error is None and outcome.value == 3.0 and type(outcome.value) is float
    assert escaped == []  # kept with the student's output, as the sandbox keeps them in its log

    assert student.call("stub", 1).error.kind == "not_implemented"
    assert student.call("nope", 1).error.kind == "missing_function"
    first = student.call("hangs", 1).error
    assert first.kind == "timeout" and "0.3 s" in first.message
    student.call("hangs", 1)
    assert "was not run again" in student.call("hangs", 1).error.message  # bounded, like the sandbox

    ref = student.call("mutates", CallableRef("bowl_gradient"))  # callables are rebuilt, then called
    assert ref.error is not None and ref.error.kind == "exception"

    captured = capsys.readouterr()
    assert captured.err == ""  # nbgrader would score a cell with stderr output 0


def test_a_failing_cell_shows_feedback_and_nothing_on_stderr(capsys):
    namespace = _namespace(mutate(reference_source(EX.file), *WRONG))
    with pytest.raises(NotebookCheckFailed, match="likely mistake: You added the gradient step"):
        run_check(EX.name, "test_gradient_step_worked_example", namespace, seed=SEED)
    assert capsys.readouterr().err == ""


# -- the real nbgrader, end to end ---------------------------------------------------------

def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert NBGRADER, "nbgrader is not installed beside this python (pip install -e '.[dev]')"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([NBGRADER, *args], cwd=course, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_nbgrader_generate_autograde_feedback(tmp_path):
    course = tmp_path / "course"
    made = run_grade("instructor", "nbgrader", str(course), "--seed", str(SEED))
    assert made.returncode == 0, made.stderr
    assert all((course / "source" / e.name / f"{e.name}.ipynb").is_file() for e in EXERCISES)
    _nbgrader(course, "generate_assignment", EX.name)

    release_path = course / "release" / EX.name / f"{EX.name}.ipynb"
    release = json.loads(release_path.read_text())
    text = release_path.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    reference = split_solution(solution_source(EX.file))
    for block in reference.blocks:
        if block.kind == "solution":
            body = block.source.split(BEGIN_SOLUTION)[1].split(END_SOLUTION)[0]
            for line in body.splitlines():
                assert line.strip() == "" or json.dumps(line.strip())[1:-1] not in text, line
    for cell in release["cells"]:
        meta = nbgrader_meta(cell)
        if is_test_cell(cell) and not is_visible_test(meta["grade_id"]):
            assert "run_check" not in cell_source(cell)  # hidden: only the comment is left
        if is_solution_cell(cell):
            assert "raise NotImplementedError()" in cell_source(cell)

    wrong = mutate(reference_source(EX.file), *WRONG)
    submissions = {"alice": fill_solutions(release, reference_source(EX.file)), "bob": release,
                   "carol": fill_solutions(release, wrong)}
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / EX.name
        folder.mkdir(parents=True)
        (folder / f"{EX.name}.ipynb").write_text(json.dumps(notebook))
    _nbgrader(course, "autograde", EX.name)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(EX.name, s).score for s in submissions}
        carol_cells = {g.name: g.score for g in gb.find_submission_notebook(EX.name, EX.name, "carol").grades}
        max_score = gb.find_assignment(EX.name).max_score
    assert max_score == EX.max_score
    assert scores["alice"] == EX.max_score and scores["bob"] == 0

    ws = make_workspace(tmp_path / "ws", {EX.file: wrong})
    _, alone = grade_json(ws, EX.name, seed=SEED)
    assert 0 < scores["carol"] == alone["score"] < EX.max_score
    by_test = dict(zip(EX.points, (t["score"] for t in alone["tests"]), strict=True))
    assert {k: carol_cells[k] for k in by_test} == by_test  # cell by cell, the same verdicts

    _nbgrader(course, "generate_feedback", EX.name)
    for student in submissions:
        html = course / "feedback" / student / EX.name / f"{EX.name}.html"
        assert html.is_file()
    carol_html = (course / "feedback" / "carol" / EX.name / f"{EX.name}.html").read_text()
    assert re.search(r"likely mistake: You added the gradient step", carol_html)
