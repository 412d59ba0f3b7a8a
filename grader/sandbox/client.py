"""The grader's side of the sandbox: a student module behind a process wall.

`StudentModule(path)` starts a worker process that imports the student's file
with a memory limit; `call(name, *args)` runs one function there under a time
limit. A hang, crash, `sys.exit`, `os._exit` or memory bomb becomes a
`CallOutcome` with an error; the worker is restarted for the next call, except
when the import itself failed, which every later call then reports at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox import codec
from grader.sandbox.protocol import FrameTimeout, PeerClosed, read_frame, write_frame

DEFAULT_CALL_TIMEOUT = 5.0
DEFAULT_IMPORT_TIMEOUT = 20.0
DEFAULT_MEMORY_MB = 2048
MAX_TIMEOUTS_PER_FUNCTION = 2

# The worker bootstraps from the directory that holds this `grader` package, so
# it runs the same grader code whether installed or run from a checkout; -I keeps
# the student's environment variables and user site out.
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from grader.sandbox.worker import serve; serve(sys.argv[2:])"
)


@dataclass(frozen=True)
class StudentError:
    """Why a call produced no value."""

    kind: str  # not_implemented | exception | timeout | crash | import_error | missing_function
    type: str
    message: str
    traceback: str = ""
    output: str = ""  # the tail of what the student's code printed


@dataclass(frozen=True)
class CallOutcome:
    value: Any = None
    args_after: list[Any] | None = None
    error: StudentError | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Limits:
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    import_timeout: float = DEFAULT_IMPORT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB


class StudentModule:
    """A proxy for the student's module living in a separate, limited process."""

    def __init__(
        self, path: Path, module_name: str, limits: Limits | None = None, *, fork: bool = True
    ) -> None:
        self.path = Path(path).resolve()
        self.fork = fork
        self.module_name = module_name
        self.limits = limits or Limits()
        self._proc: subprocess.Popen[bytes] | _ForkedProcess | None = None
        self._req_w = self._resp_r = -1
        self._ready = False
        self._import_error: StudentError | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="grade-worker-")
        self._log = Path(self._tmp.name) / "output.log"
        self._timeouts: dict[str, int] = {}
        self._pending = False
        self.start()

    # -- process management -------------------------------------------------
    def start(self) -> None:
        """Spawn the worker; it imports the student file while we do other work.

        When this process has already imported numpy (a batch worker, or a
        restart after a time-out) the worker is forked from it, which saves the
        ~0.1 s of a fresh interpreter importing numpy; otherwise a fresh
        interpreter is started, importing in parallel with the grader.
        """
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "HOME": self._tmp.name,
            "MPLBACKEND": "Agg",
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL"):
            if key in os.environ:
                env[key] = os.environ[key]
        worker_args = [
            str(self.path),
            self.module_name,
            str(req_r),
            str(resp_w),
            str(self.limits.memory_mb * 1024 * 1024),
            str(self._log),
        ]
        if self.fork and "numpy" in sys.modules:
            self._proc = _fork_worker(worker_args, env, cwd=self.path.parent, keep=(req_r, resp_w))
        else:
            grader_parent = str(Path(__file__).resolve().parents[2])
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOTSTRAP, grader_parent, *worker_args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(req_r, resp_w),
                cwd=str(self.path.parent),
                env=env,
                start_new_session=True,  # so a kill reaches anything the student spawned
            )
        os.close(req_r)
        os.close(resp_w)
        self._req_w, self._resp_r = req_w, resp_r
        self._ready = False

    def _kill(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        for fd in (self._req_w, self._resp_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._proc = None

    def close(self) -> None:
        self._kill()
        self._tmp.cleanup()

    def __enter__(self) -> StudentModule:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _output_tail(self, limit: int = 1500) -> str:
        try:
            with self._log.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - limit))
                return fh.read().decode(errors="replace")
        except OSError:
            return ""

    def _died(self, during: str) -> StudentError:
        assert self._proc is not None
        code = self._proc.wait()
        if code < 0:
            why = f"was killed by signal {signal.Signals(-code).name}"
            if -code in (signal.SIGKILL, signal.SIGSEGV):
                why += " (a crash, or the memory limit)"
        else:
            why = f"exited with code {code} (sys.exit/os._exit?)"
        return StudentError(
            kind="crash",
            type="ProcessDied",
            message=f"your code's process {why} {during}",
            output=self._output_tail(),
        )

    def _ensure_ready(self) -> StudentError | None:
        if self._import_error is not None:
            return self._import_error
        if self._proc is None:
            self.start()
        if self._ready:
            return None
        deadline = time.monotonic() + self.limits.import_timeout
        try:
            message = json.loads(read_frame(self._resp_r, deadline))
        except FrameTimeout:
            self._kill()
            self._import_error = StudentError(
                kind="import_error",
                type="Timeout",
                message=(
                    f"importing {self.path.name} took longer than "
                    f"{self.limits.import_timeout:g} s (an infinite loop at module level?)"
                ),
                output=self._output_tail(),
            )
            return self._import_error
        except (PeerClosed, ValueError):
            error = self._died("while importing your file")
            self._kill()
            self._import_error = StudentError(
                kind="import_error", type=error.type, message=error.message, output=error.output
            )
            return self._import_error
        if not message.get("ready"):
            err = message.get("error", {})
            self._kill()
            self._import_error = StudentError(
                kind="import_error",
                type=str(err.get("type", "Error")),
                message=str(err.get("message", "")),
                traceback=str(err.get("traceback", "")),
                output=self._output_tail(),
            )
            return self._import_error
        self._ready = True
        return None

    # -- calls --------------------------------------------------------------
    def call(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> CallOutcome:
        """Run `func(*args, **kwargs)` in the worker; never raises for student faults."""
        return self.submit(func, *args, timeout=timeout, **kwargs).result()

    def submit(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> PendingCall:
        """Start `func(*args, **kwargs)` in the worker and return at once.

        The grader computes the expected value while the student's code runs;
        `result()` then collects the outcome. One call may be pending at a time.
        """
        if self._pending:
            raise RuntimeError("a call is already pending; collect its result() first")
        start = time.monotonic()
        if self._timeouts.get(func, 0) >= MAX_TIMEOUTS_PER_FUNCTION:
            # Keeps a hostile submission bounded: a function that hangs is not waited on forever.
            return PendingCall.done(
                CallOutcome(
                    error=StudentError(
                        kind="timeout",
                        type="Timeout",
                        message=f"{func}() was not run again: it already timed out "
                        f"{MAX_TIMEOUTS_PER_FUNCTION} times",
                    )
                )
            )
        error = self._ensure_ready()
        if error is not None:
            return PendingCall.done(CallOutcome(error=error))
        request = json.dumps(
            {
                "func": func,
                "args": codec.to_jsonable(list(args)),
                "kwargs": codec.to_jsonable(kwargs),
            },
            allow_nan=False,
        ).encode()
        limit = timeout if timeout is not None else self.limits.call_timeout
        try:
            write_frame(self._req_w, request)
        except BrokenPipeError:
            error = self._died(f"while running {func}()")
            self._kill()
            return PendingCall.done(CallOutcome(error=error, seconds=time.monotonic() - start))
        self._pending = True
        return PendingCall(lambda: self._collect(func, start, limit))

    def _collect(self, func: str, start: float, limit: float) -> CallOutcome:
        self._pending = False
        try:
            raw = read_frame(self._resp_r, start + limit)
            reply = json.loads(raw)
        except FrameTimeout:
            self._kill()
            self._timeouts[func] = self._timeouts.get(func, 0) + 1
            return CallOutcome(
                error=StudentError(
                    kind="timeout",
                    type="Timeout",
                    message=f"{func}() did not return within {limit:g} s (an infinite loop?)",
                    output=self._output_tail(),
                ),
                seconds=time.monotonic() - start,
            )
        except (PeerClosed, BrokenPipeError):
            error = self._died(f"while running {func}()")
            self._kill()
            return CallOutcome(error=error, seconds=time.monotonic() - start)
        except ValueError as exc:  # malformed frame or JSON: the student wrote to our pipe
            self._kill()
            return CallOutcome(
                error=StudentError(kind="crash", type="ProtocolError", message=str(exc)),
                seconds=time.monotonic() - start,
            )
        seconds = time.monotonic() - start
        if not reply.get("ok"):
            err = reply.get("error", {})
            err_type = str(err.get("type", "Error"))
            kind = {
                "NotImplementedError": "not_implemented",
                "MissingFunction": "missing_function",
            }.get(err_type, "exception")
            return CallOutcome(
                error=StudentError(
                    kind=kind,
                    type=err_type,
                    message=str(err.get("message", "")),
                    traceback=str(err.get("traceback", "")),
                    output=self._output_tail(),
                ),
                seconds=seconds,
            )
        try:
            value = codec.from_jsonable(reply["value"])
            args_after = codec.from_jsonable(reply["args_after"])
        except (codec.CodecError, KeyError, TypeError, ValueError) as exc:
            return CallOutcome(
                error=StudentError(kind="exception", type="BadValue", message=str(exc)),
                seconds=seconds,
            )
        return CallOutcome(value=value, args_after=args_after, seconds=seconds)


class PendingCall:
    """A call running in the worker; `result()` waits for it (once)."""

    def __init__(self, collect: Callable[[], CallOutcome]) -> None:
        self._collect: Callable[[], CallOutcome] | None = collect
        self._outcome: CallOutcome | None = None

    @classmethod
    def done(cls, outcome: CallOutcome) -> PendingCall:
        pending = cls(lambda: outcome)
        return pending

    def result(self) -> CallOutcome:
        if self._collect is not None:
            self._outcome = self._collect()
            self._collect = None
        assert self._outcome is not None
        return self._outcome


class _ForkedProcess:
    """The parent's handle on a forked worker: the little of Popen the client uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def _fork_worker(args: list[str], env: dict[str, str], *, cwd: Path, keep: tuple[int, ...]) -> _ForkedProcess:
    """Fork a worker from this process (which has numpy loaded already) and serve."""
    pid = os.fork()
    if pid:
        return _ForkedProcess(pid)
    try:  # the child: never returns into the grader's code
        os.setsid()  # its own process group, so a kill reaches anything it spawns
        # Close every descriptor but the two pipes: the grader's other pipes (a batch
        # pool's result queue, say) must be out of the student's reach.
        max_fd = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096
        low = 3
        for fd in sorted(keep):
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, max_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        if devnull > 2:
            os.close(devnull)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        for name in [m for m in sys.modules if m == "_student" or m.startswith("_grader_reference")]:
            del sys.modules[name]
        import numpy as np

        np.random.seed(None)  # a fork copies the global generator's state: reseed like a fresh process
        from grader.sandbox.worker import serve

        serve(args)
    finally:
        os._exit(0)
