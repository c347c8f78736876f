"""Fuzz targets (issue 14): each takes the fuzzer's bytes and checks one parser or encoder.

A target may raise only the exceptions its code documents (they are caught here); anything
else, or a broken property, is a finding. Inputs are split on NUL bytes into fields, so the
seed corpora in tests/fuzz/corpus/<target>/ stay readable. Targets import their code lazily:
`run_fuzz.py` imports them under atheris' coverage instrumentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

BASE_URL = "https://localhost/.well-known/mercure"
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def _fields(data: bytes, n: int) -> list[str]:
    """`n` text fields (missing ones empty). Surrogates get through, as a buggy caller's would."""
    parts = data.split(b"\0", n - 1)
    parts += [b""] * (n - len(parts))
    return [
        p.decode("utf-8", "surrogatepass") if _utf8ish(p) else p.decode("latin-1") for p in parts
    ]


def _utf8ish(raw: bytes) -> bool:
    try:
        raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


def _expect(status: int, *allowed: int) -> None:
    if status not in allowed:
        raise AssertionError(f"status {status}, expected one of {allowed}")


def _sse_events(frame: str) -> list[dict[str, str]]:
    """A WHATWG event-stream parser (the browser's view of a frame)."""
    events: list[dict[str, str]] = []
    data: list[str] = []
    current: dict[str, str] = {}
    for line in _LINE_SPLIT.split(frame):
        if line == "":
            if data or current:
                events.append({**current, "data": "\n".join(data)})
            data, current = [], {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("id", "event", "retry"):
            current[name] = value
        else:
            raise AssertionError(f"unknown SSE field {name!r} in {frame!r}")
    return events


def sse(data: bytes) -> None:
    """hub/mercure/sse.py: an update's frame is one event that says exactly what was given."""
    from hub.mercure import sse as encoder
    from hub.mercure.update import Update

    kind, event_id, body, retry = _fields(data, 4)
    update = Update(
        topics=("https://example.com/t",),
        data=body,
        id=event_id,
        type=kind,
        retry=int(retry) if retry.isascii() and retry.isdigit() and len(retry) < 10 else None,
    )
    try:
        frame = encoder.encode(update)
    except (encoder.FieldError, UnicodeEncodeError):
        return  # refused: the hub answers 400 "invalid update"
    assert frame.endswith(b"\n\n")
    events = _sse_events(frame.decode("utf-8"))
    assert len(events) == 1, (update, frame)
    got = events[0]
    assert got["data"] == "\n".join(_LINE_SPLIT.split(body)), (body, got)
    assert got.get("id", "") == event_id, (event_id, got)
    assert got.get("event", "") == kind, (kind, got)
    chunked = encoder.chunk(frame)
    size, _, rest = chunked.partition(b"\r\n")
    assert int(size, 16) == len(frame)
    assert rest == frame + b"\r\n"


def forms(data: bytes) -> None:
    """hub/mercure/model.py and the dialects: a query or form body → 400/413 or a request."""
    from hub.mercure import dialect_v0, dialect_v1, errors
    from hub.mercure.config import HubConfig
    from hub.mercure.model import parse_form, parse_publish_form

    config = HubConfig(public_url=BASE_URL, enable_v0=True)
    raw: str | bytes = data if data[:1] != b"?" else data[1:].decode("latin-1")
    try:
        pairs = parse_form(raw, 64)
    except errors.HubError as err:
        _expect(err.status, 400, 413)
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)
    try:
        update = parse_publish_form(pairs)
    except errors.HubError as err:
        _expect(err.status, 400)
    else:
        assert update.retry is None or 0 <= update.retry < 10**9
        assert all(t in (v for k, v in pairs if k == "topic") for t in update.topics)
    headers = {"Last-Event-ID": pairs[0][1]} if pairs and pairs[0][0] == "h" else {}
    for dialect in (dialect_v1, dialect_v0):
        try:
            request = dialect.parse_subscribe(pairs, headers, [], {}, config)
        except errors.HubError as err:
            _expect(err.status, 400, 401)
            continue
        assert request.selectors
        for selector in request.selectors:
            assert isinstance(selector.matches(BASE_URL), bool)


def topics(data: bytes) -> None:
    """hub/mercure/topics.py: URL patterns and URI templates compile or raise SelectorError;
    matching answers a bool, whatever the topic, within the step budget."""
    from hub.mercure.topics import (
        EXACT,
        URITEMPLATE,
        URLPATTERN,
        SelectorError,
        compile_selector,
    )

    kind_byte = data[:1]
    pattern, *candidates = _fields(data[1:], 4)
    kind = {b"t": URITEMPLATE, b"e": EXACT}.get(kind_byte, URLPATTERN)
    if len(pattern) > 4096 or not pattern:
        return  # the hub refuses these before compiling
    try:
        selector = compile_selector(kind, pattern, BASE_URL)
    except SelectorError:
        return
    for topic in (*candidates, pattern, BASE_URL):
        assert isinstance(selector.matches(topic), bool)
    if kind == URITEMPLATE:
        assert selector.matches(pattern)  # 0.x: a template always matches its own text
    _engines_agree(kind, pattern, candidates)


def _engines_agree(kind: str, pattern: str, candidates: list[str]) -> None:
    """Differential: the step-capped NFA and Python's `re` accept the same short topics.

    Only small patterns (at most 6 repeats) and topics of at most 12 characters, where neither
    the NFA's step budget nor re's backtracking can matter.
    """
    import re as stdlib_re

    from hub.mercure import topics as t

    if len(pattern) > 512:
        return
    try:
        if kind == t.URITEMPLATE:
            ast = t._template_ast(pattern)
        elif kind == t.URLPATTERN:
            ast = t._component_ast(pattern, "/", True)
        else:
            return
    except t.SelectorError:
        return
    if _repeats(ast) > 6:
        return  # the reference (backtracking re) would be exponential, not the NFA
    nfa = t._Nfa(ast)
    reference = stdlib_re.compile(t._to_re(ast), stdlib_re.DOTALL)
    for topic in (*candidates, pattern):
        for text in (topic[:12], topic[-12:]):
            expected = reference.fullmatch(text) is not None
            assert nfa.fullmatch(text) == expected, (pattern, text, expected)


def _repeats(node: tuple[object, ...]) -> int:
    kind = node[0]
    if kind in ("seq", "alt"):
        children = node[1]
        assert isinstance(children, tuple)
        return sum(_repeats(child) for child in children)
    if kind in ("star", "plus", "opt"):
        child = node[1]
        assert isinstance(child, tuple)
        return 1 + _repeats(child)
    return 0


def gavel(data: bytes) -> None:
    """hardware/: the framed decoder (and the simple and HID ones) never raise on input; the
    parser holds at most one frame's bytes; every frame it returns was in the input."""
    from hardware.decode import FrameDecoder, HidReportDecoder, SimpleDecoder
    from hardware.events import GavelEvent
    from hardware.protocol import MAX_FRAME_LEN, FrameParser

    chunks = data.split(b"\xff\xfe")  # the fuzzer chooses where the bytes are cut
    decoders = [
        FrameDecoder("fuzz"),
        SimpleDecoder("fuzz", mode="byte"),
        SimpleDecoder("fuzz", mode="line"),
        HidReportDecoder("fuzz", skip=len(data) % 3),
    ]
    stream = b"".join(chunks)  # what the port delivered
    at = 1000.0
    for decoder in decoders:
        decoder.opened(at)
    parser = FrameParser()
    for chunk in chunks:
        at += 0.01 + len(chunk) / 10_000
        for decoder in decoders:
            events = decoder.feed(chunk, at) + decoder.tick(at)
            assert all(isinstance(e, GavelEvent) for e in events)
        for frame in parser.feed(chunk):
            assert frame.encode() in stream, frame
        assert parser.pending <= MAX_FRAME_LEN
    for frame in parser.expire():
        assert frame.encode() in stream, frame
    for decoder in decoders:
        decoder.tick(at + 60)
        decoder.closed(at + 61, "fuzz")


def _currency(data: bytes) -> str:
    return ("EUR", "JPY", "KWD", "USD", "GBP")[data[0] % 5 if data else 0]


def catalogue(data: bytes) -> None:
    """app/catalogue_import.py: a CSV or .xlsx catalogue → a plan, or CatalogueError; the
    amount parser → minor units, or ValueError."""
    from app.catalogue_import import (
        HEADERS,
        CatalogueError,
        parse_amount,
        parse_catalogue,
        read_table,
    )

    currency = _currency(data)
    try:
        table = read_table(data, "fuzz.csv", HEADERS, ("lot",))
        plan = parse_catalogue(table, None, {"1": {"title": "Old"}}, currency, status="draft")
        parse_catalogue(table, None, ("1",), currency, status="live", reason="fuzz")
    except CatalogueError:
        pass
    else:
        assert not any(v.ok for v in plan.bad)
        assert all(p.lot for p in plan.good)
    for text in data.decode("utf-8", "replace").splitlines()[:8]:
        for cell in text.split(",")[:8]:
            try:
                amount = parse_amount(cell, currency)
            except ValueError:
                continue
            assert isinstance(amount, int), (cell, amount)
            assert amount >= 0, (cell, amount)


def bidders(data: bytes) -> None:
    """app/bidder_import.py: a bidder list → plans and refused rows, or CatalogueError."""
    from app.bidder_import import read_bidders
    from app.catalogue_import import CatalogueError

    try:
        good, bad = read_bidders(data, ["101", "A7"], _currency(data), "fuzz.csv")
    except CatalogueError:
        return
    paddles = [p.paddle.casefold() for p in good]
    assert len(paddles) == len(set(paddles)), paddles  # duplicates are refused, not kept
    assert "101" not in paddles
    assert "a7" not in paddles
    assert not any(v.ok for v in bad)


@dataclass(frozen=True)
class Target:
    run: Callable[[bytes], None]
    instrument: tuple[str, ...]  # the packages whose coverage guides the fuzzer


TARGETS: dict[str, Target] = {
    "sse": Target(sse, ("hub.mercure.sse", "hub.mercure.update")),
    "forms": Target(forms, ("hub.mercure",)),
    "topics": Target(topics, ("hub.mercure.topics",)),
    "gavel": Target(gavel, ("hardware",)),
    "catalogue": Target(catalogue, ("app.catalogue_import", "app.formatting", "hub.backend.money")),
    "bidders": Target(bidders, ("app.bidder_import", "app.catalogue_import")),
}
