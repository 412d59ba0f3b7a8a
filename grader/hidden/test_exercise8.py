"""Hidden tests for exercise 8: a scalar reverse-mode autograd engine.

The student's `Value` never leaves the worker: graphs travel as plain
descriptions (`evaluate_graph(spec)`, `graph_order(spec)`) and the neuron and
MLP as lists of numbers (`neuron_grads`, `mlp_grads`, `train_mlp`). Values and
gradients are compared with the reference engine on the notes' neuron, on
one-operation graphs, and on seeded random graphs with reuse and depth.
Known mistakes are recognised by running `_engine(mistake)`, an engine
written independently of the reference with one mistake switched on.
"""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import numpy as np

from grader.checking import Mutant, check_call
from grader.compare import describe
from grader.inputs import nonzero

RTOL, ATOL = 1e-9, 1e-10
MAX_NODES = 200_000  # a mutant without a visited set can blow up exponentially: give up beyond this


class _TooBig(RuntimeError):
    pass


# -- an independent engine with switchable mistakes ---------------------------------------------

def _engine(mistake: str = "") -> type:
    """A micrograd-style Value class; `mistake` switches on one known error ("" = correct).

    With a "+composed" suffix, − and / are built from the other operations (a + (−b), a·b⁻¹), as many
    students write them: a mistake in + or ** then shows in − and / too.
    """
    composed = mistake.endswith("+composed")
    mistake = mistake.removesuffix("+composed")

    class V:
        def __init__(self, data: float, prev: tuple[Any, ...] = ()) -> None:
            self.data, self.grad, self.prev = float(data), 0.0, tuple(prev)
            self.back = lambda: None

        @staticmethod
        def lift(x: Any) -> V:
            return x if isinstance(x, V) else V(x)

        def push(self, node: V, amount: float) -> None:
            if mistake == "assign":
                node.grad = amount
            else:
                node.grad += amount

        def unary(self, data: float, local: float, op: str) -> V:
            out = V(data, (self,))
            # "<op>_no_chain": the local derivative pushed without the chain rule's factor out.grad
            out.back = lambda: self.push(self, local * (1.0 if mistake == f"{op}_no_chain" else out.grad))
            return out

        def __add__(self, other: Any) -> V:
            other = V.lift(other)
            out = V(self.data + other.data, (self, other))

            def back() -> None:
                upstream = 1.0 if mistake == "add_no_chain" else out.grad
                self.push(self, upstream)
                self.push(other, upstream)

            out.back = back
            return out

        __radd__ = __add__

        def __mul__(self, other: Any) -> V:
            other = V.lift(other)
            out = V(self.data * other.data, (self, other))

            def back() -> None:
                if mistake == "mul_own":
                    self.push(self, self.data * out.grad)
                    self.push(other, other.data * out.grad)
                else:
                    upstream = 1.0 if mistake == "mul_no_chain" else out.grad
                    self.push(self, other.data * upstream)
                    self.push(other, self.data * upstream)

            out.back = back
            return out

        __rmul__ = __mul__

        def __sub__(self, other: Any) -> V:
            other = V.lift(other)
            if composed:
                return self + (-other)
            out = V(self.data - other.data, (self, other))

            def back() -> None:
                self.push(self, out.grad)
                self.push(other, (1.0 if mistake == "sub_sign" else -1.0) * out.grad)

            out.back = back
            return out

        def __rsub__(self, k: Any) -> V:
            return self - k if mistake == "rsub_swapped" else V(k) - self

        def __neg__(self) -> V:
            return self * -1.0

        def __truediv__(self, other: Any) -> V:
            other = V.lift(other)
            if composed:
                return self * other**-1.0
            out = V(self.data / other.data, (self, other))

            def back() -> None:
                self.push(self, out.grad / other.data)
                sign = 1.0 if mistake == "div_sign" else -1.0
                self.push(other, sign * self.data / other.data**2 * out.grad)

            out.back = back
            return out

        def __rtruediv__(self, k: Any) -> V:
            return self / k if mistake == "rtruediv_swapped" else V(k) / self

        def __pow__(self, k: float) -> V:
            local = {"pow_no_k": self.data ** (k - 1), "pow_k_u_k": k * self.data**k}.get(
                mistake, k * self.data ** (k - 1))
            return self.unary(self.data**k, local, "pow")

        def exp(self) -> V:
            e = math.exp(self.data)
            return self.unary(e, self.data if mistake == "exp_input" else e, "exp")

        def tanh(self) -> V:
            t = math.tanh(self.data)
            local = {"tanh_1_minus_t": 1 - t, "tanh_1_minus_x2": 1 - self.data**2}.get(mistake, 1 - t * t)
            return self.unary(t, local, "tanh")

        def sigmoid(self) -> V:
            s = 0.5 * (1.0 + math.tanh(0.5 * self.data))
            return self.unary(s, self.data * (1 - self.data) if mistake == "sigmoid_input" else s * (1 - s), "sigmoid")

        def relu(self) -> V:
            x = self.data
            local = {"relu_always_1": 1.0, "relu_1_at_0": 1.0 if x >= 0 else 0.0}.get(mistake, 1.0 if x > 0 else 0.0)
            return self.unary(max(x, 0.0), local, "relu")

        def order(self) -> list[V]:
            out: list[V] = []
            seen: set[int] = set()

            def visit(node: V) -> None:
                if len(out) > MAX_NODES:
                    raise _TooBig
                if mistake != "no_visited":
                    if id(node) in seen:
                        return
                    seen.add(id(node))
                for child in node.prev:
                    visit(child)
                out.append(node)

            visit(self)
            return out

        def backward(self) -> None:
            nodes = self.order()
            if mistake != "no_root_grad":
                self.grad = 1.0
            for node in (nodes if mistake == "forward_order" else reversed(nodes)):
                node.back()

        def zero_grad(self) -> None:
            if mistake == "zero_grad_noop":
                return
            nodes = self.order()
            if mistake == "zero_grad_root":
                nodes = [self]
            elif mistake == "zero_grad_leaves":
                nodes = [node for node in nodes if not node.prev]
            for node in nodes:
                node.grad = 0.0

    return V


def _build(V: type, spec: dict[str, Any]) -> list[Any]:
    nodes = [V(x) for x in spec["leaves"]]
    for op, *args in spec["ops"]:
        a = nodes[int(args[0])]
        if op in ("neg", "exp", "tanh", "sigmoid", "relu"):
            nodes.append(-a if op == "neg" else getattr(a, op)())
        elif op in ("add", "sub", "mul", "div"):
            b = nodes[int(args[1])]
            nodes.append({"add": a.__add__, "sub": a.__sub__, "mul": a.__mul__, "div": a.__truediv__}[op](b))
        else:
            nodes.append(_with_number(op, a, float(args[1])))
    return nodes


def _with_number(op: str, a: Any, k: float) -> Any:
    if op == "pow":
        return a**k
    return {"radd": lambda: k + a, "rsub": lambda: k - a, "rmul": lambda: k * a, "rtruediv": lambda: k / a,
            "addc": lambda: a + k, "subc": lambda: a - k, "mulc": lambda: a * k, "divc": lambda: a / k}[op]()


def _evaluate(spec: dict[str, Any], mistake: str = "") -> dict[str, Any]:
    nodes = _build(_engine(mistake), spec)
    out = nodes[-1]
    out.backward()
    for _ in range(int(spec.get("passes", 1)) - 1):
        out.zero_grad()
        out.backward()
    return {"value": out.data, "grads": [leaf.grad for leaf in nodes[: len(spec["leaves"])]]}


# (mistake, message): the engine's known errors
ENGINE_MISTAKES: list[tuple[str, str]] = [
    ("assign", "A gradient was assigned (=) where it must be accumulated (+=): a node used twice "
               "(a + a, a·b + a·c) gets one contribution per use, and they add up."),
    ("no_visited", "Your topological order lists a shared node more than once (a depth-first search "
                   "without a visited set), so its _backward runs twice and its inputs get its gradient twice."),
    ("no_root_grad", "Your gradients are all 0: backward() must first set output.grad = 1 (∂out/∂out = 1), then call "
                     "every node's _backward in REVERSE topological order, from the output back to the leaves."),
    ("forward_order", "The _backward calls run inputs-first. Run them in REVERSE topological order, from the "
                      "output back: a node may push its grad only after every node that uses it has pushed to it."),
    ("zero_grad_root", "zero_grad() reset only the output; it must reset .grad on every node of the graph, "
                       "else the second backward pass adds to the first one's gradients."),
    ("zero_grad_noop", "zero_grad() must set .grad = 0 on every node of the graph; yours left the old gradients, "
                       "so the second backward pass added to them."),
    ("zero_grad_leaves", "zero_grad() reset only the leaves; the intermediate nodes keep their old .grad, and the "
                         "second backward pass adds to it before passing it back: reset every node of the graph."),
    ("mul_own", "For c = a·b: ∂c/∂a = b and ∂c/∂b = a (each input gets the OTHER factor), times c.grad."),
    ("sub_sign", "For c = a − b: ∂c/∂b = −1, not +1."),
    ("div_sign", "For c = a / b: ∂c/∂b = −a/b² (negative), and ∂c/∂a = 1/b. (If you compute a / b as "
                 "a·b⁻¹, check the power rule: ∂(bᵏ)/∂b = k·bᵏ⁻¹ with k = −1.)"),
    ("pow_no_k", "For c = uᵏ: ∂c/∂u = k·uᵏ⁻¹; the factor k is missing."),
    ("pow_k_u_k", "For c = uᵏ: ∂c/∂u = k·uᵏ⁻¹ (the power drops by one), not k·uᵏ."),
    ("exp_input", "For c = eᵘ: ∂c/∂u = eᵘ = c.data, not u."),
    ("tanh_1_minus_t", "For c = tanh u: ∂c/∂u = 1 − c² (c squared), not 1 − c."),
    ("tanh_1_minus_x2", "For c = tanh u: ∂c/∂u = 1 − tanh²u = 1 − c², computed from the OUTPUT c, not 1 − u²."),
    ("sigmoid_input", "For c = σ(u): ∂c/∂u = c·(1 − c) from the output c = σ(u), not u·(1 − u)."),
    ("relu_1_at_0", "relu's derivative at exactly u = 0 is 0 by this exercise's convention (1 only for u > 0)."),
    ("relu_always_1", "For c = relu(u): ∂c/∂u = 1 only where u > 0, and 0 where u ≤ 0."),
    ("rsub_swapped", "__rsub__(self, k) computes k − self (for 1 − v), not self − k."),
    ("rtruediv_swapped", "__rtruediv__(self, k) computes k / self (for 1 / v), not self / k."),
    *((f"{op}_no_chain{how}", f"The chain rule is missing in {name}: its _backward must push (local derivative) "
                                "× out.grad, ∂L/∂u = ∂c/∂u · ∂L/∂c; yours pushed the local derivative alone, as "
                                "if nothing came after this node.")
      for op, name in (("add", "__add__"), ("mul", "__mul__"), ("pow", "__pow__"), ("exp", "exp"),
                       ("tanh", "tanh"), ("sigmoid", "sigmoid"), ("relu", "relu"))
      for how in (("", "+composed") if op in ("add", "mul", "pow") else ("",))),
]


def _engine_mutants(fn: Any) -> list[Mutant]:
    """One mutant per engine mistake: `fn(V, *args)` computed with that mistake's engine."""

    def run(mistake: str, *args: Any) -> Any:
        try:
            return fn(_engine(mistake), *args)
        except (_TooBig, RecursionError, OverflowError, ZeroDivisionError, ValueError):
            raise ValueError("mutant cannot run here") from None

    return [Mutant(message, lambda *a, m=mistake: run(m, *a)) for mistake, message in ENGINE_MISTAKES]


def _graph_fn(V: type, spec: dict[str, Any]) -> dict[str, Any]:
    nodes = _build(V, spec)
    out = nodes[-1]
    out.backward()
    for _ in range(int(spec.get("passes", 1)) - 1):
        out.zero_grad()
        out.backward()
    return {"value": out.data, "grads": [leaf.grad for leaf in nodes[: len(spec["leaves"])]]}


GRAPH_MUTANTS = _engine_mutants(_graph_fn)


def _check_graph(student, ref, spec: dict[str, Any], context: str = "") -> None:
    check_call(student, ref.evaluate_graph, "evaluate_graph", [spec], mutants=GRAPH_MUTANTS, rtol=RTOL, atol=ATOL,
               context=(context + "\n" if context else "") + _describe_spec(spec))


def _describe_spec(spec: dict[str, Any]) -> str:
    """The graph as formulas, e.g. 'x0 = 2, x1 = −3; x2 = x0 * x1; x3 = x2 + x0 (the output)'."""
    names = [f"x{i}" for i in range(len(spec["leaves"]))]
    leaves = ", ".join(f"{n} = {v:.6g}" for n, v in zip(names, spec["leaves"], strict=True))
    symbols = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
    lines = []
    for i, (op, *args) in enumerate(spec["ops"], start=len(names)):
        a = f"x{int(args[0])}"
        if op in symbols:
            rhs = f"{a} {symbols[op]} x{int(args[1])}"
        elif op == "neg":
            rhs = f"-{a}"
        elif op in ("exp", "tanh", "sigmoid", "relu"):
            rhs = f"{a}.{op}()"
        else:
            k = f"{float(args[1]):.6g}"
            rhs = {"pow": f"{a} ** {k}", "radd": f"{k} + {a}", "rsub": f"{k} - {a}", "rmul": f"{k} * {a}",
                   "rtruediv": f"{k} / {a}", "addc": f"{a} + {k}", "subc": f"{a} - {k}", "mulc": f"{a} * {k}",
                   "divc": f"{a} / {k}"}[op]
        lines.append(f"x{i} = {rhs}")
    passes = int(spec.get("passes", 1))
    tail = "; then out.zero_grad() and out.backward() again" if passes > 1 else ""
    text = f"the graph: {leaves}; " + "; ".join(lines) + f" (the output){tail}"
    return text if len(text) < 600 else text[:560] + f" … ({len(lines)} operations)"


def _spec(leaves: list[float], ops: list[list[Any]], passes: int = 1) -> dict[str, Any]:
    return {"leaves": [float(v) for v in leaves], "ops": ops, "passes": passes}


# -- single operations -------------------------------------------------------------------------

def test_add_and_mul(student, ref, rng):
    """a + b and a·b: ∂(a·b)/∂a = b; also a·b for a = 2, b = −3 (grads −3 and 2)."""
    _check_graph(student, ref, _spec([2.0, -3.0], [["mul", 0, 1]]))
    a, b = nonzero(rng), nonzero(rng)
    _check_graph(student, ref, _spec([a, b], [["add", 0, 1]]))
    _check_graph(student, ref, _spec([a, b], [["mul", 0, 1], ["mul", 2, 1]]))


def test_sub_neg_div(student, ref, rng):
    """a − b, −a and a / b on random numbers (∂(a/b)/∂b = −a/b²)."""
    a, b = nonzero(rng), nonzero(rng, (), 0.5, 3.0)
    _check_graph(student, ref, _spec([a, b], [["sub", 0, 1], ["mul", 2, 1]]))
    _check_graph(student, ref, _spec([a, b], [["neg", 0], ["mul", 2, 1]]))
    _check_graph(student, ref, _spec([6.0, 4.0], [["div", 0, 1]]))
    _check_graph(student, ref, _spec([a, b], [["div", 0, 1], ["mul", 2, 0]]))


def test_pow(student, ref, rng):
    """uᵏ for k = 2, 3, −1, −0.5 and a random k: ∂/∂u = k·uᵏ⁻¹."""
    u = nonzero(rng, (), 0.5, 2.5)
    for k in (2.0, 3.0, -1.0):
        _check_graph(student, ref, _spec([u], [["pow", 0, k]]))
    _check_graph(student, ref, _spec([4.0], [["pow", 0, -0.5]]))
    _check_graph(student, ref, _spec([abs(u)], [["pow", 0, float(rng.uniform(1.3, 2.7))]]))


def test_numbers_on_either_side(student, ref, rng):
    """Plain numbers on the left (k + v, k − v, k·v, k / v) and on the right (v + k, v − k, v·k, v / k)."""
    v, k = nonzero(rng, (), 0.5, 3.0), nonzero(rng, (), 0.5, 3.0)
    for op in ("radd", "rsub", "rmul", "rtruediv", "addc", "subc", "mulc", "divc"):
        _check_graph(student, ref, _spec([v], [[op, 0, k], ["mul", 1, 0]]), context=f"operation {op}")


def test_exp_and_tanh(student, ref, rng):
    """eᵘ (∂ = eᵘ) and tanh u (∂ = 1 − tanh²u) at 0, 0.5 and random points."""
    for op in ("exp", "tanh"):
        for u in (0.5, nonzero(rng, (), 0.3, 2.0), 0.0):
            _check_graph(student, ref, _spec([u], [[op, 0]]))
        u = nonzero(rng)
        _check_graph(student, ref, _spec([u, nonzero(rng)], [["mul", 0, 1], [op, 2], ["mul", 3, 0]]))


def test_sigmoid_and_relu(student, ref, rng):
    """σ(u) (∂ = σ(1 − σ)), including u = ±1000 without overflow; relu at −2, 3 and exactly 0 (∂ = 0)."""
    for u in (nonzero(rng), 0.0, 1000.0, -1000.0):
        _check_graph(student, ref, _spec([u], [["sigmoid", 0]]),
                     context="Very large |u|: σ must saturate to 0 or 1 without overflow." if abs(u) > 100 else "")
    for u in (-2.0, 3.0, 0.0, nonzero(rng)):
        _check_graph(student, ref, _spec([u], [["relu", 0]]))
    u, w = nonzero(rng), nonzero(rng)
    _check_graph(student, ref, _spec([u, w], [["mul", 0, 1], ["sigmoid", 2], ["relu", 0], ["add", 3, 4]]))


# -- graphs ------------------------------------------------------------------------------------

def test_reused_nodes_accumulate(student, ref, rng):
    """a + a (∂ = 2), a·a (∂ = 2a), a·b + a·c (∂/∂a = b + c), and a diamond d = (a·b)·(a + b)."""
    a, b, c = nonzero(rng), nonzero(rng), nonzero(rng)
    _check_graph(student, ref, _spec([a], [["add", 0, 0]]))
    _check_graph(student, ref, _spec([a], [["mul", 0, 0]]))
    _check_graph(student, ref, _spec([a, b, c], [["mul", 0, 1], ["mul", 0, 2], ["add", 3, 4]]))
    _check_graph(student, ref, _spec([a, b], [["mul", 0, 1], ["add", 0, 1], ["mul", 2, 3]]))
    _check_graph(student, ref, _spec([a, b], [["mul", 0, 1], ["tanh", 2], ["add", 3, 2], ["mul", 4, 2]]))


def _ancestors(spec: dict[str, Any]) -> dict[int, set[int]]:
    """node -> the spec nodes it is computed from directly (leaves have none)."""
    n_leaves = len(spec["leaves"])
    inputs: dict[int, set[int]] = {i: set() for i in range(n_leaves)}
    for m, (op, *args) in enumerate(spec["ops"]):
        refs = [int(args[0])] + ([int(args[1])] if op in ("add", "sub", "mul", "div") else [])
        inputs[n_leaves + m] = set(refs)
    return inputs


def _order_equal(spec: dict[str, Any]) -> Any:
    inputs = _ancestors(spec)
    out = len(inputs) - 1
    needed, stack = set(), [out]
    while stack:
        node = stack.pop()
        if node not in needed:
            needed.add(node)
            stack.extend(inputs[node])

    def equal(expected: Any, got: Any) -> str | None:
        if not isinstance(got, list | tuple) or not all(isinstance(i, int) for i in got):
            return f"graph_order must return a list of node numbers; got {describe(got)}"
        repeated = sorted({i for i in got if got.count(i) > 1})
        if repeated:
            return (f"node(s) {repeated} appear more than once in your topological order: a depth-first search "
                    "needs a visited set, so a node reached along two paths is listed (and backpropagated) once")
        if set(got) != needed:
            missing, extra = sorted(needed - set(got)), sorted(set(got) - needed)
            return f"your order misses node(s) {missing} and lists node(s) {extra} the output does not depend on"
        position = {node: i for i, node in enumerate(got)}
        for node in got:
            late = sorted(i for i in inputs[node] if position[i] > position[node])
            if late:
                return (f"node {node} comes before its input(s) {late}: in a topological order every node comes "
                        "after the nodes it is computed from (and the output is last)")
        return None

    return equal


def test_topological_order(student, ref, rng):
    """topological_order lists every node the output depends on once, after its inputs (checked via graph_order)."""
    specs = [_spec([2.0, -3.0], [["mul", 0, 1], ["add", 2, 0]]),
             _spec([1.5, 0.5, -2.0], [["mul", 0, 1], ["add", 0, 1], ["mul", 3, 4], ["tanh", 5], ["add", 6, 3]]),
             _random_spec(rng, 12)]
    for spec in specs:
        check_call(student, ref.graph_order, "graph_order", [spec], equal=_order_equal(spec),
                   context=_describe_spec(spec))


def _random_spec(rng: np.random.Generator, n_ops: int, passes: int = 1) -> dict[str, Any]:
    """A random graph with reuse: operands drawn from recent and earlier nodes, values kept in a safe range."""
    leaves = [nonzero(rng, (), 0.3, 1.5) for _ in range(int(rng.integers(3, 6)))]
    values = list(leaves)
    ops: list[list[Any]] = []

    def pick() -> int:
        # mostly the last few nodes (depth), sometimes any earlier one (reuse, long skips)
        n = len(values)
        return int(n - 1 - rng.integers(0, min(3, n))) if rng.random() < 0.7 else int(rng.integers(0, n))

    while len(ops) < n_ops:
        i, j = pick(), pick()
        x, y = values[i], values[j]
        kind = rng.choice(["add", "sub", "mul", "div", "neg", "exp", "tanh", "sigmoid", "relu", "pow", "number"])
        k = nonzero(rng, (), 0.5, 2.0)
        if (kind == "div" and abs(y) < 0.3) or (kind == "exp" and abs(x) > 3) or (kind == "relu" and abs(x) < 0.05):
            continue
        if kind == "pow":
            if abs(x) < 0.3:
                continue
            k = float(rng.choice([2.0, 3.0, -1.0]))
        if kind == "number":
            kind = str(rng.choice(["radd", "rsub", "rmul", "rtruediv", "addc", "subc", "mulc", "divc"]))
            if kind == "rtruediv" and abs(x) < 0.3:
                continue
        op: list[Any] = [str(kind), i] + ([j] if kind in ("add", "sub", "mul", "div") else []) + (
            [k] if kind in ("pow", "radd", "rsub", "rmul", "rtruediv", "addc", "subc", "mulc", "divc") else [])
        value = _op_value(op, values)
        if not math.isfinite(value) or abs(value) > 20:
            op, value = ["tanh", i], math.tanh(x)
        ops.append(op)
        values.append(value)
    # join a few earlier nodes into the output, so the output depends on most of the graph
    for _ in range(3):
        ops.append(["add", len(values) - 1, int(rng.integers(0, len(values) - 1))])
        values.append(_op_value(ops[-1], values))
    return _spec(leaves, ops, passes)


def _op_value(op: list[Any], values: list[float]) -> float:
    """The value of one spec operation on the values computed so far (plain floats: no graph needed)."""
    kind, *args = op
    x = values[int(args[0])]
    try:
        if kind in ("add", "sub", "mul", "div"):
            y = values[int(args[1])]
            return {"add": x + y, "sub": x - y, "mul": x * y}[kind] if kind != "div" else x / y
        if kind in ("neg", "exp", "tanh", "sigmoid", "relu"):
            return {"neg": lambda: -x, "exp": lambda: math.exp(x), "tanh": lambda: math.tanh(x),
                    "sigmoid": lambda: 0.5 * (1 + math.tanh(0.5 * x)), "relu": lambda: max(x, 0.0)}[kind]()
        k = float(args[1])
        return {"pow": lambda: x**k, "radd": lambda: k + x, "rsub": lambda: k - x, "rmul": lambda: k * x,
                "rtruediv": lambda: k / x, "addc": lambda: x + k, "subc": lambda: x - k, "mulc": lambda: x * k,
                "divc": lambda: x / k}[kind]()
    except (OverflowError, ZeroDivisionError):
        return math.inf


def test_random_deep_graphs(student, ref, rng):
    """Random graphs of 10 to 80 operations with shared nodes and long skips: the output and every leaf's grad."""
    for n_ops in (10, 30, int(rng.integers(50, 80))):
        _check_graph(student, ref, _random_spec(rng, n_ops), context=f"A random graph of {n_ops}+3 operations.")


def test_zero_grad_then_backward_again(student, ref, rng):
    """backward(), zero_grad(), backward() gives the same grads as one backward pass."""
    a, b, c = nonzero(rng), nonzero(rng), nonzero(rng)
    _check_graph(student, ref, _spec([a, b, c], [["mul", 0, 1], ["mul", 0, 2], ["add", 3, 4], ["tanh", 5]], 2))
    _check_graph(student, ref, _random_spec(rng, 20, passes=2))


# -- the neuron and the MLP ----------------------------------------------------------------------

def _neuron(V: type, w: Any, b: Any, x: Any, activation: str, bias: bool = True) -> Any:
    z = b if bias else 0.0
    for wj, xj in zip(w, x, strict=True):
        z = z + wj * xj
    return z if activation == "linear" else getattr(z, activation)()


def _neuron_fn(V: type, w: Any, b: float, x: Any, y: float, activation: str = "linear",
               *, bias: bool = True) -> dict[str, Any]:
    ws, bv, xs = [V(v) for v in w], V(b if bias else 0.0), [V(v) for v in x]
    loss = (_neuron(V, ws, bv, xs, activation) - y) ** 2
    loss.backward()
    return {"loss": loss.data, "w": [v.grad for v in ws], "b": bv.grad if bias else 0.0, "x": [v.grad for v in xs]}


NEURON_MUTANTS = [
    Mutant("The bias is missing: a = g(Σ_j w_j·x_j + b).", lambda *a: _neuron_fn(_engine(), *a, bias=False)),
    *_engine_mutants(_neuron_fn),
]


def test_neuron_notes_example(student, ref):
    """The notes' neuron w = 0.5, x = 2, y = 3, no bias: L = 4, ∂L/∂w = 2(1 − 3)·2 = −8, ∂L/∂x = −2."""
    check_call(student, ref.neuron_grads, "neuron_grads", [[0.5], 0.0, [2.0], 3.0, "linear"],
               mutants=NEURON_MUTANTS, rtol=RTOL, atol=ATOL)


def test_neuron_random(student, ref, rng):
    """neuron_grads on random neurons (3 to 5 inputs) with tanh, sigmoid, relu and no activation."""
    for activation in ("tanh", "sigmoid", "relu", "linear"):
        d = int(rng.integers(3, 6))
        w, x = list(nonzero(rng, (d,), 0.2, 1.2)), list(nonzero(rng, (d,), 0.3, 2.0))
        b = nonzero(rng, (), 0.2, 1.0)
        if activation == "relu":  # keep z away from the kink at 0
            z = float(np.dot(w, x)) + b
            b += 0.5 * np.sign(z) if abs(z) < 0.2 else 0.0
        check_call(student, ref.neuron_grads, "neuron_grads", [w, b, x, nonzero(rng), activation],
                   mutants=NEURON_MUTANTS, rtol=RTOL, atol=ATOL)


def _mlp(V: type, params: dict[str, Any], x: Any, bias: bool = True) -> Any:
    hidden = [_neuron(V, row, b, x, "tanh", bias) for row, b in zip(params["W1"], params["b1"], strict=True)]
    return _neuron(V, params["W2"], params["b2"], hidden, "linear", bias)


def _as_values(V: type, raw: dict[str, Any]) -> dict[str, Any]:
    return {"W1": [[V(v) for v in row] for row in raw["W1"]], "b1": [V(v) for v in raw["b1"]],
            "W2": [V(v) for v in raw["W2"]], "b2": V(raw["b2"])}


def _flat(params: dict[str, Any]) -> list[Any]:
    return [v for row in params["W1"] for v in row] + list(params["b1"]) + list(params["W2"]) + [params["b2"]]


def _loss(V: type, params: dict[str, Any], X: Any, y: Any, *, mean: bool = True, bias: bool = True) -> Any:
    total: Any = 0.0
    for xi, yi in zip(X, y, strict=True):
        total = (_mlp(V, params, xi, bias) - yi) ** 2 + total
    return total * (1.0 / len(y)) if mean else total


def _mlp_fn(V: type, raw: dict[str, Any], X: Any, y: Any, *, mean: bool = True, bias: bool = True) -> dict[str, Any]:
    params = _as_values(V, raw)
    loss = _loss(V, params, X, y, mean=mean, bias=bias)
    loss.backward()
    grads = {"W1": [[v.grad for v in row] for row in params["W1"]], "b1": [v.grad for v in params["b1"]],
             "W2": [v.grad for v in params["W2"]], "b2": params["b2"].grad}
    return {"loss": loss.data, "grads": grads}


def _train_fn(V: type, raw: dict[str, Any], X: Any, y: Any, lr: float, epochs: int, *,
              zero: bool = True, sign: float = 1.0, mean: bool = True, bias: bool = True) -> dict[str, Any]:
    params = _as_values(V, raw)
    losses = []
    for _ in range(epochs):
        loss = _loss(V, params, X, y, mean=mean, bias=bias)
        losses.append(loss.data)
        if zero:
            loss.zero_grad()
        loss.backward()
        for p in _flat(params):
            p.data -= sign * lr * p.grad
    losses.append(_loss(V, params, X, y, mean=mean, bias=bias).data)
    numbers = {"W1": [[v.data for v in row] for row in params["W1"]], "b1": [v.data for v in params["b1"]],
               "W2": [v.data for v in params["W2"]], "b2": params["b2"].data}
    return {"losses": losses, "params": numbers}


SUM_NOT_MEAN = "The loss is the MEAN of the squared errors, (1/n) Σ_i (ŷ_i − y_i)²; yours is the sum."
NO_BIAS = "The biases are missing: every neuron computes g(Σ_j w_j·x_j + b) (see neuron)."
MLP_MUTANTS = [
    Mutant(SUM_NOT_MEAN, lambda *a: _mlp_fn(_engine(), *a, mean=False)),
    Mutant(NO_BIAS, lambda *a: _mlp_fn(_engine(), *a, bias=False)),
    *_engine_mutants(_mlp_fn),
]
TRAIN_MUTANTS = [
    Mutant("The gradients were not zeroed before each backward pass, so every epoch added its gradient to all "
           "the previous ones: call loss.zero_grad() (or set p.grad = 0 for every parameter) first.",
           lambda *a: _train_fn(_engine(), *a, zero=False)),
    Mutant("Your parameters move uphill: p.data -= learning_rate · p.grad (minus).",
           lambda *a: _train_fn(_engine(), *a, sign=-1.0)),
    Mutant(SUM_NOT_MEAN, lambda *a: _train_fn(_engine(), *a, mean=False)),
    Mutant(NO_BIAS, lambda *a: _train_fn(_engine(), *a, bias=False)),
    *_engine_mutants(_train_fn),
]


def _random_mlp(rng: np.random.Generator, d: int, h: int) -> dict[str, Any]:
    return {"W1": nonzero(rng, (h, d), 0.2, 1.0).tolist(), "b1": nonzero(rng, (h,), 0.1, 0.5).tolist(),
            "W2": nonzero(rng, (h,), 0.2, 1.0).tolist(), "b2": nonzero(rng, (), 0.1, 0.5)}


def test_mlp_gradients(student, ref, rng):
    """mlp_grads: the loss and every ∂L/∂W1, ∂L/∂b1, ∂L/∂W2, ∂L/∂b2 of 3-4-1 and random-size MLPs."""
    check_call(student, ref.mlp_grads, "mlp_grads", [_random_mlp(rng, 3, 4), ref.DATA_X, ref.DATA_Y],
               mutants=MLP_MUTANTS, rtol=RTOL, atol=ATOL)
    d, h, n = int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(3, 6))
    X, y = nonzero(rng, (n, d), 0.3, 2.0).tolist(), nonzero(rng, (n,)).tolist()
    check_call(student, ref.mlp_grads, "mlp_grads", [_random_mlp(rng, d, h), X, y],
               mutants=MLP_MUTANTS, rtol=RTOL, atol=ATOL)


def test_train_mlp(student, ref, rng):
    """train_mlp on the four-example data set: 12 epochs at α = 0.05; the losses and the trained weights."""
    raw = ref.init_mlp(3, 4, seed=int(rng.integers(0, 1000)))
    args = [raw, ref.DATA_X, ref.DATA_Y, 0.05, 12]
    expected = ref.train_mlp(*copy.deepcopy(args))
    if not expected["losses"][-1] < expected["losses"][0]:  # guards the test inputs, not the student
        raise RuntimeError("internal: the reference's loss did not fall on these inputs")
    # the reference's result, computed once (training with a Python engine is the slow part)
    once = functools.wraps(ref.train_mlp)(lambda *a: copy.deepcopy(expected))
    check_call(student, once, "train_mlp", args, mutants=TRAIN_MUTANTS, rtol=1e-7, atol=1e-9)
