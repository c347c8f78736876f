"""The `auctionmen` command as a user runs it: serve, token, journal."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
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


# -- auctionmen sale ------------------------------------------------------------------------


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


def _replayed(path: Path):  # type: ignore[no-untyped-def]
    from hub.journal.db import connect_reader
    from hub.journal.replay import load_engine

    conn = connect_reader(path)
    try:
        return load_engine(conn)
    finally:
        conn.close()


def _sale_new(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run("sale", "new", "--data-dir", str(data_dir), *args)


def test_sale_new_with_flags_then_list(tmp_path):
    created = _sale_new(
        tmp_path,
        *("--id", "autumn", "--title", "Autumn Sale", "--house", "Maison Test"),
        *("--currency", "gbp", "--timezone", "Europe/London"),
        *("--session", "Day 1,2026-12-05T10:00,1,250"),
        *("--session", "Day 2,2026-12-06T10:00,251,480"),
        *("--tie-policy", "floor_priority", "--late-window", "4", "--reopen-window", "60"),
        *("--subject-to", "--no-confirm-online", "--auto-absentee"),
        *("--premium", "0:2500,50000000:2000", "--vat-bp", "2000"),
    )
    assert created.returncode == 0, created.stderr
    assert "created sale 'autumn'" in created.stdout
    _sale_new(tmp_path, "--id", "b-sale", "--title", "Second")
    table = _run("sale", "list", "--data-dir", str(tmp_path))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "STATUS", "TITLE"]
    assert lines[1].startswith("autumn ")
    assert "Autumn Sale" in lines[1]
    assert "£0" in lines[1]
    listed = json.loads(_run("sale", "list", "--data-dir", str(tmp_path), "--json").stdout)
    assert [s["id"] for s in listed] == ["autumn", "b-sale"]
    assert listed[0]["currency"] == "GBP"
    assert (listed[0]["status"], listed[0]["house"]) == ("draft", "Maison Test")
    assert [s["name"] for s in listed[0]["sessions"]] == ["Day 1", "Day 2"]
    assert len(listed[0]["head_hash"]) == 64
    rules = _replayed(Path(listed[0]["path"])).sale_view()["rules"]
    assert rules["buyer_premium"] == [[0, 2500], [50000000, 2000]]
    assert (rules["vat_rate_bp"], rules["tie_policy"], rules["subject_to"]) == (
        2000,
        "floor_priority",
        True,
    )
    assert (rules["late_window"], rules["reopen_window"]) == (4, 60)
    assert table.stdout.count(listed[0]["head_hash"][:12]) == 1
    verify = _run("journal", "verify", listed[0]["path"])
    assert verify.returncode == 0, verify.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--id", "../x", "--title", "T"), "sale id is 1 to 64"),
        (("--id", "", "--title", "T"), "sale id is 1 to 64"),
        (("--id", "a" * 65, "--title", "T"), "sale id is 1 to 64"),
        (("--id", "x"), "needs a title|title must be text"),
        (("--title", "T"), "needs an id"),
        (("--id", "x", "--title", "T", "--currency", "EU"), "ISO 4217"),
        (("--id", "x", "--title", "T", "--timezone", "Nowhere/Land"), "time zone"),
        (("--id", "x", "--title", "T", "--session", "Day 1,soon,1,9"), "not a date and time"),
        (("--id", "x", "--title", "T", "--session", "Day 1,2026-12-05T10:00"), "NAME,START"),
        (("--id", "x", "--title", "T", "--premium", "0:25%"), "FROM:RATE_BP"),
        (("--id", "x", "--title", "T", "--vat-bp", "-5"), "basis points"),
        (("--id", "x", "--title", "T", "--late-window", "1e9"), "late_window"),
        (("--id", "x", "--title", "T", "--no-draft"), "goes live with lots"),
    ],
)
def test_sale_new_refuses_bad_flags_with_one_line(tmp_path, args, message):
    result = _sale_new(tmp_path, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    _no_traceback(result)
    assert len(result.stderr.strip().splitlines()) == 1
    assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "sales").exists() or not any((tmp_path / "sales").iterdir())


def test_sale_new_argparse_usage_errors_exit_2(tmp_path):
    for args in (("--id", "x", "--title", "T", "--tie-policy", "loudest"), ("--late-window", "x")):
        result = _sale_new(tmp_path, *args)
        assert result.returncode == 2
        _no_traceback(result)


def test_sale_new_from_files_hostile_and_broken(tmp_path):
    good = tmp_path / "sale.toml"
    good.write_text(
        'id = "spring"\ntitle = "Spring"\n[[sessions]]\nname = "Day 1"\n'
        "starts = 2027-03-05T10:00:00\nfrom_lot = 1\nto_lot = 9\n"
    )
    created = _sale_new(tmp_path, "--file", str(good), "--title", "Spring (flags win)")
    assert created.returncode == 0, created.stderr
    listed = json.loads(_run("sale", "list", "--data-dir", str(tmp_path), "--json").stdout)
    assert [(s["id"], s["title"]) for s in listed] == [("spring", "Spring (flags win)")]
    again = _sale_new(tmp_path, "--file", str(good))
    assert again.returncode == 1
    assert "already exists" in again.stderr

    files = {
        "unknown.toml": 'id = "u"\ntitle = "U"\nlots_count = 5\n',
        "broken.toml": 'id = "b"\ntitle = "B\n',
        "broken.json": '{"id": "b", "title": ',
        "twice.json": '{"id": "t", "title": "T", "title": "T2"}',
        "huge.json": '{"id": "h", "title": "' + "x" * 1_100_000 + '"}',
        "sale.yaml": "id: y\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        result = _sale_new(tmp_path, "--file", str(path))
        assert result.returncode == 2, (name, result.stderr)
        _no_traceback(result)
        assert result.stderr.startswith("auctionmen sale new: "), (name, result.stderr)
    missing = _sale_new(tmp_path, "--file", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    ladder = tmp_path / "ladder.csv"
    ladder.write_text("from,increment\n0,500\n0,600\n")
    bad_ladder = _sale_new(tmp_path, "--id", "l", "--title", "L", "--ladder", str(ladder))
    assert bad_ladder.returncode == 2
    assert "ladder" in bad_ladder.stderr
    listed = json.loads(_run("sale", "list", "--data-dir", str(tmp_path), "--json").stdout)
    assert [s["id"] for s in listed] == ["spring"]


def test_sale_list_reports_a_corrupt_file(tmp_path):
    assert _run("sale", "reset", "demo", "--data-dir", str(tmp_path)).returncode == 0
    (tmp_path / "sales" / "wreck.db").write_bytes(b"\x00garbage" * 1000)
    table = _run("sale", "list", "--data-dir", str(tmp_path))
    assert table.returncode == 0
    _no_traceback(table)
    assert any(line.startswith("demo ") and " live " in line for line in table.stdout.splitlines())
    assert any(
        line.startswith("wreck ") and "unreadable" in line for line in table.stdout.splitlines()
    )


def test_serve_without_a_sale_lists_the_sales_and_says_how_to_create_one(tmp_path):
    _sale_new(tmp_path, "--id", "autumn", "--title", "Autumn")
    result = _run("serve", "--port", "0", "--data-dir", str(tmp_path), "--sale", "spring")
    assert result.returncode == 1
    _no_traceback(result)
    assert "no sale 'spring'" in result.stderr
    assert "sales there: autumn" in result.stderr
    assert "auctionmen sale new --id spring" in result.stderr
    assert not (tmp_path / "sales" / "spring.db").exists()
    hostile = _run("serve", "--port", "0", "--data-dir", str(tmp_path), "--sale", "../../x")
    assert hostile.returncode == 2
    _no_traceback(hostile)


def test_a_running_stage_holds_its_sale(served):
    proc, _, data_dir = served
    second = _run("serve", "--port", "0", "--data-dir", str(data_dir), "--sale", "demo")
    assert second.returncode == 1
    assert f"process {proc.pid}" in second.stderr
    for args in (("reset", "demo"), ("close", "demo"), ("go-live", "demo")):
        refused = _run("sale", *args, "--data-dir", str(data_dir))
        assert refused.returncode == 1, args
        _no_traceback(refused)
        assert f"open in process {proc.pid}" in refused.stderr
    listed = _run("sale", "list", "--data-dir", str(data_dir), "--json")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)[0]["id"] == "demo"


def test_sale_reset_demo_starts_over(tmp_path):
    first = _run("sale", "reset", "demo", "--data-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    head = json.loads(_run("sale", "list", "--data-dir", str(tmp_path), "--json").stdout)[0]
    again = _run("sale", "reset", "demo", "--data-dir", str(tmp_path))
    assert again.returncode == 0
    after = json.loads(_run("sale", "list", "--data-dir", str(tmp_path), "--json").stdout)[0]
    assert after["lots"] == head["lots"]
    assert _run("journal", "verify", after["path"]).returncode == 0


def test_sale_verbs_refuse_bad_ids_and_missing_sales(tmp_path):
    for verb in ("close", "go-live"):
        bad = _run("sale", verb, "../x", "--data-dir", str(tmp_path))
        assert bad.returncode == 2
        _no_traceback(bad)
        missing = _run("sale", verb, "nope", "--data-dir", str(tmp_path))
        assert missing.returncode == 1
        assert "no sale 'nope'" in missing.stderr
    other = _run("sale", "reset", "autumn", "--data-dir", str(tmp_path))
    assert other.returncode == 2
    _no_traceback(other)


def test_sale_go_live_close_seals_and_verifies(tmp_path):
    spec = tmp_path / "sale.json"
    spec.write_text(json.dumps({"id": "autumn", "title": "A", "lots": [{"id": "1", "title": "V"}]}))
    assert _sale_new(tmp_path, "--file", str(spec)).returncode == 0
    live = _run("sale", "go-live", "autumn", "--data-dir", str(tmp_path))
    assert live.returncode == 0, live.stderr
    assert "is live" in live.stdout
    closed = _run("sale", "close", "autumn", "--data-dir", str(tmp_path))
    assert closed.returncode == 0, closed.stderr
    head = closed.stdout.split("head hash ")[1].strip()
    listed = json.loads(_run("sale", "list", "--data-dir", str(tmp_path), "--json").stdout)
    assert (listed[0]["status"], listed[0]["head_hash"]) == ("closed", head)
    out = tmp_path / "export"
    assert _run("journal", "export", listed[0]["path"], "--out", str(out)).returncode == 0
    rows = json.loads((out / "events.json").read_text())["records"]
    assert rows[-1]["hash"] == head
    assert rows[-1]["type"] == "sale_closed"
    verify = _run("journal", "verify", listed[0]["path"])
    assert verify.returncode == 0, verify.stdout
    twice = _run("sale", "close", "autumn", "--data-dir", str(tmp_path))
    assert twice.returncode == 1
    _no_traceback(twice)


def test_serve_prints_the_seal_when_the_sale_closes(served):
    proc, info, data_dir = served
    staff = _run("token", "--data-dir", str(data_dir), "--role", "auctioneer").stdout.strip()

    def call(method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(
            info["url"] + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {staff}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    closed = call("POST", "/api/sales/demo/commands", {"op": "close_sale"})
    assert closed["ok"], closed
    line = json.loads(proc.stdout.readline())
    assert line["event"] == "sale_sealed"
    assert len(line["head"]) == 64
    state = call("GET", "/api/sales/demo/state")
    assert state["sale"]["status"] == "closed"
    assert state["sale"]["head"] == line["head"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    verify = _run("journal", "verify", str(data_dir / "sales" / "demo.db"))
    assert verify.returncode == 0, verify.stdout
    # The stage let go of the sale when it stopped: the engine itself now refuses.
    again = _run("sale", "close", "demo", "--data-dir", str(data_dir))
    assert again.returncode == 1
    assert "close_sale refused" in again.stderr
    listed = json.loads(_run("sale", "list", "--data-dir", str(data_dir), "--json").stdout)
    assert (listed[0]["status"], listed[0]["head_hash"]) == ("closed", line["head"])


def test_staff_list_the_sales_over_http_beside_the_running_one(served):
    _, info, data_dir = served
    assert _sale_new(data_dir, "--id", "spring", "--title", "Spring").returncode == 0
    (data_dir / "sales" / "wreck.db").write_bytes(b"not sqlite" * 100)
    tokens = {
        role: _run(
            "token", "--data-dir", str(data_dir), "--role", role, "--paddle", "7001"
        ).stdout.strip()
        for role in ("clerk", "bidder")
    }

    def get(token: str | None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        req = urllib.request.Request(info["url"] + "/api/sales", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    status, body = get(tokens["clerk"])
    assert status == 200
    assert body["current"] == "demo"
    by_id = {s["id"]: s for s in body["sales"]}
    assert sorted(by_id) == ["demo", "spring", "wreck"]
    assert by_id["spring"]["status"] == "draft"
    assert by_id["demo"]["lots"] > 0
    assert by_id["wreck"]["error"]
    assert all("path" not in s for s in body["sales"])
    assert get(tokens["bidder"])[0] == 403
    assert get(None)[0] == 401


def test_a_data_dir_that_is_a_file_is_one_clear_line(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    for args in (
        ("sale", "new", "--id", "x", "--title", "X"),
        ("sale", "reset", "demo"),
        ("serve", "--demo", "--port", "0"),
    ):
        result = _run(*args, "--data-dir", str(not_a_dir))
        assert result.returncode == 1, args
        _no_traceback(result)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert str(not_a_dir) in result.stderr


def test_the_sale_file_example_in_the_help_is_a_valid_sale(tmp_path):
    from app.cli import SALE_FILE_EXAMPLE

    text = SALE_FILE_EXAMPLE.split("\n\n", 1)[1]
    example = tmp_path / "sale.toml"
    example.write_text("\n".join(line.removeprefix("  ") for line in text.splitlines()))
    created = _sale_new(tmp_path, "--file", str(example))
    assert created.returncode == 0, created.stderr
    assert "created sale 'autumn-2026' (draft)" in created.stdout
    assert "[[sessions]]" in _run("sale", "new", "--help").stdout


def test_demo_under_another_name_is_a_copy_named_for_its_file(tmp_path):
    proc = subprocess.Popen(
        [
            AUCTIONMEN,
            "serve",
            "--demo",
            "--sale",
            "practice",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--json-logs",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert info["sale"] == "practice"
        with urllib.request.urlopen(info["url"] + "/api/sales/practice/state", timeout=10) as r:
            assert len(json.load(r)["lots"]) > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    listed = json.loads(_run("sale", "list", "--data-dir", str(tmp_path), "--json").stdout)
    assert [(s["id"], s["status"]) for s in listed] == [("practice", "live")]
