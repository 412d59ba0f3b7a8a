"""The course figures (`grade figures`) and `grade plot` on student code."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import make_workspace, mutate, reference_source, run_grade

from grader import figures
from grader.catalog import load_catalog
from grader.stubs import stub_source

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COMMITTED = Path(__file__).resolve().parent.parent / "course" / "figures"


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk; asserts the signature and every CRC."""
    assert data[:8] == PNG_SIGNATURE
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + payload), f"bad CRC in {kind!r}"
        chunks.append((kind, payload))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png_chunks(data)[0][1][:8])
    return width, height


def assert_valid_png(path: Path, min_bytes: int = 10_000) -> tuple[int, int]:
    data = path.read_bytes()
    assert len(data) >= min_bytes, f"{path.name} is only {len(data)} bytes"
    chunks = png_chunks(data)
    text = b" ".join(payload for kind, payload in chunks if kind in (b"tEXt", b"iTXt", b"zTXt"))
    assert b"Software" not in text and b"Creation" not in text and b"matplotlib version" not in text
    return png_size(data)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("figures")
    figures.write_figures(out)
    return out


def test_every_figure_is_a_valid_png_of_its_size(generated):
    for name, builder in figures.FIGURES.items():
        width, height = assert_valid_png(generated / f"{name}.png")
        fig = builder()
        assert (width, height) == tuple(round(v * 100) for v in fig.get_size_inches()), name


def test_figures_are_reproducible_byte_for_byte(generated, tmp_path):
    figures.write_figures(tmp_path, ["bowl", "neuron_graph"])
    for name in ("bowl", "neuron_graph"):
        assert (tmp_path / f"{name}.png").read_bytes() == (generated / f"{name}.png").read_bytes()


def test_committed_figures_are_up_to_date(generated):
    """The PNGs linked from the lessons look like freshly generated ones (regenerate: `grade figures`)."""
    from matplotlib.image import imread

    for name in figures.FIGURES:
        committed, fresh = imread(COMMITTED / f"{name}.png"), imread(generated / f"{name}.png")
        assert committed.shape == fresh.shape, f"{name}.png: run `grade figures`"
        assert float(np.abs(committed - fresh).mean()) < 0.01, f"{name}.png is stale: run `grade figures`"


# -- what the figures show comes from the references ----------------------------------------

def test_bowl_path_is_the_worked_example():
    path = figures.bowl_path()
    assert path.shape == (figures.BOWL_STEPS + 1, 2)
    assert np.allclose(path[:2], [[3.0, 4.0], [2.4, 3.2]])


def test_neuron_graph_values_are_the_lessons_numbers():
    values = figures.neuron_values()
    assert values["z"] == pytest.approx(1.0) and values["L"] == pytest.approx(4.0)
    assert values["dL_dz"] == pytest.approx(2 * (values["z"] - values["y"]))
    assert values["dL_dw"] == pytest.approx(-8.0) and values["dL_dx"] == pytest.approx(-2.0)


def test_each_variant_is_drawn_at_its_own_best_rate_from_the_grid():
    from grader.datasets import house_prices

    ex5 = figures.reference("exercise5")
    n, seed, epochs = figures.VARIANTS["n"], figures.VARIANTS["seed"], figures.VARIANTS["epochs"]
    X, y = house_prices(n, seed=seed)
    w0 = np.zeros(X.shape[1])
    rates = figures.tuned_rates()
    sizes = {"batch": n, "mini-batch": figures.VARIANTS["batch_size"], "stochastic": 1}
    for name, size in sizes.items():
        # Independently of the figure's loop: the reference's own minibatch_gd over the whole grid.
        with np.errstate(all="ignore"):
            finals = {r: ex5.minibatch_gd(X, y, w0, 0.0, r, epochs, size, seed)[2][-1] for r in figures.RATE_GRID}
        finite = {r: v for r, v in finals.items() if np.isfinite(v)}
        assert rates[name] == min(finite, key=lambda r: (finite[r], r)), name
    assert len(set(rates.values())) == 3  # one α would favour one method


def test_per_update_curves_are_losses_after_every_update():
    from grader.datasets import house_prices

    ex5 = figures.reference("exercise5")
    n, seed, epochs = figures.VARIANTS["n"], figures.VARIANTS["seed"], figures.VARIANTS["epochs"]
    X, y = house_prices(n, seed=seed)
    curves = figures.variant_losses()
    rates = figures.tuned_rates()
    for label, (losses, per_epoch, rate_text) in curves.items():
        assert len(losses) == epochs * per_epoch + 1, label
        if label.startswith("SGD, decaying"):
            continue
        size = -(-n // per_epoch)  # examples per update: n, B or 1
        name = {n: "batch", 1: "stochastic"}.get(size, "mini-batch")
        assert rate_text == f"α = {rates[name]:g}"
        reference_epochs = ex5.minibatch_gd(X, y, np.zeros(3), 0.0, rates[name], epochs, size, seed)[2]
        assert np.allclose(losses[:: per_epoch], reference_epochs), label  # epoch boundaries = the reference
    batch = curves["batch"][0]
    assert np.all(np.diff(batch) < 0)  # full-batch GD below 2/λ_max: the loss falls every update
    constant, decaying = curves["SGD (B = 1)"][0], curves["SGD, decaying α"][0]
    last_epoch = slice(-n, None)
    assert np.std(decaying[last_epoch]) < np.std(constant[last_epoch]) / 3  # a decaying α settles
    assert np.any(np.diff(constant[-n:]) > 0)  # constant-α SGD jitters up now and then


def test_variant_figure_states_each_rate_in_its_legend():
    fig = figures.gd_variants_figure()
    legend = " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    for rate in figures.tuned_rates().values():
        assert f"α = {rate:g}" in legend
    assert "best possible" not in legend and "noise variance" in legend


def _inside_figure(fig) -> list[str]:
    """The titles of the axes whose drawn artists (tick labels, labels, title) stick out of the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.bbox
    outside = []
    for ax in fig.axes:
        extent = ax.get_tightbbox(renderer)
        if extent.x0 < box.x0 - 1 or extent.x1 > box.x1 + 1 or extent.y0 < box.y0 - 1 or extent.y1 > box.y1 + 1:
            outside.append(ax.get_title() or repr(ax))
    return outside


def test_learning_rate_figure_has_a_loss_panel_and_the_zig_zag_and_is_not_clipped():
    with figures._style():
        fig = figures.learning_rates_figure()
        assert _inside_figure(fig) == []
    assert len(fig.axes) == 5
    losses_panel = fig.axes[3]
    assert losses_panel.get_yscale() == "log" and len(losses_panel.get_lines()) == len(figures.LEARNING_RATES)
    path = figures.zigzag_path()
    assert np.all(np.sign(path[1:, 1]) == -np.sign(path[:-1, 1]))  # y flips every step: the zig-zag
    assert np.all(np.diff(path[:, 0]) < 0) and np.all(path[:, 0] > 0)  # x creeps towards 0 from one side
    assert figures.ZIGZAG_RATE < 2 / (2 * figures.STRETCH)  # below the limit 2/λ_max: it converges


def test_bowl_contours_are_labelled():
    with figures._style():
        fig = figures.bowl_figure()
        assert _inside_figure(fig) == []
    labels = [t.get_text() for t in fig.axes[1].texts]
    assert sum(text.startswith("J = ") for text in labels) >= 3


# -- the commands ---------------------------------------------------------------------------

def test_grade_figures_only_one(tmp_path):
    proc = run_grade("figures", "--out", str(tmp_path), "--only", "neuron_graph")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "neuron_graph.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron_graph.png"]
    assert_valid_png(tmp_path / "neuron_graph.png")


_NO_MATPLOTLIB = (
    "import sys; sys.modules['matplotlib'] = None\n"
    "from grader.cli import main\nmain(sys.argv[1:])\n"
)


def test_without_matplotlib_figures_and_plot_exit_1_naming_the_extra(tmp_path):
    import subprocess
    import sys

    ws = make_workspace(tmp_path / "ws", {ex.file: stub_source(ex.file) for ex in load_catalog()})
    for args in (["figures", "--out", str(tmp_path / "out")], ["plot", "exercise1", "--path", str(ws)]):
        proc = subprocess.run([sys.executable, "-c", _NO_MATPLOTLIB, *args], capture_output=True, text=True)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert 'pip install -e ".[plot]"' in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.fixture
def workspaces(tmp_path):
    stubs = {ex.file: stub_source(ex.file) for ex in load_catalog()}
    solved = {**stubs, "exercise1_update_rule.py": reference_source("exercise1_update_rule.py"),
              "exercise5_minibatch_gd.py": reference_source("exercise5_minibatch_gd.py")}
    ascent = mutate(reference_source("exercise1_update_rule.py"),
                    "theta = theta - learning_rate * np.asarray(grad_fn(theta), dtype=float)",
                    "theta = theta + learning_rate * np.asarray(grad_fn(theta), dtype=float)")
    return {
        "stub": make_workspace(tmp_path / "stub", stubs),
        "solved": make_workspace(tmp_path / "solved", solved),
        "ascent": make_workspace(tmp_path / "ascent", {**stubs, "exercise1_update_rule.py": ascent}),
    }


def test_plot_exercise1_on_the_reference_solution(workspaces):
    proc = run_grade("plot", "exercise1", "--path", str(workspaces["solved"]))
    assert proc.returncode == 0, proc.stderr
    target = workspaces["solved"] / ".grade" / "plots" / "exercise1.png"
    assert proc.stdout.strip().endswith(str(target))
    assert "matches the reference" in proc.stdout
    assert_valid_png(target)


def test_plot_exercise1_on_a_stub_says_not_implemented(workspaces):
    proc = run_grade("plot", "exercise1", "--path", str(workspaces["stub"]))
    assert proc.returncode == 1
    assert "gradient_descent is not implemented yet" in proc.stdout
    assert_valid_png(workspaces["stub"] / ".grade" / "plots" / "exercise1.png")  # the reference is still drawn


def test_plot_exercise1_on_a_wrong_solution_says_it_differs(workspaces, tmp_path):
    out = tmp_path / "mine.png"
    proc = run_grade("plot", "1", "--path", str(workspaces["ascent"]), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "gradient_descent differs from the reference" in proc.stdout
    assert_valid_png(out)


def test_plot_exercise5_and_unsupported_exercise(workspaces):
    proc = run_grade("plot", "exercise5", "--path", str(workspaces["solved"]))
    assert proc.returncode == 0, proc.stderr
    assert "matches the reference" in proc.stdout
    assert_valid_png(workspaces["solved"] / ".grade" / "plots" / "exercise5.png")
    proc = run_grade("plot", "exercise2", "--path", str(workspaces["solved"]))
    assert proc.returncode == 2 and "no plot for exercise2" in proc.stderr


def test_plot_exercise1_explains_a_wrongly_shaped_trajectory(tmp_path):
    final_only = mutate(reference_source("exercise1_update_rule.py"),
                        "return np.stack(trajectory)", "return trajectory[-1]")
    ws = make_workspace(tmp_path / "ws", {"exercise1_update_rule.py": final_only})
    proc = run_grade("plot", "exercise1", "--path", str(ws))
    assert proc.returncode == 1
    assert "gradient_descent returned an array of shape (2,)" in proc.stdout
    assert_valid_png(ws / ".grade" / "plots" / "exercise1.png")
