"""Researcher review of codings: an Excel workbook to accept, reject or add, and applying it.

The loop: :func:`write_review_sheet` writes the review workbook. By default it has one row
per *cell* of the report tables (pilot x wave x code: is this ``X`` right?), one sheet per
family, with the strongest evidence sentences, how many sentences matched, whether a
mention was negated and a confidence score (:mod:`quickscan.confidence`), the least
certain cells of each pilot first. Researchers fill in *decision* (``accept`` /
``reject``; ``add`` on a row they add for a code the rules missed, with an optional quote)
and *comment*, and their name once in the ``reviewer`` cell of the first sheet.
:func:`read_review_sheet` reads the decisions back and :func:`apply_review` applies them
to a (re-)coded data set. Researcher decisions always win over the rules.

A cell decision is keyed by its ``cell_id`` (pilot, wave and code: see :func:`cell_id`),
so it survives re-coding after a codebook or form edit; a decision whose pilot or code no
longer exists is reported as conflicting, never dropped. ``level="segment"`` writes the
older sheet with one row per coding (sentence); such sheets still read, keyed by the
coding's ``segment_id`` (see :func:`quickscan.coding.segment_id`), re-anchored to the most
similar sentence when the answer was edited.

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

import hashlib
import re
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .coding import CODING_COLUMNS, fold, segment_id
from ._io import atomic_write
from .errors import QuickscanError, QuickscanWarning, ReviewError

__all__ = [
    "CELL_COLUMNS",
    "CELL_SHEET_COLUMNS",
    "REVIEW_COLUMNS",
    "OUTCOMES",
    "cell_id",
    "review_cells",
    "review_outcomes",
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
CELL_COLUMNS = [
    "cell_id", "family", "nr", "pilot_id", "pilot", "wave", "code", "label", "evidence", "matches", "negated",
    "confidence", "state", "decision", "reviewer", "comment",
]
CELL_SHEET_COLUMNS = [
    "cell_id", "pilot", "wave", "code", "label", "evidence", "matches", "negated", "confidence", "state",
    "decision", "comment",
]
CELL_RESEARCHER_COLUMNS = ("decision", "comment")
DECISION_COLUMNS = [
    "segment_id", "pilot_id", "wave", "question", "code", "decision", "coder", "decided_at", "comment",
    "evidence", "family", "row", "unit",
]
REPORT_COLUMNS = [
    "segment_id", "pilot_id", "wave", "question", "code", "decision", "status", "message", "placed_at", "coder",
    "unit",
]
# what became of a decision, in four words (the CLI's summary): report status -> outcome
OUTCOMES = {
    "applied": "applied", "added": "applied", "recoded": "applied", "re-anchored": "re-anchored",
    "obsolete": "obsolete", "superseded": "obsolete", "unplaced": "conflicting", "conflicting": "conflicting",
    "by rule": "by rule",
}
TO_REVIEW = "to review"
BY_RULE = "accepted by rule"
_KEEP = object()  # internal: a decision that leaves the coder as it is
RULE_DECISION = "rule"  # internal: a cell left to the rule (confidence >= min_confidence)
REVIEWER = "reviewer"
MIN_CONFIDENCE = "min_confidence"
DECISIONS = ("accept", "reject", "add")
_ALIASES = {
    "accept": "accept", "accepted": "accept", "accepteer": "accept", "accepteren": "accept", "ja": "accept",
    "reject": "reject", "rejected": "reject", "afwijzen": "reject", "afgewezen": "reject", "nee": "reject",
    "add": "add", "added": "add", "toevoegen": "add", "toegevoegd": "add",
}
_RESULT = {"accept": "accepted", "reject": "rejected", "add": "added", RULE_DECISION: BY_RULE}
SHEET = "review"
LISTS = "lists"
EXTRA_ROWS = 200  # empty rows with drop-down lists, for codings the researcher adds
_FILL = "FFF2CC"  # researcher columns: light yellow
_WIDTHS = {"segment_id": 14, "pilot": 28, "wave": 6, "question": 8, "code": 24, "label": 28, "evidence": 80,
           "negated": 8, "source": 10, "probability": 10, "decision": 10, "coder": 14, "decided_at": 18, "comment": 40,
           "cell_id": 14, "matches": 8, "confidence": 10, "state": 16, "reviewer": 14}
_QUESTION_MARK = re.compile(r"^\s*\[(\d+)\]\s*")  # "[10] sentence": the question of an evidence line


# -- writing -------------------------------------------------------------------------------


def cell_id(pilot_id: str, wave: str, code: str) -> str:
    """A stable id for a cell of a report table: a short hash of pilot, wave and code.

    >>> cell_id("houten-ggz", "T0", "wonen")
    'cdf082e3917e'
    """
    return "c" + hashlib.sha1(f"cell\x1f{pilot_id}\x1f{wave}\x1f{code}".encode("utf-8")).hexdigest()[:11]


def review_cells(
    codings: pd.DataFrame,
    *,
    corpus=None,
    codebook=None,
    families: Sequence[str] | None = None,
    min_confidence: float | None = None,
    sort: str = "pilot",
    max_evidence: int = 3,
) -> pd.DataFrame:
    """The cells to review: one row per pilot x wave x code of the reported families.

    A cell is a row when a code counts for the pilot (an ``X`` in the table), when a
    learned suggestion proposes it, or when a researcher decided on it (a rejected ``X``
    stays, with its decision).

    Parameters
    ----------
    codings : DataFrame
        Codings of :func:`~quickscan.coding.code_corpus`, reviewed or not.
    corpus : Corpus, optional
        For the pilots' numbers and names as in the tables (``"1. Gebiedsteam GGZ Houten"``).
    codebook : Codebook, optional
        Labels, the codes' own questions and the family order (default: the bundled codebook).
    families : list of str, optional
        The families to review (default: every family that is not a fact family).
    min_confidence : float, optional
        Cells at least this confident are marked ``accepted by rule`` (status) instead of
        ``to review``; a decision typed on them still wins.
    sort : {"pilot", "confidence"}
        ``"pilot"``: per wave, pilots in report order, the least confident cells of each
        pilot first; ``"confidence"``: all cells, least confident first.
    max_evidence : int
        The strongest sentences shown per cell: not negated, from the code's own
        question(s) first, not a list of names, distinct, each as ``"[question] sentence"``.

    Returns
    -------
    DataFrame
        Columns ``CELL_COLUMNS``: cell_id, family, nr, pilot_id, pilot (label as in the
        tables), wave, code, label, evidence, matches (distinct sentences that gave the
        code), negated (any mention negated), confidence, state (``to review``,
        ``accepted by rule`` or ``decided``), decision (``accept`` / ``reject`` / ``add`` taken
        so far, else None), reviewer, comment.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> cells = review_cells(code_corpus(corpus), corpus=corpus, families=["basisset"])
    >>> cells.loc[0, "pilot"], cells["family"].unique().tolist()
    ('1. Gebiedsteam GGZ Houten', ['basisset'])
    """
    from .confidence import cell_confidence, looks_like_list

    if sort not in ("pilot", "confidence"):
        raise ValueError(f"sort must be 'pilot' or 'confidence', not {sort!r}")
    codebook = codebook or _default_codebook()
    labels, family_of = _code_tables(codings, codebook)
    if families is None:
        families = [f.id for f in codebook.families if f.kind != "fact"] if codebook is not None else sorted(
            set(family_of.values()) - {None})
    families = list(families)
    scope = codings[codings["family"].isin(families)] if "family" in codings else codings.iloc[:0]
    cells = cell_confidence(scope, codebook=codebook) if codebook is not None else None
    if cells is None or cells.empty:
        cells = pd.DataFrame(columns=["pilot_id", "wave", "code", "n_sentences", "negated", "confidence"])
    decided = _cell_decisions(scope)
    known = set(zip(cells["pilot_id"], cells["wave"], cells["code"]))
    extra = [k for k in decided if k not in known]  # rejected X's and researcher additions
    if extra:
        negated = set(map(tuple, scope.loc[scope["negated"].astype(bool), ["pilot_id", "wave", "code"]]
                          .to_numpy().tolist()))
        cells = pd.concat([cells, pd.DataFrame([{
            "pilot_id": p, "wave": w, "code": c, "n_sentences": 0, "negated": (p, w, c) in negated,
            "confidence": None} for p, w, c in extra])], ignore_index=True)
    own = _own(codebook)
    rank = {c.id: i for i, c in enumerate(codebook.codes)} if codebook is not None else {}
    evidence = _cell_evidence(scope, own, looks_like_list, max_evidence)
    matches = _cell_matches(scope)
    numbers, names = _pilot_labels(codings, corpus)
    waves = list(dict.fromkeys([*(getattr(corpus, "waves", None) or []),
                                *(codings["wave"].unique().tolist() if "wave" in codings else [])]))
    out = []  # rows as tuples in the order of CELL_COLUMNS
    for pid, wave, code, negated, confidence in zip(
            cells["pilot_id"].tolist(), cells["wave"].tolist(), cells["code"].tolist(), cells["negated"].tolist(),
            cells["confidence"].astype(float).tolist()):
        cell = (pid, wave, code)
        decision, reviewer, comment = decided.get(cell, (None, None, None))
        confidence = None if confidence != confidence else confidence  # NaN: no confidence
        if decision in DECISIONS:
            status = "decided"
        elif decision == RULE_DECISION or (min_confidence is not None and confidence is not None
                                           and confidence >= min_confidence):
            status, decision = BY_RULE, None
        else:
            status = TO_REVIEW
        nr = numbers.get(pid)
        out.append((cell_id(*cell), family_of.get(code), nr, pid, f"{nr}. {names.get(pid, pid)}", wave, code,
                    labels.get(code, ""), evidence.get(cell, ""), matches.get(cell, 0), bool(negated), confidence,
                    status, decision, reviewer, comment))
    frame = pd.DataFrame.from_records(out, columns=CELL_COLUMNS)
    if frame.empty:
        return frame
    family_rank, wave_rank = {f: i for i, f in enumerate(families)}, {w: i for i, w in enumerate(waves)}
    keys = frame.assign(
        _f=[family_rank.get(f, len(families)) for f in frame["family"].tolist()],
        _w=[wave_rank.get(w, len(waves)) for w in frame["wave"].tolist()],
        _c=frame["confidence"].astype(float).fillna(-1.0), _r=[rank.get(c, len(rank)) for c in frame["code"].tolist()],
    )
    by = ["_f", "_w", "nr", "_c", "_r"] if sort == "pilot" else ["_f", "_c", "_w", "nr", "_r"]
    return frame.loc[keys.sort_values(by, kind="stable").index].reset_index(drop=True)


def _own(codebook) -> dict[str, frozenset[int]]:
    if codebook is None:
        return {}
    return {c.id: frozenset(c.expected or c.questions or f.questions) for f in codebook.families for c in f.codes}


def _cell_evidence(codings: pd.DataFrame, own, looks_like_list, most: int) -> dict[tuple, str]:
    """Cell -> its strongest distinct sentences (see :func:`review_cells`), one per line."""
    from .coding import present

    counted = present(codings)
    if "source" in codings:  # a suggestion only the model makes is evidence for its own row
        model = codings[(codings["source"] == "model") & ~codings["negated"].astype(bool)]
        counted = pd.concat([counted, model], ignore_index=True) if len(model) else counted
    from .confidence import _each, _questions

    ranked: dict[tuple, list[tuple]] = {}
    texts = [e.strip() if isinstance(e, str) else "" for e in counted["evidence"].tolist()]
    folded, is_list = _each(fold, texts), _each(looks_like_list, texts)
    decisions = counted["decision"].tolist() if "decision" in counted else [None] * len(counted)
    for pid, wave, code, text, q, decision in zip(
            counted["pilot_id"].tolist(), counted["wave"].tolist(), counted["code"].tolist(),
            texts, _questions(counted), decisions):
        if not text:
            continue
        decided = decision in ("accepted", "added")
        key = (not decided, q not in own.get(code, ()), is_list[text], q if q is not None else 1e9)
        ranked.setdefault((pid, wave, code), []).append((key, folded[text], q, text))
    out = {}
    for cell, items in ranked.items():
        seen, lines = set(), []
        for _, folded, q, text in sorted(items, key=lambda i: i[0]):
            if folded in seen:
                continue
            seen.add(folded)
            lines.append(f"[{q}] {text}" if q is not None else text)
            if len(lines) == most:
                break
        out[cell] = "\n".join(lines)
    return out


def _cell_matches(codings: pd.DataFrame) -> dict[tuple, int]:
    """Cell -> the number of distinct sentences (negated ones too) in which the code was found."""
    if codings.empty:
        return {}
    evidence = codings["evidence"].fillna("").astype(str)
    distinct = evidence.drop_duplicates()
    folded = evidence.map(dict(zip(distinct, map(fold, distinct))))  # each sentence folded once
    keys = codings.assign(_s=folded.to_numpy())
    return keys.groupby(["pilot_id", "wave", "code"])["_s"].nunique().to_dict()


def _cell_decisions(codings: pd.DataFrame) -> dict[tuple, tuple[str | None, str | None, str | None]]:
    """Cell -> (decision, reviewer, comment) of a reviewed data set: ``add`` when the cell is
    the researcher's own, ``reject`` when every coding of it was rejected, ``accept`` when a
    coding was accepted, ``rule`` when it was accepted by rule."""
    if "decision" not in codings or codings["decision"].isna().all():
        return {}
    coder = codings["coder"] if "coder" in codings else pd.Series(None, index=codings.index)
    out = {}
    for cell, part in codings.assign(_coder=coder).groupby(["pilot_id", "wave", "code"], sort=False):
        decisions = set(part["decision"].dropna())
        if not decisions:
            continue
        researcher = part["source"] == "researcher" if "source" in part else part["decision"].isna()
        if "added" in decisions and researcher.all():
            decision = "add"
        elif "accepted" in decisions or "added" in decisions:
            decision = "accept"
        elif decisions == {"rejected"} and part["decision"].notna().all():
            decision = "reject"
        elif BY_RULE in decisions:
            decision = RULE_DECISION
        else:
            continue
        who = next((c for c in part["_coder"] if isinstance(c, str) and c), None)
        out[cell] = (decision, who, None)
    return out


def _pilot_labels(codings: pd.DataFrame, corpus) -> tuple[dict[str, int], dict[str, str]]:
    """Pilot id -> (report number, name as in the tables); pilots the corpus does not know follow."""
    numbers: dict[str, int] = {}
    names: dict[str, str] = {}
    pilots = getattr(corpus, "pilots", None)
    if pilots is not None and "nr" in pilots:
        first = pilots.drop_duplicates("pilot_id")
        numbers.update(zip(first["pilot_id"], (int(n) for n in first["nr"])))
        names.update(zip(first["pilot_id"], first["pilot"]))
    elif corpus is not None:
        names.update(_pilot_names(codings.iloc[:0], corpus))
    for pid in [*names, *(codings["pilot_id"].unique().tolist() if "pilot_id" in codings else [])]:
        if pid not in numbers:
            numbers[pid] = max(numbers.values(), default=0) + 1
        names.setdefault(pid, pid)
    return numbers, names


def to_review_workbook(
    codings: pd.DataFrame,
    *,
    corpus=None,
    codebook=None,
    families: Sequence[str] | None = None,
    min_confidence: float | None = None,
    sort: str = "pilot",
    reviewer: str | None = None,
    level: str = "cell",
    cells: pd.DataFrame | None = None,
):
    """The review workbook that :func:`write_review_sheet` writes, read back as an ``openpyxl.Workbook``.

    ``level="cell"`` (default): sheet ``review`` with the ``reviewer`` cell and how to fill
    in the sheets, one sheet per family (see :func:`add_cell_sheets`) and the hidden
    ``lists``. ``level="segment"``: the older sheet with one row per coding
    (:func:`add_review_sheet`).
    """
    import io

    from openpyxl import load_workbook

    from ._sheets import save

    buffer = io.BytesIO()
    save(*_review_workbook(codings, corpus=corpus, codebook=codebook, families=families, min_confidence=min_confidence,
                           sort=sort, reviewer=reviewer, level=level, cells=cells), buffer)
    with warnings.catch_warnings():  # openpyxl reads drop-down lists that refer to another sheet with a warning
        warnings.filterwarnings("ignore", message=".*extension is not supported", category=UserWarning)
        return load_workbook(buffer)


def _review_workbook(codings, *, corpus, codebook, families, min_confidence, sort, reviewer, level, cells):
    """(layout workbook, body rows) of the review workbook, for :func:`quickscan._sheets.save`."""
    from openpyxl import Workbook

    from ._io import mark_output

    wb = Workbook()
    wb.remove(wb.active)
    bodies = {}
    if level == "segment":
        add_review_sheet(wb, codings, corpus=corpus, codebook=codebook)
    elif level == "cell":
        if cells is None:
            cells = review_cells(codings, corpus=corpus, codebook=codebook, families=families,
                                 min_confidence=min_confidence, sort=sort)
        bodies = add_cell_sheets(wb, cells, codings=codings, corpus=corpus, codebook=codebook, families=families,
                                 min_confidence=min_confidence, reviewer=reviewer)
    else:
        raise ValueError(f"level must be 'cell' or 'segment', not {level!r}")
    wb.properties.creator = "quickscan"
    wb.properties.title = "quickscan review"
    mark_output(wb.properties)  # never read back as a workbook of answers
    return wb, bodies


_HOW_TO = (
    "Eén rij per cel van de tabellen (rij x meting x code): klopt deze X?",
    "Vul je naam in bij reviewer (hierboven) en per rij de kolom decision: accept of reject; "
    "comment is vrij.",
    "Mist er een code? Voeg onderaan een rij toe met de naam zoals in de tabellen, wave, code, "
    "decision 'add' en eventueel een citaat in evidence (begin met [vraagnummer] om de vraag te noemen).",
    "Per naam staan de minst zekere cellen bovenaan (confidence, 0-1). Cellen met state "
    "'accepted by rule' hoeven niet beoordeeld te worden; een beslissing gaat altijd voor.",
    "quickscan leest dit bestand bij elke run en overschrijft het nooit. Beslissingen typ je hier, "
    "niet in tables.xlsx.",
)
_READ_ONLY_NOTE = ("Alleen ter inzage: deze kopie wordt bij elke run opnieuw geschreven. "
                   "Beslissingen typ je in review.xlsx.")


def add_cell_sheets(
    wb,
    cells: pd.DataFrame,
    *,
    codings: pd.DataFrame | None = None,
    corpus=None,
    codebook=None,
    families: Sequence[str] | None = None,
    min_confidence: float | None = None,
    reviewer: str | None = None,
    editable: bool = True,
) -> dict:
    """Lay out the cell review in a workbook: sheet ``review`` (reviewer, how to) and one sheet per family.

    ``editable=True`` (``review.xlsx``): the researcher columns (decision, comment) are light
    yellow, decision, code and pilot have drop-down lists (also on empty rows for cells the
    researcher adds), and the hidden sheet ``lists`` holds what the lists offer.
    ``editable=False`` (the copy inside ``tables.xlsx``): one sheet ``review`` with all
    families, the decisions taken and who took them, no drop-downs, and a note that
    decisions are typed in ``review.xlsx``. Every sheet prints on A4 landscape, fit to the
    page width, its header rows on every page.

    Returns the rows of the cells, sheet title -> blocks of rows, that
    :func:`quickscan._sheets.save` streams into the sheets (text always a text cell, never
    a formula).
    """
    from openpyxl.styles import Alignment, Font, PatternFill

    from .export import print_setup

    codebook = codebook or _default_codebook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    if not editable:
        ws = wb.create_sheet(SHEET)
        columns = ["family", *CELL_SHEET_COLUMNS, "reviewer"]
        append_rows(ws, [[_READ_ONLY_NOTE], columns])
        ws["A1"].font = Font(italic=True, bold=True)
        styles = _style(ws, columns, len(cells), header=2, wrap=wrap, bold=bold)
        print_setup(ws, rows="1:2")
        return {ws.title: [(_cell_rows(cells, columns), styles, _wrapped(columns))]}

    front = wb.create_sheet(SHEET)
    append_rows(front, [[REVIEWER, reviewer or None], [MIN_CONFIDENCE, min_confidence], [],
                        *([line] for line in _HOW_TO)])
    front["A1"].font = front["A2"].font = bold
    front["B1"].fill = fill
    front.column_dimensions["A"].width = 18
    front.column_dimensions["B"].width = 40
    print_setup(front)
    if families is None:
        families = list(dict.fromkeys(cells["family"])) or (
            [f.id for f in codebook.families if f.kind != "fact"] if codebook is not None else [])
    labels, family_of = _code_tables(codings if codings is not None else pd.DataFrame(), codebook)
    numbers, names = _pilot_labels(codings if codings is not None else pd.DataFrame(), corpus)
    pilots = [(f"{numbers[p]}. {names[p]}", p) for p in sorted(numbers, key=numbers.get)]
    codes = [c for c in labels if family_of.get(c) in families]

    lists = wb.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    lists.append(["decision", "code", "label", "family", "pilot", "pilot_id"])
    append_rows(lists, ([
        DECISIONS[i] if i < len(DECISIONS) else None,
        codes[i] if i < len(codes) else None,
        labels[codes[i]] if i < len(codes) else None,
        family_of.get(codes[i]) if i < len(codes) else None,
        pilots[i][0] if i < len(pilots) else None,
        pilots[i][1] if i < len(pilots) else None,
    ] for i in range(max(len(DECISIONS), len(codes), len(pilots)))))

    used = {SHEET, LISTS}
    bodies = {}
    by_family = dict(tuple(cells.groupby("family", sort=False))) if len(cells) else {}
    for family in families:
        name = _unique_sheet(family, used)
        ws = wb.create_sheet(name, index=len(wb.sheetnames) - 1)
        ws.append(CELL_SHEET_COLUMNS)
        mine = by_family.get(family, cells.iloc[:0])
        last = len(mine) + 1 + EXTRA_ROWS
        mine_codes = [c for c in codes if family_of.get(c) == family]
        first_code = codes.index(mine_codes[0]) + 2 if mine_codes else 2
        _validations(ws, CELL_SHEET_COLUMNS, last, [
            ("decision", f"$A$2:$A${len(DECISIONS) + 1}", len(DECISIONS), "Kies accept, reject of add."),
            ("code", f"$B${first_code}:$B${first_code + len(mine_codes) - 1}", len(mine_codes),
             "Kies een code uit het codeboek."),
            ("pilot", f"$E$2:$E${len(pilots) + 1}", len(pilots), "Kies een naam uit de lijst."),
        ])
        styles = _style(ws, CELL_SHEET_COLUMNS, len(mine), header=1, wrap=wrap, bold=bold, fill=fill,
                        researcher=CELL_RESEARCHER_COLUMNS)
        print_setup(ws)
        bodies[ws.title] = [(_cell_rows(mine, CELL_SHEET_COLUMNS), styles, _wrapped(CELL_SHEET_COLUMNS))]
    return bodies


def _unique_sheet(name: str, used: set[str]) -> str:
    """A valid sheet name (31 characters, no []:*?/\\) not yet used (case-insensitive)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "family"
    candidate, i = base, 2
    while candidate.lower() in {u.lower() for u in used}:
        candidate, i = f"{base[:28]}~{i}", i + 1
    used.add(candidate)
    return candidate


def _wrapped(columns: list[str]) -> dict[int, float]:
    """Column number -> width of the columns whose text wraps (the rows are as high as it needs)."""
    return {j: _WIDTHS[name] for j, name in enumerate(columns) if name in ("evidence", "comment")}


def _cell_rows(cells: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    rows = cells.reindex(columns=columns).astype(object)
    rows["negated"] = [None if pd.isna(v) else bool(v) for v in rows["negated"]]
    return rows


def _validations(ws, columns: list[str], last: int, specs) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    col = {name: _letter(i) for i, name in enumerate(columns)}
    for name, ref, count, message in specs:
        if not count:
            continue
        dv = DataValidation(type="list", formula1=f"={LISTS}!{ref}", allow_blank=True, showErrorMessage=True,
                            errorTitle="Onbekende waarde", error=message)
        ws.add_data_validation(dv)
        dv.add(f"{col[name]}2:{col[name]}{last}")


def _style(ws, columns: list[str], n: int, *, header: int, wrap, bold, fill=None, researcher=()) -> list[int | None]:
    """Style the header row and the columns of a cell sheet of ``n`` rows; returns the style
    of the body cells of each column."""
    from ._sheets import style_id

    styles = []
    for i, name in enumerate(columns, start=1):
        ws.cell(row=header, column=i).font = bold
        dimension = ws.column_dimensions[_letter(i - 1)]
        dimension.width = _WIDTHS.get(name, 12)
        style = {}
        if name in researcher and fill is not None:
            dimension.fill = fill  # empty cells take the column's style; written ones need their own
            ws.cell(row=header, column=i).fill = style["fill"] = fill
        if name in ("evidence", "comment"):
            style["alignment"] = wrap
        styles.append(style_id(ws, **style) if style else None)
    ws.freeze_panes = f"C{header + 1}"
    ws.auto_filter.ref = f"A{header}:{_letter(len(columns) - 1)}{header + max(n, 1)}"
    return styles


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

    A text longer than an Excel cell holds (32,767 characters) is cut and ends in
    ``… [afgekapt: 40.000 tekens]``, with one :class:`~quickscan.errors.QuickscanWarning`
    per sheet (Excel would otherwise refuse the file or cut it without a word).

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> append_rows(ws, [["=1+1", "#N/A", "tekst", float("nan")]])
    >>> [c.data_type for c in ws[1]], ws["D1"].value
    (['s', 's', 's', 'n'], None)
    """
    from openpyxl.cell.cell import ERROR_CODES

    cut = 0
    for values in rows:
        values = [cell_value(v) for v in values]
        ws.append(values)
        row = ws._current_row  # the row append wrote (ws.max_row would scan every cell)
        for j, value in enumerate(values, start=1):
            if isinstance(value, str) and (value[:1] == "=" or value in ERROR_CODES):
                ws.cell(row, j).data_type = "s"
            elif isinstance(value, str) and len(value) > MAX_CELL // 2 and value.endswith(_CUT_END):
                cut += 1
    if cut:
        warnings.warn(QuickscanWarning(
            f"sheet {ws.title!r}: {cut} text(s) longer than an Excel cell holds ({MAX_CELL:,} characters) were cut "
            f"and end in '[afgekapt: ... tekens]'; the full text stays in the codings (codings.csv)"), stacklevel=2)


def write_review_sheet(
    codings: pd.DataFrame,
    path: str | PathLike[str],
    *,
    corpus=None,
    codebook=None,
    families: Sequence[str] | None = None,
    min_confidence: float | None = None,
    sort: str = "pilot",
    reviewer: str | None = None,
    level: str = "cell",
    cells: pd.DataFrame | None = None,
) -> Path:
    """Write the review workbook for ``codings`` to ``path`` (.xlsx), atomically.

    By default one row per cell of the report tables (pilot x wave x code), one sheet per
    family: see :func:`review_cells` for the rows and their order (``families``,
    ``min_confidence``, ``sort``) and :func:`add_cell_sheets` for the layout; ``reviewer``
    fills in the reviewer cell. ``level="segment"`` writes the older sheet with one row per
    coding (:func:`add_review_sheet`). ``cells``: the rows when already worked out by
    :func:`review_cells` (``families``, ``min_confidence`` and ``sort`` then only name the
    sheets). The rows are streamed: a few seconds for 100,000 cells. The file is written to a temporary file next to
    ``path`` and then moved into place, so an existing sheet is never left half-written.
    Pilot names come from ``corpus``, code labels from ``codebook`` (default: the bundled
    codebook).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from quickscan.coding import CODING_COLUMNS
    >>> empty = pd.DataFrame(columns=CODING_COLUMNS)
    >>> path = write_review_sheet(empty, pathlib.Path(tempfile.mkdtemp()) / "review.xlsx")
    >>> read_review_sheet(path).empty
    True
    """
    from ._sheets import save

    wb, bodies = _review_workbook(codings, corpus=corpus, codebook=codebook, families=families,
                                  min_confidence=min_confidence, sort=sort, reviewer=reviewer, level=level, cells=cells)
    return atomic_write(Path(path), lambda tmp: save(wb, bodies, tmp))


def cell_value(value: Any) -> Any:
    """A value as a cell takes it: None for missing, text without the characters Excel
    refuses, Python numbers for NumPy ones. (Called once per cell: nothing imported here.)"""
    if isinstance(value, str):
        value = _ILLEGAL_CHARACTERS.sub("", value)
        return _fit(value) if len(value) > MAX_CELL // 2 else value
    if value is None or pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # openpyxl's ILLEGAL_CHARACTERS_RE
MAX_CELL = 32_767  # characters (UTF-16 code units) in one Excel cell
_CUT_END = " tekens]"


def _fit(text: str) -> str:
    """A text cut to fit an Excel cell, marked with its full length.

    >>> t = _fit("a" * 40_000)
    >>> len(t), t[-30:]
    (32767, 'aa … [afgekapt: 40.000 tekens]')
    """
    units = len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    if units <= MAX_CELL:
        return text
    mark = f" … [afgekapt: {len(text):,} tekens]".replace(",", ".")
    keep, used = MAX_CELL - len(mark), 0  # UTF-16 units left for the text; beyond U+FFFF a character takes two
    for end, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > keep:
            return text[:end] + mark
    return text


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
    pairs = codings[["code", "family"]].drop_duplicates() if {"code", "family"} <= set(codings) else codings.iloc[:0]
    for code, family in zip(pairs.get("code", ()), pairs.get("family", ())):
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


def read_review_sheet(path: str | PathLike[str], *, reviewer: str | None = None) -> pd.DataFrame:
    """The researcher decisions of a filled-in review workbook.

    Columns: segment_id (the ``cell_id`` of a cell decision), pilot_id, wave, question,
    code, decision (accept / reject / add; ``rule`` for a cell left to the rule by
    ``min_confidence``), coder (the reviewer), decided_at, comment, evidence (the sentences
    shown, or the quote of an added cell), and helpers: family (of the code), row (sheet
    and row, for messages) and unit (``cell`` or ``segment``).

    Cell sheets (one per family, column ``cell_id``) and the older segment sheet (column
    ``segment_id``) both read. Rows without a decision are not decisions and are skipped.
    The reviewer is, in this order: the *coder* column of a row (segment sheets), the
    ``reviewer`` cell of the first sheet, ``reviewer``, the workbook's *last modified by*
    (Excel fills in the user's name when saving). The time comes from the *decided_at*
    column where filled in, else the workbook's *modified* time. A row the researcher
    added (decision ``add``) gets its id computed from pilot, wave and code. A decision
    typed as a formula whose value Excel never stored is skipped with a warning naming
    the row.

    Raises :class:`~quickscan.errors.ReviewError` naming the file and the row for an
    unknown decision, an unknown code, a new row without a pilot or code, an
    accept/reject without an id, or a question that is not a number.
    """
    from openpyxl import load_workbook

    from ._package import open_package
    from ._xlsx import check_workbook

    path = Path(path)
    try:
        with open_package(path) as package:
            has_formulas = check_workbook(package, path)
        with warnings.catch_warnings():
            # Excel stores drop-down lists that refer to another sheet as an extension that
            # openpyxl does not read; only the values matter here
            warnings.filterwarnings("ignore", message=".*extension is not supported", category=UserWarning)
            wb = load_workbook(path, data_only=True)
            # a formula's value is what Excel stored; one it never computed is None: find those
            unvalued = _unvalued_formulas(wb, load_workbook(path)) if has_formulas else []
    except QuickscanError as exc:
        raise ReviewError(path, exc.message) from exc
    except (OSError, KeyError, ValueError) as exc:
        raise ReviewError(path, f"cannot read the review workbook: {exc}") from exc
    for sheet, row, formula in unvalued:
        warnings.warn(f"{path}: sheet {sheet!r}, row {row}: the decision is a formula ({formula}) without a "
                      "stored value; skipped. Type the decision as text, or open and save the sheet in Excel.",
                      UserWarning, stacklevel=2)
    return _read_decisions(wb, path, reviewer=reviewer)


def _unvalued_formulas(values_wb, formulas_wb) -> list[tuple[str, int, str]]:
    """(sheet, row, formula) of every decision cell holding a formula without a cached value."""
    from ._xlsx import present_rows

    out = []
    for ws in formulas_wb.worksheets:
        header = _header(ws)
        if "decision" not in header:
            continue
        j = header.index("decision")
        for n, values in present_rows(ws, min_row=2):
            value = values[j] if j < len(values) else None
            if isinstance(value, str) and value.startswith("=") and values_wb[ws.title].cell(n, j + 1).value is None:
                out.append((ws.title, n, value))
    return out


def _header(ws) -> list[str]:
    """The first row of a sheet, lower case (empty when the sheet does not start with row 1)."""
    from ._xlsx import present_rows

    n, values = next(present_rows(ws), (1, ()))
    return [_text(v).lower() for v in values] if n == 1 else []


def _front(wb) -> tuple[str, float | None]:
    """(reviewer, min_confidence) from the first sheet's cells (A1 ``reviewer``, A2 ``min_confidence``)."""
    if SHEET not in wb.sheetnames:
        return "", None
    ws = wb[SHEET]
    found = {_text(ws.cell(r, 1).value).lower(): ws.cell(r, 2).value for r in (1, 2)}
    threshold = found.get(MIN_CONFIDENCE)
    try:
        threshold = float(threshold) if _text(threshold) else None
    except ValueError:
        threshold = None
    return _text(found.get(REVIEWER)), threshold


def _read_decisions(wb, path: Path, *, reviewer: str | None = None) -> pd.DataFrame:
    families, pilot_ids = _lists(wb)
    named, _ = _front(wb)
    default_coder = named or reviewer or wb.properties.lastModifiedBy or None
    default_time = wb.properties.modified
    sheets = []
    for ws in wb.worksheets:
        if ws.title == LISTS:
            continue
        header = _header(ws)
        if "decision" in header and ("cell_id" in header or "segment_id" in header):
            sheets.append((ws, header))
    if not sheets:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        raise ReviewError(path, "not a review sheet: no sheet with the columns cell_id (or segment_id), code "
                                "and decision", place=f"sheet {ws.title!r}, row 1")
    out: list[dict[str, Any]] = []
    for ws, header in sheets:
        missing = [c for c in ("code", "decision") if c not in header]
        if missing:
            raise ReviewError(path, f"not a review sheet: no column(s) {missing}", place=f"sheet {ws.title!r}, row 1")
        unit = "cell" if "cell_id" in header else "segment"
        out += _sheet_decisions(ws, header, path, unit, families, pilot_ids, default_coder, default_time)
    frame = pd.DataFrame(out, columns=DECISION_COLUMNS)
    frame["question"] = frame["question"].astype("Int64")
    frame["decided_at"] = pd.to_datetime(frame["decided_at"])
    return frame


def _sheet_decisions(ws, header, path, unit, families, pilot_ids, default_coder, default_time) -> list[dict]:
    from .corpus import pilot_id as slug

    from ._xlsx import present_rows

    at = {name: header.index(name) for name in header if name}
    id_column = "cell_id" if unit == "cell" else "segment_id"
    body = list(present_rows(ws, min_row=2))  # the rows the sheet holds, never the empty cells of its range
    waves = {_text(r[at["wave"]]) for _, r in body if "wave" in at and at["wave"] < len(r) and _text(r[at["wave"]])}
    out = []
    for n, values in body:
        row = {name: values[i] if i < len(values) else None for name, i in at.items()}
        if all(v in (None, "") for v in row.values()):
            continue
        place = f"sheet {ws.title!r}, row {n}"
        decision = _text(row.get("decision")).lower()
        seg = _text(row.get(id_column))
        if not decision:
            if not seg and (_text(row.get("code")) or _text(row.get("evidence"))):
                raise ReviewError(path, "a new row needs decision 'add'", place=place)
            if unit == "cell" and seg and _text(row.get("state")) == BY_RULE:
                decision = RULE_DECISION
            else:
                continue
        elif decision not in _ALIASES:
            raise ReviewError(path, f"unknown decision {decision!r}; use one of {list(DECISIONS)}", place=place)
        decision = _ALIASES.get(decision, decision)
        code = _text(row.get("code"))
        if not code:
            raise ReviewError(path, f"decision {decision!r} without a code", place=place)
        if families and code not in families:
            raise ReviewError(path, f"unknown code {code!r}: not in the codebook of this sheet", place=place)
        pilot = _text(row.get("pilot"))
        pid = pilot_ids.get(pilot) or (slug(_LABEL_NUMBER.sub("", pilot)) if pilot else "")
        wave = _text(row.get("wave")) or (next(iter(waves)) if len(waves) == 1 else "")
        question = _question(row.get("question"), path, place)
        evidence = _text(row.get("evidence"))
        if decision == "add":
            if not pid or not wave:
                raise ReviewError(path, "a coding added by hand needs a pilot and a wave", place=place)
            if unit == "cell":
                seg = seg or cell_id(pid, wave, code)
                mark = _QUESTION_MARK.match(evidence)
                if mark and question is None:
                    question, evidence = int(mark.group(1)), evidence[mark.end():]
            else:
                seg = seg or segment_id(pid, wave, question, evidence, code)
        elif not seg:
            raise ReviewError(
                path, f"{decision!r} needs the {id_column} of a {unit}; use 'add' for a new one", place=place
            )
        out.append({
            "segment_id": seg, "pilot_id": pid, "wave": wave, "question": question, "code": code,
            "decision": decision, "coder": _text(row.get("coder")) or default_coder,
            "decided_at": _time(row.get("decided_at")) or default_time, "comment": _text(row.get("comment")),
            "evidence": evidence, "family": families.get(code), "row": n if unit == "segment" else f"{ws.title}!{n}",
            "unit": unit,
        })
    return out


_LABEL_NUMBER = re.compile(r"^\d+\.\s+")  # "3. Buurtcirkel Zeist" -> "Buurtcirkel Zeist"


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

    Cell decisions (``unit == "cell"``, from the cell sheets) decide for every coding of a
    pilot x wave x code at once: ``reject`` rejects them all (``obsolete`` when the rules no
    longer mark the cell), ``accept`` accepts the ones not negated (when none is left, the
    sentences shown on the sheet are searched in ``corpus``: ``re-anchored``, or
    ``unplaced``), ``add`` adds a researcher's coding with the quote (or accepts the rules'
    codings when they find the cell too), ``rule`` marks a cell left to the rule
    (``accepted by rule``; status ``by rule``). A cell decision whose pilot, wave or code no
    longer exists (in ``codings``, ``corpus`` or ``codebook``) gets status ``conflicting``
    and is listed, never dropped. Segment decisions apply first, cell decisions after.

    Every coding a decision touched gets the reviewer in the ``coder`` column (None for
    the rules' own codings); every report row names it too. :data:`OUTCOMES` groups the
    statuses into applied / re-anchored / obsolete / conflicting (see :func:`review_outcomes`).
    """
    result = codings.copy()
    result["decision"] = pd.Series([None] * len(result), index=result.index, dtype=object)
    if "coder" not in result:
        result["coder"] = pd.Series([None] * len(result), index=result.index, dtype=object)
    report: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    if decisions is None or decisions.empty:
        return _ordered(result, codings, added), pd.DataFrame(report, columns=REPORT_COLUMNS)
    decisions = decisions.reindex(columns=DECISION_COLUMNS)
    unit = decisions["unit"].astype(object)
    decisions["unit"] = unit.where(unit.notna(), "segment")
    cells = decisions[decisions["unit"] == "cell"]
    decisions = decisions[decisions["unit"] != "cell"]
    order = decisions.assign(_t=pd.to_datetime(decisions["decided_at"]), _n=range(len(decisions)))
    order = order.sort_values(["_t", "_n"], kind="stable", na_position="first")
    latest = set(order.drop_duplicates("segment_id", keep="last")["_n"])
    families = _families(codings, codebook)
    facts = _fact_families(codebook)
    by_segment: dict[str, list[int]] = {}
    for index, seg in zip(result.index, result["segment_id"].tolist()):
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
    _coders(result, added, report, order)
    if len(cells):
        _apply_cells(result, cells, added, report, corpus=corpus, codebook=codebook, threshold=threshold,
                     families=families, facts=facts)
    for line in report:
        line.setdefault("unit", "segment")
    return _ordered(result, codings, added), pd.DataFrame(report, columns=REPORT_COLUMNS)


def _coders(result: pd.DataFrame, added: list[dict[str, Any]], report: list[dict[str, Any]], order) -> None:
    """Put the reviewer of each segment decision on the codings it touched and on its report row."""
    coder = dict(zip(order["_n"], order["coder"]))
    by_seg: dict[str, Any] = {}
    for n, seg in zip(order["_n"], order["segment_id"]):
        by_seg[seg] = coder.get(n)
    for line in report:
        who = by_seg.get(line["segment_id"])
        who = who if isinstance(who, str) and who else None
        line["coder"] = who
        if line["status"] in ("superseded", "obsolete", "unplaced") or who is None:
            continue
        ids = {line["segment_id"], line.get("placed_at")}
        touched = result["segment_id"].isin(ids) & result["decision"].notna()
        result.loc[touched, "coder"] = who
        for row in added:
            if row["segment_id"] in ids:
                row["coder"] = who


def _apply_cells(result, cells, added, report, *, corpus, codebook, threshold, families, facts) -> None:
    """Apply the cell decisions (see :func:`apply_review`)."""
    codebook = codebook or _default_codebook()
    known_codes = {c.id for c in codebook.codes} if codebook is not None else set(families)
    pilots = set(result["pilot_id"])
    waves = set(result["wave"])
    answers = getattr(corpus, "answers", corpus) if corpus is not None else None
    if answers is not None:
        pilots |= set(answers["pilot_id"])
        waves |= set(answers["wave"])
    order = cells.assign(_t=pd.to_datetime(cells["decided_at"]), _n=range(len(cells)))
    order = order.sort_values(["_t", "_n"], kind="stable", na_position="first")
    latest = set(order.drop_duplicates("segment_id", keep="last")["_n"])
    key = zip(result["pilot_id"].tolist(), result["wave"].tolist(), result["code"].tolist())
    where: dict[tuple, list[int]] = {}
    for index, k in zip(result.index, key):
        where.setdefault(k, []).append(index)
    negated = dict(zip(result.index, result["negated"].astype(bool).tolist()))
    # what the decisions set, written to ``result`` at once (a cell's codings are its own: no two
    # decisions here touch the same row, but a fact family's add supersedes other cells' codings)
    decided = dict(zip(result.index, result["decision"].tolist()))
    pending: dict[Any, tuple[str, Any]] = {}

    def flush() -> None:
        if pending:
            rows = list(pending)
            result.loc[rows, "decision"] = pd.Series([pending[i][0] for i in rows], index=rows, dtype=object)
            who = {i: c for i, (_, c) in pending.items() if c is not _KEEP}
            if who:
                result.loc[list(who), "coder"] = pd.Series(list(who.values()), index=list(who), dtype=object)
            pending.clear()
        decided.update(zip(result.index, result["decision"].tolist()))

    def mark(rows, decision: str, who: Any = _KEEP) -> None:
        for i in rows:
            pending[i] = (decision, who)
            decided[i] = decision

    def supersede(d, keep) -> None:
        flush()
        _supersede_fact(result, d, families, facts, keep=keep, report=report)
        decided.update(zip(result.index, result["decision"].tolist()))

    for d in order.rename(columns={"_n": "n", "_t": "t"}).itertuples(index=False):
        who = d.coder if isinstance(d.coder, str) and d.coder else None
        line = {"segment_id": d.segment_id, "pilot_id": d.pilot_id, "wave": d.wave, "question": d.question,
                "code": d.code, "decision": d.decision, "placed_at": None, "coder": who, "unit": "cell"}
        if d.n not in latest:
            report.append({**line, "status": "superseded", "message": "a later decision on this cell wins"})
            continue
        problem = ("code" if d.code not in known_codes else "pilot" if d.pilot_id not in pilots
                   else "wave" if d.wave not in waves else None)
        if problem:
            value = {"code": d.code, "pilot": d.pilot_id, "wave": d.wave}[problem]
            report.append({**line, "status": "conflicting",
                           "message": f"{problem} {value!r} no longer exists in the data or codebook; "
                                      "the decision is kept on the sheet but not applied"})
            continue
        rows = where.get((d.pilot_id, d.wave, d.code), [])
        open_rows = [i for i in rows if not negated[i] and decided[i] is None]
        counting = [i for i in rows if not negated[i]]
        if d.decision == RULE_DECISION:
            if open_rows:
                mark(open_rows, BY_RULE)
                report.append({**line, "status": "by rule", "placed_at": d.segment_id,
                               "message": "confident enough: accepted by the rule, not reviewed"})
            continue
        if d.decision == "reject":
            if counting:
                mark(rows, "rejected", who)
                report.append({**line, "status": "applied", "placed_at": d.segment_id,
                               "message": f"{len(counting)} sentence(s) rejected"})
            else:
                mark(rows, "rejected", who)
                report.append({**line, "status": "obsolete",
                               "message": "the rules no longer mark this cell: nothing to reject"})
            continue
        if counting:
            mark(counting, "accepted", who)
            note = "the rules find this cell too" if d.decision == "add" else ""
            report.append({**line, "status": "applied", "placed_at": d.segment_id, "message": note})
            if d.decision == "add":
                supersede(d, counting)
            continue
        if d.decision == "add":
            row = _new_coding(d, _text(d.family) or families.get(d.code), corpus, threshold)
            row["segment_id"] = segment_id(d.pilot_id, d.wave, row["question"], row["evidence"], d.code)
            row["coder"] = who
            added.append(row)
            message = ("" if row["start"] is not None or corpus is None or not row["evidence"]
                       else "quote not found in the answers: kept as typed")
            report.append({**line, "status": "added", "message": message, "placed_at": row["segment_id"]})
            supersede(d, [])
            continue
        # an accept of a cell the rules no longer mark: find the sentences shown on the sheet
        placed = None
        for text in str(d.evidence or "").splitlines():
            mark = _QUESTION_MARK.match(text)
            question = int(mark.group(1)) if mark else None
            shown = d._replace(evidence=text[mark.end():] if mark else text, question=question)
            placed = _new_coding(shown, _text(d.family) or families.get(d.code), corpus, threshold, must_find=True) \
                if corpus is not None and text.strip() else None
            if placed is not None:
                break
        if placed is not None:
            placed.update(decision="accepted", coder=who)
            added.append(placed)
            report.append({**line, "status": "re-anchored", "placed_at": placed["segment_id"],
                           "message": "the rules no longer mark this cell; kept on the sentence shown on the sheet"})
        elif rows:
            mark(rows, "accepted", who)
            report.append({**line, "status": "re-anchored", "placed_at": d.segment_id,
                           "message": "only negated mentions are left; accepted as the researcher decided"})
        else:
            where_ = "in the corpus" if corpus is not None else "(pass corpus= to search the answers)"
            report.append({**line, "status": "unplaced",
                           "message": f"the rules no longer mark this cell and its sentences are not found {where_}"})
    flush()


def review_outcomes(report: pd.DataFrame) -> dict[str, int]:
    """How many decisions were applied, re-anchored, obsolete or conflicting (and left to the rule).

    >>> review_outcomes(pd.DataFrame({"status": ["applied", "added", "unplaced", "by rule"]}))
    {'applied': 2, 're-anchored': 0, 'obsolete': 0, 'conflicting': 1, 'by rule': 1}
    """
    out = dict.fromkeys(["applied", "re-anchored", "obsolete", "conflicting", "by rule"], 0)
    for status in report["status"]:
        out[OUTCOMES.get(status, "conflicting")] += 1
    return out


def _families(codings: pd.DataFrame, codebook) -> dict[str, str]:
    pairs = (codings[["code", "family"]].drop_duplicates(keep="last") if {"code", "family"} <= set(codings)
             else codings.iloc[:0])  # the family a code last has, as a dict of all rows would keep
    families = dict(zip(pairs.get("code", ()), pairs.get("family", ())))
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
    columns = list(dict.fromkeys([*CODING_COLUMNS, *result.columns, "decision", "coder"]))
    extra = pd.DataFrame(added).reindex(columns=columns).astype({"negated": bool})
    result = pd.concat([result, extra], ignore_index=True) if len(result) else extra
    rank = {c: {v: i for i, v in enumerate(dict.fromkeys(result[c]))} for c in ("wave", "pilot_id")}
    keys = result.assign(
        _w=result["wave"].map(rank["wave"]), _p=result["pilot_id"].map(rank["pilot_id"]),
        _q=result["question"].astype("Float64").fillna(1e9), _s=result["start"].astype("Float64").fillna(-1),
    )
    result = result.loc[keys.sort_values(["_w", "_p", "_q", "_s"], kind="stable").index]
    result = result.astype({"question": "Int64", "start": "Int64", "end": "Int64", "negated": bool})
    return result.reset_index(drop=True)
