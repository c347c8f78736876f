"""The room display's currency board: exchange rates imported from the European Central Bank's
daily reference rates (the `eurofxref-daily.xml` format, or its 90-day and full histories, of
which the newest day is taken), kept in `{data_dir}/rates.json`.

The rates are indicative only: invoices are always in the sale's currency. The board shows the
rates' date and is hidden when they are older than the house allows (`rates_max_age_days` in
`house.json`), so a room never reads a weeks-old conversion as today's.

XML from outside is parsed with defusedxml (no entities, no DTD, no external references) and
every value is checked; a file that fails any check is refused whole and the old rates stay.

From a shell: `python -m hub.backend.rates eurofxref-daily.xml --data-dir DIR` (the desktop
app's import button calls `import_file` the same way).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from hub.backend import house
from hub.backend.jsonfile import read_json, write_json

FILE_NAME = "rates.json"
MAX_BYTES = 16 * 1024 * 1024  # the ECB's full history since 1999 is about 6 MB
MAX_CURRENCIES = 100
ECB_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
_CODE = re.compile(r"[A-Z]{3}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
JSON = dict[str, Any]


class RatesError(ValueError):
    """A rates file that cannot be used; the message says why (the old rates are kept)."""


@dataclass(frozen=True, slots=True)
class Rates:
    """One day's rates: units of each currency per one unit of `base`."""

    date: dt.date
    base: str = "EUR"
    rates: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> JSON:
        return {"date": self.date.isoformat(), "base": self.base, "rates": dict(self.rates)}

    def age_days(self, today: dt.date) -> int:
        return (today - self.date).days


def _rate(code: str, text: str | None) -> float:
    try:
        value = float(text or "")
    except ValueError:
        raise RatesError(f"the rate of {code} is not a number") from None
    if not math.isfinite(value) or not 0 < value < 1e9:
        raise RatesError(f"the rate of {code} is not a positive number")
    return value


def _day(text: object) -> dt.date:
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        raise RatesError("a day of rates has no date (time='YYYY-MM-DD')")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RatesError(f"{text[:10]} is not a date") from None


def _rates_of(day: Element) -> dict[str, float]:
    out: dict[str, float] = {}
    for cube in day:
        code = cube.get("currency") or ""
        if not _CODE.fullmatch(code):
            raise RatesError(f"{code[:10]!r} is not a currency code")
        if code in out:
            raise RatesError(f"{code} appears twice in one day")
        out[code] = _rate(code, cube.get("rate"))
        if len(out) > MAX_CURRENCIES:
            raise RatesError(f"more than {MAX_CURRENCIES} currencies")
    if not out:
        raise RatesError("the newest day holds no rates")
    return out


def parse_ecb_xml(data: bytes) -> Rates:
    """The newest day of an ECB reference-rates XML document (base EUR)."""
    if len(data) > MAX_BYTES:
        raise RatesError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise RatesError(f"not ECB rates XML: {exc}") from None
    except ValueError as exc:  # e.g. bytes that are not text at all
        raise RatesError(f"not ECB rates XML: {exc}") from None
    days = root.findall(f".//{{{ECB_NS}}}Cube[@time]")
    if not days:
        raise RatesError("not ECB rates XML: no <Cube time='…'> in the ECB's namespace")
    newest = max(days, key=lambda d: _day(d.get("time")))
    return Rates(date=_day(newest.get("time")), base="EUR", rates=_rates_of(newest))


def from_json(raw: Any) -> Rates:
    """Rates from their JSON form ({date, base, rates}), every value checked."""
    if not isinstance(raw, dict) or not isinstance(raw.get("rates"), dict):
        raise RatesError("rates.json must hold {date, base, rates}")
    base = raw.get("base", "EUR")
    if not isinstance(base, str) or not _CODE.fullmatch(base):
        raise RatesError("base must be a currency code")
    rates: dict[str, float] = {}
    for code, value in raw["rates"].items():
        if not _CODE.fullmatch(code) or isinstance(value, bool):
            raise RatesError(f"{str(code)[:10]!r} is not a currency code with a rate")
        rates[code] = _rate(code, str(value))
    if not rates or len(rates) > MAX_CURRENCIES:
        raise RatesError(f"rates.json must hold 1 to {MAX_CURRENCIES} rates")
    return Rates(date=_day(raw.get("date")), base=base, rates=rates)


def path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def save(data_dir: Path, rates: Rates) -> Path:
    """Write the rates whole (a temporary file renamed over the old one)."""
    file = path(data_dir)
    write_json(file, rates.to_json(), indent=2, sort_keys=True)
    return file


def load(data_dir: Path) -> Rates | None:
    """The imported rates of `data_dir`, or None when none were imported."""
    raw = read_json(path(data_dir), MAX_BYTES, RatesError)
    return None if raw is None else from_json(raw)


def import_file(data_dir: Path, source: Path) -> Rates:
    """Import an ECB XML file (the app's "Import rates…" and the CLI call this)."""
    try:
        with Path(source).open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RatesError(f"{source} cannot be read: {exc.strerror or exc}") from None
    rates = parse_ecb_xml(data)
    save(data_dir, rates)
    return rates


def public_view(data_dir: Path, today: dt.date, sample: Rates | None = None) -> JSON:
    """What the public pages may know (`/house.json`): the room's languages, whether a passed
    lot shows its amount, and the currency board's rates with their date — None when there are
    none or they are older than the house allows. `sample`: the shipped rates, used only until
    the house imports its own (the demo's board)."""
    try:
        profile = house.load(data_dir)
    except house.HouseError:
        profile = house.DEMO_HOUSE  # a broken profile is the cashier's alarm, not the room's
    try:
        rates = load(data_dir) or sample
    except RatesError:
        rates = None
    fresh = rates is not None and 0 <= rates.age_days(today) <= profile.rates_max_age_days
    return {
        "room_languages": list(profile.room_languages),
        "room_shows_passed_amount": profile.room_shows_passed_amount,
        "rates_max_age_days": profile.rates_max_age_days,
        "rates": rates.to_json() if rates is not None and fresh else None,
        "rates_date": rates.date.isoformat() if rates is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Import an ECB rates file into a data dir; 0 on success, 2 (with the reason) if refused."""
    parser = argparse.ArgumentParser(
        prog="python -m hub.backend.rates",
        description="Import the ECB's reference rates (eurofxref-daily.xml) for the room's "
        "currency board.",
    )
    parser.add_argument("file", type=Path, help="the ECB XML file (daily, 90-day or full history)")
    parser.add_argument("--data-dir", type=Path, required=True, help="the stage's data dir")
    ns = parser.parse_args(argv)
    try:
        rates = import_file(ns.data_dir, ns.file)
    except RatesError as exc:
        print(f"rates not imported: {exc}", file=sys.stderr)
        return 2
    codes = ", ".join(sorted(rates.rates))
    print(f"imported the rates of {rates.date.isoformat()} ({codes}) into {path(ns.data_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
