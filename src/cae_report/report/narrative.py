"""French sentences and board-ready tables, built from computed results only.

Every number the report prints goes through here or :mod:`cae_report.report.audit`:
nothing is typed. Functions take the outputs of the analysis modules and return
markdown strings or DataFrames of formatted strings (for ``display.table``).
"""

from __future__ import annotations

import math

import pandas as pd

from cae_report.analysis.budget import GROUP_LABELS, MATERIALITY_EUR, MATERIALITY_PCT
from cae_report.fr import (
    UNDEFINED_VARIANCE,
    fmt_count,
    fmt_duration,
    fmt_eur,
    fmt_int,
    fmt_num,
    fmt_num_max,
    fmt_or_dash,
    fmt_pct,
    fmt_signed_eur,
    month_name,
)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def no_data(topic: str, year: int) -> str:
    """The one sentence a section without data shows instead of charts."""
    return f"Les données de {year} ne comprennent pas {topic}."


def _signed_int(value) -> str:
    return ("+" if value > 0 else "") + fmt_int(value)


def signed_pct(value, decimals: int = 0) -> str:
    return "non défini" if _missing(value) else fmt_pct(value, decimals, signed=True)


# ---------------------------------------------------------------- movements


def movements_text(s: dict, year: int) -> str:
    """The headline paragraph on entrepreneurs: stock, flows, people accompanied."""
    trend = (
        "une apparente stabilité"
        if abs(s["net_change"]) <= 0.02 * s["headcount_start"]
        else ("une hausse" if s["net_change"] > 0 else "une baisse")
    )
    return (
        f"La coopérative comptait {fmt_count(s['headcount_start'], 'entrepreneur')} au début de "
        f"{year} et {fmt_int(s['headcount_end'])} à la fin de l'année, soit {trend} "
        f"({_signed_int(s['net_change'])}). "
        f"Elle a pourtant intégré {fmt_count(s['entries'], 'entrepreneur')} et en a vu sortir "
        f"{fmt_int(s['exits'])} : {fmt_count(s['movements'], 'mouvement')} dans l'année, "
        f"soit {fmt_pct(s['movement_rate_pct'], 1)} de l'effectif du début d'année. "
        f"Au total, "
        f"{fmt_count(s['accompanied'], 'entrepreneur accompagné', 'entrepreneurs accompagnés')}"
        f" en {year}."
    )


FORECAST_LABELS = {
    "entries": "Intégrations",
    "exits": "Sorties",
    "headcount_end": "Effectif en fin d'année",
    "accompanied": "Entrepreneurs accompagnés",
}


def forecast_table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indicateur": df["indicator"].map(FORECAST_LABELS),
            "Réalisé": df["actual"].map(fmt_int),
            "Prévu": df["forecast"].map(fmt_int),
            "Écart": df["gap"].map(_signed_int),
            "Écart (%)": df["gap_pct"].map(signed_pct),
        }
    )


def peaks_text(peaks: pd.DataFrame) -> str:
    months = [
        f"{month_name(int(r.month))} ({fmt_count(r.entries, 'entrée')}, "
        f"{fmt_count(r.exits, 'sortie')})"
        for r in peaks.itertuples()
    ]
    listed = ", ".join(months[:-1]) + " et " + months[-1] if len(months) > 1 else months[0]
    return f"Les mois les plus chargés en mouvements ont été {listed}."


def _evolution(current: float, previous: float, kind: str) -> str:
    """Change of a share in percentage points, of anything else in percent."""
    if kind == "pct":
        points = current - previous
        return ("+" if points > 0 else "") + fmt_num(points, 1) + "\u00a0pt"
    return signed_pct((current - previous) / previous * 100 if previous else None)


def caveats(anomalies: pd.DataFrame, keys: tuple[str, ...]) -> str:
    """The flagged anomalies about figures a section shows, said where they are shown."""
    rows = anomalies[(anomalies["action"] == "flagged") & anomalies["key"].isin(keys)]
    if rows.empty:
        return ""
    items = "\n".join(f"- {m.rstrip('.')}." for m in rows["message"])
    return f"À noter, les chiffres publiés suivants ne concordent pas :\n\n{items}"


def comparison_table(rows: list[tuple[str, object, object, str]]) -> pd.DataFrame:
    """Figures of this year against the previous one: (label, current, previous, kind)."""
    fmt = {"count": fmt_int, "pct": lambda v: fmt_pct(v, 1), "eur": fmt_eur}
    out = []
    for label, current, previous, kind in rows:
        if _missing(current) or _missing(previous):
            continue
        out.append(
            {
                "Indicateur": label,
                "Cette année": fmt[kind](current),
                "Année précédente": fmt[kind](previous),
                "Évolution": _evolution(current, previous, kind),
            }
        )
    return pd.DataFrame(out, columns=["Indicateur", "Cette année", "Année précédente", "Évolution"])


# ---------------------------------------------------------------- budget


def budget_text(
    totals: dict, net: float | None, structure: pd.DataFrame, personnel_pct: float | None
) -> str:
    charges, products = totals["charges_actual"], totals["products_actual"]
    text = (
        f"Les produits d'exploitation atteignent {fmt_or_dash(products, fmt_eur)}"
        f"{_against(products, totals['products_budget'], 'prévus', 0)}, les charges "
        f"{fmt_or_dash(charges, fmt_eur)}"
        f"{_against(charges, totals['charges_budget'], 'prévues', 1)}. "
        f"L'excédent d'exploitation est de "
        f"{fmt_or_dash(totals['operating_surplus_actual'], fmt_eur)}"
        + (f" et le résultat net de {fmt_eur(net)}." if not _missing(net) else ".")
    )
    if not structure.empty:
        parts = ", ".join(
            f"{r.category.lower()} {fmt_pct(r.share_pct)}"
            for r in structure.itertuples()
            if not _missing(r.share_pct)
        )
        text += f" Structure des produits : {parts}." if parts else ""
    if not _missing(personnel_pct):
        text += (
            f" Les charges de personnel représentent {fmt_pct(personnel_pct)} des charges "
            "d'exploitation."
        )
    return text


def _against(actual, budget, word: str, decimals: int) -> str:
    """`` pour 133 625 € prévus (+20 %)``, or nothing when there is no budget to compare."""
    if _missing(budget) or _missing(actual):
        return ""
    return f" pour {fmt_eur(budget)} {word} ({signed_pct(_variance(actual, budget), decimals)})"


def _variance(actual: float, budget: float) -> float | None:
    return (actual - budget) / budget * 100 if budget else None


def variance_table(lines: pd.DataFrame) -> pd.DataFrame:
    """Every operating line: actual, budget, variance in € and %, material ones marked; a
    line without a budget shows its variance as undefined, never as its whole actual."""
    return pd.DataFrame(
        {
            "Poste": [
                f"{GROUP_LABELS.get(r.group, r.group)} — {r.label}" for r in lines.itertuples()
            ],
            "Réalisé": lines["actual"].map(lambda v: fmt_or_dash(v, fmt_eur)),
            "Prévu": lines["budget"].map(lambda v: fmt_or_dash(v, fmt_eur)),
            "Écart": lines["variance_eur"].map(
                lambda v: UNDEFINED_VARIANCE if _missing(v) else fmt_signed_eur(v)
            ),
            "Écart (%)": lines["variance_pct"].map(signed_pct),
            "Significatif": lines["material"].map(lambda m: "oui" if m else ""),
        }
    )


def groups_table(groups: pd.DataFrame) -> pd.DataFrame:
    side = {"charges": "Charges", "products": "Produits"}
    return pd.DataFrame(
        {
            "Groupe": [f"{side[r.side]} — {r.label}" for r in groups.itertuples()],
            "Réalisé": groups["actual"].map(lambda v: fmt_or_dash(v, fmt_eur)),
            "Prévu": groups["budget"].map(lambda v: fmt_or_dash(v, fmt_eur)),
            "Écart": groups["variance_eur"].map(
                lambda v: UNDEFINED_VARIANCE if _missing(v) else fmt_signed_eur(v)
            ),
            "Écart (%)": groups["variance_pct"].map(lambda v: signed_pct(v, 1)),
        }
    )


def material_text(lines: pd.DataFrame) -> str:
    material = lines[lines["material"]].sort_values("variance_eur", key=abs, ascending=False)
    rule = (
        f"Un écart est jugé significatif à partir de {fmt_eur(MATERIALITY_EUR)} et "
        f"{fmt_pct(MATERIALITY_PCT)} du prévisionnel (à partir de {fmt_eur(MATERIALITY_EUR)} "
        "pour une ligne prévue à 0 €)."
    )
    # Lines with a figure on one side only; a line with neither (nothing booked, nothing
    # budgeted) has nothing to compare and is not named.
    undefined = lines[
        lines["variance_eur"].isna() & (lines["actual"].notna() | lines["budget"].notna())
    ]
    if not undefined.empty:
        names = " ; ".join(f"« {label} »" for label in undefined["label"])
        rule += (
            f" Sans prévisionnel ou sans réalisé, "
            f"{fmt_count(len(undefined), 'ligne n’a', 'lignes n’ont')} pas d’écart défini "
            f"et ne {'figure' if len(undefined) == 1 else 'figurent'} pas dans le graphique "
            f"des écarts : {names}."
        )
        if (undefined["actual"].notna() & undefined["budget"].isna()).any():
            rule += (
                " Les écarts par groupe comparent le réalisé de toutes les lignes du groupe "
                "au prévisionnel des seules lignes budgétées."
            )
    if material.empty:
        return rule + " Aucune ligne n'atteint ce seuil."
    items = " ; ".join(
        f"{r.label} ({fmt_signed_eur(r.variance_eur)}, {signed_pct(r.variance_pct)})"
        for r in material.itertuples()
    )
    return f"{rule} Lignes qui l’atteignent ({fmt_int(len(material))}) : {items}."


def leverage_text(
    lev: dict,
    contribution_pct: float | None,
    grants: pd.DataFrame,
    revenue: float | None = None,
    revenue_growth_pct: float | None = None,
) -> str:
    parts = []
    if not _missing(revenue):
        growth = (
            f" ({signed_pct(revenue_growth_pct)} sur un an, chiffre du rapport publié)"
            if not _missing(revenue_growth_pct)
            else ""
        )
        parts.append(f"Le chiffre d'affaires des entrepreneurs atteint {fmt_eur(revenue)}{growth}.")
    if not _missing(lev.get("leverage")):
        parts.append(
            f"Pour {fmt_eur(1)} de subvention, la coopérative génère "
            f"{fmt_eur(lev['leverage'], 1)} de recettes sociales et fiscales "
            f"({fmt_eur(lev['receipts'])} de TVA reversée et de cotisations, pour "
            f"{fmt_eur(lev['subsidies'])} de subventions)."
        )
    if not _missing(contribution_pct):
        parts.append(
            f"La contribution des entrepreneurs (mutualisation) représente "
            f"{fmt_pct(contribution_pct, 1)} de leur chiffre d'affaires."
        )
    for r in grants.itertuples():
        if not _missing(r.received) and r.remaining:
            parts.append(
                f"La subvention « {r.label} » est comptée pour {fmt_eur(r.granted)} accordés, "
                f"mais seuls {fmt_eur(r.received, 2)} ont été reçus ; "
                f"{fmt_eur(r.remaining, 2)} restent à percevoir."
            )
    return " ".join(parts)


# ---------------------------------------------------------------- audience

METRIC_LABELS = {
    "pages_per_visit": "Pages par visite",
    "avg_duration_s": "Durée moyenne d'une visite",
    "bounce_pct": "Visites d'une seule page (rebond)",
}


def metric_value(metric: str, value: float, exact: bool = True) -> str:
    """A measured value with its published precision; a target without false decimals."""
    if metric == "avg_duration_s":
        return fmt_duration(value)
    if metric == "bounce_pct":
        return fmt_pct(value, 2) if exact else fmt_num_max(value) + "\u202f%"
    return fmt_num(value, 2) if exact else fmt_num_max(value)


def targets_table(targets: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indicateur": targets["metric"].map(METRIC_LABELS),
            "Objectif": [
                ("> " if r.direction == "min" else "< ") + metric_value(r.metric, r.target, False)
                for r in targets.itertuples()
            ],
            "Réalisé": [metric_value(r.metric, r.value) for r in targets.itertuples()],
            "Atteint": targets["met"].map(lambda m: "oui" if m else "non"),
            "Écart à l'objectif": targets["gap_pct"].map(lambda v: signed_pct(v)),
        }
    )


def audience_text(web: dict, targets: pd.DataFrame, spam: pd.DataFrame) -> str:
    counts = [
        fmt_count(web["visitors"], "visiteur") if not _missing(web.get("visitors")) else None,
        fmt_count(web["pageviews"], "page vue", "pages vues")
        if not _missing(web.get("pageviews"))
        else None,
    ]
    text = f"Le site a reçu {fmt_count(web['visits'], 'visite')}"
    if counts[0]:
        text += f" de {counts[0]}"
    text += f" ({counts[1]})." if counts[1] else "."
    if not spam.empty:
        kept = spam.set_index("metric").loc["visits", "kept_pct"]
        text += (
            f" Ces chiffres excluent le trafic parasite : le filtre anti-spam conserve "
            f"{fmt_pct(kept, 1)} des visites."
        )
    if not targets.empty:
        met, total = int(targets["met"].sum()), len(targets)
        if total == 1:
            text += f" L'objectif d'audience {'est' if met else 'n’est pas'} atteint."
        elif met == 0:
            text += f" Aucun des {fmt_int(total)} objectifs d'audience n'est atteint."
        elif met == total:
            text += f" Les {fmt_int(total)} objectifs d'audience sont atteints."
        else:
            text += (
                f" {fmt_int(met)} objectif{'s' if met > 1 else ''} d'audience sur "
                f"{fmt_int(total)} {'est atteint' if met == 1 else 'sont atteints'}."
            )
    return text


def yearly_text(yearly: pd.DataFrame) -> str:
    rows = yearly.dropna(subset=["visits"])
    if len(rows) < 2:
        return ""
    first, last = rows.iloc[0], rows.iloc[-1]
    growth = (last["visits"] - first["visits"]) / first["visits"] * 100
    rounded = (
        " (valeurs arrondies pour les années antérieures)"
        if (rows["precision"] == "rounded").any()
        else ""
    )
    return (
        f"Les visites sont passées de {fmt_int(first['visits'])} en {int(first['year'])} à "
        f"{fmt_int(last['visits'])} en {int(last['year'])}, soit {signed_pct(growth)}{rounded}."
    )


def countries_text(countries: pd.DataFrame) -> str:
    france = countries[countries["is_france"]]["share_pct"].sum()
    mainland = countries.loc[countries["country"].isin(["France"]), "share_pct"].sum()
    return (
        "Sur l'ensemble des sessions (avant le filtre anti-spam), "
        f"{fmt_pct(mainland, 1)} viennent de France métropolitaine et {fmt_pct(france, 1)} avec "
        f"l'outre-mer ; {fmt_pct(100 - france, 1)} de l'étranger ou d'une origine non "
        "déterminée."
    )


# ---------------------------------------------------------------- training and members


def training_text(totals: dict) -> str:
    return (
        f"{fmt_count(totals['sessions'], 'action', 'actions')} de formation collective ont "
        f"réuni {fmt_count(totals['attendance'], 'participant')} pour "
        f"{fmt_int(totals['hours'])} heures-stagiaires."
    )


def activity_table(df: pd.DataFrame, first: str, label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            label: df[first],
            "Sessions": df["sessions"].map(fmt_int),
            "Heures-stagiaires": df["hours"].map(fmt_int),
            "Participants": df["attendance"].map(fmt_int),
        }
    )


def members_text(
    by_status: pd.DataFrame, by_department: pd.DataFrame, by_sector: pd.DataFrame
) -> str:
    total = int(by_status["count"].sum())
    statuses = ", ".join(f"{fmt_int(r.count)} « {r.status} »" for r in by_status.itertuples())
    text = f"La liste de fin d'année compte {fmt_count(total, 'personne')} : {statuses}."
    if not by_department.empty:
        top = by_department.iloc[0]
        text += (
            f" {fmt_pct(top.share_pct)} résident dans le département {top.department} "
            f"({top.department_code})."
        )
    if not by_sector.empty:
        top = by_sector.iloc[0]
        text += (
            f" Le premier secteur d'activité est « {top.sector} » "
            f"({fmt_count(top['count'], 'personne')})."
        )
    return text


def count_table(df: pd.DataFrame, first: str, label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            label: df[first],
            "Nombre": df["count"].map(fmt_int),
            "Part": df["share_pct"].map(lambda v: fmt_pct(v, 1)),
        }
    )


UNIT_LABELS = {"pages_per_visit": "pages", "avg_duration_s": "secondes", "bounce_pct": "%"}


def targets_chart_data(targets: pd.DataFrame) -> pd.DataFrame:
    """The columns the bullet chart wants, with French labels."""
    return pd.DataFrame(
        {
            "metric_label": targets["metric"].map(METRIC_LABELS),
            "value": targets["value"],
            "target": targets["target"],
            "direction": targets["direction"],
            "unit_label": targets["metric"].map(UNIT_LABELS),
            "met": targets["met"],
        }
    )
