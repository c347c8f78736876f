"""Invoice benchmark: a 1,000-lot, 400-buyer sale journaled, every invoice issued, computed and
rendered to HTML and to PDF, beside two baselines measured in the same run.

Run: .venv/bin/python -m tests.bench.bench_invoices [--lots N] [--buyers N] [--pdf N|all]

- The sale is real: a Sequencer on a tmp SQLite file (WAL, synchronous=FULL) journals
  create_sale, the lots (VAT schemes margin/standard/reduced/zero/import in turn, every 7th lot
  under the artist's resale right, a per-lot premium now and then), 400 registered bidders
  (names and addresses in the identities file), go_live, then open/floor bid/hammer per lot.
- "issue": the Cashier issues one invoice per buyer (`issue_all`): every number under one hold
  of the house's numbering lock, each command dry-run through the pure core, then all of them
  journaled as one run (group commit: the transactions are counted and printed).
- "compute": `ledger.invoice_doc` for every invoice (the document as data, from the state).
- "html": `render.invoice_html` (Jinja2 templates, with the EPC payment QR as inline SVG);
  then once more, when every code is cached (an invoice shown, then printed).
  Peer: the same documents through a plain `string.Template` page, the simplest renderer
  there is, so the ratio is what our templates cost over it.
- "pdf": `pdf.pdf_bytes` (WeasyPrint) on a sample of the invoices (all with `--pdf all`), the
  per-PDF rate extrapolated to every invoice and marked as such; and `einvoice.facturx_pdf`
  (the same PDF with its EN 16931 XML built, XSD-checked and embedded: what the desk and the
  web serve). Peer: WeasyPrint on a one-page minimal HTML invoice (no CSS, no QR), the floor
  any WeasyPrint document pays. "print run": `einvoice.print_run` on the same sample, each
  invoice laid out once and written twice (its own Factur-X PDF and one print PDF of all).
The first HTML render and the first PDF (template compile, font loading) are run before the
timed loops and printed apart.
Printed, not asserted. Every loop is bounded by the sizes given.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.auction.events import SYSTEM, Actor  # noqa: E402
from hub.backend import house, ledger, render  # noqa: E402
from hub.backend.cashier import Cashier  # noqa: E402
from hub.backend.consignors import ConsignorStore  # noqa: E402
from hub.backend.einvoice import facturx_pdf, print_run  # noqa: E402
from hub.backend.identities import IdentityStore  # noqa: E402
from hub.backend.money import format_plain_amount  # noqa: E402
from hub.backend.numbering import Numbering  # noqa: E402
from hub.backend.pdf import pdf_bytes  # noqa: E402
from hub.backend.statements import InvoiceDoc  # noqa: E402
from hub.journal.sequencer import Sequencer  # noqa: E402
from tests.bench.bench_journal import filesystem, machine  # noqa: E402

AUCTIONEER = Actor("auctioneer")  # opens and hammers the lots
SALE = "bench"
SCHEMES = ("margin", "standard", "reduced", "zero", "import")
SETTINGS = {
    "buyer_premium": [[0, 2500], [50000000, 2000], [300000000, 1450]],
    "vat_rate_bp": 2000,
    "vat_reduced_bp": 550,
    "vat_import_bp": 550,
    "arr_threshold": 75000,
    "arr_eur_ppm": 1_000_000,
    "premium_surcharge_bp": {"online": 300},
}


def lots(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        lot: dict[str, Any] = {
            "id": str(i + 1),
            "title": f"Lot {i + 1}: a fine object, circa {1700 + i % 300}",
            "start": 10000 * (1 + i % 97),
            "consignor": f"C-{i % 50}",
            "vat": SCHEMES[i % len(SCHEMES)],
        }
        if i % 7 == 0:
            lot["arr"] = True
            lot["start"] = 2_000_000 + 10000 * i
        if i % 11 == 0:
            lot["premium"] = [[0, 2000]]
        out.append(lot)
    return out


async def journal_sale(path: Path, data_dir: Path, n_lots: int, n_buyers: int) -> Sequencer:
    """The sale, journaled: setup in one burst (group commit), then every lot sold."""
    seq = Sequencer(path)
    await seq.start()
    setup: list[dict[str, Any]] = [
        {"op": "create_sale", "sale": {"id": SALE, "title": "Benchmark sale", "settings": SETTINGS}}
    ]
    setup += [{"op": "add_lot", "lot": lot} for lot in lots(n_lots)]
    setup += [
        {"op": "register_bidder", "paddle": str(100 + b), "channel": "floor", "status": "approved"}
        for b in range(n_buyers)
    ]
    setup.append({"op": "go_live"})
    answers = await asyncio.gather(*(seq.submit(c, SYSTEM) for c in setup))
    bad = [a for a in answers if not a.ok]
    assert not bad, (bad[0].reason, bad[0].message)
    identities = IdentityStore(data_dir / "identities.db")
    for b in range(n_buyers):
        identities.add(
            SALE,
            str(100 + b),
            {
                "name": f"Buyer {b} Ltd",
                "address": f"{b} Rue de la Paix\n75002 Paris",
                "country": "FR",
            },
        )
    identities.close()
    selling = []
    for i in range(n_lots):
        lot, paddle = str(i + 1), str(100 + i % n_buyers)
        selling += [
            seq.submit({"op": "open_lot", "lot": lot}, AUCTIONEER),
            seq.submit({"op": "floor_bid", "lot": lot, "paddle": paddle}, AUCTIONEER),
            seq.submit({"op": "hammer", "lot": lot}, AUCTIONEER),
        ]
    answers = await asyncio.gather(*selling)
    bad = [a for a in answers if not a.ok]
    assert not bad, (bad[0].reason, bad[0].message)
    return seq


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


BASELINE = string.Template(
    """<!doctype html><html><head><meta charset="utf-8"><title>Invoice $number</title></head>
<body><h1>$house</h1><h2>Invoice $number</h2><p>$buyer<br>$address</p>
<table><tr><th>Lot</th><th>Description</th><th>Amount</th></tr>
$rows</table><p>Total $currency $total</p></body></html>"""
)
ROW = string.Template("<tr><td>$lot</td><td>$label</td><td>$amount</td></tr>")


def baseline_html(doc: InvoiceDoc, house_name: str) -> str:
    """The simplest faithful renderer: every line, escaped, amounts formatted."""
    rows = "\n".join(
        ROW.substitute(
            lot=html.escape(line.lot),
            label=html.escape(line.label),
            amount=format_plain_amount(line.amount, doc.currency),
        )
        for line in doc.lines
    )
    return BASELINE.substitute(
        number=html.escape(str(doc.number)),
        house=html.escape(house_name),
        buyer=html.escape(doc.buyer.name),
        address=html.escape(doc.buyer.address).replace("\n", "<br>"),
        rows=rows,
        currency=doc.currency,
        total=format_plain_amount(doc.totals.total, doc.currency),
    )


MINIMAL_PDF_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'></head><body><h1>Invoice</h1>"
    "<p>Buyer 1 Ltd, 1 Rue de la Paix, 75002 Paris</p><p>Lot 1 — 1,000.00</p>"
    "<p>Total 1,250.00</p></body></html>"
)


def row(name: str, count: int, seconds: float, note: str = "") -> str:
    rate = count / seconds if seconds else float("inf")
    per = seconds / count * 1000 if count else 0.0
    return f"| {name:<44} | {count:>6} | {seconds:8.2f} s | {rate:9.1f}/s | {per:8.2f} ms | {note}"


async def run(directory: Path, n_lots: int, n_buyers: int, pdf_sample: int | None) -> None:
    print(f"machine: {machine()}")
    data_dir = directory / "data"
    path = data_dir / "sales" / f"{SALE}.db"
    path.parent.mkdir(parents=True)
    print(f"journal: {path} ({filesystem(directory)}), WAL, synchronous=FULL")
    t0 = time.perf_counter()
    seq = await journal_sale(path, data_dir, n_lots, n_buyers)
    journaled = time.perf_counter() - t0
    identities = IdentityStore(data_dir / "identities.db")
    consignors = ConsignorStore(data_dir / "identities.db")
    profile = house.load(data_dir)
    cashier = Cashier(seq, identities, consignors, Numbering(data_dir), lambda: profile)
    try:
        batches = seq.batches
        t0 = time.perf_counter()
        numbers = await cashier.issue_all("bench")
        issued = time.perf_counter() - t0
        batches = seq.batches - batches
    finally:
        await seq.stop()
    state = seq.engine.state
    assert len(numbers) == n_buyers, (len(numbers), n_buyers)

    def compute() -> list[InvoiceDoc]:
        return [
            ledger.invoice_doc(state, n, cashier.buyer(str(state.money.invoices[n]["paddle"])))
            for n in numbers
        ]

    docs, computed = timed(compute)
    lines = sum(len(d.lines) for d in docs)
    # Warm-up, not timed: the first render compiles the templates, the first PDF loads fonts.
    (_, cold_html), (_, cold_pdf) = (
        timed(lambda: render.invoice_html(docs[0], profile)),
        timed(lambda: pdf_bytes(render.invoice_html(docs[0], profile))),
    )
    pdf_bytes(MINIMAL_PDF_PAGE)
    pages, ours = timed(lambda: [render.invoice_html(d, profile) for d in docs])
    _, cached = timed(lambda: [render.invoice_html(d, profile) for d in docs])
    _, no_qr = timed(lambda: [render.invoice_html(d, profile, qr=False) for d in docs])
    _, plain = timed(lambda: [baseline_html(d, profile.name) for d in docs])
    sample = docs if pdf_sample is None else docs[: max(1, min(pdf_sample, len(docs)))]
    sample_pages = pages[: len(sample)]
    pdfs, pdf_time = timed(lambda: [pdf_bytes(page) for page in sample_pages])
    _, facturx_time = timed(lambda: [facturx_pdf(d, profile) for d in sample])
    _, floor_time = timed(lambda: [pdf_bytes(MINIMAL_PDF_PAGE) for _ in sample])
    run, run_time = timed(lambda: print_run(sample, profile))
    _, print_only = timed(lambda: print_run(sample, profile, files=False))
    assert all(p.startswith(b"%PDF") for p in pdfs)

    print(
        f"sale: {n_lots} lots sold to {n_buyers} buyers, journaled in {journaled:.1f} s; "
        f"{len(docs)} invoices, {lines} lines ({lines / len(docs):.1f} per invoice)"
    )
    print(f"| {'step':<44} | {'count':>6} | {'time':>10} | {'rate':>11} | {'each':>11} | note")
    print(f"|{'-' * 46}|{'-' * 8}|{'-' * 12}|{'-' * 13}|{'-' * 13}|------")
    print(
        row(
            "issue (journaled, numbered house-wide)",
            len(numbers),
            issued,
            f"one run, {batches} group commit(s)",
        )
    )
    print(row("compute (ledger.invoice_doc)", len(docs), computed))
    print(row("HTML, ours (Jinja2 + EPC QR)", len(docs), ours))
    print(row("HTML, ours again (every QR cached)", len(docs), cached))
    print(row("HTML, ours without the QR (qr=False)", len(docs), no_qr))
    print(
        row(
            "HTML, peer (string.Template)",
            len(docs),
            plain,
            f"ours/peer {ours / plain:.0f}x, without the QR {no_qr / plain:.0f}x",
        )
    )
    each = pdf_time / len(sample)
    note = "all" if len(sample) == len(docs) else f"sample of {len(sample)}"
    print(row("PDF, ours (WeasyPrint, A4 invoice)", len(sample), pdf_time, note))
    print(row("PDF + Factur-X XML (what the desk serves)", len(sample), facturx_time, note))
    print(
        row(
            "print run: own Factur-X PDFs + one print PDF",
            len(sample),
            run_time,
            f"{note}; {sum(c for _, _, c in run.pages)} pages; vs one by one "
            f"{(pdf_time + facturx_time) / run_time:.1f}x",
        )
    )
    print(row("print run: the print PDF only", len(sample), print_only, note))
    print(
        row(
            "PDF, peer (WeasyPrint, one minimal page)",
            len(sample),
            floor_time,
            f"ours/peer {pdf_time / floor_time:.1f}x",
        )
    )
    if len(sample) < len(docs):
        print(
            f"extrapolated: all {len(docs)} PDFs at {each * 1000:.0f} ms each ≈ "
            f"{each * len(docs):.0f} s on one core (not measured; the sample is the first "
            f"{len(sample)} invoices)"
        )
    print(
        f"first call, not in the table: HTML {cold_html * 1000:.0f} ms (templates compiled), "
        f"PDF {cold_pdf * 1000:.0f} ms (fonts loaded)"
    )
    size = sum(len(p) for p in pdfs) / len(pdfs) / 1024
    page_size = sum(map(len, pages)) / len(pages) / 1024
    print(f"mean PDF size {size:.0f} KiB; mean HTML size {page_size:.0f} KiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1000)
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument(
        "--pdf", default="40", help="how many invoices to render to PDF, or 'all' (default 40)"
    )
    parser.add_argument("--dir", type=Path, default=None, help="where the tmp data dir goes")
    args = parser.parse_args(argv)
    if not 1 <= args.buyers <= args.lots <= 100_000:
        parser.error("need 1 <= buyers <= lots <= 100000 (every buyer buys at least one lot)")
    sample = None if args.pdf == "all" else int(args.pdf)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="auctionmen-bench-") as directory:
        asyncio.run(run(Path(directory), args.lots, args.buyers, sample))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
