"""The first-run assistant (issue 16): each page with good and bad input, a real listener for
the network check, a real pty gavel for the gavel test, every page skippable."""

from __future__ import annotations

import socket
import sys
import tomllib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from app.settings import AppSettings
from app.ui import first_run as fr
from hardware.ports import PortInfo
from hub.backend import house
from hub.backend.staff import StaffStore
from hub.config import StageConfig

T = 10_000
LOOPBACK = [fr.Address("lo", "127.0.0.1", True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- plain functions ------------------------------------------------------------------------


def test_check_listen_binds_and_connects_or_says_why():
    assert fr.check_listen("127.0.0.1", free_port(), LOOPBACK) is None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert "in use" in (fr.check_listen("127.0.0.1", port, LOOPBACK) or "")
    # An address this machine does not have: refused before (and by) the bind itself.
    assert "not an address of this machine" in (fr.check_listen("192.0.2.7", 8765, LOOPBACK) or "")
    pretend = [*LOOPBACK, fr.Address("eth9", "192.0.2.7", False)]
    assert "not an address of this machine" in (fr.check_listen("192.0.2.7", 8765, pretend) or "")
    for host in ("stage.local", "", "1.2.3", "x" * 500):
        assert "not an IP address" in (fr.check_listen(host, 8765, LOOPBACK) or ""), host
    for port in (0, 65536, -1):
        assert "1 to 65535" in (fr.check_listen("127.0.0.1", port, LOOPBACK) or "")


def test_the_address_bidders_use_and_this_machines_addresses():
    lan = [*LOOPBACK, fr.Address("eth0", "192.168.1.20", False)]
    assert fr.public_url_for("0.0.0.0", 8765, "house", lan) == "https://192.168.1.20:8765"
    assert fr.public_url_for("192.168.1.20", 80, "off", lan) == "http://192.168.1.20:80"
    assert fr.public_url_for("::1", 9000, "off", lan) == "http://[::1]:9000"
    found = fr.machine_addresses()
    assert "127.0.0.1" in [a.ip for a in found]
    assert found[-1].loopback or not any(a.loopback for a in found[:-1])  # LAN ones first


def test_house_and_folder_checks(tmp_path):
    assert fr.check_house("  Maison Dupont ", "chf") == ("Maison Dupont", "CHF")
    for name, currency, message in (
        ("", "EUR", "needs a name"),
        ("   ", "EUR", "needs a name"),
        ("x" * 201, "EUR", "longer than 200"),
        ("Ok", "XYZ", "not a currency code"),
        ("Ok", "€", "not a currency code"),
        ("Ok", "EURO", "not a currency code"),
    ):
        with pytest.raises(ValueError, match=message):
            fr.check_house(name, currency)
    afile = tmp_path / "afile"
    afile.write_text("x")
    for text, message in (("", "Choose"), ("relative/dir", "whole path"), (str(afile), "a file")):
        with pytest.raises(ValueError, match=message):
            fr.check_data_dir(text)
    assert fr.check_data_dir(str(tmp_path / "new" / "dir")).is_dir()


def test_shown_once_never_for_the_demo_or_tests(tmp_path):
    assert fr.should_show(tmp_path, demo=False, no_dialogs=False, temp=False)
    for flags in ({"demo": True}, {"no_dialogs": True}, {"temp": True}):
        kw = {"demo": False, "no_dialogs": False, "temp": False, **flags}
        assert not fr.should_show(tmp_path, **kw)
    fr.mark_done(tmp_path)
    assert not fr.should_show(tmp_path, demo=False, no_dialogs=False, temp=False)


# -- the assistant ---------------------------------------------------------------------------


@pytest.fixture
def gavel(tmp_path: Path):
    if sys.platform == "win32":
        pytest.skip("a pty gavel needs POSIX")
    from hardware.simulated import SimulatedGavel

    device = SimulatedGavel(link=tmp_path / "gavel")
    device.start_heartbeats(0.05)
    yield device
    device.close()


@pytest.fixture
def wizard(qtbot, tmp_path: Path, gavel):
    port = PortInfo(f"serial:{gavel.port}", gavel.port, "Test gavel", "2341:8036")
    long = PortInfo("serial:/dev/x", "/dev/serial/by-id/" + "usb-Very_Long_Name_" * 12, "x", None)
    wiz = fr.FirstRunWizard(
        tmp_path / "data",
        tmp_path / "config" / "auctionmen.toml",
        tls="off",
        addresses=lambda: LOOPBACK,
        serial_ports=lambda: [port, long],
        hid_devices=list,
    )
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitExposed(wiz)
    yield wiz
    wiz.close()


def _next(wiz: fr.FirstRunWizard) -> None:
    wiz.button(QWizard.WizardButton.NextButton).click()


def _page(wiz: fr.FirstRunWizard) -> str:
    return wiz.currentPage().objectName()


def test_every_page_with_bad_then_good_input(qtbot, wizard, tmp_path, gavel):
    wiz = wizard
    config = tmp_path / "config" / "auctionmen.toml"
    # Data folder: a file is refused; a new folder is made and written to the config file.
    data = wiz.pages["data"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    data.folder.setText(str(afile))
    _next(wiz)
    assert _page(wiz) == "firstRunData"
    assert "a file" in data.error.text()
    chosen = tmp_path / "Auctions"
    data.folder.setText(str(chosen))
    _next(wiz)
    assert _page(wiz) == "firstRunHouse"
    assert wiz.data_dir == chosen
    assert StageConfig.load(config).data_dir == chosen

    # House: empty, overlong, unknown currency, then a good one (no demo bank account).
    page = wiz.pages["house"]
    for name, currency, country, address, message in (
        ("", "EUR", "FR", "Paris", "needs a name"),
        ("x" * 240, "EUR", "FR", "Paris", "longer than 200"),
        ("Maison Dupont", "ZZZ", "FR", "Paris", "not a currency code"),
        ("Maison Dupont", "EUR", "F1", "Paris", "two-letter code"),
        ("Maison Dupont", "EUR", "FR", "  ", "address is needed"),
        ("Maison\u202eDupont", "EUR", "FR", "Paris", "control character"),
    ):
        page.name.setText(name)
        page.currency.setCurrentText(currency)
        page.country.setText(country)
        page.address.setPlainText(address)
        _next(wiz)
        assert _page(wiz) == "firstRunHouse"
        assert message in page.error.text()
    assert not house.path(chosen).exists()
    page.name.setText("Maison Dupont")
    page.currency.setCurrentText("chf")
    page.address.setPlainText("3 rue de la Paix\n75002 Paris")
    _next(wiz)
    assert _page(wiz) == "firstRunNetwork"
    saved = house.load(chosen)
    assert (saved.name, saved.currency, saved.country, saved.iban) == (
        "Maison Dupont",
        "CHF",
        "FR",
        "",
    )

    # Network: an address not on this machine, a port in use, then a real check.
    net = wiz.pages["network"]
    net.host.setCurrentText("192.0.2.7")
    _next(wiz)
    assert "not an address of this machine" in net.error.text()
    net.host.setCurrentIndex(net.host.findData("127.0.0.1"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        net.port.setValue(taken.getsockname()[1])
        net.check.click()
        assert "in use" in net.error.text()
    port = free_port()
    net.port.setValue(port)
    assert net.public.text() == f"http://127.0.0.1:{port}"
    _next(wiz)
    assert _page(wiz) == "firstRunGavel"
    assert "answered" in net.result.text()
    stage = tomllib.loads(config.read_text("utf-8"))["stage"]
    assert (stage["host"], stage["port"], stage["public_url"]) == (
        "127.0.0.1",
        port,
        f"http://127.0.0.1:{port}",
    )

    # Gavel: the detected port is chosen; a real strike on the pty is heard.
    g = wiz.pages["gavel"]
    assert g.spec() == f"serial:{gavel.port}"
    g.test.click()
    assert g.prompt.text() == "Strike the gavel now."
    qtbot.waitUntil(lambda: "Connected" in g.heard_text.text(), timeout=T)
    gavel.strike()
    qtbot.waitUntil(lambda: "Strike 1 received" in g.heard_text.text(), timeout=T)
    assert g.prompt.text() == "The gavel works."
    _next(wiz)
    assert _page(wiz) == "firstRunStaff"
    assert not wiz.gavel_page.probe.running
    assert AppSettings.load(chosen).gavel == f"serial:{gavel.port}"
    assert StageConfig.load(config).gavel == f"serial:{gavel.port}"

    # Staff: PINs that differ, a PIN that is not digits, an empty name, then the account.
    staff = wiz.pages["staff"]
    for name, pin, again, message in (
        ("Ada", "4821", "4822", "differ"),
        ("Ada", "12ab", "12ab", "4 to 12 digits"),
        ("", "4821", "4821", "name"),
    ):
        staff.name.setText(name)
        staff.pin.setText(pin)
        staff.again.setText(again)
        wiz.button(QWizard.WizardButton.FinishButton).click()
        assert wiz.isVisible()
        assert message in staff.error.text()
    staff.name.setText("Ada Lovelace")
    staff.pin.setText("4821")
    staff.again.setText("4821")
    wiz.button(QWizard.WizardButton.FinishButton).click()
    assert wiz.result() == QWizard.DialogCode.Accepted
    store = StaffStore(chosen / "staff.db")
    try:
        [account] = store.accounts()
        assert (account.name, account.roles) == ("Ada Lovelace", ("auctioneer", "admin"))
        assert store.verify_pin("Ada Lovelace", "4821").id == account.id
    finally:
        store.close()
    assert AppSettings.load(chosen).first_run == "done"


def test_every_page_can_be_skipped_and_nothing_is_written(qtbot, wizard, tmp_path):
    wiz = wizard
    wiz.pages["house"].name.setText("Not saved")
    seen = []
    while wiz.isVisible():
        seen.append(_page(wiz))
        wiz.button(QWizard.WizardButton.CustomButton1).click()
    assert seen == [
        "firstRunData",
        "firstRunHouse",
        "firstRunNetwork",
        "firstRunGavel",
        "firstRunStaff",
    ]
    assert wiz.result() == QWizard.DialogCode.Accepted
    data_dir = tmp_path / "data"
    assert not (tmp_path / "config" / "auctionmen.toml").exists()
    assert not house.path(data_dir).exists()
    assert not (data_dir / "staff.db").exists()
    assert AppSettings.load(data_dir).first_run == "done"


def test_fits_a_1366x768_laptop_at_125_percent(wizard, tmp_path):
    # 1366×768 at 125 % leaves 1093×614 logical pixels, less the panel and the title bar.
    index = 0
    while wizard.isVisible():
        assert wizard.minimumSizeHint().width() <= 1093
        assert wizard.minimumSizeHint().height() <= 560
        assert wizard.width() <= 1093
        assert wizard.height() <= 614
        wizard.grab().save(str(tmp_path / f"first-run-{index}.png"))  # to look at
        wizard.skip()
        index += 1
    assert index == 5


def test_new_sale_takes_the_house_name_and_currency(qtbot, tmp_path):
    from app.bridge import CoreBridge
    from app.facade import SaleShelf
    from app.ui.sale_picker import PickerDesk, SalePicker

    assert fr.house_defaults(tmp_path) is None  # the demo house is no choice
    fr.save_house(tmp_path, "Auktionshaus Berg", "chf", "Bahnhofstr. 1\n8001 Zürich", "CH")
    assert fr.house_defaults(tmp_path) == ("Auktionshaus Berg", "CHF")
    shelf = SaleShelf(tmp_path)
    picker = SalePicker(None)
    qtbot.addWidget(picker)
    desk = PickerDesk(picker, shelf, CoreBridge().deliver)
    try:
        picker.new_button.click()
        assert desk.dialog is not None
        assert desk.dialog.house.text() == "Auktionshaus Berg"
        assert desk.dialog.currency.currentText() == "CHF"
        desk.dialog.reject()
    finally:
        shelf.close()


def test_the_setup_menu_opens_the_assistant_again(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMainWindow, QTabWidget

    import app.main as main

    window = QMainWindow()
    window.tabs = QTabWidget()  # type: ignore[attr-defined]
    window.setCentralWidget(window.tabs)  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    opened: list[tuple[object, int | None]] = []

    class Done:
        def __init__(self) -> None:
            self.chosen: dict[str, object] = {}

    def fake_run(config: object, parent: object = None, running_port: int | None = None) -> Done:
        opened.append((parent, running_port))
        return Done()

    monkeypatch.setattr(main, "run_first_run", fake_run)
    action = main.add_first_run_menu(window, StageConfig(data_dir=tmp_path), 8765)
    assert window.tabs.cornerWidget().objectName() == "setupMenu"  # type: ignore[attr-defined]
    action.trigger()
    assert opened == [(window, 8765)]  # the running stage's port is not "in use" to it
    config = StageConfig(data_dir=tmp_path)
    main.apply_first_run(config, {"data_dir": tmp_path / "x", "host": "0.0.0.0", "port": 9000})
    assert (config.data_dir, config.host, config.port) == (tmp_path / "x", "0.0.0.0", 9000)


def test_every_page_speaks_only_catalogue_texts(qtbot, tmp_path, gavel):
    """In the pseudo-language every text the assistant shows is ⟦…⟧ but the data (paths,
    addresses, port names, currency codes)."""
    from app import i18n as app_i18n
    from hub import i18n
    from tests.app.test_i18n import untranslated

    port = PortInfo(f"serial:{gavel.port}", gavel.port, "Test gavel", "2341:8036")
    app_i18n.install(i18n.PSEUDO)
    try:
        wiz = fr.FirstRunWizard(
            tmp_path / "data",
            tmp_path / "cfg.toml",
            addresses=lambda: LOOPBACK,
            serial_ports=lambda: [port],
            hid_devices=list,
        )
        qtbot.addWidget(wiz)
        wiz.show()
        data = {str(tmp_path / "data"), port.label, "127.0.0.1", "0.0.0.0", "lo", *fr.CURRENCIES}
        data |= {"https://127.0.0.1:8765", "8765", "DE, FR, GB…", "⚙"}
        while wiz.isVisible():
            assert untranslated(wiz, data) == [], wiz.currentPage().objectName()
            wiz.skip()
    finally:
        app_i18n.install("en")
