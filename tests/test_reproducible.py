"""Reproducible builds and the content-keyed cache.

A no-op rebuild is served from the cache; one changed byte rebuilds what depends on it, and
only that. (Two builds of the same inputs giving the same bytes: ``tests/test_cache.py``, with
the ``--no-cache`` rebuild.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import cli

PRODUCTS = (
    "rapport-2016.html",
    "rapport-2016.pdf",
    "rapport-2016.ipynb",
    "indicators.json",
    "anomalies.csv",
    "provenance.json",
)


def hashes(out: Path) -> dict[str, str]:
    files = [out / name for name in PRODUCTS] + sorted((out / "notebooks").glob("*.ipynb"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def build(root: Path, *extra: str):
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc", *extra)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_noop_rebuild_is_served_from_the_cache(built_2016):
    root, out, _ = built_2016
    before = hashes(out)
    proc = build(root)
    assert "up to date" in proc.stderr and "executed" not in proc.stderr
    assert hashes(out) == before


def test_one_changed_data_byte_rebuilds_and_reverting_reuses(built_2016):
    root, out, _ = built_2016
    before = hashes(out)
    path = root / "data" / "raw" / "2016" / "web_countries.csv"
    original = path.read_bytes()
    path.write_bytes(original.replace(b",115\n", b",116\n", 1))
    try:
        proc = build(root)
        notebooks = len(list((root / "notebooks").glob("[0-9]*.ipynb")))  # not explore.ipynb
        assert proc.stderr.count("executed ") == notebooks  # every notebook reads the data
        assert hashes(out)["rapport-2016.html"] != before["rapport-2016.html"]
    finally:
        path.write_bytes(original)
    proc = build(root)
    assert "executed " not in proc.stderr and proc.stderr.count("reused ") >= 11
    assert hashes(out) == before


def test_changed_notebook_reexecutes_only_that_notebook(built_2016):
    root, out, _ = built_2016
    path = root / "notebooks" / "13-annexe-site.ipynb"
    original = path.read_bytes()
    heading = b"## Rapport statistique du site internet"
    assert heading in original
    path.write_bytes(original.replace(heading, heading + b" !", 1))
    try:
        proc = build(root)
        assert "executed 13-annexe-site.ipynb" in proc.stderr
        assert proc.stderr.count("executed ") == 1 and "rendering with pandoc" in proc.stderr
    finally:
        path.write_bytes(original)
    build(root)


def test_changed_template_rerenders_without_executing(built_2016):
    root, out, _ = built_2016
    path = root / "src" / "cae_report" / "publish" / "report.css"
    original = path.read_bytes()
    path.write_bytes(original + b"\n/* changed */\n")
    try:
        proc = build(root)
        assert "executed " not in proc.stderr and "rendering with pandoc" in proc.stderr
    finally:
        path.write_bytes(original)
    build(root)
