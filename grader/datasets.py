"""Small generated data sets for the exercises and figures (no downloads).

`house_prices(n, seed)` is the course's running regression example: predict
a house's price from its size, number of rooms and age. The data are drawn
from a known linear model plus noise, so the loss a fit can reach is known:
about the noise variance NOISE_STD**2 (the true model's expected MSE), and
the features come standardised (mean 0, standard deviation 1 per column)
so that full-batch gradient descent on the MSE converges for any learning
rate below about 0.5 (the largest eigenvalue of the MSE's Hessian is about
3.7; SGD needs smaller steps).

Only numpy is needed; the same (n, seed) gives the same arrays on every
machine because everything is drawn from `numpy.random.default_rng(seed)`.
"""

from __future__ import annotations

import numpy as np

#: Column names of X, in order.
FEATURES: tuple[str, ...] = ("size_m2", "rooms", "age_years")
#: Units of the target y.
PRICE_UNIT = "100 000 EUR"
#: Standard deviation of the noise added to the price (in PRICE_UNIT).
NOISE_STD = 0.25

# The generating model, on the raw (unstandardised) features, in PRICE_UNIT:
#   price = 0.5 + 0.025·size + 0.1·rooms − 0.012·age + noise
_INTERCEPT = 0.5
_RAW_WEIGHTS = np.array([0.025, 0.1, -0.012])


def house_prices(
    n: int = 100, seed: int = 0, *, standardize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded house-price regression data set.

    Each row of X describes one house by FEATURES = (size in m², rooms, age in
    years); y is its price in units of 100 000 EUR:

        size  ~ Uniform(40, 200) m²
        rooms = clip(round(size / 30 + Normal(0, 1)), 1, 8)
        age   ~ Uniform(0, 60) years
        price = 0.5 + 0.025·size + 0.1·rooms − 0.012·age + Normal(0, NOISE_STD²)

    so prices range from roughly 1 to 6.5. With `standardize=True` (the
    default) every column of X is shifted and scaled to mean 0 and standard
    deviation 1 (population std, ddof=0); y is never rescaled.

    Args:
        n: number of houses, at least 2.
        seed: seed of the `numpy.random.default_rng` that draws everything.
        standardize: standardise the columns of X (set False for axis labels
            in real units, e.g. in figures).

    Returns:
        X of shape (n, 3) and y of shape (n,), both float64.

    Example:
        >>> X, y = house_prices(50, seed=1)
        >>> X.shape, y.shape
        ((50, 3), (50,))
    """
    if n < 2:
        raise ValueError(f"house_prices needs n >= 2 houses, got {n}")
    rng = np.random.default_rng(seed)
    size = rng.uniform(40.0, 200.0, size=n)
    rooms = np.clip(np.round(size / 30.0 + rng.normal(0.0, 1.0, size=n)), 1, 8)
    age = rng.uniform(0.0, 60.0, size=n)
    X = np.column_stack([size, rooms, age])
    y = _INTERCEPT + X @ _RAW_WEIGHTS + rng.normal(0.0, NOISE_STD, size=n)
    if standardize:
        X = standardize_columns(X)
    return X, y


def standardize_columns(X: np.ndarray) -> np.ndarray:
    """(X − mean) / std column by column (population std); constant columns become 0.

    Returns a new array; X is not modified.
    """
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    # A constant column carries no information; dividing by 1 keeps it at 0, not NaN.
    return (X - mean) / np.where(std > 0, std, 1.0)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem in the column convention of exercise 6: X (2, 4) and Y (1, 4).

    The four corners of the unit square, labelled 1 when exactly one coordinate
    is 1. No straight line separates the classes, so a network needs a hidden layer.

    Example:
        >>> X, Y = xor()
        >>> X, Y
        (array([[0., 0., 1., 1.],
               [0., 1., 0., 1.]]), array([[0., 1., 1., 0.]]))
    """
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    return X, np.logical_xor(X[0], X[1]).astype(float).reshape(1, -1)
