"""Collective training sessions offered to the entrepreneurs.

Totals are recomputed from the session table: the 2016 text announces figures
(216 hours, 52 entrepreneurs) that its own table does not add up to. ``hours``
are attendee-hours as published (attendees × duration), and ``attendance`` counts
attendances, not distinct people: one entrepreneur at two sessions counts twice.
"""

from __future__ import annotations

import pandas as pd

SUMMARY_COLUMNS = ["sessions", "hours", "attendance"]


def _empty(key: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            key: pd.Series(dtype="str"),
            "sessions": pd.Series(dtype="int64"),
            "hours": pd.Series(dtype="float64"),
            "attendance": pd.Series(dtype="int64"),
        }
    )


def _by(training: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Sessions, hours and attendance per value of ``key``, busiest first."""
    if training is None or training.empty:
        return _empty(key)
    frame = training.assign(
        hours=pd.to_numeric(training["hours"]).astype("float64"),
        attendees=pd.to_numeric(training["attendees"]).astype("int64"),
    )
    out = (
        frame.groupby(key, sort=False)
        .agg(sessions=("hours", "size"), hours=("hours", "sum"), attendance=("attendees", "sum"))
        .reset_index()
    )
    out = out.sort_values(["hours", "sessions", key], ascending=[False, False, True])
    out = out.astype({key: "str", "sessions": "int64", "hours": "float64", "attendance": "int64"})
    return out.reset_index(drop=True)


def by_type(training: pd.DataFrame | None) -> pd.DataFrame:
    """Columns type, sessions, hours, attendance; ordered by hours then sessions."""
    return _by(training, "type")


def by_place(training: pd.DataFrame | None) -> pd.DataFrame:
    """Columns place, sessions, hours, attendance: shows how the offer spreads over the area."""
    return _by(training, "place")


def totals(training: pd.DataFrame | None) -> dict[str, int | float | None]:
    """Number of sessions, attendee-hours and attendances; None values when no table."""
    if training is None:
        return dict.fromkeys(SUMMARY_COLUMNS)
    hours = float(pd.to_numeric(training["hours"]).astype("float64").sum())
    return {
        "sessions": len(training),
        "hours": hours,
        "attendance": int(pd.to_numeric(training["attendees"]).astype("int64").sum()),
    }
