"""Horizontal bars, the report's most common chart: sorted categories, value labels beside.

Also the pieces the other horizontal charts share: splitting rows into one series per colour,
and the category axis with its column of value labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from cae_report import fr
from cae_report.report.charts.chart import Chart, require_columns
from cae_report.report.charts.spec import (
    Bars,
    Categories,
    ChartSpec,
    padded_range,
    value_axis,
)
from cae_report.report.charts.style import COLORS, drawn_texts

OTHERS_LABEL = "Autres"
"""Label of the bar grouping the categories beyond ``top`` (followed by their count)."""


def bar_series(
    positions: Sequence[float],
    lengths: Sequence[float],
    colors: Sequence[str],
    hover: Sequence[str],
    names: Mapping[str, str] | None = None,
    bases: Sequence[float] | None = None,
    width: float = 0.65,
) -> list[Bars]:
    """Rows grouped into one series per colour, named from ``names``: in the order of
    ``names`` (the legend's), then the other colours as first seen."""
    seen = set(colors)
    order = [c for c in (names or {}) if c in seen] + [
        c for c in dict.fromkeys(colors) if c not in (names or {})
    ]
    base = list(bases) if bases is not None else [0.0] * len(positions)
    series = []
    for color in order:
        rows = [i for i, c in enumerate(colors) if c == color]
        series.append(
            Bars(
                color=color,
                name=(names or {}).get(color),
                positions=tuple(float(positions[i]) for i in rows),
                lengths=tuple(float(lengths[i]) for i in rows),
                bases=tuple(float(base[i]) for i in rows),
                hover=drawn_texts(hover[i] for i in rows),
                width=width,
            )
        )
    return series


def hbar_chart(
    data: pd.DataFrame,
    category: str,
    value: str,
    *,
    name: str,
    title: str,
    alt: str,
    value_title: str,
    unit: str = "int",
    hover_format: Callable[[Any], str] = fr.fmt_int,
    integer: bool = True,
) -> Chart:
    """Bars in the given order (first on top), coloured by ``data["color"]``, labelled by
    ``data["text"]`` in the column on the right."""
    data = data.reset_index(drop=True)
    values = [float(v) for v in data[value]]
    hover = [
        f"{c}{fr.COLON} {hover_format(v)}" for c, v in zip(data[category], values, strict=True)
    ]
    lo, hi = padded_range(values, 0.02)
    spec = ChartSpec(
        name=name,
        title=title,
        alt=alt,
        horizontal=True,
        categories=Categories(
            tuple(str(c) for c in data[category]), values=drawn_texts(data["text"])
        ),
        value_axis=value_axis(value_title, lo, hi, unit, integer=integer),
        marks=tuple(bar_series(range(len(data)), values, list(data["color"]), hover)),
    )
    return Chart(spec, data)


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
    require_columns(df, [category, value], "bar_chart")
    fmt = formatter or fr.fmt_int
    data = top_n(df, category, value, top, OTHERS_LABEL)
    total = float(data[value].sum())
    data["share_pct"] = data[value] / total * 100 if total else 0.0
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
    return hbar_chart(
        data,
        category,
        value,
        name=name,
        title=title,
        alt=alt,
        value_title=value_label,
        hover_format=fmt,
        integer=all(float(v).is_integer() for v in data[value]),
    )


def top_n(
    df: pd.DataFrame,
    category: str,
    value: str,
    top: int | None,
    others: str,
    add: Sequence[str] = (),
) -> pd.DataFrame:
    """Sum by category, sort descending, group what is beyond ``top`` into one last row.

    The grouped row is labelled with how many categories it holds (``Autres (4)``); column
    ``other`` flags it and ``grouped`` counts the categories behind each row. A single
    leftover category is shown as itself: grouping one bar would only hide its name.
    ``add``: further columns summed like ``value`` (a share given by the analysis).
    """
    if df[value].isna().any():
        raise ValueError(f"missing values in column {value!r}")
    if top is not None and top < 1:
        raise ValueError("top must be at least 1")
    summed = (
        df.groupby(category, sort=False, as_index=False)[[value, *add]]
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
            **{col: [tail[col].sum()] for col in (value, *add)},
            "other": [True],
            "grouped": [len(tail)],
        }
    )
    return pd.concat([summed.head(top), rest], ignore_index=True)
