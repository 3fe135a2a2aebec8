"""T0 against T1: gained, lost and unchanged codes, totals, status changes, pilots in one wave."""

from __future__ import annotations

import pandas as pd
import pytest

from quickscan.codebook import Codebook
from quickscan.coding import CODING_COLUMNS
from quickscan.compare import (
    CHANGE_COLUMNS,
    PILOT_COLUMNS,
    STATUS_COLUMNS,
    TOTAL_COLUMNS,
    WaveComparison,
    compare_waves,
)
from quickscan.corpus import Corpus, make_answers
from tests.conftest import ROOT

CODEBOOK = """
id: mini
name: Mini
families:
  - id: basis
    label: Basis
    codes:
      - {id: a, label: Code A}
      - {id: b, label: Code B}
  - id: status
    label: Status
    kind: fact
    question: 5
    codes:
      - {id: status_gestopt, label: Gestopt, patterns: [gestopt]}
      - {id: status_geimplementeerd, label: Geïmplementeerd, patterns: [geïmplementeerd]}
      - {id: status_pilot, label: Pilot, patterns: [pilot]}
      - {id: status_onbekend, label: Onbekend, fallback: true}
"""


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return Codebook.from_yaml(CODEBOOK)


def corpus_of(*pilots: tuple[str, str]) -> Corpus:
    frames = [make_answers(name, wave, {1: name}) for name, wave in pilots]
    return Corpus.from_answers(pd.concat(frames, ignore_index=True))


def codings_of(*rows) -> pd.DataFrame:
    """Codings from (pilot_id, wave, code[, negated]) tuples."""
    records = [
        {"pilot_id": pilot, "wave": wave, "question": 9, "code": code,
         "family": "status" if code.startswith("status") else "basis", "start": 0, "end": 1,
         "evidence": f"{code} bij {pilot}.", "negated": bool(rest and rest[0]), "valence": None,
         "source": "rule", "pattern": None, "segment_id": "x"}
        for pilot, wave, code, *rest in rows
    ]
    return pd.DataFrame(records, columns=CODING_COLUMNS)


WAVES = [("Alpha", "T0"), ("Beta", "T0"), ("Gamma", "T0"), ("Alpha", "T1"), ("Beta", "T1"), ("Delta", "T1")]


@pytest.fixture
def result(cb) -> WaveComparison:
    codings = codings_of(
        ("alpha", "T0", "a"), ("alpha", "T1", "a"),  # unchanged
        ("alpha", "T1", "b"),  # gained
        ("beta", "T0", "b"),  # lost
        ("beta", "T0", "a", True), ("beta", "T1", "a", True),  # negated twice: absent, not in changes
        ("gamma", "T0", "a"),  # only at T0
        ("delta", "T1", "a"), ("delta", "T1", "b"),  # only at T1
        ("alpha", "T0", "status_pilot"), ("alpha", "T1", "status_geimplementeerd"),
        ("beta", "T0", "status_pilot"), ("beta", "T1", "status_pilot"),
    )
    return compare_waves(codings, corpus_of(*WAVES), family="basis", codebook=cb)


def test_compare_changes_per_pilot_and_code(result):
    assert list(result.changes.columns) == CHANGE_COLUMNS
    got = list(zip(result.changes["pilot_id"], result.changes["code"], result.changes["status"]))
    assert got == [("alpha", "a", "unchanged"), ("alpha", "b", "gained"), ("beta", "b", "lost")]
    assert result.changes["label"].tolist() == ["Code A", "Code B", "Code B"]
    assert result.changes["pilot"].tolist() == ["Alpha", "Alpha", "Beta"]


def test_compare_totals_count_all_pilots_of_each_wave(result):
    assert list(result.totals.columns) == TOTAL_COLUMNS
    assert result.totals.set_index("code")[["before", "after", "difference"]].to_dict("index") == {
        "a": {"before": 2, "after": 2, "difference": 0},  # alpha + gamma, alpha + delta
        "b": {"before": 1, "after": 2, "difference": 1},
    }
    assert (result.n_before, result.n_after) == (3, 3)


def test_compare_status_changes(result):
    assert list(result.status_changes.columns) == STATUS_COLUMNS
    row = result.status_changes.iloc[0]
    assert len(result.status_changes) == 1
    assert (row["pilot_id"], row["before_code"], row["after_code"]) == ("alpha", "status_pilot",
                                                                         "status_geimplementeerd")
    assert (row["before"], row["after"]) == ("Pilot", "Geïmplementeerd")


@pytest.mark.parametrize("table, pilots, nrs", [("only_before", ["Gamma"], [3]), ("only_after", ["Delta"], [4])])
def test_compare_pilots_in_one_wave_only(result, table, pilots, nrs):
    frame = getattr(result, table)
    assert list(frame.columns) == PILOT_COLUMNS
    assert frame["pilot"].tolist() == pilots and frame["nr"].tolist() == nrs


def test_compare_repr_summarises(result):
    assert repr(result).startswith("WaveComparison('basis', T0 -> T1: 3 -> 3 pilots, 1 gained, 1 lost, 1 unchanged")


def test_compare_without_a_status_family_gives_an_empty_table():
    cb = Codebook.from_yaml("id: x\nfamilies: [{id: basis, codes: [{id: a, label: A}]}]")
    r = compare_waves(codings_of(("alpha", "T0", "a")), corpus_of(*WAVES), family="basis", codebook=cb)
    assert r.status_changes.empty and list(r.status_changes.columns) == STATUS_COLUMNS
    assert r.changes["status"].tolist() == ["lost"]


@pytest.mark.parametrize(
    "before, after, changes",
    [("T0", "T1", [("a", "lost"), ("b", "gained")]), ("T1", "T2", [("b", "lost")]), ("T0", "T2", [("a", "lost")]),
     ("T2", "T0", [("a", "gained")])],
)
def test_compare_any_two_waves(cb, before, after, changes):
    corpus = corpus_of(("Alpha", "T0"), ("Alpha", "T1"), ("Alpha", "T2"))
    codings = codings_of(("alpha", "T0", "a"), ("alpha", "T1", "b"))
    r = compare_waves(codings, corpus, family="basis", before=before, after=after, codebook=cb)
    assert list(zip(r.changes["code"], r.changes["status"])) == changes


def test_compare_unknown_wave_is_an_error(cb):
    with pytest.raises(ValueError, match="no wave 'T1'"):
        compare_waves(codings_of(), corpus_of(("Alpha", "T0")), family="basis", codebook=cb)


# -- the sample -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from quickscan.coding import code_corpus
    from quickscan.ingest import read_folder

    corpus = read_folder(ROOT / "data" / "sample")
    return compare_waves(code_corpus(corpus), corpus, family="basisset")


def test_compare_sample_has_one_new_pilot_and_none_gone(sample):
    assert sample.only_after["pilot_id"].tolist() == ["netwerk-verward-gedrag-oudewater"]
    assert sample.only_before.empty
    assert (sample.n_before, sample.n_after) == (15, 16)


def test_compare_sample_status_changes_are_those_of_the_forms(sample):
    got = {(r.pilot_id, r.before, r.after) for r in sample.status_changes.itertuples()}
    assert got == {
        ("gebiedsteam-ggz-houten", "Pilot", "Geïmplementeerd"),
        ("time-out-huis-woerden", "Pilot", "Geïmplementeerd"),
        ("schuldenpreventie-stichtse-vecht", "Pilot", "Gestopt"),
    }
