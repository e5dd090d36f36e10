"""Website-audience exports (Matomo, Google Analytics Universal, GA4) → canonical tables.

The report's web figures used to be retyped from screenshots. The tools can export them,
but each writes its own format (Matomo's API writes UTF-16, Google Analytics writes
``#`` comment blocks and locale-formatted numbers, GA4 writes rates as fractions), and
the metrics are not always defined the same way. This module reads each file as the
tool writes it, maps it to ``web_audience`` / ``web_countries`` (docs/tables.md) and
returns, next to the tables, the notes the report must print beside the figures when a
metric is not what the column name promises (GA4 "bounce", Matomo "actions", …).

Every problem with the file is a :class:`~cae_report.errors.DataError` naming the file,
the line and the column, so the person who exported it can fix it or export again.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from cae_report.errors import DataError

__all__ = [
    "AUDIENCE_COLUMNS",
    "COUNTRY_COLUMNS",
    "FORMATS",
    "AudienceExport",
    "read_audience",
]

AUDIENCE_COLUMNS = [
    "year",
    "segment",
    "segment_label",
    "visits",
    "visitors",
    "pageviews",
    "pages_per_visit",
    "avg_duration_s",
    "bounce_pct",
]
COUNTRY_COLUMNS = ["year", "country", "sessions"]
SEGMENTS = ("all", "filtered")
# Used only when the file does not name its segment (Matomo, GA4): the caller may pass
# the published label instead.
DEFAULT_LABELS = {"all": "Toutes les visites", "filtered": "Segment filtré"}

FORMATS = {
    "matomo_api_csv": "Matomo API export (CSV)",
    "matomo_api_tsv": "Matomo API export (TSV)",
    "matomo_report_csv": "Matomo scheduled report (CSV)",
    "ga_universal_csv": "Google Analytics (Universal) export (CSV)",
    "ga4_csv": "Google Analytics 4 export (CSV)",
}

_INT_METRICS = ("visits", "visitors", "pageviews")
_SPACES = re.compile(r"[ \u00a0\u202f]")
_UA_PERIOD = re.compile(r"^#\s*(\d{8})\s*-\s*(\d{8})\s*$")
_GA4_DATE = re.compile(
    r"^#\s*(Start date|End date|Date de début|Date de fin)\s*:\s*(\d{8})\s*$", re.I
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_HMS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_WORDS_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*min)?\s*(?:(\d+)\s*s)?$")


@dataclass(frozen=True)
class AudienceExport:
    """What one export file gives: canonical tables, notes to print, and the format read.

    ``tables`` holds ``web_audience`` (one row) and/or ``web_countries``: a Matomo API
    file holds one report, so a country export gives only ``web_countries``.
    ``notes`` must be shown next to the figures they qualify (definitions that differ
    from the published ones, values computed rather than read).
    """

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    source_format: str = ""


@dataclass
class _Table:
    """One table of the file: header, data rows, and the line numbers to cite."""

    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]
    title: str | None = None
    title_line: int | None = None

    def find(self, names: tuple[str, ...]) -> int | None:
        """Index of the first column named like one of ``names`` (case, spaces ignored)."""
        wanted = [_norm(n) for n in names]
        for name in wanted:
            for i, col in enumerate(self.header):
                if _norm(col) == name:
                    return i
        return None


@dataclass(frozen=True)
class _Period:
    """The period an export names, with the lines to cite (start and end may differ)."""

    start: date
    end: date
    line: int
    end_line: int | None = None


@dataclass
class _Context:
    """File-wide state the parsers share: where to point errors, notes gathered so far."""

    path: Path
    notes: list[str] = field(default_factory=list)


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().strip('"').strip()).casefold()


# ----------------------------------------------------------------------------- reading


def read_audience(
    path: Path, year: int, segment: str = "all", segment_label: str | None = None
) -> AudienceExport:
    """Read one audience export, whatever tool wrote it, as the canonical tables.

    ``year`` is the year folder the file sits in: the period the export covers must lie
    within it (a file exported for the wrong year is the commonest mistake).
    ``segment`` is ``all`` or ``filtered`` (docs/tables.md); ``segment_label`` is used
    when the file does not name its segment itself.
    """
    path = Path(path)
    if segment not in SEGMENTS:
        raise ValueError(f"segment must be one of {SEGMENTS}, got {segment!r}")
    if not path.is_file():
        raise DataError.one(path, "missing file (website-audience export)")
    text = _decode(path, path.read_bytes())
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError.one(path, "file is empty", 1)
    fmt = _detect(path, lines)
    ctx = _Context(path)
    reader: _Reader = {
        "matomo_api_csv": _read_matomo_api,
        "matomo_api_tsv": _read_matomo_api,
        "matomo_report_csv": _read_matomo_report,
        "ga_universal_csv": _read_ga_universal,
        "ga4_csv": _read_ga4,
    }[fmt]
    values, countries, period = reader(ctx, lines)
    _check_period(ctx, period, year)

    tables: dict[str, pd.DataFrame] = {}
    if values is not None:
        label = values.label or segment_label
        if label is None:
            label = DEFAULT_LABELS[segment]
            ctx.notes.append(f"the file does not name its segment: labelled '{label}'")
        tables["web_audience"] = _audience_frame(year, segment, label, values)
    if countries:
        tables["web_countries"] = _country_frame(year, countries)
    return AudienceExport(tables=tables, notes=ctx.notes, source_format=fmt)


def _decode(path: Path, raw: bytes) -> str:
    """Text of the file: Matomo's API writes UTF-16 LE with a BOM, the rest UTF-8."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError.one(path, f"invalid UTF-16 text: {exc.reason}") from None
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        if "\x00" in text:
            raise DataError.one(path, "file holds NUL bytes: not a text export", 1) from None
        return text


def _detect(path: Path, lines: list[str]) -> str:
    """Which tool wrote the file, from its content (file names are renamed too often)."""
    first_no, first = next((i, s) for i, s in enumerate(lines, 1) if s.strip())
    stripped = [s.strip() for s in lines]
    if any(_GA4_DATE.match(s) for s in stripped):
        return "ga4_csv"
    if any(_UA_PERIOD.match(s) for s in stripped):
        return "ga_universal_csv"
    head = _split(first, "\t" if "\t" in first else ",")
    names = {_norm(c) for c in head}
    if "nb_visits" in names:
        return "matomo_api_tsv" if "\t" in first else "matomo_api_csv"
    following = next((s for s in lines[first_no:] if s.strip()), "")
    if len(head) == 1 and following:
        known = {_norm(n) for group in _MATOMO_REPORT.values() for n in group}
        known |= {_norm(n) for n in _COUNTRY_NAMES}
        if known & {_norm(c) for c in _split(following, ",")}:
            return "matomo_report_csv"
    raise DataError.one(
        path,
        "unknown export format: expected a Matomo API export (CSV/TSV with nb_visits), "
        "a Matomo scheduled report (title line then table), a Google Analytics export "
        "('# 20160101-20161231' header) or a GA4 export ('# Start date:' header)",
        first_no,
    )


def _split(line: str, sep: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line], delimiter=sep))]


def _tables(lines: list[str], sep: str, titled: bool = False) -> list[_Table]:
    """Tables separated by blank lines and ``#`` blocks; ``titled``: first line is a title."""
    tables: list[_Table] = []
    block: list[tuple[int, list[str]]] = []

    def close() -> None:
        if not block:
            return
        title = title_line = None
        rows = list(block)
        if titled and len(rows[0][1]) == 1 and len(rows) > 1:
            title_line, cells = rows.pop(0)
            title = cells[0]
        header_line, header = rows[0]
        tables.append(_Table(header, header_line, rows[1:], title, title_line))
        block.clear()

    for no, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            close()
            continue
        block.append((no, _split(line, sep)))
    close()
    return tables


# ----------------------------------------------------------------------------- values


@dataclass
class _Values:
    """Canonical metrics of one segment, each already converted to its unit."""

    visits: int
    visitors: int
    pageviews: int
    pages_per_visit: float
    avg_duration_s: float
    bounce_pct: float
    label: str | None = None


# What each format reader returns: audience values, country rows, period the file names.
_Parsed = tuple["_Values | None", list[tuple[str, int]], "_Period | None"]
_Reader = Callable[["_Context", list[str]], _Parsed]


@dataclass(frozen=True)
class _Cell:
    text: str
    line: int
    column: str


def _cell(ctx: _Context, table: _Table, row: tuple[int, list[str]], index: int) -> _Cell:
    line, cells = row
    column = table.header[index]
    if index >= len(cells) or not cells[index].strip():
        raise DataError.one(ctx.path, "empty value", line, column)
    return _Cell(cells[index].strip(), line, column)


def _metric(
    ctx: _Context,
    table: _Table,
    row: tuple[int, list[str]],
    metric: str,
    names: tuple[str, ...],
    hint: str = "",
) -> _Cell:
    """The cell of ``metric``; a missing column is named with the names looked for."""
    index = table.find(names)
    if index is None:
        expected = " or ".join(f"'{n}'" for n in names)
        raise DataError.one(
            ctx.path,
            f"missing metric {metric}: no column {expected} in the header{hint}",
            table.header_line,
            names[0],
        )
    return _cell(ctx, table, row, index)


def _fail(ctx: _Context, cell: _Cell, why: str) -> DataError:
    return DataError.one(ctx.path, f"{cell.text!r}: {why}", cell.line, cell.column)


def _number(ctx: _Context, cell: _Cell, decimal: str = ".") -> float:
    """A number as the tool printed it: thousands grouped, ``%`` sign, locale decimal."""
    text = _SPACES.sub("", cell.text).rstrip("%")
    if decimal == ",":
        if "." in text:
            raise _fail(ctx, cell, "decimal point in a file written with the decimal comma")
        text = text.replace(",", ".")
    elif "," in text:
        if not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
            raise _fail(ctx, cell, "not a number (misplaced thousands separator)")
        text = text.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise _fail(ctx, cell, "not a number")
    return float(text)


def _count(ctx: _Context, cell: _Cell, decimal: str = ".") -> int:
    value = _number(ctx, cell, decimal)
    if value != int(value) or value < 0:
        raise _fail(ctx, cell, "not a whole number of visits/visitors/pages")
    return int(value)


def _duration(ctx: _Context, cell: _Cell, decimal: str = ".") -> float:
    """Seconds from ``00:02:02``, ``1 min 58s`` or a plain number of seconds."""
    text = cell.text.strip()
    if match := _HMS.fullmatch(text):
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    match = _WORDS_DURATION.fullmatch(text)
    if match and any(match.groups()):
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    try:
        return _number(ctx, cell, decimal)
    except DataError:
        raise _fail(ctx, cell, "not a duration (expected hh:mm:ss or seconds)") from None


def _locale_decimal(cells: list[str]) -> str:
    """``','`` when the cells show French formatting (``11 173``, ``61,54 %``), else ``'.'``.

    Google Analytics formats numbers in the interface language; ``3,215`` alone is
    English grouping, while a comma followed by one, two or four+ digits, a space
    before ``%`` or space-grouped thousands can only be French.
    """
    for cell in cells:
        text = cell.strip()
        if re.search(r"\d[ \u00a0\u202f]\d{3}\b", text) or re.search(r"\d[ \u00a0\u202f]%", text):
            return ","
        if re.fullmatch(r"\d+,(\d{1,2}|\d{4,})%?", text):
            return ","
    return "."


# ----------------------------------------------------------------------------- Matomo

_MATOMO_API = {
    "visits": ("nb_visits",),
    "visitors": ("nb_uniq_visitors",),
    "pageviews": ("nb_pageviews",),
    "actions": ("nb_actions",),
    "avg_duration_s": ("avg_time_on_site",),
    "bounce_count": ("bounce_count",),
    "bounce_pct": ("bounce_rate",),
}
_MATOMO_REPORT = {
    "visits": ("Visits", "Visites"),
    "visitors": ("Unique visitors", "Visiteurs uniques"),
    "pageviews": ("Pageviews", "Pages vues"),
    "actions": ("Actions",),
    "avg_duration_s": (
        "Avg. Visit Duration (in seconds)",
        "Avg. Time on Website",
        "Average visit duration",
        "Durée moy. des visites",
        "Durée moyenne des visites",
    ),
    "bounce_pct": ("Bounce Rate", "Taux de rebond"),
}
_COUNTRY_NAMES = ("Country", "Pays")
_MATOMO_YEAR_HINT = (
    " (Matomo only counts unique visitors over a year when "
    "enable_processing_unique_visitors_year_period is on; export a date range instead)"
)


def _read_matomo_api(ctx: _Context, lines: list[str]) -> _Parsed:
    """Matomo ``VisitsSummary.get`` or ``UserCountry.getCountry``, one report per file."""
    first = next(s for s in lines if s.strip())
    sep = "\t" if "\t" in first else ","
    tables = _tables(lines, sep)
    table = tables[0]
    if not table.rows:
        raise DataError.one(ctx.path, "header without data rows", table.header_line)
    period = _matomo_date_column(ctx, table)
    if table.find(("label",)) is not None:
        return None, _countries(ctx, table, ("label",), ("nb_visits",), "."), period
    if len(table.rows) > 1:
        raise DataError.one(
            ctx.path,
            f"{len(table.rows)} data rows: export one period (period=range or year)",
            table.rows[1][0],
        )
    values = _matomo_values(ctx, table, table.rows[0], _MATOMO_API)
    return values, [], period


def _matomo_date_column(ctx: _Context, table: _Table) -> _Period | None:
    """Matomo adds a ``date`` column when several periods are exported: check them all."""
    index = table.find(("date",))
    if index is None:
        return None
    periods = []
    for row in table.rows:
        cell = _cell(ctx, table, row, index)
        found = _dates_in(cell.text, cell.line)
        if found is None:
            raise _fail(ctx, cell, "not a date or period")
        periods.append(found)
    return _Period(min(p.start for p in periods), max(p.end for p in periods), periods[0].line)


def _matomo_values(
    ctx: _Context, table: _Table, row: tuple[int, list[str]], names: dict
) -> _Values:
    """Canonical metrics from Matomo columns; precise values are recomputed when possible."""
    visits = _count(ctx, _metric(ctx, table, row, "visits", names["visits"]))
    visitors = _count(
        ctx, _metric(ctx, table, row, "visitors", names["visitors"], _MATOMO_YEAR_HINT)
    )
    if table.find(names["pageviews"]) is not None:
        pageviews = _count(ctx, _metric(ctx, table, row, "pageviews", names["pageviews"]))
    else:
        cell = _metric(ctx, table, row, "pageviews", names["pageviews"] + names["actions"])
        pageviews = _count(ctx, cell)
        ctx.notes.append(
            "page views are Matomo 'actions' (page views plus downloads, outlinks and "
            "site searches): they overstate page views"
        )
    duration = _duration(ctx, _metric(ctx, table, row, "avg_duration_s", names["avg_duration_s"]))
    bounce_count = names.get("bounce_count")
    if bounce_count and table.find(bounce_count) is not None and visits:
        bounces = _count(ctx, _metric(ctx, table, row, "bounce_pct", bounce_count))
        bounce = round(bounces / visits * 100, 2)
        ctx.notes.append("bounce rate computed as bounce_count / nb_visits (Matomo rounds it)")
    else:
        cell = _metric(ctx, table, row, "bounce_pct", names["bounce_pct"])
        bounce = _number(ctx, cell)
        if re.fullmatch(r"\d+\s*%?", cell.text):
            ctx.notes.append("Matomo prints the bounce rate rounded to a whole percent")
    ctx.notes.append(
        "pages per visit computed as page views / visits (Matomo publishes actions per visit)"
    )
    return _Values(
        visits=visits,
        visitors=visitors,
        pageviews=pageviews,
        pages_per_visit=round(pageviews / visits, 2) if visits else 0.0,
        avg_duration_s=duration,
        bounce_pct=bounce,
    )


def _read_matomo_report(ctx: _Context, lines: list[str]) -> _Parsed:
    """Matomo scheduled report (CSV): per report a title line, then its table."""
    tables = _tables(lines, ",", titled=True)
    period = None
    for table in tables:
        if table.title and table.title_line is not None:
            period = period or _dates_in(table.title, table.title_line)
    values = None
    countries: list = []
    for table in tables:
        if table.find(_COUNTRY_NAMES) == 0:
            countries = _countries(ctx, table, _COUNTRY_NAMES, _MATOMO_REPORT["visits"], ".")
        elif table.find(_MATOMO_REPORT["visits"]) is not None and table.rows:
            values = _matomo_values(ctx, table, _total_row(ctx, table), _MATOMO_REPORT)
    if values is None and not countries:
        raise DataError.one(ctx.path, "no Visits Summary or Country report in the file", 1)
    return values, countries, period


# ----------------------------------------------------------------------------- Google

_UA = {
    "visits": ("Sessions",),
    "visitors": ("Users", "Utilisateurs"),
    "pageviews": ("Pageviews", "Pages vues"),
    "pages_per_visit": ("Pages / Session", "Pages/Session", "Pages/session", "Pages / session"),
    "avg_duration_s": (
        "Avg. Session Duration",
        "Durée moyenne des sessions",
        "Durée moy. des sessions",
    ),
    "bounce_pct": ("Bounce Rate", "Taux de rebond"),
}
_GA4 = {
    "visits": ("Sessions",),
    "visitors": ("Total users", "Users", "Utilisateurs totaux", "Utilisateurs"),
    "pageviews": ("Views", "Vues"),
    "pages_per_visit": ("Views per session", "Vues par session"),
    "session_duration": ("Average session duration", "Durée moyenne des sessions"),
    "engagement_time": (
        "Average engagement time per session",
        "Average engagement time",
        "Durée d'engagement moyenne par session",
        "Durée d'engagement moyenne",
    ),
    "bounce_rate": ("Bounce rate", "Taux de rebond"),
    "engagement_rate": ("Engagement rate", "Taux d'engagement"),
}
GA4_BOUNCE_NOTE = (
    "GA4 has no bounce rate in the old sense (visits with a single page view): "
    "bounce_pct is the share of non-engaged sessions, (1 − engagement rate) × 100; "
    "it is not comparable with years measured with Universal Analytics or Matomo"
)


def _comments(lines: list[str]) -> list[tuple[int, str]]:
    return [
        (no, s.strip().lstrip("#").strip())
        for no, s in enumerate(lines, 1)
        if s.strip().startswith("#")
    ]


def _audience_table(ctx: _Context, tables: list[_Table], names: dict) -> _Table | None:
    """The summary table: the one whose header holds at least two audience metrics."""
    for table in tables:
        hits = sum(table.find(n) is not None for n in names.values())
        if hits >= 2 and table.find(_COUNTRY_NAMES) != 0:
            return table
    return None


def _total_row(ctx: _Context, table: _Table) -> tuple[int, list[str]]:
    """The single data row, or the total row (empty first cell) of a per-dimension table."""
    if not table.rows:
        raise DataError.one(ctx.path, "table without data rows", table.header_line)
    if len(table.rows) == 1:
        return table.rows[0]
    for row in table.rows:
        first = row[1][0].strip().casefold() if row[1] else ""
        if first in ("", "total", "grand total", "totaux", "total général"):
            return row
    raise DataError.one(
        ctx.path,
        f"{len(table.rows)} rows and no total row (empty first cell): cannot tell the "
        "figures for the whole segment",
        table.rows[0][0],
        table.header[0],
    )


def _countries(
    ctx: _Context,
    table: _Table,
    country_names: tuple[str, ...],
    session_names: tuple[str, ...],
    decimal: str,
) -> list[tuple[str, int]]:
    """Country rows as published, total row dropped."""
    name_i = table.find(country_names)
    sessions_i = table.find(session_names)
    if sessions_i is None:
        raise DataError.one(
            ctx.path,
            f"missing metric sessions: no column '{session_names[0]}' in the country table",
            table.header_line,
            session_names[0],
        )
    out = []
    for row in table.rows:
        name = row[1][name_i].strip() if name_i is not None and name_i < len(row[1]) else ""
        if not name or name.casefold() in ("total", "grand total"):
            continue
        out.append((name, _count(ctx, _cell(ctx, table, row, sessions_i), decimal)))
    return out


def _read_ga_universal(ctx: _Context, lines: list[str]) -> _Parsed:
    """Universal Analytics: ``#`` blocks naming view and period, several tables per file."""
    comments = _comments(lines)
    period = None
    for no, text in comments:
        if match := _UA_PERIOD.match(f"# {text}"):
            period = _Period(_ymd(match.group(1)), _ymd(match.group(2)), no)
            break
    label = next((t for _, t in comments if t and not set(t) <= {"-"}), None)
    tables = _tables(lines, ",")
    summary = _audience_table(ctx, tables, _UA)
    country_table = next((t for t in tables if t.find(_COUNTRY_NAMES) == 0), None)
    if summary is None and country_table is None:
        line = tables[0].header_line if tables else 1
        raise DataError.one(
            ctx.path,
            "missing metrics: no table with Sessions, Users, Pageviews… nor a Country table",
            line,
        )
    cells = [c for t in tables for _, row in t.rows for c in row[1:]]
    decimal = _locale_decimal(cells)
    values = None
    if summary is not None:
        row = _total_row(ctx, summary)

        def get(metric: str) -> _Cell:
            return _metric(ctx, summary, row, metric, _UA[metric])

        values = _Values(
            visits=_count(ctx, get("visits"), decimal),
            visitors=_count(ctx, get("visitors"), decimal),
            pageviews=_count(ctx, get("pageviews"), decimal),
            pages_per_visit=_number(ctx, get("pages_per_visit"), decimal),
            avg_duration_s=_duration(ctx, get("avg_duration_s"), decimal),
            bounce_pct=_number(ctx, get("bounce_pct"), decimal),
            label=label,
        )
    countries = []
    if country_table is not None:
        countries = _countries(ctx, country_table, _COUNTRY_NAMES, ("Sessions",), decimal)
    return values, countries, period


def _read_ga4(ctx: _Context, lines: list[str]) -> _Parsed:
    """GA4: ``# Start date`` / ``# End date`` blocks, rates as fractions, times in seconds."""
    dates: dict[str, tuple[date, int]] = {}
    for no, text in _comments(lines):
        if match := _GA4_DATE.match(f"# {text}"):
            key = "start" if match.group(1).casefold() in ("start date", "date de début") else "end"
            dates.setdefault(key, (_ymd(match.group(2)), no))
    period = None
    if "start" in dates:
        start, line = dates["start"]
        end, end_line = dates.get("end", dates["start"])
        period = _Period(start, end, line, end_line)
    tables = _tables(lines, ",")
    summary = _audience_table(ctx, tables, _GA4)
    country_table = next((t for t in tables if t.find(_COUNTRY_NAMES) == 0), None)
    if summary is None and country_table is None:
        line = tables[0].header_line if tables else 1
        raise DataError.one(
            ctx.path, "missing metrics: no table with Sessions, Total users, Views…", line
        )
    values = None
    if summary is not None:
        row = _total_row(ctx, summary)

        def get(metric: str, names: tuple[str, ...]) -> _Cell:
            return _metric(ctx, summary, row, metric, names)

        visits = _count(ctx, get("visits", _GA4["visits"]))
        pageviews = _count(ctx, get("pageviews", _GA4["pageviews"]))
        if summary.find(_GA4["pages_per_visit"]) is not None:
            pages = _number(ctx, get("pages_per_visit", _GA4["pages_per_visit"]))
        else:
            pages = round(pageviews / visits, 2) if visits else 0.0
            ctx.notes.append("pages per visit computed as views / sessions")
        if summary.find(_GA4["session_duration"]) is not None:
            duration = _duration(ctx, get("avg_duration_s", _GA4["session_duration"]))
        else:
            names = _GA4["session_duration"] + _GA4["engagement_time"]
            duration = _duration(ctx, get("avg_duration_s", names))
            ctx.notes.append(
                "avg_duration_s is GA4's average engagement time (time the page was in the "
                "foreground), not the session duration Universal Analytics measured"
            )
        if summary.find(_GA4["bounce_rate"]) is not None:
            rate = _rate(ctx, get("bounce_pct", _GA4["bounce_rate"]))
            bounce = round(rate * 100, 2)
        else:
            names = _GA4["bounce_rate"] + _GA4["engagement_rate"]
            rate = _rate(ctx, get("bounce_pct", names))
            bounce = round((1 - rate) * 100, 2)
        ctx.notes.append(GA4_BOUNCE_NOTE)
        values = _Values(
            visits=visits,
            visitors=_count(ctx, get("visitors", _GA4["visitors"])),
            pageviews=pageviews,
            pages_per_visit=pages,
            avg_duration_s=duration,
            bounce_pct=bounce,
        )
    countries = []
    if country_table is not None:
        countries = _countries(ctx, country_table, _COUNTRY_NAMES, ("Sessions",), ".")
    return values, countries, period


def _rate(ctx: _Context, cell: _Cell) -> float:
    """GA4 writes rates as fractions (0.3886); accept a percentage (38.86%) as well."""
    value = _number(ctx, cell)
    if cell.text.endswith("%"):
        value /= 100
    if not 0 <= value <= 1:
        raise _fail(ctx, cell, "not a rate between 0 and 1")
    return value


# ----------------------------------------------------------------------------- periods


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _dates_in(text: str, line: int) -> _Period | None:
    """The period a title or a Matomo ``date`` cell names: ISO dates, else a bare year."""
    found = [date(int(y), int(m), int(d)) for y, m, d in _ISO_DATE.findall(text)]
    if found:
        return _Period(min(found), max(found), line)
    years = [int(m.group(0)) for m in _YEAR.finditer(text)]
    if years:
        return _Period(date(min(years), 1, 1), date(max(years), 12, 31), line)
    return None


def _check_period(ctx: _Context, period: _Period | None, year: int) -> None:
    """The export must cover the year of its folder; say so when it covers only part."""
    if period is None:
        ctx.notes.append(f"the file does not state its period: assumed to be {year}")
        return
    if period.start.year != year or period.end.year != year or period.start > period.end:
        line = period.line
        if period.start.year == year and period.end_line is not None:
            line = period.end_line
        raise DataError.one(
            ctx.path,
            f"export covers {period.start.isoformat()} to {period.end.isoformat()}, "
            f"not within {year} (the year of the folder)",
            line,
        )
    if (period.start, period.end) != (date(year, 1, 1), date(year, 12, 31)):
        ctx.notes.append(
            f"the export covers only {period.start.isoformat()} to {period.end.isoformat()}"
        )


# ----------------------------------------------------------------------------- frames


def _audience_frame(year: int, segment: str, label: str, v: _Values) -> pd.DataFrame:
    """One canonical ``web_audience`` row, typed like ``cae_report.data.read.read_table`` does."""
    return pd.DataFrame(
        {
            "year": pd.array([year], dtype="Int64"),
            "segment": pd.Series([segment], dtype=object),
            "segment_label": pd.Series([label], dtype=object),
            "visits": pd.array([v.visits], dtype="Int64"),
            "visitors": pd.array([v.visitors], dtype="Int64"),
            "pageviews": pd.array([v.pageviews], dtype="Int64"),
            "pages_per_visit": pd.array([v.pages_per_visit], dtype="Float64"),
            "avg_duration_s": pd.array([v.avg_duration_s], dtype="Float64"),
            "bounce_pct": pd.array([v.bounce_pct], dtype="Float64"),
        }
    )


def _country_frame(year: int, rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": pd.array([year] * len(rows), dtype="Int64"),
            "country": pd.Series([r[0] for r in rows], dtype=object),
            "sessions": pd.array([r[1] for r in rows], dtype="Int64"),
        }
    )
