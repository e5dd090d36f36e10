"""Accessibility of the built 2016 report.

HTML: axe-core (npm, ``make test`` installs it from package-lock.json) run in headless Chromium
finds no serious or critical violation; every image and chart has a text alternative; the page
is in French; the chart colours contrast with the white background. PDF: tagged (PDF/UA-1),
with the report's title and the French language, every figure with its alt text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import PROJECT, open_offline
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from cae_report.report import charts

AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
TEXT_CONTRAST_MIN = 4.5
"""WCAG 2.1, 1.4.3: normal-size text."""


# --- colour contrast (WCAG 2.1 relative luminance) -------------------------------------------


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int] = (255, 255, 255)) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def test_contrast_formula():
    assert contrast((0, 0, 0)) == pytest.approx(21)
    assert contrast(_hex("#767676")) == pytest.approx(4.54, abs=0.01)


def test_every_chart_colour_role_contrasts_with_white():
    """Bars and lines are read against the white page: 3:1 at least (WCAG 1.4.11)."""
    weak = {
        role: round(contrast(_hex(colour)), 2)
        for role, colour in charts.COLORS.items()
        if contrast(_hex(colour)) < charts.MARK_CONTRAST_MIN
    }
    assert weak == {}, f"chart colours under {charts.MARK_CONTRAST_MIN}:1 against white: {weak}"


# --- static HTML -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_text(built_2016) -> str:
    return (built_2016[1] / "rapport-2016.html").read_text(encoding="utf-8")


def test_html_is_in_french(html_text):
    assert re.search(r'<html[^>]*\blang="fr"', html_text)


def test_every_image_and_chart_has_a_text_alternative(html_text):
    images = re.findall(r"<img\b[^>]*>", html_text)
    no_alt = [i[:120] for i in images if not re.search(r'\balt="[^"]*\S[^"]*"', i)]
    assert no_alt == [], f"images without alt text: {no_alt}"
    figures = re.findall(r"<figure\b.*?</figure>", html_text, re.S)
    charts_html = [f for f in figures if "plotly-graph-div" in f]
    assert len(charts_html) == html_text.count('class="plotly-graph-div"') >= 5
    for figure in charts_html:
        opening = re.search(r'<div class="cae-chart"[^>]*>', figure)
        assert opening, figure[:200]
        assert re.search(r'\baria-label="[^"]*\S[^"]*"', opening.group(0)), opening.group(0)
        # role="img" would hide plotly's mode bar buttons (focusable) from assistive technology
        assert 'role="img"' not in opening.group(0)


# --- in the browser: axe-core, and the colours plotly actually drew ----------------------------


@pytest.fixture(scope="module")
def page(chromium, built_2016):
    page, _ = open_offline(chromium, built_2016[1] / "rapport-2016.html")
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def axe_results(page):
    if not AXE.exists():
        pytest.skip(f"{AXE.relative_to(PROJECT)} missing: run `npm ci` (make test does)")
    # Evaluated by the browser's debugger protocol: the page's Content-Security-Policy lets
    # only its own scripts run, so a <script> tag added to it would be refused.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    # The default rules (WCAG 2.0-2.2 A and AA, best practices), on the page as drawn: the
    # charts' mode bars exist only once plotly has run.
    return page.evaluate("async () => await axe.run()")


def test_axe_finds_no_serious_or_critical_violation(axe_results):
    assert axe_results["testEngine"]["version"], "axe did not run"
    assert len(axe_results["passes"]) > 10
    blocking = [v for v in axe_results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}\n    "
        + "\n    ".join(", ".join(n["target"]) for n in v["nodes"][:10])
        for v in blocking
    )
    assert blocking == [], f"axe-core violations:\n{report}"


CHART_COLOURS_JS = r"""() => {
  const rgb = c => (c.match(/^rgba?\((\d+), (\d+), (\d+)/) || []).slice(1).map(Number);
  const out = {texts: [], marks: []};
  for (const svg of document.querySelectorAll('.plotly-graph-div svg.main-svg')) {
    const id = svg.closest('.plotly-graph-div').id;
    for (const t of svg.querySelectorAll('text')) {
      if (t.textContent.trim() && !t.closest('.hoverlayer')) {
        out.texts.push([id, t.textContent.trim().slice(0, 40), rgb(getComputedStyle(t).fill)]);
      }
    }
    for (const p of svg.querySelectorAll('.barlayer .point path, .waterfalllayer .point path')) {
      out.marks.push([id, rgb(getComputedStyle(p).fill)]);
    }
  }
  return out;
}"""


def test_chart_text_and_bars_contrast_with_the_background(page):
    """What axe cannot decide (text in SVG): the drawn labels and bars, against white."""
    drawn = page.evaluate(CHART_COLOURS_JS)
    assert drawn["texts"] and drawn["marks"]
    weak_texts = [
        (chart, text, rgb)
        for chart, text, rgb in drawn["texts"]
        if len(rgb) == 3 and contrast(tuple(rgb)) < TEXT_CONTRAST_MIN
    ]
    assert weak_texts == [], f"chart text under {TEXT_CONTRAST_MIN}:1: {weak_texts[:10]}"
    weak_marks = sorted(
        {
            (chart, tuple(rgb))
            for chart, rgb in drawn["marks"]
            if len(rgb) == 3 and contrast(tuple(rgb)) < charts.MARK_CONTRAST_MIN
        }
    )
    assert weak_marks == [], f"bars under {charts.MARK_CONTRAST_MIN}:1 against white: {weak_marks}"


# --- PDF -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(built_2016) -> Path:
    return built_2016[1] / "rapport-2016.pdf"


@pytest.fixture(scope="module")
def pdfinfo(pdf) -> dict[str, str]:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo missing: run `make system-deps` as root (installs poppler-utils)")
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_pdf_is_tagged_with_the_report_title(pdfinfo, html_text):
    assert pdfinfo["Tagged"] == "yes"
    title = re.search(r"<title>(.*?)</title>", html_text).group(1)
    assert pdfinfo["Title"] == title == "Rapport d’exécution – Exercice 2016"


def test_pdf_language_is_french_and_it_claims_pdf_ua(pdf):
    reader = PdfReader(pdf)
    catalog = reader.trailer["/Root"]
    assert str(catalog.get("/Lang", "")).startswith("fr")
    assert bool(catalog["/MarkInfo"]["/Marked"])
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp, "PDF/UA-1 identification missing"
    assert "<rdf:li>fr-FR</rdf:li>" in xmp


def _struct_elements(node, kind: str) -> list[DictionaryObject]:
    node = node.get_object()
    if isinstance(node, ArrayObject):
        return [e for child in node for e in _struct_elements(child, kind)]
    if not isinstance(node, DictionaryObject):
        return []
    found = [node] if node.get("/S") == kind else []
    return found + (_struct_elements(node["/K"], kind) if "/K" in node else [])


def test_every_pdf_figure_has_its_alt_text(pdf, html_text):
    tree = PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"].get_object()
    figures = _struct_elements(tree["/K"], "/Figure")
    alts = [str(f.get("/Alt", "")).strip() for f in figures]
    assert len(alts) == html_text.count('class="plotly-graph-div"'), alts
    assert all(alts), alts
