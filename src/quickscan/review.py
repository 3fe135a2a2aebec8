"""Researcher review of codings: an Excel sheet to accept, reject or add, and applying it.

The loop: :func:`write_review_sheet` writes one row per coding; researchers fill in
*decision* (``accept`` / ``reject`` / ``add``, a drop-down list), *coder*, *decided_at* and
*comment*, and may add rows of their own (decision ``add``, a code, pilot, wave, question,
evidence). :func:`read_review_sheet` reads the decisions back; :func:`apply_review` applies
them to a (re-)coded data set. Researcher decisions always win over the rules.

Decisions are keyed by the coding's ``segment_id`` (see
:func:`quickscan.coding.segment_id`): pilot, wave, question, the sentence and the code,
not the pattern. A decision therefore survives re-coding after a codebook edit. When the
answer itself was edited so that the sentence changed, the decision is re-anchored to the
most similar sentence of the same pilot, wave and code; a decision that cannot be placed
is reported, never dropped.

>>> import pandas as pd
>>> codings = pd.DataFrame({"pilot_id": ["a"], "wave": ["T0"], "question": [9], "code": ["wonen"],
...     "family": ["basisset"], "start": [0], "end": [5], "evidence": ["Een woning."],
...     "negated": [False], "valence": [None], "source": ["rule"], "pattern": ["wonen:1"],
...     "segment_id": ["s1"]})
>>> decisions = pd.DataFrame({"segment_id": ["s1"], "decision": ["reject"], "code": ["wonen"]})
>>> reviewed, report = apply_review(codings, decisions)
>>> reviewed["decision"].tolist(), report["status"].tolist()
(['rejected'], ['applied'])
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .coding import CODING_COLUMNS, fold, segment_id
from ._io import atomic_write
from .errors import QuickscanError, ReviewError

__all__ = [
    "REVIEW_COLUMNS",
    "DECISION_COLUMNS",
    "REPORT_COLUMNS",
    "DECISIONS",
    "to_review_workbook",
    "add_review_sheet",
    "append_rows",
    "cell_value",
    "write_review_sheet",
    "read_review_sheet",
    "apply_review",
]

REVIEW_COLUMNS = [
    "segment_id", "pilot", "wave", "question", "code", "label", "evidence", "negated", "source", "probability",
    "decision", "coder", "decided_at", "comment",
]
RESEARCHER_COLUMNS = ("decision", "coder", "decided_at", "comment")
DECISION_COLUMNS = [
    "segment_id", "pilot_id", "wave", "question", "code", "decision", "coder", "decided_at", "comment",
    "evidence", "family", "row",
]
REPORT_COLUMNS = ["segment_id", "pilot_id", "wave", "question", "code", "decision", "status", "message", "placed_at"]
DECISIONS = ("accept", "reject", "add")
_ALIASES = {
    "accept": "accept", "accepted": "accept", "accepteer": "accept", "accepteren": "accept", "ja": "accept",
    "reject": "reject", "rejected": "reject", "afwijzen": "reject", "afgewezen": "reject", "nee": "reject",
    "add": "add", "added": "add", "toevoegen": "add", "toegevoegd": "add",
}
_RESULT = {"accept": "accepted", "reject": "rejected", "add": "added"}
SHEET = "review"
LISTS = "lists"
EXTRA_ROWS = 200  # empty rows with drop-down lists, for codings the researcher adds
_FILL = "FFF2CC"  # researcher columns: light yellow
_WIDTHS = {"segment_id": 14, "pilot": 28, "wave": 6, "question": 8, "code": 24, "label": 28, "evidence": 80,
           "negated": 8, "source": 10, "probability": 10, "decision": 10, "coder": 14, "decided_at": 18, "comment": 40}


# -- writing -------------------------------------------------------------------------------


def to_review_workbook(codings: pd.DataFrame, *, corpus=None, codebook=None):
    """The review workbook as an ``openpyxl.Workbook`` (the pure twin of :func:`write_review_sheet`).

    Sheet ``review``: one row per coding, then empty rows for additions. Sheet ``lists``
    (hidden): the decisions, the codes (id, label, family) and the pilots (name, id) behind
    the drop-down lists. See :func:`add_review_sheet`.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    add_review_sheet(wb, codings, corpus=corpus, codebook=codebook)
    wb.properties.creator = "quickscan"
    wb.properties.title = "quickscan review"
    return wb


def add_review_sheet(wb, codings: pd.DataFrame, *, corpus=None, codebook=None):
    """Add the sheets ``review`` and (hidden) ``lists`` to a workbook; returns the review sheet.

    One row per coding: segment id, pilot, wave, question, code, label, evidence, negated,
    source (``rule``, ``model`` for a learned suggestion, ``researcher``), probability (of a
    suggestion), then the researcher columns (decision, coder, decided_at, comment), light
    yellow, with drop-down lists for decision, code and pilot, also on empty rows for
    codings the researcher adds. A reviewed data set shows the decisions taken. Text is
    always a text cell, never a formula.

    >>> from openpyxl import Workbook
    >>> from quickscan.coding import CODING_COLUMNS
    >>> wb = Workbook()
    >>> ws = add_review_sheet(wb, pd.DataFrame(columns=CODING_COLUMNS))
    >>> [c.value for c in ws[1]][:4], wb["lists"].sheet_state
    (['segment_id', 'pilot', 'wave', 'question'], 'hidden')
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    codebook = codebook or _default_codebook()
    labels, families = _code_tables(codings, codebook)
    names = _pilot_names(codings, corpus)
    ws = wb.create_sheet(SHEET)
    ws.append(REVIEW_COLUMNS)
    decided = {v: k for k, v in _RESULT.items()}
    n = len(codings)
    column = {
        "segment_id": codings["segment_id"].tolist(),
        "pilot": [names.get(p, p) for p in codings["pilot_id"]],
        "wave": codings["wave"].tolist(),
        "question": [None if pd.isna(q) else int(q) for q in codings["question"]],
        "code": codings["code"].tolist(),
        "label": [labels.get(c, "") for c in codings["code"]],
        "evidence": codings["evidence"].tolist(),
        "negated": [bool(v) for v in codings["negated"]],
        "source": codings["source"].tolist(),
        "probability": _probabilities(codings),
        "decision": [decided.get(d) for d in codings["decision"]] if "decision" in codings else [None] * n,
    }
    rows = zip(*(column.get(c, [None] * n) for c in REVIEW_COLUMNS))
    append_rows(ws, rows)
    last = ws.max_row + EXTRA_ROWS

    lists = wb.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    lists.append(["decision", "code", "label", "family", "pilot", "pilot_id"])
    codes = list(labels)
    pilots = list(names.items())
    append_rows(lists, ([
        DECISIONS[i] if i < len(DECISIONS) else None,
        codes[i] if i < len(codes) else None,
        labels[codes[i]] if i < len(codes) else None,
        families.get(codes[i]) if i < len(codes) else None,
        pilots[i][1] if i < len(pilots) else None,
        pilots[i][0] if i < len(pilots) else None,
    ] for i in range(max(len(DECISIONS), len(codes), len(pilots)))))

    col = {name: _letter(i) for i, name in enumerate(REVIEW_COLUMNS)}
    for name, source, count, message in (
        ("decision", "A", len(DECISIONS), "Kies accept, reject of add."),
        ("code", "B", len(codes), "Kies een code uit het codeboek."),
        ("pilot", "E", len(pilots), f"Kies een {corpus.template.unit.singular if corpus is not None else 'naam'}."),
    ):
        if not count:
            continue
        dv = DataValidation(
            type="list", formula1=f"={LISTS}!${source}$2:${source}${count + 1}", allow_blank=True,
            showErrorMessage=True, errorTitle="Onbekende waarde", error=message,
        )
        ws.add_data_validation(dv)
        dv.add(f"{col[name]}2:{col[name]}{last}")

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=_FILL)
    for i, name in enumerate(REVIEW_COLUMNS, start=1):
        ws.cell(row=1, column=i).font = bold
        dimension = ws.column_dimensions[_letter(i - 1)]
        dimension.width = _WIDTHS.get(name, 12)
        if name in RESEARCHER_COLUMNS:
            # empty cells take the column's style; only the cells written need their own
            dimension.fill = fill
            for cell in ws[col[name]]:
                if cell.value is not None or cell.row == 1:
                    cell.fill = fill
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in ws[col["evidence"]][1:]:
        cell.alignment = wrap
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{_letter(len(REVIEW_COLUMNS) - 1)}{max(ws.max_row, 2)}"
    return ws


def _probabilities(codings: pd.DataFrame) -> list[float | None]:
    """The probability of a learned suggestion, rounded for reading; None for other codings."""
    if "probability" not in codings:
        return [None] * len(codings)
    return [None if pd.isna(p) else round(float(p), 3) for p in codings["probability"]]


def append_rows(ws, rows: Iterable[Iterable[Any]]) -> None:
    """Append rows of values to a sheet (see :func:`cell_value`); text is always a text
    cell, never a formula.

    openpyxl turns text starting with ``=`` into a formula and ``#N/A`` into an error
    value; only those cells are set back to text (checking every cell would cost more
    than writing it).

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> append_rows(ws, [["=1+1", "#N/A", "tekst", float("nan")]])
    >>> [c.data_type for c in ws[1]], ws["D1"].value
    (['s', 's', 's', 'n'], None)
    """
    from openpyxl.cell.cell import ERROR_CODES

    for values in rows:
        values = [cell_value(v) for v in values]
        ws.append(values)
        row = ws._current_row  # the row append wrote (ws.max_row would scan every cell)
        for j, value in enumerate(values, start=1):
            if isinstance(value, str) and (value[:1] == "=" or value in ERROR_CODES):
                ws.cell(row, j).data_type = "s"


def write_review_sheet(codings: pd.DataFrame, path: str | PathLike[str], *, corpus=None, codebook=None) -> Path:
    """Write the review sheet for ``codings`` to ``path`` (.xlsx), atomically.

    One row per coding (segment_id, pilot, wave, question, code, label, evidence, negated,
    source) and the researcher columns decision, coder, decided_at and comment
    (highlighted; decision and code with drop-down lists). Researchers may add rows below:
    decision ``add``, a code, the pilot, wave, question and the evidence. The file is
    written to a temporary file next to ``path`` and then moved into place, so an existing
    sheet is never left half-written. Pilot names come from ``corpus``, code labels from
    ``codebook`` (default: the bundled codebook).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from quickscan.coding import CODING_COLUMNS
    >>> empty = pd.DataFrame(columns=CODING_COLUMNS)
    >>> path = write_review_sheet(empty, pathlib.Path(tempfile.mkdtemp()) / "review.xlsx")
    >>> read_review_sheet(path).empty
    True
    """
    path = Path(path)
    wb = to_review_workbook(codings, corpus=corpus, codebook=codebook)
    return atomic_write(path, wb.save)


def cell_value(value: Any) -> Any:
    """A value as a cell takes it: None for missing, text without the characters Excel
    refuses, Python numbers for NumPy ones. (Called once per cell: nothing imported here.)"""
    if isinstance(value, str):
        return _ILLEGAL_CHARACTERS.sub("", value)
    if value is None or pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # openpyxl's ILLEGAL_CHARACTERS_RE


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _default_codebook():
    from .codebook import default_codebook

    try:
        return default_codebook()
    except QuickscanError:
        return None


def _code_tables(codings: pd.DataFrame, codebook) -> tuple[dict[str, str], dict[str, str]]:
    """Code id -> label and code id -> family: the codebook's codes, then any others in the codings."""
    labels: dict[str, str] = {}
    families: dict[str, str] = {}
    if codebook is not None:
        for c in codebook.codes:
            labels[c.id], families[c.id] = c.label, c.family
    for code, family in zip(codings.get("code", ()), codings.get("family", ())):
        labels.setdefault(code, "")
        families.setdefault(code, family)
    return labels, families


def _pilot_names(codings: pd.DataFrame, corpus) -> dict[str, str]:
    """Pilot id -> name (from the corpus; the id where unknown), in report order."""
    names: dict[str, str] = {}
    if corpus is not None:
        answers = getattr(corpus, "answers", corpus)
        names.update(zip(answers["pilot_id"], answers["pilot"]))
    for pid in codings.get("pilot_id", ()):
        names.setdefault(pid, pid)
    return names


# -- reading -------------------------------------------------------------------------------


def read_review_sheet(path: str | PathLike[str]) -> pd.DataFrame:
    """The researcher decisions of a filled-in review sheet.

    Columns: segment_id, pilot_id, wave, question, code, decision (accept / reject / add),
    coder, decided_at, comment, evidence, and two helpers: family (of the code, from the
    sheet's code list) and row (the sheet row, for messages). Rows
    without a decision are not decisions and are skipped. The coder and the time come from
    the *coder* and *decided_at* columns where filled in; otherwise from the workbook
    properties: *last modified by* (Excel fills in the user's name when saving) and
    *modified* (the time of the last save, UTC). A row the researcher added (decision
    ``add``) gets a segment id computed like a rule coding's.

    Raises :class:`~quickscan.errors.ReviewError` naming the file and the row for an
    unknown decision, an unknown code, a new row without a pilot or code, an
    accept/reject without a segment id, or a question that is not a number.
    """
    from openpyxl import load_workbook

    from ._package import open_package
    from ._xlsx import check_workbook

    path = Path(path)
    try:
        with open_package(path) as package:
            check_workbook(package, path)
        with warnings.catch_warnings():
            # Excel stores drop-down lists that refer to another sheet as an extension that
            # openpyxl does not read; only the values matter here
            warnings.filterwarnings("ignore", message=".*extension is not supported", category=UserWarning)
            wb = load_workbook(path, data_only=True)
    except QuickscanError as exc:
        raise ReviewError(path, exc.message) from exc
    except (OSError, KeyError, ValueError) as exc:
        raise ReviewError(path, f"cannot read the review workbook: {exc}") from exc
    return _read_decisions(wb, path)


def _read_decisions(wb, path: Path) -> pd.DataFrame:
    from .corpus import pilot_id as slug

    from ._xlsx import present_rows

    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    rows = present_rows(ws)  # the rows the sheet holds, never the empty cells of its range
    first = next(rows, (1, ()))
    header = [str(h).strip().lower() if h is not None else "" for h in (first[1] if first[0] == 1 else ())]
    missing = [c for c in ("segment_id", "code", "decision") if c not in header]
    if missing:
        raise ReviewError(path, f"not a review sheet: no column(s) {missing}", place=f"sheet {ws.title!r}, row 1")
    at = {name: header.index(name) for name in header if name}

    families, pilot_ids = _lists(wb)
    default_coder = wb.properties.lastModifiedBy or None
    default_time = wb.properties.modified
    waves = {str(r[at["wave"]]).strip() for _, r in present_rows(ws, min_row=2)
             if "wave" in at and at["wave"] < len(r) and r[at["wave"]] not in (None, "")}

    out = []
    for n, values in rows:
        row = {name: values[i] if i < len(values) else None for name, i in at.items()}
        if all(v in (None, "") for v in row.values()):
            continue
        place = f"sheet {ws.title!r}, row {n}"
        decision = _text(row.get("decision")).lower()
        if not decision:
            if not _text(row.get("segment_id")) and (_text(row.get("code")) or _text(row.get("evidence"))):
                raise ReviewError(path, "a new row needs decision 'add'", place=place)
            continue
        if decision not in _ALIASES:
            raise ReviewError(path, f"unknown decision {decision!r}; use one of {list(DECISIONS)}", place=place)
        decision = _ALIASES[decision]
        code = _text(row.get("code"))
        if not code:
            raise ReviewError(path, f"decision {decision!r} without a code", place=place)
        if families and code not in families:
            raise ReviewError(path, f"unknown code {code!r}: not in the codebook of this sheet", place=place)
        pilot = _text(row.get("pilot"))
        pid = pilot_ids.get(pilot) or (slug(pilot) if pilot else "")
        wave = _text(row.get("wave")) or (next(iter(waves)) if len(waves) == 1 else "")
        question = _question(row.get("question"), path, place)
        evidence = _text(row.get("evidence"))
        seg = _text(row.get("segment_id"))
        if decision == "add":
            if not pid or not wave:
                raise ReviewError(path, "a coding added by hand needs a pilot and a wave", place=place)
            seg = seg or segment_id(pid, wave, question, evidence, code)
        elif not seg:
            raise ReviewError(
                path, f"{decision!r} needs the segment_id of a coding; use 'add' for a new coding", place=place
            )
        out.append({
            "segment_id": seg, "pilot_id": pid, "wave": wave, "question": question, "code": code,
            "decision": decision, "coder": _text(row.get("coder")) or default_coder,
            "decided_at": _time(row.get("decided_at")) or default_time, "comment": _text(row.get("comment")),
            "evidence": evidence, "family": families.get(code), "row": n,
        })
    frame = pd.DataFrame(out, columns=DECISION_COLUMNS)
    frame["question"] = frame["question"].astype("Int64")
    frame["decided_at"] = pd.to_datetime(frame["decided_at"])
    return frame


def _lists(wb) -> tuple[dict[str, str | None], dict[str, str]]:
    """Code -> family and pilot name -> id from the hidden lists sheet (empty without one)."""
    if LISTS not in wb.sheetnames:
        return {}, {}
    from ._xlsx import present_rows

    rows = [values for _, values in present_rows(wb[LISTS], min_row=2)]
    codes = {str(r[1]): (str(r[3]) if len(r) > 3 and r[3] else None) for r in rows if len(r) > 1 and r[1] is not None}
    pilots = {str(r[4]): str(r[5]) for r in rows if len(r) > 5 and r[4] is not None and r[5] is not None}
    pilots.update({v: v for v in list(pilots.values())})  # the id itself also names the pilot
    return codes, pilots


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _question(value: Any, path: Path, place: str) -> int | None:
    text = _text(value)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ReviewError(path, f"question must be a number, not {text!r}", place=place) from None


def _time(value: Any) -> datetime | None:
    """A cell's time: a date cell, an ISO text, or a Dutch day-first text (4-5-2020 10:30)."""
    if isinstance(value, datetime):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas: "could not infer format"
        stamp = pd.to_datetime(text, errors="coerce", dayfirst=True)
    return None if pd.isna(stamp) else stamp.to_pydatetime()


# -- applying ------------------------------------------------------------------------------


def apply_review(
    codings: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    corpus=None,
    codebook=None,
    threshold: float = 85,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply researcher decisions to codings; the researcher always wins over the rules.

    * ``reject``: the coding stays, with ``decision`` "rejected" (and no longer counts, see
      :func:`quickscan.coding.present`);
    * ``accept``: "accepted" - it counts, also when negated; when the rules no longer find
      it, it is put back (``source`` "researcher") on the most similar sentence of the
      answers in ``corpus``;
    * ``add``: a new coding with ``source`` "researcher" and decision "added" (offsets from
      ``corpus`` when the evidence is found there). A coding added to a fact family
      (status, bereik) replaces the rule's coding of that family for the pilot and wave.

    Decisions find their coding by ``segment_id``. When that id no longer exists (the answer
    was edited), the decision is re-anchored to the coding of the same pilot, wave and code
    whose sentence is most similar (``rapidfuzz`` ratio >= ``threshold`` on folded text).
    The last decision per segment (by decided_at, then row) wins.

    Returns
    -------
    (codings, report)
        The codings with a ``decision`` column (accepted / rejected / added / None), and
        one report row per decision: status ``applied``, ``re-anchored``, ``added``,
        ``recoded`` (an accept with another code than the rule's: the rule's coding is
        rejected and the researcher's code added on the same sentence),
        ``superseded`` (a later decision on the same segment won), ``obsolete`` (a reject
        of a coding the rules no longer produce) or ``unplaced`` (an accept whose sentence
        can no longer be found: it is *not* applied), with a message and ``placed_at``,
        the segment id it was applied to.
    """
    result = codings.copy()
    result["decision"] = pd.Series([None] * len(result), index=result.index, dtype=object)
    report: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    if decisions is None or decisions.empty:
        return _ordered(result, codings, added), pd.DataFrame(report, columns=REPORT_COLUMNS)
    decisions = decisions.reindex(columns=DECISION_COLUMNS)
    order = decisions.assign(_t=pd.to_datetime(decisions["decided_at"]), _n=range(len(decisions)))
    order = order.sort_values(["_t", "_n"], kind="stable", na_position="first")
    latest = set(order.drop_duplicates("segment_id", keep="last")["_n"])
    families = _families(codings, codebook)
    facts = _fact_families(codebook)
    by_segment: dict[str, list[int]] = {}
    for index, seg in zip(result.index, result["segment_id"]):
        by_segment.setdefault(seg, []).append(index)

    for d in order.rename(columns={"_n": "n"}).itertuples(index=False):
        line = {"segment_id": d.segment_id, "pilot_id": d.pilot_id, "wave": d.wave, "question": d.question,
                "code": d.code, "decision": d.decision, "placed_at": None}
        if d.n not in latest:
            report.append({**line, "status": "superseded", "message": "a later decision on this segment wins"})
            continue
        target = by_segment.get(d.segment_id)
        if target and d.decision == "accept" and result.at[target[0], "code"] != d.code:
            # the researcher changed the code of a coding: the rule's code is rejected
            old = result.loc[target[0]]
            result.loc[target, "decision"] = "rejected"
            row = {**old.to_dict(), "code": d.code, "family": _text(d.family) or families.get(d.code),
                   "source": "researcher", "pattern": None, "negated": False, "valence": None, "decision": "added",
                   "segment_id": segment_id(d.pilot_id, d.wave, old["question"], old["evidence"], d.code)}
            added.append(row)
            report.append({**line, "status": "recoded", "placed_at": row["segment_id"],
                           "message": f"code {old['code']!r} replaced by {d.code!r}"})
            continue
        if target:
            result.loc[target, "decision"] = "accepted" if d.decision == "add" else _RESULT[d.decision]
            note = "the rules find this coding too" if d.decision == "add" else ""
            report.append({**line, "status": "applied", "message": note, "placed_at": d.segment_id})
            if d.decision == "add":
                _supersede_fact(result, d, families, facts, keep=target, report=report)
            continue
        if d.decision == "add":
            row = _new_coding(d, _text(d.family) or families.get(d.code), corpus, threshold)
            added.append(row)
            message = "" if row["start"] is not None or corpus is None else "evidence not found in the answer"
            report.append({**line, "status": "added", "message": message, "placed_at": row["segment_id"]})
            _supersede_fact(result, d, families, facts, keep=[], report=report)
            continue
        index, score = _similar_coding(result, d, threshold)
        if index is not None:
            result.loc[index, "decision"] = _RESULT[d.decision]
            new = result.at[index, "segment_id"]
            report.append({**line, "status": "re-anchored", "placed_at": new,
                           "message": f"segment {d.segment_id} not found; applied to {new} (similarity {score:.0f})"})
            continue
        if d.decision == "reject":
            report.append({**line, "status": "obsolete",
                           "message": "the rules no longer produce this coding: nothing to reject"})
            continue
        row = _new_coding(d, _text(d.family) or families.get(d.code), corpus, threshold, must_find=True)
        if row is not None:
            row["decision"] = "accepted"
            added.append(row)
            report.append({**line, "status": "re-anchored", "placed_at": row["segment_id"],
                           "message": "the rules no longer find this coding; kept by the researcher's accept"})
        else:
            where = "in the corpus" if corpus is not None else "(pass corpus= to search the answers)"
            report.append({**line, "status": "unplaced",
                           "message": f"segment {d.segment_id} and its sentence are no longer found {where}"})
    return _ordered(result, codings, added), pd.DataFrame(report, columns=REPORT_COLUMNS)


def _families(codings: pd.DataFrame, codebook) -> dict[str, str]:
    families = dict(zip(codings.get("code", ()), codings.get("family", ())))
    codebook = codebook or _default_codebook()
    if codebook is not None:
        for c in codebook.codes:
            families.setdefault(c.id, c.family)
    return families


def _fact_families(codebook) -> set[str]:
    codebook = codebook or _default_codebook()
    return {f.id for f in codebook.families if f.kind == "fact"} if codebook is not None else set()


def _supersede_fact(result: pd.DataFrame, d, families, facts, *, keep, report) -> None:
    """A researcher's code in a fact family replaces the rule's code of that family."""
    family = _text(d.family) or families.get(d.code)
    if family not in facts:
        return
    same = (
        (result["pilot_id"] == d.pilot_id) & (result["wave"] == d.wave) & (result["family"] == family)
        & result["decision"].isna() & ~result.index.isin(keep)
    )
    for index in result.index[same]:
        result.at[index, "decision"] = "rejected"
        report.append({
            "segment_id": result.at[index, "segment_id"], "pilot_id": d.pilot_id, "wave": d.wave,
            "question": result.at[index, "question"], "code": result.at[index, "code"], "decision": "reject",
            "status": "applied", "placed_at": result.at[index, "segment_id"],
            "message": f"fact family {family!r}: replaced by the researcher's {d.code!r}",
        })


def _similar_coding(result: pd.DataFrame, d, threshold: float) -> tuple[Any, float]:
    """The coding of the same pilot, wave and code whose sentence is most like the decision's."""
    from rapidfuzz.fuzz import ratio

    same = result[(result["pilot_id"] == d.pilot_id) & (result["wave"] == d.wave) & (result["code"] == d.code)]
    same = same[same["decision"].isna()]
    if same.empty or not isinstance(d.evidence, str):
        return None, 0.0
    target = fold(d.evidence)
    scored = [
        (ratio(target, fold(e)) + (1 if _same(q, d.question) else 0), i)
        for i, e, q in zip(same.index, same["evidence"], same["question"])
    ]
    score, index = max(scored)
    return (index, min(score, 100)) if score >= threshold else (None, 0.0)


def _same(a: Any, b: Any) -> bool:
    """Equal question numbers, <NA> equal to <NA>."""
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return int(a) == int(b)


def _new_coding(d, family, corpus, threshold: float, *, must_find: bool = False) -> dict[str, Any] | None:
    """A coding made by the researcher, placed on its sentence in the corpus where found."""
    evidence = d.evidence if isinstance(d.evidence, str) else ""
    question = None if pd.isna(d.question) else int(d.question)
    place = _find_sentence(corpus, d.pilot_id, d.wave, question, evidence, threshold) if corpus is not None else None
    if place is None and must_find:
        return None
    start = end = None
    seg = d.segment_id
    if place is not None:
        question, start, end, found = place
        if must_find:  # re-anchored: the coding now sits on the new sentence
            evidence, seg = found, segment_id(d.pilot_id, d.wave, question, found, d.code)
    return {
        "pilot_id": d.pilot_id, "wave": d.wave, "question": question, "code": d.code, "family": family,
        "start": start, "end": end, "evidence": evidence, "negated": False, "valence": None,
        "source": "researcher", "pattern": None, "segment_id": seg, "decision": "added",
    }


def _find_sentence(corpus, pilot_id, wave, question, evidence, threshold):
    """(question, start, end, sentence) of the sentence most like ``evidence`` in the pilot's
    answers, preferring the given question; None when nothing is similar enough."""
    from rapidfuzz.fuzz import ratio

    from .coding import sentences

    if not evidence.strip():
        return None
    answers = getattr(corpus, "answers", corpus)
    rows = answers[(answers["pilot_id"] == pilot_id) & (answers["wave"] == wave)]
    target = fold(evidence)
    best = None
    for q, text in zip(rows["question"], rows["answer"]):
        q = None if pd.isna(q) else int(q)
        if not isinstance(text, str) or not text.strip():
            continue
        for start, end, sentence in sentences(text):
            score = ratio(target, fold(sentence)) + (1 if q == question else 0)
            if best is None or score > best[0]:
                best = (score, q, start, end, sentence)
    if best is None or best[0] < threshold:
        return None
    return best[1:]


def _ordered(result: pd.DataFrame, codings: pd.DataFrame, added: list[dict[str, Any]]) -> pd.DataFrame:
    """The reviewed codings, added ones put among the others by wave, pilot, question and offset."""
    if not added:
        return result.reset_index(drop=True)
    extra = pd.DataFrame(added, columns=[*CODING_COLUMNS, "decision"]).astype({"negated": bool})
    result = pd.concat([result, extra], ignore_index=True) if len(result) else extra
    rank = {c: {v: i for i, v in enumerate(dict.fromkeys(result[c]))} for c in ("wave", "pilot_id")}
    keys = result.assign(
        _w=result["wave"].map(rank["wave"]), _p=result["pilot_id"].map(rank["pilot_id"]),
        _q=result["question"].astype("Float64").fillna(1e9), _s=result["start"].astype("Float64").fillna(-1),
    )
    result = result.loc[keys.sort_values(["_w", "_p", "_q", "_s"], kind="stable").index]
    result = result.astype({"question": "Int64", "start": "Int64", "end": "Int64", "negated": bool})
    return result.reset_index(drop=True)
