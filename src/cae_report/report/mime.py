"""What a chart's notebook output carries, as the publishing engines read it.

The charts (:mod:`cae_report.report.charts.output`) write these MIME types; the engines
(:mod:`cae_report.publish`) read them, and turn the plotly JSON into the HTML report's
``<div>``. This module imports neither matplotlib nor plotly: the build
process renders a report without drawing anything.
"""

from __future__ import annotations

import json
import math
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


_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "/": "\\u002f"})
"""What plotly escapes in the JSON it puts in a ``<script>`` (``plotly.io._json._swap_json``)."""

_DIV = "".join(
    " " * indent + text
    for indent, text in (
        (0, '<div style="height:{height}; width:{width};">'),
        (28, '<div id="{id}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'),
        (12, "<script>"),
        (16, "window.PLOTLYENV=window.PLOTLYENV || {{}};"),
        (32, 'if (document.getElementById("{id}")) {{'),
        (20, "Plotly.newPlot("),
        (24, '"{id}",'),
        (24, "{data},"),
        (24, "{layout},"),
        (24, "{config}"),
        (20, ")"),
        (16, "}};"),
        (12, "</script>"),
        (8, "</div>"),
    )
)
"""The text of ``plotly.io.to_html(..., full_html=False, include_plotlyjs=False)``."""


def json_safe(value: Any) -> Any:
    """A copy of ``value`` as plotly's JSON encoder writes it: numbers that are not finite as
    null, numpy values as Python ones, dates in ISO form. What the plotly backend draws is
    plain Python, so neither a chapter's kernel nor the engines import plotly (0.1 s) to
    encode it; anything else is a TypeError rather than a chart that no browser reads."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str | int):
        return value
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return json_safe(value.tolist())
    if hasattr(value, "isoformat"):  # dates, datetimes, timestamps
        return value.isoformat()
    raise TypeError(f"a chart's plotly JSON holds a {type(value).__name__}: {value!r}")


def _script_json(value: Any) -> str:
    """``value`` as plotly writes it into a page (``to_json_plotly``, json engine): compact,
    NaN and infinities as ``null``, ``<``, ``>`` and ``/`` escaped."""
    return json.dumps(json_safe(value), separators=(",", ":")).translate(_SCRIPT_SAFE)


def _css_size(value: Any) -> str:
    try:
        float(value)
    except (ValueError, TypeError):
        return str(value)
    return f"{value}px"


def plotly_div(figure: dict[str, Any], div_id: str) -> str:
    """The ``<div>`` and script drawing a plotly MIME JSON, without plotly.js (added once).

    The same text as ``plotly.io.to_html`` writes (``tests/test_charts.py`` compares them),
    without importing plotly: the build's process renders the report, and importing plotly
    there took a quarter of a second of the HTML's render."""
    config = dict(figure.get("config", PLOTLY_CONFIG))
    config.setdefault("responsive", True)
    if not config.get("showSendToCloud", False):
        config.pop("plotlyServerURL", None)
    layout = figure.get("layout", {})
    template = layout.get("template", {}).get("layout", {})
    return _DIV.format(
        id=div_id,
        width=_css_size(layout.get("width", template.get("width", "100%"))),
        height=_css_size(layout.get("height", template.get("height", "100%"))),
        data=_script_json(figure.get("data", [])),
        layout=_script_json(layout),
        config=json.dumps(config),
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
