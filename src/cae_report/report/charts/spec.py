"""One chart, described once: what is drawn where, in which colour, with which words.

A :class:`ChartSpec` holds everything a reader sees (bars, lines, reference rules, the axes
with their ranges, ticks and tick texts, the category labels, the value labels, the legend,
the title and the alt text), in data units and as final French strings. The matplotlib and
plotly backends (:mod:`.mpl`, :mod:`.plotly`) only translate it: they compute no range, no
tick, no label and no colour of their own, so the PDF and the HTML show the same chart.

Categories sit at positions 0, 1, 2… along the category axis (top to bottom for horizontal
bars, left to right for vertical ones); both backends draw numeric positions with the labels
as tick texts, so two categories with the same name stay two rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cae_report import fr
from cae_report.report.charts.style import (
    FIG_HEIGHT_IN,
    LABEL_WRAP_INTERACTIVE,
    LABEL_WRAP_STATIC,
    PLOTLY_HEIGHT,
    category_labels,
    drawn_text,
)

ROWS_MIN_IN = 2.4
ROWS_MAX_IN = 8.0
"""Most height of a static chart: the text height of an A4 page, less a caption."""
ROWS_MIN_PX = 300
"""Least height of a horizontal chart: two or three bars need no more."""

UNITS: dict[str, tuple[Callable[[float], str], str, str]] = {
    "int": (fr.fmt_int, ",d", ""),
    "eur": (fr.fmt_eur, ",.0f", fr.NBSP + "€"),
    "pct": (fr.fmt_pct, ",.0f", fr.PCT_SPACE + "%"),
}
"""Unit of a value axis: the French formatter of its tick texts, and the same format for
plotly.js (d3-format with the French ``separators``, plus a suffix), which picks the ticks
again when a narrow screen has room for fewer of them."""


@dataclass(frozen=True)
class Axis:
    """A value axis: its title, its range, its unit and its ticks, with their texts."""

    title: str
    lo: float
    hi: float
    unit: str
    ticks: tuple[float, ...]
    tick_texts: tuple[str, ...]
    grid: bool = True


@dataclass(frozen=True)
class Categories:
    """The category axis: one label per position; ``headings`` are rows without a bar that
    introduce a group (bold); ``values`` is the column of value labels on the far side of a
    horizontal chart (empty for vertical charts, whose labels sit on the bars). Labels are
    wrapped by each backend for its width (:meth:`wrapped`)."""

    labels: tuple[str, ...]
    headings: tuple[bool, ...] = ()
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.headings:
            object.__setattr__(self, "headings", (False,) * len(self.labels))
        if self.values and len(self.values) != len(self.labels):
            raise ValueError("one value label per category")

    def wrapped(self, width: int) -> tuple[str, ...]:
        """The labels on lines of ``width`` characters (headings as they are)."""
        rows = list(zip(self.labels, self.headings, strict=True))
        body = iter(category_labels([t for t, h in rows if not h], width))
        return tuple(t if h else next(body) for t, h in rows)


@dataclass(frozen=True)
class Bars:
    """One series of bars: one colour, one legend entry (``name``, None for no entry).

    A bar spans ``base`` to ``base + length`` along the value axis at ``position`` on the
    category axis; ``labels`` (vertical charts) are drawn above each bar's end, ``hover`` is
    what the interactive chart says on mouse-over.
    """

    color: str
    positions: tuple[float, ...]
    lengths: tuple[float, ...]
    hover: tuple[str, ...]
    name: str | None = None
    bases: tuple[float, ...] = ()
    width: float = 0.65
    hatched: bool = False
    labels: tuple[str, ...] = ()
    secondary: bool = False

    def __post_init__(self) -> None:
        if not self.bases:
            object.__setattr__(self, "bases", (0.0,) * len(self.positions))
        sizes = {len(self.positions), len(self.lengths), len(self.hover), len(self.bases)}
        if self.labels:
            sizes.add(len(self.labels))
        if len(sizes) != 1:
            raise ValueError("a series needs one length, base, hover text (and label) per bar")


@dataclass(frozen=True)
class Line:
    """A line with markers and a label at each point, above it or (``below``) under it."""

    color: str
    positions: tuple[float, ...]
    values: tuple[float, ...]
    labels: tuple[str, ...]
    below: tuple[bool, ...]
    hover: tuple[str, ...]
    name: str | None = None
    secondary: bool = False


@dataclass(frozen=True)
class Rule:
    """A straight line across the categories at one value (a target, the zero of a variance)."""

    value: float
    color: str
    width: float = 1.0
    name: str | None = None


@dataclass(frozen=True)
class Connectors:
    """Short dotted segments at a value between two positions (the steps of a waterfall)."""

    color: str
    segments: tuple[tuple[float, float, float], ...]
    """(value, from position, to position)"""


Mark = Bars | Line | Rule | Connectors


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str
    kind: str  # "bar", "hatched", "line" (with markers), "rule"


@dataclass(frozen=True)
class ChartSpec:
    """Everything one chart shows. ``horizontal``: categories down the y axis, values along x."""

    name: str
    title: str
    alt: str
    horizontal: bool
    categories: Categories
    value_axis: Axis
    marks: tuple[Mark, ...]
    secondary_axis: Axis | None = None
    hover_unified: bool = False
    legend_entries: tuple[LegendEntry, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "legend_entries", tuple(_legend(self.marks)))

    def text_lines(self, width: int) -> int:
        """Lines of text of the category axis with labels wrapped at ``width``: what sets the
        height of a horizontal chart."""
        rows = [
            max(label.count("\n"), value.count("\n")) + 1
            for label, value in zip(
                self.categories.wrapped(width),
                self.categories.values or ("",) * len(self.categories.labels),
                strict=True,
            )
        ]
        return sum(rows)

    @property
    def height_in(self) -> float:
        """Height of the static figure: a row needs 0.28 in, a further line of label 0.14 in;
        rows come closer (0.2 in at least) rather than run off the page."""
        if not self.horizontal:
            return FIG_HEIGHT_IN
        return max(
            ROWS_MIN_IN,
            self._rows_height(LABEL_WRAP_STATIC, (1.3, 0.25, 0.28, 0.14), (0.2, ROWS_MAX_IN)),
        )

    @property
    def height_px(self) -> int:
        """Height of the interactive figure, from the same rows and lines as :attr:`height_in`
        (a page scrolls: no most)."""
        if not self.horizontal:
            return PLOTLY_HEIGHT
        return round(max(ROWS_MIN_PX, self._rows_height(LABEL_WRAP_INTERACTIVE, (170, 30, 34, 16))))

    def _rows_height(
        self,
        wrap: int,
        sizes: tuple[float, float, float, float],
        squeeze: tuple[float, float] | None = None,
    ) -> float:
        """``sizes``: the fixed part, the legend, a row and a further line of label;
        ``squeeze``: the least row and the most height."""
        base, legend, row, line = sizes
        rows = len(self.categories.labels)
        fixed = (
            base + (legend if self.legend_entries else 0) + line * (self.text_lines(wrap) - rows)
        )
        if squeeze is not None:
            least, most = squeeze
            row = min(row, max(least, (most - fixed) / rows))
        return fixed + row * rows


def _legend(marks: Sequence[Mark]) -> list[LegendEntry]:
    """One entry per named mark, in drawing order: a legend names only what is drawn."""
    entries = []
    for mark in marks:
        if getattr(mark, "name", None) is None:
            continue
        if isinstance(mark, Bars):
            kind = "hatched" if mark.hatched else "bar"
        elif isinstance(mark, Line):
            kind = "line"
        else:
            kind = "rule"
        entries.append(LegendEntry(str(mark.name), mark.color, kind))
    return entries


# --- axes ---------------------------------------------------------------------------------------


def nice_step(span: float, most: int = 6, integer: bool = False) -> float:
    """The smallest round step (1, 2, 2.5 or 5 × 10^n) that cuts ``span`` in at most ``most``."""
    if span <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(span / most))
    for mult in (1, 2, 2.5, 5, 10):
        step = mult * magnitude
        if integer and step < 1:
            continue
        if integer and mult == 2.5 and magnitude < 1:
            continue
        if span / step <= most:
            return float(step)
    return float(10 * magnitude)


def value_axis(
    title: str,
    lo: float,
    hi: float,
    unit: str,
    integer: bool = False,
    grid: bool = True,
    most: int = 6,
) -> Axis:
    """An axis over [lo, hi] in ``unit`` (:data:`UNITS`) with round ticks inside it, their
    texts drawn with U+2212."""
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    step = nice_step(hi - lo, most, integer)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else round(value, 10))
        value += step
    fmt = UNITS[unit][0]
    texts = tuple(drawn_text(fmt(t)) for t in ticks)
    return Axis(title, lo, hi, unit, tuple(ticks), texts, grid)


def padded_range(values: Sequence[float], pad: float = 0.04) -> tuple[float, float]:
    """The values' extent, with 0 included, widened by ``pad`` of it on the side(s) in use."""
    lo, hi = min(0.0, *values), max(0.0, *values)
    if lo == hi:  # all zero: a symmetric default instead of a singular axis
        return (-1.0, 1.0)
    span = hi - lo
    return (lo - pad * span if lo < 0 else 0.0, hi + pad * span if hi > 0 else 0.0)


def headroom(top: float, label_lines: int) -> float:
    """The top of a vertical value axis leaving room above the highest bar for its label.

    Both backends have a fixed height (3.4 in, 440 px), in which a line of label takes about
    7.5 % of the plot area; the room is the same share in both.
    """
    return max(top, 1.0) / (1.0 - 0.04 - 0.075 * label_lines)
