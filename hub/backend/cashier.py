"""The cashier's desk: the money commands of one sale, and its books as documents.

`Cashier` is the one service the web pages (through the gateway) and the desktop app (through
its facade) call for money. Every change is a command through the sale's one sequencer,
journaled like a bid:

- invoices and credit notes are submitted as the system actor with the staff member in `by`,
  and their numbers are allocated house-wide by `Numbering` while the command is journaled (the
  lock is held until the journal has committed or refused it, so a refusal leaves no gap);
- payments, refunds, releases, terms and payouts go as the staff actor, whose name the event
  records; a retry with the same `key` counts once (the sequencer's idempotency table).

A refusal raises `MoneyError(reason, message)`: either checked here before the journal (an
unknown paddle, an amount above what is owed: `too_much`) or the core's own refusal (its
`reason`, with the answer in `.answer`). Reads are pure functions of the live engine state
(`hub/backend/ledger.py`); call everything on the sequencer's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import zoneinfo
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from hub.auction import reasons as R
from hub.auction.charges import Terms
from hub.auction.events import SYSTEM, Actor
from hub.auction.state import Auction
from hub.auction.text import text_problem
from hub.backend import ledger
from hub.backend.consignors import ConsignorStore
from hub.backend.exports import export
from hub.backend.house import HouseProfile
from hub.backend.identities import IdentityError, IdentityStore
from hub.backend.money import format_money
from hub.backend.numbering import Numbering
from hub.backend.statements import (
    AccountDoc,
    InvoiceDoc,
    Party,
    RealisedRow,
    SettlementDoc,
    SummaryDoc,
)
from hub.journal.sequencer import Answer, Sequencer, scope_of

JSON = dict[str, Any]
log = logging.getLogger(__name__)
MAX_AMOUNT = 10**13  # the engine's largest amount
MAX_BY = 100  # a staff member's name

UNKNOWN_BIDDER = "unknown_bidder"
UNKNOWN_CONSIGNOR = "unknown_consignor"
NOT_FOUND = "not_found"
TOO_MUCH = "too_much"
INVALID = "invalid"


class MoneyError(Exception):
    """A money operation refused: `reason` is machine-readable, the message says why."""

    def __init__(self, reason: str, message: str, answer: Answer | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.answer = answer


class Cashier:
    """Money commands and documents of the sequencer's sale.

    :param staff_role: the role staff commands are submitted as. The auctioneer keeps every
        money op (payments and the admin's corrections: reknock, cancel, consignor terms) until
        the caller passes the person's own roles (issue 13).
    """

    def __init__(
        self,
        sequencer: Sequencer,
        identities: IdentityStore,
        consignors: ConsignorStore,
        numbering: Numbering,
        house_loader: Callable[[], HouseProfile] | None = None,
        *,
        staff_role: str = "auctioneer",
    ) -> None:
        self.sequencer = sequencer
        self.identities = identities
        self.consignors = consignors
        self.numbering = numbering
        self.house_loader = house_loader
        self.staff_role = staff_role
        self._payments = asyncio.Lock()  # one "is it too much?" check at a time

    # ------------------------------------------------------------------ state

    @property
    def auction(self) -> Auction:
        return self.sequencer.engine.state

    @property
    def sale_id(self) -> str:
        return self.auction.sale.id

    def close(self) -> None:
        """Close the journals the numbering keeps open for reading (at the stage's stop)."""
        self.numbering.close()

    def house(self) -> HouseProfile | None:
        return None if self.house_loader is None else self.house_loader()

    def _staff(self, by: str) -> Actor:
        return Actor(self.staff_role, name=_check_by(by) or None)

    def _year(self) -> int:
        return datetime.fromtimestamp(float(self.sequencer.clock()), self._zone()).year

    def _zone(self) -> tzinfo:
        try:
            return (
                zoneinfo.ZoneInfo(self.auction.sale.timezone) if self.auction.sale.timezone else UTC
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return UTC

    def _money(self, minor: int) -> str:
        return format_money(minor, self.auction.sale.settings.currency)

    def _check_bidder(self, paddle: object) -> str:
        if not isinstance(paddle, str) or paddle not in self.auction.bidders:
            shown = repr(paddle)[:40]
            raise MoneyError(UNKNOWN_BIDDER, f"no bidder with paddle {shown} in this sale")
        return paddle

    def _check_consignor(self, reference: object) -> str:
        if not isinstance(reference, str) or reference not in ledger.consignors(self.auction):
            shown = repr(reference)[:40]
            raise MoneyError(UNKNOWN_CONSIGNOR, f"no consignor {shown} in this sale")
        return reference

    async def _submit(self, command: JSON, actor: Actor) -> Answer:
        answer = await self.sequencer.submit(command, actor)
        if not answer.ok:
            raise MoneyError(answer.reason or INVALID, answer.message or "refused", answer)
        return answer

    def _known_key(self, key: str | None, actor: Actor) -> bool:
        """True if `key` already has an answer (a retry: let the sequencer repeat it)."""
        if not key:
            return False
        row = self.sequencer.db.conn.execute(
            "SELECT 1 FROM answers WHERE scope = ? AND key = ?", (scope_of(actor), key)
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------------ invoices

    async def issue_invoice(self, paddle: str, by: str, session: int | None = None) -> Answer:
        """Invoice every lot sold to `paddle` and not invoiced yet, under the next number."""
        self._check_bidder(paddle)
        _check_by(by)
        if not ledger.uninvoiced_lots(self.auction, paddle):
            raise MoneyError("nothing_to_invoice", f"paddle {paddle} has nothing to invoice")
        async with self.numbering.allocate_async("INV", self._year()) as (number,):
            command = {
                "op": "issue_invoice",
                "paddle": paddle,
                "number": number,
                "by": by,
                "session": session,
            }
            return await self._submit(command, SYSTEM)

    async def issue_all(self, by: str) -> list[str]:
        """An invoice for every buyer with lots not invoiced yet (at close); their numbers.

        All the numbers are taken under one hold of the house's lock and the commands go to
        the sequencer as one run (group-committed: a handful of fsyncs, not one per buyer).
        Gap-free: once the journal is idle, each command is first decided by the pure core
        on the state it will meet (buyers do not touch each other's invoices), so a buyer the
        core would refuse (e.g. identity checks not complete) is left out before numbering,
        with a warning, and the run enters the queue with nothing between its commands."""
        _check_by(by)
        issued: list[str] = []
        paddles = self._invoiceable()
        if not paddles:
            return issued
        year = self._year()
        async with self.numbering.allocate_async("INV", year, count=len(paddles)) as numbers:
            await self._journal_idle()
            commands = self._run_of_invoices(self._invoiceable(), numbers, by)
            answers = await self.sequencer.submit_run(commands, SYSTEM) if commands else []
        refused = False
        for command, answer in zip(commands, answers, strict=True):
            if not answer.ok:  # a failed write (it refuses the rest of the run too)
                refused = True
                log.warning(
                    "no invoice for paddle %s: %s (%s)",
                    command["paddle"],
                    answer.message,
                    answer.reason,
                )
                continue
            if refused:  # cannot happen after the dry run; said loudly if it ever does
                log.error("invoice %s journaled after a refused number", command["number"])
            issued.append(str(answer.events[0].data["number"]))
        return issued

    def _invoiceable(self) -> list[str]:
        return [
            paddle
            for paddle in ledger.buyers(self.auction)
            if paddle in self.auction.bidders and ledger.uninvoiced_lots(self.auction, paddle)
        ]

    async def _journal_idle(self) -> None:
        """Wait until every command submitted so far is decided (the queue is empty), so the
        state read next is the one the next submitted command meets."""
        # The sequencer has no "idle" event to wait on; polling a queue length is cheap.
        while (status := self.sequencer.status).queue_depth and status.state == "ok":  # noqa: ASYNC110
            await asyncio.sleep(0.001)  # a paused or stopped journal refuses the run at once

    def _run_of_invoices(self, paddles: list[str], numbers: list[str], by: str) -> list[JSON]:
        """The issue_invoice commands the core accepts now, numbered in order (no await here:
        nothing can change the state between this check and the run entering the queue)."""
        now = float(self.sequencer.clock())
        run: list[JSON] = []
        for paddle in paddles:
            if len(run) == len(numbers):
                break  # more buyers than before the lock: the rest waits for the next call
            command: JSON = {
                "op": "issue_invoice",
                "paddle": paddle,
                "number": numbers[len(run)],
                "by": by,
                "session": None,
            }
            decision = self.sequencer.engine.decide(command, SYSTEM, now)
            if not decision.ok:
                log.warning(
                    "no invoice for paddle %s: %s (%s)", paddle, decision.message, decision.reason
                )
                continue
            run.append(command)
        return run

    async def credit_note(self, invoice: str, lots: list[str], reason: str, by: str) -> Answer:
        """A credit note for `lots` of `invoice` ([] = all its live lots): those lots become
        uninvoiced again (to be cancelled, reknocked or invoiced anew)."""
        if not isinstance(invoice, str) or invoice not in self.auction.money.invoices:
            raise MoneyError(NOT_FOUND, f"no invoice {str(invoice)[:40]!r} in this sale")
        _check_by(by)
        _check_lots(lots)
        if not lots:
            lots = [lot for lot, n in self.auction.money.invoiced.items() if n == invoice]
        async with self.numbering.allocate_async("CN", self._year()) as (number,):
            command = {
                "op": "issue_credit_note",
                "invoice": invoice,
                "lots": list(lots),
                "number": number,
                "reason": reason,
                "by": by,
            }
            return await self._submit(command, SYSTEM)

    # ------------------------------------------------------------------ payments

    def owed_now(self, paddle: str) -> int:
        """What `paddle` may pay today: invoiced and not paid, plus what is sold to them and
        not invoiced yet (a buyer pays for everything at the desk, the invoice follows)."""
        owed = ledger.balance(self.auction, paddle)[2]
        draft = ledger.proforma(self.auction, paddle, Party(paddle))
        return owed + (draft.totals.total if draft is not None else 0)

    async def record_payment(
        self,
        paddle: str,
        amount: int,
        method: str,
        reference: str,
        key: str | None,
        by: str,
        payer: str = "",
        third_party_reason: str = "",
    ) -> Answer:
        """A payment by the buyer (or, with a staff override's reason, by `payer`).

        The journal cannot be erased, so a payer's name never goes there: it is kept in the
        identities store and the command carries its opaque `payer_ref`; if the core refuses
        the payment, the stored name is removed again."""
        self._check_bidder(paddle)
        _check_amount(amount)
        actor = self._staff(by)
        async with self._payments:
            retry = self._known_key(key, actor)
            if not retry:
                owed = self.owed_now(paddle)
                if amount > owed:
                    raise MoneyError(
                        TOO_MUCH,
                        f"paddle {paddle} owes {self._money(max(owed, 0))}; "
                        f"{self._money(amount)} is more than that",
                    )
            command: JSON = {
                "op": "record_payment",
                "paddle": paddle,
                "amount": amount,
                "method": method,
                "reference": reference,
                "third_party_reason": third_party_reason,
            }
            if key:
                command["key"] = key
            ref = ""
            # A retry gets the first answer back: its payer is stored already.
            if payer and not retry:
                if not third_party_reason:
                    raise MoneyError(
                        R.THIRD_PARTY, "a payment by someone other than the buyer needs a reason"
                    )
                try:
                    ref = self.identities.add_payer(self.sale_id, paddle, payer)
                except IdentityError as exc:
                    raise MoneyError(INVALID, str(exc)) from None
                command["payer_ref"] = ref
            try:
                return await self._submit(command, actor)
            except BaseException:
                if ref:
                    self.identities.remove_payer(ref)
                raise

    async def record_refund(
        self,
        paddle: str,
        amount: int,
        method: str,
        reference: str,
        key: str | None,
        by: str,
        reason: str = "",
    ) -> Answer:
        """Money given back to the buyer; never more than they have paid."""
        self._check_bidder(paddle)
        _check_amount(amount)
        actor = self._staff(by)
        command: JSON = {
            "op": "record_refund",
            "paddle": paddle,
            "amount": amount,
            "method": method,
            "reference": reference,
            "reason": reason,
        }

        def too_much() -> str | None:
            paid = ledger.balance(self.auction, paddle)[1]
            if amount <= paid:
                return None
            return (
                f"paddle {paddle} has paid {self._money(max(paid, 0))}; "
                f"a refund of {self._money(amount)} is more than that"
            )

        return await self._submit_capped(command, key, actor, too_much)

    async def release(
        self, paddle: str, lots: list[str], by: str, override_reason: str = ""
    ) -> Answer:
        """Release lots for collection ([] = all releasable); refused while the buyer owes,
        unless a staff member gives an override reason."""
        self._check_bidder(paddle)
        _check_lots(lots)
        command = {
            "op": "release_lots",
            "paddle": paddle,
            "lots": list(lots),
            "override_reason": override_reason,
        }
        return await self._submit(command, self._staff(by))

    # ------------------------------------------------------------------ corrections

    async def _credit_if_invoiced(self, lot: str, reason: str, by: str) -> None:
        number = self.auction.money.invoiced.get(lot)
        if number is not None:
            await self.credit_note(number, [lot], reason, by)

    async def cancel_lot_sale(self, lot: str, reason: str, by: str) -> Answer:
        """Undo a sale (the lot becomes passed); a credit note first if it was invoiced."""
        if not isinstance(lot, str) or lot not in self.auction.lots:
            raise MoneyError(NOT_FOUND, f"no lot {str(lot)[:40]!r} in this sale")
        await self._credit_if_invoiced(lot, reason, by)
        command = {"op": "cancel_lot_sale", "lot": lot, "reason": reason}
        return await self._submit(command, self._staff(by))

    async def reknock(self, lot: str, paddle: str, amount: int, reason: str, by: str) -> Answer:
        """Correct a sold lot's buyer or price; a credit note first if it was invoiced (the
        corrected sale is invoiced anew)."""
        if not isinstance(lot, str) or lot not in self.auction.lots:
            raise MoneyError(NOT_FOUND, f"no lot {str(lot)[:40]!r} in this sale")
        self._check_bidder(paddle)
        _check_amount(amount)
        await self._credit_if_invoiced(lot, reason, by)
        command = {
            "op": "reknock",
            "lot": lot,
            "paddle": paddle,
            "amount": amount,
            "reason": reason,
        }
        return await self._submit(command, self._staff(by))

    # ------------------------------------------------------------------ consignors

    async def set_terms(
        self, consignor: str, terms: Terms | Mapping[str, Any], by: str = ""
    ) -> Answer:
        """Journal a consignor's contract terms for this sale (no personal data)."""
        raw = terms.to_json() if isinstance(terms, Terms) else dict(terms)
        command = {"op": "set_consignor_terms", "consignor": consignor, **raw}
        return await self._submit(command, self._staff(by))

    async def record_payout(
        self, consignor: str, amount: int, method: str, reference: str, key: str | None, by: str
    ) -> Answer:
        """Money paid out to a consignor; never more than their settlement's due."""
        self._check_consignor(consignor)
        _check_amount(amount)
        actor = self._staff(by)
        command: JSON = {
            "op": "record_payout",
            "consignor": consignor,
            "amount": amount,
            "method": method,
            "reference": reference,
        }

        def too_much() -> str | None:
            due = self.settlement(consignor).due
            if amount <= due:
                return None
            return (
                f"consignor {consignor} is due {self._money(max(due, 0))}; "
                f"{self._money(amount)} is more than that"
            )

        return await self._submit_capped(command, key, actor, too_much)

    async def _submit_capped(
        self, command: JSON, key: str | None, actor: Actor, too_much: Callable[[], str | None]
    ) -> Answer:
        """Submit a money-out command unless `too_much()` says it exceeds what may go out. A
        retried idempotency key skips the check: the first attempt already passed it, and its
        answer comes back unchanged. Payments are serialised so two desks cannot both pass it."""
        async with self._payments:
            if not self._known_key(key, actor):
                problem = too_much()
                if problem:
                    raise MoneyError(TOO_MUCH, problem)
            if key:
                command["key"] = key
            return await self._submit(command, actor)

    # ------------------------------------------------------------------ reads

    def buyer(self, paddle: str) -> Party:
        return ledger.buyer_party(paddle, self.identities.get(self.sale_id, paddle))

    def account(self, paddle: str) -> AccountDoc:
        self._check_bidder(paddle)
        return ledger.account(
            self.auction,
            paddle,
            self.identities.get(self.sale_id, paddle),
            self.identities.payer_name,
        )

    def accounts(self) -> list[AccountDoc]:
        """Every buyer's account, by paddle."""
        return [self.account(p) for p in ledger.buyers(self.auction) if p in self.auction.bidders]

    def invoice(self, number: str) -> InvoiceDoc:
        """An invoice or a credit note by its number (`MoneyError` not_found otherwise)."""
        paddle = ledger.document_paddle(self.auction, number)
        if paddle is None:
            raise MoneyError(NOT_FOUND, f"no invoice or credit note {str(number)[:40]!r}")
        if number in self.auction.money.invoices:
            return ledger.invoice_doc(self.auction, number, self.buyer(paddle))
        return ledger.credit_note_doc(self.auction, number, self.buyer(paddle))

    def sale_date(self) -> date | None:
        """The sale's (last session's) date, else the day it closed; None before either."""
        sale = self.auction.sale
        for session in reversed(sale.sessions):
            try:
                return datetime.fromisoformat(str(session.get("starts"))).date()
            except ValueError:
                continue
        if sale.closed_at is not None:
            return datetime.fromtimestamp(sale.closed_at, self._zone()).date()
        return None

    def settlement(self, consignor: str) -> SettlementDoc:
        self._check_consignor(consignor)
        return ledger.settlement(
            self.auction, consignor, self.consignors.party(consignor), self.sale_date()
        )

    def summary(self) -> SummaryDoc:
        return ledger.summary(self.auction)

    def prices_realised(self) -> list[RealisedRow]:
        return ledger.prices_realised(self.auction)

    def export(self, kind: str, fmt: str) -> tuple[str, str]:
        """(text, media type) of one accounting export (`exports.KINDS`, csv or json)."""
        books = ledger.books(
            self.auction,
            self.buyer,
            self.consignors.party,
            self.sale_date(),
            payer=self.identities.payer_name,
        )
        return export(books, kind, fmt)


def _check_by(by: object) -> str:
    """The staff member's name as events record it: one line of text, not too long."""
    if not isinstance(by, str):
        raise MoneyError(INVALID, "'by' must be the staff member's name")
    problem = text_problem(by, limit=MAX_BY)
    if problem is not None:
        raise MoneyError(INVALID, f"'by' {problem}")
    return by


def _check_lots(lots: object) -> list[str]:
    if not isinstance(lots, list) or not all(isinstance(lot, str) for lot in lots):
        raise MoneyError(INVALID, "lots must be a list of lot numbers")
    return lots


def _check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise MoneyError(INVALID, "the amount must be a whole number of minor units above 0")
    return amount
