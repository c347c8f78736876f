"""Gavel settings tab: choose the gavel source, when a strike hammers, test mode, and a
"strike the gavel now" detector.

The swap itself runs on the core loop (`CoreThread.set_gavel`); this tab only builds the spec,
shows the status the core reports, and remembers the last choice. The sources it offers and
the spec grammar come from the gavel backend registry (`hardware.registry`), so a backend
registered there shows up here. The decisions are plain functions (`build_spec`, `parse_spec`,
`light_for`, `describe_outcome`, `load_choice`, `save_choice`) so they are tested without Qt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _
from app.settings import AppSettings
from app.ui.widgets import COLORS, plain
from hardware import registry
from hardware.backends import MODES as MODE_NAMES
from hardware.ports import PortInfo
from hardware.ports import list_ports as _hardware_list_ports
from hub.gavel import GavelStatus

log = logging.getLogger("auctionmen.ui")

_MODE_TEXT = {
    "frame": N_("DIY gavel (framed protocol)"),
    "byte": N_("Simple device: any byte strikes"),
    "line": N_("Simple device: any line strikes"),
}
MODES = tuple((m, _MODE_TEXT.get(m, m)) for m in MODE_NAMES)
# "serial" is a listed port, "other" a typed port or URL (both the serial backend); every other
# kind is a registered backend's name.
OUTCOMES = {
    "hammered": N_("hammered the lot"),
    "test_mode": N_("test mode: nothing hammered"),
    "no_bid": N_("not armed: the lot has no bid"),
    "needs_fair_warning": N_("not armed: call fair warning first"),
    "lot_not_live": N_("not armed: no live lot"),
    "gavel_stuck": N_("ignored: the gavel is stuck"),
}


def list_ports() -> list[PortInfo]:
    """Serial ports (tests replace this); never raises."""
    try:
        return _hardware_list_ports()
    except Exception as exc:  # a broken udev or driver must not break the tab
        log.warning("cannot list serial ports: %s", exc)
        return []


# ---------------------------------------------------------------------- plain functions


@dataclass(frozen=True, slots=True)
class GavelChoice:
    kind: str = "none"  # one of KINDS
    port: str = ""  # serial/other: device path or pyserial URL
    mode: str = "frame"  # serial/other: frame | byte | line
    key: str = "F12"  # keyboard pedal key
    arm_on: str = "bid"  # bid | fair_warning
    device: str = ""  # the target of any other backend with one (hid: VID:PID)

    @property
    def spec(self) -> str:
        return build_spec(self.kind, self.port, self.mode, self.key, self.device)


def build_spec(
    kind: str, port: str = "", mode: str = "frame", key: str = "F12", device: str = ""
) -> str:
    """The `hardware.open_source` spec for a choice, checked by the backend registry.
    Raises ValueError when incomplete or malformed."""
    if kind in ("serial", "other"):
        port = port.strip()
        if not port:
            raise ValueError(_("choose a port (or type its path or URL)"))
        if "," in port:
            raise ValueError(_("a port name cannot contain a comma"))
        spec = registry.GavelSpec("serial", port, {} if mode == "frame" else {"mode": mode})
    elif kind == "keyboard":
        key = key.strip()
        if not key or "," in key or QKeySequence(key).isEmpty():  # Qt must know the key
            raise ValueError(_("{key!r} is not a key (try F12 or F13)").format(key=key))
        spec = registry.GavelSpec("keyboard", key)
    else:
        backend = registry.get(kind)  # ValueError for an unknown kind
        device = device.strip()
        if "," in device:
            raise ValueError(
                _("a {target} cannot contain a comma").format(target=backend.target or "target")
            )
        spec = registry.GavelSpec(kind, device)
    return registry.parse_spec(spec.text).text


def parse_spec(spec: str) -> GavelChoice:
    """The inverse of `build_spec` (preselects the tab's controls). A spec the registry refuses
    comes back as typed text under "other", so the person sees what was there."""
    try:
        parsed = registry.parse_spec(spec)
    except ValueError:
        return GavelChoice("other", port=(spec or "").split(",")[0].strip())
    if parsed.backend == "serial":
        return GavelChoice(
            "other" if "://" in parsed.target else "serial",
            port=parsed.target,
            mode=parsed.option("mode", "frame"),
        )
    if parsed.backend == "keyboard":
        return GavelChoice("keyboard", key=parsed.target)
    if registry.get(parsed.backend).target:
        return GavelChoice(parsed.backend, device=parsed.target)
    return GavelChoice(parsed.backend)


def light_for(status: GavelStatus) -> tuple[str, str]:
    """(level, text) of the status light: ok | warn | bad | off."""
    if not status.configured:
        return "off", _("no gavel: use the Hammer button (H)")
    suffix = " · " + _("TEST MODE (strikes nothing)") if status.test_mode else ""
    if status.stuck:
        text = _("stuck: {state}").format(state=status.text or _("switch held"))
        return "bad", f"{text}{suffix}"
    if status.connected:
        return "ok", f"{_('connected')}{suffix}"
    return "warn", f"{status.text or _('disconnected')}{suffix}"


def describe_outcome(decision: str | None) -> str:
    return _(OUTCOMES.get(decision or "", (decision or "").replace("_", " ")))


def load_choice(data_dir: Path) -> GavelChoice | None:
    """The last applied choice, or None when there is none (first run)."""
    settings = AppSettings.load(data_dir)
    if not settings.gavel:
        return None
    choice = parse_spec(settings.gavel)
    return GavelChoice(
        choice.kind,
        choice.port,
        choice.mode,
        choice.key if choice.kind == "keyboard" else settings.pedal_key,
        settings.arm_on,
        choice.device,
    )


def save_choice(data_dir: Path, choice: GavelChoice) -> None:
    """The source, its arming and the pedal key, in the app's settings file."""
    settings = AppSettings.load(data_dir)
    settings.gavel = choice.spec
    settings.arm_on = choice.arm_on
    if choice.kind == "keyboard":
        settings.pedal_key = choice.key
    settings.save(data_dir)


# ---------------------------------------------------------------------- the tab


def detector_title(configured: bool) -> str:
    """The detector's call to action: only a configured gavel can be struck and heard."""
    if configured:
        return _("Strike the gavel now")
    return _("No gavel configured: choose one and press Apply, then strike it here")


class GavelSettings(QWidget):
    """The "Gavel" tab.

    Signals:
        pedal_changed(str): the keyboard pedal's key after Apply ("" = no keyboard pedal).
    """

    pedal_changed = Signal(str)

    def __init__(self, bridge: Any, ports: Callable[[], list[PortInfo]] | None = None) -> None:
        super().__init__()
        self.setObjectName("gavelSettings")
        self.bridge = bridge
        self._ports = ports
        self.data_dir: Path | None = None
        self.status: GavelStatus = GavelStatus.none()
        self.strikes = 0
        self._last_strike_at: float | None = None

        # -- source
        self.sources = QListWidget()
        self.sources.setObjectName("gavelSources")
        self.sources.setAccessibleName(_("Gavel source"))
        self.refresh = QPushButton(_("Refresh ports"))
        self.refresh.setObjectName("btn_refresh_ports")
        self.other_port = QLineEdit()
        self.other_port.setObjectName("gavelOtherPort")
        self.other_port.setPlaceholderText(_("/dev/serial/by-id/…, COM7 or socket://host:port"))
        self.mode = QComboBox()
        self.mode.setObjectName("gavelMode")
        for value, text in ((m, _(t)) for m, t in MODES):
            self.mode.addItem(text, value)
        self.pedal_key = QLineEdit(_("F12"))
        self.pedal_key.setObjectName("gavelPedalKey")
        self.pedal_key.setMaxLength(30)
        self.device = QLineEdit()  # the target of another backend (hid: VID:PID)
        self.device.setObjectName("gavelDevice")
        self.device.setMaxLength(100)
        self.about = plain("", "gavelSourceAbout", wrap=True)
        source_box = QGroupBox(_("Gavel source"))
        sl = QVBoxLayout(source_box)
        sl.addWidget(self.sources, 1)
        sl.addWidget(self.about)
        form = QFormLayout()
        for text, field in (
            (_("Other port or URL"), self.other_port),
            (_("Device type"), self.mode),
            (_("Pedal key"), self.pedal_key),
            (_("Device id"), self.device),
        ):
            label = plain(text)  # never QFormLayout's own (rich-text capable) labels
            label.setBuddy(field)
            form.addRow(label, field)
        sl.addLayout(form)
        sl.addWidget(self.refresh, 0, Qt.AlignmentFlag.AlignLeft)

        # -- arming and test mode
        self.arm_bid = QRadioButton(_("when the lot is open with a bid (or in fair warning)"))
        self.arm_bid.setObjectName("armOnBid")
        self.arm_fw = QRadioButton(_("only in fair warning"))
        self.arm_fw.setObjectName("armOnFairWarning")
        self.arm_bid.setChecked(True)
        self._arm_group = QButtonGroup(self)
        self._arm_group.addButton(self.arm_bid)
        self._arm_group.addButton(self.arm_fw)
        self.test_mode = QCheckBox(_("Test mode (strikes are shown, nothing is hammered)"))
        self.test_mode.setObjectName("gavelTestMode")
        arm_box = QGroupBox(_("A strike hammers"))
        al = QVBoxLayout(arm_box)
        al.addWidget(self.arm_bid)
        al.addWidget(self.arm_fw)
        al.addWidget(self.test_mode)

        self.apply = QPushButton(_("Apply"))
        self.apply.setObjectName("btn_apply_gavel")
        self.error = plain("", "gavelSettingsError", wrap=True)
        self.error.setStyleSheet(f"color: {COLORS['bad']}; font-weight: 600;")
        self.dot = plain("●", "gavelSettingsDot")
        self.status_label = plain("", "gavelSettingsStatus", wrap=True)
        status_row = QHBoxLayout()
        status_row.addWidget(self.dot)
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.apply)

        # -- the detector
        self.detector = QFrame()
        self.detector.setObjectName("strikeDetector")
        self.detector_title = plain(detector_title(False), "detectorTitle", wrap=True)
        self.detector_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detector_count = plain(_("No strike yet"), "detectorCount")
        self.detector_count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detector_last = plain("", "detectorLast", wrap=True)
        self.detector_last.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detector_reset = QPushButton(_("Reset count"))
        self.detector_reset.setObjectName("btn_detector_reset")
        dl = QVBoxLayout(self.detector)
        dl.addWidget(self.detector_title)
        dl.addWidget(self.detector_count)
        dl.addWidget(self.detector_last)
        dl.addWidget(self.detector_reset, 0, Qt.AlignmentFlag.AlignHCenter)
        self.detector.setMinimumHeight(150)
        self._unlit = QTimer(self)
        self._unlit.setSingleShot(True)
        self._unlit.setInterval(1200)
        self._unlit.timeout.connect(lambda: self._light_detector(False))
        self._light_detector(False)

        right = QVBoxLayout()
        right.addWidget(arm_box)
        right.addWidget(self.detector, 1)
        top = QHBoxLayout()
        top.addWidget(source_box, 3)
        top.addLayout(right, 2)
        col = QVBoxLayout(self)
        col.addWidget(plain(_("Gavel"), "sectionTitle"))
        col.addLayout(top, 1)
        col.addLayout(status_row)
        col.addWidget(self.error)

        self.refresh.clicked.connect(self.refresh_ports)
        self.sources.currentItemChanged.connect(lambda *_: self._enable_fields())
        self.apply.clicked.connect(self.apply_choice)
        self.test_mode.toggled.connect(self._test_mode_toggled)
        self.detector_reset.clicked.connect(self.reset_detector)
        self.refresh_ports()
        self.on_gavel(self.status)

    # -- sources ---------------------------------------------------------------------------

    def refresh_ports(self) -> None:
        """List the serial ports again (keeping the selection if it is still there)."""
        keep = self._selected()
        ports = (self._ports or list_ports)()
        self.sources.clear()
        for p in ports:
            self._add(p.label, "serial", p.name)
        self._add(_("Other port or URL (type it below)"), "other")
        # Every other registered backend, "none" last.
        for backend in sorted(registry.all_backends(), key=lambda b: b.name == "none"):
            if backend.name == "serial":
                continue
            title = _(backend.title)
            if backend.name == "keyboard":
                text = _("{title} (key {key})").format(
                    title=title, key=self.pedal_key.text().strip() or "F12"
                )
            elif backend.target:
                text = _("{title} (type its {target} below)").format(
                    title=title, target=_(backend.target)
                )
            else:
                text = title
            self._add(text, backend.name)
        if not self.select_source(*keep):
            self.select_source("none")
        self._enable_fields()

    def _add(self, text: str, kind: str, port: str = "") -> None:
        row = QListWidgetItem(text)  # item views paint plain text
        row.setData(Qt.ItemDataRole.UserRole, (kind, port))
        self.sources.addItem(row)

    def _selected(self) -> tuple[str, str]:
        row = self.sources.currentItem()
        if row is None:
            return "none", ""
        kind, port = row.data(Qt.ItemDataRole.UserRole)
        return str(kind), str(port)

    def select_source(self, kind: str, port: str = "") -> bool:
        """Select a row: a listed serial port by device name, or a kind. False if absent."""
        for i in range(self.sources.count()):
            k, p = self.sources.item(i).data(Qt.ItemDataRole.UserRole)
            if k == kind and (kind != "serial" or p == port):
                self.sources.setCurrentRow(i)
                return True
        return False

    def _enable_fields(self) -> None:
        kind, _port = self._selected()
        backend = registry.get("serial" if kind == "other" else kind)
        self.other_port.setEnabled(kind == "other")
        self.mode.setEnabled(kind in ("serial", "other"))
        self.pedal_key.setEnabled(kind == "keyboard")
        self.device.setEnabled(kind not in ("serial", "other", "keyboard") and bool(backend.target))
        self.device.setPlaceholderText(
            backend.example.partition(":")[2].split("[")[0] if self.device.isEnabled() else ""
        )
        self.about.setText(_(backend.description))

    def choice(self) -> GavelChoice:
        kind, port = self._selected()
        if kind == "other":
            port = self.other_port.text()
        return GavelChoice(
            kind,
            port.strip(),
            str(self.mode.currentData() or "frame"),
            self.pedal_key.text().strip() or "F12",
            "fair_warning" if self.arm_fw.isChecked() else "bid",
            self.device.text().strip(),
        )

    def show_choice(self, choice: GavelChoice) -> None:
        """Preselect the controls (a serial port that is not plugged in goes to "other")."""
        self.pedal_key.setText(choice.key)
        self.device.setText(choice.device)
        self.refresh_ports()
        if choice.kind == "serial" and not self.select_source("serial", choice.port):
            self.select_source("other")
            self.other_port.setText(choice.port)
        elif choice.kind != "serial":
            self.select_source(choice.kind)
            if choice.kind == "other":
                self.other_port.setText(choice.port)
        index = self.mode.findData(choice.mode)
        self.mode.setCurrentIndex(max(index, 0))
        (self.arm_fw if choice.arm_on == "fair_warning" else self.arm_bid).setChecked(True)
        self._enable_fields()

    # -- wiring ----------------------------------------------------------------------------

    def show_core(self, info: Any) -> None:
        """The core started: remember where settings live, show the gavel it runs.

        When the core was started without a gavel and a choice was applied before, that choice
        is applied again (so the last gavel comes back after a restart).
        """
        self.data_dir = Path(info.data_dir)
        status: GavelStatus = info.gavel
        saved = load_choice(self.data_dir)
        if status.configured:
            current = parse_spec(status.spec)
            self.show_choice(
                GavelChoice(
                    current.kind,
                    current.port,
                    current.mode,
                    current.key if current.kind == "keyboard" else (saved.key if saved else "F12"),
                    saved.arm_on if saved else "bid",
                    current.device,
                )
            )
        elif saved is not None:
            self.show_choice(saved)
            if saved.kind != "none":
                self.apply_choice()
        self.on_gavel(status)

    def apply_choice(self) -> None:
        """Apply: swap the gavel on the core loop, remember the choice."""
        self.error.setText("")
        choice = self.choice()
        try:
            spec = choice.spec
        except ValueError as exc:
            self.error.setText(_("Not applied: {exc}.").format(exc=exc))
            return
        core = getattr(self.bridge, "core", None)
        if core is None:
            self.error.setText(_("Not applied: the core is not running."))
            return
        try:
            future = core.set_gavel(
                spec, test_mode=self.test_mode.isChecked(), arm_on=choice.arm_on
            )
        except RuntimeError as exc:
            self.error.setText(_("Not applied: {exc}.").format(exc=exc))
            return
        self.apply.setEnabled(False)
        self.status_label.setText(_("opening {spec}…").format(spec=spec))
        self.bridge.deliver(
            future, lambda status: self._applied(choice, status), self._apply_failed
        )

    def _applied(self, choice: GavelChoice, status: GavelStatus) -> None:
        # The status itself arrives through `on_gavel` (queued before this answer): showing
        # `status` here could overwrite a newer one.
        self.apply.setEnabled(True)
        if self.data_dir is not None:
            try:
                save_choice(self.data_dir, choice)
            except OSError as exc:
                self.error.setText(_("Applied, but not remembered: {exc}").format(exc=exc))
        self.pedal_changed.emit(choice.key if choice.kind == "keyboard" else "")

    def _apply_failed(self, exc: BaseException) -> None:
        self.apply.setEnabled(True)
        self.error.setText(_("Not applied: {exc}").format(exc=exc))

    def _test_mode_toggled(self, on: bool) -> None:
        core = getattr(self.bridge, "core", None)
        if core is None or not self.status.configured:
            return  # applied with the next Apply
        try:
            future = core.set_gavel_test_mode(on)
        except RuntimeError as exc:
            self.error.setText(str(exc))
            return
        self.bridge.deliver(
            future,
            lambda _status: None,  # shown through `on_gavel`
            lambda exc: self.error.setText(_("Test mode not changed: {exc}").format(exc=exc)),
        )

    # -- status and the detector -------------------------------------------------------------

    def on_gavel(self, status: GavelStatus) -> None:
        """Every gavel status from the core (connected to `CoreBridge.gavel_changed`)."""
        self.status = status
        level, text = light_for(status)
        self.dot.setStyleSheet(f"color: {COLORS.get(level, COLORS['off'])}; font-size: 18px;")
        self.status_label.setText(f"{status.spec}: {text}" if status.configured else text)
        self.detector_title.setText(detector_title(status.configured))
        self.detector_reset.setEnabled(status.configured)
        if status.configured and status.test_mode != self.test_mode.isChecked():
            self.test_mode.blockSignals(True)
            self.test_mode.setChecked(status.test_mode)
            self.test_mode.blockSignals(False)
        strike_at = status.last_strike_at
        if strike_at is not None and strike_at != self._last_strike_at:
            self._last_strike_at = strike_at
            self.strikes += 1
            self.detector_count.setText(
                _("1 strike detected")
                if self.strikes == 1
                else _("{strikes} strikes detected").format(strikes=self.strikes)
            )
            clock = time.strftime("%H:%M:%S", time.localtime(strike_at))
            self.detector_last.setText(
                _("Last strike {clock}: {describe_outcome}").format(
                    clock=clock, describe_outcome=describe_outcome(status.last_decision)
                )
            )
            self._light_detector(True)
            self._unlit.start()

    def reset_detector(self) -> None:
        self.strikes = 0
        self.detector_count.setText(_("No strike yet"))
        self.detector_last.setText("")
        self._light_detector(False)

    def _light_detector(self, lit: bool) -> None:
        self.detector.setProperty("lit", lit)
        self.detector.setStyleSheet(
            "QFrame#strikeDetector { background: #16a34a; border-radius: 8px; }"
            "QFrame#strikeDetector QLabel { color: white; font-size: 16px; font-weight: 700; }"
            if lit
            else "QFrame#strikeDetector { background: white; border: 2px dashed #9ca3af;"
            " border-radius: 8px; }"
            "QFrame#strikeDetector QLabel { color: #374151; font-size: 15px; }"
        )
