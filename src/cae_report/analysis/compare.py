"""This year against the previous one, on whatever figures both years hold.

Earlier years are often partial (only what a later report said of them), so the
comparison takes each figure from the computed indicators when there are some,
else from the figures stated in the text, and skips what either year lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
        ("Contributeurs de la tranche de contribution citée", "contributors_2000_4000", "count"),
        ("Part du personnel dans les charges (%)", "personnel_share_pct", "pct"),
        ("Chiffre d'affaires des entrepreneurs", "entrepreneurs_revenue", "eur"),
        ("Produits d'exploitation", "products_actual", "eur"),
        ("Résultat net", "net_result", "eur"),
    ),
    "audience": (("Visites du site", "web_visits", "count"),),
}


def figures(
    tables: Mapping[str, pd.DataFrame], computed: Mapping[str, object] | None = None
) -> dict[str, float | None]:
    """Indicators, completed by the key figures stated in the text. ``computed``: the year's
    :func:`~cae_report.analysis.indicators.compute`, when the caller already has it."""
    values: dict = dict(indicators.compute(tables) if computed is None else computed)
    kf = tables.get("key_figures")
    if kf is not None:
        for name, value in zip(kf["indicator"], kf["value"], strict=True):
            if values.get(name) is None:
                values[name] = float(value)
    if values.get("web_visits") is None and "web_visits" in tables:
        values["web_visits"] = float(tables["web_visits"]["visits"].iloc[0])
    return values


def rows(
    theme: str, tables, previous_tables, settings: Mapping | None = None
) -> list[tuple[str, object, object, str]]:
    """(label, this year, previous year, kind) for the figures both years hold; ``settings``
    (``cooperative.yml``) gives the cooperative's own labels."""
    if previous_tables is None:
        return []
    current, previous = figures(tables), figures(previous_tables)
    return [
        (label, current.get(name), previous.get(name), kind)
        for label, name, kind in labelled(theme, settings)
        if current.get(name) is not None and previous.get(name) is not None
    ]


def band_label(settings: Mapping | None) -> str:
    """The label of ``contributors_2000_4000`` from the band ``cooperative.yml`` states."""
    band = (settings or {}).get("contributors_band_eur")
    if not band or len(band) != 2:
        return "Contributeurs de la tranche de contribution citée"
    return f"Contributeurs entre {fmt_int(band[0])} et {fmt_eur(band[1])}"


def labelled(theme: str, settings: Mapping | None) -> tuple[tuple[str, str, str], ...]:
    """The figures of ``theme`` with the cooperative's own labels."""
    return tuple(
        (band_label(settings) if name == "contributors_2000_4000" else label, name, kind)
        for label, name, kind in FIGURES[theme]
    )


# ---------------------------------------------------------------- years that depend on others

# What a year compares with the previous one, in the report's words.
COMPARISONS = (
    "la comparaison des effectifs, du budget et des visites avec l'année précédente",
    "le contrôle de l'effectif de début d'année sur celui de fin d'année précédente",
    "le contrôle du taux de croissance du chiffre d'affaires des entrepreneurs",
    "l'évolution des visites du site sur un an",
)


@dataclass(frozen=True)
class PreviousYear:
    """How a year stands to the previous one: ``state`` is ``ok``, ``partial`` (only what a
    later report says of it), ``missing`` (no data folder while earlier years have one),
    ``invalid`` (its data do not pass the checks) or ``first`` (no earlier year at all).
    ``absent``: the comparisons the report cannot make, ``reason`` why (French, printed by
    the report); ``warnings``: the same for the build's summary (English)."""

    year: int
    state: str
    reason: str = ""
    absent: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    prepared: object | None = field(default=None, compare=False, repr=False)

    @property
    def warnings(self) -> list[str]:
        if self.state not in ("missing", "invalid"):
            return []
        what = "has no data folder" if self.state == "missing" else "has invalid data"
        return [
            f"previous year {self.year} {what}: {len(self.absent)} comparison(s) left out"
            + (f" ({self.problems[0]})" if self.problems else "")
        ]

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "state": self.state,
            "reason": self.reason,
            "absent": list(self.absent),
            "warnings": self.warnings,
        }

    def sentence(self) -> str:
        """What the report says about the missing comparisons (empty when none)."""
        if not self.absent:
            return ""
        return f"{self.reason} Ne peuvent donc pas figurer : " + " ; ".join(self.absent) + "."


def previous_status(
    year: int, prepared: object | None, exists: bool, earlier: bool, problems: tuple[str, ...] = ()
) -> PreviousYear:
    """The :class:`PreviousYear` of ``year``, from what loading ``year − 1`` gave: its prepared
    data (None when it failed), whether its folder exists, whether any earlier year has data."""
    previous = year - 1
    if prepared is not None:
        complete = getattr(prepared, "complete", True)
        return PreviousYear(
            previous,
            "ok" if complete else "partial",
            "" if complete else f"Les données de {previous} sont partielles.",
            prepared=prepared,
        )
    if not exists:
        if not earlier:
            return PreviousYear(previous, "first")
        return PreviousYear(
            previous,
            "missing",
            f"Les données de {previous} manquent (aucun dossier de données pour cette année).",
            COMPARISONS,
        )
    return PreviousYear(
        previous,
        "invalid",
        f"Les données de {previous} ne passent pas les contrôles et ne sont pas utilisées.",
        COMPARISONS,
        problems,
    )
