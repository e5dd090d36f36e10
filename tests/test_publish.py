"""The rendering stage: merged notebook, HTML and PDF, from synthetic executed notebooks.

The notebooks are built here with nbformat exactly as papermill leaves them (parameters and
injected-parameters cells, stdout noise, an execute_result) and with the outputs the
notebook helpers emit (``cae_report.report.display``) and a real chart bundle (plotly + matplotlib),
so the test exercises the contract between notebook authors and the renderer.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import matplotlib
import nbformat
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
from plotly.offline import get_plotlyjs  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from cae_report.publish import RenderError, render  # noqa: E402
from cae_report.publish.assemble import parse_cell_options  # noqa: E402
from cae_report.report import display  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2016

NARRATIVE = "La coopérative a accompagné 87 entrepreneurs salariés"
TABLE_CAPTION = "Écarts entre budget et réalisé"
FIGURE_CAPTION = "Entrées et sorties mensuelles"
ALT_TEXT = "Diagramme en barres des entrées et sorties de chaque mois, pic d'entrées en mars."
NOISE = ("DEBUG-STREAM-NOISE", "EXECUTE-RESULT-NOISE", "SECRET_CODE_MARKER", "STDERR-NOISE")


# --- building executed notebooks --------------------------------------------------------------


def _emitted(monkeypatch: pytest.MonkeyPatch, call: Any, *args: Any, **kwargs: Any) -> dict:
    """The MIME bundle a display helper emits (captured instead of sent to IPython)."""
    captured: list[dict] = []
    monkeypatch.setattr(display, "_publish", captured.append)
    call(*args, **kwargs)
    assert len(captured) == 1
    return captured[0]


def _chart_bundle() -> dict[str, Any]:
    """The five-MIME-type output of one chart, as the charts module makes it."""
    months = ["janv.", "févr.", "mars", "avr."]
    fig = go.Figure(
        [
            go.Bar(name="Entrées", x=months, y=[3, 2, 7, 1]),
            go.Bar(name="Sorties", x=months, y=[1, 2, 2, 3]),
        ]
    )
    html = fig.to_html(full_html=False, include_plotlyjs=False, div_id="fig-mouvements")
    mpl, ax = plt.subplots(figsize=(6.3, 3.4))
    ax.bar(months, [3, 2, 7, 1], label="Entrées")
    ax.set_title("Entrées et sorties")
    svg_buffer, png_buffer = io.StringIO(), io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "test", "svg.fonttype": "path"}):
        mpl.savefig(svg_buffer, format="svg", metadata={"Date": None})
        mpl.savefig(png_buffer, format="png", dpi=100)
    plt.close(mpl)
    return {
        "image/svg+xml": svg_buffer.getvalue(),
        "image/png": base64.b64encode(png_buffer.getvalue()).decode("ascii"),
        "text/html": html,
        "application/vnd.plotly.v1+json": json.loads(fig.to_json()),
        "text/plain": ALT_TEXT,
    }


def _code(source: str, outputs: list[dict], tags: list[str] | None = None) -> Any:
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _papermill_cells() -> list[Any]:
    return [
        _code("year = 2024", [], tags=["parameters"]),
        _code(f"# Parameters\nyear = {YEAR}\n", [], tags=["injected-parameters"]),
    ]


def _write(nb: Any, path: Path, end_time: str) -> Path:
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["papermill"] = {"end_time": end_time, "parameters": {"year": YEAR}}
    nbformat.write(nb, str(path))
    return path


def _merged(nb: Any, tmp_path: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """``nb`` written as an executed notebook, then merged: (merged notebook, the project's
    _quarto.yml, the front matter)."""
    from cae_report.publish.assemble import assemble, load_config

    source = _write(nb, tmp_path / "nb.ipynb", "2017-03-02T10:00:00+00:00")
    config = load_config(ROOT)
    merged = tmp_path / "merged.ipynb"
    return merged, config, assemble([source], merged, year=YEAR, config=config)


def _chapter_one(monkeypatch: pytest.MonkeyPatch, path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(
        nbformat.v4.new_markdown_cell(
            "# Données et méthode\n\nLes chiffres viennent des comptes annuels."
        )
    )
    nb.cells += _papermill_cells()
    narrative = _emitted(
        monkeypatch,
        display.md,
        f"{NARRATIVE} en {YEAR} ; voir le @tbl-ecarts et la @fig-mouvements.",
    )
    nb.cells.append(
        _code(
            "#| output: asis\nmd(text)  # SECRET_CODE_MARKER",
            [
                {"output_type": "stream", "name": "stdout", "text": "DEBUG-STREAM-NOISE\n"},
                _display(narrative),
            ],
        )
    )
    frame = pd.DataFrame(
        {
            "Poste": ["Ressources propres", "Subventions | Région"],
            "Budget": ["120\u202f000\u00a0€", "80\u202f000\u00a0€"],
            "Réalisé": ["131\u202f500\u00a0€", "72\u202f000\u00a0€"],
            "Écart": ["+9,6\u202f%", "-10\u202f%"],
        }
    )
    table = _emitted(monkeypatch, display.table, frame)
    nb.cells.append(
        _code(
            f"#| label: tbl-ecarts\n#| tbl-cap: {TABLE_CAPTION}\ntable(frame)\nframe.shape",
            [
                {"output_type": "stream", "name": "stderr", "text": "STDERR-NOISE\n"},
                _display(table),
                {
                    "output_type": "execute_result",
                    "execution_count": 3,
                    "metadata": {},
                    "data": {"text/plain": "EXECUTE-RESULT-NOISE"},
                },
            ],
        )
    )
    return _write(nb, path, "2017-03-02T10:00:00.000000+00:00")


def _chapter_two(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(
        nbformat.v4.new_markdown_cell(
            "# Mouvements\n\nL'année a connu davantage d'entrées que de sorties."
        )
    )
    nb.cells += _papermill_cells()
    nb.cells.append(
        _code(
            f"#| label: fig-mouvements\n#| fig-cap: {FIGURE_CAPTION}\ndisplay_chart(chart)",
            [_display(_chart_bundle())],
        )
    )
    return _write(nb, path, "2017-03-02T10:00:05.000000+00:00")


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("executed")
    with pytest.MonkeyPatch.context() as monkeypatch:
        first = _chapter_one(monkeypatch, folder / "01-donnees.ipynb")
    return [first, _chapter_two(folder / "02-mouvements.ipynb")]


@pytest.fixture(scope="module")
def rendered(executed: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return render(executed, tmp_path_factory.mktemp("out"), YEAR, "pandoc", ROOT)


# --- display helpers --------------------------------------------------------------------------


def test_table_markdown_alignment_and_escaping() -> None:
    frame = pd.DataFrame(
        {"Poste": ["a | b", "c"], "Montant": ["1\u202f234\u00a0€", "—"], "N": [3, 4]}
    )
    markdown = display.to_markdown(frame)
    header, separator, first, _ = markdown.splitlines()
    assert header == "| Poste | Montant | N |"
    cells = separator.strip("|").split("|")
    assert cells[0].startswith(":") and not cells[0].endswith(":")
    assert cells[1].endswith(":") and cells[2].endswith(":")
    assert "a \\| b" in first
    assert display.column_alignment(frame, "lcr") == "lcr"
    with pytest.raises(ValueError):
        display.column_alignment(frame, "lr")


def test_md_emits_markdown_and_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _emitted(monkeypatch, display.md, "  **Texte** en français  ")
    assert bundle == {
        "text/markdown": "**Texte** en français",
        "text/plain": "**Texte** en français",
    }


# --- merged notebook --------------------------------------------------------------------------


def test_merged_notebook(rendered: dict[str, Path]) -> None:
    nb = nbformat.read(str(rendered["ipynb"]), as_version=4)
    front = nb.cells[0]
    assert front.cell_type == "raw" and front.source.startswith("---\n")
    assert f"subtitle: Exercice {YEAR}" in front.source
    assert "date: '2016-12-31'" in front.source  # _quarto.yml: the close of the year, not "now"
    assert not any(
        {"parameters", "injected-parameters"} & set(c.metadata.get("tags", [])) for c in nb.cells
    )
    assert [c.id for c in nb.cells[1:3]] == ["ch01-000", "ch01-003"]
    kinds = [o.output_type for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert set(kinds) == {"display_data"}  # streams and execute_result dropped
    chart = next(c for c in nb.cells if "fig-mouvements" in c.source)
    options, _ = parse_cell_options(chart.source)
    assert options["fig-alt"] == ALT_TEXT
    assert 'id="plotly-fig-mouvements"' in chart.outputs[0].data["text/html"]


def test_cell_options_in_html(tmp_path: Path) -> None:
    """echo, output, include, warning, repeated headings, an image-only chart, asis text."""
    from cae_report.publish.pandoc_engine import render_html

    png = base64.b64encode(_png_bytes()).decode("ascii")
    nb = nbformat.v4.new_notebook()
    nb.cells += [
        nbformat.v4.new_markdown_cell("# Un\n\n## Méthode\n\nVoir @fig-statique."),
        _code("#| echo: true\nvisible_code = 1", []),
        _code("#| output: false\nmd(x)", [_display({"text/markdown": "HIDDEN-OUTPUT"})]),
        _code("#| include: false\nmd(x)", [_display({"text/markdown": "HIDDEN-INCLUDE"})]),
        _code(
            "#| warning: true\nwarn()",
            [{"output_type": "stream", "name": "stderr", "text": "SHOWN-WARNING\n"}],
        ),
        _code("#| output: asis\nprint_md()", [_display({"text/plain": "**TEXTE-ASIS**"})]),
        nbformat.v4.new_markdown_cell("# Deux\n\n## Méthode"),
        _code(
            "#| label: fig-statique\n#| fig-cap: Image seule",
            [_display({"image/png": png, "text/plain": "Texte alternatif."})],
        ),
    ]
    merged, config, front = _merged(nb, tmp_path)
    html = render_html(merged, tmp_path / "out.html", config=config, front=front, tmp=tmp_path)
    text = html.read_text(encoding="utf-8")
    assert "visible_code" in text and "#| echo" not in text
    assert "HIDDEN-OUTPUT" not in text and "HIDDEN-INCLUDE" not in text
    assert "SHOWN-WARNING" in text
    # `output: asis` would paste an output into the document unwrapped: not honoured, the
    # output is shown as text (cae_report.publish.assemble)
    assert "<strong>TEXTE-ASIS</strong>" not in text and "**TEXTE-ASIS**" in text
    assert 'id="méthode"' in text and 'id="méthode-1"' in text
    assert re.search(
        r'<img [^>]*src="data:image/png;base64,[^"]+"[^>]* alt="Texte alternatif."', text
    )
    assert re.search(r'<a href="#fig-statique"[^>]*>Figure\u00a01</a>', text)


def _png_bytes() -> bytes:
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    plt.close(fig)
    return buffer.getvalue()


# --- HTML ---------------------------------------------------------------------------------------


def test_html_content(rendered: dict[str, Path]) -> None:
    html = rendered["html"].read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="fr"', html)
    assert NARRATIVE in html
    assert "Ressources propres" in html and "Subventions | Région" in html
    # a table is a figure with its caption, as Quarto writes it
    table = re.search(r'<figure id="tbl-ecarts"[^>]*>(.*?)</figure>', html, re.S).group(1)
    assert "<table" in table
    caption = re.search(r"<figcaption>(.*?)</figcaption>", table, re.S).group(1)
    assert "Tableau\u00a01" in caption and TABLE_CAPTION in caption
    figure = re.search(r'<figure id="fig-mouvements"[^>]*>(.*?)</figure>', html, re.S).group(1)
    figcaption = re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S).group(1)
    assert "Figure\u00a01" in figcaption and FIGURE_CAPTION in figcaption
    # cross-references resolved to French labels
    assert re.search(r'<a href="#tbl-ecarts"[^>]*>Tableau\u00a01</a>', html)
    assert re.search(r'<a href="#fig-mouvements"[^>]*>Figure\u00a01</a>', html)
    # the interactive chart, its alt text, and plotly.js exactly once, inline
    assert '<figure id="fig-mouvements"' in html
    assert 'id="plotly-fig-mouvements"' in html and "Plotly.newPlot" in html
    assert f'aria-label="{ALT_TEXT}"'.replace("'", "&#39;") in html or ALT_TEXT in html
    plotly_js = get_plotlyjs()  # the installed package's file, inserted verbatim, once
    assert html.count(plotly_js) == 1
    assert html.index(plotly_js) < html.index("</head>") < html.index("Plotly.newPlot")
    # nothing fetched from the network, no code, no debugging noise
    assert not re.search(r"<script[^>]+src=\"https?:", html)
    assert not re.search(r"<link[^>]+href=\"https?:", html)
    assert "fonts.googleapis" not in html and "@import url(http" not in html
    for noise in NOISE:
        assert noise not in html
    assert "year = 2024" not in html


# --- PDF ----------------------------------------------------------------------------------------


def _pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), text.replace("\u2019", "'")


def test_pdf_content(rendered: dict[str, Path]) -> None:
    pages, text = _pdf_text(rendered["pdf"])
    assert 4 <= pages <= 8  # cover, contents, one page per chapter
    flat = " ".join(text.split())
    assert "Rapport d'exécution" in flat and f"Exercice {YEAR}" in flat
    # the cover, from data/cooperative.yml
    assert "COODYSSÉE SARL" in flat and "Chorges" in flat
    assert "Région Provence-Alpes-Côte d'Azur" in flat and "Siret : 508 536 364 000 21" in flat
    assert "31 décembre 2016" in flat
    assert "Table des matières" in flat
    assert "Données et méthode" in flat and "Mouvements" in flat
    assert NARRATIVE in flat
    assert "Tableau 1" in flat and TABLE_CAPTION in flat
    assert "Figure 1" in flat and FIGURE_CAPTION in flat
    assert re.search(r"Page 1 / \d", flat)
    for noise in NOISE:
        assert noise not in flat


def test_pdf_typst_source_has_svg_with_alt(executed: list[Path], tmp_path: Path) -> None:
    render(executed, tmp_path, YEAR, "pandoc", ROOT, keep_intermediates=True)
    source = (tmp_path / f".render-{YEAR}" / f"rapport-{YEAR}.typ").read_text(encoding="utf-8")
    image = re.search(r'image\("(media/[0-9a-f]+\.svg)"[^)]*alt: "([^"]*)"', source)
    assert image, "the chart must be the SVG, with its alt text"
    assert image.group(2) == ALT_TEXT
    assert (tmp_path / f".render-{YEAR}" / image.group(1)).is_file()


def test_signs_locale_and_wide_tables(
    executed: list[Path], rendered: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PDF minus signs, the plotly French locale, the columns of a table wider than a line."""
    from cae_report.publish.pandoc_engine import render_html, render_pdf

    html = rendered["html"].read_text(encoding="utf-8")
    # plotly.js, then its French locale, then the charts
    locale = html.index('"moduleType": "locale"')
    assert html.index(get_plotlyjs()) < locale < html.index("Plotly.newPlot")
    # one minus sign in both formats (typography.lua), as the PDF
    assert "\u221210\u202f%" in html and "-10\u202f%" not in html
    wide = pd.DataFrame(
        {
            "Donnée": ["Liste des entrepreneurs — CARBONNET Sylvie", "Formations — 2016-02-11"],
            "Publié": ["MT DAUPHIN", "-10"],
            "Décision": ["corrigé", "signalé"],
            "Explication": [
                "Commune abrégée « MT DAUPHIN » écrite en entier « MONT DAUPHIN » " * 2,
                "Lieu « Coodyssée Charges » inconnu : faute de frappe pour « Coodyssée "
                "Chorges », corrigé d'après la liste des lieux de la coopérative",
            ],
        }
    )
    nb = nbformat.v4.new_notebook()
    nb.cells += [
        nbformat.v4.new_markdown_cell("# Un\n\nUne baisse (-3) et une hausse (+2)."),
        _code(
            "#| label: tbl-large\n#| tbl-cap: Large",
            [_display(_emitted(monkeypatch, display.table, wide))],
        ),
    ]
    merged, config, front = _merged(nb, tmp_path)
    text = render_html(
        merged, tmp_path / "out.html", config=config, front=front, tmp=tmp_path / "h"
    ).read_text(encoding="utf-8")
    assert re.search(r'<div class="cae-table cae-wide">', text)
    widths = [int(w) for w in re.findall(r'<col style="width: (\d+)%"', text)]
    assert len(widths) == 4 and widths[-1] == max(widths) and widths[-1] >= 40
    assert "(\u22123)" in text
    render_pdf(merged, tmp_path / "out.pdf", config=config, front=front, tmp=tmp_path / "t")
    typ = (tmp_path / "t" / "out.typ").read_text(encoding="utf-8")
    columns = re.search(r"columns: \(([\d.]+%[^)]*)\)", typ).group(1)
    shares = [float(c.strip().rstrip("%")) for c in columns.split(",")]
    assert shares[-1] == max(shares) and shares[1] > 8  # "DAUPHIN" fits its column
    assert "(\u22123)" in typ and "\u221210" in typ  # one sign of minus in the PDF
    assert "2016-02-11" in typ  # a date is not a negative number


def test_render_is_deterministic(
    executed: list[Path], rendered: dict[str, Path], tmp_path: Path
) -> None:
    again = render(executed, tmp_path, YEAR, "pandoc", ROOT)
    for kind in ("ipynb", "html", "pdf"):
        assert again[kind].read_bytes() == rendered[kind].read_bytes(), kind
    assert not (tmp_path / f".render-{YEAR}").exists()


def test_render_errors_name_the_step(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(RenderError, match="assemble"):
        render([broken], tmp_path / "out", YEAR, "pandoc", ROOT)
    with pytest.raises(RenderError, match="engine"):
        render([broken], tmp_path / "out", YEAR, "latex", ROOT)


# --- Quarto -------------------------------------------------------------------------------------


def test_quarto_missing_is_a_clear_error(
    executed: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RenderError, match="quarto is not on PATH"):
        render(executed, tmp_path, YEAR, "quarto", ROOT)


def test_quarto_render(executed: list[Path], tmp_path: Path) -> None:
    if shutil.which("quarto") is None:
        pytest.skip("quarto not on PATH: the Quarto engine cannot be tested on this machine")
    result = render(executed, tmp_path, YEAR, "quarto", ROOT)
    html = result["html"].read_text(encoding="utf-8")
    assert 'lang="fr"' in html and NARRATIVE in html
    assert "Plotly.newPlot" in html and html.count(get_plotlyjs()[:300]) == 1
    assert not re.search(r"<script[^>]+src=\"https?:", html)
    for noise in NOISE:
        assert noise not in html
    pages, text = _pdf_text(result["pdf"])
    flat = " ".join(text.split())
    assert pages >= 3 and "Tableau 1" in flat and FIGURE_CAPTION in flat


# --- captions, cover, glyphs ----------------------------------------------------------------


def test_a_caption_only_where_there_is_an_output(tmp_path: Path, monkeypatch) -> None:
    """A labelled cell left without output (no data this year, or a table of the internal
    edition) is dropped from the merged notebook: no engine prints its caption."""
    from cae_report.publish.pandoc_engine import render_html

    frame = pd.DataFrame({"Poste": ["a"], "Montant": ["1"]})
    nb = nbformat.v4.new_notebook()
    nb.cells += [
        nbformat.v4.new_markdown_cell("# Un"),
        _code("#| label: tbl-vide\n#| tbl-cap: TABLE-SANS-SORTIE\nif False: table(x)", []),
        _code("#| label: fig-vide\n#| fig-cap: FIGURE-SANS-SORTIE\nif False: chart(x)", []),
        _code(
            "#| label: tbl-plein\n#| tbl-cap: Table avec sortie",
            [_display(_emitted(monkeypatch, display.table, frame))],
        ),
    ]
    merged, config, front = _merged(nb, tmp_path)
    labels = [parse_cell_options(c.source)[0].get("label") for c in nbformat.read(merged, 4).cells]
    assert "tbl-vide" not in labels and "fig-vide" not in labels and "tbl-plein" in labels
    text = render_html(merged, tmp_path / "o.html", config=config, front=front, tmp=tmp_path)
    page = text.read_text(encoding="utf-8")
    assert "SANS-SORTIE" not in page and page.count("Tableau\u00a01") == 1


def _png(path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(1, 0.5))
    ax.text(0.1, 0.3, "LOGO")
    ax.axis("off")
    fig.savefig(path, format="png", dpi=60)
    plt.close(fig)
    return path


def test_cover_comes_from_the_cooperatives_settings(executed: list[Path], tmp_path: Path) -> None:
    """Another cooperative's cooperative.yml: its name, addressee, contacts and logo on both
    covers; the lines it leaves empty are not printed."""
    from cae_report.publish.assemble import assemble, load_config, stage_logo
    from cae_report.publish.pandoc_engine import render_html, render_pdf

    data = tmp_path / "data"
    data.mkdir()
    _png(data / "logo.png")
    other = {
        "name": "Ouvrière",
        "legal_name": "OUVRIÈRE SCOP",
        "legal_form": "Coopérative d'Activités et d'Emploi",
        "address": "1 rue du Port – 13002 Marseille",
        "email": "bonjour@ouvriere.example",
        "addressee": "Département des Bouches-du-Rhône",
        "report_title": "Rapport d'activité",
        "logo": "logo.png",
    }
    config = load_config(ROOT)
    merged = tmp_path / "merged.ipynb"
    front = assemble(executed, merged, year=YEAR, config=config, cooperative=other, data_dir=data)
    assert front["title"] == "Rapport d'activité"
    assert front["cae-cover"]["addressee"] == "Département des Bouches-du-Rhône"
    assert "legal" not in front["cae-cover"]  # no Siret, NAF or VAT number given
    meta = stage_logo(front, data, tmp_path / "h")
    page = render_html(merged, tmp_path / "o.html", config=config, front=meta, tmp=tmp_path / "h")
    cover = page.read_text(encoding="utf-8").split("</header>")[0]
    assert "OUVRIÈRE SCOP" in cover and "Bouches-du-Rhône" in cover and "Marseille" in cover
    assert "Siret" not in cover and "Coodyssée" not in cover
    assert re.search(r'<img [^>]*class="logo" src="data:image/png;base64,', cover)
    meta = stage_logo(front, data, tmp_path / "t")
    pdf = render_pdf(merged, tmp_path / "o.pdf", config=config, front=meta, tmp=tmp_path / "t")
    reader = PdfReader(str(pdf))
    first = " ".join(reader.pages[0].extract_text().split()).replace("\u2019", "'")
    assert "Rapport d'activité" in first and "Département des Bouches-du-Rhône" in first
    assert "OUVRIÈRE SCOP" in first and "Siret" not in first
    assert reader.pages[0].images, "the logo is on the cover"


def test_nothing_of_one_cooperative_in_the_publishing_code() -> None:
    publish = ROOT / "src" / "cae_report" / "publish"
    settings = [
        "Coodyss",
        "COODYSS",
        "Chorges",
        "Provence",
        "508 536",
        "7112B",
        "Avenue d'Embrun",
    ]
    found = [
        f"{path.name}: {word}"
        for path in publish.iterdir()
        if path.is_file() and path.suffix in (".py", ".lua", ".typ", ".html", ".css")
        for word in settings
        if word in path.read_text(encoding="utf-8")
    ]
    templates = [p for p in publish.iterdir() if p.suffix in (".typ", ".html", ".css", ".lua")]
    year = re.compile(r"(?<![\w{])(19|20)\d\d(?!\w)")  # not \u{2019} nor 0x2040
    found += [p.name for p in templates if year.search(p.read_text("utf-8"))]
    assert found == []
    assert "title:" not in (ROOT / "_quarto.yml").read_text(encoding="utf-8").split("format:")[0]


def test_glyph_table_agrees_with_typst(tmp_path: Path) -> None:
    """typography.lua prints a character as [U+XXXX] when its table says Typst's embedded
    fonts cannot show it: a sample of its boundaries, compiled by Typst itself."""
    from cae_report.publish import glyphs

    ranges = glyphs.supported_ranges()
    assert len(ranges) > 50

    def shown(code: int) -> bool:
        return any(a <= code <= b for a, b in ranges)

    sample = {0x00E9, 0x0153, 0x20AC, 0x2212, 0x202F, 0x1F600, 0x4E2D, 0x05D0, 0x0627}
    for a, b in ranges[5:-5:12]:
        sample |= {a, b, a - 1, b + 1}
    import unicodedata

    sample = {c for c in sample if unicodedata.category(chr(c))[0] in "LNPS"}
    wrong = []
    for code in sorted(sample):
        typst_shows = glyphs.first_unshown([chr(code)], tmp_path) is None
        if typst_shows != shown(code):
            wrong.append(f"U+{code:04X} typst {'shows' if typst_shows else 'cannot show'}")
    assert wrong == []
    assert not shown(0x1F600) and not shown(0x4E2D) and shown(0x20AC)


def test_typst_runs_apart_and_its_errors_name_the_source(tmp_path: Path) -> None:
    """Typst compiles in a process of its own (its memory is given back); a source it
    refuses is a RenderError naming the step, the file and Typst's own message."""
    from cae_report.publish.pandoc_engine import compile_typst

    good = tmp_path / "good.typ"
    good.write_text("= Titre\n\nÉcart de −1,9 %.\n", encoding="utf-8")
    compile_typst(good, {"output": str(tmp_path / "good.pdf"), "ignore_system_fonts": True})
    assert (tmp_path / "good.pdf").read_bytes().startswith(b"%PDF")
    bad = tmp_path / "bad.typ"
    bad.write_text("#let x = (\n", encoding="utf-8")
    with pytest.raises(RenderError) as err:
        compile_typst(bad, {"output": str(tmp_path / "bad.pdf")})
    message = str(err.value)
    assert "typst compile" in message and str(bad) in message and "unclosed" in message.lower()
