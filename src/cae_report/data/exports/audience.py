"""Website-audience exports (Matomo, Google Analytics Universal, GA4) → canonical tables.

The report's web figures used to be retyped from screenshots. The tools can export them,
but each writes its own layout, and people download whatever their screen offers: Matomo's
export button translates the column names into the interface language and formats the
numbers for it (``"66,67 %"``, ``11 min 2s``), its API writes metric ids (``nb_visits``) in
UTF-16, one row per day, week or month when asked for several periods, and its scheduled
e-mail reports hold one titled section per report; Universal Analytics writes ``#`` blocks,
a ``Day Index`` series closed by a total row, KPI tables; GA4 writes ``# Start date`` blocks,
rates as fractions, country reports by name or by ISO code.

This module reads each of them as the tool writes it, maps it to ``web_audience`` /
``web_countries`` (``docs/tables.md``) and returns, next to the tables, the notes (in French)
the report prints beside the figures when a metric is missing, computed, or not what its
name promises (GA4's « bounce », Matomo's « actions », unique visitors summed over days…).

Every problem with the file is a :class:`~cae_report.errors.DataError` naming the file,
the line and the column, so the person who exported it can fix it or export again.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from cae_report.data.fiscal import FiscalYear, calendar_year
from cae_report.data.rawtext import read_text
from cae_report.errors import DataError
from cae_report.fr import fmt_date

__all__ = [
    "AUDIENCE_COLUMNS",
    "COUNTRY_COLUMNS",
    "FORMATS",
    "GA4_BOUNCE_NOTE",
    "AudienceExport",
    "country_name",
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
METRIC_NAMES_FR = {
    "visits": "visites",
    "visitors": "visiteurs",
    "pageviews": "pages vues",
    "pages_per_visit": "pages par visite",
    "avg_duration_s": "durée moyenne des visites",
    "bounce_pct": "taux de rebond",
}

FORMATS = {
    "matomo_export_csv": "Matomo export (CSV: metric ids or translated column names)",
    "matomo_export_tsv": "Matomo export (TSV)",
    "matomo_report_csv": "Matomo scheduled report (CSV)",
    "matomo_report_tsv": "Matomo scheduled report (TSV)",
    "ga_universal_csv": "Google Analytics (Universal) export (CSV)",
    "ga4_csv": "Google Analytics 4 export (CSV)",
}

GA4_BOUNCE_NOTE = (
    "GA4 n'a pas de taux de rebond au sens ancien (visites d'une seule page) : le chiffre "
    "donné est la part des sessions non engagées, (1 − taux d'engagement) × 100, qui n'est "
    "pas comparable aux années mesurées avec Universal Analytics ou Matomo"
)

_SPACES = re.compile(r"[ \u00a0\u202f]")
_UA_PERIOD = re.compile(r"^#\s*(\d{8})\s*-\s*(\d{8})\s*$")
_GA4_DATE = re.compile(
    r"^#\s*(Start date|End date|Date de début|Date de fin|Startdatum|Enddatum|Fecha de inicio"
    r"|Fecha de finalización|Fecha de fin|Data di inizio|Data di fine)\s*:\s*(\d{8})\s*$",
    re.I,
)
_GA4_START = ("start date", "date de début", "startdatum", "fecha de inicio", "data di inizio")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_ISO_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")
_ISO_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_HMS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
# "11 min 2s", "1 h 3 min 5 s", "2 Min. 3 s", "1 hora 2 minutos"…: the units Matomo prints.
_UNIT = re.compile(
    r"(\d+)\s*(h|hours?|heures?|std\.?|stunden?|horas?|ore|ora|min\.?|minutes?|minuten?"
    r"|minutos?|minuti|s|sec\.?|secs|secondes?|sekunden?|sek\.?|segundos?|secondi)"
    r"(?![a-zà-ÿ])",
    re.I,
)
_TOTAL_NAMES = ("", "total", "totals", "grand total", "totaux", "total général", "gesamt", "totale")


# ----------------------------------------------------------------------------- names

# Column names of each tool, by metric. Matomo's are its metric ids and their translations in
# lang/{en,fr,de,es,it}.json (General_ColumnNbVisits, General_VisitDuration…), as its export
# button writes them with translateColumnNames=1.
_MATOMO: dict[str, tuple[str, ...]] = {
    "visits": ("nb_visits", "Visits", "Visites", "Besuche", "Visitas", "Visite"),
    "visitors": (
        "nb_uniq_visitors",
        "Unique visitors",
        "Visiteurs uniques",
        "Eindeutige Besucher",
        "Visitantes únicos",
        "Visitatori unici",
    ),
    "actions": ("nb_actions", "Actions", "Aktionen", "Acciones", "Azioni nel sito", "Azioni"),
    "pageviews": (
        "nb_pageviews",
        "Pageviews",
        "Vues de page",
        "Pages vues",
        "Seitenansichten",
        "Páginas vistas",
        "Visualizzazioni pagina",
    ),
    "bounces": ("bounce_count", "Bounces", "Rebonds", "Absprünge", "Rebotes", "Rimbalzi"),
    "visit_length": (
        "sum_visit_length",
        "Total time spent by visitors (in seconds)",
        "Temps total passé par les visiteurs (en secondes)",
        "Von Besuchern verbrachte Gesamtzeit (in Sekunden)",
        "Tiempo total de los visitantes en el sitio (en segundos)",
        "Durata totale delle visite (in secondi)",
    ),
    "bounce_rate": (
        "bounce_rate",
        "Bounce Rate",
        "Taux de rebond",
        "Absprungrate",
        "Absprungsrate",
        "Porcentaje de rebote",
        "% rimbalzi",
        "%% rimbalzi",
    ),
    "duration": (
        "avg_time_on_site",
        "Avg. Visit Duration (in seconds)",
        "Durée moy. des visites (en secondes)",
        "Durchschnittliche Besuchszeit (in Sekunden)",
        "Promedio de duración de las visitas (en segundos)",
        "Durata media delle visite (in secondi)",
        "Avg. Time on Website",
        "Temps moyen sur le site web",
        "Durchschnittszeit auf der Website",
        "Promedio de tiempo en el sitio",
        "Tempo medio sul sito",
    ),
}
_MATOMO_DATE = ("date", "Date", "Datum", "Fecha", "Data")
_MATOMO_LABEL = ("label", "Label", "Nom", "Bezeichnung", "Etiqueta", "Etichetta")
_COUNTRY = ("Country", "Pays", "Land", "País", "Paese")
_COUNTRY_CODE = ("Country ID", "ID du pays", "Länder-ID", "ID de país", "ID paese", "code")
# Names of a translated Matomo header: its language decides the decimal mark.
_ENGLISH = {n for names in _MATOMO.values() for n in names[1:2]} | {"Avg. Time on Website"}

_UA: dict[str, tuple[str, ...]] = {
    "visits": ("Sessions",),
    "visitors": ("Users", "Utilisateurs"),
    "pageviews": ("Pageviews", "Pages vues"),
    "pages_per_visit": ("Pages / Session", "Pages/Session", "Pages/session", "Pages / session"),
    "duration": (
        "Avg. Session Duration",
        "Durée moyenne des sessions",
        "Durée moy. des sessions",
    ),
    "bounce_rate": ("Bounce Rate", "Taux de rebond"),
}
_UA_SERIES = (
    "Day Index",
    "Index des jours",
    "Week Index",
    "Index des semaines",
    "Month Index",
    "Index des mois",
)
_GA4: dict[str, tuple[str, ...]] = {
    "visits": ("Sessions",),
    "visitors": ("Total users", "Utilisateurs au total", "Utilisateurs totaux", "Users"),
    "active_users": ("Active users", "Utilisateurs actifs"),
    "pageviews": ("Views", "Vues"),
    "pages_per_visit": ("Views per session", "Vues par session"),
    "duration": ("Average session duration", "Durée moyenne des sessions"),
    "engagement_session": (
        "Average engagement time per session",
        "Durée d'engagement moyenne par session",
    ),
    "engagement_user": (
        "Average engagement time per active user",
        "Durée d'engagement moyenne par utilisateur actif",
        "Average engagement time",
        "Durée d'engagement moyenne",
    ),
    "bounce_rate": ("Bounce rate", "Taux de rebond"),
    "engagement_rate": ("Engagement rate", "Taux d'engagement"),
}


def _norm(name: str) -> str:
    text = re.sub(r"\s+", " ", name.strip().strip('"').strip().lstrip("\ufeff"))
    return text.replace("%%", "%").casefold()


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AudienceExport:
    """What one export file gives: canonical tables, notes to print, and the format read.

    ``tables`` holds ``web_audience`` (one row) and/or ``web_countries``. ``notes`` (in
    French) must be shown next to the figures they qualify: a missing metric, a value
    computed rather than read, a definition that differs from the published ones.
    """

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    source_format: str = ""
    encoding: str = "utf-8"


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
class _Values:
    """Canonical metrics of one segment, each converted to its unit; None where the file
    does not give it."""

    visits: int | None = None
    visitors: int | None = None
    pageviews: int | None = None
    pages_per_visit: float | None = None
    avg_duration_s: float | None = None
    bounce_pct: float | None = None
    label: str | None = None


@dataclass
class _Context:
    """File-wide state the parsers share: where to point errors, notes gathered so far."""

    path: Path
    fiscal: FiscalYear
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclass(frozen=True)
class _Cell:
    text: str
    line: int
    column: str


# What each format reader returns: audience values, country rows, period the file names
# (None when the reader checked the periods itself, row by row).
@dataclass
class _Parsed:
    values: _Values | None
    countries: list[tuple[str, int]]
    period: _Period | None
    checked: bool = False


_Reader = Callable[[_Context, list[str]], _Parsed]


# ----------------------------------------------------------------------------- reading


def read_audience(
    path: Path,
    year: int,
    segment: str = "all",
    segment_label: str | None = None,
    *,
    fiscal: FiscalYear | None = None,
    max_bytes: int | None = None,
) -> AudienceExport:
    """Read one audience export, whatever tool wrote it, as the canonical tables.

    ``year`` is the year folder the file sits in and ``fiscal`` its fiscal year (default:
    the calendar year): the period the export covers must lie within it (a file exported
    for the wrong year is the commonest mistake). ``segment`` is ``all`` or ``filtered``
    (docs/tables.md); ``segment_label`` is used when the file does not name its segment.
    """
    path = Path(path)
    if segment not in SEGMENTS:
        raise ValueError(f"segment must be one of {SEGMENTS}, got {segment!r}")
    if not path.is_file():
        raise DataError.one(path, "missing file (website-audience export)")
    decoded = read_text(path, max_bytes, utf16=True)
    lines = decoded.text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError.one(path, "file is empty", 1)
    fmt = _detect(path, lines)
    ctx = _Context(path, fiscal or calendar_year(year))
    reader: _Reader = {
        "matomo_export_csv": _read_matomo_export,
        "matomo_export_tsv": _read_matomo_export,
        "matomo_report_csv": _read_matomo_report,
        "matomo_report_tsv": _read_matomo_report,
        "ga_universal_csv": _read_ga_universal,
        "ga4_csv": _read_ga4,
    }[fmt]
    parsed = reader(ctx, lines)
    if not parsed.checked:
        _check_period(ctx, parsed.period)

    tables: dict[str, pd.DataFrame] = {}
    values = parsed.values
    if values is not None:
        label = values.label or segment_label
        if label is None:
            label = DEFAULT_LABELS[segment]
            ctx.note(f"le fichier ne nomme pas son segment : libellé « {label} »")
        missing = [METRIC_NAMES_FR[m] for m in METRIC_NAMES_FR if getattr(values, m) is None]
        if missing:
            ctx.note(f"le fichier ne donne pas : {', '.join(missing)}")
        tables["web_audience"] = _audience_frame(year, segment, label, values)
    if parsed.countries:
        tables["web_countries"] = _country_frame(year, parsed.countries)
    return AudienceExport(
        tables=tables, notes=ctx.notes, source_format=fmt, encoding=decoded.encoding
    )


def _separator(lines: list[str]) -> str:
    """Tab when the first lines with several cells are tab-separated, else comma."""
    for line in lines[:10]:
        if "\t" in line:
            return "\t"
        if "," in line:
            return ","
    return ","


def _detect(path: Path, lines: list[str]) -> str:
    """Which tool wrote the file, from its content (file names are renamed too often)."""
    first_no, first = next((i, s) for i, s in enumerate(lines, 1) if s.strip())
    stripped = [s.strip() for s in lines]
    if any(_GA4_DATE.match(s) for s in stripped):
        return "ga4_csv"
    if any(_UA_PERIOD.match(s) for s in stripped):
        return "ga_universal_csv"
    sep = _separator(lines)
    suffix = "tsv" if sep == "\t" else "csv"
    known = {_norm(n) for names in _MATOMO.values() for n in names}
    if known & {_norm(c) for c in _split(first, sep)}:
        return f"matomo_export_{suffix}"
    following = next((s for s in lines[first_no:] if s.strip()), "")
    if len(_split(first, sep)) == 1 and known & {_norm(c) for c in _split(following, sep)}:
        return f"matomo_report_{suffix}"
    raise DataError.one(
        path,
        "unknown export format: expected a Matomo export (metric ids such as nb_visits, or "
        "their translation: Visits, Visites, Besuche…), a Matomo scheduled report (a title "
        "line per report), a Google Analytics export ('# 20160101-20161231' header) or a GA4 "
        "export ('# Start date:' header)",
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
        if titled and len(rows[0][1]) == 1:
            title_line, cells = rows.pop(0)
            title = cells[0]
        if rows:
            header_line, header = rows[0]
            tables.append(_Table(header, header_line, rows[1:], title, title_line))
        block.clear()

    for no, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            close()
            continue
        try:
            block.append((no, _split(line, sep)))
        except csv.Error:
            block.append((no, [line]))
    close()
    return tables


# ----------------------------------------------------------------------------- values


def _cell(ctx: _Context, table: _Table, row: tuple[int, list[str]], index: int) -> _Cell | None:
    """The cell at ``index``, or None when it is empty."""
    line, cells = row
    if index >= len(cells) or not cells[index].strip():
        return None
    return _Cell(cells[index].strip(), line, table.header[index])


def _fail(ctx: _Context, cell: _Cell, why: str) -> DataError:
    return DataError.one(ctx.path, f"{cell.text!r}: {why}", cell.line, cell.column)


def _number(ctx: _Context, cell: _Cell, decimal: str = ".") -> float:
    """A number as the tool printed it: grouped thousands, ``%`` sign, locale decimal."""
    text = _SPACES.sub("", cell.text).rstrip("%").lstrip("%")
    if decimal == ",":
        if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?", text):
            text = text.replace(".", "")
        elif "." in text:
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
    """Seconds from ``00:02:02``, ``1 min 58s`` (as each language writes its units) or a
    plain number of seconds."""
    text = cell.text.strip()
    if match := _HMS.fullmatch(text):
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    parts = _UNIT.findall(text)
    if parts and not _UNIT.sub("", text).strip():
        seconds = 0
        for amount, unit in parts:
            unit = unit.casefold().rstrip(".")
            if unit.startswith(("h", "std", "stund", "ora", "ore")):
                seconds += int(amount) * 3600
            elif unit.startswith("min"):
                seconds += int(amount) * 60
            else:
                seconds += int(amount)
        return float(seconds)
    try:
        return _number(ctx, cell, decimal)
    except DataError:
        raise _fail(ctx, cell, "not a duration (expected hh:mm:ss or seconds)") from None


def _rate(ctx: _Context, cell: _Cell, decimal: str = ".") -> float:
    """A rate as a fraction: GA4 writes ``0.3886``; ``38.86%`` is accepted as well."""
    value = _number(ctx, cell, decimal)
    if "%" in cell.text:
        value /= 100
    if not 0 <= value <= 1:
        raise _fail(ctx, cell, "not a rate between 0 and 1")
    return value


def _pct(ctx: _Context, cell: _Cell, decimal: str = ".") -> float:
    """A percentage in percent points (``61%``, ``"66,67 %"``, ``61.14``)."""
    value = _number(ctx, cell, decimal)
    if not 0 <= value <= 100:
        raise _fail(ctx, cell, "not a percentage between 0 and 100")
    return value


def _locale_decimal(cells: list[str]) -> str:
    """``','`` when the cells show French formatting (``11 173``, ``61,54 %``), else ``'.'``.

    ``3,215`` alone is English grouping, while a comma followed by one, two or four+
    digits, a space before ``%`` or space-grouped thousands can only be French.
    """
    for cell in cells:
        text = cell.strip()
        if re.search(r"\d[ \u00a0\u202f]\d{3}\b", text) or re.search(r"\d[ \u00a0\u202f]%", text):
            return ","
        if re.fullmatch(r"\d+,(\d{1,2}|\d{4,})%?", text):
            return ","
    return "."


def _total_row(ctx: _Context, table: _Table) -> tuple[int, list[str]]:
    """The single data row, or the total row (empty or « Total » first cell)."""
    if not table.rows:
        raise DataError.one(ctx.path, "table without data rows", table.header_line)
    if len(table.rows) == 1:
        return table.rows[0]
    for row in table.rows:
        first = row[1][0].strip().casefold() if row[1] else ""
        if first in _TOTAL_NAMES:
            return row
    raise DataError.one(
        ctx.path,
        f"{len(table.rows)} rows and no total row (empty first cell): cannot tell the "
        "figures for the whole segment",
        table.rows[0][0],
        table.header[0],
    )


def _has_total(table: _Table) -> bool:
    return len(table.rows) == 1 or any(
        (row[1][0].strip().casefold() if row[1] else "") in _TOTAL_NAMES for row in table.rows
    )


# ----------------------------------------------------------------------------- countries


@cache
def _country_codes() -> dict[str, str]:
    """Country names in English, French, German, Spanish and Italian (CLDR, as the tools
    print them) → ISO code; a name two codes share is left out."""
    from babel import Locale

    found: dict[str, str] = {}
    clash: set[str] = set()
    for locale in ("en", "fr", "de", "es", "it"):
        for code, name in Locale.parse(locale).territories.items():
            if not re.fullmatch(r"[A-Z]{2}", code):
                continue
            key = _norm(name)
            if found.get(key, code) != code:
                clash.add(key)
            found[key] = code
    return {k: v for k, v in found.items() if k not in clash}


@cache
def _english_names() -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse("en").territories)


def country_name(name: str, code: str | None = None) -> str:
    """The English name of a country, as ``data/reference/countries.csv`` lists them, from
    an ISO code (``FR``, Matomo's ``fr``) or a name in one of the tools' languages; a name
    not recognised (``(not set)``, ``Unknown``) is kept as exported."""
    english = _english_names()
    for candidate in (code, name):
        if candidate and re.fullmatch(r"[A-Za-z]{2}", candidate.strip()):
            found = english.get(candidate.strip().upper())
            if found:
                return found
    iso = _country_codes().get(_norm(name)) if name else None
    return english.get(iso, name) if iso else name


def _countries(
    ctx: _Context,
    table: _Table,
    name_names: tuple[str, ...],
    session_names: tuple[str, ...],
    decimal: str,
    fallback: tuple[str, ...] = (),
) -> list[tuple[str, int]]:
    """Country rows, total row dropped, names as the report's reference spells them."""
    name_i = table.find(name_names)
    code_i = table.find(_COUNTRY_CODE)
    sessions_i = table.find(session_names)
    if sessions_i is None and fallback:
        sessions_i = table.find(fallback)
        if sessions_i is not None:
            ctx.note(
                "les chiffres par pays sont des utilisateurs actifs, non des sessions : le "
                "fichier ne donne pas les sessions par pays"
            )
    if sessions_i is None:
        raise DataError.one(
            ctx.path,
            f"missing metric sessions: no column '{session_names[0]}' in the country table",
            table.header_line,
            session_names[0],
        )
    out = []
    for row in table.rows:
        cells = row[1]
        name = cells[name_i].strip() if name_i is not None and name_i < len(cells) else ""
        code = cells[code_i].strip() if code_i is not None and code_i < len(cells) else ""
        if name_i is None and code_i is not None:
            name = code
        if not name or name.casefold() in _TOTAL_NAMES:
            continue
        cell = _cell(ctx, table, row, sessions_i)
        sessions = 0 if cell is None else _count(ctx, cell, decimal)
        out.append((country_name(name, code if code_i is not None else None), sessions))
    return out


# ----------------------------------------------------------------------------- Matomo


def _metric_index(table: _Table) -> dict[str, int]:
    return {m: i for m, names in _MATOMO.items() if (i := table.find(names)) is not None}


def _matomo_decimal(table: _Table) -> str:
    """The decimal mark of a Matomo export: ``,`` when its header is in French, German,
    Spanish or Italian (the export button formats numbers for the interface language),
    ``.`` for metric ids and English."""
    names = {_norm(c) for c in table.header}
    english = {_norm(n) for n in _ENGLISH}
    translated = {_norm(n) for names_ in _MATOMO.values() for n in names_[1:]} - english
    return "," if names & translated else "."


@dataclass
class _Sums:
    """Metrics summed over the rows of a Matomo export (one row per period)."""

    visits: int = 0
    visitors: int | None = 0
    actions: int | None = 0
    pageviews: int | None = 0
    bounces: int | None = 0
    visit_length: float | None = 0
    weighted_bounce: float | None = 0.0
    weighted_duration: float | None = 0.0


_SUMMED = ("visitors", "actions", "pageviews", "bounces")


def _add_row(
    ctx: _Context,
    table: _Table,
    row,
    index: dict[str, int],
    decimal: str,
    sums: _Sums,
    summed: tuple[str, ...] = _SUMMED,
) -> None:
    """Add one period's metrics to ``sums``; a metric the file or a period with visits
    lacks is unknown for the whole (None)."""

    def get(metric: str) -> _Cell | None:
        return _cell(ctx, table, row, index[metric]) if metric in index else None

    visits_cell = get("visits")
    visits = 0 if visits_cell is None else _count(ctx, visits_cell, decimal)
    sums.visits += visits
    for metric in (*summed, "visit_length", "weighted_bounce", "weighted_duration"):
        source = {"weighted_bounce": "bounce_rate", "weighted_duration": "duration"}.get(
            metric, metric
        )
        current = getattr(sums, metric)
        cell = get(source)
        if source not in index or current is None:
            setattr(sums, metric, None)
        elif cell is None:
            if visits:
                setattr(sums, metric, None)
        elif metric in ("visitors", "actions", "pageviews", "bounces"):
            setattr(sums, metric, current + _count(ctx, cell, decimal))
        elif metric == "visit_length":
            setattr(sums, metric, current + _duration(ctx, cell, decimal))
        elif metric == "weighted_bounce":
            setattr(sums, metric, current + _pct(ctx, cell, decimal) * visits)
        else:
            setattr(sums, metric, current + _duration(ctx, cell, decimal) * visits)


def _matomo_values(ctx: _Context, sums: _Sums, periods: int, rounded_bounce: bool) -> _Values:
    """Canonical metrics from the sums; rates recomputed from totals wherever possible."""
    visits = sums.visits
    if sums.pageviews is not None:
        pageviews = sums.pageviews
    else:
        pageviews = sums.actions
        if pageviews is not None:
            ctx.note(
                "les pages vues sont les « actions » de Matomo (pages vues, téléchargements, "
                "liens sortants et recherches internes) : elles surestiment les pages vues"
            )
    bounce = _from_totals(
        ctx,
        None if sums.bounces is None else sums.bounces * 100,
        sums.weighted_bounce,
        visits,
        periods,
        2,
        "taux de rebond recalculé comme la moyenne des taux de chaque période, pondérée par "
        "les visites (le fichier ne donne pas le nombre de rebonds)",
    )
    if sums.bounces is None and bounce is not None and periods == 1 and rounded_bounce:
        ctx.note("Matomo donne le taux de rebond arrondi au pour cent")
    duration = _from_totals(
        ctx,
        sums.visit_length,
        sums.weighted_duration,
        visits,
        periods,
        0,
        "durée moyenne recalculée comme la moyenne des durées de chaque période, pondérée "
        "par les visites (le fichier ne donne pas la durée totale)",
    )
    visitors = sums.visitors
    if visitors is not None and periods > 1:
        ctx.note(
            f"les visiteurs uniques sont la somme des visiteurs uniques des {periods} périodes "
            "du fichier : un visiteur revenu d'une période à l'autre y est compté plusieurs fois"
        )
    return _Values(
        visits=visits,
        visitors=visitors,
        pageviews=pageviews,
        pages_per_visit=round(pageviews / visits, 2) if pageviews is not None and visits else None,
        avg_duration_s=duration,
        bounce_pct=bounce,
    )


def _from_totals(
    ctx: _Context,
    total: float | None,
    weighted: float | None,
    visits: int,
    periods: int,
    decimals: int,
    weighted_note: str,
) -> float | None:
    """A per-visit average from the period's total (exact), else from the per-period
    averages weighted by visits (said when there were several periods), else None."""
    if not visits:
        return None
    if total is not None:
        return round(total / visits, decimals)
    if weighted is None:
        return None
    if periods > 1:
        ctx.note(weighted_note)
    return round(weighted / visits, decimals)


def _read_matomo_export(ctx: _Context, lines: list[str]) -> _Parsed:
    """A Matomo export: the API's metric ids or the export button's translated names; one
    report (VisitsSummary.get, API.get, UserCountry.getCountry), one row per period when
    several are exported."""
    tables = _tables(lines, _separator(lines))
    table = tables[0]
    if not table.rows:
        raise DataError.one(ctx.path, "header without data rows", table.header_line)
    decimal = _matomo_decimal(table)
    label_i = table.find(_MATOMO_LABEL + _COUNTRY)
    date_i = table.find(_MATOMO_DATE)
    if label_i is not None:
        if date_i is not None:
            raise DataError.one(
                ctx.path,
                "a country report over several periods: export it for one period (the "
                "fiscal year, as a date range)",
                table.header_line,
                table.header[date_i],
            )
        names = (table.header[label_i],)
        return _Parsed(None, _countries(ctx, table, names, _MATOMO["visits"], decimal), None)
    index = _metric_index(table)
    if "visits" not in index:
        raise DataError.one(
            ctx.path, "missing metric visits: no column nb_visits (Visits)", table.header_line
        )
    if date_i is None:
        if len(table.rows) > 1:
            raise DataError.one(
                ctx.path,
                f"{len(table.rows)} data rows and no date column: export one period, or "
                "several with their dates",
                table.rows[1][0],
            )
        sums = _Sums()
        _add_row(ctx, table, table.rows[0], index, decimal, sums)
        rounded = _rounded_rate(table, table.rows[0], index)
        return _Parsed(_matomo_values(ctx, sums, 1, rounded), [], None)
    sums, periods, span = _sum_periods(ctx, table, date_i, index, decimal)
    values = _matomo_values(ctx, sums, periods, _rounded_rate(table, table.rows[0], index))
    _note_partial(ctx, span)
    return _Parsed(values, [], span, checked=True)


def _rounded_rate(table: _Table, row, index: dict[str, int]) -> bool:
    if "bounce_rate" not in index or index["bounce_rate"] >= len(row[1]):
        return False
    return bool(re.fullmatch(r"\d+\s*%?", row[1][index["bounce_rate"]].strip()))


def _period_of(ctx: _Context, cell: _Cell) -> _Period:
    """The period a Matomo ``date`` cell names: a day, ``From … to …`` (in any language: its
    two ISO dates), a month ``2016-01`` or a year."""
    found = [date(int(y), int(m), int(d)) for y, m, d in _ISO_DATE.findall(cell.text)]
    if found:
        return _Period(min(found), max(found), cell.line)
    if match := _ISO_MONTH.match(cell.text):
        year, month = int(match[1]), int(match[2])
        end = pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0)
        return _Period(date(year, month, 1), end.date(), cell.line)
    if match := _ISO_YEAR.match(cell.text):
        return _Period(date(int(match[1]), 1, 1), date(int(match[1]), 12, 31), cell.line)
    raise _fail(ctx, cell, "not a date or period")


def _sum_periods(ctx: _Context, table: _Table, date_i: int, index, decimal):
    """Sum the rows of the periods inside the fiscal year; a period crossing one of its
    ends cannot be split and is an error; periods wholly outside are left out (said)."""
    fiscal = ctx.fiscal
    sums = _Sums()
    inside: list[_Period] = []
    outside = 0
    for row in table.rows:
        cell = _cell(ctx, table, row, date_i)
        if cell is None:
            raise DataError.one(ctx.path, "empty date", row[0], table.header[date_i])
        period = _period_of(ctx, cell)
        if period.end < fiscal.start or period.start > fiscal.end:
            outside += 1
            continue
        if period.start < fiscal.start or period.end > fiscal.end:
            edge = fiscal.start if period.start < fiscal.start else fiscal.end
            raise DataError.one(
                ctx.path,
                f"the period {period.start.isoformat()}..{period.end.isoformat()} crosses "
                f"{'the start' if edge == fiscal.start else 'the end'} of the fiscal year "
                f"{fiscal.describe()} ({edge.isoformat()}): its visits cannot be split between "
                "the two years; export by day or by month, or the fiscal year as one date range",
                cell.line,
                cell.column,
            )
        inside.append(period)
        _add_row(ctx, table, row, index, decimal, sums)
    if not inside:
        first = _period_of(ctx, _cell(ctx, table, table.rows[0], date_i))  # type: ignore[arg-type]
        raise DataError.one(
            ctx.path,
            f"no period of the export lies in the fiscal year {fiscal.describe()} (the first "
            f"is {first.start.isoformat()}..{first.end.isoformat()})",
            table.rows[0][0],
            table.header[date_i],
        )
    if outside:
        ctx.note(
            f"{outside} période(s) du fichier hors de l'exercice ({fiscal.label.lower()}) "
            "ne sont pas comptées"
        )
    span = _Period(min(p.start for p in inside), max(p.end for p in inside), inside[0].line)
    return sums, len(inside), span


_VISITS_SUMMARY_IDS = ("nb_visits", "nb_uniq_visitors")


def _read_matomo_report(ctx: _Context, lines: list[str]) -> _Parsed:
    """Matomo scheduled report (CSV or TSV): per report a title line, then its table with
    metric ids as header (``Visits Summary``, ``Actions - Main metrics``, ``Country``…);
    ``No data available`` for an empty report. The file does not state its period."""
    tables = _tables(lines, _separator(lines), titled=True)
    summary = next(
        (
            t
            for t in tables
            if all(t.find((n,)) is not None for n in _VISITS_SUMMARY_IDS)
            and t.find(("label",)) is None
        ),
        None,
    )
    actions = next(
        (t for t in tables if t.find(("nb_pageviews",)) is not None and t.find(("label",)) is None),
        None,
    )
    country = next(
        (t for t in tables if t.title and _norm(t.title) in {_norm(c) for c in _COUNTRY}), None
    )
    values = None
    if summary is not None and summary.rows:
        index = _metric_index(summary)
        row = _total_row(ctx, summary)
        sums = _Sums(pageviews=None)
        if actions is not None and actions.rows:
            pageviews = _cell(ctx, actions, actions.rows[0], actions.find(("nb_pageviews",)))
            sums.pageviews = None if pageviews is None else _count(ctx, pageviews)
        _add_row(ctx, summary, row, index, ".", sums, ("visitors", "actions", "bounces"))
        values = _matomo_values(ctx, sums, 1, _rounded_rate(summary, row, index))
    countries: list = []
    if country is not None and country.rows and country.find(("label",)) is not None:
        countries = _countries(ctx, country, ("label",), ("nb_visits",), ".")
    if values is None and not countries:
        raise DataError.one(
            ctx.path, "no Visits Summary nor Country report with data in the file", 1
        )
    return _Parsed(values, countries, None)


# ----------------------------------------------------------------------------- Google


def _comments(lines: list[str]) -> list[tuple[int, str]]:
    return [
        (no, s.strip().lstrip("#").strip())
        for no, s in enumerate(lines, 1)
        if s.strip().startswith("#")
    ]


def _summary_table(tables: list[_Table], names: dict, exclude: tuple[str, ...]) -> _Table | None:
    """The summary table: two audience metrics or more, one row or a total row, and not a
    country table or a series."""
    for table in tables:
        hits = sum(table.find(n) is not None for n in names.values())
        if hits >= 2 and table.find(exclude) is None and _has_total(table) and table.rows:
            return table
    return None


def _series_visits(tables: list[_Table]) -> _Table | None:
    """The ``Day Index,Sessions`` series of an Audience Overview (its total row, or the sum)."""
    for table in tables:
        if table.find(_UA_SERIES) == 0 and table.find(("Sessions",)) is not None:
            return table
    return None


def _read_ga_universal(ctx: _Context, lines: list[str]) -> _Parsed:
    """Universal Analytics: ``#`` blocks naming view and period, several tables per file: a
    ``Day Index`` series with its total row, KPI tables, per-dimension tables."""
    comments = _comments(lines)
    period = None
    for no, text in comments:
        if match := _UA_PERIOD.match(f"# {text}"):
            period = _Period(_ymd(match.group(1)), _ymd(match.group(2)), no)
            break
    label = next((t for _, t in comments if t and not set(t) <= {"-"}), None)
    tables = _tables(lines, ",")
    cells = [c for t in tables for _, row in t.rows for c in row[1:]]
    decimal = _locale_decimal(cells)
    summary = _summary_table(tables, _UA, _COUNTRY + _UA_SERIES)
    country_table = next((t for t in tables if t.find(_COUNTRY) == 0), None)
    series = _series_visits(tables)
    if summary is None and country_table is None and series is None:
        line = tables[0].header_line if tables else 1
        raise DataError.one(
            ctx.path,
            "missing metrics: no table with Sessions, Users, Pageviews…, no Day Index series "
            "nor a Country table",
            line,
        )
    values = None
    if summary is not None:
        row = _total_row(ctx, summary)

        def get(metric: str) -> _Cell | None:
            index = summary.find(_UA[metric])
            return None if index is None else _cell(ctx, summary, row, index)

        def required(metric: str) -> _Cell:
            cell = get(metric)
            if cell is None:
                names = " or ".join(f"'{n}'" for n in _UA[metric])
                index = summary.find(_UA[metric])
                line = row[0] if index is not None else summary.header_line
                raise DataError.one(
                    ctx.path,
                    f"missing metric {metric}: no column {names} in the header"
                    if index is None
                    else f"empty value of {metric}",
                    line,
                    _UA[metric][0] if index is None else summary.header[index],
                )
            return cell

        visits = _count(ctx, required("visits"), decimal)
        values = _Values(visits=visits, label=label)
        for metric, parse in (("visitors", _count), ("pageviews", _count)):
            cell = get(metric)
            setattr(values, metric, None if cell is None else parse(ctx, cell, decimal))
        cell = get("pages_per_visit")
        if cell is not None:
            values.pages_per_visit = _number(ctx, cell, decimal)
        elif values.pageviews is not None and visits:
            values.pages_per_visit = round(values.pageviews / visits, 2)
        cell = get("duration")
        values.avg_duration_s = None if cell is None else _duration(ctx, cell, decimal)
        cell = get("bounce_rate")
        values.bounce_pct = None if cell is None else _pct(ctx, cell, decimal)
    elif series is not None:
        visits_i = series.find(("Sessions",))
        total = [r for r in series.rows if (r[1][0].strip().casefold() if r[1] else "") == ""]
        if total:
            cell = _cell(ctx, series, total[-1], visits_i)
            visits = 0 if cell is None else _count(ctx, cell, decimal)
        else:
            visits = sum(
                _count(ctx, c, decimal)
                for r in series.rows
                if (c := _cell(ctx, series, r, visits_i)) is not None
            )
        values = _Values(visits=visits, label=label)
        ctx.note(
            "l'export Google Analytics ne donne que la série des sessions par jour (« "
            f"{series.header[0]} ») : le total des sessions est repris, les autres "
            "indicateurs manquent"
        )
    countries = []
    if country_table is not None:
        countries = _countries(ctx, country_table, _COUNTRY, ("Sessions",), decimal)
    return _Parsed(values, countries, period)


def _read_ga4(ctx: _Context, lines: list[str]) -> _Parsed:
    """GA4: ``# Start date`` / ``# End date`` blocks, rates as fractions, times in seconds;
    a « Reports snapshot » holds many small tables, a detail report one table by dimension."""
    dates: dict[str, tuple[date, int]] = {}
    for no, text in _comments(lines):
        if match := _GA4_DATE.match(f"# {text}"):
            key = "start" if match.group(1).casefold() in _GA4_START else "end"
            dates.setdefault(key, (_ymd(match.group(2)), no))
    period = None
    if "start" in dates:
        start, line = dates["start"]
        end, end_line = dates.get("end", dates["start"])
        period = _Period(start, end, line, end_line)
    tables = _tables(lines, ",")
    summary = _summary_table(tables, _GA4, _COUNTRY + _COUNTRY_CODE + ("Nth day",))
    country_table = next(
        (t for t in tables if t.find(_COUNTRY) == 0 or t.find(_COUNTRY_CODE) == 0), None
    )
    if summary is None and country_table is None:
        line = tables[0].header_line if tables else 1
        raise DataError.one(
            ctx.path,
            "missing metrics: no table with Sessions, Total users, Views… and a single or a "
            "total row, nor a Country table",
            line,
        )
    values = None
    if summary is not None:
        values = _ga4_values(ctx, summary)
    countries = []
    if country_table is not None:
        countries = _countries(
            ctx, country_table, _COUNTRY, ("Sessions",), ".", _GA4["active_users"]
        )
    return _Parsed(values, countries, period)


def _ga4_values(ctx: _Context, summary: _Table) -> _Values:
    row = _total_row(ctx, summary)

    def get(metric: str) -> _Cell | None:
        index = summary.find(_GA4[metric])
        return None if index is None else _cell(ctx, summary, row, index)

    def parse(metric: str, how):
        cell = get(metric)
        return None if cell is None else how(ctx, cell)

    visits = parse("visits", _count)
    if visits is None:
        raise DataError.one(
            ctx.path, "missing metric visits: no column 'Sessions'", summary.header_line
        )
    visitors = parse("visitors", _count)
    active = parse("active_users", _count)
    if visitors is None and active is not None:
        visitors = active
        ctx.note("les visiteurs sont les utilisateurs actifs de GA4")
    pageviews = parse("pageviews", _count)
    pages = parse("pages_per_visit", _number)
    if pages is None and pageviews is not None and visits:
        pages = round(pageviews / visits, 2)
    duration = parse("duration", _duration)
    if duration is None:
        duration = parse("engagement_session", _duration)
        per_user = parse("engagement_user", _duration)
        if duration is None and per_user is not None and active and visits:
            duration = round(per_user * active / visits, 0)
        if duration is not None:
            ctx.note(
                "la durée moyenne est le temps d'engagement de GA4 (page au premier plan), non "
                "la durée des sessions que mesurait Universal Analytics"
            )
    bounce = None
    rate = parse("bounce_rate", _rate)
    if rate is None:
        engagement = parse("engagement_rate", _rate)
        rate = None if engagement is None else 1 - engagement
    if rate is not None:
        bounce = round(rate * 100, 2)
        ctx.note(GA4_BOUNCE_NOTE)
    return _Values(visits, visitors, pageviews, pages, duration, bounce)


# ----------------------------------------------------------------------------- periods


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _check_period(ctx: _Context, period: _Period | None) -> None:
    """The export must cover the fiscal year of its folder; say so when it covers only part."""
    fiscal = ctx.fiscal
    if period is None:
        ctx.note(
            "le fichier n'indique pas sa période : elle est supposée être l'exercice "
            f"({fiscal.label.lower()})"
        )
        return
    if period.start < fiscal.start or period.end > fiscal.end or period.start > period.end:
        line = period.line
        if period.start >= fiscal.start and period.end_line is not None:
            line = period.end_line
        raise DataError.one(
            ctx.path,
            f"export covers {period.start.isoformat()} to {period.end.isoformat()}, not within "
            f"the fiscal year {fiscal.describe()} of the folder {fiscal.year}",
            line,
        )
    _note_partial(ctx, period)


def _note_partial(ctx: _Context, period: _Period) -> None:
    fiscal = ctx.fiscal
    if (period.start, period.end) != (fiscal.start, fiscal.end):
        ctx.note(
            f"l'export ne couvre que la période du {fmt_date(period.start)} au "
            f"{fmt_date(period.end)}"
        )


# ----------------------------------------------------------------------------- frames


def _audience_frame(year: int, segment: str, label: str, v: _Values) -> pd.DataFrame:
    """One canonical ``web_audience`` row, typed like ``cae_report.data.read.read_table`` does;
    a metric the file does not give is missing (never 0)."""
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
