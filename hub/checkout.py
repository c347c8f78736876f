"""The cashier's desk as the gateway reads it (`hub.ports.Money`), over the backend's Cashier.

The gateway may not import the backend; this adapter is the one place that joins the Cashier
(`hub/backend/cashier.py`: the money commands and the books as documents, from the live
engine's state), the renderers (`render.py`, `pdf.py`, `einvoice.py`) and the house profile,
and hands the gateway JSON, HTML and blocking PDF jobs. It turns the Cashier's `MoneyError`
into the port's `MoneyRefused`. Reads run on the stage loop (they read the live engine); a PDF
job captures the document built there and renders it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from hub.backend import ledger, pdf, render
from hub.backend.cashier import Cashier, MoneyError
from hub.backend.einvoice import invoice_pdf
from hub.backend.exports import ExportError
from hub.backend.house import DEMO_HOUSE, HouseProfile
from hub.backend.statements import AccountDoc, InvoiceDoc, PaymentDoc, SettlementDoc, to_json
from hub.journal.sequencer import Answer
from hub.ports import MoneyRefused

JSON = dict[str, Any]
T = TypeVar("T")


def _refused(exc: MoneyError) -> MoneyRefused:
    return MoneyRefused(exc.reason, exc.message)


class MoneyDesk:
    """`hub.ports.Money` over a Cashier."""

    def __init__(self, cashier: Cashier) -> None:
        self.cashier = cashier

    def _read(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except MoneyError as exc:
            raise _refused(exc) from None

    def _house(self) -> HouseProfile:
        return self.cashier.house() or DEMO_HOUSE

    # -- reads ------------------------------------------------------------------------------

    def account(self, paddle: str) -> JSON:
        return to_json(self._read(lambda: self.cashier.account(paddle)))

    def accounts(self) -> list[JSON]:
        """Every buyer's standing, for the cashier's list."""
        return [
            {
                "paddle": doc.paddle,
                "name": doc.buyer.name,
                "due": doc.due,
                "paid": doc.paid,
                "owed": doc.owed,
                "status": doc.status,
                "invoices": [i.number for i in doc.invoices],
            }
            for doc in self._read(self.cashier.accounts)
        ]

    def owner(self, kind: str, ref: str) -> str | None:
        """The paddle a document belongs to; None: there is no such document."""
        money = self.cashier.auction.money
        found: Mapping[str, Any] | None = None
        if kind == "invoice":
            found = money.invoices.get(ref)
        elif kind == "credit_note":
            found = money.credit_notes.get(ref)
        elif kind == "receipt":
            found = next((p for p in money.payments if p.get("id") == ref), None)
        return None if found is None else str(found.get("paddle"))

    def _doc(self, kind: str, number: str) -> InvoiceDoc:
        if self.owner(kind, number) is None:  # an invoice's number is not a credit note's
            raise MoneyRefused("not_found", f"no {kind.replace('_', ' ')} {number}")
        return self._read(lambda: self.cashier.invoice(number))

    def document(self, kind: str, number: str) -> JSON:
        if kind == "receipt":
            return to_json(self._receipt(number)[1])
        return to_json(self._doc(kind, number))

    def _receipt(self, payment_id: str) -> tuple[AccountDoc, PaymentDoc]:
        paddle = self.owner("receipt", payment_id)
        account = None if paddle is None else self._read(lambda: self.cashier.account(paddle))
        payments = account.payments if account is not None else ()
        payment = next((p for p in payments if p.id == payment_id), None)
        if account is None or payment is None:
            raise MoneyRefused("not_found", f"no payment {payment_id}")
        return account, payment

    def html(self, kind: str, ref: str) -> str:
        house = self._house()
        if kind == "invoice":
            return render.invoice_html(self._doc(kind, ref), house)
        if kind == "credit_note":
            return render.credit_note_html(self._doc(kind, ref), house)
        if kind == "receipt":
            return render.receipt_html(*self._receipt(ref), house)
        if kind == "settlement":
            return render.settlement_html(self._settlement(ref), house)
        if kind == "summary":
            return render.summary_html(self.cashier.summary(), house)
        if kind == "prices_realised":
            sale = self.cashier.auction.sale
            rows = self.cashier.prices_realised()
            return render.prices_realised_html(rows, sale.title, sale.settings.currency, house)
        raise MoneyRefused("not_found", f"no document kind {kind}")

    def pdf(self, kind: str, ref: str) -> Callable[[], bytes]:
        """A job that renders the document to PDF (blocking: run it in a worker thread). An
        invoice or credit note is a Factur-X PDF (its EN 16931 XML embedded) when it can be
        one (`einvoice.invoice_pdf` says), else the plain PDF."""
        if kind in ("invoice", "credit_note"):
            doc, house = self._doc(kind, ref), self._house()
            return lambda: invoice_pdf(doc, house)
        text = self.html(kind, ref)
        return lambda: pdf.pdf_bytes(text)

    def _settlement(self, consignor: str) -> SettlementDoc:
        return self._read(lambda: self.cashier.settlement(consignor))

    def settlement(self, consignor: str) -> JSON:
        return to_json(self._settlement(consignor))

    def consignors(self) -> list[JSON]:
        out = []
        for ref in ledger.consignors(self.cashier.auction):
            doc = self._settlement(ref)
            out.append(
                {
                    "consignor": ref,
                    "name": doc.consignor.name,
                    "hammer": doc.hammer,
                    "net": doc.net,
                    "paid_out": doc.paid_out,
                    "due": doc.due,
                }
            )
        return out

    def summary(self) -> JSON:
        return to_json(self.cashier.summary())

    def prices_realised(self) -> JSON:
        sale = self.cashier.auction.sale
        rows = [to_json(row) for row in self.cashier.prices_realised()]
        return {"sale": sale.id, "currency": sale.settings.currency, "rows": rows}

    def export(self, kind: str, fmt: str) -> str:
        try:
            text, _ = self.cashier.export(kind, fmt)
        except ExportError as exc:
            raise MoneyRefused("not_found", str(exc)) from None
        return text

    # -- commands ---------------------------------------------------------------------------

    async def _run(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except MoneyError as exc:
            raise _refused(exc) from None

    async def issue_invoice(self, paddle: str, by: str) -> Answer:
        return await self._run(self.cashier.issue_invoice(paddle, by))

    async def issue_all(self, by: str) -> list[str]:
        return await self._run(self.cashier.issue_all(by))

    async def credit_note(self, invoice: str, lots: list[str], reason: str, by: str) -> Answer:
        return await self._run(self.cashier.credit_note(invoice, lots, reason, by))

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
        return await self._run(
            self.cashier.record_payment(
                paddle, amount, method, reference, key, by, payer, third_party_reason
            )
        )

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
        return await self._run(
            self.cashier.record_refund(paddle, amount, method, reference, key, by, reason)
        )

    async def release(
        self, paddle: str, lots: list[str], by: str, override_reason: str = ""
    ) -> Answer:
        return await self._run(self.cashier.release(paddle, lots, by, override_reason))
