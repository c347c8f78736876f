"""Personal data lives outside the journal: erasing a person leaves the legal record intact."""

from __future__ import annotations

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
