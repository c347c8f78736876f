"""Errors that become ``application/problem+json`` responses (RFC 9457), short bodies."""

from __future__ import annotations

import json
from http import HTTPStatus

PROBLEM_JSON = "application/problem+json"


class HubError(Exception):
    """A request the hub refuses; ``status`` and ``detail`` go to the client."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        www_authenticate: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        if www_authenticate is not None:
            self.headers["WWW-Authenticate"] = www_authenticate

    def body(self) -> bytes:
        doc = {
            "type": "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail[:200],
        }
        return json.dumps(doc).encode()


def bad_request(detail: str) -> HubError:
    return HubError(400, detail)


def too_large(detail: str) -> HubError:
    return HubError(413, detail)


def no_token(metadata_url: str | None = None) -> HubError:
    challenge = "Bearer" if not metadata_url else f'Bearer resource_metadata="{metadata_url}"'
    return HubError(401, "authorization required", www_authenticate=challenge)


def invalid_token(detail: str = "invalid token") -> HubError:
    return HubError(401, detail, www_authenticate='Bearer error="invalid_token"')


def insufficient_scope(detail: str = "insufficient scope") -> HubError:
    return HubError(403, detail, www_authenticate='Bearer error="insufficient_scope"')


def invalid_request(detail: str) -> HubError:
    return HubError(400, detail, www_authenticate='Bearer error="invalid_request"')


def too_many(detail: str, retry_after: int = 5) -> HubError:
    return HubError(429, detail, headers={"Retry-After": str(retry_after)})
