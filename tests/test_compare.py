"""Value comparison and the generic diagnoses every check shares."""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import compact, compare, describe, ratio_hint

EXPECTED = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])


def test_equal_values_match_within_tolerance():
    assert compare(EXPECTED, EXPECTED + 1e-12) is None
    assert compare(np.array([np.nan, np.inf]), np.array([np.nan, np.inf])) is None
    assert compare(3.0, np.float64(3.0)) is None


def test_wrong_values_report_size_and_place_of_the_error():
    got = EXPECTED.copy()
    got[1, 2] = 2.0
    mismatch = compare(EXPECTED, got)
    assert mismatch is not None and mismatch.reason == "wrong values"
    text = " ".join(mismatch.details)
    assert "max abs error 3" in text and "worst at index [1, 2]: expected -1.0, got 2.0" in text
    assert "1 of 6 entries wrong" in text
    assert "max rel error 3" in text  # |2 − (−1)| / |−1|


def test_arrays_of_objects_are_compared_without_an_error():
    """A mutant's output may hold None among floats (an object array): a mismatch, never a crash."""
    mixed = np.array([0.5, None], dtype=object)
    assert compare(mixed, np.array([0.5, 0.25], dtype=object)) is not None
    assert compare(mixed, np.array([0.5, None], dtype=object)) is None
    assert compare(np.array([np.zeros(2), None], dtype=object), np.array([np.ones(2), None], dtype=object)) is not None


def test_no_relative_error_is_made_up_where_zero_was_expected():
    """An index or a zero gradient that should be 0: dividing by ~0 gave "max rel error 3e+300"."""
    text = " ".join(compare(0, 3).details)
    assert text == "max abs error 3 (where 0 was expected, so no relative error)"
    mixed = " ".join(compare(np.array([0.0, 2.0]), np.array([1.0, 3.0])).details)
    assert "max rel error 0.5" in mixed and "e+" not in mixed  # only the entry that should be 2 has one


def test_transposed_and_reshaped_answers_are_named():
    assert "transpose of the expected" in compare(EXPECTED, EXPECTED.T).reason
    assert "right numbers in the wrong shape" in compare(EXPECTED, EXPECTED.reshape(3, 2)).reason
    assert "wrong shape: expected (2, 3), got (3,)" in compare(EXPECTED, EXPECTED[0]).reason


@pytest.mark.parametrize(
    ("factor", "n", "phrase"),
    [
        (-1.0, None, "sign error"),
        (0.5, None, "missing factor 2"),
        (2.0, None, "extra factor 2"),
        (5.0, 5, "a sum where a mean"),
        (0.2, 5, "a mean where a sum"),
        (3.7, None, "constant multiple (×3.7)"),
    ],
)
def test_constant_ratios_are_classified(factor, n, phrase):
    assert phrase in ratio_hint(EXPECTED, factor * EXPECTED, n=n)


def test_no_ratio_hint_when_there_is_no_constant_ratio():
    got = EXPECTED.copy()
    got[0, 0] *= 2
    assert ratio_hint(EXPECTED, got) is None
    assert ratio_hint(EXPECTED, EXPECTED) is None


def test_type_mismatches_are_explained():
    assert "expected a number or array" in compare(np.ones(2), "two ones").reason
    assert compare({"w": np.ones(2)}, {"b": 1.0}).reason.startswith("expected keys")
    assert compare((1.0, np.ones(2)), (1.0, np.zeros(2))).reason.startswith("item 1: wrong values")


def test_descriptions_show_shape_dtype_and_stay_on_one_line():
    text = describe(np.arange(40, dtype=np.float32).reshape(4, 10))
    assert "shape (4, 10)" in text and "dtype float32" in text and "\n" not in text
    assert compact({"w": np.array([0.5, 0.25]), "z": 0.0}, call=True) == "{'w': array([0.5 , 0.25]), 'z': 0.0}"
