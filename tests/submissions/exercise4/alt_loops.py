"""An alternative correct solution: explicit loops over examples and features."""

import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):  # exp(800) = inf gives 1/(1 + inf) = 0, as it should
        s = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
    return float(s) if s.ndim == 0 else s


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s - s * s


def neuron_forward(w, X, b, y, activation="identity"):
    n, d = len(X), len(w)
    z = np.zeros(n)
    for i in range(n):
        total = b
        for j in range(d):
            total += w[j] * X[i][j]
        z[i] = total
    a = sigmoid(z) if activation == "sigmoid" else z.copy()
    loss = 0.0
    for i in range(n):
        loss += (a[i] - y[i]) ** 2
    cache = {"X": X, "w": w, "y": y, "z": z, "a": a, "activation": activation}
    return loss / n, cache


def neuron_backward(cache):
    X, w, y, z, a = cache["X"], cache["w"], cache["y"], cache["z"], cache["a"]
    n, d = len(X), len(w)
    dw = np.zeros(d)
    db = 0.0
    dX = np.zeros((n, d))
    for i in range(n):
        slope = sigmoid_derivative(z[i]) if cache["activation"] == "sigmoid" else 1.0
        delta = 2.0 * (a[i] - y[i]) * slope / n
        db += delta
        for j in range(d):
            dw[j] += delta * X[i][j]
            dX[i][j] = delta * w[j]
    return dw, db, dX


def train_neuron(X, y, w0, b0, learning_rate, epochs, activation="identity"):
    w = [float(v) for v in w0]
    b = b0
    losses = []
    for _ in range(epochs + 1):
        loss, cache = neuron_forward(np.array(w), X, b, y, activation)
        losses.append(loss)
        if len(losses) > epochs:
            break
        dw, db, _ = neuron_backward(cache)
        w = [w[j] - learning_rate * dw[j] for j in range(len(w))]
        b = b - learning_rate * db
    return np.array(w), b, np.array(losses)
