"""Student names as they arrive (any folder name) → safe folder names under OUT/, and CSV cells.

A submission folder may be called anything: unicode, `..`, `-rf`, `=1+1`,
`gradebook.csv`, a name that differs from another only in case, bytes that
are not UTF-8. Under OUT/ each student gets a folder name made only of
[A-Za-z0-9._-], never starting with `.` or `-`, never one of the batch's own
file names, unique even on a case-insensitive file system; a name that had
to change gets a short hash of the original appended so two names never
collide. The mapping is kept in the coordinator's store (a rerun reuses it)
and written to OUT/students.csv.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

RESERVED = frozenset({"gradebook.csv", "students.csv", "report.html", "report.json", ".grade-batch"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX = 60


def display_name(raw: str) -> str:
    """The name as text: undecodable bytes (surrogate escapes) become U+FFFD, normalised to NFC."""
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return unicodedata.normalize("NFC", text)


def _base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    safe = _UNSAFE.sub("_", ascii_name).lstrip(".-_")[:_MAX]
    return safe or "student"


def assign_folders(names: list[str], existing: dict[str, str]) -> dict[str, str]:
    """A folder name for every student in `names`, keeping those already in `existing`."""
    mapping = {n: existing[n] for n in names if n in existing}
    taken = {f.lower() for f in existing.values()} | {r.lower() for r in RESERVED}
    for name in sorted(n for n in names if n not in mapping):
        folder = _base(name)
        if folder != name or folder.lower() in taken:
            digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
            folder = f"{folder}-{digest[:8]}"
            extra = 8
            while folder.lower() in taken:  # a hash prefix collision: lengthen it
                extra += 4
                folder = f"{_base(name)}-{digest[:extra]}"
        mapping[name] = folder
        taken.add(folder.lower())
    return mapping


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR is escaped with a quote."""
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
