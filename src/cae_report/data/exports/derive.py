"""A year folder may hold the cooperative's own exports instead of (or beside) the
transcribed tables: a FEC with its budget, website-audience exports, a member register.

They are declared in ``sources.csv`` like the tables. This module turns them into the
canonical tables; :func:`merge` then fills the tables a folder lacks and, where a
transcribed table exists too, keeps it and records every difference as an anomaly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cae_report.data.contract import ANOMALY_COLUMNS
from cae_report.data.fiscal import FiscalYear, calendar_year
from cae_report.data.rawtext import ENCODING_NAMES
from cae_report.errors import DataError, Problem
from cae_report.fr import fmt_date

# Export kinds, recognised by file name (declared in sources.csv), and what they give.
KINDS = {
    # fec.txt, FEC_2016.txt… or the legal name <SIREN>FEC<AAAAMMJJ>.txt (.csv as Odoo names it)
    "fec": re.compile(r"^(?:fec[\w.-]*\.txt|\d{9}FEC\d{8}\.(?:txt|csv))$", re.I),
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
    """Canonical tables made from exports, anomalies, and notes: ``table_notes`` (in French)
    are printed in the report next to the figures of their table, ``notes`` (in English) by
    ``cae-report check`` (how a file was read)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    table_notes: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    anomalies: list[dict] = field(default_factory=list)

    def note(self, table: str, text: str) -> None:
        self.table_notes.setdefault(table, []).append(text)


@dataclass(frozen=True)
class Context:
    """What every export reader needs to know about its year folder."""

    folder: Path
    year: int
    reference: Path
    fiscal: FiscalYear
    max_bytes: int | None = None
    siren: str | None = None


def derive(
    folder: Path,
    files: dict[str, list[str]],
    year: int,
    reference: Path,
    *,
    fiscal: FiscalYear | None = None,
    max_bytes: int | None = None,
    siren: str | None = None,
) -> Derived:
    """Read every declared export of ``folder`` into canonical tables."""
    ctx = Context(folder, year, reference, fiscal or calendar_year(year), max_bytes, siren)
    out = Derived()
    problems: list[Problem] = []
    for kind, reader in (("fec", _fec), ("audience", _audience), ("register", _register)):
        if kind not in files:
            continue
        try:
            reader(ctx, files, out)
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(problems)
    return out


def _fec(ctx: Context, files, out: Derived) -> None:
    from cae_report.data.exports.fec import (
        MAPPING_FILE,
        check_chart,
        check_fec,
        check_file_name,
        income_statement_from_fec,
        period_note,
        read_fec,
        zero_entry_numbers,
    )

    name = files["fec"][0]
    path = ctx.folder / name
    if "budget" not in files:
        raise DataError.one(
            path, "a FEC needs budget.csv beside it (no accounting export holds the budget)"
        )
    check_file_name(path, ctx.fiscal.end, ctx.siren)
    entries = read_fec(path, max_bytes=ctx.max_bytes)
    if entries.attrs["encoding"] not in ("utf-8", "utf-8-sig"):
        out.notes.append(f"{name}: read as {ENCODING_NAMES[entries.attrs['encoding']]}")
    opening = int(entries["opening"].sum())
    if opening:
        out.notes.append(
            f"{name}: {opening} opening line(s) (« à nouveaux ») recognised, left out of the "
            "income statement and of the dates check"
        )
    table_notes = check_fec(entries, path, ctx.fiscal.start, ctx.fiscal.end)
    check_chart(entries, path)
    table, default_notes = income_statement_from_fec(
        entries, ctx.reference / MAPPING_FILE, ctx.folder / files["budget"][0], ctx.year, path
    )
    out.tables["income_statement"] = table
    out.note("income_statement", period_note(ctx.fiscal.start, ctx.fiscal.end, name))
    for text in table_notes + default_notes:
        out.note("income_statement", text)
    if zero_entry_numbers(entries):
        out.notes.append(
            f"{name}: every EcritureNum is 0: entries cannot be checked one by one, only the "
            "balance of the whole file"
        )
    defaults = _default_accounts(entries, ctx.reference)
    if defaults:
        out.notes.append(
            f"{name}: {len(defaults)} account(s) on the PCG's default lines "
            f"({', '.join(defaults[:10])}{'…' if len(defaults) > 10 else ''}); give them lines "
            f"of their own in {MAPPING_FILE} if the report should show them apart"
        )


def _default_accounts(entries: pd.DataFrame, reference: Path) -> list[str]:
    """The class 6/7 accounts no line of the cooperative's mapping takes."""
    from cae_report.data.exports.fec import MAPPING_FILE, read_mapping

    prefixes = tuple(read_mapping(reference / MAPPING_FILE)["prefix"])
    used = entries.loc[~entries["opening"] & entries["account"].str.match("^[67]"), "account"]
    return sorted(a for a in set(used) if not a.startswith(prefixes))


def _audience(ctx: Context, files, out: Derived) -> None:
    from cae_report.data.exports.audience import read_audience

    rows, countries = [], []
    for name in files["audience"]:
        segment = "filtered" if re.search(r"filtr|segment", name, re.I) else "all"
        export = read_audience(
            ctx.folder / name, ctx.year, segment=segment, fiscal=ctx.fiscal, max_bytes=ctx.max_bytes
        )
        rows += [export.tables["web_audience"]] if "web_audience" in export.tables else []
        countries += [export.tables["web_countries"]] if "web_countries" in export.tables else []
        for note in export.notes:
            out.note("web_audience", f"{name} : {note}")
        if export.encoding not in ("utf-8", "utf-8-sig", "utf-16"):
            out.notes.append(f"{name}: read as {ENCODING_NAMES[export.encoding]}")
    if rows:
        audience = pd.concat(rows, ignore_index=True)
        duplicated = audience["segment"].duplicated()
        if duplicated.any():
            segment = audience.loc[duplicated, "segment"].iloc[0]
            raise DataError.one(
                ctx.folder / files["audience"][-1],
                f"two audience exports give the segment {segment!r}: name the file of the "
                "spam-filtered segment audience_filtre… and keep one file per segment",
            )
        out.tables["web_audience"] = audience
        best = audience.sort_values("segment", key=lambda s: s != "filtered").iloc[0]
        out.tables["web_visits"] = pd.DataFrame(
            {"year": [ctx.year], "visits": [int(best["visits"])], "precision": ["exact"]}
        )
    if countries:
        out.tables["web_countries"] = pd.concat(countries, ignore_index=True)


def _register(ctx: Context, files, out: Derived) -> None:
    from cae_report.data.exports.register import (
        key_figures_from_register,
        movements_from_register,
        read_register,
    )

    register = read_register(ctx.folder / files["register"][0], max_bytes=ctx.max_bytes)
    out.tables["movements"] = movements_from_register(register, ctx.year)
    out.tables["key_figures"] = key_figures_from_register(register, ctx.year)
    if not ctx.fiscal.calendar:
        out.note(
            "movements",
            f"les entrées, sorties et effectifs du registre sont comptés sur l'année civile "
            f"{ctx.year} ; l'exercice comptable court du {fmt_date(ctx.fiscal.start)} au "
            f"{fmt_date(ctx.fiscal.end)}",
        )


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
