"""Random hidden-test inputs that give bugs nowhere to hide.

Values are non-zero with random signs and magnitudes away from 0 and 1 (so a
missing factor, a sign slip or a dropped term always changes the result),
dimensions are distinct, and batches have at least three rows.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np


def seeded_rng(seed: int, test_name: str) -> np.random.Generator:
    """The generator a hidden test receives: seeded by the run's seed and the test's name.

    One definition for every route (`grade`'s pytest fixture, nbgrader cells), so
    the same seed gives the same inputs wherever a submission is graded.
    """
    return np.random.default_rng([seed, zlib.crc32(test_name.encode())])


def nonzero(rng: np.random.Generator, shape: Any = (), low: float = 0.3, high: float = 3.0) -> Any:
    """Entries with |v| in [low, high], random sign, never within 0.05 of ±1."""
    size = int(np.prod(shape)) if shape != () else 1
    mags = rng.uniform(low, high, size=size)
    near_one = np.abs(mags - 1.0) < 0.05
    mags[near_one] += 0.1
    values = mags * rng.choice([-1.0, 1.0], size=size)
    return float(values[0]) if shape == () else values.reshape(shape)


def distinct_dims(rng: np.random.Generator, count: int, low: int = 2, high: int = 7) -> list[int]:
    """`count` different sizes in [low, high] (so a transposed shape never fits)."""
    return [int(n) for n in rng.choice(np.arange(low, high + 1), size=count, replace=False)]


def learning_rate(rng: np.random.Generator, low: float = 0.01, high: float = 0.3) -> float:
    """A learning rate that is never 1 and never a round number."""
    return float(rng.uniform(low, high))
