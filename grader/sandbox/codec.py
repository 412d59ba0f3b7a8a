"""A safe value format between the grader and the student worker.

Plain JSON with a few tagged objects. Nothing is ever unpickled or eval'd:
arrays travel as raw bytes of a whitelisted numeric dtype, SymPy expressions
as their string (parsed later by the whitelist parser in `grader.symbolic`),
and anything else as an opaque description the grader can only display.

Used by both sides, so it imports only the standard library; numpy is imported
lazily when an array is actually encoded or decoded.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

# Only plain numeric and boolean dtypes may cross the boundary.
_ALLOWED_KINDS = frozenset("biufc")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a request from the grader
MAX_REPLY_BYTES = 16 * 1024 * 1024  # a reply from student code, once encoded
_MAX_REPR = 200
MAX_DEPTH = 64  # containers in containers: the course's deepest value is about 4


class CodecError(ValueError):
    """A message that is malformed or breaks the format's limits."""


class Opaque:
    """A value the grader cannot use (an unsupported type): kept only for display."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and (self.type_name, self.text) == (
            other.type_name,
            other.text,
        )

    __hash__ = None  # type: ignore[assignment]


class SymbolicText(str):
    """A SymPy expression sent as text; the grader parses it with its whitelist parser."""


class CallableRef:
    """A trusted function named by the grader, rebuilt on the worker's side.

    Student functions such as `gradient_descent(grad_fn, ...)` take callables;
    code cannot cross the boundary, so both sides build the function from a
    registry of trusted ones (`grader.sandbox.callables`) by name and parameters.
    """

    def __init__(self, name: str, **params: Any) -> None:
        self.name = name
        self.params = params
        self._built: Any = None

    def resolve(self) -> Any:
        """A freshly built function (some keep state for one call, e.g. `local_grad(i)` asked once)."""
        from grader.sandbox.callables import build

        return build(self.name, self.params)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Built once per object, as the worker does once per call: a central-difference check calls
        # one loss thousands of times, and building it (its data as arrays) cost more than the loss.
        if self._built is None:
            self._built = self.resolve()
        return self._built(*args, **kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> CallableRef:
        # Every reference call gets copies of its arguments: a copy starts unbuilt, so no state
        # crosses from one call to the next.
        import copy

        return CallableRef(self.name, **copy.deepcopy(self.params, memo))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({inner})" if inner else self.name


def _is_sympy(value: Any) -> bool:
    return type(value).__module__.startswith("sympy") and hasattr(value, "free_symbols")


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """Turn a value into JSON-compatible data with tagged special objects.

    Containers nested more than MAX_DEPTH deep become opaque: no value of the course is, and a
    deeper one would only exhaust the recursion of whoever decodes it.
    """
    if _depth > MAX_DEPTH and isinstance(value, list | tuple | dict):
        return _opaque(value)
    if value is None or (isinstance(value, bool | int | str) and not isinstance(value, SymbolicText)):
        return value
    if isinstance(value, SymbolicText):
        return {"__sympy__": str(value)}
    if isinstance(value, float):
        # float() first: numpy's float64 is a float subclass whose repr is "np.float64(nan)".
        return float(value) if math.isfinite(value) else {"__float__": repr(float(value))}
    if isinstance(value, CallableRef):
        return {"__callable__": value.name, "params": to_jsonable(value.params, _depth + 1)}
    if isinstance(value, list):
        return [to_jsonable(v, _depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [to_jsonable(v, _depth + 1) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: to_jsonable(v, _depth + 1) for k, v in value.items()}}
        return _opaque(value)
    module = type(value).__module__
    if module == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            return _encode_array(value, scalar=False)
        if isinstance(value, np.generic):
            return _encode_array(np.asarray(value), scalar=True)
    if _is_sympy(value):
        return {"__sympy__": str(value)}
    return _opaque(value)


def _opaque(value: Any) -> dict[str, Any]:
    try:
        text = repr(value)
    except BaseException:  # a hostile __repr__ must not break the worker
        text = "<unrepresentable>"
    return {"__opaque__": type(value).__name__, "repr": text[:_MAX_REPR]}


def _encode_array(array: Any, *, scalar: bool) -> dict[str, Any]:
    if array.dtype.kind not in _ALLOWED_KINDS:
        return {"__opaque__": f"ndarray[{array.dtype}]", "repr": repr(array)[:_MAX_REPR]}
    data = base64.b64encode(array.astype(array.dtype.newbyteorder("<")).tobytes()).decode()
    return {
        "__ndarray__": array.dtype.newbyteorder("<").str,
        "shape": list(array.shape),
        "data": data,
        "scalar": scalar,
    }


def from_jsonable(data: Any, _depth: int = 0) -> Any:
    """Inverse of `to_jsonable`, validating every tagged object (and refusing deeper nesting than it makes)."""
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if _depth > MAX_DEPTH + 1:
        raise CodecError(f"a value nested more than {MAX_DEPTH} levels deep")
    if isinstance(data, list):
        return [from_jsonable(v, _depth + 1) for v in data]
    if not isinstance(data, dict):
        raise CodecError(f"unexpected JSON value of type {type(data).__name__}")
    if "__ndarray__" in data:
        return _decode_array(data)
    if "__tuple__" in data:
        return tuple(from_jsonable(v, _depth + 1) for v in data["__tuple__"])
    if "__dict__" in data:
        return {str(k): from_jsonable(v, _depth + 1) for k, v in data["__dict__"].items()}
    if "__float__" in data:
        text = data["__float__"]
        if text not in {"nan", "inf", "-inf"}:
            raise CodecError(f"bad special float {text!r}")
        return float(text)
    if "__sympy__" in data:
        return SymbolicText(str(data["__sympy__"]))
    if "__callable__" in data:
        return CallableRef(str(data["__callable__"]), **from_jsonable(data["params"], _depth + 1))
    if "__opaque__" in data:
        return Opaque(str(data["__opaque__"]), str(data.get("repr", "")))
    raise CodecError(f"unknown tagged object with keys {sorted(data)[:5]}")


def _decode_array(data: dict[str, Any]) -> Any:
    import numpy as np

    dtype = np.dtype(str(data["__ndarray__"]))
    if dtype.kind not in _ALLOWED_KINDS:
        raise CodecError(f"dtype {dtype} is not allowed")
    shape = tuple(int(n) for n in data["shape"])
    if any(n < 0 for n in shape):
        raise CodecError("negative dimension")
    raw = base64.b64decode(data["data"], validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise CodecError("array data does not match its shape")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    return array[()] if data.get("scalar") else array


def dumps(value: Any) -> bytes:
    return json.dumps(to_jsonable(value), allow_nan=False).encode()


def loads(raw: bytes) -> Any:
    if len(raw) > MAX_MESSAGE_BYTES:
        raise CodecError("message too large")
    return from_jsonable(json.loads(raw))
