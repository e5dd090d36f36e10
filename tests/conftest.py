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
NBVAL_SANITIZE = PROJECT / "tests" / "nbval" / "sanitize.cfg"


def _nbval_settings():
    """What ``tests/nbval/regenerate.py`` keeps and masks (one definition for both)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "nbval_regenerate", PROJECT / "tests" / "nbval" / "regenerate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_configure(config):
    """nbval compares every cell (``--nbval`` in pyproject), with the sanitising patterns of
    ``tests/nbval/sanitize.cfg`` wherever pytest is run from."""
    if getattr(config.option, "nbval", False) and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(NBVAL_SANITIZE)


_NBVAL_PREPARED: dict[str, str] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """nbval's kernels read prepared results, as a build's kernels do (``CAE_REPORT_PREPARED``):
    the years of the project and of the synthetic fixture are prepared once for the session,
    not in every notebook. Any other test runs without them."""
    from cae_report.build.prepare import PREPARED_ENV

    if type(item).__name__ != "IPyNbCell":
        if _NBVAL_PREPARED:
            os.environ.pop(PREPARED_ENV, None)
        return
    if not _NBVAL_PREPARED:
        import atexit
        import tempfile

        from cae_report import config as project_config
        from cae_report.build.cache import Cache
        from cae_report.build.prepare import prepare_for_build, write_manifest

        folder = Path(tempfile.mkdtemp(prefix="nbval-prepared-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        entries = {}
        for root in (PROJECT, PROJECT / "tests" / "fixtures" / "synthetic"):
            years = project_config.available_years(root)
            manifest, _ = prepare_for_build(years, root, Cache(folder / "cache"))
            assert not set(entries) & set(manifest["entries"]), "two roots share a year"
            entries.update(manifest["entries"])
        path = write_manifest({"version": 1, "entries": entries}, folder / "prepared.json")
        _NBVAL_PREPARED["manifest"] = str(path)
    os.environ[PREPARED_ENV] = _NBVAL_PREPARED["manifest"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The longest files first (:data:`HEAVY_FIRST`). nbval leaves out of the comparison what
    the references do not store: the charts' pictures and interactive versions (their text
    alternative, with the figures, is compared)."""
    _heavy_first(config, items)
    not_compared = _nbval_settings().NOT_COMPARED
    for item in items:
        parent = getattr(item, "parent", None)
        if hasattr(parent, "skip_compare") and not getattr(parent, "_cae_skips", False):
            parent.skip_compare = tuple(parent.skip_compare) + not_compared
            parent._cae_skips = True


HEAVY_FIRST = (
    "tests/test_quarto_project.py",
    "tests/test_reproducible.py",
    "tests/test_engines.py",
    "tests/test_privacy.py",
    "tests/test_cache.py",
    "tests/test_hostile_text.py",
    "tests/test_input_limits.py",
    "tests/test_build.py",
    "tests/test_accessibility.py",
    "tests/test_publish_hostile.py",
    "tests/test_written.py",
)
"""The files that take longest, handed out first (in this order): a long file taken last would
keep one worker busy while the other has nothing left to do. test_engines.py comes after a file
that needs no shared build: its Quarto build is the clone that test_quarto_project.py's worker
makes first, which the other worker would otherwise wait for."""


def _heavy_first(config, items):
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}

    def key(item):
        file = item.nodeid.split("::", 1)[0]
        return rank.get(file, len(rank))

    items.sort(key=key)  # stable: the tests of a file keep their order


def _shared_tmp(tmp_path_factory) -> Path:
    """The folder every worker of this run sees: the parent of a worker's own base temporary
    folder under pytest-xdist (``pytest-N/popen-gwK``), else the base folder itself."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory, name: str, make):
    """``make(folder)`` run once for the whole test run, whichever worker asks first (the
    others wait on a lock, then reuse it): returns ``(folder, what make returned)``. The
    folder is never changed afterwards: the tests work on copies of it."""
    import fcntl
    import pickle

    shared = _shared_tmp(tmp_path_factory)
    folder = shared / name
    done = shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a failed attempt: made again, same error
            folder.mkdir()
            result = make(folder)
            done.write_bytes(pickle.dumps(result))
    return folder, pickle.loads(done.read_bytes())


def copy_of(master: Path, target: Path) -> Path:
    """A copy of a shared build (modes and times kept): the build is keyed on content, never on
    paths or times, so the copy is as up to date as its original."""
    shutil.copytree(master, target, symlinks=True)
    return target


NBVAL_NOTEBOOKS = ("tests/nbval/*/*.ipynb", "tests/fixtures/synthetic/nbval/*/*.ipynb")
_NBVAL_FORKS: dict[str, object] = {}


def _nbval_forks():
    """The fork server of this worker's nbval kernels, started at the first notebook: it
    imports what the reference notebooks import, once, and each notebook's kernel is forked
    from it, as a build's kernels are (:mod:`cae_report.build.forkserver`). A kernel started
    the usual way pays a Python start and those imports, about 1.5 s, for each of the 33
    notebooks. None where the server cannot start (the kernels then start the usual way)."""
    if "server" not in _NBVAL_FORKS:
        import atexit

        from cae_report.build import forkserver
        from cae_report.build.execute import imported_modules

        sources = [p for pattern in NBVAL_NOTEBOOKS for p in sorted(PROJECT.glob(pattern))]
        try:
            server = forkserver.ForkServer(
                imported_modules(sources), {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
            )
            atexit.register(server.close)
        except OSError:
            server = None
        _NBVAL_FORKS["server"] = server
    return _NBVAL_FORKS["server"]


def _forked_specs(specs, kernel_name: str):
    """``specs()``, whose kernel for the current environment is forked from
    :func:`_nbval_forks` while it serves."""
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME

    manager = specs()
    forks = _nbval_forks() if kernel_name == CURRENT_ENV_KERNEL_NAME else None
    if forks is None or not forks.alive:
        return manager
    spec = manager.get_kernel_spec(kernel_name)
    spec.argv = forks.kernel_argv(spec.argv)

    class Forked(type(manager)):
        def get_kernel_spec(self, name):
            return spec if name == kernel_name else super().get_kernel_spec(name)

    return Forked()


def _ipc_kernel(specs):
    """nbval's ``start_new_kernel``, over Unix sockets in a private folder: kernels started at
    the same moment by two workers cannot collide on a port (as the build's own kernels),
    forked from :func:`_nbval_forks`."""
    import tempfile
    import uuid

    def start(startup_timeout=60, kernel_name="python", **kwargs):
        from jupyter_client import KernelManager
        from jupyter_core.utils import run_sync

        from cae_report.build.execute import wait_for_ready

        folder = Path(tempfile.mkdtemp(prefix="nbval-kernel-"))
        km = KernelManager(
            kernel_name=kernel_name,
            kernel_spec_manager=_forked_specs(specs, kernel_name),
            transport="ipc",
            ip=str(folder / uuid.uuid4().hex[:8]),
            connection_file=str(folder / "kernel.json"),
        )
        km.start_kernel(**kwargs)
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(wait_for_ready)(kc, startup_timeout)  # the build's wait, 0.2 s shorter
        except RuntimeError:
            kc.stop_channels()
            km.shutdown_kernel()
            raise
        return km, kc

    return start


try:
    import nbval.kernel as _nbval_kernel

    _nbval_kernel.start_new_kernel = _ipc_kernel(_nbval_kernel.NbvalKernelspecManager)
except ImportError:  # nbval not installed: its tests are not collected either
    pass


@pytest.fixture
def year_copy(tmp_path: Path):
    """Copy ``data/raw/<year>`` to a temporary folder (named ``as_year``) and return it."""

    def make(year: int = 2016, as_year: int | None = None) -> Path:
        target = tmp_path / "raw" / str(as_year or year)
        shutil.copytree(RAW / str(year), target)
        return target

    return make


def make_root(tmp: Path) -> Path:
    """A copy of what a build reads: config, written chapters, notebooks, data, Typst
    partials."""
    root = tmp / "project"
    root.mkdir()
    shutil.copy(PROJECT / "_quarto.yml", root)
    shutil.copytree(PROJECT / "notebooks", root / "notebooks")
    shutil.copytree(PROJECT / "data" / "raw", root / "data" / "raw")
    shutil.copytree(PROJECT / "data" / "reference", root / "data" / "reference")
    shutil.copy(PROJECT / "data" / "cooperative.yml", root / "data")
    shutil.copytree(PROJECT / "report", root / "report")  # the cooperative's written chapters
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


def _make_clone(root: Path) -> None:
    """The project's tracked files in a new git repository at ``root``."""
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


@pytest.fixture(scope="session")
def clone(tmp_path_factory) -> Path:
    """The project's tracked files in a new git repository, what a user has after a clone
    (tests/test_engines.py and tests/test_quarto_project.py build and render in it, sharing
    its notebook cache). Where Quarto is on PATH, 2016 is built in it with ``--engine quarto``
    (``_build/2016``, the ``quarto_2016`` of tests/test_engines.py): once for the run, each
    worker working on its own copy."""

    def make(folder: Path) -> None:
        root = folder / "cae-report"
        _make_clone(root)
        if shutil.which("quarto"):
            proc = cli(root, "build", "--year", "2016", "--engine", "quarto")
            assert proc.returncode == 0, proc.stderr

    master, _ = built_once(tmp_path_factory, "clone", make)
    return copy_of(master / "cae-report", tmp_path_factory.mktemp("clone") / "cae-report")


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


def cli_here(
    root: Path, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """``cae-report ARGS`` run by :func:`cae_report.cli.main` in this process, in ``root`` with
    ``env`` added and ``drop`` removed: what the command does (the same function, exit code and
    messages) without a new interpreter importing pandas and pandera each time. For what
    concerns the data; the command as a process is tested in tests/test_cli.py."""
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO
    from unittest import mock

    from cae_report.cli import main

    out, err = StringIO(), StringIO()
    environment = {**os.environ, "CAE_REPORT_ROOT": str(root), **(env or {})}
    for name in drop:
        environment.pop(name, None)
    cwd = os.getcwd()
    with mock.patch.dict(os.environ, environment, clear=True), redirect_stdout(out):
        with redirect_stderr(err):
            os.chdir(root)
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors, as the process exits
                code = exc.code
            finally:
                os.chdir(cwd)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def built_2016(tmp_path_factory):
    """2016 built with the pandoc engine in a copy of the project (made once for the run, each
    worker working on its own copy, changed then restored by some tests):
    (project root, _build/2016, the CLI's completed process of that build)."""

    def make(folder: Path) -> subprocess.CompletedProcess:
        root = make_root(folder)
        proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
        assert proc.returncode == 0, proc.stderr
        return proc

    master, proc = built_once(tmp_path_factory, "built-2016", make)
    root = copy_of(master / "project", tmp_path_factory.mktemp("build") / "project")
    return root, root / "_build" / "2016", proc


@pytest.fixture(scope="session")
def built_years(built_2016):
    """2013-2015 built by one batch (two jobs) in the project of ``built_2016``, where 2016 is
    then up to date: (project root, the CLI's completed process)."""
    root = built_2016[0]
    proc = cli(root, "batch", "--years", "2013-2016", "--jobs", "2", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr
    return root, proc


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


def pdf_text(path: Path) -> list[str]:
    """The text of each page of a PDF, as PDFium extracts it (``pdf_pages`` of
    :mod:`cae_report.publish.check`, what the build's own check reads): 0.1 s for the 2016
    report where pypdf takes 2 s. pypdf stays where a test reads the PDF's structure (outline,
    tags, catalog). Lines end with ``\n`` and the zero-width spaces (the break points set in
    long hashes) are left out, as pypdf gave them."""
    from cae_report.publish.check import pdf_pages

    pages, _ = pdf_pages(Path(path))
    return [p.replace("\r\n", "\n").replace("\r", "\n").replace("\u200b", "") for p in pages]
