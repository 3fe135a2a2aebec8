"""Codebooks: loading, validation (every problem at once), round trip, patterns."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickscan.codebook import (
    Code,
    Codebook,
    Family,
    Pattern,
    PatternToken,
    compile_codebook,
    load_codebook,
    parse_pattern,
)
from quickscan.errors import CodebookError

ROOT = Path(__file__).resolve().parents[1]
REPO_CODEBOOKS = ROOT / "codebooks"
BUNDLED = ROOT / "src" / "quickscan" / "data" / "regionale-koers-u16.yaml"

MINI = """
id: mini
name: Mini codebook
families:
  - id: basisset
    label: Basisset
    caption: Onderdelen uit de basisset.
    codes:
      - id: wonen
        label: Wonen
        definition: Toegang tot een eigen woonplek.
        expected: [9, 10]
        patterns: ["woning*", "eigen voordeur", {id: huur, pattern: "*huurwoning*"}]
      - id: gespikkeld
        label: Gespikkeld wonen
        parent: wonen
        patterns: [gespikkeld*]
  - id: status
    label: Status
    kind: fact
    question: 5
    codes:
      - {id: status_pilot, label: pilot, patterns: [pilot, experiment*]}
      - {id: status_onbekend, label: onbekend, fallback: true}
  - id: factoren
    label: Factoren
    questions: [15, 17]
    valence:
      slaagfactor: [succesfactor, "draagt bij"]
      risicofactor: [risico*, lastig]
    codes:
      - {id: factor_beleid, label: beleid, patterns: [beleid*]}
"""


def write(tmp_path: Path, text: str, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


# -- loading and accessors ------------------------------------------------------------------


def test_codebook_loads_families_codes_in_order(tmp_path):
    cb = load_codebook(write(tmp_path, MINI))
    assert [f.id for f in cb.families] == ["basisset", "status", "factoren"]
    assert [c.id for c in cb.codes_of("basisset")] == ["wonen", "gespikkeld"]
    assert cb.code("gespikkeld").parent == "wonen"
    assert cb.code("wonen").family == "basisset"
    assert cb.code("wonen").expected == (9, 10)
    assert cb.family("status").fallback.id == "status_onbekend"
    assert cb.family("factoren").valence[0][0] == "slaagfactor"
    assert cb.source == str(tmp_path / "codebook.yaml")


@pytest.mark.parametrize(
    "code, ids",
    [("wonen", ["wonen:1", "wonen:2", "huur"]), ("status_pilot", ["status_pilot:1", "status_pilot:2"])],
)
def test_codebook_pattern_ids_default_to_code_and_number(tmp_path, code, ids):
    cb = load_codebook(write(tmp_path, MINI))
    assert [p.id for p in cb.code(code).patterns] == ids


@pytest.mark.parametrize("lookup", ["family", "code"])
def test_codebook_unknown_id_is_a_clear_key_error(tmp_path, lookup):
    cb = load_codebook(write(tmp_path, MINI))
    with pytest.raises(KeyError, match="nope"):
        getattr(cb, lookup)("nope")


def test_codebook_codes_of_accepts_a_family(tmp_path):
    cb = load_codebook(write(tmp_path, MINI))
    assert cb.codes_of(cb.family("status")) == cb.family("status").codes


def test_codebook_objects_are_frozen(tmp_path):
    cb = load_codebook(write(tmp_path, MINI))
    with pytest.raises(AttributeError):
        cb.code("wonen").label = "x"  # type: ignore[misc]


# -- validation -----------------------------------------------------------------------------

BROKEN = """
id: broken
name: Broken
families:
  - id: basisset
    label: Basisset
    codes:
      - {id: wonen, label: Wonen, patterns: ["woning*"]}
      - {id: wonen, label: Wonen again, patterns: [huis]}
      - {id: gespikkeld, label: Gespikkeld, parent: woonvormen}
      - {id: schulden, label: Schulden, patterns: ["schu*ld", "...", "a*", "eigen ..."]}
      - {id: werk, label: Werk, expected: [9, 42], questions: [0]}
  - id: leeg
    label: Leeg
    codes: []
  - id: status
    label: Status
    kind: fact
    codes:
      - {id: status_pilot, label: pilot}
  - id: bereik
    label: Bereik
    kind: fact
    question: 6
    codes:
      - {id: bereik_lokaal, label: lokaal, patterns: [lokaal]}
"""

EXPECTED_PROBLEMS = [
    ("basisset", "wonen", "duplicate code id"),
    ("basisset", "gespikkeld", "unknown parent 'woonvormen'"),
    ("basisset", "schulden", "pattern 'schulden:1' does not compile"),
    ("basisset", "schulden", "pattern 'schulden:2' does not compile"),
    ("basisset", "schulden", "pattern 'schulden:3' does not compile"),
    ("basisset", "schulden", "pattern 'schulden:4' does not compile"),
    ("basisset", "werk", "unknown question number(s) [42] in 'expected'"),
    ("basisset", "werk", "unknown question number(s) [0] in 'questions'"),
    ("leeg", None, "empty family"),
    ("status", None, "a fact family needs 'question'"),
    ("status", None, "a fact family needs a code with 'fallback: true'"),
    ("bereik", None, "a fact family needs a code with 'fallback: true'"),
]


@pytest.fixture
def broken_problems(tmp_path):
    path = write(tmp_path, BROKEN, "broken.yaml")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    return str(path), info.value


def test_codebook_reports_every_problem_at_once(broken_problems):
    path, error = broken_problems
    assert len(error.problems) == len(EXPECTED_PROBLEMS)
    assert str(error).startswith(f"{path}: {len(EXPECTED_PROBLEMS)} problem(s)")
    assert all(p.startswith(path) for p in error.problems)


@pytest.mark.parametrize("family, code, message", EXPECTED_PROBLEMS)
def test_codebook_problem_names_file_family_and_code(broken_problems, family, code, message):
    path, error = broken_problems
    where = f"{path}, family {family!r}" + (f", code {code!r}" if code else "") + ": "
    assert any(p.startswith(where) and message in p for p in error.problems), error.problems


@pytest.mark.parametrize(
    "snippet, message",
    [
        ("families: []", "'families' must be a non-empty list"),
        ("families: [{id: f, label: F, kind: table, codes: [{id: a, label: A}]}]", "kind must be one of"),
        ("families: [{id: f, label: F, codes: [{id: a, label: A, pattern: [x]}]}]", "unknown key(s) ['pattern']"),
        ("families: [{id: F-1, label: F, codes: [{id: a, label: A}]}]", "must be lower_snake_case"),
        ("families: [{id: f, label: F, codes: [{id: a}]}]", "missing 'label'"),
        ("families: [{id: f, codes: [{id: a, label: A, patterns: [no]}]}]", "must be a string"),
        ("families: [{id: f, codes: [{id: a, label: A, fallback: true}]}]", "only for codes of a fact family"),
        ("families: [{id: f, codes: [{id: a, label: A, parent: a}]}]", "unknown parent 'a'"),
        ("families: [{id: f, codes: [{id: a, label: A, parent: b}, {id: b, label: B, parent: a}]}]", "cycle"),
        ("families: [{id: f, codes: [{id: a, label: A}]}, {id: f, codes: [{id: b, label: B}]}]", "duplicate family"),
        ("families: [{id: f, valence: {Goed: [goed]}, codes: [{id: a, label: A}]}]", "valence name 'Goed'"),
        ("families: [{id: f, codes: [{id: a, label: A, patterns: [{id: x, pattern: a, spacy: []}]}]}]", "exactly one"),
        ("families: [{id: f, codes: [{id: a, label: A, patterns: [{id: p, pattern: x}]}, "
         "{id: b, label: B, patterns: [{id: p, pattern: y}]}]}]", "duplicate pattern id 'p'"),
        ("families: [{id: f, question: 99, kind: fact, codes: [{id: a, label: A, fallback: true}]}]",
         "unknown question number(s) [99]"),
    ],
)
def test_codebook_validation_problem(tmp_path, snippet, message):
    with pytest.raises(CodebookError) as info:
        load_codebook(write(tmp_path, f"id: x\nname: X\n{snippet}\n"))
    assert any(message in p for p in info.value.problems), info.value.problems


@pytest.mark.parametrize("text, message", [("id: [unclosed", "not valid YAML"), ("- a list", "is a mapping")])
def test_codebook_unreadable_yaml_names_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CodebookError, match=message) as info:
        load_codebook(path)
    assert str(path) in str(info.value)


def test_codebook_missing_file_is_a_codebook_error(tmp_path):
    with pytest.raises(CodebookError, match="cannot read codebook"):
        load_codebook(tmp_path / "missing.yaml")


def test_codebook_question_numbers_checked_against_the_given_template(tmp_path):
    from dataclasses import replace

    from quickscan.template import load_template

    template = load_template()
    short = replace(template, questions=template.questions[:5])
    with pytest.raises(CodebookError, match=r"unknown question number\(s\) \[9, 10\] in .expected."):
        load_codebook(write(tmp_path, MINI), template=short)


@pytest.mark.slow
@pytest.mark.parametrize(
    "raw, ok",
    [([{"LEMMA": "woning"}], True), ([{"LOWER": {"REGEX": "^huur"}}, {"IS_PUNCT": True, "OP": "?"}], True),
     ([{"NOT_AN_ATTR": "x"}], False), ([{"LOWER": "a", "OP": "!!"}], False)],
)
def test_codebook_raw_spacy_pattern_is_checked_by_spacy(tmp_path, raw, ok):
    import json

    pattern = f"{{id: raw, spacy: {json.dumps(raw)}}}"
    text = f"id: x\nfamilies: [{{id: f, codes: [{{id: a, label: A, patterns: [{pattern}]}}]}}]\n"
    if ok:
        cb = load_codebook(write(tmp_path, text))
        assert cb.code("a").patterns[0].token_patterns == raw
        assert Codebook.from_yaml(cb.to_yaml()) == cb
    else:
        with pytest.raises(CodebookError, match="pattern 'raw' does not compile"):
            load_codebook(write(tmp_path, text))


# -- patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, tokens",
    [
        ("woning", [("word", "woning")]),
        ("Woning*", [("prefix", "woning")]),
        ("*woning", [("suffix", "woning")]),
        ("*schuld*", [("infix", "schuld")]),
        ("eigen voordeur", [("word", "eigen"), ("word", "voordeur")]),
        ("eigen ... regie", [("word", "eigen"), ("gap", ""), ("word", "regie")]),
        ("cliënt*  raad", [("prefix", "cliënt"), ("word", "raad")]),
        ("time-out", [("word", "time-out")]),
    ],
)
def test_codebook_parse_pattern(pattern, tokens):
    assert [(t.kind, t.text) for t in parse_pattern(pattern)] == tokens


@pytest.mark.parametrize(
    "pattern, message",
    [("", "empty"), ("   ", "empty"), ("...", "between two tokens"), ("... regie", "between"),
     ("eigen ...", "between"), ("eigen ... ... regie", "between"), ("wo*ning", "only at the start or end"),
     ("*", "at least"), ("ab*", "at least"), ("**", "at least"), ("*ab*", "at least")],
)
def test_codebook_parse_pattern_rejects(pattern, message):
    with pytest.raises(ValueError, match=message):
        parse_pattern(pattern)


@pytest.mark.parametrize(
    "token, lower, lemma, accepted",
    [
        (PatternToken("word", "woning"), "woningen", "woning", True),
        (PatternToken("word", "woning"), "woningen", None, False),
        (PatternToken("prefix", "woning"), "woningcorporatie", None, True),
        (PatternToken("suffix", "woning"), "huurwoning", None, True),
        (PatternToken("suffix", "woning"), "huurwoningen", None, False),
        (PatternToken("infix", "schuld"), "probleemschulden", None, True),
    ],
)
def test_codebook_pattern_token_accepts(token, lower, lemma, accepted):
    assert token.accepts(lower, lemma) is accepted


def test_codebook_compile_lists_code_patterns_then_valence_cues(tmp_path):
    compiled = compile_codebook(load_codebook(write(tmp_path, MINI)))
    codes = [(m.id, m.code) for m in compiled if m.code]
    cues = [(m.id, m.family, m.valence) for m in compiled if m.valence]
    assert codes[:3] == [("wonen:1", "wonen"), ("wonen:2", "wonen"), ("huur", "wonen")]
    assert cues == [
        ("factoren:slaagfactor:1", "factoren", "slaagfactor"),
        ("factoren:slaagfactor:2", "factoren", "slaagfactor"),
        ("factoren:risicofactor:1", "factoren", "risicofactor"),
        ("factoren:risicofactor:2", "factoren", "risicofactor"),
    ]
    assert compiled[0].tokens == (PatternToken("prefix", "woning"),)


def test_codebook_compile_is_pure(tmp_path):
    cb = load_codebook(write(tmp_path, MINI))
    assert compile_codebook(cb) == compile_codebook(cb)


# -- round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [MINI, "id: x\nfamilies: [{id: f, codes: [{id: a, label: 'yes'}]}]\n"])
def test_codebook_to_yaml_round_trip_examples(text):
    cb = Codebook.from_yaml(text)
    again = Codebook.from_yaml(cb.to_yaml())
    assert again == cb
    assert again.to_yaml() == cb.to_yaml()


def test_codebook_to_yaml_keeps_plain_patterns_plain():
    out = Codebook.from_yaml(MINI).to_yaml()
    assert "- woning*\n" in out and "- eigen voordeur\n" in out  # default ids: plain strings
    assert "id: huur" in out and "wonen:1" not in out  # a named pattern keeps its mapping
    assert "expected: [9, 10]" in out


_ids = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n"), min_size=0, max_size=40
)
_label = _text.filter(lambda s: s.strip() != "")
_questions = st.lists(st.integers(1, 20), max_size=3)
_stem = st.text("abcdeéëijklmnoprstuwz-", min_size=3, max_size=8).filter(lambda s: "-" not in s[:1])


@st.composite
def _pattern_text(draw) -> str:
    tokens = []
    for i in range(draw(st.integers(1, 3))):
        if i and draw(st.booleans()):
            tokens.append("...")
        stem = draw(_stem)
        tokens.append(draw(st.sampled_from([stem, f"{stem}*", f"*{stem}", f"*{stem}*"])))
    return " ".join(tokens)


@st.composite
def _patterns(draw, owner: str) -> tuple[Pattern, ...]:
    out = []
    for n in range(1, draw(st.integers(0, 3)) + 1):
        text = draw(_pattern_text())
        pid = f"{owner}:{n}" if draw(st.booleans()) else f"{owner}-p{n}"
        out.append(Pattern(pid, text=text))
    return tuple(out)


@st.composite
def codebooks(draw) -> Codebook:
    ids = draw(st.lists(_ids, min_size=2, max_size=8, unique=True))
    families = []
    for fi in range(draw(st.integers(1, 3))):
        fid = f"fam{fi}"
        kind = draw(st.sampled_from(["codes", "fact"]))
        mine, ids = ids[: max(1, len(ids) // 2)], ids[max(1, len(ids) // 2) :] or [f"extra{fi}"]
        codes = []
        for i, cid in enumerate(mine):
            cid = f"{cid}_{fi}"
            codes.append(
                Code(
                    id=cid, label=draw(_label), family=fid, definition=draw(_text), include=draw(_text),
                    exclude=draw(_text), parent=codes[0].id if i and draw(st.booleans()) else None,
                    expected=tuple(draw(_questions)), questions=tuple(draw(_questions)),
                    examples=tuple(draw(st.lists(_label, max_size=2))), fallback=kind == "fact" and i == len(mine) - 1,
                    patterns=draw(_patterns(cid)),
                )
            )
        valence = ()
        if kind == "codes" and draw(st.booleans()):
            risk = draw(_patterns(f"{fid}:risicofactor")) or (Pattern(f"{fid}:risicofactor:1", text="lastig"),)
            valence = (("slaagfactor", (Pattern(f"{fid}:slaagfactor:1", text="goed"),)), ("risicofactor", risk))
        families.append(
            Family(id=fid, label=draw(_label), codes=tuple(codes), caption=draw(_text), kind=kind,
                   question=draw(st.integers(1, 20)) if kind == "fact" else None,
                   questions=tuple(draw(_questions)) if kind == "codes" else (), valence=valence)
        )
    return Codebook(id="generated", name=draw(_label), families=tuple(families), language="nl")


@settings(max_examples=60, deadline=None)
@given(codebooks())
def test_codebook_to_yaml_round_trip_property(cb):
    assert Codebook.from_yaml(cb.to_yaml()) == cb


# -- the shipped codebooks ------------------------------------------------------------------


def test_codebook_bundled_copy_is_identical_to_the_repository_codebook():
    source = REPO_CODEBOOKS / "regionale-koers-u16.yaml"
    if not source.exists():
        pytest.skip("codebooks/regionale-koers-u16.yaml not in this checkout")
    assert BUNDLED.read_bytes() == source.read_bytes(), (
        "the bundled codebook differs from the repository's: "
        "cp codebooks/regionale-koers-u16.yaml src/quickscan/data/regionale-koers-u16.yaml"
    )


@pytest.mark.parametrize("name", ["regionale-koers-u16.yaml", "monitor-uitdagingen.yaml"])
def test_codebook_shipped_codebooks_load_and_round_trip(name):
    path = REPO_CODEBOOKS / name
    if not path.exists():
        pytest.skip(f"codebooks/{name} not written yet")
    cb = load_codebook(path)
    assert Codebook.from_yaml(cb.to_yaml()) == cb


def test_codebook_default_is_the_bundled_copy():
    cb = load_codebook()
    assert cb.id == "regionale-koers-u16"
    assert cb.source.endswith("regionale-koers-u16.yaml")
    families = {f.id: f for f in cb.families}
    assert len(families["basisset"].codes) == 15
    assert families["basisset"].codes[-1].label == "Wonen"
    assert all(f.fallback is not None for f in cb.families if f.kind == "fact")


def test_codebook_loading_does_not_import_spacy():
    import subprocess
    import sys

    code = "import sys; from quickscan.codebook import load_codebook; load_codebook(); print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
