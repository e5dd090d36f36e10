"""Reference data kept as files in ``data/reference/``: read here, once, for every stage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Reference:
    """Reference data the cleaning rules compare against (``data/reference/``)."""

    places: pd.DataFrame  # columns: name, commune, kind
    # The official communes (``communes.csv``: code, name, department, postcodes, kind), None
    # when the project has no such file (then commune names are not checked).
    communes: pd.DataFrame | None = None


def _optional(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load_reference(folder: Path) -> Reference:
    return Reference(
        places=pd.read_csv(folder / "places.csv", dtype=str, keep_default_na=False),
        communes=_optional(folder / "communes.csv"),
    )


def department_names(folder: Path) -> dict[str, str]:
    """Code → name of every French département (``departements.csv``, official list)."""
    frame = _optional(folder / "departements.csv")
    return {} if frame is None else dict(zip(frame["code"], frame["name"], strict=True))


def sector_mapping(folder: Path) -> pd.DataFrame:
    """The activity → sector mapping (``activity_sectors.csv``)."""
    return pd.read_csv(folder / "activity_sectors.csv", dtype={"order": int})


def country_names(folder: Path) -> dict[str, str]:
    """English country names of analytics exports → French (``countries.csv``)."""
    frame = pd.read_csv(folder / "countries.csv", dtype=str)
    return dict(zip(frame["name"], frame["name_fr"], strict=True))
