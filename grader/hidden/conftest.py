"""Fixtures the hidden tests receive from the grading session."""

from __future__ import annotations

from typing import Any

import pytest

SESSION_PLUGIN = "grader-session"


def _session(request: pytest.FixtureRequest) -> Any:
    plugin = request.config.pluginmanager.get_plugin(SESSION_PLUGIN)
    if plugin is None:
        pytest.fail("hidden tests run only through `grade` (no grading session)")
    return plugin


@pytest.fixture
def student(request: pytest.FixtureRequest) -> Any:
    """The student's module behind the sandbox (`student.call(name, *args)`)."""
    return _session(request).student


@pytest.fixture
def ref(request: pytest.FixtureRequest) -> Any:
    """The reference solution module, imported in the grading process."""
    return _session(request).reference


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    return _session(request).seed


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> Any:
    """A generator seeded by the run's seed and the test's name: reproducible per test."""
    from grader.inputs import seeded_rng

    return seeded_rng(_session(request).seed, request.node.name)
