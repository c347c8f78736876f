"""Edit a lot or add one: in draft a free edit; live, an amendment with a reason (journaled)
and a saleroom notice (shown to everyone on that lot). The form builds the command
(`sale_forms.amendment` / `new_lot`); errors stay on the form and nothing is sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from app.i18n import _
from app.ui.sale_forms import VAT_LABELS, VAT_SCHEMES, FormError, LotForm, amendment, new_lot
from app.ui.sale_settings import error_label
from app.ui.widgets import plain

JSON = dict[str, Any]


def _text_box(name: str, height: int) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(name)
    box.setFixedHeight(height)
    return box


class LotDialog(QDialog):
    """`lot` None: a new lot. `live`: the catalogue is frozen (reason, and a notice for an
    edit). On OK, `command` holds the command to send and the dialog is accepted."""

    def __init__(
        self,
        lot: Mapping[str, Any] | None,
        currency: str,
        *,
        live: bool,
        existing: Iterable[str] = (),
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lotDialog")
        self.lot = lot
        self.currency = currency
        self.live = live
        self.existing = list(existing)
        self.command: JSON | None = None
        adding = lot is None
        lot_id = lot.get("id") if lot else ""
        if adding:
            title = _("Add a lot (amendment: the sale is live)") if live else _("Add a lot")
        else:
            title = _("Lot {id} (amendment: the sale is live)") if live else _("Lot {id}")
        self.setWindowTitle(title.format(id=lot_id))
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for key, label in (
            ("id", _("Lot number")),
            ("title", _("Title")),
            ("low", _("Low estimate ({currency})").format(currency=currency)),
            ("high", _("High estimate ({currency})").format(currency=currency)),
            ("start", _("Start price ({currency})").format(currency=currency)),
            ("reserve", _("Reserve ({currency}, hidden)").format(currency=currency)),
            ("quantity", _("Quantity")),
            ("category", _("Category")),
            ("consignor", _("Consignor ref.")),
        ):
            edit = QLineEdit()
            edit.setObjectName(f"lot_{key}")
            self.edits[key] = edit
            form.addRow(plain(label), edit)
        self.edits["id"].setReadOnly(not adding)
        self.description = _text_box("lot_description", 60)
        self.condition = _text_box("lot_condition", 60)
        self.vat = QComboBox()
        self.vat.setObjectName("lot_vat")
        for scheme in VAT_SCHEMES:
            self.vat.addItem(_(VAT_LABELS.get(scheme, scheme)), scheme)
        self.arr = QCheckBox(_("Artist's resale right applies"))
        self.arr.setObjectName("lot_arr")
        form.addRow(plain(_("Description")), self.description)
        form.addRow(plain(_("Condition report")), self.condition)
        form.addRow(plain(_("VAT scheme")), self.vat)
        form.addRow(plain(""), self.arr)
        self.reason = QLineEdit()
        self.reason.setObjectName("lot_reason")
        self.notice = _text_box("lot_notice", 48)
        if live:
            form.addRow(plain(_("Reason (journaled)")), self.reason)
            if not adding:
                form.addRow(plain(_("Saleroom notice\n(shown to everyone)")), self.notice)
        self.errors = error_label()
        ok = QPushButton(_("Add lot") if adding else (_("Amend lot") if live else _("Save lot")))
        ok.setObjectName("lotOk")
        ok.setDefault(True)
        ok.clicked.connect(self.submit)
        cancel = QPushButton(_("Cancel"))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(ok)
        col = QVBoxLayout(self)
        if live:
            col.addWidget(
                plain(
                    _(
                        "The catalogue is frozen: this change is journaled with your reason and "
                        "the notice is shown on the lot to everyone."
                    )
                    if not adding
                    else _("The catalogue is frozen: this change is journaled with your reason."),
                    "amendHint",
                    wrap=True,
                )
            )
        col.addLayout(form)
        col.addWidget(self.errors)
        col.addLayout(buttons)
        self.set_form(LotForm.from_lot(lot, currency) if lot else LotForm())
        self.setMinimumWidth(600)
        self.resize(600, 640)

    def set_form(self, form: LotForm) -> None:
        for key, edit in self.edits.items():
            edit.setText(str(getattr(form, key)))
        self.description.setPlainText(form.description)
        self.condition.setPlainText(form.condition)
        self.vat.setCurrentIndex(max(0, self.vat.findData(form.vat)))
        self.arr.setChecked(form.arr)

    def form(self) -> LotForm:
        texts = {key: edit.text() for key, edit in self.edits.items()}
        return LotForm(
            **texts,
            description=self.description.toPlainText(),
            condition=self.condition.toPlainText(),
            vat=str(self.vat.currentData() or ""),
            arr=self.arr.isChecked(),
        )

    def build(self) -> JSON:
        """The command this form stands for; raises `FormError`."""
        if self.lot is None:
            return new_lot(
                self.form(),
                self.existing,
                self.currency,
                live=self.live,
                reason=self.reason.text(),
            )
        return amendment(
            self.lot,
            self.form(),
            self.currency,
            live=self.live,
            reason=self.reason.text(),
            notice=self.notice.toPlainText(),
        )

    def submit(self) -> None:
        try:
            self.command = self.build()
        except FormError as exc:
            self.errors.setText("\n".join(exc.messages))
            return
        self.accept()
