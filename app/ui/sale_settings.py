"""The house rules: an editor shared by the New sale form and the Sale rules tab, and the tab
itself (Save sends `configure`; locked while a lot is live or once the sale is closed; the
rules as bidders read them beside the form)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _
from app.state import ConsoleState
from app.ui.rates_panel import RatesPanel
from app.ui.sale_forms import (
    TIE_POLICIES,
    FormError,
    RulesForm,
    changed_settings,
    parse_rules,
    rules_text,
)
from app.ui.widgets import plain
from hub.auction.ladder import Ladder

JSON = dict[str, Any]
KEEP = N_("(keep the sale's ladder)")


def shipped_ladders() -> dict[str, list[list[int]]]:
    """The increment ladders in resources/ladders, by name ("standard")."""
    out: dict[str, list[list[int]]] = {}
    folder = resources.files("resources").joinpath("ladders")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".csv"):
            out[entry.name.removesuffix(".csv")] = Ladder.from_csv(
                entry.read_text("utf-8")
            ).to_json()
    return out


def error_label() -> Any:
    label = plain("", "formErrors", wrap=True)
    label.setStyleSheet("color: #b91c1c; font-weight: 600;")
    return label


class RulesEditor(QWidget):
    """The house rules as form fields. `form()` reads them; `set_form()` fills them."""

    def __init__(self, *, keep_ladder: bool) -> None:
        super().__init__()
        self.ladders = shipped_ladders()
        self.ladder = QComboBox()
        self.ladder.setObjectName("ladderChoice")
        if keep_ladder:
            self.ladder.addItem(_(KEEP))
        self.ladder.addItems(list(self.ladders))
        self.ties = QComboBox()
        self.ties.setObjectName("tiePolicy")
        for key, text in TIE_POLICIES.items():
            self.ties.addItem(_(text), key)
        self.late = QLineEdit()
        self.late.setObjectName("lateWindow")
        self.reopen = QLineEdit()
        self.reopen.setObjectName("reopenWindow")
        self.subject_to = QCheckBox(_("Sell below the reserve 'subject to' the vendor"))
        self.subject_to.setObjectName("subjectTo")
        self.subject_hours = QLineEdit()
        self.subject_hours.setObjectName("subjectToHours")
        self.confirm_online = QCheckBox(_("The clerk confirms each online bid"))
        self.confirm_online.setObjectName("confirmOnline")
        self.auto_absentee = QCheckBox(_("Execute commission bids automatically"))
        self.auto_absentee.setObjectName("autoAbsentee")
        self.premium = QPlainTextEdit()
        self.premium.setObjectName("buyerPremium")
        self.premium.setPlaceholderText("0: 25%\n500000: 20%\n3000000: 14.5%")
        self.premium.setFixedHeight(70)
        self.vat = QLineEdit()
        self.vat.setObjectName("vatRate")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(plain(_("Increment ladder")), self.ladder)
        form.addRow(plain(_("Ties")), self.ties)
        form.addRow(plain(_("Late-bid window (s)")), self.late)
        form.addRow(plain(_("Reopen window (s)")), self.reopen)
        form.addRow(plain(""), self.subject_to)
        form.addRow(plain(_("Subject-to window (h)")), self.subject_hours)
        form.addRow(plain(""), self.confirm_online)
        form.addRow(plain(""), self.auto_absentee)
        form.addRow(plain(_("Buyer's premium\n(from: rate, per band)")), self.premium)
        form.addRow(plain(_("VAT rate (%)")), self.vat)
        self.set_form(RulesForm())

    def set_form(self, rules: RulesForm) -> None:
        self.ladder.setCurrentIndex(0)
        self.ties.setCurrentIndex(max(0, self.ties.findData(rules.tie_policy)))
        self.late.setText(rules.late_window)
        self.reopen.setText(rules.reopen_window)
        self.subject_to.setChecked(rules.subject_to)
        self.subject_hours.setText(rules.subject_to_hours)
        self.confirm_online.setChecked(rules.confirm_online)
        self.auto_absentee.setChecked(rules.auto_absentee)
        self.premium.setPlainText(rules.buyer_premium)
        self.vat.setText(rules.vat_rate)

    def form(self) -> RulesForm:
        name = self.ladder.currentText()
        return RulesForm(
            tie_policy=str(self.ties.currentData()),
            late_window=self.late.text(),
            reopen_window=self.reopen.text(),
            subject_to=self.subject_to.isChecked(),
            subject_to_hours=self.subject_hours.text(),
            confirm_online=self.confirm_online.isChecked(),
            auto_absentee=self.auto_absentee.isChecked(),
            buyer_premium=self.premium.toPlainText(),
            vat_rate=self.vat.text(),
            ladder=self.ladders.get(name) if name != _(KEEP) else None,
        )


def lock_reason(state: ConsoleState) -> str:
    """Why the rules cannot change now ("" when they can)."""
    if state.sale.get("status") == "closed":
        return _("The sale is closed: its rules are final.")
    if state.live():
        return _("Locked while lot {lot} is on the block.").format(lot=state.current_id)
    return ""


class SaleSettingsPanel(QWidget):
    """The open sale's house rules. Emits `save(settings)` with only what changed."""

    save = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("saleSettings")
        self.state = ConsoleState()
        self.editor = RulesEditor(keep_ladder=True)
        self.lock = plain("", "rulesLock", wrap=True)
        self.lock.setStyleSheet("color: #9a3412; font-weight: 600;")
        self.errors = error_label()
        self.save_button = QPushButton(_("Save rules"))
        self.save_button.setObjectName("saveRules")
        self.save_button.clicked.connect(self._save)
        self.revert = QPushButton(_("Revert"))
        self.revert.clicked.connect(lambda: self.show_state(self.state, force=True))
        self.public = plain("", "publicRules", wrap=True)
        left = QVBoxLayout()
        left.addWidget(self.lock)
        left.addWidget(self.editor)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert)
        buttons.addStretch(1)
        left.addLayout(buttons)
        left.addWidget(self.errors)
        # The room display's currency board: rates imported by the window (issue 15 #4).
        self.rates = RatesPanel()
        left.addWidget(self.rates)
        left.addStretch(1)
        box = QGroupBox(_("Rules of this sale (as bidders see them)"))
        bl = QVBoxLayout(box)
        bl.addWidget(self.public)
        bl.addStretch(1)
        row = QHBoxLayout(self)
        row.addLayout(left, 3)
        row.addWidget(box, 2)
        self._shown: JSON | None = None

    def show_state(self, state: ConsoleState, *, force: bool = False) -> None:
        """Redraw; the form is refilled only when the sale's settings changed (or `force`),
        so a half-typed edit survives unrelated records."""
        self.state = state
        if force or self._shown != state.settings:
            self._shown = dict(state.settings)
            self.editor.set_form(RulesForm.from_settings(state.settings))
            self.errors.setText("")
        reason = lock_reason(state)
        self.lock.setText(reason)
        self.editor.setEnabled(not reason)
        self.save_button.setEnabled(not reason)
        rules = state.sale.get("rules")
        shown = rules if isinstance(rules, dict) else state.settings
        self.public.setText("\n".join(f"• {line}" for line in rules_text(shown, state.currency)))

    def settings(self) -> JSON:
        """What Save would send (only the changed rules); raises `FormError`."""
        new = parse_rules(self.editor.form(), self.state.currency)
        changes = changed_settings(new, self.state.settings)
        if not changes:
            raise FormError([_("Nothing changed")])
        return changes

    def _save(self) -> None:
        reason = lock_reason(self.state)
        if reason:
            self.errors.setText(reason)
            return
        try:
            changes = self.settings()
        except FormError as exc:
            self.errors.setText("\n".join(exc.messages))
            return
        self.errors.setText("")
        self.save.emit(changes)
