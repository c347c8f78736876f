"""The cashier's desk on a real Sequencer and a real SQLite journal: invoices numbered
house-wide, payments (part, full, third party, too much, repeated), release, corrections with
credit notes, payouts, reads; every refusal clear and changing nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.auction.events import Decision
from hub.backend import render
from hub.backend.cashier import Cashier, MoneyError
from hub.backend.consignors import ConsignorStore
from hub.backend.house import HouseProfile
from hub.backend.identities import IdentityStore
from hub.backend.numbering import Numbering
from hub.journal.verify import verify
from tests.backend.moneykit import (
    Clock,
    sale_commands,
    sale_on_disk,
    sell_commands,
    worked_sale_commands,
)

INV1 = 1_415_000  # what 101 owes for lots 1 and 3 (tests/backend/test_ledger.py)
INV2 = 9_156_000  # what 102 owes for lot 2
HOUSE = HouseProfile(name="Lot & Co", address="1 High St\nLondon", country="GB")


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Cashier]:
    journal = tmp_path / "sales" / "autumn.db"
    sequencer = await sale_on_disk(journal, worked_sale_commands(), Clock())
    identities = IdentityStore(tmp_path / "identities.db")
    identities.add("autumn", "101", {"name": "Ada Lovelace", "country": "GB"})
    consignors = ConsignorStore(tmp_path / "identities.db")
    consignors.add("C-1", {"name": "Héloïse Martin", "iban": "DE89370400440532013000"})
    cashier = Cashier(sequencer, identities, consignors, Numbering(tmp_path))
    try:
        yield cashier
    finally:
        cashier.close()
        await sequencer.stop()
        assert verify(journal).ok


def events(cashier: Cashier) -> int:
    return cashier.sequencer.last_seq


async def test_issue_part_payment_full_payment_release(desk: Cashier) -> None:
    answer = await desk.issue_invoice("101", "Ann")
    assert answer.events[0].type == "invoice_issued"
    assert answer.events[0].data["number"] == "INV-2026-00001"
    account = desk.account("101")
    assert (account.due, account.owed, account.status) == (INV1, INV1, "owes")
    assert account.buyer.name == "Ada Lovelace"

    await desk.record_payment("101", 1_000_000, "card", "AUTH1", "k1", "Ann")
    account = desk.account("101")
    assert (account.paid, account.owed, account.status) == (1_000_000, 415_000, "part_paid")
    with pytest.raises(MoneyError) as refused:
        await desk.release("101", [], "Ann")
    assert refused.value.reason == "unpaid"

    await desk.record_payment("101", 415_000, "cash", "", "k2", "Ann")
    account = desk.account("101")
    assert (account.owed, account.status, account.releasable) == (0, "paid", ("1", "3"))
    await desk.release("101", [], "Ann")
    assert desk.account("101").released == ("1", "3")
    payment = desk.account("101").payments[0]
    assert (payment.by, payment.method, payment.reference) == ("Ann", "card", "AUTH1")


async def test_issue_all_numbers_every_buyer_once(desk: Cashier) -> None:
    assert await desk.issue_all("Ann") == ["INV-2026-00001", "INV-2026-00002"]
    assert await desk.issue_all("Ann") == []  # nothing left to invoice
    with pytest.raises(MoneyError) as refused:
        await desk.issue_invoice("101", "Ann")
    assert refused.value.reason == "nothing_to_invoice"
    assert desk.invoice("INV-2026-00002").totals.total == INV2


async def test_a_payment_above_what_is_owed_is_refused_and_nothing_changes(desk: Cashier) -> None:
    await desk.issue_invoice("102", "Ann")
    before = events(desk)
    with pytest.raises(MoneyError) as refused:
        await desk.record_payment("102", INV2 + 1, "card", "", "k1", "Ann")
    assert refused.value.reason == "too_much"
    assert refused.value.message == "paddle 102 owes €91,560.00; €91,560.01 is more than that"
    assert events(desk) == before
    await desk.record_payment("102", INV2, "transfer", "BANK 1", "k2", "Ann")
    assert desk.account("102").status == "paid"


async def test_a_buyer_may_pay_before_the_invoice_is_issued(desk: Cashier) -> None:
    # Sold and not invoiced: what they owe counts the pro-forma.
    assert desk.owed_now("101") == INV1
    await desk.record_payment("101", INV1, "card", "", "k1", "Ann")
    assert desk.account("101").status == "in_credit"
    await desk.issue_invoice("101", "Ann")
    assert desk.account("101").status == "paid"


@pytest.mark.parametrize("amount", [0, -5, 10**14, 12.5, True, "100", None])
async def test_malformed_amounts_are_refused_before_the_journal(
    desk: Cashier, amount: object
) -> None:
    before = events(desk)
    with pytest.raises(MoneyError) as refused:
        await desk.record_payment("101", amount, "card", "", "k", "Ann")  # type: ignore[arg-type]
    assert refused.value.reason == "invalid"
    assert events(desk) == before


async def test_the_same_key_counts_once(desk: Cashier) -> None:
    await desk.issue_invoice("101", "Ann")
    first = await desk.record_payment("101", INV1, "card", "", "same", "Ann")
    # A retry after the buyer has paid in full must not be refused as too much.
    again = await desk.record_payment("101", INV1, "card", "", "same", "Ann")
    assert again.repeated
    assert again.seq == first.seq
    account = desk.account("101")
    assert account.paid == INV1
    assert len(account.payments) == 1


async def test_third_party_payment_needs_a_reason(desk: Cashier) -> None:
    await desk.issue_invoice("101", "Ann")
    before = events(desk)
    with pytest.raises(MoneyError) as refused:
        await desk.record_payment("101", 100, "transfer", "", "k1", "Ann", payer="Acme Ltd")
    assert refused.value.reason == "third_party"
    assert events(desk) == before
    await desk.record_payment(
        "101", 100, "transfer", "", "k2", "Ann", payer="Acme Ltd", third_party_reason="ID seen"
    )
    (payment,) = desk.account("101").payments
    assert (payment.payer, payment.third_party_reason) == ("Acme Ltd", "ID seen")
    # The refused first try left no payer behind in the identities store.
    assert desk.identities.db.execute("SELECT COUNT(*) FROM payers").fetchone()[0] == 1


def _journal_bytes(tmp_path: Path) -> bytes:
    """The sale journal's bytes on disk: the database file and its write-ahead log."""
    files = (tmp_path / "sales" / "autumn.db", tmp_path / "sales" / "autumn.db-wal")
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_a_payers_name_stays_out_of_the_journal_and_is_erased(
    desk: Cashier, tmp_path: Path
) -> None:
    await desk.issue_invoice("101", "Ann")
    name = "Zebedee Quux-Holdings"
    answer = await desk.record_payment(
        "101", 100, "transfer", "", "k1", "Ann", payer=name, third_party_reason="ID seen"
    )
    (event,) = answer.events
    assert "payer" not in event.data or event.data["payer"] == ""
    assert event.data["third_party"] is True
    ref = event.data["payer_ref"]
    assert ref.startswith("py-")
    assert name.encode() not in _journal_bytes(tmp_path)
    assert desk.identities.payer_name(ref) == name
    (payment,) = desk.account("101").payments
    assert payment.payer == name
    html = render.receipt_html(desk.account("101"), payment, HOUSE)
    assert f"from\n  <bdi>{name}</bdi>" in html
    rows = json.loads(desk.export("payments", "json")[0])["rows"]
    assert [r["payer"] for r in rows] == [name]
    # A retry with the same key stores no second payer.
    again = await desk.record_payment(
        "101", 100, "transfer", "", "k1", "Ann", payer=name, third_party_reason="ID seen"
    )
    assert again.repeated
    assert desk.identities.db.execute("SELECT COUNT(*) FROM payers").fetchone()[0] == 1

    desk.identities.erase("autumn", "101")
    assert desk.identities.payer_name(ref) is None
    row = desk.identities.db.execute("SELECT name FROM payers WHERE ref = ?", [ref]).fetchone()
    assert tuple(row) == ("",)
    (payment,) = desk.account("101").payments
    assert payment.payer == "third party"
    html = render.receipt_html(desk.account("101"), payment, HOUSE)
    assert name not in html
    assert "<bdi>third party</bdi>" in html
    rows = json.loads(desk.export("payments", "json")[0])["rows"]
    assert [r["payer"] for r in rows] == ["third party"]


async def test_a_refused_third_party_payment_keeps_no_payer(desk: Cashier) -> None:
    await desk.issue_invoice("101", "Ann")
    before = events(desk)
    bad = (" ", "a\x00b", "<b>\u202e</b>\ud800", "x" * 201, "two\nlines", "\u2028")
    for payer in bad:
        with pytest.raises(MoneyError) as refused:
            await desk.record_payment(
                "101", 100, "cash", "", None, "Ann", payer=payer, third_party_reason="why"
            )
        assert refused.value.reason == "invalid"
        assert "'payer'" in refused.value.message
    # The core refuses (a method it does not know): the stored name is taken back.
    with pytest.raises(MoneyError) as refused:
        await desk.record_payment(
            "101", 100, "bitcoin?", "", None, "Ann", payer="Acme", third_party_reason="why"
        )
    assert refused.value.answer is not None  # the core's refusal, after the name was stored
    assert desk.identities.db.execute("SELECT COUNT(*) FROM payers").fetchone()[0] == 0
    assert events(desk) == before


async def test_unknown_paddles_are_refused(desk: Cashier) -> None:
    before = events(desk)
    for call in (
        desk.issue_invoice("999", "Ann"),
        desk.record_payment("999", 100, "cash", "", "k", "Ann"),
        desk.record_refund("999", 100, "cash", "", "k", "Ann"),
        desk.release("999", [], "Ann"),
    ):
        with pytest.raises(MoneyError) as refused:
            await call
        assert refused.value.reason == "unknown_bidder"
    with pytest.raises(MoneyError):
        desk.account("<script>")
    assert events(desk) == before


async def test_a_reknock_credits_the_invoice_first(desk: Cashier) -> None:
    await desk.issue_all("Ann")
    await desk.reknock("3", "102", 900_000, "clerk misheard the paddle", "Ann")
    note = desk.invoice("CN-2026-00001")
    assert note.kind == "credit_note"
    assert note.refers_to == "INV-2026-00001"
    assert note.totals.total == -1_290_000
    assert note.reason == "clerk misheard the paddle"
    account = desk.account("101")
    assert (account.due, account.owed) == (INV1 - 1_290_000, 125_000)
    # The lot is 102's now, at 9,000.00, not invoiced yet.
    draft = desk.account("102").proforma
    assert draft is not None
    assert [x.amount for x in draft.lines if x.kind == "hammer"] == [900_000]
    answer = await desk.issue_invoice("102", "Ann")
    assert answer.events[0].data["number"] == "INV-2026-00003"


async def test_a_cancelled_sale_is_credited_and_the_lot_passed(desk: Cashier) -> None:
    await desk.issue_invoice("101", "Ann")
    await desk.cancel_lot_sale("1", "buyer withdrew, goods damaged", "Ann")
    assert desk.auction.lots["1"].status == "passed"
    assert desk.account("101").due == INV1 - 125_000
    assert [n.number for n in desk.account("101").credit_notes] == ["CN-2026-00001"]
    # Not invoiced: no credit note, just the cancellation.
    await desk.cancel_lot_sale("2", "export licence refused", "Ann")
    assert desk.account("101").credit_notes[0].number == "CN-2026-00001"
    assert len(desk.auction.money.credit_notes) == 1


async def test_refunds_never_exceed_what_was_paid(desk: Cashier) -> None:
    await desk.issue_invoice("101", "Ann")
    await desk.record_payment("101", 5_000, "cash", "", "k1", "Ann")
    with pytest.raises(MoneyError) as refused:
        await desk.record_refund("101", 5_001, "cash", "", "r1", "Ann")
    assert refused.value.reason == "too_much"
    await desk.record_refund("101", 5_000, "cash", "", "r2", "Ann", reason="overpaid")
    assert desk.account("101").paid == 0


async def test_payouts_never_exceed_the_settlement(desk: Cashier) -> None:
    due = desk.settlement("C-1").due
    assert due == 5_808_800
    with pytest.raises(MoneyError) as refused:
        await desk.record_payout("C-1", due + 1, "transfer", "T1", "p1", "Ann")
    assert refused.value.reason == "too_much"
    await desk.record_payout("C-1", due, "transfer", "T1", "p2", "Ann")
    doc = desk.settlement("C-1")
    assert (doc.paid_out, doc.due) == (due, 0)
    assert doc.consignor.name == "Héloïse Martin"
    assert doc.payout_date == "2026-10-21"
    with pytest.raises(MoneyError) as refused:
        await desk.record_payout("C-9", 1, "transfer", "T1", "p3", "Ann")
    assert refused.value.reason == "unknown_consignor"


async def test_terms_are_journaled_and_change_the_settlement(desk: Cashier) -> None:
    await desk.set_terms("C-1", {**desk.auction.money.terms["C-1"], "charges": []}, "Ann")
    assert desk.settlement("C-1").net == 5_808_800 + 6_000


async def test_reads_summary_exports_and_unknown_numbers(desk: Cashier) -> None:
    await desk.issue_all("Ann")
    assert desk.summary().hammer == 7_100_000
    assert [r.price for r in desk.prices_realised()][:3] == [125_000, 7_450_000, 1_250_000]
    text, media = desk.export("invoices", "csv")
    assert media.startswith("text/csv")
    assert "INV-2026-00002" in text
    assert "Ada Lovelace" in text
    with pytest.raises(MoneyError) as refused:
        desk.invoice("INV-2026-99999")
    assert refused.value.reason == "not_found"
    assert [a.paddle for a in desk.accounts()] == ["101", "102"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method", "bitcoin"),
        ("method", ""),
        ("reference", "x" * 100_000),
        ("reference", "AUTH\x00"),
        ("reference", "bad\ud800"),
        ("by", "\x1b[31mAnn"),
    ],
)
async def test_hostile_payment_fields_are_refused_and_change_nothing(
    desk: Cashier, field: str, value: str
) -> None:
    await desk.issue_invoice("101", "Ann")
    before = events(desk)
    args = {"method": "card", "reference": "", "by": "Ann", field: value}
    with pytest.raises(MoneyError) as refused:
        await desk.record_payment("101", 100, args["method"], args["reference"], "k", args["by"])
    assert refused.value.reason == "invalid"
    assert refused.value.message
    assert events(desk) == before
    assert desk.account("101").paid == 0


async def test_a_refused_invoice_uses_no_number(desk: Cashier) -> None:
    with pytest.raises(MoneyError) as refused:
        await desk.issue_invoice("101", "A" * 100_000)
    assert refused.value.reason == "invalid"
    answer = await desk.issue_invoice("101", "Ann")
    assert answer.events[0].data["number"] == "INV-2026-00001"


async def test_credit_notes_for_unknown_invoices_or_lots_are_refused(desk: Cashier) -> None:
    await desk.issue_all("Ann")
    before = events(desk)
    with pytest.raises(MoneyError) as refused:
        await desk.credit_note("INV-2026-00042", ["1"], "typo", "Ann")
    assert refused.value.reason == "not_found"
    with pytest.raises(MoneyError) as refused:
        await desk.credit_note("INV-2026-00001", ["2"], "not on it", "Ann")
    assert refused.value.reason == "not_invoiced"
    assert events(desk) == before
    await desk.credit_note("INV-2026-00001", [], "all of it", "Ann")
    with pytest.raises(MoneyError) as refused:  # nothing left on it to credit
        await desk.credit_note("INV-2026-00001", [], "again", "Ann")
    assert refused.value.reason == "not_invoiced"
    # The refused second credit note used no number.
    await desk.credit_note("INV-2026-00002", [], "all of it", "Ann")
    assert sorted(desk.auction.money.credit_notes) == ["CN-2026-00001", "CN-2026-00002"]


async def test_release_of_a_lot_not_invoiced_and_an_override(desk: Cashier) -> None:
    await desk.issue_invoice("101", "Ann")
    with pytest.raises(MoneyError) as refused:
        await desk.release("101", ["2"], "Ann", "collector known to us")
    assert refused.value.reason == "not_invoiced"
    await desk.release("101", ["1"], "Ann", override_reason="collector known to us, pays Monday")
    account = desk.account("101")
    assert account.released == ("1",)
    assert account.status == "owes"


async def test_invoices_per_session(tmp_path: Path) -> None:
    commands = sale_commands()
    commands[0]["sale"]["sessions"] = [
        {"name": "Day 1", "starts": "2026-09-21T10:00", "from_lot": "1", "to_lot": "2"},
        {"name": "Day 2", "starts": "2026-09-22T10:00", "from_lot": "3", "to_lot": "4"},
    ]
    commands += [*sell_commands("1", "101", 100_000), *sell_commands("3", "101", 1_000_000)]
    sequencer = await sale_on_disk(tmp_path / "sales" / "s.db", commands, Clock())
    identities = IdentityStore(tmp_path / "identities.db")
    cashier = Cashier(
        sequencer, identities, ConsignorStore(tmp_path / "identities.db"), Numbering(tmp_path)
    )
    try:
        first = await cashier.issue_invoice("101", "Ann", session=0)
        assert first.events[0].data["lots"] == ["1"]
        assert first.events[0].data["session"] == 0
        second = await cashier.issue_invoice("101", "Ann", session=1)
        assert second.events[0].data["lots"] == ["3"]
        numbers = [i.number for i in cashier.account("101").invoices]
        assert numbers == ["INV-2026-00001", "INV-2026-00002"]
        assert [i.session for i in cashier.account("101").invoices] == [0, 1]
        assert cashier.sale_date() == date(2026, 9, 22)  # payouts count from the last day
    finally:
        await sequencer.stop()


async def test_two_payments_at_once_cannot_both_pass_the_owed_check(desk: Cashier) -> None:
    await desk.issue_invoice("101", "Ann")
    half = INV1 // 2 + 1
    results = await asyncio.gather(
        desk.record_payment("101", half, "card", "", "a", "Ann"),
        desk.record_payment("101", half, "card", "", "b", "Ann"),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, MoneyError)]
    assert len(refused) == 1
    assert refused[0].reason == "too_much"
    assert desk.account("101").paid == half


async def test_two_sales_on_one_loop_number_house_wide(tmp_path: Path) -> None:
    identities = IdentityStore(tmp_path / "identities.db")
    consignors = ConsignorStore(tmp_path / "identities.db")
    desks = []
    for sale in ("north", "south"):
        sequencer = await sale_on_disk(
            tmp_path / "sales" / f"{sale}.db", worked_sale_commands(sale), Clock()
        )
        desks.append(Cashier(sequencer, identities, consignors, Numbering(tmp_path)))
    try:
        north, south = await asyncio.gather(*(d.issue_all("Ann") for d in desks))
    finally:
        for d in desks:
            await d.sequencer.stop()
    assert len(north) == len(south) == 2
    assert sorted(north + south) == [f"INV-2026-{n:05d}" for n in range(1, 5)]


@pytest.mark.parametrize("lots", ["1", [1], None, {"1": True}])
async def test_lots_must_be_a_list_of_lot_numbers(desk: Cashier, lots: object) -> None:
    await desk.issue_invoice("101", "Ann")
    before = events(desk)
    for call in (
        desk.credit_note("INV-2026-00001", lots, "x", "Ann"),  # type: ignore[arg-type]
        desk.release("101", lots, "Ann", "x"),  # type: ignore[arg-type]
    ):
        with pytest.raises(MoneyError) as refused:
            await call
        assert refused.value.reason == "invalid"
    assert events(desk) == before


@pytest.mark.parametrize("ref", ["<script>", "", "C-1\x00", "x" * 10_000, 7])
async def test_hostile_document_and_consignor_lookups_are_refused(
    desk: Cashier, ref: object
) -> None:
    with pytest.raises(MoneyError) as refused:
        desk.invoice(ref)  # type: ignore[arg-type]
    assert refused.value.reason == "not_found"
    with pytest.raises(MoneyError) as refused:
        desk.settlement(ref)  # type: ignore[arg-type]
    assert refused.value.reason == "unknown_consignor"
    assert len(refused.value.message) < 200  # a hostile value is never echoed whole


@pytest.mark.parametrize(
    "change",
    [
        {"commission": [[0, -100]]},
        {"commission": [[100, 1500]]},  # the first band must start at 0
        {"commission": "15 %"},
        {"lot_fee": -1},
        {"lot_fee": 1.5},
        {"charges": [["Photo\x00", 100]]},
        {"payout_days": True},
    ],
)
async def test_bad_terms_are_refused_and_the_old_ones_kept(
    desk: Cashier, change: dict[str, object]
) -> None:
    before = dict(desk.auction.money.terms["C-1"])
    with pytest.raises(MoneyError) as refused:
        await desk.set_terms("C-1", {**before, **change}, "Ann")
    assert refused.value.reason == "invalid"
    assert desk.auction.money.terms["C-1"] == before


async def test_the_accountants_exports_add_up_to_the_books(desk: Cashier) -> None:
    await desk.issue_all("Ann")
    await desk.record_payment("101", 1_000_000, "card", "A1", "k1", "Ann")
    await desk.reknock("3", "102", 900_000, "misheard", "Ann")
    text, _ = desk.export("invoices", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["number"] for r in rows] == ["INV-2026-00001", "INV-2026-00002"]
    cents = sum(int(Decimal(r["total"]) * 100) for r in rows)
    assert cents == INV1 + INV2
    notes = json.loads(desk.export("credit_notes", "json")[0])["rows"]
    assert [(n["number"], n["refers_to"], n["total"]) for n in notes] == [
        ("CN-2026-00001", "INV-2026-00001", -1_290_000)
    ]
    lines = json.loads(desk.export("lines", "json")[0])["rows"]
    assert sum(x["amount"] for x in lines) == INV1 + INV2 - 1_290_000
    (payment,) = json.loads(desk.export("payments", "json")[0])["rows"]
    assert (payment["of"], payment["amount"], payment["by"]) == ("101", 1_000_000, "Ann")
    (settled,) = json.loads(desk.export("settlements", "json")[0])["rows"]
    assert settled["name"] == "Héloïse Martin"
    assert settled["net"] == desk.settlement("C-1").net


async def test_issue_all_journals_every_invoice_in_one_group_commit(desk: Cashier) -> None:
    before = desk.sequencer.batches
    assert await desk.issue_all("Ann") == ["INV-2026-00001", "INV-2026-00002"]
    assert desk.sequencer.batches == before + 1  # one transaction, one fsync, for the run


async def test_a_buyer_the_core_would_refuse_takes_no_number(
    desk: Cashier, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = type(desk.sequencer.engine)
    decide = engine.decide

    def refusing(self: object, command: dict, actor: object, now: float) -> object:
        if command.get("op") == "issue_invoice" and command.get("paddle") == "101":
            return Decision.refuse("cdd_incomplete", "identity checks first")
        return decide(self, command, actor, now)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "decide", refusing)
    assert await desk.issue_all("Ann") == ["INV-2026-00001"]
    assert desk.auction.money.invoices["INV-2026-00001"]["paddle"] == "102"
    monkeypatch.setattr(engine, "decide", decide)
    assert await desk.issue_all("Ann") == ["INV-2026-00002"]  # 101 later: the next number


async def test_sales_cancelled_while_issue_all_starts_leave_no_gap(desk: Cashier) -> None:
    # The cancellations are queued first: issue_all must number what the core will accept
    # after them (101 has nothing left), not what it saw before they were decided.
    results = await asyncio.gather(
        desk.cancel_lot_sale("1", "export licence refused", "Ann"),
        desk.cancel_lot_sale("3", "export licence refused", "Ann"),
        desk.issue_all("Ann"),
    )
    assert results[2] == ["INV-2026-00001"]
    assert desk.auction.money.invoices["INV-2026-00001"]["paddle"] == "102"
    assert desk.auction.money.credit_notes == {}
    assert await desk.issue_all("Ann") == []
