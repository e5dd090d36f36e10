"""Website-audience exports (Matomo, Universal Analytics, GA4) read as canonical tables.

The fixtures carry the 2016 published figures in each tool's own layout, as people download
them (tests/fixtures/audience/make_fixtures.py says which real layouts they follow), so each
reader must give back the row the report published, or say, in French, why not.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.data.contract import TABLES
from cae_report.data.exports.audience import (
    GA4_BOUNCE_NOTE,
    AudienceExport,
    country_name,
    read_audience,
)
from cae_report.data.fiscal import FiscalYear
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
PUBLISHED = (11846, 8639, 32104, 2.71, 118.0, 61.14)
# Matomo's VisitsSummary has no page views: its « actions » stand for them (said in a note).
WITH_ACTIONS = (11846, 8639, 33410, 2.82, 118.0, 61.14)
FISCAL_2016 = FiscalYear(2016, date(2015, 9, 1), date(2016, 8, 31))


def audience(label: str, values=PUBLISHED) -> pd.DataFrame:
    """One canonical ``web_audience`` row, typed like the canonical reader types it."""
    visits, visitors, pageviews, pages, duration, bounce = values
    return pd.DataFrame(
        {
            "year": pd.array([2016], dtype="Int64"),
            "segment": pd.Series(["all"], dtype=object),
            "segment_label": pd.Series([label], dtype=object),
            "visits": pd.array([visits], dtype="Int64"),
            "visitors": pd.array([visitors], dtype="Int64"),
            "pageviews": pd.array([pageviews], dtype="Int64"),
            "pages_per_visit": pd.array([pages], dtype="Float64"),
            "avg_duration_s": pd.array([duration], dtype="Float64"),
            "bounce_pct": pd.array([bounce], dtype="Float64"),
        }
    )


def countries(unknown: str = "(not set)", scale: float = 1.0) -> pd.DataFrame:
    names = [unknown if name == "(not set)" else name for name, _ in COUNTRIES]
    return pd.DataFrame(
        {
            "year": pd.array([2016] * len(COUNTRIES), dtype="Int64"),
            "country": pd.Series(names, dtype=object),
            "sessions": pd.array([round(n * scale) for _, n in COUNTRIES], dtype="Int64"),
        }
    )


@pytest.mark.parametrize(
    ("name", "source_format", "label", "values", "unknown"),
    [
        ("matomo_api_2016.csv", "matomo_export_csv", DEFAULT_LABEL, PUBLISHED, None),
        ("matomo_api_2016.tsv", "matomo_export_tsv", DEFAULT_LABEL, WITH_ACTIONS, None),
        ("matomo_export_api_get_en_2016.csv", "matomo_export_csv", DEFAULT_LABEL, PUBLISHED, None),
        # The scheduled report prints the bounce rate rounded to a whole percent.
        (
            "matomo_report_2016.csv",
            "matomo_report_csv",
            DEFAULT_LABEL,
            PUBLISHED[:5] + (61.0,),
            "Unknown",
        ),
        (
            "matomo_report_2016.tsv",
            "matomo_report_tsv",
            DEFAULT_LABEL,
            PUBLISHED[:5] + (61.0,),
            "Unknown",
        ),
        ("ga_universal_2016.csv", "ga_universal_csv", GA_LABEL, PUBLISHED, "(not set)"),
        ("ga_universal_2016_fr.csv", "ga_universal_csv", GA_LABEL, PUBLISHED, None),
        ("ga_universal_overview_2016_fr.csv", "ga_universal_csv", GA_LABEL, PUBLISHED, None),
        ("ga4_2016.csv", "ga4_csv", DEFAULT_LABEL, PUBLISHED, "(not set)"),
    ],
)
def test_each_format_gives_the_canonical_rows(name, source_format, label, values, unknown):
    result = read_audience(FIXTURES / name, 2016)
    assert isinstance(result, AudienceExport)
    assert result.source_format == source_format
    assert_frame_equal(result.tables["web_audience"], audience(label, values))
    if unknown is None:
        assert "web_countries" not in result.tables
    else:
        assert_frame_equal(result.tables["web_countries"], countries(unknown))


@pytest.mark.parametrize("language", ["en", "fr", "de", "es", "it"])
def test_matomo_export_button_in_each_language(language):
    """Column names from Matomo's lang/<language>.json, numbers in the language's format
    (« 61,14 % », « 1 Min. 58s »): the same figures in every language."""
    result = read_audience(FIXTURES / f"matomo_export_{language}_2016.csv", 2016)
    assert_frame_equal(result.tables["web_audience"], audience(DEFAULT_LABEL, WITH_ACTIONS))
    assert result.encoding == "utf-16"
    assert any("« actions » de Matomo" in n and "surestiment" in n for n in result.notes)


def test_matomo_metadata_columns_are_ignored_and_codes_name_the_countries():
    result = read_audience(FIXTURES / "matomo_api_countries_2016.csv", 2016)
    assert list(result.tables) == ["web_countries"]  # code and logo columns: not read
    assert_frame_equal(result.tables["web_countries"], countries("Unknown"))


def test_matomo_countries_in_french_are_named_as_the_reference_names_them():
    result = read_audience(FIXTURES / "matomo_export_countries_fr_2016.csv", 2016)
    assert_frame_equal(result.tables["web_countries"], countries("Inconnu"))


@pytest.mark.parametrize(
    ("name", "periods", "visitors"),
    [("matomo_months_2016.tsv", 12, 11018), ("matomo_days_fr_2016.csv", 366, 11015)],
)
def test_one_row_per_period_is_summed_with_rates_from_the_totals(name, periods, visitors):
    """Visits, page views, bounces and time are summed, the rates recomputed from the sums;
    unique visitors can only be summed, and the note says they are then overstated."""
    result = read_audience(FIXTURES / name, 2016)
    row = result.tables["web_audience"].iloc[0]
    assert (row["visits"], row["avg_duration_s"], row["bounce_pct"]) == (11846, 118.0, 61.14)
    assert row["visitors"] == visitors > 8639
    assert any(f"somme des visiteurs uniques des {periods} périodes" in n for n in result.notes)
    assert not any("ne couvre que" in n for n in result.notes)


def test_periods_of_a_fiscal_year_not_calendar():
    result = read_audience(FIXTURES / "matomo_months_fiscal_fr.csv", 2016, fiscal=FISCAL_2016)
    row = result.tables["web_audience"].iloc[0]
    assert (row["visits"], row["pageviews"], row["pages_per_visit"]) == (11846, 32104, 2.71)
    # The same months against the calendar year: the months of 2015 are left out, said.
    partial = read_audience(FIXTURES / "matomo_months_fiscal_fr.csv", 2016)
    assert partial.tables["web_audience"].iloc[0]["visits"] < 11846
    assert any("4 période(s) du fichier hors de l'exercice" in n for n in partial.notes)
    assert any("ne couvre que la période du 1er janvier 2016 au 31 août 2016" in n
               for n in partial.notes)  # fmt: skip


def test_universal_overview_gives_the_visits_and_says_what_it_lacks():
    result = read_audience(FIXTURES / "ga_universal_overview_2016.csv", 2016)
    row = result.tables["web_audience"].iloc[0]
    assert row["visits"] == 11846
    assert row[["visitors", "pageviews", "avg_duration_s", "bounce_pct"]].isna().all()
    assert any("« Day Index »" in n for n in result.notes)
    assert (
        "le fichier ne donne pas : visiteurs, pages vues, pages par visite, durée moyenne des "
        "visites, taux de rebond"
    ) in result.notes


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


def test_ga4_reports_snapshot_and_country_report():
    """The snapshot's cards hold no totals of the year: only its countries (ISO codes) are
    read, as active users (said); the country report gives the same by name."""
    for name in ("ga4_snapshot_2016.csv", "ga4_countries_2016.csv"):
        result = read_audience(FIXTURES / name, 2016)
        assert list(result.tables) == ["web_countries"]
        assert_frame_equal(result.tables["web_countries"], countries(scale=0.73))
        assert any("utilisateurs actifs, non des sessions" in n for n in result.notes)


def test_ga4_says_its_bounce_and_duration_are_not_the_old_ones():
    notes = read_audience(FIXTURES / "ga4_2016.csv", 2016).notes
    assert GA4_BOUNCE_NOTE in notes
    assert "taux d'engagement" in GA4_BOUNCE_NOTE and "pas comparable" in GA4_BOUNCE_NOTE
    assert any("temps d'engagement de GA4" in n for n in notes)


def test_notes_are_in_french():
    notes = []
    for name in ("matomo_api_2016.csv", "matomo_days_fr_2016.csv", "ga4_2016.csv"):
        notes += read_audience(FIXTURES / name, 2016).notes
    assert any("n'indique pas sa période" in n for n in notes)
    english = ("the file", "computed", "bounce rate", "page views", "visits")
    assert not any(word in n for n in notes for word in english), notes


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("États-Unis", None, "United States"),
        ("Vereinigte Staaten", None, "United States"),
        ("Stati Uniti", None, "United States"),
        ("Francia", None, "France"),
        ("Allemagne", None, "Germany"),
        ("", "fr", "France"),
        ("FR", None, "France"),
        ("(not set)", None, "(not set)"),
        ("Unknown", "xx", "Unknown"),
    ],
)
def test_country_names_and_codes(name, code, expected):
    assert country_name(name, code) == expected


def test_segment_label_and_filtered_segment_come_from_the_caller():
    result = read_audience(
        FIXTURES / "ga4_2016.csv", 2016, segment="filtered", segment_label="Sans spam"
    )
    row = result.tables["web_audience"].iloc[0]
    assert (row["segment"], row["segment_label"]) == ("filtered", "Sans spam")
    with pytest.raises(ValueError, match="segment"):
        read_audience(FIXTURES / "ga4_2016.csv", 2016, segment="spam")


# One malformed variant per format, each with its located message.
@pytest.mark.parametrize(
    ("name", "line", "column", "message"),
    [
        ("bad_unknown_format.csv", 1, None, "unknown export format"),
        ("bad_matomo_non_numeric.csv", 2, "nb_visits", "'11846 visits': not a number"),
        (
            "bad_matomo_week_across_years.csv",
            2,
            "date",
            "the period 2015-12-28..2016-01-03 crosses the start of the fiscal year",
        ),
        ("bad_matomo_report_empty.csv", 1, None, "no Visits Summary nor Country report"),
        ("bad_wrong_year.csv", 4, None, "2015-01-01 to 2015-12-31, not within the fiscal year"),
        ("bad_non_numeric.csv", 377, "Bounce Rate", "'n/a': not a number"),
        ("bad_ga4_rate.csv", 11, "Engagement rate", "'38.86': not a rate between 0 and 1"),
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
    assert "not within the fiscal year 2016-01-01..2016-12-31" in problem.message


def test_partial_year_is_accepted_with_a_note(tmp_path):
    path = tmp_path / "ga.csv"
    shutil.copy(FIXTURES / "ga_universal_2016.csv", path)
    text = path.read_text(encoding="utf-8").replace("20160101-20161231", "20160301-20161231")
    path.write_text(text, encoding="utf-8")
    notes = read_audience(path, 2016).notes
    assert notes == ["l'export ne couvre que la période du 1er mars 2016 au 31 décembre 2016"]
