"""The exercise catalog: loads `catalog.toml`, the one place exercise data lives.

Stays import-light (stdlib only) because `grade list` and `grade --help` use it.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class Exercise:
    """One exercise as the catalog describes it."""

    number: int
    slug: str
    title: str
    topic: str
    file: str
    tests: str
    hints: tuple[str, ...]
    points: dict[str, int]
    preload: tuple[str, ...] = ()
    # Progressive hints per graded function (`[exercise.function_hints]` in the
    # catalog): the first failing function's hints are shown first.
    function_hints: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The canonical command name, e.g. ``exercise1``."""
        return f"exercise{self.number}"

    @property
    def max_score(self) -> int:
        return sum(self.points.values())

    @property
    def module(self) -> str:
        """Module name of the student file (and of the reference solution)."""
        return self.file.removesuffix(".py")

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every name `grade NAME` accepts for this exercise."""
        return (self.name, str(self.number), self.slug, f"ex{self.number}", self.module)


class UnknownExercise(LookupError):
    """A name that matches no exercise; carries close matches for "did you mean"."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"No exercise called {name!r}.{hint} Run `grade list` to see them all.")


@cache
def load_catalog(path: Path = CATALOG_PATH) -> tuple[Exercise, ...]:
    """Read and validate the catalog; exercises come back ordered by number."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    exercises = []
    for raw in data.get("exercise", []):
        exercises.append(
            Exercise(
                number=int(raw["number"]),
                slug=raw["slug"],
                title=raw["title"],
                topic=raw["topic"],
                file=raw["file"],
                tests=raw["tests"],
                hints=tuple(raw["hints"]),
                points={k: int(v) for k, v in raw["points"].items()},
                preload=tuple(raw.get("preload", ())),
                function_hints={k: tuple(v) for k, v in raw.get("function_hints", {}).items()},
            )
        )
    exercises.sort(key=lambda e: e.number)
    _validate(exercises)
    return tuple(exercises)


def _validate(exercises: list[Exercise]) -> None:
    seen: dict[str, int] = {}
    for ex in exercises:
        if not ex.hints:
            raise ValueError(f"{ex.name} has no hints")
        if not ex.points or any(p <= 0 for p in ex.points.values()):
            raise ValueError(f"{ex.name} needs a positive number of points for every test")
        for alias in ex.aliases:
            if seen.setdefault(alias, ex.number) != ex.number:
                raise ValueError(f"name {alias!r} is used by two exercises")


def resolve(name: str) -> Exercise:
    """Find an exercise by any of its names (``exercise3``, ``3``, ``chain-rule``).

    Raises UnknownExercise with close matches when nothing fits.
    """
    key = name.strip().lower().replace("_", "-")
    for ex in load_catalog():
        if key in {a.replace("_", "-") for a in ex.aliases}:
            return ex
    candidates = [alias for ex in load_catalog() for alias in (ex.name, ex.slug)]
    return_suggestions = difflib.get_close_matches(key, candidates, n=2, cutoff=0.5)
    raise UnknownExercise(name, return_suggestions)
