"""Website audience: targets, yearly growth, countries, spam filter."""

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.analysis import audience

AUDIENCE_2016 = pd.DataFrame(
    {
        "year": [2016, 2016],
        "segment": ["filtered", "all"],
        "segment_label": ["Easy Tourisme - Spam V2", "Toutes les données du site Web"],
        "visits": [11173, 11846],
        "visitors": [8110, 8639],
        "pageviews": [30945, 32104],
        "pages_per_visit": [2.77, 2.71],
        "avg_duration_s": [122.0, 118.0],
        "bounce_pct": [61.54, 61.14],
    }
)
TARGETS_2016 = pd.DataFrame(
    {
        "year": 2016,
        "metric": ["pages_per_visit", "avg_duration_s", "bounce_pct"],
        "direction": ["min", "min", "max"],
        "target": [3.0, 150.0, 40.0],
        "label": ["Obj : > 3 pages", "Obj : > 2min30", "Obj : < 40%"],
    }
)


def test_against_targets_2016_misses_all_three():
    expected = pd.DataFrame(
        {
            "metric": ["pages_per_visit", "avg_duration_s", "bounce_pct"],
            "value": [2.77, 122.0, 61.54],
            "target": [3.0, 150.0, 40.0],
            "direction": ["min", "min", "max"],
            "met": [False, False, False],
            "gap": [2.77 - 3.0, -28.0, 61.54 - 40.0],
            "gap_pct": [(2.77 - 3.0) / 3 * 100, -28 / 150 * 100, (61.54 - 40) / 40 * 100],
        }
    )
    assert_frame_equal(audience.against_targets(AUDIENCE_2016, TARGETS_2016), expected)


def test_against_targets_directions_are_strict():
    targets = pd.DataFrame(
        {
            "metric": ["pages_per_visit", "bounce_pct"],
            "direction": ["min", "max"],
            "target": [2.77, 70.0],
        }
    )
    out = audience.against_targets(AUDIENCE_2016, targets)
    assert out["met"].tolist() == [False, True]  # equal to a minimum is not exceeding it


def test_against_targets_other_segment_and_missing_data():
    out = audience.against_targets(AUDIENCE_2016, TARGETS_2016, segment="all")
    assert out["value"].tolist() == [2.71, 118.0, 61.14]
    assert audience.against_targets(AUDIENCE_2016, None).empty
    assert audience.against_targets(None, TARGETS_2016).empty
    partial = AUDIENCE_2016.assign(bounce_pct=[np.nan, np.nan])
    assert "bounce_pct" not in audience.against_targets(partial, TARGETS_2016)["metric"].tolist()


def test_yearly_growth_against_previous_available_year():
    visits = pd.DataFrame(
        {
            "year": [2016, 2013, 2015],  # 2014 missing, unsorted
            "visits": [11173, 7200, 10000],
            "precision": ["exact", "rounded", "rounded"],
        }
    )
    expected = pd.DataFrame(
        {
            "year": [2013, 2015, 2016],
            "visits": [7200, 10000, 11173],
            "precision": ["rounded", "rounded", "exact"],
            "growth_pct": [np.nan, (10000 / 7200 - 1) * 100, (11173 / 10000 - 1) * 100],
        }
    )
    assert_frame_equal(audience.yearly(visits), expected)


def test_year_visits_prefers_exact_filtered_visits():
    web_visits = pd.DataFrame({"year": [2016], "visits": [11000], "precision": ["rounded"]})
    assert audience.year_visits({"web_audience": AUDIENCE_2016, "web_visits": web_visits}) == (
        11173,
        "exact",
    )
    assert audience.year_visits({"web_visits": web_visits}) == (11000, "rounded")
    assert audience.year_visits({}) == (None, None)


def test_countries_adds_unlisted_remainder():
    listed = pd.DataFrame(
        {"year": 2016, "country": ["France", "Canada", "Martinique"], "sessions": [900, 40, 10]}
    )
    expected = pd.DataFrame(
        {
            "country": ["France", "Canada", "Martinique", "Autres pays non détaillés"],
            "sessions": [900, 40, 10, 50],
            "share_pct": [90.0, 4.0, 1.0, 5.0],
            "is_france": [True, False, True, False],
        }
    )
    assert_frame_equal(audience.countries(listed, total_sessions=1000), expected)


def test_countries_without_total_shares_the_listed_sessions():
    listed = pd.DataFrame({"country": ["France", "Canada"], "sessions": [3, 1]})
    out = audience.countries(listed)
    assert out["share_pct"].tolist() == [75.0, 25.0]
    assert len(out) == 2
    assert audience.countries(None).empty


def test_spam_filter():
    expected = pd.DataFrame(
        {
            "metric": ["visits", "visitors", "pageviews"],
            "filtered": [11173.0, 8110.0, 30945.0],
            "all": [11846.0, 8639.0, 32104.0],
            "kept_pct": [11173 / 11846 * 100, 8110 / 8639 * 100, 30945 / 32104 * 100],
        }
    )
    out = audience.spam_filter(AUDIENCE_2016)
    assert_frame_equal(out, expected)
    assert round(out["kept_pct"].iloc[0], 2) == 94.32


def test_spam_filter_needs_both_segments():
    assert audience.spam_filter(AUDIENCE_2016.iloc[:1]).empty
    assert audience.spam_filter(None).empty


def test_unknown_direction_is_an_error():
    targets = TARGETS_2016.assign(direction=["above", "min", "max"])
    with pytest.raises(ValueError, match="direction"):
        audience.against_targets(AUDIENCE_2016, targets)


def test_growth_of_a_single_year_is_undefined():
    out = audience.yearly(
        pd.DataFrame({"year": [2013], "visits": [7200], "precision": ["rounded"]})
    )
    assert math.isnan(out["growth_pct"].iloc[0])
