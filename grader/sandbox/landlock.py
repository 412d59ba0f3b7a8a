"""Landlock (Linux ≥ 5.13) through raw syscalls: an allow-list for files, TCP and signals.

A process calls `restrict(rules, ...)` on itself once; from then on it (and
every process it starts) may only open files beneath the allowed paths with the
allowed rights, may not bind or connect TCP sockets (ABI ≥ 4), and may not
signal processes or reach abstract unix sockets outside its own Landlock domain
(ABI ≥ 6). Landlock also forbids ptrace of processes outside the domain, so
`/proc/<grader>/mem` and `/proc/<grader>/fd/*` cannot be opened.

Stdlib only (ctypes): the worker applies it, and `grade doctor` probes it.
"""

from __future__ import annotations

import ctypes
import os
import platform
import stat
from collections.abc import Iterable

# Syscall numbers: the same on x86_64 and aarch64 (the asm-generic table).
_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446), "arm64": (444, 445, 446)}
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_RULE_NET_PORT = 2

# Filesystem rights (bit, first ABI that knows it).
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5

_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
_FS_ABI5 = (1 << 16) - 1
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

READ = READ_FILE | READ_DIR
READ_EXEC = READ | EXECUTE
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # rights valid on a non-directory


class LandlockError(OSError):
    pass


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc: ctypes.CDLL | None = None


def _syscall(number: int, *args: object) -> int:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        err = ctypes.get_errno()
        raise LandlockError(err, os.strerror(err))
    return int(result)


def _numbers() -> tuple[int, int, int] | None:
    return _SYSCALLS.get(platform.machine())


def abi_version() -> int:
    """The kernel's Landlock ABI (0 when Landlock is missing or disabled)."""
    numbers = _numbers()
    if numbers is None:
        return 0
    try:
        return _syscall(numbers[0], None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (LandlockError, AttributeError, OSError):
        return 0


def handled_fs(abi: int) -> int:
    return _FS_ABI5 if abi >= 5 else _FS_BY_ABI[max(1, min(abi, 4))]


def restrict(rules: Iterable[tuple[int, int]], *, abi: int, deny_tcp: bool = True, scope: bool = True) -> None:
    """Restrict the calling thread/process to `rules` (pairs of O_PATH fd and rights).

    The caller must have set PR_SET_NO_NEW_PRIVS (or hold CAP_SYS_ADMIN).
    Rights an older ABI does not know are dropped, so one rule list serves all.
    """
    numbers = _numbers()
    if numbers is None or abi < 1:
        raise LandlockError(38, "Landlock is not available")
    create, add_rule, restrict_self = numbers
    fs = handled_fs(abi)
    attr = _RulesetAttr(fs, NET_BIND_TCP | NET_CONNECT_TCP if (deny_tcp and abi >= 4) else 0,
                        SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if (scope and abi >= 6) else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for fd, access in rules:
            beneath = _PathBeneathAttr(access & fs, fd)
            _syscall(add_rule, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                     ctypes.byref(beneath), ctypes.c_uint32(0))
        _syscall(restrict_self, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def open_rule(path: str, access: int) -> tuple[int, int] | None:
    """An O_PATH descriptor for `path` with the rights that suit its type (None if missing)."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return None
    is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
    return fd, access if is_dir else access & FILE_ONLY
