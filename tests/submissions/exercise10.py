"""Deliberately wrong and alternative correct submissions of exercise 10, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise10_training_deep_nets.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'alt_einsum': [('    rng = np.random.default_rng(seed)\n'
                 '    params: Params = []\n'
                 '    for fan_in, fan_out in itertools.pairwise(sizes):\n'
                 '        W = gain * init_std(kind, fan_in, fan_out) * rng.standard_normal((fan_out, '
                 'fan_in))\n'
                 '        params.append((W, np.zeros(fan_out)))\n'
                 '    return params\n',
                 '    rng = np.random.default_rng(seed)\n'
                 '    return [(rng.normal(0.0, gain * init_std(kind, sizes[l], sizes[l + 1]), size=(sizes[l '
                 '+ 1], sizes[l])),\n'
                 '             np.zeros(sizes[l + 1])) for l in range(len(sizes) - 1)]\n'),
                ('        delta = (delta @ W_next) * activation_derivative(cache["z"][index], activation)\n',
                 '        delta = np.einsum("nk,kj->nj", delta, W_next) * '
                 'activation_derivative(cache["z"][index], activation)\n'),
                ('    return np.array([float(np.linalg.norm(d)) for d in layer_deltas(params, X, y, '
                 'activation)])\n',
                 '    return np.sqrt(np.array([np.einsum("ij,ij->", d, d) for d in layer_deltas(params, X, '
                 'y, activation)]))\n'),
                ('    perm = np.random.default_rng(seed).permutation(n)\n'
                 '    n_val = int(np.floor(val_fraction * n))\n'
                 '    return perm[n_val:], perm[:n_val]\n',
                 '    perm = np.random.default_rng(seed).permutation(n)\n'
                 '    val, train = np.split(perm, [int(val_fraction * n)])\n'
                 '    return train, val\n')],
 'alt_loops': [('        e = np.exp(-np.abs(z))  # ≤ 1: neither branch can overflow\n'
                '        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n',
                '        return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))\n'),
               ('    cache = forward(params, X, activation)\n'
                '    n = np.asarray(X).shape[0]\n'
                '    delta = (2.0 / n) * (cache["a"][-1] - np.asarray(y, dtype=float))\n'
                '    deltas = [delta]\n'
                '    for index in range(len(params) - 2, -1, -1):\n'
                '        W_next = np.asarray(params[index + 1][0], dtype=float)\n'
                '        delta = (delta @ W_next) * activation_derivative(cache["z"][index], activation)\n'
                '        deltas.append(delta)\n'
                '    return deltas[::-1]\n',
                '    cache = forward(params, X, activation)\n'
                '    L = len(params)\n'
                '    deltas = [None] * L\n'
                '    deltas[L - 1] = 2.0 * (cache["a"][L] - y) / len(X)\n'
                '    for l in reversed(range(L - 1)):\n'
                '        W = params[l + 1][0]\n'
                '        g = activation_derivative(cache["z"][l], activation)\n'
                '        d = np.zeros_like(cache["z"][l])\n'
                '        for i in range(d.shape[0]):\n'
                '            for j in range(d.shape[1]):\n'
                '                d[i, j] = sum(deltas[l + 1][i, k] * W[k, j] for k in range(W.shape[0])) * '
                'g[i, j]\n'
                '        deltas[l] = d\n'
                '    return deltas\n'),
               ('    arrays = [np.asarray(g, dtype=float) for g in grads]\n'
                '    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in arrays)))\n'
                '    scale = max_norm / norm if norm > max_norm else 1.0\n'
                '    return [g * scale for g in arrays], norm\n',
                '    total = 0.0\n'
                '    for g in grads:\n'
                '        for value in np.ravel(g):\n'
                '            total += value * value\n'
                '    norm = total**0.5\n'
                '    if norm <= max_norm:\n'
                '        return [np.array(g, dtype=float) for g in grads], norm\n'
                '    return [np.array(g, dtype=float) * (max_norm / norm) for g in grads], norm\n')],
 'alt_while_loop': [('    w = np.array(w0, dtype=float)\n'
                     '    train_losses, val_losses = [train_loss(w)], [val_loss(w)]\n'
                     '    best_val, best_w, best_k = val_losses[0], w, 0\n'
                     '    reason, k = "max_iters", 0\n'
                     '    for step in range(1, max_iters + 1):\n'
                     '        g = (2.0 / n) * X.T @ (X @ w - y)\n'
                     '        if float(np.linalg.norm(g)) < tol_grad:\n'
                     '            reason = "gradient"\n'
                     '            break\n'
                     '        w = w - learning_rate * g\n'
                     '        k = step\n'
                     '        train_losses.append(train_loss(w))\n'
                     '        val_losses.append(val_loss(w))\n'
                     '        if val_losses[-1] < best_val:\n'
                     '            best_val, best_w, best_k = val_losses[-1], w, step\n'
                     '        if abs(train_losses[-1] - train_losses[-2]) / max(abs(train_losses[-2]), '
                     '1e-12) < tol_rel:\n'
                     '            reason = "relative"\n'
                     '            break\n'
                     '        if step - best_k >= patience:\n'
                     '            reason = "patience"\n'
                     '            break\n',
                     '    w = w0.copy()\n'
                     '    train_losses, val_losses = [train_loss(w)], [val_loss(w)]\n'
                     '    best_w, best_k, k, since_best = w.copy(), 0, 0, 0\n'
                     '    reason = None\n'
                     '    while reason is None:\n'
                     '        if k == max_iters:\n'
                     '            reason = "max_iters"\n'
                     '            break\n'
                     '        g = 2.0 * X.T @ (X @ w - y) / n\n'
                     '        if np.sqrt(g @ g) < tol_grad:\n'
                     '            reason = "gradient"\n'
                     '            break\n'
                     '        w -= learning_rate * g\n'
                     '        k += 1\n'
                     '        train_losses.append(train_loss(w))\n'
                     '        val_losses.append(val_loss(w))\n'
                     '        if val_losses[-1] < min(val_losses[:-1]):\n'
                     '            best_w, best_k, since_best = w.copy(), k, 0\n'
                     '        else:\n'
                     '            since_best += 1\n'
                     '        previous = train_losses[-2]\n'
                     '        if abs(train_losses[-1] - previous) < tol_rel * max(abs(previous), 1e-12):\n'
                     '            reason = "relative"\n'
                     '        elif since_best >= patience:\n'
                     '            reason = "patience"\n')],
 'clip_always_scale': [('    scale = max_norm / norm if norm > max_norm else 1.0\n',
                        '    scale = max_norm / norm if norm > 0 else 1.0\n')],
 'clip_norm_after': [('    return [g * scale for g in arrays], norm\n',
                      '    return [g * scale for g in arrays], norm * scale\n')],
 'clip_per_tensor': [('    arrays = [np.asarray(g, dtype=float) for g in grads]\n'
                      '    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in arrays)))\n'
                      '    scale = max_norm / norm if norm > max_norm else 1.0\n'
                      '    return [g * scale for g in arrays], norm\n',
                      '    clipped, total = [], 0.0\n'
                      '    for g in grads:\n'
                      '        g_norm = float(np.linalg.norm(g))\n'
                      '        total += g_norm**2\n'
                      '        clipped.append(g * max_norm / g_norm if g_norm > max_norm else np.array(g, '
                      'dtype=float))\n'
                      '    return clipped, float(np.sqrt(total))\n')],
 'deltas_gprime_of_a': [('        delta = (delta @ W_next) * activation_derivative(cache["z"][index], '
                         'activation)\n',
                         '        delta = (delta @ W_next) * activation_derivative(cache["a"][index + 1], '
                         'activation)\n')],
 'deltas_no_2_over_n': [('    delta = (2.0 / n) * (cache["a"][-1] - np.asarray(y, dtype=float))\n',
                         '    delta = cache["a"][-1] - np.asarray(y, dtype=float)\n')],
 'deltas_no_gprime': [('        delta = (delta @ W_next) * activation_derivative(cache["z"][index], '
                       'activation)\n',
                       '        delta = delta @ W_next\n')],
 'deltas_output_first': [('    return deltas[::-1]\n', '    return deltas\n')],
 'fit_absolute_change': [('        if abs(train_losses[-1] - train_losses[-2]) / max(abs(train_losses[-2]), '
                          '1e-12) < tol_rel:\n',
                          '        if abs(train_losses[-1] - train_losses[-2]) < tol_rel:\n')],
 'fit_patience_off_by_one': [('        if step - best_k >= patience:\n',
                              '        if step - best_k > patience:\n')],
 'fit_returns_last_w': [('    return {"w": best_w, "best_iteration": best_k,',
                         '    return {"w": w, "best_iteration": best_k,')],
 'he_fan_out': [('        return float(np.sqrt(2.0 / fan_in))\n',
                 '        return float(np.sqrt(2.0 / fan_out))\n')],
 'init_fresh_rng': [('    rng = np.random.default_rng(seed)\n'
                     '    params: Params = []\n'
                     '    for fan_in, fan_out in itertools.pairwise(sizes):\n',
                     '    params: Params = []\n'
                     '    for fan_in, fan_out in itertools.pairwise(sizes):\n'
                     '        rng = np.random.default_rng(seed)\n')],
 'init_in_out_shape': [('rng.standard_normal((fan_out, fan_in))', 'rng.standard_normal((fan_in, fan_out))')],
 'leaky_derivative_zero': [('        return np.where(z > 0, 1.0, LEAKY_SLOPE)\n',
                            '        return np.where(z > 0, 1.0, 0.0)\n')],
 'leaky_slope_on_positive': [('        return np.where(z > 0, z, LEAKY_SLOPE * z)\n',
                              '        return np.where(z > 0, LEAKY_SLOPE * z, z)\n')],
 'relu_one_at_zero': [('        return (z > 0).astype(float)\n', '        return (z >= 0).astype(float)\n')],
 'sigmoid_derivative_from_z': [('        s = activate(z, "sigmoid")\n        return s * (1.0 - s)\n',
                                '        return z * (1.0 - z)\n')],
 'split_round': [('    n_val = int(np.floor(val_fraction * n))\n', '    n_val = round(val_fraction * n)\n')],
 'tanh_not_squared': [('        return 1.0 - np.tanh(z) ** 2\n', '        return 1.0 - np.tanh(z)\n')],
 'xavier_lecun': [('        return float(np.sqrt(2.0 / (fan_in + fan_out)))\n',
                   '        return float(np.sqrt(1.0 / fan_in))\n')],
 'fit_best_not_strict': [('        if val_losses[-1] < best_val:\n', '        if val_losses[-1] <= best_val:\n')],
 'fit_signed_change': [('        if abs(train_losses[-1] - train_losses[-2]) / '
                        'max(abs(train_losses[-2]), 1e-12) < tol_rel:\n',
                        '        if (train_losses[-2] - train_losses[-1]) / '
                        'max(abs(train_losses[-2]), 1e-12) < tol_rel:\n')]}
