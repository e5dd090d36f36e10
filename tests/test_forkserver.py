"""The fork server: kernels forked from one process that has imported what the chapters
import, that execute as the usual kernels do, and that never outlive the build."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from cae_report.build import forkserver
from cae_report.build.execute import ChapterKernel
from cae_report.build.forkserver import OWNER, PREFIX, ForkServer, remove_stale

PROBE = (
    "import os, sys, json\n"
    "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), "
    "'warm': 'fractions' in sys.modules, 'cwd': os.getcwd(), "
    "'env': os.environ.get('CAE_FORK_PROBE'), 'path': sys.path}))"
)


def probe_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


def probe(kernel: ChapterKernel, tmp_path: Path) -> dict:
    out = tmp_path / "probe-out.ipynb"
    kernel.execute(probe_notebook(tmp_path / "probe.ipynb"), out, {})
    return json.loads(nbformat.read(out, as_version=4).cells[-1].outputs[0]["text"])


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _plain_probe(tmp_path: Path) -> dict:
    with ChapterKernel(tmp_path, dict(os.environ)) as kernel:
        kernel.start()
        return probe(kernel, tmp_path)


def test_a_forked_kernel_has_the_imports_done_and_runs_where_and_as_asked(tmp_path):
    env = {**os.environ, "CAE_FORK_PROBE": "the build's environment"}
    forks = ForkServer(["fractions"], env)
    try:
        with ChapterKernel(tmp_path, env, forks=forks) as kernel:
            kernel.start()
            seen = probe(kernel, tmp_path)
            assert kernel.attempts == 1
            assert seen["ppid"] == forks.process.pid  # forked by the server
            assert seen["warm"] is True  # imported before the fork, never by the notebook
            assert seen["cwd"] == str(tmp_path) and seen["env"] == "the build's environment"
            plain = _plain_probe(tmp_path)
            assert seen["path"] == plain["path"]  # as a kernel started on its own
        assert gone(seen["pid"])  # closing the kernel (its client killed) kills it
    finally:
        forks.close()
    assert not forks.folder.exists()


def test_without_a_serving_fork_server_the_kernel_starts_the_usual_way(tmp_path):
    forks = ForkServer(["fractions"], dict(os.environ))
    forks.close()
    with ChapterKernel(tmp_path, dict(os.environ), forks=forks) as kernel:
        kernel.start()
        seen = probe(kernel, tmp_path)
    assert seen["ppid"] != forks.process.pid and seen["warm"] is False


def test_a_fork_server_that_dies_costs_one_attempt(tmp_path, monkeypatch, capsys):
    forks = ForkServer(["fractions"], dict(os.environ))
    forks.process.kill()
    forks.process.wait()
    monkeypatch.setattr(ForkServer, "alive", property(lambda self: True))  # as if it had
    with ChapterKernel(tmp_path, dict(os.environ), forks=forks) as kernel:  # just died
        kernel.start()
        assert kernel.attempts == 2
        assert probe(kernel, tmp_path)["ppid"] != forks.process.pid
    forks.close()
    assert "the kernel did not start" in capsys.readouterr().err


def test_the_server_and_its_kernels_end_with_a_killed_build(tmp_path):
    """A build killed (SIGKILL) leaves no process and no folder behind."""
    script = tmp_path / "build.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import json, os, sys, time
            from pathlib import Path
            from cae_report.build.execute import ChapterKernel
            from cae_report.build.forkserver import ForkServer
            sys.path.insert(0, {str(Path(__file__).parent)!r})
            from test_forkserver import probe

            forks = ForkServer(["fractions"], dict(os.environ))
            kernel = ChapterKernel(Path({str(tmp_path)!r}), dict(os.environ), forks=forks)
            kernel.start()
            seen = probe(kernel, Path({str(tmp_path)!r}))
            print(json.dumps([forks.process.pid, seen["pid"], str(forks.folder)]), flush=True)
            time.sleep(600)
            """
        )
    )
    build = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        server, kernel, folder = json.loads(build.stdout.readline())
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    assert gone(server) and gone(kernel)
    assert not Path(folder).exists()  # the kernels' folders were in it


def test_the_folders_of_killed_servers_are_removed_and_no_other(tmp_path, monkeypatch):
    """A build killed with its process group (a CI timeout) leaves its server's folder: the next
    build removes it, and leaves every live server's folder and one being made alone."""
    tmp_path = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))  # short: its sockets fit in it
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed, live = ForkServer(["fractions"], dict(os.environ)), ForkServer([], dict(os.environ))
    try:
        killed.process.kill()
        killed.process.wait()
        assert killed.folder.exists()  # a SIGKILLed server cannot remove it
        made, left = tmp_path / f"{PREFIX}made", tmp_path / f"{PREFIX}left"
        made.mkdir()
        left.mkdir()
        os.utime(left, (time.time() - 3600, time.time() - 3600))
        reused = tmp_path / f"{PREFIX}reused"  # its pid now another process's (this one)
        reused.mkdir()
        (reused / OWNER).write_text(str(os.getpid()))
        other = tmp_path / "cae-kernel-x"
        other.mkdir()
        assert killed.folder.parent == tmp_path
        removed = remove_stale()
        assert sorted(p for p in removed if p.parent == tmp_path) == sorted(
            [killed.folder, left, reused]
        )
        assert live.folder.exists() and made.exists() and other.exists()
        assert live.alive
    finally:
        live.close()
        killed.close()
        shutil.rmtree(tmp_path)


def test_with_a_temporary_folder_too_long_for_unix_sockets_kernels_still_start(
    tmp_path, monkeypatch
):
    """A Unix socket's path has at most 103 bytes: with a long TMPDIR the sockets go to /tmp,
    and where no folder is short enough the kernel talks TCP on localhost."""
    long = tmp_path / ("long-" * 12)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    forks = ForkServer(["fractions"], dict(os.environ))
    try:
        assert forks.folder.parent == Path("/tmp")
        with ChapterKernel(tmp_path, dict(os.environ), forks=forks) as kernel:
            kernel.start()
            assert probe(kernel, tmp_path)["ppid"] == forks.process.pid
            assert kernel.attempts == 1 and kernel.unix_sockets
    finally:
        forks.close()
    monkeypatch.setattr(forkserver, "SOCKET_PATH_MAX", 10)
    with pytest.raises(OSError, match="no folder short enough"):
        ForkServer([], dict(os.environ))
    with ChapterKernel(tmp_path, dict(os.environ)) as kernel:
        kernel.start()
        assert probe(kernel, tmp_path)["warm"] is False
        assert kernel.attempts == 1 and not kernel.unix_sockets
        assert kernel.folder.parent == long
