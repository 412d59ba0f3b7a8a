"""Auto-graded exercises on how neural networks learn.

Importing this package is deliberately cheap (no numpy, no sympy): the CLI's
`--help` and `list` must start fast. Heavy modules import what they need.
"""

__version__ = "0.1.0"
