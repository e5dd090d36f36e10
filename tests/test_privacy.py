"""Privacy by default: no personal detail beyond name, activity, commune and status is published.

The public build (``_build/2016/``, the session fixture ``built_2016``) must not hold a single
street address of ``data/raw/2016/entrepreneurs.csv``: not in the HTML, the PDF, the indicators,
the provenance record, the anomalies, the merged or executed notebooks. The internal edition for
the board (``--internal``) lists them, goes to ``_build/2016-interne/``, marks every page, and
leaves the public report untouched.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from pathlib import Path

import pytest
from conftest import cli
from pypdf import PdfReader

from cae_report.build.prepare import PRIVATE_COLUMNS, prepare_year

ROOT = Path(__file__).resolve().parents[1]
MARK = "Document interne — ne pas diffuser"


def addresses() -> list[str]:
    with (ROOT / "data" / "raw" / "2016" / "entrepreneurs.csv").open(encoding="utf-8") as f:
        return sorted({row["address"].strip() for row in csv.DictReader(f) if row["address"]})


ADDRESSES = addresses()


def normalize(text: str) -> str:
    """One form for every way an output may write a text: HTML entities, curly apostrophes,
    no-break spaces, line breaks (a table cell wraps), a hyphen at a line end."""
    text = html.unescape(text).replace("\u2019", "'")
    text = re.sub(r"[\s\u00a0\u202f]+", " ", text)
    return re.sub(r"- ", "-", text)


def notebook_text(path: Path) -> str:
    """A notebook's JSON with non-ASCII characters as themselves (not ``\\u00e9``)."""
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False)


def pdf_pages(path: Path) -> list[str]:
    return [normalize(page.extract_text()) for page in PdfReader(path).pages]


def outputs(out: Path) -> dict[str, str]:
    """Every published file of a build folder, as normalized text."""
    texts = {
        name: (out / name).read_text(encoding="utf-8")
        for name in ("rapport-2016.html", "indicators.json", "provenance.json", "anomalies.csv")
    }
    texts["rapport-2016.pdf"] = " ".join(pdf_pages(out / "rapport-2016.pdf"))
    for path in [out / "rapport-2016.ipynb", *sorted((out / "notebooks").glob("*.ipynb"))]:
        texts[str(path.relative_to(out))] = notebook_text(path)
    return {name: normalize(text) for name, text in texts.items()}


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def internal_2016(built_2016):
    """The internal edition, built once in the project of ``built_2016``:
    (its folder, the public folder's digest before and after that build)."""
    root, public, _ = built_2016
    before = digest(public)
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc", "--internal")
    assert proc.returncode == 0, proc.stderr
    assert "internal edition" in proc.stderr
    return root / "_build" / "2016-interne", before, digest(public)


def test_the_raw_list_has_addresses_to_protect():
    assert len(ADDRESSES) >= 75 and "Le Villard" in ADDRESSES


def test_public_tables_carry_no_private_column():
    public = prepare_year(2016, root=ROOT)
    internal = prepare_year(2016, internal=True, root=ROOT)
    for table, columns in PRIVATE_COLUMNS.items():
        for column in columns:
            assert column not in public.tables[table]
            assert column not in public.raw.tables[table]  # nor the raw copy kept alongside
            assert column in internal.tables[table]
    allowed = {"as_of", "surname", "first_name", "postcode", "town", "activity", "status"}
    assert set(public.tables["entrepreneurs"].columns) <= allowed


def test_no_address_in_any_public_output(built_2016):
    root, out, _ = built_2016
    texts = outputs(out)
    texts["data/processed/2016/entrepreneurs.csv"] = normalize(
        (root / "data" / "processed" / "2016" / "entrepreneurs.csv").read_text(encoding="utf-8")
    )
    leaks = [
        (name, address)
        for name, text in texts.items()
        for address in ADDRESSES
        if normalize(address) in text
    ]
    assert not leaks
    assert "(adresse masquée)" in texts["anomalies.csv"]  # the anomaly is kept, masked


def test_public_report_is_not_marked_internal(built_2016):
    _, out, _ = built_2016
    assert MARK not in normalize((out / "rapport-2016.html").read_text(encoding="utf-8"))
    assert not any("Document interne" in page for page in pdf_pages(out / "rapport-2016.pdf"))


def test_internal_edition_goes_to_its_own_folder(built_2016, internal_2016):
    root, public, _ = built_2016
    folder, before, after = internal_2016
    assert folder == root / "_build" / "2016-interne"
    assert after == before  # the public report was not touched
    for name in ("rapport-2016.html", "rapport-2016.pdf", "provenance.json", "indicators.json"):
        assert (folder / name).is_file(), name
    public_html = (public / "rapport-2016.html").read_bytes()
    assert (folder / "rapport-2016.html").read_bytes() != public_html


def test_internal_edition_lists_every_address(internal_2016):
    folder, _, _ = internal_2016
    page = normalize((folder / "rapport-2016.html").read_text(encoding="utf-8"))
    pdf = " ".join(pdf_pages(folder / "rapport-2016.pdf"))
    executed = normalize(notebook_text(folder / "notebooks" / "05-formation-membres.ipynb"))
    for address in ADDRESSES:
        assert normalize(address) in page, address
        assert normalize(address) in executed, address
    missing = [a for a in ADDRESSES if normalize(a) not in pdf]
    assert not missing


def test_every_internal_pdf_page_carries_the_mark(internal_2016):
    folder, _, _ = internal_2016
    pages = pdf_pages(folder / "rapport-2016.pdf")
    assert len(pages) > 10
    unmarked = [i + 1 for i, page in enumerate(pages) if MARK not in page]
    assert not unmarked


def test_internal_html_opens_with_the_banner(internal_2016):
    folder, _, _ = internal_2016
    page = (folder / "rapport-2016.html").read_text(encoding="utf-8")
    body = page[page.index("<body") :]
    banner = re.search(r'<p class="internal-mark"[^>]*>([^<]*)</p>', body)
    assert banner and normalize(banner.group(1)) == MARK
    # The banner comes before the title and the table of contents.
    assert banner.start() < body.index('class="title"') < body.index('id="TOC"')


def test_quarto_staging_carries_the_internal_mark(built_2016, tmp_path):
    """Without running Quarto: the notebooks staged for it carry the mark as metadata, which
    the HTML template (the cover's banner) and the Typst partials (every page) print, the
    same template and partials as the pandoc path's."""
    import nbformat
    import yaml

    from cae_report.publish import INTERNAL_KEY, INTERNAL_MARK
    from cae_report.publish.assemble import load_config
    from cae_report.publish.quarto_engine import stage_project

    root, out, _ = built_2016
    merged, config = out / "rapport-2016.ipynb", load_config(root)

    def fronts(stage: Path, mark: str | None) -> list[dict]:
        staged = stage_project(merged, root, config, stage, mark)
        return [
            yaml.safe_load(nbformat.read(path, as_version=4).cells[0].source.strip("-\n"))
            for path in staged.values()
        ]

    assert all(INTERNAL_KEY not in front for front in fronts(tmp_path / "public", None))
    assert all(
        front[INTERNAL_KEY] == MARK for front in fronts(tmp_path / "internal", INTERNAL_MARK)
    )
    publish = root / "src" / "cae_report" / "publish"
    for partial in ("typst-show.typ", "template.html"):
        assert f"$if({INTERNAL_KEY})$" in (publish / partial).read_text(encoding="utf-8")
