"""Exercise 8 — a tiny reverse-mode autograd engine (in the spirit of micrograd).

Frameworks compute gradients "automatically" by recording every operation in a
graph and running the chain rule backwards through it. You build that engine
for scalars. A `Value` holds a number (`data`), the gradient of the final
output with respect to it (`grad`), the Values it was computed from
(`_prev`), and a function `_backward` that pushes its own grad to them:

    forward:  c = a * b                 c.data = a.data · b.data
    backward: a.grad += c.grad · b.data  b.grad += c.grad · a.data   (∂c/∂a = b, ∂c/∂b = a)

Two rules make it correct for every graph:
  * accumulate (+=), never assign: a node used twice (a + a, a·b + a·c)
    receives one contribution per use, and they add up (the multivariate chain rule);
  * run the `_backward`s in reverse topological order, so a node pushes its
    grad only after every node that uses it has pushed to it.

The local derivatives (u is the input Value, c the result):

    c = a + b     ∂c/∂a = 1,   ∂c/∂b = 1          c = a · b     ∂c/∂a = b,  ∂c/∂b = a
    c = a / b     ∂c/∂a = 1/b, ∂c/∂b = −a/b²      c = a − b     ∂c/∂a = 1,  ∂c/∂b = −1
    c = uᵏ        ∂c/∂u = k·uᵏ⁻¹  (k a number)    c = eᵘ        ∂c/∂u = eᵘ = c
    c = tanh u    ∂c/∂u = 1 − c²                  c = σ(u)      ∂c/∂u = c·(1 − c)
    c = relu u    ∂c/∂u = 1 if u > 0 else 0 (0 at u = 0)

Plain numbers mix in both ways: v + 1, 2 · v, 1 − v (`__rsub__`), 1 / v
(`__rtruediv__`). On top of the engine: one neuron and a two-layer MLP
trained on a four-example data set. Functions marked "already written" build
graphs from plain data (lists of numbers), because the grader talks to your
code only in plain data; they show how the engine is used.

Fill in every solution region below, then run `grade exercise8`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any


class Value:
    """A scalar in a computational graph, with its gradient.

    Attributes:
        data: the number (a float).
        grad: ∂(output)/∂(this node), filled in by output.backward(); starts at 0.0.
        _prev: the Values this one was computed from (a tuple; a Value may appear twice, as in a + a).
        _op: a label of the operation ("+", "*", "exp", …), for printing.
        _backward: a function of no arguments that adds this node's contribution
            to the grad of each of its inputs (does nothing for a leaf).

    Example (the notes' neuron: L = (w·x − y)² with w = 0.5, x = 2, y = 3):
        >>> w = Value(0.5)
        >>> L = (w * 2.0 - 3.0) ** 2
        >>> L.backward()
        >>> L.data, w.grad          # ∂L/∂w = 2(w·x − y)·x = 2·(1 − 3)·2 = −8
        (4.0, -8.0)
    """

    def __init__(self, data: float, _prev: tuple[Value, ...] = (), _op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._op = _op
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # -- the operations: each builds a new node and says how to push its grad back ------

    def __add__(self, other: Value | float) -> Value:
        """c = self + other;  ∂c/∂self = 1, ∂c/∂other = 1.

        Example: Value(2.0) + 3.0 has data 5.0; after backward() both inputs get grad 1.
        """
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other: Value | float) -> Value:
        """c = self · other;  ∂c/∂self = other, ∂c/∂other = self.

        Example: a = Value(2.0), b = Value(−3.0): c = a * b has data −6.0;
        after c.backward(), a.grad = −3.0 and b.grad = 2.0.
        """
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, k: float) -> Value:
        """c = selfᵏ for a plain number k;  ∂c/∂self = k·selfᵏ⁻¹.

        Example: Value(3.0) ** 2 has data 9.0 and gives the input grad 2·3 = 6.0;
        Value(4.0) ** -0.5 has data 0.5 and grad −0.5·4^(−1.5) = −0.0625.
        """
        ### BEGIN SOLUTION
        if isinstance(k, Value):
            raise TypeError("only a plain number is supported as the exponent")
        out = Value(self.data**k, (self,), f"**{k:g}")

        def _backward() -> None:
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __neg__(self) -> Value:
        """−self = self · (−1);  ∂c/∂self = −1.

        Example: −Value(2.0) has data −2.0 and gives the input grad −1.
        """
        ### BEGIN SOLUTION
        return self * -1.0
        ### END SOLUTION

    def __sub__(self, other: Value | float) -> Value:
        """c = self − other;  ∂c/∂self = 1, ∂c/∂other = −1.

        Example: Value(5.0) − Value(2.0) has data 3.0; the grads are 1 and −1.
        """
        ### BEGIN SOLUTION
        return self + (-other)
        ### END SOLUTION

    def __truediv__(self, other: Value | float) -> Value:
        """c = self / other = self · other⁻¹;  ∂c/∂self = 1/other, ∂c/∂other = −self/other².

        Example: Value(6.0) / Value(4.0) has data 1.5; the grads are 1/4 = 0.25 and −6/16 = −0.375.
        """
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1.0
        ### END SOLUTION

    def __radd__(self, other: float) -> Value:
        """other + self, for `1.0 + v` (addition commutes).

        Example: 1.0 + Value(2.0) has data 3.0 and gives the input grad 1.
        """
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __rmul__(self, other: float) -> Value:
        """other · self, for `2.0 * v` (multiplication commutes).

        Example: 2.0 * Value(3.0) has data 6.0 and gives the input grad 2.
        """
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __rsub__(self, other: float) -> Value:
        """other − self, for `1.0 − v`: NOT self − other. ∂c/∂self = −1.

        Example: 1.0 − Value(0.25) has data 0.75 and gives the input grad −1.
        """
        ### BEGIN SOLUTION
        return Value(other) + (-self)
        ### END SOLUTION

    def __rtruediv__(self, other: float) -> Value:
        """other / self, for `1.0 / v`: NOT self / other. ∂c/∂self = −other/self².

        Example: 2.0 / Value(4.0) has data 0.5 and gives the input grad −2/16 = −0.125.
        """
        ### BEGIN SOLUTION
        return Value(other) * self**-1.0
        ### END SOLUTION

    def exp(self) -> Value:
        """c = e^self;  ∂c/∂self = e^self = c.data.

        Example: Value(0.0).exp() has data 1.0 and gives the input grad 1.0.
        """
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def tanh(self) -> Value:
        """c = tanh(self);  ∂c/∂self = 1 − tanh²(self) = 1 − c².

        Example: Value(0.5).tanh() has data ≈ 0.462117 and gives the grad 1 − 0.462117² ≈ 0.786448.
        """
        ### BEGIN SOLUTION
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def sigmoid(self) -> Value:
        """c = σ(self) = 1/(1 + e^(−self));  ∂c/∂self = c·(1 − c).

        Must not overflow for large |self| (σ(−1000) = 0, σ(1000) = 1): use
        e^(−|x|), which is at most 1, as in exercise 4.

        Example: Value(0.0).sigmoid() has data 0.5 and gives the grad 0.25.
        """
        ### BEGIN SOLUTION
        e = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self) -> Value:
        """c = max(0, self);  ∂c/∂self = 1 if self > 0 else 0 (the convention at 0 is 0).

        Example: Value(−2.0).relu() has data 0.0 and grad 0; Value(3.0).relu() has data 3.0 and grad 1.
        """
        ### BEGIN SOLUTION
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward() -> None:
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    # -- the graph ----------------------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this one depends on (itself included), each exactly once, inputs before users.

        A depth-first search with a *visited set*: a node is appended after all
        of its inputs, so the list ends with self. Without the visited set a
        shared node would appear (and later push its grad) more than once.

        Example: for c = a * b; d = c + a the order is [a, b, c, d] (or [b, a, c, d]):
        both inputs come before c, and c before d.
        """
        ### BEGIN SOLUTION
        order: list[Value] = []
        visited: set[int] = set()
        # An explicit stack instead of recursion: a graph 5000 nodes deep must not hit the recursion limit.
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for child in reversed(node._prev):
                if id(child) not in visited:
                    stack.append((child, False))
        return order
        ### END SOLUTION

    def backward(self) -> None:
        """Fill in ∂self/∂node in node.grad for every node of the graph (reverse-mode autodiff).

        Sets self.grad = 1.0 (∂self/∂self), then calls each node's _backward in
        REVERSE topological order (outputs first). Gradients accumulate into
        .grad like PyTorch's: call zero_grad() before a second backward pass on
        the same graph, and the second pass gives the same grads as the first.

        Example: for L = (a·b + a) with a = 2, b = −3, L.backward() gives
        a.grad = b + 1 = −2 (a is used twice: its contributions add) and b.grad = a = 2.
        """
        ### BEGIN SOLUTION
        order = self.topological_order()
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION

    def zero_grad(self) -> None:
        """Set .grad = 0.0 on every node of the graph (self and everything it depends on).

        Example: after L.backward(), L.zero_grad() makes a.grad, b.grad, L.grad and every
        intermediate node's grad 0.0 again, so a second L.backward() gives the same grads.
        """
        ### BEGIN SOLUTION
        for node in self.topological_order():
            node.grad = 0.0
        ### END SOLUTION


# -- a neuron and an MLP on top of the engine ---------------------------------------------------

def neuron(w: Sequence[Value], b: Value, x: Sequence[Value | float], activation: str = "tanh") -> Value:
    """One neuron: a = g(Σ_j w_j·x_j + b) with g = tanh, sigmoid, relu or "linear" (none).

    Args:
        w: d Values, the weights.
        b: a Value, the bias.
        x: d Values or numbers, the input.
        activation: "tanh", "sigmoid", "relu" or "linear".

    Returns:
        The neuron's output, a Value connected to w, b (and x if they are Values).

    Example: w = (0.5, −1), b = 0.25, x = (2, 1), linear: 0.5·2 − 1·1 + 0.25 = 0.25
    """
    ### BEGIN SOLUTION
    z = b
    for wj, xj in zip(w, x, strict=True):
        z = z + wj * xj
    if activation == "linear":
        return z
    if activation not in ("tanh", "sigmoid", "relu"):
        raise ValueError(f"unknown activation {activation!r}")
    return getattr(z, activation)()
    ### END SOLUTION


def mlp_forward(params: dict[str, Any], x: Sequence[Value | float]) -> Value:
    """A 2-layer MLP with one output: ŷ = W2·tanh(W1·x + b1) + b2 (a linear output neuron).

    Args:
        params: {"W1": h lists of d Values, "b1": h Values, "W2": h Values, "b2": a Value}.
        x: d numbers (or Values), one example.

    Returns:
        ŷ, a Value.

    Example: W1 = [[1, 0], [0, 1]], b1 = [0, 0], W2 = [1, 1], b2 = 0, x = (0.5, −0.5):
        hidden = (tanh 0.5, tanh(−0.5)) = (0.462117, −0.462117), ŷ = 0.
    """
    ### BEGIN SOLUTION
    hidden = [neuron(row, bias, x, "tanh") for row, bias in zip(params["W1"], params["b1"], strict=True)]
    return neuron(params["W2"], params["b2"], hidden, "linear")
    ### END SOLUTION


def mse_loss(params: dict[str, Any], X: Sequence[Sequence[float]], y: Sequence[float]) -> Value:
    """The mean squared error of the MLP on a data set: L = (1/n) Σ_i (ŷ_i − y_i)².

    Args:
        params: as for mlp_forward.
        X: n examples of d numbers each.
        y: n targets.

    Returns:
        L, a Value whose graph reaches every parameter.

    Example: with the mlp_forward example's parameters, X = [(0.5, −0.5)] and y = [1]:
        ŷ = 0, so L = (0 − 1)² / 1 = 1.
    """
    ### BEGIN SOLUTION
    total: Value | float = 0.0
    for xi, yi in zip(X, y, strict=True):
        total = (mlp_forward(params, xi) - yi) ** 2 + total
    return total * (1.0 / len(y))
    ### END SOLUTION


def parameters(params: dict[str, Any]) -> list[Value]:
    """Every Value of params in a fixed order: W1 row by row, then b1, W2, b2 (already written)."""
    return [v for row in params["W1"] for v in row] + list(params["b1"]) + list(params["W2"]) + [params["b2"]]


def sgd_train(params: dict[str, Any], X: Sequence[Sequence[float]], y: Sequence[float],
              learning_rate: float, epochs: int) -> list[float]:
    """Full-batch gradient descent with the engine; updates params' Values in place.

    Each epoch: L = mse_loss(params, X, y); zero every parameter's grad
    (L.zero_grad()); L.backward(); then p.data -= learning_rate · p.grad for
    every p in parameters(params). The grads must be zeroed: else each epoch
    adds its gradient to all the previous ones.

    Returns:
        The losses: epochs + 1 floats, before the first update and after each.

    Example: on DATA_X, DATA_Y from init_mlp(3, 4, seed=0) with learning_rate 0.05, the
    loss falls from ≈ 2.1738 to ≈ 0.0366 in 25 epochs (lesson 8).
    """
    ### BEGIN SOLUTION
    losses = []
    for _ in range(epochs):
        loss = mse_loss(params, X, y)
        losses.append(loss.data)
        loss.zero_grad()
        loss.backward()
        for p in parameters(params):
            p.data -= learning_rate * p.grad
    losses.append(mse_loss(params, X, y).data)
    return losses
    ### END SOLUTION


# -- plain-data entry points (already written: the grader drives your engine through these) -----

UNARY = ("neg", "exp", "tanh", "sigmoid", "relu")
BINARY = ("add", "sub", "mul", "div")
WITH_NUMBER = ("pow", "radd", "rsub", "rmul", "rtruediv", "addc", "subc", "mulc", "divc")


def _apply(op: str, nodes: list[Value], args: Sequence[Any]) -> Value:
    if op in UNARY:
        a = nodes[int(args[0])]
        return -a if op == "neg" else getattr(a, op)()
    if op in BINARY:
        a, b = nodes[int(args[0])], nodes[int(args[1])]
        return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b}[op]()
    if op in WITH_NUMBER:
        a, k = nodes[int(args[0])], float(args[1])
        return {"pow": lambda: a**k, "radd": lambda: k + a, "rsub": lambda: k - a, "rmul": lambda: k * a,
                "rtruediv": lambda: k / a, "addc": lambda: a + k, "subc": lambda: a - k,
                "mulc": lambda: a * k, "divc": lambda: a / k}[op]()
    raise ValueError(f"unknown op {op!r}")


def _build(spec: dict[str, Any]) -> list[Value]:
    nodes = [Value(x) for x in spec["leaves"]]
    for op, *args in spec["ops"]:
        nodes.append(_apply(op, nodes, args))
    return nodes


def evaluate_graph(spec: dict[str, Any]) -> dict[str, Any]:
    """Build a graph from a plain description, run backward, report value and gradients.

    spec = {"leaves": [x0, x1, …],                 the inputs (numbers)
            "ops": [[op, i, j_or_k], …],           node n_leaves + m is op m applied to earlier nodes
            "passes": 1 or 2}                      2: backward, zero_grad, backward again

    ops: unary "neg", "exp", "tanh", "sigmoid", "relu" ([op, i]); binary "add",
    "sub", "mul", "div" ([op, i, j]); with a number k ([op, i, k]): "pow" (xᵢᵏ),
    "radd" (k + xᵢ), "rsub" (k − xᵢ), "rmul" (k·xᵢ), "rtruediv" (k / xᵢ),
    "addc", "subc", "mulc", "divc" (xᵢ + k, xᵢ − k, xᵢ·k, xᵢ / k).
    The output is the last node.

    Returns:
        {"value": the output's data, "grads": [∂output/∂leaf for each leaf]}.

    Example: leaves (2, −3), ops [["mul", 0, 1], ["add", 2, 0]] is c = a·b + a:
        value −4, grads (∂c/∂a, ∂c/∂b) = (b + 1, a) = (−2, 2): a is used twice, so its two
        contributions b and 1 add up.
    """
    nodes = _build(spec)
    out = nodes[-1]
    out.backward()
    for _ in range(int(spec.get("passes", 1)) - 1):
        out.zero_grad()
        out.backward()
    return {"value": out.data, "grads": [leaf.grad for leaf in nodes[: len(spec["leaves"])]]}


def graph_order(spec: dict[str, Any]) -> list[int]:
    """The output's topological_order(), told by node numbers (0 … n_leaves + n_ops − 1).

    Builds the graph of `spec` as evaluate_graph does and lists, in the order
    topological_order() returns them, the numbers of the spec's nodes; helper
    nodes your operations create (e.g. the −1 of a − b = a + (−1)·b) are left out.
    """
    nodes = _build(spec)
    number = {id(node): i for i, node in enumerate(nodes)}
    return [number[id(node)] for node in nodes[-1].topological_order() if id(node) in number]


def _as_params(raw: dict[str, Any]) -> dict[str, Any]:
    return {"W1": [[Value(v) for v in row] for row in raw["W1"]], "b1": [Value(v) for v in raw["b1"]],
            "W2": [Value(v) for v in raw["W2"]], "b2": Value(raw["b2"])}


def _as_numbers(params: dict[str, Any]) -> dict[str, Any]:
    return {"W1": [[v.data for v in row] for row in params["W1"]], "b1": [v.data for v in params["b1"]],
            "W2": [v.data for v in params["W2"]], "b2": params["b2"].data}


def _grads(params: dict[str, Any]) -> dict[str, Any]:
    return {"W1": [[v.grad for v in row] for row in params["W1"]], "b1": [v.grad for v in params["b1"]],
            "W2": [v.grad for v in params["W2"]], "b2": params["b2"].grad}


def neuron_grads(w: Sequence[float], b: float, x: Sequence[float], y: float,
                 activation: str = "linear") -> dict[str, Any]:
    """The squared error L = (a − y)² of one neuron and its gradients, from plain numbers.

    Returns {"loss": L, "w": [∂L/∂w_j], "b": ∂L/∂b, "x": [∂L/∂x_j]}.

    Example (the notes: w = 0.5, x = 2, y = 3, no bias, linear): L = 4, ∂L/∂w = −8,
    ∂L/∂b = −4, ∂L/∂x = 2(1 − 3)·0.5 = −2.
    """
    ws, bv, xs = [Value(v) for v in w], Value(b), [Value(v) for v in x]
    loss = (neuron(ws, bv, xs, activation) - y) ** 2
    loss.backward()
    return {"loss": loss.data, "w": [v.grad for v in ws], "b": bv.grad, "x": [v.grad for v in xs]}


def mlp_grads(raw: dict[str, Any], X: Sequence[Sequence[float]], y: Sequence[float]) -> dict[str, Any]:
    """The MLP's loss and the gradient of every parameter, from plain numbers.

    Returns {"loss": L, "grads": {"W1": h×d, "b1": h, "W2": h, "b2": a number}}.
    """
    params = _as_params(raw)
    loss = mse_loss(params, X, y)
    loss.backward()
    return {"loss": loss.data, "grads": _grads(params)}


def train_mlp(raw: dict[str, Any], X: Sequence[Sequence[float]], y: Sequence[float],
              learning_rate: float, epochs: int) -> dict[str, Any]:
    """Train the MLP from plain numbers; returns {"losses": [...], "params": the trained numbers}."""
    params = _as_params(raw)
    losses = sgd_train(params, X, y, learning_rate, epochs)
    return {"losses": [float(v) for v in losses], "params": _as_numbers(params)}


#: The tiny data set: four examples, three features, targets ±1 (micrograd's demo).
DATA_X = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
DATA_Y = [1.0, -1.0, -1.0, 1.0]


def init_mlp(d: int, h: int, seed: int = 0) -> dict[str, Any]:
    """Random starting numbers for a d-h-1 MLP, uniform in (−1, 1) (already written)."""
    rng = random.Random(seed)
    return {"W1": [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(h)], "b1": [0.0] * h,
            "W2": [rng.uniform(-1, 1) for _ in range(h)], "b2": 0.0}
