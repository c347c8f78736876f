"""The EPC payment QR ("GiroCode", EPC069-12) printed on an invoice: a buyer's banking app scans
it and fills in a SEPA credit transfer to the house with the amount owed and the invoice number.

segno builds the payload (version 002: the BIC is optional inside the EEA) and the symbol (error
level M, at most version 13, as the standard requires). The invoice number goes in the
unstructured remittance field (it is not an ISO 11649 "RF" creditor reference). Only for euros
and an amount owed from 0.01 to 999,999,999.99; anything else gets no code (`EpcError`), never
a code for a wrong amount.
"""

from __future__ import annotations

from decimal import Decimal

import segno
from segno import helpers

from hub.backend.house import HouseProfile
from hub.backend.statements import InvoiceDoc

NAME_LIMIT = 70  # the beneficiary's name, as EPC069-12 allows
MAX_AMOUNT = 99_999_999_999  # EUR 999,999,999.99 in cents


class EpcError(ValueError):
    """No payment code can be made for this amount, currency or house."""


def epc_qr(house: HouseProfile, amount: int, reference: str, currency: str = "EUR") -> segno.QRCode:
    """The EPC QR code for paying `amount` (euro cents) to the house, quoting `reference`."""
    if currency.upper() != "EUR":
        raise EpcError(f"EPC payment codes are for euros only, not {currency}")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise EpcError("the amount must be an int of cents")
    if not 0 < amount <= MAX_AMOUNT:
        raise EpcError("the amount must be from 0.01 to 999,999,999.99 euros")
    if not house.iban:
        raise EpcError("the house profile has no IBAN")
    reference = reference.strip()
    if not reference:
        raise EpcError("a payment code needs a reference (the invoice number)")
    if any(ord(char) < 32 for char in reference + house.name):
        raise EpcError("a line break or control character would shift the code's fields")
    try:
        return helpers.make_epc_qr(
            name=house.name[:NAME_LIMIT],
            iban=house.iban,
            amount=Decimal(amount).scaleb(-2),
            text=reference,
            bic=house.bic or None,
        )
    except ValueError as exc:  # segno's length checks (the reference over 140 characters)
        raise EpcError(str(exc)) from None


def epc_payload(house: HouseProfile, amount: int, reference: str, currency: str = "EUR") -> str:
    """The text the code carries, one field a line (EPC069-12 version 002): BCD, 002, charset,
    SCT, BIC, name, IBAN, EUR amount, purpose, structured reference, remittance text. Written
    out here on its own, so a test can hold segno's code against it."""
    epc_qr(house, amount, reference, currency)  # the same checks as the printed code
    euros, cents = divmod(amount, 100)
    figure = f"{euros}.{cents:02d}".rstrip("0").rstrip(".")
    fields = [
        "BCD",
        "002",
        "",
        "SCT",
        house.bic,
        house.name[:NAME_LIMIT].strip(),
        house.iban,
        f"EUR{figure}",
        "",
        "",
        reference.strip(),
    ]
    text = "\n".join(fields)
    fields[2] = str(_charset(text))
    return "\n".join(fields)


# EPC069-12 character sets by number; segno picks the first Latin one that holds the text.
_CHARSETS = (
    "utf-8",
    "iso-8859-1",
    "iso-8859-2",
    "iso-8859-4",
    "iso-8859-5",
    "iso-8859-7",
    "iso-8859-10",
    "iso-8859-15",
)


def _charset(text: str) -> int:
    for number, name in enumerate(_CHARSETS[1:], start=2):
        try:
            text.encode(name)
        except UnicodeEncodeError:
            continue
        return number
    return 1


def epc_qr_svg(house: HouseProfile, amount: int, reference: str, currency: str = "EUR") -> str:
    """The code as an inline SVG element for an HTML page (no XML declaration)."""
    qr = epc_qr(house, amount, reference, currency)
    svg: str = qr.svg_inline(border=4, svgclass="epc-qr", lineclass=None, omitsize=True)
    return svg


def invoice_qr_svg(doc: InvoiceDoc, house: HouseProfile) -> str | None:
    """The code an invoice prints, or None: only an issued invoice in euros with something
    owed, from a house with a bank account."""
    if doc.kind != "invoice" or not doc.number or doc.owed <= 0:
        return None
    if doc.currency.upper() != "EUR" or not house.iban:
        return None
    try:
        return epc_qr_svg(house, doc.owed, doc.number, doc.currency)
    except EpcError:
        return None  # e.g. over the EPC maximum: the printed bank details still apply
