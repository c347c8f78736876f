"""The command line's first-run choices and issue 15's defects 2, 11, 12 and 13.

One real headless stage (a subprocess, as `./scripts/run` starts it without a display); the
rest calls `app.cli.main` in this process, which is the same code without the start-up cost.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.settings import write_stage_config
from hub.backend import house, sales
from hub.config import StageConfig
from hub.links import ADDRESS_FILE, record_address

AUCTIONMEN = str(Path(sys.executable).parent / "auctionmen")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the demo sale (made once; the token tests only read it)."""
    data_dir = tmp_path_factory.mktemp("demo")
    sales.reset_demo(data_dir)
    return data_dir


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "user" / "auctionmen.toml"
    monkeypatch.setenv("AUCTIONMEN_CONFIG", str(path))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- defect 2: token --link ----------------------------------------------------------------


def test_token_link_uses_the_stages_recorded_address_and_says_so(demo_dir, capsys):
    record_address(demo_dir, "demo", "http://0.0.0.0:9100", "http://192.168.7.20:9100")
    code, out, err = run(
        capsys, "token", "--data-dir", str(demo_dir), "--role", "bidder", "--paddle", "7001",
        "--link",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("http://192.168.7.20:9100/bid#token=")
    assert ADDRESS_FILE in err
    assert "192.168.7.20:9100" in err


def test_token_link_url_and_config_public_url_win(demo_dir, tmp_path, capsys):
    base = ["token", "--data-dir", str(demo_dir), "--role", "clerk", "--link"]
    code, out, err = run(capsys, *base, "--url", "https://stage.example:8443/")
    assert code == 0, err
    assert out.startswith("https://stage.example:8443/clerk#token=")
    assert "(--url)" in err
    config = tmp_path / "stage.toml"
    config.write_text('[stage]\npublic_url = "https://10.1.2.3:8765"\n', "utf-8")
    code, out, err = run(capsys, *base, "--config", str(config))
    assert code == 0, err
    assert out.startswith("https://10.1.2.3:8765/clerk#token=")
    assert f"public_url in {config}" in err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--paddle", "9999"], 1, "'9999' is not registered in sale 'demo'"),
        (["--paddle", "7001", "--sale", "nosuch"], 1, "no sale 'nosuch'"),
        (["--paddle", "x" * 5000], 1, "is not registered"),
        (["--paddle", "7001", "--url", "ftp://stage"], 2, "http:// or https://"),
        (["--paddle", "7001", "--url", "http://a:99999"], 2, "--url"),
        (["--paddle", "7001", "--url", "http://a/?x=<script>"], 2, "no user, query"),
        (["--paddle", "7001", "--url", "http://" + "a" * 400], 2, "--url"),
        ([], 2, "needs --paddle"),
    ],
)
def test_token_refuses_unknown_sales_paddles_and_bad_urls(demo_dir, capsys, args, code, message):
    got, out, err = run(
        capsys, "token", "--data-dir", str(demo_dir), "--role", "bidder", "--link", *args
    )
    assert got == code
    assert out == ""
    assert message in err
    assert len(err) < 400


# -- defects 11, 12, 13: the headless run ----------------------------------------------------


def _post(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_headless_run_prints_working_links_a_reset_and_survives_a_closed_pipe(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["AUCTIONMEN_PROG"] = "./scripts/run"
    data_dir = tmp_path / "data"
    proc = subprocess.Popen(
        [AUCTIONMEN, "--data-dir", str(data_dir), "--port", "0", "--tls", "off"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        serving = json.loads(proc.stdout.readline())
        lines: dict[str, str] = {}
        text = ""
        while "clerk PIN" not in lines:
            line = proc.stderr.readline()
            assert line, text
            text += line
            label, _, value = line.strip().partition(":")
            lines[label] = value.strip()
        assert "auctionmen token" not in text  # not on PATH: a link, not a command to run
        bidder = lines["bidder link"].split()[0]
        clerk = lines["clerk link"]
        assert bidder.startswith(serving["url"] + "/bid#token=")
        assert lines["clerk PIN"].split()[0] == serving["pin"]
        reset = proc.stderr.readline()
        assert "./scripts/run --fresh" in reset
        # The links work: the clerk opens a lot, the bidder's bid is accepted, the lot sold.
        api = serving["url"] + "/api/sales/demo"
        clerk_token = clerk.partition("#token=")[2]
        status, opened = _post(api + "/commands", clerk_token, {"op": "open_lot", "lot": "6"})
        assert status == 200, opened
        ask = opened["state"]["lot"]["ask"]
        bid = {"lot": "6", "amount": ask, "key": "k1"}
        status, answer = _post(api + "/bids", bidder.partition("#token=")[2], bid)
        assert (status, answer["ok"]) == (200, True), answer
        status, sold = _post(api + "/commands", clerk_token, {"op": "hammer", "lot": "6"})
        assert status == 200, sold
        # The output pipe closes (a log reader left): stopping must not say "cannot listen".
        proc.stdout.close()
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 0, rest
        assert "cannot listen" not in rest
        assert "Broken pipe" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert sales.summarize(data_dir / "sales" / "demo.db").sold == 1
    # --fresh (what the printed line says): the demo starts over before the stage starts.
    ns = cli.build_parser().parse_args(["serve", "--data-dir", str(data_dir), "--fresh"])
    assert cli._prepare(ns, cli._stage_config(ns)) is None
    assert sales.summarize(data_dir / "sales" / "demo.db").sold == 0


def test_fresh_is_only_for_the_demo(tmp_path, capsys):
    args = ["serve", "--data-dir", str(tmp_path), "--sale", "autumn", "--fresh"]
    ns = cli.build_parser().parse_args(args)
    assert cli._prepare(ns, cli._stage_config(ns)) == 2
    assert "keeps its journal" in capsys.readouterr().err


# -- serve's first-run choices: flags and the config file ------------------------------------


def _prepared(*args: str) -> int | None:
    ns = cli.build_parser().parse_args(["serve", *args])
    return cli._prepare(ns, cli._stage_config(ns))


def test_serve_house_flags_and_the_config_house_table(tmp_path, capsys):
    data_dir = str(tmp_path / "d")
    # A new profile needs an address: the flags alone are refused, and nothing is written.
    assert _prepared("--data-dir", data_dir, "--house-name", "Maison Dupont") == 2
    assert "address and country" in capsys.readouterr().err
    assert not house.path(Path(data_dir)).exists()
    config = tmp_path / "stage.toml"
    config.write_text(
        '[stage]\nport = 9000\n[house]\nname = "Maison Dupont"\n'
        'address = "3 rue de la Paix\\n75002 Paris"\ncountry = "FR"\n',
        "utf-8",
    )
    assert _prepared("--config", str(config), "--data-dir", data_dir, "--currency", "chf") is None
    saved = house.load(Path(data_dir))
    assert (saved.name, saved.country, saved.currency) == ("Maison Dupont", "FR", "CHF")
    assert saved.iban == ""  # never the demo house's bank account
    for bad, message in (
        (["--currency", "XYZ"], "ISO 4217"),
        (["--currency", "€"], "ISO 4217"),
        (["--house-name", ""], "name is required"),
        (["--house-name", "x" * 201], "longer than 200"),
        (["--house-name", "Evil\u202eHouse"], "control character"),
    ):
        assert _prepared("--data-dir", data_dir, *bad) == 2, bad
        assert message in capsys.readouterr().err
    assert house.load(Path(data_dir)) == saved  # a refusal changed nothing


@pytest.mark.parametrize(
    "url", ["ftp://x", "http://", "http://a:70000", "https://a/#f", "http://u:p@a", "x" * 500]
)
def test_serve_refuses_a_bad_public_url(tmp_path, capsys, url):
    assert cli.main(["serve", "--data-dir", str(tmp_path), "--public-url", url]) == 2
    err = capsys.readouterr().err
    assert "--public-url" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus:xyz", "unknown gavel spec"),
        ("hid:zz", "VID:PID"),
        ("serial:", "needs a port"),
        ("x" * 5000, "unknown gavel spec"),
    ],
)
def test_serve_refuses_a_bad_gavel_before_starting(tmp_path, capsys, spec, message):
    assert cli.main(["serve", "--data-dir", str(tmp_path), "--gavel", spec]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err) < 500
    assert not (tmp_path / "sales").exists()  # refused before anything was written


def test_the_user_config_file_names_the_data_dir_and_new_sales_take_the_house_currency(
    tmp_path, no_user_config, capsys
):
    data_dir = tmp_path / "auctions"
    write_stage_config(no_user_config, {"data_dir": str(data_dir), "host": "0.0.0.0"})
    write_stage_config(no_user_config, {"public_url": "https://192.168.1.9:8765"})
    loaded = StageConfig.load(no_user_config)
    assert (loaded.data_dir, loaded.host) == (data_dir, "0.0.0.0")
    assert loaded.public_url == "https://192.168.1.9:8765"
    house.save(data_dir, {**house.DEMO_HOUSE.to_json(), "name": "Haus Berg", "currency": "CHF"})
    code, out, err = run(capsys, "sale", "new", "--id", "winter", "--title", "Winter Sale")
    assert code == 0, err
    assert str(data_dir) in out  # no --data-dir: the config file's folder
    listed = json.loads(run(capsys, "sale", "list", "--json")[1])
    assert [(s["id"], s["currency"]) for s in listed] == [("winter", "CHF")]


# -- staff add: the first account without a prompt --------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_staff_add_reads_the_secret_from_stdin_or_a_file_never_argv(tmp_path, capsys, monkeypatch):
    d = ["--data-dir", str(tmp_path)]
    _stdin(monkeypatch, b"4821\n")
    code, out, err = run(capsys, "staff", "add", *d, "--name", "Ada", "--role", "admin,auctioneer",
                         "--pin-stdin")  # fmt: skip
    assert code == 0, err
    assert "st-1 Ada (auctioneer, admin)" in out
    secret = tmp_path / "pw.txt"
    secret.write_text("correct horse battery\n", "utf-8")
    code, out, err = run(capsys, "staff", "add", *d, "--name", "Bo", "--role", "clerk",
                         "--password-file", str(secret))  # fmt: skip
    assert code == 0, err
    listed = json.loads(run(capsys, "staff", "list", *d, "--json")[1])
    assert [(a["name"], a["has_pin"], a["has_password"]) for a in listed] == [
        ("Ada", True, False),
        ("Bo", False, True),
    ]
    assert "4821" not in (tmp_path / "staff.db").read_bytes().decode("latin-1")
    with pytest.raises(SystemExit) as usage:  # there is no way to put a PIN on the command line
        cli.main(["staff", "add", *d, "--name", "Cy", "--role", "clerk", "--pin", "1234"])
    assert usage.value.code == 2


@pytest.fixture(scope="module")
def staff_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with one account, Ada (made once: argon2 is slow on purpose)."""
    from hub.backend.staff import StaffStore

    data_dir = tmp_path_factory.mktemp("staff")
    store = StaffStore(data_dir / "staff.db")
    store.create("Ada", ["admin"], pin="4821")
    store.close()
    return data_dir


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [
        (b"", ["--name", "Cy", "--role", "clerk"], "empty line"),
        (b"\n", ["--name", "Cy", "--role", "clerk"], "empty line"),
        (b"9" * 5000, ["--name", "Cy", "--role", "clerk"], "one short line"),
        (b"\xff\xfe12\n", ["--name", "Cy", "--role", "clerk"], "not UTF-8"),
        (b"12ab\n", ["--name", "Cy", "--role", "clerk"], "PIN"),
        (b"1234\n", ["--name", "Ada", "--role", "clerk"], "Ada"),  # duplicate name
        (b"1234\n", ["--name", "Cy", "--role", "emperor"], "emperor"),
        (b"1234\n", ["--name", "", "--role", "clerk"], "name"),
        (b"1234\n", ["--name", "x" * 300, "--role", "clerk"], "name"),
    ],
)
def test_staff_add_refuses_bad_input_clearly(staff_dir, capsys, monkeypatch, stdin, args, message):
    d = ["--data-dir", str(staff_dir)]
    _stdin(monkeypatch, stdin)
    code, _out, err = run(capsys, "staff", "add", *d, *args, "--pin-stdin")
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    assert len(json.loads(run(capsys, "staff", "list", *d, "--json")[1])) == 1


def test_staff_add_from_a_missing_file(tmp_path, capsys):
    code, _, err = run(capsys, "staff", "add", "--data-dir", str(tmp_path), "--name", "Cy",
                       "--role", "clerk", "--pin-file", str(tmp_path / "nope"))  # fmt: skip
    assert code == 1
    assert "cannot read" in err
