"""An HTTP client bound to the test's stage (the `stage` fixture is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from hub.stage import Stage


@pytest.fixture
async def http(stage: Stage) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=stage.url) as session:
        yield session
