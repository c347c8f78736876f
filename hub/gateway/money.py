"""The money routes: buyers' accounts, invoices, credit notes, payments, releases, consignors'
settlements, the sale summary, prices realised and the accounting exports.

Every handler reads the cashier's desk (`hub.ports.Money`, app key `MONEY`) and nothing else
of the stage. Staff tokens may do everything here; a bidder token reads only its own account,
invoices, credit notes and receipts (403 `forbidden` for anyone else's, 404 for a number that
does not exist). Every POST body is strict JSON (the intake's reader), every field checked
here before the desk sees it: amounts are integers of the minor unit (no floats, no booleans,
nothing negative or absurd), unknown fields are refused, and `key` makes a retry count once.

Documents: `.html` (print-ready, its own tight CSP) and `.pdf` (rendered in a worker thread,
never on the loop). A browser cannot send `Authorization` when it opens a document in a new
tab, so `POST /api/sales/{sale}/documents/session` trades the bearer token for an HttpOnly,
SameSite=Strict cookie scoped to the sale's API path; only document GETs accept it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import segno
from aiohttp import web

from hub.auction import reasons as R
from hub.auction.parse import MAX_AMOUNT
from hub.auction.text import identifier_problem, text_problem
from hub.gateway.intake import Refused, bearer, check_key, check_sale, read_object, reply, verified
from hub.gateway.keys import BEHIND_TLS_PROXY, ISSUER, LINKS, MONEY, SALE
from hub.gateway.problems import problem
from hub.gateway.tokens import STAFF_ROLES, Claims
from hub.ports import Money, MoneyRefused, Verdict

JSON = dict[str, Any]

DOC_COOKIE = "auctionmenDocuments"
METHODS = ("cash", "card", "transfer", "cheque", "other")
EXPORT_KINDS = (
    "invoices",
    "credit_notes",
    "lines",
    "payments",
    "refunds",
    "payouts",
    "settlements",
)
# Document numbers as the backend allocates them ("INV-2026-00001", "CN-2026-00001"); the
# pattern only keeps junk out of the desk: whether the number exists is the desk's answer.
NUMBER = re.compile(r"^[A-Z]{2,4}-[0-9]{4}-[0-9]{1,9}$")
PAYMENT_ID = re.compile(r"^PAY-[0-9]{1,12}$")
MAX_LOTS = 5000
# An HTML document carries its own inline styles and an inline SVG (the payment QR code).
DOC_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
NO_STORE = {"Cache-Control": "no-store, private"}


# -- who is asking --------------------------------------------------------------------------


def _claims(request: web.Request, *, document: bool = False) -> Claims:
    """The caller's verified claims: the Authorization header, or (document GETs only) the
    document cookie a page set with its bearer token."""
    token = bearer(request)
    if token is None and document:
        token = request.cookies.get(DOC_COOKIE)
    return verified(token, request.app[ISSUER].verify, request.app[SALE].sale_id)


def _staff(request: web.Request, *, document: bool = False) -> Claims:
    check_sale(request, request.app[SALE].sale_id)
    claims = _claims(request, document=document)
    if claims.role not in STAFF_ROLES:
        raise Refused(403, "forbidden", "staff only")
    return claims


def _reader(request: web.Request, paddle: str | None, *, document: bool = False) -> Claims:
    """Staff, or the bidder whose paddle it is (`paddle` None: a document nobody owns)."""
    check_sale(request, request.app[SALE].sale_id)
    claims = _claims(request, document=document)
    if claims.role in STAFF_ROLES:
        return claims
    if claims.role == "bidder" and claims.paddle is not None and claims.paddle == paddle:
        return claims
    raise Refused(403, "forbidden", "a bidder may read only their own account and documents")


def _by(claims: Claims) -> str:
    """Who did it, as the journal records it: the staff member's name (token subject)."""
    return claims.subject or claims.role


def _money(request: web.Request) -> Money:
    return request.app[MONEY]


# -- checking what was sent -----------------------------------------------------------------


def _refuse(detail: str) -> Refused:
    return Refused(422, R.INVALID, detail)


def _fields(body: JSON, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise _refuse(f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(allowed)}")


def _amount(body: JSON, name: str = "amount") -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(f"'{name}' must be a whole number of the currency's minor unit (cents)")
    if value <= 0 or value > MAX_AMOUNT:
        raise _refuse(f"'{name}' must be above 0 and at most {MAX_AMOUNT}")
    return value


def _text(body: JSON, name: str, limit: int, *, required: bool = False) -> str:
    """A line of display text (`hub.auction.text`: no control characters, direction
    overrides or lone surrogates), at most `limit` long."""
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        need = "non-empty text" if required else "text"
        raise _refuse(f"'{name}' must be {need} of at most {limit} characters")
    problem = text_problem(value, limit=limit)
    if problem is not None:
        raise _refuse(f"'{name}' {problem}")
    return value.strip()


def _choice(body: JSON, name: str, choices: tuple[str, ...]) -> str:
    value = body.get(name)
    if value not in choices:
        raise _refuse(f"'{name}' must be one of {', '.join(choices)}")
    return str(value)


def _lots(body: JSON, name: str = "lots", *, required: bool = False) -> list[str]:
    value = body.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list) or len(value) > MAX_LOTS:
        raise _refuse(f"'{name}' must be a list of at most {MAX_LOTS} lot ids")
    out = []
    for item in value:
        if not isinstance(item, str) or identifier_problem(item, limit=32) is not None:
            raise _refuse(f"'{name}' must hold lot ids (text of at most 32 characters)")
        out.append(item)
    if len(set(out)) != len(out):
        raise _refuse(f"'{name}' names a lot twice")
    if required and not out:
        raise _refuse(f"'{name}' must name at least one lot")
    return out


def _ref(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if identifier_problem(value) is not None:
        raise Refused(404, "not_found", f"no {name} {value[:40]!r}")
    return value


def _doc(request: web.Request, pattern: re.Pattern[str]) -> tuple[str, str]:
    """The document's number and format (`json`, `html` or `pdf`) from `{doc}` in the path."""
    doc = request.match_info["doc"]
    number, dot, ext = doc.rpartition(".")
    if not dot:
        number, ext = doc, "json"
    if ext not in ("json", "html", "pdf") or not pattern.match(number):
        raise Refused(404, "not_found", f"no document {doc[:40]!r}")
    return number, ext


# -- answers --------------------------------------------------------------------------------


def _refused(exc: MoneyRefused, *, post: bool) -> web.Response:
    """The desk's refusal as problem+json: unknown things are 404 on reads and 422 in a body
    (the request named something that is not there), malformed 422, the rest 409."""
    if exc.reason in ("not_found", "unknown_bidder", "unknown_consignor", "unknown_lot"):
        status = 422 if post else 404
    elif exc.reason in (R.INVALID, "unknown_op"):
        status = 422
    elif exc.reason == "forbidden":
        status = 403
    elif exc.reason == R.JOURNAL_UNAVAILABLE:
        status = 503
    else:
        status = 409
    return problem(status, exc.reason, exc.detail)


def _answer(verdict: Verdict, extra: JSON | None = None) -> web.Response:
    """A money command's verdict: 200 with its events, or problem+json with the core's
    reason (422 malformed, 409 refused, 503 journal down)."""
    status, body = reply(verdict, bid=False)
    if not verdict.ok:
        return problem(status, str(verdict.reason), str(verdict.message or verdict.reason))
    body.pop("state", None)  # the sale snapshot is not what a cashier asked for
    body.update(extra or {})
    return web.json_response(body, headers=NO_STORE)


def _html(text: str) -> web.Response:
    response = web.Response(text=text, content_type="text/html", charset="utf-8", headers=NO_STORE)
    response.headers["Content-Security-Policy"] = DOC_CSP
    return response


async def _pdf(job: Callable[[], bytes], name: str) -> web.Response:
    data = await asyncio.to_thread(job)  # WeasyPrint blocks: never on the stage loop
    return web.Response(
        body=data,
        content_type="application/pdf",
        headers={**NO_STORE, "Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


async def _document(request: web.Request, kind: str, ref: str, ext: str) -> web.StreamResponse:
    money = _money(request)
    if ext == "html":
        return _html(money.html(kind, ref))
    if ext == "pdf":
        return await _pdf(money.pdf(kind, ref), ref)
    return web.json_response(money.document(kind, ref), headers=NO_STORE)


# -- buyers ---------------------------------------------------------------------------------


async def account(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/accounts/{paddle}: the buyer's account (AccountDoc JSON)."""
    paddle = _ref(request, "paddle")
    _reader(request, paddle)
    try:
        return web.json_response(_money(request).account(paddle), headers=NO_STORE)
    except MoneyRefused as exc:
        return _refused(exc, post=False)


async def accounts(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/accounts: every buyer's standing (staff)."""
    _staff(request)
    return web.json_response({"accounts": _money(request).accounts()}, headers=NO_STORE)


async def payment(request: web.Request) -> web.StreamResponse:
    """POST /api/sales/{sale}/accounts/{paddle}/payments."""
    paddle = _ref(request, "paddle")
    claims = _staff(request)
    body = await read_object(request)
    _fields(body, ("amount", "method", "reference", "key", "payer", "third_party_reason"))
    amount = _amount(body)
    method = _choice(body, "method", METHODS)
    reference = _text(body, "reference", 128)
    key = check_key(body.get("key"))
    payer = _text(body, "payer", 200)
    why = _text(body, "third_party_reason", 500)
    if payer and not why:
        raise Refused(422, "third_party", "a payment by someone else than the buyer needs a reason")
    money = _money(request)
    try:
        verdict = await money.record_payment(
            paddle, amount, method, reference, key, _by(claims), payer, why
        )
        return _answer(verdict, {"account": money.account(paddle)} if verdict.ok else None)
    except MoneyRefused as exc:
        return _refused(exc, post=True)


async def refund(request: web.Request) -> web.StreamResponse:
    """POST /api/sales/{sale}/accounts/{paddle}/refunds."""
    paddle = _ref(request, "paddle")
    claims = _staff(request)
    body = await read_object(request)
    _fields(body, ("amount", "method", "reference", "key", "reason"))
    amount = _amount(body)
    method = _choice(body, "method", METHODS)
    reference = _text(body, "reference", 128)
    key = check_key(body.get("key"))
    why = _text(body, "reason", 500, required=True)
    money = _money(request)
    try:
        verdict = await money.record_refund(
            paddle, amount, method, reference, key, _by(claims), why
        )
        return _answer(verdict, {"account": money.account(paddle)} if verdict.ok else None)
    except MoneyRefused as exc:
        return _refused(exc, post=True)


async def release(request: web.Request) -> web.StreamResponse:
    """POST /api/sales/{sale}/accounts/{paddle}/release: lots go out for collection."""
    paddle = _ref(request, "paddle")
    claims = _staff(request)
    body = await read_object(request)
    _fields(body, ("lots", "override_reason", "key"))
    lots = _lots(body)
    why = _text(body, "override_reason", 500)
    check_key(body.get("key"))
    money = _money(request)
    try:
        verdict = await money.release(paddle, lots, _by(claims), why)
        return _answer(verdict, {"account": money.account(paddle)} if verdict.ok else None)
    except MoneyRefused as exc:
        return _refused(exc, post=True)


async def issue(request: web.Request) -> web.StreamResponse:
    """POST /api/sales/{sale}/invoices: `{"paddle"}` invoices one buyer's uninvoiced lots,
    `{"all": true}` every buyer's (at the close)."""
    claims = _staff(request)
    body = await read_object(request)
    _fields(body, ("paddle", "all", "key"))
    check_key(body.get("key"))
    every, paddle = body.get("all"), body.get("paddle")
    money = _money(request)
    try:
        if every is True and paddle is None:
            numbers = await money.issue_all(_by(claims))
            return web.json_response({"ok": True, "numbers": numbers}, headers=NO_STORE)
        if (
            every not in (None, False)
            or not isinstance(paddle, str)
            or identifier_problem(paddle) is not None
        ):
            raise _refuse("send {'paddle': '<paddle>'} or {'all': true}")
        verdict = await money.issue_invoice(paddle, _by(claims))
        return _answer(verdict, {"account": money.account(paddle)} if verdict.ok else None)
    except MoneyRefused as exc:
        return _refused(exc, post=True)


async def invoice(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/invoices/{number}[.html|.pdf]."""
    return await _owned(request, "invoice", NUMBER)


async def credit_note_doc(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/credit-notes/{number}[.html|.pdf]."""
    return await _owned(request, "credit_note", NUMBER)


async def receipt(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/receipts/{PAY-id}[.html|.pdf]: one payment's receipt."""
    return await _owned(request, "receipt", PAYMENT_ID)


async def _owned(request: web.Request, kind: str, pattern: re.Pattern[str]) -> web.StreamResponse:
    check_sale(request, request.app[SALE].sale_id)
    number, ext = _doc(request, pattern)
    document = ext != "json"
    _claims(request, document=document)  # 401 before anything about the number is said
    owner = _money(request).owner(kind, number)
    if owner is None:
        return problem(404, "not_found", f"no {kind.replace('_', ' ')} {number}")
    _reader(request, owner, document=document)
    try:
        return await _document(request, kind, number, ext)
    except MoneyRefused as exc:
        return _refused(exc, post=False)


async def credit_note(request: web.Request) -> web.StreamResponse:
    """POST /api/sales/{sale}/credit-notes `{"invoice", "lots", "reason"}`."""
    claims = _staff(request)
    body = await read_object(request)
    _fields(body, ("invoice", "lots", "reason", "key"))
    check_key(body.get("key"))
    number = body.get("invoice")
    if not isinstance(number, str) or not NUMBER.match(number):
        raise _refuse("'invoice' must be an invoice number such as INV-2026-00001")
    lots = _lots(body, required=True)
    why = _text(body, "reason", 500, required=True)
    money = _money(request)
    try:
        verdict = await money.credit_note(number, lots, why, _by(claims))
        return _answer(verdict)
    except MoneyRefused as exc:
        return _refused(exc, post=True)


# -- the sale, consignors, exports ----------------------------------------------------------


async def summary(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/summary (staff): the sale's figures (SummaryDoc JSON)."""
    _staff(request)
    return web.json_response(_money(request).summary(), headers=NO_STORE)


async def consignors(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/consignors (staff): each consignor with their net and due."""
    _staff(request)
    return web.json_response({"consignors": _money(request).consignors()}, headers=NO_STORE)


async def settlement(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/settlements/{consignor}[.html|.pdf] (staff, or that consignor)."""
    doc = request.match_info["doc"]
    ref, dot, ext = doc.rpartition(".")
    if not dot or ext not in ("html", "pdf"):
        ref, ext = doc, "json"
    if identifier_problem(ref) is not None:
        return problem(404, "not_found", f"no consignor {ref[:40]!r}")
    check_sale(request, request.app[SALE].sale_id)
    claims = _claims(request, document=ext != "json")
    own = claims.role == "consignor" and claims.subject == ref
    if claims.role not in STAFF_ROLES and not own:
        raise Refused(403, "forbidden", "staff, or the consignor whose statement it is")
    money = _money(request)
    try:
        if ext == "json":
            return web.json_response(money.settlement(ref), headers=NO_STORE)
        return await _document(request, "settlement", ref, ext)
    except MoneyRefused as exc:
        return _refused(exc, post=False)


async def consignor_link(request: web.Request) -> web.StreamResponse:
    """POST /api/sales/{sale}/consignors/{consignor}/link (staff): a private link for the
    consignor's live view of their own lots (a consignor token, 30 days), with its QR code."""
    ref = _ref(request, "consignor")
    _staff(request)
    body = await read_object(request)
    _fields(body, ("days",))
    days = body.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise _refuse("'days' must be a whole number of days from 1 to 366")
    try:
        _money(request).settlement(ref)  # a consignor of this sale, or unknown_consignor
    except MoneyRefused as exc:
        return _refused(exc, post=True)
    sale = request.app[SALE].sale_id
    token = request.app[ISSUER].issue("consignor", sale, subject=ref, ttl=days * 86400)
    # The stage's address as people are given it (its public URL, else its LAN address).
    base = request.app[LINKS].base_url() or str(request.url.origin())
    link = f"{base.rstrip('/')}/consignor#token={token}"
    # Drawn in a worker thread: tens of milliseconds of pure Python, off the stage loop.
    svg, uri = await asyncio.to_thread(_qr_codes, link)
    body = {"link": link, "consignor": ref, "qr_svg": svg}
    body["qr_uri"] = uri  # for an <img>: the page inserts no markup
    return web.json_response(body, headers=NO_STORE)


def _qr_codes(link: str) -> tuple[str, str]:
    """The link's QR code as inline SVG and as an SVG data URI."""
    qr = segno.make(link, error="m")
    return str(qr.svg_inline(scale=3)), str(qr.svg_data_uri(scale=3))


async def consignor_view(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/consignor (consignor token): their settlement so far and the
    private topic their lots' events arrive on."""
    sale = request.app[SALE]
    check_sale(request, sale.sale_id)
    claims = _claims(request)
    if claims.role != "consignor" or not claims.subject:
        raise Refused(403, "forbidden", "consignors only (open the link the auction house sent)")
    try:
        settled = _money(request).settlement(claims.subject)
    except MoneyRefused as exc:
        return _refused(exc, post=False)
    topic = f"{sale.sale_iri}/consignors/{claims.subject}"
    body: JSON = {"consignor": claims.subject, "sale": sale.sale_id, "title": sale.title}
    body.update(topic=topic, settlement=settled)
    return web.json_response(body, headers=NO_STORE)


async def export(request: web.Request) -> web.StreamResponse:
    """GET /api/sales/{sale}/exports/{kind}.{csv|json} (staff): the accountant's files."""
    _staff(request)
    name = request.match_info["file"]
    kind, dot, fmt = name.rpartition(".")
    if not dot or kind not in EXPORT_KINDS or fmt not in ("csv", "json"):
        kinds = ", ".join(EXPORT_KINDS)
        return problem(404, "not_found", f"exports are {{{kinds}}}.csv or .json")
    sale = re.sub(r"[^A-Za-z0-9._-]", "_", request.app[SALE].sale_id)
    try:
        text = _money(request).export(kind, fmt)
    except MoneyRefused as exc:
        return _refused(exc, post=False)
    return web.Response(
        text=text,
        content_type="text/csv" if fmt == "csv" else "application/json",
        charset="utf-8",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="{sale}-{kind}.{fmt}"',
        },
    )


async def prices_realised(request: web.Request) -> web.StreamResponse:
    """GET /sales/{sale}/prices-realised: the public page (no token, no buyers' names)."""
    check_sale(request, request.app[SALE].sale_id)
    response = _html(_money(request).html("prices_realised", request.app[SALE].sale_id))
    response.headers["Cache-Control"] = "no-cache"
    return response


async def document_session(request: web.Request) -> web.StreamResponse:
    """POST /api/sales/{sale}/documents/session: the bearer token as an HttpOnly cookie that
    only this sale's document GETs read, so a page can open a document in a new tab."""
    sale = request.app[SALE].sale_id
    check_sale(request, sale)
    claims = _claims(request)
    if claims.role not in (*STAFF_ROLES, "bidder", "consignor"):
        raise Refused(403, "forbidden", "staff, bidders and consignors only")
    response = web.json_response({"ok": True, "expires": claims.expires}, headers=NO_STORE)
    response.set_cookie(
        DOC_COOKIE,
        bearer(request) or "",
        path=f"/api/sales/{sale}/",
        httponly=True,
        samesite="Strict",
        secure=request.secure or request.app[BEHIND_TLS_PROXY],
        max_age=max(0, int(claims.expires - time.time())),
    )
    return response


def add_money_routes(app: web.Application, money: Money | None) -> None:
    """The money routes, when the stage has a cashier's desk."""
    if money is None:
        return
    app[MONEY] = money
    r = app.router
    base = "/api/sales/{sale}"
    r.add_get(f"{base}/accounts", accounts)
    r.add_get(f"{base}/accounts/{{paddle}}", account)
    r.add_post(f"{base}/accounts/{{paddle}}/payments", payment)
    r.add_post(f"{base}/accounts/{{paddle}}/refunds", refund)
    r.add_post(f"{base}/accounts/{{paddle}}/release", release)
    r.add_post(f"{base}/invoices", issue)
    r.add_get(f"{base}/invoices/{{doc}}", invoice)
    r.add_post(f"{base}/credit-notes", credit_note)
    r.add_get(f"{base}/credit-notes/{{doc}}", credit_note_doc)
    r.add_get(f"{base}/receipts/{{doc}}", receipt)
    r.add_get(f"{base}/summary", summary)
    r.add_get(f"{base}/consignors", consignors)
    r.add_get(f"{base}/settlements/{{doc}}", settlement)
    r.add_post(f"{base}/consignors/{{consignor}}/link", consignor_link)
    r.add_get(f"{base}/consignor", consignor_view)
    r.add_get(f"{base}/exports/{{file}}", export)
    r.add_post(f"{base}/documents/session", document_session)
    r.add_get("/sales/{sale}/prices-realised", prices_realised)
