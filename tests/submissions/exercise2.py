"""Deliberately wrong and alternative correct submissions of exercise 2, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise2_partial_derivatives.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'alt_strings': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                  '# Correct alternative: answers typed as strings in other equivalent forms, loops in plain '
                  'Python,\n'
                  '# and the directional derivative as |∇J| cos θ.\n'
                  '"""Exercise 2 — partial derivatives and the gradient.\n'),
                 ('from __future__ import annotations\n\n',
                  'from __future__ import annotations\n\nimport math\n'),
                 ('    return {"x": 2 * x, "y": 2 * y}\n', '    return {"x": "x + x", "y": "2 * y"}\n'),
                 ('    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n',
                  '    return {"x": f"{c} + {a} * 2 * y * x", "y": f"{a}*x*x + {b}*(3*y**2)"}\n'),
                 ('    point = np.asarray(point, dtype=float)\n'
                  '    grad = np.empty_like(point)\n'
                  '    for i in range(point.size):\n'
                  '        step = np.zeros_like(point)\n'
                  '        step[i] = h\n'
                  '        grad[i] = (f(point + step) - f(point - step)) / (2 * h)\n'
                  '    return grad\n',
                  '    grad = []\n'
                  '    for i in range(len(point)):\n'
                  '        plus = np.array(point, dtype=float)\n'
                  '        minus = np.array(point, dtype=float)\n'
                  '        plus[i] += h\n'
                  '        minus[i] -= h\n'
                  '        grad.append((f(plus) - f(minus)) / (2 * h))\n'
                  '    return np.array(grad)\n'),
                 ('    return float(np.linalg.norm(np.asarray(grad, dtype=float)))\n',
                  '    return math.hypot(*(float(g) for g in grad))\n'),
                 ('    grad = np.asarray(grad, dtype=float)\n'
                  '    direction = np.asarray(direction, dtype=float)\n'
                  '    return float(grad @ direction / np.linalg.norm(direction))\n',
                  '    g_len = math.hypot(*grad)\n'
                  '    d_len = math.hypot(*direction)\n'
                  '    if g_len == 0:\n'
                  '        return 0.0\n'
                  '    cos_theta = sum(gi * di for gi, di in zip(grad, direction, strict=True)) / (g_len * '
                  'd_len)\n'
                  '    return g_len * cos_theta\n')],
 'alt_sympy_diff': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                     '# Correct alternative: symbolic answers from sympy.diff, vectorised central '
                     'differences, magnitude\n'
                     '# as sqrt(sum of squares), direction via np.divide.\n'
                     '"""Exercise 2 — partial derivatives and the gradient.\n'),
                    ('    return {"x": 2 * x, "y": 2 * y}\n',
                     '    bowl = x**2 + y**2\n    return {"x": sp.diff(bowl, x), "y": sp.diff(bowl, y)}\n'),
                    ('    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n',
                     '    f = a * x**2 * y + b * y**3 + c * x\n'
                     '    return {"x": sp.diff(f, x), "y": sp.diff(f, y)}\n'),
                    ('    point = np.asarray(point, dtype=float)\n'
                     '    grad = np.empty_like(point)\n'
                     '    for i in range(point.size):\n'
                     '        step = np.zeros_like(point)\n'
                     '        step[i] = h\n'
                     '        grad[i] = (f(point + step) - f(point - step)) / (2 * h)\n'
                     '    return grad\n',
                     '    point = np.array(point, dtype=float)\n'
                     '    steps = h * np.eye(point.size)\n'
                     '    return np.array([f(point + s) - f(point - s) for s in steps]) / (2 * h)\n'),
                    ('    return float(np.linalg.norm(np.asarray(grad, dtype=float)))\n',
                     '    g = np.asarray(grad, dtype=float)\n    return float(np.sqrt(np.sum(g * g)))\n'),
                    ('    length = np.linalg.norm(grad)\n'
                     '    if length == 0:\n'
                     '        return np.zeros_like(grad)\n'
                     '    return grad / length\n',
                     '    length = np.sqrt(grad @ grad)\n'
                     '    return np.divide(grad, length, out=np.zeros_like(grad), where=length > 0)\n')],
 'ascent_descent_direction': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                               '# Wrong on purpose: returns the descent direction −∇J/|∇J|.\n'
                               '"""Exercise 2 — partial derivatives and the gradient.\n'),
                              ('    return grad / length\n', '    return -grad / length\n')],
 'ascent_not_normalised': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                            '# Wrong on purpose: returns the gradient without normalising it.\n'
                            '"""Exercise 2 — partial derivatives and the gradient.\n'),
                           ('    return grad / length\n', '    return grad\n')],
 'ascent_zero_nan': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                      '# Wrong on purpose: no special case for a zero gradient (0/0 = NaN).\n'
                      '"""Exercise 2 — partial derivatives and the gradient.\n'),
                     ('    if length == 0:\n        return np.zeros_like(grad)\n', '')],
 'bowl_no_factor_2': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                       '# Wrong on purpose: drops the factor 2 of the power rule in bowl_partials.\n'
                       '"""Exercise 2 — partial derivatives and the gradient.\n'),
                      ('    return {"x": 2 * x, "y": 2 * y}\n', '    return {"x": x, "y": y}\n')],
 'bowl_unevaluated': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                       '# Wrong on purpose: returns unevaluated SymPy Derivative objects.\n'
                       '"""Exercise 2 — partial derivatives and the gradient.\n'),
                      ('    return {"x": 2 * x, "y": 2 * y}\n',
                       '    return {"x": sp.Derivative(x**2 + y**2, x), "y": sp.Derivative(x**2 + y**2, '
                       'y)}\n')],
 'bowl_wrong_variable': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                          '# Wrong on purpose: bowl_partials differentiates with respect to the other '
                          'variable.\n'
                          '"""Exercise 2 — partial derivatives and the gradient.\n'),
                         ('    return {"x": 2 * x, "y": 2 * y}\n', '    return {"x": "2*y", "y": "2*x"}\n')],
 'directional_unnormalised': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                               '# Wrong on purpose: does not divide by the length of the direction.\n'
                               '"""Exercise 2 — partial derivatives and the gradient.\n'),
                              ('    return float(grad @ direction / np.linalg.norm(direction))\n',
                               '    return float(grad @ direction)\n')],
 'magnitude_squared': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                        '# Wrong on purpose: returns the squared length.\n'
                        '"""Exercise 2 — partial derivatives and the gradient.\n'),
                       ('    return float(np.linalg.norm(np.asarray(grad, dtype=float)))\n',
                        '    return float(np.sum(np.asarray(grad, dtype=float) ** 2))\n')],
 'numgrad_forward': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                      '# Wrong on purpose: forward differences instead of central ones.\n'
                      '"""Exercise 2 — partial derivatives and the gradient.\n'),
                     ('        grad[i] = (f(point + step) - f(point - step)) / (2 * h)\n',
                      '        grad[i] = (f(point + step) - f(point)) / h\n')],
 'numgrad_ignores_h': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                        '# Wrong on purpose: ignores the argument h.\n'
                        '"""Exercise 2 — partial derivatives and the gradient.\n'),
                       ('        step[i] = h\n'
                        '        grad[i] = (f(point + step) - f(point - step)) / (2 * h)\n',
                        '        step[i] = 1e-5\n'
                        '        grad[i] = (f(point + step) - f(point - step)) / (2 * 1e-5)\n')],
 'numgrad_in_place': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                       "# Wrong on purpose: moves the caller's point in place and never moves it back.\n"
                       '"""Exercise 2 — partial derivatives and the gradient.\n'),
                      ('        step = np.zeros_like(point)\n'
                       '        step[i] = h\n'
                       '        grad[i] = (f(point + step) - f(point - step)) / (2 * h)\n',
                       '        point[i] += h\n'
                       '        f_plus = f(point)\n'
                       '        point[i] -= 2 * h\n'
                       '        f_minus = f(point)\n'
                       '        grad[i] = (f_plus - f_minus) / (2 * h)\n')],
 'numgrad_integer_point': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                            '# Wrong on purpose: keeps an integer point integer, so point ± h rounds back to '
                            'point.\n'
                            '"""Exercise 2 — partial derivatives and the gradient.\n'),
                           ('    point = np.asarray(point, dtype=float)\n    grad = np.empty_like(point)\n',
                            '    point = np.asarray(point)\n    grad = np.empty_like(point)\n')],
 'numgrad_over_h': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                     '# Wrong on purpose: divides the central difference by h instead of 2h.\n'
                     '"""Exercise 2 — partial derivatives and the gradient.\n'),
                    ('        grad[i] = (f(point + step) - f(point - step)) / (2 * h)\n',
                     '        grad[i] = (f(point + step) - f(point - step)) / h\n')],
 'poly_drops_y': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                   '# Wrong on purpose: ∂f/∂x drops the constant factor y.\n'
                   '"""Exercise 2 — partial derivatives and the gradient.\n'),
                  ('    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n',
                   '    return {"x": 2 * a * x + c, "y": a * x**2 + 3 * b * y**2}\n')],
 'poly_keeps_constant_term': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                               '# Wrong on purpose: ∂f/∂x keeps the term b·y³, which has no x in it.\n'
                               '"""Exercise 2 — partial derivatives and the gradient.\n'),
                              ('    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n',
                               '    return {"x": 2 * a * x * y + b * y**3 + c, "y": a * x**2 + 3 * b * '
                               'y**2}\n')],
 'poly_power_rule_y': [('"""Exercise 2 — partial derivatives and the gradient.\n',
                        '# Wrong on purpose: ∂f/∂y forgets the factor 3 of d(y³)/dy.\n'
                        '"""Exercise 2 — partial derivatives and the gradient.\n'),
                       ('    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n',
                        '    return {"x": 2 * a * x * y + c, "y": a * x**2 + b * y**2}\n')],
 'poly_power_down_by_two': [('    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y**2}\n',
                             '    return {"x": 2 * a * x * y + c, "y": a * x**2 + 3 * b * y}\n')]}
