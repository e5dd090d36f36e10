"""The cooperative's settings file: read once, refused with a location when malformed."""

from __future__ import annotations

import pytest
from conftest import PROJECT

from cae_report.data import cooperative
from cae_report.errors import DataError


def test_project_settings_name_the_cooperative():
    settings = cooperative.load(PROJECT / "data")
    assert settings["name"] and settings["report_title"]


def test_invalid_yaml_names_line_and_column(tmp_path):
    (tmp_path / "cooperative.yml").write_text('name: "X\nreport_title: R\n', encoding="utf-8")
    with pytest.raises(DataError) as err:
        cooperative.load(tmp_path)
    problem = err.value.problems[0]
    assert problem.file.name == "cooperative.yml" and problem.line is not None


def test_missing_required_setting(tmp_path):
    (tmp_path / "cooperative.yml").write_text("name: X\n", encoding="utf-8")
    with pytest.raises(DataError, match="report_title"):
        cooperative.load(tmp_path)
