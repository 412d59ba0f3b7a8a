"""Exercise 1 graded end to end: reference, stub, wrong and alternative submissions."""

from __future__ import annotations

import pytest
from helpers import find_test, grade_json, make_workspace, mutate, reference_source

FILE = "exercise1_update_rule.py"
REF = reference_source(FILE)
MAX = 20


def _grade(tmp_path, source, seed=7):
    ws = make_workspace(tmp_path, {FILE: source})
    return grade_json(ws, "exercise1", seed=seed)


def test_reference_gets_full_marks(tmp_path):
    code, res = _grade(tmp_path, REF)
    assert code == 0
    assert res["score"] == res["max_score"] == MAX
    assert all(t["status"] == "passed" for t in res["tests"])


def test_untouched_stub_gets_zero_and_not_implemented(tmp_path):
    from grader.stubs import stub_source

    code, res = _grade(tmp_path, stub_source(FILE))
    assert code == 1
    assert res["score"] == 0 and res["max_score"] == MAX
    for test in res["tests"]:
        assert "not implemented yet" in test["output"]
        assert "grade hint exercise1" in test["output"]


# (what to change in the reference, which tests must fail, diagnosis expected in their output)
WRONG = {
    "added": (
        ("    return params - learning_rate * np.asarray(grad, dtype=float)",
         "    return params + learning_rate * np.asarray(grad, dtype=float)"),
        ["gradient_step on the notes' example", "gradient_step on random"],
        "added the gradient step instead of subtracting it",
    ),
    "no_learning_rate": (
        ("    return params - learning_rate * np.asarray(grad, dtype=float)",
         "    return params - np.asarray(grad, dtype=float)"),
        ["gradient_step on the notes' example", "gradient_step on random"],
        "learning rate is not applied",
    ),
    "returns_gradient": (
        ("    return params - learning_rate * np.asarray(grad, dtype=float)",
         "    return np.asarray(grad, dtype=float)"),
        ["gradient_step on the notes' example", "gradient_step on random"],
        "returned the gradient instead of the new parameters",
    ),
    "in_place": (
        ("    params = np.asarray(params, dtype=float)\n    return params - learning_rate",
         "    params = np.asarray(params, dtype=float)\n    params -= learning_rate * np.asarray(grad, dtype=float)\n"
         "    return params\n    return params - learning_rate"),
        ["gradient_step returns a new array"],
        "modified the input array(s) `params` in place",
    ),
    "wrong_shape": (
        ("    return params - learning_rate * np.asarray(grad, dtype=float)",
         "    return (params - learning_rate * np.asarray(grad, dtype=float)).reshape(-1, 1)"),
        ["gradient_step on the notes' example"],
        "wrong shape: expected (2,), got (2, 1)",
    ),
    "gradient_no_factor_2": (
        ("    return 2.0 * np.asarray(point, dtype=float)", "    return np.asarray(point, dtype=float)"),
        ["bowl_gradient at (3, 4)", "bowl_gradient on random"],
        "dropped the factor 2",
    ),
    "loss_is_norm": (
        ("    return float(np.sum(point**2))", "    return float(np.sqrt(np.sum(point**2)))"),
        ["bowl_loss at the notes' points", "bowl_loss on random"],
        "returned the length",
    ),
    "trajectory_without_start": (
        ("    trajectory = [theta]\n", "    trajectory = []\n"),
        ["gradient_descent on the bowl", "gradient_descent on random"],
        "Row 0 of the trajectory must be the start point",
    ),
    # the beginner's `θ -= …` after appending θ: every appended row is one array
    "trajectory_rows_aliased": (
        ("        theta = theta - learning_rate * np.asarray(grad_fn(theta), dtype=float)\n",
         "        theta -= learning_rate * np.asarray(grad_fn(theta), dtype=float)\n"),
        ["gradient_descent on the bowl", "gradient_descent on random"],
        "Every row is the final point, the start too",
    ),
    "classify_order": (
        ('    if last >= first:\n'
         '        return "diverged"\n'
         '    w = min(window, losses.size - 1)\n'
         '    before = losses[-1 - w]\n'
         '    if abs(last - before) <= rtol * before:\n'
         '        return "converged"\n',
        '    w = min(window, losses.size - 1)\n'
        '    before = losses[-1 - w]\n'
        '    if abs(last - before) <= rtol * before:\n'
        '        return "converged"\n'
        '    if last >= first:\n'
        '        return "diverged"\n'),
        ["classify_learning_rate on the bowl", "both sides of every threshold"],
        "Rule order: check \"the loss never fell\"",
        2,
    ),
    "classify_old_level_rule": (
        ('    if abs(last - before) <= rtol * before:\n        return "converged"\n',
         '    if last <= 1e-6:\n        return "converged"\n'),
        ["for house prices"],
        "by the loss LEVEL",
        None,
    ),
    "classify_last_two_only": (
        ("    w = min(window, losses.size - 1)\n", "    w = 1\n"),
        ["both sides of every threshold"],
        "compared only the last two losses",
        None,
    ),
    "classify_strict_boundary": (
        ("    if abs(last - before) <= rtol * before:", "    if abs(last - before) < rtol * before:"),
        ["both sides of every threshold"],
        "≤, not <",
        1,
    ),
    "classify_misses_rising_tail": (
        ('    if last > before:\n        return "diverged"\n', ""),
        ["both sides of every threshold"],
        "misses a rising tail",
        1,
    ),
    "classify_empty_history": (
        ('    if losses.size < 2:\n        raise ValueError("classify_learning_rate needs at least two losses '
         '(one step)")\n', ""),
        ["ValueError for fewer than two losses"],
        "must raise ValueError",
        1,
    ),
    "step_returns_list": (
        ("    return params - learning_rate * np.asarray(grad, dtype=float)",
         "    return list(params - learning_rate * np.asarray(grad, dtype=float))"),
        ["gradient_step on the notes' example"],
        "the docstring promises a new numpy array",
        None,
    ),
    "loss_returns_0d_array": (
        ("    return float(np.sum(point**2))", "    return np.asarray(np.sum(point**2))"),
        ["bowl_loss at the notes' points", "bowl_loss on random"],
        "0-d array where the docstring promises a single float",
        2,
    ),
    "step_float32": (
        ("    return params - learning_rate * np.asarray(grad, dtype=float)",
         "    return (params.astype(np.float32) - learning_rate * np.asarray(grad, dtype=np.float32))"
         ".astype(float)"),
        ["tiny step from parameters in the thousands"],
        "You computed in float32",
        1,
    ),
    "step_integer_truncation": (
        ("    params = np.asarray(params, dtype=float)\n    return params - learning_rate",
         "    new = np.array(params)\n    new -= (learning_rate * np.asarray(grad, dtype=float)).astype(new.dtype)\n"
         "    return new\n    return params - learning_rate"),
        ["integer params and grad"],
        "integer array, so the fractions were cut off",
        None,
    ),
    "step_lr_twice": (
        ("    return params - learning_rate * np.asarray(grad, dtype=float)",
         "    return params - learning_rate * learning_rate * np.asarray(grad, dtype=float)"),
        ["gradient_step on the notes' example", "gradient_step on random"],
        "applied the learning rate twice",
        None,
    ),
    "descent_zero_steps_vector": (
        ("    theta = np.array(start, dtype=float)\n", "    theta = np.array(start, dtype=float)\n"
         "    if n_steps == 0:\n        return theta\n"),
        ["n_steps = 0"],
        "as ONE ROW",
        1,
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_loses_points_with_diagnosis(tmp_path, name):
    (old, new), failing, diagnosis, *lost_points = WRONG[name]
    code, res = _grade(tmp_path, mutate(REF, old, new))
    assert code == 1
    failed = [t for t in res["tests"] if t["status"] == "failed"]
    for fragment in failing:
        test = find_test(res, fragment)
        assert test["status"] == "failed", fragment
        assert diagnosis in test["output"], test["output"]
        assert "call:" in test["output"]
    lost = sum(t["max_score"] for t in failed)
    assert res["score"] == MAX - lost < MAX
    if lost_points and lost_points[0] is not None:
        assert lost == lost_points[0], [t["name"] for t in failed]


def test_wrong_value_feedback_names_expected_got_and_error(tmp_path):
    (old, new), _, _ = WRONG["added"]
    _, res = _grade(tmp_path, mutate(REF, old, new))
    out = find_test(res, "gradient_step on the notes' example")["output"]
    assert "expected: [2.4, 3.2]" in out and "got:      [3.6, 4.8]" in out
    assert "shape (2,)" in out and "dtype float64" in out
    assert "max abs error 1.6" in out and "worst at index [1]: expected 3.2, got 4.8" in out


ALTERNATIVES = {
    "plain_loops": REF.replace(
        "    point = np.asarray(point, dtype=float)\n    return float(np.sum(point**2))",
        "    total = 0.0\n    for p in point:\n        total += float(p) * float(p)\n    return total",
    ).replace(
        "    params = np.asarray(params, dtype=float)\n"
        "    return params - learning_rate * np.asarray(grad, dtype=float)",
        "    return np.array([p - learning_rate * g for p, g in zip(params, grad)])",
    ).replace(
        "    return 2.0 * np.asarray(point, dtype=float)",
        "    return np.array([2 * p for p in point], dtype=float)",
    ),
    "preallocated_and_rules_rephrased": REF.replace(
        "    theta = np.array(start, dtype=float)\n    trajectory = [theta]\n    for _ in range(n_steps):\n"
        "        theta = theta - learning_rate * np.asarray(grad_fn(theta), dtype=float)\n"
        "        trajectory.append(theta)\n    return np.stack(trajectory)",
        "    out = np.empty((n_steps + 1, len(start)))\n    out[0] = start\n    for k in range(n_steps):\n"
        "        out[k + 1] = out[k] - learning_rate * grad_fn(out[k].copy())\n    return out",
    ).replace(
        "    return 2.0 * np.asarray(point, dtype=float)",
        "    return np.asarray(point, dtype=float) + np.asarray(point, dtype=float)",
    ).replace(
        "    first, last = losses[0], losses[-1]\n",
        "    first, last = float(losses[0]), float(losses[-1])\n",
    ).replace(
        "    if abs(last - before) <= rtol * before:\n",
        "    if not abs(last - before) > rtol * before:\n",
    ).replace(
        "    return float(np.sum(point**2))",
        "    return float(point @ point)",
    ),
}


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_alternative_correct_solutions_get_full_marks(tmp_path, name):
    source = ALTERNATIVES[name]
    assert source != REF
    code, res = _grade(tmp_path, source)
    failures = {t["name"]: t["output"] for t in res["tests"] if t["status"] == "failed"}
    assert failures == {}
    assert code == 0 and res["score"] == MAX


def test_seeds_change_the_hidden_inputs(tmp_path):
    from grader.stubs import stub_source

    calls = set()
    for seed in (1, 2):
        _, res = _grade(tmp_path, stub_source(FILE), seed=seed)
        calls.add(find_test(res, "gradient_step on random")["output"])
        same = {_grade(tmp_path, stub_source(FILE), seed=seed)[1]["tests"][5]["output"]}
        assert same == {find_test(res, "gradient_step on random")["output"]}  # reproducible
    assert len(calls) == 2
