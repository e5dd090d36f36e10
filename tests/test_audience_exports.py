"""Website-audience exports (Matomo, Universal Analytics, GA4) read as canonical tables.

The fixtures carry the 2016 published figures in each tool's own layout (see
tests/fixtures/audience/make_fixtures.py), so each reader must give back the row the
report published, and say where a metric is not what it claims to be.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.data.contract import TABLES
from cae_report.data.exports.audience import GA4_BOUNCE_NOTE, AudienceExport, read_audience
from cae_report.data.read import read_table
from cae_report.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "audience"
RAW_2016 = Path(__file__).resolve().parents[1] / "data" / "raw" / "2016"
GA_LABEL = "Toutes les données du site Web"
DEFAULT_LABEL = "Toutes les visites"
COUNTRIES = [
    ("France", 10362),
    ("United States", 115),
    ("Canada", 101),
    ("Tunisia", 47),
    ("Belgium", 42),
    ("Martinique", 39),
    ("Morocco", 38),
    ("Switzerland", 35),
    ("Guadeloupe", 32),
    ("(not set)", 30),
]


def audience(label: str, bounce: float = 61.14) -> pd.DataFrame:
    """The published 2016 "all site data" row, typed like the canonical reader types it."""
    return pd.DataFrame(
        {
            "year": pd.array([2016], dtype="Int64"),
            "segment": pd.Series(["all"], dtype=object),
            "segment_label": pd.Series([label], dtype=object),
            "visits": pd.array([11846], dtype="Int64"),
            "visitors": pd.array([8639], dtype="Int64"),
            "pageviews": pd.array([32104], dtype="Int64"),
            "pages_per_visit": pd.array([2.71], dtype="Float64"),
            "avg_duration_s": pd.array([118.0], dtype="Float64"),
            "bounce_pct": pd.array([bounce], dtype="Float64"),
        }
    )


def countries(unknown: str = "(not set)") -> pd.DataFrame:
    names = [unknown if name == "(not set)" else name for name, _ in COUNTRIES]
    return pd.DataFrame(
        {
            "year": pd.array([2016] * len(COUNTRIES), dtype="Int64"),
            "country": pd.Series(names, dtype=object),
            "sessions": pd.array([n for _, n in COUNTRIES], dtype="Int64"),
        }
    )


@pytest.mark.parametrize(
    ("name", "source_format", "label", "bounce", "unknown"),
    [
        ("matomo_api_2016.csv", "matomo_api_csv", DEFAULT_LABEL, 61.14, None),
        ("matomo_api_2016.tsv", "matomo_api_tsv", DEFAULT_LABEL, 61.14, None),
        # The scheduled report prints the bounce rate rounded to a whole percent.
        ("matomo_report_2016.csv", "matomo_report_csv", DEFAULT_LABEL, 61.0, "Unknown"),
        ("ga_universal_2016.csv", "ga_universal_csv", GA_LABEL, 61.14, "(not set)"),
        ("ga_universal_2016_fr.csv", "ga_universal_csv", GA_LABEL, 61.14, None),
        ("ga4_2016.csv", "ga4_csv", DEFAULT_LABEL, 61.14, "(not set)"),
    ],
)
def test_each_format_gives_the_canonical_rows(name, source_format, label, bounce, unknown):
    result = read_audience(FIXTURES / name, 2016)
    assert isinstance(result, AudienceExport)
    assert result.source_format == source_format
    assert_frame_equal(result.tables["web_audience"], audience(label, bounce))
    if unknown is None:
        assert "web_countries" not in result.tables
    else:
        assert_frame_equal(result.tables["web_countries"], countries(unknown))


def test_universal_export_gives_back_the_published_2016_tables():
    """The GA fixture maps to exactly what data/raw/2016 holds for "all site data"."""
    result = read_audience(FIXTURES / "ga_universal_2016.csv", 2016)
    published, _ = read_table(RAW_2016 / "web_audience.csv", TABLES["web_audience"])
    published = published.drop(columns="_line")
    published = published[published["segment"] == "all"].reset_index(drop=True)
    assert_frame_equal(result.tables["web_audience"], published)
    published_countries, _ = read_table(RAW_2016 / "web_countries.csv", TABLES["web_countries"])
    assert_frame_equal(result.tables["web_countries"], published_countries.drop(columns="_line"))
    assert result.notes == []


def test_matomo_country_report_alone_gives_only_countries():
    result = read_audience(FIXTURES / "matomo_api_countries_2016.csv", 2016)
    assert list(result.tables) == ["web_countries"]
    assert_frame_equal(result.tables["web_countries"], countries("Unknown"))


def test_ga4_says_its_bounce_is_not_the_old_bounce_rate():
    notes = read_audience(FIXTURES / "ga4_2016.csv", 2016).notes
    assert GA4_BOUNCE_NOTE in notes
    assert "engagement rate" in GA4_BOUNCE_NOTE and "not comparable" in GA4_BOUNCE_NOTE
    assert any("engagement time" in n for n in notes)


def test_matomo_notes_say_what_was_computed():
    notes = read_audience(FIXTURES / "matomo_api_2016.csv", 2016).notes
    assert any("bounce_count / nb_visits" in n for n in notes)
    assert any("page views / visits" in n for n in notes)
    assert any("does not state its period" in n for n in notes)


def test_segment_label_and_filtered_segment_come_from_the_caller():
    result = read_audience(
        FIXTURES / "ga4_2016.csv", 2016, segment="filtered", segment_label="Sans spam"
    )
    row = result.tables["web_audience"].iloc[0]
    assert (row["segment"], row["segment_label"]) == ("filtered", "Sans spam")
    with pytest.raises(ValueError, match="segment"):
        read_audience(FIXTURES / "ga4_2016.csv", 2016, segment="spam")


@pytest.mark.parametrize(
    ("name", "line", "column", "message"),
    [
        ("bad_unknown_format.csv", 1, None, "unknown export format"),
        ("bad_missing_metric.csv", 12, "Bounce Rate", "missing metric bounce_pct"),
        ("bad_wrong_year.csv", 4, None, "2015-01-01 to 2015-12-31, not within 2016"),
        ("bad_non_numeric.csv", 13, "Bounce Rate", "'n/a': not a number"),
        ("bad_matomo_non_numeric.csv", 2, "nb_visits", "'11846 visits': not a number"),
    ],
)
def test_malformed_exports_name_file_line_and_column(name, line, column, message):
    path = FIXTURES / name
    with pytest.raises(DataError) as caught:
        read_audience(path, 2016)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (path, line, column)
    assert message in problem.message
    where = f"{path}:{line}:" + (f" column '{column}':" if column else "")
    assert str(caught.value).startswith(where)


@pytest.mark.parametrize(
    ("header", "wrong", "line"),
    [
        ("# Start date: 20160101", "# Start date: 20150101", 8),
        ("# End date: 20161231", "# End date: 20170131", 9),
    ],
)
def test_ga4_export_of_another_year_names_the_date_line(tmp_path, header, wrong, line):
    path = tmp_path / "ga4.csv"
    text = (FIXTURES / "ga4_2016.csv").read_text(encoding="utf-8")
    path.write_text(text.replace(header, wrong), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_audience(path, 2016)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (path, line, None)
    assert "not within 2016" in problem.message


def test_partial_year_is_accepted_with_a_note(tmp_path):
    path = tmp_path / "ga.csv"
    shutil.copy(FIXTURES / "ga_universal_2016.csv", path)
    text = path.read_text(encoding="utf-8").replace("20160101-20161231", "20160301-20161231")
    path.write_text(text, encoding="utf-8")
    notes = read_audience(path, 2016).notes
    assert notes == ["the export covers only 2016-03-01 to 2016-12-31"]
