"""The same report from both engines: 2016 built with pandoc + Typst and with Quarto, compared
as the board sees it (headings, every table with its caption and cells, every figure with its
caption, the key figures, the page count, the internal mark on every page of the internal
edition), and the Quarto page checked in headless Chromium like the pandoc one.

Skipped, saying why, where ``quarto`` is not on PATH (``.ci/run`` activates the offline
Quarto kit, so CI runs them).
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from conftest import CHROMIUM, cli, open_offline, pdf_text
from pypdf import PdfReader

from cae_report.publish import INTERNAL_MARK, render
from cae_report.publish.check import squash

pytestmark = pytest.mark.skipif(
    shutil.which("quarto") is None,
    reason="quarto not on PATH: the Quarto engine cannot be compared on this machine "
    "(source ../shared/quarto/activate, as .ci/run does)",
)

# Figures of the 2016 report that the data decide (not the published text's errors).
KEY_FIGURES = (
    "accompagné 109 entrepreneurs",
    "160 206 €",
    "16 693 €",
    "167 994 €",
    "908 700 €",
    "11 173 visites",
    "+34 %",
)


def chart_count(folder: Path) -> int:
    """The charts of the merged notebook (its plotly outputs): each must be drawn."""
    import nbformat

    nb = nbformat.read(folder / "rapport-2016.ipynb", as_version=4)
    return sum(
        "application/vnd.plotly.v1+json" in output.get("data", {})
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )


@pytest.fixture(scope="module")
def quarto_2016(clone):
    """2016 built with ``--engine quarto`` in a clone of the project (the ``clone`` fixture
    builds it, once for the run): (root, _build/2016)."""
    root = clone
    out = root / "_build" / "2016"
    assert (out / "rapport-2016.html").is_file() and (out / "rapport-2016.pdf").is_file()
    assert '"name": "quarto"' in (out / "provenance.json").read_text(encoding="utf-8")
    return root, out


@pytest.fixture(scope="module")
def internal_both(quarto_2016, tmp_path_factory):
    """The internal edition with both engines, from the same executed notebooks."""
    root, _ = quarto_2016
    proc = cli(root, "build", "--year", "2016", "--engine", "quarto", "--internal")
    assert proc.returncode == 0, proc.stderr
    folder = root / "_build" / "2016-interne"
    order = json.loads((folder / "notebooks" / "chapters.json").read_text())
    executed = [folder / "notebooks" / name for name in order]
    pandoc = tmp_path_factory.mktemp("interne-pandoc")
    render(executed, pandoc, 2016, "pandoc", root, internal=True)
    return {"quarto": folder, "pandoc": pandoc}


def _file(folder: Path, ext: str) -> Path:
    """The report in ``folder``: ``rapport-2016.<ext>``, or the internal edition's name."""
    public = folder / f"rapport-2016.{ext}"
    return public if public.is_file() else folder / f"rapport-2016-interne.{ext}"


def _html(folder: Path) -> str:
    return _file(folder, "html").read_text(encoding="utf-8")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _main(html: str) -> str:
    main = html[html.index('<main id="content"') :]
    return re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)


def headings(html: str) -> list[str]:
    return [
        _text(m.group(2)) for m in re.finditer(r"<h([1-3])\b[^>]*>(.*?)</h\1>", _main(html), re.S)
    ]


def captions(html: str) -> list[str]:
    return [
        _text(m.group(1))
        for m in re.finditer(
            r"<(?:figcaption|caption)\b[^>]*>(.*?)</(?:figcaption|caption)>", _main(html), re.S
        )
    ]


def table_cells(html: str) -> list[list[str]]:
    return [
        [_text(c) for c in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", table, re.S)]
        for table in re.findall(r"<table\b.*?</table>", _main(html), re.S)
    ]


@functools.cache
def pdf(folder: Path) -> tuple[list[str], list[str]]:
    """Page texts (PDFium's) and the outline (the PDF's bookmarks: its headings, read by
    pypdf), read once per file: the tests only read them."""
    path = _file(folder, "pdf")
    reader = PdfReader(str(path))
    pages = [" ".join(page.split()) for page in pdf_text(path)]

    def walk(items) -> list[str]:
        out = []
        for item in items:
            out += walk(item) if isinstance(item, list) else [" ".join(item.title.split())]
        return out

    return pages, walk(reader.outline)


def pdf_captions(pages: list[str]) -> list[str]:
    found = []
    for page in pages:
        found += [m.group(0) for m in re.finditer(r"(?:Tableau|Figure) \d+ : .{0,40}", page)]
    return [squash(c)[:30] for c in found]


def test_same_headings_tables_figures_and_captions(built_2016, quarto_2016):
    pandoc, quarto = _html(built_2016[1]), _html(quarto_2016[1])
    assert headings(pandoc) == headings(quarto) and len(headings(pandoc)) >= 8
    assert captions(pandoc) == captions(quarto)
    assert sum(c.startswith("Tableau") for c in captions(pandoc)) >= 10
    charts = chart_count(built_2016[1])
    assert charts >= 6 and sum(c.startswith("Figure") for c in captions(pandoc)) == charts

    # every table, cell by cell (the public edition has no provenance table naming the engine)
    assert table_cells(pandoc) == table_cells(quarto) and len(table_cells(pandoc)) >= 10


def test_same_pdf_headings_captions_and_pages(built_2016, quarto_2016):
    (pandoc_pages, pandoc_outline), (quarto_pages, quarto_outline) = (
        pdf(built_2016[1]),
        pdf(quarto_2016[1]),
    )

    # Typst 0.15 (pandoc path) puts the section number in the PDF's bookmarks, Typst 0.13
    # (Quarto 1.7) does not: the same headings otherwise
    def unnumbered(outline: list[str]) -> list[str]:
        return [re.sub(r"^[\d.]+ ", "", title) for title in outline]

    assert unnumbered(pandoc_outline) == unnumbered(quarto_outline)
    assert len(pandoc_outline) >= 8
    assert pdf_captions(pandoc_pages) == pdf_captions(quarto_pages)
    assert abs(len(quarto_pages) - len(pandoc_pages)) <= 0.15 * len(pandoc_pages)
    for pages in (pandoc_pages, quarto_pages):
        text = " ".join(pages).replace("\u2019", "'")
        assert "Rapport d'exécution" in text and "Table des matières" in text
        assert re.search(rf"Page {len(pages) - 1} / {len(pages) - 1}", pages[-1])  # cover apart
        for figure in KEY_FIGURES:
            assert figure in text, figure


def test_key_figures_in_both_pages(built_2016, quarto_2016):
    for folder in (built_2016[1], quarto_2016[1]):
        text = _text(_html(folder)).replace("\u202f", " ").replace("\u00a0", " ")
        for figure in KEY_FIGURES:
            assert figure in text, (folder, figure)


def test_quarto_page_is_self_contained_french_and_codeless(quarto_2016):
    page = _html(quarto_2016[1])
    assert re.search(r'<html[^>]* lang="fr"', page)
    assert page.count("plotly.js v") == 1
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*(src|href)=[\"']https?:", page)
    assert "require.js" not in page and "jquery" not in page.lower()
    assert 'http-equiv="Content-Security-Policy"' in page
    visible = _text(_main(page))
    for code in ("prepare_year(", "check_parameters", "display_chart("):
        assert code not in visible
    assert "31 décembre 2016" in page and "Table des matières" in page


def test_internal_mark_on_every_page_with_both_engines(internal_both):
    for engine, folder in internal_both.items():
        pages, _ = pdf(folder)
        unmarked = [i + 1 for i, page in enumerate(pages) if INTERNAL_MARK not in page]
        assert not unmarked, (engine, unmarked)
        banner = re.search(r'<p class="internal-mark"[^>]*>([^<]*)</p>', _html(folder))
        assert banner and unescape(banner.group(1)) == INTERNAL_MARK, engine


@pytest.fixture(scope="module")
def quarto_page(chromium, quarto_2016):
    page, log = open_offline(chromium, quarto_2016[1] / "rapport-2016.html")
    yield page, log
    page.context.close()


def test_quarto_page_in_the_browser(quarto_page, quarto_2016):
    page, log = quarto_page
    quarto_page_folder = quarto_2016[1]
    assert log["requests"] == [] and log["errors"] == []
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => d.querySelector('svg.main-svg g.trace')).length"
    )
    assert drawn == chart_count(quarto_page_folder) >= 6


@pytest.mark.parametrize("engine", ["pandoc", "quarto"])
def test_phone_width_scrolls_tables_not_the_page(engine, built_2016, quarto_2016, chromium):
    """At 390 px, the page never scrolls sideways; a table wider than the screen scrolls in
    its own box."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium")
    folder = built_2016[1] if engine == "pandoc" else quarto_2016[1]
    context = chromium.new_context(viewport={"width": 390, "height": 844}, offline=True)
    page = context.new_page()
    page.goto((folder / "rapport-2016.html").as_uri(), wait_until="load")
    page_width = page.evaluate("() => document.documentElement.scrollWidth")
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.cae-table')].map(b => ({
            overflow: getComputedStyle(b).overflowX,
            client: b.clientWidth,
            scroll: b.scrollWidth}))"""
    )
    context.close()
    assert page_width <= 390
    wide = [b for b in boxes if b["scroll"] > b["client"]]
    assert wide and all(b["overflow"] == "auto" for b in wide)


def test_auto_engine_says_which_and_why(quarto_2016, built_2016, monkeypatch):
    root, _ = quarto_2016
    proc = cli(root, "build", "--year", "2016")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"engine quarto \(auto\): quarto found at \S+", proc.stderr)
    assert "up to date" in proc.stderr  # the quarto build above, same key
    monkeypatch.setenv("PATH", str(Path(shutil.which("git") or "/usr/bin/git").parent))
    proc = cli(built_2016[0], "build", "--year", "2016")
    assert "engine pandoc (auto): quarto not on PATH" in proc.stderr, proc.stderr


def page_fill(pdf_path: Path) -> list[float]:
    """How far down each page its body text goes, as a share of the page's body (0 to 1),
    from the words' positions (poppler's ``pdftotext -bbox``); header and footer apart."""
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) missing: run `make system-deps`")
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    margin = 2.5 / 2.54 * 72  # the Typst margin of _quarto.yml (y: 2.5cm)
    fills = []
    for height, body in re.findall(
        r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', out, re.S
    ):
        height = float(height)
        bottoms = [
            float(b)
            for t, b in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">', body
            )
            if margin - 6 < float(t) and float(b) < height - margin + 6
        ]
        fills.append(max(((b - margin) / (height - 2 * margin) for b in bottoms), default=0.0))
    return fills


def chapter_pages(pdf_path: Path) -> set[int]:
    """The pages (1-based) on which a chapter (a level-1 heading) starts."""
    reader = PdfReader(str(pdf_path))
    return {
        reader.get_destination_page_number(item) + 1
        for item in reader.outline
        if not isinstance(item, list)
    }


@pytest.mark.parametrize("engine", ["pandoc", "quarto"])
def test_no_page_under_a_third_full_but_at_a_chapter_end(engine, built_2016, quarto_2016):
    folder = built_2016[1] if engine == "pandoc" else quarto_2016[1]
    pdf_path = folder / "rapport-2016.pdf"
    fills, starts = page_fill(pdf_path), chapter_pages(pdf_path)
    assert len(starts) >= 6
    contents = min(starts) - 1  # the table of contents ends before the first chapter
    thin = [
        f"page {n} is {fill:.0%} full"
        for n, fill in enumerate(fills, start=1)
        if fill < 1 / 3 and n != 1 and n != contents and n + 1 not in starts and n != len(fills)
    ]
    assert thin == []


@pytest.mark.parametrize("engine", ["pandoc", "quarto"])
def test_a_table_split_across_pages_repeats_its_header(engine, built_2016, quarto_2016):
    folder = built_2016[1] if engine == "pandoc" else quarto_2016[1]
    pages, _ = pdf(folder)
    header = "Nom Prénom Activité Commune Statut"  # the list of entrepreneurs
    with_header = [n for n, page in enumerate(pages, start=1) if header in page]
    assert len(with_header) >= 2
    assert with_header == list(range(with_header[0], with_header[-1] + 1))
