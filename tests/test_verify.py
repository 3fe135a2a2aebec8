"""quickscan verify: count claims in a Word draft checked against the report tables."""

from __future__ import annotations

import zipfile
from types import SimpleNamespace

import pandas as pd
import pytest
import verify_drafts as vd
from docx import Document

from quickscan import errors
from quickscan.cli import main
from quickscan.verify import CLAIM_COLUMNS, check_draft, read_draft, read_tables, write_claims
from tests.conftest import SAMPLE, real_files

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check(sentences, totals=None, n=15, **kw):
    """check_draft on paragraphs (short ones are headings) against one basisset table."""
    frame = vd.table(totals or vd.BASISSET_T0, n)
    return check_draft(list(sentences), {"basisset": frame}, **kw)


# -- the annotated drafts ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["DRAFT_A", "DRAFT_B", "DRAFT_C"])
def test_verify_annotated_drafts_precision_and_recall(tmp_path, name):
    items = getattr(vd, name)
    claims = check_draft(vd.write_draft(tmp_path / "draft.docx", items), vd.tables())
    score = vd.score(claims, items)
    assert score["precision differs"] == 1.0
    assert score["recall differs"] >= 0.9
    assert score["not annotated"] == 0  # nothing that is not a claim is reported
    assert score["verdict as annotated"] >= 0.95 * score["annotated claims"]
    assert list(claims.columns) == list(CLAIM_COLUMNS)


def test_verify_tables_xlsx_csv_and_mapping_give_the_same_claims(tmp_path):
    draft = vd.write_draft(tmp_path / "draft.docx", vd.DRAFT_A)
    xlsx = vd.write_tables_xlsx(tmp_path / "tables.xlsx")
    folder = tmp_path / "tables"
    folder.mkdir()
    for (family, wave), frame in vd.tables().items():
        frame.to_csv(folder / f"{family}-{wave}.csv", encoding="utf-8-sig")
    results = [check_draft(draft, source)["verdict"].tolist() for source in (xlsx, folder, tmp_path, vd.tables())]
    assert results[0] == results[1] == results[2] == results[3]


# -- reading the draft ---------------------------------------------------------------------------


def test_verify_read_draft_headings_lists_captions_tables_and_text_boxes(tmp_path):
    items = [("h0", "Rapport T1", []), ("h1", "Wonen", []), ("kop", "Eigen kopstijl", []),
             ("outline", "Kop met overzichtsniveau", []), ("p", "Gewone tekst.", []), ("bullet", "Een punt.", []),
             ("caption", "Tabel 1. Onderschrift.", []), ("table", [["a", "b"], ["1", "2"]], []),
             ("textbox", "Tekst in een kader.", []), ("p", "Figuur 2: ook een onderschrift", [])]
    frame = read_draft(vd.write_draft(tmp_path / "d.docx", items))
    assert frame["kind"].tolist() == ["heading", "heading", "heading", "heading", "text", "list", "caption",
                                      "table", "table", "text box", "caption"]
    assert frame["level"].tolist()[:4] == [0, 1, 2, 2]
    assert frame.loc[frame["kind"] == "text box", "text"].tolist() == ["Tekst in een kader."]  # once, not twice
    assert frame.loc[4, "heading"] == "Rapport T1 > Wonen > Kop met overzichtsniveau"
    assert frame["paragraph"].tolist() == list(range(1, len(frame) + 1))


def test_verify_read_draft_ignores_deleted_text_and_field_codes(tmp_path):
    doc = Document()
    p = doc.add_paragraph("Negen ")
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    p._p.append(parse_xml(f'<w:del {w} w:id="1" w:author="x"><w:r><w:delText>acht </w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:r {w}><w:instrText> PAGE </w:instrText></w:r>'))
    p.add_run("projecten.")
    doc.save(tmp_path / "d.docx")
    assert read_draft(tmp_path / "d.docx")["text"].tolist() == ["Negen projecten."]


def test_verify_footnotes_are_read_after_the_body(tmp_path):
    doc = Document()
    doc.add_heading("Wonen", 1)
    doc.add_paragraph("Zie de voetnoot.")
    doc.save(tmp_path / "d.docx")
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    notes = (f'<w:footnotes xmlns:w="{w}"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:t>-</w:t></w:r>'
             '</w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>Tien projecten noemen wonen.</w:t></w:r>'
             '</w:p></w:footnote></w:footnotes>')
    with zipfile.ZipFile(tmp_path / "d.docx", "a") as z:
        z.writestr("word/footnotes.xml", notes)
    frame = read_draft(tmp_path / "d.docx")
    assert frame["kind"].tolist() == ["heading", "text", "footnote"]
    claims = check_draft(tmp_path / "d.docx", vd.tables(), wave="T0")
    assert claims[["where", "label", "verdict"]].values.tolist() == [["footnote", "Wonen", "differs"]]


def test_verify_draft_with_doctype_is_refused(tmp_path):
    Document().save(tmp_path / "d.docx")
    with zipfile.ZipFile(tmp_path / "d.docx") as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["word/document.xml"].decode()
    head, _, rest = xml.partition("?>")
    parts["word/document.xml"] = (head + '?><!DOCTYPE w [<!ENTITY e "Negen projecten">]>' + rest).encode()
    with zipfile.ZipFile(tmp_path / "bad.docx", "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(errors.CorruptFileError, match="DOCTYPE"):
        read_draft(tmp_path / "bad.docx")


# -- what is a claim -----------------------------------------------------------------------------


@pytest.mark.parametrize("sentence", [
    "Per project is één gesprek gevoerd van ongeveer twee uur.",
    "Drie gesprekken zijn telefonisch gevoerd.",
    "De pilot loopt nu twee jaar.",
    "Een project noemt expliciet de wachtlijsten.",
    "Project 3 en pilot 7 werken met Housing First.",
    "In tabel 2 staan de uitgangspunten; uitgangspunt 5 is nieuw.",
    "Sinds 2019 werken 3 gemeenten samen.",
    "“Bij ons doen alle projecten mee”, aldus een pilotleider.",
    "In T1 zijn er 40 deelnemers.",
])
def test_verify_numbers_that_are_not_claims(sentence):
    assert check(["Wonen", sentence]).empty


@pytest.mark.parametrize("sentence", [
    "Van de zeven projecten die aan wonen werken, geven drie projecten aan dat de woning het begin is.",
    "In drie van de vier projecten wordt gewoond met begeleiding.",
    "Bij drie projecten wordt toegeleid naar een woning van de corporatie.",
    "De andere twee projecten werken aan wonen.",
    "Twee projecten daarvan noemen wonen.",
    "Daarvan noemen vijf projecten ook wonen.",
    "Twee van deze projecten noemen wonen.",
    "Drie projecten noemen wonen niet.",
    "Vier projecten noemen expliciet wonen.",
    "Drie projecten noemen nu ook wonen; dat is toegenomen.",
    "Eén van de projecten noemt wonen.",
    "Twee projecten noemen wonen en schuldhulpverlening.",
    "Voor twee projecten is wonen het hoofddoel.",
    "Twee projecten werken aan wonen via Housing First.",
    "Bij zeven projecten wordt wonen ingezet als beloning.",
])
def test_verify_subsets_and_qualified_counts_never_differ(sentence):
    claims = check(["Wonen", sentence])  # Wonen: 11 of 15
    assert len(claims) >= 1
    assert not (claims["verdict"] == "differs").any(), claims[["claim", "verdict", "reason"]]
    assert (claims["reason"] != "").all()


@pytest.mark.parametrize("sentence, verdict", [
    ("Elf projecten noemen wonen.", "agrees"),
    ("Tien projecten noemen wonen.", "differs"),
    ("Wonen wordt door 11 van de 15 projecten genoemd.", "agrees"),
    ("Wonen wordt door 11 van de 17 projecten genoemd.", "differs"),  # more than the 15 there are
    ("Het merendeel van de projecten noemt wonen.", "agrees"),
    ("Een minderheid van de projecten noemt wonen.", "differs"),
    ("Nagenoeg alle projecten noemen wonen.", "agrees"),
    ("Alle projecten noemen wonen.", "differs"),
    ("Alle projecten op vier na noemen wonen.", "agrees"),
    ("Op twee na alle projecten noemen wonen.", "differs"),
    ("Geen van de projecten noemt wonen.", "differs"),
    ("Meer dan tien projecten noemen wonen.", "agrees"),
    ("Minder dan tien projecten noemen wonen.", "differs"),
    ("Ongeveer de helft van de projecten noemt wonen.", "unchecked"),  # 11 of 15: not settled either way
    ("Zo'n twaalf projecten noemen wonen.", "agrees"),
    ("73% van de projecten noemt wonen.", "agrees"),
    ("50 procent van de projecten noemt wonen.", "differs"),
    ("Bijna driekwart van de projecten noemt wonen.", "agrees"),
    ("Enkele projecten noemen wonen.", "unchecked"),
    ("Eén project noemt wonen.", "differs"),
    ("Slechts een project noemt wonen.", "differs"),
    ("Wonen: genoemd door 11 van de 15 pilots.", "agrees"),
    ("Tien projecten noemen wonen als belangrijk thema.", "differs"),
    ("Negen initiatieven dragen bij aan wonen.", "differs"),
    ("Elf proeftuinen noemen wonen.", "agrees"),
])
def test_verify_quantifiers_against_the_table(sentence, verdict):
    claims = check(["Overzicht", sentence])
    assert claims["verdict"].tolist() == [verdict], claims[["claim", "kind", "means", "reason"]]
    assert claims["label"].tolist() == ["Wonen"]


def test_verify_heading_decides_the_code_only_for_a_plain_sentence():
    claims = check(["Activering en werk", "Negen projecten dragen hier aan bij.",
                    "Bij drie projecten wordt toegeleid naar betaald werk."])
    assert claims["verdict"].tolist() == ["differs", "unchecked"]
    assert claims["matched_by"].tolist() == ["heading", "heading"]
    assert claims["match_words"].tolist()[0] == "heading: activering en werk"


def test_verify_count_in_brackets_belongs_to_the_words_before_them():
    claims = check(["Overzicht", "Het vaakst genoemd wordt wonen (elf projecten), gevolgd door "
                                 "schuldhulpverlening (zes projecten)."])
    assert claims[["label", "verdict"]].values.tolist() == [["Wonen", "agrees"], ["Schuldhulpverlening", "differs"]]


def test_verify_beschermd_wonen_is_not_the_code_wonen():
    claims = check(["Inleiding", "Twaalf projecten richten zich op mensen uit beschermd wonen."])
    assert claims["verdict"].tolist() == ["unchecked"]


def test_verify_short_labels_are_found_only_when_they_are_acronyms():
    table = pd.DataFrame({"IPS": ["X", "X", ""], "Werk": ["X", "", ""]}, dtype=object,
                         index=pd.Index(["A", "B", "C"], name="Pilot"))
    table.loc["Totaal"] = [2, 1]
    claims = check_draft(["Inleiding", "Drie pilots werken met IPS.", "Twee pilots noemen het werk zwaar."],
                         {"basisset": table})
    assert claims[["label", "verdict"]].values.tolist() == [["IPS", "differs"], ["", "unchecked"]]


@pytest.mark.parametrize(("sentence", "verdicts"), [
    ("Van de vijftien projecten noemen er elf wonen.", ["unchecked", "agrees"]),
    ("Van de 15 projecten noemen er 12 wonen.", ["unchecked", "differs"]),
    ("Van de vier projecten noemen er drie wonen.", ["unchecked", "unchecked"]),  # a subset of the 15
])
def test_verify_count_after_er_takes_the_unit_of_the_group_before_it(sentence, verdicts):
    claims = check(["Inleiding", sentence])
    assert claims["verdict"].tolist() == verdicts, claims[["claim", "reason"]]
    assert claims["label"].tolist()[1] == "Wonen"


def test_verify_family_not_in_the_tables_is_unchecked_with_the_reason():
    claims = check(["Randvoorwaarden", "Zes projecten noemen menskracht als randvoorwaarde."])
    assert claims["verdict"].tolist() == ["unchecked"]
    assert "not in the tables" in claims["reason"].iloc[0]


def test_verify_template_unit_is_counted():
    sentence = ["Wonen", "Negen wijkteams noemen wonen."]
    assert check(sentence).empty
    template = SimpleNamespace(unit={"singular": "wijkteam", "plural": "wijkteams"})
    assert check(sentence, template=template)["verdict"].tolist() == ["differs"]
    from dataclasses import replace

    from quickscan.template import Unit, default_template

    template = replace(default_template(), unit=Unit(singular="wijkteam", plural="wijkteams"))
    assert check(sentence, template=template)["verdict"].tolist() == ["differs"]


def test_verify_wave_from_option_sentence_heading_denominator_and_latest():
    draft = ["Resultaten", "Elf projecten noemen wonen.", "In T0 noemen elf projecten wonen.",
             "Wonen: 11 van de 15 projecten.", "Meting T1", "Negen projecten noemen wonen."]
    claims = check_draft(draft, vd.tables())
    assert claims["wave"].tolist() == ["T1", "T0", "T0", "T1"]
    assert claims["wave_from"].tolist() == ["latest", "sentence", "denominator", "heading"]
    assert claims["verdict"].tolist() == ["differs", "agrees", "agrees", "agrees"]
    forced = check_draft(draft, vd.tables(), wave="T0")
    assert set(forced["wave_from"]) == {"option"} and set(forced["wave"]) == {"T0"}
    with pytest.raises(errors.InputError, match="no wave 'T9'"):
        check_draft(draft, vd.tables(), wave="T9")


# -- the tables ----------------------------------------------------------------------------------


def test_verify_tables_found_below_a_title_with_another_unit_word_and_without_totaal(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "basisset T0"
    ws.append(["Tabel 1. Basisset (afdruk)"])
    ws.append([])
    ws.append(["Project", "Wonen", "Schuldhulpverlening"])
    ws.append(["1. A", "X", ""])
    ws.append(["2. B", "X", "X"])
    ws.append(["3. C", "", ""])
    wb.create_sheet("codings").append(["pilot_id", "wave", "code"])
    wb.save(tmp_path / "t.xlsx")
    tables = read_tables(tmp_path / "t.xlsx")
    assert tables[["label", "total", "n_pilots", "wave"]].values.tolist() == [
        ["Wonen", 2, 3, "T0"], ["Schuldhulpverlening", 1, 3, "T0"]]
    assert tables["code"].tolist() == ["wonen", "schuldhulpverlening"]


def test_verify_tables_that_are_not_quickscans_are_refused(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Naam", "Adres"])
    wb.active.append(["Jan", "Straat 1"])
    wb.save(tmp_path / "adressen.xlsx")
    with pytest.raises(errors.InputError, match="not quickscan's tables"):
        read_tables(tmp_path / "adressen.xlsx")
    (tmp_path / "x.txt").write_text("geen tabel")
    with pytest.raises(errors.InputError):
        read_tables(tmp_path / "x.txt")


@pytest.mark.parametrize("path", real_files("*.xlsx"))
def test_verify_real_workbooks_are_not_taken_for_tables(path):
    with pytest.raises(errors.InputError):
        read_tables(path)


@pytest.mark.parametrize("path", real_files("*.docx"))
def test_verify_real_word_files_are_read_without_false_claims(path):
    assert check_draft(path, vd.tables())["verdict"].eq("differs").sum() == 0


# -- bad drafts and the command line -------------------------------------------------------------


@pytest.mark.parametrize("content, error", [
    (b"gewone tekst", errors.CorruptFileError),
    (OLE + b"\0" * 2000, errors.LegacyFormatError),
    (OLE + b"\0" * 600 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100, errors.EncryptedFileError),
    (b"", errors.CorruptFileError),
])
def test_verify_unreadable_drafts_raise_input_errors(tmp_path, content, error):
    path = tmp_path / "concept.docx"
    path.write_bytes(content)
    with pytest.raises(error):
        read_draft(path)


def test_verify_workbook_given_as_draft_is_refused(tmp_path):
    path = vd.write_tables_xlsx(tmp_path / "tables.xlsx")
    with pytest.raises(errors.CorruptFileError, match="not a Word document"):
        read_draft(path)


def test_verify_cli_exit_codes_and_output(tmp_path, capsys):
    tables = vd.write_tables_xlsx(tmp_path / "tables.xlsx")
    wrong = vd.write_draft(tmp_path / "wrong.docx", [("h1", "Wonen", []), ("p", "Tien projecten noemen wonen.", [])])
    right = vd.write_draft(tmp_path / "right.docx", [("h1", "Wonen", []), ("p", "Negen projecten noemen wonen.", [])])
    assert main(["verify", str(right), "--tables", str(tables)]) == 0
    assert main(["verify", str(wrong), "--tables", str(tables), "--out", str(tmp_path / "claims.xlsx")]) == 1
    out = capsys.readouterr().out
    assert "1 of 1 claim differs from the tables" in out
    assert "Tien projecten noemen wonen." in out and "Wonen: 9 of 16" in out
    assert (tmp_path / "claims.xlsx").is_file()
    (tmp_path / "oud.doc").write_bytes(OLE + b"\0" * 2000)
    for argv in (["verify", str(tmp_path / "oud.doc"), "--tables", str(tables)],
                 ["verify", str(right), "--tables", str(tmp_path / "missing.xlsx")],
                 ["verify", str(right), "--tables", str(wrong)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("quickscan: ") and "Traceback" not in err and err.count("\n") == 1


def test_verify_write_claims_text_cells_and_note_column(tmp_path):
    from openpyxl import load_workbook

    claims = check(["Wonen", "=Tien projecten noemen wonen."])
    path = write_claims(claims, tmp_path / "claims.xlsx")
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    assert header[-1] == "Notitie schrijver" and "Oordeel" in header and "Tabel" in header
    row = [c for c in ws[2]]
    sentence = row[header.index("Zin")]
    assert sentence.value == "=Tien projecten noemen wonen." and sentence.data_type == "s"
    assert row[header.index("Tabel")].value == 11


# -- quickscan's own report ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_report(tmp_path_factory):
    """The report quickscan writes for the sample (T0, and T1 with the comparison) and its tables."""
    from quickscan.coding import code_corpus
    from quickscan.export import write_csv_tables, write_docx, write_xlsx
    from quickscan.ingest import read_folder

    out = tmp_path_factory.mktemp("report")
    corpus = read_folder(SAMPLE)
    codings = code_corpus(corpus)
    families = ["basisset", "uitgangspunten", "veranderingen", "status"]
    write_xlsx(out / "tables.xlsx", codings, corpus, families=families)
    write_csv_tables(out / "tables", codings, corpus, families=families)
    write_docx(out / "report-T0.docx", codings, corpus, families=families, wave="T0", charts=False)
    write_docx(out / "report.docx", codings, corpus, families=families, wave="T1", compare=("T0", "T1"),
               charts=False)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("report", ["report-T0.docx", "report.docx"])
@pytest.mark.parametrize("tables", ["tables.xlsx", "tables"])
def test_verify_own_report_agrees_with_its_own_tables(own_report, report, tables):
    claims = check_draft(own_report / report, own_report / tables)
    assert (claims["verdict"] == "differs").sum() == 0, claims[claims["verdict"] == "differs"]
    agreed = claims[claims["verdict"] == "agrees"]
    assert len(agreed) >= 15 + 5 + 3  # a count per code of the families with a table
    assert set(agreed["wave"]) == {"T0" if report == "report-T0.docx" else "T1"}


@pytest.mark.slow
def test_verify_one_changed_number_in_own_report_is_caught(own_report, tmp_path):
    doc = Document(own_report / "report.docx")
    changed = None
    for p in doc.paragraphs:
        for run in p.runs:
            if changed is None and run.text.startswith(": genoemd door ") and " van de " in run.text:
                n = int(run.text.split("door ")[1].split()[0])
                run.text = run.text.replace(f"door {n} van", f"door {n + 1} van")
                changed = p.text
    assert changed is not None
    doc.save(tmp_path / "changed.docx")
    claims = check_draft(tmp_path / "changed.docx", own_report / "tables.xlsx")
    differs = claims[claims["verdict"] == "differs"]
    assert len(differs) == 1 and differs["sentence"].iloc[0] in changed
