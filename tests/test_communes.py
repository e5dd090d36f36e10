"""The official list of communes is what the pinned npm package gives, and is read without npm.

``data/reference/communes.csv`` and ``departements.csv`` are written by
``data/reference/make_communes.py`` from ``@etalab/decoupage-administratif`` (INSEE's Code
officiel géographique, Licence Ouverte), pinned in ``package-lock.json``; ``make test``
installs it (``npm ci``), the pipeline itself only reads the committed CSV files."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys

import pytest
from conftest import PROJECT, REFERENCE

from cae_report.data.reference import department_names, load_reference

PACKAGE = PROJECT / "node_modules" / "@etalab" / "decoupage-administratif"


def _script():
    spec = importlib.util.spec_from_file_location("make_communes", REFERENCE / "make_communes.py")
    module = importlib.util.module_from_spec(spec)
    written, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in data/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = written
    return module


def test_the_recorded_source_is_the_pinned_package():
    source = json.loads((REFERENCE / "communes_source.json").read_text(encoding="utf-8"))
    lock = json.loads((PROJECT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/@etalab/decoupage-administratif"]["version"]
    declared = json.loads((PROJECT / "package.json").read_text())["devDependencies"]
    assert source["version"] == pinned == declared["@etalab/decoupage-administratif"]


@pytest.mark.skipif(not PACKAGE.is_dir(), reason="npm package not installed: run `make test`")
def test_the_committed_files_are_what_the_script_writes_from_the_package():
    communes, departements = _script().rows(PACKAGE)
    with (REFERENCE / "communes.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f))[1:] == communes
    with (REFERENCE / "departements.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f))[1:] == departements


def test_the_pipeline_reads_the_list_without_npm():
    ref = load_reference(REFERENCE)
    embrun = ref.communes[ref.communes["name"] == "Embrun"]
    assert embrun[["code", "department", "postcodes"]].values.tolist() == [["05046", "05", "05200"]]
    assert len(ref.communes) > 34000
    names = department_names(REFERENCE)
    assert names["05"] == "Hautes-Alpes" and names["29"] == "Finistère" and len(names) >= 101
