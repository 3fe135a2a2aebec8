"""Pseudonymisation: the regexes, names from question 3, stability across waves, the key,
and a scan of everything the demo writes for the contact details of the sample."""

from __future__ import annotations

import re
import zipfile
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickscan.corpus import Corpus, combine, make_answers
from quickscan.errors import InputError
from quickscan.privacy import EMAIL, PHONE, POSTCODE, find_personal_data, pseudonymize, read_key, restore

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


# -- the regexes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind",
    [
        ("06-12345678", "phone"),
        ("06 1234 5678", "phone"),
        ("0612345678", "phone"),
        ("06 - 12 34 56 78", "phone"),
        ("030-1234567", "phone"),
        ("030 123 4567", "phone"),
        ("(030) 123 4567", "phone"),
        ("0343-123456", "phone"),
        ("+31 6 12345678", "phone"),
        ("+31612345678", "phone"),
        ("+31 (0)30 123 4567", "phone"),
        ("+31 (0)6-1234 5678", "phone"),
        ("0031 30 1234567", "phone"),
        ("06 - 1234 5678", "phone"),
        ("030/1234567", "phone"),
        ("06/12345678", "phone"),
        ("a.verbeek@example.org", "email"),
        ("pj.vos@gemeente-zeist.example.org", "email"),
        ("j_x+tag@sub.zeist.test", "email"),
        ("3991 XK", "postcode"),
        ("3991XK", "postcode"),
        ("1234 AB", "postcode"),
    ],
)
def test_privacy_finds_personal_data(text, kind):
    found = find_personal_data(f"Zie: {text}. Dank.")
    assert found[["kind", "text"]].values.tolist() == [[kind, text]]


@pytest.mark.parametrize(
    "text",
    [
        "€ 1.250.000", "€ 180.000 per jaar", "20.000", "2019-2021", "tussen 2019 en 2021", "120 cliënten",
        "01-10-2019", "2020-01-10", "1 februari 2020", "3,2 fte", "0,6 fte", "12 van de 15 pilots",
        "om 10.00-12.00 uur", "in 2020 GGZ", "1990 EN 1991", "06-1234567", "1234567890", "BSN 123456789",
        "IBAN NL91ABNA0417164300", "tel 112", "0 453.543307", "0.1234567890", "id 0004409643f1", "postcode 1234 ab", "3 SA", "1234 SS", "het e-mailadres", "@gemeente",
        # date ranges and a date followed by a number: ten digits starting with 0, but no phone
        "01-01-2020 - 31-12-2020", "01-10-2019 - 01-10-2020", "12-03-2020 - 12-03-2021", "01.01.2020 - 01.01.2021",
        "01-01-2020 – 31-12-2020", "01/01/2020 - 01/01/2021", "2020-01-10 - 2020-03-10", "op 12-03-2020 1234 euro",
        "12-03-2020", "€ 1.250.000,00",
    ],
)
def test_privacy_leaves_numbers_and_words_alone(text):
    assert find_personal_data(f"In de tekst: {text}, verder.").empty


def test_privacy_phone_next_to_a_date_is_found_and_the_date_kept():
    text = "Van 01-01-2020 - 31-12-2020 bereikbaar op 06-12345678; 030-1234567/06-87654321."
    found = find_personal_data(text)
    assert found[["kind", "text"]].values.tolist() == [
        ["phone", "06-12345678"], ["phone", "030-1234567"], ["phone", "06-87654321"]]
    c = _one("Pilot X", {3: "Jan Jansen", 9: text})
    assert pseudonymize(c).answer("pilot-x", 9) == (
        f"Van 01-01-2020 - 31-12-2020 bereikbaar op {PHONE}; {PHONE}/{PHONE}.")


def test_privacy_phone_in_brackets_keeps_the_brackets_balanced():
    c = _one("Pilot X", {3: "Jan Jansen", 9: "Bel (06-12345678) of (030) 123 4567."})
    assert pseudonymize(c).answer("pilot-x", 9) == f"Bel ({PHONE}) of {PHONE}."


# -- names from the personal question ----------------------------------------------------------------


def _one(pilot, answers, wave="T0"):
    return Corpus.from_answers(make_answers(pilot, wave, answers))


def test_privacy_names_recur_in_other_answers():
    a = make_answers("Buurtcirkel Zeist", "T0", {
        3: "Naam: mevr. Sanne de Wit (coördinator)\nTel: 06-12349902\nE-mail: s.dewit@example.org",
        17: "Sanne belt elke week. De Wit zegt: de witte muur is wit. Sanne de Wit en SANNE DE WIT.",
    })
    b = make_answers("Houten Plus", "T0", {
        3: "Annelies Verhoeven-Boom, 030-6012345",
        9: "Verhoeven regelt het, samen met Sanne de Wit; de boom staat in Houten. Boom en Sanne blijven.",
        11: "Jan Houten is geen naam hier.",
    })
    safe = pseudonymize(Corpus.from_answers(pd.concat([a, b])))
    assert safe.answer("buurtcirkel-zeist", 17) == (
        "[pilotleider P01] belt elke week. [pilotleider P01] zegt: de witte muur is wit. "
        "[pilotleider P01] en [pilotleider P01]."
    )
    # full name everywhere; surname alone and first name alone only in the person's own pilot;
    # a common word ("Boom") and a place name are never replaced on their own
    assert safe.answer("houten-plus", 9) == (
        "[pilotleider P02] regelt het, samen met [pilotleider P01]; de boom staat in Houten. Boom en Sanne blijven."
    )
    assert safe.answer("buurtcirkel-zeist", 3) == (
        f"Naam: mevr. [pilotleider P01] (coördinator)\nTel: {PHONE}\nE-mail: {EMAIL}"
    )


def test_privacy_two_people_and_a_new_leader_get_their_own_placeholders():
    t0 = make_answers("Pilot X", "T0", {3: "Anouk Verbeek en Ruben Hoekstra, 06-12345871", 9: "Ruben zegt ja."})
    t1 = make_answers("Pilot X", "T1", {3: "Ruben Hoekstra", 9: "Noor Verhagen is nieuw."})
    t1b = make_answers("Pilot X", "T1", {3: "Noor Verhagen, 06-12345871"})
    c = Corpus.from_answers(pd.concat([t0, t1b]))
    safe = pseudonymize(c)
    assert safe.answer("pilot-x", 3, "T0") == f"[pilotleider P01] en [pilotleider P01b], {PHONE}"
    assert safe.answer("pilot-x", 9, "T0") == "[pilotleider P01b] zegt ja."
    assert safe.answer("pilot-x", 3, "T1") == f"[pilotleider P01c], {PHONE}"
    # Ruben stays Ruben at T1; Noor, no contact in this variant, is not touched
    other = pseudonymize(Corpus.from_answers(pd.concat([t0, t1])))
    assert other.answer("pilot-x", 3, "T1") == "[pilotleider P01b]"
    assert pseudonymize(Corpus.from_answers(pd.concat([t0, t1]))).answer("pilot-x", 9, "T1") == "Noor Verhagen is nieuw."


# -- the sample ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from quickscan.ingest import read_folder

    return combine([read_folder(SAMPLE / "T0"), read_folder(SAMPLE / "T1")])


def _contacts(corpus):
    """(name, phone, e-mail) of every answer to question 3, read independently of privacy.py."""
    out = []
    for text in corpus.answers.loc[corpus.answers["question"] == 3, "answer"]:
        name, phone, email = [part.strip() for part in text.split(",")]
        out.append((name, phone, email))
    return out


def test_privacy_sample_contacts_are_gone_everywhere(sample):
    safe = pseudonymize(sample)
    contacts = _contacts(sample)
    assert len(contacts) == 31
    text = "\n".join(safe.answers["answer"]) + "\n" + safe.pilots.astype(str).to_csv()
    for name, phone, email in contacts:
        assert phone not in text and email not in text and name not in text
        assert re.sub(r"\D", "", phone) not in re.sub(r"\D", "", text.replace("P0", "").replace("P1", ""))
    assert safe.pilots["contact"].str.fullmatch(r"\[pilotleider P\d\d[a-z]?\], \[telefoon\], \[e-mail\]").all()


def test_privacy_sample_placeholders_are_stable_across_waves(sample):
    safe = pseudonymize(sample)
    before = sample.pilots.pivot(index="pilot_id", columns="wave", values="contact")
    after = safe.pilots.pivot(index="pilot_id", columns="wave", values="contact")
    both = before.dropna().index
    assert len(both) == 15
    same = [pid for pid in both if before.at[pid, "T0"] == before.at[pid, "T1"]]
    changed = [pid for pid in both if pid not in same]
    assert len(same) == 12 and len(changed) == 3
    for pid in same:
        assert after.at[pid, "T0"] == after.at[pid, "T1"]
    for pid in changed:
        assert after.at[pid, "T0"] != after.at[pid, "T1"]
    numbers = sample.pilots.drop_duplicates("pilot_id").set_index("pilot_id")["nr"]
    for pid, contact in after["T0"].dropna().items():
        assert contact.startswith(f"[pilotleider P{numbers[pid]:02d}]")


def test_privacy_sample_only_personal_data_changes(sample):
    safe = pseudonymize(sample)
    changed = sample.answers["answer"] != safe.answers["answer"]
    kinds = find_personal_data(sample).groupby("kind").size().to_dict()
    assert kinds == {"email": 31, "name": 31, "phone": 31, "postcode": 31}
    # question 3 (contact) and question 1 (address with postcode) change, nothing else
    assert set(sample.answers.loc[changed, "question"]) == {1, 3}
    cols = [c for c in sample.answers.columns if c != "answer"]
    assert safe.answers[cols].equals(sample.answers[cols])


def test_privacy_key_written_only_when_asked_and_restores(sample, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    safe = pseudonymize(sample)
    assert list(tmp_path.iterdir()) == []
    for f in fields(safe):  # the key is nowhere in the corpus
        value = getattr(safe, f.name)
        if isinstance(value, pd.DataFrame):
            assert "a.verbeek@example.org" not in value.to_csv()
    key_path = tmp_path / "sleutel" / "key.csv"
    key_path.parent.mkdir()
    again = pseudonymize(sample, key_path=key_path)
    assert [p.name for p in key_path.parent.iterdir()] == ["key.csv"]
    assert again.answers.equals(safe.answers)
    key = read_key(key_path)
    assert "a.verbeek@example.org" in set(key["original"])
    restored = restore(safe, key_path)
    assert restored.answers.equals(sample.answers)
    assert restored.pilots.equals(sample.pilots)


def test_privacy_restore_refuses_a_key_that_does_not_fit(sample, tmp_path):
    safe = pseudonymize(sample, key_path=tmp_path / "key.csv")
    edited = safe.answers.copy()
    edited.loc[2, "answer"] = "iets anders"
    from dataclasses import replace

    with pytest.raises(ValueError, match="key row 2"):
        restore(replace(safe, answers=edited), tmp_path / "key.csv")


def test_privacy_read_key_names_the_file(tmp_path):
    bad = tmp_path / "geen-sleutel.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="geen-sleutel.csv.*missing column"):
        read_key(bad)


# -- properties --------------------------------------------------------------------------------------

FIRST = ["Anouk", "Ruben", "Sanne", "Joost", "Fatima", "Henk-Jan", "Youssef", "Noor", "Ingrid", "Jeroen"]
LAST = ["Verbeek", "de Wit", "van Leeuwen", "Verhoeven-Boom", "el Amrani", "Kloosterboer", "van der Berg", "Smits"]
WORDS = ["de", "pilot", "werkt", "met", "wijkteam", "in", "2019-2021", "€ 1.250.000", "120", "cliënten",
         "01-10-2019", "Houten", "wit", "boom", "Boom", "fte", "3,2", "en", ".", ",", "(", ")"]


@st.composite
def phones(draw):
    digits = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8)))
    area = draw(st.sampled_from(["6", "30", "343"]))
    rest = (area + digits)[:9]
    style = draw(st.integers(0, 4))
    if style == 0:
        return "0" + rest
    if style == 1:
        return f"0{rest[:len(area)]}-{rest[len(area):]}"
    if style == 2:
        return f"0{rest[:len(area)]} {rest[len(area):len(area) + 3]} {rest[len(area) + 3:]}"
    if style == 3:
        return f"+31 {rest[:len(area)]} {rest[len(area):]}"
    return f"+31 (0){rest[:len(area)]} {rest[len(area):]}"


@st.composite
def pilots(draw):
    name = f"{draw(st.sampled_from(FIRST))} {draw(st.sampled_from(LAST))}"
    phone = draw(phones())
    email = draw(st.from_regex(r"[a-z]{1,6}(\.[a-z]{1,6})?@example\.(org|nl)", fullmatch=True))
    first, last = name.split(" ", 1)
    filler = st.lists(st.one_of(st.sampled_from(WORDS), st.just(first), st.just(last), st.just(name),
                                st.just(phone), st.just(email), st.just("3991 XK")), max_size=12)
    return {3: f"{name}, {phone}, {email}", 9: " ".join(draw(filler)), 17: " ".join(draw(filler))}, phone, email


@settings(max_examples=40, deadline=None)
@given(st.lists(pilots(), min_size=1, max_size=3))
def test_privacy_pseudonymizing_twice_is_once_and_leaves_no_phone(drawn):
    frames = [make_answers(f"Pilot {i}", wave, answers) for i, (answers, _, _) in enumerate(drawn)
              for wave in ("T0", "T1")]
    corpus = Corpus.from_answers(pd.concat(frames, ignore_index=True))
    once = pseudonymize(corpus)
    assert pseudonymize(once).answers.equals(once.answers)
    text = "\n".join(once.answers["answer"])
    for _, phone, email in drawn:
        assert phone not in text and email not in text
    for placeholder in re.findall(r"\[[^\]]*\]", text):
        assert placeholder in (EMAIL, PHONE, POSTCODE) or re.fullmatch(r"\[pilotleider P\d{2}[a-z]?\]", placeholder)
    assert restore(*_with_key(corpus)).answers.equals(corpus.answers)


def _with_key(corpus):
    from quickscan.privacy import _pseudonymized

    return _pseudonymized(corpus)


# -- everything the demo writes ------------------------------------------------------------------------


def _texts(path: Path):
    """(part, text) of an output file: every XML member of a docx/xlsx zip, csv and svg as text."""
    if path.suffix in (".docx", ".xlsx", ".qdpx"):
        with zipfile.ZipFile(path) as z:
            for member in z.namelist():
                if member.endswith((".xml", ".rels", ".qde", ".txt")):
                    yield member, z.read(member).decode("utf-8", "replace")
    elif path.suffix in (".csv", ".svg", ".txt", ".md", ".html", ".qdc"):
        yield "", path.read_text("utf-8", "replace")


def _xml_text(xml: str) -> str:
    """The text of an XML member, one line per paragraph or cell (runs of a paragraph may split a name)."""
    from lxml import etree

    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return xml
    blocks = [el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname in ("p", "si", "is", "v")]
    if not blocks:
        return "\n".join(t for t in root.itertext())
    return "\n".join("".join(el.itertext()) for el in blocks)


def _leaks(folder: Path, contacts) -> list[str]:
    """Every contact detail (name, name part, phone, e-mail) and any phone or e-mail found in the files."""
    words = {s for c in contacts for s in c} | {p for name, _, _ in contacts for p in name.split() if len(p) > 3}
    secrets = {s: re.compile(rf"(?<!\w){re.escape(s)}(?!\w)") for s in words}  # "Noor" is no leak in "Noord"
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for member, raw in _texts(path):
            where = f"{path.relative_to(folder)}{':' + member if member else ''}"
            text = _xml_text(raw) if member else raw
            if path.suffix == ".svg":  # matplotlib draws text as paths and keeps it in comments
                text = " ".join(re.findall(r"<!--(.*?)-->", raw, re.S)) + " " + _xml_text(raw)
            leaks += [f"{where}: {s!r}" for s, pattern in secrets.items()
                      if (s in raw and pattern.search(raw)) or (s in text and pattern.search(text))]
            found = find_personal_data(text)
            leaks += [f"{where}: {r.kind} {r.text!r}" for r in found.itertuples() if r.kind in ("email", "phone")]
    return sorted(set(leaks))


def test_privacy_scan_finds_a_planted_leak(tmp_path):
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("Contact: Anouk ")
    paragraph.add_run("Verbeek")  # split over two runs
    document.add_paragraph("Bel 030 - 123 45 67.")
    document.save(tmp_path / "report.docx")
    (tmp_path / "codings.csv").write_text("evidence\nmail a.verbeek@example.org\nWijk-Noord\n", encoding="utf-8")
    contacts = [("Anouk Verbeek", "06-12345871", "a.verbeek@example.org"), ("Noor Verhagen", "030-6981255", "x@y.test")]
    leaks = _leaks(tmp_path, contacts)
    assert "report.docx:word/document.xml: 'Anouk Verbeek'" in leaks
    assert "report.docx:word/document.xml: phone '030 - 123 45 67'" in leaks
    assert "codings.csv: 'a.verbeek@example.org'" in leaks
    assert not [leak for leak in leaks if "Noor" in leak]


@pytest.mark.slow
def test_privacy_demo_outputs_hold_no_contact_details(sample, tmp_path):
    from quickscan.cli import main

    assert main(["demo", "--out", str(tmp_path), "--svg", "--refi"]) == 0
    kinds = {p.suffix for p in tmp_path.rglob("*") if p.is_file()}
    assert {".docx", ".xlsx", ".csv", ".png", ".svg", ".qdpx", ".qdc"} <= kinds
    # the scan sees what is there: the pilot names are found in the same files
    report = "".join(_xml_text(t) for _, t in _texts(tmp_path / "report.docx"))
    svg = (tmp_path / "charts").glob("*matrix.svg")
    assert "Gebiedsteam GGZ Houten" in report and any("Houten" in p.read_text("utf-8") for p in svg)
    sources = [t for m, t in _texts(tmp_path / "project.qdpx") if m.startswith("Sources/")]
    assert len(sources) == 31 and any("Gebiedsteam GGZ Houten" in t for t in sources)
    assert _leaks(tmp_path, _contacts(sample)) == []


def test_privacy_placeholder_word_and_personal_questions_come_from_the_template(tmp_path):
    from quickscan.template import load_template

    path = tmp_path / "t.yaml"
    path.write_text(
        "id: t\nquestions:\n  - {number: 1, question: Naam project, kind: fact}\n"
        "  - {number: 2, question: Contactpersoon, kind: fact, personal: true, pseudonym: contactpersoon}\n"
        "  - {number: 3, question: 'Wat doet het project?'}\n"
        "  - {number: 4, question: 'Wie is de wethouder?', kind: fact, personal: true}\n", encoding="utf-8")
    t = load_template(path)
    rows = make_answers("Project Z", "T0", {1: "Project Z", 2: "Sanne de Wit", 3: "Sanne de Wit en Joris Blom bellen.",
                                            4: "Joris Blom"}, template=t)
    safe = pseudonymize(Corpus.from_answers(rows, template=t))
    assert safe.answer("project-z", 3) == "[contactpersoon P01] en [persoon P01b] bellen."
    assert safe.answer("project-z", 2) == "[contactpersoon P01]"


def test_privacy_key_csv_is_neutralised_and_round_trips(tmp_path):
    from quickscan.privacy import pseudonymize, read_key, restore

    c = Corpus.from_answers(make_answers("Pilot X", "T0", {3: "Jan Jansen, +31 6 12345678", 9: "=1+1 en -2"}))
    key_path = tmp_path / "sleutel.csv"
    safe = pseudonymize(c, key_path=key_path)
    assert "'+31 6 12345678" in key_path.read_text("utf-8")  # not a formula in Excel
    assert read_key(key_path)["original"].tolist() == ["Jan Jansen", "+31 6 12345678"]
    assert restore(safe, key_path).answer("pilot-x", 3) == "Jan Jansen, +31 6 12345678"


# -- personal data outside the personal questions ------------------------------------------------

CONTACT = "Sanne de Wit, 06-12349902, s.dewit@example.org"


def _lost_contact_row() -> Corpus:
    """The contact row lost its number and wording: name, phone and e-mail read into question 2."""
    return Corpus.from_answers(make_answers("Buurtcirkel Zeist", "T0", {
        1: "Buurtcirkel Zeist", 2: f"Zeist\n{CONTACT}\nWe werken in de wijk.", 3: "", 9: "Een eigen woning."}))


def test_privacy_contact_row_under_another_question_is_flagged_on_reading(tmp_path, write_form, answers):
    from quickscan.ingest import read_files

    form = write_form({**answers, 2: f"Zeist\n\n{CONTACT}", 3: ""}, name="T0-vorm.docx")
    corpus = read_files([form])
    warning = corpus.problems[corpus.problems.code == "W141"].iloc[0]
    assert warning.severity == "warning" and warning.source == str(form)
    assert "question 2" in warning.message and "phone number" in warning.message and "e-mail" in warning.message


def test_privacy_contact_row_under_another_question_is_hidden_and_offsets_follow():
    from quickscan.privacy import hide_personal_elsewhere

    safe = hide_personal_elsewhere(_lost_contact_row())
    assert safe.answer("buurtcirkel-zeist", 2) == ("Zeist\n[pilotleider P01], [telefoon], [e-mail]\n"
                                                   "We werken in de wijk.")
    assert safe.answer("buurtcirkel-zeist", 9) == "Een eigen woning."


def test_privacy_contact_row_under_another_question_stays_out_of_the_qdpx(tmp_path):
    from quickscan.refi import read_qdpx, write_qdpx

    corpus = _lost_contact_row()
    text = corpus.answer("buurtcirkel-zeist", 2)
    start = text.index("wijk")
    codings = pd.DataFrame([{"pilot_id": "buurtcirkel-zeist", "wave": "T0", "question": 2, "code": "wonen",
                             "family": "basisset", "start": start, "end": start + 4,
                             "evidence": "We werken in de wijk.", "negated": False}])
    path = write_qdpx(corpus, codings, tmp_path / "project.qdpx")
    with zipfile.ZipFile(path) as z:
        everything = b"".join(z.read(n) for n in z.namelist()).decode("utf-8", "replace")
    for secret in ("Sanne", "Wit", "06-12349902", "s.dewit@example.org"):
        assert secret not in everything
    back = read_qdpx(path)
    assert back.codings["evidence"].tolist() == ["We werken in de wijk."]
    with_personal = write_qdpx(corpus, codings, tmp_path / "alles.qdpx", include_personal=True)
    with zipfile.ZipFile(with_personal) as z:
        assert b"06-12349902" in b"".join(z.read(n) for n in z.namelist())


def test_privacy_contact_row_under_another_question_stays_out_of_the_combined_workbook(tmp_path):
    from quickscan.ingest import read_excel, write_excel

    back = read_excel(write_excel(_lost_contact_row(), tmp_path / "antwoorden.xlsx"))
    assert "[telefoon]" in back.answer("buurtcirkel-zeist", 2) and "Sanne" not in back.answer("buurtcirkel-zeist", 2)
    kept = read_excel(write_excel(_lost_contact_row(), tmp_path / "alles.xlsx", include_personal=True))
    assert CONTACT in kept.answer("buurtcirkel-zeist", 2)


_PHONE_PARTS = st.sampled_from(["0", "6", "1", "9", "+31", "0031", "(0)", "(", ")", " ", "\u00a0", "-", "–", ".",
                                "/", "tel", "a", "\n", "  "])


@given(st.lists(_PHONE_PARTS, max_size=40).map("".join))
def test_privacy_phone_hint_holds_for_every_phone_number(text):
    """An answer is searched for phone numbers only when it has the quick hint of one: every
    text in which the full pattern finds a number must have it."""
    from quickscan.privacy import _PHONE_HINT, _PHONE_RE

    if _PHONE_RE.search(text):
        assert _PHONE_HINT.search(text)


@pytest.mark.parametrize("number", ["06-12345678", "06 - 12 34 56 78", "+31 (0)6 1234 5678", "0031-30-123 45 67",
                                    "(030) 123 45 67", "030/1234567", "06.12.34.56.78"])
def test_privacy_phone_hint_finds_the_written_forms(number):
    from quickscan.privacy import _PHONE_HINT, _PHONE_RE

    assert _PHONE_RE.search(f"Bel {number}.") and _PHONE_HINT.search(f"Bel {number}.")
