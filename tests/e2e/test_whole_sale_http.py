"""A whole two-session sale over HTTP, from an empty data dir, in Debian's Chromium.

The issue's proof, the web side (the same sale in the desktop app is
tests/app/test_sale_day_e2e.py): `auctionmen sale new` from a sale file, `auctionmen serve` on
it, the catalogue and the bidders over the API, go live, then the clerk page and a bidder's
page in Chromium: lots sold through every channel (room, phone, online, commission, house), a
live amendment, a session break, a re-offered lot, a subject-to lot resolved, the close and its
seal; then the sealed file through `auctionmen journal verify`, `sale list` and `results`.

What the pages have no control for (go live, amendments, session breaks, re-offer, the
vendor's answer, close) goes over HTTP with a staff token, as the desktop app would send it;
every page then has to show the news from the stream.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hub.auction.commands import BY_ACTION
from hub.journal.db import connect_reader
from hub.journal.replay import iter_events

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import PHONE, ROOT, browser, new_page, require_gateway, screenshot
from test_pages_live import wait_text

__all__ = ["browser"]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXE = ROOT / ".venv" / "bin" / "auctionmen"
SALE = "winter-2026"
JSON = dict[str, Any]

# Two sessions, subject-to sales below the reserve, commission bids executed automatically.
SALE_FILE = """\
id = "winter-2026"
title = "Winter Sale"
house = "Harcourt & Sons"
currency = "EUR"
timezone = "Europe/London"

[[sessions]]
name = "Day 1"
starts = 2026-12-05T10:00:00
from_lot = "1"
to_lot = "3"

[[sessions]]
name = "Day 2"
starts = 2026-12-06T10:00:00
from_lot = "4"
to_lot = "6"

[settings]
subject_to = true
auto_absentee = true
buyer_premium = [[0, 2500]]
vat_rate_bp = 2000
"""

# (id, title, start, reserve), minor units. Lot 2's reserve is where its commission bid opens
# it; lot 4's is above what it sells for (subject to the vendor).
CATALOGUE = [
    ("1", "Staffordshire spaniels", 10000, None),
    ("2", "Georgian cream jug", 50000, 100000),
    ("3", "Pool study", 20000, None),
    ("4", "Walnut tea caddy", 40000, 80000),
    ("5", "Oak coffer", 30000, None),
    ("6", "Brass lantern", 20000, None),
]
ROOM_PADDLE, PHONE_PADDLE, BOOK_PADDLE = "101", "202", "404"
ONLINE_NAME = "Olive Onlinebidder"


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=check
    )


class SaleServer:
    """`auctionmen serve --sale ID` on loopback; staff commands over HTTP."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.staff = ""

    def start(self, timeout: float = 20.0) -> None:
        cmd = [str(EXE), "serve", "--data-dir", str(self.data_dir), "--sale", SALE, "--tls", "off"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", "0", "--json-logs"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"auctionmen serve exited with {self.proc.returncode}")
                continue
            with contextlib.suppress(ValueError):
                info = json.loads(line)
                if info.get("event") == "serving":
                    assert info["sale"] == SALE
                    self.url = info["url"]
                    # Keep reading stdout so the server never blocks on a full pipe.
                    threading.Thread(target=self._drain, daemon=True).start()
                    self.staff = self.token("auctioneer")
                    return
        raise RuntimeError("auctionmen serve did not report its address in time")

    def _drain(self) -> None:
        proc = self.proc
        if proc and proc.stdout:
            for _ in proc.stdout:
                pass

    def stop(self) -> int | None:
        """SIGTERM, and the exit code (None if it had to be killed)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            return None

    def token(self, role: str, paddle: str | None = None) -> str:
        args = ["token", "--data-dir", str(self.data_dir), "--role", role, "--sale", SALE]
        return cli(*args, *(["--paddle", paddle] if paddle else [])).stdout.strip()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def __call__(self, body: JSON) -> JSON:
        """A staff command that must be accepted."""
        status, answer = self.call("POST", f"/api/sales/{SALE}/commands", body, self.staff)
        assert status == 200, (body, status, answer)
        return answer

    def state(self) -> JSON:
        status, snap = self.call("GET", f"/api/sales/{SALE}/state", token=self.staff)
        assert status == 200
        return snap


def key(action: str) -> str:
    """The clerk page's key for an action, as Playwright names it (from the registry)."""
    k = BY_ACTION[action].key
    return k if len(k) > 1 else k.lower()


def clerk_bid(clerk: Any, paddle: str) -> None:
    """The clerk types a paddle and presses Enter: that paddle bids the ask."""
    clerk.locator("#paddle").focus()
    clerk.keyboard.type(paddle)
    clerk.keyboard.press("Enter")


def clerk_key(clerk: Any, action: str) -> None:
    clerk.locator("#paddle").focus()
    clerk.keyboard.press(key(action))


def high_of(stage: SaleServer) -> JSON:
    lot = stage.state()["lot"]
    assert lot is not None
    assert lot["high"] is not None
    return dict(lot["high"])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    require_gateway()
    return tmp_path / "data"


def test_a_two_session_sale_over_http(browser: Any, data_dir: Path, tmp_path: Path) -> None:
    # -- 1. the sale from a file, in an empty data dir: a draft
    assert not data_dir.exists()
    sale_file = tmp_path / "sale.toml"
    sale_file.write_text(SALE_FILE, "utf-8")
    cli("sale", "new", "--data-dir", str(data_dir), "--file", str(sale_file))
    listing = json.loads(cli("sale", "list", "--data-dir", str(data_dir), "--json").stdout)
    assert [(s["id"], s["status"], s["lots"]) for s in listing] == [(SALE, "draft", 0)]
    journal = data_dir / "sales" / f"{SALE}.db"

    stage = SaleServer(data_dir)
    stage.start()
    pages: list[Any] = []
    try:
        # -- 2. the catalogue and the bidders over HTTP, while the sale is a draft. (There is
        # no HTTP import endpoint: CSV/XLSX imports are the desktop app's, proved by
        # tests/app/test_sale_day_e2e.py; here each row is the add_lot it becomes.)
        for lot_id, title, start, reserve in CATALOGUE:
            lot: JSON = {
                "id": lot_id,
                "title": title,
                "start": start,
                "low": start * 2,
                "high": start * 3,
                "quantity": 2 if lot_id == "1" else 1,
                "consignor": f"V-{lot_id}",
                "vat": "standard" if lot_id == "5" else "margin",
                "arr": lot_id == "3",
                "category": "Ceramics" if lot_id in ("1", "2") else "Furniture",
                "condition": "Good overall",
            }
            if reserve is not None:
                lot["reserve"] = reserve
            stage({"op": "add_lot", "lot": lot})
        stage({"op": "register_bidder", "paddle": ROOM_PADDLE, "status": "approved"})
        stage({"op": "register_bidder", "paddle": PHONE_PADDLE, "channel": "phone"})
        stage({"op": "approve_bidder", "paddle": PHONE_PADDLE})
        book = {"paddle": BOOK_PADDLE, "channel": "absentee", "status": "approved"}
        stage({"op": "register_bidder", **book})
        # A remote bidder signs up on the register endpoint (the name stays in the identity
        # store, never in the journal) and staff approve them: the answer is their link.
        status, signup = stage.call(
            "POST", f"/api/sales/{SALE}/register", {"name": ONLINE_NAME, "email": "o@example.org"}
        )
        assert (status, signup["status"]) == (202, "pending"), signup
        online = str(signup["paddle"])
        link = stage({"op": "approve_bidder", "paddle": online})["link"]
        bidder_token = link.split("#token=", 1)[1]
        # A commission bid taken by staff on lot 2, above its reserve.
        stage({"op": "absentee_bid", "lot": "2", "paddle": BOOK_PADDLE, "max": 120000})

        # -- the pages: the clerk terminal and the online bidder's phone
        clerk = new_page(browser)
        clerk.goto(f"{stage.url}/clerk#token={stage.token('clerk')}")
        bidder = new_page(browser, PHONE)
        bidder.goto(f"{stage.url}/bid#token={bidder_token}")
        pages += [clerk, bidder]
        wait_text(bidder, "#paddle", f"Paddle {online}")
        wait_text(bidder, "#status", "The sale has not started")
        wait_text(clerk, "[data-action=next_lot]", "Next: lot 1")

        # -- 3. live (no go-live control on the pages: over HTTP)
        stage({"op": "go_live"})
        bidder.wait_for_selector("#life", state="hidden")

        # Lot 1: the clerk's N; a room bid (Space), an online bid (the bidder's button), the
        # phone paddle typed and Enter; the hammer (H).
        clerk_key(clerk, "next_lot")
        wait_text(bidder, "#lot-number", "Lot 1")
        wait_text(bidder, "#lot-facts", "Quantity 2")
        wait_text(bidder, "#bid", "Bid €100")
        clerk_key(clerk, "floor_bid")
        wait_text(clerk, "#high-who", "Room (no paddle) · floor")
        wait_text(bidder, "#current", "€100")
        wait_text(bidder, "#bid", "Bid €110")
        bidder.click("#bid")
        wait_text(bidder, "#status", "You are winning")
        wait_text(clerk, "#high-who", f"Paddle {online} · online")
        clerk_bid(clerk, PHONE_PADDLE)
        wait_text(clerk, "#high-who", f"Paddle {PHONE_PADDLE}")
        wait_text(bidder, "#status", "Outbid")
        assert high_of(stage)["paddle"] == PHONE_PADDLE
        # A phone paddle typed on the clerk page is journaled as a phone bid.
        assert high_of(stage)["channel"] == "phone"
        # The same over HTTP, as the desktop console sends it (no channel named):
        bidder.click("#bid")
        wait_text(bidder, "#status", "You are winning")
        stage({"op": "floor_bid", "lot": "1", "paddle": PHONE_PADDLE})
        wait_text(clerk, "#high-who", f"Paddle {PHONE_PADDLE} · phone")
        wait_text(bidder, "#status", "Outbid")
        clerk_key(clerk, "hammer")
        wait_text(clerk, "#lot-status", "sold")
        wait_text(bidder, "#status", "Sold for €")

        # Lot 2: the commission bid opens it at the reserve; a room bid; the book answers it.
        clerk_key(clerk, "next_lot")
        wait_text(clerk, "#lot-number", "Lot 2")
        wait_text(clerk, "#high", "€1,000")
        wait_text(clerk, "#high-who", f"Paddle {BOOK_PADDLE} · commission bid")
        wait_text(clerk, "#reserve", "€1,000 (met)")
        wait_text(bidder, "#current", "€1,000")
        wait_text(bidder, "#ask", "€1,100")
        clerk_bid(clerk, ROOM_PADDLE)
        wait_text(clerk, "#high", "€1,200")  # the book's maximum, bid for it at once
        wait_text(clerk, "#high-who", f"Paddle {BOOK_PADDLE} · commission bid")
        clerk_key(clerk, "hammer")
        wait_text(bidder, "#status", "Sold for €1,200")

        # Lot 3: no bids, passed (P).
        clerk_key(clerk, "next_lot")
        wait_text(bidder, "#lot-number", "Lot 3")
        clerk_key(clerk, "pass")
        wait_text(bidder, "#status", "Passed")
        wait_text(clerk, "#lot-status", "passed")

        # Lot 4 amended live (over HTTP: the pages have no amend form): a saleroom notice.
        notice = "Lot 4: the lid is a later replacement"
        stage(
            {
                "op": "edit_lot",
                "lot": "4",
                "changes": {"condition": "Lid replaced, hinges sound"},
                "reason": "condition report",
                "notice": notice,
            }
        )
        wait_text(bidder, "#flash", notice)
        wait_text(bidder, "#upcoming", notice)

        # The online bidder leaves a commission bid on lot 6 from the page's form.
        bidder.locator("#commission-lot").select_option("6")
        bidder.fill("#commission-max", "300")
        bidder.locator("#commission-send").click()
        wait_text(
            bidder,
            "#commission-result",
            "Your commission bid of €300 on lot 6 is with the auctioneer",
        )
        wait_text(bidder, "#upcoming", "Your commission bid: €300")

        # End of day 1 (over HTTP): every screen shows the break and the next start.
        stage({"op": "end_session", "message": "Day 1 is over", "next_start": "2026-12-06T10:00"})
        wait_text(bidder, "#life", "Session break: Day 1 is over")
        wait_text(bidder, "#life", "The next session starts")
        assert "10:00" in bidder.locator("#life").inner_text()
        assert bidder.locator("#bid").is_disabled()
        wait_text(clerk, "#life", "Session break: Day 1 is over")
        bidder.evaluate("window.scrollTo(0, 0)")
        screenshot(bidder, "whole-sale-bidder-break")
        stage({"op": "start_session"})
        bidder.wait_for_selector("#life", state="hidden")
        clerk.wait_for_selector("#life", state="hidden")

        # Lot 4: a house bid (V) below the reserve is disclosed; a room bid; knocked down below
        # the reserve: provisionally sold, subject to the vendor. (The house bid is here, not on
        # lot 2: a commission book at the reserve opens lot 2 at the reserve, where a house
        # bid is refused, as it must be.)
        clerk_key(clerk, "next_lot")
        wait_text(bidder, "#lot-number", "Lot 4")
        wait_text(bidder, "#notices", notice)
        clerk_key(clerk, "house_bid")
        wait_text(bidder, "#high-note", "House bid (on behalf of the vendor)")
        wait_text(clerk, "#high-who", "House bid")
        assert high_of(stage)["channel"] == "house"
        clerk_bid(clerk, ROOM_PADDLE)
        wait_text(clerk, "#high-who", f"Paddle {ROOM_PADDLE} · floor")
        bidder.wait_for_function("() => document.querySelector('#high-note').textContent === ''")
        clerk_key(clerk, "hammer")
        wait_text(bidder, "#status", "Provisionally sold for €")
        wait_text(bidder, "#status", "subject to the vendor's acceptance")
        bidder.evaluate("window.scrollTo(0, 0)")
        screenshot(bidder, "whole-sale-bidder-subject-to")

        # Lot 5: a room bid, then the online bidder wins it.
        clerk_key(clerk, "next_lot")
        wait_text(bidder, "#lot-number", "Lot 5")
        clerk_key(clerk, "floor_bid")
        wait_text(bidder, "#current", "€300")
        bidder.click("#bid")
        wait_text(bidder, "#status", "You are winning")
        clerk_key(clerk, "hammer")
        wait_text(bidder, "#status", "Sold to you for")

        # Lot 3 re-offered (over HTTP): back to pending, at the end of the running order.
        answer = stage({"op": "reoffer", "lot": "3", "reason": "the vendor lowered the reserve"})
        reoffered = next(e for e in answer["events"] if e["type"] == "lot_reoffered")
        assert reoffered["data"]["order"] > 6
        wait_text(bidder, "#upcoming", "Lot 3")
        wait_text(clerk, "[data-action=next_lot]", "Next: lot 6")

        # Lot 6: the bidder's commission bid opens it (no reserve: at the start) and wins.
        clerk_key(clerk, "next_lot")
        wait_text(bidder, "#lot-number", "Lot 6")
        wait_text(bidder, "#status", "You are winning")
        wait_text(clerk, "#high-who", f"Paddle {online} · commission bid")
        clerk_key(clerk, "hammer")
        wait_text(bidder, "#status", "Sold to you for €200")

        # The re-offered lot 3, now the next lot on the clerk's N: a room bid, sold.
        wait_text(clerk, "[data-action=next_lot]", "Next: lot 3")
        clerk_key(clerk, "next_lot")
        wait_text(bidder, "#lot-number", "Lot 3")
        clerk_key(clerk, "floor_bid")
        wait_text(clerk, "#high-who", "Room (no paddle) · floor")
        clerk_key(clerk, "hammer")
        wait_text(bidder, "#status", "Sold for €200")
        wait_text(clerk, "[data-action=next_lot]", "No more lots")

        # The vendor accepts lot 4's price (over HTTP: no control on the pages).
        stage({"op": "resolve_subject_to", "lot": "4", "accept": True, "reason": "vendor called"})

        # -- 4. the close: the clerk page shows the seal (the journal's head hash)
        stage({"op": "close_sale"})
        wait_text(bidder, "#status", "The sale is closed")
        wait_text(clerk, "#life", "The sale is closed")
        # The page open during the close shows the seal (it loads a snapshot on `sale_closed`).
        wait_text(clerk, "#life", "Journal sealed — head hash ")
        # A clerk page opened after the close loads a snapshot and shows the seal:
        clerk = new_page(browser)
        pages.append(clerk)
        clerk.goto(f"{stage.url}/clerk#token={stage.token('clerk')}")
        wait_text(clerk, "#life", "Journal sealed — head hash ")
        found = re.search(r"head hash ([0-9a-f]{64})", clerk.locator("#life").inner_text())
        assert found, clerk.locator("#life").inner_text()
        seal = found.group(1)
        screenshot(clerk, "whole-sale-clerk-sealed")
        final = stage.state()
        for page in pages:
            assert page.evaluate("window.__pwned ?? null") is None
            assert page.errors == []
    finally:
        for page in pages:
            page.context.close()
        code = stage.stop()
    assert code == 0

    # The staff snapshot's facts, as the stage had them at the close.
    assert (final["sale"]["status"], final["sale"]["head"]) == ("closed", seal)
    assert {x["id"]: x["status"] for x in final["lots"]} == {str(i): "sold" for i in range(1, 7)}

    # The sealed file: verified, its head the seal.
    verified = cli("journal", "verify", str(journal), check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"head {seal}" in verified.stdout

    # The journal's facts.
    with contextlib.closing(connect_reader(journal)) as conn:
        events = [e for _, e in iter_events(conn)]
    raw = journal.read_bytes()
    assert ONLINE_NAME.encode() not in raw  # names are not journaled
    accepted = [e for e in events if e.type == "bid_accepted"]
    channels = Counter(e.data["bid"]["channel"] for e in accepted)
    assert set(channels) == {"floor", "online", "phone", "absentee", "house"}, channels
    statuses = [(e.lot, e.type) for e in events if e.type in ("lot_sold", "lot_passed")]
    order = ["1", "2", "4", "5", "6", "3"]
    assert statuses == [("1", "lot_sold"), ("2", "lot_sold"), ("3", "lot_passed")] + [
        (lot_id, "lot_sold") for lot_id in order[2:]
    ]
    hammers = {e.lot: e.data["hammer"] for e in events if e.type == "lot_sold"}
    sold = {lot_id: (h["paddle"], h["channel"]) for lot_id, h in hammers.items()}
    assert sold == {
        "1": (PHONE_PADDLE, "phone"),
        "2": (BOOK_PADDLE, "absentee"),
        "3": (None, "floor"),
        "4": (ROOM_PADDLE, "floor"),
        "5": (online, "online"),
        "6": (online, "absentee"),
    }
    assert hammers["2"]["amount"] == 120000  # the book's maximum
    assert hammers["6"]["amount"] == 20000  # the start: one book, no reserve
    assert hammers["4"]["amount"] < 80000
    assert hammers["4"]["subject_to"] is True
    types = Counter(e.type for e in events)
    for kind in ("lot_amended", "lot_reoffered", "session_ended", "session_started"):
        assert types[kind] == 1, (kind, types)
    resolved = [e for e in events if e.type == "subject_to_resolved"]
    assert [(e.lot, e.data["accept"]) for e in resolved] == [("4", True)]
    assert types["sale_closed"] == 1
    assert events[-1].type == "sale_closed"

    # The listing and the results, from the sealed file.
    listing = json.loads(cli("sale", "list", "--data-dir", str(data_dir), "--json").stdout)
    (summary,) = listing
    assert (summary["status"], summary["sold"], summary["passed"]) == ("closed", 6, 0)
    assert summary["head_hash"] == seal
    assert summary["hammer_total"] == sum(h["amount"] for h in hammers.values())
    rows = list(csv.DictReader(io.StringIO(cli("results", str(journal)).stdout)))
    assert {r["lot"]: (r["status"], Decimal(r["hammer"]) * 100) for r in rows} == {
        lot_id: ("Sold", h["amount"]) for lot_id, h in hammers.items()
    }
