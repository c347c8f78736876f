"""The EPC payment QR: decoded by a real reader (zxing-cpp) it holds the house's IBAN, the
amount owed and the invoice number, field by field as EPC069-12 lays them out."""

from __future__ import annotations

import dataclasses

import pytest
import zxingcpp
from PIL import Image

from hub.backend import epc
from hub.backend.epc import EpcError
from hub.backend.house import DEMO_HOUSE
from tests.backend import documents as docs

CHARSETS = {"1": "utf-8", "2": "iso-8859-1", "3": "iso-8859-2", "8": "iso-8859-15"}


def _decode_png(qr, tmp_path) -> str:
    """What a banking app reads: the symbol's bytes, decoded in the charset its third line
    names (the code carries no ECI, so a generic reader would guess Latin-1)."""
    png = tmp_path / "epc.png"
    qr.save(str(png), kind="png", scale=6, border=4)
    found = zxingcpp.read_barcodes(Image.open(png))
    assert len(found) == 1
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    raw = bytes(found[0].bytes)
    return raw.decode(CHARSETS[raw.split(b"\n")[2].decode()])


def test_the_code_decodes_to_the_house_the_amount_and_the_invoice_number(tmp_path):
    text = _decode_png(epc.epc_qr(DEMO_HOUSE, 1_513_500, "INV-2026-00007"), tmp_path)
    assert text.split("\n") == [
        "BCD",
        "002",
        "2",  # ISO 8859-1 holds every character here
        "SCT",
        "COBADEFFXXX",
        "Demo Auction House (fictional)",
        "DE89370400440532013000",
        "EUR15135",
        "",
        "",
        "INV-2026-00007",
    ]


@pytest.mark.parametrize(
    ("cents", "field"),
    [(1, "EUR0.01"), (10, "EUR0.1"), (123_450, "EUR1234.5"), (99_999_999_999, "EUR999999999.99")],
)
def test_amounts_are_exact_to_the_cent(cents, field, tmp_path):
    decoded = _decode_png(epc.epc_qr(DEMO_HOUSE, cents, "INV-2026-00001"), tmp_path)
    assert decoded.split("\n")[7] == field
    assert decoded == epc.epc_payload(DEMO_HOUSE, cents, "INV-2026-00001")


def test_a_name_outside_latin_1_picks_another_charset_and_still_decodes(tmp_path):
    house = dataclasses.replace(DEMO_HOUSE, name="Aukcje Łódź Sp. z o.o.", bic="")
    decoded = _decode_png(epc.epc_qr(house, 5_000, "INV-2026-00002"), tmp_path)
    assert decoded == epc.epc_payload(house, 5_000, "INV-2026-00002")
    fields = decoded.split("\n")
    assert fields[2] == "3"  # ISO 8859-2
    assert fields[4] == ""  # no BIC: version 002 allows that inside the EEA
    assert fields[5] == "Aukcje Łódź Sp. z o.o."


def test_a_long_house_name_is_cut_to_the_70_characters_the_standard_allows(tmp_path):
    house = dataclasses.replace(DEMO_HOUSE, name="N" * 120)
    decoded = _decode_png(epc.epc_qr(house, 100, "INV-2026-00003"), tmp_path)
    assert decoded.split("\n")[5] == "N" * 70


@pytest.mark.parametrize(
    ("amount", "currency", "reference", "message"),
    [
        (0, "EUR", "INV-1", "0.01"),
        (-500, "EUR", "INV-1", "0.01"),
        (100_000_000_000, "EUR", "INV-1", "999,999,999.99"),
        (100, "GBP", "INV-1", "euros only"),
        (12.5, "EUR", "INV-1", "int of cents"),
        (True, "EUR", "INV-1", "int of cents"),
        (100, "EUR", "  ", "reference"),
        (100, "EUR", "R" * 141, "140"),
        (100, "EUR", "INV-1\nEUR999", "line break"),
    ],
)
def test_no_code_for_a_wrong_amount_currency_or_reference(amount, currency, reference, message):
    with pytest.raises(EpcError, match=message):
        epc.epc_qr(DEMO_HOUSE, amount, reference, currency)


def test_no_code_for_a_house_without_a_bank_account():
    with pytest.raises(EpcError, match="no IBAN"):
        epc.epc_qr(dataclasses.replace(DEMO_HOUSE, iban="", bic=""), 100, "INV-1")


def test_the_svg_is_inline_markup():
    svg = epc.epc_qr_svg(DEMO_HOUSE, 100, "INV-2026-00001")
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert 'class="epc-qr"' in svg
    assert 'viewBox="0 0 ' in svg  # scales to the size the page gives it, never cropped
    assert "width=" not in svg.split(">")[0]


def test_an_invoice_gets_a_code_only_in_euros_with_something_owed():
    assert epc.invoice_qr_svg(docs.invoice(), DEMO_HOUSE) is not None
    assert epc.invoice_qr_svg(docs.invoice(owed=0, paid=2_013_500), DEMO_HOUSE) is None
    assert epc.invoice_qr_svg(docs.invoice(owed=-100), DEMO_HOUSE) is None
    assert epc.invoice_qr_svg(docs.invoice(currency="USD"), DEMO_HOUSE) is None
    assert epc.invoice_qr_svg(docs.invoice(kind="proforma", number=None), DEMO_HOUSE) is None
    assert epc.invoice_qr_svg(docs.credit_note(), DEMO_HOUSE) is None
    no_bank = dataclasses.replace(DEMO_HOUSE, iban="", bic="")
    assert epc.invoice_qr_svg(docs.invoice(), no_bank) is None
    # over the EPC maximum: no code, the printed bank details still apply
    assert epc.invoice_qr_svg(docs.invoice(owed=100_000_000_000), DEMO_HOUSE) is None


@pytest.mark.parametrize("extra", [0, 7, 30, 60, 100, 125])
def test_the_fast_mask_choice_makes_the_very_code_segno_makes(extra, monkeypatch):
    """epc.py scores the eight QR masks with its own faster code: it must pick segno's mask and
    give segno's matrix, module for module, across code sizes."""
    from decimal import Decimal

    from segno import helpers

    scored: list[int] = []
    penalty = epc._penalty

    def counted(rows: list[int], size: int) -> int:
        scored.append(size)
        return penalty(rows, size)

    monkeypatch.setattr(epc, "_penalty", counted)
    for cents in (1, 99_999_999_999, 123_456 + extra):
        args = {
            "name": DEMO_HOUSE.name,
            "iban": DEMO_HOUSE.iban,
            "amount": Decimal(cents).scaleb(-2),
            "text": "INV-2026-00001" + "x" * extra,
            "bic": DEMO_HOUSE.bic,
        }
        reference = helpers.make_epc_qr(**args)
        ours = epc.epc_qr(DEMO_HOUSE, cents, str(args["text"]))
        assert (ours.version, ours.mask, ours.matrix) == (
            reference.version,
            reference.mask,
            reference.matrix,
        )
    assert len(scored) == 3 * 8  # our scoring ran: eight masks for each code


def test_the_svg_is_cached_per_payload_and_differs_by_amount():
    first = epc.epc_qr_svg(DEMO_HOUSE, 4_200, "INV-2026-00009")
    assert epc.epc_qr_svg(DEMO_HOUSE, 4_200, "INV-2026-00009") is first
    assert epc.epc_qr_svg(DEMO_HOUSE, 4_201, "INV-2026-00009") != first
    other = dataclasses.replace(DEMO_HOUSE, iban="FR1420041010050500013M02606")
    assert epc.epc_qr_svg(other, 4_200, "INV-2026-00009") != first
