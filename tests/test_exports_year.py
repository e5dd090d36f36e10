"""A year folder built from the cooperative's own exports: a FEC with its budget, an
audience export and the member register, alone or beside the transcribed tables."""

from __future__ import annotations

import json
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


def test_an_account_without_a_line_lands_on_a_pcg_line_with_a_french_note(tmp_path):
    folder = exports_folder(
        tmp_path / "raw" / "2016", **{"fec.txt": FIXTURES / "fec" / "fec_2016_unmapped.txt"}
    )
    data = prepare(folder, REFERENCE, 2016)
    assert indicators.compute(data.tables)["net_result"] == 16693 - 120
    notes = data.raw.table_notes["income_statement"]
    assert notes[0] == (
        "compte de résultat établi à partir du FEC (fec.txt), exercice du 1er janvier 2016 au "
        "31 décembre 2016"
    )
    assert any("« Charges exceptionnelles »" in n and "67120000" in n for n in notes)
    assert not any(str(tmp_path) in n for n in notes)  # never an absolute path
    assert data.anomalies.empty


def test_a_malformed_export_is_a_located_error(tmp_path):
    folder = exports_folder(
        tmp_path / "raw" / "2016", **{"fec.txt": FIXTURES / "fec" / "fec_unbalanced.txt"}
    )
    with pytest.raises(DataError) as info:
        prepare(folder, REFERENCE, 2016)
    assert any("fec.txt:" in str(p) for p in info.value.problems)


REAL_EXPORTS = {
    # Odoo's FEC under its legal name, fiscal year 1 September 2015 - 31 August 2016
    "508536364FEC20160831.txt": FIXTURES / "fec" / "508536364FEC20160831.txt",
    "budget.csv": FIXTURES / "fec" / "budget_pcg_gaps.csv",
    # Matomo's export button in French, one row per month of the fiscal year, and countries
    "audience.csv": FIXTURES / "audience" / "matomo_months_fiscal_fr.csv",
    "audience_pays.csv": FIXTURES / "audience" / "matomo_export_countries_fr_2016.csv",
    "register.csv": FIXTURES / "register" / "register_2016.csv",
}


def real_exports_project(tmp_path: Path) -> Path:
    """A copy of the project whose 2016 is made of real-layout exports only, with a
    fiscal year September - August declared in data/cooperative.yml."""
    root = make_root(tmp_path)
    shutil.rmtree(root / "data" / "raw")
    folder = root / "data" / "raw" / "2016"
    folder.mkdir(parents=True)
    (folder / "sources.csv").write_text("file,source,coverage,note\n", encoding="utf-8")
    with (folder / "sources.csv").open("a", encoding="utf-8") as sources:
        for name, source in REAL_EXPORTS.items():
            shutil.copy(source, folder / name)
            sources.write(f"{name},export of the cooperative's software (test fixture),complete,\n")
    settings = root / "data" / "cooperative.yml"
    text = settings.read_text(encoding="utf-8")
    assert 'start: "01-01"' in text
    settings.write_text(text.replace('start: "01-01"', 'start: "09-01"'), encoding="utf-8")
    return root


def test_a_fiscal_year_of_real_exports_prepares_the_ledgers_figures(tmp_path):
    root = real_exports_project(tmp_path)
    data = prepare(root / "data" / "raw" / "2016", root / "data" / "reference", 2016)
    assert data.raw.fiscal.label == "Exercice du 1er septembre 2015 au 31 août 2016"
    values = indicators.compute(data.tables)
    assert values["net_result"] == 32128.86  # class 7 − class 6 of the FEC, to the cent
    assert values["web_visits"] == 11846 and values["web_pageviews"] == 32104
    assert values["web_visitors"] is not None  # the main segment, though not « filtered »
    assert values["web_bounce_pct"] == 61.14 and values["web_avg_duration_s"] == 118
    assert values["headcount_end"] == 84
    lines = budget.lines(data.tables["income_statement"])
    assert budget.with_variance(lines)["label"].tolist() == [
        "Fournitures eau électricité", "Locations", "Formation", "Honoraires",
        "Salaires et charges", "Mutualisation", "Ventes et prestations (autres comptes 70)",
        "Région PACA – Dispositif territorial d'accompagnement des créateurs d'activités",
    ]  # fmt: skip
    assert data.raw.table_notes["movements"] == [
        "les entrées, sorties et effectifs du registre sont comptés sur l'année civile 2016 ; "
        "l'exercice comptable court du 1er septembre 2015 au 31 août 2016"
    ]


def plain(text: str) -> str:
    """Text without the typography the report adds (no-break spaces, apostrophes)."""
    return text.replace("\u202f", " ").replace("\u00a0", " ").replace("’", "'")


def test_a_fiscal_year_of_real_exports_builds_a_complete_report(tmp_path):
    """Issue 11, done: a FEC of a September - August fiscal year under its legal name, a
    budget with gaps, Matomo's French export and the register build a complete report whose
    result is the ledger's, every limit of the sources said in French."""
    root = real_exports_project(tmp_path)
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr
    out = root / "_build" / "2016"
    html = (out / "rapport-2016.html").read_text(encoding="utf-8")
    values = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    assert values["net_result"] == 32128.86
    assert values["web_visits"] == 11846 and values["web_visitors"] is not None
    for text in (
        "résultat net de 32 129 €",
        "Note sur la source : compte de résultat établi à partir du FEC "
        "(508536364FEC20160831.txt), exercice du 1er septembre 2015 au 31 août 2016",
        "« Achats (autres comptes 60) » regroupe des comptes sans ligne propre",
        "lignes n'ont pas d'écart défini et ne figurent pas dans le graphique des écarts : "
        "« Achats (autres comptes 60) »",
        "comptés sur l'année civile 2016",
        "somme des visiteurs uniques des 12 périodes",
        "11 846 visites",
        "ne comprennent pas le tableau des formations",
    ):
        assert plain(text) in plain(html), text
    assert "Note sur la source : the" not in html and "computed as" not in html
    for private in ("Dupont", "Benali", str(tmp_path)):
        assert private not in html


def test_check_says_how_the_exports_were_read(tmp_path):
    """The notes of ``cae-report check`` (in English): the encoding chosen, the opening
    entries, the accounts on PCG default lines, entries that cannot be checked."""
    root = real_exports_project(tmp_path)
    folder = root / "data" / "raw" / "2016"
    (folder / "508536364FEC20160831.txt").unlink()
    shutil.copy(FIXTURES / "fec" / "fec_pcg_zero_numbers.txt", folder / "fec.txt")
    text = (folder / "sources.csv").read_text(encoding="utf-8")
    (folder / "sources.csv").write_text(text.replace("508536364FEC20160831.txt", "fec.txt"))
    (folder / "fec.txt").write_bytes(
        (folder / "fec.txt").read_text(encoding="utf-8").encode("cp850")
    )
    proc = cli(root, "check", "--year", "2016")
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stdout.splitlines() if line.startswith("note: ")]
    assert "note: fec.txt: read as DOS code page 850" in notes
    assert any("6 opening line(s)" in n for n in notes)
    assert any("every EcritureNum is 0" in n for n in notes)
    assert any("15 account(s) on the PCG's default lines (601100, 602200" in n for n in notes)
