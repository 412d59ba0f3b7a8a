"""Hostile submissions: the grader stays correct (no unearned points) and bounded."""

from __future__ import annotations

import json
import time

import pytest
from helpers import find_test, grade_json, make_workspace, mutate, reference_source, run_grade

from grader.catalog import resolve

FILE = "exercise1_update_rule.py"
REF = reference_source(FILE)
MAX = resolve("exercise1").max_score
STEP_BODY = "    return params - learning_rate * np.asarray(grad, dtype=float)"
STEP_TESTS = ("gradient_step on the notes' example", "gradient_step on random", "gradient_step returns a new array",
              "gradient_step on integer params", "gradient_step keeps float64 precision")


def _grade(tmp_path, source, *extra, timeout=120):
    ws = make_workspace(tmp_path, {FILE: source})
    start = time.monotonic()
    code, res = grade_json(ws, "exercise1", *extra, timeout=timeout)
    return code, res, time.monotonic() - start


def test_import_time_infinite_loop_costs_every_test_and_is_bounded(tmp_path):
    code, res, elapsed = _grade(tmp_path, REF + "\nwhile True:\n    pass\n", "--timeout", "1")
    assert code == 1 and res["score"] == 0
    assert elapsed < 30
    assert all("took more than 4 s of CPU time" in t["output"] for t in res["tests"])


def test_sys_exit_at_import_scores_zero(tmp_path):
    code, res, elapsed = _grade(tmp_path, REF + "\nimport sys\nsys.exit(0)\n")
    assert code == 1 and res["score"] == 0
    assert all("SystemExit" in t["output"] for t in res["tests"])
    assert elapsed < 30


def test_os_exit_in_one_function_costs_only_its_tests(tmp_path):
    source = mutate(REF, STEP_BODY, "    import os\n    os._exit(0)")
    code, res, elapsed = _grade(tmp_path, source)
    assert code == 1
    for name in STEP_TESTS:
        test = find_test(res, name)
        assert test["status"] == "failed"
        assert "exited with code 0" in test["output"]
    lost = sum(find_test(res, n)["max_score"] for n in STEP_TESTS)
    assert res["score"] == MAX - lost
    assert elapsed < 60


def test_infinite_loop_in_a_call_times_out_and_the_rest_is_graded(tmp_path):
    source = mutate(REF, STEP_BODY, "    while True:\n        pass")
    code, res, elapsed = _grade(tmp_path, source, "--timeout", "1")
    assert code == 1
    outputs = [find_test(res, n)["output"] for n in STEP_TESTS]
    assert "did not return within 1 s" in outputs[0]
    assert all("gradient_step()" in o for o in outputs)
    lost = sum(find_test(res, n)["max_score"] for n in STEP_TESTS)
    assert res["score"] == MAX - lost
    # at most two real time-outs per function, then it is not called again
    assert elapsed < 25


def test_memory_bomb_fails_its_test_only(tmp_path):
    source = mutate(REF, STEP_BODY, "    hog = bytearray(64 * 1024**3)\n    return hog")
    code, res, elapsed = _grade(tmp_path, source, "--memory-mb", "512")
    assert code == 1
    out = find_test(res, "gradient_step on the notes' example")["output"]
    assert "MemoryError" in out
    lost = sum(find_test(res, n)["max_score"] for n in STEP_TESTS)
    assert res["score"] == MAX - lost
    assert elapsed < 60


def test_monkeypatching_numpy_earns_nothing(tmp_path):
    # Wrong answers everywhere, plus every comparison numpy offers patched to say "equal".
    source = REF.replace("### BEGIN SOLUTION", "### BEGIN SOLUTION\n    return np.zeros(1)") + """
import builtins
for _name in ("allclose", "array_equal", "array_equiv"):
    setattr(np, _name, lambda *a, **k: True)
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *a, **k: None
builtins.isinstance = lambda *a: True
"""
    code, res, _ = _grade(tmp_path, source)
    assert code == 1 and res["score"] == 0


def test_fake_results_printed_by_the_student_do_not_reach_our_output(tmp_path):
    fake = json.dumps({"score": 999, "max_score": 15, "tests": []})
    source = mutate(REF, STEP_BODY, f"    print({fake!r})\n    import os\n    os.write(1, b{fake!r})\n"
                    f"    return params * 0") + f"\nprint({fake!r})\n"
    ws = make_workspace(tmp_path, {FILE: source})
    proc = run_grade("exercise1", "--json", "--seed", "3", "--no-record", "--path", str(ws))
    result = json.loads(proc.stdout)  # exactly one JSON document: ours
    assert result["score"] < MAX and result["score"] != 999
    assert proc.returncode == 1
    assert find_test(result, "gradient_step on the notes' example")["status"] == "failed"


def test_exceptions_show_the_students_traceback(tmp_path):
    source = mutate(REF, STEP_BODY, "    return params[10]")
    _, res, _ = _grade(tmp_path, source)
    out = find_test(res, "gradient_step on the notes' example")["output"]
    assert "gradient_step raised IndexError" in out
    assert "exercise1_update_rule.py" in out and "params[10]" in out
    assert "grader/sandbox" not in out


def test_syntax_error_is_reported_for_every_test(tmp_path):
    code, res, _ = _grade(tmp_path, REF + "\ndef broken(:\n")
    assert code == 1 and res["score"] == 0
    assert all("could not be imported" in t["output"] and "SyntaxError" in t["output"] for t in res["tests"])


def test_missing_function_is_named(tmp_path):
    source = REF.replace("def bowl_loss(", "def bowl_loss_renamed(")
    _, res, _ = _grade(tmp_path, source)
    assert "no function called bowl_loss" in find_test(res, "bowl_loss at the notes' points")["output"]
    assert find_test(res, "bowl_gradient at (3, 4)")["status"] == "passed"


# A reply forged on the worker's own pipe (its only way to the grader), written before the real one.
FORGED_FRAMES = {
    "nested_too_deep": "b'[' * 200_000 + b']' * 200_000",
    "not_an_object": "b'[1, 2, 3]'",
    "error_not_an_object": "b'{\"ok\": false, \"error\": [\"ValueError\"]}'",
    "value_nested_deep": "b'{\"ok\": true, \"value\": ' + b'[' * 500 + b'1' + b']' * 500 + b', \"args_after\": []}'",
    # "kept": arguments the call left as they came, which the grader fills in from its own
    "kept_not_sent": "b'{\"ok\": true, \"value\": 1.0, \"args_after\": [null, null, null], \"kept\": [7]}'",
    "kept_not_a_list": "b'{\"ok\": true, \"value\": 1.0, \"args_after\": [null, null, null], \"kept\": {\"0\": 1}}'",
    "kept_but_sent": "b'{\"ok\": true, \"value\": 1.0, \"args_after\": [1, null, null], \"kept\": [0]}'",
    "kept_short": "b'{\"ok\": true, \"value\": 1.0, \"args_after\": [null], \"kept\": [0]}'",
}


@pytest.mark.parametrize("frame", sorted(FORGED_FRAMES))
def test_a_reply_forged_on_the_workers_pipe_costs_only_that_function(tmp_path, frame):
    forge = (
        "    import os, struct\n"
        f"    payload = {FORGED_FRAMES[frame]}\n"
        "    for fd in range(3, 64):\n"
        "        try:\n"
        "            if os.fstat(fd).st_mode & 0o170000 == 0o010000:  # a pipe\n"
        "                os.write(fd, struct.pack('<Q', len(payload)) + payload)\n"
        "        except OSError:\n"
        "            pass\n"
    )
    code, res, _ = _grade(tmp_path, mutate(REF, STEP_BODY, forge + STEP_BODY))
    assert code == 1
    for test in res["tests"]:
        assert "internal grader error" not in test["output"], test["output"]
    outputs = [find_test(res, n)["output"] for n in STEP_TESTS]
    failed = [n for n in STEP_TESTS if find_test(res, n)["status"] == "failed"]
    assert failed, outputs  # a forged reply never passes for a real one
    lost = sum(find_test(res, n)["max_score"] for n in failed)
    assert res["score"] == MAX - lost  # every other function is graded as if nothing happened
