"""The first-run assistant: the data folder, the house, the room's network, the gavel and the
first staff account (issue 16).

Shown once, on the first start of a data folder (the `first_run` marker in the app's
settings), never under --demo or --no-dialogs; the ⚙ menu beside the tabs opens it again.
Every page can be skipped and everything can be changed later. What it saves goes where the
rest of Auctionmen reads it, so `auctionmen serve` makes the same choices:

- the data folder and the network (host, port, public address) and the gavel: the user's
  stage config file (`app.settings.user_config_path()`), which the app and `serve` read;
- the house's name, address and currency: `house.json` (`hub.backend.house`);
- the gavel also in the app's settings (the Gavel tab applies it at start);
- the first staff account: `staff.db` (`hub.backend.staff`).

The checks are plain functions (tested without Qt): `check_data_dir`, `check_house`,
`check_listen` (it binds a real listener on the chosen address and connects to it),
`public_url_for`.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.i18n import _
from app.settings import AppSettings, known_currency, write_stage_config
from app.ui.widgets import plain
from hardware.ports import PortInfo
from hub.backend import house
from hub.backend.staff import StaffError, StaffStore

log = logging.getLogger("auctionmen.ui")

WILDCARDS = ("0.0.0.0", "::")
DEFAULT_PORT = 8765
NAME_LIMIT = 200  # the house profile's own limit
CURRENCIES = ("EUR", "GBP", "CHF", "USD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF")
FIRST_ROLES = ("admin", "auctioneer")  # the first account can do everything and add others
WIDTH, HEIGHT = 760, 600  # fits a 1366×768 laptop at 125 % (1093×614 logical pixels)


# ---------------------------------------------------------------------- plain functions


@dataclass(frozen=True, slots=True)
class Address:
    interface: str
    ip: str
    loopback: bool

    @property
    def label(self) -> str:
        if self.loopback:
            return _("{ip} ({interface}: this machine only)").format(
                ip=self.ip, interface=self.interface
            )
        return f"{self.ip} ({self.interface})"


def machine_addresses() -> list[Address]:
    """This machine's addresses: the LAN ones (IPv4 first), then loopback. IPv6 link-local
    addresses are left out: a phone cannot use them in a link."""
    import ifaddr

    found: dict[str, Address] = {}
    try:
        adapters = ifaddr.get_adapters()
    except OSError as exc:  # no permission, an odd platform: the loopback still works
        log.warning("cannot list the network interfaces: %s", exc)
        adapters = []
    for adapter in adapters:
        for ip in adapter.ips:
            text = ip.ip[0] if isinstance(ip.ip, tuple) else str(ip.ip)
            try:
                parsed = ipaddress.ip_address(text)
            except ValueError:
                continue
            if parsed.is_link_local or text in found:
                continue
            found[text] = Address(str(adapter.nice_name), text, parsed.is_loopback)
    if "127.0.0.1" not in found:
        found["127.0.0.1"] = Address("lo", "127.0.0.1", True)
    return sorted(
        found.values(), key=lambda a: (a.loopback, ":" in a.ip, ipaddress.ip_address(a.ip))
    )


def check_data_dir(text: str) -> Path:
    """A folder Auctionmen can keep its files in (made if missing). Raises ValueError."""
    text = text.strip()
    if not text:
        raise ValueError(_("Choose a folder."))
    if len(text) > 1000 or "\x00" in text:
        raise ValueError(_("That is not a folder path."))
    folder = Path(text).expanduser()
    if not folder.is_absolute():
        raise ValueError(_("Give the whole path, starting at the top (e.g. /home/…)."))
    if folder.exists() and not folder.is_dir():
        raise ValueError(_("{path} is a file, not a folder.").format(path=folder))
    probe = folder / ".auctionmen-write-test"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise ValueError(
            _("Cannot write in {path}: {error}").format(path=folder, error=exc.strerror or exc)
        ) from None
    return folder


def check_house(name: str, currency: str) -> tuple[str, str]:
    """The house's name and currency, checked as the house profile checks them."""
    name = name.strip()
    if not name:
        raise ValueError(_("The house needs a name."))
    if len(name) > NAME_LIMIT:
        raise ValueError(_("The name is longer than {limit} characters.").format(limit=NAME_LIMIT))
    code = currency.strip().upper()
    if not known_currency(code):
        raise ValueError(
            _("{code} is not a currency code (ISO 4217, like EUR or CHF).").format(
                code=currency.strip()[:20]
            )
        )
    return name, code


def save_house(data_dir: Path, name: str, currency: str, address: str, country: str) -> Any:
    """Merge the page's fields into house.json (the rest of an existing profile is kept).
    Raises ValueError (house.HouseError) with the profile's own message."""
    name, currency = check_house(name, currency)
    country = country.strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise ValueError(_("The country is a two-letter code, like DE, FR or GB."))
    if not address.strip():
        raise ValueError(_("The address is needed on invoices."))
    current = house.load(data_dir).to_json() if house.path(data_dir).is_file() else {}
    fields = {"name": name, "currency": currency, "address": address, "country": country}
    return house.save(data_dir, {**current, **fields})


def house_defaults(data_dir: Path | None) -> tuple[str, str] | None:
    """(name, currency) of the house's own profile, the defaults of a new sale; None without
    one (the demo house is no choice) or when it cannot be read."""
    if data_dir is None or not house.path(Path(data_dir)).is_file():
        return None
    try:
        profile = house.load(Path(data_dir))
    except house.HouseError:
        return None
    return profile.name, profile.currency


def is_wildcard(host: str) -> bool:
    return host in WILDCARDS


def check_listen(
    host: str,
    port: int,
    addresses: list[Address] | None = None,
    timeout: float = 3.0,
) -> str | None:
    """Whether the stage could listen on `host`:`port`: binds a test listener there, connects
    to it and exchanges a byte. None when it works, else what is wrong, for people."""
    try:
        parsed = ipaddress.ip_address(host.strip())
    except ValueError:
        return _("{host} is not an IP address (like 192.168.1.20).").format(host=host[:60])
    host = str(parsed)
    if not 1 <= port <= 65535:
        return _("The port must be a number from 1 to 65535.")
    known = {a.ip for a in (addresses if addresses is not None else machine_addresses())}
    if not is_wildcard(host) and host not in known:
        return _("{host} is not an address of this machine.").format(host=host)
    family = socket.AF_INET6 if parsed.version == 6 else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # as the stage's server does; never on Windows (it would share)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind((host, port))
        except OSError as exc:
            return _bind_problem(exc, host, port)
        server.listen(1)
        server.settimeout(timeout)
        target = ("::1" if parsed.version == 6 else "127.0.0.1") if is_wildcard(host) else host
        try:
            with socket.create_connection((target, port), timeout=timeout) as client:
                accepted, _peer = server.accept()
                with accepted:
                    accepted.sendall(b"!")
                    if client.recv(1) != b"!":
                        return _("Something on this machine answered in its place.")
        except OSError as exc:
            return _("It listens but cannot be reached ({error}): a firewall?").format(
                error=exc.strerror or exc
            )
    finally:
        server.close()
    return None


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return _("Port {port} on {host} is in use by another program: choose another.").format(
            port=port, host=host
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return _("{host} is not an address of this machine.").format(host=host)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _("Port {port} needs administrator rights: choose 1024 or above.").format(port=port)
    return _("Cannot listen on {host}:{port}: {error}").format(
        host=host, port=port, error=exc.strerror or exc
    )


def public_url_for(host: str, port: int, tls: str, addresses: list[Address]) -> str:
    """The address bidders' phones use: the chosen one, or this machine's first LAN address
    when listening on every interface."""
    if is_wildcard(host):
        lan = [a for a in addresses if not a.loopback and ":" not in a.ip]
        host = lan[0].ip if lan else "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"{'http' if tls == 'off' else 'https'}://{shown}:{port}"


def gavel_choices(
    serial: Callable[[], list[PortInfo]], hid: Callable[[], list[PortInfo]]
) -> list[tuple[str, str]]:
    """(label, spec) of every gavel this machine could use now, "no gavel" first."""
    found = [(_("No gavel (the Hammer button)"), "none")]
    for port in [*serial(), *hid()]:
        found.append((port.label, port.spec))
    return found


def mark_done(data_dir: Path) -> None:
    """The assistant was finished or skipped: it is not shown again for this data folder."""
    settings = AppSettings.load(data_dir)
    settings.first_run = "done"
    try:
        settings.save(data_dir)
    except OSError as exc:
        log.warning("cannot save the app settings: %s", exc)


def should_show(data_dir: Path, *, demo: bool, no_dialogs: bool, temp: bool) -> bool:
    """On the first start of a data folder only; never for the demo or tests."""
    if demo or no_dialogs or temp:
        return False
    return AppSettings.load(data_dir).first_run != "done"


# ---------------------------------------------------------------------- the gavel test


class GavelProbe(QObject):
    """Opens one gavel source on its own asyncio loop (a thread) and reports what it hears,
    as a Qt signal on the UI thread: `heard(kind, text)`, kind connected | disconnected |
    strike | stuck | error."""

    heard = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._source: Any = None

    @property
    def running(self) -> bool:
        return self._source is not None

    def start(self, spec: str) -> None:
        from hardware import open_source

        self.stop()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="gavel-test", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread

        async def opened() -> Any:
            return open_source(spec, loop, self._on_event)

        try:
            self._source = asyncio.run_coroutine_threadsafe(opened(), loop).result(10)
        except Exception as exc:  # a malformed spec, hidapi missing: said on the page
            self.stop()
            self.heard.emit("error", str(exc))

    def _on_event(self, event: Any) -> None:
        from hardware.events import Connected, Disconnected, Strike, Stuck

        if isinstance(event, Strike):
            self.heard.emit("strike", getattr(event, "source", "") or "")
        elif isinstance(event, Connected):
            self.heard.emit("connected", "")
        elif isinstance(event, Disconnected):
            self.heard.emit("disconnected", str(getattr(event, "reason", "") or ""))
        elif isinstance(event, Stuck):
            self.heard.emit("stuck", "")

    def stop(self) -> None:
        loop, source = self._loop, self._source
        self._source = None
        if loop is None:
            return
        if source is not None:
            try:
                asyncio.run_coroutine_threadsafe(source.aclose(), loop).result(5)
            except Exception as exc:
                log.warning("the gavel test did not close cleanly: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        loop.close()
        self._loop = self._thread = None


# ---------------------------------------------------------------------- the pages


def _error_label(name: str) -> QLabel:
    label = plain("", name, wrap=True)
    label.setStyleSheet("color: #b91c1c;")
    label.setAccessibleName(_("Problem"))
    return label


def _ok_label(name: str) -> QLabel:
    label = plain("", name, wrap=True)
    label.setStyleSheet("color: #15803d;")
    return label


def _no_widening(combo: QComboBox) -> None:
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(24)


class _Page(QWizardPage):
    """A page that saves on Next (or says why not) and can be skipped."""

    def __init__(self, title: str, intro: str, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setTitle(title)
        self.setSubTitle(intro)
        self.error = _error_label(f"{name}Error")
        self.saved = False

    def assistant(self) -> FirstRunWizard:
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        return wizard

    def validatePage(self) -> bool:
        if self.assistant().skipping:
            return True
        self.error.setText("")
        try:
            self.save()
        except (ValueError, OSError, StaffError) as exc:
            message = exc.message if isinstance(exc, StaffError) else str(exc)
            self.error.setText(message)
            self.error.setAccessibleDescription(message)
            return False
        self.saved = True
        return True

    def save(self) -> None:
        raise NotImplementedError


class DataPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            _("Data folder"),
            _("Where Auctionmen keeps the sales' journals, the staff and the house's files."),
            "firstRunData",
        )
        self.folder = QLineEdit()
        self.folder.setObjectName("dataFolder")
        self.folder.setAccessibleName(_("Data folder"))
        choose = QPushButton(_("Choose…"))
        choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(
            plain(_("Back this folder up after every sale: it is the legal record."), wrap=True)
        )
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        if not self.folder.text():
            self.folder.setText(str(self.assistant().data_dir))

    def _choose(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, _("Data folder"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def save(self) -> None:
        wizard = self.assistant()
        folder = check_data_dir(self.folder.text())
        if folder != wizard.data_dir:
            write_stage_config(wizard.config_path, {"data_dir": str(folder)})
            wizard.data_dir = folder
        wizard.chosen["data_dir"] = folder


class HousePage(_Page):
    def __init__(self) -> None:
        super().__init__(
            _("Your auction house"),
            _("Printed on invoices; the currency is the default of every new sale."),
            "firstRunHouse",
        )
        self.name = QLineEdit()
        self.name.setObjectName("houseName")
        self.name.setMaxLength(NAME_LIMIT + 50)  # a longer name is refused with a reason
        self.currency = QComboBox()
        self.currency.setObjectName("houseCurrency")
        self.currency.setEditable(True)
        self.currency.addItems(CURRENCIES)
        self.country = QLineEdit()
        self.country.setObjectName("houseCountry")
        self.country.setMaxLength(2)
        self.country.setPlaceholderText(_("DE, FR, GB…"))
        self.address = QPlainTextEdit()
        self.address.setObjectName("houseAddress")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(90)
        form = QFormLayout()
        for text, field in (
            (_("Name"), self.name),
            (_("Currency"), self.currency),
            (_("Country"), self.country),
            (_("Address"), self.address),
        ):
            label = plain(text)
            label.setBuddy(field)
            field.setAccessibleName(text)
            form.addRow(label, field)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        data_dir = self.assistant().data_dir
        if self.name.text() or not house.path(data_dir).is_file():
            return
        try:
            profile = house.load(data_dir)
        except house.HouseError as exc:
            self.error.setText(str(exc))
            return
        self.name.setText(profile.name)
        self.currency.setCurrentText(profile.currency)
        self.country.setText(profile.country)
        self.address.setPlainText(profile.address)

    def save(self) -> None:
        wizard = self.assistant()
        profile = save_house(
            wizard.data_dir,
            self.name.text(),
            self.currency.currentText(),
            self.address.toPlainText(),
            self.country.text(),
        )
        wizard.chosen["house"] = profile


class NetworkPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            _("The room's network"),
            _("Choose the network bidders' phones and the clerks' terminals are on."),
            "firstRunNetwork",
        )
        self.addresses: list[Address] = []
        self.host = QComboBox()
        self.host.setObjectName("networkHost")
        self.host.setEditable(True)  # an address may be typed
        self.host.setAccessibleName(_("Address the stage listens on"))
        _no_widening(self.host)
        self.port = QSpinBox()
        self.port.setObjectName("networkPort")
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setAccessibleName(_("Port"))
        self.public = QLineEdit()
        self.public.setObjectName("networkPublicUrl")
        self.public.setReadOnly(True)
        self.public.setAccessibleName(_("Address bidders will use"))
        self.check = QPushButton(_("Check that it listens"))
        self.check.setObjectName("networkCheck")
        self.check.clicked.connect(self.run_check)
        self.result = _ok_label("networkResult")
        form = QFormLayout()
        for text, field in (
            (_("Listen on"), self.host),
            (_("Port"), self.port),
            (_("Bidders will use"), self.public),
        ):
            label = plain(text)
            label.setBuddy(field)
            form.addRow(label, field)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.check, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.host.currentTextChanged.connect(self._show_public)
        self.port.valueChanged.connect(self._show_public)

    def initializePage(self) -> None:
        if self.host.count():
            return
        wizard = self.assistant()
        self.addresses = wizard.addresses()
        self.host.addItem(_("Every network of this machine (0.0.0.0)"), "0.0.0.0")
        for address in self.addresses:
            self.host.addItem(address.label, address.ip)
        lan = [i for i, a in enumerate(self.addresses) if not a.loopback]
        self.host.setCurrentIndex(lan[0] + 1 if lan else 0)
        self._show_public()

    def chosen_host(self) -> str:
        index = self.host.currentIndex()
        if index >= 0 and self.host.itemText(index) == self.host.currentText():
            return str(self.host.itemData(index))
        return self.host.currentText().strip()  # typed

    def _show_public(self) -> None:
        self.result.setText("")
        host = self.chosen_host()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            self.public.setText("")
            return
        tls = self.assistant().tls
        self.public.setText(public_url_for(host, self.port.value(), tls, self.addresses))

    def run_check(self) -> bool:
        self.error.setText("")
        self.result.setText("")
        wizard = self.assistant()
        host, port = self.chosen_host(), self.port.value()
        if wizard.running_port == port:
            self.result.setText(_("The stage listens on port {port} now.").format(port=port))
            return True
        problem = check_listen(host, port, self.addresses)
        if problem is not None:
            self.error.setText(problem)
            return False
        text = _("It listens: {host} port {port} answered.").format(host=host, port=port)
        if ipaddress.ip_address(host).is_loopback:
            text += " " + _("Only this machine can open this address: choose a network for phones.")
        self.result.setText(text)
        return True

    def save(self) -> None:
        if not self.run_check():
            raise ValueError(self.error.text())
        wizard = self.assistant()
        values = {
            "host": self.chosen_host(),
            "port": self.port.value(),
            "public_url": self.public.text() or None,
            "tls": wizard.tls,  # the public address's scheme follows it
        }
        write_stage_config(wizard.config_path, values)
        wizard.chosen.update(values)


class GavelPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            _("The gavel"),
            _("Plug the gavel in, choose it and strike it once to test it."),
            "firstRunGavel",
        )
        self.probe = GavelProbe()
        self.probe.heard.connect(self.on_heard)
        self.ports = QComboBox()
        self.ports.setObjectName("gavelPort")
        self.ports.setAccessibleName(_("Gavel"))
        _no_widening(self.ports)  # a long device path must not widen the window
        refresh = QPushButton(_("Refresh"))
        refresh.clicked.connect(self.refresh)
        self.test = QPushButton(_("Test"))
        self.test.setObjectName("gavelTest")
        self.test.clicked.connect(self.start_test)
        row = QHBoxLayout()
        row.addWidget(self.ports, 1)
        row.addWidget(refresh)
        row.addWidget(self.test)
        self.prompt = plain("", "gavelPrompt", wrap=True)
        self.prompt.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.heard_text = _ok_label("gavelHeard")
        self.strikes = 0
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.prompt)
        layout.addWidget(self.heard_text)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        if not self.ports.count():
            self.refresh()

    def refresh(self) -> None:
        current = self.ports.currentData()
        self.ports.clear()
        for label, spec in self.assistant().gavels():
            self.ports.addItem(label, spec)
        index = self.ports.findData(current)
        self.ports.setCurrentIndex(max(index, 0) if current else min(1, self.ports.count() - 1))

    def spec(self) -> str:
        return str(self.ports.currentData() or "none")

    def start_test(self) -> None:
        self.error.setText("")
        self.heard_text.setText("")
        self.strikes = 0
        spec = self.spec()
        if spec == "none":
            self.prompt.setText(_("No gavel chosen: the Hammer button (H) sells the lot."))
            return
        self.prompt.setText(_("Strike the gavel now."))
        self.probe.start(spec)

    def on_heard(self, kind: str, text: str) -> None:
        if kind == "strike":
            self.strikes += 1
            self.prompt.setText(_("The gavel works."))
            self.heard_text.setText(
                _("Strike {n} received from {source}.").format(n=self.strikes, source=text)
            )
        elif kind == "connected":
            self.heard_text.setText(_("Connected. Strike the gavel now."))
        elif kind == "disconnected":
            self.heard_text.setText(_("Not connected yet: {why}").format(why=text or "…"))
        elif kind == "stuck":
            self.error.setText(_("The gavel seems stuck (held down)."))
        elif kind == "error":
            self.prompt.setText("")
            self.error.setText(_("Cannot open the gavel: {error}").format(error=text))

    def cleanupPage(self) -> None:
        self.probe.stop()

    def save(self) -> None:
        self.probe.stop()
        wizard = self.assistant()
        spec = self.spec()
        settings = AppSettings.load(wizard.data_dir)
        settings.gavel = spec
        settings.save(wizard.data_dir)
        write_stage_config(wizard.config_path, {"gavel": spec})
        wizard.chosen["gavel"] = spec


class StaffPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            _("The first staff account"),
            _(
                "Yours: it may do everything and add the others. Once it exists, terminals "
                "sign in by name and PIN instead of the stage's shared PIN."
            ),
            "firstRunStaff",
        )
        self.name = QLineEdit()
        self.name.setObjectName("staffName")
        self.pin = QLineEdit()
        self.pin.setObjectName("staffPin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        self.again = QLineEdit()
        self.again.setObjectName("staffPinAgain")
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setMaxLength(12)
        self.show_pin = QCheckBox(_("Show the PIN"))
        self.show_pin.toggled.connect(self._show)
        self.exists = plain("", "staffExists", wrap=True)
        form = QFormLayout()
        for text, field in (
            (_("Name"), self.name),
            (_("PIN (4 to 12 digits)"), self.pin),
            (_("PIN again"), self.again),
        ):
            label = plain(text)
            label.setBuddy(field)
            field.setAccessibleName(text)
            form.addRow(label, field)
        form.addRow(QWidget(), self.show_pin)
        layout = QVBoxLayout(self)
        layout.addWidget(self.exists)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def _show(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.pin.setEchoMode(mode)
        self.again.setEchoMode(mode)

    def initializePage(self) -> None:
        count = self.assistant().staff_count()
        self.exists.setText(
            _("{n} staff account(s) exist already: add more in the Staff tab.").format(n=count)
            if count
            else ""
        )

    def save(self) -> None:
        wizard = self.assistant()
        if not self.name.text().strip() and not self.pin.text():
            if wizard.staff_count():
                return  # nothing typed and accounts exist: nothing to do
            raise ValueError(_("Type a name and a PIN, or skip this step."))
        if self.pin.text() != self.again.text():
            raise ValueError(_("The two PINs differ."))
        store = StaffStore(wizard.data_dir / "staff.db")
        try:
            account = store.create(self.name.text(), FIRST_ROLES, pin=self.pin.text())
        finally:
            store.close()
        self.pin.clear()
        self.again.clear()
        wizard.chosen["staff"] = account.id


# ---------------------------------------------------------------------- the assistant


class FirstRunWizard(QWizard):
    """The assistant. `chosen` holds what was saved (the app applies the data folder and the
    network to the stage it starts next); `data_dir` is the folder in use after it."""

    def __init__(
        self,
        data_dir: Path,
        config_path: Path,
        *,
        tls: str = "house",
        running_port: int | None = None,
        addresses: Callable[[], list[Address]] = machine_addresses,
        serial_ports: Callable[[], list[PortInfo]] | None = None,
        hid_devices: Callable[[], list[PortInfo]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRun")
        self.setWindowTitle(_("Welcome to Auctionmen"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.data_dir = Path(data_dir)
        self.config_path = config_path
        self.tls = tls
        self.running_port = running_port  # reopened while the stage runs: its port is taken
        self.addresses = addresses
        self._serial = serial_ports
        self._hid = hid_devices
        self.chosen: dict[str, Any] = {}
        self.skipping = False
        self.gavel_page = GavelPage()
        self.pages: dict[str, _Page] = {
            "data": DataPage(),
            "house": HousePage(),
            "network": NetworkPage(),
            "gavel": self.gavel_page,
            "staff": StaffPage(),
        }
        for page in self.pages.values():
            self.addPage(page)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, _("Skip this step"))
        self.setButtonText(QWizard.WizardButton.NextButton, _("Save and continue"))
        self.setButtonText(QWizard.WizardButton.FinishButton, _("Save and finish"))
        self.setButtonText(QWizard.WizardButton.CancelButton, _("Skip the rest"))
        self.setButtonText(QWizard.WizardButton.BackButton, _("Back"))
        # Qt's own buttons this assistant never shows: no English left for screen readers.
        self.setButtonText(QWizard.WizardButton.CommitButton, _("Save and continue"))
        self.setButtonText(QWizard.WizardButton.HelpButton, "")
        self.customButtonClicked.connect(self._custom)
        self.resize(WIDTH, HEIGHT)

    def gavels(self) -> list[tuple[str, str]]:
        from app.ui.gavel_settings import list_ports
        from hardware.ports import list_hid_devices

        return gavel_choices(self._serial or list_ports, self._hid or list_hid_devices)

    def staff_count(self) -> int:
        if not (self.data_dir / "staff.db").is_file():
            return 0
        try:
            store = StaffStore(self.data_dir / "staff.db")
        except StaffError:
            return 0
        try:
            return len(store.accounts(include_inactive=False))
        finally:
            store.close()

    def _custom(self, which: int) -> None:
        if which == QWizard.WizardButton.CustomButton1.value:
            self.skip()

    def skip(self) -> None:
        """This step's changes are not saved; on to the next (or the end)."""
        self.skipping = True
        try:
            if self.nextId() == -1:
                self.accept()
            else:
                self.next()
        finally:
            self.skipping = False

    def done(self, result: int) -> None:
        self.gavel_page.probe.stop()
        mark_done(self.data_dir)
        super().done(result)
