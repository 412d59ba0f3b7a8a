"""Deliberately wrong and alternative correct submissions of exercise 7, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise7_gradient_check.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'all_entries_at_once': [('    grads = {}\n'
                          '    for key, value in params.items():\n'
                          '        value = np.asarray(value, dtype=float)\n'
                          '        g = np.zeros_like(value)\n'
                          '        for index in np.ndindex(value.shape):\n'
                          '            plus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                          '            minus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                          '            plus[key][index] = value[index] + h\n'
                          '            minus[key][index] = value[index] - h\n'
                          '            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n'
                          '        grads[key] = g\n'
                          '    return grads\n',
                          '    grads = {}\n'
                          '    for key, value in params.items():\n'
                          '        plus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                          '        minus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                          '        plus[key] = plus[key] + h\n'
                          '        minus[key] = minus[key] - h\n'
                          '        grads[key] = np.full(np.shape(value), (f(plus) - f(minus)) / (2.0 * h))\n'
                          '    return grads\n')],
 'alt_basis_vectors': [('    grads = {}\n'
                        '    for key, value in params.items():\n'
                        '        value = np.asarray(value, dtype=float)\n'
                        '        g = np.zeros_like(value)\n'
                        '        for index in np.ndindex(value.shape):\n'
                        '            plus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                        '            minus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                        '            plus[key][index] = value[index] + h\n'
                        '            minus[key][index] = value[index] - h\n'
                        '            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n'
                        '        grads[key] = g\n'
                        '    return grads\n',
                        '    grads = {}\n'
                        '    for key, value in params.items():\n'
                        '        value = np.asarray(value, dtype=float)\n'
                        '        flat = np.zeros(value.size)\n'
                        '        for i in range(value.size):\n'
                        '            e = np.zeros(value.size)\n'
                        '            e[i] = h\n'
                        '            step = e.reshape(value.shape)\n'
                        '            up = dict(params)\n'
                        '            down = dict(params)\n'
                        '            up[key] = value + step\n'
                        '            down[key] = value - step\n'
                        '            flat[i] = (f(up) - f(down)) / (2 * h)\n'
                        '        grads[key] = flat.reshape(value.shape)\n'
                        '    return grads\n'),
                       ('    return np.array([relative_error(grad, numerical_gradient(f, params, float(h))) '
                        'for h in hs], dtype=float)\n',
                        '    out = np.empty(len(hs))\n'
                        '    for j, h in enumerate(hs):\n'
                        '        out[j] = relative_error(grad, numerical_gradient(f, params, h))\n'
                        '    return out\n'),
                       ('    diff = np.sqrt(sum(float(np.sum((np.asarray(g[k], dtype=float) - '
                        'np.asarray(g_hat[k], dtype=float)) ** 2))\n'
                        '                       for k in g))\n'
                        '    norm_g = np.sqrt(sum(float(np.sum(np.asarray(v, dtype=float) ** 2)) for v in '
                        'g.values()))\n'
                        '    norm_hat = np.sqrt(sum(float(np.sum(np.asarray(v, dtype=float) ** 2)) for v in '
                        'g_hat.values()))\n'
                        '    return float(diff / max(norm_g + norm_hat, FLOOR))\n',
                        '    top = bottom_g = bottom_hat = 0.0\n'
                        '    for k in g:\n'
                        '        for a, b in zip(np.ravel(g[k]), np.ravel(g_hat[k]), strict=True):\n'
                        '            top += (a - b) ** 2\n'
                        '            bottom_g += a * a\n'
                        '            bottom_hat += b * b\n'
                        '    return float(math.sqrt(top) / max(math.sqrt(bottom_g) + math.sqrt(bottom_hat), '
                        '1e-8))\n'),
                       ('from collections.abc import Callable, Sequence\n',
                        'import math\nfrom collections.abc import Callable, Sequence\n')],
 'alt_concatenate': [('    diff = np.sqrt(sum(float(np.sum((np.asarray(g[k], dtype=float) - '
                      'np.asarray(g_hat[k], dtype=float)) ** 2))\n'
                      '                       for k in g))\n'
                      '    norm_g = np.sqrt(sum(float(np.sum(np.asarray(v, dtype=float) ** 2)) for v in '
                      'g.values()))\n'
                      '    norm_hat = np.sqrt(sum(float(np.sum(np.asarray(v, dtype=float) ** 2)) for v in '
                      'g_hat.values()))\n'
                      '    return float(diff / max(norm_g + norm_hat, FLOOR))\n',
                      '    keys = sorted(g)\n'
                      '    a = np.concatenate([np.ravel(g[k]) for k in keys]).astype(float)\n'
                      '    b = np.concatenate([np.ravel(g_hat[k]) for k in keys]).astype(float)\n'
                      '    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), '
                      '1e-8))\n'),
                     ('    analytic_all = grad_fn(params)\n'
                      '    numeric_all = numerical_gradient(f, params, h)  # once: it is the expensive part\n'
                      '    errors = {key: relative_error({key: analytic_all[key]}, {key: numeric_all[key]}) '
                      'for key in params}\n'
                      '    worst = max(errors, key=lambda k: errors[k])  # max keeps the first key on a tie\n'
                      '    if errors[worst] <= threshold:\n'
                      '        return None\n'
                      '    analytic = np.asarray(analytic_all[worst], dtype=float)\n'
                      '    numeric = numeric_all[worst]\n'
                      '    flat = int(np.argmax(np.abs(analytic - numeric)))\n'
                      '    return worst, tuple(int(i) for i in np.unravel_index(flat, analytic.shape))\n',
                      '    errors = gradient_errors(f, grad_fn, params, h)\n'
                      '    keys = list(params)\n'
                      '    scores = np.array([errors[k] for k in keys])\n'
                      '    if scores.max() <= threshold:\n'
                      '        return None\n'
                      '    worst = keys[int(np.argmax(scores))]\n'
                      '    gap = np.abs(np.asarray(grad_fn(params)[worst], dtype=float) - '
                      'numerical_gradient(f, params, h)[worst])\n'
                      '    return worst, tuple(int(i) for i in np.unravel_index(gap.argmax(), '
                      'gap.shape))\n')],
 'alt_restore_in_place': [('    grads = {}\n'
                           '    for key, value in params.items():\n'
                           '        value = np.asarray(value, dtype=float)\n'
                           '        g = np.zeros_like(value)\n'
                           '        for index in np.ndindex(value.shape):\n'
                           '            plus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                           '            minus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                           '            plus[key][index] = value[index] + h\n'
                           '            minus[key][index] = value[index] - h\n'
                           '            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n'
                           '        grads[key] = g\n'
                           '    return grads\n',
                           '    grads = {}\n'
                           '    for key in params:\n'
                           '        value = params[key]\n'
                           '        g = np.zeros(value.shape)\n'
                           '        it = np.nditer(value, flags=["multi_index"])\n'
                           '        for _ in it:\n'
                           '            i = it.multi_index\n'
                           '            old = value[i]\n'
                           '            try:\n'
                           '                value[i] = old + h\n'
                           '                up = f(params)\n'
                           '                value[i] = old - h\n'
                           '                down = f(params)\n'
                           '            finally:\n'
                           '                value[i] = old  # put it back exactly\n'
                           '            g[i] = (up - down) / (2 * h)\n'
                           '        grads[key] = g\n'
                           '    return grads\n'),
                          ('    return float(np.asarray(hs, dtype=float)[int(np.argmin(np.asarray(errors, '
                           'dtype=float)))])\n',
                           '    best = 0\n'
                           '    for j in range(1, len(errors)):\n'
                           '        if errors[j] < errors[best]:\n'
                           '            best = j\n'
                           '    return float(hs[best])\n')],
 'best_largest_error': [('    return float(np.asarray(hs, dtype=float)[int(np.argmin(np.asarray(errors, '
                         'dtype=float)))])\n',
                         '    return float(np.asarray(hs, dtype=float)[int(np.argmax(np.asarray(errors, '
                         'dtype=float)))])\n')],
 'best_returns_index': [('    return float(np.asarray(hs, dtype=float)[int(np.argmin(np.asarray(errors, '
                         'dtype=float)))])\n',
                         '    return int(np.argmin(errors))\n')],
 'curve_reversed': [('    return np.array([relative_error(grad, numerical_gradient(f, params, float(h))) for '
                     'h in hs], dtype=float)\n',
                     '    return np.array([relative_error(grad, numerical_gradient(f, params, float(h))) for '
                     'h in hs][::-1])\n')],
 'denominator_g_only': [('    return float(diff / max(norm_g + norm_hat, FLOOR))\n',
                         '    return float(diff / max(norm_g, FLOOR))\n')],
 'denominator_max': [('    return float(diff / max(norm_g + norm_hat, FLOOR))\n',
                      '    return float(diff / max(norm_g, norm_hat, FLOOR))\n')],
 'divided_by_h': [('            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n',
                   '            g[index] = (f(plus) - f(minus)) / h\n')],
 'errors_absolute': [('    return {key: relative_error({key: analytic[key]}, {key: numeric[key]}) for key in '
                      'params}\n',
                      '    return {key: float(np.linalg.norm(analytic[key] - numeric[key])) for key in '
                      'params}\n')],
 'errors_over_all_keys': [('    return {key: relative_error({key: analytic[key]}, {key: numeric[key]}) for '
                           'key in params}\n',
                           '    total = relative_error(analytic, numeric)\n'
                           '    return {key: total for key in params}\n')],
 'first_over_threshold': [('    worst = max(errors, key=lambda k: errors[k])  # max keeps the first key on a '
                           'tie\n'
                           '    if errors[worst] <= threshold:\n'
                           '        return None\n',
                           '    over = [k for k in errors if errors[k] > threshold]\n'
                           '    if not over:\n'
                           '        return None\n'
                           '    worst = over[0]\n')],
 'flat_index': [('    return worst, tuple(int(i) for i in np.unravel_index(flat, analytic.shape))\n',
                 '    return worst, flat\n')],
 'forward_difference': [('            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n',
                         '            g[index] = (f(plus) - f(params)) / h\n')],
 'ignores_h': [('            plus[key][index] = value[index] + h\n'
                '            minus[key][index] = value[index] - h\n'
                '            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n',
                '            plus[key][index] = value[index] + 1e-5\n'
                '            minus[key][index] = value[index] - 1e-5\n'
                '            g[index] = (f(plus) - f(minus)) / (2.0 * 1e-5)\n')],
 'largest_relative_entry': [('    flat = int(np.argmax(np.abs(analytic - numeric)))\n',
                             '    flat = int(np.argmax(np.abs(analytic - numeric) / np.abs(numeric)))\n')],
 'mean_over_arrays': [('    diff = np.sqrt(sum(float(np.sum((np.asarray(g[k], dtype=float) - '
                       'np.asarray(g_hat[k], dtype=float)) ** 2))\n'
                       '                       for k in g))\n'
                       '    norm_g = np.sqrt(sum(float(np.sum(np.asarray(v, dtype=float) ** 2)) for v in '
                       'g.values()))\n'
                       '    norm_hat = np.sqrt(sum(float(np.sum(np.asarray(v, dtype=float) ** 2)) for v in '
                       'g_hat.values()))\n'
                       '    return float(diff / max(norm_g + norm_hat, FLOOR))\n',
                       '    errors = []\n'
                       '    for k in g:\n'
                       '        a, b = np.asarray(g[k], dtype=float), np.asarray(g_hat[k], dtype=float)\n'
                       '        errors.append(np.linalg.norm(a - b) / max(np.linalg.norm(a) + '
                       'np.linalg.norm(b), FLOOR))\n'
                       '    return float(np.mean(errors))\n')],
 'never_restored': [('    grads = {}\n'
                     '    for key, value in params.items():\n'
                     '        value = np.asarray(value, dtype=float)\n'
                     '        g = np.zeros_like(value)\n'
                     '        for index in np.ndindex(value.shape):\n'
                     '            plus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                     '            minus = {k: np.array(v, dtype=float) for k, v in params.items()}\n'
                     '            plus[key][index] = value[index] + h\n'
                     '            minus[key][index] = value[index] - h\n'
                     '            g[index] = (f(plus) - f(minus)) / (2.0 * h)\n'
                     '        grads[key] = g\n'
                     '    return grads\n',
                     '    grads = {}\n'
                     '    for key, value in params.items():\n'
                     '        g = np.zeros(np.shape(value))\n'
                     '        for index in np.ndindex(g.shape):\n'
                     '            value[index] += h\n'
                     '            up = f(params)\n'
                     '            value[index] -= 2 * h\n'
                     '            g[index] = (up - f(params)) / (2 * h)\n'
                     '        grads[key] = g\n'
                     '    return grads\n')],
 'no_floor': [('    return float(diff / max(norm_g + norm_hat, FLOOR))\n',
               '    return float(diff / (norm_g + norm_hat))\n')],
 'squared_norms': [('    return float(diff / max(norm_g + norm_hat, FLOOR))\n',
                    '    return float(diff**2 / max(norm_g**2 + norm_hat**2, FLOOR))\n')],
 'threshold_ignored': [('    if errors[worst] <= threshold:\n        return None\n', '')],
 'threshold_strict': [('    if errors[worst] <= threshold:\n', '    if errors[worst] < threshold:\n')]}
