"""Issue 14, input side: every raw file is checked before it is parsed, and every refusal is a
located message with the exit code of invalid data (``cae-report check`` exits 2).

Size limit per raw file, bounded memory, UTF-8 spoiled by a few bytes of another encoding,
NUL and control characters, header-only files, year folders that are not four ASCII digits,
and an unclosed quote reported where it opens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, RAW, REFERENCE, cli_here

from cae_report import config
from cae_report.cli import EXIT_INVALID, EXIT_USAGE, year_text
from cae_report.data.rawtext import DEFAULT_MAX_FILE_MIB, LIMIT_ENV, file_limit, read_text
from cae_report.data.validate import load_year
from cae_report.errors import DataError


def project(tmp_path: Path) -> Path:
    """What ``check`` reads: the 2016 folder, the reference files, cooperative.yml."""
    root = tmp_path / "project"
    (root / "data" / "raw").mkdir(parents=True)
    (root / "_quarto.yml").write_text("", encoding="utf-8")
    shutil.copytree(RAW / "2016", root / "data" / "raw" / "2016")
    shutil.copytree(REFERENCE, root / "data" / "reference")
    shutil.copy(PROJECT / "data" / "cooperative.yml", root / "data")
    return root


def check(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``cae-report check`` (2016 unless ``args`` say otherwise), with the default file limit
    unless ``env`` sets one."""
    drop = () if LIMIT_ENV in (env or {}) else (LIMIT_ENV,)
    return cli_here(root, "check", *(args or ("--year", "2016")), env=env, drop=drop)


def refused(proc: subprocess.CompletedProcess, where: str, *words: str) -> None:
    """Exit code 2, the located message, no traceback."""
    assert proc.returncode == EXIT_INVALID, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line.strip() for line in proc.stderr.splitlines()]
    hits = [line for line in lines if where in line]
    assert hits, proc.stderr
    assert all(word in hits[0] for word in words), hits[0]


@pytest.fixture
def root(tmp_path):
    return project(tmp_path)


def folder(root: Path) -> Path:
    return root / "data" / "raw" / "2016"


# ---------------------------------------------------------------- size limit and memory


def test_a_file_above_the_limit_is_refused_before_it_is_read(root):
    proc = check(root, env={LIMIT_ENV: "0.005"})  # 5 KiB: entrepreneurs.csv holds 10 KiB
    refused(
        proc,
        "entrepreneurs.csv:",
        "file is 9.9 KiB, above the limit of 5.1 KiB per raw file",
        "raise the limit in MiB (max_file_mib in data/cooperative.yml",
        LIMIT_ENV,
    )


def test_the_limit_is_set_in_cooperative_yml(root):
    settings = root / "data" / "cooperative.yml"
    text = settings.read_text(encoding="utf-8")
    assert "max_file_mib: 100\n" in text
    settings.write_text(text.replace("max_file_mib: 100\n", "max_file_mib: 0.005\n"))
    refused(check(root), "entrepreneurs.csv:", "above the limit of 5.1 KiB")
    assert file_limit(root / "data") == int(0.005 * 1024 * 1024)
    settings.write_text(settings.read_text(encoding="utf-8").replace("0.005", "beaucoup"))
    refused(check(root), "cooperative.yml", "positive number of MiB", "'beaucoup'")


def test_the_default_limit(monkeypatch, tmp_path):
    monkeypatch.delenv(LIMIT_ENV, raising=False)
    assert file_limit(tmp_path) == DEFAULT_MAX_FILE_MIB * 1024 * 1024


MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
from cae_report.data.validate import load_year
data = load_year(Path(sys.argv[1]), 2016)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def peak_mib(folder: Path) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, LIMIT_ENV: "64"},
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip())


def test_validation_of_a_large_file_stays_in_bounded_memory(tmp_path):
    """An 11 MiB table (generated, not committed) costs less than 18 times its size in
    memory above what the 2016 folder costs: memory grows like the file (the reader that
    took 14 GB for 200 MiB needed about 25 times)."""
    target = tmp_path / "raw" / "2016"
    shutil.copytree(RAW / "2016", target)
    header = (target / "training.csv").read_text(encoding="utf-8").splitlines()[0]
    row = "2016-{m:02d}-{d:02d},Formation,Atelier {i} gestion et comptabilité,Chorges,3,6\n"
    with (target / "training.csv").open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for i in range(160_000):
            out.write(row.format(m=i % 12 + 1, d=i % 28 + 1, i=i))
    size = (target / "training.csv").stat().st_size / 2**20
    growth = peak_mib(target) - peak_mib(RAW / "2016")
    assert size > 10 and growth < 18 * size, (size, growth)


# ---------------------------------------------------------------- encodings


def test_utf8_spoiled_by_a_few_bytes_is_an_error_naming_line_column_and_byte(root):
    path = folder(root) / "training.csv"
    data = path.read_bytes()
    assert "é".encode() in data  # the rest of the file is UTF-8
    lines = data.split(b"\n")
    lines[3] = lines[3].replace(b",", b",R\xe9union ", 1)
    path.write_bytes(b"\n".join(lines))
    refused(
        check(root),
        "training.csv:4: column 'type':",
        "byte 0xE9 (byte",
        "is not UTF-8 while the rest of the file is",
        "(Windows-1252?)",
        "re-save the whole file as UTF-8",
    )


def test_a_file_wholly_in_dos_850_is_read_with_a_note(root):
    path = folder(root) / "training.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp850"))
    proc = check(root)
    assert proc.returncode == 0, proc.stderr
    assert "training.csv: read as a spreadsheet export (encoding DOS code page 850" in proc.stdout
    data = load_year(folder(root), 2016)
    assert "Réunion collective" in set(data.tables["training"]["type"])


@pytest.mark.parametrize(("char", "name"), [("\x00", "NUL U+0000"), ("\x07", "U+0007")])
def test_nul_and_control_characters_are_refused_with_their_position(root, char, name):
    path = folder(root) / "events.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[2].split(",")
    cells[1] = cells[1][:3] + char + cells[1][3:]
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    position = len(cells[0]) + 1 + 3 + 1
    column = lines[0].split(",")[1]
    refused(check(root), f"events.csv:3: column '{column}':", name, f"at character {position}")


# ---------------------------------------------------------------- structure


@pytest.mark.parametrize("name", ["training.csv", "events.csv", "movements.csv", "sources.csv"])
def test_a_header_only_file_is_no_rows_with_its_name(root, name):
    path = folder(root) / name
    path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
    refused(check(root), f"{name}:1:", "no rows: the file holds its header line only")


def test_an_unclosed_quote_is_reported_where_it_opens(root):
    path = folder(root) / "training.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3].replace(",", ',"Atelier ', 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    refused(check(root), "training.csv:4:", 'a quote (") opened on this line is never closed')


# ---------------------------------------------------------------- year folders


@pytest.mark.parametrize("name", ["2016²", "٢٠١٧", "02016", "2016-old", "１２３４"])
def test_folders_that_are_not_four_ascii_digits_are_ignored_with_a_note(root, name):
    (root / "data" / "raw" / name).mkdir()
    assert config.available_years(root) == [2016]
    assert not config.is_year_folder(name)
    proc = check(root)
    assert proc.returncode == 0, proc.stderr
    assert f"{name}: folder ignored (a year folder is named with four digits 0-9" in proc.stdout


@pytest.mark.parametrize("text", ["٢٠١٦", "２０１６", "2016²", "02016", "16"])
def test_a_year_is_four_ascii_digits(root, text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="not a year"):
        year_text(text)
    proc = check(root, "--year", text)
    assert proc.returncode == EXIT_USAGE and "not a year" in proc.stderr


def test_read_text_refuses_controls_and_spoiled_utf8_directly(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("a,b\nété,1\n".encode() + b"x,\x81\n")
    with pytest.raises(DataError, match=r"x\.csv:3: column 'b': byte 0x81"):
        read_text(path, 1024)
    path.write_bytes("a,b\nrésumé,1\n".encode("cp1252"))
    assert read_text(path, 1024).encoding == "cp1252"
    path.write_bytes(b"a,b\nx,\x1b[31m\n")
    with pytest.raises(DataError, match=r"x\.csv:2: column 'b': control character U\+001B"):
        read_text(path, 1024)
