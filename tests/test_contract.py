"""data/README.md (the contract for people) and cae_report.data.contract (for code) agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cae_report.data.contract import KEY_FIGURES, REQUIRED_COMPLETE, TABLES

README = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(encoding="utf-8")


def section(name: str) -> str:
    """The README section that documents ``<name>.csv``."""
    match = re.search(rf"^#+ `?{name}\.csv`?[^\n]*$(.*?)(?=^#+ |\Z)", README, re.M | re.S)
    assert match, f"data/README.md has no section for {name}.csv"
    return match.group(1)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_column_of_every_table_is_documented(name):
    text = section(name)
    for col in TABLES[name].columns:
        row = re.search(rf"^\|\s*`?{col.name}`?\s*\|.*$", text, re.M)
        assert row, f"{name}.csv: column {col.name} not documented"
        state = "required" if col.required and not col.nullable else "optional"
        assert state in row.group(0), f"{name}.csv: column {col.name} should say {state}"


def test_every_key_figure_is_documented():
    for name in KEY_FIGURES:
        assert f"| {name} |" in README or f"| `{name}` |" in README, name


def test_required_files_are_documented():
    for name in REQUIRED_COMPLETE:
        assert f"{name}.csv" in README
