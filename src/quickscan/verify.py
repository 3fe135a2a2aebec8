"""Checking a report writer's Word draft against the report tables (``quickscan verify``).

Report writers write their own prose around the tables, and counts typed by hand drift
away from them ("Negen projecten dragen bij aan activering en werk" where the table's
``Totaal`` says 10). :func:`check_draft` reads the draft, finds every count claim in its
prose, matches it to a code of the tables and says whether the table agrees.

The steps, each a small pure function over the text:

1. :func:`read_draft`: the text of the .docx in document order, from its XML (body
   paragraphs, headings with their level, lists, text boxes, tables, footnotes), with the
   heading path above every paragraph. The package is opened with the defences of the form
   reader (size and compression budget, no DTDs or entities, legacy and encrypted files
   refused with a clear message).
2. Claims: per sentence, the counts of the *unit* (pilots, projecten, initiatieven, and the
   unit of the template): Dutch numbers as digits and words (``één``, not the article
   ``een``), ``X van de Y``, ``alle``, ``geen (van de)``, ``nagenoeg alle``, ``het
   merendeel``, ``de helft``, ``op twee na``, ``meer dan tien``, percentages. "Drie
   gesprekken" or "twee jaar" is not a claim; nor is a number in a table, a caption
   (``Tabel 1. ...``), a quotation or an identifier (``pilot 3``, ``uitgangspunt 5``).
3. Matching: a claim is about a code when its own words name the code's label (or a
   distinctive part of it, ``uitgangspunt 2``), else when the nearest heading above names
   it, else by the code's patterns in the codebook. The words that decided are reported.
4. Verdict: the table's ``Totaal`` (or the count of marks) of that code in the claim's
   wave. A report writer acts on every ``differs``, so a claim is called ``differs`` only
   when the match is certain (the label in the sentence, or the heading with a sentence
   that says nothing more specific) and the claim is about the whole set of pilots:
   counts of a subset ("Van de zeven projecten ... drie", "In drie van de vier
   projecten", "De andere twee projecten", "daarvan"), claims qualified ("expliciet",
   "vooral"), negated or about a change stay ``unchecked``, with the reason.

>>> import pandas as pd
>>> table = pd.DataFrame({"Wonen": ["X", "X", "", 2]}, index=["1. A", "2. B", "3. C", "Totaal"])
>>> claims = check_draft(["Wonen", "Twee van de drie pilots noemen wonen."], {"basisset": table})
>>> claims[["claim", "value", "label", "table_value", "verdict"]].to_dict("records")
[{'claim': 'Twee van de drie pilots', 'value': 2, 'label': 'Wonen', 'table_value': 2, 'verdict': 'agrees'}]
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import CorruptFileError, InputError

__all__ = ["check_draft", "read_draft", "read_tables", "write_claims", "summary", "describe", "CLAIM_COLUMNS",
           "VERDICTS"]

VERDICTS = ("agrees", "differs", "unchecked")

#: The columns of :func:`check_draft`, in order.
CLAIM_COLUMNS = (
    "paragraph", "where", "heading", "sentence", "claim", "kind", "value", "denominator", "means",
    "wave", "wave_from", "family", "code", "label", "matched_by", "match_words",
    "table_value", "n_pilots", "verdict", "reason",
)
DRAFT_COLUMNS = ("paragraph", "kind", "level", "heading", "text")
TOTAL_ROWS = ("totaal", "total", "totalen", "som")
MAX_TABLE_ROWS = 20_000  # rows read from one sheet or CSV file looking for a table
MAX_TABLE_COLUMNS = 500

#: Unit words counted by default (singular, plural); the template's unit and the header of
#: the tables' first column are added.
DEFAULT_UNITS = (
    ("pilot", "pilots"), ("project", "projecten"), ("pilotproject", "pilotprojecten"),
    ("initiatief", "initiatieven"), ("proeftuin", "proeftuinen"),
)


# == reading the draft =========================================================================


@dataclass(frozen=True)
class _Block:
    """One paragraph (or table row) of the draft, with the headings above it."""

    paragraph: int
    kind: str  # heading, text, list, caption, text box, table, footnote
    text: str
    level: int | None = None
    heading: tuple[str, ...] = ()


def read_draft(path: str | PathLike[str]) -> pd.DataFrame:
    """The text of a Word draft (.docx) in document order, with the headings above it.

    Headings are paragraphs in a heading style (Word's "Heading N"/"Kop N", LibreOffice's,
    the title) or with an outline level; lists keep their text; a text box
    (``w:txbxContent``) follows the paragraph it is anchored in; a table gives one row per
    table row (cells joined by ``" | "``); footnotes come last. Tracked deletions and field
    codes are not text.

    Parameters
    ----------
    path : str or Path
        A .docx written by Word or LibreOffice.

    Returns
    -------
    DataFrame
        Columns ``paragraph`` (1, 2, ... over the non-empty paragraphs and table rows),
        ``kind`` (``heading``, ``text``, ``list``, ``caption``, ``text box``, ``table``,
        ``footnote``), ``level`` (of a heading: 0 for a title, 1, 2, ...), ``heading``
        (the headings above it, joined by ``" > "``) and ``text``.

    Raises
    ------
    InputError
        Not a .docx (or a legacy .doc, or password-protected, or damaged): the message
        names the file and what to do.

    Examples
    --------
    >>> import tempfile, pathlib, docx
    >>> doc = docx.Document()
    >>> _ = doc.add_heading("Wonen", 1); _ = doc.add_paragraph("Negen projecten noemen wonen.")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "concept.docx"; doc.save(path)
    >>> read_draft(path)[["paragraph", "kind", "level", "heading", "text"]].values.tolist()
    [[1, 'heading', 1, '', 'Wonen'], [2, 'text', <NA>, 'Wonen', 'Negen projecten noemen wonen.']]
    """
    blocks = _read_blocks(Path(path))
    return _draft_frame(blocks)


def _draft_frame(blocks: Sequence[_Block]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(b.paragraph, b.kind, b.level, " > ".join(b.heading), b.text) for b in blocks], columns=list(DRAFT_COLUMNS))
    frame["level"] = frame["level"].astype("Int64")
    frame["paragraph"] = frame["paragraph"].astype(int)
    return frame


def _read_blocks(path: Path) -> list[_Block]:
    """The blocks of a draft, read with the form reader's defences (budgets, no DTD, legacy and
    encrypted files refused)."""
    from lxml import etree

    from ._docx import _MC, _NS, _Names, _main_part, _parse
    from ._package import check_xml, open_package

    with open_package(path) as package:
        names = set(package.namelist())
        main = _main_part(package, names)
        if main is None:
            raise CorruptFileError(path, "not a Word document: the package has no word/document.xml")
        parts = {"main": main, "styles": "word/styles.xml", "footnotes": "word/footnotes.xml"}
        check_xml(package, list(parts.values()), path)
        roots = {key: _parse(package.read(part), path, part) for key, part in parts.items() if part in names}
    root = roots["main"]
    ns = etree.QName(root).namespace
    if ns not in _NS:
        raise CorruptFileError(path, f"not a Word document: unexpected XML namespace {ns}")
    w = _Names(ns)
    for r in roots.values():
        for fallback in list(r.iter(_MC)):  # alternate content is stored twice; keep the first choice
            fallback.getparent().remove(fallback)
    body = root.find(w.body)
    if body is None:
        raise CorruptFileError(path, "not a Word document: no body")
    walker = _DraftWalker(w, _paragraph_styles(roots.get("styles"), w))
    walker.walk(body, "text")
    notes = roots.get("footnotes")
    if notes is not None:
        walker.path = ("voetnoten",)
        for note in notes.iter(f"{{{ns}}}footnote"):
            if note.get(f"{{{ns}}}type") in (None, "normal"):
                walker.walk(note, "footnote")
    return walker.blocks


_HEADING_NAME = re.compile(r"^(?:heading|kop|überschrift|titre|titolo)\s*(\d)$")
_CAPTION_NAMES = ("caption", "bijschrift", "beschriftung", "légende")


def _style_level(name: str) -> tuple[int | None, bool]:
    """(heading level or None, is a caption) from a style id or name."""
    key = name.lower().strip()
    m = _HEADING_NAME.match(key) or _HEADING_NAME.match(key.replace(" ", ""))
    if m:
        return int(m.group(1)), False
    if key.replace(" ", "") in ("title", "titel", "subtitle", "ondertitel"):
        return 0, False
    return None, key.replace(" ", "") in _CAPTION_NAMES


def _paragraph_styles(root, w) -> dict[str, tuple[int | None, bool]]:
    """Style id -> (heading level, caption) from styles.xml: names, outline levels, inheritance."""
    if root is None:
        return {}
    own: dict[str, tuple[int | None, bool]] = {}
    based: dict[str, str] = {}
    for style in root.iter(w.style):
        sid = style.get(w.styleId) or ""
        name_el = style.find(w.name)
        level, caption = _style_level(name_el.get(w.val) or "" if name_el is not None else sid)
        if level is None and not caption:
            level, caption = _style_level(sid)
        ppr = style.find(w.pPr)
        outline = ppr.find(w.outline) if ppr is not None else None
        if outline is not None and (outline.get(w.val) or "9").isdigit() and int(outline.get(w.val) or 9) < 9:
            level = int(outline.get(w.val)) + 1
        own[sid] = (level, caption)
        parent = style.find(w.basedOn)
        if parent is not None and parent.get(w.val):
            based[sid] = parent.get(w.val)
    out = {}
    for sid in own:
        level, caption, seen, cur = *own[sid], set(), sid
        while level is None and not caption and cur in based and cur not in seen:
            seen.add(cur)
            cur = based[cur]
            level, caption = own.get(cur, (None, False))
        out[sid] = (level, caption)
    return out


_CAPTION_TEXT = re.compile(
    r"^\s*(?:tabel|figuur|grafiek|afbeelding|diagram|kader|bijlage|table|figure|chart)\s+\d+(?:[.\-]\d+)*\s*[.:–—-]",
    re.IGNORECASE)


class _DraftWalker:
    """Walks the body in document order; collects paragraphs, table rows and text boxes."""

    def __init__(self, w, styles: dict[str, tuple[int | None, bool]]) -> None:
        from ._docx import _style_kind

        self.w, self.styles, self.style_kind = w, styles, _style_kind
        self.blocks: list[_Block] = []
        self.path: tuple[str, ...] = ()
        self.levels: tuple[int, ...] = ()
        q = lambda tag: f"{{{w.ns}}}{tag}"  # noqa: E731
        self.txbx, self.del_, self.instr = q("txbxContent"), q("del"), q("instrText")

    def add(self, kind: str, text: str, level: int | None = None, path: tuple[str, ...] | None = None) -> None:
        text = text.strip()
        if text:
            self.blocks.append(_Block(len(self.blocks) + 1, kind, text, level, self.path if path is None else path))

    def walk(self, parent, kind: str) -> None:
        w = self.w
        for child in parent:
            tag = child.tag
            if tag == w.p:
                self.paragraph(child, kind)
            elif tag == w.tbl:
                for tr in child.iter(w.tr):
                    cells = [" ".join(self.text(p)[0] for p in tc.iter(w.p)).strip() for tc in tr.iter(w.tc)]
                    self.add("table", " | ".join(c for c in cells if c))
            elif tag in (w.sdt, w.customXml, w.sdtContent):
                inner = child.find(w.sdtContent) if tag == w.sdt else child
                if inner is not None:
                    self.walk(inner, kind)

    def paragraph(self, p, kind: str) -> None:
        w = self.w
        text, boxes = self.text(p)
        level, caption, listed = None, False, False

        ppr = p.find(w.pPr)
        if ppr is not None:
            ps = ppr.find(w.pStyle)
            if ps is not None:
                sid = ps.get(w.val) or ""
                level, caption = self.styles.get(sid) or _style_level(sid)
                listed = self.style_kind(sid) in ("bullet", "number")
            outline = ppr.find(w.outline)
            if outline is not None and (outline.get(w.val) or "9").isdigit() and int(outline.get(w.val)) < 9:
                level = int(outline.get(w.val)) + 1
            listed = listed or ppr.find(w.numPr) is not None
        if kind == "text" and level is not None and text.strip():
            keep = [i for i, lv in enumerate(self.levels) if lv < level]
            above = tuple(self.path[i] for i in keep)
            self.add("heading", text, level, above)
            self.path = above + (" ".join(text.split()),)
            self.levels = tuple(self.levels[i] for i in keep) + (level,)
        elif caption or _CAPTION_TEXT.match(text):
            self.add("caption", text)
        else:
            self.add("list" if listed and kind == "text" else kind, text)
        for box in boxes:
            self.walk(box, "text box")

    def text(self, p) -> tuple[str, list]:
        """The text of a paragraph without its text boxes, and the text boxes."""
        w = self.w
        parts: list[str] = []
        boxes: list = []

        def visit(el) -> None:
            for child in el:
                tag = child.tag
                if tag == self.txbx:
                    boxes.append(child)
                elif tag == w.t:
                    parts.append(child.text or "")
                elif tag == w.tab:
                    if el.tag == w.r:
                        parts.append("\t")
                elif tag in (w.br, w.cr):
                    parts.append("\n" if child.get(w.type) not in ("page", "column") else " ")
                elif tag == w.nbh:
                    parts.append("-")
                elif tag not in (self.del_, self.instr, w.pPr):
                    visit(child)

        visit(p)
        return "".join(parts), boxes


# == reading the tables ========================================================================


@dataclass(frozen=True, eq=False)  # compared by identity: one object per column of a table
class _Code:
    label: str
    id: str
    family: str
    position: int
    patterns: tuple = ()


@dataclass
class _Table:
    family: str
    family_label: str
    wave: str | None
    totals: dict[str, int]  # code label -> number of pilots
    n_pilots: int
    source: str
    unit: str = ""
    codes: list[_Code] = field(default_factory=list)


TABLE_COLUMNS = ("family", "family_label", "wave", "code", "label", "total", "n_pilots", "source")


def read_tables(tables: Any, *, codebook=None) -> pd.DataFrame:
    """The code totals of the report tables, per family, wave and code.

    Parameters
    ----------
    tables : path or mapping
        What ``quickscan report`` wrote: its ``tables.xlsx`` (one sheet ``"<family> <wave>"``
        per table), its ``tables/`` folder of CSV files (``<family>-<wave>.csv``), the
        output folder holding either, or a mapping ``{family: DataFrame}`` (or
        ``{(family, wave): DataFrame}``) of tables in the form of
        :func:`~quickscan.matrices.code_matrix`. The header row and the ``Totaal`` row are
        found wherever they are; where there is a ``Totaal`` row it is the truth,
        otherwise the marks are counted.
    codebook : Codebook, optional
        Gives the families' labels and the code ids (default: the bundled codebook).

    Returns
    -------
    DataFrame
        One row per table and code: ``family`` (id), ``family_label``, ``wave`` (None when
        unknown), ``code`` (id, or the label when the codebook lacks it), ``label``,
        ``total``, ``n_pilots`` (rows of the table), ``source`` (file and sheet).

    Raises
    ------
    InputError
        The path holds no table quickscan writes (names the file and what was looked for).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"Wonen": ["X", "", 1]}, index=["1. A", "2. B", "Totaal"])
    >>> read_tables({"basisset": t})[["family", "label", "total", "n_pilots"]].values.tolist()
    [['basisset', 'Wonen', 1, 2]]
    """
    rows = []
    for t in _load_tables(tables, codebook):
        for code in t.codes:
            rows.append((t.family, t.family_label, t.wave, code.id, code.label, t.totals[code.label], t.n_pilots,
                         t.source))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _load_tables(tables: Any, codebook) -> list[_Table]:
    from .codebook import default_codebook

    codebook = codebook or default_codebook()
    if isinstance(tables, Mapping):
        found = []
        for key, frame in tables.items():
            family, wave = key if isinstance(key, tuple) else (str(key), None)
            grid = [[frame.index.name or "", *map(str, frame.columns)]]
            grid += [[str(label), *values] for label, values in zip(frame.index, frame.to_numpy().tolist())]
            table = _grid_table(grid, family, wave, f"tables[{key!r}]", codebook)
            if table is None:
                raise InputError(None, f"tables[{key!r}] is not a pilots x codes table")
            found.append(table)
        return found
    path = Path(tables)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        if (path / "tables.xlsx").is_file():
            return _load_tables(path / "tables.xlsx", codebook)
        folder = path / "tables" if (path / "tables").is_dir() and not list(path.glob("*.csv")) else path
        files = sorted(folder.glob("*.csv"))
        found = [t for f in files if (t := _csv_table(f, codebook)) is not None]
        if not found:
            raise InputError(path, "no quickscan tables here: expected tables.xlsx or CSV files "
                                   "<family>-<wave>.csv with a header row and a Totaal row")
        return found
    if path.suffix.lower() == ".csv":
        table = _csv_table(path, codebook)
        if table is None:
            raise InputError(path, "not a quickscan table: no header row with codes and no pilot rows")
        return [table]
    return _xlsx_tables(path, codebook)


def _split_name(name: str, sep: str) -> tuple[str, str | None]:
    head, found, tail = name.partition(sep)
    return (head, tail or None) if found else (name, None)


def _xlsx_tables(path: Path, codebook) -> list[_Table]:
    import warnings

    from openpyxl import load_workbook

    from ._package import open_package
    from ._xlsx import cell_text, check_workbook

    with open_package(path) as package:
        if not any(n.startswith("xl/") for n in package.namelist()):
            raise InputError(path, "not an Excel workbook, so not quickscan's tables.xlsx")
        check_workbook(package, path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises all kinds on odd files
        raise CorruptFileError(path, f"cannot read the workbook: {exc}") from exc
    found = []
    try:
        for ws in wb.worksheets:
            name = re.sub(r"~\d+$", "", ws.title)
            family, wave = _split_name(name, " ")
            if wave is None or " " in wave:
                continue  # codings, review, lists...: not a table of "<family> <wave>"
            grid = []
            for row in ws.iter_rows(max_col=MAX_TABLE_COLUMNS, values_only=True):
                grid.append([cell_text(v) for v in row])
                if len(grid) > MAX_TABLE_ROWS or (grid[-1] and grid[-1][0].strip().lower() in TOTAL_ROWS):
                    break
            table = _grid_table(grid, family, wave, f"{path}, sheet {ws.title!r}", codebook)
            if table is not None:
                found.append(table)
    except Exception as exc:  # noqa: BLE001 - in read-only mode the sheets are parsed only now
        raise CorruptFileError(path, f"cannot read the workbook: {exc}") from exc
    finally:
        wb.close()
    if not found:
        raise InputError(path, f"not quickscan's tables: no sheet '<family> <wave>' with a header row of codes "
                               f"and pilot rows (sheets: {wb.sheetnames[:8]})")
    return found


def _csv_table(path: Path, codebook) -> _Table | None:
    import csv

    from ._io import csv_value

    family, wave = _split_name(path.stem, "-")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            grid = []
            for row in csv.reader(fh):
                grid.append([csv_value(cell) for cell in row[:MAX_TABLE_COLUMNS]])  # undo the ' of write_csv_tables
                if len(grid) > MAX_TABLE_ROWS:
                    break
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"cannot read this CSV file: {exc}") from exc
    return _grid_table(grid, family, wave, str(path), codebook)


_MARK = re.compile(r"^\s*[xX✓✔•*]?\s*(?:[*†‡¹²³]+)?\s*$")


def _is_mark(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != "" and bool(_MARK.match(value))


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return int(value) if float(value).is_integer() else None
    m = re.fullmatch(r"\s*(\d+)(?:\.0+)?\s*", str(value))
    return int(m.group(1)) if m else None


def _grid_table(grid: list[list[Any]], family: str, wave: str | None, source: str, codebook) -> _Table | None:
    """The table in a grid of cells: a header row of code labels, pilot rows, maybe ``Totaal``.

    The header is the last row, among the first rows, with text in two or more cells after
    the first that is neither a mark nor a number, above a row of marks or a ``Totaal`` row.
    """
    grid = [[("" if v is None else v) for v in row] for row in grid]
    grid = [[v if not isinstance(v, str) else v.strip() for v in row] for row in grid]
    header_at = None
    for i, row in enumerate(grid[:30]):
        texts = [v for v in row[1:] if isinstance(v, str) and v and not _is_mark(v) and _int(v) is None]
        if len(texts) >= 1 and len(texts) >= 0.5 * len([v for v in row[1:] if v != ""]):
            header_at = i
        elif header_at is not None and (any(_is_mark(v) for v in row[1:]) or _first(row).lower() in TOTAL_ROWS):
            break
    if header_at is None:
        return None
    header = grid[header_at]
    columns = [(j, str(v)) for j, v in enumerate(header) if j > 0 and isinstance(v, str) and v]
    pilots, total = [], None
    for row in grid[header_at + 1:]:
        first = _first(row)
        if first.lower() in TOTAL_ROWS:
            total = row
            break
        if first:
            pilots.append(row)
    if not columns or (not pilots and total is None):
        return None
    cells = [r[j] for r in pilots for j, _ in columns if j < len(r) and r[j] != ""]
    if sum(_is_mark(v) or _int(v) is not None for v in cells) < 0.9 * len(cells):
        return None  # a table of codes holds marks (or counts), not text
    if total is not None and any(j < len(total) and total[j] != "" and _int(total[j]) is None for j, _ in columns):
        return None
    if total is None and not any(_is_mark(v) for v in cells):
        return None
    totals = {}
    for j, label in columns:
        value = _int(total[j]) if total is not None and j < len(total) else None
        if value is None:
            value = sum(1 for r in pilots if j < len(r) and (_is_mark(r[j]) or (_int(r[j]) or 0) > 0))
        totals[label] = value
    fam = _codebook_family(codebook, family)
    table = _Table(family=fam.id if fam else family, family_label=fam.label if fam else family, wave=wave,
                   totals=totals, n_pilots=len(pilots), source=source, unit=_first(header))
    by_label = {_fold(c.label): c for c in (fam.codes if fam else ())}
    for k, (_, label) in enumerate(columns):
        code = by_label.get(_fold(label))
        table.codes.append(_Code(label, code.id if code else label, table.family, k + 1,
                                 code.patterns if code else ()))
    return table


def _first(row: Sequence[Any]) -> str:
    return str(row[0]).strip() if row and row[0] is not None else ""


def _codebook_family(codebook, key: str):
    """The codebook family of a table name: its id, a truncated id (long sheet names) or its label."""
    fams = codebook.families
    for f in fams:
        if f.id == key:
            return f
    starts = [f for f in fams if f.id.startswith(key) and len(key) >= 8]
    if len(starts) == 1:
        return starts[0]
    for f in fams:
        if _fold(f.label) == _fold(key):
            return f
    return None


# == words =====================================================================================


@lru_cache(maxsize=200_000)
def _fold(text: str) -> str:
    """Lower case, accents dropped, letters and digits separated by single spaces."""
    text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _number_words() -> dict[str, int]:
    from .matrices import spell_number

    words: dict[str, int] = {}
    for n in range(0, 101):
        s = spell_number(n)
        words[s] = n
        words[s.replace("ë", "e")] = n
    words.update({"één": 1, "eén": 1, "ééne": 1, "honderd": 100})
    words.pop("een", None)  # the article: a number only in a few constructions
    return words


_NUMBERS = _number_words()
_ORDINALS = {"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "vijfde": 5, "zesde": 6, "zevende": 7,
             "achtste": 8, "negende": 9, "tiende": 10, "elfde": 11, "twaalfde": 12}
_TOKEN = re.compile(r"[^\W\d_]+\d+|\d+(?:[.,]\d+)?|[^\W\d_]+(?:['’\-][^\W\d_]+)*|\S", re.UNICODE)

_SUBSET_WORDS = {"daarvan", "hiervan", "waarvan", "ervan", "daaronder", "hieronder", "waaronder", "daarbinnen",
                 "hierbinnen"}
_SUBSET_PAIRS = {("van", "hen"), ("onder", "hen"), ("van", "deze"), ("van", "die"), ("van", "wie"),
                 ("binnen", "deze"), ("van", "hun"), ("van", "die"), ("onder", "deze")}
_OTHER_WORDS = {"andere", "overige", "resterende", "genoemde", "laatstgenoemde", "eerdergenoemde",
                "bovengenoemde", "voornoemde", "betreffende", "desbetreffende", "zelfde", "dezelfde"}
_GROUP_WORDS = {"de", "deze", "die", "het", "onze", "hun", "beide", "bewuste", "dezelfde"}
_QUALIFIERS = {"expliciet", "specifiek", "concreet", "vooral", "voornamelijk", "alleen", "uitsluitend",
               "zowel", "enkel", "hoofdzakelijk", "overwegend", "deels", "gedeeltelijk", "soms",
               # the code as the main point of some: a subset of those that mention it
               "hoofddoel", "hoofdzaak", "belangrijkste", "voornaamste", "speerpunt", "zwaartepunt", "kern",
               "primair", "centraal", "nadrukkelijk", "sterkst", "hoofdthema", "focus",
               # the code by a particular means: a subset
               "via", "middels"}
_QUALIFIER_PAIRS = {("met", "name"), ("in", "het"), ("onder", "meer"), ("onder", "andere"), ("door", "middel"),
                    ("in", "de", "vorm"), ("met", "behulp"), ("in", "combinatie")}
_NEGATIONS = {"niet", "nooit", "nauwelijks", "amper", "geen", "niets"}
_CHANGE = {"erbij", "nieuw", "toegenomen", "gestegen", "gedaald", "afgenomen", "gegroeid", "gekrompen",
           "verdwenen", "bijgekomen", "gestopt", "inmiddels", "sindsdien", "meer", "minder", "opnieuw"}
_IDENTIFIERS = {"tabel", "figuur", "grafiek", "bijlage", "hoofdstuk", "paragraaf", "vraag", "nr", "nummer",
                "pagina", "blz", "p", "versie", "fase", "niveau", "stap", "t", "bladzijde", "punt", "onderdeel",
                "thema", "code", "rij", "kolom", "regel", "lid", "artikel", "week", "dag", "jaar", "maand",
                "sinds", "per", "uitgangspunt", "randvoorwaarde", "les", "factor"}
_VERBS = {
    "is", "zijn", "was", "waren", "wordt", "worden", "werd", "werden", "heeft", "hebben", "had", "hadden",
    "noemt", "noemen", "noemde", "noemden", "geeft", "geven", "gaf", "gaven", "werkt", "werken", "werkte",
    "werkten", "draagt", "dragen", "droeg", "droegen", "ziet", "zien", "richt", "richten", "zet", "zetten",
    "besteedt", "besteden", "gaat", "gaan", "kan", "kunnen", "wil", "willen", "blijkt", "blijken", "komt",
    "komen", "staat", "staan", "speelt", "spelen", "legt", "leggen", "zegt", "zeggen", "doet", "doen", "er",
    "die", "dat", "waar", "waarin", "waarbij", "met", "in", "bij", "aan", "op", "voor", "zich", "hier",
}
_GENERIC = {
    # what a sentence about a whole code says beside the code: contribute, mention, work on
    "noemen", "noemt", "noemde", "noemden", "genoemd", "benoemen", "benoemd", "geven", "geeft", "gaven", "aan",
    "aangegeven", "dragen", "draagt", "droegen", "bij", "bijdragen", "bijgedragen", "bijdrage", "richten",
    "richt", "gericht", "zich", "werken", "werkt", "werkten", "gewerkt", "besteden", "besteedt", "aandacht",
    "zetten", "zet", "ingezet", "inzetten", "inzet", "herkenbaar", "herkennen", "herkend", "terug", "zien",
    "ziet", "zichtbaar", "komt", "komen", "voren", "spelen", "speelt", "rol", "hebben", "heeft", "had", "hadden",
    "zijn", "is", "was", "waren", "wordt", "worden", "thema", "onderdeel", "onderdelen", "code", "aspect",
    "gebied", "terrein", "vlak", "punt", "hieraan", "daaraan", "hierop", "daarop", "hierin", "daarin", "hiervoor",
    "daarvoor", "hiermee", "daarmee", "dit", "dat", "deze", "die", "het", "de", "een", "en", "of", "ook", "in",
    "op", "van", "voor", "met", "door", "naar", "over", "om", "te", "tot", "er", "al", "nog", "wel", "nu",
    "zo", "als", "dan", "toe", "mee", "uit", "binnen", "totaal", "wat", "betreft", "gaat", "gaan", "ten",
    "aanzien", "ervan", "hun", "hebben", "pilotleiders", "respondenten", "geinterviewden", "bevraagde",
    "deelnemende", "onderzochte", "betrokken", "allemaal", "elk", "ieder", "iedere", "elke", "kan", "kunnen",
    "worden", "verschillende", "manieren", "wijze", "mate", "vorm", "vormen", "belangrijk", "belangrijke",
    "staat", "staan", "vanuit", "expliciete", "duidelijk", "duidelijke", "sprake", "blijkt",
    "blijken", "waarvan", "waarbij", "waarin", "waar", "zoals", "oftewel", "namelijk", "tabel", "figuur",
    "gezien", "zie", "geldt", "gelden", "volgens", "quickscan", "quick", "scan", "interviews", "gesprekken",
    "hier", "daar", "eraan", "erop", "erin", "ermee", "hierbij", "daarbij", "bijdragen", "leveren", "levert",
    "geleverd", "bieden", "biedt", "aanbod", "gericht", "actief", "bezig", "bezighouden", "houden", "sterk",
    "duidelijk", "zeker", "vaak", "veel", "noemde", "opgenomen", "genoemde", "vermeld", "vermelden", "melden",
}
_STOP = {"de", "het", "een", "en", "of", "van", "in", "op", "aan", "bij", "voor", "met", "door", "naar", "over",
         "om", "te", "tot", "als", "dan", "die", "dat", "zijn", "is", "wordt", "worden", "er", "ook"}
_LABEL_PREV = {"aan", "op", "voor", "bij", "met", "over", "het", "de", "rond", "rondom", "om", "en", "of", "tot",
               "thema", "onderdeel", "code", "gebied", "terrein", "domein", "punt", "vlak", "ook", "zowel", "als",
               "naar", "in", "qua", "inzake", "betreft", "noemen", "noemt", "genoemd", "aspect", "vanuit",
               "gericht", "richten", "richt", "werken", "werkt", "bijdragen", "dragen", "draagt", "uitgangspunt",
               "aandacht", "inzetten", "zetten", "zet", "waarvan", "dat", "die", "wat", "namelijk", "oftewel",
               "met", "niet", "wordt", "heeft", "gaat", "staat", "komt", "zet", "ziet", "noemt", "werkt", "geeft",
               "legt", "biedt", "richt", "draagt", "zegt", "doet", "krijgt", "vindt", "blijft", "wilt", "mist",
               "dit", "het", "tot", "uit", "ook", "weet", "levert", "vat", "eigenlijk", "vooral", "echt"}
# "meer dan in T0", "sinds T0", "ten opzichte van T0": the wave compared with, not the claim's
_COMPARED = {"dan", "sinds", "vanaf", "opzichte", "vergeleken", "tegenover", "t.o.v", "tov", "voorheen", "vorige"}
_ROLE_WORDS = {"doel", "doelstelling", "doelen", "uitgangspunt", "aandachtspunt", "thema", "onderwerp", "punt",
               "onderdeel", "code", "belangrijk", "belangrijke", "basis", "vertrekpunt", "kenmerk", "bijdrage",
               "element", "opgave", "ambitie", "resultaat", "waarde", "principe", "werkwijze"}
_MAX_GAP = 3  # as quickscan.codebook.MAX_GAP: "..." in a pattern skips up to three tokens
_MODIFIER_ENDS = ("d", "t", "ig", "lijk", "baar", "isch", "ief")
_WEAK_LABEL_WORDS = {"voorziening", "voorzieningen", "aanpak", "benadering", "ontwikkeling", "begeleiding",
                     "behandeling", "ondersteuning", "systeem", "ruimte", "mogelijkheden", "beslissingen",
                     "afwegingen", "vanzelfsprekend", "samenwerking", "professionele", "persoonlijke",
                     "ambulante", "integrale", "lokaal", "regionaal", "kwaliteit", "middelen", "overig",
                     "onbekend", "anders", "andere", "overige", "gemeente", "gemeentelijk", "beleid"}
_TOTAL_CUES = {"geinterviewd", "bevraagd", "gesproken", "deelgenomen", "meegedaan", "meedoen", "deelnemen",
               "onderzocht", "geïnterviewd"}
_TOTAL_PAIRS = {("nemen", "deel"), ("namen", "deel"), ("doen", "mee"), ("deden", "mee"), ("neemt", "deel"),
                ("doet", "mee")}
_BOUNDARY = {",", ";", ":", "(", ")", "–", "—", "maar", "terwijl", "omdat", "doordat", "hoewel", "zodat", "want"}


@dataclass
class _Tok:
    text: str
    low: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


_QUOTE = re.compile(r"“[^”]*”|„[^”“]*[”“]|\"[^\"]*\"|«[^»]*»|(?<!\w)‘[^’]*’(?!\w)|(?<!\w)'[^']{2,}'(?!\w)")
_ABBREVIATIONS = {
    "bijv", "bv", "o.a", "e.d", "d.w.z", "m.b.t", "t.o.v", "i.v.m", "n.a.v", "zgn", "nr", "ca", "etc", "incl",
    "excl", "resp", "vs", "dhr", "mevr", "mw", "drs", "dr", "prof", "ir", "ing", "jl", "blz", "p", "pag", "fig",
    "enz", "e.a", "a.s", "m.n", "i.p.v", "t.b.v", "o.b.v", "v.w.b", "c.q", "evt", "max", "min", "gem", "o.m",
    "e.e.a", "z.s.m", "t.a.v", "m.u.v", "vnl", "ong", "jr", "st", "tab", "par", "hfst",
}
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’'»)\]]*\s+(?=[\"“‘'«(\[]?[A-ZÀ-ÖØ-Þ0-9])|\n+")


def _sentences(text: str) -> list[str]:
    """Sentences of a paragraph: ends at ``.!?`` before a capital or digit, and at line breaks;
    not after an abbreviation (``bijv.``, ``o.a.``) or an initial."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.group().strip() and m.group()[0] == ".":
            before = text[start:m.start()].rsplit(None, 1)
            word = before[-1].lstrip("([\"'“‘").lower() if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        piece = text[start:m.end()].strip()
        if piece:
            out.append(piece)
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


# == claims ====================================================================================


@dataclass
class _Claim:
    start: int  # token index of the first token of the claim
    end: int  # token index after the claim
    kind: str
    value: int | None = None  # the number written (or k of "op k na")
    denominator: int | None = None
    unit: bool = True  # the unit noun was written
    note: str = ""  # why it cannot be a claim about a whole code (subset, group, example)


_NEARLY_ALL = {("nagenoeg", "alle"), ("bijna", "alle"), ("vrijwel", "alle"), ("praktisch", "alle"),
               ("haast", "alle"), ("zo", "goed", "als", "alle"), ("vrijwel", "al"), ("nagenoeg", "al")}
_MAJORITY = {("het", "merendeel"), ("de", "meerderheid"), ("de", "meeste"), ("het", "grootste", "deel"),
             ("de", "overgrote", "meerderheid"), ("het", "overgrote", "deel"), ("een", "meerderheid"),
             ("meer", "dan", "de", "helft"), ("ruim", "de", "helft"), ("iets", "meer", "dan", "de", "helft"),
             ("ruim", "meer", "dan", "de", "helft")}
_MINORITY = {("minder", "dan", "de", "helft"), ("een", "minderheid"), ("de", "minderheid"),
             ("nog", "geen", "de", "helft"), ("iets", "minder", "dan", "de", "helft")}
_HALF = {("de", "helft"), ("precies", "de", "helft"), ("exact", "de", "helft")}
_ABOUT_HALF = {("ongeveer", "de", "helft"), ("circa", "de", "helft"), ("zo'n", "de", "helft"),
               ("bijna", "de", "helft"), ("rond", "de", "helft"), ("ruwweg", "de", "helft")}
_SOME = {("enkele",), ("een", "paar"), ("een", "aantal"), ("sommige",), ("meerdere",), ("verschillende",),
         ("diverse",), ("een", "handvol"), ("weinig",), ("een", "enkele")}
_FRACTIONS = {"half": 2, "derde": 3, "kwart": 4, "vierde": 4, "vijfde": 5, "zesde": 6, "tiende": 10}
_FRACTION_WORDS = {"tweederde": 200 / 3, "driekwart": 75.0, "eenderde": 100 / 3, "eenvijfde": 20.0,
                   "eenkwart": 25.0}
_SHARE_KINDS = {"exact": "share", "about": "share", "nearly": "share", "more_than": "more_than_share",
                "at_least": "more_than_share", "less_than": "less_than_share", "at_most": "less_than_share"}
_COMPARATIVES = (
    (("iets", "meer", "dan"), "more_than"), (("meer", "dan"), "more_than"), (("ruim",), "more_than"),
    (("minder", "dan"), "less_than"), (("nog", "geen"), "less_than"), (("ten", "minste"), "at_least"),
    (("minstens",), "at_least"), (("minimaal",), "at_least"), (("tenminste",), "at_least"),
    (("maximaal",), "at_most"), (("hooguit",), "at_most"), (("ten", "hoogste"), "at_most"),
    (("hoogstens",), "at_most"), (("ongeveer",), "about"), (("circa",), "about"), (("ca",), "about"),
    (("zo'n",), "about"), (("rond", "de"), "about"), (("pakweg",), "about"), (("ruwweg",), "about"),
    (("bijna",), "nearly"), (("nagenoeg",), "nearly"), (("slechts",), "exact"), (("maar",), "exact"),
    (("pas",), "exact"), (("precies",), "exact"), (("exact",), "exact"), (("in", "totaal"), "exact"),
    (("totaal",), "exact"), (("zeker",), "at_least"),
)


_TRIGGERS = frozenset(
    {p[0] for group in (_NEARLY_ALL, _MAJORITY, _MINORITY, _HALF, _ABOUT_HALF, _SOME) for p in group}
    | {p[0] for p, _ in _COMPARATIVES} | set(_FRACTION_WORDS) | {"op", "niet", "alle", "geen", "een"})


class _Scanner:
    """Finds the count claims in the tokens of one sentence (quotations masked out)."""

    def __init__(self, toks: list[_Tok], units: tuple[frozenset[str], frozenset[str]]) -> None:
        self.toks, (self.singular, self.plural) = toks, units
        self.low = [t.low for t in toks]

    def word(self, i: int) -> str:
        return self.low[i] if 0 <= i < len(self.low) else ""

    def seq(self, i: int, words: tuple[str, ...]) -> bool:
        return tuple(self.low[i:i + len(words)]) == words

    def number(self, i: int, *, article: bool = False) -> int | None:
        w = self.word(i)
        if w.isdigit() and len(w) <= 4:
            return int(w)
        if w in _NUMBERS:
            return _NUMBERS[w]
        if article and w == "een":
            return 1
        return None

    def unit_after(self, i: int, *, plural: bool = True, singular: bool = False) -> tuple[int, list[str]] | None:
        """Index after the unit noun at ``i`` (after at most two adjectives), and the adjectives."""
        adjectives: list[str] = []
        for j in range(i, min(i + 3, len(self.low))):
            w = self.low[j]
            if (plural and w in self.plural) or (singular and w in self.singular):
                return j + 1, adjectives
            if not (w.isalpha() and w.islower() is not False and (w.endswith(("e", "en")) or w in _OTHER_WORDS)) \
                    or w in _STOP or w in self.singular or w in self.plural or self.number(j) is not None:
                return None
            adjectives.append(w)
        return None

    def implied_unit(self, i: int) -> bool:
        """After ``X van de Y``: no noun follows (a verb, punctuation or the end)."""
        w = self.word(i)
        return not w or not w[0].isalnum() or w in _VERBS

    def share(self, i: int) -> tuple[float, int] | None:
        """``twee derde``, ``een kwart``, ``driekwart`` at ``i``: (percentage, index after it)."""
        w = self.word(i)
        if w in _FRACTION_WORDS:
            return _FRACTION_WORDS[w], i + 1
        a = self.number(i, article=True)
        b = _FRACTIONS.get(self.word(i + 1))
        if a is not None and b and a < b and not (b == 2 and a == 1 and w != "een"):
            return 100 * a / b, i + 2
        return None

    def scan(self) -> list[_Claim]:
        out: list[_Claim] = []
        i = 0
        while i < len(self.low):
            claim = self.at(i)
            if claim is None:
                i += 1
                continue
            out.append(claim)
            i = claim.end
        return out

    def match(self, i: int, phrases) -> int:
        """Length of the longest phrase of ``phrases`` at ``i`` (0 if none)."""
        best = 0
        for p in phrases:
            if len(p) > best and self.seq(i, p):
                best = len(p)
        return best

    def of_the(self, i: int) -> tuple[int, int | None] | None:
        """``van de [Y]`` / ``van alle [Y]`` at ``i``: (index after it, Y)."""
        if self.word(i) == "van" and self.word(i + 1) in ("de", "alle", "het"):
            y = self.number(i + 2)
            return (i + 3, y) if y is not None else (i + 2, None)
        return None

    def group_before(self, i: int) -> int | None:
        """Y of the nearest ``van de Y <unit>`` before ``i`` in the sentence, if any."""
        for k in range(i - 1, -1, -1):
            of = self.of_the(k)
            if of is not None and of[1] is not None and self.unit_after(of[0]) is not None:
                return of[1]
        return None

    def tail(self, i: int, claim: _Claim, *, need_unit: bool = True) -> _Claim | None:
        """The unit noun after a quantifier: ``[van de [Y]] [adjectives] unit``."""
        of = self.of_the(i)
        if of is not None:
            i, claim.denominator = of
        elif self.number(i) is not None and claim.kind in ("all", "nearly_all", "none"):
            claim.denominator = self.number(i)
            i += 1
        unit = self.unit_after(i)
        if unit is None and claim.kind == "none":
            unit = self.unit_after(i, plural=False, singular=True)
        if unit is not None:
            claim.end = unit[0]
            if set(unit[1]) & _OTHER_WORDS:
                claim.note = f"'{' '.join(unit[1])}': a subset named before"
            return claim
        if not need_unit or (claim.denominator is not None and self.implied_unit(i)):
            claim.end, claim.unit = i, False
            return claim
        return None

    def at(self, i: int) -> _Claim | None:  # noqa: C901 - one branch per construction
        w = self.word(i)
        if w not in _TRIGGERS and not w.isdigit() and w not in _NUMBERS:
            return None  # no claim starts with this word (most words of a text)
        if i > 0 and self.word(i - 1) in _IDENTIFIERS and self.number(i) is not None:
            return None
        # op twee na alle / alle ... op twee na
        if w == "op" and self.number(i + 1, article=True) is not None and self.word(i + 2) == "na" \
                and self.word(i + 3) == "alle":
            return self.tail(i + 4, _Claim(i, i + 4, "all_but", self.number(i + 1, article=True)))
        if (n := self.match(i, _NEARLY_ALL)):
            return self.tail(i + n, _Claim(i, i + n, "nearly_all"))
        if self.seq(i, ("niet", "alle")):
            return self.tail(i + 2, _Claim(i, i + 2, "not_all"))
        if w == "alle":
            claim = self.tail(i + 1, _Claim(i, i + 1, "all"))
            if claim is not None:
                for j in range(claim.end, min(claim.end + 8, len(self.low))):
                    if self.word(j) == "op" and self.word(j + 2) == "na" and \
                            self.number(j + 1, article=True) is not None:
                        claim.kind, claim.value, claim.end = "all_but", self.number(j + 1, article=True), j + 3
                        break
                k = claim.end + (self.word(claim.end) == ",")
                for phrase in (("behalve",), ("op", "uitzondering", "van"), ("met", "uitzondering", "van"),
                               ("uitgezonderd",)):
                    if self.seq(k, phrase) and self.number(k + len(phrase), article=True) is not None:
                        m = k + len(phrase)
                        claim.kind, claim.value = "all_but", self.number(m, article=True)
                        claim.end = m + 1 + (self.word(m + 1) in self.singular or self.word(m + 1) in self.plural)
                        break
            return claim
        if w == "geen":
            if self.seq(i, ("geen", "van")):
                return self.tail(i + 1, _Claim(i, i + 1, "none", 0))
            j = i + 1 + (self.word(i + 1) in ("enkel", "enkele"))
            unit = self.unit_after(j, singular=True)
            if unit is not None and not unit[1]:
                return _Claim(i, unit[0], "none", 0)
            return None
        for phrases, kind in ((_MAJORITY, "majority"), (_MINORITY, "minority"), (_ABOUT_HALF, "about_half"),
                              (_HALF, "half"), (_SOME, "some")):
            if (n := self.match(i, phrases)):
                return self.tail(i + n, _Claim(i, i + n, kind))
        # comparatives and emphasis before a number: meer dan tien, slechts één
        kind, j = "exact", i
        for phrase, k in _COMPARATIVES:
            if self.seq(i, phrase) and self.number(i + len(phrase), article=True) is not None:
                kind, j = k, i + len(phrase)
                break
        share = self.share(j)
        if share is not None:
            p, after = share
            claim = self.tail(after, _Claim(i, after, _SHARE_KINDS.get(kind, "share"), round(p)))
            if claim is not None and claim.denominator is None and not claim.unit:
                return None
            return claim
        article = j > i and kind == "exact"
        value = self.number(j, article=article)
        if value is None and w == "een" and self.word(i + 1) in ("enkel", "enkele"):
            unit = self.unit_after(i + 2, plural=False, singular=True)
            return _Claim(i, unit[0], "exact", 1) if unit is not None else None
        if value is None:
            return None
        if j == i and w == "een":
            return None
        nxt = self.word(j + 1)
        if nxt in ("%", "procent"):
            claim = self.tail(j + 2, _Claim(i, j + 2, "percent", value))
            return claim
        if nxt == "van" and self.word(j + 2) in ("deze", "die", "hen", "hun", "wie"):
            unit = self.unit_after(j + 3)
            end = unit[0] if unit is not None else j + 3
            return _Claim(i, end, kind, value, unit=unit is not None,
                          note=f"'van {self.word(j + 2)}' refers to a group named before")
        if nxt in ("van", "uit") and self.word(j + 2) in ("de", "alle", "onze"):
            y = self.number(j + 3)
            claim = _Claim(i, j + 1, kind, value)
            after = j + 4 if y is not None else j + 3
            claim.denominator = y
            unit = self.unit_after(after)
            if unit is not None:
                claim.end = unit[0]
                if set(unit[1]) & _OTHER_WORDS:
                    claim.note = f"'{' '.join(unit[1])}': a subset named before"
            elif y is not None and self.implied_unit(after):
                claim.end, claim.unit = after, False
            else:
                return None
            if value == 1 and y is None and kind == "exact":
                claim.kind, claim.note = "example", "'één van de ...' introduces an example, not a count"
            return claim
        unit = self.unit_after(j + 1, singular=value == 1)
        if unit is None:  # "Van de 15 projecten noemen er 12 wonen": the unit is the group's
            y = self.group_before(i) if self.word(i - 1) == "er" else None
            return _Claim(i, j + 1, kind, value, denominator=y, unit=False) if y is not None else None
        claim = _Claim(i, unit[0], kind, value)
        if set(unit[1]) & _OTHER_WORDS:
            claim.note = f"'{' '.join(unit[1])}': a subset named before"
        before = self.word(i - 1)
        if before in _OTHER_WORDS:
            claim.note = f"'{before} ...': a subset named before"
        elif before == "van" or (before in ("de", "alle", "deze", "die") and self.word(i - 2) == "van"):
            claim.kind, claim.note = "group", "the group that a count is taken from ('van de ...')"
        elif before in _GROUP_WORDS and kind == "exact":
            claim.kind, claim.note = "group", f"'{before} {self.toks[i].text} ...' names a group, not a count"
        return claim


def _means(claim: _Claim, n: int | None) -> str:
    v, k = claim.value, claim.kind
    exact = _exact_value(claim, n)
    if exact is not None:
        return f"= {exact}"
    return {
        "nearly_all": "all but a few", "not_all": "fewer than all", "majority": "more than half",
        "minority": "less than half", "half": "half", "about_half": "about half", "some": "a few",
        "more_than": f"> {v}", "less_than": f"< {v}", "at_least": f">= {v}", "at_most": f"<= {v}",
        "about": f"about {v}", "nearly": f"nearly {v}", "percent": f"{v}%", "group": "", "example": "",
        "share": f"about {v}%", "more_than_share": f"more than {v}%", "less_than_share": f"less than {v}%",
        "all": "all", "all_but": f"all but {v}",
    }.get(k, "")


def _exact_value(claim: _Claim, n: int | None) -> int | None:
    if claim.kind == "exact" or claim.kind == "none":
        return claim.value
    if claim.kind == "all":
        return claim.denominator if claim.denominator is not None else n
    if claim.kind == "all_but" and n is not None:
        return n - (claim.value or 0)
    return None


def _judge(claim: _Claim, t: int, n: int) -> tuple[str, str]:
    """(verdict, why) of a claim against the table value ``t`` of ``n`` pilots."""
    v, k = claim.value, claim.kind
    exact = _exact_value(claim, n)
    if exact is not None:
        return ("agrees", "") if exact == t else ("differs", f"the table says {t}")
    half = n / 2

    def rule(agree: bool, differ: bool, what: str) -> tuple[str, str]:
        if agree:
            return "agrees", ""
        if differ:
            return "differs", f"the table says {t} of {n}"
        return "unchecked", f"a vague quantifier ({what}) that the table ({t} of {n}) cannot settle"

    if k == "nearly_all":
        return rule(max(1, math.floor(0.75 * n)) <= t <= n - 1, t < 0.6 * n, "all but a few")
    if k == "not_all":
        return rule(t < n, t == n, "not all")
    if k == "majority":
        return rule(t > half, t <= half, "more than half")
    if k == "minority":
        return rule(t < half, t >= half, "less than half")
    if k == "half":
        return rule(abs(t - half) <= 0.5, abs(t - half) > max(1.5, 0.15 * n), "half")
    if k == "about_half":
        return rule(abs(t - half) <= max(1, 0.1 * n), abs(t - half) > max(2, 0.25 * n), "about half")
    if k == "some":
        return rule(1 <= t <= half, t == 0, "a few")
    assert v is not None
    if k == "more_than":
        return rule(t > v, t <= v, f"more than {v}")
    if k == "less_than":
        return rule(t < v, t >= v, f"less than {v}")
    if k == "at_least":
        return rule(t >= v, t < v, f"at least {v}")
    if k == "at_most":
        return rule(t <= v, t > v, f"at most {v}")
    if k == "about":
        return rule(abs(t - v) <= max(1, round(0.1 * v)), abs(t - v) > max(2, 0.25 * v), f"about {v}")
    if k == "nearly":
        return rule(v - max(2, 0.2 * v) <= t < v, t > v or t < v - max(3, 0.3 * v), f"nearly {v}")
    if k in ("share", "more_than_share", "less_than_share"):
        share, p = 100 * t / n if n else 0, v
        step = 100 / max(n, 1)
        if k == "more_than_share":
            return rule(share > p, share <= p - step, f"more than {p}%")
        if k == "less_than_share":
            return rule(share < p, share >= p + step, f"less than {p}%")
        return rule(abs(share - p) <= step / 2 + 1, abs(p * n / 100 - t) >= max(1.5, 0.1 * n), f"about {p}%")
    if k == "percent":
        share = 100 * t / n if n else 0
        return rule(abs(share - v) < 0.5 + 50 / max(n, 1), abs(v * n / 100 - t) >= 1 - 1e-9, f"{v}%")
    return "unchecked", "not a count"


# == matching claims to codes ==================================================================


@dataclass(frozen=True)
class _Key:
    words: tuple[str, ...]
    code: _Code
    part: bool  # a distinctive part of the label, not the label


def _label_keys(codes: Sequence[_Code]) -> list[_Key]:
    """Per code: its label (without a parenthesis), the text in the parenthesis, and its
    distinctive long words (a word of eight letters or more that no other label has)."""
    keys: list[_Key] = []
    words_of: dict[str, set[str]] = {}
    for code in codes:
        label = code.label
        inner = re.findall(r"\(([^)]*)\)", label)
        outer = re.sub(r"\([^)]*\)", " ", label)
        for text in (outer, *inner):
            folded = tuple(_fold(text).split())
            acronym = len(folded) == 1 and len(folded[0]) >= 2 and text.strip().isupper()  # "IPS", "LVB"
            if folded and (len(" ".join(folded)) >= 5 or acronym) and not set(folded) <= _STOP | _GENERIC:
                keys.append(_Key(folded, code, False))
        for word in _fold(label).split():
            words_of.setdefault(word, set()).add(code.label)
    for code in codes:  # the start of a long label: "Eigen verantwoordelijkheid", "Lokaal wat lokaal kan"
        words = re.sub(r"\([^)]*\)", " ", code.label)
        head = re.split(r",|;|:| en ", words, maxsplit=1)[0]
        folded = tuple(_fold(head).split())
        if len(_fold(words).split()) >= 4 and len(folded) >= 2 and len(" ".join(folded)) >= 12:
            keys.append(_Key(folded, code, True))
    for code in codes:
        seen = set()
        for word in _fold(code.label).split():
            if len(word) >= 8 and word not in _WEAK_LABEL_WORDS and len(words_of[word]) == 1 and word not in seen \
                    and len(_fold(code.label).split()) > 1:
                seen.add(word)
                keys.append(_Key((word,), code, True))
    return keys


def _same_word(word: str, key: str) -> bool:
    if word == key:
        return True
    if len(key) < 6 or len(word) < 5:
        return False
    common = len(_common_prefix(word, key))
    return common >= max(5, len(key) - 4) and abs(len(word) - len(key)) <= 4


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


def _key_index(keys: Iterable[_Key]) -> dict[str, list[_Key]]:
    """Keys by the first five letters of their first word (a word the same as a key's word,
    or sharing a long prefix with it, starts with the same five letters)."""
    index: dict[str, list[_Key]] = {}
    for key in keys:
        index.setdefault(key.words[0][:5], []).append(key)
    return index


def _find_keys(words: Sequence[str], index: dict[str, list[_Key]]) -> list[tuple[_Key, int, int]]:
    """Occurrences (key, start, end) of label keys in folded words; a one-word key only where
    it is not a modifier's head (``beschermd wonen`` is not ``Wonen``); contained matches dropped."""
    found = []
    for s, word in enumerate(words):
        for key in index.get(word[:5], ()):
            first = key.words[0]
            if not _same_word(word, first):
                continue
            i, j, ok = s + 1, 1, True
            while j < len(key.words):
                if i < len(words) and _same_word(words[i], key.words[j]):
                    i, j = i + 1, j + 1
                elif i + 1 < len(words) and _same_word(words[i + 1], key.words[j]) and j > 0:
                    i, j = i + 2, j + 1  # one extra word inside the label ("activering en betaald werk")
                else:
                    ok = False
                    break
            if not ok:
                continue
            if len(key.words) == 1 and not key.part and len(first) < 10:
                prev = words[s - 1] if s > 0 else ""
                if prev.endswith(_MODIFIER_ENDS) and prev not in _LABEL_PREV and prev not in _VERBS:
                    continue  # beschermd wonen, zelfstandig wonen: another notion than the code
            found.append((key, s, i))
    found.sort(key=lambda f: -(f[2] - f[1]))
    kept: list[tuple[_Key, int, int]] = []
    for f in found:
        if not any(k[1] <= f[1] and f[2] <= k[2] and k[0].code != f[0].code for k in kept):
            kept.append(f)
    return kept


def _ordinal_codes(words: Sequence[str], tables_codes: dict[str, list[_Code]],
                   stems: dict[str, str]) -> list[tuple[_Code, str]]:
    """``uitgangspunt 2`` / ``het tweede uitgangspunt``: the code at that place in its family."""
    out = []
    for i, word in enumerate(words):
        for family, stem in stems.items():
            if not (word.startswith(stem) and len(word) <= len(stem) + 3):
                continue
            k = None
            if i + 1 < len(words) and words[i + 1].isdigit():
                k = int(words[i + 1])
            elif i > 0 and words[i - 1] in _ORDINALS:
                k = _ORDINALS[words[i - 1]]
            codes = tables_codes.get(family, [])
            if k is not None and 1 <= k <= len(codes):
                out.append((codes[k - 1], f"{words[i]} {k}"))
    return out


class _Matcher:
    """Matches the words of a claim to a code of the tables."""

    def __init__(self, tables: list[_Table], codebook) -> None:
        self.codes: dict[str, list[_Code]] = {}
        for t in tables:
            self.codes.setdefault(t.family, t.codes)
        self.all_codes = [c for codes in self.codes.values() for c in codes]
        self.keys = _label_keys(self.all_codes)
        self.families = {t.family: t.family_label for t in tables}
        self.family_words = {f: tuple(_fold(label).split()) for f, label in self.families.items()}
        self.stems = {}
        for f, words in self.family_words.items():
            if len(words) == 1 and len(words[0]) >= 6:  # "uitgangspunten" -> "uitgangspunt"
                self.stems[f] = re.sub(r"(en|s)$", "", words[0])
        other = [fam for fam in codebook.families if fam.id not in self.codes]
        self.other_keys = [key for key in _label_keys([_Code(c.label, c.id, fam.id, k + 1) for fam in other
                                                       for k, c in enumerate(fam.codes)]) if not key.part]
        self.other_labels = {fam.id: fam.label for fam in other}
        self.key_index, self.other_index = _key_index(self.keys), _key_index(self.other_keys)
        self._patterns: list[tuple[_Code, tuple]] | None = None
        self.units: frozenset[str] = frozenset()

    def in_text(self, words: Sequence[str]) -> dict[_Code, str]:
        """Codes whose label (or place, ``uitgangspunt 2``) the words name, with the words."""
        out: dict[_Code, str] = {}
        for key, s, e in _find_keys(words, self.key_index):
            out.setdefault(key.code, " ".join(words[s:e]))
        for code, said in _ordinal_codes(words, self.codes, self.stems):
            out.setdefault(code, said)
        return out

    def families_in(self, words: Sequence[str]) -> set[str]:
        found = set()
        for f, fw in self.family_words.items():
            n = len(fw)
            for s in range(len(words) - n + 1):
                if all(_same_word(words[s + k], fw[k]) for k in range(n)):
                    found.add(f)
                    break
        return found

    def other_families(self, words: Sequence[str]) -> dict[str, str]:
        """Families not in the tables whose code labels the words name: family -> words."""
        out = {}
        for key, s, e in _find_keys(words, self.other_index):
            out.setdefault(key.code.family, " ".join(words[s:e]))
        return out

    def by_patterns(self, toks: Sequence[_Tok]) -> dict[_Code, str]:
        """Codes whose codebook patterns match the tokens (lemmas from spaCy's lookup table).

        Patterns are indexed by their first token (a word by its text, a prefix by its
        first three letters), so a sentence tries only the patterns that can start at each
        of its words.
        """
        if self._patterns is None:
            self._patterns = _PatternIndex(self.all_codes)
        if not self._patterns.size:
            return {}
        lemmas = _lemmas()
        lows = [t.low for t in toks]
        lems = [lemmas.get(w, w) for w in lows]
        out: dict[_Code, str] = {}
        for s in range(len(lows)):
            for code, tokens in self._patterns.starting(lows[s], lems[s]):
                if code in out:
                    continue
                end = _pattern_at(tokens, lows, lems, s)
                if end is not None:
                    out[code] = " ".join(t.text for t in toks[s:end])
        return out


class _PatternIndex:
    """The text patterns of the codes, indexed by what their first token accepts."""

    def __init__(self, codes: Sequence[_Code]) -> None:
        self.words: dict[str, list] = {}
        self.prefixes: dict[str, list] = {}
        self.others: list = []  # first token a suffix or infix
        self.size = 0
        for code in codes:
            for p in code.patterns:
                try:
                    tokens = p.tokens
                except ValueError:
                    continue
                if not tokens:
                    continue
                self.size += 1
                first = tokens[0]
                if first.kind == "word":
                    self.words.setdefault(first.text, []).append((code, tokens))
                elif first.kind == "prefix":
                    self.prefixes.setdefault(first.text[:3], []).append((code, tokens))
                else:
                    self.others.append((code, tokens))

    def starting(self, low: str, lemma: str):
        yield from self.words.get(low, ())
        if lemma != low:
            yield from self.words.get(lemma, ())
        for code, tokens in self.prefixes.get(low[:3], ()):
            if low.startswith(tokens[0].text):
                yield code, tokens
        for code, tokens in self.others:
            if tokens[0].accepts(low, lemma):
                yield code, tokens


def _pattern_at(tokens, lows, lems, s: int) -> int | None:
    """End index where the pattern tokens match from ``s`` (``...`` skips up to three tokens)."""

    def go(k: int, i: int) -> int | None:
        if k == len(tokens):
            return i
        t = tokens[k]
        if t.kind == "gap":
            for skip in range(0, _MAX_GAP + 1):
                end = go(k + 1, i + skip)
                if end is not None:
                    return end
            return None
        if i < len(lows) and t.accepts(lows[i], lems[i]):
            return go(k + 1, i + 1)
        return None

    return go(0, s)


@lru_cache(maxsize=1)
def _lemmas() -> dict[str, str]:
    """Dutch lemmas from spaCy's lookup table (as :mod:`quickscan.coding` uses them), loaded once."""
    from .coding import _lemma_table

    return _lemma_table()


# == checking ==================================================================================


def _unit_words(template, tables: list[_Table]) -> tuple[frozenset[str], frozenset[str]]:
    singular = {s for s, _ in DEFAULT_UNITS}
    plural = {p for _, p in DEFAULT_UNITS}
    unit = getattr(template, "unit", None) if template is not None else None
    if isinstance(unit, Mapping):
        unit = (unit.get("singular"), unit.get("plural"))
    elif unit is not None and not isinstance(unit, (tuple, list, str)):
        unit = (getattr(unit, "singular", None), getattr(unit, "plural", None))
    if isinstance(unit, str):
        unit = (unit, None)
    if unit:
        s, p = (list(unit) + [None, None])[:2]
        if s:
            singular.add(str(s).lower())
            plural.update({str(s).lower() + "s", str(s).lower() + "en"})
        if p:
            plural.add(str(p).lower())
    for t in tables:  # the header of the pilots column: "Pilot", "Project", ...
        head = t.unit.lower().strip()
        if head.isalpha() and 3 <= len(head) <= 20 and head not in ("naam", "nr", "code", "totaal"):
            singular.add(head)
            plural.update({head + "s", head + "en"})
    return frozenset(singular), frozenset(plural)


def _wave_key(wave: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", wave))


def check_draft(
    draft: str | PathLike[str] | pd.DataFrame | Sequence[str],
    tables: Any,
    *,
    codebook=None,
    template=None,
    wave: str | None = None,
) -> pd.DataFrame:
    """The count claims of a Word draft, each checked against the report tables.

    Parameters
    ----------
    draft : path, DataFrame or list of str
        The draft (.docx); or what :func:`read_draft` returned; or paragraphs as strings
        (a short string of no more than eight words without a full stop is taken as a
        heading, for quick checks in a notebook).
    tables : path or mapping
        What ``quickscan report`` wrote (``tables.xlsx``, the ``tables/`` folder, or the
        output folder), or ``{family: DataFrame}`` in the form of
        :func:`~quickscan.matrices.code_matrix` (see :func:`read_tables`).
    codebook : Codebook, optional
        Gives the family labels and the code patterns (default: the bundled codebook).
        Codes the codebook lacks are matched by their label in the tables.
    template : Template, optional
        Its unit (``unit: {singular: project, plural: projecten}``) is counted as well as
        pilots, projecten, initiatieven, proeftuinen.
    wave : str, optional
        The wave every claim is about. Default: a wave named in the sentence, else in the
        nearest heading above it (``T0``), else the wave whose number of pilots the claim's
        denominator gives, else the latest wave of the tables.

    Returns
    -------
    DataFrame
        One row per count claim, in document order, with columns :data:`CLAIM_COLUMNS`:
        ``paragraph`` (as :func:`read_draft` numbers them), ``where`` (``text``, ``list``,
        ``text box``, ``footnote``), ``heading`` (path above it), ``sentence``, ``claim``
        (the words, e.g. ``Negen projecten``, ``12 van de 15``, ``nagenoeg alle
        projecten``), ``kind`` (``exact``, ``all``, ``none``, ``all_but``,
        ``nearly_all``, ``majority``, ``half``, ``more_than``, ``percent``, ``group``,
        ...), ``value`` (the number written; for ``alle`` the number of pilots), ``denominator`` (written
        ``van de Y``), ``means`` (how the claim was read, e.g. ``= 9``, ``more than half``),
        ``wave`` and ``wave_from`` (``option``, ``sentence``, ``heading``,
        ``denominator``, ``latest``), ``family``, ``code``, ``label``, ``matched_by``
        (``label``, ``heading``, ``patterns``, or ``""``), ``match_words`` (the words that
        decided), ``table_value`` and ``n_pilots`` (of the table in that wave),
        ``verdict`` (:data:`VERDICTS`) and ``reason`` (why it differs or why it is
        unchecked).

    Raises
    ------
    InputError
        The draft is not a readable .docx, or the tables are not quickscan's.

    Examples
    --------
    >>> import pandas as pd
    >>> basisset = pd.DataFrame({"Activering en werk": ["X"] * 10 + [""] * 5 + [10]},
    ...                         index=[f"{i}. P{i}" for i in range(1, 16)] + ["Totaal"])
    >>> draft = ["Activering en werk",
    ...          "Negen projecten dragen bij aan activering en werk.",
    ...          "Bij drie projecten wordt toegeleid naar betaald werk.",
    ...          "In drie van de vier projecten gebeurt dat met een jobcoach."]
    >>> claims = check_draft(draft, {"basisset": basisset})
    >>> claims[["claim", "matched_by", "table_value", "verdict"]].values.tolist()
    [['Negen projecten', 'label', 10, 'differs'], ['drie projecten', 'heading', 10, 'unchecked'], \
['drie van de vier projecten', 'heading', 10, 'unchecked']]
    >>> claims["reason"].tolist()[1:]
    ['matched by the heading only, and the sentence says more (toegeleid, betaald): it may count a finer \
aspect of the code', "a subset: 'van de 4' but the table has 15 pilots"]
    """
    from .codebook import default_codebook

    codebook = codebook or default_codebook()
    loaded = _load_tables(tables, codebook)
    blocks = _draft_blocks(draft)
    return _check(blocks, loaded, codebook=codebook, template=template, wave=wave)


def _draft_blocks(draft: Any) -> list[_Block]:
    if isinstance(draft, pd.DataFrame):
        return [_Block(int(r.paragraph), str(r.kind), str(r.text), None if pd.isna(r.level) else int(r.level),
                       tuple(h for h in str(r.heading).split(" > ") if h))
                for r in draft.itertuples(index=False)]
    if isinstance(draft, (str, PathLike)):
        return _read_blocks(Path(draft))
    blocks, path = [], ()
    for i, text in enumerate(draft, start=1):
        text = str(text)
        if len(text.split()) <= 8 and not text.rstrip().endswith((".", "?", "!", ":")):
            path = (text,)
            blocks.append(_Block(i, "heading", text, 1, ()))
        else:
            blocks.append(_Block(i, "text", text, None, path))
    return blocks


def _check(blocks: list[_Block], tables: list[_Table], *, codebook, template, wave: str | None) -> pd.DataFrame:
    by_family: dict[str, dict[str | None, _Table]] = {}
    for t in tables:
        by_family.setdefault(t.family, {})[t.wave] = t
    waves = sorted({t.wave for t in tables if t.wave is not None}, key=_wave_key)
    if wave is not None and waves and wave not in waves:
        raise InputError(None, f"no wave {wave!r} in the tables; waves: {waves}")
    units = _unit_words(template, tables)
    matcher = _Matcher(tables, codebook)
    matcher.units = units[0] | units[1]
    n_of_wave: dict[str | None, int] = {w: max(t.n_pilots for t in tables if t.wave == w) for w in waves}
    if any(t.wave is None for t in tables):
        n_of_wave[None] = max(t.n_pilots for t in tables if t.wave is None)
    rows = []
    heading_cache: dict[tuple[str, ...], tuple] = {}
    for block in blocks:
        if block.kind not in ("text", "list", "text box", "footnote"):
            continue
        context = heading_cache.get(block.heading)
        if context is None:
            context = heading_cache[block.heading] = _heading_context(block.heading, matcher, waves)
        for sentence in _sentences(block.text):
            rows += _check_sentence(sentence, block, context, matcher, by_family, units, waves, n_of_wave, wave)
    frame = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    for column in ("value", "denominator", "table_value", "n_pilots", "paragraph"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _heading_context(path: tuple[str, ...], matcher: _Matcher, waves: list[str]):
    """(code named by the nearest heading that names one, with its words; families named by
    any heading; wave named by the nearest heading that names one)."""
    code, families, wave = None, set(), None
    for heading in reversed(path):
        words = _fold(heading).split()
        if code is None:
            named = matcher.in_text(words)
            if len(named) == 1:
                code = next(iter(named.items()))
            elif len(named) > 1:
                code = (None, heading)
        families |= matcher.families_in(words)
        named_waves = [w for w in waves if _fold(w) in words]
        if wave is None and len(named_waves) == 1:  # "Ontwikkeling tussen T0 en T1" decides nothing
            wave = named_waves[0]
    return code, families, wave


def _scope(claims: list[_Claim], k: int, n: int) -> tuple[int, int]:
    """Tokens a claim's words come from: from the end of the claim before it to the start of the next."""
    lo = claims[k - 1].end if k > 0 else 0
    hi = claims[k + 1].start if k + 1 < len(claims) else n
    return lo, hi


def _clause(low: list[str], start: int, end: int) -> tuple[int, int]:
    lo = start
    while lo > 0 and low[lo - 1] not in _BOUNDARY:
        lo -= 1
    hi = end
    while hi < len(low) and low[hi] not in _BOUNDARY:
        hi += 1
    return lo, hi


def _check_sentence(sentence, block, context, matcher, by_family, units, waves, n_of_wave, wave_option):
    masked = _QUOTE.sub(lambda m: " " * len(m.group()), sentence)
    toks = _tokens(masked)
    scanner = _Scanner(toks, units)
    claims = scanner.scan()
    if not claims:
        return []
    low = scanner.low
    # "Van de zeven projecten ..., geven drie projecten aan": a group, the other counts are subsets
    groups = [c for c in claims if c.kind == "group" and "van de" in c.note]
    rows = []
    for k, claim in enumerate(claims):
        lo, hi = _scope(claims, k, len(toks))
        words = [_fold(t.text) for t in toks[lo:hi]]
        words = [w for part in words for w in part.split()]
        text = masked[toks[claim.start].start:toks[claim.end - 1].end]
        row = {"paragraph": block.paragraph, "where": block.kind, "heading": " > ".join(block.heading),
               "sentence": sentence, "claim": text, "kind": claim.kind, "value": None,
               "denominator": claim.denominator, "means": "", "wave": None, "wave_from": "", "family": "",
               "code": "", "label": "", "matched_by": "", "match_words": "", "table_value": None,
               "n_pilots": None, "verdict": "unchecked", "reason": ""}
        # the wave: option, sentence, heading, denominator, latest
        wave, source = wave_option, "option"
        if wave is None:
            named = [(abs(i - claim.start), w) for i, t in enumerate(toks) for w in waves
                     if t.low == w.lower() and not set(low[max(0, i - 3):i]) & _COMPARED]
            if named:
                wave, source = min(named)[1], "sentence"
            elif context[2] is not None:
                wave, source = context[2], "heading"
            elif waves:
                wave, source = waves[-1], "latest"
        y = claim.denominator
        if source == "latest" and y is not None and n_of_wave.get(wave) != y:
            fits = [w for w in waves if n_of_wave[w] == y]
            if len(fits) == 1:
                wave, source = fits[0], "denominator"
        row["wave"], row["wave_from"] = wave, source
        n = n_of_wave.get(wave)
        # the code
        c_lo, c_hi = _clause(low, claim.start, claim.end)
        if c_lo > 0 and low[c_lo - 1] == "(":  # "preventie (veertien projecten)": the words before the bracket
            c_lo = _clause(low, c_lo - 1, c_lo - 1)[0]
        clause_words = [w for t in toks[max(lo, c_lo):min(hi, c_hi)] for w in _fold(t.text).split()]
        code, matched_by, said, why_not = _choose_code(claim, words, toks[lo:hi], context, matcher, clause_words)
        if code is None and why_not == "no code found" and _about_total(low):
            rows.append(_total_row(row, claim, n, wave))
            continue
        row["value"] = _exact_value(claim, n) if claim.kind != "group" else claim.value
        if claim.kind in ("more_than", "less_than", "at_least", "at_most", "about", "nearly", "percent",
                          "all_but", "example", "share", "more_than_share", "less_than_share"):
            row["value"] = claim.value if claim.kind != "all_but" else row["value"]
        row["means"] = _means(claim, n)
        if code is not None:
            table = by_family.get(code.family, {})
            t = table.get(wave) or (table.get(None) if None in table else None)
            row.update(family=code.family, code=code.id, label=code.label, matched_by=matched_by,
                       match_words=said)
            if t is None:
                row["reason"] = f"no table of {code.family!r} for wave {wave}"
                rows.append(row)
                continue
            row["table_value"], row["n_pilots"] = t.totals[code.label], t.n_pilots
            n = t.n_pilots
            row["means"] = _means(claim, n)
            if claim.kind in ("all", "all_but"):
                row["value"] = _exact_value(claim, n)
        verdict, reason = _verdict(claim, code, matched_by, why_not, row, n, low, words, context, groups, k,
                                   wave, scanner, matcher, n_of_wave)
        row["verdict"], row["reason"] = verdict, reason
        rows.append(row)
    return rows


def _choose_code(claim, words, scope_toks, context, matcher, clause_words=()):
    """(code, matched_by, words that decided, reason when none): the labels named in the
    claim's clause, else in its part of the sentence; the heading; the patterns."""
    heading_code, families, _ = context

    def named_in(some_words):
        named = matcher.in_text(some_words)
        if families and any(c.family in families for c in named):
            named = {c: w for c, w in named.items() if c.family in families}
        return named

    named = named_in(clause_words) if clause_words else {}
    if len(named) != 1:
        named = named_in(words)
    if len(named) == 1:
        code, said = next(iter(named.items()))
        return code, "label", said, ""
    if len(named) > 1:
        labels = {c.label for c in named}
        if len(labels) == 1:  # the same label in several families of the tables
            return None, "", "; ".join(f"{c.family}: {w}" for c, w in named.items()), \
                f"'{next(iter(labels))}' is a code of several families ({', '.join(c.family for c in named)})"
        said = "; ".join(f"{w} ({c.label})" for c, w in named.items())
        return None, "", said, f"the sentence names several codes: {said}"
    if heading_code is not None:
        code, heading = heading_code
        if code is None:
            return None, "", heading, f"the heading '{heading}' names several codes"
        return code, "heading", f"heading: {heading}", ""
    other = matcher.other_families(words)
    if other:
        family, said = next(iter(other.items()))
        return None, "", said, f"'{said}' is a code of family '{family}', which is not in the tables"
    found = matcher.by_patterns(scope_toks)
    if families:
        found = {c: w for c, w in found.items() if c.family in families} or found
    if len(found) == 1:
        code, said = next(iter(found.items()))
        return code, "patterns", said, ""
    if len(found) > 1:
        said = "; ".join(f"{w} ({c.label})" for c, w in found.items())
        return None, "", said, f"pattern words of several codes: {said}"
    return None, "", "", "no code found"


def _verdict(claim, code, matched_by, why_not, row, n, low, words, context, groups, k, wave, scanner, matcher,
             n_of_wave):
    if claim.kind in ("group", "example"):
        return "unchecked", claim.note
    if claim.note:
        return "unchecked", f"a subset: {claim.note}"
    if code is None:
        return "unchecked", why_not
    t = row["table_value"]
    if t is None:
        return "unchecked", row["reason"]
    # counts taken from a group named in the sentence ("Van de zeven projecten ... drie")
    for g in groups:
        if g is not claim and (g.value != n):
            return "unchecked", f"a subset of the group '{_span(scanner, g)}' named in the sentence"
    y, place = claim.denominator, wave or "the table"
    stale = [w for w, m in n_of_wave.items() if m == y and w != wave and w is not None]
    if y is not None and y != n and len(stale) == 1 and row["wave_from"] in ("option", "sentence", "heading"):
        return "differs", (f"the denominator: 'van de {y}' is the number of pilots in {stale[0]}, but the claim is "
                           f"about {wave} (named in the {row['wave_from']}), which has {n} (the table says {t} of {n})")
    if y is not None and y != n:
        if y < n:
            return "unchecked", f"a subset: 'van de {y}' but {place} has {n} pilots"
        if y > n + 3:
            return "unchecked", f"'van de {y}': more than the {n} pilots of {place}; another population?"
        return "differs", f"the denominator: 'van de {y}' but {place} has {n} pilots (the table says {t} of {n})"
    lo, hi = _clause(low, claim.start, claim.end)
    window = low[lo:min(hi, claim.end + 3)]
    marker = next((w for w in window if w in _SUBSET_WORDS), None) or next(
        (" ".join(p) for p in zip(window, window[1:]) if p in _SUBSET_PAIRS), None)
    if marker:
        return "unchecked", f"a subset: '{marker}' refers to a group named before"
    verdict, why = _judge(claim, t, n)
    if verdict != "differs":
        return verdict, why
    clause = low[lo:hi]
    outside = [w for i, w in enumerate(low[lo:hi], start=lo) if not claim.start <= i < claim.end]
    qualifier = next((w for w in outside if w in _QUALIFIERS), None) or next(
        (" ".join(p) for p in _QUALIFIER_PAIRS if _contains(clause, p)
         and not (p == ("in", "het") and not _contains(clause, ("in", "het", "bijzonder")))), None)
    if not qualifier:
        qualifier = _role(outside, code, matcher)
    if qualifier:
        return "unchecked", f"qualified ('{qualifier}'): it may count a subset (the table says {t} of {n})"
    negation = next((w for w in outside if w in _NEGATIONS), None)
    if negation and claim.kind not in ("none", "not_all"):
        return "unchecked", f"negated ('{negation}'): not a count of the code (the table says {t} of {n})"
    change = next((w for w in outside if w in _CHANGE), None) or next(
        (w for w in low if w in ("erbij", "toegenomen", "gestegen", "gedaald", "afgenomen", "bijgekomen")), None)
    if change:
        return "unchecked", f"about a change ('{change}'), not a total (the table says {t} of {n})"
    if matched_by == "patterns":
        return "unchecked", (f"matched by pattern words only ('{row['match_words']}'): it may count a finer "
                             f"aspect of the code (the table says {t} of {n})")
    if matched_by == "heading":
        extra = _specific_words(words, claim, context, matcher)
        if extra:
            return "unchecked", (f"matched by the heading only, and the sentence says more ({', '.join(extra[:4])}): "
                                 f"it may count a finer aspect of the code")
    return "differs", why


def _role(words: Sequence[str], code: _Code, matcher: _Matcher) -> str | None:
    """``als vrijwilliger`` after the code: the code in a particular role, a subset of it
    (``als uitgangspunt``, ``als belangrijk thema`` say nothing more)."""
    own = set(_fold(code.label).split()) | {w for fw in matcher.family_words.values() for w in fw}
    for i, w in enumerate(words[:-1]):
        if w != "als":
            continue
        j = i + 1 + (words[i + 1] in ("een", "de", "het"))
        nxt = words[j] if j < len(words) else ""
        if len(nxt) >= 4 and nxt.isalpha() and nxt not in _GENERIC and nxt not in own and nxt not in _ROLE_WORDS \
                and not any(_same_word(nxt, o) for o in own):
            return f"als {nxt}"
    return None


def _contains(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1))


def _span(scanner: _Scanner, claim: _Claim) -> str:
    toks = scanner.toks
    return " ".join(t.text for t in toks[claim.start:claim.end])


def _specific_words(words, claim, context, matcher) -> list[str]:
    """Content words of the claim's scope beyond the generic ones, the unit, numbers and the heading."""
    heading_words = set()
    code = context[0]
    if code is not None and code[0] is not None:
        heading_words = set(_fold(code[0].label).split())
    family_words = {w for fw in matcher.family_words.values() for w in fw}
    out = []
    for w in words:
        if len(w) < 3 or w.isdigit() or w in _NUMBERS or w in _GENERIC or w in _STOP or w in heading_words \
                or w in family_words or w in matcher.units or w in _ORDINALS:
            continue
        if any(_same_word(w, h) for h in heading_words):
            continue
        if w in ("alle", "geen", "nagenoeg", "bijna", "vrijwel", "merendeel", "meerderheid", "meeste", "helft",
                 "enkele", "sommige", "aantal", "paar", "meer", "minder", "ruim", "procent", "slechts", "maar",
                 "pilots", "projecten", "pilot", "project", "initiatieven", "proeftuinen"):
            continue
        out.append(w)
    return out


def _about_total(low: list[str]) -> bool:
    """The sentence is about taking part: geïnterviewd, gesproken, namen ... deel, doen ... mee."""
    words = set(low)
    return bool(words & _TOTAL_CUES) or any(verb in words and particle in words for verb, particle in _TOTAL_PAIRS)


def _total_row(row: dict, claim: _Claim, n: int | None, wave) -> dict:
    """A claim about the number of pilots itself ("In totaal zijn 15 projecten geïnterviewd")."""
    row.update(label="(aantal)", matched_by="", match_words="the sentence is about taking part",
               n_pilots=n, table_value=n, means=_means(claim, n))
    value = _exact_value(claim, n)
    row["value"] = value
    if n is None or claim.note or claim.kind not in ("exact", "all"):
        row["reason"] = claim.note or "about the number taking part, not a count the tables settle"
        return row
    if value == n:
        row["verdict"] = "agrees"
    else:
        row["verdict"], row["reason"] = "differs", f"{wave} has {n} pilots"
    return row


# == writing ===================================================================================

_SHEET_COLUMNS = (
    ("paragraph", "Alinea", 8), ("heading", "Kopje", 24), ("sentence", "Zin", 60), ("claim", "Bewering", 22),
    ("means", "Gelezen als", 14), ("wave", "Meting", 8), ("label", "Code", 24), ("match_words", "Gematcht op", 22),
    ("table_value", "Tabel", 8), ("n_pilots", "Van", 6), ("verdict", "Oordeel", 11), ("reason", "Reden", 44),
)
NOTE_COLUMN = "Notitie schrijver"


def write_claims(claims: pd.DataFrame, path: str | PathLike[str]) -> Path:
    """Write the claims of :func:`check_draft` to an .xlsx sheet for the report writer, atomically.

    One row per claim (``differs`` first, then in document order): paragraph, heading,
    sentence, the claim, how it was read, wave, code, the words that matched, the table's
    value, the verdict and its reason, and an empty column for the writer's note. Every
    text is a text cell, never a formula.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> table = pd.DataFrame({"Wonen": ["X", "", 1]}, index=["1. A", "2. B", "Totaal"])
    >>> claims = check_draft(["Wonen", "Twee pilots noemen wonen."], {"basisset": table})
    >>> path = write_claims(claims, pathlib.Path(tempfile.mkdtemp()) / "claims.xlsx")
    >>> from openpyxl import load_workbook
    >>> ws = load_workbook(path).active
    >>> [c.value for c in ws[1]][-3:], ws["K2"].value
    (['Oordeel', 'Reden', 'Notitie schrijver'], 'differs')
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from ._io import atomic_write
    from .review import append_rows

    order = {"differs": 0, "unchecked": 2, "agrees": 1}
    frame = claims.assign(_o=claims["verdict"].map(order)).sort_values(["_o", "paragraph"], kind="stable")
    wb = Workbook()
    ws = wb.active
    ws.title = "beweringen"
    header = [title for _, title, _ in _SHEET_COLUMNS] + [NOTE_COLUMN]
    append_rows(ws, [header])
    for j, (_, _, width) in enumerate(_SHEET_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.column_dimensions[get_column_letter(len(header))].width = 40
    append_rows(ws, ([*(None if pd.isna(v) else (int(v) if isinstance(v, (int,)) or hasattr(v, "item") else v)
                        for v in (getattr(r, c) for c, _, _ in _SHEET_COLUMNS)), None]
                     for r in frame.itertuples(index=False)))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    red = PatternFill("solid", fgColor="F8D7DA")
    note = PatternFill("solid", fgColor="FFF2CC")
    verdict_col = [c for c, _, _ in _SHEET_COLUMNS].index("verdict") + 1
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
        if row[verdict_col - 1].value == "differs":
            row[verdict_col - 1].fill = red
        row[-1].fill = note
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(ws.max_row, 2)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    wb.properties.creator = "quickscan"
    wb.properties.title = "quickscan verify"
    return atomic_write(path, wb.save)


def summary(claims: pd.DataFrame) -> str:
    """One line: ``3 of 17 claims differ from the tables (10 agree, 4 unchecked)``.

    >>> summary(pd.DataFrame({"verdict": ["agrees", "differs", "unchecked"]}))
    '1 of 3 claims differs from the tables (1 agrees, 1 unchecked)'
    """
    counts = claims["verdict"].value_counts()
    d, a, u = (int(counts.get(v, 0)) for v in ("differs", "agrees", "unchecked"))
    return (f"{d} of {len(claims)} claim{'s' if len(claims) != 1 else ''} "
            f"{'differs' if d == 1 else 'differ'} from the tables ({a} agree{'s' if a == 1 else ''}, "
            f"{u} unchecked)")


def describe(claims: pd.DataFrame, *, limit: int = 50) -> str:
    """The summary line and every claim that differs, with the table's value (what
    ``quickscan verify`` prints).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"Wonen": ["X", "", 1]}, index=["1. A", "2. B", "Totaal"])
    >>> print(describe(check_draft(["Wonen", "Twee pilots noemen wonen."], {"basisset": table})))
    1 of 1 claim differs from the tables (0 agree, 0 unchecked)
    <BLANKLINE>
    paragraph 2 (Wonen): Twee pilots noemen wonen.
      'Twee pilots' (= 2) -- table basisset, Wonen: 1 of 2 pilots; matched by label 'wonen'
    """
    lines = [summary(claims)]
    waves = claims.loc[claims["wave_from"] == "latest", "wave"]
    if len(waves):
        lines.append(f"{len(waves)} claim(s) read as about {waves.iloc[0]}, the latest wave in the tables: no heading "
                     f"or sentence names a wave (--wave chooses another)")
    differs = claims[claims["verdict"] == "differs"]
    for row in differs.head(limit).itertuples():
        where = f" ({row.heading.rsplit(' > ', 1)[-1]})" if row.heading else ""
        table = f"{row.family}{' ' + row.wave if isinstance(row.wave, str) else ''}"
        words = row.match_words.removeprefix("heading: ")
        lines += ["", f"paragraph {row.paragraph}{where}: {row.sentence}",
                  f"  '{row.claim}' ({row.means}) -- table {table}, {row.label}: {row.table_value} of {row.n_pilots} "
                  f"pilots; matched by {row.matched_by or 'the sentence'} '{words}'"]
        if row.reason and not row.reason.startswith("the table says"):
            lines.append(f"  {row.reason}")
    if len(differs) > limit:
        lines.append(f"... and {len(differs) - limit} more (see --out)")
    return "\n".join(lines)
