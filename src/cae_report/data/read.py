"""Reading raw CSV files into typed DataFrames, with errors that name file, line and column.

Raw files are only ever opened for reading. Besides the contract's own format
(UTF-8, ``,``, decimal point) the reader accepts a CSV saved by French Excel
(``;`` separator, decimal comma, cp1252 or a UTF-8 BOM) when it can be read
unambiguously, and says exactly why not otherwise.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from babel.dates import get_month_names

from cae_report.data.contract import DATE, FLOAT, INT, MONTH, POSTCODE, STR, YEAR_MONTH, Table
from cae_report.data.rawtext import ENCODING_NAMES, read_text
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
        encoding = ENCODING_NAMES.get(self.encoding, self.encoding)
        return f"encoding {encoding}, separator {sep}, decimal '{self.decimal}'"


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


def read_table(
    path: Path, table: Table, *, max_bytes: int | None = None
) -> tuple[pd.DataFrame, Dialect]:
    """Read one raw file into a typed DataFrame; a hidden ``_line`` column keeps line numbers.

    ``max_bytes``: the size limit per raw file (:func:`cae_report.data.rawtext.file_limit`).
    """
    if not path.is_file():
        raise DataError.one(path, f"missing file ({table.description})")
    decoded = read_text(path, max_bytes)
    text = decoded.text
    if not text.strip():
        raise DataError.one(path, "file is empty", 1)
    expected = [c.name for c in table.columns]
    header = text.split("\n", 1)[0].rstrip("\r")
    sep = sniff_separator(path, header, expected)
    dialect = Dialect(decoded.encoding, sep, "," if sep == ";" else ".")
    columns, rows, problems = split_records(path, text, sep)
    del text, decoded
    _check_header(path, table, columns)
    if not rows and not problems:
        raise DataError.one(path, NO_ROWS, 1)
    frame = pd.DataFrame([cells for _, cells in rows], columns=columns, dtype=object)
    frame.insert(0, "_line", pd.array([line for line, _ in rows], dtype="int64"))
    del rows
    typed = {"_line": frame["_line"]}
    for col in table.columns:
        if col.name not in columns:
            continue
        typed[col.name] = _parse_column(path, frame, col, dialect, problems)
    if problems:
        raise DataError(capped(problems))
    return pd.DataFrame(typed), dialect


NO_ROWS = (
    "no rows: the file holds its header line only; add the rows, or remove the file "
    "and its line in sources.csv"
)
MAX_PROBLEMS = 50
"""Problems listed per file: a file with thousands of bad cells says so with the first ones."""


def capped(problems: list[Problem]) -> list[Problem]:
    """The first :data:`MAX_PROBLEMS` problems, and one more saying how many were left out."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    first = problems[:MAX_PROBLEMS]
    rest = len(problems) - MAX_PROBLEMS
    return [*first, Problem(first[-1].file, f"… and {rest} more problem(s) in this file")]


def split_records(
    path: Path, text: str, sep: str
) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    """The header's column names, each non-blank record with the line it starts on, and a
    problem for each record whose cell count differs from the header's."""
    rows = _split_rows(path, text, sep)
    if not rows:
        raise DataError.one(path, "file is empty", 1)
    columns = [c.strip().lstrip("\ufeff") for c in rows[0][1]]
    records, problems = [], []
    for line, cells in rows[1:]:
        if not "".join(cells).strip():
            continue
        if len(cells) != len(columns):
            problems.append(
                Problem(path, f"{len(cells)} cells where the header has {len(columns)}", line)
            )
            continue
        records.append((line, cells))
    return columns, records, problems


def _split_rows(path: Path, text: str, sep: str) -> list[tuple[int, list[str]]]:
    """CSV records with the line each starts on (quoted cells may span lines).

    A quote never closed makes the reader swallow the rest of the file: the error names
    the line where that record, and so the quote, opened.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc):
            message = 'a quote (") opened on this line is never closed'
        elif reader.line_num > start:
            message = (
                f'a quote (") opened on this line runs to line {reader.line_num}, where '
                f"the CSV breaks ({exc})"
            )
        else:
            message = str(exc)
        raise DataError.one(path, f"malformed CSV: {message}", start) from None
    return rows


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


_NUMBER = {".": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", ",": r"[+-]?(?:\d+(?:,\d*)?|,\d+)"}
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def _parse_column(path, frame, col, dialect, problems) -> pd.Series:
    """Typed values of one column; a problem for each cell that is not valid.

    The common cells (numbers, ISO dates, text) are parsed for the whole column at once, so
    a large file is read in seconds; the other cells go through :func:`parse_cell`, which
    says why a cell is wrong.
    """
    cells = frame[col.name].str.strip()
    empty = cells.eq("")
    values = pd.Series(None, index=frame.index, dtype=object)
    if col.kind in (INT, FLOAT):
        text = cells.str.replace(_THOUSANDS, "", regex=True)
        fast = text.str.fullmatch(_NUMBER[dialect.decimal]) & ~empty
        numbers = pd.to_numeric(text.where(fast).str.replace(",", ".", regex=False))
        if col.kind == INT:
            fast &= numbers.eq(numbers.round())
        values = numbers.where(fast).astype(object)
    elif col.kind == DATE:
        fast = cells.str.fullmatch(_ISO_DATE) & ~empty
        parsed = pd.to_datetime(cells.where(fast), format="%Y-%m-%d", errors="coerce")
        fast &= parsed.notna()
        values = cells.where(fast)
    elif col.kind == STR:
        fast = ~empty
        values = cells.where(fast)
    else:
        fast = pd.Series(False, index=frame.index)
    slow = ~fast & ~empty
    for index in frame.index[slow]:
        cell = cells[index]
        try:
            values[index] = parse_cell(cell, col.kind, dialect)
        except ValueError as exc:
            problems.append(
                Problem(path, f"{cell!r}: {exc}", int(frame.at[index, "_line"]), col.name)
            )
            values[index] = None
    if not col.nullable:
        for line in frame.loc[empty, "_line"]:
            problems.append(
                Problem(path, "empty cell where a value is required", int(line), col.name)
            )
    values = values.where(~empty, None)
    dtype = {INT: "Int64", FLOAT: "Float64"}.get(col.kind, "object")
    if col.kind == INT:
        return pd.array([None if pd.isna(v) else int(v) for v in values], dtype="Int64")
    if col.kind == FLOAT:
        return pd.Series(pd.to_numeric(values, errors="coerce"), index=frame.index).astype(dtype)
    return values.astype(object).where(values.notna(), None)


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
