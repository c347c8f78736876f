"""Bidder identities (names, contact details, KYC data): personal data kept OUTSIDE the journal.

The journal names bidders only by paddle, so erasing a person when the retention period
ends leaves the hash-chained legal record intact.

Know-your-customer fields (issue 13) live here too: date of birth, the ID document (type,
number, expiry, and `id_scan`, the SHA-256 of the scan stored under `{data_dir}/kyc/`),
company and beneficial owners for legal persons. `customer` ("cu-N") is the house-wide person
behind paddles in several sales: matched on the ID number, else the email, or chosen by the
desk; the AML check adds up a customer's purchases across sales with it.

`payers` (issue 12) holds the names of third parties who paid for a paddle: the journal keeps
only an opaque `payer_ref` ("py-<hex>"), the name lives here and is erased with the paddle.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import NotFoundError

from hub.auction.text import identifier_problem, text_problem

JSON = dict[str, Any]
CONTACT_FIELDS = ("name", "email", "phone", "address", "country")
KYC_FIELDS = (
    "dob",
    "id_type",
    "id_number",
    "id_expiry",
    "id_scan",
    "company",
    "beneficial_owners",
    "customer",
)
IDENTITY_FIELDS = CONTACT_FIELDS + KYC_FIELDS
# Longest accepted value of each text field; only the address has several lines.
LIMITS = {"name": 200, "email": 254, "phone": 40, "address": 500, "country": 60, "company": 200}
ID_TYPES = ("passport", "id_card", "driving_licence", "residence_permit", "other")
ID_NUMBER_LIMIT = 40
MAX_OWNERS = 10
SHA256 = re.compile(r"[0-9a-f]{64}")
CUSTOMER = re.compile(r"cu-[1-9][0-9]{0,8}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ONLINE_PADDLES_FROM = 7001  # online paddles never collide with the room's numbers


class IdentityError(ValueError):
    """Identity fields that cannot be stored: the message says which field and why."""


def clean_identity(fields: JSON) -> dict[str, str]:
    """The identity fields of `fields`, trimmed, or IdentityError: display text only (no
    control characters, no lone surrogates, no line breaks but in the address); KYC fields
    by their own rules (dates, document type, hashes). `beneficial_owners` comes back as JSON
    text (the column's form)."""
    out: dict[str, str] = {}
    for name in IDENTITY_FIELDS:
        value = fields.get(name)
        if value is None or (name in KYC_FIELDS and value in ("", [])):
            continue
        if name == "beneficial_owners":
            out[name] = json.dumps(clean_owners(value), ensure_ascii=False)
            continue
        if not isinstance(value, str):
            raise IdentityError(f"'{name}' must be text")
        if name in KYC_FIELDS and name != "company":
            out[name] = _kyc_value(name, value)
            continue
        # The text as sent: str.strip() would quietly drop a trailing NEL or U+2028.
        problem = text_problem(value, limit=LIMITS[name], multiline=name == "address")
        if problem is not None:
            raise IdentityError(f"'{name}' {problem}")
        out[name] = value.strip()
    return out


def _kyc_value(name: str, value: str) -> str:
    """One KYC field checked by its rule (IdentityError naming the field)."""
    if name in ("dob", "id_expiry"):
        return check_date(value, name)
    if name == "id_type":
        if value not in ID_TYPES:
            raise IdentityError(f"'id_type' must be one of {', '.join(ID_TYPES)}")
        return value
    if name == "id_number":
        problem = identifier_problem(value, limit=ID_NUMBER_LIMIT)
        if problem is not None:
            raise IdentityError(f"'id_number' {problem}")
        return value
    if name == "id_scan":
        if not SHA256.fullmatch(value):
            raise IdentityError("'id_scan' must be the SHA-256 of a stored scan (64 hex digits)")
        return value
    if not CUSTOMER.fullmatch(value):
        raise IdentityError("'customer' must be a customer id like cu-12")
    return value


def check_date(value: str, name: str) -> str:
    """An ISO date (YYYY-MM-DD) that exists, between 1900 and 2199."""
    if not ISO_DATE.fullmatch(value):
        raise IdentityError(f"'{name}' must be a date like 1970-01-31")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise IdentityError(f"'{name}' is not a real date ({value})") from None
    if not 1900 <= parsed.year < 2200:
        raise IdentityError(f"'{name}' must be between 1900 and 2199")
    return value


def clean_owners(value: object) -> list[dict[str, str]]:
    """Beneficial owners: a list of at most MAX_OWNERS {name, dob?} (IdentityError)."""
    if not isinstance(value, list):
        raise IdentityError("'beneficial_owners' must be a list of {name, dob}")
    if len(value) > MAX_OWNERS:
        raise IdentityError(f"'beneficial_owners' may name at most {MAX_OWNERS} people")
    owners = []
    for index, owner in enumerate(value, 1):
        if isinstance(owner, str):
            owner = {"name": owner}
        if not isinstance(owner, dict) or set(owner) - {"name", "dob"}:
            raise IdentityError(f"beneficial owner {index} must be {{name, dob}}")
        name = owner.get("name")
        if not isinstance(name, str) or not name.strip():
            raise IdentityError(f"beneficial owner {index} needs a name")
        problem = text_problem(name, limit=LIMITS["name"])
        if problem is not None:
            raise IdentityError(f"beneficial owner {index}'s name {problem}")
        clean = {"name": name.strip()}
        dob = owner.get("dob")
        if dob not in (None, ""):
            if not isinstance(dob, str):
                raise IdentityError(f"beneficial owner {index}'s dob must be text")
            clean["dob"] = check_date(dob, f"beneficial owner {index}'s dob")
        owners.append(clean)
    return owners


def owners_of(row: JSON) -> list[dict[str, str]]:
    """The beneficial owners stored in an identity row."""
    text = row.get("beneficial_owners") or ""
    owners: list[dict[str, str]] = json.loads(text) if text else []
    return owners


def store_scan(data_dir: Path, content: bytes, *, limit: int = 20 * 1024 * 1024) -> str:
    """Keep an ID scan under `{data_dir}/kyc/` by its SHA-256 (the reference the identity
    holds); the same file twice is stored once. IdentityError if empty or too big."""
    if not content:
        raise IdentityError("the scan is empty")
    if len(content) > limit:
        raise IdentityError(f"the scan is larger than {limit // (1024 * 1024)} MB")
    digest = hashlib.sha256(content).hexdigest()
    folder = Path(data_dir) / "kyc"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.scan"
    if not target.exists():
        partial = folder / f"{digest}.part"
        partial.write_bytes(content)
        partial.replace(target)
    return digest


class IdentityStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.table = self.db.table("identities")
        if not self.table.exists():
            self.table.create(
                {
                    "sale": str,
                    "paddle": str,
                    "name": str,
                    "email": str,
                    "phone": str,
                    "address": str,  # postal address, lines joined by newlines (invoices)
                    "country": str,  # ISO 3166 alpha-2 (invoices, e-invoices)
                    "created": float,
                    "erased": float,
                },
                pk=("sale", "paddle"),
            )
        # Older stores lack the address (invoices) and KYC columns: add them, keep the rows.
        for column in ("address", "country", *KYC_FIELDS):
            if column not in self.table.columns_dict:
                self.table.add_column(column, str, not_null_default="")
        self.customers = self.db.table("customers")
        if not self.customers.exists():
            self.customers.create({"id": str, "number": int, "created": float}, pk="id")
        self.table.create_index(["customer"], if_not_exists=True)
        self.payers = self.db.table("payers")
        if not self.payers.exists():
            self.payers.create(
                {
                    "ref": str,
                    "sale": str,
                    "paddle": str,
                    "name": str,
                    "created": float,
                    "erased": float,
                },
                pk="ref",
            )
        self.payers.create_index(["sale", "paddle"], if_not_exists=True)

    def add(self, sale: str, paddle: str, fields: JSON) -> float:
        """Store (or replace) a bidder's identity; checked first (IdentityError), so a bad
        value never half-writes. The customer is the one named, else the one with the same
        ID number or email, else a new one. Returns the row's `created` stamp (`remove`)."""
        clean = clean_identity(fields)
        created = time.time()
        with self.db.conn:
            clean["customer"] = self._customer_for(clean, created)
            self.table.insert(
                {
                    "sale": sale,
                    "paddle": paddle,
                    **{name: clean.get(name, "") for name in IDENTITY_FIELDS},
                    "created": created,
                    "erased": None,
                },
                replace=True,
            )
        return created

    def update(self, sale: str, paddle: str, fields: JSON) -> JSON:
        """Change some fields of a stored identity (the desk's KYC panel); the others stay.
        A new ID number or email may link the paddle to an existing customer; a named
        `customer` must exist. IdentityError, nothing written, if a value is bad."""
        row = self.get(sale, paddle)
        if row is None:
            raise IdentityError(f"paddle {paddle} has no identity in sale {sale}")
        clean = clean_identity(fields)
        with self.db.conn:
            # A row from before customers existed gets one on its first change.
            if "customer" in clean or {"id_number", "email"} & set(clean) or not row["customer"]:
                merged = {**row, **clean}
                if "customer" not in clean:
                    merged["customer"] = self._matching_customer(merged) or row["customer"]
                clean["customer"] = self._customer_for(merged, time.time())
            self.table.update((sale, paddle), clean)
        updated = self.get(sale, paddle)
        assert updated is not None
        return updated

    def _customer_for(self, clean: JSON, now: float) -> str:
        """The customer id for these fields, creating one when none matches."""
        chosen = clean.get("customer") or ""
        if chosen:
            if not self.customers.count_where("id = ?", [chosen]):
                raise IdentityError(f"no customer {chosen}")
            return str(chosen)
        found = self._matching_customer(clean)
        if found:
            return found
        number = 1 + (self.db.execute("SELECT MAX(number) FROM customers").fetchone()[0] or 0)
        customer = f"cu-{number}"
        self.customers.insert({"id": customer, "number": number, "created": now})
        return customer

    def _matching_customer(self, clean: JSON) -> str | None:
        """The customer of another identity with the same ID number, else the same email
        (compared case-insensitively); erased identities match nothing."""
        for column, value in (("id_number", clean.get("id_number")), ("email", clean.get("email"))):
            if not value:
                continue
            row = self.db.execute(
                f"SELECT customer FROM identities WHERE lower({column}) = lower(?)"
                " AND customer != '' AND erased IS NULL ORDER BY created LIMIT 1",
                [value],
            ).fetchone()
            if row:
                return str(row[0])
        return None

    def paddles_of(self, customer: str) -> list[tuple[str, str]]:
        """Every (sale, paddle) of a customer, in the order they registered."""
        rows = self.db.execute(
            "SELECT sale, paddle FROM identities WHERE customer = ? ORDER BY created", [customer]
        ).fetchall()
        return [(str(sale), str(paddle)) for sale, paddle in rows]

    def remove(self, sale: str, paddle: str, created: float) -> None:
        """Undo an `add` whose registration the journal then refused: only that very row
        (`created` as `add` returned it), never one written since."""
        with self.db.conn:
            self.db.execute(
                "DELETE FROM identities WHERE sale = ? AND paddle = ? AND created = ?",
                [sale, paddle, created],
            )

    def add_payer(self, sale: str, paddle: str, name: str) -> str:
        """Keep the name of a third party paying for `paddle`; returns its opaque reference
        (what the journal records). IdentityError if the name is not display text."""
        if not isinstance(name, str) or not name.strip():
            raise IdentityError("'payer' needs a name")
        problem = text_problem(name, limit=LIMITS["name"])
        if problem is not None:
            raise IdentityError(f"'payer' {problem}")
        ref = f"py-{secrets.token_hex(8)}"
        with self.db.conn:
            self.payers.insert(
                {
                    "ref": ref,
                    "sale": sale,
                    "paddle": paddle,
                    "name": name.strip(),
                    "created": time.time(),
                    "erased": None,
                }
            )
        return ref

    def remove_payer(self, ref: str) -> None:
        """Undo an `add_payer` whose payment the journal then refused."""
        with self.db.conn:
            self.db.execute("DELETE FROM payers WHERE ref = ?", [ref])

    def payer_name(self, ref: str) -> str | None:
        """The name behind a payer reference; None if unknown or erased."""
        row = self.db.execute("SELECT name FROM payers WHERE ref = ?", [ref]).fetchone()
        return str(row[0]) if row and row[0] else None

    def get(self, sale: str, paddle: str) -> JSON | None:
        try:
            row: JSON = self.table.get((sale, paddle))
        except NotFoundError:
            return None
        return row

    def next_online_paddle(self, sale: str, taken: set[str]) -> str:
        numbers = [int(p) for p in taken if p.isdigit()]
        for row in self.db.query("SELECT paddle FROM identities WHERE sale = ?", [sale]):
            if row["paddle"].isdigit():
                numbers.append(int(row["paddle"]))
        return str(max([ONLINE_PADDLES_FROM - 1, *numbers]) + 1)

    def erase(self, sale: str, paddle: str) -> None:
        """Forget a person (end of retention) but keep the paddle row, so nothing dangles."""
        with self.db.conn:
            self.table.update(
                (sale, paddle),
                # Everything personal goes; the customer id stays (it names no one) so the
                # retention report can still tell which paddles were one person.
                {
                    **{name: "" for name in IDENTITY_FIELDS if name != "customer"},
                    "erased": time.time(),
                },
            )
            # The third parties who paid for this paddle are that person's data too.
            self.db.execute(
                "UPDATE payers SET name = '', erased = ? WHERE sale = ? AND paddle = ?",
                [time.time(), sale, paddle],
            )

    def close(self) -> None:
        self.db.close()
