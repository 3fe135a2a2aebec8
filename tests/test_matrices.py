"""The report tables: pilots x codes, per-code summaries, Dutch counts, answers per block."""

from __future__ import annotations

import pandas as pd
import pytest

from quickscan.codebook import Codebook
from quickscan.coding import CODING_COLUMNS
from quickscan.corpus import Corpus, make_answers
from quickscan.matrices import (
    TOTAL,
    answers_by_block,
    code_matrix,
    count_phrase,
    framework_matrix,
    pilot_rows,
    spell_number,
    summarize_codes,
)
from quickscan.template import Block
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
      - {id: c, label: Code C}
  - id: themas
    label: Thema's
    codes:
      - {id: t, label: Thema}
      - {id: t1, label: Onderdeel 1, parent: t}
      - {id: t2, label: Onderdeel 2, parent: t}
"""


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return Codebook.from_yaml(CODEBOOK)


def corpus_of(*pilots: tuple[str, str]) -> Corpus:
    """A corpus of (name, wave) pilots, in that order."""
    frames = [make_answers(name, wave, {1: name, 9: f"Doel van {name}.", 3: "Jan, 06-12345678"})
              for name, wave in pilots]
    return Corpus.from_answers(pd.concat(frames, ignore_index=True))


def codings_of(*rows) -> pd.DataFrame:
    """Codings from (pilot_id, wave, code, evidence[, negated[, decision]]) tuples."""
    records = []
    for row in rows:
        pilot, wave, code, evidence = row[:4]
        negated, decision = (*row[4:], False, None)[:2]
        family = "themas" if code.startswith("t") else "basis"
        records.append({"pilot_id": pilot, "wave": wave, "question": 9, "code": code, "family": family,
                        "start": 0, "end": 1, "evidence": evidence, "negated": negated, "valence": None,
                        "source": "rule", "pattern": None, "segment_id": "x", "decision": decision})
    return pd.DataFrame(records, columns=[*CODING_COLUMNS, "decision"])


THREE = [("Alpha", "T0"), ("Beta", "T0"), ("Gamma", "T0")]


# -- code_matrix -------------------------------------------------------------------------------


def test_matrices_rows_are_all_pilots_in_report_order_with_a_total_row(cb):
    corpus = corpus_of(*THREE)
    codings = codings_of(("alpha", "T0", "a", "A hier."), ("gamma", "T0", "a", "A daar."),
                         ("gamma", "T0", "c", "C."))
    m = code_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    assert m.index.tolist() == ["1. Alpha", "2. Beta", "3. Gamma", TOTAL]
    assert m.index.name == "Pilot"
    assert m.columns.tolist() == ["Code A", "Code B", "Code C"]
    assert m.loc["1. Alpha"].tolist() == ["X", "", ""]
    assert m.loc["2. Beta"].tolist() == ["", "", ""]  # no code at all, still a row
    assert m.loc[TOTAL].tolist() == [2, 0, 1]


def test_matrices_numbers_stay_the_same_in_every_wave(cb):
    corpus = corpus_of(*THREE, ("Gamma", "T1"), ("Alpha", "T1"), ("Delta", "T1"))
    codings = codings_of(("delta", "T1", "b", "B."))
    t0 = code_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    t1 = code_matrix(codings, corpus, family="basis", wave="T1", codebook=cb)
    assert t0.index.tolist() == ["1. Alpha", "2. Beta", "3. Gamma", TOTAL]
    assert t1.index.tolist() == ["1. Alpha", "3. Gamma", "4. Delta", TOTAL]
    assert t1.loc["4. Delta", "Code B"] == "X" and t0.loc[TOTAL, "Code B"] == 0


@pytest.mark.parametrize(
    "values, alpha, total",
    [
        ("x", ["X", "", ""], [1, 0, 0]),
        ("count", [2, 0, 0], [1, 0, 0]),
        ("quotes", ["Eerste zin.\nTweede zin.", "", ""], [1, 0, 0]),
    ],
)
def test_matrices_cells_hold_x_counts_or_quotes(cb, values, alpha, total):
    corpus = corpus_of(*THREE)
    codings = codings_of(("alpha", "T0", "a", "Eerste zin."), ("alpha", "T0", "a", "Tweede zin."))
    m = code_matrix(codings, corpus, family="basis", wave="T0", codebook=cb, values=values)
    assert m.loc["1. Alpha"].tolist() == alpha
    assert m.loc[TOTAL].tolist() == total


@pytest.mark.parametrize(
    "negated, decision, counts",
    [(False, None, True), (True, None, False), (False, "rejected", False), (True, "accepted", True),
     (False, "added", True)],
)
def test_matrices_count_only_what_is_present(cb, negated, decision, counts):
    corpus = corpus_of(*THREE)
    codings = codings_of(("beta", "T0", "b", "B of niet.", negated, decision))
    m = code_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    assert (m.loc["2. Beta", "Code B"] == "X") is counts
    assert m.loc[TOTAL, "Code B"] == int(counts)


def test_matrices_ignore_other_families_waves_and_unknown_pilots(cb):
    corpus = corpus_of(*THREE)
    codings = codings_of(("alpha", "T1", "a", "Later."), ("alpha", "T0", "t1", "Thema."),
                         ("nobody", "T0", "a", "Wie?"))
    m = code_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    assert (m.iloc[:-1] == "").all().all() and m.loc[TOTAL].sum() == 0


def test_matrices_footnote_marks_go_after_the_pilot_name(cb):
    corpus = corpus_of(*THREE)
    m = code_matrix(codings_of(), corpus, family="basis", wave="T0", codebook=cb, footnotes={"beta": "*"})
    assert m.index.tolist()[:3] == ["1. Alpha", "2. Beta*", "3. Gamma"]


def test_matrices_a_parent_code_counts_its_children(cb):
    corpus = corpus_of(*THREE)
    codings = codings_of(("alpha", "T0", "t1", "Onderdeel."), ("beta", "T0", "t", "Thema zelf."),
                         ("gamma", "T0", "t2", "Twee."), ("gamma", "T0", "t1", "Een."))
    m = code_matrix(codings, corpus, family="themas", wave="T0", codebook=cb)
    assert m["Thema"].tolist() == ["X", "X", "X", 3]
    assert m["Onderdeel 1"].tolist() == ["X", "", "X", 2]
    counts = code_matrix(codings, corpus, family="themas", wave="T0", codebook=cb, values="count")
    assert counts.loc["3. Gamma", "Thema"] == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [({"wave": "T0", "values": "y"}, "values must be one of"), ({"wave": "T9"}, "no wave 'T9'"),
     ({}, "pass wave=")],
)
def test_matrices_reject_bad_options(cb, kwargs, message):
    corpus = corpus_of(*THREE, ("Alpha", "T1"))
    with pytest.raises(ValueError, match=message):
        code_matrix(codings_of(), corpus, family="basis", codebook=cb, **kwargs)


def test_matrices_wave_may_be_left_out_with_one_wave(cb):
    corpus = corpus_of(*THREE)
    assert code_matrix(codings_of(), corpus, family="basis", codebook=cb).shape == (4, 3)


def test_matrices_framework_matrix_has_the_sentences_and_no_total(cb):
    corpus = corpus_of(*THREE)
    codings = codings_of(("alpha", "T0", "a", "Zin een."), ("alpha", "T0", "a", "Zin een."),
                         ("alpha", "T0", "a", "Zin twee."), ("beta", "T0", "c", "Zin drie."))
    f = framework_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    assert f.index.tolist() == ["1. Alpha", "2. Beta", "3. Gamma"]
    assert f.loc["1. Alpha", "Code A"] == "Zin een.\nZin twee."  # each sentence once
    assert f.loc["2. Beta", "Code C"] == "Zin drie." and f.loc["3. Gamma", "Code A"] == ""


def test_matrices_pilot_rows_use_the_first_name_of_a_pilot():
    frames = [make_answers("Thuis in de Wijk", "T0", {1: "x"}),
              make_answers("Thuis in de Wijk", "T1", {1: "x"}).assign(pilot="Thuis in de wijk (WbD)")]
    corpus = Corpus.from_answers(pd.concat(frames, ignore_index=True))
    rows = pilot_rows(corpus, "T1")
    assert rows.columns.tolist() == ["nr", "pilot_id", "pilot", "label"]
    assert rows["label"].tolist() == ["1. Thuis in de Wijk"]


# -- summarize_codes ---------------------------------------------------------------------------

LONG = " ".join(["woord"] * 45) + "."
TWELVE = "Wij zorgen samen met de corporatie dat iedereen een eigen woning krijgt."
NINE = "Iedereen krijgt een eigen woning in de wijk."
SHORT = "Eigen woning."
FIFTY = " ".join(["w"] * 50) + "."


@pytest.mark.parametrize(
    "sentences, quote",
    [
        ([SHORT, NINE, TWELVE, LONG], TWELVE),  # of 8 to 40 words, the nearest to 20
        ([SHORT, LONG], LONG),  # none in range: the nearest to it (5 words too many beats 6 too few)
        ([SHORT, FIFTY], SHORT),  # 6 too few beats 10 too many
        ([LONG, FIFTY], LONG),
        ([], ""),
    ],
)
def test_matrices_summarize_codes_picks_the_most_telling_quote(cb, sentences, quote):
    corpus = corpus_of(*THREE)
    codings = codings_of(*[("alpha", "T0", "a", s) for s in sentences])
    s = summarize_codes(codings, corpus, family="basis", wave="T0", codebook=cb).set_index("code")
    assert s.loc["a", "quote"] == quote


def test_matrices_summarize_codes_never_quotes_a_negated_sentence(cb):
    corpus = corpus_of(*THREE)
    codings = codings_of(("alpha", "T0", "a", TWELVE, True, "accepted"), ("beta", "T0", "a", NINE))
    s = summarize_codes(codings, corpus, family="basis", wave="T0", codebook=cb).set_index("code")
    assert s.loc["a", "n_pilots"] == 2  # the accepted coding counts ...
    assert s.loc["a", "quote"] == NINE and s.loc["a", "quote_pilot"] == "Beta"  # ... but is no quote


def test_matrices_summarize_codes_quotes_a_sentence_that_states_the_code():
    cb = Codebook.from_yaml(CODEBOOK.replace("{id: a, label: Code A}", "{id: a, label: Code A, expected: [9]}"))
    corpus = corpus_of(*THREE)
    listing = "Niveau 2: de gemeente, de corporatie, het wijkteam, de ggz en de cliëntenraad van de regio."
    both = "Wij zorgen samen met de corporatie voor werk en een eigen woning voor iedereen in de wijk."
    codings = codings_of(("alpha", "T0", "a", listing), ("alpha", "T0", "a", both), ("alpha", "T0", "b", both),
                         ("beta", "T0", "a", TWELVE))
    elsewhere = codings_of(("gamma", "T0", "a", NINE)).assign(question=pd.array([15], dtype="Int64"))
    quote = lambda frame: summarize_codes(frame, corpus, family="basis", wave="T0", codebook=cb).set_index(
        "code").loc["a", "quote"]
    assert quote(pd.concat([codings, elsewhere], ignore_index=True)) == TWELVE  # names only this code
    assert quote(pd.concat([codings.iloc[:3], elsewhere], ignore_index=True)) == both  # own question, no list
    assert quote(pd.concat([codings.iloc[:1], elsewhere], ignore_index=True)) == NINE  # never a list
    reviewed = codings.assign(decision=[None, None, None, None]).copy()
    reviewed.loc[0, "decision"] = "accepted"  # the researcher's choice wins
    assert quote(reviewed) == listing


def test_matrices_summarize_codes_counts_pilots_in_codebook_order(cb):
    corpus = corpus_of(*THREE)
    codings = codings_of(("gamma", "T0", "b", "B."), ("alpha", "T0", "b", "B."), ("alpha", "T0", "b", "Nog B."))
    s = summarize_codes(codings, corpus, family="basis", wave="T0", codebook=cb, noun="projecten", spelled=True)
    assert s.columns.tolist() == ["code", "label", "n_pilots", "n_total", "pilots", "quote", "quote_pilot", "phrase"]
    assert s["code"].tolist() == ["a", "b", "c"]
    b = s.set_index("code").loc["b"]
    assert (b["n_pilots"], b["n_total"], b["pilots"]) == (2, 3, "Alpha; Gamma")
    assert b["phrase"] == "twee van de drie projecten"
    assert s.set_index("code").loc["a", "phrase"] == "geen van de drie projecten"


# -- Dutch numbers -------------------------------------------------------------------------------

KNOWN = {
    0: "nul", 1: "één", 2: "twee", 3: "drie", 7: "zeven", 10: "tien", 11: "elf", 12: "twaalf", 13: "dertien",
    14: "veertien", 15: "vijftien", 16: "zestien", 17: "zeventien", 18: "achttien", 19: "negentien",
    20: "twintig", 21: "eenentwintig", 22: "tweeëntwintig", 23: "drieëntwintig", 24: "vierentwintig",
    25: "vijfentwintig", 26: "zesentwintig", 27: "zevenentwintig", 28: "achtentwintig", 29: "negenentwintig",
    30: "dertig", 31: "eenendertig", 32: "tweeëndertig", 33: "drieëndertig", 40: "veertig", 42: "tweeënveertig",
    50: "vijftig", 55: "vijfenvijftig", 60: "zestig", 63: "drieënzestig", 70: "zeventig", 77: "zevenenzeventig",
    80: "tachtig", 81: "eenentachtig", 88: "achtentachtig", 90: "negentig", 92: "tweeënnegentig",
    99: "negenennegentig", 100: "honderd",
}


@pytest.mark.parametrize("n, word", sorted(KNOWN.items()))
def test_matrices_spell_number_in_dutch(n, word):
    assert spell_number(n) == word


@pytest.mark.parametrize("n", [-1, 101, 2.0, True])
def test_matrices_spell_number_rejects_what_it_cannot_spell(n):
    with pytest.raises(ValueError):
        spell_number(n)


@pytest.mark.parametrize(
    "args, kwargs, phrase",
    [
        ((12, 15), {}, "12 van de 15 pilots"),
        ((12, 15), {"spelled": True}, "twaalf van de vijftien pilots"),
        ((10, 15), {"spelled": True, "start": True, "noun": "projecten"}, "Tien van de vijftien projecten"),
        ((15, 15), {}, "alle 15 pilots"),
        ((15, 15), {"spelled": True, "start": True}, "Alle vijftien pilots"),
        ((0, 15), {}, "geen van de 15 pilots"),
        ((0, 15), {"start": True, "spelled": True}, "Geen van de vijftien pilots"),
        ((1, 15), {"spelled": True}, "één van de vijftien pilots"),
        ((1, 15), {"spelled": True, "start": True}, "Eén van de vijftien pilots"),
        ((22, 23), {"spelled": True}, "tweeëntwintig van de drieëntwintig pilots"),
        ((14, 15), {}, "14 van de 15 pilots"),
        ((14, 15), {"approx": True, "noun": "projecten"}, "nagenoeg alle projecten"),
        ((27, 30), {"approx": True}, "nagenoeg alle pilots"),  # 90%
        ((26, 30), {"approx": True}, "26 van de 30 pilots"),
        ((3, 4), {"approx": True}, "3 van de 4 pilots"),  # too few for "nagenoeg alle"
        ((15, 15), {"approx": True}, "alle 15 pilots"),
        ((101, 120), {"spelled": True}, "101 van de 120 pilots"),
        ((0, 0), {}, "geen van de 0 pilots"),
    ],
)
def test_matrices_count_phrase_in_report_style(args, kwargs, phrase):
    assert count_phrase(*args, **{"noun": "pilots", **kwargs}) == phrase


@pytest.mark.parametrize("n, total", [(16, 15), (-1, 15)])
def test_matrices_count_phrase_rejects_impossible_counts(n, total):
    with pytest.raises(ValueError):
        count_phrase(n, total)


# -- answers_by_block ----------------------------------------------------------------------------


def test_matrices_answers_by_block_puts_pilots_side_by_side():
    corpus = corpus_of(*THREE, ("Alpha", "T1"))
    table = answers_by_block(corpus, "blok1", wave="T0")
    assert table.index.name == "Vraag" and table.index[3] == "9. Doel"
    assert table.columns.tolist() == ["1. Alpha", "2. Beta", "3. Gamma"]
    assert table.loc["9. Doel", "2. Beta"] == "Doel van Beta."
    assert table.loc["5. Status", "2. Beta"] == ""
    assert answers_by_block(corpus, "Blok 1", wave="T1").columns.tolist() == ["1. Alpha"]


@pytest.mark.parametrize("include_personal, rows", [(False, ["9. Doel"]), (True, ["3. Pilotleider", "9. Doel"])])
def test_matrices_answers_by_block_leaves_out_personal_data(include_personal, rows):
    corpus = corpus_of(*THREE)
    block = Block("x", "X", "test", questions=(9, 3))
    table = answers_by_block(corpus, block, include_personal=include_personal)
    assert table.index.tolist() == rows
    assert "06-12345678" not in table.to_csv() or include_personal


# -- the sample and its golden files --------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from quickscan.coding import code_corpus
    from quickscan.ingest import read_folder

    corpus = read_folder(ROOT / "data" / "sample")
    return corpus, code_corpus(corpus)


@pytest.fixture(scope="module")
def golden(sample):
    from refresh_golden import golden_tables

    return golden_tables()


@pytest.mark.parametrize("name", ["basisset-T0.csv", "basisset-T1.csv", "uitgangspunten-T0.csv",
                                  "uitgangspunten-T1.csv"])
def test_matrices_golden_files(golden, name):
    """On a failure: if the change is meant, run ``python scripts/refresh_golden.py`` and review the diff."""
    assert golden[name] == (ROOT / "tests" / "golden" / name).read_text("utf-8")


def test_matrices_golden_files_come_from_code_matrix(sample, golden):
    from refresh_golden import to_csv

    corpus, codings = sample
    assert golden["basisset-T1.csv"] == to_csv(code_matrix(codings, corpus, family="basisset", wave="T1"))


def test_matrices_sample_rows_line_up_between_waves(sample):
    corpus, codings = sample
    t0 = code_matrix(codings, corpus, family="basisset", wave="T0")
    t1 = code_matrix(codings, corpus, family="basisset", wave="T1")
    assert len(t0) == 15 + 1 and len(t1) == 16 + 1
    assert t1.index[:15].tolist() == t0.index[:15].tolist()
    assert t1.index[15] == "16. Netwerk Verward Gedrag Oudewater"
    assert t1.index[11] == "12. Thuis in de Wijk Wijk bij Duurstede"  # written differently at T1, same label
    summary = summarize_codes(codings, corpus, family="basisset", wave="T1")
    assert summary["n_pilots"].tolist() == t1.loc[TOTAL].tolist()
    assert (summary["n_total"] == 16).all()
