"""The register of entrepreneurs exported by the CAE's social-management software.

One row per person: ``id``, ``entry_date``, ``exit_date`` (empty while the person is still in
the cooperative), ``contract``, ``commune``, ``activity``. From these dated records the module
derives the canonical ``movements`` and ``key_figures`` tables and the year-end list, so that
the figures the report states can be checked against the records they summarise
(:func:`reconcile`).

Conventions, chosen once here so that every derived figure agrees with the others:

* **The exit day does not count as present.** A person whose exit date is day D is counted in
  the exits of D's month and is *not* in the headcount at the end of that month, even when D
  is the month's last day. Present at the end of day E therefore means
  ``entry_date <= E`` and (no exit date or ``exit_date > E``). With this rule
  ``headcount_end(m) = headcount_end(m - 1) + entries(m) - exits(m)`` holds for every month,
  the stock-flow identity the published table is checked with.
* A person who joins and leaves within the same month is one entry and one exit of that month
  and never in a month-end headcount.
* The register holds one contract per person, the last one the software knows. A person who
  moved from a support agreement (CAPE) to a CESA is counted as CDI for every year; the split
  ``contracts_cdi`` / ``contracts_support`` of a past year is only as good as that.
* Columns other than the six above (an export may carry names or addresses) are ignored and
  never reach a DataFrame: the register is read for counting, not for publishing people.

The file may be the canonical CSV (UTF-8, ``,``) or what French Excel saves (``;``, cp1252 or a
UTF-8 BOM); dates are ``YYYY-MM-DD`` or ``DD/MM/YYYY``. Every problem names file, line and column
(:class:`~cae_report.errors.DataError`), all of them at once.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from pathlib import Path

import pandas as pd

from cae_report.data.contract import ANOMALY_COLUMNS
from cae_report.data.rawtext import read_text
from cae_report.data.read import NO_ROWS, capped, parse_date, sniff_separator, split_records
from cae_report.errors import DataError, Problem
from cae_report.fr import fmt_int, month_name

COLUMNS = ("id", "entry_date", "exit_date", "contract", "commune", "activity")
# Cells that must hold a value; exit_date is empty while the person stays, and an export may
# lack a commune or an activity without making the counts wrong.
REQUIRED_CELLS = ("id", "entry_date", "contract")

# Canonical contract types and the status the report prints for each (contract.STATUSES).
CONTRACT_STATUS: dict[str, str] = {
    "CDI/CESA": "Entrepreneur salarié",
    "CAPE/convention": "En convention",
    "CDD": "CDD",
}
# What the software (or a person editing the export) may write, mapped to a canonical type.
# Matched after _normalise: case, accents, punctuation and spacing do not matter.
CONTRACT_ALIASES: dict[str, str] = {
    "CDI/CESA": "CDI/CESA",
    "CDI": "CDI/CESA",
    "CESA": "CDI/CESA",
    "CDI-CESA": "CDI/CESA",
    "Contrat d'entrepreneur salarié associé": "CDI/CESA",
    "Entrepreneur salarié": "CDI/CESA",
    "Entrepreneur salarié associé": "CDI/CESA",
    "CAPE/convention": "CAPE/convention",
    "CAPE": "CAPE/convention",
    "Convention": "CAPE/convention",
    "Convention d'accompagnement": "CAPE/convention",
    "Contrat d'appui au projet d'entreprise": "CAPE/convention",
    "En convention": "CAPE/convention",
    "CDD": "CDD",
}

RULE = "register_reconciliation"
_MOVEMENT_FIELDS = {
    "entries": "entrées",
    "exits": "sorties",
    "headcount_end": "effectif fin de mois",
}
# Key figures the register can give, with the French label used in anomaly messages.
_KEY_FIGURE_LABELS = {
    "headcount_start": "Nombre d'entrepreneurs au début d'année",
    "headcount_end": "Nombre d'entrepreneurs en fin d'année",
    "entries": "Nombre de personnes intégrées",
    "exits": "Nombre de personnes sorties",
    "accompanied": "Nombre d'entrepreneurs accompagnés",
    "contracts_cdi": "Nombre d'entrepreneurs en CDI en fin d'année",
    "contracts_support": "Nombre d'entrepreneurs en convention d'accompagnement",
}
SOURCE = "registre"


def _normalise(label: str) -> str:
    """Lower case, no accents, punctuation and spacing collapsed: ``CDI / Cesa`` → ``cdi cesa``."""
    text = "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_ALIASES = {_normalise(alias): canonical for alias, canonical in CONTRACT_ALIASES.items()}


def contract_type(label: str) -> str:
    """The canonical contract type of a label as written; ValueError if it is not known.

    A closed vocabulary, rather than a guess, because a wrong guess would silently move a
    person between the CDI and convention counts the report states.
    """
    try:
        return _ALIASES[_normalise(label)]
    except KeyError:
        accepted = ", ".join(CONTRACT_ALIASES)
        raise ValueError(f"unknown contract type (accepted: {accepted})") from None


# ---------------------------------------------------------------- reading


def read_register(path: Path, *, max_bytes: int | None = None) -> pd.DataFrame:
    """Read the register export into a DataFrame of the six register columns.

    ``entry_date`` and ``exit_date`` are ``datetime64`` (``NaT`` = no exit), ``contract`` holds
    the canonical type (a key of :data:`CONTRACT_STATUS`), ``commune`` and ``activity`` the text
    as exported (``None`` when empty). Rows keep the file's order.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError.one(path, "missing file (register of entrepreneurs)")
    text = read_text(path, max_bytes).text
    if not text.strip():
        raise DataError.one(path, "file is empty", 1)
    sep = sniff_separator(path, text.split("\n", 1)[0].rstrip("\r"), list(COLUMNS))
    header, rows, row_problems = split_records(path, text, sep)
    problems = [Problem(path, "missing column", 1, name) for name in COLUMNS if name not in header]
    problems += [
        Problem(path, "column appears twice", 1, name)
        for name in sorted({n for n in header if n in COLUMNS and header.count(n) > 1})
    ]
    if problems:
        raise DataError(problems)
    position = {name: header.index(name) for name in COLUMNS}

    records: list[dict] = []
    first_line: dict[str, int] = {}
    problems = row_problems
    for line, cells in rows:
        record = _parse_row(path, line, {n: cells[i].strip() for n, i in position.items()})
        problems += record.pop("_problems")
        person = record["id"]
        if person:
            if person in first_line:
                problems.append(
                    Problem(path, f"id {person!r} already on line {first_line[person]}", line, "id")
                )
            else:
                first_line[person] = line
        records.append(record)
    if problems:
        raise DataError(capped(problems))
    if not records:
        raise DataError.one(path, NO_ROWS, 1)

    frame = pd.DataFrame(records, columns=list(COLUMNS))
    for col in ("entry_date", "exit_date"):
        frame[col] = pd.to_datetime(frame[col].astype("object"))
    return frame


def _parse_row(path: Path, line: int, cells: dict[str, str]) -> dict:
    """One register row parsed; its problems in ``_problems`` so that all are reported at once."""
    problems: list[Problem] = []
    for name in REQUIRED_CELLS:
        if not cells[name]:
            problems.append(Problem(path, "empty cell where a value is required", line, name))
    dates: dict[str, date | None] = {}
    for name in ("entry_date", "exit_date"):
        dates[name] = None
        if cells[name]:
            try:
                dates[name] = parse_date(cells[name])
            except ValueError as exc:
                problems.append(Problem(path, f"{cells[name]!r}: {exc}", line, name))
    entry, exit_ = dates["entry_date"], dates["exit_date"]
    if entry is not None and exit_ is not None and exit_ < entry:
        problems.append(
            Problem(
                path,
                f"exit {exit_.isoformat()} before entry {entry.isoformat()}",
                line,
                "exit_date",
            )
        )
    contract = None
    if cells["contract"]:
        try:
            contract = contract_type(cells["contract"])
        except ValueError as exc:
            problems.append(Problem(path, f"{cells['contract']!r}: {exc}", line, "contract"))
    return {
        "id": cells["id"],
        "entry_date": entry,
        "exit_date": exit_,
        "contract": contract,
        "commune": cells["commune"] or None,
        "activity": cells["activity"] or None,
        "_problems": problems,
    }


# ---------------------------------------------------------------- derived tables


def present_at(register: pd.DataFrame, day: pd.Timestamp | date) -> pd.Series:
    """Who is in the cooperative at the end of ``day`` (the exit day does not count)."""
    day = pd.Timestamp(day)
    exit_ = register["exit_date"]
    return (register["entry_date"] <= day) & (exit_.isna() | (exit_ > day))


def _month_end(year: int, month: int) -> pd.Timestamp:
    return pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0)


def _in_month(dates: pd.Series, year: int, month: int) -> pd.Series:
    return (dates.dt.year == year) & (dates.dt.month == month)


def movements_from_register(register: pd.DataFrame, year: int) -> pd.DataFrame:
    """The canonical ``movements`` table of ``year``: 12 rows, one per month."""
    rows = [
        {
            "year": year,
            "month": month,
            "entries": int(_in_month(register["entry_date"], year, month).sum()),
            "exits": int(_in_month(register["exit_date"], year, month).sum()),
            "headcount_end": int(present_at(register, _month_end(year, month)).sum()),
        }
        for month in range(1, 13)
    ]
    return pd.DataFrame(rows).astype("Int64")


def key_figures_from_register(register: pd.DataFrame, year: int) -> pd.DataFrame:
    """The key figures of ``year`` the register can give, as canonical ``key_figures`` rows.

    ``accompanied`` counts whoever was present at some point of the year: present at the start
    (end of Dec 31 of ``year - 1``) or joined during the year, so that it always equals
    ``headcount_start + entries``, as the report's own figures do (85 + 24 = 109).
    """
    start, end = pd.Timestamp(year - 1, 12, 31), pd.Timestamp(year, 12, 31)
    at_end = register[present_at(register, end)]
    status = at_end["contract"].map(CONTRACT_STATUS)
    entry, exit_ = register["entry_date"], register["exit_date"]
    values = {
        "headcount_start": int(present_at(register, start).sum()),
        "headcount_end": len(at_end),
        "entries": int((entry.dt.year == year).sum()),
        "exits": int((exit_.dt.year == year).sum()),
        "accompanied": int(((entry <= end) & (exit_.isna() | (exit_ > start))).sum()),
        "contracts_cdi": int((status == "Entrepreneur salarié").sum()),
        "contracts_support": int((status == "En convention").sum()),
    }
    frame = pd.DataFrame(
        {
            "year": year,
            "indicator": list(values),
            "value": [float(v) for v in values.values()],
            "unit": "count",
            "source": SOURCE,
        }
    )
    return frame.astype({"year": "Int64", "value": "Float64"})


def year_end_list(register: pd.DataFrame, year: int) -> pd.DataFrame:
    """The people present at the end of ``year``, sorted by id.

    Columns ``as_of``, ``id``, ``entry_date``, ``contract``, ``status``, ``commune``,
    ``activity``: the register has no name and no address, so this list can be shown without
    the privacy care ``entrepreneurs.csv`` needs.
    """
    end = pd.Timestamp(year, 12, 31)
    people = register[present_at(register, end)].sort_values("id", kind="stable")
    return pd.DataFrame(
        {
            "as_of": end.date().isoformat(),
            "id": people["id"],
            "entry_date": people["entry_date"].dt.date.map(date.isoformat),
            "contract": people["contract"],
            "status": people["contract"].map(CONTRACT_STATUS),
            "commune": people["commune"],
            "activity": people["activity"],
        }
    ).reset_index(drop=True)


# ---------------------------------------------------------------- reconciliation


def _number(value: object) -> int | float | None:
    """A cell as a plain number (int when whole), None when missing."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return int(number) if number.is_integer() else number


def _text(value: int | float | None) -> str:
    return "absent" if value is None else fmt_int(value)


def reconcile(derived: dict[str, pd.DataFrame], stated: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every difference between the register's tables and the stated ones, as anomaly rows.

    ``derived`` holds what :func:`movements_from_register` and
    :func:`key_figures_from_register` return (keys ``movements``, ``key_figures``);
    ``stated`` the transcribed tables (raw or clean). Only the years and key figures the
    register gives are compared; a value missing on one side is a difference too.

    In each row ``published`` is the stated value and ``corrected`` the register's. The
    action is ``flagged``: reconciling changes no table, and which source is wrong (the
    report, its transcription, or an export that keeps only a person's last contract) is for
    a person to decide.
    """
    rows: list[dict] = []
    rows += _reconcile_movements(derived.get("movements"), stated.get("movements"))
    rows += _reconcile_key_figures(derived.get("key_figures"), stated.get("key_figures"))
    # object dtype: counts stay ints (``4``, not ``4.0``) next to a missing value.
    return pd.DataFrame(rows, columns=ANOMALY_COLUMNS, dtype=object)


def _by_key(frame: pd.DataFrame | None, key: list[str], years: set[int]) -> dict[tuple, dict]:
    if frame is None:
        return {}
    out = {}
    for record in frame.to_dict("records"):
        k = tuple(int(record[c]) if c in ("year", "month") else record[c] for c in key)
        if k[0] in years:
            out[k] = record
    return out


def _reconcile_movements(derived: pd.DataFrame | None, stated: pd.DataFrame | None) -> list[dict]:
    if derived is None or stated is None:
        return []
    years = {int(y) for y in derived["year"]}
    ours = _by_key(derived, ["year", "month"], years)
    theirs = _by_key(stated, ["year", "month"], years)
    rows = []
    for year, month in sorted(set(ours) | set(theirs)):
        mine, published = ours.get((year, month), {}), theirs.get((year, month), {})
        for field, label in _MOVEMENT_FIELDS.items():
            register_value = _number(mine.get(field))
            stated_value = _number(published.get(field))
            if register_value == stated_value:
                continue
            rows.append(
                _row(
                    "movements",
                    f"{year}-{month:02d}",
                    field,
                    stated_value,
                    register_value,
                    f"{month_name(month).capitalize()} {year}, {label} : registre "
                    f"{_text(register_value)}, tableau publié {_text(stated_value)}",
                )
            )
    return rows


def _reconcile_key_figures(derived: pd.DataFrame | None, stated: pd.DataFrame | None) -> list[dict]:
    if derived is None or stated is None:
        return []
    years = {int(y) for y in derived["year"]}
    ours = _by_key(derived, ["year", "indicator"], years)
    theirs = _by_key(stated, ["year", "indicator"], years)
    rows = []
    for (year, indicator), mine in sorted(ours.items()):
        register_value = _number(mine["value"])
        stated_value = _number(theirs.get((year, indicator), {}).get("value"))
        if stated_value is not None and math.isclose(stated_value, register_value or 0):
            continue
        label = _KEY_FIGURE_LABELS.get(indicator, indicator)
        rows.append(
            _row(
                "key_figures",
                indicator,
                "value",
                stated_value,
                register_value,
                f"{label} ({year}) : registre {_text(register_value)}, "
                f"texte du rapport {_text(stated_value)}",
            )
        )
    return rows


def _row(table, key, field, published, corrected, message) -> dict:
    return {
        "table": table,
        "key": key,
        "field": field,
        "published": published,
        "corrected": corrected,
        "rule": RULE,
        "action": "flagged",
        "message": message,
    }
