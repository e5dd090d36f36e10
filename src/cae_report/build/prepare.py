"""Stage 4, prepare: validate and clean a year once; the chapters read that result.

A build prepares each year it needs exactly once (:func:`prepare_for_build`): the year of the
report, and every earlier year its chapters compare with. Each result is stored in the build's
verified cache under its content key (the year's raw files, the reference files, the code, the
edition) and listed in a manifest whose path the build passes to the kernel in
``CAE_REPORT_PREPARED``. There, :func:`prepare_year` and :func:`previous_year` return the
build's result after checking it: the key recomputed from the files on disk and the SHA-256 of
the stored result must both match, else the year is prepared again (and a warning says why).
In the analyst's Jupyter, where no build runs, they validate and clean the year themselves.

Imports are lazy: a chapter that reads the build's result never imports the cleaning rules.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cae_report import config
from cae_report.build import digests
from cae_report.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from cae_report.build.cache import Cache
    from cae_report.data.validate import YearData

PREPARED_ENV = "CAE_REPORT_PREPARED"
"""Environment variable: the manifest of a build's prepared results (set for its kernels)."""
EDITIONS = {False: "public", True: "internal"}

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


PREPARING = (
    "pandas",
    "pandera.pandas",
    "cae_report.clean",
    "cae_report.data.validate",
    "cae_report.data.exports.derive",
)
"""What preparing a year imports (lazily, so that reading a prepared year does not): the build
imports it before it freezes what is alive (``gc.freeze``), else the collector walks it."""

_EARLIER = object()
"""``previous`` of :func:`prepare` when not given: the previous year is prepared for it."""


def prepare(
    raw_dir: Path,
    reference_dir: Path,
    year: int,
    *,
    internal: bool = False,
    previous: Any = _EARLIER,
) -> Prepared:
    """Validate and clean one year, in memory. ``previous``: the clean tables of ``year − 1``
    the rules compare with (growth rates, the opening headcount), None when it has none;
    by default that year is prepared for it (the build passes its own result instead)."""
    from cae_report import clean as cleaning
    from cae_report.data.validate import load_year

    raw = load_year(raw_dir, year, reference_dir)
    if previous is _EARLIER:
        previous = _previous_tables(raw_dir, reference_dir, year)
    context = cleaning.Context(year, previous, _settings(reference_dir), raw.coverage, raw_dir)
    tables, anomalies = cleaning.clean(raw.tables, _reference(reference_dir), context)
    anomalies = cleaning.with_findings(anomalies, raw.export_anomalies)
    if not internal:
        # Private by default: neither the clean tables nor the raw ones kept alongside them
        # (``Prepared.raw``) carry personal details once the cleaning rules have run.
        tables = {name: _public(name, frame) for name, frame in tables.items()}
        raw = replace(raw, tables={name: _public(name, f) for name, f in raw.tables.items()})
    return Prepared(year, raw, tables, anomalies)


def _previous_tables(raw_dir: Path, reference_dir: Path, year: int) -> dict | None:
    """The previous year's clean tables, which this year's rules compare with; None when it
    has no folder or invalid data (:func:`previous_year_status` says which)."""
    folder = raw_dir.parent / str(year - 1)
    if not folder.is_dir():
        return None
    try:
        built = _from_build(year - 1, False, reference_dir.parents[1])
        return (built or prepare(folder, reference_dir, year - 1)).tables
    except DataError:
        return None


def _settings(reference_dir: Path) -> dict:
    from cae_report.data import cooperative

    data_dir = reference_dir.parent
    return cooperative.load(data_dir) if cooperative.path(data_dir).is_file() else {}


def _reference(reference_dir: Path):
    """The reference files, read once per process while they are unchanged (the official
    list of communes is large)."""
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(reference_dir.glob("*.csv"))
    )
    return _cached_reference(str(reference_dir), stamp)


@lru_cache(maxsize=4)
def _cached_reference(folder: str, stamp: tuple):
    from cae_report.data import reference

    return reference.load_reference(Path(folder))


def prepare_year(year: int, *, internal: bool = False, root: Path | None = None) -> Prepared:
    """:func:`prepare` with the project's own paths (what notebooks call).

    Under a build, the build's prepared result of ``year`` (see the module docstring), each
    call a fresh copy, so that a chapter that changes a table changes it only for itself."""
    built = _from_build(year, internal, root)
    if built is not None:
        return built
    return prepare(config.raw_dir(year, root), config.reference_dir(root), year, internal=internal)


# ---------------------------------------------------------------- the build's prepared results


@contextmanager
def _collector_paused():
    """No garbage collection while the years are prepared: what preparing makes (tables, the
    communes' index, 37 000 rows of tuples) lives on, so the collector's passes over it,
    triggered again and again by the allocations, find nothing to free: a tenth of the
    preparation's CPU (0.06 s of 0.6 s for 2013-2016), on the cold build's critical path.
    What is garbage is collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def prepare_for_build(
    years: list[int], root: Path, cache: Cache, *, internal: bool = False
) -> tuple[dict[str, Any], dict[int, Prepared | DataError]]:
    """Prepare each of ``years`` once (or take it from ``cache``, verified), store it there.

    Returns the manifest (what :data:`PREPARED_ENV` points to, once written) and each year's
    result: its :class:`Prepared`, or the :class:`DataError` its data raise."""
    with _collector_paused():
        return _prepare_all(sorted(set(years)), root, cache, internal)


def _prepare_all(
    years: list[int], root: Path, cache: Cache, internal: bool
) -> tuple[dict[str, Any], dict[int, Prepared | DataError]]:
    entries: dict[str, Any] = {}
    results: dict[int, Prepared | DataError] = {}
    for year in years:
        key = digests.prepared_key(year, root, internal)
        hit = cache.get("prepared", key)
        if hit is not None:
            stored = hit["result.pickle"]
            payload = pickle.loads(stored.read_bytes())
        else:
            try:
                raw, reference = config.raw_dir(year, root), config.reference_dir(root)
                # Oldest first: each year compares with the result just prepared before it.
                before = results.get(year - 1)
                previous = (
                    (before.tables if isinstance(before, Prepared) else None)
                    if year - 1 in results
                    else _EARLIER
                )
                payload = {
                    "prepared": prepare(raw, reference, year, internal=internal, previous=previous)
                }
            except DataError as exc:
                payload = {"problems": exc.problems}
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            stored = cache.object(
                cache.put("prepared", key, {"result.pickle": data})["result.pickle"]
            )
        entries[f"{year}:{EDITIONS[internal]}"] = {
            "key": key,
            "file": str(stored),
            "sha256": stored.name,  # objects are named by their SHA-256 (verified by get)
        }
        results[year] = (
            DataError(payload["problems"]) if "problems" in payload else payload["prepared"]
        )
    return {"version": 1, "entries": entries}, results


def write_manifest(manifest: dict[str, Any], path: Path) -> Path:
    """Write a manifest of prepared results (several years, both editions may be merged)."""
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return path


_MANIFESTS: dict[str, dict[str, Any]] = {}


def _from_build(year: int, internal: bool, root: Path | None) -> Prepared | None:
    path = os.environ.get(PREPARED_ENV)
    if not path:
        return None
    if path not in _MANIFESTS:
        try:
            _MANIFESTS[path] = json.loads(Path(path).read_text(encoding="utf-8"))["entries"]
        except (OSError, ValueError, KeyError) as exc:
            _warn(f"cannot read the build's prepared results ({exc})")
            _MANIFESTS[path] = {}
    entry = _MANIFESTS[path].get(f"{year}:{EDITIONS[internal]}")
    if entry is None:
        if _MANIFESTS[path]:
            _warn(f"the build prepared no {EDITIONS[internal]} result of {year}")
        return None
    root = Path(root or config.project_root())
    if digests.prepared_key(year, root, internal) != entry["key"]:
        _warn(f"the build's prepared result of {year} does not match the data or code on disk")
        return None
    try:
        data = Path(entry["file"]).read_bytes()
    except OSError as exc:
        _warn(f"the build's prepared result of {year} cannot be read ({exc})")
        return None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        _warn(f"the build's prepared result of {year} does not match its SHA-256")
        return None
    payload = pickle.loads(data)
    if "problems" in payload:
        raise DataError(payload["problems"])
    return payload["prepared"]


def _warn(message: str) -> None:
    print(f"cae-report: {message}: preparing the year again", file=sys.stderr)


def previous_year(year: int, root: Path | None = None) -> Prepared | None:
    """The previous year's data when it exists and is valid, else None."""
    if not config.raw_dir(year - 1, root).is_dir():
        return None
    try:
        return prepare_year(year - 1, root=root)
    except DataError:
        return None


def previous_year_status(year: int, root: Path | None = None):
    """How ``year`` stands to ``year − 1`` (:class:`cae_report.analysis.compare.PreviousYear`):
    which comparisons the report cannot make and why (printed by the report, counted by the
    build), with the previous year's data when valid."""
    from cae_report.analysis.compare import previous_status

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
    """Website visits of every year with data up to ``year`` (exact or as rounded in text).

    Each year is :func:`prepare_year`'s: under a build, the build's prepared result."""
    import pandas as pd

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
    from cae_report.data import reference

    return reference.sector_mapping(config.reference_dir(root))


def country_names(root: Path | None = None) -> dict[str, str]:
    """:func:`cae_report.data.reference.country_names` of the project (what notebooks call)."""
    from cae_report.data import reference

    return reference.country_names(config.reference_dir(root))


def write_processed(prepared: Prepared, out_dir: Path) -> list[Path]:
    """Write the clean tables and ``anomalies.csv`` (derived files, never the raw ones), their
    text cells safe to open in a spreadsheet (:mod:`cae_report.build.csv_safe`)."""
    from cae_report.build.csv_safe import write_csv

    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        write_csv(frame, out_dir / f"{name}.csv") for name, frame in sorted(prepared.tables.items())
    ]
    return [*written, write_csv(prepared.anomalies, out_dir / "anomalies.csv")]


def check(raw_dir: Path, reference_dir: Path, processed_dir: Path, year: int) -> Prepared:
    """The check stage: validate, clean, write ``data/processed/<year>/``."""
    prepared = prepare(raw_dir, reference_dir, year)
    write_processed(prepared, processed_dir)
    return prepared


def _public(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in PRIVATE_COLUMNS.get(name, ()) if c in frame]
    return frame.drop(columns=drop)
