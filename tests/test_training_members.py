"""Training sessions and the list of entrepreneurs (status, place, sector)."""

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.analysis import members, training

SECTORS_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "activity_sectors.csv"

TRAINING = pd.DataFrame(
    {
        "date": ["2016-02-11", "2016-05-30", "2016-06-20", "2016-12-15"],
        "type": [
            "Formation outils de gestion",
            "Formation outils de gestion",
            "Réunion collective",
            "Formation outils de gestion",
        ],
        "summary": ["Formation Winscop", "Outils niv2", "Atelier tarif", "Outils niv2"],
        "place": [
            "Coodyssée Chorges",
            "LUCEO La Roche de Rame",
            "LUCEO La Roche de Rame",
            "Coodyssée Chorges",
        ],
        "attendees": pd.array([1, 13, 4, 12], dtype="Int64"),
        "hours": pd.array([3.0, 104.0, 14.0, 36.0], dtype="Float64"),
    }
)


# ---------------------------------------------------------------- training


def test_training_by_type():
    expected = pd.DataFrame(
        {
            "type": ["Formation outils de gestion", "Réunion collective"],
            "sessions": [3, 1],
            "hours": [143.0, 14.0],
            "attendance": [26, 4],
        }
    )
    assert_frame_equal(training.by_type(TRAINING), expected)


def test_training_by_place():
    expected = pd.DataFrame(
        {
            "place": ["LUCEO La Roche de Rame", "Coodyssée Chorges"],
            "sessions": [2, 2],
            "hours": [118.0, 39.0],
            "attendance": [17, 13],
        }
    )
    assert_frame_equal(training.by_place(TRAINING), expected)


def test_training_totals():
    result = training.totals(TRAINING)
    assert result == {"sessions": 4, "hours": 157.0, "attendance": 30}
    assert isinstance(result["attendance"], int)


def test_training_absent():
    assert training.totals(None) == {"sessions": None, "hours": None, "attendance": None}
    assert training.by_type(None).empty
    assert list(training.by_place(None).columns) == ["place", "sessions", "hours", "attendance"]


# ---------------------------------------------------------------- members

ENTREPRENEURS = pd.DataFrame(
    {
        "surname": ["A", "B", "C", "D", "E", "F"],
        "postcode": ["05000", "05100", "69003", "05000", "26510", "38000"],
        "town": ["GAP", "BRIANÇON", "LYON", "GAP", "SAHUNE", "GRENOBLE"],
        "activity": [
            "Menuisier",
            "Praticienne de bien-être",
            "Consultant formateur",
            "Boulangerie",
            "Traduction",
            "Éducateur sportif, ébéniste",
        ],
        "status": [
            "Entrepreneur salarié",
            "En convention",
            "Entrepreneur salarié",
            "Sortie",
            "CDD",
            "Entrepreneur salarié",
        ],
    }
)


def test_by_status_in_legend_order():
    expected = pd.DataFrame(
        {
            "status": ["Entrepreneur salarié", "En convention", "CDD", "Sortie"],
            "count": [3, 1, 1, 1],
            "share_pct": [50.0, 100 / 6, 100 / 6, 100 / 6],
        }
    )
    assert_frame_equal(members.by_status(ENTREPRENEURS), expected)


def test_by_department_names_known_codes_and_keeps_unknown_ones():
    expected = pd.DataFrame(
        {
            "department_code": ["05", "26", "38", "69"],
            "department": ["Hautes-Alpes", "Drôme", "38", "Rhône"],
            "count": [3, 1, 1, 1],
            "share_pct": [50.0, 100 / 6, 100 / 6, 100 / 6],
        }
    )
    names = {"05": "Hautes-Alpes", "26": "Drôme", "69": "Rhône"}
    assert_frame_equal(members.by_department(ENTREPRENEURS, names), expected)
    # By default, the official list of every département (data/reference/departements.csv).
    assert members.by_department(ENTREPRENEURS)["department"].tolist()[2] == "Isère"


def test_department_code_restores_a_lost_leading_zero():
    assert members.department_code("05150") == "05"
    assert members.department_code(5150) == "05"
    assert members.department_code("74200") == "74"


def test_by_commune():
    out = members.by_commune(ENTREPRENEURS)
    assert out["town"].tolist()[:2] == ["GAP", "BRIANÇON"]
    assert out["count"].tolist()[0] == 2


def test_members_absent():
    assert members.by_status(None).empty
    assert members.by_department(None).empty
    assert members.by_commune(None).empty


MAPPING = pd.DataFrame(
    {
        "order": [20, 10, 30],  # not in file order: `order` decides
        "pattern": [r"ebenist", r"sporti", r"formateur|consult"],
        "sector": ["Bois", "Sport", "Formation"],
        "note": ["", "", ""],
    }
)


def test_sector_of_first_match_in_order_wins():
    assert members.sector_of("Éducateur sportif, ébéniste", MAPPING) == "Sport"
    assert members.sector_of("ÉBÉNISTE", MAPPING) == "Bois"  # accents and case ignored
    assert members.sector_of("Traduction", MAPPING) == "Autres"
    assert members.sector_of(None, MAPPING) == "Autres"


def test_by_sector_puts_autres_last():
    expected = pd.DataFrame(
        {
            "sector": ["Formation", "Sport", "Autres"],
            "count": [1, 1, 4],
            "share_pct": [100 / 6, 100 / 6, 400 / 6],
        }
    )
    assert_frame_equal(members.by_sector(ENTREPRENEURS, MAPPING), expected)


@pytest.fixture(scope="module")
def reference_mapping() -> pd.DataFrame:
    return pd.read_csv(SECTORS_CSV, dtype={"pattern": str}, keep_default_na=False)


@pytest.mark.parametrize(
    ("activity", "sector"),
    [
        ("Dessinateur en bâtiment", "Bâtiment, bois et services à domicile"),
        ("Art-thérapeute", "Bien-être et santé"),
        ("Arthérapeute /plasticienne, graphiste", "Bien-être et santé"),
        ("artiste plasticienne, intervenante scolaire", "Arts et artisanat d'art"),
        ("Éducateur sportif, ébéniste", "Tourisme, sport et nature"),
        ("Infographiste et dessinatrice", "Numérique et communication"),
        ("Illustrateur et formateur", "Arts et artisanat d'art"),
        (
            "Conseil, gestion locative, fabrication de meubles en carton et formation",
            "Formation et conseil",
        ),
        ("Gestion et animation en milieu culturel et petite cuisine", "Culture et spectacle"),
        ("Dietéticienne alimentation en pleine conscience", "Bien-être et santé"),
        ("Boulangier", "Alimentation"),
        ("Ecrivain public", "Autres"),
        ("Écrivaine aquarelliste", "Arts et artisanat d'art"),
    ],
)
def test_reference_mapping_classifies_2016_activities(reference_mapping, activity, sector):
    assert members.sector_of(activity, reference_mapping) == sector


def test_reference_mapping_is_well_formed(reference_mapping):
    assert list(reference_mapping.columns) == members.MAPPING_COLUMNS
    assert reference_mapping["order"].is_unique
    assert (reference_mapping["pattern"] == reference_mapping["pattern"].str.strip()).all()
