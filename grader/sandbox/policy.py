"""What a confined worker may touch: the Landlock allow-list, computed once per zygote.

Read and execute: the interpreter, the standard library, every import path
(site-packages entries one by one), the system's shared libraries and a few
harmless files under /etc, /dev, /proc and /sys. Never: this package's own
directory (its solutions, hidden tests, course answers and checking code), the
checkout that holds it, the workspace (`.grade/`), other students' folders,
the batch output, other workers' temporary folders. Landlock only allows, so a
tree that contains a forbidden directory is opened up entry by entry around it.

The per-worker part (its private source copy, its writable folder, its own
/proc entry) is added by the worker itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from grader.sandbox import landlock as ll

GRADER_DIR = str(Path(__file__).resolve().parents[1])

_SYSTEM_TREES = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/opt")
_SYSTEM_FILES = (
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group",
    "/etc/nsswitch.conf", "/etc/mime.types", "/etc/os-release", "/etc/alternatives",
    "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems", "/proc/sys/kernel/osrelease",
    "/sys/devices/system/cpu", "/sys/fs/cgroup/cpu.max",
)
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def allow_except(root: str, excluded: tuple[str, ...]) -> list[str]:
    """Paths whose union is `root` minus every path in `excluded` (and what lies beneath)."""
    if any(_inside(root, ex) for ex in excluded):
        return []
    if not any(_inside(ex, root) for ex in excluded):
        return [root]
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return []
    paths: list[str] = []
    for name in entries:
        paths.extend(allow_except(os.path.join(root, name), excluded))
    return paths


def excluded_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(always excluded, excluded unless named explicitly) paths.

    Always: the package directory. In a checkout (editable install or
    PYTHONPATH) also the source tree around it (solutions/, tests/, .git, ...),
    though an import root inside it, such as a `.venv`, stays readable.
    """
    grader_dir = os.path.realpath(GRADER_DIR)
    parent = os.path.dirname(grader_dir)
    soft = () if os.path.basename(parent) in ("site-packages", "dist-packages") else (parent,)
    return (grader_dir,), soft


def read_roots() -> list[str]:
    roots: list[str] = []
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        roots.append(prefix)
    grader_dir = os.path.realpath(GRADER_DIR)
    # sys.path entries that hold the package (a checkout root) are opened up around it instead.
    roots.extend(p for p in sys.path if p and os.path.isabs(p) and not _inside(grader_dir, os.path.realpath(p)))
    roots.extend(_SYSTEM_TREES)
    executable = os.path.realpath(sys.executable)
    roots.append(executable)
    return roots


def static_rules() -> list[tuple[str, int]]:
    """(path, rights) for everything every worker may read; computed once in the zygote."""
    hard, soft = excluded_paths()
    excluded = hard + soft
    seen: set[str] = set()
    rules: list[tuple[str, int]] = []
    for root in read_roots():
        real = os.path.realpath(root)
        if not os.path.exists(real):
            continue
        explicit = any(_inside(real, s) for s in soft)
        for path in allow_except(real, hard if explicit else excluded):
            if path not in seen:
                seen.add(path)
                rules.append((path, ll.READ_EXEC))
    for path in _SYSTEM_FILES:
        if os.path.exists(path) and not any(_inside(os.path.realpath(path), ex) for ex in excluded):
            rules.append((path, ll.READ))
    for path in _DEVICES:
        if os.path.exists(path):
            rules.append((path, ll.READ_FILE | ll.WRITE_FILE))
    return rules


def open_rules(rules: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """O_PATH descriptors for the rules, kept open by the zygote and reused for every worker."""
    opened = []
    for path, access in rules:
        rule = ll.open_rule(path, access)
        if rule is not None:
            opened.append(rule)
    return opened


WORK_RIGHTS = (
    ll.READ_EXEC | ll.WRITE_FILE | ll.REMOVE_DIR | ll.REMOVE_FILE | ll.MAKE_DIR | ll.MAKE_REG | ll.MAKE_SYM
    | ll.MAKE_FIFO | ll.MAKE_SOCK | ll.REFER | ll.TRUNCATE
)
