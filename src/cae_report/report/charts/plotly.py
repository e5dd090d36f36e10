"""The interactive backend: a :class:`~.spec.ChartSpec` drawn by plotly for the screen (HTML).

Same ranges, ticks, tick texts, labels and colours as the static figure; what only a screen
has is added here: tooltips, a responsive width, a toolbar kept clear of the title.

The figure is plotly's JSON itself (``data`` and ``layout``), built as plain dicts: plotly's
figure classes validate every property as it is set, which took longer than drawing the
static chart. :attr:`~.chart.Chart.plotly` makes the validated ``go.Figure`` of it, for the
analyst and the tests; the notebook output takes the JSON as it is.

The value labels of a horizontal chart are the tick texts of a second category axis on the
right: plotly sizes the margins to fit tick texts (``automargin``) at any width, while a
text placed beyond a bar's end has no room reserved and runs off a phone's screen.
"""

from __future__ import annotations

from typing import Any

from cae_report import fr
from cae_report.report.charts.spec import UNITS, Axis, Bars, ChartSpec, Connectors, Line, Rule
from cae_report.report.charts.style import (
    GRID,
    INTERACTIVE_FONT,
    LABEL_WRAP_INTERACTIVE,
    PLOTLY_FONT_PX,
    PLOTLY_TITLE_PX,
    TEXT,
    TITLE_WRAP_INTERACTIVE,
    wrap,
)

MODEBAR_PX = 34
"""Height of the strip kept free at the top for plotly's toolbar (it floats top right)."""
TITLE_LINE_PX = 21
LEGEND_ROW_PX = 22
NARROW_PX = 340
"""The narrowest plot a chart is laid out for: a 390 px phone, less the page's margins."""
NO_TEMPLATE: dict[str, Any] = {"data": {"scatter": [{"type": "scatter"}]}}
"""plotly's template ``"none"`` as plotly.py writes it into a figure (``plotly.io.templates``
takes 0.15 s to load it): no default colours, fonts or grids, only the chart's own."""


def _html(text: str) -> str:
    return text.replace("\n", "<br>")


def draw(spec: ChartSpec) -> dict[str, Any]:
    """The interactive figure of ``spec`` as plotly JSON: fixed height, the width of its
    container."""
    fig: dict[str, Any] = {"data": [], "layout": {}}
    cats = spec.categories
    n = len(cats.labels)
    names = [_html(label) for label in cats.wrapped(LABEL_WRAP_INTERACTIVE)]
    for mark in spec.marks:
        _draw_mark(fig, mark, spec, names)
    title = _html(wrap(spec.title, TITLE_WRAP_INTERACTIVE))
    title_lines = title.count("<br>") + 1
    legend = bool(spec.legend_entries)
    title_px = MODEBAR_PX + TITLE_LINE_PX * title_lines + 6
    legend_px = LEGEND_ROW_PX * _legend_rows(spec) + 8 if legend else 0
    top = title_px + legend_px + 4
    fig["layout"].update(
        template=NO_TEMPLATE,
        separators=fr.PLOTLY_SEPARATORS,
        height=spec.height_px,
        autosize=True,
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": INTERACTIVE_FONT, "size": PLOTLY_FONT_PX, "color": TEXT},
        title={
            "text": title,
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": MODEBAR_PX, "l": 8},
            "font": {"size": PLOTLY_TITLE_PX, "weight": "bold"},
        },
        showlegend=legend,
        legend={
            "orientation": "h",
            # Under the title, growing downwards into room kept for it at a phone's width.
            "x": 0,
            "xanchor": "left",
            "xref": "container",
            "y": 1 - title_px / spec.height_px,
            "yanchor": "top",
            "yref": "container",
            "traceorder": "normal",
        },
        margin={"l": 8, "r": 8, "t": top, "b": 8, "autoexpand": True},
        hovermode="x unified" if spec.hover_unified else "closest",
        hoverlabel={"font": {"family": INTERACTIVE_FONT, "size": 13}},
        barmode="overlay",
        bargap=0,
    )
    value = _value_axis(spec.value_axis)
    if spec.horizontal:
        category = {
            "range": [n - 0.5, -0.5],
            "tickmode": "array",
            "tickvals": list(range(n)),
            "ticktext": [
                f"<b>{name}</b>" if heading else name
                for name, heading in zip(names, cats.headings, strict=True)
            ],
            "ticks": "",
            "showline": False,
            "showgrid": False,
            "zeroline": False,
            "automargin": True,
            "fixedrange": True,
            "ticklabelstandoff": 6,
        }
        fig["layout"].update(xaxis=value, yaxis=category)
        if cats.values:
            fig["layout"].update(
                yaxis2={
                    **category,
                    "ticktext": [_html(v) for v in cats.values],
                    "overlaying": "y",
                    "side": "right",
                    "matches": "y",
                }
            )
            # An axis is drawn only when a trace uses it: an invisible one, never hovered.
            fig["data"].append(
                dict(
                    type="scatter",
                    x=[spec.value_axis.lo] * n,
                    y=list(range(n)),
                    yaxis="y2",
                    mode="markers",
                    marker={"opacity": 0},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
    else:
        category = {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": names,
            "range": [-0.5, n - 0.5],
            "ticks": "",
            "showline": True,
            "linecolor": TEXT,
            "showgrid": False,
            "automargin": True,
            "fixedrange": True,
        }
        fig["layout"].update(xaxis=category, yaxis=value)
        if spec.secondary_axis is not None:
            fig["layout"].update(
                yaxis2={
                    **_value_axis(spec.secondary_axis),
                    "overlaying": "y",
                    "side": "right",
                    "showgrid": False,
                }
            )
    return fig


def _legend_rows(spec: ChartSpec) -> int:
    """Rows the legend takes at :data:`NARROW_PX` (an entry: symbol, gap, about 8 px a letter)."""
    rows, used = 1, 0
    for entry in spec.legend_entries:
        width = 48 + 8 * len(entry.label)
        if used and used + width > NARROW_PX:
            rows, used = rows + 1, 0
        used += width
    return rows


def _value_axis(axis: Axis) -> dict[str, Any]:
    """The spec's axis; plotly.js places the ticks (as many as the spec's, fewer when the
    screen is narrow), in the spec's format: it writes negatives with U+2212 too."""
    _fmt, d3_format, suffix = UNITS[axis.unit]
    return {
        "title": {"text": axis.title, "font": {"size": PLOTLY_FONT_PX}},
        "range": [axis.lo, axis.hi],
        "tickmode": "auto",
        "nticks": len(axis.ticks) + 1,
        "tickformat": d3_format,
        "ticksuffix": suffix,
        "showgrid": axis.grid,
        "gridcolor": GRID,
        "zeroline": False,
        "showline": True,
        "linecolor": TEXT,
        "ticks": "outside",
        "tickcolor": TEXT,
        "automargin": True,
        "fixedrange": True,
    }


def _draw_mark(fig: dict[str, Any], mark: Any, spec: ChartSpec, names: list[str]) -> None:
    n = len(names)
    if isinstance(mark, Bars):
        bar: dict[str, Any] = {
            "name": mark.name or "",
            "showlegend": mark.name is not None,
            "marker": {
                "color": mark.color,
                "line": {"width": 0},
                "pattern": {
                    "shape": "/" if mark.hatched else "",
                    "fillmode": "overlay",
                    "fgcolor": "white",
                },
            },
            "base": list(mark.bases),
            "width": mark.width,
            "customdata": list(mark.hover),
            "hovertemplate": "%{customdata}<extra></extra>",
        }
        if spec.horizontal:
            bar.update(orientation="h", x=list(mark.lengths), y=list(mark.positions))
        else:
            slots = [round(p) for p in mark.positions]
            offset = mark.positions[0] - slots[0] - mark.width / 2
            bar.update(x=[names[s] for s in slots], y=list(mark.lengths), offset=offset)
        if mark.labels:
            bar.update(
                text=[_html(t) for t in mark.labels],
                textposition="outside",
                textangle=0,
                constraintext="none",
                cliponaxis=False,
                textfont={"color": TEXT},
            )
        if mark.secondary:
            bar["yaxis"] = "y2"
        fig["data"].append({**bar, "type": "bar"})
    elif isinstance(mark, Line):
        fig["data"].append(
            dict(
                type="scatter",
                x=[names[round(p)] for p in mark.positions],
                y=list(mark.values),
                name=mark.name or "",
                showlegend=mark.name is not None,
                mode="lines+markers+text",
                line={"color": mark.color, "width": 3},
                marker={"color": mark.color, "size": 7},
                text=list(mark.labels),
                textposition=["bottom center" if b else "top center" for b in mark.below],
                textfont={"color": mark.color},
                cliponaxis=False,
                customdata=list(mark.hover),
                hovertemplate="%{customdata}<extra></extra>",
                yaxis="y2" if mark.secondary else "y",
            )
        )
    elif isinstance(mark, Rule) and spec.horizontal:
        # A line trace, not a shape: a shape in the legend leaves the chart 0 px high in
        # JupyterLab (plotly's renderer draws it into an output without a height).
        fig["data"].append(
            dict(
                type="scatter",
                x=[mark.value, mark.value],
                y=[-0.5, n - 0.5],
                mode="lines",
                line={"color": mark.color, "width": mark.width * 1.4},
                name=mark.name or "",
                showlegend=mark.name is not None,
                hoverinfo="skip",
            )
        )
    elif isinstance(mark, Rule):
        fig["layout"].setdefault("shapes", []).append(
            dict(
                type="line",
                xref="x",
                yref="y",
                line={"color": mark.color, "width": mark.width * 1.4},
                layer="above",
                x0=-0.5,
                x1=n - 0.5,
                y0=mark.value,
                y1=mark.value,
            )
        )
    elif isinstance(mark, Connectors):
        for value, start, end in mark.segments:
            ends = (
                {"x0": value, "x1": value, "y0": start, "y1": end}
                if spec.horizontal
                else {"x0": start, "x1": end, "y0": value, "y1": value}
            )
            fig["layout"].setdefault("shapes", []).append(
                dict(
                    type="line",
                    xref="x",
                    yref="y",
                    line={"color": mark.color, "width": 1, "dash": "dot"},
                    **ends,
                )
            )
