"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.hub import load_home_or_demo
from hearth.model import Home

# A copy of the MIoT and VSS reference files lives in tests/data so a clean checkout is self-contained.
SHARED_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def demo_home() -> Home:
    """The built-in digital-twin household."""
    return load_home_or_demo(None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder with the MIoT and VSS reference files."""
    assert SHARED_DATA.exists(), f"reference data missing at {SHARED_DATA}"
    return SHARED_DATA
