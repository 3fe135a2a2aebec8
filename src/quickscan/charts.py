"""Charts of the report: pilots per code, the pilots x codes grid, T0 against T1.

Each ``plot_*`` function draws on the ``ax=`` it is given, or on a new figure sized for an
A4 page (16 cm wide) when ``ax`` is None, and returns the :class:`~matplotlib.axes.Axes`.
The numbers drawn are those of :func:`quickscan.matrices.code_matrix` (its cells and its
``Totaal`` row, in each wave), so a chart always agrees with its table. Labels are the Dutch
labels of the codebook; colours come from the colour-blind-safe Okabe-Ito palette. Charts show only counts, code labels and pilot names: never an answer,
and never a personal question of the template.

matplotlib is imported when a function here is first called, not by ``import quickscan``.

Figures and memory
------------------
When ``ax`` is None the figure is made with :mod:`matplotlib.pyplot`, so that a notebook
shows it; it stays open until it is closed. :func:`save_chart` closes the figure after
saving it (``close=False`` keeps it, e.g. to show it afterwards); otherwise close it with
``plt.close(ax.figure)``. A figure you made yourself and passed as ``ax=`` is yours to close.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pandas as pd

from ._io import atomic_write
from .codebook import Codebook
from .matrices import TOTAL, _family, _one_wave, code_matrix

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PALETTE", "MATRIX_PILOTS", "COOCCURRENCE_COUNTS", "plot_totals", "plot_matrix", "plot_cooccurrence", "plot_waves", "save_chart"]

#: The Okabe-Ito palette (colour-blind safe), in the order the charts use it.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
BAR, BEFORE, AFTER = PALETTE[0], PALETTE[4], PALETTE[0]
GRID = "#BBBBBB"

A4_WIDTH = 16 / 2.54  # inches: the text width of an A4 page with 2.5 cm margins
A4_LANDSCAPE_WIDTH = 24.7 / 2.54
A4_HEIGHT = 24.7 / 2.54  # the text height of an A4 page
#: PNG resolution: a chart is drawn at the size it has on the page (16 cm wide), so 200 dpi is
#: 200 dots per inch in the Word report (sharp in print: 7.5 pt text is 21 pixels high) at less
#: than half the pixels, and the time, of 300 dpi.
DPI = 200
#: The pilots x codes grid is drawn for at most this many pilots (rows of 0.15 inch and more,
#: labels of 6.7 pt and more: a few dozen pilots stay readable on one page); a wave with more
#: gets the codes x codes chart of co-occurrence instead (see :func:`plot_matrix`).
MATRIX_PILOTS = 50
#: The co-occurrence chart writes the count in each cell up to this many codes (400 cells);
#: beyond, the cells are too small for a legible number and a colour bar gives the scale.
COOCCURRENCE_COUNTS = 20
XLABEL = "Aantal {plural}"  # the count axis; the unit comes from the template
ORDERS = ("codebook", "count")
_EDGE = 0.05  # inches: the least room between a title and the edge of its figure
_SMALLEST_TITLE = 7.0  # points: a title too wide for its figure is set smaller, down to this size

_RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.titlepad": 6.0,
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "quickscan",
    "svg.fonttype": "none",  # text stays text in SVG: a report writer can edit a label
    "text.hinting": "no_hinting",  # at 200 dpi hinting changes nothing visible, and costs a third of the text
}


# -- helpers ---------------------------------------------------------------------------------


def _mpl():
    """matplotlib and pyplot, imported on first use."""
    import matplotlib
    import matplotlib.pyplot as plt

    return matplotlib, plt


def _new_axes(width: float, height: float, labels: list[str], *, top: float) -> Axes:
    """Axes on a new figure with margins (inches) computed from the y labels and the ``top``
    of title and legend: no layout engine, which would measure every text on every draw."""
    _, plt = _mpl()
    left = _text_width([line for label in labels for line in label.splitlines()], _RC["ytick.labelsize"]) + 0.12
    bottom, right = 0.42, 0.15  # tick labels and the axis label; room for the last count
    fig = plt.figure(figsize=(width, height))
    return fig.add_axes((left / width, bottom / height, 1 - (left + right) / width, 1 - (bottom + top) / height))


def _wrap(label: str, width: int, max_lines: int = 3) -> str:
    """``label`` on lines of at most ``width`` characters, shortened with "…" beyond ``max_lines``."""
    lines = textwrap.wrap(label, width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = textwrap.shorten(lines[-1] + " …", width=width, placeholder=" …")
    return "\n".join(lines)


def _shorten(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def _text_width(texts: list[str], font: float, weight: str = "normal") -> float:
    """The width in inches of the widest of ``texts`` (one line each) at ``font`` points, as the
    charts draw it: without hinting, whose widths depend on the resolution (7 % wider at 72 dpi)."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    renderer, props = _measurer(), FontProperties(size=font, weight=weight)
    with matplotlib.rc_context({"text.hinting": _RC["text.hinting"]}):
        widths = [renderer.get_text_width_height_descent(t, props, ismath=False)[0] for t in texts if t]
    return max(widths, default=0.0) / 72


@functools.cache
def _measurer():
    """One renderer for measuring texts: it remembers a label measured for an earlier chart."""
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(10, 10, 72)


def _set_title(ax: Axes, label: str, rest: str, *, own_figure: bool, y: float = 1.0, **kwargs) -> None:
    """The title ``label + rest`` (``label``: the family's) at the left over the axes.

    On the chart's own figure it is placed here, once: at ``y`` (in axes heights), and moved left
    (as far as the figure's edge) where it would run off the right; wider than the figure, it is
    set smaller, down to :data:`_SMALLEST_TITLE` points, and beyond that ``label`` is shortened
    with "…". matplotlib would place it again on every draw, measuring every tick label (a tenth
    of the time of a chart). On an ``ax`` passed in, matplotlib places it among its neighbours.
    """
    title = label + rest
    if own_figure:
        figure_width, box = ax.figure.get_size_inches()[0], ax.get_position()
        widest, weight = figure_width - 2 * _EDGE, _RC["axes.titleweight"]

        def width(text: str, size: float) -> float:
            return _text_width([text], size, weight)

        need = width(title, _RC["axes.titlesize"])
        if need > widest:
            size = max(_SMALLEST_TITLE, int(10 * _RC["axes.titlesize"] * widest / need) / 10)
            while size > _SMALLEST_TITLE and width(title, size) > widest:
                size = round(size - 0.1, 1)
            if width(title, size) > widest:  # the longest start of the label that fits
                shortest, longest = 1, len(label)
                while shortest < longest:
                    middle = (shortest + longest + 1) // 2
                    shortest, longest = ((middle, longest) if width(_shorten(label, middle) + rest, size) <= widest
                                         else (shortest, middle - 1))
                title = _shorten(label, shortest) + rest
            need, kwargs["fontsize"] = width(title, size), size
        left = box.x0 * figure_width
        shift = max(min(0.0, figure_width - _EDGE - left - need), _EDGE - left)
        kwargs["y"] = y
        if box.width > 0:
            kwargs["x"] = shift / (box.width * figure_width)
    ax.set_title(title, loc="left", **kwargs)


def _order(table: pd.DataFrame, column: str, order: str) -> pd.DataFrame:
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, not {order!r}")
    if order == "count":
        table = table.sort_values(column, ascending=False, kind="stable")
    return table.reset_index(drop=True)


def _bar_layout(labels: list[str]) -> tuple[list[str], float]:
    """Wrapped labels and the height of a bar slot in inches, for ``len(labels)`` bars."""
    wrapped = [_wrap(label, 40 if len(labels) <= 20 else 56) for label in labels]
    lines = max((w.count("\n") + 1 for w in wrapped), default=1)
    return wrapped, 0.13 + 0.12 * lines


def _count_axis(ax: Axes, top: int, unit) -> None:
    from matplotlib.ticker import MaxNLocator

    top = max(top, 1)
    ax.grid(axis="x", color=GRID, linewidth=0.4, alpha=0.6)  # before the ticks are made: set once, not on each tick
    ax.set_xticks([t for t in MaxNLocator(integer=True).tick_values(0, top) if 0 <= t <= top])
    ax.set_xlim(0, top + max(0.8, 0.07 * top))  # room for the count at the end of a full bar
    ax.set_xlabel(XLABEL.format(plural=unit.plural))
    ax.set_axisbelow(True)


# -- charts ----------------------------------------------------------------------------------


def plot_totals(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str,
    wave: str | None = None,
    order: str = "codebook",
    codebook: Codebook | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: the number of pilots that have each code of a family in one wave.

    Parameters
    ----------
    codings : DataFrame
        Codings as returned by :func:`~quickscan.coding.code_corpus` (after review, if any).
    corpus : Corpus
        The corpus that was coded.
    family : str or Family
        The family whose codes are the bars.
    wave : str, optional
        The wave; may be left out when the corpus has only one.
    order : {"codebook", "count"}
        Bars top to bottom in codebook order, or from most to fewest pilots (codebook
        order on a tie).
    codebook : Codebook, optional
        Default: the bundled codebook.
    ax : Axes, optional
        Draw here; default: a new figure 16 cm wide, as high as the bars need.

    Returns
    -------
    Axes
        One bar per code (``ax.patches``, top to bottom), its length the ``Totaal`` of
        :func:`~quickscan.matrices.code_matrix`; y tick labels: the Dutch code labels
        (wrapped); the count at the end of each bar; x axis ``"Aantal <units>"`` from 0 to
        the number in the wave; title ``"<family label>, <wave> (<n> <units>)"`` (the unit of
        the template: pilots for U16).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import quickscan as qs
    >>> from quickscan.charts import plot_totals
    >>> corpus = qs.read_folder("data/sample")
    >>> codings = qs.code_corpus(corpus)
    >>> ax = plot_totals(codings, corpus, family="basisset", wave="T0", order="count")
    >>> ax.get_title("left")
    'Basisset, T0 (15 pilots)'
    >>> [t.get_text() for t in ax.get_yticklabels()][:2], [int(p.get_width()) for p in ax.patches][:2]
    (['Preventie en vroegsignalering', 'Herstelgerichte benadering'], [14, 13])
    >>> plt.close(ax.figure)
    """
    wave = _one_wave(corpus, wave)
    fam = _family(codebook, family)
    m = code_matrix(codings, corpus, family=fam, wave=wave, codebook=codebook)
    return _totals_chart(m, fam.label, wave, corpus.template.unit, ax=ax, order=order)


def _totals_chart(m: pd.DataFrame, family_label: str, wave: str, unit, *, ax: Axes | None = None,
                  order: str = "codebook") -> Axes:
    """The chart of :func:`plot_totals` of ``m``, a table of :func:`~quickscan.matrices.code_matrix`."""
    _, plt = _mpl()
    counts = pd.DataFrame({"label": list(m.columns), "n": [int(v) for v in m.loc[TOTAL]]})
    n_pilots = len(m) - 1
    counts = _order(counts, "n", order)
    labels, slot = _bar_layout(counts["label"].tolist())
    with plt.rc_context(_RC):
        own_figure = ax is None
        if own_figure:
            ax = _new_axes(A4_WIDTH, min(A4_HEIGHT, 0.9 + slot * len(counts)), labels, top=0.28)
        y = list(range(len(counts)))
        bars = ax.barh(y, counts["n"].astype(float).tolist(), height=0.7, color=BAR)
        ax.bar_label(bars, padding=2, fontsize=7.5)
        ax.tick_params(axis="y", length=0)  # tick settings before the ticks: set once, not on each tick
        ax.set_yticks(y, labels)
        ax.set_ylim(len(counts) - 0.5, -0.5)  # first code on top
        _count_axis(ax, n_pilots, unit)
        _set_title(ax, family_label, f", {wave} ({unit.count(n_pilots)})", own_figure=own_figure)
    return ax


def plot_matrix(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str,
    wave: str | None = None,
    codebook: Codebook | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The pilots x codes grid of a family in one wave: a filled square where a pilot has a code.

    The chart of :func:`~quickscan.matrices.code_matrix`, for reading a few dozen pilots:
    with more than :data:`MATRIX_PILOTS` pilots in the wave a grid of pilots cannot be read
    (nor printed), and the chart becomes the codes x codes grid of co-occurrence: in each cell
    the number of pilots that have both codes, the diagonal the pilots with the code
    (:func:`plot_cooccurrence`). Its size depends on the codes only, whatever the number of pilots.

    Pilots are rows in report order,
    labelled ``"1. <pilot>"``; codes are columns in codebook order, their Dutch labels
    rotated above the grid; under each column the number of pilots with the code. A new
    figure (``ax`` None) is 16 cm wide (up to 24.7 cm, A4 landscape, for families with
    many codes) and as high as the pilots need, with rows of 0.15 to 0.25 inch (50
    pilots fill most of an A4 page), so that up to 50 pilots stay readable.

    Parameters
    ----------
    codings, corpus, family, wave, codebook
        As for :func:`plot_totals`.
    ax : Axes, optional
        Draw here; default: a new figure sized as above.

    Returns
    -------
    Axes
        The squares are ``ax.collections[0]``: one square path per ``"X"`` of the table,
        centred on (column, row); x tick labels (on top): the code labels; y tick labels:
        the pilot labels; the totals are the tick labels of the secondary x axis at the bottom.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import quickscan as qs
    >>> from quickscan.charts import plot_matrix
    >>> corpus = qs.read_folder("data/sample")
    >>> ax = plot_matrix(qs.code_corpus(corpus), corpus, family="basisset", wave="T1")
    >>> [t.get_text() for t in ax.get_yticklabels()][-1], len(ax.get_xticklabels())
    ('16. Netwerk Verward Gedrag Oudewater', 15)
    >>> plt.close(ax.figure)
    """
    wave = _one_wave(corpus, wave)
    fam = _family(codebook, family)
    m = code_matrix(codings, corpus, family=fam, wave=wave, codebook=codebook)
    return _matrix_chart(m, fam.label, wave, corpus.template.unit, ax=ax)


def _matrix_chart(m: pd.DataFrame, family_label: str, wave: str, unit, *, ax: Axes | None = None) -> Axes:
    """The chart of :func:`plot_matrix` of ``m``, a table of :func:`~quickscan.matrices.code_matrix`."""
    from matplotlib.collections import LineCollection, PolyCollection

    _, plt = _mpl()
    grid, totals = m.drop(index=TOTAL), [int(v) for v in m.loc[TOTAL]]
    n_rows, n_cols = grid.shape
    if n_rows > MATRIX_PILOTS:
        return _cooccurrence(grid, family_label, wave, unit, ax)

    pilot_labels = [_shorten(p, 45) for p in grid.index]
    row = min(0.25, max(0.08, 7.5 / max(n_rows, 1)))  # inches per pilot (0.15 for 50)
    font = max(5.0, min(7.5, row * 72 * 0.62))
    label_width = _text_width(pilot_labels, font) + 0.25
    width = A4_WIDTH
    if label_width + 0.3 + n_cols * 0.16 > A4_WIDTH:  # many codes: A4 landscape
        width = A4_LANDSCAPE_WIDTH
    col = min(0.25, (width - label_width - 0.3) / max(n_cols, 1))  # inches per code
    code_font = max(5.0, min(7.5, col * 72 * 0.62))
    two_lines = col * 72 >= 2.3 * code_font
    code_labels = [_wrap(c, 26, 2) if two_lines else _shorten(c, 50) for c in grid.columns]
    header = _text_width([line for c in code_labels for line in c.splitlines()], code_font)
    top, bottom = 0.35 + header + 0.08, 0.5  # title and code labels; totals and their caption
    height = top + n_rows * row + bottom
    side = 0.72 * min(row, col)  # a filled square, in inches

    with plt.rc_context(_RC):
        own_figure = ax is None
        if own_figure:  # the margins are computed from the labels: no layout engine
            fig = plt.figure(figsize=(width, height))
            ax = fig.add_axes((label_width / width, bottom / height, n_cols * col / width, n_rows * row / height))
            w, h = side / col, side / row  # in data units: a square on the page
        else:
            w = h = 0.72
        # one collection of squares and one of grid lines: a patch or a tick per cell costs
        # milliseconds each to make and to draw
        rows, cols = (grid.to_numpy() == "X").nonzero()
        square = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        ax.add_collection(PolyCollection([[(j + x, i + y) for x, y in square] for i, j in zip(rows, cols)],
                                         facecolors=BAR, edgecolors="none"), autolim=False)
        lines = [[(-0.5, i - 0.5), (n_cols - 0.5, i - 0.5)] for i in range(1, n_rows)]
        lines += [[(j - 0.5, -0.5), (j - 0.5, n_rows - 0.5)] for j in range(1, n_cols)]
        ax.add_collection(LineCollection(lines, colors=GRID, linewidths=0.4, zorder=0.5), autolim=False)
        ax.set_xlim(-0.5, n_cols - 0.5)
        ax.set_ylim(n_rows - 0.5, -0.5)
        ax.xaxis.tick_top()  # tick settings before the ticks: set once, not on each of them
        ax.tick_params(length=0)
        ax.grid(False)
        ax.set_xticks(range(n_cols), code_labels, rotation=90, ha="center", va="bottom", fontsize=code_font,
                      linespacing=1.0)
        ax.set_yticks(range(n_rows), pilot_labels, fontsize=font)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(True)
            ax.spines[side].set_color(GRID)
            ax.spines[side].set_linewidth(0.6)
        bottom = ax.secondary_xaxis("bottom")
        bottom.tick_params(length=0)
        bottom.set_xticks(range(n_cols), [str(t) for t in totals], fontsize=code_font)
        bottom.spines["bottom"].set_visible(False)
        bottom.set_xlabel(f"{TOTAL} ({XLABEL.format(plural=unit.plural).lower()} van de {n_rows})", fontsize=7)
        # above the code labels, where matplotlib would place it
        above = 1 + (plt.rcParams["xtick.major.pad"] / 72 + header) / (n_rows * row) if own_figure else 1.0
        _set_title(ax, family_label, f", {wave} ({unit.count(n_rows)})", own_figure=own_figure, y=above)
    return ax


def plot_cooccurrence(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str,
    wave: str | None = None,
    codebook: Codebook | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Codes x codes: how many pilots have both codes of a family, in one wave.

    The pilots x codes grid of :func:`plot_matrix` summarised for any number of pilots: the
    cell (row a, column b) holds the number of pilots with codes a and b, the diagonal the
    number of pilots with the code (the ``Totaal`` of
    :func:`~quickscan.matrices.code_matrix`); the shade is the share of the pilots. The
    size of the chart depends on the number of codes only. Up to :data:`COOCCURRENCE_COUNTS`
    codes each cell shows its count; a family with more codes (too many cells for a legible
    number in each) gets a colour bar with the scale instead.

    Returns
    -------
    Axes
        The image (``ax.images[0]``, its array the counts), the counts as texts (or the
        colour bar), code labels as tick labels of both axes, title ``"<family label>,
        <wave> (<n> pilots)"``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import quickscan as qs
    >>> from quickscan.charts import plot_cooccurrence
    >>> corpus = qs.read_folder("data/sample")
    >>> ax = plot_cooccurrence(qs.code_corpus(corpus), corpus, family="uitgangspunten", wave="T0")
    >>> ax.images[0].get_array().shape, ax.get_title("left")
    ((5, 5), 'Uitgangspunten, T0 (15 pilots): pilots met beide codes')
    >>> plt.close(ax.figure)
    """
    wave = _one_wave(corpus, wave)
    fam = _family(codebook, family)
    m = code_matrix(codings, corpus, family=fam, wave=wave, codebook=codebook)
    return _cooccurrence(m.drop(index=TOTAL), fam.label, wave, corpus.template.unit, ax)


def _cooccurrence(grid: pd.DataFrame, family_label: str, wave: str, unit, ax: Axes | None) -> Axes:
    import numpy as np
    from matplotlib.colors import ListedColormap

    _, plt = _mpl()
    has = (grid.to_numpy() == "X").astype("int64")
    counts = has.T @ has
    n_pilots, n_codes = grid.shape
    labels = [_shorten(c, 45) for c in grid.columns]
    cell = min(0.3, max(0.14, (A4_LANDSCAPE_WIDTH - 3.5) / max(n_codes, 1)))  # inches per code
    font = max(4.5, min(7.0, cell * 72 * 0.45))
    label_width = _text_width(labels, font) + 0.15
    numbers = n_codes <= COOCCURRENCE_COUNTS
    bar = 0 if numbers else 0.9  # the colour bar and its label, right of the grid
    rest = f", {wave} ({unit.count(n_pilots)}): {unit.plural} met beide codes"
    title_width = _text_width([family_label + rest], _RC["axes.titlesize"], _RC["axes.titleweight"]) + 2 * _EDGE
    width = max(label_width + n_codes * cell + 0.3 + bar, min(title_width, A4_LANDSCAPE_WIDTH))
    height = label_width + n_codes * cell + 0.5
    # the shade: the share of the pilots, light enough at 100% for a count to stay legible on it
    blues = ListedColormap(plt.get_cmap("Blues")(np.linspace(0, 1 / 1.6, 256)))
    with plt.rc_context(_RC):
        place: dict = {"ax": ax, "fraction": 0.04, "pad": 0.02}  # of the colour bar, on a given ax
        own_figure = ax is None
        if own_figure:
            fig = plt.figure(figsize=(width, height))
            ax = fig.add_axes((label_width / width, 0.2 / height, n_codes * cell / width, n_codes * cell / height))
            place = {"cax": None if numbers else fig.add_axes(
                ((label_width + n_codes * cell + 0.15) / width, 0.2 / height, 0.12 / width, n_codes * cell / height))}
        image = ax.imshow(counts, cmap=blues, vmin=0, vmax=max(n_pilots, 1), aspect="auto", interpolation="nearest")
        if numbers:
            for i in range(n_codes):
                for j in range(n_codes):
                    ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=font * 0.85,
                            fontweight="bold" if i == j else "normal")
        else:
            scale = ax.figure.colorbar(image, **place)
            scale.set_label(f"{unit.plural} met beide codes (diagonaal: met de code)", fontsize=font)
            scale.ax.tick_params(labelsize=font)
        ax.xaxis.tick_top()  # tick settings before the ticks: set once, not on each of them
        ax.tick_params(length=0)
        ax.set_xticks(range(n_codes), labels, rotation=90, fontsize=font)
        ax.set_yticks(range(n_codes), labels, fontsize=font)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(True)
            ax.spines[side].set_color(GRID)
        _set_title(ax, family_label, rest, own_figure=own_figure, pad=label_width * 72 + 4)
    return ax


def plot_waves(
    codings: pd.DataFrame,
    corpus,
    *,
    family: str,
    before: str = "T0",
    after: str = "T1",
    order: str = "codebook",
    codebook: Codebook | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Paired horizontal bars: the number of pilots with each code in two waves.

    Parameters
    ----------
    codings : DataFrame
        Codings of both waves.
    corpus : Corpus
        The corpus holding both waves.
    family : str or Family
        The family whose codes are compared.
    before, after : str
        The two waves: the upper (light blue) and the lower (dark blue) bar of each code.
    order : {"codebook", "count"}
        Codes in codebook order, or from most to fewest pilots in ``after``.
    codebook : Codebook, optional
        Default: the bundled codebook.
    ax : Axes, optional
        Draw here; default: a new figure 16 cm wide, as high as the bars need.

    Returns
    -------
    Axes
        Two bar containers (``ax.containers[0]``: ``before``, ``[1]``: ``after``), their
        lengths the ``Totaal`` rows of :func:`~quickscan.matrices.code_matrix` in the two
        waves (the ``before`` and ``after`` columns of
        :func:`~quickscan.compare.compare_waves` ``.totals``); y tick labels: the code labels;
        a legend ``"T0 (15 pilots)"``, ``"T1 (16 pilots)"``; counts at the bar ends.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import quickscan as qs
    >>> from quickscan.charts import plot_waves
    >>> corpus = qs.read_folder("data/sample")
    >>> ax = plot_waves(qs.code_corpus(corpus), corpus, family="basisset")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['T0 (15 pilots)', 'T1 (16 pilots)']
    >>> [len(c) for c in ax.containers]
    [15, 15]
    >>> plt.close(ax.figure)
    """
    fam = _family(codebook, family)
    tables = [code_matrix(codings, corpus, family=fam, wave=_one_wave(corpus, w), codebook=codebook)
              for w in (before, after)]
    return _waves_chart(*tables, fam.label, before, after, corpus.template.unit, ax=ax, order=order)


def _waves_chart(m_before: pd.DataFrame, m_after: pd.DataFrame, family_label: str, before: str, after: str, unit,
                 *, ax: Axes | None = None, order: str = "codebook") -> Axes:
    """The chart of :func:`plot_waves` of the two tables of :func:`~quickscan.matrices.code_matrix`."""
    _, plt = _mpl()
    totals = pd.DataFrame({"label": list(m_after.columns), "before": [int(v) for v in m_before.loc[TOTAL]],
                           "after": [int(v) for v in m_after.loc[TOTAL]]})
    n_before, n_after = len(m_before) - 1, len(m_after) - 1
    totals = _order(totals, "after", order)
    labels, slot = _bar_layout(totals["label"].tolist())
    slot = max(slot, 0.36)
    with plt.rc_context(_RC):
        own_figure = ax is None
        if own_figure:
            ax = _new_axes(A4_WIDTH, min(A4_HEIGHT, 1.1 + slot * len(totals)), labels, top=0.5)
        y = list(range(len(totals)))
        h = 0.38
        pairs = ((before, n_before, totals["before"], -h / 2, BEFORE),
                 (after, n_after, totals["after"], h / 2, AFTER))
        for wave, n, values, shift, colour in pairs:
            bars = ax.barh([i + shift for i in y], values.astype(float).tolist(), height=h, color=colour,
                           label=f"{wave} ({unit.count(n)})")
            ax.bar_label(bars, padding=2, fontsize=6.5)
        ax.tick_params(axis="y", length=0)
        ax.set_yticks(y, labels)
        ax.set_ylim(len(totals) - 0.5, -0.5)
        _count_axis(ax, max(n_before, n_after), unit)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False, borderaxespad=0.2,
                  handlelength=1.2)
        _set_title(ax, family_label, f", {before} en {after}", own_figure=own_figure, pad=20)
    return ax


# -- saving ----------------------------------------------------------------------------------


def save_chart(
    ax_or_fig: Axes | Figure,
    path_stem: str | PathLike[str],
    *,
    formats: Sequence[str] = ("png", "svg"),
    close: bool = True,
) -> list[Path]:
    """Save a chart as ``<stem>.png`` (:data:`DPI`, 200 dpi) and ``<stem>.svg``, each written atomically.

    Parameters
    ----------
    ax_or_fig : Axes or Figure
        The chart (a ``plot_*`` result) or its figure; the whole figure is saved.
    path_stem : str or path
        The path without extension (``"charts/basisset-T0"``); missing folders are made.
    formats : sequence of str
        ``"png"`` and/or ``"svg"`` (or another format matplotlib writes), in this order.
    close : bool
        Close the figure after saving (frees its memory; a notebook then no longer shows
        it). Pass False to keep it open.

    Returns
    -------
    list of Path
        ``[<stem>.png, <stem>.svg]``: one path per format.

    Notes
    -----
    The PNG is rendered by matplotlib's Agg canvas and the SVG by its SVG canvas, whatever
    the interactive backend; nothing is shown. Each file is first written to a temporary
    file in the same folder, then moved into place, so a failed save leaves no half file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import quickscan as qs
    >>> from quickscan.charts import plot_totals, save_chart
    >>> corpus = qs.read_folder("data/sample")
    >>> ax = plot_totals(qs.code_corpus(corpus), corpus, family="basisset", wave="T0")
    >>> paths = save_chart(ax, pathlib.Path(tempfile.mkdtemp()) / "basisset-T0")
    >>> [p.name for p in paths], all(p.stat().st_size > 0 for p in paths)
    (['basisset-T0.png', 'basisset-T0.svg'], True)
    """
    _, plt = _mpl()
    fig: Any = ax_or_fig
    while fig is not None and not _is_figure(fig):  # Axes -> (SubFigure ->) Figure
        fig = getattr(fig, "figure", None)
    if fig is None:
        raise TypeError(f"save_chart needs an Axes or a Figure, not {type(ax_or_fig).__name__}")
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        with plt.rc_context({key: _RC[key] for key in ("svg.hashsalt", "svg.fonttype", "text.hinting")}):
            for fmt in formats:
                options: dict = {"metadata": {"Date": None}} if fmt == "svg" else {}
                path = stem.parent / f"{stem.name}.{fmt}"
                if fmt == "png":
                    atomic_write(path, lambda tmp: _write_png(fig, tmp))
                else:
                    atomic_write(path, lambda tmp, fmt=fmt, options=options: fig.savefig(
                        tmp, format=fmt, dpi=DPI, facecolor="white", **options))
                paths.append(path)
    finally:
        if close:
            plt.close(fig)
    return paths


def _write_png(fig: Figure, path: Path | BinaryIO) -> None:
    """The figure as an RGB PNG of :data:`DPI` dpi, compressed with zlib level 1.

    matplotlib writes RGBA, whose alpha is 255 everywhere on the white background: RGB has a
    quarter less to compress (a third less time, and smaller files, for the same pixels); level 1
    takes half the time of the default 6 for the same size. The pixels are matplotlib's
    (``format="rgba"``); their width and height are the only ones within a pixel of the figure's
    size that hold them all (else, in a near-square tie, matplotlib's own PNG is written).
    """
    import io

    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=DPI, facecolor="white")
    n, (width, height) = len(raw.getbuffer()) // 4, fig.get_size_inches() * DPI
    sizes = [(w, n // w) for w in range(max(1, int(width) - 1), int(width) + 2)
             if n % w == 0 and abs(w - width) < 1 and abs(n // w - height) < 1]
    if len(sizes) != 1:
        fig.savefig(path, format="png", dpi=DPI, facecolor="white", metadata={"Software": None},
                    pil_kwargs={"compress_level": 1})
        return
    image = Image.frombuffer("RGBA", sizes[0], raw.getbuffer(), "raw", "RGBA", 0, 1).convert("RGB")
    image.save(path, format="png", compress_level=1, dpi=(DPI, DPI))


def _rehearse() -> None:
    """Draw a small chart and encode it, in memory: the first chart of a process also loads the
    fonts, their glyphs and the PNG encoder (about 0.1 s), which the report's second process
    does here while the main one codes."""
    import io

    from .template import Unit

    _, plt = _mpl()
    m = pd.DataFrame({"Preventie, vroegsignalering (1)": ["X", "", 1], "Herstel": ["", "X", 1]},
                     index=["1. Pilot", "2. Pilot", TOTAL])
    ax = _totals_chart(m, "Basisset", "T0", Unit())
    try:
        _write_png(ax.figure, io.BytesIO())
    finally:
        plt.close(ax.figure)


def _is_figure(obj: object) -> bool:
    from matplotlib.figure import Figure

    return isinstance(obj, Figure)
