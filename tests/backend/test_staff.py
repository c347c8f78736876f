"""The staff store: accounts with argon2 hashes, PIN lockout on an injected clock, sessions
and revocation, hostile input refused with nothing half-written, hashes never shown."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from hub.backend.staff import (
    LOCK_SECONDS,
    MAX_FAILURES,
    STAFF_ROLES,
    StaffError,
    StaffStore,
)

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[StaffStore]:
    s = StaffStore(tmp_path / "staff.db", clock=clock, hasher=FAST)
    yield s
    s.close()


def test_create_numbers_accounts_and_orders_roles(store: StaffStore) -> None:
    assert not store.has_accounts()
    ann = store.create("Ann Admin", ["admin", "auctioneer", "admin"], pin="1234")
    bob = store.create("Bob", ["clerk"], password="correct horse")
    assert (ann.id, bob.id) == ("st-1", "st-2")
    assert ann.roles == ("auctioneer", "admin")  # registry order, deduplicated
    assert ann.has_pin
    assert not ann.has_password
    assert bob.has_password
    assert not bob.has_pin
    assert store.has_accounts()
    assert [a.id for a in store.accounts()] == ["st-1", "st-2"]
    assert store.find("ann admin").id == "st-1"
    assert store.find("st-2").name == "Bob"


def test_pin_verifies_and_wrong_pin_is_refused(store: StaffStore) -> None:
    store.create("Ann", ["clerk"], pin="2468")
    assert store.verify_pin("Ann", "2468").id == "st-1"
    with pytest.raises(StaffError) as err:
        store.verify_pin("Ann", "1111")
    assert err.value.reason == "wrong_pin"
    # An unknown name says the same as a wrong PIN (which names exist is not told).
    with pytest.raises(StaffError) as unknown:
        store.verify_pin("Nobody", "2468")
    assert (unknown.value.reason, unknown.value.message) == (err.value.reason, err.value.message)


def test_lockout_after_failures_with_the_real_wait(store: StaffStore, clock: Clock) -> None:
    store.create("Ann", ["clerk"], pin="2468")
    for _ in range(MAX_FAILURES):
        with pytest.raises(StaffError) as err:
            store.verify_pin("Ann", "0000")
        assert err.value.reason == "wrong_pin"
    # Locked: even the right PIN is refused, with the time left.
    clock.now += 61
    with pytest.raises(StaffError) as locked:
        store.verify_pin("Ann", "2468")
    assert locked.value.reason == "locked"
    left = LOCK_SECONDS - 61
    assert locked.value.retry_after == pytest.approx(left)
    assert f"{int(left) // 60} min {int(left) % 60} s" in locked.value.message
    clock.now += left + 1
    assert store.verify_pin("Ann", "2468").name == "Ann"
    # The count starts again after a success.
    with pytest.raises(StaffError):
        store.verify_pin("Ann", "0000")
    assert store.verify_pin("Ann", "2468").name == "Ann"


def test_lockout_survives_a_restart(tmp_path: Path, clock: Clock) -> None:
    first = StaffStore(tmp_path / "staff.db", clock=clock, hasher=FAST)
    first.create("Ann", ["clerk"], pin="2468")
    for _ in range(MAX_FAILURES):
        with pytest.raises(StaffError):
            first.verify_pin("Ann", "9999")
    first.close()
    again = StaffStore(tmp_path / "staff.db", clock=clock, hasher=FAST)
    with pytest.raises(StaffError) as err:
        again.verify_pin("Ann", "2468")
    assert err.value.reason == "locked"
    again.set_pin("st-1", "1357")  # an admin's reset clears the lock
    assert again.verify_pin("Ann", "1357").id == "st-1"
    again.close()


def test_sessions_revoke_and_expire(store: StaffStore, clock: Clock) -> None:
    ann = store.create("Ann", ["clerk"], pin="2468")
    one = store.open_session(ann.id, "terminal:floor-1", ttl=3600)
    two = store.open_session(ann.id, "desktop", ttl=3600)
    assert store.is_live(one.sid)
    assert store.is_live(two.sid)
    assert store.revoke(one.sid, by="st-9")
    assert not store.is_live(one.sid)
    assert not store.revoke(one.sid, by="st-9")  # once
    gone = store.session(one.sid)
    assert gone.revoked_by == "st-9"
    assert gone.revoked_at == clock.now
    assert [s.sid for s in store.sessions(ann.id)] == [two.sid]
    clock.now += 3601
    assert not store.is_live(two.sid)
    assert not store.is_live("no-such-sid")


def test_revoke_all_and_deactivate(store: StaffStore) -> None:
    ann = store.create("Ann", ["clerk"], pin="2468")
    bob = store.create("Bob", ["desk"], pin="1357")
    sids = [store.open_session(ann.id, f"t{i}").sid for i in range(3)]
    keep = store.open_session(bob.id, "desktop").sid
    assert sorted(store.revoke_all(ann.id, by="st-2")) == sorted(sids)
    assert not any(store.is_live(s) for s in sids)
    assert store.is_live(keep)
    assert store.deactivate(bob.id, by="st-1") == [keep]
    assert not store.is_live(keep)
    with pytest.raises(StaffError) as err:
        store.verify_pin("Bob", "1357")
    assert err.value.reason == "wrong_pin"
    with pytest.raises(StaffError) as inactive:
        store.open_session(bob.id, "desktop")
    assert inactive.value.reason == "inactive"
    # The name is free again for a new account.
    assert store.create("Bob", ["desk"], pin="1357").id == "st-3"


def test_a_revoke_from_another_process_is_seen(tmp_path: Path, clock: Clock) -> None:
    stage = StaffStore(tmp_path / "staff.db", clock=clock, hasher=FAST)
    ann = stage.create("Ann", ["clerk"], pin="2468")
    sid = stage.open_session(ann.id, "terminal:a").sid
    assert stage.is_live(sid)
    cli = StaffStore(tmp_path / "staff.db", clock=clock, hasher=FAST)
    assert cli.revoke(sid, by="st-1")
    cli.close()
    assert not stage.is_live(sid)
    stage.close()


def test_update_name_and_roles(store: StaffStore) -> None:
    store.create("Ann", ["clerk"], pin="2468")
    store.create("Bob", ["desk"], pin="1357")
    assert store.update("st-1", roles=["cashier", "clerk"]).roles == ("clerk", "cashier")
    assert store.update("st-1", name="Annie").name == "Annie"
    with pytest.raises(StaffError) as dup:
        store.update("st-1", name="BOB")
    assert dup.value.reason == "duplicate"
    with pytest.raises(StaffError) as unknown:
        store.update("st-99", name="X")
    assert unknown.value.reason == "unknown_staff"


HOSTILE_NAMES = [
    "",
    "   ",
    "x" * 101,
    "Ann\nAdmin",
    "Ann\x00",
    "Ann\x1b[31m",
    "Ann\u2028",
    "Ann\u202eevil",
    "\ud800Ann",
    "<script>alert(1)</script>",
    42,
    None,
    ["Ann"],
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_hostile_names_are_refused_and_nothing_is_written(store: StaffStore, name: object) -> None:
    with pytest.raises(StaffError) as err:
        store.create(name, ["clerk"], pin="1234")
    assert err.value.reason == "invalid"
    assert store.accounts() == []


@pytest.mark.parametrize(
    "roles",
    [[], "clerk", ["root"], ["clerk", "bidder"], [None], ["clerk\x00"], ["x" * 10_000], 7],
    ids=repr,
)
def test_bad_roles_are_refused(store: StaffStore, roles: object) -> None:
    with pytest.raises(StaffError) as err:
        store.create("Ann", roles, pin="1234")
    assert err.value.reason == "invalid"
    assert len(err.value.message) < 200  # a huge role is not echoed whole
    assert store.accounts() == []


@pytest.mark.parametrize(
    "pin", ["", "123", "1" * 13, "12a4", "١٢٣٤", "12 34", 1234, None, "\ud8001234"], ids=repr
)
def test_bad_pins_are_refused(store: StaffStore, pin: object) -> None:
    with pytest.raises(StaffError) as err:
        store.create("Ann", ["clerk"], pin=pin if pin is not None else "x")
    assert err.value.reason == "invalid"
    assert store.accounts() == []


@pytest.mark.parametrize("pin", ["", "x" * 100_000, 1234, None, ["1234"], "\ud800", "é"])
def test_hostile_pins_at_verify_are_just_wrong(store: StaffStore, pin: object) -> None:
    store.create("Ann", ["clerk"], pin="2468")
    with pytest.raises(StaffError) as err:
        store.verify_pin("Ann", pin)
    assert err.value.reason == "wrong_pin"


@pytest.mark.parametrize(
    "who", ["", "x" * 10_000, "st-1\n", None, 3, "\ud800", "Ann\u202e"], ids=repr
)
def test_hostile_names_at_verify(store: StaffStore, who: object) -> None:
    store.create("Ann", ["clerk"], pin="2468")
    with pytest.raises(StaffError) as err:
        store.verify_pin(who, "2468")
    assert err.value.reason == "wrong_pin"


@pytest.mark.parametrize(
    "device", ["", "x" * 49, "a\nb", "a\u200bb", "\ud800", " lead", None, 5], ids=repr
)
def test_bad_device_labels_are_refused(store: StaffStore, device: object) -> None:
    ann = store.create("Ann", ["clerk"], pin="2468")
    with pytest.raises(StaffError) as err:
        store.open_session(ann.id, device)
    assert err.value.reason == "invalid"
    assert store.sessions() == []


def test_bad_passwords(store: StaffStore) -> None:
    for password in ("short", "x" * 257, "pass\x00word", None):
        with pytest.raises(StaffError):
            store.create("Ann", ["clerk"], password=password)
    with pytest.raises(StaffError) as none:
        store.create("Ann", ["clerk"])
    assert "PIN or a password" in none.value.message
    assert store.accounts() == []
    store.create("Ann", ["clerk"], password="a long passphrase")
    assert store.verify_password("Ann", "a long passphrase").id == "st-1"
    with pytest.raises(StaffError):
        store.verify_password("Ann", "a long passphrasf")


def test_hashes_are_argon2_and_never_shown_or_logged(
    store: StaffStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ann = store.create("Ann", list(STAFF_ROLES), pin="2468", password="a long passphrase")
    store.verify_pin("Ann", "2468")
    with pytest.raises(StaffError):
        store.verify_pin("Ann", "0000")
    store.open_session(ann.id, "desktop")
    conn = sqlite3.connect(tmp_path / "staff.db")
    pin_hash, password_hash = conn.execute(
        "SELECT pin_hash, password_hash FROM accounts"
    ).fetchone()
    conn.close()
    assert pin_hash.startswith("$argon2id$")
    assert password_hash.startswith("$argon2id$")
    assert "2468" not in pin_hash
    shown = [
        repr(store.accounts()),
        repr([a.to_json() for a in store.accounts()]),
        repr(store.get("st-1")),
        repr([s.to_json() for s in store.sessions()]),
        caplog.text,
    ]
    for text in shown:
        assert "$argon2" not in text
        assert "2468" not in text
        assert pin_hash not in text


def test_unknown_session(store: StaffStore) -> None:
    with pytest.raises(StaffError) as err:
        store.session("nope")
    assert err.value.reason == "unknown_session"
