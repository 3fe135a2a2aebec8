"""Reading filled-in forms from Word in the layouts people use."""

from __future__ import annotations

from dataclasses import replace

import pytest
from docx import Document
from sample_forms import LAYOUTS

from quickscan import errors
from quickscan._docx import read_docx
from quickscan.template import normalize
from tests.conftest import real_files


@pytest.mark.parametrize("layout", LAYOUTS)
def test_docx_every_layout_keeps_every_answer(write_form, answers, layout):
    corpus = read_docx(write_form(answers, layout=layout))
    got = corpus.answers.dropna(subset=["question"]).set_index("question")["answer"].to_dict()
    assert got == answers
    assert corpus.pilot_ids == ("buurtcirkel-zeist",)
    assert corpus.waves == ("T0",)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_docx_locations_name_table_row_or_paragraph(write_form, answers, layout):
    corpus = read_docx(write_form(answers, layout=layout))
    location = corpus.answers.set_index("question").loc[9, "location"]
    assert ("table" in location and "row" in location) if layout != 4 else location.startswith("paragraph")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_docx_prompt_in_the_question_cell_is_not_part_of_the_answer(write_form, answers, layout, template):
    answers[5] = "Pilot."
    corpus = read_docx(write_form(answers, layout=layout, prompt_with_question=True))
    pid = corpus.pilot_ids[0]
    assert corpus.answer(pid, 5) == "Pilot."
    for q in template.questions:  # no prompt leaks into any answer
        if q.prompt:
            assert normalize(q.prompt)[:40] not in normalize(corpus.answer(pid, q.number)), q.number
    assert corpus.answer(pid, 9) == answers[9]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_docx_a_longer_wording_is_not_left_in_the_answer(tmp_path, answers, layout, template):
    """A form prints the longer alternative "Startdatum pilot" of question 4 ("Startdatum"),
    and "Naam van de pilot" for question 1 (alternative "Naam pilot" is near its start)."""
    from sample_forms import write_form as _write

    printed = replace(template, questions=tuple(
        replace(q, question={4: "Startdatum pilot", 1: "Naam van de pilot"}.get(q.number, q.question))
        for q in template.questions))
    answers[4] = "1 maart 2019"
    path = _write(tmp_path / "T0-form.docx", answers, printed, layout=layout)
    corpus = read_docx(path)
    pid = corpus.pilot_ids[0]
    assert corpus.answer(pid, 4) == "1 maart 2019"
    assert corpus.answer(pid, 1) == answers[1]


def test_docx_title_before_first_question_is_kept_as_unmatched(write_form, answers):
    corpus = read_docx(write_form(answers, title="Quick-scan pilot Buurtcirkel"))
    unmatched = corpus.answers[corpus.answers.question.isna()]
    assert unmatched.answer.tolist() == ["Quick-scan pilot Buurtcirkel"]
    assert unmatched.label.tolist() == ["unmatched"]


def test_docx_empty_answer_is_an_empty_string_without_warning(write_form, answers):
    answers[15] = ""
    corpus = read_docx(write_form(answers, layout=4))
    assert corpus.answer(corpus.pilot_ids[0], 15) == ""
    assert not corpus.problems.message.str.contains("question 15").any()


def test_docx_missing_question_gives_empty_answer_and_warning(tmp_path):
    paras = [(f"{n}. {q}", None) for n, q in ((9, "Wat is het doel van de pilot?"),
                                                (11, "Wat is de werkwijze van de pilot?"),
                                                (17, "Hoe verloopt de uitvoering van de pilot?"))]
    corpus = read_docx(_doc_with_paragraphs(tmp_path / "T0 pilot.docx", paras))
    assert corpus.answer(corpus.pilot_ids[0], 14) == ""
    assert len(corpus.answers) == 20
    warned = corpus.problems[corpus.problems.message.str.contains("question 14")]
    assert warned.severity.tolist() == ["warning"] and warned.source.str.endswith("T0 pilot.docx").all()
    assert corpus.pilots.pilot.tolist() == ["T0 pilot"]  # no name: the file name, with a warning


def _doc_with_paragraphs(path, paragraphs):
    doc = Document()
    for text, style in paragraphs:
        doc.add_paragraph(text, style=style)
    doc.save(path)
    return path


def test_docx_questions_matched_by_wording_with_typos_truncation_and_line_breaks(tmp_path, template):
    paras = [
        ("Wat is het doel van de pilto?", "Heading 2"),  # typo, no number
        ("Minder mensen in de opvang.", None),
        ("Vraag 10: Hoe sluit de pilot aan op de doelstellingen van het programma Regionale Koers...", None),
        ("Het sluit aan op de basisset.", None),
        ("11.\tWat is de werkwijze\nvan de pilot?", None),  # line break inside the question
        ("We werken met Krachtwerk.", None),
        ("15. Wat zijn slaag- en risicofactoren? Draagvlak bij de woningcorporatie.", None),  # answer inline
    ]
    corpus = read_docx(_doc_with_paragraphs(tmp_path / "T1 x.docx", paras))
    a = corpus.answers.set_index("question")["answer"]
    assert a[9] == "Minder mensen in de opvang."
    assert a[10] == "Het sluit aan op de basisset."
    assert a[11] == "We werken met Krachtwerk."
    assert a[15] == "Draagvlak bij de woningcorporatie."
    assert corpus.waves == ("T1",)


def test_docx_numbered_lists_inside_answers_are_not_questions(tmp_path):
    paras = [
        ("9. Wat is het doel van de pilot?", None),
        ("Doel.", None),
        ("12. Welke van de vijf uitgangspunten zijn herkenbaar in de werkwijze?", None),
        ("1. Eigen verantwoordelijkheid staat voorop.", None),
        ("2. Normaliseren en uitgaan van de mogelijkheden.", None),
        ("20. Wat zijn de 3 belangrijkste lessen of boodschappen uit de ervaringen tot nu toe?", None),
        ("Lessen.", "List Number"),
        ("Meer lessen.", "List Number"),
    ]
    corpus = read_docx(_doc_with_paragraphs(tmp_path / "T0.docx", paras))
    a = corpus.answers.set_index("question")["answer"]
    assert a[12] == "1. Eigen verantwoordelijkheid staat voorop.\n\n2. Normaliseren en uitgaan van de mogelijkheden."
    assert a[20] == "1. Lessen.\n2. Meer lessen."
    assert a[1] == ""


def test_docx_bullets_and_prompt_in_paragraph_layout(tmp_path, template):
    paras = [
        ("8. Wie is de doelgroep van de pilot?", "Heading 3"),
        (template.question(8).prompt, None),  # the prompt copied from the format
        ("Mensen die dakloos waren:", None),
        ("met schulden", "List Bullet"),
        ("met verslaving", "List Bullet"),
        ("9. Wat is het doel van de pilot?", "Heading 3"),
        ("Wonen.", None),
        ("10. Hoe sluit de pilot aan op de doelstellingen van het programma Regionale Koers?", "Heading 3"),
        ("Goed.", None),
    ]
    corpus = read_docx(_doc_with_paragraphs(tmp_path / "T0.docx", paras))
    assert corpus.answer(corpus.pilot_ids[0], 8) == "Mensen die dakloos waren:\n- met schulden\n- met verslaving"


def test_docx_answer_rows_merged_and_split_over_rows(tmp_path, template):
    doc = Document()
    table = doc.add_table(rows=0, cols=3)
    for n in (1, 9, 10, 11):
        q = template.question(n)
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = str(n), q.question, q.prompt
        for text in (f"Eerste deel {n}.", f"Tweede deel {n}."):
            row = table.add_row().cells
            merged = row[0].merge(row[2])
            merged.text = text
    doc.save(tmp_path / "T0.docx")
    corpus = read_docx(tmp_path / "T0.docx")
    assert corpus.answer(corpus.pilot_ids[0], 10) == "Eerste deel 10.\n\nTweede deel 10."
    assert corpus.answers.set_index("question").loc[10, "location"] == "table 1, row 7; table 1, row 8; table 1, row 9"


def test_docx_answer_typed_after_prompt_in_same_cell(tmp_path, template):
    doc = Document()
    table = doc.add_table(rows=0, cols=3)
    for n in (2, 6, 9):
        q = template.question(n)
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(n), q.question
        cells[2].text = f"{q.prompt} Antwoord {n}" if q.prompt else f"Antwoord {n}"
    doc.save(tmp_path / "T0.docx")
    corpus = read_docx(tmp_path / "T0.docx")
    a = corpus.answers.set_index("question")["answer"]
    assert (a[2], a[6], a[9]) == ("Antwoord 2", "Antwoord 6", "Antwoord 9")


@pytest.mark.parametrize("path", real_files("*.docx"))
def test_docx_real_word_files_that_are_not_forms_are_refused_clearly(path):
    with pytest.raises(errors.NotAQuickscanForm) as exc:
        read_docx(path)
    message = str(exc.value)
    assert str(path) in message and "table(s)" in message and "[E106]" in message


def _patched(src, target, part: str, change) -> object:
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, change(data) if item.filename == part else data)
    return target


def test_docx_doctype_with_an_internal_entity_is_refused_not_read_with_text_missing(tmp_path, write_form, answers):
    from quickscan.errors import CorruptFileError

    def change(data):
        head = b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY org "Gemeente Zeist">]>'
        return head + data.split(b"?>", 1)[1].replace(b"Antwoord op vraag 9", b"&org; en meer", 1)

    form = _patched(write_form(answers), tmp_path / "entiteit.docx", "word/document.xml", change)
    with pytest.raises(CorruptFileError, match=r"entiteit.docx: word/document.xml has a DOCTYPE.*no text is lost"):
        read_docx(form)


@pytest.mark.parametrize("damage", [
    lambda data: data.replace(b"</w:numbering>", b""),  # not well-formed
    lambda data: data.replace(b'w:start w:val="1"', b'w:start w:val="een"'),  # not a number
    lambda data: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + data.split(b"?>", 1)[1],
])
def test_docx_damaged_numbering_is_ignored_with_a_warning_and_the_form_kept(tmp_path, write_form, answers, damage):
    import zipfile

    item = (b'<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
            b"<w:r><w:t>Extra les</w:t></w:r></w:p><w:sectPr")
    src = _patched(write_form(answers, layout=4), tmp_path / "lijst.docx", "word/document.xml",
                   lambda data: data.replace(b"<w:sectPr", item, 1))  # a numbered list item under question 20
    with zipfile.ZipFile(src) as z:
        assert b'w:start w:val="1"' in z.read("word/numbering.xml")
    assert "\n- Extra les" in read_docx(src).answer("buurtcirkel-zeist", 20)
    form = _patched(src, tmp_path / "T0-nummering.docx", "word/numbering.xml", damage)
    corpus = read_docx(form)
    assert corpus.answer("buurtcirkel-zeist", 20).endswith("Extra les")
    warning = corpus.problems[corpus.problems.code == "W125"].iloc[0]
    assert warning.place == "word/numbering.xml" and "list numbers are left out" in warning.message


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _body(xml: str):
    from lxml import etree

    return etree.fromstring(f'<w:body xmlns:w="{_W}">{xml}</w:body>'.encode())


@pytest.mark.parametrize("xml, texts", [
    ('<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="700"/></w:tabs><w:pPrChange><w:pPr/></w:pPrChange></w:pPr>'
     '<w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t><w:br w:type="page"/><w:cr/><w:noBreakHyphen/>'
     '<w:br w:type="column"/><w:t></w:t></w:r><w:hyperlink><w:r><w:t>d</w:t></w:r></w:hyperlink></w:p>'
     '<w:p/><w:p><w:r><w:t>e</w:t></w:r></w:p>', ["a\tb\nc\n-d", "", "e"]),
    ('<w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p><w:r><w:t>los</w:t></w:r></w:tc>'
    '<w:tc><w:r><w:t>x</w:t></w:r><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl>', ["a", "b"]),  # runs outside paragraphs
])
def test_docx_paragraphs_in_one_pass_read_as_each_paragraph_alone(xml, texts):
    from quickscan._docx import _child, _Names, _paragraphs, _text

    body, w = _body(xml), _Names(_W)
    found = _paragraphs(body, w)
    paragraphs = list(body.iter(w.p))
    assert [_text(p, w) for p in paragraphs] == texts
    assert [found[p] for p in paragraphs] == [(_text(p, w), _child(p, w.pPr)) for p in paragraphs]


def test_docx_paragraphs_in_one_pass_give_way_to_a_text_box():
    from quickscan._docx import _Names, _paragraphs, _text

    body, w = _body('<w:p><w:r><w:t>voor </w:t><w:drawing><w:txbxContent><w:p><w:r><w:t>kader</w:t></w:r></w:p>'
                    '</w:txbxContent></w:drawing><w:t> na</w:t></w:r></w:p>'), _Names(_W)
    assert _paragraphs(body, w) == {}  # each paragraph is read by itself: the outer one holds the box
    assert _text(body[0], w) == "voor kader na"
