"""Figures of lesson 7 and `grade plot exercise7`: the 2-2-2 network, and error against h.

Like `grader.figures` (whose helpers it uses): matplotlib only inside the
functions, every number from a reference solution (exercises 6 and 7) or a
trusted callable, never from a copy of their formulas.
"""

from __future__ import annotations

from typing import Any

from grader.figures import Run, new_figure, reference

#: The 2-2-2 network of lesson 7 and exercise 6 (one example, column convention).
NETWORK = {
    "W1": ((0.15, 0.20), (0.25, 0.30)), "b1": ((0.35,), (0.35,)),
    "W2": ((0.40, 0.45), (0.50, 0.55)), "b2": ((0.60,), (0.60,)),
}
X = ((0.05,), (0.10,))
Y = ((0.01,), (0.99,))
ACTIVATIONS = ("sigmoid", "sigmoid")
#: The steps of the error-versus-h curve: 1e-1 … 1e-12.
STEPS = tuple(10.0 ** -k for k in range(1, 13))


def network_values() -> dict[str, Any]:
    """Forward values, δ's and gradients of the 2-2-2 network (exercise 6's reference)."""
    import numpy as np

    ex6 = reference("exercise6")
    params = {k: np.array(v) for k, v in NETWORK.items()}
    yhat, cache = ex6.forward(params, np.array(X), list(ACTIVATIONS))
    grads = ex6.backward(params, cache, np.array(Y), list(ACTIVATIONS), "mse")
    return {"params": params, "cache": cache, "grads": grads, "yhat": yhat,
            "loss": ex6.compute_loss(yhat, np.array(Y), "mse")}


def deep_network_figure() -> Any:
    """The 2-2-2 network: weights on the edges, z and a in the nodes, δ = ∂L/∂z in red."""
    v = network_values()
    cache, grads, params = v["cache"], v["grads"], v["params"]
    fig = new_figure(11, 5.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlim(-0.6, 10.6)
    ax.set_ylim(-0.6, 5.4)
    ax.axis("off")
    layers = {0: 1.0, 1: 5.0, 2: 9.0}
    rows = {0: 3.8, 1: 1.2}
    pos = {(layer, i): (x, rows[i]) for layer, x in layers.items() for i in range(2)}
    for layer in (1, 2):
        W = params[f"W{layer}"]
        for i in range(2):
            for j in range(2):
                (x0, y0), (x1, y1) = pos[(layer - 1, j)], pos[(layer, i)]
                ax.annotate("", xy=(x1 - 0.75, y1), xytext=(x0 + 0.75, y0),
                            arrowprops={"arrowstyle": "->", "color": "0.55", "linewidth": 0.9})
                t = 0.28 if i == j else 0.62
                ax.text(x0 + 0.75 + t * (x1 - x0 - 1.5), y0 + t * (y1 - y0) + 0.12, f"{W[i, j]:.2f}",
                        fontsize=8, color="0.35", ha="center")
    for i in range(2):
        ax.text(*pos[(0, i)], f"x{i + 1} = {cache['A0'][i, 0]:.2f}", ha="center", va="center", fontsize=10,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "0.95", "edgecolor": "0.3"})
        for layer in (1, 2):
            x, y = pos[(layer, i)]
            label = "h" if layer == 1 else "o"
            ax.text(x, y, f"{label}{i + 1}\nz = {cache[f'Z{layer}'][i, 0]:.4f}\na = {cache[f'A{layer}'][i, 0]:.4f}",
                    ha="center", va="center", fontsize=9,
                    bbox={"boxstyle": "circle,pad=0.3", "facecolor": "0.95", "edgecolor": "0.3"})
            bias = params[f"b{layer}"][i, 0]
            ax.text(x, y + 1.05, f"b = {bias:.2f}", ha="center", fontsize=8, color="0.35")
            delta = grads[f"b{layer}"][i, 0]  # one example: ∂L/∂b = δ
            ax.text(x, y - 1.0, f"δ = {delta:.6f}".replace("-", "−"), ha="center", fontsize=9, color="crimson")
        ax.text(10.35, rows[i], f"y{i + 1} = {Y[i][0]:g}", ha="center", va="center", fontsize=9)
    ax.text(5.0, 5.15, f"forward: z = W·a + b, a = σ(z)  →  L = Σ(ŷ − y)² = {v['loss']:.6f}",
            ha="center", fontsize=10)
    ax.text(5.0, -0.45, "backward (red): δ₂ = 2(ŷ − y) ⊙ σ′(z₂),   δ₁ = (W₂ᵀ δ₂) ⊙ σ′(z₁),   ∂L/∂W = δ·(input)ᵀ",
            ha="center", fontsize=10, color="crimson")
    return fig


# -- exercise 7: relative error against the step h ---------------------------------------------

def trusted_network() -> tuple[Any, Any, dict[str, Any]]:
    """(f, grad, params): the 2-2-2 network's loss, its exact gradient and its parameters."""
    import numpy as np

    from grader.sandbox.codec import CallableRef

    data = {"X": [list(r) for r in X], "Y": [list(r) for r in Y], "activations": list(ACTIVATIONS), "loss": "mse"}
    params = {k: np.array(v) for k, v in NETWORK.items()}
    f = CallableRef("mlp_loss", **data)
    grad = CallableRef("mlp_gradient", **data)(params)
    return f, grad, params


def reference_error_curve() -> Any:
    ex7 = reference("exercise7")
    f, grad, params = trusted_network()
    return ex7.error_versus_h(f, grad, params, list(STEPS))


def error_curve_figure(student: Run, ref: Run) -> Any:
    """The student's relative error against h (log-log) over the reference's, with the best step marked."""
    import numpy as np

    fig = new_figure(7.5, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    hs = np.array(STEPS)
    ax.loglog(hs, ref.data, "o-", color="0.4", linewidth=2.5, alpha=0.6, label=ref.label)
    best = int(np.argmin(ref.data))
    ax.annotate(f"sweet spot h = {hs[best]:.0e}", xy=(hs[best], ref.data[best]),
                xytext=(hs[best] * 30, ref.data[best] / 30), arrowprops={"arrowstyle": "->"}, fontsize=9)
    if student.error is not None:
        ax.text(0.5, 0.5, student.error, transform=ax.transAxes, ha="center", va="center", wrap=True,
                color="crimson", fontsize=8, bbox={"facecolor": "white", "edgecolor": "crimson"})
    else:
        data = np.asarray(student.data, dtype=float)
        ax.loglog(hs, np.where(data > 0, data, np.nan), "x--", color="crimson", label=student.label)
    ax.loglog(hs, ref.data[0] * (hs / hs[0]) ** 2, ":", color="tab:blue", label="∝ h² (truncation)")
    ax.loglog(hs, ref.data[-1] * hs[-1] / hs, ":", color="tab:green", label="∝ 1/h (rounding)")
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of the central difference")
    ax.set_ylim(1e-13, 1.0)
    ax.invert_xaxis()
    ax.legend(fontsize=8, loc="upper center")
    ax.set_title("Gradient check of the 2-2-2 network: error against h")
    return fig
