"""Researcher review: the Excel sheet, reading decisions back, applying them after re-coding."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from quickscan.codebook import Codebook, Pattern
from quickscan.corpus import Corpus, make_answers
from quickscan.errors import ReviewError
from quickscan.review import (
    DECISION_COLUMNS,
    REPORT_COLUMNS,
    REVIEW_COLUMNS,
    apply_review,
    read_review_sheet,
    write_review_sheet,
)

slow = pytest.mark.slow  # codes with the spaCy pipeline

CODEBOOK = """
id: review-test
name: Review test
families:
  - id: basisset
    label: Basisset
    codes:
      - {id: wonen, label: Wonen, patterns: ["*woning*"]}
      - {id: schulden, label: Schuldhulpverlening, patterns: ["*schuld*"]}
      - {id: regie, label: Eigen regie, patterns: [eigen ... regie]}
      - {id: werk, label: Activering en werk, patterns: [dagbesteding, betaald werk]}
  - id: status
    label: Status
    kind: fact
    question: 5
    codes:
      - {id: status_geimplementeerd, label: geïmplementeerd, patterns: [geïmplementeerd]}
      - {id: status_pilot, label: pilot, patterns: [pilot, experiment*]}
      - {id: status_onbekend, label: onbekend, fallback: true}
"""

ANSWERS = {
    "Buurtcirkel Zeist": {
        5: "Het is een experiment.",
        9: "Iedereen krijgt een eigen woning. Er is geen sprake van schuldhulpverlening.",
        15: "=SUM(A1) is geen formule maar tekst over woningen.",
    },
    "Housing First Nieuwegein": {
        5: "Het is een pilot.",
        9: "Eigen kracht en regie staan voorop. Daarnaast helpen we met probleemschulden.",
        11: "We zoeken samen een woning.",
    },
}


ROW = {"pilot_id": "a", "wave": "T0", "question": 9, "code": "wonen", "family": "basisset", "start": 0, "end": 11,
       "evidence": "Een woning.", "negated": False, "valence": None, "source": "rule", "pattern": "wonen:1",
       "segment_id": "s1"}


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return Codebook.from_yaml(CODEBOOK)


def make_corpus(answers=ANSWERS, wave="T0") -> Corpus:
    frames = [make_answers(name, wave, a) for name, a in answers.items()]
    return Corpus.from_answers(pd.concat(frames, ignore_index=True))


def fill(path: Path, edits: dict[str, dict[str, object]], *, new_rows=(), author="Anna de Vries") -> None:
    """Fill in decisions as a researcher would: by segment id, plus rows added at the bottom."""
    wb = load_workbook(path)
    ws = wb["review"]
    col = {c.value: c.column for c in ws[1]}
    for row in ws.iter_rows(min_row=2):
        seg = row[col["segment_id"] - 1].value
        for name, value in edits.get(seg, {}).items():
            row[col[name] - 1].value = value
    first_empty = next(r for r in range(2, ws.max_row + 2) if ws.cell(r, col["code"]).value is None)
    for offset, values in enumerate(new_rows):
        for name, value in values.items():
            ws.cell(first_empty + offset, col[name]).value = value
    wb.properties.lastModifiedBy = author
    wb.save(path)


def segment(codings, code, contains=""):
    rows = codings[(codings["code"] == code) & codings["evidence"].str.contains(contains, regex=False)]
    assert len(rows) == 1, rows
    return rows["segment_id"].iloc[0]


# -- the sheet ------------------------------------------------------------------------------


@slow
def test_review_sheet_layout(tmp_path, cb):
    from quickscan.coding import code_corpus

    corpus = make_corpus()
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", corpus=corpus, codebook=cb, level="segment")
    wb = load_workbook(path)
    ws = wb["review"]
    assert [c.value for c in ws[1]] == REVIEW_COLUMNS
    assert ws.max_row - 1 >= len(codings)
    rows = list(ws.iter_rows(min_row=2, max_row=len(codings) + 1, values_only=True))
    assert {r[1] for r in rows} == set(ANSWERS)  # pilot names from the corpus
    assert ("wonen", "Wonen") in {(r[4], r[5]) for r in rows}
    formulas = [c for c in ws["G"] if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas and all(c.data_type == "s" for c in formulas)  # text, never a formula
    assert wb["lists"].sheet_state == "hidden"
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations["K2"] == "=lists!$A$2:$A$4"  # decision
    assert validations["E2"].startswith("=lists!$B$2")  # code
    col = {c.value: c.column_letter for c in ws[1]}
    for name in ("decision", "coder", "decided_at", "comment"):  # empty cells take the column's fill
        assert ws[f"{col[name]}1"].fill.fgColor.rgb.endswith("FFF2CC")
        assert ws.column_dimensions[col[name]].fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.column_dimensions[col["evidence"]].fill.fgColor.rgb in (None, "00000000")
    assert ws[f"{col['evidence']}2"].fill.fgColor.rgb in (None, "00000000")
    assert {r[col_index(ws, "probability")] for r in rows} == {None}  # rule codings have none
    assert ws.freeze_panes == "B2"


def col_index(ws, name: str) -> int:
    return [c.value for c in ws[1]].index(name)


def test_review_sheet_shows_suggestions_with_probability(tmp_path):
    from quickscan.review import to_review_workbook

    suggestion = {**ROW, "source": "model", "probability": 0.73456, "segment_id": "m1"}
    ws = to_review_workbook(pd.DataFrame([ROW, suggestion]), level="segment")["review"]
    rows = list(ws.iter_rows(min_row=2, max_row=3, values_only=True))
    assert [(r[col_index(ws, "source")], r[col_index(ws, "probability")]) for r in rows] == [
        ("rule", None), ("model", 0.735)]


def test_review_suggestions_count_only_when_accepted():
    from quickscan.coding import present

    codings = pd.DataFrame([ROW, {**ROW, "source": "model", "probability": 0.9, "segment_id": "m1", "code": "werk"},
                            {**ROW, "source": "model", "probability": 0.8, "segment_id": "m2", "code": "zorg"}])
    assert present(codings)["code"].tolist() == ["wonen"]
    decisions = pd.DataFrame({"segment_id": ["m1"], "decision": ["accept"], "code": ["werk"]})
    reviewed, report = apply_review(codings, decisions)
    assert present(reviewed)["code"].tolist() == ["wonen", "werk"]
    assert report["status"].tolist() == ["applied"]


@slow
def test_review_write_is_atomic(tmp_path, cb, monkeypatch):
    from openpyxl import Workbook

    import quickscan._sheets
    from quickscan.coding import code_corpus

    path = tmp_path / "review.xlsx"
    path.write_bytes(b"the previous sheet")

    def broken(self, target):
        target.write(b"half") if hasattr(target, "write") else Path(target).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        write_review_sheet(code_corpus(make_corpus(), cb), path, codebook=cb, level="segment")
    monkeypatch.undo()

    def broken_rows(*args):  # the layout is written, then the disk fills up while the rows stream
        yield "<row/>"
        raise OSError("disk full")

    monkeypatch.setattr(quickscan._sheets, "_rows", broken_rows)
    with pytest.raises(OSError, match="disk full"):
        write_review_sheet(code_corpus(make_corpus(), cb), path, codebook=cb)
    assert path.read_bytes() == b"the previous sheet"
    assert [p.name for p in tmp_path.iterdir()] == ["review.xlsx"]


# -- round trip -----------------------------------------------------------------------------


@slow
def test_review_round_trip(tmp_path, cb):
    from quickscan.coding import code_corpus, present

    corpus = make_corpus()
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", corpus=corpus, codebook=cb, level="segment")
    woning = segment(codings, "wonen", "eigen woning")
    schuld = segment(codings, "schulden", "geen sprake")
    regie = segment(codings, "regie")
    fill(path, {
        woning: {"decision": "reject", "comment": "gaat over de toekomst"},
        schuld: {"decision": "accept", "coder": "Bram", "decided_at": datetime(2020, 5, 4, 10, 30)},
        regie: {"decision": "Accept "},  # typed by hand: case and spaces do not matter
    }, new_rows=[{"decision": "add", "code": "werk", "pilot": "Housing First Nieuwegein", "wave": "T0",
                  "question": 11, "evidence": "We zoeken samen een woning."}])

    decisions = read_review_sheet(path)
    assert list(decisions.columns) == DECISION_COLUMNS
    assert len(decisions) == 4
    by_code = decisions.set_index("code")
    assert by_code.loc["wonen", "coder"] == "Anna de Vries"  # from the workbook properties
    assert by_code.loc["schulden", "coder"] == "Bram"  # from the coder column
    assert by_code.loc["schulden", "decided_at"] == pd.Timestamp("2020-05-04 10:30")
    assert by_code.loc["wonen", "comment"] == "gaat over de toekomst"
    assert by_code.loc["regie", "decision"] == "accept"
    assert by_code.loc["werk", "pilot_id"] == "housing-first-nieuwegein"
    assert pd.notna(by_code.loc["wonen", "decided_at"])  # from the workbook properties

    reviewed, report = apply_review(codings, decisions, corpus=corpus)
    assert list(report.columns) == REPORT_COLUMNS
    assert sorted(report["status"]) == ["added", "applied", "applied", "applied"]
    decided = reviewed.set_index("segment_id")["decision"]
    assert decided[woning] == "rejected" and decided[schuld] == "accepted" and decided[regie] == "accepted"
    added = reviewed[reviewed["source"] == "researcher"]
    assert added[["code", "question", "decision"]].values.tolist() == [["werk", 11, "added"]]
    assert added["family"].tolist() == ["basisset"]
    assert added["start"].tolist() == [0]  # placed on its sentence in the answer
    counted = present(reviewed)
    assert woning not in set(counted["segment_id"])
    assert schuld in set(counted["segment_id"])  # negated, but accepted by the researcher
    assert len(reviewed) == len(codings) + 1


@slow
def test_review_decisions_survive_a_codebook_edit(tmp_path, cb):
    from quickscan.coding import code_corpus

    corpus = make_corpus()
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", codebook=cb, level="segment")
    woning = segment(codings, "wonen", "eigen woning")
    fill(path, {woning: {"decision": "reject"}})

    basisset = cb.family("basisset")
    wonen = dataclasses.replace(basisset.codes[0], patterns=(Pattern("wonen:1", text="huisvest*"),
                                                          Pattern("wonen:2", text="*woning")))
    edited = dataclasses.replace(cb, families=(dataclasses.replace(basisset, codes=(wonen, *basisset.codes[1:])),
                                               *cb.families[1:]))
    recoded = code_corpus(corpus, edited)
    assert recoded.loc[recoded["segment_id"] == woning, "pattern"].tolist() == ["wonen:2"]
    reviewed, report = apply_review(recoded, read_review_sheet(path), corpus=corpus)
    assert report["status"].tolist() == ["applied"]
    assert reviewed.loc[reviewed["segment_id"] == woning, "decision"].tolist() == ["rejected"]


@slow
def test_review_decision_re_anchored_after_an_answer_edit(tmp_path, cb):
    from quickscan.coding import code_corpus

    corpus = make_corpus()
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", codebook=cb, level="segment")
    woning = segment(codings, "wonen", "eigen woning")
    fill(path, {woning: {"decision": "reject"}})

    edited = {k: dict(v) for k, v in ANSWERS.items()}
    edited["Buurtcirkel Zeist"][9] = (
        "Iedereen krijgt straks een eigen woning. Er is geen sprake van schuldhulpverlening."
    )
    new_corpus = make_corpus(edited)
    recoded = code_corpus(new_corpus, cb)
    assert woning not in set(recoded["segment_id"])
    reviewed, report = apply_review(recoded, read_review_sheet(path), corpus=new_corpus)
    assert report["status"].tolist() == ["re-anchored"]
    new = report["placed_at"].iloc[0]
    assert reviewed.loc[reviewed["segment_id"] == new, ["code", "decision"]].values.tolist() == [["wonen", "rejected"]]
    assert woning in report["message"].iloc[0]


@slow
def test_review_unplaceable_decisions_are_reported(tmp_path, cb):
    from quickscan.coding import code_corpus

    corpus = make_corpus()
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", codebook=cb, level="segment")
    woning = segment(codings, "wonen", "eigen woning")
    schuld = segment(codings, "schulden", "probleemschulden")
    fill(path, {woning: {"decision": "accept"}, schuld: {"decision": "reject"}})

    rewritten = {k: dict(v) for k, v in ANSWERS.items()}
    rewritten["Buurtcirkel Zeist"][9] = "Het doel is minder eenzaamheid."
    rewritten["Housing First Nieuwegein"][9] = "Eigen kracht en regie staan voorop."
    new_corpus = make_corpus(rewritten)
    recoded = code_corpus(new_corpus, cb)
    reviewed, report = apply_review(recoded, read_review_sheet(path), corpus=new_corpus)
    status = report.set_index("segment_id")["status"]
    assert status[woning] == "unplaced" and status[schuld] == "obsolete"
    assert len(report) == 2  # every decision is in the report
    assert "no longer found" in report.set_index("segment_id").loc[woning, "message"]
    assert reviewed["decision"].isna().all()


@slow
def test_review_accept_keeps_a_coding_the_rules_no_longer_find(tmp_path, cb):
    from quickscan.coding import code_corpus

    corpus = make_corpus()
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", codebook=cb, level="segment")
    regie = segment(codings, "regie")
    fill(path, {regie: {"decision": "accept"}})
    basisset = cb.family("basisset")
    no_regie = dataclasses.replace(basisset.codes[2], patterns=(Pattern("regie:1", text="regievoering"),))
    edited = dataclasses.replace(cb, families=(
        dataclasses.replace(basisset, codes=(*basisset.codes[:2], no_regie, basisset.codes[3])), *cb.families[1:]))
    recoded = code_corpus(corpus, edited)
    assert "regie" not in set(recoded["code"])

    reviewed, report = apply_review(recoded, read_review_sheet(path), corpus=corpus)
    assert report["status"].tolist() == ["re-anchored"]
    kept = reviewed[reviewed["code"] == "regie"]
    assert kept[["source", "decision", "segment_id"]].values.tolist() == [["researcher", "accepted", regie]]

    _, without_corpus = apply_review(recoded, read_review_sheet(path))
    assert without_corpus["status"].tolist() == ["unplaced"]


@slow
def test_review_researcher_fact_replaces_the_rule_fact(tmp_path, cb):
    from quickscan.coding import code_corpus

    corpus = make_corpus()
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", corpus=corpus, codebook=cb, level="segment")
    fill(path, {}, new_rows=[{"decision": "add", "code": "status_geimplementeerd", "pilot": "Buurtcirkel Zeist",
                              "wave": "T0", "question": 5, "evidence": ""}])
    reviewed, report = apply_review(codings, read_review_sheet(path), corpus=corpus, codebook=cb)
    status = reviewed[(reviewed["pilot_id"] == "buurtcirkel-zeist") & (reviewed["family"] == "status")]
    assert status[["code", "decision"]].values.tolist() == [
        ["status_pilot", "rejected"], ["status_geimplementeerd", "added"]
    ] or status[["code", "decision"]].values.tolist() == [
        ["status_geimplementeerd", "added"], ["status_pilot", "rejected"]
    ]
    assert set(report["status"]) == {"added", "applied"}


def _codings(n: int = 2) -> pd.DataFrame:
    from quickscan.coding import CODING_COLUMNS

    rows = [
        ["a", "T0", 9, "wonen", "basisset", 0, 6, f"Woning {i}.", False, None, "rule", "wonen:1", f"s{i}"]
        for i in range(n)
    ]
    frame = pd.DataFrame(rows, columns=CODING_COLUMNS)
    return frame.astype({"question": "Int64", "start": "Int64", "end": "Int64"})


def test_review_latest_decision_wins():
    decisions = pd.DataFrame({
        "segment_id": ["s0", "s0", "s1"], "pilot_id": ["a"] * 3, "wave": ["T0"] * 3, "question": [9] * 3,
        "code": ["wonen"] * 3, "decision": ["reject", "accept", "reject"], "coder": ["A", "B", "A"],
        "decided_at": pd.to_datetime(["2020-05-02", "2020-05-01", "2020-05-01"]), "comment": "",
        "evidence": ["Woning 0.", "Woning 0.", "Woning 1."], "row": [2, 3, 4],
    })
    reviewed, report = apply_review(_codings(), decisions)
    assert reviewed["decision"].tolist() == ["rejected", "rejected"]
    assert sorted(report["status"]) == ["applied", "applied", "superseded"]


def test_review_no_decisions_changes_nothing():
    reviewed, report = apply_review(_codings(), pd.DataFrame(columns=DECISION_COLUMNS))
    assert reviewed["decision"].isna().all() and report.empty


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edits, new_rows, message",
    [
        ({"s0": {"decision": "misschien"}}, [], "unknown decision 'misschien'"),
        ({"s0": {"decision": "accept", "code": "wonne"}}, [], "unknown code 'wonne'"),
        ({}, [{"decision": "add", "code": "wonen", "evidence": "x"}], "needs a pilot"),
        ({}, [{"decision": "accept", "code": "wonen", "pilot": "a"}], "needs the segment_id"),
        ({}, [{"code": "wonen", "pilot": "a", "evidence": "Een woning."}], "needs decision 'add'"),
        ({"s0": {"decision": "accept", "question": "negen"}}, [], "question must be a number"),
    ],
)
def test_review_bad_input_names_file_and_row(tmp_path, edits, new_rows, message):
    path = write_review_sheet(_codings(), tmp_path / "review.xlsx", level="segment")
    fill(path, edits, new_rows=new_rows)
    with pytest.raises(ReviewError, match=message) as info:
        read_review_sheet(path)
    text = str(info.value)
    assert str(path) in text
    assert ("row 2" if edits else "row 4") in text


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"not a zip", "corrupt")])
def test_review_unreadable_file(tmp_path, content, message):
    path = tmp_path / "review.xlsx"
    path.write_bytes(content)
    with pytest.raises(ReviewError, match=message):
        read_review_sheet(path)


def test_review_sheet_without_decision_column(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["pilot", "code"])
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(ReviewError, match="not a review sheet"):
        read_review_sheet(tmp_path / "other.xlsx")


def test_review_sheet_of_a_reviewed_data_set_shows_the_decisions(tmp_path):
    codings = _codings().assign(decision=["rejected", None])
    path = write_review_sheet(codings, tmp_path / "review.xlsx", level="segment")
    decisions = read_review_sheet(path)
    assert decisions[["segment_id", "decision"]].values.tolist() == [["s0", "reject"]]


def test_review_re_anchors_on_unmatched_content():
    codings = _codings(1).assign(question=pd.array([pd.NA], dtype="Int64"), segment_id=["new"],
                                 evidence=["Een nieuwe woning voor iedereen."])
    decisions = pd.DataFrame({
        "segment_id": ["old"], "pilot_id": ["a"], "wave": ["T0"], "question": pd.array([pd.NA], dtype="Int64"),
        "code": ["wonen"], "decision": ["reject"], "evidence": ["Een nieuwe woning voor iedereen!"], "row": [2],
    })
    reviewed, report = apply_review(codings, decisions)
    assert report[["status", "placed_at"]].values.tolist() == [["re-anchored", "new"]]
    assert reviewed["decision"].tolist() == ["rejected"]


@pytest.mark.parametrize(
    "typed, expected",
    [("2020-05-04 10:30", "2020-05-04 10:30"), ("4-5-2020 10:30", "2020-05-04 10:30"),
     (datetime(2020, 5, 4), "2020-05-04")],
)
def test_review_decided_at_typed_by_hand(tmp_path, typed, expected):
    path = write_review_sheet(_codings(), tmp_path / "review.xlsx", level="segment")
    fill(path, {"s0": {"decision": "reject", "decided_at": typed}})
    assert read_review_sheet(path)["decided_at"].tolist() == [pd.Timestamp(expected)]


def test_review_accept_with_another_code_recodes_the_segment():
    decisions = pd.DataFrame({
        "segment_id": ["s0"], "pilot_id": ["a"], "wave": ["T0"], "question": [9], "code": ["schulden"],
        "decision": ["accept"], "evidence": ["Woning 0."], "family": ["basisset"], "row": [2],
    })
    reviewed, report = apply_review(_codings(1), decisions)
    assert reviewed[["code", "source", "decision"]].values.tolist() == [
        ["wonen", "rule", "rejected"], ["schulden", "researcher", "added"]
    ]
    assert report["status"].tolist() == ["recoded"]


# -- the cell sheet (one row per pilot x wave x code) ------------------------------------------

MORE = {
    "Buurtcirkel Zeist": {
        5: "Het is een experiment.",
        9: "Iedereen krijgt een eigen woning. Er is geen sprake van schuldhulpverlening.",
        11: "We helpen bij het zoeken naar een woning. De woningcorporatie denkt mee.",
        15: "Niet iedereen vindt dagbesteding.",
    },
    "Housing First Nieuwegein": {
        5: "Het is een pilot.",
        9: "Eigen kracht en regie staan voorop. Daarnaast helpen we met probleemschulden.",
        13: "Woningcorporatie, gemeente, schuldhulp en de ggz.",
    },
}


def fill_cells(path: Path, family: str, edits: dict[tuple[str, str], str], *, new_rows=(), reviewer=None):
    """Decide on cells by (pilot label, code) and add rows at the bottom of a family sheet."""
    wb = load_workbook(path)
    ws = wb[family]
    col = {c.value: c.column for c in ws[1]}
    for row in ws.iter_rows(min_row=2):
        key = (row[col["pilot"] - 1].value, row[col["code"] - 1].value)
        if key in edits:
            row[col["decision"] - 1].value = edits[key]
    first_empty = next(r for r in range(2, ws.max_row + 2) if ws.cell(r, col["code"]).value is None)
    for offset, values in enumerate(new_rows):
        for name, value in values.items():
            ws.cell(first_empty + offset, col[name]).value = value
    if reviewer:
        wb["review"]["B1"] = reviewer
    wb.save(path)


@slow
def test_review_cells_one_row_per_pilot_and_code(cb):
    from quickscan.coding import code_corpus, present
    from quickscan.review import CELL_COLUMNS, review_cells

    corpus = make_corpus(MORE)
    codings = code_corpus(corpus, cb)
    cells = review_cells(codings, corpus=corpus, codebook=cb)
    assert list(cells.columns) == CELL_COLUMNS
    counted = present(codings[codings["family"] == "basisset"])
    assert len(cells) == len(counted.drop_duplicates(["pilot_id", "wave", "code"]))
    assert set(cells["family"]) == {"basisset"}  # fact families are not reviewed by default
    wonen = cells[(cells["pilot_id"] == "buurtcirkel-zeist") & (cells["code"] == "wonen")].iloc[0]
    assert wonen["pilot"] == "1. Buurtcirkel Zeist" and wonen["matches"] == 3
    assert wonen["evidence"].splitlines()[0].startswith("[9] ")  # numbered with its question
    assert len(wonen["evidence"].splitlines()) == 3
    schuld = cells[(cells["pilot_id"] == "housing-first-nieuwegein") & (cells["code"] == "schulden")].iloc[0]
    assert schuld["evidence"].startswith("[9] ")  # the list of organisations comes last
    assert not cells.loc[cells["code"] == "wonen", "negated"].any()
    for _, pilot in cells.groupby("nr"):  # least confident first within each pilot
        assert pilot["confidence"].is_monotonic_increasing
    assert cells["state"].eq("to review").all()
    by_confidence = review_cells(codings, corpus=corpus, codebook=cb, sort="confidence")
    assert by_confidence["confidence"].is_monotonic_increasing


@slow
def test_review_cell_round_trip(tmp_path, cb):
    from quickscan.coding import code_corpus, present
    from quickscan.review import CELL_SHEET_COLUMNS, review_cells, review_outcomes

    corpus = make_corpus(MORE)
    codings = code_corpus(corpus, cb)
    path = write_review_sheet(codings, tmp_path / "review.xlsx", corpus=corpus, codebook=cb)
    wb = load_workbook(path)
    assert wb.sheetnames == ["review", "basisset", "lists"] and wb["lists"].sheet_state == "hidden"
    assert [c.value for c in wb["basisset"][1]] == CELL_SHEET_COLUMNS
    fill_cells(path, "basisset", {("1. Buurtcirkel Zeist", "wonen"): "reject"}, reviewer="Anna", new_rows=[
        {"pilot": "2. Housing First Nieuwegein", "wave": "T0", "code": "werk", "decision": "add",
         "evidence": "[9] Eigen kracht en regie staan voorop."}])
    decisions = read_review_sheet(path)
    assert decisions[["code", "decision", "coder", "unit"]].values.tolist() == [
        ["wonen", "reject", "Anna", "cell"], ["werk", "add", "Anna", "cell"]]
    assert decisions["question"].tolist()[1] == 9 and decisions["evidence"].tolist()[1].startswith("Eigen")
    reviewed, report = apply_review(codings, decisions, corpus=corpus, codebook=cb)
    assert review_outcomes(report)["applied"] == 2 and report["coder"].tolist() == ["Anna", "Anna"]
    counted = present(reviewed)
    cells = set(zip(counted["pilot_id"], counted["code"]))
    assert ("buurtcirkel-zeist", "wonen") not in cells and ("housing-first-nieuwegein", "werk") in cells
    added = reviewed[reviewed["source"] == "researcher"].iloc[0]
    assert (added["question"], added["start"], added["coder"]) == (9, 0, "Anna")
    rejected = reviewed[reviewed["decision"] == "rejected"]
    assert set(rejected["coder"]) == {"Anna"} and len(rejected) == 3  # every sentence of the cell
    # the sheet of the reviewed data shows the decisions and who took them; it reads back the same
    again = review_cells(reviewed, corpus=corpus, codebook=cb)
    shown = again[again["decision"].notna()].set_index("code")
    assert shown.loc["wonen", "decision"] == "reject" and shown.loc["werk", "decision"] == "add"
    assert shown.loc["werk", "reviewer"] == "Anna"


def test_review_cell_decisions_that_no_longer_fit_are_listed():
    from quickscan.review import cell_id, review_outcomes

    codings = _codings(2)
    rows = [("a", "T0", "wonen", "reject"), ("a", "T0", "schuldhulpverlening", "reject"),
            ("zz", "T0", "wonen", "accept"), ("a", "T0", "onbekende_code", "accept"), ("a", "T0", "activering_werk", "accept")]
    decisions = pd.DataFrame([{
        "segment_id": cell_id(p, w, c), "pilot_id": p, "wave": w, "code": c, "decision": d, "coder": "Bram",
        "evidence": "", "unit": "cell", "row": f"basisset!{i}"} for i, (p, w, c, d) in enumerate(rows, start=2)])
    reviewed, report = apply_review(codings, decisions)
    assert report["status"].tolist() == ["applied", "obsolete", "conflicting", "conflicting", "unplaced"]
    assert "pilot 'zz'" in report.loc[2, "message"] and "code 'onbekende_code'" in report.loc[3, "message"]
    assert review_outcomes(report) == {"applied": 1, "re-anchored": 0, "obsolete": 1, "conflicting": 3, "by rule": 0}
    assert reviewed["decision"].tolist() == ["rejected", "rejected"]


@slow
def test_review_min_confidence_leaves_confident_cells_to_the_rule(tmp_path, cb):
    from quickscan.coding import code_corpus, present
    from quickscan.review import BY_RULE, review_cells

    corpus = make_corpus(MORE)
    codings = code_corpus(corpus, cb)
    cells = review_cells(codings, corpus=corpus, codebook=cb)
    threshold = float(cells["confidence"].median())
    path = write_review_sheet(codings, tmp_path / "review.xlsx", corpus=corpus, codebook=cb,
                              min_confidence=threshold)
    wb = load_workbook(path)
    assert wb["review"]["B2"].value == threshold
    statuses = [r[9] for r in wb["basisset"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert statuses.count(BY_RULE) == (cells["confidence"] >= threshold).sum() > 0
    decisions = read_review_sheet(path)
    assert set(decisions["decision"]) == {"rule"}
    reviewed, report = apply_review(codings, decisions, codebook=cb)
    assert set(report["status"]) == {"by rule"}
    assert len(present(reviewed)) == len(present(codings))  # accepted by rule: they still count
    assert (reviewed["decision"] == BY_RULE).sum() > 0


def test_review_formula_decision_without_value_warns(tmp_path):
    path = write_review_sheet(_codings(), tmp_path / "review.xlsx", level="segment")
    fill(path, {"s0": {"decision": '=IF(1=1,"reject","accept")'}})
    with pytest.warns(UserWarning, match=r"row 2: the decision is a formula"):
        assert read_review_sheet(path).empty

def test_review_evidence_longer_than_an_excel_cell_is_cut_marked_and_warned(tmp_path, cb):
    from quickscan.errors import QuickscanWarning
    from quickscan.export import write_xlsx

    long = "Een woning. " + "lang " * 9_000  # 45,012 characters
    codings = pd.DataFrame([{**ROW, "evidence": long}])
    corpus = make_corpus({"A": {9: long}})
    with pytest.warns(QuickscanWarning, match=r"sheet 'basisset': 1 text\(s\) longer than an Excel cell"):
        path = write_review_sheet(codings, tmp_path / "review.xlsx", codebook=cb)
    ws = load_workbook(path)["basisset"]
    column = [c.value for c in ws[1]].index("evidence") + 1
    cell = ws.cell(2, column).value
    assert len(cell) == 32_767 and "Een woning. lang" in cell and cell.endswith(" tekens]") and "[afgekapt: " in cell
    with pytest.warns(QuickscanWarning, match="were cut"):
        write_xlsx(tmp_path / "tables.xlsx", codings, corpus, codebook=cb, families=["basisset"])
