"""A study file and the library function behind ``quickscan report``."""

from __future__ import annotations

import pytest

from quickscan.errors import StudyError, UsageError
from quickscan.study import Study, load_study, run_report
from tests.conftest import SAMPLE


def test_study_file_paths_are_relative_to_the_file(tmp_path):
    study_file = tmp_path / "studie" / "study.yaml"
    study_file.parent.mkdir()
    study_file.write_text("data:\n  T0: forms/T0\n  T1: forms/T1\ncodebook: cb.yaml\nfamilies: [a, b]\n"
                          "title: Mijn studie\nsvg: true\n", encoding="utf-8")
    study = load_study(study_file, out="elders")
    assert study.data == (study_file.parent / "forms" / "T0", study_file.parent / "forms" / "T1")
    assert study.waves == ("T0", "T1")
    assert study.codebook == study_file.parent / "cb.yaml"
    assert study.families == ("a", "b") and study.svg and study.title == "Mijn studie"
    assert str(study.out) == "elders"  # a keyword (a flag) overrides the file


@pytest.mark.parametrize(
    "text, key",
    [("dta: forms\n", "dta"), ("data: 3\n", "data"), ("svg: ja\n", "svg"), ("families: basisset\n", "families"),
     ("- a\n- b\n", None), ("data: [\n", None)],
)
def test_study_file_errors_name_file_and_key(tmp_path, text, key):
    study_file = tmp_path / "study.yaml"
    study_file.write_text(text, encoding="utf-8")
    with pytest.raises(StudyError) as exc:
        load_study(study_file)
    assert "study.yaml" in str(exc.value)
    if key:
        assert key in str(exc.value)


def test_study_run_report_returns_the_files_written(tmp_path):
    study = Study(data=(SAMPLE / "T0",), families=("uitgangspunten",), out=tmp_path)
    lines = []
    report = run_report(study, echo=lines.append)
    names = {p.relative_to(tmp_path).as_posix() for p in report.written}
    assert {"tables.xlsx", "report.docx", "codings.csv", "review.xlsx",
            "charts/uitgangspunten-T0-totaal.png"} <= names
    assert all(p.exists() for p in report.written)
    assert report.status == 0 and report.families == ("uitgangspunten",)
    assert "T0: 15 pilots" in lines[0]


def test_study_unknown_family_is_a_usage_error_before_any_work(tmp_path):
    with pytest.raises(UsageError, match="no family"):
        run_report(Study(data=(SAMPLE / "T0",), families=("nope",), out=tmp_path / "out"))
    assert not (tmp_path / "out").exists()
