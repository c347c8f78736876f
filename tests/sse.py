"""A minimal SSE reader for tests, over an aiohttp response."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp


class SSE:
    """Events as (id, JSON data) pairs; comments (heartbeats) are skipped."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, wait: float | None = 5.0) -> tuple[str, Any]:
        event_id, data = "", []
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), wait)
            if not raw:
                raise EOFError("stream ended")
            line = raw.decode().rstrip("\n")
            if line == "":
                if data:
                    return event_id, json.loads("\n".join(data))
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "id":
                event_id = value
            elif field == "data":
                data.append(value)
