"""The `auctionmen` command as a user runs it: serve, token, journal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

AUCTIONMEN = str(Path(sys.executable).parent / "auctionmen")


@pytest.fixture
def served(tmp_path: Path):
    proc = subprocess.Popen(
        [AUCTIONMEN, "serve", "--demo", "--port", "0", "--data-dir", str(tmp_path), "--json-logs"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        assert info["event"] == "serving"
        yield proc, info, tmp_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AUCTIONMEN, *args], capture_output=True, text=True, timeout=60)


def test_serve_token_bid_then_verify_the_journal(served):
    proc, info, data_dir = served
    url = info["url"]
    staff = _run("token", "--data-dir", str(data_dir), "--role", "auctioneer").stdout.strip()
    bidder = _run(
        "token", "--data-dir", str(data_dir), "--role", "bidder", "--paddle", "7001"
    ).stdout.strip()

    def post(path: str, token: str, body: dict) -> dict:
        req = urllib.request.Request(
            url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    opened = post("/api/sales/demo/commands", staff, {"op": "open_lot", "lot": "6"})
    ask = opened["state"]["lot"]["ask"]
    accepted = post("/api/sales/demo/bids", bidder, {"lot": "6", "amount": ask, "key": "b1"})
    assert accepted["ok"]
    sold = post("/api/sales/demo/commands", staff, {"op": "hammer", "lot": "6"})
    assert [e["type"] for e in sold["events"]] == ["lot_sold"]

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert json.loads(proc.stdout.readline())["event"] == "stopped"

    journal = data_dir / "sales" / "demo.db"
    verify = _run("journal", "verify", str(journal))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "OK" in verify.stdout
    out = data_dir / "export"
    export = _run("journal", "export", str(journal), "--out", str(out))
    assert export.returncode == 0, export.stderr
    assert any(p.suffix == ".csv" for p in out.iterdir())

    results = _run("results", str(journal))
    assert results.returncode == 0, results.stderr
    lines = results.stdout.splitlines()
    assert lines[0].startswith("lot,title,status,hammer,currency,paddle,channel")
    sold = [line for line in lines if line.startswith("6,")]
    assert len(sold) == 1
    assert f",Sold,{ask // 100}," in sold[0]
    assert ",7001,online," in sold[0]
    csv_file = data_dir / "results.csv"
    written = _run("results", str(journal), "--out", str(csv_file))
    assert written.returncode == 0, written.stderr
    assert csv_file.read_text("utf-8") == results.stdout


def test_a_second_server_on_the_same_journal_is_refused_clearly(served):
    _, _, data_dir = served
    second = _run("serve", "--port", "0", "--data-dir", str(data_dir))
    assert second.returncode != 0
    assert "Traceback" not in second.stderr
    assert second.stderr.strip()


def test_token_needs_a_paddle_for_bidders(tmp_path):
    result = _run("token", "--data-dir", str(tmp_path), "--role", "bidder")
    assert result.returncode == 2
    assert "paddle" in result.stderr


def test_journal_verify_on_a_missing_or_foreign_file(tmp_path):
    missing = _run("journal", "verify", str(tmp_path / "nope.db"))
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr + missing.stdout
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"this is not sqlite" * 100)
    bad = _run("journal", "verify", str(foreign))
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr + bad.stdout


def test_results_on_a_missing_or_foreign_file(tmp_path):
    missing = _run("results", str(tmp_path / "nope.db"))
    assert missing.returncode == 1
    assert "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"this is not sqlite" * 100)
    bad = _run("results", str(foreign))
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr + bad.stdout


def test_bad_config_file_is_a_clear_error(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[stage]\nport = 'eighty'\nwhat = 1\n")
    result = _run("serve", "--config", str(config), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "unknown setting" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_starts_within_reason_and_stops_on_sigint(tmp_path):
    proc = subprocess.Popen(
        [AUCTIONMEN, "serve", "--demo", "--port", "0", "--data-dir", str(tmp_path), "--json-logs"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert json.loads(proc.stdout.readline())["event"] == "serving"
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_subcommands_own_their_help_and_the_stage_key_is_public(tmp_path):
    relay = _run("relay", "--help")
    assert relay.returncode == 0
    assert "--stage-key" in relay.stdout
    journal = _run("journal", "--help")
    assert journal.returncode == 0
    assert "verify" in journal.stdout
    key = _run("stage-key", "--data-dir", str(tmp_path))
    assert key.returncode == 0
    assert key.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in key.stdout
