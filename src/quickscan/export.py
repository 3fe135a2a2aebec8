"""The report exports: the tables as a styled Excel workbook and as CSV, and a Word report.

Every writer has a pure twin that builds the object in memory: :func:`to_workbook`
(an ``openpyxl.Workbook``) for :func:`write_xlsx`, :func:`to_docx` (a ``docx.Document``)
for :func:`write_docx`. Writers save atomically (a temporary file next to the target, then
moved into place), so a failed write leaves an existing file as it was.

The tables are those of :func:`quickscan.matrices.code_matrix` (pilots as rows
``"1. <pilot>"``, codes as columns, ``X`` or empty, a ``Totaal`` row); the prose counts come
from :func:`quickscan.matrices.summarize_codes` and the comparison from
:func:`quickscan.compare.compare_waves`, so text and tables come from the same numbers.
Answers are never exported here, and the template's personal questions never appear.

>>> from quickscan.ingest import read_folder
>>> from quickscan.coding import code_corpus
>>> corpus = read_folder("data/sample/T0")
>>> codings = code_corpus(corpus)
>>> to_workbook(codings, corpus, families=["basisset"]).sheetnames
['basisset T0', 'codings', 'review']
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import pandas as pd

from ._io import atomic_write, csv_frame, mark_output, xml_safe
from .codebook import Codebook, Family, default_codebook
from .matrices import TOTAL, _family_part, code_matrix, pilot_rows, summarize_codes
from .review import SHEET as REVIEW_SHEET, add_cell_sheets, append_rows, review_cells

if TYPE_CHECKING:  # pragma: no cover
    from docx.document import Document
    from openpyxl import Workbook

__all__ = ["to_workbook", "write_xlsx", "write_csv_tables", "to_docx", "write_docx", "style_table", "WIDE_TABLE"]

#: A table with more code columns than this goes into a landscape section of the report.
WIDE_TABLE = 6
CODINGS_SHEET = "codings"
PAGE = {"portrait": (21.0, 29.7), "landscape": (29.7, 21.0)}  # A4, cm
MARGIN = 2.5  # cm; text width 16 cm portrait, 24.7 cm landscape
LANDSCAPE_MARGIN = 1.8  # cm, top and bottom of a landscape page (text height 17.4 cm)
PILOT_COLUMN = 5.0  # cm, the first column of a report table in Word (from 3 to 6.5 cm, as its labels need)
_CHAR_CM = 0.165  # cm: an average character at 8 pt (Word and LibreOffice fonts)
_CELL_PADDING = 0.45  # cm: the left and right margins of a cell
CHART_DPI = 200
_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


# -- the tables --------------------------------------------------------------------------------


def _families(codebook: Codebook, families: Iterable[str | Family] | None, *, facts: bool = True) -> list[Family]:
    """The families asked for (ids or Family objects), in codebook order when not given."""
    if families is None:
        return [f for f in codebook.families if facts or f.kind != "fact"]
    return [f if isinstance(f, Family) else codebook.family(f) for f in families]


def _tables(codings, corpus, codebook, families, waves) -> list[tuple[Family, str, pd.DataFrame]]:
    """(family, wave, code_matrix) for every family x wave, families first."""
    waves = list(corpus.waves if waves is None else [waves] if isinstance(waves, str) else waves)
    tables = []
    for fam in _families(codebook, families):
        part = _family_part(codings, fam)
        tables += [(fam, wave, code_matrix(part, corpus, family=fam, wave=wave, codebook=codebook)) for wave in waves]
    return tables


def _personal(corpus) -> set[int]:
    return set(corpus.template.personal_questions)


def without_personal(frame: pd.DataFrame, corpus) -> pd.DataFrame:
    """``frame`` (codings, answers) without the rows of the template's personal questions."""
    return frame[~frame["question"].isin(_personal(corpus)).fillna(False).astype(bool)]


# -- Excel -------------------------------------------------------------------------------------


def to_workbook(
    codings: pd.DataFrame,
    corpus,
    *,
    codebook: Codebook | None = None,
    families: Iterable[str | Family] | None = None,
    waves: Sequence[str] | str | None = None,
    include_personal: bool = False,
    review: bool = True,
    cells: pd.DataFrame | None = None,
) -> Workbook:
    """The report tables as a styled workbook: what :func:`write_xlsx` writes, read back
    with openpyxl to look into.

    Parameters
    ----------
    codings : DataFrame
        Codings as returned by :func:`~quickscan.coding.code_corpus` (after review, if any).
    corpus : Corpus
        The corpus that was coded.
    codebook : Codebook, optional
        Default: the bundled codebook.
    families : list of str, optional
        Family ids; default: every family of the codebook, in codebook order.
    waves : list of str, optional
        Default: every wave of the corpus.
    include_personal : bool
        Keep codings of the template's personal questions in the ``codings`` and
        ``review`` sheets.
    review : bool
        Add the sheet ``review``: the cells of the tables as the researchers review them
        (:func:`quickscan.review.review_cells`), with the decisions taken so far and who
        took them. It is a read-only copy (no drop-down lists, rewritten on every run, a
        note at the top says so): decisions are typed in ``review.xlsx``.
    cells : DataFrame, optional
        The cells of the ``review`` sheet when already worked out by
        :func:`~quickscan.review.review_cells` (for ``review.xlsx`` too); only those of
        the families asked for are shown.

    Returns
    -------
    openpyxl.Workbook
        One sheet per family and wave, named ``"<family id> <wave>"`` (at most 31
        characters, unique), styled like a report table: bold header, panes frozen below
        the header and right of the pilots, ``X`` centred, ``Totaal`` row bold; a table of
        more than :data:`WIDE_TABLE` codes has narrow code columns under upright labels
        (as in the Word report), so that it prints readable on a page width. Then the
        codings behind these tables (of the families and waves asked for): the sheet
        ``codings``, evidence included (continued on ``codings 2``, ... beyond Excel's
        1,048,576 rows), and the sheet ``review``. Every sheet prints on A4
        landscape, fit to the page width, its header rows on every page. Every text cell
        is a string cell, never a formula.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> wb = to_workbook(code_corpus(corpus), corpus, families=["basisset", "uitgangspunten"])
    >>> wb.sheetnames
    ['basisset T0', 'uitgangspunten T0', 'codings', 'review']
    >>> ws = wb["basisset T0"]
    >>> ws["A1"].value, ws["A2"].value, ws.freeze_panes, ws.cell(ws.max_row, 1).value
    ('Pilot', '1. Gebiedsteam GGZ Houten', 'B2', 'Totaal')
    """
    from openpyxl import load_workbook

    from ._sheets import save

    buffer = io.BytesIO()
    save(*_workbook(codings, corpus, codebook=codebook, families=families, waves=waves,
                    include_personal=include_personal, review=review, cells=cells), buffer)
    return load_workbook(buffer)


def write_xlsx(path: str | PathLike[str], codings: pd.DataFrame, corpus, **kw: Any) -> Path:
    """Write the workbook of :func:`to_workbook` to ``path`` (.xlsx), atomically; keywords as there.

    The rows of the sheets are streamed: time and memory grow with the number of codings
    as writing a CSV file does (about 2 s and 100 MB at 300,000 codings).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> path = write_xlsx(pathlib.Path(tempfile.mkdtemp()) / "tables.xlsx", code_corpus(corpus), corpus)
    >>> path.name, path.stat().st_size > 0
    ('tables.xlsx', True)
    """
    from ._sheets import save

    wb, bodies = _workbook(codings, corpus, **kw)
    return atomic_write(path, lambda tmp: save(wb, bodies, tmp))


def _workbook(codings, corpus, *, codebook=None, families=None, waves=None, include_personal=False, review=True,
              cells=None):
    """(layout workbook, body rows) of :func:`to_workbook`, for :func:`quickscan._sheets.save`."""
    from openpyxl import Workbook

    codebook = codebook or default_codebook()
    wb = Workbook()
    wb.remove(wb.active)
    mark_output(wb.properties)  # never read back as a workbook of answers
    bodies: dict = {}
    used: set[str] = {REVIEW_SHEET} if review else set()
    tables = _tables(codings, corpus, codebook, families, waves)
    names = _table_sheets([(fam, wave) for fam, wave, _ in tables], used)
    for fam, wave, table in tables:
        ws = wb.create_sheet(names[fam.id, wave])
        bodies[ws.title] = _write_table_sheet(ws, table)
    if families is not None and "family" in codings.columns:
        codings = codings[codings["family"].isin([f.id for f in _families(codebook, families)])]
    if waves is not None and "wave" in codings.columns:
        codings = codings[codings["wave"].isin([waves] if isinstance(waves, str) else list(waves))]
    if not include_personal and "question" in codings.columns:
        codings = without_personal(codings, corpus)
    from . import _sheets

    per_sheet = _sheets.MAX_ROWS - 1  # a sheet beyond Excel's last row continues on "codings 2", ...
    for k, start in enumerate(range(0, max(len(codings), 1), per_sheet), start=1):
        ws = wb.create_sheet(_sheet_name(CODINGS_SHEET if k == 1 else f"{CODINGS_SHEET} {k}", used))
        bodies[ws.title] = _write_codings_sheet(ws, codings.iloc[start:start + per_sheet])
    if review:
        fams = [f.id for f in _families(codebook, families, facts=False)]
        if cells is None:
            cells = review_cells(codings, corpus=corpus, codebook=codebook, families=fams)
        else:
            cells = cells[cells["family"].isin(fams)]
            if waves is not None:
                cells = cells[cells["wave"].isin([waves] if isinstance(waves, str) else list(waves))]
        bodies.update(add_cell_sheets(wb, cells, editable=False))
    wb.properties.creator = "quickscan"
    wb.properties.title = "quickscan tabellen"
    return wb, bodies


def _table_sheets(tables: Iterable[tuple[Family, str]], used: set[str] | None = None) -> dict[tuple[str, str], str]:
    """(family id, wave) -> the name of the sheet of its table in the workbook, for the (family,
    wave) ``tables`` in the order of :func:`_tables` (``used``: names taken, updated); the Word
    report names these sheets too.

    >>> basisset = default_codebook().family("basisset")
    >>> _table_sheets([(basisset, "T0"), (basisset, "T1")])
    {('basisset', 'T0'): 'basisset T0', ('basisset', 'T1'): 'basisset T1'}
    """
    used = {REVIEW_SHEET} if used is None else used
    return {(fam.id, wave): _sheet_name(f"{fam.id} {wave}", used) for fam, wave in tables}


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name of at most 31 characters (the end, the wave, is kept)."""
    name = _SHEET_CHARS.sub("_", name).strip("'") or "tabel"
    if len(name) > 31:
        head, _, tail = name.rpartition(" ")
        name = f"{head[:30 - len(tail)]} {tail}" if head and len(tail) < 10 else name[:31]
    candidate, i = name, 2
    while candidate.lower() in used:
        suffix = f"~{i}"
        candidate, i = name[:31 - len(suffix)] + suffix, i + 1
    used.add(candidate.lower())
    return candidate


def _write_table_sheet(ws, table: pd.DataFrame) -> list:
    """Lay out a table sheet (header, widths, print set-up); returns its body rows (see :mod:`quickscan._sheets`)."""
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    from ._sheets import style_id

    bold = Font(bold=True)
    rule = Border(top=Side(style="thin"))
    header = [table.index.name or "", *map(str, table.columns)]
    upright = len(header) - 1 > WIDE_TABLE  # narrow code columns under upright labels, as in the Word report
    append_rows(ws, [header])
    for j, cell in enumerate(ws[1], start=1):
        cell.font = bold
        cell.border = Border(bottom=Side(style="thin"))
        cell.alignment = Alignment(wrap_text=True, vertical="bottom", horizontal="left" if j == 1 else "center",
                                   text_rotation=90 if upright and j > 1 else 0)
    total = len(table) > 0 and table.index[-1] == TOTAL
    rows = pd.DataFrame({"label": table.index.astype(str)}).join(
        table.reset_index(drop=True).astype(object).set_axis(range(table.shape[1]), axis=1))
    centre = style_id(ws, alignment=Alignment(horizontal="center", vertical="center"))
    body = [(rows.iloc[:len(rows) - total], [None] + [centre] * table.shape[1])]
    if total:
        bold_centre = style_id(ws, font=bold, border=rule, alignment=Alignment(horizontal="center", vertical="center"))
        body.append((rows.iloc[-1:], [style_id(ws, font=bold, border=rule)] + [bold_centre] * table.shape[1]))

    ws.column_dimensions["A"].width = min(max(len(str(x)) for x in [header[0], *table.index]) + 2, 50)
    if upright:
        code_width = 6.0
        ws.row_dimensions[1].height = upright_height(header[1:], code_width)
    else:
        # a code column holds its longest word (Excel breaks a word wider than the column inside it)
        longest_word = max((len(w) for h in header[1:] for w in h.split()), default=0)
        code_width = min(max(14, longest_word * 1.15 + 2), 30)
        ws.row_dimensions[1].height = header_height(header[1:], code_width)
    for j in range(2, len(header) + 1):
        ws.column_dimensions[get_column_letter(j)].width = code_width
    ws.freeze_panes = "B2"
    print_setup(ws, columns="A:A")
    return body


def header_height(labels: Iterable[str], width: float, *, bold: bool = True) -> float:
    """Points a header row needs for ``labels`` wrapped at word boundaries in columns of
    ``width`` characters (15 points a line of 11-point Calibri).

    >>> header_height(["Wonen", "Preventie en vroegsignalering"], 14)
    45.0
    """
    import textwrap

    room = max(int((width - 1.5) / (1.1 if bold else 1.0)), 1)
    lines = max((len(textwrap.wrap(str(label), room, break_long_words=False)) for label in labels), default=1)
    return 15.0 * max(lines, 1)


def upright_height(labels: Iterable[str], width: float) -> float:
    """Points a header row needs for upright (rotated) bold ``labels`` in columns of ``width``
    characters: the labels wrap at word boundaries onto as many lines as the column is
    wide (a line 15 points, a character about 7 points wide), and the row is as high as
    the longest line (at most 409 points, Excel's highest row).

    >>> upright_height(["Wonen", "Preventie en vroegsignalering"], 6)
    122.0
    """
    import textwrap

    labels = [str(label) for label in labels if str(label).strip()]
    lines = max(int(width * 7 // 15), 1)
    for room in range(max((len(w) for label in labels for w in label.split()), default=5), 200):
        if all(len(textwrap.wrap(label, room, break_long_words=False)) <= lines for label in labels):
            break
    return float(min(room * 7 + 10, 409))


def print_setup(ws, *, columns: str | None = None, rows: str = "1:1") -> None:
    """Print a sheet on A4 landscape, fit to the page width, the header ``rows`` on every page
    (and ``columns``, e.g. ``"A:A"``, on every page too)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = rows
    if columns:
        ws.print_title_cols = columns


def _write_codings_sheet(ws, codings: pd.DataFrame) -> list:
    """Lay out the ``codings`` sheet; returns its body rows (see :mod:`quickscan._sheets`)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from ._sheets import style_id

    columns = list(codings.columns)
    append_rows(ws, [columns])
    for j, (cell, name) in enumerate(zip(ws[1], columns), start=1):
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(j)].width = 80 if name == "evidence" else 14
    wrap = style_id(ws, alignment=Alignment(wrap_text=True, vertical="top"))
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(codings) + 1, 2)}"
    print_setup(ws)
    return [(codings, [wrap if name == "evidence" else None for name in columns],
             {j: 80 for j, name in enumerate(columns) if name == "evidence"})]


# -- Jupyter -----------------------------------------------------------------------------------


def style_table(table: pd.DataFrame, caption: str | None = None):
    """A report table as a styled table for Jupyter (a pandas ``Styler``).

    As in the report: a bold header, ``X`` and counts centred on a light shade, the
    ``Totaal`` row bold under a rule, empty cells empty (never ``nan``).

    Examples
    --------
    >>> from quickscan.matrices import code_matrix
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> styled = style_table(code_matrix(code_corpus(corpus), corpus, family="uitgangspunten"), "Tabel 1.")
    >>> html = styled.to_html()
    >>> "Totaal" in html and "font-weight: bold" in html and "nan" not in html
    True
    """
    def shade(value: Any) -> str:
        return "" if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)) else (
            "background-color: #e8f1f8")

    styler = table.style.format(na_rep="").map(shade).set_properties(**{"text-align": "center"})
    styler = styler.set_table_styles([
        {"selector": "th", "props": "font-weight: bold; text-align: center; vertical-align: bottom"},
        {"selector": "th.row_heading", "props": "text-align: left"},
        {"selector": "caption", "props": "caption-side: top; text-align: left; font-style: italic"},
    ])
    if len(table) and table.index[-1] == TOTAL:
        total = pd.IndexSlice[[TOTAL], :]
        styler = styler.set_properties(subset=total, **{"font-weight": "bold", "border-top": "1px solid black"})
        styler = styler.apply_index(lambda labels: ["font-weight: bold" if v == TOTAL else "" for v in labels])
    return styler.set_caption(caption) if caption else styler


# -- CSV ---------------------------------------------------------------------------------------


def write_csv_tables(
    folder: str | PathLike[str],
    codings: pd.DataFrame,
    corpus,
    *,
    codebook: Codebook | None = None,
    families: Iterable[str | Family] | None = None,
    waves: Sequence[str] | str | None = None,
) -> list[Path]:
    """Write every table of :func:`to_workbook` as ``<folder>/<family id>-<wave>.csv``.

    UTF-8 with a byte-order mark (so that Excel reads the accents), comma-separated, the
    first column ``Pilot``; the folder is made when missing; each file is written
    atomically. Text that a spreadsheet would evaluate (starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) and text starting with ``'`` get a leading ``'``
    (:func:`quickscan._io.csv_cell`; :func:`quickscan._io.read_csv` removes it).

    Examples
    --------
    >>> import tempfile
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> paths = write_csv_tables(tempfile.mkdtemp(), code_corpus(corpus), corpus, families=["basisset"])
    >>> [p.name for p in paths]
    ['basisset-T0.csv']
    >>> paths[0].read_text("utf-8-sig").splitlines()[-1]
    'Totaal,...'
    """
    codebook = codebook or default_codebook()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fam, wave, table in _tables(codings, corpus, codebook, families, waves):
        text = csv_frame(table).to_csv(lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        path = folder / f"{fam.id}-{wave}.csv"
        paths.append(atomic_write(path, lambda tmp, text=text: Path(tmp).write_text(text, "utf-8-sig", newline="")))
    return paths


# -- Word --------------------------------------------------------------------------------------


def to_docx(
    codings: pd.DataFrame,
    corpus,
    *,
    codebook: Codebook | None = None,
    families: Iterable[str | Family] | None = None,
    wave: str = "T0",
    compare: tuple[str, str] | None = None,
    charts: bool | Mapping[tuple[str, str], Any] = True,
    title: str | None = None,
) -> Document:
    """The Word report of one wave (the pure twin of :func:`write_docx`).

    Parameters
    ----------
    codings : DataFrame
        Codings as returned by :func:`~quickscan.coding.code_corpus` (after review, if any).
    corpus : Corpus
        The corpus that was coded.
    codebook : Codebook, optional
        Default: the bundled codebook.
    families : list of str, optional
        Family ids; default: every family, in codebook order.
    wave : str
        The wave whose tables are shown.
    compare : (str, str), optional
        Two waves, e.g. ``("T0", "T1")``: add a comparison per family (totals then and
        now, pilots that gained or lost a code), the status changes and the pilots present
        in one wave only.
    charts : bool or mapping
        Add a chart of the totals under each table: ``True`` renders it with
        :func:`quickscan.charts.plot_totals`; a mapping ``(family id, wave) -> PNG`` (a
        path or a binary file object) uses charts already rendered, for instance those
        :func:`quickscan.charts.save_chart` wrote; a family missing from it gets no chart.
    title : str, optional
        The title of the report.

    Returns
    -------
    docx.Document
        A title; per family a heading, then for a family of codes the caption
        ``"Tabel N. <caption>"`` above the table (pilots as rows, codes as columns, a bold
        header and ``Totaal`` row; more than :data:`WIDE_TABLE` codes: in a landscape
        section), the chart, and one bullet per code with the number of pilots and a
        telling quote; for a fact family (status, reach...) only the counts. A table that
        fits on a page is kept on one page with its heading and caption; a longer one
        starts with at least three rows and repeats its header row on every page.

        With more pilots in the wave than :data:`quickscan.charts.MATRIX_PILOTS` (the
        threshold of the pilots x codes chart) nothing is listed per pilot: the table of a
        family gives per code the number and share of pilots, and a sentence names the
        sheet of ``tables.xlsx`` with the table per pilot; the comparison gives per code
        the pilots that gained and lost it (a table, no bullet per pilot), the status
        changes counted per change, and more than that many pilots of one wave only are
        counted, not named.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> doc = to_docx(code_corpus(corpus), corpus, families=["uitgangspunten"], charts=False)
    >>> [p.text for p in doc.paragraphs][2:4]
    ['Uitgangspunten', 'Tabel 1. Uitgangspunten van de Regionale koers ...']
    >>> doc.tables[0].rows[-1].cells[0].text
    'Totaal'
    """
    return _report(codings, corpus, codebook=codebook, families=families, wave=wave, compare=compare, charts=charts,
                   title=title).document()


def _report(codings, corpus, *, codebook=None, families=None, wave="T0", compare=None, charts=True,
            title=None) -> _Report:
    """The report of :func:`to_docx`, its body written but not yet parsed (see :class:`_Report`)."""
    from docx import Document as new_document

    codebook = codebook or default_codebook()
    fams = _families(codebook, families)
    doc = new_document()
    mark_output(doc.core_properties)  # never read back as a form
    unit = corpus.template.unit
    n_pilots = len(pilot_rows(corpus, wave))
    per_pilot = not _many(n_pilots)  # a table per pilot, or (many pilots) the counts per code
    sheets = _table_sheets((fam, w) for fam in fams for w in corpus.waves)  # as tables.xlsx names them
    first = fams[0] if fams and fams[0].kind != "fact" else None
    # the title goes on the page of the first table: no page holding only the title before a landscape section
    report = _Report(doc, "landscape" if first is not None and per_pilot and len(first.codes) > WIDE_TABLE
                     else "portrait")
    report.paragraph(title or f"{corpus.template.title}: tabellen {wave}", style="Title")
    report.paragraph(f"Tabellen en bevindingen van {unit.count(n_pilots)} in {wave}, per onderdeel van het codeboek.")

    for fam in fams:
        mine = _family_part(codings, fam)  # one family's at a time: all of them would be a copy of the codings
        table = code_matrix(mine, corpus, family=fam, wave=wave, codebook=codebook) if fam.kind != "fact" else None
        if table is not None and not per_pilot:
            table = _code_counts(table, unit)
        # a wide table's heading goes on the landscape page with it, not alone before the break
        report.orient("landscape" if table is not None and report.wide(table) else "portrait")
        report.paragraph(fam.label, style="Heading 1", keep_next=True)
        summary = summarize_codes(mine, corpus, family=fam, wave=wave, codebook=codebook)
        if table is None:  # a short list of counts, kept on one page with its heading
            if fam.caption:
                report.paragraph(fam.caption, keep_next=True)
            for i, row in enumerate(summary.itertuples(), start=1):
                report.paragraph(f"{row.label}: {row.phrase}.", style="List Bullet", keep_next=i < len(summary))
            continue
        if per_pilot:
            report.table(table, fam.caption or fam.label)
        else:
            report.table(table, f"{(fam.caption or fam.label).rstrip('.')}: aantal {unit.plural} per code, {wave} "
                                f"({unit.count(n_pilots)}).")
            report.paragraph(f"De tabel per {unit.singular} ({unit.count(n_pilots)}, een kolom per code) staat in "
                             f"tables.xlsx, blad '{sheets[fam.id, wave]}'.")
        note = _review_note(mine, fam, wave)
        if note:
            report.paragraph((note, "i"))
        png = _totals_png(mine, corpus, fam, wave, codebook) if charts is True else (
            charts.get((fam.id, wave)) if charts else None)
        if png is not None:
            report.chart(png, f"{fam.label}: aantal {unit.plural} per code, {wave}.")
        report.paragraph(f"Per code: het aantal {unit.plural} dat de code noemt, met een markante uitspraak.",
                         keep_next=True)
        for row in summary.itertuples():
            _code_bullet(report, row)

    if compare is not None:
        status_codings = codings[codings["code"].isin(_status_codes(corpus, codebook))]
        _comparison(report, codings, status_codings, corpus, codebook, [f for f in fams if f.kind != "fact"], *compare,
                    sheets=sheets)
    return report


def _many(n_pilots: int) -> bool:
    """Whether a table or list with a row per pilot is too long to be read in the report: more
    pilots than :data:`quickscan.charts.MATRIX_PILOTS`, where the pilots x codes chart gives way
    too (one threshold for all outputs)."""
    from . import charts

    return n_pilots > charts.MATRIX_PILOTS


def _code_counts(table: pd.DataFrame, unit) -> pd.DataFrame:
    """The ``Totaal`` row of a :func:`~quickscan.matrices.code_matrix` table as a table of its own:
    per code the number of pilots and their share of the wave.

    >>> from quickscan.template import Unit
    >>> m = pd.DataFrame({"Wonen": ["X", "", 1], "Werk": ["X", "X", 2]}, index=["1. A", "2. B", TOTAL])
    >>> _code_counts(m, Unit("pilot", "pilots"))
          Aantal pilots Aandeel
    Code
    Wonen             1     50%
    Werk              2    100%
    """
    n = len(table) - 1
    counts = [int(v) for v in table.loc[TOTAL]]
    out = pd.DataFrame({f"Aantal {unit.plural}": counts, "Aandeel": [f"{100 * c / max(n, 1):.0f}%" for c in counts]},
                       index=pd.Index([str(c) for c in table.columns], name="Code"))
    return out


def _status_codes(corpus, codebook: Codebook) -> set[str]:
    """The codes of the status family (see :func:`quickscan.compare.compare_waves`), if any."""
    status = corpus.template.status_family(codebook)
    return {c.id for c in codebook.family(status).codes} if status else set()


def _review_note(codings: pd.DataFrame, fam: Family, wave: str) -> str:
    """The table's footnote on its review: cells decided by researchers (who), cells accepted by rule.

    >>> from quickscan.codebook import Family
    >>> c = pd.DataFrame({"pilot_id": ["a", "a", "b"], "wave": "T0", "code": "wonen", "family": "basisset",
    ...     "decision": ["rejected", "rejected", "accepted by rule"], "coder": ["Anna", "Anna", None]})
    >>> _review_note(c, Family("basisset", "Basisset", ()), "T0")
    'Beoordeling: 1 cel beoordeeld door Anna; 1 cel met een X is door de regel geaccepteerd (zeker genoeg, niet beoordeeld).'
    """
    from .review import BY_RULE

    if "decision" not in codings or codings.empty:
        return ""
    mine = codings[(codings["family"] == fam.id) & (codings["wave"] == wave) & codings["decision"].notna()]
    if mine.empty:
        return ""
    key = ["pilot_id", "code"]
    by_rule = mine[mine["decision"] == BY_RULE].drop_duplicates(key)
    decided = mine[mine["decision"] != BY_RULE]
    parts = []
    if len(decided):
        n = len(decided.drop_duplicates(key))
        who = sorted({c for c in decided.get("coder", pd.Series(dtype=object)).dropna() if c})
        parts.append(f"{n} {'cel' if n == 1 else 'cellen'} beoordeeld" + (f" door {', '.join(who)}" if who else ""))
    if len(by_rule):
        n = len(by_rule)
        parts.append(f"{n} {'cel' if n == 1 else 'cellen'} met een X {'is' if n == 1 else 'zijn'} door de regel "
                     "geaccepteerd (zeker genoeg, niet beoordeeld)")
    return "Beoordeling: " + "; ".join(parts) + "."


def write_docx(path: str | PathLike[str], codings: pd.DataFrame, corpus, **kw: Any) -> Path:
    """Write :func:`to_docx` to ``path`` (.docx), atomically; keywords as there.

    The body is streamed into the file, never held as one tree: memory stays that of the
    tables and charts, whatever the number of pilots.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> path = write_docx(pathlib.Path(tempfile.mkdtemp()) / "report.docx", code_corpus(corpus), corpus,
    ...                   families=["basisset"], charts=False)
    >>> path.name, path.stat().st_size > 0
    ('report.docx', True)
    """
    return atomic_write(path, _report(codings, corpus, **kw).save)


def _code_bullet(report: _Report, row) -> None:
    """``<label>: genoemd door <n> van de <N> pilots. “<quote>” (<pilot>)``"""
    runs: list = [(row.label, "b"), f": genoemd door {row.phrase}."]
    if row.quote:
        runs += [" ", (f"“{row.quote}”", "i"), f" ({row.quote_pilot})"]
    report.paragraph(*runs, style="List Bullet")


def _section(orientation: str) -> str:
    """The ``w:sectPr`` of an A4 page of this orientation (margins :data:`MARGIN`; a landscape
    page, short, has :data:`LANDSCAPE_MARGIN` at the top and bottom for the table)."""
    width, height = PAGE[orientation]
    edge = LANDSCAPE_MARGIN if orientation == "landscape" else MARGIN
    orient = ' w:orient="landscape"' if orientation == "landscape" else ""
    return (f'<w:sectPr><w:pgSz w:w="{_twips(width)}" w:h="{_twips(height)}"{orient}/>'
            f'<w:pgMar w:top="{_twips(edge)}" w:right="{_twips(MARGIN)}" w:bottom="{_twips(edge)}" '
            f'w:left="{_twips(MARGIN)}" w:header="720" w:footer="720" w:gutter="0"/>'
            '<w:cols w:space="720"/><w:docGrid w:linePitch="360"/></w:sectPr>')


def _text_height(orientation: str) -> float:
    """The height in cm of the text on a page of this orientation (see :func:`_section`)."""
    return PAGE[orientation][1] - 2 * (LANDSCAPE_MARGIN if orientation == "landscape" else MARGIN)


class _Report:
    """Writes the body of a report: numbers its tables and figures, switches page orientation.

    The body is written as WordprocessingML text, streamed into the file by :meth:`save` or
    parsed once by :meth:`document`: python-docx adds an element after a search through the
    whole body and a table cell by cell (quadratic in the pilots: minutes for a report of
    1,500 forms), lxml moves elements from one parsed tree into another slowly, and a tree
    of the whole body takes ten times the memory of its text.
    """

    def __init__(self, doc, orientation: str = "portrait") -> None:
        self.doc = doc
        self.tables = 0
        self.figures = 0
        self.orientation = orientation
        self._xml: list[str | Iterable[str]] = []  # XML text, or the chunks of a table made when written
        self._styles: dict[str, str] = {}

    def style(self, name: str) -> str:
        """The id of a style of the document by its name (``"List Bullet"`` -> ``"ListBullet"``)."""
        if name not in self._styles:
            self._styles[name] = self.doc.styles[name].style_id
        return self._styles[name]

    def paragraph(self, *runs: str | tuple[str, str], style: str | None = None, keep_next: bool = False) -> None:
        """A paragraph of runs: a text, or ``(text, "b")`` bold, ``(text, "i")`` italic."""
        props = (f'<w:pStyle w:val="{self.style(style)}"/>' if style else "") + ("<w:keepNext/>" if keep_next else "")
        body = "".join(_run(r) if isinstance(r, str) else _run(r[0], bold="b" in r[1], italic="i" in r[1])
                       for r in runs if (r if isinstance(r, str) else r[0]))
        self._xml.append(f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{body}</w:p>")

    def orient(self, orientation: str) -> None:
        """Start a section of this orientation on a new page (when the current one differs)."""
        if orientation != self.orientation:
            self._xml.append(f"<w:p><w:pPr>{_section(self.orientation)}</w:pPr></w:p>")
            self.orientation = orientation

    def caption(self, kind: str, text: str) -> None:
        if kind == "Tabel":
            self.tables += 1
            n = self.tables
        else:
            self.figures += 1
            n = self.figures
        self.paragraph(f"{kind} {n}. {text}", style="Caption", keep_next=True)

    @staticmethod
    def wide(table: pd.DataFrame) -> bool:
        """Whether a table goes into a landscape section."""
        return table.shape[1] > WIDE_TABLE

    def table(self, table: pd.DataFrame, caption: str) -> None:
        """A code matrix under its caption, in a landscape section when it is wide."""
        wide = self.wide(table)
        self.orient("landscape" if wide else "portrait")
        self.caption("Tabel", caption)
        self.grid(table, vertical_header=wide)
        self.orient("portrait")

    def grid(self, table: pd.DataFrame, *, vertical_header: bool = False) -> None:
        """A table as wide as the text of the current page (see :func:`_table_xml`)."""
        width = PAGE[self.orientation][0] - 2 * MARGIN
        self._xml.append(_table_xml(table, width=width, height=_text_height(self.orientation),
                                    style=self.style("Table Grid"), vertical_header=vertical_header))

    def chart(self, png, caption: str) -> None:
        """A picture 16 cm wide (a PNG: a path or a binary file object) above its caption."""
        from docx.shared import Cm
        from lxml import etree

        if hasattr(png, "seek"):
            png.seek(0)
        inline = self.doc.part.new_pic_inline(png if hasattr(png, "read") else str(png), width=Cm(16))
        inline.docPr.id = 1000 + self.figures  # unique in the document (python-docx counts the ids of its body)
        # kept with its caption (below it) on one page
        self._xml.append(f"<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:drawing>{etree.tostring(inline, encoding=str)}"
                         "</w:drawing></w:r></w:p>")
        self.caption("Figuur", caption)

    def _head(self) -> str:
        """The start of the document part: ``w:document`` with the template's namespaces, ``w:body``."""
        root = self.doc.element  # the template's: its namespaces and the ones Word may ignore
        spaces = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in root.nsmap.items() if prefix)
        ignorable = root.get(f"{{{root.nsmap.get('mc')}}}Ignorable")
        if ignorable:
            spaces += f' mc:Ignorable="{ignorable}"'
        return f"<w:document {spaces}><w:body>"

    def _chunks(self) -> Iterator[str]:
        """The document part as XML text, in chunks: a table's rows are made as they are written."""
        yield self._head()
        for chunk in self._xml:
            if isinstance(chunk, str):
                yield chunk
            else:
                yield from chunk
        yield f"{_section(self.orientation)}</w:body></w:document>"
        self._xml.clear()

    def document(self) -> Document:
        """The document with the body written so far, in one parse."""
        from docx.oxml import parse_xml

        part = self.doc.part
        part._element = parse_xml("".join(self._chunks()))
        return part.document

    def save(self, path: str | PathLike[str]) -> None:
        """Write the document with the body written so far to ``path`` (.docx), the body streamed.

        python-docx writes the package (styles, sections, numbering, the pictures and their
        relationships) around the template's empty body; the document part is then written
        anew in chunks of XML text as the body is made, never held as one tree (a report of
        1,500 forms took hundreds of MB as a tree). The part is what :meth:`document` would
        hold, as python-docx would write it.
        """
        import zipfile

        package = io.BytesIO()
        self.doc.save(package)
        name = self.doc.part.partname.membername
        with zipfile.ZipFile(package) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():  # in python-docx's order: [Content_Types].xml first
                if info.filename != name:
                    target.writestr(info, source.read(info))
                    continue
                entry = zipfile.ZipInfo(name, info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with target.open(entry, "w") as out:
                    out.write(b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n")
                    batch: list[str] = []
                    size = 0
                    for chunk in self._chunks():
                        batch.append(chunk)
                        size += len(chunk)
                        if size > 1 << 20:  # write about 1 MB at a time
                            out.write("".join(batch).encode("utf-8"))
                            batch, size = [], 0
                    out.write("".join(batch).encode("utf-8"))


def _totals_png(codings, corpus, fam: Family, wave: str, codebook) -> io.BytesIO:
    """The totals chart of a family as PNG (rendered by the Agg canvas, whatever the backend)."""
    import matplotlib.pyplot as plt

    from .charts import plot_totals

    fig = plot_totals(codings, corpus, family=fam, wave=wave, codebook=codebook).figure
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=CHART_DPI, facecolor="white", metadata={"Software": None})
    finally:
        plt.close(fig)
    return buffer


_BREAKS = re.compile(r"(\t|\r\n?|\n)")


def _run(text: Any, *, bold: bool = False, italic: bool = False, size: int | None = None) -> str:
    """A ``w:r`` of text: escaped, a character XML forbids as U+FFFD (python-docx would raise),
    a tab as ``w:tab`` and a line break as ``w:br`` (as python-docx writes them); ``size`` in
    half-points.

    >>> _run("a & b\\nc", bold=True)
    '<w:r><w:rPr><w:b/></w:rPr><w:t>a &amp; b</w:t><w:br/><w:t>c</w:t></w:r>'
    """
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "") + (f'<w:sz w:val="{size}"/>' if size else "")
    out = [f"<w:r><w:rPr>{props}</w:rPr>" if props else "<w:r>"]
    for i, part in enumerate(_BREAKS.split(xml_safe(text))):
        if i % 2:
            out.append("<w:tab/>" if part == "\t" else "<w:br/>")
        elif part:
            space = ' xml:space="preserve"' if part != part.strip() else ""
            out.append(f"<w:t{space}>{escape(part)}</w:t>")
    out.append("</w:r>")
    return "".join(out)


def _twips(cm: float) -> int:
    """Centimetres as twips, rounded as python-docx rounds ``Cm(cm).twips``."""
    return round(int(cm * 360_000) / 635)


def _table_xml(table: pd.DataFrame, *, width: float, height: float, style: str,
               vertical_header: bool = False) -> Iterator[str]:
    """A report table as a ``w:tbl``, in chunks of XML text (made when iterated): header row bold, pilots as rows, ``X`` centred, ``Totaal`` bold.

    ``width`` and ``height`` (cm) are those of the text on the page. The grid columns are
    as wide as the cells (LibreOffice lays a table out by its grid, Word by its cells); a
    row is never split over two pages; the header row is repeated on every page, and set
    upright when a header word is wider than its column (it would be broken inside the
    word). A table that fits on a page is kept on one page (keep with next on every row
    but the last); a longer one starts with the header and two rows together and ends with
    its last three rows together, so that no row is left alone at the foot or top of a page.
    """
    header = [table.index.name or "", *map(str, table.columns)]
    n_codes = len(header) - 1
    points = 7 if n_codes > 12 else 8
    char = _CHAR_CM * points / 8  # the width of an average character
    # the first column as wide as its longest label (within bounds): names on one line where possible;
    # beside a few columns (counts) it may take all but 2.5 cm a column
    longest = max((len(str(x)) for x in [header[0], *table.index]), default=10)
    widest = width - 2.5 * n_codes if n_codes <= 3 else min(PILOT_COLUMN * 1.3, width / 2)
    first = min(max(PILOT_COLUMN * 0.6, longest * char + _CELL_PADDING), widest)
    column = (width - first) / max(n_codes, 1)
    widths = [_twips(first)] + [_twips(column)] * n_codes
    # a header word wider than its column would be broken inside the word: set the header upright
    words = [w for h in header[1:] for w in h.split()]
    vertical_header = vertical_header or any(len(w) * char * 1.1 + _CELL_PADDING > column for w in words)

    line = points * 1.2 * 2.54 / 72  # cm: a line of text in a cell
    if vertical_header:
        # upright labels wrap over as many lines as the column is wide (a line ~1.5 characters
        # high): the header is as high as the longest label needs on those lines, never lower
        # than its longest word; every cm it takes from the page pushes rows onto the next one
        lines = max(1, min(3, int((column - _CELL_PADDING + 0.1) / (1.5 * char))))
        longest = max((max(-(-len(h) // lines), *(len(w) for w in h.split())) for h in header[1:] if h.strip()),
                      default=10)
        head = min(7.0, _CELL_PADDING + char * longest)
    else:
        head = line * max((len(textwrap.wrap(h, max(int((column - _CELL_PADDING) / char), 1))) for h in header[1:]),
                          default=1)
    labels = [str(label) for label in table.index]
    rows = [[str(label), *("" if pd.isna(v) else str(v) for v in values)]
            for label, values in zip(labels, table.itertuples(index=False, name=None))]
    # keep the table on one page when it fits (room left for its heading and caption)
    per_line = max(int((first - _CELL_PADDING) / char), 1)
    room, fits = height - 2.5 - head, True
    for label in labels:
        room -= line * max(len(textwrap.wrap(label, per_line)), 1) + 0.05
        if room < 0:
            fits = False
            break
    n = len(rows) + 1  # the rows with the header
    keep = set(range(n - 1)) if fits else {0, 1, 2, n - 3, n - 2}

    size = points * 2
    pilot_pr = f'<w:tcPr><w:tcW w:w="{widths[0]}" w:type="dxa"/></w:tcPr>'
    code_pr = f'<w:tcPr><w:tcW w:w="{widths[-1]}" w:type="dxa"/></w:tcPr>'
    upright = (f'<w:tcPr><w:tcW w:w="{widths[-1]}" w:type="dxa"/><w:textDirection w:val="btLr"/></w:tcPr>'
               if vertical_header else code_pr)
    mark = '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'  # compact rows
    yield (f'<w:tbl><w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
           '<w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" '
           'w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>'
           + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>")
    for i, values in enumerate([header, *rows]):
        bold = i == 0 or values[0] == TOTAL
        next_ = "<w:keepNext/>" if i in keep else ""
        left = f"<w:pPr>{next_}{mark}<w:rPr><w:sz w:val=\"{size}\"/></w:rPr></w:pPr>"
        centre = f'<w:pPr>{next_}{mark}<w:jc w:val="center"/><w:rPr><w:sz w:val="{size}"/></w:rPr></w:pPr>'
        if i == 0:
            height_pr = (f'<w:trHeight w:val="{_twips(head)}" w:hRule="atLeast"/>' if vertical_header else "")
            out = [f"<w:tr><w:trPr><w:cantSplit/>{height_pr}<w:tblHeader/></w:trPr>"]
        else:
            out = ["<w:tr><w:trPr><w:cantSplit/></w:trPr>"]
        for j, text in enumerate(values):
            run = _run(text, bold=bold, size=size) if text else ""
            tc_pr = pilot_pr if j == 0 else upright if i == 0 else code_pr
            out.append(f"<w:tc>{tc_pr}<w:p>{left if j == 0 else centre}{run}</w:p></w:tc>")
        out.append("</w:tr>")
        yield "".join(out)
    yield "</w:tbl>"


def _comparison(report: _Report, codings: pd.DataFrame, status_codings: pd.DataFrame, corpus, codebook,
                fams: list[Family], before: str, after: str, *,
                sheets: Mapping[tuple[str, str], str] | None = None) -> None:
    """The comparison of two waves: per family the totals, and per pilot the codes gained and lost;
    with many pilots (:func:`_many`) the gains and losses counted per code instead, the status
    changes counted per change, and where the detail per pilot is (``sheets``: see :func:`_table_sheets`).

    ``status_codings``: the codings of the status family, looked at once (with the last family)
    for the status changes.
    """
    from .compare import GAINED, LOST, compare_waves

    unit = corpus.template.unit
    report.paragraph(f"Vergelijking {before} en {after}", style="Heading 1")
    result = None
    for fam in fams:
        mine = _family_part(codings, fam)
        mine = pd.concat([mine, status_codings]) if fam is fams[-1] else mine
        result = compare_waves(mine, corpus, family=fam, before=before, after=after, codebook=codebook)
        report.paragraph(fam.label, style="Heading 2", keep_next=True)
        totals = result.totals.set_index("label")[["before", "after", "difference"]]
        totals = totals.assign(difference=[f"{d:+d}" if d else "0" for d in totals["difference"]])
        totals.columns = [before, after, "Verschil"]
        totals.index.name = "Code"
        caption = (f"{fam.label}: aantal {unit.plural} per code in {before} ({unit.count(result.n_before)}) "
                   f"en {after} ({unit.count(result.n_after)})")
        if _many(max(result.n_before, result.n_after)):  # counted per code, not listed per pilot
            changed = result.changes.groupby(["code", "status"]).size()
            for status, column in ((GAINED, "Erbij"), (LOST, "Niet meer")):
                totals[column] = [int(changed.get((code, status), 0)) for code in result.totals["code"]]
            report.caption("Tabel", f"{caption}; erbij en niet meer: {unit.plural} in beide rondes die de code "
                                    f"in {after} wel en in {before} niet noemen, en omgekeerd.")
            report.grid(totals)
            where = " en ".join(f"'{(sheets or {}).get((fam.id, w), f'{fam.id} {w}')}'" for w in (before, after))
            report.paragraph(f"Welke {unit.plural} een code erbij kregen of niet meer noemen: vergelijk in "
                             f"tables.xlsx de bladen {where} (een rij per {unit.singular}).")
            continue
        report.caption("Tabel", f"{caption}.")
        report.grid(totals)
        for status, text in (("gained", f"Erbij gekomen in {after}"), ("lost", f"Niet meer genoemd in {after}")):
            changed = result.changes[result.changes["status"] == status]
            if changed.empty:
                report.paragraph(f"{text}: geen.")
                continue
            report.paragraph(f"{text}:", keep_next=True)
            labels: dict[tuple, list[str]] = {}  # (nr, pilot) -> the codes it gained or lost
            for nr, pilot, label in zip(changed["nr"].tolist(), changed["pilot"].tolist(), changed["label"].tolist()):
                labels.setdefault((nr, pilot), []).append(label)
            for nr, pilot in sorted(labels):
                report.paragraph(f"{nr}. {pilot}: {', '.join(labels[nr, pilot])}.", style="List Bullet")
    if result is None:
        return
    status = result.status_family and codebook.family(result.status_family).label.lower()
    report.paragraph(f"{status[:1].upper() + status[1:]} en deelname" if status else "Deelname", style="Heading 2")
    if status and result.status_changes.empty:
        report.paragraph(f"Geen {unit.singular} veranderde van {status} tussen {before} en {after}.")
    elif status and _many(max(result.n_before, result.n_after)):  # counted per change, not listed per pilot
        changes = result.status_changes.assign(before=result.status_changes["before"].replace("", "onbekend"),
                                               after=result.status_changes["after"].replace("", "onbekend"))
        counts = changes.groupby(["before", "after"], sort=False).size()
        table = pd.DataFrame({f"Aantal {unit.plural}": counts.tolist()},
                             index=pd.Index([f"{was} → {now}" for was, now in counts.index],
                                            name=f"{before} → {after}"))
        report.caption("Tabel", f"Aantal {unit.plural} waarvan de {status} veranderde tussen {before} en {after} "
                                f"({unit.count(len(changes))}).")
        report.grid(table)
        report.paragraph(f"De {status} per {unit.singular} en ronde staat in codings.csv.")
    elif status:
        report.paragraph(f"{unit.plural[:1].upper() + unit.plural[1:]} waarvan de {status} veranderde "
                         f"tussen {before} en {after}:")
        for row in result.status_changes.itertuples():
            was, now = row.before or "onbekend", row.after or "onbekend"
            report.paragraph(f"{row.nr}. {row.pilot}: {was} → {now}.", style="List Bullet")
    for pilots, wave, other in ((result.only_before, before, after), (result.only_after, after, before)):
        if pilots.empty:
            report.paragraph(f"Alleen in {wave}: geen.")
        elif _many(len(pilots)):  # counted, not named
            report.paragraph(f"Alleen in {wave}: {unit.count(len(pilots))} (in tables.xlsx de {unit.plural} van de "
                             f"bladen van {wave} die niet op die van {other} staan).")
        else:
            names = "; ".join(f"{r.nr}. {r.pilot}" for r in pilots.itertuples())
            report.paragraph(f"Alleen in {wave}: {names}.")
