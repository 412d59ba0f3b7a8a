"""`grade plot exercise9` / `exercise10` and the figures of lessons 9 and 10."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_workspace, reference_source, run_grade, submission
from test_figures import assert_valid_png

from grader import figures_training
from grader.stubs import stub_source

FILES = {9: "exercise9_optimizers.py", 10: "exercise10_training_deep_nets.py"}


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    root = tmp_path_factory.mktemp("plots")
    return {
        "solved": make_workspace(root / "solved", {f: reference_source(f) for f in FILES.values()}),
        "stub": make_workspace(root / "stub", {f: stub_source(f) for f in FILES.values()}),
        "wrong": make_workspace(root / "wrong", {FILES[9]: submission(9, "momentum_ema"),
                                                 FILES[10]: submission(10, "deltas_no_gprime")}),
    }


@pytest.mark.parametrize("number", [9, 10])
def test_plot_on_the_reference_matches(workspaces, number):
    proc = run_grade("plot", f"exercise{number}", "--path", str(workspaces["solved"]))
    assert proc.returncode == 0, proc.stderr
    assert "matches the reference" in proc.stdout
    assert_valid_png(workspaces["solved"] / ".grade" / "plots" / f"exercise{number}.png")


@pytest.mark.parametrize(("number", "function"), [(9, "minimize"), (10, "delta_norms")])
def test_plot_on_a_stub_says_not_implemented(workspaces, number, function):
    proc = run_grade("plot", f"exercise{number}", "--path", str(workspaces["stub"]))
    assert proc.returncode == 1
    assert f"{function} is not implemented yet" in proc.stdout
    assert proc.stdout.count("not implemented yet") == 1  # one message, not one per curve
    assert_valid_png(workspaces["stub"] / ".grade" / "plots" / f"exercise{number}.png")


@pytest.mark.parametrize(("number", "phrase"), [(9, "minimize('momentum') differs"), (10, "delta_norms differs")])
def test_plot_on_a_wrong_solution_says_it_differs(workspaces, number, phrase):
    proc = run_grade("plot", f"exercise{number}", "--path", str(workspaces["wrong"]))
    assert proc.returncode == 0, proc.stderr
    assert phrase in proc.stdout
    assert all(len(line) <= 80 for line in proc.stdout.splitlines()[:-1])


def test_valley_paths_teach_what_lesson_9_says():
    """GD bounces across the valley; momentum, Nesterov and Adam end lower after the same number of steps."""
    paths = figures_training.valley_paths()
    gd, momentum, nesterov, adam = paths.values()
    assert np.all(np.sign(gd[1:30, 1]) == -np.sign(gd[:29, 1]))
    loss = [0.5 * (p[-1, 0] ** 2 + 50 * p[-1, 1] ** 2) for p in (gd, momentum, nesterov, adam)]
    assert all(value < loss[0] for value in loss[1:])


def test_delta_norms_teach_what_lesson_10_says():
    small, xavier, he, large = figures_training.delta_norm_cases().values()
    assert small[0] < 1e-15 and np.all(np.diff(small) > 0)
    assert xavier[0] < 1e-4 * xavier[-1]
    assert 0.1 < he[0] / he[-1] < 10
    assert large[0] > 10 * large[-1]
