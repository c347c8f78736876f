"""Suite-wide settings: headless Qt, no stray network, shared fixtures."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# Qt must never look for a display in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")
# The user's own stage config (~/.config/auctionmen/auctionmen.toml) must not steer any test.
os.environ.setdefault("AUCTIONMEN_CONFIG", "/nonexistent/auctionmen-tests/auctionmen.toml")

from hub.config import StageConfig
from hub.stage import Stage


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    """A real stage (journal file, sequencer, hub, gateway) on a loopback port, demo sale."""
    config = StageConfig(data_dir=tmp_path / "stage", host="127.0.0.1", port=0, demo=True)
    stage = Stage(config)
    await stage.start()
    try:
        yield stage
    finally:
        await stage.stop()
