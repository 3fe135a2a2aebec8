"""The Corpus contract: columns, pilot identity across waves, duplicates, personal data."""

from __future__ import annotations

import pytest

from quickscan.corpus import (
    ANSWER_COLUMNS,
    PROBLEM_COLUMNS,
    Corpus,
    combine,
    make_answers,
    pilot_name,
    read_aliases,
    wave_from_name,
)


def corpus_of(name, wave, answers=None, source=None):
    answers = answers or {1: f"{name}, Dorpsstraat 1, Houten", 3: "Jan Jansen, 06-12345678", 9: f"Doel van {name}."}
    return Corpus.from_answers(make_answers(name, wave, answers, source=source or f"{wave}/{name}.docx"))


def test_corpus_has_fixed_columns_and_a_row_per_question():
    c = corpus_of("Buurtcirkel Zeist", "T0")
    assert list(c.answers.columns) == ANSWER_COLUMNS
    assert list(c.problems.columns) == PROBLEM_COLUMNS
    assert c.answers.question.tolist() == list(range(1, 21))
    assert str(c.answers.question.dtype) == "Int64"
    assert list(c.pilots.columns[:5]) == ["nr", "pilot_id", "wave", "pilot", "source"]
    assert c.pilots.loc[0, "contact"] == "Jan Jansen, 06-12345678"


@pytest.mark.parametrize(
    "answer, name",
    [
        ("Gebiedsteam GGZ Houten, Lindenlaan 3, 3991 AB Houten", "Gebiedsteam GGZ Houten"),
        ("Naam: Buurtcirkel Zeist\nSlotlaan 12, Zeist", "Buurtcirkel Zeist"),
        ("\n- Housing First, Nieuwegein", "Housing First, Nieuwegein"),
        ("", ""),
    ],
)
def test_corpus_pilot_name_from_first_answer(answer, name):
    assert pilot_name(answer) == name


@pytest.mark.parametrize(
    "names, wave",
    [(("data/T1/x.docx",), "T1"), (("Quickscan t0 2020.xlsx",), "T0"), (("T2",), "T2"),
     (("data/sample/x.docx",), None), (("Tussenrapport.docx",), None), (("T10-a.docx",), "T10")],
)
def test_corpus_wave_from_name(names, wave):
    assert wave_from_name(*names) == wave


def test_corpus_combine_same_pilot_written_differently_keeps_its_id():
    c = combine([corpus_of("Thuis in de Wijk Wijk bij Duurstede", "T0"),
                 corpus_of("Thuis in de wijk - Wijk bij Duurstede", "T1")])
    assert c.pilot_ids == ("thuis-in-de-wijk-wijk-bij-duurstede",)
    assert c.pilots.pilot.tolist() == ["Thuis in de Wijk Wijk bij Duurstede", "Thuis in de wijk - Wijk bij Duurstede"]


def test_corpus_combine_different_pilots_stay_apart_and_keep_report_order():
    c = combine([corpus_of("Housing First Zeist", "T0"), corpus_of("Housing First Utrecht", "T0"),
                 corpus_of("Housing First Utrecht", "T1"), corpus_of("Housing First Zeist", "T1"),
                 corpus_of("Nieuwe pilot", "T1")])
    assert c.pilot_ids == ("housing-first-zeist", "housing-first-utrecht", "nieuwe-pilot")
    assert c.pilots.set_index(["pilot_id", "wave"]).nr.to_dict()[("nieuwe-pilot", "T1")] == 3


def test_corpus_combine_reports_ambiguous_names_and_does_not_guess():
    c = combine([corpus_of("Buurtcirkel Zeist Oost", "T0"), corpus_of("Buurtcirkel Zeist West", "T0"),
                 corpus_of("Buurtcirkel Zeist", "T1")])
    assert len(c.pilot_ids) == 3
    assert c.problems.message.str.contains("ambiguous").any()


def test_corpus_alias_file_decides_what_a_rule_cannot(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("Buurtcirkel Zeist Oost:\n  - BC Oost\n", encoding="utf-8")
    assert read_aliases(path)["bc oost"] == "Buurtcirkel Zeist Oost"
    c = combine([corpus_of("Buurtcirkel Zeist Oost", "T0"), corpus_of("BC Oost", "T1")], aliases=path)
    assert c.pilot_ids == ("buurtcirkel-zeist-oost",)


def test_corpus_duplicate_pilot_in_one_wave_is_an_error_naming_both_files():
    a = corpus_of("Buurtcirkel Zeist", "T0", source="T0/a.docx")
    b = corpus_of("Buurtcirkel Zeist", "T0", {1: "Buurtcirkel Zeist", 9: "Anders."}, source="T0/b.docx")
    c = combine([a, b])
    err = c.errors.iloc[0]
    assert "T0/a.docx" in err.message and "T0/b.docx" in err.message and err.code == "E107"
    assert c.answer("buurtcirkel-zeist", 9) == "Doel van Buurtcirkel Zeist."


def test_corpus_identical_copy_in_the_workbook_is_merged_with_a_note():
    a = corpus_of("Buurtcirkel Zeist", "T0", source="T0/a.docx")
    b = corpus_of("Buurtcirkel Zeist", "T0", source="T0/quickscan.xlsx")
    c = combine([b, a])
    assert c.errors.empty and c.problems.code.tolist() == ["I107"]
    assert set(c.answers.source) == {"T0/a.docx"}  # the form wins: it has the richer locations


def test_corpus_without_personal_blanks_question_3_only():
    c = corpus_of("Buurtcirkel Zeist", "T0").without_personal()
    assert c.answer("buurtcirkel-zeist", 3) == ""
    assert c.answer("buurtcirkel-zeist", 9) == "Doel van Buurtcirkel Zeist."


def test_corpus_summary_counts_pilots_waves_and_problems():
    c = combine([corpus_of("A pilot", "T0"), corpus_of("A pilot", "T1")])
    text = c.summary()
    assert "T0: 1 pilot," in text and "T1: 1 pilot," in text and "no problems" in text
    assert c._repr_html_().startswith("<pre>")
