"""The data-quality chapter: what was checked, what was found, in words a board reads."""

from __future__ import annotations

import pandas as pd

from cae_report.fr import fmt_count, fmt_num_max

# French names of the raw tables, for the board.
TABLE_NAMES = {
    "sources": "Sources",
    "movements": "Mouvements mensuels",
    "key_figures": "Chiffres du texte",
    "income_statement": "Compte de résultat",
    "training": "Formations",
    "web_audience": "Audience du site",
    "web_targets": "Objectifs d'audience",
    "web_countries": "Pays des visiteurs",
    "web_visits": "Visites annuelles",
    "entrepreneurs": "Liste des entrepreneurs",
    "team": "Équipe d'appui",
    "events": "Événements",
}
ACTIONS = {"corrected": "corrigé", "flagged": "signalé"}
SIDES = {"charges": "Charges", "products": "Produits"}
# French names of the figures stated in the text (key_figures.csv), for the board.
KEY_FIGURE_LABELS = {
    "headcount_start": "Effectif en début d'année",
    "headcount_end": "Effectif en fin d'année",
    "entries": "Intégrations",
    "exits": "Sorties",
    "accompanied": "Entrepreneurs accompagnés",
    "movements": "Mouvements",
    "movement_rate_stated": "Mouvements par entrepreneur (texte)",
    "forecast_headcount_end": "Effectif de fin d'année prévu",
    "forecast_entries": "Intégrations prévues",
    "forecast_exits": "Sorties prévues",
    "forecast_accompanied": "Entrepreneurs accompagnés prévus",
    "forecast_managed": "Objectif : entrepreneurs gérés",
    "contracts_cdi": "Entrepreneurs en CDI",
    "contracts_support": "Conventions d'accompagnement",
    "ratio_receipts": "Recettes sociales et fiscales",
    "ratio_subsidies": "Subventions (ratio)",
    "subsidy_leverage": "Recettes par euro de subvention",
    "own_resources_variance_pct": "Écart des ressources propres (%)",
    "subsidies_share_pct": "Part des subventions (%)",
    "cice_share_pct": "Part du CICE (%)",
    "personnel_share_pct": "Part du personnel (%)",
    "personnel_variance_pct": "Écart des charges de personnel (%)",
    "training_sessions": "Actions de formation",
    "training_hours": "Heures de formation",
    "training_attendance": "Participants aux formations",
    "members": "Associés",
    "mutualisation_contributors": "Contributeurs à la mutualisation",
    "contributors_2000_4000": "Contributeurs entre 2\u202f000 et 4\u202f000\u00a0€",
    "entrepreneurs_revenue": "Chiffre d'affaires des entrepreneurs (€)",
    "members_previous": "Sociétaires (texte)",
}


EXPORT_NAMES = {
    "fec": "Écritures comptables (FEC)",
    "budget": "Budget prévisionnel",
    "audience": "Export d'audience du site",
    "register": "Registre des entrepreneurs",
}


def files_table(coverage: dict[str, str], sources: pd.DataFrame) -> pd.DataFrame:
    """One row per file of the year folder (as sources.csv lists it): what it holds, its
    source, complete or partial. ``coverage`` is kept for callers; sources.csv is the list."""
    from cae_report.data.exports.derive import kind_of

    rows = [
        {
            "Fichier": file,
            "Contenu": TABLE_NAMES.get(file.removesuffix(".csv"))
            or EXPORT_NAMES.get(kind_of(file) or "", file),
            "Source": source,
            "Couverture": "complète" if cov == "complete" else "partielle",
        }
        for file, source, cov in zip(
            sources["file"], sources["source"], sources["coverage"], strict=True
        )
    ]
    return pd.DataFrame(rows, columns=["Fichier", "Contenu", "Source", "Couverture"])


def board_table(anomalies: pd.DataFrame) -> pd.DataFrame:
    """The anomalies as a board reads them: where, what was published, what is kept, why."""

    rows = [
        {
            "Donnée": f"{TABLE_NAMES.get(a.table, a.table)} — {_key_label(a.table, a.key)}",
            "Publié": shown(a.published),
            "Retenu": shown(a.corrected) if a.action == "corrected" else "(inchangé)",
            "Décision": ACTIONS.get(a.action, a.action),
            "Explication": a.message,
        }
        for a in anomalies.itertuples()
    ]
    return pd.DataFrame(rows, columns=["Donnée", "Publié", "Retenu", "Décision", "Explication"])


def shown(value) -> str:
    """A published or corrected value as the board reads it: numbers in French."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, int | float):
        return fmt_num_max(value, 3)
    text = str(value)
    try:
        return fmt_num_max(float(text), 3) if text.strip() else ""
    except ValueError:
        return text


def _key_label(table: str, key: str) -> str:
    if table == "key_figures":
        return KEY_FIGURE_LABELS.get(key, key)
    side, _, label = key.partition(" / ")
    if table == "income_statement" and side in SIDES:
        return f"{SIDES[side]} / {label}"
    return key


def stated_table(key_figures: pd.DataFrame) -> pd.DataFrame:
    """The figures a (partial) year's text states, in French, with their source."""
    return pd.DataFrame(
        {
            "Chiffre": [KEY_FIGURE_LABELS.get(k, k) for k in key_figures["indicator"]],
            "Valeur": [shown(v) for v in key_figures["value"]],
            "Source": key_figures["source"],
        }
    )


def summary_sentence(year: int, anomalies: pd.DataFrame, complete: bool) -> str:
    """One paragraph: how many findings, how many corrected, how many only flagged."""
    if not complete and anomalies.empty:
        return (
            f"Les données de {year} sont partielles : seules les informations reprises dans "
            "un rapport ultérieur sont disponibles. Elles ont été contrôlées sans anomalie."
        )
    if anomalies.empty:
        return f"Les contrôles de cohérence des données de {year} n'ont relevé aucune anomalie."
    corrected = int((anomalies["action"] == "corrected").sum())
    flagged = len(anomalies) - corrected
    return (
        f"Les contrôles de cohérence des chiffres publiés pour {year} ont relevé "
        f"{fmt_count(len(anomalies), 'anomalie')} : "
        f"{fmt_count(corrected, 'correction', 'corrections')} déduite"
        f"{'s' if corrected > 1 else ''} des autres chiffres du rapport, et "
        f"{fmt_count(flagged, 'point signalé', 'points signalés')} que les données ne "
        "permettent pas de trancher. Les analyses qui suivent utilisent les valeurs retenues."
    )
