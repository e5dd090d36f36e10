"""The year-end list of entrepreneurs, the contract counts, the members (associés), the team.

Identities, each resting on an assumption said in its message: the list is the list at the
end of the year and « Entrepreneur salarié » in it means a CDI, « En convention » a support
agreement; the people present are those not marked « Sortie »; so the text's CDI count, its
support count and its year-end headcount are counts of the list. The list's rows are the
detail: a count of the list is never changed to fit the text (that would change people).
"""

from __future__ import annotations

import pandas as pd

from cae_report.clean.base import Anomaly, Context, Tables, kf, n, plain
from cae_report.clean.identities import Builder
from cae_report.clean.solver import linear
from cae_report.data.keyfigures import stated

RULE = "headcount_identities"
CDI, SUPPORT, CDD, LEFT = "Entrepreneur salarié", "En convention", "CDD", "Sortie"
LIST_IS_YEAR_END = (
    "la liste des entrepreneurs est celle du 31 décembre, « Entrepreneur salarié » y désigne un "
    "CDI et « En convention » une convention d'accompagnement"
)
PRESENT = "les présents en fin d'année sont les lignes de la liste qui ne sont pas « Sortie »"
TWO_CONTRACTS = "tout entrepreneur présent est soit en CDI, soit en convention"
# Legal monthly hours of a full-time post (35 h × 52 / 12), to check shares of a post.
FULL_TIME_HOURS_PER_MONTH = 151.67


def declare(builder: Builder, tables: Tables, context: Context) -> None:
    cdi = builder.key_figure("contracts_cdi", "Entrepreneurs en CDI (texte)", derived=True)
    support = builder.key_figure(
        "contracts_support", "Entrepreneurs en convention (texte)", derived=True
    )
    end = builder.key_figure("headcount_end", "Effectif en fin d'année (texte)", derived=True)
    people = tables.get("entrepreneurs")
    if people is None:
        if None not in (cdi, support, end):
            builder.add(
                linear(
                    "effectif de fin d'année = CDI + conventions",
                    {end: 1, cdi: -1, support: -1},
                    assumption=TWO_CONTRACTS,
                )
            )
        return
    counts = people["status"].value_counts()
    listed = {s: int(counts.get(s, 0)) for s in (CDI, SUPPORT, CDD, LEFT)}
    present = len(people) - listed[LEFT]
    if cdi is not None:
        builder.add(
            linear(
                f"CDI = lignes « {CDI} » de la liste ({listed[CDI]})",
                {cdi: 1},
                -listed[CDI],
                assumption=LIST_IS_YEAR_END,
            )
        )
    if support is not None:
        builder.add(
            linear(
                f"conventions = lignes « {SUPPORT} » de la liste ({listed[SUPPORT]})",
                {support: 1},
                -listed[SUPPORT],
                assumption=LIST_IS_YEAR_END,
            )
        )
    if end is not None:
        builder.add(
            linear(
                f"effectif de fin d'année = présents de la liste ({present} sur "
                f"{len(people)} lignes)",
                {end: 1},
                -present,
                assumption=PRESENT,
            )
        )
    if None not in (cdi, support, end):
        builder.add(
            linear(
                "effectif de fin d'année = CDI + conventions"
                + (f" + CDD de la liste ({listed[CDD]})" if listed[CDD] else ""),
                {end: 1, cdi: -1, support: -1},
                -listed[CDD],
                assumption=TWO_CONTRACTS,
            )
        )


def list_rows(tables: Tables, anomalies: list[Anomaly]) -> list[Anomaly]:
    """People of the list that no contract count includes, attached to the finding about the
    list and the text when there is one (they explain part of the gap), else noted."""
    people = tables.get("entrepreneurs")
    if people is None:
        return []
    about = next(
        (
            a
            for a in anomalies
            if a.key in ("contracts_cdi", "contracts_support", "headcount_end")
            and a.rule == RULE
            and a.status == "undecided"
        ),
        None,
    )
    rows = []
    for row in people.itertuples():
        if row.status not in (CDD, LEFT):
            continue
        what = (
            "personne marquée « Sortie » dans la liste de fin d'année : comptée ni dans "
            "l'effectif ni dans les contrats"
            if row.status == LEFT
            else f"statut « {row.status} » : ni CDI ni convention, non compté dans les "
            "contrats annoncés"
        )
        rows.append(
            Anomaly(
                "entrepreneurs",
                f"{row.surname} {row.first_name}",
                "status",
                row.status,
                None,
                "year_end_list",
                what[0].upper() + what[1:],
                finding=about.finding if about is not None else "",
                status="undecided" if about is not None else "note",
            )
        )
    return rows


def members_declare(builder: Builder, tables: Tables, context: Context) -> None:
    """Members (associés): employees + external = total; the starting point the text gives
    for the change of membership is last year's count, when last year states it."""
    total = builder.key_figure("members", "Associés au 31 décembre (texte)", derived=True)
    employees = builder.key_figure("members_employees", "Associés salariés (texte)")
    external = builder.key_figure("members_external", "Associés extérieurs (texte)")
    if None not in (total, employees, external):
        builder.add(
            linear(
                "associés = associés salariés + associés extérieurs",
                {total: 1, employees: -1, external: -1},
            )
        )
    previous = stated((context.previous or {}).get("key_figures"), "members")
    start = builder.key_figure("members_previous", "Associés au point de départ cité (texte)")
    if start is not None and previous is not None:
        builder.add(
            linear(
                f"point de départ cité = associés au 31 décembre de l'année précédente "
                f"({n(previous)})",
                {start: 1},
                -previous,
                assumption="le point de départ cité pour l'évolution du sociétariat est la fin "
                "de l'année précédente",
            )
        )


def members_start(tables: Tables, context: Context) -> list[Anomaly]:
    """Without last year's count, a starting point other than this year's count cannot be
    checked: said, not corrected."""
    previous = stated((context.previous or {}).get("key_figures"), "members")
    start, total = kf(tables, "members_previous"), kf(tables, "members")
    if previous is not None or start is None or total is None or start == total:
        return []
    return [
        Anomaly(
            "key_figures",
            "members_previous",
            "value",
            plain(start),
            None,
            "members_count",
            f"Le rapport publié part de {n(start)} associés pour décrire l'évolution du "
            "sociétariat ; "
            f"le même rapport en compte {n(total)} au 31 décembre. Si ce point de départ est "
            "une autre date (le début de l'année), rien ne permet de le vérifier : les données "
            "de l'année précédente ne donnent pas le nombre d'associés",
            status="undecided",
        )
    ]


def team_fte(tables: Tables, context: Context) -> list[Anomaly]:
    """A share of a full-time post stated with monthly hours must match them."""
    team = tables.get("team")
    if team is None:
        return []
    found = []
    for row in team.itertuples():
        if pd.isna(row.fte_pct) or pd.isna(row.hours_per_month):
            continue
        share = row.hours_per_month / FULL_TIME_HOURS_PER_MONTH * 100
        if abs(share - row.fte_pct) > 2:
            found.append(
                Anomaly(
                    "team",
                    row.name,
                    "fte_pct",
                    plain(row.fte_pct),
                    None,
                    "team_fte",
                    f"{n(row.hours_per_month)} h par mois font {n(share)} % d'un temps plein "
                    f"({n(FULL_TIME_HOURS_PER_MONTH, 2)} h), pas {n(row.fte_pct)} % : l'un des "
                    "deux chiffres est faux",
                    status="undecided",
                )
            )
    return found
