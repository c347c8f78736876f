"""Driving a real ``auctionmen serve`` from a bench: start, tokens, commands, bids."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from tests.bench.fanout.common import PYTHON, Child, Children, pin

SALE_IRI = "https://auctionmen.local/sales/demo"
ROOM_TOPIC = f"{SALE_IRI}/room"
ROOM_PATH = f"/.well-known/mercure?topic={quote(ROOM_TOPIC, safe='')}"


def auctionmen() -> list[str]:
    script = Path(PYTHON).with_name("auctionmen")
    if script.exists():
        return [str(script)]
    return [PYTHON, "-c", "import sys; from app.cli import main; sys.exit(main())"]


class StageClient:
    """A started stage (demo sale) plus an HTTP session (one keep-alive connection)."""

    def __init__(self, child: Child, url: str, data_dir: Path) -> None:
        self.child = child
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        self.data_dir = data_dir
        self.session: aiohttp.ClientSession | None = None
        self.tokens: dict[str, str] = {}

    @classmethod
    async def start(
        cls, children: Children, tmp: Path, cpu: int | None, extra: list[str] | None = None
    ) -> StageClient:
        data_dir = tmp / "stage"
        argv = [
            *auctionmen(),
            "serve",
            "--demo",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--json-logs",
            *(extra or []),
        ]
        child = children.add(
            await Child.spawn("auctionmen serve", argv, stderr=tmp / "stage.stderr")
        )
        pin(child.pid, cpu)
        while True:
            line = await child.line(60)
            if line.get("event") == "serving":
                break
        stage = cls(child, str(line["url"]), data_dir)
        stage.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=4), timeout=aiohttp.ClientTimeout(total=30)
        )
        return stage

    async def token(self, role: str, paddle: str | None = None) -> str:
        key = f"{role}:{paddle}"
        if key not in self.tokens:
            argv = [*auctionmen(), "token", "--data-dir", str(self.data_dir), "--role", role]
            if paddle:
                argv += ["--paddle", paddle]
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            if proc.returncode:
                raise RuntimeError(f"auctionmen token failed: {err.decode()[-300:]}")
            self.tokens[key] = out.decode().strip().splitlines()[-1]
        return self.tokens[key]

    async def post(self, path: str, body: dict[str, Any], token: str) -> tuple[int, Any, float]:
        """POST JSON; returns status, parsed body and the round-trip time in s."""
        assert self.session is not None
        t0 = time.time()
        async with self.session.post(
            f"{self.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            data = await resp.json(content_type=None)
            return resp.status, data, time.time() - t0

    async def command(self, body: dict[str, Any]) -> dict[str, Any]:
        status, data, _ = await self.post(
            "/api/sales/demo/commands", body, await self.token("auctioneer")
        )
        if status != 200:
            raise RuntimeError(
                f"command {body} answered {status}: {data.get('reason')} {data.get('detail')}"
            )
        result: dict[str, Any] = data
        return result

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
