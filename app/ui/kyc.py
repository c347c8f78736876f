"""KYC: the desk's file on each bidder (issue 13), and the AML alerts of the sale.

The identity fields (date of birth, ID document, company, beneficial owners) go to the
identities store, never to the journal; each CDD step (ID seen, address verified, risk
rating, ...) is a journaled `record_cdd` naming the person at the desk; "Screen now" checks
the bidder against the imported sanctions lists (a match holds them for the officer, who
clears or confirms the hold with a reason); "Link purchases" adds up what the same customer
bought in the house's other sales. The CDD file for a supervisor opens as HTML or is saved as
JSON. AML alerts (`aml_alert`, a bid that would take a bidder over the threshold without
complete CDD) are listed at the top as they arrive.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.bridge import CoreBridge
from app.formatting import format_money
from app.i18n import N_, _
from app.ui.checkout import fit_columns, open_with_desktop, refusal
from app.ui.widgets import item, plain, table

JSON = dict[str, Any]
STEPS = {
    "id_seen": N_("ID seen"),
    "address_verified": N_("Address verified"),
    "risk_rated": N_("Risk rated"),
    "beneficial_owner": N_("Beneficial owner verified"),
    "source_of_funds": N_("Source of funds"),
    "screened": N_("Screened (manual)"),
}
OUTCOMES = {
    "id_seen": ("ok", "failed"),
    "address_verified": ("ok", "failed"),
    "risk_rated": ("low", "medium", "high"),
    "beneficial_owner": ("ok", "failed"),
    "source_of_funds": ("ok", "failed"),
    "screened": ("clear", "hold"),
}
OUTCOME_LABELS = {
    "ok": N_("ok"),
    "failed": N_("failed"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "clear": N_("clear"),
    "hold": N_("hold"),
}
ID_TYPES = ("", "passport", "id_card", "driving_licence", "residence_permit", "other")
ID_TYPE_LABELS = {
    "passport": N_("passport"),
    "id_card": N_("id card"),
    "driving_licence": N_("driving licence"),
    "residence_permit": N_("residence permit"),
    "other": N_("other"),
}
FIELDS = ("dob", "id_type", "id_number", "id_expiry", "company")
LABELS = {
    "dob": N_("Date of birth"),
    "id_type": N_("ID document"),
    "id_number": N_("ID number"),
    "id_expiry": N_("ID expires"),
    "company": N_("Company"),
}
# Records after which the open file is read again.
KYC_EVENTS = frozenset(
    {
        "bidder_registered",
        "bidder_approved",
        "bidder_rejected",
        "cdd_recorded",
        "bidder_held",
        "hold_cleared",
        "hold_confirmed",
        "linked_purchases_set",
        "identity_erased",
    }
)


class KycFormError(ValueError):
    """A form value the desk must correct; the message says which."""


def owners_from_text(text: str) -> list[JSON]:
    """Beneficial owners typed one per line as "Name" or "Name, YYYY-MM-DD"."""
    owners: list[JSON] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, _sep, dob = line.rpartition(",") if "," in line else (line, "", "")
        owner: JSON = {"name": name.strip()}
        if dob.strip():
            owner["dob"] = dob.strip()
        if not owner["name"]:
            raise KycFormError(
                _("beneficial owner on line {number} needs a name").format(number=number)
            )
        owners.append(owner)
    return owners


def owners_text(owners: list[JSON]) -> str:
    return "\n".join(
        f"{o.get('name', '')}, {o['dob']}" if o.get("dob") else str(o.get("name", ""))
        for o in owners
    )


def cdd_summary(cdd: JSON) -> str:
    """A bidder's CDD state in a few words for the list: the steps done, failed ones marked."""
    if not cdd:
        return _("none")
    short = {"id_seen": "ID", "address_verified": "addr", "screened": "scr", "risk_rated": "risk"}
    parts = []
    for step, outcome in cdd.items():
        label = short.get(step, step.split("_")[0])
        parts.append(f"{label}:{outcome}")
    return " ".join(parts)


def alert_text(wire: JSON, currency: str) -> str:
    """One AML alert as the desk and the console read it."""
    data = wire.get("data") or {}
    lot = (wire.get("lot") or {}).get("id") or data.get("lot") or "?"
    paddle = data.get("paddle", "?")
    exposure = data.get("exposure")
    threshold = data.get("threshold")
    action = data.get("action") or ""
    if isinstance(exposure, int) and isinstance(threshold, int):
        text = _(
            "Lot {lot}, paddle {paddle}: CDD not complete: {exposure} with this bid, "
            "threshold {threshold}"
        ).format(
            lot=lot,
            paddle=paddle,
            exposure=format_money(exposure, currency),
            threshold=format_money(threshold, currency),
        )
    else:
        text = _("Lot {lot}, paddle {paddle}: CDD not complete").format(lot=lot, paddle=paddle)
    return f"{text} ({action})" if action else text


class KycPanel(QWidget):
    """The KYC tab; runs its own core operations through the bridge."""

    notice = Signal(str)

    def __init__(self, bridge: CoreBridge, *, dialogs: bool = True) -> None:
        super().__init__()
        self.setObjectName("kycPanel")
        self.bridge = bridge
        self.dialogs = dialogs
        self.currency = "EUR"
        self.paddle: str | None = None
        self.rows: list[JSON] = []
        self.opener: Callable[[Path], None] = open_with_desktop
        self.pick_file: Callable[[], str] = self._pick_scan
        self._docs_dir: Path | None = None

        self.alerts = QListWidget()
        self.alerts.setObjectName("amlAlerts")
        self.alerts.setAccessibleName(_("AML alerts"))
        self.alerts.setMaximumHeight(70)
        self.view = table([_("Paddle"), _("Name"), _("CDD"), _("Hold")], "kycBidders")
        fit_columns(self.view, 1)
        self.view.currentCellChanged.connect(self._current_changed)
        left = QVBoxLayout()
        left.addWidget(plain(_("Bidders"), "sectionTitle"))
        left.addWidget(self.view, 1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setFixedWidth(300)

        right = QVBoxLayout()
        self.title = plain(_("Choose a bidder"), "sectionTitle")
        right.addWidget(self.title)
        right.addLayout(self._identity_form())
        right.addLayout(self._step_row())
        right.addLayout(self._action_row())
        right.addLayout(self._hold_row())
        self.events = table([_("When"), _("What"), _("By"), _("Details")], "kycEvents")
        fit_columns(self.events, 3)
        right.addWidget(self.events, 1)
        self.message = plain("", "kycMessage", wrap=True)
        right.addWidget(self.message)

        body = QHBoxLayout()
        body.addWidget(left_widget)
        body.addLayout(right, 1)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("AML alerts"), "caption"))
        col.addWidget(self.alerts)
        col.addLayout(body, 1)
        self._enable(False)

    # -- layout ---------------------------------------------------------------------------

    def _identity_form(self) -> QFormLayout:
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        self.id_type = QComboBox()
        self.id_type.setObjectName("kyc_id_type")
        for value in ID_TYPES:
            self.id_type.addItem(_(ID_TYPE_LABELS.get(value, value)) or "—", value)
        for name in FIELDS:
            if name == "id_type":
                form.addRow(plain(_(LABELS[name])), self.id_type)
                continue
            edit = QLineEdit()
            edit.setObjectName(f"kyc_{name}")
            if name in ("dob", "id_expiry"):
                edit.setPlaceholderText(_("YYYY-MM-DD"))
            self.edits[name] = edit
            form.addRow(plain(_(LABELS[name])), edit)
        self.owners = QPlainTextEdit()
        self.owners.setObjectName("kyc_owners")
        self.owners.setPlaceholderText(_("one per line: Name, YYYY-MM-DD"))
        self.owners.setFixedHeight(48)
        form.addRow(plain(_("Beneficial owners")), self.owners)
        self.customer = plain("", "kycCustomer")
        form.addRow(plain(_("Customer")), self.customer)
        self.save = QPushButton(_("Save details"))
        self.save.setObjectName("btn_kyc_save")
        self.save.clicked.connect(self.save_details)
        form.addRow(self.save)
        return form

    def _step_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.step = QComboBox()
        self.step.setObjectName("kycStepBox")
        for step, label in STEPS.items():
            self.step.addItem(_(label), step)
        self.outcome = QComboBox()
        self.outcome.setObjectName("kycOutcomeBox")
        self.step.currentIndexChanged.connect(self._fill_outcomes)
        self._fill_outcomes()
        self.reference = QLineEdit()
        self.reference.setObjectName("kycReferenceEdit")
        self.reference.setPlaceholderText(_("reference, no spaces (e.g. PASS-1234)"))
        self.reference.setMaxLength(64)
        self.record = QPushButton(_("Record step"))
        self.record.setObjectName("btn_kyc_record")
        self.record.clicked.connect(self.record_step)
        for w in (self.step, self.outcome, self.reference):
            row.addWidget(w)
        row.addWidget(self.record)
        return row

    def _action_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.screen_button = QPushButton(_("Screen now"))
        self.screen_button.setObjectName("btn_kyc_screen")
        self.screen_button.clicked.connect(self.screen_now)
        self.link = QPushButton(_("Link purchases"))
        self.link.setObjectName("btn_kyc_link")
        self.link.clicked.connect(self.link_purchases)
        self.scan = QPushButton(_("Attach ID scan…"))
        self.scan.setObjectName("btn_kyc_scan")
        self.scan.clicked.connect(self.attach_scan)
        self.export_html = QPushButton(_("CDD file"))
        self.export_html.setObjectName("btn_kyc_file")
        self.export_html.clicked.connect(lambda: self.open_file("html"))
        self.export_json = QPushButton(_("CDD JSON"))
        self.export_json.setObjectName("btn_kyc_json")
        self.export_json.clicked.connect(lambda: self.open_file("json"))
        for w in (self.screen_button, self.link, self.scan, self.export_html, self.export_json):
            row.addWidget(w)
        row.addStretch(1)
        return row

    def _hold_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.hold_label = plain("", "kycHold")
        self.hold_reason = QLineEdit()
        self.hold_reason.setObjectName("kycHoldReasonEdit")
        self.hold_reason.setPlaceholderText(_("officer's reason"))
        self.clear_hold = QPushButton(_("Clear hold"))
        self.clear_hold.setObjectName("btn_kyc_clear_hold")
        self.clear_hold.clicked.connect(lambda: self.review("clear"))
        self.confirm_hold = QPushButton(_("Confirm hold"))
        self.confirm_hold.setObjectName("btn_kyc_confirm_hold")
        self.confirm_hold.clicked.connect(lambda: self.review("confirm"))
        row.addWidget(self.hold_label, 1)
        row.addWidget(self.hold_reason, 1)
        row.addWidget(self.clear_hold)
        row.addWidget(self.confirm_hold)
        return row

    def _fill_outcomes(self) -> None:
        self.outcome.clear()
        for outcome in OUTCOMES[str(self.step.currentData())]:
            self.outcome.addItem(_(OUTCOME_LABELS.get(outcome, outcome)), outcome)

    def _enable(self, on: bool) -> None:
        for w in (
            self.save,
            self.record,
            self.screen_button,
            self.link,
            self.scan,
            self.export_html,
            self.export_json,
        ):
            w.setEnabled(on)
        for button in (self.clear_hold, self.confirm_hold):
            button.setEnabled(on and bool(self.hold_label.text()))

    # -- data in --------------------------------------------------------------------------

    def show_bidders(self, rows: list[JSON], currency: str) -> None:
        self.rows = rows
        self.currency = currency
        self.view.setRowCount(len(rows))
        for r, row in enumerate(rows):
            self.view.setItem(r, 0, item(str(row.get("paddle", ""))))
            self.view.setItem(r, 1, item(str(row.get("name", ""))))
            self.view.setItem(r, 2, item(cdd_summary(row.get("cdd") or {})))
            self.view.setItem(r, 3, item("held" if row.get("hold") else ""))

    def on_records(self, wires: list[JSON]) -> None:
        for wire in wires:
            if wire.get("type") == "aml_alert":
                self.alerts.insertItem(0, alert_text(wire, self.currency))
        touched = {str((w.get("data") or {}).get("paddle")) for w in wires}
        if self.paddle in touched and any(w.get("type") in KYC_EVENTS for w in wires):
            self.load(self.paddle)

    def _current_changed(self, row: int, *_: int) -> None:
        if 0 <= row < len(self.rows):
            self.load(str(self.rows[row].get("paddle")))

    def load(self, paddle: str | None) -> None:
        self.paddle = paddle
        if paddle is None:
            return
        self.bridge.run(lambda core: core.kyc_record(paddle), self.show_record, self._failed)

    def show_record(self, record: JSON) -> None:
        identity = record.get("identity") or {}
        self.paddle = str(record["paddle"])
        name = identity.get("name") or ""
        required = record.get("required") or []
        self.title.setText(f"Paddle {self.paddle}  {name}".strip())
        self.title.setToolTip(
            _("Required by the house's policy: {steps}").format(steps=", ".join(required))
        )
        for field_name, edit in self.edits.items():
            edit.setText(str(identity.get(field_name) or ""))
        index = self.id_type.findData(identity.get("id_type") or "")
        self.id_type.setCurrentIndex(max(index, 0))
        self.owners.setPlainText(owners_text(record.get("beneficial_owners") or []))
        docs = record.get("documents") or []
        scan = "   ·   " + _("ID scan {hash}…").format(hash=docs[0]["sha256"][:12]) if docs else ""
        self.customer.setText(f"{identity.get('customer') or '—'}{scan}")
        hold = record.get("hold")
        self.hold_label.setText(
            _("On hold: {reason}").format(reason=hold.get("reason", "")) if hold else ""
        )
        events = record.get("events") or []
        self.events.setRowCount(len(events))
        for r, ev in enumerate(events):
            data = ev.get("data") or {}
            details = ", ".join(f"{k}={v}" for k, v in data.items() if v not in (None, ""))
            self.events.setItem(r, 0, item(_when(float(ev.get("at") or 0))))
            self.events.setItem(r, 1, item(str(ev.get("type", ""))))
            self.events.setItem(r, 2, item(str(ev.get("by") or "")))
            self.events.setItem(r, 3, item(details))
        self._enable(True)

    # -- actions --------------------------------------------------------------------------

    def form_fields(self) -> JSON:
        """The identity fields as typed (checked by the identities store)."""
        fields: JSON = {name: edit.text() for name, edit in self.edits.items()}
        fields["id_type"] = self.id_type.currentData() or ""
        fields["beneficial_owners"] = owners_from_text(self.owners.toPlainText())
        return fields

    def save_details(self) -> None:
        if self.paddle is None:
            return
        try:
            fields = self.form_fields()
        except KycFormError as exc:
            self._say(_("Not saved: {exc}").format(exc=exc))
            return
        paddle = self.paddle
        self.bridge.run(
            lambda core: core.save_kyc(paddle, fields),
            lambda _row: self._done(paddle, _("details saved")),
            lambda exc: self._say(refusal(_("Not saved"), exc)),
        )

    def record_step(self) -> None:
        if self.paddle is None:
            return
        paddle = self.paddle
        step, outcome = str(self.step.currentData()), str(self.outcome.currentData())
        reference = self.reference.text().strip()
        self.bridge.run(
            lambda core: core.record_cdd(paddle, step, outcome, reference),
            lambda answer: self._answered(
                f"{_(STEPS[step])}: {_(OUTCOME_LABELS.get(outcome, outcome))}", answer
            ),
            lambda exc: self._say(refusal(_("Not recorded"), exc)),
        )

    def screen_now(self) -> None:
        if self.paddle is None:
            return
        paddle = self.paddle
        self._say(_("Screening paddle {paddle}…").format(paddle=paddle))
        self.bridge.run(
            lambda core: core.screen_now(paddle),
            lambda result: self._say(
                (
                    _("Paddle {paddle} screened: {verdict}, {hits} hit(s)")
                    if result.get("hits")
                    else _("Paddle {paddle} screened: {verdict}")
                ).format(
                    paddle=paddle, verdict=result["verdict"], hits=len(result.get("hits") or ())
                )
            ),
            lambda exc: self._say(refusal(_("Not screened"), exc)),
        )

    def _linked_text(self, paddle: str, linked: JSON) -> str:
        text = _("Paddle {paddle}: {amount} bought in other sales ({sales})").format(
            paddle=paddle,
            amount=format_money(linked["amount"], self.currency),
            sales=", ".join(linked["sales"]) or _("none"),
        )
        if linked["problems"]:
            problems = "; ".join(linked["problems"])
            return _("{text}; could not read: {problems}").format(text=text, problems=problems)
        return text

    def link_purchases(self) -> None:
        if self.paddle is None:
            return
        paddle = self.paddle
        self.bridge.run(
            lambda core: core.link_purchases(paddle),
            lambda linked: self._say(self._linked_text(paddle, linked)),
            lambda exc: self._say(refusal(_("Not linked"), exc)),
        )

    def attach_scan(self) -> None:
        if self.paddle is None:
            return
        name = self.pick_file()
        if not name:
            return
        paddle = self.paddle
        self.bridge.run(
            lambda core: core.store_scan(paddle, Path(name)),
            lambda _row: self._done(paddle, _("ID scan stored")),
            lambda exc: self._say(refusal(_("Scan not stored"), exc)),
        )

    def _pick_scan(self) -> str:
        if not self.dialogs:
            return ""
        name, _filter = QFileDialog.getOpenFileName(
            self, _("ID scan"), "", _("Scans (*.pdf *.png *.jpg *.jpeg);;All files (*)")
        )
        return name

    def review(self, decision: str) -> None:
        if self.paddle is None:
            return
        reason = self.hold_reason.text().strip()
        if not reason:
            self._say(_("Give the reason for the decision first"))
            return
        paddle = self.paddle
        self.bridge.run(
            lambda core: core.review_hold(paddle, decision, reason),
            lambda answer: self._answered(_("Hold {decision}").format(decision=decision), answer),
            lambda exc: self._say(refusal(_("Not reviewed"), exc)),
        )

    def open_file(self, fmt: str) -> None:
        if self.paddle is None:
            return
        paddle = self.paddle

        def write(content: bytes) -> None:
            if self._docs_dir is None:
                self._docs_dir = Path(tempfile.mkdtemp(prefix="auctionmen-cdd-"))
            path = self._docs_dir / f"cdd-{paddle}.{fmt}"
            path.write_bytes(content)
            self._say(_("CDD file of paddle {paddle}: {path}").format(paddle=paddle, path=path))
            self.opener(path)

        self.bridge.run(
            lambda core: core.cdd_export(paddle, fmt),
            write,
            lambda exc: self._say(refusal(_("No CDD file"), exc)),
        )

    def _done(self, paddle: str, what: str) -> None:
        self._say(_("Paddle {paddle}: {what}").format(paddle=paddle, what=what))
        self.load(paddle)

    def _answered(self, what: str, answer: Any) -> None:
        if answer.ok:
            self._say(_("Paddle {paddle}: {what}").format(paddle=self.paddle, what=what))
        else:
            self._say(refusal(what, answer))

    def _failed(self, exc: BaseException) -> None:
        self._say(refusal(_("KYC"), exc))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.notice.emit(text)


def _when(at: float) -> str:
    return time.strftime("%d %b %H:%M", time.localtime(at)) if at else ""
