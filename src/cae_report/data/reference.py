"""Reference data kept as files in ``data/reference/``: read here, once, for every stage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Reference:
    """Reference data the cleaning rules compare against (``data/reference/``)."""

    places: pd.DataFrame  # columns: name, commune, kind


def load_reference(folder: Path) -> Reference:
    return Reference(places=pd.read_csv(folder / "places.csv", dtype=str, keep_default_na=False))


def sector_mapping(folder: Path) -> pd.DataFrame:
    """The activity → sector mapping (``activity_sectors.csv``)."""
    return pd.read_csv(folder / "activity_sectors.csv", dtype={"order": int})


def country_names(folder: Path) -> dict[str, str]:
    """English country names of analytics exports → French (``countries.csv``)."""
    frame = pd.read_csv(folder / "countries.csv", dtype=str)
    return dict(zip(frame["name"], frame["name_fr"], strict=True))
