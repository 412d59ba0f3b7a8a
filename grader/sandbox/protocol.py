"""Length-prefixed frames over a pipe, with a deadline on the reading side."""

from __future__ import annotations

import os
import select
import struct
import time

from grader.sandbox.codec import MAX_MESSAGE_BYTES

_HEADER = struct.Struct("<Q")


class FrameTimeout(TimeoutError):
    pass


class PeerClosed(EOFError):
    pass


def write_frame(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FrameTimeout
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise FrameTimeout
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise PeerClosed
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class FrameTooLarge(ValueError):
    """The peer announced a frame over the cap (nothing of it is read)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a message of {size / 2**20:.1f} MB exceeds the {limit / 2**20:g} MB limit")
        self.size = size
        self.limit = limit


def read_frame(fd: int, deadline: float | None = None, *, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    """Read one frame; raise FrameTimeout past `deadline` (a time.monotonic() value)."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > max_bytes:
        raise FrameTooLarge(size, max_bytes)
    return _read_exact(fd, size, deadline)
