"""Workbooks with large sheets: openpyxl lays out the sheets, their bodies are streamed.

openpyxl builds a cell object per cell and takes 15-30 µs a cell to write one; a
``codings`` sheet of 1,500 forms has four million cells. Here the layout of a workbook
(header rows, styles, widths, frozen panes, filters, drop-downs, print set-up, properties)
is an ordinary openpyxl workbook without the body rows; :func:`save` writes it and streams
the body rows of each sheet, a column at a time and a few thousand rows at a time, into
the sheet's ``<sheetData>``. Memory stays that of one block of rows, and every text is an
inline string cell, so a text starting with ``=`` is never a formula.

>>> import io, pandas as pd
>>> from openpyxl import Workbook, load_workbook
>>> wb = Workbook()
>>> wb.active.append(["tekst", "getal"])
>>> bodies = {wb.active.title: [(pd.DataFrame({"t": ["=1+1", "a & b"], "n": pd.array([1, None], "Int64")}), [None, None])]}
>>> buffer = io.BytesIO()
>>> save(wb, bodies, buffer)
>>> [[c.value for c in row] for row in load_workbook(buffer).active.iter_rows()]
[['tekst', 'getal'], ['=1+1', 1], ['a & b', None]]
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from itertools import chain, repeat
from typing import Any

import pandas as pd

from .errors import QuickscanError, QuickscanWarning

__all__ = ["Bodies", "save", "style_id"]

# sheet title -> blocks of body rows, each a frame of cell values (the sheet's columns from A
# on), the style id of each column (None: the default style) and, optionally, the width in
# characters of the columns whose text wraps (column number -> width: the rows are made as
# high as their text needs); the blocks follow the layout's rows
Bodies = dict[str, list[tuple]]

MAX_CELL = 32_767  # characters (UTF-16 code units) in one Excel cell
MAX_ROWS = 1_048_576  # rows of a sheet
_CHUNK = 10_000  # rows streamed at a time
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")  # characters XML 1.0 refuses
_ILLEGAL_BUT_NUL = re.compile(r"[\001-\010\013\014\016-\037]")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')


def style_id(ws, **style: Any) -> int:
    """The style id (``cellXfs`` index) of a cell with ``style`` (``font=``, ``alignment=``,
    ``fill=``, ``border=``) in the workbook of ``ws``, registered there."""
    from openpyxl.cell.cell import Cell

    cell = Cell(ws)  # never placed on the sheet: only its style is registered with the workbook
    for name, value in style.items():
        setattr(cell, name, value)
    return cell.style_id


def save(wb, bodies: Bodies, target, *, compresslevel: int = 1) -> None:
    """Write ``wb`` with the body rows of ``bodies`` to ``target`` (a path or binary file),
    after the rows each sheet holds. Texts longer than a cell holds are cut (see
    :func:`quickscan.review.cell_value`) with one warning per sheet."""
    layout = io.BytesIO()
    wb.save(layout)
    parts = {ws.path.lstrip("/"): ws for ws in wb.worksheets if bodies.get(ws.title)}
    with zipfile.ZipFile(layout) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED,
                                                            compresslevel=compresslevel) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            ws = parts.get(item.filename)
            if ws is None:
                out.writestr(item.filename, data)
                continue
            blocks = bodies[ws.title]
            first = ws.max_row + 1
            last = first + sum(len(block[0]) for block in blocks) - 1
            if last > MAX_ROWS:
                raise QuickscanError(None, f"sheet {ws.title!r}: {last:,} rows, more than a sheet holds ({MAX_ROWS:,})")
            columns = max([ws.max_column, *(block[0].shape[1] for block in blocks)])
            from openpyxl.utils import get_column_letter

            data = _DIMENSION.sub(f'<dimension ref="A1:{get_column_letter(columns)}{last}"/>'.encode(), data, count=1)
            if b"<sheetData/>" in data:
                data = data.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
            head, tail = data.split(b"</sheetData>", 1)
            cut = [0]
            with out.open(item.filename, "w", force_zip64=True) as part:
                part.write(head)
                row = first
                for frame, styles, *wrap in blocks:
                    for text in _rows(frame, styles, row, cut, *wrap):
                        part.write(text.encode("utf-8"))
                    row += len(frame)
                part.write(b"</sheetData>" + tail)
            if cut[0]:
                warnings.warn(QuickscanWarning(
                    f"sheet {ws.title!r}: {cut[0]} text(s) longer than an Excel cell holds ({MAX_CELL:,} characters) "
                    f"were cut and end in '[afgekapt: ... tekens]'; the full text stays in the codings (codings.csv)"),
                    stacklevel=3)


def _rows(frame: pd.DataFrame, styles: Sequence[int | None], first: int, cut: list[int],
          wrap: dict[int, float] | None = None) -> Iterator[str]:
    """The ``<row>`` elements of ``frame`` from row ``first`` on, a block of rows at a time.

    A row carries its number, a cell none (it is the next in its row: ``r`` is optional in
    ECMA-376 Part 1, 18.3.1.4; Excel, LibreOffice and openpyxl read it so), so that a cell is
    the rendering of its value, made once per distinct value of a column.
    """
    for start in range(0, len(frame), _CHUNK):
        part = frame.iloc[start:start + _CHUNK]
        numbers = range(first + start, first + start + len(part))
        lines = [1] * len(part)
        columns = []
        for j in range(part.shape[1]):
            cells, own = _cells(part.iloc[:, j], styles[j] if j < len(styles) else None, cut, (wrap or {}).get(j))
            columns.append(cells)
            if own is not None:
                lines = list(map(max, lines, own))
        starts = [f'<row r="{n}" ht="{min(15 * k, 409)}" customHeight="1">' if k > 1 else f'<row r="{n}">'
                  for n, k in zip(numbers, lines)]
        yield "".join(chain.from_iterable(zip(starts, *columns, repeat("</row>", len(part)))))


def _cells(values: pd.Series, style: int | None, cut: list[int], width: float | None = None):
    """The ``<c>`` elements of one column, each distinct value rendered once (an empty cell
    is an empty element with the column's style), and with a ``width`` the lines each cell's
    text takes wrapped in a column so wide (a line as many characters as the column is wide)."""
    s = f' s="{style}"' if style else ""
    values = values.tolist()
    distinct = list(dict.fromkeys(values))
    texts = [v for v in distinct if v.__class__ is str and v]
    rendered = dict(zip(texts, (f'<c{s} t="inlineStr"><is><t xml:space="preserve">{t}</t></is></c>'
                                if t[0].isspace() or t[-1].isspace() else f'<c{s} t="inlineStr"><is><t>{t}</t></is></c>'
                                for t in _texts(texts, cut))))
    for v in distinct:
        if v not in rendered:
            rendered[v] = _value(v, s, cut)
    cells = list(map(rendered.__getitem__, values))
    if width is None:
        return cells, None
    room = max(width - 1, 1)
    lines = {t: -(-len(t) // room) + t.count("\n") for t in texts}
    return cells, [lines.get(v, 1) if v.__class__ is str else 1 for v in values]


def _value(v: Any, s: str, cut: list[int]) -> str:
    """The ``<c>`` element of a cell holding ``v`` (an empty one for missing or empty text)."""
    if hasattr(v, "item"):  # a NumPy number
        v = v.item()
    if v is None or v is pd.NA or v == "" or v != v:  # missing, empty text or NaN
        return f"<c{s}/>"
    if isinstance(v, bool):
        return f'<c{s} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return f"<c{s}><v>{v!r}</v></c>" if v == v and abs(v) != float("inf") else f"<c{s}/>"
    return f'<c{s} t="inlineStr"><is>{_text(v if isinstance(v, str) else str(v), cut)}</is></c>'


def _texts(texts: list[str], cut: list[int]) -> list[str]:
    """:func:`_escape` of every text: done on all of them joined by a NUL (which no text
    keeps), then split again; one by one when a text holds a NUL or is long."""
    out = "\0".join(texts)
    if _ILLEGAL_BUT_NUL.search(out):
        out = _ILLEGAL_BUT_NUL.sub("", out)
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;").split("\0")
    if len(out) != len(texts) or max(map(len, texts), default=0) > MAX_CELL // 2:
        return [_escape(t, cut) for t in texts]
    return out


def _text(value: str, cut: list[int]) -> str:
    """The ``<t>`` element of an inline string."""
    value = _escape(value, cut)
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


def _escape(value: str, cut: list[int]) -> str:
    """A text escaped for XML, without the characters XML refuses, cut to fit a cell (counted in ``cut``)."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    if len(value) > MAX_CELL // 2:
        from .review import _fit

        fitted = _fit(value)
        cut[0] += fitted is not value
        value = fitted
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;")  # kept as a character reference: a bare one is read back as a line feed
