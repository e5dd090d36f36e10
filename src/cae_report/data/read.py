"""Reading raw CSV files into typed DataFrames, with errors that name file, line and column.

Raw files are only ever opened for reading. Besides the contract's own format
(UTF-8, ``,``, decimal point) the reader accepts a CSV saved by French Excel
(``;`` separator, decimal comma, cp1252 or a UTF-8 BOM) when it can be read
unambiguously, and says exactly why not otherwise.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from babel.dates import get_month_names

from cae_report.data.contract import DATE, FLOAT, INT, MONTH, POSTCODE, YEAR_MONTH, Table
from cae_report.errors import DataError, Problem

_SEPARATORS = (",", ";", "\t")
# Spaces French software puts between thousands: space, no-break, narrow no-break.
_THOUSANDS = re.compile(r"[ \u00a0\u202f]")
_FRENCH_MONTHS = {
    **{n.lower(): i for i, n in get_month_names("wide", locale="fr").items()},
    **{n.lower().rstrip("."): i for i, n in get_month_names("abbreviated", locale="fr").items()},
}


@dataclass(frozen=True)
class Dialect:
    """How a file was actually written, reported to the user when not the canonical one."""

    encoding: str
    separator: str
    decimal: str

    @property
    def canonical(self) -> bool:
        return self.encoding == "utf-8" and self.separator == "," and self.decimal == "."

    def describe(self) -> str:
        sep = {";": "';'", ",": "','", "\t": "tab"}[self.separator]
        return f"encoding {self.encoding}, separator {sep}, decimal '{self.decimal}'"


def decode(path: Path, raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), else cp1252; refuse UTF-16."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError.one(path, "file is UTF-16; save it as UTF-8 (CSV UTF-8) instead", 1)
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc2:
            line2 = raw[: exc2.start].count(b"\n") + 1
            raise DataError.one(
                path,
                f"neither UTF-8 nor cp1252: byte 0x{raw[exc2.start]:02x} cannot be decoded",
                line2,
            ) from None
        if "\x00" in text:
            raise DataError.one(path, "file holds NUL bytes: not a text CSV", line) from None
        return text, "cp1252"


def sniff_separator(path: Path, header: str, expected: list[str]) -> str:
    """The separator that splits the header line into known column names."""
    scores = {}
    for sep in _SEPARATORS:
        names = [n.strip().strip('"') for n in header.split(sep)]
        scores[sep] = sum(n in expected for n in names)
    best = max(scores.values())
    winners = [s for s, v in scores.items() if v == best]
    if best == 0:
        raise DataError.one(
            path, f"header names none of the expected columns {expected}: got {header!r}", 1
        )
    if len(winners) > 1:
        raise DataError.one(path, f"cannot tell the separator from the header {header!r}", 1)
    return winners[0]


def read_table(path: Path, table: Table) -> tuple[pd.DataFrame, Dialect]:
    """Read one raw file into a typed DataFrame; a hidden ``_line`` column keeps line numbers."""
    if not path.is_file():
        raise DataError.one(path, f"missing file ({table.description})")
    text, encoding = decode(path, path.read_bytes())
    if not text.strip():
        raise DataError.one(path, "file is empty", 1)
    expected = [c.name for c in table.columns]
    header = text.splitlines()[0]
    sep = sniff_separator(path, header, expected)
    dialect = Dialect(encoding, sep, "," if sep == ";" else ".")
    columns, rows, problems = split_records(path, text, sep)
    _check_header(path, table, columns)
    records = [{"_line": line, **dict(zip(columns, cells, strict=True))} for line, cells in rows]
    frame = pd.DataFrame(records, columns=["_line", *columns])
    typed = {"_line": frame["_line"].astype("int64")}
    for col in table.columns:
        if col.name not in columns:
            continue
        typed[col.name] = _parse_column(path, frame, col, dialect, problems)
    if problems:
        raise DataError(problems)
    return pd.DataFrame(typed), dialect


def split_records(
    path: Path, text: str, sep: str
) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    """The header's column names, each non-blank record with the line it starts on, and a
    problem for each record whose cell count differs from the header's."""
    rows, lines = _split_rows(path, text, sep)
    columns = [c.strip() for c in rows[0]]
    records, problems = [], []
    for cells, line in zip(rows[1:], lines[1:], strict=True):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            problems.append(
                Problem(path, f"{len(cells)} cells where the header has {len(columns)}", line)
            )
            continue
        records.append((line, cells))
    return columns, records, problems


def _split_rows(path: Path, text: str, sep: str) -> tuple[list[list[str]], list[int]]:
    """CSV records with the line each starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows, lines = [], []
    start = 1
    try:
        for row in reader:
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError.one(path, f"malformed CSV: {exc}", reader.line_num) from None
    return rows, lines


def _check_header(path: Path, table: Table, columns: list[str]) -> None:
    known = {c.name for c in table.columns}
    problems = [
        Problem(path, "missing column", 1, c.name)
        for c in table.columns
        if c.required and c.name not in columns
    ]
    problems += [
        Problem(path, f"unknown column (expected: {', '.join(sorted(known))})", 1, name)
        for name in columns
        if name not in known
    ]
    dupes = {n for n in columns if columns.count(n) > 1}
    problems += [Problem(path, "column appears twice", 1, n) for n in sorted(dupes)]
    if problems:
        raise DataError(problems)


def _parse_column(path, frame, col, dialect, problems) -> pd.Series:
    values = []
    for line, raw in zip(frame["_line"], frame[col.name], strict=True):
        cell = raw.strip()
        if cell == "":
            if not col.nullable:
                problems.append(
                    Problem(path, "empty cell where a value is required", line, col.name)
                )
            values.append(None)
            continue
        try:
            values.append(parse_cell(cell, col.kind, dialect))
        except ValueError as exc:
            problems.append(Problem(path, f"{cell!r}: {exc}", line, col.name))
            values.append(None)
    dtype = {INT: "Int64", FLOAT: "Float64"}.get(col.kind, "object")
    return pd.Series(values, index=frame.index, dtype=dtype)


def parse_cell(cell: str, kind: str, dialect: Dialect):
    """Parse one non-empty cell; ValueError says, in words, why it is not valid."""
    if kind in (INT, FLOAT):
        number = parse_number(cell, dialect)
        if kind == INT:
            if number != int(number):
                raise ValueError("not a whole number")
            return int(number)
        return number
    if kind == MONTH:
        return parse_month(cell)
    if kind == DATE:
        return parse_date(cell).isoformat()
    if kind == YEAR_MONTH:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", cell):
            raise ValueError("not a month written YYYY-MM")
        return cell
    if kind == POSTCODE:
        if not re.fullmatch(r"\d{5}", cell):
            hint = " (the leading zero was lost?)" if re.fullmatch(r"\d{4}", cell) else ""
            raise ValueError(f"not a 5-digit French postcode{hint}")
        return cell
    return cell


def parse_number(cell: str, dialect: Dialect) -> float:
    """A number in the file's dialect; refuses what could be read two ways."""
    text = _THOUSANDS.sub("", cell)
    if dialect.decimal == ",":
        if "." in text and "," in text:
            raise ValueError("holds both '.' and ',': cannot tell the decimal mark")
        if "." in text:
            raise ValueError("decimal point in a file that uses the decimal comma")
        text = text.replace(",", ".")
    elif "," in text:
        raise ValueError(
            "holds a comma in a ','-separated file: decimal comma or thousands separator? "
            "write numbers with a decimal point and no grouping"
        )
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError("not a number")
    return float(text)


def parse_month(cell: str) -> int:
    """A month number 1-12, or a French month name (``février``, ``févr.``)."""
    if cell.isdigit():
        month = int(cell)
        if 1 <= month <= 12:
            return month
        raise ValueError("unknown month (expected 1-12 or a French month name)")
    key = cell.lower().rstrip(".")
    if key in _FRENCH_MONTHS:
        return _FRENCH_MONTHS[key]
    raise ValueError("unknown month (expected 1-12 or a French month name)")


def parse_date(cell: str) -> date:
    """ISO ``YYYY-MM-DD``, or the French ``DD/MM/YYYY`` Excel writes."""
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", cell)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        return date.fromisoformat(cell)
    except ValueError:
        raise ValueError("not a date (YYYY-MM-DD or DD/MM/YYYY)") from None
