"""Deliberately wrong and alternative correct submissions of exercise 6, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise6_mlp_backprop.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'alt_einsum': [('        Z = np.asarray(params[f"W{layer}"], dtype=float) @ A + '
                 'np.asarray(params[f"b{layer}"], dtype=float)\n',
                 '        Z = np.einsum("ij,jk->ik", params[f"W{layer}"], A) + params[f"b{layer}"]\n'),
                ('        grads[f"W{layer}"] = delta @ cache[f"A{layer - 1}"].T\n'
                 '        grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)\n',
                 '        grads[f"W{layer}"] = np.einsum("ik,jk->ij", delta, cache[f"A{layer - 1}"])\n'
                 '        grads[f"b{layer}"] = np.einsum("ik->i", delta)[:, None]\n'),
                ('            upstream = np.asarray(params[f"W{layer}"], dtype=float).T @ delta\n',
                 '            upstream = np.einsum("ji,jk->ik", params[f"W{layer}"], delta)\n'),
                ('        return float(np.sum((Yhat - Y) ** 2) / m)\n',
                 '        return float(np.einsum("ij,ij->", Yhat - Y, Yhat - Y) / m)\n')],
 'alt_loops': [('    A = np.asarray(X, dtype=float)\n'
                '    cache = {"A0": A}\n'
                '    for layer, name in enumerate(activations, start=1):\n'
                '        Z = np.asarray(params[f"W{layer}"], dtype=float) @ A + '
                'np.asarray(params[f"b{layer}"], dtype=float)\n'
                '        A = activation(Z, name)\n'
                '        cache[f"Z{layer}"] = Z\n'
                '        cache[f"A{layer}"] = A\n'
                '    return A, cache\n',
                '    A = np.array(X, dtype=float)\n'
                '    cache = {"A0": A}\n'
                '    for layer in range(1, len(activations) + 1):\n'
                '        W, b = params[f"W{layer}"], params[f"b{layer}"]\n'
                '        n_out, n_in = len(W), len(W[0])\n'
                '        m = A.shape[1]\n'
                '        Z = np.zeros((n_out, m))\n'
                '        for i in range(n_out):\n'
                '            for j in range(m):\n'
                '                total = b[i][0]\n'
                '                for k in range(n_in):\n'
                '                    total += W[i][k] * A[k][j]\n'
                '                Z[i][j] = total\n'
                '        A = activation(Z, activations[layer - 1])\n'
                '        cache[f"Z{layer}"] = Z\n'
                '        cache[f"A{layer}"] = A\n'
                '    return A, cache\n'),
               ('    Yhat = np.asarray(Yhat, dtype=float)\n'
                '    Y = np.asarray(Y, dtype=float)\n'
                '    m = Y.shape[1]\n'
                '    if loss == "mse":\n'
                '        return float(np.sum((Yhat - Y) ** 2) / m)\n'
                '    if loss == "bce":\n'
                '        return float(-np.sum(Y * np.log(Yhat) + (1.0 - Y) * np.log(1.0 - Yhat)) / m)\n'
                '    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")\n',
                '    n_out, m = len(Y), len(Y[0])\n'
                '    total = 0.0\n'
                '    for i in range(n_out):\n'
                '        for j in range(m):\n'
                '            y, p = float(Y[i][j]), float(Yhat[i][j])\n'
                '            if loss == "mse":\n'
                '                total += (p - y) ** 2\n'
                '            elif loss == "bce":\n'
                '                total -= y * math.log(p) + (1 - y) * math.log(1 - p)\n'
                '            else:\n'
                '                raise ValueError(loss)\n'
                '    return total / m\n'),
               ('    n_layers = len(activations)\n'
                '    Y = np.asarray(Y, dtype=float)\n'
                '    AL, ZL = cache[f"A{n_layers}"], cache[f"Z{n_layers}"]\n'
                '    m = Y.shape[1]\n'
                '    if loss == "mse":\n'
                '        delta = (2.0 / m) * (AL - Y) * activation_derivative(ZL, activations[-1])\n'
                '    elif loss == "bce":\n'
                '        if activations[-1] != "sigmoid":\n'
                '            raise ValueError("the \'bce\' loss needs a sigmoid output layer")\n'
                '        delta = (AL - Y) / m  # σ′(z) cancels against the derivative of the log\n'
                '    else:\n'
                '        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")\n'
                '    grads: dict[str, np.ndarray] = {}\n'
                '    for layer in range(n_layers, 0, -1):\n'
                '        grads[f"W{layer}"] = delta @ cache[f"A{layer - 1}"].T\n'
                '        grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)\n'
                '        if layer > 1:\n'
                '            upstream = np.asarray(params[f"W{layer}"], dtype=float).T @ delta\n'
                '            delta = upstream * activation_derivative(cache[f"Z{layer - 1}"], '
                'activations[layer - 2])\n'
                '    return {key: grads[key] for layer in range(1, n_layers + 1) for key in (f"W{layer}", '
                'f"b{layer}")}\n',
                '    n_layers = len(activations)\n'
                '    if loss == "bce" and activations[-1] != "sigmoid":\n'
                '        raise ValueError("bce needs a sigmoid output")\n'
                '    m = len(Y[0])\n'
                '    AL, ZL = cache[f"A{n_layers}"], cache[f"Z{n_layers}"]\n'
                '    slope = activation_derivative(ZL, activations[-1])\n'
                '    delta = np.zeros(AL.shape)\n'
                '    for i in range(AL.shape[0]):\n'
                '        for j in range(m):\n'
                '            if loss == "mse":\n'
                '                delta[i][j] = 2.0 * (AL[i][j] - Y[i][j]) / m * slope[i][j]\n'
                '            else:\n'
                '                delta[i][j] = (AL[i][j] - Y[i][j]) / m\n'
                '    grads = {}\n'
                '    for layer in range(n_layers, 0, -1):\n'
                '        A_prev, W = cache[f"A{layer - 1}"], params[f"W{layer}"]\n'
                '        dW = np.zeros((delta.shape[0], A_prev.shape[0]))\n'
                '        db = np.zeros((delta.shape[0], 1))\n'
                '        for i in range(delta.shape[0]):\n'
                '            for j in range(m):\n'
                '                db[i][0] += delta[i][j]\n'
                '                for k in range(A_prev.shape[0]):\n'
                '                    dW[i][k] += delta[i][j] * A_prev[k][j]\n'
                '        grads[f"W{layer}"], grads[f"b{layer}"] = dW, db\n'
                '        if layer > 1:\n'
                '            slope = activation_derivative(cache[f"Z{layer - 1}"], activations[layer - 2])\n'
                '            new = np.zeros((A_prev.shape[0], m))\n'
                '            for k in range(A_prev.shape[0]):\n'
                '                for j in range(m):\n'
                '                    for i in range(delta.shape[0]):\n'
                '                        new[k][j] += W[i][k] * delta[i][j]\n'
                '                    new[k][j] *= slope[k][j]\n'
                '            delta = new\n'
                '    return grads\n'),
               ('from collections.abc import Sequence\n',
                'import math\nfrom collections.abc import Sequence\n')],
 'alt_own_loop_train': [('    Yhat, cache = forward(params, X, activations)\n'
                         '    value = compute_loss(Yhat, Y, loss)\n'
                         '    grads = backward(params, cache, Y, activations, loss)\n'
                         '    new = {key: np.asarray(params[key], dtype=float) - learning_rate * grads[key] '
                         'for key in params}\n'
                         '    return new, value\n',
                         '    Yhat, cache = forward(params, X, activations)\n'
                         '    grads = backward(params, cache, Y, activations, loss)\n'
                         '    new = {}\n'
                         '    for key, value in params.items():\n'
                         '        new[key] = value - learning_rate * grads[key]\n'
                         '    return new, compute_loss(Yhat, Y, loss)\n'),
                        ('    current = {key: np.array(value, dtype=float) for key, value in '
                         'params.items()}\n'
                         '    losses = []\n'
                         '    for _ in range(epochs):\n'
                         '        current, value = train_step(current, X, Y, activations, loss, '
                         'learning_rate)\n'
                         '        losses.append(value)\n'
                         '    Yhat, _ = forward(current, X, activations)\n'
                         '    losses.append(compute_loss(Yhat, Y, loss))\n'
                         '    return current, np.array(losses)\n',
                         '    losses = np.empty(epochs + 1)\n'
                         '    current = dict(params)\n'
                         '    for epoch in range(epochs):\n'
                         '        Yhat, cache = forward(current, X, activations)\n'
                         '        losses[epoch] = compute_loss(Yhat, Y, loss)\n'
                         '        grads = backward(current, cache, Y, activations, loss)\n'
                         '        current = {key: current[key] - learning_rate * grads[key] for key in '
                         'current}\n'
                         '    losses[epochs] = compute_loss(forward(current, X, activations)[0], Y, loss)\n'
                         '    return current, losses\n'),
                        ('        e = np.exp(-np.abs(Z))  # ≤ 1: neither branch overflows\n'
                         '        return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n',
                         '        return 0.5 * (1.0 + np.tanh(0.5 * Z))  # = σ(z), and tanh never '
                         'overflows\n')],
 'alt_rows': [('    A = np.asarray(X, dtype=float)\n'
               '    cache = {"A0": A}\n'
               '    for layer, name in enumerate(activations, start=1):\n'
               '        Z = np.asarray(params[f"W{layer}"], dtype=float) @ A + '
               'np.asarray(params[f"b{layer}"], dtype=float)\n'
               '        A = activation(Z, name)\n'
               '        cache[f"Z{layer}"] = Z\n'
               '        cache[f"A{layer}"] = A\n'
               '    return A, cache\n',
               '    A = np.asarray(X, dtype=float).T  # rows inside: one example per ROW, (m, n0)\n'
               '    cache = {"A0": A.T}\n'
               '    for layer, name in enumerate(activations, start=1):\n'
               '        Z = A @ np.asarray(params[f"W{layer}"]).T + np.asarray(params[f"b{layer}"]).T  # (m, '
               'n_l)\n'
               '        A = activation(Z, name)\n'
               '        cache[f"Z{layer}"] = Z.T.copy()\n'
               '        cache[f"A{layer}"] = A.T.copy()\n'
               '    return A.T.copy(), cache\n'),
              ('    Yhat = np.asarray(Yhat, dtype=float)\n'
               '    Y = np.asarray(Y, dtype=float)\n'
               '    m = Y.shape[1]\n'
               '    if loss == "mse":\n'
               '        return float(np.sum((Yhat - Y) ** 2) / m)\n'
               '    if loss == "bce":\n'
               '        return float(-np.sum(Y * np.log(Yhat) + (1.0 - Y) * np.log(1.0 - Yhat)) / m)\n'
               '    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")\n',
               '    R, T = np.asarray(Yhat, dtype=float).T, np.asarray(Y, dtype=float).T  # (m, n_L)\n'
               '    if loss == "mse":\n'
               '        per_example = np.sum((R - T) ** 2, axis=1)\n'
               '    elif loss == "bce":\n'
               '        per_example = -np.sum(T * np.log(R) + (1 - T) * np.log1p(-R), axis=1)\n'
               '    else:\n'
               '        raise ValueError(loss)\n'
               '    return float(np.mean(per_example))\n'),
              ('    n_layers = len(activations)\n'
               '    Y = np.asarray(Y, dtype=float)\n'
               '    AL, ZL = cache[f"A{n_layers}"], cache[f"Z{n_layers}"]\n'
               '    m = Y.shape[1]\n'
               '    if loss == "mse":\n'
               '        delta = (2.0 / m) * (AL - Y) * activation_derivative(ZL, activations[-1])\n'
               '    elif loss == "bce":\n'
               '        if activations[-1] != "sigmoid":\n'
               '            raise ValueError("the \'bce\' loss needs a sigmoid output layer")\n'
               '        delta = (AL - Y) / m  # σ′(z) cancels against the derivative of the log\n'
               '    else:\n'
               '        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")\n'
               '    grads: dict[str, np.ndarray] = {}\n'
               '    for layer in range(n_layers, 0, -1):\n'
               '        grads[f"W{layer}"] = delta @ cache[f"A{layer - 1}"].T\n'
               '        grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)\n'
               '        if layer > 1:\n'
               '            upstream = np.asarray(params[f"W{layer}"], dtype=float).T @ delta\n'
               '            delta = upstream * activation_derivative(cache[f"Z{layer - 1}"], '
               'activations[layer - 2])\n'
               '    return {key: grads[key] for layer in range(1, n_layers + 1) for key in (f"W{layer}", '
               'f"b{layer}")}\n',
               '    n_layers = len(activations)\n'
               '    if loss not in ("mse", "bce") or (loss == "bce" and activations[-1] != "sigmoid"):\n'
               '        raise ValueError(f"cannot backpropagate {loss!r} through {activations[-1]!r}")\n'
               '    rows = {key: np.asarray(value, dtype=float).T for key, value in cache.items()}  # (m, '
               'n_l)\n'
               '    T = np.asarray(Y, dtype=float).T\n'
               '    m = T.shape[0]\n'
               '    D = rows[f"A{n_layers}"] - T\n'
               '    if loss == "mse":\n'
               '        D = 2.0 * D / m * activation_derivative(rows[f"Z{n_layers}"], activations[-1])\n'
               '    else:\n'
               '        D = D / m\n'
               '    grads = {}\n'
               '    for layer in range(n_layers, 0, -1):\n'
               '        grads[f"W{layer}"] = (rows[f"A{layer - 1}"].T @ D).T.copy()\n'
               '        grads[f"b{layer}"] = D.sum(axis=0).reshape(-1, 1)\n'
               '        if layer > 1:\n'
               '            D = (D @ params[f"W{layer}"]) * activation_derivative(rows[f"Z{layer - 1}"], '
               'activations[layer - 2])\n'
               '    return grads\n')],
 'assign_not_add': [('        grads[f"W{layer}"] = delta @ cache[f"A{layer - 1}"].T\n'
                     '        grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)\n',
                     '        for i in range(m):  # one example at a time\n'
                     '            grads[f"W{layer}"] = np.outer(delta[:, i], cache[f"A{layer - 1}"][:, i])\n'
                     '            grads[f"b{layer}"] = delta[:, i:i + 1]\n')],
 'bce_missing_term': [('        return float(-np.sum(Y * np.log(Yhat) + (1.0 - Y) * np.log(1.0 - Yhat)) / '
                       'm)\n',
                       '        return float(-np.sum(Y * np.log(Yhat)) / m)\n')],
 'bce_sigma_prime_again': [('        delta = (AL - Y) / m  # σ′(z) cancels against the derivative of the '
                            'log\n',
                            '        delta = (AL - Y) / m * activation_derivative(ZL, "sigmoid")\n')],
 'bias_not_summed': [('        grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)\n',
                      '        grads[f"b{layer}"] = delta\n')],
 'bias_wrong_axis': [('        grads[f"b{layer}"] = np.sum(delta, axis=1, keepdims=True)\n',
                      '        grads[f"b{layer}"] = np.sum(delta, axis=0, keepdims=True)\n')],
 'dW_transposed': [('        grads[f"W{layer}"] = delta @ cache[f"A{layer - 1}"].T\n',
                    '        grads[f"W{layer}"] = cache[f"A{layer - 1}"] @ delta.T\n')],
 'float32': [('    Z = np.asarray(Z, dtype=float)\n    if name == "sigmoid":\n        e = np.exp',
              '    Z = np.asarray(Z, dtype=np.float32)\n    if name == "sigmoid":\n        e = np.exp'),
             ('    A = np.asarray(X, dtype=float)\n    cache = {"A0": A}\n',
              '    A = np.asarray(X, dtype=np.float32)\n    cache = {"A0": A}\n'),
             ('        Z = np.asarray(params[f"W{layer}"], dtype=float) @ A + '
              'np.asarray(params[f"b{layer}"], dtype=float)\n',
              '        Z = np.asarray(params[f"W{layer}"], dtype=np.float32) @ A + '
              'np.asarray(params[f"b{layer}"], dtype=np.float32)\n')],
 'forward_no_bias': [('        Z = np.asarray(params[f"W{layer}"], dtype=float) @ A + '
                      'np.asarray(params[f"b{layer}"], dtype=float)\n',
                      '        Z = np.asarray(params[f"W{layer}"], dtype=float) @ A\n')],
 'gprime_of_a': [('        delta = (2.0 / m) * (AL - Y) * activation_derivative(ZL, activations[-1])\n',
                  '        delta = (2.0 / m) * (AL - Y) * activation_derivative(AL, activations[-1])\n'),
                 ('            delta = upstream * activation_derivative(cache[f"Z{layer - 1}"], '
                  'activations[layer - 2])\n',
                  '            delta = upstream * activation_derivative(cache[f"A{layer - 1}"], '
                  'activations[layer - 2])\n')],
 'gradients_not_reset': [('    current = {key: np.array(value, dtype=float) for key, value in '
                          'params.items()}\n'
                          '    losses = []\n'
                          '    for _ in range(epochs):\n'
                          '        current, value = train_step(current, X, Y, activations, loss, '
                          'learning_rate)\n'
                          '        losses.append(value)\n'
                          '    Yhat, _ = forward(current, X, activations)\n'
                          '    losses.append(compute_loss(Yhat, Y, loss))\n'
                          '    return current, np.array(losses)\n',
                          '    current = {key: np.array(value, dtype=float) for key, value in '
                          'params.items()}\n'
                          '    total = {key: np.zeros_like(value) for key, value in current.items()}\n'
                          '    losses = []\n'
                          '    for _ in range(epochs):\n'
                          '        Yhat, cache = forward(current, X, activations)\n'
                          '        losses.append(compute_loss(Yhat, Y, loss))\n'
                          '        grads = backward(current, cache, Y, activations, loss)\n'
                          '        for key in total:\n'
                          '            total[key] += grads[key]\n'
                          '        current = {key: current[key] - learning_rate * total[key] for key in '
                          'current}\n'
                          '    losses.append(compute_loss(forward(current, X, activations)[0], Y, loss))\n'
                          '    return current, np.array(losses)\n')],
 'loss_sum_not_mean': [('        return float(np.sum((Yhat - Y) ** 2) / m)\n',
                        '        return float(np.sum((Yhat - Y) ** 2))\n')],
 'missing_hidden_gprime': [('            delta = upstream * activation_derivative(cache[f"Z{layer - 1}"], '
                            'activations[layer - 2])\n',
                            '            delta = upstream\n')],
 'not_transposed': [('            upstream = np.asarray(params[f"W{layer}"], dtype=float).T @ delta\n',
                     '            upstream = np.asarray(params[f"W{layer}"], dtype=float) @ delta\n')],
 'relu_derivative_one_at_zero': [('        return (Z > 0).astype(float)\n',
                                  '        return (Z >= 0).astype(float)\n')],
 'sigmoid_derivative_z_form': [('        return s * (1.0 - s)\n', '        return Z * (1.0 - Z)\n')],
 'step_ascent': [('    new = {key: np.asarray(params[key], dtype=float) - learning_rate * grads[key] for key '
                  'in params}\n',
                  '    new = {key: np.asarray(params[key], dtype=float) + learning_rate * grads[key] for key '
                  'in params}\n')],
 'step_in_place': [('    new = {key: np.asarray(params[key], dtype=float) - learning_rate * grads[key] for '
                    'key in params}\n'
                    '    return new, value\n',
                    '    for key in params:\n'
                    '        params[key] -= learning_rate * grads[key]\n'
                    '    return params, value\n')],
 'sum_not_mean': [('        delta = (2.0 / m) * (AL - Y) * activation_derivative(ZL, activations[-1])\n',
                   '        delta = 2.0 * (AL - Y) * activation_derivative(ZL, activations[-1])\n'),
                  ('        delta = (AL - Y) / m  # σ′(z) cancels against the derivative of the log\n',
                   '        delta = AL - Y\n')],
 'tanh_derivative_unsquared': [('        return 1.0 - np.tanh(Z) ** 2\n',
                                '        return 1.0 - np.tanh(Z)\n')],
 'weights_off_by_one': [('            upstream = np.asarray(params[f"W{layer}"], dtype=float).T @ delta\n',
                         '            upstream = np.asarray(params[f"W{layer - 1}"], dtype=float).T @ '
                         'delta\n')],
 'bce_any_output': [('        if activations[-1] != "sigmoid":\n'
                     '            raise ValueError("the \'bce\' loss needs a sigmoid output layer")\n', '')],
 'gprime_of_the_layer_above': [('            delta = upstream * activation_derivative(cache[f"Z{layer - 1}"], '
                                'activations[layer - 2])\n',
                                '            delta = upstream * activation_derivative(cache[f"Z{layer - 1}"], '
                                'activations[layer - 1])\n')]}
