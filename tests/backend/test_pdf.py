"""The PDFs as a reader gets them: poppler's pdftotext finds the figures, pypdf finds the
embedded e-invoice, zxing-cpp reads the printed payment code, nothing outside is loaded."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pypdf
import pytest
import zxingcpp
from PIL import Image

from hub.backend import einvoice, render
from hub.backend.house import DEMO_HOUSE
from hub.backend.pdf import pdf_bytes
from tests.backend import documents as docs

A4_WIDTH_PT = 595.28


def _pdftotext(pdf: bytes, *args: str) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *args, "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


def _text(pdf: bytes) -> str:
    """The text in reading order, whitespace runs folded."""
    return re.sub(r"\s+", " ", _pdftotext(pdf)).replace("\u00a0", " ")


def _rows(pdf: bytes) -> list[str]:
    """The text as laid out, one printed row a string (a label and its figure share a row)."""
    return [re.sub(r"\s+", " ", row).strip() for row in _pdftotext(pdf, "-layout").splitlines()]


@pytest.fixture(scope="module")
def invoice_pdf() -> bytes:
    return einvoice.invoice_pdf(docs.invoice(), DEMO_HOUSE)


def test_the_invoice_pdf_shows_number_buyer_every_line_and_the_total(invoice_pdf):
    assert invoice_pdf.startswith(b"%PDF-")
    text = _text(invoice_pdf)
    assert "Invoice INV-2026-00007" in text
    assert "Ada Lovelace" in text
    for line in docs.LINES:
        assert render.format_money(line.amount, "EUR") in text, line
        assert f"seq {line.hammer_seq}" in text
    rows = _rows(invoice_pdf)
    assert "Total €20,135.00" in rows
    assert "Paid €5,000.00" in rows
    assert "Amount owed €15,135.00" in rows
    assert "DE89 3704 0044 0532 0130 00" in text


def test_the_invoice_pdf_carries_its_factur_x_xml(invoice_pdf):
    reader = pypdf.PdfReader(io.BytesIO(invoice_pdf))
    assert list(reader.attachments) == ["factur-x.xml"]
    (xml,) = reader.attachments["factur-x.xml"]
    assert xml == einvoice.cii_xml(docs.invoice(), DEMO_HOUSE)
    einvoice.check_xml(xml)
    assert b"<ram:GrandTotalAmount>20135.00</ram:GrandTotalAmount>" in xml
    root = reader.trailer["/Root"]
    assert "/OutputIntents" in root  # PDF/A: the colour space is declared
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp


def test_the_printed_payment_code_decodes_from_the_pdf_page(invoice_pdf, tmp_path):
    (tmp_path / "inv.pdf").write_bytes(invoice_pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(tmp_path / "inv.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    found = [
        code
        for page in sorted(tmp_path.glob("page*.png"))
        for code in zxingcpp.read_barcodes(Image.open(page))
    ]
    assert [code.text.split("\n")[6:] for code in found] == [
        ["DE89370400440532013000", "EUR15135", "", "", "INV-2026-00007"]
    ]


def test_a_credit_note_pdf_says_so_with_negative_amounts_and_its_own_xml():
    pdf = einvoice.invoice_pdf(docs.credit_note(), DEMO_HOUSE)
    text = _text(pdf)
    assert "Credit note CN-2026-00003" in text
    assert "corrects invoice INV-2026-00007" in text
    assert "Total credited -€2,975.00" in _rows(pdf)
    (xml,) = pypdf.PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"]
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert b"<ram:GrandTotalAmount>2975.00</ram:GrandTotalAmount>" in xml


def test_a_proforma_gets_a_plain_pdf_without_an_e_invoice():
    proforma = docs.invoice(kind="proforma", number=None, issued_at=None, seq=None)
    pdf = einvoice.invoice_pdf(proforma, DEMO_HOUSE)
    assert not pypdf.PdfReader(io.BytesIO(pdf)).attachments
    assert "Pro-forma invoice" in _text(pdf)


@pytest.mark.slow
def test_a_500_character_name_wraps_inside_the_page():
    name = "W" * 500
    buyer = dataclasses.replace(docs.BUYER, name=name)
    lines = tuple(dataclasses.replace(line, title="T" * 300) for line in docs.LINES[:2])
    doc = docs.invoice(buyer=buyer, lines=lines)
    pdf = pdf_bytes(render.invoice_html(doc, DEMO_HOUSE))
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', _pdftotext(pdf, "-bbox")
    )
    assert words
    assert max(float(x_max) for _, x_max in words) < A4_WIDTH_PT - 30  # inside the right margin
    assert min(float(x_min) for x_min, _ in words) > 30
    flat = re.sub(r"\s+", "", _pdftotext(pdf))
    assert name in flat  # printed whole, over several lines


def test_a_hostile_name_prints_as_its_characters():
    name = '<img src="x"><script>alert(1)</script>'
    buyer = dataclasses.replace(docs.BUYER, name=name)
    pdf = pdf_bytes(render.invoice_html(docs.invoice(buyer=buyer), DEMO_HOUSE))
    assert re.sub(r"\s+", "", name) in re.sub(r"\s+", "", _pdftotext(pdf))


def test_nothing_outside_the_document_is_loaded(tmp_path):
    png = tmp_path / "secret.png"
    Image.new("RGB", (40, 40), "red").save(png)
    inline = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()

    def images(src: str) -> int:
        html = f'<!DOCTYPE html><html><body><p>x</p><img src="{src}"></body></html>'
        reader = pypdf.PdfReader(io.BytesIO(pdf_bytes(html)))
        return sum(len(page.images) for page in reader.pages)

    assert images(inline) == 1  # an inline image is drawn: the count can see one
    assert images(png.as_uri()) == 0  # a file on the machine is not read
    assert images("http://127.0.0.1:9/x.png") == 0  # nor anything on the network


def test_pdfs_asked_for_from_several_threads_all_come_out_whole():
    pages = [f"<!DOCTYPE html><html><body><h1>Document {n}</h1></body></html>" for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(pdf_bytes, pages))
    for n, pdf in enumerate(pdfs):
        assert f"Document {n}" in _text(pdf)


def test_names_in_other_scripts_print_with_real_glyphs():
    """DejaVu covers Latin, Greek, Cyrillic, Arabic and Hebrew; Chinese, Japanese and Korean
    come from Noto CJK (scripts/setup). Without it they would print as empty boxes while the
    text layer still read right, so the embedded fonts are what is checked."""
    names = ["山田太郎", "김민준", "محمد العلي", "דוד כהן", "Ζωή Παπαδοπούλου", "Пётр Смирнов"]
    buyer = dataclasses.replace(docs.BUYER, name=" / ".join(names))
    pdf = pdf_bytes(render.invoice_html(docs.invoice(buyer=buyer), DEMO_HOUSE))
    text = _pdftotext(pdf)
    for name in names[:2] + names[4:]:
        assert name in text
    fonts = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    assert "CJK-JP" in fonts or "CJK-SC" in fonts  # the ideographs
    assert "CJK-KR" in fonts  # Hangul
