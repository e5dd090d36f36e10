"""Shared fixtures: the project root and copies of real year folders to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
REFERENCE = ROOT / "data" / "reference"


@pytest.fixture
def year_copy(tmp_path: Path):
    """Copy ``data/raw/<year>`` to a temporary folder (named ``as_year``) and return it."""

    def make(year: int = 2016, as_year: int | None = None) -> Path:
        target = tmp_path / "raw" / str(as_year or year)
        shutil.copytree(RAW / str(year), target)
        return target

    return make
