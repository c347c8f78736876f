"""Personal data lives outside the journal: erasing a person leaves the legal record intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.backend.identities import IdentityError, IdentityStore
from hub.journal.verify import verify


async def test_erasing_a_bidder_keeps_the_journal_verifiable(stage):
    paddle = await stage.register_online_bidder(
        {"name": "Ada Lovelace", "email": "ada@example.org"}
    )
    names = {b["paddle"]: b["name"] for b in stage.bidders()}
    assert names[paddle] == "Ada Lovelace"
    stage.identities.erase(stage.sale_id, paddle)
    row = stage.identities.get(stage.sale_id, paddle)
    assert row is not None
    assert (row["name"], row["email"]) == ("", "")
    assert row["erased"] is not None
    assert {b["paddle"]: b["name"] for b in stage.bidders()}[paddle] == ""
    assert paddle in stage.engine.bidders  # the paddle itself stays in the record
    report = verify(stage.config.journal_path)
    assert report.ok, report.lines()


def test_a_payers_name_is_kept_by_reference_and_erased_with_the_paddle(tmp_path: Path) -> None:
    store = IdentityStore(tmp_path / "identities.db")
    store.add("autumn", "101", {"name": "Ada Lovelace"})
    store.add("autumn", "102", {"name": "Bob"})
    ada = store.add_payer("autumn", "101", "  Acme Ltd ")
    bob = store.add_payer("autumn", "102", "Bob's Mum")
    assert re.fullmatch(r"py-[0-9a-f]{16}", ada)
    assert ada != bob
    assert store.payer_name(ada) == "Acme Ltd"
    assert store.payer_name("py-nope") is None
    store.erase("autumn", "101")
    assert store.payer_name(ada) is None
    assert store.payer_name(bob) == "Bob's Mum"  # another paddle's payer stays
    row = store.db.execute("SELECT name, erased FROM payers WHERE ref = ?", [ada]).fetchone()
    assert row[0] == ""
    assert row[1] is not None
    store.remove_payer(bob)
    assert store.payer_name(bob) is None
    store.close()


@pytest.mark.parametrize(
    "name", ["", "   ", "a\x00b", "line\nbreak", "\ud800", "x" * 201, "\u2028", None, 7]
)
def test_a_bad_payer_name_is_refused_and_nothing_is_stored(tmp_path: Path, name: object) -> None:
    store = IdentityStore(tmp_path / "identities.db")
    with pytest.raises(IdentityError, match="'payer'"):
        store.add_payer("autumn", "101", name)  # type: ignore[arg-type]
    assert store.db.execute("SELECT COUNT(*) FROM payers").fetchone()[0] == 0
    store.close()
