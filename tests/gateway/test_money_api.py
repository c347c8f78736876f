"""The money routes over HTTP on a real stage (journal file, sequencer, gateway on loopback):
accounts, invoices, payments, releases, documents, exports; who may read what; hostile input
on every POST refused with a clear problem and nothing changed."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from hub.auction.events import Actor
from hub.gateway.money import DOC_COOKIE
from tests.gateway.helpers import bearer
from tests.gateway.test_results import sell_lot_one
from tests.sse import SSE

SALE = "/api/sales/demo"
CLERK = Actor("clerk", roles=("clerk", "auctioneer"))
JSON = dict[str, Any]


def staff(stage) -> dict[str, str]:
    return bearer(stage.issuer.issue("clerk", "demo", subject="Carla"))


def buyer(stage, paddle: str) -> dict[str, str]:
    return bearer(stage.issuer.issue("bidder", "demo", paddle=paddle))


async def get_json(http, path: str, headers: dict[str, str]) -> tuple[int, JSON]:
    async with http.get(path, headers=headers) as r:
        return r.status, await r.json()


async def post(http, path: str, body: Any, headers: dict[str, str]) -> tuple[int, JSON]:
    async with http.post(path, json=body, headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def invoiced(stage, http) -> tuple[int, str, JSON]:
    """Lot 1 sold to 101 and invoiced: (hammer, invoice number, account)."""
    price = await sell_lot_one(stage)
    status, body = await post(http, f"{SALE}/invoices", {"paddle": "101"}, staff(stage))
    assert status == 200, body
    number = body["account"]["invoices"][0]["number"]
    return price, number, body["account"]


async def test_an_invoice_then_a_part_payment_then_the_rest(stage, http):
    price, number, account = await invoiced(stage, http)
    assert re.fullmatch(r"INV-\d{4}-\d{5}", number)
    assert account["paddle"] == "101"
    assert account["status"] == "owes"
    total = account["invoices"][0]["totals"]["total"]
    assert total > price  # the demo's 25 % premium is on top of the hammer
    assert account["due"] == account["owed"] == total
    assert account["paid"] == 0

    part = {"amount": 10000, "method": "card", "reference": "slip 1", "key": "pay-1"}
    status, body = await post(http, f"{SALE}/accounts/101/payments", part, staff(stage))
    assert status == 200, body
    assert [e["type"] for e in body["events"]] == ["payment_recorded"]
    assert body["events"][0]["data"]["by"] == "Carla"
    assert body["account"]["status"] == "part_paid"
    assert body["account"]["owed"] == total - 10000

    rest = {"amount": total - 10000, "method": "cash", "key": "pay-2"}
    status, body = await post(http, f"{SALE}/accounts/101/payments", rest, staff(stage))
    assert status == 200, body
    assert body["account"]["status"] == "paid"
    assert body["account"]["owed"] == 0
    assert body["account"]["paid"] == total


async def test_a_retried_payment_counts_once(stage, http):
    _, _, _account = await invoiced(stage, http)
    attempt = {"amount": 5000, "method": "card", "key": "same-attempt"}
    first = await post(http, f"{SALE}/accounts/101/payments", attempt, staff(stage))
    again = await post(http, f"{SALE}/accounts/101/payments", attempt, staff(stage))
    assert first[0] == again[0] == 200
    _, now = await get_json(http, f"{SALE}/accounts/101", staff(stage))
    assert now["paid"] == 5000
    assert len(now["payments"]) == 1


async def test_more_than_is_owed_is_refused(stage, http):
    _, _, account = await invoiced(stage, http)
    seq = stage.engine.seq
    too_much = {"amount": account["owed"] + 1, "method": "cash"}
    status, body = await post(http, f"{SALE}/accounts/101/payments", too_much, staff(stage))
    assert status == 409
    assert body["reason"] == "too_much"
    assert body["detail"]
    assert stage.engine.seq == seq


HOSTILE_PAYMENTS: list[tuple[str, Any]] = [
    ("float amount", {"amount": 100.5, "method": "cash"}),
    ("float that is whole", {"amount": 100.0, "method": "cash"}),
    ("bool amount", {"amount": True, "method": "cash"}),
    ("negative amount", {"amount": -100, "method": "cash"}),
    ("zero amount", {"amount": 0, "method": "cash"}),
    ("huge amount", {"amount": 10**30, "method": "cash"}),
    ("amount as text", {"amount": "100", "method": "cash"}),
    ("no amount", {"method": "cash"}),
    ("unknown method", {"amount": 100, "method": "bitcoin"}),
    ("no method", {"amount": 100}),
    ("unknown field", {"amount": 100, "method": "cash", "paddle": "102"}),
    ("control character", {"amount": 100, "method": "cash", "reference": "a\u0000b"}),
    ("bidi override", {"amount": 100, "method": "cash", "reference": "\u202eevil"}),
    ("lone surrogate", {"amount": 100, "method": "cash", "reference": "\ud800"}),
    ("long reference", {"amount": 100, "method": "cash", "reference": "x" * 129}),
    ("bad key", {"amount": 100, "method": "cash", "key": "no spaces allowed"}),
    ("payer without a reason", {"amount": 100, "method": "cash", "payer": "Someone Else"}),
    ("a list", [100, "cash"]),
    ("a number", 100),
]


@pytest.mark.parametrize(("case", "body"), HOSTILE_PAYMENTS, ids=[c for c, _ in HOSTILE_PAYMENTS])
async def test_hostile_payments_are_refused_and_change_nothing(stage, http, case, body):
    _, _, before = await invoiced(stage, http)
    seq = stage.engine.seq
    status, answer = await post(http, f"{SALE}/accounts/101/payments", body, staff(stage))
    assert status == 422, (case, answer)
    assert answer["reason"] in ("invalid", "third_party")
    assert answer["detail"]
    assert stage.engine.seq == seq
    _, after = await get_json(http, f"{SALE}/accounts/101", staff(stage))
    assert after == before


async def test_malformed_bodies_on_every_post(stage, http):
    await invoiced(stage, http)
    seq = stage.engine.seq
    posts = [
        f"{SALE}/accounts/101/payments",
        f"{SALE}/accounts/101/refunds",
        f"{SALE}/accounts/101/release",
        f"{SALE}/invoices",
        f"{SALE}/credit-notes",
    ]
    headers = {**staff(stage), "Content-Type": "application/json"}
    for path in posts:
        for raw, want in (
            (b"{", 400),
            (b'{"amount": NaN, "method": "cash"}', 400),
            (b'{"amount": Infinity}', 400),
            (b"[]", 422),
            (b'{"x": 1}', 422),
        ):
            async with http.post(path, data=raw, headers=headers) as r:
                assert r.status == want, (path, raw, r.status)
                assert r.content_type == "application/problem+json"
        async with http.post(path, data=b"{}", headers=staff(stage)) as r:
            assert r.status == 415, path
        big = b'{"reference": "' + b"x" * (70 * 1024) + b'"}'
        async with http.post(path, data=big, headers=headers) as r:
            assert r.status == 413, path
    assert stage.engine.seq == seq


HOSTILE_OTHER: list[tuple[str, str, Any]] = [
    ("refund without a reason", "accounts/101/refunds", {"amount": 100, "method": "cash"}),
    ("refund float", "accounts/101/refunds", {"amount": 1.5, "method": "cash", "reason": "x"}),
    ("release lots not a list", "accounts/101/release", {"lots": "1"}),
    ("release lot twice", "accounts/101/release", {"lots": ["1", "1"]}),
    ("release lot id a number", "accounts/101/release", {"lots": [1]}),
    ("release long reason", "accounts/101/release", {"override_reason": "x" * 501}),
    ("invoice paddle a number", "invoices", {"paddle": 101}),
    ("invoice all as text", "invoices", {"all": "yes"}),
    ("invoice both", "invoices", {"all": True, "paddle": "101"}),
    ("invoice nothing", "invoices", {}),
    ("credit note bad number", "credit-notes", {"invoice": "1", "lots": ["1"], "reason": "x"}),
    (
        "credit note no lots",
        "credit-notes",
        {"invoice": "INV-2026-00001", "lots": [], "reason": "x"},
    ),
    ("credit note no reason", "credit-notes", {"invoice": "INV-2026-00001", "lots": ["1"]}),
]


@pytest.mark.parametrize(
    ("case", "path", "body"), HOSTILE_OTHER, ids=[c for c, _, _ in HOSTILE_OTHER]
)
async def test_hostile_bodies_on_the_other_posts(stage, http, case, path, body):
    await invoiced(stage, http)
    seq = stage.engine.seq
    status, answer = await post(http, f"{SALE}/{path}", body, staff(stage))
    assert status == 422, (case, answer)
    assert answer["reason"] == "invalid"
    assert stage.engine.seq == seq


async def test_unknown_paddles(stage, http):
    await invoiced(stage, http)
    seq = stage.engine.seq
    pay = {"amount": 100, "method": "cash"}
    status, body = await post(http, f"{SALE}/accounts/9999/payments", pay, staff(stage))
    assert (status, body["reason"]) == (422, "unknown_bidder")
    status, body = await post(http, f"{SALE}/invoices", {"paddle": "9999"}, staff(stage))
    assert status == 422
    assert body["reason"] == "unknown_bidder"
    status, body = await get_json(http, f"{SALE}/accounts/9999", staff(stage))
    assert (status, body["reason"]) == (404, "unknown_bidder")
    assert stage.engine.seq == seq


async def test_a_buyer_reads_only_their_own(stage, http):
    _, number, _ = await invoiced(stage, http)
    mine, theirs = buyer(stage, "101"), buyer(stage, "102")
    status, body = await get_json(http, f"{SALE}/accounts/101", mine)
    assert status == 200
    assert body["invoices"][0]["number"] == number
    status, body = await get_json(http, f"{SALE}/accounts/101", theirs)
    assert (status, body["reason"]) == (403, "forbidden")
    for suffix in ("", ".html", ".pdf"):
        async with http.get(f"{SALE}/invoices/{number}{suffix}", headers=theirs) as r:
            assert r.status == 403, suffix
            assert (await r.json(content_type=None))["reason"] == "forbidden"
    async with http.get(f"{SALE}/invoices/INV-2000-99999", headers=mine) as r:
        assert r.status == 404
    async with http.get(f"{SALE}/invoices/{number}") as r:
        assert r.status == 401
    status, body = await get_json(http, f"{SALE}/invoices/{number}", mine)
    assert status == 200
    assert body["number"] == number
    assert body["paddle"] == "101"
    # A buyer pays nothing through the API and sees no one else's standing.
    pay = {"amount": 100, "method": "cash"}
    assert (await post(http, f"{SALE}/accounts/101/payments", pay, mine))[0] == 403
    for path in ("accounts", "summary", "consignors", "exports/payments.csv"):
        status, body = await get_json(http, f"{SALE}/{path}", mine)
        assert (status, body["reason"]) == (403, "forbidden"), path


async def test_invoice_html_and_pdf(stage, http):
    _, number, _account = await invoiced(stage, http)
    async with http.get(f"{SALE}/invoices/{number}.html", headers=staff(stage)) as r:
        assert r.status == 200
        assert r.content_type == "text/html"
        assert "unsafe-inline" in r.headers["Content-Security-Policy"]
        assert "script-src" not in r.headers["Content-Security-Policy"]
        html = await r.text()
    assert number in html
    async with http.get(f"{SALE}/invoices/{number}.pdf", headers=buyer(stage, "101")) as r:
        assert r.status == 200
        assert r.content_type == "application/pdf"
        assert r.headers["Content-Disposition"] == f'inline; filename="{number}.pdf"'
        data = await r.read()
    assert data.startswith(b"%PDF-")


async def test_documents_open_in_a_tab_with_the_document_cookie(stage, http):
    _, number, _ = await invoiced(stage, http)
    async with http.post(f"{SALE}/documents/session", headers=buyer(stage, "101")) as r:
        assert r.status == 200
        cookie = r.cookies[DOC_COOKIE]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Strict"
        assert cookie["path"] == "/api/sales/demo/"
    jar = {DOC_COOKIE: cookie.value}
    async with http.get(f"{SALE}/invoices/{number}.html", cookies=jar) as r:
        assert r.status == 200
    # The cookie opens documents only: never the JSON API, never a POST.
    async with http.get(f"{SALE}/accounts/101", cookies=jar) as r:
        assert r.status == 401
    async with http.post(f"{SALE}/invoices", json={"paddle": "101"}, cookies=jar) as r:
        assert r.status == 401


async def test_release_waits_for_payment_unless_overridden(stage, http):
    _, _, account = await invoiced(stage, http)
    status, body = await post(http, f"{SALE}/accounts/101/release", {"lots": []}, staff(stage))
    assert (status, body["reason"]) == (409, "unpaid")
    pay = {"amount": account["owed"], "method": "transfer", "reference": "BANK-1"}
    assert (await post(http, f"{SALE}/accounts/101/payments", pay, staff(stage)))[0] == 200
    status, body = await post(http, f"{SALE}/accounts/101/release", {"lots": []}, staff(stage))
    assert status == 200, body
    assert body["account"]["released"] == ["1"]


async def test_release_unpaid_with_a_reason(stage, http):
    await invoiced(stage, http)
    why = {"lots": ["1"], "override_reason": "trusted dealer, pays on account"}
    status, body = await post(http, f"{SALE}/accounts/101/release", why, staff(stage))
    assert status == 200, body
    assert body["account"]["released"] == ["1"]


async def test_issue_all_and_nothing_left(stage, http):
    await sell_lot_one(stage)
    status, body = await post(http, f"{SALE}/invoices", {"all": True}, staff(stage))
    assert status == 200
    assert len(body["numbers"]) == 1
    status, body = await post(http, f"{SALE}/invoices", {"all": True}, staff(stage))
    assert status == 200
    assert body["numbers"] == []
    status, body = await get_json(http, f"{SALE}/accounts", staff(stage))
    assert [(a["paddle"], a["status"]) for a in body["accounts"]] == [("101", "owes")]


async def test_summary_exports_and_prices_realised(stage, http):
    price, number, _ = await invoiced(stage, http)
    status, body = await get_json(http, f"{SALE}/summary", staff(stage))
    assert status == 200
    assert body["sold"] == 1
    assert body["hammer"] == price
    async with http.get(f"{SALE}/exports/invoices.csv", headers=staff(stage)) as r:
        assert r.status == 200
        assert r.content_type == "text/csv"
        assert number in await r.text()
    status, body = await get_json(http, f"{SALE}/exports/invoices.json", staff(stage))
    assert status == 200
    assert number in str(body)
    async with http.get(f"{SALE}/exports/secrets.csv", headers=staff(stage)) as r:
        assert r.status == 404
    async with http.get("/sales/demo/prices-realised") as r:  # public: no token
        assert r.status == 200
        assert r.content_type == "text/html"
        page = await r.text()
    assert "Room bidder 101" not in page  # never a buyer's name


async def test_wrong_sale_and_no_token(stage, http):
    for method, path in (
        ("GET", "/api/sales/other/accounts/101"),
        ("POST", "/api/sales/other/invoices"),
        ("GET", "/sales/other/prices-realised"),
    ):
        async with http.request(method, path, json={}, headers=staff(stage)) as r:
            assert r.status == 404, path
    async with http.get(f"{SALE}/accounts/101") as r:
        assert r.status == 401


async def test_the_openapi_document_lists_the_money_routes(http):
    async with http.get("/api/openapi.json") as r:
        paths = (await r.json())["paths"]
    for path in (
        "/api/sales/{sale}/accounts/{paddle}",
        "/api/sales/{sale}/accounts/{paddle}/payments",
        "/api/sales/{sale}/invoices",
        "/api/sales/{sale}/invoices/{number}.pdf",
        "/sales/{sale}/prices-realised",
    ):
        assert path in paths, path


async def test_a_consignor_link_and_the_consignor_s_own_view(stage, http):
    price = await sell_lot_one(stage)  # lot 1 is consigned by C-1001 in the demo
    status, body = await post(http, f"{SALE}/consignors/C-1001/link", {}, staff(stage))
    assert status == 200, body
    assert body["link"].startswith(f"{stage.url}/consignor#token=")
    assert body["qr_svg"].startswith("<svg")
    assert body["qr_uri"].startswith("data:image/svg+xml")
    token = body["link"].split("#token=", 1)[1]
    claims = stage.issuer.verify(token)
    assert (claims.role, claims.subject, claims.paddle) == ("consignor", "C-1001", None)
    mine = bearer(token)
    status, view = await get_json(http, f"{SALE}/consignor", mine)
    assert status == 200
    assert view["consignor"] == "C-1001"
    assert view["topic"] == f"{stage.sale_iri}/consignors/C-1001"
    assert view["settlement"]["hammer"] == price
    assert [lot["lot"] for lot in view["settlement"]["lots"]] == ["1"]
    status, _ = await get_json(http, f"{SALE}/settlements/C-1001", mine)
    assert status == 200
    # Their own statement only; nothing of the buyers' side.
    other = bearer(stage.issuer.issue("consignor", "demo", subject="C-9999"))
    status, body = await get_json(http, f"{SALE}/settlements/C-1001", other)
    assert (status, body["reason"]) == (403, "forbidden")
    for path in ("accounts/101", "accounts", "summary", "exports/invoices.csv"):
        status, body = await get_json(http, f"{SALE}/{path}", mine)
        assert status == 403, path
    # Only staff issue links, only for consignors of this sale, for a sane time.
    link = f"{SALE}/consignors/C-1001/link"
    assert (await post(http, link, {}, buyer(stage, "101")))[0] == 403
    assert (await post(http, link, {}, mine))[0] == 403
    status, body = await post(http, f"{SALE}/consignors/C-9999/link", {}, staff(stage))
    assert (status, body["reason"]) == (422, "unknown_consignor")
    for days in (0, 367, 1.5, True, "30"):
        status, body = await post(http, link, {"days": days}, staff(stage))
        assert (status, body["reason"]) == (422, "invalid"), days
    status, body = await get_json(http, f"{SALE}/consignor", buyer(stage, "101"))
    assert (status, body["reason"]) == (403, "forbidden")


def consignor_topic(stage, ref: str) -> str:
    return f"/.well-known/mercure?topic={quote(f'{stage.sale_iri}/consignors/{ref}', safe='')}"


async def test_a_consignor_s_topic_carries_their_lots_and_names_no_buyer(stage, http):
    # Lot 2 goes to a second consignor, so each one's stream shows what the other's must not.
    answer = await stage.submit(
        {"op": "edit_lot", "lot": "2", "changes": {"consignor": "C-2002"}, "reason": "test"},
        CLERK,
    )
    assert answer.ok, answer
    first = bearer(stage.issuer.issue("consignor", "demo", subject="C-1001"))
    second = bearer(stage.issuer.issue("consignor", "demo", subject="C-2002"))
    both = (
        consignor_topic(stage, "C-1001")
        + "&topic="
        + quote(f"{stage.sale_iri}/consignors/C-2002", safe="")
    )
    async with (
        http.get(consignor_topic(stage, "C-1001"), headers=first) as mine,
        http.get(both, headers=second) as theirs,
    ):
        assert mine.status == 200
        assert theirs.status == 200
        price = await sell_lot_one(stage)
        await stage.submit({"op": "open_lot", "lot": "2"}, CLERK)
        seen: list[tuple[str, Any]] = []
        stream = SSE(mine)
        while not seen or seen[-1][1]["type"] != "lot_sold":
            seen.append(await stream.next())
        # The other consignor's first event is their own lot opening: nothing of lot 1 leaked.
        _, other = await SSE(theirs).next()
    assert (other["type"], other["lot"]["id"]) == ("lot_opened", "2")
    types = [data["type"] for _, data in seen]
    assert types[0] == "lot_opened"
    assert types[-1] == "lot_sold"
    for event_id, data in seen:
        assert event_id == f"demo:{data['epoch']}:{data['seq']}:c"
        assert data["lot"]["id"] == "1"
        assert data["lot"]["reserve"] == 70000  # their own reserve
        assert "paddle" not in json.dumps(data)  # never a bidder
        assert "books" not in data["lot"]
        assert "data" not in data
    sold = seen[-1][1]["lot"]
    assert sold["status"] == "sold"
    assert sold["hammer"] == {"amount": price, "subject_to": False}
    # A consignor resuming from an id of theirs gets what followed it.
    resume = consignor_topic(stage, "C-1001") + "&lastEventID=" + quote(seen[0][0], safe="")
    async with http.get(resume, headers=first) as again:
        replay = SSE(again)
        ids = [(await replay.next())[0] for _ in seen[1:]]
    assert ids == [event_id for event_id, _ in seen[1:]]


async def test_a_receipt_for_the_buyer_only(stage, http):
    await invoiced(stage, http)
    pay = {"amount": 2500, "method": "cash", "reference": "till 3"}
    status, body = await post(http, f"{SALE}/accounts/101/payments", pay, staff(stage))
    assert status == 200
    receipt = body["events"][0]["data"]["id"]
    status, doc = await get_json(http, f"{SALE}/receipts/{receipt}", buyer(stage, "101"))
    assert status == 200
    assert (doc["id"], doc["amount"], doc["method"]) == (receipt, 2500, "cash")
    async with http.get(f"{SALE}/receipts/{receipt}.html", headers=buyer(stage, "101")) as r:
        assert r.status == 200
        assert receipt in await r.text()
    status, doc = await get_json(http, f"{SALE}/receipts/{receipt}", buyer(stage, "102"))
    assert (status, doc["reason"]) == (403, "forbidden")
    for missing in ("PAY-999999", "PAY-x", "INV-2026-00001"):
        status, _ = await get_json(http, f"{SALE}/receipts/{missing}", staff(stage))
        assert status == 404, missing
