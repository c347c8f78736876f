"""Helpers for the web-page tests: Debian's Chromium, a fake stage, and the real one.

- `browser`: Debian's Chromium through Playwright (never a downloaded browser).
- `fake`: a small aiohttp server in a thread that serves `resources/web/` like the gateway
  (same paths, same CSP) and fakes the API and the Mercure hub, so the pages can be driven
  event by event (replay by Last-Event-ID / lastEventID, dropped streams, refusals).
- `stage`: the real `auctionmen serve --demo` on loopback (skipped only while the gateway
  does not exist yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hub.auction.commands import catalogue
from hub.gateway.app import add_pages

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "resources" / "web"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SALE = "https://auctionmen.local/sales/demo"
ROOM, STAFF = f"{SALE}/room", f"{SALE}/staff"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>&amp; "Vase"'

JSON = dict[str, Any]


# ------------------------------------------------------------------ browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_page(browser: Any, viewport: dict[str, int] = DESKTOP) -> Any:
    """A page in its own context that records page errors and CSP violations."""
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            page.errors.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    return page


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


# ------------------------------------------------------------------ wire data


def lot(lot_id: str = "1", **kw: Any) -> JSON:
    base = {
        "id": lot_id,
        "order": 1,
        "title": "Pair of Meissen porcelain vases, c. 1880",
        "description": "Hand-painted floral reserves.",
        "estimate": {"low": 80000, "high": 120000},
        "start": 50000,
        "images": ["lot1.svg"],
        "status": "open",
        "ask": 50000,
        "increment": 5000,
        "high": None,
        "bids": 0,
        "hammer": None,
        "currency": "EUR",
        "changed_seq": 1,
    }
    base.update(kw)
    return base


def staff_lot(lot_id: str = "1", **kw: Any) -> JSON:
    extra = {
        "reserve": 70000,
        "reserve_met": False,
        "books": [],
        "pending": [],
        "late": [],
        "history": [],
    }
    extra.update(kw)
    return lot(lot_id, **extra)


def high(amount: int, paddle: str | None, channel: str = "online") -> JSON:
    return {"amount": amount, "paddle": paddle, "channel": channel, "house": False}


def event(
    seq: int,
    type_: str,
    lot_state: JSON | None,
    data: JSON | None = None,
    epoch: int = 1,
    at: float | None = None,
) -> JSON:
    return {
        "seq": seq,
        "epoch": epoch,
        "type": type_,
        "at": at or time.time(),
        "sale": "demo",
        "lot": lot_state,
        "data": data or {},
    }


def snapshot(seq: int, current: JSON | None, lots: list[JSON] | None = None, **sale: Any) -> JSON:
    sale_view = {
        "id": "demo",
        "title": "Autumn sale (test)",
        "currency": "EUR",
        "paused": False,
        "message": "",
        "current": current["id"] if current else None,
    }
    sale_view.update(sale)
    summaries = (
        lots
        if lots is not None
        else [
            {
                "id": str(i),
                "order": i,
                "title": f"Lot number {i}",
                "status": "pending",
                "estimate": {"low": 10000 * i, "high": 20000 * i},
                "images": [f"lot{i}.svg"],
                "hammer": None,
            }
            for i in range(1, 8)
        ]
    )
    return {"seq": seq, "epoch": 1, "sale": sale_view, "lot": current, "lots": summaries}


# ------------------------------------------------------------------ the fake stage


class FakeStage:
    """Serves the pages like the gateway and fakes the API and the hub."""

    def __init__(self) -> None:
        self.snapshot: JSON = snapshot(0, None)
        self.events: list[tuple[str, list[str], JSON]] = []  # (id, topics, body)
        self.requests: list[JSON] = []
        self.down = False  # the hub refuses streams (503) while True
        self.bid_answer: Callable[[JSON], tuple[int, JSON]] = lambda body: (200, {"ok": True})
        self.command_answer: Callable[[JSON], tuple[int, JSON]] = lambda body: (
            200,
            {"ok": True, "events": []},
        )
        # A bidder's own commands (commission bids) on the commands endpoint with a bidder
        # token; None: refused as staff-only (403), as a gateway without them answers.
        self.absentee_answer: Callable[[JSON], tuple[int, JSON]] | None = None
        self.catalogue: Callable[[], JSON] = catalogue  # what GET /api/commands serves
        self.session: Callable[[str], tuple[int, JSON]] = self._session
        # What /house.json tells the public pages (the stage's rates.public_view): the shipped
        # sample rates, fresh, and the pages' default languages.
        sample = json.loads((WEB / "rates.json").read_text())
        self.house: JSON = {
            "room_languages": [],
            "room_shows_passed_amount": False,
            "rates_max_age_days": 7,
            "rates": sample,
            "rates_date": sample["date"],
        }
        self.pin = "123456"
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._queues: set[asyncio.Queue[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # -- control from the test thread

    def start(self) -> str:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.url = fut.result(10)
        return self.url

    def __enter__(self) -> FakeStage:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        async def _stop() -> None:
            self.drop()
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def publish(self, body: JSON, topics: list[str] | None = None, view: str = "p") -> None:
        topics = topics or [ROOM, STAFF]
        ident = f"demo:{body.get('epoch', 1)}:{body['seq']}:{view}"
        self.events.append((ident, topics, body))
        for q in list(self._queues):
            self._loop.call_soon_threadsafe(q.put_nowait, (ident, topics, body))

    def drop(self) -> None:
        """Close every open stream (as a crash or a network cut would)."""
        for q in list(self._queues):
            self._loop.call_soon_threadsafe(q.put_nowait, None)

    def calls(self, path_part: str) -> list[JSON]:
        return [r for r in self.requests if path_part in r["path"]]

    # -- server

    @staticmethod
    def _session(token: str) -> tuple[int, JSON]:
        if token.startswith("bidder-"):
            paddle = token.split("-", 1)[1]
            return 200, {
                "role": "bidder",
                "paddle": paddle,
                "sale": "demo",
                "hub": "/.well-known/mercure",
                "topics": {"room": ROOM, "mine": f"{SALE}/bidders/{paddle}"},
            }
        if token.startswith("clerk"):
            return 200, {
                "role": "clerk",
                "paddle": None,
                "sale": "demo",
                "hub": "/.well-known/mercure",
                "topics": {"room": ROOM, "staff": STAFF},
            }
        return 401, {"reason": "invalid_token"}

    async def _start(self) -> str:
        @web.middleware
        async def csp(request: web.Request, handler: Any) -> web.StreamResponse:
            response = await handler(request)
            response.headers.setdefault("Content-Security-Policy", CSP)
            return response

        app = web.Application(middlewares=[csp])
        r = app.router
        # The pages exactly as the stage serves them; only the API and the hub are faked.
        add_pages(r, lambda: [WEB / "images"], lambda: self.house)
        r.add_get("/blank", self._blank)
        r.add_get("/api/sales/{sale}/state", self._state)
        r.add_post("/api/session", self._post_session)
        r.add_post("/api/pair", self._pair)
        # The command registry as the gateway serves it (not recorded: `calls("/commands")`
        # means the staff commands the page sent).
        r.add_get("/api/commands", self._catalogue)
        r.add_post("/api/sales/{sale}/bids", self._bids)
        r.add_post("/api/sales/{sale}/commands", self._commands)
        r.add_get("/.well-known/mercure", self._mercure)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    async def _catalogue(self, request: web.Request) -> web.Response:
        return web.json_response(self.catalogue())

    @staticmethod
    async def _blank(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>blank</title>", content_type="text/html")

    async def _record(self, request: web.Request) -> JSON:
        body = None
        if request.can_read_body:
            with contextlib.suppress(ValueError):
                body = await request.json()
        entry = {
            "method": request.method,
            "path": request.path,
            "auth": request.headers.get("Authorization"),
            "body": body,
            "query": dict(request.query),
            "last_event_id": request.headers.get("Last-Event-ID")
            or request.query.get("lastEventID"),
        }
        self.requests.append(entry)
        return entry

    async def _state(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.json_response(self.snapshot)

    async def _post_session(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        token = (entry["auth"] or "")[len("Bearer ") :]
        status, body = self.session(token)
        return web.json_response(body, status=status)

    async def _pair(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        if (entry["body"] or {}).get("pin") == self.pin:
            return web.json_response({"token": "clerk-paired", "sale": "demo"})
        return web.json_response({"reason": "wrong_pin"}, status=403)

    async def _bids(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        status, body = self.bid_answer(entry["body"])
        return web.json_response(body, status=status)

    async def _commands(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        if (entry["auth"] or "").startswith("Bearer bidder-"):
            if self.absentee_answer is None:
                return web.json_response({"reason": "forbidden"}, status=403)
            status, body = self.absentee_answer(entry["body"])
            return web.json_response(body, status=status)
        status, body = self.command_answer(entry["body"])
        return web.json_response(body, status=status)

    async def _mercure(self, request: web.Request) -> web.StreamResponse:
        entry = await self._record(request)
        if self.down:
            return web.Response(status=503, text="down")
        topics = set(request.query.getall("topic", []))
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        await response.write(b"retry: 250\n\n")
        queue: asyncio.Queue[Any] = asyncio.Queue()
        last = entry["last_event_id"]
        backlog = self.events
        if last:
            ids = [e[0] for e in self.events]
            if last in ids:
                backlog = self.events[ids.index(last) + 1 :]
            else:
                # Like the stage: an id it never sent still names a seq (the snapshot's).
                parts = last.split(":")
                after = int(parts[2]) if len(parts) == 4 and parts[2].isdigit() else None
                backlog = [
                    e for e in self.events if after is not None and int(e[0].split(":")[2]) > after
                ]
        else:
            backlog = []
        for item in backlog:
            queue.put_nowait(item)
        self._queues.add(queue)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                ident, item_topics, body = item
                if topics & set(item_topics):
                    data = json.dumps(body)
                    await response.write(f"id: {ident}\ndata: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._queues.discard(queue)
        with contextlib.suppress(Exception):
            request.transport.close()  # type: ignore[union-attr]
        return response


@pytest.fixture
def fake() -> Iterator[FakeStage]:
    with FakeStage() as stage:
        yield stage


# ------------------------------------------------------------------ the real stage


class RealStage:
    """`auctionmen serve --demo` as a subprocess on loopback."""

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.data_dir = data_dir
        self.port = port
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.info: JSON = {}

    def start(self, timeout: float = 20.0) -> str:
        exe = ROOT / ".venv" / "bin" / "auctionmen"
        cmd = [
            str(exe),
            "serve",
            "--demo",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"auctionmen serve exited with {self.proc.returncode}")
                continue
            with contextlib.suppress(ValueError):
                info = json.loads(line)
                if info.get("event") == "serving":
                    self.info = info
                    self.url = info["url"]
                    self.port = int(self.url.rsplit(":", 1)[1])
                    # Keep reading stdout so the server never blocks on a full pipe.
                    threading.Thread(target=self._drain, daemon=True).start()
                    return self.url
        self.stop()
        raise RuntimeError("auctionmen serve did not report its address in time")

    def _drain(self) -> None:
        proc = self.proc
        if proc and proc.stdout:
            for _ in proc.stdout:
                pass

    def stop(self, kill: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def token(self, role: str, paddle: str | None = None) -> str:
        exe = ROOT / ".venv" / "bin" / "auctionmen"
        cmd = [str(exe), "token", "--data-dir", str(self.data_dir), "--role", role]
        if paddle:
            cmd += ["--paddle", paddle]
        return subprocess.check_output(cmd, text=True, cwd=ROOT, timeout=30).strip()


def require_gateway() -> None:
    if not (ROOT / "hub" / "gateway" / "app.py").exists():
        pytest.skip("the gateway (hub/gateway/app.py) does not exist yet: no server to test")
    if not (ROOT / ".venv" / "bin" / "auctionmen").exists():
        pytest.skip("the auctionmen command is not installed in .venv")


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[RealStage]:
    require_gateway()
    real = RealStage(tmp_path / "data")
    real.start()
    try:
        yield real
    finally:
        real.stop()


@contextlib.contextmanager
def module_page(browser: Any, **modules: str) -> Iterator[Any]:
    """A blank page of a fake stage with the pages' ES modules loaded as globals (S=state.js)."""
    stage = FakeStage()
    stage.start()
    page = new_page(browser)
    page.goto(f"{stage.url}/blank")
    loads = "".join(f"window.{k} = await import('/static/js/{v}');" for k, v in modules.items())
    page.evaluate(f"async () => {{ {loads} }}")
    try:
        yield page
    finally:
        page.context.close()
        stage.stop()
