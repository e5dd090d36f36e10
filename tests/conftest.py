"""Shared fixtures: the project root and copies of real year folders to break on purpose."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
RAW = PROJECT / "data" / "raw"
REFERENCE = PROJECT / "data" / "reference"


@pytest.fixture
def year_copy(tmp_path: Path):
    """Copy ``data/raw/<year>`` to a temporary folder (named ``as_year``) and return it."""

    def make(year: int = 2016, as_year: int | None = None) -> Path:
        target = tmp_path / "raw" / str(as_year or year)
        shutil.copytree(RAW / str(year), target)
        return target

    return make


def make_root(tmp: Path) -> Path:
    """A copy of what a build reads: config, notebooks, data, Typst partials."""
    root = tmp / "project"
    root.mkdir()
    shutil.copy(PROJECT / "_quarto.yml", root)
    shutil.copytree(PROJECT / "notebooks", root / "notebooks")
    shutil.copytree(PROJECT / "data" / "raw", root / "data" / "raw")
    shutil.copytree(PROJECT / "data" / "reference", root / "data" / "reference")
    shutil.copy(PROJECT / "data" / "cooperative.yml", root / "data")
    shutil.copytree(
        PROJECT / "src" / "cae_report" / "publish", root / "src" / "cae_report" / "publish"
    )
    return root


GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
}


@pytest.fixture(scope="session")
def clone(tmp_path_factory) -> Path:
    """The project's tracked files in a new git repository, what a user has after a clone
    (tests/test_engines.py and tests/test_quarto_project.py build and render in it, sharing
    its notebook cache)."""
    root = tmp_path_factory.mktemp("clone") / "cae-report"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        if (PROJECT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, root / name)
    env = {**os.environ, **GIT_ENV}
    for args in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "clone"]):
        subprocess.run(args, cwd=root, env=env, capture_output=True, check=True)
    return root


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CAE_REPORT_ROOT": str(root)}
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(
        [sys.executable, "-m", "cae_report.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )


@pytest.fixture(scope="session")
def built_2016(tmp_path_factory):
    """2016 built once with the pandoc engine in a copy of the project:
    (project root, _build/2016, the CLI's completed process)."""
    root = make_root(tmp_path_factory.mktemp("build"))
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr
    return root, root / "_build" / "2016", proc


# --- headless Chromium, for tests/test_browser.py and tests/test_accessibility.py -------------

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium (``make system-deps``); playwright drives it and never downloads one."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

CHARTS_DRAWN_JS = """() => {
  const divs = [...document.querySelectorAll('.plotly-graph-div')];
  return divs.every(d => d._fullLayout && d.querySelector('svg.main-svg g.trace'));
}"""


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium for one test module (closed at its end, so that playwright's event
    loop never outlives the module). Skips, saying why, without Chromium or playwright (a
    developer machine without root: ``make system-deps`` installs Chromium as root)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run `make system-deps` as root")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: run `make install`"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_offline(browser, html: Path, *, wait_for_charts: bool = True):
    """Open ``html`` with the network blocked: every request that is not for a local resource
    is aborted and recorded. Returns ``(page, log)``: ``log["requests"]`` the non-local URLs the
    page asked for, ``log["errors"]`` its console errors and uncaught exceptions. Waits (up to
    30 s) until plotly has drawn every chart; the tests then say which chart is not drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(
        offline=True, viewport={"width": 1280, "height": 900}, locale="fr-FR"
    )
    log: dict[str, list[str]] = {"requests": [], "errors": []}

    def block(route):
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    def on_request(request):
        if not request.url.startswith(LOCAL_SCHEMES):
            log["requests"].append(request.url)

    def on_console(message):
        if message.type == "error":
            log["errors"].append(f"console.error: {message.text} ({message.location})")

    context.route("**/*", block)
    page = context.new_page()
    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: log["errors"].append(f"uncaught: {exc}"))
    page.goto(html.as_uri(), wait_until="load")
    if wait_for_charts:
        try:
            page.wait_for_function(CHARTS_DRAWN_JS, timeout=30_000)
        except PlaywrightTimeout:
            pass
    return page, log
