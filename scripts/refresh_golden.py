"""Rewrite the golden files of the matrices: the report tables of the bundled sample as CSV.

    python scripts/refresh_golden.py          # rewrite tests/golden/<family>-<wave>.csv
    python scripts/refresh_golden.py --check  # only say which files differ (exit 1 if any)

``tests/test_matrices.py`` compares :func:`quickscan.matrices.code_matrix` on the sample
with these files. After a deliberate change (codebook, coding rules, table layout) run this
script and review the diff of ``tests/golden/`` like any other change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
FAMILIES = ("basisset", "uitgangspunten")
WAVES = ("T0", "T1")


def golden_tables(sample: Path = ROOT / "data" / "sample") -> dict[str, str]:
    """File name -> CSV text of every golden table (pure: reads the sample, writes nothing)."""
    from quickscan.coding import code_corpus
    from quickscan.ingest import read_folder
    from quickscan.matrices import code_matrix

    corpus = read_folder(sample)
    codings = code_corpus(corpus)
    return {
        f"{family}-{wave}.csv": to_csv(code_matrix(codings, corpus, family=family, wave=wave))
        for family in FAMILIES
        for wave in WAVES
    }


def to_csv(table) -> str:
    """The CSV text of a table as stored in a golden file."""
    return table.to_csv(lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ")
    args = parser.parse_args(argv)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    differ = []
    for name, text in golden_tables().items():
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
