"""Budgets per file: small hostile files are refused before the work, with the limit and how to raise it.

The payloads are small: each test lowers the budget it tests (the environment variable the
error message names) instead of writing a file of hundreds of megabytes.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from quickscan import errors
from quickscan._docx import read_docx
from quickscan._limits import limit
from quickscan._xlsx import read_excel
from quickscan.corpus import Corpus
from quickscan.ingest import read_files, read_folder
from quickscan.refi import read_qdpx


def _project(sources: int, member: str = "big.txt") -> bytes:
    refs = "".join(
        f'<TextSource guid="00000000-0000-0000-0000-{i:012d}" name="Pilot {i} (T0)" plainTextPath="internal://{member}"/>'
        for i in range(sources)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" '
            f'origin="hostile"><Sources>{refs}</Sources></Project>').encode()


def test_limits_qdpx_sources_pointing_at_one_member_count_every_reference(tmp_path, monkeypatch):
    """120 sources pointing at one member: each reference counts, so the project is refused early."""
    path = tmp_path / "bom.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", _project(120))
        z.writestr("Sources/big.txt", "tekst " * 350_000)  # 2 MiB, packed to a few KiB
    monkeypatch.setenv("QUICKSCAN_MAX_UNPACKED_MB", "10")
    with pytest.raises(errors.RefiError) as info:
        read_qdpx(path)
    message = str(info.value)
    assert "bom.qdpx" in message and "120 text sources" in message and "Sources/big.txt" in message
    assert "limit 10 MiB unpacked per file" in message and "QUICKSCAN_MAX_UNPACKED_MB=" in message
    monkeypatch.setenv("QUICKSCAN_MAX_UNPACKED_MB", "1000")  # raised: read, the member unpacked once
    project = read_qdpx(path)
    assert len(project.sources) == 120


def test_limits_docx_whose_document_xml_is_over_the_xml_budget(tmp_path, write_form, answers, monkeypatch):
    src = write_form(answers)
    big = tmp_path / "groot.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":  # 3 MiB of XML comment: packs to a few KiB
                data = data.replace(b"<w:body>", b"<w:body><!--" + b"x" * (3 * 2**20) + b"-->", 1)
            zout.writestr(item, data)
    monkeypatch.setenv("QUICKSCAN_MAX_XML_MB", "2")
    with pytest.raises(errors.LimitError, match=r"word/document.xml would unpack to 3 MiB of XML .*"
                       r"limit 2 MiB of XML per file.*QUICKSCAN_MAX_XML_MB=\d+"):
        read_docx(big)
    corpus = read_files([big])  # in a batch: a problem row naming the file
    assert corpus.problems.iloc[0][["severity", "code"]].tolist() == ["error", "E108"]
    monkeypatch.delenv("QUICKSCAN_MAX_XML_MB")
    assert read_docx(big).answer("buurtcirkel-zeist", 9).startswith("Eerste alinea")


def test_limits_default_budgets_and_a_bad_setting():
    assert limit("xml") == 64 * 2**20 and limit("cells") == 2_000_000
    os.environ["QUICKSCAN_MAX_CELLS"] = "veel"
    try:
        with pytest.raises(errors.QuickscanError, match="QUICKSCAN_MAX_CELLS='veel' is not a number"):
            limit("cells")
    finally:
        del os.environ["QUICKSCAN_MAX_CELLS"]


def _workbook(path, far: str | None = None):
    wb = Workbook()
    ws = wb.active
    ws.title = "T0"
    ws["A1"], ws["B1"] = "Vraag", "Buurtcirkel Zeist"
    for i, label in enumerate(["Naam en adres pilot", "Gemeente", "Naam, telefoonnummer, emailadres pilotleider"], 1):
        ws.cell(i + 1, 1, f"{i}. {label}")
        ws.cell(i + 1, 2, f"antwoord {i}")
    if far:
        ws[far] = "x"
    wb.save(path)
    return path


def test_limits_workbook_with_a_cell_at_xfd1048576_is_refused_quickly(tmp_path):
    """openpyxl would make every cell of A1:XFD1048576; the used range is checked first."""
    path = _workbook(tmp_path / "ver.xlsx", far="XFD1048576")
    with pytest.raises(errors.LimitError) as info:
        read_excel(path)
    message = str(info.value)
    assert "A1:XFD1048576" in message and "cell XFD1048576" in message and "QUICKSCAN_MAX_CELLS=" in message


def test_limits_workbook_merging_the_whole_sheet_is_refused_before_loading(tmp_path):
    path = _workbook(tmp_path / "merge.xlsx")
    patched = tmp_path / "merge2.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="B5:XFD1048576"/>'
                                    b"</mergeCells>")
            zout.writestr(item, data)
    with pytest.raises(errors.LimitError, match=r"merges 17,178,755,076 cells"):
        read_excel(patched)


def test_limits_workbook_with_more_cells_than_the_budget(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "vol.xlsx")
    monkeypatch.setenv("QUICKSCAN_MAX_CELLS", "3")
    with pytest.raises(errors.LimitError, match=r"xl/worksheets/sheet1.xml holds 8 cells .*limit 3 cells per sheet"):
        read_excel(path)


def test_limits_review_sheet_with_a_far_cell_reads_only_its_rows(tmp_path):
    import pandas as pd

    from quickscan.coding import CODING_COLUMNS
    from quickscan.review import read_review_sheet, write_review_sheet

    path = write_review_sheet(pd.DataFrame(columns=CODING_COLUMNS), tmp_path / "review.xlsx")
    wb = load_workbook(path)
    wb.worksheets[0]["XFD1048576"] = "verdwaald"
    wb.save(path)
    assert read_review_sheet(path).empty


def test_limits_memory_error_in_one_file_is_that_files_problem(tmp_path, write_form, answers, monkeypatch):
    from quickscan import ingest

    good = write_form(answers, name="T0-goed.docx")
    bad = shutil.copy(good, tmp_path / "T0-groot.docx")
    real = ingest.read_form

    def read_form(path, **kw):
        if "groot" in str(path):
            raise MemoryError
        return real(path, **kw)

    monkeypatch.setattr(ingest, "read_form", read_form)
    corpus = read_folder(tmp_path)
    assert corpus.pilot_ids == ("buurtcirkel-zeist",)
    row = corpus.errors.iloc[0]
    assert row.code == "E108" and row.source == str(bad) and "out of memory" in row.message


def test_limits_memory_error_while_the_corpus_is_built_leaves_out_the_largest_file(
        tmp_path, write_form, answers, monkeypatch):
    """The MemoryError that comes after the per-file reader (building the corpus) costs one file, not all."""
    from quickscan import ingest

    write_form(answers, name="T0-a.docx")
    write_form({**answers, 1: "Wijkteam Houten", 9: "Lang antwoord. " * 2000}, name="T0-b.docx")
    real = Corpus.from_answers.__func__

    def from_answers(cls, answers, problems=(), template=None):
        if any("T0-b" in str(r.get("source", "")) for r in (answers if isinstance(answers, list) else [])):
            raise MemoryError
        return real(cls, answers, problems, template)

    monkeypatch.setattr(ingest.Corpus, "from_answers", classmethod(from_answers))
    corpus = read_folder(tmp_path)
    assert corpus.pilot_ids == ("buurtcirkel-zeist",)
    assert corpus.errors["source"].str.endswith("T0-b.docx").tolist() == [True]
    assert re.search("out of memory .* combining", corpus.errors.iloc[0].message)


@pytest.mark.parametrize("reader", [read_docx, read_excel, read_qdpx])
def test_limits_fifo_is_refused_before_opening(tmp_path, reader):
    fifo = tmp_path / ("vorm.qdpx" if reader is read_qdpx else "vorm.docx")
    os.mkfifo(fifo)  # opening it for reading would block for ever
    with pytest.raises(errors.InputError, match=r"not a regular file \(a FIFO"):
        reader(fifo)


def test_limits_dev_zero_in_a_batch_is_a_problem_row():
    corpus = read_files(["/dev/zero"])
    assert "not a regular file (a character device)" in corpus.errors.iloc[0].message
