"""The data contract, declared once: every raw table, its columns, types, checks and key.

``data/README.md`` documents the same contract for people; ``tests/test_contract.py``
checks that the two agree. Types are parsed by :mod:`cae_report.data.read` (so errors can
name the line); value checks run through pandera schemas built from these specs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa


# Column kinds understood by the reader.
INT, FLOAT, STR, DATE, YEAR_MONTH, MONTH, POSTCODE = (
    "int",
    "float",
    "str",
    "date",
    "year_month",
    "month",
    "postcode",
)


@dataclass(frozen=True)
class Col:
    name: str
    kind: str = STR
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # cells may be empty
    ge: float | None = None  # minimum value (counts, amounts that cannot be negative)
    isin: tuple[str, ...] | None = None
    pattern: str | None = None  # a regular expression the whole text must match


@dataclass(frozen=True)
class RowCheck:
    """A check across the columns of a table: ``test(frame)`` is true on each valid row.
    Kept as a plain function, turned into a pandera check only when the table is validated:
    reading a prepared year (a kernel unpickling it) does not import pandera."""

    test: Callable[[pd.DataFrame], pd.Series]
    error: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    description: str
    # Column whose values must all belong to the year of the folder (an int year,
    # or a date whose year is read).
    year_column: str | None = "year"
    checks: tuple[RowCheck, ...] = field(default_factory=tuple)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


KEY_FIGURES = (
    "headcount_start",
    "headcount_end",
    "entries",
    "exits",
    "accompanied",
    "movements",
    "movement_rate_stated",
    "forecast_headcount_end",
    "forecast_entries",
    "forecast_exits",
    "forecast_accompanied",
    "forecast_managed",
    "contracts_cdi",
    "contracts_support",
    "entrepreneurs_revenue",
    "entrepreneurs_revenue_growth_pct",
    "vat_paid_back",
    "social_contributions",
    "ratio_subsidies",
    "ratio_receipts",
    "subsidy_leverage",
    "mutualisation_contributors",
    "contributors_2000_4000",
    "subsidy_region_received",
    "own_resources_variance_pct",
    "subsidies_share_pct",
    "cice_share_pct",
    "personnel_share_pct",
    "personnel_variance_pct",
    "training_sessions",
    "training_hours",
    "training_attendance",
    "training_requests",
    "training_requests_funded",
    "training_funded_amount",
    "members",
    "members_employees",
    "members_external",
    "members_previous",
    "members_target",
    "members_target_year",
    "research_actions",
    "book_pages",
    "membership_deadline_years",
    "contribution_band_low",
    "contribution_band_high",
    "new_entrepreneurs_established",
    "big_contributor_exits",
    "web_visits_share_pct",
    "web_visitors_share_pct",
    "web_pageviews_share_pct",
    "web_pages_per_visit_diff_pct",
    "web_duration_diff_pct",
    "web_bounce_diff_pct",
)

ANOMALY_COLUMNS = ["table", "key", "field", "published", "corrected", "rule", "action", "message"]
"""Columns of ``anomalies.csv``: one finding of the cleaning rules or of an export check."""

SIDES = ("charges", "products")
GROUPS = ("60", "61", "62", "64", "own_resources", "subsidies", "other_income", "non_operating")
ROW_TYPES = ("line", "subtotal", "total", "operating_surplus", "result", "grand_total")
STATUSES = ("Entrepreneur salarié", "En convention", "CDD", "Sortie")

_year = Col("year", INT, ge=1990)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "sources",
            (
                Col("file"),
                Col("source"),
                Col("coverage", isin=("complete", "partial")),
                Col("note", required=False, nullable=True),
            ),
            key=("file",),
            description="what the year folder holds and where each file comes from",
            year_column=None,
        ),
        Table(
            "movements",
            (
                _year,
                Col("month", MONTH),
                Col("entries", INT, ge=0),
                Col("exits", INT, ge=0),
                Col("headcount_end", INT, ge=0),
            ),
            key=("year", "month"),
            description="monthly entries, exits and month-end headcount of entrepreneurs",
        ),
        Table(
            "key_figures",
            (
                _year,
                Col("indicator", isin=KEY_FIGURES),
                Col("value", FLOAT),
                Col("unit", isin=("count", "eur", "pct", "ratio", "hours", "year")),
                Col("source"),
            ),
            key=("year", "indicator"),
            description="figures stated in the text of the report",
        ),
        Table(
            "income_statement",
            (
                _year,
                Col("order", INT, ge=0),
                Col("side", isin=SIDES),
                Col("group", nullable=True, isin=GROUPS),
                Col("row_type", isin=ROW_TYPES),
                Col("label"),
                Col("actual", FLOAT, nullable=True),
                Col("budget", FLOAT, nullable=True),
                Col("published_variance_pct", FLOAT, required=False, nullable=True),
                Col("note", required=False, nullable=True),
            ),
            key=("year", "side", "label"),
            description="income statement: actual and budget by line, as published",
        ),
        Table(
            "training",
            (
                Col("date", DATE),
                Col("type"),
                Col("summary"),
                Col("place"),
                Col("attendees", INT, ge=0),
                Col("hours", FLOAT, ge=0),
            ),
            key=("date", "summary", "place"),
            description="collective training sessions",
            year_column="date",
        ),
        Table(
            "web_audience",
            (
                _year,
                Col("segment", isin=("filtered", "all")),
                Col("segment_label"),
                Col("visits", INT, ge=0),
                Col("visitors", INT, ge=0),
                Col("pageviews", INT, ge=0),
                Col("pages_per_visit", FLOAT, ge=0),
                Col("avg_duration_s", FLOAT, ge=0),
                Col("bounce_pct", FLOAT, ge=0),
            ),
            key=("year", "segment"),
            description="website audience summary, spam-filtered segment and all sessions",
        ),
        Table(
            "web_targets",
            (
                _year,
                Col("metric", isin=("pages_per_visit", "avg_duration_s", "bounce_pct")),
                Col("direction", isin=("min", "max")),
                Col("target", FLOAT, ge=0),
                Col("label"),
            ),
            key=("year", "metric"),
            description="the audience targets the report sets",
        ),
        Table(
            "web_countries",
            (_year, Col("country"), Col("sessions", INT, ge=0)),
            key=("year", "country"),
            description="website sessions by country (top rows as published)",
        ),
        Table(
            "web_visits",
            (_year, Col("visits", INT, ge=0), Col("precision", isin=("exact", "rounded"))),
            key=("year",),
            description="website visits of the year (as stated, possibly rounded)",
        ),
        Table(
            "entrepreneurs",
            (
                Col("as_of", DATE),
                Col("surname"),
                Col("first_name"),
                Col("address", required=False, nullable=True),
                Col("postcode", POSTCODE),
                Col("town"),
                Col("activity"),
                Col("status", isin=STATUSES),
            ),
            key=("surname", "first_name"),
            description="list of entrepreneurs at year end",
            year_column="as_of",
        ),
        Table(
            "team",
            (
                _year,
                Col("name"),
                Col("role"),
                Col("fte_pct", FLOAT, nullable=True, ge=0),
                Col("hours_per_month", FLOAT, nullable=True, ge=0),
                Col("arrival", YEAR_MONTH, nullable=True),
                Col("departure", YEAR_MONTH, nullable=True),
                Col("note", required=False, nullable=True),
            ),
            key=("year", "name"),
            description="the support team: role, share of a full-time post, moves",
        ),
        Table(
            "events",
            (
                _year,
                Col("id", pattern=r"[a-z0-9_]+"),
                Col("date", DATE, nullable=True),
                Col("month", YEAR_MONTH, nullable=True),
                Col("event"),
                Col("place", nullable=True),
                Col("edition", INT, nullable=True, ge=1),
                Col("source"),
            ),
            key=("year", "id"),
            description="events the report of the year cites: day or month, edition",
            checks=(
                RowCheck(
                    lambda df: ~(df["date"].notna() & df["month"].notna()),
                    error="give the day (date) or the month (month), not both",
                ),
            ),
        ),
        Table(
            "members",
            (
                _year,
                Col("name"),
                Col("movement", isin=("entry", "exit")),
                Col("month", YEAR_MONTH),
                Col("category", isin=("employee", "external")),
                Col("source"),
            ),
            key=("year", "name", "movement"),
            description="entries and exits of associés (sociétariat) during the year",
        ),
    )
}

# Files a complete year must have; a partial year has what its sources.csv lists.
REQUIRED_COMPLETE = (
    "movements",
    "key_figures",
    "income_statement",
    "training",
    "web_audience",
    "web_targets",
    "web_countries",
    "web_visits",
    "entrepreneurs",
)


def pandera_schema(table: Table) -> pa.DataFrameSchema:
    """The value checks of a table as a pandera schema (types are parsed before)."""
    import pandera.pandas as pa

    columns = {}
    for c in table.columns:
        checks = []
        if c.ge is not None:
            checks.append(pa.Check.ge(c.ge, error=f"must be ≥ {c.ge:g}"))
        if c.isin is not None:
            checks.append(pa.Check.isin(list(c.isin), error=f"must be one of {list(c.isin)}"))
        if c.pattern is not None:
            checks.append(
                pa.Check.str_matches(f"^(?:{c.pattern})$", error=f"must match {c.pattern}")
            )
        columns[c.name] = pa.Column(checks=checks, nullable=c.nullable, required=c.required)
    rows = [pa.Check(c.test, error=c.error) for c in table.checks]
    return pa.DataFrameSchema(columns, checks=rows, strict=False)
