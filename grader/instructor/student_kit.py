"""The student kit for the `.py` route of a graded course: stubs and visible checks, no answers.

`grade instructor student-kit OUT` writes

    OUT/README.md                         how to work and what to hand in
    OUT/requirements.txt                  numpy and sympy: all the kit needs
    OUT/exercises/exerciseN_*.py          the stubs (the same as `grade init` makes)
    OUT/check_exerciseN.py                the worked examples of exercise N, self-contained:
                                          `python check_exerciseN.py` checks exercises/exerciseN_*.py

The check scripts are `grader/visible/runtime.py` plus the baked worked
examples (inputs, expected values, the values known mistakes give). There is
no reference solution, no hidden test and no hidden expected value in the kit;
the hidden tests run when the instructor grades the files (`grade batch`,
Gradescope). The self-study package (`pip install nn-learn-grader`) is a
different thing: it keeps its solutions, for people who learn on their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from grader.catalog import Exercise, load_catalog
from grader.stubs import solution_source, stub_source

_GRADE_SENTENCE = re.compile(r"then run `grade (exercise\d+)`")


class KitExists(FileExistsError):
    """OUT already holds files and overwriting was not asked for."""


def kit_stub(exercise: Exercise) -> str:
    """The stub, telling the student to run the kit's check script instead of `grade`."""
    return _GRADE_SENTENCE.sub(r"then run `python check_\1.py`", stub_source(exercise.file))


def check_script(exercise: Exercise) -> str:
    from grader.instructor.notebooks import hidden_test_titles, test_functions
    from grader.instructor.solution_blocks import split_solution
    from grader.instructor.visible_tests import exercise_payload, runtime_source

    blocks = split_solution(solution_source(exercise.file), filename=exercise.file).blocks
    payload = exercise_payload(exercise, hidden_test_titles(exercise), test_functions(exercise, blocks))
    doc = (f"Checks for exercise {exercise.number} ({exercise.title}): the worked examples.\n\n"
           f"    python check_{exercise.name}.py              checks exercises/{exercise.file}\n"
           f"    python check_{exercise.name}.py OTHER.py     checks another file\n\n"
           "A worked example prints ✓ or what is wrong and the likely mistake. Hidden tests run\n"
           "only when your work is graded; here they only say whether a function is written.\n")
    main = (
        "\n\nif __name__ == \"__main__\":\n"
        "    import os\n\n"
        f"    _default = os.path.join(os.path.dirname(os.path.abspath(__file__)), \"exercises\", {exercise.file!r})\n"
        "    sys.exit(_main(sys.argv[1:] or [_default]))\n"
    )
    return runtime_source(payload, module_docstring=doc).rstrip("\n") + main


def readme(exercises: Sequence[Exercise]) -> str:
    rows = "\n".join(f"| {e.number} | {e.title} | `exercises/{e.file}` | `python check_{e.name}.py` | "
                     f"{e.max_score} |" for e in exercises)
    return f"""# Graded exercises: how neural networks learn

Fill in the functions in `exercises/`; every stub's docstring has the formula,
the shape of every argument and a worked example.

| # | exercise | your file | check it | points |
|---|---|---|---|---|
{rows}

```sh
python -m pip install -r requirements.txt     # numpy and sympy: nothing else is needed
python check_exercise1.py                      # the worked examples of exercise 1
```

A check prints `✓ … passed` for each worked example, or the call, what was
expected, what your function returned and the likely mistake. The hidden tests
(new random inputs, edge cases) run only when your work is graded; here a
hidden test only says whether the function it needs is still a stub.

Hand in the files in `exercises/` as your instructor asks (keep the file names).
"""


def write_kit(out: Path, *, exercises: Sequence[Exercise] | None = None, force: bool = False) -> list[Path]:
    """Write the kit to `out`; returns the files written. Raises KitExists unless `out` is new or empty."""
    chosen = list(exercises if exercises is not None else load_catalog())
    if out.exists() and any(out.iterdir()) and not force:
        raise KitExists(f"{out} already exists and is not empty; pass --force to overwrite the kit's files")
    files = {"README.md": readme(chosen), "requirements.txt": "numpy>=1.26\nsympy>=1.12\n"}
    for exercise in chosen:  # everything is built before anything is written
        files[f"exercises/{exercise.file}"] = kit_stub(exercise)
        files[f"check_{exercise.name}.py"] = check_script(exercise)
    written = []
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
