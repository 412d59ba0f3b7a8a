"""Deliberately wrong and alternative correct submissions of exercise 9, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise9_optimizers.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'adagrad_eps_inside': [('g / (np.sqrt(G) + hyper["eps"]), {"G": G}',
                         'g / np.sqrt(G + hyper["eps"]), {"G": G}')],
 'adagrad_no_accumulate': [('    G = np.asarray(state["G"], dtype=float) + g * g\n', '    G = g * g\n')],
 'adam_eps_inside': [('m_hat / (np.sqrt(v_hat) + hyper["eps"])', 'm_hat / np.sqrt(v_hat + hyper["eps"])')],
 'adam_float32': [('    g = np.asarray(grads, dtype=float)\n    b1, b2 = hyper["beta1"], hyper["beta2"]\n',
                   '    g = np.asarray(grads, dtype=np.float32)\n'
                   '    b1, b2 = np.float32(hyper["beta1"]), np.float32(hyper["beta2"])\n'),
                  ('    m = b1 * np.asarray(state["m"], dtype=float) + (1.0 - b1) * g\n'
                   '    v = b2 * np.asarray(state["v"], dtype=float) + (1.0 - b2) * g * g\n',
                   '    m = b1 * np.asarray(state["m"], dtype=np.float32) + (1 - b1) * g\n'
                   '    v = b2 * np.asarray(state["v"], dtype=np.float32) + (1 - b2) * g * g\n'),
                  ('    new = np.asarray(params, dtype=float) - hyper["lr"]',
                   '    new = np.asarray(params, dtype=np.float32) - np.float32(hyper["lr"])')],
 'adam_no_bias_correction': [('    m_hat = m / (1.0 - b1**t)\n    v_hat = v / (1.0 - b2**t)\n',
                              '    m_hat = m\n    v_hat = v\n')],
 'adam_old_t': [('    t = int(state["t"]) + 1\n', '    t = int(state["t"])\n'),
                ('    return new, {"m": m, "v": v, "t": t}\n',
                 '    return new, {"m": m, "v": v, "t": t + 1}\n')],
 'adam_t_not_incremented': [('    return new, {"m": m, "v": v, "t": t}\n',
                             '    return new, {"m": m, "v": v, "t": state["t"]}\n')],
 'adam_v_not_squared': [('(1.0 - b2) * g * g', '(1.0 - b2) * g')],
 'alt_closed_forms': [('import numpy as np\n', 'import math\n\nimport numpy as np\n'),
                      ('    return float(lr0 * drop ** (int(step) // int(every)))\n',
                       '    return lr0 * math.pow(drop, math.floor(step / every))\n'),
                      ('    k = min(int(step), int(total))\n'
                       '    return float(lr_min + 0.5 * (lr0 - lr_min) * (1.0 + np.cos(np.pi * k / '
                       'total)))\n',
                       '    if step >= total:\n'
                       '        return lr_min\n'
                       '    return lr0 - (lr0 - lr_min) * math.sin(math.pi * step / (2 * total)) ** 2\n'),
                      ('    m_hat = m / (1.0 - b1**t)\n'
                       '    v_hat = v / (1.0 - b2**t)\n'
                       '    new = np.asarray(params, dtype=float) - hyper["lr"] * m_hat / (np.sqrt(v_hat) + '
                       'hyper["eps"])\n',
                       '    m_hat = np.divide(m, 1.0 - pow(b1, t))\n'
                       '    v_hat = np.divide(v, 1.0 - pow(b2, t))\n'
                       '    new = np.subtract(params, hyper["lr"] * m_hat / np.add(np.sqrt(v_hat), '
                       'hyper["eps"]))\n'),
                      ('    x, y = np.asarray(point, dtype=float)\n'
                       '    return float(0.5 * (x * x + VALLEY_KAPPA * y * y))\n',
                       '    return float(np.dot(point, np.array([1.0, VALLEY_KAPPA]) * point) / 2)\n')],
 'alt_copy_then_inplace': [('    g = np.asarray(grads, dtype=float)\n'
                            '    v = hyper["beta"] * np.asarray(state["v"], dtype=float) + g\n'
                            '    return np.asarray(params, dtype=float) - hyper["lr"] * v, {"v": v}\n',
                            '    new_state = {key: np.array(value, dtype=float) for key, value in '
                            'state.items()}\n'
                            '    new_state["v"] *= hyper["beta"]\n'
                            '    new_state["v"] += grads\n'
                            '    new_params = np.array(params, dtype=float)\n'
                            '    new_params -= hyper["lr"] * new_state["v"]\n'
                            '    return new_params, new_state\n'),
                           ('    g = np.asarray(grads, dtype=float)\n'
                            '    beta = hyper["beta"]\n'
                            '    v = beta * np.asarray(state["v"], dtype=float) + g\n'
                            '    return np.asarray(params, dtype=float) - hyper["lr"] * (g + beta * v), '
                            '{"v": v}\n',
                            '    new_state = dict(state)\n'
                            '    new_state["v"] = state["v"] * hyper["beta"] + grads\n'
                            '    new_params = params.copy()\n'
                            '    new_params -= hyper["lr"] * grads\n'
                            '    new_params -= hyper["lr"] * hyper["beta"] * new_state["v"]\n'
                            '    return new_params, new_state\n'),
                           ('    theta = np.array(start, dtype=float)\n'
                            '    state = init_state(name, theta)\n'
                            '    path = [theta]\n'
                            '    for _ in range(n_steps):\n'
                            '        theta, state = step(theta, np.asarray(grad_fn(theta), dtype=float), '
                            'state, hyper)\n'
                            '        path.append(theta)\n'
                            '    return np.array(path)\n',
                            '    path = np.zeros((n_steps + 1, len(start)))\n'
                            '    path[0] = start\n'
                            '    state = init_state(name, path[0])\n'
                            '    for k in range(1, n_steps + 1):\n'
                            '        path[k], state = step(path[k - 1].copy(), grad_fn(path[k - 1].copy()), '
                            'state, hyper)\n'
                            '    return path\n')],
 'alt_loops': [('import numpy as np\n', 'import math\n\nimport numpy as np\n'),
               ('    g = np.asarray(grads, dtype=float)\n'
                '    b1, b2 = hyper["beta1"], hyper["beta2"]\n'
                '    t = int(state["t"]) + 1\n'
                '    m = b1 * np.asarray(state["m"], dtype=float) + (1.0 - b1) * g\n'
                '    v = b2 * np.asarray(state["v"], dtype=float) + (1.0 - b2) * g * g\n'
                '    m_hat = m / (1.0 - b1**t)\n'
                '    v_hat = v / (1.0 - b2**t)\n'
                '    new = np.asarray(params, dtype=float) - hyper["lr"] * m_hat / (np.sqrt(v_hat) + '
                'hyper["eps"])\n'
                '    return new, {"m": m, "v": v, "t": t}\n',
                '    t = state["t"] + 1\n'
                '    d = len(params)\n'
                '    m, v, new = np.zeros(d), np.zeros(d), np.zeros(d)\n'
                '    for i in range(d):\n'
                '        m[i] = hyper["beta1"] * state["m"][i] + (1 - hyper["beta1"]) * grads[i]\n'
                '        v[i] = hyper["beta2"] * state["v"][i] + (1 - hyper["beta2"]) * grads[i] ** 2\n'
                '        m_hat = m[i] / (1 - hyper["beta1"] ** t)\n'
                '        v_hat = v[i] / (1 - hyper["beta2"] ** t)\n'
                '        new[i] = params[i] - hyper["lr"] * m_hat / (math.sqrt(v_hat) + hyper["eps"])\n'
                '    return new, {"m": m, "v": v, "t": t}\n'),
               ('    g = np.asarray(grads, dtype=float)\n'
                '    G = np.asarray(state["G"], dtype=float) + g * g\n'
                '    return np.asarray(params, dtype=float) - hyper["lr"] * g / (np.sqrt(G) + hyper["eps"]), '
                '{"G": G}\n',
                '    new, G = [], []\n'
                '    for p, g, acc in zip(params, grads, state["G"]):\n'
                '        G.append(acc + g * g)\n'
                '        new.append(p - hyper["lr"] * g / (math.sqrt(G[-1]) + hyper["eps"]))\n'
                '    return np.array(new), {"G": np.array(G)}\n'),
               ('    g = np.asarray(grads, dtype=float)\n'
                '    rho = hyper["rho"]\n'
                '    s = rho * np.asarray(state["s"], dtype=float) + (1.0 - rho) * g * g\n'
                '    return np.asarray(params, dtype=float) - hyper["lr"] * g / (np.sqrt(s) + hyper["eps"]), '
                '{"s": s}\n',
                '    new, s = [], []\n'
                '    for p, g, old in zip(params, grads, state["s"]):\n'
                '        s.append(hyper["rho"] * old + (1 - hyper["rho"]) * g * g)\n'
                '        new.append(p - hyper["lr"] * g / (math.sqrt(s[-1]) + hyper["eps"]))\n'
                '    return np.array(new), {"s": np.array(s)}\n'),
               ('    zeros = np.zeros(np.shape(params), dtype=float)\n'
                '    keys = {"sgd": (), "momentum": ("v",), "nesterov": ("v",), "adagrad": ("G",), '
                '"rmsprop": ("s",),\n'
                '            "adam": ("m", "v")}\n'
                '    if name not in keys:\n'
                '        raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")\n'
                '    state: State = {key: zeros.copy() for key in keys[name]}\n'
                '    if name == "adam":\n'
                '        state["t"] = 0\n'
                '    return state\n',
                '    d = len(params)\n'
                '    if name == "sgd":\n'
                '        return {}\n'
                '    if name in ("momentum", "nesterov"):\n'
                '        return {"v": np.zeros(d)}\n'
                '    if name == "adagrad":\n'
                '        return {"G": np.zeros(d)}\n'
                '    if name == "rmsprop":\n'
                '        return {"s": np.zeros(d)}\n'
                '    return {"m": np.zeros(d), "v": np.zeros(d), "t": 0}\n')],
 'cosine_no_clamp': [('    k = min(int(step), int(total))\n', '    k = step\n')],
 'minimize_fresh_state': [('        theta, state = step(theta, np.asarray(grad_fn(theta), dtype=float), '
                           'state, hyper)\n',
                           '        theta, state = step(theta, np.asarray(grad_fn(theta), dtype=float), '
                           'init_state(name, theta), hyper)\n')],
 'momentum_ema': [('    v = hyper["beta"] * np.asarray(state["v"], dtype=float) + g\n',
                   '    v = hyper["beta"] * np.asarray(state["v"], dtype=float) + (1.0 - hyper["beta"]) * '
                   'g\n')],
 'momentum_inplace_state': [('    v = hyper["beta"] * np.asarray(state["v"], dtype=float) + g\n',
                             '    v = state["v"]\n    v *= hyper["beta"]\n    v += g\n')],
 'momentum_old_v': [('    v = hyper["beta"] * np.asarray(state["v"], dtype=float) + g\n'
                     '    return np.asarray(params, dtype=float) - hyper["lr"] * v, {"v": v}\n',
                     '    v_old = np.asarray(state["v"], dtype=float)\n'
                     '    v = hyper["beta"] * v_old + g\n'
                     '    return np.asarray(params, dtype=float) - hyper["lr"] * v_old, {"v": v}\n')],
 'nesterov_plain': [('hyper["lr"] * (g + beta * v), {"v": v}', 'hyper["lr"] * v, {"v": v}')],
 'rmsprop_no_one_minus': [('np.asarray(state["s"], dtype=float) + (1.0 - rho) * g * g',
                           'np.asarray(state["s"], dtype=float) + g * g')],
 'rmsprop_swapped': [('    s = rho * np.asarray(state["s"], dtype=float) + (1.0 - rho) * g * g\n',
                      '    s = (1.0 - rho) * np.asarray(state["s"], dtype=float) + rho * g * g\n')],
 'sgd_inplace_params': [('    return np.asarray(params, dtype=float) - hyper["lr"] * np.asarray(grads, '
                         'dtype=float), {}\n',
                         '    params -= hyper["lr"] * np.asarray(grads, dtype=float)\n'
                         '    return params, {}\n')],
 'step_decay_no_floor': [('    return float(lr0 * drop ** (int(step) // int(every)))\n',
                          '    return float(lr0 * drop ** (step / every))\n')],
 'valley_gradient_factor_2': [('    return np.array([p[0], VALLEY_KAPPA * p[1]])\n',
                               '    return np.array([2 * p[0], 2 * VALLEY_KAPPA * p[1]])\n')]}
