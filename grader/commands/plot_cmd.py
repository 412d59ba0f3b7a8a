"""`grade plot EXERCISE`: draw YOUR code's run beside the reference's.

The student's functions run only in the sandboxed worker
(`grader.sandbox.client.StudentModule`), never in this process; the
reference runs here. The PNG goes to the workspace's `.grade/plots/`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from grader import console
from grader.catalog import Exercise
from grader.commands.common import EXERCISE, path_option, workspace_from

EXIT_PLOTTED, EXIT_STUDENT_FAILED = 0, 1


@dataclass(frozen=True)
class PlotResult:
    figure: Any
    failures: list[str]  # feedback for functions that produced no usable value
    differences: list[str]  # functions whose values differ from the reference
    drawn: str = ""  # which of the student's functions the figure shows, in words


def _student_run(student: Any, exercise: Exercise, func: str, *args: Any) -> Any:
    """Call the student's function in the sandbox; a Run with data, or with an error message."""
    from grader.checking import explain_error
    from grader.figures import Run

    outcome = student.call(func, *args)
    if outcome.error is not None:
        return Run("your code", error=explain_error(func, outcome.error, exercise.name))
    return Run("your code", data=outcome.value)


def _as_array(run: Any, func: str, ndim: int, expected: str) -> Any:
    """The run with its value as a float array of `ndim` dimensions, or with an error saying what was wrong."""
    import numpy as np

    from grader.figures import Run

    if run.error is not None:
        return run
    try:
        data = np.asarray(run.data, dtype=float)
    except (TypeError, ValueError):
        data = None
    if data is None or data.ndim != ndim:
        shape = getattr(data, "shape", None)
        got = f"an array of shape {shape}" if shape is not None else f"a {type(run.data).__name__}"
        return Run(run.label, error=f"{func} returned {got}; expected {expected}.")
    return Run(run.label, data=data)


def _differs(student_value: Any, reference_value: Any) -> bool:
    import numpy as np

    try:
        return not np.allclose(np.asarray(student_value, dtype=float), np.asarray(reference_value, dtype=float),
                               rtol=1e-6, atol=1e-9)
    except (TypeError, ValueError):
        return True


def _step_path(student: Any, exercise: Exercise, start: Any, rate: float, steps: int) -> Any:
    """The path θ_{k+1} = gradient_step(θ_k, ∇J(θ_k), α) with YOUR gradient_step and the exact ∇J = 2θ."""
    import numpy as np

    from grader.figures import Run

    theta = np.array(start, dtype=float)
    rows = [theta]
    for _ in range(steps):
        run = _as_array(_student_run(student, exercise, "gradient_step", theta, 2.0 * theta, rate),
                        "gradient_step", 1, "the new parameters, shape (2,)")
        if run.error is not None:
            return run
        if run.data.shape != theta.shape:
            return Run("your code", error=f"gradient_step returned shape {run.data.shape}; expected (2,).")
        theta = run.data
        rows.append(theta)
    return Run("your code", data=np.stack(rows))


def plot_exercise1(student: Any, exercise: Exercise) -> PlotResult:
    """gradient_descent on the bowl from (3, 4) with α = 0.1, 20 steps; gradient_step checked along the way.

    The figure shows your gradient_descent path; when gradient_descent gives no
    usable path but gradient_step works, it shows the path of your
    gradient_step applied repeatedly instead. Either way both are compared with
    the reference, and the result says which function was drawn.
    """
    import numpy as np

    from grader.figures import BOWL_RATE, BOWL_START, BOWL_STEPS, Run, bowl_path, student_descent_figure
    from grader.sandbox.codec import CallableRef

    ref = Run("reference", data=bowl_path())
    mine = _student_run(student, exercise, "gradient_descent", CallableRef("bowl_gradient"),
                        np.array(BOWL_START), BOWL_RATE, BOWL_STEPS)
    mine = _as_array(mine, "gradient_descent", 2, "the trajectory, shape (n_steps + 1, 2)")
    stepped = _step_path(student, exercise, BOWL_START, BOWL_RATE, BOWL_STEPS)
    failures, differences = [], []
    if mine.error is None:
        drawn = "gradient_descent (its path from (3, 4))"
        shown = mine
    elif stepped.error is None:
        drawn = "gradient_step, applied 20 times from (3, 4) with the exact gradient 2θ (gradient_descent failed)"
        shown = Run("your gradient_step", data=stepped.data)
    else:
        drawn = ""
        shown = mine
    for name, run in (("gradient_descent", mine), ("gradient_step", stepped)):
        if run.error is not None:
            failures.append(run.error)
        elif _differs(run.data, ref.data):
            differences.append(name)
    figure = student_descent_figure(shown, ref, learning_rate=BOWL_RATE, steps=BOWL_STEPS)
    return PlotResult(figure, failures, differences, drawn)


def _house_prices() -> tuple[Any, Any]:
    from grader.datasets import house_prices
    from grader.figures import VARIANTS

    return house_prices(VARIANTS["n"], seed=VARIANTS["seed"])


def _curves(student: Any, exercise: Exercise, calls: list[tuple[str, str, tuple[Any, ...]]],
            reference: Any, title: str, ylabel: str) -> PlotResult:
    """One panel per (title, function, args): the student's losses (element [2]) over the reference's."""
    from grader.figures import Run, student_curves_figure

    panels, failures, differences = [], [], []
    for name, func, args in calls:
        ref = Run("reference", data=getattr(reference, func)(*args)[2])
        mine = _student_run(student, exercise, func, *args)
        if mine.error is None:
            value = mine.data
            losses = value[2] if isinstance(value, tuple | list) and len(value) == 3 else None
            if losses is None:
                mine = Run("your code", error=f"{func} must return (w, b, losses); got {type(value).__name__}")
            else:
                mine = _as_array(Run("your code", data=losses), func, 1, "losses of shape (epochs + 1,)")
                if mine.error is None and _differs(mine.data, ref.data):
                    differences.append(func)
        if mine.error is not None:
            failures.append(mine.error)
        panels.append((name, mine, ref))
    return PlotResult(student_curves_figure(title, panels, ylabel=ylabel), failures, differences)


def plot_exercise4(student: Any, exercise: Exercise) -> PlotResult:
    """train_neuron (identity activation) on the house prices: the loss per epoch."""
    import numpy as np

    from grader.figures import reference

    X, y = _house_prices()
    args = (X, y, np.zeros(X.shape[1]), 0.0, 0.1, 40)
    return _curves(student, exercise, [("train_neuron, α = 0.1", "train_neuron", args)],
                   reference("exercise4"), "Training the neuron on the house prices", "loss (MSE)")


def plot_exercise5(student: Any, exercise: Exercise) -> PlotResult:
    """batch_gd, minibatch_gd and sgd on the house prices: full-data MSE per epoch."""
    import numpy as np

    from grader.figures import VARIANTS, reference

    X, y = _house_prices()
    w0, rate, epochs, seed = np.zeros(X.shape[1]), VARIANTS["learning_rate"], VARIANTS["epochs"], VARIANTS["seed"]
    calls = [
        ("batch_gd", "batch_gd", (X, y, w0, 0.0, rate, epochs)),
        (f"minibatch_gd, B = {VARIANTS['batch_size']}", "minibatch_gd",
         (X, y, w0, 0.0, rate, epochs, VARIANTS["batch_size"], seed)),
        ("sgd", "sgd", (X, y, w0, 0.0, rate, epochs, seed)),
    ]
    return _curves(student, exercise, calls, reference("exercise5"),
                   f"House prices, α = {rate:g}: your loss curves over the reference's", "MSE on all the data")


def plot_exercise7(student: Any, exercise: Exercise) -> PlotResult:
    """error_versus_h on the 2-2-2 network for h = 1e-1 … 1e-12: the student's curve over the reference's."""
    from grader.figures import Run
    from grader.figures_deep import STEPS, error_curve_figure, reference_error_curve, trusted_network

    f, grad, params = trusted_network()
    ref = Run("reference", data=reference_error_curve())
    mine = _as_array(_student_run(student, exercise, "error_versus_h", f, grad, params, list(STEPS)),
                     "error_versus_h", 1, f"errors of shape ({len(STEPS)},)")
    if mine.error is None and mine.data.shape != ref.data.shape:
        mine = Run(mine.label, error=f"error_versus_h returned shape {mine.data.shape}; expected ({len(STEPS)},).")
    failures = [mine.error] if mine.error else []
    # rounding-dominated errors differ between correct implementations: compare the curves to a factor of 10
    differences = []
    if mine.error is None:
        import numpy as np

        ratio = np.abs(np.log10(np.maximum(mine.data, 1e-300)) - np.log10(ref.data))
        if not np.all(ratio <= 1.0):
            differences.append("error_versus_h")
    return PlotResult(error_curve_figure(mine, ref), failures, differences)


#: exercise name -> the function that runs the student's code and draws it.
PLOTTERS: dict[str, Callable[[Any, Exercise], PlotResult]] = {
    "exercise1": plot_exercise1,
    "exercise4": plot_exercise4,
    "exercise5": plot_exercise5,
    "exercise7": plot_exercise7,
}
PLOTTERS.update(__import__("grader.commands.plot_training", fromlist=["PLOTTERS"]).PLOTTERS)  # exercises 9, 10


@click.command("plot")
@click.argument("exercise", type=EXERCISE)
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to save the PNG [default: .grade/plots/exerciseN.png in the workspace].")
@path_option
def command(exercise: Exercise, out_file: Path | None, path: Path | None) -> None:
    """Run your code for EXERCISE and draw it beside the reference solution.

    Available for exercise1 (your gradient-descent path on the bowl), exercise4
    (your neuron's training curve), exercise5 (your batch, mini-batch and
    SGD loss curves), exercise7 (your gradient check's error against the
    step h), exercise9 (your optimizers' paths in the narrow valley) and
    exercise10 (your ‖δₗ‖ by layer). Saves a PNG and prints its path. Needs matplotlib:
    pip install -e ".[plot]".
    """
    from grader.figures import PlotUnavailable, save

    if exercise.name not in PLOTTERS:
        raise click.BadParameter(
            f"there is no plot for {exercise.name}; try one of {', '.join(PLOTTERS)}.", param_hint="EXERCISE")
    workspace = workspace_from(path)
    source = workspace.exercise_path(exercise)
    if not source.exists():
        raise click.UsageError(f"{source} does not exist. Restore the stub with `grade reset {exercise.name}`.")
    try:
        from grader.figures import new_figure

        new_figure(1, 1)  # fails fast, before starting the sandbox, if matplotlib is missing
    except PlotUnavailable as exc:
        console.echo(console.bad(str(exc)), err=True)
        sys.exit(1)
    from grader.sandbox.client import StudentModule

    with StudentModule(source, exercise.module) as student:
        result = PLOTTERS[exercise.name](student, exercise)
    target = out_file or workspace.state_dir / "plots" / f"{exercise.name}.png"
    save(result.figure, target)
    if result.drawn:
        console.echo(f"Drew your {result.drawn}.")
    for failure in result.failures:
        console.echo(console.bad(failure))
    drawn_name = result.drawn.split(" ", 1)[0]
    for name in result.differences:
        if not result.drawn or name == drawn_name:
            text = f"Your {name} differs from the reference: compare the curves."
        else:
            text = (f"Your {name} differs from the reference too (not drawn): "
                    f"`grade {exercise.name} -k {name}` shows where.")
        console.echo(console.style(text, fg="yellow"))
    if not result.differences and not result.failures:
        console.echo(console.ok("Your run matches the reference."))
    click.echo(str(target))
    sys.exit(EXIT_STUDENT_FAILED if result.failures else EXIT_PLOTTED)
