"""The money rules of a sale (issue 12) and a lot's own premium: checked, journaled, shown."""

from __future__ import annotations

from typing import Any

import pytest

from hub.auction import reasons as R
from hub.backend import sales
from tests.auction.helpers import Sale, replay

MONEY_RULES = {
    "premium_surcharge_bp": {"online": 300, "phone": 360},
    "vat_reduced_bp": 500,
    "vat_import_bp": 500,
    "sales_tax_bp": 725,
    "arr_threshold": 100_000,
    "arr_eur_ppm": 850_000,
    "credit_includes_charges": True,
}


def test_money_rules_are_journaled_and_shown_to_bidders() -> None:
    s = Sale(draft=True)
    s.ok({"op": "configure", "settings": MONEY_RULES})
    rules = s.engine.sale_view()["rules"]
    for key, value in MONEY_RULES.items():
        assert rules[key] == value, key
    settings = s.engine.sale.settings
    assert settings.premium_surcharge_bp == {"online": 300, "phone": 360}
    assert settings.credit_includes_charges is True
    assert replay(s.journal).sale.settings.to_json() == settings.to_json()
    s.ok({"op": "configure", "settings": {"arr_threshold": None}})
    assert s.engine.sale.settings.arr_threshold is None


def test_money_rules_default_to_nothing_extra() -> None:
    rules = Sale(draft=True).engine.sale_view()["rules"]
    assert rules["premium_surcharge_bp"] == {}
    assert (rules["vat_reduced_bp"], rules["vat_import_bp"], rules["sales_tax_bp"]) == (0, 0, 0)
    assert rules["arr_threshold"] is None
    assert rules["arr_eur_ppm"] == 1_000_000
    assert rules["credit_includes_charges"] is False


@pytest.mark.parametrize(
    "bad",
    [
        {"premium_surcharge_bp": {"moon": 300}},
        {"premium_surcharge_bp": {"online": -1}},
        {"premium_surcharge_bp": {"online": 10_001}},
        {"premium_surcharge_bp": {"online": 2.5}},
        {"premium_surcharge_bp": [["online", 300]]},
        {"vat_reduced_bp": True},
        {"vat_import_bp": 10_001},
        {"sales_tax_bp": -5},
        {"sales_tax_bp": "7.25"},
        {"arr_threshold": -1},
        {"arr_threshold": 1.5},
        {"arr_threshold": 10**14},
        {"arr_threshold": False},
        {"arr_eur_ppm": 0},
        {"arr_eur_ppm": 10**13},
        {"arr_eur_ppm": 0.85},
        {"credit_includes_charges": "yes"},
        {"credit_includes_charges": 1},
    ],
)
def test_bad_money_rules_are_refused(bad: dict[str, Any]) -> None:
    s = Sale(draft=True)
    d = s.no({"op": "configure", "settings": bad}, R.INVALID)
    assert next(iter(bad)) in str(d.message)
    assert s.engine.sale.settings.to_json() == Sale(draft=True).engine.sale.settings.to_json()


def test_a_lot_has_its_own_premium_shown_to_everyone() -> None:
    s = Sale(draft=True)
    s.lot("1", premium=[[0, 1500], [100_000, 1000]])
    s.lot("2")
    assert (s.engine.public_lot("1") or {})["premium"] == [[0, 1500], [100_000, 1000]]
    assert (s.engine.public_lot("2") or {})["premium"] is None
    assert s.state("1")["premium"] == [[0, 1500], [100_000, 1000]]
    s.ok({"op": "edit_lot", "lot": "2", "changes": {"premium": [[0, 0]]}})
    assert s.engine.lots["2"].premium == [[0, 0]]
    s.ok({"op": "edit_lot", "lot": "1", "changes": {"premium": None}})
    assert s.engine.lots["1"].premium is None
    assert replay(s.journal).projection("lot/2") == s.engine.projection("lot/2")


def test_a_live_premium_change_is_a_public_amendment() -> None:
    s = Sale()
    s.lot("1")
    s.ok({"op": "go_live"})
    d = s.ok(
        {"op": "edit_lot", "lot": "1", "changes": {"premium": [[0, 2000]]}, "reason": "agreed"}
    )
    assert [e.type for e in d.events] == ["lot_amended"]
    assert d.events[0].audience == "public"


@pytest.mark.parametrize(
    "bad",
    [
        [[100, 2500]],  # not from 0
        [[0, 2500], [0, 2000]],  # not ascending
        [[0, 10_001]],
        [[0, -1]],
        [[0, 25.5]],
        [[0, 2500, 1]],
        [[0, True]],
        "25%",
        [[0, 2500]] * 21,
    ],
)
def test_a_bad_lot_premium_is_refused(bad: Any) -> None:
    s = Sale(draft=True)
    d = s.no({"op": "add_lot", "lot": {"id": "1", "premium": bad}}, R.INVALID)
    assert "premium" in str(d.message)
    assert not s.engine.lots
    s.lot("2")
    s.no({"op": "edit_lot", "lot": "2", "changes": {"premium": bad}}, R.INVALID)
    assert s.engine.lots["2"].premium is None


def test_a_sale_file_carries_the_money_rules_to_the_engine() -> None:
    checked = sales.check_spec({"id": "s", "title": "Spring", "settings": MONEY_RULES})
    for key, value in MONEY_RULES.items():
        assert checked["settings"][key] == value
    s = Sale(draft=True)
    s.ok({"op": "configure", "settings": checked["settings"]})
    assert s.engine.sale.settings.vat_reduced_bp == 500
