"""The app's pure helpers, without Qt."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.formatting import (
    bidder_label,
    format_duration,
    format_estimate,
    format_money,
    format_plain_amount,
    parse_money,
)
from app.progress import compute_progress
from app.settings import AppSettings, choose_sale
from app.shortcuts import SHORTCUTS, all_keys, grouped
from app.state import ConsoleState


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (0, "EUR", "€0"),
        (120000, "EUR", "€1,200"),
        (123450, "EUR", "€1,234.50"),
        (5, "EUR", "€0.05"),
        (-2500, "GBP", "-£25"),
        (1500, "JPY", "¥1,500"),
        (None, "EUR", "—"),
        (100, "XYZ", "XYZ 1"),
    ],
)
def test_format_money(minor, currency, text):
    assert format_money(minor, currency) == text


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1200", 120000),
        ("1,200", 120000),
        ("1 200", 120000),
        ("1.200,50", 120050),
        ("1,200.50", 120050),
        ("€1,200", 120000),
        ("0.5", 50),
        ("12,5", 1250),
        ("1.234", 123400),
    ],
)
def test_parse_money(text, minor):
    assert parse_money(text, "EUR") == minor


@pytest.mark.parametrize("text", ["", "-5", "ten", "1.2.3.4x", "=1+1", "1e9"])
def test_parse_money_refuses(text):
    with pytest.raises(ValueError):
        parse_money(text, "EUR")


def test_small_formatters():
    assert format_plain_amount(120050, "EUR") == "1200.50"
    assert format_plain_amount(120000, "EUR") == "1200"
    assert format_estimate(80000, 120000, "EUR") == "€800 – €1,200"
    assert format_estimate(None, None) == "—"
    assert format_duration(12) == "12s"
    assert format_duration(75) == "1m 15s"
    assert format_duration(3720) == "1h 02m"
    assert bidder_label({"channel": "floor", "paddle": "101"}) == "Room · paddle 101"
    assert bidder_label({"channel": "online", "paddle": None}) == "Online (no paddle)"
    assert bidder_label({"channel": "house", "house": True}) == "House bid (for the vendor)"


def test_progress_pace_eta_and_total():
    lots = [
        {"status": "sold", "hammer": {"amount": 1000}},
        {"status": "passed", "hammer": {"reason": "passed"}},
        {"status": "open"},
        {"status": "pending"},
    ]
    p = compute_progress(lots, started_at=0.0, now=360.0)  # 2 lots in 6 minutes
    assert (p.sold, p.passed, p.remaining, p.total_hammer) == (1, 1, 2, 1000)
    assert p.lots_per_hour == pytest.approx(20.0)
    assert p.eta_seconds == pytest.approx(360.0)
    assert p.sell_through == 0.5
    early = compute_progress(lots, started_at=0.0, now=30.0)
    assert early.lots_per_hour is None
    assert early.eta_seconds is None
    assert compute_progress([], None, 0).fraction == 0.0


def test_shortcut_table_has_no_clashes():
    keys = [k.lower() for k in all_keys()]
    assert len(keys) == len(set(keys))
    actions = [s.action for s in SHORTCUTS]
    assert len(actions) == len(set(actions))
    for needed in (
        "floor_bid",
        "fair_warning",
        "hammer",
        "pass",
        "next_lot",
        "retract",
        "inc_double",
        "inc_half",
        "accept_online",
        "reopen",
        "leave_sold",
        "help",
    ):
        assert needed in actions
    assert sum(len(items) for _, items in grouped()) == len(SHORTCUTS)


def test_state_folds_records():
    state = ConsoleState.from_snapshot(
        {
            "seq": 5,
            "sale": {"id": "s", "currency": "EUR", "current": None},
            "lot_views": [
                {"id": "1", "order": 1, "status": "pending"},
                {"id": "2", "order": 2, "status": "pending"},
            ],
        }
    )
    assert state.next_lot_id() == "1"
    assert not state.apply({"seq": 4, "type": "x", "lot": {"id": "1"}})  # old: ignored
    changes = state.apply(
        {
            "seq": 6,
            "type": "lot_opened",
            "at": 100.0,
            "lot": {"id": "1", "order": 1, "status": "open"},
        }
    )
    assert changes.current
    assert state.current_id == "1"
    assert state.live()
    assert state.started_at == 100.0
    assert state.next_lot_id() == "2"
    changes = state.apply({"seq": 7, "type": "bidder_approved", "lot": None, "data": {}})
    assert changes.bidders
    state.apply(
        {
            "seq": 8,
            "type": "sale_paused",
            "lot": None,
            "sale_state": {"paused": True, "message": "tea"},
        }
    )
    assert state.sale["paused"] is True


def test_settings_and_sale_choice(tmp_path: Path):
    assert choose_sale("demo", tmp_path, AppSettings()) == ("demo", True)  # first run
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "spring.db").write_bytes(b"")
    settings = AppSettings(last_sale="spring")
    settings.save(tmp_path)
    loaded = AppSettings.load(tmp_path)
    assert loaded.last_sale == "spring"
    assert choose_sale("demo", tmp_path, loaded) == ("spring", False)  # the last sale
    (tmp_path / "app-settings.json").write_text("{not json", "utf-8")
    assert AppSettings.load(tmp_path).last_sale is None


def test_ladder_cells():
    from app.ui.ladder_editor import ladder_from_cells

    assert ladder_from_cells([("0", "5"), ("100", "10"), ("", "")], "EUR") == [
        [0, 500],
        [10000, 1000],
    ]
    with pytest.raises(ValueError, match="row 2"):
        ladder_from_cells([("0", "5"), ("x", "10")], "EUR")
    with pytest.raises(ValueError):
        ladder_from_cells([("10", "5")], "EUR")  # must start at 0


def test_book_text_lists_the_highest_commission_bids_first() -> None:
    from app.formatting import book_text

    assert book_text(None, "EUR") == "No commission bids"
    assert book_text([], "EUR") == "No commission bids"
    books = [
        {"paddle": "7", "max": 50000, "order": 2},
        {"paddle": "9", "max": 90000, "order": 5},
        {"paddle": "3", "max": 50000, "order": 1},
        {"paddle": "4", "max": 1000, "order": 9},
    ]
    assert book_text(books, "EUR") == "Book: 9 up to €900, 3 up to €500, 7 up to €500 (+1 more)"


def test_paddle_hint_says_who_is_bidding() -> None:
    from app.formatting import paddle_hint

    bidders = [
        {
            "paddle": "101",
            "name": "Ann <b>",
            "channel": "floor",
            "status": "approved",
            "credit_limit": 500000,
        },
        {
            "paddle": "102",
            "name": "",
            "channel": "phone",
            "status": "approved",
            "credit_limit": None,
        },
        {"paddle": "7003", "name": "Eve", "channel": "online", "status": "pending"},
        {"paddle": "7004", "name": "Mal", "channel": "online", "status": "rejected"},
    ]
    assert paddle_hint(bidders, "101", "EUR") == ("Ann <b> · Room · limit €5,000", True)
    assert paddle_hint(bidders, " 102 ", "EUR") == ("Paddle 102 · Phone · no limit", True)
    assert paddle_hint(bidders, "7003", "EUR") == ("Eve: not approved yet", False)
    assert paddle_hint(bidders, "7004", "EUR") == ("Mal: rejected", False)
    assert paddle_hint(bidders, "999", "EUR") == ("Paddle 999 is not registered", False)
