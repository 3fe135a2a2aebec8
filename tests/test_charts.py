"""Charts: the data behind each chart (bar lengths, labels, squares) against the report tables."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from quickscan.charts import PALETTE, plot_cooccurrence, plot_matrix, plot_totals, plot_waves, save_chart  # noqa: E402
from quickscan.codebook import Codebook  # noqa: E402
from quickscan.coding import CODING_COLUMNS  # noqa: E402
from quickscan.compare import compare_waves  # noqa: E402
from quickscan.corpus import Corpus, make_answers  # noqa: E402
from quickscan.matrices import TOTAL, code_matrix  # noqa: E402
from tests.conftest import SAMPLE  # noqa: E402

CODEBOOK = """
id: mini
name: Mini
families:
  - id: basis
    label: Basis
    codes:
      - {id: a, label: Code A}
      - {id: b, label: Code B}
      - {id: c, label: Een heel lange code die over meer dan één regel moet worden gezet}
"""
PERSONAL = "Jan Jansen, 06-12345678"


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return Codebook.from_yaml(CODEBOOK)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def corpus_of(*pilots: tuple[str, str]) -> Corpus:
    frames = [make_answers(name, wave, {1: name, 3: PERSONAL, 9: f"Doel van {name}."}) for name, wave in pilots]
    return Corpus.from_answers(pd.concat(frames, ignore_index=True))


def codings_of(*rows) -> pd.DataFrame:
    """Codings from (pilot_id, wave, code[, negated]) tuples."""
    records = [
        {"pilot_id": pilot, "wave": wave, "question": 9, "code": code, "family": "basis", "start": 0, "end": 1,
         "evidence": f"{code} bij {pilot}.", "negated": bool(rest and rest[0]), "valence": None, "source": "rule",
         "pattern": None, "segment_id": "x"}
        for pilot, wave, code, *rest in rows
    ]
    return pd.DataFrame(records, columns=CODING_COLUMNS)


CORPUS = [("Alpha", "T0"), ("Beta", "T0"), ("Gamma", "T0"), ("Alpha", "T1"), ("Gamma", "T1"), ("Delta", "T1")]
CODINGS = [
    ("alpha", "T0", "a"), ("alpha", "T0", "a"), ("gamma", "T0", "a"), ("gamma", "T0", "c"),
    ("beta", "T0", "b", True),  # negated: does not count
    ("alpha", "T1", "a"), ("alpha", "T1", "b"), ("gamma", "T1", "b"), ("delta", "T1", "b"), ("delta", "T1", "c"),
]


@pytest.fixture(scope="module")
def mini():
    return corpus_of(*CORPUS), codings_of(*CODINGS)


@pytest.fixture(scope="module")
def sample():
    from quickscan.coding import code_corpus
    from quickscan.ingest import read_folder

    corpus = read_folder(SAMPLE)
    return corpus, code_corpus(corpus)


def ticks(labels) -> list[str]:
    """Tick label texts with wrapped lines joined again."""
    return [t.get_text().replace("\n", " ") for t in labels]


def texts(fig) -> str:
    """Every piece of text drawn in a figure."""
    from matplotlib.text import Text

    return "\n".join(t.get_text() for t in fig.findobj(Text))


def squares(ax, grid: pd.DataFrame) -> set[tuple[str, str]]:
    """(pilot, code) of ``grid`` of every filled square of a plot_matrix chart, by position."""
    out = set()
    for path in ax.collections[0].get_paths():
        (x0, y0), (x1, y1) = path.vertices.min(axis=0), path.vertices.max(axis=0)
        x, y = (x0 + x1) / 2, (y0 + y1) / 2
        assert x == pytest.approx(round(x)) and y == pytest.approx(round(y))  # centred in its cell
        assert 0 < x1 - x0 < 1 and 0 < y1 - y0 < 1  # inside it
        out.add((grid.index[round(y)], grid.columns[round(x)]))
    return out


def same_labels(shown: list[str], full) -> bool:
    """Shown labels are the full labels, or their start followed by "…" when too long."""
    return len(shown) == len(full) and all(
        s == f or (s.endswith("…") and f.startswith(s[:-1].strip())) for s, f in zip(shown, full))


# -- plot_totals -----------------------------------------------------------------------------


@pytest.mark.parametrize("wave", ["T0", "T1"])
def test_charts_totals_bars_are_the_total_row_of_the_matrix(cb, mini, wave):
    corpus, codings = mini
    m = code_matrix(codings, corpus, family="basis", wave=wave, codebook=cb)
    ax = plot_totals(codings, corpus, family="basis", wave=wave, codebook=cb)
    assert [p.get_width() for p in ax.patches] == [float(v) for v in m.loc[TOTAL]]
    assert ticks(ax.get_yticklabels()) == list(m.columns)
    assert [t.get_text() for t in ax.texts] == [str(v) for v in m.loc[TOTAL]]  # the counts at the bar ends
    assert ax.get_xlabel() == "Aantal pilots"
    assert ax.get_title("left") == f"Basis, {wave} (3 pilots)"


def test_charts_totals_first_code_on_top_and_long_labels_wrapped(cb, mini):
    corpus, codings = mini
    ax = plot_totals(codings, corpus, family="basis", wave="T0", codebook=cb)
    ys = [p.get_y() for p in ax.patches]
    bottom, top = ax.get_ylim()
    assert bottom > top and ys == sorted(ys)  # y axis inverted: the first bar is drawn on top
    assert "\n" in ax.get_yticklabels()[2].get_text()


def test_charts_totals_x_ticks_are_whole_numbers_up_to_the_pilots(cb, mini):
    corpus, codings = mini
    ax = plot_totals(codings, corpus, family="basis", wave="T0", codebook=cb)
    xt = list(ax.get_xticks())
    assert all(float(t).is_integer() for t in xt) and max(xt) <= 3 and 0 in xt
    assert ax.get_xlim()[1] > 3  # room for the count after a full bar


def test_charts_totals_count_order_is_descending_with_codebook_order_on_ties(cb, mini):
    corpus, codings = mini
    ax = plot_totals(codings, corpus, family="basis", wave="T1", order="count", codebook=cb)
    assert [p.get_width() for p in ax.patches] == [3.0, 1.0, 1.0]
    assert ticks(ax.get_yticklabels())[:2] == ["Code B", "Code A"]


def test_charts_totals_rejects_an_unknown_order(cb, mini):
    corpus, codings = mini
    with pytest.raises(ValueError, match="order"):
        plot_totals(codings, corpus, family="basis", wave="T0", order="alfabet", codebook=cb)


@pytest.mark.parametrize("order", ["codebook", "count"])
def test_charts_totals_on_the_sample(sample, order):
    corpus, codings = sample
    m = code_matrix(codings, corpus, family="basisset", wave="T0")
    ax = plot_totals(codings, corpus, family="basisset", wave="T0", order=order)
    got = dict(zip(ticks(ax.get_yticklabels()), (p.get_width() for p in ax.patches)))
    assert got == {label: float(n) for label, n in m.loc[TOTAL].items()}
    if order == "count":
        widths = [p.get_width() for p in ax.patches]
        assert widths == sorted(widths, reverse=True)
    assert ax.get_title("left") == "Basisset, T0 (15 pilots)"


# -- plot_matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("wave", ["T0", "T1"])
def test_charts_matrix_squares_are_the_x_cells(cb, mini, wave):
    corpus, codings = mini
    m = code_matrix(codings, corpus, family="basis", wave=wave, codebook=cb)
    ax = plot_matrix(codings, corpus, family="basis", wave=wave, codebook=cb)
    grid = m.drop(index=TOTAL)
    assert ticks(ax.get_yticklabels()) == list(grid.index)
    assert same_labels(ticks(ax.get_xticklabels()), grid.columns)
    assert ticks(ax.get_xticklabels())[:2] == ["Code A", "Code B"]
    assert squares(ax, grid) == {(p, c) for p in grid.index for c in grid.columns if grid.loc[p, c] == "X"}
    bottom = ax.child_axes[0]  # the totals under the grid
    assert [t.get_text() for t in bottom.get_xticklabels()] == [str(v) for v in m.loc[TOTAL]]


def test_charts_matrix_on_the_sample(sample):
    corpus, codings = sample
    m = code_matrix(codings, corpus, family="basisset", wave="T1").drop(index=TOTAL)
    ax = plot_matrix(codings, corpus, family="basisset", wave="T1")
    assert len(ax.collections[0].get_paths()) == int((m == "X").to_numpy().sum())
    assert ticks(ax.get_xticklabels()) == list(m.columns)
    assert squares(ax, m) == {(p, c) for p in m.index for c in m.columns if m.loc[p, c] == "X"}
    assert ticks(ax.get_yticklabels())[0] == "1. Gebiedsteam GGZ Houten"


@pytest.mark.parametrize("n", [15, 50])
def test_charts_matrix_height_grows_with_the_pilots_and_labels_stay_readable(cb, n):
    names = [f"Pilot {i}" for i in range(n)]
    corpus = corpus_of(*((name, "T0") for name in names))
    codings = codings_of(*((pid, "T0", "a") for pid in corpus.pilot_ids[::2]))
    ax = plot_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    width, height = ax.figure.get_size_inches()
    assert width == pytest.approx(16 / 2.54)
    assert height > n * 0.15 and (n < 50 or height < 10)  # 50 pilots fit on one A4 page
    assert min(t.get_fontsize() for t in ax.get_yticklabels()) >= 6.5
    assert len(ax.collections[0].get_paths()) == len(corpus.pilot_ids[::2])


def test_charts_matrix_many_codes_use_a4_landscape(sample):
    corpus, codings = sample
    ax = plot_matrix(codings, corpus, family="themas", wave="T0")
    width = ax.figure.get_size_inches()[0]
    assert 16 / 2.54 < width <= 24.7 / 2.54 + 1e-9
    assert len(ax.get_xticklabels()) == len(code_matrix(codings, corpus, family="themas", wave="T0").columns)


def test_charts_matrix_beyond_its_pilots_becomes_the_cooccurrence_of_codes(cb, monkeypatch):
    """Past MATRIX_PILOTS pilots the grid would be unreadable (and huge): the chart counts the
    pilots per pair of codes instead, its size set by the codes alone."""
    from quickscan import charts

    corpus = corpus_of(*((f"Pilot {i}", "T0") for i in range(12)))
    ids = corpus.pilot_ids
    codings = codings_of(*((pid, "T0", "a") for pid in ids[:8]), *((pid, "T0", "b") for pid in ids[4:10]))
    monkeypatch.setattr(charts, "MATRIX_PILOTS", 10)
    ax = plot_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    counts = ax.images[0].get_array()
    labels = ticks(ax.get_xticklabels())
    a, b = labels.index("Code A"), labels.index("Code B")
    assert (counts[a, a], counts[b, b], counts[a, b], counts[b, a]) == (8, 6, 4, 4)
    assert "12 pilots" in ax.get_title("left") and ticks(ax.get_yticklabels()) == labels
    size = ax.figure.get_size_inches()
    more = corpus_of(*((f"Pilot {i}", "T0") for i in range(40)))
    assert (plot_matrix(codings, more, family="basis", wave="T0", codebook=cb).figure.get_size_inches() == size).all()


def drawn_boxes(ax) -> tuple[object, list, object]:
    """(figure box, boxes of the tick labels, title box) in pixels, as :func:`save_chart` draws them."""
    from quickscan.charts import DPI, _RC

    fig = ax.figure
    with matplotlib.rc_context({"text.hinting": _RC["text.hinting"]}):
        fig.set_dpi(DPI)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        labels = [t.get_window_extent(renderer) for a in (ax, *ax.child_axes)
                  for t in (*a.get_xticklabels(), *a.get_yticklabels()) if t.get_visible() and t.get_text()]
        return fig.bbox, labels, ax._left_title.get_window_extent(renderer)


LONG = """
id: long
name: Long
families:
  - id: lang
    label: Randvoorwaarden voor duurzame samenwerking tussen gemeenten, zorgverzekeraars en aanbieders
    codes:
      - {id: a, label: Zelfmanagement en ervaringsdeskundigheid versterken in de eigen wijk en daarbuiten}
      - {id: b, label: B}
"""


@pytest.mark.parametrize("family", ["basisset", "themas", "factoren", "bereik", "randvoorwaarden_dannenberg", "lang"])
def test_charts_labels_stay_inside_the_figure_and_under_the_title(sample, family):
    """The margins are measured as the PNG draws its text (no hinting): no label is cut off at an
    edge; the title, placed without measuring again, clears the labels above the grid, moves left
    where it would run off the right, and with a family's label too long for the figure is set
    smaller and shortens the label, never the waves and counts after it."""
    corpus, codings = sample
    codebook = Codebook.from_yaml(LONG) if family == "lang" else None
    if codebook:
        codings = codings.head(40).assign(code=["a", "b"] * 20, family="lang")
    for ax, rest in ((plot_matrix(codings, corpus, family=family, wave="T0", codebook=codebook), ", T0 (15 pilots)"),
                     (plot_totals(codings, corpus, family=family, wave="T0", codebook=codebook), ", T0 (15 pilots)"),
                     (plot_waves(codings, corpus, family=family, before="T0", after="T1", codebook=codebook),
                      ", T0 en T1"),
                     (plot_cooccurrence(codings, corpus, family=family, wave="T0", codebook=codebook),
                      ", T0 (15 pilots): pilots met beide codes")):
        page, labels, title = drawn_boxes(ax)
        for box in (*labels, title):
            assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1 and page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1
        assert title.y0 >= max(box.y1 for box in labels) - 1
        assert ax.get_title("left").endswith(rest)
        assert ("…" in ax.get_title("left")) <= (family == "lang") and ax._left_title.get_fontsize() >= 7
    assert (family == "lang") <= ("…" in plot_totals(codings, corpus, family=family, codebook=codebook,
                                                     wave="T0").get_title("left"))  # 16 cm wide: too long


def test_charts_svg_keeps_text_as_text(cb, mini, tmp_path):
    corpus, codings = mini
    ax = plot_totals(codings, corpus, family="basis", wave="T0", codebook=cb)
    svg = save_chart(ax, tmp_path / "t", formats=("svg",))[0].read_text("utf-8")
    assert "<text" in svg and ax.get_title("left").split(",")[0] in svg


# -- plot_waves ------------------------------------------------------------------------------


def test_charts_waves_bars_are_the_compare_totals(cb, mini):
    corpus, codings = mini
    totals = compare_waves(codings, corpus, family="basis", codebook=cb).totals
    ax = plot_waves(codings, corpus, family="basis", codebook=cb)
    before, after = ax.containers
    assert [p.get_width() for p in before] == [float(v) for v in totals["before"]]
    assert [p.get_width() for p in after] == [float(v) for v in totals["after"]]
    assert ticks(ax.get_yticklabels()) == totals["label"].tolist()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T0 (3 pilots)", "T1 (3 pilots)"]
    assert all(b.get_y() < a.get_y() for b, a in zip(before, after))  # before above after (inverted y)


def test_charts_waves_on_the_sample_in_count_order(sample):
    corpus, codings = sample
    totals = compare_waves(codings, corpus, family="basisset").totals.set_index("label")
    ax = plot_waves(codings, corpus, family="basisset", order="count")
    labels = ticks(ax.get_yticklabels())
    before, after = ([p.get_width() for p in c] for c in ax.containers)
    assert after == sorted(after, reverse=True)
    assert before == [float(totals.loc[label, "before"]) for label in labels]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T0 (15 pilots)", "T1 (16 pilots)"]


def test_charts_use_the_okabe_ito_palette(cb, mini):
    from matplotlib.colors import to_hex

    corpus, codings = mini
    ax = plot_waves(codings, corpus, family="basis", codebook=cb)
    colours = {to_hex(p.get_facecolor()).upper() for p in ax.patches}
    assert colours <= {c.upper() for c in PALETTE} and len(colours) == 2


# -- all charts ------------------------------------------------------------------------------

PLOTS = [
    (plot_totals, {"wave": "T0"}),
    (plot_matrix, {"wave": "T1"}),
    (plot_waves, {}),
]


@pytest.mark.parametrize("plot, kwargs", PLOTS)
def test_charts_draw_on_the_given_axes_and_return_it(cb, mini, plot, kwargs):
    corpus, codings = mini
    fig, ax = plt.subplots()
    assert plot(codings, corpus, family="basis", codebook=cb, ax=ax, **kwargs) is ax
    assert fig.get_size_inches().tolist() == pytest.approx(plt.rcParams["figure.figsize"])  # not resized
    assert len(ax.patches) + len(ax.collections) > 0


@pytest.mark.parametrize("plot, kwargs", PLOTS)
def test_charts_never_show_the_personal_question(cb, mini, plot, kwargs):
    corpus, codings = mini
    assert PERSONAL in corpus.answers["answer"].tolist()  # the corpus does hold it
    drawn = texts(plot(codings, corpus, family="basis", codebook=cb, **kwargs).figure)
    assert "Jan" not in drawn and "06-" not in drawn
    assert "Alpha" in drawn or "Code A" in drawn


@pytest.mark.parametrize("plot, kwargs", PLOTS)
def test_charts_new_figures_are_a4_wide(cb, mini, plot, kwargs):
    corpus, codings = mini
    ax = plot(codings, corpus, family="basis", codebook=cb, **kwargs)
    assert ax.figure.get_size_inches()[0] == pytest.approx(16 / 2.54)


# -- save_chart ------------------------------------------------------------------------------


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_charts_save_writes_png_at_200_dpi_and_svg(cb, mini, tmp_path):
    corpus, codings = mini
    ax = plot_totals(codings, corpus, family="basis", wave="T0", codebook=cb)
    width_in, height_in = ax.figure.get_size_inches()
    paths = save_chart(ax, tmp_path / "charts" / "basis.T0")
    assert paths == [tmp_path / "charts" / "basis.T0.png", tmp_path / "charts" / "basis.T0.svg"]
    w, h = png_size(paths[0])
    assert w == pytest.approx(width_in * 200, abs=2) and h == pytest.approx(height_in * 200, abs=2)
    svg = paths[1].read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == ["basis.T0.png", "basis.T0.svg"]  # no temp files
    assert not plt.fignum_exists(ax.figure.number)  # closed after saving


def test_charts_save_keeps_the_figure_open_when_asked_and_takes_a_figure(cb, mini, tmp_path):
    corpus, codings = mini
    ax = plot_matrix(codings, corpus, family="basis", wave="T0", codebook=cb)
    paths = save_chart(ax.figure, tmp_path / "m", close=False)
    assert all(p.stat().st_size > 0 for p in paths)
    assert plt.fignum_exists(ax.figure.number)


@pytest.mark.parametrize("height", [2.3, 1.37, 3.1111, 5.05])  # inches: 200 dpi gives 459.99.. or 274.0 pixels
@pytest.mark.parametrize("plot", [plot_totals, plot_matrix])
def test_charts_save_png_is_rgb_with_the_pixels_matplotlib_draws(cb, mini, tmp_path, plot, height):
    import numpy as np
    from PIL import Image

    from quickscan.charts import _write_png

    corpus, codings = mini
    ax = plot(codings, corpus, family="basis", wave="T0", codebook=cb)
    ax.figure.set_figheight(height)
    ax.figure.savefig(tmp_path / "mpl.png", dpi=200, facecolor="white")
    _write_png(ax.figure, tmp_path / "ours.png")
    with Image.open(tmp_path / "ours.png") as ours, Image.open(tmp_path / "mpl.png") as theirs:
        assert ours.mode == "RGB" and ours.info["dpi"] == pytest.approx((200, 200), abs=0.01)
        assert np.array_equal(np.asarray(ours), np.asarray(theirs.convert("RGB")))
    with Image.open(save_chart(ax, tmp_path / "chart", formats=("png",))[0]) as saved:
        assert saved.mode == "RGB"


def test_charts_rehearsal_in_memory_leaves_no_figure_open():
    from quickscan.charts import _rehearse

    figures = plt.get_fignums()
    _rehearse()
    assert plt.get_fignums() == figures


def test_charts_save_replaces_an_old_chart(cb, mini, tmp_path):
    corpus, codings = mini
    (tmp_path / "t.png").write_bytes(b"old")
    save_chart(plot_totals(codings, corpus, family="basis", wave="T0", codebook=cb), tmp_path / "t")
    assert png_size(tmp_path / "t.png")[0] > 1000


def test_charts_save_rejects_what_is_not_a_chart(tmp_path):
    with pytest.raises(TypeError, match="Axes or a Figure"):
        save_chart("chart.png", tmp_path / "x")


def test_charts_import_quickscan_does_not_import_matplotlib():
    code = "import sys, quickscan, quickscan.charts; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_charts_cooccurrence_of_many_codes_has_a_colour_bar_instead_of_counts(monkeypatch):
    """Past COOCCURRENCE_COUNTS codes a number per cell would be too small to read: the cells
    keep their shade (the counts stay the image's array) and a colour bar gives the scale."""
    from quickscan import charts

    codes = "\n".join(f"      - {{id: c{i}, label: Code {i}}}" for i in range(6))
    cb6 = Codebook.from_yaml(f"id: six\nname: Six\nfamilies:\n  - id: basis\n    label: Basis\n    codes:\n{codes}\n")
    corpus = corpus_of(*((f"Pilot {i}", "T0") for i in range(5)))
    codings = codings_of(*((pid, "T0", f"c{i % 6}") for i, pid in enumerate(corpus.pilot_ids)))
    ax = charts.plot_cooccurrence(codings, corpus, family="basis", wave="T0", codebook=cb6)
    assert len(ax.texts) == 36 and len(ax.figure.axes) == 1
    monkeypatch.setattr(charts, "COOCCURRENCE_COUNTS", 5)
    ax = charts.plot_cooccurrence(codings, corpus, family="basis", wave="T0", codebook=cb6)
    assert not ax.texts and len(ax.figure.axes) == 2  # the grid and its colour bar
    assert ax.images[0].get_array().diagonal().tolist() == [1, 1, 1, 1, 1, 0]
