"""The ``quickscan`` command: a thin layer that parses arguments, calls the library and prints.

Exit codes: 0 fine, 1 problems in the input, 2 usage.

    quickscan demo                      # the bundled sample, T0 and T1
    quickscan init mystudy              # a commented starter study file
    quickscan report mystudy/study.yaml # the report of a study
    quickscan report forms/T0 --template t.yaml --codebook c.yaml --out out
    quickscan ingest data/T0 data/T1 --out combined.xlsx
    quickscan check forms/*.docx codebook.yaml --template t.yaml
    quickscan verify concept.docx --tables quickscan-out/tables.xlsx --out claims.xlsx
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import replace
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the program: see _ending
        _starting()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    import os
    import warnings

    from .errors import QuickscanError, UsageError

    shown, warnings.showwarning = warnings.showwarning, _show_warning
    terminate = _on_terminate()
    try:
        return args.run(args)
    except (FileNotFoundError, UsageError) as exc:
        print(f"quickscan: {exc}", file=sys.stderr)
        return 2
    except QuickscanError as exc:  # a codebook, template or review sheet with problems; an output not written
        print(f"quickscan: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: temporary files and the chart process are gone by now
        print("quickscan: stopped; nothing half-written is left (the files written before stay)", file=sys.stderr)
        return 130
    except MemoryError:
        print("quickscan: out of memory; read fewer files at once, or use a machine with more memory",
              file=sys.stderr)
        return 1
    except OSError as exc:  # not through atomic_write: still one line with the file and what went wrong
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"quickscan: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line, the traceback on demand
        if os.environ.get("QUICKSCAN_DEBUG"):
            raise
        print(f"quickscan: internal error {type(exc).__name__}: {exc}; please report it "
              "(run again with QUICKSCAN_DEBUG=1 for the details)", file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = shown
        if terminate is not None:
            signal.signal(signal.SIGTERM, terminate)
        if argv is None:  # the program ends next: see _ending
            _ending()


def _starting() -> None:
    """Collect garbage less often: a young-generation pass every 10,000 new objects instead of 700.

    A report makes millions of objects that live to its end (spaCy, pandas, the token tables);
    with Python's default the full passes over them took 0.3-0.4 s of a demo. Garbage that is
    not in a cycle is freed at once as ever; a cycle waits a little longer.
    """
    import gc

    gc.set_threshold(10_000, *gc.get_threshold()[1:])


def _ending() -> None:
    """Let the process end without the garbage collector going through everything it made.

    At exit Python collects all objects once more: after a report (the spaCy vocabulary, the
    token tables, the codings) that took 0.7-1 s, after the results were printed. Frozen, the
    objects are still freed as their modules are torn down; files are closed by then (outputs
    are written through ``atomic_write``) and the standard streams are flushed as usual.
    """
    import gc

    gc.freeze()


def _on_terminate():
    """Make SIGTERM (``kill``, a job scheduler stopping the run) end the run as Ctrl-C does: every
    ``finally`` runs, so no temporary file stays behind. Returns the handler it replaced."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings on one line, as ``quickscan: warning: ...`` (no source line)."""
    print(f"quickscan: warning: {message}", file=file or sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quickscan", description="Analyse structured quick-scan interviews.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the report of the bundled sample data (T0 and T1)")
    demo.add_argument("--out", type=Path, default=Path("quickscan-out"), help="output folder (default: %(default)s)")
    demo.add_argument("--svg", action="store_true", help="save the charts as SVG too (beside the 200 dpi PNG)")
    demo.add_argument("--reviewer", help="name kept on the review decisions when review.xlsx names nobody")
    demo.add_argument("--min-confidence", type=float, metavar="0-1",
                      help="a new review.xlsx leaves cells at least this confident to the rule")
    demo.add_argument("--refi", action="store_true",
                      help="also write project.qdpx and codebook.qdc for ATLAS.ti, MAXQDA, NVivo, QualCoder")
    demo.set_defaults(run=_demo)

    report = sub.add_parser("report", help="ingest, code and write the report tables, charts and review sheet")
    report.add_argument("data", type=Path, help="a study file (.yaml), or a folder (or workbook) with the forms of one "
                                                "wave, or of several")
    report.add_argument("--compare", type=Path, help="folder with the forms of the next wave (e.g. T1)")
    _template_option(report)
    report.add_argument("--codebook", type=Path, help="codebook YAML (default: the bundled Regionale koers, which "
                                                      "goes with the bundled template only)")
    report.add_argument("--aliases", type=Path, help="YAML file: name -> other ways it is written")
    report.add_argument("--families", nargs="+", help="family ids to report (default: all but the facts)")
    report.add_argument("--title", help="the reports' title (default: the template's)")
    report.add_argument("--out", type=Path, help="output folder (default: quickscan-out, or the study file's)")
    report.add_argument("--svg", action="store_const", const=True, help="save the charts as SVG too (beside the PNG)")
    report.add_argument("--refi", action="store_const", const=True,
                        help="also write project.qdpx and codebook.qdc for ATLAS.ti, MAXQDA, NVivo, QualCoder")
    report.add_argument("--reviewer", help="name kept on the review decisions when review.xlsx names nobody")
    report.add_argument("--min-confidence", type=float, metavar="0-1",
                        help="a new review.xlsx leaves cells at least this confident to the rule")
    report.set_defaults(run=_report)

    init = sub.add_parser("init", help="write a commented starter study file (study.yaml) into a folder")
    init.add_argument("folder", type=Path)
    init.set_defaults(run=_init)

    ingest = sub.add_parser("ingest", help="read forms and workbooks into one combined workbook")
    ingest.add_argument("data", nargs="+", type=Path, help="folders or files (.docx, .xlsx)")
    ingest.add_argument("--wave", help="wave of all files (default: from folder or file names)")
    _template_option(ingest)
    ingest.add_argument("--aliases", type=Path, help="YAML file: name -> other ways it is written")
    ingest.add_argument("--out", type=Path, help="write the combined workbook here (.xlsx)")
    ingest.add_argument("--include-personal", action="store_true",
                        help="keep the template's personal questions (names, phones, e-mail)")
    ingest.set_defaults(run=_ingest)

    verify = sub.add_parser("verify", help="check the counts in a Word draft against the report tables")
    verify.add_argument("draft", type=Path, help="the report draft (.docx)")
    verify.add_argument("--tables", type=Path, required=True,
                        help="tables.xlsx, the tables/ folder, or the output folder of quickscan report")
    verify.add_argument("--out", type=Path, help="write every claim to this .xlsx, with a column for notes")
    verify.add_argument("--wave", help="the wave the draft is about (default: from its headings and sentences, "
                                       "else the latest)")
    verify.add_argument("--codebook", type=Path, help="codebook YAML (default: the bundled Regionale koers)")
    verify.add_argument("--template", type=Path, help="template YAML: its unit name is counted too")
    verify.set_defaults(run=_verify)

    check = sub.add_parser("check", help="validate forms, workbooks, templates, codebooks and REFI-QDA files")
    check.add_argument("files", nargs="+", type=Path)
    _template_option(check, extra=" (forms and codebooks are checked against it)")
    check.set_defaults(run=_check)
    return parser


def _template_option(parser, extra: str = "") -> None:
    parser.add_argument("--template", type=Path,
                        help=f"template YAML of the interview format (default: the bundled U16 quick-scan){extra}")


def _template(args):
    from .template import default_template, load_template

    return load_template(args.template) if getattr(args, "template", None) else default_template()


def _read(paths: list[Path], *, wave=None, aliases=None, template=None):
    from .study import read_paths

    return read_paths(paths, wave=wave, aliases=aliases, template=template)


def sample_folder() -> Path:
    """The bundled sample data: ``data/sample`` of the working directory or of the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        folder = base / "data" / "sample"
        if (folder / "T0").is_dir():
            return folder
    raise FileNotFoundError("the sample data (data/sample/T0) was not found; run this from the quickscan checkout")


def _demo(args) -> int:
    from .study import Study

    sample = sample_folder()
    return _run(Study(data=(sample / "T0", sample / "T1"), families=("basisset", "uitgangspunten"), out=args.out,
                      svg=args.svg, refi=args.refi, reviewer=args.reviewer, min_confidence=args.min_confidence))


def _report(args) -> int:
    """A study file, or the data and flags; flags win over the file."""
    from .study import Study, load_study

    flags = {"template": args.template, "codebook": args.codebook, "aliases": args.aliases, "title": args.title,
             "families": args.families, "out": args.out, "svg": args.svg, "refi": args.refi,
             "reviewer": args.reviewer, "min_confidence": args.min_confidence}
    flags = {k: v for k, v in flags.items() if v is not None}
    if args.data.suffix.lower() in (".yaml", ".yml"):
        study = load_study(args.data, **flags)
        if args.compare:
            study = replace(study, data=(*study.data, args.compare), waves=(*study.waves, None))
    else:
        study = Study(data=(args.data, *([args.compare] if args.compare else [])), **flags)
    return _run(study)


def _run(study) -> int:
    """Run the report of a study and print what it wrote."""
    from .study import run_report

    report = run_report(study, echo=print)
    if not report.written:
        return 1
    out, template = study.out, report.corpus.template
    personal = ", ".join(str(q) for q in template.personal_questions)
    print(f"\nWritten to {out}/" + (f" (personal question(s) {personal} left out):" if personal else ":"))
    for path in report.written:
        print(f"  {path.relative_to(out) if path.is_relative_to(out) else path}")
    return report.status


def _verify(args) -> int:
    """Exit 0: no claim differs from the tables; 1: some claim differs; 2: unreadable input."""
    from .errors import QuickscanError
    from .verify import check_draft, describe, write_claims

    try:
        codebook = template = None
        if args.codebook:
            from .codebook import load_codebook

            codebook = load_codebook(args.codebook)
        if args.template:
            from .template import load_template

            template = load_template(args.template)
        claims = check_draft(args.draft, args.tables, codebook=codebook, template=template, wave=args.wave)
        print(describe(claims))
        if args.out:
            print(f"\nwritten: {write_claims(claims, args.out)}")
    except (QuickscanError, OSError) as exc:
        print(f"quickscan: {exc}", file=sys.stderr)
        return 2
    return 1 if (claims["verdict"] == "differs").any() else 0


def _init(args) -> int:
    from .study import write_starter

    path = write_starter(args.folder)
    print(f"written: {path}\nEdit it, then run: quickscan report {path}")
    return 0


def _ingest(args) -> int:
    corpus = _read(args.data, wave=args.wave, aliases=args.aliases, template=_template(args))
    print(corpus.summary())
    if args.out:
        from .ingest import write_excel

        print(f"\nwritten: {write_excel(corpus, args.out, include_personal=args.include_personal)}")
    return 1 if len(corpus.errors) else 0


def _check(args) -> int:
    from .corpus import problem_summary
    from .errors import QuickscanError

    status = 0
    template = _template(args)
    checkers = {".yaml": _check_yaml, ".yml": _check_yaml, ".qdpx": _check_refi, ".qdc": _check_refi}
    forms = [p for p in args.files if p.suffix.lower() not in checkers]
    for path in args.files:
        if path.suffix.lower() in checkers:
            try:
                kind = checkers[path.suffix.lower()](path, template)
                print(f"{path}: valid {kind}")
            except QuickscanError as exc:
                print(exc)
                status = 1
    if forms:
        corpus = _read(forms, template=template)
        print(problem_summary(corpus.problems))
        if len(corpus.problems[corpus.problems.severity.isin(["error", "warning"])]):
            status = 1
    return status


def _check_refi(path: Path, template) -> str:
    """Read a REFI-QDA codebook or project; says what it holds."""
    from .refi import read_qdc, read_qdpx

    if path.suffix.lower() == ".qdc":
        codebook = read_qdc(path)
        return f"REFI-QDA codebook ({len(codebook.families)} families, {len(codebook.codes)} codes)"
    project = read_qdpx(path)
    return f"REFI-QDA project ({len(project.codings)} codings)"


def _check_yaml(path: Path, template) -> str:
    """A codebook (checked against ``template``), a study file, or a template."""
    from ._io import read_yaml

    data = read_yaml(path)
    if isinstance(data, dict) and "data" in data and "questions" not in data:
        from .study import load_study

        study = load_study(path)
        study.read_codebook(study.read_template())
        return "study file"
    if isinstance(data, dict) and "families" in data:
        from .codebook import load_codebook

        load_codebook(path, template=template)
        return f"codebook (for template {template.name!r})"
    from .template import load_template

    load_template(path)
    return "template"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
