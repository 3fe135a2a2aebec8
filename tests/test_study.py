"""A study file and the library function behind ``quickscan report``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from quickscan.errors import StudyError, UsageError
from quickscan.study import Study, load_study, run_report
from tests.conftest import ROOT, SAMPLE


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


def test_study_kept_data_makes_the_same_tables_and_files_without_the_texts(tmp_path):
    """The second process gets the codings and the pilots of each wave, not the answers' texts:
    every table, chart and file it makes is the one made from the whole data."""
    from quickscan.coding import code_corpus
    from quickscan.export import write_csv_tables
    from quickscan.ingest import read_folder
    from quickscan.matrices import code_matrix
    from quickscan.study import _kept_data

    corpus = read_folder(SAMPLE)
    codings = code_corpus(corpus)
    codings.loc[codings.index[:40], "negated"] = ~codings["negated"].iloc[:40]  # some not present
    kept_codings, slim = _kept_data(codings, corpus)
    assert kept_codings is codings and set(slim.answers["answer"]) == {""}
    assert slim.waves == corpus.waves and slim.pilots[["nr", "pilot_id", "wave", "pilot"]].equals(
        corpus.pilots[["nr", "pilot_id", "wave", "pilot"]])
    for family in ("basisset", "themas"):
        for wave in corpus.waves:
            assert code_matrix(codings, slim, family=family, wave=wave).equals(
                code_matrix(codings, corpus, family=family, wave=wave))
    whole = write_csv_tables(tmp_path / "whole", codings, corpus)
    kept = write_csv_tables(tmp_path / "kept", codings, slim)
    assert [p.read_bytes() for p in whole] == [p.read_bytes() for p in kept]
    chart_codings, _ = _kept_data(codings, corpus, whole=False)  # too many codings to copy: the charts' part
    assert "evidence" not in chart_codings and code_matrix(chart_codings, slim, family="basisset", wave="T1").equals(
        code_matrix(codings, corpus, family="basisset", wave="T1"))


def _report_beside(pool, tmp_path, monkeypatch):
    """The basisset report of the sample's T0, with ``pool`` as its second process (None: the real
    one); the report and the names of the files it wrote."""
    from quickscan import study as study_module

    @contextmanager
    def given():
        yield pool

    if pool is not None:
        monkeypatch.setattr(study_module, "_chart_pool", given)
    report = run_report(Study(data=(SAMPLE / "T0",), families=("basisset",), out=tmp_path / "out"))
    return report, {p.relative_to(tmp_path / "out").as_posix() for p in report.written}


def test_study_too_many_codings_to_copy_are_written_here(tmp_path, monkeypatch):
    from quickscan import study as study_module

    monkeypatch.setattr(study_module, "_KEPT_CODINGS", 10)
    report, names = _report_beside(None, tmp_path, monkeypatch)
    assert {"codings.csv", "tables/basisset-T0.csv", "charts/basisset-T0-matrix.png"} <= names
    assert len(pd.read_csv(tmp_path / "out" / "codings.csv", encoding="utf-8-sig")) == len(report.codings)


def test_study_a_dead_second_process_leaves_its_files_to_this_one(tmp_path, monkeypatch):
    """Charts and files the second process could not make (killed, out of memory) are made here."""
    from tests.conftest import BrokenPool

    report, names = _report_beside(BrokenPool(), tmp_path, monkeypatch)
    assert {"codings.csv", "tables/basisset-T0.csv", "charts/basisset-T0-totaal.png", "report.docx"} <= names
    assert all(p.exists() for p in report.written)


def test_study_unknown_family_is_a_usage_error_before_any_work(tmp_path):
    with pytest.raises(UsageError, match="no family"):
        run_report(Study(data=(SAMPLE / "T0",), families=("nope",), out=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


# -- a second instrument, end to end ----------------------------------------------------------

MONITOR = ROOT / "data" / "monitor"
LEFTOVERS = re.compile(r"\bpilots?\b|\bpilotleider|vraag 3\b|\bstatus\b|regionale koers|basisset", re.IGNORECASE)
# The English column keys of the data model (codings, review sheet) are a contract shared by
# every instrument; they are not words of U16 and are taken out before the search.
_COLUMN_KEYS = re.compile(r"<t>pilot</t>|\"pilot\"|^pilot,|,pilot,", re.MULTILINE)


def _texts(out):
    """(file, member, text) of every output but the PNG images."""
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.suffix != ".png"):
        if path.suffix in (".docx", ".xlsx", ".qdpx"):
            with zipfile.ZipFile(path) as z:
                for member in z.namelist():
                    if member.endswith((".xml", ".txt", ".qde", ".rels")):
                        yield path, member, z.read(member).decode("utf-8")
        else:
            yield path, "", path.read_text("utf-8")


@pytest.mark.slow
def test_study_second_instrument_from_a_study_file_has_no_u16_leftovers(tmp_path, capsys):
    from quickscan.cli import main

    assert main(["report", str(MONITOR / "study.yaml"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "T0: 5 praktijken" in out and "T1: 6 praktijken" in out
    assert "personal question(s) 3 left out" in out
    kinds = {p.suffix for p in tmp_path.rglob("*") if p.is_file()}
    assert {".docx", ".xlsx", ".csv", ".svg", ".qdpx", ".qdc", ".png"} <= kinds
    found = [(str(path.relative_to(tmp_path)), member, hit.group())
             for path, member, text in _texts(tmp_path)
             for hit in LEFTOVERS.finditer(_COLUMN_KEYS.sub("", text))]
    assert found == []
    # the unit, the title and the status family (the phase) come from the template
    import docx

    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "report.docx")).paragraphs)
    assert "Monitor regionale praktijk: tabellen T1" in text
    assert "Tabellen en bevindingen van 6 praktijken in T1" in text
    assert "Praktijken waarvan de fase veranderde tussen T0 en T1:" in text
    qde = zipfile.ZipFile(tmp_path / "project.qdpx").read("project.qde").decode("utf-8")
    assert all(f'name="{v}"' in qde for v in ("regio", "fase", "partijen", "doelgroep"))
    assert "l.brink@example.org" not in qde and "Lotte Brink" not in "".join(t for *_, t in _texts(tmp_path))


def test_study_flags_without_a_study_file(tmp_path, capsys):
    from quickscan.cli import main

    args = ["report", str(MONITOR / "T1"), "--template", str(ROOT / "templates" / "monitor-uitdagingen.yaml"),
            "--codebook", str(ROOT / "codebooks" / "monitor-uitdagingen.yaml"), "--families", "fase",
            "--title", "Mijn monitor", "--out", str(tmp_path)]
    assert main(args) == 0
    import docx

    assert docx.Document(str(tmp_path / "report.docx")).paragraphs[0].text == "Mijn monitor: tabellen T1"


@pytest.mark.parametrize("template", [None, ROOT / "templates" / "monitor-uitdagingen.yaml"])
def test_study_forms_of_another_instrument_stop_the_report_before_writing(tmp_path, capsys, template):
    from quickscan.cli import main

    if template is None:  # monitor forms read with the bundled U16 template
        args = ["report", str(MONITOR / "T0")]
    else:  # U16 forms read with the monitor template
        args = ["report", str(SAMPLE / "T0"), "--template", str(template),
                "--codebook", str(ROOT / "codebooks" / "monitor-uitdagingen.yaml")]
    assert main([*args, "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "match too few questions of template" in err and "another instrument" in err
    assert "of its 20 questions" in err if template is None else "of its 12 questions" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_study_own_template_needs_its_codebook(tmp_path, capsys):
    from quickscan.cli import main

    args = ["report", str(MONITOR / "T0"), "--template", str(ROOT / "templates" / "monitor-uitdagingen.yaml")]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert "needs its codebook" in capsys.readouterr().err


def test_study_check_validates_a_codebook_against_the_template_in_use(capsys):
    from quickscan.cli import main

    u16 = str(ROOT / "codebooks" / "regionale-koers-u16.yaml")
    monitor = ROOT / "templates" / "monitor-uitdagingen.yaml"
    assert main(["check", u16]) == 0
    assert main(["check", u16, "--template", str(monitor)]) == 1
    assert "the template has 1-12" in capsys.readouterr().out
    assert main(["check", str(MONITOR / "study.yaml"), str(ROOT / "codebooks" / "monitor-uitdagingen.yaml"),
                 "--template", str(monitor)]) == 0


def test_study_init_writes_a_starter_that_loads_and_is_never_overwritten(tmp_path, capsys):
    from quickscan.cli import main

    (tmp_path / "T0").mkdir()
    (tmp_path / "T1").mkdir()
    assert main(["init", str(tmp_path)]) == 0
    study = load_study(tmp_path / "study.yaml")
    assert study.waves == ("T0", "T1") and study.data == (tmp_path / "T0", tmp_path / "T1")
    assert study.out == tmp_path / "quickscan-out" and study.template is None
    before = (tmp_path / "study.yaml").read_text("utf-8")
    assert main(["init", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert (tmp_path / "study.yaml").read_text("utf-8") == before


# -- process hygiene ---------------------------------------------------------------------------------



def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie nobody reaps is gone too


@pytest.mark.skipif(not Path("/proc").is_dir() or (os.cpu_count() or 1) < 2, reason="Linux, two cores: a chart process")
def test_study_chart_process_dies_when_the_report_process_is_killed():
    code = ("import os, sys\nfrom quickscan.study import _chart_pool\nwith _chart_pool() as pool:\n"
            "    print(pool.submit(os.getpid).result(), flush=True)\n    os.kill(os.getpid(), 9)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("QUICKSCAN_SERIAL", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == -9
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the chart process outlived the killed report process"


@pytest.mark.skipif(not Path("/proc").is_dir() or (os.cpu_count() or 1) < 2, reason="Linux, two cores: a chart process")
def test_study_second_process_ended_once_its_jobs_are_done_but_never_before(tmp_path, monkeypatch):
    """At the end of a report the second process is ended (its jobs done) instead of tearing down
    its interpreter; a job still pending when the report ends is finished first."""
    from quickscan.study import _chart_pool

    monkeypatch.delenv("QUICKSCAN_SERIAL", raising=False)
    with _chart_pool() as pool:
        worker = pool.submit(os.getpid).result()
        processes = list(pool._processes.values())
    assert processes[0].exitcode == -signal.SIGTERM and not _alive(worker)
    with _chart_pool() as pool:
        pending = pool.submit(time.sleep, 0.5)  # nobody waits for it in the with block
    assert pending.done() and pending.exception() is None


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_study_sigterm_leaves_no_temporary_file(tmp_path):
    code = ("import signal, sys, time\nfrom pathlib import Path\nfrom quickscan import cli\nfrom quickscan._io import "
            "atomic_write\ncli._on_terminate()\ndef write(tmp):\n    Path(tmp).write_text('antwoorden')\n"
            "    print('ready', flush=True)\n    time.sleep(60)\n"
            f"try:\n    atomic_write({str(tmp_path / 'codings.csv')!r}, write)\nexcept KeyboardInterrupt:\n    sys.exit(130)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env) as child:
        assert child.stdout.readline().strip() == "ready"
        assert [p.name for p in tmp_path.iterdir()][0].endswith(".tmp")
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 130
    assert list(tmp_path.iterdir()) == []


def test_study_second_run_into_a_locked_folder_stops_with_a_message(tmp_path, capsys):
    from quickscan._io import output_lock
    from quickscan.cli import main
    from quickscan.errors import OutputError

    with output_lock(tmp_path):
        with pytest.raises(OutputError, match=r"another quickscan run \(pid \d+, started .*\) is writing"):
            run_report(Study(data=(SAMPLE / "T0",), families=("uitgangspunten",), out=tmp_path))
        assert main(["report", str(SAMPLE / "T0"), "--out", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if "quickscan:" in line]
        assert len(lines) == 1 and "Traceback" not in err
        assert "wait until it has finished, or write to another folder" in lines[0]
    with output_lock(tmp_path):  # released: the next run gets it
        pass


def test_study_stale_temporary_files_of_a_killed_run_are_removed(tmp_path):
    from quickscan._io import output_lock

    (tmp_path / "charts").mkdir()
    stale = [tmp_path / ".tables.xlsx.k3j_9xq2.tmp", tmp_path / "charts" / ".basisset-T0-totaal.png.abcdefgh.tmp"]
    for path in stale:
        path.write_text("antwoorden")
    (tmp_path / "notes.tmp").write_text("mine")  # not quickscan's: kept
    with output_lock(tmp_path) as removed:
        assert removed == 2
    assert not any(p.exists() for p in stale) and (tmp_path / "notes.tmp").exists()


def test_study_a_second_process_dead_from_the_start_leaves_everything_to_this_one(tmp_path, monkeypatch):
    """A pool whose process died refuses new jobs (``submit`` raises): reading, coding and writing go on here."""
    from concurrent.futures import BrokenExecutor

    from quickscan import coding, ingest

    class Refusing:
        def submit(self, *args):
            raise BrokenExecutor("the process died")

    monkeypatch.setattr(ingest, "_SPLIT_FILES", 2)
    monkeypatch.setattr(coding, "SPLIT_ANSWERS", 2)
    report, names = _report_beside(Refusing(), tmp_path, monkeypatch)
    assert {"codings.csv", "tables/basisset-T0.csv", "charts/basisset-T0-totaal.png", "report.docx"} <= names
    from quickscan.ingest import read_folder

    assert report.corpus.answers.equals(read_folder(SAMPLE / "T0").answers)


def test_study_files_the_second_process_has_not_started_are_written_here(tmp_path, monkeypatch):
    """codings.csv and tables/ still waiting in the second process when this one is done are taken back."""
    from concurrent.futures import Future

    from quickscan import study as study_module

    taken = []

    class Waiting:  # a pool that runs every job at once but the files, which it never starts
        def submit(self, function, *args):
            future: Future = Future()
            if function is study_module._write_kept:
                taken.append(args[0])
            else:
                future.set_result(function(*args))
            return future

    report, names = _report_beside(Waiting(), tmp_path, monkeypatch)
    assert {"codings.csv", "tables/basisset-T0.csv", "charts/basisset-T0-totaal.png"} <= names
    assert taken == list(study_module._KEPT_FILES) and all(p.exists() for p in report.written)
