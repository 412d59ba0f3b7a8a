"""Feedback a student can trust and read (issue 13) and feedback that leaks nothing (issue 9.3).

The structured result (kind, function, problem, diagnosis), `redact`, the
80-column report, the one-place import error, stubs on one line, repeated
diagnoses once, `-k`, `--first`, "Next:", per-function hints, the dependency
note ("fix `neuron_forward` first"), the direct engine `grade watch` uses, the
watch loop itself and `grade plot exercise1`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import (
    REPO,
    grade_json,
    make_workspace,
    mutate,
    reference_source,
    run_grade,
    submission,
    submission_edits,
)

from grader.catalog import load_catalog, resolve
from grader.compare import compare, ratio_hint
from grader.stubs import stub_source

FILE1 = "exercise1_update_rule.py"
REF1 = reference_source(FILE1)
NO_FACTOR_2 = ("    return 2.0 * np.asarray(point, dtype=float)", "    return np.asarray(point, dtype=float)")
SYNTAX_ERROR = ("    return float(np.sum(point**2))", "    return float(np.sum(point**2)")


def _fill_stub(source: str, function: str, body: str) -> str:
    """The stub with `function`'s `raise NotImplementedError()` replaced by `body`."""
    start = source.index(f"def {function}(")
    at = source.index("    raise NotImplementedError()", start)
    return source[:at] + body + source[at + len("    raise NotImplementedError()"):]


def _ws(tmp_path: Path, source: str, file: str = FILE1) -> Path:
    return make_workspace(tmp_path / "ws", {file: source})


def _text(ws: Path, exercise: str, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return run_grade(exercise, "--seed", "3", "--no-record", "--path", str(ws), *args,
                     env={"COLUMNS": str(columns)})


# -- comparison: types, precision, NaN, ratios -------------------------------------------

def test_types_the_docstrings_promise_are_enforced():
    assert "numpy array, got a Python list" in compare(np.array([1.0, 2.0]), [1.0, 2.0]).reason
    assert "0-d array" in compare(25.0, np.array(25.0)).reason
    assert "array of shape (1,)" in compare(0.5, np.array([0.5])).reason
    assert "float32" in compare(1.0, np.float32(1.0)).reason
    assert "float32" in compare(np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32)).reason
    # what the docstrings allow: numpy float64 scalars and ints for a float, int arrays of equal values
    assert compare(25.0, np.float64(25.0)) is None
    assert compare(25.0, 25) is None
    assert compare(np.array([6.0, 8.0]), np.array([6, 8])) is None


def test_nan_and_inf_are_named_and_explained():
    nan = compare(np.array([1.0, 0.0]), np.array([np.nan, 0.0]))
    assert "NaN" in nan.reason and "index [0]" in nan.reason and "overflow" in nan.hint
    inf = compare(2.0, float("inf"))
    assert "inf" in inf.reason and "max abs error" not in inf.reason


def test_constant_ratio_only_where_it_means_something():
    assert ratio_hint(2.0, 2.13) is None  # one number over another is always "a ratio"
    assert "twice" in ratio_hint(2.0, 4.0)  # a named factor still counts for a scalar
    assert "constant multiple (×1.5)" in ratio_hint(np.array([1.0, 2.0]), np.array([1.5, 3.0]))


def test_integer_results_where_floats_belong_are_explained():
    mismatch = compare(np.array([5.8, -10.0]), np.array([5, -10]))
    assert mismatch is not None and "integer array" in mismatch.hint


# -- the convergence rule of classify_learning_rate (its docstring's worked verdicts) ------

def test_convergence_rule_worked_verdicts_recomputed():
    from grader.datasets import house_prices
    from grader.runner import load_reference

    ex1, ex5 = load_reference(resolve("exercise1")), load_reference(resolve("exercise5"))

    def bowl(alpha):
        path = ex1.gradient_descent(ex1.bowl_gradient, np.array([3.0, 4.0]), alpha, 100)
        return np.sum(path**2, axis=1)

    slow = bowl(0.001)
    assert slow[-1] == pytest.approx(25 * 0.998**200) == pytest.approx(16.75, abs=0.01)
    assert (slow[-11] - slow[-1]) / slow[-11] == pytest.approx(0.039, abs=0.001)
    assert bowl(0.1)[-1] == pytest.approx(25 * 0.64**100, rel=1e-9) and bowl(0.1)[-1] < 1e-12
    assert bowl(1.1)[-1] == pytest.approx(25 * 1.44**100, rel=1e-9)
    assert [ex1.classify_learning_rate(bowl(a)) for a in (0.001, 0.1, 1.1, 1.0)] == [
        "too slow", "converged", "diverged", "diverged"]
    X, y = house_prices(200, seed=0)
    verdicts = {}
    for alpha in (0.1, 0.3, 0.05, 0.01):
        losses = ex5.batch_gd(X, y, np.zeros(3), 0.0, alpha, 100)[2]
        verdicts[alpha] = ex1.classify_learning_rate(losses)
    assert verdicts == {0.1: "converged", 0.3: "converged", 0.05: "too slow", 0.01: "too slow"}
    best = ex5.batch_gd(X, y, np.zeros(3), 0.0, 0.3, 100)[2][-1]
    assert best == pytest.approx(0.0644, abs=1e-4)  # the noise variance NOISE_STD² = 0.0625, up to sampling
    with pytest.raises(ValueError):
        ex1.classify_learning_rate(np.array([1.0]))


# -- feedback modes (issue 9.3) ----------------------------------------------------------

def test_summary_feedback_says_what_was_checked_and_the_diagnosis_but_no_values(tmp_path):
    ws = _ws(tmp_path, mutate(REF1, *NO_FACTOR_2))
    _, full = grade_json(ws, "exercise1")
    _, summary = grade_json(ws, "exercise1", "--hidden-feedback", "summary")
    assert summary["score"] == full["score"] < full["max_score"]
    failed = [t for t in summary["tests"] if t["status"] == "failed"]
    assert failed
    for test in failed:
        out = test["output"]
        assert out.startswith("checked: bowl_gradient") and "points:  0/1" in out
        assert "dropped the factor 2" in out and test["extra_data"]["diagnosis"] in out
        for leak in ("call:", "expected:", "got:", "3., 4.", "[6., 8.]", "array("):
            assert leak not in out, (leak, out)
    full_out = next(t for t in full["tests"] if t["status"] == "failed")["output"]
    assert "call:" in full_out and "expected: [6., 8.]" in full_out


def test_redact_is_one_function_on_the_result_model():
    from grader.results import ExerciseResult, TestResult, redact

    result = ExerciseResult(1, "update-rule", "The update rule", 7, tests=[
        TestResult("exercise1 · gradient_step on x", 0.0, 2.0, output="call: gradient_step(params=array([3.]))\n"
                   "expected: [2.4]\nlikely mistake: sign", kind="wrong", function="gradient_step",
                   problem="wrong values", diagnosis="sign"),
        TestResult("exercise1 · ok", 1.0, 1.0),
    ])
    hidden = redact(result, "summary")
    assert hidden is not result and result.tests[0].output.startswith("call:")  # the original is kept
    assert hidden.tests[0].output == ("checked: gradient_step on x\npoints:  0/2\nproblem: wrong values\n"
                                      "likely mistake: sign")
    assert hidden.tests[1].output == "" and redact(result, "full") is result
    assert hidden.to_gradescope()["extra_data"]["exercises"][0]["feedback_mode"] == "summary"
    with pytest.raises(ValueError):
        redact(result, "everything")


# -- output that fits --------------------------------------------------------------------

def test_syntax_error_shown_once_at_the_top_with_the_line_and_caret(tmp_path):
    proc = _text(_ws(tmp_path, mutate(REF1, *SYNTAX_ERROR)), "exercise1")
    out = proc.stdout
    assert proc.returncode == 1
    assert out.count("SyntaxError") == 1 and out.count("could not be imported") == 1
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "SyntaxError" in line)
    assert at < next(i for i, line in enumerate(lines) if "✗ bowl_loss" in line)
    assert "return float(np.sum(point**2)" in out and re.search(r"^\s+\^", out, re.M)
    assert "<frozen importlib" not in out and "Traceback" not in out
    assert max(len(line) for line in lines) <= 80
    assert len(lines) < 40


def test_untouched_stubs_are_listed_on_one_line(tmp_path):
    proc = _text(_ws(tmp_path, stub_source(FILE1)), "exercise1")
    stub_lines = [line for line in proc.stdout.splitlines() if "not implemented yet" in line]
    assert stub_lines == ["  not implemented yet: all 5 (start with bowl_loss) — `grade hint exercise1`"]
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    # some functions written, two still stubs: named on the one line
    partial = _fill_stub(stub_source(FILE1), "bowl_loss",
                         "    return float(np.sum(np.asarray(point) ** 2))")
    partial = _fill_stub(partial, "bowl_gradient", "    return 2.0 * np.asarray(point, dtype=float)")
    partial = _fill_stub(partial, "classify_learning_rate", "    return 'too slow'")
    proc = _text(_ws(tmp_path / "b", partial), "exercise1")
    stub_lines = [line for line in proc.stdout.splitlines() if "not implemented yet" in line]
    expected = "  not implemented yet: gradient_step, gradient_descent — `grade hint exercise1`"
    assert stub_lines == [expected], proc.stdout


def test_a_function_calling_a_stub_is_told_which_one(tmp_path):
    source = _fill_stub(stub_source(FILE1), "gradient_descent",
        "    theta = np.array(start, dtype=float)\n    rows = [theta]\n    for _ in range(n_steps):\n"
        "        theta = gradient_step(theta, grad_fn(theta), learning_rate)\n        rows.append(theta)\n"
        "    return np.stack(rows)")
    _, res = grade_json(_ws(tmp_path, source), "exercise1")
    test = next(t for t in res["tests"] if "gradient_descent on the bowl" in t["name"])
    assert "calls gradient_step, which is not implemented yet" in test["output"]
    assert test["extra_data"]["diagnosis"] == "fix `gradient_step` first."


def test_repeated_diagnosis_shown_once_with_a_count(tmp_path):
    proc = _text(_ws(tmp_path, mutate(REF1, *NO_FACTOR_2)), "exercise1")
    assert proc.stdout.count("dropped the factor 2") == 1
    assert "(also in 1 more test)" in " ".join(proc.stdout.split())


def test_dash_k_runs_one_functions_tests_and_is_not_recorded(tmp_path):
    ws = _ws(tmp_path, mutate(REF1, *NO_FACTOR_2))
    proc = run_grade("exercise1", "-k", "bowl_gradient", "--json", "--seed", "3", "--path", str(ws))
    names = [t["name"] for t in json.loads(proc.stdout)["tests"]]
    assert names and all("bowl_gradient" in n for n in names) and proc.returncode == 1
    assert not (ws / ".grade" / "progress.sqlite3").exists() or "exercise1" not in run_grade(
        "progress", "--json", "--path", str(ws)).stdout
    proc = run_grade("exercise1", "-k", "bowl_gradint", "--path", str(ws))
    assert proc.returncode == 2 and "Did you mean bowl_gradient" in proc.stderr


def test_first_stops_at_the_first_failing_function(tmp_path):
    source = mutate(mutate(REF1, *NO_FACTOR_2), "    trajectory = [theta]\n", "    trajectory = []\n")
    proc = _text(_ws(tmp_path, source), "exercise1", "--first")
    assert "bowl_gradient" in proc.stdout and "gradient_descent" not in proc.stdout
    assert "not shown (--first)" in proc.stdout


def test_full_marks_say_what_to_do_next(tmp_path):
    proc = run_grade("exercise1", "--seed", "3", "--path", str(_ws(tmp_path, REF1)))
    assert proc.returncode == 0
    assert "Next: grade exercise2 (Partial derivatives and the gradient)" in proc.stdout


def _wrong_submissions() -> list[tuple[str, str, str]]:
    """(exercise, label, source) for every wrong submission of exercises 1-5, plus a syntax error."""
    sys.path.insert(0, str(REPO / "tests"))
    from test_exercise1 import WRONG

    cases = [("exercise1", name, mutate(REF1, *edit[0])) for name, edit in WRONG.items()]
    for n in range(2, 6):
        for name in submission_edits(n):
            if not name.startswith("alt_"):
                cases.append((f"exercise{n}", name, submission(n, name)))
    cases.append(("exercise1", "syntax_error", mutate(REF1, *SYNTAX_ERROR)))
    return cases


def test_every_wrong_submission_renders_within_80_columns(tmp_path):
    """All failures of the wrong-submission set at 80 columns: no line wider; a syntax error once."""
    from grader.commands.report import render
    from grader.feedback import strip_ansi
    from grader.runner import grade_file
    from grader.testmap import reference_functions

    checked = 0
    for exercise_name, label, source in _wrong_submissions():
        exercise = resolve(exercise_name)
        path = tmp_path / label / exercise.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        result = grade_file(exercise, path, seed=11, engine="direct")
        assert not result.passed, label
        for verbose in (False, True):
            text = strip_ansi(render(result, file_label=f"exercises/{exercise.file}", width=80, verbose=verbose,
                                     function_order=reference_functions(exercise)))
            wide = [line for line in text.splitlines() if len(line) > 80]
            assert not wide, (label, wide)
            if label == "syntax_error":
                assert text.count("SyntaxError") == 1
        assert "internal grader error" not in text, (label, text)
        checked += 1
    assert checked >= 60


def test_nine_in_ten_wrong_submissions_get_a_likely_mistake(tmp_path):
    from grader.runner import grade_file

    named = total = 0
    missing = []
    for exercise_name, label, source in _wrong_submissions():
        if label == "syntax_error":
            continue
        exercise = resolve(exercise_name)
        path = tmp_path / label / exercise.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        result = grade_file(exercise, path, seed=5, engine="direct")
        total += 1
        if any(t.diagnosis for t in result.tests if t.status != "passed"):
            named += 1
        else:
            missing.append(f"{exercise_name}:{label}")
    assert named >= 0.9 * total, missing


def _engine_cases() -> list[tuple[str, str]]:
    """(exercise, submission kind) for every exercise: the reference, the stub, two wrong ones."""
    cases = [("exercise1", "reference"), ("exercise1", "stub"), ("exercise1", "no_factor_2")]
    for exercise in load_catalog()[1:]:  # exercise 1 has no submissions file: its mistake is written here
        wrong = sorted(n for n in submission_edits(exercise.number) if not n.startswith(("alt", "correct")))
        cases += [(exercise.name, kind) for kind in ("reference", "stub", *wrong[:2])]
    return cases


@pytest.mark.parametrize(("exercise_name", "kind"), _engine_cases())
def test_direct_engine_gives_the_same_results_as_pytest(tmp_path, exercise_name, kind):
    """`grade` calls the hidden tests itself; pytest (GRADE_ENGINE=pytest) must agree on every verdict."""
    from grader.runner import grade_file

    exercise = resolve(exercise_name)
    if kind == "reference":
        source = reference_source(exercise.file)
    elif kind == "stub":
        source = stub_source(exercise.file)
    elif kind == "no_factor_2":
        source = mutate(REF1, *NO_FACTOR_2)
    else:
        source = submission(exercise.number, kind)
    path = tmp_path / exercise.file
    path.write_text(source, encoding="utf-8")
    direct = grade_file(exercise, path, seed=9, engine="direct").to_gradescope()
    through_pytest = grade_file(exercise, path, seed=9, engine="pytest").to_gradescope()
    for result in (direct, through_pytest):
        result.pop("execution_time")
    assert direct == through_pytest
    if kind == "reference":
        assert direct["score"] == sum(exercise.points.values())
    else:
        assert direct["score"] < sum(exercise.points.values())


def test_an_unknown_engine_is_refused(tmp_path, monkeypatch):
    from grader.runner import grade_file

    exercise = resolve("exercise1")
    path = tmp_path / exercise.file
    path.write_text(reference_source(exercise.file), encoding="utf-8")
    monkeypatch.setenv("GRADE_ENGINE", "nose")
    with pytest.raises(ValueError, match="unknown grading engine 'nose'"):
        grade_file(exercise, path, seed=1)


def test_train_neuron_failing_because_neuron_forward_fails_says_fix_it_first(tmp_path):
    file = resolve("exercise4").file
    source = mutate(reference_source(file), "    z = X @ w + b\n", "    z = X @ w\n")  # the bias forgotten
    _, res = grade_json(_ws(tmp_path, source, file), "exercise4")
    trains = [t for t in res["tests"] if t["name"].split(" · ")[1].startswith("train_neuron")
              and t["status"] == "failed"]
    assert trains
    assert any("fix `neuron_forward` first" in t["output"] for t in trains), [t["output"] for t in trains]


# -- hints per function --------------------------------------------------------------------

def test_every_graded_function_of_exercises_1_to_5_has_progressive_hints():
    from grader.testmap import reference_functions

    for exercise in load_catalog()[:5]:
        assert set(exercise.function_hints) == set(reference_functions(exercise)), exercise.name
        for function, hints in exercise.function_hints.items():
            assert len(hints) >= 2, function
            assert all(len(h) > 30 for h in hints)
            # the last hint still leaves a step: no code to copy
            assert not re.search(r"\bdef \w+\(|\breturn [\w.]+\(.*\)", hints[-1]), (function, hints[-1])
        text = " ".join(h for hs in exercise.function_hints.values() for h in hs)
        assert "dJ/d" not in text and "alpha" not in text  # the feedback's notation: ∂ and α


def test_sigma_prime_hints_say_which_argument_each_function_gets():
    ex3, ex4 = resolve("exercise3"), resolve("exercise4")
    assert "given a = σ(z)" in " ".join(ex3.function_hints["sigmoid_backward"])
    assert "given z" in " ".join(ex4.function_hints["sigmoid_derivative"])
    assert "never from z" not in " ".join(ex3.hints) and "given a, the sigmoid's output" in " ".join(ex3.hints)


def test_hint_starts_with_the_first_failing_function(tmp_path):
    ws = _ws(tmp_path, mutate(REF1, *NO_FACTOR_2))
    run_grade("exercise1", "--seed", "3", "--path", str(ws))
    first = run_grade("hint", "exercise1", "--path", str(ws), env={"COLUMNS": "80"})
    assert "Hints for exercise1 · bowl_gradient" in first.stdout and "[1/2]" in first.stdout
    assert "[2/2]" not in first.stdout
    second = run_grade("hint", "exercise1", "--path", str(ws))
    assert "[2/2]" in second.stdout and "the last step is yours" in second.stdout
    other = run_grade("hint", "exercise1", "gradient_step", "--path", str(ws))
    assert "gradient_step" in other.stdout and "[1/3]" in other.stdout
    assert max(len(line) for line in (first.stdout + second.stdout).splitlines()) <= 80
    bad = run_grade("hint", "exercise1", "gradient_stp", "--path", str(ws))
    assert bad.returncode == 2 and "Did you mean gradient_step" in bad.stderr


# -- grade list / progress at 80 columns ----------------------------------------------------

def test_list_and_progress_fit_80_columns(tmp_path):
    ws = make_workspace(tmp_path / "ws", {ex.file: stub_source(ex.file) for ex in load_catalog()})
    for _ in range(3):
        run_grade("exercise1", "--seed", "1", "--path", str(ws))
    for command in ("list", "progress"):
        out = run_grade(command, "--path", str(ws)).stdout
        assert out.strip() and max(len(line) for line in out.splitlines()) <= 80, (command, out)


# -- grade watch ----------------------------------------------------------------------------

def test_watch_regrades_on_save_and_quits_on_q(tmp_path):
    from grader.commands.watch_cmd import RENDERED

    ws = _ws(tmp_path, mutate(REF1, *NO_FACTOR_2))
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "watch", "exercise1", "--seed", "2", "--path", str(ws)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"}, cwd=REPO)
    seen: list[str] = []
    threading.Thread(target=lambda: seen.extend(proc.stdout), daemon=True).start()

    def rendered(count: int, timeout: float = 90) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sum(line.startswith(RENDERED) for line in list(seen)) >= count:
                return "".join(seen)
            time.sleep(0.05)
        proc.kill()
        raise AssertionError("".join(seen) + proc.stderr.read())

    try:
        out = rendered(1)
        assert "dropped the factor 2" in out and "Course " in out and "q quit" in out
        time.sleep(0.5)  # let the watcher settle before the save
        (ws / "exercises" / FILE1).write_text(REF1, encoding="utf-8")
        out = rendered(2)
        flat = " ".join(out.split())
        assert "Full marks: congratulations!" in flat and "Press n for the next exercise, exercise2" in flat
        proc.stdin.write("h\n")
        proc.stdin.flush()
        out = rendered(3)
        assert "Hints for exercise1" in out
        proc.stdin.write("q\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert max(len(line.rstrip("\n")) for line in seen) <= 80


# -- grade plot exercise1 --------------------------------------------------------------------

def test_plot_exercise1_checks_gradient_step_and_says_what_it_drew(tmp_path):
    pytest.importorskip("matplotlib")
    step_twice = mutate(REF1, "    return params - learning_rate * np.asarray(grad, dtype=float)",
                        "    return params - 2 * learning_rate * np.asarray(grad, dtype=float)")
    proc = run_grade("plot", "exercise1", "--path", str(_ws(tmp_path, step_twice)))
    assert "Drew your gradient_descent" in proc.stdout
    assert "Your gradient_step differs from the reference" in proc.stdout
    only_step = _fill_stub(stub_source(FILE1), "gradient_step",
                           "    return np.asarray(params, dtype=float) - learning_rate * np.asarray(grad, dtype=float)")
    proc = run_grade("plot", "exercise1", "--path", str(_ws(tmp_path / "b", only_step)))
    assert "Drew your gradient_step, applied 20 times" in proc.stdout
    assert "gradient_descent is not implemented yet" in proc.stdout


@pytest.mark.parametrize("exercise", load_catalog(), ids=lambda e: e.name)
def test_test_titles_from_the_imported_hidden_module_equal_the_parsed_ones(exercise):
    """After grading, the tests' titles come from the hidden module's docstrings (no second parse);
    they must be exactly what parsing the hidden file gives, which `-k` and `grade hint` use."""
    from grader import testmap
    from grader.runner import HIDDEN_DIR, _hidden_module

    parsed = testmap._titles((HIDDEN_DIR / f"{exercise.tests}.py").read_text(encoding="utf-8"))
    _hidden_module(exercise)
    assert testmap._loaded_titles(exercise) == parsed
    assert set(parsed) == set(exercise.points)
