"""T0 against T1: which pilots gained or lost a code, totals then and now, status changes.

A pure function over the codings of a corpus that holds both waves (see
:func:`quickscan.corpus.combine`, or ``read_folder`` on a folder with ``T0`` and ``T1``):
pilot ids are the same across waves, so a pilot is compared with itself.

>>> from quickscan.ingest import read_folder
>>> from quickscan.coding import code_corpus
>>> corpus = read_folder("data/sample")
>>> result = compare_waves(code_corpus(corpus), corpus, family="basisset")
>>> result.only_after["pilot"].tolist()
['Netwerk Verward Gedrag Oudewater']
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .codebook import Codebook, Family, default_codebook
from .coding import present
from .matrices import _family, _family_codings, pilot_rows

__all__ = ["WaveComparison", "compare_waves", "CHANGE_COLUMNS", "TOTAL_COLUMNS", "STATUS_COLUMNS", "PILOT_COLUMNS"]

CHANGE_COLUMNS = ["nr", "pilot_id", "pilot", "code", "label", "status"]
TOTAL_COLUMNS = ["code", "label", "before", "after", "difference"]
STATUS_COLUMNS = ["nr", "pilot_id", "pilot", "before_code", "after_code", "before", "after"]
PILOT_COLUMNS = ["nr", "pilot_id", "pilot"]
GAINED, LOST, UNCHANGED = "gained", "lost", "unchanged"


@dataclass(frozen=True, eq=False)
class WaveComparison:
    """What changed in one family between two waves; every table is a DataFrame.

    Attributes
    ----------
    family, before, after : str
        The family id and the two waves compared.
    changes : DataFrame
        ``nr``, ``pilot_id``, ``pilot``, ``code``, ``label``, ``status``: one row per pilot
        present in both waves and code it has in at least one of them, in report and
        codebook order; ``status`` is ``"gained"`` (only after), ``"lost"`` (only before) or
        ``"unchanged"`` (in both).
    totals : DataFrame
        ``code``, ``label``, ``before``, ``after``, ``difference`` (after - before): the
        number of pilots with the code in each wave, all pilots of that wave counted (the
        ``Totaal`` rows of the two :func:`~quickscan.matrices.code_matrix` tables).
    status_changes : DataFrame
        ``nr``, ``pilot_id``, ``pilot``, ``before_code``, ``after_code``, ``before``,
        ``after`` (the Dutch labels): pilots in both waves whose code in the status family
        changed (a pilot that was implemented, or stopped). Empty when there is none.
    status_family : str or None
        The fact family of the status: the one coding the template's ``status_question``
        (``status`` for U16), or None when the template names none.
    only_before, only_after : DataFrame
        ``nr``, ``pilot_id``, ``pilot``: pilots present in one of the waves only.
    n_before, n_after : int
        The number of pilots in each wave.
    """

    family: str
    before: str
    after: str
    changes: pd.DataFrame
    totals: pd.DataFrame
    status_changes: pd.DataFrame
    only_before: pd.DataFrame
    only_after: pd.DataFrame
    n_before: int
    n_after: int
    status_family: str | None = None

    def __repr__(self) -> str:
        counts = self.changes["status"].value_counts()
        return (
            f"WaveComparison({self.family!r}, {self.before} -> {self.after}: {self.n_before} -> {self.n_after} pilots, "
            f"{counts.get(GAINED, 0)} gained, {counts.get(LOST, 0)} lost, {counts.get(UNCHANGED, 0)} unchanged, "
            f"{len(self.status_changes)} status change(s), {len(self.only_before)} pilot(s) only in {self.before}, "
            f"{len(self.only_after)} only in {self.after})"
        )


def compare_waves(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str | Family,
    before: str = "T0",
    after: str = "T1",
    codebook: Codebook | None = None,
    status_family: str | None = None,
) -> WaveComparison:
    """Compare the codes of one family between two waves, pilot by pilot.

    Parameters
    ----------
    codings : DataFrame
        Codings of both waves (:func:`~quickscan.coding.code_corpus`, after review if any);
        what counts is decided by :func:`~quickscan.coding.present`.
    corpus : Corpus
        The corpus holding both waves.
    family : str or Family
        The family compared (an id of ``codebook``).
    before, after : str
        The two waves.
    codebook : Codebook, optional
        Default: the bundled codebook.
    status_family : str, optional
        The fact family whose change is reported in ``status_changes``. Default: the fact
        family coding the template's ``status_question`` (none when it names none).

    Returns
    -------
    WaveComparison
        See its attributes for the columns of each table.

    Examples
    --------
    >>> from quickscan.ingest import read_folder
    >>> from quickscan.coding import code_corpus
    >>> corpus = read_folder("data/sample")
    >>> result = compare_waves(code_corpus(corpus), corpus, family="uitgangspunten")
    >>> list(result.totals.columns)
    ['code', 'label', 'before', 'after', 'difference']
    >>> sorted(set(result.changes["status"]))
    ['gained', 'lost', 'unchanged']
    >>> result.status_changes.query("pilot_id == 'schuldenpreventie-stichtse-vecht'")[["before", "after"]]
       before    after
    ... Pilot  Gestopt
    """
    codebook = codebook or default_codebook()
    fam = _family(codebook, family)
    status_family = status_family or corpus.template.status_family(codebook)
    rows_before, rows_after = pilot_rows(corpus, before), pilot_rows(corpus, after)
    both = rows_after[rows_after["pilot_id"].isin(rows_before["pilot_id"])].reset_index(drop=True)

    had = {wave: _pairs(_family_codings(codings, fam, wave), rows)
           for wave, rows in ((before, rows_before), (after, rows_after))}
    changes = []
    for pilot in both.itertuples():
        for code in fam.codes:
            was, now = (pilot.pilot_id, code.id) in had[before], (pilot.pilot_id, code.id) in had[after]
            if was or now:
                status = UNCHANGED if was and now else GAINED if now else LOST
                changes.append((pilot.nr, pilot.pilot_id, pilot.pilot, code.id, code.label, status))

    counts = {w: pd.Series([c for _, c in had[w]], dtype=object).value_counts() for w in (before, after)}
    totals = pd.DataFrame({
        "code": [c.id for c in fam.codes],
        "label": [c.label for c in fam.codes],
        "before": [int(counts[before].get(c.id, 0)) for c in fam.codes],
        "after": [int(counts[after].get(c.id, 0)) for c in fam.codes],
    }, columns=TOTAL_COLUMNS[:-1])
    totals["difference"] = totals["after"] - totals["before"]

    return WaveComparison(
        family=fam.id,
        before=before,
        after=after,
        changes=pd.DataFrame(changes, columns=CHANGE_COLUMNS),
        totals=totals,
        status_changes=_status_changes(codings, codebook, status_family, both, before, after),
        only_before=_only(rows_before, rows_after),
        only_after=_only(rows_after, rows_before),
        n_before=len(rows_before),
        n_after=len(rows_after),
        status_family=status_family,
    )


def _pairs(found: pd.DataFrame, rows: pd.DataFrame) -> set[tuple[str, str]]:
    """The (pilot_id, code) pairs of the pilots in ``rows``."""
    found = found[found["pilot_id"].isin(rows["pilot_id"])]
    return set(zip(found["pilot_id"].tolist(), found["code"].tolist()))


def _only(rows: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    return rows.loc[~rows["pilot_id"].isin(other["pilot_id"]), PILOT_COLUMNS].reset_index(drop=True)


def _status_changes(codings, codebook: Codebook, status_family: str | None, both: pd.DataFrame, before: str,
                    after: str) -> pd.DataFrame:
    fam = next((f for f in codebook.families if f.id == status_family), None)
    if fam is None:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    labels = {c.id: c.label for c in fam.codes}
    rank = {c.id: i for i, c in enumerate(fam.codes)}
    found = present(codings[codings["code"].isin(rank)])  # the status codings first: present() looks at these only
    found = found.assign(_rank=found["code"].map(rank)).sort_values("_rank", kind="stable")
    status = found.drop_duplicates(["pilot_id", "wave"]).set_index(["pilot_id", "wave"])["code"].to_dict()
    out = []
    for pilot in both.itertuples():
        was, now = status.get((pilot.pilot_id, before)), status.get((pilot.pilot_id, after))
        if was != now:
            out.append((pilot.nr, pilot.pilot_id, pilot.pilot, was, now, labels.get(was, ""), labels.get(now, "")))
    return pd.DataFrame(out, columns=STATUS_COLUMNS)
