"""End to end with the pandoc engine: one command from data/raw/<year>/ to the report.

Builds run in a copy of the project (``CAE_REPORT_ROOT``) so that tests can break data
and notebooks without touching the repository.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import cli, make_root
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
NB, NN = "\u00a0", "\u202f"
CHARTS = (
    "movements-monthly",
    "result-waterfall",
    "budget-variances",
    "products-structure",
    "web-targets",
    "web-visits-trend",
    "web-countries",
    "training-type",
    "members-sector",
    "members-commune",
)
CHAPTERS = (
    "Données et contrôles",
    "Les entrepreneurs",
    "Le budget",
    "Le site internet",
    "Formation et membres",
    "Annexe",
)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def built(built_2016):
    return built_2016


def squash(text: str) -> str:
    """Text with every kind of space as one plain space (PDF extraction varies)."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def test_build_writes_every_output(built):
    _, out, proc = built
    for name in (
        "rapport-2016.html",
        "rapport-2016.pdf",
        "indicators.json",
        "anomalies.csv",
        "provenance.json",
    ):
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / "notebooks").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    assert "2016  ok" in proc.stdout and "executed 03-budget.ipynb" in proc.stderr


def test_indicators_json(built):
    values = json.loads((built[1] / "indicators.json").read_text())
    assert values["year"] == 2016
    assert values["headcount_end"] == 84 and values["accompanied"] == 109
    assert values["net_result"] == 16693 and values["subsidy_leverage"] == 7.1
    assert values["training_hours"] == 219 and values["web_visits"] == 11173


def test_html_holds_french_figures_and_one_interactive_chart_per_chart(built):
    html = (built[1] / "rapport-2016.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in html or "<html xmlns" in html and 'lang="fr"' in html
    for figure in (
        f"109{NB}entrepreneurs accompagnés",
        f"160{NN}206{NB}€",
        f"16{NN}693{NB}€",
        f"908{NN}700{NB}€",
        f"11{NN}173{NB}visites",
        f"7,1{NB}€",
        f"+34{NN}%",
    ):
        assert figure in html, figure
    for chapter in CHAPTERS:
        assert chapter in html
    for name in CHARTS:
        assert html.count(f'id="plotly-fig-{name}"') == 1, name
    assert html.count("Plotly.newPlot(") == len(CHARTS)
    assert html.count("plotly.js v") == 1  # the library, embedded once


def test_html_works_offline_and_shows_no_error(built):
    html = (built[1] / "rapport-2016.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert not re.search(r"<(img|iframe|source)[^>]+src=[\"']https?:", html)
    assert not re.search(r"@import\s+url\([\"']?https?:", html)
    visible = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # plotly.js has such words
    for noise in ("Traceback", "Error", "Warning", "NBVAL", "check_parameters", "print("):
        assert noise not in visible, noise


def test_pdf_text_title_figures_sections(built):
    reader = PdfReader(built[1] / "rapport-2016.pdf")
    text = squash("\n".join(page.extract_text() for page in reader.pages))
    assert 8 <= len(reader.pages) <= 40
    assert "Rapport d’exécution" in text or "Rapport d'exécution" in text
    assert "Exercice 2016" in text and "Coodyssée" in text
    for figure in ("109 entrepreneurs accompagnés", "160 206 €", "16 693 €", "908 700 €"):
        assert figure in text, figure
    for chapter in CHAPTERS:
        assert chapter in text, chapter
    assert "Tableau 1" in text and "Figure 1" in text
    assert "Traceback" not in text


def test_failing_data_leaves_previous_outputs_in_place(built):
    root, out, _ = built
    before = digest(out)
    movements = root / "data" / "raw" / "2016" / "movements.csv"
    original = movements.read_text()
    movements.write_text(original.replace("2016,3,2,", "2016,3,deux,", 1))
    try:
        proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    finally:
        movements.write_text(original)
    assert proc.returncode == 1
    assert "movements.csv:4: column 'entries': 'deux': not a number" in proc.stderr
    assert "unchanged" in proc.stderr
    assert digest(out) == before


def test_failing_notebook_names_notebook_and_cell(built):
    import nbformat

    root, out, _ = built
    before = digest(out)
    path = root / "notebooks" / "03-budget.ipynb"
    original = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("#| label: tbl-broken\nraise ValueError('boom')"))
    nbformat.write(nb, path)
    try:
        proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    finally:
        path.write_bytes(original)
    assert proc.returncode == 1
    assert re.search(r"03-budget\.ipynb, cell \d+ \(tbl-broken\): ValueError: boom", proc.stderr)
    assert digest(out) == before
    assert not list((root / "_build").glob(".tmp-*"))


def test_missing_quarto_engine_is_a_clear_error(built, monkeypatch):
    root, out, _ = built
    before = digest(out)
    # a PATH without quarto, whether or not this machine has it
    monkeypatch.setenv("PATH", str(Path(shutil.which("git") or "/usr/bin/git").parent))
    proc = cli(root, "build", "--year", "2016", "--engine", "quarto")
    assert proc.returncode == 1 and "quarto" in proc.stderr and "not on PATH" in proc.stderr
    assert digest(out) == before


def test_batch_builds_several_years_and_reports_each(tmp_path):
    root = make_root(tmp_path)
    proc = cli(root, "batch", "--years", "2015-2016", "--jobs", "2", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr
    for year in (2015, 2016):
        assert (root / "_build" / str(year) / f"rapport-{year}.pdf").is_file()
        assert re.search(rf"^{year}\s+ok", proc.stdout, re.M)
    text = squash(
        "".join(
            p.extract_text() for p in PdfReader(root / "_build" / "2015" / "rapport-2015.pdf").pages
        )
    )
    assert "ne comprennent pas le compte de résultat" in text


def test_batch_goes_on_after_a_failing_year(tmp_path):
    root = make_root(tmp_path)
    (root / "data" / "raw" / "2014" / "web_visits.csv").write_text(
        "year,visits,precision\n2014,-5,rounded\n"
    )
    proc = cli(root, "batch", "--years", "2013-2014", "--engine", "pandoc")
    assert proc.returncode == 1
    assert re.search(r"^2013\s+ok", proc.stdout, re.M)
    assert re.search(r"^2014\s+FAILED", proc.stdout, re.M)
    assert "web_visits.csv:2: column 'visits'" in proc.stdout
