"""The data-quality chapter: what was checked, what was found, in words a board reads."""

from __future__ import annotations

import pandas as pd

from .contract import TABLES
from .fr import fmt_count

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


def files_table(coverage: dict[str, str], sources: pd.DataFrame) -> pd.DataFrame:
    """One row per data file of the year: what it holds, its source, complete or partial."""
    source = dict(zip(sources["file"], sources["source"], strict=True))
    rows = [
        {
            "Fichier": f"{name}.csv",
            "Contenu": TABLE_NAMES.get(name, name),
            "Source": source.get(f"{name}.csv", ""),
            "Couverture": "complète" if cov == "complete" else "partielle",
        }
        for name, cov in coverage.items()
        if name in TABLES
    ]
    return pd.DataFrame(rows, columns=["Fichier", "Contenu", "Source", "Couverture"])


def board_table(anomalies: pd.DataFrame) -> pd.DataFrame:
    """The anomalies as a board reads them: where, what was published, what is kept, why."""

    def shown(value) -> str:
        return "" if pd.isna(value) or value is None else str(value)

    rows = [
        {
            "Donnée": f"{TABLE_NAMES.get(a.table, a.table)} — {a.key}",
            "Publié": shown(a.published),
            "Retenu": shown(a.corrected) if a.action == "corrected" else "(inchangé)",
            "Décision": ACTIONS.get(a.action, a.action),
            "Explication": a.message,
        }
        for a in anomalies.itertuples()
    ]
    return pd.DataFrame(rows, columns=["Donnée", "Publié", "Retenu", "Décision", "Explication"])


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
