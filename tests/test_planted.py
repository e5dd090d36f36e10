"""The planted year: a fictional 2017 of Coodyssée with errors of every kind a hand-made report
has, and legitimate figures that look suspicious (``tests/fixtures/planted/``, answers in
``cases.csv``, table in its README). Every decidable error must come back to its true value,
no right figure may change, every undecidable one must be flagged with its candidates, and the
indicators published from the clean tables must satisfy every identity."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest
from conftest import PROJECT

from cae_report.analysis import indicators
from cae_report.build.prepare import prepare
from cae_report.clean.base import shown

FIXTURE = PROJECT / "tests" / "fixtures" / "planted"
CASES = list(csv.DictReader((FIXTURE / "cases.csv").open(encoding="utf-8")))


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The project's data with the planted 2017 beside the real years; prepared once."""
    data = tmp_path_factory.mktemp("planted") / "data"
    shutil.copytree(PROJECT / "data" / "raw", data / "raw")
    shutil.copytree(FIXTURE / "data" / "raw" / "2017", data / "raw" / "2017")
    shutil.copytree(PROJECT / "data" / "reference", data / "reference")
    shutil.copy(PROJECT / "data" / "cooperative.yml", data)
    return prepare(data / "raw" / "2017", data / "reference", 2017)


def cell(tables, case) -> object:
    """The value of a case's cell in ``tables``."""
    table, key, field = case["table"], case["key"], case["field"]
    frame = tables[table]
    if table == "key_figures":
        rows = frame[frame["indicator"] == key]
    elif table == "movements":
        rows = frame[frame["month"] == int(key.split("-")[1])]
    elif table == "income_statement":
        side, label = key.split(" / ", 1)
        rows = frame[(frame["side"] == side) & (frame["label"] == label)]
    elif table == "web_audience":
        rows = frame[frame["segment"] == key.split(" / ")[1]]
    elif table == "training":
        date, summary = key.split(" / ", 1)
        rows = frame[(frame["date"] == date) & (frame["summary"] == summary)]
    elif table == "entrepreneurs":
        rows = frame[(frame["surname"] + " " + frame["first_name"]) == key]
    else:
        rows = frame
    assert len(rows) == 1, (case["id"], len(rows))
    return rows[field].iloc[0]


def same(value, expected: str) -> bool:
    """A value equals a case's true value, to the precision the true value is written with."""
    try:
        number = float(expected)
    except ValueError:
        return str(value) == expected
    decimals = len(expected.split(".")[1]) if "." in expected else 0
    return abs(float(value) - number) <= 0.5 * 10**-decimals + 1e-9


def rows_of(anomalies: pd.DataFrame, case) -> pd.DataFrame:
    return anomalies[
        (anomalies["table"] == case["table"])
        & (anomalies["key"] == case["key"])
        & (anomalies["field"] == case["field"])
    ]


def test_the_fixture_holds_twenty_planted_errors_of_every_group():
    planted = [c for c in CASES if c["expected"] in ("corrected", "probable", "undecided")]
    assert len(planted) >= 20
    assert {c["group"] for c in planted} >= {
        "movements",
        "contracts",
        "accounts",
        "training",
        "audience",
        "places",
        "members",
    }
    assert sum(c["expected"] == "undecided" for c in planted) >= 4
    assert sum(c["expected"] in ("none", "note") for c in CASES) >= 6


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["expected"] in ("corrected", "probable")],
    ids=lambda c: f"{c['id']}-{c['what'][:30]}",
)
def test_decidable_error_is_corrected_to_its_true_value(planted, case):
    hit = rows_of(planted.anomalies, case)
    assert len(hit) == 1, hit
    row = hit.iloc[0]
    assert row["status"] == case["expected"] and row["action"] == "corrected", row["message"]
    assert same(row["corrected"], case["true"]), (row["corrected"], case["true"])
    assert same(cell(planted.tables, case), case["true"])  # applied in the clean table
    assert same(cell(planted.raw.tables, case), case["published"])  # raw kept as published


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["expected"] == "undecided"],
    ids=lambda c: f"{c['id']}-{c['what'][:30]}",
)
def test_undecidable_error_is_flagged_with_its_candidates(planted, case):
    hit = rows_of(planted.anomalies, case)
    assert len(hit) == 1, planted.anomalies[["table", "key", "field"]]
    row = hit.iloc[0]
    assert row["status"] == "undecided" and row["action"] == "flagged"
    if case["table"] == "key_figures":
        assert same(cell(planted.tables, case), case["published"])  # nothing changed
        assert f"→ {shown(float(case['true']))}" in row["message"]  # the true value is a candidate


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["expected"] in ("none", "note")],
    ids=lambda c: f"{c['id']}-{c['what'][:30]}",
)
def test_legitimate_figure_raises_no_alarm(planted, case):
    hit = rows_of(planted.anomalies, case)
    if case["expected"] == "note":
        assert hit["status"].tolist() == ["note"]
    else:
        assert hit.empty, hit["message"].tolist()


def test_no_right_figure_changes_and_at_most_one_false_alarm(planted):
    planted_cells = {(c["table"], c["key"], c["field"]) for c in CASES}
    found = planted.anomalies
    # Rows attached to a planted finding (its other candidates) are not alarms of their own.
    planted_findings = {
        r.finding for r in found.itertuples() if (r.table, r.key, r.field) in planted_cells
    }
    alarms = [
        (r.table, r.key, r.field)
        for r in found.itertuples()
        if (r.table, r.key, r.field) not in planted_cells
        and r.status != "note"
        and r.finding not in planted_findings
    ]
    assert len(alarms) <= 1, alarms
    corrected = found[found["action"] == "corrected"]
    allowed = {
        (c["table"], c["key"], c["field"])
        for c in CASES
        if c["expected"] in ("corrected", "probable")
    }
    changed = {(r.table, r.key, r.field) for r in corrected.itertuples() if r.status != "note"}
    assert changed <= allowed, changed - allowed
    for name, raw in planted.raw.tables.items():
        clean = planted.tables[name]
        common = [c for c in raw.columns if c in clean.columns]
        diff = sum(
            not (pd.isna(a) and pd.isna(b)) and str(a) != str(b) and not _equal(a, b)
            for col in common
            for a, b in zip(raw[col], clean[col], strict=True)
        )
        assert diff <= sum(c["table"] == name for c in CASES), name


def _equal(a, b) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def test_published_indicators_satisfy_every_identity(planted):
    values = indicators.compute(planted.tables)
    assert indicators.contradictions(values) == []
    assert values["exits"] == 19 and values["headcount_end"] == 87 and values["movements"] == 41
    assert values["web_pages_per_visit"] == 2.75
