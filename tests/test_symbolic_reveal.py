"""What a wrong symbolic answer's feedback reveals, and cheats on the sample points through `grade`.

Self-study `grade`: where the answer differs (one point, both values) and the
diagnosis, never the expected formula for the first three wrong attempts at a
function; from the fourth (counted in the progress store) the formula is
shown. Without a progress store (graded routes, direct calls) it is never
shown. And a submission that reads the seed from anything it can reach in the
worker, and builds answers that vanish at the sample points that seed used to
give, scores 0 on those tests.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, grade_json, make_workspace, mutate, reference_source, run_grade

from grader.checking import CheckFailed
from grader.checking_symbolic import REVEAL_AFTER, expected_feedback
from grader.progress import ProgressStore
from grader.symbolic import sample_points

FILE = "exercise2_partial_derivatives.py"
RIGHT_POLY = '    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n'
# "dropped the factor 2 of the power rule" in ∂f/∂x: a student's honest mistake
WRONG_POLY = '    return {"x": a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n'


def _block(output: str, title_fragment: str) -> str:
    """The feedback printed under the failed test whose title contains `title_fragment`."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "✗" in line and title_fragment in line)
    rest = lines[start + 1 :]
    while rest and rest[0].startswith("    ") and not rest[0].startswith("      "):
        rest = rest[1:]  # the title's own continuation lines, wrapped to the terminal width
    block = []
    for line in rest:
        if not line.startswith("      ") and line.strip():
            break
        block.append(line)
    return "\n".join(block)


# --------------------------------------------------------------------------
# The policy, unit by unit
# --------------------------------------------------------------------------


class _Student:
    exercise_name = "exercise2"

    def __init__(self, value: Any) -> None:
        self.value = value

    def call(self, func: str, *args: Any, **kwargs: Any) -> Any:
        from grader.sandbox.client import CallOutcome

        return CallOutcome(value=self.value, error=None)


def _feedback(value: Any) -> str:
    from grader.checking_symbolic import check_symbolic

    with pytest.raises(CheckFailed) as failure:
        check_symbolic(_Student(value), "bowl_partials", key="x", function="x**2 + y**2", wrt="x",
                       variables=("x", "y"), question="∂J/∂x")
    return str(failure.value)


def test_without_a_policy_the_expected_formula_is_never_shown():
    text = _feedback({"x": "2*y"})
    assert "expected" not in text and "2*x" not in text
    assert re.search(r"at x = \S+, y = \S+ your answer evaluates to \S+ but the correct value is \S+", text)
    assert "likely mistake: That is the derivative with respect to y" in text


@pytest.mark.parametrize("before", range(0, REVEAL_AFTER + 3))
def test_the_formula_is_shown_from_the_fourth_wrong_attempt(before):
    with expected_feedback("exercise2", {"bowl_partials": before}) as policy:
        text = _feedback({"x": "2*y"})
    assert policy.wrong_now == {"bowl_partials"}
    if before < REVEAL_AFTER:
        assert "2*x" not in text
        assert f"expected: hidden for now (wrong attempt {before + 1} of 3 at bowl_partials);" in text
        assert "`grade solution exercise2` shows it" in text
    else:
        assert "expected: 2*x\n" in text
    ours = [line for line in text.splitlines() if line.startswith(("expected:", "          `"))]
    assert ours and all(len(line) <= 74 for line in ours)  # fits 80 columns once indented


def test_other_functions_count_separately_and_right_or_unreadable_answers_do_not_count():
    from grader.checking_symbolic import check_symbolic

    with expected_feedback("exercise2", {"poly_partials": 9}) as policy:
        assert "2*x" not in _feedback({"x": "2*y"})
        check_symbolic(_Student({"x": "x + x"}), "other", key="x", function="x**2", wrt="x",
                       variables=("x", "y"), question="q")
        with pytest.raises(CheckFailed):
            check_symbolic(_Student({"x": "2x"}), "unreadable", key="x", function="x**2", wrt="x",
                           variables=("x", "y"), question="q")
    assert policy.wrong_now == {"bowl_partials"}


def test_progress_store_counts_per_function_and_upgrades_an_old_database(tmp_path: Path):
    db = tmp_path / ".grade" / "progress.sqlite3"
    db.parent.mkdir()
    old = sqlite3.connect(db)  # a database from before the wrong_answers table
    old.executescript(
        "CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, exercise INTEGER NOT NULL, "
        "score REAL NOT NULL, max_score REAL NOT NULL, seed INTEGER, file_sha TEXT, created TEXT NOT NULL);"
        "CREATE TABLE hints (exercise INTEGER PRIMARY KEY, shown INTEGER NOT NULL);"
        "INSERT INTO attempts (exercise, score, max_score, seed, file_sha, created) "
        "VALUES (2, 5, 14, 1, NULL, '2025-01-01T00:00:00+00:00');"
    )
    old.commit()
    old.close()
    store = ProgressStore(db)
    assert store.wrong_answer_counts(2) == {}
    store.record_wrong_answers(2, ["poly_partials", "bowl_partials", "poly_partials"])
    store.record_wrong_answers(2, ["poly_partials"])
    store.record_wrong_answers(3, [])
    assert store.wrong_answer_counts(2) == {"poly_partials": 2, "bowl_partials": 1}
    assert store.wrong_answer_counts(3) == {}
    assert [a.score for a in store.attempts(2)] == [5]  # nothing lost
    assert ProgressStore(tmp_path / "none" / "progress.sqlite3").wrong_answer_counts(2) == {}


# --------------------------------------------------------------------------
# Through `grade`: four wrong attempts in a workspace
# --------------------------------------------------------------------------


def test_grade_hides_the_expected_formula_for_three_wrong_attempts_then_shows_it(tmp_path: Path):
    source = mutate(reference_source(FILE), RIGHT_POLY, WRONG_POLY)
    workspace = make_workspace(tmp_path / "ws", {FILE: source})
    blocks = []
    for _ in range(4):
        proc = run_grade("exercise2", "--seed", "11", "--path", str(workspace))
        assert proc.returncode == 1, proc.stderr
        assert "internal grader error" not in proc.stdout
        blocks.append(_block(proc.stdout, "∂f/∂x"))
    shown = re.search(r"expected: (.+)", blocks[3])
    assert shown, blocks[3]
    formula = shown.group(1).strip()
    assert "hidden" not in formula and "x*y" in formula
    for attempt, block in enumerate(blocks[:3], start=1):
        assert formula not in block, block
        assert f"expected: hidden for now (wrong attempt {attempt} of 3 at poly_partials);" in block
        unwrapped = " ".join(block.split())  # the report wraps long lines to the terminal width
        assert re.search(r"at x = \S+, y = \S+ your answer evaluates to \S+ but the correct value is \S+", unwrapped)
        assert "likely mistake: You dropped the factor 2 of the power rule" in block
    assert "likely mistake: You dropped the factor 2 of the power rule" in blocks[3]
    # bowl_partials was right every time; poly_partials counted once per run (two tests failed each run)
    counts = ProgressStore(workspace / ".grade" / "progress.sqlite3").wrong_answer_counts(2)
    assert counts == {"poly_partials": 4}


def test_no_record_does_not_count_and_json_follows_the_same_rule(tmp_path: Path):
    source = mutate(reference_source(FILE), RIGHT_POLY, WRONG_POLY)
    workspace = make_workspace(tmp_path / "ws", {FILE: source})
    for _ in range(REVEAL_AFTER + 1):
        _, result = grade_json(workspace, "exercise2", seed=11)  # --no-record
    output = next(t["output"] for t in result["tests"] if "∂f/∂x" in t["name"])
    assert "expected: hidden for now (wrong attempt 1 of 3 at poly_partials);" in output


def test_routes_without_a_progress_store_never_show_it(tmp_path: Path):
    """batch, Gradescope and nbgrader call grade_file without a policy."""
    path = tmp_path / FILE
    path.write_text(mutate(reference_source(FILE), RIGHT_POLY, WRONG_POLY), encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from grader.catalog import resolve; "
        "from grader.runner import grade_file; "
        "r = grade_file(resolve('exercise2'), Path(sys.argv[1]), seed=11); "
        "print('\\n'.join(t.output for t in r.tests))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=REPO,
                         timeout=120, check=True).stdout
    assert "your answer evaluates to" in out and "likely mistake" in out
    assert "expected:" not in out


# --------------------------------------------------------------------------
# A submission that learns the seed and aims at the sample points
# --------------------------------------------------------------------------

CHEAT = r'''
import os as _os
import re as _re
import sys as _sys

def _known_seed():
    """Whatever the worker can see: its own argv (inherited from the grader) and the grader's cmdline."""
    texts = [" ".join(_sys.argv)]
    for pid in {_os.getppid(), _os.getpgrp()}:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                texts.append(f.read().replace(b"\0", b" ").decode())
        except OSError:
            pass
    for text in texts:
        found = _re.search(r"--seed[ =](\d+)", text)
        if found:
            return int(found.group(1))
    # The sandbox hides both: fall back on the seed the last run printed ("Reproduce this run").
    return 4321

def _old_points(names, seed):
    """grader.symbolic.sample_points as it was: the points a given --seed used to fix."""
    rng = np.random.default_rng(seed)
    columns = {name: [] for name in names}
    for low, high, signed in ((0.2, 2.0, False), (0.2, 2.0, True), (0.05, 0.95, False), (1.5, 4.0, False)):
        for name in names:
            values = rng.uniform(low, high, 8)
            if signed:
                values *= rng.permutation([-1.0, 1.0] * 4)
            columns[name].append(values)
    return {name: np.concatenate(parts) for name, parts in columns.items()}

def _vanishing(correct):
    seed = _known_seed()
    print(f"cheat: using seed {seed}")
    xs = _old_points(["x", "y"], seed)["x"]
    return f"{correct} + 7*(" + "*".join(f"(x - ({float(v)!r}))" for v in xs) + ")"

def bowl_partials():
    return {"x": _vanishing("2*x"), "y": _vanishing("2*y")}

def poly_partials(a, b, c):
    return {"x": _vanishing(f"2*{a}*x*y + {c}"), "y": _vanishing(f"{a}*x**2 + 3*{b}*y**2")}
'''


def test_a_submission_aiming_at_the_seeds_points_scores_nothing_for_it(tmp_path: Path):
    source = reference_source(FILE) + CHEAT
    workspace = make_workspace(tmp_path / "ws", {FILE: source})
    _, result = grade_json(workspace, "exercise2", seed=4321)
    tests = {t["name"].split(" · ", 1)[-1]: t for t in result["tests"]}
    symbolic_tests = [t for name, t in tests.items() if name.startswith(("bowl_partials", "poly_partials"))]
    assert len(symbolic_tests) == 3
    aimed_at = [f"(x - {str(float(v))[:6]}" for v in sample_points(["x", "y"], 4321)["x"]]
    for test in symbolic_tests:
        assert test["score"] == 0, test["output"]
        assert "your answer evaluates to" in test["output"], test["output"]
        # it knew the seed (from the worker, or from the last run's output) and aimed at its points
        assert sum(fragment in test["output"] for fragment in aimed_at) >= 3, test["output"]
    others = [t for name, t in tests.items() if not name.startswith(("bowl_partials", "poly_partials"))]
    assert all(t["score"] == t["max_score"] for t in others)
