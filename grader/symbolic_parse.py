"""Safe parsing and numeric evaluation of symbolic student answers.

Student text is never handed to ``eval``, ``sympify`` or ``parse_expr``: it is
parsed with :func:`ast.parse` and the SymPy expression is built node by node
from an explicit whitelist (numbers, the allowed variables, ``pi``, ``e`` and a
fixed set of functions).  SymPy objects submitted directly go through the same
validation.  Size limits keep every step cheap: SymPy evaluates numeric
constants eagerly and exactly, so ``9**9**9`` or ``exp(exp(exp(1000.0)))`` would
otherwise hang the grader.

:func:`evaluate` is the matching numeric evaluator: it computes a whitelisted
expression with NumPy at many points at once, without ``lambdify`` (which
generates and executes code) and without mpmath (which can hang on towers of
exponentials).  Non-real or undefined values come out as ``nan`` or ``inf``.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy

__all__ = [
    "ALLOWED_FUNCTIONS",
    "InvalidAnswer",
    "UnsupportedExpression",
    "evaluate",
    "parse_answer",
    "symbol_table",
    "validate_expression",
]

MAX_LENGTH = 2_000  # characters of student text
MAX_AST_NODES = 1_000
MAX_DEPTH = 100  # nesting of operators/calls in the text (sums/products are flattened)
MAX_EXPR_NODES = 5_000  # nodes of a SymPy expression (text or submitted Expr)
MAX_EXPR_DEPTH = 200
MAX_EXPONENT = 1_000  # |n| in x**n for numeric n
MAX_CONSTANT = 1e300  # magnitude of any constant sub-expression
MAX_RATIONAL_BITS = 1_100  # numerator/denominator size of exact numbers (~330 digits)


class InvalidAnswer(ValueError):
    """The answer cannot be graded; ``str(exc)`` is a student-facing explanation."""


class UnsupportedExpression(ValueError):
    """:func:`evaluate` met a node it has no numeric rule for (an author error)."""


# --------------------------------------------------------------------------
# The whitelist
# --------------------------------------------------------------------------


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    """sigma(z) = 1 / (1 + exp(-z)), expanded so SymPy can differentiate it."""
    return 1 / (1 + sympy.exp(-z))


def _relu(z: sympy.Expr) -> sympy.Expr:
    """relu(z) = max(0, z)."""
    return sympy.Max(0, z)


# name -> (builder, min arity, max arity)
_FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], int, int]] = {
    "exp": (sympy.exp, 1, 1),
    "log": (sympy.log, 1, 1),
    "ln": (sympy.log, 1, 1),
    "sqrt": (sympy.sqrt, 1, 1),
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "tanh": (sympy.tanh, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "Abs": (sympy.Abs, 1, 1),
    "sigmoid": (_sigmoid, 1, 1),
    "sigma": (_sigmoid, 1, 1),
    "σ": (_sigmoid, 1, 1),
    "relu": (_relu, 1, 1),
    # Max/Min compare their arguments via the assumptions system, which gets
    # expensive with many arguments; four is plenty for an answer.
    "max": (sympy.Max, 2, 4),
    "Max": (sympy.Max, 2, 4),
    "min": (sympy.Min, 2, 4),
    "Min": (sympy.Min, 2, 4),
    "Heaviside": (sympy.Heaviside, 1, 1),
    "sign": (sympy.sign, 1, 1),
}
ALLOWED_FUNCTIONS: tuple[str, ...] = tuple(_FUNCTIONS)

_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E, "e": sympy.E}

# Function classes an answer may contain after SymPy's own evaluation.
_ALLOWED_CLASSES: tuple[type, ...] = (
    sympy.exp,
    sympy.log,
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.Abs,
    sympy.Max,
    sympy.Min,
    sympy.Heaviside,
    sympy.sign,
)

_UNEVALUATED_NAMES = {
    "Derivative": "derivative",
    "diff": "derivative",
    "Integral": "integral",
    "integrate": "integral",
    "Subs": "substitution",
    "Limit": "limit",
    "limit": "limit",
}
_UNEVALUATED_CLASSES: tuple[tuple[type, str], ...] = (
    (sympy.Derivative, "derivative"),
    (sympy.Integral, "integral"),
    (sympy.Subs, "substitution"),
    (sympy.Limit, "limit"),
)

_NODE_KINDS: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slices",
    ast.Lambda: "lambda functions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "strings",
    ast.NamedExpr: "assignments",
    ast.Starred: "'*' unpacking",
}

_OPERATOR_SYMBOLS: dict[type, str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}

_DECIMAL_LITERAL = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

# '^' must become '**' *before* parsing: as Python's xor it binds more loosely
# than '*' and '+', so 2*x^2 would silently mean (2*x)**2.
_TEXT_REPLACEMENTS = str.maketrans(
    {"^": "**", "−": "-", "–": "-", "·": "*", "⋅": "*", "×": "*", "²": "**2", "³": "**3"}
)


def _unevaluated_message(kind: str) -> str:
    return f"Your answer still contains an unevaluated {kind}: compute it and submit the result."


def _allowed_summary(symbols: Mapping[str, sympy.Symbol]) -> str:
    variables = ", ".join(symbols) or "(none)"
    functions = ", ".join(sorted(set(_FUNCTIONS) - {"Abs", "Max", "Min", "σ"}, key=str.lower))
    return f"Allowed: variables {variables}; constants pi, e; functions {functions}."


def symbol_table(variables: Sequence[str | sympy.Symbol]) -> dict[str, sympy.Symbol]:
    """Map each variable name to the Symbol answers are built with.

    Names become plain ``Symbol(name)``; Symbols are used as given, so a caller
    can pass ``[w, x, y]`` to keep their assumptions.
    """
    if isinstance(variables, str):
        raise TypeError("variables must be a sequence of names such as ['x', 'y'], not a string")
    table: dict[str, sympy.Symbol] = {}
    for variable in variables:
        if isinstance(variable, sympy.Symbol):
            table[variable.name] = variable
        elif isinstance(variable, str) and variable.isidentifier():
            table[variable] = sympy.Symbol(variable)
        else:
            raise ValueError(f"variable must be an identifier or a sympy Symbol, got {variable!r}")
    return table


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------


def parse_answer(answer: str | sympy.Expr, variables: Sequence[str | sympy.Symbol]) -> sympy.Expr:
    """Turn a student answer into a validated SymPy expression.

    A string is parsed with a whitelist parser: numbers, the given variables,
    ``pi``, ``e``/``E``, unary ``+``/``-``, binary ``+ - * / **`` (``^`` means
    power) and calls of :data:`ALLOWED_FUNCTIONS`; ``sigmoid(z)`` is expanded
    to ``1/(1 + exp(-z))`` and ``relu(z)`` to ``Max(0, z)``.  A SymPy expression
    is accepted as-is.  Either way the result may only contain the variables,
    finite real constants and the whitelisted functions -- in particular no
    unevaluated ``Derivative``/``Integral``/``Subs``/``Limit`` -- and stays
    within fixed size limits.  Symbols are matched by name and replaced by the
    ones from :func:`symbol_table`.

    Raises:
        InvalidAnswer: with a student-facing message if any check fails.
    """
    symbols = symbol_table(variables)
    if isinstance(answer, str):
        expr = _parse_text(answer, symbols)
    elif isinstance(answer, sympy.Basic):
        expr = answer
    else:
        raise InvalidAnswer(
            "Your answer must be a formula written as a string (for example '2*x') "
            f"or a SymPy expression, not a {type(answer).__name__}."
        )
    return validate_expression(expr, symbols)


# --------------------------------------------------------------------------
# Text -> expression
# --------------------------------------------------------------------------


def _parse_text(answer: str, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    # The length check comes first so that huge inputs cost nothing.
    if len(answer) > MAX_LENGTH:
        raise InvalidAnswer(f"Your answer is too long ({len(answer)} characters; the limit is {MAX_LENGTH}).")
    text = answer.strip().translate(_TEXT_REPLACEMENTS)
    if not text:
        raise InvalidAnswer("Your answer is empty.")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise InvalidAnswer(_syntax_message(text, err)) from None
    except (RecursionError, MemoryError, ValueError):
        raise InvalidAnswer("Your answer is nested too deeply to be read.") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_AST_NODES:
        raise InvalidAnswer("Your answer is too long: please simplify it.")
    return _Builder(text, symbols).build(tree.body)


def _syntax_message(text: str, err: SyntaxError) -> str:
    """Explain a syntax error, recognising the usual notation slips."""
    if "=" in text:
        return "Write only the expression, without '=' (for example 2*x, not f' = 2*x)."
    implicit = re.search(r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*([A-Za-z_]\w*|\()", text)
    if implicit:
        number, factor = implicit.groups()
        shown = f"{factor}…" if factor == "(" else factor
        return f"Write multiplication explicitly: {number}*{shown} instead of {number}{shown}."
    if text.count("(") != text.count(")"):
        return "Check your parentheses: every '(' needs a matching ')'."
    if "too many nested" in str(err.msg):
        return "Your answer is nested too deeply to be read."
    if re.search(r"[\w)]\s+[\w(]", text):
        return "Use * between factors, for example x*y instead of x y."
    where = f" at character {err.offset}" if err.offset else ""
    return f"Could not read your answer ({err.msg}{where})."


def _split_into_names(name: str, known: Sequence[str]) -> list[str] | None:
    """Split 'wx' into ['w', 'x'] if it is a concatenation of known names.

    Dynamic programming over prefixes (no recursion, no backtracking blow-up);
    long names are not worth a hint.
    """
    if not name or len(name) > 30:
        return None
    # best[i]: a split of name[:i], or None if there is none
    best: list[list[str] | None] = [[]] + [None] * len(name)
    for end in range(1, len(name) + 1):
        for candidate in known:
            start = end - len(candidate)
            prefix = best[start] if start >= 0 else None
            if prefix is not None and name[start:end] == candidate:
                best[end] = [*prefix, candidate]
                break
    return best[len(name)]


def _implicit_multiplication(written: str, meant: str) -> InvalidAnswer:
    return InvalidAnswer(f"Write multiplication explicitly: {meant} instead of {written}.")


def _is_too_big_rational(value: sympy.Basic) -> bool:
    return bool(value.is_Rational) and max(abs(value.p), value.q).bit_length() > MAX_RATIONAL_BITS


def _is_huge_exponent(exponent: sympy.Basic) -> bool:
    """A numeric exponent with |n| > MAX_EXPONENT (nan is reported elsewhere)."""
    if not exponent.is_Number or exponent is sympy.nan:
        return False
    return not exponent.is_finite or abs(exponent) > MAX_EXPONENT


class _Builder:
    """Builds a SymPy expression from a whitelisted Python AST."""

    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol]) -> None:
        self._text = text
        self._symbols = symbols

    # -- helpers ---------------------------------------------------------
    def _segment(self, node: ast.AST) -> str:
        piece = ast.get_source_segment(self._text, node) or type(node).__name__
        return piece if len(piece) <= 40 else piece[:37] + "..."

    def _not_allowed(self, node: ast.AST) -> InvalidAnswer:
        kind = _NODE_KINDS.get(type(node), type(node).__name__)
        return InvalidAnswer(f"'{self._segment(node)}' is not allowed ({kind}). {_allowed_summary(self._symbols)}")

    # -- dispatch --------------------------------------------------------
    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise InvalidAnswer("Your answer is nested too deeply: please simplify it.")
        if isinstance(node, ast.Constant):
            expr = self._constant(node)
        elif isinstance(node, ast.Name):
            expr = self._name(node)
        elif isinstance(node, ast.UnaryOp):
            expr = self._unary(node, depth)
        elif isinstance(node, ast.BinOp):
            expr = self._binop(node, depth)
        elif isinstance(node, ast.Call):
            expr = self._call(node, depth)
        else:
            raise self._not_allowed(node)
        self._check_result(expr, node)
        return expr

    def _check_result(self, expr: sympy.Expr, node: ast.AST) -> None:
        """Reject constants that are non-real, infinite or absurdly large.

        Checked after every node so that no later step (SymPy's eager exact
        arithmetic, mpmath) ever sees such a number.
        """
        if not expr.free_symbols:
            value = float(evaluate(expr, {}, 1)[0])
            if math.isnan(value):
                raise InvalidAnswer(
                    f"'{self._segment(node)}' is not a real number "
                    "(for example the log or square root of a negative number)."
                )
            if abs(value) > MAX_CONSTANT:  # includes inf
                raise InvalidAnswer(f"The number '{self._segment(node)}' is too large.")
        # SymPy combines coefficients and exponents of its arguments, so new
        # large numbers can appear one or two levels below the top.
        for level1 in (expr, *expr.args):
            for part in (level1, *level1.args):
                if _is_too_big_rational(part) or (part.is_Pow and _is_huge_exponent(part.exp)):
                    raise InvalidAnswer(f"'{self._segment(node)}' involves numbers that are too large.")

    # -- leaves ----------------------------------------------------------
    def _constant(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
            raise InvalidAnswer(
                f"'{self._segment(node)}' is not allowed: use only numbers, variables and functions. "
                + _allowed_summary(self._symbols)
            )
        if isinstance(value, complex):
            raise InvalidAnswer("Complex numbers (like 1j) are not allowed.")
        # Python also reads 0x1f, 0b11 and 1_000; a student writing those has
        # almost certainly mistyped something.
        if not _DECIMAL_LITERAL.fullmatch(ast.get_source_segment(self._text, node) or ""):
            raise InvalidAnswer(f"Write numbers in plain decimal notation (got '{self._segment(node)}').")
        if isinstance(value, int):
            if value.bit_length() > MAX_RATIONAL_BITS:
                raise InvalidAnswer(f"The number '{self._segment(node)}' is too large.")
            return sympy.Integer(value)
        if not math.isfinite(value) or abs(value) > MAX_CONSTANT:
            raise InvalidAnswer(f"The number '{self._segment(node)}' is too large.")
        return sympy.Float(value)

    def _name(self, node: ast.Name) -> sympy.Expr:
        name = node.id
        if name in self._symbols:
            return self._symbols[name]
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _FUNCTIONS:
            raise InvalidAnswer(f"'{name}' is a function: call it with parentheses, e.g. {name}(x).")
        if name in _UNEVALUATED_NAMES:
            raise InvalidAnswer(_unevaluated_message(_UNEVALUATED_NAMES[name]))
        parts = _split_into_names(name, [*self._symbols, *_CONSTANTS])
        if parts and len(parts) > 1:
            raise _implicit_multiplication(name, "*".join(parts))
        shown = name if len(name) <= 30 else name[:27] + "..."
        raise InvalidAnswer(f"Unknown name '{shown}'. {_allowed_summary(self._symbols)}")

    # -- operators -------------------------------------------------------
    def _unary(self, node: ast.UnaryOp, depth: int) -> sympy.Expr:
        if isinstance(node.op, ast.USub):
            return -self.build(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return self.build(node.operand, depth + 1)
        raise self._operator_not_allowed(node.op)

    def _operator_not_allowed(self, op: ast.AST) -> InvalidAnswer:
        symbol = _OPERATOR_SYMBOLS.get(type(op), type(op).__name__)
        return InvalidAnswer(f"The operator '{symbol}' is not allowed; use + - * / and ** (or ^) only.")

    def _binop(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return self._sum(node, depth)
        if isinstance(node.op, (ast.Mult, ast.Div)):
            return self._product(node, depth)
        if isinstance(node.op, ast.Pow):
            return self._power(node, depth)
        raise self._operator_not_allowed(node.op)

    @staticmethod
    def _spine(node: ast.BinOp, ops: tuple[type, ...]) -> tuple[ast.AST, list[tuple[ast.operator, ast.AST]]]:
        """Unroll a left-associative chain a op b op c ... iteratively.

        Long sums like 'x + x + ... + x' are left-nested in the AST; walking
        them recursively would count every term as a nesting level.
        """
        tail: list[tuple[ast.operator, ast.AST]] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ops):
            tail.append((current.op, current.right))
            current = current.left
        tail.reverse()
        return current, tail

    def _sum(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        head, tail = self._spine(node, (ast.Add, ast.Sub))
        terms = [self.build(head, depth + 1)]
        for op, right in tail:
            term = self.build(right, depth + 1)
            terms.append(term if isinstance(op, ast.Add) else -term)
        return sympy.Add(*terms)

    def _product(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        head, tail = self._spine(node, (ast.Mult, ast.Div))
        # Python reads -(x + y)*z as (-(x + y))*z, and SymPy would distribute
        # that -1 into the sum; as one factor of the product it stays put, so
        # str(expr) of a SymPy result parses back to the identical expression.
        negative = False
        while isinstance(head, ast.UnaryOp) and isinstance(head.op, (ast.USub, ast.UAdd)):
            negative ^= isinstance(head.op, ast.USub)
            head = head.operand
        factors = [sympy.S.NegativeOne] if negative else []
        factors.append(self.build(head, depth + 1))
        for op, right in tail:
            factor = self.build(right, depth + 1)
            if isinstance(op, ast.Div):
                if factor.is_zero:
                    raise InvalidAnswer(f"'{self._segment(node)}' divides by zero.")
                factor = sympy.Pow(factor, -1)
            factors.append(factor)
        return sympy.Mul(*factors)

    def _power(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        base = self.build(node.left, depth + 1)
        exponent = self.build(node.right, depth + 1)
        if _is_huge_exponent(exponent):
            raise InvalidAnswer(f"The exponent in '{self._segment(node)}' is too large (the limit is {MAX_EXPONENT}).")
        if base.is_Rational and exponent.is_Rational:
            # SymPy would compute base**exponent exactly; estimate its size first.
            bits = max(abs(base.p), base.q).bit_length() * abs(float(exponent))
            if bits > MAX_RATIONAL_BITS:
                raise InvalidAnswer(f"The number '{self._segment(node)}' is too large.")
        if base.is_zero and exponent.is_negative:
            raise InvalidAnswer(f"'{self._segment(node)}' divides by zero.")
        return sympy.Pow(base, exponent)

    # -- calls -----------------------------------------------------------
    def _call(self, node: ast.Call, depth: int) -> sympy.Expr:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise self._not_allowed(func)
            # '2(x+1)' or '(x+1)(x-1)': implicit multiplication
            args = ", ".join(self._segment(arg) for arg in node.args)
            left = self._segment(func)
            if isinstance(func, (ast.BinOp, ast.UnaryOp)):
                left = f"({left})"  # the segment excludes the parentheses
            raise _implicit_multiplication(self._segment(node), f"{left}*({args})")
        name = func.id
        if name in _UNEVALUATED_NAMES:
            raise InvalidAnswer(_unevaluated_message(_UNEVALUATED_NAMES[name]))
        if name not in _FUNCTIONS:
            if name in self._symbols or name in _CONSTANTS:
                args = ", ".join(self._segment(arg) for arg in node.args)
                raise InvalidAnswer(f"'{name}' is not a function: to multiply, write {name}*({args}).")
            shown = name if len(name) <= 30 else name[:27] + "..."
            raise InvalidAnswer(f"Unknown function '{shown}'. {_allowed_summary(self._symbols)}")
        if node.keywords:
            raise InvalidAnswer(f"Keyword arguments are not allowed (in '{self._segment(node)}').")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._not_allowed(arg)
        builder, low, high = _FUNCTIONS[name]
        if not low <= len(node.args) <= high:
            expected = f"{low}" if low == high else f"{low} to {high}"
            plural = "" if high == 1 else "s"
            raise InvalidAnswer(f"{name} takes {expected} argument{plural}, got {len(node.args)}.")
        args = [self.build(arg, depth + 1) for arg in node.args]
        return builder(*args)


# --------------------------------------------------------------------------
# Validation of finished expressions (parsed or submitted as SymPy objects)
# --------------------------------------------------------------------------


def validate_expression(expr: sympy.Basic, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Check that ``expr`` only uses whitelisted pieces; return it with our Symbols.

    Raises:
        InvalidAnswer: naming the first offending piece.
    """
    if not isinstance(expr, sympy.Expr):
        raise InvalidAnswer(f"Your answer must be a single expression, not a {type(expr).__name__}.")
    # Iterative walk: submitted expressions can be arbitrarily deep.
    stack: list[tuple[sympy.Basic, int]] = [(expr, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_EXPR_NODES or depth > MAX_EXPR_DEPTH:
            raise InvalidAnswer("Your answer is too large: please simplify it.")
        problem = _node_problem(node, symbols)
        if problem:
            raise InvalidAnswer(problem)
        stack.extend((arg, depth + 1) for arg in node.args)
    renames = {sym: symbols[sym.name] for sym in expr.free_symbols if symbols[sym.name] is not sym}
    return expr.xreplace(renames) if renames else expr


def _node_problem(node: sympy.Basic, symbols: Mapping[str, sympy.Symbol]) -> str | None:
    """Why ``node`` may not appear in an answer, or None if it may."""
    for cls, kind in _UNEVALUATED_CLASSES:
        if isinstance(node, cls):
            return _unevaluated_message(kind)
    if not isinstance(node, sympy.Expr):
        return f"Your answer must be a single expression; it contains a {type(node).__name__}."
    if isinstance(node, sympy.Symbol):
        if node.name in symbols:
            return None
        return f"Unknown symbol '{node.name}'. {_allowed_summary(symbols)}"
    if node is sympy.I:
        return "Complex numbers are not allowed."
    if node.is_Number:
        if not node.is_finite:
            return "Your answer is undefined or infinite (for example a division by zero)."
        if _is_too_big_rational(node):
            return "Your answer contains a number that is too large."
        return None
    if node is sympy.pi or node is sympy.E:
        return None
    if node.is_Add or node.is_Mul:
        return None
    if node.is_Pow:
        if _is_huge_exponent(node.exp):
            return f"An exponent in your answer is too large (the limit is {MAX_EXPONENT})."
        return None
    if isinstance(node, _ALLOWED_CLASSES):
        return None
    if node.is_number and not node.is_finite:
        return "Your answer is undefined or infinite (for example a division by zero)."
    return f"'{type(node).__name__}' is not allowed in an answer. {_allowed_summary(symbols)}"


# --------------------------------------------------------------------------
# Numeric evaluation
# --------------------------------------------------------------------------

Array = np.ndarray
_EPS = float(np.finfo(float).eps)


def _one(u: Array, v: Array) -> Array:
    return np.ones_like(u)


# class -> (function, |f'(u)| as a function of u and v = f(u)); the slope
# propagates the rounding error of the argument (see evaluate_with_error).
_UNARY: dict[type, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    sympy.exp: (np.exp, lambda u, v: np.abs(v)),
    sympy.log: (np.log, lambda u, v: 1 / np.abs(u)),
    sympy.sin: (np.sin, _one),
    sympy.cos: (np.cos, _one),
    sympy.tan: (np.tan, lambda u, v: 1 + v * v),
    sympy.sinh: (np.sinh, lambda u, v: np.cosh(u)),
    sympy.cosh: (np.cosh, lambda u, v: np.abs(np.sinh(u))),
    sympy.tanh: (np.tanh, lambda u, v: 1 - v * v),
    sympy.Abs: (np.abs, _one),
    # Not allowed in answers, but exercise authors may use them in expected values.
    sympy.asin: (np.arcsin, lambda u, v: 1 / np.sqrt(1 - u * u)),
    sympy.acos: (np.arccos, lambda u, v: 1 / np.sqrt(1 - u * u)),
    sympy.atan: (np.arctan, lambda u, v: 1 / (1 + u * u)),
    sympy.asinh: (np.arcsinh, lambda u, v: 1 / np.sqrt(1 + u * u)),
    sympy.acosh: (np.arccosh, lambda u, v: 1 / np.sqrt(u * u - 1)),
    sympy.atanh: (np.arctanh, lambda u, v: 1 / np.abs(1 - u * u)),
}
# Step functions: (function, jump height) -- rounding can flip them near 0.
_STEPS: dict[type, tuple[Callable[[Array, Array], Array], float]] = {
    sympy.sign: (lambda u, at_zero: np.sign(u), 2.0),
    sympy.Heaviside: (np.heaviside, 1.0),
}


def evaluate(expr: sympy.Expr, values: Mapping[str, Array], size: int) -> Array:
    """Evaluate ``expr`` in float64 at ``size`` points.

    ``values`` maps symbol *names* to arrays of length ``size``.  Values that
    are not real (log of a negative, x**(1/2) for x < 0) become ``nan`` and
    overflows ``inf``; nothing raises for numeric reasons.

    Raises:
        UnsupportedExpression: for nodes outside the whitelist.
    """
    return evaluate_with_error(expr, values, size)[0]


def evaluate_with_error(expr: sympy.Expr, values: Mapping[str, Array], size: int) -> tuple[Array, Array]:
    """Like :func:`evaluate`, plus a first-order bound on the rounding error.

    The bound follows the usual forward error analysis: a sum contributes
    eps * sum(|terms|) (this is what flags catastrophic cancellation, e.g. an
    expanded (x - 3)**12 near x = 3), a product adds relative errors, and a
    function f(u) scales the error of u by |f'(u)|.  ``inf`` means unknown
    (e.g. a step function evaluated within rounding distance of its jump).
    """
    with np.errstate(all="ignore"):
        value, error = _evaluate(expr, values)
        value = np.broadcast_to(np.asarray(value, dtype=float), (size,))
        error = np.broadcast_to(np.asarray(error, dtype=float), (size,))
        error = np.where(np.isnan(error), np.inf, error)
    return value, error


def _number(expr: sympy.Expr) -> np.float64:
    if expr.is_Rational:
        try:
            return np.float64(expr.p / expr.q)
        except OverflowError:
            return np.float64(math.copysign(math.inf, expr.p))
    if expr.is_Number:
        return np.float64(float(expr))  # Float, oo, nan; mpmath gives inf on overflow
    if expr in (sympy.zoo, sympy.nan, sympy.I):
        return np.float64(math.nan)
    if expr is sympy.pi:
        return np.float64(math.pi)
    if expr is sympy.E:
        return np.float64(math.e)
    if isinstance(expr, sympy.NumberSymbol):
        return np.float64(float(expr))
    raise UnsupportedExpression(f"cannot evaluate {type(expr).__name__} numerically")


def _evaluate(expr: sympy.Expr, values: Mapping[str, Array]) -> tuple[Array, Array]:
    """(value, error bound); scalars broadcast against the point arrays."""
    if isinstance(expr, sympy.Symbol):
        if expr.name not in values:
            raise UnsupportedExpression(f"symbol {expr.name!r} is not one of the variables")
        return values[expr.name], np.float64(0.0)
    if expr.is_Atom:
        value = _number(expr)
        exact = expr.is_Integer and abs(expr.p) < 2**53
        return value, np.float64(0.0 if exact else _EPS * abs(value))
    parts = [_evaluate(arg, values) for arg in expr.args]
    args = [v for v, _ in parts]
    errors = [err for _, err in parts]
    if expr.is_Add:
        value = functools.reduce(np.add, args)
        magnitude = functools.reduce(np.add, [np.abs(v) for v in args])
        return value, sum(errors) + len(args) * _EPS * magnitude
    if expr.is_Mul:
        return _product(args, errors)
    if expr.is_Pow:
        return _power(args[0], args[1], errors[0], errors[1])
    func = type(expr)
    if func in _UNARY:
        function, slope = _UNARY[func]
        value = function(args[0])
        return value, slope(args[0], value) * errors[0] + _EPS * np.abs(value)
    if func in _STEPS:
        function, jump = _STEPS[func]
        at_zero = args[1] if len(args) > 1 else 0.5
        value = function(args[0], at_zero)
        return value, np.where(np.abs(args[0]) <= errors[0], jump, 0.0)
    if func in (sympy.Max, sympy.Min):
        combine = np.maximum if func is sympy.Max else np.minimum
        return functools.reduce(combine, args), functools.reduce(np.maximum, errors)
    raise UnsupportedExpression(f"cannot evaluate {func.__name__} numerically")


def _product(args: list[Array], errors: list[Array]) -> tuple[Array, Array]:
    """Value and error of a product: err = sum_i err_i * prod_{j != i} |v_j|."""
    sizes = [np.abs(v) for v in args]
    before = [np.float64(1.0)]
    for size in sizes[:-1]:
        before.append(before[-1] * size)
    after = [np.float64(1.0)]
    for size in reversed(sizes[1:]):
        after.append(after[-1] * size)
    after.reverse()
    value = functools.reduce(np.multiply, args)
    error = sum(err * b * a for err, b, a in zip(errors, before, after, strict=True))
    return value, error + len(args) * _EPS * np.abs(value)


def _power(base: Array, exponent: Array, base_error: Array, exponent_error: Array) -> tuple[Array, Array]:
    """Value and error of base**exponent (relative errors: |p| * rel(b) + |log b| * err(p))."""
    value = np.power(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))
    size = np.abs(value)
    relative = np.abs(exponent) * base_error / np.abs(base)
    relative = relative + np.abs(np.log(np.abs(base))) * exponent_error
    error = np.where(size == 0, 0.0, size * relative) + _EPS * size
    return value, error
