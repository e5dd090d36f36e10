"""Check a rendered report against the merged notebook it was rendered from, before it
replaces the previous one.

An engine can fail silently: a Quarto that does not read ``_quarto.yml`` still writes an
English page with the code showing; an HTML include dropped by a pandoc version loses the
charts. So, whatever the engine, the HTML and the PDF must show what the merged notebook
holds, and :func:`verify` raises a :class:`RenderError` listing every difference:

* language: ``<html lang>`` and the PDF's ``/Lang`` are the document's (``fr``);
* contents: every chapter and section heading of the notebook, in the page, in the
  table of contents and in the PDF text, and the contents' title;
* captions: one numbered caption per table and figure that has an output
  (``Tableau N :``, ``Figure N :``), with its text, and no other;
* no code: no code cell's source is shown (``echo`` is false in the report);
* self-contained HTML: nothing loaded from elsewhere (scripts, styles, images, fonts,
  frames), plotly.js exactly once, a Content-Security-Policy;
* charts: one ``Plotly.newPlot`` per chart output;
* the internal mark on every PDF page and on the HTML cover of the internal edition, and
  nowhere in the public one.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

from cae_report.config import parse_yaml
from cae_report.publish.assemble import RenderError, is_chart_html, parse_cell_options
from cae_report.report.mime import PLOTLY_MIME

_HEADING = re.compile(r"^(#{1,2})\s+(.+?)\s*(?:\{[^}]*\})?\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TAG = re.compile(r"<[^>]+>")
_EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|source|video|audio|embed|object|track|input)\b[^>]*?\s
        (?:src|data|poster)\s*=\s*["']?(?!data:|\#|["'])([^"'\s>]+)""",
    re.I | re.X,
)
_STYLESHEET = re.compile(r"<link\b[^>]*>", re.I)
_CSS_URL = re.compile(r"""url\(\s*["']?(?!data:|\#)([^"')\s]+)""", re.I)
_IMPORT = re.compile(r"@import\s", re.I)


@dataclass
class Expected:
    """What the merged notebook says the report holds."""

    title: str = ""
    lang: str = "fr"
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    charts: int = 0
    code: list[str] = field(default_factory=list)


def squash(text: str) -> str:
    """Letters and digits only, lowercased: text compared across HTML, PDF extraction
    (hyphenation, line breaks, ligatures, spaces of every kind) and markdown."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _markdown_text(text: str) -> str:
    """A heading or caption as plain text: emphasis, code marks and links removed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`\\]", "", text).strip()


def expected_from(merged: Path, config: dict[str, Any]) -> Expected:
    """Headings, captions and charts of the merged notebook (the renderers' input)."""
    nb = json.loads(Path(merged).read_text(encoding="utf-8"))
    expected = Expected(lang=str(config.get("lang") or "fr"))
    cells = nb.get("cells", [])
    if cells and cells[0].get("cell_type") == "raw":
        front = parse_yaml("".join(cells[0].get("source", "")).strip().strip("-")) or {}
        expected.title = str(front.get("title") or "")
    for cell in cells:
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            fenced = False
            for line in source.splitlines():
                if _FENCE.match(line):
                    fenced = not fenced
                    continue
                match = None if fenced else _HEADING.match(line)
                if match and "{{<" not in line:
                    expected.headings.append((len(match.group(1)), _markdown_text(match.group(2))))
        elif cell.get("cell_type") == "code":
            options, code = parse_cell_options(source)
            outputs = cell.get("outputs", [])
            if len(squash(code)) >= 24 and options.get("echo") is not True:
                expected.code.append(code.strip())
            label = str(options.get("label") or "")
            if outputs and label.startswith("tbl-"):
                expected.tables.append((label, _markdown_text(str(options.get("tbl-cap", "")))))
            elif outputs and label.startswith("fig-"):
                expected.figures.append((label, _markdown_text(str(options.get("fig-cap", "")))))
            for output in outputs:
                data = output.get("data") or {}
                html = data.get("text/html")
                text = "".join(html) if isinstance(html, list) else html
                if PLOTLY_MIME in data or (text is not None and is_chart_html(text)):
                    expected.charts += 1
    return expected


def _text_of(html: str) -> str:
    return unescape(_TAG.sub(" ", html))


def _without_scripts(page: str) -> str:
    # Runs of anything but « < » up to the closing tag: one pass over plotly.js (a lazy
    # « .*? » tries the closing tag at each of its 4.6 million characters).
    return re.sub(r"<(script|style)\b[^<]*(?:<(?!/\1\s*>)[^<]*)*</\1\s*>", " ", page, flags=re.I)


def check_html(
    page: str, expected: Expected, *, mark: str | None, labels: dict[str, str]
) -> list[str]:
    """Problems of the HTML page (empty when it is right)."""
    problems: list[str] = []
    lang = re.search(r"<html\b[^>]*\slang=\"([^\"]*)\"", page)
    if not lang or not lang.group(1).startswith(expected.lang):
        problems.append(
            f"language: <html lang> is {lang.group(1) if lang else 'missing'!r}, "
            f"expected {expected.lang!r}"
        )
    visible = _without_scripts(page)
    body = visible[visible.find("<body") :]
    text = squash(_text_of(body))
    if expected.title and squash(expected.title) not in text:
        problems.append(f"title: {expected.title!r} not in the page")
    nav = re.search(r"<nav\b[^>]*id=\"TOC\".*?</nav>", body, re.S)
    if nav is None:
        problems.append('contents: no table of contents (<nav id="TOC">)')
    headings = [
        squash(_text_of(m.group(2)))
        for m in re.finditer(r"<h([1-3])\b[^>]*>(.*?)</h\1>", body, re.S)
    ]
    for level, heading in expected.headings:
        wanted = squash(heading)
        if not any(h.endswith(wanted) for h in headings):
            problems.append(f"contents: heading {heading!r} missing from the page")
        elif level == 1 and nav is not None and wanted not in squash(_text_of(nav.group(0))):
            problems.append(f"contents: chapter {heading!r} missing from the table of contents")
    captions = [
        _text_of(m.group(1))
        for m in re.finditer(
            r"<(?:figcaption|caption)\b[^>]*>(.*?)</(?:figcaption|caption)>", body, re.S
        )
    ]
    problems += _check_captions(captions, expected, labels, "HTML")
    for label, _ in expected.tables + expected.figures:
        if not re.search(rf'id="{re.escape(label)}"', body):
            problems.append(f"captions: no element with id {label!r} (cross-references break)")
    shown = [code for code in expected.code if squash(code) in text]
    if shown:
        problems.append(f"code shown ({len(shown)} cells), e.g. {shown[0].splitlines()[0]!r}")
    external = sorted({m.group(1) for m in _EXTERNAL.finditer(page)})
    for link in _STYLESHEET.findall(page):
        href = re.search(r"""href\s*=\s*["']?([^"'\s>]+)""", link)
        if href and not href.group(1).startswith(("data:", "#")) and "stylesheet" in link.lower():
            external.append(href.group(1))
    styles = " ".join(re.findall(r"<style\b[^>]*>(.*?)</style>", page, re.S | re.I))
    external += [u for u in _CSS_URL.findall(styles)]
    if _IMPORT.search(styles):
        external.append("@import in a stylesheet")
    if external:
        problems.append("not self-contained: loads " + ", ".join(sorted(set(external))[:8]))
    if page.count("plotly.js v") != 1 and expected.charts:
        problems.append(f"plotly.js embedded {page.count('plotly.js v')} times, expected once")
    newplots = len(re.findall(r"Plotly\.newPlot\(", page))
    if newplots != expected.charts:
        problems.append(f"charts: {newplots} drawn (Plotly.newPlot), expected {expected.charts}")
    if 'http-equiv="Content-Security-Policy"' not in page:
        problems.append("no Content-Security-Policy")
    marked = mark is not None and squash(mark) in squash(_text_of(body))
    if mark is not None and not marked:
        problems.append(f"internal edition: the mark {mark!r} is not on the page")
    return problems


def _check_captions(
    captions: list[str], expected: Expected, labels: dict[str, str], where: str
) -> list[str]:
    problems: list[str] = []
    for kind, items in (("tbl", expected.tables), ("fig", expected.figures)):
        word = labels[kind]
        numbered = [c for c in captions if re.match(rf"\s*{word}\s*\d+", c)]
        if len(numbered) != len(items):
            problems.append(
                f"captions ({where}): {len(numbered)} « {word} N » captions, expected "
                f"{len(items)} (one per {kind} cell with an output)"
            )
        squashed = [squash(c) for c in numbered]
        for number, (label, caption) in enumerate(items, start=1):
            wanted = squash(f"{word} {number}") + squash(caption)
            if not any(c.startswith(wanted) for c in squashed):
                problems.append(
                    f"captions ({where}): « {word} {number} : {caption} » ({label}) missing"
                )
    return problems


def pdf_pages(pdf: Path) -> tuple[list[str], dict[str, Any]]:
    """The text of each page and the document catalog's language and title.

    PDFium (``pypdfium2``) extracts the text: pypdf took 2.2 s for the 25 pages of the 2016
    report, a fifth of a cold build, where PDFium takes 0.1 s. A file PDFium cannot open is
    a :class:`RenderError`: a report whose PDF cannot be read is not kept."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        raise RenderError("check outputs", f"{pdf}: not a readable PDF ({exc})") from None
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        size = pdfium_c.FPDFCatalog_GetLanguage(document, None, 0)
        buffer = (ctypes.c_ushort * max(size // 2, 1))()
        if size:
            pdfium_c.FPDFCatalog_GetLanguage(document, buffer, size)
        lang = bytes(buffer).decode("utf-16-le").rstrip("\x00")
        title = document.get_metadata_value("Title")
    finally:
        document.close()
    return pages, {"lang": lang, "title": title}


def check_pdf(
    pages: list[str],
    meta: dict[str, Any],
    expected: Expected,
    *,
    mark: str | None,
    labels: dict[str, str],
    toc_title: str,
) -> list[str]:
    """Problems of the PDF (empty when it is right)."""
    problems: list[str] = []
    if not meta["lang"].startswith(expected.lang):
        problems.append(
            f"language: the PDF's /Lang is {meta['lang']!r}, expected {expected.lang!r}"
        )
    if expected.title and squash(expected.title) not in squash(meta["title"]):
        problems.append(f"title: the PDF's title is {meta['title']!r}")
    text = squash(" ".join(pages))
    if toc_title and squash(toc_title) not in text:
        problems.append(f"contents: no « {toc_title} » in the PDF")
    for _, heading in expected.headings:
        if squash(heading) not in text:
            problems.append(f"contents: heading {heading!r} missing from the PDF")
    shown = [code for code in expected.code if squash(code) in text]
    if shown:
        problems.append(f"code shown ({len(shown)} cells), e.g. {shown[0].splitlines()[0]!r}")
    lines: list[str] = []
    for page in pages:
        lines += [
            " ".join(page[m.start() :].split()[:60])
            for m in re.finditer(rf"(?:{labels['tbl']}|{labels['fig']})\s*\d+\s*[:\u00a0]", page)
        ]
    problems += _check_captions(lines, expected, labels, "PDF")
    if mark is not None:
        unmarked = [i + 1 for i, page in enumerate(pages) if squash(mark) not in squash(page)]
        if unmarked:
            problems.append(f"internal edition: pages without the mark: {unmarked}")
    return problems


def _labels(config: dict[str, Any]) -> dict[str, str]:
    language = config.get("language") or {}
    return {
        "tbl": str(language.get("crossref-tbl-title") or "Tableau"),
        "fig": str(language.get("crossref-fig-title") or "Figure"),
    }


def html_problems(
    merged: Path, html: Path, *, config: dict[str, Any], internal_mark: str | None, public_mark: str
) -> list[str]:
    """What the HTML page misses of the merged notebook (see :func:`verify`)."""
    expected = expected_from(merged, config)
    page = Path(html).read_text(encoding="utf-8")
    found = check_html(page, expected, mark=internal_mark, labels=_labels(config))
    if internal_mark is None and squash(public_mark) in squash(_text_of(_without_scripts(page))):
        found.append("the public report carries the internal mark")
    return [f"{html.name}: {p}" for p in found]


def pdf_problems(
    merged: Path, pdf: Path, *, config: dict[str, Any], internal_mark: str | None, public_mark: str
) -> list[str]:
    """What the PDF misses of the merged notebook (see :func:`verify`)."""
    expected = expected_from(merged, config)
    toc_title = str((config.get("language") or {}).get("toc-title-document") or "")
    pages, meta = pdf_pages(Path(pdf))
    found = check_pdf(
        pages, meta, expected, mark=internal_mark, labels=_labels(config), toc_title=toc_title
    )
    if internal_mark is None:
        marked = [i + 1 for i, p in enumerate(pages) if squash(public_mark) in squash(p)]
        if marked:
            found.append(f"the public report carries the internal mark on pages {marked}")
    return [f"{pdf.name}: {p}" for p in found]


def raise_problems(problems: list[str]) -> None:
    """The :class:`RenderError` of a report that does not match its notebook, if any."""
    if problems:
        raise RenderError(
            "check outputs",
            "the rendered report does not match its notebook; the previous report is kept:\n"
            + "\n".join(f"  - {p}" for p in problems),
        )


def verify(
    merged: Path,
    html: Path,
    pdf: Path,
    *,
    config: dict[str, Any],
    internal_mark: str | None,
    public_mark: str,
) -> None:
    """Raise a RenderError listing what the HTML and PDF miss of the merged notebook.

    ``internal_mark``: the mark every page of the internal edition carries (None for the
    public report, where ``public_mark``, the same text, must appear nowhere). The two halves
    (:func:`html_problems`, :func:`pdf_problems`) can run as soon as their file is written."""
    marks = {"config": config, "internal_mark": internal_mark, "public_mark": public_mark}
    raise_problems(html_problems(merged, html, **marks) + pdf_problems(merged, pdf, **marks))
