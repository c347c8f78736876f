"""End to end: the real `auctionmen gui` process (offscreen, temporary data dir, JSON logs,
no dialogs) sells a lot when a simulated gavel on a pty strikes. Coordinated through the
JSON log lines, never through pixels."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

ROOT = Path(__file__).resolve().parents[2]


class AppProcess:
    def __init__(self, args: list[str]) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "gui", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                pass

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(self, timeout: float = 15.0, **match: object) -> dict:
        """The first JSON line (already seen or arriving) whose fields equal `match`."""
        for line in self.seen:
            if all(line.get(k) == v for k, v in match.items()):
                return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if all(line.get(k) == v for k, v in match.items()):
                return line
        raise AssertionError(
            f"no log line {match} in {timeout} s; stderr: {''.join(self.stderr[-20:])}"
        )

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)


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
