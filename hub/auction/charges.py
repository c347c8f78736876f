"""What a buyer pays for a lot, and what a consignor's commission is: pure integer arithmetic.

Every amount is an int of the sale currency's minor unit and every rate an int of basis
points (2000 = 20 %). The rounding rule: each percentage amount is computed exactly on
integers and rounded once, half up (away from zero), to the minor unit, per lot and per kind
of charge; document totals are sums of the rounded lines, never rounded again.
`round_half_up` is the only rounding function on this path. No float anywhere.

VAT schemes (the lot's `vat`), with r the standard rate:
- margin: premium and surcharge are VAT-inclusive at r; no VAT line; the VAT inside,
  round_half_up(p * r, 10000 + r), is reported as `margin_vat`;
- standard: VAT at r on the hammer and on premium + surcharge, two lines;
- reduced: the same at the reduced rate;
- zero: no VAT (export, zero-rated);
- import: import VAT on the hammer (its own line); premium + surcharge under the margin scheme.
A sale's `sales_tax_bp` adds a flat sales tax on hammer + premium + surcharge of every lot.
Artist's resale right (EU 2001/84) on flagged lots from the sale's threshold: `arr_royalty`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.auction.state import Lot, Settings

JSON = dict[str, Any]
BP = 10_000  # basis points in a whole

# The EU resale-right scale (Directive 2001/84/EC, Art. 4): [from EUR cents, basis points],
# applied marginally on the hammer; the royalty is capped at EUR 12,500.
ARR_BANDS: tuple[tuple[int, int], ...] = (
    (0, 400),
    (5_000_000, 300),
    (20_000_000, 100),
    (35_000_000, 50),
    (50_000_000, 25),
)
ARR_CAP = 1_250_000  # EUR 12,500.00 in cents
PPM = 1_000_000


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero."""
    if isinstance(numerator, bool) or isinstance(denominator, bool):
        raise TypeError("amounts are ints, not bools")
    if not isinstance(numerator, int) or not isinstance(denominator, int):
        raise TypeError("round_half_up takes ints only")
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    quotient, rest = divmod(abs(numerator), denominator)
    if 2 * rest >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def _banded_exact(amount: int, bands: Sequence[Sequence[int]]) -> int:
    """The marginal sum over bands of (part of amount in the band) * rate, not yet divided."""
    total = 0
    for i, (start, rate) in enumerate(bands):
        if amount <= start:
            break
        end = bands[i + 1][0] if i + 1 < len(bands) else amount
        total += (min(amount, end) - start) * rate
    return total


def banded(amount: int, bands: Sequence[Sequence[int]]) -> int:
    """A tiered marginal charge: each band's rate on the part of `amount` in that band.

    `bands` are [[from_minor, basis_points], ...] from 0, ascending; [] charges nothing.
    Summed exactly, then rounded once.
    """
    return round_half_up(_banded_exact(amount, bands), BP)


def arr_royalty(hammer: int, eur_ppm: int = PPM) -> int:
    """The resale royalty on `hammer` (sale minor units) on the EU scale, capped at EUR 12,500.

    `eur_ppm` is how many sale-currency minor units make one euro cent, in parts per million
    (1_000_000 for EUR; for any two-decimal currency, its units per euro × 10^6, e.g. 850_000
    when 1 EUR = 0.85 GBP). The bands and the cap are converted exactly: everything is scaled
    by eur_ppm, summed, capped, and rounded once.
    """
    if eur_ppm <= 0:
        raise ValueError("eur_ppm must be positive")
    scaled_hammer = hammer * PPM  # in sale minor units × 10^6
    bands = [(start * eur_ppm, rate) for start, rate in ARR_BANDS]
    exact = _banded_exact(scaled_hammer, bands)  # royalty × 10^6 × 10^4
    cap = ARR_CAP * eur_ppm * BP
    return round_half_up(min(exact, cap), PPM * BP)


@dataclass(frozen=True, slots=True)
class Charge:
    """One line a buyer pays for a lot."""

    kind: str  # hammer | premium | surcharge | vat | import_vat | sales_tax | arr
    label: str
    amount: int
    rate_bp: int | None = None

    def to_json(self) -> JSON:
        return {
            "kind": self.kind,
            "label": self.label,
            "amount": self.amount,
            "rate_bp": self.rate_bp,
        }


@dataclass(frozen=True, slots=True)
class LotCharges:
    """Everything a buyer pays for one lot, line by line, with the sums by kind."""

    lot: str
    hammer: int
    channel: str
    scheme: str
    hammer_seq: int
    lines: tuple[Charge, ...]  # hammer first, then premium, surcharge, vat..., arr (no 0 lines)
    premium: int
    surcharge: int
    vat: int  # itemised VAT and import VAT
    margin_vat: int  # VAT inside the premium and surcharge (margin and import schemes)
    sales_tax: int
    arr: int
    total: int  # the sum of the lines


def premium_bands(settings: Settings, lot: Lot) -> list[list[int]]:
    """The lot's own premium schedule if it has one, else the sale's."""
    return lot.premium if lot.premium is not None else settings.buyer_premium


def _pct(amount: int, rate_bp: int) -> int:
    return round_half_up(amount * rate_bp, BP)


def _rate_text(rate_bp: int) -> str:
    whole, rest = divmod(rate_bp, 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


def lot_charges(
    settings: Settings, lot: Lot, hammer: int, channel: str, hammer_seq: int = 0
) -> LotCharges:
    """What the buyer of `lot` at `hammer` through `channel` pays, under the sale's rules."""
    scheme = lot.vat
    bands = premium_bands(settings, lot)
    premium = banded(hammer, bands)
    surcharge_bp = settings.premium_surcharge_bp.get(channel, 0)
    surcharge = _pct(hammer, surcharge_bp)
    on_premium = premium + surcharge
    standard = settings.vat_rate_bp
    single = bands[0][1] if len(bands) == 1 else None
    inside = scheme in ("margin", "import")
    lines = [Charge("hammer", "Hammer", hammer)]
    label = "Buyer's premium" + (" (VAT inclusive)" if inside and standard else "")
    lines.append(Charge("premium", label, premium, single))
    lines.append(Charge("surcharge", f"Premium surcharge ({channel})", surcharge, surcharge_bp))
    margin_vat = round_half_up(on_premium * standard, BP + standard) if inside else 0
    if scheme in ("standard", "reduced"):
        rate = standard if scheme == "standard" else settings.vat_reduced_bp
        lines.append(Charge("vat", f"VAT {_rate_text(rate)} on hammer", _pct(hammer, rate), rate))
        lines.append(
            Charge("vat", f"VAT {_rate_text(rate)} on premium", _pct(on_premium, rate), rate)
        )
    elif scheme == "import":
        rate = settings.vat_import_bp
        lines.append(
            Charge("import_vat", f"Import VAT {_rate_text(rate)}", _pct(hammer, rate), rate)
        )
    tax_bp = settings.sales_tax_bp
    lines.append(
        Charge(
            "sales_tax",
            f"Sales tax {_rate_text(tax_bp)}",
            _pct(hammer + on_premium, tax_bp),
            tax_bp,
        )
    )
    threshold = settings.arr_threshold
    arr = 0
    if lot.arr and threshold is not None and hammer >= threshold:
        arr = arr_royalty(hammer, settings.arr_eur_ppm)
    lines.append(Charge("arr", "Artist's resale right", arr))
    kept = tuple(c for c in lines if c.kind == "hammer" or c.amount != 0)
    return LotCharges(
        lot=lot.id,
        hammer=hammer,
        channel=channel,
        scheme=scheme,
        hammer_seq=hammer_seq,
        lines=kept,
        premium=premium,
        surcharge=surcharge,
        vat=sum(c.amount for c in kept if c.kind in ("vat", "import_vat")),
        margin_vat=margin_vat,
        sales_tax=sum(c.amount for c in kept if c.kind == "sales_tax"),
        arr=arr,
        total=sum(c.amount for c in kept),
    )


def buyer_cost(settings: Settings, lot: Lot, amount: int, channel: str) -> int:
    """All a buyer would pay for `lot` knocked down at `amount` (the credit check's figure)."""
    return lot_charges(settings, lot, amount, channel).total


# -- consignors


@dataclass(frozen=True, slots=True)
class Terms:
    """A consignor's contract, as journaled (`consignor_terms_set`)."""

    commission: tuple[tuple[int, int], ...] = ()  # bands like the premium ((0, 1500) = 15 %)
    vat_on_commission: bool = False
    charges: tuple[tuple[str, int], ...] = ()  # (label, amount) once per consignment
    lot_fee: int = 0  # per lot entered
    unsold_fee: int = 0  # per lot not sold
    payout_days: int = 0  # days after the sale
    absolute: bool = False  # sold without reserve

    def to_json(self) -> JSON:
        return {
            "commission": [list(b) for b in self.commission],
            "vat_on_commission": self.vat_on_commission,
            "charges": [list(c) for c in self.charges],
            "lot_fee": self.lot_fee,
            "unsold_fee": self.unsold_fee,
            "payout_days": self.payout_days,
            "absolute": self.absolute,
        }

    @classmethod
    def from_json(cls, data: JSON) -> Terms:
        return cls(
            commission=tuple((int(a), int(b)) for a, b in data.get("commission", [])),
            vat_on_commission=bool(data.get("vat_on_commission", False)),
            charges=tuple((str(a), int(b)) for a, b in data.get("charges", [])),
            lot_fee=int(data.get("lot_fee", 0)),
            unsold_fee=int(data.get("unsold_fee", 0)),
            payout_days=int(data.get("payout_days", 0)),
            absolute=bool(data.get("absolute", False)),
        )


def commission(hammer: int, terms: Terms) -> int:
    """The seller's commission on a hammer price, on the contract's bands, rounded once."""
    return banded(hammer, terms.commission)
