"""The interview format as data: questions, prompts, analysis blocks, and question matching.

A template is a YAML file (the U16 quick-scan format ships as the default). Readers use
:meth:`Template.match_question` to recognise a question in a form however it was typed:
with or without its number, with typos, truncated, broken over lines, or followed by the
answer in the same paragraph.

>>> t = load_template()
>>> len(t.questions), t.question(9).label
(20, 'Doel')
>>> m = t.match_question("9. Wat is het doel van de pilot? Mensen weer thuis laten wonen.")
>>> m.number, m.rest("9. Wat is het doel van de pilot? Mensen weer thuis laten wonen.")
(9, 'Mensen weer thuis laten wonen.')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from rapidfuzz.fuzz import ratio as _ratio

from ._io import parse_yaml, read_text
from .errors import TemplateError

__all__ = ["Question", "Block", "Unit", "Template", "QuestionMatch", "load_template", "normalize", "LANGUAGES"]

DEFAULT_TEMPLATE = "quickscan-u16.yaml"
LANGUAGES = ("nl",)  # the languages the coding (Dutch lemmas, negation cues) supports
_TEMPLATE_KEYS = ("id", "name", "title", "language", "unit", "pilot_question", "status_question", "open_questions",
                  "questions", "blocks")
_QUESTION_KEYS = ("number", "key", "label", "question", "prompt", "kind", "personal", "pseudonym", "alternatives",
                  "coded")
_BLOCK_KEYS = ("id", "label", "theme", "questions", "context")

_NUMBER = re.compile(r"^\s*(?:vraag\s*)?(\d{1,2})(?![\d,]|\.\d)\s*[.):\-–]?\s*", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[\W_]+")
_ALNUM_RUN = re.compile(r"[^\W_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_ASCII_FOLD = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})  # _NON_ALNUM's ASCII part
_TIE = 0.01  # scores this close are equally good matches
_CLOSING = frozenset(".,;:?!)]}»\"'”’")


@dataclass(frozen=True)
class Question:
    """One question of the format."""

    number: int
    key: str
    label: str
    question: str
    prompt: str = ""
    kind: str = "open"  # "fact" or "open"
    personal: bool = False
    alternatives: tuple[str, ...] = ()
    coded: bool = True  # searched by selective coding (False: e.g. the pilot's name and address)
    pseudonym: str = "persoon"  # of a personal question: the placeholder's word, "[persoon P07]"

    @property
    def wordings(self) -> tuple[str, ...]:
        """The question text and every known alternative wording."""
        return (self.question, *self.alternatives)


@dataclass(frozen=True)
class Block:
    """An analysis block: questions read and reported together."""

    id: str
    label: str
    theme: str
    questions: tuple[int, ...]
    context: tuple[int, ...] = ()


@dataclass(frozen=True)
class Unit:
    """What one form is about, in the words of the reports: ``Unit("pilot", "pilots")``.

    >>> Unit("project", "projecten").count(3)
    '3 projecten'
    """

    singular: str = "casus"
    plural: str = "casussen"

    def count(self, n: int) -> str:
        """``"1 pilot"``, ``"3 pilots"``."""
        return f"{n} {self.singular if n == 1 else self.plural}"


@dataclass(frozen=True)
class QuestionMatch:
    """Where a question was recognised in a text: ``text[:end]`` is the question itself."""

    number: int
    score: float
    end: int
    numbered: bool

    def rest(self, text: str) -> str:
        """The text after the question wording (an answer typed on the same line)."""
        return text[self.end :].lstrip(" \t?:.").strip()


@dataclass(frozen=True)
class Template:
    """A structured interview format; see ``src/quickscan/data/quickscan-u16.yaml``."""

    id: str
    name: str
    questions: tuple[Question, ...]
    blocks: tuple[Block, ...] = ()
    pilot_question: int = 1
    language: str = "nl"
    source: str = field(default="", compare=False)
    title: str = ""  # the reports' title; default: the name
    unit: Unit = Unit()
    status_question: int | None = None  # the fact question whose coded value is the status (none: None)
    open_questions: tuple[int, ...] = ()  # for theme suggestions; default: every coded open question

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", self.name)
        if not self.open_questions:
            object.__setattr__(self, "open_questions", tuple(
                q.number for q in self.questions if q.kind == "open" and q.coded and not q.personal))

    def question(self, number: int) -> Question:
        """The question with this number (KeyError if there is none)."""
        return self._by_number[number]

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(q.number for q in self.questions)

    @property
    def personal_questions(self) -> tuple[int, ...]:
        """Numbers of the questions whose answers hold personal data."""
        return tuple(q.number for q in self.questions if q.personal)

    @property
    def uncoded_questions(self) -> tuple[int, ...]:
        """Numbers of the questions selective coding does not search (``coded: false``), unless a
        code or fact family of the codebook names them explicitly."""
        return tuple(q.number for q in self.questions if not q.coded)

    @property
    def fact_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == "fact")

    @property
    def case_variables(self) -> tuple[Question, ...]:
        """The facts that describe a form as a whole (REFI-QDA case variables): the fact
        questions but the name (``pilot_question``) and the personal ones."""
        return tuple(q for q in self.fact_questions if not q.personal and q.number != self.pilot_question)

    def status_family(self, codebook) -> str | None:
        """The id of the codebook's fact family that codes :attr:`status_question` (None if none)."""
        if self.status_question is None:
            return None
        return next((f.id for f in codebook.families
                     if f.kind == "fact" and getattr(f, "question", None) == self.status_question), None)

    def block(self, block_id: str) -> Block:
        """The analysis block with this id or label (``"blok1"`` or ``"Blok 1"``)."""
        for b in self.blocks:
            if block_id in (b.id, b.label):
                return b
        raise KeyError(f"no block {block_id!r} in template {self.id!r}")

    @cached_property
    def _by_number(self) -> dict[int, Question]:
        return {q.number: q for q in self.questions}

    @cached_property
    def _wordings(self) -> tuple[tuple[int, str], ...]:
        return tuple((q.number, normalize(w)) for q in self.questions for w in q.wordings)

    @cached_property
    def _by_start(self) -> dict[str, tuple[tuple[int, str], ...]]:
        """Wordings by the first three letters of their first and of their second word."""
        index: dict[str, list[tuple[int, str]]] = {}
        for item in self._wordings:
            for i, word in enumerate(item[1].split()[:2]):
                index.setdefault(f"{i}{word[:3]}", []).append(item)
        return {k: tuple(dict.fromkeys(v)) for k, v in index.items()}

    def _candidates(self, norm: str) -> tuple[tuple[int, str], ...]:
        """Wordings that share the start of the first or second word with ``norm`` (one typo allowed)."""
        words = norm.split(maxsplit=2)[:2]
        found = [item for i, word in enumerate(words) for item in self._by_start.get(f"{i}{word[:3]}", ())]
        return tuple(dict.fromkeys(found))

    @cached_property
    def _prompts(self) -> dict[int, str]:
        return {q.number: normalize(q.prompt) for q in self.questions if q.prompt}

    # -- matching -----------------------------------------------------------------------

    def match_question(
        self, text: str, *, loose: bool = False, threshold: float = 0.8
    ) -> QuestionMatch | None:
        """Recognise a question at the start of ``text``.

        A leading number (``9``, ``9.``, ``Vraag 9:``) must agree with the wording that
        follows, unless ``loose`` is set (a heading, or a table's number column) and no
        wording follows at all. Without a number the wording alone must match.

        >>> t = load_template()
        >>> t.match_question("Wat is het doel van de pilto?").number  # typo
        9
        >>> t.match_question("1. Eigen verantwoordelijkheid staat voorop") is None
        True
        """
        number_match = _NUMBER.match(text)
        number = int(number_match.group(1)) if number_match else None
        start = number_match.end() if number_match else 0
        if number is not None and number not in self._by_number:
            number, start = None, 0
        body = text[start:]
        if number is not None and not body.strip(" .:?-–\t\n"):
            if loose:
                return QuestionMatch(number, 1.0, len(text), True)
            return None
        norm = normalize(body[:400])
        if len(norm) < 4:
            return None
        candidates = self._wordings if number is not None else self._candidates(norm)
        best: tuple[float, int, int] | None = None  # score, number, normalized end
        for q, wording in candidates:
            if number is not None and q != number:
                continue
            score, end = _prefix_score(norm, wording)
            # equally good: the longer wording ("Startdatum pilot" over "Startdatum"), so that
            # the rest of a longer question is not left in the answer
            if best is None or score > best[0] + _TIE or (score >= best[0] - _TIE and end > best[2]):
                best = (score, q, end)
        if number is not None and (best is None or best[0] < threshold - 0.1):
            # a numbered line whose wording belongs to another question (renumbered form)
            for q, wording in candidates:
                score, end = _prefix_score(norm, wording)
                if score >= max(threshold, 0.9) and (best is None or score > best[0]):
                    best = (score, q, end)
            if best is None or best[1] == number:
                return None
            numbered = False
        else:
            numbered = number is not None
        required = threshold - 0.1 if numbered else threshold
        if best is None or best[0] < required:
            return None
        score, q, end = best
        if end >= len(norm):  # the whole text is the question
            cut = len(body)
        else:
            norm, index = _normalize_with_index(body[: 2 * end + 20])
            cut = _original_end(body, index, end)
        if number is None and body[cut:].strip() and not (body[cut - 1] in "?:" or body[cut] == "\n"):
            return None  # "Gemeente Zeist, ..." is an answer that starts like a short question
        return QuestionMatch(q, round(score, 3), start + cut, numbered)

    def strip_prompt(self, number: int, text: str) -> str:
        """Remove the known prompt (toelichting) of a question from the start of ``text``.

        >>> t = load_template()
        >>> t.strip_prompt(2, "In welke gemeente vindt de pilot plaats?\\nHouten")
        'Houten'
        """
        prompt = self._prompts.get(number)
        if not prompt or not text:
            return text
        raw = self.question(number).prompt
        if text.startswith(raw):  # copied from the format as it is
            return text[len(raw) :].lstrip(".?:)").strip()
        head = text[: int(len(prompt) * 1.6) + 40]
        if _ratio(normalize(head)[: len(prompt)], prompt) < 80:
            return text  # the common case: no prompt here
        norm, index = _normalize_with_index(head)
        score, end = _prefix_score(norm, prompt, allow_truncated=False)
        if score < 0.85:
            return text
        return text[_original_end(text, index, end) :].strip()


def normalize(text: str) -> str:
    """Lower-case, accents removed, punctuation and white space folded to one space.

    >>> normalize("Geïmplementeerd,\\n  (nog)  tijdelijk!")
    'geimplementeerd nog tijdelijk'
    """
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        if not text.isascii():
            return _NON_ALNUM.sub(" ", text.lower()).strip()
    # the same for ASCII text (most of it, once accents are gone) at a fraction of the cost
    return " ".join(text.lower().translate(_ASCII_FOLD).split())


def _normalize_with_index(text: str) -> tuple[str, list[int]]:
    """:func:`normalize` plus, per normalized character, its index in ``text``."""
    out: list[str] = []
    index: list[int] = []
    for m in _ALNUM_RUN.finditer(text):
        run, begin = m.group(), m.start()
        if run.isascii():
            out.append(run.lower())
            index.extend(range(begin, m.end()))
        else:  # one normalized character per original character keeps the index exact
            for i, ch in enumerate(run):
                out.append(unicodedata.normalize("NFKD", ch)[0].lower())
                index.append(begin + i)
        out.append(" ")
        index.append(m.end())
    if out:
        out.pop()
        index.pop()
    return "".join(out), index


def _prefix_score(norm: str, wording: str, *, allow_truncated: bool = True) -> tuple[float, int]:
    """How well ``norm`` starts with ``wording``, and where in ``norm`` the wording ends."""
    n = len(wording)
    if len(norm) < n:
        if not allow_truncated or len(norm) < min(n, 15):
            return _ratio(norm, wording) / 100 * len(norm) / n, len(norm)
        return _ratio(norm, wording[: len(norm)]) / 100, len(norm)
    best_score, best_end = _ratio(norm[:n], wording) / 100, n
    if best_score < 0.6:
        return best_score, n  # far off: no need to look for a better boundary
    for end in _candidate_ends(norm, n):
        score = _ratio(norm[:end], wording) / 100
        if score > best_score:
            best_score, best_end = score, end
    return best_score, best_end


def _candidate_ends(norm: str, n: int) -> list[int]:
    """Plausible ends of a wording of length ``n``: word boundaries near ``n``."""
    lo, hi = max(1, n - 6), min(len(norm), n + 6)
    ends = [e for e in range(lo, hi + 1) if e == len(norm) or norm[e] == " "]
    return ends or [min(n, len(norm))]


def _original_end(text: str, index: list[int], norm_end: int) -> int:
    """Map an end position in normalized text back to ``text``, through closing punctuation."""
    if not index:
        return 0
    end = index[norm_end - 1] + 1 if norm_end > 0 else 0
    while end < len(text) and text[end] in _CLOSING:
        end += 1
    return end


# -- loading --------------------------------------------------------------------------


def load_template(path: str | PathLike[str] | None = None) -> Template:
    """Load a template from YAML; without ``path`` the bundled U16 quick-scan format.

    >>> load_template().question(3).personal
    True
    """
    if path is None:
        source = f"quickscan/data/{DEFAULT_TEMPLATE}"
        text = resources.files("quickscan").joinpath("data", DEFAULT_TEMPLATE).read_text("utf-8")
    else:
        source = str(path)
        text = read_text(path, error=TemplateError, what="template")
    return _parse_template(text, source)


_LOADED: dict[str, Template] = {}


def default_template() -> Template:
    """The bundled template, loaded once."""
    if "default" not in _LOADED:
        _LOADED["default"] = load_template()
    return _LOADED["default"]


def _parse_template(text: str, source: str) -> Template:
    data = parse_yaml(text, source, error=TemplateError)
    if not isinstance(data, dict):
        raise TemplateError(source, "a template is a mapping with the keys id, name, questions")
    _known(data, _TEMPLATE_KEYS, source, None)
    questions = tuple(
        _parse_question(q, source, i) for i, q in enumerate(_require(data, "questions", list, source))
    )
    numbers = [q.number for q in questions]
    if not questions:
        raise TemplateError(source, "no questions", place="questions")
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    if dupes:
        raise TemplateError(source, f"duplicate question number(s) {dupes}", place="questions")
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys):
        raise TemplateError(source, "duplicate question keys", place="questions")
    by_number = {q.number: q for q in questions}
    blocks = []
    for i, b in enumerate(data.get("blocks") or []):
        place = f"blocks[{i}]"
        if not isinstance(b, dict):
            raise TemplateError(source, "a block is a mapping", place=place)
        _known(b, _BLOCK_KEYS, source, place)
        qs = tuple(_ints(b.get("questions"), source, f"{place}.questions"))
        ctx = tuple(_ints(b.get("context") or [], source, f"{place}.context"))
        unknown = sorted(set(qs + ctx) - set(numbers))
        if unknown:
            raise TemplateError(source, f"unknown question number(s) {unknown}", place=place)
        blocks.append(
            Block(
                id=str(_require(b, "id", str, source, place)),
                label=str(b.get("label") or b["id"]),
                theme=str(b.get("theme") or ""),
                questions=qs,
                context=ctx,
            )
        )
    pilot_question = data.get("pilot_question", numbers[0])
    if pilot_question not in by_number:
        raise TemplateError(source, f"pilot_question {pilot_question!r} is not a question of the template",
                            place="pilot_question")
    if by_number[pilot_question].kind != "fact":
        raise TemplateError(source, f"pilot_question {pilot_question} is an open question; it must be the fact "
                                    "question that names what a form is about", place="pilot_question")
    status_question = data.get("status_question")
    if status_question is not None and (status_question not in by_number
                                        or by_number[status_question].kind != "fact"):
        raise TemplateError(source, f"status_question {status_question!r} is not a fact question of the template",
                            place="status_question")
    open_questions = tuple(_ints(data.get("open_questions") or [], source, "open_questions"))
    wrong = [n for n in open_questions if n not in by_number or by_number[n].kind != "open"]
    if wrong:
        raise TemplateError(source, f"{wrong} not open question(s) of the template", place="open_questions")
    language = data.get("language", "nl")
    if language not in LANGUAGES:
        raise TemplateError(source, f"language {language!r} is not supported (supported: {', '.join(LANGUAGES)})",
                            place="language")
    for key in ("name", "title"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise TemplateError(source, f"{key!r} must be text", place=key)
    return Template(
        id=str(_require(data, "id", str, source)),
        name=str(data.get("name") or data["id"]),
        questions=questions,
        blocks=tuple(blocks),
        pilot_question=pilot_question,
        language=language,
        source=source,
        title=str(data.get("title") or ""),
        unit=_parse_unit(data.get("unit"), source),
        status_question=status_question,
        open_questions=open_questions,
    )


def _parse_unit(value: Any, source: str) -> Unit:
    """``unit: {singular: pilot, plural: pilots}``."""
    if value is None:
        return Unit()
    if not isinstance(value, dict):
        raise TemplateError(source, "unit must be a mapping {singular: ..., plural: ...}", place="unit")
    _known(value, ("singular", "plural"), source, "unit")
    words = [value.get(k) for k in ("singular", "plural")]
    if not all(isinstance(w, str) and w.strip() for w in words):
        raise TemplateError(source, "unit needs both singular and plural as text", place="unit")
    return Unit(words[0].strip(), words[1].strip())


def _known(data: dict, keys: tuple[str, ...], source: str, place: str | None) -> None:
    extra = sorted(str(k) for k in set(data) - set(keys))
    if extra:
        raise TemplateError(source, f"unknown key(s) {extra}; known keys: {', '.join(keys)}",
                            place=f"{place}.{extra[0]}" if place else extra[0])


def _parse_question(q: Any, source: str, i: int) -> Question:
    place = f"questions[{i}]"
    if not isinstance(q, dict):
        raise TemplateError(source, "a question is a mapping", place=place)
    _known(q, _QUESTION_KEYS, source, place)
    number = _require(q, "number", int, source, place)
    place = f"questions[{i}] (number {number})"
    kind = q.get("kind", "open")
    if kind not in ("fact", "open"):
        raise TemplateError(source, f"kind must be 'fact' or 'open', not {kind!r}", place=f"{place}.kind")
    alternatives = q.get("alternatives") or []
    if not isinstance(alternatives, list) or not all(isinstance(a, str) for a in alternatives):
        raise TemplateError(source, "alternatives must be a list of strings", place=f"{place}.alternatives")
    question = str(_require(q, "question", str, source, place)).strip()
    return Question(
        number=number,
        key=str(q.get("key") or f"q{number}"),
        label=str(q.get("label") or question),
        question=question,
        prompt=str(q.get("prompt") or "").strip(),
        kind=kind,
        personal=bool(q.get("personal", False)),
        alternatives=tuple(a.strip() for a in alternatives),
        coded=bool(q.get("coded", True)),
        pseudonym=str(q.get("pseudonym") or "persoon").strip(),
    )


def _require(data: dict, key: str, kind: type, source: str, place: str | None = None) -> Any:
    where = f"{place}.{key}" if place else key
    if key not in data or data[key] is None:
        raise TemplateError(source, f"missing key {key!r}", place=where)
    value = data[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise TemplateError(source, f"{key!r} must be a whole number, not {value!r}", place=where)
    if kind is not int and not isinstance(value, kind):
        raise TemplateError(source, f"{key!r} must be a {kind.__name__}", place=where)
    return value


def _ints(value: Any, source: str, place: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TemplateError(source, "must be a list of question numbers", place=place)
    return value
