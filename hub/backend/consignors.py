"""Consignor records: who sends lots to the house, and where their money goes.

Personal data (name, address, bank details), so it lives in the identities database file beside
the bidders, never in the hash-chained journal: lots name a consignor only by `reference`, and
erasing a person at the end of retention leaves the journal intact. A consignor's contract
terms (commission, charges) are journaled per sale (`set_consignor_terms`): they are not here.

Every field is checked on the way in (IBAN and BIC with schwifty); a bad value raises
`ConsignorError` whose message names the field and says what is wrong. Nothing is written then.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlite_utils
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlite_utils.db import NotFoundError

from hub.auction.text import identifier_problem, text_problem
from hub.backend.statements import Party

JSON = dict[str, Any]

FIELDS = ("name", "address", "country", "email", "phone", "iban", "bic", "vat_id")
LIMITS = {
    "reference": 64,  # as long as a lot's consignor field
    "name": 200,
    "address": 500,
    "country": 60,  # the code check below says "two letters"
    "email": 254,
    "phone": 40,
    "iban": 42,  # 34 characters plus the spaces of its printed form
    "bic": 11,
    "vat_id": 20,
}
MAX_ADDRESS_LINES = 8
_COUNTRY = re.compile(r"[A-Z]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,40}")
_VAT_ID = re.compile(r"[A-Z]{2}[A-Z0-9]{2,18}")


class ConsignorError(ValueError):
    """A consignor record that cannot be stored or found; the message says why."""


class ConsignorStore:
    """The `consignors` table of the identities database file."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.table = self.db.table("consignors")
        if not self.table.exists():
            self.table.create(
                {
                    "reference": str,
                    **{name: str for name in FIELDS},
                    "created": float,
                    "erased": float,
                },
                pk="reference",
                not_null={"reference", *FIELDS},
                defaults={name: "" for name in FIELDS},
            )

    def add(self, reference: object, fields: Mapping[str, Any]) -> JSON:
        """A new consignor; refused if the reference is taken (use `update` to change one)."""
        ref = check_reference(reference)
        row = {"reference": ref, **check_fields(fields, partial=False)}
        row.update(created=float(self.clock()), erased=None)
        try:
            with self.db.conn:
                self.table.insert(row)
        except sqlite3.IntegrityError as exc:
            raise ConsignorError(f"consignor {ref!r} already exists") from exc
        return self._get(ref)

    def update(self, reference: object, fields: Mapping[str, Any]) -> JSON:
        """Change some fields of a consignor (only those given)."""
        ref = check_reference(reference)
        changes = check_fields(fields, partial=True)
        current = self.get(ref)
        if current is None:
            raise ConsignorError(f"no consignor {ref!r}")
        if current["erased"] is not None:
            raise ConsignorError(f"consignor {ref!r} was erased")
        if changes:
            with self.db.conn:
                self.table.update(ref, changes)
        return self._get(ref)

    def get(self, reference: str) -> JSON | None:
        try:
            return self._get(reference)
        except ConsignorError:
            return None

    def _get(self, reference: str) -> JSON:
        try:
            row: JSON = self.table.get(reference)
        except NotFoundError as exc:
            raise ConsignorError(f"no consignor {reference!r}") from exc
        return row

    def list(self) -> list[JSON]:
        """Every consignor, by reference (erased ones too: their reference stays on lots)."""
        return list(self.table.rows_where(order_by="reference"))

    def erase(self, reference: object) -> None:
        """Forget a person (end of retention) but keep the reference, so nothing dangles."""
        ref = check_reference(reference)
        if self.get(ref) is None:
            raise ConsignorError(f"no consignor {ref!r}")
        with self.db.conn:
            self.table.update(ref, {**{name: "" for name in FIELDS}, "erased": float(self.clock())})

    def party(self, reference: str) -> Party:
        """The consignor as documents name them (just the reference when unknown)."""
        return party_of(reference, self.get(reference))

    def close(self) -> None:
        self.db.close()


def party_of(reference: str, row: Mapping[str, Any] | None) -> Party:
    """A consignor row (or none) as a document's `Party`."""
    if row is None:
        return Party(reference)
    return Party(
        reference,
        name=row.get("name") or "",
        address=row.get("address") or "",
        country=row.get("country") or "",
        email=row.get("email") or "",
        vat_id=row.get("vat_id") or "",
        iban=row.get("iban") or "",
    )


# ---------------------------------------------------------------------- checks


def check_reference(value: object) -> str:
    """A consignor reference as lots carry it: the shared identifier rule (hub/auction/text.py)."""
    if not isinstance(value, str):
        raise ConsignorError("reference must be text")
    problem = identifier_problem(value, limit=LIMITS["reference"])
    if problem is not None:
        raise ConsignorError(f"reference {problem}")
    return value


def check_fields(fields: Mapping[str, Any], *, partial: bool) -> JSON:
    """The fields given, checked and normalised (IBAN compact, country upper case)."""
    if not isinstance(fields, Mapping):
        raise ConsignorError("a consignor is a table of fields")
    unknown = sorted(str(k)[:40] for k in fields if k not in FIELDS)
    if unknown:
        raise ConsignorError(f"unknown field(s): {', '.join(unknown[:5])}")
    out: JSON = {}
    for name in FIELDS:
        if name not in fields:
            if not partial:
                out[name] = ""
            continue
        value = fields[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ConsignorError(f"{name} must be text")
        out[name] = _CHECKS[name](_clean(value, name, multiline=name == "address").strip())
    if not partial and not out["name"]:
        raise ConsignorError("name is required")
    if partial and "name" in out and not out["name"]:
        raise ConsignorError("name is required")
    return out


def _clean(value: str, name: str, *, multiline: bool) -> str:
    """The shared display-text rule (hub/auction/text.py): no control character, lone
    surrogate or direction override, one line unless `multiline`, not oversized."""
    limit = LIMITS[name]
    if len(value) > limit + 40:  # room for surrounding spaces, not for a payload
        raise ConsignorError(f"{name} must be at most {limit} characters")
    problem = text_problem(value, limit=limit + 40, multiline=multiline)
    if problem is None and "\t" in value:
        problem = "contains a tab"
    if problem is not None:
        raise ConsignorError(f"{name} {problem}")
    if len(value.strip()) > limit:
        raise ConsignorError(f"{name} must be at most {limit} characters")
    return value


def _plain(value: str) -> str:
    return value


def _address(value: str) -> str:
    lines = [line.strip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > MAX_ADDRESS_LINES:
        raise ConsignorError(f"address has more than {MAX_ADDRESS_LINES} lines")
    return "\n".join(lines)


def _country(value: str) -> str:
    code = value.upper()
    if code and not _COUNTRY.fullmatch(code):
        raise ConsignorError(f"country must be a two-letter ISO code like FR, not {value!r}")
    return code


def _email(value: str) -> str:
    if value and not _EMAIL.fullmatch(value):
        raise ConsignorError(f"email {value!r} is not an email address")
    return value


def _phone(value: str) -> str:
    if value and not _PHONE.fullmatch(value):
        raise ConsignorError(f"phone {value!r} may hold digits, spaces, + ( ) . / - only")
    return value


def _iban(value: str) -> str:
    if not value:
        return ""
    try:
        return str(IBAN(value).compact)
    except (SchwiftyException, ValueError) as exc:
        raise ConsignorError(f"IBAN {value!r} is not valid: {exc}") from exc


def _bic(value: str) -> str:
    if not value:
        return ""
    try:
        return str(BIC(value).compact)
    except (SchwiftyException, ValueError) as exc:
        raise ConsignorError(f"BIC {value!r} is not valid: {exc}") from exc


def _vat_id(value: str) -> str:
    code = value.upper().replace(" ", "").replace(".", "").replace("-", "")
    if code and not _VAT_ID.fullmatch(code):
        raise ConsignorError(
            f"VAT id {value!r} must be a country prefix and 2 to 18 letters or digits"
        )
    return code


_CHECKS: dict[str, Callable[[str], str]] = {
    "name": _plain,
    "address": _address,
    "country": _country,
    "email": _email,
    "phone": _phone,
    "iban": _iban,
    "bic": _bic,
    "vat_id": _vat_id,
}
