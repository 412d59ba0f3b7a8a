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


def _read_exact(fd: int, n: int, deadline: float | None, nonblocking: bool) -> bytes:
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        if deadline is not None and not nonblocking:
            _wait_readable(fd, deadline)
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            # Only a non-blocking fd gets here: wait for the rest (a reply written in one go
            # is usually there already, which saves a select per read).
            _wait_readable(fd, deadline)
            continue
        if not chunk:
            raise PeerClosed
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _wait_readable(fd: int, deadline: float | None) -> None:
    left = None if deadline is None else deadline - time.monotonic()
    if left is not None and left <= 0:
        raise FrameTimeout
    ready, _, _ = select.select([fd], [], [], left)
    if not ready:
        raise FrameTimeout


class FrameTooLarge(ValueError):
    """The peer announced a frame over the cap (nothing of it is read)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a message of {size / 2**20:.1f} MB exceeds the {limit / 2**20:g} MB limit")
        self.size = size
        self.limit = limit


def read_frame(fd: int, deadline: float | None = None, *, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    """Read one frame; raise FrameTimeout past `deadline` (a time.monotonic() value).

    On a blocking fd a deadline means a select before every read; a reader that made
    its fd non-blocking (`os.set_blocking(fd, False)`) reads first and waits only when
    the pipe is empty.
    """
    nonblocking = deadline is not None and not os.get_blocking(fd)
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline, nonblocking))
    if size > max_bytes:
        raise FrameTooLarge(size, max_bytes)
    return _read_exact(fd, size, deadline, nonblocking)
