"""This year against the previous one, on whatever figures both years hold.

Earlier years are often partial (only what a later report said of them), so the
comparison takes each figure from the computed indicators when there are some,
else from the figures stated in the text, and skips what either year lacks.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cae_report.analysis import indicators
from cae_report.fr import fmt_eur, fmt_int

# theme -> (label, name, kind); name is an indicator or a key figure.
FIGURES = {
    "movements": (
        ("Effectif en fin d'année", "headcount_end", "count"),
        ("Intégrations", "entries", "count"),
        ("Sorties", "exits", "count"),
        ("Entrepreneurs accompagnés", "accompanied", "count"),
        ("Entrepreneurs en CDI en fin d'année", "contracts_cdi", "count"),
        ("Entrepreneurs en convention", "contracts_support", "count"),
    ),
    "budget": (
        ("Contributeurs à la mutualisation", "mutualisation_contributors", "count"),
        (
            f"Contributeurs entre {fmt_int(2000)} et {fmt_eur(4000)}",
            "contributors_2000_4000",
            "count",
        ),
        ("Part du personnel dans les charges (%)", "personnel_share_pct", "pct"),
        ("Chiffre d'affaires des entrepreneurs", "entrepreneurs_revenue", "eur"),
        ("Produits d'exploitation", "products_actual", "eur"),
        ("Résultat net", "net_result", "eur"),
    ),
    "audience": (("Visites du site", "web_visits", "count"),),
}


def figures(tables: Mapping[str, pd.DataFrame]) -> dict[str, float | None]:
    """Indicators, completed by the key figures stated in the text."""
    values: dict[str, float | None] = dict(indicators.compute(tables))
    kf = tables.get("key_figures")
    if kf is not None:
        for name, value in zip(kf["indicator"], kf["value"], strict=True):
            if values.get(name) is None:
                values[name] = float(value)
    if values.get("web_visits") is None and "web_visits" in tables:
        values["web_visits"] = float(tables["web_visits"]["visits"].iloc[0])
    return values


def rows(theme: str, tables, previous_tables) -> list[tuple[str, object, object, str]]:
    """(label, this year, previous year, kind) for the figures both years hold."""
    if previous_tables is None:
        return []
    current, previous = figures(tables), figures(previous_tables)
    return [
        (label, current.get(name), previous.get(name), kind)
        for label, name, kind in FIGURES[theme]
        if current.get(name) is not None and previous.get(name) is not None
    ]
