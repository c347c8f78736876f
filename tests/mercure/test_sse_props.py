"""Property tests: no data/id/type/topic value can inject an SSE field."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.mercure import HubError
from hub.mercure.model import parse_form, parse_publish_form
from hub.mercure.sse import FieldError, encode
from hub.mercure.update import Update, has_bad_chars

from .helpers import parse_sse

text = st.text(st.characters(codec="utf-8"), max_size=60)
nasty = st.lists(
    st.sampled_from(
        [
            "\r",
            "\n",
            "\r\n",
            "\x00",
            ":",
            " ",
            "id",
            "data",
            "event",
            "retry",
            "a",
            "é",
            "\u2028",
            "\x85",
            "\u200b",
            "\ufeff",
        ]
    ),
    max_size=30,
).map("".join)
value = st.one_of(text, nasty)


@settings(max_examples=300, deadline=None)
@given(data=value, id_=value, type_=value, retry=st.one_of(st.none(), st.integers(0, 10**9)))
def test_encoder_round_trip_no_injection(
    data: str, id_: str, type_: str, retry: int | None
) -> None:
    update = Update(topics=("t",), data=data, id=id_, type=type_, retry=retry)
    try:
        frame = encode(update)
    except FieldError:
        # Refused values are exactly the ones with control/format characters.
        assert has_bad_chars(id_) or has_bad_chars(type_)
        return
    events, names = parse_sse(frame)
    assert len(events) == 1
    ev = events[0]
    expected = {"data": data.replace("\r\n", "\n").replace("\r", "\n")}
    if id_:
        expected["id"] = id_
    if type_:
        expected["event"] = type_
    if retry is not None:
        expected["retry"] = str(retry)
    assert ev == expected
    n_lines = data.count("\n") + data.count("\r") - data.count("\r\n") + 1
    assert names.count("data") == n_lines
    assert set(names) <= {"data", "id", "event", "retry"}
    assert names.count("id") == (1 if id_ else 0)
    assert names.count("event") == (1 if type_ else 0)
    assert names.count("retry") == (1 if retry is not None else 0)


@settings(max_examples=300, deadline=None)
@given(
    topics=st.lists(value, min_size=0, max_size=4),
    data=value,
    id_=value,
    type_=value,
    retry=st.one_of(st.none(), value),
    private=st.booleans(),
    junk=st.lists(st.tuples(value, value), max_size=3),
)
def test_publish_form_parser(
    topics: list[str],
    data: str,
    id_: str,
    type_: str,
    retry: str | None,
    private: bool,
    junk: list[tuple[str, str]],
) -> None:
    fields = [("topic", t) for t in topics] + [("data", data), ("id", id_), ("type", type_)]
    if retry is not None:
        fields.append(("retry", retry))
    if private:
        fields.append(("private", "off"))  # the value must never be interpreted
    fields += [
        (k, v) for k, v in junk if k not in ("topic", "data", "id", "type", "retry", "private")
    ]
    body = urlencode(fields).encode()
    try:
        update = parse_publish_form(parse_form(body, 100))
    except HubError as err:
        status = err.status
        assert status == 400
        assert retry is not None
        assert not (retry.isascii() and retry.isdigit())
        return
    assert update.topics == tuple(topics)
    assert update.data == data
    assert update.private is private
    try:
        frame = encode(update)
    except FieldError:
        assert has_bad_chars(id_) or has_bad_chars(type_)
        return
    events, names = parse_sse(frame)
    assert len(events) == 1
    assert events[0]["data"] == data.replace("\r\n", "\n").replace("\r", "\n")
    assert events[0].get("id", "") == id_
    assert events[0].get("event", "") == type_
    assert set(names) <= {"data", "id", "event", "retry"}


@pytest.mark.parametrize("raw", [b"topic=%FF", b"topic=\xff", b"topic=a&data=%C3"])
def test_form_invalid_utf8_is_400(raw: bytes) -> None:
    with pytest.raises(HubError) as e:
        parse_form(raw, 100)
    assert e.value.status == 400


def test_form_too_many_fields_is_413() -> None:
    with pytest.raises(HubError) as e:
        parse_form("&".join(["topic=a"] * 200), 100)
    assert e.value.status == 413


@pytest.mark.parametrize("retry", ["-1", "1.5", "+5", " 5", "5 ", "٣", "1e3", "99999999999"])
def test_bad_retry(retry: str) -> None:
    with pytest.raises(HubError):
        parse_publish_form([("topic", "a"), ("retry", retry)])


def test_multiline_data_exact_lines() -> None:
    frame = encode(Update(topics=("t",), data="data for\n\n        x", id="i"))
    assert frame == b"id: i\ndata: data for\ndata: \ndata:         x\n\n"
