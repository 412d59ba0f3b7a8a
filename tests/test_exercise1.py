"""Exercise 1 graded end to end: reference, stub, wrong and alternative submissions."""

from __future__ import annotations

import pytest
from helpers import find_test, grade_json, make_workspace, mutate, reference_source

FILE = "exercise1_update_rule.py"
REF = reference_source(FILE)
MAX = 15


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
    "classify_order": (
        ("    if losses[-1] <= tol:\n        return \"converged\"\n    if losses[-1] >= losses[0]:\n"
         "        return \"diverged\"\n",
         "    if losses[-1] >= losses[0]:\n        return \"diverged\"\n    if losses[-1] <= tol:\n"
         "        return \"converged\"\n"),
        ["classify_learning_rate on random"],
        "expected: 'converged'",
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_loses_points_with_diagnosis(tmp_path, name):
    (old, new), failing, diagnosis = WRONG[name]
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
        "    losses = np.asarray(losses, dtype=float)\n    if not np.all(np.isfinite(losses)):",
        "    losses = [float(v) for v in losses]\n    if any(v != v or abs(v) == float('inf') for v in losses):",
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
