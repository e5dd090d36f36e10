"""The command line behaves like its neighbours: --version, --root, one-line errors, the same
exit codes for every command (0 ok, 1 a failed step, 2 invalid data, 64 usage), help with
examples and no markup."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli

from cae_report import __version__
from cae_report.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_USAGE, exit_code

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "CAE_REPORT_ROOT"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cae_report.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in lines if "error:" in ln]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def test_version():
    proc = run("--version", cwd=ROOT)
    assert proc.returncode == EXIT_OK and proc.stdout.strip() == f"cae-report {__version__}"


def test_outside_a_project_is_one_line_and_a_usage_error(tmp_path):
    """Outside any project (e.g. after `pip install .`), never a traceback at argument
    parsing: one line saying what to do."""
    for args in (("check", "--year", "2016"), ("build",), ("batch", "--years", "2013-2014")):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == EXIT_USAGE, proc.stderr
        line = one_line_error(proc)
        assert "not inside a cae-report project" in line and "--root" in line
        assert "CAE_REPORT_ROOT" in line


def test_root_option_and_environment_variable_from_another_folder(tmp_path, year_copy):
    proc = run("--root", str(ROOT), "check", "--year", "2013", cwd=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "2013: data valid" in proc.stdout
    proc = run("check", "--year", "2013", cwd=tmp_path, env={"CAE_REPORT_ROOT": str(ROOT)})
    assert proc.returncode == EXIT_OK, proc.stderr
    for bad in (["--root", str(tmp_path)], []):
        env = {} if bad else {"CAE_REPORT_ROOT": str(tmp_path)}
        proc = run(*bad, "check", "--year", "2016", cwd=tmp_path, env=env)
        assert proc.returncode == EXIT_USAGE
        assert "is not a cae-report project" in one_line_error(proc)


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "--year", "20x6"], "not a year"),
        (["check", "--year", "٢٠١٦"], "not a year"),
        (["check", "--year", "02016"], "not a year"),
        (["check", "--year", "1999"], "no data folder data/raw/1999/"),
        (["batch", "--years", "2015-2013"], "empty range"),
        (["batch", "--years", "2013-2099"], "no data folder data/raw/2017/"),
        (["build", "--engine", "latex"], "invalid choice"),
        (["build", "--frobnicate"], "unrecognized arguments"),
        ([], "required"),
    ],
)
def test_usage_errors_have_their_own_exit_code(args, message):
    proc = run(*args, cwd=ROOT)
    assert proc.returncode == EXIT_USAGE, (proc.returncode, proc.stderr)
    assert message in one_line_error(proc)


def test_help_shows_examples_exit_codes_and_no_markup():
    texts = [run("--help", cwd=ROOT).stdout]
    texts += [run(command, "--help", cwd=ROOT).stdout for command in ("check", "build", "batch")]
    main = texts[0]
    assert "examples:" in main and "cae-report build --year 2016" in main
    for code in ("0 ", "1 ", "2 ", "64"):
        assert re.search(rf"^\s+{code}", main, re.M), code
    assert "CAE_REPORT_ROOT" in main and "--root" in main and "--version" in main
    for text in texts:
        assert "example" in text
        assert "``" not in text and ":func:" not in text and ":mod:" not in text


def test_invalid_data_exits_2_for_check_build_and_batch(tmp_path):
    from conftest import make_root

    root = make_root(tmp_path)
    path = root / "data" / "raw" / "2014" / "web_visits.csv"
    path.write_text("year,visits,precision\n2014,-5,rounded\n")
    for args in (
        ["check", "--year", "2014"],
        ["build", "--year", "2014", "--engine", "pandoc"],
        ["batch", "--years", "2014", "--engine", "pandoc"],
    ):
        proc = cli(root, *args)
        assert proc.returncode == EXIT_INVALID, (args, proc.stderr)
        assert "web_visits.csv:2: column 'visits'" in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (root / "_build" / "2014").exists()


def test_batch_exit_code_says_the_worst_kind_of_failure():
    from cae_report.build.orchestrate import BuildResult

    ok, invalid = BuildResult(2015, True, 1.0), BuildResult(2014, False, 1.0, invalid=True)
    failed = BuildResult(2013, False, 1.0, error="cell 3")
    assert exit_code([ok]) == EXIT_OK
    assert exit_code([ok, invalid]) == EXIT_INVALID
    assert exit_code([ok, invalid, failed]) == EXIT_FAILED
