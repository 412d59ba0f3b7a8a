"""Exercise 8 (autograd): the reference engine, its numbers, and its grading.

The grading tests run the real `grade` CLI on temporary workspaces (reference
full marks, stub 0, every wrong submission in tests/submissions/exercise8.py
diagnosed, alternatives full marks). The math tests compare the reference
engine with an independent autodiff (HIPS `autograd`, from the dev extra) on
random graphs to 1e−10, check every local derivative against sympy.diff, and
recompute the docstrings' numbers.
"""

from __future__ import annotations

import doctest
import importlib.util
import math
import re
from pathlib import Path
from typing import Any

import autograd
import autograd.numpy as anp
import grading_contract as contract
import numpy as np
import pytest
import sympy as sp
from helpers import submission_edits

from grader.catalog import resolve
from grader.hidden import test_exercise8 as hidden
from grader.stubs import stub_source

REPO = Path(__file__).resolve().parent.parent
FILE = "exercise8_autograd.py"
HIDDEN = REPO / "grader" / "hidden" / "test_exercise8.py"
EXERCISE = resolve("exercise8")

ALL = sorted(EXERCISE.points)
GRAPHS = ["test_add_and_mul", "test_sub_neg_div", "test_pow", "test_numbers_on_either_side", "test_exp_and_tanh",
          "test_sigmoid_and_relu", "test_reused_nodes_accumulate", "test_random_deep_graphs",
          "test_zero_grad_then_backward_again"]
NETS = ["test_neuron_notes_example", "test_neuron_random", "test_mlp_gradients", "test_train_mlp"]

# submission -> (a phrase, the tests that fail at seed 1, the tests whose feedback has the phrase [default: all])
WRONG: dict[str, tuple[str, list[str], list[str] | None]] = {
    "assign_not_accumulate": ("assigned (=) where it must be accumulated (+=)",
                              [t for t in GRAPHS + NETS if t not in ("test_pow", "test_neuron_notes_example",
                                                                     "test_neuron_random")],
                              ["test_add_and_mul", "test_reused_nodes_accumulate", "test_mlp_gradients"]),
    "no_visited_set": ("more than once", ["test_reused_nodes_accumulate", "test_topological_order",
                                          "test_random_deep_graphs", "test_zero_grad_then_backward_again"], None),
    "forward_order": ("REVERSE topological order", [t for t in ALL if t not in ("test_pow", "test_topological_order")],
                      None),
    "no_root_grad": ("backward() must first set output.grad = 1", [t for t in ALL if t != "test_topological_order"],
                     None),
    # training builds a fresh graph every epoch, so only a second backward pass on one graph shows it
    "zero_grad_leaves_only": ("zero_grad() reset only the leaves", ["test_zero_grad_then_backward_again"], None),
    "zero_grad_root_only": ("zero_grad() reset only the output",
                            ["test_zero_grad_then_backward_again", "test_train_mlp"],
                            ["test_zero_grad_then_backward_again"]),
    "mul_own_factor": ("each input gets the OTHER factor", [t for t in ALL if t not in ("test_pow",
                                                                                       "test_topological_order")],
                       ["test_add_and_mul", "test_reused_nodes_accumulate", "test_neuron_notes_example",
                        "test_mlp_gradients"]),
    "pow_missing_k": ("the factor k is missing", ["test_sub_neg_div", "test_pow", "test_numbers_on_either_side",
                                                 "test_random_deep_graphs", "test_zero_grad_then_backward_again",
                                                 *NETS], ["test_pow", *NETS]),
    "exp_grad_from_input": ("∂c/∂u = eᵘ = c.data, not u", ["test_exp_and_tanh", "test_random_deep_graphs",
                                                           "test_zero_grad_then_backward_again"], None),
    "tanh_one_minus_t": ("1 − c² (c squared), not 1 − c",
                         ["test_exp_and_tanh", "test_reused_nodes_accumulate", "test_zero_grad_then_backward_again",
                          "test_neuron_random", "test_mlp_gradients", "test_train_mlp"], None),
    "sigmoid_from_input": ("not u·(1 − u)", ["test_sigmoid_and_relu", "test_random_deep_graphs",
                                             "test_neuron_random"], None),
    "sigmoid_overflows": ("OverflowError", ["test_sigmoid_and_relu"], None),
    "relu_always_one": ("1 only where u > 0", ["test_sigmoid_and_relu"], None),
    "relu_one_at_zero": ("at exactly u = 0 is 0", ["test_sigmoid_and_relu"], None),
    "rsub_swapped": ("computes k − self", ["test_numbers_on_either_side"], None),
    "rtruediv_swapped": ("computes k / self", ["test_numbers_on_either_side"], None),
    "neuron_no_bias": ("bias", NETS, None),
    "mse_sum": ("MEAN of the squared errors", ["test_mlp_gradients", "test_train_mlp"], None),
    "train_no_zero_grad": ("not zeroed before each backward pass", ["test_train_mlp"], None),
    # the chain rule's out.grad left out of one operation; the reference's / is a·b⁻¹, so ** shows in / too
    # (a neuron has no ** in it, the MSE does)
    "exp_no_chain": ("The chain rule is missing in exp", ["test_exp_and_tanh", "test_random_deep_graphs",
                                                         "test_zero_grad_then_backward_again"], None),
    "pow_no_chain": ("The chain rule is missing in __pow__", ["test_sub_neg_div", "test_numbers_on_either_side",
                                                              "test_random_deep_graphs",
                                                              "test_zero_grad_then_backward_again",
                                                              "test_mlp_gradients", "test_train_mlp"], None),
}
ALTERNATIVES = ["alt_recursive_topo", "alt_direct_ops", "alt_kahn"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> contract.Graded:
    """Every submission graded once (two at a time: each run is its own process pair)."""
    return contract.grade_class(EXERCISE, [*WRONG, *ALTERNATIVES], tmp_path_factory.mktemp("ex8"),
                                reseeded="tanh_one_minus_t")


@pytest.mark.parametrize("seed", contract.REFERENCE_SEEDS)
def test_reference_gets_full_marks(graded, seed):
    contract.assert_full_marks(graded[("reference", seed)], EXERCISE)


def test_untouched_stub_scores_zero(graded):
    contract.assert_stub_scores_zero(graded[("stub", 1)])


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_is_diagnosed(graded, name):
    phrase, failing, diagnosed = WRONG[name]
    contract.assert_loses_exactly(graded[(name, 1)], EXERCISE, failing)
    contract.assert_feedback_says(graded[(name, 1)], phrase, diagnosed or failing)


def test_every_submission_is_used():
    assert set(submission_edits(8)) == {*WRONG, *ALTERNATIVES}
    assert len(WRONG) >= 12 and len(ALTERNATIVES) >= 3


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_alternative_correct_solution_gets_full_marks(graded, name):
    contract.assert_passes(graded[(name, 1)])


def test_seed_changes_the_random_inputs_only(graded):
    # the first failing call of test_exp_and_tanh is the fixed tanh(0.5), whatever the seed
    contract.assert_seed_changes_only(graded, "tanh_one_minus_t", ["test_neuron_random", "test_mlp_gradients"],
                             fixed_tests=["test_exp_and_tanh"])


def test_failed_graph_feedback_shows_the_graph(graded):
    output = contract.by_id(graded[("rsub_swapped", 1)])["test_numbers_on_either_side"]["output"]
    assert "the graph: x0 = " in output and " - x0" in output


# -- catalog, stub, hidden tests agree -------------------------------------------------

def test_catalog_entry():
    assert (EXERCISE.number, EXERCISE.slug, EXERCISE.topic, EXERCISE.file, EXERCISE.tests) == (
        8, "autograd", "autograd", FILE, "test_exercise8")
    assert 3 <= len(EXERCISE.hints) <= 5
    assert contract.hidden_test_ids(EXERCISE) == set(EXERCISE.points)
    assert set(EXERCISE.function_hints) == {"evaluate_graph", "graph_order", "neuron_grads", "mlp_grads", "train_mlp"}


def test_exercise_file_is_the_generated_stub():
    contract.assert_stub_is_generated(EXERCISE)


def test_stub_keeps_the_plain_data_entry_points():
    """The functions the grader calls are written for the student; only the engine and the nets are blanked."""
    stub = stub_source(FILE)
    for name in ("evaluate_graph", "graph_order", "neuron_grads", "mlp_grads", "train_mlp", "parameters"):
        body = stub.split(f"def {name}(", 1)[1].split("\ndef ", 1)[0]
        assert "NotImplementedError" not in body, name
    assert stub.count("raise NotImplementedError()") == 21


# -- the reference engine ------------------------------------------------------------------

def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_ex8_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ref() -> Any:
    return _load(REPO / "solutions" / FILE)


def test_docstring_examples_run(ref):
    result = doctest.testmod(ref, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 3


def _autograd_graph(spec: dict[str, Any]) -> Any:
    """The spec as a function of the leaves, written with autograd.numpy."""
    unary = {"neg": lambda a: -a, "exp": anp.exp, "tanh": anp.tanh,
             "sigmoid": lambda a: 1.0 / (1.0 + anp.exp(-a)), "relu": lambda a: anp.maximum(a, 0.0)}
    binary = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
              "div": lambda a, b: a / b}
    number = {"pow": lambda a, k: a**k, "radd": lambda a, k: k + a, "rsub": lambda a, k: k - a,
              "rmul": lambda a, k: k * a, "rtruediv": lambda a, k: k / a, "addc": lambda a, k: a + k,
              "subc": lambda a, k: a - k, "mulc": lambda a, k: a * k, "divc": lambda a, k: a / k}

    def f(leaves: Any) -> Any:
        nodes = [leaves[i] for i in range(len(spec["leaves"]))]
        for op, *args in spec["ops"]:
            a = nodes[int(args[0])]
            if op in unary:
                nodes.append(unary[op](a))
            elif op in binary:
                nodes.append(binary[op](a, nodes[int(args[1])]))
            else:
                nodes.append(number[op](a, float(args[1])))
        return nodes[-1]

    return f


@pytest.mark.parametrize("seed", range(12))
def test_reference_matches_autograd_on_random_graphs(ref, seed):
    rng = np.random.default_rng(seed)
    spec = hidden._random_spec(rng, int(rng.integers(10, 80)), passes=int(rng.integers(1, 3)))
    got = ref.evaluate_graph(spec)
    f = _autograd_graph(spec)
    leaves = np.array(spec["leaves"])
    assert got["value"] == pytest.approx(float(f(leaves)), rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(got["grads"], autograd.grad(f)(leaves), rtol=1e-10, atol=1e-10)


def test_reference_matches_autograd_on_the_mlp(ref):
    raw = ref.init_mlp(3, 4, seed=3)
    result = ref.mlp_grads(raw, ref.DATA_X, ref.DATA_Y)

    def loss(W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
        H = anp.tanh(anp.array(ref.DATA_X) @ W1.T + b1)
        return anp.mean((H @ W2 + b2 - anp.array(ref.DATA_Y)) ** 2)

    args = [np.array(raw["W1"]), np.array(raw["b1"]), np.array(raw["W2"]), float(raw["b2"])]
    assert result["loss"] == pytest.approx(float(loss(*args)), rel=1e-12)
    for i, key in enumerate(("W1", "b1", "W2", "b2")):
        np.testing.assert_allclose(result["grads"][key], autograd.grad(loss, i)(*args), rtol=1e-10, atol=1e-12)


def test_hidden_tests_baseline_engine_is_the_reference(ref):
    """The mutants' engine with no mistake switched on agrees with the reference; each mistake changes something."""
    rng = np.random.default_rng(7)
    specs = [hidden._random_spec(rng, 40, passes=2) for _ in range(4)]
    specs += [hidden._spec([v], [[op, 0, 2.5], ["mul", 1, 0]]) for op in ("rsub", "rtruediv") for v in (0.7, -1.3)]
    specs += [hidden._spec([0.0], [["relu", 0]]), hidden._spec([-0.8], [["relu", 0]]),
              hidden._spec([0.9, 0.4, -1.1], [["mul", 0, 1], ["mul", 0, 2], ["add", 3, 4], ["tanh", 5]], 2)]
    for spec in specs:
        expected = ref.evaluate_graph(spec)
        base = hidden._evaluate(spec)
        assert base["value"] == pytest.approx(expected["value"], rel=1e-12)
        np.testing.assert_allclose(base["grads"], expected["grads"], rtol=1e-12, atol=1e-12)
    for mistake, _ in hidden.ENGINE_MISTAKES:
        differs = False
        for spec in specs:
            try:
                wrong = hidden._evaluate(spec, mistake)
            except (hidden._TooBig, RecursionError):
                differs = True
                break
            if not np.allclose(wrong["grads"], ref.evaluate_graph(spec)["grads"], rtol=1e-9, atol=1e-10):
                differs = True
                break
        assert differs, mistake


def test_graph_order_of_the_docstring_example(ref):
    spec = hidden._spec([2.0, -3.0], [["mul", 0, 1], ["add", 2, 0]])
    assert ref.graph_order(spec) in ([0, 1, 2, 3], [1, 0, 2, 3])
    assert ref.evaluate_graph(spec) == {"value": -4.0, "grads": [-2.0, 2.0]}


def test_deep_graph_needs_no_recursion(ref):
    """The reference's topological order is iterative: a chain 5000 nodes deep works."""
    x = ref.Value(0.3)
    y = x
    for _ in range(5000):
        y = (y * 0.999).tanh() + 0.0001
    y.backward()
    assert math.isfinite(x.grad) and len(y.topological_order()) > 5000


def test_backward_twice_with_zero_grad_is_idempotent_and_without_it_accumulates(ref):
    a, b = ref.Value(1.5), ref.Value(-0.5)
    out = (a * b + a).tanh()
    out.backward()
    first = (a.grad, b.grad)
    out.zero_grad()
    out.backward()
    assert (a.grad, b.grad) == first
    out.backward()  # no zero_grad: the leaves' grads grow (they accumulate, like PyTorch's)
    assert abs(a.grad) > abs(first[0])


def test_sigmoid_saturates_without_overflow(ref):
    for x, expected in ((1000.0, 1.0), (-1000.0, 0.0), (0.0, 0.5)):
        v = ref.Value(x)
        s = v.sigmoid()
        s.backward()
        assert s.data == expected and v.grad == expected * (1 - expected)


def test_docstring_numbers(ref):
    t = math.tanh(0.5)
    doc = ref.Value.tanh.__doc__
    assert f"≈ {t:.6f}" in doc and f"≈ {1 - t * t:.6f}" in doc
    v = ref.Value(0.5)
    out = v.tanh()
    out.backward()
    assert v.grad == pytest.approx(1 - t * t, rel=1e-15)
    v = ref.Value(4.0)
    out = v**-0.5
    out.backward()
    assert (out.data, v.grad) == (0.5, -0.0625)
    v = ref.Value(4.0)
    out = 2.0 / v
    out.backward()
    assert (out.data, v.grad) == (0.5, -0.125)
    a, b = ref.Value(6.0), ref.Value(4.0)
    out = a / b
    out.backward()
    assert (out.data, a.grad, b.grad) == (1.5, 0.25, -0.375)
    params = {"W1": [[ref.Value(1.0), ref.Value(0.0)], [ref.Value(0.0), ref.Value(1.0)]],
              "b1": [ref.Value(0.0), ref.Value(0.0)], "W2": [ref.Value(1.0), ref.Value(1.0)], "b2": ref.Value(0.0)}
    assert ref.mlp_forward(params, [0.5, -0.5]).data == 0.0
    assert f"{t:.6f}, −{t:.6f}" in ref.mlp_forward.__doc__
    n = ref.neuron([ref.Value(0.5), ref.Value(-1.0)], ref.Value(0.25), [2.0, 1.0], "linear")
    assert n.data == 0.25
    notes = ref.neuron_grads([0.5], 0.0, [2.0], 3.0)
    assert notes == {"loss": 4.0, "w": [-8.0], "b": -4.0, "x": [-2.0]}


def test_training_lowers_the_loss(ref):
    result = ref.train_mlp(ref.init_mlp(3, 4, seed=0), ref.DATA_X, ref.DATA_Y, 0.05, 60)
    losses = result["losses"]
    assert len(losses) == 61 and losses[-1] < 0.2 * losses[0]


# -- local derivatives against sympy ----------------------------------------------------------

u, a_, b_, k = sp.symbols("u a b k", real=True)
SIGMA = 1 / (1 + sp.exp(-u))
LOCAL = [
    (a_ + b_, a_, 1), (a_ + b_, b_, 1), (a_ * b_, a_, b_), (a_ * b_, b_, a_), (a_ - b_, b_, -1),
    (a_ / b_, a_, 1 / b_), (a_ / b_, b_, -a_ / b_**2), (u**k, u, k * u ** (k - 1)), (sp.exp(u), u, sp.exp(u)),
    (sp.tanh(u), u, 1 - sp.tanh(u) ** 2), (SIGMA, u, SIGMA * (1 - SIGMA)), (k - u, u, -1), (k / u, u, -k / u**2),
]


@pytest.mark.parametrize(("function", "var", "claimed"), LOCAL)
def test_module_docstring_local_derivatives_match_sympy(function, var, claimed):
    assert sp.simplify(sp.diff(function, var) - claimed) == 0


def test_engine_local_derivatives_match_central_differences(ref):
    h = 1e-6
    for op in ("exp", "tanh", "sigmoid", "relu"):
        for x in (-1.7, -0.4, 0.3, 1.2):
            v = ref.Value(x)
            out = getattr(v, op)()
            out.backward()
            fd = (getattr(ref.Value(x + h), op)().data - getattr(ref.Value(x - h), op)().data) / (2 * h)
            assert v.grad == pytest.approx(fd, rel=1e-7, abs=1e-9), (op, x)


# -- hints ----------------------------------------------------------------------------------

t_, kk = sp.symbols("t kk", real=True)
HINT_FORMULAS = {  # the hint's text -> (the derivative it claims, what it must equal)
    "1 - t**2": (sp.diff(sp.tanh(u), u), (1 - t_**2).subs(t_, sp.tanh(u))),
    "t * (1 - t)": (sp.diff(SIGMA, u), (t_ * (1 - t_)).subs(t_, SIGMA)),
    "t": (sp.diff(sp.exp(u), u), sp.exp(u)),
    "k * self.data**(k - 1)": (sp.diff(u**k, u), k * u ** (k - 1)),
}
HINT_CODE = {  # code in the hints that is not a derivative formula (checked by the reference behaving so)
    "out", "_backward", "self.grad += other.data * out.grad", "other.grad += self.data * out.grad",
    "1.0 if self.data > 0 else 0.0", "visited", "self.grad = 1.0", "node._backward()",
    "reversed(self.topological_order())", "node.grad = 0.0", "self.topological_order()", "loss.zero_grad()",
    "loss.backward()", "p.data -= learning_rate * p.grad", "out.grad",
}


def test_every_hint_snippet_is_known_and_derivatives_are_right():
    snippets = {s for hint in EXERCISE.hints for s in re.findall(r"`([^`]*)`", hint)}
    assert snippets == set(HINT_FORMULAS) | HINT_CODE
    for claimed, expected in HINT_FORMULAS.values():
        assert sp.simplify(claimed - expected) == 0


def test_operator_docstring_examples(ref):
    """The worked examples in the operators' docstrings (data and input grads)."""
    V = ref.Value
    cases = [  # (build the output from the input Values, inputs, data, grads)
        (lambda a: -a, [2.0], -2.0, [-1.0]),
        (lambda a, b: a - b, [5.0, 2.0], 3.0, [1.0, -1.0]),
        (lambda a: 1.0 + a, [2.0], 3.0, [1.0]),
        (lambda a: 2.0 * a, [3.0], 6.0, [2.0]),
        (lambda a: 1.0 - a, [0.25], 0.75, [-1.0]),
        (lambda a: a**2, [3.0], 9.0, [6.0]),
        (lambda a: a.exp(), [0.0], 1.0, [1.0]),
        (lambda a: a.sigmoid(), [0.0], 0.5, [0.25]),
        (lambda a: a.relu(), [-2.0], 0.0, [0.0]),
        (lambda a: a.relu(), [3.0], 3.0, [1.0]),
        (lambda a, b: a * b, [2.0, -3.0], -6.0, [-3.0, 2.0]),
        (lambda a, b: a * b + a, [2.0, -3.0], -4.0, [-2.0, 2.0]),
    ]
    for build, inputs, data, grads in cases:
        values = [V(x) for x in inputs]
        out = build(*values)
        out.backward()
        assert out.data == pytest.approx(data, rel=1e-15) and [v.grad for v in values] == pytest.approx(grads)
        out.zero_grad()
        assert all(v.grad == 0.0 for v in [*values, out])
    params = {"W1": [[V(1.0), V(0.0)], [V(0.0), V(1.0)]], "b1": [V(0.0), V(0.0)], "W2": [V(1.0), V(1.0)],
              "b2": V(0.0)}
    assert ref.mse_loss(params, [(0.5, -0.5)], [1.0]).data == pytest.approx(1.0, abs=1e-15)
    losses = ref.sgd_train(ref._as_params(ref.init_mlp(3, 4, seed=0)), ref.DATA_X, ref.DATA_Y, 0.05, 25)
    assert f"≈ {losses[0]:.4f} to ≈ {losses[-1]:.4f}" in ref.sgd_train.__doc__
