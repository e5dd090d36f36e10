"""Years depend on each other visibly: what a year cannot compare when the previous one is
missing or invalid, counted by the build (« ok, with warnings »); and the indicators are
checked against their identities before they are published."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import PROJECT

from cae_report.analysis import indicators
from cae_report.build.orchestrate import BuildResult, print_summary, warnings_of
from cae_report.build.prepare import prepare_year, previous_year_status


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(PROJECT / "data", root / "data", ignore=shutil.ignore_patterns("processed"))
    (root / "_quarto.yml").write_text("project: {}\n")
    return root


def test_a_partial_previous_year_is_used_without_warning(root):
    status = previous_year_status(2016, root)
    assert status.state == "partial" and status.warnings == [] and status.prepared is not None
    assert previous_year_status(2013, root).state == "first"


def test_an_invalid_previous_year_says_what_is_absent_and_why(root):
    path = root / "data" / "raw" / "2015" / "web_visits.csv"
    path.write_text("year,visits,precision\n2015,dix mille,rounded\n", encoding="utf-8")
    status = previous_year_status(2016, root)
    assert status.state == "invalid" and status.prepared is None
    assert len(status.warnings) == 1 and "2015 has invalid data" in status.warnings[0]
    assert "web_visits.csv:2" in status.warnings[0]  # names the file and line
    assert "ne passent pas les contrôles" in status.sentence()
    assert "croissance du chiffre d'affaires" in status.sentence()
    # This year's rules then have nothing to compare with, and still run.
    assert not prepare_year(2016, root=root).anomalies.empty


def test_a_missing_previous_year_is_a_warning_unless_it_is_the_first(root):
    shutil.rmtree(root / "data" / "raw" / "2015")
    status = previous_year_status(2016, root)
    assert status.state == "missing" and status.warnings
    assert previous_year_status(2014, root).warnings == []  # 2013 exists and is valid


def test_the_batch_summary_says_ok_with_warnings(tmp_path, capsys):
    out = tmp_path / "2016"
    out.mkdir()
    record = {"year": 2016, "previous_year": {"warnings": ["previous year 2015 has invalid data"]}}
    (out / "indicators.json").write_text(json.dumps(record))
    assert warnings_of(out) == ["previous year 2015 has invalid data"]
    assert warnings_of(tmp_path / "none") == []
    print_summary(
        [
            BuildResult(2015, False, 1.0, error="invalid data"),
            BuildResult(2016, True, 2.0, warnings=warnings_of(out)),
            BuildResult(2014, True, 1.5),
        ]
    )
    text = capsys.readouterr().out
    assert "2016  ok, with warnings" in text and "warning: previous year 2015" in text
    assert "2014  ok " in text and "2015  FAILED" in text


def test_indicators_that_contradict_each_other_are_not_published():
    values = dict.fromkeys(indicators.KEYS)
    values.update(headcount_start=84, entries=22, exits=18, headcount_end=87, movements=40)
    assert indicators.contradictions(values) == ["stock and flows: headcount_end = 87, expected 88"]
    with pytest.raises(indicators.Contradiction, match="not published"):
        indicators.check(values)
    values.update(exits=19, movements=41)
    indicators.check(values)  # 84 + 22 − 19 = 87
    assert indicators.contradictions(indicators.compute(prepare_year(2016).tables)) == []


def test_check_refuses_a_complete_year_without_august(root):
    from conftest import cli

    path = root / "data" / "raw" / "2016" / "movements.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("2016,8,")))
    proc = cli(root, "check", "--year", "2016")
    assert proc.returncode == 2, proc.stdout
    assert "movements.csv" in proc.stderr and "missing month(s) 8 (août)" in proc.stderr
    assert "data valid" not in proc.stdout
