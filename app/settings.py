"""The app's own small settings file under the data dir (last sale, the gavel and its arming,
whether the first-run assistant was done), and the user's stage config file.

The stage config file (`auctionmen.toml` in the user's config folder, or `$AUCTIONMEN_CONFIG`)
is what the first-run assistant writes and what `auctionmen` and `auctionmen serve` read when
no `--config` is given: the data folder lives there, since it cannot live in itself. Flags
win over the file.
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs

from hub.i18n import LANGUAGES

log = logging.getLogger("auctionmen.ui")

FILE_NAME = "app-settings.json"


@dataclass(slots=True)
class AppSettings:
    last_sale: str | None = None
    arm_on: str = "bid"  # hardware.ArmOn: "bid" or "fair_warning"
    pedal_key: str = "F12"  # the keyboard pedal's key (an application-wide shortcut)
    retract_reason: str = "retracted by the auctioneer"
    gavel: str = ""  # the last gavel source applied in the settings tab ("" = never chosen)
    first_run: str = ""  # "done" once the first-run assistant was finished or skipped
    language: str = ""  # the app's language ("de"); "" follows the system (app.i18n.install)

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
            for key in (
                "last_sale",
                "arm_on",
                "pedal_key",
                "retract_reason",
                "gavel",
                "first_run",
                "language",
            ):
                value = raw.get(key)
                if isinstance(value, str) and len(value) <= 500:
                    setattr(settings, key, value)
        if settings.arm_on not in ("bid", "fair_warning"):
            settings.arm_on = "bid"
        if settings.language not in LANGUAGES:
            settings.language = ""  # unknown or hostile: follow the system
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


CONFIG_ENV = "AUCTIONMEN_CONFIG"
CONFIG_NAME = "auctionmen.toml"
# The stage settings the first-run assistant chooses (the `[stage]` table of the file).
STAGE_KEYS = ("data_dir", "host", "port", "public_url", "gavel", "tls")


def known_currency(code: str) -> bool:
    """An ISO 4217 code the locale data knows (EUR, CHF, GBP…), any letter case."""
    from babel.numbers import list_currencies

    return len(code) == 3 and code.upper() in list_currencies()


def user_config_path() -> Path:
    """Where the user's stage config lives: $AUCTIONMEN_CONFIG, else the config folder."""
    named = os.environ.get(CONFIG_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    return Path(platformdirs.user_config_dir("auctionmen")) / CONFIG_NAME


def default_config() -> Path | None:
    """The user's config file when it exists (read when no --config is given)."""
    path = user_config_path()
    return path if path.is_file() else None


def read_stage_table(path: Path) -> dict[str, Any]:
    """The `[stage]` table of a config file ({} when missing or unreadable: the caller
    validates through `StageConfig.load`, which reports a broken file itself)."""
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    table = raw.get("stage", raw)
    return dict(table) if isinstance(table, dict) else {}


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A JSON string with ASCII escapes is a valid TOML basic string.
    return json.dumps(str(value), ensure_ascii=True)


def write_stage_config(path: Path, values: dict[str, Any]) -> None:
    """Merge `values` (None removes a key) into the `[stage]` table of `path`, keeping the
    file's other stage settings; written whole and atomically."""
    table = read_stage_table(path) if path.is_file() else {}
    for key, value in values.items():
        if value is None or value == "":
            table.pop(key, None)
        else:
            table[key] = value
    lines = [
        "# Auctionmen stage settings (the first-run assistant writes this file;",
        "# `auctionmen serve` and the app read it; command-line flags win).",
        "[stage]",
    ]
    for key, value in table.items():
        if isinstance(value, list | tuple):
            items = ", ".join(_toml_value(v) for v in value)
            lines.append(f"{key} = [{items}]")
        elif isinstance(value, float):
            lines.append(f"{key} = {value!r}")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", "utf-8")
    os.replace(tmp, path)
