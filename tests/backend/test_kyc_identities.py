"""KYC fields in the identities store: checked like every other field, linked into customers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from hub.backend.identities import (
    IdentityError,
    IdentityStore,
    clean_identity,
    owners_of,
    store_scan,
)

SCAN = hashlib.sha256(b"scan").hexdigest()


@pytest.fixture
def store(tmp_path: Path):
    store = IdentityStore(tmp_path / "identities.db")
    yield store
    store.close()


def test_kyc_fields_are_stored_and_read_back(store):
    store.add(
        "spring",
        "101",
        {
            "name": "Ada Lovelace",
            "dob": "1955-12-10",
            "id_type": "passport",
            "id_number": "P1234567",
            "id_expiry": "2031-05-01",
            "id_scan": SCAN,
            "company": "Analytical Engines Ltd",
            "beneficial_owners": [{"name": "Charles Babbage", "dob": "1951-12-26"}, "Mary S"],
        },
    )
    row = store.get("spring", "101")
    assert row is not None
    assert (row["dob"], row["id_type"], row["id_number"]) == ("1955-12-10", "passport", "P1234567")
    assert row["id_scan"] == SCAN
    assert owners_of(row) == [
        {"name": "Charles Babbage", "dob": "1951-12-26"},
        {"name": "Mary S"},
    ]
    assert row["customer"] == "cu-1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"dob": "10/12/1955"}, "'dob' must be a date"),
        ({"dob": "1955-02-30"}, "not a real date"),
        ({"dob": "1855-02-03"}, "between 1900 and 2199"),
        ({"id_expiry": 20310501}, "'id_expiry' must be text"),
        ({"id_type": "library card"}, "'id_type' must be one of"),
        ({"id_number": "P1\u202e23"}, "'id_number' contains invisible"),
        ({"id_number": "P" * 41}, "at most 40"),
        ({"id_number": "P1\ud800"}, "lone surrogate"),
        ({"id_scan": "abc"}, "SHA-256"),
        ({"company": "A\x00B"}, "'company' contains control"),
        ({"company": "x" * 201}, "at most 200"),
        ({"company": "Evil\u202eCo"}, "direction override"),
        ({"beneficial_owners": "Bob"}, "must be a list"),
        ({"beneficial_owners": [{"name": ""}]}, "needs a name"),
        ({"beneficial_owners": [{"name": "A", "role": "x"}]}, "must be {name, dob}"),
        ({"beneficial_owners": [{"name": "A\nB"}]}, "single line"),
        ({"beneficial_owners": [{"name": "A", "dob": "soon"}]}, "dob. must be a date"),
        ({"beneficial_owners": [{"name": f"O{i}"} for i in range(11)]}, "at most 10"),
        ({"customer": "someone"}, "customer id"),
    ],
)
def test_bad_kyc_fields_are_refused_and_nothing_is_written(store, fields, message):
    with pytest.raises(IdentityError, match=message):
        store.add("spring", "101", {"name": "Ada", **fields})
    assert store.get("spring", "101") is None
    with pytest.raises(IdentityError, match=message):
        clean_identity(fields)


def test_a_customer_is_matched_on_the_id_number_then_the_email(store):
    store.add("autumn", "5", {"name": "Ada", "id_number": "P1", "email": "ada@example.org"})
    store.add("spring", "7", {"name": "Ada L", "id_number": "P1"})  # same document
    store.add("spring", "8", {"name": "A. Lovelace", "email": "ADA@example.org"})  # same email
    store.add("spring", "9", {"name": "Someone Else", "email": "else@example.org"})
    assert store.paddles_of("cu-1") == [("autumn", "5"), ("spring", "7"), ("spring", "8")]
    assert store.paddles_of("cu-2") == [("spring", "9")]


def test_the_desk_can_choose_the_customer_or_link_by_a_later_id_number(store):
    store.add("autumn", "5", {"name": "Ada", "id_number": "P1"})
    store.add("spring", "7", {"name": "Ada"})
    assert store.get("spring", "7")["customer"] == "cu-2"
    store.update("spring", "7", {"id_number": "P1"})
    assert store.get("spring", "7")["customer"] == "cu-1"
    store.add("spring", "8", {"name": "Bo", "customer": "cu-1"})
    assert [p for _, p in store.paddles_of("cu-1")] == ["5", "7", "8"]
    with pytest.raises(IdentityError, match="no customer cu-99"):
        store.add("spring", "9", {"name": "Bo", "customer": "cu-99"})
    assert store.get("spring", "9") is None


def test_an_update_with_a_bad_field_changes_nothing(store):
    store.add("spring", "7", {"name": "Ada", "dob": "1960-01-01"})
    with pytest.raises(IdentityError):
        store.update("spring", "7", {"dob": "1961-01-01", "id_type": "bus pass"})
    assert store.get("spring", "7")["dob"] == "1960-01-01"
    with pytest.raises(IdentityError, match="has no identity"):
        store.update("spring", "404", {"dob": "1961-01-01"})


def test_erasure_wipes_the_kyc_fields_but_keeps_the_customer_id(store):
    store.add(
        "spring",
        "7",
        {"name": "Ada", "dob": "1960-01-01", "id_number": "P1", "beneficial_owners": ["Bo"]},
    )
    store.erase("spring", "7")
    row = store.get("spring", "7")
    assert row is not None
    assert all(row[k] == "" for k in ("name", "dob", "id_number", "beneficial_owners"))
    assert row["customer"] == "cu-1"
    # An erased person links to no one new.
    store.add("spring", "8", {"name": "Other", "id_number": "P1"})
    assert store.get("spring", "8")["customer"] == "cu-2"


def test_an_old_store_gains_the_kyc_columns_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "identities.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE identities (sale TEXT, paddle TEXT, name TEXT, email TEXT, phone TEXT,"
        " created FLOAT, erased FLOAT, PRIMARY KEY (sale, paddle))"
    )
    conn.execute("INSERT INTO identities VALUES ('s', '1', 'Old', '', '', 1.0, NULL)")
    conn.commit()
    conn.close()
    store = IdentityStore(path)
    try:
        row = store.get("s", "1")
        assert row is not None
        assert (row["name"], row["dob"]) == ("Old", "")
        store.update("s", "1", {"dob": "1970-01-01"})
        assert store.get("s", "1")["customer"] == "cu-1"  # type: ignore[index]
    finally:
        store.close()


def test_a_scan_is_stored_once_under_its_hash(tmp_path):
    digest = store_scan(tmp_path, b"%PDF-1.7 a passport")
    assert digest == hashlib.sha256(b"%PDF-1.7 a passport").hexdigest()
    assert (tmp_path / "kyc" / f"{digest}.scan").read_bytes() == b"%PDF-1.7 a passport"
    assert store_scan(tmp_path, b"%PDF-1.7 a passport") == digest
    assert [p.name for p in (tmp_path / "kyc").iterdir()] == [f"{digest}.scan"]
    with pytest.raises(IdentityError, match="empty"):
        store_scan(tmp_path, b"")
    with pytest.raises(IdentityError, match="larger than"):
        store_scan(tmp_path, b"x" * 2_000_000, limit=1024 * 1024)


def test_the_owners_column_is_json_text(store):
    store.add("s", "1", {"name": "Co", "beneficial_owners": [{"name": "Zoë \u05d0"}]})
    row = store.get("s", "1")
    assert row is not None
    assert json.loads(row["beneficial_owners"]) == [{"name": "Zoë \u05d0"}]
