"""French sentences and board-ready tables, built from computed results only.

Every number the report prints goes through here or :mod:`cae_report.report.audit`:
nothing is typed. Functions take the outputs of the analysis modules and return
markdown strings or DataFrames of formatted strings (for ``display.table``).

Data is text: every value that comes from the data (names, labels, places, activities,
messages) is escaped with :func:`cae_report.report.display.escape` before it is put into a
sentence; table cells are escaped by ``display.table`` itself, except the :class:`Markdown`
cells built here (bold headings of the income statement), whose data parts are escaped.
"""

from __future__ import annotations

import re

import pandas as pd

from cae_report.analysis.budget import GROUP_LABELS, MATERIALITY_EUR, MATERIALITY_PCT
from cae_report.data.keyfigures import missing as _missing
from cae_report.fr import (
    DASH,
    DISAGREE,
    NBSP,
    fmt_count,
    fmt_date,
    fmt_duration,
    fmt_eur,
    fmt_int,
    fmt_num,
    fmt_num_max,
    fmt_pct,
    fmt_signed_eur,
    month_name,
)
from cae_report.report.display import Markdown, escape


def no_data(topic: str, year: int) -> str:
    """The one sentence a section without data shows instead of charts."""
    return f"Les données de {year} ne comprennent pas {topic}."


def _signed_int(value) -> str:
    return ("+" if value > 0 else "") + fmt_int(value)


def signed_pct(value, decimals: int = 0) -> str:
    return "non défini" if _missing(value) else fmt_pct(value, decimals, signed=True)


# ---------------------------------------------------------------- movements


def peaks_text(peaks: pd.DataFrame) -> str:
    months = [
        f"{month_name(int(r.month))} ({fmt_count(r.entries, 'entrée')}, "
        f"{fmt_count(r.exits, 'sortie')})"
        for r in peaks.itertuples()
    ]
    listed = ", ".join(months[:-1]) + " et " + months[-1] if len(months) > 1 else months[0]
    return f"Les mois les plus chargés en mouvements ont été {listed}."


def _annex_point(number: int | None) -> str:
    return f" (point {number} de l'annexe « Contrôles et corrections »)" if number else ""


def caveats(anomalies: pd.DataFrame, keys: tuple[str, ...]) -> str:
    """The flagged anomalies about figures a section shows, said where they are shown, each
    with the number of its point in the annex « Contrôles et corrections »."""
    from cae_report.report.audit import findings

    frame = anomalies.reset_index(drop=True)
    numbered = {"table", "rule"} <= set(frame.columns)
    numbers = {i: f.number for f in findings(frame) for i in f.rows["_row"]} if numbered else {}
    rows = frame[(frame["action"] == "flagged") & frame["key"].isin(keys)]
    if rows.empty:
        return ""
    # One line per root cause (its rows share the message), its first sentence: the
    # hypotheses and candidates are the annex's.
    seen: dict[str, str] = {}
    for i, message in zip(rows.index, rows["message"], strict=True):
        cause = str(numbers.get(i) or message)
        if cause not in seen:
            first = re.split(r"\.\s+(?=[A-ZÀÂÉÈÊÎÔÙÛÇ])", str(message).strip(), maxsplit=1)[0]
            first = first.removeprefix(DISAGREE)  # the list's heading says it once
            first = first[:1].upper() + first[1:]
            seen[cause] = f"- {escape(first.rstrip('.'))}{_annex_point(numbers.get(i))}."
    items = "\n".join(seen.values())
    return f"À noter, les chiffres publiés suivants ne concordent pas :\n\n{items}"


# ---------------------------------------------------------------- budget


def _variance(actual: float, budget: float) -> float | None:
    return (actual - budget) / budget * 100 if budget else None


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
        f"{escape(r.label)} ({fmt_signed_eur(r.variance_eur)}, {signed_pct(r.variance_pct)})"
        for r in material.itertuples()
    )
    return f"{rule} Lignes qui l’atteignent ({fmt_int(len(material))}) : {items}."


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
    statuses = ", ".join(
        f"{fmt_int(r.count)} « {escape(r.status)} »" for r in by_status.itertuples()
    )
    text = f"La liste de fin d'année compte {fmt_count(total, 'personne')} : {statuses}."
    if not by_department.empty:
        top = by_department.iloc[0]
        text += (
            f" {fmt_pct(top.share_pct)} résident dans le département {escape(top.department)} "
            f"({escape(top.department_code)})."
        )
    if not by_sector.empty:
        top = by_sector.iloc[0]
        text += (
            f" Le premier secteur d'activité est « {escape(top.sector)} » "
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


# ---------------------------------------------------------------- helpers of the tables below


def _or_dash(value, formatter) -> str:
    return DASH if _missing(value) else formatter(value)


def _marked(text: str, marks: dict, key: str, field: str) -> Markdown:
    """A cell (``text``: data or a formatted figure, escaped here) with the mark of its
    correction, if the checks corrected it (see :func:`cae_report.report.audit.mark`)."""
    return Markdown(escape(text) + marks.get((key, field), ""))


def _month_year(value) -> str:
    """``2016-09`` → ``septembre 2016``; empty for a missing month."""
    if _missing(value) or not str(value):
        return ""
    text = str(value)
    return f"{month_name(int(text[5:7]))} {text[:4]}"


def _bold(cell: Markdown) -> Markdown:
    return Markdown(f"**{cell}**") if cell else cell


def _strong(text: str) -> Markdown:
    return Markdown(f"**{escape(text)}**") if text else Markdown("")


# ---------------------------------------------------------------- « Les chiffres de l'année »

ENTREPRENEUR_ROWS = (
    ("headcount_start", "Entrepreneurs en début d'année"),
    ("headcount_end", "Entrepreneurs en fin d'année"),
    ("entries", "Personnes intégrées"),
    ("exits", "Personnes sorties"),
    ("accompanied", "Entrepreneurs accompagnés"),
)


def entrepreneurs_table(summary: dict, forecast: pd.DataFrame) -> pd.DataFrame:
    """The year's flows of entrepreneurs against the forecast (« prévu »), as the original's
    list « Les entrepreneurs »: start, end, entries, exits, people accompanied."""
    planned = dict(zip(forecast["indicator"], forecast["forecast"], strict=True))
    rows = [
        {
            "Indicateur": label,
            "Réalisé": _or_dash(summary.get(key), fmt_int),
            "Prévu": _or_dash(planned.get(key), fmt_int),
            "Écart": _or_dash(
                None if key not in planned else summary[key] - planned[key], _signed_int
            ),
        }
        for key, label in ENTREPRENEUR_ROWS
        if not _missing(summary.get(key))
    ]
    return pd.DataFrame(rows, columns=["Indicateur", "Réalisé", "Prévu", "Écart"])


def monthly_table(monthly: pd.DataFrame, year: int, marks: dict) -> pd.DataFrame:
    """The monthly movements as the original prints them: one column per month, rows
    entries, exits and month-end headcount, and the year's total (the year-end headcount
    for the last row). ``marks``: :func:`cae_report.report.audit.cell_marks` of movements."""
    months = [month_name(int(m), short=True) for m in monthly["month"]]
    keys = [f"{year}-{int(m):02d}" for m in monthly["month"]]
    rows = []
    for field, label, total in (
        ("entries", "Entrées", monthly["entries"].sum()),
        ("exits", "Sorties", monthly["exits"].sum()),
        ("headcount_end", "Effectif en fin de mois", monthly["headcount_end"].iloc[-1]),
    ):
        cells = [
            _marked(fmt_int(v), marks, k, field) for k, v in zip(keys, monthly[field], strict=True)
        ]
        rows.append([label, *cells, fmt_int(total)])
    return pd.DataFrame(rows, columns=["", *months, "Total"])


def contracts_table(current: dict, previous: dict | None, year: int) -> pd.DataFrame:
    """Contracts of the entrepreneurs at year end, this year and the year before."""
    previous = previous or {}
    rows = [
        ("Entrepreneurs en CDI (contrat CESA)", "contracts_cdi"),
        ("Entrepreneurs en convention d'accompagnement (CAPE)", "contracts_support"),
    ]
    return pd.DataFrame(
        [
            [label, _or_dash(current.get(key), fmt_int), _or_dash(previous.get(key), fmt_int)]
            for label, key in rows
            if not _missing(current.get(key))
        ],
        columns=["Contrat", f"Fin {year}", f"Fin {year - 1}"],
    )


def economy_table(values: dict, leverage: dict) -> pd.DataFrame:
    """The entrepreneurs' activity and what it brings back to public finances: revenue,
    VAT, contributions, and the receipts for one euro of subsidy (« ratio subventions /
    recettes sociales et fiscales »)."""
    receipts = leverage["receipts_recomputed"] or leverage["receipts"]
    ratio = None if not receipts or not leverage["subsidies"] else receipts / leverage["subsidies"]
    growth = values.get("entrepreneurs_revenue_growth_pct")
    rows = [
        (
            "Chiffre d'affaires des entrepreneurs",
            _or_dash(values.get("entrepreneurs_revenue"), fmt_eur),
        ),
        ("Évolution sur un an (chiffre du rapport)", _or_dash(growth, lambda v: signed_pct(v))),
        ("TVA reversée", _or_dash(values.get("vat_paid_back"), fmt_eur)),
        (
            "Cotisations salariales et patronales",
            _or_dash(values.get("social_contributions"), fmt_eur),
        ),
        ("Recettes sociales et fiscales (TVA et cotisations)", _or_dash(receipts, fmt_eur)),
        ("Subventions d'exploitation", _or_dash(leverage["subsidies"], fmt_eur)),
        (
            "Recettes pour 1\u00a0€ de subvention (hors impôt sur le revenu)",
            _or_dash(ratio, lambda v: fmt_eur(v, 1)),
        ),
    ]
    return pd.DataFrame([r for r in rows if r[1] != DASH], columns=["Indicateur", "Montant"])


# ---------------------------------------------------------------- the support team


def _working_time(fte_pct, hours_per_month) -> str:
    """« 90 % d'un temps plein », « 60 h par mois (40 % d'un temps plein) », « 80 h par mois »."""
    share = "" if _missing(fte_pct) else f"{fmt_pct(fte_pct)} d'un temps plein"
    if _missing(hours_per_month):
        return share or DASH
    hours = f"{fmt_num_max(hours_per_month, 1)}{NBSP}h par mois"
    return f"{hours} ({share})" if share else hours


def team_table(team: pd.DataFrame) -> pd.DataFrame:
    """The support team as published: role, working time (share of a full-time post and/or
    monthly hours, as stated), arrival and departure during the year."""
    return pd.DataFrame(
        {
            "Nom": team["name"],
            "Fonction": team["role"],
            "Temps de travail": [
                _working_time(f, h)
                for f, h in zip(team["fte_pct"], team["hours_per_month"], strict=True)
            ],
            "Arrivée": team["arrival"].map(_month_year),
            "Départ": team["departure"].map(_month_year),
        }
    )


# ---------------------------------------------------------------- training


def sessions_table(sessions: pd.DataFrame, marks: dict, totals_marks: dict) -> pd.DataFrame:
    """The collective training sessions, one row each in date order, and their total.
    ``marks``: corrected cells of the training table; ``totals_marks``: those of the key
    figures (the announced totals the table corrected)."""
    ordered = sessions.sort_values(["date", "summary"], kind="stable")
    rows = [
        [
            fmt_date(r.date),
            r.type,
            r.summary,
            _marked(r.place, marks, f"{r.date} / {r.summary}", "place"),
            fmt_int(r.attendees),
            fmt_num_max(r.hours, 1),
        ]
        for r in ordered.itertuples()
    ]
    attendance = _marked(
        fmt_int(ordered["attendees"].sum()), totals_marks, "training_attendance", "value"
    )
    hours = _marked(fmt_num_max(ordered["hours"].sum(), 1), totals_marks, "training_hours", "value")
    total = fmt_count(len(ordered), "session")
    rows.append([_strong("Total"), _strong(total), "", "", _bold(attendance), _bold(hours)])
    return pd.DataFrame(rows, columns=["Date", "Type", "Sujet", "Lieu", "Présents", "Heures"])


def opca_table(values: dict) -> pd.DataFrame:
    """The training requests filed with the training fund (OPCA) and what it funded."""
    rows = [
        ("Demandes de prise en charge formulées", values.get("training_requests"), fmt_int),
        ("Demandes prises en charge", values.get("training_requests_funded"), fmt_int),
        ("Montant pris en charge", values.get("training_funded_amount"), fmt_eur),
    ]
    return pd.DataFrame(
        [(label, fmt(v)) for label, v, fmt in rows if not _missing(v)],
        columns=["Demandes à l'OPCA", "Nombre ou montant"],
    )


# ---------------------------------------------------------------- sociétariat

MOVEMENT_LABELS = {"entry": "Entrée (candidature acceptée)", "exit": "Sortie"}
CATEGORY_LABELS = {"employee": "Salarié", "external": "Extérieur"}


def societariat_table(summary: dict, year: int) -> pd.DataFrame:
    """Associés at the start and end of the year, entries and exits, end split."""
    rows = [
        (f"Associés au 1er janvier {year} (calculé)", summary["members_start"]),
        ("Entrées", summary["members_entries"]),
        ("Sorties", summary["members_exits"]),
        (f"Associés au 31 décembre {year}", summary["members_end"]),
        ("dont salariés", summary["members_employees"]),
        ("dont extérieurs", summary["members_external"]),
    ]
    return pd.DataFrame(
        [(label, fmt_int(v)) for label, v in rows if not _missing(v)],
        columns=["Sociétariat", "Associés"],
    )


def member_moves_table(moves: pd.DataFrame, names: bool) -> pd.DataFrame:
    """The entries and exits of associés; ``names`` False leaves the names out (setting
    ``public_names`` of data/cooperative.yml)."""
    frame = pd.DataFrame(
        {
            "Mois": moves["month"].map(_month_year),
            "Mouvement": moves["movement"].map(MOVEMENT_LABELS),
            "Associé": moves["name"],
            "Catégorie": moves["category"].map(CATEGORY_LABELS),
        }
    )
    return frame if names else frame.drop(columns="Associé")


# ---------------------------------------------------------------- income statement

SIDE_TITLES = {"charges": "Charges", "products": "Produits"}
_DEFAULT_LABELS = {
    "total": {
        "charges": "Total des charges d'exploitation",
        "products": "Total des produits d'exploitation",
    },
    "operating_surplus": {"products": "Excédent brut d'exploitation"},
    "result": {"charges": "Résultat"},
    "grand_total": {"charges": "Total général", "products": "Total général"},
}
_STRONG_KINDS = frozenset({"group", "total", "operating_surplus", "result", "grand_total"})
_EMPHASIS = {**dict.fromkeys(_STRONG_KINDS, "**"), "subtotal": "*"}
"""Headings and totals in bold, subtotals in italics, lines plain."""


def _group_heading(side: str, group: str) -> str:
    label = GROUP_LABELS.get(group, group)
    return f"{group} {label}" if side == "charges" else label


def _statement_label(row, notes: dict) -> str:
    if row.kind == "group":
        return _strong(_group_heading(row.side, row.group))
    label = row.label or _DEFAULT_LABELS.get(row.kind, {}).get(row.side, "")
    if row.kind == "subtotal" and not row.label:
        label = f"Sous-total {GROUP_LABELS.get(row.group, row.group)}"
    note, mark = notes.get(row.label, ""), _EMPHASIS.get(row.kind, "")
    return Markdown(f"{mark}{escape(label)}{mark}{note}")


def _statement_pct(row, marks: dict) -> str:
    if row.kind not in ("line", "subtotal", "total") or _missing(row.actual):
        return ""
    text = "non défini" if _missing(row.variance_pct) else signed_pct(row.variance_pct, 1)
    return _marked(text, marks, f"{row.side} / {row.label}", "published_variance_pct")


def _statement_amount(row, column: str, marks: dict) -> str:
    value = getattr(row, column)
    if row.kind == "group" or (column != "actual" and _missing(value)):
        return ""
    text = _or_dash(value, fmt_signed_eur if column == "variance_eur" else fmt_eur)
    if column == "actual":
        text = _marked(text, marks, f"{row.side} / {row.label}", column)
    mark = _EMPHASIS.get(row.kind, "")
    return Markdown(f"{mark}{escape(text)}{mark}")


def statement_table(rows: pd.DataFrame, side: str, marks: dict, notes: dict) -> pd.DataFrame:
    """One side of the income statement (``side``: charges or products), in its published
    form: groups, lines, subtotals, total, rows below the operating result, result, grand
    total; actual, budget and variance. ``marks``: corrected cells of the income statement;
    ``notes``: {label: markdown} printed after a line's label (a subsidy's amount received)."""
    part = rows[rows["side"] == side]
    return pd.DataFrame(
        {
            SIDE_TITLES[side]: [_statement_label(r, notes) for r in part.itertuples()],
            "Réalisé": [_statement_amount(r, "actual", marks) for r in part.itertuples()],
            "Prévisionnel": [_statement_amount(r, "budget", marks) for r in part.itertuples()],
            "Écart": [_statement_amount(r, "variance_eur", marks) for r in part.itertuples()],
            "Écart (%)": [_statement_pct(r, marks) for r in part.itertuples()],
        }
    )


def received_note(grants: pd.DataFrame) -> dict[str, Markdown]:
    """{line label: note} for subsidies booked as granted but only partly received."""
    return {
        r.label: Markdown(f" (reçu\u00a0: {fmt_eur(r.received, 2)})")
        for r in grants.itertuples()
        if not _missing(r.received) and r.remaining
    }


def shares_table(shares: pd.DataFrame, side: str) -> pd.DataFrame:
    """The analysis of resources (products) or of uses (charges): each operating group with
    its variance and its share of the side's total, then the total."""
    total = shares[["actual", "budget"]].sum(min_count=1)
    rows = [
        [
            GROUP_LABELS.get(r.group, r.group),
            _or_dash(r.actual, fmt_eur),
            _or_dash(r.budget, fmt_eur),
            signed_pct(r.variance_pct, 1),
            _or_dash(r.share_pct, lambda v: fmt_pct(v, 1)),
        ]
        for r in shares.itertuples()
    ]
    variance = (
        None
        if _missing(total["actual"]) or _missing(total["budget"])
        else _variance(total["actual"], total["budget"])
    )
    rows.append(
        [
            _strong("Total"),
            Markdown(f"**{_or_dash(total['actual'], fmt_eur)}**"),
            Markdown(f"**{_or_dash(total['budget'], fmt_eur)}**"),
            signed_pct(variance, 1),
            fmt_pct(100),
        ]
    )
    share = "Part des produits" if side == "products" else "Part des charges"
    first = "Ressources" if side == "products" else "Emplois"
    return pd.DataFrame(rows, columns=[first, "Réalisé", "Prévisionnel", "Écart (%)", share])


# ---------------------------------------------------------------- website (annex)

AUDIENCE_ROWS = (
    ("visits", "Visites", fmt_int),
    ("visitors", "Visiteurs", fmt_int),
    ("pageviews", "Pages vues", fmt_int),
    ("pages_per_visit", "Pages par visite", lambda v: fmt_num(v, 2)),
    ("avg_duration_s", "Durée moyenne d'une visite", fmt_duration),
    ("bounce_pct", "Visites d'une seule page", lambda v: fmt_pct(v, 2)),
)


def audience_table(web: pd.DataFrame) -> pd.DataFrame:
    """The audience block of the original: each metric for the filtered segment and for
    all data, and the segment's share of all data for the counts."""
    by_segment = web.set_index("segment")
    segments = [s for s in ("filtered", "all") if s in by_segment.index]
    names = [by_segment.loc[s, "segment_label"] for s in segments]
    rows = []
    for column, label, fmt in AUDIENCE_ROWS:
        cells = [fmt(by_segment.loc[s, column]) for s in segments]
        share = ""
        if len(segments) == 2 and column in ("visits", "visitors", "pageviews"):
            share = fmt_pct(
                by_segment.loc["filtered", column] / by_segment.loc["all", column] * 100, 2
            )
        rows.append([label, *cells, share] if len(segments) == 2 else [label, *cells])
    columns = (
        ["Indicateur", *names, "Part du segment"] if len(segments) == 2 else ["Indicateur", *names]
    )
    return pd.DataFrame(rows, columns=columns)


def yearly_table(yearly: pd.DataFrame) -> pd.DataFrame:
    """Visits per year, with the year-on-year change; rounded figures said so."""
    return pd.DataFrame(
        {
            "Année": yearly["year"].astype(int).astype(str),
            "Visites": [
                fmt_int(v) + (" (arrondi)" if p == "rounded" else "")
                for v, p in zip(yearly["visits"], yearly["precision"], strict=True)
            ],
            "Évolution": yearly["growth_pct"].map(lambda v: "" if _missing(v) else signed_pct(v)),
        }
    )


def countries_table(countries: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Pays": countries["country"],
            "Sessions": countries["sessions"].map(fmt_int),
            "Part": countries["share_pct"].map(lambda v: fmt_pct(v, 1)),
        }
    )


# ---------------------------------------------------------------- list of entrepreneurs

PUBLIC_LIST = {
    "surname": "Nom",
    "first_name": "Prénom",
    "activity": "Activité",
    "town": "Commune",
    "status": "Statut",
}


def entrepreneurs_list(people: pd.DataFrame, names: bool, marks: dict) -> pd.DataFrame:
    """The public list: name, activity, commune and status (no address), in name order;
    ``names`` False (setting ``public_names``) leaves the names out, in commune order."""
    order = ["surname", "first_name"] if names else ["town", "activity"]
    ordered = people.sort_values(order, kind="stable")
    frame = ordered[list(PUBLIC_LIST)].rename(columns=PUBLIC_LIST).fillna("").astype("str")
    frame["Commune"] = [
        _marked(r.town, marks, f"{r.surname} {r.first_name}", "town") for r in ordered.itertuples()
    ]
    frame = frame.reset_index(drop=True)
    return frame if names else frame.drop(columns=["Nom", "Prénom"])
