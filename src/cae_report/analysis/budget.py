"""The cooperative's own accounts: actual against budget, structure, ratios.

Everything is recomputed from the detailed lines of the income statement, never
taken from the published subtotals: the 2016 report shows that subtotals and
lines can disagree, and the report must be consistent with its own detail.
Non-operating rows (depreciation, financial and exceptional items) are kept
apart because the budget only covers operating activity.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd

from cae_report.data.keyfigures import missing as _missing
from cae_report.data.keyfigures import stated as _key_figure

# A line is "material" (worth a sentence in the report) when it moved by at least
# 1 000 € AND by at least 20 % of its budget. Both conditions: a 1 500 € gap on
# 90 000 € of salaries is noise, a 300 % gap on 20 € of stationery is too. A line
# budgeted at 0 € has no percentage; it is material on the amount alone. A line with
# no budget has no variance at all.
MATERIALITY_EUR = 1000.0
MATERIALITY_PCT = 20.0

CHARGE_GROUPS = ("60", "61", "62", "64")
PRODUCT_GROUPS = ("own_resources", "subsidies", "other_income")
OPERATING_GROUPS = CHARGE_GROUPS + PRODUCT_GROUPS
NON_OPERATING = "non_operating"
PERSONNEL_GROUP = "64"

GROUP_LABELS = {
    "60": "Achats",
    "61": "Services extérieurs",
    "62": "Autres services extérieurs",
    "64": "Charges de personnel",
    "own_resources": "Ressources propres",
    "subsidies": "Subventions",
    "other_income": "Autres produits",
}
BUDGET_RESULT_LABEL = "Excédent d'exploitation prévu"
ACTUAL_RESULT_LABEL = "Excédent d'exploitation réalisé"

# Labels identifying single lines, matched on the accent-free lower-case label.
MUTUALISATION_PATTERN = r"^mutualisation\b"
REGION_PATTERN = r"\bregion\b|dispositif territorial"

LINE_COLUMNS = [
    "side",
    "group",
    "label",
    "actual",
    "budget",
    "variance_eur",
    "variance_pct",
    "material",
]
GROUP_COLUMNS = ["side", "group", "label", "actual", "budget", "variance_eur", "variance_pct"]
NON_OPERATING_COLUMNS = ["side", "label", "actual"]
STRUCTURE_COLUMNS = ["category", "actual", "share_pct"]
SUBSIDY_COLUMNS = ["label", "granted", "received", "remaining"]
WATERFALL_COLUMNS = ["label", "amount", "kind"]


# ---------------------------------------------------------------- helpers


def _fold(text: object) -> str:
    """Accent-free lower-case text, so label patterns survive accents and capitals."""
    if _missing(text):
        return ""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return plain.lower().strip()


def _group_code(value: object) -> str:
    """Group codes as strings: a CSV reader may turn "60" into 60 or 60.0."""
    if _missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _float(series: pd.Series) -> pd.Series:
    """Plain float64 with NaN: nullable Float64 would turn x / 0 and NA into surprises."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _pct(numerator: float, denominator: float) -> float:
    """numerator / denominator in percent; NaN when undefined (zero or missing base)."""
    if _missing(numerator) or _missing(denominator) or denominator == 0:
        return math.nan
    return numerator / denominator * 100


def _scalar(value: float) -> float | None:
    """NaN to None for dict outputs, where callers test ``is None``."""
    return None if _missing(value) else float(value)


def _is_material(variance: float, variance_pct: float, budget: float) -> bool:
    """Material when large in euros and in percent; against a budget of 0 €, in euros only;
    never without a budget (no variance)."""
    if _missing(variance) or abs(variance) < MATERIALITY_EUR:
        return False
    if budget == 0:
        return True
    return not _missing(variance_pct) and abs(variance_pct) >= MATERIALITY_PCT


def _rows(income_statement: pd.DataFrame | None) -> pd.DataFrame:
    """The income statement with normalised group codes, in published order."""
    if income_statement is None or income_statement.empty:
        return pd.DataFrame(columns=["side", "group", "row_type", "label", "actual", "budget"])
    frame = income_statement.copy()
    frame["group"] = frame["group"].map(_group_code)
    if "order" in frame.columns:
        frame = frame.sort_values("order", kind="stable")
    return frame


# ---------------------------------------------------------------- tables


def lines(income_statement: pd.DataFrame | None) -> pd.DataFrame:
    """Operating lines with their variance against budget and a materiality flag.

    A budget may leave lines out (a line nobody budgeted, an account the PCG defaults
    bring in): a missing budget is "not budgeted", and then the variance is undefined
    (NaN, in euros and in percent), never "the whole actual" nor 100 %; such a line is
    shown without a variance and left out of the variance chart (:func:`with_variance`).
    A budget of 0 € is a budget: the variance is the actual, its percentage undefined.
    A missing actual stays NaN (not published is not zero).
    """
    frame = _rows(income_statement)
    keep = [
        row_type == "line" and group in OPERATING_GROUPS
        for row_type, group in zip(frame["row_type"], frame["group"], strict=True)
    ]
    frame = frame.loc[np.asarray(keep, dtype=bool)]
    actual = _float(frame["actual"]).to_numpy()
    budget = _float(frame["budget"]).to_numpy()
    variance = actual - budget
    variance_pct = [_pct(v, b) for v, b in zip(variance, budget, strict=True)]
    material = [
        _is_material(v, p, b) for v, p, b in zip(variance, variance_pct, budget, strict=True)
    ]
    return pd.DataFrame(
        {
            "side": pd.array([str(v) for v in frame["side"]], dtype="str"),
            "group": pd.array([str(v) for v in frame["group"]], dtype="str"),
            "label": pd.array([str(v) for v in frame["label"]], dtype="str"),
            "actual": actual,
            "budget": budget,
            "variance_eur": variance,
            "variance_pct": pd.array(variance_pct, dtype="float64"),
            "material": pd.array(material, dtype="bool"),
        },
        columns=LINE_COLUMNS,
    )


def with_variance(line_table: pd.DataFrame) -> pd.DataFrame:
    """The lines whose variance is defined (budgeted and with an actual): what a chart of
    variances can show; the others have no bar to draw."""
    return line_table[line_table["variance_eur"].notna()].reset_index(drop=True)


def without_variance(line_table: pd.DataFrame) -> pd.DataFrame:
    """The lines with no defined variance (no budget, or no actual), to say so in words."""
    return line_table[line_table["variance_eur"].isna()].reset_index(drop=True)


def groups(income_statement: pd.DataFrame | None) -> pd.DataFrame:
    """Actual, budget and variance per accounting group, summed from the lines.

    Groups come charges first (60, 61, 62, 64) then products, the report's order;
    a group with no line is absent rather than shown as zero.
    """
    detail = lines(income_statement)
    parts: dict[str, list[tuple[str, float, float]]] = {}
    for side, group, actual, budget in zip(
        detail["side"], detail["group"], detail["actual"], detail["budget"], strict=True
    ):
        parts.setdefault(group, []).append((side, actual, budget))
    rows = []
    for group in OPERATING_GROUPS:
        part = parts.get(group)
        if not part:
            continue
        actual = _sum([a for _s, a, _b in part])
        # The group's budget is the sum of its lines' budgets (a line nobody budgeted adds
        # nothing); a group with no budgeted line has no budget and no variance.
        budget = _sum([b for _s, _a, b in part])
        variance = actual - budget
        rows.append(
            (
                part[0][0],
                group,
                GROUP_LABELS[group],
                actual,
                budget,
                variance,
                _pct(variance, budget),
            )
        )
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(GROUP_COLUMNS)
    return pd.DataFrame(
        {
            name: pd.array(list(values), dtype="str" if i < 3 else "float64")
            for i, (name, values) in enumerate(zip(GROUP_COLUMNS, columns, strict=True))
        },
        columns=GROUP_COLUMNS,
    )


def _sum(values: list[float]) -> float:
    """``Series.sum(min_count=1)`` of a few values, without building a Series: NaN when all
    are NaN, else numpy's sum with NaN as 0 (the same bits as pandas)."""
    array = np.asarray(values, dtype="float64")
    missing = np.isnan(array)
    if missing.all():
        return math.nan
    return float(np.where(missing, 0.0, array).sum())


def totals(income_statement: pd.DataFrame | None) -> dict[str, float | None]:
    """Total operating charges and products, actual and budget, and the operating surplus.

    Keys: charges_actual, charges_budget, products_actual, products_budget,
    operating_surplus_actual, operating_surplus_budget (products − charges).
    All None when the year has no income statement.
    """
    keys = (
        "charges_actual",
        "charges_budget",
        "products_actual",
        "products_budget",
        "operating_surplus_actual",
        "operating_surplus_budget",
    )
    by_group = groups(income_statement)
    if by_group.empty:
        return dict.fromkeys(keys)
    result = {}
    for side, name in (("charges", "charges"), ("products", "products")):
        part = by_group[by_group["side"] == side]
        result[f"{name}_actual"] = _scalar(part["actual"].sum(min_count=1))
        result[f"{name}_budget"] = _scalar(part["budget"].sum(min_count=1))
    for kind in ("actual", "budget"):
        products, charges = result[f"products_{kind}"], result[f"charges_{kind}"]
        result[f"operating_surplus_{kind}"] = (
            None if products is None or charges is None else products - charges
        )
    return {k: result[k] for k in keys}


def non_operating(income_statement: pd.DataFrame | None) -> pd.DataFrame:
    """Rows outside the budget (depreciation, financial, exceptional), actual only."""
    frame = _rows(income_statement)
    frame = frame[(frame["row_type"] == "line") & (frame["group"] == NON_OPERATING)]
    out = pd.DataFrame(
        {
            "side": frame["side"].to_numpy(),
            "label": frame["label"].to_numpy(),
            "actual": _float(frame["actual"]).to_numpy(),
        },
        columns=NON_OPERATING_COLUMNS,
    )
    return out.astype({"side": "str", "label": "str", "actual": "float64"})


def net_result(income_statement: pd.DataFrame | None) -> float | None:
    """Operating surplus + non-operating products − non-operating charges.

    Empty non-operating cells count as 0 € (the published "Charges financières"
    row is blank, meaning none); without operating lines there is no result.
    """
    surplus = totals(income_statement)["operating_surplus_actual"]
    if surplus is None:
        return None
    other = non_operating(income_statement)
    products = other.loc[other["side"] == "products", "actual"].sum()
    charges = other.loc[other["side"] == "charges", "actual"].sum()
    return float(surplus + products - charges)


def products_structure(income_statement: pd.DataFrame | None) -> pd.DataFrame:
    """Share of each kind of operating product: own resources, subsidies, other income.

    Shows how dependent the cooperative is on public money (in percent of total
    operating products).
    """
    by_group = groups(income_statement)
    part = by_group[by_group["side"] == "products"]
    total = part["actual"].sum(min_count=1)
    out = pd.DataFrame(
        {
            "category": part["label"].to_numpy(),
            "actual": part["actual"].to_numpy(),
            "share_pct": [_pct(a, total) for a in part["actual"]],
        },
        columns=STRUCTURE_COLUMNS,
    )
    return out.astype({"category": "str", "actual": "float64", "share_pct": "float64"})


def personnel_share_pct(income_statement: pd.DataFrame | None) -> float | None:
    """Personnel costs (group 64) in percent of total operating charges."""
    by_group = groups(income_statement)
    charges = by_group.loc[by_group["side"] == "charges", "actual"].sum(min_count=1)
    personnel = by_group.loc[by_group["group"] == PERSONNEL_GROUP, "actual"].sum(min_count=1)
    return _scalar(_pct(personnel, charges))


def subsidy_leverage(key_figures: pd.DataFrame | None) -> dict[str, float | None]:
    """Euros of tax and social receipts generated per euro of subsidy.

    The report's argument to funders. Keys: receipts and subsidies (as stated in
    the ratio), leverage (receipts / subsidies), receipts_recomputed
    (vat_paid_back + social_contributions, the definition of "recettes sociales et
    fiscales"), leverage_recomputed, leverage_stated (the rounded figure of the text).
    """
    receipts = _key_figure(key_figures, "ratio_receipts")
    subsidies = _key_figure(key_figures, "ratio_subsidies")
    vat = _key_figure(key_figures, "vat_paid_back")
    social = _key_figure(key_figures, "social_contributions")
    recomputed = None if vat is None or social is None else vat + social

    def ratio(numerator: float | None) -> float | None:
        if numerator is None or not subsidies:
            return None
        return numerator / subsidies

    return {
        "receipts": receipts,
        "subsidies": subsidies,
        "leverage": ratio(receipts),
        "receipts_recomputed": recomputed,
        "leverage_recomputed": ratio(recomputed),
        "leverage_stated": _key_figure(key_figures, "subsidy_leverage"),
    }


def _matching_lines(income_statement: pd.DataFrame | None, pattern: str) -> pd.DataFrame:
    detail = lines(income_statement)
    hit = detail["label"].map(lambda label: re.search(pattern, _fold(label)) is not None)
    return detail[hit.astype(bool)]


def _label_pattern(label: str | None, default: str) -> str:
    """A line named in ``cooperative.yml`` (``statement_lines``): its label or its beginning."""
    return default if not label else "^" + re.escape(_fold(label))


def effective_contribution_rate_pct(
    income_statement: pd.DataFrame | None,
    key_figures: pd.DataFrame | None,
    line_label: str | None = None,
) -> float | None:
    """Mutualisation received in percent of the entrepreneurs' revenue.

    The contract rate is applied to margins, not revenue; this effective rate is
    what the cooperative actually keeps from each euro of revenue. ``line_label``: the
    contribution line (``statement_lines: contribution`` in ``cooperative.yml``).
    """
    revenue = _key_figure(key_figures, "entrepreneurs_revenue")
    line = _matching_lines(income_statement, _label_pattern(line_label, MUTUALISATION_PATTERN))
    if line.empty or not revenue:
        return None
    return _scalar(_pct(line["actual"].sum(min_count=1), revenue))


def subsidies_granted_vs_received(
    income_statement: pd.DataFrame | None,
    key_figures: pd.DataFrame | None,
    line_label: str | None = None,
) -> pd.DataFrame:
    """The Région subsidy as booked (granted) against the cash actually received.

    The accounts book the granted amount; the report notes only part was paid.
    ``received`` and ``remaining`` are NaN when the amount received is not stated.
    """
    line = _matching_lines(income_statement, _label_pattern(line_label, REGION_PATTERN))
    line = line[line["group"] == "subsidies"].head(1)
    received = _key_figure(key_figures, "subsidy_region_received")
    rows = [
        {
            "label": row.label,
            "granted": row.actual,
            "received": math.nan if received is None else received,
            "remaining": math.nan if received is None else row.actual - received,
        }
        for row in line.itertuples()
    ]
    out = pd.DataFrame(rows, columns=SUBSIDY_COLUMNS)
    return out.astype({"label": "str", **{c: "float64" for c in SUBSIDY_COLUMNS[1:]}})


def waterfall_steps(income_statement: pd.DataFrame | None) -> pd.DataFrame:
    """From the budgeted to the actual operating surplus, one step per group.

    kind is 'absolute' (budgeted surplus), 'relative' (a group's effect on the
    surplus: products above budget and charges below budget are positive) or
    'total' (actual surplus); budget + Σ relative = actual by construction.
    """
    by_group = groups(income_statement)
    if by_group.empty:
        return pd.DataFrame(
            {
                "label": pd.Series(dtype="str"),
                "amount": pd.Series(dtype="float64"),
                "kind": pd.Series(dtype="str"),
            }
        )
    result = totals(income_statement)
    # Products first, then charges: the story reads "more resources, then spending".
    rank = {g: i for i, g in enumerate(PRODUCT_GROUPS + CHARGE_GROUPS)}
    by_group = by_group.sort_values("group", key=lambda codes: codes.map(rank))
    sign = by_group["side"].map({"products": 1.0, "charges": -1.0})
    # A group nobody budgeted moves the surplus by its whole actual (the budgeted surplus
    # counts it as 0), so that budget + Σ steps = actual still holds.
    effect = by_group["actual"].fillna(0.0) - by_group["budget"].fillna(0.0)
    steps = pd.DataFrame(
        {
            "label": by_group["label"].to_numpy(),
            "amount": (sign * effect).to_numpy(),
            "kind": "relative",
        }
    )
    start = {
        "label": BUDGET_RESULT_LABEL,
        "amount": float((sign * by_group["budget"].fillna(0.0)).sum()),
        "kind": "absolute",
    }
    end = {
        "label": ACTUAL_RESULT_LABEL,
        "amount": result["operating_surplus_actual"],
        "kind": "total",
    }
    out = pd.concat([pd.DataFrame([start]), steps, pd.DataFrame([end])], ignore_index=True)
    return out[WATERFALL_COLUMNS].astype({"label": "str", "amount": "float64", "kind": "str"})
