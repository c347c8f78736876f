"""`auctionmen gui`: the Qt application around the core thread.

The Qt main thread runs qasync (UI-side async work); the core runs on its own loop in a
dedicated thread (`app.facade.CoreThread`), so a busy or frozen window never delays a bid.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.i18n import _, qt_translator
from app.i18n import install as install_language
from app.jsonlog import JsonLog
from app.settings import AppSettings, choose_sale

log = logging.getLogger("auctionmen.ui")


def image_dirs(data_dir: Path) -> list[Path]:
    """Where lot images are looked up: imported ones first, then the shipped samples."""
    from importlib import resources

    return [data_dir / "images", Path(str(resources.files("resources").joinpath("web/images")))]


def _record_logger(
    jlog: JsonLog, forward: Callable[[list[dict[str, Any]]], None]
) -> Callable[[list[dict[str, Any]]], None]:
    def on_records(wires: list[dict[str, Any]]) -> None:
        for w in wires:
            lot = w.get("lot") or {}
            jlog.emit(
                "record",
                seq=w.get("seq"),
                type=w.get("type"),
                lot=lot.get("id"),
                status=lot.get("status"),
                source=(w.get("data") or {}).get("hammer", {}).get("source")
                if isinstance((w.get("data") or {}).get("hammer"), dict)
                else None,
            )
        forward(wires)

    return on_records


def _port_of(url: str) -> int | None:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).port
    except ValueError:
        return None


def pick_on_start(config: Any, no_dialogs: bool) -> bool:
    """Show the sale picker first when no sale was asked for (no `--sale`, no `--demo`)."""
    return not no_dialogs and str(config.sale) == "demo" and not config.demo


def apply_first_run(config: Any, chosen: dict[str, Any]) -> None:
    """What the first-run assistant saved applies to the stage about to start (the same
    values are in the user's config file for the next start and for `auctionmen serve`)."""
    for key in ("data_dir", "host", "port", "public_url", "gavel"):
        if key in chosen:
            setattr(config, key, chosen[key])


def run_first_run(config: Any, parent: Any = None, running_port: int | None = None) -> Any:
    """Show the first-run assistant (modal) and return it, done."""
    from app.settings import user_config_path
    from app.ui.first_run import FirstRunWizard

    wizard = FirstRunWizard(
        Path(config.data_dir),
        user_config_path(),
        tls=str(config.tls),
        running_port=running_port,
        parent=parent,
    )
    wizard.exec()
    return wizard


def add_first_run_menu(window: Any, config: Any, port: int | None) -> Any:
    """The ⚙ menu beside the tabs: the first-run assistant again (no extra window height)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMenu, QMessageBox, QToolButton

    from app.i18n import _

    button = QToolButton()
    button.setObjectName("setupMenu")
    button.setText("⚙")
    button.setAccessibleName(_("Set-up"))
    button.setToolTip(_("Set-up"))
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    action = menu.addAction(_("First-run assistant…"))
    action.setObjectName("firstRunAction")

    def reopen() -> None:
        wizard = run_first_run(config, window, running_port=port)
        moved = wizard.chosen.get("data_dir")
        if moved is not None and Path(moved) != Path(config.data_dir):
            # The house and staff pages wrote there too: nothing of it is this stage's yet.
            QMessageBox.information(
                window,
                "Auctionmen",
                _(
                    "Saved in the new data folder {path}: everything applies from the next start."
                ).format(path=moved),
            )
        elif wizard.chosen:
            QMessageBox.information(
                window,
                "Auctionmen",
                _(
                    "Saved. The house and staff changes apply now; the data folder, the "
                    "network and the gavel from the next start."
                ),
            )

    action.triggered.connect(reopen)
    button.setMenu(menu)
    window.tabs.setCornerWidget(button, Qt.Corner.TopRightCorner)
    return action


def run_gui(config: Any, temp_data_dir: bool = False, no_dialogs: bool = False) -> int:
    """Run the desktop app until its window closes. Returns the exit code."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    jlog = JsonLog(bool(getattr(config, "json_logs", False)))
    tmp: Path | None = None
    if temp_data_dir:
        tmp = Path(tempfile.mkdtemp(prefix="auctionmen-"))
        config.data_dir = tmp
    try:
        return _run(config, jlog, no_dialogs, temp_data_dir)
    finally:
        jlog.emit("exited")
        jlog.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(config: Any, jlog: JsonLog, no_dialogs: bool, temp: bool = False) -> int:
    os.environ.setdefault("QT_API", "pyside6")  # qasync would try PyQt5/PyQt6 first
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.bridge import CoreBridge
    from app.facade import CoreHost, CoreThread, SaleShelf
    from app.ui.first_run import should_show
    from app.ui.main_window import MainWindow
    from app.ui.sale_picker import PickerDesk, SalePicker

    data_dir = Path(config.data_dir)
    settings = AppSettings.load(data_dir)
    asked = (str(config.sale), bool(config.demo))  # before choose_sale decides
    welcome = should_show(data_dir, demo=bool(config.demo), no_dialogs=no_dialogs, temp=temp)
    install_language(settings.language)  # before any widget takes its texts
    pick = pick_on_start(config, no_dialogs)
    config.sale, first_run = choose_sale(config.sale, data_dir, settings)
    config.demo = bool(config.demo or first_run)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Auctionmen")
    qt_translator(app)  # Qt's own words (Yes, No, Cancel); the app is its parent
    if welcome:
        apply_first_run(config, run_first_run(config).chosen)
        if Path(config.data_dir) != data_dir:  # another data folder: its own sales
            data_dir = Path(config.data_dir)
            settings = AppSettings.load(data_dir)
            config.sale, created = choose_sale(asked[0], data_dir, settings)
            config.demo = asked[1] or created
    bridge = CoreBridge()
    shelf = SaleShelf(data_dir)
    if pick:
        # Before any core runs: which sale? (the list and any creation run off this thread)
        picker = SalePicker(settings.last_sale)
        picker.confirm = lambda q: (
            QMessageBox.question(picker, "Auctionmen", q) == QMessageBox.StandardButton.Yes
        )
        chosen: list[str] = []

        def choose(sale: str) -> None:
            chosen.append(sale)
            picker.accept()

        picker.open_sale.connect(choose)
        desk = PickerDesk(picker, shelf, bridge.deliver)
        picker.exec()
        del desk
        if not chosen:
            shelf.close()
            return 0
        config.sale, config.demo = chosen[0], False

    def gavel_status(status: Any) -> None:
        jlog.emit("gavel", **status.to_json())
        bridge.on_gavel(status)

    def make_core(stage_config: Any) -> CoreThread:
        return CoreThread(
            stage_config,
            on_records=_record_logger(jlog, bridge.on_records),
            on_gavel=gavel_status,
            arm_on=settings.arm_on,
        )

    host = CoreHost(config, make_core)
    try:
        info = host.start()
    except Exception as exc:
        message = f"The stage could not start: {exc}"
        jlog.emit("error", message=message)
        log.error("%s", message)
        if not no_dialogs:  # the log stays English; the person reads their language
            shown = _("The stage could not start: {error}").format(error=exc)
            QMessageBox.critical(None, "Auctionmen", shown)
        return 1
    settings.last_sale = info.sale
    try:
        settings.save(data_dir)
    except OSError as exc:
        log.warning("cannot save the app settings: %s", exc)

    window = MainWindow(
        bridge,
        image_dirs(data_dir),
        dialogs=not no_dialogs,
        retract_reason=settings.retract_reason,
        host=host,
        shelf=shelf,
    )

    def remember(opened: Any) -> None:
        settings.last_sale = opened.sale
        jlog.emit("sale_opened", sale=opened.sale, url=opened.url)
        try:
            settings.save(data_dir)
        except OSError as exc:
            log.warning("cannot save the app settings: %s", exc)

    window.sale_opened.connect(remember)
    add_first_run_menu(window, config, _port_of(info.url))

    def save_language(lang: str) -> None:
        settings.language = lang
        try:
            settings.save(data_dir)
        except OSError as exc:
            log.warning("cannot save the app settings: %s", exc)

    window.language_chosen.connect(save_language)
    assert host.core is not None
    bridge.attach(host.core)
    window.show_core(info)
    spec = str(config.gavel or "none")
    if spec.startswith("keyboard"):
        window.bind_pedal(spec.partition(":")[2] or settings.pedal_key, window._press_pedal)
    window.show()
    jlog.emit(
        "ready",
        url=info.url,
        sale=info.sale,
        data_dir=str(data_dir),
        pin=info.pin,
        gavel=spec,
        gavel_port=info.gavel.port,
    )

    # Python signal handlers run only when Python code runs: a timer gives them a chance.
    def on_signal(signum: int, frame: Any) -> None:
        QTimer.singleShot(0, app.quit)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    wake = QTimer()
    wake.start(200)
    wake.timeout.connect(lambda: None)

    async def main() -> None:
        done = asyncio.Event()
        app.aboutToQuit.connect(done.set)
        await done.wait()

    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            runner.run(main())
    finally:
        wake.stop()
        bridge.detach()
        window.close()
        host.stop()
        shelf.close()
        jlog.emit("stopped")
    return 0
