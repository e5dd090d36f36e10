"""Bad input gets one clear message naming the file, the line and the column."""

from __future__ import annotations

import codecs
import subprocess
import sys

import pandas as pd
import pytest

from cae_report.data.validate import load_year
from cae_report.errors import DataError


def _rewrite(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _messages(folder, year=2016) -> list[str]:
    with pytest.raises(DataError) as info:
        load_year(folder, year)
    return [str(p) for p in info.value.problems]


def test_real_2016_is_valid():
    from conftest import RAW

    data = load_year(RAW / "2016", 2016)
    assert data.complete
    assert len(data.tables["movements"]) == 12
    assert len(data.tables["entrepreneurs"]) == 84


def test_missing_file(year_copy):
    folder = year_copy()
    (folder / "movements.csv").unlink()
    [msg] = _messages(folder)
    assert msg.startswith(str(folder / "movements.csv")) and "missing file" in msg


def test_missing_required_file_of_a_complete_year(year_copy):
    folder = year_copy()
    (folder / "training.csv").unlink()
    _rewrite(folder / "sources.csv", "\ntraining.csv,", "\nxx,")
    msgs = _messages(folder)
    assert any("training.csv" in m and "required for a complete year" in m for m in msgs)


def test_missing_column(year_copy):
    folder = year_copy()
    frame = pd.read_csv(folder / "movements.csv").drop(columns="exits")
    frame.to_csv(folder / "movements.csv", index=False)
    [msg] = _messages(folder)
    assert msg == f"{folder / 'movements.csv'}:1: column 'exits': missing column"


def test_non_numeric_count(year_copy):
    folder = year_copy()
    _rewrite(folder / "movements.csv", "2016,3,2,", "2016,3,deux,")
    [msg] = _messages(folder)
    assert msg == f"{folder / 'movements.csv'}:4: column 'entries': 'deux': not a number"


def test_negative_count(year_copy):
    folder = year_copy()
    _rewrite(folder / "movements.csv", "2016,3,2,2,", "2016,3,2,-2,")
    [msg] = _messages(folder)
    assert msg.startswith(f"{folder / 'movements.csv'}:4: column 'exits': -2")
    assert "≥ 0" in msg


def test_unknown_month(year_copy):
    folder = year_copy()
    _rewrite(folder / "movements.csv", "2016,12,", "2016,13,")
    [msg] = _messages(folder)
    assert msg.startswith(f"{folder / 'movements.csv'}:13: column 'month': '13': unknown month")


def test_french_month_names_are_months(year_copy):
    folder = year_copy()
    _rewrite(folder / "movements.csv", "2016,2,", "2016,février,")
    assert load_year(folder, 2016).tables["movements"]["month"].tolist() == list(range(1, 13))


def test_duplicate_key(year_copy):
    folder = year_copy()
    _rewrite(folder / "movements.csv", "2016,12,", "2016,11,")
    [msg] = _messages(folder)
    assert msg.startswith(f"{folder / 'movements.csv'}:13: column 'year, month': duplicate key")
    assert "first on line 12" in msg


def test_year_folder_not_matching_the_data(year_copy):
    folder = year_copy(2016, as_year=2017)
    msgs = _messages(folder, 2017)
    assert (
        f"{folder / 'movements.csv'}:2: column 'year': year 2016 does not match the folder "
        "year 2017" in msgs
    )
    assert any("training.csv" in m and "column 'date'" in m for m in msgs)


def _as_french_excel(path, encoding="cp1252", bom=False) -> None:
    """Save a CSV the way French Excel does: ';', decimal comma, cp1252 or UTF-8 BOM."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    text = frame.to_csv(index=False, sep=";", lineterminator="\r\n")
    text = "\r\n".join(
        ";".join(c.replace(".", ",") if _is_decimal(c) else c for c in line.split(";"))
        for line in text.split("\r\n")
    )
    data = text.encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)


def _is_decimal(cell: str) -> bool:
    return cell.replace(".", "", 1).lstrip("-").isdigit() and "." in cell


@pytest.mark.parametrize("encoding,bom", [("cp1252", False), ("utf-8", True)])
def test_french_excel_csv_is_accepted(year_copy, encoding, bom):
    from conftest import RAW

    folder = year_copy()
    for name in ("web_audience", "entrepreneurs", "income_statement"):
        _as_french_excel(folder / f"{name}.csv", encoding, bom)
    data = load_year(folder, 2016)
    reference = load_year(RAW / "2016", 2016)
    for name in ("web_audience", "entrepreneurs", "income_statement"):
        pd.testing.assert_frame_equal(data.tables[name], reference.tables[name])
    assert any("web_audience.csv" in n and "separator ';'" in n for n in data.notes)


def test_comma_decimal_in_comma_separated_file_is_refused(year_copy):
    folder = year_copy()
    _rewrite(folder / "web_audience.csv", ",2.77,", ',"2,77",')
    [msg] = _messages(folder)
    assert "web_audience.csv:2: column 'pages_per_visit'" in msg
    assert "decimal comma or thousands separator" in msg


def test_ambiguous_number_in_french_excel_file_is_refused(year_copy):
    folder = year_copy()
    path = folder / "web_audience.csv"
    _as_french_excel(path)
    text = path.read_bytes().decode("cp1252").replace("11173", "11.173,0", 1)
    path.write_bytes(text.encode("cp1252"))
    [msg] = _messages(folder)
    assert "web_audience.csv:2: column 'visits'" in msg and "cannot tell the decimal mark" in msg


def test_utf16_is_refused_with_the_reason(year_copy):
    folder = year_copy()
    path = folder / "team.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    [msg] = _messages(folder)
    assert msg.startswith(f"{path}:1:") and "UTF-16" in msg


def test_lost_leading_zero_of_a_postcode(year_copy):
    folder = year_copy()
    _rewrite(folder / "entrepreneurs.csv", ",05150,ROSANS,", ",5150,ROSANS,")
    [msg] = _messages(folder)
    assert "column 'postcode': '5150'" in msg and "leading zero" in msg


def test_raw_files_are_never_written(tmp_path):
    """check reads the raw folder and writes only to the processed folder."""
    from conftest import RAW, REFERENCE

    from cae_report.build.prepare import check

    before = {p: p.read_bytes() for p in (RAW / "2016").iterdir()}
    check(RAW / "2016", REFERENCE, tmp_path / "processed", 2016)
    assert {p: p.read_bytes() for p in (RAW / "2016").iterdir()} == before
    assert (tmp_path / "processed" / "anomalies.csv").is_file()


def test_cli_prints_located_errors_without_traceback(year_copy, tmp_path):
    folder = year_copy()
    _rewrite(folder / "movements.csv", "2016,3,2,", "2016,3,x,")
    (tmp_path / "_quarto.yml").write_text("")
    (tmp_path / "data").mkdir()
    (tmp_path / "raw").rename(tmp_path / "data" / "raw")
    from conftest import REFERENCE

    (tmp_path / "data" / "reference").symlink_to(REFERENCE)
    proc = subprocess.run(
        [sys.executable, "-m", "cae_report.cli", "check", "--year", "2016"],
        capture_output=True,
        text=True,
        env={"CAE_REPORT_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert "movements.csv:4: column 'entries': 'x': not a number" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_cli_refuses_a_year_without_data():
    proc = subprocess.run(
        [sys.executable, "-m", "cae_report.cli", "check", "--year", "2099"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 64  # a usage error (2 is for invalid data)
    assert "no data folder data/raw/2099/" in proc.stderr


def test_cli_refuses_a_year_that_is_not_a_year():
    proc = subprocess.run(
        [sys.executable, "-m", "cae_report.cli", "check", "--year", "2016; rm -rf /"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 64 and "not a year" in proc.stderr  # usage, not invalid data
