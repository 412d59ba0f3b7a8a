"""Deliberately wrong and alternative correct submissions of exercise 5, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise5_minibatch_gd.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'alt_loops': [('from __future__ import annotations\n\n', ''),
               ('def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:\n'
                '    """The mean squared error of the linear model ŷ = X·w + b.\n'
                '\n'
                '        MSE = (1/n) Σ_i (ŷ_i − y_i)²\n'
                '\n'
                '    Args:\n'
                '        X: shape (n, d), one example per row.\n'
                '        y: shape (n,), the targets.\n'
                '        w: shape (d,), the weights.\n'
                '        b: the bias, a float.\n'
                '\n'
                '    Returns:\n'
                '        The MSE, a float.\n'
                '\n'
                '    Example (used again below):\n'
                '        X = [[1, 0], [0, 1], [1, 1], [2, 1]], w = [1, 2], b = 0.5 give\n'
                '        ŷ = [1.5, 2.5, 3.5, 4.5]; with y = [0.5, 3.5, 1.5, 4.5] the residuals\n'
                '        are r = ŷ − y = [1, −1, 2, 0] and MSE = (1 + 1 + 4 + 0)/4 = 1.5.\n'
                '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                '        >>> mse(X, y, np.array([1.0, 2.0]), 0.5)\n'
                '        1.5\n'
                '    """\n'
                '    ### BEGIN SOLUTION\n'
                '    predictions = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b\n'
                '    return float(np.mean((predictions - np.asarray(y, dtype=float)) ** 2))\n'
                '    ### END SOLUTION\n',
                'def mse(X, y, w, b):\n'
                '    total = 0.0\n'
                '    for i in range(len(y)):\n'
                '        prediction = b + sum(X[i][j] * w[j] for j in range(len(w)))\n'
                '        total += (prediction - y[i]) ** 2\n'
                '    return total / len(y)\n'),
               ('def mse_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> '
                'tuple[np.ndarray, float]:\n'
                '    """The gradient of the MSE with respect to w and b.\n'
                '\n'
                '        r = X·w + b − y\n'
                '        ∂MSE/∂w = (2/n)·Xᵀr      ∂MSE/∂b = (2/n)·Σ_i r_i\n'
                '\n'
                '    Args:\n'
                '        X: shape (n, d).  y: shape (n,).  w: shape (d,).  b: a float.\n'
                '\n'
                '    Returns:\n'
                '        (dw, db): dw of shape (d,), db a float.\n'
                '\n'
                '    Example (the data of `mse`, r = [1, −1, 2, 0], n = 4):\n'
                '        dw = (2/4)·[1·1 + 0·(−1) + 1·2 + 2·0, 0·1 + 1·(−1) + 1·2 + 1·0] = [1.5, 0.5]\n'
                '        db = (2/4)·(1 − 1 + 2 + 0) = 1.0\n'
                '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                '        >>> mse_gradient(X, y, np.array([1.0, 2.0]), 0.5)\n'
                '        (array([1.5, 0.5]), 1.0)\n'
                '    """\n'
                '    ### BEGIN SOLUTION\n'
                '    X = np.asarray(X, dtype=float)\n'
                '    residuals = X @ np.asarray(w, dtype=float) + b - np.asarray(y, dtype=float)\n'
                '    n = X.shape[0]\n'
                '    return (2.0 / n) * (X.T @ residuals), float((2.0 / n) * np.sum(residuals))\n'
                '    ### END SOLUTION\n',
                'def mse_gradient(X, y, w, b):\n'
                '    n, d = len(y), len(w)\n'
                '    dw = np.zeros(d)\n'
                '    db = 0.0\n'
                '    for i in range(n):\n'
                '        r = b + sum(X[i][j] * w[j] for j in range(d)) - y[i]\n'
                '        for j in range(d):\n'
                '            dw[j] += 2.0 * r * X[i][j] / n\n'
                '        db += 2.0 * r / n\n'
                '    return dw, db\n'),
               ('def gd_step(\n'
                '    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, learning_rate: float\n'
                ') -> tuple[np.ndarray, float]:\n'
                '    """One gradient-descent update on the batch (X, y):\n'
                '\n'
                '        w_new = w − α·∂MSE/∂w,   b_new = b − α·∂MSE/∂b      (α = learning_rate)\n'
                '\n'
                '    where the MSE (and so its gradient) is averaged over the rows of this X.\n'
                '\n'
                '    Args:\n'
                '        X: shape (m, d), the examples of this (mini-)batch. Must not be modified.\n'
                '        y: shape (m,). Must not be modified.\n'
                '        w: shape (d,), the current weights. Must not be modified.\n'
                '        b: the current bias.\n'
                '        learning_rate: α > 0.\n'
                '\n'
                '    Returns:\n'
                '        (w_new, b_new): a new array of shape (d,) and a float.\n'
                '\n'
                '    Example (the data of `mse`, α = 0.1: gradient ([1.5, 0.5], 1.0)):\n'
                '        w_new = [1 − 0.15, 2 − 0.05] = [0.85, 1.95],  b_new = 0.5 − 0.1 = 0.4\n'
                '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                '        >>> w_new, b_new = gd_step(X, y, np.array([1.0, 2.0]), 0.5, 0.1)\n'
                '        >>> w_new, round(b_new, 12)\n'
                '        (array([0.85, 1.95]), 0.4)\n'
                '    """\n'
                '    ### BEGIN SOLUTION\n',
                'def gd_step(X, y, w, b, learning_rate):\n'),
               ('    return np.asarray(w, dtype=float) - learning_rate * dw, float(b - learning_rate * db)\n'
                '    ### END SOLUTION\n',
                '    return np.array([w[j] - learning_rate * dw[j] for j in range(len(w))]), b - '
                'learning_rate * db\n'),
               ('def batch_gd(\n'
                '    X: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, learning_rate: float, epochs: '
                'int\n'
                ') -> tuple[np.ndarray, float, np.ndarray]:\n'
                '    """Batch gradient descent: each epoch makes ONE `gd_step` on all n examples.\n'
                '\n'
                '    Args:\n'
                '        X: shape (n, d). y: shape (n,). Neither may be modified.\n'
                '        w0: shape (d,), the initial weights. Must not be modified.\n'
                '        b0: the initial bias.\n'
                '        learning_rate: α > 0.\n'
                '        epochs: the number of epochs (= updates here), ≥ 0.\n'
                '\n'
                '    Returns:\n'
                '        (w, b, losses): the final weights (d,), the final bias (a float) and\n'
                '        losses of shape (epochs + 1,): losses[0] = mse(X, y, w0, b0) and\n'
                '        losses[k] the full-data MSE after epoch k.\n'
                '\n'
                '    Example (the data of `mse`, α = 0.1, one epoch = the `gd_step` example):\n'
                '        after it ŷ = [1.25, 2.35, 3.2, 4.05], r = [0.75, −1.15, 1.7, −0.45] and\n'
                '        the MSE falls from 1.5 to (0.5625 + 1.3225 + 2.89 + 0.2025)/4 = 1.244375.\n'
                '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                '        >>> w, b, losses = batch_gd(X, y, np.array([1.0, 2.0]), 0.5, 0.1, 1)\n'
                '        >>> losses.round(12)\n'
                '        array([1.5     , 1.244375])\n'
                '    """\n'
                '    ### BEGIN SOLUTION\n'
                '    w, b = np.array(w0, dtype=float), float(b0)\n'
                '    losses = [mse(X, y, w, b)]\n',
                'def batch_gd(X, y, w0, b0, learning_rate, epochs):\n'
                '    w, b, losses = w0, b0, [mse(X, y, w0, b0)]\n'),
               ('        w, b = gd_step(X, y, w, b, learning_rate)\n'
                '        losses.append(mse(X, y, w, b))\n'
                '    return w, b, np.array(losses)\n'
                '    ### END SOLUTION\n',
                '        w, b = gd_step(X, y, w, b, learning_rate)\n'
                '        losses.append(mse(X, y, w, b))\n'
                '    return w, b, np.array(losses)\n'),
               ('def minibatch_gd(\n'
                '    X: np.ndarray,\n'
                '    y: np.ndarray,\n'
                '    w0: np.ndarray,\n'
                '    b0: float,\n'
                '    learning_rate: float,\n'
                '    epochs: int,\n'
                '    batch_size: int,\n'
                '    seed: int,\n'
                ') -> tuple[np.ndarray, float, np.ndarray]:\n'
                '    """Mini-batch gradient descent with the examples reshuffled every epoch.\n',
                'def sgd(X, y, w0, b0, learning_rate, epochs, seed):\n'
                '    rng = np.random.default_rng(seed)\n'
                '    w, b = list(w0), b0\n'
                '    losses = [mse(X, y, w, b)]\n'
                '    for _ in range(epochs):\n'
                '        for i in rng.permutation(len(y)):\n'
                '            r = b + sum(X[i][j] * w[j] for j in range(len(w))) - y[i]\n'
                '            w = [w[j] - learning_rate * 2.0 * r * X[i][j] for j in range(len(w))]\n'
                '            b = b - learning_rate * 2.0 * r\n'
                '        losses.append(mse(X, y, w, b))\n'
                '    return np.array(w), b, np.array(losses)\n'),
               ('    The order is defined exactly, so that runs are reproducible:\n'
                '      1. create the generator ONCE, before the first epoch: rng = '
                'np.random.default_rng(seed)\n'
                '         (a Generator cannot be passed between processes, so you get the integer seed);\n'
                '      2. at the start of every epoch draw perm = rng.permutation(n);\n'
                '      3. the mini-batches of that epoch are idx = perm[i : i + batch_size] for\n'
                '         i = 0, batch_size, 2·batch_size, … < n. When batch_size does not divide n,\n'
                '         the LAST batch is smaller; keep it (never drop it, never pad it with\n'
                '         examples from the start of perm);\n'
                '      4. for each batch in turn: (w, b) = gd_step(X[idx], y[idx], w, b, α) — the\n'
                "         gradient is the mean over the batch's own size (len(idx)), also for the\n"
                '         smaller last batch;\n'
                '      5. after each epoch, record the MSE on ALL the data.\n',
                ''),
               ('    Args:\n'
                '        X: shape (n, d). y: shape (n,). Neither may be modified (shuffle indices, not X).\n'
                '        w0: shape (d,), the initial weights. Must not be modified.\n'
                '        b0: the initial bias.\n'
                '        learning_rate: α > 0.\n'
                '        epochs: the number of passes over the data, ≥ 0.\n'
                '        batch_size: the number of examples per update, ≥ 1.\n'
                '        seed: the seed of the generator, see step 1.\n'
                '\n'
                '    Returns:\n'
                '        (w, b, losses) as in `batch_gd`: losses has shape (epochs + 1,) and\n'
                '        starts with mse(X, y, w0, b0).\n'
                '\n'
                '    Example (n = 5, batch_size = 2, seed = 0):\n'
                '        >>> np.random.default_rng(0).permutation(5)\n'
                '        array([2, 4, 3, 0, 1])\n'
                '\n'
                '        so epoch 1 updates on examples [2, 4], then [3, 0], then [1] (the last\n'
                '        batch has one example and its gradient divides by 1); epoch 2 draws\n'
                '        the next permutation from the same rng.\n'
                '    """\n'
                '    ### BEGIN SOLUTION\n'
                '    X = np.asarray(X, dtype=float)\n'
                '    y = np.asarray(y, dtype=float)\n'
                '    n = X.shape[0]\n',
                'def minibatch_gd(X, y, w0, b0, learning_rate, epochs, batch_size, seed):\n'),
               ('    rng = np.random.default_rng(seed)\n    w, b = np.array(w0, dtype=float), float(b0)\n',
                '    rng = np.random.default_rng(seed)\n    n = len(y)\n    w, b = w0, b0\n'),
               ('        for start in range(0, n, batch_size):\n'
                '            idx = perm[start : start + batch_size]\n',
                '        start = 0\n'
                '        while start < n:\n'
                '            idx = perm[start:start + batch_size]\n'),
               ('            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)\n',
                '            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)\n'
                '            start += batch_size\n'),
               ('    ### END SOLUTION\n'
                '\n'
                '\n'
                'def sgd(\n'
                '    X: np.ndarray,\n'
                '    y: np.ndarray,\n'
                '    w0: np.ndarray,\n'
                '    b0: float,\n'
                '    learning_rate: float,\n'
                '    epochs: int,\n'
                '    seed: int,\n'
                ') -> tuple[np.ndarray, float, np.ndarray]:\n'
                '    """Stochastic gradient descent: one update per example, in a shuffled order.\n'
                '\n'
                '    Exactly `minibatch_gd` with batch_size = 1: rng = np.random.default_rng(seed)\n'
                '    once; every epoch perm = rng.permutation(n) and, for i in perm, one update\n'
                '    on the single example i, whose gradient is\n'
                '\n'
                '        ∂/∂w (x_i·w + b − y_i)² = 2(x_i·w + b − y_i)·x_i,   ∂/∂b = 2(x_i·w + b − y_i).\n'
                '\n'
                '    Args:\n'
                '        X: shape (n, d). y: shape (n,). Neither may be modified.\n'
                '        w0: shape (d,). Must not be modified.\n'
                '        b0: the initial bias.\n'
                '        learning_rate: α > 0.\n'
                '        epochs: passes over the data, ≥ 0 (each makes n updates).\n'
                '        seed: the seed of the generator.\n'
                '\n'
                '    Returns:\n'
                '        (w, b, losses) as in `batch_gd` (the full-data MSE after each epoch).\n'
                '    """\n'
                '    ### BEGIN SOLUTION\n'
                '    return minibatch_gd(X, y, w0, b0, learning_rate, epochs, 1, seed)\n'
                '    ### END SOLUTION\n',
                '')],
 'alt_vectorised': [('from __future__ import annotations\n\n', ''),
                    ('def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:\n'
                     '    """The mean squared error of the linear model ŷ = X·w + b.\n'
                     '\n'
                     '        MSE = (1/n) Σ_i (ŷ_i − y_i)²\n'
                     '\n'
                     '    Args:\n'
                     '        X: shape (n, d), one example per row.\n'
                     '        y: shape (n,), the targets.\n'
                     '        w: shape (d,), the weights.\n'
                     '        b: the bias, a float.\n'
                     '\n'
                     '    Returns:\n'
                     '        The MSE, a float.\n'
                     '\n'
                     '    Example (used again below):\n'
                     '        X = [[1, 0], [0, 1], [1, 1], [2, 1]], w = [1, 2], b = 0.5 give\n'
                     '        ŷ = [1.5, 2.5, 3.5, 4.5]; with y = [0.5, 3.5, 1.5, 4.5] the residuals\n'
                     '        are r = ŷ − y = [1, −1, 2, 0] and MSE = (1 + 1 + 4 + 0)/4 = 1.5.\n'
                     '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                     '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                     '        >>> mse(X, y, np.array([1.0, 2.0]), 0.5)\n'
                     '        1.5\n'
                     '    """\n'
                     '    ### BEGIN SOLUTION\n'
                     '    predictions = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b\n'
                     '    return float(np.mean((predictions - np.asarray(y, dtype=float)) ** 2))\n'
                     '    ### END SOLUTION\n',
                     'def mse(X, y, w, b):\n'
                     '    r = np.einsum("nd,d->n", X, w) + b - y\n'
                     '    return r @ r / r.size\n'),
                    ('def mse_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> '
                     'tuple[np.ndarray, float]:\n'
                     '    """The gradient of the MSE with respect to w and b.\n'
                     '\n'
                     '        r = X·w + b − y\n'
                     '        ∂MSE/∂w = (2/n)·Xᵀr      ∂MSE/∂b = (2/n)·Σ_i r_i\n'
                     '\n'
                     '    Args:\n'
                     '        X: shape (n, d).  y: shape (n,).  w: shape (d,).  b: a float.\n'
                     '\n'
                     '    Returns:\n'
                     '        (dw, db): dw of shape (d,), db a float.\n'
                     '\n'
                     '    Example (the data of `mse`, r = [1, −1, 2, 0], n = 4):\n'
                     '        dw = (2/4)·[1·1 + 0·(−1) + 1·2 + 2·0, 0·1 + 1·(−1) + 1·2 + 1·0] = [1.5, 0.5]\n'
                     '        db = (2/4)·(1 − 1 + 2 + 0) = 1.0\n'
                     '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                     '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                     '        >>> mse_gradient(X, y, np.array([1.0, 2.0]), 0.5)\n'
                     '        (array([1.5, 0.5]), 1.0)\n'
                     '    """\n'
                     '    ### BEGIN SOLUTION\n'
                     '    X = np.asarray(X, dtype=float)\n'
                     '    residuals = X @ np.asarray(w, dtype=float) + b - np.asarray(y, dtype=float)\n'
                     '    n = X.shape[0]\n'
                     '    return (2.0 / n) * (X.T @ residuals), float((2.0 / n) * np.sum(residuals))\n'
                     '    ### END SOLUTION\n',
                     'def mse_gradient(X, y, w, b):\n'
                     '    r = X @ w + b - y\n'
                     '    scale = 2.0 / len(r)\n'
                     '    return scale * (r @ X), scale * r.sum()\n'),
                    ('def gd_step(\n'
                     '    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, learning_rate: float\n'
                     ') -> tuple[np.ndarray, float]:\n'
                     '    """One gradient-descent update on the batch (X, y):\n'
                     '\n'
                     '        w_new = w − α·∂MSE/∂w,   b_new = b − α·∂MSE/∂b      (α = learning_rate)\n'
                     '\n'
                     '    where the MSE (and so its gradient) is averaged over the rows of this X.\n'
                     '\n'
                     '    Args:\n'
                     '        X: shape (m, d), the examples of this (mini-)batch. Must not be modified.\n'
                     '        y: shape (m,). Must not be modified.\n'
                     '        w: shape (d,), the current weights. Must not be modified.\n'
                     '        b: the current bias.\n'
                     '        learning_rate: α > 0.\n'
                     '\n'
                     '    Returns:\n'
                     '        (w_new, b_new): a new array of shape (d,) and a float.\n'
                     '\n'
                     '    Example (the data of `mse`, α = 0.1: gradient ([1.5, 0.5], 1.0)):\n'
                     '        w_new = [1 − 0.15, 2 − 0.05] = [0.85, 1.95],  b_new = 0.5 − 0.1 = 0.4\n'
                     '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                     '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                     '        >>> w_new, b_new = gd_step(X, y, np.array([1.0, 2.0]), 0.5, 0.1)\n'
                     '        >>> w_new, round(b_new, 12)\n'
                     '        (array([0.85, 1.95]), 0.4)\n'
                     '    """\n'
                     '    ### BEGIN SOLUTION\n'
                     '    dw, db = mse_gradient(X, y, w, b)\n'
                     '    return np.asarray(w, dtype=float) - learning_rate * dw, float(b - learning_rate * '
                     'db)\n'
                     '    ### END SOLUTION\n',
                     'def gd_step(X, y, w, b, learning_rate):\n'
                     '    grad_w, grad_b = mse_gradient(X, y, w, b)\n'
                     '    return w - learning_rate * grad_w, b - learning_rate * grad_b\n'),
                    ('def batch_gd(\n'
                     '    X: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, learning_rate: float, '
                     'epochs: int\n'
                     ') -> tuple[np.ndarray, float, np.ndarray]:\n'
                     '    """Batch gradient descent: each epoch makes ONE `gd_step` on all n examples.\n'
                     '\n'
                     '    Args:\n'
                     '        X: shape (n, d). y: shape (n,). Neither may be modified.\n'
                     '        w0: shape (d,), the initial weights. Must not be modified.\n'
                     '        b0: the initial bias.\n'
                     '        learning_rate: α > 0.\n'
                     '        epochs: the number of epochs (= updates here), ≥ 0.\n'
                     '\n'
                     '    Returns:\n'
                     '        (w, b, losses): the final weights (d,), the final bias (a float) and\n'
                     '        losses of shape (epochs + 1,): losses[0] = mse(X, y, w0, b0) and\n'
                     '        losses[k] the full-data MSE after epoch k.\n'
                     '\n'
                     '    Example (the data of `mse`, α = 0.1, one epoch = the `gd_step` example):\n'
                     '        after it ŷ = [1.25, 2.35, 3.2, 4.05], r = [0.75, −1.15, 1.7, −0.45] and\n'
                     '        the MSE falls from 1.5 to (0.5625 + 1.3225 + 2.89 + 0.2025)/4 = 1.244375.\n'
                     '        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])\n'
                     '        >>> y = np.array([0.5, 3.5, 1.5, 4.5])\n'
                     '        >>> w, b, losses = batch_gd(X, y, np.array([1.0, 2.0]), 0.5, 0.1, 1)\n'
                     '        >>> losses.round(12)\n'
                     '        array([1.5     , 1.244375])\n'
                     '    """\n'
                     '    ### BEGIN SOLUTION\n'
                     '    w, b = np.array(w0, dtype=float), float(b0)\n'
                     '    losses = [mse(X, y, w, b)]\n'
                     '    for _ in range(epochs):\n'
                     '        w, b = gd_step(X, y, w, b, learning_rate)\n'
                     '        losses.append(mse(X, y, w, b))\n'
                     '    return w, b, np.array(losses)\n'
                     '    ### END SOLUTION\n',
                     'def _train(X, y, w0, b0, learning_rate, epochs, batches):\n'
                     '    params = (np.copy(w0), b0)\n'
                     '    history = np.empty(epochs + 1)\n'
                     '    history[0] = mse(X, y, *params)\n'
                     '    for epoch in range(1, epochs + 1):\n'
                     '        for idx in batches():\n'
                     '            params = gd_step(X[idx], y[idx], *params, learning_rate)\n'
                     '        history[epoch] = mse(X, y, *params)\n'
                     '    return params[0], params[1], history\n'),
                    ('def minibatch_gd(\n'
                     '    X: np.ndarray,\n'
                     '    y: np.ndarray,\n'
                     '    w0: np.ndarray,\n'
                     '    b0: float,\n'
                     '    learning_rate: float,\n'
                     '    epochs: int,\n'
                     '    batch_size: int,\n'
                     '    seed: int,\n'
                     ') -> tuple[np.ndarray, float, np.ndarray]:\n'
                     '    """Mini-batch gradient descent with the examples reshuffled every epoch.\n'
                     '\n'
                     '    The order is defined exactly, so that runs are reproducible:\n'
                     '      1. create the generator ONCE, before the first epoch: rng = '
                     'np.random.default_rng(seed)\n'
                     '         (a Generator cannot be passed between processes, so you get the integer '
                     'seed);\n'
                     '      2. at the start of every epoch draw perm = rng.permutation(n);\n'
                     '      3. the mini-batches of that epoch are idx = perm[i : i + batch_size] for\n'
                     '         i = 0, batch_size, 2·batch_size, … < n. When batch_size does not divide n,\n'
                     '         the LAST batch is smaller; keep it (never drop it, never pad it with\n'
                     '         examples from the start of perm);\n'
                     '      4. for each batch in turn: (w, b) = gd_step(X[idx], y[idx], w, b, α) — the\n'
                     "         gradient is the mean over the batch's own size (len(idx)), also for the\n"
                     '         smaller last batch;\n'
                     '      5. after each epoch, record the MSE on ALL the data.\n'
                     '\n'
                     '    Args:\n'
                     '        X: shape (n, d). y: shape (n,). Neither may be modified (shuffle indices, not '
                     'X).\n'
                     '        w0: shape (d,), the initial weights. Must not be modified.\n'
                     '        b0: the initial bias.\n'
                     '        learning_rate: α > 0.\n'
                     '        epochs: the number of passes over the data, ≥ 0.\n'
                     '        batch_size: the number of examples per update, ≥ 1.\n'
                     '        seed: the seed of the generator, see step 1.\n'
                     '\n'
                     '    Returns:\n'
                     '        (w, b, losses) as in `batch_gd`: losses has shape (epochs + 1,) and\n'
                     '        starts with mse(X, y, w0, b0).\n'
                     '\n'
                     '    Example (n = 5, batch_size = 2, seed = 0):\n'
                     '        >>> np.random.default_rng(0).permutation(5)\n'
                     '        array([2, 4, 3, 0, 1])\n'
                     '\n'
                     '        so epoch 1 updates on examples [2, 4], then [3, 0], then [1] (the last\n'
                     '        batch has one example and its gradient divides by 1); epoch 2 draws\n'
                     '        the next permutation from the same rng.\n'
                     '    """\n'
                     '    ### BEGIN SOLUTION\n'
                     '    X = np.asarray(X, dtype=float)\n'
                     '    y = np.asarray(y, dtype=float)\n'
                     '    n = X.shape[0]\n'
                     '    rng = np.random.default_rng(seed)\n'
                     '    w, b = np.array(w0, dtype=float), float(b0)\n'
                     '    losses = [mse(X, y, w, b)]\n'
                     '    for _ in range(epochs):\n'
                     '        perm = rng.permutation(n)\n'
                     '        for start in range(0, n, batch_size):\n'
                     '            idx = perm[start : start + batch_size]\n'
                     '            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)\n'
                     '        losses.append(mse(X, y, w, b))\n'
                     '    return w, b, np.array(losses)\n'
                     '    ### END SOLUTION\n',
                     'def batch_gd(X, y, w0, b0, learning_rate, epochs):\n'
                     '    return _train(X, y, w0, b0, learning_rate, epochs, lambda: [slice(None)])\n'),
                    ('def sgd(\n'
                     '    X: np.ndarray,\n'
                     '    y: np.ndarray,\n'
                     '    w0: np.ndarray,\n'
                     '    b0: float,\n'
                     '    learning_rate: float,\n'
                     '    epochs: int,\n'
                     '    seed: int,\n'
                     ') -> tuple[np.ndarray, float, np.ndarray]:\n'
                     '    """Stochastic gradient descent: one update per example, in a shuffled order.\n',
                     'def minibatch_gd(X, y, w0, b0, learning_rate, epochs, batch_size, seed):\n'
                     '    rng = np.random.default_rng(seed)\n'),
                    ('    Exactly `minibatch_gd` with batch_size = 1: rng = np.random.default_rng(seed)\n'
                     '    once; every epoch perm = rng.permutation(n) and, for i in perm, one update\n'
                     '    on the single example i, whose gradient is\n',
                     '    def batches():\n'
                     '        order = np.arange(len(y))\n'
                     '        rng.shuffle(order)  # the same draw as rng.permutation(len(y))\n'
                     '        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]\n'),
                    ('        ∂/∂w (x_i·w + b − y_i)² = 2(x_i·w + b − y_i)·x_i,   ∂/∂b = 2(x_i·w + b − '
                     'y_i).\n',
                     '    return _train(X, y, w0, b0, learning_rate, epochs, batches)\n'),
                    ('    Args:\n'
                     '        X: shape (n, d). y: shape (n,). Neither may be modified.\n'
                     '        w0: shape (d,). Must not be modified.\n'
                     '        b0: the initial bias.\n'
                     '        learning_rate: α > 0.\n'
                     '        epochs: passes over the data, ≥ 0 (each makes n updates).\n'
                     '        seed: the seed of the generator.\n',
                     ''),
                    ('    Returns:\n'
                     '        (w, b, losses) as in `batch_gd` (the full-data MSE after each epoch).\n'
                     '    """\n'
                     '    ### BEGIN SOLUTION\n',
                     'def sgd(X, y, w0, b0, learning_rate, epochs, seed):\n'),
                    ('    return minibatch_gd(X, y, w0, b0, learning_rate, epochs, 1, seed)\n'
                     '    ### END SOLUTION\n',
                     '    return minibatch_gd(X, y, w0, b0, learning_rate, epochs, 1, seed)\n')],
 'ascent': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n',
             "# Deliberately wrong submission for the grader's tests: gd_step adds the gradient step instead "
             'of\n'
             '# subtracting it.\n'
             '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n'),
            ('    return np.asarray(w, dtype=float) - learning_rate * dw, float(b - learning_rate * db)\n',
             '    return np.asarray(w, dtype=float) + learning_rate * dw, float(b + learning_rate * db)\n')],
 'drop_last_batch': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n',
                      "# Deliberately wrong submission for the grader's tests: minibatch_gd drops the last, "
                      'smaller mini-\n'
                      '# batch.\n'
                      '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient '
                      'descent.\n'),
                     ('        for start in range(0, n, batch_size):\n',
                      '        for start in range(0, n - batch_size + 1, batch_size):\n')],
 'gd_step_lr_twice': [('"""Exercise 5',
                       '# Wrong on purpose: applies the learning rate twice.\n"""Exercise 5'),
                      ('    return np.asarray(w, dtype=float) - learning_rate * dw, float(b - learning_rate '
                       '* db)\n',
                       '    step = learning_rate * learning_rate\n'
                       '    return np.asarray(w, dtype=float) - step * dw, float(b - step * db)\n')],
 'gradient_integer_division': [('"""Exercise 5',
                                '# Wrong on purpose: 2 // n is integer division (0 for n > 2).\n'
                                '"""Exercise 5'),
                               ('    return (2.0 / n) * (X.T @ residuals), float((2.0 / n) * '
                                'np.sum(residuals))\n',
                                '    return (2 // n) * (X.T @ residuals), float((2 // n) * '
                                'np.sum(residuals))\n')],
 'gradient_sum': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n',
                   "# Deliberately wrong submission for the grader's tests: the gradient of the MSE sums "
                   'over the\n'
                   '# examples (no 1/n).\n'
                   '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n'),
                  ('    n = X.shape[0]\n'
                   '    return (2.0 / n) * (X.T @ residuals), float((2.0 / n) * np.sum(residuals))\n',
                   '    return 2.0 * (X.T @ residuals), float(2.0 * np.sum(residuals))\n')],
 'inplace_update': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n',
                     "# Deliberately wrong submission for the grader's tests: gd_step updates w in place, "
                     'and the loops\n'
                     '# do not copy w0.\n'
                     '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n'),
                    ('    return np.asarray(w, dtype=float) - learning_rate * dw, float(b - learning_rate * '
                     'db)\n',
                     '    w = np.asarray(w, dtype=float)\n'
                     '    w -= learning_rate * dw\n'
                     '    return w, float(b - learning_rate * db)\n'),
                    ('    ### BEGIN SOLUTION\n    w, b = np.array(w0, dtype=float), float(b0)\n',
                     '    ### BEGIN SOLUTION\n    w, b = np.asarray(w0, dtype=float), float(b0)\n'),
                    ('    rng = np.random.default_rng(seed)\n'
                     '    w, b = np.array(w0, dtype=float), float(b0)\n',
                     '    rng = np.random.default_rng(seed)\n'
                     '    w, b = np.asarray(w0, dtype=float), float(b0)\n')],
 'last_batch_full_divisor': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient '
                              'descent.\n',
                              "# Deliberately wrong submission for the grader's tests: the mini-batch "
                              'gradient always divides by\n'
                              '# batch_size.\n'
                              '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient '
                              'descent.\n'),
                             ('            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)\n',
                              '            r = X[idx] @ w + b - y[idx]\n'
                              '            w = w - learning_rate * (2.0 / batch_size) * (X[idx].T @ r)\n'
                              '            b = b - learning_rate * (2.0 / batch_size) * float(np.sum(r))\n')],
 'loss_last_batch': [('"""Exercise 5',
                      '# Wrong on purpose: records the loss of the last mini-batch only.\n"""Exercise 5'),
                     ('            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)\n'
                      '        losses.append(mse(X, y, w, b))\n',
                      '            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)\n'
                      '        losses.append(mse(X[idx], y[idx], w, b))\n')],
 'mse_sum': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n',
              "# Deliberately wrong submission for the grader's tests: the MSE sums the squared errors "
              'instead of\n'
              '# averaging them.\n'
              '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n'),
             ('    return float(np.mean((predictions - np.asarray(y, dtype=float)) ** 2))\n',
              '    return float(np.sum((predictions - np.asarray(y, dtype=float)) ** 2))\n')],
 'same_order_every_epoch': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient '
                             'descent.\n',
                             "# Deliberately wrong submission for the grader's tests: minibatch_gd "
                             're-creates the generator\n'
                             '# every epoch.\n'
                             '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient '
                             'descent.\n'),
                            ('    rng = np.random.default_rng(seed)\n', ''),
                            ('        perm = rng.permutation(n)\n',
                             '        perm = np.random.default_rng(seed).permutation(n)\n')],
 'sgd_no_shuffle': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n',
                     "# Deliberately wrong submission for the grader's tests: sgd visits the examples in "
                     'their stored\n'
                     '# order, never shuffled.\n'
                     '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n'),
                    ('    return minibatch_gd(X, y, w0, b0, learning_rate, epochs, 1, seed)\n',
                     '    w, b = np.array(w0, dtype=float), float(b0)\n'
                     '    losses = [mse(X, y, w, b)]\n'
                     '    for _ in range(epochs):\n'
                     '        for i in range(len(y)):\n'
                     '            w, b = gd_step(X[i : i + 1], y[i : i + 1], w, b, learning_rate)\n'
                     '        losses.append(mse(X, y, w, b))\n'
                     '    return w, b, np.array(losses)\n')],
 'wrap_last_batch': [('"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient descent.\n',
                      "# Deliberately wrong submission for the grader's tests: minibatch_gd fills the last "
                      'mini-batch up\n'
                      '# from the start of perm.\n'
                      '"""Exercise 5 — the MSE loss and batch, stochastic and mini-batch gradient '
                      'descent.\n'),
                     ('            idx = perm[start : start + batch_size]\n',
                      '            idx = perm[start : start + batch_size]\n'
                      '            if len(idx) < batch_size:\n'
                      '                idx = np.concatenate([idx, perm[: batch_size - len(idx)]])\n')],
 'minibatch_all_data': [('            w, b = gd_step(X[idx], y[idx], w, b, learning_rate)\n',
                         '            w, b = gd_step(X, y, w, b, learning_rate)\n')]}
