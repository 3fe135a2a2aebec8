"""The quickscan command: thin, with exit codes 0 fine, 1 problems in the input, 2 usage."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quickscan.cli import main
from tests.conftest import REALDOCS, ROOT, SAMPLE, needs


@pytest.mark.slow
def test_cli_review_round_end_to_end(tmp_path, capsys, monkeypatch):
    """Reject one cell and add one in review.xlsx, re-run: tables, Word report, prose counts,
    comparison, codings.csv and the REFI export change accordingly; the sheet stays byte-identical."""
    import csv
    import io
    import zipfile

    import openpyxl
    from docx import Document

    monkeypatch.chdir(ROOT)
    out = tmp_path / "uit"
    assert main(["demo", "--out", str(out), "--refi"]) == 0
    first = capsys.readouterr().out
    assert "T0: 15 pilots" in first and "T1: 16 pilots" in first and "type decisions in" in first
    for name in ("report.docx", "report-T0.docx", "tables.xlsx", "codings.csv", "review.xlsx",
                 "tables/basisset-T0.csv", "charts/basisset-T0-T1.png", "project.qdpx"):
        assert (out / name).exists(), name

    def table(name):
        rows = list(csv.reader(io.StringIO((out / "tables" / name).read_text("utf-8-sig"))))
        return {r[0]: dict(zip(rows[0][1:], r[1:])) for r in rows[1:]}

    def docx_text(name):
        doc = Document(out / name)
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return [p.text for p in doc.paragraphs], cells

    before = table("basisset-T1.csv")
    paragraphs_before, _ = docx_text("report.docx")
    book = openpyxl.load_workbook(out / "review.xlsx")
    assert book.sheetnames == ["review", "basisset", "uitgangspunten", "lists"]
    sheet = book["basisset"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in header}
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(rows) / 31 <= 15  # review rows per interview, both families together are counted in the docs
    reject = next(r for r in rows if r[col["wave"] - 1] == "T1")
    pilot, label = reject[col["pilot"] - 1], reject[col["label"] - 1]
    reject_row = next(c.row for c in sheet["A"] if c.value == reject[0])
    sheet.cell(reject_row, col["decision"], "reject")
    # add a code the pilot lacks in T1
    missing = next(code for code, value in before[pilot].items() if value == "" and code != label)
    codes = {r[2]: r[1] for r in book["lists"].iter_rows(min_row=2, values_only=True) if r[1]}
    new = sheet.max_row + 1
    for name, value in (("pilot", pilot), ("wave", "T1"), ("code", codes[missing]), ("decision", "add"),
                        ("evidence", "Volgens de onderzoeker hoort deze code erbij.")):
        sheet.cell(new, col[name], value)
    book["review"]["B1"] = "Onderzoeker A"
    book.save(out / "review.xlsx")
    sheet_bytes = (out / "review.xlsx").read_bytes()

    assert main(["demo", "--out", str(out), "--refi"]) == 0
    second = capsys.readouterr().out
    assert "Review decisions from review.xlsx: 2 applied, 0 re-anchored, 0 obsolete, 0 conflicting" in second
    assert (out / "review.xlsx").read_bytes() == sheet_bytes  # never overwritten
    after = table("basisset-T1.csv")
    assert before[pilot][label] == "X" and after[pilot][label] == ""
    assert before[pilot][missing] == "" and after[pilot][missing] == "X"
    assert int(after["Totaal"][label]) == int(before["Totaal"][label]) - 1
    assert int(after["Totaal"][missing]) == int(before["Totaal"][missing]) + 1
    # the Word report: prose counts and the T0-T1 comparison follow the decisions
    paragraphs_after, cells_after = docx_text("report.docx")
    count = lambda paragraphs, lab: next(p for p in paragraphs if p.startswith(f"{lab}: genoemd door"))
    assert count(paragraphs_before, label) != count(paragraphs_after, label)
    assert f"genoemd door {after['Totaal'][label]} van de" in count(paragraphs_after, label)
    assert f"genoemd door {after['Totaal'][missing]} van de" in count(paragraphs_after, missing)
    assert "Beoordeling: 2 cellen beoordeeld door Onderzoeker A." in paragraphs_after  # the table's footnote
    number, name = pilot.split(". ", 1)
    assert any(p.startswith(f"{number}. {name}:") and missing in p for p in paragraphs_after)  # gained in T1
    # codings.csv and the review sheet inside tables.xlsx carry the reviewer
    codings = list(csv.DictReader(io.StringIO((out / "codings.csv").read_text("utf-8"))))
    decided = [r for r in codings if r["decision"] in ("rejected", "added")]
    assert {r["coder"] for r in decided} == {"Onderzoeker A"}
    assert any(r["source"] == "researcher" and r["wave"] == "T1" for r in decided)
    copy = openpyxl.load_workbook(out / "tables.xlsx")["review"]
    copy_header = [c.value for c in copy[2]]
    shown = {(r[copy_header.index("pilot")], r[copy_header.index("label")]):
             (r[copy_header.index("decision")], r[copy_header.index("reviewer")])
             for r in copy.iter_rows(min_row=3, values_only=True) if r[copy_header.index("wave")] == "T1"}
    assert shown[pilot, label] == ("reject", "Onderzoeker A") and shown[pilot, missing] == ("add", "Onderzoeker A")
    # REFI-QDA: the added coding is credited to the reviewer
    project = zipfile.ZipFile(out / "project.qdpx").read("project.qde").decode("utf-8")
    assert 'name="Onderzoeker A"' in project


@pytest.mark.slow
def test_cli_reports_decisions_that_no_longer_fit(tmp_path, capsys, monkeypatch):
    """A reject of a cell the rules do not mark is obsolete, never 'applied'; a decision on a
    code the codebook does not have is conflicting and listed."""
    import openpyxl

    from quickscan.review import cell_id

    monkeypatch.chdir(ROOT)
    out = tmp_path / "uit"
    assert main(["demo", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / "review.xlsx")
    sheet = book["basisset"]
    header = [c.value for c in sheet[1]]
    marked = {(r[1], r[3]) for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] and r[2] == "T0"}
    codes = [r[1] for r in book["lists"].iter_rows(min_row=2, values_only=True) if r[3] == "basisset"]
    pilot = "1. Gebiedsteam GGZ Houten"
    code = next(c for c in codes if (pilot, c) not in marked)
    row = sheet.max_row + 1
    for name, value in {"cell_id": cell_id("gebiedsteam-ggz-houten", "T0", code), "pilot": pilot, "wave": "T0",
                        "code": code, "decision": "reject"}.items():
        sheet.cell(row, header.index(name) + 1, value)
    book.save(out / "review.xlsx")
    capsys.readouterr()
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "0 applied, 0 re-anchored, 1 obsolete, 0 conflicting" in printed, printed
    assert f"obsolete: gebiedsteam-ggz-houten T0 {code} (reject)" in printed


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


# -- every error path: one line naming the file and what to do, exit 1 or 2, no traceback ---------


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("quickscan:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_cli_output_path_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "uit").write_text("geen map")
    assert main(["report", str(SAMPLE / "T0"), "--out", str(tmp_path / "uit")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "uit: is a file, not a folder" in line and "--out" in line


@pytest.mark.parametrize("code, says", [
    (28, "the disk is full; free some space, or write to another folder (--out)"),  # ENOSPC
    (30, "is on a read-only disk; write to another folder (--out)"),  # EROFS
    (13, "no permission to write in"),  # EACCES
])
def test_cli_disk_full_or_read_only_folder_says_what_to_do(tmp_path, capsys, monkeypatch, code, says):
    import os

    def broken_save(self, filename):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("openpyxl.Workbook.save", broken_save)
    target = tmp_path / "antwoorden.xlsx"
    assert main(["ingest", str(SAMPLE / "T0"), "--out", str(target)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert str(target) in line and says in line
    assert list(tmp_path.iterdir()) == []  # no temporary file left


def test_cli_read_only_output_folder_is_found_before_writing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("quickscan._io.os.access", lambda path, mode: False)
    assert main(["report", str(SAMPLE / "T0"), "--families", "uitgangspunten", "--out", str(tmp_path / "uit")]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "no permission to write in" in line and "uit" in line
    assert not (tmp_path / "uit" / "tables.xlsx").exists()


def test_cli_fifo_and_dev_zero_as_inputs_end_in_one_line(tmp_path, capsys):
    import os

    fifo = tmp_path / "codeboek.yaml"
    os.mkfifo(fifo)
    assert main(["report", str(SAMPLE / "T0"), "--codebook", str(fifo), "--out", str(tmp_path / "uit")]) == 1
    assert "not a regular file (a FIFO" in _one_line(capsys.readouterr().err)
    assert main(["ingest", "/dev/zero"]) == 1
    assert "/dev/zero" in capsys.readouterr().out  # a problem row of the summary


def test_cli_utf16_codebook_is_read_and_latin1_is_one_line(tmp_path, capsys):
    codebook = tmp_path / "cb.yaml"
    codebook.write_text("id: mini\nfamilies: [{id: f, label: Fam, codes: [{id: a, label: Één, patterns: [hulp*]}]}]\n",
                        "utf-16")
    assert main(["check", str(codebook)]) == 0
    assert "valid codebook" in capsys.readouterr().out
    codebook.write_bytes("id: mini\nname: Cliënt\n".encode("latin-1"))
    assert main(["report", str(SAMPLE / "T0"), "--codebook", str(codebook), "--out", str(tmp_path / "uit")]) == 1
    assert "not UTF-8 text" in _one_line(capsys.readouterr().err)


def test_cli_unexpected_error_is_one_line_unless_debugging(capsys, monkeypatch):
    def bug(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("quickscan.cli._ingest", bug)
    assert main(["ingest", str(SAMPLE / "T0")]) == 1
    assert "internal error ZeroDivisionError" in _one_line(capsys.readouterr().err)
    monkeypatch.setenv("QUICKSCAN_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["ingest", str(SAMPLE / "T0")])


def test_cli_program_collects_garbage_less_often_and_not_at_the_end(tmp_path):
    """Run as the program (no argv given), main() makes young garbage collections rarer and freezes
    the collector at the end: the exit then skips a pass over every object (0.7-1 s after a
    report); called with argv (a script, a test) it leaves the collector alone."""
    code = ("import gc, sys\nfrom quickscan.cli import main\n"
            f"main(['ingest', {str(SAMPLE / 'T0')!r}, '--out', {str(tmp_path / 'a.xlsx')!r}])\n"
            "print(gc.get_freeze_count() == 0 and gc.get_threshold()[0] == 700)\n"
            f"sys.argv = ['quickscan', 'ingest', {str(SAMPLE / 'T0')!r}, '--out', {str(tmp_path / 'b.xlsx')!r}]\n"
            "print(main(), gc.get_freeze_count() > 0 and gc.get_threshold()[0] == 10_000)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = [line for line in done.stdout.splitlines() if "True" in line or "False" in line]
    assert lines == ["True", "0 True"]
    assert (tmp_path / "b.xlsx").stat().st_size > 0
