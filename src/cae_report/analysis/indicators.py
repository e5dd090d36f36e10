"""The year's headline indicators in one flat dict, for the report text and year-on-year tables.

Each value is recomputed from the detailed tables when the year has them; a
figure the year's text states (key_figures, same indicator name) is used only
when the detail is absent, which is what partial years (2013-2015, known only
through the next report) look like. Anything neither computed nor stated is
None: a missing figure must show as missing, never as an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from cae_report.analysis import audience, budget, movements, training
from cae_report.data.keyfigures import missing as _missing
from cae_report.data.keyfigures import stated as _key_figure

KEYS = (
    "headcount_start",
    "headcount_end",
    "entries",
    "exits",
    "accompanied",
    "movements",
    "movement_rate_pct",
    "entrepreneurs_revenue",
    "charges_actual",
    "charges_budget",
    "products_actual",
    "products_budget",
    "operating_surplus",
    "net_result",
    "own_resources_actual",
    "own_resources_variance_pct",
    "subsidies_actual",
    "subsidies_share_pct",
    "personnel_share_pct",
    "subsidy_leverage",
    "web_visits",
    "web_visitors",
    "web_pageviews",
    "web_pages_per_visit",
    "web_avg_duration_s",
    "web_bounce_pct",
    "training_sessions",
    "training_hours",
    "training_attendance",
)
# Rounding: percentages to 0.1 point, ratios and per-visit figures to 0.01, euros to the cent.
PCT_DECIMALS = 1
RATIO_DECIMALS = 2
EUR_DECIMALS = 2
INT_KEYS = frozenset(
    {
        "headcount_start",
        "headcount_end",
        "entries",
        "exits",
        "accompanied",
        "movements",
        "web_visits",
        "web_visitors",
        "web_pageviews",
        "training_sessions",
        "training_attendance",
    }
)
DECIMALS = {
    "movement_rate_pct": PCT_DECIMALS,
    "own_resources_variance_pct": PCT_DECIMALS,
    "subsidies_share_pct": PCT_DECIMALS,
    "personnel_share_pct": PCT_DECIMALS,
    "web_bounce_pct": RATIO_DECIMALS,  # published with two decimals (61,54 %)
    "subsidy_leverage": RATIO_DECIMALS,
    "web_pages_per_visit": RATIO_DECIMALS,
    "web_avg_duration_s": 0,
    "training_hours": 1,
}
# Indicators a partial year may only know from its text (key_figures of the same name).
STATED_FALLBACK = (
    "headcount_start",
    "headcount_end",
    "entries",
    "exits",
    "accompanied",
    "movements",
    "entrepreneurs_revenue",
    "own_resources_variance_pct",
    "subsidies_share_pct",
    "personnel_share_pct",
    "subsidy_leverage",
    "training_sessions",
    "training_hours",
    "training_attendance",
)
WEB_METRICS = {
    "web_visitors": "visitors",
    "web_pageviews": "pageviews",
    "web_pages_per_visit": "pages_per_visit",
    "web_avg_duration_s": "avg_duration_s",
    "web_bounce_pct": "bounce_pct",
}


def _tidy(key: str, value: object) -> int | float | None:
    """Plain Python numbers (no numpy scalars), ints for counts, floats rounded sensibly."""
    if _missing(value) or (isinstance(value, float) and math.isinf(value)):
        return None
    if key in INT_KEYS:
        return int(round(float(value)))
    return round(float(value), DECIMALS.get(key, EUR_DECIMALS))


def _group_value(groups: pd.DataFrame, group: str, column: str) -> float | None:
    row = groups.loc[groups["group"] == group, column]
    return None if row.empty or _missing(row.iloc[0]) else float(row.iloc[0])


def _previous_headcount_end(previous: Mapping | None) -> float | None:
    """Last year's closing headcount, from its tables or from its compute() result."""
    if not previous:
        return None
    value = previous.get("headcount_end")
    if value is not None and not isinstance(value, pd.DataFrame):
        return None if _missing(value) else float(value)
    if any(isinstance(v, pd.DataFrame) for v in previous.values()):
        return movements.summary(previous.get("movements"), previous.get("key_figures"))[
            "headcount_end"
        ]
    return None


def _movement_values(tables: Mapping[str, pd.DataFrame], previous: Mapping | None) -> dict:
    key_figures = tables.get("key_figures")
    frame = tables.get("movements")
    if frame is not None and set(frame["month"]) != set(range(1, 13)):
        # A table of some months only gives no yearly total: the text's figures are kept.
        frame = None
    kf = key_figures
    if _key_figure(key_figures, "headcount_start") is None:
        # 1 January of this year is 31 December of the last: use it when this year lacks both
        # the stated start and a January row to derive it from.
        has_january = frame is not None and not frame.empty and (frame["month"] == 1).any()
        start = _previous_headcount_end(previous)
        if not has_january and start is not None:
            extra = pd.DataFrame({"indicator": ["headcount_start"], "value": [start]})
            kf = extra if key_figures is None else pd.concat([key_figures, extra])
    result = movements.summary(frame, kf)
    return {k: result[k] for k in KEYS if k in result}


def _budget_values(tables: Mapping[str, pd.DataFrame]) -> dict:
    statement = tables.get("income_statement")
    total = budget.totals(statement)
    by_group = budget.groups(statement)
    products = total["products_actual"]
    subsidies = _group_value(by_group, "subsidies", "actual")
    leverage = budget.subsidy_leverage(tables.get("key_figures"))
    return {
        "charges_actual": total["charges_actual"],
        "charges_budget": total["charges_budget"],
        "products_actual": products,
        "products_budget": total["products_budget"],
        "operating_surplus": total["operating_surplus_actual"],
        "net_result": budget.net_result(statement),
        "own_resources_actual": _group_value(by_group, "own_resources", "actual"),
        "own_resources_variance_pct": _group_value(by_group, "own_resources", "variance_pct"),
        "subsidies_actual": subsidies,
        "subsidies_share_pct": (
            None if subsidies is None or not products else subsidies / products * 100
        ),
        "personnel_share_pct": budget.personnel_share_pct(statement),
        "subsidy_leverage": leverage["leverage"] or leverage["leverage_recomputed"],
    }


def _web_values(tables: Mapping[str, pd.DataFrame]) -> dict:
    visits, _precision = audience.year_visits(tables)
    result: dict = {"web_visits": visits}
    frame = tables.get("web_audience")
    row = None
    if frame is not None and not frame.empty:
        rows = frame[frame["segment"] == audience.main_segment(frame)]
        row = None if rows.empty else rows.iloc[0]
    for key, column in WEB_METRICS.items():
        result[key] = None if row is None else row.get(column)
    return result


def _training_values(tables: Mapping[str, pd.DataFrame]) -> dict:
    result = training.totals(tables.get("training"))
    return {f"training_{k}": v for k, v in result.items()}


def compute(tables: Mapping[str, pd.DataFrame], previous: Mapping | None = None) -> dict:
    """Every headline indicator of one year, keyed as in :data:`KEYS`.

    ``tables`` are the year's clean tables (any may be absent). ``previous`` is
    optional: last year's tables (or last year's ``compute`` result); it only
    supplies the opening headcount when this year can tell it neither from its
    text nor from a January row.
    """
    values: dict = {}
    values.update(_movement_values(tables, previous))
    values["entrepreneurs_revenue"] = _key_figure(
        tables.get("key_figures"), "entrepreneurs_revenue"
    )
    values.update(_budget_values(tables))
    values.update(_web_values(tables))
    values.update(_training_values(tables))
    key_figures = tables.get("key_figures")
    for key in STATED_FALLBACK:
        if _missing(values.get(key)):
            values[key] = _key_figure(key_figures, key)
    return {key: _tidy(key, values.get(key)) for key in KEYS}


# ---------------------------------------------------------------- identities before publishing


class Contradiction(ValueError):
    """Published indicators that contradict each other: the build must not publish them."""


def contradictions(values: Mapping[str, object]) -> list[str]:
    """The identities the published indicators break (empty when they all hold).

    Counts must add up exactly; a rounded percentage or ratio must agree with its parts to
    its own rounding. A missing figure breaks nothing."""
    v = {k: (None if _missing(x) else float(x)) for k, x in values.items() if k in KEYS}
    found = []

    def exact(name: str, total: str, parts: list[tuple[int, str]]) -> None:
        if v.get(total) is None or any(v.get(p) is None for _s, p in parts):
            return
        computed = sum(sign * v[p] for sign, p in parts)
        if abs(computed - v[total]) > 0.005:
            found.append(f"{name}: {total} = {v[total]:g}, expected {computed:g}")

    def rounded(name: str, key: str, num: list[tuple[int, str]], den: str, scale: float) -> None:
        if v.get(key) is None or v.get(den) in (None, 0) or any(v.get(p) is None for _s, p in num):
            return
        computed = sum(sign * v[p] for sign, p in num) / v[den] * scale
        decimals = DECIMALS.get(key, EUR_DECIMALS)
        if abs(computed - v[key]) > 0.5 * 10**-decimals + 1e-9:
            found.append(f"{name}: {key} = {v[key]:g}, expected {computed:.{decimals + 1}f}")

    exact(
        "stock and flows",
        "headcount_end",
        [(1, "headcount_start"), (1, "entries"), (-1, "exits")],
    )
    exact("people accompanied", "accompanied", [(1, "headcount_start"), (1, "entries")])
    exact("movements", "movements", [(1, "entries"), (1, "exits")])
    exact(
        "operating surplus", "operating_surplus", [(1, "products_actual"), (-1, "charges_actual")]
    )
    rounded("movement rate", "movement_rate_pct", [(1, "movements")], "headcount_start", 100)
    rounded(
        "subsidies share", "subsidies_share_pct", [(1, "subsidies_actual")], "products_actual", 100
    )
    rounded("pages per visit", "web_pages_per_visit", [(1, "web_pageviews")], "web_visits", 1)
    return found


def check(values: Mapping[str, object]) -> None:
    """Raise :class:`Contradiction` when the indicators break an identity."""
    found = contradictions(values)
    if found:
        raise Contradiction(
            "indicators.json would contradict itself, not published: " + "; ".join(found)
        )
