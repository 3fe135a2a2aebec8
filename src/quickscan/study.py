"""A study: everything one report needs (template, codebook, data per wave, output), and the
function that makes the report from it.

The command line and a notebook call the same function: ``quickscan report study.yaml`` is
``run_report(load_study("study.yaml"))``. A :class:`Study` holds every option of a report
(one place); :func:`_writers` and ``_KEPT_FILES`` list every file a report writes.

>>> study = Study(data=("data/sample/T0",), families=("basisset",))
>>> study.out
PosixPath('quickscan-out')
>>> replace(study, svg=True).svg
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from os import PathLike
from pathlib import Path
from typing import Any

from ._io import make_output_folder, mark_output_folder, output_lock
from .errors import StudyError, UsageError, WrongTemplateError

__all__ = ["Study", "Report", "load_study", "run_report", "check_template_fit", "write_starter", "MIN_FIT"]

MIN_FIT = 0.5  # forms must match at least this share of the template's questions on average


@dataclass(frozen=True)
class Study:
    """Every option of a report. Paths are as given (a study file makes them absolute).

    ``data`` holds one folder or workbook per wave (or one with several waves); ``waves``
    optionally names the wave of each (else the wave comes from folder and file names).
    """

    data: tuple[Path, ...] = ()
    waves: tuple[str | None, ...] = ()
    template: Path | None = None
    codebook: Path | None = None
    aliases: Path | None = None
    families: tuple[str, ...] | None = None
    title: str | None = None  # default: the template's title
    unit: tuple[str, str] | None = None  # (singular, plural); default: the template's unit
    out: Path = Path("quickscan-out")
    svg: bool = False
    refi: bool = False
    reviewer: str | None = None  # the name kept on the review decisions read (when the sheet names nobody)
    min_confidence: float | None = None  # a new review sheet leaves cells this confident to the rule
    source: Path | None = field(default=None, compare=False)  # the study file, if any

    def __post_init__(self) -> None:
        def path(value):
            return None if value is None else Path(value)

        object.__setattr__(self, "data", tuple(Path(p) for p in self.data))
        object.__setattr__(self, "waves", tuple(self.waves) or (None,) * len(self.data))
        for name in ("template", "codebook", "aliases", "source"):
            object.__setattr__(self, name, path(getattr(self, name)))
        object.__setattr__(self, "out", Path(self.out))
        if self.families is not None:
            object.__setattr__(self, "families", tuple(self.families))
        if self.unit is not None:
            object.__setattr__(self, "unit", tuple(self.unit))
        if self.min_confidence is not None and not 0 <= self.min_confidence <= 1:
            raise UsageError(None, f"min_confidence must be a number from 0 to 1, not {self.min_confidence!r}")

    def read_template(self):
        """The template of the study (the bundled U16 one without ``template``), with the
        study's title and unit where it gives them."""
        from .template import Unit, default_template, load_template

        template = load_template(self.template) if self.template else default_template()
        if self.title:
            template = replace(template, title=self.title)
        if self.unit:
            template = replace(template, unit=Unit(*self.unit))
        return template

    def read_codebook(self, template):
        """The codebook of the study, checked against ``template``; the bundled one only
        goes with the bundled template."""
        from .codebook import default_codebook, load_codebook

        if self.codebook:
            return load_codebook(self.codebook, template=template)
        if self.template:
            raise UsageError(self.source or self.template,
                             "a study with its own template needs its codebook too (codebook: or --codebook)")
        return default_codebook()


@dataclass(frozen=True)
class Report:
    """What :func:`run_report` did: the files written (in order), the input's problems, and
    what was read and coded. ``status`` is 1 when an input file could not be read, else 0."""

    study: Study
    written: tuple[Path, ...]
    corpus: Any  # Corpus
    codings: Any  # DataFrame
    codebook: Any  # Codebook
    families: tuple[str, ...]
    coded: str = ""
    review: Any = None  # DataFrame: what became of each review decision (apply_review's report), if any

    @property
    def problems(self):
        return self.corpus.problems

    @property
    def status(self) -> int:
        return 1 if len(self.corpus.errors) or not self.written else 0


def load_study(path: str | PathLike[str], **overrides: Any) -> Study:
    """Read a study file (YAML); relative paths are relative to the file. Keywords override it.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "study.yaml").write_text("data: {T0: forms/T0}\\nout: uit\\n")
    >>> study = load_study(folder / "study.yaml", svg=True)
    >>> study.data[0] == folder / "forms" / "T0", study.waves, study.out == folder / "uit", study.svg
    (True, ('T0',), True, True)
    """
    from ._io import read_yaml

    path = Path(path)
    raw = read_yaml(path, error=StudyError, what="study file") or {}
    if not isinstance(raw, dict):
        raise StudyError(path, "a study file is a mapping of keys (template, codebook, data, out, ...)")
    known = {f.name for f in fields(Study)} - {"waves", "source"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise StudyError(path, f"unknown key(s) {unknown}; known keys: {sorted(known)}", place=unknown[0])
    base = path.parent
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "data":
            values["data"], values["waves"] = _data(path, value)
        elif key in ("template", "codebook", "aliases", "out"):
            if not isinstance(value, str):
                raise StudyError(path, f"expected a path, got {value!r}", place=key)
            values[key] = base / value
        elif key == "families":
            if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
                raise StudyError(path, "expected a list of family ids", place=key)
            values[key] = tuple(value)
        elif key == "unit":
            if not (isinstance(value, dict) and set(value) == {"singular", "plural"}
                    and all(isinstance(v, str) and v.strip() for v in value.values())):
                raise StudyError(path, "expected {singular: ..., plural: ...}", place=key)
            values[key] = (value["singular"].strip(), value["plural"].strip())
        elif key == "min_confidence":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise StudyError(path, f"expected a number from 0 to 1, got {value!r}", place=key)
            values[key] = float(value)
        elif key in ("svg", "refi"):
            if not isinstance(value, bool):
                raise StudyError(path, f"expected true or false, got {value!r}", place=key)
            values[key] = value
        else:
            if value is not None and not isinstance(value, str):
                raise StudyError(path, f"expected text, got {value!r}", place=key)
            values[key] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Study(**values, source=path)


def _data(path: Path, value: Any) -> tuple[tuple[Path, ...], tuple[str | None, ...]]:
    """``data:`` as a path, a list of paths, or a mapping wave -> path."""
    base = path.parent
    if isinstance(value, str):
        return (base / value,), (None,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(base / v for v in value), (None,) * len(value)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return tuple(base / v for v in value.values()), tuple(str(w) for w in value)
    raise StudyError(path, "expected a folder or workbook, a list of them, or wave: folder lines", place="data")


def run_report(study: Study, *, echo: Callable[[str], object] | None = None) -> Report:
    """Ingest, code, apply the review decisions found in the output folder, write everything.

    ``echo`` receives the lines to show as the work goes (the CLI passes ``print``).
    Raises :class:`~quickscan.errors.UsageError` (before any work) for an unknown family or
    missing data, and :class:`~quickscan.errors.WrongTemplateError` (before anything is
    written) when the forms match too few questions of the template.
    """
    echo = echo or (lambda line: None)
    if not study.data:
        raise UsageError(study.source, "no data: give a folder or workbook of forms")
    if study.out.exists() and not study.out.is_dir():  # found before any work
        raise UsageError(study.out, "is a file, not a folder; give a folder for the output (--out)")
    template = study.read_template()
    codebook = study.read_codebook(template)
    families = list(study.families or [f.id for f in codebook.families if f.kind != "fact"])
    unknown = [f for f in families if f not in {fam.id for fam in codebook.families}]
    if unknown:  # a usage error, found before any work is done
        raise UsageError(None, f"no family {unknown} in codebook {codebook.id!r}; families: "
                               f"{[f.id for f in codebook.families]}")
    with _chart_pool() as pool:  # a second process reads, codes and draws the charts with this one
        return _report_with(study, template, codebook, families, pool, echo)


def check_template_fit(corpus, *, minimum: float = MIN_FIT) -> None:
    """Raise :class:`~quickscan.errors.WrongTemplateError` when the files read match, on
    average, fewer than ``minimum`` of the template's questions (a file that was not
    recognised as a form at all counts as 0): the forms may belong to another instrument.

    >>> from quickscan.ingest import read_folder
    >>> check_template_fit(read_folder("data/sample/T0")) is None
    True
    """
    template = corpus.template
    a = corpus.answers
    found = a[a["question"].notna() & (a["location"] != "")]
    per_form = found.drop_duplicates(["pilot_id", "wave", "question"]).groupby(["pilot_id", "wave"]).size()
    rejected = corpus.problems[corpus.problems["code"] == "E106"]["source"].nunique()
    files = len(per_form) + rejected
    if not files:
        return
    mean = float(per_form.sum()) / files
    if mean >= minimum * len(template.questions):
        return
    raise WrongTemplateError(
        template.source, f"the forms match too few questions of template {template.name!r}: "
        f"on average {mean:.1f} of its {len(template.questions)} questions were recognised in {files} file(s)"
        + (f" ({rejected} not recognised as a form at all)" if rejected else "")
        + "; the forms may belong to another instrument: give its template (template: in the study "
          "file, or --template). Nothing was written.")


def _read_data(study: Study, template, executor=None):
    """The corpus of all waves of the study (half of the files read in ``executor``, if any)."""
    from .corpus import combine

    parts = [read_paths([path], wave=wave, template=template, aliases=study.aliases, executor=executor)
             for path, wave in zip(study.data, study.waves)]
    return parts[0] if len(parts) == 1 else combine(parts, aliases=study.aliases)


def read_paths(paths: list[Path], *, wave=None, template=None, aliases=None, executor=None):
    """One corpus of folders and files (a single folder is read with :func:`read_folder`)."""
    from .ingest import form_files, read_files, read_folder

    if len(paths) == 1 and paths[0].is_dir():
        return read_folder(paths[0], wave=wave, template=template, aliases=aliases, executor=executor)
    files, notes = [], []
    for path in paths:
        if path.is_dir():
            found, skipped = form_files(path)
            files += found
            notes += skipped
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return read_files(files, wave=wave, template=template, aliases=aliases, notes=notes, executor=executor)


def _report_with(study: Study, template, codebook, families: list[str], pool, echo) -> Report:
    from .privacy import find_personal_elsewhere, hide_personal_elsewhere

    corpus = _read_data(study, template, pool)
    if pool is not None:  # what the second process does next: code half of the answers, or draw the charts
        _submit(pool, _warm_up, "coding" if _split_coding(corpus) else "charts")
    echo(corpus.summary())
    check_template_fit(corpus)
    found = find_personal_elsewhere(corpus)
    if not found.empty:  # a contact row read as part of another answer: never into the outputs
        corpus = hide_personal_elsewhere(corpus, found)
        echo(f"personal data outside the personal questions ({len(found)} e-mail address(es), phone number(s) "
             f"or name(s), in {found['row'].nunique()} answer(s)) is pseudonymised in every output")
    if corpus.answers.empty:
        return Report(study, (), corpus, None, codebook, tuple(families))
    make_output_folder(study.out)
    mark_output_folder(study.out)  # a later run over a folder holding this one does not read it
    with output_lock(study.out) as stale:  # one run per folder; what a killed run left is removed
        if stale:
            echo(f"removed {stale} temporary file(s) a stopped run left in {study.out}")
        return _write_report(study, corpus, codebook, families, pool, echo)


def _write_report(study: Study, corpus, codebook, families: list[str], pool, echo) -> Report:
    from .coding import code_corpus, present
    from .review import apply_review, read_review_sheet, write_review_sheet

    out, review = study.out, study.out / "review.xlsx"
    waves = list(corpus.waves)
    compare = (waves[0], waves[-1]) if len(waves) > 1 else None
    charts = _charts(families, waves, compare)
    with _progress(total=5 + 2 * study.refi + len(waves) + len(charts)) as bar:
        bar.set_postfix_str("coding")
        codings = code_corpus(corpus, codebook, executor=pool)
        if pool is not None and _split_coding(corpus):
            _submit(pool, _warm_up, "charts")
        coded = f"{len(codings)} codings ({int(codings['negated'].sum())} negated)"
        placed = None
        if review.exists():  # the researchers' decisions win, and their sheet is never overwritten
            decisions = read_review_sheet(review, reviewer=study.reviewer)
            codings, placed = apply_review(codings, decisions, corpus=corpus, codebook=codebook)
        bar.update()
        whole = pool is None or len(codings) <= _KEPT_CODINGS
        kept = (*_kept_data(codings, corpus, whole), codebook)
        _submit(pool, _keep, *kept)  # sent to the second process once
        folder, formats = out / "charts", ("png", "svg") if study.svg else ("png",)
        totals = [key for key, chart in charts.items() if chart[0] == "_totals_chart"]  # the Word reports' first
        drawn = {key: _submit(pool, _draw_chart, *charts[key], folder, formats) for key in totals}
        drawn.update({key: _submit(pool, _draw_chart, *chart, folder, formats)
                      for key, chart in charts.items() if key not in drawn})
        # codings.csv and tables/ last in the second process's queue: this process takes them back
        # when it is done with its own files first (it draws charts only when many are left: it would
        # have to load matplotlib for them)
        data = (codings, kept[1], codebook)  # what _KEPT_FILES are written of, in this process
        files = {name: _submit(pool, _write_kept, name, out, families) if whole  # else written here
                 else _submit(None, _write_kept, name, out, families, data) for name in _KEPT_FILES}
        # worked out while the second process starts on the jobs above
        cells = None if review.exists() else _cells_to_review(study, codings, corpus, codebook, families)

        def chart(key) -> list[Path]:  # its files; drawn here when the second process died
            if drawn[key].exception() is not None:
                drawn[key] = _submit(None, _result, drawn[key], kept, _draw_chart, *charts[key], folder, formats)
            return drawn[key].result()

        written: list[Path] = []
        for name, write in _writers(study, codings, corpus, codebook, families, waves, compare, chart, cells):
            bar.set_postfix_str(name)
            result = write()
            written += result if isinstance(result, list) else [result]
            bar.update()
        if not review.exists():
            bar.set_postfix_str(review.name)
            written.append(write_review_sheet(codings, review, corpus=corpus, codebook=codebook, families=families,
                                              min_confidence=study.min_confidence, reviewer=study.reviewer,
                                              cells=cells))
        bar.update()
        for name in files:  # files the second process has not started yet are written here
            if files[name].cancel():
                files[name] = _submit(None, _write_kept, name, out, families, data)
        waiting = sum(1 for f in drawn.values() if not (f.running() or f.done()))
        if pool is not None and waiting >= _SHARE_CHARTS:  # charts the second process has not started yet
            _keep(*kept)  # are drawn here too, from the last one back
            for key in reversed(drawn):
                if drawn[key].cancel():
                    drawn[key] = _submit(None, _draw_chart, *charts[key], folder, formats)
        for name, future in files.items():
            written += _result(future, kept, _write_kept, name, out, families)
            bar.update()
        for key in drawn:
            written += chart(key)
            bar.update()
        _KEPT.clear()
    echo(f"\nSelective coding with {codebook.name!r}: {coded}")
    echo(review_message(placed, review))
    if families:
        echo(_pilots_per_code(present(codings), codebook, families[0], corpus.template.unit.plural))
    return Report(study, tuple(written), corpus, codings, codebook, tuple(families), coded, placed)


def _cells_to_review(study: Study, codings, corpus, codebook, families: list[str]):
    """The cells of a new review.xlsx, worked out once for it and its copy in tables.xlsx
    (the personal questions left out, as tables.xlsx does)."""
    from .export import without_personal
    from .review import review_cells

    return review_cells(without_personal(codings, corpus), corpus=corpus, codebook=codebook, families=families,
                        min_confidence=study.min_confidence)


def review_message(report, review: Path) -> str:
    """What became of every review decision, and where decisions are typed.

    >>> import pandas as pd
    >>> print(review_message(pd.DataFrame({"status": ["applied", "obsolete"], "code": ["wonen", "werk"],
    ...     "pilot_id": ["a", "b"], "wave": "T0", "decision": ["reject", "reject"], "message": ["", "gone"]}),
    ...     Path("uit/review.xlsx")))  # doctest: +NORMALIZE_WHITESPACE
    Review decisions from review.xlsx: 1 applied, 0 re-anchored, 1 obsolete, 0 conflicting
      obsolete: b T0 werk (reject): gone
    """
    from .review import OUTCOMES, review_outcomes

    if report is None:
        return (f"Review: type decisions in {review} (written now; tables.xlsx only shows them); "
                "the next run reads them and never overwrites that file.")
    counts = review_outcomes(report)
    line = (f"Review decisions from {review.name}: {counts['applied']} applied, {counts['re-anchored']} re-anchored, "
            f"{counts['obsolete']} obsolete, {counts['conflicting']} conflicting")
    if counts["by rule"]:
        line += f"; {counts['by rule']} cell(s) accepted by rule"
    lines = [line]
    for r in report.itertuples(index=False):
        outcome = OUTCOMES.get(r.status, "conflicting")
        if outcome in ("obsolete", "conflicting") or r.status == "re-anchored":
            lines.append(f"  {outcome}: {r.pilot_id} {r.wave} {r.code} ({r.decision}): {r.message}")
    return "\n".join(lines)


def _charts(families: list[str], waves: list[str], compare) -> dict[tuple, tuple[str, str, tuple, str]]:
    """key -> (chart, family, its waves, file name) of every chart of the report; the totals
    (embedded in the Word reports) first. A chart is a drawing function of :mod:`quickscan.charts`
    (that of ``plot_totals``, ``plot_waves``, ``plot_matrix``) given the tables of its waves."""
    charts: dict[tuple, tuple[str, str, tuple, str]] = {}
    for family in families:
        for wave in waves:
            charts[family, wave] = ("_totals_chart", family, (wave,), f"{family}-{wave}-totaal")
    for family in families:
        if compare:
            charts[family, *compare] = ("_waves_chart", family, compare, f"{family}-{compare[0]}-{compare[1]}")
        for wave in waves:
            charts[family, wave, "matrix"] = ("_matrix_chart", family, (wave,), f"{family}-{wave}-matrix")
    return charts


def _writers(study: Study, codings, corpus, codebook, families, waves, compare,
             chart, cells=None) -> Iterator[tuple[str, Callable[[], Path | list[Path]]]]:
    """(file name, function writing it) of every file of the report but the charts, the review sheet
    and the files of the kept data (``_KEPT_FILES``).

    The Word reports embed the totals charts as drawn for ``charts/``: each chart is drawn once
    (``chart(key)`` gives its files);
    ``cells``, the cells to review when already worked out, go into the copy in ``tables.xlsx``.
    """
    from .export import write_docx, write_xlsx

    out = study.out
    yield "tables.xlsx", lambda: write_xlsx(out / "tables.xlsx", codings, corpus, codebook=codebook,
                                            families=families, cells=cells)
    for wave in waves:
        name = "report.docx" if wave == waves[-1] else f"report-{wave}.docx"
        yield name, lambda wave=wave, name=name: write_docx(
            out / name, codings, corpus, codebook=codebook, families=families, wave=wave,
            compare=compare if wave == waves[-1] else None,
            charts={(family, wave): chart((family, wave))[0] for family in families})
    if study.refi:
        from .refi import write_qdc, write_qdpx

        yield "project.qdpx", lambda: write_qdpx(corpus, codings, out / "project.qdpx", codebook=codebook)
        yield "codebook.qdc", lambda: write_qdc(codebook, out / "codebook.qdc")


#: The report process draws charts too when at least this many are still waiting for the second
#: process: then they outweigh importing matplotlib here (about 1 s; a chart takes about 0.2 s).
_SHARE_CHARTS = 8
#: The files the second process writes from the kept data, besides the charts, up to ``_KEPT_CODINGS``
#: codings: beyond, it keeps only what the charts read (a copy of 2 M codings takes 1.4 GB).
_KEPT_FILES = ("codings.csv", "tables/")
_KEPT_CODINGS = 600_000
_KEPT: dict = {}  # in the second process: the codings, corpus and codebook of the report, the tables made


def _kept_data(codings, corpus, whole: bool = True):
    """The codings (``whole``, else only the columns the charts read: who has which code) and
    the corpus as far as the charts and ``_KEPT_FILES`` read them (the pilots table, not the
    answers' texts), sent to the second process."""
    if not whole:
        codings = codings[[c for c in ("pilot_id", "wave", "code", "negated", "source", "decision") if c in codings]]
    a = corpus.answers
    facts = a["question"].isin([q.number for q in corpus.template.fact_questions]).fillna(False).astype(bool)
    rows = a[~a.duplicated(["pilot_id", "wave"]) | facts]  # the rows of the pilots table, in their order
    return codings, replace(corpus, answers=rows.assign(answer="").reset_index(drop=True))


def _keep(codings, corpus, codebook) -> None:
    _KEPT.update(codings=codings, corpus=corpus, codebook=codebook, tables={})


def _write_kept(name: str, out: Path, families, data: tuple | None = None) -> list[Path]:
    """Write one of ``_KEPT_FILES`` of the kept data (or of ``data``: codings, corpus, codebook)."""
    from .export import write_csv_tables

    codings, corpus, codebook = data or (_KEPT["codings"], _KEPT["corpus"], _KEPT["codebook"])
    if name == "tables/":
        return write_csv_tables(out / "tables", codings, corpus, codebook=codebook, families=families)
    return [_write_csv(codings, out / name)]


def _result(future, kept, function, *args) -> list[Path]:
    """The future's result; when the second process died, its job done here on the ``kept`` data."""
    from ._io import result_or_here

    return result_or_here(future, _here, kept, function, *args)


def _here(kept, function, *args):
    """``function(*args)`` in this process, on the ``kept`` data (kept here first if need be)."""
    if not _KEPT:
        _keep(*kept)
    return function(*args)


def _draw_chart(chart: str, family: str, waves: tuple, name: str, folder: Path, formats) -> list[Path]:
    """Draw one chart of the kept data and save it as ``folder/name.png`` (and .svg). The table
    of a family and wave is made once for all its charts."""
    from . import charts
    from .matrices import _family, _family_part, code_matrix

    fam, tables = _family(_KEPT["codebook"], family), _KEPT["tables"]
    missing = [wave for wave in waves if (family, wave) not in tables]
    part = _family_part(_KEPT["codings"], fam) if missing else None  # looked for in all codings once
    for wave in missing:
        tables[family, wave] = code_matrix(part, _KEPT["corpus"], family=fam, wave=wave, codebook=_KEPT["codebook"])
    ax = getattr(charts, chart)(*(tables[family, w] for w in waves), fam.label, *waves, _KEPT["corpus"].template.unit)
    return charts.save_chart(ax, folder / name, formats=formats)


def _split_coding(corpus) -> bool:
    """Whether :func:`~quickscan.coding.code_corpus` codes half of the answers in the second process."""
    from .coding import SPLIT_ANSWERS

    return len(corpus.answers) >= SPLIT_ANSWERS


def _warm_up(what: str) -> None:
    """In the second process: load what its next job needs (the readers, the spaCy pipeline,
    matplotlib) while the main process is busy."""
    if what == "reading":
        from . import ingest  # noqa: F401
    elif what == "coding":
        from .coding import pipeline

        pipeline()
    else:  # the charts, and codings.csv and tables/ (_KEPT_FILES) of the export module
        from . import charts, export  # noqa: F401

        charts._rehearse()


@contextmanager
def _chart_pool():
    """A second process on a machine with more than one core (None otherwise): it reads half of
    the forms, codes half of the answers and draws the charts, while this one does the rest."""
    import os

    if (os.cpu_count() or 1) < 2 or os.environ.get("QUICKSCAN_SERIAL"):
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # one worker: the jobs run in order in one process, which keeps the data sent first
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_die_with_parent,
                               initargs=(os.getpid(),))
    try:
        pool.submit(_warm_up, "reading")  # the process starts now
        yield pool
    except BaseException:  # an error, Ctrl-C, SIGTERM: stop the charts now instead of drawing the rest
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    if getattr(pool, "_pending_work_items", None) == {}:  # every job done: nothing the process still owes
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()  # spares tearing down its interpreter (matplotlib, pandas: ~0.3 s)
    pool.shutdown(wait=True)


def _die_with_parent(parent: int) -> None:
    """In the chart process: end when the report process ends, however it ends (Ctrl-C, kill, out of memory).

    On Linux the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); everywhere a
    thread checks once a second that the parent is still there.
    """
    import os
    import signal
    import threading
    import time

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent:  # the parent died before this line
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="quickscan-parent-watch").start()


def _submit(pool, function, *args):
    """``pool.submit(function, *args)`` (a future that fails when the pool's process died), or
    the finished result without a pool."""
    from concurrent.futures import BrokenExecutor, Future

    if pool is not None:
        try:
            return pool.submit(function, *args)
        except BrokenExecutor as exc:
            future: Future = Future()
            future.set_exception(exc)
            return future
    future: Future = Future()
    future.set_result(function(*args))
    return future


def _progress(total: int):
    """A progress bar of the report's steps on a terminal (none when the output is a file)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="report", unit="step", disable=not sys.stderr.isatty(), leave=False)


def _pilots_per_code(codings, codebook, family: str, plural: str) -> str:
    """A small text table: per code of a family, the number of pilots (``plural``) per wave."""
    part = codings[codings["family"] == family]
    waves = sorted(codings["wave"].unique())
    counts = part.groupby(["code", "wave"])["pilot_id"].nunique()
    width = max(len(c.label) for c in codebook.codes_of(family))
    lines = [f"  {plural + ' per code (' + family + ')':<{width}}  " + "  ".join(f"{w:>3}" for w in waves)]
    for code in codebook.codes_of(family):
        row = "  ".join(f"{counts.get((code.id, w), 0):>3}" for w in waves)
        lines.append(f"  {code.label:<{width}}  {row}")
    return "\n".join(lines)


def _write_csv(frame, path: Path) -> Path:
    from ._io import write_csv

    return write_csv(frame, path, index=False)  # text a spreadsheet would evaluate starts with '


STARTER = """\
# A quickscan study: everything one report needs. Regenerate the report with
#     quickscan report {name}
# Paths are relative to this file. Options given on the command line win over this file.
# Quote a text that ends in '?' or holds ': ' ("Wat is het doel?"), as anywhere in YAML.

# The interview format (the questions) and the codebook. Leave both out for the bundled
# U16 quick-scan and its Regionale koers codebook; another instrument names both.
# template: template.yaml
# codebook: codebook.yaml

# The forms (Word .docx, Excel .xlsx): one folder or workbook per wave.
data:
{data}
# aliases: aliases.yaml        # name -> other ways it is written, to join the waves

# families: [uitdagingen]      # the codebook families to report (default: all but the facts)
# title: Mijn studie           # the reports' title (default: the template's title)
# unit: {{singular: project, plural: projecten}}   # default: the template's unit
out: quickscan-out             # the output folder
svg: false                     # the charts as SVG too
refi: false                    # project.qdpx and codebook.qdc for ATLAS.ti, MAXQDA, NVivo
"""


def write_starter(folder: str | PathLike[str], name: str = "study.yaml") -> Path:
    """Write a commented starter study file into ``folder``; its wave folders (``T0/``, ``T1/``)
    are filled in when they exist. An existing study file is never overwritten.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "T0").mkdir()
    >>> load_study(write_starter(folder)).waves
    ('T0',)
    """
    from ._io import atomic_write
    from .corpus import wave_from_name

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists():
        raise UsageError(path, "exists already; it is left as it is")
    waves = [(wave_from_name(p.name), p.name) for p in sorted(folder.iterdir()) if p.is_dir()]
    lines = [f"  {wave}: {sub}" for wave, sub in waves if wave] or ["  T0: forms/T0", "  # T1: forms/T1"]
    text = STARTER.format(name=path.name, data="\n".join(lines))
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
