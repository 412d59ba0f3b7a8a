"""The Gradescope autograder zip: this package, a setup script and `run_autograder`.

    setup.sh            Gradescope runs it once when building the image: a
                        Python ≥ 3.11 virtualenv with the dependencies and this package
    run_autograder      runs per submission: `python -m grader.instructor.gradescope_run`
    autograder.json     what to grade and how (exercises, seed, visibility, timeout)
    requirements.txt    the package's runtime dependencies, pinned to the versions the zip was built with
    course-secret       the course secret, when per-student seeds are on (students never see the zip)
    grader/ solutions/ pyproject.toml README.md   the package source, bundled

`run_autograder` puts the bundled source first on PYTHONPATH, so the grader
that runs is the one in the zip. Its paths come from environment variables
(AUTOGRADER_ROOT, default /autograder; GRADER_PYTHON), so a test can run it
against a stand-in of /autograder/.
"""

from __future__ import annotations

import json
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import grader
from grader.catalog import Exercise, load_catalog
from grader.instructor import DEFAULT_SEED
from grader.sandbox.client import DEFAULT_CALL_TIMEOUT

CONFIG_NAME = "autograder.json"
SECRET_NAME = "course-secret"
DISTRIBUTION = "nn-learn-grader"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_FALLBACK_REQUIREMENTS = ("click>=8.1", "numpy>=1.26", "pytest>=8.0", "sympy>=1.12")
_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache"}


@dataclass
class AutograderConfig:
    """What `run_autograder` does, fixed when the zip is built."""

    exercises: list[str] = field(default_factory=list)  # catalog names; empty = all
    seed: int = DEFAULT_SEED
    hidden_visibility: str = "after_published"  # for tests that are not worked examples
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    per_student_seeds: bool = False  # seeds from the bundled course secret and the student's id
    student_id_field: str = "sid"  # which field of submission_metadata.json's user is the student id
    unsafe_no_sandbox: bool = False  # grade even without filesystem confinement on the image
    seeds: dict[str, int] = field(default_factory=dict)  # set by the root runner for its unprivileged child
    hidden_feedback: str = "summary"  # what a failed hidden test shows students (`grader.results.redact`)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AutograderConfig:
        data = json.loads(text)
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the
# autograder image: a virtualenv with Python >= 3.11, the dependencies, and
# the bundled package.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${AUTOGRADER_VENV:-/autograder/venv}"

pick_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

PYTHON="$(pick_python || true)"
if [ -z "$PYTHON" ]; then
    # Older Gradescope images (Ubuntu 22.04) ship Python 3.10; 3.11 is in universe.
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install -r requirements.txt
if [ -f pyproject.toml ]; then
    "$VENV/bin/python" -m pip install --no-deps .
fi
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades /autograder/submission/
# and writes /autograder/results/results.json. Paths can be overridden:
#   AUTOGRADER_ROOT  (default /autograder)   GRADER_PYTHON  (default $AUTOGRADER_ROOT/venv/bin/python)
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${GRADER_PYTHON:-$ROOT/venv/bin/python}"
# The bundled source comes first, so the grader that runs is the one in this zip.
export PYTHONPATH="$SOURCE${PYTHONPATH:+:$PYTHONPATH}"
cd "$SOURCE"
exec "$PYTHON" -m grader.instructor.gradescope_run \
    --root "$ROOT" --config "$SOURCE/autograder.json"
"""


def select_exercises(names: Sequence[str]) -> list[Exercise]:
    """The catalog's exercises named in `names` (any alias), or all of them."""
    from grader.catalog import resolve

    if not names:
        return list(load_catalog())
    chosen = {resolve(n).number: resolve(n) for n in names}
    return [chosen[k] for k in sorted(chosen)]


def requirements() -> list[str]:
    """The package's runtime dependencies, from its installed metadata."""
    try:
        declared = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return list(_FALLBACK_REQUIREMENTS)
    return [r for r in declared if "extra ==" not in r] or list(_FALLBACK_REQUIREMENTS)


def pinned_requirements() -> list[str]:
    """Each runtime dependency pinned (`name==version`) to the version installed here, where the zip is
    built and tested; a dependency that is not installed keeps its declared range."""
    import re

    pinned = []
    for requirement in requirements():
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip()
        try:
            pinned.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pinned.append(requirement)
    return pinned


def _package_files() -> list[tuple[Path, str]]:
    """(file on disk, name in the zip) for the package source.

    From a checkout: every folder pyproject.toml packages (its package-dir
    targets: grader/, solutions/, …) plus pyproject.toml and the readme, so
    `pip install .` works in setup.sh. From an installed package: grader/
    alone (its reference solutions live inside it).
    """
    package_dir = Path(grader.__file__).resolve().parent
    checkout = package_dir.parent
    pyproject = checkout / "pyproject.toml"
    if not pyproject.is_file() or (checkout / "grader").resolve() != package_dir:
        return [(p, f"grader/{p.relative_to(package_dir).as_posix()}") for p in _source_files(package_dir)]
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    mapped = project.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    folders = sorted({"grader", *(d for d in mapped.values() if d not in ("", "."))})
    files = [(p, p.relative_to(checkout).as_posix()) for d in folders for p in _source_files(checkout / d)]
    readme = project.get("project", {}).get("readme")
    for name in ("pyproject.toml", readme if isinstance(readme, str) else "README.md", "LICENSE"):
        if (checkout / name).is_file():
            files.append((checkout / name, name))
    return files


def _source_files(folder: Path) -> list[Path]:
    return [
        p for p in sorted(folder.rglob("*"))
        if p.is_file() and not (_SKIP_PARTS & set(p.relative_to(folder).parts)) and p.suffix != ".pyc"
    ]


def build_zip(
    out: Path,
    *,
    exercises: Sequence[str] = (),
    seed: int = DEFAULT_SEED,
    hidden_visibility: str = "after_published",
    call_timeout: float = DEFAULT_CALL_TIMEOUT,
    secret: Path | None = None,
    student_id_field: str = "sid",
    unsafe_no_sandbox: bool = False,
    hidden_feedback: str = "summary",
) -> list[str]:
    """Write the autograder zip to `out`; returns the names it holds.

    With `secret` (a course secret file), every student's hidden inputs come
    from it and their id, as in `grade batch` and nbgrader; else `seed` for all.
    """
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    chosen = select_exercises(exercises)
    config = AutograderConfig([e.name for e in chosen], seed, hidden_visibility, call_timeout,
                              per_student_seeds=secret is not None, student_id_field=student_id_field,
                              unsafe_no_sandbox=unsafe_no_sandbox, hidden_feedback=hidden_feedback)
    files = _package_files()
    names = {name for _, name in files}
    texts = {
        "setup.sh": SETUP_SH,
        "run_autograder": RUN_AUTOGRADER,
        CONFIG_NAME: config.to_json(),
        "requirements.txt": "\n".join(pinned_requirements()) + "\n",
    }
    if secret is not None:
        from grader.instructor.course_secret import load_secret

        texts[SECRET_NAME] = load_secret(secret).hex() + "\n"  # written 0600 below: root only
    if "pyproject.toml" in names and "README.md" not in names:
        # pyproject's `readme` must exist for `pip install .` in setup.sh.
        texts["README.md"] = f"# {DISTRIBUTION} (Gradescope autograder bundle)\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in texts.items():
            mode = 0o755 if name in {"setup.sh", "run_autograder"} else 0o600 if name == SECRET_NAME else 0o644
            _write_text(zf, name, text, mode=mode)
        for path, name in files:
            zf.write(path, name)
    return sorted([*texts, *names])


def _write_text(zf: zipfile.ZipFile, name: str, text: str, *, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | mode) << 16
    zf.writestr(info, text)
