"""Exam practice: randomised questions and the checking of typed answers.

Three kinds of question:

* numeric — one gradient-descent step, a gradient at a point, a neuron's
  ∂L/∂w, an MSE gradient. The expected numbers come from the reference
  solutions (and SymPy for derivatives of the random functions); an answer is
  right within `TOLERANCE`, and a wrong one is compared with known-wrong
  variants computed on the same numbers to name the likely mistake;
* symbolic — a partial derivative or a chain-rule derivative typed as a
  formula, checked by `grader.symbolic.check_derivative`;
* concept — conceptual multiple-choice items (which variant makes N updates
  per epoch, what a rising loss means, …), each wrong option explained;
* pyq — a past-year or exam-style question: the model answer is shown and
  the student ticks the key points their answer covered; each point earns
  its marks (a self-score that teaches the mark allocation).

Every solution is written in factored chain-rule form (outer × inner,
upstream × local), and random values are redrawn until every known mistake
gives an answer distinguishable from the right one and from the other
mistakes (no x = 1 that makes "forgot ∂z/∂w = x" invisible).

Question makers are registered in `GENERATORS` by `register(name, kind,
topics, build)` — one line per generator; `build(rng, seed)` returns a
Question. Every question carries a `key` ("gen:NAME:SEED", "pyq:ID:MARKS",
"concept:ID:SEED") from which `regenerate(key)` rebuilds it exactly, so
`grade quiz --review` can ask a missed item again. Questions are plain data
built from a seed (`make_quiz`), so the same seed gives the same quiz; the
terminal dialogue lives in `grader.commands.quiz_cmd`.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any, Literal

from grader import course


def _catalog_topics() -> tuple[str, ...]:
    from grader.catalog import load_catalog

    return tuple(dict.fromkeys(exercise.topic for exercise in load_catalog()))


#: Topics as the catalog names them (in exercise order).
TOPICS = _catalog_topics()
KINDS = ("numeric", "symbolic", "concept", "pyq")
#: A numeric answer is right when |answer − expected| ≤ ABS + REL·|expected| (2 decimals suffice).
TOLERANCE_ABS = 5e-3
TOLERANCE_REL = 1e-3

Status = Literal["correct", "wrong", "invalid"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one answer. `invalid` answers are not scored: the student is asked again."""

    status: Status
    score: float
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"


@dataclass(frozen=True)
class Question:
    """One quiz question. `check(answer)` judges a typed line; `solution` is shown afterwards."""

    kind: str
    topic: str
    title: str  # short, recorded in the progress database
    prompt: str
    solution: str
    max_score: float
    answer: str  # one correct way to type the answer
    checker: Callable[[str], Verdict] = field(repr=False, compare=False)
    key_points: tuple[str, ...] = ()  # pyq only
    point_marks: tuple[int, ...] = ()  # pyq only: the marks of each key point
    key: str = ""  # how regenerate() rebuilds it: "gen:NAME:SEED", "pyq:ID:MARKS", "concept:ID:SEED"
    factored: str = ""  # symbolic: the solution's factored form as SymPy text (checked by the tests)
    mistakes: tuple[tuple[str, tuple[float, ...]], ...] = ()  # numeric: the known wrong answers, diagnosed

    def check(self, answer: str) -> Verdict:
        return self.checker(answer)


@cache
def reference(name: str) -> ModuleType:
    """A reference solution module, e.g. reference("exercise1")."""
    from grader.catalog import resolve
    from grader.runner import load_reference

    return load_reference(resolve(name))


# -- reading numbers ------------------------------------------------------------------

_ARITHMETIC = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Add, ast.Sub, ast.Mult,
               ast.Div, ast.Pow, ast.USub, ast.UAdd)


_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _evaluate(node: ast.AST) -> float:
    """The value of an arithmetic tree that `parse_number` has already checked node by node.

    Walked by hand rather than compiled and eval'd: nothing typed at the quiz is ever run as code.
    """
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise TypeError(f"not arithmetic: {type(node).__name__}")


def parse_number(text: str) -> float:
    """A number typed by a student: `2.4`, `−1/3`, `3*0.8`, `1e-3`. ValueError otherwise."""
    text = text.strip().replace("−", "-").replace("×", "*").replace("·", "*").replace("^", "**")
    if not text or len(text) > 60:
        raise ValueError(text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(text) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ARITHMETIC) or (
            isinstance(node, ast.Constant) and not isinstance(node.value, int | float)
        ):
            raise ValueError(text)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            # Keep 9**9**9 from hanging the quiz: only small exponents.
            exponent = node.right
            if not (isinstance(exponent, ast.Constant) and abs(exponent.value) <= 10) and not (
                isinstance(exponent, ast.UnaryOp) and isinstance(exponent.operand, ast.Constant)
                and abs(exponent.operand.value) <= 10
            ):
                raise ValueError(text)
    try:
        value = float(_evaluate(tree.body))
    except (ZeroDivisionError, OverflowError, TypeError):
        raise ValueError(text) from None
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_numbers(text: str) -> list[float]:
    """`2.4, 3.2`, `(2.4, 3.2)`, `[2.4 3.2]` or `2.4 3.2` → [2.4, 3.2]. ValueError otherwise."""
    inner = text.strip()
    if inner[:1] in "([" and inner[-1:] in ")]":
        inner = inner[1:-1]
    parts = inner.split(",") if "," in inner else inner.split()
    if not parts:
        raise ValueError(text)
    return [parse_number(p) for p in parts]


def close_enough(answer: Sequence[float], expected: Sequence[float]) -> bool:
    return len(answer) == len(expected) and all(
        abs(a - e) <= TOLERANCE_ABS + TOLERANCE_REL * abs(e) for a, e in zip(answer, expected, strict=True)
    )


def fmt(values: Sequence[float]) -> str:
    """Numbers as a student would write them: `(2.4, 3.2)` or `−8`."""
    def one(v: float) -> str:
        text = f"{round(v, 4):g}"
        return "0" if text in {"-0", "0"} else text.replace("-", "−")

    return one(values[0]) if len(values) == 1 else "(" + ", ".join(one(v) for v in values) + ")"


def factor(value: float) -> str:
    """A number as a factor in a product: negative ones in parentheses, `· (−1.1)`."""
    text = fmt([value])
    return f"({text})" if text.startswith("−") else text


def typed(values: Sequence[float]) -> str:
    """The numbers as a student would type them: `2.4, 3.2`."""
    return ", ".join(f"{float(v):.10g}" for v in values)


def numeric_checker(
    expected: Sequence[float], mistakes: Sequence[tuple[str, Sequence[float]]]
) -> Callable[[str], Verdict]:
    """Right within the tolerance; otherwise name a matching known mistake if there is one."""
    expected = [float(v) for v in expected]
    count = len(expected)
    example = "2.5" if count == 1 else ", ".join(["1.5", "-2"][: count] + ["0.25"] * (count - 2))

    def check(answer: str) -> Verdict:
        try:
            values = parse_numbers(answer)
        except ValueError:
            values = []
        if len(values) != count:
            what = "one number" if count == 1 else f"{count} numbers separated by commas"
            return Verdict("invalid", 0.0, f"Type {what}, e.g. {example}.")
        if close_enough(values, expected):
            return Verdict("correct", 1.0, f"Correct: {fmt(expected)}.")
        for message, wrong in mistakes:
            if not close_enough(wrong, expected) and close_enough(values, wrong):
                return Verdict("wrong", 0.0, f"Not quite — {message} The answer is {fmt(expected)}.")
        return Verdict("wrong", 0.0, f"Not quite: the answer is {fmt(expected)}.")

    return check


def distinguishable(expected: Sequence[float], mistakes: Sequence[tuple[str, Sequence[float]]]) -> bool:
    """True when the answer and every known mistake differ pairwise beyond the tolerance.

    Values such as x = 1 (then ∂L/∂z equals ∂L/∂w) or w = 0 would make a
    mistake look right, or two mistakes look alike: generators redraw them.
    """
    candidates = [list(map(float, expected))] + [list(map(float, wrong)) for _, wrong in mistakes]
    for i, first in enumerate(candidates):
        for second in candidates[i + 1:]:
            if close_enough(first, second) or close_enough(second, first):
                return False
    return True


def _frozen(mistakes: Sequence[tuple[str, Sequence[float]]]) -> tuple[tuple[str, tuple[float, ...]], ...]:
    return tuple((message, tuple(float(v) for v in wrong)) for message, wrong in mistakes)


def _redraw(draw: Callable[[], tuple[Any, Sequence[float], Sequence[tuple[str, Sequence[float]]]]]) -> Any:
    """Call `draw` until its answer and mistakes are distinguishable (draw returns (data, expected, mistakes))."""
    for _ in range(200):
        data, expected, mistakes = draw()
        if distinguishable(expected, mistakes):
            return data, expected, mistakes
    raise RuntimeError("no distinguishable values in 200 draws")  # pragma: no cover - the ranges make this rare


# -- numeric questions ------------------------------------------------------------------

def _one_decimal(rng: Any, low: float, high: float, *, nonzero: bool = True) -> float:
    while True:
        value = round(float(rng.uniform(low, high)), 1)
        if not nonzero or abs(value) >= 0.2:
            return value


def _square(scale: int, name: str, shift: int) -> str:
    """`2(x − 1)²` as printed in a question."""
    return f"{'' if scale == 1 else scale}({name} {'−' if shift > 0 else '+'} {abs(shift)})²"


def gd_step_question(rng: Any) -> Question:
    """One gradient-descent step on J = a(x − c)² + b(y − d)² from a random point."""
    import numpy as np
    import sympy as sp

    x, y = sp.symbols("x y")
    step = reference("exercise1").gradient_step

    def draw() -> Any:
        a, b = (int(v) for v in rng.choice([1, 2, 3], size=2))
        c, d = (int(v) for v in rng.choice([-2, -1, 1, 2], size=2))
        point = np.array([_one_decimal(rng, -3, 3), _one_decimal(rng, -3, 3)])
        rate = float(rng.choice([0.05, 0.1, 0.25]))
        J = a * (x - c) ** 2 + b * (y - d) ** 2
        at = {x: point[0], y: point[1]}
        grad = np.array([float(sp.diff(J, v).subs(at)) for v in (x, y)])
        expected = step(point, grad, rate)
        no_two = grad / 2
        no_shift = np.array([2 * a * point[0], 2 * b * point[1]])
        mistakes = [
            ("you added the step: the update is θ − α·∇J (the gradient points uphill).", step(point, grad, -rate)),
            ("you forgot the learning rate: θ − α·∇J, not θ − ∇J.", step(point, grad, 1.0)),
            ("you gave the step α·∇J, not the new point θ − α·∇J.", rate * grad),
            ("you gave the gradient ∇J, not the new point.", grad),
            ("d/dx of a(x − c)² is 2a(x − c): you dropped the factor 2.", step(point, no_two, rate)),
            ("d/dx of a(x − c)² is 2a(x − c): you used 2a·x and forgot the shift c.", step(point, no_shift, rate)),
        ]
        return (a, b, c, d, point, rate, grad), expected, mistakes

    (a, b, c, d, point, rate, grad), expected, mistakes = _redraw(draw)
    term = f"{_square(a, 'x', c)} + {_square(b, 'y', d)}"
    prompt = (f"J(x, y) = {term}. Take ONE gradient-descent step from (x, y) = {fmt(point)} "
              f"with learning rate α = {rate:g}.\nType the new point x, y (2 decimals or better).")
    solution = (f"∂J/∂x = 2·{a}(x − {c}) and ∂J/∂y = 2·{b}(y − {d}) (outer 2u times inner du/dx = 1), "
                f"so ∇J{fmt(point)} = {fmt(grad)}; "
                f"θ − α∇J = {fmt(point)} − {rate:g}·{fmt(grad)} = {fmt(expected)}.").replace("− -", "+ ")
    return Question("numeric", "gradient-descent", "one gradient-descent step", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes), mistakes=_frozen(mistakes))


def gradient_question(rng: Any) -> Question:
    """∇f at a point for f = a·x²·y + b·y³ + c·x, with the partials from exercise 2's reference."""
    import sympy as sp

    x, y = sp.symbols("x y")

    def draw() -> Any:
        a, b, c = (int(v) * int(s) for v, s in zip(rng.integers(1, 4, size=3), rng.choice([-1, 1], size=3),
                                                    strict=True))
        x0, y0 = (int(v) for v in rng.choice([-2, -1, 1, 2, 3], size=2))
        partials = reference("exercise2").poly_partials(a, b, c)
        at = {x: x0, y: y0}
        expected = [float(sp.sympify(partials[v]).subs(at)) for v in ("x", "y")]
        f = a * x**2 * y + b * y**3 + c * x
        mistakes = [
            ("you swapped the components: the first entry is ∂f/∂x.", expected[::-1]),
            ("you differentiated x²·y as 2x and dropped y: hold y constant, it stays as a factor.",
             [float((2 * a * x + c).subs(at)), expected[1]]),
            ("you did not hold the other variable fixed: ∂f/∂x treats y as a constant (and ∂f/∂y treats x "
             "as one), so its terms do not contribute.", [expected[0] + expected[1], expected[0] + expected[1]]),
            ("you gave the function value, not its derivatives.", [float(f.subs(at))] * 2),
            ("you gave −∇f: the gradient itself has no minus sign.", [-v for v in expected]),
        ]
        return (a, b, c, x0, y0, partials, f), expected, mistakes

    (_a, _b, _c, x0, y0, partials, f), expected, mistakes = _redraw(draw)
    prompt = (f"f(x, y) = {_readable(sp.sstr(f))}. What is the gradient ∇f at (x, y) = {fmt([x0, y0])}?\n"
              "Type ∂f/∂x, ∂f/∂y.")
    solution = (f"∂f/∂x = {_readable(sp.sstr(sp.sympify(partials['x'])))} (y held fixed), "
                f"∂f/∂y = {_readable(sp.sstr(sp.sympify(partials['y'])))} (x held fixed); "
                f"at {fmt([x0, y0])} the gradient is {fmt(expected)}.")
    return Question("numeric", "partial-derivatives", "a gradient at a point", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes), mistakes=_frozen(mistakes))


def neuron_question(rng: Any) -> Question:
    """∂L/∂w for the notes' neuron z = w·x, L = (z − y)², by exercise 4's reference."""
    import numpy as np

    ex4 = reference("exercise4")

    def draw() -> Any:
        w, x, y = _one_decimal(rng, -2, 2), _one_decimal(rng, -3, 3), _one_decimal(rng, -3, 3)
        loss, cache_ = ex4.neuron_forward(np.array([w]), np.array([[x]]), 0.0, np.array([y]))
        dw, dz, _ = ex4.neuron_backward(cache_)
        expected = [float(dw[0])]
        mistakes = [
            ("that is ∂L/∂z = 2(z − y); multiply by ∂z/∂w = x (chain rule).", [dz]),
            ("∂/∂z of (z − y)² is 2(z − y): you dropped the 2.", [expected[0] / 2]),
            ("sign error: ∂L/∂z = 2(z − y), not 2(y − z).", [-expected[0]]),
            ("∂z/∂w = x, not w.", [dz * w]),
            ("that is the loss L, not its derivative.", [loss]),
        ]
        return (w, x, y, float(cache_["z"][0]), dz), expected, mistakes

    (w, x, y, z, dz), expected, mistakes = _redraw(draw)
    prompt = (f"A neuron computes z = w·x with loss L = (z − y)². For w = {w:g}, x = {x:g}, y = {y:g}, "
              "what is ∂L/∂w?").replace("-", "−")
    solution = (f"z = w·x = {fmt([z])}; ∂L/∂w = ∂L/∂z · ∂z/∂w = 2(z − y) · x = {factor(dz)} · {factor(x)} "
                f"= {fmt(expected)}.")
    return Question("numeric", "backpropagation", "a neuron's ∂L/∂w", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes), mistakes=_frozen(mistakes))


def sigmoid_neuron_question(rng: Any) -> Question:
    """∂L/∂w for a sigmoid neuron a = σ(w·x), L = (a − y)²: the σ′ factor and its classic slips."""
    import numpy as np

    ex4 = reference("exercise4")

    def draw() -> Any:
        w, x = _one_decimal(rng, -1.5, 1.5), _one_decimal(rng, -2, 2)
        y = float(rng.choice([0.0, 1.0]))
        z = w * x
        a = float(ex4.sigmoid(np.array([z]))[0])
        upstream = 2 * (a - y)
        expected = [upstream * a * (1 - a) * x]
        mistakes = [
            ("you dropped σ′(z): a = σ(z) adds the factor ∂a/∂z = σ(z)(1 − σ(z)) = a(1 − a).", [upstream * x]),
            ("σ′ is a(1 − a) of the activation a = σ(z), not z(1 − z).", [upstream * z * (1 - z) * x]),
            ("you stopped at ∂L/∂z: multiply by ∂z/∂w = x.", [upstream * a * (1 - a)]),
            ("∂/∂a of (a − y)² is 2(a − y): you dropped the 2.", [expected[0] / 2]),
            ("sign error: ∂L/∂a = 2(a − y), not 2(y − a).", [-expected[0]]),
        ]
        return (w, x, y, z, a), expected, mistakes

    (w, x, y, z, a), expected, mistakes = _redraw(draw)
    prompt = (f"A sigmoid neuron computes z = w·x, a = σ(z) = 1/(1 + e^(−z)), with loss L = (a − y)². "
              f"For w = {w:g}, x = {x:g}, y = {y:g}, what is ∂L/∂w? (3 decimals)").replace("= -", "= −")
    solution = (f"z = {fmt([z])}, a = σ(z) = {a:.4f}; ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w = 2(a − y) · a(1 − a) · x "
                f"= {factor(2 * (a - y))} · {factor(a * (1 - a))} · {factor(x)} = {fmt(expected)}.")
    return Question("numeric", "backpropagation", "a sigmoid neuron's ∂L/∂w", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes), mistakes=_frozen(mistakes))


def mse_gradient_question(rng: Any) -> Question:
    """(∂J/∂w, ∂J/∂b) of the MSE of ŷ = w·x + b on three examples, by exercise 5's reference."""
    import numpy as np

    ex5 = reference("exercise5")

    def draw() -> Any:
        xs = np.array([float(v) for v in rng.choice([-2, -1, 1, 2, 3], size=3, replace=False)])
        ys = np.array([float(v) for v in rng.integers(-3, 6, size=3)])
        w, b = float(rng.choice([-1, 0.5, 1, 2])), float(rng.choice([-1, 0, 1]))
        X = xs.reshape(-1, 1)
        dw, db = ex5.mse_gradient(X, ys, np.array([w]), b)
        expected = [float(dw[0]), float(db)]
        n = len(xs)
        mistakes = [
            ("that is the gradient of the SUM of squared errors; the MSE divides by n.", [v * n for v in expected]),
            ("d/dŷ of (ŷ − y)² is 2(ŷ − y): you dropped the 2 (that is the ½·squared-error convention).",
             [v / 2 for v in expected]),
            ("sign error: use the residual ŷ − y, not y − ŷ.", [-v for v in expected]),
            ("you swapped ∂J/∂w and ∂J/∂b.", expected[::-1]),
        ]
        return (xs, ys, w, b, X), expected, mistakes

    (xs, ys, w, b, X), expected, mistakes = _redraw(draw)
    data = ", ".join(f"({x:g}, {y:g})" for x, y in zip(xs, ys, strict=True)).replace("-", "−")
    prompt = (f"A linear model ŷ = w·x + b with w = {w:g}, b = {b:g} and the MSE loss "
              f"J = (1/n)·Σ(ŷᵢ − yᵢ)² on the data (x, y) = {data}.\n"
              "Type ∂J/∂w, ∂J/∂b (2 decimals or better).").replace("= -", "= −")
    residuals = X[:, 0] * w + b - ys
    solution = (f"residuals rᵢ = ŷᵢ − yᵢ = {fmt(list(residuals))}; by the chain rule "
                f"∂J/∂w = (1/n)·Σ 2rᵢ · ∂ŷᵢ/∂w = (2/n)·Σ rᵢxᵢ and ∂J/∂b = (2/n)·Σ rᵢ · 1, "
                f"which give {fmt(expected)}.")
    return Question("numeric", "training", "an MSE gradient", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes), mistakes=_frozen(mistakes))


# -- symbolic questions -------------------------------------------------------------------

def symbolic_checker(
    function: Any, wrt: str, variables: Sequence[str], seed: int, mistakes: Sequence[tuple[str, str]] = ()
) -> Callable[[str], Verdict]:
    """A derivative typed as a formula, checked by grader.symbolic (any equivalent form is right).

    `mistakes` are (wrong formula, diagnosis) pairs tried before the generic ones.
    """
    from grader.symbolic import check_derivative

    def check(answer: str) -> Verdict:
        verdict = check_derivative(answer, function, wrt, list(variables), seed=seed,
                                   mistakes=[(wrong, message) for wrong, message in mistakes])
        if verdict.status == "invalid":
            return Verdict("invalid", 0.0, verdict.message)
        if verdict.correct:
            return Verdict("correct", 1.0, "Correct.")
        text = verdict.message
        if verdict.diagnosis:
            text += " " + verdict.diagnosis
        return Verdict("wrong", 0.0, text)

    return check


_PARTIAL_TEMPLATES = (
    "{a}*x**2*y + {b}*y**3 + {c}*x",
    "{a}*x**3*y**2 + {b}*x*y",
    "{a}*x*exp(y) + {b}*y**2",
    "sin({a}*x)*y + {b}*x*y**2",
)


@dataclass(frozen=True)
class _ChainTemplate:
    """A function to differentiate, its factored derivative, and the slips worth naming.

    `factored` is SymPy text, outer derivative × inner derivative(s); `mistakes`
    are (wrong formula, diagnosis) pairs in the same placeholders {a} {b} {n}.
    """

    function: str
    wrt: str
    variables: tuple[str, ...]
    factored: str
    mistakes: tuple[tuple[str, str], ...] = ()


_SIGMA_DROPPED = "you dropped σ′: the derivative of σ(u) is σ(u)(1 − σ(u)), one more factor in the chain."
_SIGMA_OF_Z = "σ′ is σ(z)(1 − σ(z)) — of the activation a = σ(z), not z(1 − z)."
_CHAIN_TEMPLATES = (
    _ChainTemplate("({a}*x + {b})**{n}", "x", ("x",), "{n}*({a}*x + {b})**({n} - 1) * {a}"),
    _ChainTemplate("exp({a}*x**2)", "x", ("x",), "exp({a}*x**2) * (2*{a}*x)"),
    _ChainTemplate("sin({a}*x**2 + {b})", "x", ("x",), "cos({a}*x**2 + {b}) * (2*{a}*x)"),
    _ChainTemplate("log({a}*x**2 + 1)", "x", ("x",), "1/({a}*x**2 + 1) * (2*{a}*x)"),
)
# The chain rule through a neuron: backpropagation's derivatives, by hand.
_NEURON_TEMPLATES = (
    _ChainTemplate("(w*x - y)**2", "w", ("w", "x", "y"), "2*(w*x - y) * x",
                   (("2*(w*x - y)", "that is ∂L/∂z; multiply by the local derivative ∂z/∂w = x."),
                    ("2*(w*x - y)*w", "∂z/∂w = x, not w: differentiate z = w·x holding x fixed."))),
    _ChainTemplate("(w*x + b - y)**2", "b", ("w", "x", "b", "y"), "2*(w*x + b - y) * 1",
                   (("2*(w*x + b - y)*x", "∂z/∂b = 1, not x: the bias is added, not multiplied."),)),
    _ChainTemplate("sigmoid(w*x + b)", "w", ("w", "x", "b"), "sigmoid(w*x + b)*(1 - sigmoid(w*x + b)) * x",
                   (("x", _SIGMA_DROPPED),
                    ("(w*x + b)*(1 - (w*x + b))*x", _SIGMA_OF_Z),
                    ("sigmoid(w*x + b)*(1 - sigmoid(w*x + b))", "you stopped at ∂a/∂z: multiply by ∂z/∂w = x."))),
    _ChainTemplate("(sigmoid(w*x) - y)**2", "w", ("w", "x", "y"),
                   "2*(sigmoid(w*x) - y) * sigmoid(w*x)*(1 - sigmoid(w*x)) * x",
                   (("2*(sigmoid(w*x) - y)*x", _SIGMA_DROPPED),
                    ("2*(sigmoid(w*x) - y)*(w*x)*(1 - w*x)*x", _SIGMA_OF_Z),
                    ("2*(sigmoid(w*x) - y)*sigmoid(w*x)*(1 - sigmoid(w*x))",
                     "you stopped at ∂L/∂z: multiply by ∂z/∂w = x."))),
)


def _coefficients(rng: Any) -> dict[str, int]:
    a, b, c = (int(v) for v in rng.choice([2, 3, 4, 5], size=3))
    return {"a": a, "b": b * int(rng.choice([-1, 1])), "c": c, "n": int(rng.choice([2, 3, 4]))}


def _readable(expr_text: str) -> str:
    """Python syntax as the question shows it: `2·x^2 − 3`."""
    return expr_text.replace("**", "^").replace("+ -", "− ").replace(" - ", " − ").replace("*", "·")


def _held_fixed_mistakes(function: Any, wrt: str) -> list[tuple[str, str]]:
    """Wrong partials from not holding the other variable fixed (as if it changed with `wrt`)."""
    import sympy as sp

    x = sp.Symbol(wrt)
    other = sp.Symbol("y" if wrt == "x" else "x")
    right = sp.diff(function, x)
    total = right + sp.diff(function, other)  # d/dx with dy/dx = 1
    own = sum((sp.diff(t, other) for t in sp.Add.make_args(function) if not t.has(x)), sp.Integer(0))
    message = (f"hold {other} fixed: ∂f/∂{wrt} treats {other} as a constant, so the terms without {wrt} vanish "
               f"and {other} stays a factor where it multiplies {wrt}.")
    found = []
    for wrong in (total, right + own):
        if sp.simplify(wrong - right) != 0:
            found.append((sp.sstr(wrong), message))
    return found


def partial_question(rng: Any, seed: int) -> Question:
    """∂f/∂x or ∂f/∂y of a random two-variable function, typed as a formula."""
    import sympy as sp

    from grader.symbolic import parse_answer

    text = str(rng.choice(_PARTIAL_TEMPLATES)).format(**_coefficients(rng))
    wrt = str(rng.choice(["x", "y"]))
    function = parse_answer(text, ["x", "y"])
    prompt = (f"f(x, y) = {_readable(text)}. Type ∂f/∂{wrt} as a formula in x and y "
              "(Python syntax, e.g. 6*x*y**2 - exp(y)).")
    other = "y" if wrt == "x" else "x"
    x = sp.Symbol(wrt)
    terms = list(sp.Add.make_args(function))
    steps = []
    for term in terms:
        part = sp.diff(term, x)
        note = f" (no {wrt}: a constant)" if not term.has(x) else ""
        steps.append(f"{_readable(sp.sstr(term))} → {_readable(sp.sstr(part))}{note}")
    derivative = sp.sstr(sp.diff(function, x))
    solution = (f"Term by term, {other} held constant: " + "; ".join(steps)
                + f". So ∂f/∂{wrt} = {_readable(derivative)}.")
    return Question("symbolic", "partial-derivatives", f"∂f/∂{wrt} of {text}", prompt, solution, 1.0,
                    derivative, symbolic_checker(function, wrt, ["x", "y"], seed, _held_fixed_mistakes(function, wrt)),
                    factored=" + ".join(f"({sp.sstr(sp.diff(t, x))})" for t in terms))


def chain_question(rng: Any, seed: int, *, neuron: bool = False) -> Question:
    """A derivative that needs the chain rule (of a neuron's loss if `neuron`), typed as a formula."""
    import sympy as sp

    from grader.symbolic import parse_answer

    templates = _NEURON_TEMPLATES if neuron else _CHAIN_TEMPLATES
    template = templates[int(rng.integers(len(templates)))]
    coefficients = _coefficients(rng)
    text = template.function.format(**coefficients)
    wrt, variables = template.wrt, template.variables
    function = parse_answer(text, list(variables))
    names = ", ".join(variables)
    prompt = (f"Differentiate {_readable(text)} with respect to {wrt}. Type d/d{wrt} as a formula in "
              f"{names} (Python syntax; sigmoid(u) is allowed).")
    derivative = sp.sstr(sp.diff(function, sp.Symbol(wrt)))
    factored = template.factored.format(**coefficients)
    factored = factored.replace(f"**({coefficients['n']} - 1)",
                                "" if coefficients["n"] == 2 else f"**{coefficients['n'] - 1}")
    if neuron:
        how = {"w": "upstream gradient × local derivative, from the loss back to w",
               "b": "upstream gradient × local derivative ∂z/∂b = 1"}[wrt]
    else:
        how = "the outer derivative at the inner function × the inner derivative"
    solution = f"d/d{wrt} = {_readable(factored)}   ({how})"
    mistakes = [(wrong.format(**coefficients), message) for wrong, message in template.mistakes]
    topic = "backpropagation" if neuron else "chain-rule"
    return Question("symbolic", topic, f"d/d{wrt} of {text}", prompt, solution, 1.0,
                    derivative, symbolic_checker(function, wrt, variables, seed, mistakes), factored=factored)


# -- past-year questions --------------------------------------------------------------------

def pyq_topics(pyq: course.PYQ) -> tuple[str, ...]:
    """A PYQ's quiz topics: the catalog topics of the exercises it links to."""
    from grader.catalog import UnknownExercise, resolve

    topics = []
    for name in pyq.exercises:
        try:
            topics.append(resolve(name).topic)
        except UnknownExercise:
            continue
    return tuple(dict.fromkeys(topics))


def parse_ticks(text: str, count: int) -> set[int]:
    """`1 3 4`, `1,3`, `all` or `none` → the ticked key points (1-based). ValueError otherwise."""
    text = text.strip().lower()
    if text in {"all", "a"}:
        return set(range(1, count + 1))
    if text in {"none", "0", "-", ""}:
        if text == "":
            raise ValueError("empty")
        return set()
    ticks = set()
    for part in re.split(r"[,\s]+", text):
        if not part.isdigit() or not 1 <= int(part) <= count:
            raise ValueError(part)
        ticks.add(int(part))
    return ticks


def pyq_question(pyq: course.PYQ, marks: int | None = None) -> Question:
    """A descriptive question: the student self-scores against the key points; each point earns its marks."""
    version = pyq.version(marks)
    count = len(version.key_points)
    weights = version.point_marks or (1,) * count

    def check(answer: str) -> Verdict:
        try:
            ticks = parse_ticks(answer, count)
        except ValueError:
            return Verdict("invalid", 0.0, f"Type the numbers of the key points you covered (1–{count}), "
                                           "e.g. 1 3 4, or 'all' or 'none'.")
        earned = sum(weights[i - 1] for i in ticks)
        missed = [f"{i} ({weights[i - 1]})" for i in range(1, count + 1) if i not in ticks]
        status: Status = "correct" if len(ticks) == count else "wrong"
        text = f"Self-score: {earned}/{version.marks} marks ({len(ticks)}/{count} key points)."
        if missed:
            text += f" Missed: point {', '.join(missed)} — the marks are where the allocation puts them."
        return Verdict(status, float(earned), text)

    reconstructed = " — reconstructed wording" if pyq.reconstructed else ""
    prompt = f"{pyq.label}{reconstructed}, {version.marks} marks: {version.question}"
    solution = course.strip_comments(version.answer)
    if pyq.diagram:
        solution += "\n\n" + pyq.diagram
    return Question("pyq", (pyq_topics(pyq) or ("gradient-descent",))[0], f"{pyq.label}: {pyq.id}", prompt,
                    solution, float(version.marks), "all", check, version.key_points, tuple(weights),
                    key=f"pyq:{pyq.id}:{version.marks}")


# -- conceptual multiple-choice items -----------------------------------------------------------

LETTERS = "abcd"


def concept_question(item: Any, seed: int) -> Question:
    """A multiple-choice item with its options shuffled by `seed`; a wrong pick is explained."""
    import numpy as np

    options = [(item.right, None), *item.wrong]
    order = np.random.default_rng(seed).permutation(len(options))
    shuffled = [options[int(i)] for i in order]
    letters = LETTERS[: len(shuffled)]
    right_letter = letters[[text for text, _ in shuffled].index(item.right)]
    listing = "\n".join(f"  {letter}) {text}" for letter, (text, _) in zip(letters, shuffled, strict=True))

    def check(answer: str) -> Verdict:
        choice = answer.strip().lower().rstrip(").")
        if choice.isdigit() and 1 <= int(choice) <= len(letters):
            choice = letters[int(choice) - 1]
        if len(choice) != 1 or choice not in letters:
            return Verdict("invalid", 0.0, f"Type one letter, {', '.join(letters[:-1])} or {letters[-1]}.")
        if choice == right_letter:
            return Verdict("correct", 1.0, f"Correct: {right_letter}) {item.right}.")
        why = shuffled[letters.index(choice)][1]
        return Verdict("wrong", 0.0, f"Not quite — {why} The answer is {right_letter}) {item.right}.")

    prompt = f"{item.prompt}\n{listing}\nType a letter."
    return Question("concept", item.topic, f"concept: {item.id}", prompt, item.why, 1.0, right_letter, check,
                    key=f"concept:{item.id}:{seed}")


# -- the registry of question makers -------------------------------------------------------------

@dataclass(frozen=True)
class Generator:
    """A registered question maker: `build(rng, seed)` returns a Question of `kind` on one of `topics`."""

    name: str
    kind: str
    topics: tuple[str, ...]
    build: Callable[[Any, int], Question]


#: Every question maker by name, in registration order. Add one with `register(...)` (one line).
GENERATORS: dict[str, Generator] = {}


def register(name: str, kind: str, topics: Sequence[str], build: Callable[[Any, int], Question]) -> None:
    """Register a question maker, e.g. ``register("momentum-step", "numeric", ("optimisers",), momentum_q)``.

    `build(rng, seed)` must be deterministic in (rng, seed): `grade quiz --review` rebuilds a missed
    question from its name and seed. `topics` are catalog topics (`--topic` choices); `kind` is one of KINDS.
    """
    if name in GENERATORS:
        raise ValueError(f"a quiz generator called {name!r} is already registered")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    GENERATORS[name] = Generator(name, kind, tuple(topics), build)


def register_many(prefix: str, generators: Iterable[tuple[str, Sequence[str], Callable[[Any, int], Question]]]
                  ) -> None:
    """Register (kind, topics, build) triples as PREFIX-0, PREFIX-1, … (keep their order stable: the
    names are what `grade quiz --review` stores), e.g. ``register_many("deep", quiz_deep.GENERATORS)``."""
    for index, (kind, topics, build) in enumerate(generators):
        register(f"{prefix}-{index}", kind, topics, build)


register("gd-step", "numeric", ("gradient-descent",), lambda rng, seed: gd_step_question(rng))
register("gradient-at-point", "numeric", ("partial-derivatives",), lambda rng, seed: gradient_question(rng))
register("neuron-dw", "numeric", ("backpropagation",), lambda rng, seed: neuron_question(rng))
register("sigmoid-neuron-dw", "numeric", ("backpropagation",), lambda rng, seed: sigmoid_neuron_question(rng))
register("mse-gradient", "numeric", ("training",), lambda rng, seed: mse_gradient_question(rng))
register("partial", "symbolic", ("partial-derivatives",), partial_question)
register("chain", "symbolic", ("chain-rule",), chain_question)
register("neuron-chain", "symbolic", ("backpropagation",), lambda rng, seed: chain_question(rng, seed, neuron=True))


def _register_exercise_generators() -> None:
    # Later exercises keep their question makers in modules of their own, which import
    # `Question` from here: imported last, once everything they need is defined.
    from grader import quiz_deep, quiz_training

    register_many("deep", quiz_deep.GENERATORS)
    register_many("training", quiz_training.GENERATORS)


_register_exercise_generators()


def _build(generator: Generator, seed: int) -> Question:
    from dataclasses import replace

    import numpy as np

    question = generator.build(np.random.default_rng(seed), seed)
    return replace(question, key=f"gen:{generator.name}:{seed}")


def _concepts() -> tuple[Any, ...]:
    from grader.quiz_concepts import CONCEPTS

    return CONCEPTS


class UnknownItem(LookupError):
    """A review key whose generator, concept or PYQ no longer exists."""


def regenerate(key: str) -> Question:
    """The question a key names, rebuilt exactly ("gen:NAME:SEED", "pyq:ID:MARKS", "concept:ID:SEED")."""
    source, _, rest = key.partition(":")
    name, _, number = rest.rpartition(":")
    try:
        value = int(number)
    except ValueError:
        raise UnknownItem(key) from None
    if source == "gen" and name in GENERATORS:
        return _build(GENERATORS[name], value)
    if source == "concept":
        for item in _concepts():
            if item.id == name:
                return concept_question(item, value)
    if source == "pyq":
        try:
            return pyq_question(course.find_pyq(name), value)
        except (course.UnknownPYQ, KeyError):
            pass
    raise UnknownItem(key)


# -- assembling a quiz ------------------------------------------------------------------------

def make_quiz(seed: int, count: int = 5, topic: str | None = None, kind: str | None = None) -> list[Question]:
    """`count` questions for the seed, optionally of one topic and/or kind.

    Sources (each registered generator, "a conceptual item", each PYQ) are
    visited in a seeded random order, cycling if `count` is larger; each PYQ
    and each conceptual item appears at most once, and a mixed quiz holds at
    most one PYQ (a descriptive question takes far longer than a numeric
    one). Raises ValueError if nothing fits.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    makers = [g for g in GENERATORS.values()
              if (kind is None or kind == g.kind) and (topic is None or topic in g.topics)]
    concepts = [c for c in _concepts() if kind in (None, "concept") and topic in (None, c.topic)]
    pyqs = [q for q in course.load_pyqs() if kind in (None, "pyq") and (topic is None or topic in pyq_topics(q))]
    order = ([("gen", i) for i in range(len(makers))] + [("pyq", i) for i in range(len(pyqs))]
             + ([("concept", 0)] if concepts else []))
    if not order:
        raise ValueError(f"no questions for topic={topic!r}, kind={kind!r}")
    questions: list[Question] = []
    used_pyqs: set[int] = set()
    unused_concepts = [concepts[int(i)] for i in rng.permutation(len(concepts))]
    while len(questions) < count:
        progressed = False
        for source, index in [order[i] for i in rng.permutation(len(order))]:
            if len(questions) == count:
                break
            sub_seed = int(rng.integers(2**31))
            if source == "pyq":
                if index in used_pyqs or (kind != "pyq" and used_pyqs and (makers or concepts)):
                    continue
                used_pyqs.add(index)
                versions = pyqs[index].all_versions
                marks = versions[sub_seed % len(versions)].marks
                questions.append(pyq_question(pyqs[index], marks))
            elif source == "concept":
                if not unused_concepts:
                    continue
                questions.append(concept_question(unused_concepts.pop(), sub_seed))
            else:
                questions.append(_build(makers[index], sub_seed))
            progressed = True
        if not progressed:
            break  # only PYQs and conceptual items, all used
    return questions
