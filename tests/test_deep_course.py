"""Lesson 7's figure, `grade plot exercise7`, and the deep-backprop quiz questions.

Lesson 7's worked numbers and derivatives are recomputed by test_course_lessons.py
like every lesson's, the PYQ entry by test_pyq.py, and every figure's PNG by
test_figures.py. Quiz answers are recomputed here from the prompt as the
student sees it, independently of grader.quiz_deep.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import make_workspace, mutate, reference_source, run_grade

from grader import course, figures, quiz, quiz_deep
from grader.catalog import load_catalog
from grader.stubs import stub_source

_NUMBER = r"[−-]?\d+(?:\.\d+)?"
SEEDS = range(25)


def _num(text: str) -> float:
    return float(text.replace("−", "-"))


# -- lesson 7 and its figure ----------------------------------------------------------------------

def test_lesson7_is_the_deep_backprop_lesson():
    lesson = course.find_lesson("7")
    assert lesson.slug == "deep-backprop" and lesson.exercise == "exercise6"
    text = lesson.text()
    for idea in ("column", "δₗ  = (Wₗ₊₁ᵀ · δₗ₊₁) ⊙ g′ₗ(Zₗ)", "Gradients add at forks", "vanishing", "exploding",
                 "central", "relative error", "grade exercise7", "deep_network.png", "ReLU′(0) = 0"):
        assert idea in text, idea
    assert lesson.pyqs == ("style-backprop-222",)


def test_lesson7_delta_recursion_matches_central_differences():
    """The printed recursion, run literally on a random 3-layer network with biases and a batch."""
    text = course.find_lesson("7").text()
    assert "∂L/∂bₗ = δₗ summed over the m columns" in text and "δ_L = (2/m)(A_L − Y) ⊙ g′_L(Z_L)" in text
    rng = np.random.default_rng(1)
    sizes, m = [3, 5, 4, 2], 6
    W = [rng.normal(size=(sizes[i + 1], sizes[i])) / 2 for i in range(3)]
    b = [rng.normal(size=(sizes[i + 1], 1)) for i in range(3)]
    X, Y = rng.normal(size=(3, m)), rng.uniform(size=(2, m))

    def sig(z):
        return 1 / (1 + np.exp(-z))

    def loss(W, b):
        A = X
        for Wl, bl in zip(W, b, strict=True):
            A = sig(Wl @ A + bl)
        return float(np.sum((A - Y) ** 2) / m)

    As, Zs = [X], []
    for Wl, bl in zip(W, b, strict=True):
        Zs.append(Wl @ As[-1] + bl)
        As.append(sig(Zs[-1]))
    delta = (2 / m) * (As[-1] - Y) * sig(Zs[-1]) * (1 - sig(Zs[-1]))
    for layer in (2, 1, 0):
        dW, db = delta @ As[layer].T, delta.sum(axis=1, keepdims=True)
        h = 1e-6
        for index in [(0, 0), (1, 0)]:
            plus = [w.copy() for w in W]
            minus = [w.copy() for w in W]
            plus[layer][index] += h
            minus[layer][index] -= h
            assert dW[index] == pytest.approx((loss(plus, b) - loss(minus, b)) / (2 * h), rel=1e-6, abs=1e-10)
        bp = [v.copy() for v in b]
        bm = [v.copy() for v in b]
        bp[layer][0, 0] += h
        bm[layer][0, 0] -= h
        assert db[0, 0] == pytest.approx((loss(W, bp) - loss(W, bm)) / (2 * h), rel=1e-6, abs=1e-10)
        if layer:
            delta = (W[layer].T @ delta) * sig(Zs[layer - 1]) * (1 - sig(Zs[layer - 1]))


def test_deep_network_figure_shows_the_reference_numbers():
    from grader import figures_deep

    values = figures_deep.network_values()
    np.testing.assert_allclose(values["grads"]["b2"][:, 0], [0.276997, -0.076196], atol=5e-7)
    np.testing.assert_allclose(values["grads"]["b1"][:, 0], [0.017543, 0.019909], atol=5e-7)
    assert values["loss"] == pytest.approx(0.596742, abs=5e-7)
    assert "deep_network" in figures.FIGURES
    curve = figures_deep.reference_error_curve()
    assert curve.shape == (12,) and int(np.argmin(curve)) in (3, 4, 5)  # h = 1e-4 … 1e-6


# -- grade plot exercise7 ---------------------------------------------------------------------------

@pytest.fixture
def ex7_workspaces(tmp_path):
    stubs = {ex.file: stub_source(ex.file) for ex in load_catalog()}
    file = "exercise7_gradient_check.py"
    forward = mutate(reference_source(file), "            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n",
                     "            g[index] = (f(plus) - f(params)) / h\n")
    return {"stub": make_workspace(tmp_path / "stub", stubs),
            "solved": make_workspace(tmp_path / "solved", {**stubs, file: reference_source(file)}),
            "forward": make_workspace(tmp_path / "forward", {**stubs, file: forward})}


def test_plot_exercise7_on_the_reference(ex7_workspaces):
    proc = run_grade("plot", "exercise7", "--path", str(ex7_workspaces["solved"]))
    assert proc.returncode == 0, proc.stderr
    target = ex7_workspaces["solved"] / ".grade" / "plots" / "exercise7.png"
    assert "matches the reference" in proc.stdout and proc.stdout.strip().endswith(str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 10_000


def test_plot_exercise7_on_a_stub_and_on_a_one_sided_difference(ex7_workspaces):
    proc = run_grade("plot", "exercise7", "--path", str(ex7_workspaces["stub"]))
    assert proc.returncode == 1 and "error_versus_h is not implemented yet" in proc.stdout
    proc = run_grade("plot", "7", "--path", str(ex7_workspaces["forward"]))
    assert proc.returncode == 0, proc.stderr
    assert "error_versus_h differs from the reference" in proc.stdout


# -- quiz -------------------------------------------------------------------------------------------

def _matrix(prompt: str, name: str) -> np.ndarray:
    m = re.search(rf"{name} = \[\[({_NUMBER}), ({_NUMBER})\], \[({_NUMBER}), ({_NUMBER})\]\]", prompt)
    return np.array([_num(v) for v in m.groups()]).reshape(2, 2)


def _column(prompt: str, name: str) -> np.ndarray:
    m = re.search(rf"{name} = \(({_NUMBER}), ({_NUMBER})\)", prompt)
    return np.array([[_num(m.group(1))], [_num(m.group(2))]])


def _by_hand(prompt: str) -> dict[str, np.ndarray]:
    """The 2-2-2 network of the prompt, forward and backward, written out here."""
    W1, W2 = _matrix(prompt, "W₁"), _matrix(prompt, "W₂")
    b1, b2, x, y = (_column(prompt, n) for n in ("b₁", "b₂", "x", "target y"))
    rate = _num(re.search(rf"α = ({_NUMBER})", prompt).group(1))
    a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    yhat = 1 / (1 + np.exp(-(W2 @ a1 + b2)))
    d2 = 2 * (yhat - y) * yhat * (1 - yhat)
    d1 = (W2.T @ d2) * a1 * (1 - a1)
    return {"d2": d2[:, 0], "d1": d1[:, 0], "W2": (W2 - rate * d2 @ a1.T)[0], "W1": (W1 - rate * d1 @ x.T)[0],
            "no sigma": 2 * (yhat - y)[:, 0]}


def test_network_question_answer_is_the_hand_computation():
    kinds = set()
    for seed in SEEDS:
        q = quiz_deep.network_question(np.random.default_rng(seed))
        ask = q.title.split(": ")[1]
        kinds.add(ask)
        expected = _by_hand(q.prompt)[ask]
        assert q.check(", ".join(f"{v:.4f}" for v in expected)).correct, (q.prompt, expected)
        assert not q.check(", ".join(f"{v + 0.01:.4f}" for v in expected)).correct
        assert "−2−2" not in q.prompt and "2-2-2" in q.prompt
    assert kinds == {"d2", "d1", "W2", "W1"}


def test_network_question_names_a_missing_sigma_prime():
    for seed in SEEDS:
        q = quiz_deep.network_question(np.random.default_rng(seed))
        if q.title.endswith("d2"):
            verdict = q.check(", ".join(f"{v:.4f}" for v in _by_hand(q.prompt)["no sigma"]))
            assert verdict.status == "wrong" and "left out σ′" in verdict.message
            return
    pytest.fail("no δ₂ question among the seeds")


def test_network_question_mistakes_are_distinguishable():
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        q = quiz_deep.network_question(rng)
        right = [float(v) for v in q.answer.split(", ")]
        for other in (_by_hand(q.prompt)["no sigma"],):
            if q.title.endswith("d2"):
                assert not quiz.close_enough(list(other), right)


def test_delta_question_answer_is_sympy_diff():
    seen = set()
    for seed in SEEDS:
        q = quiz_deep.delta_question(np.random.default_rng(seed), seed)
        seen.add(q.prompt.split(", and ")[0])
        assert q.check(q.answer).correct
        # δ₁ = δ₂·w₂·σ′(z₁) written the way a student would, for the σ/σ/squared-error chain
        if "ŷ = σ(w₂a₁ + b₂)" in q.prompt and "a₁ = σ(z₁)" in q.prompt:
            out = "sigmoid(w2*sigmoid(z1) + b2)"
            typed = f"2*({out} - y)*{out}*(1 - {out})*w2*sigmoid(z1)*(1 - sigmoid(z1))"
            assert q.check(typed).correct
            forgot = typed.replace("*sigmoid(z1)*(1 - sigmoid(z1))", "")
            assert not q.check(forgot).correct
    assert len(seen) >= 3


def test_shapes_question_answer_follows_from_the_sizes():
    for seed in SEEDS:
        q = quiz_deep.shapes_question(np.random.default_rng(seed))
        sizes = [int(v) for v in re.findall(r"n[₀₁₂₃] = (\d+)", q.prompt)]
        m = int(re.search(r"m = (\d+) examples", q.prompt).group(1))
        layer = "₀₁₂₃".index(re.search(r"shape of (?:δ|∂L/∂W|∂L/∂b)([₁₂₃])", q.prompt).group(1))
        if "of δ" in q.prompt:
            expected = (sizes[layer], m)
        elif "∂L/∂W" in q.prompt:
            expected = (sizes[layer], sizes[layer - 1])
        else:
            expected = (sizes[layer], 1)
        assert q.check(f"{expected[0]}, {expected[1]}").correct
        verdict = q.check(f"{expected[1]}, {expected[0]}")
        assert verdict.status == "wrong"


def test_deep_backprop_topic_in_the_quiz():
    assert "deep-backprop" in quiz.TOPICS
    questions = quiz.make_quiz(7, 6, topic="deep-backprop")
    assert {q.kind for q in questions} >= {"numeric", "symbolic"}
    assert all(q.topic == "deep-backprop" or q.kind == "pyq" for q in questions)
    assert [q.prompt for q in questions] == [q.prompt for q in quiz.make_quiz(7, 6, topic="deep-backprop")]
