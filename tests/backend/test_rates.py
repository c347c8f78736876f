"""The currency board's rates (hub/backend/rates.py): the ECB's XML in, checked; malformed,
hostile, oversized and duplicated input refused whole, the old rates kept; the board hidden
once the rates are older than the house allows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hub.backend import house, rates
from hub.backend.rates import RatesError, parse_ecb_xml

DAILY = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time='2026-11-30'>
      <Cube currency='USD' rate='1.0512'/>
      <Cube currency='JPY' rate='158.42'/>
      <Cube currency='GBP' rate='0.83215'/>
      <Cube currency='CHF' rate='0.9312'/>
    </Cube>
  </Cube>
</gesmes:Envelope>"""


def ecb(days: str) -> bytes:
    return (
        b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        b'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>'
        + days.encode()
        + b"</Cube></gesmes:Envelope>"
    )


def test_daily_file_is_read_with_its_date() -> None:
    r = parse_ecb_xml(DAILY)
    assert r.date == dt.date(2026, 11, 30)
    assert r.base == "EUR"
    assert r.rates == {"USD": 1.0512, "JPY": 158.42, "GBP": 0.83215, "CHF": 0.9312}


def test_history_file_gives_its_newest_day() -> None:
    r = parse_ecb_xml(
        ecb(
            "<Cube time='2026-11-27'><Cube currency='USD' rate='1.04'/></Cube>"
            "<Cube time='2026-11-30'><Cube currency='USD' rate='1.05'/></Cube>"
            "<Cube time='2026-11-28'><Cube currency='USD' rate='1.06'/></Cube>"
        )
    )
    assert (r.date, r.rates) == (dt.date(2026, 11, 30), {"USD": 1.05})


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Envelope xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>
<Cube time='2026-11-30'><Cube currency='USD' rate='&lol2;'/></Cube></Cube></Envelope>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Envelope xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>
<Cube time='2026-11-30'><Cube currency='USD' rate='1'/>&x;</Cube></Cube></Envelope>"""


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "not ECB rates XML"),
        (b"\xff\xfe\x00garbage", "not ECB rates XML"),
        (b"<html><body>Not found</body></html>", "no <Cube"),
        (DAILY[:200], "not ECB rates XML"),
        (BILLION_LAUGHS, "not ECB rates XML"),
        (EXTERNAL, "not ECB rates XML"),
        (ecb("<Cube time='2026-11-30'></Cube>"), "no rates"),
        (ecb("<Cube time='yesterday'><Cube currency='USD' rate='1'/></Cube>"), "no date"),
        (ecb("<Cube time='2026-02-30'><Cube currency='USD' rate='1'/></Cube>"), "not a date"),
        (ecb("<Cube time='2026-11-30'><Cube currency='usd' rate='1'/></Cube>"), "currency code"),
        (ecb("<Cube time='2026-11-30'><Cube currency='<b>' rate='1'/></Cube>"), "not ECB"),
        (ecb("<Cube time='2026-11-30'><Cube currency='USD' rate='-1'/></Cube>"), "positive"),
        (ecb("<Cube time='2026-11-30'><Cube currency='USD' rate='nan'/></Cube>"), "positive"),
        (ecb("<Cube time='2026-11-30'><Cube currency='USD' rate='1e400'/></Cube>"), "positive"),
        (ecb("<Cube time='2026-11-30'><Cube currency='USD' rate='x'/></Cube>"), "not a number"),
        (ecb("<Cube time='2026-11-30'><Cube currency='USD'/></Cube>"), "not a number"),
        (
            ecb(
                "<Cube time='2026-11-30'><Cube currency='USD' rate='1'/>" * 1 + "<Cube currency"
                "='USD' rate='2'/></Cube>"
            ),
            "twice",
        ),
        (
            ecb(
                "<Cube time='2026-11-30'>"
                + "".join(
                    f"<Cube currency='{a}{b}X' rate='1'/>"
                    for a in "ABCDEFGHIJ"
                    for b in "ABCDEFGHIJK"
                )
                + "</Cube>"
            ),
            "more than",
        ),
        (b" " * (rates.MAX_BYTES + 1), "larger than"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(RatesError, match=says):
        parse_ecb_xml(data)


def test_import_saves_and_a_bad_import_keeps_the_old_rates(tmp_path: Path) -> None:
    good = tmp_path / "daily.xml"
    good.write_bytes(DAILY)
    rates.import_file(tmp_path / "data", good)
    before = rates.path(tmp_path / "data").read_bytes()
    bad = tmp_path / "bad.xml"
    bad.write_bytes(BILLION_LAUGHS)
    with pytest.raises(RatesError):
        rates.import_file(tmp_path / "data", bad)
    with pytest.raises(RatesError, match="cannot be read"):
        rates.import_file(tmp_path / "data", tmp_path / "missing.xml")
    assert rates.path(tmp_path / "data").read_bytes() == before
    assert rates.load(tmp_path / "data") == parse_ecb_xml(DAILY)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"date": "2026-11-30", "rates": {"USD": true}}',
        '{"date": "2026-11-30", "rates": {}}',
        '{"date": "2026-11-30", "base": "eu", "rates": {"USD": 1}}',
        '{"date": 5, "rates": {"USD": 1}}',
    ],
)
def test_a_damaged_rates_file_is_an_error_and_hides_the_board(tmp_path: Path, text: str) -> None:
    rates.path(tmp_path).write_text(text)
    with pytest.raises(RatesError):
        rates.load(tmp_path)
    assert rates.public_view(tmp_path, dt.date(2026, 12, 1))["rates"] is None


def test_board_is_hidden_when_rates_are_older_than_the_house_allows(tmp_path: Path) -> None:
    assert rates.public_view(tmp_path, dt.date(2026, 12, 1))["rates"] is None  # none imported
    rates.save(tmp_path, parse_ecb_xml(DAILY))  # dated 2026-11-30
    view = rates.public_view(tmp_path, dt.date(2026, 12, 7))
    assert view["rates"]["rates"]["USD"] == 1.0512
    assert view["rates_date"] == "2026-11-30"
    assert rates.public_view(tmp_path, dt.date(2026, 12, 8))["rates"] is None  # 8 days > 7
    assert rates.public_view(tmp_path, dt.date(2026, 11, 29))["rates"] is None  # from the future
    house.save(tmp_path, {**house.DEMO_HOUSE.to_json(), "rates_max_age_days": 30})
    assert rates.public_view(tmp_path, dt.date(2026, 12, 8))["rates"] is not None


def test_room_settings_in_the_house_profile(tmp_path: Path) -> None:
    demo = house.DEMO_HOUSE.to_json()
    saved = house.save(
        tmp_path, {**demo, "room_languages": ["de", "en"], "room_shows_passed_amount": True}
    )
    assert saved.room_languages == ("de", "en")
    view = rates.public_view(tmp_path, dt.date(2026, 12, 1))
    assert view["room_languages"] == ["de", "en"]
    assert view["room_shows_passed_amount"] is True
    assert json.loads(house.path(tmp_path).read_text())["room_languages"] == ["de", "en"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("room_languages", "de"),
        ("room_languages", ["de", "de"]),
        ("room_languages", ["de", "en", "fr"]),
        ("room_languages", ["xx"]),
        ("room_languages", [1]),
        ("rates_max_age_days", 0),
        ("rates_max_age_days", True),
        ("rates_max_age_days", "7"),
        ("room_shows_passed_amount", "yes"),
    ],
)
def test_bad_room_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(house.HouseError, match=field):
        house.check({**house.DEMO_HOUSE.to_json(), field: value})


def test_command_line_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "eurofxref-daily.xml"
    source.write_bytes(DAILY)
    assert rates.main([str(source), "--data-dir", str(tmp_path / "d")]) == 0
    assert "imported the rates of 2026-11-30 (CHF, GBP, JPY, USD)" in capsys.readouterr().out
    source.write_bytes(BILLION_LAUGHS)
    assert rates.main([str(source), "--data-dir", str(tmp_path / "d")]) == 2
    assert "rates not imported: not ECB rates XML" in capsys.readouterr().err
    assert rates.load(tmp_path / "d") == parse_ecb_xml(DAILY)  # the old rates stay
