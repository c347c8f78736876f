"""Money audit: recompute every invoice and credit note from the journal and the rules of
their time, and say in plain words where the journal differs.

`verify_money(path)` replays a sale's journal. At each `invoice_issued` it recomputes every
lot's lines from the state just before it (the lot, its hammer, the sale's settings as they
were then: `charges.lot_charges`), and at each `credit_note_issued` it rebuilds the negated
copy of the invoice's lines. It checks that totals are the sums of the lines, that numbers are
well formed, unique and rising within the sale, that every document names a real buyer, and,
at the end, that no consignor was paid out more than their settlement's net.
`verify_numbering(data_dir)` checks that the house's numbers have no gap across all its sales.

The hash chain, the views and the projections are `hub/journal/verify.py`'s part; this is the
money on top (`auctionmen journal verify` runs both). An empty list means nothing to report.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hub.auction.charges import lot_charges
from hub.auction.engine import Engine
from hub.auction.events import Event
from hub.auction.parse import SALE_ID
from hub.auction.state import Auction
from hub.backend import ledger
from hub.backend.numbering import format_number, parse_number
from hub.backend.statements import DocLine, Party, Totals
from hub.journal.db import JournalError, connect_reader
from hub.journal.replay import iter_events

JSON = dict[str, Any]
LINE_FIELDS = ("lot", "hammer_seq", "kind", "label", "amount", "rate_bp", "vat_scheme")
_TOTALS = tuple(Totals.__dataclass_fields__)


def verify_money(conn_or_path: sqlite3.Connection | str | os.PathLike[str]) -> list[str]:
    """Every difference between the journaled money documents and their recomputation."""
    if isinstance(conn_or_path, sqlite3.Connection):
        return _verify(conn_or_path)
    conn = connect_reader(conn_or_path)
    try:
        return _verify(conn)
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection) -> list[str]:
    return verify_events(iter_events(conn))


def verify_events(events: Iterable[tuple[int, Event]]) -> list[str]:
    """`verify_money` over (seq, event) pairs in journal order (a journal, or a test's run)."""
    engine = Engine()
    problems: list[str] = []
    last: dict[tuple[str, int], int] = {}  # (series, year) -> the last number seen
    for seq, event in events:
        try:
            if event.type == "invoice_issued":
                problems += _check_number(seq, event.data, "INV", last, engine.state)
                problems += _check_invoice(seq, event.data, engine.state)
            elif event.type == "credit_note_issued":
                problems += _check_number(seq, event.data, "CN", last, engine.state)
                problems += _check_credit_note(seq, event.data, engine.state)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"seq {seq}: the {event.type} event is malformed ({exc!r})")
        try:
            engine.evolve(event, seq)
        except Exception as exc:  # the chain check reports how; the money cannot go on
            problems.append(f"seq {seq}: the journal cannot be replayed here ({exc!r})")
            return problems
    problems += _check_payouts(engine.state)
    return problems


# ---------------------------------------------------------------------- numbers


def _check_number(
    seq: int,
    data: Mapping[str, Any],
    series: str,
    last: dict[tuple[str, int], int],
    auction: Auction,
) -> list[str]:
    number = data.get("number")
    parsed = parse_number(number)
    what = "invoice" if series == "INV" else "credit note"
    if parsed is None or parsed[0] != series:
        return [f"seq {seq}: {what} number {number!r} is not of the form {series}-YYYY-NNNNN"]
    key = (series, parsed[1])
    out = []
    if number in auction.money.invoices or number in auction.money.credit_notes:
        out.append(f"seq {seq}: {what} number {number} was already used in this sale")
    elif parsed[2] <= last.get(key, 0):
        before = format_number(series, parsed[1], last[key])
        out.append(f"seq {seq}: {what} number {number} does not follow {before}")
    last[key] = max(last.get(key, 0), parsed[2])
    return out


def verify_numbering(data_dir: str | os.PathLike[str]) -> list[str]:
    """Gaps in the house's numbers, per series and year, across every sale journal."""
    seen: dict[tuple[str, int], list[int]] = {}
    out = []
    folder = Path(data_dir) / "sales"
    for path in sorted(p for p in folder.glob("*.db") if SALE_ID.fullmatch(p.stem)):
        try:
            conn = connect_reader(path)
        except JournalError as exc:
            out.append(f"{path.name}: cannot be read to check its numbers ({exc})")
            continue
        try:
            rows = conn.execute(
                "SELECT data FROM events WHERE type IN ('invoice_issued', 'credit_note_issued')"
            ).fetchall()
        except sqlite3.Error as exc:
            out.append(f"{path.name}: cannot be read to check its numbers ({exc})")
            continue
        finally:
            conn.close()
        for (data,) in rows:
            parsed = parse_number(json.loads(data).get("number"))
            if parsed is not None:
                seen.setdefault(parsed[:2], []).append(parsed[2])
    for (series, year), numbers in sorted(seen.items()):
        counts = Counter(numbers)
        missing = _missing(sorted(counts))
        if missing:
            shown = ", ".join(format_number(series, year, n) for n in missing[:10])
            more = " and more" if len(missing) > 10 else ""
            out.append(f"{series} {year}: number(s) missing: {shown}{more}")
        doubled = sorted(n for n, c in counts.items() if c > 1)
        if doubled:
            shown = ", ".join(format_number(series, year, n) for n in doubled[:10])
            out.append(f"{series} {year}: number(s) used twice: {shown}")
    return out


def _missing(numbers: list[int], limit: int = 11) -> list[int]:
    """Up to `limit` numbers missing from 1..max of the sorted `numbers` (a forged huge
    number must not make us list a billion)."""
    out: list[int] = []
    expected = 1
    for n in numbers:
        while expected < n and len(out) < limit:
            out.append(expected)
            expected += 1
        if len(out) >= limit:
            break
        expected = n + 1
    return out


# ---------------------------------------------------------------------- documents


def _line(raw: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(raw.get(name) for name in LINE_FIELDS)


def _show_line(line: Sequence[Any]) -> str:
    fields = dict(zip(LINE_FIELDS, line, strict=True))
    return f"{fields['kind']} {fields['amount']} (rate {fields['rate_bp']}, {fields['label']!r})"


def _compare_lines(
    where: str, lot: str, journaled: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]
) -> list[str]:
    if journaled == expected:
        return []
    out = []
    by_kind_j = {(x[2], x[3]): x for x in journaled}
    by_kind_e = {(x[2], x[3]): x for x in expected}
    for key in sorted(set(by_kind_j) | set(by_kind_e), key=str):
        j, e = by_kind_j.get(key), by_kind_e.get(key)
        if j is None and e is not None:
            out.append(f"{where}, lot {lot}: line missing: {_show_line(e)}")
        elif e is None and j is not None:
            out.append(f"{where}, lot {lot}: line not in the rules: {_show_line(j)}")
        elif j != e and j is not None and e is not None:
            diffs = [
                f"{name} is {jv!r}, the rules give {ev!r}"
                for name, jv, ev in zip(LINE_FIELDS, j, e, strict=True)
                if jv != ev
            ]
            out.append(f"{where}, lot {lot}, {key[0]} line: {'; '.join(diffs)}")
    if not out:
        out.append(f"{where}, lot {lot}: the lines are in another order than the rules give")
    return out


def _check_totals(where: str, data: Mapping[str, Any], margin_vat: int | None) -> list[str]:
    lines = [
        DocLine(str(x.get("lot")), "", 0, str(x.get("kind")), "", int(x.get("amount") or 0))
        for x in data.get("lines") or ()
    ]
    sums = ledger.totals_of(lines, margin_vat if margin_vat is not None else 0)
    raw = data.get("totals") or {}
    out = []
    for name in _TOTALS:
        if name == "margin_vat" and margin_vat is None:
            continue
        stated = raw.get(name)
        if stated != getattr(sums, name):
            out.append(
                f"{where}: total {name} is {stated!r}, the lines add up to {getattr(sums, name)}"
            )
    return out


def _check_invoice(seq: int, data: Mapping[str, Any], auction: Auction) -> list[str]:
    number = data.get("number")
    where = f"seq {seq}: invoice {number}"
    paddle = data.get("paddle")
    out = []
    if paddle not in auction.bidders:
        out.append(f"{where}: paddle {paddle!r} is not a registered bidder")
    lines_by_lot: dict[str, list[tuple[Any, ...]]] = {}
    for raw in data.get("lines") or ():
        lines_by_lot.setdefault(str(raw.get("lot")), []).append(_line(raw))
    lots = [str(x) for x in data.get("lots") or ()]
    if sorted(lines_by_lot) != sorted(lots):
        out.append(
            f"{where}: its lines are for lots {sorted(lines_by_lot)}, it lists {sorted(lots)}"
        )
    margin_vat = 0
    for lot_id in lots:
        lot = auction.lots.get(lot_id)
        if lot is None:
            out.append(f"{where}: lot {lot_id} does not exist")
            continue
        if ledger.sold_to(lot) != paddle:
            out.append(f"{where}: lot {lot_id} was not sold to paddle {paddle} at that point")
            continue
        if lot_id in auction.money.invoiced:
            out.append(
                f"{where}: lot {lot_id} was already on invoice {auction.money.invoiced[lot_id]}"
            )
        hammer = lot.hammer or {}
        lc = lot_charges(
            auction.sale.settings,
            lot,
            int(hammer["amount"]),
            str(hammer.get("channel") or "floor"),
            int(hammer.get("seq") or 0),
        )
        margin_vat += lc.margin_vat
        expected = [_line(_as_json(lc, c)) for c in lc.lines]
        out += _compare_lines(where, lot_id, lines_by_lot.get(lot_id, []), expected)
    out += _check_totals(where, data, margin_vat)
    return out


def _as_json(lc: Any, charge: Any) -> JSON:
    return {
        "lot": lc.lot,
        "hammer_seq": lc.hammer_seq,
        "kind": charge.kind,
        "label": charge.label,
        "amount": charge.amount,
        "rate_bp": charge.rate_bp,
        "vat_scheme": lc.scheme,
    }


def _check_credit_note(seq: int, data: Mapping[str, Any], auction: Auction) -> list[str]:
    number = data.get("number")
    where = f"seq {seq}: credit note {number}"
    invoice = auction.money.invoices.get(str(data.get("invoice")))
    if invoice is None:
        return [f"{where}: it credits invoice {data.get('invoice')!r}, which was not issued"]
    out = []
    if data.get("paddle") != invoice.get("paddle"):
        out.append(f"{where}: paddle {data.get('paddle')!r} is not invoice {invoice['number']}'s")
    lots = [str(x) for x in data.get("lots") or ()]
    for lot_id in lots:
        if auction.money.invoiced.get(lot_id) != invoice["number"]:
            out.append(f"{where}: lot {lot_id} was not on invoice {invoice['number']} any more")
    wanted = set(lots)
    expected = [
        _line({**raw, "amount": -int(raw["amount"])})
        for raw in invoice.get("lines") or ()
        if str(raw.get("lot")) in wanted
    ]
    journaled = [_line(raw) for raw in data.get("lines") or ()]
    if journaled != expected:
        out.append(
            f"{where}: its lines are not the negated lines of invoice {invoice['number']} "
            f"for lots {', '.join(lots)}"
        )
    # margin VAT is not itemised: the credit note's share is the invoice's lots' share.
    out += _check_totals(where, data, None)
    return out


# ---------------------------------------------------------------------- consignors


def _check_payouts(auction: Auction) -> list[str]:
    out = []
    for ref in ledger.consignors(auction):
        doc = ledger.settlement(auction, ref, Party(ref))
        if doc.paid_out > max(doc.net, 0):
            out.append(
                f"consignor {ref}: paid out {doc.paid_out}, "
                f"more than the net {doc.net} of their settlement"
            )
    return out


def describe(problems: Iterable[str]) -> str:
    """The problems as lines of text, or a one-line all-clear."""
    lines = list(problems)
    return "\n".join(lines) if lines else "money: every invoice and credit note recomputes"
