"""The money documents as HTML: the figures and names are there, hostile text stays text."""

from __future__ import annotations

import dataclasses
import os
import re
from html.parser import HTMLParser

import pytest

from hub.backend import render
from hub.backend.house import DEMO_HOUSE, HouseProfile
from hub.backend.statements import Party, RealisedRow
from tests.backend import documents as docs


class _Text(HTMLParser):
    """The visible text of a page (script and style content left out) and its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _parse(page: str) -> _Text:
    parser = _Text()
    parser.feed(page)
    return parser


def _text(page: str) -> str:
    """Visible text with whitespace runs folded, as a reader sees it."""
    return re.sub(r"\s+", " ", " ".join(_parse(page).parts)).replace("\u00a0", " ")


def test_an_invoice_holds_its_number_buyer_lines_and_totals():
    page = render.invoice_html(docs.invoice(), DEMO_HOUSE)
    text = _text(page)
    assert "Invoice INV-2026-00007" in text
    assert "Ada Lovelace" in text
    assert "12 St James's Square" in text
    assert "London SW1Y 4JH" in text
    assert DEMO_HOUSE.name in text
    assert "VAT no. DE123456789" in text
    for line in docs.LINES:
        assert line.title in text
    for amount in ("€10,000.00", "€2,500.00", "€300.00", "€400.00", "€2,000.00", "€380.00"):
        assert amount in text
    assert "€95.00" in text
    assert "€210.00" in text
    assert "Total €20,135.00" in text
    assert "Paid €5,000.00" in text
    assert "Amount owed €15,135.00" in text
    assert "€566.81" in text  # the VAT inside the premium under the margin scheme
    assert "2 December 2026" in text
    assert "16 December 2026" in text  # due: 14 payment days later


def test_every_line_cites_the_seq_of_its_hammer_event():
    page = render.invoice_html(docs.invoice(), DEMO_HOUSE)
    rows = re.findall(r'<tr class="line kind-(\w+)">(.*?)</tr>', page, re.S)
    assert len(rows) == len(docs.LINES)
    for (kind, row), line in zip(rows, docs.LINES, strict=True):
        assert kind == line.kind
        assert f"seq {line.hammer_seq}" in row
        assert render.format_money(line.amount, "EUR") in row


def test_an_invoice_in_euros_with_something_owed_carries_the_payment_details_and_qr():
    page = render.invoice_html(docs.invoice(), DEMO_HOUSE)
    text = _text(page)
    assert "DE89 3704 0044 0532 0130 00" in text
    assert "COBADEFFXXX" in text
    assert "quoting INV-2026-00007" in text
    assert page.count('<svg class="epc-qr"') + page.count('class="epc-qr"') >= 1


def test_no_qr_when_nothing_is_owed_or_not_in_euros_or_asked_not_to():
    paid = render.invoice_html(docs.invoice(paid=2_013_500, owed=0), DEMO_HOUSE)
    assert "epc-qr" not in paid
    assert "Nothing is owed on this invoice" in _text(paid)
    pounds = render.invoice_html(docs.invoice(currency="GBP"), DEMO_HOUSE)
    assert "epc-qr" not in pounds
    assert "£20,135.00" in _text(pounds)
    assert "How to pay" in _text(pounds)  # the bank details still print
    assert "epc-qr" not in render.invoice_html(docs.invoice(), DEMO_HOUSE, qr=False)


def test_a_house_without_a_bank_account_prints_no_bank_details():
    bare = HouseProfile(name="Cash Only Auctions", address="Market Square\nLeeds", country="GB")
    page = render.invoice_html(docs.invoice(), bare)
    assert "IBAN" not in _text(page)
    assert "epc-qr" not in page


def test_an_invoice_partly_credited_shows_the_credit_between_total_and_owed():
    # lot 2 (€2,975.00) credited, €5,000.00 paid: €20,135.00 - 2,975.00 - 5,000.00 = €12,160.00
    text = _text(render.invoice_html(docs.invoice(owed=1_216_000), DEMO_HOUSE))
    assert "Total €20,135.00 " in text
    assert "Credited by credit notes -€2,975.00 Paid €5,000.00 Amount owed €12,160.00" in text
    assert "Credited" not in _text(render.invoice_html(docs.invoice(), DEMO_HOUSE))


def test_a_proforma_says_it_is_not_an_invoice():
    page = render.invoice_html(
        docs.invoice(kind="proforma", number=None, issued_at=None, seq=None), DEMO_HOUSE
    )
    text = _text(page)
    assert "Pro-forma invoice" in text
    assert "Not an invoice" in text
    assert "epc-qr" not in page
    assert "Total €20,135.00" in text


def test_margin_and_arr_notices_appear_only_when_their_lines_do():
    page = render.invoice_html(docs.invoice(), DEMO_HOUSE)
    assert render.MARGIN_NOTICE.split(" — ")[0] in _text(page)
    assert "artist's resale right royalty" in _text(page)
    standard = tuple(line for line in docs.LINES if line.vat_scheme == "standard")
    plain = _text(render.invoice_html(docs.invoice(lines=standard), DEMO_HOUSE))
    assert "Margin scheme" not in plain
    assert "resale right royalty" not in plain


def test_a_credit_note_says_so_names_the_invoice_and_shows_negative_amounts():
    page = render.credit_note_html(docs.credit_note(), DEMO_HOUSE)
    text = _text(page)
    assert "Credit note CN-2026-00003" in text
    assert "corrects invoice INV-2026-00003" not in text
    assert "This credit note corrects invoice INV-2026-00007" in text
    assert "Reknocked to paddle 57" in text
    for amount in ("-€2,000.00", "-€500.00", "-€380.00", "-€95.00"):
        assert amount in text
    assert "Total credited -€2,975.00" in text
    assert "not a request for payment" in text
    assert "epc-qr" not in page
    assert "Invoice INV" not in text  # never titled an invoice


def test_invoice_html_hands_a_credit_note_to_its_own_template():
    assert render.invoice_html(docs.credit_note(), DEMO_HOUSE) == render.credit_note_html(
        docs.credit_note(), DEMO_HOUSE
    )
    with pytest.raises(ValueError, match="credit_note"):
        render.credit_note_html(docs.invoice(), DEMO_HOUSE)


HOSTILE = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }} {% raw %}",
    "Robert'); DROP TABLE identities;--",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_print_as_text(name):
    buyer = dataclasses.replace(docs.BUYER, name=name, address=name + "\n" + name)
    lines = tuple(dataclasses.replace(line, title=name, label=name) for line in docs.LINES)
    house = dataclasses.replace(DEMO_HOUSE, name=name, invoice_terms=name)
    page = render.invoice_html(docs.invoice(buyer=buyer, lines=lines, sale_title=name), house)
    parsed = _parse(page)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert all("onerror" not in attrs for attrs in re.findall(r"<[a-z]+([^>]*)>", page))
    assert name in _text(page)  # shown to the reader exactly as typed
    assert "49" not in _text(page).replace("+49", "")  # no template ran inside a name


def test_hostile_text_in_every_document_is_escaped():
    evil = "<script>alert(1)</script>"
    consignor = Party(reference=evil, name=evil, address=evil)
    pages = [
        render.credit_note_html(docs.credit_note(reason=evil), DEMO_HOUSE),
        render.receipt_html(
            docs.account(),
            docs.payment(reference=evil, by=evil, payer=evil, third_party_reason=evil),
            DEMO_HOUSE,
        ),
        render.settlement_html(docs.settlement(consignor=consignor), DEMO_HOUSE),
        render.summary_html(docs.summary(sale_title=evil, unsold=(evil,))),
        render.prices_realised_html([RealisedRow(evil, evil, evil, 1, 2)], evil, "EUR"),
    ]
    for page in pages:
        assert "script" not in _parse(page).tags
        assert evil in _text(page)


def test_a_right_to_left_name_is_isolated_from_the_figures_around_it():
    name = "محمد بن سلمان العلي"
    buyer = dataclasses.replace(docs.BUYER, name=name, address="شارع الملك فهد\nالرياض")
    page = render.invoice_html(docs.invoice(buyer=buyer), DEMO_HOUSE)
    assert f"<bdi>{name}</bdi>" in page
    assert 'dir="auto"><bdi>شارع الملك فهد</bdi>' in page
    assert "Amount owed €15,135.00" in _text(page)


def test_a_500_character_name_is_printed_whole_and_allowed_to_wrap():
    name = "W" * 500
    spaced = " ".join(["Bartholomew-Featherstonehaugh"] * 17)[:500]
    buyer = dataclasses.replace(docs.BUYER, name=name, address=spaced)
    page = render.invoice_html(docs.invoice(buyer=buyer), DEMO_HOUSE)
    assert name in page
    assert spaced in page
    css = page.split("<style>")[1].split("</style>")[0]
    assert "overflow-wrap: anywhere" in css
    assert re.search(r"\.party[^{]*\{[^}]*min-width: 0", css)


def test_a_receipt_names_the_payment_the_account_and_a_third_party_payer():
    page = render.receipt_html(docs.account(), docs.payment(), DEMO_HOUSE)
    text = _text(page)
    assert "Receipt PAY-410" in text
    assert "Received: €5,000.00" in text
    assert "Card" in text
    assert "AUTH 889231" in text
    assert "cashier Bea" in text
    assert "Invoice INV-2026-00007 €20,135.00" in text
    assert "Owed €15,135.00" in text
    assert "Part paid" in text
    third = docs.payment(
        payer="Lovelace Holdings Ltd", third_party_reason="Company account, ID seen"
    )
    text = _text(render.receipt_html(docs.account(), third, DEMO_HOUSE))
    assert "from Lovelace Holdings Ltd on behalf of the buyer" in text
    assert "Company account, ID seen" in text
    refund = docs.payment(kind="refund", id="PAY-450", amount=10_000, method="transfer")
    text = _text(render.receipt_html(docs.account(), refund, DEMO_HOUSE))
    assert "Refund receipt PAY-450" in text
    assert "Refunded to the buyer: €100.00" in text


def test_a_settlement_holds_lots_deductions_net_and_payouts():
    text = _text(render.settlement_html(docs.settlement(), DEMO_HOUSE))
    assert "Settlement statement" in text
    assert "Estate of Henrietta Vane" in text
    assert "River landscape, oil on canvas sold seq 101 €10,000.00 yes" in text
    assert "Empty frame passed" in text
    assert "Commission 15 %" in text
    assert "-€1,500.00" in text
    assert "-€285.00" in text
    assert "Photography" in text
    assert "Deductions -€1,860.00" in text
    assert "Net proceeds €8,140.00" in text
    assert "-€3,000.00" in text
    assert "Still due to you €5,140.00" in text
    assert "FR14 2004 1010 0505 0001 3M02 606" in text
    assert "2027-01-01" in text


def test_a_summary_holds_counts_figures_sell_through_and_outstanding():
    text = _text(render.summary_html(docs.summary(), DEMO_HOUSE))
    assert "Sold 3" in text
    assert "Passed 1" in text
    assert "Sell-through by lots 75 %" in text
    assert "81.25 %" in text
    assert "Hammer €15,000.00" in text
    assert "VAT collected €1,251.81" in text
    assert "Lots 4" in text
    assert "42 €15,135.00" in text
    assert "charges and fees" not in text
    with_charges = _text(render.summary_html(docs.summary(charges=7_500), DEMO_HOUSE))
    assert "Consignors' charges and fees €75.00" in with_charges


def test_prices_realised_are_public_no_buyer_is_named():
    text = _text(render.prices_realised_html(docs.realised(), "Autumn Fine Art", "EUR"))
    assert "Prices realised" in text
    assert "River landscape, oil on canvas sold €10,000.00 €12,500.00" in text
    assert "Empty frame passed" in text
    assert "Ada" not in text
    assert "Paddle" not in text


def test_rendering_is_pure():
    assert render.invoice_html(docs.invoice(), DEMO_HOUSE) == render.invoice_html(
        docs.invoice(), DEMO_HOUSE
    )


def test_other_currencies_print_in_their_own_format():
    text = _text(render.invoice_html(docs.invoice(currency="CHF"), DEMO_HOUSE))
    assert "Total CHF 20,135.00" in text
    text = _text(render.invoice_html(docs.invoice(currency="JPY"), DEMO_HOUSE))
    assert "Total JPY 2,013,500" in text


# ------------------------------------------------------------------ in a real browser

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.mark.slow
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_document_fits_the_screen_without_sideways_scrolling(browser, viewport):
    long_buyer = dataclasses.replace(docs.BUYER, name="W" * 500, address="X" * 300)
    pages = {
        "invoice": render.invoice_html(docs.invoice(buyer=long_buyer), DEMO_HOUSE),
        "credit_note": render.credit_note_html(docs.credit_note(), DEMO_HOUSE),
        "receipt": render.receipt_html(docs.account(), docs.payment(), DEMO_HOUSE),
        "settlement": render.settlement_html(docs.settlement(), DEMO_HOUSE),
        "summary": render.summary_html(docs.summary(), DEMO_HOUSE),
        "prices_realised": render.prices_realised_html(docs.realised(), "Autumn", "EUR"),
    }
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    try:
        for name, html in pages.items():
            page.set_content(html)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], name
    finally:
        context.close()


def test_dates_are_the_sales_calendar_days():
    late = docs.invoice(issued_at=docs.ISSUED_AT + 11.5 * 3600)  # 23:30 UTC, 00:30 in Berlin
    assert "Date 2 December 2026 Due 16 December 2026" in _text(
        render.invoice_html(late, DEMO_HOUSE)
    )
    berlin = _text(render.invoice_html(late, DEMO_HOUSE, tz="Europe/Berlin"))
    assert "Date 3 December 2026 Due 17 December 2026" in berlin
    note = docs.credit_note(issued_at=docs.ISSUED_AT + 11.5 * 3600)
    assert "3 December 2026" in _text(render.credit_note_html(note, DEMO_HOUSE, tz="Europe/Berlin"))
    with pytest.raises(ValueError, match="unknown timezone"):
        render.invoice_html(late, DEMO_HOUSE, tz="Mars/Olympus_Mons")
