"""The combined workbook: reading both orientations and odd layouts, writing safely, round trips."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickscan._xlsx import MAX_CELL, read_excel, split_cells, write_excel
from quickscan.corpus import Corpus, combine, make_answers
from quickscan.errors import CorruptFileError, NotAQuickscanForm
from tests.conftest import real_files

Q9 = "9. Wat is het doel van de pilot?"
TABLE = [  # pilots as rows
    ["Pilot", "1. Naam en adres pilot", "2. Naam gemeente", Q9, "Opmerkingen"],
    ["Buurtcirkel Zeist", "Buurtcirkel Zeist, Slotlaan 12, Zeist", "Zeist", "Minder eenzaamheid.", "nagebeld"],
    ["Gebiedsteam GGZ Houten", "Gebiedsteam GGZ Houten", "Houten", "Thuis wonen.", None],
]


def xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """Write a workbook: per sheet title, rows of cell values (None = empty)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(r, c, value)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def transpose(rows: list[list]) -> list[list]:
    width = max(map(len, rows))
    return [list(col) for col in zip(*(row + [None] * (width - len(row)) for row in rows))]


def shift(rows: list[list], down: int, right: int) -> list[list]:
    return [[] for _ in range(down)] + [[None] * right + row for row in rows]


def unmatched(corpus: Corpus) -> pd.DataFrame:
    return corpus.answers[corpus.answers["question"].isna()]


# -- reading layouts ---------------------------------------------------------------------------


@pytest.mark.parametrize("pilots_as_columns", [False, True], ids=["pilots-rows", "pilots-columns"])
@pytest.mark.parametrize("offset", [(0, 0), (3, 2)], ids=["top-left", "offset"])
def test_excel_reads_both_orientations(tmp_path, pilots_as_columns, offset):
    rows = transpose(TABLE) if pilots_as_columns else TABLE
    rows = shift(rows, *offset)
    if offset[0]:
        rows[0] = ["Quickscan resultaten"]  # a title above the table
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"T0": rows}))

    assert corpus.pilot_ids == ("buurtcirkel-zeist", "gebiedsteam-ggz-houten")
    assert corpus.answer("buurtcirkel-zeist", 9) == "Minder eenzaamheid."
    assert corpus.answer("gebiedsteam-ggz-houten", 2) == "Houten"
    assert corpus.waves == ("T0",)
    extra = unmatched(corpus)
    assert list(extra[["pilot_id", "label", "answer"]].itertuples(index=False, name=None)) == [
        ("buurtcirkel-zeist", "Opmerkingen", "nagebeld")
    ]
    row = corpus.answers[(corpus.answers["pilot_id"] == "buurtcirkel-zeist") & (corpus.answers["question"] == 9)]
    r, c = (1 + offset[0], 3 + offset[1]) if not pilots_as_columns else (3 + offset[0], 1 + offset[1])
    assert row["location"].item() == f"sheet T0, cell {openpyxl.utils.get_column_letter(c + 1)}{r + 1}"
    assert ("I134" in set(corpus.problems["code"])) == bool(offset[0])


@pytest.mark.parametrize(
    "q2, q9",
    [
        ("2", "9"),
        ("Vraag 2", "Vraag 9"),
        ("2. Naam gemeente", "9. Wat is het doel van de pilot? (Op welke vraag geeft de pilot antwoord?)"),
        ("Naam gemeente", "Wat is het doel van de pilot?"),
        ("Gemeente", "Doel"),  # the template's short labels
    ],
    ids=["number", "vraag-number", "numbered-text", "bare-text", "label"],
)
def test_excel_header_forms(tmp_path, q2, q9):
    rows = [["Pilot", q2, q9], ["Houten", "Houten", "Thuis wonen."]]
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"T0": rows}))
    assert corpus.answer("houten", 2) == "Houten"
    assert corpus.answer("houten", 9) == "Thuis wonen."
    assert unmatched(corpus).empty


def test_excel_number_column_beside_questions(tmp_path):
    rows = [["Nr", "Vraag", "Houten", "Zeist"]] + [
        [q, text, f"H{q}", f"Z{q}"] for q, text in [(1, "Naam en adres pilot"), (2, "Naam gemeente"), (9, Q9[3:])]
    ]
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"T0": rows}))
    assert corpus.pilot_ids == ("houten", "zeist")
    assert corpus.answer("zeist", 9) == "Z9"
    assert unmatched(corpus).empty


def test_excel_bare_numbers_alone_are_no_header(tmp_path):
    rows = [["Id", "Naam", "Waarde"]] + [[i, f"item {i}", i * 10] for i in range(1, 21)]
    with pytest.raises(NotAQuickscanForm, match="no question headers"):
        read_excel(xlsx(tmp_path / "data.xlsx", {"Blad1": rows}))


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([["Project", "2", Q9], ["Houten GGZ", "Houten", "Doel"]], "Houten GGZ"),  # a name header
        ([[None, "2", Q9], ["Houten GGZ", "Houten", "Doel"]], "Houten GGZ"),  # the record's own header cell
        ([["1. Naam en adres pilot", "2", Q9], ["Houten GGZ, Lindenlaan 3, 3991 AB Houten", "Houten", "Doel"]],
         "Houten GGZ"),  # question 1
        ([["Nummer", "2. Gemeente", Q9], ["7", "Houten", "Doel"]], "Pilot (rij 2)"),  # nothing: a warning
    ],
    ids=["name-header", "header-cell", "question-1", "fallback"],
)
def test_excel_pilot_names(tmp_path, rows, expected):
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"T0": rows}))
    assert corpus.pilots["pilot"].tolist() == [expected]
    assert ("W121" in set(corpus.problems["code"])) == expected.startswith("Pilot (")


def test_excel_same_pilot_twice_in_a_sheet(tmp_path):
    rows = [["Pilot", "2", "9"], ["Houten", "Houten", "a"], ["Houten", "Houten", "b"]]
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"T0": rows}))
    assert corpus.pilots["pilot"].tolist() == ["Houten", "Houten (2)"]
    assert corpus.answer("houten-2", 9) == "b"
    assert "W132" in set(corpus.problems["code"])


def test_excel_long_names_stay_apart(tmp_path):
    long = "Project wonen en werken in de gemeente Utrechtse Heuvelrug en omgeving, deel "  # ids cut at 60
    rows = [["Pilot", "2", "9"], [long + "A", "Rhenen", "a"], [long + "B", "Doorn", "b"]]
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"T0": rows}))
    assert len(corpus.pilot_ids) == 2
    assert [corpus.answer(p, 9) for p in corpus.pilot_ids] == ["a", "b"]


def test_excel_sheets_of_one_wave_merge(tmp_path):
    blok1 = [["Pilot", "9", "10"], ["Houten", "doel", "koers"], ["Zeist", "doel Z", ""]]
    blok2 = [["Pilot", "9", "11"], ["Houten", "", "werkwijze"], ["Zeist", "ander doel Z", "w"]]
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"Blok 1 T0": blok1, "Blok 2 T0": blok2}))
    assert corpus.pilot_ids == ("houten", "zeist")
    assert [corpus.answer("houten", q) for q in (9, 10, 11)] == ["doel", "koers", "werkwijze"]
    assert corpus.answer("zeist", 9) == "doel Z\n\nander doel Z"  # both kept, with a warning
    assert corpus.problems[corpus.problems["code"] == "W133"]["place"].tolist() == [
        "sheet Blok 1 T0, cell B3; sheet Blok 2 T0, cell B3"
    ]


def test_excel_merged_cells(tmp_path):
    rows = [
        ["Quickscan T0"],  # merged title A1:C1
        ["Vraag", "Houten", "Zeist"],
        ["1. Naam en adres pilot", "Houten", "Zeist"],
        [Q9, "Eerste deel.", "Doel Zeist."],  # header merged A4:A5: one answer over two rows
        [None, "Tweede deel.", None],
        ["20. Wat zijn de 3 belangrijkste lessen?", "Een les voor twee.", None],  # answer merged B6:C6
    ]
    path = xlsx(tmp_path / "answers.xlsx", {"T0": rows}, {"T0": ["A1:C1", "A4:A5", "B6:C6"]})
    corpus = read_excel(path)
    assert corpus.answer("houten", 9) == "Eerste deel.\nTweede deel."
    assert corpus.answer("zeist", 9) == "Doel Zeist."
    assert corpus.answer("houten", 20) == "Een les voor twee."
    assert corpus.answer("zeist", 20) == ""  # a merged answer counts once
    assert unmatched(corpus).empty


def _set_cached(path: Path, cached: dict[str, tuple[str, str]]) -> None:
    """Give formula cells a cached value, as Excel stores them (openpyxl cannot write one)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, (kind, value) in cached.items():
        t = f' t="{kind}"' if kind else ""
        xml, n = re.subn(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                         rf'<c r="{ref}"\1{t}><f>\2</f><v>{value}</v></c>', xml)
        assert n == 1, ref
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_excel_formulas_read_as_cached_values(tmp_path):
    path = tmp_path / "answers.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T0"
    ws.append(["Pilot", Q9, "4. Startdatum", "19. Verduurzaming", "20. Lessen"])
    ws.append(["Houten", '="Thuis "&"wonen"', "=DATE(2020,3,1)", '=IF(1=2,"x","")', "=1+1"])
    ws["C2"].number_format = "yyyy-mm-dd"
    wb.save(path)
    _set_cached(path, {"B2": ("str", "Thuis wonen"), "C2": ("", "43891"), "D2": ("str", "")})  # E2: never calculated

    corpus = read_excel(path)
    assert corpus.answer("houten", 9) == "Thuis wonen"
    assert corpus.answer("houten", 4) == "2020-03-01"
    assert corpus.answer("houten", 19) == ""
    assert corpus.answer("houten", 20) == "=1+1"
    warned = corpus.problems[corpus.problems["code"] == "W131"]
    assert warned["place"].tolist() == ["sheet T0, cell E2"]


@pytest.mark.parametrize("uncalculated", [False, True])
def test_excel_workbook_is_loaded_once_unless_a_formula_has_no_value(tmp_path, monkeypatch, uncalculated):
    """openpyxl gives either the stored values or the formulas: the second load (for the formula
    texts) is made only for a workbook holding a formula Excel never calculated."""
    from quickscan import _xlsx

    path = tmp_path / "answers.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T0"
    ws.append(["Pilot", Q9, "20. Lessen"])
    ws.append(["Houten", '="Thuis "&"wonen"', "=1+1"])
    wb.save(path)
    _set_cached(path, {"B2": ("str", "Thuis wonen"), **({} if uncalculated else {"C2": ("", "2")})})
    loads = []
    real = _xlsx._load
    monkeypatch.setattr(_xlsx, "_load", lambda *a, **k: loads.append(k["data_only"]) or real(*a, **k))
    corpus = read_excel(path)
    assert corpus.answer("houten", 20) == ("=1+1" if uncalculated else "2")
    assert loads == ([True, False] if uncalculated else [True])


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def excel_package(path: Path, rows: list[list[int | None]], strings: list[str]) -> Path:
    """A minimal workbook as Excel stores text: cells point into the shared strings (``<si>`` XML)."""
    cells = "".join(
        f'<row r="{r}">' + "".join(
            f'<c r="{openpyxl.utils.get_column_letter(c)}{r}" t="s"><v>{i}</v></c>'
            for c, i in enumerate(row, 1) if i is not None
        ) + "</row>"
        for r, row in enumerate(rows, 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="T0" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>{cells}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}">{"".join(f"<si>{s}</si>" for s in strings)}</sst>',
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, xml in parts.items():
            z.writestr(name, xml)
    return path


def test_excel_shared_strings_as_excel_writes_them(tmp_path):
    strings = [
        "<t>Pilot</t>", f"<t>{Q9}</t>", "<t>20. Lessen</t>", "<t>Houten</t>",
        # Excel's escapes: a literal "_x0041_" is stored as _x005F_x0041_, a carriage return as _x000D_
        '<t xml:space="preserve">letterlijk _x005F_x0041_, a_x000D_b, en x005F_ blijft </t>',
        "<r><t xml:space=\"preserve\">Thuis </t></r><r><rPr><b/></rPr><t>wonen</t></r>",  # rich text
    ]
    path = excel_package(tmp_path / "excel.xlsx", [[0, 1, 2], [3, 4, 5]], strings)
    corpus = read_excel(path)
    assert corpus.answer("houten", 9) == "letterlijk _x0041_, a\rb, en x005F_ blijft "
    assert corpus.answer("houten", 20) == "Thuis wonen"


def test_excel_values_as_text(tmp_path):
    rows = [
        ["Pilot", "4. Startdatum", "5", "6", "16", "17"],
        ["Houten", dt.datetime(2020, 3, 1), dt.date(2021, 2, 3), dt.datetime(2020, 3, 1, 14, 30), 3.0, 2.5],
    ]
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", {"T0": rows}))
    got = {q: corpus.answer("houten", q) for q in (4, 5, 6, 16, 17)}
    assert got == {4: "2020-03-01", 5: "2021-02-03", 6: "2020-03-01 14:30", 16: "3", 17: "2.5"}


def test_excel_sheets_are_waves(tmp_path):
    t1 = [row[:] for row in TABLE]
    t1[1][0] = "Buurtcirkel zeist"  # written slightly differently at T1
    t1[1][3] = "Minder eenzaamheid, meer contact."
    sheets = {"Toelichting": [["Deze map bevat de quick-scans"]], "T0": TABLE, "T1": t1}
    corpus = read_excel(xlsx(tmp_path / "answers.xlsx", sheets))
    assert corpus.waves == ("T0", "T1")
    assert corpus.pilot_ids == ("buurtcirkel-zeist", "gebiedsteam-ggz-houten")
    assert corpus.answer("buurtcirkel-zeist", 9, wave="T1") == "Minder eenzaamheid, meer contact."
    skipped = corpus.problems[corpus.problems["code"] == "I130"]
    assert skipped["place"].tolist() == ["sheet Toelichting"]
    only_t1 = read_excel(tmp_path / "answers.xlsx", sheet="T1")
    assert only_t1.waves == ("T1",)


@pytest.mark.parametrize(
    "sheet, file, wave, expected",
    [
        ("T1", "antwoorden.xlsx", None, "T1"),
        ("Blad1", "quickscan-T1.xlsx", None, "T1"),
        ("T0", "antwoorden.xlsx", "T2", "T2"),
        ("Blad1", "antwoorden.xlsx", None, "T0"),
    ],
    ids=["sheet-name", "file-name", "argument", "default"],
)
def test_excel_wave_sources(tmp_path, monkeypatch, sheet, file, wave, expected):
    monkeypatch.chdir(tmp_path)  # a relative path: the temporary folder's name plays no part
    xlsx(Path(file), {sheet: TABLE})
    corpus = read_excel(file, wave=wave)
    assert corpus.waves == (expected,)
    assert ("W120" in set(corpus.problems["code"])) == (expected == "T0")


def test_excel_not_a_quickscan_table(tmp_path):
    path = xlsx(tmp_path / "budget.xlsx", {"Blad1": [["Name", "Date", "Amount"], ["a", "2020", 3]], "Blad2": [],
                                          "Blad3": [["Name"]]})
    with pytest.raises(NotAQuickscanForm) as info:
        read_excel(path)
    assert str(path) in str(info.value)
    assert "3 sheets, no question headers (found: 'Name', 'Date', 'Amount', 'a', '2020', '3')" in str(info.value)


@pytest.mark.parametrize("path", real_files("*.xlsx"))
def test_excel_realdocs_are_not_quickscans(path):
    with pytest.raises(NotAQuickscanForm, match=re.escape(path.name)):
        read_excel(path)


@pytest.mark.parametrize("content", [b"not a zip at all", b""], ids=["garbage", "empty"])
def test_excel_corrupt_files(tmp_path, content):
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError):
        read_excel(path)


def test_excel_word_document_is_not_a_workbook(tmp_path):
    import docx

    path = tmp_path / "form.xlsx"
    docx.Document().save(path)
    with pytest.raises(NotAQuickscanForm, match="not an Excel workbook"):
        read_excel(path)


# -- writing -----------------------------------------------------------------------------------


def corpus_of(answers: dict[str, dict[int, str]], wave: str = "T0", extra: dict | None = None) -> Corpus:
    rows = [make_answers(name, wave, a, unmatched=[(u, "") for u in (extra or {}).get(name, [])])
            for name, a in answers.items()]
    return Corpus.from_answers(pd.concat(rows, ignore_index=True))


def test_excel_written_layout(tmp_path):
    corpus = corpus_of({"Houten": {1: "Houten", 3: "Jan, 06-1234", 9: "Doel"}, "Zeist": {9: "Ander doel"}},
                       extra={"Zeist": ["los een", "los twee"], "Houten": ["los"]})
    path = write_excel(corpus, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["T0"]
    column_a = [c.value for c in ws["A"]]
    assert [c.value for c in ws[1]] == ["Vraag", "Houten", "Zeist"]
    assert column_a[1] == "1. Naam en adres pilot"
    assert not any(str(v).startswith("3.") for v in column_a)  # personal data left out
    assert column_a[-2:] == ["Niet toegewezen (1)", "Niet toegewezen (2)"]
    assert [c.value for c in ws[ws.max_row]] == ["Niet toegewezen (2)", None, "los twee"]
    assert ws.freeze_panes == "B2" and ws["A1"].font.b and ws["B5"].alignment.wrap_text
    assert ws.column_dimensions["B"].width >= 30

    back = read_excel(path)
    assert back.answer("houten", 3) == ""
    assert back.answer("zeist", 9) == "Ander doel"
    assert sorted(unmatched(back)["answer"]) == ["los", "los een", "los twee"]
    assert set(unmatched(back)["label"]) == {"unmatched"}
    with_personal = read_excel(write_excel(corpus, tmp_path / "all.xlsx", include_personal=True))
    assert with_personal.answer("houten", 3) == "Jan, 06-1234"


INJECTIONS = ["=1+1", "+31 6 1234", "-2", "@SUM(A1)", '=HYPERLINK("http://x","klik")', "#N/A", "=", "'=quoted"]


def test_excel_never_writes_formulas(tmp_path):
    corpus = corpus_of({"=cmd|' /C calc'!A0": {q: text for q, text in enumerate(INJECTIONS, 9)}})
    path = write_excel(corpus, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["T0"]  # data_only=False: a formula would read as one
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert {c.data_type for c in cells} == {"s"}
    assert {c.value for c in cells} >= set(INJECTIONS)
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert all('t="inlineStr"' in c for c in re.findall(r"<c [^>]*>(?=<is>)", xml))
    assert len(re.findall(r"<c [^>]*>(?=<is>)", xml)) == len(cells)
    back = read_excel(path)
    assert [back.answer(back.pilot_ids[0], q) for q in range(9, 9 + len(INJECTIONS))] == INJECTIONS


def test_excel_control_characters_escaped_reversibly(tmp_path):
    text = "a\x00b\x0bc\x1f\r\nd _x0041_ _x005F_ \ufffe\t end "
    corpus = corpus_of({"Houten": {9: text}})
    path = write_excel(corpus, tmp_path / "out.xlsx")
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "a_x0000_b_x000B_c_x001F__x000D_\nd _x005F_x0041_ _x005F_x005F_ _xFFFE_\t end " in xml
    assert read_excel(path).answer("houten", 9) == text


def test_excel_long_answers_continue(tmp_path):
    long = "Lang antwoord, " * 5000 + "😀" * 20_000  # 95,000 characters, 115,000 UTF-16 units
    corpus = corpus_of({"Houten": {9: long, 10: "kort"}, "Zeist": {9: "kort"}})
    path = write_excel(corpus, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["T0"]
    headers = [c.value for c in ws["A"]]
    assert f"{Q9} (vervolg 1)" in headers and f"{Q9} (vervolg 3)" in headers
    assert all(len(str(c.value).encode("utf-16-le")) // 2 <= MAX_CELL for row in ws.iter_rows() for c in row)
    back = read_excel(path)
    assert back.answer("houten", 9) == long
    assert back.answer("zeist", 9) == "kort"
    assert unmatched(back).empty


def test_excel_split_cells_limits():
    for text in ["_x0041_" * 10_000, "_" * 100_000, "\x0b" * 50_000, "é😀" * 30_000]:
        pieces = split_cells(text)
        assert all(len(p.encode("utf-16-le")) // 2 <= MAX_CELL for p in pieces)
        assert len(pieces) > 1


def test_excel_invalid_wave_name(tmp_path):
    with pytest.raises(ValueError, match="Nulmeting"):
        write_excel(corpus_of({"Houten": {9: "x"}}, wave="Nulmeting"), tmp_path / "out.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_excel_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"the previous version")

    def broken_save(self, filename):
        Path(filename).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_excel(corpus_of({"Houten": {9: "x"}}), path)
    assert path.read_bytes() == b"the previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    monkeypatch.undo()
    assert write_excel(corpus_of({"Houten": {9: "x"}}), path) == path
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


# -- round trip --------------------------------------------------------------------------------

NAMES = ["Buurtcirkel Zeist", "Gebiedsteam GGZ Houten", "Housing First Nieuwegein", "Herstelacademie IJsselstein"]
SPECIAL = st.sampled_from(["", "=1+1", "+31", "-", "@A1", "a\r\nb\rc", " spaties ", "_x000D_", "\x0b", "9", "Pilot"])
ANSWER = st.one_of(st.text(), st.text(), SPECIAL)
BIG = st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=20)).map(
    lambda t: t[0] * (MAX_CELL // len(t[0]) + 1) + t[1]
)


@st.composite
def corpora(draw) -> Corpus:
    parts = []
    for wave in sorted(draw(st.lists(st.sampled_from(["T0", "T1", "T2"]), min_size=1, max_size=2, unique=True))):
        rows = []
        for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)):
            answers = draw(st.dictionaries(st.integers(1, 20), ANSWER, max_size=6))
            if draw(st.integers(0, 9)) == 0:
                answers[draw(st.integers(1, 20))] = draw(BIG)
            extra = draw(st.lists(st.one_of(st.text(min_size=1), SPECIAL.filter(bool)), max_size=2))
            rows.append(make_answers(name, wave, answers, unmatched=[(u, "") for u in extra]))
        parts.append(Corpus.from_answers(pd.concat(rows, ignore_index=True)))
    return combine(parts)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(corpus=corpora())
def test_excel_round_trip(tmp_path, corpus):
    back = read_excel(write_excel(corpus, tmp_path / "round.xlsx", include_personal=True))
    pd.testing.assert_frame_equal(back.content(), corpus.content(), check_dtype=False)  # str vs object
