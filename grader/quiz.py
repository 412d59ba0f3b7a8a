"""Exam practice: randomised questions and the checking of typed answers.

Three kinds of question:

* numeric — one gradient-descent step, a gradient at a point, a neuron's
  ∂L/∂w, an MSE gradient. The expected numbers come from the reference
  solutions (and SymPy for derivatives of the random functions); an answer is
  right within `TOLERANCE`, and a wrong one is compared with known-wrong
  variants computed on the same numbers to name the likely mistake;
* symbolic — a partial derivative or a chain-rule derivative typed as a
  formula, checked by `grader.symbolic.check_derivative`;
* pyq — a past-year question: the model answer is shown and the student
  ticks the key points their answer covered (a self-score).

Questions are plain data built from a seed (`make_quiz`), so the same seed
gives the same quiz; the terminal dialogue lives in `grader.commands.quiz_cmd`.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any, Literal

from grader import course

#: Topics as the catalog names them (exercise 1 … 5, in order).
TOPICS = ("gradient-descent", "partial-derivatives", "chain-rule", "backpropagation", "training",
          "autograd", "optimizers", "deep-training")
KINDS = ("numeric", "symbolic", "pyq")
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
        value = float(eval(compile(tree, "<answer>", "eval"), {"__builtins__": {}}))
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
    a, b = (int(v) for v in rng.choice([1, 2, 3], size=2))
    c, d = (int(v) for v in rng.choice([-2, -1, 1, 2], size=2))
    point = np.array([_one_decimal(rng, -3, 3), _one_decimal(rng, -3, 3)])
    rate = float(rng.choice([0.05, 0.1, 0.25]))
    J = a * (x - c) ** 2 + b * (y - d) ** 2
    at = {x: point[0], y: point[1]}
    grad = np.array([float(sp.diff(J, v).subs(at)) for v in (x, y)])
    step = reference("exercise1").gradient_step
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
    term = f"{_square(a, 'x', c)} + {_square(b, 'y', d)}"
    prompt = (f"J(x, y) = {term}. Take ONE gradient-descent step from (x, y) = {fmt(point)} "
              f"with learning rate α = {rate:g}.\nType the new point x, y (2 decimals or better).")
    solution = (f"∇J = ({2 * a}(x − {c}), {2 * b}(y − {d})) = {fmt(grad)} at {fmt(point)}; "
                f"θ − α∇J = {fmt(point)} − {rate:g}·{fmt(grad)} = {fmt(expected)}.").replace("− -", "+ ")
    return Question("numeric", "gradient-descent", "one gradient-descent step", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes))


def gradient_question(rng: Any) -> Question:
    """∇f at a point for f = a·x²·y + b·y³ + c·x, with the partials from exercise 2's reference."""
    import sympy as sp

    x, y = sp.symbols("x y")
    a, b, c = (int(v) * int(s) for v, s in zip(rng.integers(1, 4, size=3), rng.choice([-1, 1], size=3), strict=True))
    x0, y0 = (int(v) for v in rng.choice([-2, -1, 1, 2, 3], size=2))
    partials = reference("exercise2").poly_partials(a, b, c)
    at = {x: x0, y: y0}
    expected = [float(sp.sympify(partials[v]).subs(at)) for v in ("x", "y")]
    f = a * x**2 * y + b * y**3 + c * x
    mistakes = [
        ("you swapped the components: the first entry is ∂f/∂x.", expected[::-1]),
        ("you differentiated x²·y as 2x and dropped y: hold y constant, it stays as a factor.",
         [float((2 * a * x + c).subs(at)), expected[1]]),
        ("you gave the function value, not its derivatives.", [float(f.subs(at))] * 2),
        ("you gave −∇f: the gradient itself has no minus sign.", [-v for v in expected]),
    ]
    prompt = (f"f(x, y) = {_readable(sp.sstr(f))}. What is the gradient ∇f at (x, y) = {fmt([x0, y0])}?\n"
              "Type ∂f/∂x, ∂f/∂y.")
    solution = (f"∂f/∂x = {sp.sstr(sp.sympify(partials['x']))}, ∂f/∂y = {sp.sstr(sp.sympify(partials['y']))}; "
                f"at {fmt([x0, y0])} the gradient is {fmt(expected)}.")
    return Question("numeric", "partial-derivatives", "a gradient at a point", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes))


def neuron_question(rng: Any) -> Question:
    """∂L/∂w for the notes' neuron z = w·x, L = (z − y)², by exercise 4's reference."""
    import numpy as np

    ex4 = reference("exercise4")
    w, x, y = _one_decimal(rng, -2, 2), _one_decimal(rng, -3, 3), _one_decimal(rng, -3, 3)
    loss, cache_ = ex4.neuron_forward(np.array([w]), np.array([[x]]), 0.0, np.array([y]))
    dw, dz, _ = ex4.neuron_backward(cache_)
    expected = [float(dw[0])]
    z = float(cache_["z"][0])
    mistakes = [
        ("that is ∂L/∂z = 2(z − y); multiply by ∂z/∂w = x (chain rule).", [dz]),
        ("∂/∂z of (z − y)² is 2(z − y): you dropped the 2.", [expected[0] / 2]),
        ("sign error: ∂L/∂z = 2(z − y), not 2(y − z).", [-expected[0]]),
        ("∂z/∂w = x, not w.", [dz * w]),
        ("that is the loss L, not its derivative.", [loss]),
    ]
    prompt = (f"A neuron computes z = w·x with loss L = (z − y)². For w = {w:g}, x = {x:g}, y = {y:g}, "
              "what is ∂L/∂w?").replace("-", "−")
    solution = (f"z = {fmt([z])}; ∂L/∂z = 2(z − y) = {fmt([dz])}; ∂z/∂w = x = {fmt([x])}; "
                f"∂L/∂w = 2(w·x − y)·x = {fmt(expected)}.")
    return Question("numeric", "backpropagation", "a neuron's ∂L/∂w", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes))


def mse_gradient_question(rng: Any) -> Question:
    """(∂J/∂w, ∂J/∂b) of the MSE of ŷ = w·x + b on three examples, by exercise 5's reference."""
    import numpy as np

    ex5 = reference("exercise5")
    xs = np.array([float(v) for v in rng.choice([-2, -1, 1, 2, 3], size=3, replace=False)])
    ys = np.array([float(v) for v in rng.integers(-3, 6, size=3)])
    w, b = float(rng.choice([-1, 0.5, 1, 2])), float(rng.choice([-1, 0, 1]))
    X = xs.reshape(-1, 1)
    dw, db = ex5.mse_gradient(X, ys, np.array([w]), b)
    expected = [float(dw[0]), float(db)]
    n = len(xs)
    mistakes = [
        ("that is the gradient of the SUM of squared errors; the MSE divides by n.", [v * n for v in expected]),
        ("d/dŷ of (ŷ − y)² is 2(ŷ − y): you dropped the 2.", [v / 2 for v in expected]),
        ("sign error: use the residual ŷ − y, not y − ŷ.", [-v for v in expected]),
        ("you swapped ∂J/∂w and ∂J/∂b.", expected[::-1]),
    ]
    data = ", ".join(f"({x:g}, {y:g})" for x, y in zip(xs, ys, strict=True)).replace("-", "−")
    prompt = (f"A linear model ŷ = w·x + b with w = {w:g}, b = {b:g} and the MSE loss "
              f"J = (1/n)·Σ(ŷᵢ − yᵢ)² on the data (x, y) = {data}.\n"
              "Type ∂J/∂w, ∂J/∂b (2 decimals or better).").replace("= -", "= −")
    residuals = X[:, 0] * w + b - ys
    solution = (f"residuals ŷ − y = {fmt(list(residuals))}; ∂J/∂w = (2/n)·Σ rᵢxᵢ and ∂J/∂b = (2/n)·Σ rᵢ "
                f"give {fmt(expected)}.")
    return Question("numeric", "training", "an MSE gradient", prompt, solution, 1.0,
                    typed(expected), numeric_checker(expected, mistakes))


# -- symbolic questions -------------------------------------------------------------------

def symbolic_checker(function: Any, wrt: str, variables: Sequence[str], seed: int) -> Callable[[str], Verdict]:
    """A derivative typed as a formula, checked by grader.symbolic (any equivalent form is right)."""
    from grader.symbolic import check_derivative

    def check(answer: str) -> Verdict:
        verdict = check_derivative(answer, function, wrt, list(variables), seed=seed)
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
_CHAIN_TEMPLATES = (
    ("({a}*x + {b})**{n}", "x", ("x",)),
    ("exp({a}*x**2)", "x", ("x",)),
    ("sin({a}*x**2 + {b})", "x", ("x",)),
    ("log({a}*x**2 + 1)", "x", ("x",)),
)
# The chain rule through a neuron: backpropagation's derivatives, by hand.
_NEURON_TEMPLATES = (
    ("(w*x - y)**2", "w", ("w", "x", "y")),
    ("(w*x + b - y)**2", "b", ("w", "x", "b", "y")),
    ("sigmoid(w*x + b)", "w", ("w", "x", "b")),
    ("(sigmoid(w*x) - y)**2", "w", ("w", "x", "y")),
)


def _coefficients(rng: Any) -> dict[str, int]:
    a, b, c = (int(v) for v in rng.choice([2, 3, 4, 5], size=3))
    return {"a": a, "b": b * int(rng.choice([-1, 1])), "c": c, "n": int(rng.choice([2, 3, 4]))}


def _readable(expr_text: str) -> str:
    """Python syntax as the question shows it: `2·x^2 − 3`."""
    return expr_text.replace("**", "^").replace("+ -", "− ").replace(" - ", " − ").replace("*", "·")


def partial_question(rng: Any, seed: int) -> Question:
    """∂f/∂x or ∂f/∂y of a random two-variable function, typed as a formula."""
    from grader.symbolic import parse_answer

    text = str(rng.choice(_PARTIAL_TEMPLATES)).format(**_coefficients(rng))
    wrt = str(rng.choice(["x", "y"]))
    function = parse_answer(text, ["x", "y"])
    prompt = (f"f(x, y) = {_readable(text)}. Type ∂f/∂{wrt} as a formula in x and y "
              "(Python syntax, e.g. 6*x*y**2 - exp(y)).")
    import sympy as sp

    derivative = sp.sstr(sp.diff(function, sp.Symbol(wrt)))
    solution = f"∂f/∂{wrt} = {derivative} (hold the other variable constant)."
    return Question("symbolic", "partial-derivatives", f"∂f/∂{wrt} of {text}", prompt, solution, 1.0,
                    derivative, symbolic_checker(function, wrt, ["x", "y"], seed))


def chain_question(rng: Any, seed: int, *, neuron: bool = False) -> Question:
    """A derivative that needs the chain rule (of a neuron's loss if `neuron`), typed as a formula."""
    import sympy as sp

    from grader.symbolic import parse_answer

    templates = _NEURON_TEMPLATES if neuron else _CHAIN_TEMPLATES
    template, wrt, variables = templates[int(rng.integers(len(templates)))]
    text = template.format(**_coefficients(rng))
    function = parse_answer(text, list(variables))
    names = ", ".join(variables)
    prompt = (f"Differentiate {_readable(text)} with respect to {wrt}. Type d/d{wrt} as a formula in "
              f"{names} (Python syntax; sigmoid(u) is allowed).")
    derivative = sp.sstr(sp.diff(function, sp.Symbol(wrt)))
    solution = f"d/d{wrt} = {derivative}: the outer derivative times the inner derivative."
    topic = "backpropagation" if neuron else "chain-rule"
    return Question("symbolic", topic, f"d/d{wrt} of {text}", prompt, solution, 1.0,
                    derivative, symbolic_checker(function, wrt, variables, seed))


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


def pyq_question(pyq: course.PYQ) -> Question:
    """A descriptive question: the student self-scores against the model answer's key points."""
    count = len(pyq.key_points)

    def check(answer: str) -> Verdict:
        try:
            ticks = parse_ticks(answer, count)
        except ValueError:
            return Verdict("invalid", 0.0, f"Type the numbers of the key points you covered (1–{count}), "
                                           "e.g. 1 3 4, or 'all' or 'none'.")
        status: Status = "correct" if len(ticks) == count else "wrong"
        return Verdict(status, float(len(ticks)), f"Self-score: {len(ticks)}/{count} key points.")

    label = f"PYQ {pyq.number} ({pyq.session})"
    prompt = f"{label}{' — reconstructed wording' if pyq.reconstructed else ''}: {pyq.question}"
    return Question("pyq", (pyq_topics(pyq) or ("gradient-descent",))[0], f"{label}: {pyq.id}", prompt,
                    course.strip_comments(pyq.answer), float(count), "all", check, pyq.key_points)


# -- assembling a quiz ------------------------------------------------------------------------

def _training_generators() -> tuple[Any, ...]:
    from grader.quiz_training import GENERATORS

    return GENERATORS


#: (kind, topics it can serve, builder(rng, seed) -> Question)
_GENERATORS: tuple[tuple[str, tuple[str, ...], Callable[[Any, int], Question]], ...] = (
    ("numeric", ("gradient-descent",), lambda rng, seed: gd_step_question(rng)),
    ("numeric", ("partial-derivatives",), lambda rng, seed: gradient_question(rng)),
    ("numeric", ("backpropagation",), lambda rng, seed: neuron_question(rng)),
    ("numeric", ("training",), lambda rng, seed: mse_gradient_question(rng)),
    ("symbolic", ("partial-derivatives",), partial_question),
    ("symbolic", ("chain-rule",), chain_question),
    ("symbolic", ("backpropagation",), lambda rng, seed: chain_question(rng, seed, neuron=True)),
    *_training_generators(),  # grader/quiz_training.py: exercises 8-10
)


def make_quiz(seed: int, count: int = 5, topic: str | None = None, kind: str | None = None) -> list[Question]:
    """`count` questions for the seed, optionally of one topic and/or kind.

    Generators are visited in a seeded random order (cycling if `count` is
    larger); each PYQ appears at most once, and a mixed quiz holds at most one
    (a descriptive question takes far longer than a numeric one). Raises
    ValueError if nothing fits.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    makers: list[Callable[[Any, int], Question]] = []
    for gen_kind, topics, build in _GENERATORS:
        if (kind is None or kind == gen_kind) and (topic is None or topic in topics):
            makers.append(build)
    pyqs = [q for q in course.load_pyqs() if (topic is None or topic in pyq_topics(q))]
    if kind not in (None, "pyq"):
        pyqs = []
    order = [("gen", i) for i in range(len(makers))] + [("pyq", i) for i in range(len(pyqs))]
    if not order:
        raise ValueError(f"no questions for topic={topic!r}, kind={kind!r}")
    questions: list[Question] = []
    used_pyqs: set[int] = set()
    while len(questions) < count:
        progressed = False
        for source, index in [order[i] for i in rng.permutation(len(order))]:
            if len(questions) == count:
                break
            if source == "pyq":
                if index in used_pyqs or (kind != "pyq" and used_pyqs and makers):
                    continue
                used_pyqs.add(index)
                questions.append(pyq_question(pyqs[index]))
            else:
                sub_seed = int(rng.integers(2**31))
                questions.append(makers[index](np.random.default_rng(sub_seed), sub_seed))
            progressed = True
        if not progressed:
            break  # only PYQs, all used
    return questions
