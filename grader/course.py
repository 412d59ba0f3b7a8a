"""The course material: Markdown lessons and the bank of past-year questions.

Standard library only (`grade lesson` and `grade pyq` must start fast). The
material lives in `course/` of a checkout, which ships inside the installed
package as `grader/course_data/`; `course_dir()` finds either.

Lessons are `course/lessons/NN-slug.md`. A lesson's title is its first `# `
heading, its exercise is the `Do next: `grade exerciseN`` line, and the
past-year questions that belong to it are the `grade pyq ID` mentions after
that line. Worked numbers and derivative formulas in a lesson carry
machine-readable annotations (HTML comments, invisible when the Markdown is
rendered) that the project's tests recompute:

    the loss falls to **16**<!-- check: bowl_loss((2.4, 3.2)) -->
    `∂L/∂z = 2(z − y)`<!-- derivative: of=(z - y)**2; wrt=z -->

`check:` claims the value written immediately before the comment (a number,
a tuple of numbers, or a "quoted string") equals the Python expression in the
comment; a number preceded by `≈` only has to match to the decimals shown.
`derivative:` claims the right-hand side of the last `=` in the backticked
formula immediately before the comment (in plain text: of the last `=` on
the line before it) is d(of)/d(wrt); further `name=expr`
pairs define names used in the formula (e.g. `z1=w1*x`). `wrt=x,y` claims a
gradient written as a tuple. `annotations()` finds them; the tests evaluate.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_CHECKOUT_COURSE = Path(__file__).resolve().parent.parent / "course"
_INSTALLED_COURSE = Path(__file__).resolve().parent / "course_data"


def course_dir() -> Path:
    """`course/` of a checkout, else the copy installed as `grader/course_data/`."""
    if (_CHECKOUT_COURSE / "lessons").is_dir():
        return _CHECKOUT_COURSE
    return _INSTALLED_COURSE


def lessons_dir() -> Path:
    return course_dir() / "lessons"


def figures_dir() -> Path:
    return course_dir() / "figures"


def pyq_path() -> Path:
    return course_dir() / "pyq.toml"


# -- lessons ------------------------------------------------------------------

_LESSON_FILE = re.compile(r"^(\d\d)-([a-z0-9-]+)\.md$")
_DO_NEXT = re.compile(r"^Do next:.*?`grade (exercise\d+)`", re.MULTILINE)
_PYQ_MENTION = re.compile(r"`grade pyq ([a-z0-9-]+)`")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Lesson:
    """One lesson file and what it links to."""

    number: int
    slug: str
    title: str
    path: Path
    exercise: str | None  # e.g. "exercise1", from the "Do next" line
    pyqs: tuple[str, ...]  # PYQ ids listed after the "Do next" line

    @property
    def name(self) -> str:
        """The file name, e.g. ``03-partial-derivatives.md``."""
        return self.path.name

    @property
    def relpath(self) -> str:
        """The path as the PYQ bank and the README name it: ``course/lessons/NN-slug.md``."""
        return f"course/lessons/{self.path.name}"

    def text(self, *, annotations: bool = False) -> str:
        """The Markdown; annotations (HTML comments) removed unless asked for."""
        raw = self.path.read_text(encoding="utf-8")
        return raw if annotations else strip_comments(raw)


def strip_comments(markdown: str) -> str:
    """Remove HTML comments, the lessons' machine-readable annotations."""
    return _COMMENT.sub("", markdown)


def _parse_lesson(path: Path) -> Lesson:
    match = _LESSON_FILE.match(path.name)
    if match is None:
        raise ValueError(f"{path.name}: lesson files are named NN-slug.md")
    text = path.read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), None)
    if title is None:
        raise ValueError(f"{path.name}: no '# Title' heading")
    do_next = _DO_NEXT.search(text)
    tail = text[do_next.start():] if do_next else ""
    return Lesson(
        number=int(match.group(1)),
        slug=match.group(2),
        title=title,
        path=path,
        exercise=do_next.group(1) if do_next else None,
        pyqs=tuple(dict.fromkeys(_PYQ_MENTION.findall(tail))),
    )


@cache
def load_lessons(directory: Path | None = None) -> tuple[Lesson, ...]:
    """Every lesson, ordered by number."""
    directory = directory or lessons_dir()
    lessons = [_parse_lesson(p) for p in sorted(directory.glob("*.md"))]
    numbers = [lesson.number for lesson in lessons]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two lessons share a number in {directory}")
    return tuple(lessons)


class UnknownLesson(LookupError):
    def __init__(self, key: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"No lesson called {key!r}.{hint} Run `grade lesson` to list them.")


def find_lesson(key: str) -> Lesson:
    """A lesson by number (``3``, ``03``), slug (``partial-derivatives``) or file name."""
    key = key.strip().lower()
    for lesson in load_lessons():
        names = {str(lesson.number), f"{lesson.number:02d}", lesson.slug, lesson.path.stem, lesson.name}
        if key in names:
            return lesson
    candidates = [lesson.slug for lesson in load_lessons()] + [lesson.path.stem for lesson in load_lessons()]
    raise UnknownLesson(key, difflib.get_close_matches(key, candidates, n=2, cutoff=0.5))


# -- annotations ----------------------------------------------------------------

_ANNOTATION = re.compile(r"<!--\s*(check|derivative):\s*(.*?)\s*-->", re.DOTALL)
_NUMBER = r"[-−]?\d+(?:\.\d+)?"
_CLAIMED_VALUE = re.compile(
    rf"(?P<approx>≈\s*)?(?P<value>\((?:\s*{_NUMBER}\s*,)+\s*{_NUMBER}\s*\)|{_NUMBER}|\"[^\"]*\")"
    r"[*_`$]*\s*$"
)
_CLAIMED_FORMULA = re.compile(r"`([^`]+)`\s*$")


@dataclass(frozen=True)
class Annotation:
    """One `<!-- check: … -->` or `<!-- derivative: … -->` and the claim it follows."""

    kind: str  # "check" | "derivative"
    body: str  # the comment's text after "check:" / "derivative:"
    before: str  # the line's text up to the comment
    line: int

    @property
    def claim(self) -> str | None:
        """What the prose asserts: the value (check) or the formula's right-hand side (derivative)."""
        if self.kind == "check":
            match = _CLAIMED_VALUE.search(self.before)
            return match.group("value") if match else None
        match = _CLAIMED_FORMULA.search(self.before)
        # Lessons write formulas as inline code; plain text (the PYQ answers) ends with `… = formula`.
        formula = match.group(1) if match else self.before
        if "=" not in formula:
            return None
        return formula.rsplit("=", 1)[1].strip().rstrip(".,;:").strip() or None

    @property
    def approximate(self) -> bool:
        """True when the prose writes the value after `≈` (rounded to the decimals shown)."""
        match = _CLAIMED_VALUE.search(self.before)
        return bool(match and match.group("approx"))

    def fields(self) -> dict[str, str]:
        """A derivative annotation's `key=value; …` pairs, in order."""
        pairs: dict[str, str] = {}
        for part in self.body.split(";"):
            if part.strip():
                key, _, value = part.partition("=")
                pairs[key.strip()] = value.strip()
        return pairs


def annotations(markdown: str) -> list[Annotation]:
    """Every annotation in a lesson's raw Markdown, in order."""
    found = []
    for match in _ANNOTATION.finditer(markdown):
        line_start = markdown.rfind("\n", 0, match.start()) + 1
        before = _COMMENT.sub("", markdown[line_start:match.start()])
        found.append(
            Annotation(
                kind=match.group(1),
                body=match.group(2),
                before=before,
                line=markdown.count("\n", 0, match.start()) + 1,
            )
        )
    return found


# -- past-year questions ----------------------------------------------------------

PYQ_FIELDS = (
    "id", "year", "month", "number", "topic", "marks", "marks_assumed", "reconstructed",
    "note", "question", "answer", "key_points", "lessons", "exercises",
)


#: Fields only past-year questions have (an exam-style practice question has no paper).
_PAST_YEAR_ONLY = ("year", "month", "number", "marks_assumed", "reconstructed")


@dataclass(frozen=True)
class PYQ:
    """A past-year exam question with its model answer."""

    id: str
    year: int
    month: str  # "" when the notes do not give the session
    number: str  # the question's number on the paper, e.g. "3a"
    topic: str
    marks: int
    marks_assumed: bool  # True when the notes do not state the marks
    reconstructed: bool  # True when the wording is not quoted by the notes
    note: str
    question: str
    answer: str
    key_points: tuple[str, ...]
    lessons: tuple[str, ...]  # e.g. "course/lessons/04-chain-rule.md"
    exercises: tuple[str, ...]  # e.g. "exercise3"
    source: str = "past-year"  # or "exam-style": written for practice, no paper, year or number
    point_marks: tuple[int, ...] = ()  # marks per key point, when given

    @property
    def session(self) -> str:
        """``May 2024``, or just ``2024`` when the month is unknown; ``exam-style`` for practice questions."""
        if self.source == "exam-style":
            return "exam-style"
        return f"{self.month} {self.year}" if self.month else str(self.year)


class UnknownPYQ(LookupError):
    def __init__(self, key: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"No past-year question called {key!r}.{hint} Run `grade pyq` to list them.")


@cache
def load_pyqs(path: Path | None = None) -> tuple[PYQ, ...]:
    """The PYQ bank, in file order; every entry must have every field."""
    with (path or pyq_path()).open("rb") as fh:
        raw = tomllib.load(fh)
    bank = []
    for entry in raw.get("pyq", []):
        exam_style = entry.get("source") == "exam-style"
        missing = [f for f in PYQ_FIELDS if f not in entry and not (exam_style and f in _PAST_YEAR_ONLY)]
        if missing:
            raise ValueError(f"PYQ {entry.get('id', '?')} lacks {', '.join(missing)}")
        bank.append(
            PYQ(
                id=str(entry["id"]),
                year=int(entry.get("year", 0)),
                month=str(entry.get("month", "")),
                number=str(entry.get("number", "")),
                topic=str(entry["topic"]),
                marks=int(entry["marks"]),
                marks_assumed=bool(entry.get("marks_assumed", False)),
                reconstructed=bool(entry.get("reconstructed", False)),
                note=str(entry["note"]).strip(),
                question=str(entry["question"]).strip(),
                answer=str(entry["answer"]).strip(),
                key_points=tuple(str(p).strip() for p in entry["key_points"]),
                lessons=tuple(entry["lessons"]),
                exercises=tuple(entry["exercises"]),
                source=str(entry.get("source", "past-year")),
                point_marks=tuple(int(m) for m in entry.get("point_marks", ())),
            )
        )
    ids = [q.id for q in bank]
    if len(set(ids)) != len(ids):
        raise ValueError("two PYQs share an id")
    return tuple(bank)


def find_pyq(key: str) -> PYQ:
    """A PYQ by id (case-insensitive); UnknownPYQ carries close matches."""
    key = key.strip().lower()
    bank = load_pyqs()
    for q in bank:
        if q.id == key:
            return q
    raise UnknownPYQ(key, difflib.get_close_matches(key, [q.id for q in bank], n=2, cutoff=0.4))
