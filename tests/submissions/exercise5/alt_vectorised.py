"""An alternative correct solution: vectorised, shuffling an index array with rng.shuffle."""

import numpy as np


def mse(X, y, w, b):
    r = np.einsum("nd,d->n", X, w) + b - y
    return r @ r / r.size


def mse_gradient(X, y, w, b):
    r = X @ w + b - y
    scale = 2.0 / len(r)
    return scale * (r @ X), scale * r.sum()


def gd_step(X, y, w, b, learning_rate):
    grad_w, grad_b = mse_gradient(X, y, w, b)
    return w - learning_rate * grad_w, b - learning_rate * grad_b


def _train(X, y, w0, b0, learning_rate, epochs, batches):
    params = (np.copy(w0), b0)
    history = np.empty(epochs + 1)
    history[0] = mse(X, y, *params)
    for epoch in range(1, epochs + 1):
        for idx in batches():
            params = gd_step(X[idx], y[idx], *params, learning_rate)
        history[epoch] = mse(X, y, *params)
    return params[0], params[1], history


def batch_gd(X, y, w0, b0, learning_rate, epochs):
    return _train(X, y, w0, b0, learning_rate, epochs, lambda: [slice(None)])


def minibatch_gd(X, y, w0, b0, learning_rate, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)

    def batches():
        order = np.arange(len(y))
        rng.shuffle(order)  # the same draw as rng.permutation(len(y))
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]

    return _train(X, y, w0, b0, learning_rate, epochs, batches)


def sgd(X, y, w0, b0, learning_rate, epochs, seed):
    return minibatch_gd(X, y, w0, b0, learning_rate, epochs, 1, seed)
