"""CSV files the build writes open in a spreadsheet as text, never as formulas (OWASP's
CSV-injection rule), and numbers keep their sign."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from cae_report.build.csv_safe import FORMULA_START, neutralise, neutralise_cell
from cae_report.build.prepare import check

HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example","clic")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "-",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_becomes_text(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize(
    "number", ["-1.9", "-5", "+34", "-0,5", "-.5", "+1e3", "-12 %".replace(" ", "")]
)
def test_numbers_written_as_text_keep_their_sign(number):
    assert neutralise_cell(number) == number


def test_numeric_columns_and_missing_cells_are_untouched():
    frame = pd.DataFrame(
        {"n": [-1.5, 2.0], "i": pd.array([-3, None], dtype="Int64"), "t": ["=1", None]}
    )
    out = neutralise(frame)
    assert out["n"].tolist() == [-1.5, 2.0] and out["i"].tolist()[0] == -3
    assert out["t"].tolist()[0] == "'=1" and pd.isna(out["t"].tolist()[1])
    assert frame["t"].tolist()[0] == "=1"  # the clean tables themselves are not changed


def formula_cells(folder: Path) -> list[tuple[str, str]]:
    """Cells of the CSV files of ``folder`` that a spreadsheet would run."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.reader(stream):
                for cell in row:
                    if cell.startswith(FORMULA_START) and neutralise_cell(cell) != cell:
                        found.append((path.name, cell))
    return found


def test_hostile_data_reach_the_processed_tables_and_anomalies_as_text(year_copy, tmp_path):
    from conftest import REFERENCE

    folder = year_copy()
    training = folder / "training.csv"
    lines = training.read_text(encoding="utf-8").splitlines()
    for n, text in enumerate(HOSTILE[:5], start=1):
        fields = lines[n].split(",")
        fields[2] = '"' + text.replace('"', '""') + '"'  # the summary column
        lines[n] = ",".join(fields)
    training.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "processed"
    check(folder, REFERENCE, out, 2016)
    written = (out / "training.csv").read_text(encoding="utf-8")
    for text in HOSTILE[:5]:
        assert ("'" + text).replace('"', '""') in written, text
    assert formula_cells(out) == []
    key_figures = pd.read_csv(out / "key_figures.csv")
    assert (key_figures["value"] < 0).any()  # negative numbers stay numbers


def test_the_builds_anomalies_csv_holds_no_formula(built_2016):
    root, out, _ = built_2016
    assert formula_cells(out) == []
    assert formula_cells(root / "data" / "processed" / "2016") == []
    anomalies = pd.read_csv(out / "anomalies.csv", dtype=str, keep_default_na=False)
    assert "-1.9" in anomalies["corrected"].tolist()  # a negative figure, kept as it was
