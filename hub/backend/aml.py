"""Anti-money-laundering figures the live check needs: the threshold in the sale's currency and
a customer's linked purchases in the house's other sales.

The EU/UK rule is EUR 10,000 in one or several linked transactions. A sale in another
currency converts it at the house's monthly rate: `{data_dir}/aml_rates.json` maps a month to
what one euro buys in each currency, as decimal text (the ECB's reference-rate convention):

    {"2026-12": {"GBP": "0.8612", "USD": "1.0544", "CHF": "0.9321"}}

A month without its own table uses the latest earlier one; a currency with no rate at all is
an error the house must fix (a silent guess would move the threshold).

Linked purchases read the other sales' journals read-only (each sale is one SQLite file under
`{data_dir}/sales/`): the lots knocked down (final, not subject to the vendor's answer) to the
customer's paddles there within the linking window, as hammer or as the buyer's total cost,
converted to this sale's currency. The journal of the running sale is never read here: the
core counts this sale's purchases itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from hub.auction.charges import buyer_cost
from hub.backend.jsonfile import read_json, write_json
from hub.backend.ledger import sold_to
from hub.backend.money import decimals
from hub.backend.sales import sale_path
from hub.journal.db import connect_reader
from hub.journal.replay import load_engine

RATES_FILE = "aml_rates.json"
THRESHOLD_EUR_CENTS = 1_000_000  # EUR 10,000.00
RATES_LIMIT = 1024 * 1024  # bytes: a rate table is a few kB
BASES = ("hammer", "total")
MONTH = "%Y-%m"

Rates = dict[str, dict[str, Decimal]]


class AmlError(ValueError):
    """A rate table or a linking request that cannot be used; the message says why."""


def _month(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime(MONTH)


def parse_rates(raw: object) -> Rates:
    """The rate table from its JSON form, checked: months "YYYY-MM", ISO currency codes,
    positive decimal rates (AmlError naming the bad entry)."""
    if not isinstance(raw, dict):
        raise AmlError("the rate table must map months (YYYY-MM) to {currency: rate}")
    table: Rates = {}
    for month, rates in raw.items():
        try:
            datetime.strptime(str(month), MONTH)
        except ValueError:
            raise AmlError(f"'{str(month)[:20]}' is not a month like 2026-12") from None
        if len(str(month)) != 7 or not isinstance(rates, dict):
            raise AmlError(f"month {month}: rates must be {{currency: rate}}")
        table[str(month)] = {}
        for code, rate in rates.items():
            if not (isinstance(code, str) and len(code) == 3 and code.isascii() and code.isupper()):
                raise AmlError(f"month {month}: '{str(code)[:20]}' is not a currency code")
            table[str(month)][code] = _rate(rate, f"month {month}, {code}")
    return table


def _rate(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AmlError(f'{where}: the rate must be decimal text like "0.8612"')
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise AmlError(f"{where}: '{str(value)[:20]}' is not a number") from None
    if not rate.is_finite() or rate <= 0 or rate > 1_000_000:
        raise AmlError(f"{where}: the rate must be above 0 and at most 1000000")
    return rate


def load_rates(data_dir: Path) -> Rates:
    """`{data_dir}/aml_rates.json`, or an empty table when the house has none."""
    raw = read_json(Path(data_dir) / RATES_FILE, RATES_LIMIT, AmlError)
    return {} if raw is None else parse_rates(raw)


def save_rates(data_dir: Path, raw: object) -> Rates:
    """Check and store a rate table (replacing the old one whole)."""
    table = parse_rates(raw)
    data = {m: {c: str(r) for c, r in rates.items()} for m, rates in table.items()}
    write_json(Path(data_dir) / RATES_FILE, data)
    return table


def eur_rate(rates: Rates, currency: str, at: float) -> Decimal:
    """What one euro buys in `currency` in the month of `at` (the latest table not after it)."""
    if currency == "EUR":
        return Decimal(1)
    month = _month(at)
    for candidate in sorted((m for m in rates if m <= month), reverse=True):
        if currency in rates[candidate]:
            return rates[candidate][currency]
    raise AmlError(
        f"no EUR rate for {currency} in {month} or before: add it to {RATES_FILE} "
        '(what one euro buys, e.g. {"' + month + '": {"' + currency + '": "0.86"}})'
    )


def threshold_in(
    currency: str, rates: Rates, at: float, eur_cents: int = THRESHOLD_EUR_CENTS
) -> int:
    """The threshold in minor units of `currency`, rounded down (the check starts no later)."""
    major = Decimal(eur_cents) / 100 * eur_rate(rates, currency, at)
    minor = major * (10 ** decimals(currency))
    return int(minor.to_integral_value(rounding=ROUND_FLOOR))


def convert(amount: int, source: str, target: str, rates: Rates, at: float) -> int:
    """`amount` minor units of `source` in minor units of `target`, through the euro."""
    if source == target:
        return amount
    major = Decimal(amount) / (10 ** decimals(source))
    eur = major / eur_rate(rates, source, at)
    out = eur * eur_rate(rates, target, at) * (10 ** decimals(target))
    return int(out.to_integral_value(rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Linked:
    """A customer's purchases in other sales: the sum in this sale's currency, and where."""

    amount: int
    sales: tuple[str, ...]
    problems: tuple[str, ...] = ()  # sales that could not be read (named, never skipped quietly)

    def command(self, paddle: str) -> dict[str, object]:
        """The core command that tells the sale (P1's `set_linked_purchases`)."""
        return {
            "op": "set_linked_purchases",
            "paddle": paddle,
            "amount": self.amount,
            "sales": list(self.sales),
        }


def purchases_in(path: Path, paddle: str, basis: str, since: float) -> tuple[int, str]:
    """What `paddle` bought in the sale journal at `path` (read-only) since `since`, on
    `basis`, in that sale's own currency: (amount, currency)."""
    conn = connect_reader(path)
    try:
        engine = load_engine(conn)
    finally:
        conn.close()
    settings = engine.sale.settings
    total = 0
    for lot in engine.lots.values():
        hammer = lot.hammer or {}
        if sold_to(lot) != paddle or float(hammer.get("at") or 0) < since:
            continue
        amount = int(hammer["amount"])
        channel = str(hammer.get("channel") or "floor")
        total += amount if basis == "hammer" else buyer_cost(settings, lot, amount, channel)
    return total, settings.currency


def linked_purchases(
    data_dir: Path,
    paddles: Iterable[tuple[str, str]],
    *,
    this_sale: str,
    currency: str,
    basis: str,
    window_days: int,
    now: float,
    rates: Rates | None = None,
    read: Callable[[Path, str, str, float], tuple[int, str]] = purchases_in,
) -> Linked:
    """The purchases of a customer's `paddles` ((sale, paddle) pairs) in sales other than
    `this_sale`, within `window_days` before `now`, converted to `currency`."""
    if basis not in BASES:
        raise AmlError(f"the AML basis must be one of {', '.join(BASES)}")
    table = load_rates(data_dir) if rates is None else rates
    since = now - window_days * 86_400
    amount = 0
    sales: list[str] = []
    problems: list[str] = []
    for sale, paddle in paddles:
        if sale == this_sale:
            continue
        path = sale_path(Path(data_dir), sale)
        if not path.exists():
            continue  # a sale deleted since: nothing of it to count
        try:
            bought, bought_in = read(path, paddle, basis, since)
        except Exception as exc:  # a damaged journal must be named, not counted as zero
            problems.append(f"sale {sale}: {str(exc)[:200]}")
            continue
        if bought:
            amount += convert(bought, bought_in, currency, table, now)
            if sale not in sales:
                sales.append(sale)
    return Linked(amount, tuple(sales), tuple(problems))


def exposure(linked: int, this_sale: int, bid: int) -> int:
    """The figure the rule compares with the threshold (the core computes the same)."""
    return linked + this_sale + bid


def rates_json(rates: Mapping[str, Mapping[str, Decimal]]) -> dict[str, dict[str, str]]:
    return {m: {c: str(r) for c, r in sorted(v.items())} for m, v in sorted(rates.items())}
