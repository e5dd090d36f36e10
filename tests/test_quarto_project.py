"""``quarto render`` and ``quarto preview`` at the project root, as a Quarto user runs them, in
a clone of the project (a git repository of its tracked files): the default year's report
in ``_build/quarto/``, another year with ``-P year:2015``, nothing else rendered, no tracked
file written and a clean tree after, a chapter notebook never overwritten, and a preview that
follows the cooperative's edits. The year-choosing and in-place rules are unit-tested first.

The Quarto runs skip, saying why, where ``quarto`` is not on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import GIT_ENV, pdf_text

from cae_report.build.parameters import InPlaceExecution, refuse_in_place_execution
from cae_report.publish import quarto_project
from cae_report.publish.quarto_project import param_year, year_from

ROOT = Path(__file__).resolve().parents[1]
needs_quarto = pytest.mark.skipif(
    shutil.which("quarto") is None,
    reason="quarto not on PATH: `quarto render` at the root cannot be tested on this machine",
)
# --- rules ---------------------------------------------------------------------------------


def test_the_year_comes_from_P_then_a_profile_then_the_environment():
    years = [2013, 2014, 2015, 2016]
    assert year_from(years) == 2016
    assert year_from(years, param="2015") == 2015
    assert year_from(years, param="2014", profile="2015", env_year="2013") == 2014
    assert year_from(years, profile="draft,2015") == 2015
    assert year_from(years, profile="annee-2014") == 2014
    assert year_from(years, env_year="2013") == 2013
    for bad in ("2031", "16", "2016²", "٢٠١٦"):
        with pytest.raises(SystemExit, match="years with data: 2013, 2014, 2015, 2016"):
            year_from(years, param=bad)
    with pytest.raises(SystemExit, match="several years"):
        year_from(years, profile="2014,2015")


def test_P_year_is_read_from_quartos_arguments():
    assert param_year(["render", "-P", "year:2015"]) == "2015"
    assert param_year(["render", "--execute-param", "year: 2014", "--to", "html"]) == "2014"
    assert param_year(["render", "-P", "other:1", "--profile", "x"]) is None
    assert param_year(["preview"]) is None


def test_a_chapter_executed_in_place_by_quarto_is_stopped():
    quarto_kernel = {"QUARTO_FIG_FORMAT": "png", "QUARTO_DOCUMENT_FILE": "02-mouvements.ipynb"}
    with pytest.raises(InPlaceExecution, match="quarto render -P year:YYYY"):
        refuse_in_place_execution(quarto_kernel)
    # papermill's kernels (the build, the pre-render step), a .qmd executed by Quarto
    refuse_in_place_execution({})
    refuse_in_place_execution({"QUARTO_DOCUMENT_FILE": "02-mouvements.ipynb"})
    refuse_in_place_execution({**quarto_kernel, "QUARTO_DOCUMENT_FILE": "chapitre.qmd"})


# --- Quarto at the root of a clone ------------------------------------------------------------


def _run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "QUARTO_PYTHON": sys.executable}
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("CAE_REPORT_ROOT", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def git_status(root: Path) -> str:
    return _run(["git", "status", "--porcelain", "--untracked-files=all"], root).stdout


@pytest.fixture(scope="module")
def rendered(clone):
    gitignore = (clone / ".gitignore").read_bytes()
    started = time.perf_counter()
    proc = _run(["quarto", "render"], clone, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return clone, proc, gitignore, time.perf_counter() - started


@needs_quarto
def test_quarto_render_builds_the_default_year_report(rendered):
    root, proc, _, _ = rendered
    out = root / "_build" / "quarto"
    assert sorted(p.name for p in out.iterdir()) == ["rapport-2016.html", "rapport-2016.pdf"]
    page = (out / "rapport-2016.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="fr"', page) and page.count("plotly.js v") == 1
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "checked _build/quarto/rapport-2016.html" in proc.stderr + proc.stdout
    text = " ".join(pdf_text(out / "rapport-2016.pdf"))
    assert "Exercice 2016" in text and "Table des matières" in text
    index = (root / "_build" / "index.html").read_text(encoding="utf-8")
    assert 'url=quarto/rapport-2016.html"' in index


@needs_quarto
def test_quarto_render_renders_nothing_else_and_leaves_the_tree_clean(rendered):
    root, proc, gitignore, _ = rendered
    built = {p.name for p in (root / "_build").iterdir()}
    assert {"index.html", "quarto"} <= built
    # not tests/, docs/, README, the chapters, nor copies of the watched files
    assert not built & {"tests", "docs", "README.html", "notebooks", "report", "data"}
    assert "tests/" not in proc.stdout and "docs/" not in proc.stdout
    assert (root / ".gitignore").read_bytes() == gitignore  # Quarto appended nothing
    assert git_status(root) == ""
    from cae_report.build import provenance

    assert provenance.code_version(root)["dirty"] is False


@needs_quarto
def test_P_year_renders_another_year(rendered):
    root = rendered[0]
    proc = _run(["quarto", "render", "-P", "year:2015"], root, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pdf = root / "_build" / "quarto" / "rapport-2015.pdf"
    text = " ".join(pdf_text(pdf))
    assert "Exercice 2015" in text and "Exercice 2016" not in text
    assert sorted(p.name for p in (root / "quarto").glob("*.ipynb")) == [
        "rapport-2015-html.ipynb",
        "rapport-2015-typst.ipynb",
    ]
    assert git_status(root) == ""
    proc = _run(["quarto", "render", "-P", "year:2031"], root, timeout=600)
    assert proc.returncode != 0 and "no data folder data/raw/2031/" in proc.stderr


@needs_quarto
def test_rendering_a_chapter_notebook_never_overwrites_it(rendered):
    root = rendered[0]
    from cae_report.report import chapters

    notebook = chapters.notebooks(root)[0]
    before = notebook.read_bytes()
    proc = _run(
        ["quarto", "render", str(notebook.relative_to(root)), "--execute", "-P", "year:2015"],
        root,
        timeout=900,
    )
    assert proc.returncode != 0
    assert "in place, which would write its outputs into the committed notebook" in (
        proc.stdout + proc.stderr
    )
    assert notebook.read_bytes() == before
    assert git_status(root) == ""


def _get(url: str, timeout: float = 300) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


@needs_quarto
def test_quarto_preview_follows_the_cooperatives_edits(rendered):
    """``quarto preview`` serves the report and renders it again when a watched file (here
    the cooperative's settings, like its written chapters) changes. It serves what the
    ``rendered`` fixture's ``quarto render`` wrote (``--no-render``: the same render again
    would only take time); the render after the edit runs the pre-render step, every
    chapter again (the settings are one of their inputs), and Quarto's render."""
    root = rendered[0]
    settings = root / "data" / "cooperative.yml"
    original = settings.read_text(encoding="utf-8")
    port = 4900 + os.getpid() % 500
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    env.pop("CAE_REPORT_ROOT", None)
    preview = subprocess.Popen(
        ["quarto", "preview", "--no-render", "--no-browser", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 600
        for line in preview.stdout:
            if "Browse at" in line or time.monotonic() > deadline:
                break
        base = f"http://localhost:{port}"
        assert "url=quarto/rapport-2016.html" in _get(base + "/")
        page = _get(base + "/quarto/rapport-2016.html")
        assert "Région Provence-Alpes-Côte d’Azur" in page or "Côte d'Azur" in page
        assert "quarto-preview.js" in page  # the live-reload client, so no CSP here
        settings.write_text(
            original.replace("Région Provence-Alpes-Côte d'Azur", "Département des Hautes-Alpes"),
            encoding="utf-8",
        )
        # Quarto notices the change, runs the pre-render step (every chapter again) and
        # renders: the page is asked for again until it shows the edit.
        deadline = time.monotonic() + 300
        while "Département des Hautes-Alpes" not in page and time.monotonic() < deadline:
            time.sleep(0.5)
            page = _get(base + "/quarto/rapport-2016.html")
        assert "Département des Hautes-Alpes" in page
    finally:
        settings.write_text(original, encoding="utf-8")
        preview.terminate()
        try:
            preview.wait(timeout=30)
        except subprocess.TimeoutExpired:
            preview.kill()
    assert git_status(root) == ""


def test_the_project_root_script_is_the_one_quarto_runs():
    config = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    script = Path(quarto_project.__file__).relative_to(ROOT)
    assert f"pre-render: {script} pre-render" in config
    assert f"post-render: {script} post-render" in config
