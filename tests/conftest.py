"""Shared test fixtures. Reference data lives in ../shared/data beside the project (never copied in)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: ../shared/data beside the clone; ASYMMETRY_SHARED_DATA points elsewhere (a git worktree kept in another folder).
SHARED_DATA = Path(os.environ.get("ASYMMETRY_SHARED_DATA") or ROOT.parent / "shared" / "data")


@pytest.fixture
def shared_data() -> Path:
    """The reference data folder, or a skip with the reason when this clone has none beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (CI places ../shared beside the clone)")
    return SHARED_DATA
