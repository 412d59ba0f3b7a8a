"""Hidden tests for exercise 10: activations, initialisation, δ-norms, clipping, early stopping.

The δ's are compared with a relative tolerance of 1e−9 and no absolute floor:
vanishing gradients are tiny numbers (1e−18 in a 10-layer sigmoid network
with small weights), and their size is the point. Known mistakes are
recognised by the variants below, written independently of the reference.
"""

from __future__ import annotations

import copy
import functools
import itertools
from typing import Any

import numpy as np

from grader.checking import Mutant, check_call
from grader.inputs import distinct_dims, learning_rate, nonzero
from grader.parts import parts_equal

SLOPE = 0.01
NAMES = ("sigmoid", "tanh", "relu", "leaky_relu")


def _sigmoid(z: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def _g(z: Any, name: str) -> Any:
    z = np.asarray(z, dtype=float)
    return {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0.0),
            "leaky_relu": lambda v: np.where(v > 0, v, SLOPE * v)}[name](z)


def _gprime(z: Any, name: str, mistake: str = "") -> Any:
    z = np.asarray(z, dtype=float)
    if name == "sigmoid":
        if mistake == "from_z":
            return z * (1 - z)
        if mistake == "twice":
            return _sigmoid(_sigmoid(z)) * (1 - _sigmoid(_sigmoid(z)))
        return _sigmoid(z) * (1 - _sigmoid(z))
    if name == "tanh":
        return {"not_squared": 1 - np.tanh(z), "from_z": 1 - z**2}.get(mistake, 1 - np.tanh(z) ** 2)
    if name == "relu":
        return (z >= 0).astype(float) if mistake == "one_at_0" else (z > 0).astype(float)
    if mistake == "like_relu":
        return (z > 0).astype(float)
    return np.where(z >= 0, 1.0, SLOPE) if mistake == "one_at_0" else np.where(z > 0, 1.0, SLOPE)


# -- activations ---------------------------------------------------------------------------

ACTIVATE_MUTANTS = [
    Mutant("Sign slip in the exponent: σ(z) = 1/(1 + e^(−z)); you computed σ(−z).",
           lambda z, name: _g(-np.asarray(z), name) if name == "sigmoid" else None),
    Mutant("Leaky ReLU keeps positive z unchanged and multiplies NEGATIVE z by 0.01.",
           lambda z, name: np.where(np.asarray(z) > 0, SLOPE * np.asarray(z), np.asarray(z))
           if name == "leaky_relu" else None),
    Mutant("The leaky slope is LEAKY_SLOPE = 0.01.",
           lambda z, name: np.where(np.asarray(z) > 0, z, 0.1 * np.asarray(z)) if name == "leaky_relu" else None),
    Mutant("ReLU is max(0, z): negative inputs give 0, positive ones pass unchanged.",
           lambda z, name: np.minimum(np.asarray(z), 0.0) if name == "relu" else None),
]

DERIVATIVE_MISTAKES = [
    ("from_z", {"sigmoid": "σ′ computed from z: σ′(z) = σ(z)·(1 − σ(z)), apply the sigmoid first.",
                "tanh": "tanh′(z) = 1 − tanh²(z): square tanh(z), not z."}),
    ("twice", {"sigmoid": "You applied the sigmoid twice: σ′(z) = s·(1 − s) with s = σ(z)."}),
    ("not_squared", {"tanh": "tanh′(z) = 1 − tanh²(z): the tanh is squared."}),
    ("one_at_0", {"relu": "ReLU′(0) = 0 by this exercise's convention (1 only for z > 0).",
                  "leaky_relu": "leaky ReLU′(0) = 0.01 by this exercise's convention (1 only for z > 0)."}),
    ("like_relu", {"leaky_relu": "leaky ReLU′(z) = 0.01 for z ≤ 0 (not 0: that is plain ReLU's derivative)."}),
]


def _derivative_mutants(name: str) -> list[Mutant]:
    return [Mutant(messages[name], lambda z, n, m=mistake: _gprime(z, n, m))
            for mistake, messages in DERIVATIVE_MISTAKES if name in messages]


def _activation_inputs(rng: np.random.Generator) -> list[np.ndarray]:
    n, d = distinct_dims(rng, 2, 3, 7)
    return [nonzero(rng, (n,)), nonzero(rng, (n, d)), np.array([-2.0, 0.0, 3.0])]


def test_activations(student, ref, rng):
    """activate for the four activations on random arrays; sigmoid at ±1000 without overflow."""
    for name in NAMES:
        for z in _activation_inputs(rng):
            check_call(student, ref.activate, "activate", [z, name], mutants=ACTIVATE_MUTANTS)
    check_call(student, ref.activate, "activate", [np.array([-1000.0, -40.0, 40.0, 1000.0]), "sigmoid"],
               mutants=ACTIVATE_MUTANTS, rtol=1e-12, atol=0.0,
               context="Very large |z|: σ must saturate to 0 or 1 (and σ(−40) ≈ 4.2e−18 is not 0) without overflow.")


def test_activation_derivatives(student, ref, rng):
    """activation_derivative at random z and at z = 0 (σ′ = 0.25, tanh′ = 1, ReLU′ = 0, leaky′ = 0.01)."""
    for name in NAMES:
        for z in (*_activation_inputs(rng), np.array([0.0])):
            check_call(student, ref.activation_derivative, "activation_derivative", [z, name],
                       mutants=_derivative_mutants(name))


# -- initialisation ----------------------------------------------------------------------------

INIT_STD_MUTANTS = [
    Mutant("Xavier's variance is 2/(fan_in + fan_out); √(1/fan_in) is LeCun's.",
           lambda kind, fi, fo: np.sqrt(1.0 / fi) if kind == "xavier" else None),
    Mutant("Xavier's variance is 2/(fan_in + fan_out): the 2 is missing.",
           lambda kind, fi, fo: np.sqrt(1.0 / (fi + fo)) if kind == "xavier" else None),
    Mutant("√(6/(fan_in + fan_out)) is the LIMIT of Glorot's uniform distribution; the standard deviation of "
           "the normal one is √(2/(fan_in + fan_out)).",
           lambda kind, fi, fo: np.sqrt(6.0 / (fi + fo)) if kind == "xavier" else None),
    Mutant("He's variance is 2/fan_in: use the number of INPUTS of the layer.",
           lambda kind, fi, fo: np.sqrt(2.0 / fo) if kind == "he" else None),
    Mutant("He's variance is 2/fan_in (ReLU zeroes half the inputs, so twice LeCun's 1/fan_in).",
           lambda kind, fi, fo: np.sqrt(1.0 / fi) if kind == "he" else None),
    Mutant("That is the variance; return the standard deviation (its square root).",
           lambda kind, fi, fo: {"xavier": 2.0 / (fi + fo), "he": 2.0 / fi}.get(kind)),
]


def test_init_std(student, ref, rng):
    """init_std: small = 0.01, Xavier √(2/(in + out)), He √(2/in) for the docstring's 100 → 50 and random fans."""
    fans = [(100, 50), tuple(distinct_dims(rng, 2, 3, 300))]
    for kind in ("small", "xavier", "he"):
        for fan_in, fan_out in fans:
            check_call(student, ref.init_std, "init_std", [kind, fan_in, fan_out], mutants=INIT_STD_MUTANTS)


def _init_variant(sizes: list[int], kind: str, seed: int, gain: float = 1.0, mistake: str = "",
                  wrong_std: Any = None) -> list[Any]:
    def std(fi: int, fo: int) -> float:
        wrong = wrong_std(kind, fi, fo) if wrong_std is not None else None
        if wrong is not None:
            return float(wrong)
        return {"small": 0.01, "xavier": np.sqrt(2.0 / (fi + fo)), "he": np.sqrt(2.0 / fi)}[kind]

    rng = np.random.default_rng(seed)
    params = []
    for fi, fo in itertools.pairwise(sizes):
        if mistake == "fresh_rng":
            rng = np.random.default_rng(seed)
        if mistake == "transposed":
            W = (gain * std(fi, fo) * rng.standard_normal((fi, fo))).T
        elif mistake == "in_out_shape":
            W = gain * std(fi, fo) * rng.standard_normal((fi, fo))
        else:
            W = gain * std(fi, fo) * rng.standard_normal((fo, fi))
        b = rng.standard_normal(fo) * std(fi, fo) if mistake == "random_bias" else np.zeros(fo)
        params.append((W, b))
    if mistake == "no_gain":
        return _init_variant(sizes, kind, seed)
    return params


INIT_NETWORK_MUTANTS = [
    Mutant("Wₗ has shape (dₗ, dₗ₋₁) (out × in), drawn as rng.standard_normal((d_out, d_in)).",
           lambda *a: _init_variant(*a, mistake="in_out_shape")),
    Mutant("Draw Wₗ with shape (d_out, d_in) directly; you drew (d_in, d_out) and transposed it, which gives "
           "other numbers from the same seed.", lambda *a: _init_variant(*a, mistake="transposed")),
    Mutant("Create the generator ONCE for the whole network; a fresh default_rng(seed) per layer repeats the "
           "same numbers in every layer.", lambda *a: _init_variant(*a, mistake="fresh_rng")),
    Mutant("The biases start at zero; only the weights are random.",
           lambda *a: _init_variant(*a, mistake="random_bias")),
    Mutant("Multiply every weight by gain.", lambda *a: _init_variant(*a, mistake="no_gain")),
] + [Mutant(f"(in init_std) {m.message}", lambda *a, f=m.fn: _init_variant(*a, wrong_std=f)) for m in INIT_STD_MUTANTS]


def test_init_network(student, ref, rng):
    """init_network: the docstring's [3, 4, 1] He network and random deep networks, drawn as the docstring says."""
    cases = [([3, 4, 1], "he", 0, 1.0)]
    sizes = [int(v) for v in rng.integers(2, 7, size=5)]
    cases += [(sizes, "xavier", int(rng.integers(0, 10_000)), 1.0),
              (sizes[::-1], "small", int(rng.integers(0, 10_000)), 1.0),
              (sizes, "he", int(rng.integers(0, 10_000)), float(rng.uniform(1.5, 3.0)))]
    for args in cases:
        check_call(student, ref.init_network, "init_network", list(args), mutants=INIT_NETWORK_MUTANTS)


# -- δ by layer ----------------------------------------------------------------------------------

def _deltas(params: Any, X: Any, y: Any, activation: str, mistake: str = "", gp_mistake: str = "") -> list[Any]:
    a, zs, acts = np.asarray(X, dtype=float), [], [np.asarray(X, dtype=float)]
    L = len(params)
    for index, (W, b) in enumerate(params):
        z = a @ np.asarray(W).T + np.asarray(b)
        a = z if index == L - 1 else _g(z, activation)
        zs.append(z)
        acts.append(a)
    n = a.shape[0]
    factor = {"no_2_over_n": 1.0, "sum": 2.0}.get(mistake, 2.0 / n)
    delta = factor * (a - np.asarray(y, dtype=float))
    if mistake == "output_gprime":
        delta = delta * _gprime(zs[-1], activation)
    out = [delta]
    for index in range(L - 2, -1, -1):
        W_next = np.asarray(params[index + 1][0])
        if mistake == "no_gprime":
            gp = np.ones_like(zs[index])
        elif mistake == "g_of_a":
            gp = _gprime(acts[index + 1], activation)
        else:
            gp = _gprime(zs[index], activation, gp_mistake)
        delta = (delta @ W_next) * gp
        out.append(delta)
    return out if mistake == "not_reversed" else out[::-1]


DELTA_MISTAKES = [
    ("no_gprime", "The ⊙ g′(zₗ) factor is missing: δₗ = (δₗ₊₁·Wₗ₊₁) ⊙ g′(zₗ)."),
    ("g_of_a", "g′ must be evaluated at the pre-activation zₗ, not at aₗ = g(zₗ)."),
    ("no_2_over_n", "δ_L = ∂J/∂ŷ = (2/n)(ŷ − y) for J = (1/n) Σ ‖ŷ − y‖²: the factor 2/n is missing."),
    ("sum", "δ_L = (2/n)(ŷ − y): J is the MEAN over the n examples, so divide by n."),
    ("output_gprime", "The output layer is linear (ŷ = z_L), so δ_L = (2/n)(ŷ − y) has no g′ factor."),
    ("not_reversed", "Return the δ's in layer order, [δ₁, …, δ_L]; yours start at the output layer."),
]


def _delta_mutants() -> list[Mutant]:
    mutants = [Mutant(message, lambda *a, m=mistake: _deltas(*a, mistake=m)) for mistake, message in DELTA_MISTAKES]
    for mistake, messages in DERIVATIVE_MISTAKES:
        for name, message in messages.items():
            mutants.append(Mutant(f"(in activation_derivative) {message}",
                                  lambda p, X, y, act, m=mistake, n=name: _deltas(p, X, y, act, gp_mistake=m)
                                  if act == n else None))
    return mutants


def _network(rng: np.random.Generator, activation: str, depth: int) -> tuple[Any, Any, Any]:
    sizes = [int(v) for v in rng.integers(2, 6, size=depth + 1)]
    n = int(rng.integers(3, 7))
    params = [(nonzero(rng, (fo, fi), 0.3, 1.2), nonzero(rng, (fo,), 0.1, 0.5))
              for fi, fo in itertools.pairwise(sizes)]
    X, y = nonzero(rng, (n, sizes[0]), 0.2, 1.5), nonzero(rng, (n, sizes[-1]))
    if activation in ("relu", "leaky_relu"):  # keep every z away from the kink at 0
        for index, (W, b) in enumerate(params[:-1]):
            z = ref_forward_z(params[: index + 1], X, activation)
            if np.min(np.abs(z)) < 0.05:
                params[index] = (W, b + 0.2)
    return params, X, y


def ref_forward_z(params: Any, X: Any, activation: str) -> Any:
    a, z = np.asarray(X, dtype=float), None
    for W, b in params:
        z = a @ np.asarray(W).T + b
        a = _g(z, activation)
    return z


def test_layer_deltas(student, ref, rng):
    """layer_deltas on the docstring's 1-1-1 ReLU net and on random 3- and 4-layer nets (every activation)."""
    params = [(np.array([[2.0]]), np.zeros(1)), (np.array([[3.0]]), np.zeros(1))]
    check_call(student, ref.layer_deltas, "layer_deltas", [params, np.array([[1.0]]), np.array([[1.0]]), "relu"],
               mutants=_delta_mutants(), rtol=1e-9, atol=0.0)
    for index, activation in enumerate(NAMES):
        params, X, y = _network(rng, activation, 3 + index % 2)
        check_call(student, ref.layer_deltas, "layer_deltas", [params, X, y, activation],
                   mutants=_delta_mutants(), rtol=1e-9, atol=0.0)


def test_delta_norms_vanish_and_explode(student, ref, rng):
    """‖δₗ‖ of a 10-layer net: sigmoid with small weights (vanishing, ~1e−18), ReLU with He ×1.5 (exploding)."""
    def norms_mutants() -> list[Mutant]:
        def via(mistake: str) -> Any:
            return lambda p, X, y, act: np.array([np.linalg.norm(d) for d in _deltas(p, X, y, act, mistake)])

        return [
            Mutant("‖δₗ‖ is the Frobenius norm √(Σ δ²), not its square.",
                   lambda p, X, y, act: np.array([np.sum(d * d) for d in _deltas(p, X, y, act)])),
            Mutant("Entry l − 1 is ‖δₗ‖: list the norms from the first layer to the last.",
                   lambda p, X, y, act: np.array([np.linalg.norm(d) for d in _deltas(p, X, y, act)])[::-1]),
        ] + [Mutant(f"(in layer_deltas) {message}", via(mistake)) for mistake, message in DELTA_MISTAKES] + [
            Mutant(f"(in layer_deltas) {m.message}", lambda p, X, y, act, f=m.fn: np.array(
                [np.linalg.norm(d) for d in f(p, X, y, act)])) for m in _delta_mutants()[len(DELTA_MISTAKES):]]

    width = int(rng.integers(8, 16))
    X, y = rng.standard_normal((6, width)), rng.standard_normal((6, 1))
    seed = int(rng.integers(0, 10_000))
    for activation, kind, gain in (("sigmoid", "small", 1.0), ("sigmoid", "xavier", 1.0), ("relu", "he", 1.5)):
        params = ref.init_network([width] * 10 + [1], kind, seed, gain)
        check_call(student, ref.delta_norms, "delta_norms", [params, X, y, activation], mutants=norms_mutants(),
                   rtol=1e-9, atol=0.0,
                   context=f"10 layers, {activation}, {kind} initialisation" + (f" × {gain}" if gain != 1 else ""))


# -- clipping ------------------------------------------------------------------------------------

def _clip(grads: Any, max_norm: float, mistake: str = "") -> Any:
    arrays = [np.asarray(g, dtype=float) for g in grads]
    norm = float(np.sqrt(sum(np.sum(g * g) for g in arrays)))
    if mistake == "per_tensor":
        out = [g * min(1.0, max_norm / max(np.linalg.norm(g), 1e-300)) for g in arrays]
    elif mistake == "by_value":
        out = [np.clip(g, -max_norm, max_norm) for g in arrays]
    elif mistake == "always":
        out = [g * (max_norm / norm) for g in arrays]
    elif mistake == "no_sqrt":
        squared = norm**2
        out = [g * (max_norm / squared if squared > max_norm else 1.0) for g in arrays]
        return out, squared
    else:
        out = [g * (max_norm / norm if norm > max_norm else 1.0) for g in arrays]
    if mistake == "norm_after":
        return out, float(np.sqrt(sum(np.sum(g * g) for g in out)))
    return out, norm


CLIP_MUTANTS = [
    Mutant("Clip by the GLOBAL norm √(Σ_k ‖g_k‖²) of all the arrays together; you clipped each array on its own, "
           "which changes the direction of the whole gradient.", lambda g, m: _clip(g, m, "per_tensor")),
    Mutant("That is clipping by VALUE (each entry to [−max_norm, max_norm]); clip by norm scales every array "
           "by max_norm / N, keeping the direction.", lambda g, m: _clip(g, m, "by_value")),
    Mutant("Scale only when N > max_norm; a gradient already shorter than max_norm stays as it is.",
           lambda g, m: _clip(g, m, "always")),
    Mutant("Return the norm BEFORE clipping (it tells you how big the gradient was).",
           lambda g, m: _clip(g, m, "norm_after")),
    Mutant("N is the square ROOT of Σ_k ‖g_k‖².", lambda g, m: _clip(g, m, "no_sqrt")),
]


def test_clip_by_norm(student, ref, rng):
    """clip_by_norm: the docstring's 3-4-5 example, random gradients above and below max_norm, and zero gradients."""
    cases: list[tuple[list[Any], float]] = [([np.array([3.0, 0.0]), np.array([[4.0]])], 1.0)]
    n, d = distinct_dims(rng, 2, 2, 5)
    grads = [nonzero(rng, (n, d)), nonzero(rng, (d,)), nonzero(rng, (n,))]
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    cases += [(grads, norm * float(rng.uniform(0.2, 0.6))), (grads, norm * float(rng.uniform(1.5, 3.0))),
              ([np.zeros((n, d)), np.zeros(d)], 1.0)]
    for grads, max_norm in cases:
        check_call(student, ref.clip_by_norm, "clip_by_norm", [grads, max_norm], mutants=CLIP_MUTANTS,
                   equal=parts_equal(("clipped", "norm")))


# -- validation split and early stopping ------------------------------------------------------

def test_train_val_split(student, ref, rng):
    """train_val_split: ⌊fraction·n⌋ validation indices from one permutation, the rest for training."""
    def variant(n, fraction, seed, mistake):
        perm = np.random.default_rng(seed).permutation(n) if mistake != "no_shuffle" else np.arange(n)
        n_val = {"round": round(fraction * n), "ceil": int(np.ceil(fraction * n))}.get(
            mistake, int(np.floor(fraction * n)))
        if mistake == "train_first":
            return perm[: n - n_val], perm[n - n_val:]
        return perm[n_val:], perm[:n_val]

    mutants = [
        Mutant("n_val = ⌊val_fraction·n⌋ (round down, e.g. int(np.floor(...))).", lambda *a: variant(*a, "round")),
        Mutant("n_val = ⌊val_fraction·n⌋ (round down, not up).", lambda *a: variant(*a, "ceil")),
        Mutant("Shuffle first: perm = np.random.default_rng(seed).permutation(n).",
               lambda *a: variant(*a, "no_shuffle")),
        Mutant("The validation indices are the FIRST n_val of the permutation: val = perm[:n_val], "
               "train = perm[n_val:].", lambda *a: variant(*a, "train_first")),
    ]
    n = int(rng.integers(20, 60))
    k = int(rng.integers(3, n // 3))
    # fraction·n = k + 0.7: rounding down and rounding to nearest differ
    cases = [(10, 0.3, 0), (n, (k + 0.7) / n, int(rng.integers(0, 10_000))),
             (int(rng.integers(11, 19)), float(rng.uniform(0.15, 0.45)), int(rng.integers(0, 10_000)))]
    for args in cases:
        check_call(student, ref.train_val_split, "train_val_split", list(args), mutants=mutants,
                   equal=parts_equal(("train_idx", "val_idx")))


def _fit(Xt, yt, Xv, yv, w0, lr, max_iters, tol_rel, tol_grad, patience, mistake: str = "") -> dict[str, Any]:
    Xt, yt, Xv, yv = (np.asarray(v, dtype=float) for v in (Xt, yt, Xv, yv))
    n = len(yt)

    def J(w: Any) -> float:
        return float(np.mean((Xt @ w - yt) ** 2))

    def V(w: Any) -> float:
        return float(np.mean((Xv @ w - yv) ** 2))

    w = np.array(w0, dtype=float)
    tj, tv = [J(w)], [V(w)]
    best = (tv[0], w, 0)
    reason, k = "max_iters", 0
    for step in range(1, max_iters + 1):
        g = (2.0 / n) * Xt.T @ (Xt @ w - yt)
        if mistake != "grad_after" and np.linalg.norm(g) < tol_grad:
            reason = "gradient"
            break
        w = w - lr * g
        k = step
        tj.append(J(w))
        tv.append(V(w))
        if (tv[-1] <= best[0]) if mistake == "best_le" else (tv[-1] < best[0]):
            best = (tv[-1], w, step)
        if mistake == "grad_after":
            g_new = (2.0 / n) * Xt.T @ (Xt @ w - yt)
            if np.linalg.norm(g_new) < tol_grad:
                reason = "gradient"
                break
        change = abs(tj[-1] - tj[-2]) if mistake == "absolute_change" else (
            (tj[-2] - tj[-1] if mistake == "signed_change" else abs(tj[-1] - tj[-2])) / max(abs(tj[-2]), 1e-12))
        if change < tol_rel:
            reason = "relative"
            break
        if (step - best[2] > patience) if mistake == "patience_plus_one" else (step - best[2] >= patience):
            reason = "patience"
            break
    w_out = w if mistake == "last_w" else best[1]
    return {"w": w_out, "best_iteration": best[2], "iterations": k, "reason": reason,
            "train_losses": np.array(tj), "val_losses": np.array(tv)}


FIT_MUTANTS = [
    Mutant("Early stopping returns the BEST weights (lowest validation loss), not the last ones.",
           lambda *a: _fit(*a, mistake="last_w")),
    Mutant("Test ‖∇J‖ < tol_grad BEFORE the step, with the gradient you are about to use.",
           lambda *a: _fit(*a, mistake="grad_after")),
    Mutant("The convergence test is RELATIVE: |J_k − J_(k−1)| / max(|J_(k−1)|, 1e−12) < tol_rel.",
           lambda *a: _fit(*a, mistake="absolute_change")),
    Mutant("Measure the SIZE of the change, |J_k − J_(k−1)|: a loss that grows has not converged (a rising J "
           "gives a negative J_(k−1) − J_k, which is below any tolerance).",
           lambda *a: _fit(*a, mistake="signed_change")),
    Mutant("Stop when k − best_iteration ≥ patience (after `patience` updates without improvement), not >.",
           lambda *a: _fit(*a, mistake="patience_plus_one")),
    Mutant("A new best needs a STRICTLY lower validation loss (<, not ≤).", lambda *a: _fit(*a, mistake="best_le")),
]


def _regression(rng: np.random.Generator, n: int, d: int, shift: float = 0.0) -> tuple[Any, Any]:
    X = rng.standard_normal((n, d))
    w_true = np.linspace(1.0, -1.0, d) + shift
    return X, X @ w_true + 0.1 * rng.standard_normal(n)


def _validation_best_after(rng: np.random.Generator, Xt: Any, yt: Any, w0: Any,
                           lr: float) -> tuple[Any, Any] | None:
    """A validation set (X_val, y_val) whose loss V, along gradient descent from w0, is lowest after
    k updates (3 ≤ k < 20), falls strictly before and rises strictly after.

    y_val = X_val·w_k, so V(w_t) = (1/m)‖X_val(w_t − w_k)‖². With X_val = Q·X_train, Q orthogonal
    (m = n rows that look like any other inputs), that is (w_t − w_k)ᵀ(H/2)(w_t − w_k), H = (2/n)·XᵀX
    the Hessian of J. In H's eigenbasis the error w_t − w* shrinks by r_i = 1 − α·λ_i per update, so
    each coordinate of w_t − w_k is c_i·r_iᵏ·(r_i^(t−k) − 1): its size grows with |t − k| on both
    sides when 0 < r_i < 1, which α·λ_max < 1 ensures. None when α is larger than that.
    """
    n = len(yt)
    eigenvalues = np.linalg.eigvalsh(2.0 / n * Xt.T @ Xt)
    if lr * float(eigenvalues[-1]) >= 1.0:  # an oscillating coordinate would make V zigzag
        return None
    k = int(rng.integers(3, 20))
    w = np.array(w0, dtype=float)
    for _ in range(k):  # the update fit_linear documents
        w = w - lr * (2.0 / n) * Xt.T @ (Xt @ w - yt)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    Xv = Q @ Xt
    return Xv, Xv @ w


def _clear_patience_stop(result: dict[str, Any], margin: float = 1e-9) -> bool:
    """Stopped by patience at a best validation loss that every other one exceeds by `margin` (relative).

    Without the margin, a correct solution that merely rounds differently (a loop for X·w) could pick
    a neighbouring update as the best one and be marked wrong.
    """
    if result["reason"] != "patience":
        return False
    val = np.asarray(result["val_losses"], dtype=float)
    best = int(result["best_iteration"])
    others = np.delete(val, best)
    return bool(np.all(others - val[best] > margin * max(abs(float(val[best])), 1e-12)))


def test_early_stopping_rules(student, ref, rng):
    """fit_linear stops for each reason: "gradient", "relative", "patience" and "max_iters" (ties, divergence too)."""
    d = int(rng.integers(2, 5))
    Xt, yt = _regression(rng, int(rng.integers(15, 25)), d)
    Xv, yv = _regression(rng, int(rng.integers(6, 12)), d)
    Xs, ys = _regression(rng, 8, d, shift=1.5)  # a validation set from another model: V rises after a while
    w0 = np.zeros(d)
    lr = learning_rate(rng, 0.05, 0.12)
    # Above 2/L (L the largest eigenvalue of the Hessian H = (2/n)·XᵀX) gradient descent overshoots. Started
    # at the least-squares w* plus half the top eigenvector v, the error w − w* is multiplied by 1 − 2.5 = −1.5
    # at every step, so J − J* grows ×2.25 from the first update: J rises steadily, never levels off.
    eigenvalues, eigenvectors = np.linalg.eigh(2.0 / len(yt) * Xt.T @ Xt)
    too_large = 2.5 / float(eigenvalues[-1])
    w_overshoot = np.linalg.lstsq(Xt, yt, rcond=None)[0] + 0.5 * eigenvectors[:, -1]
    rising = [Xt, yt, Xs, ys, w0, lr, 500, 0.0, 0.0, 3]
    if not _clear_patience_stop(ref.fit_linear(*copy.deepcopy(rising))):
        # This draw's validation loss kept falling for all 500 updates, or was so flat near its minimum
        # that rounding decides which update is best. Then a validation set built to have its optimum at
        # an update in the middle of the run: V falls to it and rises after it by a clear margin.
        built = _validation_best_after(rng, Xt, yt, w0, lr)
        if built is not None:
            rising = [Xt, yt, *built, w0, lr, 500, 0.0, 0.0, 3]
    if not _clear_patience_stop(ref.fit_linear(*copy.deepcopy(rising))):
        # Not seen in 10,000 seeds. Targets of 0 put the validation optimum at w0 itself: V rises from
        # the first update, and patience must stop.
        rising[3] = np.zeros_like(rising[3])
    cases = [
        ("gradient", [Xt, yt, Xv, yv, w0, lr, 500, 0.0, 1e-3, 1000], ""),
        ("relative", [Xt, yt, Xv, yv, w0, lr, 500, 1e-4, 0.0, 1000], ""),
        ("patience", rising, ""),
        ("max_iters", [Xt, yt, Xv, yv, w0, lr, int(rng.integers(3, 8)), 0.0, 0.0, 1000], ""),
        ("patience", [Xt, yt, np.zeros_like(Xv), yv, w0, lr, 500, 0.0, 0.0, 4],
         " X_val = 0, so the validation loss never changes: no update is strictly better than w0."),
        ("patience", [Xt, yt, Xv, yv, w_overshoot, too_large, 500, 1e-4, 0.0, 3],
         f" α = {too_large:.4g} is too large: J grows at every step, which is not convergence."),
    ]
    for reason, args, why in cases:
        expected = ref.fit_linear(*copy.deepcopy(args))
        if expected["reason"] != reason:  # guards the test inputs, not the student
            raise RuntimeError(f"internal: the reference did not stop for {reason!r} on these inputs")
        once = functools.wraps(ref.fit_linear)(lambda *a, e=expected: copy.deepcopy(e))  # computed once
        check_call(student, once, "fit_linear", args, mutants=FIT_MUTANTS,
                   context=f"This run should stop for the reason {reason!r}.{why}")


def test_early_stopping_docstring_example(student, ref):
    """fit_linear on the docstring's two points, one step: w₁ = 1, J = (10, 2.5), V = (36, 9)."""
    args = [np.array([[1.0], [2.0]]), np.array([2.0, 4.0]), np.array([[3.0]]), np.array([6.0]), np.zeros(1),
            0.1, 1, 0.0, 0.0, 5]
    check_call(student, ref.fit_linear, "fit_linear", args, mutants=FIT_MUTANTS)
