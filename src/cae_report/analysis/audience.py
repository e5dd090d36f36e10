"""Audience of the cooperative's website (Google Analytics figures of the report).

The report quotes two segments: "filtered" (a view with referral spam removed,
the figures the report comments on) and "all" (every hit). The filtered segment
is the reference; the unfiltered one only serves to show what the filter removed.
"""

from __future__ import annotations

import math

import pandas as pd

TARGET_COLUMNS = ["metric", "value", "target", "direction", "met", "gap", "gap_pct"]
COUNTRY_COLUMNS = ["country", "sessions", "share_pct", "is_france"]
SPAM_COLUMNS = ["metric", "filtered", "all", "kept_pct"]
SPAM_METRICS = ("visits", "visitors", "pageviews")

FRANCE = "France"
# Google Analytics lists overseas France under its own names (in English); they are France
# all the same, so a "France vs abroad" split must count them as France.
FRENCH_OVERSEAS = frozenset(
    {
        "Guadeloupe",
        "Martinique",
        "French Guiana",
        "Réunion",
        "Mayotte",
        "St. Pierre & Miquelon",
        "St. Barthélemy",
        "St. Martin",
        "Wallis & Futuna",
        "French Polynesia",
        "New Caledonia",
    }
)
UNLISTED_COUNTRIES = "Autres pays non détaillés"


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _pct(numerator: float, denominator: float) -> float:
    if _missing(numerator) or _missing(denominator) or denominator == 0:
        return math.nan
    return float(numerator) / float(denominator) * 100


def _segment(web_audience: pd.DataFrame | None, segment: str) -> pd.Series | None:
    """The single row of one segment, or None when the year does not have it."""
    if web_audience is None or web_audience.empty:
        return None
    rows = web_audience[web_audience["segment"] == segment]
    return None if rows.empty else rows.iloc[0]


def _met(value: float, target: float, direction: str) -> bool:
    """'min': the value must exceed the target; 'max': it must stay below (both strict)."""
    if direction == "min":
        return value > target
    if direction == "max":
        return value < target
    raise ValueError(f"unknown target direction {direction!r} (expected 'min' or 'max')")


def against_targets(
    web_audience: pd.DataFrame | None,
    web_targets: pd.DataFrame | None,
    segment: str = "filtered",
) -> pd.DataFrame:
    """Each quality metric (pages per visit, duration, bounce) against its published target.

    A metric without a value or a target is dropped: no verdict without data.
    ``gap`` is value − target in the metric's unit; ``gap_pct`` is relative to the target.
    """
    row = _segment(web_audience, segment)
    records = []
    if row is not None and web_targets is not None:
        for target_row in web_targets.itertuples(index=False):
            metric = target_row.metric
            value = row.get(metric)
            target = target_row.target
            if _missing(value) or _missing(target):
                continue
            value, target = float(value), float(target)
            records.append(
                {
                    "metric": metric,
                    "value": value,
                    "target": target,
                    "direction": target_row.direction,
                    "met": _met(value, target, target_row.direction),
                    "gap": value - target,
                    "gap_pct": _pct(value - target, target),
                }
            )
    out = pd.DataFrame(records, columns=TARGET_COLUMNS)
    return out.astype(
        {
            "metric": "str",
            "value": "float64",
            "target": "float64",
            "direction": "str",
            "met": "bool",
            "gap": "float64",
            "gap_pct": "float64",
        }
    )


def year_visits(tables: dict[str, pd.DataFrame]) -> tuple[int | None, str | None]:
    """Visits of one year and their precision ('exact' or 'rounded').

    The exact count of the year's main segment (:func:`main_segment`) is preferred over
    the rounded figure quoted in the text; (None, None) when the year has neither.
    """
    web = tables.get("web_audience")
    row = None if web is None or web.empty else _segment(web, main_segment(web))
    if row is not None and not _missing(row.get("visits")):
        return int(row["visits"]), "exact"
    visits = tables.get("web_visits")
    if visits is None or visits.empty or _missing(visits["visits"].iloc[0]):
        return None, None
    precision = visits["precision"].iloc[0] if "precision" in visits.columns else None
    return int(visits["visits"].iloc[0]), None if _missing(precision) else str(precision)


def yearly(visits_by_year: pd.DataFrame) -> pd.DataFrame:
    """Visits per year with growth in percent against the previous year that has data.

    Growth between a rounded and an exact figure is approximate; the ``precision``
    column is kept so the text can say so.
    """
    out = visits_by_year[["year", "visits", "precision"]].dropna(subset=["visits"])
    out = out.sort_values("year").reset_index(drop=True)
    visits = pd.to_numeric(out["visits"]).astype("float64")
    growth = (visits / visits.shift(1) - 1) * 100
    out = out.astype({"year": "int64", "visits": "int64"})
    return out.assign(growth_pct=growth.astype("float64"))


def countries(
    web_countries: pd.DataFrame | None, total_sessions: int | None = None
) -> pd.DataFrame:
    """Sessions by country, in published order, flagging France (overseas included).

    The published list stops at 10 rows; when the year's total is given the
    remainder becomes an "Autres pays non détaillés" row, so shares add up to
    100 % of all sessions rather than of the listed ones. If the total is smaller
    than the listed sessions (inconsistent data) shares fall back on the listed sum.
    "(not set)" (origin unknown to the tracker) is kept as published, not France.
    """
    if web_countries is None or web_countries.empty:
        listed = pd.DataFrame({"country": pd.Series(dtype="str"), "sessions": []})
    else:
        listed = web_countries[["country", "sessions"]]
    listed = listed.astype({"country": "str", "sessions": "int64"}).reset_index(drop=True)
    listed_total = int(listed["sessions"].sum())
    if total_sessions is not None and not _missing(total_sessions):
        remainder = int(total_sessions) - listed_total
        if remainder > 0:
            extra = pd.DataFrame({"country": [UNLISTED_COUNTRIES], "sessions": [remainder]})
            listed = pd.concat([listed, extra.astype(listed.dtypes)], ignore_index=True)
        base = max(int(total_sessions), listed_total)
    else:
        base = listed_total
    share = [_pct(s, base) for s in listed["sessions"]]
    return listed.assign(
        share_pct=pd.Series(share, dtype="float64"),
        is_france=listed["country"].isin(FRENCH_OVERSEAS | {FRANCE}).astype("bool"),
    )[COUNTRY_COLUMNS]


def spam_filter(web_audience: pd.DataFrame | None) -> pd.DataFrame:
    """What the spam filter kept: filtered against all hits, in percent kept."""
    filtered = _segment(web_audience, "filtered")
    unfiltered = _segment(web_audience, "all")
    records = []
    if filtered is not None and unfiltered is not None:
        for metric in SPAM_METRICS:
            kept, everything = filtered.get(metric), unfiltered.get(metric)
            records.append(
                {
                    "metric": metric,
                    "filtered": math.nan if _missing(kept) else float(kept),
                    "all": math.nan if _missing(everything) else float(everything),
                    "kept_pct": _pct(kept, everything),
                }
            )
    out = pd.DataFrame(records, columns=SPAM_COLUMNS)
    return out.astype(
        {"metric": "str", "filtered": "float64", "all": "float64", "kept_pct": "float64"}
    )


def main_segment(web_audience: pd.DataFrame) -> str:
    """The segment the report's figures describe: the spam-filtered one when the year has
    it (as the published report), else all sessions (an export of the whole view)."""
    return "filtered" if (web_audience["segment"] == "filtered").any() else "all"
