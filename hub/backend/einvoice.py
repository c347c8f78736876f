"""The EN 16931 e-invoice: Factur-X (ZUGFeRD 2) CII XML at level EN 16931, built with lxml and
embedded in the invoice's PDF/A-3 (WeasyPrint's variant) with the factur-x library, which writes
the Factur-X XMP metadata and checks the XML against the schema (XSD).

Seller = the house profile, buyer = the document's party, one invoice line per priced line of
the document (hammer, premium, surcharge, artist's resale right), each citing its lot and the
seq of its hammer event; VAT and import VAT are not lines but the VAT breakdown (BG-23).

VAT category mapping (UNCL 5305 as EN 16931 allows it), by the lot's scheme:

| scheme / line                     | category | rate          | exemption (BT-121 / BT-120)    |
|-----------------------------------|----------|---------------|--------------------------------|
| standard: hammer, premium, surch. | S        | the lot's VAT | —                              |
| reduced: the same                 | S        | reduced rate  | — (EN 16931 has no "AA")       |
| zero: the same                    | Z        | 0             | —                              |
| margin: hammer, premium, surch.   | E        | 0             | VATEX-EU-F, margin-scheme text |
| import: hammer                    | S        | import rate   | — (the import VAT line's rate) |
| import: premium, surcharge        | E        | 0             | VATEX-EU-F, margin-scheme text |
| ARR royalty (any scheme)          | E        | 0             | text: outside VAT, for artist  |

The margin scheme has no category of its own in EN 16931: its VAT is inside the premium and
must not be shown, so the lines go as exempt (E) with the margin-scheme exemption code
VATEX-EU-F ("second-hand goods") and the Art. 226(14) words in BT-120; the VAT inside stays on
the printed invoice only. The ARR royalty is not a supply by the house; category O ("not
subject to VAT") would forbid every other breakdown group (BR-O-11), so it joins the E group
and BT-120 says what it is. When an E group holds no margin line it carries the text only.

Not possible as an EN 16931 invoice (`einvoice_problems` says why; `invoice_pdf` then makes the
plain PDF): a pro-forma, US-style sales tax lines, a buyer without name or country, a house
without a VAT number. VAT amounts are the journal's, rounded per lot (docs/MONEY.md); a
validator that recomputes BT-117 from the group's base may differ by a cent per lot.
Dates are the sale's calendar days (`tz`; UTC without one). Payments allocated to the invoice
so far are its paid amount (BT-113); credit notes are documents of their own (type 381, naming
the invoice), so the amount due (BT-115) does not subtract them, while the printed invoice shows
what is left after them.
The tests also run the Factur-X EN 16931 schematron (the CEN business rules) with SaxonC-HE;
its one remark is a warning (PEPPOL-EN16931-R008) about the empty delivery group: the documents
carry no delivery date, and an invented one would be worse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import facturx
from lxml import etree

from hub.backend.house import HouseProfile
from hub.backend.money import decimals
from hub.backend.pdf import PDF_A_3B, layout, pdf_bytes, write
from hub.backend.render import (
    ARR_NOTICE,
    MARGIN_NOTICE,
    credit_note_html,
    invoice_html,
    local_day,
)
from hub.backend.statements import DocLine, InvoiceDoc, Party

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
GUIDELINE = "urn:cen.eu:en16931:2017"  # Factur-X level EN 16931 ("comfort")
LEVEL = "en16931"
TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
SEPA_TRANSFER = "58"  # UNTDID 4461: SEPA credit transfer
UNIT = "C62"  # one (UN/ECE rec. 20)
MARGIN_CODE = "VATEX-EU-F"
ARR_REASON = "Artist's resale right royalty (Directive 2001/84/EC): not subject to VAT"
PRICED_KINDS = ("hammer", "premium", "surcharge", "arr")
TAX_KINDS = ("vat", "import_vat")
# XML 1.0 refuses control characters other than tab and line breaks.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_POSTCODE = re.compile(r"\S*\d\S*")


class EInvoiceError(ValueError):
    """This document cannot be an EN 16931 e-invoice, or its XML failed the schema."""


@dataclass(frozen=True, slots=True)
class _Item:
    """An invoice line as EN 16931 sees it: net amount, VAT category and rate."""

    line: DocLine
    amount: int  # positive, also on a credit note
    category: str
    rate_bp: int


@dataclass(frozen=True, slots=True)
class _Group:
    """One VAT breakdown (BG-23): a category and rate, its base, its VAT."""

    category: str
    rate_bp: int
    basis: int
    tax: int
    reason: str = ""
    reason_code: str = ""


def einvoice_problems(doc: InvoiceDoc, house: HouseProfile) -> list[str]:
    """Why `doc` cannot be an EN 16931 invoice; empty when it can."""
    out = []
    if doc.kind not in ("invoice", "credit_note") or not doc.number:
        out.append("a pro-forma is not an invoice")
    if doc.kind == "credit_note" and not doc.refers_to:
        out.append("a credit note must name the invoice it corrects")
    if any(line.kind == "sales_tax" for line in doc.lines):
        out.append("sales tax has no place in an EN 16931 (VAT) invoice")
    if (
        unknown := {line.kind for line in doc.lines}
        - set(PRICED_KINDS)
        - set(TAX_KINDS)
        - {"sales_tax"}
    ):
        out.append(f"lines of kinds an invoice does not hold: {', '.join(sorted(unknown))}")
    if not doc.buyer.name.strip():
        out.append("the buyer has no name on record")
    if not doc.buyer.country.strip():
        out.append("the buyer has no country on record")
    elif not country_code(doc.buyer.country):
        out.append(f"the buyer's country {doc.buyer.country[:60]!r} is not a two-letter ISO code")
    if decimals(doc.currency) > 2:
        out.append(f"{doc.currency} has {decimals(doc.currency)} decimals; EN 16931 allows two")
    if not house.vat_id:
        out.append("the house profile has no VAT number")
    sign = -1 if doc.kind == "credit_note" else 1
    if any(line.amount * sign < 0 for line in doc.lines):
        out.append("a line's amount has the wrong sign for this document")
    if sum(line.amount for line in doc.lines) != doc.totals.total:
        out.append("the lines do not add up to the total")
    return out


def country_code(text: str) -> str:
    """An ISO 3166 alpha-2 code from what a form holds ("de", " GB "; "UK", the usual slip, is
    GB), or "" when it is not one."""
    code = text.strip().upper()
    code = {"UK": "GB"}.get(code, code)
    return code if re.fullmatch(r"[A-Z]{2}", code) else ""


def _items(doc: InvoiceDoc, sign: int) -> list[_Item]:
    vat_rate: dict[str, int] = {}  # the lot's VAT rate (standard, reduced)
    import_rate: dict[str, int] = {}
    for line in doc.lines:
        if line.kind == "vat":
            vat_rate.setdefault(line.lot, line.rate_bp or 0)
        elif line.kind == "import_vat":
            import_rate.setdefault(line.lot, line.rate_bp or 0)
    out = []
    for line in doc.lines:
        if line.kind not in PRICED_KINDS:
            continue
        scheme = line.vat_scheme
        if line.kind == "arr" or scheme == "margin":
            category, rate = "E", 0
        elif scheme == "import":
            if line.kind == "hammer" and import_rate.get(line.lot):
                category, rate = "S", import_rate[line.lot]
            else:
                category, rate = "E", 0
        elif vat_rate.get(line.lot):  # standard, reduced
            category, rate = "S", vat_rate[line.lot]
        else:  # zero-rated, or a lot whose rate is 0
            category, rate = "Z", 0
        out.append(_Item(line, line.amount * sign, category, rate))
    return out


def _groups(doc: InvoiceDoc, items: list[_Item], sign: int) -> list[_Group]:
    basis: dict[tuple[str, int], int] = {}
    for item in items:
        key = (item.category, item.rate_bp)
        basis[key] = basis.get(key, 0) + item.amount
    tax: dict[tuple[str, int], int] = {}
    for line in doc.lines:
        if line.kind in TAX_KINDS and line.amount:
            key = ("S", line.rate_bp or 0)
            tax[key] = tax.get(key, 0) + line.amount * sign
    if set(tax) - set(basis):
        raise EInvoiceError("a VAT line has no line it is charged on at the same rate")
    exempt = [item for item in items if item.category == "E"]
    margin = any(item.line.kind != "arr" for item in exempt)
    reasons = ([MARGIN_NOTICE] if margin else []) + (
        [ARR_REASON] if any(item.line.kind == "arr" for item in exempt) else []
    )
    return [
        _Group(
            category=category,
            rate_bp=rate,
            basis=amount,
            tax=tax.get((category, rate), 0),
            reason=" ".join(reasons) if category == "E" else "",
            reason_code=MARGIN_CODE if category == "E" and margin else "",
        )
        for (category, rate), amount in sorted(basis.items())
    ]


def _amount(minor: int, currency: str) -> str:
    digits = decimals(currency)
    sign = "-" if minor < 0 else ""
    major, rest = divmod(abs(minor), 10**digits)
    return f"{sign}{major}.{rest:0{digits}d}" if digits else f"{sign}{major}"


def _percent(rate_bp: int) -> str:
    return f"{rate_bp // 100}.{rate_bp % 100:02d}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


class _Builder:
    """Elements in the order the schema wants them."""

    @staticmethod
    def sub(
        parent: etree._Element, tag: str, text: str | None = None, **attrs: str
    ) -> etree._Element:
        prefix, name = tag.split(":")
        el = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrs)
        if text is not None:
            el.text = _clean(text)
        return el

    def date(self, parent: etree._Element, tag: str, when: date) -> None:
        self.sub(self.sub(parent, tag), "udt:DateTimeString", when.strftime("%Y%m%d"), format="102")

    def address(self, parent: etree._Element, lines: Iterable[str], country: str) -> None:
        lines = [line.strip() for line in lines if line.strip()]
        postcode, city = "", ""
        if len(lines) >= 2:
            last = lines.pop()
            first, _, rest = last.partition(" ")
            if rest and _POSTCODE.fullmatch(first):
                postcode, city = first, rest
            else:
                city = last
        el = self.sub(parent, "ram:PostalTradeAddress")
        if postcode:
            self.sub(el, "ram:PostcodeCode", postcode)
        street = lines[:2] + ([", ".join(lines[2:])] if lines[2:] else [])
        for tag, text in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), street, strict=False):
            self.sub(el, tag, text)
        if city:
            self.sub(el, "ram:CityName", city)
        self.sub(el, "ram:CountryID", country)

    def party(self, parent: etree._Element, tag: str, who: Party) -> None:
        el = self.sub(parent, tag)
        self.sub(el, "ram:Name", who.name)
        self.address(el, who.address.split("\n"), who.country)
        if who.email:
            contact = self.sub(el, "ram:URIUniversalCommunication")
            self.sub(contact, "ram:URIID", who.email, schemeID="EM")
        if who.vat_id:
            tax = self.sub(el, "ram:SpecifiedTaxRegistration")
            self.sub(tax, "ram:ID", who.vat_id, schemeID="VA")


def cii_xml(doc: InvoiceDoc, house: HouseProfile, *, tz: str | None = None) -> bytes:
    """The EN 16931 CII XML of an invoice or credit note (credit note amounts positive, as the
    standard wants them, with type 381). Raises EInvoiceError when the document cannot be one."""
    problems = einvoice_problems(doc, house)
    if problems:
        raise EInvoiceError("; ".join(problems))
    assert doc.number is not None
    credit = doc.kind == "credit_note"
    sign = -1 if credit else 1
    cur = doc.currency.upper()
    items = _items(doc, sign)
    groups = _groups(doc, items, sign)
    b = _Builder()
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)

    context = b.sub(root, "rsm:ExchangedDocumentContext")
    b.sub(b.sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    head = b.sub(root, "rsm:ExchangedDocument")
    b.sub(head, "ram:ID", doc.number)
    b.sub(head, "ram:TypeCode", TYPE_CREDIT_NOTE if credit else TYPE_INVOICE)
    issued = local_day(doc.issued_at if doc.issued_at is not None else 0, tz)  # the sale's day
    b.date(head, "ram:IssueDateTime", issued)
    notes = [f"Sale: {doc.sale_title} ({doc.sale}), paddle {doc.paddle}"]
    if credit:
        notes.append(f"Credit note correcting invoice {doc.refers_to}. {doc.reason}".strip())
    if any(g.reason_code == MARGIN_CODE for g in groups):
        notes.append(MARGIN_NOTICE)
    if any(item.line.kind == "arr" for item in items):
        notes.append(ARR_NOTICE)
    for note in notes:
        b.sub(b.sub(head, "ram:IncludedNote"), "ram:Content", note)

    trade = b.sub(root, "rsm:SupplyChainTradeTransaction")
    for number, item in enumerate(items, start=1):
        line = item.line
        el = b.sub(trade, "ram:IncludedSupplyChainTradeLineItem")
        line_doc = b.sub(el, "ram:AssociatedDocumentLineDocument")
        b.sub(line_doc, "ram:LineID", str(number))
        b.sub(
            b.sub(line_doc, "ram:IncludedNote"),
            "ram:Content",
            f"Lot {line.lot}, hammer event seq {line.hammer_seq}",
        )
        product = b.sub(el, "ram:SpecifiedTradeProduct")
        b.sub(product, "ram:SellerAssignedID", f"{line.lot}/{line.kind}")
        b.sub(product, "ram:Name", f"Lot {line.lot}: {line.title} — {line.label or line.kind}")
        agreement = b.sub(el, "ram:SpecifiedLineTradeAgreement")
        price = b.sub(agreement, "ram:NetPriceProductTradePrice")
        b.sub(price, "ram:ChargeAmount", _amount(item.amount, cur))
        b.sub(b.sub(el, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", "1", unitCode=UNIT)
        settle = b.sub(el, "ram:SpecifiedLineTradeSettlement")
        tax = b.sub(settle, "ram:ApplicableTradeTax")
        b.sub(tax, "ram:TypeCode", "VAT")
        b.sub(tax, "ram:CategoryCode", item.category)
        b.sub(tax, "ram:RateApplicablePercent", _percent(item.rate_bp))
        summation = b.sub(settle, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        b.sub(summation, "ram:LineTotalAmount", _amount(item.amount, cur))

    agreement = b.sub(trade, "ram:ApplicableHeaderTradeAgreement")
    b.sub(agreement, "ram:BuyerReference", f"Paddle {doc.paddle}")
    seller = Party(
        reference="",
        name=house.name,
        address=house.address,
        country=house.country,
        email=house.email,
        vat_id=house.vat_id,
    )
    b.party(agreement, "ram:SellerTradeParty", seller)
    buyer = replace(doc.buyer, country=country_code(doc.buyer.country))
    b.party(agreement, "ram:BuyerTradeParty", buyer)
    b.sub(trade, "ram:ApplicableHeaderTradeDelivery")

    settlement = b.sub(trade, "ram:ApplicableHeaderTradeSettlement")
    b.sub(
        settlement,
        "ram:PaymentReference",
        doc.refers_to if credit and doc.refers_to else doc.number,
    )
    b.sub(settlement, "ram:InvoiceCurrencyCode", cur)
    if house.iban and not credit:
        means = b.sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        b.sub(means, "ram:TypeCode", SEPA_TRANSFER)
        account = b.sub(means, "ram:PayeePartyCreditorFinancialAccount")
        b.sub(account, "ram:IBANID", house.iban)
        b.sub(account, "ram:AccountName", house.name)
        if house.bic:
            institution = b.sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            b.sub(institution, "ram:BICID", house.bic)
    for group in groups:
        tax = b.sub(settlement, "ram:ApplicableTradeTax")
        b.sub(tax, "ram:CalculatedAmount", _amount(group.tax, cur))
        b.sub(tax, "ram:TypeCode", "VAT")
        if group.reason:
            b.sub(tax, "ram:ExemptionReason", group.reason)
        b.sub(tax, "ram:BasisAmount", _amount(group.basis, cur))
        b.sub(tax, "ram:CategoryCode", group.category)
        if group.reason_code:
            b.sub(tax, "ram:ExemptionReasonCode", group.reason_code)
        b.sub(tax, "ram:RateApplicablePercent", _percent(group.rate_bp))
    terms = b.sub(settlement, "ram:SpecifiedTradePaymentTerms")
    if credit:  # BR-CO-25: a positive amount due needs terms, a credit note's too
        text = f"Credited against invoice {doc.refers_to}; any overpayment is refunded"
        b.sub(terms, "ram:Description", text)
    else:
        b.sub(
            terms,
            "ram:Description",
            f"Payable within {house.payment_days} days, quoting {doc.number}",
        )
        b.date(terms, "ram:DueDateDateTime", issued + timedelta(days=house.payment_days))

    line_total = sum(item.amount for item in items)
    tax_total = sum(group.tax for group in groups)
    grand = line_total + tax_total
    if grand != doc.totals.total * sign:
        raise EInvoiceError("the e-invoice's total differs from the document's")
    prepaid = 0 if credit else doc.paid
    sums = b.sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    b.sub(sums, "ram:LineTotalAmount", _amount(line_total, cur))
    b.sub(sums, "ram:TaxBasisTotalAmount", _amount(line_total, cur))
    b.sub(sums, "ram:TaxTotalAmount", _amount(tax_total, cur), currencyID=cur)
    b.sub(sums, "ram:GrandTotalAmount", _amount(grand, cur))
    if prepaid:
        b.sub(sums, "ram:TotalPrepaidAmount", _amount(prepaid, cur))
    b.sub(sums, "ram:DuePayableAmount", _amount(grand - prepaid, cur))
    if credit and doc.refers_to:
        ref = b.sub(settlement, "ram:InvoiceReferencedDocument")
        b.sub(ref, "ram:IssuerAssignedID", doc.refers_to)

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def check_xml(xml: bytes) -> None:
    """The factur-x library's XSD check at level EN 16931; EInvoiceError when it fails."""
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level=LEVEL)
    except Exception as exc:  # the library raises bare Exception
        raise EInvoiceError(f"the e-invoice XML fails the EN 16931 schema: {exc}") from exc


def _page(doc: InvoiceDoc, house: HouseProfile, tz: str | None) -> str:
    if doc.kind == "credit_note":
        return credit_note_html(doc, house, tz=tz)
    return invoice_html(doc, house, tz=tz)


def facturx_pdf(doc: InvoiceDoc, house: HouseProfile, *, tz: str | None = None) -> bytes:
    """The invoice (or credit note) PDF with its EN 16931 XML embedded as factur-x.xml, XSD
    checked. Blocking (WeasyPrint): run it in a worker thread."""
    document = layout(_page(doc, house, tz), variant=PDF_A_3B)
    return _embed(doc, house, write([document], variant=PDF_A_3B), tz)


def _embed(doc: InvoiceDoc, house: HouseProfile, pdf: bytes, tz: str | None) -> bytes:
    """`pdf` (PDF/A-3b, the document's own pages) with its XML attached."""
    xml = cii_xml(doc, house, tz=tz)
    check_xml(xml)
    title = f"{'Credit note' if doc.kind == 'credit_note' else 'Invoice'} {doc.number}"
    try:
        out = facturx.generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=LEVEL,
            check_xsd=True,
            pdf_metadata={
                "author": house.name,
                "keywords": "Factur-X, Invoice",
                "title": f"{house.name}: {title}",
                "subject": title,
            },
            lang="en",
        )
    except Exception as exc:  # the library raises bare Exception
        raise EInvoiceError(f"the e-invoice could not be embedded: {exc}") from exc
    return bytes(out)


@dataclass(frozen=True, slots=True)
class PrintRun:
    """Many documents' PDFs from one layout each: `files` holds each document's own PDF
    (number, bytes; Factur-X when it can be an e-invoice), `combined` every page in order as
    one PDF to print, and `pages` where each document sits in it (number, first page from 0,
    page count)."""

    files: tuple[tuple[str, bytes], ...]
    combined: bytes
    pages: tuple[tuple[str, int, int], ...]


def print_run(
    docs: Sequence[InvoiceDoc], house: HouseProfile, *, tz: str | None = None, files: bool = True
) -> PrintRun:
    """The PDFs of many invoices and credit notes (a house printing at close): each is laid
    out once (its footer counts its own pages) and written twice from that layout, as its own
    file and into the one print file, instead of being laid out again. `files=False` makes
    the print file only. Blocking and CPU-bound: a bulk run belongs in another process."""
    laid_out = [layout(_page(doc, house, tz), variant=PDF_A_3B) for doc in docs]
    own: list[tuple[str, bytes]] = []
    pages: list[tuple[str, int, int]] = []
    first = 0
    for doc, document in zip(docs, laid_out, strict=True):
        number = str(doc.number)
        pages.append((number, first, len(document.pages)))
        first += len(document.pages)
        if not files:
            continue
        if einvoice_problems(doc, house):
            own.append((number, write([document])))
        else:
            own.append((number, _embed(doc, house, write([document], variant=PDF_A_3B), tz)))
    return PrintRun(tuple(own), write(laid_out), tuple(pages))


def invoice_pdf(doc: InvoiceDoc, house: HouseProfile, *, tz: str | None = None) -> bytes:
    """The PDF for an invoice, credit note or pro-forma: a Factur-X PDF when the document can
    be an EN 16931 invoice, the plain PDF otherwise. Blocking: run it in a worker thread."""
    if not einvoice_problems(doc, house):
        return facturx_pdf(doc, house, tz=tz)
    return pdf_bytes(_page(doc, house, tz))
