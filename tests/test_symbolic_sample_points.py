"""Answers built to agree with the expected one only at the sample points must fail.

The sample points come from a fresh secret per check (drawn after the answer is
fixed), and an exact check outranks the numeric one: these tests build the
classic attack -- the expected answer plus c·∏(x − xᵢ) over sample points -- for
every set of points a student could know or guess (the points `--seed` gave in
the previous design, the points of an earlier check, the very points of this
check), and check that equivalent answers still pass on every run.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import time
from pathlib import Path

import numpy as np
import pytest
import sympy

from grader import symbolic
from grader.symbolic import (
    MAX_REPLY_BYTES,
    call_with_timeout,
    check_derivative,
    check_equivalent,
    fresh_sample_seed,
    sample_points,
)

VARS = ["x", "y"]
x, y = sympy.symbols("x y")


def vanishing_at(points: dict[str, np.ndarray], name: str = "x") -> str:
    """∏(name − vᵢ) over the sample points' `name` coordinates: 0 at every one of them."""
    return " * ".join(f"({name} - ({float(v)!r}))" for v in points[name])


def attack(correct: str, points: dict[str, np.ndarray], c: str = "1/1000") -> str:
    return f"{correct} + {c} * {vanishing_at(points)}"


# --------------------------------------------------------------------------
# The polynomial that vanishes at sample points
# --------------------------------------------------------------------------


def test_the_attack_really_vanishes_at_its_points():
    """Guard for the tests below: at its own points the attack agrees in float arithmetic."""
    seed = 12345
    points = sample_points(VARS, seed)
    answer = symbolic.parse_answer(attack("2*x", points), VARS)
    values = symbolic.evaluate(answer, points, symbolic.SAMPLE_SIZE)
    assert np.array_equal(values, 2 * points["x"])
    # ... and away from them it is far from 2x
    assert abs(float(answer.subs({x: 50}).evalf()) - 100) > 1e6


@pytest.mark.parametrize("seed", [0, 1, 7, 2024, 987654])
def test_points_of_the_public_seed_are_not_the_sample_points(seed):
    """Before, `--seed` fixed the points: the attack over them passed. Now it fails."""
    points = sample_points(VARS, seed)
    verdict = check_derivative(attack("2*x", points), "x**2 + y**2", "x", VARS, seed=seed)
    assert verdict.status == "different"
    point = verdict.counterexample
    assert point is not None and "your answer evaluates to" in verdict.message
    got = float(symbolic.parse_answer(attack("2*x", points), VARS).subs({x: point["x"]}).evalf(30))
    assert not math.isclose(got, 2 * point["x"], rel_tol=1e-9)


def test_points_of_the_previous_check_are_not_reused():
    """A student who learns one run's points (say, from a fallback counterexample) gains nothing."""
    first = check_derivative("2*y", "x**2 + y**2", "x", VARS)
    assert first.status == "different" and first.sample_seed is not None
    previous = sample_points(VARS, first.sample_seed)
    verdict = check_derivative(attack("2*x", previous), "x**2 + y**2", "x", VARS)
    assert verdict.status == "different"
    assert verdict.sample_seed != first.sample_seed


def test_a_fresh_secret_for_every_check():
    seeds = {check_equivalent("2*x + 1", "2*x", VARS).sample_seed for _ in range(6)}
    assert len(seeds) == 6
    assert fresh_sample_seed() != fresh_sample_seed()


def test_points_are_drawn_only_after_the_answer_is_read(monkeypatch):
    """Ordering matters: the answer is fixed before the secret exists."""
    events: list[str] = []
    real_parse, real_seed = symbolic.parse_answer, symbolic.fresh_sample_seed
    monkeypatch.setattr(symbolic, "parse_answer", lambda *a: events.append("parse") or real_parse(*a))
    monkeypatch.setattr(symbolic, "fresh_sample_seed", lambda: events.append("seed") or real_seed())
    check_equivalent("2*x", "x + x", VARS)  # parses the author's text, then the answer
    assert events == ["parse", "parse", "seed"]


@pytest.mark.parametrize("c", ["1/1000", "10**-12", "1"])
def test_even_knowing_the_secret_the_exact_check_rejects_the_attack(c):
    """Numeric 'equal' + exact 'not equal' -> not equal (the proof outranks the numbers)."""
    secret = 424242
    points = sample_points(VARS, secret)
    verdict = check_derivative(attack("2*x", points, c), "x**2 + y**2", "x", VARS, sample_seed=secret)
    assert verdict.status == "different"
    assert verdict.method == "exact"
    assert verdict.counterexample and "your answer evaluates to" in verdict.message


def test_attack_on_a_chain_rule_answer_with_exp_is_rejected_when_points_are_known():
    """Not a rational function: the exact witness search (exact rational points) finds it."""
    secret = 99
    points = sample_points(["w", "x", "b"], secret)
    right = "x*sigmoid(w*x + b)*(1 - sigmoid(w*x + b))"
    answer = f"{right} + exp(w)/1000 * {vanishing_at(points, 'w')}"
    verdict = check_derivative(answer, "1/(1 + exp(-(w*x + b)))", "w", ["w", "x", "b"], sample_seed=secret)
    assert verdict.status == "different" and verdict.method == "exact"


def test_a_tiny_exact_difference_is_a_difference():
    """0.333333333333 is not 1/3: numerically within 1e-8, exactly different."""
    verdict = check_equivalent("0.333333333333*x", "x/3", VARS)
    assert verdict.status == "different" and verdict.method == "exact"
    assert "exact constants" in verdict.diagnosis


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("0.1*x", "x/10"), ("0.5*x**(-0.5)", "1/(2*sqrt(x))"), (f"{1 / 3!r}*x", "x/3"), ("1.5*x**2", "3*x**2/2")],
)
def test_decimals_stand_for_the_numbers_they_write(answer, expected):
    assert check_equivalent(answer, expected, VARS).status == "equivalent"


# --------------------------------------------------------------------------
# Equivalent answers pass every time
# --------------------------------------------------------------------------

EQUIVALENT = [
    ("2*w*x**2 - 2*x*y", "(w*x - y)**2", "w"),
    ("-2*(y - w*x)*x", "(w*x - y)**2", "w"),
    ("sigmoid(z)*(1 - sigmoid(z))", "sigmoid(z)", "z"),
    ("exp(-z)/(1 + exp(-z))**2", "sigmoid(z)", "z"),
    ("sigmoid(w*x + y)*(1 - sigmoid(w*x + y))*x", "sigmoid(w*x + y)", "w"),
    ("1/cosh(x)**2", "tanh(x)", "x"),
    ("-2*x*e^(-x^2)", "exp(-x**2)", "x"),
    ("x/sqrt(x^2 + 1)", "sqrt(x**2 + 1)", "x"),
    ("sign(w*x - y)*x", "Abs(w*x - y)", "w"),
    ("13*(x - 3)**12", "expand((x - 3)**13)", "x"),
]


@pytest.mark.parametrize(("answer", "function", "wrt"), EQUIVALENT)
def test_equivalent_answers_pass_on_every_run(answer, function, wrt):
    variables = ["w", "x", "y", "z"]
    if function.startswith("expand("):
        function = str(sympy.expand((sympy.Symbol("x") - 3) ** 13))
    for _ in range(12):  # twelve independent secrets
        verdict = check_derivative(answer, function, wrt, variables)
        assert verdict.status == "equivalent", (verdict.sample_seed, verdict.message)


def test_wrong_answers_fail_on_every_run_with_the_same_readable_point():
    """The verdict is reproducible; the point shown comes from the public seed's nice values."""
    shown = set()
    for _ in range(8):
        verdict = check_derivative("2*(w*x + y)*x", "(w*x - y)**2", "w", ["w", "x", "y"], seed=5)
        assert verdict.status == "different"
        shown.add(verdict.message)
    assert len(shown) == 1


# --------------------------------------------------------------------------
# A proof of equality wins over a numeric near-miss
# --------------------------------------------------------------------------


def _near_miss_at_first_point(real_compare):
    def compare(answer, expected):
        result = real_compare(answer, expected)
        suspicious = result.suspicious.copy()
        suspicious[0] = True
        agree = result.agree.copy()
        agree[0] = False
        return symbolic._Comparison(agree, result.clear, suspicious)

    return compare


def test_a_float_near_miss_that_is_exactly_equal_passes(monkeypatch):
    monkeypatch.setattr(symbolic, "_compare", _near_miss_at_first_point(symbolic._compare))
    verdict = check_equivalent("2*w*x**2 - 2*x*y", "2*(w*x - y)*x", ["w", "x", "y"])
    assert verdict.status == "equivalent"
    assert verdict.method in {"numeric+simplify", "simplify"}


def test_proof_of_equality_wins_when_the_near_miss_cannot_be_rechecked(monkeypatch):
    monkeypatch.setattr(symbolic, "_compare", _near_miss_at_first_point(symbolic._compare))
    monkeypatch.setattr(symbolic, "_differ_in_high_precision", lambda *args: time.sleep(60))
    verdict = check_equivalent("2*w*x**2 - 2*x*y", "2*(w*x - y)*x", ["w", "x", "y"], timeout=3)
    assert verdict.status == "equivalent" and verdict.method == "simplify"


def test_a_real_near_miss_is_still_different():
    verdict = check_equivalent("3.14159*x", "pi*x", VARS)
    assert verdict.status == "different" and verdict.method == "numeric+high-precision"


# --------------------------------------------------------------------------
# The proof child: plain JSON back, never a pickle, never student text
# --------------------------------------------------------------------------


def _fake_child(payload: bytes):
    """A stand-in for the child's main: writes `payload` to the pipe instead of the real reply."""

    def child_main(fn, token, read_fd, write_fd):  # runs in the forked child
        try:
            os.close(read_fd)
            os.write(write_fd, payload.replace(b"TOKEN", token.encode()))
        finally:
            os._exit(0)

    return child_main


class _Boom:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).touch, ())


def test_a_pickle_on_the_channel_is_never_unpickled(monkeypatch, tmp_path):
    marker = tmp_path / "unpickled"
    monkeypatch.setattr(symbolic, "_child_main", _fake_child(pickle.dumps(("ok", _Boom(str(marker))))))
    result = call_with_timeout(lambda: True, 5)
    assert result.status == "error"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b'{"token": "0123", "status": "ok", "value": true}', "not from the proof child"),
        (b'{"token": "TOKEN", "status": "ok"}', "malformed"),
        (b'{"token": "TOKEN", "status": "weird", "value": 1}', "malformed"),
        (b'["TOKEN", "ok", true]', "malformed"),
        (b'{"token": "TOKEN", "status": "ok", "value": tru', "unreadable"),
        (b"\xff\xfe" * 10, "unreadable"),
        (b"[" * 100_000, "too large"),
        (b'{"token": "TOKEN", "status": "ok", "value": "' + b"a" * (MAX_REPLY_BYTES + 10) + b'"}', "too large"),
    ],
)
def test_bad_replies_are_errors_not_exceptions(monkeypatch, payload, why):
    monkeypatch.setattr(symbolic, "_child_main", _fake_child(payload))
    result = call_with_timeout(lambda: True, 5)
    assert result.status == "error" and why in result.value


def test_a_forged_proof_cannot_pass_a_wrong_answer(monkeypatch):
    """Whatever lands in the pipe, a wrong answer stays wrong."""
    forged = b'{"token": "guess", "status": "ok", "value": {"verdict": "equal", "point": null}}'
    monkeypatch.setattr(symbolic, "_child_main", _fake_child(forged))
    monkeypatch.setattr(symbolic, "_compare", _near_miss_at_first_point(symbolic._compare))
    assert check_equivalent("3.14159*x", "pi*x", VARS).status == "different"


def test_malformed_witnesses_are_ignored(monkeypatch):
    reply = b'{"token": "TOKEN", "status": "ok", "value": {"verdict": "not_equal", "point": {"x": "1e999"}}}'
    monkeypatch.setattr(symbolic, "_child_main", _fake_child(reply))
    verdict = check_equivalent("0.333333333333*x", "x/3", VARS)
    assert verdict.status == "different"
    assert re.search(r"at x = \S+ your answer", verdict.message)


def test_results_must_be_plain_data():
    assert call_with_timeout(lambda: {"verdict": "equal", "point": None}, 5).value == {"verdict": "equal",
                                                                                     "point": None}
    result = call_with_timeout(lambda: sympy.Symbol("x"), 5)  # not JSON: an error, not a pickle
    assert result.status == "error" and "TypeError" in result.value


def test_the_child_never_parses_text(monkeypatch, tmp_path):
    """The child works on the parsed expressions it inherits: no sympify/parse_expr of any text."""
    log = tmp_path / "parsed.txt"
    import sympy.parsing.sympy_parser as sympy_parser

    real = sympy_parser.parse_expr

    def spy(text, *args, **kwargs):
        with open(log, "a") as out:
            out.write(f"{os.getpid()} {text!r}\n")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(sympy_parser, "parse_expr", spy)
    parent = os.getpid()
    answers = [
        ("sigmoid(w*x + b)*(1 - sigmoid(w*x + b))*x", "1/(1 + exp(-(w*x + b)))"),
        ("0.333333333333*w", "w/3"),
        ("2*w + Heaviside(w - 20)", "w**2"),
    ]
    for answer, function in answers:
        check_derivative(answer, function, "w", ["w", "x", "b"], timeout=2)
    lines = log.read_text().splitlines() if log.exists() else []
    # the spy does see text parsed in a child:
    assert call_with_timeout(lambda: str(sympy.sympify("q + 1")), 10).value == "q + 1"
    assert any(int(line.split()[0]) != parent and "'q + 1'" in line for line in log.read_text().splitlines())
    # SymPy may parse its own constant names on a lazy import (e.g. unit prefixes 'yotta');
    # nothing from an answer may ever get there, in the grader or in the proof child.
    fragments = ("sigmoid", "Heaviside", "0.333333333333", "w*x", "w - 20", "exp(")
    assert not [line for line in lines if any(f in line for f in fragments)], lines


def test_a_difference_below_float_resolution_is_shown_with_enough_digits():
    verdict = check_equivalent("2*x + x/10**30", "2*x", VARS)
    assert verdict.status == "different" and verdict.method == "exact"
    shown = re.findall(r"evaluates to (\S+) but the correct value is (\S+)\.$", verdict.message)
    assert shown and shown[0][0] != shown[0][1], verdict.message
