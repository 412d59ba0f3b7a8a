"""`grade plot exercise9` and `grade plot exercise10`: the student's optimizers and δ-norms.

Registered in `grader.commands.plot_cmd.PLOTTERS`. The student's functions run
in the sandbox (`student.call`); the reference runs here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.catalog import Exercise
from grader.commands.plot_cmd import PlotResult, _as_array, _differs, _student_run


def plot_exercise9(student: Any, exercise: Exercise) -> PlotResult:
    """minimize on the valley for GD, momentum, Nesterov and Adam, beside the reference paths."""
    import numpy as np

    from grader.figures import Run
    from grader.figures_training import VALLEY_RUNS, VALLEY_START, VALLEY_STEPS, student_valley_figure, valley_paths
    from grader.sandbox.codec import CallableRef

    reference = valley_paths()
    runs, failures, differences = [], [], []
    for label, name, hyper in VALLEY_RUNS:
        mine = _student_run(student, exercise, "minimize", name, CallableRef("valley_gradient", kappa=50.0),
                            np.array(VALLEY_START), hyper, VALLEY_STEPS)
        mine = _as_array(mine, "minimize", 2, f"the trajectory, shape ({VALLEY_STEPS + 1}, 2)")
        if mine.error is None and mine.data.shape != (VALLEY_STEPS + 1, 2):
            mine = Run(mine.label, error=f"minimize returned shape {mine.data.shape}; "
                                         f"expected ({VALLEY_STEPS + 1}, 2)")
        if mine.error is not None:
            failures.append(mine.error)
        elif _differs(mine.data, reference[label]):
            differences.append(f"minimize({name!r})")
        runs.append((label, mine, Run("reference", data=reference[label])))
    return PlotResult(student_valley_figure(runs), list(dict.fromkeys(failures)), differences)


def plot_exercise10(student: Any, exercise: Exercise) -> PlotResult:
    """delta_norms of the four 10-layer networks of lesson 10, beside the reference's."""
    from grader.figures import Run, reference
    from grader.figures_training import DELTA_CASES, DEPTH, delta_norm_cases, depth_data, student_delta_norms_figure

    ex10 = reference("exercise10")
    expected = delta_norm_cases()
    X, y = depth_data()
    sizes = [DEPTH["width"]] * DEPTH["layers"] + [1]
    runs, failures, differences = [], [], []
    for label, activation, kind, gain in DELTA_CASES:
        params = ex10.init_network(sizes, kind, DEPTH["init_seed"], gain)  # the reference's weights for everyone
        mine = _as_array(_student_run(student, exercise, "delta_norms", params, X, y, activation),
                         "delta_norms", 1, f"one norm per layer, shape ({DEPTH['layers']},)")
        if mine.error is not None:
            failures.append(mine.error)
        elif _differs(mine.data, expected[label]) and "delta_norms" not in differences:
            differences.append("delta_norms")
        runs.append((label, mine, Run("reference", data=expected[label])))
    return PlotResult(student_delta_norms_figure(runs), list(dict.fromkeys(failures)), differences)


PLOTTERS: dict[str, Callable[[Any, Exercise], PlotResult]] = {
    "exercise9": plot_exercise9,
    "exercise10": plot_exercise10,
}
