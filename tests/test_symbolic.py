"""Tests for grader.symbolic: safe parsing, equivalence, diagnosis, time bound."""

from __future__ import annotations

import cmath
import math
import os
import re
import time
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import symbolic
from grader.symbolic import (
    InvalidAnswer,
    call_with_timeout,
    check_derivative,
    check_equivalent,
    inner_derivative_mistakes,
    parse_answer,
)

w, x, y, z = sympy.symbols("w x y z")
VARS = ["w", "x", "y", "z"]
LOSS = (w * x - y) ** 2  # squared error of a one-weight neuron
SIGMOID = 1 / (1 + sympy.exp(-z))
NEURON = 1 / (1 + sympy.exp(-(w * x + y)))


def value_at(expr: sympy.Expr, point: dict[str, float]) -> float:
    """Evaluate with SymPy itself (independent of the grader's evaluator)."""
    return float(expr.subs({sympy.Symbol(name): value for name, value in point.items()}).evalf(30))


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        2 * x * sympy.exp(-(x**2)),
        SIGMOID,
        sympy.diff(SIGMOID, z),
        -2 * (-w * x + y) * x,
        sympy.Abs(x),
        x / 2,
        sympy.Float(0.5) * x,
        sympy.Rational(3, 7) * x ** sympy.Rational(1, 3),
        sympy.sqrt(x**2 + 1),
        sympy.pi * sympy.E * x,
        sympy.exp(x),
        sympy.diff(sympy.tanh(w * x), x),
        sympy.Heaviside(x),
        sympy.sign(x) * sympy.log(x),
        sympy.Max(0, x),
        x ** (-2),
        sympy.Float(1.5e-7) * y + sympy.Float(1e30) * x,
    ],
    ids=str,
)
def test_str_of_sympy_results_parses_back_exactly(expr):
    assert parse_answer(str(expr), VARS) == expr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2*x^2", 2 * x**2),  # ^ is power with math precedence, not (2*x)**2
        ("-x^2", -(x**2)),
        ("2^3^2", sympy.Integer(512)),
        ("sigmoid(z)", SIGMOID),
        ("sigma(z)", SIGMOID),
        ("σ(z)", SIGMOID),
        ("relu(x)", sympy.Max(0, x)),
        ("ln(x)", sympy.log(x)),
        ("abs(x)", sympy.Abs(x)),
        ("max(x, y)", sympy.Max(x, y)),
        ("e**x", sympy.exp(x)),
        ("E*pi", sympy.E * sympy.pi),
        ("2·x − 1", 2 * x - 1),
        ("x²", x**2),
        ("((((x))))", x),
    ],
)
def test_notation_conveniences(text, expected):
    assert parse_answer(text, VARS) == expected


def test_variable_named_e_shadows_the_constant():
    e = sympy.Symbol("e")
    assert parse_answer("e*x", ["e", "x"]) == e * x


def test_expr_answers_are_validated_and_matched_by_name():
    real_x = sympy.Symbol("x", real=True)
    parsed = parse_answer(3 * real_x, VARS)
    assert parsed == 3 * x  # the plain Symbol named x
    with pytest.raises(InvalidAnswer, match="Unknown symbol 'q'"):
        parse_answer(sympy.Symbol("q") * x, VARS)
    with pytest.raises(InvalidAnswer, match="'f' is not allowed"):
        parse_answer(sympy.Function("f")(x), VARS)


@pytest.mark.parametrize(
    "answer",
    [
        sympy.Derivative(x**2, x),
        sympy.Derivative(LOSS, w) + 1,
        "Derivative(x**2, x)",
        "diff(x**2, x)",
    ],
    ids=str,
)
def test_unevaluated_derivative_is_invalid(answer):
    with pytest.raises(InvalidAnswer, match="unevaluated derivative"):
        parse_answer(answer, VARS)
    verdict = check_derivative(answer, x**3, "x", VARS)
    assert verdict.status == "invalid"
    assert "unevaluated derivative" in verdict.message


def test_unevaluated_integral_is_invalid():
    with pytest.raises(InvalidAnswer, match="unevaluated integral"):
        parse_answer(sympy.Integral(x, x), VARS)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("2x", "2*x"),
        ("3 x", "3*x"),
        ("wx", "w*x"),
        ("2(x + 1)", "2*(x + 1)"),
        ("(x + 1)(x - 1)", "(x + 1)*(x - 1)"),
        ("x(y + 1)", "x*(y + 1)"),
        ("x y", "x*y"),
    ],
)
def test_implicit_multiplication_is_rejected_with_a_hint(text, hint):
    with pytest.raises(InvalidAnswer, match=r"multipl|between factors") as info:
        parse_answer(text, VARS)
    assert hint in str(info.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("__import__('os').system('echo hi')", "__import__('os').system"),
        ("().__class__", "().__class__"),
        ("lambda: 0", "lambda"),
        ("[x for x in ()]", "[x for x in ()]"),
        ("x.real", "x.real"),
        ("open('f')", "open"),
        ("foo", "foo"),
        ("x[0]", "x[0]"),
        ("x if y else w", "x if y else w"),
        ("'x'", "'x'"),
        ("x == 1", "x == 1"),
        ("sin(x=1)", "Keyword"),
        ("x // 2", "//"),
        ("0x1f", "0x1f"),
        ("1j*x", "Complex"),
        ("(x := 1)", "x := 1"),
    ],
)
def test_forbidden_constructs_are_named(text, named):
    with pytest.raises(InvalidAnswer) as info:
        parse_answer(text, VARS)
    assert named in str(info.value)


def test_unknown_names_list_what_is_allowed():
    with pytest.raises(InvalidAnswer) as info:
        parse_answer("open('f')", VARS)
    message = str(info.value)
    for allowed in ("w, x, y, z", "pi", "exp", "sigmoid", "sqrt"):
        assert allowed in message


HOSTILE = [
    "__import__('os').system('echo hi')",
    "().__class__.__base__.__subclasses__()",
    "lambda: 0",
    "[x for x in ()]",
    "x.real",
    "open('f')",
    "9**9**9",
    "x**(10**9)",
    "x**100000",
    "(10**300)**2",
    "(1/10**300)**1000",
    "exp(exp(exp(1000.0)))",
    "1e400",
    "x**1000 * x**1000",
    "(" * 10_000 + "x" + ")" * 10_000,
    "x" * 100_000,
    "-" * 1500 + "x",
    "exp(" * 150 + "x" + ")" * 150,
    "+".join(["x"] * 900),
    "1/0",
    "log(-1)",
    "",
    "   ",
    "x +",
    "y = 2*x",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: text[:30])
def test_hostile_strings_are_invalid_quickly(text):
    start = time.perf_counter()
    verdict = check_equivalent(text, 2 * x, VARS)
    assert verdict.status == "invalid"
    assert verdict.answer is None and verdict.message
    # A guard against strings that make the parser or sympy run away (9**9**9 would take hours), not a
    # speed measurement: a refusal takes milliseconds to a few tenths of a second on an idle machine,
    # and CI's loaded 2 cores once took 0.63 s for the 900-term sum.
    assert time.perf_counter() - start < 3.0


def test_hostile_strings_execute_nothing(tmp_path: Path):
    marker = tmp_path / "pwned"
    attempts = [
        f"__import__('pathlib').Path({str(marker)!r}).touch()",
        f"open({str(marker)!r}, 'w')",
        f"[__import__('pathlib').Path({str(marker)!r}).touch() for _ in (1,)]",
        f"(lambda: __import__('pathlib').Path({str(marker)!r}).touch())()",
    ]
    for text in attempts:
        assert check_equivalent(text, x, VARS).status == "invalid"
    assert not marker.exists()


@pytest.mark.parametrize("answer", [None, 3.5, 2, ["2*x"], b"2*x", sympy.Eq(x, 1), sympy.Matrix([x])], ids=repr)
def test_non_formula_answers_are_invalid_not_exceptions(answer):
    verdict = check_derivative(answer, x**2, "x", VARS)
    assert verdict.status == "invalid"
    assert verdict.message


# --------------------------------------------------------------------------
# Equivalence
# --------------------------------------------------------------------------


def test_correct_answer_as_string_and_as_expr():
    expected = sympy.diff(LOSS, w)
    assert check_derivative("2*(w*x - y)*x", LOSS, "w", VARS).method == "identical"
    assert check_derivative("2*(w*x - y)*x", LOSS, "w", VARS).status == "equivalent"
    verdict = check_derivative(expected, LOSS, "w", VARS)
    assert verdict.status == "equivalent"
    assert verdict.expected == expected
    assert verdict.counterexample is None and verdict.diagnosis is None


@pytest.mark.parametrize(
    ("answer", "function", "wrt"),
    [
        ("2*w*x**2 - 2*x*y", LOSS, "w"),
        ("-2*(y - w*x)*x", LOSS, "w"),
        ("sigmoid(z)*(1 - sigmoid(z))", SIGMOID, "z"),
        ("exp(-z)/(1 + exp(-z))**2", SIGMOID, "z"),
        ("sigmoid(w*x + y)*(1 - sigmoid(w*x + y))*x", NEURON, "w"),
        ("1/cosh(x)**2", sympy.tanh(x), "x"),
        ("-2*x*e^(-x^2)", sympy.exp(-(x**2)), "x"),
        ("0.5*x**(-0.5)", sympy.sqrt(x), "x"),
        ("x/sqrt(x^2 + 1)", sympy.sqrt(x**2 + 1), "x"),
    ],
)
def test_differently_written_correct_answers_are_equivalent(answer, function, wrt):
    verdict = check_derivative(answer, function, wrt, VARS)
    assert verdict.status == "equivalent", verdict.message
    assert verdict.method in {"identical", "numeric+simplify", "numeric+inconclusive", "numeric"}


def test_expanded_polynomial_is_not_failed_by_rounding():
    # Expanded, (x - 3)**12 cancels catastrophically near x = 3 in float64.
    assert check_equivalent("(x - 3)**12", sympy.expand((x - 3) ** 12), VARS).status == "equivalent"
    expected = sympy.diff(sympy.expand((x - 3) ** 13), x)
    assert check_equivalent("13*(x - 3)**12", expected, VARS).status == "equivalent"


@pytest.mark.parametrize(
    ("answer", "function", "wrt"),
    [
        ("2*(w*x - y)*x + 1", LOSS, "w"),
        ("2*(w*x + y)*x", LOSS, "w"),
        ("sigmoid(z)*(1 + sigmoid(z))", SIGMOID, "z"),
        ("x**2", x**3, "x"),
        ("Abs(x)", x**2 / 2, "x"),  # agrees for x > 0 only
    ],
)
def test_wrong_answers_get_a_true_counterexample(answer, function, wrt):
    start = time.perf_counter()
    verdict = check_derivative(answer, function, wrt, VARS)
    elapsed = time.perf_counter() - start
    assert verdict.status == "different"
    assert verdict.method == "numeric"  # decided at sample points, without a child process
    assert elapsed < 2.0  # a hang guard, not a speed measurement (tenths of a second when idle)
    point = verdict.counterexample
    assert point
    mine = value_at(parse_answer(answer, VARS), point)
    correct = value_at(sympy.diff(function, sympy.Symbol(wrt)), point)
    assert not math.isclose(mine, correct, rel_tol=1e-6, abs_tol=1e-9)
    assert "your answer evaluates to" in verdict.message
    assert symbolic._format_number(correct) in verdict.message


def test_answer_undefined_where_expected_is_defined_is_different():
    verdict = check_equivalent("log(x)", sympy.log(sympy.Abs(x)), VARS)
    assert verdict.status == "different"
    assert verdict.counterexample["x"] < 0
    assert "undefined" in verdict.message


def test_tiny_differences_are_confirmed_in_high_precision():
    verdict = check_equivalent("3.14159*x", sympy.pi * x, VARS)
    assert verdict.status == "different"
    assert verdict.method == "numeric+high-precision"
    mine, correct = (value_at(expr, verdict.counterexample) for expr in (3.14159 * x, sympy.pi * x))
    assert mine != pytest.approx(correct, rel=1e-9)
    shown = re.findall(r"evaluates to (\S+) but the correct value is (\S+)\.$", verdict.message)
    assert shown and shown[0][0] != shown[0][1]  # enough digits to see the difference
    assert "exact constants" in verdict.diagnosis


def test_expected_undefined_almost_everywhere_falls_back_to_simplify():
    verdict = check_equivalent("log(x - 10)", sympy.log(x - 10), VARS)
    assert verdict.status == "equivalent"
    verdict = check_equivalent("log(x - 10) + 1", sympy.log(x - 10), VARS)
    assert verdict.status == "different" and verdict.method == "simplify"


def test_author_text_is_accepted_for_expected_function_and_mistakes():
    verdict = check_derivative(
        "(w*x - y)*x",
        "(w*x - y)**2",
        "w",
        ["w", "x", "y"],
        mistakes=[("(w*x - y)*x", "You dropped the factor 2.")],
    )
    assert verdict.diagnosis == "You dropped the factor 2."
    assert check_equivalent("x + x", "2*x", ["x"]).status == "equivalent"


def test_kinks_from_author_text_use_real_variables():
    # With complex symbols diff(Abs(u)) would contain re(), im() and Derivative.
    verdict = check_derivative("sign(w*x - y)*x", "Abs(w*x - y)", "w", ["w", "x", "y"])
    assert verdict.status == "equivalent"
    assert verdict.expected.free_symbols <= {sympy.Symbol(n, real=True) for n in "wxy"}
    verdict = check_derivative("sign(w*x - y)", "Abs(w*x - y)", "w", ["w", "x", "y"])
    assert verdict.status == "different" and "inner derivative" in verdict.diagnosis
    assert check_derivative("Heaviside(x)", "relu(x)", "x", ["x"]).status == "equivalent"
    assert check_derivative("Heaviside(-x)", "relu(x)", "x", ["x"]).status == "different"


def test_author_errors_raise():
    with pytest.raises(ValueError, match="not among the variables"):
        check_equivalent("2*x", 2 * x * y, ["x"])
    with pytest.raises(ValueError, match="wrt="):
        check_derivative("2*x", x**2, "q", ["x"])
    with pytest.raises(ValueError, match="not a valid formula"):
        check_equivalent("2*x", "2x", ["x"])


# --------------------------------------------------------------------------
# Diagnosis
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("-2*(w*x - y)*x", "Sign error"),
        ("4*(w*x - y)*x", "twice"),
        ("(w*x - y)*x", "half"),
        ("3*(w*x - y)*x", "3/2 times"),
        ("2*(w*x - y)*x + 5", "by the constant 5"),
        ("2*(w*x - y)*w", "with respect to x"),
        ("-2*(w*x - y)", "with respect to y"),
        ("(w*x - y)**2", "returned the function"),
        ("0", "Your answer is 0"),
        ("2*(w*x - y)", "inner derivative"),
    ],
)
def test_generic_diagnoses_for_a_derivative(answer, fragment):
    verdict = check_derivative(answer, LOSS, "w", ["w", "x", "y"])
    assert verdict.status == "different"
    assert verdict.diagnosis and fragment in verdict.diagnosis
    assert verdict.diagnosis not in verdict.message  # shown separately


def test_unexplained_mistake_has_no_diagnosis():
    verdict = check_derivative("x**2 + 7*y", LOSS, "w", ["w", "x", "y"])
    assert verdict.status == "different"
    assert verdict.diagnosis is None


def test_exercise_mistakes_come_first():
    expected = sympy.diff(LOSS, w)
    verdict = check_derivative(
        -expected,
        LOSS,
        "w",
        ["w", "x", "y"],
        mistakes={"The outer derivative of u² is 2u with u = w·x − y, not y − w·x.": -expected},
    )
    assert verdict.diagnosis == "The outer derivative of u² is 2u with u = w·x − y, not y − w·x."


def test_missing_inner_derivative_supplied_by_the_exercise():
    message = "You forgot the inner derivative ∂(w·x − y)/∂w = x."
    verdict = check_equivalent("2*(w*x - y)", sympy.diff(LOSS, w), ["w", "x", "y"], mistakes={message: 2 * (w * x - y)})
    assert verdict.status == "different"
    assert verdict.diagnosis == message


def test_inner_derivative_helper_builds_the_chain_rule_mistake():
    mistakes = inner_derivative_mistakes(LOSS, "w")
    assert len(mistakes) == 1
    ((message, wrong),) = mistakes.items()
    assert sympy.expand(wrong - 2 * (w * x - y)) == 0
    assert "w*x - y" in message and "= x" in message

    halved = inner_derivative_mistakes(sympy.Rational(1, 2) * LOSS + 3, "w")
    assert [sympy.expand(v - (w * x - y)) for v in halved.values()] == [0]

    neuron = inner_derivative_mistakes(NEURON, "w")
    sigma = NEURON
    assert any(sympy.simplify(v - sigma * (1 - sigma)) == 0 for v in neuron.values())

    assert list(inner_derivative_mistakes(sympy.exp(-(x**2)), "x").values()) == [sympy.exp(-(x**2))]
    assert list(inner_derivative_mistakes(sympy.log(3 * x + 1), "x").values()) == [1 / (3 * x + 1)]


@pytest.mark.parametrize("function", [x**2, x + 1, sympy.exp(x), (x + y) ** 2, x**2 + sympy.sin(2 * x)], ids=str)
def test_inner_derivative_helper_skips_trivial_and_compound_cases(function):
    assert inner_derivative_mistakes(function, "x") == {}


def test_check_derivative_uses_the_helper_for_the_sigmoid_neuron():
    verdict = check_derivative("sigmoid(w*x + y)*(1 - sigmoid(w*x + y))", NEURON, "w", ["w", "x", "y"])
    assert verdict.status == "different"
    assert "inner derivative" in verdict.diagnosis and "= x" in verdict.diagnosis


# --------------------------------------------------------------------------
# The time bound
# --------------------------------------------------------------------------


def _sleep_forever(*args):
    """Stands in for a slow exact check or simplify; runs in the forked child."""
    Path(os.environ["SYMBOLIC_TEST_PID_FILE"]).write_text(str(os.getpid()))
    time.sleep(60)
    return True


def test_slow_simplify_is_killed_and_numeric_verdict_stands(monkeypatch, tmp_path):
    pid_file = tmp_path / "child.pid"
    monkeypatch.setenv("SYMBOLIC_TEST_PID_FILE", str(pid_file))
    monkeypatch.setattr(symbolic, "_exact_check", _sleep_forever)
    monkeypatch.setattr(symbolic, "_prove_equal", _sleep_forever)
    start = time.perf_counter()
    verdict = check_equivalent("2*(w*x - y)*x", sympy.expand(sympy.diff(LOSS, w)), VARS, timeout=0.3)
    elapsed = time.perf_counter() - start
    assert verdict.status == "equivalent"
    assert verdict.method == "numeric"
    assert 0.3 <= elapsed < 3.0  # waited for the timeout, then stopped the child that sleeps forever
    child = int(pid_file.read_text())  # the child really ran ...
    with pytest.raises(ProcessLookupError):  # ... and was killed and reaped
        os.kill(child, 0)


def test_genuinely_slow_simplification_is_bounded():
    # simplify needs several seconds to (fail to) match tanh with its exp form
    expected = sympy.diff(sympy.tanh(w * x - y) ** 3, x)
    answer = str(expected.rewrite(sympy.exp))
    start = time.perf_counter()
    verdict = check_equivalent(answer, expected, VARS, timeout=0.5)
    elapsed = time.perf_counter() - start
    assert verdict.status == "equivalent"
    assert verdict.method == "numeric"
    assert elapsed < 3.0  # simplify alone needs several seconds: the 0.5 s timeout must cut it short


def test_unfinished_high_precision_recheck_keeps_the_float_difference(monkeypatch):
    monkeypatch.setattr(symbolic, "_differ_in_high_precision", lambda *args: time.sleep(60))
    start = time.perf_counter()
    verdict = check_equivalent("3.14159*x", sympy.pi * x, VARS, timeout=0.3)
    assert time.perf_counter() - start < 3.0  # the recheck sleeps 60 s: the 0.3 s timeout must end it
    assert verdict.status == "different" and verdict.method == "numeric+high-precision"


def test_a_crashing_symbolic_step_does_not_change_the_verdict(monkeypatch):
    def crash(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(symbolic, "_exact_check", crash)
    monkeypatch.setattr(symbolic, "_prove_equal", crash)
    monkeypatch.setattr(symbolic, "_PROVEN_EQUAL", {})  # no proof remembered from an earlier test
    verdict = check_equivalent("2*w*x**2 - 2*x*y", sympy.diff(LOSS, w), VARS)
    assert verdict.status == "equivalent" and verdict.method == "numeric"


def test_a_proven_equality_is_remembered_and_a_difference_is_not(monkeypatch):
    monkeypatch.setattr(symbolic, "_PROVEN_EQUAL", {})
    children = []
    real = symbolic.call_with_timeout

    def counting(fn, timeout):
        children.append(fn)
        return real(fn, timeout)

    monkeypatch.setattr(symbolic, "call_with_timeout", counting)
    expected = sympy.diff(LOSS, w)
    first = check_equivalent("2*w*x**2 - 2*x*y", expected, VARS)
    forks = len(children)
    again = check_equivalent("2*w*x**2 - 2*x*y", expected, VARS)
    assert first.correct and again.correct and first.method == again.method
    assert forks >= 1 and len(children) == forks  # the second check needed no proof child
    # The same answer against another expected expression is a new question.
    assert not check_equivalent("2*w*x**2 - 2*x*y", 2 * expected, VARS).correct
    # A polynomial that agrees with the answer at its sample points is still caught every time.
    sneaky = "2*w*x**2 - 2*x*y + 1e-12*(w - 1)*(w - 2)*(w - 3)"
    for _ in range(2):
        assert not check_equivalent(sneaky, expected, VARS).correct


def test_call_with_timeout():
    assert call_with_timeout(lambda: 6 * 7, 5).value == 42
    failed = call_with_timeout(lambda: 1 / 0, 5)
    assert failed.status == "error" and "ZeroDivisionError" in failed.value
    start = time.perf_counter()
    assert call_with_timeout(lambda: time.sleep(30), 0.2).status == "timeout"
    assert time.perf_counter() - start < 3.0  # the call sleeps 30 s: the 0.2 s timeout must end it
    assert call_with_timeout(lambda: 1, 0).status == "timeout"


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

coefficient = st.integers(-9, 9)
monomial = st.tuples(coefficient, st.integers(0, 4), st.integers(0, 3))


@settings(max_examples=30, deadline=None)
@given(st.lists(monomial, min_size=1, max_size=6))
def test_str_of_a_polynomial_derivative_round_trips(terms):
    poly = sum((c * x**i * y**j for c, i, j in terms), sympy.Integer(0))
    derivative = sympy.diff(poly, x)
    assert parse_answer(str(derivative), ["x", "y"]) == derivative
    verdict = check_derivative(str(derivative), poly, "x", ["x", "y"])
    assert verdict.status == "equivalent"


unary = st.sampled_from([sympy.exp, sympy.sin, sympy.cos, sympy.tanh, sympy.Abs, lambda u: 1 / (1 + sympy.exp(-u))])
# real symbols, so that e.g. Abs(exp(x)) stays within the whitelist (no re(x))
real_x, real_y = sympy.symbols("x y", real=True)
nonzero = st.integers(-3, 3).filter(bool)
linear = st.builds(lambda a, b, v: a * v + b, nonzero, st.integers(-3, 3), st.sampled_from([real_x, real_y]))
leaves = st.one_of(
    st.sampled_from([real_x, real_y, sympy.Integer(2), sympy.Rational(1, 3), real_x * real_y]),
    st.builds(lambda f, u: f(u), unary, linear),  # no towers: exp(exp(...)) could overflow any evaluator
)
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(sympy.Add, inner, inner),
        st.builds(sympy.Mul, inner, inner),
        st.builds(lambda u, n: u**n, inner, nonzero),
    ),
    max_leaves=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_str_of_whitelisted_expressions_parses_to_the_same_function(expr):
    # str() is not a canonical form (1/(3*(1 + exp(-x))) re-evaluates to
    # 1/(3 + 3*exp(-x))), so compare values, computed by SymPy itself.
    parsed = parse_answer(str(expr), [real_x, real_y])
    for point in ({real_x: 0.7, real_y: -1.3}, {real_x: -0.45, real_y: 2.1}):
        want = complex(expr.evalf(20, subs=point))
        got = complex(parsed.evalf(20, subs=point))
        assert cmath.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="xy2.()+-*/^ e_[]'\"abcdefgijklmnopqrstuvwz:,=<>", max_size=40))
def test_arbitrary_text_never_raises_and_is_fast(text):
    start = time.perf_counter()
    verdict = check_equivalent(text, 2 * x, ["x", "y"], timeout=0.2)
    assert verdict.status in {"equivalent", "different", "invalid"}
    assert time.perf_counter() - start < 3.0  # bounded by the 0.2 s timeout, whatever the text (a hang guard)
