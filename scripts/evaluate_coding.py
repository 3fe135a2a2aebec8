"""Precision, recall and F1 of the rule coding against the hand-made gold coding of the sample.

    python scripts/evaluate_coding.py              # basisset and uitgangspunten, T0 and T1
    python scripts/evaluate_coding.py --worst 8    # also the codes that do worst

Two levels:

* pilot level: does the pilot have the code in the wave (what the report tables show);
* segment level: is the code found in the sentence the researcher quoted (same pilot,
  wave and question, the rule's evidence sentence overlapping the gold quote).

The gold coding (``data/sample/gold``) was written by reading the answers, before any
pattern was tuned; negated mentions are not in it, and negated rule codings do not count.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("basisset", "uitgangspunten")


def load_gold(folder: Path = ROOT / "data" / "sample" / "gold") -> pd.DataFrame:
    """Gold codings: key (sample pilot key), wave, question, code, quote."""
    rows = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        for c in data.get("codings") or []:
            rows.append({"key": data["key"], "wave": c["wave"], "question": int(c["question"]),
                         "code": c["code"], "quote": c["quote"]})
    return pd.DataFrame(rows)


def sample_corpus():
    """The sample read from its Word forms, and a map from sample key to pilot id."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from render_sample import load_sources

    from quickscan.corpus import pilot_id
    from quickscan.ingest import read_folder

    corpus = read_folder(ROOT / "data" / "sample" / "T0", progress=False)
    corpus_t1 = read_folder(ROOT / "data" / "sample" / "T1", progress=False)
    from quickscan.corpus import combine

    corpus = combine([corpus, corpus_t1])
    keys = {}
    for s in load_sources(ROOT / "data" / "sample" / "source"):
        first = s.get("t0") or s.get("t1")
        keys[s["key"]] = pilot_id(first["name"])
    return corpus, keys


def _scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def evaluate(codings: pd.DataFrame, gold: pd.DataFrame, corpus, families=FAMILIES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores per family and level, and per code at pilot level."""
    present = codings[~codings["negated"].astype(bool) & codings["family"].isin(families)]
    family_of = dict(zip(codings["code"], codings["family"]))
    rows, per_code = [], []
    for family in families:
        rule = present[present["family"] == family]
        gold_f = gold[gold["code"].map(lambda c: family_of.get(c, _family_guess(c))) == family]
        # pilot level
        r_set = set(zip(rule["pilot_id"], rule["wave"], rule["code"]))
        g_set = set(zip(gold_f["pilot_id"], gold_f["wave"], gold_f["code"]))
        rows.append({"family": family, "level": "pilot", **_scores(len(r_set & g_set), len(r_set - g_set),
                                                                    len(g_set - r_set))})
        for code in sorted({c for *_, c in r_set | g_set}):
            r = {k for k in r_set if k[2] == code}
            g = {k for k in g_set if k[2] == code}
            per_code.append({"family": family, "code": code, **_scores(len(r & g), len(r - g), len(g - r))})
        # segment level: gold quotes found by a rule coding in the same sentence
        rows.append({"family": family, "level": "segment", **_segment_scores(rule, gold_f, corpus)})
    return pd.DataFrame(rows), pd.DataFrame(per_code)


def _family_guess(code: str) -> str:
    return "uitgangspunten" if code.startswith("up") else "basisset"


def _segment_scores(rule: pd.DataFrame, gold: pd.DataFrame, corpus) -> dict[str, float]:
    answers = corpus.answers.dropna(subset=["question"])
    text = {(r.pilot_id, r.wave, int(r.question)): r.answer for r in answers.itertuples()}
    spans: dict[tuple, list[tuple[int, int]]] = {}
    for g in gold.itertuples():
        answer = text.get((g.pilot_id, g.wave, g.question), "")
        start = answer.find(g.quote)
        if start < 0:  # the reader changed the text: count it as missed
            start = answer.find(g.quote.split("\n")[0])
        spans.setdefault((g.pilot_id, g.wave, g.question, g.code), []).append(
            (start, start + len(g.quote)) if start >= 0 else (-1, -1))
    found: set[tuple] = set()
    fp = 0
    for r in rule.dropna(subset=["question"]).itertuples():
        answer = text.get((r.pilot_id, r.wave, int(r.question)), "")
        s = answer.rfind(r.evidence, 0, int(r.end) + len(r.evidence)) if r.evidence else int(r.start)
        sentence = (s, s + len(r.evidence)) if s >= 0 else (int(r.start), int(r.end))
        hits = [(key, span) for key in [(r.pilot_id, r.wave, int(r.question), r.code)]
                for span in spans.get(key, []) if span[0] < sentence[1] and sentence[0] < span[1]]
        if hits:
            found.update((k, sp) for k, sp in hits)
        else:
            fp += 1
    total = sum(len(v) for v in spans.values())
    return _scores(len(found), fp, total - len(found))


def quote_scores(codings: pd.DataFrame, gold: pd.DataFrame, corpus, families=FAMILIES) -> pd.DataFrame:
    """Per family: of the quotes the report shows (summarize_codes, every wave), how many are
    gold segments for their code (the gold quote of that pilot, wave and code overlaps it)."""
    from quickscan.coding import fold
    from quickscan.matrices import summarize_codes

    names = corpus.pilots.drop_duplicates("pilot_id").set_index("pilot")["pilot_id"].to_dict()
    segments: dict[tuple, list[str]] = {}
    for g in gold.itertuples():
        segments.setdefault((g.pilot_id, g.wave, g.code), []).append(fold(g.quote))
    rows = []
    for family in families:
        shown = hits = 0
        for wave in corpus.waves:
            summary = summarize_codes(codings, corpus, family=family, wave=wave)
            for r in summary[summary["quote"] != ""].itertuples():
                quote = fold(r.quote)
                gold_quotes = segments.get((names.get(r.quote_pilot), wave, r.code), [])
                shown += 1
                hits += any(q in quote or quote in q for q in gold_quotes)
        rows.append({"family": family, "quotes": shown, "gold": hits, "share": hits / shown if shown else 0.0})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=6, help="show this many worst codes per family")
    args = parser.parse_args(argv)
    from quickscan.codebook import load_codebook
    from quickscan.coding import code_corpus

    corpus, keys = sample_corpus()
    gold = load_gold()
    gold["pilot_id"] = gold["key"].map(keys)
    codings = code_corpus(corpus, load_codebook())
    scores, per_code = evaluate(codings, gold, corpus)
    pd.set_option("display.width", 120)
    print("Rule coding against the gold coding of the sample (T0 and T1)\n")
    print(scores.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print("\nReport quotes (summarize_codes, T0 and T1) that are gold segments for their code:\n")
    print(quote_scores(codings, gold, corpus).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if args.worst:
        print("\nCodes that do worst at pilot level (F1):")
        for family, group in per_code.groupby("family", sort=False):
            worst = group.sort_values(["f1", "code"]).head(args.worst)
            print(f"\n{family}")
            print(worst.to_string(index=False, float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
