"""The fiscal year of a year folder, as ``data/cooperative.yml`` declares it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import PROJECT

from cae_report.data.fiscal import FiscalYear, calendar_year, fiscal_year
from cae_report.errors import DataError


def settings(tmp_path: Path, text: str) -> Path:
    data = tmp_path / "data"
    data.mkdir(parents=True)
    own = (PROJECT / "data" / "cooperative.yml").read_text(encoding="utf-8")
    assert DEFAULT in own
    (data / "cooperative.yml").write_text(own.replace(DEFAULT, text), encoding="utf-8")
    return data


DEFAULT = 'fiscal_year:\n  start: "01-01"\n'


def test_without_the_key_the_fiscal_year_is_the_calendar_year(tmp_path):
    year = fiscal_year(2016, PROJECT / "data")
    assert year == calendar_year(2016) == FiscalYear(2016, date(2016, 1, 1), date(2016, 12, 31))
    assert year.calendar
    assert year.label == "Exercice du 1er janvier 2016 au 31 décembre 2016"
    assert fiscal_year(2016, tmp_path) == calendar_year(2016)  # no cooperative.yml


def test_a_fiscal_year_is_named_after_the_year_it_ends(tmp_path):
    data = settings(tmp_path, 'fiscal_year:\n  start: "09-01"\n')
    year = fiscal_year(2022, data)
    assert (year.start, year.end) == (date(2021, 9, 1), date(2022, 8, 31))
    assert year.label == "Exercice du 1er septembre 2021 au 31 août 2022"
    assert not year.calendar
    assert date(2021, 12, 31) in year and date(2022, 9, 1) not in year
    leap = fiscal_year(2024, settings(tmp_path / "b", 'fiscal_year:\n  start: "03-01"\n'))
    assert leap.end == date(2024, 2, 29)


def test_a_year_of_its_own_overrides_the_start(tmp_path):
    data = settings(
        tmp_path,
        'fiscal_year:\n  start: "09-01"\n  years:\n'
        "    2022: {start: 2021-01-01, end: 2022-08-31}\n",
    )
    assert fiscal_year(2022, data) == FiscalYear(2022, date(2021, 1, 1), date(2022, 8, 31))
    assert fiscal_year(2023, data).start == date(2022, 9, 1)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ('fiscal_year:\n  start: "9-1"\n', "fiscal_year.start", "month and day"),
        ('fiscal_year:\n  start: "02-29"\n', "fiscal_year.start", "not a day of every year"),
        ('fiscal_year:\n  start: "13-01"\n', "fiscal_year.start", "not a day of every year"),
        ("fiscal_year: 09-01\n", "fiscal_year", "expected 'start'"),
        (
            "fiscal_year:\n  years:\n    2022: {start: 2021-01-01, end: 2021-12-31}\n",
            "fiscal_year.years.2022",
            "must end in 2022",
        ),
        (
            "fiscal_year:\n  years:\n    2022: {start: 2019-01-01, end: 2022-08-31}\n",
            "fiscal_year.years.2022",
            "is not a fiscal year",
        ),
        ("fiscal_year:\n  years:\n    2022: 2021-09-01\n", "fiscal_year.years.2022", "expected"),
    ],
)
def test_a_declaration_that_cannot_be_used_names_the_key(tmp_path, text, column, message):
    data = settings(tmp_path, text)
    with pytest.raises(DataError) as info:
        fiscal_year(2022, data)
    [problem] = info.value.problems
    assert problem.file == data / "cooperative.yml" and problem.column == column
    assert message in problem.message
