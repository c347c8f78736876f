from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.mercure import conformance_config

from .helpers import Server, running_hub


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with running_hub(conformance_config()) as s:
        yield s
