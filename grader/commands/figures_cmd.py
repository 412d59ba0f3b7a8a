"""`grade figures`: regenerate the course's figures (reproducible PNGs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader import console
from grader.figures import FIGURES  # stdlib-only at import time; matplotlib loads when drawing


@click.command("figures")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the PNGs [default: the course's figures folder].")
@click.option("--only", "names", type=click.Choice(list(FIGURES)), multiple=True,
              help="Only this figure (repeatable).")
def command(out_dir: Path | None, names: tuple[str, ...]) -> None:
    """Draw the course figures (the bowl, learning rates, GD variants, the neuron's graph) as PNGs.

    Needs matplotlib: pip install -e ".[plot]". The same code and versions
    give byte-identical files.
    """
    from grader.course import figures_dir
    from grader.figures import PlotUnavailable, write_figures

    target = out_dir or figures_dir()
    selected = list(names) or list(FIGURES)
    try:
        # Drawing takes a few seconds: a progress bar (shown on a terminal only, on stderr).
        with click.progressbar(length=len(selected), label="Drawing figures", file=sys.stderr,
                               hidden=console.progress_hidden()) as bar:
            written = write_figures(target, selected, on_each=lambda _name: bar.update(1))
    except PlotUnavailable as exc:
        console.echo(console.bad(str(exc)), err=True)
        sys.exit(1)
    for path in written:
        click.echo(str(path))
