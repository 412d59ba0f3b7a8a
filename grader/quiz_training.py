"""Quiz generators for exercises 8–10: autograd, optimizers, training deep networks.

Numeric questions in the style of `grader.quiz`: the expected numbers come from
the reference solutions (exercises 8, 9 and 10), and known-wrong variants
computed on the same numbers name the likely mistake. Registered in
`grader.quiz._GENERATORS` (topics "autograd", "optimizers", "deep-training").
`grader.quiz` is imported inside the functions: it imports this module while
it is being set up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _nonzero_decimal(rng: Any, low: float, high: float) -> float:
    while True:
        value = round(float(rng.uniform(low, high)), 1)
        if abs(value) >= 0.3:
            return value


def reused_node_question(rng: Any) -> Any:
    """∂f/∂a for f = a·b + a·c (a reused), by exercise 8's engine."""
    from grader.quiz import Question, fmt, numeric_checker, reference, typed

    ex8 = reference("exercise8")
    a, b, c = (_nonzero_decimal(rng, -3, 3) for _ in range(3))
    spec = {"leaves": [a, b, c], "ops": [["mul", 0, 1], ["mul", 0, 2], ["add", 3, 4]]}
    grads = ex8.evaluate_graph(spec)["grads"]
    expected = [grads[0]]
    mistakes = [
        ("a is used twice, so its two contributions add (+=): ∂f/∂a = b + c; you kept only c, as an engine "
         "that assigns (=) would.", [c]),
        ("a is used twice, so its two contributions add (+=): ∂f/∂a = b + c; you kept only b.", [b]),
        ("that is ∂f/∂b = a; the question asks for ∂f/∂a.", [grads[1]]),
        ("that is the value of f, not its derivative.", [a * b + a * c]),
    ]
    prompt = (f"An autograd engine computes f = a·b + a·c with a = {a:g}, b = {b:g}, c = {c:g} and runs "
              "backward(). What is a.grad, i.e. ∂f/∂a?").replace("-", "−")
    solution = (f"a feeds two products: ∂(a·b)/∂a = b = {fmt([b])} and ∂(a·c)/∂a = c = {fmt([c])}; "
                f"the engine accumulates both (+=): ∂f/∂a = b + c = {fmt(expected)}.")
    return Question("numeric", "autograd", "a reused node's gradient", prompt, solution, 1.0, typed(expected),
                    numeric_checker(expected, mistakes))


def adam_first_step_question(rng: Any) -> Any:
    """θ after one Adam step at t = 1 (bias-corrected: θ − α·g/(|g| + ε))."""
    import math

    import numpy as np

    from grader.quiz import Question, fmt, numeric_checker, reference, typed

    ex9 = reference("exercise9")
    theta = np.array([_nonzero_decimal(rng, -2, 2), _nonzero_decimal(rng, -2, 2)])
    g = np.array([_nonzero_decimal(rng, -4, 4), _nonzero_decimal(rng, -4, 4)])
    lr = float(rng.choice([0.01, 0.05, 0.1, 0.2]))
    hyper = {"lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    new, state = ex9.adam(theta, g, ex9.init_state("adam", theta), hyper)
    expected = [float(v) for v in new]
    uncorrected = theta - lr * (0.1 * g) / (np.sqrt(0.001 * g * g) + 1e-8)
    mistakes = [
        ("you skipped the bias correction: at t = 1, m̂ = m/(1 − β₁) = g and v̂ = v/(1 − β₂) = g², so the "
         "step is α·g/|g|.", list(uncorrected)),
        ("the update subtracts: θ − α·m̂/(√v̂ + ε).", list(theta + lr * np.sign(g))),
        ("that is the step α·m̂/(√v̂ + ε); the question asks for the new θ.", list(lr * np.sign(g))),
        ("Adam divides by √v̂ = |g|: the step is α·sign(g), not α·g.", list(theta - lr * g)),
    ]
    prompt = (f"Adam with α = {lr:g}, β₁ = 0.9, β₂ = 0.999, ε = 1e−8 starts from m = v = 0, t = 0. "
              f"Take its FIRST step from θ = {fmt(list(theta))} with gradient g = {fmt(list(g))}.\n"
              "Type the new θ (2 decimals or better).")
    solution = (f"t = 1; m = 0.1·g = {fmt(list(state['m']))}, v = 0.001·g² = {fmt(list(state['v']))}; "
                f"m̂ = m/(1 − 0.9) = g, v̂ = v/(1 − 0.999) = g²; θ − α·g/(|g| + ε) = {fmt(expected)} "
                f"(the first step is α·sign(g); without the correction it would be "
                f"{0.1 / math.sqrt(0.001):.2f} times larger).")
    return Question("numeric", "optimizers", "Adam's first step", prompt, solution, 1.0, typed(expected),
                    numeric_checker(expected, mistakes))


def momentum_effective_step_question(rng: Any) -> Any:
    """The step momentum converges to under a constant gradient: α·g/(1 − β)."""
    import numpy as np

    from grader.quiz import Question, fmt, numeric_checker, reference, typed

    ex9 = reference("exercise9")
    beta = float(rng.choice([0.5, 0.75, 0.8, 0.9, 0.95]))
    lr = float(rng.choice([0.01, 0.02, 0.05, 0.1]))
    g = _nonzero_decimal(rng, 0.5, 4)
    hyper = {"lr": lr, "beta": beta}
    # the reference's momentum run long enough for the step to settle
    path, _ = ex9.run_steps("momentum", np.zeros(1), np.full((2000, 1), g), hyper)
    expected = [float(path[-2, 0] - path[-1, 0])]
    mistakes = [
        ("that is plain gradient descent's step α·g; momentum's velocity grows to g/(1 − β).", [lr * g]),
        ("the velocity tends to g·(1 + β + β² + …) = g/(1 − β), not g/β.", [lr * g / beta]),
        ("the geometric series 1 + β + β² + … sums to 1/(1 − β), not β/(1 − β).", [lr * g * beta / (1 - beta)]),
        ("that is the factor 1/(1 − β) alone; the step is α·g/(1 − β).", [1 / (1 - beta)]),
    ]
    prompt = (f"Momentum (v ← β·v + g, θ ← θ − α·v) with α = {lr:g} and β = {beta:g} sees the same gradient "
              f"g = {g:g} at every step. What size does the step |Δθ| settle to?")
    solution = (f"v → g·(1 + β + β² + …) = g/(1 − β) = {fmt([g / (1 - beta)])}, so the step → α·g/(1 − β) = "
                f"{fmt(expected)}: {fmt([1 / (1 - beta)])} times plain gradient descent's α·g.")
    return Question("numeric", "optimizers", "momentum's effective step", prompt, solution, 1.0, typed(expected),
                    numeric_checker(expected, mistakes))


def sigmoid_product_question(rng: Any) -> Any:
    """How much δ can shrink through L sigmoid layers of weight w: (w·0.25)^L, asked as its reciprocal."""
    from grader.quiz import Question, fmt, numeric_checker, reference, typed

    ex10 = reference("exercise10")
    bound = float(ex10.activation_derivative([0.0], "sigmoid")[0])  # σ′(0) = 0.25, the maximum
    w = float(rng.choice([1.0, 2.0]))
    # N = (4/w)^L stays ≤ 256, so a slip of 0.5 is outside the quiz's relative tolerance
    layers = int(rng.integers(3, 5)) if w == 1.0 else int(rng.integers(3, 9))
    factor = (w * bound) ** layers
    expected = [1 / factor]
    mistakes = [
        ("the bound multiplies once per layer: (w·0.25)^L, not w·0.25.", [1 / (w * bound)]),
        ("the factors multiply, they do not add: (w·0.25)^L, not L·w·0.25.", [1 / (layers * w * bound)]),
        ("each layer contributes w as well as σ′ ≤ 0.25: (w·0.25)^L.", [1 / bound**layers]),
        ("count one factor per layer: L factors, not L − 1.", [1 / (w * bound) ** (layers - 1)]),
    ]
    prompt = (f"A chain of {layers} sigmoid layers, each weight w = {w:g}. Each layer back multiplies δ by "
              f"w·σ′(z), and σ′ ≤ 0.25. The gradient at the first layer is then at most a fraction 1/N of the "
              f"one at the top. What is the smallest such N?")
    solution = (f"σ′(z) = σ(z)(1 − σ(z)) ≤ 0.25 (at z = 0), so each factor is ≤ {w:g}·0.25 = {fmt([w * bound])} "
                f"and {layers} of them give ≤ {fmt([w * bound])}^{layers} = 1/{fmt(expected)}: the first layers "
                "barely learn (vanishing gradients).")
    return Question("numeric", "deep-training", "σ′ ≤ 0.25 over layers", prompt, solution, 1.0, typed(expected),
                    numeric_checker(expected, mistakes))


def init_std_question(rng: Any) -> Any:
    """The standard deviations of Xavier and He initialisation for a random layer."""
    import math

    from grader.quiz import Question, fmt, numeric_checker, reference, typed

    ex10 = reference("exercise10")
    fan_in, fan_out = (int(v) for v in rng.choice([4, 6, 8, 10, 12, 16, 20, 24, 32], size=2, replace=False))
    xavier, he = ex10.init_std("xavier", fan_in, fan_out), ex10.init_std("he", fan_in, fan_out)
    expected = [xavier, he]
    mistakes = [
        ("those are the variances; the standard deviations are their square roots.",
         [2 / (fan_in + fan_out), 2 / fan_in]),
        ("you swapped them: Xavier first, √(2/(fan_in + fan_out)), then He, √(2/fan_in).", [he, xavier]),
        ("He's variance is 2/fan_in: the number of inputs, not outputs.", [xavier, math.sqrt(2 / fan_out)]),
        ("Xavier's variance is 2/(fan_in + fan_out), not 1/fan_in (LeCun's).", [math.sqrt(1 / fan_in), he]),
    ]
    prompt = (f"A layer has fan_in = {fan_in} inputs and fan_out = {fan_out} outputs. What is the standard "
              "deviation of its initial weights with Xavier (Glorot) initialisation, and with He "
              "initialisation?\nType Xavier, He (2 decimals or better).")
    solution = (f"Xavier: Var = 2/(fan_in + fan_out) = 2/{fan_in + fan_out}, std = {fmt([xavier])}; "
                f"He (for ReLU, which zeroes half its inputs): Var = 2/fan_in = 2/{fan_in}, std = {fmt([he])}.")
    return Question("numeric", "deep-training", "Xavier vs He", prompt, solution, 1.0, typed(expected),
                    numeric_checker(expected, mistakes))


#: (kind, topics, builder(rng, seed)) entries for grader.quiz._GENERATORS
GENERATORS: tuple[tuple[str, tuple[str, ...], Callable[[Any, int], Any]], ...] = (
    ("numeric", ("autograd",), lambda rng, seed: reused_node_question(rng)),
    ("numeric", ("optimizers",), lambda rng, seed: adam_first_step_question(rng)),
    ("numeric", ("optimizers",), lambda rng, seed: momentum_effective_step_question(rng)),
    ("numeric", ("deep-training",), lambda rng, seed: sigmoid_product_question(rng)),
    ("numeric", ("deep-training",), lambda rng, seed: init_std_question(rng)),
)
