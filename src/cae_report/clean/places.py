"""Place and commune names: the cooperative's own places, the official list of communes.

A training venue or an event place is compared with the cooperative's places
(``data/reference/places.csv``): a name one or two letters off one of them is a typo and is
corrected. A name that is not a near miss is a new venue, which is not an error.

A commune of the list of entrepreneurs is compared with the official list of French communes
(``data/reference/communes.csv``, INSEE's Code officiel géographique): abbreviations are spelled
out (a note, so that counts by commune do not split a town in two), a name close to exactly one
commune of its postcode is a misspelling and is corrected, a name unknown to the list but close
to none is a place the list does not hold (a former commune, a hamlet): noted, not an error.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

import pandas as pd

from cae_report.clean.base import Anomaly, Context, Tables, fold, fold_all
from cae_report.data.reference import Reference

TYPO_CUTOFF = 0.85
"""Similarity (difflib ratio) from which a name is taken as a misspelling of a known one."""
ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "MT": "MONT"}


# ---------------------------------------------------------------- the cooperative's places


def place_names(tables: Tables, ref: Reference, context: Context) -> list[Anomaly]:
    """Training and event places against the cooperative's own places."""
    known = {fold(name): name for name in ref.places["name"]}
    found = []
    for table in ("training", "events"):
        frame = tables.get(table)
        if frame is None:
            continue
        for idx, place in frame["place"].items():
            if pd.isna(place):
                continue  # an event may have no place
            folded = fold(place)
            if folded in known:
                continue
            close = difflib.get_close_matches(folded, list(known), n=2, cutoff=TYPO_CUTOFF)
            if len(close) != 1 or _commune_key(place) in _commune_names(ref):
                continue  # a new venue, a real commune, or too close to two places to choose
            corrected = known[close[0]]
            key = " / ".join(
                str(frame.loc[idx, c]) for c in ("date", "summary", "event") if c in frame
            )
            found.append(
                Anomaly(
                    table,
                    key,
                    "place",
                    place,
                    corrected,
                    "place_names",
                    f"Lieu « {place} » : une ou deux lettres de « {corrected} », lieu de la "
                    "coopérative (sa liste de lieux), et ce n'est pas le nom d'une "
                    "commune : faute de frappe corrigée",
                    finding="place:" + _changed_words(place, corrected),
                    status="corrected",
                )
            )
            frame.loc[idx, "place"] = corrected
    return found


def _changed_words(published: str, corrected: str) -> str:
    a, b = fold(published).split(), fold(corrected).split()
    return " ".join(w for w in a if w not in b) + ">" + " ".join(w for w in b if w not in a)


# ---------------------------------------------------------------- communes


_INDEXES: dict[int, tuple[pd.DataFrame, dict]] = {}


def _index(rows) -> dict:
    """Folded commune names → rows, and postcode / département → folded names."""
    by_name: defaultdict[str, list[tuple]] = defaultdict(list)
    by_postcode: defaultdict[str, set[str]] = defaultdict(set)
    by_department: defaultdict[str, set[str]] = defaultdict(set)
    for code, name, department, postcodes, kind, full in rows:
        codes = postcodes.split()
        bare = _without_article(full)
        keys = (full,) if bare == full else (full, bare)
        row = (code, name, department, codes, kind)
        for key in keys:
            by_name[key].append(row)
        for pc in codes:
            by_postcode[pc].update(keys)
        by_department[department].update(keys)
    return {"name": dict(by_name), "postcode": dict(by_postcode), "department": dict(by_department)}


def _communes(ref: Reference) -> dict | None:
    if ref.communes is None:
        return None
    cached = _INDEXES.get(id(ref.communes))
    if cached is None or cached[0] is not ref.communes:
        columns = [
            ref.communes[c].tolist() for c in ("code", "name", "department", "postcodes", "kind")
        ]
        keys = _commune_keys(ref.communes["name"].tolist())  # 37 000 names
        cached = (ref.communes, _index(zip(*columns, keys, strict=True)))
        _INDEXES.clear()  # one list of communes at a time (the project's)
        _INDEXES[id(ref.communes)] = cached
    return cached[1]


def _commune_names(ref: Reference) -> dict:
    index = _communes(ref)
    return {} if index is None else index["name"]


_FULL = {"st": "saint", "ste": "sainte", "mt": "mont"}


def _commune_key(name: str) -> str:
    """Folded, with the abbreviations of « Saint » and « Mont » spelled out."""
    return " ".join(_FULL.get(w, w) for w in fold(name).split())


_ABBREVIATION = re.compile(r"(?<![a-z0-9])(st|ste|mt)(?![a-z0-9])")


def _commune_keys(names: list[str]) -> list[str]:
    """:func:`_commune_key` of each name, the list folded at once (:func:`fold_all`)."""
    folded = "\n".join(fold_all(names))
    return _ABBREVIATION.sub(lambda m: _FULL[m[1]], folded).split("\n") if names else []


def _without_article(key: str) -> str:
    """« le lyaud » and « lyaud » are one commune (the official list drops some articles)."""
    first, _, rest = key.partition(" ")
    return rest if rest and first in ("le", "la", "les", "l") else key


def _department(postcode: str) -> str:
    return postcode[:3] if postcode.startswith("97") else postcode[:2]


def _known(index: dict, key: str, postcode: str) -> bool:
    """The name is a commune of that postcode or département, or the start of one (a commune
    is often written without the second part of its name: « Laragne » for Laragne-Montéglin)."""
    rows = index["name"].get(key, []) + index["name"].get(_without_article(key), [])
    if any(postcode in pcs or dep == _department(postcode) for _c, _n, dep, pcs, _k in rows):
        return True
    near = index["postcode"].get(postcode, set())
    return any(name.startswith(key + " ") for name in near)


def commune_names(tables: Tables, ref: Reference, context: Context) -> list[Anomaly]:
    """Communes of the list of entrepreneurs: abbreviations spelled out, misspellings corrected
    to the one commune of the postcode they are close to."""
    people = tables.get("entrepreneurs")
    if people is None:
        return []
    found = _abbreviations(people)
    index = _communes(ref)
    if index is None:
        return found
    spelled = {}
    for town in people["town"]:
        spelled.setdefault(_commune_key(town), town)
    for idx, row in people.iterrows():
        town, postcode = str(row["town"]), str(row["postcode"])
        key = _commune_key(town)
        if _known(index, key, postcode):
            continue
        pool = index["postcode"].get(postcode) or index["department"].get(
            _department(postcode), set()
        )
        close = _distinct(index, difflib.get_close_matches(key, sorted(pool), n=6, cutoff=0.8))
        corrected, status = None, "note"
        if len(close) == 1:
            official = index["name"][close[0]][0][1]
            corrected = spelled.get(close[0]) or (official.upper() if town.isupper() else official)
            people.loc[idx, "town"] = corrected
            status = "corrected"
            message = (
                f"Commune « {town} » absente de la liste officielle des communes ; la seule "
                f"commune proche pour le code postal {postcode} est {official} : faute de "
                "frappe corrigée"
            )
        elif close:
            names = ", ".join(index["name"][c][0][1] for c in close)
            status = "undecided"
            message = (
                f"Commune « {town} » absente de la liste officielle ; plusieurs communes "
                f"proches pour le code postal {postcode} ({names}) : rien ne permet de choisir"
            )
        else:
            message = (
                f"« {town} » ({postcode}) n'est pas une commune actuelle de la liste officielle "
                "et n'est proche d'aucune : sans doute une ancienne commune ou un lieu-dit ; "
                "gardé tel quel"
            )
        found.append(
            Anomaly(
                "entrepreneurs",
                f"{row['surname']} {row['first_name']}",
                "town",
                town,
                corrected,
                "commune_names",
                message,
                finding=f"commune:{fold(town)}",
                status=status,
            )
        )
    return found


def _distinct(index: dict, keys: list[str]) -> list[str]:
    """Close names, one per commune (a name with and without its article is one commune)."""
    seen, out = set(), []
    for key in keys:
        code = index["name"][key][0][0]
        if code not in seen:
            seen.add(code)
            out.append(key)
    return out[:3]


def _abbreviations(people: pd.DataFrame) -> list[Anomaly]:
    """ST CRÉPIN → SAINT CRÉPIN, so a town is not counted twice (one finding: a note)."""
    found = []
    for idx, town in people["town"].items():
        words = re.split(r"([ -])", str(town))
        full = "".join(ABBREVIATIONS.get(w.upper().rstrip("."), w) for w in words)
        if full != town:
            people.loc[idx, "town"] = full
            found.append(
                Anomaly(
                    "entrepreneurs",
                    f"{people.loc[idx, 'surname']} {people.loc[idx, 'first_name']}",
                    "town",
                    town,
                    full,
                    "commune_names",
                    f"Commune abrégée « {town} » écrite en entier « {full} »",
                    finding="abbreviations",
                    status="note",
                )
            )
    return found


# ---------------------------------------------------------------- addresses


def shared_address(tables: Tables, ref: Reference, context: Context) -> list[Anomaly]:
    """One street address under two different towns is a copy error in one of them."""
    people = tables.get("entrepreneurs")
    if people is None or "address" not in people:
        return []
    found = []
    # Only street addresses with a number: lieux-dits like « Le Village » recur in many towns.
    rows = people[people["address"].notna() & people["address"].str.contains(r"\d", na=False)]
    for address, group in rows.groupby(rows["address"].map(fold)):
        if group[["postcode", "town"]].drop_duplicates().shape[0] < 2:
            continue
        names = ", ".join(
            f"{r.surname} {r.first_name} ({r.postcode} {r.town})" for r in group.itertuples()
        )
        for r in group.itertuples():
            found.append(
                Anomaly(
                    "entrepreneurs",
                    f"{r.surname} {r.first_name}",
                    "address",
                    "(adresse masquée)",
                    None,
                    "shared_address",
                    f"Même adresse pour des communes différentes : {names} ; l'une des "
                    "adresses est sans doute recopiée, rien ne dit laquelle",
                    finding=f"address:{address}",
                    status="undecided",
                )
            )
    return found
