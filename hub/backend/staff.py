"""Staff accounts and their sessions: who is pressing the buttons, and which terminals may.

`{data_dir}/staff.db` (named migrations) holds

- accounts: id "st-N", name, roles (a non-empty subset of `STAFF_ROLES`), a PIN and/or a
  password hashed with argon2id (argon2-cffi), active, created, and the failed-PIN count
  with the time the account is locked until;
- sessions: sid (random), the staff id, the device label ("desktop", "terminal:<label>"),
  created, expires, revoked_at and revoked_by.

Hashes never leave this module: `Account` has no hash field, so nothing built from it (the
app's list, an export, a log line) can carry one. PINs are checked with argon2's own
constant-time verify; an unknown account or one without a PIN is verified against a dummy
hash, so the time taken does not say which names exist. After `MAX_FAILURES` wrong PINs in a
row the account is locked for `LOCK_SECONDS`, and the refusal says how long is left.

`is_live(sid)` runs on every staff request: it answers from memory and re-reads the table
only when `PRAGMA data_version` says another connection wrote (the CLI in another process);
a revoke through this store updates the memory at once.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from hub.auction.text import identifier_problem, text_problem

__all__ = [
    "LOCK_SECONDS",
    "MAX_FAILURES",
    "STAFF_ROLES",
    "Account",
    "Session",
    "StaffError",
    "StaffStore",
]

# The staff roles of issue 13 (the contract; hub/auction/roles.py declares the same set).
STAFF_ROLES = ("auctioneer", "clerk", "desk", "cashier", "admin", "officer")
MAX_FAILURES = 5
LOCK_SECONDS = 300.0
NAME_LIMIT = 100
DEVICE_LIMIT = 48
PIN_MIN, PIN_MAX = 4, 12
PASSWORD_MIN, PASSWORD_MAX = 8, 256
SESSION_TTL = 12 * 3600.0


class StaffError(Exception):
    """A refused staff operation: `reason` is machine-readable (`invalid`, `unknown_staff`,
    `wrong_pin`, `locked`, `inactive`, `duplicate`, `unknown_session`), the message is for
    people. `retry_after` (seconds) is set for `locked`."""

    def __init__(self, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Account:
    """A staff member as everyone else sees them: no hash, ever."""

    id: str
    name: str
    roles: tuple[str, ...]
    active: bool
    created: float
    has_pin: bool
    has_password: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "roles": list(self.roles),
            "active": self.active,
            "created": self.created,
            "has_pin": self.has_pin,
            "has_password": self.has_password,
        }


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    staff: str
    device: str
    created: float
    expires: float
    revoked_at: float | None
    revoked_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "staff": self.staff,
            "device": self.device,
            "created": self.created,
            "expires": self.expires,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by,
        }


migrations = Migrations("auctionmen.staff")


@migrations()
def m001_accounts(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            n INTEGER NOT NULL UNIQUE,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,      -- casefolded: one active account per name
            roles TEXT NOT NULL,         -- space-separated
            pin_hash TEXT,
            password_hash TEXT,
            active INTEGER NOT NULL,
            created REAL NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until REAL NOT NULL DEFAULT 0
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sessions (
            sid TEXT PRIMARY KEY,
            staff TEXT NOT NULL REFERENCES accounts(id),
            device TEXT NOT NULL,
            created REAL NOT NULL,
            expires REAL NOT NULL,
            revoked_at REAL,
            revoked_by TEXT
        )
        """
    )


# --- checks ----------------------------------------------------------------------------------


def check_name(value: object) -> str:
    if not isinstance(value, str):
        raise StaffError("invalid", "the name must be text")
    problem = text_problem(value, limit=NAME_LIMIT)
    if problem is not None:
        raise StaffError("invalid", f"the name {problem}")
    name = value.strip()
    if not name:
        raise StaffError("invalid", "the name must not be empty")
    if "<" in name or ">" in name:
        raise StaffError("invalid", "the name must not contain < or >")
    return name


def check_roles(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise StaffError("invalid", "roles must be a list")
    roles: list[str] = []
    for role in value:
        if not isinstance(role, str) or role not in STAFF_ROLES:
            shown = repr(role)[:40] if isinstance(role, str) else type(role).__name__
            raise StaffError("invalid", f"unknown role {shown}; roles are {', '.join(STAFF_ROLES)}")
        if role not in roles:
            roles.append(role)
    if not roles:
        raise StaffError("invalid", "a staff member needs at least one role")
    return tuple(r for r in STAFF_ROLES if r in roles)  # one order everywhere


def check_pin(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value.isascii()
        or not value.isdigit()
        or not PIN_MIN <= len(value) <= PIN_MAX
    ):
        raise StaffError("invalid", f"a PIN is {PIN_MIN} to {PIN_MAX} digits")
    return value


def check_password(value: object) -> str:
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise StaffError("invalid", f"a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    problem = text_problem(value, limit=PASSWORD_MAX)
    if problem is not None:
        raise StaffError("invalid", f"the password {problem}")
    return value


def check_device(value: object) -> str:
    if not isinstance(value, str):
        raise StaffError("invalid", "the device label must be text")
    problem = identifier_problem(value, limit=DEVICE_LIMIT)
    if problem is not None:
        raise StaffError("invalid", f"the device label {problem}")
    return value


def _wait(seconds: float) -> str:
    whole = max(1, int(seconds + 0.999))
    minutes, secs = divmod(whole, 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


# --- the store -------------------------------------------------------------------------------


class StaffStore:
    """`staff.db`. One connection, used from the stage loop and worker threads under a lock."""

    def __init__(
        self,
        path: Path,
        clock: Callable[[], float] = time.time,
        hasher: PasswordHasher | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db = Database(conn)
        self._conn = conn
        self._lock = threading.RLock()
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        # Verified when the account is unknown: the same work either way (made on first use,
        # so opening the store costs no hashing).
        self._dummy: str | None = None
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            self.db.enable_wal()
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            try:
                migrations.apply(self.db)
            except sqlite3.OperationalError:
                if list(migrations.pending(self.db)):
                    raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StaffError("invalid", f"{path}: cannot open the staff store: {exc}") from exc
        self._live: dict[str, tuple[float, str]] = {}  # sid -> (expires, staff id)
        self._version = -1

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # -- accounts ----------------------------------------------------------------------------

    def has_accounts(self) -> bool:
        """True once any active account exists (then the legacy stage PIN stops working)."""
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM accounts WHERE active = 1 LIMIT 1").fetchone()
        return row is not None

    def accounts(self, include_inactive: bool = True) -> list[Account]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM accounts ORDER BY n").fetchall()
            names = [d[0] for d in self._conn.execute("SELECT * FROM accounts LIMIT 0").description]
        found = [_account(dict(zip(names, row, strict=True))) for row in rows]
        return [a for a in found if include_inactive or a.active]

    def get(self, staff_id: str) -> Account:
        return _account(self._row(staff_id))

    def find(self, who: object) -> Account:
        """An active account by id ("st-3") or by name (case-insensitive)."""
        if not isinstance(who, str) or identifier_problem(who, limit=NAME_LIMIT) is not None:
            raise StaffError("unknown_staff", "no such staff member")
        with self._lock:
            row = self._select("SELECT * FROM accounts WHERE id = ? AND active = 1", who)
            if row is None:
                row = self._select(
                    "SELECT * FROM accounts WHERE name_key = ? AND active = 1",
                    who.strip().casefold(),
                )
        if row is None:
            raise StaffError("unknown_staff", "no such staff member")
        return _account(row)

    def create(
        self,
        name: object,
        roles: object,
        *,
        pin: object = None,
        password: object = None,
    ) -> Account:
        """A new active account; everything is checked before anything is written."""
        clean = check_name(name)
        clean_roles = check_roles(roles)
        if pin is None and password is None:
            raise StaffError("invalid", "a staff member needs a PIN or a password")
        pin_hash = self._hasher.hash(check_pin(pin)) if pin is not None else None
        password_hash = (
            self._hasher.hash(check_password(password)) if password is not None else None
        )
        with self._lock, self._transaction():
            self._unique_name(clean, None)
            n = self._conn.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM accounts").fetchone()[0]
            staff_id = f"st-{n}"
            self._conn.execute(
                "INSERT INTO accounts (id, n, name, name_key, roles, pin_hash, password_hash,"
                " active, created) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (
                    staff_id,
                    n,
                    clean,
                    clean.casefold(),
                    " ".join(clean_roles),
                    pin_hash,
                    password_hash,
                    self._clock(),
                ),
            )
        return self.get(staff_id)

    def update(self, staff_id: str, *, name: object = None, roles: object = None) -> Account:
        """A new name and/or roles. Live sessions keep the roles their token names until
        they are revoked (the app revokes them when roles shrink)."""
        with self._lock, self._transaction():
            self._row(staff_id)
            if name is not None:
                clean = check_name(name)
                self._unique_name(clean, staff_id)
                self._conn.execute(
                    "UPDATE accounts SET name = ?, name_key = ? WHERE id = ?",
                    (clean, clean.casefold(), staff_id),
                )
            if roles is not None:
                self._conn.execute(
                    "UPDATE accounts SET roles = ? WHERE id = ?",
                    (" ".join(check_roles(roles)), staff_id),
                )
        return self.get(staff_id)

    def set_pin(self, staff_id: str, pin: object) -> None:
        """A new PIN (an admin's reset): clears the lockout."""
        pin_hash = self._hasher.hash(check_pin(pin))
        with self._lock, self._transaction():
            self._row(staff_id)
            self._conn.execute(
                "UPDATE accounts SET pin_hash = ?, failures = 0, locked_until = 0 WHERE id = ?",
                (pin_hash, staff_id),
            )

    def set_password(self, staff_id: str, password: object) -> None:
        password_hash = self._hasher.hash(check_password(password))
        with self._lock, self._transaction():
            self._row(staff_id)
            self._conn.execute(
                "UPDATE accounts SET password_hash = ? WHERE id = ?", (password_hash, staff_id)
            )

    def deactivate(self, staff_id: str, by: str) -> list[str]:
        """The account can no longer sign in; its sessions are revoked. Returns their sids."""
        with self._lock:
            with self._transaction():
                self._row(staff_id)
                self._conn.execute("UPDATE accounts SET active = 0 WHERE id = ?", (staff_id,))
            return self.revoke_all(staff_id, by)

    def verify_pin(self, who: object, pin: object) -> Account:
        """The account if `pin` is its PIN; else StaffError (`wrong_pin`, `locked`, ...)."""
        try:
            account = self.find(who)
        except StaffError:
            self._burn(pin)
            raise StaffError("wrong_pin", "that name and PIN do not match") from None
        with self._lock:
            row = self._row(account.id)
            now = self._clock()
            if row["locked_until"] > now:
                left = row["locked_until"] - now
                raise StaffError(
                    "locked",
                    f"too many wrong PINs for {account.name}; try again in {_wait(left)}",
                    retry_after=left,
                )
            stored = row["pin_hash"]
            if stored is None or not self._matches(stored, pin):
                self._failed(account.id, row["failures"] + 1, now)
                raise StaffError("wrong_pin", "that name and PIN do not match")
            self._conn.execute(
                "UPDATE accounts SET failures = 0, locked_until = 0 WHERE id = ?", (account.id,)
            )
            if self._hasher.check_needs_rehash(stored) and isinstance(pin, str):
                self._conn.execute(
                    "UPDATE accounts SET pin_hash = ? WHERE id = ?",
                    (self._hasher.hash(pin), account.id),
                )
        return account

    def verify_password(self, who: object, password: object) -> Account:
        account = self.find(who)
        with self._lock:
            stored = self._row(account.id)["password_hash"]
        if stored is None or not self._matches(stored, password):
            raise StaffError("wrong_password", "that name and password do not match")
        return account

    # -- sessions ----------------------------------------------------------------------------

    def open_session(self, staff_id: str, device: object, ttl: float = SESSION_TTL) -> Session:
        label = check_device(device)
        with self._lock, self._transaction():
            if not self._row(staff_id)["active"]:
                raise StaffError("inactive", "this staff account is deactivated")
            sid = secrets.token_urlsafe(18)
            now = self._clock()
            self._conn.execute(
                "INSERT INTO sessions (sid, staff, device, created, expires)"
                " VALUES (?, ?, ?, ?, ?)",
                (sid, staff_id, label, now, now + ttl),
            )
            self._live[sid] = (now + ttl, staff_id)
        return self.session(sid)

    def session(self, sid: str) -> Session:
        with self._lock:
            row = self._select("SELECT * FROM sessions WHERE sid = ?", sid)
        if row is None:
            raise StaffError("unknown_session", "no such session")
        return Session(**row)

    def sessions(self, staff_id: str | None = None, live_only: bool = True) -> list[Session]:
        now = self._clock()
        with self._lock:
            cursor = self._conn.execute("SELECT * FROM sessions ORDER BY created")
            names = [d[0] for d in cursor.description]
            rows = [Session(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
        return [
            s
            for s in rows
            if (staff_id is None or s.staff == staff_id)
            and (not live_only or (s.revoked_at is None and s.expires > now))
        ]

    def revoke(self, sid: str, by: str) -> bool:
        """Ends a session at once. False if it was already revoked (or unknown)."""
        with self._lock, self._transaction():
            self._live.pop(sid, None)
            cursor = self._conn.execute(
                "UPDATE sessions SET revoked_at = ?, revoked_by = ?"
                " WHERE sid = ? AND revoked_at IS NULL",
                (self._clock(), by, sid),
            )
            return cursor.rowcount == 1

    def revoke_all(self, staff_id: str, by: str) -> list[str]:
        """Every live session of one person (a lost phone, a shift's end). Their sids."""
        sids = [s.sid for s in self.sessions(staff_id)]
        return [sid for sid in sids if self.revoke(sid, by)]

    def is_live(self, sid: str) -> bool:
        """The session exists, is not revoked or expired, and its account is active."""
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version:
                self._reload()
                self._version = version
            entry = self._live.get(sid)
        return entry is not None and entry[0] > self._clock()

    # -- internals ---------------------------------------------------------------------------

    def _reload(self) -> None:
        rows = self._conn.execute(
            "SELECT s.sid, s.expires, s.staff FROM sessions s JOIN accounts a ON a.id = s.staff"
            " WHERE s.revoked_at IS NULL AND a.active = 1 AND s.expires > ?",
            (self._clock(),),
        ).fetchall()
        self._live = {sid: (expires, staff) for sid, expires, staff in rows}

    def _matches(self, stored: str, secret: object) -> bool:
        if not isinstance(secret, str) or len(secret) > PASSWORD_MAX or not _encodable(secret):
            self._burn(None)
            return False
        try:
            return self._hasher.verify(stored, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _burn(self, secret: object) -> None:
        """The same argon2 work as a real check, for an unknown account."""
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_hex(8))
        try:
            usable = isinstance(secret, str) and len(secret) <= PASSWORD_MAX and _encodable(secret)
            self._hasher.verify(self._dummy, secret if usable else "")  # type: ignore[arg-type]
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass

    def _failed(self, staff_id: str, failures: int, now: float) -> None:
        locked = now + LOCK_SECONDS if failures >= MAX_FAILURES else 0.0
        self._conn.execute(
            "UPDATE accounts SET failures = ?, locked_until = ? WHERE id = ?",
            (0 if locked else failures, locked, staff_id),
        )

    def _unique_name(self, name: str, staff_id: str | None) -> None:
        row = self._conn.execute(
            "SELECT id FROM accounts WHERE name_key = ? AND active = 1 AND id != ?",
            (name.casefold(), staff_id or ""),
        ).fetchone()
        if row is not None:
            raise StaffError("duplicate", f"{row[0]} is already called {name}")

    def _select(self, sql: str, *args: object) -> dict[str, Any] | None:
        cursor = self._conn.execute(sql, args)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def _row(self, staff_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._select("SELECT * FROM accounts WHERE id = ?", staff_id)
        if row is None:
            raise StaffError("unknown_staff", "no such staff member")
        return row

    def _transaction(self) -> Any:
        return _Immediate(self._conn)


class _Immediate:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error): nothing half-written."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        self._conn.execute("COMMIT" if kind is None else "ROLLBACK")


def _encodable(text: str) -> bool:
    """UTF-8 can carry it (a lone surrogate cannot: argon2 would raise)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _account(row: dict[str, Any]) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        roles=tuple(row["roles"].split()),
        active=bool(row["active"]),
        created=row["created"],
        has_pin=row["pin_hash"] is not None,
        has_password=row["password_hash"] is not None,
    )
