"""A real stage (journal file, sequencer, hub, gateway) on a loopback port, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hub.config import StageConfig
from hub.stage import Stage


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    config = StageConfig(data_dir=tmp_path, host="127.0.0.1", port=0, demo=True)
    stage = Stage(config)
    await stage.start()
    try:
        yield stage
    finally:
        await stage.stop()


@pytest.fixture
async def http(stage: Stage) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=stage.url) as session:
        yield session
