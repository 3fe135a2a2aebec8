"""Hostile and careless inputs: time and peak memory of reading each, in a capped child process.

    PYTHONPATH=src python benchmarks/bench_hostile.py               # this tree
    python benchmarks/bench_hostile.py --src /path/to/other/src     # e.g. an older checkout, to compare

Each case is generated once into a temporary folder (streamed, so this script stays small
in memory), then read by a child process limited to ``--cap`` GB of address space and
``--timeout`` seconds. Prints one line per case: seconds, peak resident memory, outcome.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys, time
start = time.perf_counter()
outcome = "ok"
try:
    exec(sys.argv[1])
except MemoryError:
    outcome = "MemoryError (traceback at the CLI)"
except Exception as exc:  # the refusal we want: a one-line message
    outcome = f"{type(exc).__name__}: {' '.join(str(exc).split())[:150]}"
print(f"{time.perf_counter() - start:.2f}\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}\t{outcome}")
"""


def _docx_with_big_document(path: Path, mib: int, form: Path) -> None:
    """A real form whose document.xml gets ``mib`` MiB of paragraphs, packed about 50:1."""
    rng = random.Random(1)
    with zipfile.ZipFile(form) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != "word/document.xml":
                dst.writestr(info, data)
                continue
            head, tail = data.split(b"<w:body>", 1)
            with dst.open("word/document.xml", "w", force_zip64=True) as out:
                out.write(head + b"<w:body>")
                written = 0
                while written < mib * 2**20:
                    words = " ".join(rng.choice(("wonen", "werk", "zorg", "wijk", "regie")) + str(rng.randrange(999))
                                     for _ in range(400))
                    chunk = f"<w:p><w:r><w:t>{words}</w:t></w:r></w:p>".encode() * 8
                    out.write(chunk)
                    written += len(chunk)
                out.write(tail)


def _qdpx_one_member(path: Path, sources: int, mib: int) -> None:
    refs = "".join(f'<TextSource guid="00000000-0000-0000-0000-{i:012d}" name="Pilot {i} (T0)" '
                   'plainTextPath="internal://big.txt"/>' for i in range(sources))
    project = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" '
               f'origin="hostile"><Sources>{refs}</Sources></Project>')
    rng = random.Random(2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", project)
        with z.open("Sources/big.txt", "w", force_zip64=True) as out:
            for _ in range(mib):
                out.write(" ".join(f"woord{rng.randrange(10**6)}" for _ in range(2**20 // 12)).encode()[: 2**20])


def _workbook_far_cell(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "T0"
    ws["A1"], ws["B1"] = "Vraag", "Buurtcirkel Zeist"
    for i in range(1, 21):
        ws.cell(i + 1, 1, f"{i}. vraag")
        ws.cell(i + 1, 2, f"antwoord {i}")
    ws["XFD1048576"] = "x"
    wb.save(path)


def _review_far_cell(path: Path) -> None:
    import pandas as pd
    from openpyxl import load_workbook

    from quickscan.coding import CODING_COLUMNS
    from quickscan.review import write_review_sheet

    write_review_sheet(pd.DataFrame(columns=CODING_COLUMNS), path)
    wb = load_workbook(path)
    wb.worksheets[0]["XFD1048576"] = "verdwaald"
    wb.save(path)


def _laughs(levels: int = 9) -> str:
    """An alias file whose last pilot has 9**9 other names once the aliases are expanded."""
    text = "Pilot A: &a [" + ", ".join(["lol"] * 9) + "]\n"
    names = "abcdefghijklmnop"
    for i, (p, c) in enumerate(zip(names, names[1:levels + 1])):
        text += f"Pilot {c.upper()}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(ROOT / "src"), help="the quickscan src folder to measure")
    parser.add_argument("--cap", type=float, default=3.0, help="address space of the child, GB")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--docx-mib", type=int, default=500)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="hostile-"))
    form = ROOT / "data" / "sample" / "T0" / "01-houten-ggz.docx"
    made = time.perf_counter()
    _docx_with_big_document(folder / "T0-groot.docx", args.docx_mib, form)
    _qdpx_one_member(folder / "bom.qdpx", 120, 60)
    _workbook_far_cell(folder / "ver.xlsx")
    _review_far_cell(folder / "review.xlsx")
    (folder / "lol.yaml").write_text(_laughs(), "utf-8")
    os.mkfifo(folder / "fifo.docx")
    (folder / "zero.docx").symlink_to("/dev/zero")
    print(f"# generated in {time.perf_counter() - made:.0f} s: " + ", ".join(
        f"{p.name} {p.stat().st_size / 1024:,.0f} KB" for p in sorted(folder.iterdir())
        if p.is_file() and not p.is_symlink()))

    cases = {
        f".docx, document.xml {args.docx_mib} MiB (read_folder)":
            f"from quickscan.ingest import read_folder; c = read_folder({str(folder)!r}); "
            "print(c.problems[c.problems.source.str.contains('groot')].message.str[:120].tolist(), file=sys.stderr)",
        ".qdpx, 120 sources -> one 60 MB member": f"from quickscan.refi import read_qdpx; read_qdpx({str(folder / 'bom.qdpx')!r})",
        "workbook, one cell at XFD1048576": f"from quickscan.ingest import read_excel; read_excel({str(folder / 'ver.xlsx')!r})",
        "review sheet, one cell at XFD1048576":
            f"from quickscan.review import read_review_sheet; read_review_sheet({str(folder / 'review.xlsx')!r})",
        "alias file, YAML billion laughs": f"from quickscan.corpus import read_aliases; read_aliases({str(folder / 'lol.yaml')!r})",
        "FIFO given as a form": f"from quickscan.ingest import read_docx; read_docx({str(folder / 'fifo.docx')!r})",
        "/dev/zero given as a form (zero.docx)": f"from quickscan.ingest import read_docx; read_docx({str(folder / 'zero.docx')!r})",
    }
    cap = int(args.cap * 2**30)
    env = {**os.environ, "PYTHONPATH": args.src}
    print(f"# src {args.src}, cap {args.cap:g} GB, timeout {args.timeout:g} s")
    print("seconds\tpeak MB\toutcome\tcase")
    for name, code in cases.items():
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-c", CHILD, code], capture_output=True, text=True, env=env,
                                  timeout=args.timeout, cwd=ROOT,
                                  preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)))
            line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else f"?\t?\tcrashed: {done.stderr[-200:]}"
        except subprocess.TimeoutExpired:
            line = f"{time.perf_counter() - start:.0f}+\t?\ttimeout (still running; killed)"
        print(f"{line}\t{name}", flush=True)
    for p in folder.iterdir():
        p.unlink()  # the symlink, not /dev/zero
    folder.rmdir()


if __name__ == "__main__":
    main()
