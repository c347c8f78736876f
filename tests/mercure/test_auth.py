"""Negative JWT suite and authorization rules: every bad token is 401/403, never 200/500."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hub.mercure import HubConfig, KeySpec
from hub.mercure.config import ConfigError

from .helpers import AUD, DETAIL, ISS, SECRET, Server, bearer, running_hub, v0_token, v1_token

_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIV_PEM = _rsa.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUB_PEM = (
    _rsa.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def _b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _claims(**over: Any) -> dict[str, Any]:
    c = {
        "aud": AUD,
        "iss": ISS,
        "exp": int(time.time()) + 3600,
        "authorization_details": [
            {"type": DETAIL, "actions": ["publish", "subscribe"], "topics": [{"match": "*"}]}
        ],
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def _hs_with_public_key() -> str:
    # Key confusion: HMAC "signed" with the RSA public key text.
    signing = f"{_b64({'alg': 'HS256', 'typ': 'at+jwt'})}.{_b64(_claims())}"
    import hashlib
    import hmac

    sig = hmac.new(PUB_PEM.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


def _many_grants(n: int) -> str:
    topics = [{"match": f"t{i}"} for i in range(n)]
    return jwt.encode(
        _claims(authorization_details=[{"type": DETAIL, "actions": ["publish"], "topics": topics}]),
        SECRET,
        headers={"typ": "at+jwt"},
    )


BAD_TOKENS: dict[str, str] = {
    "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(_claims())}.",
    "HS256 signed with the public key": _hs_with_public_key(),
    "wrong secret": v1_token(["*"], ["*"], secret="x" * 40),
    "missing exp": jwt.encode(_claims(exp=None), SECRET, headers={"typ": "at+jwt"}),
    "expired": jwt.encode(_claims(exp=int(time.time()) - 600), SECRET, headers={"typ": "at+jwt"}),
    # Far ahead: these tokens are made when the module is collected, and a whole-suite run
    # reaches this test more than ten minutes later (a +600 s nbf had become valid by then).
    "future nbf": jwt.encode(
        _claims(nbf=int(time.time()) + 10 * 365 * 86_400), SECRET, headers={"typ": "at+jwt"}
    ),
    "wrong aud": jwt.encode(
        _claims(aud="https://evil/.well-known/mercure"), SECRET, headers={"typ": "at+jwt"}
    ),
    "missing aud": jwt.encode(_claims(aud=None), SECRET, headers={"typ": "at+jwt"}),
    "wrong iss": jwt.encode(_claims(iss="https://evil"), SECRET, headers={"typ": "at+jwt"}),
    "wrong typ with authorization_details": jwt.encode(_claims(), SECRET, headers={"typ": "JWT"}),
    "jku header": jwt.encode(
        _claims(), SECRET, headers={"typ": "at+jwt", "jku": "https://evil/jwks"}
    ),
    "jwk header": jwt.encode(_claims(), SECRET, headers={"typ": "at+jwt", "jwk": {"kty": "oct"}}),
    "64 KiB token": jwt.encode(_claims(pad="x" * 65536), SECRET, headers={"typ": "at+jwt"}),
    "1001 grants": _many_grants(1001),
    "unsupported match_type": jwt.encode(
        _claims(
            authorization_details=[
                {
                    "type": DETAIL,
                    "actions": ["publish"],
                    "topics": [{"match": "*", "match_type": "re"}],
                }
            ]
        ),
        SECRET,
        headers={"typ": "at+jwt"},
    ),
    "malformed detail": jwt.encode(
        _claims(authorization_details=[{"type": DETAIL}]), SECRET, headers={"typ": "at+jwt"}
    ),
    "garbage": "not.a.jwt",
    "RS256 with unknown key": jwt.encode(
        _claims(), PRIV_PEM, algorithm="RS256", headers={"typ": "at+jwt"}
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
async def test_bad_token_publish(server: Server, name: str) -> None:
    async with server.session.post(
        server.url, data={"topic": "t", "data": "x"}, headers=bearer(BAD_TOKENS[name])
    ) as r:
        assert r.status in (401, 403), (r.status, await r.text())
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert "WWW-Authenticate" in r.headers


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
async def test_bad_token_subscribe_even_with_anonymous(server: Server, name: str) -> None:
    async with server.session.get(
        server.url, params={"match": "t"}, headers=bearer(BAD_TOKENS[name])
    ) as r:
        assert r.status == 401, (r.status, await r.text())
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_grant_limit_boundary_accepted(server: Server) -> None:
    await server.publish(_many_grants(1000), topic="t999", data="ok")


async def test_publish_not_granted_is_403_insufficient_scope(server: Server) -> None:
    tok = v1_token(publish=["https://e.net/allowed/:id"], match_type="urlpattern")
    await server.publish(tok, topic="https://e.net/allowed/1")
    async with server.session.post(
        server.url,
        headers=bearer(tok),
        data=[("topic", "https://e.net/allowed/1"), ("topic", "https://e.net/other")],
    ) as r:
        assert r.status == 403
        assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]


async def test_v0_publish_grants(server: Server) -> None:
    tok = v0_token(publish=["https://e.net/lots/{id}"])
    await server.publish(tok, topic="https://e.net/lots/3")
    await server.publish(tok, expect=403, topic="https://e.net/other")
    await server.publish(v0_token(), expect=403, topic="https://e.net/lots/3")  # no grants


async def test_asymmetric_key_and_issuer_binding() -> None:
    cfg = HubConfig(
        keys=(KeySpec(PUB_PEM, ("RS256",), issuer=ISS),), issuers=(ISS,), public_url=AUD
    )
    async with running_hub(cfg) as s:
        good = jwt.encode(_claims(), PRIV_PEM, algorithm="RS256", headers={"typ": "at+jwt"})
        await s.publish(good, topic="a")
        await s.publish(_hs_with_public_key(), expect=401, topic="a")
        other_iss = jwt.encode(
            _claims(iss="https://other"), PRIV_PEM, algorithm="RS256", headers={"typ": "at+jwt"}
        )
        await s.publish(other_iss, expect=401, topic="a")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": PUB_PEM, "algorithms": ("HS256",)},
        {"key": SECRET, "algorithms": ("RS256",)},
        {"key": SECRET, "algorithms": ("none",)},
        {"key": SECRET, "algorithms": ()},
        {"key": SECRET, "algorithms": ("HS256", "RS256")},
        {"key": "short", "algorithms": ("HS256",)},
    ],
)
def test_dangerous_key_configs_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        KeySpec(**kwargs)


@pytest.fixture
async def strict_server() -> AsyncIterator[Server]:
    cfg = HubConfig(
        keys=(KeySpec(SECRET),),
        issuers=(ISS,),
        public_url=AUD,
        publish_origins=("https://stage.example",),
        enable_v0_query_authorization=True,
    )
    async with running_hub(cfg) as s:
        yield s


async def test_anonymous_off_needs_token(strict_server: Server) -> None:
    s = strict_server
    async with s.session.get(s.url, params={"match": "t"}) as r:
        assert r.status == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert "error=" not in r.headers["WWW-Authenticate"]
    async with s.subscribe([("match", "t")], headers=bearer(v1_token())):
        pass


async def test_cookie_publish_csrf(strict_server: Server) -> None:
    s = strict_server
    tok = v1_token(publish=["*"])
    cookies = {"Cookie": f"__Secure-mercure_access_token={tok}"}
    cases = [
        ({}, 400),
        ({"Origin": "https://evil.example"}, 400),
        ({"Referer": "https://evil.example/page"}, 400),
        ({"Origin": "https://stage.example"}, 200),
        ({"Referer": "https://stage.example/page"}, 200),
    ]
    for extra, status in cases:
        async with s.session.post(s.url, data={"topic": "t"}, headers={**cookies, **extra}) as r:
            assert r.status == status, (extra, r.status, await r.text())
    v0 = {"Cookie": f"mercureAuthorization={v0_token(publish=['*'])}"}
    async with s.session.post(s.url, data={"topic": "t"}, headers=v0) as r:
        assert r.status == 401  # 0.x reference behaviour


async def test_v0_query_authorization_only_when_enabled(
    strict_server: Server, server: Server
) -> None:
    tok = v0_token(subscribe=["*"])
    async with strict_server.subscribe([("topic", "t"), ("authorization", tok)]):
        pass
    # v1 requests never take a token from the URL.
    async with strict_server.session.get(
        strict_server.url, params=[("match", "t"), ("authorization", tok)]
    ) as r:
        assert r.status == 401


async def test_malformed_authorization_header(server: Server) -> None:
    for value in ("Basic abc", "Bearer", "Bearer a b"):
        async with server.session.get(
            server.url, params={"match": "t"}, headers={"Authorization": value}
        ) as r:
            assert r.status == 400
            assert 'error="invalid_request"' in r.headers["WWW-Authenticate"]
        async with server.session.get(
            server.url, params={"topic": "t"}, headers={"Authorization": value}
        ) as r:
            assert r.status == 401  # 0.x
