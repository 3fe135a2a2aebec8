"""Pseudonymisation: personal data in the answers replaced by stable placeholders.

:func:`pseudonymize` returns a copy of a corpus in which

* the persons named in the template's personal questions (U16: question 3, "Naam,
  telefoonnummer, emailadres pilotleider") become ``[<pseudonym> P07]``, the question's
  ``pseudonym`` (U16: ``[pilotleider P07]``; default ``[persoon P07]``) - P and the pilot's number in
  report order (``corpus.pilots.nr``, the same in every wave), zero padded. The same person
  gets the same placeholder in every answer and every wave; a second person of the same
  pilot (a new pilot leader at T1) gets ``[pilotleider P07b]``. Replaced are the full name
  everywhere, the surname with its particles ("de Wit", "van Leeuwen") everywhere, and, in
  the answers of the person's own pilot only, the surname alone and the first name alone
  when they are written with a capital and are not ordinary words (not shorter than 4
  resp. 3 letters, not a common Dutch word, not a word the corpus also uses in lower case,
  not part of a pilot or municipality name);
* e-mail addresses anywhere become ``[e-mail]``;
* Dutch phone numbers anywhere (06-12345678, 06 1234 5678, 0612345678, 030-1234567,
  (030) 123 4567, +31 6 12345678, +31 (0)30 123 4567, 0031 ...) become ``[telefoon]``:
  exactly ten digits starting with 0, or +31/0031 and nine digits, never across a date,
  so years, amounts (€ 1.250.000), dates (01-10-2019), date ranges (01-01-2020 -
  31-12-2020) and counts are left alone;
* Dutch postcodes (1234 AB, 1234AB) anywhere become ``[postcode]``.

The table ``corpus.pilots`` is derived from the answers, so its ``contact`` column holds
placeholders too. The key (placeholder -> original, with the place of each replacement) is
never stored in the corpus; it is written to a separate CSV file only when you pass
``key_path``, and :func:`restore` puts the originals back.

>>> from quickscan.corpus import Corpus, make_answers
>>> c = Corpus.from_answers(make_answers("Buurtcirkel Zeist", "T0", {
...     3: "Sanne de Wit, 06-12349902, s.dewit@example.org",
...     17: "Sanne belt op 030 123 4567; De Wit mailt. In 2019-2021 kwamen 120 cliënten (€ 1.250.000)."}))
>>> safe = pseudonymize(c)
>>> safe.answer("buurtcirkel-zeist", 3)
'[pilotleider P01], [telefoon], [e-mail]'
>>> safe.answer("buurtcirkel-zeist", 17)
'[pilotleider P01] belt op [telefoon]; [pilotleider P01] mailt. In 2019-2021 kwamen 120 cliënten (€ 1.250.000).'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from os import PathLike
from typing import Any

import pandas as pd

from ._io import read_csv, write_csv
from .coding import fold

__all__ = [
    "EMAIL",
    "PHONE",
    "POSTCODE",
    "KEY_COLUMNS",
    "FOUND_COLUMNS",
    "pseudonymize",
    "find_personal_data",
    "find_personal_elsewhere",
    "hide_personal_elsewhere",
    "restore",
    "read_key",
]

EMAIL = "[e-mail]"
PHONE = "[telefoon]"
POSTCODE = "[postcode]"
PERSON = "[{label} P{nr}{suffix}]"  # label: the personal question's pseudonym
KEY_COLUMNS = ["row", "pilot_id", "wave", "question", "start", "end", "kind", "placeholder", "original"]
FOUND_COLUMNS = ["pilot_id", "wave", "question", "row", "start", "end", "kind", "text", "placeholder"]

_SPACE = r"[ \u00a0]"
_SEP = rf"(?:\)?{_SPACE}?[-–./]{_SPACE}?|\)?{_SPACE}|\))?"  # between two digits of a phone number
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
_PHONE_RE = re.compile(
    r"(?<![\w+(])"
    r"(?:"
    rf"(?:\+|00){_SPACE}?31{_SPACE}?(?:[-–]{_SPACE}?)?(?:\(0\){_SPACE}?)?[1-9](?:{_SEP}\d){{8}}"  # +31 and 9 digits
    rf"|\(?0\d(?:{_SEP}\d){{8}}"  # 0 and 9 digits
    r")"
    r"(?!\w)"
)
# What every phone number holds (nine digits after its first, each after at most four separator
# characters), found much faster than _PHONE_RE: answers without it are not searched further.
_PHONE_HINT = re.compile(r"\d(?:[) \u00a0\-–./]{0,4}\d){8}")
# Dates (12-03-2020, 1.3.2020, 2020-03-12): never part of a phone number, so that a date
# range ("01-01-2020 - 31-12-2020") or a date and a number do not make ten digits.
_DATE_RE = re.compile(r"(?<!\d)(?:\d{1,2}([-./])\d{1,2}\1\d{4}|\d{4}([-./])\d{1,2}\2\d{1,2})(?!\d)")
_POSTCODE_RE = re.compile(r"(?<![\w-])[1-9]\d{3}" + _SPACE + r"?(?!SA|SD|SS)[A-Z]{2}(?![\w-])")
_YEAR_WORDS = {"EN", "IN", "OF", "OP", "TE", "DE", "OM", "ER", "AL", "NU", "ZO", "JA", "IS", "EU", "NL"}
_PLACEHOLDER_RE = re.compile(r"\[(?:[^\W\d_][\w -]{0,40} P\d+[a-z]?|e-mail|telefoon|postcode)\]")

_PARTICLES = {
    "van", "de", "der", "den", "het", "'t", "te", "ten", "ter", "in", "op", "aan", "el", "al", "la", "le",
    "du", "da", "dos", "di", "von", "zu", "bin", "ben", "mc",
}
_TITLES = re.compile(r"^(?:(?:dhr|mevr|mw|mr|dr|drs|ir|ing|prof)\.?\s+|(?:de heer|mevrouw|meneer)\s+)+", re.I)
_LABELS = re.compile(
    r"^(?:naam|name|pilotleider|projectleider|contactpersoon|contact|coördinator|coordinator|"
    r"tel(?:efoon)?(?:nummer)?|mobiel|e-?mail(?:adres)?|mail)\s*[:.\-]\s*",
    re.I,
)
_NAME_TOKEN = re.compile(r"^[A-ZÀ-Ý][\w'’.-]*$")
# Surnames and first names that are also ordinary Dutch words: never replaced on their own.
_COMMON = {
    "bakker", "berg", "boer", "boom", "bos", "brouwer", "dekker", "groot", "hoek", "jong", "klein", "kok",
    "koster", "meijer", "mulder", "post", "prins", "schouten", "smit", "smits", "visser", "vos", "wit",
    "zwart", "bruin", "koning", "keizer", "molenaar", "bos", "veen", "dijk", "wijk", "vries", "noord",
    "zuid", "oost", "west", "roos", "lief", "mooi", "goed", "zon", "maan", "jan", "eva", "kim", "wil",
}
_BREAK = re.compile(r"\s*(?:[,;|/\n]|\s-\s|\s–\s)\s*")
_AND = re.compile(r"\s+(?:en|&|and)\s+", re.I)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


# -- finding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    name: str  # as written in the personal question
    placeholder: str
    pilot_id: str
    full: re.Pattern[str]  # everywhere: full name, surname with particles
    alone: re.Pattern[str] | None  # in the person's own pilot: surname or first name alone


def _spans(text: str, people: Iterable[_Person] = (), pilot_id: str | None = None) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, placeholder) of every piece of personal data, without overlaps."""
    found = [(m.start(), m.end(), "email", EMAIL) for m in _EMAIL_RE.finditer(text)]
    undated = _DATE_RE.sub(lambda m: "#" * len(m[0]), text)  # same offsets
    found += [(*_balanced(text, m.start(), m.end()), "phone", PHONE) for m in _PHONE_RE.finditer(undated)]
    found += [(m.start(), m.end(), "postcode", POSTCODE) for m in _POSTCODE_RE.finditer(text) if not _year_and_word(m[0])]
    for person in people:
        found += [(m.start(), m.end(), "name", person.placeholder) for m in person.full.finditer(text)]
        if person.alone is not None and person.pilot_id == pilot_id:
            found += [(m.start(), m.end(), "name", person.placeholder) for m in person.alone.finditer(text)]
    protected = [(m.start(), m.end()) for m in _PLACEHOLDER_RE.finditer(text)]
    chosen: list[tuple[int, int, str, str]] = []
    end = -1
    for span in sorted(found, key=lambda s: (s[0], -s[1])):
        if span[0] >= end and not any(a < span[1] and span[0] < b for a, b in protected):
            chosen.append(span)
            end = span[1]
    return chosen


def _year_and_word(match: str) -> bool:
    """'2020 EN', '1990 IN': a year and a capitalised word, not a postcode."""
    return match[:2] in ("19", "20") and match[-2:] in _YEAR_WORDS and not match[4:5].isalpha()


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """A phone match without an opening bracket it does not close."""
    if text[start] == "(" and ")" not in text[start:end]:
        start += 1
    while end > start and text[end - 1] == ")" and text[start:end].count("(") < text[start:end].count(")"):
        end -= 1
    return start, end


def _name_of(answer: str) -> list[str]:
    """The person names in the answer to a personal question (the first part that holds names)."""
    text = _EMAIL_RE.sub(" , ", answer)
    text = _PHONE_RE.sub(" , ", text)
    for chunk in _BREAK.split(text):
        chunk = re.sub(r"\([^)]*\)", " ", chunk).strip(" .:-\t")
        chunk = _LABELS.sub("", chunk).strip()
        if not chunk:
            continue
        if _PLACEHOLDER_RE.search(chunk):
            return []
        names = [_TITLES.sub("", part).strip() for part in _AND.split(chunk)]
        names = [n for n in names if _is_name(n)]
        if names:
            return names
    return []


def _is_name(text: str) -> bool:
    tokens = text.split()
    if not 2 <= len(tokens) <= 6 or not _NAME_TOKEN.match(tokens[0]):
        return False
    return all(_NAME_TOKEN.match(t) or t.lower() in _PARTICLES for t in tokens) and _NAME_TOKEN.match(tokens[-1])


def _words_pattern(words: list[str], *, particles_any_case: bool = True) -> str:
    parts = []
    for w in words:
        if w.lower() in _PARTICLES and particles_any_case:
            parts.append(f"(?i:{re.escape(w)})")
        else:
            parts.append(re.escape(w))
    return r"[ \u00a0]+".join(parts)


def _person(name: str, placeholder: str, pilot_id: str, ordinary: set[str]) -> _Person:
    tokens = name.split()
    first = tokens[0]
    rest = tokens[1:]
    core_at = next((i for i, t in enumerate(rest) if t.lower() not in _PARTICLES), len(rest) - 1)
    particles, core = rest[:core_at], rest[core_at:]
    full = [rf"(?i:{_words_pattern(tokens, particles_any_case=False)})"]
    if particles:  # "de Wit", "van Leeuwen": specific enough everywhere
        full.append(_words_pattern(particles + core))
    elif len(core) > 1:  # a multi-word surname without particle
        full.append(_words_pattern(core))
    alone = []
    surname = " ".join(core)
    for word in [surname, *(surname.split("-") if "-" in surname else [])]:
        if " " not in word and len(word) >= 4 and fold(word) not in ordinary and _NAME_TOKEN.match(word):
            alone.append(re.escape(word))
    if len(first) >= 3 and fold(first) not in ordinary and _NAME_TOKEN.match(first):
        alone.append(re.escape(first))
    boundary = r"(?<![\w@.-]){}(?![\w@-])"
    return _Person(
        name=name,
        placeholder=placeholder,
        pilot_id=pilot_id,
        full=re.compile(boundary.format("(?:" + "|".join(full) + ")")),
        alone=re.compile(boundary.format("(?:" + "|".join(sorted(set(alone), key=len, reverse=True)) + ")"))
        if alone else None,
    )


def _ordinary_words(corpus) -> set[str]:
    """Words a name must not be replaced as on its own: common words, words used in lower
    case in the answers, and the words of pilot and municipality names."""
    answers = corpus.answers
    personal = answers["question"].isin(corpus.template.personal_questions).fillna(False).astype(bool)
    ordinary = set(_COMMON) | _PARTICLES
    for text in answers.loc[~personal, "answer"]:
        ordinary.update(fold(w) for w in _WORD.findall(text) if w[:1].islower())
    pilots = corpus.pilots
    for col in ("pilot", "naam", "gemeente"):
        if col in pilots:
            for text in pilots[col].astype(str):
                ordinary.update(fold(text).split())
    return ordinary


def _people(corpus) -> list[_Person]:
    """Everyone named in a personal question, with a placeholder per person."""
    answers = corpus.answers
    personal = answers[answers["question"].isin(corpus.template.personal_questions).fillna(False).astype(bool)]
    if personal.empty:
        return []
    numbers = corpus.pilots.drop_duplicates("pilot_id").set_index("pilot_id")["nr"]
    width = max(2, len(str(int(numbers.max()))))
    ordinary = _ordinary_words(corpus)
    placeholders: dict[str, str] = {}  # folded name -> placeholder
    per_pilot: dict[str, int] = {}
    people: list[_Person] = []
    seen: set[tuple[str, str]] = set()
    wave_rank = {w: i for i, w in enumerate(corpus.waves)}
    ordered = personal.assign(nr_=personal["pilot_id"].map(numbers), w_=personal["wave"].map(wave_rank))
    for row in ordered.sort_values(["nr_", "w_"], kind="stable").itertuples(index=False):
        for name in _name_of(row.answer):
            key = fold(name)
            if key not in placeholders:
                n = per_pilot.get(row.pilot_id, 0)
                per_pilot[row.pilot_id] = n + 1
                suffix = "" if n == 0 else _letters(n)
                placeholders[key] = PERSON.format(label=corpus.template.question(int(row.question)).pseudonym,
                                                  nr=str(int(row.nr_)).zfill(width), suffix=suffix)
            if (key, row.pilot_id) not in seen:
                seen.add((key, row.pilot_id))
                people.append(_person(name, placeholders[key], row.pilot_id, ordinary))
    # longer names first, so "Anouk Verbeek-Boom" wins over "Anouk Verbeek"
    return sorted(people, key=lambda p: -len(p.name))


def _letters(n: int) -> str:
    """The suffix of the n-th other person of a pilot: 1 -> 'b', 2 -> 'c', 25 -> 'z', 26 -> 'ba'."""
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return alphabet[n] if n < 26 else alphabet[n // 26] + alphabet[n % 26]


def find_personal_data(data: Any) -> pd.DataFrame:
    """What :func:`pseudonymize` would replace, in a text or in every answer of a corpus.

    Returns
    -------
    DataFrame
        Columns ``FOUND_COLUMNS``: pilot_id, wave, question, row (of ``corpus.answers``;
        empty for a text), start, end, kind (name, email, phone, postcode), text and
        placeholder. For a text only e-mail addresses, phone numbers and postcodes are found
        (names come from the personal question of a corpus). Handy to check an export.

    Examples
    --------
    >>> find_personal_data("Bel 06 1234 5678 of mail a.b@example.org; 3991 XK; € 1.250.000")[["kind", "text"]]
           kind             text
    0     phone    06 1234 5678
    1     email  a.b@example.org
    2  postcode          3991 XK
    """
    if isinstance(data, str):
        rows = [{"pilot_id": None, "wave": None, "question": pd.NA, "row": pd.NA, "start": s, "end": e,
                 "kind": kind, "text": data[s:e], "placeholder": ph} for s, e, kind, ph in _spans(data)]
        return _typed(pd.DataFrame(rows, columns=FOUND_COLUMNS))
    people = _people(data)
    rows = []
    for i, row in enumerate(data.answers.itertuples(index=False)):
        for s, e, kind, ph in _spans(row.answer, people, row.pilot_id):
            rows.append({"pilot_id": row.pilot_id, "wave": row.wave, "question": row.question, "row": i,
                         "start": s, "end": e, "kind": kind, "text": row.answer[s:e], "placeholder": ph})
    return _typed(pd.DataFrame(rows, columns=FOUND_COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"question": "Int64", "row": "Int64", "start": "int64", "end": "int64"})


# -- replacing -----------------------------------------------------------------------------------


def _pseudonymized(corpus) -> tuple[Any, pd.DataFrame]:
    people = _people(corpus)
    answers = corpus.answers.copy()
    texts = []
    key = []
    for i, row in enumerate(corpus.answers.itertuples(index=False)):
        text = row.answer
        out, shift = [], 0
        last = 0
        for s, e, kind, ph in _spans(text, people, row.pilot_id):
            out.append(text[last:s])
            start = s + shift
            out.append(ph)
            key.append({"row": i, "pilot_id": row.pilot_id, "wave": row.wave, "question": row.question,
                        "start": start, "end": start + len(ph), "kind": kind, "placeholder": ph,
                        "original": text[s:e]})
            shift += len(ph) - (e - s)
            last = e
        out.append(text[last:])
        texts.append("".join(out))
    answers["answer"] = texts
    frame = pd.DataFrame(key, columns=KEY_COLUMNS).astype({"question": "Int64", "row": "int64"})
    return replace(corpus, answers=answers), frame


def pseudonymize(corpus, *, key_path: str | PathLike[str] | None = None):
    """A copy of the corpus with personal data replaced by placeholders (see the module docstring).

    Parameters
    ----------
    corpus : Corpus
    key_path : path, optional
        Where to write the key (CSV: row, pilot_id, wave, question, start, end, kind,
        placeholder, original), for :func:`restore`. Keep it apart from the data; without
        ``key_path`` no key is written anywhere.

    Returns
    -------
    Corpus
        The pseudonymised copy; ``corpus.pilots`` of it is derived from the new answers.
        Pseudonymising twice gives the same corpus as once.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> safe = pseudonymize(read_folder("data/sample/T0"))
    >>> safe.pilots["contact"].iloc[0]
    '[pilotleider P01], [telefoon], [e-mail]'
    """
    result, key = _pseudonymized(corpus)
    if key_path is not None:
        write_csv(key, key_path, index=False, encoding="utf-8")  # "+31 6 ...": a formula to a spreadsheet
    return result


def read_key(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a key written by :func:`pseudonymize` (an ``InputError`` naming the file when malformed).

    >>> import tempfile, pathlib
    >>> from quickscan.corpus import Corpus, make_answers
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sleutel.csv"
    >>> c = Corpus.from_answers(make_answers("Pilot X", "T0", {3: "Jan Jansen, 0612345678"}))
    >>> _ = pseudonymize(c, key_path=path)
    >>> read_key(path)[["placeholder", "original"]].values.tolist()
    [['[pilotleider P01]', 'Jan Jansen'], ['[telefoon]', '0612345678']]
    """
    from .errors import InputError

    try:
        key = read_csv(path, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read pseudonymisation key: {exc}") from exc
    missing = [c for c in KEY_COLUMNS if c not in key.columns]
    if missing:
        raise InputError(path, f"not a pseudonymisation key: missing column(s) {missing}")
    try:
        key = key.assign(
            row=key["row"].astype(int), start=key["start"].astype(int), end=key["end"].astype(int),
            question=pd.to_numeric(key["question"].replace("", None)).astype("Int64"),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(path, f"malformed pseudonymisation key: {exc}") from exc
    return key[KEY_COLUMNS]


def restore(corpus, key: pd.DataFrame | str | PathLike[str]):
    """The originals put back into a pseudonymised corpus, from the key (a frame or its file).

    Raises ValueError naming the row when the key does not fit the corpus (another corpus,
    or answers edited after pseudonymising).

    >>> from quickscan.corpus import Corpus, make_answers
    >>> c = Corpus.from_answers(make_answers("Pilot X", "T0", {3: "Jan Jansen, 0612345678"}))
    >>> safe, key = _pseudonymized(c)
    >>> restore(safe, key).answer("pilot-x", 3)
    'Jan Jansen, 0612345678'
    """
    if not isinstance(key, pd.DataFrame):
        key = read_key(key)
    answers = corpus.answers.copy()
    texts = answers["answer"].tolist()
    for row, part in key.sort_values(["row", "start"], ascending=[True, False]).groupby("row", sort=False):
        row = int(row)
        if row >= len(texts) or answers.at[row, "pilot_id"] != part["pilot_id"].iloc[0] or str(
                answers.at[row, "wave"]) != str(part["wave"].iloc[0]):
            raise ValueError(f"key row {row} ({part['pilot_id'].iloc[0]}) does not fit this corpus")
        text = texts[row]
        for r in part.itertuples(index=False):
            if text[r.start:r.end] != r.placeholder:
                raise ValueError(
                    f"key row {row} ({r.pilot_id}, {r.wave}, question {r.question}): expected "
                    f"{r.placeholder!r} at {r.start}, found {text[r.start:r.end]!r}; was the answer edited?"
                )
            text = text[:r.start] + r.original + text[r.end:]
        texts[row] = text
    answers["answer"] = texts
    return replace(corpus, answers=answers)


# -- personal data outside the personal questions --------------------------------------------------

def find_personal_elsewhere(corpus) -> pd.DataFrame:
    """Personal data in answers to questions that are not personal: what a contact row looks
    like when it lost its number and wording and was read as part of another answer.

    Found are e-mail addresses and phone numbers, and the person names on the lines that
    hold them (as in a personal question: ``Jan Jansen, 06-12345678``). Columns
    ``FOUND_COLUMNS``; ``start``/``end`` are offsets in the answer, ``row`` its row in
    ``corpus.answers``. :func:`hide_personal_elsewhere` replaces them.

    >>> from quickscan.corpus import Corpus, make_answers
    >>> c = Corpus.from_answers(make_answers("Buurtcirkel Zeist", "T0", {
    ...     2: "Zeist\\n\\nSanne de Wit, 06-12349902, s.dewit@example.org"}))
    >>> find_personal_elsewhere(c)[["question", "kind", "text", "placeholder"]]
       question   kind                text        placeholder
    0         2   name        Sanne de Wit  [pilotleider P01]
    1         2  phone         06-12349902         [telefoon]
    2         2  email  s.dewit@example.org           [e-mail]
    """
    answers = corpus.answers
    personal = set(corpus.template.personal_questions)
    rows = []
    questions = answers["question"].astype(object).where(answers["question"].notna(), None).tolist()
    for i, (pid, wave, q, text) in enumerate(zip(answers["pilot_id"].tolist(), answers["wave"].tolist(), questions,
                                                 answers["answer"].tolist())):
        if (q is not None and q in personal) or ("@" not in text and not _PHONE_HINT.search(text)):
            continue
        spans = [s for s in _spans(text) if s[2] in ("email", "phone")]
        if not spans:
            continue
        numbers = corpus.pilots.drop_duplicates("pilot_id").set_index("pilot_id")["nr"]
        width = max(2, len(str(int(numbers.max()))))
        personal_qs = corpus.template.personal_questions
        label = corpus.template.question(personal_qs[0]).pseudonym if personal_qs else "persoon"
        person = PERSON.format(label=label, nr=str(int(numbers[pid])).zfill(width), suffix="")
        line_start = 0
        for line in text.split("\n"):
            line_end = line_start + len(line)
            if any(line_start <= s < line_end for s, *_ in spans):
                for name in _name_of(line):
                    for m in re.finditer(re.escape(name), line):
                        spans.append((line_start + m.start(), line_start + m.end(), "name", person))
            line_start = line_end + 1
        chosen, end = [], -1
        for s, e, kind, ph in sorted(spans, key=lambda s: (s[0], -s[1])):
            if s >= end:
                chosen.append((s, e, kind, ph))
                end = e
        rows += [{"pilot_id": pid, "wave": wave, "question": q, "row": i, "start": s, "end": e, "kind": kind,
                  "text": text[s:e], "placeholder": ph} for s, e, kind, ph in chosen]
    return _typed(pd.DataFrame(rows, columns=FOUND_COLUMNS))


def hide_personal_elsewhere(corpus, found: pd.DataFrame | None = None):
    """A copy of the corpus with the personal data of :func:`find_personal_elsewhere` replaced by
    placeholders; the exports of a report use it unless personal data is asked for.

    >>> from quickscan.corpus import Corpus, make_answers
    >>> c = Corpus.from_answers(make_answers("Buurtcirkel Zeist", "T0", {
    ...     2: "Zeist\\n\\nSanne de Wit, 06-12349902, s.dewit@example.org"}))
    >>> hide_personal_elsewhere(c).answer("buurtcirkel-zeist", 2)
    'Zeist\\n\\n[pilotleider P01], [telefoon], [e-mail]'
    """
    found = find_personal_elsewhere(corpus) if found is None else found
    if found.empty:
        return corpus
    answers = corpus.answers.copy()
    texts = answers["answer"].tolist()
    for row, part in found.groupby("row", sort=False):
        text = texts[row]
        for r in part.sort_values("start", ascending=False).itertuples(index=False):
            text = text[:r.start] + r.placeholder + text[r.end:]
        texts[row] = text
    answers["answer"] = texts
    return replace(corpus, answers=answers)


def personal_elsewhere_problems(corpus, found: pd.DataFrame | None = None) -> list[dict[str, str]]:
    """One warning (``W141``) per answer holding personal data outside the personal questions."""
    from .corpus import problem

    found = find_personal_elsewhere(corpus) if found is None else found
    answers = corpus.answers
    out = []
    for row, part in found.groupby("row", sort=True):
        a = answers.iloc[int(row)]
        where = f"question {int(a['question'])}" if not pd.isna(a["question"]) else "a passage without question"
        kinds = ", ".join(dict.fromkeys({"email": "an e-mail address", "phone": "a phone number",
                                         "name": "a name"}[k] for k in part["kind"]))
        out.append(problem("warning", "W141", a["source"], a["location"] or where,
                           f"{where} of pilot {a['pilot']!r} holds personal data ({kinds}), as if a contact row "
                           "lost its number and wording; it is pseudonymised in the report and its exports"))
    return out


def shift_offset(offset: int, edits: Iterable[tuple[int, int, int]], *, end: bool = False) -> int:
    """Where an offset of a text lands after the spans ``(start, end, new length)`` are replaced.

    >>> shift_offset(20, [(5, 16, 10)]), shift_offset(8, [(5, 16, 10)]), shift_offset(8, [(5, 16, 10)], end=True)
    (19, 5, 15)
    """
    delta = 0
    for s, e, n in sorted(edits):
        if offset >= e:
            delta += n - (e - s)
        elif offset > s:
            return s + delta + (n if end else 0)
        else:
            break
    return offset + delta
