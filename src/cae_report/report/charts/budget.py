"""The accounts: variances against the budget, the bridge between the two results, products.

The variance is actual − budget for charges and products alike, the sign of the variance
table (:func:`cae_report.report.narrative.variance_table`): the chart shows charges and
products as two groups under their own heading, so that a reader never takes a charge over
its budget (a positive variance, money spent) for a product over its budget (money earned).
"""

from __future__ import annotations

import pandas as pd

from cae_report import fr
from cae_report.analysis.budget import GROUP_LABELS
from cae_report.report.charts.bars import bar_series, hbar_chart
from cae_report.report.charts.chart import Chart, require_columns
from cae_report.report.charts.spec import (
    Categories,
    ChartSpec,
    Connectors,
    Rule,
    padded_range,
    value_axis,
)
from cae_report.report.charts.style import COLORS, drawn_texts, lower_first

SIDES = (("charges", "Charges"), ("products", "Produits"))
"""The two groups of the variance chart, in the order of the accounts' tables."""
VARIANCE_AXIS = "Écart réalisé − prévu (€)"


# --- variances ----------------------------------------------------------------------------------


def variance_chart(
    lines: pd.DataFrame, title: str = "Écarts entre le réalisé et le budget"
) -> Chart:
    """Diverging bars of actual − budget per line: charges, then products, each sorted.

    Within each group the largest overrun is on top and the largest shortfall at the bottom;
    colour marks materiality, not good or bad (a positive variance is good for a product and
    bad for a charge). A line whose variance is undefined (no actual) is left out.
    """
    cols = ["label", "side", "variance_eur", "variance_pct", "material"]
    require_columns(lines, cols, "variance_chart")
    data = lines[cols + (["group"] if "group" in lines.columns else [])].copy()
    data = data[data["variance_eur"].notna()]
    unknown = set(data["side"]) - {side for side, _ in SIDES}
    if unknown:
        raise ValueError(f"variance_chart: side must be 'charges' or 'products', got {unknown}")
    if data.empty:
        raise ValueError("variance_chart: no line with a defined variance to plot")
    data["material"] = data["material"].astype(bool)
    data["label"] = _distinct_labels(data)
    data["text"] = [
        _variance_text(e, p)
        for e, p in zip(data["variance_eur"], data["variance_pct"], strict=True)
    ]
    data["color"] = [COLORS["highlight"] if m else COLORS["muted"] for m in data["material"]]
    parts = []
    for side, _heading in SIDES:
        part = data[data["side"] == side]
        parts.append(part.sort_values("variance_eur", ascending=False, kind="stable"))
    data = pd.concat(parts, ignore_index=True)

    labels, headings, values, rows = [], [], [], []
    for side, heading in SIDES:
        part = data[data["side"] == side]
        if part.empty:
            continue
        labels.append(heading)
        headings.append(True)
        values.append("")
        for index in part.index:
            rows.append((len(labels), index))
            labels.append(str(part.at[index, "label"]))
            headings.append(False)
            # The euros only: the percentage is in the tooltip and the table beside.
            values.append(fr.fmt_signed_eur(part.at[index, "variance_eur"]))
    positions = [pos for pos, _ in rows]
    picked = data.loc[[index for _, index in rows]]
    side_word = dict(SIDES)
    hover = [
        f"{side_word[s]} — {label}{fr.COLON} {text}"
        for s, label, text in zip(picked["side"], picked["label"], picked["text"], strict=True)
    ]
    lo, hi = padded_range(list(data["variance_eur"]), 0.04)
    names = {COLORS["highlight"]: "Écart significatif", COLORS["muted"]: "Autre écart"}
    series = bar_series(
        positions, list(picked["variance_eur"]), list(picked["color"]), hover, names
    )
    spec = ChartSpec(
        name="budget-variances",
        title=title,
        alt=_variance_alt(data),
        horizontal=True,
        categories=Categories(
            tuple(labels),
            headings=tuple(headings),
            values=drawn_texts(values),
        ),
        value_axis=value_axis(VARIANCE_AXIS, lo, hi, "eur"),
        marks=(*series, Rule(0.0, COLORS["ink"], 0.8)),
    )
    return Chart(spec, data)


def _distinct_labels(data: pd.DataFrame) -> list[str]:
    """Line labels, with the group's name before those that two lines of one side share."""
    labels = data["label"].astype(str)
    shared = labels.groupby(data["side"]).transform(lambda s: s.duplicated(keep=False))
    if "group" not in data.columns:
        return list(labels)
    return [
        f"{GROUP_LABELS.get(str(g), str(g))} — {label}" if twin else label
        for label, g, twin in zip(labels, data["group"], shared, strict=True)
    ]


def _variance_text(eur: float, pct: float) -> str:
    """``+23 606 € (+34 %)``; the percentage is left out when it is undefined."""
    text = fr.fmt_signed_eur(eur)
    return text if pd.isna(pct) else f"{text} ({fr.fmt_pct(pct, signed=True)})"


def _variance_alt(data: pd.DataFrame) -> str:
    n_material = int(data["material"].sum())
    parts = [
        f"Écarts au budget de {fr.fmt_count(len(data), 'poste')}, dont "
        f"{fr.fmt_count(n_material, 'écart significatif', 'écarts significatifs')}"
    ]
    side_word = {side: heading.lower() for side, heading in SIDES}
    top = data.loc[data["variance_eur"].idxmax()]
    bottom = data.loc[data["variance_eur"].idxmin()]
    if top["variance_eur"] > 0:
        parts.append(
            f"le plus fort au-dessus du budget{fr.COLON} {top['label']} "
            f"({side_word[top['side']]}), {top['text']}"
        )
    if bottom["variance_eur"] < 0:
        parts.append(
            f"le plus fort au-dessous{fr.COLON} {bottom['label']} "
            f"({side_word[bottom['side']]}), {bottom['text']}"
        )
    return f"{fr.SEMICOLON} ".join(parts) + "."


# --- waterfall ----------------------------------------------------------------------------------


def waterfall_chart(
    steps: pd.DataFrame, title: str = "Du résultat budgété au résultat réalisé"
) -> Chart:
    """From the budgeted result, each contribution up or down, to the actual result.

    The total bar is the sum of the steps and is checked against the given amount: a bridge
    that does not add up is an error in the analysis, not something to draw.
    """
    require_columns(steps, ["label", "amount", "kind"], "waterfall_chart")
    data = steps[["label", "amount", "kind"]].reset_index(drop=True).copy()
    kinds = list(data["kind"])
    if kinds[0] != "absolute" or kinds[-1] != "total" or set(kinds[1:-1]) - {"relative"}:
        raise ValueError(
            "waterfall_chart: kind must be 'absolute' first, 'relative' in between, 'total' last"
        )
    if data.loc[: len(data) - 2, "amount"].isna().any():
        raise ValueError("waterfall_chart: amount is missing for a non-total step")
    total = float(data["amount"].iloc[:-1].sum())
    given = data["amount"].iloc[-1]
    if not pd.isna(given) and abs(float(given) - total) > 0.5 * len(data):
        raise ValueError(
            f"waterfall_chart: steps add up to {total:.2f}, not to the total {float(given):.2f}"
        )
    data.loc[len(data) - 1, "amount"] = total
    level = data["amount"].where(data["kind"] != "total", 0).cumsum()
    data["start"] = [
        0.0 if k != "relative" else lv - a
        for k, lv, a in zip(data["kind"], level, data["amount"], strict=True)
    ]
    data["end"] = data["start"] + data["amount"]
    data["color"] = [
        COLORS["total"] if k != "relative" else COLORS["increase" if a >= 0 else "decrease"]
        for k, a in zip(data["kind"], data["amount"], strict=True)
    ]
    data["text"] = [
        fr.fmt_signed_eur(a) if k == "relative" else fr.fmt_eur(a)
        for k, a in zip(data["kind"], data["amount"], strict=True)
    ]
    hover = [f"{lab}{fr.COLON} {t}" for lab, t in zip(data["label"], data["text"], strict=True)]
    names = {
        COLORS["total"]: "Résultat",
        COLORS["increase"]: "Effet favorable",
        COLORS["decrease"]: "Effet défavorable",
    }
    lo, hi = padded_range(list(data["start"]) + list(data["end"]), 0.03)
    connectors = Connectors(
        COLORS["muted"],
        tuple((float(data["end"].iloc[i]), i + 0.3, i + 0.7) for i in range(len(data) - 1)),
    )
    spec = ChartSpec(
        name="result-waterfall",
        title=title,
        alt=_waterfall_alt(data),
        horizontal=True,
        categories=Categories(
            tuple(str(label) for label in data["label"]), values=drawn_texts(data["text"])
        ),
        value_axis=value_axis("Euros", lo, hi, "eur"),
        marks=(
            *bar_series(
                range(len(data)),
                list(data["amount"]),
                list(data["color"]),
                hover,
                names,
                bases=list(data["start"]),
                width=0.6,
            ),
            connectors,
            Rule(0.0, COLORS["ink"], 0.8),
        ),
    )
    return Chart(spec, data)


def _waterfall_alt(data: pd.DataFrame) -> str:
    first, last = data.iloc[0], data.iloc[-1]
    text = (
        f"{first['label']}{fr.COLON} {first['text']}{fr.SEMICOLON} {lower_first(last['label'])}"
        f"{fr.COLON} {last['text']} ({fr.fmt_signed_eur(last['amount'] - first['amount'])})"
    )
    rel = data[data["kind"] == "relative"]
    if not rel.empty and rel["amount"].max() > 0:
        best = rel.loc[rel["amount"].idxmax()]
        text += f"{fr.SEMICOLON} principale hausse{fr.COLON} {best['label']} ({best['text']})"
    if not rel.empty and rel["amount"].min() < 0:
        worst = rel.loc[rel["amount"].idxmin()]
        text += f"{fr.SEMICOLON} principale baisse{fr.COLON} {worst['label']} ({worst['text']})"
    return text + "."


# --- structure of products ----------------------------------------------------------------------


def products_structure_chart(
    structure: pd.DataFrame, title: str = "Structure des produits réalisés"
) -> Chart:
    """Share of each product category as horizontal bars labelled ``62 % (564 000 €)``.

    Bars rather than a pie or a stacked bar: lengths from a common baseline are compared
    accurately, and the labels carry both the share and the amount.
    """
    require_columns(structure, ["category", "actual", "share_pct"], "products_structure_chart")
    data = structure[["category", "actual", "share_pct"]].copy()
    data = data.sort_values("share_pct", ascending=False, kind="stable").reset_index(drop=True)
    data["text"] = [
        f"{fr.fmt_share_pct(s)} ({fr.fmt_eur(a)})"
        for s, a in zip(data["share_pct"], data["actual"], strict=True)
    ]
    data["color"] = COLORS["main"]
    alt = (
        "Répartition des produits"
        + fr.COLON
        + " "
        + ", ".join(f"{c} {t}" for c, t in zip(data["category"], data["text"], strict=True))
        + "."
    )
    return hbar_chart(
        data,
        "category",
        "share_pct",
        name="products-structure",
        title=title,
        alt=alt,
        value_title="Part des produits (%)",
        unit="pct",
        hover_format=fr.fmt_share_pct,
    )
