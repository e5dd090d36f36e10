"""Prepare once (issue 15 item 1): the build validates and cleans each year it needs exactly
once; chapters read that result through ``prepare_year`` / ``previous_year``, verified by its
content key and its SHA-256, and prepare the year themselves only outside a build."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest
from conftest import PROJECT, make_root

from cae_report.build import prepare as prep
from cae_report.build.cache import Cache
from cae_report.errors import DataError

YEARS = [2013, 2014, 2015, 2016]


@pytest.fixture
def counted(monkeypatch):
    """Count the years :func:`cae_report.build.prepare.prepare` validates and cleans."""
    calls: list[int] = []
    real = prep.prepare

    def counting(raw_dir, reference_dir, year, **options):
        calls.append(year)
        return real(raw_dir, reference_dir, year, **options)

    monkeypatch.setattr(prep, "prepare", counting)
    return calls


@pytest.fixture
def project(tmp_path) -> Path:
    return make_root(tmp_path)


def build_manifest(project: Path, tmp_path: Path, monkeypatch, years=YEARS) -> dict:
    manifest, _ = prep.prepare_for_build(years, project, Cache(tmp_path / "cache"))
    path = prep.write_manifest(manifest, tmp_path / "prepared.json")
    monkeypatch.setenv(prep.PREPARED_ENV, str(path))
    monkeypatch.setattr(prep, "_MANIFESTS", {})
    return manifest


def test_each_year_is_prepared_once_then_taken_from_the_verified_cache(project, tmp_path, counted):
    cache = Cache(tmp_path / "cache")
    manifest, results = prep.prepare_for_build(YEARS + [2016], project, cache)
    assert counted == YEARS  # once each, even when asked twice
    assert sorted(manifest["entries"]) == [f"{y}:public" for y in YEARS]
    assert all(isinstance(results[y], prep.Prepared) for y in YEARS)
    again, _ = prep.prepare_for_build(YEARS, project, cache)
    assert counted == YEARS and again == manifest  # nothing prepared the second time
    # A corrupt stored result is not used: that year is prepared again.
    Path(manifest["entries"]["2015:public"]["file"]).write_bytes(b"truncated")
    prep.prepare_for_build(YEARS, project, cache)
    assert counted == [*YEARS, 2015]


def test_chapters_read_the_builds_result_not_the_data(project, tmp_path, monkeypatch, counted):
    build_manifest(project, tmp_path, monkeypatch)
    counted.clear()
    first = prep.prepare_year(2016, root=project)
    assert counted == []  # read, not prepared
    first.tables["movements"].loc[:, "entries"] = -1  # a chapter changing its copy
    second = prep.prepare_year(2016, root=project)
    assert (second.tables["movements"]["entries"] >= 0).all()  # a fresh copy every call
    assert prep.previous_year(2016, root=project).year == 2015
    history = prep.visits_history(2016, root=project)
    assert history["year"].tolist() == YEARS and counted == []  # no year prepared again


def test_a_result_that_does_not_match_the_data_or_its_sha256_is_prepared_again(
    project, tmp_path, monkeypatch, counted, capsys
):
    manifest = build_manifest(project, tmp_path, monkeypatch)
    counted.clear()
    stored = Path(manifest["entries"]["2016:public"]["file"])
    payload = pickle.loads(stored.read_bytes())
    payload["prepared"].tables["key_figures"].loc[:, "value"] = 0.0
    stored.write_bytes(pickle.dumps(payload))  # the stored result no longer matches its SHA
    prep.prepare_year(2016, root=project)
    assert counted == [2016] and "does not match its SHA-256" in capsys.readouterr().err
    counted.clear()
    path = project / "data" / "raw" / "2015" / "sources.csv"
    path.write_bytes(path.read_bytes() + b"\n")  # the data changed after the build prepared it
    prep.prepare_year(2015, root=project)
    assert counted == [2015]
    assert "does not match the data or code on disk" in capsys.readouterr().err


def test_invalid_years_are_recorded_not_prepared_in_every_chapter(
    project, tmp_path, monkeypatch, counted
):
    (project / "data" / "raw" / "2015" / "web_visits.csv").write_text(
        "year,visits,precision\n2015,-5,rounded\n"
    )
    _, results = prep.prepare_for_build(YEARS, project, Cache(tmp_path / "cache"))
    assert isinstance(results[2015], DataError)
    build_manifest(project, tmp_path, monkeypatch)
    counted.clear()
    with pytest.raises(DataError, match=r"web_visits\.csv:2: column 'visits'"):
        prep.prepare_year(2015, root=project)
    assert prep.previous_year(2016, root=project) is None
    assert counted == []


def test_outside_a_build_the_year_is_prepared(project, monkeypatch, counted):
    monkeypatch.delenv(prep.PREPARED_ENV, raising=False)
    assert prep.prepare_year(2014, root=project).year == 2014
    assert counted == [2014, 2013]  # its rules compare with 2013, prepared for it


def test_a_builds_chapters_never_prepared_a_year_themselves(built_2016):
    """Every ``prepare_year`` of the build's kernels was served from its prepared results:
    a chapter that prepares a year itself under a build says so in its output."""
    _, out, proc = built_2016
    notebooks = sorted((out / "notebooks").glob("*.ipynb"))
    chapters = sorted((PROJECT / "notebooks").glob("[0-9]*.ipynb"))
    written = sorted((PROJECT / "report" / "2016").glob("*.qmd"))
    assert len(notebooks) == len(chapters) + len(written)
    for path in notebooks:
        text = json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False)
        assert "cae-report:" not in text, path.name
        assert "preparing the year again" not in text, path.name
    assert proc.stderr.count("validating and cleaning the data") == 1


def test_the_chapters_ask_for_the_years_the_build_prepares():
    """The build prepares every year up to the report's: what the chapters may ask for
    (``prepare_year``, ``previous_year``, ``visits_history``)."""
    root = Path(__file__).resolve().parents[1]
    calls = set()
    for path in sorted((root / "notebooks").glob("[0-9]*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            calls |= set(
                re.findall(
                    r"\b(prepare_year|previous_year|visits_history)\(", "".join(cell["source"])
                )
            )
    assert calls == {"prepare_year", "previous_year", "visits_history"}


def test_load_gives_the_clean_tables_and_the_anomalies_and_importing_is_light():
    import subprocess
    import sys

    import pandas as pd

    import cae_report

    root = Path(__file__).resolve().parents[1]
    data = cae_report.load(2016, root=root)
    assert isinstance(data.tables["movements"], pd.DataFrame)
    assert data.tables["movements"]["headcount_end"].iloc[-1] == 84  # the corrected value
    assert "address" not in data.tables["entrepreneurs"]  # public by default
    assert {"rule", "action", "corrected"} <= set(data.anomalies.columns)
    # papermill's -r and a quick call give a year as text: four digits are a year
    same = cae_report.load("2016", root=root)
    pd.testing.assert_frame_equal(same.tables["movements"], data.tables["movements"])
    with pytest.raises(TypeError, match="four digits, got '16'"):
        cae_report.load("16", root=root)
    heavy = "('pandas', 'pandera', 'matplotlib')"
    probe = f"import sys, cae_report; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
