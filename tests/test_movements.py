"""Movements of entrepreneurs: totals recomputed from the monthly table."""

import math

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.analysis import movements

# 2016 as published, December headcount corrected from the misprinted 4 to 84.
ENTRIES = [1, 3, 2, 2, 1, 1, 1, 2, 1, 4, 3, 3]
EXITS = [2, 1, 2, 1, 3, 1, 0, 1, 5, 2, 0, 7]
HEADCOUNT = [84, 86, 86, 87, 85, 85, 86, 87, 83, 85, 88, 84]


def movements_2016(months=range(1, 13)) -> pd.DataFrame:
    rows = [
        {
            "year": 2016,
            "month": m,
            "entries": ENTRIES[m - 1],
            "exits": EXITS[m - 1],
            "headcount_end": HEADCOUNT[m - 1],
        }
        for m in months
    ]
    return pd.DataFrame(rows).astype({"entries": "Int64", "exits": "Int64"})


def key_figures(**values) -> pd.DataFrame:
    return pd.DataFrame(
        {"year": 2016, "indicator": list(values), "value": [float(v) for v in values.values()]}
    )


def test_monthly_sorts_by_month_and_keeps_four_columns():
    shuffled = movements_2016().iloc[::-1]
    out = movements.monthly(shuffled)
    assert list(out.columns) == ["month", "entries", "exits", "headcount_end"]
    assert out["month"].tolist() == list(range(1, 13))
    assert out["entries"].dtype == "int64"


def test_monthly_of_nothing_is_empty():
    assert movements.monthly(None).empty


def test_summary_2016():
    result = movements.summary(movements_2016(), key_figures(headcount_start=85))
    assert result == {
        "headcount_start": 85,
        "headcount_end": 84,
        "entries": 24,
        "exits": 25,
        "accompanied": 109,
        "movements": 49,
        "movement_rate_pct": pytest.approx(49 / 85 * 100),
        "net_change": -1,
    }
    assert round(result["movement_rate_pct"], 1) == 57.6
    assert isinstance(result["entries"], int)


def test_summary_derives_start_from_january_when_not_stated():
    result = movements.summary(movements_2016(), None)
    assert result["headcount_start"] == 84 - 1 + 2


def test_summary_without_january_does_not_guess_the_start():
    result = movements.summary(movements_2016(range(2, 13)), None)
    assert result["headcount_start"] is None
    assert result["accompanied"] is None
    assert result["movement_rate_pct"] is None
    assert result["headcount_end"] == 84


def test_summary_without_december_has_no_end_headcount():
    result = movements.summary(movements_2016(range(1, 12)), None)
    assert result["headcount_end"] is None
    assert result["net_change"] is None


def test_summary_of_a_partial_year_uses_stated_figures_only():
    assert set(movements.summary(None, None).values()) == {None}
    result = movements.summary(None, key_figures(headcount_end=85, accompanied=100))
    assert result["headcount_end"] == 85
    assert result["accompanied"] == 100
    assert result["entries"] is None
    assert result["movement_rate_pct"] is None


def test_against_forecast_drops_indicators_without_forecast():
    summary = movements.summary(movements_2016(), key_figures(headcount_start=85))
    forecasts = key_figures(forecast_entries=15, forecast_exits=10, forecast_headcount_end=85)
    expected = pd.DataFrame(
        {
            "indicator": ["entries", "exits", "headcount_end"],
            "actual": [24.0, 25.0, 84.0],
            "forecast": [15.0, 10.0, 85.0],
            "gap": [9.0, 15.0, -1.0],
            "gap_pct": [60.0, 150.0, -100 / 85],
        }
    )
    assert_frame_equal(movements.against_forecast(summary, forecasts), expected)


def test_against_forecast_zero_forecast_gives_undefined_pct():
    out = movements.against_forecast({"exits": 3}, key_figures(forecast_exits=0))
    assert out["gap"].iloc[0] == 3.0
    assert math.isnan(out["gap_pct"].iloc[0])


def test_against_forecast_without_key_figures_is_empty():
    assert movements.against_forecast({"entries": 3}, None).empty


def test_peak_months_orders_by_turnover_then_month():
    expected = pd.DataFrame(
        {"month": [12, 9, 10], "entries": [3, 1, 4], "exits": [7, 5, 2], "turnover": [10, 6, 6]}
    )
    assert_frame_equal(movements.peak_months(movements_2016()), expected)


def test_peak_months_keeps_ties_at_the_cut():
    out = movements.peak_months(movements_2016(), n=4)
    # February, March and May all have 4 movements: none is arbitrarily dropped.
    assert out["month"].tolist() == [12, 9, 10, 2, 3, 5]


def test_peak_months_of_nothing_is_empty():
    assert movements.peak_months(None).empty
