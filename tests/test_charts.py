"""Charts: tested on the data they plot and the words they carry, not on pixels."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from cae_report import fr
from cae_report.report import charts
from cae_report.report.charts import Chart

NNBSP = "\u202f"
NBSP = "\u00a0"

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


# --- inline data (2016-like) ------------------------------------------------------------------


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
    return pd.DataFrame(
        {
            "year": [2016, 2013, 2014, 2015],
            "visits": [12262, 5000, 7000, 9123],
            "precision": ["exact", "rounded", "rounded", "exact"],
        }
    )


@pytest.fixture
def targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric_label": ["Pages par visite", "Durée moyenne des visites", "Taux de rebond"],
            "value": [2.77, 122.0, 61.54],
            "target": [2.5, 150.0, 60.0],
            "direction": ["min", "min", "max"],
            "unit_label": ["pages", "s", "%"],
        }
    )


@pytest.fixture
def countries() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "country": ["Belgique", "France", "Suisse", "Canada", "Maroc", "Chine"],
            "sessions": [412, 10540, 230, 180, 60, 15],
        }
    )


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


# --- common contract --------------------------------------------------------------------------


def test_every_chart_has_both_figures_a_stable_name_and_french_words(all_charts):
    names = [c.name for c in all_charts]
    assert len(set(names)) == len(names)
    for chart in all_charts:
        assert isinstance(chart.mpl, Figure)
        assert isinstance(chart.plotly, go.Figure)
        assert isinstance(chart.data, pd.DataFrame) and not chart.data.empty
        assert chart.name == chart.name.lower() and " " not in chart.name
        assert chart.alt.endswith(".") and chart.title


def test_figures_do_not_go_through_pyplot(all_charts):
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # nothing registered, nothing leaks into a notebook
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    assert all(isinstance(chart.mpl.canvas, FigureCanvasAgg) for chart in all_charts)


def test_all_zero_variances_still_draw():
    zero = pd.DataFrame(
        {
            "label": ["a", "b"],
            "variance_eur": [0.0, 0.0],
            "variance_pct": [0.0, 0.0],
            "material": [False, False],
        }
    )
    chart = charts.variance_chart(zero)
    lo, hi = chart.mpl.axes[0].get_xlim()
    assert lo < 0 < hi
    assert chart.data["text"].iloc[0] == f"0{NBSP}€ (0{NNBSP}%)"


def test_chart_is_frozen(all_charts):
    with pytest.raises(AttributeError):
        all_charts[0].name = "other"


def test_plotly_layout_is_french_plain_and_fixed_height(all_charts):
    for chart in all_charts:
        layout = chart.plotly.layout
        assert layout.separators == fr.PLOTLY_SEPARATORS
        assert layout.height and layout.height >= charts.PLOTLY_HEIGHT
        assert layout.title.text.replace("<br>", " ") == chart.title
        assert layout.template.layout.plot_bgcolor in (None, "white")


def test_matplotlib_figures_fit_an_a4_column_without_top_right_spines(all_charts):
    for chart in all_charts:
        width, height = chart.mpl.get_size_inches()
        assert width == pytest.approx(6.3)
        assert height >= 3.4
        ax = chart.mpl.axes[0]
        assert not ax.spines["top"].get_visible()
        assert not ax.spines["right"].get_visible()
        fonts = [
            t.get_fontsize()
            for t in chart.mpl.findobj(lambda o: hasattr(o, "get_fontsize"))
            if getattr(t, "get_text", lambda: "")()
        ]
        assert min(fonts) >= 9


def _mpl_colours(fig: Figure) -> set[str]:
    colours = set()
    for ax in fig.axes:
        colours |= {to_hex(p.get_facecolor()).upper() for p in ax.patches}
        colours |= {to_hex(line.get_color()).upper() for line in ax.lines}
        for collection in ax.collections:  # vlines
            colours |= {to_hex(c).upper() for c in collection.get_edgecolor()}
    return colours


def _plotly_colours(fig: go.Figure) -> set[str]:
    colours = set()
    for trace in fig.data:
        candidates = []
        if isinstance(trace, go.Waterfall):
            candidates = [
                trace.increasing.marker.color,
                trace.decreasing.marker.color,
                trace.totals.marker.color,
            ]
        elif getattr(trace, "marker", None) is not None:
            candidates = [trace.marker.color]
            if getattr(trace, "line", None) is not None and trace.line.color:
                candidates.append(trace.line.color)
        for c in candidates:
            if c is None:
                continue
            colours |= {x.upper() for x in ([c] if isinstance(c, str) else c)}
    return colours


def test_palette_is_okabe_ito_and_used_by_both_backends(all_charts):
    assert charts.OKABE_ITO["vermillion"] == "#D55E00"
    assert len(charts.OKABE_ITO) == 8
    palette = {c.upper() for c in charts.PALETTE}
    for chart in all_charts:
        mpl_used, plotly_used = _mpl_colours(chart.mpl), _plotly_colours(chart.plotly)
        assert mpl_used and plotly_used, chart.name
        assert mpl_used <= palette, (chart.name, mpl_used - palette)
        assert plotly_used <= palette, (chart.name, plotly_used - palette)
        # the same colours, whichever backend draws them
        assert plotly_used <= mpl_used, (chart.name, plotly_used - mpl_used)


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
    assert line.yaxis == "y2"
    assert chart.plotly.layout.barmode == "group"
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


def test_variance_bars_sorted_and_material_highlighted(lines):
    chart = charts.variance_chart(lines)
    assert list(chart.data["variance_eur"]) == sorted(lines["variance_eur"])
    material = chart.data[chart.data["material"]]
    assert set(material["color"]) == {charts.COLORS["highlight"]}
    assert set(chart.data.loc[~chart.data["material"], "color"]) == {charts.COLORS["muted"]}
    assert list(chart.plotly.layout.yaxis.categoryarray) == list(chart.data["label"])
    significant, other = chart.plotly.data
    assert significant.name == "Écart significatif"
    assert sorted(significant.x) == sorted(lines.loc[lines["material"], "variance_eur"])
    assert chart.plotly.layout.xaxis.ticksuffix == f"{NBSP}€"
    ax = chart.mpl.axes[0]
    assert [round(p.get_width()) for p in ax.patches] == sorted(
        round(v) for v in lines["variance_eur"]
    )
    assert any(line.get_xdata()[0] == 0 for line in ax.lines)  # zero line


def test_variance_labels_and_alt_are_formatted(lines):
    chart = charts.variance_chart(lines)
    texts = dict(zip(chart.data["label"], chart.data["text"], strict=True))
    assert texts["Contributions des entrepreneurs"] == f"+23{NNBSP}606{NBSP}€ (+34{NNBSP}%)"
    assert texts["Achats"] == f"-1{NNBSP}717{NBSP}€ (-3{NNBSP}%)"
    assert texts["Produits exceptionnels"] == f"+1{NNBSP}200{NBSP}€"  # NaN pct left out
    assert f"3{NBSP}écarts significatifs" in chart.alt
    assert f"+23{NNBSP}606{NBSP}€" in chart.alt and f"-20{NNBSP}000{NBSP}€" in chart.alt


def test_variance_rejects_duplicate_labels(lines):
    dup = pd.concat([lines, lines.head(1)])
    with pytest.raises(ValueError, match="duplicated"):
        charts.variance_chart(dup)


# --- waterfall --------------------------------------------------------------------------------


def test_waterfall_measures_amounts_and_colours(steps):
    chart = charts.waterfall_chart(steps)
    trace = chart.plotly.data[0]
    assert isinstance(trace, go.Waterfall)
    assert list(trace.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert list(trace.x) == [2000.0, 23606.0, -20000.0, -6400.0, -794.0]
    assert trace.increasing.marker.color == charts.COLORS["increase"]
    assert trace.decreasing.marker.color == charts.COLORS["decrease"]
    assert trace.totals.marker.color == charts.COLORS["total"]
    assert list(chart.data["start"]) == [0.0, 2000.0, 25606.0, 5606.0, 0.0]
    assert list(chart.data["end"]) == [2000.0, 25606.0, 5606.0, -794.0, -794.0]
    assert list(chart.data["text"]) == [
        f"2{NNBSP}000{NBSP}€",
        f"+23{NNBSP}606{NBSP}€",
        f"-20{NNBSP}000{NBSP}€",
        f"-6{NNBSP}400{NBSP}€",
        f"-794{NBSP}€",
    ]
    ax = chart.mpl.axes[0]
    bars = ax.patches
    assert [to_hex(b.get_facecolor()).upper() for b in bars] == [
        c.upper()
        for c in (
            charts.COLORS["total"],
            charts.COLORS["increase"],
            charts.COLORS["decrease"],
            charts.COLORS["decrease"],
            charts.COLORS["total"],
        )
    ]
    spans = [sorted((round(b.get_x()), round(b.get_x() + b.get_width()))) for b in bars]
    assert spans == [[0, 2000], [2000, 25606], [5606, 25606], [-794, 5606], [-794, 0]]


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
    assert chart.plotly.layout.yaxis.autorange == "reversed"  # largest on top
    assert f"Ressources propres 62{NNBSP}%" in chart.alt


# --- web trend --------------------------------------------------------------------------------


def test_web_trend_marks_rounded_years_and_growth(yearly):
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
    assert data["value_text"].iloc[0] == f"≈{NBSP}5{NNBSP}000"
    exact, rounded = chart.plotly.data
    assert rounded.marker.pattern.shape == "/" and list(rounded.x) == ["2013", "2014"]
    assert list(exact.y) == [9123, 12262]
    hatched = [p for p in chart.mpl.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 2
    assert "arrondies" in chart.alt and f"12{NNBSP}262" in chart.alt


def test_web_trend_rejects_unknown_precision(yearly):
    bad = yearly.assign(precision=["exact", "about", "exact", "exact"])
    with pytest.raises(ValueError, match="precision"):
        charts.web_trend_chart(bad)


# --- targets ----------------------------------------------------------------------------------


def test_targets_met_flags_and_normalisation(targets):
    chart = charts.targets_chart(targets)
    data = chart.data
    assert list(data["met"]) == [True, False, False]
    assert list(data["ratio_pct"].round(2)) == [110.8, 81.33, 102.57]
    assert list(data["color"]) == [
        charts.COLORS["met"],
        charts.COLORS["not_met"],
        charts.COLORS["not_met"],
    ]
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
    target_marker = chart.plotly.data[-1]
    assert target_marker.name == "Objectif" and set(target_marker.x) == {100}
    assert chart.alt.startswith(f"1{NBSP}objectif sur 3 atteint{NBSP}: pages par visite 2,77")
    assert f"2{NBSP}min{NBSP}02{NBSP}s" in chart.alt


def test_targets_exactly_at_target_is_not_met(targets):
    """The report's targets are strict ("Obj : > 3 pages"), as in audience.against_targets."""
    at = targets.assign(value=targets["target"])
    assert not charts.targets_chart(at).data["met"].any()


def test_targets_rejects_bad_direction_and_zero_target(targets):
    with pytest.raises(ValueError, match="direction"):
        charts.targets_chart(targets.assign(direction=["min", "up", "max"]))
    with pytest.raises(ValueError, match="target"):
        charts.targets_chart(targets.assign(target=[2.5, 0, 60]))


# --- countries and generic bars ---------------------------------------------------------------


def test_countries_sorted_france_highlighted_tail_grouped(countries):
    chart = charts.countries_chart(countries, top=3)
    data = chart.data
    assert list(data["country"]) == ["France", "Belgique", "Suisse", "Autres pays (3)"]
    assert list(data["sessions"]) == [10540, 412, 230, 255]
    assert list(data["color"]) == [
        charts.COLORS["highlight"],
        charts.COLORS["main"],
        charts.COLORS["main"],
        charts.COLORS["muted"],
    ]
    assert chart.plotly.data[0].marker.color[0] == charts.COLORS["highlight"]
    assert chart.alt.startswith(f"France en tête avec 10{NNBSP}540{NBSP}sessions")


def test_countries_small_shares_never_read_zero(countries):
    chart = charts.countries_chart(countries)
    assert chart.data.loc[chart.data["country"] == "Chine", "text"].item() == (f"15 (0,1{NNBSP}%)")


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
    assert list(chart.plotly.data[0].y) == ["Rennes", "Vitré", "Autres (3)"]
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
    assert list(chart.plotly.data[0].customdata) == [f"84{NBSP}h", f"42,5{NBSP}h"]


# --- what the reader sees ---------------------------------------------------------------------


def _legend_texts(chart: Chart) -> list[str]:
    return [t.get_text() for legend in chart.mpl.legends for t in legend.get_texts()]


def test_legends_only_name_what_is_drawn(yearly, targets):
    rounded_only = yearly[yearly["precision"] == "rounded"]
    assert _legend_texts(charts.web_trend_chart(rounded_only)) == ["Valeur publiée arrondie (≈)"]
    assert "Valeur exacte" in _legend_texts(charts.web_trend_chart(yearly))
    none_met = targets.assign(value=[2.0, 100.0, 70.0])
    assert _legend_texts(charts.targets_chart(none_met)) == ["Objectif non atteint", "Objectif"]
    assert [t.name for t in charts.targets_chart(none_met).plotly.data] == [
        "Objectif non atteint",
        "Objectif",
    ]


def test_negative_labels_are_drawn_with_a_minus_sign(lines, steps):
    minus = "\u2212"
    chart = charts.variance_chart(lines)
    assert chart.data["text"].str.startswith("-").any()  # the data keep fr's U+002D
    drawn = [t.get_text() for t in chart.mpl.axes[0].texts]
    assert f"{minus}20{NNBSP}000{NBSP}€ ({minus}7{NNBSP}%)" in drawn
    assert not any(t.startswith("-") for t in drawn)
    assert any(t.startswith(minus) for t in chart.plotly.data[0].text)
    ticks = charts.waterfall_chart(steps).mpl.axes[0].xaxis.get_major_formatter()
    assert ticks(-20000, 0) == f"{minus}20{NNBSP}000{NBSP}€"
    assert charts._drawn_text("2016-12, -3 et (-4)") == f"2016-12, {minus}3 et ({minus}4)"


def test_long_category_labels_take_two_lines_and_keep_the_full_name_on_hover(lines):
    long_label = "Région PACA – Dispositif territorial d'accompagnement des créateurs d'activités"
    data = lines.assign(label=[long_label, *lines["label"].iloc[1:]])
    chart = charts.variance_chart(data)
    ticks = [t.get_text() for t in chart.mpl.axes[0].get_yticklabels()]
    cut = next(t for t in ticks if t.startswith("Région"))
    assert cut.count("\n") == 1 and cut.endswith("…")
    hover = [h for trace in chart.plotly.data for h in trace.hovertext]
    assert long_label in hover
    # labels that would be cut the same are wrapped in full, never merged
    same_start = pd.DataFrame({"c": [long_label + " A", long_label + " B"], "v": [1, 2]})
    bars = charts.bar_chart(same_start, "c", "v", "T", "N", "same-start")
    assert len(set(bars.plotly.data[0].y)) == 2


def test_plotly_config_offers_no_upload_and_speaks_french(monthly):
    html = charts.plotly_html(charts.movements_chart(monthly, 2016))
    assert '"showSendToCloud": false' in html and '"locale": "fr"' in html
    assert '"lasso2d"' in html and '"displaylogo": false' in html


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
            "variance_pct, material",
        ),
        (charts.waterfall_chart, pd.DataFrame({"label": ["a"], "amount": [1.0]}), "kind"),
        (charts.products_structure_chart, pd.DataFrame({"category": ["a"]}), "actual, share_pct"),
        (charts.web_trend_chart, pd.DataFrame({"year": [2016], "visits": [1]}), "precision"),
        (
            charts.targets_chart,
            pd.DataFrame({"metric_label": ["a"], "value": [1.0]}),
            "target, direction, unit_label",
        ),
        (charts.countries_chart, pd.DataFrame({"country": ["France"]}), "sessions"),
        (lambda d: charts.bar_chart(d, "k", "v", "T", "V", "n"), pd.DataFrame({"k": ["a"]}), "v"),
    ],
)
def test_missing_columns_are_named(build, frame, missing):
    with pytest.raises(ValueError, match=f"missing column\\(s\\): {missing}$"):
        build(frame)


def test_empty_frame_is_rejected():
    with pytest.raises(ValueError, match="no rows"):
        charts.countries_chart(pd.DataFrame({"country": [], "sessions": []}))


# --- notebook bundle --------------------------------------------------------------------------

MIME_TYPES = {
    "image/png",
    "image/svg+xml",
    "text/html",
    "application/vnd.plotly.v1+json",
    "text/plain",
}


def test_bundle_has_the_five_mime_types(monthly):
    chart = charts.movements_chart(monthly, 2016)
    bundle = charts.chart_bundle(chart)
    assert set(bundle) == MIME_TYPES
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "<dc:date>" not in bundle["image/svg+xml"]
    assert 'id="fig-movements-monthly"' in bundle["text/html"]
    assert "<script src" not in bundle["text/html"]  # plotly.js is added once, elsewhere
    assert bundle["application/vnd.plotly.v1+json"]["layout"]["separators"] == f",{NNBSP}"
    json.dumps(bundle["application/vnd.plotly.v1+json"])  # serialisable as is
    assert bundle["text/plain"] == chart.alt


def test_bundle_is_deterministic(monthly, targets):
    for build in (
        lambda: charts.movements_chart(monthly, 2016),
        lambda: charts.targets_chart(targets),
    ):
        chart = build()
        first, second = charts.chart_bundle(chart), charts.chart_bundle(chart)
        assert first == second
        assert charts.chart_bundle(build()) == first  # a rebuild gives the same bytes too


def test_display_chart_emits_one_raw_output(monkeypatch, monthly):
    calls = []
    import IPython.display

    monkeypatch.setattr(
        IPython.display, "display", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    chart = charts.movements_chart(monthly, 2016)
    charts.display_chart(chart)
    assert len(calls) == 1
    (bundle,), kwargs = calls[0]
    assert set(bundle) == MIME_TYPES
    assert kwargs["raw"] is True
    assert kwargs["metadata"]["cae_report"]["name"] == "movements-monthly"
    assert kwargs["metadata"]["image/png"]["width"] == 630


def test_save_png_writes_a_200_dpi_png(tmp_path, targets):
    chart = charts.targets_chart(targets)
    path = charts.save_png(chart, tmp_path / "sub" / "targets.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG")
    width = int.from_bytes(data[16:20], "big")
    assert width == pytest.approx(6.3 * 200, abs=2)


def test_mpl_formatters_use_the_text_formats():
    eur, count, pct = charts._eur_axis(), charts._int_axis(), charts._pct_axis()
    assert all(isinstance(f, charts.FuncFormatter) for f in (eur, count, pct))
    assert eur(-20000, 0) == f"-20{NNBSP}000{NBSP}€"
    assert count(12000, 0) == f"12{NNBSP}000"
    assert pct(50, 0) == f"50{NNBSP}%"
