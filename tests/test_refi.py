"""REFI-QDA exchange: .qdc and .qdpx written valid, read back exactly, read from other tools."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from quickscan import refi
from quickscan.codebook import Code, Codebook, Family, load_codebook
from quickscan.coding import present
from quickscan.corpus import Corpus, make_answers
from quickscan.errors import InputError, RefiError
from tests.conftest import REFI_SCHEMAS, needs

SCHEMAS = REFI_SCHEMAS
FIXTURES = Path(__file__).resolve().parent / "data" / "refi"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
KEY = ["pilot_id", "wave", "question", "code", "family", "start", "end", "evidence", "segment_id"]

MINI = Codebook.from_yaml("""
id: mini
name: Mini
families:
  - id: basisset
    label: Basisset
    codes:
      - {id: wonen, label: Wonen, definition: "Een woonplek.", include: "ook huur", exclude: "geen opvang"}
      - {id: eigen_voordeur, label: Eigen voordeur, parent: wonen}
      - {id: schulden, label: Schuldhulpverlening}
  - id: status
    label: Status
    kind: fact
    question: 5
    codes:
      - {id: status_pilot, label: pilot, patterns: [pilot]}
      - {id: status_onbekend, label: onbekend, fallback: true}
""")


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(needs(SCHEMAS / name))))


def _qde(data: bytes) -> etree._ElementTree:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.parse(io.BytesIO(zf.read("project.qde")))


def _coding(pid, wave, q, code, start, end, evidence="", family="basisset", negated=False, **extra):
    return {"pilot_id": pid, "wave": wave, "question": q, "code": code, "family": family, "start": start,
            "end": end, "evidence": evidence, "negated": negated, **extra}


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(folder).as_posix())
    return target


@pytest.fixture(scope="module")
def sample():
    """The T0 sample coded with the bundled codebook, written and read back once."""
    from quickscan.coding import code_corpus
    from quickscan.ingest import read_folder

    corpus = read_folder(SAMPLE / "T0", progress=False)
    codings = code_corpus(corpus)
    data = refi.to_qdpx(corpus, codings)
    return corpus, codings, data


# -- validity ----------------------------------------------------------------------------


def test_refi_qdc_validates_against_codebook_xsd(tmp_path):
    out = refi.write_qdc(load_codebook(), tmp_path / "koers.qdc")
    _schema("Codebook.xsd").assertValid(etree.parse(str(out)))


def test_refi_qdpx_validates_against_project_xsd(sample, tmp_path):
    _schema("Project-mrt2019.xsd").assertValid(_qde(sample[2]))
    # and the reader's own schema option accepts it
    path = tmp_path / "t0.qdpx"
    path.write_bytes(sample[2])
    assert len(refi.read_qdpx(path, schema=needs(SCHEMAS / "Project-mrt2019.xsd")).sources) == 15


def test_refi_qdpx_layout(sample):
    corpus, _, data = sample
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
    root = _qde(data).getroot()
    ns = {"q": refi.NS_PROJECT}
    sources = root.findall("q:Sources/q:TextSource", ns)
    assert len(sources) == len(corpus.pilots) == 15
    for src in sources:
        assert src.get("plainTextPath") == f"internal://{src.get('guid')}.txt"
        assert f"Sources/{src.get('guid')}.txt" in names
    cases = root.findall("q:Cases/q:Case", ns)
    assert {c.get("name") for c in cases} == set(corpus.pilots["pilot"])
    variables = {v.get("name") for v in root.findall("q:Variables/q:Variable", ns)}
    assert {"wave", "status", "gemeente", "bereik"} <= variables
    assert [u.get("name") for u in root.findall("q:Users/q:User", ns)] == ["quickscan"]


# -- GUIDs -------------------------------------------------------------------------------


def _code_guids(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)
    return {el.get("name"): el.get("guid") for el in root.iter("{*}Code")}


def test_refi_guids_stable_and_per_codebook():
    cb = load_codebook()
    first, second = refi.to_qdc(cb), refi.to_qdc(cb)
    assert _code_guids(first) == _code_guids(second)
    assert first == second
    other = Codebook.from_yaml(cb.to_yaml().replace("id: regionale-koers-u16", "id: andere-regio", 1))
    assert other.id == "andere-regio"
    a, b = _code_guids(first), _code_guids(refi.to_qdc(other))
    assert a.keys() == b.keys() and not set(a.values()) & set(b.values())
    pattern = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    assert all(pattern.match(g) for g in a.values())
    assert len(set(a.values())) == len(a)


def test_refi_qdpx_is_deterministic(sample):
    corpus, codings, data = sample
    assert refi.to_qdpx(corpus, codings) == data


# -- codebook round trip -----------------------------------------------------------------------


def test_refi_qdc_round_trip_default_codebook(tmp_path):
    cb = load_codebook()
    back = refi.read_qdc(refi.write_qdc(cb, tmp_path / "k.qdc"))
    assert back.id == cb.id
    assert [f.id for f in back.families] == [f.id for f in cb.families]
    for f, g in zip(cb.families, back.families):
        assert (g.label, g.kind, g.question, g.caption) == (f.label, f.kind, f.question, f.caption)
        # codes come back depth-first under their parents: compare as sets of attributes
        want = {(c.id, c.label, c.definition, c.include, c.exclude, c.parent, c.fallback) for c in f.codes}
        got = {(c.id, c.label, c.definition, c.include, c.exclude, c.parent, c.fallback) for c in g.codes}
        assert got == want


_xml_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
                    | st.sampled_from("\n\r\t"), max_size=40)


@settings(max_examples=60, deadline=None)
@given(definition=_xml_text, include=_xml_text, exclude=_xml_text, label=_xml_text.filter(str.strip))
def test_refi_qdc_round_trip_descriptions(definition, include, exclude, label):
    for text in (definition, include, exclude):
        if refi.INCLUDE_PREFIX in text or refi.EXCLUDE_PREFIX in text or "[quickscan:" in text:
            return
    if definition.startswith((refi.INCLUDE_PREFIX.strip(), refi.EXCLUDE_PREFIX.strip())):
        return
    cb = Codebook(id="x", name="x", families=(
        Family(id="f", label="F", codes=(Code(id="c", label=label, family="f", definition=definition,
                                                          include=include, exclude=exclude),)),))
    code = refi.codebook_from_qdc(refi.to_qdc(cb)).code("c")
    assert (code.label, code.definition, code.include, code.exclude) == (label, definition, include, exclude)


# -- project round trip ------------------------------------------------------------------------


def test_refi_sample_round_trip(sample, tmp_path):
    from quickscan.matrices import code_matrix

    corpus, codings, data = sample
    path = tmp_path / "t0.qdpx"
    path.write_bytes(data)
    project = refi.read_qdpx(path, corpus=corpus)
    want = present(codings)
    got = project.codings
    assert list(got.columns) == refi.READ_COLUMNS
    assert set(got["coder"]) == {"quickscan"} and set(got["source"]) == {"rule"}

    def norm(frame):
        return frame[KEY].astype(str).sort_values(KEY).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(got), norm(want))
    for family in ("basisset", "status"):
        expected = code_matrix(codings, corpus, family=family)
        pd.testing.assert_frame_equal(code_matrix(got, corpus, family=family), expected)
        # also against the corpus rebuilt from the project itself
        pd.testing.assert_frame_equal(code_matrix(got, project.corpus, family=family), expected)
    assert project.codebook.id == "regionale-koers-u16"
    assert [c.id for c in project.codebook.family("basisset").codes] == [
        c.id for c in load_codebook().family("basisset").codes]
    # with the original codebook its patterns come back too: the families are equal
    assert refi.read_qdpx(path, codebook=load_codebook()).codebook.families == load_codebook().families


def test_refi_write_qdpx_streams_the_bytes_of_to_qdpx(sample, tmp_path):
    """write_qdpx streams the zip into the file (no tree, no bytes of the whole project in
    memory); it is the same project as its pure twin's."""
    corpus, codings, data = sample
    assert refi.write_qdpx(corpus, codings, tmp_path / "t0.qdpx").read_bytes() == data


def test_refi_names_with_markup_quotes_and_line_breaks_come_back(tmp_path):
    """Names, coders and values are escaped in the streamed XML (attributes keep a line break)."""
    name = 'Huis & "Haard" <Zeist>\x01'
    corpus = Corpus.from_answers(make_answers(name, "T0", {9: "Een eigen woning."}))
    pid = corpus.pilots["pilot_id"].iloc[0]
    codings = pd.DataFrame([_coding(pid, "T0", 9, "wonen", 4, 9, "Een eigen woning.", coder="Anna <a&b>\nB")])
    project = refi.read_qdpx(refi.write_qdpx(corpus, codings, tmp_path / "p.qdpx", name="Pro\"ject\n2"))
    _schema("Project-mrt2019.xsd").assertValid(_qde((tmp_path / "p.qdpx").read_bytes()))
    assert project.corpus.pilots["pilot"].tolist() == ['Huis & "Haard" <Zeist>\ufffd']
    assert project.codings["coder"].tolist() == ["Anna <a&b>\nB"]
    assert _qde((tmp_path / "p.qdpx").read_bytes()).getroot().get("name") == 'Pro"ject\n2'


def test_refi_code_names_unique_so_a_tool_keyed_on_names_imports_every_coding(sample):
    """QualCoder identifies codes by name: with two codes "Wonen" it attaches the codings of the
    second to nothing. Names are unique in the export (qualified with the family only where a
    label is shared), so an importer that keys codes on their names still places every coding."""
    _, codings, data = sample
    cb = load_codebook()
    root = _qde(data).getroot()
    ns = {"q": root.nsmap[None]}
    codable = [(el.get("name"), el.get("guid")) for el in root.iterfind(".//q:Codes//q:Code", ns)
               if el.get("isCodable") == "true"]
    folded = [name.casefold() for name, _ in codable]
    assert len(set(folded)) == len(folded) == len(cb.codes)
    shared = {c.label for c in cb.codes if sum(d.label == c.label for d in cb.codes) > 1}
    assert shared, "the bundled codebook has labels shared by several families"
    names = dict(codable)
    for code in cb.codes:  # qualified only where needed
        name = next(n for n, g in codable if g == refi.code_guid(cb, code.id))
        assert name == (f"{code.label} ({cb.family(code.family).label})" if code.label in shared else code.label)
    # the importer of a tool that keys codes on their names: the first code of a name wins
    by_name: dict[str, str] = {}
    for name, guid in codable:
        by_name.setdefault(name, guid)
    name_of = {guid: name for name, guid in codable}
    refs = [ref.get("targetGUID") for ref in root.iterfind(".//q:Coding/q:CodeRef", ns)]
    imported = [g for g in refs if by_name.get(name_of.get(g)) == g]
    assert len(refs) == len(present(codings)) and len(imported) == len(refs)


def test_refi_negated_and_rejected_codings_not_written(tmp_path):
    corpus = Corpus.from_answers(make_answers("A", "T0", {9: "Geen woning, wel schulden."}))
    codings = pd.DataFrame([
        _coding("a", "T0", 9, "wonen", 5, 11, "Geen woning, wel schulden.", negated=True),
        _coding("a", "T0", 9, "schulden", 17, 25, "Geen woning, wel schulden.", decision="rejected"),
        _coding("a", "T0", 9, "eigen_voordeur", 0, 4, "Geen woning, wel schulden.", negated=True,
                decision="accepted", coder="Anna"),
    ])
    path = refi.write_qdpx(corpus, codings, tmp_path / "a.qdpx", codebook=MINI)
    got = refi.read_qdpx(path).codings
    assert got[["code", "start", "end", "coder", "source"]].values.tolist() == [
        ["eigen_voordeur", 0, 4, "Anna", "refi"]]


def test_refi_fact_fallback_is_a_whole_source_coding(tmp_path):
    corpus = Corpus.from_answers(make_answers("A", "T0", {5: "Weet ik niet.", 9: "Tekst."}))
    codings = pd.DataFrame([_coding("a", "T0", 5, "status_onbekend", None, None, "", family="status")])
    data = refi.to_qdpx(corpus, codings, codebook=MINI)
    root = _qde(data).getroot()
    assert root.find(f"{{{refi.NS_PROJECT}}}Sources/{{*}}TextSource/{{*}}Coding") is not None
    path = tmp_path / "a.qdpx"
    path.write_bytes(data)
    got = refi.read_qdpx(path, codebook=MINI).codings
    assert got[["question", "code", "family"]].values.tolist() == [[5, "status_onbekend", "status"]]
    assert got["start"].isna().all()


def test_refi_offsets_non_ascii_and_crlf(tmp_path):
    answer = "Café 🙂 € 50.\r\nDe cliënt krijgt een eigen woning.\r\n\r\nSchuldhulp 👍🏽 ook."
    corpus = Corpus.from_answers(make_answers("Ëën pilot", "T1", {9: answer}))
    spans = [(answer.index("eigen woning"), "wonen"), (answer.index("Schuldhulp"), "schulden")]
    words = {"wonen": "eigen woning", "schulden": "Schuldhulp"}
    codings = pd.DataFrame([_coding("een-pilot", "T1", 9, code, s, s + len(words[code]), "") for s, code in spans])
    data = refi.to_qdpx(corpus, codings, codebook=MINI)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        text = next(zf.read(n) for n in zf.namelist() if n.startswith("Sources/")).decode("utf-8")
    assert "\r" not in text
    for sel in _qde(data).getroot().iter("{*}PlainTextSelection"):
        piece = text[int(sel.get("startPosition")):int(sel.get("endPosition"))]
        assert piece in words.values()
    path = tmp_path / "p.qdpx"
    path.write_bytes(data)
    plain = refi.read_qdpx(path).codings
    lf = answer.replace("\r\n", "\n")
    assert [lf[a:b] for a, b in zip(plain["start"], plain["end"])] == ["eigen woning", "Schuldhulp"]
    mapped = refi.read_qdpx(path, corpus=corpus).codings
    assert [answer[a:b] for a, b in zip(mapped["start"], mapped["end"])] == ["eigen woning", "Schuldhulp"]
    assert mapped["evidence"].tolist() == ["De cliënt krijgt een eigen woning.", "Schuldhulp 👍🏽 ook."]


def _as_crlf(data: bytes) -> bytes:
    """The project as a Windows tool saves it again: sources with \\r\\n line endings and the
    selections counted in that text (each line break before a position adds one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zipfile.ZipFile(out, "w") as new:
        texts = {n: zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("Sources/")}
        root = _qde(data).getroot()
        for src in root.iter("{*}TextSource"):
            text = texts[f"Sources/{src.get('plainTextPath')[len('internal://'):]}"]
            for sel in src.iter("{*}PlainTextSelection"):
                for attr in ("startPosition", "endPosition"):
                    at = int(sel.get(attr))
                    sel.set(attr, str(at + text.count("\n", 0, at)))
        for name, text in texts.items():
            new.writestr(name, text.replace("\n", "\r\n").encode("utf-8"))
        new.writestr("project.qde", etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    return out.getvalue()


def test_refi_offsets_survive_a_tool_that_saves_crlf(tmp_path):
    answer = "Café 🙂 € 50.\r\nDe cliënt krijgt een eigen woning.\r\n\r\nSchuldhulp 👍🏽 ook."
    corpus = Corpus.from_answers(make_answers("Ëën pilot", "T1", {9: answer, 12: "Eén\nSchuldhulp."}))
    spans = [(9, answer.index("eigen woning"), "wonen", "eigen woning"),
             (9, answer.index("Schuldhulp"), "schulden", "Schuldhulp"), (12, 4, "schulden", "Schuldhulp")]
    codings = pd.DataFrame([_coding("een-pilot", "T1", q, code, a, a + len(w), "") for q, a, code, w in spans])
    path = tmp_path / "crlf.qdpx"
    path.write_bytes(_as_crlf(refi.to_qdpx(corpus, codings, codebook=MINI)))
    mapped = refi.read_qdpx(path, corpus=corpus, codebook=MINI).codings.sort_values(["question", "start"])
    assert [corpus.answer("een-pilot", q, "T1")[a:b] for q, a, b in
            zip(mapped["question"], mapped["start"], mapped["end"])] == [w for *_, w in spans]
    assert mapped["evidence"].tolist() == ["De cliënt krijgt een eigen woning.", "Schuldhulp 👍🏽 ook.", "Schuldhulp."]
    plain = refi.read_qdpx(path, codebook=MINI)
    texts = {(r.question): r.answer for r in plain.corpus.answers.itertuples()}
    got = plain.codings.sort_values(["question", "start"])
    assert [texts[q][a:b] for q, a, b in zip(got["question"], got["start"], got["end"])] == [w for *_, w in spans]


_answer_text = st.lists(st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(
    ["\r\n", "\n", "\r", "é", "ë", "€", "🙂", "👍🏽", " "]), min_size=1, max_size=40).map("".join)


@st.composite
def _forms(draw):
    pilots = draw(st.lists(st.sampled_from(["Houten", "Zeist", "Ëde"]), min_size=1, max_size=2, unique=True))
    rows, codings = [], []
    for name in pilots:
        wave = draw(st.sampled_from(["T0", "T1"]))
        answers = draw(st.dictionaries(st.sampled_from([1, 5, 9, 12, 20]), _answer_text, min_size=1, max_size=3))
        rows.append(make_answers(name, wave, answers))
        for q, text in answers.items():
            for _ in range(draw(st.integers(0, 2))):
                a = draw(st.integers(0, len(text) - 1))
                b = draw(st.integers(a + 1, len(text)))
                # a span never splits a \r\n pair (it would widen to the whole line break)
                a -= text[a - 1 : a + 1] == "\r\n"
                b += text[b - 1 : b + 1] == "\r\n"
                code = draw(st.sampled_from(["wonen", "eigen_voordeur", "schulden"]))
                codings.append(_coding(rows[-1]["pilot_id"].iloc[0], wave, q, code, a, b, "x"))
    corpus = Corpus.from_answers(pd.concat(rows, ignore_index=True))
    frame = pd.DataFrame(codings, columns=list(_coding("", "", 0, "", 0, 0)))
    return corpus, frame.drop_duplicates(["pilot_id", "wave", "question", "code", "start", "end"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(form=_forms())
def test_refi_round_trip_property(form, tmp_path):
    corpus, codings = form
    path = refi.write_qdpx(corpus, codings, tmp_path / "p.qdpx", codebook=MINI)
    cols = ["pilot_id", "wave", "question", "code", "start", "end"]

    def norm(frame):
        return sorted(map(tuple, frame[cols].astype(str).values.tolist()))

    mapped = refi.read_qdpx(path, corpus=corpus, codebook=MINI)
    assert norm(mapped.codings) == norm(codings)
    plain = refi.read_qdpx(path, codebook=MINI)
    assert norm(plain.codings.drop(columns=["start", "end"]).assign(start=0, end=0)) == norm(
        codings.assign(start=0, end=0))
    # without the corpus the offsets point at the same text in the answers as written (\n line endings)
    texts = {(r.pilot_id, r.wave, r.question): r.answer for r in plain.corpus.answers.dropna(subset=["question"])
             .itertuples()}
    for r in plain.codings.itertuples():
        original = corpus.answer(r.pilot_id, r.question, r.wave)
        o = mapped.codings
        o = o[(o.pilot_id == r.pilot_id) & (o.wave == r.wave) & (o.question == r.question) & (o.code == r.code)]
        pieces = {original[a:b].replace("\r\n", "\n").replace("\r", "\n") for a, b in zip(o.start, o.end)}
        assert texts[(r.pilot_id, r.wave, r.question)][r.start:r.end] in pieces


# -- privacy -----------------------------------------------------------------------------------


def test_refi_personal_question_left_out_by_default(sample, tmp_path):
    corpus, codings, data = sample
    contacts = [c for c in corpus.pilots["contact"] if c.strip()]
    assert contacts
    needles = {part.strip() for c in contacts for part in c.split(",") if part.strip()}

    def blob(raw: bytes) -> str:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            return "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())

    text = blob(data)
    assert not [n for n in needles if n in text]
    assert "Vraag 3." not in text
    with_personal = blob(refi.to_qdpx(corpus, codings, include_personal=True))
    assert all(n in with_personal for n in needles)


# -- other tools -------------------------------------------------------------------------------


def test_refi_reads_other_tool_project(tmp_path):
    path = _zip_folder(FIXTURES / "maxqda-style", tmp_path / "maxqda.qdpx")
    project = refi.read_qdpx(path)
    cb = project.codebook
    assert [f.id for f in cb.families] == ["basisset", "uitgangspunten", "overige_codes"]
    assert [(c.id, c.parent) for c in cb.family("basisset").codes] == [
        ("basisset", None), ("wonen", "basisset"), ("eigen_voordeur", "wonen")]
    assert [c.id for c in cb.family("uitgangspunten").codes] == ["normaliseren", "sociaal_netwerk"]
    assert [(c.id, c.label) for c in cb.family("overige_codes").codes] == [("opvallend", "Opvallend!")]
    assert cb.code("wonen").definition == "Toegang tot een woonplek"

    got = project.codings
    assert got[["pilot_id", "wave", "code", "family", "coder"]].values.tolist() == [
        ["gebiedsteam-ggz-houten", "T0", "wonen", "basisset", "Anna"],
        ["gebiedsteam-ggz-houten", "T0", "wonen", "basisset", "Bram"],
        ["gebiedsteam-ggz-houten", "T0", "normaliseren", "uitgangspunten", "Anna"],
        ["buurtcirkel-zeist", "T1", "eigen_voordeur", "basisset", "Bram"],
        ["buurtcirkel-zeist", "T1", "sociaal_netwerk", "uitgangspunten", "Bram"],
        ["buurtcirkel-zeist", "T1", "opvallend", "overige_codes", "Anna"],
    ]
    assert got["question"].isna().all() and set(got["source"]) == {"refi"}
    assert got["evidence"].tolist()[:5] == ["eigen woning", "betaalbaar", "Normaliseren", "eigen voordeur",
                                            "opbouwen van een netwerk"]
    texts = {(r.pilot_id, r.wave): r.answer for r in project.corpus.answers[project.corpus.answers.question.isna()]
             .itertuples()}
    for r in got.dropna(subset=["start"]).itertuples():
        assert texts[(r.pilot_id, r.wave)][r.start:r.end] == r.evidence
    assert texts[("gebiedsteam-ggz-houten", "T0")].startswith("Interview")  # the BOM is gone
    assert set(project.sources["composed"]) == {False}
    assert project.cases.empty


def test_refi_other_tool_codings_make_a_code_matrix(tmp_path):
    from quickscan.matrices import code_matrix

    project = refi.read_qdpx(_zip_folder(FIXTURES / "maxqda-style", tmp_path / "m.qdpx"))
    m = code_matrix(project.codings, project.corpus, family="basisset", wave="T1", codebook=project.codebook)
    assert list(m.columns) == ["Basisset", "Wonen", "Eigen voordeur"]
    # Zeist coded "Eigen voordeur"; its parent "Wonen" counts too (code_matrix rolls up one level)
    assert m.loc["Totaal", ["Wonen", "Eigen voordeur"]].tolist() == [1, 1]
    t0 = code_matrix(project.codings, project.corpus, family="basisset", wave="T0", codebook=project.codebook)
    assert t0.loc["Totaal"].tolist() == [1, 1, 0]  # Houten coded "Wonen", child of "Basisset"


def test_refi_case_membership_gives_pilot_and_wave(tmp_path):
    corpus = Corpus.from_answers(make_answers("Buurtcirkel Zeist", "T1", {9: "Een eigen woning."}))
    data = refi.to_qdpx(corpus, pd.DataFrame([_coding("buurtcirkel-zeist", "T1", 9, "wonen", 4, 16, "")]),
                        codebook=MINI)
    # drop the source variables and rename the source: only the case says who it is
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    root = etree.fromstring(members["project.qde"])
    for src in root.iter("{*}TextSource"):
        src.set("name", "interview.txt")
        for vv in src.findall("{*}VariableValue"):
            src.remove(vv)
    members["project.qde"] = etree.tostring(root)
    path = tmp_path / "c.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    got = refi.read_qdpx(path).codings
    assert got[["pilot_id", "wave", "question", "code"]].values.tolist() == [["buurtcirkel-zeist", "T1", 9, "wonen"]]


# -- malformed input -----------------------------------------------------------------------------


def _project(tmp_path, qde: str | bytes, files: dict[str, bytes] | None = None, name="bad.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde if isinstance(qde, bytes) else qde.encode("utf-8"))
        for n, b in (files or {}).items():
            zf.writestr(n, b)
    return path


_G = "11111111-2222-4333-8444-555555555555"
_CODES = f'<CodeBook><Codes><Code guid="{_G}" name="Wonen" isCodable="true"/></Codes></CodeBook>'


def _qde_text(selection: str = "", content: str = "Een eigen woning.", codes: str = _CODES) -> str:
    return (f'<?xml version="1.0"?>\n<Project xmlns="{refi.NS_PROJECT}" name="p">\n{codes}\n<Sources>\n'
            f'<TextSource guid="{_G[:-1]}6" name="A (T0)"><PlainTextContent>{content}</PlainTextContent>\n'
            f'{selection}\n</TextSource></Sources></Project>')


def _selection(start, end, target=_G) -> str:
    return (f'<PlainTextSelection guid="{_G[:-1]}7" startPosition="{start}" endPosition="{end}">'
            f'<Coding guid="{_G[:-1]}8"><CodeRef targetGUID="{target}"/></Coding></PlainTextSelection>')


@pytest.mark.parametrize("case, expected", [
    ("not a zip", r"not a REFI-QDA project: a \.qdpx is a zip archive"),
    ("no project.qde", r"holds no project\.qde"),
    ("not well-formed", r"project\.qde is not well-formed XML.*\[E501\]"),
    ("wrong root", r"root element is <CodeBook>"),
    ("beyond the text", r"positions 4-400 lie outside source 'A \(T0\)' \(17 characters\)"),
    ("unknown code", r"refers to an unknown code: targetGUID '99999999-"),
    ("missing source file", r"internal://gone\.txt is missing from the archive"),
    ("external source", r"lies outside the project"),
    ("path traversal", r"internal://\.\./x\.txt.*refused"),
    ("bad position", r"startPosition must be a whole number, not 'vier'"),
    ("doctype", r"DOCTYPE"),
    ("schema", r"does not match the REFI-QDA schema"),
])
def test_refi_malformed_project_errors(tmp_path, case, expected):
    schema = None
    if case == "not a zip":
        path = tmp_path / "bad.qdpx"
        path.write_text("dit is geen zip")
    elif case == "no project.qde":
        path = tmp_path / "bad.qdpx"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("Sources/x.txt", "tekst")
    elif case == "not well-formed":
        path = _project(tmp_path, _qde_text()[:-20])
    elif case == "wrong root":
        path = _project(tmp_path, f'<CodeBook xmlns="{refi.NS_CODEBOOK}"><Codes/></CodeBook>')
    elif case == "beyond the text":
        path = _project(tmp_path, _qde_text(_selection(4, 400)))
    elif case == "unknown code":
        path = _project(tmp_path, _qde_text(_selection(4, 9, target="99999999-2222-4333-8444-555555555555")))
    elif case in ("missing source file", "external source"):
        ref = "internal://gone.txt" if case == "missing source file" else "absolute:///etc/passwd"
        path = _project(tmp_path, _qde_text().replace("<PlainTextContent>Een eigen woning.</PlainTextContent>", "")
                        .replace('name="A (T0)"', f'name="A (T0)" plainTextPath="{ref}"'))
    elif case == "path traversal":
        path = _project(tmp_path, _qde_text().replace("<PlainTextContent>Een eigen woning.</PlainTextContent>", "")
                        .replace('name="A (T0)"', 'name="A (T0)" plainTextPath="internal://../x.txt"'),
                        files={"../x.txt": b"Een eigen woning.", "x.txt": b"Een eigen woning."})
    elif case == "bad position":
        path = _project(tmp_path, _qde_text(_selection("vier", 9)))
    elif case == "doctype":
        path = _project(tmp_path, _qde_text().replace(
            '<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'))
    else:
        schema = needs(SCHEMAS / "Project-mrt2019.xsd")
        path = _project(tmp_path, _qde_text(_selection(4, 9)).replace(' name="p"', ""))
    with pytest.raises(RefiError, match=expected) as info:
        refi.read_qdpx(path, schema=schema)
    message = str(info.value)
    assert message.startswith(str(path)) and "[E501]" in message
    assert isinstance(info.value, InputError)
    if case in ("not well-formed", "beyond the text", "unknown code", "bad position", "schema"):
        assert re.search(r"project\.qde line \d+", message), message


def test_refi_refuses_oversized_member(tmp_path, monkeypatch):
    from quickscan import _limits

    path = _project(tmp_path, _qde_text())
    monkeypatch.setitem(_limits.LIMITS, "xml", _limits.Limit("QUICKSCAN_MAX_XML_MB", 100, "bytes", "of XML per file"))
    with pytest.raises(RefiError, match=r"project\.qde would unpack to .* raise it with QUICKSCAN_MAX_XML_MB="):
        refi.read_qdpx(path)  # the XML parsed: the budget of parsed XML, raised by its variable
    monkeypatch.undo()
    path = _project(tmp_path, _qde_text().replace("<PlainTextContent>Een eigen woning.</PlainTextContent>", "")
                    .replace('name="A (T0)"', 'name="A (T0)" plainTextPath="internal://a.txt"'),
                    files={"Sources/a.txt": b"Een eigen woning."}, name="text.qdpx")
    monkeypatch.setattr(refi, "MAX_MEMBER_BYTES", 10)
    with pytest.raises(RefiError, match=r"refused: \d+ bytes unpacked \(at most 10\)"):
        refi.read_qdpx(path)  # a source text


def test_refi_malformed_codebook_errors(tmp_path):
    bad = tmp_path / "bad.qdc"
    bad.write_text(f'<CodeBook xmlns="{refi.NS_CODEBOOK}"><Codes>\n<Code name="x" isCodable="true"/></Codes></CodeBook>')
    with pytest.raises(RefiError, match=r"bad\.qdc: line 2: a <Code> without its required guid"):
        refi.read_qdc(bad)
    bad.write_text("<CodeBook><Codes>")
    with pytest.raises(RefiError, match="not well-formed"):
        refi.read_qdc(bad)


def test_refi_writer_takes_codings_of_another_source_without_negated_or_family(tmp_path):
    corpus = Corpus.from_answers(make_answers("A", "T0", {9: "Een eigen woning.", 5: "Het is een pilot."}))
    codings = pd.DataFrame([{"pilot_id": "a", "wave": "T0", "question": 9, "code": "wonen", "start": 4, "end": 16},
                            {"pilot_id": "a", "wave": "T0", "question": 5, "code": "status_pilot"}])
    path = refi.write_qdpx(corpus, codings, tmp_path / "p.qdpx", codebook=MINI)
    project = refi.read_qdpx(path, codebook=MINI)
    assert project.codings[["question", "code"]].values.tolist() == [[9, "wonen"], [5, "status_pilot"]]
    assert project.codings["start"].iloc[0] == 4 and project.codings["end"].iloc[0] == 16
    assert project.codings["start"].iloc[1:].isna().all()
    assert project.sources["status"].tolist() == ["pilot"]
    with pytest.raises(ValueError, match=r"codings lack the column\(s\) \['code'\]"):
        refi.to_qdpx(corpus, codings.drop(columns="code"), codebook=MINI)


def test_refi_writer_rejects_codes_outside_the_codebook():
    corpus = Corpus.from_answers(make_answers("A", "T0", {9: "Tekst."}))
    with pytest.raises(ValueError, match=r"codes \['onbekende_code'\] are not in codebook 'mini'"):
        refi.to_qdpx(corpus, pd.DataFrame([_coding("a", "T0", 9, "onbekende_code", 0, 3)]), codebook=MINI)
    with pytest.raises(ValueError, match=r"offsets 0-99 lie outside the answer"):
        refi.to_qdpx(corpus, pd.DataFrame([_coding("a", "T0", 9, "wonen", 0, 99)]), codebook=MINI)
