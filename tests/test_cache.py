"""The verified cache and the clean swaps (issue 14, item 2).

Nothing corrupt is served: every cached file and every output is checked against the SHA-256
stored with it before it is used or called « up to date »; a corrupt entry is redone and said;
``--no-cache`` rewrites what it builds; a killed build's temporary folders go at the next build;
the swap never leaves a year's folder absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import cli

from cae_report.build import orchestrate
from cae_report.build.cache import Cache


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def build(root: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc", *extra)
    assert proc.returncode == 0, proc.stderr
    return proc


def entry_files(root: Path, kind: str) -> dict[str, dict[str, str]]:
    """The cache entries of ``kind``: key -> {name: sha256}."""
    entries = root / "_build" / ".cache" / "entries" / kind
    return {p.stem: json.loads(p.read_text())["files"] for p in entries.glob("*.json")}


def cached_copy(root: Path, output: Path) -> Path:
    """The cache's copy of an output file (objects are named by their SHA-256)."""
    sha = hashlib.sha256(output.read_bytes()).hexdigest()
    path = root / "_build" / ".cache" / "objects" / sha
    assert path.is_file(), output
    return path


# ---------------------------------------------------------------- the store itself


def test_an_entry_is_served_only_when_every_file_matches_its_sha256(tmp_path, capsys):
    cache = Cache(tmp_path / "cache")
    (tmp_path / "a.txt").write_text("alpha\n")
    digests = cache.put("notebook", "k1", {"a": tmp_path / "a.txt", "b": b"beta\n"})
    assert digests["b"] == hashlib.sha256(b"beta\n").hexdigest()
    got = cache.get("notebook", "k1")
    assert got["a"].read_text() == "alpha\n" and got["b"].read_bytes() == b"beta\n"
    assert cache.get("notebook", "other") is None
    # A truncated object: not served, removed, said.
    got["a"].write_text("alp")
    assert cache.get("notebook", "k1") is None
    assert "corrupt" in cache.notices[-1] and "a does not match its SHA-256" in cache.notices[-1]
    assert not got["a"].exists() and cache.get("notebook", "k1") is None
    # An unreadable index: the same.
    cache.put("notebook", "k2", {"b": b"beta\n"})
    (tmp_path / "cache" / "entries" / "notebook" / "k2.json").write_text('{"files": {"b"')
    assert cache.get("notebook", "k2") is None and "index" in cache.notices[-1]
    assert "cache entry" in capsys.readouterr().err


def test_no_cache_reads_nothing_but_rewrites_entries(tmp_path):
    Cache(tmp_path / "c").put("render", "k", {"x": b"good\n"})
    path = Cache(tmp_path / "c").get("render", "k")["x"]
    path.write_bytes(b"bad\n")
    refresh = Cache(tmp_path / "c", read=False)
    assert refresh.get("render", "k") is None  # not even looked at
    refresh.put("render", "k", {"x": b"good\n"})  # what --no-cache does after building
    assert Cache(tmp_path / "c").get("render", "k")["x"].read_bytes() == b"good\n"


def test_a_private_cache_is_readable_by_its_owner_only(tmp_path):
    cache = Cache(tmp_path / "private", private=True)
    cache.put("prepared", "k", {"r": b"addresses\n"})
    modes = {
        p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in (tmp_path / "private").rglob("*")
    }
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o700
    assert modes and all(mode in (0o700, 0o600) for mode in modes.values()), modes


# ---------------------------------------------------------------- end to end


def test_a_truncated_cached_report_is_rendered_again_not_published(built_2016):
    root, out, _ = built_2016
    before = digest(out)
    html = cached_copy(root, out / "rapport-2016.html")
    original = html.read_bytes()
    html.write_bytes(original[:100_000])
    (out / orchestrate.BUILD_KEY).unlink()  # forces the render step, with the same key
    proc = build(root)
    assert "corrupt" in proc.stderr and "rendering with pandoc" in proc.stderr
    assert digest(out) == before  # the same bytes as the first build, not the truncated file
    assert "up to date" in build(root).stderr


def test_an_edited_cached_notebook_is_executed_again(built_2016):
    root, out, _ = built_2016
    before = digest(out)
    cached = cached_copy(root, out / "notebooks" / "08-compte-resultat.ipynb")
    text = cached.read_text(encoding="utf-8")
    assert "16\u202f693" in text
    cached.write_text(text.replace("16\u202f693", "99\u202f999"), encoding="utf-8")
    (out / orchestrate.BUILD_KEY).unlink()
    proc = build(root)
    assert "corrupt" in proc.stderr and "executed 08-compte-resultat.ipynb" in proc.stderr
    assert proc.stderr.count("executed ") == 1
    assert digest(out) == before


def test_a_damaged_output_is_not_up_to_date(built_2016):
    root, out, _ = built_2016
    before = digest(out)
    pdf = out / "rapport-2016.pdf"
    pdf.write_bytes(pdf.read_bytes()[:1000])
    proc = build(root)
    assert "up to date" not in proc.stderr
    assert "rapport-2016.pdf differs from what the build wrote" in proc.stderr
    assert digest(out) == before  # rebuilt from the verified cache


def test_no_cache_rebuilds_the_same_bytes_and_repairs_a_corrupt_cache(built_2016):
    """Two builds of the same inputs give identical files (reproducible builds), and
    ``--no-cache`` rewrites the cache entries it rebuilds."""
    root, out, _ = built_2016
    before = digest(out)
    cached = cached_copy(root, out / "notebooks" / "16-provenance.ipynb")
    cached.write_bytes(b"{")
    proc = build(root, "--no-cache")
    chapters = len(list((root / "notebooks").glob("[0-9]*.ipynb")))
    assert proc.stderr.count("executed ") == chapters  # really rebuilt, not copied
    assert "corrupt" not in proc.stderr  # --no-cache does not even read the cache
    assert digest(out) == before
    proc = build(root)  # served from the cache --no-cache rewrote
    assert "up to date" in proc.stderr and "corrupt" not in proc.stderr
    for name, files in entry_files(root, "notebook").items():
        for sha in files.values():
            path = root / "_build" / ".cache" / "objects" / sha
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, name


def test_public_outputs_follow_the_umask(built_2016):
    _, out, _ = built_2016
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask()
    for path in out.rglob("*"):
        expected = 0o777 if path.is_dir() else 0o666
        assert stat.S_IMODE(path.stat().st_mode) == expected & ~_umask(), path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_public_mode_honours_a_group_umask(tmp_path, monkeypatch):
    import cae_report.build.cache as cache_module

    folder = tmp_path / "f"
    folder.mkdir(mode=0o700)  # as mkdtemp makes it
    previous = os.umask(0o002)
    monkeypatch.setattr(cache_module, "_UMASK", None)
    try:
        orchestrate._public_mode(folder)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o775


# ---------------------------------------------------------------- swaps and killed builds


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_a_killed_build_leaves_the_report_and_the_next_build_cleans_up(
    built_2016, signum, monkeypatch
):
    """Killed with its process group (a CI timeout) or interrupted from the terminal (Ctrl-C
    reaches the whole group): the report in place is unchanged, and what the build could not
    remove goes at the next build."""
    root, out, _ = built_2016
    before = digest(out)
    tmp_path = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))  # short: the sockets fit in it
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where the fork server's folder goes
    env = {**os.environ, "CAE_REPORT_ROOT": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cae_report.cli", "build", "--year", "2016", "--engine", "pandoc"]
        + ["--no-cache"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    for line in proc.stderr:
        if "executing" in line:
            break
    time.sleep(0.5)
    os.killpg(proc.pid, signum)
    rest = proc.stderr.read()
    proc.wait()
    proc.stderr.close()
    left = sorted(p.name for p in (root / "_build").glob(".tmp-*"))
    assert left  # what a killed build leaves
    assert digest(out) == before
    servers = list(tmp_path.glob("cae-forks-*"))
    if signum == signal.SIGINT:  # said in one line, and the fork server removed its folder
        assert proc.returncode == 130 and "Traceback" not in rest, (proc.returncode, rest)
        assert rest.strip().splitlines()[-1] == (
            "cae-report: interrupted; the reports in place are unchanged"
        )
        assert servers == []
    else:
        assert len(servers) == 1  # with its kernels' folders: no process was left to remove it
    again = build(root)
    assert "left by an interrupted build" in again.stderr and "up to date" in again.stderr
    assert not list((root / "_build").glob(".tmp-*"))
    assert not list(tmp_path.glob("cae-forks-*"))
    assert digest(out) == before
    tmp_path.rmdir()


def test_swap_never_leaves_the_folder_absent(tmp_path):
    out = tmp_path / "2016"
    out.mkdir()
    (out / "n.txt").write_text("0")
    absent = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not out.is_dir():
                absent.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(1, 200):
            tmp = tmp_path / f".tmp-2016-{os.getpid()}-{n}"
            tmp.mkdir()
            (tmp / "n.txt").write_text(str(n))
            orchestrate.swap(tmp, out)
            assert not tmp.exists()
    finally:
        stop.set()
        watcher.join()
    assert (out / "n.txt").read_text() == "199"
    assert not absent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2016"]


def test_without_an_atomic_exchange_an_interrupted_swap_is_put_back(tmp_path, monkeypatch):
    monkeypatch.setattr(orchestrate, "_exchange", lambda a, b: False)
    out, tmp = tmp_path / "2016", tmp_path / ".tmp-2016-1-x"
    for folder, text in ((out, "old"), (tmp, "new")):
        folder.mkdir()
        (folder / "f").write_text(text)
    orchestrate.swap(tmp, out)
    assert (out / "f").read_text() == "new" and sorted(os.listdir(tmp_path)) == ["2016"]
    # A build killed between the two renames leaves .old-2016-<pid> and no 2016/.
    dead = _dead_pid()
    out.rename(tmp_path / f".old-2016-{dead}")
    (tmp_path / f".tmp-2016-{dead}-abc").mkdir()
    (tmp_path / f".tmp-run-{os.getpid()}-abc").mkdir()  # this process's own: kept
    done = orchestrate.clean_stale(tmp_path)
    assert (out / "f").read_text() == "new"
    assert len(done) == 2 and any("put back 2016/" in line for line in done)
    assert sorted(os.listdir(tmp_path)) == [f".tmp-run-{os.getpid()}-abc", "2016"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("name", [".tmp-2016-interne-99999999-abc", ".old-2016-99999999"])
def test_stale_names_are_recognised(name):
    match = orchestrate._STALE.match(name)
    assert match and match["pid"] == "99999999"
    assert match["name"] in ("2016", "2016-interne")
