"""An alternative correct solution: explicit loops, SGD written out example by example."""

import numpy as np


def mse(X, y, w, b):
    total = 0.0
    for i in range(len(y)):
        prediction = b + sum(X[i][j] * w[j] for j in range(len(w)))
        total += (prediction - y[i]) ** 2
    return total / len(y)


def mse_gradient(X, y, w, b):
    n, d = len(y), len(w)
    dw = np.zeros(d)
    db = 0.0
    for i in range(n):
        r = b + sum(X[i][j] * w[j] for j in range(d)) - y[i]
        for j in range(d):
            dw[j] += 2.0 * r * X[i][j] / n
        db += 2.0 * r / n
    return dw, db


def gd_step(X, y, w, b, learning_rate):
    dw, db = mse_gradient(X, y, w, b)
    return np.array([w[j] - learning_rate * dw[j] for j in range(len(w))]), b - learning_rate * db


def batch_gd(X, y, w0, b0, learning_rate, epochs):
    w, b, losses = w0, b0, [mse(X, y, w0, b0)]
    for _ in range(epochs):
        w, b = gd_step(X, y, w, b, learning_rate)
        losses.append(mse(X, y, w, b))
    return w, b, np.array(losses)


def sgd(X, y, w0, b0, learning_rate, epochs, seed):
    rng = np.random.default_rng(seed)
    w, b = list(w0), b0
    losses = [mse(X, y, w, b)]
    for _ in range(epochs):
        for i in rng.permutation(len(y)):
            r = b + sum(X[i][j] * w[j] for j in range(len(w))) - y[i]
            w = [w[j] - learning_rate * 2.0 * r * X[i][j] for j in range(len(w))]
            b = b - learning_rate * 2.0 * r
        losses.append(mse(X, y, w, b))
    return np.array(w), b, np.array(losses)


def minibatch_gd(X, y, w0, b0, learning_rate, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    n = len(y)
    w, b = w0, b0
    losses = [mse(X, y, w, b)]
    for _ in range(epochs):
        perm = rng.permutation(n)
        start = 0
        while start < n:
            idx = perm[start:start + batch_size]
            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)
            start += batch_size
        losses.append(mse(X, y, w, b))
    return w, b, np.array(losses)
