"""A print run: many invoices laid out once each, written as one PDF to print and as each
document's own PDF (Factur-X where it can be one): every document's pages are where the run
says, its footer counts its own pages, and each own file carries its valid e-invoice."""

from __future__ import annotations

import io
import re
import subprocess

import pypdf
import pytest

from hub.backend import einvoice
from hub.backend.house import DEMO_HOUSE
from hub.backend.pdf import PdfError, write
from tests.backend import documents as docs


def _page_text(pdf: bytes, first: int, count: int) -> str:
    """pdftotext of pages first..first+count-1 (0-based), whitespace folded."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-f", str(first + 1), "-l", str(first + count), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return re.sub(r"\s+", " ", done.stdout.decode("utf-8")).replace("\u00a0", " ")


RUN_DOCS = (
    docs.invoice(),
    docs.invoice(number="INV-2026-00008", paddle="102", owed=0, paid=2_013_500),
    docs.credit_note(),
)


@pytest.fixture(scope="module")
def run() -> einvoice.PrintRun:
    return einvoice.print_run(RUN_DOCS, DEMO_HOUSE)


def test_the_print_file_holds_every_document_at_the_pages_the_run_names(run):
    reader = pypdf.PdfReader(io.BytesIO(run.combined))
    assert [number for number, _, _ in run.pages] == [
        "INV-2026-00007",
        "INV-2026-00008",
        "CN-2026-00003",
    ]
    firsts = [first for _, first, _ in run.pages]
    counts = [count for _, _, count in run.pages]
    assert firsts == [0, counts[0], counts[0] + counts[1]]
    assert len(reader.pages) == sum(counts)
    for (number, first, count), doc in zip(run.pages, RUN_DOCS, strict=True):
        text = _page_text(run.combined, first, count)
        assert number in text
        assert f"Page {count} of {count}" in text  # the footer counts this document's pages
        others = {d.number for d in RUN_DOCS} - {doc.number, doc.refers_to}
        assert not any(str(other) in text for other in others)


def test_each_own_file_is_the_document_with_its_valid_e_invoice(run):
    assert [number for number, _ in run.files] == [number for number, _, _ in run.pages]
    for (number, pdf), doc, (_, _, count) in zip(run.files, RUN_DOCS, run.pages, strict=True):
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == count
        (xml,) = reader.attachments["factur-x.xml"]
        assert xml == einvoice.cii_xml(doc, DEMO_HOUSE)
        einvoice.check_xml(xml)
        assert "/OutputIntents" in reader.root_object  # PDF/A-3b, as a file made alone
        assert number in _page_text(pdf, 0, count)


def test_a_proforma_in_a_run_gets_a_plain_file_and_print_only_makes_no_files():
    proforma = docs.invoice(kind="proforma", number=None, issued_at=None, seq=None)
    run = einvoice.print_run([proforma], DEMO_HOUSE)
    ((_, pdf),) = run.files
    assert not pypdf.PdfReader(io.BytesIO(pdf)).attachments
    printed = einvoice.print_run([docs.invoice()], DEMO_HOUSE, files=False)
    assert printed.files == ()
    assert printed.combined.startswith(b"%PDF-")


def test_an_empty_run_is_a_clear_error():
    with pytest.raises(PdfError, match="no document"):
        write([])
