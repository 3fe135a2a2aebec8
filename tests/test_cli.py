"""The quickscan command: thin, with exit codes 0 fine, 1 problems in the input, 2 usage."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quickscan.cli import main
from tests.conftest import REALDOCS, ROOT, SAMPLE, needs


@pytest.mark.slow
def test_cli_demo_writes_the_report_and_keeps_review_decisions(tmp_path, capsys, monkeypatch):
    import openpyxl

    monkeypatch.chdir(ROOT)
    assert main(["demo", "--out", str(tmp_path), "--svg"]) == 0
    out = capsys.readouterr().out
    assert "T0: 15 pilots" in out and "T1: 16 pilots" in out
    for name in ("report.docx", "report-T0.docx", "tables.xlsx", "codings.csv", "review.xlsx",
                 "tables/basisset-T0.csv", "charts/basisset-T0-T1.png", "charts/uitgangspunten-T1-matrix.svg"):
        assert (tmp_path / name).exists(), name
    # a researcher rejects the first coding of the basisset; a second run applies it and
    # leaves the sheet alone
    book = openpyxl.load_workbook(tmp_path / "review.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    row = next(r[0].row for r in sheet.iter_rows(min_row=2) if r[header.index("code")].value == "wonen")
    sheet.cell(row=row, column=header.index("decision") + 1, value="reject")
    sheet.cell(row=row, column=header.index("coder") + 1, value="Onderzoeker A")
    book.save(tmp_path / "review.xlsx")
    before = (tmp_path / "review.xlsx").read_bytes()
    segment = sheet.cell(row=row, column=1).value
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert "1 review decision(s) applied from review.xlsx" in capsys.readouterr().out
    assert (tmp_path / "review.xlsx").read_bytes() == before
    # the tables show the decision: the review sheet inside tables.xlsx has it
    review = openpyxl.load_workbook(tmp_path / "tables.xlsx")["review"]
    decided = {r[0]: r[header.index("decision")] for r in review.iter_rows(min_row=2, values_only=True)}
    assert decided[segment] == "reject"


def test_cli_ingest_writes_combined_workbook(tmp_path, capsys):
    out = tmp_path / "antwoorden.xlsx"
    assert main(["ingest", str(SAMPLE / "T0"), "--out", str(out)]) == 0
    assert out.exists() and "T0: 15 pilots" in capsys.readouterr().out


@pytest.mark.parametrize(
    "files, code",
    [
        ([SAMPLE / "T0" / "01-houten-ggz.docx"], 0),
        ([ROOT / "src" / "quickscan" / "data" / "quickscan-u16.yaml"], 0),
        ([REALDOCS / "python-docx__tbl-cell-access.docx"], 1),
    ],
)
def test_cli_check_exit_codes(files, code, capsys):
    for path in files:
        if REALDOCS in path.parents:
            needs(path)
    assert main(["check", *map(str, files)]) == code


def test_cli_check_refi_files(tmp_path, capsys):
    from quickscan.codebook import default_codebook
    from quickscan.refi import write_qdc

    good = write_qdc(default_codebook(), tmp_path / "codeboek.qdc")
    broken = tmp_path / "project.qdpx"
    broken.write_bytes(b"not a zip")
    assert main(["check", str(good)]) == 0
    assert "valid REFI-QDA codebook (14 families, 133 codes)" in capsys.readouterr().out
    assert main(["check", str(broken)]) == 1
    assert "project.qdpx" in capsys.readouterr().out


def test_cli_check_reports_a_broken_template(tmp_path, capsys):
    bad = tmp_path / "kapot.yaml"
    bad.write_text("id: x\nquestions:\n  - {number: 1}\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    assert "kapot.yaml" in capsys.readouterr().out


def test_cli_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["ingest", "/no/such/folder/x.docx"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["nonsense"])
    assert exc.value.code == 2
    assert main(["report", str(SAMPLE / "T0"), "--families", "basisset", "nope"]) == 2
    assert "no family ['nope']" in capsys.readouterr().err


def test_cli_report_with_a_broken_codebook_says_where(tmp_path, capsys):
    codebook = tmp_path / "codeboek.yaml"
    codebook.write_text("families: [\n", encoding="utf-8")
    assert main(["report", str(SAMPLE / "T0"), "--codebook", str(codebook), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "codeboek.yaml" in err and "line 2" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_import_quickscan_is_light():
    code = "import sys, quickscan; print(sorted(m for m in ('pandas', 'spacy', 'matplotlib', 'docx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
