"""Website audience: counts, ratios, the shares of a segment, the visits the text rounds.

Identities: pages per visit = page views / visits (each segment); the text's shares of a
segment = its visits, visitors, page views / those of all sessions; the text's gaps between a
segment and the whole view = relative differences of the metrics as published (which are
themselves rounded: the interval their roundings allow is accepted); the visits the text
states = the detailed visits, rounded as written. A year without a second segment (no
spam-filtered view) simply has no share or gap identity.

Checked apart, as an inequality: the sessions listed by country cannot exceed all sessions.
"""

from __future__ import annotations

from cae_report.clean.base import Anomaly, Context, Tables, kf, n
from cae_report.clean.identities import Builder
from cae_report.clean.solver import decimals_of, linear, ratio

RULE = "audience_identities"
METRICS = {
    "pages_per_visit": ("Pages par visite", 0.005, 2),
    "avg_duration_s": ("Durée moyenne des visites", 0.5, 0),
    "bounce_pct": ("Visites d'une seule page", 0.005, 2),
}
SHARES = {
    "web_visits_share_pct": "visits",
    "web_visitors_share_pct": "visitors",
    "web_pageviews_share_pct": "pageviews",
}
GAPS = {
    "web_pages_per_visit_diff_pct": "pages_per_visit",
    "web_duration_diff_pct": "avg_duration_s",
    "web_bounce_diff_pct": "bounce_pct",
}
COUNT_LABELS = {"visits": "Visites", "visitors": "Visiteurs", "pageviews": "Pages vues"}


def declare(builder: Builder, tables: Tables, context: Context) -> None:
    web = tables.get("web_audience")
    if web is None or web.empty:
        return
    segments: dict[str, dict[str, str]] = {}
    for index, row in web.iterrows():
        seg, label = str(row["segment"]), str(row["segment_label"])
        key = f"{row['year']} / {seg}"
        v: dict[str, str] = {}
        for col, what in COUNT_LABELS.items():
            v[col] = builder.cell("web_audience", index, col, key=key, label=f"{what} ({label})")
        for col, (what, half, decimals) in METRICS.items():
            v[col] = builder.cell(
                "web_audience",
                index,
                col,
                key=key,
                label=f"{what} ({label})",
                integer=False,
                derived=col == "pages_per_visit",
                half=half,
                decimals=decimals,
            )
        segments[seg] = v
        if v["pages_per_visit"] and v["pageviews"] and v["visits"]:
            builder.add(
                ratio(
                    f"pages par visite = pages vues / visites ({label})",
                    v["pages_per_visit"],
                    {v["pageviews"]: 1},
                    {v["visits"]: 1},
                )
            )
    if {"filtered", "all"} <= set(segments):
        flt, every = segments["filtered"], segments["all"]
        for name, col in SHARES.items():
            target = _stated(
                builder, tables, name, f"Part du segment : {COUNT_LABELS[col].lower()}"
            )
            if target is not None:
                builder.add(
                    ratio(
                        f"part du segment ({COUNT_LABELS[col].lower()}) = segment / toutes les "
                        "données",
                        target,
                        {flt[col]: 1},
                        {every[col]: 1},
                        scale=100,
                    )
                )
        for name, col in GAPS.items():
            target = _stated(builder, tables, name, f"Écart du segment : {METRICS[col][0].lower()}")
            if target is not None:
                builder.add(
                    ratio(
                        f"écart du segment ({METRICS[col][0].lower()}) = segment / toutes − 1",
                        target,
                        {flt[col]: 1, every[col]: -1},
                        {every[col]: 1},
                        scale=100,
                    )
                )
    main = segments.get("filtered") or segments.get("all")
    visits = tables.get("web_visits")
    if main is not None and visits is not None and not visits.empty:
        index = visits.index[0]
        row = visits.loc[index]
        text = int(row["visits"])
        rounded = row["precision"] == "rounded"
        zeros = len(str(text)) - len(str(text).rstrip("0")) if rounded and text else 0
        stated = builder.cell(
            "web_visits",
            index,
            "visits",
            key=str(row["year"]),
            label="Visites de l'année (texte)",
            derived=True,
            half=0.5 * 10**zeros if zeros else 0,
            decimals=None,
        )
        if zeros:
            builder.add(
                ratio(
                    f"visites du texte = visites détaillées arrondies à {n(10**zeros)} près",
                    stated,
                    {main["visits"]: 1},
                )
            )
        else:
            builder.add(
                linear("visites du texte = visites détaillées", {stated: 1, main["visits"]: -1})
            )


def _stated(builder: Builder, tables: Tables, name: str, label: str) -> str | None:
    value = kf(tables, name)
    if value is None:
        return None
    return builder.key_figure(
        name,
        f"{label} (texte)",
        integer=False,
        derived=True,
        nonneg=False,
        half=0.5 * 10 ** -decimals_of(value),
        decimals=max(decimals_of(value), 2),
    )


def countries_sum(tables: Tables, context: Context) -> list[Anomaly]:
    """The sessions listed by country are part of all sessions: their sum cannot exceed it."""
    countries, web = tables.get("web_countries"), tables.get("web_audience")
    if countries is None or countries.empty or web is None or web.empty:
        return []
    total = int(web["visits"].max())
    listed = int(countries["sessions"].sum())
    if listed <= total:
        return []
    excess = listed - total
    able = countries[countries["sessions"] >= excess]["country"].tolist()
    return [
        Anomaly(
            "web_countries",
            str(int(countries["year"].iloc[0])),
            "sessions",
            listed,
            None,
            "audience_shares",
            f"Les pays listés totalisent {n(listed)} sessions, {n(listed / total * 100, 1)} % "
            f"des {n(total)} sessions de l'année : {n(excess)} de trop. Une ligne ou le total "
            "est faux ; "
            + (
                f"seules les lignes {', '.join(able)} sont assez grandes pour expliquer l'écart, "
                "sans que rien ne dise laquelle ni de combien"
                if able
                else "aucune ligne seule ne peut expliquer l'écart"
            ),
            status="undecided",
        )
    ]
