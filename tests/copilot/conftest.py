"""The `corpus` marker: the `hearth ask` corpus run is opt-in (HEARTH_CORPUS=1 or `-m corpus`)."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker."""
    config.addinivalue_line(
        "markers", "corpus: runs `hearth ask` over tests/copilot/corpus (opt-in: HEARTH_CORPUS=1 or -m corpus)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect corpus tests unless they were asked for."""
    if os.environ.get("HEARTH_CORPUS") == "1" or "corpus" in (config.getoption("markexpr", "") or ""):
        return
    dropped = [item for item in items if item.get_closest_marker("corpus")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("corpus")]
