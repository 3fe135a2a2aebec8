"""The combined workbook: every pilot's answers side by side, one sheet per wave.

Reading (:func:`read_excel`) accepts the workbooks researchers make by hand, in either
orientation, and the workbook :func:`write_excel` writes.

*Where the table is.* Every cell of the first :data:`SCAN` rows and columns is tried as a
question header (:meth:`Template.match_question` with ``loose=True``, or a question's
short label such as ``Doel``). The row or column with the most distinct questions is the
header line; it decides the orientation: a header row means pilots as rows, a header
column means pilots as columns. A line of bare numbers (``1 2 3 ...``, e.g. an id column)
counts only next to a name header (``Pilot``, ``Project``, ``Naam``, ``Vraag``) or a
recognised wording. A second header beside the first (a ``Nr`` column next to the
wording) is skipped; cells before the table are ignored with a note. Every other row or
column of the table is kept: one whose header matches no question (``Opmerkingen``)
becomes unmatched content labelled with that header.

*Pilot names*, in this order: the line headed ``Pilot``/``Naam pilot``/``Project``/
``Naam``/``Vraag`` (``write_excel`` writes ``Vraag`` above the pilot names); else the
pilot's own header cell (in the line before the first question, when that line has an
empty header cell); else the answer to question 1 (:func:`~quickscan.corpus.pilot_name`);
else ``<Unit> (kolom D)`` (U16: ``Pilot (kolom D)``) with a warning. Names are read without surrounding white space.

*Cell values* become text: numbers without a spurious ``.0``, dates as ISO dates
(``2020-03-01``), formulas as their cached values (a formula Excel never calculated is
read as its formula text, with a warning). A merged cell counts once, in its top-left
cell; a header merged over several lines makes them one answer (joined by a newline).

*Text conventions* shared by reader and writer (Excel's own, ECMA-376 ``ST_Xstring``):
characters XML cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF) and the
carriage return are written as ``_xHHHH_``; a literal ``_xHHHH_`` in the text is written
as ``_x005F_xHHHH_``. The reader decodes both, so every Unicode string round-trips and
Excel shows what Python holds. A text longer than Excel's cell limit of 32,767 characters
is split over continuation lines headed ``"9. ... (vervolg 1)"``, which the reader joins
again.

>>> import tempfile, pathlib
>>> from quickscan.corpus import Corpus, make_answers
>>> c = Corpus.from_answers(make_answers("Buurtcirkel Zeist", "T0", {9: "=geen formule", 20: "Les 1"}))
>>> with tempfile.TemporaryDirectory() as d:
...     back = read_excel(write_excel(c, pathlib.Path(d) / "antwoorden.xlsx"))
>>> back.answer("buurtcirkel-zeist", 9)
'=geen formule'
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from ._limits import check, limit, over
from ._package import check_not_output, check_xml, open_package
from .corpus import UNMATCHED, Corpus, combine, pilot_id, pilot_name, problem, wave_from_name
from ._io import atomic_write
from .errors import CorruptFileError, InputError, NotAQuickscanForm, QuickscanError
from .template import Template, default_template, normalize

__all__ = ["read_excel", "write_excel", "to_workbook", "MAX_CELL", "SCAN"]

MAX_CELL = 32_767  # Excel's limit on the characters (UTF-16 code units) in one cell
SCAN = 10  # the header row or column is looked for in this many first rows and columns
HEADER = "Vraag"  # top-left cell of a written sheet; heads the line of pilot names
UNASSIGNED = "Niet toegewezen ({})"
CONTINUED = " (vervolg {})"

_CONTINUED = re.compile(r"\s*\((?:vervolg|continued)\s*(\d+)\)\s*$", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*(?:vraag\s*)?(\d{1,2})\s*[.):\-–]?\s*(.*)$", re.IGNORECASE | re.DOTALL)
_BARE = re.compile(r"^\s*\d{1,2}\s*[.):]?\s*$")
_NAME = re.compile(  # on normalized text
    r"^(?:naam(?: (?:van )?(?:de |het )?(?:pilot|project))?|(?:pilot|project)(?:s|en)?(?: ?naam)?"
    r"|vra(?:ag|gen)(?: (?:pilot|project))?)$"
)
_UNASSIGNED = re.compile(r"^niet toegewezen \d+$")  # on normalized text
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_TO_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\r\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_XML = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_XML = re.compile(rb"<(?:\w+:)?c[\s>/]")
# a cell element with content (attributes, content): formula cells, to see whether they hold a value
_FORMULA_CELL_XML = re.compile(rb"<(?:\w+:)?c(\s[^>]*)?(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_VALUE_XML = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>[^<]")  # a stored value, not empty
_TEXT_TYPE = re.compile(rb"\st=[\"']str[\"']")  # a text formula: an empty <v/> is its value ""
_MERGE_XML = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=[\"']\$?([A-Za-z]{1,3}\$?\d{0,7}):\$?([A-Za-z]{1,3}\$?\d{0,7})")


# -- text conventions -----------------------------------------------------------------------


def escape(text: str) -> str:
    """Text as Excel stores it: XML-illegal characters and ``\\r`` as ``_xHHHH_``.

    >>> escape("a\\x0bb\\r\\n_x0041_")
    'a_x000B_b_x000D_\\n_x005F_x0041_'
    """
    return _TO_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def unescape(text: str) -> str:
    """The inverse of :func:`escape` (Excel's reading of ``_xHHHH_``).

    >>> unescape("a_x000B_b_x000D_\\n_x005F_x0041_")
    'a\\x0bb\\r\\n_x0041_'
    """
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def split_cells(text: str, limit: int = MAX_CELL) -> list[str]:
    """Escaped pieces of ``text`` of at most ``limit`` UTF-16 units; joined unescaped they give ``text``.

    >>> [len(p) for p in split_cells("ab" * 40_000)]
    [32767, 32767, 14466]
    """
    escaped = escape(text)
    if _utf16_len(escaped) <= limit:
        return [escaped]
    pieces, start, size = [], 0, 0
    for i, ch in enumerate(text):
        cost = len(escape(ch)) if ch != "_" else 7  # "_" may become "_x005F_"
        cost += ord(ch) > 0xFFFF
        if size + cost > limit:
            pieces.append(escape(text[start:i]))
            start, size = i, 0
        size += cost
    pieces.append(escape(text[start:]))
    return pieces


def cell_text(value: Any) -> str:
    """The text of a cell value: numbers without ``.0``, dates in ISO form.

    >>> cell_text(3.0), cell_text(0.1 + 0.2), cell_text(dt.datetime(2020, 3, 1)), cell_text(None)
    ('3', '0.3', '2020-03-01', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return unescape(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".15g")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(getattr(value, "text", value))  # int, timedelta, ArrayFormula


# -- reading: the workbook -------------------------------------------------------------------


class _Reader(ExcelReader):
    """openpyxl's reader, keeping shared strings as stored (openpyxl removes every ``x005F_``)."""

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        tag = f"{{{SHEET_MAIN_NS}}}si"
        strings = []
        with self.archive.open(part.PartName[1:]) as src:
            for _, node in iterparse(src):
                if node.tag == tag:
                    strings.append(Text.from_tree(node).content)
                    node.clear()
        self.shared_strings = strings


def _load(data: bytes, path: Path, *, data_only: bool):
    """Load a workbook; read-only mode for what full mode cannot parse (e.g. some pivot caches)."""
    failure: Exception | None = None
    for read_only in (False, True):
        reader = _Reader(io.BytesIO(data), read_only=read_only, data_only=data_only)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "extension not supported" and the like
                reader.read()
            return reader.wb
        except Exception as exc:  # noqa: BLE001 - openpyxl raises all kinds on odd files
            reader.archive.close()
            failure = exc
    raise CorruptFileError(path, f"cannot read the workbook: {failure}") from failure


@dataclass(frozen=True)
class _Grid:
    """The non-empty cells of one sheet as text, seen as *lines* (fields) by *positions* (records).

    Not transposed, a line is a sheet row (questions down a column, pilots as columns);
    transposed, a line is a sheet column (questions along a row, pilots as rows).
    """

    title: str
    cells: dict[tuple[int, int], str]  # (row, column), 0-based -> text
    merged: dict[tuple[int, int], tuple[int, int]]  # covered cell -> top-left cell of its range
    shape: tuple[int, int]  # rows, columns
    transposed: bool = False

    def at(self, i: int, j: int) -> str:
        return self.cells.get(self.coord(i, j), "")

    def coord(self, i: int, j: int) -> tuple[int, int]:
        """The sheet's (row, column) of line ``i``, position ``j``."""
        return (j, i) if self.transposed else (i, j)

    def merged_into(self, i: int, j: int) -> tuple[int, int] | None:
        """(line, position) of the top-left cell of the merged range covering this cell."""
        top = self.merged.get(self.coord(i, j))
        return None if top is None else self.coord(*top)  # coord() is its own inverse

    @property
    def lines(self) -> int:
        return self.shape[1] if self.transposed else self.shape[0]

    @property
    def width(self) -> int:
        return self.shape[0] if self.transposed else self.shape[1]

    def location(self, i: int, j: int) -> str:
        row, col = self.coord(i, j)
        return f"sheet {self.title}, cell {get_column_letter(col + 1)}{row + 1}"

    def record_place(self, j: int) -> str:
        """``kolom D`` (pilots as columns) or ``rij 5`` (pilots as rows)."""
        return f"rij {j + 1}" if self.transposed else f"kolom {get_column_letter(j + 1)}"


def _grid(ws, formulas: dict[tuple[int, int], str], source: Path, problems: list[dict]) -> _Grid:
    """A sheet's cells as text; a formula without a cached value as its formula text."""
    cells: dict[tuple[int, int], str] = {}
    for cell in present_cells(ws):
        key = (cell.row - 1, cell.column - 1)
        text = cell_text(cell.value)
        # t="str" with an empty <v/> is a formula whose cached value is the empty text
        if cell.value is None and key in formulas and cell.data_type != "str":
            text = formulas[key]
            problems.append(problem(
                "warning", "W131", source, f"sheet {ws.title}, cell {cell.coordinate}",
                f"formula without a calculated value; read as its formula text {text!r} "
                "(open and save the file in Excel to calculate it)",
            ))
        if text:
            cells[key] = text
    shape = (max((r for r, _ in cells), default=-1) + 1, max((c for _, c in cells), default=-1) + 1)
    if shape[0] * shape[1] > limit("cells"):  # the tables are read over the used range: bound it
        far = max(cells, key=lambda k: k[0] * shape[1] + k[1])
        raise over("cells", shape[0] * shape[1], source,
                   f"sheet {ws.title}: its used range A1:{get_column_letter(shape[1])}{shape[0]} spans "
                   f"{shape[0] * shape[1]:,} cells; the cell {get_column_letter(far[1] + 1)}{far[0] + 1} lies far "
                   "outside any table (delete it if it does not belong there)")
    merged: dict[tuple[int, int], tuple[int, int]] = {}
    for rng in ws.merged_cells.ranges if hasattr(ws, "merged_cells") else ():  # none in read-only mode
        top = (rng.min_row - 1, rng.min_col - 1)
        for r in range(top[0], min(rng.max_row, shape[0])):
            for c in range(top[1], min(rng.max_col, shape[1])):
                merged[(r, c)] = top
        merged.pop(top, None)
    return _Grid(ws.title, cells, merged, shape)


def _formula_cells(ws) -> dict[tuple[int, int], str]:
    """The formula text of every formula cell of a sheet loaded with ``data_only=False``."""
    out = {}
    for cell in present_cells(ws):
        if getattr(cell, "data_type", None) == "f" and cell.value is not None:
            text = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", None)
            if text:
                out[(cell.row - 1, cell.column - 1)] = str(text)
    return out


def present_cells(ws):
    """The cells a sheet holds, never the empty cells of its range: ``iter_rows`` would make every
    cell of ``A1:XFD1048576`` for a sheet with one cell there (17 billion)."""
    cells = getattr(ws, "_cells", None)
    if cells is not None:  # a normal worksheet: the cells read from the file, in file order
        return list(cells.values())
    ws.reset_dimensions()  # read-only: ignore the declared range, give each row up to its last cell
    return [cell for row in ws.iter_rows() for cell in row if hasattr(cell, "row")]


def present_rows(ws, *, min_row: int = 1):
    """(row number, values up to the row's last cell) of the rows a sheet holds, from ``min_row``.

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> ws["B2"], ws["XFD1048576"] = "a", "b"
    >>> [(r, len(v)) for r, v in present_rows(ws)]
    [(2, 2), (1048576, 16384)]
    """
    rows: dict[int, dict[int, Any]] = defaultdict(dict)
    for cell in present_cells(ws):
        if cell.row >= min_row:
            rows[cell.row][cell.column] = cell.value
    for r in sorted(rows):
        values = rows[r]
        yield r, tuple(values.get(c) for c in range(1, max(values) + 1))


def check_workbook(package, path: Path) -> bool:
    """Check an opened workbook package against the budgets before openpyxl loads it (its XML,
    the cells of each sheet); returns whether a sheet may hold a formula without a calculated
    value (only then is the workbook loaded a second time, for the formula texts)."""
    names = package.namelist()
    check_xml(package, [n for n in names if n.lower().endswith((".xml", ".rels", ".vml"))], path)
    uncalculated = False
    for n in names:
        if n.startswith("xl/worksheets/") and n.endswith(".xml"):
            data = package.read(n)
            check_cells(data, path, n)
            uncalculated = uncalculated or _uncalculated(data)
    return uncalculated


def _uncalculated(xml: bytes) -> bool:
    """Whether a sheet's XML may hold a formula without a calculated value: it holds more formulas
    than cells with a formula and a stored value (Excel stores one for every formula it saves).
    Erring on the side of True only costs a second load.

    >>> _uncalculated(b'<c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>""</f><v></v></c>')
    False
    >>> _uncalculated(b'<c r="A1"><f>1+1</f><v>2</v></c><c r="A2"><f>1+2</f><v/></c>')
    True
    """
    formulas = len(_FORMULA_XML.findall(xml))
    if not formulas:
        return False
    calculated = sum(1 for m in _FORMULA_CELL_XML.finditer(xml)
                     if _FORMULA_XML.search(m[2]) and (_TEXT_TYPE.search(m[1]) or _VALUE_XML.search(m[2])))
    return formulas > calculated


def check_cells(xml: bytes, path: Path, part: str) -> None:
    """Refuse a sheet (its XML) holding more cells than the budget ``cells`` before openpyxl loads it:
    the cells it stores, and the cells of its merged ranges (openpyxl makes an object for each)."""
    if len(xml) // 8 > limit("cells"):  # a cell takes at least 8 bytes of XML: count only when it may be over
        count = sum(1 for _ in _CELL_XML.finditer(xml))
        check("cells", count, path, f"{part} holds {count:,} cells")
    if b"mergeCell" in xml:
        merged = 0
        for m in _MERGE_XML.finditer(xml):
            (c1, r1), (c2, r2) = _cell_ref(m[1]), _cell_ref(m[2])
            merged += (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)
        check("cells", merged, path, f"{part} merges {merged:,} cells")


def _cell_ref(ref: bytes) -> tuple[int, int]:
    """(column, row) of ``b"XFD1048576"``."""
    ref = ref.replace(b"$", b"")
    letters = ref.rstrip(b"0123456789")
    column = 0
    for ch in letters.upper():
        column = column * 26 + ch - 64
    return column, int(ref[len(letters):] or 1)


def _first_texts(grid: _Grid, n: int = 6) -> list[str]:
    """The first texts of a sheet (for saying what a workbook holds instead of questions)."""
    texts = (_short(grid.cells[k], 30) for k in sorted(grid.cells))
    return [t for t in texts if t][:n]


# -- reading: finding the table --------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    """What a header cell says: a question (``part`` > 0: a continuation), a name line, or other text."""

    text: str = ""
    question: int | None = None
    part: int = 0
    weak: bool = False  # a bare number such as "9"
    name: bool = False  # heads the pilot names ("Pilot", "Project", "Vraag")

    @property
    def key(self) -> int | str:
        return self.question if self.question is not None else self.text


_EMPTY = _Head()


class _Classifier:
    """Recognises header texts against a template, remembering the texts it has seen."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.labels = {normalize(q.label): q.number for q in template.questions}
        self.seen: dict[str, _Head] = {}

    def __call__(self, text: str) -> _Head:
        if not text.strip():
            return _EMPTY
        if text not in self.seen:
            self.seen[text] = self._classify(text)
        return self.seen[text]

    def _classify(self, text: str) -> _Head:
        base, part = text.strip(), 0
        m = _CONTINUED.search(base)
        if m:
            base, part = base[: m.start()].strip(), int(m.group(1))
        match = self.template.match_question(base, loose=True) if base else None
        number = match.number if match else self._label(base)
        weak = number is not None and bool(_BARE.match(base))
        return _Head(base, number, part, weak, name=not part and bool(_NAME.match(normalize(base))))


    def _label(self, text: str) -> int | None:
        """The question whose short label (``Doel``, ``9. Doel``) this is."""
        m = _NUMBERED.match(text)
        number = self.labels.get(normalize(m.group(2) if m else text))
        return number if m is None or int(m.group(1)) == number else None


def _score(heads: list[_Head]) -> tuple[int, int]:
    """How much a line looks like the header line: (distinct questions - repeats, worded questions)."""
    seen: set[int] = set()
    repeats = worded = 0
    for h in heads:
        if h.question is None or h.part:
            continue
        repeats += h.question in seen
        seen.add(h.question)
        worded += not h.weak
    if not worded and not any(h.name for h in heads):
        return (0, 0)  # bare numbers alone are an id column, not questions
    n = len(seen) - repeats
    return (n, worded) if n >= 2 else (0, 0)


def _find_header(grid: _Grid, classify: _Classifier) -> tuple[_Grid, int] | None:
    """The grid seen from its header line, and that line's position; None when there is none."""
    best = None
    for transposed in (False, True):
        view = replace(grid, transposed=transposed)
        for k in range(min(SCAN, view.width)):
            score = _score([classify(view.at(i, k)) for i in range(view.lines)])
            if score[0] and (best is None or score > best[0]):
                best = (score, view, k)
    return None if best is None else best[1:]


@dataclass
class _Table:
    """A quick-scan table: the header at position ``hc``; lines from ``start`` on are its fields."""

    grid: _Grid
    hc: int
    heads: list[_Head]
    inherited: set[int]  # lines whose header cell is merged into the header of an earlier line
    start: int
    name_line: int | None
    title_line: int | None
    records: list[int]
    aside: set[int]  # positions holding a second header (a "Nr" column beside the questions)


def _table(grid: _Grid, classify: _Classifier) -> _Table | None:
    found = _find_header(grid, classify)
    if found is None:
        return None
    grid, hc = found
    heads: list[_Head] = []
    inherited: set[int] = set()
    for i in range(grid.lines):
        head = classify(grid.at(i, hc))
        top = grid.merged_into(i, hc)
        if head is _EMPTY and top is not None and top[1] == hc and top[0] < i:
            head = heads[top[0]]
            inherited.add(i)
        heads.append(head)
    first_question = next(i for i, h in enumerate(heads) if h.question is not None)
    name_line = next((i for i, h in enumerate(heads) if h.name), None)
    title_line = None
    if name_line is None:  # the records' own header cells: the line before the questions
        title_line = next(
            (i for i in range(first_question - 1, -1, -1)
             if heads[i] is _EMPTY and i not in inherited and _filled(grid, [i], range(hc + 1, grid.width))),
            None,
        )
    start = min(i for i in (first_question, name_line, title_line) if i is not None)
    aside = {j for j in range(min(SCAN, grid.width)) if j != hc and _is_header_like(grid, heads, j, classify)}
    records = [
        j for j in range(hc + 1, grid.width)
        if j not in aside and _filled(grid, range(start, grid.lines), [j])
    ]
    return _Table(grid, hc, heads, inherited, start, name_line, title_line, records, aside)


def _filled(grid: _Grid, lines, positions) -> bool:
    """True when some cell in these lines and positions holds more than white space."""
    return any(grid.at(i, j).strip() for i in lines for j in positions)


def _is_header_like(grid: _Grid, heads: list[_Head], j: int, classify: _Classifier) -> bool:
    """True when position ``j`` repeats the question headers (numbers beside the wording)."""
    cells = [(h.question, grid.at(i, j)) for i, h in enumerate(heads) if h.question is not None and grid.at(i, j)]
    same = sum(classify(text).question == q for q, text in cells)
    return same >= 3 and same * 5 >= len(cells) * 4


# -- reading: records to answer rows --------------------------------------------------------


@dataclass
class _Field:
    """One answer of one record: its header, the texts of its parts, where it starts."""

    head: _Head
    location: str
    parts: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def text(self) -> str:
        """Continuation parts joined as they were split; merged-header lines by a newline."""
        return "".join("\n".join(t for t in self.parts[p] if t) for p in sorted(self.parts))


def _fields(table: _Table, j: int) -> list[_Field]:
    """The answers of record ``j`` in line order."""
    grid, fields, last = table.grid, [], {}
    for i in range(table.start, grid.lines):
        head = table.heads[i]
        if i in (table.name_line, table.title_line) and head.question is None:
            continue
        text = grid.at(i, j)
        if head is _EMPTY and not text:
            continue
        target = last.get(head.key) if (head.part or i in table.inherited) else None
        if target is None:
            target = _Field(head, grid.location(i, j))
            fields.append(target)
            last[head.key] = target
        target.parts[head.part].append(text)
    return fields


def _record_name(table: _Table, j: int, fields: list[_Field], template: Template) -> str:
    """The pilot's name: name line, else the record's header cell, else question 1's answer."""
    grid = table.grid
    if table.name_line is not None:
        text = grid.at(table.name_line, j)
        name = pilot_name(text) if table.heads[table.name_line].question is not None else text.strip()
        if name:
            return name
    if table.title_line is not None and grid.at(table.title_line, j).strip():
        return grid.at(table.title_line, j).strip()
    first = next((f for f in fields if f.head.question == template.pilot_question), None)
    return pilot_name(first.text()) if first else ""


def _sheet_rows(table: _Table, template: Template, wave: str, source: Path) -> tuple[list[dict], list[dict]]:
    """Answer rows of every record of a table, and the problems met."""
    grid, rows, problems = table.grid, [], []
    places: dict[str, str] = {}  # normalized pilot name -> record place
    ids: set[str] = set()
    for j in table.records:
        fields = _fields(table, j)
        place = grid.record_place(j)
        name = _record_name(table, j, fields, template)
        if not name:
            unit = template.unit.singular
            name = f"{unit[:1].upper() + unit[1:]} ({place})"
            problems.append(problem("warning", "W121", source, f"sheet {grid.title}, {place}",
                                    f"no {unit} name found; named it {name!r}"))
        if normalize(name) in places:  # the same pilot twice: keep both, apart
            n = 2
            while normalize(f"{name} ({n})") in places:
                n += 1
            problems.append(problem("warning", "W132", source, f"sheet {grid.title}, {place}",
                                    f"pilot {name!r} is also in {places[normalize(name)]}; read as '{name} ({n})'"))
            name = f"{name} ({n})"
        places[normalize(name)] = place
        ident = pilot_id(name)  # unique within the sheet; combine() gives the final ids
        while ident in ids:
            ident += "+"
        ids.add(ident)
        for f in fields:
            text, q = f.text(), f.head.question
            if q is None and not text:
                continue
            rows.append({
                "pilot_id": ident, "pilot": name, "wave": wave, "question": q,
                "label": template.question(q).label if q is not None else _unmatched_label(f.head.text),
                "answer": text, "source": str(source), "location": f.location,
            })
    return rows, problems + _table_problems(table, source)


def _unmatched_label(header: str) -> str:
    """The header of an unmatched line as its label; ``unmatched`` for none or "Niet toegewezen (n)"."""
    return UNMATCHED if not header or _UNASSIGNED.match(normalize(header)) else header


def _table_problems(table: _Table, source: Path) -> list[dict]:
    """Lines kept as unmatched, and cells outside the table."""
    grid, out = table.grid, []
    kind = "column" if grid.transposed else "row"
    for i in range(table.start, grid.lines):
        head = table.heads[i]
        ours = head.question is not None or head.part or _UNASSIGNED.match(normalize(head.text))
        if ours or i in table.inherited or i in (table.name_line, table.title_line):
            continue
        if any(grid.at(i, j) for j in table.records):
            label = repr(head.text) if head.text else "without a header"
            out.append(problem("info", "I135", source, grid.location(i, table.hc),
                               f"{kind} {label} matches no question; its cells are kept as unmatched"))
    outside = [
        text for (r, c), text in sorted(grid.cells.items())
        for i, j in [grid.coord(r, c)]
        if i < table.start or (j < table.hc and j not in table.aside)
    ]
    if outside:
        out.append(problem("info", "I134", source, f"sheet {grid.title}",
                           f"{len(outside)} cell(s) outside the table ignored (e.g. {_short(outside[0])!r})"))
    return out


def _merge_rows(rows: list[dict], source: Path) -> tuple[list[dict], list[dict]]:
    """One row per pilot and question where sheets (or repeated headers) agree; both where they differ."""
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for row in rows:
        if row["question"] is not None:
            groups[(row["pilot_id"], row["question"])].append(row)
    drop: set[int] = set()
    problems = []
    for (pid, q), group in groups.items():
        if len(group) < 2:
            continue
        keep: dict[str, dict] = {}
        for row in group:
            if row["answer"]:
                keep.setdefault(row["answer"], row)
        kept = list(keep.values()) or group[:1]
        drop |= {id(r) for r in group if all(r is not k for k in kept)}
        if len(kept) > 1:
            places = "; ".join(r["location"] for r in kept)
            problems.append(problem("warning", "W133", source, places,
                                    f"question {q} of pilot {group[0]['pilot']!r} is answered {len(kept)} times; all kept"))
    return [r for r in rows if id(r) not in drop], problems


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- reading: the workbook as a corpus ---------------------------------------------------------


def read_excel(
    path: str | PathLike[str],
    *,
    wave: str | None = None,
    template: Template | None = None,
    sheet: str | None = None,
) -> Corpus:
    """Read a combined workbook (all pilots' answers side by side) into a :class:`Corpus`.

    Pilots may be rows or columns; the header may start anywhere in the first
    :data:`SCAN` rows or columns (see the module docstring). Each sheet holding question
    headers is one wave: ``wave=``, else the wave in the sheet name (``T0``), else in the
    file or folder name, else ``T0`` (with a warning). Other sheets are skipped with a
    note. Headers that match no question (``Opmerkingen``) are kept as unmatched rows
    labelled with the header. ``sheet=`` reads that sheet only.

    Raises :class:`~quickscan.errors.NotAQuickscanForm` when no sheet has question
    headers, and the errors of :func:`~quickscan._package.open_package` for files that
    are not readable workbooks.
    """
    path = Path(path)
    grids, problems = _read_grids(path, sheet)
    return _corpus(grids, problems, path, wave=wave, template=template or default_template())


def _read_grids(path: Path, sheet: str | None) -> tuple[list[_Grid], list[dict]]:
    """Every sheet (or the one named) as a grid of texts, and the problems met reading them."""
    with open_package(path) as package:
        names = package.namelist()
        if not any(n.startswith("xl/") for n in names):
            raise NotAQuickscanForm(path, "not an Excel workbook (the package has no xl/ part)")
        check_not_output(package, path)
        uncalculated = check_workbook(package, path)
    data = path.read_bytes()
    values = _load(data, path, data_only=True)
    formulas = _load(data, path, data_only=False) if uncalculated else None
    try:
        sheets = values.worksheets
        if sheet is not None:
            if sheet not in values.sheetnames:
                raise InputError(path, f"no sheet {sheet!r}; the sheets are {values.sheetnames}")
            sheets = [values[sheet]]
        problems: list[dict] = []
        try:
            grids = [_grid(ws, _formula_cells(formulas[ws.title]) if formulas else {}, path, problems) for ws in sheets]
        except QuickscanError:
            raise
        except Exception as exc:  # noqa: BLE001 - in read-only mode openpyxl parses the sheets only now
            raise CorruptFileError(path, f"cannot read the workbook: {exc}") from exc
        return grids, problems
    finally:
        values.close()
        if formulas is not None:
            formulas.close()


def _corpus(grids: list[_Grid], problems: list[dict], path: Path, *, wave: str | None, template: Template) -> Corpus:
    """The quick-scan tables of the sheets as one corpus, a wave per sheet."""
    classify = _Classifier(template)
    by_wave: dict[str, list[dict]] = {}
    for grid in grids:
        table = _table(grid, classify)
        if table is None:
            problems.append(problem("info", "I130", path, f"sheet {grid.title}", "no question headers; sheet skipped"))
            continue
        sheet_wave = wave or wave_from_name(grid.title) or wave_from_name(path)
        if sheet_wave is None:
            sheet_wave = "T0"
            problems.append(problem("warning", "W120", path, f"sheet {grid.title}",
                                    "no wave in the sheet, file or folder name; assumed T0"))
        rows, sheet_problems = _sheet_rows(table, template, sheet_wave, path)
        by_wave.setdefault(sheet_wave, []).extend(rows)
        problems += sheet_problems
    if not by_wave:
        raise NotAQuickscanForm(path, _what_was_found(grids))
    parts = []
    for rows in by_wave.values():
        rows, merge_problems = _merge_rows(rows, path)
        problems += merge_problems
        parts.append(Corpus.from_answers(rows, template=template))
    return combine([Corpus.from_answers([], problems, template), *parts])


def _what_was_found(grids: list[_Grid]) -> str:
    """``3 sheets, no question headers (found: 'Name', 'Date', ...)``."""
    count = f"{len(grids)} sheet{'s' if len(grids) != 1 else ''}"
    found = list(dict.fromkeys(text for grid in grids for text in _first_texts(grid)))
    if not found:
        return f"{count}, all empty"
    return f"{count}, no question headers (found: {', '.join(map(repr, found[:6]))}{', ...' if len(found) > 6 else ''})"


# -- writing ----------------------------------------------------------------------------------


def to_workbook(corpus: Corpus, *, include_personal: bool = False) -> Workbook:
    """The combined workbook as an openpyxl ``Workbook`` (see :func:`write_excel`)."""
    template = corpus.template
    questions = [q for q in template.questions if include_personal or not q.personal]
    if not include_personal:  # a contact row read into another answer: pseudonymised too
        from .privacy import hide_personal_elsewhere

        corpus = hide_personal_elsewhere(corpus)
    waves = corpus.waves or ("T0",)
    _check_waves(waves)
    wb = Workbook()
    wb.remove(wb.active)
    for wave in waves:
        answers = corpus.answers[corpus.answers["wave"] == wave]
        _write_sheet(wb.create_sheet(wave), _sheet_lines(answers, questions))
    return wb


def write_excel(corpus: Corpus, path: str | PathLike[str], *, include_personal: bool = False) -> Path:
    """Write the combined workbook: one sheet per wave, questions as rows, pilots as columns.

    Row 1 holds ``Vraag`` and the pilot names; column A ``"9. Wat is het doel van de
    pilot?"``. The answers to personal questions of the template are left out unless
    ``include_personal``; so are e-mail addresses, phone numbers and the names beside them
    in other answers (pseudonymised: :func:`quickscan.privacy.hide_personal_elsewhere`).
    Passages that matched no question follow in rows ``Niet
    toegewezen (1)``, ``(2)``, ... Every cell is a text cell, never a formula, whatever it
    starts with (``=``, ``+``, ``-``, ``@``). Control characters are stored as Excel does
    (``_x000B_``) and answers over 32,767 characters continue on ``(vervolg 1)`` rows, so
    :func:`read_excel` gives back exactly what was written, with three exceptions: several
    answers of one pilot to one question are joined by a blank line, an unmatched passage
    without any text is not written (a grid cannot tell it from no passage), and pilot
    names are read back without surrounding white space.

    Raises ``ValueError`` for a wave that is not a valid sheet name read back as that
    wave (``T0``, ``T1``, ...). The file is written to a temporary file in the same
    folder and then moved into place, so a failed write leaves no half-written file.
    """
    path = Path(path)
    wb = to_workbook(corpus, include_personal=include_personal)
    return atomic_write(path, wb.save)


def _check_waves(waves: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for wave in waves:
        if wave_from_name(wave) != wave or len(wave) > 31 or wave.casefold() in seen:
            raise ValueError(
                f"wave {wave!r} cannot be written as a sheet name that reads back as that wave; "
                "name waves T0, T1, ..."
            )
        seen.add(wave.casefold())


def _sheet_lines(answers: pd.DataFrame, questions) -> list[tuple[str, list[str]]]:
    """(header, escaped cell texts) per row of one wave's sheet, the pilot names first."""
    pilots = list(dict.fromkeys(answers["pilot_id"]))
    names = dict(zip(answers["pilot_id"], answers["pilot"]))
    matched: dict[tuple[str, int], list[str]] = defaultdict(list)
    unmatched: dict[str, list[str]] = defaultdict(list)
    for pid, q, text in zip(answers["pilot_id"], answers["question"], answers["answer"]):
        if pd.isna(q):
            if text:
                unmatched[pid].append(text)
        else:
            matched[(pid, int(q))].append(text)
    lines = [(HEADER, [escape(str(names[p])) for p in pilots])]
    for q in questions:
        texts = ["\n\n".join(matched.get((p, q.number), [])) for p in pilots]
        lines += _continued(f"{q.number}. {q.question}", texts)
    for k in range(max(map(len, unmatched.values()), default=0)):
        texts = [unmatched[p][k] if k < len(unmatched[p]) else "" for p in pilots]
        lines += _continued(UNASSIGNED.format(k + 1), texts)
    return lines


def _continued(header: str, texts: list[str]) -> list[tuple[str, list[str]]]:
    """One line of texts, plus ``(vervolg n)`` lines for texts longer than a cell holds."""
    pieces = [split_cells(t) for t in texts]
    n = max(map(len, pieces), default=1)
    return [
        (header + (CONTINUED.format(k) if k else ""), [p[k] if k < len(p) else "" for p in pieces])
        for k in range(n)
    ]


def _write_sheet(ws, lines: list[tuple[str, list[str]]]) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    for r, (header, texts) in enumerate(lines, 1):
        for c, text in enumerate([escape(header), *texts], 1):
            cell = ws.cell(row=r, column=c)
            if _utf16_len(text) > MAX_CELL:
                raise ValueError(f"sheet {ws.title}, cell {cell.coordinate}: text longer than {MAX_CELL} characters")
            cell.value = text
            cell.data_type = "s"  # text, never a formula or an error value, whatever it starts with
            cell.alignment = wrap
            if r == 1 or c == 1:
                cell.font = bold
    ws.column_dimensions["A"].width = 50
    for c in range(2, len(lines[0][1]) + 2):
        ws.column_dimensions[get_column_letter(c)].width = 45
    ws.freeze_panes = "B2"
