"""End to end: the real `auctionmen gui` process (offscreen, temporary data dir, JSON logs,
no dialogs) sells a lot when a simulated gavel on a pty strikes. Coordinated through the
JSON log lines, never through pixels."""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.logged_process import LoggedProcess

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

ROOT = Path(__file__).resolve().parents[2]


class AppProcess(LoggedProcess):
    """`auctionmen gui` from the checkout, offscreen."""

    def __init__(self, args: list[str]) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
        super().__init__([sys.executable, "-m", "app.cli", "gui", *args], ROOT, env)


def _post(url: str, path: str, body: dict, token: str | None = None) -> dict:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        data = json.loads(response.read() or b"{}")
        assert response.status == 200, data
        return data
    finally:
        conn.close()


@pytest.mark.e2e
def test_app_process_sells_a_lot_with_the_gavel():
    from hardware.debounce import DebounceConfig
    from hardware.simulated import SimulatedGavel

    gavel = SimulatedGavel()
    app = AppProcess(
        [
            "--temp-data-dir",
            "--tls",
            "off",  # plain HTTP, chosen: the test's client speaks it
            "--json-logs",
            "--no-dialogs",
            "--port",
            "0",
            "--gavel",
            f"serial:{gavel.port}",
        ]
    )
    try:
        ready = app.wait_for(event="ready", timeout=30)
        url, sale = ready["url"], ready["sale"]
        assert sale == "demo"
        gavel.hello()
        gavel.start_heartbeats(0.2)
        app.wait_for(event="gavel", connected=True)
        token = _post(url, "/api/pair", {"pin": ready["pin"]})["token"]
        commands = f"/api/sales/{sale}/commands"
        _post(url, commands, {"op": "open_lot", "lot": "1"}, token)
        # a strike with no bid never hammers (the arming rules)
        gavel.strike()
        app.wait_for(event="gavel", last_decision="no_bid")
        # The app read that strike before it said so, on the machine's one monotonic clock.
        knocked_by = time.monotonic()
        for paddle in ("101", "102", "101", "102", "101"):
            _post(url, commands, {"op": "floor_bid", "lot": "1", "paddle": paddle}, token)
        app.wait_for(event="record", type="bid_accepted", status="open")
        # A new knock, not a bounce: the next strike reaches the app at least the debounce's
        # refractory time after the first (usually the bids above took longer already).
        time.sleep(max(0.0, knocked_by + DebounceConfig().refractory_s - time.monotonic()))
        gavel.strike()
        sold = app.wait_for(event="record", type="lot_sold")
        assert sold["lot"] == "1"
        assert sold["source"] == "gavel"
        app.wait_for(event="gavel", last_decision="hammered")
    finally:
        code = app.stop()
        gavel.close()
    assert code == 0, "".join(app.stderr[-20:])
    app.wait_for(event="stopped", timeout=1)
