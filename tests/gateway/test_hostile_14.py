"""Issue 14, the gateway's part: every hostile input gets a clean answer (real HTTP, loopback).

Each test names the defect of issue 14 it guards against; each failed on main before the fix.
"""

from __future__ import annotations

import jwt
import pytest

from hub.auction.events import Actor
from hub.gateway.tokens import STAFF_ROLES, TokenError
from hub.stage import Stage
from tests.gateway.helpers import bearer

SALE = "/api/sales/demo"


# -- the consignor role (for the consignor portal) -------------------------------------------


def test_consignor_token_names_the_reference_and_only_its_topic(stage: Stage) -> None:
    """A consignor token: role consignor, subject = the reference, one topic and no other."""
    token = stage.issuer.issue("consignor", "demo", subject="C-017")
    claims = stage.issuer.verify(token)
    assert (claims.role, claims.subject, claims.paddle) == ("consignor", "C-017", None)
    assert claims.role not in STAFF_ROLES
    payload = jwt.decode(token, options={"verify_signature": False})
    topic = f"{stage.sale.sale_iri}/consignors/C-017"
    assert payload["mercure"]["subscribe"] == [topic]
    [detail] = payload["authorization_details"]
    assert detail["topics"] == [{"match": topic, "match_type": "exact"}]
    assert detail["actions"] == ["subscribe"]


@pytest.mark.parametrize(
    "subject", [None, "", "C\r\n1", "C\u20281", "C\x851", "\ud800", "C\u202e1", "x" * 65]
)
def test_consignor_token_needs_a_clean_reference(stage: Stage, subject: str | None) -> None:
    with pytest.raises(TokenError):
        stage.issuer.issue("consignor", "demo", subject=subject)


def test_consignor_token_cannot_carry_a_paddle(stage: Stage) -> None:
    with pytest.raises(TokenError):
        stage.issuer.issue("consignor", "demo", paddle="7001", subject="C-1")


async def test_consignor_is_neither_staff_nor_bidder(stage, http) -> None:
    """A consignor token gets no bid, no command, no staff route, no reserve in the snapshot."""
    token = stage.issuer.issue("consignor", "demo", subject="C-017")
    for path, body in (
        (f"{SALE}/bids", {"lot": "1", "amount": 100}),
        (f"{SALE}/commands", {"op": "open_lot", "lot": "1"}),
        (f"{SALE}/commands", {"op": "leave_commission", "lot": "1", "amount": 100}),
    ):
        async with http.post(path, json=body, headers=bearer(token)) as r:
            assert r.status == 403, (path, await r.text())
            assert r.content_type == "application/problem+json"
    for path in ("/api/sales", f"{SALE}/results", f"{SALE}/results.csv"):
        async with http.get(path, headers=bearer(token)) as r:
            assert r.status == 403, path
    async with http.get(f"{SALE}/state", headers=bearer(token)) as r:
        snap = await r.json()
    assert "bidders" not in snap
    assert "bidder" not in snap
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 200
        session = await r.json()
    assert session["role"] == "consignor"
    assert session["topics"] == {"mine": f"{stage.sale.sale_iri}/consignors/C-017"}


# -- defect 6: the JWT header's typ and a numeric-string exp ------------------------------------


def _forged(stage: Stage, headers: dict | None, **changes: object) -> str:
    """A token signed with the stage's own key, but with a header or claims changed."""
    good = stage.issuer.issue("bidder", "demo", paddle="7001")
    payload = {**jwt.decode(good, options={"verify_signature": False}), **changes}
    return jwt.encode(payload, stage.issuer._key, algorithm="EdDSA", headers=headers)


@pytest.mark.parametrize(
    ("headers", "changes"),
    [
        ({"typ": "JWT"}, {}),  # defect 6: typ ignored
        (None, {}),  # PyJWT writes typ JWT by default
        ({"typ": "at+jwt"}, {"exp": "9999999999"}),  # defect 6: exp as a numeric string
        ({"typ": "at+jwt"}, {"iat": "1"}),
        ({"typ": "at+jwt"}, {"exp": True}),
    ],
)
async def test_gateway_checks_typ_and_numeric_dates(stage, http, headers, changes) -> None:
    """Defect 6: the gateway accepted typ JWT and "exp": "<digits>"; the hub refuses both."""
    token = _forged(stage, headers, **changes)
    for method, path in (("POST", "/api/session"), ("POST", f"{SALE}/bids")):
        async with http.request(method, path, json={}, headers=bearer(token)) as r:
            assert r.status == 401, (path, await r.text())
            assert (await r.json())["reason"] == "invalid_token"


async def test_a_well_formed_forged_token_still_passes(stage, http) -> None:
    """The control for the test above: the same forging with nothing changed is accepted."""
    token = _forged(stage, {"typ": "at+jwt"})
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 200


# -- defect 2: deeply nested JSON ---------------------------------------------------------------

DEEP_ARRAYS = b"[" * 1000 + b"]" * 1000  # 2 KB: the campaign's body
DEEP_OBJECTS = b'{"a":' * 1000 + b"1" + b"}" * 1000


def _doors(stage: Stage) -> list[tuple[str, dict[str, str]]]:
    """Every JSON door of the stage, with the credentials it needs to get to the body."""
    bidder = bearer(stage.issuer.issue("bidder", "demo", paddle="7001"))
    clerk = bearer(stage.issuer.issue("clerk", "demo"))
    return [
        ("/api/pair", {}),
        (f"{SALE}/register", {}),
        (f"{SALE}/bids", bidder),
        (f"{SALE}/commands", clerk),
        (f"{SALE}/commands", bidder),
    ]


@pytest.mark.parametrize("data", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
async def test_deep_json_is_a_bad_request_at_every_door(stage, http, data) -> None:
    """Defect 2: a RecursionError in the parser was a 500; now 400 bad_json, nothing kept."""
    before = stage.sequencer.last_seq
    for path, headers in _doors(stage):
        headers = {**headers, "Content-Type": "application/json"}
        async with http.post(path, data=data, headers=headers) as r:
            assert r.status == 400, (path, await r.text())
            assert r.content_type == "application/problem+json"
            assert (await r.json())["reason"] == "bad_json"
    assert stage.sequencer.last_seq == before


async def test_nesting_is_bounded_at_32_levels(stage, http) -> None:
    """Defect 2's class: nesting the parser survives but nothing needs is refused too."""
    headers = {**bearer(stage.issuer.issue("clerk", "demo")), "Content-Type": "application/json"}
    deep = b'{"op": "open_lot", "lot": ' + b"[" * 31 + b"]" * 31 + b"}"  # 32 levels
    async with http.post(f"{SALE}/commands", data=deep, headers=headers) as r:
        assert r.status == 422, await r.text()  # through the reader, refused by the command
    deeper = b'{"op": "open_lot", "lot": ' + b"[" * 32 + b"]" * 32 + b"}"  # 33 levels
    async with http.post(f"{SALE}/commands", data=deeper, headers=headers) as r:
        assert r.status == 400
        body = await r.json()
    assert body["reason"] == "bad_json"
    assert "32" in body["detail"]


async def test_repeated_keys_are_refused(stage, http) -> None:
    """Two parsers may pick different copies of a repeated key: the reader takes neither."""
    headers = {**bearer(stage.issuer.issue("bidder", "demo", paddle="7001"))}
    headers["Content-Type"] = "application/json"
    data = b'{"lot": "1", "amount": 100, "amount": 99999999, "seen_seq": 1}'
    async with http.post(f"{SALE}/bids", data=data, headers=headers) as r:
        assert r.status == 400
        body = await r.json()
    assert body["reason"] == "bad_json"
    assert "amount" in body["detail"]


async def test_lone_surrogates_anywhere_in_a_body_are_refused(stage, http) -> None:
    """A JSON escape can make text no store accepts; the reader refuses it (422)."""
    headers = {**bearer(stage.issuer.issue("clerk", "demo")), "Content-Type": "application/json"}
    before = stage.sequencer.last_seq
    for data in (
        b'{"op": "open_lot", "lot": "\\ud800"}',
        b'{"op": "open_lot", "lot": "1", "note": ["\\udfff"]}',
        b'{"op": "open_lot", "\\ud800": "1"}',
    ):
        async with http.post(f"{SALE}/commands", data=data, headers=headers) as r:
            assert r.status == 422, (data, await r.text())
            assert (await r.json())["reason"] == "invalid"
    assert stage.sequencer.last_seq == before


# -- defects 3, 4 and 8: registration is all or nothing ------------------------------------------


def _identity_rows(stage: Stage) -> int:
    return stage.identities.db.execute("SELECT count(*) FROM identities").fetchone()[0]


async def _register_raw(http, data: bytes) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{SALE}/register", data=data, headers=headers) as r:
        return r.status, await r.json()


async def test_a_lone_surrogate_in_a_sign_up_leaves_no_orphan_bidder(stage, http) -> None:
    """Defect 3: `{"name": "\\ud800"}` journaled a bidder, then the identity write failed (500)."""
    bidders, rows, seq = set(stage.engine.bidders), _identity_rows(stage), stage.sequencer.last_seq
    status, body = await _register_raw(http, b'{"name": "\\ud800", "email": "a@example.org"}')
    assert status == 422
    assert body["reason"] == "invalid"
    assert "name" in body["detail"]
    assert set(stage.engine.bidders) == bidders
    assert _identity_rows(stage) == rows
    assert stage.sequencer.last_seq == seq


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Ada\x00"}, "name"),
        ({"name": "Ada\x1b[2J"}, "name"),
        ({"name": "Ada\r\nBcc: x"}, "name"),
        ({"name": "Ada\u2028"}, "name"),
        ({"name": "Ada\x85"}, "name"),
        ({"name": "Ada\u202eevil"}, "name"),
        ({"phone": "+44\n20"}, "phone"),
        ({"phone": "+44\x07"}, "phone"),
        ({"email": "a@example.org\r\nBcc: b@example.org"}, "email"),
    ],
)
async def test_control_characters_in_a_sign_up_are_refused(stage, http, fields, field) -> None:
    """Defect 8: sign-up took NUL, ESC, CR/LF in name and phone; now 422 naming the field."""
    bidders, seq = set(stage.engine.bidders), stage.sequencer.last_seq
    body = {"name": "Ada", "email": "ada@example.org", **fields}
    async with http.post(f"{SALE}/register", json=body) as r:
        assert r.status == 422, await r.text()
        problem = await r.json()
    assert problem["reason"] == "invalid"
    assert f"'{field}'" in problem["detail"]
    assert set(stage.engine.bidders) == bidders
    assert stage.sequencer.last_seq == seq


async def test_a_clean_sign_up_still_registers(stage, http) -> None:
    """The control for the two tests above: right-to-left names and marks are fine."""
    body = {"name": "  محمد\u200f الأمين ", "email": "m@example.org", "phone": "+44 20 7946 0958"}
    async with http.post(f"{SALE}/register", json=body) as r:
        assert r.status == 202
        paddle = (await r.json())["paddle"]
    assert stage.engine.bidders[paddle].status == "pending"
    assert stage.identities.get("demo", paddle)["name"] == "محمد\u200f الأمين"


async def test_desk_registration_checks_before_the_journal(stage) -> None:
    """Defects 3 and 8 at the desk (the app and the bidder import): refused, nothing written."""
    seq, rows = stage.sequencer.last_seq, _identity_rows(stage)
    for paddle, fields in (
        ("8001", {"name": "\ud800"}),
        ("8002", {"name": "Bob\x1b[31m"}),
        ("80\r03", {"name": "Bob"}),
        ("80\u202804", {"name": "Bob"}),
        ("80\x8505", {"name": "Bob"}),
    ):
        answer = await stage.register_bidder(paddle, "floor", fields, approved=True)
        assert not answer.ok
        assert answer.reason == "invalid"
    assert stage.sequencer.last_seq == seq
    assert _identity_rows(stage) == rows


async def test_refused_by_the_journal_leaves_no_identity(stage) -> None:
    """A paddle taken: the journal refuses and the identity of the refused one is not kept."""
    answer = await stage.register_bidder("8100", "floor", {"name": "First"}, approved=True)
    assert answer.ok
    again = await stage.register_bidder("8100", "floor", {"name": "Second"}, approved=True)
    assert again.reason == "duplicate_bidder"
    assert stage.identities.get("demo", "8100")["name"] == "First"


def _fill(conn) -> None:
    """The database may not grow past its current size: SQLITE_FULL, as on a full disk."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def _free(conn) -> None:
    conn.execute("PRAGMA max_page_count = 1073741823")


async def _journal_full(stage: Stage) -> None:
    """Journal harmless staff commands until the journal cannot write (the sale pauses)."""
    conn = stage.sequencer.db.conn
    _fill(conn)
    clerk = stage.issuer.verify(stage.issuer.issue("clerk", "demo"))
    for i in range(400):
        answer = await stage.sequencer.submit(
            {"op": "set_credit_limit", "paddle": "7001", "credit_limit": 100_000 + i},
            Actor("clerk", None, clerk.subject, roles=("clerk", "auctioneer")),
        )
        if answer.reason == "journal_unavailable":
            return
        assert answer.ok, answer.message
    raise AssertionError("the journal never filled up")


async def test_sign_up_on_a_full_disk_is_503_and_leaves_nothing(stage, http) -> None:
    """Defect 4: a full journal made sign-up a 500 ("could not allocate a paddle"); now 503
    journal_unavailable as bids get, and the identity written first is removed again."""
    await _journal_full(stage)
    try:
        bidders, rows = set(stage.engine.bidders), _identity_rows(stage)
        body = {"name": "Ada", "email": "ada@example.org"}
        async with http.post(f"{SALE}/register", json=body) as r:
            assert r.status == 503, await r.text()
            assert r.content_type == "application/problem+json"
            assert r.headers["Retry-After"]
            problem = await r.json()
        assert problem["reason"] == "journal_unavailable"
        assert set(stage.engine.bidders) == bidders
        assert _identity_rows(stage) == rows
    finally:
        _free(stage.sequencer.db.conn)


async def test_sign_up_with_the_identities_store_full_journals_nothing(stage, http) -> None:
    """Defect 3's other half: when the identity cannot be written, no bidder is journaled."""
    conn = stage.identities.db.conn
    conn.execute("PRAGMA query_only = ON")  # every write now fails, as SQLite reports it
    try:
        seq, bidders = stage.sequencer.last_seq, set(stage.engine.bidders)
        body = {"name": "Ada " + "x" * 190, "email": "ada@example.org", "phone": "1" * 40}
        async with http.post(f"{SALE}/register", json=body) as r:
            assert r.status == 503, await r.text()
            assert (await r.json())["reason"] == "journal_unavailable"
        assert set(stage.engine.bidders) == bidders
        assert stage.sequencer.last_seq == seq
    finally:
        conn.execute("PRAGMA query_only = OFF")


# -- defect 5: a session for another sale ---------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "options"),
    [
        ("bidder", {"paddle": "7001"}),
        ("clerk", {}),
        ("auctioneer", {}),
        ("consignor", {"subject": "C-1"}),
    ],
)
async def test_session_refuses_another_sales_token(stage, http, role, options) -> None:
    """Defect 5: POST /api/session must answer 403 wrong_sale (as the relay does), no cookie."""
    token = stage.issuer.issue(role, "other", **options)
    async with http.post("/api/session", headers=bearer(token)) as r:
        assert r.status == 403
        assert (await r.json())["reason"] == "wrong_sale"
        assert "mercureAuthorization" not in r.cookies


# -- defect 9: 405 keeps its Allow header ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/session", "POST"),
        ("GET", f"{SALE}/bids", "POST"),
        ("PUT", f"{SALE}/commands", "POST"),
        ("POST", f"{SALE}/state", "GET"),
    ],
)
async def test_405_carries_allow(stage, http, method, path, allow) -> None:
    """Defect 9: the problems middleware rebuilt the 405 and dropped `Allow` (RFC 9110)."""
    async with http.request(method, path) as r:
        assert r.status == 405
        assert r.content_type == "application/problem+json"
        assert allow in r.headers["Allow"]


# -- defect 8 through the commands API (needs parse.py to call hub/auction/text.py) --------------


@pytest.mark.parametrize(
    "paddle", ["70\r01", "7001\r", "70\u202801", "70\u202901", "70\x8501", "70\u202e01", "7\u200b1"]
)
async def test_staff_register_bidder_refuses_control_characters_in_paddles(
    stage, http, paddle
) -> None:
    """Defect 8: staff register_bidder took paddles with CR, U+2028, U+2029, NEL."""
    clerk = bearer(stage.issuer.issue("clerk", "demo"))
    command = {"op": "register_bidder", "paddle": paddle, "channel": "floor"}
    async with http.post(f"{SALE}/commands", json=command, headers=clerk) as r:
        assert r.status == 422, await r.text()
        assert "'paddle'" in (await r.json())["detail"]
    assert not [p for p in stage.engine.bidders if not p.isascii() or not p.isprintable()]


async def test_lot_ids_follow_the_identifier_rule(stage, http) -> None:
    """Defect 8's class: a lot id is an identifier too (it is in topics and file names)."""
    clerk = bearer(stage.issuer.issue("clerk", "demo"))
    async with http.post(
        f"{SALE}/commands", json={"op": "open_lot", "lot": "1\u2028"}, headers=clerk
    ) as r:
        assert r.status == 422
        assert "'lot'" in (await r.json())["detail"]


# -- beyond the list: the same class (a body or header that made the reader crash) --------------


@pytest.mark.parametrize("charset", ["foo", "latin-1", "utf-16", "utf-7"])
async def test_json_in_another_charset_is_unsupported(stage, http, charset) -> None:
    """An unknown charset was a LookupError (500); JSON is UTF-8, anything else is 415."""
    headers = {"Content-Type": f"application/json; charset={charset}"}
    async with http.post("/api/pair", data=b'{"pin": "1"}', headers=headers) as r:
        assert r.status == 415, await r.text()
        assert (await r.json())["reason"] == "unsupported_media_type"


async def test_json_declared_utf8_is_read(stage, http) -> None:
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    async with http.post("/api/pair", data=b'{"pin": "x"}', headers=headers) as r:
        assert r.status == 403  # read, and the PIN is wrong


@pytest.mark.parametrize("pin", ["\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", "1" * 10_000, "\x00"])
async def test_a_hostile_pin_is_just_wrong(stage, http, pin) -> None:
    """A non-ASCII PIN made compare_digest raise TypeError (500); now 403 wrong_pin."""
    async with http.post("/api/pair", json={"pin": pin}) as r:
        assert r.status == 403
        assert (await r.json())["reason"] == "wrong_pin"


async def test_the_bearer_scheme_is_case_insensitive(stage, http) -> None:
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    async with http.post("/api/session", headers={"Authorization": f"bearer {token}"}) as r:
        assert r.status == 200
