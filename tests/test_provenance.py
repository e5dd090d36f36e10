"""Provenance of the figures: ``provenance.json`` next to the report and the annex chapter.

Every input file with its SHA-256, the code version (Git commit, dirty flag), Python, the main
packages and the engine; no timestamps, no absolute paths, a fixed order, so that two builds
of the same tree give identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import make_root, pdf_text

from cae_report.build import orchestrate, provenance

ROOT = Path(__file__).resolve().parents[1]
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project outside any Git repository."""
    return make_root(tmp_path_factory.mktemp("provenance"))


def test_collect_lists_every_input_up_to_the_year_with_its_sha256(project):
    record = provenance.collect(2015, "pandoc", project)
    paths = [row["path"] for row in record["inputs"]]
    expected = sorted(
        [
            p.relative_to(project).as_posix()
            for folder in ("data/raw/2013", "data/raw/2014", "data/raw/2015", "data/reference")
            for p in (project / folder).rglob("*")
            if p.is_file()
        ]
        + ["data/cooperative.yml"]  # the cooperative's settings, read by the report
    )
    assert paths == expected  # sorted, relative, nothing of 2016 (a later year)
    assert record["years_read"] == [2013, 2014, 2015]
    for row in record["inputs"]:
        data = (project / row["path"]).read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest() and HEX64.match(row["sha256"])
        assert row["bytes"] == len(data)
    assert "data/reference/activity_sectors.csv" in paths


def test_collect_records_code_python_packages_and_engine(project):
    record = provenance.collect(2016, "pandoc", project)
    assert record["code"] == {"commit": "unknown", "dirty": "unknown"}  # not a Git tree
    assert re.fullmatch(r"3\.11\.\d+", record["python"])
    assert list(record["packages"]) == list(provenance.PACKAGES)
    assert set(provenance.PACKAGES) >= {"pandas", "pypandoc-binary", "typst", "nbformat"}
    assert all(re.match(r"\d+\.\d+", v) for v in record["packages"].values()), record
    import pypandoc

    assert record["engine"] == {
        "name": "pandoc",
        "pandoc": pypandoc.get_pandoc_version(),
        "typst": record["packages"]["typst"],
    }


def test_record_is_deterministic_without_times_or_absolute_paths(project, tmp_path):
    first = provenance.dumps(provenance.collect(2016, "pandoc", project))
    elsewhere = make_root(tmp_path)  # the same files in another folder
    assert provenance.dumps(provenance.collect(2016, "pandoc", elsewhere)) == first
    assert str(project) not in first and str(Path.home()) not in first
    assert not re.search(r'"/', first)  # no absolute path at all
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", first)  # no date, no time
    paths = [row["path"] for row in json.loads(first)["inputs"]]
    assert paths == sorted(paths)
    (elsewhere / "data" / "raw" / "2016" / "sources.csv").write_text("changed\n")
    assert provenance.dumps(provenance.collect(2016, "pandoc", elsewhere)) != first


def test_quarto_version_comes_from_quarto(tmp_path, monkeypatch):
    fake = tmp_path / "quarto"
    fake.write_text("#!/bin/sh\necho 1.7.32\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert provenance.engine_versions("quarto") == {"name": "quarto", "quarto": "1.7.32"}
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert provenance.engine_versions("quarto") == {"name": "quarto", "quarto": "unknown"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_code_version_is_the_commit_and_the_dirty_flag(tmp_path):
    repo = tmp_path / "repo"
    (repo / "data" / "raw" / "2016").mkdir(parents=True)
    (repo / "data" / "raw" / "2016" / "sources.csv").write_text("file,source,coverage,note\n")
    (repo / ".gitignore").write_text("_build/\n")
    (repo / "_quarto.yml").write_text(
        "cae-report:\n  chapters:\n    - notebooks/01-donnees.ipynb\n"
    )
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "data")
    head = git("rev-parse", "HEAD")
    assert provenance.code_version(repo) == {"commit": head, "dirty": False}
    (repo / "_build").mkdir()
    (repo / "_build" / "x.txt").write_text("ignored\n")
    assert provenance.code_version(repo)["dirty"] is False  # ignored files do not count
    # Files the build does not read do not count: notes, a scratch notebook, the ignore list.
    (repo / "notes.txt").write_text("not committed\n")
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "scratch.ipynb").write_text("{}\n")
    (repo / ".gitignore").write_text("_build/\n*.tmp\n")
    assert provenance.code_version(repo) == {"commit": head, "dirty": False}
    # What the build reads does: a new data file, a changed chapter, a new module.
    for path in (
        repo / "data" / "raw" / "2016" / "extra.csv",
        repo / "notebooks" / "01-donnees.ipynb",
        repo / "src" / "cae_report" / "new.py",
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
        assert provenance.code_version(repo) == {"commit": head, "dirty": True}, path
        path.unlink()
    (repo / "data" / "raw" / "2016" / "sources.csv").write_text("file,source\n")  # tracked
    assert provenance.code_version(repo) == {"commit": head, "dirty": True}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_scratch_notebook_changes_neither_provenance_nor_the_annex_key(tmp_path):
    """An analyst's untracked notebook beside the chapters must not re-run the annex."""
    root = make_root(tmp_path)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "all"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    before = provenance.digest(provenance.collect(2016, "pandoc", root))
    (root / "notebooks" / "Untitled.ipynb").write_text("{}\n")
    assert provenance.digest(provenance.collect(2016, "pandoc", root)) == before
    (root / "notebooks" / "16-provenance.ipynb").write_text("{}\n")  # a chapter: it counts
    assert provenance.digest(provenance.collect(2016, "pandoc", root)) != before


def test_only_the_annex_is_keyed_on_the_provenance():
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert [s.name for s in sources if orchestrate.uses_provenance(s)] == ["16-provenance.ipynb"]
    annex = ROOT / "notebooks" / "16-provenance.ipynb"
    keys = {orchestrate.notebook_key(annex, "d", "c", {"year": 2016}, p) for p in ("", "a", "b")}
    assert len(keys) == 3


def test_annex_notebook_follows_the_conventions():
    nb = nbformat.read(ROOT / "notebooks" / "16-provenance.ipynb", as_version=4)
    heading = next(c.source for c in nb.cells if "## Provenance des chiffres" in c.source)
    assert 'if edition == "internal":' in heading  # a chapter of the internal edition only
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert "provenance.collect(year, engine)" in code[1]
    assert sum("table(" in c for c in code) == 2
    assert any(c.startswith("#| output: false\n# NBVAL_CHECK_OUTPUT") for c in code)


def test_build_writes_provenance_json_and_the_annex(built_2016):
    """provenance.json checked against what the test reads itself: the files on disk and their
    SHA-256, the installed versions, the pandoc binary."""
    from importlib import metadata

    import pypandoc

    root, out, _ = built_2016
    written = (out / "provenance.json").read_text(encoding="utf-8")
    record = json.loads(written)
    assert written == json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    assert record["year"] == 2016 and record["years_read"] == [2013, 2014, 2015, 2016]
    on_disk = sorted(
        p for p in (root / "data").rglob("*") if p.is_file() and "processed" not in p.parts
    )
    assert [r["path"] for r in record["inputs"]] == [
        p.relative_to(root).as_posix() for p in on_disk
    ]
    assert "data/cooperative.yml" in [r["path"] for r in record["inputs"]]
    for row, path in zip(record["inputs"], on_disk, strict=True):
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert row["bytes"] == path.stat().st_size
    assert record["code"] == {"commit": "unknown", "dirty": "unknown"}  # a copy, not a Git tree
    assert record["python"] == platform.python_version()
    assert record["packages"] == {name: metadata.version(name) for name in provenance.PACKAGES}
    version = subprocess.run(
        [pypandoc.get_pandoc_path(), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert record["engine"] == {
        "name": "pandoc",
        "pandoc": version,
        "typst": metadata.version("typst"),
    }
    entrepreneurs = next(r for r in record["inputs"] if r["path"].endswith("entrepreneurs.csv"))
    sha = entrepreneurs["sha256"]

    # The record is a file of the build, not a chapter of the public report: the internal
    # edition shows it (tests/test_privacy.py::test_internal_edition_holds_the_provenance…).
    html = (out / "rapport-2016.html").read_text(encoding="utf-8")
    assert "Provenance des chiffres" not in html and sha[:32] not in html
    pages = pdf_text(out / "rapport-2016.pdf")
    assert not any("Provenance des chiffres" in page for page in pages)
