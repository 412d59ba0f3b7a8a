"""Deliberately wrong and alternative correct submissions of exercise 8, as edits.

Each entry is a submission: (old, new) replacements applied to
solutions/exercise8_autograd.py
(each `old` occurs there exactly once; see tests/helpers.py::submission). Kept as
edits, not copies, so the reference stays the single source of every submission.
"""

EDITS = {'alt_direct_ops': [('        return self * -1.0\n',
                     '        out = Value(-self.data, (self,), "neg")\n'
                     '\n'
                     '        def _backward():\n'
                     '            self.grad -= out.grad\n'
                     '\n'
                     '        out._backward = _backward\n'
                     '        return out\n'),
                    ('        return self + (-other)\n',
                     '        other = other if isinstance(other, Value) else Value(other)\n'
                     '        out = Value(self.data - other.data, (self, other), "-")\n'
                     '\n'
                     '        def _backward():\n'
                     '            self.grad += out.grad\n'
                     '            other.grad -= out.grad\n'
                     '\n'
                     '        out._backward = _backward\n'
                     '        return out\n'),
                    ('        other = other if isinstance(other, Value) else Value(other)\n'
                     '        return self * other**-1.0\n',
                     '        other = other if isinstance(other, Value) else Value(other)\n'
                     '        out = Value(self.data / other.data, (self, other), "/")\n'
                     '\n'
                     '        def _backward():\n'
                     '            self.grad += out.grad / other.data\n'
                     '            other.grad += -self.data / other.data**2 * out.grad\n'
                     '\n'
                     '        out._backward = _backward\n'
                     '        return out\n'),
                    ('        return Value(other) + (-self)\n', '        return Value(other) - self\n'),
                    ('        return Value(other) * self**-1.0\n', '        return Value(other) / self\n'),
                    ('        e = math.exp(-abs(self.data))\n'
                     '        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)\n',
                     '        s = 0.5 * (1.0 + math.tanh(0.5 * self.data))\n'),
                    ('        t = math.tanh(self.data)\n',
                     '        t = 1.0 - 2.0 / (math.exp(2.0 * self.data) + 1.0) if abs(self.data) < 300 else '
                     'math.copysign(1.0, self.data)\n')],
 'alt_kahn': [('        order: list[Value] = []\n'
               '        visited: set[int] = set()\n'
               '        # An explicit stack instead of recursion: a graph 5000 nodes deep must not hit the '
               'recursion limit.\n'
               '        stack: list[tuple[Value, bool]] = [(self, False)]\n'
               '        while stack:\n'
               '            node, expanded = stack.pop()\n'
               '            if expanded:\n'
               '                order.append(node)\n'
               '                continue\n'
               '            if id(node) in visited:\n'
               '                continue\n'
               '            visited.add(id(node))\n'
               '            stack.append((node, True))\n'
               '            for child in reversed(node._prev):\n'
               '                if id(child) not in visited:\n'
               '                    stack.append((child, False))\n'
               '        return order\n',
               '        # every node the output depends on, then Kahn\'s algorithm on the "is an input of" '
               'edges\n'
               '        nodes, stack = {}, [self]\n'
               '        while stack:\n'
               '            node = stack.pop()\n'
               '            if id(node) not in nodes:\n'
               '                nodes[id(node)] = node\n'
               '                stack.extend(node._prev)\n'
               '        pending = {key: len(set(map(id, node._prev))) for key, node in nodes.items()}\n'
               '        users = {key: [] for key in nodes}\n'
               '        for key, node in nodes.items():\n'
               '            for child_key in set(map(id, node._prev)):\n'
               '                users[child_key].append(key)\n'
               '        ready = [key for key, count in pending.items() if count == 0]\n'
               '        order = []\n'
               '        while ready:\n'
               '            key = ready.pop()\n'
               '            order.append(nodes[key])\n'
               '            for user in users[key]:\n'
               '                pending[user] -= 1\n'
               '                if pending[user] == 0:\n'
               '                    ready.append(user)\n'
               '        return order\n'),
              ('        for node in self.topological_order():\n            node.grad = 0.0\n',
               '        for node in reversed(self.topological_order()):\n            node.grad *= 0.0\n')],
 'alt_recursive_topo': [('        order: list[Value] = []\n'
                         '        visited: set[int] = set()\n'
                         '        # An explicit stack instead of recursion: a graph 5000 nodes deep must not '
                         'hit the recursion limit.\n'
                         '        stack: list[tuple[Value, bool]] = [(self, False)]\n'
                         '        while stack:\n'
                         '            node, expanded = stack.pop()\n'
                         '            if expanded:\n'
                         '                order.append(node)\n'
                         '                continue\n'
                         '            if id(node) in visited:\n'
                         '                continue\n'
                         '            visited.add(id(node))\n'
                         '            stack.append((node, True))\n'
                         '            for child in reversed(node._prev):\n'
                         '                if id(child) not in visited:\n'
                         '                    stack.append((child, False))\n'
                         '        return order\n',
                         '        topo, visited = [], set()\n'
                         '\n'
                         '        def build(v):\n'
                         '            if v not in visited:\n'
                         '                visited.add(v)\n'
                         '                for child in v._prev:\n'
                         '                    build(child)\n'
                         '                topo.append(v)\n'
                         '\n'
                         '        build(self)\n'
                         '        return topo\n')],
 'assign_not_accumulate': [('            self.grad += out.grad\n            other.grad += out.grad\n',
                            '            self.grad = out.grad\n            other.grad = out.grad\n'),
                           ('            self.grad += other.data * out.grad\n'
                            '            other.grad += self.data * out.grad\n',
                            '            self.grad = other.data * out.grad\n'
                            '            other.grad = self.data * out.grad\n')],
 'exp_grad_from_input': [('            self.grad += out.data * out.grad\n',
                          '            self.grad += self.data * out.grad\n')],
 'forward_order': [('        for node in reversed(order):\n            node._backward()\n',
                    '        for node in order:\n            node._backward()\n')],
 'mse_sum': [('    return total * (1.0 / len(y))\n', '    return total\n')],
 'mul_own_factor': [('            self.grad += other.data * out.grad\n'
                     '            other.grad += self.data * out.grad\n',
                     '            self.grad += self.data * out.grad\n'
                     '            other.grad += other.data * out.grad\n')],
 'neuron_no_bias': [('    z = b\n    for wj, xj in zip(w, x, strict=True):\n',
                     '    z = 0.0\n    for wj, xj in zip(w, x, strict=True):\n')],
 'no_root_grad': [('        order = self.topological_order()\n        self.grad = 1.0\n',
                   '        order = self.topological_order()\n')],
 'no_visited_set': [('        order: list[Value] = []\n'
                     '        visited: set[int] = set()\n'
                     '        # An explicit stack instead of recursion: a graph 5000 nodes deep must not hit '
                     'the recursion limit.\n'
                     '        stack: list[tuple[Value, bool]] = [(self, False)]\n'
                     '        while stack:\n'
                     '            node, expanded = stack.pop()\n'
                     '            if expanded:\n'
                     '                order.append(node)\n'
                     '                continue\n'
                     '            if id(node) in visited:\n'
                     '                continue\n'
                     '            visited.add(id(node))\n'
                     '            stack.append((node, True))\n'
                     '            for child in reversed(node._prev):\n'
                     '                if id(child) not in visited:\n'
                     '                    stack.append((child, False))\n'
                     '        return order\n',
                     '        order = []\n'
                     '\n'
                     '        def build(node):\n'
                     '            for child in node._prev:\n'
                     '                build(child)\n'
                     '            order.append(node)\n'
                     '\n'
                     '        build(self)\n'
                     '        return order\n')],
 'pow_missing_k': [('            self.grad += k * self.data ** (k - 1) * out.grad\n',
                    '            self.grad += self.data ** (k - 1) * out.grad\n')],
 'relu_always_one': [('            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad\n',
                      '            self.grad += out.grad\n')],
 'relu_one_at_zero': [('            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad\n',
                       '            self.grad += (1.0 if self.data >= 0 else 0.0) * out.grad\n')],
 'rsub_swapped': [('        return Value(other) + (-self)\n', '        return self - other\n')],
 'rtruediv_swapped': [('        return Value(other) * self**-1.0\n', '        return self / other\n')],
 'sigmoid_from_input': [('            self.grad += s * (1.0 - s) * out.grad\n',
                         '            self.grad += self.data * (1.0 - self.data) * out.grad\n')],
 'sigmoid_overflows': [('        e = math.exp(-abs(self.data))\n'
                        '        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)\n',
                        '        s = 1.0 / (1.0 + math.exp(-self.data))\n')],
 'tanh_one_minus_t': [('            self.grad += (1.0 - t * t) * out.grad\n',
                       '            self.grad += (1.0 - t) * out.grad\n')],
 'train_no_zero_grad': [('        loss.zero_grad()\n        loss.backward()\n', '        loss.backward()\n')],
 'zero_grad_root_only': [('        for node in self.topological_order():\n            node.grad = 0.0\n',
                          '        self.grad = 0.0\n')],
 'exp_no_chain': [('            self.grad += out.data * out.grad\n', '            self.grad += out.data\n')],
 'pow_no_chain': [('            self.grad += k * self.data ** (k - 1) * out.grad\n',
                   '            self.grad += k * self.data ** (k - 1)\n')],
 'zero_grad_leaves_only': [('        for node in self.topological_order():\n            node.grad = 0.0\n',
                            '        for node in self.topological_order():\n'
                            '            if not node._prev:\n'
                            '                node.grad = 0.0\n')]}
