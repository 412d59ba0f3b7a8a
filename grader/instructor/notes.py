"""What explains a score: one short note per exercise, read from the graded result.

The runner's feedback already says what happened in each test; this module
condenses it into the gradebook's `notes` column and counts each kind for the
batch summary. Kinds, in the order they are checked:

    not submitted                 no file for the exercise
    refused                       the only candidates were links, or unreadable / too big / malformed
    did not import: SyntaxError line 12     (or "…: timed out", "…: crashed")
    timed out in gradient_step, sgd         a call hit its time limit
    exceeded the time budget      the pool's watchdog stopped the whole submission
    crashed (memory limit) in f   MemoryError, or the process was killed near the limit
    crashed (SIGSEGV) in f / exited (code 3) in f
    grader error                  the grader's own fault, or a grading process the submission stopped,
                                  killed or fed forged answers (reported, exit code 1)
    graded file: a/b.py (2 candidates)     when the choice was ambiguous
"""

from __future__ import annotations

import re
from collections import Counter

from grader.results import ExerciseResult

_CALL = re.compile(r"^call:\s+([A-Za-z_][A-Za-z0-9_]*)\(", re.MULTILINE)
_TIMED_OUT = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)\(\) (?:did not return within|was not run again: it already timed out)")
_IMPORT = re.compile(r"could not be imported[^\n]*\n([A-Za-z_][A-Za-z0-9_.]*): ?(.*)")
_LINE = re.compile(r"line (\d+)")
_SIGNAL = re.compile(r"killed by signal (SIG[A-Z0-9]+)")
_EXIT = re.compile(r"exited with code (-?\d+)")

KINDS = ("not submitted", "refused", "did not import", "timed out", "exceeded the time budget", "crashed",
         "grader error")


def _functions(outputs: list[str], pattern: re.Pattern[str]) -> list[str]:
    seen: dict[str, None] = {}
    for text in outputs:
        for match in pattern.finditer(text):
            seen.setdefault(match.group(1))
    return list(seen)


def _crash_function(text: str) -> str:
    match = _CALL.search(text)
    return f" in {match.group(1)}" if match else ""


def _import_note(text: str) -> str:
    match = _IMPORT.search(text)
    if match is None:
        return "did not import"
    kind, message = match.group(1), match.group(2)
    if kind == "Timeout" or "took longer than" in message:
        return "did not import: timed out"
    if kind == "ProcessDied":
        return "did not import: crashed"
    line = _LINE.search(message)
    return f"did not import: {kind}" + (f" line {line.group(1)}" if line else "")


def explain(result: ExerciseResult | None, *, special: str = "") -> tuple[str, list[str]]:
    """(note text, kinds) for one exercise; `special` is a note decided before grading."""
    if special:
        kind = "not submitted" if special.startswith("not submitted") else "refused"
        if special.startswith("exceeded the time budget"):
            kind = "exceeded the time budget"
        return special, [kind]
    if result is None:
        return "grader error", ["grader error"]
    outputs = [t.output for t in result.tests if t.score < t.max_score]
    notes: list[str] = []
    kinds: list[str] = []
    if result.grader_error or any("internal grader error" in o for o in outputs):
        notes.append("grader error")
        kinds.append("grader error")
    imports = [o for o in outputs if "could not be imported" in o]
    if result.import_error:  # the structured error, said once for the whole exercise
        imports = ["your file could not be imported\n" + result.import_error]
    if imports:
        notes.append(_import_note(imports[0]))
        kinds.append("did not import")
        return "; ".join(notes), kinds
    timed = _functions(outputs, _TIMED_OUT)
    if timed:
        notes.append("timed out in " + ", ".join(timed))
        kinds.append("timed out")
    crashes: dict[str, None] = {}
    for text in outputs:
        if "MemoryError" in text or "memory limit" in text.lower():
            crashes.setdefault("crashed (memory limit)" + _crash_function(text))
        elif match := _SIGNAL.search(text):
            crashes.setdefault(f"crashed ({match.group(1)})" + _crash_function(text))
        elif match := _EXIT.search(text):
            crashes.setdefault(f"exited (code {match.group(1)})" + _crash_function(text))
    if crashes:
        notes.extend(crashes)
        kinds.append("crashed")
    return "; ".join(notes), kinds


def summary(counts: Counter[str]) -> str:
    """'3 not submitted, 1 timed out, …' in the fixed order of KINDS, empty when nothing to say."""
    return ", ".join(f"{counts[k]} {k}" for k in KINDS if counts.get(k))
