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
import yaml
from conftest import cli, pdf_text

from cae_report.report import chapters

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
    "members-sector",
)
# Every section of the original 2016 report (/work/shared/seeds, issue 9 item 2), in order.
SECTIONS = (
    "Préambule",
    "Rapport moral",
    "Rappel de l’objectif général",
    "Quelques faits marquants",
    "Les chiffres de l’année",
    "Notre organisation d’accompagnement",
    "Activités liées aux objectifs spécifiques",
    "Accompagnement",
    "Gestion",
    "Formation",
    "Communication",
    "Entrepreneuriat coopératif",
    "Développement local",
    "Sociétariat",
    "Éléments financiers",
    "Compte de résultat",
    "Analyse des ressources",
    "Analyse des emplois",
    "Conclusion",
    "Annexes",
    "Rapport statistique du site internet",
    "Liste des entrepreneurs",
    "Contrôles et corrections",
)
CHAPTERS = SECTIONS
# Every figure and table of the original, computed (issue 9 item 3), as the PDF text reads.
FIGURES = (
    "Entrées 1 3 2 2 1 1 1 2 1 4 3 3 24",  # the monthly movements table
    "Sorties 2 1 2 1 3 1 0 1 5 2 0 7 25",
    "Effectif en fin de mois 84 86 86 87 85 85 86 87 83 85 88 84³ 84",
    "Entrepreneurs en CDI (contrat CESA) 72 74",
    "908 700 €",
    "98 720 €",
    "154 337 €",
    "253 057 €",
    "35 625 €",
    "7,1 €",
    "Chantal TOURNEUX gérante 90 % d’un temps plein",
    "60 h par mois (40 % d’un temps plein)",
    "Total 12 sessions 51⁹ 219⁸",
    "Montant pris en charge 8 508 €",
    "Associés au 31 décembre 2016 10",
    "Entrepreneuriat coopératif 0 €⁷ 2 000 €",  # a corrected value, marked in its table
    "Coût total des charges 134 217 € 133 625 €",
    "Coût total des produits 160 206 € 133 625 €",
    "Excédent Brut d’exploitation 25 989 €",
    "Résultat 16 693 €",
    "Total Général 167 994 €",
    "Ressources propres 96 509 € 73 000 € +32,2 % 60,2 %",
    "Charges de personnel 90 283 € 92 000 € -1,9 % 67,3 %",
    "2016 11 173 +12 %",
    "France 10 362 87,5 %",
    "BAILET Béatrice artiste plasticienne, intervenante scolaire ROSANS",
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
    """Text with every kind of space as one plain space (PDF extraction varies) and one minus
    sign (the PDF sets U+2212)."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).replace("\u2212", "-")


def html_text(html: str) -> str:
    """The visible text of the HTML, cells and lines joined by one space."""
    import html as html_lib

    visible = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return squash(html_lib.unescape(re.sub(r"<[^>]+>", " ", visible)))


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
    executed = sorted(p.name for p in (out / "notebooks").glob("*.ipynb"))
    assert [n for n in executed if not n.startswith("written-")] == sorted(
        p.name for p in chapters.notebooks(ROOT)
    )
    written = sorted(p.name for p in (ROOT / "report" / "2016").glob("*.qmd"))
    assert [n for n in executed if n.startswith("written-")] == [
        f"written-{n.removesuffix('.qmd')}.ipynb" for n in written
    ]
    # notebooks/chapters.json: all of them in the order of _quarto.yml
    listed = yaml.safe_load((ROOT / "_quarto.yml").read_text())["cae-report"]["chapters"]
    assert json.loads((out / "notebooks" / "chapters.json").read_text()) == [
        f"written-{Path(c).stem}.ipynb" if c.endswith(".qmd") else Path(c).name for c in listed
    ]
    assert (out / "_variables.yml").is_file()
    assert "2016  ok" in proc.stdout and "executed 08-compte-resultat.ipynb" in proc.stderr


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
        "accompagné 109 entrepreneurs",
        f"160{NN}206{NB}€",
        f"16{NN}693{NB}€",
        f"908{NN}700{NB}€",
        f"11{NN}173{NB}visites",
        f"7,1{NB}€",
        f"+33,7{NN}%",
    ):
        assert figure in html, figure
    for chapter in CHAPTERS:
        assert chapter in html
    text = html_text(html)
    for figure in FIGURES:
        assert figure in text, figure
    headings = re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, flags=re.S)
    titles = [html_text(h) for h in headings]
    positions = [next(i for i, t in enumerate(titles) if s in t) for s in SECTIONS]
    assert positions == sorted(positions), "sections out of the original's order"
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
    pages = pdf_text(built[1] / "rapport-2016.pdf")
    text = squash("\n".join(pages))
    assert 8 <= len(pages) <= 40
    assert "Rapport d’exécution" in text or "Rapport d'exécution" in text
    assert "Exercice 2016" in text and "Coodyssée" in text
    for figure in ("accompagné 109 entrepreneurs", "160 206 €", "16 693 €", "908 700 €"):
        assert figure in text, figure
    for figure in FIGURES:
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
    assert proc.returncode == 2  # invalid data: the same code as `check` and `batch`
    assert "movements.csv:4: column 'entries': 'deux': not a number" in proc.stderr
    assert "unchanged" in proc.stderr
    assert digest(out) == before


def test_failing_notebook_names_notebook_and_cell(built):
    import nbformat

    root, out, _ = built
    before = digest(out)
    path = root / "notebooks" / "08-compte-resultat.ipynb"
    original = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("#| label: tbl-broken\nraise ValueError('boom')"))
    nbformat.write(nb, path)
    try:
        proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    finally:
        path.write_bytes(original)
    assert proc.returncode == 1
    assert re.search(
        r"08-compte-resultat\.ipynb, cell \d+ \(tbl-broken\): ValueError: boom", proc.stderr
    )
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


def test_batch_builds_several_years_and_reports_each(built_years):
    root, proc = built_years
    for year in (2013, 2014, 2015):
        assert (root / "_build" / str(year) / f"rapport-{year}.pdf").is_file()
        assert re.search(rf"^{year}\s+ok", proc.stdout, re.M)
    assert re.search(r"^2016\s+ok.*\(up to date\)", proc.stdout, re.M)  # built before
    text = squash("".join(pdf_text(root / "_build" / "2015" / "rapport-2015.pdf")))
    assert "ne comprennent pas le compte de résultat" in text
    # 2015 has no report/2015/: its written chapters come from the template, reported.
    assert "[2015] report/_template/01-preambule.qmd:3: 3 « À rédiger »" in proc.stderr
    assert "À rédiger" in text and "[2016] report/" not in proc.stderr


def test_batch_goes_on_after_a_failing_year(built_years):
    root, _ = built_years
    before = digest(root / "_build" / "2014")
    path = root / "data" / "raw" / "2014" / "web_visits.csv"
    original = path.read_bytes()
    path.write_text("year,visits,precision\n2014,-5,rounded\n")
    try:
        proc = cli(root, "batch", "--years", "2013-2014", "--engine", "pandoc")
    finally:
        path.write_bytes(original)
    assert proc.returncode == 2  # invalid data, as for `check` and `build`
    assert re.search(r"^2013\s+ok", proc.stdout, re.M)
    assert re.search(r"^2014\s+FAILED", proc.stdout, re.M)
    assert "web_visits.csv:2: column 'visits'" in proc.stdout
    assert digest(root / "_build" / "2014") == before
