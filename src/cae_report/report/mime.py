"""What a chart's notebook output carries, as the publishing engines read it.

The charts (:mod:`cae_report.report.charts.output`) write these MIME types; the engines
(:mod:`cae_report.publish`) read them, and turn the plotly JSON into the HTML report's
``<div>``. This module imports neither matplotlib nor plotly's figure classes: the build
process renders a report without drawing anything.
"""

from __future__ import annotations

from typing import Any

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


def plotly_div(figure: dict[str, Any], div_id: str) -> str:
    """The ``<div>`` and script drawing a plotly MIME JSON, without plotly.js (added once)."""
    config = figure.get("config", PLOTLY_CONFIG)
    import plotly.io as pio

    return pio.to_html(
        {"data": figure.get("data", []), "layout": figure.get("layout", {})},
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=config,
        validate=False,
    )


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
