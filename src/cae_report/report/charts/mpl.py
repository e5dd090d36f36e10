"""The static backend: a :class:`~.spec.ChartSpec` drawn by matplotlib for the page (PDF).

Figures are ``matplotlib.figure.Figure`` objects on an explicit Agg canvas, never pyplot: no
global figure registry, nothing leaks between charts or into a notebook's inline backend.
Settings apply through ``rc_context`` only while a chart is drawn or saved.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cae_report.report.charts.fonts import register_body_font
from cae_report.report.charts.spec import Axis, Bars, ChartSpec, Connectors, Line, Rule
from cae_report.report.charts.style import (
    FIG_WIDTH_IN,
    FONT_PT,
    GRID,
    LABEL_WRAP_STATIC,
    STATIC_FONT,
    STATIC_FONT_FALLBACK,
    SVG_HASHSALT,
    TEXT,
    TITLE_PT,
    TITLE_WRAP_STATIC,
    wrap,
)

RC: dict[str, Any] = {
    "font.family": [STATIC_FONT, "DejaVu Serif"],
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": FONT_PT,
    "ytick.labelsize": FONT_PT,
    "legend.fontsize": FONT_PT,
    "figure.titlesize": TITLE_PT,
    "figure.titleweight": "bold",
    "text.color": TEXT,
    "axes.labelcolor": TEXT,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "hatch.color": "white",
    "svg.hashsalt": SVG_HASHSALT,
    # Text as text: Typst sets it in the PDF's own font, searchable and copyable.
    "svg.fonttype": "none",
}
"""matplotlib settings applied while a chart is built and saved (``rc_context``: never global)."""


class OnePassLayout(ConstrainedLayoutEngine):
    """matplotlib's constrained layout, its algorithm run once instead of twice.

    matplotlib runs it a second time for decorations that change size once the axes have
    moved: tick labels it picks again for the new size. A chart's ticks and their texts are
    fixed by its spec (:class:`~.spec.Axis`), so the second run moved the report's charts by
    at most 0.6 pt (a legend placed a hundredth of the plot's height above it) and cost a
    quarter of the drawing (``tests/test_charts.py`` compares both layouts on every chart).
    """

    def execute(self, fig: Figure) -> Any:
        from matplotlib import _constrained_layout as layout

        with _ONE_PASS:  # two threads laying out at once must not undo each other's change
            layout.range = _once  # the module's `for _ in range(2)`, run once
            try:
                return super().execute(fig)
            finally:
                del layout.range


_ONE_PASS = threading.Lock()


def _once(_times: int) -> range:
    return range(1)


@contextmanager
def _style() -> Iterator[None]:
    register_body_font()
    with mpl.rc_context(RC):
        yield


def draw(spec: ChartSpec) -> Figure:
    """The static figure of ``spec``, sized for an A4 text column."""
    with _style():
        fig = Figure(figsize=(FIG_WIDTH_IN, spec.height_in), layout=OnePassLayout())
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax2 = ax.twinx() if spec.secondary_axis is not None else None
        n = len(spec.categories.labels)
        for mark in spec.marks:
            target = ax2 if getattr(mark, "secondary", False) and ax2 is not None else ax
            _draw_mark(target, mark, spec.horizontal, n)
        _value_axis(ax, spec.value_axis, spec.horizontal)
        if ax2 is not None and spec.secondary_axis is not None:
            ax2.spines["right"].set_visible(True)
            _value_axis(ax2, spec.secondary_axis, spec.horizontal)
        _category_axis(ax, spec)
        fig.suptitle(wrap(spec.title, TITLE_WRAP_STATIC), x=0.01, ha="left")
        if spec.legend_entries:
            # Above the plot, under the title, as on screen; an axes legend, so that the
            # constrained layout makes room for it.
            ax.legend(
                handles=[_handle(e) for e in spec.legend_entries],
                loc="lower left",
                bbox_to_anchor=(0.0, 1.01),
                ncols=min(3, len(spec.legend_entries)),
                frameon=False,
                borderaxespad=0.0,
                handlelength=1.6,
            )
    return fig


def _draw_mark(ax: Axes, mark: Any, horizontal: bool, n: int) -> None:
    if isinstance(mark, Bars):
        bar = ax.barh if horizontal else ax.bar
        size = {"height": mark.width} if horizontal else {"width": mark.width}
        where = {"left": mark.bases} if horizontal else {"bottom": mark.bases}
        bars = bar(mark.positions, mark.lengths, color=mark.color, **size, **where)
        if mark.hatched:
            for patch in bars:
                patch.set_hatch("///")
        if mark.labels:
            ax.bar_label(bars, labels=list(mark.labels), padding=1.5)
    elif isinstance(mark, Line):
        ax.plot(
            mark.positions, mark.values, color=mark.color, marker="o", markersize=4, linewidth=2
        )
        for x, y, text, below in zip(
            mark.positions, mark.values, mark.labels, mark.below, strict=True
        ):
            ax.annotate(
                text,
                (x, y),
                textcoords="offset points",
                xytext=(0, -7 if below else 6),
                ha="center",
                va="top" if below else "bottom",
                color=mark.color,
            )
    elif isinstance(mark, Rule):
        line = ax.axvline if horizontal else ax.axhline
        line(mark.value, color=mark.color, linewidth=mark.width, zorder=3)
    elif isinstance(mark, Connectors):
        for value, start, end in mark.segments:
            xs, ys = (
                ([value, value], [start, end]) if horizontal else ([start, end], [value, value])
            )
            ax.plot(xs, ys, color=mark.color, linewidth=0.8, linestyle=(0, (2, 2)))


def _value_axis(ax: Axes, axis: Axis, horizontal: bool) -> None:
    if horizontal:
        ax.set_xlim(axis.lo, axis.hi)
        ax.set_xticks(axis.ticks, axis.tick_texts)
        ax.set_xlabel(axis.title)
    else:
        ax.set_ylim(axis.lo, axis.hi)
        ax.set_yticks(axis.ticks, axis.tick_texts)
        ax.set_ylabel(axis.title)
    if axis.grid:
        ax.grid(axis="x" if horizontal else "y", color=GRID, linewidth=0.6)


def _category_axis(ax: Axes, spec: ChartSpec) -> None:
    cats = spec.categories
    labels_text = cats.wrapped(LABEL_WRAP_STATIC)
    positions = list(range(len(cats.labels)))
    edge = (-0.5, len(cats.labels) - 0.5)
    if spec.horizontal:
        ax.set_ylim(edge[1], edge[0])  # first category on top
        ax.set_yticks(positions, labels_text)
        labels = ax.get_yticklabels()
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        if cats.values:
            column = ax.secondary_yaxis("right")
            column.set_yticks(positions, cats.values)
            column.tick_params(axis="y", length=0)
            column.spines["right"].set_visible(False)
    else:
        ax.set_xlim(*edge)
        ax.set_xticks(positions, labels_text)
        labels = ax.get_xticklabels()
    for label, heading in zip(labels, cats.headings, strict=True):
        if heading:
            label.set_fontweight("bold")


def _handle(entry: Any) -> Any:
    if entry.kind == "line":
        return Line2D([], [], color=entry.color, marker="o", markersize=4, label=entry.label)
    if entry.kind == "rule":
        return Line2D([], [], color=entry.color, linewidth=1.6, label=entry.label)
    hatch = "///" if entry.kind == "hatched" else None
    return Patch(facecolor=entry.color, hatch=hatch, label=entry.label)


class _OneRendererSVG(FigureCanvasSVG):
    """An SVG canvas on which the constrained layout and the drawing use the one renderer.

    ``savefig`` lays a figure out in a draw of its own, on a renderer made for it, then draws
    on another: every text is measured twice, and the layout's draw is done for nothing.
    Printed here, the layout is done in the drawing, and ``Figure._get_renderer`` asks the
    canvas for its renderer, so each text is measured once. Same bytes, a third less time."""

    renderer: Any = None

    def get_renderer(self) -> Any:
        return self.renderer


class _FontHeights:
    """The line metrics of a font, computed once per font and size for one drawing.

    matplotlib lays out every text (each tick label, at every layout pass and again to draw
    it) with its font's line metrics; it asks the renderer for them
    (``_get_font_height_metrics``) and, when the renderer has none (SVG), looks the font up
    and reads its tables anew: a sixth of a chart's SVG time. This renderer has them, read
    as matplotlib reads them (``Text._get_layout``), once per font properties; the SVG is
    the same, byte for byte (``tests/test_charts.py`` compares it with ``savefig``'s)."""

    def __init__(self, dpi: float) -> None:
        self.dpi = dpi
        self.known: dict[tuple, tuple[float | None, float | None, float | None]] = {}

    def __call__(self, prop: Any) -> tuple[float | None, float | None, float | None]:
        key = (
            tuple(prop.get_family()),
            prop.get_slant(),
            prop.get_variant(),
            prop.get_weight(),
            prop.get_stretch(),
            prop.get_size_in_points(),
            prop.get_file(),
            prop.get_math_fontfamily(),
        )
        if key not in self.known:
            self.known[key] = self._read(prop)
        return self.known[key]

    def _read(self, prop: Any) -> tuple[float | None, float | None, float | None]:
        font = font_manager.get_font(font_manager.fontManager._find_fonts_by_props(prop))
        for table_name, gap, ascent, descent in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent"),
        ):
            table = font.get_sfnt_table(table_name)
            if table is None:
                continue
            units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
            scale = 1 / units_per_em * prop.get_size_in_points() * self.dpi / 72
            return table[ascent] * scale, -table[descent] * scale, table[gap] * scale
        return None, None, None


def svg(fig: Figure) -> str:
    """The figure as SVG text: fixed ids, no date, text as text, scalable to its container."""
    buf = io.StringIO()
    with _style():
        canvas, agg = _OneRendererSVG(fig), fig.canvas

        def draw(renderer: Any) -> None:
            canvas.renderer = renderer
            renderer._get_font_height_metrics = _FontHeights(fig.dpi)
            Figure.draw(fig, renderer)

        fig.draw = draw  # the renderer print_svg makes, known before the layout asks for it
        try:
            canvas.print_svg(buf, metadata={"Date": None})
        finally:
            del fig.draw
            fig.set_canvas(agg)
    return finished(buf.getvalue())


def finished(text: str) -> str:
    """matplotlib's SVG text as the report gives it: a fallback after the body font (for a
    browser that lacks it), and a width that follows its container."""
    text = text.replace(
        f"font-family: '{STATIC_FONT}'", f"font-family: '{STATIC_FONT}', {STATIC_FONT_FALLBACK}"
    )
    # An SVG inlined in an HTML page (nbconvert, GitHub) shrinks on a narrow screen.
    return text.replace("<svg ", '<svg style="max-width: 100%; height: auto" ', 1)
