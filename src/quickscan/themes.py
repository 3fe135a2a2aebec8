"""Open coding support: candidate themes in the answers to the open questions.

At T0 the questions without a fixed frame (the template's ``open_questions``; U16: 18
verantwoording, 19 borging, 20 lessen) are coded openly: researchers read the answers, group what belongs together and name the
themes, which then become codes for T1. :func:`suggest_themes` proposes the groups;
the researcher reads them, names the ones that make sense, and :func:`promote_themes`
turns the named ones into codes of a new family in a copy of the codebook.

How it works
------------
* **Sentences.** Every answer is split into sentences as the rule coder sees them
  (:func:`quickscan.coding.sentences`); a sentence is the unit that gets a theme.
* **Representation.** TF-IDF over lemmas (:func:`quickscan.coding.tokenize`), without
  spaCy's Dutch stop words and the domain stop words of :data:`DOMAIN_STOP_WORDS` (words
  every answer uses: pilot, gemeente, jaar, ...). A lemma must occur in two sentences.
* **Grouping: NMF** (non-negative matrix factorisation, ``init="nndsvda"``). Each
  sentence goes to the theme with its largest weight; a theme's top terms are the
  largest entries of its component. Measured on the T0 sample (221 sentences of
  questions 18-20, 5 seeds, k = 4-12), against the rule codings of the borging and
  verantwoording families as a rough reference: NMF agreed with them better (adjusted
  Rand 0.11-0.17) than k-means on the same TF-IDF (0.02-0.07), and NMF was far more
  stable between seeds (ARI 0.74-1.00 against 0.21-0.29). NMF also gives readable top
  terms directly, and its result does not change with the seed for small k.
* **Number of themes** (``n_themes=None``): the k in :data:`N_THEMES_RANGE` (at most one
  theme per five sentences) with the highest *resampling stability*, smaller k on a tie.
  Resampling stability: five runs, each on a random 90% of the sentences with its own
  seed, compared pairwise with the adjusted Rand index on the sentences both runs hold
  (:func:`theme_stability`). On the T0 sample (questions 18-20) this picks k = 9 (mean
  ARI 0.61, min 0.53), but the curve is flat (0.44-0.61 for k = 3-10): take k as a
  suggestion. The silhouette rose steadily with k there and the reconstruction error had
  no knee, so neither could choose.
* **Quotes.** The three sentences with the largest weight for the theme, from different
  pilots where possible.

The themes are a starting point for the researcher's judgement, not a result: a
stability below about 0.5 means the grouping depends on which sentences happen to be in
the data.

>>> from quickscan.corpus import Corpus, make_answers
>>> corpus = Corpus.from_answers(pd.concat([make_answers(f"Pilot {i}", "T0", {20: (
...     "De subsidie van de gemeente was te laat. Het budget voor de subsidie was te klein. "
...     "Overleg met partners kost tijd. Partners willen samenwerking en overleg.")}) for i in range(4)]))
>>> themes = suggest_themes(corpus, questions=(20,), n_themes=2)
>>> sorted(t[0] for t in themes.themes["terms"])
['overleg', 'subsidie']
"""

from __future__ import annotations

import bisect
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from html import escape
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .codebook import DEFAULT_CODEBOOK, Code, Codebook, Family, Pattern, parse_pattern
from .coding import fold
from .template import Unit

__all__ = [
    "DOMAIN_STOP_WORDS",
    "N_THEMES_RANGE",
    "THEME_COLUMNS",
    "SENTENCE_COLUMNS",
    "Stability",
    "Themes",
    "sentence_frame",
    "suggest_themes",
    "theme_stability",
    "promote_themes",
]

N_THEMES_RANGE = range(3, 11)
# Words nearly every answer of a quick-scan uses; as themes' top terms they say nothing.
# Lemmas (lower case); spaCy's Dutch stop words are removed as well.
DOMAIN_STOP_WORDS = frozenset({
    "pilot", "pilots", "project", "projecten", "gemeente", "gemeenten", "jaar", "half", "maand", "week",
    "pilotleider", "les", "lessen", "eerste", "tweede", "derde", "eerst", "ten", "belangrijk", "belangrijkste",
    "gaan", "komen", "maken", "willen", "moeten", "kunnen", "zullen", "laten", "zien", "krijgen", "houden",
    "goed", "echt", "veel", "nieuw", "nieuwe", "mensen", "iemand", "manier", "keer", "heel", "per", "via",
    "daarnaast", "verder", "elk", "elke", "nu", "nog", "al", "wel", "ook", "zodat", "daarvoor", "daarbij",
    "inclusief", "twee", "drie", "vier", "vijf", "paar", "kort", "korte", "echte", "klein", "kleine",
})
THEME_COLUMNS = ["theme", "terms", "size", "n_pilots", "pilot_ids", "quotes", "quote_pilots"]
SENTENCE_COLUMNS = ["pilot_id", "wave", "question", "start", "end", "sentence", "theme", "weight"]
_N_TERMS = 8
_N_QUOTES = 3
_RESAMPLE = 0.9
_SELECTION_SEEDS = range(5)


# -- the result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stability:
    """Adjusted Rand index between the sentence assignments of runs with different seeds.

    ``mean`` and ``min`` over all pairs of runs (1 = identical groupings, 0 = as similar
    as chance, below 0 = less). ``fraction`` is the share of sentences each run saw.
    """

    mean: float
    min: float
    seeds: tuple[int, ...]
    fraction: float


@dataclass(frozen=True)
class Themes:
    """Candidate themes of the open answers (see :func:`suggest_themes`).

    ``themes``: one row per theme (:data:`THEME_COLUMNS`): theme id (1 = largest), top
    terms, size in sentences, the number and ids of the pilots it occurs in, three quotes
    and their pilots. ``sentences``: every sentence with its theme (0 = no term of the
    vocabulary, no theme) and its weight for that theme (:data:`SENTENCE_COLUMNS`).
    ``selection``: the stability per number of themes tried (empty when ``n_themes`` was
    given).
    """

    themes: pd.DataFrame
    sentences: pd.DataFrame
    questions: tuple[int, ...]
    seed: int
    stability: Stability
    selection: pd.DataFrame
    unit: Unit = Unit()  # the template's unit: "pilots" in the texts of U16

    @property
    def n_themes(self) -> int:
        return len(self.themes)

    def theme(self, theme: int) -> pd.Series:
        """The row of one theme (KeyError naming the ids otherwise)."""
        rows = self.themes[self.themes["theme"] == theme]
        if rows.empty:
            raise KeyError(f"no theme {theme!r}; themes: {self.themes['theme'].tolist()}")
        return rows.iloc[0]

    def summary(self) -> str:
        """The themes as readable text: terms, size, pilots and the first quote."""
        qs = ", ".join(map(str, self.questions))
        lines = [
            f"{self.n_themes} candidate themes in {len(self.sentences)} sentences of questions {qs} "
            f"(stability: mean ARI {self.stability.mean:.2f}, min {self.stability.min:.2f})"
        ]
        for t in self.themes.itertuples():
            lines.append(f"  {t.theme}. {', '.join(t.terms[:6])}  ({t.size} sentences, {t.n_pilots} {self.unit.plural})")
            if t.quotes:
                lines.append(f"     \"{_short(t.quotes[0])}\"")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        s = self.stability
        head = (f"<p><b>{self.n_themes} candidate themes</b> in {len(self.sentences)} sentences of questions "
                f"{escape(', '.join(map(str, self.questions)))}; stability (adjusted Rand): mean {s.mean:.2f}, "
                f"min {s.min:.2f}</p>")
        rows = []
        for t in self.themes.itertuples():
            quotes = "".join(f"<li>{escape(q)}</li>" for q in t.quotes)
            rows.append(f"<tr><td>{t.theme}</td><td>{escape(', '.join(t.terms))}</td><td>{t.size}</td>"
                        f"<td>{t.n_pilots}</td><td><ul>{quotes}</ul></td></tr>")
        table = ("<table><thead><tr><th>theme</th><th>terms</th><th>sentences</th><th>pilots</th>"
                 f"<th>quotes</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
        return head + table


def _short(text: str, n: int = 100) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# -- sentences ----------------------------------------------------------------------------


def sentence_frame(
    corpus,
    *,
    questions: Iterable[int] | None = None,
    wave: str | Iterable[str] | None = None,
    include_personal: bool = False,
) -> pd.DataFrame:
    """Every sentence of the answers, with its lemmas: the unit of themes and suggestions.

    Columns: pilot_id, wave, question (Int64, <NA> for unmatched passages), start, end
    (character offsets in the answer), sentence, lemmas (a tuple of lower-case lemmas of
    the words, without spaCy's Dutch stop words and numbers). ``questions`` limits the
    answers (default: those selective coding searches, including unmatched passages, so
    not the pilot's name and address, municipality and start date: the template's
    ``coded: false``); the personal question (3) is left out unless ``include_personal``.

    >>> from quickscan.corpus import Corpus, make_answers
    >>> c = Corpus.from_answers(make_answers("Zeist", "T0", {20: "Woningen zijn schaars. Geduld!"}))
    >>> sentence_frame(c, questions=[20])[["question", "start", "end", "lemmas"]]
       question  start  end              lemmas
    0        20      0   22  (woning, schaars)
    1        20     23   30           (geduld,)
    """
    from .coding import sentences, tokenize

    answers = corpus.answers
    if questions is not None:
        answers = answers[answers["question"].isin(list(questions))]
    else:
        answers = answers[~answers["question"].isin(list(corpus.template.uncoded_questions))]
    if not include_personal:
        answers = answers[~answers["question"].isin(list(corpus.template.personal_questions))]
    if wave is not None:
        answers = answers[answers["wave"].isin([wave] if isinstance(wave, str) else list(wave))]
    answers = answers[answers["answer"].str.strip() != ""]
    rows = []
    docs = tokenize(answers["answer"].tolist())
    for row, doc in zip(answers.itertuples(index=False), docs):
        idx = [t.idx for t in doc]
        for start, end, text in sentences(row.answer):
            tokens = doc[bisect.bisect_left(idx, start): bisect.bisect_left(idx, end)]
            rows.append((row.pilot_id, row.wave, row.question, start, end, text, _lemmas(tokens)))
    frame = pd.DataFrame(rows, columns=["pilot_id", "wave", "question", "start", "end", "sentence", "lemmas"])
    return frame.astype({"question": "Int64", "start": int, "end": int})


def _lemmas(tokens) -> tuple[str, ...]:
    """Lower-case lemmas of the words among ``tokens``, without Dutch stop words and numbers."""
    from spacy.lang.nl.stop_words import STOP_WORDS

    return tuple(
        lemma for t in tokens if t.is_alpha and len(t) > 1
        and t.lower_ not in STOP_WORDS and (lemma := t.lemma_.lower()) not in STOP_WORDS
    )


def _identity(x):
    return x


def _matrix(sentences: pd.DataFrame, questions: tuple[int, ...]):
    """TF-IDF over lemmas (domain stop words removed; a lemma must occur in two sentences)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if sentences.empty:
        raise ValueError(f"no answers to questions {list(questions)} to group")
    docs = [[w for w in lemmas if w not in DOMAIN_STOP_WORDS] for lemmas in sentences["lemmas"]]
    vectorizer = TfidfVectorizer(analyzer=_identity, min_df=2 if len(docs) >= 10 else 1, sublinear_tf=True)
    try:
        X = vectorizer.fit_transform(docs)
    except ValueError:  # no word at all
        raise ValueError("the answers hold no words to group (after stop words)") from None
    return X, vectorizer.get_feature_names_out()


def _nmf(X, k: int, seed: int):
    """W (sentences x themes) and H (themes x terms); convergence warnings are not errors here:
    NMF stops at ``max_iter`` with a usable result."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X)
    return W, model.components_


def _assign(W) -> Any:
    import numpy as np

    labels = W.argmax(axis=1)
    labels[W.max(axis=1) <= 0] = -1
    return np.asarray(labels)


# -- stability ----------------------------------------------------------------------------


def _stability(X, k: int, seeds: Iterable[int], fraction: float) -> Stability:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 2:
        raise ValueError("stability needs at least two seeds")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], not {fraction!r}")
    n = X.shape[0]
    runs = []
    for seed in seeds:
        rows = np.arange(n)
        if fraction < 1:
            size = min(n, max(k + 1, int(round(fraction * n))))
            rows = np.sort(np.random.default_rng(seed).choice(n, size, replace=False))
        labels = np.full(n, -2)
        labels[rows] = _assign(_nmf(X[rows], k, seed)[0])
        runs.append(labels)
    scores = []
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            both = (runs[i] > -2) & (runs[j] > -2)
            scores.append(float(adjusted_rand_score(runs[i][both], runs[j][both])))
    return Stability(mean=float(np.mean(scores)), min=float(np.min(scores)), seeds=seeds, fraction=fraction)


def theme_stability(
    corpus,
    *,
    questions: Iterable[int] | None = None,
    n_themes: int = 5,
    seeds: Iterable[int] = range(5),
    fraction: float = _RESAMPLE,
    wave: str | None = None,
) -> Stability:
    """How much the grouping into ``n_themes`` themes depends on the seed and the sentences.

    Each seed gives one run: NMF with that ``random_state`` on a random ``fraction`` of the
    sentences (drawn with that seed; ``fraction=1`` uses all, so only the seed differs).
    The result holds the mean and minimum adjusted Rand index over all pairs of runs,
    computed on the sentences both runs hold; it lies in [-1, 1].

    >>> from quickscan.corpus import Corpus, make_answers
    >>> corpus = Corpus.from_answers(pd.concat([make_answers(f"P{i}", "T0", {20: (
    ...     "Subsidie en budget. Budget en subsidie. Overleg met partners. Partners en overleg.")}) for i in range(4)]))
    >>> s = theme_stability(corpus, questions=(20,), n_themes=2, seeds=range(3))
    >>> -1 <= s.min <= s.mean <= 1
    True
    """
    questions = tuple(int(q) for q in (corpus.template.open_questions if questions is None else questions))
    X, _ = _matrix(sentence_frame(corpus, questions=questions, wave=wave), questions)
    _check_k(n_themes, X)
    return _stability(X, n_themes, seeds, fraction)


def _check_k(k: int, X) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise ValueError(f"n_themes must be an integer of at least 2, not {k!r}")
    if k > min(X.shape):
        raise ValueError(f"{k} themes is too many for {X.shape[0]} sentences with {X.shape[1]} distinct terms")


# -- themes -------------------------------------------------------------------------------


def suggest_themes(
    corpus,
    *,
    questions: Iterable[int] | None = None,
    n_themes: int | None = None,
    seed: int = 0,
    wave: str | None = None,
    include_personal: bool = False,
) -> Themes:
    """Candidate themes in the answers to the open questions, for the researcher to name.

    Sentences of the answers to ``questions`` (of one ``wave`` or all) are represented
    with TF-IDF over lemmas and grouped with NMF (see the module docstring for why). With
    ``n_themes=None`` the number of themes is the one in :data:`N_THEMES_RANGE` with the
    best resampling stability. The same corpus and seed give the same themes.

    Returns a :class:`Themes`: ``.themes`` (one row per theme: terms, size, pilots,
    quotes), ``.sentences`` (every sentence with its theme), ``.stability``,
    ``.selection``. ``questions`` defaults to the template's ``open_questions``; its
    personal questions are never read unless ``include_personal``.

    Examples
    --------
    >>> from quickscan.corpus import Corpus, make_answers
    >>> texts = ["De subsidie kwam laat binnen. Het budget van de subsidie was krap.",
    ...          "Overleg met de partners kost tijd. De samenwerking met partners groeit door overleg.",
    ...          "Een woning vinden is lastig. De corporatie heeft te weinig woningen."]
    >>> corpus = Corpus.from_answers(pd.concat(
    ...     [make_answers(f"Pilot {i}", "T0", {20: " ".join(texts)}) for i in range(5)]))
    >>> themes = suggest_themes(corpus, questions=(20,))
    >>> themes.n_themes, themes.themes["size"].tolist(), themes.themes["n_pilots"].tolist()
    (3, [10, 10, 10], [5, 5, 5])
    >>> themes.sentences.groupby("theme")["sentence"].first().str[:20].tolist()
    ['De subsidie kwam laa', 'Overleg met de partn', 'Een woning vinden is']
    """
    import numpy as np

    questions = tuple(int(q) for q in (corpus.template.open_questions if questions is None else questions))
    sentences = sentence_frame(corpus, questions=questions, wave=wave, include_personal=include_personal)
    X, terms = _matrix(sentences, questions)
    selection = pd.DataFrame(columns=["n_themes", "stability_mean", "stability_min"])
    if n_themes is None:
        top = min(N_THEMES_RANGE.stop - 1, X.shape[0] // 5, X.shape[1])
        ks = [k for k in N_THEMES_RANGE if k <= top] or [2]
        _check_k(ks[0], X)
        found = {k: _stability(X, k, [seed + s for s in _SELECTION_SEEDS], _RESAMPLE) for k in ks}
        selection = pd.DataFrame(
            [(k, s.mean, s.min) for k, s in found.items()], columns=["n_themes", "stability_mean", "stability_min"]
        )
        n_themes = max(found, key=lambda k: (round(found[k].mean, 6), -k))
        stability = found[n_themes]
    else:
        _check_k(n_themes, X)
        stability = _stability(X, n_themes, [seed + s for s in _SELECTION_SEEDS], _RESAMPLE)

    W, H = _nmf(X, n_themes, seed)
    labels = _assign(W)
    # theme ids: 1 = the largest theme; ties by the first sentence; empty components dropped
    sizes = np.bincount(labels[labels >= 0], minlength=n_themes)
    first = [int(np.flatnonzero(labels == t)[0]) if sizes[t] else len(labels) for t in range(n_themes)]
    order = sorted((t for t in range(n_themes) if sizes[t]), key=lambda t: (-sizes[t], first[t]))
    ids = {t: i + 1 for i, t in enumerate(order)}
    weight = W.max(axis=1)
    frame = sentences.drop(columns=["lemmas"]).assign(
        theme=[ids.get(int(t), 0) for t in labels], weight=np.round(weight, 6)
    )[SENTENCE_COLUMNS]

    rows = []
    for t in order:
        members = np.flatnonzero(labels == t)
        ranked = members[np.argsort(-W[members, t], kind="stable")]
        top_terms = tuple(str(terms[j]) for j in np.argsort(-H[t], kind="stable")[:_N_TERMS] if H[t, j] > 0)
        pilots = tuple(dict.fromkeys(frame["pilot_id"].iloc[members]))
        quotes = _quotes(ranked, frame)
        rows.append({
            "theme": ids[t], "terms": top_terms, "size": len(members), "n_pilots": len(pilots),
            "pilot_ids": pilots, "quotes": tuple(q for q, _ in quotes), "quote_pilots": tuple(p for _, p in quotes),
        })
    themes = pd.DataFrame(rows, columns=THEME_COLUMNS)
    return Themes(themes, frame, questions, seed, stability, selection, corpus.template.unit)


def _quotes(ranked, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The sentences nearest the theme, one per pilot first, then the next nearest."""
    chosen: list[int] = []
    seen: set[str] = set()
    texts: set[str] = set()
    for i in ranked:  # first pass: different pilots
        pilot, text = frame["pilot_id"].iat[i], frame["sentence"].iat[i]
        if pilot not in seen and text not in texts:
            chosen.append(i)
            seen.add(pilot)
            texts.add(text)
        if len(chosen) == _N_QUOTES:
            break
    for i in ranked:
        if len(chosen) == _N_QUOTES:
            break
        if i not in chosen and frame["sentence"].iat[i] not in texts:
            chosen.append(i)
            texts.add(frame["sentence"].iat[i])
    chosen.sort(key=list(ranked).index)
    return [(frame["sentence"].iat[i], frame["pilot_id"].iat[i]) for i in chosen]


# -- from themes to codes -----------------------------------------------------------------


def _shipped_default() -> Path | None:
    try:
        return Path(str(resources.files("quickscan").joinpath("data", DEFAULT_CODEBOOK))).resolve()
    except (OSError, TypeError):  # pragma: no cover - a zipped install
        return None


def _refuse_default(path: Path) -> None:
    from .errors import CodebookError

    shipped = _shipped_default()
    target = path.resolve()
    if shipped is not None and target == shipped:
        raise CodebookError(path, "refusing to overwrite the shipped default codebook; write the copy to another file")
    if shipped is not None and target.is_file() and target.read_bytes() == shipped.read_bytes():
        raise CodebookError(path, "refusing to overwrite a copy of the shipped default codebook; "
                                  "write the extended codebook to a file of its own")


def promote_themes(
    themes: Themes,
    names: Mapping[int, str | tuple[str, str]],
    codebook: Codebook,
    *,
    family: str = "lessen",
    label: str = "Geleerde lessen",
    path: str | PathLike[str] | None = None,
    n_patterns: int = 5,
) -> Codebook:
    """The themes a researcher named, as codes of a new family in a copy of ``codebook``.

    ``names`` maps a theme id to a label (the code id is made from it: ``"Financiering
    regelen"`` -> ``financiering_regelen``) or to ``(code_id, label)``. Themes not named are
    left out. Each code gets the theme's quotes as ``examples``, its top terms as starting
    ``patterns`` (lemma words, at most ``n_patterns``: edit them before coding with them)
    and ``questions`` set to the questions the themes came from. ``codebook`` itself is
    not changed. With ``path`` the new codebook is written there as YAML (atomically);
    the shipped default codebook is never overwritten.

    Raises ValueError for an unknown theme id, a duplicate name or code id, an id that is
    already a code of the codebook, or a family id that exists.

    >>> from quickscan.corpus import Corpus, make_answers
    >>> from quickscan.codebook import load_codebook
    >>> corpus = Corpus.from_answers(pd.concat([make_answers(f"Pilot {i}", "T0", {20: (
    ...     "De subsidie van de gemeente was te laat. Het budget voor de subsidie was te klein. "
    ...     "Overleg met partners kost tijd. Partners willen samenwerking en overleg.")}) for i in range(4)]))
    >>> themes = suggest_themes(corpus, questions=(20,), n_themes=2)
    >>> first = 1 if themes.theme(1)["terms"][0] == "subsidie" else 2
    >>> cb = promote_themes(themes, {first: "Financiering regelen"}, load_codebook())
    >>> code = cb.family("lessen").codes[0]
    >>> code.id, code.label, code.questions, "subsidie" in [p.text for p in code.patterns]
    ('financiering_regelen', 'Financiering regelen', (20,), True)
    """
    from ._io import atomic_write

    if family in {f.id for f in codebook.families}:
        raise ValueError(f"family {family!r} is already in codebook {codebook.id!r}; choose another family id")
    known = {c.id for c in codebook.codes}
    codes: list[Code] = []
    ids: dict[str, int] = {}
    labels: dict[str, int] = {}
    for theme_id, name in names.items():
        row = themes.theme(theme_id)
        if isinstance(name, str):
            code_id, code_label = "_".join(fold(name).split()), name.strip()
        elif isinstance(name, tuple) and len(name) == 2 and all(isinstance(x, str) for x in name):
            code_id, code_label = name[0].strip(), name[1].strip()
        else:
            raise ValueError(f"theme {theme_id}: a name is a label or a (code id, label) pair, not {name!r}")
        if not code_label or not code_id:
            raise ValueError(f"theme {theme_id}: empty name {name!r}")
        if code_id in ids or code_label.lower() in labels:
            other = ids.get(code_id, labels.get(code_label.lower()))
            raise ValueError(f"theme {theme_id}: duplicate name {code_label!r} ({code_id}), also given to theme {other}")
        if code_id in known:
            raise ValueError(f"theme {theme_id}: code id {code_id!r} is already in the codebook; "
                             "give (code_id, label) with another id")
        ids[code_id] = labels[code_label.lower()] = theme_id
        patterns = []
        for term in row["terms"]:
            try:
                parse_pattern(term)
            except ValueError:
                continue
            patterns.append(Pattern(f"{code_id}:{len(patterns) + 1}", text=term))
            if len(patterns) == n_patterns:
                break
        codes.append(Code(
            id=code_id, label=code_label, family=family,
            definition=(f"Thema uit open codering van vraag {', '.join(map(str, themes.questions))} "
                        f"(thema {theme_id}, {row['size']} zinnen in {themes.unit.count(row['n_pilots'])})."),
            questions=themes.questions, examples=tuple(row["quotes"]), patterns=tuple(patterns),
        ))
    if not codes:
        raise ValueError("no theme named: give names as {theme id: label}")
    new_family = Family(id=family, label=label, codes=tuple(codes), caption=label, questions=themes.questions)
    extended = replace(codebook, families=(*codebook.families, new_family))
    text = extended.to_yaml()
    target = Path(path) if path is not None else None
    extended = Codebook.from_yaml(text, source=str(target) if target else "<promote_themes>")  # checks it all
    if target is not None:
        _refuse_default(target)
        atomic_write(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return extended
