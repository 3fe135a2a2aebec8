"""The template as data: loading, validation, and recognising questions however they are typed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickscan.errors import TemplateError
from quickscan.template import load_template, normalize


def test_template_default_has_twenty_questions_blocks_and_personal_question(template):
    assert template.numbers == tuple(range(1, 21))
    assert template.personal_questions == (3,)
    assert template.uncoded_questions == (1, 2, 4)  # name and address, municipality, start date
    assert [q.number for q in template.fact_questions] == list(range(1, 9))
    assert template.block("Blok 3").questions == (15, 16, 17)
    assert template.block("blok1").context == (5, 6, 8)


@pytest.mark.parametrize(
    "text, number, rest",
    [
        ("9. Wat is het doel van de pilot?", 9, ""),
        ("9) Wat is het doel van de pilot? Minder opvang.", 9, "Minder opvang."),
        ("Vraag 10: Hoe sluit de pilot aan op de doelstellingen van het programma Regionale Koers", 10, ""),
        ("Wat is het doel van de pilto?", 9, ""),  # typo
        ("Hoe sluit de pilot aan op de\ndoelstellingen van het programma Regionale Koers maatschappelijke "
         "opvang en beschermd wonen?", 10, ""),  # line break inside the question
        ("12. Hoe gaat de pilot zich verantwoorden?", 18, ""),  # renumbered form: wording wins
        ("Startdatum: 1 maart 2020", 4, "1 maart 2020"),
        ("Wat zijn de drie belangrijkste lessen of boodschappen uit de ervaringen tot nu toe?", 20, ""),
    ],
)
def test_template_match_question_recognises_wording(template, text, number, rest):
    match = template.match_question(text)
    assert match is not None and match.number == number
    assert match.rest(text) == rest


@pytest.mark.parametrize(
    "text",
    [
        "1. Eigen verantwoordelijkheid staat voorop",
        "2. Normaliseren en uitgaan van de mogelijkheden",
        "De pilot is gestart in 2019.",
        "3",
        "",
        "2020 was een moeilijk jaar voor de pilot.",
    ],
)
def test_template_match_question_ignores_answers(template, text):
    assert template.match_question(text) is None


def test_template_bare_number_matches_only_when_loose(template):
    assert template.match_question("9.") is None
    assert template.match_question("9.", loose=True).number == 9


@pytest.mark.parametrize(
    "number, text, expected",
    [
        (2, "In welke gemeente vindt de pilot plaats?\nHouten", "Houten"),
        (6, "Betreft het een voorziening op gemeentelijk dan wel regionaal niveau? Regionaal", "Regionaal"),
        (8, "Noem hier een groep (bijv. mensen die dakloos waren) en eventuele specifieke vragen (schulden, "
            "inkomen, (arbeids)participatie, netwerkontwikkeling e.d.)\n\nJongeren", "Jongeren"),
        (2, "Houten", "Houten"),
        (8, "Mensen die dakloos waren", "Mensen die dakloos waren"),  # a phrase from the prompt is an answer
    ],
)
def test_template_strip_prompt(template, number, text, expected):
    assert template.strip_prompt(number, text) == expected


def test_template_normalize_folds_accents_case_and_punctuation():
    assert normalize("Cliënten-organisatie,\n (ICT)!") == "clienten organisatie ict"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09 _-.,;\t\n\x0b\x1c\x85\xa0éÉëßİΣσ’€²½\u0301\u2003"), max_size=40) | st.text(max_size=40))
def test_template_normalize_ascii_shortcut_equals_the_regular_expression(text):
    """ASCII text is folded with str.translate; the result is that of the regular expression."""
    import re
    import unicodedata

    from quickscan.template import _COMBINING

    folded = _COMBINING.sub("", unicodedata.normalize("NFKD", text)) if not text.isascii() else text
    assert normalize(text) == re.sub(r"[\W_]+", " ", folded.lower()).strip()


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("id: x\nname: y\n", "missing key 'questions'"),
        ("id: x\nquestions:\n  - {number: 1}\n", "missing key 'question'"),
        ("id: x\nquestions:\n  - {number: one, question: Q}\n", "whole number"),
        ("id: x\nquestions:\n  - {number: 1, question: A}\n  - {number: 1, question: B}\n", "duplicate"),
        ("id: x\nquestions:\n  - {number: 1, question: A, kind: other}\n", "kind must be"),
        ("id: x\nquestions:\n  - {number: 1, question: A, colour: red}\n", "unknown key"),
        ("id: x\nquestions:\n  - {number: 1, question: A}\nblocks:\n  - {id: b, questions: [7]}\n",
         "unknown question number"),
        ("id: x\nquestions: [\n", "not valid YAML"),
        ("id: x\nquestions:\n  - number: 1\n    question: Doel: wat is het?\n", "line 4.*quotes around"),
        ("id: x\nnaam: y\nquestions:\n  - {number: 1, question: A}\n", "unknown key.*'naam'"),
        ("id: x\nlanguage: en\nquestions:\n  - {number: 1, question: A, kind: fact}\n", "language 'en'"),
        ("id: x\npilot_question: 4\nquestions:\n  - {number: 1, question: A, kind: fact}\n", "pilot_question 4"),
        ("id: x\nquestions:\n  - {number: 1, question: A}\n", "pilot_question 1 is an open question"),
        ("id: x\nstatus_question: 2\nquestions:\n  - {number: 1, question: A, kind: fact}\n"
         "  - {number: 2, question: B}\n", "status_question 2"),
        ("id: x\nopen_questions: [1]\nquestions:\n  - {number: 1, question: A, kind: fact}\n", "open_questions"),
        ("id: x\nunit: pilots\nquestions:\n  - {number: 1, question: A, kind: fact}\n", "unit"),
        ("id: x\nunit: {singular: pilot}\nquestions:\n  - {number: 1, question: A, kind: fact}\n", "unit"),
        ("id: x\nquestions:\n  - {number: 1, question: A, kind: fact}\nblocks:\n  - {id: b, vragen: [1]}\n",
         "unknown key"),
    ],
)
def test_template_malformed_file_names_file_and_key(tmp_path, yaml_text, message):
    path = tmp_path / "kapot.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(TemplateError, match=message) as exc:
        load_template(path)
    assert "kapot.yaml" in str(exc.value)


def test_template_another_instrument_is_just_another_file(tmp_path):
    path = tmp_path / "leercirkel.yaml"
    path.write_text(
        "id: leercirkel\nname: Leercirkel\nunit: {singular: gemeente, plural: gemeenten}\nquestions:\n"
        "  - {number: 1, key: gemeente, question: Gemeente, kind: fact}\n"
        "  - {number: 2, key: knelpunten, question: 'Welke knelpunten ervaart u?'}\n"
        "  - {number: 3, key: oplossingen, question: 'Welke oplossingsrichtingen ziet u?'}\n",
        encoding="utf-8",
    )
    t = load_template(path)
    assert t.match_question("2. Welke knelpunten ervaart u?").number == 2
    assert t.question(3).label == "Welke oplossingsrichtingen ziet u?"
    assert t.unit.count(2) == "2 gemeenten" and t.title == "Leercirkel"
    assert t.personal_questions == () and t.status_question is None and t.open_questions == (2, 3)
    assert t.case_variables == ()  # the only fact question names the case


def test_template_instrument_facts_of_u16_are_data(template):
    assert template.unit.count(15) == "15 pilots" and template.title == "Quick-scan pilots"
    assert template.personal_questions == (3,) and template.question(3).pseudonym == "pilotleider"
    assert template.status_question == 5 and template.open_questions == (18, 19, 20)
    assert [q.key for q in template.case_variables] == ["gemeente", "startdatum", "status", "bereik",
                                                         "organisaties", "doelgroep"]
