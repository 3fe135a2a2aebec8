"""Selective coding: apply a codebook to every answer with spaCy, with evidence and negation.

:func:`code_corpus` returns one row per coding (a code found in a sentence of an answer):

=========== ==================================================================================
pilot_id    the pilot
wave        ``T0``, ``T1``, ...
question    the question whose answer holds the sentence (Int64; <NA> for unmatched content)
code        code id; ``family`` its family
start, end  character offsets of the match in the answer text (Int64; <NA> for a fallback)
evidence    the sentence that holds the match (empty for a fallback fact)
negated     True when a negation (geen, niet, nooit, zonder, ...) governs the match
valence     the family's valence cue nearest to the match in the sentence (e.g. risicofactor)
source      ``rule``
pattern     id of the pattern that matched
segment_id  stable id of the coding: see :func:`segment_id`
=========== ==================================================================================

How it works (see also ``docs/codebook-format.md``):

* **Pipeline.** ``spacy.blank("nl")``'s tokenizer and the Dutch lookup table of
  spacy-lookups-data for lemmas, built once per process on first use. Sentences follow the
  sentencizer's rule and also end at line breaks, worked out once from the token table.
  Each distinct answer text is tokenised once and kept as a small token table (a cache of
  at most ``_CACHE_BYTES``, least recently used texts forgotten first), so re-coding after
  a codebook edit only re-runs the matching; answers are coded in batches of ``_BATCH``,
  so memory stays bounded however many forms there are.
* **Matching.** Every pattern token is expanded into the lower-case word forms it accepts
  among the forms seen so far: ``woning`` -> forms whose text or lemma is ``woning``
  (lemmas looked up per form in the table of spacy-lookups-data); ``woning*``,
  ``*woning``, ``*schuld*`` -> forms that start with, end with or contain the stem. The
  forms are spelled out into a ``PhraseMatcher`` on ``LOWER``; a pattern with ``...``
  is anchored on its rarest gap-free part and the other parts are checked around each
  anchor. Raw spaCy patterns go into a ``Matcher``. New texts only add their new word
  forms, a codebook edit only the patterns that changed (see ``_Registry``). A match must
  lie within one sentence; a code found several times in a sentence is one coding.
* **Selective coding.** Codes are searched in all answers (except the personal questions
  and the questions the template marks ``coded: false``: the pilot's name and address, the
  municipality, the start date), unless the code or its family lists ``questions``. Fact families are coded from their own
  ``question`` only, once per pilot and wave (see :func:`code_corpus`).
* **Negation.** See :func:`is_negated`.

>>> from quickscan.corpus import Corpus, make_answers
>>> from quickscan.codebook import Codebook
>>> cb = Codebook.from_yaml('''
... id: mini
... name: Mini
... families:
...   - id: basisset
...     label: Basisset
...     codes:
...       - {id: wonen, label: Wonen, patterns: ["woning*", "eigen voordeur"]}
...       - {id: schulden, label: Schuldhulpverlening, patterns: ["*schuld*"]}
... ''')
>>> corpus = Corpus.from_answers(make_answers("Thuis Houten", "T0",
...     {9: "Iedereen krijgt een eigen woning. Er is geen sprake van schuldhulpverlening."}))
>>> code_corpus(corpus, cb)[["question", "code", "evidence", "negated"]]  # doctest: +NORMALIZE_WHITESPACE
   question      code                                       evidence  negated
0         9     wonen                 Iedereen krijgt een eigen woning.    False
1         9  schulden  Er is geen sprake van schuldhulpverlening.     True
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate, islice, product
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._io import elsewhere
from .codebook import MAX_GAP, MIN_STEM, Codebook, MatcherPattern, PatternToken, compile_codebook, default_codebook

if TYPE_CHECKING:  # spaCy is imported lazily, inside functions
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "CODING_COLUMNS",
    "NEGATION_CUES",
    "code_corpus",
    "present",
    "is_negated",
    "segment_id",
    "fold",
    "pipeline",
    "tokenize",
    "sentences",
    "clear_cache",
]

CODING_COLUMNS = [
    "pilot_id", "wave", "question", "code", "family", "start", "end", "evidence",
    "negated", "valence", "source", "pattern", "segment_id",
]

# A cue negates what follows it in its clause ("geen woning", "zonder begeleiding"); the
# adverbs negate their whole clause, also what stands before them ("dat lukt nog niet").
# Multi-word cues (nog niet, niet meer, geen sprake van, geen van de) hold one of these.
NEGATION_CUES = {
    "geen": "forward", "zonder": "forward", "noch": "forward", "niemand": "forward",
    "niet": "clause", "nooit": "clause", "niets": "clause", "nergens": "clause", "nimmer": "clause",
}
_NOT_NEGATING = {  # cue followed by one of these does not negate: "niet alleen X maar ook Y"
    "niet": {"alleen", "enkel", "uitsluitend", "slechts", "minder", "zelden", "onbelangrijk"},
    "geen": {"probleem", "punt"},
}
# Negative verdicts: a judgement that the thing named is absent, (hardly) recognisable or
# does not apply negates its whole clause, also what stands before it ("Uitgangspunten 3 en 4
# zijn minder herkenbaar", "spelen geen rol", "is niet van toepassing", "n.v.t."). A hedge
# counts only before one of the predicates (within three tokens): "minder herkenbaar",
# "nauwelijks van toepassing", "zien we minder terug"; "lastig", "minder goed" or "in mindere
# mate" alone are no negation (a difficulty is not an absence). ``geen`` before one of the
# verdict nouns negates the clause, not only what follows: "X speelt geen (grote) rol",
# "van X is geen sprake", "X is geen onderdeel van de pilot".
_VERDICT_CUES = {"n.v.t.": "clause", "nvt": "clause", "nee": "answer", "neen": "answer",
                 "minder": "hedge", "nauwelijks": "hedge", "weinig": "hedge", "amper": "hedge"}
_VERDICT_PREDICATES = {"herkenbaar", "herkend", "relevant", "toepassing", "terug", "orde"}
_VERDICT_NOUNS = {"rol", "sprake", "onderdeel"}  # after "geen", at most one word in between
# A label, a colon and a short verdict that says only no / not yet negate the label: "Eenvoudiger
# systeem: nog niet.", "Schuldhulpverlening: daar is geen sprake van.", "Time-out: n.v.t.",
# "Normaliseren: zien we (nog) niet." The verdict is the clause after the colon; every word of
# it must be one of these (and it must hold a negation), so "Wonen: geen woningen maar ..." or
# "Wat niet lukt: woningen" are no verdicts on what precedes the colon.
_VERDICT_WORDS = {
    "nog", "niet", "nee", "neen", "geen", "nooit", "niets", "n.v.t.", "nvt", "daar", "hier", "dat", "dit",
    "het", "is", "er", "zijn", "was", "waren", "wordt", "sprake", "van", "zien", "ziet", "zagen", "we",
    "wij", "ik", "ze", "ook", "helaas", "steeds", "meer", "echt", "toepassing", "rol", "relevant",
    "herkenbaar", "herkend", "minder", "nauwelijks", "weinig", "amper", "bij", "ons", "aan", "de", "orde",
    "terug", "speelt", "spelen", "nu", "momenteel", "(", ")", ".", "!", "...", "…",
}
_MAX_VERDICT = 10  # tokens after the colon
_SHORT_BRACKET = 3  # an insertion "(nog)", "(nog niet)" of at most this many tokens is part of its clause
_BOUNDARY_PUNCT = {",", ";", ":", "(", ")", "[", "]", "-", "–", "—", "•", "/"}
_BOUNDARY_WORDS = {
    "maar", "want", "omdat", "doch", "terwijl", "hoewel", "echter", "zodat", "waardoor",
    "doordat", "dus", "tenzij", "behalve", "aangezien", "zodra", "nadat", "voordat", "waarna",
}
# "en" / "of" start a new clause only before a subject or an adverb ("..., want ze krijgen",
# "geen time-out en we bieden wel ..."); otherwise they join nouns and the negation carries
# over: "geen sprake van schuldhulpverlening en budgetbeheer".
_COORDINATORS = {"en", "of"}
_CLAUSE_STARTERS = {
    "ik", "je", "jij", "u", "hij", "zij", "ze", "we", "wij", "men", "er", "daar", "dan", "wel",
    "ook", "toch", "daarnaast", "daarom", "daardoor", "bovendien", "vervolgens", "nu",
}

_CACHE_BYTES = 256 * 2**20  # token tables kept between calls (some 70,000 answers, 3,500 forms)
_BATCH = 2_000  # answers tokenised, matched and let go together: memory bounded whatever N
#: With an executor, code_corpus codes half of the answers in it from this many answers on (fewer
#: take less time than starting spaCy in the other process).
SPLIT_ANSWERS = 4_000
_STATE: dict[str, Any] = {"nlp": None, "cached": 0}
_DOCS: OrderedDict[str, _Parsed] = OrderedDict()
_PLANS: OrderedDict[Codebook, _Plan] = OrderedDict()
_PHRASES: dict[tuple[str, ...], Doc] = {}
_NEWLINE = re.compile(r"\n\s*(?=\S)")
_BULLET = re.compile(r"^[\s\-–—•*·]+")


# -- the pipeline and the token cache -----------------------------------------------------


def pipeline() -> Language:
    """The spaCy pipeline, built once per process: ``spacy.blank("nl")`` and a sentencizer
    that also ends a sentence at a line break. Lemmas come from the lookup table of
    spacy-lookups-data (see :func:`tokenize`), loaded with it.

    >>> [s.text for s in pipeline()("Een zin. Nog een").sents]
    ['Een zin.', 'Nog een']
    """
    if _STATE["nlp"] is None:
        _import_spacy()
        from spacy import attrs
        from spacy.lang.nl import Dutch
        from spacy.pipeline import Sentencizer

        nlp = Dutch(create_tokenizer=_tokenizer)  # spacy.blank("nl") with special cases added on demand
        # a line break ends a sentence: the tokenizer makes it a whitespace token
        breaks = [a + "\n" * n + b for n in (1, 2, 3) for a in ("", " ") for b in ("", " ", "  ")]
        nlp.add_pipe("sentencizer", config={"punct_chars": [*Sentencizer.default_punct_chars, *breaks]})
        h = nlp.vocab.strings.add
        _STATE.update(
            nlp=nlp,
            lemmas=_lemma_table(),
            cues={h(w): scope for w, scope in {**_VERDICT_CUES, **NEGATION_CUES}.items()},
            cue_array=np.array(sorted(h(w) for w in {**_VERDICT_CUES, **NEGATION_CUES}), dtype="uint64"),
            predicates={h(w) for w in _VERDICT_PREDICATES},
            answers={h(w) for w, scope in _VERDICT_CUES.items() if scope == "answer"},
            verdict_nouns={h(w) for w in _VERDICT_NOUNS},
            verdict_words={h(w) for w in _VERDICT_WORDS},
            marks={w: h(w) for w in ("(", ")", ":", "niet")},
            hard_boundaries={h(w) for w in _BOUNDARY_WORDS | {";", "(", ")", "[", "]"}},
            verdict_stops={h(w) for w in _BOUNDARY_WORDS | {",", ";", ":", "-", "–", "—", "/"}},
            attrs=[attrs.IDX, attrs.LENGTH, attrs.LOWER, attrs.ORTH, attrs.IS_PUNCT],
            empty=np.zeros((0, 3), dtype="uint64"),
            sentence_ends=np.array(sorted(h(w) for w in nlp.get_pipe("sentencizer").punct_chars), dtype="uint64"),
            not_negating={h(w): {h(x) for x in xs} for w, xs in _NOT_NEGATING.items()},
            boundaries={h(w) for w in _BOUNDARY_PUNCT | _BOUNDARY_WORDS},
            coordinators={h(w) for w in _COORDINATORS},
            starters={h(w) for w in _CLAUSE_STARTERS},
        )
    return _STATE["nlp"]


def _import_spacy() -> None:
    """``import spacy`` without its command line interface, which the coder never uses.

    ``spacy/__init__.py`` imports ``spacy.cli`` (typer, weasel, the training and project
    commands: some 0.5 s of the 1.2 s of importing spaCy) for one name, ``spacy.info``. While
    spaCy is imported, two placeholder modules stand for ``spacy.cli`` and ``spacy.cli.info``;
    they are removed right after, so ``import spacy.cli`` later imports the real one, and
    ``spacy.info()`` does that when called. Should spaCy import more of its CLI, spaCy is
    imported as usual.
    """
    import sys
    from types import ModuleType

    if "spacy" in sys.modules:
        return
    placeholders = {"spacy.cli": ModuleType("spacy.cli"), "spacy.cli.info": ModuleType("spacy.cli.info")}

    def info(*args, **kwargs):
        """``spacy.cli.info.info``, imported when called."""
        from spacy.cli.info import info

        return info(*args, **kwargs)

    def remove() -> None:
        for name, placeholder in placeholders.items():
            if sys.modules.get(name) is placeholder:
                del sys.modules[name]

    placeholders["spacy.cli.info"].info = info
    sys.modules.update(placeholders)
    try:
        import spacy  # noqa: F401
    except ImportError:  # a spaCy that takes more from spacy.cli: the usual import
        remove()
        import spacy  # noqa: F401
    finally:
        remove()


def _tokenizer(nlp: Language):
    """The tokenizer of ``spacy.blank("nl")`` (the same prefixes, suffixes, infixes and special
    cases), adding a special case only once a text can hold it: see :func:`_on_demand`."""
    from spacy import util
    from spacy.tokenizer import Tokenizer

    if "tokenizer" not in _STATE:
        _STATE["tokenizer"] = _on_demand(Tokenizer)
    d = nlp.Defaults
    return _STATE["tokenizer"](
        nlp.vocab, d.tokenizer_exceptions,
        prefix_search=util.compile_prefix_regex(d.prefixes).search if d.prefixes else None,
        suffix_search=util.compile_suffix_regex(d.suffixes).search if d.suffixes else None,
        infix_finditer=util.compile_infix_regex(d.infixes).finditer if d.infixes else None,
        token_match=d.token_match, url_match=d.url_match)


def _on_demand(Tokenizer: type) -> type:
    """A subclass of spaCy's ``Tokenizer`` that adds each special case when a text can hold it.

    spaCy's Dutch has 4,670 special cases (abbreviations such as ``bijv.``, ``N.v.t.``, ``a.s.``
    in three spellings each, emoticons, ``'s``); adding them one by one, as ``Tokenizer`` does,
    took two thirds of building the pipeline (some 0.6 s), while a corpus holds a few dozen.
    Here the 153 without a full stop are added at once, and one with a full stop (``head.tail``)
    when a text, read without its whitespace, holds ``head`` before a full stop and ``.tail``
    from it. That covers every way a special case acts: on a whitespace-free part of the text (a
    chunk, or a chunk with prefixes and suffixes taken off), or through spaCy's matcher of
    special cases over tokens at most one space apart. So every text gets the tokens of
    ``spacy.blank("nl")`` (``tests/test_coding.py`` compares them); the look-up costs a text
    without a full stop nothing, and some 10% of tokenising one with full stops.
    """

    class OnDemand(Tokenizer):
        def __init__(self, vocab, rules, **regexes) -> None:
            super().__init__(vocab, {s: t for s, t in rules.items() if "." not in s}, **regexes)
            self._waiting = {s: t for s, t in rules.items() if "." in s}
            # the heads read backwards from the full stop, letter by letter: a tree of dicts whose
            # key None holds the tails of the head ending there (length -> {".tail"})
            self._heads: dict = {}
            for special in self._waiting:
                head, _, tail = special.partition(".")
                node = self._heads
                for char in reversed(head):
                    node = node.setdefault(char, {})
                node.setdefault(None, {}).setdefault(len(tail) + 1, set()).add("." + tail)

        def __call__(self, text: str) -> Doc:
            self.expect([text])
            return super().__call__(text)

        def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterable[Doc]:
            texts = iter(texts)
            while batch := list(islice(texts, batch_size)):
                self.expect(batch)
                yield from (Tokenizer.__call__(self, text) for text in batch)

        def expect(self, texts: Iterable[str]) -> None:
            """Add the special cases the texts can hold."""
            found: set[str] = set()
            for text in texts:
                if "." not in text or not self._waiting:
                    continue
                squeezed = "".join(text.split())
                i = squeezed.find(".")
                while i >= 0:
                    node, j = self._heads, i
                    while node:
                        if None in node:
                            for size, tails in node[None].items():
                                if squeezed[i : i + size] in tails:
                                    found.add(squeezed[j : i + size])
                        j -= 1
                        node = node.get(squeezed[j]) if j >= 0 else None
                    i = squeezed.find(".", i + 1)
            for special in sorted(found & self._waiting.keys()):  # in the order spaCy adds them
                self.add_special_case(special, self._waiting.pop(special))

    return OnDemand


class _Parsed:
    """A tokenised text as the coder keeps it: a small NumPy table, not the spaCy ``Doc``.

    Per token the table holds the char offset, the length and the lower-case hash (24
    bytes a token; a ``Doc`` takes some 200). Sentence starts are worked out once, here,
    from the table: spaCy's sentencizer rule (a sentence starts at the first word after
    ``.``, ``!``, ``?``, ...) and a line break, which also ends a sentence (bullet lists and
    headings rarely end with a full stop). Python lists made during a coding run are
    dropped by :meth:`release`; :meth:`make_doc` rebuilds the ``Doc`` from the text when a
    matcher needs it again (a third of the cost of tokenising).
    """

    __slots__ = ("text", "table", "starts", "ends", "cues", "size", "_lowers", "_forms", "_chars",
                 "_sentences", "_negated")

    def __init__(self, text: str, table, starts: list[int], cues: list[int]) -> None:
        self.text, self.table, self.starts, self.cues = text, table, starts, cues
        self.ends = starts[1:] + [len(table)]
        self._lowers = self._forms = self._chars = None
        self._sentences, self._negated = {}, {}
        self.size = table.nbytes + 2 * len(text) + 60 * (len(starts) + len(cues)) + 400

    @staticmethod
    def of(docs: Sequence[Doc], texts: Sequence[str]) -> list[_Parsed]:
        """The parsed texts of their new spaCy docs, worked out for the whole batch at once."""
        import numpy as np

        sizes = [len(doc) for doc in docs]
        bounds = np.cumsum([0, *sizes])
        if not bounds[-1]:
            return [_Parsed(t, _STATE["empty"], [], []) for t in texts]
        full = np.concatenate([doc.to_array(_STATE["attrs"]) for doc in docs if len(doc)])  # IDX LENGTH LOWER ORTH PUNCT
        # the sentencizer's rule: a word (neither punctuation nor a sentence end) starts a
        # sentence when a sentence end stands between it and the word before, in its text
        ends = np.isin(full[:, 3], _STATE["sentence_ends"])
        words = np.flatnonzero(~(ends | (full[:, 4] == 1)))
        before = np.concatenate(([0], np.cumsum(ends)))  # sentence ends before token i
        own = bounds[np.searchsorted(bounds, words, side="right") - 1]  # first token of the word's text
        previous = np.maximum(np.concatenate(([-1], words[:-1])) + 1, own)
        starting = words[before[words] - before[previous] > 0]
        cue = np.flatnonzero(np.isin(full[:, 2], _STATE["cue_array"]))
        table = np.ascontiguousarray(full[:, :3])
        out = []
        for k, (text, n) in enumerate(zip(texts, sizes)):
            lo, hi = bounds[k], bounds[k + 1]
            if not n:
                out.append(_Parsed(text, _STATE["empty"], [], []))
                continue
            part = table[lo:hi]
            starts = {0, *(starting[np.searchsorted(starting, lo) : np.searchsorted(starting, hi)] - lo).tolist()}
            if "\n" in text:  # a line break starts a sentence, wherever the tokenizer put it
                breaks = np.searchsorted(part[:, 0], [m.end() for m in _NEWLINE.finditer(text)])
                starts.update(b for b in breaks.tolist() if 0 < b < n)
            cues = (cue[np.searchsorted(cue, lo) : np.searchsorted(cue, hi)] - lo).tolist()
            out.append(_Parsed(text, part.copy(), sorted(starts), cues))
        return out

    def __len__(self) -> int:
        return len(self.table)

    @property
    def lowers(self):
        """Lower-case hash per token (NumPy)."""
        return self.table[:, 2]

    @property
    def lower_list(self) -> list[int]:
        """Lower-case hash per token (a list, kept until :meth:`release`)."""
        if self._lowers is None:
            self._lowers = self.table[:, 2].tolist()
        return self._lowers

    @property
    def forms(self) -> set[int]:
        """The lower-case forms (hashes) of the text (kept until :meth:`release`)."""
        if self._forms is None:
            self._forms = set(self.lower_list)
        return self._forms

    def release(self) -> None:
        """Drop what was made for one coding run."""
        self._lowers = self._forms = self._chars = None
        self._sentences, self._negated = {}, {}

    def make_doc(self) -> Doc:
        """The spaCy ``Doc`` of the text, rebuilt from the table (no tokenising)."""
        from spacy.tokens import Doc

        offsets = self.table[:, 0].tolist()
        stops = (self.table[:, 0] + self.table[:, 1]).tolist()
        nexts = offsets[1:] + [len(self.text)]
        words = [self.text[a:b] for a, b in zip(offsets, stops)]
        return Doc(pipeline().vocab, words=words, spaces=[b < c for b, c in zip(stops, nexts)])

    def set_sentences(self, doc: Doc) -> Doc:
        """Mark the sentence starts of the table on ``doc``."""
        import numpy as np
        from spacy import attrs

        if len(doc):
            flags = np.full((len(doc), 1), -1, dtype="int64")
            flags[self.starts, 0] = 1
            doc.from_array([attrs.SENT_START], flags.astype("uint64"))
        return doc

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets of the tokens ``doc[start:end]``."""
        if self._chars is None:
            self._chars = (self.table[:, 0].tolist(), (self.table[:, 0] + self.table[:, 1]).tolist())
        return self._chars[0][start], self._chars[1][end - 1]

    def sentence(self, start: int, end: int) -> str:
        """The text of the sentence ``doc[start:end]``, without surrounding space and bullets."""
        if (start, end) not in self._sentences:
            a, b = self.char_span(start, end)
            self._sentences[(start, end)] = _BULLET.sub("", self.text[a:b]).strip()
        return self._sentences[(start, end)]

    def sentence_spans(self) -> list[tuple[int, int, str]]:
        """Every non-empty sentence as (start, end, text), character offsets into the text."""
        out = []
        for a, b in zip(self.starts, self.ends):
            text = self.sentence(a, b)
            if text:
                start = self.text.index(text, self.char_span(a, b)[0])
                out.append((start, start + len(text), text))
        return out

    def negated(self, start: int, end: int, sentence: tuple[int, int]) -> bool:
        """Whether a negation governs ``doc[start:end]`` (see :func:`is_negated`)."""
        lo, hi = sentence
        i = bisect.bisect_left(self.cues, lo)
        if i == len(self.cues) or self.cues[i] >= hi:
            return False  # no cue in the sentence: the common case
        if (start, end) not in self._negated:
            self._negated[(start, end)] = _negated(self.lower_list, start, end, sentence)
        return self._negated[(start, end)]


def tokenize(texts: Iterable[str]) -> list[Doc]:
    """The ``Doc`` of each text, with lemmas and the coder's sentences; each distinct text is
    tokenised once per process (see :func:`clear_cache`), its ``Doc`` made anew on each call.

    >>> [(t.text, t.lemma_) for t in tokenize(["Eigen woningen."])[0]]
    [('Eigen', 'eigen'), ('woningen', 'woning'), ('.', '.')]
    """
    texts = list(texts)
    out: list[Doc] = []
    for i in range(0, len(texts), _BATCH):
        parsed, docs = _parse(texts[i : i + _BATCH], docs=True)
        out += [_lemmatize(p.set_sentences(doc)) for p, doc in zip(parsed, docs)]
    return out


def sentences(text: str) -> list[tuple[int, int, str]]:
    """The sentences of a text as the coder sees them: (start, end, sentence) with
    character offsets, line breaks ending sentences, bullets stripped.

    >>> sentences("Eerste zin. Tweede zin\\n- een punt")
    [(0, 11, 'Eerste zin.'), (12, 22, 'Tweede zin'), (25, 33, 'een punt')]
    """
    return _parse([text])[0][0].sentence_spans() if text.strip() else []


def _lemma_table() -> dict[str, str]:
    """The Dutch lookup table of spacy-lookups-data (lower-case form -> lemma) as a plain dict.

    This is what spaCy's Dutch lookup lemmatizer does (``text.lower()`` looked up, else kept),
    without building spaCy's hashed ``Table`` of 213,000 entries: loading the dict directly
    takes a fifth of the time, and the coder looks lemmas up once per word form anyway.
    """
    import gzip

    import srsly
    import spacy_lookups_data

    with gzip.open(spacy_lookups_data.get_file("nl_lemma_lookup.json.gz")) as f:
        return srsly.json_loads(f.read())


def _lemmatize(doc: Doc) -> Doc:
    """Set the lemmas of a ``Doc`` from the lookup table (for raw spaCy patterns on ``LEMMA``)."""
    lemmas = _STATE["lemmas"]
    for token in doc:
        lower = token.lower_
        token.lemma_ = lemmas.get(lower, lower)
    return doc


def _parse(texts: Sequence[str], *, docs: bool = False) -> tuple[list[_Parsed], list[Doc]]:
    """The parsed texts (from the cache, else tokenised and cached) and, with ``docs``, a ``Doc``
    per text (the tokenizer's own for a new text, else rebuilt)."""
    pipeline()
    unique = dict.fromkeys(texts)
    found: dict[str, _Parsed] = {}
    for text in unique:
        p = _DOCS.get(text)
        if p is not None:
            _DOCS.move_to_end(text)
            found[text] = p
    fresh: dict[str, Doc] = {}
    missing = [t for t in unique if t not in found]
    if missing:
        # the tokenizer alone: sentences come from the token table (see _Parsed), lemmas
        # are looked up once per word form (see _Registry)
        made = list(_STATE["nlp"].tokenizer.pipe(missing, batch_size=256))
        for text, doc, p in zip(missing, made, _Parsed.of(made, missing)):
            found[text] = p
            if docs:
                fresh[text] = doc
            _store(text, p)
    parsed = [found[t] for t in texts]
    if not docs:
        return parsed, []
    made = {t: fresh[t] if t in fresh else found[t].make_doc() for t in unique}
    return parsed, [made[t] for t in texts]


def _store(text: str, p: _Parsed) -> None:
    """Keep a parsed text, forgetting the least recently used beyond :data:`_CACHE_BYTES`."""
    old = _DOCS.pop(text, None)
    if old is not None:
        _STATE["cached"] -= old.size
    _DOCS[text] = p
    _STATE["cached"] = _STATE.get("cached", 0) + p.size
    while _STATE["cached"] > _CACHE_BYTES and _DOCS:
        _STATE["cached"] -= _DOCS.popitem(last=False)[1].size


def clear_cache(*, matchers: bool = True) -> None:
    """Forget the tokenised texts and (with ``matchers``) the compiled codebook and the
    forms seen. The pipeline itself is kept."""
    _DOCS.clear()
    _STATE["cached"] = 0
    if matchers:
        _PLANS.clear()
        _PHRASES.clear()
        _STATE["registry"] = None


def _remember(cache: OrderedDict, key: Any, make, size: int) -> Any:
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    while len(cache) > size:
        cache.popitem(last=False)
    return value


# -- expanding patterns against a vocabulary ----------------------------------------------


_MAX_PHRASES = 500  # forms of a multi-token segment spelled out; beyond: a Matcher {"IN": [...]} pattern


@dataclass(eq=False)
class _Entry:
    """One pattern of the current codebook in the matchers.

    A pattern with gaps (``eigen ... regie``) is split into gap-free *segments*; only its
    rarest segment, the *anchor*, goes into a matcher, and :func:`_around` checks the other
    segments around each anchor match. ``forms`` holds, per segment and token, the hashes
    of the forms seen so far that the token accepts (sets shared with the registry, so
    they grow as new texts come in).
    """

    pattern: MatcherPattern
    restricted: bool  # searched only in some questions: in the second PhraseMatcher
    name: str  # the match key in spaCy's matchers
    segments: list[list[PatternToken]]
    forms: list[list[set[int]]]
    anchor: int = 0
    spelled: set[tuple[str, ...]] = field(default_factory=set)  # anchor forms in the PhraseMatcher
    in_matcher: bool = False  # the anchor (or a raw spaCy pattern) is in the Matcher
    needs: tuple[set[int], ...] | None = ()  # Matcher entries: forms a text must hold (None: unknown)
    others: list[set[int]] = field(default_factory=list)  # forms of the tokens outside the anchor
    position: int = -1  # in the current plan's compiled patterns
    scope: frozenset[int] | None = None  # questions searched (None: all)


class _Registry:
    """spaCy matchers for the patterns of the current codebook, kept up to date incrementally.

    Every pattern token is expanded into the lower-case forms it accepts among the forms
    *seen so far* in this process: ``woning`` -> forms whose text or lemma is ``woning``
    (lemmas from the lookup table of spacy-lookups-data, per form), ``woning*``,
    ``*woning``, ``*schuld*`` -> forms that start with, end with or contain the stem. The
    forms are spelled out into a ``PhraseMatcher`` on ``LOWER``: one hash lookup per token,
    whatever the number of patterns. (A ``Matcher`` with ``{"LOWER": {"IN": [...]}}`` or
    ``REGEX`` tokens tries every pattern at every token and calls a Python predicate:
    measured 30-50x slower with the 2,400 patterns of the U16 codebook.) New texts only add
    their new forms; a codebook edit only adds and removes the patterns that changed.
    """

    def __init__(self) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        nlp = pipeline()
        self.strings = nlp.vocab.strings
        self.phrase = {False: PhraseMatcher(nlp.vocab, attr="LOWER"), True: PhraseMatcher(nlp.vocab, attr="LOWER")}
        self.matcher = Matcher(nlp.vocab)
        self.entries: dict[tuple[MatcherPattern, bool], _Entry] = {}
        self.by_key: dict[int, _Entry] = {}
        self.known: set[int] = set()  # hashes of the forms seen
        self.forms: set[str] = set()  # the forms seen
        self.by_lemma: dict[str, set[str]] = defaultdict(set)  # lemma -> forms seen
        self.accepted: dict[PatternToken, set[int]] = {}  # token -> hashes of the forms it accepts
        self.refs: dict[PatternToken, int] = defaultdict(int)  # token -> entries using it
        self.users: dict[PatternToken, list[_Entry]] = defaultdict(list)  # entries whose anchor holds the token
        self.index: dict[str, dict[str, set[PatternToken]]] = {k: {} for k in _KINDS}
        self.infix_lengths: set[int] = set()
        self.plan: _Plan | None = None
        self.in_matcher: list[_Entry] = []
        self._sorted: tuple[list[str], list[str], str, list[int]] | None = None
        self._counter = 0

    # -- keeping up with the codebook and the texts ------------------------------------

    def update(self, plan: _Plan, parsed: Sequence[_Parsed]) -> None:
        """Learn the new forms of these texts, then add and remove the patterns that changed."""
        import numpy as np

        arrays = [p.lowers for p in parsed if len(p)]
        hashes, counts = np.unique(np.concatenate(arrays), return_counts=True) if arrays else (np.zeros(0), ())
        frequency = dict(zip(hashes.tolist(), counts.tolist() if len(hashes) else ()))
        new = [h for h in frequency if h not in self.known]
        if new:
            self._learn([self.strings[h] for h in new])
        if plan is not self.plan:
            self._sync(plan, frequency)
            self.plan = plan

    def _learn(self, forms: list[str]) -> None:
        lemmas = _STATE["lemmas"]
        touched: set[int] = set()
        for form in forms:
            h = self.strings.add(form)
            lemma = lemmas.get(form, form)
            self.known.add(h)
            self.forms.add(form)
            self.by_lemma[lemma].add(form)
            for token in self._tokens_accepting(form, lemma):
                self.accepted[token].add(h)
                touched.update(id(e) for e in self.users.get(token, ()))
        self._sorted = None
        for entry in self.entries.values():
            if id(entry) in touched:
                self._place(entry)

    def _tokens_accepting(self, form: str, lemma: str) -> list[PatternToken]:
        """The registered pattern tokens that accept a form (by dictionary lookups of its parts)."""
        words, prefixes, suffixes, infixes = (self.index[k] for k in _KINDS)
        out: list[PatternToken] = []
        for key in {form, lemma}:
            out += words.get(key, ())
        n = len(form)
        for i in range(MIN_STEM, n + 1):
            out += prefixes.get(form[:i], ())
            out += suffixes.get(form[n - i :], ())
        if infixes:
            lengths = [k for k in self.infix_lengths if k <= n]
            for i in range(n - MIN_STEM + 1):
                for k in lengths:
                    out += infixes.get(form[i : i + k], ())
        return out

    def _sync(self, plan: _Plan, frequency: dict[int, int]) -> None:
        wanted = {(mp, scope is not None): (i, scope) for i, (mp, scope) in enumerate(zip(plan.compiled, plan.scope))}
        gone = [self.entries.pop(k) for k in [k for k in self.entries if k not in wanted]]
        for entry in gone:
            self._remove(entry)
        if any(e.pattern.spacy for e in gone):  # the Matcher remembers the attributes of removed patterns
            self._new_matcher()
        for key, (i, scope) in wanted.items():
            if key not in self.entries:
                self.entries[key] = self._add(*key, frequency)
            self.entries[key].position, self.entries[key].scope = i, scope
        self.in_matcher = [e for e in self.entries.values() if e.in_matcher]

    def _add(self, mp: MatcherPattern, restricted: bool, frequency: dict[int, int]) -> _Entry:
        self._counter += 1
        name = f"p{self._counter}"
        segments = _segments(mp.tokens) if not mp.spacy else []
        for token in {t for seg in segments for t in seg}:
            self._accept(token)
            self.refs[token] += 1
        forms = [[self.accepted[t] for t in seg] for seg in segments]
        entry = _Entry(mp, restricted, name, segments, forms)
        self.by_key[self.strings.add(name)] = entry
        if mp.spacy:
            raw = json.loads(mp.spacy)
            self.matcher.add(name, [raw])
            entry.in_matcher, entry.needs = True, _raw_needs(raw, self.strings)
            return entry
        if len(segments) > 1:
            entry.anchor = min(
                range(len(segments)),
                key=lambda k: min(sum(frequency.get(h, 0) for h in fs) for fs in forms[k]),
            )
        entry.others = [fs for k, seg in enumerate(forms) if k != entry.anchor for fs in seg]
        for token in segments[entry.anchor]:
            self.users[token].append(entry)
        self._place(entry)
        return entry

    def _remove(self, entry: _Entry) -> None:
        if entry in self.in_matcher:
            self.in_matcher.remove(entry)
        if entry.spelled:
            self.phrase[entry.restricted].remove(entry.name)
        if entry.in_matcher:
            self.matcher.remove(entry.name)
        self.by_key.pop(self.strings[entry.name], None)
        for token in {t for seg in entry.segments for t in seg}:
            users = self.users.get(token, [])
            if entry in users:
                users.remove(entry)
            self.refs[token] -= 1
            if not self.refs[token]:
                self._forget(token)

    def _new_matcher(self) -> None:
        from spacy.matcher import Matcher

        self.matcher = Matcher(pipeline().vocab)
        for entry in self.in_matcher:
            if entry.pattern.spacy:
                self.matcher.add(entry.name, [json.loads(entry.pattern.spacy)])
            else:
                sets = [sorted(self.strings[h] for h in fs) for fs in entry.forms[entry.anchor]]
                self.matcher.add(entry.name, [[{"LOWER": {"IN": forms}} for forms in sets]])

    def _place(self, entry: _Entry) -> None:
        """Put the anchor's forms seen so far into the PhraseMatcher (or the Matcher)."""
        from spacy.tokens import Doc

        sets = [sorted(self.strings[h] for h in fs) for fs in entry.forms[entry.anchor]]
        if not all(sets):
            return
        if not entry.in_matcher and (len(sets) == 1 or math.prod(map(len, sets)) <= _MAX_PHRASES):
            new = [words for words in product(*sets) if words not in entry.spelled]
            if new:
                vocab = pipeline().vocab
                docs = []
                for words in new:
                    if words not in _PHRASES:
                        _PHRASES[words] = Doc(vocab, words=list(words))
                    docs.append(_PHRASES[words])
                self.phrase[entry.restricted].add(entry.name, docs)
                entry.spelled.update(new)
            return
        if entry.spelled:
            self.phrase[entry.restricted].remove(entry.name)
            entry.spelled.clear()
        if entry.in_matcher:
            self.matcher.remove(entry.name)
        self.matcher.add(entry.name, [[{"LOWER": {"IN": forms}} for forms in sets]])
        entry.in_matcher, entry.needs = True, tuple(entry.forms[entry.anchor])
        if entry not in self.in_matcher:
            self.in_matcher.append(entry)

    def _accept(self, token: PatternToken) -> None:
        """Register a pattern token: index its stem and expand it against the forms seen."""
        if token in self.accepted:
            return
        self.index[token.kind].setdefault(token.text, set()).add(token)
        stem = token.text
        if token.kind == "word":
            found = self.by_lemma.get(stem, set()) | ({stem} & self.forms)
        elif token.kind == "prefix":
            found = _starting_with(self._orders()[0], stem)
        elif token.kind == "suffix":
            found = [f[::-1] for f in _starting_with(self._orders()[1], stem[::-1])]
        else:
            self.infix_lengths.add(len(stem))
            found = self._containing(stem)
        self.accepted[token] = {self.strings.add(f) for f in found}

    def _forget(self, token: PatternToken) -> None:
        tokens = self.index[token.kind].get(token.text, set())
        tokens.discard(token)
        if not tokens:
            self.index[token.kind].pop(token.text, None)
        for name in ("accepted", "users", "refs"):
            getattr(self, name).pop(token, None)

    def _orders(self) -> tuple[list[str], list[str], str, list[int]]:
        """The forms seen, sorted forwards and backwards, and joined (for substring search)."""
        if self._sorted is None:
            forward = sorted(self.forms)
            offsets = list(accumulate((len(f) + 1 for f in forward), initial=0))
            self._sorted = (forward, sorted(f[::-1] for f in forward), "\n".join(forward), offsets)
        return self._sorted

    def _containing(self, stem: str) -> list[str]:
        forward, _, joined, offsets = self._orders()
        out = []
        i = joined.find(stem)
        while i != -1:
            k = bisect.bisect_right(offsets, i) - 1
            out.append(forward[k])
            i = joined.find(stem, offsets[k + 1])
        return out

    # -- matching ----------------------------------------------------------------------

    def match(self, p: _Parsed, doc: Doc, question: int | None, *, everywhere: bool = True) -> list[tuple[int, int, int]]:
        """(start, end, pattern position) of every match in the text of an answer to ``question``.

        ``everywhere=False``: only the patterns restricted to some questions (``question`` among
        them) are looked for, not those searched in every answer.
        """
        found = self.phrase[False](doc) if everywhere else []
        if question in self.plan.restricted_questions:
            found += self.phrase[True](doc)
        if self.in_matcher and self._matcher_may_match(p):
            found += self.matcher(doc)
        by_key, out = self.by_key, []
        for key, start, end in found:
            entry = by_key[key]
            if (question not in entry.scope) if entry.restricted else not everywhere:
                continue
            if len(entry.forms) > 1:  # a pattern with gaps: check the parts around the anchor
                if any(forms.isdisjoint(p.forms) for forms in entry.others):
                    continue  # a part that occurs nowhere in this text
                out += [(s, e, entry.position) for s, e in _around(p.lower_list, entry.forms, entry.anchor, start, end)]
            else:
                out.append((start, end, entry.position))
        return out

    def _matcher_may_match(self, p: _Parsed) -> bool:
        for entry in self.in_matcher:
            if entry.needs is None or all(not need.isdisjoint(p.forms) for need in entry.needs):
                return True
        return False


_KINDS = ("word", "prefix", "suffix", "infix")


def _starting_with(ordered: list[str], stem: str) -> list[str]:
    lo = bisect.bisect_left(ordered, stem)
    hi = bisect.bisect_left(ordered, stem + "\U0010ffff")
    return ordered[lo:hi]


def _around(lowers: list[int], segments, k: int, start: int, end: int) -> list[tuple[int, int]]:
    """Spans where the segments before and after segment ``k`` (at ``start:end``) follow,
    each within ``MAX_GAP`` tokens of the next (``segments``: per token a set of forms)."""

    def fits(segment, at: int) -> bool:
        if at < 0 or at + len(segment) > len(lowers):
            return False
        if len(segment) == 1:
            return lowers[at] in segment[0]
        return all(lowers[at + i] in forms for i, forms in enumerate(segment))

    lefts = {start}
    for segment in reversed(segments[:k]):
        n = len(segment)
        lefts = {b - n for a in lefts for b in range(a, a - MAX_GAP - 1, -1) if fits(segment, b - n)}
        if not lefts:
            return []
    rights = {end}
    for segment in segments[k + 1 :]:
        n = len(segment)
        rights = {a + n for e in rights for a in range(e, e + MAX_GAP + 1) if fits(segment, a)}
        if not rights:
            return []
    return [(s, e) for s in sorted(lefts) for e in sorted(rights)]


def _segments(tokens: tuple[PatternToken, ...]) -> list[list[PatternToken]]:
    """The gap-free runs of a pattern: ``eigen ... regie`` -> [[eigen], [regie]]."""
    out: list[list[PatternToken]] = [[]]
    for t in tokens:
        if t.kind == "gap":
            out.append([])
        else:
            out[-1].append(t)
    return out


def _raw_needs(raw: list[dict[str, Any]], strings) -> tuple[set[int], ...] | None:
    """Forms a raw spaCy pattern cannot match without (literal LOWER/ORTH/TEXT/NORM tokens);
    None when it has none (or matches on LEMMA): then the Matcher runs on every text."""
    out = []
    for token in raw:
        if token.get("OP", "1") not in ("1", "+"):
            continue
        if "LEMMA" in token:
            return None
        for attr in ("LOWER", "ORTH", "TEXT", "NORM"):
            value = token.get(attr)
            words = [value] if isinstance(value, str) else value.get("IN") if isinstance(value, dict) else None
            if isinstance(words, list) and all(isinstance(w, str) for w in words):
                out.append({strings.add(w.lower()) for w in words})
                break
    return tuple(out) or None


def _split_words(compiled: tuple[MatcherPattern, ...]) -> tuple[MatcherPattern, ...]:
    """Split a pattern word the way the tokenizer splits text (``(mee)werken`` -> 4 tokens)."""
    tokenizer = pipeline().tokenizer
    split = _STATE.setdefault("split", {})
    out = []
    for mp in compiled:
        tokens: list[PatternToken] = []
        for t in mp.tokens:
            if t.kind != "word":
                tokens.append(t)
                continue
            if t.text not in split:
                split[t.text] = [x.lower_ for x in tokenizer(t.text)]
            parts = split[t.text]
            tokens += [PatternToken(t.kind, p) for p in parts] if len(parts) > 1 else [t]
        out.append(MatcherPattern(mp.id, mp.family, mp.code, mp.valence, tuple(tokens), mp.spacy))
    return tuple(out)


def _registry() -> _Registry:
    if _STATE.get("registry") is None:
        _STATE["registry"] = _Registry()
    return _STATE["registry"]


# -- what the codebook asks for ------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """The codebook as the coder needs it: compiled patterns and per-code rules."""

    compiled: tuple[MatcherPattern, ...]
    order: dict[str, int]  # code id -> position in the codebook
    fact_of: dict[str, str]  # code id -> fact family id
    facts: tuple[tuple[str, int | None, tuple[str, ...], str], ...]  # (family, question, codes, fallback)
    valence: dict[str, tuple[str, ...]]  # family id -> valence names in order
    scope: tuple[frozenset[int] | None, ...]  # per compiled pattern: questions searched (None: all)
    needs_lemmas: bool  # a raw spaCy pattern matches on LEMMA: the docs need token lemmas

    @cached_property
    def restricted_questions(self) -> frozenset[int]:
        """Questions searched by patterns restricted to some questions."""
        return frozenset().union(*(s for s in self.scope if s is not None))

    @classmethod
    def of(cls, codebook: Codebook) -> _Plan:
        allowed, fact_of, facts = {}, {}, []
        for f in codebook.families:
            for c in f.codes:
                qs = c.questions or f.questions
                allowed[c.id] = frozenset(qs) if qs else None
            if f.kind == "fact":
                for c in f.codes:
                    fact_of[c.id] = f.id
                fallback = f.fallback.id if f.fallback else ""
                facts.append((f.id, f.question, tuple(c.id for c in f.codes), fallback))
        compiled = _split_words(compile_codebook(codebook))
        for f in codebook.families:
            if f.kind == "fact":
                for c in f.codes:
                    allowed[c.id] = frozenset([f.question]) if f.question is not None else frozenset()
        cues: dict[str, frozenset[int] | None] = {}  # family -> where its valence cues are needed
        for f in codebook.families:
            scopes = [allowed[c.id] for c in f.codes]
            cues[f.id] = None if not scopes or None in scopes else frozenset().union(*scopes)
        return cls(
            compiled=compiled,
            scope=tuple(allowed[mp.code] if mp.code else cues[mp.family] for mp in compiled),
            needs_lemmas=any('"LEMMA"' in mp.spacy for mp in compiled),
            order={c.id: i for i, c in enumerate(codebook.codes)},
            fact_of=fact_of,
            facts=tuple(facts),
            valence={f.id: tuple(name for name, _ in f.valence) for f in codebook.families if f.valence},
        )


# -- coding --------------------------------------------------------------------------------


def code_corpus(corpus, codebook: Codebook | None = None, *, include_negated: bool = True,
                executor: Executor | None = None) -> pd.DataFrame:
    """Code every answer of a corpus with the codebook; one row per code per sentence.

    A code found several times in one sentence gives one coding (the first match decides
    whether it is negated). Fact families (``kind: fact``) are coded from the answer to
    their own ``question`` only, exactly once per pilot and wave: the first sentence with a
    match that is not negated decides, within it the first code in codebook order, else the
    family's fallback code (``onbekend``) with empty evidence. Answers to personal questions (3) are not coded.
    ``include_negated=False`` leaves out negated codings (see also :func:`present`).
    With an ``executor`` (a process pool, see :mod:`concurrent.futures`) and ``SPLIT_ANSWERS``
    answers or more, the later half of the pilots is coded in it meanwhile; the result is the same.

    Parameters
    ----------
    corpus : Corpus
        The answers (a :class:`~quickscan.corpus.Corpus`, or its ``answers`` DataFrame).
    codebook : Codebook, optional
        Default: the bundled *Regionale koers* codebook.

    Examples
    --------
    >>> from quickscan.corpus import Corpus, make_answers
    >>> from quickscan.codebook import Codebook
    >>> cb = Codebook.from_yaml('''
    ... id: x
    ... name: x
    ... families:
    ...   - {id: status, label: Status, kind: fact, question: 5, codes: [
    ...       {id: status_pilot, label: pilot, patterns: [pilot, experiment*]},
    ...       {id: status_onbekend, label: onbekend, fallback: true}]}
    ... ''')
    >>> corpus = Corpus.from_answers(make_answers("A", "T0", {5: "Het is een experiment."}))
    >>> code_corpus(corpus, cb)[["pilot_id", "code", "evidence"]]
      pilot_id          code                evidence
    0        a  status_pilot  Het is een experiment.
    """
    codebook = codebook or default_codebook()
    answers = getattr(corpus, "answers", corpus)
    template = getattr(corpus, "template", None)
    split = _half(answers) if executor is not None and len(answers) >= SPLIT_ANSWERS else 0
    if not split:
        return _code_corpus(answers, template, codebook, include_negated)
    later = answers[["pilot_id", "wave", "question", "answer"]].iloc[split:]
    second = elsewhere(executor, _code_corpus, later, template, codebook, include_negated)
    first = _code_corpus(answers.iloc[:split], template, codebook, include_negated)
    return pd.concat([first, second()], ignore_index=True)


def _half(answers: pd.DataFrame) -> int:
    """The row nearest the middle that no pilot and wave spans (0 when there is none): each part
    then has all the answers of its pilots, as fact families and segment ids need.

    >>> _half(pd.DataFrame({"pilot_id": list("aabbbc"), "wave": "T0"}))
    2
    """
    keys = (answers["pilot_id"].astype(str) + "\x1f" + answers["wave"].astype(str)).to_numpy()
    if len(keys) < 2:
        return 0
    last = pd.Series(range(len(keys))).groupby(keys).transform("max").to_numpy()
    reach = np.maximum.accumulate(last)  # the last row of any pilot begun so far
    cuts = np.flatnonzero(reach[:-1] < np.arange(1, len(keys)))  # after row i, nothing spans: cut at i + 1
    return 0 if not len(cuts) else int(cuts[np.abs(cuts + 1 - len(keys) / 2).argmin()] + 1)


def _code_corpus(answers: pd.DataFrame, template, codebook: Codebook, include_negated: bool) -> pd.DataFrame:
    personal = set(template.personal_questions) if template is not None else {3}
    plan = _remember(_PLANS, codebook, lambda: _Plan.of(codebook), 8)
    # a question the template does not code (the pilot's name and address...) is read only
    # by the codes and fact families restricted to it
    uncoded = set(template.uncoded_questions) if template is not None else set()
    skip = personal | (uncoded - plan.restricted_questions)
    pilots = answers["pilot_id"].tolist()
    waves = answers["wave"].tolist()
    questions = [None if pd.isna(q) else int(q) for q in answers["question"]]
    texts = answers["answer"].fillna("").astype(str).tolist()
    rows = [i for i, (q, t) in enumerate(zip(questions, texts)) if t.strip() and q not in skip]
    registry = _registry()
    records = []
    fact_hits: dict[tuple[str, str, str], tuple] = {}  # (pilot, wave, code) -> first coding
    for b in range(0, len(rows), _BATCH):  # a batch's Docs are let go before the next is made
        batch = rows[b : b + _BATCH]
        parsed, docs = _parse([texts[i] for i in batch], docs=True)
        registry.update(plan, parsed)
        for i, p, doc in zip(batch, parsed, docs):
            if plan.needs_lemmas:
                _lemmatize(doc)
            found = registry.match(p, doc, questions[i], everywhere=questions[i] not in uncoded)
            for record in _code_doc(p, found, plan, (pilots[i], waves[i], questions[i], i)):
                code = record[3]
                if code not in plan.fact_of:
                    records.append(record)
                elif not record[8]:  # not negated
                    fact_hits.setdefault((record[0], record[1], code), (*record[:-1], -1))
            p.release()
        del parsed, docs
    records += _fact_records(plan, fact_hits, pilots, waves, questions)
    records.sort(key=lambda r: (r[-2], r[-1], -1 if r[5] is None else r[5]))  # answer, facts first, offset
    frame = pd.DataFrame.from_records(_with_segment_ids(records), columns=[*CODING_COLUMNS, "_row", "_order"])
    frame = frame.drop(columns=["_row", "_order"])
    if not include_negated:
        frame = frame[~frame["negated"].astype(bool)]
    return _typed(frame)


def _code_doc(p: _Parsed, found: list[tuple[int, int, int]], plan: _Plan, where: tuple) -> list[tuple]:
    """The codings of one answer from its matches: one per code and sentence, in order.

    Of several matches of a code in a sentence the first decides: a later mention in the same
    sentence mostly elaborates on a negated one ("Er wordt geen behandeling gegeven; wie
    behandeling nodig heeft, ...", "Schuldhulpverlening zit niet in het team, terwijl schulden
    wel meespelen"). The valence cue of the code's family nearest to it gives its valence; a
    negated cue counts as the opposite valence when the family has two ("niet goed", "geen
    succes": risicofactor; "niet moeilijk": slaagfactor), else it is ignored.
    ``where`` is (pilot, wave, question, row); the result are rows of the codings frame
    (CODING_COLUMNS, then the row and 0).
    """
    if not found:
        return []
    found.sort()
    starts, ends, compiled = p.starts, p.ends, plan.compiled
    with_cue = {bisect.bisect_right(starts, c) - 1 for c in p.cues}  # sentences holding a negation cue
    cues: dict[int, list[tuple[str, int, int]]] = {}  # sentence -> valence cues (name, start, end)
    best: dict[tuple[int, str], list] = {}  # (sentence, code) -> [start, end, sentence, negated, pattern]
    for start, end, i in found:
        mp = compiled[i]
        s = bisect.bisect_right(starts, start) - 1
        if end > ends[s]:
            continue  # crosses a sentence boundary
        code = mp.code
        if code is None:
            name = mp.valence
            if s in with_cue and p.negated(start, end, (starts[s], ends[s])):
                name = _opposite(name, plan.valence.get(mp.family, ()))
            if name is not None:
                cues.setdefault(s, []).append((name, start, end))
            continue
        if (s, code) in best:
            continue
        negated = s in with_cue and p.negated(start, end, (starts[s], ends[s]))
        best[(s, code)] = [start, end, s, negated, mp]
    pilot, wave, question, row = where
    out = []
    for start, end, s, negated, mp in sorted(best.values(), key=lambda h: (h[0], plan.order[h[4].code])):
        names = plan.valence.get(mp.family) if cues else None
        valence = _nearest_valence(start, end, cues.get(s, ()), names) if names else None
        a, b = p.char_span(start, end)
        evidence = p.sentence(starts[s], ends[s])
        out.append((pilot, wave, question, mp.code, mp.family, a, b, evidence, negated, valence, "rule", mp.id, None,
                    row, 0))
    return out


def _opposite(name: str, names: tuple[str, ...]) -> str | None:
    """The valence a negated cue of valence ``name`` gives: the other one of two, else none."""
    return names[1 - names.index(name)] if len(names) == 2 and name in names else None


def _nearest_valence(start: int, end: int, cues, names: tuple[str, ...]) -> str | None:
    """The valence of the cue nearest to the match (in tokens); a tie goes to the first valence."""

    def distance(cue: tuple[str, int, int]) -> tuple[int, int]:
        name, cue_start, cue_end = cue
        return max(cue_start - end + 1, start - cue_end + 1, 0), names.index(name)

    cues = [c for c in cues if c[0] in names]
    return min(cues, key=distance)[0] if cues else None


def is_negated(doc: Doc, start: int, end: int) -> bool:
    """True when a negation cue governs the tokens ``doc[start:end]``.

    The scope is the *clause*: the part of the sentence between commas, semicolons,
    colons, brackets, dashes and the conjunctions maar, want, omdat, terwijl, zodat, ...
    (``en``/``of`` only when a subject or adverb follows: ``en we``, ``en er``, ``en ook``).
    ``geen``, ``zonder``, ``noch``, ``niemand`` negate what follows them in the clause
    ("geen sprake van", "geen van de", "zonder begeleiding"); ``niet``, ``nooit``,
    ``niets``, ``nergens`` the whole clause ("nog niet", "niet meer", "dat lukt niet").
    Cues inside the match itself (a pattern ``bewust geen pilot``) and ``niet alleen``,
    ``niet enkel`` do not count. A bracketed insertion does not end the clause; only the cues
    of a short one ("zien we (nog) niet") count.

    Negative verdicts negate their whole clause: ``n.v.t.``, a hedge before a predicate
    ("minder herkenbaar", "nauwelijks van toepassing", "minder terug") and ``geen`` before
    ``rol``, ``sprake``, ``onderdeel`` ("spelen geen rol", "van X is geen sprake"); "lastig"
    is none. A label before a colon is negated by a short verdict after it that says only
    no or not yet: "Eenvoudiger systeem: nog niet.", "Schulden: daar is geen sprake van.",
    "Time-out: n.v.t.", "Wonen: nee." (see ``_VERDICT_WORDS``).

    >>> doc = tokenize(["Geen cliënt hoeft te verhuizen, want ze krijgen een eigen woning."])[0]
    >>> is_negated(doc, 4, 5), is_negated(doc, 11, 12)  # verhuizen, woning
    (True, False)
    """
    pipeline()
    sent = doc[start].sent
    return _negated(doc.to_array("LOWER").tolist(), start, end, (sent.start, sent.end))


def _negated(lowers: list[int], start: int, end: int, sentence: tuple[int, int]) -> bool:
    lo, hi, skip = _clause(lowers, start, sentence)
    if _negates(lowers, start, end, lo, hi, skip):
        return True
    return _colon_verdict(lowers, end, hi, sentence[1])


def _negates(lowers: list[int], start: int, end: int, lo: int, hi: int, skip=()) -> bool:
    """Whether a cue in ``lowers[lo:hi]`` (outside the ranges ``skip``) negates ``[start, end)``."""
    cues, not_negating, predicates = _STATE["cues"], _STATE["not_negating"], _STATE["predicates"]
    for i in range(lo, hi):
        scope = cues.get(lowers[i])
        if scope is None or start <= i < end or scope == "answer" or any(a <= i < b for a, b in skip):
            continue
        if scope == "hedge":  # "minder herkenbaar", "nauwelijks van toepassing"; not "niet minder ..."
            if (i > lo and lowers[i - 1] == _STATE["marks"]["niet"]) or not any(
                    lowers[j] in predicates for j in range(i + 1, min(i + 4, hi))):
                continue
        elif scope == "forward" and i > start and not any(  # "speelt geen (grote) rol"
                lowers[j] in _STATE["verdict_nouns"] for j in range(i + 1, min(i + 3, hi))):
            continue
        if i + 1 < hi and not start <= i + 1 < end and lowers[i + 1] in not_negating.get(lowers[i], ()):
            continue
        return True
    return False


def _colon_verdict(lowers: list[int], end: int, hi: int, sentence_end: int) -> bool:
    """Whether the clause ends in a colon followed by a short negative verdict ("X: nog niet.")."""
    colon = _STATE["marks"][":"]
    i = hi
    while i < sentence_end and lowers[i] != colon:  # across commas and "en" to the colon
        if lowers[i] in _STATE["hard_boundaries"]:
            return False
        i += 1
    if i >= sentence_end or i < end:
        return False
    words, stop = _STATE["verdict_words"], _STATE["verdict_stops"]
    j = i + 1
    while j < sentence_end and lowers[j] not in stop:
        if lowers[j] not in words or j - i > _MAX_VERDICT:
            return False
        j += 1
    if j == i + 1:
        return False
    answers = _STATE["answers"]
    return any(lowers[k] in answers for k in range(i + 1, j)) or _negates(lowers, j, j, i + 1, j)


def _clause(lowers: list[int], start: int, sentence: tuple[int, int]) -> tuple[int, int, list[tuple[int, int]]]:
    """The token range of the clause around token ``start`` within the sentence, and the
    bracketed insertions in it whose cues do not count.

    A bracketed insertion next to the match does not end the clause: "Uitgangspunt 3 (ruimte
    voor ...) vindt hij minder van toepassing". The cues in it count only when it is short
    ("zien we (nog) niet", "(nog) geen"): a longer one is a remark of its own. A match inside
    brackets has the bracketed text as its clause.
    """
    lo, hi = sentence
    boundaries, coordinators, starters = _STATE["boundaries"], _STATE["coordinators"], _STATE["starters"]
    opening, closing = _STATE["marks"]["("], _STATE["marks"][")"]

    def boundary(i: int) -> bool:
        return lowers[i] in boundaries or (lowers[i] in coordinators and i + 1 < hi and lowers[i + 1] in starters)

    skip = []
    left = start
    while left > lo:
        if lowers[left - 1] == closing:  # skip an insertion "( ... )" before the match
            k = left - 2
            while k >= lo and lowers[k] not in (opening, closing):
                k -= 1
            if k < lo or lowers[k] != opening:
                break
            if left - 2 - k > _SHORT_BRACKET:
                skip.append((k, left))
            left = k
            continue
        if boundary(left - 1):
            break
        left -= 1
    right = start + 1
    while right < hi:
        if lowers[right] == opening:  # and after it
            k = right + 1
            while k < hi and lowers[k] not in (opening, closing):
                k += 1
            if k >= hi or lowers[k] != closing:
                break
            if k - right - 1 > _SHORT_BRACKET:
                skip.append((right, k + 1))
            right = k + 1
            continue
        if boundary(right):
            break
        right += 1
    return left, right, skip


def _fact_records(plan: _Plan, fact_hits, pilots, waves, questions) -> list[tuple]:
    """Exactly one coding per fact family, pilot and wave: the first sentence with a match decides."""
    out = []
    firsts: dict[tuple[str, str], int] = {}  # (pilot, wave) -> first row
    rows_of: dict[tuple[str, str, int | None], int] = {}
    for i, key in enumerate(zip(pilots, waves)):
        firsts.setdefault(key, i)
        rows_of.setdefault((*key, questions[i]), i)
    for (pilot, wave), first in firsts.items():
        for family, question, codes, fallback in plan.facts:
            hits = [fact_hits[(pilot, wave, c)] for c in codes if (pilot, wave, c) in fact_hits]  # codebook order
            if hits:
                # the answer's first sentence with a match decides ("Pilot. ... besluit of het regulier
                # wordt" is a pilot); within that sentence the first code in codebook order wins
                earliest = min(hits, key=lambda h: h[5])
                out.append(next(h for h in hits if h[7] == earliest[7]))
            else:
                row = rows_of.get((pilot, wave, question), first)
                out.append((pilot, wave, question, fallback, family, None, None, "", False, None, "rule",
                            None, None, row, -1))
    return out


def segment_id(pilot_id: str, wave: str, question: Any, evidence: str, code: str, occurrence: int = 1) -> str:
    """A stable id for a coding: a short hash of pilot, wave, question, sentence and code.

    The sentence enters folded (case, accents, punctuation and spacing ignored) and the
    pattern does *not* enter, so a researcher's decision on a coding survives re-coding
    after a codebook edit and cosmetic edits of the answer. ``occurrence`` numbers
    identical sentences with the same code in one pilot's answer to one question (rare).

    >>> segment_id("houten", "T0", 9, "Een  eigen Woning!", "wonen")
    '240aacea6c94'
    >>> segment_id("houten", "T0", 9, "een eigen woning", "wonen")
    '240aacea6c94'
    """
    q = "" if question is None or pd.isna(question) else str(int(question))
    parts = [str(pilot_id), str(wave), q, fold(evidence or ""), str(code)]
    if occurrence > 1:
        parts.append(str(occurrence))
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Text folded for comparison: lower case, accents dropped, only letters and digits.

    >>> fold("Eén  cliënt - (nog) niet!")
    'een client nog niet'
    """
    text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub(" ", text).strip()


def _with_segment_ids(records: list[tuple]) -> list[tuple]:
    """Coding rows with their segment id (see :func:`segment_id`), numbering repeats.

    Same hash as :func:`segment_id`; the part before the code is hashed once per sentence.
    """
    seen: dict[tuple, int] = defaultdict(int)
    prefixes: dict[tuple, Any] = {}
    out = []
    for r in records:
        where = (r[0], r[1], r[2], r[7] or "")
        if where not in prefixes:
            q = "" if where[2] is None else str(where[2])
            prefix = "\x1f".join((str(where[0]), str(where[1]), q, fold(where[3]), ""))
            prefixes[where] = hashlib.sha1(prefix.encode("utf-8"))
        seen[(where, r[3])] += 1
        n = seen[(where, r[3])]
        h = prefixes[where].copy()
        h.update((str(r[3]) if n == 1 else f"{r[3]}\x1f{n}").encode("utf-8"))
        out.append((*r[:12], h.hexdigest()[:12], *r[13:]))
    return out


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"question": "Int64", "start": "Int64", "end": "Int64", "negated": bool})
    for col in ("valence", "pattern"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame.reset_index(drop=True)


def present(codings: pd.DataFrame) -> pd.DataFrame:
    """The codings that count as presence: not negated and not rejected by a researcher.

    After :func:`quickscan.review.apply_review` a researcher's decision wins: an accepted
    or added coding counts even when negated, a rejected one never does. A learned
    suggestion (``source == "model"``) counts only once a researcher accepted it.

    >>> import pandas as pd
    >>> c = pd.DataFrame({"code": ["wonen", "schulden", "werk"], "negated": [False, True, False],
    ...                   "source": ["rule", "rule", "model"]})
    >>> present(c)["code"].tolist()
    ['wonen']
    """
    keep = ~codings["negated"].astype(bool)
    if "source" in codings:
        keep &= codings["source"] != "model"
    if "decision" in codings:
        decision = codings["decision"]
        keep = (keep & (decision != "rejected")) | decision.isin(["accepted", "added"])
    return codings[keep.fillna(False).astype(bool)].reset_index(drop=True)
