"""aiohttp wiring: routes, CORS, problem+json errors, the stream handler, discovery links."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http import HttpVersion11

from . import dialect_v0, dialect_v1, errors
from .auth import ANONYMOUS, DETAIL_TYPE, Grants, origin_allowed, parse_bearer, verify_token
from .config import HubConfig
from .history import HistorySource
from .hub import Hub
from .model import SubscribeRequest, parse_form, parse_publish_form
from .subscriber import Subscriber
from .subscriptions import subscriptions_handler

HUB_KEY = web.AppKey("mercure_hub", Hub)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Only what an event stream needs: every header is held per subscriber for the stream's life
# (a browser never renders text/event-stream, so page-only headers like CSP buy nothing).
_STREAM_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "private, no-cache, no-store, must-revalidate, max-age=0",
    "X-Accel-Buffering": "no",  # nginx: don't buffer the stream
    "X-Content-Type-Options": "nosniff",
}
_EXPOSE = "Link, Mercure-Last-Event-ID, Last-Event-ID, WWW-Authenticate, ETag"
_ROOT_PAGE = b"<!doctype html><title>Mercure hub</title><p>Mercure hub.</p>\n"


def discovery_link(
    hub_url: str, *, last_event_id: str | None = None, content_type: str | None = None
) -> str:
    """The value of ``Link: <hub>; rel="mercure"`` for resources that publish updates."""
    value = f'<{hub_url}>; rel="mercure"'
    if last_event_id is not None:
        value += f'; last-event-id="{last_event_id}"'
    if content_type is not None:
        value += f'; content-type="{content_type}"'
    return value


def add_discovery_link(response: web.StreamResponse, hub_url: str, **attrs: str | None) -> None:
    """Add the discovery ``Link`` header to an API response (before it is prepared)."""
    response.headers.add("Link", discovery_link(hub_url, **attrs))


def cors_headers(request: web.Request, config: HubConfig) -> dict[str, str]:
    """Allowlist CORS: '*' without credentials, else the exact origin with credentials."""
    origin = request.headers.get("Origin")
    if not origin or not config.cors_origins:
        return {}
    if origin in config.cors_origins:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": _EXPOSE,
            "Vary": "Origin",
        }
    if "*" in config.cors_origins:
        return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": _EXPOSE}
    return {}


def problem(err: errors.HubError, extra: dict[str, str] | None = None) -> web.Response:
    headers = {**err.headers, **(extra or {})}
    return web.Response(
        status=err.status, body=err.body(), headers=headers, content_type=errors.PROBLEM_JSON
    )


def metadata_url(config: HubConfig) -> str:
    u = urlsplit(config.public_url)
    return f"{u.scheme}://{u.netloc}/.well-known/oauth-protected-resource{config.hub_path}"


def authenticate(token: str | None, config: HubConfig, use: str) -> Grants:
    if token is None:
        if use == "subscribe" and config.allow_anonymous:
            return ANONYMOUS
        raise errors.no_token(metadata_url(config) if config.keys else None)
    return verify_token(token, config, use)


class _Handlers:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.config = hub.config
        self.per_client: dict[str, int] = {}  # open streams per client address (if capped)

    async def hub_endpoint(self, request: web.Request) -> web.StreamResponse:
        cors = cors_headers(request, self.config)
        try:
            if request.method == "POST":
                return await self.publish(request, cors)
            if request.method == "OPTIONS" and cors:
                return web.Response(
                    status=204,
                    headers={
                        **cors,
                        "Access-Control-Allow-Methods": "GET, POST, HEAD, OPTIONS",
                        "Access-Control-Allow-Headers": (
                            "authorization, cache-control, last-event-id, content-type"
                        ),
                        "Access-Control-Max-Age": "600",
                    },
                )
            raise errors.HubError(
                405, "method not allowed", headers={"Allow": "GET, HEAD, POST, OPTIONS"}
            )
        except errors.HubError as err:
            return problem(err, cors)

    # ---------------------------------------------------------------- subscribe
    def _parse_subscribe(self, request: web.Request) -> SubscribeRequest:
        cfg = self.config
        # The raw query: `query_string` is already percent-decoded once (a `%253A` would
        # become `:`, not `%3A`).
        pairs = parse_form(request.rel_url.raw_query_string, cfg.max_selectors + 32)
        args = (
            pairs,
            request.headers,
            request.headers.getall("Authorization", []),
            request.cookies,
            cfg,
        )
        if dialect_v1.is_v1(pairs):
            return dialect_v1.parse_subscribe(*args)
        if cfg.enable_v0 and dialect_v0.is_v0(pairs):
            return dialect_v0.parse_subscribe(*args)
        raise errors.bad_request('missing "match" or "topic" parameter')

    def _open_request(self, request: web.Request) -> tuple[SubscribeRequest, Grants]:
        try:
            req = self._parse_subscribe(request)
        except errors.HubError as err:
            if err.status == 413:  # an over-long query is a selector-count problem: 400
                raise errors.bad_request(err.detail) from None
            raise
        mapper = dialect_v0.map_error if req.dialect == "v0" else dialect_v1.map_error
        try:
            grants = authenticate(req.token, self.config, "subscribe")
            if not self.hub.admits(grants):
                raise errors.invalid_token("session revoked")
        except errors.HubError as err:
            raise mapper(err) from None
        return req, grants

    async def subscribe(self, request: web.Request) -> web.StreamResponse:
        """GET/HEAD: the event stream. Its own route, not via `hub_endpoint`: this coroutine
        lives as long as the stream, and every frame less per subscriber counts at 10k+."""
        cors = cors_headers(request, self.config)
        try:
            req, grants = self._open_request(request)
            client = self._admit(request)
        except errors.HubError as err:
            return problem(err, cors)
        try:
            resp = web.StreamResponse(headers={**_STREAM_HEADERS, **cors})
            transport = request.transport
            if request.method == "HEAD" or transport is None:
                await resp.prepare(request)
                return resp
            # A stream ends with its connection: no keep-alive, no idle timer per stream.
            resp.force_close()
            protocol = request.protocol
            if protocol is not None:
                protocol.keep_alive(False)
            loop = asyncio.get_running_loop()
            sub = Subscriber(
                None,
                req.dialect,
                req.selectors,
                grants,
                transport,
                request.version >= HttpVersion11,
                loop.create_future(),
            )
            frames, cursor_header = self.hub.open(sub, req.cursor, grants.exp)
            try:
                if cursor_header is not None:
                    name = (
                        dialect_v0.CURSOR_HEADER
                        if req.dialect == "v0"
                        else dialect_v1.CURSOR_HEADER
                    )
                    resp.headers[name] = cursor_header
                await resp.prepare(request)
                self.hub.go_live(sub, frames)
                del frames
                await sub.done
            finally:
                self.hub.remove(sub)
            return resp
        finally:
            if client is not None:
                self._leave(client)

    def _admit(self, request: web.Request) -> str | None:
        """Enforce the connection caps (S10: 429); returns the client key to release."""
        cfg = self.config
        if cfg.max_subscribers and self.hub.count() >= cfg.max_subscribers:
            raise errors.too_many("too many subscribers on this hub; try again shortly")
        if not cfg.max_per_client:
            return None
        client = request.remote or ""
        n = self.per_client.get(client, 0)
        if n >= cfg.max_per_client:
            raise errors.too_many("too many open streams from this address")
        self.per_client[client] = n + 1
        return client

    def _leave(self, client: str) -> None:
        n = self.per_client.get(client, 0) - 1
        if n > 0:
            self.per_client[client] = n
        else:
            self.per_client.pop(client, None)

    # ---------------------------------------------------------------- publish
    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.config.max_body_size
        if request.content_length is not None and request.content_length > limit:
            raise errors.too_large("request body too large")
        body = bytearray()
        while True:
            chunk = await request.content.read(65536)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise errors.too_large("request body too large")

    async def publish(self, request: web.Request, cors: dict[str, str]) -> web.Response:
        cfg = self.config
        try:
            token = parse_bearer(request.headers.getall("Authorization", []))
        except ValueError as e:
            raise errors.invalid_request(str(e)) from None
        from_cookie = False
        if token is None and cfg.enable_v0_query_authorization:
            token = request.query.get("authorization")
        if token is None:
            token = request.cookies.get(cfg.cookie_name_v1) or request.cookies.get(
                cfg.cookie_name_v0
            )
            from_cookie = token is not None
        grants = authenticate(token, cfg, "publish")
        own = (request.scheme, request.host) if cfg.publish_same_origin else None
        if from_cookie and not origin_allowed(
            request.headers.get("Origin"),
            request.headers.get("Referer"),
            cfg.publish_origins,
            own,
        ):
            # CSRF: a cookie-authenticated POST needs an allowed Origin or Referer.
            err = errors.invalid_request("missing or unallowed Origin for cookie auth")
            raise (dialect_v0.map_error(err) if grants.dialect == "v0" else err)
        body = await self._read_body(request)
        if request.content_type != "application/x-www-form-urlencoded":
            raise errors.bad_request("expected application/x-www-form-urlencoded")
        update = parse_publish_form(parse_form(body, cfg.max_topics + 32))
        self.hub.validate(update)
        if not grants.can_publish(update.topics):
            raise errors.insufficient_scope("not allowed to publish to these topics")
        event_id = self.hub.publish(update)
        return web.Response(text=event_id, content_type="text/plain", charset="utf-8", headers=cors)

    # ---------------------------------------------------------------- misc
    async def metadata(self, request: web.Request) -> web.Response:
        cfg = self.config
        doc = {
            "resource": cfg.public_url,
            "authorization_servers": list(cfg.issuers),
            "authorization_details_types_supported": [DETAIL_TYPE],
            "bearer_methods_supported": ["header"],
            "mercure_cookie": cfg.cookie_name_v1,
            "mercure_matcher_types_supported": ["exact", "urlpattern"],
            "mercure_subscriptions": cfg.subscriptions,
        }
        return web.json_response(doc, headers=cors_headers(request, cfg))

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(body=_ROOT_PAGE, content_type="text/html")


def setup_mercure(
    app: web.Application, config: HubConfig, sources: Sequence[HistorySource] = ()
) -> Hub:
    """Add the hub's routes and lifecycle to an existing aiohttp app; returns the Hub.

    In-process publishing: ``app[HUB_KEY].publish(Update(...))`` from the app's loop.
    """
    hub = Hub(config, sources)
    app[HUB_KEY] = hub
    h = _Handlers(hub)
    app.router.add_route("GET", config.hub_path, h.subscribe)
    app.router.add_route("HEAD", config.hub_path, h.subscribe)
    app.router.add_route("*", config.hub_path, h.hub_endpoint)
    app.router.add_route(
        "*", config.hub_path + "/subscriptions{tail:(/.*)?}", _wrap_subscriptions(hub)
    )
    if config.keys:
        app.router.add_get("/.well-known/oauth-protected-resource" + config.hub_path, h.metadata)
    if config.serve_root_page:
        app.router.add_get("/", h.root)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await hub.start()
        yield
        await hub.close()

    async def on_shutdown(_: web.Application) -> None:
        await hub.close()  # end open streams so runner.cleanup() doesn't wait for them

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(on_shutdown)
    return hub


def _wrap_subscriptions(hub: Hub) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        cors = cors_headers(request, hub.config)
        try:
            return await subscriptions_handler(hub, request, cors)
        except errors.HubError as err:
            return problem(err, cors)

    return handler


def make_mercure_app(config: HubConfig, sources: Sequence[HistorySource] = ()) -> web.Application:
    """A standalone aiohttp application serving only the hub."""
    app = web.Application(client_max_size=config.max_body_size)
    setup_mercure(app, config, sources)
    return app


def raise_open_file_limit() -> int:
    """Lift the soft open-file limit to the hard one: each subscriber is a socket, and the
    usual default of 1,024 would refuse connections long before the hub is busy."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def dumps(doc: object) -> str:
    return json.dumps(doc, separators=(",", ":"))
