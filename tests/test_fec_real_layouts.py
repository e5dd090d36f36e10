"""FECs written as real packages write them (``tests/fixtures/fec/make_fixtures.py``, « real
layouts »): the statement always equals class 7 − class 6 of the ledger, to the cent,
whatever accounts of the PCG the books use, and every limit of the file is said.

The ledger totals are computed here with the test's own reading of the files (the csv module
and the names of the columns), not with the reader under test.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.data.exports.fec import (
    PCG_PREFIXES,
    ZERO_ENTRY_NOTE,
    check_chart,
    check_fec,
    check_file_name,
    income_statement_from_fec,
    ledger_result,
    load_mapping,
    read_fec,
)
from cae_report.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "fec"
MAPPING = ROOT / "data" / "reference" / "fec_mapping.csv"
BUDGET = FIXTURES / "budget_pcg_gaps.csv"
FISCAL = (date(2015, 9, 1), date(2016, 8, 31))
LAYOUTS = {
    "508536364FEC20160831.txt": ("utf-8", "|"),  # Odoo
    "fec_pcg_sage_cp1252.txt": ("cp1252", "\t"),  # a Windows package, AN on 31 August
    "fec_pcg_dos850.txt": ("cp850", "\t"),  # DOS code page 850, Montant/Sens
    "fec_pcg_zero_numbers.txt": ("utf-8", "\t"),  # every EcritureNum 0
}


def ledger(name: str) -> dict[str, Decimal]:
    """Class 6 (debit − credit) and class 7 (credit − debit) of a file, opening entries
    (journals OUV and AN) aside, read with the csv module."""
    encoding, sep = LAYOUTS[name]
    text = (FIXTURES / name).read_bytes().decode(encoding)
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=sep))
    totals = {"6": Decimal(0), "7": Decimal(0)}
    for row in rows:
        if row["JournalCode"] in ("OUV", "AN") or row["CompteNum"][0] not in "67":
            continue
        if "Montant" in row:
            amount = Decimal(row["Montant"].strip().replace(",", "."))
            debit, credit = (amount, 0) if row["Sens"] == "D" else (0, amount)
        else:
            debit, credit = (Decimal(row[k].strip().replace(",", ".")) for k in ("Debit", "Credit"))
        sign = 1 if row["CompteNum"][0] == "6" else -1
        totals[row["CompteNum"][0]] += sign * (debit - credit)
    return totals


def statement(name: str):
    path = FIXTURES / name
    entries = read_fec(path)
    notes = check_fec(entries, path, *FISCAL)
    check_chart(entries, path)
    table, default_notes = income_statement_from_fec(entries, MAPPING, BUDGET, 2016, path)
    return entries, table, notes, default_notes


@pytest.mark.parametrize("name", LAYOUTS)
def test_statement_equals_the_ledgers_class_totals_to_the_cent(name):
    entries, table, _, _ = statement(name)
    totals = ledger(name)
    lines = table[table["row_type"] == "line"]
    charges = Decimal(str(round(lines.loc[lines["side"] == "charges", "actual"].sum(), 2)))
    products = Decimal(str(round(lines.loc[lines["side"] == "products", "actual"].sum(), 2)))
    assert (charges, products) == (totals["6"], totals["7"])
    result = table.loc[table["row_type"] == "result", "actual"].item()
    assert Decimal(str(result)) == totals["7"] - totals["6"] == Decimal("32128.86")
    assert ledger_result(entries) == result
    assert entries.attrs["encoding"] == LAYOUTS[name][0]


def test_every_layout_gives_the_same_statement():
    tables = [statement(name)[1] for name in LAYOUTS]
    for other in tables[1:]:
        assert_frame_equal(other, tables[0])


def test_opening_entries_are_recognised_and_left_out():
    for name in ("508536364FEC20160831.txt", "fec_pcg_sage_cp1252.txt"):
        entries = read_fec(FIXTURES / name)
        opening = entries[entries["opening"]]
        assert len(opening) == 6 and set(opening["journal"]) <= {"OUV", "AN"}
        # The Windows package dates them 31 August 2015, the day before the fiscal year.
        assert opening["date"].min() in (date(2015, 8, 31), date(2015, 9, 1))


def test_an_opening_entry_after_the_fiscal_year_is_out_of_range(tmp_path):
    text = (FIXTURES / "fec_pcg_sage_cp1252.txt").read_bytes()
    path = tmp_path / "fec.txt"
    opening = b"AN\tA nouveaux\t1\t"
    path.write_bytes(text.replace(opening + b"20150831", opening + b"20160901", 1))
    with pytest.raises(DataError, match=r"1 line\(s\) dated outside the fiscal year"):
        check_fec(read_fec(path), path, *FISCAL)


def test_zero_entry_numbers_say_that_entries_cannot_be_checked():
    _, _, notes, _ = statement("fec_pcg_zero_numbers.txt")
    assert notes == [ZERO_ENTRY_NOTE]
    assert "EcritureNum" in ZERO_ENTRY_NOTE and "ne peut pas être vérifié" in ZERO_ENTRY_NOTE
    assert statement("fec_pcg_sage_cp1252.txt")[2] == []


def test_pcg_default_lines_appear_only_when_used_and_say_which_accounts_they_hold():
    _, table, _, notes = statement("508536364FEC20160831.txt")
    labels = set(table["label"])
    assert "Achats (autres comptes 60)" in labels  # 601, 602, 605, 607
    assert "Production stockée" not in labels  # nothing booked, nothing budgeted
    sales = table[table["label"] == "Ventes et prestations (autres comptes 70)"].iloc[0]
    assert (sales["side"], sales["group"], sales["budget"]) == ("products", "own_resources", 90000)
    [purchases] = [n for n in notes if "« Achats (autres comptes 60) »" in n]
    assert "601100 « Achats stockés - Matières premières » (12\u202f345,67\u00a0€)" in purchases
    assert "607000 « Achats de marchandises »" in purchases
    assert not any("Dupont" in n or "Facture" in n for n in notes)


def test_budget_with_gaps():
    _, table, _, _ = statement("508536364FEC20160831.txt")
    by_label = table.set_index("label")
    # Budgeted at an empty cell and nothing booked: a blank row, as published.
    assert pd.isna(by_label.loc["Entrepreneuriat coopératif", "actual"])
    assert pd.isna(by_label.loc["Entrepreneuriat coopératif", "budget"])
    # Booked, not in budget.csv: no budget.
    assert pd.isna(by_label.loc["Achats (autres comptes 60)", "budget"])
    # Budgeted, nothing booked: 0 €.
    assert by_label.loc["Formation", "actual"] == 0 and by_label.loc["Formation", "budget"] == 1500


def test_a_non_pcg_chart_is_an_error_naming_the_account():
    path = FIXTURES / "fec_odoo_generic_chart.txt"
    entries = read_fec(path)
    with pytest.raises(DataError) as info:
        check_chart(entries, path)
    [problem] = info.value.problems
    assert (problem.line, problem.column) == (3, "CompteNum")
    assert "account 400000 « Product Sales » is of class 4" in problem.message
    assert "does not follow the French chart of accounts (PCG)" in problem.message


def test_a_ledger_without_class_6_or_7_is_an_error(tmp_path):
    text = (FIXTURES / "fec_odoo_generic_chart.txt").read_text(encoding="utf-8")
    text = text.replace("|600000|Expenses|", "|500000|Stock|")
    path = tmp_path / "fec.txt"
    path.write_text(text.replace("|400000|Product Sales|", "|450000|Misc|"), encoding="utf-8")
    with pytest.raises(DataError, match="no account of class 6 or 7 in the FEC"):
        check_chart(read_fec(path), path)


def test_balance_sheet_names_are_not_taken_for_income():
    entries = read_fec(FIXTURES / "508536364FEC20160831.txt")
    check_chart(entries, FIXTURES / "508536364FEC20160831.txt")  # 445710 TVA collectée…


def test_out_of_range_lines_give_one_message_with_count_range_and_first_lines():
    path = FIXTURES / "fec_2016.txt"
    with pytest.raises(DataError) as info:
        check_fec(read_fec(path), path, *FISCAL)
    [problem] = info.value.problems
    assert (problem.line, problem.column) == (160, "EcritureDate")
    assert problem.message.startswith(
        "61 line(s) dated outside the fiscal year 2015-09-01..2016-08-31"
    )
    assert "(dates in the file: 2016-01-05..2016-12-31)" in problem.message
    assert "first lines: 160 (2016-09-10), 161 (2016-09-10)" in problem.message
    assert "a fiscal year starting on 01-01?" in problem.message
    assert "data/cooperative.yml (fiscal_year)" in problem.message


def test_legal_file_name_states_closing_date_and_company():
    path = FIXTURES / "508536364FEC20160831.txt"
    check_file_name(path, date(2016, 8, 31), "508536364")
    with pytest.raises(DataError, match="closing on 2016-08-31; the fiscal year of this folder"):
        check_file_name(path, date(2016, 12, 31), "508536364")
    with pytest.raises(DataError, match="states SIREN 508536364; the cooperative's is 123456789"):
        check_file_name(path, date(2016, 8, 31), "123456789")
    check_file_name(FIXTURES / "fec_2016.txt", date(2099, 1, 1), "123456789")  # says nothing


HEADER = (
    "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|"
    "PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|"
    "Idevise"
)


def _fec(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "fec.txt"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_grouped_amounts_quoted_cells_and_times_after_dates(tmp_path):
    path = _fec(
        tmp_path,
        'VT|Ventes|1|20160105 00:00:00|706000|"Prestations ""atelier"""|||P1|20160105|x|'
        "1 234,50|0|||20160105||",
        "VT|Ventes|1|20160105|411000|Clients|||P1|20160105|x|0|1 234,50|||20160105||",
    )
    entries = read_fec(path)
    assert entries["account_label"].iloc[0] == 'Prestations "atelier"'
    assert entries["debit"].tolist() == [1234.5, 0.0]
    assert entries["date"].tolist() == [date(2016, 1, 5)] * 2


@pytest.mark.parametrize(
    ("cell", "column", "pattern"),
    [
        ("05012016", "EcritureDate", r"bad date '05012016'.*reads as JJMMAAAA"),
        ("6A1", "CompteNum", r"account '6A1' does not start with three digits"),
    ],
)
def test_dates_in_the_wrong_order_and_accounts_off_the_norm(tmp_path, cell, column, pattern):
    row = ["VT", "Ventes", "1", "20160105", "706000", "P", "", "", "P1", "20160105", "x", "1", "0"]
    row[HEADER.split("|").index(column)] = cell
    path = _fec(tmp_path, "|".join([*row, "", "", "20160105", "", ""]))
    with pytest.raises(DataError) as info:
        read_fec(path)
    [problem] = info.value.problems
    assert (problem.line, problem.column) == (2, column)
    assert re.search(pattern, problem.message), problem.message


def test_the_pcg_defaults_cover_every_prefix_of_classes_6_and_7(tmp_path):
    mapping = load_mapping(MAPPING)
    assert set(PCG_PREFIXES) <= set(mapping["prefix"])
    assert mapping.loc[mapping["prefix"] == "64", "default"].tolist() == [False]  # the coop's
    # A defaults file that forgets a prefix is refused, naming it.
    (tmp_path / "fec_mapping.csv").write_bytes(MAPPING.read_bytes())
    pcg = (MAPPING.parent / "fec_mapping_pcg.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "fec_mapping_pcg.csv").write_text(
        "\n".join(line for line in pcg if not line.startswith("72,")) + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"fec_mapping_pcg\.csv: no line for the PCG accounts 72x"):
        load_mapping(tmp_path / "fec_mapping.csv")
