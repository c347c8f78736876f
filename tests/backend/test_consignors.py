"""Consignor records in the identities file: checked on the way in (IBAN with schwifty), clear
errors, hostile input refused with nothing written, erasure keeps the reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.backend.consignors import ConsignorError, ConsignorStore
from hub.backend.identities import IdentityStore
from hub.backend.statements import Party

GOOD: dict[str, Any] = {
    "name": "Héloïse Martin",
    "address": "12 rue des Arts\n75006 Paris",
    "country": "fr",
    "email": "heloise@example.org",
    "phone": "+33 1 23 45 67 89",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "vat_id": "FR 40 303 265 045",
}


@pytest.fixture
def store(tmp_path: Path) -> ConsignorStore:
    clock = iter(float(t) for t in range(1000, 2000))
    return ConsignorStore(tmp_path / "identities.db", clock=lambda: next(clock))


def test_a_consignor_is_stored_normalised_and_read_back(store: ConsignorStore) -> None:
    row = store.add("C-17", GOOD)
    assert row["reference"] == "C-17"
    assert row["name"] == "Héloïse Martin"
    assert row["country"] == "FR"
    assert row["iban"] == "DE89370400440532013000"
    assert row["vat_id"] == "FR40303265045"
    assert row["created"] == 1000.0
    assert row["erased"] is None
    assert store.get("C-17") == row
    assert store.party("C-17") == Party(
        "C-17",
        name="Héloïse Martin",
        address="12 rue des Arts\n75006 Paris",
        country="FR",
        email="heloise@example.org",
        vat_id="FR40303265045",
        iban="DE89370400440532013000",
    )


def test_it_shares_the_identities_file_with_bidders(tmp_path: Path) -> None:
    path = tmp_path / "identities.db"
    bidders = IdentityStore(path)
    bidders.add("s1", "101", {"name": "A Buyer"})
    consignors = ConsignorStore(path)
    consignors.add("C-1", {"name": "A Seller"})
    assert bidders.get("s1", "101") is not None
    assert ConsignorStore(path).get("C-1") is not None
    assert sorted(bidders.db.table_names()) == ["consignors", "customers", "identities", "payers"]


def test_only_a_name_is_required(store: ConsignorStore) -> None:
    row = store.add("C-2", {"name": "Ana"})
    assert row["iban"] == ""
    assert row["country"] == ""
    with pytest.raises(ConsignorError, match="name is required"):
        store.add("C-3", {"email": "a@b.org"})
    assert store.get("C-3") is None


def test_unknown_references_read_as_bare_parties(store: ConsignorStore) -> None:
    assert store.get("nobody") is None
    assert store.party("nobody") == Party("nobody")


def test_a_duplicate_reference_is_refused_and_the_first_kept(store: ConsignorStore) -> None:
    store.add("C-1", {"name": "First"})
    with pytest.raises(ConsignorError, match="already exists"):
        store.add("C-1", {"name": "Second"})
    assert store.get("C-1")["name"] == "First"  # type: ignore[index]


def test_update_changes_only_the_fields_given(store: ConsignorStore) -> None:
    store.add("C-1", GOOD)
    row = store.update("C-1", {"phone": "020 7946 0000"})
    assert row["phone"] == "020 7946 0000"
    assert row["iban"] == "DE89370400440532013000"
    with pytest.raises(ConsignorError, match="no consignor"):
        store.update("C-9", {"phone": "1234"})
    with pytest.raises(ConsignorError, match="name is required"):
        store.update("C-1", {"name": "  "})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iban", "DE89 3704 0044 0532 0130 01", "IBAN .* is not valid"),
        ("iban", "XX00", "IBAN .* is not valid"),
        ("bic", "COBA", "BIC .* is not valid"),
        ("country", "France", "two-letter ISO code"),
        ("email", "not-an-email", "not an email address"),
        ("phone", "call me maybe", "digits, spaces"),
        ("vat_id", "12", "VAT id"),
        ("name", "A\x00B", "control character.*U\\+0000"),
        ("name", "Line\nbreak", "a single line"),
        ("name", "Bad\ud800", "lone surrogate"),
        ("name", "x" * 201, "at most 200 characters"),
        ("name", "x" * 100_000, "at most 200 characters"),
        ("name", "tab\there", "contains a tab"),
        ("name", "evil\u202egnp.exe", "direction override"),
        ("address", "\n".join(["line"] * 9), "more than 8 lines"),
        ("address", "a\x1bb", "control character.*U\\+001B"),
        ("name", 42, "must be text"),
        ("name", ["a list"], "must be text"),
    ],
)
def test_bad_fields_are_refused_with_a_clear_message(
    store: ConsignorStore, field: str, value: Any, message: str
) -> None:
    with pytest.raises(ConsignorError, match=message):
        store.add("C-1", {**GOOD, field: value})
    assert store.list() == []


@pytest.mark.parametrize(
    "reference", ["", " C1", "C1 ", "C\n1", "C\u200b1", "C\ud8001", "x" * 65, 17, None]
)
def test_bad_references_are_refused(store: ConsignorStore, reference: Any) -> None:
    with pytest.raises(ConsignorError):
        store.add(reference, {"name": "A"})
    assert store.list() == []


def test_unknown_fields_are_refused(store: ConsignorStore) -> None:
    with pytest.raises(ConsignorError, match="unknown field"):
        store.add("C-1", {"name": "A", "password": "x"})
    with pytest.raises(ConsignorError, match="table of fields"):
        store.add("C-1", ["name", "A"])  # type: ignore[arg-type]


def test_hostile_but_printable_text_is_kept_verbatim(store: ConsignorStore) -> None:
    name = "<script>alert(1)</script> \u05e9\u05dc\u05d5\u05dd \u200f=cmd|' /C calc'!A0"
    assert store.add("C-1", {"name": name})["name"] == name


def test_erase_forgets_the_person_and_keeps_the_reference(store: ConsignorStore) -> None:
    store.add("C-1", GOOD)
    store.add("C-2", {"name": "Other"})
    store.erase("C-1")
    row = store.get("C-1")
    assert row is not None
    assert row["erased"] == 1002.0
    assert all(row[name] == "" for name in ("name", "address", "email", "phone", "iban"))
    assert store.party("C-1") == Party("C-1")
    assert [r["reference"] for r in store.list()] == ["C-1", "C-2"]
    with pytest.raises(ConsignorError, match="was erased"):
        store.update("C-1", {"name": "Back"})
    with pytest.raises(ConsignorError, match="no consignor"):
        store.erase("C-9")
