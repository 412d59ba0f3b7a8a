"""Deliberately wrong and alternative correct submissions of exercise 3, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise3_chain_rule.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'alt_sigmoid_text': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                       '# Correct alternative: answers as strings using sigmoid(...), a factored square, and '
                       'exp written\n'
                       '# as a quotient.\n'
                       '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                      ('    s = sympy_sigmoid(w * x + b)\n', ''),
                      ('        "squared_error": 2 * (w * x - y) * x,\n'
                       '        "sigmoid_neuron": s * (1 - s) * x,\n'
                       '        "gaussian": -2 * x * sp.exp(-(x**2)),\n',
                       '        "squared_error": "-2*x*(y - x*w)",\n'
                       '        "sigmoid_neuron": "x*sigmoid(w*x + b)*(1 - sigmoid(w*x + b))",\n'
                       '        "gaussian": "-(x + x)/exp(x*x)",\n')],
 'alt_strings_vectorised': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                             '# Correct alternative: answers typed as strings (σ written out), plain Python '
                             'scalars, and the\n'
                             '# chain sweep as a cumulative product.\n'
                             '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                            ('from __future__ import annotations\n\n',
                             'from __future__ import annotations\n\nimport math\n'),
                            ('    s = sympy_sigmoid(w * x + b)\n', ''),
                            ('        "squared_error": 2 * (w * x - y) * x,\n'
                             '        "sigmoid_neuron": s * (1 - s) * x,\n'
                             '        "gaussian": -2 * x * sp.exp(-(x**2)),\n',
                             '        "squared_error": "2*w*x**2 - 2*x*y",\n'
                             '        "sigmoid_neuron": "x*exp(-(w*x + b)) / (1 + exp(-(w*x + b)))**2",\n'
                             '        "gaussian": "-2*x/exp(x**2)",\n'),
                            ('    w = np.array(w, dtype=float)\n'
                             '    x = np.array(x, dtype=float)\n'
                             '    z = float(w @ x + b)\n'
                             '    a = sigmoid(z)\n'
                             '    loss = (a - y) ** 2\n'
                             '    return float(loss), {"x": x, "w": w, "z": z, "a": a, "y": float(y)}\n',
                             '    z = sum(float(wi) * float(xi) for wi, xi in zip(w, x, strict=True)) + b\n'
                             '    a = 1.0 / (1.0 + math.exp(-z))\n'
                             '    cache = {"x": np.copy(x), "w": np.copy(w), "z": z, "a": a, "y": y}\n'
                             '    return (a - y) ** 2, cache\n'),
                            ('    grads = np.empty(n_nodes + 1)\n'
                             '    grads[n_nodes] = upstream\n'
                             '    for i in range(n_nodes, 0, -1):\n'
                             '        grads[i - 1] = grads[i] * local_grad(i)\n'
                             '    return grads\n',
                             '    local = np.array([local_grad(i) for i in range(n_nodes, 0, -1)])\n'
                             '    return upstream * np.concatenate([np.cumprod(local)[::-1], [1.0]])\n')],
 'alt_sympy_diff_nodes': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                           '# Correct alternative: symbolic answers from sympy.diff, and the backward pass '
                           'as separate node-\n'
                           '# by-node steps.\n'
                           '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                          ('    s = sympy_sigmoid(w * x + b)\n', ''),
                          ('        "squared_error": 2 * (w * x - y) * x,\n'
                           '        "sigmoid_neuron": s * (1 - s) * x,\n'
                           '        "gaussian": -2 * x * sp.exp(-(x**2)),\n',
                           '        "squared_error": sp.diff((w * x - y) ** 2, w),\n'
                           '        "sigmoid_neuron": sp.diff(sympy_sigmoid(w * x + b), w),\n'
                           '        "gaussian": sp.diff(sp.exp(-(x**2)), x),\n'),
                          ('    a, y = cache["a"], cache["y"]\n'
                           '    d_a = upstream * 2.0 * (a - y)\n'
                           '    d_z = sigmoid_backward(d_a, a)\n'
                           '    return {\n'
                           '        "w": d_z * np.asarray(cache["x"], dtype=float),\n'
                           '        "b": float(d_z),\n'
                           '        "x": d_z * np.asarray(cache["w"], dtype=float),\n'
                           '    }\n',
                           '    d_loss = upstream                       # dL_total/dL\n'
                           '    d_r = d_loss * 2 * (cache["a"] - cache["y"])   # L = r², r = a − y\n'
                           '    d_a = d_r * 1.0                        # r = a − y: dr/da = 1\n'
                           '    d_z = d_a * cache["a"] * (1 - cache["a"])\n'
                           '    d_w = np.array([d_z * xi for xi in cache["x"]])\n'
                           '    d_x = np.array([d_z * wi for wi in cache["w"]])\n'
                           '    return {"w": d_w, "b": d_z, "x": d_x}\n')],
 'backward_ignores_upstream': [('"""Exercise 3 — the chain rule, and backpropagation through a small '
                                'graph.\n',
                                '# Wrong on purpose: neuron_backward ignores the upstream gradient.\n'
                                '"""Exercise 3 — the chain rule, and backpropagation through a small '
                                'graph.\n'),
                               ('    d_a = upstream * 2.0 * (a - y)\n', '    d_a = 2.0 * (a - y)\n')],
 'backward_missing_inner': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                             '# Wrong on purpose: dL/dw returned as dL/dz, without the inner derivative x.\n'
                             '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                            ('        "w": d_z * np.asarray(cache["x"], dtype=float),\n',
                             '        "w": d_z,\n')],
 'backward_no_factor_2': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                           '# Wrong on purpose: dL/da = a − y.\n'
                           '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                          ('    d_a = upstream * 2.0 * (a - y)\n', '    d_a = upstream * (a - y)\n')],
 'backward_sigma_from_z': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                            "# Wrong on purpose: σ'(z) computed as z(1 − z) in neuron_backward.\n"
                            '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                           ('    d_z = sigmoid_backward(d_a, a)\n',
                            '    z = cache["z"]\n    d_z = d_a * z * (1 - z)\n')],
 'backward_sign': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                    '# Wrong on purpose: dL/da = 2(y − a).\n'
                    '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                   ('    d_a = upstream * 2.0 * (a - y)\n', '    d_a = upstream * 2.0 * (y - a)\n')],
 'backward_swapped': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                       '# Wrong on purpose: dL/dw uses w and dL/dx uses x.\n'
                       '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                      ('        "w": d_z * np.asarray(cache["x"], dtype=float),\n',
                       '        "w": d_z * np.asarray(cache["w"], dtype=float),\n'),
                      ('        "x": d_z * np.asarray(cache["w"], dtype=float),\n',
                       '        "x": d_z * np.asarray(cache["x"], dtype=float),\n')],
 'backward_x_missing_inner': [('"""Exercise 3',
                               '# Wrong on purpose: the "x" entry misses its chain factor ∂z/∂x = w.\n'
                               '"""Exercise 3'),
                              ('        "x": d_z * np.asarray(cache["w"], dtype=float),\n',
                               '        "x": d_z * np.ones_like(np.asarray(cache["w"], dtype=float)),\n')],
 'chain_added': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                  '# Wrong on purpose: adds local derivatives instead of multiplying.\n'
                  '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                 ('        grads[i - 1] = grads[i] * local_grad(i)\n',
                  '        grads[i - 1] = grads[i] + local_grad(i)\n')],
 'chain_no_upstream': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                        '# Wrong on purpose: the sweep starts from 1 instead of upstream.\n'
                        '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                       ('    grads[n_nodes] = upstream\n', '    grads[n_nodes] = 1.0\n')],
 'chain_recomputes': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                       '# Wrong on purpose: right values, but every gradient is recomputed from scratch.\n'
                       '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                      ('    grads[n_nodes] = upstream\n'
                       '    for i in range(n_nodes, 0, -1):\n'
                       '        grads[i - 1] = grads[i] * local_grad(i)\n',
                       '    for i in range(n_nodes + 1):\n'
                       '        product = upstream\n'
                       '        for j in range(i + 1, n_nodes + 1):\n'
                       '            product *= local_grad(j)\n'
                       '        grads[i] = product\n')],
 'forward_no_bias': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                      '# Wrong on purpose: neuron_forward leaves out the bias.\n'
                      '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                     ('    z = float(w @ x + b)\n', '    z = float(w @ x)\n')],
 'gaussian_missing_inner': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                             '# Wrong on purpose: d/dx exp(−x²) without the inner derivative −2x.\n'
                             '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                            ('        "gaussian": -2 * x * sp.exp(-(x**2)),\n',
                             '        "gaussian": sp.exp(-(x**2)),\n')],
 'sigmoid_backward_no_upstream': [('"""Exercise 3 — the chain rule, and backpropagation through a small '
                                   'graph.\n',
                                   '# Wrong on purpose: sigmoid_backward ignores the upstream gradient.\n'
                                   '"""Exercise 3 — the chain rule, and backpropagation through a small '
                                   'graph.\n'),
                                  ('    result = np.asarray(upstream, dtype=float) * np.asarray(a, '
                                   'dtype=float) * (1.0 - np.asarray(a, dtype=float))\n',
                                   '    result = np.asarray(a, dtype=float) * (1.0 - np.asarray(a, '
                                   'dtype=float))\n')],
 'sigmoid_from_z': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                     "# Wrong on purpose: σ'(z) evaluated as z(1 − z).\n"
                     '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                    ('    s = sympy_sigmoid(w * x + b)\n', ''),
                    ('        "sigmoid_neuron": s * (1 - s) * x,\n',
                     '        "sigmoid_neuron": (w * x + b) * (1 - (w * x + b)) * x,\n')],
 'sigmoid_missing_inner': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                            '# Wrong on purpose: d/dw σ(w·x + b) without the inner derivative x.\n'
                            '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                           ('        "sigmoid_neuron": s * (1 - s) * x,\n',
                            '        "sigmoid_neuron": s * (1 - s),\n')],
 'sq_missing_inner': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                       '# Wrong on purpose: d/dw (w·x − y)² without the inner derivative x.\n'
                       '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                      ('        "squared_error": 2 * (w * x - y) * x,\n',
                       '        "squared_error": 2 * (w * x - y),\n')],
 'sq_no_factor_2': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                     '# Wrong on purpose: drops the factor 2 of d(u²)/du.\n'
                     '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                    ('        "squared_error": 2 * (w * x - y) * x,\n',
                     '        "squared_error": (w * x - y) * x,\n')],
 'sq_sign': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
              '# Wrong on purpose: sign slip, 2(y − w·x)·x.\n'
              '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
             ('        "squared_error": 2 * (w * x - y) * x,\n',
              '        "squared_error": "2*(y - w*x)*x",\n')],
 'sq_wrong_variable': [('"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n',
                        '# Wrong on purpose: differentiates (w·x − y)² with respect to x.\n'
                        '"""Exercise 3 — the chain rule, and backpropagation through a small graph.\n'),
                       ('        "squared_error": 2 * (w * x - y) * x,\n',
                        '        "squared_error": 2 * (w * x - y) * w,\n')]}
