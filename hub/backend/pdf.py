"""HTML documents to PDF with WeasyPrint.

Blocking and CPU-bound (a one-page invoice takes a few hundred milliseconds, a long summary
more): callers on an event loop run it in a worker thread, e.g.
`await asyncio.to_thread(pdf_bytes, html)`, and never on the bid path; calls from several
threads run one after the other (see `_ONE_AT_A_TIME`). Layout is mostly Python and holds
the GIL, so during a live sale bulk runs belong in another process (the CLI). The templates inline
their CSS and images (the EPC code is inline SVG), so nothing is fetched: the URL fetcher
refuses every URL but inline `data:`, which also keeps a hostile `<img src="file:///…">` from
ever being read. Fonts are DejaVu from Debian (fonts-dejavu-core), found through fontconfig.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import weasyprint
from weasyprint.urls import URLFetcher

# One PDF at a time in this process. WeasyPrint drives Pango and fontconfig through cffi, and
# crashes under concurrent threads have been reported (Kozea/WeasyPrint #1402, #167); a crash
# here would take the live sale's process down with it, so worker threads queue instead.
_ONE_AT_A_TIME = threading.Lock()


class PdfError(RuntimeError):
    """WeasyPrint could not lay the document out."""


PDF_A_3B = "pdf/a-3b"  # archival PDF that may carry attachments: what Factur-X builds on


def pdf_bytes(html: str, *, variant: str | None = None) -> bytes:
    """The PDF of `html` (a complete page, as `hub.backend.render` makes them); `variant` is
    a WeasyPrint PDF variant such as PDF_A_3B (fonts embedded, an sRGB output intent).
    Blocking."""
    try:
        fetcher = URLFetcher(allowed_protocols={"data"})  # inline data only: no file, no net
        with _ONE_AT_A_TIME:
            document = weasyprint.HTML(string=html, url_fetcher=fetcher)
            out = document.write_pdf(pdf_variant=variant)
    except Exception as exc:  # WeasyPrint raises many kinds; callers need one
        raise PdfError(f"the document could not be made into a PDF: {exc}") from exc
    if not isinstance(out, bytes):
        raise PdfError("WeasyPrint returned no PDF")
    return out


def layout(html: str, *, variant: str | None = None) -> weasyprint.Document:
    """`html` laid out in pages (the costly step: WeasyPrint's cascade and layout), to be
    written once or more with `write`; a `variant` such as PDF_A_3B is chosen here already
    (it fixes the output intent). Blocking."""
    try:
        fetcher = URLFetcher(allowed_protocols={"data"})
        with _ONE_AT_A_TIME:
            page = weasyprint.HTML(string=html, url_fetcher=fetcher)
            return page.render(pdf_variant=variant)
    except Exception as exc:
        raise PdfError(f"the document could not be made into a PDF: {exc}") from exc


def write(documents: Sequence[weasyprint.Document], *, variant: str | None = None) -> bytes:
    """One PDF of every page of `documents` in order, each keeping its own layout (its footer
    counts its own pages): a print run of many invoices is written once. Blocking."""
    if not documents:
        raise PdfError("no document to write")
    try:
        with _ONE_AT_A_TIME:
            whole = documents[0].copy([page for doc in documents for page in doc.pages])
            out = whole.write_pdf(pdf_variant=variant)
    except Exception as exc:
        raise PdfError(f"the document could not be made into a PDF: {exc}") from exc
    if not isinstance(out, bytes):
        raise PdfError("WeasyPrint returned no PDF")
    return out
