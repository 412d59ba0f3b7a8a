"""The grader's side of the sandbox: a student module behind a process wall.

`StudentModule(path)` asks this process's zygote (`grader.sandbox.zygote`)
for a confined worker (`grader.sandbox.confine`) that imports a private copy
of the student's file; `call(name, *args)` runs one function there under a
time limit (`Limits`). A hang, crash, `sys.exit`, `os._exit`, memory bomb,
output flood or oversized reply becomes a `CallOutcome` with an error; the
worker is restarted (from the zygote again) for the next call, except when the
import itself failed, which every later call then reports at once.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox import codec
from grader.sandbox.confine import EXIT_CONFINEMENT_FAILED, EXIT_OUTPUT_LIMIT
from grader.sandbox.protocol import FrameTimeout, FrameTooLarge, PeerClosed, read_frame, write_frame
from grader.sandbox.zygote import ZygoteError, shared_zygote, zygote_env

DEFAULT_CALL_TIMEOUT = 5.0
DEFAULT_IMPORT_TIMEOUT = 20.0
IMPORT_CPU_LIMIT = 1.5  # `import matplotlib.pyplot` at the top of a file: 0.7 s
DEFAULT_MEMORY_MB = 2048
MAX_TIMEOUTS_PER_FUNCTION = 2
# A function that killed its process this often is not run again: each crash costs a fresh
# worker, and one that crashes on two inputs crashes on the rest (a stray os._exit, exit()).
MAX_CRASHES_PER_FUNCTION = 2
# CPU seconds: the reference answers in milliseconds; the slowest call of the 25 alternative
# correct submissions in tests/ (loops, einsum, other layouts) took 0.054 s of wall time
# (exercise 8's mlp_grads), so this is nine times that, while every submission that hangs
# pays it (5 % of a class: most of a batch's time before).
TIME_FLOOR = 0.5
# What a function gets once it has timed out, or once a function it calls (by the file's
# static call graph) has: the code has hung, and waiting a full floor again per call made
# one hanging submission cost seconds of every core in a batch.
REPEAT_LIMIT = 0.1
# A call with no reference time (a symbolic answer, an expected exception, a function not
# yet measured beside the reference): these answer in milliseconds when they are right.
UNMEASURED_LIMIT = 0.5
TIME_FACTOR = 100.0
SUBMISSION_BUDGET = 30.0
# A CPU-limited call may take this many times its CPU limit in wall time, plus WALL_SLACK
# seconds, before the wall clock ends it: code that waits (sleep, input()) burns no CPU.
WALL_FACTOR = 4.0
WALL_SLACK = 1.0


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
    """Time and memory limits of one student module.

    Time budgets match the work: when a hidden test runs the reference on the
    same inputs while the student's call runs (`submit` ... `result`), that
    call may take max(`time_floor`, `time_factor` × the reference's time), and
    never more than `call_timeout`. Without a reference time (`call`), the
    reference time last measured for that function applies, or else
    `unmeasured_limit` (capped by `call_timeout`). A function that timed out
    once gets only `repeat_limit` afterwards, and none after
    MAX_TIMEOUTS_PER_FUNCTION time-outs; so does a function that calls one
    that timed out (per the submission's static call graph). A function whose
    calls stopped the worker MAX_CRASHES_PER_FUNCTION times is not run again
    either (each crash costs a fresh worker). All calls of one module share
    `submission_budget` wall seconds: past it, calls fail at once.

    With `cpu_time` (the default where /proc shows it) these limits count the
    CPU seconds of the worker and everything it started, so a loaded machine
    (a batch on every core, two CPU burners beside it) cannot time out a
    correct submission; the wall clock ends a call only after `WALL_FACTOR` ×
    its limit + `WALL_SLACK` (code that sleeps or waits for input). The 0.5 s
    floor covers the spread of honest implementations (a Python loop where the
    reference uses numpy is far within 100×, and numpy and sympy are already
    imported in every worker). An import may use `import_cpu` CPU seconds and
    `import_timeout` wall seconds. `adaptive=False` (an explicit `--timeout`,
    see `explicit`) gives every call exactly `call_timeout` (CPU) seconds.
    """

    call_timeout: float = DEFAULT_CALL_TIMEOUT
    import_timeout: float = DEFAULT_IMPORT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    adaptive: bool = True
    time_floor: float = TIME_FLOOR
    time_factor: float = TIME_FACTOR
    submission_budget: float = SUBMISSION_BUDGET
    cpu_time: bool = True
    import_cpu: float = IMPORT_CPU_LIMIT
    repeat_limit: float = REPEAT_LIMIT
    unmeasured_limit: float = UNMEASURED_LIMIT

    @classmethod
    def explicit(cls, timeout: float | None, memory_mb: int | None = None) -> Limits:
        """The limits of `grade --timeout T` and `grade batch --timeout T`: T seconds for every call,
        4 T for the import (which may load numpy or sympy); the defaults when T is None."""
        memory = memory_mb if memory_mb is not None else DEFAULT_MEMORY_MB
        if timeout is None:
            return cls(memory_mb=memory)
        return cls(call_timeout=timeout, import_timeout=max(DEFAULT_IMPORT_TIMEOUT, 4 * timeout),
                   import_cpu=4 * timeout, memory_mb=memory, adaptive=False,
                   submission_budget=max(SUBMISSION_BUDGET, 10 * timeout))

    def counts_cpu(self) -> bool:
        """Are limits CPU seconds here (a machine whose /proc shows CPU time)?"""
        from grader.sandbox.cputime import available

        return self.cpu_time and available()

    def call_limit(self, reference_seconds: float | None, *, timed_out_before: bool) -> float:
        """The time one call may take (before the submission's remaining budget is applied)."""
        limit = self.call_timeout
        if not self.adaptive:
            return limit
        if reference_seconds is not None:
            limit = min(limit, max(self.time_floor, self.time_factor * reference_seconds))
        else:
            limit = min(limit, max(self.time_floor, self.unmeasured_limit))
        if timed_out_before:
            limit = min(limit, self.repeat_limit)
        return limit


class StudentModule:
    """A proxy for the student's module living in a separate, confined process.

    The worker is forked by this process's zygote (`grader.sandbox.zygote`),
    never by the grader itself, and confines itself before importing a private
    copy of the student's file (`grader.sandbox.confine`). `preload` names
    modules the zygote imports once for every worker (e.g. sympy).
    """

    def __init__(
        self,
        path: Path,
        module_name: str,
        limits: Limits | None = None,
        *,
        fork: bool = True,  # accepted for compatibility: every worker comes from the zygote now
        preload: tuple[str, ...] | list[str] = (),
    ) -> None:
        from grader.sandbox.layers import identity

        self.path = Path(path).absolute()  # not resolve(): a symlinked submission is refused, not followed
        self.module_name = module_name
        self.limits = limits or Limits()
        self.preload = tuple(preload)
        self._proc: _Keeper | None = None
        self._req_w = self._resp_r = -1
        self._ready = False
        self._import_error: StudentError | None = None
        self._dirs = _PrivateDirs(self.path, identity()[0])
        self._dirs_released = False  # handed to the worker's keeper, which removes them
        self._log = self._dirs.log
        self._timeouts: dict[str, int] = {}  # function -> how many of its calls timed out
        self._crashes: dict[str, int] = {}  # function -> how many of its calls killed the worker
        # function -> the error its calls get instead of running (it hung or crashed too often)
        self._retired: dict[str, StudentError] = {}
        self._spent = 0.0  # seconds of student calls so far, against limits.submission_budget
        self._pending = False
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self._counts_cpu = self.limits.counts_cpu()
        self._cpu_at_start = 0.0  # the worker's CPU seconds when the pending call was sent
        self._stat_fd = -1  # /proc/<worker>/stat, kept open: one pread per call
        self._graph: dict[str, set[str]] | None = None  # the submission's call graph, parsed on demand
        self._reference_time: dict[str, float] = {}  # the longest reference time measured, per function
        if self._dirs.copy_error:
            self._import_error = StudentError(kind="import_error", type="UnreadableFile",
                                              message=f"{self.path.name} could not be read: {self._dirs.copy_error}")
        else:
            self.start()

    # -- process management -------------------------------------------------
    def start(self) -> None:
        """Ask the zygote for a confined worker; it imports the student file while we work.

        The request runs on a thread: the zygote may still be importing numpy,
        and the grader meanwhile imports pytest and the reference.
        """
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        status_r, status_w = os.pipe()
        log_fd = os.open(self._log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        theirs = [req_r, resp_w, ctl_r, status_w, log_fd]
        os.set_blocking(resp_r, False)  # replies are read without a select first (`read_frame`)
        self._req_w, self._resp_r = req_w, resp_r
        self._proc = _Keeper(ctl_w, status_r)
        self._ready = False
        self._start_error = None
        spec = self._spec()

        def spawn() -> None:
            try:
                for attempt in range(2):
                    try:
                        zygote = shared_zygote(self.preload)
                        assert self._proc is not None
                        self._proc.pid, self._proc.worker = zygote.spawn(spec, theirs)
                        return
                    except ZygoteError:
                        if attempt:
                            raise
            except BaseException as exc:
                self._start_error = exc
            finally:
                for fd in theirs:
                    with contextlib.suppress(OSError):
                        os.close(fd)

        self._starting = threading.Thread(target=spawn, name="grade-spawn", daemon=True)
        self._starting.start()

    @property
    def host_pids(self) -> tuple[int | None, int]:
        """(the keeper's pid, or None where the worker has no keeper; the worker's pid, -1 if none),
        as this process sees them (inside its PID namespace the worker is pid 1)."""
        if self._proc is None:
            return None, -1
        self._wait_started()
        if self._proc.worker > 0:
            return None, self._proc.worker
        from grader.sandbox.cputime import first_child

        return self._proc.pid, first_child(self._proc.pid)

    @property
    def plan(self) -> Any:
        """The layers in force (`grader.sandbox.layers.plan`; its probes come from the zygote)."""
        from grader.sandbox.layers import plan

        return plan()

    def _spec(self) -> dict[str, Any]:
        """What the worker gets. Namespaces and cgroups are the zygote's to apply where its own probes
        found them working (`namespaces` False keeps them off: GRADE_SANDBOX_LAYERS), so nothing here
        waits for a probe."""
        from grader.sandbox.layers import KEEPER_ENV, filesystem_reason, forced, identity

        uid, drop_caps, _ = identity()
        home = str(self._dirs.work)
        env = {**zygote_env(), "HOME": home, "TMPDIR": home}
        return {
            "root": str(self._dirs.root),  # the keeper removes it when the grader is done
            "path": str(self._dirs.source),
            "module": self.module_name,
            "srcdir": str(self._dirs.src),
            "workdir": home,
            "memory": self.limits.memory_mb * 1024 * 1024,
            "fsize": OUTPUT_LIMIT_BYTES,
            "nproc": MAX_PROCESSES if uid is not None or os.geteuid() != 0 else 0,
            "max_reply": codec.MAX_REPLY_BYTES,
            "uid": uid,
            "drop_caps": drop_caps,
            "landlock": not filesystem_reason(),
            "namespaces": forced() is None,
            "keeper": os.environ.get(KEEPER_ENV, "").strip() not in ("", "0"),
            "env": env,
        }

    def _wait_started(self) -> StudentError | None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._start_error is not None:
            return StudentError(kind="crash", type="SandboxError",
                                message=f"the sandbox could not start a worker: {self._start_error}")
        return None

    def _kill(self) -> None:
        if self._proc is None:
            return
        self._wait_started()
        self._proc.kill()
        self._proc.wait()
        self._close_pipes()
        self._proc = None

    def _close_pipes(self) -> None:
        for fd in (self._req_w, self._resp_r, self._stat_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._req_w = self._resp_r = self._stat_fd = -1

    def close(self) -> None:
        """End the worker and remove its private folder.

        A worker that is still running is left to its keeper: told "end", the keeper
        kills it and all it started, then removes the folder itself, so closing does
        not wait for a process to die (and to give back its memory).
        """
        if self._dirs_released:
            return
        if self._proc is not None and self._wait_started() is None and self._proc.returncode is None:
            self._proc.release()
            self._close_pipes()
            self._proc = None
            self._dirs_released = True  # the keeper's to remove now
            return
        self._kill()
        self._dirs.cleanup()

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
        if self._proc.oom:
            why = (f"was stopped at the memory limit of {self.limits.memory_mb} MB (for your code and every "
                   "process it started, together)")
        elif code in (-signal.SIGXFSZ, EXIT_OUTPUT_LIMIT):
            why = (f"exceeded the output limit: it printed (or wrote to one file) more than "
                   f"{OUTPUT_LIMIT_BYTES // 2**20} MB")
        elif code < 0:
            why = f"was killed by signal {signal.Signals(-code).name}"
            if -code in (signal.SIGKILL, signal.SIGSEGV):
                why += " (a crash, or the memory limit)"
        elif code == EXIT_CONFINEMENT_FAILED:
            why = "could not be confined by the sandbox (a grader problem: please report it)"
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
        error = self._wait_started()
        if error is not None:
            self._kill()
            return error
        now = time.monotonic()
        deadline = now + self.limits.import_timeout
        try:
            if self._counts_cpu:  # the worker's CPU since its fork is the import's (it starts at 0)
                ended = self._await_reply(now, self.limits.import_cpu, deadline, 0.0)
                if ended:
                    raise FrameTimeout(ended)
            message = _reply_object(read_frame(self._resp_r, deadline))
        except FrameTimeout as exc:
            self._kill()
            if exc.args == ("cpu",):
                limit = f"more than {self.limits.import_cpu:g} s of CPU time"
            else:
                limit = f"longer than {self.limits.import_timeout:g} s"
            self._import_error = StudentError(
                kind="import_error",
                type="Timeout",
                message=f"importing {self.path.name} took {limit} (an infinite loop at module level?)",
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
            err = message.get("error")
            err = err if isinstance(err, dict) else {}
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
        if self._counts_cpu and self._proc is not None:
            from grader.sandbox.cputime import first_child, open_stat

            worker = self._proc.worker if self._proc.worker > 0 else first_child(self._proc.pid)
            self._stat_fd = open_stat(worker)  # the keeper's one child, where there is a keeper
        return None

    # -- calls --------------------------------------------------------------
    def call(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> CallOutcome:
        """Run `func(*args, **kwargs)` in the worker; never raises for student faults."""
        return self._submit(func, args, kwargs, timeout, measured=False).result()

    def submit(self, func: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> PendingCall:
        """Start `func(*args, **kwargs)` in the worker and return at once.

        The grader computes the expected value while the student's code runs;
        `result()` then collects the outcome (the time in between is the
        reference's, which sets this call's limit). One call may be pending at a time.
        """
        return self._submit(func, args, kwargs, timeout, measured=True)

    def _submit(self, func: str, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float | None,
                *, measured: bool) -> PendingCall:
        if self._pending:
            raise RuntimeError("a call is already pending; collect its result() first")
        if func in self._retired:
            # Keeps a hostile submission bounded: a function that hangs is not waited on forever.
            return PendingCall.done(CallOutcome(error=self._retired[func]))
        if self._spent >= self.limits.submission_budget:
            return PendingCall.done(CallOutcome(error=self._budget_error(func)))
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
        if self._counts_cpu:
            from grader.sandbox.cputime import process_seconds

            self._cpu_at_start = process_seconds(self._stat_fd)
        start = time.monotonic()  # after the import: that has its own limit
        try:
            write_frame(self._req_w, request)
        except BrokenPipeError:
            error = self._died(f"while running {func}()")
            self._kill()
            self._count_crash(func, error)
            return PendingCall.done(CallOutcome(error=error, seconds=time.monotonic() - start))
        self._pending = True
        return PendingCall(lambda seconds: self._collect(func, args, start, timeout, measured, seconds))

    def _count_crash(self, func: str, error: StudentError) -> None:
        self._crashes[func] = self._crashes.get(func, 0) + 1
        if self._crashes[func] >= MAX_CRASHES_PER_FUNCTION:
            self._retired[func] = StudentError(
                kind="crash", type=error.type, output=error.output,
                message=f"{func}() was not run again: it already stopped your code's process "
                        f"{self._crashes[func]} times (the last time: {error.message})")

    def _budget_error(self, func: str) -> StudentError:
        return StudentError(
            kind="timeout", type="Timeout",
            message=f"{func}() was not run: your code already used this exercise's time budget of "
                    f"{self.limits.submission_budget:g} s (earlier calls were too slow or hung)",
        )

    def _hung_callee(self, func: str) -> str | None:
        """A function `func` calls (directly or not, by the file's call graph) that has timed out."""
        if not self._timeouts:
            return None
        if self._graph is None:
            from grader.testmap import call_graph

            try:
                self._graph = call_graph(self._dirs.source.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                self._graph = {}
        from grader.testmap import callees

        return next((g for g in callees(self._graph, func) if g in self._timeouts), None)

    def _limit(self, func: str, start: float, timeout: float | None, measured: bool,
               reference_seconds: float | None = None) -> tuple[float, str, bool]:
        """(seconds, why it is that short, whether they are wall seconds: the budget's rest)."""
        why = ""
        if timeout is not None:
            limit = timeout
        else:
            reference = (max(time.monotonic() - start, reference_seconds or 0.0) if measured
                         else self._reference_time.get(func))
            if measured:
                self._reference_time[func] = max(reference or 0.0, self._reference_time.get(func, 0.0))
            hung = None if func in self._timeouts or not self.limits.adaptive else self._hung_callee(func)
            limit = self.limits.call_limit(reference, timed_out_before=func in self._timeouts or hung is not None)
            if hung is not None:
                why = f" (it calls {hung}(), which did not return earlier)"
        left = self.limits.submission_budget - self._spent
        if left < limit:
            return (max(left, 0.1), f" (the rest of this exercise's {self.limits.submission_budget:g} s time budget)",
                    True)
        return limit, why, False

    def _collect(self, func: str, args: tuple[Any, ...], start: float, timeout: float | None, measured: bool,
                 reference_seconds: float | None = None) -> CallOutcome:
        self._pending = False
        limit, why, wall_only = self._limit(func, start, timeout, measured, reference_seconds)
        try:
            return self._receive(func, args, start, limit, why, wall_only)
        finally:
            self._spent += time.monotonic() - start

    def _tree_cpu(self) -> float:
        from grader.sandbox.cputime import tree_cpu_seconds

        if self._proc is not None and self._proc.worker > 0:  # no keeper: the worker's tree, itself included
            return tree_cpu_seconds(self._proc.worker, include_root=True)
        return tree_cpu_seconds(self._proc.pid if self._proc is not None else -1)

    def _await_reply(self, start: float, cpu_limit: float, wall_deadline: float, cpu_start: float) -> str:
        """Wait until the worker's reply pipe is readable: "" then, or why the wait ended ("cpu", "wall").

        CPU time never runs ahead of wall time for one process, so after waiting the
        limit's worth of wall time the tree is checked, then again after the CPU time
        still left, and so on: a handful of /proc reads for a call that hangs, none for
        one that answers in time. (Several busy processes can use CPU faster than wall
        time passes: they are caught at the next check.)
        """
        check_at = start + cpu_limit
        while True:
            wait = min(check_at, wall_deadline) - time.monotonic()
            if wait > 0:
                try:
                    ready, _, _ = select.select([self._resp_r], [], [], wait)
                except InterruptedError:
                    continue
                if ready:
                    return ""
                continue
            if time.monotonic() >= wall_deadline:
                return "wall"
            left = cpu_limit - (self._tree_cpu() - cpu_start)
            if left <= 0.01:  # /proc counts in clock ticks (10 ms)
                return "cpu"
            check_at = time.monotonic() + left

    def _receive(self, func: str, args: tuple[Any, ...], start: float, limit: float, why: str,
                 wall_only: bool = False) -> CallOutcome:
        wall = start + limit
        try:
            if self._counts_cpu and not wall_only:
                wall = start + WALL_FACTOR * limit + WALL_SLACK
                ended = self._await_reply(start, limit, wall, self._cpu_at_start)
                if ended:
                    raise FrameTimeout(ended)
            reply = _reply_object(read_frame(self._resp_r, wall, max_bytes=codec.MAX_REPLY_BYTES))
        except FrameTimeout as exc:
            self._kill()
            # Not after one time-out: other inputs may take another path (a hang in the sigmoid
            # branch only), and those tests should still be graded.
            self._timeouts[func] = self._timeouts.get(func, 0) + 1
            if self._timeouts[func] >= MAX_TIMEOUTS_PER_FUNCTION:
                self._retired[func] = StudentError(
                    kind="timeout", type="Timeout",
                    message=f"{func}() was not run again: it already timed out {self._timeouts[func]} times")
            if exc.args == ("cpu",):
                message = f"{func}() did not return within {limit:.3g} s of CPU time{why} (an infinite loop?)"
            elif exc.args == ("wall",):
                message = (f"{func}() did not return within {wall - start:.3g} s, mostly waiting rather than "
                           "computing (time.sleep, input() or a blocked read?)")
            else:
                message = f"{func}() did not return within {limit:.3g} s{why} (an infinite loop?)"
            return CallOutcome(
                error=StudentError(kind="timeout", type="Timeout", message=message, output=self._output_tail()),
                seconds=time.monotonic() - start,
            )
        except (PeerClosed, BrokenPipeError):
            error = self._died(f"while running {func}()")
            self._kill()
            self._count_crash(func, error)
            return CallOutcome(error=error, seconds=time.monotonic() - start)
        except FrameTooLarge as exc:
            self._kill()
            return CallOutcome(
                error=StudentError(kind="exception", type="ReplyTooLarge",
                                   message=f"{func}() sent back too much data: {exc}"),
                seconds=time.monotonic() - start,
            )
        except ValueError as exc:  # malformed frame or JSON: the student wrote to our pipe
            return self._forged(func, str(exc), start)
        seconds = time.monotonic() - start
        if not reply.get("ok"):
            err = reply.get("error")
            if not isinstance(err, dict):  # the worker always reports an error as an object
                return self._forged(func, "an error that is not an object", start)
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
            args_after = _arguments_after(args, codec.from_jsonable(reply["args_after"]), reply.get("kept", []))
        except (codec.CodecError, KeyError, TypeError, ValueError) as exc:
            # The worker encodes with to_jsonable, whose output always decodes: this frame is not its.
            return self._forged(func, str(exc), start)
        return CallOutcome(value=value, args_after=args_after, seconds=seconds)

    def _forged(self, func: str, why: str, start: float) -> CallOutcome:
        """A reply the worker's own code never writes: stop the process (a fresh one serves the next call)."""
        self._kill()
        return CallOutcome(
            error=StudentError(kind="crash", type="ProtocolError",
                               message=f"{func}() answered with a malformed reply ({why}); your code must not "
                                       "write to the grader's pipe, so its process was stopped"),
            seconds=time.monotonic() - start,
        )


def _arguments_after(args: tuple[Any, ...], after: Any, kept: Any) -> list[Any] | None:
    """The arguments as the student's call left them: the worker sends back the changed ones and
    the positions of those it left alone (`kept`), which are the grader's own objects."""
    if not kept:
        return after
    if not isinstance(after, list) or len(after) != len(args) or not isinstance(kept, list):
        raise ValueError("arguments after the call that do not match the call")
    for i in kept:
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(args) or after[i] is not None:
            raise ValueError("a kept argument that was not sent")
        after[i] = args[i]
    return after


def _reply_object(raw: bytes) -> dict[str, Any]:
    """A frame from the worker as a JSON object; ValueError for anything else.

    The student's code can write its own frames on this pipe: nesting deep enough to exhaust the
    parser's recursion, or a valid JSON value that is not an object, is a malformed frame too.
    """
    try:
        message = json.loads(raw)
    except RecursionError:
        raise ValueError("a frame nested too deeply to parse") from None
    if not isinstance(message, dict):
        raise ValueError(f"a frame that is not a JSON object but a {type(message).__name__}")
    return message


class PendingCall:
    """A call running in the worker; `result()` waits for it (once)."""

    def __init__(self, collect: Callable[[float | None], CallOutcome]) -> None:
        self._collect: Callable[[float | None], CallOutcome] | None = collect
        self._outcome: CallOutcome | None = None

    @classmethod
    def done(cls, outcome: CallOutcome) -> PendingCall:
        pending = cls(lambda _seconds: outcome)
        return pending

    def result(self, reference_seconds: float | None = None) -> CallOutcome:
        """The outcome; `reference_seconds`: what the reference cost meanwhile, when it answered from
        memory faster than it once computed (the call's limit follows the cost, not the lookup)."""
        if self._collect is not None:
            self._outcome = self._collect(reference_seconds)
            self._collect = None
        assert self._outcome is not None
        return self._outcome


class _Keeper:
    """The grader's handle on a worker's keeper: end it, learn how the worker ended."""

    def __init__(self, ctl_w: int, status_r: int) -> None:
        self.pid = -1  # the zygote's child: the keeper, or the worker itself where it has none
        self.worker = -1  # the worker, where the zygote knows it (it has no keeper)
        self.returncode: int | None = None
        self.oom = False  # the worker's cgroup hit its memory limit
        self._ctl_w = ctl_w
        self._status_r = status_r

    def kill(self) -> None:
        """Closing the control pipe makes the keeper kill the worker and all it started."""
        if self._ctl_w >= 0:
            with contextlib.suppress(OSError):
                os.close(self._ctl_w)
            self._ctl_w = -1

    def release(self) -> None:
        """End the worker without waiting to learn how it ended: told the module is done, the keeper
        also removes the private folder once everything of the student's is dead."""
        from grader.sandbox.zygote_server import END_OF_MODULE

        if self._ctl_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._ctl_w, END_OF_MODULE)
        self.kill()
        with contextlib.suppress(OSError):
            os.close(self._status_r)
        self._status_r = -1

    def _status(self, seconds: float) -> int | None:
        ready, _, _ = select.select([self._status_r], [], [], seconds)
        if not ready:
            return None
        try:
            data = json.loads(os.read(self._status_r, 4096) or b"null")
            self.oom = data.get("oom") is True
            return int(data["code"])
        except (OSError, ValueError, TypeError, KeyError):
            return -signal.SIGKILL

    def wait(self) -> int:
        if self.returncode is None:
            code = self._status(2.0)  # it died on its own: the keeper reports at once
            if code is None:  # still running (e.g. it closed its reply pipe): end it
                self.kill()
                code = self._status(60.0)
            self.returncode = -signal.SIGKILL if code is None else code
            self.kill()
            with contextlib.suppress(OSError):
                os.close(self._status_r)
        return self.returncode


OUTPUT_LIMIT_BYTES = 32 * 1024 * 1024
MAX_PROCESSES = 64
_MAX_COPIED_FILE = 4 * 1024 * 1024
_MAX_COPIED_FILES = 64


def _base_dir(uid: int | None) -> str | None:
    """Where private folders go: the temp dir, unless a worker of another uid could not enter it."""
    if uid is None:
        return None
    from grader.sandbox.layers import _readable_by_others

    base = tempfile.gettempdir()
    if _readable_by_others(base) is None:
        return base
    return "/tmp" if _readable_by_others("/tmp") is None else base


class _PrivateDirs:
    """A worker's private folder: a read-only copy of the submission, a writable work dir, the log.

    The submission and the other .py files beside it (students may split their
    work over files) are copied, never followed through symlinks; the
    original folder stays out of the worker's reach.
    """

    def __init__(self, path: Path, uid: int | None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="grade-worker-", dir=_base_dir(uid)))
        os.chmod(self.root, 0o711)
        self.src = self.root / "src"
        self.work = self.root / "work"
        self.log = self.root / "output.log"
        self.src.mkdir(mode=0o755)
        self.work.mkdir(mode=0o700)
        if uid is not None:
            os.chown(self.work, uid, uid)
        self.source = self.src / path.name
        self.copy_error = ""
        try:
            self._copy(path, self.source)
        except OSError as exc:
            self.copy_error = ("it is a symbolic link (not followed)" if exc.errno == errno.ELOOP
                               else exc.strerror or str(exc))
        with contextlib.suppress(OSError):
            siblings = sorted(p for p in path.parent.iterdir() if p.suffix == ".py" and p.name != path.name)
            for sibling in siblings[:_MAX_COPIED_FILES]:
                with contextlib.suppress(OSError):
                    self._copy(sibling, self.src / sibling.name)

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_COPIED_FILE:
                raise OSError(f"{source} is not a regular file of at most {_MAX_COPIED_FILE} bytes")
            data = os.read(fd, _MAX_COPIED_FILE + 1)
        finally:
            os.close(fd)
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            os.write(out, data)
        finally:
            os.close(out)

    def cleanup(self) -> None:
        from grader.sandbox.zygote_server import remove_private_folder

        remove_private_folder(str(self.root))
