"""The worker process: imports one student module and serves calls into it.

Runs untrusted code, so it holds nothing the verdict depends on: it only
returns values (in the safe codec format) and the grader, in another process,
decides what they are worth. Forked by the zygote (`grader.sandbox.zygote_server`)
and confined (`grader.sandbox.confine`) before `serve_fds` imports the student.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import traceback
from typing import Any


def _error_payload(exc: BaseException) -> dict[str, Any]:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # Frames inside this worker are noise to a student: keep their own.
    text = "".join(line for line in tb if "grader/sandbox/worker.py" not in line)
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "traceback": text[-4000:],
    }


_KEEP = ("grader", "grader.sandbox", "grader.sandbox.codec", "grader.sandbox.callables",
         "grader.sandbox.protocol", "grader.sandbox.worker", "grader.datasets")


# The generated data sets are course material, not answers: students may use them.
_ALLOWED = frozenset({"grader.datasets"})


class _NoGraderImports(importlib.abc.MetaPathFinder):
    """Student code may not import the grader (whose package holds the reference solutions)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in _ALLOWED:
            return None
        root = fullname.partition(".")[0]
        if root in {"grader", "solutions"} or fullname.startswith("_grader_reference"):
            raise ImportError(f"importing {fullname} is not allowed in graded code")
        return None


def _close_grader_imports() -> None:
    """Forget grader modules the worker does not need and refuse to import more."""
    for name in list(sys.modules):
        if (name.startswith(("grader.", "_grader_reference")) or name == "solutions") and name not in _KEEP:
            del sys.modules[name]
    sys.meta_path.insert(0, _NoGraderImports())


def _import_student(path: str, module_name: str) -> Any:
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)  # students may split their work over files
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _args_after(codec: Any, args: list[Any], sent: Any) -> tuple[list[Any], list[int]]:
    """The arguments as the call left them, and the positions of those it left as they came.

    An argument that encodes exactly as it arrived is sent back as its position alone: the
    grader has it already, and most calls change nothing (this halves a small call's reply).
    """
    after: list[Any] = []
    kept: list[int] = []
    for i, arg in enumerate(args):
        encoded = None if callable(arg) else codec.to_jsonable(arg)
        if encoded is not None and isinstance(sent, list) and i < len(sent) and encoded == sent[i]:
            kept.append(i)
            encoded = None
        after.append(encoded)
    return after, kept


def serve_fds(path: str, module_name: str, req: int, resp: int, max_reply: int = 0) -> None:
    """Import the student's module and answer calls on the two pipes (stdio already set up)."""
    # Fresh text streams on fds 1 and 2, which now point at the output log.
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115

    from grader.sandbox import codec
    from grader.sandbox.protocol import PeerClosed, read_frame, write_frame

    limit = max_reply or codec.MAX_REPLY_BYTES

    def send(message: dict[str, Any]) -> None:
        try:
            payload = json.dumps(message, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            payload = json.dumps({"ok": False, "error": _error_payload(exc)}).encode()
        if len(payload) > limit:
            payload = json.dumps({"ok": False, "error": {
                "type": "ReplyTooLarge",
                "message": f"the value returned is {len(payload) / 2**20:.1f} MB once encoded; "
                           f"the limit is {limit / 2**20:g} MB",
                "traceback": "",
            }}).encode()
        write_frame(resp, payload)

    from grader.sandbox import callables  # noqa: F401  (needed before imports are closed)

    _close_grader_imports()
    try:
        module = _import_student(path, module_name)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included
        send({"ready": False, "error": _error_payload(exc)})
        return
    send({"ready": True})

    while True:
        try:
            request = json.loads(read_frame(req, max_bytes=codec.MAX_MESSAGE_BYTES))
        except PeerClosed:
            return
        func_name = request["func"]
        try:
            func = getattr(module, func_name)
        except AttributeError as exc:
            send({"ok": False, "error": {**_error_payload(exc), "type": "MissingFunction"}})
            continue
        try:
            args = codec.from_jsonable(request["args"])
            kwargs = codec.from_jsonable(request["kwargs"])
            args = [a.resolve() if isinstance(a, codec.CallableRef) else a for a in args]
            kwargs = {
                k: v.resolve() if isinstance(v, codec.CallableRef) else v
                for k, v in kwargs.items()
            }
            value = func(*args, **kwargs)
            after, kept = _args_after(codec, args, request["args"])
            reply = {"ok": True, "value": codec.to_jsonable(value), "args_after": after, "kept": kept}
        except BaseException as exc:
            reply = {"ok": False, "error": _error_payload(exc)}
        send(reply)
