"""Tests of quickscan.export: the workbook, the CSV tables and the Word report.

The text of the generated report on the sample (paragraphs and table cells, in document
order) is kept in ``tests/golden/report-T0.txt`` and ``tests/golden/report-T0-T1.txt``.
After a deliberate change, refresh every golden file with one command and review the diff::

    python scripts/refresh_golden.py
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from quickscan.coding import present

from quickscan.export import (
    WIDE_TABLE,
    to_docx,
    to_workbook,
    write_csv_tables,
    write_docx,
    write_xlsx,
)
from quickscan.matrices import TOTAL, code_matrix, summarize_codes
from refresh_golden import REPORTS, document_text

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def sample():
    from quickscan.coding import code_corpus
    from quickscan.ingest import read_folder

    corpus = read_folder(ROOT / "data" / "sample")
    return code_corpus(corpus), corpus


@pytest.fixture(scope="module")
def report(sample):
    codings, corpus = sample
    return to_docx(codings, corpus, wave="T0", charts=False)


# -- helpers -----------------------------------------------------------------------------------


def table_cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def table_orientations(doc) -> list[str]:
    """The page orientation of the section each table of the body lies in."""
    from docx.enum.section import WD_ORIENT

    found, pending = [], 0
    sections = iter(doc.sections)
    for child in doc.element.body.iterchildren():
        if child.tag == f"{W}tbl":
            pending += 1
        breaks = child.tag == f"{W}p" and child.find(f"{W}pPr/{W}sectPr") is not None
        ends_section = breaks or child.tag == f"{W}sectPr"
        if ends_section:
            section = next(sections)
            found += ["landscape" if section.orientation == WD_ORIENT.LANDSCAPE else "portrait"] * pending
            pending = 0
    return found


def captions(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == "Caption"]


# -- Word --------------------------------------------------------------------------------------


def test_export_docx_captions_numbered_above_their_tables(report):
    tables = [c for c in captions(report) if c.startswith("Tabel")]
    assert [int(re.match(r"Tabel (\d+)\. ", c).group(1)) for c in tables] == list(range(1, len(report.tables) + 1))
    assert tables[0] == "Tabel 1. Onderdelen uit de basisset waar ieder project aan bijdraagt."
    body = list(report.element.body.iterchildren())
    for i, child in enumerate(body):
        if child.tag == f"{W}tbl":
            previous = [c for c in body[:i] if c.tag == f"{W}p" and "".join(c.itertext()).strip()][-1]
            assert "".join(previous.itertext()).startswith("Tabel ")


def test_export_docx_table_equals_code_matrix(sample, report):
    codings, corpus = sample
    matrix = code_matrix(codings, corpus, family="basisset", wave="T0")
    cells = table_cells(report.tables[0])
    assert cells[0] == ["Pilot", *matrix.columns]
    assert [row[0] for row in cells[1:]] == list(matrix.index)
    assert cells[-1] == [TOTAL, *map(str, matrix.loc[TOTAL])]
    assert [row[1:] for row in cells[1:-1]] == matrix.iloc[:-1].to_numpy().tolist()


def test_export_docx_header_and_total_bold_x_centred(report):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    rows = report.tables[0].rows
    assert all(run.bold for cell in rows[0].cells for run in cell.paragraphs[0].runs)
    assert all(run.bold for cell in rows[-1].cells for run in cell.paragraphs[0].runs)
    assert not any(run.bold for cell in rows[1].cells for run in cell.paragraphs[0].runs)
    x = [cell for row in rows[1:-1] for cell in row.cells[1:] if cell.text == "X"]
    assert x and all(cell.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER for cell in x)


def _prose_counts(doc, heading: str) -> dict[str, int]:
    """label -> n from the bullets "<label>: genoemd door <n> van de <N> pilots." under a heading."""
    counts, inside = {}, False
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading"):
            inside = p.text == heading
        elif inside and p.style.name == "List Bullet":
            label, phrase = re.match(r"(.+?): genoemd door (.+?)\.", p.text).groups()
            n = re.match(r"(\d+) van de|alle (\d+)|geen van de", phrase)
            counts[label] = int(n.group(1) or n.group(2) or 0)
    return counts


@pytest.mark.parametrize("family, index", [("basisset", 0), ("uitgangspunten", 1)])
def test_export_docx_prose_counts_equal_table_totals(sample, report, family, index):
    codings, corpus = sample
    cells = table_cells(report.tables[index])
    totals = dict(zip(cells[0][1:], map(int, cells[-1][1:])))
    heading = _label(family)
    assert _prose_counts(report, heading) == totals
    summary = summarize_codes(codings, corpus, family=family, wave="T0")
    assert dict(zip(summary["label"], summary["n_pilots"])) == totals


def _label(family: str) -> str:
    from quickscan.codebook import default_codebook

    return default_codebook().family(family).label


def test_export_docx_quote_with_pilot_name(sample, report):
    codings, corpus = sample
    summary = summarize_codes(codings, corpus, family="basisset", wave="T0").set_index("label")
    bullet = next(p.text for p in report.paragraphs if p.text.startswith("Wonen: genoemd door"))
    assert f"“{summary.loc['Wonen', 'quote']}” ({summary.loc['Wonen', 'quote_pilot']})" in bullet


def test_export_docx_wide_table_in_landscape_section(sample, report):
    codings, corpus = sample
    from quickscan.codebook import default_codebook

    families = [f for f in default_codebook().families if f.kind != "fact"]
    expected = ["landscape" if len(f.codes) > WIDE_TABLE else "portrait" for f in families]
    assert "landscape" in expected and "portrait" in expected
    assert table_orientations(report) == expected
    assert report.sections[-1].orientation == 0  # back to portrait at the end


def test_export_docx_fact_families_as_counts(report):
    texts = [p.text for p in report.paragraphs]
    status = texts.index("Status")
    assert texts[status + 2].endswith("van de 15 pilots.") or texts[status + 2].endswith("15 pilots.")
    assert not any(c.startswith("Tabel") and "Status" in c for c in captions(report))


def test_export_docx_comparison(sample):
    codings, corpus = sample
    from quickscan.compare import compare_waves

    doc = to_docx(codings, corpus, families=["uitgangspunten"], compare=("T0", "T1"), charts=False)
    result = compare_waves(codings, corpus, family="uitgangspunten")
    cells = table_cells(doc.tables[-1])
    assert cells[0] == ["Code", "T0", "T1", "Verschil"]
    assert [int(r[1]) for r in cells[1:]] == result.totals["before"].tolist()
    assert [int(r[2]) for r in cells[1:]] == result.totals["after"].tolist()
    # the T0 column equals the Totaal row of the T0 table
    assert [r[1] for r in cells[1:]] == table_cells(doc.tables[0])[-1][1:]
    texts = [p.text for p in doc.paragraphs]
    assert "Vergelijking T0 en T1" in texts
    assert captions(doc)[-1].startswith("Tabel 2. Uitgangspunten: aantal pilots per code in T0")
    assert any("Netwerk Verward Gedrag Oudewater" in t and t.startswith("Alleen in T1") for t in texts)
    assert any("Gestopt" in t for t in texts)


def test_export_docx_chart_embedded(sample):
    pytest.importorskip("matplotlib")
    codings, corpus = sample
    doc = to_docx(codings, corpus, families=["uitgangspunten"], charts=True)
    assert len(doc.inline_shapes) == 1
    assert round(doc.inline_shapes[0].width.cm, 1) == 16.0
    assert "Figuur 1. Uitgangspunten: aantal pilots per code, T0." in captions(doc)
    picture = next(i for i, p in enumerate(doc.paragraphs) if p._p.find(f".//{W}drawing") is not None)
    assert doc.paragraphs[picture].paragraph_format.keep_with_next  # on the page of its caption
    assert doc.paragraphs[picture + 1].text.startswith("Figuur 1.")


def test_export_docx_uses_charts_rendered_before(sample, tmp_path):
    from quickscan.charts import plot_totals, save_chart

    codings, corpus = sample
    png, _ = save_chart(plot_totals(codings, corpus, family="uitgangspunten", wave="T0"), tmp_path / "u")
    doc = to_docx(codings, corpus, families=["basisset", "uitgangspunten"], charts={("uitgangspunten", "T0"): png})
    assert len(doc.inline_shapes) == 1  # basisset has none in the mapping
    image = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert doc.part.related_parts[image].blob == png.read_bytes()
    assert captions(doc)[-1] == "Figuur 1. Uitgangspunten: aantal pilots per code, T0."


def test_export_style_table_for_jupyter(sample):
    from quickscan.export import style_table

    codings, corpus = sample
    table = code_matrix(codings, corpus, family="basisset", wave="T0")
    html = style_table(table, "Tabel 1. Basisset").to_html()
    assert "Tabel 1. Basisset" in html and ">nan<" not in html
    assert html.count(">X<") == (table.iloc[:-1] == "X").sum().sum()
    assert "border-top: 1px solid black" in html


def test_export_docx_no_personal_data(sample, report):
    assert "06-" not in document_text(report)


@pytest.mark.parametrize("name", REPORTS)
def test_export_docx_golden_text(sample, report, name):
    """On a failure: if the change is meant, run ``python scripts/refresh_golden.py`` and review the diff."""
    codings, corpus = sample
    doc = to_docx(codings, corpus, wave="T0", charts=False, compare=REPORTS[name]) if REPORTS[name] else report
    assert document_text(doc) == (GOLDEN / name).read_text("utf-8")


# -- Excel and CSV -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(sample):
    codings, corpus = sample
    codings = codings.copy()
    codings.loc[codings.index[0], "evidence"] = "=HYPERLINK(\"http://example.org\", \"klik\")"
    return to_workbook(codings, corpus)


def test_export_workbook_sheets(sample, workbook):
    from quickscan.codebook import default_codebook

    names = workbook.sheetnames
    assert names[0] == "basisset T0" and names[-2:] == ["codings", "review"]
    assert len(names) == len(default_codebook().families) * 2 + 2
    assert len(set(n.lower() for n in names)) == len(names) and all(len(n) <= 31 for n in names)


def test_export_workbook_table_equals_code_matrix(sample, workbook):
    codings, corpus = sample
    matrix = code_matrix(codings, corpus, family="basisset", wave="T1")
    ws = workbook["basisset T1"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ["Pilot", *matrix.columns]
    assert rows[-1] == [TOTAL, *matrix.loc[TOTAL]]
    assert [[v or "" for v in r[1:]] for r in rows[1:-1]] == matrix.iloc[:-1].to_numpy().tolist()


def test_export_workbook_styled_like_a_report_table(workbook):
    ws = workbook["basisset T0"]
    assert ws.freeze_panes == "B2"
    assert all(cell.font.bold and cell.alignment.wrap_text for cell in ws[1])
    assert all(cell.font.bold for cell in ws[ws.max_row])
    x = [cell for row in ws.iter_rows(min_row=2, max_row=ws.max_row - 1, min_col=2) for cell in row
         if cell.value == "X"]
    assert x and all(cell.alignment.horizontal == "center" for cell in x)
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width


def test_export_workbook_never_writes_formulas(workbook):
    ws = workbook["codings"]
    evidence = [c.value for c in ws[1]].index("evidence") + 1
    assert ws.cell(2, evidence).value.startswith("=HYPERLINK")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name


@pytest.mark.parametrize("include_personal", [False, True])
def test_export_workbook_personal_question_only_on_request(sample, include_personal):
    codings, corpus = sample
    first = codings[codings["family"] == "basisset"].iloc[[0]]
    extra = first.assign(question=pd.array([3], dtype="Int64"), evidence="Jan Jansen, 06-12345678")
    wb = to_workbook(pd.concat([codings, extra], ignore_index=True), corpus, families=["basisset"], waves=["T0"],
                     include_personal=include_personal)
    texts = [c.value for row in wb["codings"].iter_rows() for c in row]
    assert ("Jan Jansen, 06-12345678" in texts) == include_personal
    if not include_personal:
        assert not any("Jan Jansen" in str(c.value) for row in wb["review"].iter_rows() for c in row)


def test_export_workbook_holds_the_codings_behind_its_tables(sample):
    codings, corpus = sample
    wb = to_workbook(codings, corpus, families=["uitgangspunten"], waves=["T1"])
    sheet = wb["codings"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    expected = codings[(codings["family"] == "uitgangspunten") & (codings["wave"] == "T1")]
    assert len(rows) == len(expected) > 0
    assert {(r[header.index("family")], r[header.index("wave")]) for r in rows} == {("uitgangspunten", "T1")}
    cells = present(expected).drop_duplicates(["pilot_id", "code"])
    assert wb["review"].max_row - 2 == len(cells)  # the note, the header, one row per cell


def test_export_workbook_codings_beyond_a_sheet_continue_on_the_next(sample, monkeypatch):
    from quickscan import _sheets

    codings, corpus = sample
    expected = codings[(codings["family"] == "basisset") & (codings["wave"] == "T0")]
    monkeypatch.setattr(_sheets, "MAX_ROWS", 300)  # Excel's 1,048,576 rows, made small
    wb = to_workbook(codings, corpus, families=["basisset"], waves=["T0"])
    parts = [name for name in wb.sheetnames if name.startswith("codings")]
    assert len(expected) > 2 * 299 and parts == ["codings", "codings 2", "codings 3"]
    rows = [r for name in parts for r in wb[name].iter_rows(min_row=2, values_only=True)]
    assert len(rows) == len(expected)  # nothing lost
    assert all([c.value for c in wb[name][1]] == list(codings.columns) for name in parts)


def test_export_workbook_review_sheet_is_a_read_only_copy(sample, workbook, tmp_path):
    """The review sheet inside the tables shows the cells and decisions, but is not where one decides."""
    from quickscan.errors import ReviewError
    from quickscan.review import read_review_sheet

    ws = workbook["review"]
    assert "review.xlsx" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header[:2] == ["family", "cell_id"] and header[-1] == "reviewer"
    assert not ws.data_validations.dataValidation  # no drop-down lists to type into
    assert "lists" not in workbook.sheetnames
    path = tmp_path / "tables.xlsx"
    workbook.save(path)
    with pytest.raises(ReviewError, match="not a review sheet"):
        read_review_sheet(path)


def test_export_csv_tables(sample, tmp_path):
    codings, corpus = sample
    paths = write_csv_tables(tmp_path / "csv", codings, corpus, families=["basisset", "uitgangspunten"])
    assert [p.name for p in paths] == ["basisset-T0.csv", "basisset-T1.csv", "uitgangspunten-T0.csv",
                                       "uitgangspunten-T1.csv"]
    # the same tables as the golden files of the matrices
    for p in paths:
        assert p.read_text("utf-8-sig") == (GOLDEN / p.name).read_text("utf-8")


# -- writers -------------------------------------------------------------------------------------


def test_export_writers_write_files(sample, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    codings, corpus = sample
    docx_path = write_docx(tmp_path / "report.docx", codings, corpus, families=["basisset"], charts=False)
    xlsx_path = write_xlsx(tmp_path / "tables.xlsx", codings, corpus, families=["basisset"])
    assert table_cells(Document(docx_path).tables[0])[-1][0] == TOTAL
    assert load_workbook(xlsx_path).sheetnames == ["basisset T0", "basisset T1", "codings", "review"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx", "tables.xlsx"]


@pytest.mark.parametrize("threshold, per_pilot", [(16, True), (15, False)])
def test_export_docx_table_per_pilot_up_to_the_matrix_threshold(sample, monkeypatch, threshold, per_pilot):
    """The pilots x codes table is shown up to charts.MATRIX_PILOTS pilots in the wave (16 in T1),
    as the pilots x codes chart is drawn; beyond, the counts per code and where the table is."""
    import quickscan.charts

    codings, corpus = sample
    monkeypatch.setattr(quickscan.charts, "MATRIX_PILOTS", threshold)
    doc = to_docx(codings, corpus, families=["basisset"], wave="T1", charts=False)
    table = code_matrix(codings, corpus, family="basisset", wave="T1")
    if per_pilot:
        assert table_cells(doc.tables[0])[-1] == [TOTAL, *map(str, table.loc[TOTAL])]
        assert not any("tables.xlsx" in p.text for p in doc.paragraphs)
    else:
        assert table_cells(doc.tables[0]) == [
            ["Code", "Aantal pilots", "Aandeel"],
            *([code, str(n), f"{100 * int(n) / 16:.0f}%"] for code, n in table.loc[TOTAL].items())]
        assert "De tabel per pilot (16 pilots, een kolom per code) staat in tables.xlsx, blad 'basisset T1'." in [
            p.text for p in doc.paragraphs]
        assert table_orientations(doc) == ["portrait"]  # three columns: no landscape section


def test_export_docx_comparison_of_many_pilots_counted_per_code(sample, monkeypatch):
    """Beyond the threshold the comparison counts per code the pilots that gained and lost it
    (a table) instead of a bullet per pilot; the status changes and the pilots of one wave
    are counted too, and the report says where the detail per pilot is."""
    import quickscan.charts
    from quickscan.compare import compare_waves

    codings, corpus = sample
    monkeypatch.setattr(quickscan.charts, "MATRIX_PILOTS", 0)
    doc = to_docx(codings, corpus, families=["basisset", "uitgangspunten"], wave="T1", compare=("T0", "T1"),
                  charts=False)
    texts = [p.text for p in doc.paragraphs]
    comparison = texts[texts.index("Vergelijking T0 en T1"):]
    assert not [p for p in doc.paragraphs[texts.index("Vergelijking T0 en T1"):] if p.style.name == "List Bullet"]
    result = compare_waves(codings, corpus, family="uitgangspunten")
    cells = table_cells(doc.tables[3])  # the tables of T1, then the comparison of basisset and uitgangspunten
    assert cells[0] == ["Code", "T0", "T1", "Verschil", "Erbij", "Niet meer"]
    changes = result.changes
    for row, code in zip(cells[1:], result.totals["code"]):
        gained = ((changes["code"] == code) & (changes["status"] == "gained")).sum()
        lost = ((changes["code"] == code) & (changes["status"] == "lost")).sum()
        assert [int(row[4]), int(row[5])] == [gained, lost]
    assert ("Welke pilots een code erbij kregen of niet meer noemen: vergelijk in tables.xlsx de bladen "
            "'uitgangspunten T0' en 'uitgangspunten T1' (een rij per pilot).") in comparison
    status = table_cells(doc.tables[4])
    assert status[0] == ["T0 → T1", "Aantal pilots"]
    assert sum(int(n) for _, n in status[1:]) == len(result.status_changes) > 0
    assert any(t.startswith("Alleen in T1: 1 pilot (in tables.xlsx") for t in comparison)
    # the sheets named are those of tables.xlsx
    sheets = to_workbook(codings, corpus, families=["basisset", "uitgangspunten"], review=False).sheetnames
    assert {"uitgangspunten T0", "uitgangspunten T1", "basisset T1"} <= set(sheets)


def test_export_docx_streamed_file_equals_the_document(sample, tmp_path):
    """write_docx streams the body into the file; every part of the package is what saving
    to_docx's document writes (the body canonicalised, the rest byte for byte): text,
    tables, sections, the embedded charts and their relationships."""
    from lxml import etree

    from quickscan.charts import plot_totals, save_chart

    codings, corpus = sample
    png, _ = save_chart(plot_totals(codings, corpus, family="uitgangspunten", wave="T1"), tmp_path / "u")
    kw = dict(families=["basisset", "uitgangspunten", "status"], wave="T1", compare=("T0", "T1"),
              charts={("uitgangspunten", "T1"): png, ("basisset", "T1"): png})
    streamed = write_docx(tmp_path / "streamed.docx", codings, corpus, **kw)
    to_docx(codings, corpus, **kw).save(tmp_path / "tree.docx")
    with zipfile.ZipFile(streamed) as a, zipfile.ZipFile(tmp_path / "tree.docx") as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name == "word/document.xml":
                body = etree.fromstring(a.read(name))
                assert etree.tostring(body, method="c14n") == etree.tostring(etree.fromstring(b.read(name)),
                                                                              method="c14n")
                assert len(body.findall(f".//{W}tbl")) == 4 and len(body.findall(f".//{W}drawing")) == 2
            elif name != "docProps/core.xml":  # its time stamps differ
                assert a.read(name) == b.read(name), name


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_export_writers_are_atomic(sample, tmp_path, monkeypatch, kind):
    import quickscan.export

    codings, corpus = sample
    target = tmp_path / f"out.{kind}"
    target.write_bytes(b"old")

    if kind == "docx":
        def fail_table(*args, **kw):  # the package is written, then the disk fills up while the body streams
            yield "<w:tbl>"
            raise OSError("disk full")

        monkeypatch.setattr(quickscan.export, "_table_xml", fail_table)
        with pytest.raises(OSError, match="disk full"):
            write_docx(target, codings, corpus, families=["uitgangspunten"], charts=False)
    else:
        import quickscan._sheets

        def fail_rows(*args):  # the layout is written, then the disk fills up while the rows stream
            yield "<row/>"
            raise OSError("disk full")

        monkeypatch.setattr(quickscan._sheets, "_rows", fail_rows)
        with pytest.raises(OSError, match="disk full"):
            write_xlsx(target, codings, corpus, families=["uitgangspunten"])
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


# -- the report as LibreOffice lays it out -------------------------------------------------------


def test_export_docx_grid_rows_and_headings_as_word_and_libreoffice_need(sample):
    """Grid columns as wide as the cells (LibreOffice lays out by the grid), rows that never
    split, the header repeated, headings kept with what follows."""
    codings, corpus = sample
    doc = to_docx(codings, corpus, families=["basisset", "uitgangspunten"], wave="T1", compare=("T0", "T1"),
                  charts=False)
    for table in doc.tables:
        grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.findall(f"{W}gridCol")]
        cells = [c.width.twips for c in table.rows[0].cells]
        assert grid == cells
        assert all(row._tr.trPr.find(f"{W}cantSplit") is not None for row in table.rows)
        assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
    headings = [p for p in doc.paragraphs if p.style.name.startswith("Heading") and p.style.name != "Heading 0"]
    assert headings and all(p.paragraph_format.keep_with_next or p.style.paragraph_format.keep_with_next
                            for p in headings)
    # the wide first table: its section (and the title's) is landscape, no page with the title alone
    assert table_orientations(doc)[0] == "landscape" and len(doc.sections) == 2


def _one_code(names: list[str], evidence: str = "Een eigen woning.") -> tuple[pd.DataFrame, object]:
    """(codings, corpus): pilots ``names`` in T0, each coded ``wonen`` once (no spaCy needed)."""
    from quickscan.corpus import Corpus, make_answers

    answers = pd.concat([make_answers(name, "T0", {9: "Een eigen woning."}) for name in names], ignore_index=True)
    corpus = Corpus.from_answers(answers)
    codings = pd.DataFrame({"pilot_id": corpus.pilots["pilot_id"], "wave": "T0", "question": 9, "code": "wonen",
                            "family": "basisset", "start": 4, "end": 9, "evidence": evidence, "negated": False})
    return codings, corpus


def _kept_with_next(table) -> list[bool]:
    """Per row: whether every paragraph of the row is kept with the next."""
    return [all(p.paragraph_format.keep_with_next for cell in row.cells for p in cell.paragraphs) for row in table.rows]


@pytest.mark.parametrize("n", [15, 120])
def test_export_docx_table_that_fits_stays_on_one_page_a_long_one_breaks_without_orphan_rows(n, monkeypatch):
    """A table that fits on a page is kept together (every row but the last kept with the
    next, as the heading and caption are); a longer one may break between pages, but starts
    with its header and three rows and ends with its last three rows together (a table of
    120 pilots is shown when charts.MATRIX_PILOTS is raised; 50 already break on landscape pages)."""
    import quickscan.charts

    monkeypatch.setattr(quickscan.charts, "MATRIX_PILOTS", 200)
    codings, corpus = _one_code([f"Pilot {i:03d}" for i in range(n)])
    doc = to_docx(codings, corpus, families=["basisset"], charts=False)
    table = doc.tables[0]
    assert len(table.rows) == n + 2
    kept = _kept_with_next(table)
    if n == 15:
        assert kept == [True] * (n + 1) + [False]
    else:
        assert [i for i, k in enumerate(kept) if k] == [0, 1, 2, n - 1, n]
    assert all(row._tr.trPr.find(f"{W}cantSplit") is not None for row in table.rows)
    assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
    assert [p.paragraph_format.keep_with_next for p in doc.paragraphs[2:4]] == [True, True]  # heading, caption


def test_export_docx_text_xml_cannot_hold_is_replaced_not_a_crash():
    """Names and quotes with markup characters, a tab and control characters XML 1.0 forbids
    (python-docx raised ValueError on those): written escaped, a forbidden one as U+FFFD."""
    codings, corpus = _one_code(["Huis & Haard <Zeist>\x01", "Tab\tHuis"],
                                evidence="Een <eigen> woning & meer\x02 dan dat, zo zeggen de mensen van de pilot.")
    doc = to_docx(codings, corpus, families=["basisset"], charts=False)
    assert [c.text for c in doc.tables[0].column_cells(0)] == ["Pilot", "1. Huis & Haard <Zeist>\ufffd", "2. Tab\tHuis",
                                                               TOTAL]
    bullet = next(p.text for p in doc.paragraphs if p.text.startswith("Wonen:"))
    assert "“Een <eigen> woning & meer\ufffd dan dat" in bullet and "(Huis & Haard <Zeist>\ufffd)" in bullet
    doc.save(io.BytesIO())


@pytest.mark.slow
def test_export_docx_rendered_by_libreoffice_keeps_names_whole(sample, tmp_path):
    """report.docx rendered to PDF by LibreOffice: Tabel 1 on the first page with its Totaal row,
    few pages, and no pilot name broken inside a word (pdftotext); in the whole report every
    table (all fit on a page) on the page of its caption, down to its Totaal row."""
    import shutil
    import subprocess

    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if not soffice or not pdftotext:
        pytest.skip("needs LibreOffice (soffice) and poppler (pdftotext): "
                    "apt-get install libreoffice-writer-nogui poppler-utils")
    codings, corpus = sample
    path = write_docx(tmp_path / "report.docx", codings, corpus, families=["basisset", "uitgangspunten"],
                      wave="T1", compare=("T0", "T1"), charts=False)
    whole = write_docx(tmp_path / "whole.docx", codings, corpus, wave="T0", charts=False)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path), str(whole)], check=True, capture_output=True, timeout=300)
    pdf = tmp_path / "report.pdf"

    def text(*pages: str, pdf: Path = pdf) -> str:
        return subprocess.run([pdftotext, *pages, str(pdf), "-"], check=True, capture_output=True, text=True).stdout

    # in the whole report, a Totaal row below every caption on its page: no table begins at the foot of a page
    word = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>([^<]*)</word>')
    bbox = text("-bbox", pdf=tmp_path / "whole.pdf")
    captions_found = 0
    for page in bbox.split("<page ")[1:]:
        found = [(float(y), w) for y, w in word.findall(page)]
        for (y, w), (_, nr) in zip(found, found[1:]):
            if w == "Tabel" and re.fullmatch(r"\d+\.", nr):
                captions_found += 1
                assert any(t == TOTAL and below > y for below, t in found), f"Tabel {nr} starts at the foot of a page"
    assert captions_found == len(to_docx(codings, corpus, wave="T0", charts=False).tables)

    pages = text().count("\f")
    assert 4 <= pages <= 7, pages  # 11 pages when LibreOffice followed a grid of equal columns
    first = text("-f", "1", "-l", "1")
    assert "Tabel 1." in first and "16. Netwerk Verward Gedrag Oudewater" in " ".join(first.split())
    assert TOTAL in first
    words = set(re.findall(r"\w+", text()))
    names = set(corpus.pilots["pilot"])
    broken = {w for name in names for w in re.findall(r"\w+", name) if w not in words}
    assert not broken, f"pilot names broken inside a word: {broken}"


def test_export_workbook_sheets_print_on_a4_landscape_with_headers_that_fit(sample):
    import textwrap

    codings, corpus = sample
    wb = to_workbook(codings, corpus, families=["basisset", "uitgangspunten"], waves="T0")
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1, ws.title
        header = "$1:$2" if ws.title == "review" else "$1:$1"  # the review copy: a note above its header
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == header, ws.title
    ws = wb["uitgangspunten T0"]  # a few codes: labels wrap in columns as wide as their longest word
    width = ws.column_dimensions["B"].width
    labels = [c.value for c in ws[1][1:]]
    assert all(len(w) + 2 <= width for label in labels for w in label.split())  # no word broken inside
    lines = max(len(textwrap.wrap(label, int(width - 2), break_long_words=False)) for label in labels)
    assert ws.row_dimensions[1].height >= 15 * lines
    ws = wb["basisset T0"]  # many codes: narrow columns under upright labels, as in the Word report
    assert len(ws[1]) - 1 > WIDE_TABLE and all(c.alignment.text_rotation == 90 for c in ws[1][1:])
    width = ws.column_dimensions["B"].width
    assert width < 8 < ws.column_dimensions["A"].width
    lines = int(width * 7 // 15)  # upright lines a column holds; a character some 7 points
    labels = [c.value for c in ws[1][1:]]
    room = ws.row_dimensions[1].height / 7
    assert all(len(textwrap.wrap(label, int(room), break_long_words=False)) <= lines for label in labels)


def test_export_sheet_beyond_excel_rows_is_a_clear_error(monkeypatch):
    """A sheet that still holds more rows than Excel's (the review copy of some 16,000 forms)
    stops with a QuickscanError naming the sheet (one line at the CLI), not a traceback."""
    import quickscan._sheets
    from openpyxl import Workbook

    from quickscan.errors import QuickscanError

    monkeypatch.setattr(quickscan._sheets, "MAX_ROWS", 3)
    wb = Workbook()
    wb.active.append(["a"])
    with pytest.raises(QuickscanError, match="'Sheet': 4 rows, more than a sheet holds"):
        quickscan._sheets.save(wb, {wb.active.title: [(pd.DataFrame({"a": [1, 2, 3]}), [None])]}, io.BytesIO())
