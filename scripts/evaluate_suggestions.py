"""Learned suggestions against the gold coding of the sample: fit on T0, suggest for T1.

    python scripts/evaluate_suggestions.py
    python scripts/evaluate_suggestions.py --threshold 0.6 --cv

The gold coding of T0 (``data/sample/gold``) plays the part of the researchers' reviewed
T0 coding: every gold quote becomes a coding of the sentence(s) it covers. A
:class:`quickscan.suggest.CodeSuggester` is fitted on it and suggests codings for T1,
which are scored against the gold coding of T1 at pilot level and segment level (see
``scripts/evaluate_coding.py``) for the families basisset and uitgangspunten:

(a) the rules alone (``code_corpus``), (b) the suggestions alone, (c) rules and
suggestions together (what the review sheet shows).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate_coding import FAMILIES, evaluate, load_gold, sample_corpus  # noqa: E402


def gold_codings(corpus, gold: pd.DataFrame, wave: str) -> pd.DataFrame:
    """The gold coding of one wave as codings rows (source ``researcher``)."""
    from quickscan.suggest import codings_from_quotes

    part = gold[gold["wave"] == wave].rename(columns={"key": "sample_key"})
    return codings_from_quotes(part, corpus, missing="skip")


def run(threshold: float = 0.5, cv: bool = False) -> dict[str, pd.DataFrame]:
    """Scores of rules, suggestions and both on T1; timings; cross-validation on T0 if asked."""
    from quickscan.codebook import load_codebook
    from quickscan.coding import code_corpus
    from quickscan.suggest import CodeSuggester, cross_validate

    corpus, keys = sample_corpus()
    gold = load_gold()
    gold["pilot_id"] = gold["key"].map(keys)
    t0_reviewed = gold_codings(corpus, gold, "T0")
    t1 = corpus.wave("T1")
    gold_t1 = gold[gold["wave"] == "T1"]

    times = {}
    start = time.perf_counter()
    suggester = CodeSuggester(threshold=threshold, families=FAMILIES).fit(t0_reviewed, corpus)
    times["fit"] = time.perf_counter() - start
    rules = code_corpus(t1, load_codebook())
    start = time.perf_counter()
    suggestions = suggester.suggest(t1)
    times["suggest"] = time.perf_counter() - start
    suggestions_new = suggester.suggest(t1, rule_codings=rules)

    rows = []
    for name, codings in (
        ("rules", rules),
        ("suggestions", suggestions.drop(columns=["probability"])),
        ("rules + suggestions", pd.concat([rules, suggestions_new.drop(columns=["probability"])],
                                          ignore_index=True)),
    ):
        scores, _ = evaluate(codings, gold_t1, corpus)
        rows.append(scores.assign(method=name))
    out = {
        "scores": pd.concat(rows, ignore_index=True)[["method", "family", "level", "tp", "fp", "fn", "precision",
                                                       "recall", "f1"]],
        "times": pd.DataFrame([times]),
        "skipped": suggester.skipped_,
        "counts": pd.DataFrame([{"codes learned": len(suggester.codes_), "training sentences": suggester.n_sentences_,
                                 "suggestions": len(suggestions), "new (not found by rules)": len(suggestions_new)}]),
    }
    if cv:
        start = time.perf_counter()
        out["cv"] = cross_validate(suggester, t0_reviewed, corpus)
        times["cross-validate"] = time.perf_counter() - start
        out["times"] = pd.DataFrame([times])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--cv", action="store_true", help="also cross-validate on T0 (grouped by pilot)")
    args = parser.parse_args(argv)
    pd.set_option("display.width", 140)
    fmt = lambda x: f"{x:.3f}"  # noqa: E731
    out = run(args.threshold, args.cv)
    print(f"Fit on the gold coding of T0, suggest for T1 (threshold {args.threshold})\n")
    print(out["scores"].to_string(index=False, float_format=fmt))
    print()
    print(out["counts"].to_string(index=False))
    print("\nSeconds:", out["times"].to_string(index=False, float_format=fmt))
    if not out["skipped"].empty:
        print("\nCodes not learned:")
        print(out["skipped"][["code", "examples", "message"]].to_string(index=False))
    if "cv" in out:
        print("\nCross-validation on T0 (5 folds grouped by pilot):")
        print(out["cv"].to_string(index=False, float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
