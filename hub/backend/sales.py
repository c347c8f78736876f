"""Sales on disk: one journal per sale in `{data_dir}/sales/{id}.db`, listed, created whole,
reset (the demo) and run by one process at a time.

- `list_sales` reads every journal read-only (WAL readers never block a running stage); a file
  it cannot read is listed with its `error`, never a crash.
- `create_sale` checks a sale spec (flags, a TOML/JSON file, the app's form), writes the sale
  through a sequencer as the system actor into a temporary directory, then links the finished
  file into place: the sale exists whole or not at all, and a refused spec leaves nothing.
- `SaleLock` is the one-process-per-sale rule: an exclusive, non-blocking `flock` on
  `sales/{id}.lock` holding the owner's pid, so a refusal can say who has the sale open. The
  kernel drops it when the process dies, so a crash never leaves a stale lock.
- `apply_op` runs one staff op (go live, close) on a sale no stage is running.

The sequencer is async; the functions here are blocking and run it on a loop of their own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import tomllib
import zoneinfo
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from hub.auction.catalogue import demo_sale, sale_commands
from hub.auction.events import SYSTEM
from hub.auction.ladder import Ladder, LadderError
from hub.auction.parse import SALE_ID, SALE_ID_RULE  # the engine's rule: one message everywhere
from hub.auction.state import PASSED, SOLD, TIE_POLICIES, WITHDRAWN
from hub.backend.identities import IdentityStore
from hub.journal.db import JournalError, connect_reader
from hub.journal.migrations import GENESIS
from hub.journal.replay import load_engine
from hub.journal.sequencer import Sequencer

JSON = dict[str, Any]
T = TypeVar("T")

DEMO = "demo"
MAX_SPEC_BYTES = 1_000_000  # a sale file with its catalogue; anything bigger is a mistake
MAX_SESSIONS = 60
MAX_LOTS = 20_000
MAX_PREMIUM_BANDS = 20
MAX_MINOR = 10**13  # the engine's largest amount
SPEC_KEYS = frozenset(
    {"id", "title", "house", "currency", "timezone", "sessions", "settings", "draft", "lots"}
)
SESSION_KEYS = ("name", "starts", "from_lot", "to_lot")
RULE_KEYS = frozenset(
    {
        "currency",
        "tie_policy",
        "late_window",
        "reopen_window",
        "subject_to",
        "confirm_online",
        "auto_absentee",
        "ladder",
        "subject_to_window",
        "buyer_premium",
        "vat_rate_bp",
        *("premium_surcharge_bp", "vat_reduced_bp", "vat_import_bp", "sales_tax_bp"),
        *("arr_threshold", "arr_eur_ppm", "credit_includes_charges"),
        *("aml_threshold", "aml_basis", "aml_action"),
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class SaleError(ValueError):
    """A sale that cannot be created, read, locked or changed; the message says why."""


class SaleLocked(SaleError):
    """Another process has the sale open."""


@dataclass(frozen=True, slots=True)
class SaleSummary:
    """One sale as the picker and `auctionmen sale list` show it. Money in minor units."""

    id: str
    path: Path
    title: str = ""
    house: str = ""
    status: str = ""  # draft | live | closed; "" when `error` says why it cannot be read
    lots: int = 0
    sold: int = 0
    passed: int = 0
    withdrawn: int = 0
    hammer_total: int = 0
    currency: str = ""
    sessions: tuple[JSON, ...] = ()
    head_hash: str = ""
    error: str | None = None

    def to_json(self) -> JSON:
        out = asdict(self)
        out["path"] = str(self.path)
        out["sessions"] = list(self.sessions)
        return out


# ---------------------------------------------------------------------- paths and names


def sales_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "sales"


def sale_path(data_dir: Path, sale_id: str) -> Path:
    check_sale_id(sale_id)
    return sales_dir(data_dir) / f"{sale_id}.db"


def check_sale_id(sale_id: object) -> str:
    if not isinstance(sale_id, str) or not SALE_ID.fullmatch(sale_id):
        raise SaleError(f"{_show(sale_id)}: {SALE_ID_RULE}")
    return sale_id


def _show(value: object) -> str:
    """A value quoted for an error message, cut short (it may be hostile or huge)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------------- the lock


class SaleLock:
    """One process per sale: `flock` on `sales/{id}.lock` (beside the journal `path`).

    `acquire` never waits: if another process holds the lock, `SaleLocked` names its pid.
    Use as a context manager, or `acquire`/`release`.
    """

    def __init__(self, path: Path) -> None:
        self.journal = Path(path)
        self.path = self.journal.with_suffix(".lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise SaleError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
        if sys.platform != "win32":  # pragma: no branch - the lock is POSIX-only here
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_pid(fd)
                os.close(fd)
                who = f"process {holder}" if holder else "another process"
                raise SaleLocked(
                    f"sale '{self.journal.stem}' is open in {who} ({self.path}); "
                    "stop that stage first"
                ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> SaleLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


# ---------------------------------------------------------------------- listing


def list_sales(data_dir: Path) -> list[SaleSummary]:
    """Every sale in `data_dir`, by id; unreadable files are listed with their `error`."""
    folder = sales_dir(data_dir)
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.glob("*.db") if SALE_ID.fullmatch(p.stem) and p.is_file())
    return [summarize(path) for path in paths]


def summarize(path: Path) -> SaleSummary:
    """The summary of the journal at `path`, read-only."""
    path = Path(path)
    try:
        conn = connect_reader(path)
    except JournalError as exc:
        return SaleSummary(path.stem, path, error=_short(exc))
    try:
        engine = load_engine(conn)
        row = conn.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    # A damaged journal can fail anywhere in replay: the listing reports it and goes on.
    except Exception as exc:
        return SaleSummary(path.stem, path, error=f"cannot replay: {_short(exc)}")
    finally:
        conn.close()
    view = engine.sale_view()
    if not engine.sale.id:
        return SaleSummary(path.stem, path, error="no sale in this journal")
    lots = list(engine.lots.values())
    sold = [lot for lot in lots if lot.status == SOLD]
    return SaleSummary(
        id=path.stem,  # how a stage opens it (`--sale ID`): the file, whatever it says inside
        path=path,
        title=engine.sale.title,
        house=str(view.get("house") or ""),
        # Journals from before sale days have no status: they replay as live sales.
        status=str(view.get("status") or "live"),
        lots=len(lots),
        sold=len(sold),
        passed=sum(1 for lot in lots if lot.status == PASSED),
        withdrawn=sum(1 for lot in lots if lot.status == WITHDRAWN),
        hammer_total=sum(int((lot.hammer or {}).get("amount") or 0) for lot in sold),
        currency=engine.sale.settings.currency,
        sessions=tuple(view.get("sessions") or ()),
        head_hash=row[0] if row else GENESIS,
    )


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------------- specs


def parse_sale_spec(text: str | bytes, fmt: str) -> JSON:
    """A sale spec from a TOML or JSON file's text (`fmt` "toml" or "json"), checked."""
    if len(text) > MAX_SPEC_BYTES:
        raise SaleError(f"the sale file is too big (over {MAX_SPEC_BYTES:,} bytes)")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SaleError(f"the sale file is not UTF-8 text: {exc.reason}") from exc
    if fmt == "toml":
        try:
            raw: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SaleError(f"the sale file is not valid TOML: {exc}") from exc
    elif fmt == "json":
        try:
            raw = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise SaleError(f"the sale file is not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise SaleError("the sale file is nested too deeply") from exc
    else:
        raise SaleError(f"unknown sale file format {_show(fmt)} (toml or json)")
    return check_spec(raw)


def read_sale_file(path: Path) -> JSON:
    """`parse_sale_spec` of a file, its format from the suffix (.toml or .json)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("toml", "json"):
        raise SaleError(f"{path}: a sale file ends in .toml or .json")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SaleError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_sale_spec(data, fmt)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> JSON:
    out: JSON = {}
    for key, value in pairs:
        if key in out:
            raise SaleError(f"the key {_show(key)} appears twice in the sale file")
        out[key] = value
    return out


def check_spec(raw: Any) -> JSON:
    """A sale spec checked and normalised: `{id, title, house, timezone, sessions, settings,
    draft, lots}` with the currency in `settings`. Raises `SaleError` for anything off."""
    if not isinstance(raw, dict):
        raise SaleError("a sale spec is a table of keys (id, title, ...)")
    unknown = sorted(str(k) for k in raw if k not in SPEC_KEYS)
    if unknown:
        raise SaleError(
            f"unknown key(s) in the sale: {', '.join(map(_show, unknown[:5]))} "
            f"(known: {', '.join(sorted(SPEC_KEYS))})"
        )
    if "id" not in raw:
        raise SaleError("a sale needs an id")
    settings = _rules(raw.get("settings", {}))
    if "currency" in raw:
        currency = _currency(raw["currency"])
        if settings.get("currency", currency) != currency:
            raise SaleError("two different currencies: 'currency' and 'settings.currency'")
        settings["currency"] = currency
    settings.setdefault("currency", "EUR")
    draft = raw.get("draft", True)
    if not isinstance(draft, bool):
        raise SaleError("draft must be true or false")
    lots = raw.get("lots", [])
    if not isinstance(lots, list) or len(lots) > MAX_LOTS:
        raise SaleError(f"lots must be a list of at most {MAX_LOTS:,} lots")
    if not all(isinstance(lot, dict) for lot in lots):
        raise SaleError("each lot is a table of keys (id, title, ...)")
    if not draft and not lots:
        raise SaleError("a sale goes live with lots: create it as a draft, add lots, go live")
    return {
        "id": check_sale_id(raw["id"]),
        "title": _text(raw.get("title"), "title", 500, required=True),
        "house": _text(raw.get("house", ""), "house", 200),
        "timezone": _timezone(raw.get("timezone", "UTC")),
        "sessions": _sessions(raw.get("sessions", [])),
        "settings": settings,
        "draft": draft,
        "lots": lots,
    }


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise SaleError(f"{name} must be text" + (" (required)" if required else ""))
    value = value.strip()
    if required and not value:
        raise SaleError(f"a sale needs a {name}")
    if len(value) > limit:
        raise SaleError(f"{name} is too long (at most {limit} characters)")
    if _CONTROL.search(value):
        raise SaleError(f"{name} holds control characters")
    return value


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise SaleError(f"currency {_show(value)} is not an ISO 4217 code (three letters)")
    return value.upper()


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise SaleError(f"timezone {_show(value)} is not a time zone name (e.g. Europe/Paris)")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise SaleError(
            f"timezone {_show(value)} is not a known time zone (e.g. Europe/Paris)"
        ) from exc
    return value


def _sessions(value: Any) -> list[JSON]:
    if not isinstance(value, list) or len(value) > MAX_SESSIONS:
        raise SaleError(f"sessions must be a list of at most {MAX_SESSIONS} sessions")
    out: list[JSON] = []
    for number, raw in enumerate(value, start=1):
        where = f"session {number}"
        if not isinstance(raw, dict):
            raise SaleError(f"{where}: a table of {', '.join(SESSION_KEYS)}")
        unknown = sorted(str(k) for k in raw if k not in SESSION_KEYS)
        if unknown:
            raise SaleError(f"{where}: unknown key(s) {', '.join(map(_show, unknown[:5]))}")
        missing = [k for k in SESSION_KEYS if k not in raw]
        if missing:
            raise SaleError(f"{where}: missing {', '.join(missing)}")
        starts = raw["starts"]
        if isinstance(starts, datetime):  # TOML has its own date-times
            starts = starts.isoformat(timespec="minutes")
        session = {
            "name": _text(raw["name"], f"{where} name", 100, required=True),
            "starts": _starts(starts, where),
            "from_lot": _lot_ref(raw["from_lot"], f"{where} from_lot"),
            "to_lot": _lot_ref(raw["to_lot"], f"{where} to_lot"),
        }
        low, high = session["from_lot"], session["to_lot"]
        if low.isdigit() and high.isdigit() and int(low) > int(high):
            raise SaleError(f"{where}: from_lot {low} is after to_lot {high}")
        if any(s["name"] == session["name"] for s in out):
            raise SaleError(f"{where}: the name {_show(session['name'])} is used twice")
        if out and session["starts"] <= out[-1]["starts"]:
            raise SaleError(f"{where}: must start after the session before it")
        before = out[-1]["to_lot"] if out else ""
        if before.isdigit() and low.isdigit() and int(low) <= int(before):
            raise SaleError(f"{where}: from_lot {low} overlaps the session before it")
        out.append(session)
    return out


def _starts(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise SaleError(f"{where}: starts must be a date and time like 2026-12-05T10:00")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise SaleError(
            f"{where}: starts {_show(value)} is not a date and time like 2026-12-05T10:00"
        ) from exc
    return moment.isoformat(timespec="minutes")


def _lot_ref(value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = _text(value, name, 32, required=True)
    return text


def _rules(raw: Any) -> JSON:
    """House rules as the engine's `configure` takes them; the engine checks them again."""
    if not isinstance(raw, dict):
        raise SaleError("settings must be a table of house rules")
    unknown = sorted(str(k) for k in raw if k not in RULE_KEYS)
    if unknown:
        raise SaleError(
            f"unknown setting(s): {', '.join(map(_show, unknown[:5]))} "
            f"(known: {', '.join(sorted(RULE_KEYS))})"
        )
    out: JSON = {}
    for key, value in raw.items():
        if key == "currency":
            out[key] = _currency(value)
        elif key == "tie_policy":
            if value not in TIE_POLICIES:
                raise SaleError(f"tie_policy must be one of {', '.join(TIE_POLICIES)}")
            out[key] = value
        elif key in ("subject_to", "confirm_online", "auto_absentee"):
            if not isinstance(value, bool):
                raise SaleError(f"{key} must be true or false")
            out[key] = value
        elif key in ("late_window", "reopen_window"):
            out[key] = _number(value, key, 86_400)
        elif key == "subject_to_window":
            out[key] = int(_number(value, key, 90 * 86_400))
        elif key == "vat_rate_bp":
            out[key] = _basis_points(value, key)
        elif key == "buyer_premium":
            out[key] = _premium(value)
        elif key == "ladder":
            out[key] = _ladder(value)
        else:  # the money rules: the engine checks them (hub/auction/parse.py::_settings)
            out[key] = value
    return out


def _number(value: Any, key: str, limit: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
        raise SaleError(f"{key} must be seconds between 0 and {limit}")
    return float(value)


def _basis_points(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise SaleError(f"{key} must be whole basis points between 0 and 10000 (2000 = 20 %)")
    return value


def _premium(value: Any) -> list[list[int]]:
    """Buyer's premium bands `[[from_minor, rate_bp], ...]`: the first from 0, rising."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_PREMIUM_BANDS:
        raise SaleError(f"buyer_premium: 1 to {MAX_PREMIUM_BANDS} bands [from, rate_bp]")
    bands: list[list[int]] = []
    for band in value:
        if not isinstance(band, list) or len(band) != 2:
            raise SaleError("buyer_premium: each band is [from, rate_bp]")
        start, rate = band
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= MAX_MINOR:
            raise SaleError("buyer_premium: 'from' is a whole amount in minor units")
        bands.append([start, _basis_points(rate, "buyer_premium rate")])
    if bands[0][0] != 0:
        raise SaleError("buyer_premium: the first band starts at 0")
    for before, after in pairwise(bands):
        if after[0] <= before[0]:
            raise SaleError(f"buyer_premium: bands must rise (at {after[0]})")
    return bands


def _ladder(value: Any) -> list[list[int]]:
    if not isinstance(value, list) or not 0 < len(value) <= 100:
        raise SaleError("ladder: 1 to 100 rows [from, increment]")
    rows = []
    for row in value:
        if (
            not isinstance(row, list)
            or len(row) != 2
            or not all(isinstance(c, int) and not isinstance(c, bool) for c in row)
            or not all(0 <= c <= MAX_MINOR for c in row)
        ):
            raise SaleError("ladder: each row is [from, increment] in whole minor units")
        rows.append(row)
    try:
        return Ladder.of(rows).to_json()
    except LadderError as exc:
        raise SaleError(f"ladder: {exc}") from exc


def ladder_from_csv(text: str) -> list[list[int]]:
    """A ladder file (`from,increment` rows in minor units, a header allowed)."""
    if len(text) > 100_000:
        raise SaleError("the ladder file is too big")
    try:
        return _ladder(Ladder.from_csv(text).to_json())
    except LadderError as exc:
        raise SaleError(f"ladder: {exc}") from exc


def parse_premium(text: str) -> list[list[int]]:
    """`"0:2500,50000000:2000"` (from minor units : rate basis points) → premium bands."""
    bands: list[list[int]] = []
    for part in text.split(","):
        start, sep, rate = part.strip().partition(":")
        if not sep or not start.strip().isdigit() or not rate.strip().isdigit():
            raise SaleError(
                f"premium band {_show(part.strip())}: FROM:RATE_BP, e.g. 0:2500,50000000:2000"
            )
        bands.append([int(start), int(rate)])
    return _premium(bands)


def parse_session(text: str) -> JSON:
    """`"Day 1,2026-12-05T10:00,1,250"` → a session (the name may not hold a comma)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise SaleError(
            f"session {_show(text)}: NAME,START,FROM_LOT,TO_LOT, "
            "e.g. 'Day 1,2026-12-05T10:00,1,250'"
        )
    return dict(zip(SESSION_KEYS, parts, strict=True))


# ---------------------------------------------------------------------- writing


def create_sale(
    data_dir: Path, spec: JSON, *, clock: Callable[[], float] = time.time
) -> SaleSummary:
    """Create the sale `spec` describes in `data_dir`, whole or not at all.

    Blocking (it runs its own sequencer): from async code call it in a worker thread.
    Raises `SaleError` if the spec is refused or the sale exists.
    """
    checked = check_spec(spec)
    sale: JSON = {k: checked[k] for k in ("id", "title", "house", "timezone", "sessions")}
    sale["settings"] = checked["settings"]
    commands: list[JSON] = [{"op": "create_sale", "sale": sale}]
    commands += [{"op": "add_lot", "lot": lot} for lot in checked["lots"]]
    if not checked["draft"]:
        commands.append({"op": "go_live"})
    target = sale_path(data_dir, checked["id"])
    if target.exists():
        raise SaleError(f"a sale '{checked['id']}' already exists ({target})")
    with _disk(target.parent):
        _build(target, commands, clock, replace=False)
    return summarize(target)


def reset_demo(data_dir: Path, *, clock: Callable[[], float] = time.time) -> SaleSummary:
    """Start the demo over: a fresh demo journal replaces the old one (refused while a stage
    runs it), and the demo's bidder identities are written again."""
    target = sale_path(data_dir, DEMO)
    demo = demo_sale()
    with _disk(target.parent), SaleLock(target):
        _build(target, sale_commands(demo), clock, replace=True)
    with _disk(Path(data_dir)):
        identities = IdentityStore(Path(data_dir) / "identities.db")
        try:
            with identities.db.conn:
                identities.table.delete_where("sale = ?", [DEMO])
            for bidder in demo.get("bidders", []):
                identities.add(DEMO, str(bidder["paddle"]), bidder)
        finally:
            identities.close()
    return summarize(target)


def apply_op(
    data_dir: Path, sale_id: str, command: JSON, *, clock: Callable[[], float] = time.time
) -> SaleSummary:
    """Run one command (go live, close) as the system actor on a sale no stage is running."""
    target = sale_path(data_dir, sale_id)
    if not target.is_file():
        raise SaleError(f"no sale '{sale_id}' in {sales_dir(data_dir)}")
    with _disk(target.parent), SaleLock(target):
        _run(_submit_all(target, [command], clock))
    return summarize(target)


@contextmanager
def _disk(folder: Path) -> Iterator[None]:
    """A disk that refuses (not a folder, read-only, full) is a clear `SaleError`."""
    try:
        yield
    except OSError as exc:
        raise SaleError(f"cannot write in {folder}: {exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        raise SaleError(f"cannot write in {folder}: {exc}") from exc


def _build(target: Path, commands: list[JSON], clock: Callable[[], float], replace: bool) -> None:
    """Write `commands` into a new journal in a temporary directory beside `target`, then move
    it into place (link: never over an existing file; replace: over it, without its WAL)."""
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    work = Path(tempfile.mkdtemp(prefix=f".new-{target.stem}-{os.getpid()}-", dir=folder))
    try:
        built = work / target.name
        _run(_submit_all(built, commands, clock))
        _settle(built)
        if replace:
            _discard_wal(target)
            os.replace(built, target)
        else:
            try:
                os.link(built, target)  # atomic and never overwrites: a racing create loses
            except FileExistsError as exc:
                raise SaleError(f"a sale '{target.stem}' already exists ({target})") from exc
        _fsync_dir(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sweep(folder: Path) -> None:
    """Remove the work directories of creations whose process died (killed mid-build): their
    names carry the creator's pid."""
    for work in folder.glob(".new-*"):
        match = re.fullmatch(r"\.new-.+-(\d+)-[^-]+", work.name)
        if match and work.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(work, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or a pid no system hands out
        return False
    except PermissionError:  # another user's process
        return True
    return True


async def _submit_all(path: Path, commands: list[JSON], clock: Callable[[], float]) -> None:
    sequencer = Sequencer(path, clock=clock)
    try:
        await sequencer.start()
    except JournalError as exc:
        raise SaleError(str(exc)) from exc
    try:
        for command in commands:
            answer = await sequencer.submit(command, SYSTEM)
            if not answer.ok:
                what = command.get("lot", {}).get("id") if command["op"] == "add_lot" else None
                where = f" (lot {_show(what)})" if what is not None else ""
                raise SaleError(f"{command['op']}{where} refused: {answer.message}")
    finally:
        await sequencer.stop()


def _settle(path: Path) -> None:
    """Fold the WAL into the file and sync it, so the file alone is the whole sale."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard_wal(path: Path) -> None:
    """Before replacing a journal: fold its WAL in (if it opens) and remove the side files, so a
    stale WAL can never be applied to the new file."""
    if path.exists():
        try:
            _settle(path)
        except (sqlite3.Error, OSError):
            pass  # a damaged old file: it is replaced whole anyway
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on a loop of its own (in a worker thread if this thread already has one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def describe_sales(summaries: list[SaleSummary]) -> str:
    """One line naming the sales in a data dir (for error messages)."""
    ok = [s.id for s in summaries if s.error is None]
    return ", ".join(ok) if ok else "none yet"


__all__ = [
    "SALE_ID_RULE",
    "SaleError",
    "SaleLock",
    "SaleLocked",
    "SaleSummary",
    "apply_op",
    "check_spec",
    "create_sale",
    "list_sales",
    "parse_sale_spec",
    "reset_demo",
    "summarize",
]
