"""What the checks found, in words a board reads: the public annex « Contrôles et
corrections » (one line per root cause, no person named), the marks that point to it from the
corrected cells of the tables, and the full anomaly table of the internal edition.

Anomalies come from the cleaning rules (``anomalies.csv``). When the rows carry a ``finding``
(root-cause id shared by the rows it derives) and a ``status`` (corrected, probable, undecided,
note), they are used; otherwise rows are grouped by rule and action, which is what one root
cause looks like today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from cae_report.fr import fmt_count, fmt_date, fmt_num_max, month_name
from cae_report.report.display import Markdown, escape

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
    "members": "Sociétariat",
}
PERSONAL_TABLES = frozenset({"entrepreneurs", "team", "members"})
"""Tables whose rows are people: the public annex never quotes their keys or messages."""
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
    "members_target": "Objectif d'associés",
    "members_target_year": "Année de l'objectif d'associés",
    "training_requests": "Demandes de formation à l'OPCA",
    "training_requests_funded": "Demandes prises en charge",
    "training_funded_amount": "Montant pris en charge (€)",
    "vat_paid_back": "TVA reversée (€)",
    "social_contributions": "Cotisations sociales (€)",
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
    found = findings(anomalies)
    counts = {status: sum(f.status == status for f in found) for status in STATUS_LABELS}
    changed = int((anomalies["action"] == "corrected").sum())
    parts = [
        fmt_count(counts["corrected"], "correction décidée", "corrections décidées")
        + " par les autres chiffres",
        fmt_count(counts["probable"], "correction probable", "corrections probables"),
        fmt_count(
            counts["undecided"] + counts["flagged"], "point non tranché", "points non tranchés"
        ),
        fmt_count(counts["note"], "remarque"),
    ]
    listed = ", ".join(p for p in parts if not p.startswith("0")) or "aucun point"
    return (
        f"Les contrôles de cohérence des chiffres publiés pour {year} portent sur "
        f"{fmt_count(len(anomalies), 'valeur')} (le tableau ci-dessous, une ligne par valeur, "
        f"dont {fmt_count(changed, 'valeur changée', 'valeurs changées')}), regroupées en "
        f"{fmt_count(len(found), 'point')} dans la liste qui précède : {listed}. Les analyses "
        "utilisent les valeurs retenues."
    )


# ---------------------------------------------------------------- findings (public annex)

STATUS_LABELS = {
    "corrected": "Corrigé",
    "probable": "Correction probable",
    "undecided": "Non tranché",
    "note": "Remarque",
    "flagged": "Signalé",
}
FIELD_LABELS = {
    "status": "statut",
    "town": "commune",
    "address": "adresse",
    "fte_pct": "part d'un temps plein",
    "name": "nom",
}
PLACE_FIELDS = {"town"}
"""Fields of a table of people that the public report prints (the commune of the list)."""
RULE_LABELS = {
    "year_end_list": "la liste de fin d'année ne concorde pas avec les effectifs du texte",
    "commune_names": "communes abrégées (« ST », « MT ») écrites en entier, pour ne pas compter "
    "une commune deux fois",
    "shared_address": "une même adresse figure sous deux communes différentes : l'une des deux "
    "est sans doute recopiée",
    "team_fte": "la part d'un temps plein ne concorde pas avec les heures par mois",
}
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Finding:
    """One root cause: its number in the annex, its status and the anomaly rows it explains."""

    number: int
    status: str
    rows: pd.DataFrame

    @property
    def corrected(self) -> bool:
        """Whether the clean tables carry a new value for it: a correction the figures decide,
        or a probable one (applied, and said to be probable in the annex)."""
        return self.status in ("corrected", "probable")


def mark(number: int) -> str:
    """The visible mark of a corrected cell: the finding's number in superscript (``⁷``)."""
    return str(number).translate(_SUPERSCRIPTS)


def _status(row) -> str:
    status = getattr(row, "status", None)
    if isinstance(status, str) and status:
        return status
    return "corrected" if row.action == "corrected" else "flagged"


def _group(row) -> str:
    finding = getattr(row, "finding", None)
    if isinstance(finding, str) and finding:
        return finding
    return f"{row.rule}/{row.action}"


_RANK = {"corrected": 0, "probable": 1, "undecided": 2, "flagged": 2}
"""Order of the annex: corrections, probable corrections, open questions, then remarks."""


def findings(anomalies: pd.DataFrame) -> list[Finding]:
    """The distinct root causes, corrections first, each in order of first appearance.

    The numbering is a function of the anomalies alone, so every notebook that marks a cell
    and the annex that explains it agree on the number."""
    if anomalies.empty:
        return []
    frame = anomalies.reset_index(drop=True)
    frame = frame.assign(_row=frame.index)
    groups = [_group(r) for r in frame.itertuples()]
    statuses = [_status(r) for r in frame.itertuples()]
    order = list(dict.fromkeys(groups))
    order.sort(key=lambda g: _RANK.get(statuses[groups.index(g)], len(_RANK)))
    found = []
    for number, group in enumerate(order, start=1):
        rows = frame[[g == group for g in groups]]
        found.append(Finding(number, statuses[groups.index(group)], rows))
    return found


def _key_text(table: str, key: str) -> str:
    """A row's key as the board reads it: a month or a date in French, a label."""
    if re.fullmatch(r"\d{4}-\d{2}", key):
        return f"{month_name(int(key[5:]))} {key[:4]}"
    first, sep, rest = key.partition(" / ")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", first):
        return fmt_date(first) + (f", {rest}" if sep else "")
    return _key_label(table, key)


def _public_part(table: str, rows: pd.DataFrame) -> str:
    """What a finding says of one table: its messages, or for tables of people a count of
    the rows concerned and what is wrong, without the key (a name) or the message."""
    name = TABLE_NAMES.get(table, table)
    if table in PERSONAL_TABLES and set(rows["field"]) <= PLACE_FIELDS:
        # A commune is printed in the public list: its messages name places, not people.
        messages = list(dict.fromkeys(str(m).rstrip(".") for m in rows["message"]))
        return f"{name} ({fmt_count(len(rows), 'ligne')}) : " + " ; ".join(messages)
    if table in PERSONAL_TABLES:
        fields = ", ".join(dict.fromkeys(FIELD_LABELS.get(f, f) for f in rows["field"]))
        return f"{name} : {fmt_count(len(rows), 'ligne')} ({fields})"
    messages = list(dict.fromkeys(str(m).rstrip(".") for m in rows["message"]))
    if len(rows) == 1:
        return f"{name}, {_key_text(table, str(rows['key'].iloc[0]))} : {messages[0]}"
    count = fmt_count(len(rows), "ligne")
    return f"{name} ({count}) : " + " ; ".join(messages)


def finding_text(finding: Finding) -> str:
    """The plain French sentence of a finding (unescaped): what, where, and what was kept."""
    rows = finding.rows
    parts = [_public_part(t, rows[rows["table"] == t]) for t in dict.fromkeys(rows["table"])]
    rule = RULE_LABELS.get(str(rows["rule"].iloc[0]))
    text = " ; ".join(parts)
    hidden = rows["table"].isin(PERSONAL_TABLES) & ~rows["field"].isin(PLACE_FIELDS)
    if rule and hidden.any():
        text = f"{text} — {rule}"
    # Dates as the board reads them (a table's key may quote one: « 2016-02-11 / Formation »).
    text = re.sub(r"\b(\d{4}-\d{2}-\d{2}) / ", lambda m: f"{fmt_date(m.group(1))}, ", text)
    text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", lambda m: fmt_date(m.group(0)), text)
    return text.rstrip(".") + "."


def annex_markdown(found: list[Finding]) -> str:
    """The annex list: one numbered line per finding, its status in bold."""
    return "\n".join(
        f"{f.number}. **{STATUS_LABELS.get(f.status, f.status)}.** {escape(finding_text(f))}"
        for f in found
    )


def annex_intro(year: int, found: list[Finding]) -> str:
    """The annex's opening paragraph: how many root causes, how many corrected."""
    if not found:
        return f"Les contrôles de cohérence des données de {year} n'ont relevé aucune anomalie."
    corrected = sum(f.corrected for f in found)
    return (
        f"Avant tout calcul, les chiffres de {year} ont été confrontés entre eux (effectifs mois "
        "par mois, sous-totaux et totaux du compte de résultat, pourcentages, totaux des "
        "formations, liste des entrepreneurs, noms de lieux). Une valeur que les autres chiffres "
        "permettent de retrouver est corrigée, partout où elle figure ; sinon elle est seulement "
        f"signalée. Les contrôles relèvent {fmt_count(len(found), 'point')}, dont "
        f"{fmt_count(corrected, 'correction')}. Dans les tableaux, une valeur corrigée porte "
        "en exposant le numéro du point qui l'explique."
    )


def cell_marks(
    anomalies: pd.DataFrame, table: str, keys: tuple[str, ...] | None = None
) -> dict[tuple[str, str], str]:
    """``(key, field) → mark`` for the corrected cells of one table (see :func:`mark`);
    ``keys``: only the rows with these keys (the key figures a table shows)."""
    marks: dict[tuple[str, str], str] = {}
    for finding in findings(anomalies):
        if not finding.corrected:
            continue
        rows = finding.rows[finding.rows["table"] == table]
        if keys is not None:
            rows = rows[rows["key"].isin(keys)]
        for key, field in zip(rows["key"], rows["field"], strict=True):
            marks[(str(key), str(field))] = mark(finding.number)
    return marks


def table_notes(marks: dict[tuple[str, str], str]) -> str:
    """The note under a table whose cells carry marks: where each mark is explained."""
    used = sorted(set(marks.values()), key=lambda m: int(m.translate(_FROM_SUPERSCRIPTS)))
    if not used:
        return ""
    return Markdown(
        "\\\n".join(
            f"{m}\u00a0Valeur corrigée : voir l'annexe « Contrôles et corrections », point "
            f"{m.translate(_FROM_SUPERSCRIPTS)}."
            for m in used
        )
    )


_FROM_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
