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

from typing import Any

from cae_report.report.charts import mpl
from cae_report.report.charts.chart import Chart
from cae_report.report.mime import (
    PLOTLY_CONFIG,
    PLOTLY_MIME,
    SVG_MIME,
    json_safe,
    with_plotly_html,
)

__all__ = [
    "PLOTLY_CONFIG",
    "PLOTLY_MIME",
    "SVG_MIME",
    "chart_bundle",
    "chart_metadata",
    "display_chart",
    "plotly_figure",
    "with_plotly_html",
]


def plotly_figure(chart: Chart) -> dict[str, Any]:
    """The interactive chart as plotly's MIME JSON: data, layout and config."""
    figure = json_safe(chart.plotly_json)
    figure["config"] = {**PLOTLY_CONFIG, "toImageButtonOptions": {"filename": chart.name}}
    return figure


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
