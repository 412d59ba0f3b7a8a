"""`grade batch --scheduler local|ADDRESS`: the same grading on a Dask distributed cluster.

Each task carries the submission's bytes (the same JSON task a local pool
worker gets) and returns plain data (a JSON-able dict). On the Dask worker
the task goes through that worker's own `WorkerPool` of one grading process,
so the watchdog, the private copy and the sandbox apply on every machine
exactly as on this one, and the results equal the local pool's.

`local` starts a `LocalCluster` on 127.0.0.1 (one single-threaded worker
process per job); any other value is a scheduler address, so clusters made
by dask-jobqueue (SLURM, PBS, …) or dask-kubernetes work: start the cluster,
then pass its scheduler address. Every Dask worker needs this package (same
version) and the `[cluster]` extra installed. Tasks are submitted through a
bounded window, so the coordinator's memory stays flat for any class size.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from grader.instructor.pool import Outcome, Task, WorkerPool

WINDOW_PER_WORKER = 4


class DaskUnavailable(RuntimeError):
    """dask.distributed is missing or the scheduler cannot be reached."""


_POOL: WorkerPool | None = None
_LOCK = threading.Lock()


def grade_remote(payload: dict[str, Any], budget: float) -> dict[str, Any]:
    """Runs on a Dask worker: grade one task in this worker's grading process; plain data back."""
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = WorkerPool(1)
            # A Dask worker never says it is done with us; its interpreter's exit is the end of the pool
            # (a worker killed outright leaves the scratch folder to the next pool's sweep).
            atexit.register(_POOL.close)
        outcomes = list(_POOL.run([Task(payload=payload, budget=budget)]))
    if not outcomes:
        return {"result": None, "error": "the task was not run", "over_budget": False, "seconds": 0.0}
    outcome = outcomes[0]
    return {"result": outcome.result, "error": outcome.error, "over_budget": outcome.over_budget,
            "seconds": outcome.seconds}


class DaskPool:
    """The Executor `run_batch` uses, on a Dask cluster."""

    def __init__(self, scheduler: str, *, workers: int = 1) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise DaskUnavailable(
                "--scheduler needs dask.distributed: pip install 'nn-learn-grader[cluster]'") from None
        self._cluster = None
        self._stopped = False
        try:
            if scheduler == "local":
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None,
                                             silence_logs=logging.ERROR)
                self.client = Client(self._cluster)
            else:
                self.client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            self.close()
            raise DaskUnavailable(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def run(self, tasks: Sequence[Task], *, stop: Callable[[], bool] = lambda: False) -> Iterator[Outcome]:
        from distributed import wait

        queue: deque[Task] = deque(tasks)
        running: dict[Any, Task] = {}
        window = WINDOW_PER_WORKER * self.workers
        while queue or running:
            while queue and len(running) < window:
                task = queue.popleft()
                try:
                    payload = task.build()
                except Exception as exc:
                    yield Outcome(task, error=f"could not read the submission: {exc}")
                    continue
                future = self.client.submit(grade_remote, payload, task.budget, pure=False)
                running[future] = task
            if stop():
                self._stopped = True
                for future in running:
                    future.cancel()
                return
            try:
                done, _ = wait(list(running), timeout=0.2, return_when="FIRST_COMPLETED")
            except TimeoutError:  # nothing finished in this tick
                continue
            for future in done:
                task = running.pop(future)
                try:
                    data = future.result()
                except Exception as exc:  # the Dask worker died, or the task raised
                    yield Outcome(task, error=f"the Dask task failed: {type(exc).__name__}: {exc}")
                    continue
                yield _outcome(task, data)

    def close(self) -> None:
        if self._stopped and self._cluster is not None:
            self._kill_local_workers()
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=5)

    def _kill_local_workers(self) -> None:
        """After Ctrl-C: kill our own cluster's worker processes (and their grading processes) now.

        A graceful close waits for the running tasks, which may be a hanging submission's
        whole budget; a scheduler given by address is not ours to stop.
        """
        from grader.instructor.pool import kill_tree

        for nanny in list(getattr(self._cluster, "workers", {}).values()):
            with contextlib.suppress(Exception):
                nanny.auto_restart = False  # or the nanny starts the worker again
            process = getattr(getattr(nanny, "process", None), "process", None)
            pid = getattr(process, "pid", None)
            if isinstance(pid, int) and pid > 0:
                kill_tree(pid)


def _outcome(task: Task, data: Any) -> Outcome:
    """A Dask answer (plain data) → Outcome, checked like a pool answer."""
    if not isinstance(data, dict):
        return Outcome(task, error="the Dask task returned no result")
    result = data.get("result")
    seconds = data.get("seconds")
    return Outcome(task, result=result if isinstance(result, dict) else None, error=str(data.get("error") or ""),
                   over_budget=data.get("over_budget") is True,
                   seconds=float(seconds) if isinstance(seconds, int | float) else 0.0)
