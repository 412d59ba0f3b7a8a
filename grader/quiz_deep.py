"""Quiz questions on deep backpropagation (topic "deep-backprop", lesson 7, exercises 6–7).

* numeric — a 2-2-2 sigmoid network with random one-decimal weights: its
  output error signal δ₂, a hidden δ₁, or an updated weight after one step.
  Expected values come from exercise 6's reference; known mistakes (σ′ left
  out, σ′ of a instead of z, W instead of Wᵀ, the factor 2 dropped, the
  step added) are computed on the same numbers, and weights are redrawn
  until every mistake is distinguishable from the answer and from the others;
* symbolic — δ₁ = ∂L/∂z₁ of a two-layer chain, typed as a formula;
* numeric — the shapes of δₗ, ∂L/∂Wₗ and ∂L/∂bₗ in the column convention.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from grader.quiz import Question, close_enough, fmt, numeric_checker, reference, symbolic_checker, typed

TOPIC = "deep-backprop"
ACTS = ["sigmoid", "sigmoid"]


def _network(rng: Any) -> dict[str, Any]:
    import numpy as np

    def draw(shape: tuple[int, ...]) -> Any:
        values = np.round(rng.uniform(-1.0, 1.0, size=shape), 1)
        return np.where(np.abs(values) < 0.1, 0.3, values)

    return {"W1": draw((2, 2)), "b1": draw((2, 1)), "W2": draw((2, 2)), "b2": draw((2, 1)),
            "x": np.round(rng.uniform(0.1, 1.0, size=(2, 1)), 1),
            "y": np.array([[float(rng.choice([0.0, 1.0]))], [float(rng.choice([0.0, 1.0]))]])}


def _variants(net: dict[str, Any], rate: float) -> dict[str, dict[str, Any]]:
    """The right numbers and those of each mistake, computed with exercise 6's reference."""
    import numpy as np

    ex6 = reference("exercise6")
    params = {k: net[k] for k in ("W1", "b1", "W2", "b2")}
    yhat, cache = ex6.forward(params, net["x"], ACTS)
    grads = ex6.backward(params, cache, net["y"], ACTS, "mse")
    s1, s2 = cache["A1"] * (1 - cache["A1"]), yhat * (1 - yhat)
    d2 = 2 * (yhat - net["y"]) * s2
    out = {"right": {"d2": d2, "d1": grads["b1"], "W2": params["W2"] - rate * grads["W2"],
                     "W1": params["W1"] - rate * grads["W1"]}}

    def from_deltas(d2_: Any, d1_: Any) -> dict[str, Any]:
        return {"d2": d2_, "d1": d1_, "W2": params["W2"] - rate * d2_ @ cache["A1"].T,
                "W1": params["W1"] - rate * d1_ @ net["x"].T}

    out["no sigma'"] = from_deltas(2 * (yhat - net["y"]), params["W2"].T @ (2 * (yhat - net["y"])))
    sa2 = ex6.activation_derivative(yhat, "sigmoid")
    sa1 = ex6.activation_derivative(cache["A1"], "sigmoid")
    d2a = 2 * (yhat - net["y"]) * sa2
    out["sigma'(a)"] = from_deltas(d2a, (params["W2"].T @ d2a) * sa1)
    out["W not transposed"] = from_deltas(d2, (params["W2"] @ d2) * s1)
    out["no 2"] = from_deltas(d2 / 2, grads["b1"] / 2)
    added = {"d2": d2, "d1": grads["b1"], "W2": params["W2"] + rate * grads["W2"],
             "W1": params["W1"] + rate * grads["W1"]}
    out["step added"] = added
    out["hidden without sigma'"] = from_deltas(d2, params["W2"].T @ d2)
    return {k: {kk: np.asarray(vv, dtype=float) for kk, vv in v.items()} for k, v in out.items()}


_MESSAGES = {
    "no sigma'": "you left out σ′: δ₂ = 2(ŷ − y) ⊙ σ′(z₂), with σ′(z) = a(1 − a).",
    "sigma'(a)": "you applied σ′ to a: σ′(z) = σ(z)(1 − σ(z)) = a(1 − a), not σ′(a).",
    "W not transposed": "the error goes back through W₂ᵀ, not W₂: δ₁ = (W₂ᵀδ₂) ⊙ σ′(z₁).",
    "no 2": "∂/∂ŷ (ŷ − y)² = 2(ŷ − y): you dropped the 2.",
    "step added": "you added the step: the update is W − α·∂L/∂W.",
    "hidden without sigma'": "the hidden layer's σ′(z₁) is missing: δ₁ = (W₂ᵀδ₂) ⊙ a₁(1 − a₁).",
}

_ASKS = {
    "d2": ("the output error signal δ₂ = ∂L/∂z₂ (two numbers)", lambda v: v["d2"][:, 0]),
    "d1": ("the hidden error signal δ₁ = ∂L/∂z₁ (two numbers)", lambda v: v["d1"][:, 0]),
    "W2": ("the updated first row of W₂ after one gradient-descent step (two numbers)", lambda v: v["W2"][0]),
    "W1": ("the updated first row of W₁ after one gradient-descent step (two numbers)", lambda v: v["W1"][0]),
}


def _distinct(values: list[list[float]]) -> bool:
    """No two candidate answers fall within the quiz tolerance of each other."""
    return all(not close_enough(a, b) for i, a in enumerate(values) for b in values[i + 1:])


def network_question(rng: Any) -> Question:
    """One number pair of a 2-2-2 sigmoid network's backward pass or update, by hand."""
    rate = float(rng.choice([0.5, 1.0]))
    ask = str(rng.choice(list(_ASKS)))
    what, pick = _ASKS[ask]
    for _ in range(100):
        net = _network(rng)
        variants = _variants(net, rate)
        candidates = {k: [float(v) for v in pick(vs)] for k, vs in variants.items()}
        relevant = {k: c for k, c in candidates.items() if k == "right" or c != candidates["right"]}
        if _distinct(list(relevant.values())) and all(abs(v) > 1e-3 for v in candidates["right"]):
            break
    else:  # pragma: no cover - 100 draws always find one in practice
        raise RuntimeError("no distinguishable network drawn")
    expected = candidates["right"]
    mistakes = [(_MESSAGES[k], c) for k, c in relevant.items() if k != "right"]

    def show(name: str) -> str:
        rows = net[name]
        return "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in rows) + "]"

    column = lambda name: "(" + ", ".join(f"{v:g}" for v in net[name][:, 0]) + ")"  # noqa: E731
    prompt = (f"A 2-2-2 network with sigmoid hidden and output layers: x = {column('x')}, "
              f"W₁ = {show('W1')}, b₁ = {column('b1')}, W₂ = {show('W2')}, b₂ = {column('b2')}, "
              f"target y = {column('y')}, loss L = Σ(ŷ − y)², learning rate α = {rate:g}.\n"
              f"Type {what}, 3 decimals or better.")
    prompt = re.sub(r"(?<!\d)-(?=\d)", "−", prompt)
    v = variants["right"]
    steps = [f"forward: a₁ = σ(W₁x + b₁) = {fmt(list(_column(net, 'A1')))}, ŷ = σ(W₂a₁ + b₂) = "
             f"{fmt(list(_column(net, 'A2')))}",
             f"δ₂ = 2(ŷ − y) ⊙ ŷ(1 − ŷ) = {fmt(list(v['d2'][:, 0]))}"]
    if ask != "d2":
        steps.append(f"δ₁ = (W₂ᵀδ₂) ⊙ a₁(1 − a₁) = {fmt(list(v['d1'][:, 0]))}")
    if ask in ("W1", "W2"):
        source = "a₁ᵀ" if ask == "W2" else "xᵀ"
        steps.append(f"{ask[0]}{_sub(int(ask[1]))} − α·δ{_sub(int(ask[1]))}{source}, first row: {fmt(expected)}")
    solution = "; ".join(steps) + "."
    return Question("numeric", TOPIC, f"2-2-2 network: {ask}", prompt, solution, 1.0, typed(expected),
                    numeric_checker(expected, mistakes))


def _column(net: dict[str, Any], key: str) -> Any:
    ex6 = reference("exercise6")
    _, cache = ex6.forward({k: net[k] for k in ("W1", "b1", "W2", "b2")}, net["x"], ACTS)
    return cache[key][:, 0]


# (the loss as a function of z₁, the variables, the hidden activation's name in words)
_DELTA_TEMPLATES = (
    ("(sigmoid(w2*sigmoid(z1) + b2) - y)**2", ("z1", "w2", "b2", "y"), "a₁ = σ(z₁), ŷ = σ(w₂a₁ + b₂)"),
    ("(sigmoid(w2*tanh(z1) + b2) - y)**2", ("z1", "w2", "b2", "y"), "a₁ = tanh(z₁), ŷ = σ(w₂a₁ + b₂)"),
    ("(w2*sigmoid(z1) + b2 - y)**2", ("z1", "w2", "b2", "y"), "a₁ = σ(z₁), ŷ = w₂a₁ + b₂ (a linear output)"),
    ("-(y*log(sigmoid(w2*sigmoid(z1))) + (1 - y)*log(1 - sigmoid(w2*sigmoid(z1))))", ("z1", "w2", "y"),
     "a₁ = σ(z₁), ŷ = σ(w₂a₁), binary cross-entropy loss"),
)


def delta_question(rng: Any, seed: int) -> Question:
    """δ₁ = ∂L/∂z₁ of a two-layer chain, typed as a formula (the δ recursion, one neuron per layer)."""
    import sympy as sp

    from grader.symbolic import parse_answer

    template, variables, story = _DELTA_TEMPLATES[int(rng.integers(len(_DELTA_TEMPLATES)))]
    function = parse_answer(template, list(variables))
    derivative = sp.sstr(sp.diff(function, sp.Symbol("z1")))
    loss = "the loss L = (ŷ − y)²" if "log" not in template else "L = −[y·log ŷ + (1 − y)·log(1 − ŷ)]"
    prompt = (f"A two-layer chain with one neuron per layer: {story}, and {loss}. "
              f"Type the hidden error signal δ₁ = ∂L/∂z₁ as a formula in {', '.join(variables)} "
              "(Python syntax; sigmoid(u) and tanh(u) are allowed).")
    solution = f"δ₁ = δ₂·w₂·g′(z₁) with δ₂ = ∂L/∂z₂, here d/dz1 = {derivative}."
    return Question("symbolic", TOPIC, "δ₁ of a two-layer chain", prompt, solution, 1.0, derivative,
                    symbolic_checker(function, "z1", list(variables), seed))


def shapes_question(rng: Any) -> Question:
    """The shapes of δₗ, ∂L/∂Wₗ and ∂L/∂bₗ for given layer sizes and batch (column convention)."""
    sizes = [int(v) for v in rng.choice(range(2, 10), size=4, replace=False)]
    m = int(rng.choice([v for v in range(3, 17) if v not in sizes]))
    layer = int(rng.integers(1, 4))
    n_out, n_in = sizes[layer], sizes[layer - 1]
    what = str(rng.choice(["delta", "dW", "db"]))
    expected = {"delta": [n_out, m], "dW": [n_out, n_in], "db": [n_out, 1]}[what]
    names = {"delta": f"δ{_sub(layer)} = ∂L/∂Z{_sub(layer)}", "dW": f"∂L/∂W{_sub(layer)}",
             "db": f"∂L/∂b{_sub(layer)}"}
    wrong = {"delta": [[m, n_out], "δ has the shape of Z: (nₗ, m), one column per example."],
             "dW": [[n_in, n_out], "∂L/∂W has the shape of W, (nₗ, nₗ₋₁): δ·Aₗ₋₁ᵀ."],
             "db": [[n_out, m], "∂L/∂b is δ summed over the batch: one column, (nₗ, 1)."]}[what]
    mistakes = [(wrong[1], wrong[0])]
    if what == "dW":
        mistakes.append(("∂L/∂W does not depend on the batch size: the product δ·Aₗ₋₁ᵀ sums over the m examples.",
                         [n_out, m]))
    prompt = (f"A network in the column convention (X has shape (n₀, m)) has layer sizes "
              f"n₀ = {sizes[0]}, n₁ = {sizes[1]}, n₂ = {sizes[2]}, n₃ = {sizes[3]} and a batch of m = {m} examples. "
              f"What is the shape of {names[what]}? Type rows, columns.")
    solution = (f"W{_sub(layer)} is ({n_out}, {n_in}) and Z{_sub(layer)} is ({n_out}, {m}); "
                f"{names[what]} has shape ({expected[0]}, {expected[1]}).")
    return Question("numeric", TOPIC, f"shape of {what} in layer {layer}", prompt, solution, 1.0, typed(expected),
                    numeric_checker(expected, mistakes))


def _sub(n: int) -> str:
    return "".join(chr(0x2080 + int(d)) for d in str(n))


#: (kind, topics, builder(rng, seed)), in the shape of grader.quiz._GENERATORS.
GENERATORS: tuple[tuple[str, tuple[str, ...], Callable[[Any, int], Question]], ...] = (
    ("numeric", (TOPIC,), lambda rng, seed: network_question(rng)),
    ("symbolic", (TOPIC,), delta_question),
    ("numeric", (TOPIC,), lambda rng, seed: shapes_question(rng)),
)
