"""Rewrite the golden files: the report tables of the bundled sample as CSV and the text of its Word report.

    python scripts/refresh_golden.py          # rewrite tests/golden/*.csv and tests/golden/report-*.txt
    python scripts/refresh_golden.py --check  # only say which files differ (exit 1 if any)

``tests/test_matrices.py`` compares :func:`quickscan.matrices.code_matrix` on the sample
with the CSV files, ``tests/test_export.py`` the text of :func:`quickscan.export.to_docx`
(paragraphs and table rows in document order) with the ``report-*.txt`` files. After a
deliberate change (codebook, coding rules, table layout, report wording) run this script and
review the diff of ``tests/golden/`` like any other change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
FAMILIES = ("basisset", "uitgangspunten")
WAVES = ("T0", "T1")


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REPORTS = {"report-T0.txt": None, "report-T0-T1.txt": ("T0", "T1")}  # file -> the waves compared


def sample_coding(sample: Path = ROOT / "data" / "sample"):
    """(codings, corpus) of the bundled sample, T0 and T1."""
    from quickscan.coding import code_corpus
    from quickscan.ingest import read_folder

    corpus = read_folder(sample)
    return code_corpus(corpus), corpus


def golden_tables(codings=None, corpus=None) -> dict[str, str]:
    """File name -> CSV text of every golden table (pure: reads the sample, writes nothing)."""
    from quickscan.matrices import code_matrix

    if codings is None:
        codings, corpus = sample_coding()
    return {
        f"{family}-{wave}.csv": to_csv(code_matrix(codings, corpus, family=family, wave=wave))
        for family in FAMILIES
        for wave in WAVES
    }


def golden_reports(codings=None, corpus=None) -> dict[str, str]:
    """File name -> text of the Word report of T0 (alone and compared with T1), without charts."""
    from quickscan.export import to_docx

    if codings is None:
        codings, corpus = sample_coding()
    return {name: document_text(to_docx(codings, corpus, wave="T0", charts=False, compare=compare))
            for name, compare in REPORTS.items()}


def document_text(doc) -> str:
    """Every paragraph and table row of the body, in document order, one per line."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines = []
    for child in doc.element.body.iterchildren():
        if child.tag == f"{W}p":
            lines.append(Paragraph(child, doc).text)
        elif child.tag == f"{W}tbl":
            lines.extend(" | ".join(cell.text for cell in row.cells) for row in Table(child, doc).rows)
    return "\n".join(lines) + "\n"


def to_csv(table) -> str:
    """The CSV text of a table as stored in a golden file."""
    return table.to_csv(lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ")
    args = parser.parse_args(argv)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    differ = []
    codings, corpus = sample_coding()
    for name, text in {**golden_tables(codings, corpus), **golden_reports(codings, corpus)}.items():
        path = GOLDEN / name
        old = path.read_text("utf-8") if path.exists() else None
        if old == text:
            continue
        differ.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8", newline="\n")
    verb = "differ" if args.check else "rewritten"
    print(f"{len(differ)} golden file(s) {verb}" + (": " + ", ".join(differ) if differ else ""))
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
