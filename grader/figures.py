"""The course's figures, and the pictures `grade plot` draws of a student's run.

matplotlib is an optional extra (`pip install -e ".[plot]"`), imported only
inside these functions, and always through `matplotlib.figure.Figure` with
the Agg renderer: no pyplot, no GUI, no global state. Figures are
reproducible: fixed seeds, matplotlib's default style whatever the user's
matplotlibrc says, and no timestamp or software version in the PNG metadata,
so regenerating an unchanged figure gives the same bytes (on the same
matplotlib version).

Every number drawn comes from a reference solution (`grader.runner.load_reference`)
or `grader.datasets`, never from a copy of their formulas here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

PLOT_EXTRA_HINT = (
    'matplotlib is not installed, and figures need it. Install the plot extra: '
    'pip install -e ".[plot]"  (in a checkout of the course)  or  '
    'pip install "nn-learn-grader[plot]"'
)

#: The bowl of the notes and its worked example.
BOWL_START = (3.0, 4.0)
BOWL_RATE = 0.1
BOWL_STEPS = 20
#: Learning rates of the learning-rate figure: too small, just right, too large.
LEARNING_RATES = (0.01, 0.1, 1.1)
#: The stretched bowl J = x² + STRETCH·y² of the zig-zag panel (curvatures 2 and 2·STRETCH), its rate and start.
STRETCH = 10.0
ZIGZAG_RATE = 0.09
ZIGZAG_START = (4.0, 1.0)
#: The neuron of the notes: w = 0.5, x = 2, y = 3 (no bias).
NEURON = {"w": 0.5, "x": 2.0, "y": 3.0}
#: The house-price comparison of batch, stochastic and mini-batch gradient descent.
#: ("learning_rate" is the one rate at which `grade plot exercise5` runs a student's code beside the reference.)
VARIANTS = {"n": 200, "seed": 0, "epochs": 20, "batch_size": 16, "learning_rate": 0.02}
#: The learning rates tried for each variant; each is drawn at the one with the lowest final loss.
RATE_GRID = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
#: SGD with a decaying rate α_t = α₀ / (1 + t/τ), t counting updates: it may start larger than the
#: best constant rate because it shrinks, and it settles where constant-rate SGD keeps jittering.
DECAY_START = 0.02
DECAY_TAU = 200.0


class PlotUnavailable(RuntimeError):
    """matplotlib cannot be imported; the message says how to install it."""


def _matplotlib() -> ModuleType:
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(PLOT_EXTRA_HINT) from None
    return matplotlib


@contextmanager
def _style() -> Iterator[None]:
    # The default style, not the user's matplotlibrc: the same figure everywhere.
    matplotlib = _matplotlib()
    with matplotlib.rc_context(rc=matplotlib.rcParamsDefault):
        matplotlib.rcParams.update({"svg.hashsalt": "nn-learn", "font.size": 10})
        yield


def new_figure(width: float, height: float) -> Any:
    """A pyplot-free Figure (so nothing depends on the interactive backend)."""
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def save(fig: Any, path: Path) -> Path:
    """Write a PNG with no timestamp or version in its metadata; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


@cache
def reference(name: str) -> ModuleType:
    """The reference solution of an exercise (e.g. "exercise1"), loaded once."""
    from grader.catalog import resolve
    from grader.runner import load_reference

    return load_reference(resolve(name))


# -- the bowl -----------------------------------------------------------------------

def _bowl_grid(limit: float, points: int = 121) -> tuple[Any, Any, Any]:
    import numpy as np

    ex1 = reference("exercise1")
    axis = np.linspace(-limit, limit, points)
    xs, ys = np.meshgrid(axis, axis)
    zs = np.array([[ex1.bowl_loss(np.array([a, b])) for a, b in zip(row_x, row_y, strict=True)]
                   for row_x, row_y in zip(xs, ys, strict=True)])
    return xs, ys, zs


def bowl_path(learning_rate: float = BOWL_RATE, steps: int = BOWL_STEPS,
              start: Sequence[float] = BOWL_START) -> Any:
    """The reference's gradient-descent trajectory on the bowl, shape (steps + 1, 2)."""
    import numpy as np

    ex1 = reference("exercise1")
    return ex1.gradient_descent(ex1.bowl_gradient, np.array(start, dtype=float), learning_rate, steps)


def _contours(ax: Any, limit: float) -> None:
    xs, ys, zs = _bowl_grid(limit)
    levels = sorted({float(v) for v in (1, 4, 9, 16, 25, 36, 49, 64) if v <= 2 * limit**2})
    if limit > 8:  # a wide view: fewer, larger levels
        levels = sorted({float(v) for v in (25, 100, 400, 900, 1600) if v <= limit**2})
    lines = ax.contour(xs, ys, zs, levels=levels, colors="0.6", linewidths=0.8)
    ax.clabel(lines, fmt=lambda v: f"J = {v:g}", fontsize=7, inline=True)
    ax.set_aspect("equal")
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def bowl_figure() -> Any:
    """J(x, y) = x² + y² as a surface and as contours, with the descent path from (3, 4)."""
    import numpy as np

    ex1 = reference("exercise1")
    path = bowl_path()
    losses = [ex1.bowl_loss(p) for p in path]
    fig = new_figure(11, 4.8)
    surface = fig.add_subplot(1, 2, 1, projection="3d")
    xs, ys, zs = _bowl_grid(5.0, 41)
    surface.plot_surface(xs, ys, zs, cmap="viridis", alpha=0.55, linewidth=0, antialiased=True)
    # Lifted a little above the surface so that the (opaque-ish) surface does not hide it.
    surface.plot(path[:, 0], path[:, 1], np.array(losses) + 0.6, "o-", color="crimson", markersize=3,
                 linewidth=1.5, zorder=10)
    surface.set_xlabel("x")
    surface.set_ylabel("y")
    surface.set_zlabel("J(x, y)")
    surface.view_init(elev=28, azim=-35)
    surface.set_title("J(x, y) = x² + y²: the loss surface")

    flat = fig.add_subplot(1, 2, 2)
    _contours(flat, 5.0)
    flat.plot(path[:, 0], path[:, 1], "o-", color="crimson", markersize=3, linewidth=1.2,
              label=f"gradient descent, α = {BOWL_RATE:g}, {BOWL_STEPS} steps")
    start = np.array(BOWL_START)
    grad = ex1.bowl_gradient(start)
    # Arrows drawn at a tenth of their length: ∇J = (6, 8) itself would leave the plot.
    flat.annotate("", xy=start + 0.1 * grad, xytext=start,
                  arrowprops={"arrowstyle": "->", "color": "tab:blue", "linewidth": 1.8})
    flat.annotate("", xy=start - 0.1 * grad, xytext=start,
                  arrowprops={"arrowstyle": "->", "color": "tab:green", "linewidth": 1.8})
    flat.text(1.0, 4.15, "∇J(3, 4) = (6, 8), drawn at 1/10:\nsteepest local ascent", color="tab:blue",
              fontsize=8, ha="center")
    flat.text(3.0, 2.3, "the step −α∇J:\n(3, 4) → (2.4, 3.2)", color="tab:green", fontsize=8)
    flat.plot([0], [0], "k+", markersize=10)
    flat.legend(loc="lower left", fontsize=8)
    flat.set_title(f"Contours: loss {losses[0]:g} → {losses[1]:g} after one step")
    return fig


def zigzag_path(learning_rate: float = ZIGZAG_RATE, steps: int = 25,
                start: Sequence[float] = ZIGZAG_START) -> Any:
    """Gradient descent (exercise 1's loop) on the stretched bowl x² + STRETCH·y², shape (steps + 1, 2).

    Its gradient (2x, 2·STRETCH·y) is written here: the exercises' bowl is the round one.
    """
    import numpy as np

    ex1 = reference("exercise1")
    return ex1.gradient_descent(lambda p: np.array([2 * p[0], 2 * STRETCH * p[1]]),
                                np.array(start, dtype=float), learning_rate, steps)


def learning_rates_figure() -> Any:
    """Top: paths on the bowl from (3, 4) for a too-small, a good and a too-large α.

    Bottom: their loss after every step (log scale), and the zig-zag of a rate
    just below the limit 2/λ_max on the stretched bowl x² + 10y².
    """
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    ex1 = reference("exercise1")
    fig = new_figure(12, 8.2)
    grid = fig.add_gridspec(2, 3)
    colours = ("tab:orange", "tab:green", "tab:red")
    steps = 12
    for i, (rate, colour) in enumerate(zip(LEARNING_RATES, colours, strict=True)):
        ax = fig.add_subplot(grid[0, i])
        path = bowl_path(rate, steps)
        verdict = ex1.classify_learning_rate(np.array([ex1.bowl_loss(p) for p in bowl_path(rate, 100)]))
        limit = max(5.5, float(np.abs(path).max()) * 1.1)
        _contours(ax, limit)
        ax.plot(path[:, 0], path[:, 1], "o-", color=colour, markersize=3, linewidth=1.1)
        ax.plot([0], [0], "k+", markersize=10)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_title(f"α = {rate:g}: {verdict} (after 100 steps)")
    losses_ax = fig.add_subplot(grid[1, :2])
    for rate, colour in zip(LEARNING_RATES, colours, strict=True):
        losses = [ex1.bowl_loss(p) for p in bowl_path(rate, 40)]
        losses_ax.plot(np.arange(len(losses)), losses, "o-", color=colour, markersize=2.5, label=f"α = {rate:g}")
    losses_ax.set_yscale("log")
    losses_ax.set_xlabel("step k")
    losses_ax.set_ylabel("loss J(θ_k) (log scale)")
    losses_ax.set_title("Loss per step from (3, 4): slow, fast, diverging")
    losses_ax.legend(fontsize=8)

    zig = fig.add_subplot(grid[1, 2])
    path = zigzag_path()
    axis_x, axis_y = np.linspace(-4.5, 4.5, 181), np.linspace(-1.6, 1.6, 121)
    xs, ys = np.meshgrid(axis_x, axis_y)
    lines = zig.contour(xs, ys, xs**2 + STRETCH * ys**2, levels=[0.5, 2, 5, 10, 17], colors="0.6",
                        linewidths=0.8)
    zig.clabel(lines, fmt=lambda v: f"{v:g}", fontsize=7, inline=True)
    zig.plot(path[:, 0], path[:, 1], "o-", color="tab:purple", markersize=2.5, linewidth=1)
    zig.plot([0], [0], "k+", markersize=10)
    zig.set_aspect("equal")
    zig.set_xlabel("x")
    zig.set_ylabel("y")
    limit = 2 / (2 * STRETCH)
    zig.set_title(f"x² + {STRETCH:g}y², α = {ZIGZAG_RATE:g} (limit 2/λ_max = {limit:g}):\n"
                  "zig-zag across the valley, slow along it", fontsize=9)
    fig.suptitle("Choosing the learning rate: the same start (3, 4), three rates; and a stretched bowl")
    return fig


# -- batch vs SGD vs mini-batch -----------------------------------------------------

def _descent_per_update(X: Any, y: Any, batch_size: int, epochs: int, rate: Callable[[int], float],
                        seed: int) -> Any:
    """The full-data MSE after EVERY update of mini-batch GD (exercise 5's `gd_step` and `mse`).

    Same batches as the reference's `minibatch_gd` (one rng, a permutation per epoch, the last batch
    kept), so the losses at epoch boundaries are exactly its per-epoch losses. `rate(t)` is the
    learning rate of update t (constant, or decaying for SGD).
    """
    import numpy as np

    ex5 = reference("exercise5")
    n = len(y)
    rng = np.random.default_rng(seed)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = [ex5.mse(X, y, w, b)]
    t = 0
    for _ in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            w, b = ex5.gd_step(X[idx], y[idx], w, b, rate(t))
            losses.append(ex5.mse(X, y, w, b))
            t += 1
    return np.array(losses)


def _variant_batch_sizes(n: int) -> dict[str, int]:
    return {"batch": n, "mini-batch": VARIANTS["batch_size"], "stochastic": 1}


@cache
def tuned_rates(n: int = VARIANTS["n"], seed: int = VARIANTS["seed"], epochs: int = VARIANTS["epochs"]
                ) -> dict[str, float]:
    """Each variant's learning rate from RATE_GRID with the lowest full-data MSE after `epochs` epochs."""
    import numpy as np

    from grader.datasets import house_prices

    X, y = house_prices(n, seed=seed)
    best = {}
    for name, size in _variant_batch_sizes(n).items():
        finals = {}
        for rate in RATE_GRID:
            with np.errstate(all="ignore"):
                final = float(_descent_per_update(X, y, size, epochs, lambda t, r=rate: r, seed)[-1])
            finals[rate] = final if np.isfinite(final) else np.inf
        best[name] = min(finals, key=lambda r: (finals[r], r))
    return best


def variant_losses(n: int = VARIANTS["n"], seed: int = VARIANTS["seed"]) -> dict[str, tuple[Any, int, str]]:
    """Per-update full-data MSE of each variant at its tuned rate: label → (losses, updates per epoch, rate)."""
    from grader.datasets import house_prices

    X, y = house_prices(n, seed=seed)
    rates = tuned_rates(n, seed)
    epochs = VARIANTS["epochs"]
    curves = {}
    for name, size in _variant_batch_sizes(n).items():
        rate = rates[name]
        label = {"batch": "batch", "mini-batch": f"mini-batch (B = {size})", "stochastic": "SGD (B = 1)"}[name]
        curves[label] = (_descent_per_update(X, y, size, epochs, lambda t, r=rate: r, seed), -(-n // size),
                         f"α = {rate:g}")
    curves["SGD, decaying α"] = (
        _descent_per_update(X, y, 1, epochs, lambda t: DECAY_START / (1 + t / DECAY_TAU), seed), n,
        f"α = {DECAY_START:g}/(1 + t/{DECAY_TAU:g})")
    return curves


def gd_variants_figure() -> Any:
    """Batch, mini-batch and stochastic GD on the house prices, each at its own tuned α.

    Left: the full-data loss once per epoch. Right: the same runs after every
    single update (computed after each update, not joined epoch samples).
    """
    import numpy as np

    from grader.datasets import NOISE_STD

    curves = variant_losses()
    fig = new_figure(11.5, 4.8)
    per_epoch = fig.add_subplot(1, 2, 1)
    per_update = fig.add_subplot(1, 2, 2)
    styles = {"batch": "-", "SGD, decaying α": "--"}
    for label, (losses, per_epoch_updates, rate) in curves.items():
        epochs = np.arange(VARIANTS["epochs"] + 1)
        style = styles.get(label, "-")
        per_epoch.plot(epochs, losses[epochs * per_epoch_updates], "o" + style, markersize=2.5,
                       label=f"{label}, {rate}")
        per_update.plot(np.arange(1, len(losses) + 1), losses, style, linewidth=0.9, label=label)
    for ax in (per_epoch, per_update):
        ax.axhline(NOISE_STD**2, color="0.5", linestyle=":", label=f"noise variance σ² = {NOISE_STD**2:g}")
        ax.set_yscale("log")
        ax.set_ylabel("MSE on all the data (log scale)")
    per_epoch.legend(fontsize=7)
    per_update.legend(fontsize=7, loc="upper right")
    per_epoch.set_xlabel("epoch (one pass over the data)")
    per_epoch.set_title("Per epoch: each method at its own tuned α")
    per_update.set_xscale("log")
    per_update.set_xlabel("parameter updates (log scale; loss after every update)")
    per_update.set_title("Per update: constant-α SGD keeps jittering; decaying α settles")
    fig.suptitle(f"House prices (n = {VARIANTS['n']}, {VARIANTS['epochs']} epochs): batch vs mini-batch vs "
                 "stochastic gradient descent")
    return fig


# -- the neuron's computational graph --------------------------------------------------

def neuron_values() -> dict[str, float]:
    """Forward values and backward gradients of the notes' neuron (exercise 4's reference)."""
    import numpy as np

    ex4 = reference("exercise4")
    loss, cache_ = ex4.neuron_forward(np.array([NEURON["w"]]), np.array([[NEURON["x"]]]), 0.0,
                                      np.array([NEURON["y"]]))
    dw, db, dx = ex4.neuron_backward(cache_)
    # With z = w·x + b, ∂z/∂b = 1, so ∂L/∂b is exactly the upstream gradient ∂L/∂z.
    return {**NEURON, "z": float(cache_["z"][0]), "L": float(loss),
            "dL_dz": float(db), "dL_dw": float(dw[0]), "dL_dx": float(dx[0, 0])}


def neuron_graph_figure() -> Any:
    """The graph x, w → (×) → z → (z − y)² → L, forward values in black, gradients in red."""
    v = neuron_values()
    fig = new_figure(10, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5)
    ax.axis("off")

    def num(value: float) -> str:
        return f"{value:g}".replace("-", "−")

    boxes = {
        "x": (1.0, 3.8, f"input x = {v['x']:g}"),
        "w": (1.0, 1.4, f"weight w = {v['w']:g}"),
        "mul": (3.6, 2.6, "×"),
        "z": (5.4, 2.6, f"z = w·x = {v['z']:g}"),
        "loss": (7.6, 2.6, "(z − y)²"),
        "y": (7.6, 0.7, f"target y = {v['y']:g}"),
        "L": (9.3, 2.6, f"L = {v['L']:g}"),
    }
    for key, (bx, by, text) in boxes.items():
        shape = "circle" if key in {"mul", "loss"} else "round,pad=0.4"
        ax.text(bx, by, text, ha="center", va="center", fontsize=10,
                bbox={"boxstyle": shape, "facecolor": "0.95", "edgecolor": "0.3"})

    def arrow(a: tuple[float, float], b: tuple[float, float]) -> None:
        ax.annotate("", xy=b, xytext=a, arrowprops={"arrowstyle": "->", "color": "0.2"})

    arrow((1.9, 3.6), (3.3, 2.8))
    arrow((1.9, 1.6), (3.3, 2.4))
    arrow((3.9, 2.6), (4.5, 2.6))
    arrow((6.3, 2.6), (7.05, 2.6))
    arrow((7.6, 1.05), (7.6, 2.1))
    arrow((8.15, 2.6), (8.7, 2.6))
    def back(a: tuple[float, float], b: tuple[float, float]) -> None:
        ax.annotate("", xy=b, xytext=a, arrowprops={"arrowstyle": "->", "color": "crimson",
                                                    "linestyle": "--", "linewidth": 1.2})

    back((8.7, 2.25), (8.15, 2.25))
    back((7.05, 2.25), (6.3, 2.25))
    back((4.5, 2.25), (3.9, 2.25))
    back((3.3, 3.05), (1.9, 3.95))
    back((3.3, 2.15), (1.9, 1.25))
    red = {"color": "crimson", "fontsize": 10, "ha": "center"}
    ax.text(9.3, 3.3, "∂L/∂L = 1", **red)
    ax.text(6.7, 3.35, f"∂L/∂z = 2(z − y) = {num(v['dL_dz'])}", **red)
    ax.text(1.6, 4.6, f"∂L/∂x = ∂L/∂z · w = {num(v['dL_dx'])}", **red)
    ax.text(1.6, 0.55, f"∂L/∂w = ∂L/∂z · x = {num(v['dL_dw'])}", **red)
    ax.text(5.0, 4.75, "forward: left to right (values)      backward: right to left (gradients, red)",
            ha="center", fontsize=9, color="0.3")
    return fig


#: name -> function that builds the figure; `grade figures` writes NAME.png for each.
FIGURES: dict[str, Callable[[], Any]] = {
    "bowl": bowl_figure,
    "learning_rates": learning_rates_figure,
    "gd_variants": gd_variants_figure,
    "neuron_graph": neuron_graph_figure,
    "deep_network": lambda: __import__("grader.figures_deep", fromlist=["x"]).deep_network_figure(),
}
FIGURES.update(__import__("grader.figures_training", fromlist=["FIGURES"]).FIGURES)  # lessons 9 and 10


def write_figures(
    out_dir: Path, names: Sequence[str] | None = None, *, on_each: Callable[[str], None] | None = None
) -> list[Path]:
    """Build and save the named figures (default: all) as OUT_DIR/NAME.png.

    `on_each(name)` is called after each figure is saved (progress reporting).
    """
    written = []
    for name in names or list(FIGURES):
        with _style():
            fig = FIGURES[name]()
            written.append(save(fig, out_dir / f"{name}.png"))
        if on_each is not None:
            on_each(name)
    return written


# -- `grade plot`: a student's run beside the reference's -------------------------------

@dataclass(frozen=True)
class Run:
    """One curve or path to draw; `error` instead of data when the student's call failed."""

    label: str
    data: Any = None
    error: str | None = None


def student_descent_figure(student: Run, ref: Run, *, learning_rate: float, steps: int) -> Any:
    """Exercise 1: the student's gradient_descent path and losses beside the reference's."""
    import numpy as np

    ex1 = reference("exercise1")
    fig = new_figure(11, 4.6)
    paths = fig.add_subplot(1, 2, 1)
    losses = fig.add_subplot(1, 2, 2)
    limit = 5.5
    if student.data is not None:
        finite = np.asarray(student.data, dtype=float)
        finite = finite[np.all(np.isfinite(finite), axis=-1)] if finite.ndim == 2 else finite
        if finite.size:
            limit = max(limit, min(50.0, float(np.abs(finite).max()) * 1.1))
    _contours(paths, limit)
    paths.plot(ref.data[:, 0], ref.data[:, 1], "o-", color="0.4", markersize=4, linewidth=2.5,
               alpha=0.6, label=ref.label)
    losses.plot([ex1.bowl_loss(p) for p in ref.data], "o-", color="0.4", linewidth=2.5, alpha=0.6,
                label=ref.label)
    _draw_student_path(paths, losses, student, ex1)
    paths.legend(loc="lower left", fontsize=8)
    paths.set_title(f"gradient_descent(bowl_gradient, (3, 4), α = {learning_rate:g}, {steps})")
    losses.set_yscale("log")
    losses.set_xlabel("step k")
    losses.set_ylabel("J(θ_k)")
    losses.legend(fontsize=8)
    losses.set_title("Loss after each step")
    return fig


def _draw_student_path(paths: Any, losses: Any, student: Run, ex1: ModuleType) -> None:
    import numpy as np

    if student.error is not None:
        paths.text(0, 0, student.error, ha="center", va="center", wrap=True, color="crimson",
                   bbox={"facecolor": "white", "edgecolor": "crimson"})
        return
    data = np.asarray(student.data, dtype=float)
    if data.ndim != 2 or data.shape[1] != 2:
        paths.text(0, 0, f"your trajectory has shape {data.shape},\nexpected (n_steps + 1, 2)",
                   ha="center", va="center", color="crimson")
        return
    paths.plot(data[:, 0], data[:, 1], "x--", color="crimson", markersize=5, linewidth=1, label=student.label)
    losses.plot([ex1.bowl_loss(p) for p in data], "x--", color="crimson", linewidth=1, label=student.label)


def student_curves_figure(title: str, runs: Sequence[tuple[str, Run, Run]], *, ylabel: str,
                          xlabel: str = "epoch") -> Any:
    """One panel per (name, student, reference): the student's loss curve over the reference's."""
    import numpy as np

    fig = new_figure(max(5.0, 4.2 * len(runs)), 4.2)
    for i, (name, student, ref) in enumerate(runs):
        ax = fig.add_subplot(1, len(runs), i + 1)
        ax.plot(np.asarray(ref.data, dtype=float), "o-", color="0.4", linewidth=2.5, alpha=0.6,
                label=ref.label)
        if student.error is not None:
            ax.text(0.5, 0.5, student.error, transform=ax.transAxes, ha="center", va="center",
                    wrap=True, color="crimson", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "crimson"})
        else:
            ax.plot(np.asarray(student.data, dtype=float), "x--", color="crimson", label=student.label)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(name)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return fig
