"""Benchmark: selective coding of N forms, against bare ``nlp.pipe`` over the same texts.

    python benchmarks/bench_coding.py            # N = 15, 150, 1500
    python benchmarks/bench_coding.py --n 15 150 --codebook codebooks/monitor-uitdagingen.yaml

Forms are made from the fictional sample interviews (``data/sample/source``), cycling
through the pilots and waves; every answer gets a form number so that no two texts are
equal (the coder caches texts, bare ``nlp.pipe`` does not). Per N it prints:

* bare: ``nlp.pipe`` with the coder's own pipeline (blank nl + sentencizer + lookup
  lemmatizer), tokens per second, and the same without the lemmatizer (the coder looks
  lemmas up once per word form instead of once per token);
* coding: :func:`quickscan.coding.code_corpus` on texts it has not seen (tokenising,
  matching, negation, the DataFrame) with the codebook already compiled, tokens per second,
  and its ratio to bare;
* cold: the same from nothing cached: also compiling the codebook and learning every word
  form (the first call in a process);
* recode: re-coding the same corpus after a codebook edit (warm text cache: only the
  matchers are rebuilt and matching runs again).

Goals: coding >= 75% of bare throughput, throughput flat in N; recode of ~15 pilots under 0.5 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "sample" / "source"


def interviews() -> list[dict]:
    """The sample interviews (one per pilot and wave), in file order."""
    out = []
    for path in sorted(SOURCE.glob("*.yaml")):
        source = yaml.safe_load(path.read_text("utf-8"))
        out += [source[w] for w in ("t0", "t1") if source.get(w)]
    return out


def make_corpus(n: int, pool: list[dict]):
    """A corpus of N forms, all texts distinct."""
    import pandas as pd

    from quickscan.corpus import Corpus, make_answers

    frames = []
    for i in range(n):
        interview = pool[i % len(pool)]
        answers = {int(q): str(a or "").strip() for q, a in interview["answers"].items()}
        answers = {q: f"{a} (formulier {i})" if a else a for q, a in answers.items()}
        frames.append(make_answers(f"{interview['name']} {i:04d}", "T0", answers))
    return Corpus.from_answers(pd.concat(frames, ignore_index=True))


def codebook(path: str | None):
    """The given codebook, else the bundled one."""
    from quickscan.codebook import load_codebook

    return load_codebook(path)


def edited(cb):
    """The codebook with one more pattern on its first code (a typical small edit)."""
    from quickscan.codebook import Pattern

    family = cb.families[0]
    code = family.codes[0]
    code = dataclasses.replace(code, patterns=(*code.patterns, Pattern(f"{code.id}:extra", text="nieuwe* aanpak")))
    family = dataclasses.replace(family, codes=(code, *family.codes[1:]))
    return dataclasses.replace(cb, families=(family, *cb.families[1:]))


def texts_of(corpus) -> list[str]:
    """The texts the coder tokenises: non-empty answers, personal question left out."""
    a = corpus.answers
    keep = (a["answer"].str.strip() != "") & ~a["question"].isin(corpus.template.personal_questions).fillna(False)
    return a.loc[keep, "answer"].tolist()


def reference_pipeline():
    """The bare spaCy pipeline the coder is measured against: the coder's own tokenizer and
    sentencizer, plus spaCy's Dutch lookup lemmatizer (the coder uses the same table)."""
    import copy

    from quickscan.coding import pipeline

    nlp = copy.deepcopy(pipeline())
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def measure(n: int, pool: list[dict], cb, repeat: int) -> dict:
    from quickscan.coding import clear_cache, code_corpus

    nlp = reference_pipeline()
    corpus = make_corpus(n, pool)
    texts = texts_of(corpus)
    bare, tokenise, cold, coding = [], [], [], []
    tokens = 0
    for _ in range(repeat):
        start = time.perf_counter()
        tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        sum(len(doc) for doc in nlp.pipe(texts, batch_size=256, disable=["lemmatizer"]))
        tokenise.append(time.perf_counter() - start)
        clear_cache()  # nothing cached: compile the codebook, learn every form, tokenise, match
        start = time.perf_counter()
        code_corpus(corpus, cb)
        cold.append(time.perf_counter() - start)
        clear_cache(matchers=False)  # codebook compiled: tokenise and match
        start = time.perf_counter()
        codings = code_corpus(corpus, cb)
        coding.append(time.perf_counter() - start)
    start = time.perf_counter()
    code_corpus(corpus, edited(cb))
    recode = time.perf_counter() - start
    return {
        "n": n, "answers": len(texts), "tokens": tokens, "codings": len(codings),
        "bare": tokens / min(bare), "tokenise": tokens / min(tokenise), "cold": tokens / min(cold), "coding": tokens / min(coding), "recode": recode,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[15, 150, 1500])
    parser.add_argument("--codebook", help="codebook YAML (default: the bundled Regionale koers codebook)")
    args = parser.parse_args(argv)

    from quickscan.coding import pipeline

    start = time.perf_counter()
    pipeline()("Opwarmen van de pijplijn.")
    print(f"pipeline built in {time.perf_counter() - start:.2f} s")
    cb = codebook(args.codebook)
    pool = interviews()
    print(f"codebook {cb.id}: {len(cb.codes)} codes, {sum(len(c.patterns) for c in cb.codes)} patterns; "
          f"{len(pool)} sample interviews")
    header = (
        f"{'N':>6} {'answers':>8} {'tokens':>9} {'codings':>8} {'bare tok/s':>11} {'no-lemma tok/s':>15} "
        f"{'coding tok/s':>13} {'ratio':>6} {'cold tok/s':>11} {'ratio':>6} {'recode s':>9}"
    )
    print(header)
    print("-" * len(header))
    for n in args.n:
        r = measure(n, pool, cb, repeat=1 if n >= 1000 else 3)
        print(
            f"{r['n']:>6} {r['answers']:>8} {r['tokens']:>9} {r['codings']:>8} {r['bare']:>11,.0f} "
            f"{r['tokenise']:>15,.0f} {r['coding']:>13,.0f} {r['coding'] / r['bare']:>6.0%} {r['cold']:>11,.0f} "
            f"{r['cold'] / r['bare']:>6.0%} {r['recode']:>9.3f}"
        )
        sys.stdout.flush()
    print(
        "ratio: coding / bare. bare: nlp.pipe with the full pipeline; no-lemma: the same without the\n"
        "lemmatizer (the coder looks lemmas up once per word form, not per token). coding: codebook\n"
        "compiled, texts new (tokenise + match + negation + codings frame); cold: also compiling the\n"
        "codebook and learning every word form (first call in a process); recode: after a codebook\n"
        "edit, texts already tokenised."
    )


if __name__ == "__main__":
    main()
