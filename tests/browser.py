"""A real headless browser for tests: the system's Chromium driven by Playwright.

Reusable by any test that checks generated HTML (the course site, reports):

    from browser import browser, open_page  # noqa: F401  (browser is a pytest fixture)

    def test_page(browser, tmp_path):
        page, problems = open_page(browser, tmp_path / "index.html")
        assert problems == []

Playwright (a dev dependency) only drives the browser; it never downloads one
(`playwright install` is neither needed nor run): Debian's `chromium` package
(`apt-get install -y chromium`) provides /usr/bin/chromium, or set
GRADE_TEST_CHROMIUM to another Chromium binary. If none is there the fixture
fails with the command that installs it — a missing browser is a broken test
environment, not a reason to skip the check.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None if there is none."""
    configured = os.environ.get("GRADE_TEST_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (a Playwright Browser)."""
    executable = chromium_path()
    if executable is None:
        pytest.fail("no Chromium for the browser tests: `apt-get install -y chromium` "
                    "(or set GRADE_TEST_CHROMIUM to a Chromium binary)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield instance
        finally:
            instance.close()


def open_page(browser: Any, path: Path, *, width: int = 1100, height: int = 800) -> tuple[Any, list[str]]:
    """Open a local file in a fresh page; return the page and every console error or page error seen.

    The page waits for the load event (images included). Requests that leave
    file:// are reported as problems too: a static page must not need a network.
    """
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.on("request", lambda request: problems.append(f"network request: {request.url}")
            if not request.url.startswith(("file:", "data:", "about:")) else None)
    page.goto(path.resolve().as_uri(), wait_until="load", timeout=30_000)
    return page, problems


def broken_images(page: Any) -> list[str]:
    """The src of every image that did not load (naturalWidth 0)."""
    return page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                         ".map(i => i.getAttribute('src'))")
