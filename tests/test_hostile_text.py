"""Data is text (issue 14): whatever a cell holds (markup, script, Typst code, math, a
cross-reference) prints literally in the HTML and the PDF, through the one escape of
:mod:`cae_report.report.display` that every table and sentence of the report uses.

Unit tests run inline frames through ``display.table``, the narrative tables and sentences and
the audit annex, and render them with pandoc; one end-to-end test builds a hostile copy of
2016 and loads the HTML in headless Chromium (no dialog, no navigation) and reads the PDF.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pypandoc
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, LOCAL_SCHEMES, cli, make_root, pdf_text

from cae_report.report import audit, display, narrative

HOSTILE = (
    "<svg onload=alert(1)>",
    "<img src=x onerror=alert(2)>",
    "<iframe src=javascript:alert(3)></iframe>",
    "[clic](javascript:alert(4))",
    "<!-- caché",
    "@fig-sectors",
    '`#read("/etc/passwd")`{=typst}',
    "$5$",
    '#import "@preview/cetz:0.2.2"',
    "*gras* et _souligné_",
    "&lt;b&gt; ~x~ ^y^ [^1]",
)


def _html(markdown: str) -> str:
    return pypandoc.convert_text(markdown, "html", format="markdown")


def _typst(markdown: str) -> str:
    return pypandoc.convert_text(markdown, "typst", format="markdown")


def _text_of(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def _no_markup(html: str) -> None:
    """No element, attribute or URL scheme from the data: only the table's own tags."""
    tags = set(re.findall(r"<\s*([a-zA-Z][\w-]*)", html))
    assert tags <= {"table", "thead", "tbody", "tr", "th", "td", "p", "colgroup", "col"}, tags
    assert "javascript:" not in re.sub(r">[^<]*<", "><", html)  # not in any attribute
    assert "onerror" not in re.sub(r">[^<]*<", "><", html)
    assert "<!--" not in html and "cite" not in html and "footnote" not in html


def _straight(text: str) -> str:
    """Smart quotes back to straight ones (pandoc curls the data's quotes: harmless)."""
    return " ".join(text.translate(str.maketrans("“”‘’", "\"\"''")).split())


def test_escape_makes_every_hostile_string_literal_text():
    for value in HOSTILE:
        html = _html(display.escape(value))
        _no_markup(html)
        assert _straight(_text_of(html)) == value


def test_table_cells_are_literal_in_html_and_typst():
    frame = pd.DataFrame({"Donnée": list(HOSTILE), "N": range(len(HOSTILE))})
    markdown = display.to_markdown(frame)
    html = _html(markdown)
    _no_markup(html)
    text = _text_of(html)
    for value in ("<svg onload=alert(1)>", "[clic](javascript:alert(4))", "<!-- caché", "$5$"):
        assert value in text, value
    typst = _typst(markdown)
    assert "#import" not in typst.replace("\\#import", "")
    assert "#read" not in typst.replace("\\#read", "")
    assert "$5$" not in typst.replace("\\$5\\$", "")


def test_french_typography_survives_the_escape():
    assert (
        display.escape("908\u202f700\u00a0€ : « x »")
        == "908\u202f700\u00a0€\u00a0\\: «\u202fx\u202f»"
    )
    assert display.escape(display.Markdown("**Total**")) == "**Total**"
    assert display.escape("a\nb\r\nc") == "a b c"


def _statement(label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "side": ["charges"] * 3,
            "kind": ["group", "line", "subtotal"],
            "group": ["60"] * 3,
            "label": ["", label, "Sous total"],
            "actual": [float("nan"), 10.0, 10.0],
            "budget": [float("nan"), 5.0, 5.0],
            "variance_eur": [float("nan"), 5.0, 5.0],
            "variance_pct": [float("nan"), 100.0, 100.0],
        }
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_narrative_tables_and_sentences_escape_data(value):
    people = pd.DataFrame(
        {
            "surname": [value],
            "first_name": [value],
            "activity": [value],
            "town": [value],
            "status": ["Entrepreneur salarié"],
        }
    )
    cells = [
        display.to_markdown(narrative.entrepreneurs_list(people, True, {})),
        display.to_markdown(narrative.statement_table(_statement(value), "charges", {}, {})),
        display.to_markdown(
            narrative.team_table(
                pd.DataFrame(
                    {
                        "name": [value],
                        "role": [value],
                        "fte_pct": [50.0],
                        "hours_per_month": [None],
                        "arrival": [None],
                        "departure": [None],
                    }
                )
            )
        ),
    ]
    anomalies = pd.DataFrame(
        {
            "table": ["key_figures"],
            "key": ["contracts_cdi"],
            "field": ["value"],
            "published": [value],
            "corrected": [None],
            "rule": ["r"],
            "action": ["flagged"],
            "message": [value],
        }
    )
    sentences = [
        narrative.caveats(anomalies, ("contracts_cdi",)),
        audit.annex_markdown(audit.findings(anomalies)),
        narrative.members_text(
            pd.DataFrame({"status": [value], "count": [1]}),
            pd.DataFrame({"department": [value], "department_code": ["05"], "share_pct": [1.0]}),
            pd.DataFrame({"sector": [value], "count": [1]}),
        ),
    ]
    for markdown in cells + sentences:
        html = _html(markdown)
        tags = set(re.findall(r"<\s*([a-zA-Z][\w-]*)", html))
        assert tags <= {
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "p",
            "ul",
            "li",
            "ol",
            "strong",
            "em",
            "colgroup",
            "col",
        }, (tags, markdown)
        assert "javascript:" not in re.sub(r">[^<]*<", "><", html)


def test_the_public_annex_names_nobody():
    from cae_report.build.prepare import prepare_year

    data = prepare_year(2016, internal=True)
    people = data.tables["entrepreneurs"]
    annex = audit.annex_markdown(audit.findings(data.anomalies))
    for surname in people["surname"]:
        assert not re.search(rf"\b{re.escape(surname)}\b", annex), surname
    assert "REMY" in display.to_markdown(audit.board_table(data.anomalies))  # internal table


# ---------------------------------------------------------------- end to end

# (file, row predicate, column, hostile value): planted in a copy of 2016's raw files.
PLANTED = (
    ("entrepreneurs.csv", 0, "town", "<svg onload=alert('town')>"),
    ("entrepreneurs.csv", 1, "first_name", "<img src=x onerror=alert('name')>"),
    ("entrepreneurs.csv", 2, "activity", "@fig-sectors et $5$ et *étoile* _trait_"),
    ("entrepreneurs.csv", 3, "surname", '#import "@preview/cetz:0.2.2"'),
    ("training.csv", 0, "summary", '`#read("/etc/passwd")`{=typst} <!-- caché'),
    ("events.csv", 0, "event", "<iframe src=javascript:alert('event')></iframe>"),
    ("team.csv", 0, "role", "[clic](javascript:alert('role'))"),
    ("members.csv", 0, "name", "<img src=y onerror=alert('associé')>"),
    ("income_statement.csv", 9, "label", "[x](javascript:alert('label')) Documentation"),
)


def _plant(folder: Path) -> None:
    for file, index, column, value in PLANTED:
        path = folder / file
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        rows[index][column] = value
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")


def _loose(text: str) -> str:
    """Text without its spaces and with one kind of quote: table cells wrap, and Typst sets
    quotes the French way (« », “ ”); every other character must be there as typed."""
    return re.sub(r"[\s\u00a0\u202f]+", "", re.sub("[«»“”‘’\"']", '"', text))


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = make_root(tmp_path_factory.mktemp("hostile"))
    _plant(root / "data" / "raw" / "2016")
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr
    return root / "_build" / "2016"


def test_hostile_data_prints_literally_in_the_pdf(hostile_build):
    text = " ".join(pdf_text(hostile_build / "rapport-2016.pdf"))
    for value in (
        "<svg onload=alert('town')>",
        "<img src=x onerror=alert('name')>",
        "@fig-sectors et $5$ et *étoile* _trait_",
        '#import "@preview/cetz:0.2.2"',
        '`#read("/etc/passwd")`{=typst} <!-- caché',
        "[clic](javascript:alert('role'))",
        "<img src=y onerror=alert('associé')>",
        "[x](javascript:alert('label')) Documentation",
    ):
        assert _loose(value) in _loose(text), value
    assert "metadata-typst" not in text and "root:" not in text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)")
def test_hostile_data_runs_nothing_in_the_browser(hostile_build):
    from playwright.sync_api import sync_playwright

    html = hostile_build / "rapport-2016.html"
    dialogs: list[str] = []
    navigations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(LOCAL_SCHEMES)
                else (navigations.append(route.request.url), route.abort())
            ),
        )
        page.goto(html.as_uri())
        page.wait_for_timeout(1000)
        for link in page.locator("a[href^='javascript']").all():
            navigations.append(link.get_attribute("href") or "")
        body = page.inner_text("body")
        browser.close()
    assert dialogs == [] and navigations == []
    for value in ("<svg onload=alert('town')>", "<!-- caché", "@fig-sectors et $5$"):
        assert _loose(value) in _loose(body), value
