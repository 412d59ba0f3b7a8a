"""Finding and reading a student's answer to an exercise, whatever its shape, refusing links.

A submission may hold the exercise file itself (`exercise1_update_rule.py`,
anywhere: bare, under `exercises/`, or deeper), or an nbgrader notebook
(`exercise1/exercise1.ipynb`, or any `exercise1.ipynb`). A notebook is turned
into the module `grade` expects (its given and solution cells), so every
route grades the same code with the same hidden tests.

Hygiene (the folder is untrusted):
  * the walk never follows a symbolic link, and a candidate that is a
    symbolic link or a hard link (link count > 1) is refused with a note:
    it could point at a classmate's file or at the shipped solutions;
  * files are opened with O_NOFOLLOW | O_NONBLOCK and must be regular files
    no larger than MAX_SOURCE_BYTES (MAX_NOTEBOOK_BYTES for a notebook);
  * a file that cannot be read, a notebook that is not JSON: that exercise's
    note, never an exception for the caller.

Which file is graded when there are several candidates (the documented rule):
a `.py` file beats a notebook; then a file directly in an `exercises/`
folder; then the shallowest; then the first by path in code-point order.
The others are reported ("graded file: … (2 candidates; …)").
"""

from __future__ import annotations

import ast
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from grader.catalog import Exercise
from grader.results import ExerciseResult, TestResult

_IGNORED_DIRS = {"__MACOSX", "__pycache__", "node_modules"}
MAX_SOURCE_BYTES = 1_000_000  # one exercise's Python source (and each helper module)
MAX_NOTEBOOK_BYTES = 20_000_000  # a notebook with outputs and images
MAX_HELPERS = 20


class Unreadable(Exception):
    """A candidate file that will not be graded; the message is the student's note."""


@dataclass(frozen=True)
class Found:
    """One exercise's answer inside a submission folder."""

    exercise: Exercise
    path: Path
    kind: Literal["python", "notebook"]
    folder: Path | None = None  # the student's folder (for relative names)
    candidates: tuple[Path, ...] = ()

    @property
    def relative(self) -> str:
        if self.folder is not None:
            try:
                return self.path.relative_to(self.folder).as_posix()
            except ValueError:
                pass
        return self.path.name

    def module_source(self) -> bytes:
        """The Python module that will be graded (raises Unreadable with the reason)."""
        if self.kind == "python":
            return read_untrusted(self.path, MAX_SOURCE_BYTES)
        import json

        from grader.instructor.notebook_code import notebook_module_source

        raw = read_untrusted(self.path, MAX_NOTEBOOK_BYTES)
        try:
            notebook = json.loads(raw)
            source = notebook_module_source(notebook)
        except ValueError as exc:
            raise Unreadable(f"{self.relative} is not a valid notebook (not JSON: {exc})") from None
        except (KeyError, TypeError, AttributeError) as exc:
            raise Unreadable(f"{self.relative} is not a valid notebook ({type(exc).__name__}: {exc})") from None
        data = source.encode("utf-8", "surrogatepass")
        if len(data) > MAX_SOURCE_BYTES:
            raise Unreadable(f"the code in {self.relative} is larger than {MAX_SOURCE_BYTES // 1000} kB")
        return data

    def files(self) -> dict[str, bytes]:
        """Every file grading needs: the module (under the exercise's file name) and its local imports."""
        main = self.module_source()
        files = {self.exercise.file: main}
        if self.kind == "python":
            files.update(local_helpers(self.path.parent, main, skip={self.exercise.file}))
        return files

    def digest(self) -> str:
        """A hash of everything grading this answer depends on (see `files_digest`)."""
        return files_digest(self.files())


def files_digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def read_untrusted(path: Path, cap: int) -> bytes:
    """The bytes of a regular file that is not a link, at most `cap` of them; else Unreadable."""
    name = path.name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if path.is_symlink():
            raise Unreadable(f"{name} is a symbolic link; links are not followed (submit the file itself)") from None
        raise Unreadable(f"{name} could not be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{name} is not a regular file")
        if info.st_nlink > 1:
            raise Unreadable(f"{name} is a hard link to another file; links are not accepted (submit a copy)")
        if info.st_size > cap:
            raise Unreadable(f"{name} is {info.st_size // 1000} kB, larger than the {cap // 1000} kB limit")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                raise Unreadable(f"{name} is larger than the {cap // 1000} kB limit")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(f"{name} could not be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def local_helpers(folder: Path, source: bytes, *, skip: set[str]) -> dict[str, bytes]:
    """The student's own modules `source` imports from its folder, followed transitively.

    Only plain `import x` / `from x import y` statements count (what a student
    writes); a helper that is a link, unreadable or too big is left out, so
    the import fails in the sandbox and the feedback says so.
    """
    found: dict[str, bytes] = {}
    try:
        candidates = {n for n in os.listdir(folder) if n.endswith(".py")} - skip
    except OSError:
        return found
    queue = [source]
    while queue and len(found) < MAX_HELPERS:
        text = queue.pop()
        # Parsing is the cost of a batch's planning: skip it when no file beside this one is even named.
        if not any(n[:-3].encode() in text for n in candidates if n not in found):
            continue
        for name in _imported_names(text):
            file_name = f"{name}.py"
            if file_name in found or file_name in skip:
                continue
            path = folder / file_name
            if not path.is_file() or path.is_symlink():
                continue
            try:
                found[file_name] = read_untrusted(path, MAX_SOURCE_BYTES)
            except Unreadable:
                continue
            queue.append(found[file_name])
    return found


def _imported_names(source: bytes) -> list[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name.partition(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level in (0, 1):
            names.append(node.module.partition(".")[0])
    return [n for n in names if n.isidentifier()]


@dataclass
class Search:
    """What a folder holds for one exercise: the answer to grade, and what was refused."""

    found: Found | None = None
    refused: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)


def walk(folder: Path) -> Iterator[tuple[Path, bool]]:
    """(path, is_link) of the files under `folder`, never following a link.

    Hidden folders (.ipynb_checkpoints, .git) and OS debris are skipped;
    symbolic links are listed (to be refused by name), never entered.
    """
    for root, dirs, files in os.walk(folder, followlinks=False, onerror=lambda _: None):
        base = Path(root)
        kept = []
        for d in sorted(dirs):
            if d.startswith(".") or d in _IGNORED_DIRS:
                continue
            if (base / d).is_symlink():
                yield base / d, True
                continue
            kept.append(d)
        dirs[:] = kept
        for f in sorted(files):
            if not f.startswith("."):
                yield base / f, (base / f).is_symlink()


def _rank(folder: Path, path: Path) -> tuple[int, int, str]:
    rel = path.relative_to(folder)
    return (0 if path.parent.name == "exercises" else 1, len(rel.parts), rel.as_posix())


def _is_notebook_for(path: Path, exercise: Exercise) -> bool:
    return path.suffix == ".ipynb" and (path.stem in (exercise.name, exercise.module)
                                        or path.parent.name == exercise.name)


def search(folder: Path, exercise: Exercise, files: list[tuple[Path, bool]] | None = None) -> Search:
    """The student's file for `exercise` under `folder` by the rule in the module docstring."""
    files = list(walk(folder)) if files is None else files
    outcome = Search()
    python, notebooks = [], []
    for path, is_link in files:
        wanted = path.name == exercise.file or _is_notebook_for(path, exercise)
        if not wanted:
            continue
        if is_link:
            outcome.refused.append((path.relative_to(folder).as_posix(),
                                    "a symbolic link (links are not followed; submit the file itself)"))
            continue
        (python if path.name == exercise.file else notebooks).append(path)
    for kind, group in (("python", python), ("notebook", notebooks)):
        if group:
            ordered = sorted(group, key=lambda p: _rank(folder, p))
            outcome.found = Found(exercise, ordered[0], kind, folder, tuple(ordered))  # type: ignore[arg-type]
            break
    return outcome


def find_answer(folder: Path, exercise: Exercise) -> Found | None:
    """The student's file for `exercise` under `folder` (links never followed), or None."""
    return search(folder, exercise).found


def zero_result(exercise: Exercise, seed: int, message: str) -> ExerciseResult:
    """Zero on every hidden test, each saying why (not submitted, unreadable, refused)."""
    from grader.instructor.notebooks import hidden_test_titles

    titles = hidden_test_titles(exercise)
    result = ExerciseResult(exercise.number, exercise.slug, exercise.title, seed)
    for number, (test_id, points) in enumerate(exercise.points.items(), start=1):
        result.tests.append(
            TestResult(
                name=f"exercise{exercise.number} · {titles[test_id]}",
                score=0.0,
                max_score=float(points),
                output=message,
                number=f"{exercise.number}.{number}",
                test_id=test_id,
                kind="not_submitted",  # nothing of the student's ran: the message is all there is to say
                diagnosis=message,
            )
        )
    return result


missing_result = zero_result


def not_found_message(exercise: Exercise) -> str:
    return (
        f"No {exercise.file} (or {exercise.name}.ipynb) in your submission, so {exercise.name} "
        "was not graded. Upload the file with exactly that name."
    )
