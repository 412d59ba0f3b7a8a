"""The generated house-price data set: reproducible, well formed, and learnable by GD."""

from __future__ import annotations

import numpy as np
import pytest

from grader.datasets import FEATURES, NOISE_STD, house_prices, standardize_columns


def test_same_seed_same_data_other_seed_other_data():
    X1, y1 = house_prices(60, seed=3)
    X2, y2 = house_prices(60, seed=3)
    _, y3 = house_prices(60, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(y1, y3)


@pytest.mark.parametrize("n", [2, 7, 150])
def test_shapes_dtypes_and_no_nan(n):
    X, y = house_prices(n, seed=0)
    assert X.shape == (n, len(FEATURES)) == (n, 3)
    assert y.shape == (n,)
    assert X.dtype == y.dtype == np.float64
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))


def test_features_are_standardised():
    X, _ = house_prices(80, seed=1)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1.0, rtol=1e-12)


def test_raw_features_have_the_documented_ranges():
    X, y = house_prices(500, seed=2, standardize=False)
    size, rooms, age = X.T
    assert size.min() >= 40 and size.max() <= 200
    assert set(np.unique(rooms)) <= set(range(1, 9))
    assert age.min() >= 0 and age.max() <= 60
    assert y.min() > 0.5 and y.max() < 7.0  # "roughly 1 to 6.5" (100 000 EUR)
    # the standardised version is the same data, rescaled column by column
    np.testing.assert_allclose(standardize_columns(X), house_prices(500, seed=2)[0])


def test_least_squares_recovers_the_generating_model():
    X, y = house_prices(4000, seed=3, standardize=False)
    A = np.column_stack([X, np.ones(len(y))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(coef[:3], [0.025, 0.1, -0.012], rtol=0.15)
    best_mse = np.mean((A @ coef - y) ** 2)
    assert best_mse == pytest.approx(NOISE_STD**2, rel=0.1)


def test_plain_gradient_descent_converges():
    """Full-batch GD on the MSE with α = 0.3 reaches the least-squares optimum."""
    X, y = house_prices(100, seed=0)
    A = np.column_stack([X, np.ones(len(y))])
    best = np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2)
    theta = np.zeros(4)
    for _ in range(300):
        theta = theta - 0.3 * (2 / len(y)) * A.T @ (A @ theta - y)
    assert np.mean((A @ theta - y) ** 2) == pytest.approx(best, rel=1e-6)
    # and the documented stability bound: the largest Hessian eigenvalue is about 3.7
    assert 3.0 < np.linalg.eigvalsh(2 / len(y) * A.T @ A)[-1] < 4.5


def test_too_few_houses_is_an_error():
    with pytest.raises(ValueError, match="n >= 2"):
        house_prices(1)


def test_constant_column_standardises_to_zero_not_nan():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    out = standardize_columns(X)
    np.testing.assert_array_equal(out[:, 1], 0.0)
    np.testing.assert_array_equal(X[:, 1], 5.0)  # the input is not modified
