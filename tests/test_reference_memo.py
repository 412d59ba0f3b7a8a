"""The reference's remembered answers: exact keys, copies in and out, and the same grades.

`grader.reference_memo` lets a batch process compute each expected value once.
These tests pin what makes that safe: a key is exact (types and float bits
count), a remembered value cannot be changed by whoever received it, a
function that changes its arguments or gets an argument with no exact key is
computed every time, a remembered call still counts at its first cost for the
time limit, and grading is the same with a warm memory as with none.
"""

from __future__ import annotations

import time
import types

import numpy as np
import pytest
from helpers import mutate
from test_sandbox_cputime import BURN

from grader import runner
from grader.catalog import resolve
from grader.reference_memo import ReferenceTimer, _Unkeyable, key_of, memoized
from grader.sandbox.client import Limits, StudentModule
from grader.sandbox.codec import CallableRef
from grader.stubs import solution_source

CALLS: list[str] = []


def _reference_module() -> types.ModuleType:
    """A stand-in reference module (named as the grader names them) that counts its calls."""
    module = types.ModuleType("_grader_reference_memo_probe")
    source = '''
import time
import numpy as np

def square(x):
    CALLS.append("square")
    return np.asarray(x, dtype=float) ** 2

def apply(fn, x):
    CALLS.append("apply")
    return fn(x)

def scale_in_place(x, k):
    CALLS.append("scale_in_place")
    x *= k
    return x

def slow(x):
    CALLS.append("slow")
    time.sleep(0.05)
    return x

class Node:
    def __init__(self, value):
        self.value = value

def node(value):
    CALLS.append("node")
    return Node(value)

def _private(x):
    return x
'''
    module.__dict__["CALLS"] = CALLS
    exec(compile(source, "<probe>", "exec"), module.__dict__)
    for value in vars(module).values():
        if isinstance(value, types.FunctionType):
            value.__module__ = module.__name__
    return module


@pytest.fixture
def ref():
    CALLS.clear()
    return memoized(_reference_module())


def test_keys_are_exact_in_type_and_bits():
    assert key_of(0.0) != key_of(-0.0)
    assert len({key_of(1), key_of(1.0), key_of(True), key_of(np.float64(1.0)), key_of(np.int64(1))}) == 5
    assert key_of([1, 2]) != key_of((1, 2))
    same_bytes = np.zeros(4)
    assert key_of(same_bytes) != key_of(same_bytes.reshape(2, 2))
    assert key_of(same_bytes) != key_of(np.zeros(4, dtype=np.int64))
    assert key_of(np.array([3.0, 4.0])) == key_of(np.array([3.0, 4.0]))
    assert key_of(CallableRef("bowl_gradient")) == key_of(CallableRef("bowl_gradient"))
    assert key_of(CallableRef("quadratic_gradient", scales=[1.0])) != key_of(
        CallableRef("quadratic_gradient", scales=[2.0]))
    for unkeyable in (lambda x: x, np.random.default_rng(0), np.array(["a"], dtype=object), object(),
                      np.zeros(200_000)):  # the last: over the key's size bound
        with pytest.raises(_Unkeyable):
            key_of(unkeyable)


def test_a_repeated_call_is_answered_from_memory_with_a_copy(ref):
    first = ref.square(np.array([3.0, 4.0]))
    first[0] = -1.0  # the caller changes what it got
    again = ref.square(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(again, [9.0, 16.0])
    again[1] = -1.0
    np.testing.assert_array_equal(ref.square(np.array([3.0, 4.0])), [9.0, 16.0])
    assert CALLS == ["square"]
    assert (ref.__memo__.hits, ref.__memo__.misses) == (2, 1)
    ref.square(np.array([3.0, 5.0]))  # other input, other answer
    assert CALLS == ["square", "square"]


def test_the_references_functions_key_a_call_and_run_plain_inside_it(ref):
    np.testing.assert_array_equal(ref.apply(ref.square, np.array([2.0])), [4.0])
    np.testing.assert_array_equal(ref.apply(ref.square, np.array([2.0])), [4.0])
    # apply ran once; square inside it ran as the plain function (no lookup per inner call)
    assert CALLS == ["apply", "square"]
    assert ref.__memo__.misses == 1


def test_a_function_that_changes_its_arguments_is_computed_every_time(ref):
    x = np.array([1.0, 2.0])
    ref.scale_in_place(x, 2.0)
    np.testing.assert_array_equal(x, [2.0, 4.0])
    y = np.array([1.0, 2.0])
    ref.scale_in_place(y, 2.0)
    np.testing.assert_array_equal(y, [2.0, 4.0])  # the caller sees the change, as without the memory
    assert CALLS == ["scale_in_place", "scale_in_place"]


def test_calls_without_exact_keys_and_values_that_are_not_plain_are_computed_every_time(ref):
    for _ in range(2):
        ref.apply(lambda v: v + 1, 1.0)
        assert ref.node(3).value == 3
    assert CALLS == ["apply", "node", "apply", "node"]
    assert ref.node(3) is not ref.node(3)


def test_a_remembered_call_counts_at_what_it_first_cost():
    ref = memoized(_reference_module())
    with ReferenceTimer() as cold:
        ref.slow(1.0)
    with ReferenceTimer() as warm:
        started = time.perf_counter()
        ref.slow(1.0)
        looked_up = time.perf_counter() - started
    assert looked_up < 0.04 <= cold.seconds
    assert warm.seconds >= cold.seconds * 0.9


def test_the_view_keeps_everything_else_of_the_module(ref):
    assert ref._private(5) == 5
    assert isinstance(ref.Node(1), ref.__wrapped__.Node)
    import inspect

    assert list(inspect.signature(ref.square).parameters) == ["x"]  # feedback names the arguments


def test_a_call_limit_follows_the_remembered_reference_time(tmp_path):
    """A reference answered from memory in microseconds still grants the slow call its 100× budget."""
    path = tmp_path / "probe.py"
    path.write_text(BURN, encoding="utf-8")
    with StudentModule(path, "probe", Limits()) as module:
        # 0.9 s of CPU: over the 0.5 s floor, within 100 × a reference that once took 20 ms
        granted = module.submit("burn", 0.9).result(reference_seconds=0.02)
        floor = module.submit("burn", 0.9).result()
    assert granted.error is None, granted.error
    assert floor.error is not None and floor.error.kind == "timeout"


def _grade(tmp_path, source: str, seed: int, name: str):
    exercise = resolve("exercise1")
    path = tmp_path / name / exercise.file
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    return runner.grade_file(exercise, path, seed=seed, limits=Limits())


def _verdicts(result):
    return [(t.name, t.score, t.output, t.diagnosis) for t in result.tests], result.score


def test_grading_is_the_same_with_a_warm_memory(tmp_path, monkeypatch):
    """A wrong submission graded by a fresh process and by one that has graded others: the same result."""
    exercise = resolve("exercise1")
    reference = solution_source(exercise.file)
    # the factor 2 of d(p²)/dp forgotten
    wrong = mutate(reference, "return 2.0 * np.asarray(point, dtype=float)", "return np.asarray(point, dtype=float)")
    monkeypatch.setattr(runner, "_REFERENCES", {})
    cold = _grade(tmp_path, wrong, 7, "cold")
    memory = runner.graded_reference(exercise).__memo__
    assert memory.misses > 0
    for i, seed in enumerate((7, 8, 7)):
        right = _grade(tmp_path, reference, seed, f"right{i}")
        assert right.score == exercise.max_score
    hits = memory.hits
    warm = _grade(tmp_path, wrong, 7, "warm")
    assert memory.hits > hits
    assert _verdicts(warm) == _verdicts(cold)
    assert warm.score < exercise.max_score
