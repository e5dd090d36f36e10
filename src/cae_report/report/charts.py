"""The report's charts: one function per chart, each drawing the same data twice.

The PDF needs static images (matplotlib) and the HTML interactive ones (plotly). Building both
from one DataFrame in one function keeps them from drifting apart: same numbers, same colours,
same French formatting (everything goes through :mod:`cae_report.fr`), same alt text.

Figures are created with ``matplotlib.figure.Figure`` on an explicit Agg canvas, never through
pyplot: no global figure registry, nothing leaks between charts or into a notebook's inline
backend, and no backend switch is needed.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from plotly.subplots import make_subplots

from cae_report import fr

# --- palette and style ------------------------------------------------------------------------

OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
"""Okabe & Ito (2008): eight colours distinguishable with every common colour-vision deficiency."""

NEUTRAL = "#8F8F8F"
"""Grey for "the rest" next to a highlighted colour (not an Okabe-Ito hue, carries no meaning);
3.2:1 against white, the least a mark needs (WCAG 2.1, 1.4.11 non-text contrast)."""

MARK_CONTRAST_MIN = 3.0
"""Least contrast ratio of a mark's colour with the white background (WCAG 1.4.11)."""

OKABE_ITO_DARK: dict[str, str] = {
    "orange": "#A97500",
    "sky_blue": "#1D97DC",
}
"""The two Okabe-Ito hues too light for a mark on white (2.3:1), darkened at the same hue and
saturation until they reach 4.0:1 and 3.2:1 (``tests/test_accessibility.py`` checks every role)."""

PALETTE: tuple[str, ...] = (*OKABE_ITO.values(), *OKABE_ITO_DARK.values(), NEUTRAL)
"""Every colour a chart may use, in either backend."""

COLORS: dict[str, str] = {
    "entries": OKABE_ITO["bluish_green"],
    "exits": OKABE_ITO["vermillion"],
    "headcount": OKABE_ITO["blue"],
    "increase": OKABE_ITO["bluish_green"],
    "decrease": OKABE_ITO["vermillion"],
    "total": OKABE_ITO["blue"],
    "main": OKABE_ITO["blue"],
    "highlight": OKABE_ITO_DARK["orange"],
    "muted": NEUTRAL,
    "rounded": OKABE_ITO_DARK["sky_blue"],
    "met": OKABE_ITO["bluish_green"],
    "not_met": OKABE_ITO["vermillion"],
    "target": OKABE_ITO["black"],
    "ink": OKABE_ITO["black"],
}
"""Colour by role, so that "increase" or "highlight" means the same in every chart."""

FIG_WIDTH_IN = 6.3
"""Text width of an A4 page with 2.5 cm margins (16 cm)."""
FIG_HEIGHT_IN = 3.4
PNG_DPI = 200
PLOTLY_HEIGHT = 440
PLOTLY_FONT = "Open Sans, Arial, sans-serif"
SVG_HASHSALT = "cae-report"
"""Fixed salt for the SVG element ids, so that the same chart gives the same SVG bytes."""

MPL_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO.values())),
    "hatch.color": "white",
    "svg.hashsalt": SVG_HASHSALT,
    "svg.fonttype": "path",
}
"""matplotlib settings applied while a chart is built and saved (``rc_context``: never global)."""

TITLE_WRAP = 72
LABEL_MAX_LINES = 2
"""A category label (axis tick) takes at most this many lines, the rest ending in "…": a
third line would run into the neighbouring rows, whose spacing is fixed."""
OTHERS_LABEL = "Autres"
"""Label of the bar grouping the categories beyond ``top`` (followed by their count)."""


@dataclass(frozen=True, eq=False)
class Chart:
    """One chart of the report, in both backends, with the data and words that describe it.

    ``name`` is a stable id (``movements-monthly``): it names the PNG/SVG files and the HTML
    ``div`` so that a rebuild gives identical bytes. ``alt`` is the sentence a screen reader
    (and the notebook's text output) gets instead of the picture.
    """

    name: str
    title: str
    alt: str
    mpl: Figure
    plotly: go.Figure
    data: pd.DataFrame


# --- small shared helpers ---------------------------------------------------------------------


def _require_columns(df: pd.DataFrame, columns: Iterable[str], chart: str) -> None:
    """Fail early, naming what is missing, rather than with a KeyError deep in the drawing."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{chart}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{chart}: missing column(s): {', '.join(missing)}")
    if df.empty:
        raise ValueError(f"{chart}: no rows to plot")


def _wrap(text: str, width: int, newline: str = "\n", max_lines: int | None = None) -> str:
    """Wrap a label on word boundaries (``<br>`` for plotly, ``\\n`` for matplotlib).

    With ``max_lines``, a longer text is cut at a word boundary and ends with "…".
    """
    lines = textwrap.wrap(
        str(text), width, break_long_words=False, max_lines=max_lines, placeholder=" …"
    )
    return newline.join(lines) or str(text)


def _category_labels(labels: Iterable[Any], width: int, newline: str = "\n") -> list[str]:
    """Axis labels of categories: wrapped, at most :data:`LABEL_MAX_LINES` lines.

    Cutting must not merge two categories (plotly would draw them as one): if two cut
    labels coincide, the labels are wrapped in full instead.
    """
    texts = [str(label) for label in labels]
    cut = [_wrap(t, width, newline, LABEL_MAX_LINES) for t in texts]
    if len(set(cut)) < len(set(texts)):
        return [_wrap(t, width, newline) for t in texts]
    return cut


MINUS_SIGN = "\u2212"
_SIGN_MINUS = re.compile(r"(?<![\w.,])-(?=\d)")


def _drawn_text(text: Any) -> str:
    """A value label as drawn: the sign of a negative number as U+2212 MINUS SIGN.

    :mod:`cae_report.fr` writes U+002D so that tables and text stay copy-pastable; a chart is
    not copied from, and plotly's own tick labels use U+2212, so the labels drawn next to
    them must too (``-10 000 €`` next to a ``−20 000 €`` tick looks like two signs).
    Category labels and titles are left as given (they name things, not numbers).
    """
    return _SIGN_MINUS.sub(MINUS_SIGN, str(text))


def _drawn_texts(texts: Iterable[Any]) -> list[str]:
    return [_drawn_text(t) for t in texts]


def _eur_axis() -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: fr.fmt_eur(x))


def _int_axis() -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: fr.fmt_int(x))


def _pct_axis() -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: fr.fmt_pct(x))


def _drawn(formatter: FuncFormatter) -> FuncFormatter:
    """A matplotlib tick formatter whose negative numbers are written with U+2212."""
    return FuncFormatter(lambda x, pos: _drawn_text(formatter(x, pos)))


@contextmanager
def _style() -> Iterator[None]:
    """matplotlib settings for the duration of a build or a save, restored afterwards."""
    with mpl.rc_context(MPL_RC):
        yield


def _new_figure(height_in: float = FIG_HEIGHT_IN) -> tuple[Figure, Axes]:
    """A standalone figure on an Agg canvas (no pyplot), sized for an A4 text column."""
    fig = Figure(figsize=(FIG_WIDTH_IN, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _mpl_title(fig: Figure, title: str) -> None:
    """Left-aligned figure title, wrapped so that it never runs off the page."""
    fig.suptitle(_wrap(title, TITLE_WRAP), x=0.01, ha="left")


def _rows_height(labels: Sequence[str]) -> float:
    """Figure height for a horizontal bar chart: grows with the label lines, never below 3.4 in.

    A row needs about 0.28 in, plus 0.14 in per extra line of a wrapped label.
    """
    extra_lines = sum(label.count("\n") for label in labels)
    return max(FIG_HEIGHT_IN, 1.3 + 0.28 * len(labels) + 0.14 * extra_lines)


def _fit_texts_x(fig: Figure, ax: Axes, texts: Sequence[Any], rounds: int = 6) -> None:
    """Widen the x limits until every value label lies inside the axes.

    Labels are placed in points next to bars whose ends are in data units, so the room they
    need depends on the final layout; measuring after a draw is the only reliable way.
    """
    texts = [t for t in texts if t.get_text()]
    for _ in range(rounds):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = ax.get_window_extent(renderer)
        extents = [t.get_window_extent(renderer) for t in texts]
        over_hi = max((e.x1 for e in extents), default=box.x1) - box.x1 + 4
        over_lo = box.x0 - min((e.x0 for e in extents), default=box.x0) + 4
        if over_hi <= 4.5 and over_lo <= 4.5:
            return
        lo, hi = ax.get_xlim()
        per_px = (hi - lo) / box.width
        ax.set_xlim(
            lo - max(over_lo, 0) * per_px * 1.2 if over_lo > 4.5 else lo,
            hi + max(over_hi, 0) * per_px * 1.2 if over_hi > 4.5 else hi,
        )


def _plotly_rows_height(labels: Sequence[str]) -> int:
    """Fixed plotly height in pixels for horizontal bars, from the rows and label lines."""
    extra_lines = sum(label.count("<br>") for label in labels)
    return max(PLOTLY_HEIGHT, 170 + 34 * len(labels) + 16 * extra_lines)


def _plotly_layout(
    fig: go.Figure, title: str, height: int = PLOTLY_HEIGHT, legend: bool = True, **extra: Any
) -> None:
    """Common plotly layout: French separators, plain template, title once, legend under it.

    The title is the figure's only title (no subplot titles) and sits above the legend, in
    the top margin, so the two never overlap; the margin shrinks when there is no legend.
    """
    fig.update_layout(
        template="simple_white",
        separators=fr.PLOTLY_SEPARATORS,
        height=height,
        font={"family": PLOTLY_FONT, "size": 14, "color": "#222222"},
        title={
            "text": _wrap(title, 90, "<br>"),
            "x": 0.01,
            "xref": "container",
            "xanchor": "left",
            "y": 0.98,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": 16},
        },
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"},
        margin={"l": 20, "r": 30, "t": 90 if legend else 60, "b": 50},
        hoverlabel={"font": {"family": PLOTLY_FONT, "size": 13}},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if extra:
        fig.update_layout(**extra)


def _nice_locator(integer: bool = False) -> MaxNLocator:
    """Five to seven ticks on round steps (1, 2, 5 × 10^n): a reader reads 10 000, not 8 000."""
    return MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=integer)


def _pad_range(values: Sequence[float], pad: float = 0.3) -> tuple[float, float]:
    """Axis limits from the data, including 0, with room on the sides for value labels."""
    lo, hi = min(0.0, *values), max(0.0, *values)
    if lo == hi:  # all zero: a symmetric default instead of a singular axis
        return (-1.0, 1.0)
    span = hi - lo
    return (lo - pad * span if lo < 0 else 0.0, hi + pad * span if hi > 0 else 0.0)


def _lower_first(label: str) -> str:
    """Lowercase a label's first letter inside a sentence, leaving acronyms (``CICE``) alone."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _share_pct(values: pd.Series) -> pd.Series:
    total = float(values.sum())
    return values / total * 100 if total else values * 0.0


# --- 1. movements -----------------------------------------------------------------------------


def movements_chart(monthly: pd.DataFrame, year: int) -> Chart:
    """Entries and exits per month as grouped bars, end-of-month headcount as a line.

    Exits are drawn upwards like entries (not as negative bars): the reader compares two counts,
    and a second axis carries the headcount, whose scale (80-90) would flatten the bars.
    """
    _require_columns(monthly, ["month", "entries", "exits", "headcount_end"], "movements_chart")
    data = monthly[["month", "entries", "exits", "headcount_end"]].copy()
    if data["month"].duplicated().any() or not data["month"].between(1, 12).all():
        raise ValueError("movements_chart: month must hold distinct values 1-12")
    data = data.sort_values("month").reset_index(drop=True)
    data["month_label"] = [fr.month_name(m, short=True) for m in data["month"]]
    title = f"Entrées, sorties et effectif par mois en {year}"
    alt = _movements_alt(data, year)
    counts_top, (head_lo, head_hi) = _movements_ranges(data)
    return Chart(
        name="movements-monthly",
        title=title,
        alt=alt,
        mpl=_movements_mpl(data, title, counts_top, (head_lo, head_hi)),
        plotly=_movements_plotly(data, title, counts_top, (head_lo, head_hi)),
        data=data,
    )


def _movements_ranges(data: pd.DataFrame) -> tuple[float, tuple[float, float]]:
    """Axis ranges that keep the bars in the lower 40 % and the headcount line above 58 %.

    The two series share the plot area; separating them vertically keeps bar labels and point
    labels from colliding whatever the values.
    """
    counts_top = max(1.0, float(data[["entries", "exits"]].to_numpy().max())) / 0.40
    lo, hi = float(data["headcount_end"].min()), float(data["headcount_end"].max())
    height = max(hi - lo, 3.0) / 0.30  # min at 58 %, max at 88 % of the axis
    bottom = hi - 0.88 * height
    return counts_top, (max(0.0, math.floor(bottom)), math.ceil(bottom + height))


def _is_dip(values: Sequence[float], i: int) -> bool:
    """True when a point is lower than a neighbour and not higher than any: label it below.

    A label above a dip would sit on the line segments coming down to it.
    """
    neighbours = [values[j] for j in (i - 1, i + 1) if 0 <= j < len(values)]
    return any(n > values[i] for n in neighbours) and all(n >= values[i] for n in neighbours)


def _movements_alt(data: pd.DataFrame, year: int) -> str:
    head = data["headcount_end"]
    low, high = data.loc[head.idxmin()], data.loc[head.idxmax()]
    last = data.iloc[-1]
    return (
        f"En {year}, {fr.fmt_count(data['entries'].sum(), 'entrée')} et "
        f"{fr.fmt_count(data['exits'].sum(), 'sortie')}{fr.SEMICOLON} l'effectif de fin de mois "
        f"varie de {fr.fmt_int(low['headcount_end'])} ({fr.month_name(low['month'])}) à "
        f"{fr.fmt_int(high['headcount_end'])} ({fr.month_name(high['month'])}) et s'établit à "
        f"{fr.fmt_int(last['headcount_end'])} fin {fr.month_name(last['month'])}."
    )


def _movements_mpl(
    data: pd.DataFrame, title: str, counts_top: float, head_range: tuple[float, float]
) -> Figure:
    with _style():
        fig, ax = _new_figure()
        x = list(range(len(data)))
        width = 0.38
        bars_in = ax.bar(
            [i - width / 2 for i in x],
            data["entries"],
            width,
            color=COLORS["entries"],
            label="Entrées",
        )
        bars_out = ax.bar(
            [i + width / 2 for i in x],
            data["exits"],
            width,
            color=COLORS["exits"],
            label="Sorties",
        )
        for bars in (bars_in, bars_out):
            ax.bar_label(
                bars, labels=_drawn_texts(fr.fmt_int(v) for v in bars.datavalues), padding=1.5
            )
        ax.set_xticks(x, data["month_label"])
        ax.set_ylim(0, counts_top)
        ax.yaxis.set_major_locator(_nice_locator(integer=True))
        ax.yaxis.set_major_formatter(_drawn(_int_axis()))
        ax.set_ylabel("Entrées et sorties (personnes)")
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ax2.plot(
            x,
            data["headcount_end"],
            color=COLORS["headcount"],
            marker="o",
            markersize=4,
            linewidth=2,
            label="Effectif fin de mois",
        )
        heads = list(data["headcount_end"])
        for i, v in enumerate(heads):
            below = _is_dip(heads, i)
            ax2.annotate(
                _drawn_text(fr.fmt_int(v)),
                (i, v),
                textcoords="offset points",
                xytext=(0, -7 if below else 6),
                ha="center",
                va="top" if below else "bottom",
                color=COLORS["headcount"],
            )
        ax2.set_ylim(*head_range)
        ax2.yaxis.set_major_locator(_nice_locator(integer=True))
        ax2.yaxis.set_major_formatter(_drawn(_int_axis()))
        ax2.set_ylabel("Effectif fin de mois (personnes)")
        _mpl_title(fig, title)
        handles = [bars_in, bars_out, *ax2.get_lines()]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    return fig


def _movements_plotly(
    data: pd.DataFrame, title: str, counts_top: float, head_range: tuple[float, float]
) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = list(data["month_label"])
    for col, label in (("entries", "Entrées"), ("exits", "Sorties")):
        fig.add_trace(
            go.Bar(
                x=months,
                y=list(data[col]),
                name=label,
                marker_color=COLORS[col],
                text=_drawn_texts(fr.fmt_int(v) for v in data[col]),
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"{label}{fr.COLON} %{{y:,.0f}}<extra></extra>",
            ),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(
            x=months,
            y=list(data["headcount_end"]),
            name="Effectif fin de mois",
            mode="lines+markers+text",
            line={"color": COLORS["headcount"], "width": 3},
            text=_drawn_texts(fr.fmt_int(v) for v in data["headcount_end"]),
            textposition=[
                "bottom center" if _is_dip(list(data["headcount_end"]), i) else "top center"
                for i in range(len(data))
            ],
            textfont={"color": COLORS["headcount"]},
            hovertemplate=f"Effectif fin de mois{fr.COLON} %{{y:,.0f}}<extra></extra>",
        ),
        secondary_y=True,
    )
    _plotly_layout(fig, title, barmode="group", hovermode="x unified")
    fig.update_xaxes(title_text=None, type="category")
    fig.update_yaxes(
        title_text="Entrées et sorties (personnes)",
        range=[0, counts_top],
        tickformat=",d",
        secondary_y=False,
    )
    fig.update_yaxes(
        title_text="Effectif fin de mois (personnes)",
        range=list(head_range),
        tickformat=",d",
        secondary_y=True,
        showgrid=False,
        tickmode="auto",
        nticks=5,
    )
    return fig


# --- 2. budget variances ----------------------------------------------------------------------


def variance_chart(
    lines: pd.DataFrame, title: str = "Écarts entre le réalisé et le budget"
) -> Chart:
    """Diverging horizontal bars of actual-minus-budget per line, material ones highlighted.

    Sorted by amount, so the largest overruns sit at one end and the largest shortfalls at the
    other; colour marks materiality, not good or bad (a positive variance is good for a
    product and bad for a charge).
    """
    _require_columns(lines, ["label", "variance_eur", "variance_pct", "material"], "variance_chart")
    data = lines[["label", "variance_eur", "variance_pct", "material"]].copy()
    if data["label"].duplicated().any():
        dups = ", ".join(sorted(set(data.loc[data["label"].duplicated(), "label"])))
        raise ValueError(f"variance_chart: duplicated label(s): {dups}")
    if data["variance_eur"].isna().any():
        raise ValueError("variance_chart: variance_eur has missing values")
    data["material"] = data["material"].astype(bool)
    data = data.sort_values("variance_eur", kind="stable").reset_index(drop=True)
    data["text"] = [
        _variance_text(e, p)
        for e, p in zip(data["variance_eur"], data["variance_pct"], strict=True)
    ]
    data["color"] = [COLORS["highlight"] if m else COLORS["muted"] for m in data["material"]]
    alt = _variance_alt(data)
    return Chart(
        name="budget-variances",
        title=title,
        alt=alt,
        mpl=_variance_mpl(data, title),
        plotly=_variance_plotly(data, title),
        data=data,
    )


def _variance_text(eur: float, pct: float) -> str:
    """``+23 606 € (+34 %)``; the percentage is left out when it is undefined."""
    text = fr.fmt_signed_eur(eur)
    return text if pd.isna(pct) else f"{text} ({fr.fmt_pct(pct, signed=True)})"


def _variance_alt(data: pd.DataFrame) -> str:
    n_material = int(data["material"].sum())
    parts = [
        f"Écarts au budget de {fr.fmt_count(len(data), 'poste')}, dont "
        f"{fr.fmt_count(n_material, 'écart significatif', 'écarts significatifs')}"
    ]
    top, bottom = data.iloc[-1], data.iloc[0]
    if top["variance_eur"] > 0:
        parts.append(f"le plus fort au-dessus du budget{fr.COLON} {top['label']}, {top['text']}")
    if bottom["variance_eur"] < 0:
        parts.append(f"le plus fort au-dessous{fr.COLON} {bottom['label']}, {bottom['text']}")
    return f"{fr.SEMICOLON} ".join(parts) + "."


def _variance_mpl(data: pd.DataFrame, title: str) -> Figure:
    with _style():
        labels = _category_labels(data["label"], 32)
        fig, ax = _new_figure(_rows_height(labels))
        y = list(range(len(data)))
        values = list(data["variance_eur"])
        ax.barh(y, values, color=list(data["color"]), height=0.65)
        ax.set_yticks(y, labels)
        ax.axvline(0, color=COLORS["ink"], linewidth=0.8)
        ax.set_xlim(*_pad_range(values, 0.05))
        ax.xaxis.set_major_locator(_nice_locator())
        ax.xaxis.set_major_formatter(_drawn(_eur_axis()))
        ax.set_xlabel("Écart réalisé − budget (€)")
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
        _mpl_title(fig, title)
        texts = [
            ax.annotate(
                text,
                (v, yi),
                textcoords="offset points",
                xytext=(4 if v >= 0 else -4, 0),
                ha="left" if v >= 0 else "right",
                va="center",
            )
            for yi, v, text in zip(y, values, _drawn_texts(data["text"]), strict=True)
        ]
        fig.legend(
            handles=[
                Patch(color=COLORS["highlight"], label="Écart significatif"),
                Patch(color=COLORS["muted"], label="Autre écart"),
            ],
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
        _fit_texts_x(fig, ax, texts)
    return fig


def _variance_plotly(data: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    labels = _category_labels(data["label"], 32, "<br>")
    full = list(data["label"])
    for material, name in ((True, "Écart significatif"), (False, "Autre écart")):
        mask = data["material"] == material
        fig.add_trace(
            go.Bar(
                orientation="h",
                x=list(data.loc[mask, "variance_eur"]),
                y=[lab for lab, m in zip(labels, mask, strict=True) if m],
                name=name,
                marker_color=COLORS["highlight"] if material else COLORS["muted"],
                text=_drawn_texts(data.loc[mask, "text"]),
                textposition="outside",
                cliponaxis=False,
                customdata=_drawn_texts(data.loc[mask, "text"]),
                hovertext=[str(lab) for lab, m in zip(full, mask, strict=True) if m],
                hovertemplate=f"%{{hovertext}}<br>Écart{fr.COLON} %{{customdata}}<extra></extra>",
            )
        )
    lo, hi = _pad_range(list(data["variance_eur"]), 0.55)
    _plotly_layout(fig, title, _plotly_rows_height(labels), barmode="relative")
    fig.update_yaxes(
        categoryorder="array", categoryarray=labels, ticks="", showline=False, ticklabelstandoff=6
    )
    fig.update_xaxes(
        title_text="Écart réalisé − budget (€)",
        range=[lo, hi],
        tickformat=",.0f",
        nticks=7,
        ticksuffix=f"{fr.NBSP}€",
        zeroline=True,
        zerolinecolor=COLORS["ink"],
        showgrid=True,
    )
    return fig


# --- 3. waterfall -----------------------------------------------------------------------------

WATERFALL_KINDS = ("absolute", "relative", "total")


def waterfall_chart(
    steps: pd.DataFrame, title: str = "Du résultat budgété au résultat réalisé"
) -> Chart:
    """From the budgeted result, each contribution up or down, to the actual result.

    The total bar is recomputed from the steps (as plotly does) and checked against the given
    amount: a bridge that does not add up is an error in the analysis, not something to draw.
    """
    _require_columns(steps, ["label", "amount", "kind"], "waterfall_chart")
    data = steps[["label", "amount", "kind"]].reset_index(drop=True).copy()
    kinds = list(data["kind"])
    if kinds[0] != "absolute" or kinds[-1] != "total" or set(kinds[1:-1]) - {"relative"}:
        raise ValueError(
            "waterfall_chart: kind must be 'absolute' first, 'relative' in between, 'total' last"
        )
    if data.loc[: len(data) - 2, "amount"].isna().any():
        raise ValueError("waterfall_chart: amount is missing for a non-total step")
    total = float(data["amount"].iloc[:-1].sum())
    given = data["amount"].iloc[-1]
    if not pd.isna(given) and abs(float(given) - total) > 0.5 * len(data):
        raise ValueError(
            f"waterfall_chart: steps add up to {total:.2f}, not to the total {float(given):.2f}"
        )
    data.loc[len(data) - 1, "amount"] = total
    level = data["amount"].where(data["kind"] != "total", 0).cumsum()
    data["start"] = [
        0.0 if k != "relative" else lv - a
        for k, lv, a in zip(data["kind"], level, data["amount"], strict=True)
    ]
    data["end"] = data["start"] + data["amount"]
    data["color"] = [
        _waterfall_color(k, a) for k, a in zip(data["kind"], data["amount"], strict=True)
    ]
    data["text"] = [
        fr.fmt_signed_eur(a) if k == "relative" else fr.fmt_eur(a)
        for k, a in zip(data["kind"], data["amount"], strict=True)
    ]
    return Chart(
        name="result-waterfall",
        title=title,
        alt=_waterfall_alt(data),
        mpl=_waterfall_mpl(data, title),
        plotly=_waterfall_plotly(data, title),
        data=data,
    )


def _waterfall_color(kind: str, amount: float) -> str:
    if kind != "relative":
        return COLORS["total"]
    return COLORS["increase"] if amount >= 0 else COLORS["decrease"]


def _waterfall_alt(data: pd.DataFrame) -> str:
    first, last = data.iloc[0], data.iloc[-1]
    text = (
        f"{first['label']}{fr.COLON} {first['text']}{fr.SEMICOLON} {_lower_first(last['label'])}"
        f"{fr.COLON} {last['text']} ({fr.fmt_signed_eur(last['amount'] - first['amount'])})"
    )
    rel = data[data["kind"] == "relative"]
    if not rel.empty and rel["amount"].max() > 0:
        best = rel.loc[rel["amount"].idxmax()]
        text += f"{fr.SEMICOLON} principale hausse{fr.COLON} {best['label']} ({best['text']})"
    if not rel.empty and rel["amount"].min() < 0:
        worst = rel.loc[rel["amount"].idxmin()]
        text += f"{fr.SEMICOLON} principale baisse{fr.COLON} {worst['label']} ({worst['text']})"
    return text + "."


def _waterfall_mpl(data: pd.DataFrame, title: str) -> Figure:
    """Horizontal bridge, read top-down: long French labels fit on the y axis, not under bars."""
    with _style():
        labels = _category_labels(data["label"], 30)
        fig, ax = _new_figure(_rows_height(labels))
        y = list(range(len(data)))
        ax.barh(y, data["amount"], left=data["start"], color=list(data["color"]), height=0.6)
        for i in y[:-1]:
            level = data["end"].iloc[i]
            ax.plot(
                [level, level],
                [i + 0.3, i + 0.7],
                color=COLORS["muted"],
                linewidth=0.8,
                linestyle=(0, (2, 2)),
            )
        texts = []
        for i, row in data.iterrows():
            right = row["amount"] >= 0
            anchor = max(row["start"], row["end"]) if right else min(row["start"], row["end"])
            texts.append(
                ax.annotate(
                    _drawn_text(row["text"]),
                    (anchor, i),
                    textcoords="offset points",
                    xytext=(4 if right else -4, 0),
                    ha="left" if right else "right",
                    va="center",
                )
            )
        ax.set_xlim(*_pad_range(list(data["start"]) + list(data["end"]), 0.03))
        ax.axvline(0, color=COLORS["ink"], linewidth=0.8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(_nice_locator())
        ax.xaxis.set_major_formatter(_drawn(_eur_axis()))
        ax.set_xlabel("Euros")
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
        _mpl_title(fig, title)
        _fit_texts_x(fig, ax, texts)
    return fig


def _waterfall_plotly(data: pd.DataFrame, title: str) -> go.Figure:
    labels = _category_labels(data["label"], 30, "<br>")
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=labels,
            x=list(data["amount"]),
            measure=list(data["kind"]),
            text=_drawn_texts(data["text"]),
            textposition="outside",
            cliponaxis=False,
            customdata=_drawn_texts(data["text"]),
            hovertext=[str(lab) for lab in data["label"]],
            hovertemplate=f"%{{hovertext}}{fr.COLON} %{{customdata}}<extra></extra>",
            increasing={"marker": {"color": COLORS["increase"]}},
            decreasing={"marker": {"color": COLORS["decrease"]}},
            totals={"marker": {"color": COLORS["total"]}},
            connector={"line": {"color": COLORS["muted"], "dash": "dot", "width": 1}},
            showlegend=False,
        )
    )
    lo, hi = _pad_range(list(data["start"]) + list(data["end"]), 0.3)
    _plotly_layout(fig, title, _plotly_rows_height(labels), legend=False)
    fig.update_xaxes(
        title_text="Euros",
        tickformat=",.0f",
        ticksuffix=f"{fr.NBSP}€",
        showgrid=True,
        range=[lo, hi],
        zeroline=True,
        zerolinecolor=COLORS["ink"],
        nticks=7,
    )
    fig.update_yaxes(
        type="category", autorange="reversed", ticks="", showline=False, ticklabelstandoff=6
    )
    return fig


# --- 4. structure of products -----------------------------------------------------------------


def products_structure_chart(
    structure: pd.DataFrame, title: str = "Structure des produits réalisés"
) -> Chart:
    """Share of each product category as horizontal bars labelled ``62 % (564 000 €)``.

    Bars rather than a pie or a stacked bar: lengths from a common baseline are compared
    accurately, and the labels carry both the share and the amount.
    """
    _require_columns(structure, ["category", "actual", "share_pct"], "products_structure_chart")
    data = structure[["category", "actual", "share_pct"]].copy()
    data = data.sort_values("share_pct", ascending=False, kind="stable").reset_index(drop=True)
    data["text"] = [
        f"{fr.fmt_share_pct(s)} ({fr.fmt_eur(a)})"
        for s, a in zip(data["share_pct"], data["actual"], strict=True)
    ]
    data["color"] = COLORS["main"]
    alt = (
        "Répartition des produits"
        + fr.COLON
        + " "
        + ", ".join(f"{c} {t}" for c, t in zip(data["category"], data["text"], strict=True))
        + "."
    )
    return _hbar_chart(
        data,
        "category",
        "share_pct",
        title,
        "Part des produits (%)",
        "products-structure",
        alt,
        axis_formatter="pct",
    )


# --- 5. web audience trend --------------------------------------------------------------------


def web_trend_chart(yearly: pd.DataFrame, title: str = "Visites du site internet par an") -> Chart:
    """Visits per year with the growth on the previous year above each bar.

    Years whose figure was published rounded are drawn lighter and hatched and their growth
    is prefixed with ``≈``: the chart must not suggest a precision the source does not have.
    """
    _require_columns(yearly, ["year", "visits", "precision"], "web_trend_chart")
    data = yearly[["year", "visits", "precision"]].copy()
    bad = set(data["precision"]) - {"exact", "rounded"}
    if bad:
        raise ValueError(f"web_trend_chart: precision must be 'exact' or 'rounded', got {bad}")
    data = data.sort_values("year").reset_index(drop=True)
    data["rounded"] = data["precision"] == "rounded"
    prev = data["visits"].shift(1)
    data["growth_pct"] = (data["visits"] - prev) / prev * 100
    approx = data["rounded"] | data["rounded"].shift(1, fill_value=False)
    data["value_text"] = [
        ("≈" + fr.NBSP if r else "") + fr.fmt_int(v)
        for r, v in zip(data["rounded"], data["visits"], strict=True)
    ]
    data["growth_text"] = [
        "" if pd.isna(g) else ("≈" + fr.NBSP if a else "") + fr.fmt_pct(g, signed=True)
        for g, a in zip(data["growth_pct"], approx, strict=True)
    ]
    data["color"] = [COLORS["rounded"] if r else COLORS["main"] for r in data["rounded"]]
    return Chart(
        name="web-visits-trend",
        title=title,
        alt=_web_alt(data),
        mpl=_web_mpl(data, title),
        plotly=_web_plotly(data, title),
        data=data,
    )


def _web_alt(data: pd.DataFrame) -> str:
    first, last = data.iloc[0], data.iloc[-1]
    text = f"Visites du site{fr.COLON} {first['value_text']} en {first['year']}"
    if len(data) > 1:
        text += f", {last['value_text']} en {last['year']}"
        if last["growth_text"]:
            text += f" ({last['growth_text']} sur un an)"
    rounded = [str(y) for y in data.loc[data["rounded"], "year"]]
    if rounded:
        verb = "est arrondie" if len(rounded) == 1 else "sont arrondies"
        which = "la valeur de " if len(rounded) == 1 else "les valeurs de "
        text += f"{fr.SEMICOLON} {which}{', '.join(rounded)} {verb}"
    return text + "."


def _web_mpl(data: pd.DataFrame, title: str) -> Figure:
    with _style():
        fig, ax = _new_figure()
        x = list(range(len(data)))
        bars = ax.bar(x, data["visits"], color=list(data["color"]), width=0.6)
        for bar, rounded in zip(bars, data["rounded"], strict=True):
            if rounded:
                bar.set_hatch("///")
        labels = [
            _drawn_text(v if not g else f"{v}\n{g}")
            for v, g in zip(data["value_text"], data["growth_text"], strict=True)
        ]
        ax.bar_label(bars, labels=labels, padding=2)
        ax.set_ylim(0, float(data["visits"].max()) * 1.3)
        ax.set_xticks(x, [str(y) for y in data["year"]])
        ax.yaxis.set_major_locator(_nice_locator())
        ax.yaxis.set_major_formatter(_drawn(_int_axis()))
        ax.set_ylabel("Visites")
        ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
        _mpl_title(fig, title)
        # Only the kinds of bar the chart shows (no "Valeur exacte" for rounded years only).
        handles = []
        if not data["rounded"].all():
            handles.append(Patch(color=COLORS["main"], label="Valeur exacte"))
        if data["rounded"].any():
            handles.append(
                Patch(facecolor=COLORS["rounded"], hatch="///", label="Valeur publiée arrondie (≈)")
            )
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig


def _web_plotly(data: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for rounded, name in ((False, "Valeur exacte"), (True, "Valeur publiée arrondie (≈)")):
        part = data[data["rounded"] == rounded]
        if part.empty:
            continue
        texts = [
            _drawn_text(v if not g else f"{v}<br>{g}")
            for v, g in zip(part["value_text"], part["growth_text"], strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=[str(y) for y in part["year"]],
                y=list(part["visits"]),
                name=name,
                marker={
                    "color": COLORS["rounded"] if rounded else COLORS["main"],
                    "pattern": {"shape": "/" if rounded else ""},
                },
                text=texts,
                textposition="outside",
                cliponaxis=False,
                customdata=list(part["value_text"]),
                hovertemplate=f"%{{x}}{fr.COLON} %{{customdata}} visites<extra></extra>",
            )
        )
    _plotly_layout(fig, title, barmode="relative")
    fig.update_xaxes(
        type="category", categoryorder="array", categoryarray=[str(y) for y in data["year"]]
    )
    fig.update_yaxes(
        title_text="Visites",
        tickformat=",d",
        showgrid=True,
        range=[0, float(data["visits"].max()) * 1.3],
    )
    return fig


# --- 6. web targets ---------------------------------------------------------------------------

TARGETS_AXIS_LABEL = f"Valeur en pourcentage de l'objectif (100{fr.PCT_SPACE}% = objectif)"


def targets_chart(targets: pd.DataFrame, title: str = "Audience du site et objectifs") -> Chart:
    """Bullet chart: each metric as a share of its target (100 % = target), coloured met or not.

    Metrics have different units (pages, seconds, percent), so bars are normalised to the
    target and the real values are written next to them. ``min`` means the value must reach
    the target (>=), ``max`` that it must stay at or below it (<=).
    """
    cols = ["metric_label", "value", "target", "direction", "unit_label"]
    _require_columns(targets, cols, "targets_chart")
    data = targets[cols].reset_index(drop=True).copy()
    bad = set(data["direction"]) - {"min", "max"}
    if bad:
        raise ValueError(f"targets_chart: direction must be 'min' or 'max', got {bad}")
    if (data["target"] <= 0).any() or data["target"].isna().any():
        raise ValueError("targets_chart: every target must be a positive number")
    data["ratio_pct"] = data["value"] / data["target"] * 100
    # Strict, like the report's targets ("Obj : > 3 pages") and audience.against_targets.
    data["met"] = [
        v > t if d == "min" else v < t
        for v, t, d in zip(data["value"], data["target"], data["direction"], strict=True)
    ]
    data["value_text"] = [
        fr.fmt_measure(v, u) for v, u in zip(data["value"], data["unit_label"], strict=True)
    ]
    data["target_text"] = [
        (">" if d == "min" else "<") + fr.NBSP + fr.fmt_measure(t, u, trim=True)
        for t, u, d in zip(data["target"], data["unit_label"], data["direction"], strict=True)
    ]
    data["text"] = [
        f"{v} (objectif {t})" for v, t in zip(data["value_text"], data["target_text"], strict=True)
    ]
    data["color"] = [COLORS["met"] if m else COLORS["not_met"] for m in data["met"]]
    return Chart(
        name="web-targets",
        title=title,
        alt=_targets_alt(data),
        mpl=_targets_mpl(data, title),
        plotly=_targets_plotly(data, title),
        data=data,
    )


def _targets_alt(data: pd.DataFrame) -> str:
    met = int(data["met"].sum())
    items = [
        f"{_lower_first(label)} {text}, {'atteint' if m else 'non atteint'}"
        for label, text, m in zip(data["metric_label"], data["text"], data["met"], strict=True)
    ]
    head = (
        f"{fr.fmt_count(met, 'objectif')} sur {fr.fmt_int(len(data))} "
        f"{'atteints' if met >= 2 else 'atteint'}"
    )
    return head + fr.COLON + " " + f"{fr.SEMICOLON} ".join(items) + "."


def _targets_mpl(data: pd.DataFrame, title: str) -> Figure:
    with _style():
        labels = _category_labels(data["metric_label"], 26)
        fig, ax = _new_figure(_rows_height(labels))
        y = list(range(len(data)))
        ax.barh(y, data["ratio_pct"], color=list(data["color"]), height=0.5)
        ax.vlines(100, -0.4, len(data) - 0.6, color=COLORS["target"], linewidth=1.6)
        texts = [
            ax.annotate(
                text,
                (max(ratio, 100), yi),
                textcoords="offset points",
                xytext=(6, 0),
                va="center",
                ha="left",
            )
            for yi, ratio, text in zip(
                y, data["ratio_pct"], _drawn_texts(data["text"]), strict=True
            )
        ]
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, max(100.0, float(data["ratio_pct"].max())) * 1.05)
        step = 50 if data["ratio_pct"].max() <= 300 else 100
        top_tick = math.ceil(max(100.0, float(data["ratio_pct"].max())) / step) * step
        ax.set_xticks(range(0, top_tick + 1, step))  # ticks only where the bars are
        ax.xaxis.set_major_formatter(_drawn(_pct_axis()))
        ax.set_xlabel(TARGETS_AXIS_LABEL)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        _mpl_title(fig, title)
        # Only the colours the bars use: no "Objectif atteint" when none is.
        handles = [
            Patch(color=COLORS[key], label=label)
            for key, label, shown in (
                ("met", "Objectif atteint", data["met"].any()),
                ("not_met", "Objectif non atteint", not data["met"].all()),
            )
            if shown
        ]
        handles.append(Line2D([], [], color=COLORS["target"], linewidth=1.6, label="Objectif"))
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
        _fit_texts_x(fig, ax, texts)
    return fig


def _targets_plotly(data: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    labels = _category_labels(data["metric_label"], 26, "<br>")
    for met, name in ((True, "Objectif atteint"), (False, "Objectif non atteint")):
        mask = data["met"] == met
        if not mask.any():
            continue
        fig.add_trace(
            go.Bar(
                orientation="h",
                x=list(data.loc[mask, "ratio_pct"]),
                y=[lab for lab, m in zip(labels, mask, strict=True) if m],
                name=name,
                marker_color=COLORS["met"] if met else COLORS["not_met"],
                customdata=list(data.loc[mask, "text"]),
                width=0.5,
                hovertemplate=(
                    f"%{{y}}<br>%{{customdata}}<br>%{{x:,.0f}}{fr.PCT_SPACE}% de l'objectif"
                    "<extra></extra>"
                ),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[100] * len(data),
            y=labels,
            mode="markers",
            name="Objectif",
            marker={
                "symbol": "line-ns",
                "size": 30,
                "line": {"width": 3, "color": COLORS["target"]},
                "color": COLORS["target"],
            },
            customdata=list(data["target_text"]),
            hovertemplate="%{y}<br>Objectif " + "%{customdata}<extra></extra>",
        )
    )
    x_max = max(100.0, float(data["ratio_pct"].max())) * 1.9
    for label, ratio, text in zip(
        labels, data["ratio_pct"], _drawn_texts(data["text"]), strict=True
    ):
        fig.add_annotation(
            x=max(ratio, 100), y=label, text=text, showarrow=False, xanchor="left", xshift=8
        )
    _plotly_layout(fig, title, _plotly_rows_height(labels), barmode="relative")
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=labels,
        autorange="reversed",
        ticks="",
        showline=False,
        ticklabelstandoff=6,
    )
    fig.update_xaxes(
        title_text=TARGETS_AXIS_LABEL,
        range=[0, x_max],
        ticksuffix=f"{fr.PCT_SPACE}%",
        tickformat=",d",
    )
    return fig


# --- 7. countries and generic bars ------------------------------------------------------------


def countries_chart(
    countries: pd.DataFrame, top: int | None = 10, title: str = "Sessions par pays"
) -> Chart:
    """Sessions per country, sorted, France highlighted, the long tail grouped last."""
    _require_columns(countries, ["country", "sessions"], "countries_chart")
    data = _top_n(countries, "country", "sessions", top, "Autres pays")
    data["share_pct"] = _share_pct(data["sessions"])
    is_france = ~data["other"] & (
        data["country"].astype(str).str.strip().str.casefold() == "france"
    )
    data["color"] = [
        COLORS["highlight"] if f else COLORS["muted"] if o else COLORS["main"]
        for f, o in zip(is_france, data["other"], strict=True)
    ]
    data["text"] = [
        f"{fr.fmt_int(v)} ({fr.fmt_share_pct(s)})"
        for v, s in zip(data["sessions"], data["share_pct"], strict=True)
    ]
    lead = data.iloc[0]
    alt = (
        f"{lead['country']} en tête avec {fr.fmt_count(lead['sessions'], 'session')}, "
        f"{fr.fmt_share_pct(lead['share_pct'])} du total"
    )
    if is_france.any() and not is_france.iloc[0]:
        row = data[is_france].iloc[0]
        alt += f"{fr.SEMICOLON} France{fr.COLON} {row['text']}"
    alt += (
        f"{fr.SEMICOLON} {fr.fmt_count(countries['sessions'].sum(), 'session')} au total, depuis "
        f"{fr.fmt_count(int(data['grouped'].sum()), 'pays', 'pays')}."
    )
    return _hbar_chart(data, "country", "sessions", title, "Sessions", "web-countries", alt)


def bar_chart(
    df: pd.DataFrame,
    category: str,
    value: str,
    title: str,
    value_label: str,
    name: str,
    top: int | None = None,
    formatter: Callable[[Any], str] | None = None,
) -> Chart:
    """Generic sorted horizontal bars (training by type or place, members by status, place...).

    Rows sharing a category are summed; with ``top``, the rest is grouped into one
    "Autres (n)" bar kept last whatever its size, so that the long tail neither crowds the
    chart nor disappears. Labels give the value (``formatter``, default: whole number) and
    its share of the total.
    """
    _require_columns(df, [category, value], "bar_chart")
    fmt = formatter or fr.fmt_int
    data = _top_n(df, category, value, top, OTHERS_LABEL)
    data["share_pct"] = _share_pct(data[value])
    data["color"] = [COLORS["muted"] if o else COLORS["main"] for o in data["other"]]
    data["text"] = [
        f"{fmt(v)} ({fr.fmt_share_pct(s)})"
        for v, s in zip(data[value], data["share_pct"], strict=True)
    ]
    leaders = data[~data["other"]].head(3)
    ranked = ", ".join(
        f"{c} ({fmt(v)})" for c, v in zip(leaders[category], leaders[value], strict=True)
    )
    alt = (
        f"{title}{fr.COLON} en tête {ranked}{fr.SEMICOLON} total {fmt(data[value].sum())} "
        f"sur {fr.fmt_count(int(data['grouped'].sum()), 'catégorie')}."
    )
    return _hbar_chart(data, category, value, title, value_label, name, alt, value_formatter=fmt)


def _top_n(
    df: pd.DataFrame, category: str, value: str, top: int | None, others: str
) -> pd.DataFrame:
    """Sum by category, sort descending, group what is beyond ``top`` into one last row.

    The grouped row is labelled with how many categories it holds (``Autres (4)``); column
    ``other`` flags it and ``grouped`` counts the categories behind each row. A single
    leftover category is shown as itself: grouping one bar would only hide its name.
    """
    if df[value].isna().any():
        raise ValueError(f"missing values in column {value!r}")
    if top is not None and top < 1:
        raise ValueError("top must be at least 1")
    summed = (
        df.groupby(category, sort=False, as_index=False)[value]
        .sum()
        .sort_values(value, ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    summed["other"] = False
    summed["grouped"] = 1
    if top is None or len(summed) <= top + 1:
        return summed
    tail = summed.iloc[top:]
    rest = pd.DataFrame(
        {
            category: [f"{others} ({len(tail)})"],
            value: [tail[value].sum()],
            "other": [True],
            "grouped": [len(tail)],
        }
    )
    return pd.concat([summed.head(top), rest], ignore_index=True)


def _hbar_chart(
    data: pd.DataFrame,
    category: str,
    value: str,
    title: str,
    value_label: str,
    name: str,
    alt: str,
    axis_formatter: str = "int",
    value_formatter: Callable[[Any], str] | None = None,
) -> Chart:
    """Horizontal bars in the given order (first at the top), coloured per row, labelled."""
    data = data.reset_index(drop=True)
    return Chart(
        name=name,
        title=title,
        alt=alt,
        mpl=_hbar_mpl(data, category, value, title, value_label, axis_formatter),
        plotly=_hbar_plotly(
            data, category, value, title, value_label, axis_formatter, value_formatter or fr.fmt_int
        ),
        data=data,
    )


def _hbar_mpl(
    data: pd.DataFrame, category: str, value: str, title: str, value_label: str, axis: str
) -> Figure:
    with _style():
        labels = _category_labels(data[category], 30)
        fig, ax = _new_figure(_rows_height(labels))
        y = list(range(len(data)))
        bars = ax.barh(y, data[value], color=list(data["color"]), height=0.65)
        texts = ax.bar_label(bars, labels=_drawn_texts(data["text"]), padding=3)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, float(data[value].max()) * 1.02 or 1.0)
        ax.xaxis.set_major_locator(_nice_locator(integer=axis == "int"))
        ax.xaxis.set_major_formatter(_drawn(_pct_axis() if axis == "pct" else _int_axis()))
        ax.set_xlabel(value_label)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
        _mpl_title(fig, title)
        _fit_texts_x(fig, ax, texts)
    return fig


def _hbar_plotly(
    data: pd.DataFrame,
    category: str,
    value: str,
    title: str,
    value_label: str,
    axis: str,
    value_formatter: Callable[[Any], str],
) -> go.Figure:
    labels = _category_labels(data[category], 30, "<br>")
    hover_values = (
        [fr.fmt_pct(v) for v in data[value]]
        if axis == "pct"
        else [value_formatter(v) for v in data[value]]
    )
    fig = go.Figure(
        go.Bar(
            orientation="h",
            x=list(data[value]),
            y=labels,
            marker_color=list(data["color"]),
            text=_drawn_texts(data["text"]),
            textposition="outside",
            cliponaxis=False,
            customdata=_drawn_texts(hover_values),
            hovertext=[str(c) for c in data[category]],
            showlegend=False,
            hovertemplate=(
                f"%{{hovertext}}<br>{value_label}{fr.COLON} %{{customdata}}<extra></extra>"
            ),
        )
    )
    _plotly_layout(fig, title, _plotly_rows_height(labels), legend=False)
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=labels,
        autorange="reversed",
        ticks="",
        showline=False,
        ticklabelstandoff=6,
    )
    fig.update_xaxes(
        title_text=value_label,
        range=[0, float(data[value].max()) * 1.35 or 1.0],
        showgrid=True,
        tickformat=",d" if axis == "int" else ",.0f",
        ticksuffix=f"{fr.PCT_SPACE}%" if axis == "pct" else "",
    )
    return fig


# --- output: notebook bundle and files --------------------------------------------------------


def _mpl_bytes(fig: Figure, fmt: str) -> bytes:
    """Render the static figure; fixed SVG salt and no date so the bytes only change with it."""
    buf = io.BytesIO()
    with _style():
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
        else:
            fig.savefig(buf, format="png", dpi=PNG_DPI)
    return buf.getvalue()


PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    # plotly.js 3 shows a "Share chart" (upload to a plotly server) button by default: a
    # report must not offer to send the cooperative's figures anywhere.
    "showSendToCloud": False,
    # Selection tools mean nothing on these bar charts; zoom, pan, reset and PNG stay.
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    # French tooltips and notices; the dictionary is registered by the publisher with
    # plotly.js (cae_report.publish.pandoc_engine.plotly_header). Unknown locale: English.
    "locale": "fr",
}
"""plotly ``config`` of every chart."""


def plotly_html(chart: Chart) -> str:
    """The plotly ``<div>`` and script, without plotly.js (the publisher adds it once)."""
    config = {**PLOTLY_CONFIG, "toImageButtonOptions": {"filename": chart.name}}
    return chart.plotly.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"fig-{chart.name}",
        config=config,
    )


def chart_bundle(chart: Chart) -> dict[str, Any]:
    """The MIME bundle of one notebook output: static images, interactive figure, alt text.

    Each consumer picks its format from the same output: the PDF build takes the PNG/SVG,
    the HTML build the plotly div or JSON, and the text is the alt text.
    """
    return {
        "image/png": base64.b64encode(_mpl_bytes(chart.mpl, "png")).decode("ascii"),
        "image/svg+xml": _mpl_bytes(chart.mpl, "svg").decode("utf-8"),
        "text/html": plotly_html(chart),
        "application/vnd.plotly.v1+json": json.loads(pio.to_json(chart.plotly)),
        "text/plain": chart.alt,
    }


def chart_metadata(chart: Chart) -> dict[str, Any]:
    """Output metadata: display width of the 200 dpi PNG, and the chart's id, title and alt."""
    width_px = round(chart.mpl.get_figwidth() * 100)
    return {
        "image/png": {"width": width_px},
        "cae_report": {"name": chart.name, "title": chart.title, "alt": chart.alt},
    }


def display_chart(chart: Chart) -> None:
    """Emit the chart as ONE notebook output carrying every format (see :func:`chart_bundle`)."""
    from IPython.display import display

    display(chart_bundle(chart), raw=True, metadata=chart_metadata(chart))


def save_png(chart: Chart, path: str | Path) -> Path:
    """Write the static figure as a 200 dpi PNG (to look at it, or for the PDF build)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_mpl_bytes(chart.mpl, "png"))
    return target
