"""Hidden tests for exercise 3: the chain rule and a small backward pass.

Symbolic derivatives are checked for equivalence with SymPy; the neuron's
forward and backward passes and the chain's backward sweep are compared with
the reference on the worked examples and on seeded random inputs. Mutants
name the classic mistakes: a forgotten inner derivative, a sign slip, a lost
factor 2, σ' evaluated at z instead of σ(z), the wrong variable, and
recomputing what the upstream gradient already holds.
"""

from __future__ import annotations

import numpy as np

from grader.checking import Mutant, check_call
from grader.checking_symbolic import SymbolicMistake, check_symbolic
from grader.inputs import distinct_dims, nonzero
from grader.sandbox.codec import CallableRef

VARIABLES = ("w", "x", "y", "b")
SIGMA = "1/(1 + exp(-(w*x + b)))"  # σ(w·x + b) written out


# -- symbolic chain-rule derivatives ----------------------------------------------

SQUARED_ERROR_MISTAKES = [
    SymbolicMistake("2*(w*x - y)",
                    "You left out the inner derivative: the chain rule multiplies the outer derivative "
                    "2(w·x − y) by d(w·x − y)/dw = x."),
    SymbolicMistake("2*(y - w*x)*x", "Sign error: the outer derivative of u² is 2u with u = w·x − y, not y − w·x."),
    SymbolicMistake("(w*x - y)*x", "You dropped the factor 2: d(u²)/du = 2u."),
    SymbolicMistake("2*(w*x - y)*w", "That is the derivative with respect to x; here w varies and x is a constant."),
    SymbolicMistake("-2*(w*x - y)", "That is the derivative with respect to y; here w varies."),
    SymbolicMistake("x", "You kept only the inner derivative x; multiply it by the outer derivative 2(w·x − y)."),
    SymbolicMistake("2*(w*x - y)**2*x", "The power rule lowers the power: d(u²)/du = 2u, not 2u²."),
]

SIGMOID_MISTAKES = [
    SymbolicMistake(f"{SIGMA}*(1 - {SIGMA})",
                    "You left out the inner derivative d(w·x + b)/dw = x (your answer is the derivative "
                    "with respect to b)."),
    SymbolicMistake("(w*x + b)*(1 - (w*x + b))*x",
                    "σ'(z) = σ(z)·(1 − σ(z)) is computed from σ(z), not from z: you wrote z·(1 − z) "
                    "with z = w·x + b."),
    SymbolicMistake("(w*x + b)*(1 - (w*x + b))",
                    "σ'(z) = σ(z)·(1 − σ(z)) is computed from σ(z), not from z, and the inner derivative x "
                    "is missing too."),
    SymbolicMistake(f"-{SIGMA}*(1 - {SIGMA})*x", "Sign error: σ is increasing, σ'(z) = σ(z)·(1 − σ(z)) > 0."),
    SymbolicMistake(f"{SIGMA}*(1 - {SIGMA})*w",
                    "That is the derivative with respect to x; here w varies and x is a constant."),
    SymbolicMistake(f"{SIGMA}*x", "σ'(z) is σ(z)·(1 − σ(z)), not σ(z)."),
    SymbolicMistake(f"{SIGMA}*(1 + {SIGMA})*x", "σ'(z) is σ(z)·(1 − σ(z)), with a minus sign."),
]

GAUSSIAN_MISTAKES = [
    SymbolicMistake("exp(-x**2)",
                    "You left out the inner derivative: d(e^u)/du = e^u is multiplied by d(−x²)/dx = −2x."),
    SymbolicMistake("2*x*exp(-x**2)", "Sign error: the inner derivative of −x² is −2x."),
    SymbolicMistake("-x*exp(-x**2)", "You dropped the factor 2: d(−x²)/dx = −2x."),
    SymbolicMistake("-2*x", "You kept only the inner derivative −2x; multiply by the outer derivative e^(−x²)."),
    SymbolicMistake("-2*x*exp(-2*x)",
                    "The outer derivative e^u is evaluated at the inner value u = −x², giving e^(−x²)."),
]


def test_squared_error_derivative(student, seed):
    """chain_rule_derivatives["squared_error"]: d/dw of (w·x − y)², the notes' neuron."""
    check_symbolic(student, "chain_rule_derivatives", key="squared_error", function="(w*x - y)**2", wrt="w",
                   variables=VARIABLES, question="d/dw of (w·x − y)²", mistakes=SQUARED_ERROR_MISTAKES,
                   seed=seed)


def test_sigmoid_neuron_derivative(student, seed):
    """chain_rule_derivatives["sigmoid_neuron"]: d/dw of σ(w·x + b)."""
    check_symbolic(student, "chain_rule_derivatives", key="sigmoid_neuron", function=SIGMA, wrt="w",
                   variables=VARIABLES, question="d/dw of σ(w·x + b)", mistakes=SIGMOID_MISTAKES, seed=seed)


def test_gaussian_derivative(student, seed):
    """chain_rule_derivatives["gaussian"]: d/dx of exp(−x²)."""
    check_symbolic(student, "chain_rule_derivatives", key="gaussian", function="exp(-x**2)", wrt="x",
                   variables=VARIABLES, question="d/dx of exp(−x²)", mistakes=GAUSSIAN_MISTAKES, seed=seed)


# -- sigmoid_backward ----------------------------------------------------------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


SIGMOID_BACKWARD_MUTANTS = [
    Mutant("You left out the upstream gradient: dL/dz = upstream · a(1 − a).", lambda u, a: a * (1 - a)),
    Mutant("a is already σ(z): you applied σ again. The local derivative is a·(1 − a).",
           lambda u, a: u * _sigmoid(a) * (1 - _sigmoid(a))),
    Mutant("σ'(z) is a·(1 − a), with a minus sign.", lambda u, a: u * a * (1 + a)),
    Mutant("Sign error: σ'(z) = a·(1 − a) is positive.", lambda u, a: -u * a * (1 - a)),
    Mutant("σ'(z) is a·(1 − a), not a.", lambda u, a: u * a),
    Mutant("σ'(z) is a·(1 − a), not 1 − a.", lambda u, a: u * (1 - a)),
]


def test_sigmoid_backward(student, ref, rng):
    """sigmoid_backward: upstream · a(1 − a) for random activations and upstream gradients."""
    check_call(student, ref.sigmoid_backward, "sigmoid_backward", [2.0, 0.5], mutants=SIGMOID_BACKWARD_MUTANTS)
    for d in distinct_dims(rng, 2):
        a = _sigmoid(nonzero(rng, (d,)))
        check_call(student, ref.sigmoid_backward, "sigmoid_backward", [nonzero(rng, (d,)), a],
                   mutants=SIGMOID_BACKWARD_MUTANTS)
    check_call(student, ref.sigmoid_backward, "sigmoid_backward",
               [nonzero(rng, (), 1e3, 1e5), float(_sigmoid(nonzero(rng)))], mutants=SIGMOID_BACKWARD_MUTANTS)


# -- neuron_forward / neuron_backward -------------------------------------------------

WORKED = (np.array([1.0, -2.0]), np.array([0.5, 0.25]), 0.0, 0.25)


def _neuron_inputs(rng: np.random.Generator, d: int, scale: float = 1.0) -> list:
    """w, x, b, y with z = w·x + b of moderate size (so σ' is not vanishingly small)."""
    w = nonzero(rng, (d,), 0.3, 1.5)
    x = nonzero(rng, (d,), 0.3, 1.5) * scale
    z = nonzero(rng, (), 0.3, 2.5)
    b = float(z - w @ x)
    y = float(rng.choice([0.0, 1.0, rng.uniform(0.1, 0.9)]))
    return [w, x, b, y]


def _forward_mutants(ref) -> list[Mutant]:
    def cache_of(w, x, b, y, z, a):
        return {"x": np.asarray(x, dtype=float), "w": np.asarray(w, dtype=float), "z": z, "a": a, "y": y}

    def no_square(w, x, b, y):
        _, cache = ref.neuron_forward(w, x, b, y)
        return float(cache["a"] - y), cache

    def no_sigmoid(w, x, b, y):
        z = float(np.dot(w, x) + b)
        return (z - y) ** 2, cache_of(w, x, b, y, z, z)

    def no_bias(w, x, b, y):
        z = float(np.dot(w, x))
        a = float(_sigmoid(z))
        return (a - y) ** 2, cache_of(w, x, b, y, z, a)

    return [
        Mutant("The loss is the SQUARED error (a − y)²; you returned a − y.", no_square),
        Mutant("You skipped the activation: a = σ(z), and the loss is (a − y)².", no_sigmoid),
        Mutant("You left out the bias: z = w·x + b.", no_bias),
    ]


def test_neuron_forward_worked_example(student, ref):
    """neuron_forward on the docstring example: z = 0, a = σ(0) = 0.5, L = (0.5 − 0.25)² = 0.0625."""
    check_call(student, ref.neuron_forward, "neuron_forward", list(WORKED), mutants=_forward_mutants(ref))


def test_neuron_forward_random(student, ref, rng):
    """neuron_forward returns the loss and the cache {x, w, z, a, y} on random neurons, one of large input."""
    for d in distinct_dims(rng, 2):
        check_call(student, ref.neuron_forward, "neuron_forward", _neuron_inputs(rng, d),
                   mutants=_forward_mutants(ref))
    check_call(student, ref.neuron_forward, "neuron_forward", _neuron_inputs(rng, 3, scale=1e3),
               mutants=_forward_mutants(ref))


def _backward_mutants(ref) -> list[Mutant]:
    def correct_outer(a, y):
        return 2 * (a - y)

    def correct_local(a, z):
        return a * (1 - a)

    def variant(outer=correct_outer, local=correct_local, *, use_upstream=True, swap=False, inner=True):
        """neuron_backward with one step replaced: dL/dz = upstream · outer(a, y) · local(a, z), then z = w·x + b."""
        def fn(cache, upstream=1.0):
            scale = upstream if use_upstream else 1.0
            d_z = scale * outer(cache["a"], cache["y"]) * local(cache["a"], cache["z"])
            x = np.asarray(cache["x"], dtype=float)
            w = np.asarray(cache["w"], dtype=float)
            if not inner:
                return {"w": d_z, "b": float(d_z), "x": d_z}
            if swap:
                x, w = w, x
            return {"w": d_z * x, "b": float(d_z), "x": d_z * w}
        return fn

    def inner_w_only(cache, upstream=1.0):
        out = ref.neuron_backward(cache, upstream)
        out["w"] = out["b"]
        return out

    def inner_x_only(cache, upstream=1.0):
        out = ref.neuron_backward(cache, upstream)
        out["x"] = out["b"] * np.ones_like(np.asarray(cache["x"], dtype=float))
        return out

    def inner_x_scalar(cache, upstream=1.0):
        out = ref.neuron_backward(cache, upstream)
        out["x"] = out["b"]
        return out

    def bias_times_x(cache, upstream=1.0):
        out = ref.neuron_backward(cache, upstream)
        out["b"] = out["w"]
        return out

    return [
        Mutant("Your dL/dz is a(1 − a) alone: the gradient from above, upstream · 2(a − y), was never "
               "multiplied in. Does your sigmoid_backward use its `upstream` argument?",
               variant(outer=lambda a, y: 1.0, use_upstream=False)),
        Mutant("σ'(z) = σ(z)·(1 − σ(z)) must be computed from a = σ(z), not from z: you used z·(1 − z).",
               variant(local=lambda a, z: z * (1 - z))),
        Mutant("Sign error: dL/da = 2(a − y), not 2(y − a).", variant(outer=lambda a, y: 2 * (y - a))),
        Mutant("You dropped the factor 2: dL/da = 2(a − y).", variant(outer=lambda a, y: a - y)),
        Mutant("You skipped the sigmoid's local derivative: dL/dz = dL/da · a(1 − a).",
               variant(local=lambda a, z: 1.0)),
        Mutant("You left out the inner derivative of z = w·x + b: dL/dw = dL/dz · x and dL/dx = dL/dz · w "
               "(you returned dL/dz itself).", variant(inner=False)),
        Mutant("You left out the inner derivative for w: dL/dw = dL/dz · x (you returned dL/dz).", inner_w_only),
        Mutant("Your \"x\" entry misses its chain factor: dL/dx = dL/dz · ∂z/∂x = dL/dz · w "
               "(you returned dL/dz for every component).", inner_x_only),
        Mutant("Your \"x\" entry misses its chain factor: dL/dx = dL/dz · w, an array like x "
               "(you returned the number dL/dz).", inner_x_scalar),
        Mutant("Your \"b\" entry has a factor x it should not have: ∂z/∂b = 1, so dL/db = dL/dz.",
               bias_times_x),
        Mutant("Wrong variable: ∂z/∂w = x and ∂z/∂x = w; you swapped them.", variant(swap=True)),
        Mutant("You ignored `upstream`: multiply it in first, dL/da = upstream · 2(a − y).",
               variant(use_upstream=False)),
    ]


def test_neuron_backward_worked_example(student, ref):
    """neuron_backward on the docstring example: dL/dw = (0.0625, 0.03125), dL/db = 0.125, dL/dx = (0.125, −0.25)."""
    _, cache = ref.neuron_forward(*WORKED)
    check_call(student, ref.neuron_backward, "neuron_backward", [cache], mutants=_backward_mutants(ref))


def test_neuron_backward_random(student, ref, rng):
    """neuron_backward on random neurons and upstream gradients (1, 1/N and random), one of large input."""
    cases = [(d, 1.0) for d in distinct_dims(rng, 2)]
    cases += [(int(rng.integers(2, 6)), 1.0 / int(rng.integers(3, 9))), (int(rng.integers(2, 6)), nonzero(rng))]
    for d, upstream in cases:
        _, cache = ref.neuron_forward(*_neuron_inputs(rng, d))
        check_call(student, ref.neuron_backward, "neuron_backward", [cache, upstream],
                   mutants=_backward_mutants(ref))
    _, cache = ref.neuron_forward(*_neuron_inputs(rng, 4, scale=1e3))
    check_call(student, ref.neuron_backward, "neuron_backward", [cache, nonzero(rng)],
               mutants=_backward_mutants(ref))


# -- chain_backward ---------------------------------------------------------------------

def _chain_mutants(ref) -> list[Mutant]:
    def no_upstream(lg, n, upstream):
        return ref.chain_backward(lg, n, 1.0)

    def no_last(lg, n, upstream):
        return ref.chain_backward(lg, n, upstream)[:-1]

    def reversed_order(lg, n, upstream):
        return ref.chain_backward(lg, n, upstream)[::-1]

    def from_input_side(lg, n, upstream):
        locals_ = [lg(i) for i in range(1, n + 1)]
        return upstream * np.concatenate([[1.0], np.cumprod(locals_)])

    def added(lg, n, upstream):
        g = np.empty(n + 1)
        g[n] = upstream
        for i in range(n, 0, -1):
            g[i - 1] = g[i] + lg(i)
        return g

    return [
        Mutant("You started the sweep from 1 instead of `upstream`: dL/dz_k = upstream.", no_upstream),
        Mutant("Return all k + 1 gradients dL/dz_0 … dL/dz_k; the last one is upstream itself.", no_last),
        Mutant("Your array is reversed: g[i] must be dL/dz_i, so g[0] = dL/dx and g[k] = upstream.",
               reversed_order),
        Mutant("You multiplied from the input side; the backward sweep starts at the loss: "
               "dL/dz_(i−1) = dL/dz_i · dz_i/dz_(i−1).", from_input_side),
        Mutant("The chain rule MULTIPLIES local derivatives; you added them.", added),
    ]


def _chain(rng: np.random.Generator, n: int, once: bool, low: float = 0.3, high: float = 3.0) -> CallableRef:
    return CallableRef("chain_local_grad", values=nonzero(rng, (n,), low, high).tolist(), once=once)


def test_chain_backward_worked_example(student, ref):
    """chain_backward with local derivatives 2, 3, 0.5 and upstream 1 gives (3, 1.5, 0.5, 1)."""
    local_grad = CallableRef("chain_local_grad", values=[2.0, 3.0, 0.5])
    check_call(student, ref.chain_backward, "chain_backward", [local_grad, 3, 1.0], mutants=_chain_mutants(ref))


def test_chain_backward_random(student, ref, rng):
    """chain_backward on random chains and upstream gradients, one with large local derivatives."""
    for n in distinct_dims(rng, 3, 2, 9):
        check_call(student, ref.chain_backward, "chain_backward", [_chain(rng, n, False), n, nonzero(rng)],
                   mutants=_chain_mutants(ref))
    check_call(student, ref.chain_backward, "chain_backward",
               [_chain(rng, 5, False, 1e2, 1e3), 5, nonzero(rng, (), 1e2, 1e3)], mutants=_chain_mutants(ref))


def test_chain_backward_one_node(student, ref, rng):
    """chain_backward on a chain of one node: g = (upstream · dz_1/dz_0, upstream), shape (2,)."""
    local_grad = _chain(rng, 1, False)
    check_call(student, ref.chain_backward, "chain_backward", [local_grad, 1, nonzero(rng)],
               mutants=_chain_mutants(ref), context="A chain of ONE node (k = 1): the loop runs once.")


def test_chain_backward_reuses_upstream(student, ref, rng):
    """chain_backward asks for each local derivative once, reusing the upstream gradient (long chains)."""
    for n in (int(rng.integers(12, 20)), int(rng.integers(25, 40))):
        check_call(student, ref.chain_backward, "chain_backward",
                   [_chain(rng, n, True, 0.8, 1.25), n, nonzero(rng)], mutants=_chain_mutants(ref),
                   context=f"A chain of {n} nodes whose local_grad answers each node only once:")
