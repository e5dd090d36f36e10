"""The built HTML report in a real browser (Debian's headless Chromium, driven by playwright),
with the network blocked: it loads nothing, logs no error, draws every interactive chart, and
a chart answers the mouse. Skips, saying why, where Chromium or playwright is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import open_offline

CHARTS_JS = """divs => divs.map(d => ({
  id: d.id,
  svg: d.querySelectorAll('svg.main-svg').length,
  marks: [...d.querySelectorAll('svg.main-svg g.trace path')].filter(p => {
    const box = p.getBBox();
    return (p.getAttribute('d') || '').length > 2 && (box.width > 0 || box.height > 0);
  }).length,
}))"""


@pytest.fixture(scope="module")
def report(chromium, built_2016):
    """(page, log, html text) of the 2016 report, opened offline with every chart drawn."""
    html = built_2016[1] / "rapport-2016.html"
    page, log = open_offline(chromium, html)
    yield page, log, html.read_text(encoding="utf-8")
    page.context.close()


def test_the_harness_sees_network_requests_and_errors(chromium, tmp_path: Path):
    """The checks below can fail: a page asking for a CDN script and logging an error is seen."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="fr"><head><title>t</title>'
        '<script src="https://cdn.plot.ly/plotly-3.0.1.min.js"></script></head>'
        '<body><script>console.error("boom"); undefinedFunction();</script></body></html>',
        encoding="utf-8",
    )
    opened, log = open_offline(chromium, page, wait_for_charts=False)
    opened.context.close()
    assert log["requests"] == ["https://cdn.plot.ly/plotly-3.0.1.min.js"]
    assert any("boom" in e for e in log["errors"])
    assert any("undefinedFunction" in e for e in log["errors"])


def test_nothing_is_fetched_from_the_network(report):
    _, log, _ = report
    assert log["requests"] == [], "the report must be self-contained: " + ", ".join(log["requests"])


def test_no_console_error_and_no_uncaught_exception(report):
    _, log, _ = report
    assert log["errors"] == [], "\n".join(log["errors"])


def test_every_interactive_chart_is_drawn(report):
    page, _, html = report
    expected = re.findall(r'Plotly\.newPlot\(\s*"([^"]+)"', html)
    assert len(expected) >= 5, "the 2016 report has ten interactive charts"
    charts = page.eval_on_selector_all(".plotly-graph-div", CHARTS_JS)
    assert [c["id"] for c in charts] == expected
    not_drawn = [c for c in charts if c["svg"] == 0 or c["marks"] == 0]
    assert not_drawn == [], f"charts without a drawn svg.main-svg or without marks: {not_drawn}"


def test_hovering_a_bar_shows_its_label(report):
    page, _, _ = report
    # The first bar chart whose hover labels are per point (an "x unified" one draws a legend).
    chart_id = page.evaluate(
        """() => [...document.querySelectorAll('.plotly-graph-div')].find(d =>
          d._fullLayout.hovermode === 'closest' && d.querySelector('.barlayer .point path')).id"""
    )
    chart = page.locator(f"#{chart_id}")
    chart.scroll_into_view_if_needed()
    assert chart.locator("g.hovertext").count() == 0
    # The tallest bar of the chart: its middle is surely inside the plot area.
    bars = chart.locator(".barlayer .point path")
    boxes = [b for b in (bars.nth(i).bounding_box() for i in range(bars.count())) if b]
    bar = max(boxes, key=lambda b: b["width"] * b["height"])
    x, y = bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=5)
    label = chart.locator("g.hovertext").first
    label.wait_for(state="visible", timeout=5_000)
    assert re.search(r"\d", label.text_content() or ""), label.text_content()
    page.mouse.move(1, 1)
