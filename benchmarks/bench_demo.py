"""Benchmark: ``quickscan demo`` cold, the whole process, as the README's main command runs it.

    python benchmarks/bench_demo.py            # 3 runs with the chart process, 3 without
    python benchmarks/bench_demo.py --runs 5

Each run is a new Python process writing into an empty folder (nothing cached but the
operating system's file cache). Printed per mode: wall time (min and median), CPU time of
the process and its children, and peak memory of the largest process. Then the steps of
the main process, timed in this process (cold as well: this script imports nothing of
quickscan before).

Goal (issue 13): median under 4 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo(serial: bool) -> tuple[float, float, float]:
    """(wall s, cpu s, peak MiB) of one cold ``quickscan demo``."""
    env = dict(os.environ, QUICKSCAN_SERIAL="1" if serial else "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "quickscan.cli", "demo", "--out", out], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def steps() -> list[tuple[str, float]]:
    """Seconds per step of the main process (serial: the charts are timed here too)."""
    laps, last = [], time.perf_counter()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        laps.append((name, now - last))
        last = now

    import quickscan.cli  # noqa: F401 - what the command imports first
    from quickscan.codebook import default_codebook
    from quickscan.coding import code_corpus, pipeline
    from quickscan.export import write_docx, write_xlsx
    from quickscan.ingest import read_folder
    from quickscan.review import write_review_sheet
    from quickscan.study import _kept_data, _charts, _draw_chart, _keep

    lap("imports (pandas, openpyxl, python-docx)")
    corpus = read_folder(ROOT / "data" / "sample", progress=False)
    lap("ingest 31 forms")
    codebook = default_codebook()
    pipeline()
    lap("codebook + spaCy pipeline and lemma table")
    codings = code_corpus(corpus, codebook)
    lap(f"coding ({len(codings)} codings)")
    families = ["basisset", "uitgangspunten"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_xlsx(out / "tables.xlsx", codings, corpus, codebook=codebook, families=families)
        lap("tables.xlsx (4 tables, codings, review sheet)")
        write_review_sheet(codings, out / "review.xlsx", corpus=corpus, codebook=codebook)
        lap("review.xlsx")
        for wave in ("T0", "T1"):
            write_docx(out / f"report-{wave}.docx", codings, corpus, codebook=codebook, families=families,
                       wave=wave, compare=("T0", "T1") if wave == "T1" else None, charts=False)
        lap("two Word reports (without charts)")
        charts = _charts(families, ["T0", "T1"], ("T0", "T1"))
        _keep(*_kept_data(codings, corpus), codebook)
        for chart in charts.values():  # as the chart process draws them
            _draw_chart(*chart, out / "charts", ("png",))
        lap(f"{len(charts)} charts, PNG (matplotlib imported here)")
    return laps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"quickscan demo, cold, {os.cpu_count()} cores, {args.runs} runs per mode\n")
    print(f"{'mode':<28}{'wall min s':>11}{'median s':>10}{'cpu s':>8}{'peak MiB':>10}")
    for serial in (False, True):
        runs = [run_demo(serial) for _ in range(args.runs)]
        walls = [r[0] for r in runs]
        mode = "one process" if serial else "charts in a second process"
        print(f"{mode:<28}{min(walls):>11.2f}{statistics.median(walls):>10.2f}"
              f"{statistics.median(r[1] for r in runs):>8.2f}{max(r[2] for r in runs):>10.0f}")
    print("\nsteps (one process, cold):")
    for name, seconds in steps():
        print(f"  {seconds:6.2f} s  {name}")
    print("\ngoal: demo median under 4 s (wall)")


if __name__ == "__main__":
    main()
