"""The house's own particulars, as its documents print them: the letterhead, the VAT number and
the bank account buyers pay into.

Kept in `{data_dir}/house.json`, outside every sale's journal: it names no bidder and no figure
depends on it (the letterhead only). Every field is checked on load and on save, because a
wrong IBAN on an invoice sends a buyer's money astray; a data dir without the file gets the
demo house, a clearly fictional one with the standard example IBAN.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from hub.backend.jsonfile import read_json, write_json

JSON = dict[str, Any]
FILE_NAME = "house.json"
_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")  # the form; the app checks the code is a real one
_VAT_ID = re.compile(r"[A-Z]{2}[A-Z0-9+*.]{2,13}")  # EU VAT numbers and their kin (GB, CH, NO)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}")
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,30}")
_LIMITS = {"name": 200, "address": 400, "email": 254, "phone": 30, "invoice_terms": 2000}
ADDRESS_LINES = 6
MAX_BYTES = 64 * 1024  # a letterhead, not a document
# Embeddings, overrides and isolates would let a letterhead reorder the text printed after it.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class HouseError(ValueError):
    """A house profile field is wrong; the message names the field and says what is expected."""


@dataclass(frozen=True, slots=True)
class HouseProfile:
    name: str
    address: str  # lines joined by "\n"; the last one "postcode city" where the country has one
    country: str  # ISO 3166 alpha-2
    vat_id: str = ""
    iban: str = ""  # stored compact ("DE89370400440532013000"); printed in groups of four
    bic: str = ""
    email: str = ""
    phone: str = ""
    invoice_terms: str = ""  # printed under the totals of every invoice
    payment_days: int = 14  # an invoice is due this many days after it is issued
    currency: str = "EUR"  # ISO 4217: the default of a new sale (New sale…, `sale new`)
    # The public pages (issue 15): the room display's languages (one, or two shown at once; none:
    # the browser's), also the languages of the house's canned messages to bidders; how old the
    # currency board's rates may be before it is hidden; whether a passed lot shows its last bid.
    room_languages: tuple[str, ...] = ()
    rates_max_age_days: int = 7
    room_shows_passed_amount: bool = False

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.address.split("\n") if line]

    @property
    def iban_grouped(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    def to_json(self) -> JSON:
        return asdict(self)


DEMO_HOUSE = HouseProfile(
    name="Demo Auction House (fictional)",
    address="1 Example Lane\n10115 Berlin",
    country="DE",
    vat_id="DE123456789",
    iban="DE89370400440532013000",  # the standard example IBAN: no real account
    bic="COBADEFFXXX",
    email="accounts@example.com",
    phone="+49 30 0000000",
    invoice_terms=(
        "Lots are released once paid in full. Please quote the invoice number with your "
        "payment. This is a demonstration house: do not pay."
    ),
    payment_days=14,
)


def _text(raw: JSON, key: str, required: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise HouseError(f"{key} must be text")
    value = value.replace("\r\n", "\n").strip()
    limit = _LIMITS.get(key, 40)
    if len(value) > limit:
        raise HouseError(f"{key} is longer than {limit} characters")
    multiline = key in ("address", "invoice_terms")
    for char in value:
        control = unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS
        if control and not (multiline and char == "\n"):
            raise HouseError(f"{key} holds a control character ({ord(char):#x})")
    if required and not value:
        raise HouseError(f"{key} is required")
    return value


def _iban(value: str) -> str:
    if not value:
        return ""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise HouseError(f"iban is not a valid IBAN: {exc}") from None


def _bic(value: str) -> str:
    if not value:
        return ""
    try:
        return str(BIC(value).compact)
    except SchwiftyException as exc:
        raise HouseError(f"bic is not a valid BIC: {exc}") from None


def check(raw: Any) -> HouseProfile:
    """A house profile from JSON, every field checked; unknown keys are refused (a typo would
    otherwise print the demo's default)."""
    if not isinstance(raw, dict):
        raise HouseError("the house profile must be a JSON object")
    unknown = sorted(set(raw) - {f.name for f in fields(HouseProfile)})
    if unknown:
        raise HouseError(f"unknown house fields: {', '.join(map(str, unknown))}")
    address = _text(raw, "address", required=True)
    lines = [line.strip() for line in address.split("\n") if line.strip()]
    if len(lines) > ADDRESS_LINES:
        raise HouseError(f"address has more than {ADDRESS_LINES} lines")
    country = _text(raw, "country", required=True).upper()
    if not _COUNTRY.fullmatch(country):
        raise HouseError("country must be an ISO 3166 two-letter code, like DE or GB")
    vat_id = _text(raw, "vat_id").replace(" ", "").upper()
    if vat_id and not _VAT_ID.fullmatch(vat_id):
        raise HouseError("vat_id must be a VAT number with its country prefix, like DE123456789")
    email = _text(raw, "email")
    if email and not _EMAIL.fullmatch(email):
        raise HouseError("email is not an e-mail address")
    phone = _text(raw, "phone")
    if phone and not _PHONE.fullmatch(phone):
        raise HouseError("phone may hold digits, spaces, + ( ) . / - only")
    days = raw.get("payment_days", 14)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
        raise HouseError("payment_days must be a whole number of days from 0 to 365")
    currency = raw.get("currency", "EUR")
    if (
        not isinstance(currency, str)
        or not currency.isascii()
        or not _CURRENCY.fullmatch(currency.upper())
    ):
        raise HouseError(f"currency {str(currency)[:20]!r} is not an ISO 4217 code, like EUR")
    iban = _iban(_text(raw, "iban"))
    bic = _bic(_text(raw, "bic"))
    if bic and not iban:
        raise HouseError("bic without an iban")
    return HouseProfile(
        name=_text(raw, "name", required=True),
        address="\n".join(lines),
        country=country,
        vat_id=vat_id,
        iban=iban,
        bic=bic,
        email=email,
        phone=phone,
        invoice_terms=_text(raw, "invoice_terms"),
        payment_days=days,
        currency=currency.upper(),
        **_room(raw),
    )


ROOM_LANGUAGES = ("en", "de", "fr")  # hub.i18n.LANGUAGES (hub.backend may not import it)


def _room(raw: JSON) -> JSON:
    """The public pages' settings, checked (see HouseProfile)."""
    langs = raw.get("room_languages", [])
    if not isinstance(langs, list | tuple) or not all(isinstance(x, str) for x in langs):
        raise HouseError('room_languages must be a list of language codes, like ["de", "en"]')
    if len(langs) > 2 or len(set(langs)) != len(langs):
        raise HouseError("room_languages holds at most two different languages")
    wrong = [x for x in langs if x not in ROOM_LANGUAGES]
    if wrong:
        raise HouseError(
            f"room_languages: {wrong[0][:10]!r} is not one of {', '.join(ROOM_LANGUAGES)}"
        )
    age = raw.get("rates_max_age_days", 7)
    if isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= 366:
        raise HouseError("rates_max_age_days must be a whole number of days from 1 to 366")
    shows = raw.get("room_shows_passed_amount", False)
    if not isinstance(shows, bool):
        raise HouseError("room_shows_passed_amount must be true or false")
    return {
        "room_languages": tuple(langs),
        "rates_max_age_days": age,
        "room_shows_passed_amount": shows,
    }


def path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def load(data_dir: Path) -> HouseProfile:
    """The house profile of `data_dir`: the demo house when there is no file yet. A file that
    cannot be read or fails a check raises HouseError (never a silent fallback to the demo's
    bank account)."""
    raw = read_json(path(data_dir), MAX_BYTES, HouseError)
    return DEMO_HOUSE if raw is None else check(raw)


def save(data_dir: Path, profile: HouseProfile | JSON) -> HouseProfile:
    """Check `profile` and write it whole (a temporary file renamed over the old one, so a
    crash leaves either the old profile or the new one). Returns the checked profile."""
    checked = check(profile.to_json() if isinstance(profile, HouseProfile) else profile)
    write_json(path(data_dir), checked.to_json(), indent=2)
    return checked
