"""`auctionmen journal verify` (with the money check), `auctionmen invoices` and
`auctionmen export accounts` on a real sale journal (Sequencer on tmp SQLite, invoices issued
by the Cashier, names in the identities file), and on missing, foreign and hostile paths: a
clear message and a non-zero exit, nothing written."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from hub.backend.money import format_plain_amount
from tests.bench.bench_invoices import SALE, journal_sale

ROOT = Path(__file__).resolve().parents[1]
HOSTILE_NAME = '=HYPERLINK("http://evil.example","<script>x</script>")'


async def _build(data_dir: Path) -> list[str]:
    from hub.backend import house
    from hub.backend.cashier import Cashier
    from hub.backend.consignors import ConsignorStore
    from hub.backend.identities import IdentityStore
    from hub.backend.numbering import Numbering

    path = data_dir / "sales" / f"{SALE}.db"
    path.parent.mkdir(parents=True)
    seq = await journal_sale(path, data_dir, 6, 3)
    identities = IdentityStore(data_dir / "identities.db")
    identities.add(SALE, "100", {"name": HOSTILE_NAME, "address": "1 Main St", "country": "GB"})
    consignors = ConsignorStore(data_dir / "identities.db")
    consignors.add("C-1", {"name": "Harriet Vane", "iban": "DE89370400440532013000"})
    cashier = Cashier(
        seq,
        identities,
        consignors,
        Numbering(data_dir),
        lambda: house.load(data_dir),
        staff_role="auctioneer",  # may take money before and after issue 13's roles
    )
    try:
        numbers = await cashier.issue_all("test")
        await cashier.record_payment("101", 1000, "cash", "till 1", "k1", "test")
        last = numbers[-1]  # one lot of the last invoice taken back: a credit note
        lot = str(seq.engine.state.money.invoices[last]["lots"][0])
        note = await cashier.credit_note(last, [lot], "damaged in the saleroom", "test")
        numbers.append(str(note.events[0].data["number"]))
    finally:
        await seq.stop()
        identities.close()
        consignors.close()
    return numbers


@pytest.fixture(scope="module")
def sale(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """(journal path, document numbers) of a sale: 6 lots, 3 buyers invoiced, one credit note."""
    data_dir = tmp_path_factory.mktemp("money") / "data"
    numbers = asyncio.run(_build(data_dir))
    assert [n[:3] for n in numbers] == ["INV", "INV", "INV", "CN-"]
    return data_dir / "sales" / f"{SALE}.db", numbers


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    text = tmp_path / "notes.db"
    text.write_text("not a database\n" * 50)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.commit()
    conn.close()
    folder = tmp_path / "folder.db"
    folder.mkdir()
    return {
        "missing": tmp_path / "nope.db",
        "text": text,
        "foreign": foreign,
        "folder": folder,
    }


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------- journal verify


def test_verify_recomputes_the_money(capsys, sale) -> None:
    db, _ = sale
    code, out, err = _run(capsys, "journal", "verify", str(db))
    assert code == 0, out + err
    assert "OK: money" in out


def test_verify_reports_each_money_difference(capsys, sale, monkeypatch) -> None:
    import hub.backend.audit as audit

    db, numbers = sale
    found = [f"{numbers[0]}: line 2 premium 25000 recomputed as 25001"]
    monkeypatch.setattr(audit, "verify_money", lambda _path: found)
    code, out, _ = _run(capsys, "journal", "verify", str(db))
    assert code == 1
    assert f"money: {found[0]}" in out
    assert "FAILED: money, 1 difference(s)" in out


def test_verify_finds_a_tampered_invoice(capsys, sale, tmp_path: Path) -> None:
    db, _ = sale
    copy = tmp_path / "tampered.db"
    src = sqlite3.connect(db)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    for (trigger,) in dst.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        dst.execute(f'DROP TRIGGER "{trigger}"')  # the forger's first step
    rows = dst.execute("SELECT seq, data FROM events WHERE type = 'invoice_issued'").fetchall()
    seq, data = rows[0]
    body = json.loads(data)
    body["totals"]["total"] += 1  # one cent more than the lines add up to
    dst.execute("UPDATE events SET data = ? WHERE seq = ?", (json.dumps(body), seq))
    dst.commit()
    dst.close()
    code, out, _ = _run(capsys, "journal", "verify", str(copy))
    assert code == 1
    # The hash chain breaks, and the money check names the invoice whose sums disagree.
    money = [line for line in out.splitlines() if line.startswith("money:")]
    assert money, out
    assert any(body["number"] in line for line in money), money
    assert "FAILED: money" in out


@pytest.mark.parametrize("kind", ["missing", "text", "foreign", "folder"])
def test_verify_refuses_bad_files(capsys, bad_files, kind) -> None:
    code, out, err = _run(capsys, "journal", "verify", str(bad_files[kind]))
    assert code == 1
    assert "OK" not in out
    assert "journal:" in err


# ---------------------------------------------------------------------- invoices


def test_invoices_lists_and_renders(capsys, sale, tmp_path: Path) -> None:
    db, numbers = sale
    code, out, _ = _run(capsys, "invoices", str(db))
    assert code == 0
    invoices, notes = sorted(numbers[:3]), numbers[3:]
    assert [line.split()[0] for line in out.splitlines()] == invoices + notes
    assert out.splitlines()[-1].split()[-1].startswith("-€")  # a credit note is negative
    assert "paddle 100" in out

    html_dir, pdf_dir = tmp_path / "html", tmp_path / "pdf"
    code, _, err = _run(capsys, "invoices", str(db), "--html", str(html_dir), "--pdf", str(pdf_dir))
    assert code == 0, err
    assert sorted(p.name for p in html_dir.iterdir()) == sorted(f"{n}.html" for n in numbers)
    assert sorted(p.name for p in pdf_dir.iterdir()) == sorted(f"{n}.pdf" for n in numbers)
    pages = [p.read_text("utf-8") for p in html_dir.iterdir()]
    assert not any("<script>x</script>" in page for page in pages)  # the hostile name...
    assert any("&lt;script&gt;x&lt;/script&gt;" in page for page in pages)  # ...is escaped
    for pdf in pdf_dir.iterdir():
        assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("kind", ["missing", "text", "foreign", "folder"])
def test_invoices_refuses_bad_files(capsys, bad_files, kind, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "invoices", str(bad_files[kind]), "--html", str(out_dir))
    assert code == 1
    assert err.startswith("auctionmen invoices: ")
    assert out == ""
    assert not out_dir.exists()


def test_invoices_refuses_an_output_that_is_a_file(capsys, sale, tmp_path: Path) -> None:
    db, _ = sale
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    code, _, err = _run(capsys, "invoices", str(db), "--pdf", str(taken))
    assert code == 1
    assert "exists and is not a folder" in err
    assert taken.read_text() == "keep me"


# ---------------------------------------------------------------------- export accounts


def test_export_json_of_everything(capsys, sale) -> None:
    db, numbers = sale
    code, out, _ = _run(capsys, "export", "accounts", str(db), "--format", "json")
    assert code == 0
    body = json.loads(out)
    assert body["sale"] == SALE
    assert body["minor_unit_digits"] == 2
    assert set(body["kinds"]) >= {"invoices", "lines", "payments", "settlements"}
    assert sorted(r["number"] for r in body["kinds"]["invoices"]) == sorted(numbers[:3])
    assert [r["number"] for r in body["kinds"]["credit_notes"]] == numbers[3:]
    assert all(isinstance(r["total"], int) for r in body["kinds"]["invoices"])
    (payment,) = body["kinds"]["payments"]
    assert (payment["amount"], payment["method"]) == (1000, "cash")


def test_export_csv_one_kind_and_all(capsys, sale, tmp_path: Path) -> None:
    db, numbers = sale
    out_file = tmp_path / "invoices.csv"
    code, _, err = _run(
        capsys, "export", "accounts", str(db), "--format", "csv", "--kind", "invoices",
        "--out", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text("utf-8"))))
    assert sorted(r["number"] for r in rows) == sorted(numbers[:3])
    hostile = next(r for r in rows if r["paddle"] == "100")
    assert not hostile["name"].startswith("=")  # formula-safe
    _, out, _ = _run(
        capsys, "export", "accounts", str(db), "--format", "json", "--kind", "invoices"
    )
    minor = {r["number"]: r["total"] for r in json.loads(out)["rows"]}
    assert {r["number"]: r["total"] for r in rows} == {
        n: format_plain_amount(t, "EUR") for n, t in minor.items()
    }  # major units in CSV, minor units in JSON

    folder = tmp_path / "books"
    code, _, err = _run(
        capsys, "export", "accounts", str(db), "--format", "csv", "--out", str(folder)
    )
    assert code == 0, err
    assert {"invoices.csv", "payments.csv", "settlements.csv"} <= {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["--format", "csv"], 2, "needs --out DIR"),
        (["--format", "json", "--kind", "bank_details"], 2, "no export 'bank_details'"),
        (["--format", "json", "--kind", "../../etc"], 2, "no export"),
    ],
)
def test_export_usage_errors(capsys, sale, argv, code, says) -> None:
    db, _ = sale
    got, out, err = _run(capsys, "export", "accounts", str(db), *argv)
    assert got == code
    assert says in err
    assert out == ""


def test_export_refuses_bad_inputs_and_outputs(capsys, sale, bad_files, tmp_path) -> None:
    db, _ = sale
    for path in bad_files.values():
        code, out, err = _run(capsys, "export", "accounts", str(path), "--format", "json")
        assert code == 1
        assert err.startswith("auctionmen export accounts: ")
        assert out == ""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    code, _, err = _run(
        capsys, "export", "accounts", str(db), "--format", "json", "--out", str(folder)
    )
    assert code == 1
    assert "cannot write" in err
    code, _, err = _run(
        capsys, "export", "accounts", str(db), "--format", "json",
        "--out", str(tmp_path / "missing" / "x.json"),
    )  # fmt: skip
    assert code == 1
    assert "cannot write" in err


def test_bad_format_is_a_usage_error(sale) -> None:
    db, _ = sale
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "export", "accounts", str(db), "--format", "xml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "invalid choice: 'xml'" in done.stderr


@pytest.mark.slow
@pytest.mark.bench
def test_the_invoice_bench_runs_small() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_invoices",
            "--lots",
            "12",
            "--buyers",
            "5",
            "--pdf",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for step in ("issue", "compute", "HTML, ours", "HTML, peer", "PDF, ours", "PDF, peer"):
        assert f"| {step}" in done.stdout
    assert "extrapolated: all 5 PDFs" in done.stdout
