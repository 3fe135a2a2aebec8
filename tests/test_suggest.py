"""Learned code suggestions: scikit-learn conventions, training data, suggestions, sample quality."""

from __future__ import annotations

import pandas as pd
import pytest

from quickscan.coding import CODING_COLUMNS, code_corpus, segment_id
from quickscan.corpus import Corpus, make_answers
from quickscan.suggest import (
    CV_COLUMNS,
    SUGGESTION_COLUMNS,
    CodeSuggester,
    NotFittedError,
    codings_from_quotes,
    cross_validate,
)

WONEN = ["Bewoners krijgen een eigen woning.", "De corporatie levert woningen.", "Een woning met eigen voordeur.",
         "Huisvesting via de woningcorporatie.", "Iedere deelnemer huurt een woning.", "Wonen in een eigen huis."]
ANDERS = ["Wekelijks overleg met de wijkagent.", "De coördinator belt elke maand.", "Er is een klankbordgroep.",
          "Het team werkt met vrijwilligers.", "De gemeente betaalt de begeleiding.", "Cliënten volgen een training."]


def _corpus(n: int = 6, wave: str = "T0") -> Corpus:
    frames = [make_answers(f"Pilot {i}", wave, {9: f"{WONEN[i % 6]} {ANDERS[i % 6]}",
                                                 15: f"{ANDERS[(i + 1) % 6]} {WONEN[(i + 2) % 6]}",
                                                 3: "Anouk Verbeek, 06-12345871, a.verbeek@example.org"})
              for i in range(n)]
    return Corpus.from_answers(pd.concat(frames))


def _quotes(corpus: Corpus, n_wonen: int | None = None) -> pd.DataFrame:
    rows = []
    for a in corpus.answers[corpus.answers["question"].isin([9, 15])].itertuples():
        for text in WONEN:
            if text in a.answer:
                rows.append({"pilot_id": a.pilot_id, "wave": a.wave, "question": int(a.question),
                             "code": "wonen", "quote": text})
    return pd.DataFrame(rows[:n_wonen])


@pytest.fixture(scope="module")
def corpus():
    return _corpus()


@pytest.fixture(scope="module")
def codings(corpus):
    return codings_from_quotes(_quotes(corpus), corpus)


@pytest.fixture(scope="module")
def fitted(codings, corpus):
    return CodeSuggester().fit(codings, corpus)


def test_suggest_codings_from_quotes(codings):
    assert list(codings.columns) == CODING_COLUMNS
    assert len(codings) == 12 and set(codings["family"]) == {"basisset"}
    assert (codings["source"] == "researcher").all() and not codings["negated"].any()
    row = codings.iloc[0]
    assert row["segment_id"] == segment_id(row["pilot_id"], row["wave"], row["question"], row["evidence"], "wonen")


def test_suggest_codings_from_quotes_missing_quote_names_place(corpus):
    bad = pd.DataFrame([{"pilot_id": "pilot-0", "wave": "T0", "question": 9, "code": "wonen", "quote": "Niet hier."}])
    with pytest.raises(ValueError, match=r"pilot 'pilot-0', T0, question 9: quote not found"):
        codings_from_quotes(bad, corpus)
    assert codings_from_quotes(bad, corpus, missing="skip").empty


def test_suggest_fit_returns_self_and_learns(codings, corpus):
    model = CodeSuggester()
    assert model.fit(codings, corpus) is model
    assert model.codes_ == ("wonen",) and model.examples_ == {"wonen": 12}
    assert model.skipped_.empty and model.n_sentences_ == 24  # the personal question is not read


def test_suggest_init_stores_params_only_and_clone_works():
    from sklearn.base import clone

    model = CodeSuggester(threshold=0.7, min_examples=3)
    assert not [a for a in vars(model) if a.endswith("_")]
    assert model.get_params() == {"min_examples": 3, "threshold": 0.7, "C": 1.0, "ngrams": 2, "families": None,
                                  "random_state": 0}
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert model.set_params(C=0.5) is model and model.C == 0.5
    with pytest.raises(ValueError, match="invalid parameter 'alpha'"):
        model.set_params(alpha=1)
    assert repr(model) == "CodeSuggester(min_examples=3, threshold=0.7, C=0.5)"


def test_suggest_unfitted_is_a_clear_error(corpus):
    model = CodeSuggester()
    for call in (lambda: model.suggest(corpus), lambda: model.predict_proba(["Een woning."])):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call()


@pytest.mark.parametrize("n, message", [(3, "needs 2 more examples (3 of 5)"), (4, "needs 1 more example (4 of 5)")])
def test_suggest_too_few_examples_are_skipped_with_a_message(corpus, n, message):
    model = CodeSuggester().fit(codings_from_quotes(_quotes(corpus, n), corpus), corpus)
    assert model.codes_ == ()
    assert model.skipped_[["code", "examples", "needed"]].values.tolist() == [["wonen", n, 5 - n]]
    assert model.skipped_["message"].item() == message
    assert model.suggest(corpus).empty


def test_suggest_bad_params(codings, corpus):
    with pytest.raises(ValueError, match="threshold"):
        CodeSuggester(threshold=2).fit(codings, corpus)
    with pytest.raises(ValueError, match="lack the column"):
        CodeSuggester().fit(codings.drop(columns=["start"]), corpus)


def test_suggest_predict_proba(fitted):
    p = fitted.predict_proba(["Zij krijgt een woning van de corporatie.", "Overleg met de wijkagent."])
    assert list(p.columns) == ["wonen"] and ((p >= 0) & (p <= 1)).all().all()
    assert p["wonen"].iloc[0] > 0.5 > p["wonen"].iloc[1]
    assert fitted.top_terms("wonen", 3)


def test_suggest_rows_for_review(fitted):
    new = Corpus.from_answers(make_answers("Nieuwe pilot", "T1", {
        17: "De klankbordgroep komt elke maand. Twee deelnemers kregen een eigen woning.",
        3: "Anouk Verbeek, 06-12345871, a.verbeek@example.org"}))
    out = fitted.suggest(new)
    assert list(out.columns) == SUGGESTION_COLUMNS
    assert out["evidence"].tolist() == ["Twee deelnemers kregen een eigen woning."]
    row = out.iloc[0]
    answer = new.answer("nieuwe-pilot", 17)
    assert answer[row["start"]:row["end"]] == row["evidence"]
    assert row["source"] == "model" and not row["negated"] and 0.5 <= row["probability"] <= 1
    assert row["segment_id"] == segment_id("nieuwe-pilot", "T1", 17, row["evidence"], "wonen")
    assert (out["question"] != 3).all()
    assert fitted.suggest(new, threshold=1.0).empty


def test_suggest_skips_what_the_rules_coded(fitted):
    new = Corpus.from_answers(make_answers("Nieuwe pilot", "T1", {17: "Twee deelnemers kregen een eigen woning."}))
    rules = code_corpus(new)
    assert "wonen" in set(rules["code"])
    assert len(fitted.suggest(new)) == 1
    assert fitted.suggest(new, rule_codings=rules).empty


def test_suggest_rule_codings_read_from_csv(fitted, tmp_path):
    """Rule codings read back from codings.csv: a fallback fact has no evidence (NaN)."""
    new = Corpus.from_answers(make_answers("Nieuwe pilot", "T1", {17: "Twee deelnemers kregen een eigen woning."}))
    rules = code_corpus(new)
    fact = rules.iloc[:1].assign(code="status_onbekend", family="status", evidence="", start=None, end=None)
    pd.concat([rules, fact]).to_csv(tmp_path / "codings.csv", index=False)
    read = pd.read_csv(tmp_path / "codings.csv")
    assert read["evidence"].isna().any()
    assert fitted.suggest(new, rule_codings=read).empty


@pytest.mark.parametrize("question", [float("nan"), None, "negen"])
def test_suggest_codings_from_quotes_without_a_question_names_the_row(corpus, question):
    quotes = _quotes(corpus, 2).astype({"question": object})
    quotes.loc[1, "question"] = question
    with pytest.raises(ValueError, match=r"row 2: .*question"):
        codings_from_quotes(quotes, corpus)


def test_suggest_model_rows_count_only_when_accepted(codings, corpus, fitted):
    suggestions = fitted.suggest(corpus).drop(columns=["probability"])
    extra = suggestions.assign(code="informele_zorg", decision=None)
    base = codings.assign(decision=None)
    model = CodeSuggester().fit(pd.concat([base, extra], ignore_index=True), corpus)
    assert "informele_zorg" not in model.examples_
    accepted = extra.assign(decision="accepted")
    model = CodeSuggester().fit(pd.concat([base, accepted], ignore_index=True), corpus)
    assert model.examples_["informele_zorg"] == len(accepted)


def test_suggest_is_deterministic(codings, corpus, fitted):
    again = CodeSuggester().fit(codings, corpus)
    pd.testing.assert_frame_equal(fitted.suggest(corpus), again.suggest(corpus))


def test_suggest_cross_validate_grouped_by_pilot(codings, corpus, fitted):
    scores = cross_validate(fitted, codings, corpus, n_splits=3)
    assert list(scores.columns) == CV_COLUMNS and scores["code"].tolist() == ["wonen"]
    row = scores.iloc[0]
    assert row["folds"] == 3 and row["tp"] + row["fn"] == 12
    for col in ("precision", "recall", "f1", "pilot_precision", "pilot_recall", "pilot_f1"):
        assert 0 <= row[col] <= 1
    assert row["recall"] > 0.5  # the held-out pilots' housing sentences share words with the others


# -- on the sample: fit on the gold coding of T0, suggest for T1 ------------------------------


@pytest.mark.slow
def test_suggest_sample_t1_quality_floor():
    """Measured before writing this test (scripts/evaluate_suggestions.py): suggestions alone reach
    pilot-level precision 0.88 (basisset) and 0.93 (uitgangspunten), recall 0.80 and 0.77. Suggesting
    every code for every pilot would give precision 0.56 and 0.83 (134 of 240 and 66 of 80 pilot-code
    pairs hold in the T1 gold), so the floors lie above that and below the measured values."""
    from evaluate_suggestions import run

    out = run()
    scores = out["scores"].set_index(["method", "family", "level"])
    for family in ("basisset", "uitgangspunten"):
        pilot = scores.loc[("suggestions", family, "pilot")]
        assert pilot["precision"] >= {"basisset": 0.8, "uitgangspunten": 0.88}[family], family
        assert pilot["recall"] >= 0.65, family
        union = scores.loc[("rules + suggestions", family, "pilot")]
        assert union["recall"] >= scores.loc[("rules", family, "pilot"), "recall"]
    assert out["times"]["fit"].item() < 20


def test_suggest_sentences_skip_what_the_coder_does_not_search():
    """No suggestions from the pilot's name and address, nor from question 3."""
    from quickscan.corpus import Corpus, make_answers
    from quickscan.themes import sentence_frame

    corpus = Corpus.from_answers(make_answers("Housing First Zeist", "T0", {
        1: "Housing First Zeist, Slotlaan 12, 3701 AB Zeist", 3: "Jan Jansen, 06-12345678", 9: "Een eigen woning."}))
    assert sentence_frame(corpus)["question"].tolist() == [9]
    assert sentence_frame(corpus, questions=[1])["question"].tolist() == [1]
