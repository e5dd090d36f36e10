"""A year folder may hold the cooperative's own exports instead of (or beside) the
transcribed tables: a FEC with its budget, website-audience exports, a member register.

They are declared in ``sources.csv`` like the tables. This module turns them into the
canonical tables; :func:`merge` then fills the tables a folder lacks and, where a
transcribed table exists too, keeps it and records every difference as an anomaly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from cae_report.data.contract import ANOMALY_COLUMNS
from cae_report.errors import DataError, Problem

# Export kinds, recognised by file name (declared in sources.csv), and what they give.
KINDS = {
    "fec": re.compile(r"^fec[\w.-]*\.txt$", re.I),
    "budget": re.compile(r"^budget\.csv$", re.I),
    "audience": re.compile(r"^audience[\w.-]*\.(csv|tsv)$", re.I),
    "register": re.compile(r"^register\.csv$", re.I),
}
PROVIDES = {
    "fec": ("income_statement",),
    "budget": (),
    "audience": ("web_audience", "web_countries", "web_visits"),
    "register": ("movements", "key_figures"),
}


def kind_of(file: str) -> str | None:
    return next((kind for kind, pattern in KINDS.items() if pattern.match(file)), None)


@dataclass
class Derived:
    """Canonical tables made from exports, notes to print next to figures, anomalies."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    anomalies: list[dict] = field(default_factory=list)


def derive(folder: Path, files: dict[str, list[str]], year: int, reference: Path) -> Derived:
    """Read every declared export of ``folder`` into canonical tables."""
    out = Derived()
    problems: list[Problem] = []
    for kind, reader in (("fec", _fec), ("audience", _audience), ("register", _register)):
        if kind not in files:
            continue
        try:
            reader(folder, files, year, reference, out)
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(problems)
    return out


def _fec(folder: Path, files, year: int, reference: Path, out: Derived) -> None:
    from cae_report.data.exports.fec import check_fec, income_statement_from_fec, read_fec

    if "budget" not in files:
        raise DataError.one(
            folder / files["fec"][0],
            "a FEC needs budget.csv beside it (no accounting export holds the budget)",
        )
    path = folder / files["fec"][0]
    entries = read_fec(path)
    check_fec(entries, path, date(year, 1, 1), date(year, 12, 31))
    table, unmapped = income_statement_from_fec(
        entries, reference / "fec_mapping.csv", folder / files["budget"][0], year, path
    )
    out.tables["income_statement"] = table
    out.anomalies += [
        _row(
            "income_statement",
            Path(files["fec"][0]).name,
            "CompteNum",
            None,
            None,
            "fec_unmapped_account",
            "Compte non rattaché à une ligne du compte de résultat "
            f"(data/reference/fec_mapping.csv) : {message}",
        )
        for message in unmapped
    ]


def _audience(folder: Path, files, year: int, reference: Path, out: Derived) -> None:
    from cae_report.data.exports.audience import read_audience

    rows, countries = [], []
    for name in files["audience"]:
        segment = "filtered" if re.search(r"filtr|segment", name, re.I) else "all"
        export = read_audience(folder / name, year, segment=segment)
        rows += [export.tables["web_audience"]] if "web_audience" in export.tables else []
        countries += [export.tables["web_countries"]] if "web_countries" in export.tables else []
        out.notes += [f"{name} : {note}" for note in export.notes]
    if rows:
        audience = pd.concat(rows, ignore_index=True)
        out.tables["web_audience"] = audience
        best = audience.sort_values("segment", key=lambda s: s != "filtered").iloc[0]
        out.tables["web_visits"] = pd.DataFrame(
            {"year": [year], "visits": [int(best["visits"])], "precision": ["exact"]}
        )
    if countries:
        out.tables["web_countries"] = pd.concat(countries, ignore_index=True)


def _register(folder: Path, files, year: int, reference: Path, out: Derived) -> None:
    from cae_report.data.exports.register import (
        key_figures_from_register,
        movements_from_register,
        read_register,
    )

    register = read_register(folder / files["register"][0])
    out.tables["movements"] = movements_from_register(register, year)
    out.tables["key_figures"] = key_figures_from_register(register, year)


def merge(tables: dict[str, pd.DataFrame], derived: Derived) -> list[dict]:
    """Fill missing tables from the exports; where both exist keep the transcribed one
    (the cleaning rules check it) and return every difference as an anomaly row."""
    found = list(derived.anomalies)
    for name, frame in derived.tables.items():
        if name not in tables:
            tables[name] = frame
        elif name == "key_figures":
            found += _reconcile_key_figures(tables, frame)
        else:
            found += _compare(name, tables[name], frame)
    return found


def _reconcile_key_figures(tables: dict[str, pd.DataFrame], derived: pd.DataFrame) -> list[dict]:
    """Register figures the text does not state are added; those it states are compared."""
    stated = tables["key_figures"]
    missing = derived[~derived["indicator"].isin(stated["indicator"])]
    tables["key_figures"] = pd.concat([stated, missing], ignore_index=True)
    return _compare("key_figures", stated, derived)


_KEYS = {
    "movements": (["month"], ["entries", "exits", "headcount_end"]),
    "key_figures": (["indicator"], ["value"]),
    "income_statement": (["side", "label"], ["actual", "budget"]),
    "web_audience": (
        ["segment"],
        ["visits", "visitors", "pageviews", "pages_per_visit", "avg_duration_s", "bounce_pct"],
    ),
    "web_countries": (["country"], ["sessions"]),
    "web_visits": (["year"], ["visits"]),
}


def _compare(name: str, stated: pd.DataFrame, derived: pd.DataFrame) -> list[dict]:
    keys, values = _KEYS[name]
    joined = stated.merge(derived, on=keys, how="inner", suffixes=("", "_export"))
    found = []
    for row in joined.to_dict("records"):
        key = " / ".join(str(row[k]) for k in keys)
        if name == "movements":
            key = f"{int(stated['year'].iloc[0])}-{int(row['month']):02d}"
        for col in values:
            a, b = row.get(col), row.get(f"{col}_export")
            if pd.isna(a) and pd.isna(b):
                continue
            if pd.isna(a) or pd.isna(b) or abs(float(a) - float(b)) > 0.005 * max(1, abs(b)):
                found.append(
                    _row(
                        name,
                        key,
                        col,
                        a,
                        None,
                        "export_reconciliation",
                        f"Chiffre transcrit {_plain(a)}, export {_plain(b)} : les deux "
                        "sources diffèrent",
                    )
                )
    return found


def _plain(value) -> str:
    if value is None or pd.isna(value):
        return "vide"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _row(table, key, field_, published, corrected, rule, message) -> dict:
    action = "flagged" if corrected is None else "corrected"
    return dict(
        zip(
            ANOMALY_COLUMNS,
            [table, key, field_, published, corrected, rule, action, message],
            strict=True,
        )
    )
