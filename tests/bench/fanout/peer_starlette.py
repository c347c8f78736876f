"""The peer for bench_fanout: the idiomatic sse-starlette broadcast under uvicorn.

One ``asyncio.Queue`` per subscriber, fed by the publish endpoint, drained by the
subscriber's async generator inside ``EventSourceResponse``. Same wire shape as the hub
bench uses (``GET|POST /.well-known/mercure``, form fields ``topic`` and ``data``).
JWTs are not checked (a fixed per-request cost, not per subscriber)::

    python tests/bench/fanout/peer_starlette.py --port 8001
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import uvicorn
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

TOPICS: dict[str, set[asyncio.Queue[dict[str, str]]]] = {}


async def hub(request: Request) -> Response:
    if request.method == "POST":
        form = parse_qs((await request.body()).decode())
        topic, data = form.get("topic", [""])[0], form.get("data", [""])[0]
        if not topic:
            return PlainTextResponse("missing topic", status_code=400)
        event_id = f"urn:uuid:{uuid.uuid4()}"
        for q in TOPICS.get(topic, ()):
            q.put_nowait({"id": event_id, "data": data})
        return PlainTextResponse(event_id)
    topic = request.query_params.get("topic", "")
    if not topic:
        return PlainTextResponse("missing topic", status_code=400)
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    TOPICS.setdefault(topic, set()).add(queue)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            while True:
                yield await queue.get()
        finally:
            TOPICS[topic].discard(queue)

    return EventSourceResponse(events(), sep="\n")


app = Starlette(routes=[Route("/.well-known/mercure", hub, methods=["GET", "POST"])])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        backlog=4096,
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
