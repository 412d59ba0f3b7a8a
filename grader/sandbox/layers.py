"""Which confinement layers the sandbox can apply on this machine.

`detect()` is what `grade doctor` reports, what results.json carries in
`extra_data["sandbox"]`, and what `grade batch` / the Gradescope runner check
before grading (they refuse when `filesystem` is None unless the instructor
passes `--unsafe-no-sandbox`).

Each field names the mechanism in force for that class of protection, or None
when nothing on this machine provides it. `GRADE_SANDBOX_LAYERS` restricts
what may be used, e.g. to simulate a machine without user namespaces:
``GRADE_SANDBOX_LAYERS=landlock`` (Landlock and rlimits only) or
``GRADE_SANDBOX_LAYERS=none`` (rlimits only; tests of the refusal path).

Stdlib only, cheap: `grade doctor` must not import numpy.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

FORCE_ENV = "GRADE_SANDBOX_LAYERS"


@dataclass(frozen=True)
class Layers:
    """The mechanism behind each protection, or None where none is available."""

    filesystem: str | None = None  # e.g. "landlock (ABI 7)", "mount namespace (bwrap)"
    network: str | None = None  # e.g. "network namespace", "landlock TCP (ABI 4+)"
    processes: str | None = None  # signals/ptrace/proc: "pid namespace", "landlock scopes (ABI 6+)"
    cleanup: str | None = None  # every student process gone after a call: "pid namespace", "cgroup", "subreaper"
    memory: str | None = None  # memory of all student processes together: "cgroup v2", "rlimits"
    uid: str | None = None  # "uid 65534 (nobody)" when the grader runs as root

    @property
    def level(self) -> str:
        """"full" when every layer is active, "none" without filesystem confinement, else "partial"."""
        if self.filesystem is None:
            return "none"
        values = (self.filesystem, self.network, self.processes, self.cleanup, self.memory)
        return "full" if all(values) else "partial"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": self.level}


def forced() -> str | None:
    """The restriction asked for in the environment, if any (lower-cased)."""
    value = os.environ.get(FORCE_ENV, "").strip().lower()
    return value or None


@cache
def detect() -> Layers:
    """Probe this machine once per process (the sandbox owner fills this in)."""
    return Layers(memory="rlimits (per process)")
