"""Conceptual multiple-choice items of `grade quiz` (kind "concept").

Plain data, stdlib only. Each item has one right option and wrong options
that each say why they are wrong (the quiz shows that explanation when the
student picks it). `grader.quiz.concept_question` shuffles the options by
seed. Numbers in explanations are recomputed by tests/test_quiz.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    id: str
    topic: str  # a catalog topic
    prompt: str
    right: str
    why: str  # the worked explanation, shown after every answer
    wrong: tuple[tuple[str, str], ...]  # (option, why it is wrong)


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "updates-per-epoch", "gradient-descent",
        "A training set has N examples. Which variant of gradient descent makes N parameter updates per epoch?",
        "stochastic gradient descent (one example per update)",
        "An epoch uses every example once; with one example per update that is N updates. Batch GD makes 1, "
        "mini-batch GD ⌈N/B⌉.",
        (("batch gradient descent", "batch GD uses all N examples for ONE update per epoch."),
         ("mini-batch gradient descent with B = 32", "that makes ⌈N/32⌉ updates per epoch, not N."),
         ("every variant: an epoch is N updates", "an epoch is one pass over the data; the number of updates "
                                                   "depends on the batch size.")),
    ),
    Concept(
        "rising-loss", "gradient-descent",
        "During batch gradient descent the training loss goes UP from one step to the next, and keeps growing. "
        "What is the most likely cause?",
        "the learning rate is too large: the steps overshoot the minimum",
        "With α above 2/λ_max each step overshoots further than the last (on J = w², w ← (1 − 2α)w grows for "
        "α > 1). Lower α.",
        (("the learning rate is too small", "a small α makes the loss fall slowly, never rise."),
         ("the model has converged", "at convergence the loss levels off; it does not keep growing."),
         ("the data set is too large", "batch GD's loss on a fixed data set does not rise because of its size.")),
    ),
    Concept(
        "epochs-iterations", "training",
        "N = 1000 examples, batch size B = 50, 3 epochs. How many iterations (parameter updates) are made?",
        "60",
        "⌈1000/50⌉ = 20 iterations per epoch, times 3 epochs = 60 updates.",
        (("3", "that is the number of epochs; each epoch has ⌈N/B⌉ = 20 iterations."),
         ("20", "that is one epoch; there are 3."),
         ("3000", "that is 3 passes of one example per update (SGD), not batches of 50.")),
    ),
    Concept(
        "gradient-direction", "partial-derivatives",
        "At a point of the loss surface, the gradient ∇J points…",
        "in the direction of steepest local ascent of J",
        "∇J·u, the slope along a unit vector u, is largest along ∇J. Gradient descent therefore steps along −∇J.",
        (("towards the global minimum", "it is local slope information; it does not know where any minimum is."),
         ("towards the highest peak of the surface", "it describes the slope where you stand, not where a peak is; "
                                                      "the bowl x² + y² has no peak at all."),
         ("along the contour line", "along the contour line J does not change; ∇J is perpendicular to it.")),
    ),
    Concept(
        "backprop-reuse", "backpropagation",
        "What makes backpropagation cheaper than applying the chain rule separately for every weight?",
        "each layer's error signal δ = ∂J/∂z is computed once, from the loss backwards, and reused",
        "Reverse accumulation: δ of a layer gives that layer's weight gradients (δ·aᵀ) and, through Wᵀ, the δ "
        "of the layer below, so no product of factors is recomputed.",
        (("the chain rule itself needs fewer multiplications", "the rule only says which factors to multiply; "
                                                               "the saving is in reusing shared products."),
         ("it skips the forward pass", "the backward pass needs the z and a values the forward pass stored."),
         ("it uses finite differences", "finite differences need one extra forward pass per parameter — far "
                                        "slower.")),
    ),
    Concept(
        "sigmoid-slope", "chain-rule",
        "What is the largest value of the sigmoid's derivative σ′(z) = σ(z)(1 − σ(z))?",
        "0.25, at z = 0",
        "σ(0) = 0.5, so σ′(0) = 0.5·0.5 = 0.25; for large |z| σ′ is near 0. Many sigmoid layers multiply factors "
        "≤ 0.25: vanishing gradients.",
        (("1, at z = 0", "σ′(0) = σ(0)(1 − σ(0)) = 0.5 · 0.5, not 1."),
         ("0.5, at z = 0", "0.5 is σ(0), the value of the sigmoid, not of its slope."),
         ("it grows without bound", "σ(z) lies in (0, 1), so σ(1 − σ) ≤ 1/4.")),
    ),
    Concept(
        "standardise", "training",
        "Why does standardising the input features usually let batch gradient descent converge much faster?",
        "it makes the loss bowl rounder: λ_max/λ_min falls, so a larger α works along every direction",
        "Convergence needs α < 2/λ_max, and the flattest direction then moves at a rate set by α·λ_min. On the "
        "raw house data λ_max ≈ 39341; standardised, ≈ 3.69.",
        (("it removes the noise from the data", "scaling changes no information: the noise stays."),
         ("it changes the model, so it fits better", "the fitted model is equivalent; only the parametrisation "
                                                     "and the shape of the bowl change."),
         ("it makes the loss convex", "the MSE of a linear model is convex with or without scaling.")),
    ),
    Concept(
        "sgd-constant-rate", "training",
        "SGD with a CONSTANT learning rate is run for a very long time on a convex loss. What happens near the "
        "minimum?",
        "the parameters keep hovering around the minimum; a decaying α is needed to settle",
        "One example's gradient is not zero at the minimum, so every update still kicks the parameters by about α "
        "times the gradient noise. With αₜ → 0 (e.g. α₀/(1 + t/τ)) the kicks die out.",
        (("they converge exactly to the minimum", "that needs the noise to die out, i.e. a decaying α."),
         ("they always diverge", "a small constant α does not diverge; it hovers."),
         ("the loss becomes 0", "a regression loss levels off near the noise variance, not 0.")),
    ),
    Concept(
        "half-squared-error", "backpropagation",
        "Switching the loss from (ŷ − y)² to ½(ŷ − y)² changes the backpropagated gradients how?",
        "every gradient is halved; the minimiser and the gradient's direction stay the same",
        "∂/∂ŷ of ½(ŷ − y)² is ŷ − y instead of 2(ŷ − y); the factor carries through every δ. α on ½L moves like "
        "α/2 on L.",
        (("every gradient doubles", "the ½ removes the 2 from the derivative of the square: it halves them."),
         ("the minimiser moves", "L and ½L are smallest at the same weights."),
         ("nothing changes", "the gradients are halved, so the same α takes half the step.")),
    ),
    Concept(
        "zero-gradient", "partial-derivatives",
        "Gradient descent has stopped at a point where ∇J = 0. What can you conclude?",
        "it is a stationary point: a minimum, a maximum or a saddle point",
        "∇J = 0 only says the ground is flat. f = x² − y² has ∇f(0, 0) = (0, 0) at a saddle. The second "
        "derivatives (the Hessian) decide.",
        (("it is the global minimum", "only for a convex loss; otherwise it may be a local minimum or a saddle."),
         ("it is a local minimum", "a saddle point (x² − y² at the origin) has a zero gradient too."),
         ("the learning rate was too large", "a too-large α overshoots; it does not create zero gradients.")),
    ),
    Concept(
        "levelled-loss", "training",
        "Batch GD on the house-price data levels off at an MSE of about 0.064 and changes by 0.15 % over the last "
        "10 epochs. The prices carry noise of standard deviation 0.25. Is the run converged?",
        "yes: the loss has levelled off near the noise variance 0.25² = 0.0625",
        "A relative-change criterion (≤ 1 % over 10 epochs) calls it converged. No model can fit the noise, so the "
        "loss levels off near the noise variance, not at 0.",
        (("no: a converged run has a loss below 10⁻⁶", "a regression loss cannot fall below about the noise "
                                                        "variance; an absolute threshold would wait for ever."),
         ("no: the learning rate is too small", "a too-small α leaves the loss still falling clearly, not level."),
         ("no: it diverged", "a diverging loss grows; this one is level.")),
    ),
)
