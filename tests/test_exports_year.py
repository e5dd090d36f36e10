"""A year folder built from the cooperative's own exports: a FEC with its budget, an
audience export and the member register, alone or beside the transcribed tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import RAW, REFERENCE, cli, make_root

from cae_report.analysis import budget, indicators
from cae_report.build.prepare import prepare
from cae_report.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"
EXPORTS = {
    "fec.txt": FIXTURES / "fec" / "fec_2016.txt",
    "budget.csv": FIXTURES / "fec" / "budget_2016.csv",
    "audience.csv": FIXTURES / "audience" / "ga_universal_2016.csv",
    "register.csv": FIXTURES / "register" / "register_2016.csv",
}


def exports_folder(target: Path, with_tables: bool = False, **replace) -> Path:
    """data/raw/2016 made of the exports (and, if asked, the transcribed tables too)."""
    if with_tables:
        shutil.copytree(RAW / "2016", target)
    else:
        target.mkdir(parents=True)
        (target / "sources.csv").write_text("file,source,coverage,note\n")
    files = {**EXPORTS, **replace}
    with (target / "sources.csv").open("a") as sources:
        for name, source in files.items():
            shutil.copy(source, target / name)
            sources.write(f"{name},export of the cooperative's software (test fixture),complete,\n")
    return target


def test_a_year_of_exports_only_gives_the_canonical_tables(tmp_path):
    data = prepare(exports_folder(tmp_path / "raw" / "2016"), REFERENCE, 2016)
    tables = data.tables
    assert {
        "income_statement",
        "web_audience",
        "web_countries",
        "web_visits",
        "movements",
        "key_figures",
    } <= set(tables)
    values = indicators.compute(tables)
    assert values["charges_actual"] == 134217 and values["net_result"] == 16693
    assert values["headcount_start"] == 85 and values["headcount_end"] == 84
    assert values["accompanied"] == 109 and values["web_visits"] == 11846
    assert budget.totals(tables["income_statement"])["operating_surplus_actual"] == 25989
    assert data.anomalies.empty  # the exports are consistent, nothing to correct


def test_with_both_every_difference_is_recorded(tmp_path):
    data = prepare(exports_folder(tmp_path / "raw" / "2016", with_tables=True), REFERENCE, 2016)
    found = data.anomalies[data.anomalies["rule"] == "export_reconciliation"]
    keys = set(zip(found["table"], found["key"], found["field"], strict=True))
    assert ("movements", "2016-12", "headcount_end") in keys  # published 4, register 84
    assert ("income_statement", "charges / Entrepreneuriat coopératif", "actual") in keys
    assert ("web_audience", "all", "visits") not in keys  # 11 846 in both


def test_an_unmapped_account_is_reported_not_dropped(tmp_path):
    folder = exports_folder(
        tmp_path / "raw" / "2016", **{"fec.txt": FIXTURES / "fec" / "fec_2016_unmapped.txt"}
    )
    data = prepare(folder, REFERENCE, 2016)
    unmapped = data.anomalies[data.anomalies["rule"] == "fec_unmapped_account"]
    assert len(unmapped) >= 1 and unmapped["action"].eq("flagged").all()


def test_a_malformed_export_is_a_located_error(tmp_path):
    folder = exports_folder(
        tmp_path / "raw" / "2016", **{"fec.txt": FIXTURES / "fec" / "fec_unbalanced.txt"}
    )
    with pytest.raises(DataError) as info:
        prepare(folder, REFERENCE, 2016)
    assert any("fec.txt:" in str(p) for p in info.value.problems)


def test_a_year_of_exports_only_builds_a_complete_report(tmp_path):
    root = make_root(tmp_path)
    shutil.rmtree(root / "data" / "raw")
    exports_folder(root / "data" / "raw" / "2016")
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr
    html = (root / "_build" / "2016" / "rapport-2016.html").read_text(encoding="utf-8")
    for figure in (
        "160\u202f206\u00a0€",
        "16\u202f693\u00a0€",
        "accompagné 109 entrepreneurs",  # a written chapter, the figure from the register
        "11\u202f846\u00a0visites",
    ):
        assert figure in html, figure
    assert "ne comprennent pas le tableau des formations" in html
