"""Test helpers: tokens, a real hub on 127.0.0.1, and an independent minimal SSE parser."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web

from hub.mercure import Hub, HubConfig
from hub.mercure.__main__ import start_standalone
from hub.mercure.app import HUB_KEY

SECRET = "!ChangeThisMercureHubJWTSecretKey!"
AUD = "https://localhost/.well-known/mercure"
ISS = "https://localhost"
DETAIL = "https://mercure.rocks/authorization-detail"


def v1_token(
    publish: list[str] | None = None,
    subscribe: list[str] | None = None,
    *,
    secret: str = SECRET,
    alg: str = "HS256",
    headers: dict[str, Any] | None = None,
    match_type: str | None = None,
    payload: Any = None,
    **claims: Any,
) -> str:
    details = []
    for action, topics in (("publish", publish), ("subscribe", subscribe)):
        if topics is not None:
            d: dict[str, Any] = {
                "type": DETAIL,
                "actions": [action],
                "topics": [
                    {"match": t, **({"match_type": match_type} if match_type else {})}
                    for t in topics
                ],
            }
            if payload is not None and action == "subscribe":
                d["payload"] = payload
            details.append(d)
    body = {
        "aud": AUD,
        "iss": ISS,
        "exp": int(time.time()) + 3600,
        "authorization_details": details,
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, secret, algorithm=alg, headers={"typ": "at+jwt", **(headers or {})})


def v0_token(
    publish: list[str] | None = None,
    subscribe: list[str] | None = None,
    *,
    secret: str = SECRET,
    payload: Any = None,
    **claims: Any,
) -> str:
    mercure: dict[str, Any] = {}
    if publish is not None:
        mercure["publish"] = publish
    if subscribe is not None:
        mercure["subscribe"] = subscribe
    if payload is not None:
        mercure["payload"] = payload
    return jwt.encode({"mercure": mercure, **claims}, secret, algorithm="HS256")


PUB = v1_token(publish=["*"], subscribe=["*"])
PUB_V0 = v0_token(publish=["*"], subscribe=["*"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------- SSE parsing (independent)
def parse_sse(raw: bytes) -> tuple[list[dict[str, str]], list[str]]:
    """HTML-spec SSE parsing: returns dispatched events and every field name seen."""
    text = raw.decode("utf-8")
    events: list[dict[str, str]] = []
    names: list[str] = []
    cur: dict[str, str] = {}
    data: list[str] = []
    for line in re.split(r"\r\n|\r|\n", text):
        if line == "":
            if data or cur:
                ev = dict(cur)
                if data:
                    ev["data"] = "\n".join(data)
                events.append(ev)
            cur, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        names.append(name)
        if name == "data":
            data.append(value)
        elif name in ("id", "event", "retry"):
            cur[name] = value
    return events, names


@dataclass
class Stream:
    """An open subscription read with a per-read timeout (never unbounded)."""

    resp: aiohttp.ClientResponse
    buf: bytes = b""
    events: list[dict[str, str]] = field(default_factory=list)

    async def next_event(self, wait: float = 5.0) -> dict[str, str]:
        while not self.events:
            while b"\n\n" not in self.buf:
                chunk = await asyncio.wait_for(self.resp.content.readany(), wait)
                if not chunk:
                    raise EOFError("stream closed")
                self.buf += chunk
            block, self.buf = self.buf.split(b"\n\n", 1)
            evs, _ = parse_sse(block + b"\n\n")
            self.events.extend(evs)
        return self.events.pop(0)

    async def until(self, marker_id: str, wait: float = 5.0) -> list[dict[str, str]]:
        """Events up to and including the one whose id is ``marker_id``."""
        seen: list[dict[str, str]] = []
        for _ in range(100_000):
            ev = await self.next_event(wait)
            seen.append(ev)
            if ev.get("id") == marker_id:
                return seen
        raise AssertionError("marker never arrived")


@dataclass
class Server:
    url: str
    port: int
    hub: Hub
    session: aiohttp.ClientSession

    async def publish(self, token: str = PUB, expect: int = 200, **form: Any) -> str:
        data = [(k, v) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])]
        async with self.session.post(self.url, data=data, headers=bearer(token)) as r:
            body = await r.text()
            assert r.status == expect, (r.status, body)
            return body

    @asynccontextmanager
    async def subscribe(
        self,
        params: list[tuple[str, str]],
        headers: dict[str, str] | None = None,
        expect: int = 200,
    ) -> AsyncIterator[Stream]:
        async with self.session.get(self.url, params=params, headers=headers or {}) as r:
            assert r.status == expect, (r.status, await r.text())
            stream = Stream(r)
            if expect == 200:
                # The hub flushes a ':' comment right after headers: we are registered.
                first = await asyncio.wait_for(r.content.readany(), 5)
                stream.buf = first
            yield stream


@asynccontextmanager
async def running_hub(config: HubConfig, **kw: Any) -> AsyncIterator[Server]:
    runner, port = await start_standalone(config, "127.0.0.1", 0, **kw)
    app: web.Application = runner.app
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(f"http://127.0.0.1:{port}{config.hub_path}", port, app[HUB_KEY], session)
    finally:
        await runner.cleanup()
