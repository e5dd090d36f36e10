"""The website: visits per year, quality metrics against their targets, sessions by country.

The growth of visits, whether a target is met, the shares of sessions and which countries are
France come from :mod:`cae_report.analysis.audience`; the charts only draw them.
"""

from __future__ import annotations

import pandas as pd

from cae_report import fr
from cae_report.analysis.audience import UNLISTED_COUNTRIES
from cae_report.report.charts.bars import bar_series, hbar_chart, top_n
from cae_report.report.charts.chart import Chart, require_columns
from cae_report.report.charts.spec import Bars, Categories, ChartSpec, Rule, headroom, value_axis
from cae_report.report.charts.style import COLORS, drawn_texts, lower_first

APPROX = "≈" + fr.NBSP
TARGETS_AXIS_LABEL = f"En % de l'objectif (100{fr.PCT_SPACE}% = objectif)"


# --- visits per year ----------------------------------------------------------------------------


def web_trend_chart(yearly: pd.DataFrame, title: str = "Visites du site internet par an") -> Chart:
    """Visits per year (:func:`cae_report.analysis.audience.yearly`), the growth above each bar.

    Years whose figure was published rounded are drawn lighter and hatched and a growth that
    involves one is prefixed with ``≈``: the chart must not suggest a precision the source
    does not have.
    """
    require_columns(yearly, ["year", "visits", "precision", "growth_pct"], "web_trend_chart")
    data = yearly[["year", "visits", "precision", "growth_pct"]].copy()
    bad = set(data["precision"]) - {"exact", "rounded"}
    if bad:
        raise ValueError(f"web_trend_chart: precision must be 'exact' or 'rounded', got {bad}")
    data = data.sort_values("year").reset_index(drop=True)
    data["rounded"] = data["precision"] == "rounded"
    approx = data["rounded"] | data["rounded"].shift(1, fill_value=False)
    data["value_text"] = [
        (APPROX if r else "") + fr.fmt_int(v)
        for r, v in zip(data["rounded"], data["visits"], strict=True)
    ]
    data["growth_text"] = [
        "" if pd.isna(g) else (APPROX if a else "") + fr.fmt_pct(g, signed=True)
        for g, a in zip(data["growth_pct"], approx, strict=True)
    ]
    series = []
    for rounded, name, color in (
        (False, "Valeur exacte", COLORS["main"]),
        (True, "Valeur publiée arrondie (≈)", COLORS["rounded"]),
    ):
        part = data[data["rounded"] == rounded]
        if part.empty:
            continue
        series.append(
            Bars(
                name=name,
                color=color,
                hatched=rounded,
                positions=tuple(float(i) for i in part.index),
                lengths=tuple(float(v) for v in part["visits"]),
                width=0.6,
                labels=drawn_texts(
                    v if not g else f"{v}\n{g}"
                    for v, g in zip(part["value_text"], part["growth_text"], strict=True)
                ),
                hover=drawn_texts(
                    f"{y}{fr.COLON} {v} visites" + (f" ({g} sur un an)" if g else "")
                    for y, v, g in zip(
                        part["year"], part["value_text"], part["growth_text"], strict=True
                    )
                ),
            )
        )
    top = headroom(float(data["visits"].max()), 2)
    spec = ChartSpec(
        name="web-visits-trend",
        title=title,
        alt=_web_alt(data),
        horizontal=False,
        categories=Categories(tuple(str(y) for y in data["year"])),
        value_axis=value_axis("Visites", 0.0, top, "int", integer=True),
        marks=tuple(series),
    )
    return Chart(spec, data)


def _web_alt(data: pd.DataFrame) -> str:
    first, last = data.iloc[0], data.iloc[-1]
    text = f"Visites du site{fr.COLON} {first['value_text']} en {first['year']}"
    if len(data) > 1:
        text += f", {last['value_text']} en {last['year']}"
        if last["growth_text"]:
            text += f" ({last['growth_text']} sur un an)"
    rounded = [str(y) for y in data.loc[data["rounded"], "year"]]
    if rounded:
        verb = "est arrondie" if len(rounded) == 1 else "sont arrondies"
        which = "la valeur de " if len(rounded) == 1 else "les valeurs de "
        text += f"{fr.SEMICOLON} {which}{', '.join(rounded)} {verb}"
    return text + "."


# --- targets ------------------------------------------------------------------------------------


def targets_chart(targets: pd.DataFrame, title: str = "Audience du site et objectifs") -> Chart:
    """Bullet chart: each metric as a share of its target (100 % = target), coloured met or not.

    Metrics have different units (pages, seconds, percent), so bars are normalised to the
    target and the real values are written beside them. ``met`` is the verdict of
    :func:`cae_report.analysis.audience.against_targets`; ``direction`` (``min``: the value
    must exceed the target, ``max``: stay below it) only words the target.
    """
    cols = ["metric_label", "value", "target", "direction", "unit_label", "met"]
    require_columns(targets, cols, "targets_chart")
    data = targets[cols].reset_index(drop=True).copy()
    bad = set(data["direction"]) - {"min", "max"}
    if bad:
        raise ValueError(f"targets_chart: direction must be 'min' or 'max', got {bad}")
    if (data["target"] <= 0).any() or data["target"].isna().any():
        raise ValueError("targets_chart: every target must be a positive number")
    data["met"] = data["met"].astype(bool)
    data["ratio_pct"] = data["value"] / data["target"] * 100
    data["value_text"] = [
        fr.fmt_measure(v, u) for v, u in zip(data["value"], data["unit_label"], strict=True)
    ]
    data["target_text"] = [
        (">" if d == "min" else "<") + fr.NBSP + fr.fmt_measure(t, u, trim=True)
        for t, u, d in zip(data["target"], data["unit_label"], data["direction"], strict=True)
    ]
    data["text"] = [
        f"{v} (objectif {t})" for v, t in zip(data["value_text"], data["target_text"], strict=True)
    ]
    data["color"] = [COLORS["met"] if m else COLORS["not_met"] for m in data["met"]]
    hover = [
        f"{label}{fr.COLON} {text}, {'atteint' if m else 'non atteint'}"
        for label, text, m in zip(data["metric_label"], data["text"], data["met"], strict=True)
    ]
    names = {COLORS["met"]: "Objectif atteint", COLORS["not_met"]: "Objectif non atteint"}
    series = bar_series(
        range(len(data)), list(data["ratio_pct"]), list(data["color"]), hover, names, width=0.5
    )
    top = max(100.0, float(data["ratio_pct"].max())) * 1.04
    spec = ChartSpec(
        name="web-targets",
        title=title,
        alt=_targets_alt(data),
        horizontal=True,
        categories=Categories(
            tuple(str(label) for label in data["metric_label"]),
            values=drawn_texts(
                f"{v}\nobjectif\n{t}"
                for v, t in zip(data["value_text"], data["target_text"], strict=True)
            ),
        ),
        value_axis=value_axis(TARGETS_AXIS_LABEL, 0.0, top, "pct", integer=True),
        marks=(*series, Rule(100.0, COLORS["target"], 1.6, name="Objectif")),
    )
    return Chart(spec, data)


def _targets_alt(data: pd.DataFrame) -> str:
    met = int(data["met"].sum())
    items = [
        f"{lower_first(label)} {text}, {'atteint' if m else 'non atteint'}"
        for label, text, m in zip(data["metric_label"], data["text"], data["met"], strict=True)
    ]
    head = (
        f"{fr.fmt_count(met, 'objectif')} sur {fr.fmt_int(len(data))} "
        f"{'atteints' if met >= 2 else 'atteint'}"
    )
    return head + fr.COLON + " " + f"{fr.SEMICOLON} ".join(items) + "."


# --- countries ----------------------------------------------------------------------------------


def countries_chart(
    countries: pd.DataFrame, top: int | None = 10, title: str = "Sessions par pays"
) -> Chart:
    """Sessions per country (:func:`cae_report.analysis.audience.countries`), sorted, France
    (overseas included) highlighted, the long tail grouped last."""
    require_columns(countries, ["country", "sessions", "share_pct", "is_france"], "countries_chart")
    # The sessions of unlisted countries (a remainder, not a country) come last, with the rest.
    unlisted = countries["country"] == UNLISTED_COUNTRIES
    listed = countries[~unlisted] if (~unlisted).any() else countries
    data = top_n(listed, "country", "sessions", top, "Autres pays", add=("share_pct",))
    if unlisted.any() and (~unlisted).any():
        remainder = top_n(countries[unlisted], "country", "sessions", None, "", add=("share_pct",))
        data = pd.concat([data, remainder.assign(other=True)], ignore_index=True)
    french = countries.groupby("country", sort=False)["is_france"].any()
    data["is_france"] = data["country"].map(french).fillna(False).astype(bool) & ~data["other"]
    data["color"] = [
        COLORS["highlight"] if f else COLORS["muted"] if o else COLORS["main"]
        for f, o in zip(data["is_france"], data["other"], strict=True)
    ]
    data["text"] = [
        f"{fr.fmt_int(v)} ({fr.fmt_share_pct(s)})"
        for v, s in zip(data["sessions"], data["share_pct"], strict=True)
    ]
    lead = data.iloc[0]
    alt = (
        f"{lead['country']} en tête avec {fr.fmt_count(lead['sessions'], 'session')}, "
        f"{fr.fmt_share_pct(lead['share_pct'])} du total"
    )
    if data["is_france"].any() and not data["is_france"].iloc[0]:
        row = data[data["is_france"]].iloc[0]
        alt += f"{fr.SEMICOLON} {row['country']}{fr.COLON} {row['text']}"
    alt += (
        f"{fr.SEMICOLON} {fr.fmt_count(countries['sessions'].sum(), 'session')} au total, depuis "
        f"{fr.fmt_count(int(data['grouped'].sum()), 'pays', 'pays')}."
    )
    return hbar_chart(
        data,
        "country",
        "sessions",
        name="web-countries",
        title=title,
        alt=alt,
        value_title="Sessions",
    )
