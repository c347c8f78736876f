"""What a buyer pays, to the cent: worked examples from published conditions of sale.

Every figure below is computed by hand from the schedule quoted in the test's docstring and
is an exact minor-unit integer; the code must agree to the cent. Sources are the houses' own
published buyer's-premium tables (or the trade press quoting them) as of the date given.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.auction.charges import (
    ARR_CAP,
    Charge,
    LotCharges,
    Terms,
    arr_royalty,
    banded,
    buyer_cost,
    commission,
    lot_charges,
    round_half_up,
)
from hub.auction.state import VAT_SCHEMES, Lot, Settings

# Amounts in minor units: £1.00 = 100.
CHRISTIES_LONDON_2023 = [[0, 2600], [80_000_000, 2100], [450_000_000, 1500]]
SOTHEBYS_2024 = [[0, 2000], [600_000_000, 1000]]
SOTHEBYS_NY_2008 = [[0, 2000], [50_000_000, 1200]]
SOTHEBYS_NY_2016 = [[0, 2500], [25_000_000, 2000]]
SOTHEBYS_NY_2017 = [[0, 2500], [30_000_000, 2000]]
BONHAMS_LONDON_2020 = [[0, 2750], [250_000, 2500], [30_000_000, 2000], [300_000_000, 1390]]
ISSUE_SCHEDULE = [[0, 2500], [50_000_000, 2000], [300_000_000, 1450]]


def lot(vat: str = "margin", arr: bool = False, premium: list[list[int]] | None = None) -> Lot:
    return Lot("7", 1, vat=vat, arr=arr, premium=premium)


def kinds(charges: LotCharges) -> list[tuple[str, int]]:
    return [(c.kind, c.amount) for c in charges.lines]


# -- rounding


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (5, 10, 1),  # 0.5 → 1 (half up, not to even)
        (15, 10, 2),
        (25, 10, 3),  # banker's rounding would give 2
        (24, 10, 2),
        (26, 10, 3),
        (4, 10, 0),
        (0, 10, 0),
        (-5, 10, -1),  # half away from zero for credits
        (-25, 10, -3),
        (-24, 10, -2),
        (14_999, 10_000, 1),
        (15_000, 10_000, 2),
        (10**30 + 5, 10, 10**29 + 1),  # no float: exact far past 2**53
    ],
)
def test_round_half_up(num: int, den: int, expected: int) -> None:
    assert round_half_up(num, den) == expected


@pytest.mark.parametrize("bad", [(1.5, 10), (1, 2.0), (True, 10), (1, True)])
def test_round_half_up_takes_ints_only(bad: tuple[Any, Any]) -> None:
    with pytest.raises(TypeError):
        round_half_up(*bad)


def test_round_half_up_needs_a_positive_denominator() -> None:
    with pytest.raises(ValueError):
        round_half_up(1, 0)
    with pytest.raises(ValueError):
        round_half_up(1, -10)


def test_half_a_cent_of_premium_rounds_up() -> None:
    """25 % of 2 pence is half a penny: 1 penny. 25 % of 10 pence is 2.5: 3 pence."""
    assert banded(2, [[0, 2500]]) == 1
    assert banded(10, [[0, 2500]]) == 3
    assert banded(1, [[0, 2500]]) == 0  # 0.25 of a penny


# -- premium schedules (marginal bands)


def test_christies_london_2023() -> None:
    """Christie's, buyer's premium effective 17 April 2023 (christies.com, Buying guide,
    Financial information), London: 26 % of the hammer up to and including £800,000; 21 %
    from £800,001 to £4,500,000; 15 % above £4,500,000.

    £1,000,000: 26 % × 800,000 = 208,000 + 21 % × 200,000 = 42,000 → £250,000.00.
    £5,000,000: 208,000 + 21 % × 3,700,000 = 777,000 + 15 % × 500,000 = 75,000 → £1,060,000.
    £1,234.57: 26 % = 320.9882 → £320.99.
    """
    assert banded(100_000_000, CHRISTIES_LONDON_2023) == 25_000_000
    assert banded(500_000_000, CHRISTIES_LONDON_2023) == 106_000_000
    assert banded(123_457, CHRISTIES_LONDON_2023) == 32_099
    assert banded(80_000_000, CHRISTIES_LONDON_2023) == 20_800_000  # "up to and including"


def test_sothebys_new_york_worked_example_2008() -> None:
    """Sotheby's own worked example (Antiques and the Arts Weekly, "Sotheby's raises buyer's
    premium", quoting sothebys.com, 2008): 20 % of the first $500,000 and 12 % of the rest;
    "a hammer of 750,000 USD ... a total buyer's premium of 130,000 USD. The purchaser would
    then pay Sotheby's 880,000 USD"."""
    settings = Settings(buyer_premium=SOTHEBYS_NY_2008)
    charges = lot_charges(settings, lot("zero"), 75_000_000, "floor")
    assert charges.premium == 13_000_000
    assert charges.total == 88_000_000


def test_sothebys_new_york_2017() -> None:
    """The Value ("Sotheby's buyer's premium 2017"): from 1 November 2017 Sotheby's New York
    charged 25 % up to $300,000 and 20 % above it (before: 25 % up to $250,000). A vase
    hammered at US$920,000 paid US$196,500 under the old schedule (62,500 + 20 % × 670,000)
    and would pay US$199,000 under the new (75,000 + 20 % × 620,000). Only the first two
    bands reach $920,000, so only they are written here."""
    assert banded(92_000_000, SOTHEBYS_NY_2017) == 19_900_000
    assert banded(92_000_000, SOTHEBYS_NY_2016) == 19_650_000


def test_sothebys_2024() -> None:
    """Sotheby's from 20 May 2024 (sothebys.com fee structure, reported by Savvy Collector
    and others): 20 % of the hammer up to and including $6,000,000, 10 % above.
    $7,000,000: 20 % × 6,000,000 = 1,200,000 + 10 % × 1,000,000 = 100,000 → $1,300,000."""
    assert banded(700_000_000, SOTHEBYS_2024) == 130_000_000
    assert banded(500_000_000, SOTHEBYS_2024) == 100_000_000


def test_bonhams_london_2020() -> None:
    """Bonhams London as the Antiques Trade Gazette listed it (October 2020): 27.5 % up to
    £2,500; 25 % £2,500 to £300,000; 20 % £300,000 to £3m; 13.9 % above £3m.

    £10,000: 27.5 % × 2,500 = 687.50 + 25 % × 7,500 = 1,875 → £2,562.50.
    £3,500,000: 687.50 + 74,375 + 540,000 + 13.9 % × 500,000 = 69,500 → £684,562.50.
    """
    assert banded(1_000_000, BONHAMS_LONDON_2020) == 256_250
    assert banded(350_000_000, BONHAMS_LONDON_2020) == 68_456_250


def test_the_issue_schedule() -> None:
    """Issue 12: 25 % up to 500,000.00, 20 % to 3,000,000.00, 14.5 % above.
    4,000,000.00: 125,000 + 500,000 + 145,000 = 770,000.00."""
    assert banded(400_000_000, ISSUE_SCHEDULE) == 77_000_000
    assert banded(50_000_000, ISSUE_SCHEDULE) == 12_500_000
    assert banded(50_000_001, ISSUE_SCHEDULE) == 12_500_000  # 0.2 of a cent more: rounds off
    assert banded(0, ISSUE_SCHEDULE) == 0
    assert banded(10_000, []) == 0


def test_a_lot_override_replaces_the_sale_schedule() -> None:
    settings = Settings(buyer_premium=ISSUE_SCHEDULE)
    assert lot_charges(settings, lot("zero", premium=[[0, 1000]]), 10_000, "floor").premium == 1000
    assert lot_charges(settings, lot("zero", premium=[]), 10_000, "floor").premium == 0
    assert lot_charges(settings, lot("zero"), 10_000, "floor").premium == 2500


# -- VAT schemes


def test_uk_margin_scheme_vat_is_inside_the_premium() -> None:
    """Margin scheme: no VAT on the hammer, the premium is VAT-inclusive and the VAT in it
    is not itemised. A premium of £1,200.00 at 20 % holds 1,200 × 20/120 = £200.00 of VAT.
    Hammer £4,000 at 30 % inclusive (25 % + VAT, as UK houses quote it): premium £1,200."""
    settings = Settings(buyer_premium=[[0, 3000]], vat_rate_bp=2000)
    charges = lot_charges(settings, lot("margin"), 400_000, "floor")
    assert kinds(charges) == [("hammer", 400_000), ("premium", 120_000)]
    assert charges.margin_vat == 20_000
    assert charges.vat == 0
    assert charges.total == 520_000


def test_christies_amsterdam_all_inclusive_rates() -> None:
    """Christie's Amsterdam publishes VAT-inclusive rates (effective 17 April 2023): 31.46 %
    up to €800,000 = 26 % × 1.21. Hammer €100,000: premium €31,460.00, of which VAT at 21 %
    is 31,460 × 21/121 = €5,460.00 (= 21 % of the €26,000 net premium)."""
    settings = Settings(buyer_premium=[[0, 3146]], vat_rate_bp=2100)
    charges = lot_charges(settings, lot("margin"), 10_000_000, "floor")
    assert charges.premium == 3_146_000
    assert charges.margin_vat == 546_000


def test_north_coast_phone_surcharge_under_the_margin_scheme() -> None:
    """North Coast Auction Rooms' published fees: room and online 18 % inc VAT, telephone
    21.6 % inc VAT (a 3.6 % surcharge). Hammer £500 by phone: premium £90.00, surcharge
    £18.00; VAT inside 108 × 20/120 = £18.00; the buyer pays £608.00."""
    settings = Settings(
        buyer_premium=[[0, 1800]], premium_surcharge_bp={"phone": 360}, vat_rate_bp=2000
    )
    charges = lot_charges(settings, lot("margin"), 50_000, "phone")
    assert kinds(charges) == [("hammer", 50_000), ("premium", 9_000), ("surcharge", 1_800)]
    assert charges.margin_vat == 1_800
    assert charges.total == 60_800
    room = lot_charges(settings, lot("margin"), 50_000, "floor")
    assert room.surcharge == 0
    assert room.total == 59_000


def test_standard_scheme_vat_on_hammer_and_premium() -> None:
    """Standard: hammer £1,000 + 25 % premium £250; VAT 20 % on each: £200 and £50 → £1,500."""
    settings = Settings(buyer_premium=[[0, 2500]], vat_rate_bp=2000)
    charges = lot_charges(settings, lot("standard"), 100_000, "floor", hammer_seq=42)
    assert kinds(charges) == [
        ("hammer", 100_000),
        ("premium", 25_000),
        ("vat", 20_000),
        ("vat", 5_000),
    ]
    assert charges.vat == 25_000
    assert charges.margin_vat == 0
    assert charges.total == 150_000
    assert charges.hammer_seq == 42
    assert charges.lines[2] == Charge("vat", "VAT 20 % on hammer", 20_000, 2000)


def test_standard_vat_is_rounded_per_kind() -> None:
    """Hammer £10.03 at 25 %: premium 2.5075 → £2.51; VAT 20 % on hammer 2.006 → £2.01,
    on premium 0.502 → £0.50. Each line rounded once; the total is their sum, £15.05."""
    settings = Settings(buyer_premium=[[0, 2500]], vat_rate_bp=2000)
    charges = lot_charges(settings, lot("standard"), 1003, "floor")
    assert kinds(charges) == [("hammer", 1003), ("premium", 251), ("vat", 201), ("vat", 50)]
    assert charges.total == 1505


def test_reduced_scheme() -> None:
    """Reduced rate 5 %: hammer £1,000, premium £250; VAT £50.00 and £12.50 → £1,312.50."""
    settings = Settings(buyer_premium=[[0, 2500]], vat_rate_bp=2000, vat_reduced_bp=500)
    charges = lot_charges(settings, lot("reduced"), 100_000, "floor")
    assert kinds(charges) == [
        ("hammer", 100_000),
        ("premium", 25_000),
        ("vat", 5000),
        ("vat", 1250),
    ]
    assert charges.total == 131_250


def test_zero_rated_export() -> None:
    settings = Settings(buyer_premium=[[0, 2500]], vat_rate_bp=2000)
    charges = lot_charges(settings, lot("zero"), 100_000, "floor")
    assert kinds(charges) == [("hammer", 100_000), ("premium", 25_000)]
    assert (charges.vat, charges.margin_vat, charges.total) == (0, 0, 125_000)


def test_temporary_import() -> None:
    """Import VAT at 5 % (the UK rate on imported works of art) on a £10,000 hammer: £500.00,
    its own line; the 25 % premium £2,500 is under the margin scheme: 2,500 × 20/120 =
    416.666… → £416.67 inside it, not itemised. The buyer pays £13,000.00."""
    settings = Settings(buyer_premium=[[0, 2500]], vat_rate_bp=2000, vat_import_bp=500)
    charges = lot_charges(settings, lot("import"), 1_000_000, "floor")
    assert kinds(charges) == [("hammer", 1_000_000), ("premium", 250_000), ("import_vat", 50_000)]
    assert charges.vat == 50_000
    assert charges.margin_vat == 41_667
    assert charges.total == 1_300_000


def test_us_sales_tax_on_hammer_and_premium() -> None:
    """California's base sales tax 7.25 % on hammer + premium. Hammer $1,001.59 at 26 %:
    premium 260.4134 → $260.41; taxed base $1,262.00 × 7.25 % = 91.495 → $91.50 (a half
    cent rounds up). Sales tax comes on top of any VAT scheme; here the lot is zero-rated."""
    settings = Settings(buyer_premium=[[0, 2600]], sales_tax_bp=725)
    charges = lot_charges(settings, lot("zero"), 100_159, "online")
    assert kinds(charges) == [("hammer", 100_159), ("premium", 26_041), ("sales_tax", 9_150)]
    assert charges.total == 135_350
    assert charges.lines[-1].rate_bp == 725


# -- artist's resale right


def test_arr_eu_scale_example() -> None:
    """Directive 2001/84/EC, Art. 4: 4 % of the first €50,000, 3 % from €50,000.01 to
    €200,000. A €100,000 hammer: 2,000 + 1,500 = €3,500.00."""
    assert arr_royalty(10_000_000) == 350_000


def test_arr_cap_is_reached_at_two_million_euros() -> None:
    """4 % × 50,000 + 3 % × 150,000 + 1 % × 150,000 + 0.5 % × 150,000 = 8,750 at €500,000;
    the remaining 3,750 at 0.25 % needs €1,500,000 more: the €12,500 cap is reached at
    exactly €2,000,000. Above it the royalty stays €12,500."""
    assert arr_royalty(50_000_000) == 875_000
    assert arr_royalty(199_900_000) == 1_249_750  # €1,999,000: 8,750 + 3,747.50
    assert arr_royalty(199_999_900) == ARR_CAP  # €1,999,999: 12,499.9975 rounds to the cap
    assert arr_royalty(200_000_000) == ARR_CAP
    assert arr_royalty(1_000_000_000) == ARR_CAP


def test_arr_rounding_and_conversion() -> None:
    """€1,234.56 × 4 % = 49.3824 → €49.38. In pounds at £0.85 per euro (850,000 ppm) the
    bands scale: £85,000 is €100,000, so the royalty is £2,975.00 (= 3,500 × 0.85); the cap
    is £10,625.00."""
    assert arr_royalty(123_456) == 4_938
    assert arr_royalty(8_500_000, 850_000) == 297_500
    assert arr_royalty(10**12, 850_000) == 1_062_500


def test_arr_applies_from_the_threshold_on_flagged_lots_only() -> None:
    settings = Settings(arr_threshold=100_000)  # €1,000
    assert lot_charges(settings, lot("zero", arr=True), 100_000, "floor").arr == 4_000
    assert lot_charges(settings, lot("zero", arr=True), 99_999, "floor").arr == 0
    assert lot_charges(settings, lot("zero", arr=False), 100_000, "floor").arr == 0
    assert lot_charges(Settings(), lot("zero", arr=True), 100_000, "floor").arr == 0
    line = lot_charges(settings, lot("standard", arr=True), 100_000, "floor").lines[-1]
    assert (line.kind, line.amount) == ("arr", 4_000)


# -- consignors


def test_commission_bands() -> None:
    """Sotheby's seller's commission from 2024: 10 % on the first $500,000 of the hammer and
    nothing above (savvycollector.com). $600,000: $50,000."""
    terms = Terms(commission=((0, 1000), (50_000_000, 0)))
    assert commission(60_000_000, terms) == 5_000_000
    assert commission(123_45, Terms(commission=((0, 1500),))) == 1_852  # 18.5175 → 18.52
    assert Terms.from_json(terms.to_json()) == terms


def test_buyer_cost_is_the_lot_total() -> None:
    settings = Settings(buyer_premium=[[0, 2500]], vat_rate_bp=2000)
    assert buyer_cost(settings, lot("standard"), 100_000, "floor") == 150_000


# -- properties

bands_strategy = st.lists(
    st.tuples(st.integers(1, 10**12), st.integers(0, 10_000)), max_size=6
).map(lambda rows: [[0, 2500]] + [[s, r] for s, r in sorted(dict(rows).items())])
settings_strategy = st.builds(
    Settings,
    buyer_premium=bands_strategy,
    premium_surcharge_bp=st.dictionaries(
        st.sampled_from(["online", "phone", "floor"]), st.integers(0, 1000), max_size=3
    ),
    vat_rate_bp=st.integers(0, 10_000),
    vat_reduced_bp=st.integers(0, 10_000),
    vat_import_bp=st.integers(0, 10_000),
    sales_tax_bp=st.integers(0, 2_000),
    arr_threshold=st.none() | st.integers(0, 10**8),
    arr_eur_ppm=st.integers(1, 10**9),
)
lot_strategy = st.builds(
    Lot,
    id=st.just("1"),
    order=st.just(1),
    vat=st.sampled_from(VAT_SCHEMES),
    arr=st.booleans(),
    premium=st.none() | bands_strategy,
)
amount = st.integers(0, 10**13)
channel = st.sampled_from(["online", "phone", "floor", "absentee"])


def _walk_ints(value: Any) -> None:
    """No float (and no bool posing as an int) anywhere in the charges."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _walk_ints(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            _walk_ints(item)
    else:
        assert not isinstance(value, float), value


@given(settings_strategy, lot_strategy, amount, channel)
def test_total_is_the_sum_of_the_lines_and_nothing_is_a_float(
    settings: Settings, item: Lot, hammer: int, via: str
) -> None:
    charges = lot_charges(settings, item, hammer, via)
    assert charges.total == sum(c.amount for c in charges.lines)
    assert charges.lines[0] == Charge("hammer", "Hammer", hammer)
    assert all(c.amount != 0 for c in charges.lines[1:])
    by_kind = {k: sum(c.amount for c in charges.lines if c.kind == k) for k in ("premium", "arr")}
    assert by_kind == {"premium": charges.premium, "arr": charges.arr}
    assert charges.total == (
        hammer + charges.premium + charges.surcharge + charges.vat + charges.sales_tax + charges.arr
    )
    for field in ("premium", "surcharge", "vat", "margin_vat", "sales_tax", "arr", "total"):
        value = getattr(charges, field)
        assert type(value) is int, field
        assert value >= 0, field
    _walk_ints(charges)
    assert 0 <= charges.arr <= round_half_up(ARR_CAP * settings.arr_eur_ppm, 1_000_000)


@given(bands_strategy, amount, amount)
def test_banded_is_monotone(bands: list[list[int]], a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert banded(low, bands) <= banded(high, bands)
    assert type(banded(low, bands)) is int


@given(st.integers(0, 10**13), st.integers(0, 10**13), st.integers(1, 10**9))
def test_arr_is_monotone_and_capped(a: int, b: int, ppm: int) -> None:
    low, high = sorted((a, b))
    assert arr_royalty(low, ppm) <= arr_royalty(high, ppm)


@given(settings_strategy, lot_strategy, amount, amount, channel)
def test_buyer_cost_is_monotone(settings: Settings, item: Lot, a: int, b: int, via: str) -> None:
    """The credit check searches on it: more hammer never costs the buyer less."""
    low, high = sorted((a, b))
    assert buyer_cost(settings, item, low, via) <= buyer_cost(settings, item, high, via)


@given(st.integers(-(10**20), 10**20), st.integers(1, 10**9))
def test_round_half_up_is_within_half(num: int, den: int) -> None:
    rounded = round_half_up(num, den)
    assert abs(2 * (num - rounded * den)) <= den
    assert round_half_up(-num, den) == -rounded
