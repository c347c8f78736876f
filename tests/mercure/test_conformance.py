"""Our pytest version of the official conformance case tables (mercure.md §2.3), both
dialects, against a real aiohttp server on 127.0.0.1 with the documented test config.

"Not received" is proven with a marker update published afterwards on a second selector:
delivery is ordered, so if the marker arrives first the tested update was not sent.
"""

from __future__ import annotations

import uuid

import pytest

from .helpers import PUB, PUB_V0, Server

DATA = "data for\n\n        {name}"


def _cases(dialect: str) -> list[tuple[str, list[str], list[str], bool, bool]]:
    r = uuid.uuid4().hex
    tpl = "{random}" if dialect == "v0" else ":random"
    var = "{var}" if dialect == "v0" else ":var"
    cases = [
        ("raw string", [f"raw-{r}"], [f"raw-{r}"], False, True),
        ("multiple topic selectors", ["foo", f"multi-{r}"], [f"multi-{r}"], False, True),
        ("URI", [f"https://example.net/foo/{r}"], [f"https://example.net/foo/{r}"], False, True),
        (
            "template",
            [f"https://example.net/foo/{tpl}"],
            [f"https://example.net/foo/{r}"],
            False,
            True,
        ),
        ("nonmatching raw string", ["another-name"], ["will-not-match"], False, False),
        (
            "nonmatching URI",
            ["https://example.net/foo/another-name"],
            ["https://example.net/foo/will-not-match"],
            False,
            False,
        ),
        (
            "nonmatching template",
            [f"https://example.net/bar/{var}"],
            ["https://example.net/foo/will-not-match"],
            False,
            False,
        ),
        ("private raw string", [f"praw-{r}"], [f"praw-{r}"], True, False),
        (
            "private URI",
            [f"https://example.net/foo/p{r}"],
            [f"https://example.net/foo/p{r}"],
            True,
            False,
        ),
        (
            "private template",
            [f"https://example.net/foo/{tpl}"],
            [f"https://example.net/foo/p{r}"],
            True,
            False,
        ),
    ]
    if dialect == "v0":
        cases.append(
            (
                "multiple topics",
                [f"https://example.net/alt/{r}"],
                [f"https://example.net/canon/{r}", f"https://example.net/alt/{r}"],
                False,
                True,
            )
        )
    return cases


def _params(dialect: str, selectors: list[str]) -> list[tuple[str, str]]:
    if dialect == "v0":
        return [("topic", s) for s in selectors]
    return [("match_urlpattern" if "/:" in s else "match", s) for s in selectors]


@pytest.mark.parametrize(
    ("dialect", "index"), [("v1", i) for i in range(10)] + [("v0", i) for i in range(11)]
)
async def test_publish_update(server: Server, dialect: str, index: int) -> None:
    cases = _cases(dialect)
    name, selectors, topics, private, received = cases[index]
    marker = f"marker-{uuid.uuid4().hex}"
    token = PUB if dialect == "v1" else PUB_V0
    # Anonymous EventSource, like the suites (the config allows anonymous subscribers).
    async with server.subscribe(_params(dialect, [*selectors, marker])) as stream:
        custom_id = f'id-["{topics[0]}"]'
        form: dict[str, object] = {"topic": topics, "data": DATA.format(name=name), "id": custom_id}
        if private:
            form["private"] = "on"
        body = await server.publish(token, **form)  # type: ignore[arg-type]
        assert body == custom_id  # CUSTOM_ID: the client-supplied id is echoed
        await server.publish(token, topic=marker, id=marker)
        events = await stream.until(marker)
    got = [e for e in events if e.get("id") == custom_id]
    if received:
        assert got == [{"id": custom_id, "data": DATA.format(name=name)}]
    else:
        assert got == []
