"""Selective coding with spaCy: matching, negation, facts, restrictions, segment ids."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickscan.codebook import Codebook, Pattern, load_codebook
from quickscan.corpus import Corpus, make_answers

ROOT = Path(__file__).resolve().parents[1]
slow = pytest.mark.slow  # builds the spaCy pipeline and loads the lookup tables

CODEBOOK = """
id: test
name: Test
families:
  - id: basisset
    label: Basisset
    codes:
      - {id: wonen, label: Wonen, patterns: ["*woning*", eigen voordeur, huisvest*]}
      - {id: schulden, label: Schuldhulpverlening, patterns: ["*schuld*", budgetbeheer]}
      - {id: time_out, label: Time-out voorziening, patterns: [time-out*, "*time-outvoorziening"]}
      - {id: ervaring, label: Ervaringsdeskundigheid, patterns: [ervaringsdeskundig*]}
      - {id: begeleiding, label: Ambulante begeleiding, patterns: [begeleiden, ambulant*]}
      - {id: regie, label: Eigen regie, patterns: [eigen ... regie]}
      - {id: meewerken, label: Meewerken, patterns: ["(mee)werken"]}
  - id: borging
    label: Borging
    questions: [19]
    codes:
      - {id: kennisdeling, label: Kennisdeling, patterns: [kennisdeling, kennis ... delen]}
  - id: status
    label: Status
    kind: fact
    question: 5
    codes:
      - {id: status_gestopt, label: gestopt, patterns: [gestopt, beëindigd]}
      - {id: status_geen_pilot, label: bewust geen pilot, patterns: [bewust geen pilot]}
      - {id: status_geimplementeerd, label: geïmplementeerd, patterns: [geïmplementeerd, geen pilot meer]}
      - {id: status_pilot, label: pilot, patterns: [pilot, experiment*]}
      - {id: status_onbekend, label: onbekend, fallback: true}
  - id: bereik
    label: Bereik
    kind: fact
    question: 6
    codes:
      - {id: bereik_lokaal, label: lokaal, patterns: [lokaal, gemeentelijk]}
      - {id: bereik_regionaal, label: regionaal, patterns: [regionaal, regio*]}
      - {id: bereik_onbekend, label: onbekend, fallback: true}
  - id: factoren
    label: Factoren
    questions: [15, 17]
    valence:
      slaagfactor: [goed, draagt bij, succes*]
      risicofactor: [lastig, risico*, moeizaam]
    codes:
      - {id: factor_samenwerking, label: samenwerking, patterns: [samenwerk*]}
"""


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return Codebook.from_yaml(CODEBOOK)


def corpus_of(*pilots: tuple[str, str, dict], unmatched=()) -> Corpus:
    frames = [make_answers(name, wave, answers, unmatched=unmatched) for name, wave, answers in pilots]
    return Corpus.from_answers(pd.concat(frames, ignore_index=True))


def code(cb, text: str, question: int = 9):
    from quickscan.coding import code_corpus

    corpus = corpus_of(("Pilot A", "T0", {question: text}))
    codings = code_corpus(corpus, cb)
    return codings[~codings["family"].isin(["status", "bereik"])], text


# -- import cost ----------------------------------------------------------------------------


def test_coding_import_quickscan_does_not_import_spacy():
    code = (
        "import sys, quickscan, quickscan.codebook, quickscan.coding, quickscan.review\n"
        "print(sorted(m for m in ('spacy', 'thinc', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@slow
def test_coding_pipeline_imports_spacy_without_its_command_line_interface():
    code = (
        "import sys\n"
        "from quickscan.coding import pipeline\n"
        "pipeline()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('spacy.cli', 'typer', 'weasel'))))\n"
        "import spacy, spacy.cli\n"
        "print(spacy.info()['spacy_version'] == spacy.__version__, callable(spacy.cli.download))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True True"]


def negations(cb, text, code_id, **kw):
    """The negated flags of the codings of ``code_id`` in ``text``."""
    codings, _ = code(cb, text, **kw)
    return codings.loc[codings["code"] == code_id, "negated"].tolist()


# -- matching -------------------------------------------------------------------------------


@slow
@pytest.mark.parametrize(
    "text, code_id, matched",
    [
        ("Zij krijgen een huurwoning.", "wonen", "huurwoning"),  # *woning*: compound, end
        ("De woningcorporatie denkt mee.", "wonen", "woningcorporatie"),  # compound, start
        ("WONINGEN zijn schaars.", "wonen", "WONINGEN"),  # case-insensitive
        ("Iedereen heeft een eigen voordeur.", "wonen", "eigen voordeur"),  # multi-word
        ("Goede huisvesting is nodig.", "wonen", "huisvesting"),  # prefix
        ("Hulp bij probleemschulden.", "schulden", "probleemschulden"),  # infix in a compound
        ("Een time-outvoorziening in de wijk.", "time_out", "time-outvoorziening"),  # suffix
        ("De medewerkers begeleidden drie cliënten.", "begeleiding", "begeleidden"),  # lemma
        ("We zetten ervaringsdeskundigen in.", "ervaring", "ervaringsdeskundigen"),
        ("Eigen kracht en regie staan voorop.", "regie", "Eigen kracht en regie"),  # ... : 2 tokens
        ("Eigen regie staat voorop.", "regie", "Eigen regie"),  # ... : zero tokens
        ("Cliënten (mee)werken aan hun plan.", "meewerken", "(mee)werken"),  # pattern split like the text
    ],
)
def test_coding_finds_pattern(cb, text, code_id, matched):
    codings, text = code(cb, text)
    row = codings[codings["code"] == code_id]
    assert len(row) == 1, codings
    assert text[row["start"].iloc[0] : row["end"].iloc[0]] == matched
    assert row["evidence"].iloc[0] == text
    assert row["source"].iloc[0] == "rule"


@slow
@pytest.mark.parametrize(
    "text, code_id",
    [
        ("De woonplaats van de cliënt.", "wonen"),
        ("Eigen huis, tuin en allerlei andere zaken in de regie.", "regie"),  # gap of more than 3 tokens
        ("Dat is ons eigen. Regie komt later.", "regie"),  # never across a sentence boundary
        ("Ze begeleidt mensen naar werk.", "wonen"),
    ],
)
def test_coding_does_not_find(cb, text, code_id):
    codings, _ = code(cb, text)
    assert code_id not in set(codings["code"])


@slow
def test_coding_one_coding_per_code_and_sentence(cb):
    codings, text = code(cb, "Woningen, huurwoningen en een eigen voordeur. Nog een woning.")
    assert codings["code"].tolist() == ["wonen", "wonen"]
    assert codings["start"].tolist() == [0, text.index("woning.")]


@slow
def test_coding_line_breaks_end_sentences(cb):
    codings, _ = code(cb, "Wat we doen:\n- eigen\n- regie voor iedereen\n- woningen")
    assert "regie" not in set(codings["code"])
    assert codings.loc[codings["code"] == "wonen", "evidence"].tolist() == ["woningen"]


# -- negation -------------------------------------------------------------------------------


@slow
@pytest.mark.parametrize(
    "text, code_id, negated",
    [
        ("Er is geen sprake van schuldhulpverlening.", "schulden", True),
        ("We bieden nog niet de time-out voorziening.", "time_out", True),
        ("Geen van de pilots richt zich op schuldhulpverlening.", "schulden", True),
        ("Er zijn nooit woningen beschikbaar.", "wonen", True),
        ("De woningen zijn er niet meer.", "wonen", True),  # niet negates its whole clause
        ("Er is geen sprake van budgetbeheer en woningen.", "wonen", True),  # coordinated nouns
        ("Cliënten wonen in een eigen woning zonder schulden.", "schulden", True),
        ("Geen enkele cliënt hoeft meer te verhuizen, want ze krijgen een eigen woning.", "wonen", False),
        ("Er is geen time-out en we bieden wel woningen.", "wonen", False),  # "en we": new clause
        ("Schuldhulpverlening is er niet, maar woningen wel.", "wonen", False),
        ("Schuldhulpverlening, geen woningen.", "schulden", False),  # geen negates what follows it
        ("Schuldhulpverlening, geen woningen.", "wonen", True),
        ("Cliënten wonen in een eigen woning zonder schulden.", "wonen", False),  # zonder: forward only
        ("Niet alleen woningen maar ook werk.", "wonen", False),  # niet alleen ... maar ook
        ("Iedereen krijgt een woning.", "wonen", False),
    ],
)
def test_coding_negation(cb, text, code_id, negated):
    assert negations(cb, text, code_id) == [negated]


@slow
@pytest.mark.parametrize(
    "text, code_id, negated",
    [
        ("Eigen regie is minder herkenbaar.", "regie", True),  # hedge + predicate: whole clause
        ("Eigen regie wordt nauwelijks herkend.", "regie", True),
        ("Eigen regie is minder van toepassing.", "regie", True),
        ("Eigen regie is niet van toepassing.", "regie", True),
        ("Eigen regie zien we minder terug.", "regie", True),
        ("Eigen regie speelt geen rol.", "regie", True),  # geen + verdict noun: also before it
        ("Eigen regie speelt geen grote rol van betekenis.", "regie", True),
        ("Van schuldhulpverlening is nog geen sprake.", "schulden", True),
        ("Schuldhulpverlening is geen onderdeel van de pilot.", "schulden", True),
        ("Eigen regie n.v.t.", "regie", True),
        ("Eigen regie is lastig.", "regie", False),  # a difficulty is no absence
        ("Eigen regie vinden we lastiger.", "regie", False),
        ("Eigen regie is minder goed gelukt.", "regie", False),  # hedge without a verdict predicate
        ("Eigen regie is niet minder herkenbaar.", "regie", False),
        ("Eigen regie staat voorop, maar normaliseren is minder herkenbaar.", "regie", False),  # other clause
        ("Woningen zijn er, geen rol voor time-out.", "wonen", False),
        ("Geen woningen, wel een rol voor schuldhulpverlening.", "schulden", False),
    ],
)
def test_coding_negation_verdicts(cb, text, code_id, negated):
    assert negations(cb, text, code_id, question=12) == [negated]


@slow
@pytest.mark.parametrize(
    "text, code_id, negated",
    [
        ("Eigen regie: nog niet.", "regie", True),
        ("Schuldhulpverlening: daar is geen sprake van.", "schulden", True),
        ("Time-out voorziening: zien we (nog) niet.", "time_out", True),
        ("Time-out: n.v.t.", "time_out", True),
        ("Time-out: nee.", "time_out", True),
        ("Woningen, schuldhulpverlening: niet van toepassing.", "wonen", True),  # the whole label
        ("Eigen regie: minder herkenbaar.", "regie", True),
        ("Eigen regie: nog niet, dat komt later.", "regie", True),  # the verdict is the first clause
        ("Wat nog niet lukt: woningen.", "wonen", False),  # the match after the colon
        ("Woningen: geen time-out.", "wonen", False),  # not a bare verdict
        ("Woningen: niet alleen voor jongeren.", "wonen", False),
        ("Woningen: wel, schuldhulpverlening nee.", "wonen", False),
        ("Time-out: er is nog geen plek, maar wel woningen.", "wonen", False),
        ("Woningen, maar schuldhulpverlening: nee.", "wonen", False),  # maar: not part of the label
    ],
)
def test_coding_negation_colon_verdict(cb, text, code_id, negated):
    assert negations(cb, text, code_id) == [negated]


@slow
@pytest.mark.parametrize(
    "text, code_id, negated",
    [
        ("Een time-out zien we ook (nog) niet.", "time_out", True),  # a short insertion is part of the clause
        ("Woningen zijn er (nog) niet.", "wonen", True),
        ("Er zijn woningen (nog niet) beschikbaar.", "wonen", True),
        ("Eigen regie (de cliënt beslist zelf) is minder van toepassing.", "regie", True),  # insertion skipped
        ("Woningen (maar niet voor iedereen) zijn er.", "wonen", False),  # cues of a long insertion do not count
        ("Zij krijgen woningen (geen time-out).", "wonen", False),
        ("Zij krijgen woningen (geen time-out).", "time_out", True),
    ],
)
def test_coding_negation_brackets(cb, text, code_id, negated):
    assert negations(cb, text, code_id) == [negated]


@slow
@pytest.mark.parametrize(
    "text, code_id, negated",
    [
        ("Schuldhulpverlening zit niet in het team, terwijl schulden wel meespelen.", "schulden", True),
        ("Schuldhulpverlening zit nog niet in de pilot; bijna iedereen heeft schulden.", "schulden", True),
        ("Er is geen time-out; bij een crisis is er een time-out plek in de regio.", "time_out", True),
        ("Er zijn woningen, maar geen woningen voor jongeren.", "wonen", False),  # the first mention decides
        ("We hebben geen time-out plek, maar wel ambulante begeleiding.", "begeleiding", False),
        ("We hebben geen time-out plek, maar wel ambulante begeleiding.", "time_out", True),
    ],
)
def test_coding_negation_first_mention_in_sentence_decides(cb, text, code_id, negated):
    assert negations(cb, text, code_id) == [negated]


@slow
@pytest.mark.parametrize("question", [1, 2, 4])
def test_coding_uncoded_questions_are_not_searched(cb, question):
    """The pilot's name and address, the municipality and the start date are no evidence."""
    codings, _ = code(cb, "Woningen voor ervaringsdeskundigen, Slotlaan 12, 3701 AB Zeist", question=question)
    assert codings.empty


@slow
def test_coding_uncoded_question_read_by_a_family_restricted_to_it():
    import dataclasses

    from quickscan.coding import code_corpus

    cb = Codebook.from_yaml(CODEBOOK.replace("questions: [19]", "questions: [1, 19]"))
    corpus = corpus_of(("Pilot A", "T0", {1: "Kennisdeling en woningen, Zeist", 9: "Kennisdeling."}))
    codings = code_corpus(corpus, cb).query("family not in ['status', 'bereik']")
    assert set(zip(codings["code"], codings["question"])) == {("kennisdeling", 1)}
    everything = dataclasses.replace(corpus.template, questions=tuple(
        dataclasses.replace(q, coded=True) for q in corpus.template.questions))
    codings = code_corpus(dataclasses.replace(corpus, template=everything), cb)
    assert {("kennisdeling", 1), ("wonen", 1)} <= set(zip(codings["code"], codings["question"]))


@slow
@pytest.mark.parametrize(
    "text, valence",
    [
        ("De samenwerking gaat niet goed.", "risicofactor"),  # a negated cue: the other valence of two
        ("De samenwerking was geen succes.", "risicofactor"),
        ("De samenwerking is niet lastig.", "slaagfactor"),
        ("De samenwerking verloopt zonder risico's.", "slaagfactor"),
        ("De samenwerking gaat niet alleen goed, maar ook snel.", "slaagfactor"),  # niet alleen
        ("De samenwerking gaat goed, maar niet overal.", "slaagfactor"),  # niet in another clause
        ("Geen wachtlijst, de samenwerking gaat goed.", "slaagfactor"),
    ],
)
def test_coding_negated_valence_cue(cb, text, valence):
    codings, _ = code(cb, text, question=15)
    row = codings[codings["code"] == "factor_samenwerking"]
    assert row["valence"].tolist() == [valence]


def test_coding_negated_valence_cue_without_an_opposite():
    from quickscan.coding import _opposite

    assert _opposite("slaagfactor", ("slaagfactor", "risicofactor")) == "risicofactor"
    assert _opposite("risicofactor", ("slaagfactor", "risicofactor")) == "slaagfactor"
    assert _opposite("positief", ("positief", "neutraal", "negatief")) is None  # three valences: none


@slow
def test_coding_negated_codings_are_kept_but_do_not_count(cb):
    from quickscan.coding import code_corpus, present

    corpus = corpus_of(("Pilot A", "T0", {9: "Er is geen sprake van schuldhulpverlening. Wel woningen."}))
    codings = code_corpus(corpus, cb)
    assert set(codings["code"]) >= {"schulden", "wonen"}
    assert "schulden" not in set(code_corpus(corpus, cb, include_negated=False)["code"])
    assert "schulden" not in set(present(codings)["code"])
    assert "wonen" in set(present(codings)["code"])


@slow
def test_coding_negation_cue_inside_the_pattern_does_not_negate(cb):
    from quickscan.coding import code_corpus

    corpus = corpus_of(("Pilot A", "T0", {5: "Dit is bewust geen pilot."}))
    status = code_corpus(corpus, cb).query("family == 'status'")
    assert status["code"].tolist() == ["status_geen_pilot"]


@pytest.mark.parametrize(
    "negated, decision, counts",
    [(False, None, True), (True, None, False), (True, "accepted", True), (False, "rejected", False),
     (False, "added", True)],
)
def test_coding_present(negated, decision, counts):
    from quickscan.coding import present

    codings = pd.DataFrame({"code": ["wonen"], "negated": [negated], "decision": [decision]})
    assert len(present(codings)) == int(counts)


# -- facts, restrictions, selective coding --------------------------------------------------

FACT_PILOTS = [
    ("Pilot A", "T0", {5: "Het is een experiment tot eind 2020.", 6: "Gemeentelijk."}),
    ("Pilot A", "T1", {5: "Het is geïmplementeerd en geen pilot meer.", 6: "Lokaal, later regionaal."}),
    ("Pilot B", "T0", {5: "", 6: "In de hele regio.", 9: "Een experiment met woningen."}),
    ("Pilot B", "T1", {5: "Het is geen experiment meer.", 6: ""}),
]


@slow
def test_coding_fact_families_coded_once_per_pilot_and_wave(cb):
    from quickscan.coding import code_corpus

    codings = code_corpus(corpus_of(*FACT_PILOTS), cb)
    facts = codings[codings["family"].isin(["status", "bereik"])]
    assert not facts.duplicated(["pilot_id", "wave", "family"]).any()
    got = {(r.pilot_id, r.wave, r.family): r.code for r in facts.itertuples()}
    assert got == {
        ("pilot-a", "T0", "status"): "status_pilot",
        ("pilot-a", "T0", "bereik"): "bereik_lokaal",
        ("pilot-a", "T1", "status"): "status_geimplementeerd",  # codebook order: specific codes first
        ("pilot-a", "T1", "bereik"): "bereik_lokaal",
        ("pilot-b", "T0", "status"): "status_onbekend",  # empty answer
        ("pilot-b", "T0", "bereik"): "bereik_regionaal",
        ("pilot-b", "T1", "status"): "status_onbekend",  # negated: "geen experiment meer"
        ("pilot-b", "T1", "bereik"): "bereik_onbekend",
    }
    fallback = facts[facts["code"].str.endswith("onbekend")]
    assert (fallback["evidence"] == "").all() and fallback["start"].isna().all()
    assert fallback["question"].tolist() == [5, 5, 6]


@slow
def test_coding_fact_codes_only_from_their_question(cb):
    from quickscan.coding import code_corpus

    codings = code_corpus(corpus_of(*FACT_PILOTS), cb)
    assert set(codings.loc[codings["family"] == "status", "question"]) == {5}
    assert "wonen" in set(codings.loc[(codings["pilot_id"] == "pilot-b") & (codings["question"] == 9), "code"])


@slow
@pytest.mark.parametrize("question, found", [(19, True), (18, False), (9, False)])
def test_coding_restricted_family_only_in_its_questions(cb, question, found):
    codings, _ = code(cb, "We zorgen voor kennisdeling met andere gemeenten.", question)
    assert ("kennisdeling" in set(codings["code"])) is found


@slow
def test_coding_searches_all_answers_and_unmatched_content(cb):
    from quickscan.coding import code_corpus

    corpus = corpus_of(
        ("Pilot A", "T0", {15: "Een risico is het gebrek aan woningen.", 20: "Eigen regie werkt."}),
        unmatched=[("Losse notitie over probleemschulden.", "paragraph 40")],
    )
    codings = code_corpus(corpus, cb)
    where = {(r.code, None if pd.isna(r.question) else int(r.question)) for r in codings.itertuples()}
    assert {("wonen", 15), ("regie", 20), ("schulden", None)} <= where
    assert codings["question"].dtype == "Int64"


@slow
def test_coding_personal_question_is_not_coded(cb):
    codings, _ = code(cb, "Anna Woning, 06-12345678, anna@woningcorporatie.example.org", question=3)
    assert codings.empty


@slow
@pytest.mark.parametrize(
    "text, valence",
    [
        ("De samenwerking met de gemeente gaat goed.", "slaagfactor"),
        ("De samenwerking is lastig.", "risicofactor"),
        ("Het is lastig, maar de samenwerking gaat goed.", "slaagfactor"),  # the nearest cue
        ("Samenwerking met de wijkteams.", None),
    ],
)
def test_coding_valence_from_nearest_cue(cb, text, valence):
    codings, _ = code(cb, text, question=15)
    row = codings[codings["code"] == "factor_samenwerking"]
    assert row["valence"].tolist() == [valence]


# -- output ---------------------------------------------------------------------------------


@slow
def test_coding_columns_types_and_offsets(cb):
    from quickscan.coding import CODING_COLUMNS, code_corpus

    corpus = corpus_of(*FACT_PILOTS, ("Pilot C", "T0", {9: "Woningen.\n\nEigen kracht en regie.", 11: "Ambulant."}))
    codings = code_corpus(corpus, cb)
    assert list(codings.columns) == CODING_COLUMNS
    assert codings["negated"].dtype == bool
    assert str(codings["start"].dtype) == "Int64"
    assert codings["segment_id"].is_unique
    answers = corpus.answers.set_index(["pilot_id", "wave", "question"])["answer"]
    for r in codings.dropna(subset=["start"]).itertuples():
        text = answers.loc[(r.pilot_id, r.wave, r.question)]
        assert r.evidence in text
        assert text[r.start : r.end] in r.evidence


@slow
def test_coding_empty_corpus_gives_empty_frame(cb):
    from quickscan.coding import CODING_COLUMNS, code_corpus
    from quickscan.corpus import empty_answers

    codings = code_corpus(Corpus(empty_answers()), cb)
    assert codings.empty and list(codings.columns) == CODING_COLUMNS


# -- stability and caching ------------------------------------------------------------------


def _edit(cb: Codebook) -> Codebook:
    """A typical edit: patterns of wonen rewritten, a pattern added to schulden, a code added."""
    basisset = cb.family("basisset")
    codes = []
    for c in basisset.codes:
        if c.id == "wonen":
            c = dataclasses.replace(c, patterns=(Pattern("wonen:1", text="woning*"), Pattern("w2", text="*woning")))
        if c.id == "schulden":
            c = dataclasses.replace(c, patterns=(*c.patterns, Pattern("schulden:extra", text="bewindvoer*")))
        codes.append(c)
    nieuw = (Pattern("nieuw:1", text="nieuw*"),)
    codes.append(dataclasses.replace(codes[0], id="nieuw", label="Nieuw", patterns=nieuw))
    family = dataclasses.replace(basisset, codes=tuple(codes))
    return dataclasses.replace(cb, families=(family, *cb.families[1:]))


@slow
def test_coding_segment_ids_survive_a_codebook_edit(cb):
    from quickscan.coding import code_corpus

    corpus = corpus_of(("Pilot A", "T0", {9: "Een woning en bewindvoering. Nieuwe huurwoningen.", 15: "Schulden."}))
    before = code_corpus(corpus, cb).set_index(["code", "evidence"])["segment_id"]
    after = code_corpus(corpus, _edit(cb)).set_index(["code", "evidence"])["segment_id"]
    common = before.index.intersection(after.index)
    assert len(common) >= 3
    assert (before[common] == after[common]).all()
    assert ("nieuw", "Een woning en bewindvoering.") not in after.index
    assert ("nieuw", "Nieuwe huurwoningen.") in after.index


@slow
def test_coding_is_the_same_warm_and_cold(cb):
    """The matchers learn new word forms incrementally: coding after other texts and other
    codebooks gives the same result as coding from nothing."""
    from quickscan.coding import clear_cache, code_corpus

    first = corpus_of(("Pilot A", "T0", {9: "Woningen en schuldhulp.", 15: "Samenwerking gaat goed."}))
    second = corpus_of(*FACT_PILOTS, ("Pilot C", "T0", {9: "Probleemschulden, huurwoningen, eigen kracht en regie."}))
    code_corpus(first, cb)
    code_corpus(first, _edit(cb))
    warm = code_corpus(second, cb)
    clear_cache()
    cold = code_corpus(second, cb)
    pd.testing.assert_frame_equal(warm, cold)


@slow
def test_coding_cache_bounded_in_bytes_never_a_key_error(cb, monkeypatch):
    """A call that brings more texts than the cache holds evicts older ones (never its own
    that it still needs), codes in batches, and gives what an unbounded cache gives."""
    from quickscan import coding

    pilots = [(f"Pilot {i}", "T0", {9: f"Woningen en schuldhulp nummer {i}.\nGeen regie {i}.",
                                     15: f"Samenwerking {i} gaat goed; eigen kracht."}) for i in range(60)]
    corpus = corpus_of(*pilots)
    coding.clear_cache()
    expected = coding.code_corpus(corpus, cb)
    coding.clear_cache()
    monkeypatch.setattr(coding, "_CACHE_BYTES", 20_000)
    monkeypatch.setattr(coding, "_BATCH", 7)
    small = coding.code_corpus(corpus, cb)
    pd.testing.assert_frame_equal(small, expected)
    assert 0 < coding._STATE["cached"] <= 20_000
    assert coding._STATE["cached"] == sum(p.size for p in coding._DOCS.values())
    again = coding.code_corpus(corpus, cb)  # partly cached, partly rebuilt: the same codings
    pd.testing.assert_frame_equal(again, expected)
    assert [t.text for t in coding.tokenize(["Zin een.\nZin twee"])[0].sents] == ["Zin een.\n", "Zin twee"]


@slow
def test_coding_raw_spacy_patterns(cb):
    from quickscan.coding import code_corpus

    raw = CODEBOOK.replace(
        "[kennisdeling, kennis ... delen]",
        "[kennisdeling, {id: lemma, spacy: [{LEMMA: kennis}, {LEMMA: delen}]}]",
    ).replace("questions: [19]", "questions: [19, 9]")
    cb_raw = Codebook.from_yaml(raw)
    corpus = corpus_of(("Pilot A", "T0", {9: "We willen kennis delen.", 19: "Kennis deelden we."}))
    codings = code_corpus(corpus, cb_raw)
    assert codings.query("code == 'kennisdeling'")["pattern"].tolist() == ["lemma", "lemma"]


# -- the shipped codebooks ------------------------------------------------------------------


def sample_corpus(limit: int | None = None) -> Corpus:
    frames = []
    for path in sorted((ROOT / "data" / "sample" / "source").glob("*.yaml"))[:limit]:
        source = yaml.safe_load(path.read_text("utf-8"))
        for wave in ("t0", "t1"):
            if source.get(wave):
                answers = {int(q): str(a or "").strip() for q, a in source[wave]["answers"].items()}
                frames.append(make_answers(source[wave]["name"], wave.upper(), answers))
    return Corpus.from_answers(pd.concat(frames, ignore_index=True))


@slow
def test_coding_bundled_codebook_on_the_sample():
    from quickscan.coding import code_corpus

    if not (ROOT / "data" / "sample" / "source").is_dir():
        pytest.skip("no sample data")
    corpus = sample_corpus()
    cb = load_codebook()
    codings = code_corpus(corpus, cb)
    facts = [f.id for f in cb.families if f.kind == "fact"]
    per_pilot = codings[codings["family"].isin(facts)].groupby(["pilot_id", "wave", "family"]).size()
    assert (per_pilot == 1).all()
    assert len(per_pilot) == corpus.answers.drop_duplicates(["pilot_id", "wave"]).shape[0] * len(facts)
    assert codings["segment_id"].is_unique
    assert 3 not in set(codings["question"].dropna())


@slow
def test_coding_another_instrument_needs_only_a_codebook():
    from quickscan.coding import code_corpus

    path = ROOT / "codebooks" / "monitor-uitdagingen.yaml"
    if not path.exists():
        pytest.skip("codebooks/monitor-uitdagingen.yaml not written yet")
    cb = load_codebook(path)
    corpus = corpus_of(("Regio Oost", "T0", {9: "Er is schaarste aan woningen en we willen problemen voorkomen."}))
    codings = code_corpus(corpus, cb)
    assert set(codings["family"]) <= {f.id for f in cb.families}
    assert not codings.empty


@slow
def test_coding_agrees_with_a_plain_spacy_matcher():
    """Independent check: the same codebook as plain Matcher patterns (REGEX, LEMMA; see
    codebook.matcher_patterns) finds the same codes in the same sentences."""
    from spacy.matcher import Matcher

    from quickscan.codebook import compile_codebook, matcher_patterns
    from quickscan.coding import _split_words, code_corpus, pipeline, tokenize

    cb = load_codebook()
    corpus = sample_corpus(limit=2)
    codings = code_corpus(corpus, cb)
    compiled = {mp.id: mp for mp in compile_codebook(cb)}
    split = {mp.id for mp in _split_words(tuple(compiled.values())) if mp.tokens != compiled[mp.id].tokens}
    # patterns whose words the tokenizer splits ("(mee)werken") are spelled differently in
    # plain Matcher form; fact families are decided per pilot, not per sentence
    skip = {compiled[p].code for p in split} | {f.id for f in cb.families if f.kind == "fact"}
    assert len(skip) < len(cb.codes) / 4
    nlp = pipeline()
    matcher = Matcher(nlp.vocab)
    for pid, patterns in matcher_patterns(cb).items():
        matcher.add(pid, patterns)
    where = {c.id: set(c.questions or cb.family(c.family).questions) for c in cb.codes}
    expected = set()
    for row in corpus.answers.itertuples():
        if not row.answer.strip() or row.question == 3:
            continue
        doc = tokenize([row.answer])[0]
        for key, start, end in matcher(doc):
            mp = compiled[nlp.vocab.strings[key]]
            if mp.code is None or mp.code in skip or mp.family in skip:
                continue
            if where[mp.code] and row.question not in where[mp.code]:
                continue
            if not where[mp.code] and row.question in corpus.template.uncoded_questions:
                continue  # the pilot's name and address, municipality, start date: not searched
            sent = doc[start].sent
            if end <= sent.end:
                expected.add((row.pilot_id, row.wave, row.question, mp.code, sent.text.strip(" \n-•")))
    got = {
        (r.pilot_id, r.wave, r.question, r.code, r.evidence)
        for r in codings.itertuples() if r.code not in skip and r.family not in skip
    }
    assert len(got) > 50
    assert got == expected


@slow
@pytest.mark.parametrize(
    "answer, code",
    [
        ("Pilot. Volgend jaar besluit de gemeente of het onderdeel wordt van het reguliere aanbod.", "pilot"),
        ("Gestopt per 1 november. Het was een pilot.", "gestopt"),
        ("De pilot is afgerond en de werkwijze is nu geïmplementeerd.", "geimplementeerd"),
        ("Het is een pilot, maar inmiddels gestopt.", "gestopt"),
        ("Geen idee.", "onbekend"),
    ],
)
def test_coding_fact_first_sentence_with_a_match_decides(answer, code):
    from quickscan.coding import code_corpus

    cb = Codebook.from_yaml(
        "id: t\nname: t\nfamilies:\n  - id: status\n    label: Status\n    kind: fact\n    question: 5\n    codes:\n"
        "      - {id: gestopt, label: gestopt, patterns: [gestopt]}\n"
        "      - {id: geimplementeerd, label: geïmplementeerd, patterns: [geïmplementeerd]}\n"
        "      - {id: pilot, label: pilot, patterns: [pilot]}\n"
        "      - {id: onbekend, label: onbekend, fallback: true}\n"
    )
    corpus = Corpus.from_answers(make_answers("Pilot X", "T0", {1: "Pilot X", 5: answer}))
    status = code_corpus(corpus, cb)
    assert status["code"].tolist() == [code]


@slow
def test_coding_half_in_a_second_process_gives_the_same_codings(monkeypatch, second_process):
    from quickscan import coding

    corpus = sample_corpus()
    whole = coding.code_corpus(corpus)
    monkeypatch.setattr(coding, "SPLIT_ANSWERS", 2)
    split = coding._half(corpus.answers)
    assert 0 < split < len(corpus.answers)
    pd.testing.assert_frame_equal(coding.code_corpus(corpus, executor=second_process), whole)


@slow
def test_coding_a_dead_second_process_codes_its_half_here(monkeypatch):
    from quickscan import coding
    from tests.conftest import BrokenPool

    corpus = sample_corpus(limit=4)
    monkeypatch.setattr(coding, "SPLIT_ANSWERS", 2)
    pd.testing.assert_frame_equal(coding.code_corpus(corpus, executor=BrokenPool()), coding.code_corpus(corpus))


@given(st.lists(st.sampled_from("abcde"), min_size=2, max_size=30), st.lists(st.sampled_from(["T0", "T1"]),
                                                                               min_size=30, max_size=30))
def test_coding_half_never_splits_a_pilot_and_wave(pilots, waves):
    from quickscan.coding import _half

    answers = pd.DataFrame({"pilot_id": pilots, "wave": waves[: len(pilots)]})
    split = _half(answers)
    keys = list(zip(answers["pilot_id"], answers["wave"]))
    if split:
        assert not set(keys[:split]) & set(keys[split:])
    else:  # no cut is possible: every cut splits some pilot and wave
        assert all(set(keys[:k]) & set(keys[k:]) for k in range(1, len(keys)))


# -- the tokenizer ---------------------------------------------------------------------------


def _tokens(tokenizer, text: str) -> list[tuple[str, str, str]]:
    return [(t.text, t.whitespace_, t.norm_) for t in tokenizer(text)]


@pytest.fixture(scope="module")
def blank_nl():
    """spaCy's Dutch tokenizer with all its special cases, and a maker of the pipeline's."""
    import spacy
    from spacy.lang.nl import Dutch

    from quickscan.coding import _tokenizer

    nlp = Dutch(create_tokenizer=_tokenizer)
    return spacy.blank("nl").tokenizer, lambda: _tokenizer(nlp)


@slow
def test_coding_tokenizer_has_the_tokens_of_spacy_blank_around_every_special_case(blank_nl):
    """Special cases are added when a text can hold them: every one of spaCy's 4,670 alone, between
    brackets, in a sentence, glued to words, and as its tokens apart by spaces (spaCy's matcher of
    special cases sees those too) gives the tokens of ``spacy.blank("nl")``."""
    import spacy

    full, fresh = blank_nl
    plain = spacy.blank("nl").tokenizer
    plain.rules = {}  # the tokens of a special case as if it were none
    lazy = fresh()
    specials = sorted(full.rules)
    assert len(specials) > 4000 and len(lazy.rules) < 200  # only those without a full stop at first
    for special in specials:
        spaced = " ".join(t.text for t in plain(special))
        for text in (f"a {spaced} b", f"{special} ({special}) zie {special}, x{special}y {spaced}."):
            assert _tokens(lazy, text) == _tokens(full, text), text
    assert len(lazy.rules) == len(full.rules)
    texts = [f"Zie {s} en {s}" for s in specials[::7]]  # a fresh tokenizer, the texts in batches
    assert [[(t.text, t.whitespace_) for t in doc] for doc in fresh().pipe(texts, batch_size=50)] == \
        [[(t.text, t.whitespace_) for t in full(text)] for text in texts]


@slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["N.v.t.", "n.v.t", "bijv.", "bijv", "a.s.", "a.", "s.", "t.", "v.", "m.b.t.",
                                 "o.a.", ":-)", "'s", "St.", "nr.", "°C.", "e.d.", ".", "..", ",", "(", ")",
                                 " ", "  ", "\n", "-", "a", "N", "v", "t", "zie", "Jan."]), max_size=12))
def test_coding_tokenizer_has_the_tokens_of_spacy_blank(blank_nl, pieces):
    full, fresh = blank_nl
    text = "".join(pieces)
    assert _tokens(fresh(), text) == _tokens(full, text)
