"""The app's own small settings file under the data dir (last sale, the gavel and its arming)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("auctionmen.ui")

FILE_NAME = "app-settings.json"


@dataclass(slots=True)
class AppSettings:
    last_sale: str | None = None
    arm_on: str = "bid"  # hardware.ArmOn: "bid" or "fair_warning"
    pedal_key: str = "F12"  # the keyboard pedal's key (an application-wide shortcut)
    retract_reason: str = "retracted by the auctioneer"
    gavel: str = ""  # the last gavel source applied in the settings tab ("" = never chosen)

    @classmethod
    def load(cls, data_dir: Path) -> AppSettings:
        path = data_dir / FILE_NAME
        try:
            raw = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            return cls()
        settings = cls()
        if isinstance(raw, dict):
            for key in ("last_sale", "arm_on", "pedal_key", "retract_reason", "gavel"):
                value = raw.get(key)
                if isinstance(value, str) and len(value) <= 500:
                    setattr(settings, key, value)
        if settings.arm_on not in ("bid", "fair_warning"):
            settings.arm_on = "bid"
        return settings

    def save(self, data_dir: Path) -> None:
        """Atomically (write then rename), so a crash never leaves half a file."""
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / FILE_NAME
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), "utf-8")
        os.replace(tmp, path)


def choose_sale(config_sale: str, data_dir: Path, settings: AppSettings) -> tuple[str, bool]:
    """Which sale to open and whether to create the demo sale.

    The sale named in the config wins when its journal exists; otherwise the last sale
    opened (if its journal still exists); on first run, the demo sale.
    """
    sales = data_dir / "sales"
    if config_sale != "demo" and (sales / f"{config_sale}.db").exists():
        return config_sale, False
    last = settings.last_sale
    if last and (sales / f"{last}.db").exists():
        return last, False
    if (sales / f"{config_sale}.db").exists():
        return config_sale, False
    if config_sale != "demo":
        return config_sale, False
    return "demo", True
