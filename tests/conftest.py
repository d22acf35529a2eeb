"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hearth.hub import load_home_or_demo
from hearth.model import Home

# A copy of the MIoT and VSS reference files lives in tests/data so a clean checkout is self-contained.
SHARED_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test (and every `hearth` subprocess it starts) keeps its databases in a temporary folder."""
    os.environ["HEARTH_DATA_DIR"] = str(tmp_path_factory.mktemp("hearth-data"))


@pytest.fixture(scope="session")
def demo_home() -> Home:
    """The built-in digital-twin household."""
    return load_home_or_demo(None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder with the MIoT and VSS reference files."""
    assert SHARED_DATA.exists(), f"reference data missing at {SHARED_DATA}"
    return SHARED_DATA
