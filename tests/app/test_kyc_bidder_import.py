"""The bidder list's KYC columns: read, checked by the identities store's rules (a bad value
refuses its row with the reason), and passed on with the identity (never the journal)."""

from __future__ import annotations

from app.bidder_import import parse_bidders

HEAD = "paddle,name,date of birth,id type,passport no,id expires,address,country,company\n"


def test_kyc_columns_are_read_and_checked():
    text = (
        HEAD
        + '101,Ada Lovelace,1970-12-10,passport,P1234567,2031-01-01,"1 Square\nLondon",GB,\n'
        + "102,Bo,10/12/1970,passport,P1,,,,\n"
        + "103,Cy,,library card,,,,,\n"
        + "104,Di,,,P\u202e1,,,,\n"
        + "105,Ed,,,,,,,Tea Ltd\n"
    )
    good, bad = parse_bidders(text, (), "EUR")
    assert [g.paddle for g in good] == ["101", "105"]
    assert good[0].identity == {
        "name": "Ada Lovelace",
        "email": "",
        "phone": "",
        "dob": "1970-12-10",
        "id_type": "passport",
        "id_number": "P1234567",
        "id_expiry": "2031-01-01",
        "address": "1 Square\nLondon",
        "country": "GB",
    }
    assert good[1].identity["company"] == "Tea Ltd"
    reasons = {v.lot: v.reason for v in bad}
    assert "'dob' must be a date" in reasons["102"]
    assert "'id_type' must be one of" in reasons["103"]
    assert "'id_number'" in reasons["104"]


def test_a_list_without_kyc_columns_is_read_as_before():
    good, bad = parse_bidders("paddle,name\n201,Fay\n", (), "EUR")
    assert bad == []
    assert good[0].identity == {"name": "Fay", "email": "", "phone": ""}
