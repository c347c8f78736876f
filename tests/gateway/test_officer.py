"""The officer's routes on a real aiohttp server on loopback: only a person holding the officer
role gets in, notes are written, listed, moved through their statuses, never cached, and bad
bodies are refused with a reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.auction.commands import BY_OP
from hub.auction.events import Actor
from hub.backend import sar
from hub.gateway.intake import refusals
from hub.gateway.keys import ISSUER, SALE
from hub.gateway.officer import add_officer_routes
from hub.gateway.tokens import TokenIssuer, load_or_create_key
from hub.stage import Stage
from tests.backend.moneykit import Clock

BASE = "/api/sales/autumn/officer/notes"
TEXT = "Asked twice whether cash over 10,000 is 'reported anywhere'."


class Sale:
    sale_id = "autumn"


class Room:
    """The server, an issuer for tokens, and what the sale journaled."""

    def __init__(self, server: TestServer, issuer: TokenIssuer, journaled: list[dict]) -> None:
        self.server = server
        self.issuer = issuer
        self.journaled = journaled

    def token(self, role: str, roles: tuple[str, ...], sid: str | None = "s-1") -> str:
        if role == "bidder":
            return self.issuer.issue("bidder", "autumn", paddle="101")
        subject = "st-7" if sid else None
        return self.issuer.issue(role, "autumn", subject=subject, roles=roles, sid=sid)

    async def call(
        self, method: str, path: str, token: str | None, body: Any = None
    ) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.server.make_url(path), json=body, headers=headers) as r,
        ):
            return r.status, await r.json(content_type=None), r.headers


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Room]:
    journaled: list[dict] = []

    async def submit(command: dict, actor: Actor) -> tuple[bool, str]:
        if command["paddle"] == "999":
            return False, "no bidder 999"
        journaled.append(command)
        return True, ""

    notes = sar.OfficerNotes(tmp_path / "officer.db", clock=Clock())
    issuer = TokenIssuer(load_or_create_key(tmp_path), "https://auctionmen.local/sales/")
    app = web.Application(middlewares=[refusals])
    app[SALE] = Sale()  # type: ignore[misc]
    app[ISSUER] = issuer
    add_officer_routes(app, sar.OfficerDesk(notes, "autumn", submit))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield Room(server, issuer, journaled)
    await server.close()
    notes.close()


async def test_the_officer_writes_lists_and_reports_a_note(room: Room) -> None:
    officer = room.token("desk", ("desk", "officer"))
    status, note, headers = await room.call("POST", BASE, officer, {"paddle": "101", "text": TEXT})
    assert status == 201
    assert (note["reference"], note["status"], note["by"]) == ("sar-1", "open", "st-7")
    assert "no-store" in headers["Cache-Control"]
    assert room.journaled == [{"op": "note_suspicion", "paddle": "101", "reference": "sar-1"}]
    status, body, _ = await room.call("GET", BASE, officer)
    assert [n["text"] for n in body["notes"]] == [TEXT]
    status, moved, _ = await room.call(
        "POST", f"{BASE}/sar-1/status", officer, {"status": "reported", "comment": "FIU 77"}
    )
    assert status == 200
    assert moved["changes"][0]["comment"] == "FIU 77"
    status, body, _ = await room.call("GET", f"{BASE}?status=open", officer)
    assert body["notes"] == []
    status, one, _ = await room.call("GET", f"{BASE}/sar-1", officer)
    assert one["status"] == "reported"


@pytest.mark.parametrize(
    ("role", "roles", "sid", "status"),
    [
        ("desk", ("desk", "cashier"), "s-1", 403),
        ("admin", ("admin",), "s-1", 403),
        ("bidder", (), None, 403),
        ("clerk", ("clerk",), "s-1", 403),
    ],
)
async def test_no_one_else_gets_in(
    room: Room, role: str, roles: tuple[str, ...], sid: str | None, status: int
) -> None:
    token = room.token(role, roles, sid)
    for method, path, body in (
        ("GET", BASE, None),
        ("POST", BASE, {"paddle": "101", "text": TEXT}),
        ("GET", f"{BASE}/sar-1", None),
        ("POST", f"{BASE}/sar-1/status", {"status": "closed", "comment": "x"}),
    ):
        got, answer, _ = await room.call(method, path, token, body)
        assert got == status, (method, path)
        assert answer["reason"] == "forbidden"
        assert TEXT not in str(answer)
    got, _, _ = await room.call("GET", BASE, None)
    assert got == 401
    assert room.journaled == []


@pytest.mark.parametrize(
    ("body", "reason", "words"),
    [
        ({"paddle": "101"}, "invalid", "'text' must be non-empty"),
        ({"paddle": "101", "text": "x" * 8001}, "invalid", "at most"),
        ({"paddle": "101", "text": "a\u2028b"}, "invalid", "'text'"),
        ({"paddle": ["101"], "text": TEXT}, "invalid", "'paddle' must be text"),
        ({"paddle": "101", "text": TEXT, "status": "closed"}, "invalid", "unknown field"),
        ({"paddle": "999", "text": TEXT}, "invalid", "the sale refused the note: no bidder 999"),
    ],
)
async def test_bad_notes_are_refused_and_kept_nowhere(
    room: Room, body: dict, reason: str, words: str
) -> None:
    officer = room.token("desk", ("desk", "officer"))
    status, answer, _ = await room.call("POST", BASE, officer, body)
    assert status == 422
    assert answer["reason"] == reason
    assert words in answer["detail"]
    status, listing, _ = await room.call("GET", BASE, officer)
    assert listing["notes"] == []


async def test_unknown_notes_and_statuses(room: Room) -> None:
    officer = room.token("officer", ("officer",))
    status, answer, _ = await room.call("GET", f"{BASE}/sar-4", officer)
    assert (status, answer["reason"]) == (404, "not_found")
    status, answer, _ = await room.call("GET", f"{BASE}?status=deleted", officer)
    assert status == 422
    await room.call("POST", BASE, officer, {"paddle": "101", "text": TEXT})
    status, answer, _ = await room.call(
        "POST", f"{BASE}/sar-1/status", officer, {"status": "gone", "comment": "x"}
    )
    assert status == 422
    assert "'status' must be one of" in answer["detail"]
    status, answer, _ = await room.call("GET", "/api/sales/other/officer/notes", officer)
    assert status == 404


async def test_the_stage_serves_the_officer_routes(stage: Stage, http: aiohttp.ClientSession):
    """On a real stage: the notes file is the stage's own, the journal gets the reference (or
    refuses it while the core has no note_suspicion, and then no note is kept)."""
    # A legacy staff token (no staff accounts yet) acts for the whole house, officer included.
    officer = {"Authorization": f"Bearer {stage.issuer.issue('auctioneer', 'demo')}"}
    clerk = stage.issuer.issue("clerk", "demo", subject="st-2", roles=("clerk",), sid="s-2")
    base = "/api/sales/demo/officer/notes"
    async with http.get(base, headers=officer) as r:
        assert r.status == 200
        assert (await r.json())["notes"] == []
    async with http.post(base, json={"paddle": "101", "text": TEXT}, headers=officer) as r:
        answer = await r.json(content_type=None)
        if sar.NOTE_OP in BY_OP:
            assert r.status == 201, answer
            assert answer["reference"] == "sar-1"
        else:
            assert r.status == 422
            assert "the sale refused the note" in answer["detail"]
    assert (stage.config.data_dir / "officer.db").is_file()
    async with http.get(base, headers={"Authorization": f"Bearer {clerk}"}) as r:
        assert r.status in (401, 403)  # a clerk: not the officer (or no live session)


def test_the_openapi_document_lists_the_officer_routes() -> None:
    from hub.gateway.openapi import document

    paths = document()["paths"]
    assert set(paths[BASE.replace("autumn", "{sale}")]) == {"get", "post"}
    assert "post" in paths["/api/sales/{sale}/officer/notes/{ref}/status"]
    assert "403" in paths["/api/sales/{sale}/officer/notes/{ref}"]["get"]["responses"]
