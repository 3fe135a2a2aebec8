"""Candidate themes of open answers and promoting them into a codebook copy."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickscan.codebook import Codebook, load_codebook
from quickscan.corpus import Corpus, make_answers
from quickscan.errors import CodebookError
from quickscan.themes import Stability, promote_themes, sentence_frame, suggest_themes, theme_stability

# three obvious groups of sentences, worded differently in every pilot
GROUPS = {
    "geld": ["De financiering via subsidie is onzeker.", "Het budget en de subsidie zijn te krap.",
             "Regel de financiering en het budget vooraf.", "Zonder subsidie geen budget voor de financiering.",
             "De subsidie dekt maar een deel van het budget."],
    "samen": ["Overleg met de partners kost veel tijd.", "Samenwerking met partners vraagt vast overleg.",
              "De partners zitten elke week samen in overleg.", "Goede samenwerking begint met overleg.",
              "Zonder samenwerking met partners lukt het niet."],
    "wonen": ["Er is te weinig woning voor de huisvesting.", "De corporatie levert een woning en huisvesting.",
              "Huisvesting regelen met de corporatie duurt lang.", "Een eigen woning via de corporatie.",
              "De woning en de huisvesting zijn schaars bij de corporatie."],
}


def _corpus(n_pilots: int = 5) -> Corpus:
    frames = []
    for i in range(n_pilots):
        texts = [GROUPS[g][(i + j) % 5] + " " + GROUPS[g][(i + j + 2) % 5] for j, g in enumerate(GROUPS)]
        frames.append(make_answers(f"Pilot {i}", "T0", {18: texts[0], 19: texts[1], 20: texts[2],
                                                          3: "Anouk Verbeek, 06-12345871, a.verbeek@example.org"}))
    return Corpus.from_answers(pd.concat(frames))


def _group_of(sentence: str) -> str:
    return next(g for g, texts in GROUPS.items() if sentence in texts)


@pytest.fixture(scope="module")
def corpus():
    return _corpus()


@pytest.fixture(scope="module")
def themes(corpus):
    return suggest_themes(corpus)


def test_themes_separate_obvious_groups(themes):
    assert themes.n_themes == 3
    s = themes.sentences
    assert (s["theme"] > 0).all()
    # every theme holds the sentences of exactly one group, and every group one theme
    pairs = set(zip(s["theme"], s["sentence"].map(_group_of)))
    assert len(pairs) == 3 and len({g for _, g in pairs}) == 3
    key_terms = {"geld": {"subsidie", "budget", "financiering"}, "samen": {"overleg", "partner", "partners", "samenwerking"},
                 "wonen": {"woning", "huisvesting", "corporatie"}}
    for t in themes.themes.itertuples():
        group = _group_of(s.loc[s["theme"] == t.theme, "sentence"].iloc[0])
        assert set(t.terms[:3]) <= key_terms[group]
        assert t.size == 10 and t.n_pilots == 5
        assert len(t.quotes) == 3 and len(set(t.quote_pilots)) == 3
        assert all(_group_of(q) == group for q in t.quotes)


def test_themes_selection_picks_the_most_stable(themes):
    sel = themes.selection
    assert sel["n_themes"].tolist() == [3, 4, 5, 6]  # 30 sentences: at most one theme per five
    best = sel[sel["stability_mean"] == sel["stability_mean"].max()]
    assert themes.n_themes == best["n_themes"].min()
    assert themes.stability.mean == pytest.approx(best["stability_mean"].iloc[0])


def test_themes_same_seed_same_result(corpus, themes):
    again = suggest_themes(corpus)
    pd.testing.assert_frame_equal(themes.themes, again.themes)
    pd.testing.assert_frame_equal(themes.sentences, again.sentences)


def test_themes_never_read_personal_question(corpus, themes):
    assert 3 not in set(themes.sentences["question"])
    with_3 = suggest_themes(corpus, questions=(3, 18, 19, 20), n_themes=3)
    assert 3 not in set(with_3.sentences["question"])
    text = repr(with_3) + with_3._repr_html_() + with_3.themes.to_string()
    assert "Verbeek" not in text and "example.org" not in text
    assert 3 in set(sentence_frame(corpus, questions=(3,), include_personal=True)["question"])


def test_themes_repr_and_html(themes):
    assert "3 candidate themes" in repr(themes)
    html = themes._repr_html_()
    assert html.count("<tr>") == 4 and "&lt;" not in themes.themes.to_string()


@pytest.mark.parametrize("fraction", [1.0, 0.8])
def test_themes_stability_in_range(corpus, fraction):
    s = theme_stability(corpus, n_themes=3, seeds=range(4), fraction=fraction)
    assert isinstance(s, Stability) and s.seeds == (0, 1, 2, 3)
    assert -1 <= s.min <= s.mean <= 1
    assert s.mean > 0.9  # three obvious groups: every run finds them


@pytest.mark.parametrize("kwargs, message", [
    ({"n_themes": 1}, "at least 2"),
    ({"n_themes": 40}, "too many"),
    ({"questions": (17,)}, "no answers"),
])
def test_themes_bad_arguments(corpus, kwargs, message):
    with pytest.raises(ValueError, match=message):
        suggest_themes(corpus, **kwargs)


@pytest.mark.parametrize("call", [suggest_themes, theme_stability])
@pytest.mark.parametrize("answers", [
    {9: "Een woning gevonden."},                      # no answer to the open questions
    {18: "", 19: "  ", 20: ""},                         # all of them empty
])
def test_themes_without_open_answers_is_a_clear_error(call, answers):
    corpus = Corpus.from_answers(pd.concat([make_answers(f"P{i}", "T0", answers) for i in range(3)]))
    with pytest.raises(ValueError, match=r"no answers to questions \[18, 19, 20\]"):
        call(corpus)


def test_themes_as_many_themes_as_sentences():
    """k may equal the number of sentences; the resampling must not ask for more rows than exist."""
    corpus = Corpus.from_answers(make_answers("Pilot A", "T0", {
        20: "Subsidie en budget. Overleg met partners. Woning gevonden."}))
    themes = suggest_themes(corpus, questions=(20,), n_themes=3)
    assert themes.themes["size"].tolist() == [1, 1, 1]
    assert sorted(themes.sentences["theme"]) == [1, 2, 3]
    assert -1 <= theme_stability(corpus, questions=(20,), n_themes=3, seeds=range(2)).min <= 1


def test_themes_stability_needs_two_seeds(corpus):
    with pytest.raises(ValueError, match="two seeds"):
        theme_stability(corpus, n_themes=3, seeds=[0])


# -- promote_themes --------------------------------------------------------------------------


def test_themes_promote_makes_a_loadable_copy(themes, tmp_path):
    default = load_codebook()
    names = {1: "Financiering regelen", 2: ("samen_werken", "Samenwerking met partners")}
    path = tmp_path / "codeboek.yaml"
    cb = promote_themes(themes, names, default, path=path)
    assert load_codebook() == default  # the default is untouched
    family = cb.family("lessen")
    assert family.label == "Geleerde lessen" and [c.id for c in family.codes] == ["financiering_regelen", "samen_werken"]
    for code, theme in zip(family.codes, (1, 2)):
        row = themes.theme(theme)
        assert code.examples == row["quotes"] and code.questions == (18, 19, 20)
        assert [p.text for p in code.patterns] == list(row["terms"][:5])
    assert load_codebook(path) == cb
    assert Codebook.from_yaml(cb.to_yaml()) == cb
    assert len(cb.families) == len(default.families) + 1


def test_themes_promoted_codes_code_new_answers(themes):
    from quickscan.coding import code_corpus

    cb = promote_themes(themes, {t: f"Thema {t}" for t in (1, 2, 3)}, load_codebook())
    new = Corpus.from_answers(make_answers("Pilot T1", "T1", {20: "De subsidie kwam te laat."}))
    codings = code_corpus(new, cb)
    lessen = codings[codings["family"] == "lessen"]
    assert len(lessen) == 1 and lessen["evidence"].item() == "De subsidie kwam te laat."


@pytest.mark.parametrize("names, message", [
    ({1: "Geld", 2: "geld"}, "duplicate name"),
    ({1: ("x", "Geld"), 2: ("x", "Anders")}, "duplicate name"),
    ({1: "Wonen"}, "already in the codebook"),
    ({9: "Geld"}, "no theme 9"),
    ({}, "no theme named"),
    ({1: ""}, "empty name"),
])
def test_themes_promote_bad_names(themes, names, message):
    with pytest.raises((ValueError, KeyError), match=message):
        promote_themes(themes, names, load_codebook())


def test_themes_promote_existing_family_is_an_error(themes):
    with pytest.raises(ValueError, match="already in codebook"):
        promote_themes(themes, {1: "Geld"}, load_codebook(), family="borging")


def test_themes_promote_refuses_the_shipped_default(themes, tmp_path):
    from importlib import resources

    shipped = resources.files("quickscan").joinpath("data", "regionale-koers-u16.yaml")
    before = shipped.read_bytes()
    with pytest.raises(CodebookError, match="shipped default"):
        promote_themes(themes, {1: "Geld"}, load_codebook(), path=str(shipped))
    copy = tmp_path / "kopie.yaml"
    copy.write_bytes(before)
    with pytest.raises(CodebookError, match="copy of the shipped default"):
        promote_themes(themes, {1: "Geld"}, load_codebook(), path=copy)
    assert shipped.read_bytes() == before and copy.read_bytes() == before


@pytest.mark.parametrize("label, code_id", [
    ("Financiering regelen", "financiering_regelen"),
    ("Eén cliënt - (nog) níet!", "een_client_nog_niet"),
    ("  Wijk-gericht werken  ", "wijk_gericht_werken"),
])
def test_themes_promote_code_id_from_label(themes, label, code_id):
    code = promote_themes(themes, {1: label}, load_codebook()).family("lessen").codes[0]
    assert (code.id, code.label) == (code_id, label.strip())


@settings(max_examples=10, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzëé -", min_size=1, max_size=30), min_size=1, max_size=3,
                unique_by=lambda s: s.strip().lower()))
def test_themes_promote_round_trips_any_names(themes, labels):
    names = {i + 1: label for i, label in enumerate(labels)}
    try:
        cb = promote_themes(themes, names, load_codebook())
    except ValueError as exc:  # "-", " " or "é" alone; two labels with one id; an id of the codebook
        assert re.search(r"empty name|duplicate name|already in the codebook", str(exc)), exc
        return
    assert Codebook.from_yaml(cb.to_yaml()) == cb
    codes = cb.family("lessen").codes
    assert [c.label for c in codes] == [label.strip() for label in labels]
    assert all(re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", c.id) for c in codes)
