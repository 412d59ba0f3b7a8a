"""The stub transform (nbgrader-style markers) and the safe value codec."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from grader.sandbox import codec
from grader.stubs import MarkerError, strip_solutions


def test_solution_region_becomes_not_implemented_at_the_marker_indent():
    source = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    assert strip_solutions(source) == (
        "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("### END SOLUTION\n", "without BEGIN"),
        ("x = 1  ### BEGIN SOLUTION\n", "alone on its line"),
    ],
)
def test_bad_markers_fail_loudly(source, message):
    with pytest.raises(MarkerError, match=message):
        strip_solutions(source)


@pytest.mark.parametrize(
    "value",
    [
        None, True, 3, -2.5, "text", [1, 2], (1, (2.0, "x")), {"a": [1.0]},
        float("nan"), float("inf"), -float("inf"),
        np.arange(6, dtype=np.int32).reshape(2, 3), np.linspace(0, 1, 5), np.array(True), np.float32(1.5),
        np.zeros((0, 3)),
    ],
)
def test_codec_round_trips(value):
    back = codec.loads(codec.dumps(value))
    if isinstance(value, np.ndarray | np.generic):
        assert type(back) is type(value) and back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value and type(back) is type(value)


def test_numpy_special_floats_cross_as_floats():
    for value in (np.float64("nan"), np.float64("inf"), np.float64(2.5)):
        back = codec.loads(codec.dumps(value))
        assert isinstance(back, float)
        assert back == value or (back != back and value != value)


def test_codec_never_executes_or_unpickles():
    class Evil:
        def __reduce__(self):
            raise AssertionError("pickled")

    data = codec.to_jsonable(Evil())
    assert data["__opaque__"] == "Evil"
    assert isinstance(codec.from_jsonable(data), codec.Opaque)
    assert codec.to_jsonable(np.array([object()]))["__opaque__"].startswith("ndarray")


@pytest.mark.parametrize(
    "payload",
    [
        {"__ndarray__": "|O", "shape": [1], "data": ""},
        {"__ndarray__": "<f8", "shape": [3], "data": "AAAA"},
        {"__float__": "__import__('os')"},
        {"__mystery__": 1},
    ],
)
def test_codec_rejects_malformed_values(payload):
    with pytest.raises((codec.CodecError, TypeError, ValueError)):
        codec.loads(json.dumps(payload).encode())


def test_the_codec_refuses_values_nested_deeper_than_it_ever_encodes():
    from grader.sandbox import codec

    deep: list = []
    for _ in range(codec.MAX_DEPTH + 10):
        deep = [deep]
    encoded = codec.to_jsonable(deep)  # the worker's side: too deep becomes opaque, never a crash
    assert codec.from_jsonable(encoded) is not None
    forged = 1
    for _ in range(codec.MAX_DEPTH + 10):
        forged = [forged]
    with pytest.raises(codec.CodecError, match="nested"):
        codec.from_jsonable(forged)  # the grader's side: a frame the worker never writes
    shallow = [[[{"__tuple__": [1.0, 2.0]}]]]
    assert codec.from_jsonable(shallow) == [[[(1.0, 2.0)]]]


@pytest.mark.parametrize("blocking", [True, False])
def test_a_frame_cut_short_times_out_at_its_deadline(blocking):
    """The grader reads a reply without a select first on its non-blocking end; a worker that writes
    half a frame and stops still costs only the deadline."""
    import struct
    import time

    from grader.sandbox.protocol import FrameTimeout, read_frame, write_frame

    read_end, write_end = os.pipe()
    try:
        os.set_blocking(read_end, blocking)
        write_frame(write_end, b'{"ok": true}')
        assert read_frame(read_end, time.monotonic() + 1) == b'{"ok": true}'
        os.write(write_end, struct.pack("<Q", 100) + b"x" * 10)  # 10 of the 100 bytes announced
        started = time.monotonic()
        with pytest.raises(FrameTimeout):
            read_frame(read_end, started + 0.3)
        assert 0.25 < time.monotonic() - started < 3
    finally:
        os.close(read_end)
        os.close(write_end)
