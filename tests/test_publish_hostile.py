"""Data is text, whatever the engine: hostile notebook outputs reach the HTML and the PDF as
the text they were typed as, never as markup, script, Typst code, math or a citation.

The outputs below are emitted as a notebook would emit unescaped data (the escaping of the
report's own helpers is tested with them); both engines render them (Quarto when it is on
PATH), and the results are checked in the HTML source, in headless Chromium (no dialog, no
navigation, the charts drawn under the Content-Security-Policy) and in the PDF text.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import open_offline
from pypdf import PdfReader
from test_publish import YEAR, _chart_bundle, _code, _display, _papermill_cells, _write

from cae_report.publish import RenderError, render

ROOT = Path(__file__).resolve().parents[1]

IMG = "<img src=x onerror=\"alert('img')\">"
SVG = "<svg onload=alert('svg')>"
TYPST = '`#read("/etc/passwd")`{=typst}'
SCRIPT = "`<script>alert('script')</script>`{=html}"
LINK = "[clic](javascript:alert('link'))"
LONG = "X" * 10_000
NARRATIVE = (
    f"Commune {IMG} ; prénom {SVG} ; note {TYPST} et {SCRIPT} ; lien {LINK} ; "
    "prix $5$ et $$x$$ ; contact @lafabrique ; humeur 😀 ; ville 中文 ; fin."
)
BREAKOUT = (
    "avant\n:::\n<iframe src=javascript:alert('frame')></iframe>\n\n```{=typst}\n#pagebreak()\n```"
)
TABLE = (
    "| Source | Valeur |\n|:--|--:|\n"
    f"| a <!-- caché | 1 |\n| ligne cachée | 2 |\n| fin --> | 3 |\n"
    f"| {IMG} | 4 |\n| {LONG} | 5 |\n"
)


def _hostile(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Données hostiles\n\nTexte écrit."))
    nb.cells += _papermill_cells()
    nb.cells.append(
        _code("md(x)", [_display({"text/markdown": NARRATIVE, "text/plain": NARRATIVE})])
    )
    nb.cells.append(_code("md(y)", [_display({"text/markdown": BREAKOUT, "text/plain": BREAKOUT})]))
    nb.cells.append(
        _code(
            "#| label: tbl-hostile\n#| tbl-cap: Valeurs hostiles",
            [_display({"text/markdown": TABLE, "text/plain": "table"})],
        )
    )
    # an output that claims to be HTML but is not a chart: never raw HTML
    nb.cells.append(
        _code("display(html)", [_display({"text/html": IMG, "text/plain": "html as text"})])
    )
    nb.cells.append(
        _code(
            "#| label: fig-chart\n#| fig-cap: Un graphique\ndisplay_chart(chart)",
            [_display(_chart_bundle())],
        )
    )
    return _write(nb, path, "2017-03-02T10:00:00+00:00")


def _engines() -> list:
    quarto = pytest.mark.skipif(
        shutil.which("quarto") is None,
        reason="quarto not on PATH: the Quarto engine cannot be tested on this machine",
    )
    return ["pandoc", pytest.param("quarto", marks=quarto)]


@pytest.fixture(scope="module", params=_engines())
def hostile(request, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    source = _hostile(folder / "01-hostile.ipynb")
    out = render([source], folder / "out", YEAR, request.param, ROOT, keep_intermediates=True)
    out["engine"] = request.param
    return out


def _pdf_text(path: Path) -> str:
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)
    return " ".join(text.split())


def test_html_holds_no_markup_from_the_data(hostile):
    page = hostile["html"].read_text(encoding="utf-8")
    body = page[page.index("<body") :]
    for tag in ("<img src=x", "<svg onload", "<iframe", "<script>alert"):
        assert tag not in body, tag
    assert 'href="javascript:' not in body
    # shown as typed
    assert "&lt;img src=x onerror=" in body and "&lt;svg onload=" in body
    assert '#read("/etc/passwd")' in body or "#read(&quot;/etc/passwd&quot;)" in body
    assert "$5$" in body and "@lafabrique" in body and "😀" in body
    # the comment hides nothing, the fence closes nothing
    assert "ligne cachée" in body and "&lt;!" in body
    assert "&lt;iframe" in body


def test_pdf_prints_the_data_as_text(hostile):
    text = _pdf_text(hostile["pdf"])
    assert "$5$" in text and "@lafabrique" in text
    assert "[U+1F600]" in text and "[U+4E2D][U+6587]" in text
    assert "<img src=x onerror=" in text  # markup printed as typed
    assert "lien clic" in text and "alert('link')" not in text  # the link, without its target
    assert "ligne cachée" in text
    assert "passwd" in text  # the Typst code printed, not run
    assert "XXXXXXXXXX" in text and "[…]" in text  # the long value, cut
    assert LONG not in text.replace(" ", "")


def test_typst_source_runs_no_data(hostile):
    render_dir = hostile["html"].parent / f".render-{YEAR}"
    if hostile["engine"] == "pandoc":
        typ = (render_dir / f"rapport-{YEAR}.typ").read_text(encoding="utf-8")
    else:  # kept by keep_intermediates
        typ = (render_dir / "quarto" / f"rapport-{YEAR}-typst.typ").read_text(encoding="utf-8")
    assert "#read(" not in typ.replace("\\#read(", "")
    assert "#pagebreak()" not in typ.replace("\\#pagebreak()", "")
    assert "#cite" not in typ


def test_browser_fires_nothing_and_draws_the_chart(hostile, chromium):
    page, log = open_offline(chromium, hostile["html"])
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.reload(wait_until="load")
    page.wait_for_timeout(500)
    for link in page.locator("main a").all():
        link.click(timeout=2_000, no_wait_after=True)
    page.wait_for_timeout(300)
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => d.querySelector('svg.main-svg g.trace')).length"
    )
    url = page.url
    page.context.close()
    assert dialogs == [] and log["requests"] == []
    assert drawn == 1
    assert url.startswith("file:") and "javascript" not in url


def test_csp_stops_a_planted_handler_and_keeps_the_charts(hostile, chromium, tmp_path):
    """Should markup reach the page anyway, the policy keeps it from running: an <img
    onerror> and a javascript: link planted in the finished page do nothing, while the
    report's own scripts (plotly.js, the chart) still run."""
    page_text = hostile["html"].read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in page_text
    planted = page_text.replace(
        "</main>",
        "<img id=planted src=x onerror=\"document.title='PWNED';alert('planted')\">"
        "<a id=js href=\"javascript:document.title='PWNED'\">x</a></main>",
    )
    target = tmp_path / "planted.html"
    target.write_text(planted, encoding="utf-8")
    page, log = open_offline(chromium, target)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.click("#js", no_wait_after=True)
    page.wait_for_timeout(300)
    title = page.title()
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => d.querySelector('svg.main-svg g.trace')).length"
    )
    page.context.close()
    assert title != "PWNED" and dialogs == []
    assert drawn == 1
    assert any("Content Security Policy" in e for e in log["errors"]), log["errors"]


def test_the_checks_refuse_a_page_that_loads_from_elsewhere(hostile):
    """The output check (cae_report.publish.check) runs in render(): a page that lost its
    policy or loads a script from a CDN is an error, whatever the engine."""
    from cae_report.publish import check
    from cae_report.publish.assemble import load_config

    html, pdf, merged = hostile["html"], hostile["pdf"], hostile["ipynb"]
    page = html.read_text(encoding="utf-8")
    bad = html.with_name("bad.html")
    bad.write_text(
        page.replace(
            '<meta http-equiv="Content-Security-Policy"',
            '<script src="https://cdn.example/x.js"></script><meta name="x"',
        ),
        encoding="utf-8",
    )
    with pytest.raises(RenderError) as failure:
        check.verify(
            merged, bad, pdf, config=load_config(ROOT), internal_mark=None, public_mark="MARK!"
        )
    message = str(failure.value)
    assert "https://cdn.example/x.js" in message and "no Content-Security-Policy" in message
    assert re.search(r"previous report is kept", message)
