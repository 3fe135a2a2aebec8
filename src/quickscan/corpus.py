"""The tidy data set all later stages read: one row per pilot, wave and question.

A :class:`Corpus` holds three DataFrames with fixed columns:

``answers``
    pilot_id, pilot, wave, question, label, answer, source, location. ``question`` is
    a nullable integer: content that matched no question is kept as rows with
    ``question`` <NA> and ``label`` ``"unmatched"`` (never dropped). Every template question
    has a row for every pilot and wave, with an empty answer when the form lacks it.
``pilots``
    one row per pilot and wave: nr (report order, the same in every wave), pilot_id,
    wave, pilot, source, and one column per fact question of the template (naam,
    gemeente, contact, ...).
``problems``
    severity (error / warning / info), code, source, place, message.

Pilot ids are stable across waves: the same pilot written slightly differently at T1 gets
the id of T0 (see :func:`combine`).

>>> from quickscan.corpus import Corpus, make_answers
>>> c = Corpus.from_answers(make_answers("Buurtcirkel Zeist", "T0", {1: "Buurtcirkel Zeist", 9: "Minder eenzaamheid."}))
>>> c.answers.loc[c.answers.question == 9, "answer"].item()
'Minder eenzaamheid.'
>>> c.pilot_ids
('buurtcirkel-zeist',)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .template import Template, default_template, normalize

__all__ = [
    "Corpus",
    "ANSWER_COLUMNS",
    "PILOT_COLUMNS",
    "PROBLEM_COLUMNS",
    "combine",
    "pilot_id",
    "pilot_name",
    "make_answers",
    "read_aliases",
    "wave_from_name",
]

ANSWER_COLUMNS = ["pilot_id", "pilot", "wave", "question", "label", "answer", "source", "location"]
PILOT_COLUMNS = ["nr", "pilot_id", "wave", "pilot", "source"]
PROBLEM_COLUMNS = ["severity", "code", "source", "place", "message"]
UNMATCHED = "unmatched"

_WAVE = re.compile(r"(?<![A-Za-z0-9])[Tt](\d{1,2})(?![0-9])")


@dataclass(frozen=True)
class Corpus:
    """Answers of many pilots in one or more waves, with the problems met reading them."""

    answers: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=lambda: empty_problems())
    template: Template = field(default_factory=default_template)

    @classmethod
    def from_answers(
        cls,
        answers: pd.DataFrame | Iterable[Mapping[str, Any]],
        problems: pd.DataFrame | Iterable[Mapping[str, Any]] = (),
        template: Template | None = None,
    ) -> Corpus:
        """Build a corpus from answer rows; missing questions are added as empty answers."""
        template = template or default_template()
        frame = answers if isinstance(answers, pd.DataFrame) else pd.DataFrame(list(answers))
        return cls(_complete(frame, template), _problems_frame(problems), template)

    # -- views ----------------------------------------------------------------------------

    @cached_property
    def pilots(self) -> pd.DataFrame:
        """One row per pilot and wave with the facts of the template's fact questions."""
        return _pilots_table(self.answers, self.template)

    @property
    def waves(self) -> tuple[str, ...]:
        return tuple(sorted(self.answers["wave"].unique(), key=_wave_key))

    @property
    def pilot_ids(self) -> tuple[str, ...]:
        """Pilot ids in report order (order of first appearance, earliest wave first)."""
        return tuple(self.pilots.drop_duplicates("pilot_id")["pilot_id"])

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    def wave(self, wave: str) -> Corpus:
        """The part of the corpus of one wave."""
        return replace(self, answers=self.answers[self.answers["wave"] == wave].reset_index(drop=True))

    def answer(self, pilot_id: str, question: int, wave: str | None = None) -> str:
        """The answer of one pilot to one question (in the only or the given wave)."""
        a = self.answers
        rows = a[(a["pilot_id"] == pilot_id) & (a["question"] == question)]
        if wave is not None:
            rows = rows[rows["wave"] == wave]
        if rows["wave"].nunique() > 1:
            raise ValueError(f"pilot {pilot_id!r} has answers in several waves; pass wave=")
        if rows.empty:
            raise KeyError(f"no answer of {pilot_id!r} to question {question}")
        return "\n\n".join(rows["answer"])

    def without_personal(self) -> Corpus:
        """A copy in which the answers to the template's personal questions are blanked."""
        personal = self.answers["question"].isin(self.template.personal_questions)
        answers = self.answers.copy()
        answers.loc[personal, "answer"] = ""
        return replace(self, answers=answers)

    def summary(self) -> str:
        """A short readable summary: pilots per wave, answers, problems."""
        lines = [f"quickscan corpus ({self.template.name})"]
        matched = self.answers[self.answers["question"].notna()]
        for wave in self.waves:
            part = matched[matched["wave"] == wave]
            n = part["pilot_id"].nunique()
            filled = (part["answer"].str.strip() != "").sum()
            words = sum(len(text.split()) for text in part["answer"].tolist() if isinstance(text, str))
            lines.append(f"  {wave}: {self.template.unit.count(n)}, {filled} of {len(part)} answers filled, {int(words)} words")
        unmatched = (self.answers["question"].isna()).sum()
        if unmatched:
            lines.append(f"  {unmatched} passage(s) matched no question (kept as 'unmatched')")
        lines.append(problem_summary(self.problems))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from html import escape

        return "<pre>" + escape(self.summary()) + "</pre>"

    def content(self) -> pd.DataFrame:
        """What a round trip must keep: pilot, wave, question and answer, sorted."""
        cols = ["pilot_id", "pilot", "wave", "question", "answer"]
        frame = self.answers[cols].copy()
        frame["question"] = frame["question"].astype("Int64")
        return frame.sort_values(["wave", "pilot_id", "question"], na_position="last", kind="stable").reset_index(
            drop=True
        )


# -- building --------------------------------------------------------------------------


def make_answers(
    pilot: str,
    wave: str,
    answers: Mapping[int, str],
    *,
    source: str = "",
    template: Template | None = None,
    unmatched: Iterable[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Answer rows for one pilot: ``{question: text}`` plus ``(text, location)`` unmatched."""
    template = template or default_template()
    rows = [
        {
            "pilot_id": pilot_id(pilot),
            "pilot": pilot,
            "wave": wave,
            "question": q,
            "label": template.question(q).label,
            "answer": text,
            "source": source,
            "location": "",
        }
        for q, text in answers.items()
    ]
    rows += [
        {"pilot_id": pilot_id(pilot), "pilot": pilot, "wave": wave, "question": pd.NA, "label": UNMATCHED,
         "answer": text, "source": source, "location": location}
        for text, location in unmatched
    ]
    return pd.DataFrame(rows, columns=ANSWER_COLUMNS)


def empty_answers() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in ANSWER_COLUMNS})
    frame["question"] = frame["question"].astype("Int64")
    return frame


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})


def problem(severity: str, code: str, source: Any, place: str | None, message: str) -> dict[str, str]:
    """One problem row."""
    return {"severity": severity, "code": code, "source": str(source or ""), "place": place or "", "message": message}


def _problems_frame(problems: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    if isinstance(problems, pd.DataFrame):
        return problems.reindex(columns=PROBLEM_COLUMNS).reset_index(drop=True)
    rows = list(problems)
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS) if rows else empty_problems()


def problem_summary(problems: pd.DataFrame) -> str:
    """Problems grouped by file, one line each, errors first."""
    if problems.empty:
        return "  no problems"
    order = {"error": 0, "warning": 1, "info": 2}
    counts = problems["severity"].value_counts()
    head = ", ".join(f"{counts[s]} {s}(s)" for s in order if s in counts)
    lines = [f"  problems: {head}" + (" (notes: corpus.problems)" if "info" in counts else "")]
    ranked = problems.assign(_o=problems["severity"].map(order)).sort_values(["_o", "source"], kind="stable")
    for row in ranked[ranked["severity"] != "info"].itertuples():
        where = ": ".join(p for p in (row.source, row.place) if p)
        lines.append(f"    {row.severity.upper():7} {where}: {row.message} [{row.code}]")
    return "\n".join(lines)


def _complete(answers: pd.DataFrame, template: Template) -> pd.DataFrame:
    """Typed columns and one row per template question for every pilot and wave."""
    if answers.empty:
        return empty_answers()
    answers = answers.reindex(columns=ANSWER_COLUMNS).copy()
    answers["question"] = answers["question"].astype("Int64")
    for col in ("answer", "source", "location", "label"):
        answers[col] = answers[col].fillna("").astype(str)
    present = set(zip(answers["pilot_id"].tolist(), answers["wave"].tolist(),
                      answers["question"].fillna(-1).astype("int64").tolist()))
    keys = answers.drop_duplicates(["pilot_id", "wave"])[["pilot_id", "pilot", "wave", "source"]]
    missing = [
        {"pilot_id": k.pilot_id, "pilot": k.pilot, "wave": k.wave, "question": q.number, "label": q.label,
         "answer": "", "source": k.source, "location": ""}
        for k in keys.itertuples()
        for q in template.questions
        if (k.pilot_id, k.wave, q.number) not in present
    ]
    if missing:
        answers = pd.concat([answers, pd.DataFrame(missing, columns=ANSWER_COLUMNS)], ignore_index=True)
        answers["question"] = answers["question"].astype("Int64")
    order = {pid: i for i, pid in enumerate(dict.fromkeys(answers["pilot_id"].tolist()))}
    waves = sorted(answers["wave"].unique(), key=_wave_key)
    answers = answers.assign(
        _w=answers["wave"].map({w: i for i, w in enumerate(waves)}),
        _p=answers["pilot_id"].map(order),
        _q=answers["question"].fillna(10_000),
    )
    answers = answers.sort_values(["_w", "_p", "_q"], kind="stable").drop(columns=["_w", "_p", "_q"])
    return answers.reset_index(drop=True)


def _pilots_table(answers: pd.DataFrame, template: Template) -> pd.DataFrame:
    facts = template.fact_questions
    table = answers.drop_duplicates(["pilot_id", "wave"])[["pilot_id", "wave", "pilot", "source"]]
    matched = answers[answers["question"].isin([q.number for q in facts])]
    texts: dict[tuple, list[str]] = {}  # (pilot, wave, question) -> its answers, in order
    for key in zip(matched["pilot_id"].tolist(), matched["wave"].tolist(), matched["question"].tolist(),
                   matched["answer"].tolist()):
        if isinstance(key[3], str):
            texts.setdefault(key[:3], []).append(key[3])
    pilots, waves = table["pilot_id"].tolist(), table["wave"].tolist()
    table = table.assign(**{q.key: ["\n\n".join(texts.get((p, w, q.number), ())) for p, w in zip(pilots, waves)]
                            for q in facts})
    order = {pid: i + 1 for i, pid in enumerate(dict.fromkeys(pilots))}
    table.insert(0, "nr", table["pilot_id"].map(order).astype("int64"))
    return table.reset_index(drop=True)


def _wave_key(wave: str) -> tuple[int, str]:
    m = _WAVE.search(str(wave))
    return (int(m.group(1)) if m else 10_000, str(wave))


# -- identity ----------------------------------------------------------------------------


def pilot_id(name: str) -> str:
    """A stable, readable id from a pilot name.

    >>> pilot_id("Gebiedsteam GGZ-Houten")
    'gebiedsteam-ggz-houten'
    """
    slug = normalize(name).replace(" ", "-")
    return slug[:60].strip("-") or "pilot"


_ADDRESS = re.compile(r"\d|\bstraat\b|\blaan\b|\bweg\b|\bplein\b|\bpostbus\b", re.IGNORECASE)
_NAME_LABEL = re.compile(r"^\s*(naam( pilot)?|pilot|project)\s*[:\-]\s*", re.IGNORECASE)


def pilot_name(answer: str) -> str:
    """The pilot's name from the answer to 'Naam en adres pilot': the first line, without the address.

    >>> pilot_name("Gebiedsteam GGZ Houten, Lindenlaan 3, 3991 AB Houten")
    'Gebiedsteam GGZ Houten'
    >>> pilot_name("Naam: Buurtcirkel Zeist\\nSlotlaan 12, Zeist")
    'Buurtcirkel Zeist'
    """
    for line in answer.splitlines():
        line = _NAME_LABEL.sub("", line.strip().lstrip("-•* ").strip())
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"[,;]", line)]
        if len(parts) > 1 and any(_ADDRESS.search(p) for p in parts[1:]):
            line = parts[0]
        return line[:120].strip()
    return ""


def wave_from_name(*names: str | PathLike[str]) -> str | None:
    """The wave (``T0``, ``T1``...) named in a folder, sheet or file name, if any.

    >>> wave_from_name("data/T1/houten.docx"), wave_from_name("Quickscan t0 2020.xlsx"), wave_from_name("x")
    ('T1', 'T0', None)
    """
    for name in names:
        for part in reversed(Path(str(name)).parts):
            m = _WAVE.search(part)
            if m:
                return f"T{int(m.group(1))}"
    return None


def read_aliases(path: str | PathLike[str]) -> dict[str, str]:
    """Read an alias file: YAML mapping a canonical pilot name to the other ways it is written.

    .. code-block:: yaml

        Thuis in de Wijk Wijk bij Duurstede:
          - Thuis in de wijk (WbD)
    """
    from ._io import read_yaml
    from .errors import InputError

    data = read_yaml(path, error=InputError, what="alias file") or {}
    if not isinstance(data, dict):
        raise InputError(path, "an alias file maps a pilot name to a list of other names")
    aliases: dict[str, str] = {}
    for canonical, others in data.items():
        if isinstance(others, str):
            others = [others]
        if not isinstance(others, list):
            raise InputError(path, "expected a list of names", place=str(canonical))
        aliases[normalize(str(canonical))] = str(canonical)
        for other in others:
            aliases[normalize(str(other))] = str(canonical)
    return aliases


def combine(
    corpora: Iterable[Corpus],
    *,
    aliases: Mapping[str, str] | str | PathLike[str] | None = None,
    threshold: float = 90,
) -> Corpus:
    """Put corpora together, giving each pilot one id across waves.

    A pilot of a later wave gets the id of the earlier pilot whose name matches it
    (after aliases; names compared with token-set similarity >= ``threshold``). Two equally
    good candidates are reported as ambiguous and not merged. The same pilot twice in one
    wave from two files is an error naming both files; identical copies (a form and the
    combined workbook) are merged with a note.
    """
    from rapidfuzz import process
    from rapidfuzz.fuzz import token_set_ratio

    corpora = list(corpora)
    if isinstance(aliases, (str, PathLike)):
        aliases = read_aliases(aliases)
    aliases = dict(aliases or {})
    template = corpora[0].template if corpora else default_template()
    problems = [c.problems for c in corpora]
    frames = [c.answers for c in corpora if not c.answers.empty]
    if not frames:
        return Corpus(empty_answers(), _concat_problems(problems), template)
    answers = pd.concat(frames, ignore_index=True)
    waves = sorted(answers["wave"].unique(), key=_wave_key)

    canon: dict[str, str] = {}  # normalized name -> canonical name (first written form)
    canon_ids: dict[str, str] = {}  # canonical name -> id
    used_ids: set[str] = set()
    new_problems: list[dict[str, str]] = []
    rename: dict[tuple[str, str, str], str] = {}  # (wave, source, old id) -> id
    for wave in waves:
        part = answers[answers["wave"] == wave].drop_duplicates(["pilot_id", "source"])
        taken: dict[str, str] = {}  # id -> source, within this wave
        # the pilots of earlier waves not yet taken in this one, as fuzzy-matching candidates
        # (one C-level scan per name: no quadratic Python loop over thousands of pilots)
        open_: dict[str, str] = {c: normalize(c) for c in canon_ids}
        for pid, source, pilot in zip(part["pilot_id"].tolist(), part["source"].tolist(), part["pilot"].tolist()):
            name = str(pilot)
            key = normalize(name)
            canonical = aliases.get(key) or canon.get(key)
            if canonical is None and open_:
                good = sorted(((score, c) for _, score, c in process.extract(
                    key, open_, scorer=token_set_ratio, score_cutoff=threshold, limit=None)), reverse=True)
                if len(good) > 1 and good[0][0] - good[1][0] < 3:
                    new_problems.append(problem(
                        "warning", "W110", source, f"pilot {name!r}",
                        f"ambiguous pilot name in {wave}: matches {good[0][1]!r} and {good[1][1]!r}; "
                        "kept apart - add an alias file to decide",
                    ))
                elif good:
                    canonical = good[0][1]
                    if normalize(canonical) != key:
                        new_problems.append(problem(
                            "info", "I111", source, f"pilot {name!r}",
                            f"taken as the same pilot as {canonical!r} (similarity {good[0][0]:.0f})",
                        ))
            canonical = canonical or name
            canon.setdefault(key, canonical)
            if canonical not in canon_ids:
                canon_ids[canonical] = _unique_id(pilot_id(canonical), used_ids)
                used_ids.add(canon_ids[canonical])
            ident = canon_ids[canonical]
            taken.setdefault(ident, source)  # a second source is a duplicate: see _drop_duplicates
            open_.pop(canonical, None)
            rename[(wave, source, pid)] = ident

    keys = list(zip(answers["wave"].tolist(), answers["source"].tolist(), answers["pilot_id"].tolist()))
    answers = answers.assign(pilot_id=[rename[k] for k in keys])
    answers, dup_problems = _drop_duplicates(answers)
    return Corpus(
        _complete(answers, template),
        _concat_problems(problems + [_problems_frame(new_problems + dup_problems)]),
        template,
    )


def _unique_id(ident: str, used: set[str]) -> str:
    if ident not in used:
        return ident
    n = 2
    while f"{ident}-{n}" in used:
        n += 1
    return f"{ident}-{n}"


def _drop_duplicates(answers: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Keep one source per pilot and wave; report the others."""
    problems: list[dict[str, str]] = []
    sources = answers.drop_duplicates(["wave", "pilot_id", "source"])
    several = sources.duplicated(["wave", "pilot_id"], keep=False)  # pilots read from more than one source
    keep: set[tuple[str, str, str]] = set(zip(*(sources.loc[~several, c].tolist() for c in ("wave", "pilot_id", "source"))))
    for (wave, pid), group in sources[several].groupby(["wave", "pilot_id"], sort=False):
        ordered = sorted(group["source"], key=lambda s: (not str(s).lower().endswith(".docx"), str(s)))
        first = ordered[0]
        keep.add((wave, pid, first))
        for other in ordered[1:]:
            same = _same_content(answers, wave, pid, first, other)
            if same:
                problems.append(problem("info", "I107", other, None,
                                        f"pilot {pid!r} ({wave}) also read from {first}; identical answers, merged"))
            else:
                problems.append(problem(
                    "error", "E107", other, None,
                    f"the same pilot {pid!r} appears twice in wave {wave}: in {first} and in {other}; "
                    f"kept {first}, skipped {other}",
                ))
    mask = [k in keep for k in zip(answers["wave"].tolist(), answers["pilot_id"].tolist(), answers["source"].tolist())]
    return answers[mask].reset_index(drop=True), problems


def _same_content(answers: pd.DataFrame, wave: str, pid: str, a: str, b: str) -> bool:
    def texts(source: str) -> dict[Any, str]:
        rows = answers[(answers["wave"] == wave) & (answers["pilot_id"] == pid) & (answers["source"] == source)]
        rows = rows[rows["question"].notna()]
        return {q: " ".join(t.split()) for q, t in zip(rows["question"], rows["answer"]) if t.strip()}

    return texts(a) == texts(b)


def _concat_problems(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else empty_problems()
