"""The quiz generators of exercises 8–10 (grader/quiz_training.py): answers recomputed independently."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from grader import quiz, quiz_training

SEEDS = range(20)


def _numbers(text: str) -> list[float]:
    return [float(v.replace("−", "-")) for v in re.findall(r"[-−]?\d+(?:\.\d+)?", text)]


@pytest.mark.parametrize("seed", SEEDS)
def test_reused_node_answer_is_b_plus_c(seed):
    q = quiz_training.reused_node_question(np.random.default_rng(seed))
    _, b, c = _numbers(q.prompt.split("a = ", 1)[1])[:3]
    assert q.check(f"{b + c}").correct
    assert "you kept only c" in q.check(f"{c}").message


@pytest.mark.parametrize("seed", SEEDS)
def test_adam_first_step_is_alpha_sign_g(seed):
    q = quiz_training.adam_first_step_question(np.random.default_rng(seed))
    lr = _numbers(q.prompt.split("α = ", 1)[1])[0]
    theta = _numbers(q.prompt.split("θ = ", 1)[1])[:2]
    g = _numbers(q.prompt.split("g = ", 1)[1])[:2]
    expected = [t - lr * math.copysign(1, v) for t, v in zip(theta, g, strict=True)]
    assert q.check(", ".join(map(str, expected))).correct
    uncorrected = [t - lr * 0.1 * v / math.sqrt(0.001 * v * v) for t, v in zip(theta, g, strict=True)]
    assert "bias correction" in q.check(", ".join(map(str, uncorrected))).message


@pytest.mark.parametrize("seed", SEEDS)
def test_momentum_step_is_alpha_g_over_one_minus_beta(seed):
    q = quiz_training.momentum_effective_step_question(np.random.default_rng(seed))
    lr, beta = _numbers(q.prompt.split("α = ", 1)[1])[0], _numbers(q.prompt.split("β = ", 1)[1])[0]
    g = _numbers(q.prompt.split("g = ", 1)[1])[0]
    assert q.check(f"{lr * g / (1 - beta)}").correct
    assert "plain gradient descent" in q.check(f"{lr * g}").message


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_bound_is_four_over_w_to_the_l(seed):
    q = quiz_training.sigmoid_product_question(np.random.default_rng(seed))
    layers = int(_numbers(q.prompt)[0])
    w = _numbers(q.prompt.split("w = ", 1)[1])[0]
    assert q.check(f"{(4 / w) ** layers}").correct
    assert not q.check(f"{(4 / w) ** (layers - 1)}").correct


@pytest.mark.parametrize("seed", SEEDS)
def test_init_std_answers_are_glorot_and_he(seed):
    q = quiz_training.init_std_question(np.random.default_rng(seed))
    fan_in = _numbers(q.prompt.split("fan_in = ", 1)[1])[0]
    fan_out = _numbers(q.prompt.split("fan_out = ", 1)[1])[0]
    right = (math.sqrt(2 / (fan_in + fan_out)), math.sqrt(2 / fan_in))
    assert q.check(f"{right[0]}, {right[1]}").correct
    assert "variances" in q.check(f"{2 / (fan_in + fan_out)}, {2 / fan_in}").message


def test_topics_are_served_by_make_quiz():
    for topic in ("autograd", "optimizers", "deep-training"):
        questions = quiz.make_quiz(5, 6, topic=topic, kind="numeric")
        assert len(questions) == 6 and {q.topic for q in questions} == {topic}
