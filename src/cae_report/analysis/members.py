"""Who the entrepreneurs are: contract status, where they live, what they do.

Everything is counted from the year-end list of entrepreneurs as published
(one row per person, "Sortie" rows included: filter before calling to exclude
them). Activities are free text; they are grouped into a few sectors with the
ordered regex mapping kept as data in ``data/reference/activity_sectors.csv``
so that a non-developer can adjust the classification without touching code.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping

import pandas as pd

OTHER_SECTOR = "Autres"
# Contract statuses in the order of the published list's legend.
STATUS_ORDER = ("Entrepreneur salarié", "En convention", "CDD", "Sortie")
MAPPING_COLUMNS = ["order", "pattern", "sector", "note"]


def strip_accents(text: object) -> str:
    """Lower-case ASCII form of ``text`` (œ → oe, é → e), the form sector patterns match on.

    Patterns are written without accents so that "Ébéniste", "ebeniste" and
    "ÉBÉNISTE" all match ``ebenist``.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return ""
    value = str(text).replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae")
    value = value.replace("\u2019", "'")
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return plain.lower()


def _counts(values: pd.Series, column: str) -> pd.DataFrame:
    """count and share_pct of each value, most frequent first, ties alphabetical."""
    counts = values.value_counts(sort=False).rename_axis(column).reset_index(name="count")
    total = counts["count"].sum()
    counts["share_pct"] = counts["count"] / total * 100 if total else math.nan
    counts = counts.sort_values(["count", column], ascending=[False, True]).reset_index(drop=True)
    return counts.astype({column: "str", "count": "int64", "share_pct": "float64"})


def _empty(*columns: str) -> pd.DataFrame:
    frame = {c: pd.Series(dtype="str") for c in columns}
    frame.update(count=pd.Series(dtype="int64"), share_pct=pd.Series(dtype="float64"))
    return pd.DataFrame(frame)


def by_status(entrepreneurs: pd.DataFrame | None) -> pd.DataFrame:
    """Columns status, count, share_pct; statuses in the list's usual order, others after."""
    if entrepreneurs is None or entrepreneurs.empty:
        return _empty("status")
    out = _counts(entrepreneurs["status"].astype("str").str.strip(), "status")
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    out["_rank"] = out["status"].map(lambda s: rank.get(s, len(rank)))
    out = out.sort_values(["_rank", "count"], ascending=[True, False], kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)


def department_code(postcode: object) -> str:
    """The département: first two digits of the postcode (leading zero restored if lost)."""
    text = str(postcode).strip()
    if text.isdigit() and len(text) == 4:
        text = "0" + text
    return text[:2]


def _official_names() -> dict[str, str]:
    """Every département's name, from the official list the project keeps
    (``data/reference/departements.csv``); empty when there is none."""
    from cae_report import config
    from cae_report.data.reference import department_names

    try:
        return department_names(config.reference_dir())
    except FileNotFoundError:
        return {}


def by_department(
    entrepreneurs: pd.DataFrame | None, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Columns department_code, department, count, share_pct.

    ``names``: code → name (default: the official list of ``data/reference/departements.csv``).
    Unknown codes keep the code as name rather than a guessed one. (Corsica's
    2A/2B and overseas 97x are not handled: no entrepreneur lives there.)
    """
    names = _official_names() if names is None else names
    if entrepreneurs is None or entrepreneurs.empty:
        out = _empty("department_code", "department")
        return out[["department_code", "department", "count", "share_pct"]]
    codes = entrepreneurs["postcode"].map(department_code)
    out = _counts(codes, "department_code")
    out.insert(1, "department", out["department_code"].map(lambda c: names.get(c, c)))
    return out.astype({"department": "str"})


def by_commune(entrepreneurs: pd.DataFrame | None) -> pd.DataFrame:
    """Columns town, count, share_pct; town names as in the (clean) list."""
    if entrepreneurs is None or entrepreneurs.empty:
        return _empty("town")
    return _counts(entrepreneurs["town"].astype("str").str.strip(), "town")


def _ordered(mapping: pd.DataFrame) -> pd.DataFrame:
    return mapping.sort_values("order", kind="stable")


def sector_of(activity: object, mapping: pd.DataFrame) -> str:
    """The sector of one activity: the first pattern, in ``order``, that matches.

    Entrepreneurs often list several activities; the mapping's order encodes
    which one wins (roughly: the activity cited first). No match gives "Autres".
    """
    text = strip_accents(activity)
    for row in _ordered(mapping).itertuples(index=False):
        if re.search(str(row.pattern), text, flags=re.IGNORECASE):
            return str(row.sector)
    return OTHER_SECTOR


def by_sector(entrepreneurs: pd.DataFrame | None, mapping: pd.DataFrame) -> pd.DataFrame:
    """Columns sector, count, share_pct; largest first and "Autres" always last."""
    if entrepreneurs is None or entrepreneurs.empty:
        return _empty("sector")
    ordered = _ordered(mapping)
    sectors = entrepreneurs["activity"].map(lambda a: sector_of(a, ordered))
    out = _counts(sectors, "sector")
    last = out["sector"] == OTHER_SECTOR
    return pd.concat([out[~last], out[last]], ignore_index=True)


ROSTER_COLUMNS = {
    "surname": "Nom",
    "first_name": "Prénom",
    "activity": "Activité",
    "address": "Adresse",
    "postcode": "Code postal",
    "town": "Commune",
    "status": "Statut",
}


def roster_table(entrepreneurs: pd.DataFrame) -> pd.DataFrame:
    """The nominative list with addresses, for the INTERNAL edition only (the board).

    Needs the internal tables (``prepare_year(year, internal=True)``): the public ones have
    no ``address`` column, and this refuses them rather than print a list without it.
    Sorted by name; missing values shown empty."""
    missing = [c for c in ROSTER_COLUMNS if c not in entrepreneurs]
    if missing:
        raise ValueError(f"roster_table needs the internal list of entrepreneurs; no {missing}")
    people = entrepreneurs.sort_values(["surname", "first_name"], kind="stable")
    frame = people[list(ROSTER_COLUMNS)].rename(columns=ROSTER_COLUMNS)
    return frame.fillna("").astype("str").reset_index(drop=True)
