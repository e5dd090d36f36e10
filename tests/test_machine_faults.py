"""The machine's faults (issue 14 item 5): a read-only folder or a full disk gives one line
naming the path and what to do, exit code 1, and the previous report stays in place.

The faults are real: small tmpfs mounts over the folders the build writes (a full one, a
read-only one). That needs root and the right to mount; elsewhere these tests skip, saying so.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import cli, make_root

from cae_report.build.orchestrate import machine_fault


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _can_mount(tmp: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    probe = tmp / "probe"
    probe.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)]).returncode
    if ok == 0:
        subprocess.run(["umount", str(probe)], check=True)
    probe.rmdir()
    return ok == 0


@pytest.fixture(scope="module")
def mountable(tmp_path_factory):
    if not _can_mount(tmp_path_factory.mktemp("probe")):
        pytest.skip("needs root and the right to mount a tmpfs (a real full or read-only disk)")


class Tmpfs:
    """A tmpfs over ``folder`` holding a copy of what was there, ``size`` bytes in all."""

    def __init__(self, folder: Path, size: int):
        self.folder, self.size = folder, size
        self.saved = folder.parent / f".saved-{folder.name}"

    def __enter__(self) -> Tmpfs:
        shutil.copytree(self.folder, self.saved, symlinks=True)
        opts = f"size={self.size},mode=755"
        subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(self.folder)], check=True)
        shutil.copytree(self.saved, self.folder, dirs_exist_ok=True)
        return self

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.folder)], check=True)

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["umount", str(self.folder)], check=True)
        shutil.rmtree(self.saved)


def _used(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
    return [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]


@pytest.fixture(scope="module")
def project(tmp_path_factory, mountable):
    """A project whose 2013 report is built (the previous report to keep)."""
    root = make_root(tmp_path_factory.mktemp("faults"))
    proc = cli(root, "build", "--year", "2013", "--engine", "pandoc")
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(root / "_build" / ".cache")
    return root


def test_a_read_only_build_folder_is_one_line_and_keeps_the_report(project):
    build = project / "_build"
    before = digest(build / "2013")
    with Tmpfs(build, 64 << 20) as mount:
        mount.read_only()
        proc = cli(project, "build", "--year", "2013", "--engine", "pandoc", "--no-cache")
        assert digest(build / "2013") == before
    assert proc.returncode == 1
    [line] = error_lines(proc)
    assert str(build) in line and "read-only file system" in line and "writable" in line
    assert "previous outputs" in proc.stderr and "unchanged" in proc.stderr


def test_a_read_only_processed_folder_is_one_line_for_check(project):
    processed = project / "data" / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    with Tmpfs(processed, 1 << 20) as mount:
        mount.read_only()
        proc = cli(project, "check", "--year", "2013")
    assert proc.returncode == 1
    [line] = error_lines(proc)
    assert str(processed / "2013") in line and "read-only file system" in line


def test_a_full_disk_is_one_line_and_keeps_the_report(project):
    build = project / "_build"
    before = digest(build / "2013")
    with Tmpfs(build, _used(build) + (96 << 10)):  # room for little more than the report
        proc = cli(project, "build", "--year", "2013", "--engine", "pandoc", "--no-cache")
        assert digest(build / "2013") == before
        assert not list(build.glob(".tmp-*"))  # the failed build's folder is gone
    assert proc.returncode == 1
    [line] = error_lines(proc)
    assert str(build) in line and "the disk is full: free some space" in line


def test_machine_faults_name_the_path_and_what_to_do(tmp_path):
    full = OSError(errno.ENOSPC, "No space left on device")
    assert machine_fault(full, tmp_path) == (
        f"cannot write {tmp_path}: the disk is full: free some space, then run the command again"
    )
    named = OSError(errno.EROFS, "Read-only file system", "/x/y")
    assert machine_fault(named).startswith("cannot write /x/y: the folder is on a read-only")
    assert machine_fault(RuntimeError("pandoc: /tmp/a.html: No space left on device")).startswith(
        "cannot write /tmp/a.html: the disk is full"
    )
    assert machine_fault(ValueError("boom")) is None
