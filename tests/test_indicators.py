"""Headline indicators: full year, partial years, fallbacks, types."""

import pandas as pd
import pytest

from cae_report.analysis import indicators


def key_figures(**values) -> pd.DataFrame:
    return pd.DataFrame(
        {"year": 2016, "indicator": list(values), "value": [float(v) for v in values.values()]}
    )


def statement() -> pd.DataFrame:
    rows = [
        ("charges", "62", "line", "Honoraires", 40.0, 50.0),
        ("charges", "64", "line", "Salaires", 60.0, 50.0),
        ("charges", "non_operating", "line", "Dotations", 5.0, None),
        ("products", "own_resources", "line", "Mutualisation", 80.0, 64.0),
        ("products", "subsidies", "line", "Région PACA", 40.0, 36.0),
        ("products", "non_operating", "line", "Produits financiers", 1.0, None),
    ]
    frame = pd.DataFrame(rows, columns=["side", "group", "row_type", "label", "actual", "budget"])
    return frame.assign(year=2016, order=range(1, len(rows) + 1))


@pytest.fixture
def full_year() -> dict[str, pd.DataFrame]:
    return {
        "movements": pd.DataFrame(
            {
                "year": 2016,
                "month": range(1, 13),
                "entries": [1] + [0] * 10 + [3],
                "exits": [2] + [0] * 10 + [7],
                "headcount_end": [84] * 11 + [80],
            }
        ),
        "key_figures": key_figures(
            headcount_start=85,
            entrepreneurs_revenue=908700,
            ratio_receipts=253057,
            ratio_subsidies=35625,
            personnel_share_pct=99,  # stated, but computable: must be ignored
            training_hours=216,
        ),
        "income_statement": statement(),
        "web_audience": pd.DataFrame(
            {
                "segment": ["filtered", "all"],
                "visits": [11173, 11846],
                "visitors": [8110, 8639],
                "pageviews": [30945, 32104],
                "pages_per_visit": [2.77, 2.71],
                "avg_duration_s": [122.0, 118.0],
                "bounce_pct": [61.54, 61.14],
            }
        ),
        "web_visits": pd.DataFrame({"year": [2016], "visits": [11000], "precision": ["rounded"]}),
        "training": pd.DataFrame(
            {"type": ["a", "b"], "place": ["x", "y"], "attendees": [13, 1], "hours": [104.0, 3.0]}
        ),
    }


def test_compute_returns_exactly_the_declared_keys(full_year):
    assert tuple(indicators.compute(full_year)) == indicators.KEYS
    assert tuple(indicators.compute({})) == indicators.KEYS


def test_compute_full_year(full_year):
    result = indicators.compute(full_year)
    assert result["headcount_start"] == 85
    assert result["accompanied"] == 89  # 85 + the 4 entries of this tiny table
    assert result["movement_rate_pct"] == round(13 / 85 * 100, 1)
    assert result["charges_actual"] == 100.0
    assert result["products_actual"] == 120.0
    assert result["operating_surplus"] == 20.0
    assert result["net_result"] == 16.0
    assert result["own_resources_variance_pct"] == 25.0
    assert result["subsidies_share_pct"] == round(40 / 120 * 100, 1)
    assert result["personnel_share_pct"] == 60.0  # computed, not the stated 99
    assert result["subsidy_leverage"] == 7.1
    assert result["web_visits"] == 11173  # exact filtered count, not the rounded 11 000
    assert result["web_bounce_pct"] == 61.54
    assert result["training_hours"] == 107.0  # the table, not the stated 216
    assert result["entrepreneurs_revenue"] == 908700.0


def test_a_table_of_some_months_gives_no_yearly_total(full_year):
    some = dict(full_year, movements=full_year["movements"].iloc[:7])
    some["key_figures"] = pd.concat([some["key_figures"], key_figures(entries=24, exits=25)])
    result = indicators.compute(some)
    assert (result["entries"], result["exits"]) == (24, 25)  # the text's, not 7 months' sums


def test_counts_are_ints_and_values_plain_python(full_year):
    result = indicators.compute(full_year)
    for key in ("headcount_end", "entries", "web_visits", "training_sessions"):
        assert type(result[key]) is int
    assert all(type(v) in (int, float) for v in result.values() if v is not None)


def test_2013_like_year_holds_only_visits():
    result = indicators.compute(
        {"web_visits": pd.DataFrame({"year": [2013], "visits": [7200], "precision": ["rounded"]})}
    )
    assert result["web_visits"] == 7200
    assert all(v is None for k, v in result.items() if k != "web_visits")


def test_2015_like_year_falls_back_on_stated_figures():
    tables = {
        "key_figures": key_figures(personnel_share_pct=70, contracts_cdi=74),
        "web_visits": pd.DataFrame({"year": [2015], "visits": [10000], "precision": ["rounded"]}),
    }
    result = indicators.compute(tables)
    assert result["personnel_share_pct"] == 70.0
    assert result["web_visits"] == 10000
    assert result["charges_actual"] is None
    assert result["headcount_end"] is None
    assert result["training_sessions"] is None


def test_previous_year_supplies_the_opening_headcount_only_when_needed(full_year):
    december_only = {
        "movements": full_year["movements"].iloc[[1]],
    }
    assert indicators.compute(december_only)["headcount_start"] is None
    result = indicators.compute(december_only, previous={"headcount_end": 88})
    assert result["headcount_start"] == 88
    previous_tables = {"key_figures": key_figures(headcount_end=87)}
    assert indicators.compute(december_only, previous=previous_tables)["headcount_start"] == 87
    # this year's own statement wins over last year's
    assert indicators.compute(full_year, previous={"headcount_end": 88})["headcount_start"] == 85
