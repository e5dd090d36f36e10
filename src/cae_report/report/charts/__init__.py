"""The report's charts: each described once (:mod:`.spec`), drawn by two thin backends.

The PDF needs a static image (:mod:`.mpl`, matplotlib) and the HTML an interactive one
(:mod:`.plotly`); both draw the same :class:`~.spec.ChartSpec`, so they cannot drift apart:
same numbers, ranges, ticks, labels, colours and alt text, French formatting from
:mod:`cae_report.fr`. One module per family builds the specifications from the analyses'
tables (:mod:`.movements`, :mod:`.budget`, :mod:`.audience`, :mod:`.bars`); charts draw,
the analyses compute. :mod:`.output` makes the notebook output every reader can show.
"""

from cae_report.report.charts.audience import countries_chart, targets_chart, web_trend_chart
from cae_report.report.charts.bars import bar_chart
from cae_report.report.charts.budget import (
    products_structure_chart,
    variance_chart,
    waterfall_chart,
)
from cae_report.report.charts.chart import Chart
from cae_report.report.charts.movements import movements_chart
from cae_report.report.charts.output import (
    PLOTLY_CONFIG,
    chart_bundle,
    display_chart,
    with_plotly_html,
)
from cae_report.report.charts.style import COLORS, MARK_CONTRAST_MIN, OKABE_ITO, PALETTE

__all__ = [
    "COLORS",
    "MARK_CONTRAST_MIN",
    "OKABE_ITO",
    "PALETTE",
    "PLOTLY_CONFIG",
    "Chart",
    "bar_chart",
    "chart_bundle",
    "countries_chart",
    "display_chart",
    "movements_chart",
    "products_structure_chart",
    "targets_chart",
    "variance_chart",
    "waterfall_chart",
    "web_trend_chart",
    "with_plotly_html",
]
