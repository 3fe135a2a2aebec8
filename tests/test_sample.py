"""The bundled sample: every answer of the YAML source comes out of the Word forms and the workbooks."""

from __future__ import annotations

import re

import pytest

from quickscan.corpus import pilot_id
from quickscan.ingest import read_excel, read_folder
from tests.conftest import SAMPLE


def _same_paragraphs(text: str) -> str:
    """Word has no blank line between a paragraph and a list that follows it."""
    return re.sub(r"\n\n(?=- |\d+\. )", "\n", text)


@pytest.fixture(scope="module")
def sources():
    from render_sample import load_sources

    return load_sources(SAMPLE / "source")


@pytest.mark.parametrize("wave", ["T0", "T1"])
@pytest.mark.parametrize("reader", ["docx", "xlsx"])
def test_sample_every_source_answer_is_read_back(sources, wave, reader):
    corpus = (read_folder(SAMPLE / wave) if reader == "docx"
              else read_excel(SAMPLE / "workbooks" / f"quickscan-{wave}.xlsx"))
    assert corpus.errors.empty
    expected = {
        (pilot_id(s[wave.lower()]["name"]), int(q)): _same_paragraphs(str(a or "").strip())
        for s in sources if s.get(wave.lower()) for q, a in s[wave.lower()]["answers"].items()
    }
    got = {(r.pilot_id, r.question): _same_paragraphs(r.answer)
           for r in corpus.answers.dropna(subset=["question"]).itertuples()}
    assert got == expected


def test_sample_t1_has_the_changes_of_a_year(sources):
    corpus = read_folder(SAMPLE)
    t0, t1 = (set(corpus.pilots[corpus.pilots.wave == w].pilot_id) for w in ("T0", "T1"))
    assert len(t0) == 15 and len(t1) == 16 and len(t1 - t0) == 1  # one new pilot
    names = corpus.pilots.groupby("pilot_id").pilot.nunique()
    assert (names > 1).sum() == 1  # one pilot written differently, still one id
    assert corpus.errors.empty


def test_sample_forms_use_at_least_three_layouts_and_only_reserved_email_domains():
    from render_sample import layout_for

    assert len({layout_for(i, w) for i in range(15) for w in ("T0", "T1")}) == 5
    text = "\n".join(p.read_text("utf-8") for p in (SAMPLE / "source").glob("*.yaml"))
    domains = set(re.findall(r"@([\w.-]+)", text))
    assert domains <= {"example.org", "example.com", "example.net"}


@pytest.mark.slow
def test_sample_rendering_twice_gives_identical_forms(tmp_path):
    from render_sample import render

    (tmp_path / "source").symlink_to(SAMPLE / "source")
    render(tmp_path)
    for form in sorted((tmp_path / "T0").glob("*.docx")):
        assert form.read_bytes() == (SAMPLE / "T0" / form.name).read_bytes(), form.name
    for wave in ("T0", "T1"):
        book = f"workbooks/quickscan-{wave}.xlsx"
        assert read_excel(tmp_path / book).content().equals(read_excel(SAMPLE / book).content())
