"""The ``quickscan`` command: a thin layer that parses arguments, calls the library and prints.

Exit codes: 0 fine, 1 problems in the input, 2 usage.

    quickscan demo                      # the bundled sample, T0 and T1
    quickscan ingest data/T0 data/T1 --out combined.xlsx
    quickscan check forms/*.docx codebook.yaml
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from .errors import QuickscanError

    try:
        return args.run(args)
    except FileNotFoundError as exc:
        print(f"quickscan: {exc}", file=sys.stderr)
        return 2
    except QuickscanError as exc:  # a codebook, template or review sheet with problems
        print(f"quickscan: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quickscan", description="Analyse structured quick-scan interviews.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the report of the bundled sample data (T0 and T1)")
    demo.add_argument("--out", type=Path, default=Path("quickscan-out"), help="output folder (default: %(default)s)")
    demo.add_argument("--svg", action="store_true", help="save the charts as SVG too (beside the 300 dpi PNG)")
    demo.add_argument("--refi", action="store_true",
                      help="also write project.qdpx and codebook.qdc for ATLAS.ti, MAXQDA, NVivo, QualCoder")
    demo.set_defaults(run=_demo)

    report = sub.add_parser("report", help="ingest, code and write the report tables, charts and review sheet")
    report.add_argument("data", type=Path, help="folder (or workbook) with the forms of one wave, or of several")
    report.add_argument("--compare", type=Path, help="folder with the forms of the next wave (e.g. T1)")
    report.add_argument("--codebook", type=Path, help="codebook YAML (default: the bundled Regionale koers)")
    report.add_argument("--aliases", type=Path, help="YAML file: pilot name -> other ways it is written")
    report.add_argument("--families", nargs="+", help="family ids to report (default: all but the facts)")
    report.add_argument("--out", type=Path, default=Path("quickscan-out"), help="output folder (default: %(default)s)")
    report.add_argument("--svg", action="store_true", help="save the charts as SVG too (beside the 300 dpi PNG)")
    report.add_argument("--refi", action="store_true",
                      help="also write project.qdpx and codebook.qdc for ATLAS.ti, MAXQDA, NVivo, QualCoder")
    report.set_defaults(run=_report)

    ingest = sub.add_parser("ingest", help="read forms and workbooks into one combined workbook")
    ingest.add_argument("data", nargs="+", type=Path, help="folders or files (.docx, .xlsx)")
    ingest.add_argument("--wave", help="wave of all files (default: from folder or file names)")
    ingest.add_argument("--aliases", type=Path, help="YAML file: pilot name -> other ways it is written")
    ingest.add_argument("--out", type=Path, help="write the combined workbook here (.xlsx)")
    ingest.add_argument("--include-personal", action="store_true", help="keep question 3 (names, phones, e-mail)")
    ingest.set_defaults(run=_ingest)

    check = sub.add_parser("check", help="validate forms, workbooks, templates, codebooks and REFI-QDA files")
    check.add_argument("files", nargs="+", type=Path)
    check.set_defaults(run=_check)
    return parser


def _read(paths: list[Path], *, wave=None, aliases=None):
    from .ingest import read_files, read_folder

    if len(paths) == 1 and paths[0].is_dir():
        return read_folder(paths[0], wave=wave, aliases=aliases)
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in (".docx", ".xlsx", ".doc", ".xls"))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return read_files(files, wave=wave, aliases=aliases)


def sample_folder() -> Path:
    """The bundled sample data: ``data/sample`` of the working directory or of the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        folder = base / "data" / "sample"
        if (folder / "T0").is_dir():
            return folder
    raise FileNotFoundError("the sample data (data/sample/T0) was not found; run this from the quickscan checkout")


def _demo(args) -> int:
    sample = sample_folder()
    args.data, args.compare, args.codebook, args.aliases = sample / "T0", sample / "T1", None, None
    args.families = ["basisset", "uitgangspunten"]
    return _report(args)


def _report(args) -> int:
    """Ingest, code, apply the review decisions found in the output folder, write everything."""
    from .codebook import default_codebook, load_codebook

    codebook = load_codebook(args.codebook) if args.codebook else default_codebook()
    families = args.families or [f.id for f in codebook.families if f.kind != "fact"]
    unknown = [f for f in families if f not in {fam.id for fam in codebook.families}]
    if unknown:  # a usage error, found before any work is done
        print(f"quickscan: no family {unknown} in codebook {codebook.id!r}; families: "
              f"{[f.id for f in codebook.families]}", file=sys.stderr)
        return 2
    with _chart_pool() as pool:  # the charts are drawn in a second process, while this one codes and writes
        return _report_with(args, codebook, families, pool)


def _report_with(args, codebook, families: list[str], pool) -> int:
    from .coding import code_corpus, present
    from .corpus import combine
    from .review import apply_review, read_review_sheet, write_review_sheet

    corpus = _read([args.data], aliases=args.aliases)
    if args.compare:
        corpus = combine([corpus, _read([args.compare])], aliases=args.aliases)
    print(corpus.summary())
    if corpus.answers.empty:
        return 1
    out, review = args.out, args.out / "review.xlsx"
    out.mkdir(parents=True, exist_ok=True)
    waves = list(corpus.waves)
    compare = (waves[0], waves[-1]) if len(waves) > 1 else None
    charts = _charts(families, waves, compare)
    with _progress(total=5 + 2 * args.refi + len(waves) + len(charts)) as bar:
        bar.set_postfix_str("coding")
        codings = code_corpus(corpus, codebook)
        coded = f"{len(codings)} codings ({int(codings['negated'].sum())} negated)"
        if review.exists():  # the researchers' decisions win, and their sheet is never overwritten
            codings, placed = apply_review(codings, read_review_sheet(review), corpus=corpus, codebook=codebook)
            coded += f"; {len(placed)} review decision(s) applied from {review.name}"
        bar.update()
        _submit(pool, _keep, codings, corpus, codebook)  # sent to the chart process once
        folder, formats = out / "charts", ("png", "svg") if args.svg else ("png",)
        drawn = {key: _submit(pool, _draw_chart, *chart, folder, formats) for key, chart in charts.items()}
        written = []
        for name, write in _writers(out, codings, corpus, codebook, families, waves, compare, drawn, args.refi):
            bar.set_postfix_str(name)
            result = write()
            written += result if isinstance(result, list) else [result]
            bar.update()
        if not review.exists():
            bar.set_postfix_str(review.name)
            written.append(write_review_sheet(codings, review, corpus=corpus, codebook=codebook))
        bar.update()
        if pool is not None:  # charts the chart process has not started yet are drawn here too
            _keep(codings, corpus, codebook)
            for key in reversed(drawn):
                if drawn[key].cancel():
                    drawn[key] = _submit(None, _draw_chart, *charts[key], folder, formats)
        for future in drawn.values():
            written += future.result()
            bar.update()
        _KEPT.clear()
    print(f"\nSelective coding with {codebook.name!r}: {coded}")
    if families:
        print(_pilots_per_code(present(codings), codebook, families[0]))
    print(f"\nWritten to {out}/ (question 3 left out):")
    for path in written:
        print(f"  {path.relative_to(out) if path.is_relative_to(out) else path}")
    return 1 if len(corpus.errors) else 0


def _charts(families: list[str], waves: list[str], compare) -> dict[tuple, tuple[str, dict, str]]:
    """key -> (plot function, its keywords, file name) of every chart of the report; the totals
    (embedded in the Word reports) first."""
    charts: dict[tuple, tuple[str, dict, str]] = {}
    for family in families:
        for wave in waves:
            charts[family, wave] = ("plot_totals", {"family": family, "wave": wave}, f"{family}-{wave}-totaal")
    for family in families:
        if compare:
            charts[family, *compare] = ("plot_waves", {"family": family, "before": compare[0], "after": compare[1]},
                                        f"{family}-{compare[0]}-{compare[1]}")
        for wave in waves:
            charts[family, wave, "matrix"] = ("plot_matrix", {"family": family, "wave": wave},
                                              f"{family}-{wave}-matrix")
    return charts


def _writers(out: Path, codings, corpus, codebook, families, waves, compare, drawn, refi: bool = False):
    """(file name, function writing it) of every file of the report but the charts and review sheet.

    The Word reports embed the totals charts as drawn for ``charts/``: each chart is drawn once.
    """
    from .export import write_csv_tables, write_docx, write_xlsx

    yield "tables.xlsx", lambda: write_xlsx(out / "tables.xlsx", codings, corpus, codebook=codebook,
                                            families=families)
    for wave in waves:
        name = "report.docx" if wave == waves[-1] else f"report-{wave}.docx"
        yield name, lambda wave=wave, name=name: write_docx(
            out / name, codings, corpus, codebook=codebook, families=families, wave=wave,
            compare=compare if wave == waves[-1] else None,
            charts={(family, wave): drawn[family, wave].result()[0] for family in families})
    yield "tables/", lambda: write_csv_tables(out / "tables", codings, corpus, codebook=codebook, families=families)
    yield "codings.csv", lambda: _write_csv(codings, out / "codings.csv")
    if refi:
        from .refi import write_qdc, write_qdpx

        yield "project.qdpx", lambda: write_qdpx(corpus, codings, out / "project.qdpx", codebook=codebook)
        yield "codebook.qdc", lambda: write_qdc(codebook, out / "codebook.qdc")


_KEPT: dict = {}  # in the chart process: the codings, corpus and codebook of the report


def _keep(codings, corpus, codebook) -> None:
    _KEPT.update(codings=codings, corpus=corpus, codebook=codebook)


def _draw_chart(plot: str, kw: dict, name: str, folder: Path, formats) -> list[Path]:
    """Draw one chart of the kept data and save it as ``folder/name.png`` (and .svg)."""
    from . import charts

    ax = getattr(charts, plot)(_KEPT["codings"], _KEPT["corpus"], codebook=_KEPT["codebook"], **kw)
    return charts.save_chart(ax, folder / name, formats=formats)


def _warm_up() -> None:
    """Import what the charts need, while the main process reads and codes."""
    from . import charts

    charts._mpl()


@contextmanager
def _chart_pool():
    """A process for the charts on a machine with more than one core (None otherwise)."""
    import os

    if (os.cpu_count() or 1) < 2 or os.environ.get("QUICKSCAN_SERIAL"):
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # one worker: the jobs run in order in one process, which keeps the data sent first
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_warm_up)
        yield pool


def _submit(pool, function, *args):
    """``pool.submit(function, *args)``, or the finished result without a pool."""
    from concurrent.futures import Future

    if pool is not None:
        return pool.submit(function, *args)
    future: Future = Future()
    future.set_result(function(*args))
    return future


def _progress(total: int):
    """A progress bar of the report's steps on a terminal (none when the output is a file)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="report", unit="step", disable=not sys.stderr.isatty(), leave=False)


def _pilots_per_code(codings, codebook, family: str) -> str:
    """A small text table: per code of a family, the number of pilots per wave."""
    part = codings[codings["family"] == family]
    waves = sorted(codings["wave"].unique())
    counts = part.groupby(["code", "wave"])["pilot_id"].nunique()
    width = max(len(c.label) for c in codebook.codes_of(family))
    lines = [f"  {'pilots per code (' + family + ')':<{width}}  " + "  ".join(f"{w:>3}" for w in waves)]
    for code in codebook.codes_of(family):
        row = "  ".join(f"{counts.get((code.id, w), 0):>3}" for w in waves)
        lines.append(f"  {code.label:<{width}}  {row}")
    return "\n".join(lines)


def _write_csv(frame, path: Path) -> Path:
    from ._io import atomic_write

    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def _ingest(args) -> int:
    corpus = _read(args.data, wave=args.wave, aliases=args.aliases)
    print(corpus.summary())
    if args.out:
        from .ingest import write_excel

        print(f"\nwritten: {write_excel(corpus, args.out, include_personal=args.include_personal)}")
    return 1 if len(corpus.errors) else 0


def _check(args) -> int:
    from .corpus import problem_summary
    from .errors import QuickscanError

    status = 0
    checkers = {".yaml": _check_yaml, ".yml": _check_yaml, ".qdpx": _check_refi, ".qdc": _check_refi}
    forms = [p for p in args.files if p.suffix.lower() not in checkers]
    for path in args.files:
        if path.suffix.lower() in checkers:
            try:
                kind = checkers[path.suffix.lower()](path)
                print(f"{path}: valid {kind}")
            except QuickscanError as exc:
                print(exc)
                status = 1
    if forms:
        corpus = _read(forms)
        print(problem_summary(corpus.problems))
        if len(corpus.problems[corpus.problems.severity.isin(["error", "warning"])]):
            status = 1
    return status


def _check_refi(path: Path) -> str:
    """Read a REFI-QDA codebook or project; says what it holds."""
    from .refi import read_qdc, read_qdpx

    if path.suffix.lower() == ".qdc":
        codebook = read_qdc(path)
        return f"REFI-QDA codebook ({len(codebook.families)} families, {len(codebook.codes)} codes)"
    project = read_qdpx(path)
    return f"REFI-QDA project ({len(project.codings)} codings)"


def _check_yaml(path: Path) -> str:
    import yaml

    from .errors import QuickscanError

    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuickscanError(path, f"not readable YAML: {exc}") from exc
    if isinstance(data, dict) and "families" in data:
        from .codebook import load_codebook

        load_codebook(path)
        return "codebook"
    from .template import load_template

    load_template(path)
    return "template"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
