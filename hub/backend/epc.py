"""The EPC payment QR ("GiroCode", EPC069-12) printed on an invoice: a buyer's banking app scans
it and fills in a SEPA credit transfer to the house with the amount owed and the invoice number.

segno builds the payload (version 002: the BIC is optional inside the EEA) and the symbol (error
level M, at most version 13, as the standard requires). The invoice number goes in the
unstructured remittance field (it is not an ISO 11649 "RF" creditor reference). Only for euros
and an amount owed from 0.01 to 999,999,999.99; anything else gets no code (`EpcError`), never
a code for a wrong amount.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache, lru_cache

import segno
from segno import encoder, helpers

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
        with _fast_masks():
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
    """The code as an inline SVG element for an HTML page (no XML declaration). Cached per
    payload: an invoice shown on the desk, then printed, then mailed is encoded once."""
    return _svg(house.name, house.iban, house.bic, amount, reference, currency)


@lru_cache(maxsize=2048)
def _svg(name: str, iban: str, bic: str, amount: int, reference: str, currency: str) -> str:
    house = HouseProfile(name=name, address="", country="", vat_id="", iban=iban, bic=bic)
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


# --- A faster mask choice for segno ---------------------------------------------------------
# segno picks the QR data mask as ISO/IEC 18004 7.8.3 asks: all eight masks applied and scored
# (penalties N1-N4), the lowest kept. Its pure-Python loop over every module, eight times, was
# about 90 % of an invoice's HTML time (~60 ms a code). `_best_mask` computes the same scores
# with a row as one int (masking and N2 as bit operations) and runs found by the C regex
# engine, and chooses the same mask and matrix as segno does (a test holds the two together).

_RUN = re.compile(r"0{5,}|1{5,}")  # N1: five or more modules of one colour in a row
_N3 = "1011101"  # N3: dark-light-dark-dark-dark-light-dark
_TO_BITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_BITS = bytes.maketrans(b"01", b"\x00\x01")
_SEGNO_BEST_MASK: Callable[..., tuple[int, tuple[bytearray, ...]]] = (
    encoder.find_and_apply_best_mask
)
_SWAP = threading.Lock()


@contextmanager
def _fast_masks() -> Iterator[None]:
    """While held, segno's encoder chooses masks with `_best_mask` (a segno code made in these
    moments by another thread gets the same mask either way)."""
    with _SWAP:
        encoder.find_and_apply_best_mask = _best_mask
        try:
            yield
        finally:
            encoder.find_and_apply_best_mask = _SEGNO_BEST_MASK


@cache
def _mask_rows(width: int) -> tuple[tuple[int, ...], ...]:
    """Per mask pattern, each row's mask bits (bit j = column j) over the data region only."""
    function = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(function, width, width)
    encoder.add_alignment_patterns(function, width, width)
    function[-8][8] = 0x1  # the dark module
    patterns: Sequence[Callable[[int, int], bool]] = encoder.get_data_mask_functions(False)
    return tuple(
        tuple(
            sum(1 << j for j in range(width) if function[i][j] > 0x1 and pattern(i, j))
            for i in range(width)
        )
        for pattern in patterns
    )


def _best_mask(
    matrix: tuple[bytearray, ...], width: int, height: int, proposed_mask: int | None = None
) -> tuple[int, tuple[bytearray, ...]]:
    """segno's `find_and_apply_best_mask` for QR codes (Micro QR and a given mask: segno's)."""
    if proposed_mask is not None or width != height or width < 21:
        return _SEGNO_BEST_MASK(matrix, width, height, proposed_mask)
    rows = [int(bytes(row).translate(_TO_BITS)[::-1], 2) for row in matrix]
    best_score, best_mask, best_rows = -1, 0, rows
    for number, mask in enumerate(_mask_rows(width)):
        masked = [row ^ bits for row, bits in zip(rows, mask, strict=True)]
        score = _penalty(masked, width)
        if best_score < 0 or score < best_score:
            best_score, best_mask, best_rows = score, number, masked
    out = tuple(
        bytearray(format(row, f"0{width}b")[::-1].encode()).translate(_FROM_BITS)
        for row in best_rows
    )
    return best_mask, out


def _penalty(rows: list[int], size: int) -> int:
    """N1 + N2 + N3 + N4 of ISO/IEC 18004:2015 Table 11, as segno counts them."""
    text = [format(row, f"0{size}b")[::-1] for row in rows]  # text[i][j] = module (i, j)
    columns = ["".join(column) for column in zip(*text, strict=True)]
    lines = (*text, *columns)
    runs = _RUN.findall("\n".join(lines))  # the line breaks end every run
    n1 = sum(map(len, runs)) - 2 * len(runs)
    edge = (1 << (size - 1)) - 1
    n2 = 0
    for above, below in itertools.pairwise(rows):
        same = ~(above ^ (above >> 1)) & ~(below ^ (below >> 1)) & ~(above ^ below) & edge
        n2 += 3 * same.bit_count()
    n3 = sum(_n3(line, size) for line in lines if _N3 in line)
    dark = sum(row.bit_count() for row in rows)
    n4 = 10 * (abs(100 * dark - 50 * size * size) // (5 * size * size))
    return n1 + n2 + n3 + n4


def _n3(line: str, size: int) -> int:
    """segno's count of finder-like patterns with four light modules on a side."""
    count = 0
    index = line.find(_N3)
    while index != -1:
        offset = index + 7
        if (
            index in (0, size - 7)
            or "1" not in line[max(index - 4, 0) : index]
            or "1" not in line[offset : offset + 4]
        ):
            count += 40
        else:
            offset = index + 4
        index = line.find(_N3, offset)
    return count
