"""Codebooks as data: families of codes with Dutch labels, definitions and patterns.

A codebook is one YAML file (see ``docs/codebook-format.md``); the *Regionale koers*
codebook of the U16 region ships with the package. :func:`load_codebook` checks the whole
file and reports every problem at once; :meth:`Codebook.to_yaml` writes it back so that
loading the text again gives an equal codebook. :func:`compile_codebook` turns the
patterns into token specifications for the matcher in :mod:`quickscan.coding` (a pure
function: no spaCy needed); :func:`matcher_patterns` gives the same patterns in plain
spaCy ``Matcher`` form.

>>> cb = Codebook.from_yaml('''
... id: mini
... name: Mini
... families:
...   - id: basisset
...     label: Basisset
...     codes:
...       - {id: wonen, label: Wonen, patterns: ["woning*", "eigen voordeur"]}
... ''')
>>> cb.code("wonen").label, [p.id for p in cb.code("wonen").patterns]
('Wonen', ['wonen:1', 'wonen:2'])
>>> Codebook.from_yaml(cb.to_yaml()) == cb
True
>>> [t.kind for t in parse_pattern("eigen ... regie")]
['word', 'gap', 'word']
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

from ._io import parse_yaml, read_text
from .errors import CodebookError
from .template import Template, default_template

__all__ = [
    "Codebook",
    "Family",
    "Code",
    "Pattern",
    "PatternToken",
    "MatcherPattern",
    "load_codebook",
    "default_codebook",
    "parse_pattern",
    "compile_codebook",
    "matcher_patterns",
    "DEFAULT_CODEBOOK",
]

DEFAULT_CODEBOOK = "regionale-koers-u16.yaml"
KINDS = ("codes", "fact")
GAP = "..."
MAX_GAP = 3  # a gap matches zero to three arbitrary tokens
MIN_STEM = 3  # a wildcard needs at least this many letters (``*a*`` would match anything)

_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_CODEBOOK_KEYS = ("id", "name", "language", "families")
_FAMILY_KEYS = ("id", "label", "caption", "kind", "question", "questions", "valence", "codes")
_CODE_KEYS = (
    "id", "label", "definition", "include", "exclude", "parent", "expected", "questions",
    "examples", "fallback", "patterns",
)
_PATTERN_KEYS = ("id", "pattern", "spacy")


# -- the objects ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternToken:
    """One token of a pattern: ``word`` (lemma or lower-case text), ``prefix`` (``woning*``),
    ``suffix`` (``*woning``), ``infix`` (``*schuld*``) or ``gap`` (``...``)."""

    kind: str
    text: str = ""

    def accepts(self, lower: str, lemma: str | None = None) -> bool:
        """True when a token with this lower-case text (and lemma) matches.

        >>> PatternToken("prefix", "woning").accepts("woningcorporatie")
        True
        """
        if self.kind == "word":
            return lower == self.text or lemma == self.text
        if self.kind == "prefix":
            return lower.startswith(self.text)
        if self.kind == "suffix":
            return lower.endswith(self.text)
        if self.kind == "infix":
            return self.text in lower
        return True


@dataclass(frozen=True)
class Pattern:
    """A pattern of a code: the pattern text, or a raw spaCy ``Matcher`` pattern as JSON."""

    id: str
    text: str = ""
    spacy: str = ""  # JSON text of a list of token dicts (kept as text: hashable, frozen)
    named: bool = field(default=False, compare=False)  # id written in the file

    @property
    def token_patterns(self) -> list[dict[str, Any]]:
        """The raw spaCy token patterns (empty for a text pattern)."""
        return json.loads(self.spacy) if self.spacy else []

    @property
    def tokens(self) -> tuple[PatternToken, ...]:
        """The parsed tokens of a text pattern (ValueError when it does not compile)."""
        return () if self.spacy else parse_pattern(self.text)


@dataclass(frozen=True)
class Code:
    """One code: an id, a Dutch label, its definition and the patterns that find it."""

    id: str
    label: str
    family: str
    definition: str = ""
    include: str = ""
    exclude: str = ""
    parent: str | None = None
    expected: tuple[int, ...] = ()
    questions: tuple[int, ...] = ()
    examples: tuple[str, ...] = ()
    fallback: bool = False
    patterns: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class Family:
    """A family of codes: one cross-pilot table. ``kind`` is ``codes`` or ``fact``."""

    id: str
    label: str
    codes: tuple[Code, ...]
    caption: str = ""
    kind: str = "codes"
    question: int | None = None  # fact families: the question they are coded from
    questions: tuple[int, ...] = ()  # only search answers to these questions (empty: all)
    valence: tuple[tuple[str, tuple[Pattern, ...]], ...] = ()  # (name, cue patterns), in order

    @property
    def fallback(self) -> Code | None:
        """The code given when no other code of a fact family matches."""
        return next((c for c in self.codes if c.fallback), None)


@dataclass(frozen=True)
class Codebook:
    """A codebook: families of codes in report order. Load with :func:`load_codebook`."""

    id: str
    name: str
    families: tuple[Family, ...]
    language: str = "nl"
    source: str = field(default="", compare=False)

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<string>", template: Template | None = None) -> Codebook:
        """Parse and check codebook YAML text (CodebookError lists every problem)."""
        return _parse(text, source, template or default_template())

    def to_yaml(self) -> str:
        """The codebook as YAML text; ``Codebook.from_yaml(cb.to_yaml()) == cb``.

        The content is kept exactly; comments and layout of a hand-written file are not
        (a pattern with its default id is written as a plain string).
        """
        return yaml.dump(_as_data(self), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)

    def __repr__(self) -> str:
        patterns = sum(len(c.patterns) for c in self.codes)
        return (
            f"Codebook({self.id!r}: {len(self.families)} families, {len(self.codes)} codes, {patterns} patterns; "
            f"families {[f.id for f in self.families]})"
        )

    # -- accessors -----------------------------------------------------------------------

    @property
    def codes(self) -> tuple[Code, ...]:
        """All codes, family by family, in report order."""
        return tuple(c for f in self.families for c in f.codes)

    def family(self, family_id: str) -> Family:
        """The family with this id (KeyError naming the known ids otherwise)."""
        for f in self.families:
            if f.id == family_id:
                return f
        raise KeyError(f"no family {family_id!r} in codebook {self.id!r}; families: {[f.id for f in self.families]}")

    def code(self, code_id: str) -> Code:
        """The code with this id, in whatever family."""
        for c in self.codes:
            if c.id == code_id:
                return c
        raise KeyError(f"no code {code_id!r} in codebook {self.id!r}")

    def codes_of(self, family: str | Family) -> tuple[Code, ...]:
        """The codes of one family, in report order."""
        return (family if isinstance(family, Family) else self.family(family)).codes


@dataclass(frozen=True)
class MatcherPattern:
    """A compiled pattern: what the matcher looks for and what a match means.

    ``code`` is set for the pattern of a code; ``valence`` for a valence cue of a family.
    """

    id: str
    family: str
    code: str | None = None
    valence: str | None = None
    tokens: tuple[PatternToken, ...] = ()
    spacy: str = ""  # raw spaCy token patterns as JSON text


# -- patterns ------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def parse_pattern(text: str) -> tuple[PatternToken, ...]:
    """Parse a pattern string into tokens (ValueError saying why when it does not compile).

    >>> [(t.kind, t.text) for t in parse_pattern("*Schuld* hulp")]
    [('infix', 'schuld'), ('word', 'hulp')]
    >>> parse_pattern("wo*ning")
    Traceback (most recent call last):
    ...
    ValueError: 'wo*ning': '*' only at the start or end of a token
    """
    if not isinstance(text, str):
        raise ValueError(f"a pattern is a string, not {text!r}")
    parts = unicodedata.normalize("NFC", text).lower().split()
    if not parts:
        raise ValueError("empty pattern")
    tokens: list[PatternToken] = []
    for part in parts:
        if part == GAP:
            if not tokens or tokens[-1].kind == "gap":
                raise ValueError(f"{text!r}: '...' must stand between two tokens")
            tokens.append(PatternToken("gap"))
            continue
        head, tail = part.startswith("*"), part.endswith("*") and len(part) > 1
        stem = part[1 if head else 0 : -1 if tail else None]
        if "*" in stem:
            raise ValueError(f"{part!r}: '*' only at the start or end of a token")
        if (head or tail) and len(stem) < MIN_STEM:
            raise ValueError(f"{part!r}: a wildcard needs at least {MIN_STEM} letters")
        kind = "infix" if head and tail else "suffix" if head else "prefix" if tail else "word"
        tokens.append(PatternToken(kind, stem))
    if tokens[-1].kind == "gap":
        raise ValueError(f"{text!r}: '...' must stand between two tokens")
    return tuple(tokens)


def compile_codebook(codebook: Codebook) -> tuple[MatcherPattern, ...]:
    """Every pattern of the codebook, parsed: code patterns, then valence cues per family.

    Pure and cheap; :mod:`quickscan.coding` expands the tokens against the vocabulary of
    the texts it codes.

    >>> cb = Codebook.from_yaml("id: x\\nfamilies: [{id: f, codes: [{id: a, label: A, patterns: [hulp*]}]}]")
    >>> mp = compile_codebook(cb)[0]
    >>> mp.id, mp.code, mp.tokens
    ('a:1', 'a', (PatternToken(kind='prefix', text='hulp'),))
    """
    out: list[MatcherPattern] = []
    for family in codebook.families:
        for code in family.codes:
            for p in code.patterns:
                out.append(MatcherPattern(p.id, family.id, code=code.id, tokens=p.tokens, spacy=p.spacy))
        for name, cues in family.valence:
            for p in cues:
                out.append(MatcherPattern(p.id, family.id, valence=name, tokens=p.tokens, spacy=p.spacy))
    return tuple(out)


def matcher_patterns(codebook: Codebook) -> dict[str, list[list[dict[str, Any]]]]:
    """The codebook as plain spaCy ``Matcher`` patterns, keyed by pattern id (pure).

    A word matches on ``LOWER`` or on ``LEMMA`` (one alternative each), a wildcard on a
    ``REGEX`` of the lower-case text, ``...`` is ``{"OP": "{0,3}"}``. This is the
    reference form of the patterns: readable and usable with any spaCy ``Matcher``, but
    slow with thousands of patterns, so :mod:`quickscan.coding` matches the same thing
    with a ``PhraseMatcher`` (and the tests check that both agree).

    >>> cb = Codebook.from_yaml("id: x\\nfamilies: [{id: f, codes: [{id: a, label: A, patterns: [eigen ... regie*]}]}]")
    >>> for alternative in matcher_patterns(cb)["a:1"]:
    ...     print(alternative)
    [{'LOWER': 'eigen'}, {'OP': '{0,3}'}, {'LOWER': {'REGEX': '^regie'}}]
    [{'LEMMA': 'eigen'}, {'OP': '{0,3}'}, {'LOWER': {'REGEX': '^regie'}}]
    """
    out: dict[str, list[list[dict[str, Any]]]] = {}
    for mp in compile_codebook(codebook):
        if mp.spacy:
            out[mp.id] = [json.loads(mp.spacy)]
            continue
        options = []
        for t in mp.tokens:
            stem = re.escape(t.text)
            options.append({
                "word": [{"LOWER": t.text}, {"LEMMA": t.text}],
                "prefix": [{"LOWER": {"REGEX": f"^{stem}"}}],
                "suffix": [{"LOWER": {"REGEX": f"{stem}$"}}],
                "infix": [{"LOWER": {"REGEX": stem}}],
                "gap": [{"OP": f"{{0,{MAX_GAP}}}"}],
            }[t.kind])
        out[mp.id] = [list(p) for p in product(*options)]
    return out


# -- loading -------------------------------------------------------------------------------


def load_codebook(path: str | PathLike[str] | None = None, *, template: Template | None = None) -> Codebook:
    """Load and check a codebook; without ``path`` the bundled *Regionale koers* codebook.

    Question numbers are checked against ``template`` (default: the bundled quick-scan
    format). A broken codebook raises :class:`~quickscan.errors.CodebookError` whose
    ``problems`` list every problem, each naming the file, the family and the code.

    >>> load_codebook().id
    'regionale-koers-u16'
    """
    if path is None:
        source = f"quickscan/data/{DEFAULT_CODEBOOK}"
        try:
            text = resources.files("quickscan").joinpath("data", DEFAULT_CODEBOOK).read_text("utf-8")
        except OSError as exc:
            raise CodebookError(source, f"the bundled codebook is missing: {exc}") from exc
    else:
        source = str(path)
        text = read_text(path, error=CodebookError, what="codebook")
    return _parse(text, source, template or default_template())


_LOADED: dict[str, Codebook] = {}


def default_codebook() -> Codebook:
    """The bundled codebook, loaded once per process."""
    if "default" not in _LOADED:
        _LOADED["default"] = load_codebook()
    return _LOADED["default"]




class _Problems:
    """Collects problems, each prefixed with the file, the family and the code."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[str | None, str | None, str]] = []

    def add(self, message: str, family: str | None = None, code: str | None = None) -> None:
        self.found.append((family, code, message))

    def render(self, families: tuple[Family, ...]) -> list[str]:
        """The problems in the order of the file, each naming the file, family and code."""
        order: dict[tuple[str | None, str | None], int] = {(None, None): -1}
        for f in families:
            order.setdefault((f.id, None), len(order))
            for c in f.codes:
                order.setdefault((f.id, c.id), len(order))
        out = []
        for family, code, message in sorted(self.found, key=lambda p: order.get(p[:2], order.get((p[0], None), 0))):
            where = [self.source]
            if family is not None:
                where.append(f"family {family!r}")
            if code is not None:
                where.append(f"code {code!r}")
            out.append(", ".join(where) + f": {message}")
        return out


def _parse(text: str, source: str, template: Template) -> Codebook:
    data = parse_yaml(text, source, error=CodebookError)
    if not isinstance(data, dict):
        raise CodebookError(source, "a codebook is a mapping with the keys id, name, families")
    problems = _Problems(source)
    _unknown_keys(data, _CODEBOOK_KEYS, problems)
    cb_id = _text(data, "id", problems, required=True)
    if cb_id and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", cb_id):
        problems.add(f"codebook id {cb_id!r} may hold only letters, digits, '-', '_' and '.'")
    families_data = data.get("families")
    if not isinstance(families_data, list) or not families_data:
        problems.add("'families' must be a non-empty list of families")
        families_data = []
    numbers = set(template.numbers)
    families = tuple(_parse_family(f, i, problems, numbers) for i, f in enumerate(families_data))
    _check_whole(families, problems)
    if problems.found:
        raise CodebookError(source, problems=problems.render(families))
    return Codebook(
        id=cb_id,
        name=_text(data, "name", problems) or cb_id,
        families=families,
        language=_text(data, "language", problems) or "nl",
        source=source,
    )


def _parse_family(data: Any, index: int, problems: _Problems, numbers: set[int]) -> Family:
    if not isinstance(data, dict):
        problems.add(f"families[{index}] must be a mapping")
        return Family(id=f"families[{index}]", label="", codes=())
    fid = _text(data, "id", problems, required=True) or f"families[{index}]"

    def add(message: str, code: str | None = None) -> None:
        problems.add(message, fid, code)

    _check_id(fid, add)
    _unknown_keys(data, _FAMILY_KEYS, problems, fid)
    kind = data.get("kind", "codes")
    if kind not in KINDS:
        add(f"kind must be one of {list(KINDS)}, not {kind!r}")
    question = data.get("question")
    if question is not None:
        _questions([question], "question", numbers, add)
    questions = _questions(data.get("questions"), "questions", numbers, add)
    codes_data = data.get("codes")
    if codes_data is None or codes_data == []:
        add("empty family: no codes")
        codes_data = []
    elif not isinstance(codes_data, list):
        add("'codes' must be a list")
        codes_data = []
    codes = tuple(_parse_code(c, i, fid, problems, numbers) for i, c in enumerate(codes_data))
    valence = _parse_valence(data.get("valence"), fid, problems)
    family = Family(
        id=fid,
        label=_text(data, "label", problems, fid) or fid,
        codes=codes,
        caption=_text(data, "caption", problems, fid),
        kind=kind if kind in KINDS else "codes",
        question=question if isinstance(question, int) and not isinstance(question, bool) else None,
        questions=questions,
        valence=valence,
    )
    fallbacks = [c.id for c in codes if c.fallback]
    if kind == "fact":
        if family.question is None:
            add("a fact family needs 'question': the question it is coded from")
        if not fallbacks:
            add("a fact family needs a code with 'fallback: true' (e.g. onbekend)")
        elif len(fallbacks) > 1:
            add(f"more than one fallback code: {fallbacks}")
    elif fallbacks:
        add("'fallback' is only for codes of a fact family", fallbacks[0])
    return family


def _parse_code(data: Any, index: int, fid: str, problems: _Problems, numbers: set[int]) -> Code:
    if not isinstance(data, dict):
        problems.add(f"codes[{index}] must be a mapping", fid)
        return Code(id=f"codes[{index}]", label="", family=fid)
    cid = _text(data, "id", problems, fid, required=True, place=f"codes[{index}]") or f"codes[{index}]"

    def add(message: str) -> None:
        problems.add(message, fid, cid)

    _check_id(cid, add)
    _unknown_keys(data, _CODE_KEYS, problems, fid, cid)
    examples = data.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        add("'examples' must be a list of quotes (strings)")
        examples = []
    parent = data.get("parent")
    if parent is not None and not isinstance(parent, str):
        add(f"'parent' must be a code id, not {parent!r}")
        parent = None
    fallback = data.get("fallback", False)
    if not isinstance(fallback, bool):
        add(f"'fallback' must be true or false, not {fallback!r}")
        fallback = False
    return Code(
        id=cid,
        label=_text(data, "label", problems, fid, cid, required=True) or cid,
        family=fid,
        definition=_text(data, "definition", problems, fid, cid),
        include=_text(data, "include", problems, fid, cid),
        exclude=_text(data, "exclude", problems, fid, cid),
        parent=parent,
        expected=_questions(data.get("expected"), "expected", numbers, add),
        questions=_questions(data.get("questions"), "questions", numbers, add),
        examples=tuple(examples),
        fallback=fallback,
        patterns=_parse_patterns(data.get("patterns"), cid, lambda m: problems.add(m, fid, cid)),
    )


def _parse_valence(data: Any, fid: str, problems: _Problems) -> tuple[tuple[str, tuple[Pattern, ...]], ...]:
    if data is None:
        return ()
    if not isinstance(data, dict) or not data:
        problems.add("'valence' must map a valence name to a list of cue patterns", fid)
        return ()
    out = []
    for name, cues in data.items():
        if not isinstance(name, str) or not _ID.match(name):
            problems.add(f"valence name {name!r} must be lower_snake_case", fid)
            continue
        patterns = _parse_patterns(cues, f"{fid}:{name}", lambda m, n=name: problems.add(f"valence {n!r}: {m}", fid))
        if not patterns:
            problems.add(f"valence {name!r} has no cue patterns", fid)
        out.append((name, patterns))
    return tuple(out)


def _parse_patterns(data: Any, owner: str, add) -> tuple[Pattern, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        add("'patterns' must be a list")
        return ()
    out = []
    for n, item in enumerate(data, start=1):
        default_id = f"{owner}:{n}"
        if isinstance(item, str):
            pattern = Pattern(default_id, text=item)
        elif isinstance(item, dict):
            extra = sorted(set(map(str, item)) - set(_PATTERN_KEYS))
            if extra:
                add(f"pattern {n}: unknown key(s) {extra}; a pattern mapping has id and pattern or spacy")
            pid = item.get("id", default_id)
            if not isinstance(pid, str) or not pid.strip():
                add(f"pattern {n}: 'id' must be a non-empty string")
                pid = default_id
            has_text, has_spacy = "pattern" in item, "spacy" in item
            if has_text == has_spacy:
                add(f"pattern {pid!r}: give exactly one of 'pattern' and 'spacy'")
                continue
            if has_spacy:
                raw = item["spacy"]
                if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
                    add(f"pattern {pid!r} does not compile: 'spacy' must be a non-empty list of token dicts")
                    continue
                pattern = Pattern(pid, spacy=json.dumps(raw, ensure_ascii=False), named="id" in item)
            else:
                pattern = Pattern(pid, text=item["pattern"], named="id" in item)
        else:
            add(f"pattern {n} must be a string or a mapping, not {item!r}")
            continue
        if not pattern.spacy:
            try:
                pattern.tokens
            except ValueError as exc:
                add(f"pattern {pattern.id!r} does not compile: {exc}")
                continue
        out.append(pattern)
    return tuple(out)


def _check_whole(families: tuple[Family, ...], problems: _Problems) -> None:
    """Checks across families: duplicate ids, parents, raw spaCy patterns."""
    seen_families: set[str] = set()
    for f in families:
        if f.id in seen_families:
            problems.add("duplicate family id", f.id)
        seen_families.add(f.id)
    first: dict[str, tuple[str, Code]] = {}  # code id -> (family, first code with that id)
    seen_patterns: dict[str, str] = {}
    for f in families:
        ids = {c.id for c in f.codes}
        for c in f.codes:
            if c.id in first:
                problems.add(f"duplicate code id (also in family {first[c.id][0]!r})", f.id, c.id)
                continue  # its patterns would repeat the pattern ids of the first
            first[c.id] = (f.id, c)
            if c.parent is not None and (c.parent not in ids or c.parent == c.id):
                problems.add(f"unknown parent {c.parent!r}: not another code of this family", f.id, c.id)
            for p in c.patterns:
                if p.id in seen_patterns:
                    problems.add(f"duplicate pattern id {p.id!r} (also in {seen_patterns[p.id]})", f.id, c.id)
                seen_patterns.setdefault(p.id, f"family {f.id!r}")
        by_id = {c.id: c for c in f.codes}
        for c in f.codes:  # a cycle of parents: a -> b -> a
            seen, parent = {c.id}, c.parent
            while parent in by_id and parent not in seen:
                seen.add(parent)
                parent = by_id[parent].parent
            if parent == c.id and c.parent != c.id:
                problems.add("parents form a cycle", f.id, c.id)
    raw = [(f, c, p) for f in families for c in f.codes for p in c.patterns if p.spacy]
    raw += [(f, None, p) for f in families for _, cues in f.valence for p in cues if p.spacy]
    raw = [(f, c, p) for f, c, p in raw if not all(map(_plain_token, p.token_patterns))]
    if raw:
        for f, c, p, message in _check_spacy_patterns(raw):
            problems.add(f"pattern {p.id!r} does not compile: {message}", f.id, c.id if c else None)


_TEXT_ATTRS = {"ORTH", "TEXT", "LOWER", "NORM", "LEMMA"}
_FLAG_ATTRS = {"IS_SENT_START", "SENT_START", "IS_PUNCT", "IS_SPACE", "IS_DIGIT", "IS_ALPHA", "IS_TITLE",
               "IS_UPPER", "IS_LOWER", "LIKE_NUM"}
_OPS = {"!", "?", "+", "*", "1"}


def _plain_token(token: dict[str, Any]) -> bool:
    """A raw token pattern that is surely valid: text attributes with a string or an IN list,
    boolean flags, a plain OP. Others are checked by spaCy itself."""
    for key, value in token.items():
        if key == "OP":
            ok = value in _OPS
        elif key in _TEXT_ATTRS:
            ok = isinstance(value, str) or (
                isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list)
                and all(isinstance(v, str) for v in value["IN"])
            )
        else:
            ok = key in _FLAG_ATTRS and isinstance(value, bool)
        if not ok:
            return False
    return bool(token)


def _check_spacy_patterns(raw: list) -> Iterator[tuple]:
    """Raw spaCy patterns beyond the plain ones are checked by spaCy itself (imported only
    then: that costs about a second)."""
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    matcher = Matcher(Vocab(), validate=True)
    for f, c, p in raw:
        try:
            matcher.add(p.id, [p.token_patterns])
        except Exception as exc:  # spaCy raises ValueError or MatchPatternError
            yield f, c, p, " ".join(str(exc).split())[:300]


def _unknown_keys(data: dict, known: Iterable[str], problems: _Problems, family=None, code=None) -> None:
    extra = sorted(str(k) for k in set(data) - set(known))
    if extra:
        problems.add(f"unknown key(s) {extra}; known keys: {list(known)}", family, code)


def _check_id(ident: str, add) -> None:
    if not _ID.match(ident):
        add(f"id {ident!r} must be lower_snake_case (a-z, 0-9, _)")


def _text(data: dict, key: str, problems: _Problems, family=None, code=None, *, required=False, place=None) -> str:
    value = data.get(key)
    if value is None:
        if required:
            problems.add(f"{place + ': ' if place else ''}missing {key!r}", family, code)
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.add(f"{key!r} must be text, not {value!r}", family, code)
        return ""
    return str(value).strip() if key in ("id",) else str(value)


def _questions(value: Any, key: str, numbers: set[int], add) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        add(f"{key!r} must be a list of question numbers, not {value!r}")
        return ()
    unknown = sorted(set(value) - numbers)
    if unknown:
        add(f"unknown question number(s) {unknown} in {key!r}; the template has {min(numbers)}-{max(numbers)}")
    return tuple(value)


# -- writing -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, short lists of scalars in flow style (``[9, 10]``),
    multi-line text as a block."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in data) and len(str(data)) < 80
    flow = flow and not any(isinstance(v, str) and "\n" in v for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data and data == data.strip() + "\n" * (data.endswith("\n")) and "\t" not in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def _as_data(cb: Codebook) -> dict[str, Any]:
    return {
        "id": cb.id,
        "name": cb.name,
        "language": cb.language,
        "families": [_family_data(f) for f in cb.families],
    }


def _family_data(f: Family) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f.id, "label": f.label}
    if f.caption:
        out["caption"] = f.caption
    out["kind"] = f.kind
    if f.question is not None:
        out["question"] = f.question
    if f.questions:
        out["questions"] = list(f.questions)
    if f.valence:
        out["valence"] = {name: _patterns_data(cues, f"{f.id}:{name}") for name, cues in f.valence}
    out["codes"] = [_code_data(c) for c in f.codes]
    return out


def _code_data(c: Code) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.id, "label": c.label}
    for key in ("definition", "include", "exclude", "parent"):
        if getattr(c, key):
            out[key] = getattr(c, key)
    for key in ("expected", "questions", "examples"):
        if getattr(c, key):
            out[key] = list(getattr(c, key))
    if c.fallback:
        out["fallback"] = True
    if c.patterns:
        out["patterns"] = _patterns_data(c.patterns, c.id)
    return out


def _patterns_data(patterns: tuple[Pattern, ...], owner: str) -> list[Any]:
    out: list[Any] = []
    for n, p in enumerate(patterns, start=1):
        if p.spacy:
            out.append({"id": p.id, "spacy": p.token_patterns})
        elif p.id != f"{owner}:{n}":
            out.append({"id": p.id, "pattern": p.text})
        else:
            out.append(p.text)
    return out
