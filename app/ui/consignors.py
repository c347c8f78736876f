"""Consignors: who sent the lots, their contract terms, their settlement and payouts.

The record (name, address, bank details) goes to the identities store, never to the journal;
the terms (commission bands, charges, fees, payout days, sold absolute) are a journaled
`set_consignor_terms` of this sale; the settlement statement is computed by the core from the
journal and opened as HTML or PDF; a payout is a journaled `record_payout`. Checks live in
`app/ui/checkout_logic.py`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.bridge import CoreBridge
from app.facade import CoreThread
from app.formatting import format_plain_amount
from app.i18n import N_, _
from app.ui.checkout import fit_columns, open_with_desktop, refusal
from app.ui.checkout_logic import (
    METHOD_LABELS,
    METHODS,
    DeskError,
    clean_reference,
    money,
    new_key,
    payout_request,
    safe_file_name,
    settlement_figures,
    terms_form,
)
from app.ui.widgets import item, plain, table
from hub.backend.statements import SettlementDoc

JSON = dict[str, Any]
RECORD_FIELDS = ("name", "address", "country", "email", "phone", "iban", "bic", "vat_id")
LABELS = {
    "name": N_("Name"),
    "address": N_("Address"),
    "country": N_("Country"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "iban": N_("IBAN"),
    "bic": N_("BIC"),
    "vat_id": N_("VAT id"),
}


# Records after which an open settlement is read again.
SETTLEMENT_EVENTS = frozenset(
    {
        "consignor_terms_set",
        "payout_recorded",
        "lot_sold",
        "lot_reknocked",
        "lot_sale_cancelled",
        "payment_recorded",  # a lot's buyer_paid mark
        "refund_recorded",
    }
)


def terms_text(terms: JSON | None, currency: str) -> dict[str, str]:
    """A journaled terms JSON as the form's texts (the inverse of `terms_form`)."""
    if not terms:
        return {"commission": "", "charges": "", "lot_fee": "", "unsold_fee": "", "days": ""}

    def pct(bp: int) -> str:
        return f"{bp // 100}" + (f".{bp % 100:02d}".rstrip("0") if bp % 100 else "")

    bands = terms.get("commission") or []
    commission = "; ".join(
        pct(int(bp)) if i == 0 else f"{pct(int(bp))} from {format_plain_amount(int(s), currency)}"
        for i, (s, bp) in enumerate(bands)
    )
    charges = "; ".join(
        f"{label}: {format_plain_amount(int(amount), currency)}"
        for label, amount in terms.get("charges") or []
    )
    fee = terms.get("lot_fee") or 0
    unsold = terms.get("unsold_fee") or 0
    return {
        "commission": commission,
        "charges": charges,
        "lot_fee": format_plain_amount(int(fee), currency) if fee else "",
        "unsold_fee": format_plain_amount(int(unsold), currency) if unsold else "",
        "days": str(terms.get("payout_days") or ""),
    }


class ConsignorsPanel(QWidget):
    """The Consignors tab; runs its own core operations through the bridge."""

    notice = Signal(str)

    def __init__(self, bridge: CoreBridge, *, dialogs: bool = True) -> None:
        super().__init__()
        self.setObjectName("consignorsPanel")
        self.bridge = bridge
        self.dialogs = dialogs
        self.currency = "EUR"
        self.rows: list[JSON] = []
        self.settlement: SettlementDoc | None = None
        self.opener: Callable[[Path], None] = open_with_desktop
        self._docs_dir: Path | None = None
        self._payout_key: tuple[tuple[str, int, str, str], str] | None = None

        self.view = table([_("Reference"), _("Name"), _("Terms")], "consignorList")
        fit_columns(self.view, 1)
        self.view.currentCellChanged.connect(self._current_changed)
        self.new_button = QPushButton(_("New consignor"))
        self.new_button.setObjectName("btn_new_consignor")
        self.new_button.clicked.connect(self.new_consignor)
        left = QVBoxLayout()
        left.addWidget(plain(_("Consignors"), "sectionTitle"))
        left.addWidget(self.view, 1)
        left.addWidget(self.new_button)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setFixedWidth(280)

        self.pages = QTabWidget()
        self.pages.setObjectName("consignorPages")
        self.pages.addTab(self._record_page(), _("Details"))
        self.pages.addTab(self._terms_page(), _("Terms"))
        self.pages.addTab(self._settlement_page(), _("Settlement"))
        self.message = plain("", "consignorMessage", wrap=True)
        right = QVBoxLayout()
        right.addWidget(self.pages, 1)
        right.addWidget(self.message)
        row = QHBoxLayout(self)
        row.addWidget(left_widget)
        row.addLayout(right, 1)

    # -- pages ----------------------------------------------------------------------------

    def _record_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.reference = QLineEdit()
        self.reference.setObjectName("consignorReferenceEdit")
        self.reference.setPlaceholderText(_("as on the lots, e.g. C-102"))
        form.addRow(plain(_("Reference")), self.reference)
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        for name in RECORD_FIELDS:
            edit: QLineEdit | QPlainTextEdit
            if name == "address":
                edit = QPlainTextEdit()
                edit.setFixedHeight(64)
            else:
                edit = QLineEdit()
            edit.setObjectName(f"consignor_{name}")
            self.fields[name] = edit
            form.addRow(plain(_(LABELS[name])), edit)
        self.save_record = QPushButton(_("Save details"))
        self.save_record.setObjectName("btn_save_consignor")
        self.save_record.clicked.connect(self.save_consignor)
        form.addRow(self.save_record)
        return page

    def _terms_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.commission = QLineEdit()
        self.commission.setObjectName("termsCommissionEdit")
        self.commission.setPlaceholderText(_("% — e.g. 15, or 15; 10 from 50,000"))
        self.charges = QLineEdit()
        self.charges.setObjectName("termsChargesEdit")
        self.charges.setPlaceholderText(_("e.g. Photography: 25; Insurance: 10"))
        self.lot_fee = QLineEdit()
        self.lot_fee.setObjectName("termsLotFeeEdit")
        self.lot_fee.setPlaceholderText(_("per lot (empty = none)"))
        self.unsold_fee = QLineEdit()
        self.unsold_fee.setObjectName("termsUnsoldFeeEdit")
        self.unsold_fee.setPlaceholderText(_("per unsold lot (empty = none)"))
        self.payout_days = QLineEdit()
        self.payout_days.setObjectName("termsPayoutDaysEdit")
        self.payout_days.setPlaceholderText(_("days after the sale, e.g. 35"))
        self.vat_on_commission = QCheckBox(_("VAT on commission and charges"))
        self.vat_on_commission.setObjectName("termsVatBox")
        self.absolute = QCheckBox(_("Sold absolute (without reserve)"))
        self.absolute.setObjectName("termsAbsoluteBox")
        self.save_terms = QPushButton(_("Save terms"))
        self.save_terms.setObjectName("btn_save_terms")
        self.save_terms.clicked.connect(self.set_terms)
        form.addRow(plain(_("Commission")), self.commission)
        form.addRow(plain(_("Charges")), self.charges)
        form.addRow(plain(_("Lot fee")), self.lot_fee)
        form.addRow(plain(_("Unsold fee")), self.unsold_fee)
        form.addRow(plain(_("Payout days")), self.payout_days)
        form.addRow(self.vat_on_commission)
        form.addRow(self.absolute)
        form.addRow(self.save_terms)
        return page

    def _settlement_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        self.lots = table([_("Lot"), _("Title"), _("Status"), _("Hammer")], "settlementLots")
        fit_columns(self.lots, 1)
        self.figure_labels: dict[str, Any] = {}
        figures = QFormLayout()
        for key, label in (
            ("hammer", _("Hammer (sold lots)")),
            ("deductions", _("Commission, charges, fees")),
            ("net", _("Net")),
            ("paid_out", _("Paid out")),
            ("due", _("Due to the consignor")),
            ("payout_date", _("Payout date")),
        ):
            self.figure_labels[key] = plain("—", f"settlement_{key}")
            figures.addRow(plain(label), self.figure_labels[key])
        docs = QHBoxLayout()
        self.refresh = QPushButton(_("Refresh"))
        self.refresh.setObjectName("btn_settlement_refresh")
        self.refresh.clicked.connect(self.load_settlement)
        self.open_html = QPushButton(_("Open HTML"))
        self.open_html.setObjectName("btn_settlement_html")
        self.open_html.clicked.connect(lambda: self.open_document("html"))
        self.open_pdf = QPushButton(_("Open PDF"))
        self.open_pdf.setObjectName("btn_settlement_pdf")
        self.open_pdf.clicked.connect(lambda: self.open_document("pdf"))
        for w in (self.refresh, self.open_html, self.open_pdf):
            docs.addWidget(w)
        docs.addStretch(1)
        pay = QHBoxLayout()
        self.payout_amount = QLineEdit()
        self.payout_amount.setObjectName("payoutAmountEdit")
        self.payout_amount.setPlaceholderText(_("payout amount"))
        self.payout_method = QComboBox()
        self.payout_method.setObjectName("payoutMethodBox")
        for method in ("transfer", *(m for m in METHODS if m != "transfer")):
            self.payout_method.addItem(_(METHOD_LABELS[method]), method)
        self.payout_reference = QLineEdit()
        self.payout_reference.setObjectName("payoutReferenceEdit")
        self.payout_reference.setPlaceholderText(_("bank reference"))
        self.payout = QPushButton(_("Record payout"))
        self.payout.setObjectName("btn_record_payout")
        self.payout.clicked.connect(self.record_payout)
        for field in (self.payout_amount, self.payout_method, self.payout_reference):
            pay.addWidget(field)
        pay.addWidget(self.payout)
        col.addWidget(self.lots, 1)
        col.addLayout(figures)
        col.addLayout(docs)
        col.addLayout(pay)
        return page

    # -- showing --------------------------------------------------------------------------

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b91c1c; font-weight: 600;" if error else "")
        self.notice.emit(text)

    def reload(self) -> None:
        """Read the consignors (records, and references found on lots) from the core."""
        self.bridge.run(
            CoreThread.consignor_rows,
            self.show_rows,
            lambda exc: self.say(refusal(_("Consignors"), exc), error=True),
        )

    def show_rows(self, rows: list[JSON]) -> None:
        selected = self.selected()
        self.rows = rows
        self.view.blockSignals(True)  # the same consignor stays selected, its form untouched
        self.view.setRowCount(len(rows))
        for r, row in enumerate(rows):
            terms = row.get("terms")
            self.view.setItem(r, 0, item(str(row.get("reference") or "")))
            self.view.setItem(r, 1, item(str(row.get("name") or _("(no record yet)"))))
            self.view.setItem(r, 2, item("set" if terms else "—"))
        where = [r for r, row in enumerate(rows) if row.get("reference") == selected]
        self.view.setCurrentCell(where[0] if where else -1, 0)
        self.view.blockSignals(False)
        if rows:
            self.currency = str(rows[0].get("currency") or self.currency)

    def selected(self) -> str | None:
        r = self.view.currentRow()
        if 0 <= r < len(self.rows):
            return str(self.rows[r].get("reference"))
        return None

    def select(self, reference: str) -> None:
        """Show `reference` (its record, terms and settlement, read again)."""
        for r, row in enumerate(self.rows):
            if row.get("reference") == reference:
                if self.view.currentRow() == r:
                    self._selected()
                else:
                    self.view.setCurrentCell(r, 0)
                return

    def _current_changed(self, row: int, _column: int, old: int, _old_column: int) -> None:
        if row != old:
            self._selected()

    def _selected(self) -> None:
        ref = self.selected()
        if ref is None:
            return
        row = next(r for r in self.rows if r.get("reference") == ref)
        self.reference.setText(ref)
        self.reference.setReadOnly(True)
        for name, edit in self.fields.items():
            value = str(row.get(name) or "")
            if isinstance(edit, QPlainTextEdit):
                edit.setPlainText(value)
            else:
                edit.setText(value)
        texts = terms_text(row.get("terms"), self.currency)
        self.commission.setText(texts["commission"])
        self.charges.setText(texts["charges"])
        self.lot_fee.setText(texts["lot_fee"])
        self.unsold_fee.setText(texts["unsold_fee"])
        self.payout_days.setText(texts["days"])
        terms = row.get("terms") or {}
        self.vat_on_commission.setChecked(bool(terms.get("vat_on_commission")))
        self.absolute.setChecked(bool(terms.get("absolute")))
        self.load_settlement()

    def new_consignor(self) -> None:
        self.view.clearSelection()
        self.view.setCurrentCell(-1, -1)
        self.reference.setReadOnly(False)
        self.reference.clear()
        for edit in self.fields.values():
            edit.clear()
        for edit in (self.commission, self.charges, self.lot_fee, self.unsold_fee):
            edit.clear()
        self.payout_days.clear()
        self.pages.setCurrentIndex(0)
        self.reference.setFocus()

    # -- actions --------------------------------------------------------------------------

    def _record_fields(self) -> JSON:
        out: JSON = {}
        for name, edit in self.fields.items():
            out[name] = edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()
        return out

    def save_consignor(self) -> None:
        try:
            ref = clean_reference(self.reference.text())
        except DeskError as exc:
            self.say(_("Not saved: {why}").format(why=" ".join(exc.messages)), error=True)
            return
        fields = self._record_fields()
        # A selected consignor with a record is edited; a new one (or one only named on the
        # lots so far) is added, and the store refuses a reference that is already taken.
        editing = self.reference.isReadOnly()
        known = editing and any(r.get("reference") == ref and r.get("recorded") for r in self.rows)

        def saved(_row: JSON) -> None:
            self.say(_("Consignor {ref} saved.").format(ref=ref))
            self.bridge.run(CoreThread.consignor_rows, lambda rows: self._after(rows, ref))

        self.bridge.run(
            lambda core: core.save_consignor(ref, fields, new=not known),
            saved,
            lambda exc: self.say(
                refusal(_("Consignor {ref} not saved").format(ref=ref), exc), error=True
            ),
        )

    def _after(self, rows: list[JSON], ref: str) -> None:
        self.show_rows(rows)
        self.select(ref)

    def set_terms(self) -> None:
        try:
            form = terms_form(
                self.reference.text(),
                self.commission.text(),
                self.charges.text(),
                self.lot_fee.text(),
                self.unsold_fee.text(),
                self.payout_days.text(),
                self.currency,
                vat_on_commission=self.vat_on_commission.isChecked(),
                absolute=self.absolute.isChecked(),
            )
        except DeskError as exc:
            self.say(_("Terms not saved: {why}").format(why=" ".join(exc.messages)), error=True)
            return

        def answered(answer: Any) -> None:
            if not answer.ok:
                self.say(refusal(_("Terms refused"), answer), error=True)
                return
            self.say(_("Terms of {consignor} saved.").format(consignor=form.consignor))
            self.bridge.run(
                CoreThread.consignor_rows, lambda rows: self._after(rows, form.consignor)
            )

        self.bridge.run(
            lambda core: core.set_consignor_terms(form.command()),
            answered,
            lambda exc: self.say(refusal(_("Terms not saved"), exc), error=True),
        )

    def load_settlement(self) -> None:
        ref = self.selected()
        if ref is None:
            return

        def shown(doc: SettlementDoc) -> None:
            if self.selected() == ref:
                self.show_settlement(doc)

        self.bridge.run(
            lambda core: core.settlement(ref),
            shown,
            lambda exc: self.say(
                refusal(_("Settlement of {ref}").format(ref=ref), exc), error=True
            ),
        )

    def on_records(self, wires: list[JSON]) -> None:
        """A commit: read the open settlement again when its figures may have changed (the
        form being edited is left alone)."""
        if self.selected() is not None and any(w.get("type") in SETTLEMENT_EVENTS for w in wires):
            self.load_settlement()

    def show_settlement(self, doc: SettlementDoc) -> None:
        self.settlement = doc
        self.currency = doc.currency
        for key, text in settlement_figures(doc).items():
            self.figure_labels[key].setText(text)
        self.lots.setRowCount(len(doc.lots))
        for r, lot in enumerate(doc.lots):
            self.lots.setItem(r, 0, item(lot.lot))
            self.lots.setItem(r, 1, item(lot.title))
            self.lots.setItem(r, 2, item(lot.status))
            hammer = "" if lot.hammer is None else money(lot.hammer, doc.currency)
            self.lots.setItem(r, 3, item(hammer, True))

    def record_payout(self) -> None:
        ref = self.selected()
        if ref is None:
            self.say(_("Select a consignor first."), error=True)
            return
        due = self.settlement.due if self.settlement is not None else None
        try:
            consignor, amount, method, note = payout_request(
                ref,
                self.payout_amount.text(),
                str(self.payout_method.currentData()),
                self.payout_reference.text(),
                self.currency,
                due,
            )
        except DeskError as exc:
            self.say(_("Payout not recorded: {why}").format(why=" ".join(exc.messages)), error=True)
            return
        form = (consignor, amount, method, note)
        if self._payout_key is None or self._payout_key[0] != form:
            self._payout_key = (form, new_key())  # a retry of the same payout counts once
        key = self._payout_key[1]

        def answered(answer: Any) -> None:
            self._payout_key = None
            if not answer.ok:
                self.say(refusal(_("Payout refused"), answer), error=True)
                return
            self.payout_amount.clear()
            self.payout_reference.clear()
            self.say(_("Payout to {consignor} recorded.").format(consignor=consignor))
            self.load_settlement()

        self.bridge.run(
            lambda core: core.record_payout(consignor, amount, method, note, key=key),
            answered,
            lambda exc: self.say(refusal(_("Payout not recorded"), exc), error=True),
        )

    def open_document(self, fmt: str) -> None:
        ref = self.selected()
        if ref is None:
            self.say(_("Select a consignor first."), error=True)
            return
        if self._docs_dir is None:
            self._docs_dir = Path(tempfile.mkdtemp(prefix="auctionmen-docs-"))
        path = self._docs_dir / safe_file_name(f"settlement-{ref}", fmt)

        def write(data: bytes) -> None:
            try:
                path.write_bytes(data)
            except OSError as exc:
                self.say(
                    _("Cannot write {path}: {strerror}").format(path=path, strerror=exc.strerror),
                    error=True,
                )
                return
            self.opener(path)

        self.bridge.run(
            lambda core: core.settlement_document(ref, fmt),
            write,
            lambda exc: self.say(
                refusal(_("Settlement of {ref}").format(ref=ref), exc), error=True
            ),
        )
