"""Figures of lessons 9 and 10: optimizer paths in the narrow valley, and ‖δₗ‖ by layer.

Like `grader.figures` (whose helpers it uses): matplotlib only inside the
functions, Agg through `matplotlib.figure.Figure`, fixed seeds, and every
number from a reference solution (exercise 9's `minimize`, exercise 10's
`init_network` and `delta_norms`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The valley runs of lesson 9 and `grade plot exercise9`: (label, optimizer, hyper-parameters).
VALLEY_START = (-4.0, 0.8)
VALLEY_STEPS = 60
VALLEY_RUNS: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("gradient descent, α = 0.038", "sgd", {"lr": 0.038}),
    ("momentum, α = 0.01, β = 0.9", "momentum", {"lr": 0.01, "beta": 0.9}),
    ("Nesterov, α = 0.01, β = 0.9", "nesterov", {"lr": 0.01, "beta": 0.9}),
    ("Adam, α = 0.2", "adam", {"lr": 0.2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
)
#: The 10-layer networks of lesson 10 and `grade plot exercise10`: (label, activation, init, gain).
DEPTH = {"layers": 10, "width": 20, "batch": 8, "data_seed": 0, "init_seed": 1}
DELTA_CASES: tuple[tuple[str, str, str, float], ...] = (
    ("sigmoid, small init (std 0.01)", "sigmoid", "small", 1.0),
    ("sigmoid, Xavier init", "sigmoid", "xavier", 1.0),
    ("ReLU, He init", "relu", "he", 1.0),
    ("ReLU, He init × 1.5", "relu", "he", 1.5),
)
COLOURS = ("tab:red", "tab:blue", "tab:green", "tab:purple")


def valley_paths() -> dict[str, Any]:
    """label -> the reference trajectory (VALLEY_STEPS + 1, 2) from VALLEY_START."""
    import numpy as np

    from grader.figures import reference

    ex9 = reference("exercise9")
    start = np.array(VALLEY_START)
    return {label: ex9.minimize(name, ex9.valley_gradient, start, hyper, VALLEY_STEPS)
            for label, name, hyper in VALLEY_RUNS}


def _valley_contours(ax: Any) -> None:
    import numpy as np

    from grader.figures import reference

    ex9 = reference("exercise9")
    xs, ys = np.meshgrid(np.linspace(-4.6, 1.2, 161), np.linspace(-1.1, 1.1, 121))
    zs = 0.5 * (xs**2 + ex9.VALLEY_KAPPA * ys**2)
    ax.contour(xs, ys, zs, levels=[0.05, 0.2, 0.5, 1, 2, 4, 8, 12, 18, 24, 30], colors="0.7", linewidths=0.7)
    ax.plot([0], [0], "k*", markersize=9)
    ax.set_xlabel("x (along the valley, curvature 1)")
    ax.set_ylabel("y (across it, curvature 50)")


def valley_figure() -> Any:
    """Paths of GD, momentum, Nesterov and Adam on J = ½(x² + 50y²), and their losses."""
    import numpy as np

    from grader.figures import new_figure, reference

    ex9 = reference("exercise9")
    fig = new_figure(11, 4.4)
    paths, losses = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    _valley_contours(paths)
    for colour, (label, path) in zip(COLOURS, valley_paths().items(), strict=True):
        paths.plot(path[:, 0], path[:, 1], ".-", color=colour, linewidth=1, markersize=3, label=label)
        losses.plot([ex9.valley_loss(p) for p in path], color=colour, label=label)
    paths.set_title(f"The valley J = ½(x² + 50y²), {VALLEY_STEPS} steps from {VALLEY_START}")
    paths.legend(fontsize=7, loc="lower right")
    losses.set_yscale("log")
    losses.set_xlabel("step k")
    losses.set_ylabel("J(θ_k)")
    losses.set_title("Loss after each step")
    losses.set_xticks(np.arange(0, VALLEY_STEPS + 1, 10))
    return fig


def depth_data() -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(DEPTH["data_seed"])
    return rng.standard_normal((DEPTH["batch"], DEPTH["width"])), rng.standard_normal((DEPTH["batch"], 1))


def delta_norm_cases() -> dict[str, Any]:
    """label -> the reference's ‖δₗ‖ for l = 1 … 10 of each DELTA_CASES network."""
    from grader.figures import reference

    ex10 = reference("exercise10")
    X, y = depth_data()
    sizes = [DEPTH["width"]] * DEPTH["layers"] + [1]
    return {label: ex10.delta_norms(ex10.init_network(sizes, kind, DEPTH["init_seed"], gain), X, y, activation)
            for label, activation, kind, gain in DELTA_CASES}


def delta_norms_figure() -> Any:
    """‖δₗ‖ by layer for the four networks, on a log scale."""
    import numpy as np

    from grader.figures import new_figure

    fig = new_figure(7, 4.4)
    ax = fig.add_subplot(1, 1, 1)
    layers = np.arange(1, DEPTH["layers"] + 1)
    for colour, (label, norms) in zip(COLOURS, delta_norm_cases().items(), strict=True):
        ax.semilogy(layers, norms, "o-", color=colour, label=label)
    ax.set_xticks(layers)
    ax.set_xlabel("layer l (1 = next to the input, 10 = the output)")
    ax.set_ylabel("‖δₗ‖")
    ax.set_title("Error signals by layer in a 10-layer network")
    ax.legend(fontsize=8)
    return fig


#: name -> builder; registered in grader.figures.FIGURES.
FIGURES: dict[str, Callable[[], Any]] = {
    "valley_paths": valley_figure,
    "delta_norms": delta_norms_figure,
}


# -- `grade plot exercise9` and `grade plot exercise10` ------------------------------------

def student_valley_figure(runs: list[tuple[str, Any, Any]]) -> Any:
    """One panel per optimizer: the student's path (a Run) over the reference's, on the valley."""
    import numpy as np

    from grader.figures import new_figure

    fig = new_figure(4.2 * len(runs), 4.0)
    for index, (label, mine, ref) in enumerate(runs):
        ax = fig.add_subplot(1, len(runs), index + 1)
        _valley_contours(ax)
        ax.plot(ref.data[:, 0], ref.data[:, 1], "o-", color="0.4", markersize=3, linewidth=2.5, alpha=0.6,
                label="reference")
        if mine.error is not None:
            ax.text(-1.7, 0, mine.error, ha="center", va="center", wrap=True, color="crimson", fontsize=7,
                    bbox={"facecolor": "white", "edgecolor": "crimson"})
        else:
            data = np.asarray(mine.data, dtype=float)
            ax.plot(data[:, 0], data[:, 1], "x--", color="crimson", markersize=4, linewidth=1, label="your code")
        ax.set_xlim(-4.6, 1.2)
        ax.set_ylim(-1.1, 1.1)
        ax.set_title(label, fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("minimize on the valley J = ½(x² + 50y²): your paths over the reference's")
    return fig


def student_delta_norms_figure(runs: list[tuple[str, Any, Any]]) -> Any:
    """‖δₗ‖ by layer: the student's delta_norms (crosses) over the reference's (circles), one colour per case."""
    import numpy as np

    from grader.figures import new_figure

    fig = new_figure(7.5, 4.6)
    ax = fig.add_subplot(1, 1, 1)
    layers = np.arange(1, DEPTH["layers"] + 1)
    errors = []
    for colour, (label, mine, ref) in zip(COLOURS, runs, strict=False):
        ax.semilogy(layers, ref.data, "o-", color=colour, alpha=0.5, linewidth=2.5, label=f"{label} (reference)")
        if mine.error is not None:
            errors.append(mine.error)
            continue
        data = np.abs(np.asarray(mine.data, dtype=float))
        ax.semilogy(np.arange(1, len(data) + 1), np.where(data > 0, data, np.nan), "x--", color=colour,
                    label=f"{label} (your code)")
    if errors:
        ax.text(0.5, 0.5, errors[0], transform=ax.transAxes, ha="center", va="center", wrap=True,
                color="crimson", fontsize=8, bbox={"facecolor": "white", "edgecolor": "crimson"})
    ax.set_xticks(layers)
    ax.set_xlabel("layer l")
    ax.set_ylabel("‖δₗ‖")
    ax.set_title("delta_norms of a 10-layer network: yours over the reference's")
    ax.legend(fontsize=6.5)
    return fig
