"""The reference's answers, computed once per grading process and remembered.

A batch grades hundreds of submissions against one reference, and with one
seed on the very same inputs: exercise 1 alone runs 160 epochs of batch
gradient descent and four 100-step descents per submission to build the loss
curves it asks about, the same curves for every student. `memoized(module)`
is a view of a reference module whose public functions remember what they
returned for arguments they have seen.

Only calls whose every argument has an exact key are remembered (numbers,
strings, numeric arrays by dtype, shape and bytes, containers of those, the
reference's own module-level functions, `CallableRef`s); anything else (a
generator, a lambda) is computed as before. A function that changed its
arguments is never remembered. Values are copied in and out, so a caller that
changes what it got changes nothing here. A remembered call also remembers
what it cost: time limits derived from the reference's time
(`grader.sandbox.client.Limits`) stay what they were (`ReferenceTimer`).
"""

from __future__ import annotations

import copy
import functools
import inspect
import time
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# Bounds of one view's memory: a key's arrays, a value's arrays, and all values together.
MAX_KEY_BYTES = 1 << 20
MAX_VALUE_BYTES = 4 << 20
MAX_TOTAL_BYTES = 64 << 20
_DEPTH = 16


class _Unkeyable(Exception):
    """An argument with no exact, stable key: the call is computed, not remembered."""


class _Entry:
    __slots__ = ("seconds", "size", "value")

    def __init__(self, value: Any, seconds: float, size: int) -> None:
        self.value = value
        self.seconds = seconds
        self.size = size


class ReferenceTimer:
    """What the reference calls made inside `with timer:` cost, remembered ones at their first cost.

    `seconds` is the wall time spent inside, plus, for every call answered
    from memory, the time it took when it was computed.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> ReferenceTimer:
        _TIMERS.append(self)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start
        _TIMERS.remove(self)


_TIMERS: list[ReferenceTimer] = []


def _array_key(value: Any, budget: list[int]) -> Hashable:
    if value.dtype.kind not in "biufc":
        raise _Unkeyable
    budget[0] -= value.nbytes
    if budget[0] < 0:
        raise _Unkeyable
    return ("ndarray", value.dtype.str, value.shape, value.tobytes())


def key_of(value: Any, budget: list[int] | None = None, depth: int = 0) -> Hashable:
    """An exact, hashable key of `value`; raises _Unkeyable when there is none.

    Floats are keyed by their bits (0.0 and -0.0 differ, as they may in a
    result), and every key carries its type (1, 1.0 and True are three keys).
    """
    budget = [MAX_KEY_BYTES] if budget is None else budget
    if depth > _DEPTH:
        raise _Unkeyable
    kind = type(value)
    if value is None or kind in (bool, int, str, bytes):
        return (kind.__name__, value)
    if kind is float:
        return ("float", value.hex())
    if kind is complex:
        return ("complex", value.real.hex(), value.imag.hex())
    if kind in (list, tuple):
        return (kind.__name__, *(key_of(item, budget, depth + 1) for item in value))
    if kind is dict:
        return ("dict", *((key_of(k, budget, depth + 1), key_of(v, budget, depth + 1)) for k, v in value.items()))
    module = kind.__module__
    if module == "numpy":
        import numpy as np

        if kind is np.ndarray:
            return _array_key(value, budget)
        if isinstance(value, np.generic):
            return ("scalar", _array_key(np.asarray(value), budget))
        if isinstance(value, np.ufunc):
            return ("ufunc", value)
        raise _Unkeyable
    from grader.sandbox.codec import CallableRef

    if kind is CallableRef:
        return ("callable", value.name, key_of(value.params, budget, depth + 1))
    if isinstance(value, _Memoized):
        return ("reference", value.__wrapped__)
    if isinstance(value, types.FunctionType) and _is_reference_function(value):
        # The function object itself: compared by identity, and kept alive by the key.
        return ("reference", value)
    raise _Unkeyable


def _is_reference_function(fn: types.FunctionType) -> bool:
    return fn.__module__.startswith(_REFERENCE_PREFIX) and fn.__qualname__ == fn.__name__


_REFERENCE_PREFIX = "_grader_reference_"


def _size_of(value: Any, depth: int = 0) -> int:
    """Bytes a plain value holds (what remembering it costs, roughly); -1 for anything not plain.

    Plain: numbers, strings, numeric arrays and containers of them. Anything else (an autograd
    node whose backward closure points at other nodes, a generator) is not copied faithfully by
    `copy.deepcopy`, so it is never remembered.
    """
    if depth > _DEPTH:
        return -1
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes):
        return 32 + (len(value) if kind in (str, bytes) else 0)
    if kind in (list, tuple):
        sizes = [_size_of(v, depth + 1) for v in value]
        return -1 if -1 in sizes else sum(sizes) + 8 * len(sizes)
    if kind is dict:
        sizes = [_size_of(v, depth + 1) + _size_of(k, depth + 1) for k, v in value.items()]
        return -1 if any(s < 0 for s in sizes) else sum(sizes)
    if kind.__module__ == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray | np.generic) and value.dtype.kind in "biufc":
            return int(value.nbytes) + 96
    return -1


class _Store:
    """One view's remembered calls, least recently used dropped first past MAX_TOTAL_BYTES."""

    def __init__(self) -> None:
        self.entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.size = 0
        self.impure: set[str] = set()  # functions seen changing their arguments
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, entry: _Entry) -> None:
        self.entries[key] = entry
        self.size += entry.size
        while self.size > MAX_TOTAL_BYTES and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= dropped.size


def _unwrap(value: Any) -> Any:
    # A remembered function handed to another one as a callback (gradient_descent(bowl_gradient,
    # ...)) runs as the plain function there: looking up every inner call would cost more than it saves.
    return value.__wrapped__ if isinstance(value, _Memoized) else value


class _Memoized:
    """A reference function that answers repeated calls from its view's store."""

    def __init__(self, fn: Callable[..., Any], store: _Store) -> None:
        functools.update_wrapper(self, fn)
        self._store = store

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = self.__wrapped__
        store = self._store
        name = fn.__qualname__
        if name in store.impure:
            return fn(*args, **kwargs)
        try:
            key = (name, key_of(args), key_of(kwargs))
        except _Unkeyable:
            return fn(*(_unwrap(a) for a in args), **{k: _unwrap(v) for k, v in kwargs.items()})
        entry = store.get(key)
        if entry is not None:
            store.hits += 1
            for timer in _TIMERS:
                timer.seconds += entry.seconds
            return copy.deepcopy(entry.value)
        store.misses += 1
        start = time.perf_counter()
        value = fn(*(_unwrap(a) for a in args), **{k: _unwrap(v) for k, v in kwargs.items()})
        seconds = time.perf_counter() - start
        try:
            unchanged = (name, key_of(args), key_of(kwargs)) == key
        except _Unkeyable:
            unchanged = False
        if not unchanged:
            store.impure.add(name)
            return value
        size = _size_of(value)
        if 0 <= size <= MAX_VALUE_BYTES:
            store.put(key, _Entry(copy.deepcopy(value), seconds, size))
        return value

    def __repr__(self) -> str:
        return f"<remembered {self.__wrapped__!r}>"


def memoized(module: types.ModuleType) -> types.ModuleType:
    """A view of the reference `module` whose public functions remember their answers.

    Everything else (constants, classes, private helpers) is the module's own.
    `view.__memo__` holds the store (hits and misses, for tests and benchmarks).
    """
    view = types.ModuleType(module.__name__, module.__doc__)
    store = _Store()
    for name, value in vars(module).items():
        if (isinstance(value, types.FunctionType) and not name.startswith("_")
                and value.__module__ == module.__name__ and not inspect.isgeneratorfunction(value)):
            value = _Memoized(value, store)
        setattr(view, name, value)
    view.__memo__ = store  # type: ignore[attr-defined]
    view.__wrapped__ = module  # type: ignore[attr-defined]
    return view
