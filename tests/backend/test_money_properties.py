"""Properties of the books, for random sales under random rules (hypothesis, small budgets):

- every invoice's totals are the sums of its lines;
- what buyers pay = what consignors net + premium and surcharge (without the VAT inside) +
  commission + charges and fees + tax collected (itemised VAT, import VAT, margin VAT inside the
  premium, sales tax, VAT on commission and charges) + resale royalties, to the cent;
- computing again from the same journal gives identical documents, and an invoice says what its
  pro-forma said just before it was issued;
- no float anywhere in the documents but the event times (`issued_at`, `at`);
- after credit notes, cancelled sales and reknocks, invoiced anew, all of this still holds and
  the audit recomputes every document without a difference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.auction.events import SYSTEM
from hub.backend import ledger
from hub.backend.audit import verify_events
from hub.backend.statements import Party, to_json
from tests.backend.moneykit import Book, pass_commands, sale_commands, sell_commands

JSON = dict[str, Any]
PADDLES = ("101", "102", "103")
CONSIGNORS = ("C-1", "C-2")
TIMES = frozenset({"issued_at", "at"})
rate = st.integers(0, 3000)


@st.composite
def bands(draw: st.DrawFn) -> list[list[int]]:
    starts = draw(st.lists(st.integers(1, 10_000_000), max_size=3, unique=True))
    return [[start, draw(rate)] for start in [0, *sorted(starts)]]


@st.composite
def rules(draw: st.DrawFn) -> JSON:
    return {
        "currency": "EUR",
        "buyer_premium": draw(bands()),
        "premium_surcharge_bp": {"phone": draw(st.integers(0, 600))},
        "vat_rate_bp": draw(st.integers(0, 2500)),
        "vat_reduced_bp": draw(st.integers(0, 1000)),
        "vat_import_bp": draw(st.integers(0, 1000)),
        "sales_tax_bp": draw(st.sampled_from([0, 0, 725, 1000])),
        "arr_threshold": draw(st.one_of(st.none(), st.integers(0, 1_000_000))),
        "arr_eur_ppm": draw(st.integers(500_000, 1_500_000)),
    }


@st.composite
def lot(draw: st.DrawFn, number: int) -> JSON:
    return {
        "id": str(number),
        "title": f"Lot {number}",
        "low": draw(st.one_of(st.none(), st.integers(1_000, 10_000_000))),
        "vat": draw(st.sampled_from(["margin", "standard", "reduced", "zero", "import"])),
        "arr": draw(st.booleans()),
        "premium": draw(st.one_of(st.none(), bands())),
        "consignor": draw(st.sampled_from(CONSIGNORS)),
    }


@st.composite
def terms(draw: st.DrawFn, consignor: str) -> JSON:
    return {
        "op": "set_consignor_terms",
        "consignor": consignor,
        "commission": draw(bands()),
        "vat_on_commission": draw(st.booleans()),
        "charges": draw(
            st.lists(
                st.tuples(st.sampled_from(["Photo", "Insurance"]), st.integers(0, 50_000)).map(
                    list
                ),
                max_size=2,
            )
        ),
        "lot_fee": draw(st.integers(0, 5_000)),
        "unsold_fee": draw(st.integers(0, 5_000)),
        "payout_days": draw(st.integers(0, 60)),
        "absolute": draw(st.booleans()),
    }


@st.composite
def sales(draw: st.DrawFn) -> list[JSON]:
    count = draw(st.integers(1, 6))
    lots = [draw(lot(n)) for n in range(1, count + 1)]
    commands = sale_commands(draw(rules()), lots, PADDLES)
    for item in lots:
        if draw(st.integers(0, 4)) == 0:
            commands += pass_commands(item["id"])
        else:
            amount = draw(st.integers(1_000, 2_000_000_000))
            paddle = draw(st.sampled_from(PADDLES))
            commands += sell_commands(
                item["id"], paddle, amount, draw(st.sampled_from(["floor", "phone"]))
            )
    commands += [draw(terms(c)) for c in CONSIGNORS]
    return commands


def run(commands: list[JSON]) -> tuple[Book, dict[str, Any]]:
    """The sale, then an invoice for every buyer; the pro-formas just before each invoice."""
    book = Book()
    book.all(commands)
    drafts = {}
    for n, paddle in enumerate(PADDLES, start=1):
        draft = ledger.proforma(book.state, paddle, Party(paddle))
        if draft is None:
            continue
        drafts[paddle] = draft
        number = f"INV-2026-{n:05d}"
        book.ok({"op": "issue_invoice", "paddle": paddle, "number": number, "by": "t"}, SYSTEM)
    return book, drafts


def documents(book: Book) -> list[Any]:
    state = book.state
    out: list[Any] = [ledger.account(state, p, None) for p in PADDLES]
    out += [ledger.settlement(state, c, Party(c)) for c in CONSIGNORS]
    out += [ledger.summary(state), *ledger.prices_realised(state)]
    return out


def floats(value: Any, path: str = "") -> list[str]:
    """Where a float hides in a document (event times excepted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            hit
            for f in dataclasses.fields(value)
            if f.name not in TIMES
            for hit in floats(getattr(value, f.name), f"{path}.{f.name}")
        ]
    if isinstance(value, float):
        return [path]
    if isinstance(value, tuple | list):
        return [hit for i, item in enumerate(value) for hit in floats(item, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [hit for k, item in value.items() for hit in floats(item, f"{path}.{k}")]
    return []


@settings(max_examples=50, deadline=None)
@given(sales())
def test_invoice_totals_are_the_sums_of_their_lines(commands: list[JSON]) -> None:
    book, _ = run(commands)
    for number in book.state.money.invoices:
        doc = ledger.invoice_doc(book.state, number, Party(""))
        t = doc.totals
        assert t.total == sum(line.amount for line in doc.lines)
        by_kind = {k: sum(x.amount for x in doc.lines if x.kind == k) for k in ledger.BUYER_KINDS}
        assert (t.hammer, t.premium, t.surcharge, t.sales_tax, t.arr) == (
            by_kind["hammer"],
            by_kind["premium"],
            by_kind["surcharge"],
            by_kind["sales_tax"],
            by_kind["arr"],
        )
        assert t.vat == by_kind["vat"] + by_kind["import_vat"]
        assert 0 <= t.margin_vat <= t.premium + t.surcharge


@settings(max_examples=50, deadline=None)
@given(sales())
def test_what_buyers_pay_is_everyone_elses_share_to_the_cent(commands: list[JSON]) -> None:
    book, _ = run(commands)
    state = book.state
    paid_by_buyers = sum(int(d["totals"]["total"]) for d in state.money.invoices.values())
    assert all(ledger.proforma(state, p, Party(p)) is None for p in PADDLES)
    s = ledger.summary(state)
    net = sum(ledger.settlement(state, c, Party(c)).net for c in CONSIGNORS)
    assert paid_by_buyers == (
        net + s.premium + s.commission + s.charges + s.vat + s.sales_tax + s.arr
    )


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(sales())
def test_computing_again_gives_identical_documents_without_floats(commands: list[JSON]) -> None:
    first, drafts = run(commands)
    second, _ = run(commands)
    assert [to_json(d) for d in documents(first)] == [to_json(d) for d in documents(second)]
    for paddle, draft in drafts.items():
        (invoice,) = ledger.account(first.state, paddle, None).invoices
        assert invoice.lines == draft.lines
        assert invoice.totals == draft.totals
    for doc in documents(first):
        assert floats(doc) == []


@st.composite
def corrections(draw: st.DrawFn) -> list[tuple[str, str, int, str]]:
    """(action, new paddle, new amount, lot) for some lots: cancel the sale or reknock it."""
    picks = draw(st.lists(st.integers(1, 6), max_size=3, unique=True))
    return [
        (
            draw(st.sampled_from(["cancel", "reknock"])),
            draw(st.sampled_from(PADDLES)),
            draw(st.integers(1_000, 2_000_000_000)),
            str(n),
        )
        for n in picks
    ]


@settings(max_examples=50, deadline=None)
@given(sales(), corrections())
def test_after_credit_notes_and_corrections_the_books_still_balance(
    commands: list[JSON], fixes: list[tuple[str, str, int, str]]
) -> None:
    book, _ = run(commands)
    state = book.state
    notes = 0
    for action, paddle, amount, lot in fixes:
        if lot not in state.lots or ledger.sold_to(state.lots[lot]) is None:
            continue
        number = state.money.invoiced.get(lot)
        if number is not None:
            notes += 1
            note = {"invoice": number, "lots": [lot], "number": f"CN-2026-{notes:05d}"}
            book.ok({"op": "issue_credit_note", **note, "reason": "fix", "by": "t"}, SYSTEM)
        if action == "cancel":
            book.ok({"op": "cancel_lot_sale", "lot": lot, "reason": "fix"})
        else:
            book.ok(
                {"op": "reknock", "lot": lot, "paddle": paddle, "amount": amount, "reason": "fix"}
            )
    for n, paddle in enumerate(PADDLES, start=10):
        if ledger.uninvoiced_lots(state, paddle):
            number = f"INV-2026-{n:05d}"
            book.ok({"op": "issue_invoice", "paddle": paddle, "number": number, "by": "t"}, SYSTEM)
    money = state.money
    documents = [*money.invoices.values(), *money.credit_notes.values()]
    paid_by_buyers = sum(int(d["totals"]["total"]) for d in documents)
    s = ledger.summary(state)
    net = sum(ledger.settlement(state, c, Party(c)).net for c in CONSIGNORS)
    assert paid_by_buyers == (
        net + s.premium + s.commission + s.charges + s.vat + s.sales_tax + s.arr
    )
    assert sum(ledger.balance(state, p)[0] for p in PADDLES) == paid_by_buyers
    assert verify_events(book.events) == []
