"""The fiscal year (« exercice ») of a year folder, as the cooperative declares it.

Companies close their books when they choose: 31 December, but also 31 August, 30 June…
The year folder ``data/raw/<year>/`` is named after the year the fiscal year **ends**, and
``data/cooperative.yml`` says when it starts::

    fiscal_year:
      start: "09-01"            # month-day: 1 September of the year before to 31 August
      years:                    # a fiscal year that differs (the first one, a change)
        2022: {start: 2021-01-01, end: 2022-08-31}

Without the key the fiscal year is the calendar year. Every check of a dated export (the
FEC's entries, the period of an audience export) uses :func:`fiscal_year`, and the report
prints :attr:`FiscalYear.label` (« Exercice du 1er septembre 2021 au 31 août 2022 »).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cae_report.errors import DataError
from cae_report.fr import fmt_date

KEY = "fiscal_year"
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
# The Code de commerce lets a first fiscal year run longer than twelve months, never past two.
_MAX_DAYS = 2 * 366


@dataclass(frozen=True)
class FiscalYear:
    """The fiscal year of a year folder: ``year`` is the year it ends."""

    year: int
    start: dt.date
    end: dt.date

    @property
    def calendar(self) -> bool:
        return (self.start, self.end) == (dt.date(self.year, 1, 1), dt.date(self.year, 12, 31))

    @property
    def label(self) -> str:
        """« Exercice du 1er septembre 2021 au 31 août 2022 », for the report and its cover."""
        return f"Exercice du {fmt_date(self.start)} au {fmt_date(self.end)}"

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def describe(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def calendar_year(year: int) -> FiscalYear:
    return FiscalYear(year, dt.date(year, 1, 1), dt.date(year, 12, 31))


def fiscal_year(year: int, data_dir: Path | None = None) -> FiscalYear:
    """The fiscal year ending in ``year``, from ``data/cooperative.yml`` (``fiscal_year``).

    A DataError names the file and the key when the declaration cannot be used.
    """
    if data_dir is None or not (data_dir / "cooperative.yml").is_file():
        return calendar_year(year)
    from cae_report.data.cooperative import load

    settings = load(data_dir).get(KEY)
    file = data_dir / "cooperative.yml"
    if settings is None:
        return calendar_year(year)
    if not isinstance(settings, dict):
        raise DataError.one(file, "expected 'start' (and optionally 'years') under it", column=KEY)
    override = (settings.get("years") or {}).get(year)
    if override is not None:
        return _override(file, year, override)
    return _from_start(file, year, settings.get("start", "01-01"))


def _from_start(file: Path, year: int, start: object) -> FiscalYear:
    match = _MONTH_DAY.fullmatch(str(start).strip())
    where = f"{KEY}.start"
    if match is None:
        raise DataError.one(
            file,
            f'{start!r}: expected the month and day the fiscal year starts, e.g. "09-01"',
            column=where,
        )
    month, day = int(match[1]), int(match[2])
    try:
        dt.date(2001, month, day)  # a year with no 29 February: a start must exist every year
    except ValueError:
        raise DataError.one(file, f"{start!r} is not a day of every year", column=where) from None
    if (month, day) == (1, 1):
        return calendar_year(year)
    return FiscalYear(
        year, dt.date(year - 1, month, day), dt.date(year, month, day) - dt.timedelta(1)
    )


def _override(file: Path, year: int, value: object) -> FiscalYear:
    where = f"{KEY}.years.{year}"
    try:
        start, end = (_date(value[k]) for k in ("start", "end"))  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        raise DataError.one(
            file, "expected {start: YYYY-MM-DD, end: YYYY-MM-DD}", column=where
        ) from None
    if end.year != year:
        raise DataError.one(
            file,
            f"the fiscal year of folder {year} must end in {year} (the folder is named after the "
            f"year the fiscal year ends), not on {end.isoformat()}",
            column=where,
        )
    if not start < end or (end - start).days > _MAX_DAYS:
        raise DataError.one(
            file, f"{start.isoformat()}..{end.isoformat()} is not a fiscal year", column=where
        )
    return FiscalYear(year, start, end)


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())
