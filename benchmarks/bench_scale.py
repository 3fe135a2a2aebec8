"""Benchmark: ``quickscan report`` at national scale, on N generated, distinct forms.

    python benchmarks/bench_scale.py                    # N = 15, 150, 1500
    python benchmarks/bench_scale.py --n 15 150 1500 10000 --steps   # takes a while (generating too)
    python benchmarks/bench_scale.py --n 1500 --steps   # also time every step in one process

Forms are generated (not committed) into ``benchmarks/_work/scale-N/T0`` and ``T1``: N forms
in all, half of the pilots followed in both waves (a pilot of T1 has the name of a pilot of
T0), in the five layouts of ``scripts/sample_forms.py``. Every answer is distinct: the
sentences of the answer of one sample interview mixed with those of another to the same
question (chosen and shuffled per form), and the form's number added, so that nothing is
cached twice and the vocabulary grows with N a little, as in a real programme.

Per N it prints the whole command, as a researcher runs it, in a fresh process (wall time,
time per form, CPU of the process and its chart process, peak memory of the largest
process), and with ``--steps`` each step of the same pipeline timed in a child process
(the command's own functions, in the order it runs them on one core), with the peak memory
(RSS, sampled) during the step; with several N, a table of ms per form per step and how
each step grows with N (time ~ N^k).

Goals (issue 13): 1,500 forms under 45 s wall and 1 GB peak on a 2-core machine;
10,000 forms complete with bounded memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _mix(a: str, b: str, rng: random.Random) -> str:
    """Sentences of ``a`` with some of ``b`` mixed in, shuffled within the answer."""
    if not a:
        return a
    first, second = _SENTENCE.split(a), _SENTENCE.split(b) if b else []
    picked = first + rng.sample(second, k=min(len(second), rng.randint(0, 2)))
    rng.shuffle(picked)
    return " ".join(picked)


_KINDS = ("Wijkteam", "Herstelhuis", "Buurtcirkel", "Steunpunt", "Woonhuis", "Werkplaats", "Netwerk", "Academie",
          "Pension", "Bemoeizorg", "Thuisteam", "Ontmoetingsplek")
_SYLLABLES = ("ba", "de", "ko", "li", "mu", "ne", "po", "ra", "si", "tu", "ve", "wo", "za", "ger", "lan", "dorp")


def _name(pilot: int) -> str:
    """A distinct pilot name per number (a kind and a made-up place of five syllables, spread
    so that near numbers differ everywhere), the same in both waves; no two are fuzzy matches."""
    rest = (pilot * 7_919 + 12_345) % 16 ** 5  # a bijection on 0 .. 16**5 - 1
    place = ""
    for _ in range(5):
        place += _SYLLABLES[rest % 16]
        rest //= 16
    return f"{_KINDS[pilot % len(_KINDS)]} {place.capitalize()}"


def generate(n: int) -> Path:
    """N distinct forms in ``_work/scale-N/T0`` and ``T1``; the folder (reused when complete)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from render_sample import load_sources
    from sample_forms import write_form

    from quickscan.template import load_template

    folder = WORK / f"scale-{n}"
    done = folder / "complete-v2"
    if done.exists():
        return folder
    template = load_template()
    pool = [s[w] for s in load_sources(ROOT / "data" / "sample" / "source") for w in ("t0", "t1") if s.get(w)]
    n_t0 = (n + 1) // 2
    for wave in ("T0", "T1"):
        (folder / wave).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        wave, pilot = ("T0", i) if i < n_t0 else ("T1", i - n_t0)
        rng = random.Random(i)
        interview, other = pool[(pilot + (wave == "T1")) % len(pool)], rng.choice(pool)
        answers = {}
        for q, a in interview["answers"].items():
            a, b = str(a or "").strip(), str(other["answers"].get(q) or "").strip()
            answers[int(q)] = f"{_mix(a, b, rng)} (formulier {i})" if a else ""
        answers[1] = f"{_name(pilot)}, Dorpsstraat {pilot}, 3500 AA Utrecht"
        path = folder / wave / f"form-{pilot:05d}.docx"
        if not path.exists():
            write_form(path, answers, template, layout=i % 5 + 1)
    done.write_text("")
    return folder


_WRAPPER = ("import resource, subprocess, sys\n"
            "code = subprocess.run(sys.argv[1:]).returncode\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n")


def _report(folder: Path, out: Path, serial: bool, refi: bool = False) -> dict:
    """The whole command in a fresh process: wall, CPU (with children), peak MiB of the largest
    process (main or chart process; measured by a wrapper process of this run alone)."""
    env = dict(os.environ, QUICKSCAN_SERIAL="1" if serial else "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "quickscan.cli", "report", str(folder / "T0"),
         "--compare", str(folder / "T1"), "--out", str(out), *(["--refi"] if refi else [])],
        cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("MAXRSS ")]
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak": peak[-1] / 1024 if peak else float("nan"), "exit": done.returncode,
            "traceback": "Traceback" in done.stderr, "stderr": done.stderr[-2000:]}


class _Peak:
    """The largest resident set size of this process while it runs (sampled every 10 ms)."""

    def __init__(self) -> None:
        self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> _Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def steps(folder: Path, refi: bool = False) -> list[tuple[str, float, float]]:
    """(step, seconds, peak MiB during the step) of ``quickscan report`` in this process, serially:
    the functions the command calls, in the order it calls them with one core (QUICKSCAN_SERIAL=1:
    the charts are drawn first, where two cores draw them in a second process meanwhile)."""
    out: list[tuple[str, float, float]] = []

    def step(name, function):
        start = time.perf_counter()
        with _Peak() as peak:
            result = function()
        out.append((name, time.perf_counter() - start, peak.peak / 2**20))
        return result

    import quickscan.cli  # noqa: F401
    from quickscan.coding import code_corpus, pipeline
    from quickscan.privacy import find_personal_elsewhere, hide_personal_elsewhere
    from quickscan.review import review_cells, write_review_sheet
    from quickscan.study import (_KEPT_FILES, Study, _charts, _draw_chart, _keep, _kept_data, _read_data, _submit,
                                 _write_kept, _writers)

    with tempfile.TemporaryDirectory() as tmp:
        study = Study(data=(folder / "T0", folder / "T1"), out=Path(tmp), refi=refi)
        template = study.read_template()
        codebook = step("codebook + spaCy pipeline", lambda: (study.read_codebook(template), pipeline())[0])
        corpus = step("ingest", lambda: _read_data(study, template))

        def personal():
            found = find_personal_elsewhere(corpus)
            return hide_personal_elsewhere(corpus, found) if not found.empty else corpus

        corpus = step("personal data elsewhere", personal)
        codings = step("coding", lambda: code_corpus(corpus, codebook))
        families = [f.id for f in codebook.families if f.kind != "fact"]
        personal = codings["question"].isin(corpus.template.personal_questions).fillna(False).astype(bool)
        cells = step("review cells", lambda: review_cells(codings[~personal], corpus=corpus, codebook=codebook,
                                                           families=families))
        waves = list(corpus.waves)
        compare = (waves[0], waves[-1])
        charts = _charts(families, waves, compare)

        def draw():  # as the command draws them without a chart process
            _keep(*_kept_data(codings, corpus), codebook)
            return {key: _submit(None, _draw_chart, *chart, study.out / "charts", ("png",))
                    for key, chart in charts.items()}

        drawn = step(f"charts ({len(charts)} PNG)", draw)
        for name, write in _writers(study, codings, corpus, codebook, families, waves, compare,
                                    lambda key: drawn[key].result(), cells):
            step(name, write)
        for name in _KEPT_FILES:  # written by the second process, from the kept data
            step(name, lambda name=name: _write_kept(name, study.out, families))
        step("review.xlsx", lambda: write_review_sheet(codings, study.out / "review.xlsx", corpus=corpus,
                                                       codebook=codebook, families=families, cells=cells))
    return out


def growth(results: dict[int, list[tuple[str, float, float]]]) -> list[str]:
    """Lines of a table: per step, ms per form at each N, and how the time grows from one N to the
    next as an exponent (time ~ N^k: 1.0 is linear, 2.0 quadratic; shown for steps of 0.5 s and more)."""
    import math

    ns = sorted(results)
    names = list(dict.fromkeys(name for n in ns for name, _, _ in results[n]))
    lines = [f"{'step, ms/form at N =':<30}" + "".join(f"{n:>9}" for n in ns) + "   growth k (t ~ N^k)"]
    for name in names:
        seconds = {n: next((t for step, t, _ in results[n] if step == name), None) for n in ns}
        cells = "".join(f"{1000 * seconds[n] / n:>9.2f}" if seconds[n] is not None else f"{'-':>9}" for n in ns)
        ks = []
        for a, b in zip(ns, ns[1:]):
            ta, tb = seconds[a], seconds[b]
            ks.append(f"{math.log(tb / ta) / math.log(b / a):.2f}" if ta and tb and max(ta, tb) >= 0.5 else "-")
        lines.append(f"{name[:30]:<30}{cells}   {' '.join(ks)}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[15, 150, 1500])
    parser.add_argument("--runs", type=int, default=1, help="runs of the whole command per N (median shown)")
    parser.add_argument("--steps", action="store_true", help="also time every step in a child process")
    parser.add_argument("--serial", action="store_true", help="no chart process (QUICKSCAN_SERIAL=1)")
    parser.add_argument("--refi", action="store_true", help="the command with --refi (project.qdpx, codebook.qdc)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(steps(args.child, args.refi)))
        return
    print(f"quickscan report{' --refi' if args.refi else ''} on N generated forms, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'N':>6} {'wall s':>8} {'ms/form':>8} {'cpu s':>7} {'peak MiB':>9}  exit")
    results: dict[int, list[tuple[str, float, float]]] = {}
    for n in args.n:
        start = time.perf_counter()
        folder = generate(n)
        made = time.perf_counter() - start
        runs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as out:
                runs.append(_report(folder, Path(out), args.serial, args.refi))
        runs.sort(key=lambda r: r["wall"])
        r = runs[len(runs) // 2]
        print(f"{n:>6} {r['wall']:>8.1f} {1000 * r['wall'] / n:>8.1f} {r['cpu']:>7.1f} {r['peak']:>9.0f}  {r['exit']}"
              + (" TRACEBACK" if r["traceback"] else "") + (f"   (forms generated in {made:.0f} s)" if made > 1 else "")
              + f"   load {os.getloadavg()[0]:.1f}")
        if r["traceback"] or r["exit"] not in (0, 1):
            print(r["stderr"])
        sys.stdout.flush()
        if args.steps:
            child = subprocess.run([sys.executable, __file__, "--child", str(folder), *(["--refi"] if args.refi else [])],
                                   check=True, capture_output=True, text=True,
                                   env=dict(os.environ, QUICKSCAN_SERIAL="1"))
            results[n] = json.loads(child.stdout.strip().splitlines()[-1])
            for name, seconds, peak in results[n]:
                print(f"         {name:<28} {seconds:>7.2f} s {1000 * seconds / n:>7.2f} ms/form {peak:>7.0f} MiB")
            sys.stdout.flush()
    print("peak: largest resident set of the command's processes (main or chart process); a step's peak is the\n"
          "resident set of the one process running all steps, sampled during the step.")
    if len(results) > 1:
        print()
        print("\n".join(growth(results)))


if __name__ == "__main__":
    main()
