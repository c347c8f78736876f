"""Checkout: a buyer at the cash desk, keyed by paddle.

Type or scan a paddle and press Enter: the buyer's lots, their invoice lines (hammer, premium,
VAT, ARR...), what is due, paid and owed. Record a payment (a third party paying needs a staff
override with a reason), issue the invoice (or every invoice at close, with progress), release
the lots for collection, open an invoice as HTML or PDF. The checks live in
`app/ui/checkout_logic.py`; every figure comes from the core (`CoreThread.account`), never
computed here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.bridge import CoreBridge
from app.facade import CoreThread, IssueReport
from app.i18n import _
from app.i18n import refusal as app_refusal
from app.shortcuts import CHECKOUT_KEYS
from app.ui.checkout_logic import (
    METHOD_LABELS,
    METHODS,
    DeskError,
    PaymentRequest,
    clean_paddle,
    document_numbers,
    figures,
    line_rows,
    lot_rows,
    money,
    payment_request,
    payment_rows,
    refund_request,
    release_reason,
    safe_file_name,
)
from app.ui.widgets import item, plain, table
from hub.backend.statements import AccountDoc

# Records after which the open account is read again.
MONEY_EVENTS = frozenset(
    {
        "invoice_issued",
        "credit_note_issued",
        "payment_recorded",
        "refund_recorded",
        "lots_released",
        "lot_sold",
        "lot_reknocked",
        "lot_sale_cancelled",
    }
)


def refusal(what: str, outcome: Any) -> str:
    """A refused answer or a failed operation as one line for the cashier."""
    if isinstance(outcome, BaseException):
        message = getattr(outcome, "message", None) or str(outcome) or type(outcome).__name__
    else:
        message = app_refusal(outcome.reason, outcome.message)
    return _("{what}: {error}").format(what=what, error=message)


class CheckoutPanel(QWidget):
    """The Checkout tab. It runs its own core operations through the bridge.

    Signals:
        notice(str): a line for the status bar.
    """

    notice = Signal(str)

    def __init__(self, bridge: CoreBridge, *, dialogs: bool = True) -> None:
        super().__init__()
        self.setObjectName("checkoutPanel")
        self.bridge = bridge
        self.dialogs = dialogs
        self.account: AccountDoc | None = None
        self.currency = "EUR"
        self.pending: PaymentRequest | None = None  # sent, not answered: its key is reused
        self.busy = False
        # Asks before issuing every invoice at once; without dialogs (tests): yes.
        self.confirm: Callable[[str], bool] = self._ask if dialogs else (lambda _q: True)
        # Opens a written document (tests replace it; the default asks the desktop).
        self.opener: Callable[[Path], None] = open_with_desktop
        self._docs_dir: Path | None = None

        self.paddle = QLineEdit()
        self.paddle.setObjectName("checkoutPaddleEdit")
        self.paddle.setPlaceholderText(_("paddle — type or scan, Enter"))
        self.paddle.setMaximumWidth(220)
        self.paddle.returnPressed.connect(self.look_up)
        self.look_up_button = QPushButton(_("Look up"))
        self.look_up_button.setObjectName("btn_checkout_lookup")
        self.look_up_button.clicked.connect(self.look_up)
        self.buyer = plain("", "checkoutBuyer")
        self.status = plain("", "checkoutStatus")
        self.status.setStyleSheet("font-size: 16px; font-weight: 700;")
        head = QHBoxLayout()
        head.addWidget(plain(_("Checkout"), "sectionTitle"))
        head.addWidget(self.paddle)
        head.addWidget(self.look_up_button)
        head.addWidget(self.buyer, 1)
        head.addWidget(self.status)

        self.lots = table(
            [_("Lot"), _("Title"), _("Hammer"), _("Invoice"), _("Released")], "checkoutLots"
        )
        self.lines = table([_("Document"), _("Lot"), _("Line"), _("Amount")], "checkoutLines")
        self.payments = table(
            [_("Id"), _("Method"), _("Amount"), _("Reference"), _("By")], "checkoutPayments"
        )
        for view, stretch in ((self.lots, 1), (self.lines, 2), (self.payments, 4)):
            fit_columns(view, stretch)
        self.details = QTabWidget()
        self.details.setObjectName("checkoutDetails")
        self.details.addTab(self.lines, _("Invoice lines"))
        self.details.addTab(self._payments_page(), _("Payments"))
        left = QVBoxLayout()
        left.addWidget(self.lots, 2)
        left.addWidget(self.details, 3)

        side = QVBoxLayout()
        side.addWidget(self._figures_box())
        side.addWidget(self._payment_box())
        side.addWidget(self._actions_box())
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(300)

        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(side_widget)
        self.message = plain("", "checkoutMessage", wrap=True)
        col = QVBoxLayout(self)
        col.addLayout(head)
        col.addLayout(body, 1)
        col.addWidget(self.message)

        self.keys: dict[str, QShortcut] = {}
        for spec in CHECKOUT_KEYS:  # only while this tab (or a child) has focus
            shortcut = QShortcut(QKeySequence(spec.keys[0]), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(getattr(self, spec.action))
            self.keys[spec.action] = shortcut
        self.show_account(None)

    # -- layout pieces --------------------------------------------------------------------

    def _payments_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.payments, 1)
        row = QHBoxLayout()
        self.receipt_html = QPushButton(_("Receipt (HTML)"))
        self.receipt_html.setObjectName("btn_receipt_html")
        self.receipt_html.clicked.connect(lambda: self.open_receipt("html"))
        self.receipt_pdf = QPushButton(_("Receipt (PDF)"))
        self.receipt_pdf.setObjectName("btn_receipt_pdf")
        self.receipt_pdf.clicked.connect(lambda: self.open_receipt("pdf"))
        row.addWidget(plain(_("Selected payment, else the last:"), "caption"))
        row.addWidget(self.receipt_html)
        row.addWidget(self.receipt_pdf)
        row.addStretch(1)
        col.addLayout(row)
        return page

    def _figures_box(self) -> QGroupBox:
        box = QGroupBox(_("Account"))
        form = QFormLayout(box)
        self.due = plain("", "checkoutDue")
        self.paid = plain("", "checkoutPaid")
        self.owed = plain("", "checkoutOwed")
        self.owed.setStyleSheet("font-size: 18px; font-weight: 700;")
        self.uninvoiced = plain("", "checkoutPending")
        form.addRow(plain(_("Invoiced")), self.due)
        form.addRow(plain(_("Paid")), self.paid)
        form.addRow(plain(_("Owed")), self.owed)
        form.addRow(plain(_("Not invoiced")), self.uninvoiced)
        return box

    def _payment_box(self) -> QGroupBox:
        box = QGroupBox(_("Record a payment ({key})").format(key=_key("record_payment")))
        form = QFormLayout(box)
        self.method = QComboBox()
        self.method.setObjectName("checkoutMethodBox")
        for method in METHODS:
            self.method.addItem(_(METHOD_LABELS[method]), method)
        self.amount = QLineEdit()
        self.amount.setObjectName("checkoutAmountEdit")
        self.amount.setPlaceholderText(_("amount (Enter records it)"))
        self.amount.returnPressed.connect(self.record_payment)
        self.reference = QLineEdit()
        self.reference.setObjectName("checkoutReferenceEdit")
        self.reference.setPlaceholderText(_("card slip, transfer ref…"))
        self.payer = QLineEdit()
        self.payer.setObjectName("checkoutPayerEdit")
        self.payer.setPlaceholderText(_("empty: the buyer pays"))
        self.payer_reason = QLineEdit()
        self.payer_reason.setObjectName("checkoutPayerReasonEdit")
        self.payer_reason.setPlaceholderText(_("why someone else pays; why we refund"))
        self.pay = QPushButton(_("Record payment"))
        self.pay.setObjectName("btn_record_payment")
        self.pay.clicked.connect(self.record_payment)
        self.refund = QPushButton(_("Refund"))
        self.refund.setObjectName("btn_record_refund")
        self.refund.setToolTip(_("A buyer in credit (after a credit note): amount, method, reason"))
        self.refund.clicked.connect(self.record_refund)
        form.addRow(plain(_("Method")), self.method)
        form.addRow(plain(_("Amount")), self.amount)
        form.addRow(plain(_("Reference")), self.reference)
        form.addRow(plain(_("Paid by")), self.payer)
        form.addRow(plain(_("Reason")), self.payer_reason)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pay, 2)
        buttons.addWidget(self.refund, 1)
        form.addRow(buttons)
        return box

    def _actions_box(self) -> QGroupBox:
        box = QGroupBox(_("Invoice and collection"))
        col = QVBoxLayout(box)
        self.issue = QPushButton(_("Issue invoice"))
        self.issue.setObjectName("btn_issue_invoice")
        self.issue.clicked.connect(self.issue_invoice)
        self.issue_all = QPushButton(_("Issue all invoices…"))
        self.issue_all.setObjectName("btn_issue_all")
        self.issue_all.clicked.connect(self.issue_all_invoices)
        row = QHBoxLayout()
        row.addWidget(self.issue)
        row.addWidget(self.issue_all)
        col.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setObjectName("checkoutProgress")
        self.progress.setVisible(False)
        col.addWidget(self.progress)
        self.release_reason = QLineEdit()
        self.release_reason.setObjectName("checkoutReleaseReasonEdit")
        self.release_reason.setPlaceholderText(_("reason, only to release unpaid lots"))
        self.release = QPushButton(_("Release for collection"))
        self.release.setObjectName("btn_release")
        self.release.clicked.connect(self.release_lots)
        col.addWidget(self.release_reason)
        col.addWidget(self.release)
        self.document = QComboBox()
        self.document.setObjectName("checkoutDocumentBox")
        docs = QHBoxLayout()
        self.open_html = QPushButton(_("HTML"))
        self.open_html.setObjectName("btn_open_html")
        self.open_html.clicked.connect(lambda: self.open_document("html"))
        self.open_pdf = QPushButton(_("PDF"))
        self.open_pdf.setObjectName("btn_open_pdf")
        self.open_pdf.clicked.connect(lambda: self.open_document("pdf"))
        self.save_pdf = QPushButton(_("Save…"))
        self.save_pdf.setObjectName("btn_save_pdf")
        self.save_pdf.clicked.connect(lambda: self.save_document("pdf"))
        for w in (self.open_html, self.open_pdf, self.save_pdf):
            docs.addWidget(w)
        col.addWidget(self.document)
        col.addLayout(docs)
        return box

    # -- showing --------------------------------------------------------------------------

    def show_account(self, account: AccountDoc | None) -> None:
        """Draw a buyer's account (None: the empty desk)."""
        self.account = account
        for view in (self.lots, self.lines, self.payments):
            view.setRowCount(0)
        self.document.clear()
        has = account is not None
        for w in (self.pay, self.issue, self.release, self.open_html, self.open_pdf):
            w.setEnabled(has)
        for w in (self.receipt_html, self.receipt_pdf, self.refund):
            w.setEnabled(False)
        self.save_pdf.setEnabled(has)
        if account is None:
            self.buyer.setText("")
            self.status.setText("")
            for label in (self.due, self.paid, self.owed, self.uninvoiced):
                label.setText("—")
            return
        self.currency = account.currency
        name = account.buyer.name or _("(no name registered)")
        self.buyer.setText(_("Paddle {paddle} — {name}").format(paddle=account.paddle, name=name))
        shown = figures(account)
        self.status.setText(shown["status"])
        self.due.setText(shown["due"])
        self.paid.setText(shown["paid"])
        self.owed.setText(shown["owed"])
        self.uninvoiced.setText(shown["pending"] or "—")
        self._fill_lots(account)
        self._fill_lines(account)
        for r, row in enumerate(payment_rows(account)):
            self.payments.insertRow(r)
            for c, text in enumerate(row):
                self.payments.setItem(r, c, item(text, c == 2))
        numbers = document_numbers(account)
        self.document.addItems(numbers)
        self.issue.setEnabled(account.proforma is not None)
        self.release.setEnabled(bool(account.releasable) or account.owed > 0)
        for w in (self.open_html, self.open_pdf, self.save_pdf):
            w.setEnabled(bool(numbers))
        for w in (self.receipt_html, self.receipt_pdf):
            w.setEnabled(bool(account.payments))
        self.refund.setEnabled(account.owed < 0)

    def _fill_lots(self, account: AccountDoc) -> None:
        for r, lot in enumerate(lot_rows(account)):
            self.lots.insertRow(r)
            cells = (
                lot.lot,
                lot.title,
                money(lot.hammer, account.currency),
                lot.document,
                "yes" if lot.released else "",
            )
            for c, text in enumerate(cells):
                self.lots.setItem(r, c, item(text, c == 2))

    def _fill_lines(self, account: AccountDoc) -> None:
        for r, line in enumerate(line_rows(account)):
            self.lines.insertRow(r)
            cells = (line.document, line.lot, line.label, money(line.amount, account.currency))
            for c, text in enumerate(cells):
                self.lines.setItem(r, c, item(text, c == 3))

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b91c1c; font-weight: 600;" if error else "")
        self.notice.emit(text)

    # -- actions --------------------------------------------------------------------------

    def focus_paddle(self) -> None:
        self.paddle.setFocus()
        self.paddle.selectAll()

    def look_up(self) -> None:
        try:
            paddle = clean_paddle(self.paddle.text())
        except DeskError as exc:
            self.say(" ".join(exc.messages), error=True)
            return
        self.paddle.setText(paddle)
        self.load(paddle, focus=True)

    def load(self, paddle: str, *, focus: bool = False) -> None:
        """Read `paddle`'s account from the core and show it."""

        def shown(account: AccountDoc) -> None:
            if self.paddle.text().strip() not in ("", paddle):
                return  # the cashier moved on to another buyer meanwhile
            self.show_account(account)
            if focus:
                self.say(
                    _("Paddle {paddle}: {status}.").format(
                        paddle=paddle, status=figures(account)["status"]
                    )
                )
                self.amount.setFocus()

        def failed(exc: BaseException) -> None:
            self.show_account(None)
            self.say(refusal(_("Paddle {paddle}").format(paddle=paddle), exc), error=True)

        self.bridge.run(lambda core: core.account(paddle), shown, failed)

    def reload(self) -> None:
        if self.account is not None:
            self.load(self.account.paddle)

    def on_records(self, wires: list[dict[str, Any]]) -> None:
        """A commit: read the open account again when it may have changed."""
        if self.account is None:
            return
        if any(w.get("type") in MONEY_EVENTS for w in wires):
            self.reload()

    def record_payment(self) -> None:
        account = self.account
        if account is None:
            self.say(_("Look up a paddle first."), error=True)
            return
        try:
            request = payment_request(
                account.paddle,
                self.amount.text(),
                str(self.method.currentData()),
                self.reference.text(),
                account.currency,
                owed=account.owed,
                payer=self.payer.text(),
                third_party_reason=self.payer_reason.text(),
            )
        except DeskError as exc:
            self.say(
                _("Payment not recorded: {why}").format(why=" ".join(exc.messages)), error=True
            )
            return
        if self.pending is not None and replace(self.pending, key=request.key) == request:
            request = self.pending  # the same payment again after a failure: counted once
        self.pending = request
        self.pay.setEnabled(False)

        def answered(answer: Any) -> None:
            self.pay.setEnabled(True)
            self.pending = None
            if not answer.ok:
                self.say(refusal(_("Payment refused"), answer), error=True)
                return
            for edit in (self.amount, self.reference, self.payer, self.payer_reason):
                edit.clear()
            self.say(
                _("Payment of {money} recorded.").format(
                    money=money(request.amount, account.currency)
                )
            )
            self.load(account.paddle)

        def failed(exc: BaseException) -> None:
            self.pay.setEnabled(True)  # `pending` keeps its key: a retry counts once
            self.say(refusal(_("Payment not recorded"), exc), error=True)

        self.bridge.run(
            lambda core: core.record_payment(
                request.paddle,
                request.amount,
                request.method,
                request.reference,
                key=request.key,
                payer=request.payer,
                third_party_reason=request.third_party_reason,
            ),
            answered,
            failed,
        )

    def record_refund(self) -> None:
        account = self.account
        if account is None:
            self.say(_("Look up a paddle first."), error=True)
            return
        try:
            request = refund_request(
                account,
                self.amount.text(),
                str(self.method.currentData()),
                self.reference.text(),
                self.payer_reason.text(),
            )
        except DeskError as exc:
            self.say(_("Refund not recorded: {why}").format(why=" ".join(exc.messages)), error=True)
            return

        def refunded(_answer: Any) -> None:
            for edit in (self.amount, self.reference, self.payer_reason):
                edit.clear()
            self.say(
                _("Refund of {money} recorded.").format(
                    money=money(request.amount, account.currency)
                )
            )

        self._answer(
            "Refund",
            lambda core: core.record_refund(
                request.paddle,
                request.amount,
                request.method,
                request.reference,
                key=request.key,
                reason=request.reason,
            ),
            refunded,
        )

    def issue_invoice(self) -> None:
        account = self.account
        if account is None:
            self.say(_("Look up a paddle first."), error=True)
            return
        self._answer(
            "Invoice",
            lambda core: core.issue_invoice(account.paddle),
            lambda a: self.say(
                _("Invoice issued for paddle {paddle}.").format(paddle=account.paddle)
            ),
        )

    def issue_all_invoices(self) -> None:
        """Every buyer with lots not invoiced yet gets an invoice (at close)."""
        if self.busy or not self.confirm(
            _(
                "Issue an invoice now to every buyer with lots not invoiced yet? Invoices are "
                "numbered and final (a correction is a credit note)."
            )
        ):
            return
        self.busy = True
        self.issue_all.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        bridge = self.bridge

        def progress(done: int, total: int) -> None:  # core thread
            bridge.later(lambda v: self._progress(*v), (done, total))

        def finished(report: IssueReport) -> None:
            self._done_issuing()
            issued = len(report.issued)
            if report.refused:
                refused = "; ".join(f"{paddle}: {why}" for paddle, why in report.refused[:5])
                text = _("{issued} invoices issued; {n} refused: {refused}.").format(
                    issued=issued, n=len(report.refused), refused=refused
                )
            else:
                text = _("{issued} invoices issued.").format(issued=issued)
            self.say(text, error=bool(report.refused))
            self.reload()

        def failed(exc: BaseException) -> None:
            self._done_issuing()
            self.say(refusal(_("Invoices not issued"), exc), error=True)

        self.bridge.run(lambda core: core.issue_all_invoices(progress), finished, failed)

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, _("Auctionmen"), question)
        return answer == QMessageBox.StandardButton.Yes

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} of {total} invoices")

    def _done_issuing(self) -> None:
        self.busy = False
        self.issue_all.setEnabled(True)
        self.progress.setVisible(False)

    def release_lots(self) -> None:
        account = self.account
        if account is None:
            self.say(_("Look up a paddle first."), error=True)
            return
        try:
            reason = release_reason(account, self.release_reason.text())
        except DeskError as exc:
            self.say(_("Not released: {why}").format(why=" ".join(exc.messages)), error=True)
            return

        def released(_answer: Any) -> None:
            self.release_reason.clear()
            self.say(
                _("Paddle {paddle}: lots released for collection.").format(paddle=account.paddle)
            )

        self._answer(
            "Release",
            lambda core: core.release_lots(account.paddle, (), override_reason=reason),
            released,
        )

    def _answer(
        self,
        what: str,
        operation: Callable[[CoreThread], Any],
        on_ok: Callable[[Any], None],
    ) -> None:
        """Run an operation answered by the sequencer; show a refusal, else `on_ok`."""

        def answered(answer: Any) -> None:
            if not answer.ok:
                self.say(refusal(_("{what} refused").format(what=what), answer), error=True)
                return
            on_ok(answer)
            self.reload()

        self.bridge.run(
            operation,
            answered,
            lambda exc: self.say(refusal(_("{what} failed").format(what=what), exc), error=True),
        )

    # -- documents ------------------------------------------------------------------------

    def open_document(self, fmt: str) -> None:
        """Write the chosen document to a temporary file and open it."""
        number = self.document.currentText()
        if not number:
            self.say(_("No invoice to open yet."), error=True)
            return
        self._write(number, fmt, self._temp_path(number, fmt), lambda p: self.opener(p))

    def save_document(self, fmt: str, path: Path | None = None) -> None:
        number = self.document.currentText()
        if not number:
            self.say(_("No invoice to save yet."), error=True)
            return
        if path is None:
            if not self.dialogs:
                return
            name, _filter = QFileDialog.getSaveFileName(
                self, _("Save invoice"), safe_file_name(number, fmt), f"{fmt.upper()} (*.{fmt})"
            )
            if not name:
                return
            path = Path(name)
        self._write(
            number,
            fmt,
            path,
            lambda p: self.say(_("{number} saved to {p}.").format(number=number, p=p)),
        )

    def open_receipt(self, fmt: str) -> None:
        """The receipt of the selected payment (else the last one), opened like an invoice."""
        account = self.account
        if account is None or not account.payments:
            self.say(_("No payment to give a receipt for yet."), error=True)
            return
        row = self.payments.currentRow()
        payment = account.payments[row if 0 <= row < len(account.payments) else -1].id
        paddle = account.paddle
        self._write(
            payment,
            fmt,
            self._temp_path(payment, fmt),
            self.opener,
            lambda core: core.receipt(paddle, payment, fmt),
        )

    def _temp_path(self, name: str, fmt: str) -> Path:
        if self._docs_dir is None:
            self._docs_dir = Path(tempfile.mkdtemp(prefix="auctionmen-docs-"))
        return self._docs_dir / safe_file_name(name, fmt)

    def _write(
        self,
        number: str,
        fmt: str,
        path: Path,
        then: Callable[[Path], None],
        make: Callable[[CoreThread], Any] | None = None,
    ) -> None:
        def write(data: bytes) -> None:
            try:
                path.write_bytes(data)
            except OSError as exc:
                self.say(
                    _("{number}: cannot write {path}: {strerror}").format(
                        number=number, path=path, strerror=exc.strerror
                    ),
                    error=True,
                )
                return
            then(path)

        self.bridge.run(
            make or (lambda core: core.document(number, fmt)),
            write,
            lambda exc: self.say(refusal(number, exc), error=True),
        )


def fit_columns(view: QTableWidget, stretch: int) -> None:
    """Columns as wide as their text; column `stretch` (a title, a label) takes the rest."""
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    for column in range(view.columnCount()):
        mode = (
            QHeaderView.ResizeMode.Stretch
            if column == stretch
            else QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(column, mode)


def open_with_desktop(path: Path) -> None:
    """Open a written document with the desktop's viewer (browser, PDF reader)."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _key(action: str) -> str:
    return next((s.keys[0] for s in CHECKOUT_KEYS if s.action == action), "")
