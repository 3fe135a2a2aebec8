"""Inter-coder agreement: do two or more researchers code the same forms the same way?

Each researcher codes the same forms (a review sheet applied to the rule codings, or
codings of their own); :func:`stack_coders` puts their codings in one frame with a
``coder`` column, :func:`agreement` gives per code (and pooled over all codes) the percent
agreement, Cohen's kappa and Krippendorff's alpha, and :func:`disagreements` lists the
cases to discuss, with the evidence sentences.

Reliability data
----------------
A *unit* is what the coders judge; the value of a coder for a unit and a code is 1 (the
coder coded it), 0 (the coder judged the unit but did not code it) or missing (the coder
did not judge the unit at all).

``level="pilot"``
    unit = (pilot_id, wave). A coder judged the unit when they have any coding row for
    that pilot and wave (also a negated or rejected one: they read the form and decided),
    or when ``units`` says so.
``level="segment"``
    unit = a sentence: (pilot_id, wave, question, the evidence folded with
    :func:`quickscan.coding.fold`). The sentences are those that any coder coded with any
    code (of ``family``, when given); sentences nobody coded are not units. A coder judged
    the sentence when they judged its pilot and wave.

The statistics
--------------
All three are computed by the small numpy functions of this module (checked against
scikit-learn and the ``krippendorff`` package in the tests):

* :func:`percent_agreement`: agreeing pairs of coders over all pairs, pooled over units,
  in percent (for two coders: the share of units on which they agree).
* :func:`cohen_kappa`: two coders only; units one of them did not judge are left out.
* :func:`krippendorff_alpha`: nominal, coincidence-matrix formulation, any number of
  coders, missing values allowed (Krippendorff 2011, "Computing Krippendorff's
  Alpha-Reliability").

The overall row (``code`` ``"(alle codes)"``) pools all code x unit decisions into one
reliability matrix (the standard way to report one figure for a codebook), it is not a
mean of the per-code values.

Undefined values are never silent. When only one value occurs (all coders always agree
that a code is absent, say), the expected disagreement is 0 and kappa and alpha are 0/0:
the data have no variation and say nothing about reliability. Krippendorff calls alpha
undefined then, and the ``krippendorff`` package raises an error; we report NaN with a
``note`` saying so (percent agreement is then 100). A code without any unit judged by two
coders gets NaN everywhere, with a note. Cohen's kappa is NaN with a note when there are
not exactly two coders. Fewer than two coders in all is a ``ValueError``.

>>> import pandas as pd
>>> rows = lambda coder, codes: pd.DataFrame({"pilot_id": [p for p, _ in codes], "wave": "T0",
...     "question": 9, "code": [c for _, c in codes], "evidence": "Zin.", "negated": False})
>>> a = rows("A", [("p1", "wonen"), ("p2", "wonen"), ("p3", "werk")])
>>> b = rows("B", [("p1", "wonen"), ("p2", "werk"), ("p3", "werk")])
>>> table = agreement({"A": a, "B": b})
>>> table[["code", "n_units", "percent_agreement", "cohen_kappa"]]
           code  n_units  percent_agreement  cohen_kappa
0         wonen        3          66.666667     0.400000
1          werk        3          66.666667     0.400000
2  (alle codes)        6          66.666667     0.333333
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .coding import fold, present

__all__ = [
    "ALL_CODES",
    "AGREEMENT_COLUMNS",
    "DISAGREEMENT_COLUMNS",
    "stack_coders",
    "reliability_data",
    "agreement",
    "disagreements",
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
]

ALL_CODES = "(alle codes)"
AGREEMENT_COLUMNS = [
    "code", "label", "family", "n_units", "n_coders", "n_present",
    "percent_agreement", "cohen_kappa", "krippendorff_alpha", "note",
]
DISAGREEMENT_COLUMNS = [
    "pilot_id", "wave", "question", "code", "label", "coded_by", "not_coded_by", "evidence",
]
LEVELS = ("pilot", "segment")
_PILOT_KEY = ["pilot_id", "wave"]
_SEGMENT_KEY = ["pilot_id", "wave", "question", "sentence"]


# -- the statistics ----------------------------------------------------------------------------


def _matrix(data: Any) -> tuple[np.ndarray, int]:
    """Reliability data (coders x units, missing as NaN/None) as value indices, -1 missing."""
    frame = pd.DataFrame(data)
    if frame.ndim != 2 or frame.shape[0] == 0:
        raise ValueError("reliability data must be a non-empty coders x units matrix")
    values = frame.to_numpy(dtype=object)
    missing = pd.isna(values)
    codes, uniques = pd.factorize(pd.Series(values[~missing], dtype=object), sort=True)
    index = np.full(values.shape, -1, dtype=np.int64)
    index[~missing] = codes
    return index, len(uniques)


def _unit_counts(data: Any) -> np.ndarray:
    """units x values: how many coders gave each value to each unit (pairable units only)."""
    index, n_values = _matrix(data)
    counts = np.zeros((index.shape[1], max(n_values, 1)), dtype=float)
    coder, unit = np.nonzero(index >= 0)
    np.add.at(counts, (unit, index[coder, unit]), 1)
    return counts[counts.sum(axis=1) >= 2]


def percent_agreement(data: Any) -> float:
    """Percent agreement of a coders x units matrix: agreeing pairs over all pairs, pooled over units.

    Missing values (NaN, None) are left out; units with fewer than two values do not count.
    With two coders this is the percentage of the units both judged on which they agree.

    Raises ValueError when no unit has two values.

    >>> percent_agreement([[1, 0, 1, 1], [1, 1, 1, None]])
    66.66666666666667
    """
    counts = _unit_counts(data)
    if counts.size == 0 or not len(counts):
        raise ValueError("no unit was judged by two or more coders")
    pairs = counts.sum(axis=1) * (counts.sum(axis=1) - 1) / 2
    agree = (counts * (counts - 1) / 2).sum(axis=1)
    return float(100 * agree.sum() / pairs.sum())


def cohen_kappa(a: Sequence[Any], b: Sequence[Any], *, undefined: float = math.nan) -> float:
    """Cohen's kappa of two coders' labels for the same units.

    Pairs in which either label is missing (NaN, None) are left out. When only one label
    occurs the chance agreement is 1 and kappa is 0/0: ``undefined`` is returned (NaN
    unless you choose otherwise). Raises ValueError for sequences of different length or
    without any complete pair.

    >>> a = ["ja"] * 25 + ["nee"] * 25          # Wikipedia's example: 20 / 5 / 10 / 15
    >>> b = ["ja"] * 20 + ["nee"] * 5 + ["ja"] * 10 + ["nee"] * 15
    >>> round(cohen_kappa(a, b), 10)
    0.4
    """
    if len(a) != len(b):
        raise ValueError(f"the two coders judged a different number of units ({len(a)} and {len(b)})")
    index, n_values = _matrix([list(a), list(b)])
    both = (index >= 0).all(axis=0)
    x, y = index[0, both], index[1, both]
    n = len(x)
    if n == 0:
        raise ValueError("no unit was judged by both coders")
    table = np.zeros((n_values, n_values))
    np.add.at(table, (x, y), 1)
    observed = np.trace(table) / n
    expected = float((table.sum(axis=1) / n) @ (table.sum(axis=0) / n))
    if math.isclose(expected, 1.0):
        return undefined
    return float((observed - expected) / (1 - expected))


def krippendorff_alpha(data: Any, *, undefined: float = math.nan) -> float:
    """Krippendorff's alpha (nominal) of a coders x units matrix with missing values (NaN, None).

    Coincidence-matrix formulation (Krippendorff 2011): alpha = 1 - D_o / D_e over the
    pairable values (units with at least two values). When only one value occurs, D_e is 0
    and alpha is undefined: ``undefined`` is returned (NaN unless you choose otherwise).
    Raises ValueError when no unit has two values.

    >>> nan = float("nan")   # Krippendorff (2011), 4 coders x 12 units, nominal
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(krippendorff_alpha(data), 3)
    0.743
    """
    counts = _unit_counts(data)
    if counts.size == 0 or not len(counts):
        raise ValueError("no unit was judged by two or more coders: alpha needs pairable values")
    m = counts.sum(axis=1)
    weighted = counts / (m - 1)[:, None]
    coincidence = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    observed = coincidence.sum() - np.trace(coincidence)
    expected = (n_c.sum() ** 2 - (n_c**2).sum()) / (n - 1)
    if expected <= 0:
        return undefined
    return float(1 - observed / expected)


# -- from codings to reliability data ---------------------------------------------------------


def _coder_frames(codings_by_coder: Mapping[str, pd.DataFrame] | pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(coder, all of their codings) in the order given, with the required columns checked."""
    if isinstance(codings_by_coder, pd.DataFrame):
        if "coder" not in codings_by_coder.columns:
            raise ValueError("one codings frame needs a 'coder' column; or pass {coder: codings}")
        frames = [(str(c), part) for c, part in codings_by_coder.groupby("coder", sort=False)]
    else:
        frames = [(str(c), frame) for c, frame in codings_by_coder.items()]
    frames = [(coder, _from_decisions(frame)) for coder, frame in frames]
    for coder, frame in frames:
        missing = {"pilot_id", "wave", "code"} - set(frame.columns)
        if missing:
            raise ValueError(f"codings of coder {coder!r} lack column(s) {sorted(missing)}")
    return frames


_DECIDED = {"accept": "accepted", "add": "added", "rule": "accepted by rule", "reject": "rejected"}


def _from_decisions(frame: pd.DataFrame) -> pd.DataFrame:
    """A reviewer's decisions (:func:`quickscan.review.read_review_sheet`) as codings: accept,
    add and rule count as coded, reject as judged but not coded; other frames pass unchanged."""
    if "unit" not in frame.columns or "decision" not in frame.columns or frame.empty:
        return frame
    if not frame["decision"].isin(list(_DECIDED)).all():
        return frame
    evidence = frame["evidence"].fillna("").astype(str) if "evidence" in frame else ""
    return frame.assign(decision=frame["decision"].map(_DECIDED), negated=False, evidence=evidence)


def _stack(frames: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    if not frames:
        raise ValueError("no coders given")
    parts = []
    for coder, frame in frames:
        negated = frame["negated"].fillna(False).astype(bool) if "negated" in frame else False
        parts.append(present(frame.assign(negated=negated)).assign(coder=coder))
    stacked = pd.concat(parts, ignore_index=True)
    for col in ("question", "evidence", "family"):
        if col not in stacked:
            stacked[col] = pd.NA if col == "question" else ""
    stacked["evidence"] = stacked["evidence"].fillna("").astype(str)
    stacked["question"] = stacked["question"].astype("Int64")
    first = ["coder", "pilot_id", "wave", "question", "code", "family", "evidence"]
    return stacked[first + [c for c in stacked.columns if c not in first]].reset_index(drop=True)


def stack_coders(codings_by_coder: Mapping[str, pd.DataFrame] | pd.DataFrame) -> pd.DataFrame:
    """The codings of several coders in one frame with a ``coder`` column, only what counts as present.

    Kept per coder: what :func:`quickscan.coding.present` counts (not negated and not
    rejected; an accepted or added coding counts even when negated). Accepts a mapping
    ``coder -> codings`` (e.g. each coder's review applied with
    :func:`quickscan.review.apply_review`) or one frame that already has a ``coder`` column.
    A coder's frame may also be their decisions as :func:`quickscan.review.read_review_sheet`
    reads them: ``accept``, ``add`` and ``rule`` (left to the rule) count as coded,
    ``reject`` as judged and not coded; a cell the reviewer left blank is not coded by them.

    >>> import pandas as pd
    >>> c = pd.DataFrame({"pilot_id": ["p1", "p1"], "wave": "T0", "question": 9,
    ...     "code": ["wonen", "werk"], "evidence": "Zin.", "negated": [False, True]})
    >>> stack_coders({"Anna": c, "Bas": c})[["coder", "code"]].values.tolist()
    [['Anna', 'wonen'], ['Bas', 'wonen']]
    """
    return _stack(_coder_frames(codings_by_coder))


def _prepare(
    codings: Mapping[str, pd.DataFrame] | pd.DataFrame, units: pd.DataFrame | None
) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """(stacked present codings with their folded sentence, coders, judged forms).

    A coder judged a form (coder, pilot_id, wave) when they have any coding row for it,
    also a negated or rejected one (they read the form and decided), or ``units`` says so.
    """
    frames = _coder_frames(codings)
    stacked = _stack(frames)
    stacked = stacked.assign(sentence=stacked["evidence"].map(fold))
    judged = [frame[["pilot_id", "wave"]].assign(coder=coder) for coder, frame in frames]
    if units is not None:
        missing = {"coder", "pilot_id", "wave"} - set(units.columns)
        if missing:
            raise ValueError(f"units needs columns coder, pilot_id and wave; missing {sorted(missing)}")
        judged.append(units[["coder", "pilot_id", "wave"]].astype({"coder": str}))
    forms = pd.concat(judged, ignore_index=True)[["coder", "pilot_id", "wave"]].drop_duplicates()
    coders = list(dict.fromkeys([c for c, _ in frames] + forms["coder"].tolist()))
    return stacked, coders, forms.reset_index(drop=True)


def reliability_data(
    codings: Mapping[str, pd.DataFrame] | pd.DataFrame,
    code: str,
    *,
    level: str = "pilot",
    family: str | None = None,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The coders x units matrix of one code: 1 coded, 0 judged but not coded, NaN not judged.

    Columns are the units (see the module docstring), rows the coders in order of appearance.

    >>> import pandas as pd
    >>> a = pd.DataFrame({"pilot_id": ["p1", "p2"], "wave": "T0", "code": ["wonen", "werk"]})
    >>> b = pd.DataFrame({"pilot_id": ["p1"], "wave": "T0", "code": ["werk"]})
    >>> reliability_data({"A": a, "B": b}, "wonen")   # doctest: +NORMALIZE_WHITESPACE
    pilot_id   p1   p2
    wave       T0   T0
    A         1.0  0.0
    B         0.0  NaN
    """
    _check_level(level)
    stacked, coders, judged = _prepare(codings, units)
    return _reliability(stacked, [code], level=level, family=family, judged=judged, coders=coders)[code]


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")


def _unit_frame(stacked: pd.DataFrame, level: str, family: str | None) -> pd.DataFrame:
    """The units (as key columns) of the reliability data."""
    if level == "pilot":
        return stacked[_PILOT_KEY].drop_duplicates()
    scope = stacked if family is None else stacked[stacked["family"] == family]
    return scope.assign(question=scope["question"].fillna(-1))[_SEGMENT_KEY].drop_duplicates()


def _reliability(
    stacked: pd.DataFrame,
    codes: Iterable[str],
    *,
    level: str,
    family: str | None,
    judged: pd.DataFrame,
    coders: list[str],
) -> dict[str, pd.DataFrame]:
    unit_frame = _unit_frame(stacked, level, family)
    if level == "pilot":
        unit_frame = pd.concat([unit_frame, judged[_PILOT_KEY]]).drop_duplicates()
    unit_frame = unit_frame.sort_values(list(unit_frame.columns), kind="stable")
    index = pd.MultiIndex.from_frame(unit_frame)
    key = _PILOT_KEY if level == "pilot" else _SEGMENT_KEY
    # judged mask: coders x units
    judged_set = set(zip(judged["coder"], judged["pilot_id"], judged["wave"]))
    mask = np.array([[(c, p, w) in judged_set for p, w in zip(unit_frame["pilot_id"], unit_frame["wave"])]
                     for c in coders], dtype=bool).reshape(len(coders), len(unit_frame))
    rows = stacked.assign(question=stacked["question"].fillna(-1)) if level == "segment" else stacked
    position = {k: i for i, k in enumerate(index)}
    coder_pos = {c: i for i, c in enumerate(coders)}
    out = {}
    for code in codes:
        values = np.where(mask, 0.0, np.nan)
        hits = rows[rows["code"] == code]
        for c, k in zip(hits["coder"], hits[key].itertuples(index=False, name=None)):
            i = position.get(k if len(key) > 1 else k[0])
            if i is not None:
                values[coder_pos[c], i] = 1.0
        out[code] = pd.DataFrame(values, index=pd.Index(coders, name="coder"), columns=index).rename_axis(
            index=None)
    return out


def _labels(codebook) -> tuple[dict[str, str], dict[str, str], list[str]]:
    if codebook is None:
        from .codebook import default_codebook

        codebook = default_codebook()
    codes = list(codebook.codes)
    return {c.id: c.label for c in codes}, {c.id: c.family for c in codes}, [c.id for c in codes]


def _select_codes(stacked, family, codes, order) -> list[str]:
    if codes is not None:
        return list(dict.fromkeys(codes))
    scope = stacked if family is None else stacked[stacked["family"] == family]
    found = set(scope["code"])
    rank = {c: i for i, c in enumerate(order)}
    return sorted(found, key=lambda c: (rank.get(c, len(rank)), c))


def agreement(
    codings: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    level: str = "pilot",
    family: str | None = None,
    codes: Iterable[str] | None = None,
    units: pd.DataFrame | None = None,
    codebook=None,
) -> pd.DataFrame:
    """Agreement between coders per code, and pooled over all codes.

    Parameters
    ----------
    codings : {coder: codings} or a frame with a ``coder`` column (see :func:`stack_coders`)
    level : ``"pilot"`` or ``"segment"``
        What a unit is (see the module docstring).
    family : str, optional
        Only the codes of this family (by the ``family`` column of the codings).
    codes : list of str, optional
        These codes, in this order (also codes nobody used); default: every code any coder
        used (of ``family``), in codebook order.
    units : DataFrame, optional
        Columns coder, pilot_id, wave: forms a coder judged, also when they coded nothing in
        them (otherwise a coder judged exactly the forms they have codings for).
    codebook : Codebook, optional
        For the labels and the order of the codes (default: the bundled codebook).

    Returns
    -------
    DataFrame
        Columns ``AGREEMENT_COLUMNS``: code, label, family, n_units (units judged by at
        least two coders), n_coders, n_present (units coded by at least one coder),
        percent_agreement (0-100), cohen_kappa (exactly two coders), krippendorff_alpha
        (nominal) and note (why a value is NaN, or ""). One row per code, then the pooled
        row ``"(alle codes)"``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"pilot_id": ["p1", "p2", "p3"], "wave": "T0", "code": "wonen"})
    >>> b = pd.DataFrame({"pilot_id": ["p1", "p2", "p3"], "wave": "T0", "code": "wonen"})
    >>> table = agreement({"A": a, "B": b})
    >>> table[["code", "percent_agreement", "krippendorff_alpha"]]
               code  percent_agreement  krippendorff_alpha
    0         wonen              100.0                 NaN
    1  (alle codes)              100.0                 NaN
    >>> table.at[0, "note"]
    'no variation: every value is 1, kappa and alpha undefined (expected disagreement 0); percent agreement is 100'

    """
    _check_level(level)
    stacked, coders, judged = _prepare(codings, units)
    if len(coders) < 2:
        raise ValueError(f"agreement needs at least two coders; got {coders}")
    labels, families, order = _labels(codebook)
    selected = _select_codes(stacked, family, codes, order)
    matrices = _reliability(stacked, selected, level=level, family=family, judged=judged, coders=coders)
    rows = [_row(code, labels.get(code, ""), families.get(code, family or ""), m, coders)
            for code, m in matrices.items()]
    if matrices:
        pooled = pd.concat(list(matrices.values()), axis=1, ignore_index=True)
        rows.append(_row(ALL_CODES, "", family or "", pooled, coders))
    frame = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    return frame.astype({"n_units": int, "n_coders": int, "n_present": int})


def _row(code: str, label: str, family: str, matrix: pd.DataFrame, coders: list[str]) -> dict[str, Any]:
    values = matrix.to_numpy(dtype=float)
    judged = (~np.isnan(values)).sum(axis=0)
    pairable = judged >= 2
    active = (~np.isnan(values[:, pairable])).any(axis=1)
    row = {
        "code": code, "label": label, "family": family, "n_units": int(pairable.sum()),
        "n_coders": int(active.sum()), "n_present": int((np.nan_to_num(values) == 1).any(axis=0).sum()),
        "percent_agreement": math.nan, "cohen_kappa": math.nan, "krippendorff_alpha": math.nan,
    }
    notes = []
    if not pairable.any():
        row["note"] = "no unit was judged by two or more coders: nothing to compare"
        return row
    data = values[:, pairable]
    row["percent_agreement"] = percent_agreement(data)
    row["krippendorff_alpha"] = krippendorff_alpha(data)
    if len(coders) == 2:
        row["cohen_kappa"] = cohen_kappa(values[0], values[1])
    else:
        notes.append(f"cohen_kappa needs exactly two coders ({len(coders)} coders): see krippendorff_alpha")
    occurring = np.unique(data[~np.isnan(data)])
    if len(occurring) == 1:
        notes.insert(0, f"no variation: every value is {int(occurring[0])}, kappa and alpha undefined "
                        "(expected disagreement 0); percent agreement is 100")
    elif len(coders) == 2 and math.isnan(row["cohen_kappa"]):
        notes.append("cohen_kappa undefined: on the units both coders judged only one value occurs")
    row["note"] = "; ".join(notes)
    return row


def disagreements(
    codings: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    level: str = "pilot",
    family: str | None = None,
    codes: Iterable[str] | None = None,
    units: pd.DataFrame | None = None,
    codebook=None,
) -> pd.DataFrame:
    """The unit x code cases on which coders differ, to discuss: who coded what, and why.

    Returns
    -------
    DataFrame
        Columns ``DISAGREEMENT_COLUMNS``: pilot_id, wave, question (segment level; <NA> at
        pilot level), code, label, coded_by and not_coded_by (coders, comma separated; coders
        who did not judge the unit are in neither), evidence (the sentence(s) the coders who
        coded it gave, ``"coder: sentence"`` one per line at pilot level).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"pilot_id": ["p1", "p2"], "wave": "T0", "code": "wonen",
    ...                   "evidence": ["Een woning.", "Eigen voordeur."]})
    >>> b = pd.DataFrame({"pilot_id": ["p1", "p2"], "wave": "T0", "code": ["wonen", "werk"],
    ...                   "evidence": ["Een woning.", "Betaald werk."]})
    >>> disagreements({"A": a, "B": b})[["pilot_id", "code", "coded_by", "not_coded_by", "evidence"]]
      pilot_id   code coded_by not_coded_by             evidence
    0       p2   werk        B            A     B: Betaald werk.
    1       p2  wonen        A            B  A: Eigen voordeur.
    """
    _check_level(level)
    stacked, coders, judged = _prepare(codings, units)
    labels, _, order = _labels(codebook)
    selected = _select_codes(stacked, family, codes, order)
    matrices = _reliability(stacked, selected, level=level, family=family, judged=judged, coders=coders)
    evidence = _evidence(stacked, level)
    rows = []
    for code, matrix in matrices.items():
        values = matrix.to_numpy(dtype=float)
        for j, unit in enumerate(matrix.columns):
            column = values[:, j]
            judged = ~np.isnan(column)
            if judged.sum() < 2 or len(set(column[judged])) < 2:
                continue
            yes = [c for c, v in zip(coders, column) if v == 1]
            no = [c for c, v in zip(coders, column) if v == 0]
            unit = unit if isinstance(unit, tuple) else (unit,)
            rows.append({
                "pilot_id": unit[0], "wave": unit[1],
                "question": (pd.NA if level == "pilot" or unit[2] == -1 else int(unit[2])),
                "code": code, "label": labels.get(code, ""), "coded_by": ", ".join(yes), "not_coded_by": ", ".join(no),
                "evidence": evidence.get((code, *unit), ""),
            })
    frame = pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)
    frame["question"] = frame["question"].astype("Int64")
    return frame.sort_values(["wave", "pilot_id", "question", "code"], kind="stable").reset_index(drop=True)


def _evidence(stacked: pd.DataFrame, level: str) -> dict[tuple, str]:
    """(code, *unit) -> the evidence the coders who coded it gave."""
    out: dict[tuple, list[str]] = {}
    for row in stacked.itertuples(index=False):
        if level == "pilot":
            key = (row.code, row.pilot_id, row.wave)
            text = f"{row.coder}: {row.evidence}" if row.evidence else f"{row.coder}: (no sentence)"
        else:
            q = -1 if pd.isna(row.question) else row.question
            key = (row.code, row.pilot_id, row.wave, q, row.sentence)
            text = row.evidence
        seen = out.setdefault(key, [])
        if text not in seen:
            seen.append(text)
    return {k: "\n".join(v) for k, v in out.items()}
