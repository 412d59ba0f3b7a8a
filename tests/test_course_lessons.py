"""The lessons' worked numbers and derivative formulas, recomputed from the files.

Every `<!-- check: EXPR -->` annotation claims that the value written just
before it (in the prose) equals EXPR, evaluated here with the reference
solutions (`ex1` … `ex5`) and SymPy; every `<!-- derivative: of=…; wrt=… -->`
claims that the formula written just before it is sympy.diff(of, wrt). The
same checks run on the model answers of the PYQ bank. The annotation format
itself is documented in grader/course.py.
"""

from __future__ import annotations

import ast
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    function_exponentiation,
    implicit_application,
    implicit_multiplication,
    parse_expr,
    split_symbols_custom,
    standard_transformations,
)

from grader import course
from grader.catalog import UnknownExercise, load_catalog, resolve
from grader.runner import load_reference

LESSONS = course.load_lessons()
REPO = Path(__file__).resolve().parent.parent

# -- SymPy side: the functions lessons use, and a reader for their Unicode formulas --

_Z = sp.Symbol("z")
_SIGMA = sp.Lambda(_Z, 1 / (1 + sp.exp(-_Z)))
_SIGMA_PRIME = sp.Lambda(_Z, _SIGMA(_Z) * (1 - _SIGMA(_Z)))
_FUNCTIONS: dict[str, Any] = {
    "sigma": _SIGMA, "sigmaprime": _SIGMA_PRIME, "exp": sp.exp, "log": sp.log,
    "sin": sp.sin, "cos": sp.cos, "sqrt": sp.sqrt, "e": sp.E,
}
_UNICODE = [
    ("σ'", "sigmaprime"), ("σ′", "sigmaprime"), ("σ", "sigma"), ("ŷ", "yhat"), ("δ", "delta"),
    ("·", "*"), ("×", "*"), ("−", "-"), ("²", "^2"), ("³", "^3"),
    *[(chr(0x2080 + i), str(i)) for i in range(10)],
]


def _splittable(name: str) -> bool:
    # `2xy` means 2·x·y, but `sigma`, `yhat` and `exp` are names, not products.
    return name.isalpha() and len(name) > 1 and name not in _FUNCTIONS and name not in {"yhat", "delta"}


_TRANSFORMS = (
    *standard_transformations,
    split_symbols_custom(_splittable),
    implicit_multiplication,
    implicit_application,
    function_exponentiation,
    convert_xor,
)


def parse_math(text: str) -> sp.Expr:
    """A lesson's formula (Unicode, implicit products) or an annotation's SymPy text."""
    for old, new in _UNICODE:
        text = text.replace(old, new)
    return parse_expr(text.strip(), local_dict=dict(_FUNCTIONS), transformations=_TRANSFORMS)


def f(expr: str, **at: float) -> float:
    """The value of a formula at a point."""
    value = parse_math(expr).subs({sp.Symbol(k): v for k, v in at.items()})
    return float(sp.N(value, 30))


def d(expr: str, wrt: str, **at: float) -> Any:
    """sympy.diff at a point; `wrt="x,y"` gives the gradient as an array."""
    function = parse_math(expr)
    names = [n.strip() for n in wrt.split(",")]
    values = [float(sp.N(sp.diff(function, sp.Symbol(n)).subs({sp.Symbol(k): v for k, v in at.items()}), 30))
              for n in names]
    return values[0] if len(names) == 1 else np.array(values)


# -- evaluating `check:` expressions --------------------------------------------

_ALLOWED_NODES = (
    ast.Expression, ast.Call, ast.Name, ast.Load, ast.Store, ast.Constant, ast.Tuple, ast.List,
    ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod,
    ast.USub, ast.UAdd, ast.Subscript, ast.Slice, ast.ListComp, ast.GeneratorExp,
    ast.comprehension, ast.keyword, ast.Attribute, ast.Dict,
)


def mse(predictions: Any, targets: Any) -> float:
    """The MSE of given predictions, by exercise 5's reference: ŷ = X·w with X = ŷ as a column, w = 1."""
    column = np.asarray(predictions, dtype=float).reshape(-1, 1)
    return float(_references()["ex5"].mse(column, np.asarray(targets, dtype=float), np.ones(1), 0.0))


def house_X(n: int, seed: int, standardize: bool) -> np.ndarray:
    """The features of the course's house-price data (grader.datasets), raw or standardised."""
    from grader.datasets import house_prices

    return house_prices(n, seed, standardize=standardize)[0]


def house_y(n: int, seed: int) -> np.ndarray:
    """The prices of the course's house-price data (grader.datasets)."""
    from grader.datasets import house_prices

    return house_prices(n, seed)[1]


def _tuned_rates() -> dict[str, float]:
    """The learning rate each gradient-descent variant is drawn at in gd_variants.png."""
    from grader.figures import tuned_rates

    return tuned_rates()


def _figure_setting(name: str) -> Any:
    """A setting of grader/figures.py (an UPPER_CASE constant), as a caption quotes it."""
    import grader.figures

    if not name.isupper():
        raise ValueError(f"not a figure setting: {name}")
    return getattr(grader.figures, name)


def mse_hessian_eigenvalues(X: Any) -> np.ndarray:
    """Eigenvalues (ascending) of the Hessian (2/N)·AᵀA of the MSE of ŷ = X·w + b, A = [X 1]."""
    X = np.asarray(X, dtype=float)
    A = np.column_stack([X, np.ones(len(X))])
    return np.linalg.eigvalsh(2.0 * A.T @ A / len(X))


@cache
def _references() -> dict[str, Any]:
    refs = {}
    for exercise in load_catalog():
        refs[exercise.name.replace("exercise", "ex")] = load_reference(exercise)
    return refs


def trusted_callable(name: str, params: dict[str, Any]) -> Any:
    from grader.sandbox.callables import build

    return build(name, params)


def namespace() -> dict[str, Any]:
    names: dict[str, Any] = {
        "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "ceil": math.ceil, "floor": math.floor,
        "acos": math.acos, "degrees": math.degrees, "pi": math.pi, "abs": abs, "sum": sum,
        "len": len, "range": range, "min": min, "max": max, "round": round,
        "mean": lambda xs: float(np.mean(np.asarray(xs, dtype=float))),
        "norm": lambda v: float(np.linalg.norm(np.asarray(v, dtype=float))),
        "dot": lambda u, v: float(np.dot(np.asarray(u, dtype=float), np.asarray(v, dtype=float))),
        "f": f, "d": d, "mse": mse,
        "house_X": house_X, "house_y": house_y, "tuned_rates": _tuned_rates,
        "figure_setting": _figure_setting, "mse_hessian_eigenvalues": mse_hessian_eigenvalues,
        # the trusted losses and backward passes of exercise 7, by name: trusted("mlp_loss", {...})
        "trusted": trusted_callable,
    }
    names.update(_references())
    return names


def evaluate(expression: str) -> Any:
    """Evaluate a trusted annotation with only whitelisted syntax (no dunders, no imports)."""
    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"{type(node).__name__} is not allowed in a check: {expression}")
        if isinstance(node, ast.Attribute) and not (
            isinstance(node.value, ast.Name) and re.fullmatch(r"ex\d+", node.value.id)
            and not node.attr.startswith("_")
        ):
            raise ValueError(f"attributes only of ex1…ex5 in a check: {expression}")
    missing = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    ns = namespace()
    comprehension_vars = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    unknown = missing - set(ns) - comprehension_vars
    if unknown:
        raise NameError(f"unknown name(s) {sorted(unknown)} in check: {expression}")
    return eval(compile(tree, "<check>", "eval"), {"__builtins__": {}, **ns})


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def check_problem(annotation: course.Annotation) -> str | None:
    """None when a `check:` claim holds, else why not."""
    claim = annotation.claim
    if claim is None:
        return f"line {annotation.line}: no value right before the check comment"
    actual = evaluate(annotation.body)
    if claim.startswith('"'):
        return None if str(actual) == claim[1:-1] else f"line {annotation.line}: says {claim}, computes {actual!r}"
    numbers = [_number(t) for t in re.findall(r"[-−]?\d+(?:\.\d+)?", claim)]
    claimed = np.array(numbers) if claim.startswith("(") else np.array(numbers[0])
    actual_arr = np.asarray(actual, dtype=float)
    if actual_arr.shape != claimed.shape:
        return f"line {annotation.line}: says {claim}, computes {actual!r} (a different shape)"
    if annotation.approximate:
        decimals = max((len(t.split(".")[1]) if "." in t else 0) for t in re.findall(r"\d+(?:\.\d+)?", claim))
        ok = np.all(np.abs(actual_arr - claimed) <= 0.5 * 10.0**-decimals + 1e-12)
    else:
        ok = np.allclose(actual_arr, claimed, rtol=1e-9, atol=1e-12)
    return None if ok else f"line {annotation.line}: says {claim}, computes {actual!r}"


def derivative_problem(annotation: course.Annotation, seed: int = 0) -> str | None:
    """None when a `derivative:` claim equals sympy.diff, else why not."""
    claim = annotation.claim
    if claim is None:
        return f"line {annotation.line}: no `… = formula` in backticks right before the comment"
    fields = annotation.fields()
    function = parse_math(fields.pop("of"))
    wrt = [sp.Symbol(n.strip()) for n in fields.pop("wrt").split(",")]
    expected = [sp.diff(function, v) for v in wrt]
    claimed_parts = _split_tuple(claim) if len(wrt) > 1 else [claim]
    if len(claimed_parts) != len(expected):
        return f"line {annotation.line}: {claim} has {len(claimed_parts)} parts, the gradient {len(expected)}"
    definitions = {sp.Symbol(k): parse_math(v) for k, v in fields.items()}
    rng = np.random.default_rng(seed)
    for part, want in zip(claimed_parts, expected, strict=True):
        got = parse_math(part)
        for _ in range(len(definitions) + 1):  # definitions may refer to each other
            got = got.subs(definitions)
        leftover = got.free_symbols & set(definitions)
        if leftover:
            return f"line {annotation.line}: could not substitute {leftover}"
        if not _same_function(got, want, rng):
            return f"line {annotation.line}: the lesson says {part}, but d/d{wrt} gives {sp.simplify(want)}"
    return None


def _split_tuple(text: str) -> list[str]:
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return [text]
    parts, depth, current = [], 0, ""
    for char in text[1:-1]:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    return [*parts, current]


def _same_function(a: sp.Expr, b: sp.Expr, rng: np.random.Generator) -> bool:
    """Equal at random points (values in ±[0.3, 2]); exact zero-difference also counts."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if sp.simplify(a - b) == 0:
        return True
    for _ in range(6):
        point = {s: float(rng.uniform(0.3, 2.0) * rng.choice([-1, 1])) for s in symbols}
        va, vb = complex(sp.N(a.subs(point))), complex(sp.N(b.subs(point)))
        if not math.isclose(va.real, vb.real, rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


# -- the tests --------------------------------------------------------------------------

def _lesson_annotations(kind: str) -> list[Any]:
    params = []
    for lesson in LESSONS:
        for annotation in course.annotations(lesson.text(annotations=True)):
            if annotation.kind == kind:
                params.append(pytest.param(annotation, id=f"{lesson.path.stem}:{annotation.line}"))
    return params


def _pyq_annotations() -> list[Any]:
    return [
        pytest.param(a, id=f"{q.id}:{a.line}")
        for q in course.load_pyqs()
        for a in course.annotations(q.answer)
    ]


@pytest.mark.parametrize("annotation", _lesson_annotations("check"))
def test_lesson_number_is_recomputed(annotation: course.Annotation) -> None:
    assert check_problem(annotation) is None, check_problem(annotation)


@pytest.mark.parametrize("annotation", _lesson_annotations("derivative"))
def test_lesson_derivative_matches_sympy(annotation: course.Annotation) -> None:
    assert derivative_problem(annotation) is None, derivative_problem(annotation)


@pytest.mark.parametrize("annotation", [a for a in _pyq_annotations() if a.values[0].kind == "check"])
def test_pyq_answer_number_is_recomputed(annotation: course.Annotation) -> None:
    assert check_problem(annotation) is None, check_problem(annotation)


@pytest.mark.parametrize("annotation", [a for a in _pyq_annotations() if a.values[0].kind == "derivative"])
def test_pyq_answer_derivative_matches_sympy(annotation: course.Annotation) -> None:
    assert derivative_problem(annotation) is None, derivative_problem(annotation)


def test_every_lesson_has_checked_numbers_and_no_unparsed_claims() -> None:
    for lesson in LESSONS:
        found = course.annotations(lesson.text(annotations=True))
        assert any(a.kind == "check" for a in found), f"{lesson.name} has no checked numbers"
        for annotation in found:
            assert annotation.claim is not None, f"{lesson.name}:{annotation.line}: no claim before the comment"


# A derivative written as inline code, e.g. `∂L/∂w = …` or `dz/dx = …`.
_INLINE_DERIVATIVE = re.compile(r"`((?:∂|d)[^`/]*/(?:∂|d)[^`=]*=[^`]+)`(?!<!-- derivative:)")


def test_every_inline_derivative_formula_is_annotated() -> None:
    for lesson in LESSONS:
        text = lesson.text(annotations=True)
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        unchecked = _INLINE_DERIVATIVE.findall(prose)
        assert not unchecked, f"{lesson.name}: derivative formulas without a derivative annotation: {unchecked}"


# -- the scheme catches wrong numbers and formulas (the checks can fail) -----------------

def _annotation_in(text: str, kind: str = "check") -> course.Annotation:
    return next(a for a in course.annotations(text) if a.kind == kind)


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("loss **16**<!-- check: ex1.bowl_loss((2.4, 3.2)) -->", True),
        ("loss **17**<!-- check: ex1.bowl_loss((2.4, 3.2)) -->", False),
        ("point **(2.4, 3.2)**<!-- check: ex1.gradient_step((3.0, 4.0), (6.0, 8.0), 0.1) -->", True),
        ("point **(2.4, 3.3)**<!-- check: ex1.gradient_step((3.0, 4.0), (6.0, 8.0), 0.1) -->", False),
        ("point **(2.4, 3.2, 0)**<!-- check: ex1.gradient_step((3.0, 4.0), (6.0, 8.0), 0.1) -->", False),
        ("w ≈ 0.3979<!-- check: 3 * 0.98**100 -->", True),
        ("w ≈ 0.3978<!-- check: 3 * 0.98**100 -->", False),
        ("w = 0.3979<!-- check: 3 * 0.98**100 -->", False),  # no ≈: must be exact
        ("gives −8<!-- check: d('(w*x - y)**2', 'w', w=0.5, x=2, y=3) -->", True),
        ("gives 8<!-- check: d('(w*x - y)**2', 'w', w=0.5, x=2, y=3) -->", False),
        ('says `"too slow"`<!-- check: ex1.classify_learning_rate([25.0, 20.0]) -->', True),
        ('says `"diverged"`<!-- check: ex1.classify_learning_rate([25.0, 20.0]) -->', False),
    ],
)
def test_check_scheme_detects_changed_numbers(text: str, holds: bool) -> None:
    assert (check_problem(_annotation_in(text)) is None) is holds


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("`∂L/∂w = 2(w·x − y)·x`<!-- derivative: of=(w*x - y)**2; wrt=w -->", True),
        ("`∂L/∂w = 2(w·x − y)`<!-- derivative: of=(w*x - y)**2; wrt=w -->", False),
        ("`∂f/∂x = 2xy`<!-- derivative: of=x**2*y + 3*y; wrt=x -->", True),
        ("`∂f/∂x = 2x`<!-- derivative: of=x**2*y + 3*y; wrt=x -->", False),
        ("`∇J = (2x, 2y)`<!-- derivative: of=x**2 + y**2; wrt=x,y -->", True),
        ("`∇J = (2y, 2x)`<!-- derivative: of=x**2 + y**2; wrt=x,y -->", False),
        ("`σ'(z) = σ(z)(1 − σ(z))`<!-- derivative: of=1/(1 + exp(-z)); wrt=z -->", True),
        ("`σ'(z) = σ(z)(1 + σ(z))`<!-- derivative: of=1/(1 + exp(-z)); wrt=z -->", False),
        ("`δ₁ = δ₂·w₂·σ'(z₁)`<!-- derivative: of=(sigma(w2*sigma(z1)) - y)**2; wrt=z1;"
         " delta2=2*(sigma(z2) - y)*sigmaprime(z2); z2=w2*sigma(z1) -->", True),
        ("`δ₁ = δ₂·σ'(z₁)`<!-- derivative: of=(sigma(w2*sigma(z1)) - y)**2; wrt=z1;"
         " delta2=2*(sigma(z2) - y)*sigmaprime(z2); z2=w2*sigma(z1) -->", False),
    ],
)
def test_derivative_scheme_detects_changed_formulas(text: str, holds: bool) -> None:
    assert (derivative_problem(_annotation_in(text, "derivative")) is None) is holds


def test_check_expressions_cannot_reach_outside() -> None:
    for bad in ("__import__('os')", "ex1.__dict__", "(lambda: 1)()", "open('x')"):
        with pytest.raises((ValueError, NameError)):
            evaluate(bad)


def test_lesson_worked_example_matches_the_reference_directly() -> None:
    # Independent of the annotation machinery: the bowl step the course is built on.
    ex1 = _references()["ex1"]
    grad = ex1.bowl_gradient(np.array([3.0, 4.0]))
    assert np.allclose(grad, [6.0, 8.0]) and math.isclose(float(np.linalg.norm(grad)), 10.0)
    new = ex1.gradient_step(np.array([3.0, 4.0]), grad, 0.1)
    assert np.allclose(new, [2.4, 3.2])
    assert math.isclose(ex1.bowl_loss(np.array([3.0, 4.0])), 25.0)
    assert math.isclose(ex1.bowl_loss(new), 16.0)
    text = (REPO / "course/lessons/03-partial-derivatives.md").read_text(encoding="utf-8")
    for claim in ("**25**", "**(6, 8)**", "**10**", "**(2.4, 3.2)**", "**16**"):
        assert claim + "<!-- check:" in text


# The matrix form of the backward pass in lesson 5, exactly as printed there.
MATRIX_BACKWARD = """\
  δ₃ = 2(ŷ − y) ⊙ σ'(z₃)           ∂L/∂W₃ = δ₃ · a₂ᵀ
  δ₂ = (W₃ᵀ · δ₃) ⊙ σ'(z₂)          ∂L/∂W₂ = δ₂ · a₁ᵀ
  δ₁ = (W₂ᵀ · δ₂) ⊙ σ'(z₁)          ∂L/∂W₁ = δ₁ · xᵀ
"""


def test_lesson5_matrix_backward_pass_matches_central_differences() -> None:
    assert MATRIX_BACKWARD in (REPO / "course/lessons/05-backpropagation.md").read_text(encoding="utf-8")
    rng = np.random.default_rng(0)
    sizes = [3, 4, 5, 2]  # x has 3 entries, the layers 4, 5 and 2 neurons
    Ws = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(3)]
    x, y = rng.normal(size=3), rng.normal(size=2)

    def sig(z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-z))

    def loss(weights: list[np.ndarray]) -> float:
        a = x
        for W in weights:
            a = sig(W @ a)
        return float(np.sum((a - y) ** 2))

    # The forward pass, keeping z and a; then the printed backward pass.
    z1 = Ws[0] @ x
    a1 = sig(z1)
    z2 = Ws[1] @ a1
    a2 = sig(z2)
    z3 = Ws[2] @ a2
    yhat = sig(z3)
    d3 = 2 * (yhat - y) * sig(z3) * (1 - sig(z3))
    d2 = (Ws[2].T @ d3) * sig(z2) * (1 - sig(z2))
    d1 = (Ws[1].T @ d2) * sig(z1) * (1 - sig(z1))
    grads = [np.outer(d1, x), np.outer(d2, a1), np.outer(d3, a2)]
    h = 1e-6
    for layer, grad in enumerate(grads):
        assert grad.shape == Ws[layer].shape
        numeric = np.zeros_like(grad)
        for index in np.ndindex(grad.shape):
            plus = [W.copy() for W in Ws]
            minus = [W.copy() for W in Ws]
            plus[layer][index] += h
            minus[layer][index] -= h
            numeric[index] = (loss(plus) - loss(minus)) / (2 * h)
        assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-8), f"∂L/∂W{layer + 1}"


# -- structure: titles, links, "Do next", PYQ lists, figures ------------------------------

def test_lessons_are_numbered_one_to_six_in_exercise_order() -> None:
    assert [lesson.number for lesson in LESSONS] == list(range(1, len(LESSONS) + 1)) and len(LESSONS) >= 10
    exercises = [lesson.exercise for lesson in LESSONS][:7]
    assert exercises == ["exercise1", "exercise1", "exercise2", "exercise3", "exercise4", "exercise5", "exercise6"]
    # from lesson 8 on, lesson N leads to exercise N (lesson 7 teaches exercises 6 and 7)
    assert all(lesson.exercise == f"exercise{lesson.number}" for lesson in LESSONS[7:])


def test_every_lesson_ends_with_do_next_and_its_pyqs() -> None:
    bank = {q.id: q for q in course.load_pyqs()}
    for lesson in LESSONS:
        text = lesson.text()
        assert lesson.exercise is not None, f"{lesson.name} has no 'Do next: `grade exerciseN`' line"
        try:
            resolve(lesson.exercise)
        except UnknownExercise:
            pytest.fail(f"{lesson.name}: {lesson.exercise} is not in the catalog")
        assert text.rstrip().splitlines()[-1].startswith("* `grade pyq "), f"{lesson.name} must end with its PYQs"
        expected = {q.id for q in bank.values() if lesson.relpath in q.lessons}
        assert set(lesson.pyqs) == expected, f"{lesson.name} lists {lesson.pyqs}, the bank links {expected}"


def test_lesson_images_and_links_exist() -> None:
    linked_figures = set()
    for lesson in LESSONS:
        for target in re.findall(r"\]\(([^)\s]+)\)", lesson.text()):
            if "://" in target:
                continue
            path = (lesson.path.parent / target).resolve()
            assert path.exists(), f"{lesson.name} links to missing {target}"
            if path.suffix == ".png":
                linked_figures.add(path.name)
    assert {"bowl.png", "learning_rates.png", "gd_variants.png", "neuron_graph.png"} <= linked_figures


def test_stripped_lesson_text_has_no_annotations() -> None:
    for lesson in LESSONS:
        assert "<!--" not in lesson.text()
        assert "<!--" in lesson.text(annotations=True)


def test_seed_corrections_are_taught() -> None:
    """The notes' loose claims are corrected: local ascent, not 'the peak'; flat ≠ minimum."""
    text = {lesson.number: " ".join(lesson.text().replace("*", "").split()) for lesson in LESSONS}
    assert "steepest local ascent" in text[3] and "does not: it describes the slope" in text[3]
    assert "saddle" in text[2] and "saddle" in text[3]
