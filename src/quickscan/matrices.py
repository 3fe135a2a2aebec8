"""Cross-pilot tables of the report: pilots x codes, per-code summaries, answers per block.

Pure functions over the codings DataFrame of :func:`quickscan.coding.code_corpus` and a
:class:`~quickscan.corpus.Corpus`; nothing here reads or writes files. What counts as a
code of a pilot is decided by :func:`quickscan.coding.present` (not negated, not rejected
by a researcher; an accepted or added coding always counts).

Pilots are rows in report order, numbered as in the report (``corpus.pilots.nr``, the same
number in every wave) and labelled ``"1. Gebiedsteam GGZ Houten"`` with the name the pilot
had when it first appeared, so that the T0 and T1 tables line up. Codes are columns in
codebook order, labelled with their Dutch labels. In a family with parent codes (the
themes) a parent counts for a pilot when the parent itself or one of its children is coded.

>>> count_phrase(12, 15, noun="pilots")
'12 van de 15 pilots'
>>> count_phrase(10, 15, noun="projecten", spelled=True, start=True)
'Tien van de vijftien projecten'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .codebook import Codebook, Family, default_codebook
from .coding import present
from .template import Block, Unit

__all__ = [
    "TOTAL",
    "code_matrix",
    "framework_matrix",
    "summarize_codes",
    "count_phrase",
    "spell_number",
    "answers_by_block",
    "pilot_rows",
]

TOTAL = "Totaal"
VALUES = ("x", "count", "quotes")
QUOTE_WORDS = (8, 40)  # a telling quote is a whole sentence of 8 to 40 words
QUOTE_AIM = 20  # ... preferably of about 20 words: one statement, not a paragraph

# -- pilots and codes ----------------------------------------------------------------------


def pilot_rows(corpus, wave: str | None = None, *, footnotes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The pilots of one wave in report order, with the label of their row in a table.

    Parameters
    ----------
    corpus : Corpus
    wave : str, optional
        The wave; may be left out when the corpus has only one.
    footnotes : dict, optional
        ``pilot_id -> mark`` (e.g. ``"*"``), appended to the label.

    Returns
    -------
    DataFrame
        One row per pilot present in the wave, in report order, with columns ``nr``
        (report number, the same in every wave), ``pilot_id``, ``pilot`` (the name the
        pilot had in the first wave it appears in) and ``label`` (``"1. <pilot><mark>"``).

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> corpus = read_folder("data/sample")
    >>> pilot_rows(corpus, "T1", footnotes={"buurtcirkel-zeist": "*"})["label"].tolist()[1:3]
    ['2. Housing First Nieuwegein', '3. Buurtcirkel Zeist*']
    """
    wave = _one_wave(corpus, wave)
    pilots = corpus.pilots
    names: dict[str, str] = {}
    for pid, name in zip(pilots["pilot_id"].tolist(), pilots["pilot"].tolist()):
        names.setdefault(pid, name)  # the name of its first wave
    rows = pilots.loc[pilots["wave"] == wave, ["nr", "pilot_id"]].sort_values("nr", kind="stable")
    rows = rows.reset_index(drop=True)
    ids = rows["pilot_id"].tolist()
    rows["pilot"] = [names[pid] for pid in ids]
    marks = dict(footnotes or {})
    rows["label"] = [f"{nr}. {names[pid]}{marks.get(pid, '')}" for nr, pid in zip(rows["nr"].tolist(), ids)]
    return rows


def _one_wave(corpus, wave: str | None) -> str:
    waves = corpus.waves
    if wave is None:
        if len(waves) != 1:
            raise ValueError(f"the corpus has the waves {list(waves)}; pass wave=")
        return waves[0]
    if wave not in waves:
        raise ValueError(f"no wave {wave!r} in the corpus; waves: {list(waves)}")
    return wave


def _family(codebook: Codebook | None, family: str | Family) -> Family:
    if isinstance(family, Family):
        return family
    return (codebook or default_codebook()).family(family)


def _family_codings(codings: pd.DataFrame, family: Family, wave: str) -> pd.DataFrame:
    """The present codings of one family and wave; a child's coding also counts for its parent."""
    ids = {c.id for c in family.codes}
    # the family and wave first: present() then looks at a table's codings only, not at all of them
    found = present(codings[(codings["wave"] == wave) & codings["code"].isin(ids)])
    parents = {c.id: c.parent for c in family.codes if c.parent in ids}
    rolled = found[found["code"].isin(parents)]
    if not rolled.empty:
        found = pd.concat([found, rolled.assign(code=rolled["code"].map(parents))], ignore_index=True)
    return found.reset_index(drop=True)


def _family_part(codings: pd.DataFrame, family: Family) -> pd.DataFrame:
    """The codings of one family's codes: what its tables look at. Computed once, it spares every
    table of the family (each wave, each writer) a search through all codings."""
    return codings[codings["code"].isin({c.id for c in family.codes})]


def _quotes(evidence: Iterable) -> str:
    """The distinct evidence sentences, in order, one per line."""
    return "\n".join(dict.fromkeys(e for e in evidence if isinstance(e, str) and e.strip()))


# -- matrices --------------------------------------------------------------------------------


def code_matrix(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str | Family,
    wave: str | None = None,
    values: str = "x",
    codebook: Codebook | None = None,
    footnotes: Mapping[str, str] | None = None,
    total: bool = True,
) -> pd.DataFrame:
    """The pilots x codes table of one family in one wave, as in the report.

    Parameters
    ----------
    codings : DataFrame
        Codings as returned by :func:`~quickscan.coding.code_corpus` (after review, if any).
    corpus : Corpus
        The corpus that was coded: gives the pilots, their numbers and names.
    family : str or Family
        The family whose codes are the columns (an id of ``codebook``).
    wave : str, optional
        The wave; may be left out when the corpus has only one.
    values : {"x", "count", "quotes"}
        What a cell holds: ``"X"`` or ``""``; the number of codings (sentences); or the
        distinct evidence sentences, one per line.
    codebook : Codebook, optional
        Default: the bundled codebook.
    footnotes : dict, optional
        ``pilot_id -> mark`` appended to the row label (``"3. Buurtcirkel Zeist*"``).
    total : bool
        Add the ``Totaal`` row.

    Returns
    -------
    DataFrame
        Index ``Pilot``: one row per pilot of the wave in report order (``"1. <pilot>"``),
        also pilots without any code, then the row ``Totaal`` with the number of pilots
        that have the code. Columns: the family's codes in codebook order, named by their
        Dutch labels.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample")
    >>> codings = code_corpus(corpus)
    >>> m = code_matrix(codings, corpus, family="basisset", wave="T0")
    >>> m.shape
    (16, 15)
    >>> m.index[0], m.index[-1], m.columns[0]
    ('1. Gebiedsteam GGZ Houten', 'Totaal', 'Aanpak dakloosheid')
    >>> set(m.iloc[:-1].stack())
    {...'X'...}
    """
    if values not in VALUES:
        raise ValueError(f"values must be one of {VALUES}, not {values!r}")
    wave = _one_wave(corpus, wave)
    fam = _family(codebook, family)
    rows = pilot_rows(corpus, wave, footnotes=footnotes)
    found = _family_codings(codings, fam, wave)
    found = found[found["pilot_id"].isin(rows["pilot_id"])]
    codes, ids = [c.id for c in fam.codes], rows["pilot_id"].tolist()
    pairs = list(zip(found["pilot_id"].tolist(), found["code"].tolist()))
    # cells as lists: a groupby and unstack took most of the time of a table, for a few thousand cells
    if values == "quotes":
        cells: dict = {}
        for pair, evidence in zip(pairs, found["evidence"].tolist()):
            cells.setdefault(pair, []).append(evidence)
        data = [[_quotes(cells[pid, code]) if (pid, code) in cells else "" for code in codes] for pid in ids]
    else:
        counts = Counter(pairs)
        data = [[counts.get((pid, code), 0) for code in codes] for pid in ids]
        if values == "x":
            data = [["X" if n else "" for n in row] for row in data]
    labels = rows["label"].tolist()
    if total:
        have = Counter(code for _, code in set(pairs))
        data.append([have.get(code, 0) for code in codes])
        labels.append(TOTAL)
    columns = pd.Index([c.label for c in fam.codes], name=fam.label)
    index = pd.Index(labels, name=_unit_header(corpus))
    if values == "count" and not total:
        return pd.DataFrame(data, index=index, columns=columns, dtype="int64")
    return pd.DataFrame(data, index=index, columns=columns, dtype=object)


def framework_matrix(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str | Family,
    wave: str | None = None,
    codebook: Codebook | None = None,
    footnotes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The pilots x codes grid with the evidence sentences in the cells (framework method).

    The same rows and columns as :func:`code_matrix`, without the ``Totaal`` row; a cell
    holds the distinct sentences that gave the code, one per line, or ``""``.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample")
    >>> f = framework_matrix(code_corpus(corpus), corpus, family="basisset", wave="T1")
    >>> f.shape
    (16, 15)
    >>> f.loc["1. Gebiedsteam GGZ Houten", "Wonen"].splitlines()[0]
    'Nog steeds vooral het thema ... wonen.'
    >>> f.loc["2. Housing First Nieuwegein", "Time-out voorziening"]
    ''
    """
    return code_matrix(codings, corpus, family=family, wave=wave, values="quotes", codebook=codebook,
                       footnotes=footnotes, total=False)


def summarize_codes(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str | Family,
    wave: str | None = None,
    codebook: Codebook | None = None,
    noun: str | None = None,
    spelled: bool = False,
) -> pd.DataFrame:
    """Per code: how many pilots mention it, which, and the most telling quote.

    The quote is a sentence that really states the code: first one a researcher accepted
    or added in review; never a list of names (:func:`quickscan.confidence.looks_like_list`)
    while another sentence is left; then one from the code's own question(s) (``expected``
    in the codebook), then one that gives the fewest other codes of the family (it
    states this code, it does not sum up the codebook), of 8 to 40 words, from the pilot
    whose cell is most confident (:func:`quickscan.confidence.cell_confidence`), nearest
    to 20 words (a short quote says too little, a long one is a paragraph rather than an
    utterance); the first in report order on a tie.

    Returns
    -------
    DataFrame
        One row per code of the family, in codebook order, with columns ``code`` (id),
        ``label``, ``n_pilots`` (pilots of the wave that have the code), ``n_total``
        (pilots in the wave), ``pilots`` (their names in report order, joined with
        ``"; "``), ``quote`` (``""`` when no pilot has the code), ``quote_pilot`` (the name
        of the pilot quoted) and ``phrase`` (:func:`count_phrase` of the two numbers).

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample")
    >>> s = summarize_codes(code_corpus(corpus), corpus, family="basisset", wave="T0")
    >>> list(s.columns)
    ['code', 'label', 'n_pilots', 'n_total', 'pilots', 'quote', 'quote_pilot', 'phrase']
    >>> s.set_index("code").loc["wonen", "phrase"]
    '... van de 15 pilots'
    """
    wave = _one_wave(corpus, wave)
    fam = _family(codebook, family)
    rows = pilot_rows(corpus, wave)
    order = dict(zip(rows["pilot_id"], range(len(rows))))
    names = dict(zip(rows["pilot_id"], rows["pilot"]))
    found = _family_codings(codings, fam, wave)
    found = found[found["pilot_id"].isin(order)]
    found = found.assign(_order=found["pilot_id"].map(order)).sort_values("_order", kind="stable")
    # sentence -> how many codes of the family it gives: a sentence that names one code states it
    crowded = found.drop_duplicates(["pilot_id", "evidence", "code"])["evidence"].value_counts().to_dict()
    pilots: dict[str, dict[str, None]] = {code.id: {} for code in fam.codes}  # code -> its pilots in report order
    quotes = _telling_quotes(found, fam, codebook=codebook, crowded=crowded)
    for pid, code in zip(found["pilot_id"].tolist(), found["code"].tolist()):
        pilots[code][pid] = None
    out = []
    for code in fam.codes:
        quote, quote_pilot = quotes.get(code.id, ("", ""))
        n = len(pilots[code.id])
        out.append({
            "code": code.id,
            "label": code.label,
            "n_pilots": n,
            "n_total": len(rows),
            "pilots": "; ".join(names[p] for p in pilots[code.id]),
            "quote": quote,
            "quote_pilot": names.get(quote_pilot, ""),
            "phrase": count_phrase(n, len(rows), noun=noun or corpus.template.unit.plural, spelled=spelled),
        })
    return pd.DataFrame(out, columns=["code", "label", "n_pilots", "n_total", "pilots", "quote", "quote_pilot",
                                      "phrase"])


def _confidence(found: pd.DataFrame, codebook: Codebook | None) -> dict[tuple[str, str], float]:
    """(pilot_id, code) -> the confidence of the cell (see :mod:`quickscan.confidence`)."""
    from .confidence import cell_confidence

    if found.empty:
        return {}
    cells = cell_confidence(found, codebook=codebook or default_codebook())
    return dict(zip(zip(cells["pilot_id"], cells["code"]), cells["confidence"]))


def _telling_quotes(codings: pd.DataFrame, family: Family, *, codebook: Codebook | None = None, crowded=None
                    ) -> dict[str, tuple[str, str]]:
    """code -> (sentence, pilot_id) of its most telling quote (see :func:`summarize_codes`),
    for the codes of ``family`` that have one; the first on a tie, in the order of ``codings``.

    The confidence of a cell only breaks ties between the best sentences on the other
    grounds, so it is computed for the cells of those sentences only."""
    from .confidence import _questions, looks_like_list

    low, high = QUOTE_WORDS
    crowded = crowded or {}
    own = {c.id: set(c.expected or c.questions or family.questions) for c in family.codes}
    n = len(codings)
    decisions = codings["decision"].tolist() if "decision" in codings else [None] * n
    sentence: dict[str, tuple] = {}  # evidence -> what its score owes to the sentence (a sentence gives several codes)
    best: dict[str, tuple] = {}  # code -> the best score without the confidence
    ties: dict[str, list[tuple[int, str, str]]] = {}  # code -> (length, sentence, pilot) of the rows with that score
    for evidence, negated, pilot, q, code, decision in zip(
        codings["evidence"].tolist(), codings["negated"].tolist(), codings["pilot_id"].tolist(), _questions(codings),
        codings["code"].tolist(), decisions
    ):
        if negated or not isinstance(evidence, str) or not evidence.strip():  # a denial is no quote
            continue
        known = sentence.get(evidence)
        if known is None:
            words = len(evidence.split())
            # within 8-40 words: nearest to QUOTE_AIM; outside: nearest to the window
            length = (1, -abs(words - QUOTE_AIM)) if low <= words <= high else (
                0, -(low - words if words < low else words - high))
            known = sentence[evidence] = (not looks_like_list(evidence), -crowded.get(evidence, 1), *length,
                                          evidence.strip())
        reviewed = isinstance(decision, str) and decision in ("accepted", "added")
        score = (reviewed, known[0], q in own.get(code, ()), known[1], known[2])
        top = best.get(code)
        if top is None or score > top:
            best[code], ties[code] = score, [(known[3], known[4], pilot)]
        elif score == top:
            ties[code].append((known[3], known[4], pilot))
    cells = {(pilot, code) for code, rows in ties.items() if len(rows) > 1 for _, _, pilot in rows}
    confidence = _confidence(codings[[cell in cells for cell in zip(codings["pilot_id"].tolist(),
                                                                    codings["code"].tolist())]], codebook) if cells else {}
    out = {}
    for code, rows in ties.items():
        chosen = max(rows, key=lambda r: (round(float(confidence.get((r[2], code), 0.0)), 1), r[0]))  # the first max
        out[code] = (chosen[1], chosen[2])
    return out


# -- numbers in Dutch ------------------------------------------------------------------------

_UNITS = ("nul", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf", "twaalf",
          "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien", "negentien")
_TENS = {2: "twintig", 3: "dertig", 4: "veertig", 5: "vijftig", 6: "zestig", 7: "zeventig", 8: "tachtig",
         9: "negentig"}


def spell_number(n: int) -> str:
    """A number from 0 to 100 written out in Dutch.

    ``één`` carries its accents (it is the number, not the article); in compounds the
    linking ``en`` becomes ``ën`` after a vowel: ``tweeëntwintig``, ``drieëndertig``.

    Examples
    --------
    >>> [spell_number(n) for n in (1, 21, 22, 23, 48, 100)]
    ['één', 'eenentwintig', 'tweeëntwintig', 'drieëntwintig', 'achtenveertig', 'honderd']
    """
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 100:
        raise ValueError(f"can only spell the whole numbers 0 to 100, not {n!r}")
    if n < 20:
        return _UNITS[n]
    if n == 100:
        return "honderd"
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _TENS[tens]
    first = "een" if unit == 1 else _UNITS[unit]
    return first + ("ën" if first.endswith("e") else "en") + _TENS[tens]


def count_phrase(
    n: int,
    total: int,
    *,
    noun: str = Unit().plural,
    spelled: bool = False,
    start: bool = False,
    approx: bool = False,
) -> str:
    """``n`` out of ``total`` in Dutch report style: ``"12 van de 15 pilots"``.

    Parameters
    ----------
    n, total : int
        The count and the number it is out of (``0 <= n <= total``).
    noun : str
        The plural noun: ``"pilots"``, ``"projecten"`` (the template's ``unit``; default
        the template default ``"casussen"``).
    spelled : bool
        Write the numbers as words (0 to 100; larger numbers stay digits).
    start : bool
        Begin with a capital, for the start of a sentence (report style spells a number
        there out: combine with ``spelled=True``).
    approx : bool
        Say ``"nagenoeg alle pilots"`` when all but one, or at least 90%, have it (with
        five or more in total); otherwise the exact phrase.

    Examples
    --------
    >>> count_phrase(12, 15, noun="pilots")
    '12 van de 15 pilots'
    >>> count_phrase(12, 15, noun="pilots", spelled=True)
    'twaalf van de vijftien pilots'
    >>> count_phrase(15, 15), count_phrase(0, 15, start=True)
    ('alle 15 casussen', 'Geen van de 15 casussen')
    >>> count_phrase(14, 15, noun="projecten", approx=True, start=True)
    'Nagenoeg alle projecten'
    """
    if total < 0 or not 0 <= n <= total:
        raise ValueError(f"expected 0 <= n <= total, got n={n}, total={total}")

    def number(k: int) -> str:
        return spell_number(k) if spelled and k <= 100 else str(k)

    if total > 0 and n == total:
        text = f"alle {number(total)} {noun}"
    elif n == 0:
        text = f"geen van de {number(total)} {noun}"
    elif approx and total >= 5 and (n == total - 1 or n >= 0.9 * total):
        text = f"nagenoeg alle {noun}"
    else:
        text = f"{number(n)} van de {number(total)} {noun}"
    return _capitalize(text) if start else text


def _capitalize(text: str) -> str:
    if text.startswith("één"):
        return "Eén" + text[3:]  # Taalunie: the accent moves to the second e
    return text[:1].upper() + text[1:]


# -- answers for reading ---------------------------------------------------------------------


def answers_by_block(
    corpus,
    block: str | Block,
    *,
    wave: str | None = None,
    include_personal: bool = False,
) -> pd.DataFrame:
    """All answers to the questions of an analysis block, pilots side by side.

    Parameters
    ----------
    corpus : Corpus
    block : str or Block
        The block's id or label (``"blok1"``, ``"Blok 1"``) in the corpus template.
    wave : str, optional
        The wave; may be left out when the corpus has only one.
    include_personal : bool
        Keep the template's personal questions (contact persons). Left out by default.

    Returns
    -------
    DataFrame
        Index ``Vraag``: the block's questions and its context questions in question
        order, labelled ``"9. Doel"``. Columns: the pilots of the wave in report order
        (``"1. <pilot>"``). Cells: the answers (``""`` when none).

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> corpus = read_folder("data/sample")
    >>> table = answers_by_block(corpus, "Blok 1", wave="T0")
    >>> table.index.tolist()
    ['5. Status', '6. Bereik', '8. Doelgroep', '9. Doel', '10. Aansluiting Regionale Koers']
    >>> table.columns[0], table.shape
    ('1. Gebiedsteam GGZ Houten', (5, 15))
    """
    wave = _one_wave(corpus, wave)
    template = corpus.template
    if not isinstance(block, Block):
        block = template.block(block)
    personal = set(template.personal_questions)
    numbers = sorted(q for q in {*block.questions, *block.context} if include_personal or q not in personal)
    rows = pilot_rows(corpus, wave)
    a = corpus.answers
    a = a[(a["wave"] == wave) & a["question"].isin(numbers)]
    table = a.pivot_table(index="question", columns="pilot_id", values="answer", aggfunc="\n\n".join)
    table = table.reindex(index=numbers, columns=rows["pilot_id"]).fillna("")
    table.index = pd.Index([f"{q}. {template.question(q).label}" for q in numbers], name="Vraag")
    table.columns = pd.Index(rows["label"].tolist(), name=_unit_header(corpus))
    return table


def _unit_header(corpus) -> str:
    """The header of the column of names: the template's unit, capitalised (``"Pilot"``)."""
    singular = corpus.template.unit.singular
    return singular[:1].upper() + singular[1:]

