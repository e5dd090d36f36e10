"""The FEC reader: every variant of the legal export gives the same entries, every broken file
a DataError naming file, line and column, and the synthetic 2016 books give the published
income statement (after the correction of the « Entrepreneuriat coopératif » copy error).

Fixtures are written by ``tests/fixtures/fec/make_fixtures.py``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cae_report.analysis import budget
from cae_report.build.prepare import prepare_year
from cae_report.data.exports.fec import (
    ENTRY_COLUMNS,
    INCOME_STATEMENT_COLUMNS,
    check_fec,
    income_statement_from_fec,
    ledger_result,
    read_budget,
    read_fec,
    read_mapping,
)
from cae_report.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "fec"
MAPPING = ROOT / "data" / "reference" / "fec_mapping.csv"
BASE = FIXTURES / "fec_2016.txt"
BUDGET = FIXTURES / "budget_2016.csv"
YEAR_2016 = (date(2016, 1, 1), date(2016, 12, 31))
COMPARED = ["year", "side", "group", "row_type", "label", "actual", "budget"]

VARIANTS = [
    "fec_2016_pipe_cp1252.txt",  # pipe + trailing pipe, cp1252, CRLF, lower-case journals
    "fec_2016_montant_sens.txt",  # Montant/Sens, UTF-8 BOM, mixed LF/CRLF and a stray CR
    "fec_2016_cash_basis.txt",  # 22 columns, ISO-8859-15, "12,3"/"0", negative debits
]


def _net(entries: pd.DataFrame) -> pd.DataFrame:
    """Entries with debit − credit: a credit written as a negative debit is the same line."""
    out = entries.drop(columns=["debit", "credit"])
    return out.assign(net=(entries["debit"] - entries["credit"]).round(2))


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return read_fec(BASE)


def _statement(path: Path = BASE) -> tuple[pd.DataFrame, list[str]]:
    entries = read_fec(path)
    return income_statement_from_fec(entries, MAPPING, BUDGET, 2016, path)


# ---------------------------------------------------------------- reading


def test_reads_the_standard_file(base):
    assert list(base.columns) == ENTRY_COLUMNS
    assert base["line"].iloc[0] == 2  # header is line 1
    assert set(base["journal"]) == {"VT", "AC", "BQ", "OD"}
    assert isinstance(base["date"].iloc[0], date)
    assert base["account"].map(type).eq(str).all()
    assert base["debit"].dtype == "float64" and base["credit"].dtype == "float64"
    assert "Petit équipement" in set(base["account_label"])  # CompteLib, the chart's label
    assert base["entry"].nunique() > 50
    assert not base["opening"].any()


def test_entry_labels_are_never_read():
    """EcritureLib names customers and bank references: no table, no message carries it."""
    entries = read_fec(FIXTURES / "508536364FEC20160831.txt")
    text = entries.to_csv()
    assert "Dupont" not in text and "Benali" not in text and "Facture" not in text


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_reads_to_the_same_entries(base, name):
    variant = read_fec(FIXTURES / name)
    pd.testing.assert_frame_equal(_net(variant), _net(base))
    check_fec(variant, FIXTURES / name, *YEAR_2016)


def test_exact_debit_credit_where_the_variant_keeps_them(base):
    for name in VARIANTS[:2]:
        pd.testing.assert_frame_equal(read_fec(FIXTURES / name), base)


def test_lower_case_journals_and_padded_amounts_are_normalised():
    raw = (FIXTURES / "fec_2016_pipe_cp1252.txt").read_bytes()
    assert b"\r\n" in raw and b"\nac|" in raw and b"|000000000,00|" in raw
    assert read_fec(FIXTURES / "fec_2016_pipe_cp1252.txt")["journal"].str.isupper().all()


def test_non_calendar_fiscal_year(base):
    path = FIXTURES / "fec_2015_2016_fiscal.txt"
    entries = read_fec(path)
    check_fec(entries, path, date(2015, 7, 1), date(2016, 6, 30))
    pd.testing.assert_frame_equal(
        _net(entries).drop(columns="date"), _net(base).drop(columns="date")
    )
    with pytest.raises(DataError) as err:
        check_fec(entries, path, *YEAR_2016)
    first = err.value.problems[0]
    assert (first.line, first.column) == (2, "EcritureDate")
    assert "outside the fiscal year 2016-01-01..2016-12-31" in first.message
    statement, unmapped = income_statement_from_fec(entries, MAPPING, BUDGET, 2016, path)
    assert unmapped == []
    pd.testing.assert_frame_equal(statement, _statement()[0])


def test_amount_and_line_ending_details(tmp_path):
    header = "\t".join(
        "JournalCode JournalLib EcritureNum EcritureDate CompteNum CompteLib CompAuxNum "
        "CompAuxLib PieceRef PieceDate EcritureLib Debit Credit EcritureLet DateLet ValidDate "
        "Montantdevise Idevise".split()
    )
    cells = "vt\tVentes\t1\t20160105\t706\tPrest\t\t\tP1\t20160105\tLib\t{d}\t{c}\t\t\t20160105\t\t"
    text = "\r".join([header, cells.format(d="-12,3", c="0"), cells.format(d="000001234,50", c="")])
    path = tmp_path / "mac.txt"
    path.write_bytes(text.encode())  # CR-only line endings
    entries = read_fec(path)
    assert entries["debit"].tolist() == [-12.3, 1234.5]
    assert entries["credit"].tolist() == [0.0, 0.0]
    assert entries["line"].tolist() == [2, 3]
    assert entries["journal"].tolist() == ["VT", "VT"]


# ---------------------------------------------------------------- malformed files


def _only_problem(name: str) -> tuple[str, int | None, str | None, str]:
    path = FIXTURES / name
    with pytest.raises(DataError) as err:
        check_fec(read_fec(path), path, *YEAR_2016)
    problem = err.value.problems[0]
    text = str(err.value)
    assert str(path) in text and "Traceback" not in text
    return text, problem.line, problem.column, problem.message


@pytest.mark.parametrize(
    ("name", "line", "column", "pattern"),
    [
        (
            "fec_unbalanced.txt",
            4,
            "Debit/Credit",
            r"entry 2 \(journal AC\) is unbalanced.*= 10\.00",
        ),
        ("fec_semicolon.txt", 1, "JournalCode", r"unknown separator.*';'"),
        ("fec_truncated.txt", 8, "PieceDate", r"truncated line: 9 cells for 18 columns"),
        ("fec_utf16.txt", 1, None, r"file is UTF-16; save it as UTF-8"),
        ("fec_bad_date.txt", 4, "EcritureDate", r"bad date '20161331'"),
        ("fec_bad_amount.txt", 5, "Credit", r"bad amount '1\.234,5O'"),
        ("fec_missing_column.txt", 1, "PieceRef", r"missing required column 'PieceRef'"),
    ],
)
def test_malformed_file_names_file_line_and_column(name, line, column, pattern):
    text, got_line, got_column, message = _only_problem(name)
    assert (got_line, got_column) == (line, column)
    assert re.search(pattern, message), message
    assert f"{name}:{line}:" + (f" column '{column}':" if column else "") in text


def test_unbalanced_montant_sens_names_the_montant_column(tmp_path):
    lines = (FIXTURES / "fec_2016_montant_sens.txt").read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"\t2001,55\tD", b"\t2001,56\tD")
    path = tmp_path / "ms.txt"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError) as err:
        check_fec(read_fec(path), path, *YEAR_2016)
    problem = err.value.problems[0]
    assert (problem.line, problem.column) == (2, "Montant")
    assert "= 0.01" in problem.message


def test_bad_cp1252_byte_is_a_wrong_encoding_error(tmp_path):
    data = (FIXTURES / "fec_2016_pipe_cp1252.txt").read_bytes().replace(b"\nac|", b"\na\x81|", 1)
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"bad\.txt:2: column 'JournalCode': byte 0x81 .* not "):
        read_fec(path)


# ---------------------------------------------------------------- income statement


def test_income_statement_equals_the_clean_transcribed_table():
    statement, unmapped = _statement()
    assert unmapped == []
    assert list(statement.columns) == INCOME_STATEMENT_COLUMNS
    assert statement["order"].tolist() == list(range(1, len(statement) + 1))
    assert statement["published_variance_pct"].isna().all()
    clean = prepare_year(2016).tables["income_statement"]
    pd.testing.assert_frame_equal(
        statement[COMPARED].reset_index(drop=True), clean[COMPARED].reset_index(drop=True)
    )


def test_budget_module_gives_the_published_figures():
    statement, _ = _statement()
    totals = budget.totals(statement)
    assert totals["charges_actual"] == 134217
    assert totals["products_actual"] == 160206
    assert totals["operating_surplus_actual"] == 25989
    assert budget.net_result(statement) == 16693
    lines = budget.lines(statement)
    coop = lines[lines["label"] == "Entrepreneuriat coopératif"]
    assert coop["actual"].tolist() == [0.0]  # the FEC cannot hold the report's copy error


def test_an_account_without_a_line_of_its_own_lands_on_the_pcg_default_line():
    """67120000 has no line in fec_mapping.csv: the PCG's 67 line takes it, the result
    still equals class 7 − class 6, and a note names the account by its CompteLib."""
    path = FIXTURES / "fec_2016_unmapped.txt"
    entries = read_fec(path)
    check_fec(entries, path, *YEAR_2016)
    statement, notes = income_statement_from_fec(entries, MAPPING, BUDGET, 2016, path)
    line = statement[statement["label"] == "Charges exceptionnelles"]
    expected = [["charges", "non_operating", 120.0]]
    assert line[["side", "group", "actual"]].values.tolist() == expected
    [note] = notes
    assert "« Charges exceptionnelles »" in note and "67120000 « Pénalités et amendes »" in note
    assert "120,00\u00a0€" in note and str(path) not in note
    result = statement.loc[statement["row_type"] == "result", "actual"].item()
    assert result == pytest.approx(ledger_result(entries)) == 16693 - 120
    base, _ = _statement()
    assert "Charges exceptionnelles" not in set(base["label"])  # nothing booked: no row


def test_result_is_checked_against_class_7_minus_class_6(base):
    mapping = read_mapping(MAPPING)
    # A DataFrame is used as given: a products row filed under a charges group is never
    # emitted, so its amount would vanish; the check against the ledger catches it.
    wrong = mapping.copy()
    wrong.loc[wrong["prefix"] == "791", "group"] = "60"
    with pytest.raises(DataError) as err:
        income_statement_from_fec(base, wrong, BUDGET, 2016, BASE)
    assert "result 15193.00 differs from class 7 − class 6 of the FEC 16693.00" in str(err.value)


def test_line_without_booking_is_zero_when_budgeted_and_blank_otherwise(base):
    entries = base[base["account"] != "60400000"]
    statement, _ = income_statement_from_fec(entries, MAPPING, BUDGET, 2016, BASE)
    by_label = statement.set_index(["side", "label"])["actual"]
    assert by_label[("charges", "Entrepreneuriat coopératif")] == 0.0
    assert pd.isna(by_label[("charges", "Charges financières")])


def test_reference_files_are_checked_with_their_line(tmp_path):
    bad = tmp_path / "mapping.csv"
    text = MAPPING.read_text(encoding="utf-8").replace(
        "615,charges,61,Maintenance", "415,charges,61,Maintenance"
    )
    bad.write_text(text, encoding="utf-8")
    number = text.splitlines().index(next(r for r in text.splitlines() if r.startswith("415"))) + 1
    with pytest.raises(DataError, match=rf"mapping\.csv:{number}: column 'prefix'"):
        read_mapping(bad)
    budget_csv = tmp_path / "budget.csv"
    budget_csv.write_text("label,budget\nLocations,9500\nLoyers,12\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"budget\.csv:3: column 'label': label 'Loyers'"):
        read_budget(budget_csv, {"Locations"})


def test_mapping_covers_every_published_line():
    mapping = read_mapping(MAPPING)
    published = pd.read_csv(ROOT / "data" / "raw" / "2016" / "income_statement.csv")
    lines = published[published["row_type"] == "line"]
    assert set(zip(lines["side"], lines["group"].astype(str), lines["label"], strict=True)) == set(
        zip(mapping["side"], mapping["group"], mapping["label"], strict=True)
    )


def test_structure_labels_are_the_cooperatives_and_checked(base, tmp_path):
    """The subtotal/total labels come from statement_labels.csv, not from code."""
    from cae_report.data.exports.fec import LABELS_FILE, read_statement_labels

    labels = read_statement_labels(MAPPING.with_name(LABELS_FILE))
    labels["grand_total"] = "Total général (=SUM(A1))"
    statement, _ = income_statement_from_fec(base, MAPPING, BUDGET, 2016, BASE, labels=labels)
    totals = statement.loc[statement["row_type"] == "grand_total", "label"]
    assert list(totals) == ["Total général (=SUM(A1))"] * 2
    broken = tmp_path / LABELS_FILE
    text = MAPPING.with_name(LABELS_FILE).read_text(encoding="utf-8")
    broken.write_text(text.replace("result,", "resultat,"), encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_statement_labels(broken)
    assert f"{broken}:12: column 'key': unknown key 'resultat'" in str(err.value)
    assert "no row for key 'result'" in str(err.value)
