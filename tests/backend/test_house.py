"""The house profile: checked fields, kept whole in {data_dir}/house.json, a fictional demo."""

from __future__ import annotations

import json

import pytest

from hub.backend import house
from hub.backend.house import DEMO_HOUSE, HouseError, HouseProfile


def _raw(**changes):
    return {**DEMO_HOUSE.to_json(), **changes}


def test_a_data_dir_without_a_file_gets_the_fictional_demo_house(tmp_path):
    profile = house.load(tmp_path)
    assert profile == DEMO_HOUSE
    assert "fictional" in profile.name
    assert profile.iban == "DE89370400440532013000"
    assert profile.iban_grouped == "DE89 3704 0044 0532 0130 00"
    assert not (tmp_path / "house.json").exists()  # loading writes nothing


def test_the_demo_house_passes_its_own_checks():
    assert house.check(DEMO_HOUSE.to_json()) == DEMO_HOUSE


def test_save_then_load_round_trips(tmp_path):
    mine = _raw(
        name="Müller & Söhne Kunstauktionen",
        address="Hauptstraße 5\n\n  80331 München  ",
        iban="de89 3704 0044 0532 0130 00",
        bic="cobadeffxxx",
        vat_id="de 123456789",
        payment_days=30,
    )
    saved = house.save(tmp_path, mine)
    assert saved.address == "Hauptstraße 5\n80331 München"  # blank lines and edges trimmed
    assert saved.iban == "DE89370400440532013000"
    assert saved.bic == "COBADEFFXXX"
    assert saved.vat_id == "DE123456789"
    assert house.load(tmp_path) == saved
    on_disk = json.loads((tmp_path / "house.json").read_text("utf-8"))
    assert on_disk["name"] == "Müller & Söhne Kunstauktionen"
    assert [p.name for p in tmp_path.iterdir()] == ["house.json"]  # no temporary file left


def test_save_takes_a_profile_too(tmp_path):
    profile = HouseProfile(name="Lot & Co", address="1 High St\nLondon", country="GB")
    assert house.save(tmp_path, profile) == profile
    assert house.load(tmp_path).iban == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name is required"),
        ({"name": "x" * 201}, "name is longer than 200"),
        ({"name": "Evil\u202eHouse"}, "control character"),
        ({"name": "Bell\x07"}, "control character"),
        ({"name": 42}, "name must be text"),
        ({"address": ""}, "address is required"),
        ({"address": "\n".join("abcdefg")}, "more than 6 lines"),
        ({"country": "Germany"}, "two-letter"),
        ({"country": "D1"}, "two-letter"),
        ({"iban": "DE89370400440532013001"}, "not a valid IBAN"),
        ({"iban": "<script>"}, "not a valid IBAN"),
        ({"bic": "XXXX"}, "not a valid BIC"),
        ({"iban": "", "bic": "COBADEFFXXX"}, "bic without an iban"),
        ({"vat_id": "123"}, "vat_id"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"payment_days": -1}, "payment_days"),
        ({"payment_days": 366}, "payment_days"),
        ({"payment_days": "14"}, "payment_days"),
        ({"payment_days": True}, "payment_days"),
        ({"invoice_terms": "t" * 2001}, "invoice_terms is longer"),
        ({"colour": "red"}, "unknown house fields: colour"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(changes, message):
    with pytest.raises(HouseError, match=message):
        house.check(_raw(**changes))


def test_a_refused_save_leaves_the_old_profile(tmp_path):
    good = house.save(tmp_path, _raw(name="First House"))
    with pytest.raises(HouseError):
        house.save(tmp_path, _raw(name="Second House", iban="DE00"))
    assert house.load(tmp_path) == good


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", '"a string"'])
def test_a_broken_file_is_a_clear_error_not_the_demo_bank_account(tmp_path, text):
    (tmp_path / "house.json").write_text(text, "utf-8")
    with pytest.raises(HouseError, match=r"house\.json|JSON object"):
        house.load(tmp_path)


def test_a_file_with_a_bad_field_fails_on_load(tmp_path):
    (tmp_path / "house.json").write_text(json.dumps(_raw(country="xyz")), "utf-8")
    with pytest.raises(HouseError, match="country"):
        house.load(tmp_path)


def test_invoice_terms_keep_their_line_breaks():
    profile = house.check(_raw(invoice_terms="Pay within 14 days.\r\nCash up to €5,000."))
    assert profile.invoice_terms == "Pay within 14 days.\nCash up to €5,000."
