"""Render the main window (or one of the sale-day screens over it) to PNGs.

`python -m app.screenshot` writes the console at 1366×768 and 1920×1080 to
docs/console-1366x768.png and docs/console-1920x1080.png (the README shows them);
`--sizes 1280x800,1366x768 --out-dir DIR --lang de` choose sizes, folder and language;
`python -m app.screenshot OUT.png [--width W --height H] [--screen NAME]` writes one picture.

Runs offscreen (no display needed) against a throwaway demo sale with a lot in progress and
two more sales beside it. Screens: main, sale-picker, new-sale, sale-settings, amend, phones,
subject-to, message, seal.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCREENS = (
    "main",
    "sale-picker",
    "new-sale",
    "sale-settings",
    "amend",
    "phones",
    "subject-to",
    "message",
    "seal",
)


def _wait(app: object, until: Callable[[], bool], timeout: float = 10.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


DEFAULT_SIZES = ((1366, 768), (1920, 1080))
DEFAULT_DIR = Path("docs")
MIN_SIDE, MAX_SIDE = 320, 7680


def parse_size(text: str) -> tuple[int, int]:
    """ "1366x768" → (1366, 768); sides from 320 to 7680 px (argparse reports the error)."""
    match = re.fullmatch(r"\s*(\d{3,4})\s*[xX×]\s*(\d{3,4})\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text[:40]!r} (use WIDTHxHEIGHT)")
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"{width}x{height}: sides from {MIN_SIDE} to {MAX_SIDE}")
    return width, height


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """ "1366x768,1920x1080" → the sizes, each once, in order (at most 8)."""
    sizes = list(dict.fromkeys(parse_size(part) for part in text.split(",")))
    if len(sizes) > 8:
        raise argparse.ArgumentTypeError("at most 8 sizes")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.screenshot", description=__doc__)
    parser.add_argument("out", type=Path, nargs="?", help="one picture (else --sizes)")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--screen", default="main", choices=SCREENS)
    parser.add_argument(
        "--sizes", type=parse_sizes, default=None, help="e.g. 1366x768,1920x1080 (the default)"
    )
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--lang", default=None, help="en, de, fr (default: English)")
    ns = parser.parse_args(argv)
    if ns.out is not None and ns.sizes is not None:
        parser.error("give OUT.png or --sizes, not both")
    for side in (ns.width, ns.height):
        if not MIN_SIDE <= side <= MAX_SIDE:
            parser.error(f"--width and --height from {MIN_SIDE} to {MAX_SIDE}")
    if ns.lang is not None:
        from app import i18n
        from hub.i18n import LANGUAGES

        if ns.lang not in LANGUAGES:
            parser.error(f"--lang: one of {', '.join(LANGUAGES)}")
        i18n.install(ns.lang)
    if ns.out is None:
        ns.out_dir.mkdir(parents=True, exist_ok=True)
        suffix = f"-{ns.lang}" if ns.lang and ns.lang != "en" else ""
        shots = [
            (
                size,
                ns.out_dir / f"{ns.screen if ns.screen != 'main' else 'console'}"
                f"-{size[0]}x{size[1]}{suffix}.png",
            )
            for size in (ns.sizes or list(DEFAULT_SIZES))
        ]
    else:
        shots = [((ns.width, ns.height), ns.out)]
    if ns.screen != "main" and len(shots) > 1:  # the sale-day screens change the sale
        parser.error(f"--screen {ns.screen}: one size at a time")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return render(ns.screen, shots)


def render(screen: str, shots: list[tuple[tuple[int, int], Path]]) -> int:
    """Start a demo core, play a lot in progress, save `screen` at each (size, path)."""
    from PySide6.QtWidgets import QApplication

    from app.bridge import CoreBridge
    from app.facade import CoreHost, CoreThread, SaleShelf
    from app.main import image_dirs
    from app.ui.main_window import MainWindow
    from hub.config import StageConfig

    tmp = Path(tempfile.mkdtemp(prefix="auctionmen-shot-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    bridge = CoreBridge()
    host = CoreHost(
        StageConfig(data_dir=tmp, port=0, demo=True),
        lambda config: CoreThread(config, on_records=bridge.on_records, on_gavel=bridge.on_gavel),
    )
    shelf = SaleShelf(tmp)
    _other_sales(tmp)
    try:
        info = host.start()
        core = host.core
        assert core is not None
        window = MainWindow(bridge, image_dirs(tmp), dialogs=False, host=host, shelf=shelf)
        bridge.attach(core)
        window.show_core(info)
        window.resize(*shots[0][0])
        window.show()
        script = [
            {"op": "open_lot", "lot": "1"},
            {"op": "hammer", "lot": "1", "source": "gavel"},
            {"op": "open_lot", "lot": "2"},
            {"op": "floor_bid", "lot": "2", "paddle": "101"},
            {"op": "floor_bid", "lot": "2", "paddle": "102"},
            {"op": "fair_warning", "lot": "2"},
            {"op": "floor_bid", "lot": "2", "paddle": "101", "channel": "phone"},
        ]
        for command in script:
            core.submit(command).result(10)
        _wait(
            app,
            lambda: (
                window.state.current_id == "2"
                and len((window.state.current or {}).get("history") or []) >= 3
            ),
        )
        _wait(app, lambda: False, 0.3)
        for (width, height), out in shots:
            window.resize(width, height)
            _wait(app, lambda: window.size().toTuple() == (width, height))  # noqa: B023
            _wait(app, lambda: False, 0.2)
            picture = SHOTS[screen](app, window, core)
            if not picture.save(str(out), "PNG"):
                print(f"could not write {out}", file=sys.stderr)
                return 1
            print(out)
        window.close()
        bridge.detach()
        return 0
    finally:
        host.stop()
        shelf.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _other_sales(data_dir: Path) -> None:
    """Two sales beside the demo, for the picker: a two-day draft and a closed one."""
    from hub.backend.sales import create_sale

    create_sale(
        data_dir,
        {
            "id": "2026-12-fine-art",
            "title": "Fine Art & Antiques, December",
            "house": "Harcourt & Sons",
            "currency": "GBP",
            "timezone": "Europe/London",
            "sessions": [
                {"name": "Day 1", "starts": "2026-12-05T10:00", "from_lot": "1", "to_lot": "2"},
                {"name": "Day 2", "starts": "2026-12-06T10:00", "from_lot": "3", "to_lot": "3"},
            ],
            "lots": [
                {"id": str(n), "title": f"Lot {n}", "low": 10000 * n, "high": 20000 * n}
                for n in (1, 2, 3)
            ],
        },
    )


def _over(app: Any, window: Any, dialog: Any) -> Any:
    """The window with `dialog` drawn over it, centred, as the operator sees it."""
    from PySide6.QtGui import QColor, QPainter

    dialog.show()
    _wait(app, lambda: False, 0.3)
    picture = window.grab()
    painter = QPainter(picture)
    painter.fillRect(picture.rect(), QColor(17, 24, 39, 110))
    face = dialog.grab()
    x = (picture.width() - face.width()) // 2
    y = (picture.height() - face.height()) // 2
    painter.fillRect(x - 1, y - 1, face.width() + 2, face.height() + 2, QColor("#6b7280"))
    painter.drawPixmap(x, y, face)
    painter.end()
    return picture


def _main(app: Any, window: Any, core: Any) -> Any:
    return window.grab()


def _picker(app: Any, window: Any, core: Any) -> Any:
    window.show_sales()
    _wait(app, lambda: window.picker.view.rowCount() >= 2)
    return _over(app, window, window.picker)


def _new_sale(app: Any, window: Any, core: Any) -> Any:
    from PySide6.QtWidgets import QTableWidgetItem

    window.show_sales()
    _wait(app, lambda: window.picker.view.rowCount() >= 2)
    window.picker_desk.new_sale()
    dialog = window.picker_desk.dialog
    dialog.sale_id.setText("2027-03-spring")
    dialog.title.setText("Spring Sale: Furniture & Works of Art")
    dialog.house.setText("Harcourt & Sons")
    dialog.currency.setCurrentText("GBP")
    dialog.add_session("Day 1", "2027-03-12 10:00", "1", "250")
    dialog.add_session("Day 2", "2027-03-13 10:00", "251", "480")
    dialog.sessions.setItem(1, 1, QTableWidgetItem("2027-03-13 10:00"))
    dialog.rules.premium.setPlainText("0: 25%\n500000: 20%\n3000000: 14.5%")
    dialog.rules.subject_to.setChecked(True)
    dialog.sale_id.setText("2026-12-fine-art")  # a duplicate: the form says so
    dialog.submit()
    return _over(app, window, dialog)


def _tab(name: str) -> Callable[[Any, Any, Any], Any]:
    def shot(app: Any, window: Any, core: Any) -> Any:
        window.tabs.setCurrentWidget(getattr(window, name))
        _wait(app, lambda: False, 0.3)
        return window.grab()

    return shot


def _settings(app: Any, window: Any, core: Any) -> Any:
    core.submit({"op": "pass", "lot": "2"}).result(10)  # rules change between lots
    core.submit(
        {
            "op": "configure",
            "settings": {
                "subject_to": True,
                "buyer_premium": [[0, 2500], [50_000_000, 2000], [300_000_000, 1450]],
                "vat_rate_bp": 2000,
            },
        }
    ).result(10)
    _wait(app, lambda: bool(window.state.settings.get("buyer_premium")))
    return _tab("rules")(app, window, core)


def _amend(app: Any, window: Any, core: Any) -> Any:
    window.edit_lot("3")
    dialog = window.dialog
    dialog.condition.setPlainText("Relined; minor retouching to the sky, lower left.")
    dialog.reason.setText("condition report received from the restorer")
    dialog.notice.setPlainText("Please note: this painting has been relined.")
    return _over(app, window, dialog)


def _phones(app: Any, window: Any, core: Any) -> Any:
    for paddle, first, last, operator in (
        ("101", "3", "5", "Anna"),
        ("102", "4A", "6", "Ben"),
        ("101", "7", "7", "Anna"),
    ):
        core.book_phone(
            {
                "op": "book_phone",
                "paddle": paddle,
                "from_lot": first,
                "to_lot": last,
                "operator": operator,
            }
        ).result(10)
    _wait(app, lambda: len(window.state.phones) >= 3)
    return _tab("phones")(app, window, core)


def _subject_to(app: Any, window: Any, core: Any) -> Any:
    for command in (
        {"op": "pass", "lot": "2"},
        {"op": "configure", "settings": {"subject_to": True}},
        {"op": "open_lot", "lot": "3"},
        {"op": "floor_bid", "lot": "3", "paddle": "102"},
        {"op": "hammer", "lot": "3", "source": "key"},  # below the reserve: subject to
    ):
        core.submit(command).result(10)
    _wait(app, lambda: window.subject_to.view.rowCount() >= 1)
    window.subject_to.view.selectRow(0)
    return _tab("subject_to")(app, window, core)


def _message(app: Any, window: Any, core: Any) -> Any:
    window.compose_message()
    return _over(app, window, window.dialog)


def _seal(app: Any, window: Any, core: Any) -> Any:
    core.submit({"op": "hammer", "lot": "2", "source": "key"}).result(10)
    assert core.close_sale().result(10).answer.ok
    _wait(app, lambda: window.state.sale.get("status") == "closed")
    window.show_seal()
    _wait(app, lambda: window.dialog is not None and window.dialog.objectName() == "sealDialog")
    return _over(app, window, window.dialog)


SHOTS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "main": _main,
    "sale-picker": _picker,
    "new-sale": _new_sale,
    "sale-settings": _settings,
    "amend": _amend,
    "phones": _phones,
    "subject-to": _subject_to,
    "message": _message,
    "seal": _seal,
}


if __name__ == "__main__":
    raise SystemExit(main())
