"""Back test: the real 2016 data, end to end, against committed expected outputs.

``tests/expected/2016/`` was reviewed by hand against the published report (see the
README's list of anomalies). The comparison is a plain function so that a test can
show it really fails when one published figure changes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cae_report.build.prepare import check

EXPECTED = Path(__file__).parent / "expected" / "2016"
COMPARED = ("anomalies", "movements", "key_figures", "income_statement")


def differences(expected_dir: Path, actual_dir: Path) -> dict[str, str]:
    """Tables that differ, with pandas' explanation; empty when all match."""
    found = {}
    for name in COMPARED:
        expected = pd.read_csv(expected_dir / f"{name}.csv", dtype=str, keep_default_na=False)
        actual = pd.read_csv(actual_dir / f"{name}.csv", dtype=str, keep_default_na=False)
        try:
            pd.testing.assert_frame_equal(actual, expected)
        except AssertionError as exc:
            found[name] = str(exc)
    return found


@pytest.fixture
def processed(tmp_path):
    from conftest import RAW, REFERENCE

    def run(raw=RAW / "2016") -> Path:
        out = tmp_path / "processed"
        check(raw, REFERENCE, out, 2016)
        return out

    return run


def test_2016_matches_the_reviewed_expected_outputs(processed):
    assert differences(EXPECTED, processed()) == {}


def test_the_back_test_fails_when_a_published_figure_changes(processed, year_copy):
    folder = year_copy()
    path = folder / "training.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",13,104", ",13,101", 1))
    diff = differences(EXPECTED, processed(folder))
    assert set(diff) == {"anomalies", "key_figures"}


def test_2016_corrected_values():
    anomalies = pd.read_csv(EXPECTED / "anomalies.csv", dtype=str, keep_default_na=False)
    decided = {
        (r.table, r.key, r.field): (r.corrected, r.status)
        for r in anomalies.itertuples()
        if r.action == "corrected"
    }
    assert decided[("movements", "2016-12", "headcount_end")] == ("84", "corrected")
    assert decided[("income_statement", "charges / Entrepreneuriat coopératif", "actual")] == (
        "0",
        "probable",  # a copy of the line above; « Fournitures eau électricité » would also do
    )
    assert decided[("key_figures", "training_hours", "value")] == ("219", "probable")
    assert decided[("key_figures", "training_attendance", "value")] == ("51", "probable")
    assert decided[("key_figures", "personnel_variance_pct", "value")] == ("-1.9", "corrected")
    assert decided[("entrepreneurs", "MATHRAY Fabienne", "town")] == ("FREISSINIÈRES", "corrected")
    assert decided[("income_statement", "products / Uniformation", "published_variance_pct")] == (
        "non défini",
        "corrected",
    )
    flagged = {(r.table, r.key): r.status for r in anomalies.itertuples() if r.action == "flagged"}
    assert flagged[("key_figures", "contracts_support")] == "undecided"
    assert flagged[("key_figures", "members_previous")] == "undecided"
    assert flagged[("key_figures", "cice_share_pct")] == "undecided"
    # One finding per root cause: the list against the text is one finding with its rows.
    list_finding = anomalies.loc[anomalies["key"] == "contracts_cdi", "finding"].item()
    assert set(anomalies.loc[anomalies["finding"] == list_finding, "key"]) == {
        "contracts_cdi",
        "contracts_support",
        "headcount_end",
        "JAMGOTCHIAN Serge",
        "LALIN HONORE Silvia",
    }
    assert set(anomalies["status"]) <= {"corrected", "probable", "undecided", "note"}
