"""Learned code suggestions: a model trained on reviewed codings proposes codings for review.

The rules of the codebook find what their patterns name. A researcher's review adds what
they miss; :class:`CodeSuggester` learns from those reviewed codings (and from the rule
codings the researcher let stand) and suggests, for a new wave, sentences that look like
the ones coded before. Suggestions are rows with ``source = "model"`` and a
``probability``: they go on the review sheet and count only when a researcher accepts
them. Nothing is accepted automatically.

The model
---------
Each sentence is represented with TF-IDF over its lemmas and lemma bigrams (Dutch stop
words removed; :func:`quickscan.coding.tokenize`), and every code gets its own logistic
regression (``class_weight="balanced"``, L2, ``C=1``). Why: with 5-30 examples per code a
linear model over words is what the data can support; logistic regression gives a
probability without a separate calibration step (which would need held-out examples we
do not have), and its coefficients are readable (:meth:`CodeSuggester.top_terms`). The
balanced class weights make a code with few examples still reach the threshold; the
probabilities therefore overstate the base rate and are a ranking score, not a frequency.
Measured on the sample (``scripts/evaluate_suggestions.py``; fit on the gold coding of T0,
suggest for T1): see ``docs/open-coding.md``.

Training data: the sentences of the fitted corpus in the waves of the codings. Positives of
a code are the sentences that hold a present coding of it (not negated, not rejected;
model rows count only when accepted); negatives are all other sentences. Codes with fewer
than ``min_examples`` positive sentences are not learned; :attr:`CodeSuggester.skipped_`
says how many more examples each needs.

>>> from quickscan.corpus import Corpus, make_answers
>>> texts = {9: "Bewoners krijgen een eigen woning. Het team biedt begeleiding thuis.",
...          10: "De corporatie levert woningen. Wekelijks overleg met de wijkagent."}
>>> corpus = Corpus.from_answers(pd.concat([make_answers(f"Pilot {i}", "T0", texts) for i in range(6)]))
>>> quotes = pd.DataFrame([{"pilot_id": f"pilot-{i}", "wave": "T0", "question": 9, "code": "wonen",
...     "quote": "Bewoners krijgen een eigen woning."} for i in range(6)])
>>> codings = codings_from_quotes(quotes, corpus)
>>> model = CodeSuggester(min_examples=5).fit(codings, corpus)
>>> model.codes_
('wonen',)
>>> new = Corpus.from_answers(make_answers("Pilot 9", "T1", {15: "Bewoners krijgen snel een woning."}))
>>> model.suggest(new)[["code", "evidence", "source"]]
    code                           evidence source
0  wonen  Bewoners krijgen snel een woning.  model
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import partial
from inspect import signature
from typing import Any

import pandas as pd

from .coding import CODING_COLUMNS, fold, segment_id
from .themes import sentence_frame

__all__ = [
    "SUGGESTION_COLUMNS",
    "SKIPPED_COLUMNS",
    "CV_COLUMNS",
    "CodeSuggester",
    "NotFittedError",
    "codings_from_quotes",
    "cross_validate",
]

SUGGESTION_COLUMNS = [*CODING_COLUMNS, "probability"]
SKIPPED_COLUMNS = ["code", "family", "examples", "needed", "message"]
CV_COLUMNS = [
    "code", "family", "examples", "folds", "tp", "fp", "fn", "precision", "recall", "f1",
    "pilot_precision", "pilot_recall", "pilot_f1",
]
_log = logging.getLogger(__name__)


class NotFittedError(ValueError, AttributeError):
    """The suggester is used before :meth:`CodeSuggester.fit` (like scikit-learn's)."""


def _features(lemmas: Sequence[str], ngrams: int) -> list[str]:
    out = list(lemmas)
    for n in range(2, ngrams + 1):
        out += [" ".join(lemmas[i: i + n]) for i in range(len(lemmas) - n + 1)]
    return out


class CodeSuggester:
    """Suggest codings for review from a model fitted on reviewed codings.

    Follows scikit-learn's conventions: ``__init__`` only stores the parameters,
    :meth:`fit` returns the suggester, learned attributes end in ``_``; ``get_params`` /
    ``set_params`` work as in scikit-learn (so ``sklearn.base.clone`` does too).

    Parameters
    ----------
    min_examples : a code needs this many positive sentences to be learned.
    threshold : suggest a coding when its probability is at least this.
    C : inverse regularisation strength of the logistic regressions.
    ngrams : lemma n-grams up to this length are features (1: single lemmas).
    families : learn only the codes of these families (None: every code in the codings).
    random_state : seed of the solver (the result is deterministic for a given seed).

    Attributes (after fit)
    ----------------------
    codes_ : the codes learned, in the order of the codings.
    families_ : code -> family.
    examples_ : code -> number of positive sentences.
    skipped_ : codes not learned (:data:`SKIPPED_COLUMNS`), with a message.
    n_sentences_ : number of training sentences.
    """

    def __init__(
        self,
        *,
        min_examples: int = 5,
        threshold: float = 0.5,
        C: float = 1.0,
        ngrams: int = 2,
        families: Sequence[str] | None = None,
        random_state: int = 0,
    ) -> None:
        self.min_examples = min_examples
        self.threshold = threshold
        self.C = C
        self.ngrams = ngrams
        self.families = families
        self.random_state = random_state

    # -- scikit-learn parameter protocol ------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The parameters, as scikit-learn's ``get_params``.

        >>> CodeSuggester(threshold=0.7).get_params()["threshold"]
        0.7
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> CodeSuggester:
        """Set parameters and return the suggester (unknown names: ValueError)."""
        known = self._param_names()
        for name, value in params.items():
            if name not in known:
                raise ValueError(f"invalid parameter {name!r} for CodeSuggester; parameters: {known}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {n: p.default for n, p in signature(type(self).__init__).parameters.items() if n != "self"}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"CodeSuggester({', '.join(changed)})"

    # -- fitting ------------------------------------------------------------------------------

    def _check_params(self) -> None:
        if not isinstance(self.min_examples, int) or self.min_examples < 1:
            raise ValueError(f"min_examples must be a positive integer, not {self.min_examples!r}")
        if not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold must lie in [0, 1], not {self.threshold!r}")
        if not isinstance(self.ngrams, int) or self.ngrams < 1:
            raise ValueError(f"ngrams must be a positive integer, not {self.ngrams!r}")

    def _vectorizer(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(analyzer=partial(_features, ngrams=self.ngrams), sublinear_tf=True, min_df=1)

    def _classifier(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000, random_state=self.random_state)

    def fit(self, codings: pd.DataFrame, corpus, *, wave: str | Iterable[str] | None = None) -> CodeSuggester:
        """Learn one model per code from reviewed ``codings`` of ``corpus``; returns ``self``.

        ``codings`` are codings rows (:data:`quickscan.coding.CODING_COLUMNS`, with a
        ``decision`` column after review). The training sentences are those of ``corpus`` in
        ``wave`` (default: the waves of the codings).
        """
        self._check_params()
        sentences, labels, families = _training(codings, corpus, wave, self.families)
        counts = {code: int(labels[code].sum()) for code in labels.columns}
        learned, skipped = [], []
        for code, n in counts.items():
            if n < self.min_examples:
                needed = self.min_examples - n
                skipped.append((code, families[code], n, needed,
                                f"needs {needed} more example{'s' if needed != 1 else ''} "
                                f"({n} of {self.min_examples})"))
            elif n == len(sentences):
                skipped.append((code, families[code], n, 0, "every sentence has this code: nothing to contrast"))
            else:
                learned.append(code)
        for code, _, n, _, message in skipped:
            _log.info("code %s not learned: %s", code, message)
        self.vectorizer_ = self._vectorizer()
        X = self.vectorizer_.fit_transform(sentences["lemmas"])
        self.models_ = {code: self._classifier().fit(X, labels[code].to_numpy()) for code in learned}
        self.codes_ = tuple(learned)
        self.families_ = {code: families[code] for code in labels.columns}
        self.examples_ = counts
        self.skipped_ = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
        self.n_sentences_ = len(sentences)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise NotFittedError("this CodeSuggester is not fitted yet: call fit(codings, corpus) first")

    # -- predicting ---------------------------------------------------------------------------

    def predict_proba(self, sentences: Iterable[str] | pd.DataFrame) -> pd.DataFrame:
        """Probability of each learned code for each sentence: a DataFrame sentences x codes.

        ``sentences`` are texts, or a :func:`quickscan.themes.sentence_frame` (with its
        ``lemmas``). Values lie in [0, 1].
        """
        import numpy as np

        self._check_fitted()
        if isinstance(sentences, pd.DataFrame):
            lemmas = list(sentences["lemmas"])
            index = sentences.index
        else:
            from .coding import tokenize
            from .themes import _lemmas

            texts = [str(s) for s in sentences]
            lemmas = [_lemmas(doc) for doc in tokenize(texts)]
            index = pd.RangeIndex(len(texts))
        if not lemmas:
            return pd.DataFrame(np.zeros((0, len(self.codes_))), columns=list(self.codes_), index=index)
        X = self.vectorizer_.transform(lemmas)
        columns = {code: self.models_[code].predict_proba(X)[:, 1] for code in self.codes_}
        return pd.DataFrame(columns, index=index, columns=list(self.codes_), dtype=float)

    def suggest(
        self,
        corpus,
        *,
        wave: str | None = None,
        rule_codings: pd.DataFrame | None = None,
        threshold: float | None = None,
    ) -> pd.DataFrame:
        """Suggested codings for the sentences of ``corpus`` (one wave or all), for review.

        One row per sentence and code with probability >= ``threshold`` (default: the
        suggester's): :data:`quickscan.coding.CODING_COLUMNS` plus ``probability``, with
        ``source = "model"``, the sentence as ``evidence``, its offsets in the answer as
        ``start``/``end`` and the same ``segment_id`` a rule coding of that sentence and
        code would have. With ``rule_codings``, sentences the rules already coded with the
        code (negated or not) are left out. The personal question (3) is never read.
        """
        self._check_fitted()
        threshold = self.threshold if threshold is None else threshold
        sentences = sentence_frame(corpus, wave=wave)
        proba = self.predict_proba(sentences)
        coded = _coded(rule_codings) if rule_codings is not None else set()
        rows = []
        seen: dict[tuple, int] = defaultdict(int)
        for i, s in enumerate(sentences.itertuples(index=False)):
            q = None if pd.isna(s.question) else int(s.question)
            for code in self.codes_:
                p = float(proba[code].iat[i])
                key = (s.pilot_id, s.wave, q, code, fold(s.sentence))
                seen[key] += 1
                if p < threshold or key in coded:
                    continue
                rows.append((s.pilot_id, s.wave, q, code, self.families_[code], s.start, s.end, s.sentence, False,
                             None, "model", None, segment_id(s.pilot_id, s.wave, q, s.sentence, code, seen[key]),
                             round(p, 4)))
        return _typed(pd.DataFrame(rows, columns=SUGGESTION_COLUMNS))

    def top_terms(self, code: str, n: int = 10) -> list[str]:
        """The features that speak most for ``code`` (largest coefficients).

        >>> from quickscan.corpus import Corpus, make_answers
        >>> c = Corpus.from_answers(pd.concat([make_answers(f"P{i}", "T0", {9: "Een woning. Een baan."})
        ...                                    for i in range(5)]))
        >>> q = pd.DataFrame([{"pilot_id": f"p{i}", "wave": "T0", "question": 9, "code": "wonen",
        ...                    "quote": "Een woning."} for i in range(5)])
        >>> CodeSuggester().fit(codings_from_quotes(q, c), c).top_terms("wonen", 1)
        ['woning']
        """
        import numpy as np

        self._check_fitted()
        if code not in self.models_:
            raise KeyError(f"code {code!r} was not learned; learned: {list(self.codes_)}")
        coef = self.models_[code].coef_[0]
        names = self.vectorizer_.get_feature_names_out()
        return [str(names[j]) for j in np.argsort(-coef, kind="stable")[:n] if coef[j] > 0]


# -- training data --------------------------------------------------------------------------


def _present(codings: pd.DataFrame) -> pd.DataFrame:
    """Codings that count as examples (:func:`quickscan.coding.present`: not negated, not
    rejected, model rows only when accepted); codings without a ``negated`` column are all
    affirmative."""
    from .coding import present

    return present(codings if "negated" in codings else codings.assign(negated=False))


def _training(codings: pd.DataFrame, corpus, wave, families) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Training sentences, a boolean frame sentences x codes, and code -> family."""
    missing = [c for c in ("pilot_id", "wave", "question", "code", "family", "start", "evidence")
               if c not in codings.columns]
    if missing:
        raise ValueError(f"codings lack the column(s) {missing}; expected quickscan.coding.CODING_COLUMNS")
    examples = _present(codings)
    if families is not None:
        examples = examples[examples["family"].isin(list(families))]
    waves = sorted(set(examples["wave"])) if wave is None else ([wave] if isinstance(wave, str) else list(wave))
    if not waves:
        raise ValueError("no present codings to learn from")
    sentences = sentence_frame(corpus, wave=waves).reset_index(drop=True)
    if sentences.empty:
        raise ValueError(f"the corpus has no sentences in wave(s) {waves}")
    where: dict[tuple, list[tuple[int, int, int, str]]] = defaultdict(list)
    for i, s in enumerate(sentences.itertuples(index=False)):
        q = None if pd.isna(s.question) else int(s.question)
        where[(s.pilot_id, s.wave, q)].append((s.start, s.end, i, fold(s.sentence)))
    family_of = dict(zip(examples["code"], examples["family"]))
    codes = list(dict.fromkeys(examples["code"]))
    labels = pd.DataFrame(False, index=sentences.index, columns=codes)
    for e in examples.itertuples(index=False):
        q = None if pd.isna(e.question) else int(e.question)
        candidates = where.get((e.pilot_id, e.wave, q), [])
        row = None
        if not pd.isna(e.start):
            row = next((i for a, b, i, _ in candidates if a <= int(e.start) < b), None)
        if row is None and isinstance(e.evidence, str) and e.evidence:
            folded = fold(e.evidence)
            row = next((i for *_, i, f in candidates if f == folded), None)
        if row is not None:
            labels.iat[row, codes.index(e.code)] = True
    return sentences, labels, {c: family_of[c] for c in codes}


def _coded(codings: pd.DataFrame) -> set[tuple]:
    return {
        (c.pilot_id, c.wave, None if pd.isna(c.question) else int(c.question), c.code,
         fold(c.evidence if isinstance(c.evidence, str) else ""))
        for c in codings.itertuples(index=False)
    }


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"question": "Int64", "start": "Int64", "end": "Int64", "negated": bool,
                          "probability": float})
    for col in ("valence", "pattern"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame.reset_index(drop=True)


# -- from quotes to codings -----------------------------------------------------------------


def codings_from_quotes(
    quotes: pd.DataFrame,
    corpus,
    *,
    codebook=None,
    source: str = "researcher",
    missing: str = "raise",
) -> pd.DataFrame:
    """Codings rows from quotes a researcher coded by hand (e.g. the T0 coding in Excel).

    ``quotes`` has pilot_id, wave, question, code and quote (an exact passage of that
    answer; case and spacing may differ). Every sentence the quote overlaps becomes one
    coding (:data:`quickscan.coding.CODING_COLUMNS`, ``source`` as given, not negated).
    The family comes from a ``family`` column or from ``codebook`` (default: the bundled
    one). A quote that is not found raises ValueError naming pilot, wave, question and
    quote; with ``missing="skip"`` it is left out.

    >>> from quickscan.corpus import Corpus, make_answers
    >>> c = Corpus.from_answers(make_answers("Houten", "T0", {10: "Inleiding. Een eigen woning voor iedereen."}))
    >>> q = pd.DataFrame([{"pilot_id": "houten", "wave": "T0", "question": 10, "code": "wonen",
    ...                    "quote": "een eigen woning"}])
    >>> codings_from_quotes(q, c)[["code", "family", "start", "end", "evidence"]]
        code family  start  end                          evidence
    0  wonen  basisset     11   42  Een eigen woning voor iedereen.
    """
    from .coding import sentences as split

    if missing not in ("raise", "skip"):
        raise ValueError(f"missing must be 'raise' or 'skip', not {missing!r}")
    need = [c for c in ("pilot_id", "wave", "question", "code", "quote") if c not in quotes.columns]
    if need:
        raise ValueError(f"quotes lack the column(s) {need}")
    if "family" in quotes.columns:
        family_of = dict(zip(quotes["code"], quotes["family"]))
    else:
        from .codebook import default_codebook

        family_of = {c.id: c.family for c in (codebook or default_codebook()).codes}
    answers = corpus.answers.dropna(subset=["question"])
    text = {(a.pilot_id, a.wave, int(a.question)): a.answer for a in answers.itertuples(index=False)}
    rows, lost = [], []
    seen: dict[tuple, int] = defaultdict(int)
    for n, qrow in enumerate(quotes.itertuples(index=False), start=1):
        try:
            where = (qrow.pilot_id, qrow.wave, int(qrow.question))
        except (TypeError, ValueError):
            raise ValueError(f"row {n}: pilot {qrow.pilot_id!r}, {qrow.wave}: the question must be a "
                             f"question number, not {qrow.question!r}") from None
        answer = text.get(where, "")
        span = _find(answer, str(qrow.quote))
        if span is None:
            lost.append(f"row {n}: pilot {qrow.pilot_id!r}, {qrow.wave}, question {qrow.question}: "
                        f"quote not found: {str(qrow.quote)[:60]!r}")
            continue
        if qrow.code not in family_of:
            raise ValueError(f"row {n}: code {qrow.code!r} is in no family of the codebook")
        for start, end, sentence in split(answer):
            if start < span[1] and span[0] < end:
                key = (*where, qrow.code, fold(sentence))
                if key in seen:
                    continue
                seen[key] = 1
                rows.append((*where, qrow.code, family_of[qrow.code], start, end, sentence, False, None, source,
                             None, segment_id(*where, sentence, qrow.code)))
    if lost and missing == "raise":
        raise ValueError(f"{len(lost)} quote(s) not found in the answers:\n  " + "\n  ".join(lost))
    if lost:
        _log.info("%d quote(s) not found and left out", len(lost))
    frame = pd.DataFrame(rows, columns=CODING_COLUMNS)
    return _typed(frame.assign(probability=0.0)).drop(columns=["probability"])


def _find(answer: str, quote: str) -> tuple[int, int] | None:
    """Character span of ``quote`` in ``answer``: exact, else ignoring case and spacing."""
    import re

    start = answer.find(quote)
    if start >= 0:
        return start, start + len(quote)
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, answer, flags=re.IGNORECASE)
    return (m.start(), m.end()) if m else None


# -- cross-validation -----------------------------------------------------------------------


def cross_validate(
    suggester: CodeSuggester,
    codings: pd.DataFrame,
    corpus,
    *,
    n_splits: int = 5,
    wave: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Cross-validated precision and recall per code, folds grouped by pilot.

    Stratified group k-fold (``sklearn.model_selection.StratifiedGroupKFold``): the
    sentences of one pilot are never in both the training and the test part. Per code
    (with at least ``suggester.min_examples`` examples): sentence level tp, fp, fn,
    precision, recall, F1 at the suggester's threshold, and pilot level (does the pilot get
    the code at all) precision, recall and F1. ``folds`` is ``min(n_splits, pilots with
    the code)``; a code found in one pilot only cannot be validated and is left out.
    The TF-IDF weights are fitted once on all sentences (no labels involved).
    """
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    suggester._check_params()
    sentences, labels, families = _training(codings, corpus, wave, suggester.families)
    X = suggester._vectorizer().fit_transform(sentences["lemmas"])
    groups = sentences["pilot_id"].to_numpy()
    rows = []
    for code in labels.columns:
        y = labels[code].to_numpy()
        n_pilots = len(set(groups[y]))
        folds = min(n_splits, n_pilots)
        if y.sum() < suggester.min_examples or folds < 2 or y.all():
            continue
        predicted = np.zeros(len(y), dtype=bool)
        split = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=suggester.random_state)
        for train, test in split.split(X, y, groups):
            if y[train].any() and not y[train].all():
                model = suggester._classifier().fit(X[train], y[train])
                predicted[test] = model.predict_proba(X[test])[:, 1] >= suggester.threshold
        tp, fp, fn = int((predicted & y).sum()), int((predicted & ~y).sum()), int((~predicted & y).sum())
        pilots_true = set(groups[y])
        pilots_pred = set(groups[predicted])
        rows.append((code, families[code], int(y.sum()), folds, tp, fp, fn, *_prf(tp, fp, fn),
                     *_prf(len(pilots_true & pilots_pred), len(pilots_pred - pilots_true),
                           len(pilots_true - pilots_pred))))
    return pd.DataFrame(rows, columns=CV_COLUMNS)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
