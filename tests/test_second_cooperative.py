"""Another cooperative builds with no code change: Ker Coop (``tests/fixtures/kercoop/``), a
fictional cooperative of Finistère with its own settings, places, budget lines and funders,
and a website audience without a spam-filtered segment."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import PROJECT, cli

FIXTURE = PROJECT / "tests" / "fixtures" / "kercoop"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("kercoop") / "project"
    # symlinks=False: the official lists (links to the project's files) are copied as files.
    shutil.copytree(FIXTURE, root, symlinks=False, ignore=shutil.ignore_patterns("*.py"))
    # The project itself is the same for every cooperative: its chapters and formats.
    shutil.copyfile(PROJECT / "_quarto.yml", root / "_quarto.yml")
    shutil.copytree(PROJECT / "notebooks", root / "notebooks")
    shutil.copytree(
        PROJECT / "src" / "cae_report" / "publish", root / "src" / "cae_report" / "publish"
    )
    proc = cli(root, "build", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, root / "_build" / "2021", proc


def test_the_second_cooperative_builds_its_latest_year(built):
    root, out, proc = built
    assert (out / "rapport-2021.html").is_file() and (out / "rapport-2021.pdf").is_file()
    assert "2021  ok" in proc.stdout


def test_its_report_is_its_own(built):
    _, out, _ = built
    html = (out / "rapport-2021.html").read_text(encoding="utf-8")
    assert "Ker Coop" in html and "Quimperlé" in html
    assert "Rapport d’activité" in html or "Rapport d'activité" in html  # its own title
    assert "Rapport d’exécution" not in html and "Rapport d'exécution" not in html
    for other in ("Coodyssée", "Chorges", "Hautes-Alpes", "CICE"):
        assert other not in html, other
    assert "Finistère" in html  # département names from the official list


def test_its_data_raise_no_false_alarm_and_its_indicators_hold(built):
    root, out, proc = built
    check = cli(root, "check")
    assert check.returncode == 0 and "2021: data valid (complete); 0 anomalies" in check.stdout
    values = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    assert values["headcount_end"] == 33 and values["web_visits"] == 5400
    assert values["previous_year"]["state"] == "partial" and not values["previous_year"]["warnings"]
