"""A chart as one notebook output that every reader of a notebook can show.

The output carries three representations, each read by someone:

* ``application/vnd.plotly.v1+json``: the interactive chart, drawn at once at the notebook's
  width by JupyterLab (plotly's bundled renderer), VS Code and nteract; the report engines
  turn it into the HTML report's ``<div>`` (:func:`with_plotly_html`);
* ``image/svg+xml``: the static chart, text as text, for the PDF (Typst) and for every reader
  that cannot run plotly (``jupyter nbconvert`` to HTML or Markdown, GitHub);
* ``text/plain``: the alt text.

What is left out is left out on purpose: a PNG makes JupyterLab's plotly renderer show the
picture (at its pixel size) until the mouse passes over it, and a ``text/html`` that calls
plotly.js is preferred to the SVG by nbconvert and GitHub, which have no plotly.js and show an
empty box.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.io as pio

from cae_report.report.charts import mpl
from cae_report.report.charts.chart import Chart

PLOTLY_MIME = "application/vnd.plotly.v1+json"
SVG_MIME = "image/svg+xml"

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    # plotly.js 3 shows a "Share chart" (upload to a plotly server) button by default: a
    # report must not offer to send the cooperative's figures anywhere.
    "showSendToCloud": False,
    # Zoom and pan mean nothing on these charts (their axes are fixed); the PNG stays.
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "zoom2d",
        "pan2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "resetScale2d",
    ],
    # French tooltips and notices; the dictionary is registered by the publisher with
    # plotly.js (cae_report.publish.pandoc_engine.plotly_header). Unknown locale: English.
    "locale": "fr",
}
"""plotly ``config`` of every chart."""


def plotly_figure(chart: Chart) -> dict[str, Any]:
    """The interactive chart as plotly's MIME JSON: data, layout and config."""
    figure = json.loads(pio.to_json(chart.plotly, validate=False))
    figure["config"] = {**PLOTLY_CONFIG, "toImageButtonOptions": {"filename": chart.name}}
    return figure


def plotly_div(figure: dict[str, Any], div_id: str) -> str:
    """The ``<div>`` and script drawing a plotly MIME JSON, without plotly.js (added once)."""
    config = figure.get("config", PLOTLY_CONFIG)
    return pio.to_html(
        {"data": figure.get("data", []), "layout": figure.get("layout", {})},
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=config,
        validate=False,
    )


def chart_bundle(chart: Chart) -> dict[str, Any]:
    """The MIME bundle of one notebook output (see the module docstring)."""
    return {
        PLOTLY_MIME: plotly_figure(chart),
        SVG_MIME: mpl.svg(chart.mpl),
        "text/plain": chart.alt,
    }


def chart_metadata(chart: Chart) -> dict[str, Any]:
    """Output metadata: the chart's id, title and alt text (the engines name the div by it);
    the alt text of the SVG too, which ``nbconvert`` puts on the ``<img>`` it makes."""
    return {
        "cae_report": {"name": chart.name, "title": chart.title, "alt": chart.alt},
        SVG_MIME: {"alt": chart.alt},
    }


def display_chart(chart: Chart) -> None:
    """Emit the chart as ONE notebook output carrying its representations."""
    from IPython.display import display

    display(chart_bundle(chart), raw=True, metadata=chart_metadata(chart))


def with_plotly_html(
    data: dict[str, Any], metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An output's ``data`` with the ``text/html`` of its plotly JSON, for an HTML engine.

    The report engines call this on their own copy of the notebook (the stored notebook keeps
    no ``text/html``, see the module docstring); the ``div`` is named after the chart
    (``plotly-fig-<name>``: distinct from the figure's own ``fig-…`` label, which a chart's
    name may equal), outputs without a plotly JSON are returned unchanged.
    """
    figure = data.get(PLOTLY_MIME)
    if not isinstance(figure, dict) or "text/html" in data:
        return data
    name = ((metadata or {}).get("cae_report") or {}).get("name") or "chart"
    return {**data, "text/html": plotly_div(figure, f"plotly-fig-{name}")}
