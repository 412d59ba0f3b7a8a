"""`grade doctor`: which sandbox layers protect graded code on this machine."""

from __future__ import annotations

import json
import os
import textwrap

import click

from grader import console
from grader.commands.common import json_option

_LABELS = {
    "filesystem": "files",
    "network": "network",
    "processes": "signals/ptrace",
    "cleanup": "process cleanup",
    "memory": "memory",
    "uid": "worker user",
}
_LEVELS = {
    "full": "full — every layer is active",
    "partial": "partial — files confined; some layers weaker or missing",
    "none": "none — graded code is NOT confined (self-study only)",
}


def report() -> dict[str, object]:
    from grader.sandbox.layers import detect, forced, reasons

    layers = detect()
    return {**layers.as_dict(), "missing": reasons(), "forced": forced()}


@click.command("doctor")
@json_option
def command(as_json: bool) -> None:
    """Show which sandbox layers confine graded code here, and why any is missing (exit 0)."""
    data = report()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    level = str(data["level"])
    paint = console.ok if level == "full" else console.bad if level == "none" else str
    console.echo(console.bold("Sandbox level: ") + paint(_LEVELS[level]))
    missing: dict[str, str] = data["missing"]  # type: ignore[assignment]
    for key, label in _LABELS.items():
        value = data[key]
        if key == "uid" and not value and os.geteuid() != 0:
            # Not a missing layer: a separate uid is how a root grader sheds its power.
            console.echo(f"· {label:<16} yours (grade does not run as root)")
            continue
        text = str(value) if value else console.bad("missing")
        if key in missing:
            text += f" — {missing[key]}" if value else f" ({missing[key]})"
        lines = textwrap.wrap(text, width=80 - 19) or [""]
        mark = console.ok("✓") if value and key not in missing else console.bad("✗") if not value else "~"
        console.echo(f"{mark} {label:<16} {lines[0]}")
        for line in lines[1:]:
            console.echo(" " * 19 + line)
    if data["forced"]:
        console.echo(console.dim(f"restricted by GRADE_SANDBOX_LAYERS={data['forced']}"))
