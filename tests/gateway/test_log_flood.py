"""Log amplification (issue 14, defect 11): unparsable requests are logged once per kind per
interval and summarised with a count, on the stage and on the relay node."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Iterator

import aiohttp
import pytest

from hub.config import StageConfig
from hub.gateway.server import LogDigest
from hub.relay.node import RelayConfig, RelayNode
from hub.stage import Stage

NUL_REQUEST = b"GET /api/openapi.json HTTP/1.1\r\nHost: s\r\nX-Evil: a\x00b\r\n\r\n"
REQUESTS = 1_000
BOUND = 2_000  # bytes of log for all of them (one was 556 bytes with its traceback)


class Captured(logging.Handler):
    """Every log line (with any traceback) as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.out = io.StringIO()
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.out.write(self.format(record) + "\n")

    @property
    def size(self) -> int:
        return len(self.out.getvalue().encode())


@pytest.fixture
def logs() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def _counted(text: str) -> int:
    """Requests a log accounts for: one per first line, N per "N more" summary."""
    firsts = text.count("bad request from ")
    more = sum(int(n) for n in re.findall(r"(\d+) more bad requests", text))
    return firsts + more


async def _flood(port: int) -> list[bytes]:
    """`REQUESTS` requests with a NUL in a header, 20 at a time; each answer's status line."""
    gate = asyncio.Semaphore(20)

    async def one() -> bytes:
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(NUL_REQUEST)
            answer = await asyncio.wait_for(reader.read(), 10)
            writer.close()
            return answer.split(b"\r\n", 1)[0]

    return await asyncio.gather(*(one() for _ in range(REQUESTS)))


async def test_a_thousand_bad_requests_to_the_stage_log_a_few_lines(tmp_path, logs):
    stage = Stage(StageConfig(data_dir=tmp_path, port=0, demo=True))
    await stage.start()
    try:
        statuses = await _flood(int(stage.url.rsplit(":", 1)[1]))
    finally:
        await stage.stop()  # the counts are summarised at the latest when the server stops
    assert set(statuses) == {b"HTTP/1.0 400 Bad Request"}
    text = logs.out.getvalue()
    assert logs.size < BOUND, text[:3000]
    assert "Traceback" not in text
    assert _counted(text) == REQUESTS
    assert "\x00" not in text  # what the client sent is escaped


async def test_a_thousand_bad_requests_to_the_relay_log_a_few_lines(stage, logs):
    node = RelayNode(RelayConfig(stage_public_pem=stage.issuer.public_pem, port=0))
    await node.start()
    try:
        statuses = await _flood(int(node.url.rsplit(":", 1)[1]))
    finally:
        await node.stop()
    assert set(statuses) == {b"HTTP/1.0 400 Bad Request"}
    text = logs.out.getvalue()
    assert logs.size < BOUND, text[:3000]
    assert "Traceback" not in text
    assert _counted(text) == REQUESTS


# -- the digest itself, on an injected clock -------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _digest() -> tuple[LogDigest, Captured, Clock]:
    handler = Captured()
    logger = logging.getLogger("tests.digest")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    clock = Clock()
    return LogDigest(logger, 60.0, clock), handler, clock


def _bad_request() -> BaseException:
    from aiohttp.http_exceptions import BadHttpMessage

    return BadHttpMessage("Invalid header value char:\r\n\x1b[31mforged line\x00")


def test_one_line_per_kind_per_interval_then_a_summary():
    digest, out, clock = _digest()
    for n in range(500):
        digest.exception(
            f"198.51.100.{n % 7}", ("Error handling request from %s", "x"), _bad_request()
        )
    assert len(out.records) == 1
    assert out.records[0].levelno == logging.WARNING
    assert out.records[0].exc_info is None  # no traceback for a client's bad request
    clock.now += 61  # the next one after the interval: the summary, then a new first line
    digest.exception("198.51.100.9", (), _bad_request())
    assert [r.getMessage().split(" ")[0] for r in out.records[1:]] == ["499", "bad"]
    assert "(the last from 198.51.100.2)" in out.records[1].getMessage()
    digest.flush()
    assert len(out.records) == 3  # nothing counted since: nothing to summarise
    text = out.out.getvalue()
    assert "\x1b" not in text
    assert "\x00" not in text
    assert len(text.splitlines()) == 3  # CR/LF from the client cannot forge a log line


def test_server_errors_keep_their_traceback_once_per_interval():
    digest, out, _ = _digest()
    try:
        raise KeyError("boom")
    except KeyError as exc:
        error = exc
    for _ in range(50):
        digest.exception("127.0.0.1", ("Unhandled exception",), error)
    digest.exception("127.0.0.1", (), _bad_request())  # another kind: its own first line
    assert [r.levelno for r in out.records] == [logging.ERROR, logging.WARNING]
    assert out.records[0].exc_info is not None
    assert "Traceback" in out.out.getvalue()
    digest.flush()
    assert "49 more server errors (KeyError)" in out.records[-1].getMessage()


async def test_counts_are_summarised_when_the_interval_is_over():
    """The summary does not wait for the next bad request: a timer writes it."""
    _, out, _ = _digest()
    digest = LogDigest(logging.getLogger("tests.digest"), 0.05)  # the loop's own clock
    for _ in range(3):
        digest.exception("203.0.113.1", (), _bad_request())
    for _ in range(200):  # bounded wait for the timer's line
        if len(out.records) == 2:
            break
        await asyncio.sleep(0.05)
    assert "2 more bad requests" in out.records[1].getMessage()


async def test_a_request_that_crashes_a_handler_logs_one_traceback_then_a_count(logs):
    """The problem+json middleware's 500s go through a digest too (a crash found by an
    attacker could otherwise be replayed to flood the log)."""
    from aiohttp import web

    from hub.gateway import security

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("bug")

    app = web.Application(middlewares=[security.problems])
    app.router.add_get(r"/{tail:[\s\S]*}", broken)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            for n in range(200):
                path = "/x%0D%0AERROR forged" if n == 0 else f"/p{n}"
                async with http.get(f"http://127.0.0.1:{port}{path}") as r:
                    assert r.status == 500
                    assert (await r.json())["reason"] == "internal"
    finally:
        await runner.cleanup()
        security.CRASHES.flush()
    text = logs.out.getvalue()
    assert text.count("Traceback") == 1
    assert "199 more unhandled errors (RuntimeError)" in text
    assert "\nERROR forged" not in text  # the path is escaped
    assert logs.size < 3_000, text
