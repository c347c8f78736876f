"""AML figures: the EUR 10,000 threshold in the sale's currency at the monthly rate, and a
customer's linked purchases read from the house's other sale journals."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from hub.auction.events import SYSTEM
from hub.backend import aml
from hub.backend.identities import IdentityStore
from hub.backend.sales import sale_path
from hub.journal.sequencer import Sequencer
from tests.backend.moneykit import T0, Clock, sale_commands, sell_commands, worked_sale_commands


async def sale_on_disk(path: Path, commands: list[dict], clock: Clock) -> Sequencer:
    """A started sequencer on a new journal with `commands` journaled (as the system: the
    setup is not what these tests are about)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sequencer = Sequencer(path, clock=clock)
    await sequencer.start()
    for command in commands:
        answer = await sequencer.submit(command, SYSTEM)
        assert answer.ok, (command, answer.reason, answer.message)
    return sequencer


DEC_2026 = 1_796_083_200.0  # 2026-12-01T00:00Z
RATES = {"2026-11": {"GBP": "0.8500"}, "2026-12": {"GBP": "0.8612", "JPY": "161.25"}}


def test_the_threshold_is_ten_thousand_euros_at_the_month_s_rate():
    rates = aml.parse_rates(RATES)
    assert aml.threshold_in("EUR", rates, DEC_2026) == 1_000_000
    assert aml.threshold_in("GBP", rates, DEC_2026) == 861_200  # £8,612.00
    assert aml.threshold_in("GBP", rates, DEC_2026 - 86_400) == 850_000  # November's
    assert aml.threshold_in("JPY", rates, DEC_2026) == 1_612_500  # no minor unit
    # January has no table of its own: December's applies.
    assert aml.threshold_in("GBP", rates, DEC_2026 + 40 * 86_400) == 861_200


def test_a_currency_without_a_rate_is_an_error_not_a_guess():
    rates = aml.parse_rates(RATES)
    with pytest.raises(aml.AmlError, match="no EUR rate for USD in 2026-12"):
        aml.threshold_in("USD", rates, DEC_2026)
    with pytest.raises(aml.AmlError, match="no EUR rate for GBP in 2026-10"):
        aml.threshold_in("GBP", rates, DEC_2026 - 40 * 86_400)


def test_conversion_goes_through_the_euro():
    rates = aml.parse_rates(RATES)
    assert aml.convert(861_200, "GBP", "EUR", rates, DEC_2026) == 1_000_000
    assert aml.convert(1_000_000, "EUR", "JPY", rates, DEC_2026) == 1_612_500
    assert aml.convert(123, "EUR", "EUR", {}, DEC_2026) == 123


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "must map months"),
        ({"Dec 2026": {}}, "not a month"),
        ({"2026-13": {}}, "not a month"),
        ({"2026-12": ["GBP"]}, "rates must be"),
        ({"2026-12": {"gbp": "1"}}, "not a currency code"),
        ({"2026-12": {"GB\u202e": "1"}}, "not a currency code"),
        ({"2026-12": {"GBP": 0.86}}, "decimal text"),
        ({"2026-12": {"GBP": True}}, "decimal text"),
        ({"2026-12": {"GBP": "zero"}}, "not a number"),
        ({"2026-12": {"GBP": "NaN"}}, "above 0"),
        ({"2026-12": {"GBP": "-1"}}, "above 0"),
        ({"2026-12": {"GBP": "1e9"}}, "at most"),
    ],
)
def test_a_bad_rate_table_is_refused_whole(tmp_path, raw, message):
    aml.save_rates(tmp_path, RATES)
    with pytest.raises(aml.AmlError, match=message):
        aml.save_rates(tmp_path, raw)
    assert aml.load_rates(tmp_path)["2026-12"]["GBP"] == Decimal("0.8612")  # old table kept


def test_a_rate_file_that_is_not_json_or_too_big_is_named(tmp_path):
    assert aml.load_rates(tmp_path) == {}
    (tmp_path / aml.RATES_FILE).write_text("{not json")
    with pytest.raises(aml.AmlError, match=r"aml_rates\.json is not JSON"):
        aml.load_rates(tmp_path)
    (tmp_path / aml.RATES_FILE).write_bytes(b" " * (aml.RATES_LIMIT + 1))
    with pytest.raises(aml.AmlError, match="larger than"):
        aml.load_rates(tmp_path)


@pytest.fixture
async def autumn(tmp_path: Path):
    """A finished sale in the data dir: paddle 101 bought lot 1 (1,000.00) and lot 3
    (10,000.00), paddle 102 lot 2 on the phone (60,000.00)."""
    sequencer = await sale_on_disk(sale_path(tmp_path, "autumn"), worked_sale_commands(), Clock(T0))
    await sequencer.stop()
    return tmp_path


async def test_linked_purchases_add_up_the_customer_s_other_sales(autumn):
    identities = IdentityStore(autumn / "identities.db")
    try:
        identities.add("autumn", "101", {"name": "Ada", "id_number": "P1"})
        identities.add("spring", "7", {"name": "Ada", "id_number": "P1"})
        paddles = identities.paddles_of("cu-1")
    finally:
        identities.close()
    linked = aml.linked_purchases(
        autumn,
        paddles,
        this_sale="spring",
        currency="EUR",
        basis="hammer",
        window_days=365,
        now=T0 + 86_400,
    )
    assert (linked.amount, linked.sales, linked.problems) == (1_100_000, ("autumn",), ())
    assert linked.command("7") == {
        "op": "set_linked_purchases",
        "paddle": "7",
        "amount": 1_100_000,
        "sales": ["autumn"],
    }
    # On the total basis the premium (25 %) and its VAT count too: more than the hammer.
    total = aml.linked_purchases(
        autumn,
        paddles,
        this_sale="spring",
        currency="EUR",
        basis="total",
        window_days=365,
        now=T0 + 86_400,
    )
    assert total.amount > linked.amount
    # The running sale itself is never read here; a sale older than the window not counted.
    assert (
        aml.linked_purchases(
            autumn,
            paddles,
            this_sale="autumn",
            currency="EUR",
            basis="hammer",
            window_days=365,
            now=T0 + 86_400,
        ).amount
        == 0
    )
    assert (
        aml.linked_purchases(
            autumn,
            paddles,
            this_sale="spring",
            currency="EUR",
            basis="hammer",
            window_days=30,
            now=T0 + 31 * 86_400,
        ).amount
        == 0
    )


async def test_linked_purchases_in_another_currency_are_converted(autumn):
    linked = aml.linked_purchases(
        autumn,
        [("autumn", "102")],
        this_sale="spring",
        currency="GBP",
        basis="hammer",
        window_days=365,
        now=T0 + 86_400,
        rates=aml.parse_rates({"2026-09": {"GBP": "0.8000"}}),
    )
    assert linked.amount == 4_800_000  # €60,000.00 at 0.80


async def test_a_damaged_sale_journal_is_named_not_counted_as_nothing(autumn):
    broken = sale_path(autumn, "winter")
    broken.write_bytes(b"this is not a database" * 100)
    linked = aml.linked_purchases(
        autumn,
        [("winter", "5"), ("autumn", "101")],
        this_sale="spring",
        currency="EUR",
        basis="hammer",
        window_days=365,
        now=T0 + 86_400,
    )
    assert linked.amount == 1_100_000
    assert len(linked.problems) == 1
    assert linked.problems[0].startswith("sale winter:")


async def test_a_lot_sold_later_in_the_other_sale_counts_once_it_is_sold(tmp_path):
    sequencer = await sale_on_disk(
        sale_path(tmp_path, "autumn"),
        [*sale_commands(), *sell_commands("1", "101", 100_000)],
        Clock(T0),
    )
    try:
        before = aml.linked_purchases(
            tmp_path,
            [("autumn", "101")],
            this_sale="spring",
            currency="EUR",
            basis="hammer",
            window_days=365,
            now=T0 + 86_400,
        )
        for command in sell_commands("3", "101", 2_000_000):
            answer = await sequencer.submit(command, SYSTEM)
            assert answer.ok, answer.message
        after = aml.linked_purchases(
            tmp_path,
            [("autumn", "101")],
            this_sale="spring",
            currency="EUR",
            basis="hammer",
            window_days=365,
            now=T0 + 86_400,
        )
    finally:
        await sequencer.stop()
    assert after.amount - before.amount == 2_000_000


def test_rates_json_round_trips(tmp_path):
    aml.save_rates(tmp_path, RATES)
    stored = json.loads((tmp_path / aml.RATES_FILE).read_text())
    assert aml.rates_json(aml.parse_rates(stored)) == aml.rates_json(aml.parse_rates(RATES))
