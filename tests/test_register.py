"""The register export of the social-management software gives the report's 2016 figures.

The fixtures (``tests/fixtures/register/``, written by ``make_fixtures.py``) are an invented
register built to match the 2016 published table; reading it must give the corrected table,
the stated key figures, and point at the one published cell it contradicts (December: 4).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from conftest import RAW, REFERENCE

from cae_report.clean import clean
from cae_report.data.contract import ANOMALY_COLUMNS
from cae_report.data.exports.register import (
    CONTRACT_STATUS,
    contract_type,
    key_figures_from_register,
    movements_from_register,
    read_register,
    reconcile,
    year_end_list,
)
from cae_report.data.reference import load_reference
from cae_report.data.validate import load_year
from cae_report.errors import DataError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "register"
REGISTER = FIXTURES / "register_2016.csv"
EXCEL = FIXTURES / "register_2016_excel.csv"
HEADCOUNTS_2016 = [84, 86, 86, 87, 85, 85, 86, 87, 83, 85, 88, 84]


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return read_register(REGISTER)


@pytest.fixture(scope="module")
def stated_2016() -> tuple[dict, dict]:
    """The 2016 tables as published (raw) and as corrected by the cleaning rules."""
    raw = load_year(RAW / "2016", 2016).tables
    corrected, _ = clean(raw, load_reference(REFERENCE))
    return raw, corrected


def _messages(path: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        read_register(path)
    return [str(p) for p in info.value.problems]


def _as_ints(frame: pd.DataFrame, columns: list[str]) -> list[list[int]]:
    return [[int(v) for v in row] for row in frame[columns].itertuples(index=False)]


# ---------------------------------------------------------------- derived tables


def test_movements_are_the_corrected_2016_table(register, stated_2016):
    _, corrected = stated_2016
    derived = movements_from_register(register, 2016)
    columns = ["year", "month", "entries", "exits", "headcount_end"]
    assert list(derived.columns) == columns
    assert _as_ints(derived, columns) == _as_ints(corrected["movements"], columns)
    assert derived["headcount_end"].tolist() == HEADCOUNTS_2016
    assert derived["entries"].tolist() == [1, 3, 2, 2, 1, 1, 1, 2, 1, 4, 3, 3]
    assert derived["exits"].tolist() == [2, 1, 2, 1, 3, 1, 0, 1, 5, 2, 0, 7]


def test_key_figures(register):
    figures = key_figures_from_register(register, 2016)
    assert list(figures.columns) == ["year", "indicator", "value", "unit", "source"]
    values = dict(zip(figures["indicator"], figures["value"], strict=True))
    assert values == {
        "headcount_start": 85,
        "headcount_end": 84,
        "entries": 24,
        "exits": 25,
        "accompanied": 109,
        "contracts_cdi": 72,
        "contracts_support": 12,
    }
    assert set(figures["source"]) == {"registre"}
    assert set(figures["unit"]) == {"count"}
    assert set(figures["year"]) == {2016}


def test_year_end_list(register):
    people = year_end_list(register, 2016)
    assert len(people) == 84
    assert list(people.columns) == [
        "as_of",
        "id",
        "entry_date",
        "contract",
        "status",
        "commune",
        "activity",
    ]
    assert set(people["as_of"]) == {"2016-12-31"}
    assert people["status"].value_counts().to_dict() == {
        "Entrepreneur salarié": 72,
        "En convention": 12,
    }
    assert people["id"].is_unique and people["id"].is_monotonic_increasing


def test_exit_day_is_not_present(tmp_path):
    """Exit on day D: an exit of D's month, not in that month's end headcount."""
    path = tmp_path / "register.csv"
    path.write_text(
        "id,entry_date,exit_date,contract,commune,activity\n"
        "A1,2015-03-02,2015-12-31,CDI,Gap,Menuiserie\n"  # left on Dec 31: not at the start
        "A2,2015-06-01,2016-01-31,CAPE,Gap,Céramique\n"  # left on a month's last day
        "A3,2016-02-10,2016-02-20,CDD,Embrun,Traduction\n"  # in and out within February
        "A4,2016-03-01,2017-01-01,CESA,Chorges,Graphisme\n"  # left in 2017: at the 2016 end
        "A5,2016-12-31,,convention,Veynes,Maraîchage\n",  # joined on the last day: present
        encoding="utf-8",
    )
    register = read_register(path)
    movements = movements_from_register(register, 2016)
    assert movements["headcount_end"].tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    assert movements["entries"].sum() == 3 and movements["exits"].sum() == 2
    figures = key_figures_from_register(register, 2016).set_index("indicator")["value"]
    assert figures.to_dict() == {
        "headcount_start": 1,
        "headcount_end": 2,
        "entries": 3,
        "exits": 2,
        "accompanied": 4,  # = start + entries
        "contracts_cdi": 1,
        "contracts_support": 1,
    }


def test_contract_vocabulary():
    assert contract_type(" cdi / cesa ") == "CDI/CESA"
    assert contract_type("Convention d’accompagnement") == "CAPE/convention"
    assert contract_type("CAPE") == "CAPE/convention"
    assert contract_type("cdd") == "CDD"
    assert set(CONTRACT_STATUS.values()) == {"Entrepreneur salarié", "En convention", "CDD"}
    with pytest.raises(ValueError, match="unknown contract type"):
        contract_type("Stage")


# ---------------------------------------------------------------- reading


def test_french_excel_copy_reads_the_same(register):
    assert EXCEL.read_bytes().startswith(b"id;entry_date;")
    EXCEL.read_bytes().decode("cp1252")  # not UTF-8: accents are single cp1252 bytes
    with pytest.raises(UnicodeDecodeError):
        EXCEL.read_bytes().decode("utf-8")
    pd.testing.assert_frame_equal(read_register(EXCEL), register)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "register_exit_before_entry.csv",
            "12: column 'exit_date': exit 2001-01-01 before entry 2009-11-13",
        ),
        ("register_duplicate_id.csv", "40: column 'id': id 'ES0029' already on line 30"),
        (
            "register_bad_date.csv",
            "25: column 'entry_date': '31/02/2014': not a date (YYYY-MM-DD or DD/MM/YYYY)",
        ),
        (
            "register_unknown_contract.csv",
            "50: column 'contract': 'Stage': unknown contract type (accepted: CDI/CESA, CDI,",
        ),
    ],
)
def test_malformed_register(name, message):
    path = FIXTURES / name
    [found] = _messages(path)
    assert found.startswith(f"{path}:{message}")


def test_missing_column(tmp_path):
    path = tmp_path / "register.csv"
    lines = REGISTER.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(",".join(line.split(",")[:4]) for line in lines[:3]) + "\n", encoding="utf-8"
    )
    assert _messages(path) == [
        f"{path}:1: column 'commune': missing column",
        f"{path}:1: column 'activity': missing column",
    ]


def test_every_problem_at_once(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(
        "id;entry_date;exit_date;contract;commune;activity\n"
        "B1;2016-13-01;;CDI;Gap;Menuiserie\n"
        "B1;01/02/2016;;Intérim;Gap;Menuiserie\n"
        ";;;;;\n"
        "B3;;;;Gap;Menuiserie\n",
        encoding="cp1252",
    )
    assert _messages(path) == [
        f"{path}:2: column 'entry_date': '2016-13-01': not a date (YYYY-MM-DD or DD/MM/YYYY)",
        f"{path}:3: column 'contract': 'Intérim': unknown contract type (accepted: "
        + ", ".join(
            [
                "CDI/CESA",
                "CDI",
                "CESA",
                "CDI-CESA",
                "Contrat d'entrepreneur salarié associé",
                "Entrepreneur salarié",
                "Entrepreneur salarié associé",
                "CAPE/convention",
                "CAPE",
                "Convention",
                "Convention d'accompagnement",
                "Contrat d'appui au projet d'entreprise",
                "En convention",
                "CDD",
            ]
        )
        + ")",
        f"{path}:3: column 'id': id 'B1' already on line 2",
        f"{path}:5: column 'entry_date': empty cell where a value is required",
        f"{path}:5: column 'contract': empty cell where a value is required",
    ]


def test_fixtures_are_what_the_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.write(tmp_path):
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name


# ---------------------------------------------------------------- reconciliation


def _derived(register) -> dict[str, pd.DataFrame]:
    return {
        "movements": movements_from_register(register, 2016),
        "key_figures": key_figures_from_register(register, 2016),
    }


def test_reconcile_flags_the_published_december(register, stated_2016):
    raw, _ = stated_2016
    found = reconcile(_derived(register), raw)
    assert list(found.columns) == ANOMALY_COLUMNS
    assert found.drop(columns="message").values.tolist() == [
        [
            "movements",
            "2016-12",
            "headcount_end",
            4,
            84,
            "register_reconciliation",
            "flagged",
        ]
    ]
    assert found["message"].tolist() == [
        "Décembre 2016, effectif fin de mois : registre 84, tableau publié 4"
    ]


def test_reconcile_agrees_with_the_corrected_tables(register, stated_2016):
    _, corrected = stated_2016
    assert reconcile(_derived(register), corrected).empty


def test_reconcile_lists_key_figure_and_missing_month(register, stated_2016):
    raw, _ = stated_2016
    stated = {name: frame.copy() for name, frame in raw.items()}
    figures = stated["key_figures"]
    figures.loc[figures["indicator"] == "contracts_cdi", "value"] = 70
    stated["key_figures"] = figures[figures["indicator"] != "accompanied"]
    stated["movements"] = stated["movements"][stated["movements"]["month"] != 3]
    found = reconcile(_derived(register), stated)
    rows = found[["table", "key", "field", "published", "corrected"]].values.tolist()
    assert ["key_figures", "contracts_cdi", "value", 70, 72] in rows
    assert ["key_figures", "accompanied", "value", None, 109] in rows
    assert ["movements", "2016-03", "entries", None, 2] in rows
    assert len(rows) == 1 + 3 + 2  # December, March's three fields, two key figures
    assert "texte du rapport absent" in " ".join(found["message"])
