"""How sure the rules are of a code for a pilot: a confidence per pilot x wave x code.

A cell of a report table (pilot x code, one wave) is an ``X`` when at least one sentence of
the pilot's answers gives the code. Some X's rest on one passing mention in a list of
partner organisations, others on five sentences in the answer to the code's own question.
:func:`cell_confidence` scores every cell from what the coding already knows:

==================  ===========================================================================
n_sentences         distinct sentences that give the code (not negated)
own                 1 when one of them answers a question where the codebook expects the code
                    (``expected``, else ``questions``), 0 when none does, 0.5 when the code
                    names no question
specificity         how specific the most specific matching pattern is (0-1): words count
                    1, ``woning*`` / ``*woning`` 0.75, ``*schuld*`` 0.5, three words or more is 1
negated             True when any mention of the code in the pilot's answers is negated
list_share          share of the sentences that read as a list of names (:func:`looks_like_list`)
probability         for a cell only a learned suggestion gives: the model's probability
confidence          0-1: a logistic model of the features above; for a suggestion-only cell
                    the model's probability
==================  ===========================================================================

The weights (:data:`WEIGHTS`) were fitted on the hand-made gold coding of the sample
(``data/sample/gold``) by ``scripts/calibrate_confidence.py``, which also prints how many
of the X's in the lowest and the highest third of confidence are false.

>>> looks_like_list("Niveau 2: wijkteams, budgetbeheerders, de schuldhulpverlening en de gemeente.")
True
>>> looks_like_list("De pilot helpt bewoners om weer een eigen woning te vinden.")
False
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from .coding import fold, present

__all__ = ["CONFIDENCE_COLUMNS", "WEIGHTS", "cell_confidence", "looks_like_list", "pattern_specificity"]

CONFIDENCE_COLUMNS = [
    "pilot_id", "wave", "code", "family", "n_sentences", "own", "specificity", "negated", "list_share",
    "probability", "confidence",
]
FEATURES = ("log_sentences", "own", "specificity", "negated", "list_share")
# fitted by scripts/calibrate_confidence.py on data/sample/gold (basisset and uitgangspunten, T0 and T1)
WEIGHTS = {"intercept": -0.849, "log_sentences": 1.629, "own": 1.223, "specificity": 0.268, "negated": -1.228,
           "list_share": -1.122}

_KIND_WEIGHT = {"word": 1.0, "prefix": 0.75, "suffix": 0.75, "infix": 0.5}
_LIST_HEAD = re.compile(r"^[^:]{1,40}:\s+")
_LIST_SPLIT = re.compile(r"\s*(?:[,;/•]|\s(?:en|of|and|or)\s)\s*", re.IGNORECASE)
_BRACKETS = re.compile(r"\([^()]*\)")


def looks_like_list(sentence: str) -> bool:
    """True when a sentence reads as a list of names (organisations, groups, partners).

    After a short heading ending in a colon (``"Niveau 2: "``) and without bracketed
    asides, the sentence splits at commas, semicolons, slashes and ``en`` / ``of`` into
    at least three items of which most (70%) have at most four words. Such a sentence
    names who is involved; it rarely says what a pilot does.

    >>> looks_like_list("Gemeente Houten, GGZ-instelling, de woningcorporatie en de cliëntenraad.")
    True
    >>> looks_like_list("We werken samen met de woningcorporatie, zodat deelnemers sneller een woning krijgen.")
    False
    """
    if not isinstance(sentence, str):
        return False
    body = _BRACKETS.sub(" ", _LIST_HEAD.sub("", sentence.strip(), count=1)).strip().rstrip(".!?")
    items = [i for i in _LIST_SPLIT.split(body) if i.strip()]
    if len(items) < 3:
        return False
    short = sum(len(i.split()) <= 4 for i in items)
    return short >= 0.7 * len(items)


def pattern_specificity(pattern) -> float:
    """0-1: how specific a codebook pattern is (see the module docstring).

    >>> from quickscan.codebook import Pattern
    >>> [pattern_specificity(Pattern("p", t)) for t in ("*schuld*", "woning*", "eigen voordeur", "a ... b c")]
    [0.25, 0.375, 0.75, 1.0]
    """
    if getattr(pattern, "spacy", ""):
        return min(len(pattern.token_patterns), 3) / 3 if pattern.token_patterns else 0.5
    try:
        tokens = pattern.tokens
    except ValueError:
        return 0.5
    score = sum(_KIND_WEIGHT.get(t.kind, 0.0) for t in tokens)
    return min(score + 1, 4) / 4 if score >= 1 else score / 2


def _own_questions(codebook) -> dict[str, frozenset[int] | None]:
    out: dict[str, frozenset[int] | None] = {}
    for f in codebook.families:
        for c in f.codes:
            qs = c.expected or c.questions or f.questions
            out[c.id] = frozenset(qs) if qs else None
    return out


def _specificities(codebook) -> dict[str, float]:
    return {p.id: pattern_specificity(p) for c in codebook.codes for p in c.patterns}


def _each(function, texts) -> dict:
    """Text -> ``function(text)`` for every distinct text (a sentence usually carries several codes).

    >>> _each(len, ["ab", "c", "ab"])
    {'ab': 2, 'c': 1}
    """
    return {text: function(text) for text in dict.fromkeys(texts)}


def _questions(codings: pd.DataFrame) -> list[int | None]:
    """The question numbers as Python ints (None where missing), read once as a column."""
    q = codings["question"]
    return [None if v != v else int(v) for v in pd.to_numeric(q, errors="coerce").astype(float).tolist()]


def cell_confidence(codings: pd.DataFrame, *, codebook=None, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per pilot x wave x code that counts (or that a learned suggestion proposes), scored.

    Parameters
    ----------
    codings : DataFrame
        Codings of :func:`~quickscan.coding.code_corpus` (reviewed or not; a learned
        suggestion, ``source == "model"``, is scored by its ``probability``).
    codebook : Codebook, optional
        For the codes' own questions and the patterns (default: the bundled codebook).
    weights : dict, optional
        The logistic weights (default :data:`WEIGHTS`).

    Returns
    -------
    DataFrame
        Columns ``CONFIDENCE_COLUMNS`` (see the module docstring), in the order the cells
        first occur in ``codings``.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample/T0")
    >>> cells = cell_confidence(code_corpus(corpus))
    >>> bool(cells["confidence"].between(0, 1).all()), list(cells.columns[:3])
    (True, ['pilot_id', 'wave', 'code'])
    """
    if codebook is None:
        from .codebook import default_codebook

        codebook = default_codebook()
    weights = dict(WEIGHTS if weights is None else weights)
    key = ["pilot_id", "wave", "code"]
    if codings.empty:
        return pd.DataFrame(columns=CONFIDENCE_COLUMNS)
    counted = present(codings)
    negated_cells = set(map(tuple, codings.loc[codings["negated"].astype(bool), key].to_numpy().tolist()))
    model = codings[codings["source"] == "model"] if "source" in codings else codings.iloc[:0]
    if "decision" in model:
        model = model[model["decision"].isna()]
    own_q = _own_questions(codebook)
    specific = _specificities(codebook)
    families = {c.id: c.family for c in codebook.codes}

    rows: dict[tuple, dict[str, Any]] = {}
    fam = counted["family"].tolist() if "family" in counted else [None] * len(counted)
    pat = counted["pattern"].tolist() if "pattern" in counted else [None] * len(counted)
    evidence = [s if isinstance(s, str) else "" for s in counted["evidence"].tolist()]
    folded = _each(fold, evidence)
    for pid, wave, code, family, sentence, q, pattern in zip(
            counted["pilot_id"].tolist(), counted["wave"].tolist(), counted["code"].tolist(), fam,
            evidence, _questions(counted), pat):
        row = rows.get((pid, wave, code))
        if row is None:
            row = rows[pid, wave, code] = {"family": family or families.get(code), "sentences": {}, "own": 0.0,
                                           "specificity": 0.0, "probability": None}
        row["sentences"].setdefault(folded[sentence], sentence)
        questions = own_q.get(code)
        if questions is None:
            row["own"] = max(row["own"], 0.5)
        elif q is not None and q in questions:
            row["own"] = 1.0
        row["specificity"] = max(row["specificity"], specific.get(pattern, 0.5) if isinstance(pattern, str) else 0.5)
    for r in model.itertuples(index=False):
        cell = (r.pilot_id, r.wave, r.code)
        if cell in rows and rows[cell]["probability"] is None:
            continue  # the rules find it too
        probability = float(getattr(r, "probability", 0.5))
        row = rows.setdefault(cell, {"family": getattr(r, "family", None) or families.get(r.code), "sentences": {},
                                     "own": 0.0, "specificity": 0.0, "probability": probability})
        row["probability"] = max(row["probability"] or 0.0, probability)

    out = []
    is_list = _each(looks_like_list, [s for s in folded if s]).__getitem__
    for (pid, wave, code), row in rows.items():
        sentences = [s for s in row["sentences"].values() if s]
        n = len(row["sentences"])
        list_share = sum(map(is_list, sentences)) / len(sentences) if sentences else 0.0
        negated = (pid, wave, code) in negated_cells
        if row["probability"] is not None:
            confidence = row["probability"]
        else:
            z = (weights["intercept"] + weights["log_sentences"] * math.log1p(n) + weights["own"] * row["own"]
                 + weights["specificity"] * row["specificity"] + weights["negated"] * negated
                 + weights["list_share"] * list_share)
            confidence = 1 / (1 + math.exp(-z))
        out.append({"pilot_id": pid, "wave": wave, "code": code, "family": row["family"], "n_sentences": n,
                    "own": row["own"], "specificity": round(row["specificity"], 3), "negated": negated,
                    "list_share": round(list_share, 3), "probability": row["probability"],
                    "confidence": round(confidence, 3)})
    return pd.DataFrame(out, columns=CONFIDENCE_COLUMNS)
