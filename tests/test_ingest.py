"""Reading folders: bad files become problems that name the file, and never take the rest down."""

from __future__ import annotations

import shutil
import zipfile

import pytest
from docx import Document

from quickscan import errors
from quickscan._docx import read_docx
from quickscan.ingest import read_folder
from tests.conftest import real_files

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def test_ingest_legacy_doc_says_save_as_docx(tmp_path):
    path = tmp_path / "T0" / "oud.doc"
    path.parent.mkdir()
    path.write_bytes(OLE + b"\0" * 2000)
    corpus = read_folder(tmp_path)
    row = corpus.problems.iloc[0]
    assert (row.severity, row.code) == ("error", "E101")
    assert "save it as .docx" in row.message and row.source.endswith("oud.doc")


def test_ingest_legacy_doc_renamed_to_docx_is_recognised(tmp_path):
    path = tmp_path / "T0-pilot.docx"
    path.write_bytes(OLE + b"\0" * 2000)
    with pytest.raises(errors.LegacyFormatError, match="save it as .docx"):
        read_docx(path)


@pytest.mark.parametrize("offset", [100, 300_000])  # the directory may follow the encrypted data
def test_ingest_encrypted_docx_is_an_ole_container_with_encryption_info(tmp_path, offset):
    path = tmp_path / "geheim.docx"
    path.write_bytes(OLE + b"\0" * offset + "EncryptionInfo".encode("utf-16-le") + b"\0" * 1000)
    with pytest.raises(errors.EncryptedFileError) as exc:
        read_docx(path)
    assert "password" in str(exc.value) and "geheim.docx" in str(exc.value)


def test_ingest_truncated_zip_is_corrupt(tmp_path, write_form, answers):
    good = write_form(answers)
    bad = tmp_path / "kapot.docx"
    bad.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(errors.CorruptFileError, match="kapot.docx"):
        read_docx(bad)


def test_ingest_zero_byte_file_is_corrupt(tmp_path):
    (tmp_path / "leeg.docx").write_bytes(b"")
    with pytest.raises(errors.CorruptFileError, match="empty"):
        read_docx(tmp_path / "leeg.docx")


def test_ingest_empty_document(tmp_path):
    Document().save(tmp_path / "leeg.docx")
    with pytest.raises(errors.EmptyDocumentError, match="leeg.docx"):
        read_docx(tmp_path / "leeg.docx")


def test_ingest_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bom.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (40 * 2**20))
    with pytest.raises(errors.ArchiveTooLargeError, match="refused before unpacking"):
        read_docx(path)


def test_ingest_xml_entities_are_not_expanded(tmp_path, write_form, answers):
    """A billion-laughs document.xml must not be expanded (the parser does not resolve entities)."""
    src = write_form(answers)
    bomb = tmp_path / "lol.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bomb, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                head = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">' + b"".join(
                    b'<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">' % ((bytes([98 + i]),) + (bytes([97 + i]),) * 10)
                    for i in range(8)
                ) + b"]>"
                data = head + data.split(b"?>", 1)[1].replace(b"Antwoord op vraag 2.", b"&i;")
            zout.writestr(item, data)
    with pytest.raises(errors.InputError):
        read_docx(bomb)


def test_ingest_folder_goes_on_after_bad_files_and_names_them(tmp_path, write_form, answers):
    folder = tmp_path / "T0"
    folder.mkdir()
    shutil.move(write_form(answers, name="a.docx"), folder / "a.docx")
    (folder / "b.doc").write_bytes(OLE + b"\0" * 100)
    (folder / "c.docx").write_bytes(b"PK\x03\x04 truncated")
    Document().save(folder / "d.docx")
    (folder / "~$a.docx").write_bytes(b"lock file of Word")  # ignored
    corpus = read_folder(tmp_path)
    assert corpus.pilot_ids == ("buurtcirkel-zeist",)
    errs = corpus.errors.set_index(corpus.errors.source.str.rsplit("/", n=1).str[-1])
    assert errs.code.to_dict() == {"b.doc": "E101", "c.docx": "E103", "d.docx": "E105"}
    assert "b.doc" in corpus.summary()


def test_ingest_same_pilot_twice_in_one_wave_names_both_files(tmp_path, write_form, answers):
    folder = tmp_path / "T0"
    folder.mkdir()
    shutil.move(write_form(answers, name="eerste.docx"), folder / "eerste.docx")
    answers[9] = "Een ander antwoord."
    shutil.move(write_form(answers, name="tweede.docx", layout=4), folder / "tweede.docx")
    corpus = read_folder(tmp_path)
    err = corpus.errors.iloc[0]
    assert err.code == "E107" and "eerste.docx" in err.message and "tweede.docx" in err.message
    assert corpus.answer("buurtcirkel-zeist", 9, "T0").startswith("Eerste alinea")


def test_ingest_waves_from_folders_and_renamed_pilot_keeps_its_id(tmp_path, write_form, answers):
    for wave, name in (("T0", "Buurtcirkel Zeist"), ("T1", "Buurtcirkel  Zeist (Slotlaan)")):
        (tmp_path / wave).mkdir()
        answers[1] = f"{name}, Slotlaan 12, 3701 AB Zeist"
        shutil.move(write_form(answers, name=f"{wave}.docx"), tmp_path / wave / "form.docx")
    corpus = read_folder(tmp_path)
    assert corpus.waves == ("T0", "T1")
    assert corpus.pilot_ids == ("buurtcirkel-zeist",)
    assert set(corpus.pilots.pilot) == {"Buurtcirkel Zeist", "Buurtcirkel  Zeist (Slotlaan)"}


@pytest.mark.parametrize("path", real_files("*.docx", "*.xlsx"))
def test_ingest_real_office_files_are_problems_not_crashes(tmp_path, path):
    shutil.copy(path, tmp_path / path.name)
    corpus = read_folder(tmp_path)
    assert corpus.answers.empty
    assert corpus.errors.code.tolist() == ["E106"]


def test_ingest_workbook_sheets_name_their_waves_inside_a_wave_folder(tmp_path, write_form, answers):
    from quickscan.corpus import Corpus, make_answers
    from quickscan.ingest import write_excel

    corpus = Corpus.from_answers(
        __import__("pandas").concat([make_answers("Buurtcirkel Zeist", w, {1: "Buurtcirkel Zeist", 9: w})
                                     for w in ("T0", "T1")]))
    (tmp_path / "T0").mkdir()
    write_excel(corpus, tmp_path / "T0" / "alles.xlsx")
    read = read_folder(tmp_path)
    assert read.waves == ("T0", "T1")
    assert read.answer("buurtcirkel-zeist", 9, "T1") == "T1"


@pytest.mark.parametrize(
    "member, data, error",
    [
        ("word/document.xml", b"<w:document xmlns:w='x'><w:body><w:p>", errors.CorruptFileError),  # damaged XML
        ("xl/workbook.xml", b"<workbook/>", errors.CorruptFileError),  # a workbook named .docx
    ],
)
def test_ingest_damaged_or_mislabelled_packages(tmp_path, member, data, error):
    path = tmp_path / "raar.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, data)
    with pytest.raises(error, match="raar.docx"):
        read_docx(path)


def test_ingest_deeply_nested_tables_are_read_as_text(tmp_path, answers, template):
    doc = Document()
    table = doc.add_table(rows=0, cols=3)
    for n in (1, 9, 10):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(n), template.question(n).question
        inner = cells[2].add_table(rows=1, cols=2)
        inner.cell(0, 0).text, inner.cell(0, 1).text = f"links {n}", f"rechts {n}"
    doc.save(tmp_path / "T0.docx")
    corpus = read_docx(tmp_path / "T0.docx")
    assert corpus.answer(corpus.pilot_ids[0], 9) == "links 9 | rechts 9"


def test_ingest_skips_quickscan_outputs_by_their_properties_and_marker(tmp_path, write_form, answers):
    """review.xlsx, tables.xlsx and report.docx copied among the forms are outputs, not pilots."""
    from quickscan.coding import code_corpus
    from quickscan.export import write_docx, write_xlsx
    from quickscan.review import write_review_sheet

    folder = tmp_path / "T0"
    folder.mkdir()
    shutil.move(write_form(answers, name="a.docx"), folder / "a.docx")
    corpus = read_folder(tmp_path)
    codings = code_corpus(corpus)
    write_review_sheet(codings, folder / "review.xlsx", corpus=corpus)
    write_xlsx(folder / "tables.xlsx", codings, corpus, families=["uitgangspunten"])
    write_docx(folder / "report.docx", codings, corpus, families=["uitgangspunten"], charts=False)
    (tmp_path / "uit").mkdir()
    (tmp_path / "uit" / ".quickscan-output").write_text("")
    shutil.copy(folder / "a.docx", tmp_path / "uit" / "b.docx")  # in a marked folder: never read
    again = read_folder(tmp_path)
    assert again.pilot_ids == ("buurtcirkel-zeist",) and again.errors.empty
    notes = again.problems[again.problems.code == "I109"]
    assert sorted(p.rsplit("/", 1)[-1] for p in notes.source) == ["report.docx", "review.xlsx", "tables.xlsx", "uit"]
    assert (notes.severity == "info").all()


@pytest.mark.slow
def test_ingest_report_run_twice_inside_the_data_folder_reads_the_forms_only(tmp_path):
    from quickscan.study import Study, run_report
    from tests.conftest import SAMPLE

    data = tmp_path / "T0"
    data.mkdir()
    for form in sorted((SAMPLE / "T0").glob("*.docx"))[:3]:
        shutil.copy(form, data / form.name)
    study = Study(data=(data,), families=("uitgangspunten",), out=data / "quickscan-out")
    first = run_report(study)
    second = run_report(study)
    assert len(first.corpus.pilot_ids) == len(second.corpus.pilot_ids) == 3
    assert second.status == 0 and "I109" in set(second.corpus.problems.code)


def test_ingest_half_of_the_files_in_a_second_process_gives_the_same_corpus(monkeypatch, tmp_path, second_process):
    import pandas as pd

    from quickscan import ingest
    from tests.conftest import ROOT, BrokenPool

    folder = ROOT / "data" / "sample" / "T0"
    shutil.copytree(folder, tmp_path / "T0")
    (tmp_path / "T0" / "kapot.docx").write_bytes(b"PK\x03\x04 not a zip")  # its problem stays in its place
    whole = read_folder(tmp_path)
    monkeypatch.setattr(ingest, "_SPLIT_FILES", 2)
    for executor in (second_process, BrokenPool()):
        split = read_folder(tmp_path, executor=executor)
        pd.testing.assert_frame_equal(split.answers, whole.answers)
        pd.testing.assert_frame_equal(split.problems, whole.problems)
