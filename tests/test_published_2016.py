"""The 2016 figures computed by the pipeline against the published report.

Where the published figures are consistent, the pipeline reproduces them. Where one is
not, the test names the published figure it contradicts and asserts the computed value.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cae_report.analysis import audience, budget, indicators, movements, training
from cae_report.build.prepare import prepare_year


@pytest.fixture(scope="module")
def tables():
    return prepare_year(2016).tables


@pytest.fixture(scope="module")
def values(tables):
    return indicators.compute(tables)


@pytest.mark.parametrize(
    "name,published",
    [
        ("headcount_start", 85),  # « Nombre d'entrepreneurs au début d'année = 85 »
        ("headcount_end", 84),  # « en fin d'année = 84 »
        ("entries", 24),
        ("exits", 25),
        ("accompanied", 109),  # « nous avons accompagné 109 entrepreneurs »
        ("movements", 49),  # « 49 mouvements »
        ("charges_actual", 134217),  # « Coût total des charges »
        ("charges_budget", 133625),
        ("products_actual", 160206),  # « Coût total des produits »
        ("products_budget", 133625),
        ("operating_surplus", 25989),  # « Excédent Brut d'exploitation »
        ("net_result", 16693),  # « Résultat »
        ("own_resources_actual", 96509),
        ("subsidies_actual", 35625),
        ("web_visits", 11173),
        ("web_visitors", 8110),
        ("web_pageviews", 30945),
        ("web_pages_per_visit", 2.77),
        ("web_avg_duration_s", 122),  # « 00:02:02 »
        ("web_bounce_pct", 61.54),
        ("training_sessions", 12),  # « 12 actions de formation »
        ("entrepreneurs_revenue", 908700),
    ],
)
def test_reproduces_consistent_published_figures(values, name, published):
    assert values[name] == pytest.approx(published)


@pytest.mark.parametrize(
    "name,published,decimals",
    [
        ("own_resources_variance_pct", 32, 0),  # « supérieures de 32% »
        ("subsidies_share_pct", 22, 0),  # « La part des subventions (22%) »
        ("personnel_share_pct", 67, 0),  # « Ils représentent 67% de nos dépenses »
        ("subsidy_leverage", 7.1, 1),  # « 7,1 euro de recettes sociales et fiscales »
    ],
)
def test_reproduces_published_rounded_ratios(values, name, published, decimals):
    assert round(values[name], decimals) == published


def test_reproduces_published_variance_percentages(tables):
    lines = budget.lines(tables["income_statement"]).set_index("label")
    for label, published in {
        "Mutualisation": 34,
        "Prestation de services": -3,
        "Département HAUTES-ALPES": -67,
        "CICE": 77,
    }.items():
        assert round(lines.loc[label, "variance_pct"]) == published, label
    groups = budget.groups(tables["income_statement"]).set_index("group")
    assert round(groups.loc["own_resources", "variance_pct"]) == 32
    assert round(groups.loc["subsidies", "variance_pct"]) == -22
    assert round(groups.loc["other_income", "variance_pct"]) == 87


def test_reproduces_published_web_shares(tables):
    spam = audience.spam_filter(tables["web_audience"]).set_index("metric")["kept_pct"]
    assert spam.round(2).to_dict() == {"visits": 94.32, "visitors": 93.88, "pageviews": 96.39}


def test_contradicts_published_december_headcount(tables):
    """Published « Effectif … D : 4 »; stock-flow and the year-end figure give 84."""
    monthly = movements.monthly(tables["movements"])
    assert monthly["headcount_end"].iloc[-1] == 84


def test_contradicts_published_purchases_line(tables):
    """Published « Entrepreneuriat coopératif 2091 € » (a copy of the line above); the
    « Sous total Achats 4237 € », confirmed by the total, leaves 0 €."""
    lines = budget.lines(tables["income_statement"]).set_index("label")
    assert lines.loc["Entrepreneuriat coopératif", "actual"] == 0


def test_contradicts_published_zero_budget_variance(tables):
    """Published « Uniformation … 100% » against no budget: undefined."""
    lines = budget.lines(tables["income_statement"]).set_index("label")
    assert pd.isna(lines.loc["Uniformation", "variance_pct"])


def test_contradicts_published_personnel_variance(tables):
    """Published « Le poste est en baisse de 10% »; 90 283 € against 92 000 € is -1.9 %."""
    groups = budget.groups(tables["income_statement"]).set_index("group")
    assert round(groups.loc["64", "variance_pct"], 1) == -1.9


def test_contradicts_published_training_totals(tables):
    """Published « 216 heures pour 52 entrepreneurs »; the sessions add up to 219 and 51."""
    assert training.totals(tables["training"]) == {"sessions": 12, "hours": 219, "attendance": 51}


def test_contradicts_published_movement_rate(values):
    """Published « presque 2 mouvements pour 3 entrepreneurs »; 49 / 85 = 57.6 %."""
    assert values["movement_rate_pct"] == 57.6
