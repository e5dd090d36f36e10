"""Charts: tested on the data they plot, the words they carry and what each reader receives.

Every chart is one specification drawn by two backends; the tests check the specification,
then that both drawings show it (same values, ranges, ticks, labels and colours).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import yaml
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from cae_report import fr
from cae_report.analysis import audience, budget
from cae_report.analysis import statement as statement_rows
from cae_report.report import charts, mime, narrative
from cae_report.report.charts import fonts, mpl, output, plotly, spec, style
from cae_report.report.charts.chart import Chart

ROOT = Path(__file__).resolve().parents[1]
NNBSP = "\u202f"
NBSP = "\u00a0"
MINUS = "\u2212"

SHORT_MONTHS = [
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
]
ENTRIES = [1, 3, 2, 2, 1, 1, 1, 2, 1, 4, 3, 3]
EXITS = [2, 1, 2, 1, 3, 1, 0, 1, 5, 2, 0, 7]
HEADCOUNT = [84, 86, 86, 87, 85, 85, 86, 87, 83, 85, 88, 84]


# --- inline data (2016-like), made by the analyses where a chart takes their results --------


@pytest.fixture
def monthly() -> pd.DataFrame:
    # Given shuffled: the chart must order by month itself.
    df = pd.DataFrame(
        {"month": range(1, 13), "entries": ENTRIES, "exits": EXITS, "headcount_end": HEADCOUNT}
    )
    return df.sample(frac=1, random_state=0)


@pytest.fixture
def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "side": ["products", "products", "charges", "charges", "products"],
            "group": ["own_resources", "subsidies", "60", "61", "other_income"],
            "label": [
                "Contributions des entrepreneurs",
                "Subventions d'exploitation",
                "Achats",
                "Services extérieurs",
                "Produits exceptionnels",
            ],
            "variance_eur": [23606.0, -20000.0, -1717.0, 4500.0, 1200.0],
            "variance_pct": [34.2, -7.4, -3.2, 12.1, np.nan],
            "material": [True, True, False, True, False],
        }
    )


@pytest.fixture
def steps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": [
                "Résultat budgété",
                "Contributions",
                "Subventions",
                "Charges de personnel",
                "Résultat réalisé",
            ],
            "amount": [2000.0, 23606.0, -20000.0, -6400.0, -794.0],
            "kind": ["absolute", "relative", "relative", "relative", "total"],
        }
    )


@pytest.fixture
def structure() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": ["Subventions", "Ressources propres", "Autres produits"],
            "actual": [273000.0, 564000.0, 71700.0],
            "share_pct": [30.0, 62.1, 7.9],
        }
    )


@pytest.fixture
def yearly() -> pd.DataFrame:
    return audience.yearly(
        pd.DataFrame(
            {
                "year": [2016, 2013, 2014, 2015],
                "visits": [12262, 5000, 7000, 9123],
                "precision": ["exact", "rounded", "rounded", "exact"],
            }
        )
    )


@pytest.fixture
def targets() -> pd.DataFrame:
    web = pd.DataFrame(
        {
            "segment": ["filtered"],
            "pages_per_visit": [2.77],
            "avg_duration_s": [122.0],
            "bounce_pct": [61.54],
        }
    )
    goals = pd.DataFrame(
        {
            "metric": ["pages_per_visit", "avg_duration_s", "bounce_pct"],
            "target": [2.5, 150.0, 60.0],
            "direction": ["min", "min", "max"],
        }
    )
    return narrative.targets_chart_data(audience.against_targets(web, goals))


@pytest.fixture
def countries() -> pd.DataFrame:
    listed = pd.DataFrame(
        {
            "country": ["Belgique", "France", "Suisse", "Martinique", "Maroc", "Chine"],
            "sessions": [412, 10540, 230, 180, 60, 15],
        }
    )
    return audience.countries(listed, total_sessions=11737)


@pytest.fixture
def all_charts(monthly, lines, steps, structure, yearly, targets, countries) -> list[Chart]:
    training = pd.DataFrame(
        {"type": ["Gestion", "Juridique", "Numérique"], "hours": [84.0, 21.0, 42.5]}
    )
    return [
        charts.movements_chart(monthly, 2016),
        charts.variance_chart(lines),
        charts.waterfall_chart(steps),
        charts.products_structure_chart(structure),
        charts.web_trend_chart(yearly),
        charts.targets_chart(targets),
        charts.countries_chart(countries),
        charts.bar_chart(
            training, "type", "hours", "Heures de formation par thème", "Heures", "training-by-type"
        ),
    ]


# --- one specification, two drawings ----------------------------------------------------------


def _value_axes(chart: Chart):
    """(matplotlib axes, plotly axis) that carry the values."""
    ax = chart.mpl.axes[0]
    if chart.spec.horizontal:
        return ax.get_xlim(), chart.plotly.layout.xaxis
    return ax.get_ylim(), chart.plotly.layout.yaxis


def test_every_chart_has_both_figures_a_stable_name_and_french_words(all_charts):
    names = [c.name for c in all_charts]
    assert len(set(names)) == len(names)
    for chart in all_charts:
        assert isinstance(chart.mpl, Figure)
        assert isinstance(chart.plotly, go.Figure)
        assert isinstance(chart.data, pd.DataFrame) and not chart.data.empty
        assert chart.name == chart.name.lower() and " " not in chart.name
        assert chart.alt.endswith(".") and chart.title


def test_both_backends_draw_the_spec_range_ticks_and_labels(all_charts):
    for chart in all_charts:
        axis = chart.spec.value_axis
        mpl_range, plotly_axis = _value_axes(chart)
        assert mpl_range == pytest.approx((axis.lo, axis.hi)), chart.name
        assert tuple(plotly_axis.range) == pytest.approx((axis.lo, axis.hi)), chart.name
        ax = chart.mpl.axes[0]
        ticks = ax.get_xticklabels() if chart.spec.horizontal else ax.get_yticklabels()
        assert [t.get_text() for t in ticks] == list(axis.tick_texts), chart.name
        # plotly picks its ticks (fewer on a phone) in the unit of the spec
        _fmt, d3_format, suffix = spec.UNITS[axis.unit]
        assert (plotly_axis.tickformat, plotly_axis.ticksuffix or "") == (d3_format, suffix)
        if chart.spec.categories.values:  # the value labels, right of the bars, in both
            column = ax.child_axes[0] if ax.child_axes else None
            mpl_values = [t.get_text() for t in column.get_yticklabels()] if column else []
            assert mpl_values == list(chart.spec.categories.values), chart.name
            assert [v.replace("<br>", "\n") for v in chart.plotly.layout.yaxis2.ticktext] == list(
                chart.spec.categories.values
            )


def test_a_change_of_the_spec_reaches_both_backends(targets):
    chart = charts.targets_chart(targets)
    bars = chart.spec.marks[0]
    changed = dataclasses.replace(
        chart.spec,
        title="Un autre titre",
        value_axis=spec.value_axis("Autre axe", 0.0, 300.0, "pct", integer=True),
        marks=(dataclasses.replace(bars, color=charts.OKABE_ITO["reddish_purple"]),),
        categories=dataclasses.replace(chart.spec.categories, labels=("a", "b", "c")),
    )
    fig, page = go.Figure(plotly.draw(changed)), mpl.draw(changed)
    assert fig.layout.title.text == "Un autre titre"
    assert page.texts[0].get_text() == "Un autre titre"  # the suptitle
    assert tuple(fig.layout.xaxis.range) == (0.0, 300.0)
    assert page.axes[0].get_xlim() == (0.0, 300.0)
    assert page.axes[0].get_xlabel() == fig.layout.xaxis.title.text == "Autre axe"
    purple = charts.OKABE_ITO["reddish_purple"].upper()
    assert fig.data[0].marker.color.upper() == purple
    assert {to_hex(p.get_facecolor()).upper() for p in page.axes[0].patches} == {purple}
    assert [t.get_text() for t in page.axes[0].get_yticklabels()] == ["a", "b", "c"]
    assert list(fig.layout.yaxis.ticktext) == ["a", "b", "c"]


def test_figures_do_not_go_through_pyplot(all_charts):
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    assert all(isinstance(chart.mpl.canvas, FigureCanvasAgg) for chart in all_charts)
    assert plt.get_fignums() == []  # nothing registered, nothing leaks into a notebook


def test_chart_is_frozen(all_charts):
    with pytest.raises(dataclasses.FrozenInstanceError):
        all_charts[0].spec = None


def test_plotly_layout_is_french_and_keeps_the_title_clear_of_the_toolbar(all_charts):
    for chart in all_charts:
        layout = chart.plotly.layout
        assert layout.separators == fr.PLOTLY_SEPARATORS
        assert layout.height == chart.spec.height_px and layout.width is None  # responsive
        assert layout.title.text.replace("<br>", " ") == chart.title
        assert all(
            len(line) <= style.TITLE_WRAP_INTERACTIVE for line in layout.title.text.split("<br>")
        )
        # the toolbar floats in the top strip; the title starts below it, the plot below both
        assert layout.title.yref == "container" and layout.title.pad.t >= plotly.MODEBAR_PX
        lines = layout.title.text.count("<br>") + 1
        assert layout.margin.t >= plotly.MODEBAR_PX + plotly.TITLE_LINE_PX * lines
        if chart.spec.legend_entries:
            assert layout.legend.yanchor == "top"
            assert (1 - layout.legend.y) * layout.height >= layout.title.pad.t


def test_matplotlib_figures_fit_an_a4_column_in_the_body_font(all_charts):
    for chart in all_charts:
        width, height = chart.mpl.get_size_inches()
        assert width == pytest.approx(style.FIG_WIDTH_IN)
        assert spec.ROWS_MIN_IN <= height <= spec.ROWS_MAX_IN
        ax = chart.mpl.axes[0]
        assert not ax.spines["top"].get_visible()
        texts = [t for t in chart.mpl.findobj(lambda o: hasattr(o, "get_fontname")) if t.get_text()]
        assert min(t.get_fontsize() for t in texts) >= 9
        assert {t.get_fontname() for t in texts} == {style.STATIC_FONT}


def test_the_static_font_is_the_pdf_body_font_and_the_interactive_one_the_html_body_font():
    quarto = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert quarto["format"]["typst"]["mainfont"] == style.STATIC_FONT
    css = (ROOT / "src/cae_report/publish/report.css").read_text(encoding="utf-8")
    body = re.search(r"\nbody \{[^}]*font-family:\s*([^;]+);", css)
    assert body and " ".join(body.group(1).split()) == style.INTERACTIVE_FONT
    assert fonts.register_body_font()


def _names(styles) -> list[str]:
    return [f"LibertinusSerif-{style.replace(' ', '')}.otf" for style in styles]


def test_the_body_font_is_extracted_whole_once(tmp_path, monkeypatch):
    files = fonts.font_files(tmp_path)
    assert [p.name for p in files] == _names(fonts._STYLES)
    assert all(fonts._is_whole(p, s) for p, s in zip(files, fonts._STYLES, strict=True))
    monkeypatch.setattr(fonts, "_write_atomically", lambda *_: pytest.fail("written again"))
    assert fonts.font_files(tmp_path) == files


def test_two_processes_extracting_the_font_at_once_both_get_it(tmp_path, monkeypatch):
    """On a fresh machine the build's kernels extract the font together: neither may fail.

    Here another process writes the same file between this one's write and its rename.
    """
    replace = os.replace

    def another_process_meanwhile(source, target):
        monkeypatch.setattr(fonts.os, "replace", replace)
        fonts._write_atomically(Path(target), b"the other process's copy")
        replace(source, target)

    target = tmp_path / "font.otf"
    monkeypatch.setattr(fonts.os, "replace", another_process_meanwhile)
    fonts._write_atomically(target, b"this process's copy")
    assert target.read_bytes() == b"this process's copy"
    assert [p.name for p in tmp_path.iterdir()] == ["font.otf"]


def test_a_damaged_cached_font_is_written_again(tmp_path):
    italic = fonts.font_files(tmp_path)[fonts._STYLES.index("Italic")]
    whole = italic.read_bytes()
    italic.write_bytes(whole[: len(whole) // 2])
    assert not fonts._is_whole(italic, "Italic")
    assert italic in fonts.font_files(tmp_path)
    assert italic.read_bytes() == whole


def test_embedded_fonts_finds_whole_opentype_files():
    """A font inside other bytes is found whole, by family and style; junk is skipped."""
    name_records = [(1, "Test Serif"), (2, "Bold")]
    strings = b"".join(text.encode("utf-16-be") for _, text in name_records)
    records, at = b"", 0
    for name_id, text in name_records:
        size = len(text.encode("utf-16-be"))
        records += (3).to_bytes(2) + (1).to_bytes(2) + (0x409).to_bytes(2)
        records += name_id.to_bytes(2) + size.to_bytes(2) + at.to_bytes(2)
        at += size
    name = (0).to_bytes(2) + len(name_records).to_bytes(2) + (6 + len(records)).to_bytes(2)
    name += records + strings
    head = b"\x00" * 54
    offset = 12 + 16 * 2
    directory = b"head" + b"\0" * 4 + offset.to_bytes(4) + len(head).to_bytes(4)
    directory += b"name" + b"\0" * 4 + (offset + len(head)).to_bytes(4) + len(name).to_bytes(4)
    font = b"OTTO" + (2).to_bytes(2) + b"\0" * 6 + directory + head + name
    blob = b"OTTO garbage" + font + b"tail bytes OTTO"
    found = fonts.embedded_fonts(blob, "Test Serif")
    assert found == {"Bold": font}
    assert fonts.embedded_fonts(blob, "Other Serif") == {}


def _mpl_colours(fig: Figure) -> set[str]:
    colours = set()
    for ax in fig.axes:
        colours |= {to_hex(p.get_facecolor()).upper() for p in ax.patches}
        colours |= {to_hex(line.get_color()).upper() for line in ax.lines}
    return colours


def _plotly_colours(fig: go.Figure) -> set[str]:
    colours = set()
    for trace in fig.data:
        marker = getattr(trace, "marker", None)
        if marker is not None and isinstance(marker.color, str) and marker.opacity != 0:
            colours.add(marker.color.upper())
        elif getattr(trace, "mode", None) == "lines":
            colours.add(trace.line.color.upper())
    colours |= {shape.line.color.upper() for shape in fig.layout.shapes}
    return colours


def test_palette_is_okabe_ito_and_the_same_in_both_backends(all_charts):
    assert charts.OKABE_ITO["vermillion"] == "#D55E00"
    assert len(charts.OKABE_ITO) == 8
    palette = {c.upper() for c in charts.PALETTE}
    for chart in all_charts:
        mpl_used, plotly_used = _mpl_colours(chart.mpl), _plotly_colours(chart.plotly)
        assert plotly_used and plotly_used <= palette, (chart.name, plotly_used - palette)
        assert mpl_used == plotly_used, chart.name


# --- movements --------------------------------------------------------------------------------


def test_movements_traces_hold_the_given_series_with_french_months(monthly):
    chart = charts.movements_chart(monthly, 2016)
    bars_in, bars_out, line = chart.plotly.data
    assert (bars_in.name, bars_out.name, line.name) == (
        "Entrées",
        "Sorties",
        "Effectif fin de mois",
    )
    assert list(bars_in.y) == ENTRIES
    assert list(bars_out.y) == EXITS  # exits as positive bars
    assert list(line.y) == HEADCOUNT
    assert list(bars_in.x) == SHORT_MONTHS
    assert bars_in.offset < 0 < bars_out.offset + bars_out.width  # side by side
    assert line.yaxis == "y2"
    assert chart.title == "Entrées, sorties et effectif par mois en 2016"
    assert list(chart.data["month"]) == list(range(1, 13))


def test_movements_matplotlib_draws_the_same_numbers(monthly):
    chart = charts.movements_chart(monthly, 2016)
    ax, ax2 = chart.mpl.axes
    heights = [p.get_height() for p in ax.patches]
    assert heights == ENTRIES + EXITS
    assert [t.get_text() for t in ax.get_xticklabels()] == SHORT_MONTHS
    assert list(ax2.lines[0].get_ydata()) == HEADCOUNT
    assert ax2.spines["right"].get_visible()  # the secondary axis needs its spine
    assert ax2.get_ylim() == tuple(chart.plotly.layout.yaxis2.range)
    bar_tops = max(ENTRIES + EXITS) / ax.get_ylim()[1]
    line_bottom = (min(HEADCOUNT) - ax2.get_ylim()[0]) / (ax2.get_ylim()[1] - ax2.get_ylim()[0])
    assert bar_tops < line_bottom  # bars and line never collide


def test_movements_alt_text_has_the_key_numbers(monthly):
    alt = charts.movements_chart(monthly, 2016).alt
    assert f"24{NBSP}entrées" in alt
    assert f"25{NBSP}sorties" in alt
    assert "83 (septembre)" in alt and "88 (novembre)" in alt
    assert "84 fin décembre" in alt


def test_movements_rejects_bad_months(monthly):
    bad = monthly.copy()
    bad.loc[bad.index[0], "month"] = 13
    with pytest.raises(ValueError, match="month"):
        charts.movements_chart(bad, 2016)


# --- variances --------------------------------------------------------------------------------


def test_variance_groups_charges_then_products_each_sorted(lines):
    chart = charts.variance_chart(lines)
    cats = chart.spec.categories
    assert list(cats.labels) == [
        "Charges",
        "Services extérieurs",
        "Achats",
        "Produits",
        "Contributions des entrepreneurs",
        "Produits exceptionnels",
        "Subventions d'exploitation",
    ]
    assert list(cats.headings) == [True, False, False, True, False, False, False]
    heading_ticks = [t for t in chart.plotly.layout.yaxis.ticktext if t.startswith("<b>")]
    assert heading_ticks == ["<b>Charges</b>", "<b>Produits</b>"]
    bold = [t.get_text() for t in chart.mpl.axes[0].get_yticklabels() if t.get_fontweight()]
    assert [b for b in bold if b in ("Charges", "Produits")] == ["Charges", "Produits"]
    significant, other = chart.plotly.data[:2]
    assert significant.name == "Écart significatif" and other.name == "Autre écart"
    assert sorted(significant.x) == sorted(lines.loc[lines["material"], "variance_eur"])
    assert significant.marker.color == charts.COLORS["highlight"]
    # a bar sits on its label's row, in both backends
    rows = {label: i for i, label in enumerate(cats.labels)}
    by_row = dict(zip(significant.y, significant.x, strict=True))
    assert by_row[rows["Subventions d'exploitation"]] == -20000.0
    widths = {
        round(p.get_y() + p.get_height() / 2): p.get_width() for p in chart.mpl.axes[0].patches
    }
    assert widths[rows["Subventions d'exploitation"]] == -20000.0


def test_variance_signs_are_those_of_the_income_statement():
    statement = pd.DataFrame(
        {
            "side": ["charges", "charges", "products", "products"],
            "group": ["60", "64", "own_resources", "subsidies"],
            "row_type": ["line"] * 4,
            "label": ["Achats", "Salaires", "Contributions", "Région"],
            "actual": [800.0, 95000.0, 60000.0, 30000.0],
            "budget": [1000.0, 90000.0, 50000.0, 40000.0],
        }
    )
    lines = budget.lines(statement)
    rows = statement_rows.rows(statement)
    rows = rows[rows["kind"] == "line"]
    table = pd.concat(
        [narrative.statement_table(rows, side, {}, {}) for side in ("charges", "products")]
    )
    labels = table["Charges"].fillna(table["Produits"]).astype(str)
    chart = charts.variance_chart(lines)
    drawn = {
        label: value
        for label, value in zip(
            chart.spec.categories.labels, chart.spec.categories.values, strict=True
        )
        if value
    }
    for label, ecart in zip(labels, table["Écart"].astype(str), strict=True):
        # The table's cells are pandoc markdown (a sign escaped), the chart's plain text.
        assert drawn[label] == ecart.replace("\\", "").replace("-", MINUS), label
    assert drawn["Salaires"].startswith("+") and drawn["Région"].startswith(MINUS)


def test_variance_leaves_out_an_undefined_line_and_tells_twins_apart(lines):
    gap = lines.assign(variance_eur=[23606.0, np.nan, -1717.0, 4500.0, 1200.0])
    chart = charts.variance_chart(gap)
    assert "Subventions d'exploitation" not in chart.spec.categories.labels
    assert len(chart.data) == 4
    twins = pd.concat(
        [lines, lines.iloc[[2]].assign(group="62", variance_eur=-300.0)], ignore_index=True
    )
    labels = charts.variance_chart(twins).spec.categories.labels
    assert "Achats — Achats" in labels and "Autres services extérieurs — Achats" in labels
    # the same label on both sides is two rows, never one
    both = lines.assign(label=["Divers", "Subventions", "Divers", "Services", "Autres"])
    assert list(charts.variance_chart(both).spec.categories.labels).count("Divers") == 2
    with pytest.raises(ValueError, match="no line with a defined variance"):
        charts.variance_chart(lines.assign(variance_eur=np.nan))


def test_variance_labels_and_alt_are_formatted(lines):
    chart = charts.variance_chart(lines)
    texts = dict(zip(chart.data["label"], chart.data["text"], strict=True))
    assert texts["Contributions des entrepreneurs"] == f"+23{NNBSP}606{NBSP}€ (+34{NNBSP}%)"
    assert texts["Achats"] == f"-1{NNBSP}717{NBSP}€ (-3{NNBSP}%)"
    assert texts["Produits exceptionnels"] == f"+1{NNBSP}200{NBSP}€"  # NaN pct left out
    assert f"3{NBSP}écarts significatifs" in chart.alt
    assert f"Contributions des entrepreneurs (produits), +23{NNBSP}606{NBSP}€" in chart.alt
    assert f"-20{NNBSP}000{NBSP}€" in chart.alt


def test_all_zero_variances_still_draw(lines):
    zero = lines.assign(variance_eur=0.0, variance_pct=0.0, material=False)
    chart = charts.variance_chart(zero)
    lo, hi = chart.mpl.axes[0].get_xlim()
    assert lo < 0 < hi
    assert chart.data["text"].iloc[0] == f"0{NBSP}€ (0{NNBSP}%)"


# --- waterfall --------------------------------------------------------------------------------


def test_waterfall_bars_float_from_start_to_end_in_both_backends(steps):
    chart = charts.waterfall_chart(steps)
    assert list(chart.data["start"]) == [0.0, 2000.0, 25606.0, 5606.0, 0.0]
    assert list(chart.data["end"]) == [2000.0, 25606.0, 5606.0, -794.0, -794.0]
    assert list(chart.data["text"]) == [
        f"2{NNBSP}000{NBSP}€",
        f"+23{NNBSP}606{NBSP}€",
        f"-20{NNBSP}000{NBSP}€",
        f"-6{NNBSP}400{NBSP}€",
        f"-794{NBSP}€",
    ]
    spans = sorted(
        (round(p.get_y() + p.get_height() / 2), sorted((p.get_x(), p.get_x() + p.get_width())))
        for p in chart.mpl.axes[0].patches
    )
    plotly_spans = sorted(
        (y, sorted((b, b + x)))
        for trace in chart.plotly.data
        if isinstance(trace, go.Bar)
        for y, b, x in zip(trace.y, trace.base, trace.x, strict=True)
    )
    assert spans == plotly_spans
    assert [s for _, s in spans] == [
        [0, 2000],
        [2000, 25606],
        [5606, 25606],
        [-794, 5606],
        [-794, 0],
    ]
    colours = {trace.name: trace.marker.color for trace in chart.plotly.data if trace.name}
    assert colours == {
        "Résultat": charts.COLORS["total"],
        "Effet favorable": charts.COLORS["increase"],
        "Effet défavorable": charts.COLORS["decrease"],
    }
    connectors = [s for s in chart.plotly.layout.shapes if s.line.dash == "dot"]
    assert [s.x0 for s in connectors] == [2000.0, 25606.0, 5606.0, -794.0]


def test_waterfall_total_can_be_left_to_compute(steps):
    open_total = steps.copy()
    open_total.loc[open_total.index[-1], "amount"] = np.nan
    chart = charts.waterfall_chart(open_total)
    assert chart.data["amount"].iloc[-1] == -794.0
    assert f"-794{NBSP}€" in chart.alt and "Résultat budgété" in chart.alt


def test_waterfall_rejects_a_bridge_that_does_not_add_up(steps):
    wrong = steps.copy()
    wrong.loc[wrong.index[-1], "amount"] = 5000.0
    with pytest.raises(ValueError, match="add up"):
        charts.waterfall_chart(wrong)


def test_waterfall_rejects_bad_kinds(steps):
    wrong = steps.copy()
    wrong.loc[0, "kind"] = "relative"
    with pytest.raises(ValueError, match="kind"):
        charts.waterfall_chart(wrong)


# --- products structure -----------------------------------------------------------------------


def test_products_structure_sorted_with_share_and_amount_labels(structure):
    chart = charts.products_structure_chart(structure)
    assert list(chart.data["category"]) == ["Ressources propres", "Subventions", "Autres produits"]
    assert chart.data["text"].iloc[0] == f"62{NNBSP}%{' '}(564{NNBSP}000{NBSP}€)"
    trace = chart.plotly.data[0]
    assert trace.orientation == "h" and list(trace.x) == [62.1, 30.0, 7.9]
    assert list(trace.y) == [0, 1, 2]
    assert chart.plotly.layout.yaxis.range[0] > chart.plotly.layout.yaxis.range[1]  # 1st on top
    assert chart.mpl.axes[0].yaxis_inverted()
    assert f"Ressources propres 62{NNBSP}%" in chart.alt


# --- web trend --------------------------------------------------------------------------------


def test_web_trend_draws_the_growth_of_the_analysis(yearly):
    chart = charts.web_trend_chart(yearly)
    data = chart.data
    assert list(data["year"]) == [2013, 2014, 2015, 2016]
    assert list(data["rounded"]) == [True, True, False, False]
    assert list(data["growth_text"]) == [
        "",
        f"≈{NBSP}+40{NNBSP}%",
        f"≈{NBSP}+30{NNBSP}%",
        f"+34{NNBSP}%",
    ]
    exact, rounded = chart.plotly.data
    assert rounded.marker.pattern.shape == "/" and list(rounded.x) == ["2013", "2014"]
    assert list(exact.y) == [9123, 12262]
    hatched = [p for p in chart.mpl.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 2
    assert "arrondies" in chart.alt and f"12{NNBSP}262" in chart.alt
    # the growth is the analysis's, not recomputed: another growth shows as given
    other = charts.web_trend_chart(yearly.assign(growth_pct=[np.nan, 1.0, 2.0, 3.0]))
    assert other.data["growth_text"].iloc[-1] == f"+3{NNBSP}%"


def test_web_trend_rejects_unknown_precision(yearly):
    bad = yearly.assign(precision=["exact", "about", "exact", "exact"])
    with pytest.raises(ValueError, match="precision"):
        charts.web_trend_chart(bad)


# --- targets ----------------------------------------------------------------------------------


def test_targets_show_the_verdict_of_the_analysis(targets):
    chart = charts.targets_chart(targets)
    data = chart.data
    assert list(data["met"]) == [True, False, False]
    assert list(data["ratio_pct"].round(2)) == [110.8, 81.33, 102.57]
    assert list(data["value_text"]) == [
        f"2,77{NBSP}pages",
        f"2{NBSP}min{NBSP}02{NBSP}s",
        f"61,54{NNBSP}%",
    ]
    assert list(data["target_text"]) == [
        f">{NBSP}2,5{NBSP}pages",
        f">{NBSP}2{NBSP}min{NBSP}30{NBSP}s",
        f"<{NBSP}60{NNBSP}%",
    ]
    met, not_met = chart.plotly.data[:2]
    assert (met.name, not_met.name) == ("Objectif atteint", "Objectif non atteint")
    (rule,) = [t for t in chart.plotly.data if t.name == "Objectif"]
    assert list(rule.x) == [100, 100] and rule.showlegend and rule.mode == "lines"
    assert any(line.get_xdata()[0] == 100 for line in chart.mpl.axes[0].lines)
    assert chart.alt.startswith(f"1{NBSP}objectif sur 3 atteint{NBSP}: pages par visite 2,77")
    # the verdict is taken as given: a chart does not judge
    flipped = charts.targets_chart(targets.assign(met=[False, True, True]))
    assert list(flipped.data["color"]) == [
        charts.COLORS["not_met"],
        charts.COLORS["met"],
        charts.COLORS["met"],
    ]


def test_targets_rejects_bad_direction_and_zero_target(targets):
    with pytest.raises(ValueError, match="direction"):
        charts.targets_chart(targets.assign(direction=["min", "up", "max"]))
    with pytest.raises(ValueError, match="target"):
        charts.targets_chart(targets.assign(target=[2.5, 0, 60]))


def _legend_texts(chart: Chart) -> list[str]:
    legend = chart.mpl.axes[0].get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_legends_only_name_what_is_drawn_in_both_backends(yearly, targets):
    rounded_only = yearly[yearly["precision"] == "rounded"]
    chart = charts.web_trend_chart(rounded_only)
    assert _legend_texts(chart) == ["Valeur publiée arrondie (≈)"]
    assert "Valeur exacte" in _legend_texts(charts.web_trend_chart(yearly))
    none_met = charts.targets_chart(targets.assign(met=False))
    assert _legend_texts(none_met) == ["Objectif non atteint", "Objectif"]
    shown = [t.name for t in none_met.plotly.data if t.showlegend]
    assert not [s for s in none_met.plotly.layout.shapes if s.showlegend]  # see plotly.py
    assert shown == ["Objectif non atteint", "Objectif"]


# --- countries and generic bars ---------------------------------------------------------------


def test_countries_highlight_france_as_the_analysis_defines_it(countries):
    chart = charts.countries_chart(countries, top=3)
    data = chart.data
    assert list(data["country"]) == [
        "France",
        "Belgique",
        "Suisse",
        "Autres pays (3)",
        audience.UNLISTED_COUNTRIES,
    ]
    assert list(data["sessions"]) == [10540, 412, 230, 255, 300]
    colours = list(data["color"])
    assert colours[0] == charts.COLORS["highlight"] and colours[-2:] == [charts.COLORS["muted"]] * 2
    overseas = charts.countries_chart(countries)  # Martinique is France (analysis.audience)
    french = overseas.data.loc[overseas.data["is_france"], "country"]
    assert set(french) == {"France", "Martinique"}
    assert chart.alt.startswith(f"France en tête avec 10{NNBSP}540{NBSP}sessions")
    shares = dict(zip(overseas.data["country"], overseas.data["text"], strict=True))
    assert shares["Chine"] == f"15 (0,1{NNBSP}%)"  # of all sessions, never read zero


def test_bar_chart_sums_sorts_and_groups_others():
    df = pd.DataFrame(
        {
            "commune": ["Rennes", "Bruz", "Rennes", "Vitré", "Redon", "Janzé"],
            "members": [20, 4, 11, 6, 5, 1],
        }
    )
    chart = charts.bar_chart(
        df,
        "commune",
        "members",
        "Entrepreneurs par commune",
        "Entrepreneurs",
        "members-by-commune",
        top=2,
    )
    assert chart.name == "members-by-commune"
    assert list(chart.data["commune"]) == ["Rennes", "Vitré", "Autres (3)"]
    assert list(chart.data["members"]) == [31, 6, 10]
    assert chart.data["text"].iloc[0] == f"31 (66{NNBSP}%)"
    assert list(chart.plotly.layout.yaxis.ticktext) == ["Rennes", "Vitré", "Autres (3)"]
    assert "Rennes (31)" in chart.alt and "5" in chart.alt


def test_bar_chart_does_not_group_a_single_leftover():
    df = pd.DataFrame({"k": ["a", "b", "c"], "v": [3, 2, 1]})
    chart = charts.bar_chart(df, "k", "v", "T", "V", "t", top=2)
    assert list(chart.data["k"]) == ["a", "b", "c"]


def test_bar_chart_custom_formatter_in_labels_and_hover():
    df = pd.DataFrame({"type": ["Gestion", "Juridique"], "hours": [84.0, 42.5]})
    chart = charts.bar_chart(
        df,
        "type",
        "hours",
        "Heures",
        "Heures",
        "hours",
        formatter=lambda v: fr.fmt_num_max(v, 1) + NBSP + "h",
    )
    assert chart.data["text"].iloc[1] == f"42,5{NBSP}h (34{NNBSP}%)"
    assert list(chart.plotly.data[0].customdata) == [
        f"Gestion{fr.COLON} 84{NBSP}h",
        f"Juridique{fr.COLON} 42,5{NBSP}h",
    ]


# --- what the reader sees ---------------------------------------------------------------------


def test_negative_numbers_are_drawn_with_a_minus_sign(lines, steps):
    chart = charts.variance_chart(lines)
    assert chart.data["text"].str.startswith("-").any()  # the data keep fr's U+002D
    drawn = [v for v in chart.spec.categories.values if v]
    assert f"{MINUS}20{NNBSP}000{NBSP}€" in drawn
    assert not any("-" in v for v in drawn)
    hovers = [h for trace in chart.plotly.data if trace.customdata for h in trace.customdata]
    assert any(f"{MINUS}20{NNBSP}000" in h for h in hovers) and not any("-2" in h for h in hovers)
    ticks = chart.spec.value_axis.tick_texts
    assert any(t.startswith(MINUS) for t in ticks) and not any(t.startswith("-") for t in ticks)
    assert style.drawn_text("2016-12, -3 et (-4)") == f"2016-12, {MINUS}3 et ({MINUS}4)"


def test_long_category_labels_take_two_lines_and_keep_the_full_name_on_hover(lines):
    long_label = "Région PACA – Dispositif territorial d'accompagnement des créateurs d'activités"
    data = lines.assign(label=[long_label, *lines["label"].iloc[1:]])
    chart = charts.variance_chart(data)
    ticks = [t.get_text() for t in chart.mpl.axes[0].get_yticklabels()]
    cut = next(t for t in ticks if t.startswith("Région"))
    assert cut.count("\n") == 1 and cut.endswith("…")
    hover = [h for trace in chart.plotly.data if trace.customdata for h in trace.customdata]
    assert any(long_label in h for h in hover)
    # labels that would be cut the same are wrapped in full, never merged
    same_start = pd.DataFrame({"c": [long_label + " A", long_label + " B"], "v": [1, 2]})
    bars = charts.bar_chart(same_start, "c", "v", "T", "N", "same-start")
    assert len(set(bars.plotly.layout.yaxis.ticktext)) == 2


def test_phone_legend_room_grows_with_the_entries():
    one = spec.ChartSpec(
        "x",
        "T",
        "A.",
        True,
        spec.Categories(("a",)),
        spec.value_axis("V", 0, 1, "int"),
        (spec.Bars("#000000", (0.0,), (1.0,), ("a",), name="Court"),),
    )
    long_names = dataclasses.replace(
        one,
        marks=tuple(
            spec.Bars("#000000", (0.0,), (1.0,), ("a",), name=f"Une longue entrée {i}")
            for i in range(3)
        ),
    )
    assert plotly._legend_rows(one) == 1 and plotly._legend_rows(long_names) == 3
    assert (
        plotly.draw(long_names)["layout"]["margin"]["t"] > plotly.draw(one)["layout"]["margin"]["t"]
    )


def test_the_plotly_json_is_what_plotly_makes_of_it(all_charts):
    """The backend writes plotly's JSON without plotly's classes: the validated figure gives
    back the same JSON (no property unknown, misspelt or coerced), and the template it names
    is plotly's own « none »."""
    import plotly.io as pio

    assert plotly.NO_TEMPLATE == pio.templates["none"].to_plotly_json()
    for chart in all_charts:
        validated = json.loads(pio.to_json(go.Figure(chart.plotly_json), validate=True))
        assert validated == json.loads(pio.to_json(chart.plotly_json, validate=False)), chart.name


def test_the_bundles_figure_is_what_plotlys_encoder_writes(all_charts):
    """A kernel encodes a chart's JSON without plotly (:func:`mime.json_safe`): the same
    JSON as ``plotly.io.to_json`` for every chart and for the values plotly rewrites (numbers
    that are not finite, numpy values, dates); what it cannot write is refused, naming it."""
    import datetime

    import plotly.io as pio

    def plotlys(value):
        return json.loads(pio.to_json(value, validate=False))

    for chart in all_charts:
        figure = output.plotly_figure(chart)
        figure.pop("config")
        assert json.dumps(figure) == json.dumps(plotlys(chart.plotly_json)), chart.name
    odd = {
        "x": [1.5, float("nan"), float("inf"), -float("inf"), np.float64(2.5), np.int64(3)],
        "y": (np.array([1, 2]), np.bool_(True), True, None, "« a »", datetime.date(2016, 1, 2)),
        "z": {"nested": [np.nan, 0]},
    }
    safe = mime.json_safe(odd)
    assert json.dumps(safe, allow_nan=False) == json.dumps(plotlys(odd), allow_nan=False)
    assert type(safe["x"][4]) is float and type(safe["x"][5]) is int
    with pytest.raises(TypeError, match="holds a set"):
        mime.json_safe({"x": {1, 2}})


def test_the_charts_div_is_the_one_plotly_writes(all_charts):
    """The HTML engines turn a chart's JSON into its ``<div>`` without importing plotly: the
    text is the one ``plotly.io.to_html`` writes, for every chart and for JSON that plotly
    escapes or rewrites (a closing script tag, NaN and infinities, sizes in pixels or from
    the template, another server URL with the upload button off)."""
    import plotly.io as pio

    from cae_report.report import mime

    hostile = [
        {
            "data": [{"type": "bar", "x": ["</script><b>é", "NaN"], "y": [1, float("nan")]}],
            "layout": {"title": {"text": "a/b <i>Infinity</i>"}, "height": 420, "width": "90%"},
        },
        {
            "data": [{"y": [float("inf"), -1e300, 0.1, None]}],
            "layout": {"template": {"layout": {"width": 300, "height": 200.5}}},
            "config": {**mime.PLOTLY_CONFIG, "plotlyServerURL": "https://example.org"},
        },
        {},
    ]
    figures = [
        json.loads(json.dumps(charts.chart_bundle(c)[output.PLOTLY_MIME])) for c in all_charts
    ]
    for figure in figures + hostile:
        config = dict(figure.get("config", mime.PLOTLY_CONFIG))
        expected = pio.to_html(
            {"data": figure.get("data", []), "layout": figure.get("layout", {})},
            full_html=False,
            include_plotlyjs=False,
            div_id="plotly-fig-x",
            config=config,
            validate=False,
        )
        assert mime.plotly_div(figure, "plotly-fig-x") == expected


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "frame", "missing"),
    [
        (
            lambda d: charts.movements_chart(d, 2016),
            pd.DataFrame({"month": [1], "entries": [1]}),
            "exits, headcount_end",
        ),
        (
            charts.variance_chart,
            pd.DataFrame({"label": ["a"], "variance_eur": [1.0]}),
            "side, variance_pct, material",
        ),
        (charts.waterfall_chart, pd.DataFrame({"label": ["a"], "amount": [1.0]}), "kind"),
        (charts.products_structure_chart, pd.DataFrame({"category": ["a"]}), "actual, share_pct"),
        (
            charts.web_trend_chart,
            pd.DataFrame({"year": [2016], "visits": [1]}),
            "precision, growth_pct",
        ),
        (
            charts.targets_chart,
            pd.DataFrame({"metric_label": ["a"], "value": [1.0]}),
            "target, direction, unit_label, met",
        ),
        (
            charts.countries_chart,
            pd.DataFrame({"country": ["France"]}),
            "sessions, share_pct, is_france",
        ),
        (lambda d: charts.bar_chart(d, "k", "v", "T", "V", "n"), pd.DataFrame({"k": ["a"]}), "v"),
    ],
)
def test_missing_columns_are_named(build, frame, missing):
    with pytest.raises(ValueError, match=f"missing column\\(s\\): {missing}$"):
        build(frame)


def test_empty_frame_is_rejected():
    with pytest.raises(ValueError, match="no rows"):
        charts.bar_chart(pd.DataFrame({"k": [], "v": []}), "k", "v", "T", "V", "n")


# --- the notebook output ----------------------------------------------------------------------

MIME_TYPES = {output.PLOTLY_MIME, output.SVG_MIME, "text/plain"}


def test_bundle_holds_what_each_reader_uses_and_nothing_else(monthly):
    chart = charts.movements_chart(monthly, 2016)
    bundle = charts.chart_bundle(chart)
    # no PNG (JupyterLab's plotly renderer would show it first), no text/html needing
    # plotly.js (nbconvert and GitHub would prefer it to the SVG and show an empty box)
    assert set(bundle) == MIME_TYPES
    figure = bundle[output.PLOTLY_MIME]
    json.dumps(figure)  # serialisable as is
    assert figure["layout"]["separators"] == f",{NNBSP}"
    assert figure["config"]["displaylogo"] is False and figure["config"]["locale"] == "fr"
    assert bundle["text/plain"] == chart.alt


def test_svg_keeps_text_as_text_in_the_body_font(monthly):
    svg = charts.chart_bundle(charts.movements_chart(monthly, 2016))[output.SVG_MIME]
    assert svg.lstrip().startswith("<?xml") and "<dc:date>" not in svg
    assert "Entrées, sorties et effectif par mois en 2016</text>" in svg
    assert f"font-family: '{style.STATIC_FONT}', serif" in svg
    assert '<svg style="max-width: 100%; height: auto"' in svg
    assert '<path id="LibertinusSerif' not in svg and 'id="DejaVu' not in svg  # no glyphs


def _placed(fig: Figure) -> list[tuple[float, ...]]:
    """Where the layout put each axes, the suptitle and each legend, in points."""
    mpl.svg(fig)  # laid out as it is drawn
    renderer = fig._get_renderer()
    boxes = [ax.get_position().transformed(fig.transFigure) for ax in fig.axes]
    boxes += [fig._suptitle.get_window_extent(renderer)]
    boxes += [ax.get_legend().get_window_extent(renderer) for ax in fig.axes if ax.get_legend()]
    return [tuple(v * 72 / fig.dpi for v in box.extents) for box in boxes]


def test_the_one_pass_layout_places_every_chart_as_matplotlibs_two_passes(all_charts, monkeypatch):
    from matplotlib import _constrained_layout

    runs: list[int] = []
    real = _constrained_layout.make_layout_margins

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_constrained_layout, "make_layout_margins", counted)
    for chart in all_charts:
        runs.clear()
        one = _placed(chart.mpl)
        assert len(runs) == 1, chart.name  # one run of the algorithm per drawing
        fig = mpl.draw(chart.spec)
        fig.set_layout_engine("constrained")  # matplotlib's own, run twice
        runs.clear()
        two = _placed(fig)
        assert len(runs) == 2, chart.name
        assert len(one) == len(two)
        for a, b in zip(one, two, strict=True):
            assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1.0, chart.name
    assert "range" not in vars(_constrained_layout)  # left as it was


def test_the_svg_is_what_matplotlibs_savefig_writes(all_charts):
    """mpl.svg lays out and draws on one renderer that knows its fonts' line metrics:
    the bytes must be those of matplotlib's own path (a layout draw, then a drawing)."""
    import io

    for chart in all_charts:
        ours = mpl.svg(mpl.draw(chart.spec))
        fig, buffer = mpl.draw(chart.spec), io.StringIO()
        with mpl._style():
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        assert ours == mpl.finished(buffer.getvalue()), chart.name


def test_bundle_is_reproducible_and_follows_its_data(monthly, targets):
    for build, other in (
        (
            lambda: charts.movements_chart(monthly, 2016),
            lambda: charts.movements_chart(monthly, 2017),
        ),
        (
            lambda: charts.targets_chart(targets),
            lambda: charts.targets_chart(targets.assign(value=[2.8, 122.0, 61.54])),
        ),
    ):
        first, second = charts.chart_bundle(build()), charts.chart_bundle(build())
        assert first == second  # two builds of the same data: the same bytes
        changed = charts.chart_bundle(other())
        assert changed[output.SVG_MIME] != first[output.SVG_MIME]
        assert changed[output.PLOTLY_MIME] != first[output.PLOTLY_MIME]


def test_display_chart_emits_one_raw_output(monkeypatch, monthly):
    calls = []
    import IPython.display

    monkeypatch.setattr(
        IPython.display, "display", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    charts.display_chart(charts.movements_chart(monthly, 2016))
    assert len(calls) == 1
    (bundle,), kwargs = calls[0]
    assert set(bundle) == MIME_TYPES
    assert kwargs["raw"] is True
    assert kwargs["metadata"] == {
        "cae_report": {
            "name": "movements-monthly",
            "title": "Entrées, sorties et effectif par mois en 2016",
            "alt": bundle["text/plain"],
        },
        output.SVG_MIME: {"alt": bundle["text/plain"]},
    }


def test_html_engines_get_the_interactive_div_from_the_plotly_json(monthly, tmp_path):
    from cae_report.publish import pandoc_engine

    chart = charts.movements_chart(monthly, 2016)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display_chart(chart)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data=charts.chart_bundle(chart), metadata=output.chart_metadata(chart)
        )
    ]
    nb.cells = [cell]
    merged = tmp_path / "merged.ipynb"
    nbformat.write(nb, str(merged))
    shown = {}
    for fmt in ("html", "typst"):
        copy = json.loads(pandoc_engine.for_format(merged, fmt, tmp_path).read_text("utf-8"))
        shown[fmt] = copy["cells"][0]["outputs"][0]["data"]
    html = "".join(shown["html"]["text/html"])
    assert set(shown["html"]) == {"text/html", "text/plain"}
    assert 'id="plotly-fig-movements-monthly"' in html and "Plotly.newPlot" in html
    assert "<script src" not in html  # plotly.js is added once, by the engine
    assert set(shown["typst"]) == {output.SVG_MIME, "text/plain"}
    # the stored notebook keeps no text/html: nbconvert and GitHub show the SVG
    assert "text/html" not in nbformat.read(str(merged), 4).cells[0].outputs[0].data
    assert charts.with_plotly_html({"text/plain": "x"}) == {"text/plain": "x"}


def test_plotly_config_offers_no_upload_and_speaks_french(monthly):
    chart = charts.movements_chart(monthly, 2016)
    html = charts.with_plotly_html(charts.chart_bundle(chart))["text/html"]
    assert '"showSendToCloud": false' in html and '"locale": "fr"' in html
    assert '"lasso2d"' in html and '"displaylogo": false' in html
    assert '"toImageButtonOptions": {"filename": "movements-monthly"}' in html
