"""`grade site OUT`: write the course as static web pages (open OUT/index.html)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from grader import console
from grader.commands.common import json_option


@click.command("site")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@json_option
def command(out: Path, as_json: bool) -> None:
    """Write the course as a static web site into OUT.

    Every lesson with its figures and math (MathML, rendered by the browser
    offline), the exercises, and the exam questions with their model answers
    behind a reveal, all linked to each other. It works from file:// with no
    server: open OUT/index.html. Existing files of the same names are replaced.
    """
    from grader.site import build_site

    start = time.perf_counter()
    try:
        report = build_site(out)
    except OSError as exc:
        raise click.UsageError(f"cannot write the site into {out}: {exc.strerror or exc}") from None
    seconds = time.perf_counter() - start
    if as_json:
        click.echo(json.dumps({"out": str(report.out.resolve()), "pages": list(report.pages),
                               "figures": list(report.figures), "seconds": round(seconds, 3)}, indent=2))
        return
    console.echo(console.ok("✓") + f" {len(report.pages)} pages and {len(report.figures)} figures in "
                 f"{seconds:.1f} s: {report.out.resolve() / 'index.html'}")
