"""Loading a year folder and checking it against the data contract.

Every problem of every file is collected and raised together as one
:class:`~cae_report.errors.DataError`, so a user fixes a file in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cae_report.config import is_year_folder
from cae_report.data import cooperative
from cae_report.data.contract import REQUIRED_COMPLETE, TABLES, Table, pandera_schema
from cae_report.data.exports.derive import PROVIDES
from cae_report.data.fiscal import FiscalYear, fiscal_year
from cae_report.data.rawtext import file_limit
from cae_report.data.read import Dialect, capped, read_table
from cae_report.errors import DataError, Problem


@dataclass
class YearData:
    """The validated raw tables of one year (``_line`` columns dropped)."""

    year: int
    tables: dict[str, pd.DataFrame]
    coverage: dict[str, str]
    notes: list[str] = field(default_factory=list)
    # From the cooperative's own exports (FEC, audience, register), when the folder has some.
    exports: dict[str, list[str]] = field(default_factory=dict)
    export_anomalies: list[dict] = field(default_factory=list)
    # What the exports do not say, in French, to print next to the figures of each table.
    table_notes: dict[str, list[str]] = field(default_factory=dict)
    fiscal: FiscalYear | None = None

    @property
    def export_notes(self) -> list[str]:
        """The notes of the audience exports (what the audience chapter prints)."""
        return self.table_notes.get("web_audience", [])

    @property
    def complete(self) -> bool:
        return all(self.coverage.get(name) == "complete" for name in REQUIRED_COMPLETE)


def load_year(folder: Path, year: int, reference: Path | None = None) -> YearData:
    """Read and validate every file of ``folder`` (``data/raw/<year>/``).

    Exports declared there (see :mod:`cae_report.data.exports.derive`) are turned into canonical
    tables with the mappings of ``reference`` (default: ``data/reference`` beside ``raw``)."""
    if not folder.is_dir():
        raise DataError.one(folder, f"no data folder for {year}")
    if folder.name != str(year) or not is_year_folder(folder.name):
        raise DataError.one(folder, f"folder name does not match the year {year}")
    data_dir = folder.parent.parent
    limit = file_limit(data_dir)
    fiscal = fiscal_year(year, data_dir)
    sources_path = folder / "sources.csv"
    sources, dialect = _read_checked(sources_path, TABLES["sources"], year, limit)
    coverage, exports, problems = _declared_files(folder, sources)
    tables: dict[str, pd.DataFrame] = {}
    notes = _ignored_folders(folder.parent) + _dialect_notes(sources_path, dialect)
    for name in coverage:
        try:
            frame, dialect = _read_checked(folder / f"{name}.csv", TABLES[name], year, limit)
        except DataError as exc:
            problems += exc.problems
            continue
        tables[name] = frame.drop(columns="_line")
        notes += _dialect_notes(folder / f"{name}.csv", dialect)
    if problems:
        raise DataError(problems)
    tables["sources"] = sources.drop(columns="_line")
    data = YearData(year, tables, coverage, notes, exports, fiscal=fiscal)
    if exports:
        _add_exports(data, folder, sources, reference or data_dir / "reference", limit)
    return data


def _ignored_folders(raw: Path) -> list[str]:
    """A note for each folder of ``data/raw/`` that is not a year folder (four digits 0-9)."""
    return [
        f"{path}: folder ignored (a year folder is named with four digits 0-9, e.g. 2016)"
        for path in sorted(raw.iterdir())
        if path.is_dir() and not is_year_folder(path.name)
    ]


def _siren(data_dir: Path) -> str | None:
    """The cooperative's SIREN (the first nine digits of its SIRET), to check a FEC's name."""
    if not (data_dir / "cooperative.yml").is_file():
        return None
    digits = re.sub(r"\D", "", str(cooperative.load(data_dir).get("siret") or ""))
    return digits[:9] if len(digits) >= 9 else None


def _add_exports(
    data: YearData, folder: Path, sources: pd.DataFrame, reference: Path, limit: int
) -> None:
    from cae_report.data.exports.derive import derive, merge

    derived = derive(
        folder,
        data.exports,
        data.year,
        reference,
        fiscal=data.fiscal,
        max_bytes=limit,
        siren=_siren(folder.parent.parent),
    )
    data.export_anomalies = merge(data.tables, derived)
    data.table_notes = derived.table_notes
    data.notes += derived.notes
    cov = dict(zip(sources["file"], sources["coverage"], strict=True))
    for kind, files in data.exports.items():
        for name in PROVIDES[kind]:
            if name in derived.tables:
                data.coverage.setdefault(name, cov[files[0]])


def _declared_files(
    folder: Path, sources: pd.DataFrame
) -> tuple[dict[str, str], dict[str, list[str]], list[Problem]]:
    """Files listed in sources.csv, checked against the folder and the contract: canonical
    tables (their coverage) and exports (file names by kind)."""
    from cae_report.data.exports.derive import kind_of

    path = folder / "sources.csv"
    problems: list[Problem] = []
    coverage: dict[str, str] = {}
    exports: dict[str, list[str]] = {}
    for line, file, cov in zip(sources["_line"], sources["file"], sources["coverage"], strict=True):
        name, kind = file.removesuffix(".csv"), kind_of(file)
        table = file.endswith(".csv") and name in TABLES and name != "sources"
        if not table and kind is None:
            problems.append(Problem(path, f"unknown table or export {file!r}", line, "file"))
        elif not (folder / file).is_file():
            problems.append(Problem(folder / file, f"missing file (declared in {path}:{line})"))
        elif table:
            coverage[name] = cov
        else:
            exports.setdefault(kind, []).append(file)
    declared = set(sources["file"])
    for extra in sorted(p.name for p in folder.iterdir() if p.is_file()):
        if extra != "sources.csv" and extra not in declared:
            problems.append(Problem(folder / extra, f"file not declared in {path}"))
    provided = {f.removesuffix(".csv") for f in declared}
    provided |= {t for kind in exports for t in PROVIDES[kind]}
    if sources["coverage"].eq("complete").all() and provided and not exports:
        problems += [
            Problem(folder / f"{name}.csv", "missing file (required for a complete year)")
            for name in REQUIRED_COMPLETE
            if name not in provided
        ]
    return coverage, exports, problems


def _read_checked(
    path: Path, table: Table, year: int, limit: int | None = None
) -> tuple[pd.DataFrame, Dialect]:
    frame, dialect = read_table(path, table, max_bytes=limit)
    problems = _value_problems(path, table, frame)
    problems += _key_problems(path, table, frame)
    problems += _year_problems(path, table, frame, year)
    if problems:
        raise DataError(capped(problems))
    return frame, dialect


def _value_problems(path: Path, table: Table, frame: pd.DataFrame) -> list[Problem]:
    """Run the pandera schema lazily and turn each failure into a located problem."""
    import pandera.pandas as pa  # here: a prepared year is read without pandera

    try:
        pandera_schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return [_located(path, frame, case) for case in exc.failure_cases.to_dict("records")]
    return []


def _located(path: Path, frame: pd.DataFrame, case: dict) -> Problem:
    index = case.get("index")
    line = int(frame["_line"].iloc[int(index)]) if pd.notna(index) else None
    check = str(case.get("check"))
    value = case.get("failure_case")
    return Problem(path, f"{value!r}: {check}", line, case.get("column"))


def _key_problems(path: Path, table: Table, frame: pd.DataFrame) -> list[Problem]:
    """A problem for each row repeating the key of an earlier row (found for the whole table
    at once: the key text is only built for the repeated rows)."""
    key = list(table.key)
    repeated = frame.duplicated(subset=key, keep=False)
    if not repeated.any():
        return []
    rows = frame[repeated]
    keys = rows[key].astype(str).agg(" / ".join, axis=1)
    problems = []
    first: dict[str, int] = {}
    for line, text in zip(rows["_line"], keys, strict=True):
        if text in first:
            problems.append(
                Problem(
                    path,
                    f"duplicate key {text!r} (first on line {first[text]})",
                    int(line),
                    ", ".join(table.key),
                )
            )
        else:
            first[text] = int(line)
    return problems


def _year_problems(path: Path, table: Table, frame: pd.DataFrame, year: int) -> list[Problem]:
    col = table.year_column
    if col is None or col not in frame:
        return []
    values = frame[col].map(lambda v: int(str(v)[:4]) if pd.notna(v) else None)
    return [
        Problem(path, f"year {value} does not match the folder year {year}", int(line), col)
        for line, value in zip(frame["_line"], values, strict=True)
        if value is not None and value != year
    ]


def _dialect_notes(path: Path, dialect: Dialect) -> list[str]:
    if dialect.canonical:
        return []
    return [f"{path}: read as a spreadsheet export ({dialect.describe()})"]
