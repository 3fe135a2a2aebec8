"""Fit the weights of quickscan.confidence on the gold coding of the sample, and report them.

    python scripts/calibrate_confidence.py            # fit, print the weights and the thirds
    python scripts/calibrate_confidence.py --check    # only report with the weights in the module

A cell (pilot x wave x code, basisset and uitgangspunten) that the rules mark X is true
when the gold coding has the code for the pilot in the wave. The weights are a logistic
regression (Newton's method, a small ridge penalty) of that truth on the features of
:func:`quickscan.confidence.cell_confidence`. Reported: the share of false X's among the
third of the cells with the lowest confidence, the middle and the highest third, and the
same with leave-one-pilot-out weights (each pilot scored by weights fitted without it).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd

from evaluate_coding import FAMILIES, load_gold, sample_corpus

from quickscan.confidence import FEATURES, WEIGHTS, cell_confidence


def design(cells: pd.DataFrame) -> np.ndarray:
    x = np.column_stack([
        np.log1p(cells["n_sentences"].to_numpy(float)), cells["own"].to_numpy(float),
        cells["specificity"].to_numpy(float), cells["negated"].to_numpy(float), cells["list_share"].to_numpy(float),
    ])
    return np.column_stack([np.ones(len(x)), x])


def fit(x: np.ndarray, y: np.ndarray, ridge: float = 1.0) -> np.ndarray:
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * ridge
    penalty[0, 0] = 0
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def thirds(confidence: np.ndarray, false: np.ndarray) -> list[float]:
    order = np.argsort(confidence, kind="stable")
    return [float(false[part].mean()) for part in np.array_split(order, 3)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not fit; report the module's weights")
    args = parser.parse_args(argv)
    from quickscan.codebook import load_codebook
    from quickscan.coding import code_corpus

    corpus, keys = sample_corpus()
    gold = load_gold()
    gold["pilot_id"] = gold["key"].map(keys)
    codebook = load_codebook()
    cells = cell_confidence(code_corpus(corpus, codebook), codebook=codebook)
    cells = cells[cells["family"].isin(FAMILIES)].reset_index(drop=True)
    truth = set(zip(gold["pilot_id"], gold["wave"], gold["code"]))
    y = np.array([(p, w, c) in truth for p, w, c in zip(cells["pilot_id"], cells["wave"], cells["code"])], float)
    x = design(cells)
    names = ["intercept", *FEATURES]
    if args.check:
        w = np.array([WEIGHTS[n] for n in names])
    else:
        w = fit(x, y)
        print("WEIGHTS = {" + ", ".join(f'"{n}": {v:.3f}' for n, v in zip(names, w)) + "}")
    confidence = 1 / (1 + np.exp(-x @ w))
    print(f"\n{len(cells)} X's, {int((1 - y).sum())} false ({(1 - y).mean():.1%})")
    low, mid, high = thirds(confidence, 1 - y)
    print(f"false X's by confidence third: lowest {low:.1%}, middle {mid:.1%}, highest {high:.1%}")
    # leave one pilot out: weights fitted without the pilot score its cells
    held = np.zeros(len(cells))
    for pilot in cells["pilot_id"].unique():
        mine = (cells["pilot_id"] == pilot).to_numpy()
        held[mine] = 1 / (1 + np.exp(-x[mine] @ fit(x[~mine], y[~mine])))
    low, mid, high = thirds(held, 1 - y)
    print(f"leave-one-pilot-out:            lowest {low:.1%}, middle {mid:.1%}, highest {high:.1%}")
    for t in (0.6, 0.7, 0.8, 0.9):
        above = confidence >= t
        print(f"min_confidence {t}: {above.mean():.0%} of the X's accepted by rule, "
              f"{(1 - y[above]).mean() if above.any() else math.nan:.1%} of those false; "
              f"{int((1 - y[~above]).sum())} of {int((1 - y).sum())} false X's left to review")


if __name__ == "__main__":
    main()
