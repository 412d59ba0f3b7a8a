"""An nbgrader course directory, written from the catalog and the reference solutions.

    DIR/
      nbgrader_config.py              headless: course root, course id, timeouts, out-of-kernel grading
      README.md                       the workflow, command by command
      .grade-course-secret            per-student seeds (never released; kept by --force)
      templates/nn_feedback/          nbgrader's feedback template, naming each test
      source/exerciseN/exerciseN.ipynb one assignment per exercise (see notebooks.py)

nbgrader then creates release/, submitted/, autograded/, feedback/ and
gradebook.db beside them. Rewriting with `force=True` replaces only the files
above, so an existing gradebook and the students' submissions survive.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grader.catalog import Exercise, load_catalog
from grader.instructor.course_secret import SECRET_FILE, create_secret
from grader.instructor.notebook_code import RUNTIME_GRADE_ID

DEFAULT_COURSE_ID = "nn-learn"
CELL_TIMEOUT = 120  # seconds nbgrader waits for one cell; a worked example bounds each call at 10 s


class CourseExists(FileExistsError):
    """DIR already holds files and overwriting was not asked for."""


def assignment_notebook(root: Path, exercise: Exercise) -> Path:
    """Where the source notebook of `exercise` lives in a course directory."""
    return root / "source" / exercise.name / f"{exercise.name}.ipynb"


def config_source(course_id: str, seed: int | None) -> str:
    override = "" if seed is None else (
        f"\n# DEBUGGING ONLY: one seed for every student instead of the per-student seeds.\n"
        f"c.OutOfKernelGrading.seed = {seed}\n")
    return f'''"""nbgrader configuration, written by `grade instructor nbgrader`.

Run every nbgrader command from this directory. It is headless: no JupyterHub
and no exchange; submissions go straight into submitted/<student>/<assignment>/.
"""

import os

from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import Execute

from grader.instructor.nbgrader_grading import OutOfKernelGrading

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file
ROOT = os.path.dirname(os.path.abspath(__file__))

# The course directory is wherever this file is, so the folder can be moved.
c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = {course_id!r}

# Every "student" folder belongs to the same Unix user when submissions are
# copied in by hand, so do not insist that the owner matches the student id.
c.CollectApp.check_owner = False

# Create assignments and students in the gradebook on first use.
c.GenerateAssignment.create_assignment = True
c.Autograde.create_student = True

# Seconds one cell may run in the student's kernel.
c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}
c.ExecutePreprocessor.kernel_name = "python3"

# What generate_assignment puts in place of a solution (the same stub as `grade`).
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}

# Grading never trusts the student's kernel: OutOfKernelGrading (where nbgrader
# would run the notebook) grades the code of its cells with `grade`'s hidden
# tests in a separate sandboxed process and writes every test cell's output
# from that verdict. Each student's hidden inputs come from the course secret
# and the student id (never released; keep it out of release/).
# The notebook is not run in a Jupyter kernel at all: student code would run
# there unconfined, as you. (`nbgrader autograde --Execute.enabled=True` runs
# it anyway; the verdicts are the same, and what it prints is dropped.)
c.Execute.enabled = False
_steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
c.Autograde.autograde_preprocessors = _steps[: _steps.index(Execute) + 1] + [OutOfKernelGrading] + _steps[
    _steps.index(Execute) + 1:]
c.OutOfKernelGrading.secret_file = os.path.join(ROOT, {SECRET_FILE!r})
c.OutOfKernelGrading.hidden_feedback = "summary"  # "full" shows hidden inputs and expected values
{override}
# Feedback names each test (nbgrader's own template says "Test cell" for all).
import nbgrader  # noqa: E402

c.HTMLExporter.template_name = "nn_feedback"
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(ROOT, "templates"),
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
]
'''


def feedback_template() -> tuple[str, str]:
    """nbgrader's feedback template, with each test cell named by its title: (conf.json, index.html.j2)."""
    import nbgrader

    folder = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates" / "feedback"
    index = (folder / "index.html.j2").read_text(encoding="utf-8")
    label = ">Test cell</a>"
    if label not in index:
        raise RuntimeError(f"nbgrader's feedback template changed ({folder}); cannot name the tests")
    named = index.replace(label, ">{{ (cell.metadata.get('nn_learn') or {}).get('title') or 'Test cell' }}</a>")
    # The visible-check runtime cell is a screen of code the student never needs in feedback.
    named += (
        "\n{% block any_cell scoped %}"
        "{%- if (cell.metadata.get('nbgrader') or {}).get('grade_id') != " + repr(RUNTIME_GRADE_ID) + " -%}"
        "{{ super() }}{%- endif -%}{% endblock any_cell %}\n"
    )
    return (folder / "conf.json").read_text(encoding="utf-8"), named


def readme_source(course_id: str, exercises: Sequence[Exercise]) -> str:
    names = ", ".join(e.name for e in exercises)
    rows = "\n".join(
        f"| `{e.name}` | {e.title} | `source/{e.name}/{e.name}.ipynb` | {e.max_score} |" for e in exercises
    )
    return f"""# nbgrader course `{course_id}`

Generated by `grade instructor nbgrader` from the package's reference solutions
and exercise catalog (assignments: {names}). Regenerate with `--force` after
the package changes; that rewrites only `nbgrader_config.py`, `README.md`,
`templates/` and `source/`, never the gradebook, the submissions or the secret.

| assignment | title | source notebook | points |
|---|---|---|---|
{rows}

Each notebook has one read-only Markdown cell per function (its docstring, the
spec, with the math in LaTeX), a solution cell per function (the reference code
between `### BEGIN SOLUTION` / `### END SOLUTION`), and one graded test cell per
hidden test of `grade`, worth the catalog's points. Worked-example tests run in
the student's notebook from values baked in at generation time (a read-only
cell, numpy only: no reference code, no hidden test). The other tests are
graded only by `nbgrader autograde`.

## The course secret

`{SECRET_FILE}` (created here, mode 0600) seeds every student's hidden inputs:
seed = HMAC-SHA256(secret, student id, exercise), the same derivation
`grade batch` and the Gradescope autograder use, so a regrade reproduces a
student's inputs and two students never share them. Never release it, never
commit it to a repository students can read. Losing it only means new inputs
at the next regrade.

## Workflow (run from this directory)

Activate the environment this package is installed in first: nbgrader runs
`alembic` from `PATH`, and autograde grades in a `python -m grader` process.

```sh
nbgrader validate source/exercise1/exercise1.ipynb       # the reference passes every test cell
nbgrader generate_assignment exercise1      # release/exercise1/: solutions removed
nbgrader validate --invert release/exercise1/exercise1.ipynb   # the stubs fail every test cell
# hand out release/exercise1/exercise1.ipynb (it needs only numpy, plus sympy for
#   exercises 2 and 3); collect each copy into submitted/<student>/exercise1/exercise1.ipynb
nbgrader autograde exercise1                # scores into gradebook.db, autograded/
nbgrader generate_feedback exercise1        # HTML per student under feedback/
nbgrader export                             # grades.csv
```

Autograde does not trust the student's kernel: after nbgrader has run the
notebook, every test cell's output is replaced by the verdict of `grade`'s
hidden test on the notebook's code, run in the sandbox outside the kernel. A
failed hidden test's feedback names the test, its points and the likely
mistake, never its inputs or expected values.
"""


def write_course(
    root: Path,
    *,
    exercises: Sequence[Exercise] | None = None,
    course_id: str = DEFAULT_COURSE_ID,
    seed: int | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the course directory at `root`; returns the files written.

    Creates the course secret unless one exists (it is never rewritten).
    `seed` replaces the per-student seeds by one fixed seed (debugging only).
    Raises CourseExists if `root` exists and is not empty, unless `force`.
    """
    import nbformat

    from grader.instructor.notebooks import build_notebook

    exercises = list(exercises if exercises is not None else load_catalog())
    if root.exists() and any(root.iterdir()) and not force:
        raise CourseExists(f"{root} already exists and is not empty; pass --force to rewrite its generated files")
    # Build everything before writing anything, so a broken exercise leaves no half course.
    notebooks = {e.name: build_notebook(e) for e in exercises}
    conf, template = feedback_template()
    written: list[Path] = []
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "nbgrader_config.py": config_source(course_id, seed),
        "README.md": readme_source(course_id, exercises),
        "templates/nn_feedback/conf.json": conf,
        "templates/nn_feedback/index.html.j2": template,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
        written.append(root / name)
    secret = root / SECRET_FILE
    if not secret.exists():
        written.append(create_secret(root))
    else:
        create_secret(root)  # validates the one there
    for exercise in exercises:
        path = assignment_notebook(root, exercise)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebooks[exercise.name], str(path))
        written.append(path)
    return written
