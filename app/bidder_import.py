"""Bidder list import: the house's pre-registered bidders from a CSV or .xlsx file. Pure parsing and
validation (no Qt, no core); `app/importer.py` registers the good rows through the core.

Every row gets a verdict: registered, or refused with a reason the desk can act on. Names and
contact details go to the identities store, never into the sale's journal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.catalogue_import import RowVerdict, SheetRow, Table, parse_amount, read_table, text_table
from hub.backend.identities import IdentityError, clean_identity

PADDLE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIMITS = {"name": 200, "email": 254, "phone": 40, "address": 500, "company": 200}
# KYC columns (issue 13): checked by the identities store's rules, stored there, never journaled.
KYC_COLUMNS = ("address", "country", "dob", "id_type", "id_number", "id_expiry", "company")

HEADERS: dict[str, str] = {
    "paddle": "paddle",
    "paddle no": "paddle",
    "paddle number": "paddle",
    "bidder": "paddle",
    "bidder no": "paddle",
    "number": "paddle",
    "no": "paddle",
    "#": "paddle",
    "name": "name",
    "full name": "name",
    "bidder name": "name",
    "client": "name",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "phone": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "channel": "channel",
    "type": "channel",
    "bids by": "channel",
    "credit limit": "credit_limit",
    "limit": "credit_limit",
    "credit": "credit_limit",
    "address": "address",
    "postal address": "address",
    "country": "country",
    "dob": "dob",
    "date of birth": "dob",
    "born": "dob",
    "id type": "id_type",
    "id document": "id_type",
    "id number": "id_number",
    "passport no": "id_number",
    "id expiry": "id_expiry",
    "id expires": "id_expiry",
    "company": "company",
    "approved": "approved",
    "id checked": "approved",
    "kyc": "approved",
    "status": "approved",
}
CHANNELS: dict[str, str] = {
    "": "floor",
    "floor": "floor",
    "room": "floor",
    "in room": "floor",
    "phone": "phone",
    "telephone": "phone",
    "absentee": "absentee",
    "commission": "absentee",
    "online": "online",
    "internet": "online",
}
YES = {"yes", "y", "true", "1", "x", "approved", "ok", "checked"}
NO = {"", "no", "n", "false", "0", "pending", "not checked"}


@dataclass(slots=True)
class BidderPlan:
    """A good row: what `Stage.register_bidder` needs."""

    line: int
    paddle: str
    channel: str
    name: str = ""
    email: str = ""
    phone: str = ""
    approved: bool = False
    credit_limit: int | None = None
    kyc: dict[str, str] | None = None  # the KYC columns given, already checked

    @property
    def identity(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "phone": self.phone, **(self.kyc or {})}


def bidder_table(data: bytes, name: str = "") -> Table:
    """A bidder list (CSV or .xlsx) read into rows (raises CatalogueError if unusable)."""
    return read_table(data, name, HEADERS, ("paddle",))


def read_bidders(
    data: bytes, existing: Iterable[str], currency: str, name: str = ""
) -> tuple[list[BidderPlan], list[RowVerdict]]:
    """Read and validate a bidder list (raises CatalogueError if the file is unusable)."""
    return parse_bidders(bidder_table(data, name), existing, currency)


def parse_bidders(
    source: str | Table, existing: Iterable[str], currency: str
) -> tuple[list[BidderPlan], list[RowVerdict]]:
    """The good rows and the refused ones (nothing is registered: also the dry run). The first
    line names the columns (at least the paddle); amounts are in major units (see
    `parse_amount`); `existing` are paddles already registered."""
    table = source if isinstance(source, Table) else text_table(source, HEADERS, ("paddle",))
    taken = {p.casefold() for p in existing}
    seen: dict[str, int] = {}
    good: list[BidderPlan] = []
    bad: list[RowVerdict] = list(table.bad)
    for row in table.rows:
        values = {name: cell.strip() for name, cell in row.values.items()}
        paddle = values.get("paddle", "")
        verdict = _check(row, values, paddle, currency)
        if isinstance(verdict, str):
            bad.append(RowVerdict(row.line, paddle[:40], False, verdict, "refuse"))
            continue
        key = paddle.casefold()
        if key in taken:
            reason = f"paddle {paddle} is already registered"
            bad.append(RowVerdict(row.line, paddle, False, reason, "refuse"))
            continue
        if key in seen:
            reason = f"paddle {paddle} repeats line {seen[key]}"
            bad.append(RowVerdict(row.line, paddle, False, reason, "refuse"))
            continue
        seen[key] = row.line
        verdict.line = row.line
        good.append(verdict)
    return good, bad


def _check(
    row: SheetRow, values: Mapping[str, str], paddle: str, currency: str
) -> BidderPlan | str:
    """A BidderPlan, or the reason the row is refused."""
    if row.problems:
        name, why = next(iter(row.problems.items()))
        return f"{name}: {why}"
    if not paddle:
        return "no paddle number"
    number = row.numbers.get("paddle")
    if number is not None and number != number.to_integral_value():
        return f"paddle {paddle} is not a whole number"
    if not PADDLE.match(paddle):
        return "bad paddle number (letters, digits and - only, at most 32)"
    for name, value in values.items():
        if _CONTROL.search(value):
            return f"{name} contains control characters"
        if len(value) > LIMITS.get(name, 100):
            return f"{name} is longer than {LIMITS.get(name, 100)} characters"
    email = values.get("email", "")
    if email and not EMAIL.match(email):
        return f"email {email[:40]!r} is not an address"
    channel = CHANNELS.get(values.get("channel", "").lower())
    if channel is None:
        return f"channel {values.get('channel', '')[:20]!r}: use room, phone, absentee or online"
    approved_text = values.get("approved", "").lower()
    if approved_text not in YES | NO:
        return f"approved {values.get('approved', '')[:20]!r}: use yes or no"
    kyc = {k: values[k] for k in KYC_COLUMNS if values.get(k)}
    try:
        clean_identity(kyc)
    except IdentityError as exc:
        return str(exc)
    limit: int | None = None
    raw = values.get("credit_limit", "")
    if raw:
        try:
            limit = parse_amount(raw, currency, row.numbers.get("credit_limit"))
        except ValueError as exc:
            return f"credit limit: {exc}"
    return BidderPlan(
        0,
        paddle,
        channel,
        values.get("name", ""),
        email,
        values.get("phone", ""),
        approved_text in YES,
        limit,
        kyc or None,
    )
