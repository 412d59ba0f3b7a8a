"""The grader's handle on its zygote: a clean process that forks confined workers.

The zygote is a fresh interpreter (`python -I`, a minimal environment, no
descriptor but its control socket) that imports numpy, what the exercise
preloads (sympy) and the worker bootstrap, and nothing else: never the
reference solutions, the hidden tests or the checking code. Every worker (the
first, every restart after a time-out or crash, every batch job) is forked
from it, so no worker ever holds the answers in inherited memory.

`shared_zygote()` is the one zygote of this process, started lazily and
restarted when it died; a batch pool worker that grades many submissions
reuses it (call it once early to warm it up). The control channel carries
size-capped JSON messages on a SOCK_SEQPACKET socket, with the worker's pipes
passed as descriptors (SCM_RIGHTS).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

MAX_CONTROL_BYTES = 1 << 16
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from grader.sandbox.zygote_server import serve; serve(int(sys.argv[2]), sys.argv[3:])"
)
_KEEP_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL", "TZ")


class ZygoteError(RuntimeError):
    """The zygote could not start a worker (it died, or refused the request)."""


def zygote_env() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
    }
    for key in _KEEP_ENV:
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def check_modules(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    bad = [n for n in names if not _MODULE_NAME.match(n) or n.partition(".")[0] in {"grader", "solutions"}]
    if bad:
        raise ValueError(f"the zygote may not preload {bad}")
    return tuple(names)


class Zygote:
    """One zygote process and its control socket (thread-safe)."""

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        self.preload = set(check_modules(preload))
        self.owner = os.getpid()
        self._lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        grader_parent = str(Path(__file__).resolve().parents[2])
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOTSTRAP, grader_parent, str(theirs.fileno()), *sorted(self.preload)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd="/",
                env=zygote_env(),
                start_new_session=True,  # Ctrl-C in the terminal reaches the grader only
            )
        finally:
            theirs.close()
        self.sock = ours
        self.info: dict[str, Any] | None = None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _request(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        payload = json.dumps(message).encode()
        if len(payload) > MAX_CONTROL_BYTES:
            raise ZygoteError("zygote request too large")
        with self._lock:
            try:
                if self.info is None:
                    self.info = self._receive()
                if fds:
                    socket.send_fds(self.sock, [payload], fds)
                else:
                    self.sock.sendall(payload)
                return self._receive()
            except OSError as exc:
                raise ZygoteError(f"the zygote is gone: {exc}") from exc

    def _receive(self) -> dict[str, Any]:
        data = self.sock.recv(MAX_CONTROL_BYTES + 1)
        if not data:
            raise ZygoteError("the zygote exited")
        if len(data) > MAX_CONTROL_BYTES:
            raise ZygoteError("oversized message from the zygote")
        reply = json.loads(data)
        if not isinstance(reply, dict):
            raise ZygoteError("malformed message from the zygote")
        return reply

    def ready(self) -> dict[str, Any]:
        """Wait for the zygote's start-up report (its Landlock ABI, its preloads)."""
        with self._lock:
            if self.info is None:
                self.info = self._receive()
        return self.info

    def ensure_preloaded(self, modules: tuple[str, ...]) -> None:
        missing = [m for m in check_modules(modules) if m not in self.preload]
        if missing:
            reply = self._request({"op": "preload", "modules": missing})
            if not reply.get("ok"):
                raise ZygoteError(str(reply.get("error", "preload failed")))
            self.preload.update(missing)

    def spawn(self, spec: dict[str, Any], fds: list[int]) -> tuple[int, int]:
        """Fork a worker for `spec`, with a keeper above it where one is needed.

        Returns (the pid of the zygote's child, the worker's pid or -1): the two
        are one process where the worker has no keeper, and the worker's pid is
        unknown here (-1) where it is the keeper's child.
        """
        reply = self._request({"op": "spawn", **spec}, fds)
        if not reply.get("ok"):
            raise ZygoteError(str(reply.get("error", "spawn failed")))
        return int(reply["pid"]), int(reply.get("worker", -1))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        if os.getpid() == self.owner:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_shared: Zygote | None = None
_shared_lock = threading.Lock()


def shared_zygote(preload: tuple[str, ...] | list[str] = ()) -> Zygote:
    """This process's zygote, started (or restarted) on demand with `preload` imported."""
    global _shared
    with _shared_lock:
        zygote = _shared
        if zygote is not None and (zygote.owner != os.getpid() or not zygote.alive()):
            if zygote.owner == os.getpid():
                zygote.close()
            else:  # inherited through a fork: that zygote serves our parent; drop our copy of its socket
                with contextlib.suppress(OSError):
                    zygote.sock.close()
            zygote = None
        if zygote is None:
            zygote = _shared = Zygote(tuple(preload))
    if preload:
        zygote.ensure_preloaded(tuple(preload))
    return zygote


def running_zygote() -> Zygote | None:
    """This process's zygote if one was started here and is alive (never starts one)."""
    zygote = _shared
    if zygote is not None and zygote.owner == os.getpid() and zygote.alive():
        return zygote
    return None


def shutdown_shared() -> None:
    """Stop this process's zygote (tests; a pool worker at exit)."""
    global _shared
    with _shared_lock:
        if _shared is not None and _shared.owner == os.getpid():
            _shared.close()
        _shared = None
