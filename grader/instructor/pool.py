"""The batch coordinator's pool of grading processes: JSON frames, a watchdog per job.

Each worker is a fresh interpreter running `grader.instructor.pool_worker`
(never a fork of the coordinator, never multiprocessing: nothing on these
pipes is unpickled). The coordinator hands a free worker the next task (a
JSON object with the submission's bytes), reads the answer frame with a size
cap and parses it defensively. A worker that

  * dies (killed, crashed),                 -> that job is retried once in a fresh worker,
  * is stopped (SIGSTOP / SIGTSTP),         ->   then reported as that job's error;
  * sends a malformed or oversized frame,   ->
  * holds a job past its budget (watchdog), -> that job's result: zero, "exceeded the time budget"

is killed with its whole process tree and replaced, so it costs only the
submission it held. Tasks are handed out one at a time as workers free up
(work stealing), in the order given (the caller sorts largest first).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.sandbox.protocol import FrameTimeout, PeerClosed, read_frame
from grader.sandbox.zygote_server import remove_private_folder

MAX_RESULT_BYTES = 16 * 1024 * 1024  # one exercise's results with every test's feedback is ~10 kB
READY_TIMEOUT = 180.0  # a loaded machine imports numpy + pytest slowly
FRAME_TIMEOUT = 10.0  # once a frame has started, the rest must follow
_TICK = 0.1

_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from grader.instructor.pool_worker import main; main(sys.argv[2:])"
)


@dataclass
class Task:
    """One job for a worker: `payload` is the JSON-able task (see pool_worker.parse_task)."""

    payload: dict[str, Any]
    budget: float  # wall seconds the whole submission may take
    tag: Any = None  # the caller's handle, returned with the outcome
    attempts: int = 0
    # Builds the payload when the task is handed out (so a big class is not held in memory);
    # afterwards only its id, nonce and digest are kept.
    make: Callable[[], dict[str, Any]] | None = None

    def build(self) -> dict[str, Any]:
        """The payload to send now (built by `make` if given; then only its id, nonce and digest are kept)."""
        payload = self.make() if self.make is not None else self.payload
        if self.make is not None:
            self.payload = {k: payload[k] for k in ("id", "nonce", "digest") if k in payload}
        return payload

    def prepare(self) -> bytes:
        """The payload as one frame."""
        raw = json.dumps(self.build(), allow_nan=False).encode()
        return len(raw).to_bytes(8, "little") + raw


@dataclass
class Outcome:
    """A task's end: `result` (plain data) or `error` (why there is none), or `over_budget`."""

    task: Task
    result: dict[str, Any] | None = None
    error: str = ""
    over_budget: bool = False
    seconds: float = 0.0


class PoolError(RuntimeError):
    """The pool cannot run at all (workers fail to start)."""


# -- process trees ------------------------------------------------------------------------

def _proc_table() -> dict[int, tuple[str, int, int, int]]:
    """pid -> (state, ppid, pgrp, session) for every process, from /proc."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                raw = fh.read()
        except OSError:
            continue
        rest = raw[raw.rfind(b")") + 2:].split()
        with contextlib.suppress(IndexError, ValueError):
            table[int(entry.name)] = (rest[0].decode(), int(rest[1]), int(rest[2]), int(rest[3]))
    return table


def process_state(pid: int) -> str:
    """The kernel's one-letter state of `pid` ("R", "S", "T" stopped, "Z"...), "" if gone or unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return ""
    return raw[raw.rfind(b")") + 2:].split()[0].decode()


def descendants(pid: int, table: dict[int, tuple[str, int, int, int]] | None = None) -> set[int]:
    """Every process below `pid`, plus any in a session or group one of them leads."""
    table = _proc_table() if table is None else table
    found = {pid}
    changed = True
    while changed:
        changed = False
        for other, (_, ppid, pgrp, session) in table.items():
            if other not in found and (ppid in found or pgrp in found or session in found):
                found.add(other)
                changed = True
    found.discard(pid)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL `pid` and everything it started, freezing the tree first so nothing escapes by forking."""
    if not os.path.isdir("/proc"):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        return
    stopped: set[int] = set()
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGSTOP)
    for _ in range(20):  # a fork bomb may need a few rounds to freeze
        new = descendants(pid) - stopped
        if not new:
            break
        for other in new:
            with contextlib.suppress(OSError):
                os.kill(other, signal.SIGSTOP)
        stopped |= new
    for other in (pid, *stopped):
        with contextlib.suppress(OSError):
            os.kill(other, signal.SIGKILL)


def become_subreaper() -> bool:
    """Make orphaned descendants (a student's double-forked daemon) reparent to this process (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:
        return False


def reap_strays(keep: set[int]) -> int:
    """Kill and reap every child of this process not in `keep` (orphans adopted as subreaper)."""
    if not os.path.isdir("/proc"):
        return 0
    me = os.getpid()
    table = _proc_table()
    mine = table.get(me, ("", 0, 0, -1))[3]
    # Adopted orphans only: our own children in our session (a test's helpers, say) are left alone.
    strays = [pid for pid, (_, ppid, _, session) in table.items()
              if ppid == me and pid not in keep and session != mine]
    for pid in strays:
        kill_tree(pid)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
    return len(strays)


# -- one worker ---------------------------------------------------------------------------

@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    req_w: int
    resp_r: int
    log: int  # the grading process's stderr: a file with no name, so nothing is left on disk whatever happens
    scratch: Path  # the grading process's TMPDIR: removed with it, whatever it (or its student) left there
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    task: Task | None = None
    task_started: float = 0.0
    # Sent ahead while `task` is graded, so the process starts on it the moment it answers
    # (not after a round trip through this loop): it waits in the pipe, not yet started.
    next: Task | None = None
    outbox: bytes = b""
    cpu: int | None = None  # the CPU it is pinned to (`WorkerPool._pin`)

    def log_tail(self, limit: int = 1500) -> str:
        try:
            size = os.fstat(self.log).st_size
            data = os.pread(self.log, limit, max(0, size - limit))
        except OSError:
            return ""
        return data.decode(errors="replace").strip()


def _anonymous_log() -> int:
    """A private file for a grading process's stderr that no path leads to (and none is left behind).

    Linux makes it unnamed from the start (O_TMPFILE); elsewhere it is created and unlinked at once.
    """
    with tempfile.TemporaryFile(prefix="grade-worker-", suffix=".log") as fh:
        return os.dup(fh.fileno())


def _spawn(env: dict[str, str], scratch_root: Path) -> _Worker:
    scratch = Path(tempfile.mkdtemp(prefix="job-", dir=scratch_root))
    os.chmod(scratch, 0o711)  # a separate-uid student worker must reach its private folder inside
    env = {**env, "TMPDIR": str(scratch)}
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    log = _anonymous_log()
    grader_parent = str(Path(__file__).resolve().parents[2])
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOTSTRAP, grader_parent, str(req_r), str(resp_w), str(os.getpid())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            pass_fds=(req_r, resp_w), env=env, close_fds=True,
            start_new_session=True,  # its own group: the terminal's Ctrl-C reaches only the coordinator
        )
    except BaseException:
        for own in (req_w, resp_r, log):
            os.close(own)
        remove_private_folder(str(scratch))
        raise
    finally:
        for own in (req_r, resp_w):
            os.close(own)
    flags = fcntl.fcntl(req_w, fcntl.F_GETFL)
    fcntl.fcntl(req_w, fcntl.F_SETFL, flags | os.O_NONBLOCK)  # a stopped worker must not block us
    for own in (req_w, resp_r):
        fcntl.fcntl(own, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    os.set_blocking(resp_r, False)  # answers are read without a select first (`read_frame`)
    fcntl.fcntl(log, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    return _Worker(proc, req_w, resp_r, log, scratch)


def _close(worker: _Worker, *, kill: bool = True) -> None:
    if kill and worker.proc.poll() is None:
        kill_tree(worker.proc.pid)
    for fd in (worker.req_w, worker.resp_r, worker.log):
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.proc.wait(timeout=10)
    # A grading process killed mid-job (over budget, stopped, crashed) had no chance to remove the
    # submission's copy or its student's private folder: they are all under its scratch folder.
    remove_private_folder(str(worker.scratch))


def _death(worker: _Worker) -> str:
    try:  # the pipe closes a moment before the process can be reaped
        code = worker.proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        code = None
    if code is None:
        return "the grading process stopped answering"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"the grading process was killed by {signal.Signals(-code).name}"
    return f"the grading process exited with code {code}"


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # -I ignores it anyway; the bootstrap sets the path
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[key] = "1"  # one core per worker: the pool is the parallelism
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


# -- scratch folders -----------------------------------------------------------------------

SCRATCH_PREFIX = "grade-pool-"


def sweep_scratch_folders(base: str | None = None) -> int:
    """Remove the scratch folders of pools whose coordinator died without closing them (SIGKILL).

    A pool's folder is named after its coordinator's pid; it is removed only if it is this
    user's and no process has that pid any more (a reused pid keeps it: better left than lost).
    """
    base = base or tempfile.gettempdir()
    removed = 0
    with contextlib.suppress(OSError), os.scandir(base) as entries:
        for entry in entries:
            pid, _, rest = entry.name.removeprefix(SCRATCH_PREFIX).partition("-")
            if not entry.name.startswith(SCRATCH_PREFIX) or not pid.isdigit() or not rest:
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid != os.getuid() or not entry.is_dir(follow_symlinks=False):
                    continue
                try:
                    os.kill(int(pid), 0)
                    continue  # alive (or a pid reused by someone else's process)
                except ProcessLookupError:
                    pass
                except PermissionError:
                    continue
                remove_private_folder(entry.path)
                removed += 1
    return removed


# -- the pool -----------------------------------------------------------------------------

PIN_ENV = "GRADE_BATCH_PIN"  # "0": let the scheduler place the grading processes


def usable_cpus() -> list[int]:
    """The CPUs this process may run on (its affinity: a container's or `taskset`'s share)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def default_jobs() -> int:
    """Grading processes when `--jobs` is not given: one per CPU this process may use, each pinned there.

    A grading process used to leave gaps (waiting for its worker to start, for each reply) that an
    extra process filled. The gaps are gone: the zygote forks each worker ahead of its request
    (joining a cgroup waits 8 to 16 ms for the kernel), the next task waits in the pipe, and a
    pinned grader wakes its worker on the same CPU. Measured on 2 cores, 300 exercise-1
    submissions: 5.3-5.6 s with 2 pinned processes, 6.2-6.8 s with 3, 6.5-6.7 s with 4 pinned.
    """
    return len(usable_cpus())


class WorkerPool:
    """Up to `size` worker processes; `run(tasks)` yields each task's Outcome as it ends."""

    def __init__(self, size: int, *, retries: int = 1, sweep: bool = False, pin: bool | None = None) -> None:
        self.size = max(1, size)
        # One grading process per CPU, each on its own (`_pin`); not when there are more processes
        # than CPUs (then the scheduler balances them), nor with GRADE_BATCH_PIN=0.
        cpus = usable_cpus()
        if pin is None:
            pin = os.environ.get(PIN_ENV, "1").strip() != "0" and self.size <= len(cpus)
        self._cpus = cpus if pin and hasattr(os, "sched_setaffinity") else []
        self.retries = retries
        self.sweep = sweep  # also kill orphans adopted by this process (only when it owns all its children)
        self._workers: list[_Worker] = []
        self._env = worker_env()
        sweep_scratch_folders()
        # 0711: each grading process's folder inside must be reachable by a separate-uid student worker.
        self._scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        os.chmod(self._scratch, 0o711)
        self._spawn_failures = 0
        self.replaced = 0
        self._last_sweep = 0.0
        if sweep:
            become_subreaper()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill every worker (and everything they started)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            if worker.proc.poll() is None:
                with contextlib.suppress(OSError):
                    os.kill(worker.proc.pid, signal.SIGSTOP)
        for worker in workers:
            _close(worker)
        if self.sweep:
            reap_strays(set())  # orphans a student left behind, adopted by this subreaper
        remove_private_folder(str(self._scratch))

    def _pin(self, worker: _Worker) -> None:
        """Keep the grading process, its zygote and its students' workers on one CPU, the least taken.

        A grader and its worker take turns (a call, a reply): on one CPU each wakes the other
        without an interrupt to another CPU, and finds its caches warm. Measured on 2 cores, 300
        exercise-1 submissions: 5.3-5.6 s pinned, 6.0-6.4 s not (`benchmarks/bench_batch_vs_nbgrader.py`).
        """
        if not self._cpus:
            return
        taken = {cpu: 0 for cpu in self._cpus}
        for other in self._workers:
            if other.cpu in taken:
                taken[other.cpu] += 1
        cpu = min(self._cpus, key=lambda c: taken[c])
        try:
            os.sched_setaffinity(worker.proc.pid, {cpu})
        except OSError:  # gone already, or not allowed: it runs where the scheduler puts it
            return
        worker.cpu = cpu

    def worker_pids(self) -> set[int]:
        return {w.proc.pid for w in self._workers}

    def _replace(self, worker: _Worker) -> None:
        _close(worker)
        self._workers.remove(worker)
        self.replaced += 1

    def run(self, tasks: Iterable[Task], *, stop: Callable[[], bool] = lambda: False) -> Iterator[Outcome]:
        queue: deque[Task] = deque(tasks)
        while queue or any(w.task for w in self._workers):
            if stop():
                return
            # keep the pool at size while there is work
            while len(self._workers) < min(self.size, len(queue) + sum(1 for w in self._workers if w.task)):
                worker = _spawn(self._env, self._scratch)
                self._pin(worker)
                self._workers.append(worker)
            for worker in self._workers:
                if not worker.ready or not queue:
                    continue
                if worker.task is None and not worker.outbox:
                    yield from self._hand_out(worker, queue, ahead=False)
                # Only while there is plenty left: a task sent ahead waits for the one before it,
                # and at the end that would make a straggler of it.
                if worker.task is not None and worker.next is None and len(queue) >= 2 * len(self._workers):
                    yield from self._hand_out(worker, queue, ahead=True)
            yield from self._step(queue)

    def _hand_out(self, worker: _Worker, queue: deque[Task], *, ahead: bool) -> Iterator[Outcome]:
        task = queue.popleft()
        task.attempts += 1
        try:
            frame = task.prepare()
        except Exception as exc:  # e.g. the file changed into something unreadable
            yield Outcome(task, error=f"could not read the submission: {exc}")
            return
        worker.outbox += frame
        if ahead:
            worker.next = task
        else:
            worker.task, worker.task_started = task, time.monotonic()

    def _requeue_next(self, worker: _Worker, queue: deque[Task]) -> None:
        """The task sent ahead to a worker that is going away never started: back to the queue, uncounted."""
        task, worker.next = worker.next, None
        if task is not None:
            task.attempts -= 1
            queue.appendleft(task)

    def _step(self, queue: deque[Task]) -> Iterator[Outcome]:
        readable = [w.resp_r for w in self._workers]
        writable = [w.req_w for w in self._workers if w.outbox]
        try:
            ready_r, ready_w, _ = select.select(readable, writable, [], _TICK)
        except InterruptedError:
            return
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.req_w in ready_w:
                self._flush(worker)
            if worker.resp_r in ready_r:
                yield from self._receive(worker, queue)
                continue
            yield from self._watch(worker, queue, now)
        if self.sweep and now - self._last_sweep >= 1.0:
            self._last_sweep = now
            reap_strays(self.worker_pids())

    def _flush(self, worker: _Worker) -> None:
        try:
            written = os.write(worker.req_w, worker.outbox)
            worker.outbox = worker.outbox[written:]
        except BlockingIOError:
            pass
        except OSError as exc:  # the worker is gone; _receive sees the closed pipe
            if exc.errno != errno.EPIPE:
                raise

    def _receive(self, worker: _Worker, queue: deque[Task]) -> Iterator[Outcome]:
        try:
            raw = read_frame(worker.resp_r, time.monotonic() + FRAME_TIMEOUT)
            if len(raw) > MAX_RESULT_BYTES:
                raise ValueError(f"an answer of {len(raw)} bytes (the cap is {MAX_RESULT_BYTES})")
            message = json.loads(raw)
            if not isinstance(message, dict):
                raise ValueError("an answer that is not an object")
        except PeerClosed:
            yield from self._lost(worker, queue, _death(worker))
            return
        except (FrameTimeout, ValueError, UnicodeDecodeError) as exc:
            yield from self._lost(worker, queue, f"the grading process sent a malformed answer ({exc})")
            return
        kind = message.get("type")
        if kind == "ready" and not worker.ready:
            worker.ready = True
            self._spawn_failures = 0
            return
        task = worker.task
        if (task is None or kind not in ("result", "error") or message.get("id") != task.payload.get("id")
                or message.get("nonce", "") != task.payload.get("nonce", "")):
            yield from self._lost(worker, queue, "the grading process sent an answer nobody asked for")
            return
        now = time.monotonic()
        seconds = now - worker.task_started
        # The process reads the task sent ahead as soon as it has answered: it is running now.
        worker.task, worker.next = worker.next, None
        if worker.task is not None:
            worker.task_started = now
        if kind == "result" and isinstance(message.get("result"), dict):
            yield Outcome(task, result=message["result"], seconds=seconds)
        else:
            yield Outcome(task, error=f"grading failed: {str(message.get('error', 'unknown error'))[:2000]}",
                          seconds=seconds)

    def _watch(self, worker: _Worker, queue: deque[Task], now: float) -> Iterator[Outcome]:
        if not worker.ready:
            if worker.proc.poll() is not None or now - worker.started > READY_TIMEOUT:
                self._spawn_failures += 1
                tail = worker.log_tail()
                self._replace(worker)
                if self._spawn_failures >= 3:
                    raise PoolError(f"grading processes fail to start: {tail or 'no output'}")
            return
        if worker.task is None:
            if worker.proc.poll() is not None or process_state(worker.proc.pid) in ("T", "t"):
                self._replace(worker)  # died or was stopped between jobs: costs nobody anything
            return
        if process_state(worker.proc.pid) in ("T", "t"):
            yield from self._lost(worker, queue, "the grading process was stopped (SIGSTOP?) while grading")
        elif worker.proc.poll() is not None:
            yield from self._lost(worker, queue, _death(worker))
        elif now - worker.task_started > worker.task.budget:
            task = worker.task
            worker.task = None
            self._requeue_next(worker, queue)
            self._replace(worker)
            yield Outcome(task, over_budget=True, seconds=now - worker.task_started,
                          error=f"exceeded the time budget of {task.budget:g} s")

    def _lost(self, worker: _Worker, queue: deque[Task], why: str) -> Iterator[Outcome]:
        """The worker is unusable: replace it; its job is retried once, then reported."""
        task, worker.task = worker.task, None
        seconds = time.monotonic() - worker.task_started
        tail = worker.log_tail(400)
        self._requeue_next(worker, queue)
        self._replace(worker)
        if task is None:
            return
        if task.attempts <= self.retries:
            queue.appendleft(task)
            return
        detail = f"; its log: {tail}" if tail and "Traceback" in tail else ""
        yield Outcome(task, error=f"{why}{detail}", seconds=seconds)
