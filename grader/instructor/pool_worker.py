"""A batch pool worker: reads grading tasks as JSON frames, answers with plain-data results.

Started by `grader.instructor.pool.WorkerPool` as

    python -I -c <bootstrap> GRADER_PARENT REQUEST_FD RESPONSE_FD PARENT_PID

(`-I` keeps the environment's PYTHONPATH and user site out; the bootstrap
puts the coordinator's own `grader` first, so both run the same code). No
pickle anywhere: a task is a JSON object carrying the submission's bytes
(base64), the exercise, the seed and the limits; the answer is a JSON object
holding `dataclasses.asdict(ExerciseResult)`. The coordinator parses it
defensively (`grader.instructor.batch_cache.result_from_dict`), so a frame a
student's process managed to write onto this pipe can at worst cost that
job, never run code in the coordinator.

Each task's files are written into a fresh private folder (mode 0700) and
graded there with `grader.runner.grade_file`; the student's code runs in the
sandbox that `grade_file` starts, never in this process.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

# Task fields and their types; anything else in a task frame is refused.
_MAX_TASK_BYTES = 16 * 1024 * 1024
_SAFE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


class TaskError(ValueError):
    """A task frame that is not what the coordinator sends."""


def _parent_death_signal(parent: int) -> None:
    """Die with the coordinator: SIGKILL on its death (Linux), checked once for the start-up race."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _safe_file_name(name: object) -> str:
    if not isinstance(name, str) or not name or len(name) > 255 or name.startswith("."):
        raise TaskError(f"bad file name {name!r}")
    if not set(name) <= _SAFE_NAME_CHARS or not name.endswith(".py"):
        raise TaskError(f"bad file name {name!r}")
    return name


def parse_task(raw: bytes) -> dict[str, Any]:
    """Validate a task frame; returns its fields with the files decoded to bytes."""
    if len(raw) > _MAX_TASK_BYTES:
        raise TaskError("task frame too large")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise TaskError("a task must be an object")
    job_id, exercise, seed, limits = data.get("id"), data.get("exercise"), data.get("seed"), data.get("limits")
    if not isinstance(job_id, int) or not isinstance(exercise, str) or not isinstance(seed, int):
        raise TaskError("task needs an int id, an exercise name and an int seed")
    if not isinstance(limits, dict) or not all(isinstance(v, int | float) for v in limits.values()):
        raise TaskError("limits must be an object of numbers")
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise TaskError("files must be a non-empty object")
    decoded = {}
    for name, blob in files.items():
        if not isinstance(blob, str):
            raise TaskError("file contents must be base64 text")
        try:
            decoded[_safe_file_name(name)] = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise TaskError(f"file {name!r} is not base64") from exc
    main_file = _safe_file_name(data.get("main"))
    if main_file not in decoded:
        raise TaskError("the main file is not among the files")
    nonce = data.get("nonce", "")
    if not isinstance(nonce, str) or len(nonce) > 128:
        raise TaskError("bad nonce")
    return {"id": job_id, "nonce": nonce, "exercise": exercise, "seed": seed, "limits": limits, "files": decoded,
            "main": main_file}


def grade_task(task: dict[str, Any]) -> dict[str, Any]:
    """Grade one parsed task in a private folder; returns the result as plain data."""
    from grader.catalog import resolve
    from grader.runner import grade_file
    from grader.sandbox.client import Limits

    exercise = resolve(task["exercise"])
    allowed = {f.name for f in dataclasses.fields(Limits)}
    limits = Limits(**{k: v for k, v in task["limits"].items() if k in allowed})
    folder = Path(tempfile.mkdtemp(prefix="grade-submission-"))  # 0700: this user only
    try:
        for name, content in task["files"].items():
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
        result = grade_file(exercise, folder / task["main"], seed=task["seed"], limits=limits)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    # Tracebacks name the file by its private, random path: show the file name alone, so the feedback is
    # the same on every run and every machine (and tells nothing about this one).
    prefixes = {str(folder) + os.sep, str(folder.resolve()) + os.sep}
    for test in result.tests:
        for prefix in prefixes:
            test.output = test.output.replace(prefix, "")
    return result.plain()


def _import_heavy() -> None:
    import importlib

    for name in ("numpy", "grader.checking", "grader.runner", "grader.catalog"):
        importlib.import_module(name)


def _freeze() -> None:
    # A long-lived worker accumulates module objects; frozen ones are skipped by any
    # collection the grading triggers, so each job stays cheap.
    import gc

    gc.collect()
    gc.freeze()


def serve(request_fd: int, response_fd: int) -> None:
    from grader.sandbox.protocol import PeerClosed, read_frame, write_frame

    def send(message: dict[str, Any]) -> None:
        write_frame(response_fd, json.dumps(message, allow_nan=True).encode())

    from grader.sandbox.zygote import shared_zygote

    shared_zygote()  # it imports numpy while this process does: the first student need not wait for both
    _import_heavy()
    _freeze()
    send({"type": "ready", "pid": os.getpid()})
    settled = False
    while True:
        try:
            raw = read_frame(request_fd)
        except PeerClosed:
            return
        job_id, nonce = None, ""
        try:
            task = parse_task(raw)
            job_id, nonce = task["id"], task["nonce"]
            result = grade_task(task)
            send({"type": "result", "id": job_id, "nonce": nonce, "result": result})
        except Exception as exc:  # the grader's fault (or a bad task): report it, keep serving
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            send({"type": "error", "id": job_id, "nonce": nonce, "error": text[-2000:],
                  "traceback": traceback.format_exc(limit=8)[-4000:]})
        if not settled:  # the first job imported pytest's lazy parts: freeze them too
            settled = True
            _freeze()


def main(argv: list[str]) -> None:
    request_fd, response_fd, parent = (int(a) for a in argv)
    _parent_death_signal(parent)
    # Ctrl-C reaches the coordinator, which stops this process itself; a stray
    # SIGINT must not turn into a traceback here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # nothing this process or its children print reaches the coordinator's terminal
    os.close(devnull)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    serve(request_fd, response_fd)


if __name__ == "__main__":
    main(sys.argv[1:])
