"""Cookie-authenticated publishing on the stage's hub is same-origin by default (issue 14, 14).

With `mercure_test_secret` set the stage used to allow a cookie publish from any page on the
web (`publish_origins = ["*"]`, a CSRF hole). Now the stage's own origin is allowed, plus the
origins listed in `mercure_publish_origins`; the official suites publish with a bearer token
and need none of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hub.config import ConfigError, StageConfig
from hub.stage import Stage
from tests.mercure.helpers import SECRET, v0_token, v1_token

HUB = "/.well-known/mercure"
CONFORMANCE = Path(__file__).parent.parent / "resources" / "conformance.toml"


async def running(tmp_path: Path, **settings: object) -> Stage:
    config = StageConfig(
        data_dir=tmp_path / "stage",
        host="127.0.0.1",
        port=0,
        demo=True,
        mercure_test_secret=SECRET,
        **settings,  # type: ignore[arg-type]
    )
    stage = Stage(config)
    await stage.start()
    return stage


@pytest.fixture
async def test_stage(tmp_path: Path) -> AsyncIterator[Stage]:
    stage = await running(tmp_path)
    try:
        yield stage
    finally:
        await stage.stop()


async def cookie_publish(stage: Stage, headers: dict[str, str], v0: bool = False) -> int:
    if v0:
        cookie = f"mercureAuthorization={v0_token(publish=['*'])}"
    else:
        cookie = f"__Secure-mercure_access_token={v1_token(publish=['*'])}"
    async with (
        aiohttp.ClientSession(base_url=stage.url) as http,
        http.post(HUB, data={"topic": "urn:t"}, headers={"Cookie": cookie, **headers}) as r,
    ):
        return r.status


async def test_cookie_publish_from_another_origin_is_refused(test_stage: Stage):
    """Defect 14: with the test secret set, any origin could publish with the cookie."""
    for headers in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "null"},
        {},
        {"Origin": test_stage.url.replace("127.0.0.1", "127.0.0.2")},
        {"Origin": test_stage.url + "/"},
    ):
        assert await cookie_publish(test_stage, headers) == 400, headers
    assert await cookie_publish(test_stage, {"Origin": "https://evil.example"}, v0=True) == 401


async def test_cookie_publish_from_the_stage_itself_is_accepted(test_stage: Stage):
    url = test_stage.url
    assert await cookie_publish(test_stage, {"Origin": url}) == 200
    assert await cookie_publish(test_stage, {"Referer": f"{url}/clerk"}) == 200
    assert await cookie_publish(test_stage, {"Origin": url}, v0=True) == 200


async def test_listed_publish_origins_are_accepted(tmp_path: Path):
    stage = await running(tmp_path, mercure_publish_origins=("https://display.example",))
    try:
        assert await cookie_publish(stage, {"Origin": "https://display.example"}) == 200
        assert await cookie_publish(stage, {"Origin": "https://evil.example"}) == 400
    finally:
        await stage.stop()


async def test_bearer_publish_needs_no_origin(test_stage: Stage):
    """What the official suites do: a bearer token from a page on any origin."""
    token = v1_token(publish=["*"])
    async with (
        aiohttp.ClientSession(base_url=test_stage.url) as http,
        http.post(
            HUB,
            data={"topic": "urn:t", "id": "1"},
            headers={"Authorization": f"Bearer {token}", "Origin": "https://evil.example"},
        ) as r,
    ):
        assert r.status == 200
        assert await r.text() == "1"


def test_conformance_config_still_loads_and_lists_no_publish_origin():
    config = StageConfig.load(CONFORMANCE)
    assert config.mercure_test_secret == SECRET
    assert config.mercure_publish_origins == ()


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "stage.toml"
    path.write_text(f"[stage]\n{body}\n", "utf-8")
    return path


def test_publish_origins_setting_is_checked(tmp_path: Path):
    ok = StageConfig.load(
        write(
            tmp_path,
            'mercure_publish_origins = ["https://a.example", "http://10.0.0.5:8765", '
            '"https://a.example", "http://[::1]:8765", "*"]',
        )
    )
    # Duplicates collapse; order is kept.
    assert ok.mercure_publish_origins == (
        "https://a.example",
        "http://10.0.0.5:8765",
        "http://[::1]:8765",
        "*",
    )
    bad_values = (
        '"https://a.example"',  # not a list
        "[1]",
        '["a.example"]',
        '["https://a.example/"]',
        '["https://a.example/path"]',
        '["https://a.example?x"]',
        '["ftp://a.example"]',
        '["https://user@a.example"]',
        '["https://A.example"]',
        '["https://a.example:99999"]',
        '["https://a.example:x"]',
        '["https://a.example\\r\\nX: y"]',
        '["https://\u00e9.example"]',
        '[""]',
        '["https://' + "a" * 400 + '.example"]',
        "[" + ", ".join('"https://a.example"' for _ in range(101)) + "]",
    )
    for value in bad_values:
        with pytest.raises(ConfigError, match="mercure_publish_origins"):
            StageConfig.load(write(tmp_path, f"mercure_publish_origins = {value}"))
