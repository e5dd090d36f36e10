"""The figures a report's text states (the ``key_figures`` table), read in one place."""

from __future__ import annotations

import pandas as pd


def missing(value: object) -> bool:
    """None, NaN and pandas' NA alike: a figure the year does not have."""
    return value is None or bool(pd.isna(value))


def stated(key_figures: pd.DataFrame | None, indicator: str) -> float | None:
    """The value the report's text states for ``indicator``, or None when not stated."""
    if key_figures is None or key_figures.empty:
        return None
    hit = key_figures.loc[key_figures["indicator"] == indicator, "value"].dropna()
    return None if hit.empty else float(hit.iloc[0])
