"""Entries and exits per month, and the headcount at each month's end."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from cae_report import fr
from cae_report.report.charts.chart import Chart, require_columns
from cae_report.report.charts.spec import Bars, Categories, ChartSpec, Line, value_axis
from cae_report.report.charts.style import COLORS, drawn_texts

BAR_WIDTH = 0.38


def movements_chart(monthly: pd.DataFrame, year: int) -> Chart:
    """Entries and exits per month as side-by-side bars, end-of-month headcount as a line.

    Exits are drawn upwards like entries (not as negative bars): the reader compares two counts,
    and a second axis carries the headcount, whose scale (80-90) would flatten the bars.
    """
    require_columns(monthly, ["month", "entries", "exits", "headcount_end"], "movements_chart")
    data = monthly[["month", "entries", "exits", "headcount_end"]].copy()
    if data["month"].duplicated().any() or not data["month"].between(1, 12).all():
        raise ValueError("movements_chart: month must hold distinct values 1-12")
    data = data.sort_values("month").reset_index(drop=True)
    data["month_label"] = [fr.month_name(m, short=True) for m in data["month"]]
    title = f"Entrées, sorties et effectif par mois en {year}"
    counts_top, (head_lo, head_hi) = _ranges(data)
    x = range(len(data))
    months = [fr.month_name(m) for m in data["month"]]
    series = []
    for col, label, shift in (("entries", "Entrées", -0.5), ("exits", "Sorties", 0.5)):
        values = [float(v) for v in data[col]]
        series.append(
            Bars(
                name=label,
                color=COLORS[col],
                positions=tuple(i + shift * BAR_WIDTH for i in x),
                lengths=tuple(values),
                width=BAR_WIDTH,
                labels=drawn_texts(fr.fmt_int(v) for v in values),
                hover=tuple(f"{label}{fr.COLON} {fr.fmt_int(v)}" for v in values),
            )
        )
    heads = [float(v) for v in data["headcount_end"]]
    headcount = Line(
        name="Effectif fin de mois",
        color=COLORS["headcount"],
        positions=tuple(float(i) for i in x),
        values=tuple(heads),
        labels=drawn_texts(fr.fmt_int(v) for v in heads),
        below=tuple(_is_dip(heads, i) for i in x),
        hover=tuple(
            f"Effectif fin {m}{fr.COLON} {fr.fmt_int(v)}"
            for m, v in zip(months, heads, strict=True)
        ),
        secondary=True,
    )
    spec = ChartSpec(
        name="movements-monthly",
        title=title,
        alt=_alt(data, year),
        horizontal=False,
        categories=Categories(tuple(data["month_label"])),
        value_axis=value_axis(
            "Entrées et sorties (personnes)", 0.0, counts_top, "int", integer=True
        ),
        secondary_axis=value_axis(
            "Effectif fin de mois (personnes)",
            head_lo,
            head_hi,
            "int",
            integer=True,
            grid=False,
            most=5,
        ),
        marks=(*series, headcount),
        hover_unified=True,
    )
    return Chart(spec, data)


def _ranges(data: pd.DataFrame) -> tuple[float, tuple[float, float]]:
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


def _alt(data: pd.DataFrame, year: int) -> str:
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
