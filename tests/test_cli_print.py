"""`auctionmen invoices DB --print FILE`: every document of the sale in one PDF to print, laid
out once with the per-document PDFs; bad destinations refused with nothing written."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from tests.test_cli_money import _run, sale  # noqa: F401 (the module-scoped sale fixture)


def test_print_writes_one_pdf_with_every_document_beside_the_own_files(
    capsys,
    sale,  # noqa: F811
    tmp_path: Path,
) -> None:
    db, numbers = sale
    printed, pdf_dir = tmp_path / "all.pdf", tmp_path / "pdf"
    code, _, err = _run(capsys, "invoices", str(db), "--pdf", str(pdf_dir), "--print", str(printed))
    assert code == 0, err
    assert f"wrote {len(numbers) + 1} file(s)" in err
    own = {p.stem: pypdf.PdfReader(p) for p in pdf_dir.iterdir()}
    assert sorted(own) == sorted(numbers)
    assert all("factur-x.xml" in reader.attachments for reader in own.values())
    whole = pypdf.PdfReader(io.BytesIO(printed.read_bytes()))
    assert len(whole.pages) == sum(len(reader.pages) for reader in own.values())
    text = "".join(page.extract_text() for page in whole.pages)
    assert all(number in text for number in numbers)


def test_print_alone_writes_only_the_print_file(capsys, sale, tmp_path: Path) -> None:  # noqa: F811
    db, _ = sale
    printed = tmp_path / "run.pdf"
    code, out, err = _run(capsys, "invoices", str(db), "--print", str(printed))
    assert code == 0, err
    assert out == ""
    assert printed.read_bytes().startswith(b"%PDF-")
    assert list(tmp_path.iterdir()) == [printed]


def test_print_refuses_a_folder_or_a_missing_folder(capsys, sale, tmp_path: Path) -> None:  # noqa: F811
    db, _ = sale
    code, out, err = _run(capsys, "invoices", str(db), "--print", str(tmp_path))
    assert (code, out) == (1, "")
    assert "is a folder, not a file" in err
    missing = tmp_path / "no" / "such" / "run.pdf"
    code, _, err = _run(capsys, "invoices", str(db), "--print", str(missing))
    assert code == 1
    assert err.startswith("auctionmen invoices: cannot write")
    assert not (tmp_path / "no").exists()


def test_print_joins_chunks_into_one_file_in_order(
    capsys,
    sale,  # noqa: F811
    tmp_path: Path,
    monkeypatch,
) -> None:
    from app import cli

    db, numbers = sale
    whole, chunked = tmp_path / "whole.pdf", tmp_path / "chunked.pdf"
    assert _run(capsys, "invoices", str(db), "--print", str(whole))[0] == 0
    monkeypatch.setattr(cli, "PRINT_CHUNK", 2)  # laid out two documents at a time
    assert _run(capsys, "invoices", str(db), "--print", str(chunked))[0] == 0
    one, joined = (pypdf.PdfReader(p) for p in (whole, chunked))
    assert len(joined.pages) == len(one.pages) > len(numbers) // 2
    assert [p.extract_text() for p in joined.pages] == [p.extract_text() for p in one.pages]


def test_workers_lay_the_chunks_out_in_other_processes_in_order(
    capsys,
    sale,  # noqa: F811
    tmp_path: Path,
) -> None:
    db, numbers = sale
    alone, shared = tmp_path / "alone.pdf", tmp_path / "shared.pdf"
    pdf_dir = tmp_path / "pdf"
    assert _run(capsys, "invoices", str(db), "--print", str(alone))[0] == 0
    code, _, err = _run(
        capsys, "invoices", str(db), "--print", str(shared), "--pdf", str(pdf_dir), "--workers", "2"
    )
    assert code == 0, err
    one, two = (pypdf.PdfReader(p) for p in (alone, shared))
    assert [p.extract_text() for p in two.pages] == [p.extract_text() for p in one.pages]
    assert sorted(p.stem for p in pdf_dir.iterdir()) == sorted(numbers)


@pytest.mark.parametrize("workers", ["0", "-1", "65", "two", "٣", "1e3", "9" * 40])
def test_a_bad_number_of_workers_is_refused_before_anything(
    capsys,
    sale,  # noqa: F811
    tmp_path: Path,
    workers: str,
) -> None:
    db, _ = sale
    printed = tmp_path / "run.pdf"
    with pytest.raises(SystemExit) as exited:
        _run(capsys, "invoices", str(db), "--print", str(printed), "--workers", workers)
    assert exited.value.code == 2
    assert "a number of processes from 1 to 64" in capsys.readouterr().err
    assert not printed.exists()
