"""Exercise 2 (partial derivatives and the gradient), end to end and in its maths.

End to end: the real `grade` CLI in subprocesses grades the reference, the
untouched stub, one deliberately wrong submission per mistake and several
alternative correct ones (edits of the reference in tests/submissions/exercise2.py). Maths: every
derivative formula in the solution, docstrings and hints against sympy.diff,
every numeric gradient against exact gradients or finite differences, and the
notes' worked numbers recomputed. Also unit tests of grader.checking_symbolic.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import sympy as sp
from helpers import REPO, grade_many, submission, submission_edits

import grader.hidden.test_exercise2 as hidden
from grader.catalog import resolve
from grader.runner import load_reference
from grader.sandbox.callables import build
from grader.stubs import stub_source

EXERCISE = resolve("exercise2")
FILE = EXERCISE.file
REF_SOURCE = (REPO / "solutions" / FILE).read_text(encoding="utf-8")
ref = load_reference(EXERCISE)
x, y, a, b, c = sp.symbols("x y a b c")

# test id -> the name `grade --json` shows (from the hidden test's docstring)
TITLES = {
    name: f"exercise2 · {getattr(hidden, name).__doc__.strip().splitlines()[0]}" for name in EXERCISE.points
}

# submission -> {hidden test that must fail: sentence its feedback must contain}; all others must pass.
WRONG: dict[str, dict[str, str]] = {
    "bowl_no_factor_2": {"test_bowl_partials": "You dropped the factor 2: d(x²)/dx = 2x."},
    "bowl_wrong_variable": {"test_bowl_partials": "That is ∂J/∂y: you differentiated with respect to the wrong"},
    "bowl_unevaluated": {"test_bowl_partials": "unevaluated derivative"},
    "poly_keeps_constant_term": {"test_poly_partials_x": "The term b·y³ has no x in it"},
    "poly_drops_y": {"test_poly_partials_x": "You dropped y from 2·a·x·y"},
    "poly_power_rule_y": {"test_poly_partials_y": "You dropped the factor 3 of the power rule"},
    "poly_power_down_by_two": {"test_poly_partials_y": "lowers the power by ONE: d(y³)/dy = 3y², not 3y"},
    "numgrad_forward": {
        "test_numerical_gradient_worked_example": "You used the forward difference",
        "test_numerical_gradient_random": "You used the forward difference",
        "test_numerical_gradient_step_size": "You used the forward difference",
        "test_numerical_gradient_integer_point": "You used the forward difference",
    },
    "numgrad_over_h": {
        "test_numerical_gradient_worked_example": "You divided by h instead of 2h",
        "test_numerical_gradient_random": "You divided by h instead of 2h",
        "test_numerical_gradient_step_size": "You divided by h instead of 2h",
        "test_numerical_gradient_integer_point": "You divided by h instead of 2h",
    },
    "numgrad_ignores_h": {"test_numerical_gradient_step_size": "You ignored the argument h"},
    "numgrad_integer_point": {"test_numerical_gradient_integer_point": "Integer truncation"},
    "numgrad_in_place": {
        "test_numerical_gradient_random": "never moved it back",
        "test_numerical_gradient_step_size": "never moved it back",
        "test_numerical_gradient_keeps_point": "modified the input array(s) `point` in place",
    },
    "magnitude_squared": {
        "test_gradient_magnitude_worked_example": "You returned the squared length",
        "test_gradient_magnitude_random": "You returned the squared length",
    },
    "ascent_not_normalised": {
        "test_steepest_ascent_worked_example": "You returned ∇J itself",
        "test_steepest_ascent_random": "You returned ∇J itself",
    },
    "ascent_descent_direction": {
        "test_steepest_ascent_worked_example": "That is the steepest DESCENT direction",
        "test_steepest_ascent_random": "That is the steepest DESCENT direction",
    },
    "ascent_zero_nan": {"test_steepest_ascent_zero_gradient": "0/0 = NaN; return the zero vector"},
    "directional_unnormalised": {
        "test_directional_derivative_random": "without dividing by |direction|",
        "test_directional_derivative_steepest": "without dividing by |direction|",
    },
}
ALTERNATIVES = ["alt_strings", "alt_sympy_diff"]
SEED = 7


def _submission(name: str) -> str:
    return submission(2, name)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], tuple[int, dict[str, Any]]]:
    """Every grading run this module needs, two at a time (each is its own process)."""
    jobs: dict[tuple[str, int], str] = {("reference", s): REF_SOURCE for s in (1, SEED)}
    jobs.update({("stub", s): stub_source(FILE) for s in (1, 2)})
    jobs[("stub-again", 1)] = stub_source(FILE)  # the same seed must give the same inputs
    jobs.update({(name, SEED): _submission(name) for name in [*WRONG, *ALTERNATIVES]})

    return grade_many("exercise2", {key: (src, key[1]) for key, src in jobs.items()},
                      tmp_path_factory.mktemp("ex2"))


def _by_id(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_name = {t["name"]: t for t in results["tests"]}
    return {test_id: by_name[title] for test_id, title in TITLES.items()}


# -- end to end ------------------------------------------------------------------

def test_catalog_entry() -> None:
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.title, EXERCISE.topic, EXERCISE.tests) == (
        2, "partial-derivatives", "Partial derivatives and the gradient", "partial-derivatives", "test_exercise2")
    assert FILE == "exercise2_partial_derivatives.py"
    assert 15 <= EXERCISE.max_score <= 20 and 3 <= len(EXERCISE.hints) <= 5
    assert len(set(TITLES.values())) == len(TITLES)  # titles identify tests in the JSON


@pytest.mark.parametrize("seed", [1, SEED])
def test_reference_gets_full_marks(graded, seed: int) -> None:
    code, results = graded[("reference", seed)]
    failures = {t["name"]: t["output"] for t in results["tests"] if t["status"] == "failed"}
    assert failures == {}
    assert code == 0 and results["score"] == results["max_score"] == EXERCISE.max_score


def test_untouched_stub_gets_zero_with_not_implemented(graded) -> None:
    code, results = graded[("stub", 1)]
    assert code == 1 and results["score"] == 0 and results["max_score"] == EXERCISE.max_score
    for test in results["tests"]:
        assert "not implemented yet" in test["output"], test["name"]


def test_stub_in_repo_is_generated_from_the_solution() -> None:
    assert (REPO / "exercises" / FILE).read_text(encoding="utf-8") == stub_source(FILE)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_loses_the_right_points_with_diagnosis(graded, name: str) -> None:
    code, results = graded[(name, SEED)]
    tests = _by_id(results)
    failed = {test_id for test_id, t in tests.items() if t["status"] == "failed"}
    assert failed == set(WRONG[name]), {t: tests[t]["output"] for t in failed}
    for test_id, sentence in WRONG[name].items():
        output = tests[test_id]["output"]
        assert sentence in output, output
        assert "internal grader error" not in output
    assert code == 1
    assert results["score"] == EXERCISE.max_score - sum(EXERCISE.points[t] for t in failed)


def test_symbolic_feedback_has_question_expected_got_point_and_diagnosis(graded) -> None:
    output = _by_id(graded[("poly_drops_y", SEED)][1])["test_poly_partials_x"]["output"]
    assert re.search(r"question: ∂f/∂x for f\(x, y\) = −?\d·x²·y [+−] \d·y³ [+−] \d·x\n", output), output
    assert re.search(r"call: +poly_partials\(-?\d, -?\d, -?\d\)\['x'\]", output), output
    assert "expected: hidden for now (wrong attempt 1 of 3 at poly_partials)" in output, output
    assert re.search(r"got: +-?\d+\*x [+-] \d+", output), output
    assert re.search(r"at x = \S+, y = \S+ your answer evaluates to \S+ but the correct value is \S+", output)
    assert "likely mistake: You dropped y" in output


def test_invalid_symbolic_answer_gets_the_parser_message(graded) -> None:
    output = _by_id(graded[("bowl_unevaluated", SEED)][1])["test_bowl_partials"]["output"]
    assert "got:      'Derivative(x**2 + y**2, x)'" in output
    assert "compute it and submit the result" in output


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solutions_get_full_marks(graded, name: str) -> None:
    code, results = graded[(name, SEED)]
    failures = {t["name"]: t["output"] for t in results["tests"] if t["status"] == "failed"}
    assert failures == {}
    assert code == 0 and results["score"] == EXERCISE.max_score


def test_seeds_change_the_hidden_inputs(graded) -> None:
    one, two = (_by_id(graded[("stub", s)][1]) for s in (1, 2))
    for test_id in ("test_poly_partials_x", "test_numerical_gradient_random", "test_directional_derivative_random"):
        assert "call:" in one[test_id]["output"]
        assert one[test_id]["output"] != two[test_id]["output"], test_id
    # ...while the worked examples are the same for every seed
    assert one["test_gradient_magnitude_worked_example"]["output"] == two["test_gradient_magnitude_worked_example"][
        "output"]


def test_same_seed_reproduces_the_same_inputs(graded) -> None:
    assert graded[("stub", 1)][1]["tests"] == graded[("stub-again", 1)][1]["tests"]


def test_every_submission_is_used() -> None:
    assert set(submission_edits(2)) == {*WRONG, *ALTERNATIVES}


# -- the maths -----------------------------------------------------------------------

def _as_expr(answer: Any) -> sp.Expr:
    return sp.sympify(answer, locals={"x": x, "y": y})


def test_reference_symbolic_answers_are_the_sympy_derivatives() -> None:
    bowl = x**2 + y**2
    answers = ref.bowl_partials()
    for v in (x, y):
        assert sp.simplify(_as_expr(answers[v.name]) - sp.diff(bowl, v)) == 0
    for coefficients in [(2, -1, 3), (-5, 7, 4), (3, 2, -6)]:
        f = sum(k * t for k, t in zip(coefficients, (x**2 * y, y**3, x), strict=True))
        answers = ref.poly_partials(*coefficients)
        for v in (x, y):
            assert sp.simplify(_as_expr(answers[v.name]) - sp.diff(f, v)) == 0


def test_docstring_formulas_match_sympy() -> None:
    # poly_partials' worked example: f = 2x²y − y³ + 3x
    doc = ref.poly_partials.__doc__
    assert '{"x": 4*x*y + 3, "y": 2*x**2 - 3*y**2}' in doc and "f = 2x²y − y³ + 3x" in doc
    f = 2 * x**2 * y - y**3 + 3 * x
    assert sp.diff(f, x) == 4 * x * y + 3 and sp.diff(f, y) == 2 * x**2 - 3 * y**2
    # bowl_partials' check values at (3, 4), and the module docstring's numbers
    assert "at x = 3 must be 6" in ref.bowl_partials.__doc__ and "at y = 4 must be 8" in ref.bowl_partials.__doc__
    gradient = [sp.diff(x**2 + y**2, v).subs({x: 3, y: 4}) for v in (x, y)]
    assert gradient == [6, 8]
    module_doc = ref.__doc__
    assert "3² + 4² = 25" in module_doc and "√(6² + 8²) = 10" in module_doc
    assert (x**2 + y**2).subs({x: 3, y: 4}) == 25 and sp.sqrt(6**2 + 8**2) == 10
    assert "(f(p + h·e_i) − f(p − h·e_i)) / (2h)" in ref.numerical_gradient.__doc__


# "dF/dV = formula" in the hints, F naming the function it differentiates
HINT_FUNCTIONS = {"J": x**2 + y**2, "f": a * x**2 * y + b * y**3 + c * x}
HINT_FORMULA = re.compile(r"d([A-Za-z])/d([a-z]) = (.+?)(?=,| and |\. |\.$|;|$| \()")


def test_hint_formulas_match_sympy_diff() -> None:
    found = []
    for hint in EXERCISE.hints:
        for name, var, formula in HINT_FORMULA.findall(hint):
            expected = sp.diff(HINT_FUNCTIONS[name], sp.Symbol(var))
            stated = sp.sympify(formula, locals={"a": a, "b": b, "c": c, "x": x, "y": y})
            assert sp.simplify(stated - expected) == 0, (hint, formula)
            found.append(formula)
    assert len(found) == 4, found  # dJ/dx, dJ/dy, df/dx, df/dy
    joined = " ".join(EXERCISE.hints)
    assert "a*x**2*y is (a*y)*x**2" in joined and sp.expand((a * y) * x**2 - a * x**2 * y) == 0
    assert "gradient at (3, 4) is (6, 8)" in joined and "sqrt(6**2 + 8**2) = 10" in joined


def _trusted_losses(rng: np.random.Generator) -> list[tuple[str, dict[str, Any], int, Any]]:
    """(callable name, params, dimension, the same loss as a SymPy function of p0..p(d-1))."""
    d = 4
    p = sp.symbols(f"p0:{d}")
    scales, center = rng.uniform(0.5, 3, d).tolist(), rng.normal(size=d).tolist()
    weights = rng.normal(size=d).tolist()
    q = sp.symbols("p0:2")
    return [
        ("bowl_loss", {}, 2, sum(v**2 for v in q)),
        ("quadratic_loss", {"scales": scales, "center": center}, d,
         sum(s * (v - m) ** 2 for s, v, m in zip(scales, p, center, strict=True))),
        ("cubic_poly_loss", {"a": 3.0, "b": -2.0, "c": 5.0}, 2, 3 * q[0] ** 2 * q[1] - 2 * q[1] ** 3 + 5 * q[0]),
        ("log_sum_exp_loss", {"weights": weights}, d,
         sp.log(sum(sp.exp(w * v) for w, v in zip(weights, p, strict=True)))),
    ]


def test_trusted_losses_and_reference_numerical_gradient_match_exact_gradients() -> None:
    rng = np.random.default_rng(0)
    for name, params, d, expr in _trusted_losses(rng):
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
        loss = build(name, params)
        gradient = sp.lambdify(symbols, [sp.diff(expr, s) for s in symbols])
        value = sp.lambdify(symbols, expr)
        for _ in range(5):
            point = rng.uniform(-2, 2, d)
            assert loss(point) == pytest.approx(float(value(*point)), rel=1e-12)
            np.testing.assert_allclose(ref.numerical_gradient(loss, point), gradient(*point), rtol=1e-7, atol=1e-8)


def test_central_difference_error_shrinks_like_h_squared() -> None:
    loss = build("cubic_poly_loss", {"a": 1.5, "b": 2.0, "c": -1.0})
    point = np.array([0.7, -1.3])
    exact = np.array([2 * 1.5 * 0.7 * -1.3 - 1.0, 1.5 * 0.7**2 + 3 * 2.0 * 1.3**2])
    errors = [np.abs(ref.numerical_gradient(loss, point, h) - exact)[1] for h in (0.1, 0.05)]
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=1e-6)  # b·h² exactly, for the y³ term


def test_log_sum_exp_loss_is_stable_for_large_inputs() -> None:
    loss = build("log_sum_exp_loss", {"weights": [1.0, 2.0]})
    assert loss(np.array([500.0, 400.0])) == pytest.approx(800.0 + np.log1p(np.exp(-300.0)))
    assert np.isfinite(loss(np.array([-800.0, -900.0])))


def test_numerical_gradient_keeps_the_point() -> None:
    point = np.array([0.3, -1.2, 2.5])
    before = point.copy()
    ref.numerical_gradient(build("bowl_loss", {}), point)
    assert np.array_equal(point, before)


def test_notes_worked_example() -> None:
    bowl = build("bowl_loss", {})
    start = np.array([3.0, 4.0])
    assert bowl(start) == 25.0
    grad = ref.numerical_gradient(bowl, start)
    np.testing.assert_allclose(grad, [6.0, 8.0], rtol=1e-9)
    assert ref.gradient_magnitude(np.array([6.0, 8.0])) == 10.0
    np.testing.assert_allclose(ref.steepest_ascent_direction(np.array([6.0, 8.0])), [0.6, 0.8])
    for direction, rate in (([-3.0, -4.0], -10.0), ([2.0, 0.0], 6.0), ([-4.0, 3.0], 0.0)):
        assert ref.directional_derivative(np.array([6.0, 8.0]), np.array(direction)) == pytest.approx(rate, abs=1e-12)
    # one step against the gradient lowers the loss from 25 to 16 (α = 0.1)
    assert bowl(start - 0.1 * grad) == pytest.approx(16.0)


def test_directional_derivative_is_the_slope_along_the_direction() -> None:
    rng = np.random.default_rng(1)
    for name, params, d, _ in _trusted_losses(rng):
        loss = build(name, params)
        point, direction = rng.uniform(-1.5, 1.5, d), rng.normal(size=d) * 3
        unit = direction / np.linalg.norm(direction)
        t = 1e-5
        slope = (loss(point + t * unit) - loss(point - t * unit)) / (2 * t)
        grad = ref.numerical_gradient(loss, point)
        assert ref.directional_derivative(grad, direction) == pytest.approx(slope, rel=1e-6, abs=1e-8)


def test_gradient_direction_is_the_steepest_and_descent_lowers_the_loss() -> None:
    rng = np.random.default_rng(2)
    for name, params, d, _ in _trusted_losses(rng):
        loss = build(name, params)
        point = rng.uniform(-1.5, 1.5, d)
        grad = ref.numerical_gradient(loss, point)
        up = ref.steepest_ascent_direction(grad)
        magnitude = ref.gradient_magnitude(grad)
        assert np.linalg.norm(up) == pytest.approx(1.0)
        assert ref.directional_derivative(grad, up) == pytest.approx(magnitude)
        assert ref.directional_derivative(grad, -up) == pytest.approx(-magnitude)
        rates = [ref.directional_derivative(grad, rng.normal(size=d)) for _ in range(200)]
        assert max(rates) <= magnitude + 1e-12 and min(rates) >= -magnitude - 1e-12
        # a small step along −∇J lowers J, a small step along +∇J raises it
        assert loss(point - 1e-3 * up) < loss(point) < loss(point + 1e-3 * up)
    np.testing.assert_array_equal(ref.steepest_ascent_direction(np.zeros(3)), np.zeros(3))


def test_pretty_polynomial_in_questions() -> None:
    assert hidden._pretty_poly(3, -4, 2) == "3·x²·y − 4·y³ + 2·x"
    assert hidden._pretty_poly(-5, 6, -7) == "−5·x²·y + 6·y³ − 7·x"


def test_hidden_symbolic_mistakes_are_really_wrong() -> None:
    """A listed mistake that equals the right answer would be unreachable and misleading."""
    for wrt in ("x", "y"):
        expected = sp.diff(x**2 + y**2, sp.Symbol(wrt))
        for mistake in hidden._bowl_mistakes(wrt):
            assert sp.simplify(_as_expr(mistake.answer) - expected) != 0, mistake
    rng = np.random.default_rng(3)
    for _ in range(6):
        ka, kb, kc = hidden._coefficients(rng)
        assert len({abs(ka), abs(kb), abs(kc)}) == 3 and min(abs(ka), abs(kb), abs(kc)) >= 2
        f = _as_expr(hidden._poly(ka, kb, kc))
        for wrt, mistakes in (("x", hidden._poly_x_mistakes(ka, kb, kc)), ("y", hidden._poly_y_mistakes(ka, kb, kc))):
            expected = sp.diff(f, sp.Symbol(wrt))
            for mistake in mistakes:  # polynomials: expanding decides equality
                assert sp.expand(_as_expr(mistake.answer) - expected) != 0, mistake


# -- grader.checking_symbolic ----------------------------------------------------------

class _FakeStudent:
    """Stands in for the sandboxed module: returns a fixed value (or error) for any call."""

    exercise_name = "exercise2"

    def __init__(self, value: Any = None, error: Any = None) -> None:
        self.value, self.error, self.calls = value, error, []

    def call(self, func: str, *args: Any, **kwargs: Any) -> Any:
        from grader.sandbox.client import CallOutcome

        self.calls.append((func, args, kwargs))
        return CallOutcome(value=self.value, error=self.error)


def _check(value: Any, **extra: Any) -> str:
    from grader.checking_symbolic import check_symbolic

    options: dict[str, Any] = {"function": "x**2 + y**2", "wrt": "x", "key": "x"}
    options.update(extra)
    return check_symbolic(_FakeStudent(value), "bowl_partials", variables=("x", "y"), question="∂J/∂x", **options)


def test_check_symbolic_accepts_equivalent_forms() -> None:
    from grader.sandbox.codec import SymbolicText

    assert _check({"x": "2*x"}) == "2*x"
    assert _check({"x": SymbolicText("x + x")}) == "x + x"
    assert _check(SymbolicText("2*x"), key=None) == "2*x"
    assert _check(4, key=None, function="4*x + y", wrt="x") == "4"  # plain numbers are constant formulas
    assert _check({"x": "6*x"}, function=None, wrt=None, expected="6*x") == "6*x"


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ({"x": "2*y"}, ["got:      2*y", "your answer evaluates to",
                        "likely mistake: That is the derivative with respect to y"]),
        ({"x": "x"}, ["likely mistake: Your answer is half the correct one"]),
        ({"x": "2*x +"}, ["got:      '2*x +'", "problem:"]),
        ({"y": "2*x"}, ["has no answer under the key 'x'"]),
        (["2*x"], ["must return a dict of answers"]),
        ({"x": None}, ["the answer must be a SymPy expression or a string"]),
        ({"x": True}, ["the answer must be a SymPy expression or a string"]),
    ],
)
def test_check_symbolic_feedback(value: Any, fragments: list[str]) -> None:
    from grader.checking import CheckFailed

    with pytest.raises(CheckFailed) as failure:
        _check(value)
    text = str(failure.value)
    assert text.startswith("question: ∂J/∂x\ncall:     bowl_partials()['x']\n")
    for fragment in fragments:
        assert fragment in text, text
    assert "expected:" not in text  # no progress store, no policy: the formula is never shown


def test_check_symbolic_reports_student_errors_and_own_mistakes() -> None:
    from grader.checking import CheckFailed
    from grader.checking_symbolic import SymbolicMistake, check_symbolic
    from grader.sandbox.client import StudentError

    error = StudentError(kind="not_implemented", type="NotImplementedError", message="")
    with pytest.raises(CheckFailed, match="not implemented yet"):
        _check_with(_FakeStudent(error=error))
    mistake = SymbolicMistake("2*x + y**2", "Holding y constant, y² is a constant.")
    with pytest.raises(CheckFailed, match="likely mistake: Holding y constant"):
        check_symbolic(_FakeStudent({"x": "2*x + y**2"}), "bowl_partials", key="x", function="x**2 + y**2",
                       wrt="x", variables=("x", "y"), question="q", mistakes=[mistake])
    with pytest.raises(ValueError):
        check_symbolic(_FakeStudent("2*x"), "f", variables=("x",), question="q")  # neither expected nor function


def _check_with(student: _FakeStudent) -> str:
    from grader.checking_symbolic import check_symbolic

    return check_symbolic(student, "bowl_partials", key="x", function="x**2 + y**2", wrt="x",
                          variables=("x", "y"), question="q")


def test_checking_symbolic_imports_no_sympy() -> None:
    import subprocess
    import sys

    code = "import sys, grader.checking_symbolic; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"
