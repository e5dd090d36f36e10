"""Entries, exits and headcount of the entrepreneurs over the year.

The published report gives the movements month by month and restates a few
totals in its text (start and end headcount, entries, exits, people supported).
These functions recompute every total from the monthly table so the report can
never contradict its own table; the text's key figures are used only where the
table cannot say (the headcount on 1 January, forecasts, partial years).
"""

from __future__ import annotations

import math

import pandas as pd

from cae_report.data.keyfigures import missing as _missing
from cae_report.data.keyfigures import stated as _key_figure

MONTHLY_COLUMNS = ["month", "entries", "exits", "headcount_end"]
FORECAST_COLUMNS = ["indicator", "actual", "forecast", "gap", "gap_pct"]
PEAK_COLUMNS = ["month", "entries", "exits", "turnover"]

# Indicators compared with the plan, in the order the report lists them.
FORECAST_INDICATORS = ("entries", "exits", "headcount_end", "accompanied")
SUMMARY_KEYS = (
    "headcount_start",
    "headcount_end",
    "entries",
    "exits",
    "accompanied",
    "movements",
    "movement_rate_pct",
    "net_change",
)


def _as_int(value: float | None) -> int | None:
    """Counts are whole people: report them as ints, keep None for 'not known'."""
    return None if _missing(value) else int(round(float(value)))


def monthly(movements: pd.DataFrame | None) -> pd.DataFrame:
    """Month, entries, exits and month-end headcount, one row per month in calendar order.

    Sorting here means charts and tables never depend on the row order of the CSV.
    """
    if movements is None or movements.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in MONTHLY_COLUMNS})
    out = movements[MONTHLY_COLUMNS].sort_values("month").reset_index(drop=True)
    # Nullable Int64 from the loader would leak pd.NA into arithmetic; counts are complete.
    return out.astype({c: "int64" for c in MONTHLY_COLUMNS})


def summary(movements: pd.DataFrame | None, key_figures: pd.DataFrame | None) -> dict:
    """Yearly totals of the movements, computed from the monthly table.

    headcount_start is the one figure the monthly table cannot give directly: the
    text's key figure is preferred, else it is derived from January
    (end of January − entries + exits). When the monthly table is absent (partial
    years) each total falls back to the key figure of the same name; anything still
    unknown is None, never estimated. ``net_change`` is headcount_end − headcount_start
    (the observed change, which equals entries − exits when the table is consistent).
    """
    table = monthly(movements)
    result: dict = dict.fromkeys(SUMMARY_KEYS)
    start = _key_figure(key_figures, "headcount_start")
    if table.empty:
        end = _key_figure(key_figures, "headcount_end")
        entries = _key_figure(key_figures, "entries")
        exits = _key_figure(key_figures, "exits")
    else:
        first = table.iloc[0]
        if start is None and first["month"] == 1:
            start = float(first["headcount_end"] - first["entries"] + first["exits"])
        december = table.loc[table["month"] == 12, "headcount_end"]
        end = float(december.iloc[0]) if not december.empty else None
        if end is None:
            end = _key_figure(key_figures, "headcount_end")
        entries = float(table["entries"].sum())
        exits = float(table["exits"].sum())
    result.update(
        headcount_start=_as_int(start),
        headcount_end=_as_int(end),
        entries=_as_int(entries),
        exits=_as_int(exits),
    )
    if start is not None and entries is not None:
        result["accompanied"] = _as_int(start + entries)
    else:
        result["accompanied"] = _as_int(_key_figure(key_figures, "accompanied"))
    if entries is not None and exits is not None:
        result["movements"] = _as_int(entries + exits)
    else:
        result["movements"] = _as_int(_key_figure(key_figures, "movements"))
    if result["movements"] is not None and start:
        result["movement_rate_pct"] = result["movements"] / start * 100
    if start is not None and end is not None:
        result["net_change"] = _as_int(end - start)
    return result


def _gap_pct(gap: float, reference: float) -> float:
    """Relative gap in percent; undefined (NaN) when the reference is zero."""
    if _missing(gap) or _missing(reference) or reference == 0:
        return math.nan
    return gap / reference * 100


def against_forecast(summary: dict, key_figures: pd.DataFrame | None) -> pd.DataFrame:
    """Actual against planned entries, exits, end headcount and people supported.

    Forecasts come from the ``forecast_*`` key figures; an indicator without a
    forecast is dropped rather than compared with an invented target.
    """
    rows = []
    for indicator in FORECAST_INDICATORS:
        forecast = _key_figure(key_figures, f"forecast_{indicator}")
        actual = summary.get(indicator)
        if forecast is None or _missing(actual):
            continue
        gap = float(actual) - forecast
        rows.append(
            {
                "indicator": indicator,
                "actual": float(actual),
                "forecast": forecast,
                "gap": gap,
                "gap_pct": _gap_pct(gap, forecast),
            }
        )
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS).astype(
        {c: "float64" for c in FORECAST_COLUMNS[1:]}
    )


def peak_months(movements: pd.DataFrame | None, n: int = 3) -> pd.DataFrame:
    """The ``n`` months with the most entries + exits (ties at the cut kept).

    Turnover, not headcount, drives the support team's administrative load, which
    is what the report wants to show. Ordered by turnover, then calendar month.
    """
    table = monthly(movements)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in PEAK_COLUMNS})
    table = table.assign(turnover=table["entries"] + table["exits"])
    top = table.nlargest(n, "turnover", keep="all")
    top = top.sort_values(["turnover", "month"], ascending=[False, True])
    return top[PEAK_COLUMNS].reset_index(drop=True)
