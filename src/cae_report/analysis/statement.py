"""The income statement in the form the board and the funders read it: each side by group,
lines then subtotal, the operating total, what lies below it, the result and the grand total.

Every amount is recomputed from the (clean) detail lines, like :mod:`cae_report.analysis.budget`:
subtotals and totals are sums of lines, the operating surplus is products − charges, the result
adds the rows below the operating result, and each side's grand total follows (charges + rows
below + result on the charges side, products + rows below on the products side), so the two
grand totals agree by construction. Only the labels are taken from the published rows
(« Sous total Achats », « Total Général »), so the table reads like the original.
"""

from __future__ import annotations

import math

import pandas as pd

from cae_report.analysis import budget
from cae_report.analysis.budget import (
    CHARGE_GROUPS,
    NON_OPERATING,
    PERSONNEL_GROUP,
    PRODUCT_GROUPS,
    REGION_PATTERN,
    _matching_lines,
)
from cae_report.data.keyfigures import missing

ROW_COLUMNS = ["side", "kind", "group", "label", "actual", "budget", "variance_eur", "variance_pct"]
"""``kind``: ``group`` (a group's heading: no amount), ``line``, ``subtotal``, ``total``
(operating charges or products), ``operating_surplus``, ``below`` (a row below the operating
result), ``result``, ``grand_total``. ``label`` is the published label, empty where the year
published none (the report writes its own)."""
SHARE_COLUMNS = ["group", "actual", "budget", "variance_eur", "variance_pct", "share_pct"]
DEPARTMENT_PATTERN = r"\bdepartement\b"
CICE_PATTERN = r"^cice\b"


Labels = dict[tuple[str, str, str], str]


def _published_labels(frame: pd.DataFrame) -> Labels:
    """The first published label of each side, row type and group of ``frame`` (the rows of
    ``budget._rows``, group codes already normalised), and (group ``""``) of each side and row
    type whatever the group: read once, in one pass over the rows, for the twenty or so
    labels a statement looks up (a pandas filter each took most of its time)."""
    labels: Labels = {}
    for side, row_type, group, label in zip(
        frame["side"], frame["row_type"], frame["group"], frame["label"], strict=True
    ):
        labels.setdefault((side, row_type, group), str(label))
        labels.setdefault((side, row_type, ""), str(label))
    return labels


def _row(side, kind, group="", label="", actual=math.nan, budget_=math.nan) -> dict:
    variance = actual - budget_ if not (missing(actual) or missing(budget_)) else math.nan
    pct = variance / budget_ * 100 if not missing(variance) and budget_ else math.nan
    return {
        "side": side,
        "kind": kind,
        "group": group,
        "label": label,
        "actual": actual,
        "budget": budget_,
        "variance_eur": variance,
        "variance_pct": pct,
    }


def _operating(
    frame: pd.DataFrame, side: str, groups: tuple[str, ...], labels: Labels
) -> list[dict]:
    """Heading, lines and subtotal of every group of ``side`` that has lines (one pass over
    the lines, not a pandas filter per group)."""
    detail, sums = budget.lines(frame), budget.groups(frame)
    parts: dict[str, list[tuple[str, float, float]]] = {}
    for group, label, actual, budget_ in zip(
        detail["group"], detail["label"], detail["actual"], detail["budget"], strict=True
    ):
        parts.setdefault(group, []).append((label, actual, budget_))
    subtotals = dict(
        zip(sums["group"], zip(sums["actual"], sums["budget"], strict=True), strict=True)
    )
    rows = []
    for group in groups:
        part = parts.get(group)
        if not part:
            continue
        rows.append(_row(side, "group", group))
        rows += [_row(side, "line", group, *line) for line in part]
        label = labels.get((side, "subtotal", group), "")
        rows.append(_row(side, "subtotal", group, label, *subtotals[group]))
    return rows


def _below(other: pd.DataFrame, side: str) -> list[dict]:
    """The rows below the operating result of ``side`` (``other``: the non-operating rows)."""
    other = other[other["side"] == side]
    return [_row(side, "below", NON_OPERATING, r.label, r.actual) for r in other.itertuples()]


def _closing(labels: Labels, side: str, kind: str, actual, budget_=math.nan) -> dict:
    return _row(side, kind, label=labels.get((side, kind, ""), ""), actual=actual, budget_=budget_)


def rows(income_statement: pd.DataFrame | None) -> pd.DataFrame:
    """The whole statement, charges side then products side, in the published order."""
    frame = budget._rows(income_statement)
    if frame.empty or budget.lines(frame).empty:
        return pd.DataFrame(columns=ROW_COLUMNS)
    totals = budget.totals(frame)
    other = budget.non_operating(frame)
    below = other.groupby("side")["actual"].sum()
    result = budget.net_result(frame)
    charges, products = totals["charges_actual"], totals["products_actual"]
    labels = _published_labels(frame)
    out = _operating(frame, "charges", CHARGE_GROUPS, labels)
    out.append(_closing(labels, "charges", "total", charges, totals["charges_budget"]))
    out += _below(other, "charges")
    out.append(_closing(labels, "charges", "result", result))
    grand = charges + below.get("charges", 0.0) + result
    out.append(_closing(labels, "charges", "grand_total", grand))
    out += _operating(frame, "products", PRODUCT_GROUPS, labels)
    out.append(_closing(labels, "products", "total", products, totals["products_budget"]))
    surplus = (totals["operating_surplus_actual"], totals["operating_surplus_budget"])
    out.append(_closing(labels, "products", "operating_surplus", *surplus))
    out += _below(other, "products")
    out.append(_closing(labels, "products", "grand_total", products + below.get("products", 0.0)))
    table = pd.DataFrame(out, columns=ROW_COLUMNS)
    return table.astype({c: "float64" for c in ROW_COLUMNS[4:]})


def shares(income_statement: pd.DataFrame | None, side: str) -> pd.DataFrame:
    """One side's operating groups with their variance and their share of the side's total
    (the analysis of resources for ``products``, of uses for ``charges``)."""
    groups = budget.groups(income_statement)
    part = groups[groups["side"] == side]
    total = part["actual"].sum(min_count=1)
    out = part.assign(share_pct=part["actual"] / total * 100 if total else math.nan)
    return out[SHARE_COLUMNS].reset_index(drop=True)


def _line(income_statement: pd.DataFrame | None, pattern: str, group: str) -> pd.Series | None:
    found = _matching_lines(income_statement, pattern)
    found = found[found["group"] == group]
    return None if found.empty else found.iloc[0]


def _amounts(prefix: str, row: pd.Series | dict | None) -> dict[str, float | None]:
    if row is None:
        return dict.fromkeys((f"{prefix}_actual", f"{prefix}_budget", f"{prefix}_variance_pct"))
    variance = budget._pct(row["actual"] - row["budget"], row["budget"])
    return {
        f"{prefix}_actual": None if missing(row["actual"]) else float(row["actual"]),
        f"{prefix}_budget": None if missing(row["budget"]) else float(row["budget"]),
        f"{prefix}_variance_pct": None if missing(variance) else float(variance),
    }


def figures(income_statement: pd.DataFrame | None) -> dict[str, float | None]:
    """The amounts the written chapters cite: the Région and Département subsidies, the CICE
    and the personnel costs (actual, budget, variance), the CICE's share of the operating
    products and the grand total. None where the year's statement lacks the line."""
    groups = budget.groups(income_statement).set_index("group")
    personnel = groups.loc[PERSONNEL_GROUP] if PERSONNEL_GROUP in groups.index else None
    values = {
        **_amounts("subsidy_region", _line(income_statement, REGION_PATTERN, "subsidies")),
        **_amounts("subsidy_department", _line(income_statement, DEPARTMENT_PATTERN, "subsidies")),
        **_amounts("cice", _line(income_statement, CICE_PATTERN, "other_income")),
        **_amounts("personnel", personnel),
    }
    products = budget.totals(income_statement)["products_actual"]
    closing = rows(income_statement)
    grand = closing.loc[closing["kind"] == "grand_total", "actual"]
    values["grand_total"] = None if grand.empty else float(grand.iloc[0])
    cice = values["cice_actual"]
    values["cice_share_pct"] = None if cice is None or not products else cice / products * 100
    return values
