"""The stages of the pipeline, each a function of its paths; ``main``-style wiring lives in
:mod:`cae_report.cli` and :mod:`cae_report.build.orchestrate`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cae_report import clean as cleaning
from cae_report import config
from cae_report.analysis.compare import PreviousYear, previous_status
from cae_report.data import cooperative, reference
from cae_report.data.validate import YearData, load_year
from cae_report.errors import DataError

# Personal details beyond name, activity, commune and status stay out of what is published.
PRIVATE_COLUMNS = {"entrepreneurs": ("address",)}


@dataclass
class Prepared:
    """A year's validated raw data, its clean tables and the anomalies found."""

    year: int
    raw: YearData
    tables: dict[str, pd.DataFrame]
    anomalies: pd.DataFrame

    @property
    def complete(self) -> bool:
        return self.raw.complete


def prepare(raw_dir: Path, reference_dir: Path, year: int, *, internal: bool = False) -> Prepared:
    """Validate and clean one year, in memory (cheap: every notebook may call it)."""
    raw = load_year(raw_dir, year, reference_dir)
    context = cleaning.Context(
        year,
        _previous_tables(raw_dir, reference_dir, year),
        _settings(reference_dir),
        raw.coverage,
        raw_dir,
    )
    tables, anomalies = cleaning.clean(raw.tables, _reference(reference_dir), context)
    anomalies = cleaning.with_findings(anomalies, raw.export_anomalies)
    if not internal:
        # Private by default: neither the clean tables nor the raw ones kept alongside them
        # (``Prepared.raw``) carry personal details once the cleaning rules have run.
        tables = {name: _public(name, frame) for name, frame in tables.items()}
        raw = replace(raw, tables={name: _public(name, f) for name, f in raw.tables.items()})
    return Prepared(year, raw, tables, anomalies)


def _previous_tables(raw_dir: Path, reference_dir: Path, year: int):
    """The previous year's clean tables, which this year's rules compare with; None when it
    has no folder or invalid data (:func:`previous_year_status` says which)."""
    folder = raw_dir.parent / str(year - 1)
    if not folder.is_dir():
        return None
    try:
        return prepare(folder, reference_dir, year - 1).tables
    except DataError:
        return None


def _settings(reference_dir: Path) -> dict:
    data_dir = reference_dir.parent
    return cooperative.load(data_dir) if cooperative.path(data_dir).is_file() else {}


def _reference(reference_dir: Path) -> reference.Reference:
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(reference_dir.glob("*.csv"))
    )
    return _cached_reference(str(reference_dir), stamp)


@lru_cache(maxsize=4)
def _cached_reference(folder: str, stamp: tuple) -> reference.Reference:
    return reference.load_reference(Path(folder))


def prepare_year(year: int, *, internal: bool = False, root: Path | None = None) -> Prepared:
    """:func:`prepare` with the project's own paths (what notebooks call)."""
    return prepare(config.raw_dir(year, root), config.reference_dir(root), year, internal=internal)


def previous_year(year: int, root: Path | None = None) -> Prepared | None:
    """The previous year's data when it exists and is valid, else None."""
    if not config.raw_dir(year - 1, root).is_dir():
        return None
    try:
        return prepare_year(year - 1, root=root)
    except DataError:
        return None


def previous_year_status(year: int, root: Path | None = None) -> PreviousYear:
    """How ``year`` stands to ``year − 1``: which comparisons the report cannot make and why
    (printed by the report, counted by the build), with the previous year's data when valid."""
    exists = config.raw_dir(year - 1, root).is_dir()
    earlier = any(y < year - 1 for y in config.available_years(root))
    prepared, problems = None, ()
    if exists:
        try:
            prepared = prepare_year(year - 1, root=root)
        except DataError as exc:
            problems = tuple(str(p) for p in exc.problems)
    return previous_status(year, prepared, exists, earlier, problems)


def visits_history(year: int, root: Path | None = None) -> pd.DataFrame:
    """Website visits of every year with data up to ``year`` (exact or as rounded in text)."""
    from cae_report.analysis.audience import year_visits

    rows = []
    for y in config.available_years(root):
        if y > year:
            continue
        try:
            tables = prepare_year(y, root=root).tables
        except DataError:
            continue
        visits, precision = year_visits(tables)
        if visits is not None:
            rows.append({"year": y, "visits": visits, "precision": precision})
    return pd.DataFrame(rows, columns=["year", "visits", "precision"])


def sector_mapping(root: Path | None = None) -> pd.DataFrame:
    """:func:`cae_report.data.reference.sector_mapping` of the project (what notebooks call)."""
    return reference.sector_mapping(config.reference_dir(root))


def country_names(root: Path | None = None) -> dict[str, str]:
    """:func:`cae_report.data.reference.country_names` of the project (what notebooks call)."""
    return reference.country_names(config.reference_dir(root))


def write_processed(prepared: Prepared, out_dir: Path) -> list[Path]:
    """Write the clean tables and ``anomalies.csv`` (derived files, never the raw ones)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in sorted(prepared.tables.items()):
        path = out_dir / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    path = out_dir / "anomalies.csv"
    prepared.anomalies.to_csv(path, index=False, lineterminator="\n")
    return [*written, path]


def check(raw_dir: Path, reference_dir: Path, processed_dir: Path, year: int) -> Prepared:
    """The check stage: validate, clean, write ``data/processed/<year>/``."""
    prepared = prepare(raw_dir, reference_dir, year)
    write_processed(prepared, processed_dir)
    return prepared


def _public(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in PRIVATE_COLUMNS.get(name, ()) if c in frame]
    return frame.drop(columns=drop)
