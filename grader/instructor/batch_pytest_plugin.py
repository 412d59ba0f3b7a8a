"""A pytest plugin for batch-grading workers: no traceback art that nobody reads.

For every failed hidden test pytest builds a "long" failure report, parsing
the test's source with `ast` to show the failing statement. The runner never
uses that report (feedback is the `CheckFailed` message; internal errors ask
for their own short traceback), yet building it is about half of the grading
process's CPU time on a failing submission. `--tb=native` would skip it, but
that option belongs to the terminal plugin the runner turns off, so this sets
the parsed option directly. Scores and feedback are unchanged (tests check
that batch results equal `grade`'s, word for word).

Batch pool workers load it through the PYTEST_PLUGINS environment variable.
"""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    if getattr(config.option, "tbstyle", "auto") == "auto":
        config.option.tbstyle = "native"
