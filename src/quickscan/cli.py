"""The ``quickscan`` command: a thin layer that parses arguments, calls the library and prints.

Exit codes: 0 fine, 1 problems in the input, 2 usage.

    quickscan demo                      # the bundled sample, T0 and T1
    quickscan ingest data/T0 data/T1 --out combined.xlsx
    quickscan check forms/*.docx codebook.yaml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except FileNotFoundError as exc:
        print(f"quickscan: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quickscan", description="Analyse structured quick-scan interviews.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the report of the bundled sample data (T0 and T1)")
    demo.add_argument("--out", type=Path, default=Path("quickscan-out"), help="output folder (default: %(default)s)")
    demo.set_defaults(run=_demo)

    report = sub.add_parser("report", help="ingest, code and write the report tables, charts and review sheet")
    report.add_argument("data", type=Path, help="folder (or workbook) with the forms of one wave, or of several")
    report.add_argument("--compare", type=Path, help="folder with the forms of the next wave (e.g. T1)")
    report.add_argument("--codebook", type=Path, help="codebook YAML (default: the bundled Regionale koers)")
    report.add_argument("--aliases", type=Path, help="YAML file: pilot name -> other ways it is written")
    report.add_argument("--families", nargs="+", help="family ids to report (default: all but the facts)")
    report.add_argument("--out", type=Path, default=Path("quickscan-out"), help="output folder (default: %(default)s)")
    report.set_defaults(run=_report)

    ingest = sub.add_parser("ingest", help="read forms and workbooks into one combined workbook")
    ingest.add_argument("data", nargs="+", type=Path, help="folders or files (.docx, .xlsx)")
    ingest.add_argument("--wave", help="wave of all files (default: from folder or file names)")
    ingest.add_argument("--aliases", type=Path, help="YAML file: pilot name -> other ways it is written")
    ingest.add_argument("--out", type=Path, help="write the combined workbook here (.xlsx)")
    ingest.add_argument("--include-personal", action="store_true", help="keep question 3 (names, phones, e-mail)")
    ingest.set_defaults(run=_ingest)

    check = sub.add_parser("check", help="validate forms, workbooks, templates and codebooks")
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
    from .coding import code_corpus, present
    from .corpus import combine
    from .review import apply_review, read_review_sheet, write_review_sheet

    corpus = _read([args.data], aliases=args.aliases)
    if args.compare:
        corpus = combine([corpus, _read([args.compare])], aliases=args.aliases)
    print(corpus.summary())
    if corpus.answers.empty:
        return 1
    codebook = load_codebook(args.codebook) if args.codebook else default_codebook()
    codings = code_corpus(corpus, codebook)
    print(f"\nSelective coding with {codebook.name!r}: {len(codings)} codings ({int(codings['negated'].sum())} negated)")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    review = out / "review.xlsx"
    if review.exists():  # the researchers' decisions win, and their sheet is never overwritten
        codings, placed = apply_review(codings, read_review_sheet(review), corpus=corpus, codebook=codebook)
        print(f"Review decisions applied from {review}: {len(placed)}")
    families = args.families or [f.id for f in codebook.families if f.kind != "fact"]
    written = _write_report(out, codings, corpus, codebook, families)
    if not review.exists():
        written.append(write_review_sheet(codings, review, corpus=corpus, codebook=codebook))
    first = families[0] if families else None
    if first:
        print(_pilots_per_code(present(codings), codebook, first))
    print(f"\nWritten to {out}/ (question 3 left out):")
    for path in written:
        print(f"  {path.relative_to(out) if path.is_relative_to(out) else path}")
    return 1 if len(corpus.errors) else 0


def _write_report(out: Path, codings, corpus, codebook, families: list[str]) -> list[Path]:
    from .charts import plot_matrix, plot_totals, plot_waves, save_chart
    from .export import write_csv_tables, write_docx, write_xlsx

    waves = list(corpus.waves)
    compare = (waves[0], waves[-1]) if len(waves) > 1 else None
    written = [write_xlsx(out / "tables.xlsx", codings, corpus, codebook=codebook, families=families)]
    for wave in waves:
        name = "report.docx" if wave == waves[-1] else f"report-{wave}.docx"
        written.append(write_docx(out / name, codings, corpus, codebook=codebook, families=families, wave=wave,
                                  compare=compare if wave == waves[-1] else None))
    written += write_csv_tables(out / "tables", codings, corpus, codebook=codebook, families=families)
    written.append(_write_csv(codings, out / "codings.csv"))
    charts = out / "charts"
    for family in families:
        for wave in waves:
            written += save_chart(plot_totals(codings, corpus, family=family, wave=wave, codebook=codebook),
                                  charts / f"{family}-{wave}-totaal")
            written += save_chart(plot_matrix(codings, corpus, family=family, wave=wave, codebook=codebook),
                                  charts / f"{family}-{wave}-matrix")
        if compare:
            written += save_chart(plot_waves(codings, corpus, family=family, before=compare[0], after=compare[1],
                                             codebook=codebook), charts / f"{family}-{compare[0]}-{compare[1]}")
    return written


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
    forms = [p for p in args.files if p.suffix.lower() not in (".yaml", ".yml")]
    for path in args.files:
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                kind = _check_yaml(path)
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
