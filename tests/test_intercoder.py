"""Inter-coder agreement: the statistics against published examples and independent
implementations, and the reliability data built from codings on a small hand-made set."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickscan.intercoder import (
    AGREEMENT_COLUMNS,
    ALL_CODES,
    DISAGREEMENT_COLUMNS,
    agreement,
    cohen_kappa,
    disagreements,
    krippendorff_alpha,
    percent_agreement,
    reliability_data,
    stack_coders,
)

NAN = float("nan")

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (nominal data):
# 4 observers x 12 units with missing values; alpha_nominal = 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


# -- the statistics -----------------------------------------------------------------------------


def test_agreement_krippendorff_2011_example():
    assert round(krippendorff_alpha(KRIPPENDORFF_2011), 3) == 0.743


def test_agreement_krippendorff_2011_matches_package():
    krippendorff = pytest.importorskip("krippendorff")
    expected = krippendorff.alpha(reliability_data=np.array(KRIPPENDORFF_2011), level_of_measurement="nominal")
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(expected, abs=1e-12)


def test_agreement_krippendorff_accepts_none_and_labels():
    data = [["a" if v == 1 else str(v) if v == v else None for v in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(data) == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011))


def test_agreement_cohen_kappa_wikipedia_example():
    # 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15 -> po 0.7, pe 0.5, kappa 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)
    assert percent_agreement([a, b]) == pytest.approx(70.0)


def test_agreement_cohen_kappa_drops_incomplete_pairs():
    assert cohen_kappa([1, 0, 1, None], [1, 0, 0, 1]) == pytest.approx(cohen_kappa([1, 0, 1], [1, 0, 0]))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cohen_kappa([1, 0], [1]), "different number"),
        (lambda: cohen_kappa([1, None], [None, 0]), "no unit was judged by both"),
        (lambda: krippendorff_alpha([[1, NAN], [NAN, 0]]), "no unit was judged by two"),
        (lambda: percent_agreement([[1, NAN], [NAN, 0]]), "no unit was judged by two"),
        (lambda: krippendorff_alpha([]), "non-empty"),
    ],
)
def test_agreement_statistics_refuse_data_without_pairs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_agreement_statistics_without_variation_are_undefined_not_silent():
    same = [[1, 1, 1], [1, 1, NAN]]
    assert math.isnan(krippendorff_alpha(same))
    assert krippendorff_alpha(same, undefined=1.0) == 1.0
    assert math.isnan(cohen_kappa([0, 0, 0], [0, 0, 0]))
    assert cohen_kappa([0, 0], [0, 0], undefined=-9.0) == -9.0
    assert percent_agreement(same) == 100.0


def test_agreement_perfect_agreement_with_variation_is_one():
    data = [[0, 1, 1, 0], [0, 1, 1, 0], [0, NAN, 1, 0]]
    assert krippendorff_alpha(data) == pytest.approx(1.0)
    assert cohen_kappa(data[0], data[1]) == pytest.approx(1.0)


# -- against independent implementations, on random data -------------------------------------------

labels = st.integers(min_value=0, max_value=3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=2, max_size=40))
def test_agreement_cohen_kappa_matches_sklearn(pairs):
    from sklearn.metrics import cohen_kappa_score

    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    if len(set(a) | set(b)) < 2:  # one label: undefined (sklearn warns and gives NaN)
        assert math.isnan(cohen_kappa(a, b))
        return
    ours = cohen_kappa(a, b)
    if math.isnan(ours):  # both coders constant on the same... impossible with 2 labels unless pe == 1
        pytest.fail("kappa undefined although two labels occur")
    assert ours == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)


cell = st.one_of(st.none(), st.integers(min_value=0, max_value=3))


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=2, max_value=5).flatmap(
    lambda m: st.lists(st.lists(cell, min_size=m, max_size=m), min_size=1, max_size=25)))
def test_agreement_krippendorff_alpha_matches_package(units):
    krippendorff = pytest.importorskip("krippendorff")
    data = np.array([[NAN if v is None else v for v in unit] for unit in units], dtype=float).T  # coders x units
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    if not pairable.any():
        with pytest.raises(ValueError):
            krippendorff_alpha(data)
        return
    values = np.unique(data[:, pairable][~np.isnan(data[:, pairable])])
    if len(values) < 2:
        assert math.isnan(krippendorff_alpha(data))
        return
    expected = krippendorff.alpha(reliability_data=data[:, pairable], level_of_measurement="nominal")
    assert krippendorff_alpha(data) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=40))
def test_agreement_percent_agreement_of_two_coders_is_share_of_equal_pairs(pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    assert percent_agreement([a, b]) == pytest.approx(100 * sum(x == y for x, y in pairs) / len(pairs))


# -- from codings: a small hand-made set of two coders ---------------------------------------------


def _codings(rows):
    frame = pd.DataFrame(rows, columns=["pilot_id", "question", "code", "evidence", "negated", "decision"])
    return frame.assign(wave="T0", family="basisset")


WONEN, ERV = "wonen", "ervaringsdeskundigheid"
CODER_A = _codings([
    ("p1", 9, WONEN, "Iedereen krijgt een eigen woning.", False, None),
    ("p1", 11, ERV, "Een ervaringsdeskundige werkt mee.", False, "accepted"),
    ("p2", 9, WONEN, "Huurders wonen zelfstandig.", False, None),
    ("p3", 10, WONEN, "Geen eigen woning.", True, None),  # negated: does not count
    ("p3", 12, ERV, "Ervaringsdeskundigen geven les.", False, None),
])
CODER_B = _codings([
    ("p1", 9, WONEN, "Iedereen krijgt een  eigen woning!", False, None),  # folds to A's sentence
    ("p2", 11, ERV, "Een ervaringsdeskundige doet mee.", False, "added"),
    ("p2", 9, WONEN, "Huurders wonen zelfstandig.", False, "rejected"),  # rejected: does not count
    ("p3", 12, ERV, "Ervaringsdeskundigen geven les.", False, None),
])
TWO = {"A": CODER_A, "B": CODER_B}


def _by_code(table):
    return table.set_index("code")


def test_agreement_stack_coders_keeps_what_counts():
    stacked = stack_coders(TWO)
    assert stacked.groupby("coder").size().to_dict() == {"A": 4, "B": 3}
    assert not stacked["evidence"].str.contains("Geen eigen woning").any()
    assert stack_coders(stacked).equals(stacked)  # a stacked frame is accepted as it is


def test_agreement_stack_coders_names_the_coder_with_missing_columns():
    with pytest.raises(ValueError, match="'B'.*code"):
        stack_coders({"A": CODER_A, "B": CODER_B.drop(columns="code")})
    with pytest.raises(ValueError, match="coder"):
        stack_coders(CODER_A)


def test_agreement_pilot_level_by_hand():
    table = _by_code(agreement(TWO, family="basisset"))
    assert list(table.index) == [ERV, WONEN, ALL_CODES]  # codebook order: E before W
    # wonen A: 1 1 0, B: 1 0 0
    w = table.loc[WONEN]
    assert (w.n_units, w.n_present) == (3, 2)
    assert w.percent_agreement == pytest.approx(100 * 2 / 3)
    assert w.cohen_kappa == pytest.approx(float(F(2, 5)))
    assert w.krippendorff_alpha == pytest.approx(float(F(4, 9)))
    # ervaringsdeskundigheid A: 1 0 1, B: 0 1 1
    e = table.loc[ERV]
    assert e.percent_agreement == pytest.approx(100 / 3)
    assert e.cohen_kappa == pytest.approx(-0.5)
    assert e.krippendorff_alpha == pytest.approx(-0.25)
    # pooled over the 6 code x pilot decisions
    p = table.loc[ALL_CODES]
    assert p.n_units == 6
    assert p.percent_agreement == pytest.approx(50.0)
    assert p.cohen_kappa == pytest.approx(0.0, abs=1e-12)
    assert p.krippendorff_alpha == pytest.approx(float(F(4, 70)))
    assert table.loc[WONEN, "label"] == "Wonen" and (table["note"] == "").all()
    assert list(agreement(TWO).columns) == AGREEMENT_COLUMNS


def test_agreement_segment_level_by_hand():
    table = _by_code(agreement(TWO, level="segment"))
    # 5 sentences: p1 q9, p1 q11, p2 q9, p2 q11, p3 q12; A's negated sentence is no unit
    w, e = table.loc[WONEN], table.loc[ERV]
    assert w.n_units == e.n_units == 5
    assert w.percent_agreement == pytest.approx(80.0)
    assert w.cohen_kappa == pytest.approx(float(F(6, 11)))
    assert w.krippendorff_alpha == pytest.approx(float(F(4, 7)))
    assert e.percent_agreement == pytest.approx(60.0)
    assert e.cohen_kappa == pytest.approx(float(F(1, 6)))
    assert e.krippendorff_alpha == pytest.approx(0.25)
    assert table.loc[ALL_CODES, "n_units"] == 10


def test_agreement_reliability_data_marks_unjudged_forms_missing():
    a = CODER_A[CODER_A["pilot_id"] != "p3"]  # A did not code p3 at all
    matrix = reliability_data({"A": a, "B": CODER_B}, WONEN)
    assert matrix.loc["A"].tolist()[:2] == [1.0, 1.0] and math.isnan(matrix.loc["A"].tolist()[2])
    assert matrix.loc["B"].tolist() == [1.0, 0.0, 0.0]
    assert _by_code(agreement({"A": a, "B": CODER_B})).loc[WONEN, "n_units"] == 2


@pytest.mark.parametrize("level", ["pilot", "segment"])
def test_agreement_form_with_only_rejected_or_negated_codings_was_judged(level):
    """A coder who rejected (or whose rule found only negated) codings in a form did read it:
    a code the other coder found there is a 0 for them, a disagreement, not missing."""
    a = _codings([
        ("p1", 9, WONEN, "Iedereen krijgt een eigen woning.", False, None),
        ("p2", 9, WONEN, "Huurders wonen zelfstandig.", False, "rejected"),
        ("p3", 9, WONEN, "Geen eigen woning.", True, None),
    ])
    b = _codings([
        ("p1", 9, WONEN, "Iedereen krijgt een eigen woning.", False, None),
        ("p2", 9, WONEN, "Huurders wonen zelfstandig.", False, None),
        ("p3", 9, WONEN, "Geen eigen woning.", False, "accepted"),
    ])
    matrix = reliability_data({"A": a, "B": b}, WONEN, level=level)
    assert matrix.loc["A"].tolist() == [1.0, 0.0, 0.0] and matrix.loc["B"].tolist() == [1.0, 1.0, 1.0]
    row = _by_code(agreement({"A": a, "B": b}, level=level)).loc[WONEN]
    assert (row.n_units, row.percent_agreement) == (3, pytest.approx(100 / 3))
    assert set(disagreements({"A": a, "B": b}, level=level)["pilot_id"]) == {"p2", "p3"}


def test_agreement_coders_without_any_present_coding_still_count():
    a = _codings([("p1", 9, WONEN, "Een woning.", False, "rejected")])
    b = _codings([("p1", 9, WONEN, "Een woning.", False, None)])
    table = _by_code(agreement({"A": a, "B": b}))
    assert table.loc[WONEN, "n_units"] == 1 and table.loc[WONEN, "percent_agreement"] == 0.0
    units = pd.DataFrame({"coder": ["C"], "pilot_id": "p1", "wave": "T0"})
    differ = disagreements({"A": a, "B": b}, units=units)
    assert differ[["coded_by", "not_coded_by"]].values.tolist() == [["B", "A, C"]]


def test_agreement_units_add_forms_coded_empty():
    units = pd.DataFrame({"coder": ["A", "B"], "pilot_id": "p4", "wave": "T0"})
    table = _by_code(agreement(TWO, units=units))
    assert table.loc[WONEN, "n_units"] == 4
    assert table.loc[WONEN, "percent_agreement"] == pytest.approx(75.0)


def test_agreement_three_coders_kappa_is_explained_alpha_matches_package():
    krippendorff = pytest.importorskip("krippendorff")
    third = CODER_B.assign(decision=None)  # C also counts B's rejected wonen in p2
    table = _by_code(agreement({**TWO, "C": third}))
    assert math.isnan(table.loc[WONEN, "cohen_kappa"])
    assert "exactly two coders" in table.loc[WONEN, "note"]
    data = [[1, 1, 0], [1, 0, 0], [1, 1, 0]]
    expected = krippendorff.alpha(reliability_data=np.array(data, dtype=float), level_of_measurement="nominal")
    assert table.loc[WONEN, "krippendorff_alpha"] == pytest.approx(expected)


def test_agreement_degenerate_cases_have_notes():
    only_a = CODER_A[CODER_A["pilot_id"] == "p1"]
    only_b = CODER_B[CODER_B["pilot_id"] == "p2"]
    table = _by_code(agreement({"A": only_a, "B": only_b}))
    assert table["n_units"].eq(0).all()
    assert table[["percent_agreement", "cohen_kappa", "krippendorff_alpha"]].isna().all().all()
    assert table["note"].str.contains("no unit was judged by two").all()
    same = _by_code(agreement({"A": CODER_A, "B": CODER_A}, codes=["wonen", "wonen_onbekend"]))
    assert same.loc[WONEN, "krippendorff_alpha"] == pytest.approx(1.0) and same.loc[WONEN, "note"] == ""
    unused = same.loc["wonen_onbekend"]
    assert unused.percent_agreement == 100.0 and math.isnan(unused.krippendorff_alpha)
    assert "no variation" in unused.note


@pytest.mark.parametrize("codings", [{"A": CODER_A}, CODER_A.assign(coder="A")])
def test_agreement_needs_two_coders(codings):
    with pytest.raises(ValueError, match="at least two coders"):
        agreement(codings)


def test_agreement_rejects_unknown_level():
    with pytest.raises(ValueError, match="level"):
        agreement(TWO, level="sentence")


@pytest.mark.parametrize("level", ["pilot", "segment"])
def test_agreement_disagreements_by_hand(level):
    table = disagreements(TWO, level=level)
    assert list(table.columns) == DISAGREEMENT_COLUMNS
    cases = {(r.pilot_id, r.code, r.coded_by, r.not_coded_by) for r in table.itertuples()}
    assert cases == {("p1", ERV, "A", "B"), ("p2", ERV, "B", "A"), ("p2", WONEN, "A", "B")}
    evidence = table.set_index(["pilot_id", "code"])["evidence"]
    assert "Huurders wonen zelfstandig." in evidence[("p2", WONEN)]
    if level == "pilot":
        assert evidence[("p2", ERV)] == "B: Een ervaringsdeskundige doet mee."
        assert table["question"].isna().all()
    else:
        assert table.set_index(["pilot_id", "code"]).loc[("p1", ERV), "question"] == 11


def test_agreement_disagreements_count_matches_percent_agreement():
    table = agreement(TWO)
    n_differ = len(disagreements(TWO))
    pooled = table.set_index("code").loc[ALL_CODES]
    assert n_differ == round(pooled.n_units * (1 - pooled.percent_agreement / 100))


def test_agreement_on_sample_gold():
    """The hand coding of the sample against a second coder who missed a fifth of it."""
    from evaluate_coding import load_gold

    from quickscan.codebook import default_codebook

    families = {c.id: c.family for c in default_codebook().codes}
    gold = load_gold().rename(columns={"key": "pilot_id", "quote": "evidence"})
    gold = gold.assign(family=gold["code"].map(families), negated=False)
    other = gold.sample(frac=0.8, random_state=1)
    table = agreement({"gold": gold, "other": other}, family="basisset")
    pooled = table.set_index("code").loc[ALL_CODES]
    assert set(table["code"].iloc[:-1]) == set(gold.loc[gold["family"] == "basisset", "code"])
    assert 0 < pooled.krippendorff_alpha < 1 and 0 < pooled.cohen_kappa < 1
    assert pooled.n_units == table["n_units"].iloc[:-1].sum()
    missed = gold.drop(other.index).query("family == 'basisset'")
    differ = disagreements({"gold": gold, "other": other}, family="basisset")
    assert set(differ["coded_by"]) == {"gold"}
    assert len(differ) <= len(missed.drop_duplicates(["pilot_id", "wave", "code"]))


def test_intercoder_agreement_takes_two_review_sheets(tmp_path):
    """Two researchers fill in copies of one review sheet: their decision sets go straight in."""
    import shutil

    from openpyxl import load_workbook

    from quickscan.review import read_review_sheet, write_review_sheet

    rows = [(p, c, f"Zin over {c} bij {p}.") for p in ("p1", "p2", "p3") for c in ("wonen", "schuldhulpverlening")]
    codings = pd.DataFrame([{
        "pilot_id": p, "wave": "T0", "question": 10, "code": c, "family": "basisset", "start": 0, "end": 3,
        "evidence": e, "negated": False, "valence": None, "source": "rule", "pattern": None, "segment_id": f"{p}{c}",
    } for p, c, e in rows])
    sheet = write_review_sheet(codings, tmp_path / "review.xlsx", families=["basisset"])
    decided = {}
    for name, rejects in (("Anna", {("p1", "wonen")}), ("Bas", {("p1", "wonen"), ("p2", "schuldhulpverlening")})):
        path = tmp_path / f"review-{name}.xlsx"
        shutil.copy(sheet, path)
        wb = load_workbook(path)
        ws = wb["basisset"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value:
                pilot = row[1].value.split(". ", 1)[1]
                row[10].value = "reject" if (pilot, row[3].value) in rejects else "accept"
        wb["review"]["B1"] = name
        wb.save(path)
        decided[name] = read_review_sheet(path)
    table = agreement(decided, codes=["wonen", "schuldhulpverlening"]).set_index("code")
    assert table.loc["wonen", "percent_agreement"] == 100
    assert table.loc["schuldhulpverlening", "percent_agreement"] == pytest.approx(200 / 3)
    talk = disagreements(decided)
    assert talk[["pilot_id", "code", "coded_by", "not_coded_by"]].values.tolist() == [
        ["p2", "schuldhulpverlening", "Anna", "Bas"]]
    assert "Zin over schuldhulpverlening bij p2." in talk.loc[0, "evidence"]
