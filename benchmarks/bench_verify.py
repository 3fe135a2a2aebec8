"""Benchmark and quality of ``quickscan verify`` (:func:`quickscan.verify.check_draft`).

    python benchmarks/bench_verify.py              # quality on the annotated drafts, time for 40 pages
    python benchmarks/bench_verify.py --pages 40 100 --runs 5

Quality: the annotated drafts of ``scripts/verify_drafts.py`` (``DRAFT_A`` written with the
code, ``DRAFT_B`` and ``DRAFT_C`` written afterwards and annotated before their first run) are
checked against their
fictional tables; printed are the claims found and the precision and recall of ``differs``.

Speed: a draft of N pages (~450 words a page: the annotated drafts repeated, with their
headings, lists, tables, captions and text boxes) is written to a temporary folder and
checked against ``tables.xlsx``: cold (first call in a fresh process: tables, codebook and
the lemma table loaded) and warm (median of ``--runs`` further calls). Goal: a 40-page draft
in well under 10 s cold.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))

import verify_drafts as vd  # noqa: E402

WORDS_PER_PAGE = 450


def words(items) -> int:
    return sum(len((t if isinstance(t, str) else " ".join(" ".join(r) for r in t)).split()) for _, t, _ in items)


def quality(folder: Path) -> None:
    from quickscan.verify import check_draft

    tables = vd.write_tables_xlsx(folder / "tables.xlsx")
    print("quality on the annotated drafts (tables: 15 pilots in T0, 16 in T1)")
    for name in ("DRAFT_A", "DRAFT_B", "DRAFT_C"):
        items = getattr(vd, name)
        claims = check_draft(vd.write_draft(folder / f"{name}.docx", items), tables)
        s = vd.score(claims, items)
        print(f"  {name}: {s['claims found']} claims found ({s['annotated claims found']} of "
              f"{s['annotated claims']} annotated, {s['not annotated']} not annotated), verdict as annotated "
              f"{s['verdict as annotated']}/{s['annotated claims']}; differs: {s['differs found']} found, "
              f"{s['differs right']} right of {s['differs annotated']} -> precision {s['precision differs']:.2f}, "
              f"recall {s['recall differs']:.2f}")


_COLD = """
import sys, time
sys.path.insert(0, {src!r})
t = time.perf_counter()
from quickscan.verify import check_draft
claims = check_draft({draft!r}, {tables!r})
print(time.perf_counter() - t, len(claims))
"""


def speed(folder: Path, pages: int, runs: int) -> None:
    from quickscan.verify import check_draft

    items = vd.DRAFT_A + vd.DRAFT_B + vd.DRAFT_C
    repeat = max(1, round(pages * WORDS_PER_PAGE / words(items)))
    draft = vd.write_draft(folder / f"draft-{pages}p.docx", items, repeat=repeat)
    tables = folder / "tables.xlsx"
    n_words = words(items) * repeat
    out = subprocess.run([sys.executable, "-c", _COLD.format(src=str(ROOT / "src"), draft=str(draft),
                                                              tables=str(tables))],
                         capture_output=True, text=True, check=True).stdout.split()
    cold, n_claims = float(out[0]), int(out[1])
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        check_draft(draft, tables)
        times.append(time.perf_counter() - t)
    print(f"  {pages} pages ({n_words:,} words, {draft.stat().st_size / 1024:.0f} KiB, {n_claims} claims): "
          f"cold {cold:.2f} s (fresh process, imports included), warm median {statistics.median(times):.2f} s "
          f"({n_words / statistics.median(times):,.0f} words/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[40])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        quality(folder)
        print("time to check a draft against tables.xlsx")
        for pages in args.pages:
            speed(folder, pages, args.runs)


if __name__ == "__main__":
    main()
