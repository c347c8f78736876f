"""The main window: header (sale, hub address, status lights), lot list, console tabs and
the join panel (QR codes of the bidder and clerk links, the clerk PIN)."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.bridge import CoreBridge
from app.catalogue_import import CatalogueError, RowVerdict
from app.facade import OWNER, CoreHost, CoreInfo, CoreThread, RatesInfo, SaleShelf, Sealed
from app.formatting import format_duration, relay_light
from app.i18n import N_, _, refusal
from app.shortcuts import SHORTCUTS
from app.state import ConsoleState
from app.ui.after_sale import SubjectToPanel
from app.ui.amend import LotDialog
from app.ui.bidders import BiddersPanel
from app.ui.checkout import CheckoutPanel
from app.ui.commissions import CommissionsPanel
from app.ui.consignors import ConsignorsPanel
from app.ui.console import ConsolePanel
from app.ui.gavel_settings import GavelSettings
from app.ui.help_overlay import HelpOverlay
from app.ui.import_panel import ImportPanel
from app.ui.kyc import KycPanel, alert_text
from app.ui.ladder_editor import LadderEditor
from app.ui.language import LanguageButton, language_name
from app.ui.login import FirstAdminDialog, LoginDialog
from app.ui.lots import LotList
from app.ui.messages import EndSessionDialog, MessageDialog, SealDialog
from app.ui.officer import OfficerPanel
from app.ui.phones import PhonesPanel
from app.ui.results_view import ResultsView
from app.ui.sale_bar import SaleBar
from app.ui.sale_forms import FormError, reoffer_command
from app.ui.sale_picker import PickerDesk, SalePicker
from app.ui.sale_settings import SaleSettingsPanel
from app.ui.screening import ScreeningPanel
from app.ui.staff import StaffPanel
from app.ui.style import STYLE
from app.ui.widgets import (
    ElidedLabel,
    PageTabs,
    QrCard,
    StatusLight,
    fit_placeholders,
    name_controls,
    plain,
)
from hub.auction.commands import BY_OP
from hub.auction.events import Actor
from hub.backend.rates import RatesError
from hub.gavel import GavelStatus

PLAIN_HTTP = N_("⚠ plain HTTP, unencrypted")
PLAIN_HTTP_TIP = N_(
    'The stage serves plain HTTP (tls = "off"): the clerk PIN, staff tokens and bidders\' '
    "cookies cross the network unencrypted. Serve HTTPS: docs/OPERATIONS.md."
)

log = logging.getLogger("auctionmen.ui")


def op_label(op: object) -> str:
    """A command's name as the app says it ("Hammer"), from its op code ("hammer")."""
    command = BY_OP.get(str(op))
    return _(command.label) if command is not None else str(op)


JOIN_WIDTH = 156  # the QR codes and the PIN, beside the tabs
TAB_ACTIONS = {"import": "importer", "export": "results"}  # action -> the tab's widget


def named(dialog: QDialog) -> QDialog:
    """`dialog` with every control named for screen readers (see `name_controls`)."""
    name_controls(dialog)
    return dialog


def initial_size(width: int, height: int) -> tuple[int, int]:
    """The window's first size on a screen with this much room: 1440×900, or the screen."""
    return min(1440, width), min(900, height)


class MainWindow(QMainWindow):
    """Renders `ConsoleState`; sends every command through the bridge.

    Signals:
        sale_opened(CoreInfo): the core now runs another sale (picked in Sales…).
    """

    sale_opened = Signal(object)
    language_chosen = Signal(str)  # a language tag to save; it applies on the next start

    def __init__(
        self,
        bridge: CoreBridge,
        image_dirs: list[Path],
        *,
        dialogs: bool = True,
        retract_reason: str = "retracted by the auctioneer",
        on_record: Callable[[dict[str, Any]], None] | None = None,
        host: CoreHost | None = None,
        shelf: SaleShelf | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(_("Auctionmen"))
        self.setStyleSheet(STYLE)
        self.bridge = bridge
        self.dialogs = dialogs
        self.state = ConsoleState()
        self._on_record = on_record
        self.gavel_status: GavelStatus | None = None
        self.host = host  # switches the core to another sale (None: this sale only)
        self.shelf = shelf  # the data dir's sales (None: no picker)
        self.info: CoreInfo | None = None
        self.dialog: QDialog | None = None  # the sale-day form open now (tests drive it)
        self.picker: SalePicker | None = None
        self.picker_desk: PickerDesk | None = None
        # Asks a yes/no question before an action that cannot be undone; no dialogs: yes.
        self.confirm: Callable[[str], bool] = self._confirm if dialogs else (lambda _q: True)
        self.today: Callable[[], datetime.date] = datetime.date.today  # the rates' age (tests)

        # Both give way on a narrow screen (cut with "…"): the header never widens the window.
        self.sale_title = ElidedLabel(_("Auctionmen"), "saleTitle", min_width=120)
        self.hub_address = ElidedLabel(_("starting…"), "hubAddress", min_width=120)
        self.hub_light = StatusLight(_("HUB"), "hubLight")
        self.gavel_light = StatusLight(_("GAVEL"), "gavelLight")
        self.relay_light = StatusLight(_("RELAY"), "relayLight")
        self.relay_light.set("off", _("not configured"))
        self.paused_label = plain("", "pausedLabel")
        header = QFrame()
        header.setObjectName("header")
        hl = QHBoxLayout(header)
        hl.setContentsMargins(12, 6, 12, 6)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.sale_title)
        titles.addWidget(self.hub_address)
        hl.addLayout(titles, 1)
        self.sale_bar = SaleBar()
        hl.addWidget(self.sale_bar)
        hl.addWidget(self.paused_label)
        for light in (self.hub_light, self.gavel_light, self.relay_light):
            hl.addWidget(light)
        self.language_button = LanguageButton()
        self.language_button.chosen.connect(self.choose_language)
        hl.addWidget(self.language_button)

        self.lots = LotList()
        self.console = ConsolePanel(image_dirs, retract_reason)
        if dialogs:
            self.console.ask_text = self._ask_text
        self.importer = ImportPanel(dialogs)
        self.bidders = BiddersPanel()
        self.ladder = LadderEditor()
        self.results = ResultsView()
        self.commissions = CommissionsPanel()
        self.gavel_settings = GavelSettings(bridge)
        self.rules = SaleSettingsPanel()
        self.phones = PhonesPanel()
        self.subject_to = SubjectToPanel()
        self.checkout = CheckoutPanel(bridge, dialogs=dialogs)
        self.consignors = ConsignorsPanel(bridge, dialogs=dialogs)
        self.kyc = KycPanel(bridge, dialogs=dialogs)
        self.screening = ScreeningPanel(bridge, dialogs=dialogs)
        self.staff = StaffPanel(bridge)
        # Suspicion notes: the store behind refuses anyone without the officer role.
        self.officer = OfficerPanel(bridge, self._acting)
        self.tabs = PageTabs()
        self.tabs.setObjectName("tabs")
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for widget, name in (
            (self.console, N_("Console")),
            (self.importer, N_("Catalogue")),
            (self.bidders, N_("Bidders")),
            (self.kyc, N_("KYC")),
            (self.screening, N_("Screening")),
            (self.commissions, N_("Commissions")),
            (self.ladder, N_("Ladder")),
            (self.results, N_("Results")),
            (self.checkout, N_("Checkout")),
            (self.consignors, N_("Consignors")),
            (self.subject_to, N_("Subject to")),
            (self.phones, N_("Phones")),
            (self.rules, N_("Rules")),
            (self.gavel_settings, N_("Gavel")),
            (self.staff, N_("Staff")),
            (self.officer, N_("Officer")),
        ):
            # Every page but the console scrolls when the window is small (a 1366×768 laptop).
            self.tabs.add_page(widget, _(name), scroll=widget is not self.console)

        self.bidder_qr = QrCard(_("Bidders: scan to join"), "bidderQr")
        self.clerk_qr = QrCard(_("Clerk terminal"), "clerkQr")
        self.pin = plain("", "pinLabel")
        self.pin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        join = QWidget()
        join.setObjectName("joinPanel")
        jl = QVBoxLayout(join)
        jl.setContentsMargins(0, 0, 0, 0)
        jl.addWidget(self.bidder_qr)
        jl.addWidget(self.clerk_qr)
        jl.addWidget(plain(_("Clerk PIN"), "caption"), 0, Qt.AlignmentFlag.AlignHCenter)
        jl.addWidget(self.pin)
        jl.addStretch(1)
        join.setFixedWidth(JOIN_WIDTH)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.lots)
        splitter.addWidget(self.tabs)
        splitter.addWidget(join)
        splitter.setStretchFactor(0, 1)  # a wide screen gives the lot titles room too
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 900, JOIN_WIDTH])
        central = QWidget()
        central.setObjectName("central")
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(header)
        body = QVBoxLayout()
        body.setContentsMargins(6, 6, 6, 6)
        body.addWidget(splitter)
        cl.addLayout(body, 1)
        self.setCentralWidget(central)
        self.help = HelpOverlay(central)

        self.shortcuts: dict[str, list[QShortcut]] = {}
        for spec in SHORTCUTS:
            for key in spec.keys:
                sc = QShortcut(QKeySequence(key), self)
                sc.setContext(Qt.ShortcutContext.WindowShortcut)
                sc.activated.connect(self._shortcut(spec.action))
                self.shortcuts.setdefault(spec.action, []).append(sc)
        # Digits typed anywhere (no text field has the focus) go to the console's Paddle field.
        # Ctrl+PgDown / Ctrl+PgUp: the next and previous tab (the tab bar takes no focus).
        for key, step in (("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(lambda step=step: self._turn_tab(step))
        self.digit_keys: list[QShortcut] = []
        for digit in "0123456789":
            sc = QShortcut(QKeySequence(digit), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(self._digit(digit))
            self.digit_keys.append(sc)
        self.pedal: QShortcut | None = None

        self.console.command.connect(self.send)
        self.bidders.command.connect(self.send)
        self.ladder.command.connect(self.send)
        self.bidders.notice.connect(self._status_message)
        self.bidders.register.connect(self.register_bidder)
        self.bidders.import_requested.connect(self.choose_bidder_list)
        self.bidders.link_requested.connect(self.show_bidder_link)
        self.commissions.command.connect(self.send)
        self.commissions.notice.connect(self._status_message)
        self.checkout.notice.connect(self._status_message)
        self.consignors.notice.connect(self._status_message)
        self.kyc.notice.connect(self._status_message)
        self.screening.notice.connect(self._status_message)
        self.staff.notice.connect(self._status_message)
        bridge.records.connect(self.kyc.on_records)
        bridge.records.connect(self.checkout.on_records)
        bridge.records.connect(self.consignors.on_records)
        self.ladder.notice.connect(self._status_message)
        self.console.notice_changed.connect(self._status_message)
        self.lots.open_requested.connect(lambda lot: self.send({"op": "open_lot", "lot": lot}))
        self.importer.start.connect(self.start_import)
        self.importer.preview.connect(self.preview_import)
        self.lots.edit_requested.connect(self.edit_lot)
        self.lots.add_requested.connect(self.add_lot)
        self.lots.reoffer_requested.connect(self.reoffer)
        self.rules.save.connect(self.save_rules)
        self.rules.rates.dialogs = dialogs
        self.rules.rates.import_requested.connect(self.import_rates)
        self.phones.book.connect(self.book_phone)
        self.phones.cancel.connect(self.cancel_phone)
        self.subject_to.resolve.connect(self.resolve_subject_to)
        self.console.compose = self.compose_message
        bar = self.sale_bar
        bar.sales.connect(self.show_sales)
        bar.go_live.connect(self.go_live)
        bar.message.connect(self.compose_message)
        bar.end_session.connect(self.end_session)
        bar.start_session.connect(self.start_session)
        bar.close_sale.connect(self.close_sale)
        bar.seal.connect(self.show_seal)
        self.results.export_requested.connect(self.export_results)
        bridge.records.connect(self.on_records)
        bridge.gavel_changed.connect(self.on_gavel)
        bridge.gavel_changed.connect(self.gavel_settings.on_gavel)
        self.gavel_settings.pedal_changed.connect(self._rebind_pedal)
        bridge.clients_changed.connect(self.on_clients)
        bridge.relay_changed.connect(self.on_relay)
        bridge.failed.connect(
            lambda cmd, msg: self.console.set_notice(
                _("{what}: {error}").format(what=op_label(cmd.get("op")), error=msg), error=True
            )
        )
        self.statusBar()  # made now, so the window's minimum size counts it
        fit_placeholders(self)
        name_controls(self)  # every control has a name a screen reader can say
        room = self.screen().availableGeometry()
        self.resize(*initial_size(room.width(), room.height()))

    # -- wiring ---------------------------------------------------------------------------

    def show_core(self, info: CoreInfo) -> None:
        self.info = info
        self.show_address(info)
        self.hub_light.set("ok", _("0 clients"))
        self.bidder_qr.set_url(info.bidder_join, info.bidder_join)
        self.clerk_qr.set_url(info.clerk_link, info.url + "/clerk")
        self.pin.setText(info.pin)
        self.on_gavel(info.gavel)
        self.gavel_settings.show_core(info)
        self.checkout.show_account(None)
        self.consignors.reload()
        self.screening.reload()
        self.reload_rates()
        self.staff.reload()
        self.officer.refresh()
        self.reload()
        if self.dialogs:
            self.bridge.run(lambda core: core.has_staff(), self.sign_in)

    def sign_in(self, has_staff: bool) -> None:
        """Staff accounts: sign in (name and PIN); none yet: offer to create the first
        administrator once (skipping keeps the desktop the owner, with every role)."""
        info = self.info
        skipped = Path(info.data_dir) / ".first_admin_skipped" if info else None
        accepted = QDialog.DialogCode.Accepted
        if has_staff:
            if named(LoginDialog(self.bridge, self)).exec() != accepted:
                self.close()  # no one signed in: the desktop does not act as the owner
                return
        elif (
            skipped is not None
            and not skipped.exists()
            and named(FirstAdminDialog(self.bridge, self)).exec() != accepted
        ):
            skipped.touch()
        self.staff.reload()
        self.officer.refresh()

    def _acting(self) -> Actor:
        """Who the desktop acts as now (the signed-in person, else the owner)."""
        core = self.bridge.core
        return core.actor if core is not None else OWNER

    def show_address(self, info: CoreInfo) -> None:
        """The stage's address in the header; while the house serves plain HTTP, a warning
        that stays there (not a dialog: the sale goes on)."""
        plain_http = info.url.startswith("http://")
        text = _("{url}   ·   sale {sale}").format(url=info.url, sale=info.sale)
        self.hub_address.setText(f"{text}   ·   {_(PLAIN_HTTP)}" if plain_http else text)
        self.hub_address.setToolTip(_(PLAIN_HTTP_TIP) if plain_http else "")
        self.hub_address.setStyleSheet("color: #fbbf24;" if plain_http else "")

    def bind_pedal(self, key: str, press: Callable[[], None]) -> None:
        """The keyboard pedal: an application-wide shortcut feeding the keyboard gavel."""
        self.pedal = QShortcut(QKeySequence(key), self)
        self.pedal.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.pedal.activated.connect(press)

    def _rebind_pedal(self, key: str) -> None:
        """The settings tab applied a gavel: (re)bind the keyboard pedal, or unbind it."""
        if self.pedal is not None:
            self.pedal.setEnabled(False)
            self.pedal.deleteLater()
            self.pedal = None
        if key:
            self.bind_pedal(key, self._press_pedal)

    def _press_pedal(self) -> None:
        core = self.bridge.core
        if core is not None:
            core.press_pedal()

    def reload(self) -> None:
        """Fetch a full staff snapshot from the core and redraw everything."""
        self.bridge.run(CoreThread.staff_snapshot, self.set_snapshot)

    def set_snapshot(self, snap: dict[str, Any]) -> None:
        self.state = ConsoleState.from_snapshot(snap)
        self.sale_title.setText(str(self.state.sale.get("title") or self.state.sale.get("id")))
        self.console.set_state(self.state)
        self.lots.show_state(self.state)
        self.results.show_state(self.state)
        self.commissions.show_state(self.state)
        self.bidders.show_bidders(self.state.bidders, self.state.currency)
        self.kyc.show_bidders(self.state.bidders, self.state.currency)
        self.ladder.show_rows(self.state.settings.get("ladder") or [], self.state.currency)
        self._show_paused()
        self._show_sale_day()

    def on_records(self, wires: list[dict[str, Any]]) -> None:
        changes = self.state.apply_all(wires)
        for wire in wires:
            if wire.get("type") == "aml_alert":
                lot = (wire.get("lot") or {}).get("id") or (wire.get("data") or {}).get("lot")
                self.console.show_aml_alert(alert_text(wire, self.state.currency), lot)
        if self._on_record is not None:
            for wire in wires:
                self._on_record(wire)
        if not changes:
            return
        self.console.refresh()
        if changes.lot_ids or changes.sale:
            self.lots.show_state(self.state)
            self.results.show_state(self.state)
            self.commissions.show_state(self.state)
        if changes.sale:
            self._show_paused()
        if changes.bidders or any(w.get("type") == "lot_sold" for w in wires):
            self.bridge.run(CoreThread.bidder_rows, self._set_bidders)
        if changes.settings:
            self.ladder.show_rows(self.state.settings.get("ladder") or [], self.state.currency)
        self._show_sale_day()

    def _set_bidders(self, rows: list[dict[str, Any]]) -> None:
        self.state.bidders = rows
        self.bidders.show_bidders(rows, self.state.currency)
        self.kyc.show_bidders(rows, self.state.currency)
        self.commissions.show_state(self.state)  # names

    def _show_paused(self) -> None:
        pause = self.state.sale.get("break")
        if isinstance(pause, dict):  # a session break: its message, as every screen shows it
            text = str(pause.get("message") or _("Session break"))
            self.paused_label.setText(text if len(text) <= 60 else text[:59] + "…")
            self.paused_label.setToolTip(text)
            self.paused_label.setStyleSheet(
                "background: #b45309; color: white; padding: 4px 10px; border-radius: 4px;"
            )
            return
        self.paused_label.setToolTip("")
        paused = bool(self.state.sale.get("paused"))
        self.paused_label.setText(_("PAUSED") if paused else "")
        self.paused_label.setStyleSheet(
            "background: #dc2626; color: white; padding: 4px 10px; border-radius: 4px;"
            if paused
            else ""
        )

    def on_gavel(self, status: GavelStatus) -> None:
        self.gavel_status = status
        if not status.configured:
            self.gavel_light.set("off", _("none · use Hammer (H)"))
            return
        detail = status.text
        if status.last_strike_at is not None:
            ago = format_duration(time.time() - status.last_strike_at)
            detail = _("{state} · strike {ago} ago ({outcome})").format(
                state=_("connected") if status.connected else status.text,
                ago=ago,
                outcome=(status.last_decision or "").replace("_", " "),
            )
        level = "bad" if status.stuck else ("ok" if status.connected else "warn")
        self.gavel_light.set(level, detail[:60])

    def on_clients(self, n: int) -> None:
        self.hub_light.set("ok", _("1 client") if n == 1 else _("{n} clients").format(n=n))

    def on_relay(self, status: Any) -> None:
        self.relay_light.set(*relay_light(status))

    # -- commands -------------------------------------------------------------------------

    def send(self, command: dict[str, Any]) -> None:
        self.bridge.submit(command, self._answered(command))

    def _answered(self, command: dict[str, Any]) -> Callable[[Any], None]:
        def show(answer: Any) -> None:
            if answer.ok:
                if command.get("op") == "approve_bidder":
                    self.show_bidder_link(str(command.get("paddle")))
                if command.get("op") == "configure":
                    self.console.set_notice(_("Sale settings saved."))
                return
            self.console.set_notice(
                _("Refused ({what}): {why}").format(
                    what=op_label(command.get("op")), why=refusal(answer.reason, answer.message)
                ),
                error=True,
            )

        return show

    def register_bidder(self, form: dict[str, Any]) -> None:
        core = self.bridge.core
        if core is None:
            self._status_message(_("The core is not running."))
            return
        paddle = str(form["paddle"])
        future = core.register_bidder(
            paddle,
            str(form["channel"]),
            str(form.get("name") or ""),
            approved=bool(form.get("approved")),
            credit_limit=form.get("credit_limit"),
        )

        def answered(answer: Any) -> None:
            if not answer.ok:
                self._status_message(
                    _("Not registered: {why}").format(why=refusal(answer.reason, answer.message))
                )
                return
            self.bidders.registered(paddle)
            self.bridge.run(CoreThread.bidder_rows, self._set_bidders)  # with the name, now stored
            if form.get("approved") and form.get("channel") == "online":
                self.show_bidder_link(paddle)

        self.bridge.deliver(
            future,
            answered,
            lambda exc: self._status_message(_("Not registered: {exc}").format(exc=exc)),
        )

    def _ask_text(self, question: str, suggestion: str) -> str | None:
        text, ok = QInputDialog.getText(self, _("Auctionmen"), question, text=suggestion)
        return text if ok else None

    def choose_bidder_list(self) -> None:
        if not self.dialogs:
            return
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Bidder list"), "", _("Bidder list (*.csv *.txt *.xlsx);;All files (*)")
        )
        if name:
            self.import_bidders(Path(name))

    def import_bidders(self, csv_path: Path) -> None:
        """Register every good row of a bidder list; the report shows on the Bidders tab."""
        core = self.bridge.core
        if core is None:
            self._status_message(_("The core is not running."))
            return
        bridge = self.bridge

        def progress(done: int, total: int) -> None:
            bridge.later(
                self._status_message,
                _("Registering bidders: {done} of {total}…").format(done=done, total=total),
            )

        def done(verdicts: list[Any]) -> None:
            self.bidders.show_import(verdicts)
            self.bridge.run(CoreThread.bidder_rows, self._set_bidders)

        def failed(exc: BaseException) -> None:
            message = (
                str(exc)
                if isinstance(exc, CatalogueError)
                else _("unexpected error: {exc}").format(exc=exc)
            )
            self.bidders.import_report.setText(
                _("Bidder list not imported: {message}").format(message=message)
            )
            self._status_message(_("Bidder list not imported: {message}").format(message=message))

        self.bridge.deliver(core.import_bidders(csv_path, progress), done, failed)

    def reload_rates(self) -> None:
        """The currency board's rates, as stored now, on the Rules tab."""
        self.bridge.run(
            CoreThread.rates_info,
            lambda info: self.rules.rates.show_rates(info, self.today()),
            lambda exc: self.rules.rates.show_error(str(exc)),
        )

    def import_rates(self, source: Path) -> None:
        """Import an ECB rates file for the room's currency board (Rules tab)."""
        core = self.bridge.core
        if core is None:
            self._status_message(_("The core is not running."))
            return

        def done(info: RatesInfo) -> None:
            self.rules.rates.show_rates(info, self.today())
            self._status_message(_("Rates of {date} imported.").format(date=info.date.isoformat()))

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, RatesError):
                log.error("rates import failed", exc_info=exc)
            self.rules.rates.show_error(str(exc))
            self._status_message(_("Rates not imported: {message}").format(message=exc))

        self.bridge.deliver(core.import_rates(source), done, failed)

    def show_bidder_link(self, paddle: str) -> None:
        """After an approval: the bidder's signed join link (made on the core loop) and QR."""
        self.bridge.run(
            lambda core: core.bidder_link(paddle), lambda url: self.bidders.show_link(paddle, url)
        )

    def _shortcut(self, action: str) -> Callable[[], None]:
        def run() -> None:
            self.trigger(action)

        return run

    def _turn_tab(self, step: int) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def _digit(self, digit: str) -> Callable[[], None]:
        def typed() -> None:
            self.tabs.setCurrentWidget(self.console)
            self.console.type_digit(digit)

        return typed

    def trigger(self, action: str) -> None:
        if action == "help":
            self.help.toggle()
            return
        if action in TAB_ACTIONS:
            self.tabs.setCurrentWidget(getattr(self, TAB_ACTIONS[action]))
            if action == "export":
                self.export_results()
            return
        self.tabs.setCurrentWidget(self.console)
        self.console.trigger(action, "key")

    def choose_language(self, lang: str) -> None:
        """Save the choice (main.py listens); the texts change when the app starts next."""
        self.language_chosen.emit(lang)
        self._status_message(
            _("Language: {name}. It applies when Auctionmen starts next.").format(
                name=language_name(lang)
            )
        )

    def _status_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    # -- jobs -----------------------------------------------------------------------------

    def start_import(self, csv_path: Path, images_dir: Path | None) -> None:
        core = self.bridge.core
        if core is None:
            self.importer.on_failed(_("the core is not running"))
            return
        self.importer.begin()
        bridge = self.bridge

        def progress(done: int, total: int) -> None:
            bridge.later(lambda v: self.importer.on_progress(*v), (done, total))

        future = core.import_catalogue(
            csv_path,
            images_dir,
            progress,
            reason=self.importer.reason(),
            cancel=self.importer.cancel_event,
        )

        def finished(f: Any) -> None:
            exc = f.exception()
            if isinstance(exc, CatalogueError):
                bridge.later(self.importer.on_failed, str(exc))
            elif exc is not None:
                log.error("import failed", exc_info=exc)
                bridge.later(self.importer.on_failed, _("unexpected error: {exc}").format(exc=exc))
            else:
                bridge.later(self._import_done, f.result())

        future.add_done_callback(finished)

    def _import_done(self, verdicts: list[RowVerdict]) -> None:
        self.importer.on_done(verdicts)
        self.reload()

    def preview_import(self, csv_path: Path, images_dir: Path | None) -> None:
        """The import's dry run: what it would add, change and refuse (nothing is written)."""
        core = self.bridge.core
        if core is None:
            self.importer.on_failed(_("the core is not running"))
            return

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, CatalogueError):
                log.error("import check failed", exc_info=exc)
            self.importer.on_failed(str(exc) if isinstance(exc, CatalogueError) else f"{exc}")

        future = core.preview_catalogue(csv_path, images_dir, reason=self.importer.reason())
        self.bridge.deliver(future, self.importer.on_preview, failed)

    def export_results(self, path: Path | None = None) -> Path | None:
        if path is None:
            if not self.dialogs:
                return None
            name, _filter = QFileDialog.getSaveFileName(
                self, _("Export results"), "results.csv", _("CSV (*.csv)")
            )
            if not name:
                return None
            path = Path(name)
        n = self.results.write_csv(path)
        self._status_message(_("{n} lots exported to {path}").format(n=n, path=path))
        return path

    # -- sale day -------------------------------------------------------------------------

    def _show_sale_day(self) -> None:
        self.sale_bar.show_state(self.state)
        self.rules.show_state(self.state)
        self.phones.show_state(self.state)
        self.subject_to.show_state(self.state)

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, _("Auctionmen"), question)
        return answer == QMessageBox.StandardButton.Yes

    def _op(
        self,
        what: str,
        operation: Callable[[CoreThread], Any],
        on_ok: Callable[[Any], None] | None = None,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        """Run a named core operation; its answer (or refusal) shows in the notice line."""

        def answered(answer: Any) -> None:
            if answer.ok:
                self.console.set_notice(_("{what}: done.").format(what=what))
                if on_ok is not None:
                    on_ok(answer)
                return
            message = _("Refused ({what}): {why}").format(
                what=what, why=refusal(answer.reason, answer.message)
            )
            self.console.set_notice(message, error=True)
            self._status_message(message)
            if on_refused is not None:
                on_refused(message)

        def failed(exc: BaseException) -> None:
            message = _("{what}: {error}").format(what=what, error=exc)
            self.console.set_notice(message, error=True)
            if on_refused is not None:
                on_refused(message)

        self.bridge.run(operation, answered, failed)

    def _open_dialog(self, dialog: QDialog, on_accept: Callable[[Any], None]) -> None:
        """Open a form window-modally without blocking the loop; `on_accept(dialog)` on OK."""
        self.dialog = dialog
        name_controls(dialog)
        dialog.accepted.connect(lambda: on_accept(dialog))
        dialog.open()

    @property
    def status(self) -> str:
        return str(self.state.sale.get("status") or "live")

    def go_live(self) -> None:
        if self.status != "draft":
            return
        if self.confirm(
            _(
                "Go live? The catalogue freezes: from now on every change to a lot is a journaled "
                "amendment with a reason, shown to everyone."
            )
        ):
            self._op(_("Go live"), CoreThread.go_live)

    def close_sale(self) -> None:
        if self.state.live():
            self.console.set_notice(
                _("Close sale: lot {current_id} is on the block: hammer or pass it first").format(
                    current_id=self.state.current_id
                ),
                error=True,
            )
            return
        if not self.confirm(
            _(
                "Close the sale? A closed sale refuses every further bid and change; its journal "
                "is sealed and the results are final."
            )
        ):
            return

        def closed(sealed: Sealed) -> None:
            if not sealed.answer.ok:
                answer = sealed.answer
                self.console.set_notice(
                    _("Refused ({what}): {why}").format(
                        what=_("Close sale"), why=refusal(answer.reason, answer.message)
                    ),
                    error=True,
                )
                return
            self.state.head = sealed.head
            self.show_seal()

        self.bridge.run(
            CoreThread.close_sale,
            closed,
            lambda exc: self.console.set_notice(_("Close sale: {exc}").format(exc=exc), error=True),
        )

    def show_seal(self) -> None:
        sale = str(self.state.sale.get("id") or "")

        def show(head: str) -> None:
            self.state.head = head
            self._open_dialog(SealDialog(sale, head, self), lambda _d: None)

        self.bridge.run(CoreThread.journal_head, show)

    def compose_message(self) -> None:
        if self.status == "closed":
            self.console.set_notice(_("The sale is closed."), error=True)
            return
        paddle = self.console.paddle.text().strip()  # typed first: a message to that bidder
        self.console.paddle.clear()
        self._open_dialog(
            MessageDialog(self.state.bidders, paddle, self),
            lambda d: self._op(_("Message"), lambda core: core.message(d.command)),
        )

    def end_session(self) -> None:
        sessions = self.state.sale.get("sessions") or []
        index = self.state.sale.get("session")
        upcoming = (
            sessions[index + 1] if isinstance(index, int) and index + 1 < len(sessions) else {}
        )
        self._open_dialog(
            EndSessionDialog(str(upcoming.get("starts") or ""), self),
            lambda d: self._op(_("End session"), lambda core: core.end_session(d.command)),
        )

    def start_session(self) -> None:
        self._op(_("Start session"), CoreThread.start_session)

    def edit_lot(self, lot_id: str) -> None:
        lot = self.state.lots.get(lot_id)
        if lot is None:
            return
        self._open_dialog(
            LotDialog(lot, self.state.currency, live=self.status != "draft", parent=self),
            lambda d: self._op(
                _("Lot {lot_id}").format(lot_id=lot_id), lambda core: core.edit_lot(d.command)
            ),
        )

    def add_lot(self) -> None:
        self._open_dialog(
            LotDialog(
                None,
                self.state.currency,
                live=self.status != "draft",
                existing=list(self.state.lots),
                parent=self,
            ),
            lambda d: self._op(_("Add lot"), lambda core: core.add_lot(d.command)),
        )

    def reoffer(self, lot_id: str) -> None:
        lot = self.state.lots.get(lot_id)
        try:
            reoffer_command(lot)  # refuses a lot that is not passed before asking anything
            reason = _("re-offered at the end of the sale")
            if self.console.ask_text is not None:
                asked = self.console.ask_text(
                    _("Re-offer lot {lot_id} — reason").format(lot_id=lot_id), reason
                )
                if asked is None:
                    return
                reason = asked
            cmd = reoffer_command(lot, reason)
        except FormError as exc:
            self.console.set_notice("; ".join(exc.messages), error=True)
            return
        self._op(
            _("Re-offer lot {lot_id}").format(lot_id=lot_id),
            lambda core: core.reoffer(str(cmd["lot"]), str(cmd.get("reason") or "")),
        )

    def save_rules(self, settings: dict[str, Any]) -> None:
        self._op(
            _("Sale rules"),
            lambda core: core.configure(settings),
            on_refused=self.rules.errors.setText,
        )

    def book_phone(self, command: dict[str, Any]) -> None:
        self._op(
            _("Phone booking"),
            lambda core: core.book_phone(command),
            on_ok=lambda _a: self.phones.booked(),
            on_refused=self.phones.errors.setText,
        )

    def cancel_phone(self, booking: str) -> None:
        if self.confirm(_("Cancel phone booking {booking}?").format(booking=booking)):
            self._op(_("Cancel booking"), lambda core: core.cancel_phone(booking))

    def resolve_subject_to(self, lot_id: str, accept: bool) -> None:
        verdict = "accepts" if accept else "declines"
        question = (
            _("The vendor accepts lot {lot_id}? This is final.")
            if accept
            else _("The vendor declines lot {lot_id}? This is final.")
        )
        if not self.confirm(question.format(lot_id=lot_id)):
            return
        what = _("Lot {lot_id}: vendor accepts") if accept else _("Lot {lot_id}: vendor declines")
        self._op(
            what.format(lot_id=lot_id),
            lambda core: core.resolve_subject_to(lot_id, accept, f"vendor {verdict}"),
            on_refused=self.subject_to.errors.setText,
        )

    # -- sales ----------------------------------------------------------------------------

    def show_sales(self) -> None:
        """The sale picker over the running sale."""
        shelf = self.shelf
        if shelf is None:
            self._status_message(_("No sale store: start the app with a data folder."))
            return
        picker = SalePicker(self.info.sale if self.info else None, self)
        picker.confirm = self.confirm
        picker.open_sale.connect(lambda sale: self._pick(picker, sale))

        def reset_running() -> None:
            from hub.backend.sales import reset_demo

            self.open_sale("demo", before=lambda: reset_demo(shelf.data_dir))

        self.picker = picker
        self.picker_desk = PickerDesk(picker, shelf, self.bridge.deliver, reset_running)
        named(picker).open()

    def _pick(self, picker: SalePicker, sale: str) -> None:
        if self.info is not None and sale == self.info.sale:
            picker.accept()
            return
        if self.state.live() and not self.confirm(
            _("Lot {current_id} is on the block. Leave this sale and open {sale}?").format(
                current_id=self.state.current_id, sale=sale
            )
        ):
            return
        picker.accept()
        self.open_sale(sale)

    def open_sale(self, sale: str, *, before: Callable[[], object] | None = None) -> None:
        """Restart the core on `sale` (off the UI thread); the window redraws when it runs."""
        host = self.host
        if host is None:
            self._status_message(_("This window runs one sale only."))
            return
        self.bridge.detach()
        self.sale_title.setText(_("Opening sale {sale}…").format(sale=sale))
        self.hub_address.setText(_("starting…"))

        def opened(info: CoreInfo) -> None:
            if host.core is not None:
                self.bridge.attach(host.core)
            self.state = ConsoleState()
            self.show_core(info)
            self._status_message(_("Sale {sale} opened.").format(sale=info.sale))
            self.sale_opened.emit(info)

        def failed(exc: BaseException) -> None:
            if host.core is not None:
                self.bridge.attach(host.core)
                self.reload()
            self.sale_title.setText(str(self.state.sale.get("title") or ""))
            if self.info is not None:
                self.show_address(self.info)
            message = _("Sale {sale} did not open: {exc}").format(sale=sale, exc=exc)
            self.console.set_notice(message, error=True)
            self._status_message(message)

        self.bridge.deliver(host.switch(sale, before=before), opened, failed)

    # -- Qt overrides ---------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        central = self.centralWidget()
        if self.help.isVisible() and central is not None:
            self.help.setGeometry(central.rect())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.bridge.detach()
        super().closeEvent(event)
