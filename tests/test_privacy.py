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
from conftest import cli, pdf_text

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
    return [normalize(page) for page in pdf_text(path)]


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
    internal_names = ("rapport-2016-interne.html", "rapport-2016-interne.pdf")
    for name in (*internal_names, "rapport-2016-interne.ipynb", "provenance.json"):
        assert (folder / name).is_file(), name
    # Named so that they cannot be taken for the public files.
    assert not list(folder.glob("rapport-2016.*"))
    public_html = (public / "rapport-2016.html").read_bytes()
    assert (folder / "rapport-2016-interne.html").read_bytes() != public_html


def test_internal_edition_and_its_cache_are_private(built_2016, internal_2016):
    """The internal folder and its cache hold every address: not readable by others; the
    public report is readable as the umask allows (never 0700)."""
    import stat

    root, public, _ = built_2016
    folder, _, _ = internal_2016
    cache = root / "_build" / ".cache-interne"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    cached = [p for p in cache.rglob("*") if p.is_file()]
    assert cached and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cached)
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in cache.rglob("*") if p.is_dir())
    # The public cache holds no internal result (no address), the internal one holds them.
    public_cache = b"".join(
        p.read_bytes() for p in (root / "_build" / ".cache").rglob("*") if p.is_file()
    )
    internal_cache = b"".join(p.read_bytes() for p in cached)
    sample = ADDRESSES[0].encode()
    assert sample not in public_cache and sample in internal_cache


def test_internal_edition_lists_every_address(internal_2016):
    folder, _, _ = internal_2016
    page = normalize((folder / "rapport-2016-interne.html").read_text(encoding="utf-8"))
    pdf = " ".join(pdf_pages(folder / "rapport-2016-interne.pdf"))
    executed = normalize(notebook_text(folder / "notebooks" / "14-annexe-entrepreneurs.ipynb"))
    for address in ADDRESSES:
        assert normalize(address) in page, address
        assert normalize(address) in executed, address
    missing = [a for a in ADDRESSES if normalize(a) not in pdf]
    assert not missing


def test_every_internal_pdf_page_carries_the_mark(internal_2016):
    folder, _, _ = internal_2016
    pages = pdf_pages(folder / "rapport-2016-interne.pdf")
    assert len(pages) > 10
    unmarked = [i + 1 for i, page in enumerate(pages) if MARK not in page]
    assert not unmarked


def test_internal_html_opens_with_the_banner(internal_2016):
    folder, _, _ = internal_2016
    page = (folder / "rapport-2016-interne.html").read_text(encoding="utf-8")
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


def test_internal_edition_holds_the_provenance_and_the_full_anomaly_table(internal_2016):
    folder, _, _ = internal_2016
    record = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    sha = next(r for r in record["inputs"] if r["path"].endswith("entrepreneurs.csv"))["sha256"]
    page = (folder / "rapport-2016-interne.html").read_text(encoding="utf-8")
    assert "Provenance des chiffres" in page and f"{sha[:32]} {sha[32:]}" in page
    assert "Paquet Python pandas" in page and "Moteur de mise en page" in page
    pages = pdf_text(folder / "rapport-2016-interne.pdf")
    annex = " ".join(re.sub(r"\s+", " ", t) for t in pages if "Provenance des chiffres" in t)
    assert sha[:32] in annex and sha[32:] in annex and "SHA-256" in annex
    # The full anomaly table, with the people it is about, is the board's.
    text = normalize(page)
    assert "Détail des anomalies" in text and "REMY Lionel" in text
    assert "JAMGOTCHIAN Serge" in text


def _annex(page: str) -> str:
    """The visible text of the annex « Contrôles et corrections », from its heading on."""
    text = normalize(re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", page, flags=re.S))
    return text[text.rindex("Contrôles et corrections") :]


def test_public_annex_names_no_one_and_the_internal_one_does(built_2016, internal_2016):
    _, out, _ = built_2016
    folder, _, _ = internal_2016
    public = _annex((out / "rapport-2016.html").read_text(encoding="utf-8"))
    internal = _annex((folder / "rapport-2016-interne.html").read_text(encoding="utf-8"))
    with (ROOT / "data" / "raw" / "2016" / "entrepreneurs.csv").open(encoding="utf-8") as f:
        surnames = sorted({row["surname"] for row in csv.DictReader(f)})
    named = [s for s in surnames if re.search(rf"\b{re.escape(s)}\b", public)]
    assert not named
    assert "REMY" in internal and "LALIN HONORE" in internal
    # Every status the pipeline gives the 2016 findings is printed, with their count.
    from cae_report.report import audit

    found = audit.findings(prepare_year(2016, root=ROOT).anomalies)
    for status in {f.status for f in found}:
        assert f"{audit.STATUS_LABELS[status]}." in public, status
    assert (
        f"relèvent {len(found)}\u00a0points" in public or f"relèvent {len(found)} points" in public
    )


def _outputs_by_chapter(path: Path) -> dict[str, str]:
    """The merged notebook's outputs and markdown, by chapter (its written file or notebook)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    chapters: dict[str, list[str]] = {}
    for cell in nb.cells[1:]:
        parts = [cell.source] if cell.cell_type == "markdown" else []
        parts += [json.dumps(o.get("data", {}), sort_keys=True) for o in cell.get("outputs", [])]
        chapters.setdefault(cell.id.split("-")[0], []).extend(parts)
    return {key: "\n".join(parts) for key, parts in chapters.items()}


def test_the_two_editions_differ_only_where_they_should(built_2016, internal_2016):
    """Same written text, same tables and charts; the internal edition differs in the list
    of entrepreneurs (addresses), the controls annex (full table) and the provenance."""
    from cae_report.publish.assemble import plan

    _, out, _ = built_2016
    folder, _, _ = internal_2016
    public = _outputs_by_chapter(out / "rapport-2016.ipynb")
    internal = _outputs_by_chapter(folder / "rapport-2016-interne.ipynb")
    names = {f"ch{i:02d}": c.source.stem for i, c in enumerate(plan(ROOT, 2016), start=1)}
    differ = sorted(
        names[k] for k in public.keys() | internal.keys() if public.get(k) != internal.get(k)
    )
    assert differ == ["14-annexe-entrepreneurs", "15-controles", "16-provenance"]


def test_the_internal_page_keeps_its_mark_in_view_and_in_its_title(built_2016, internal_2016):
    """In the browser, the internal edition's mark stays at the top of the window (a sticky
    band; a watermark on every printed page) and names the tab; the public page has none."""
    from cae_report.publish import INTERNAL_MARK

    _, out, _ = built_2016
    folder, _, _ = internal_2016
    internal = html.unescape((folder / "rapport-2016-interne.html").read_text(encoding="utf-8"))
    public = html.unescape((out / "rapport-2016.html").read_text(encoding="utf-8"))
    assert f'<div class="edition-mark" aria-hidden="true">{INTERNAL_MARK}</div>' in internal
    assert re.search(rf"<title>\[{INTERNAL_MARK}\] ", internal)
    assert 'class="edition-mark"' not in public and "<title>[" not in public
    css = (ROOT / "src" / "cae_report" / "publish" / "report.css").read_text(encoding="utf-8")
    band = re.search(r"\n\.edition-mark \{(.*?)\}", css, re.S)
    assert band and "position: sticky" in band.group(1)
