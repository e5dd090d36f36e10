"""Income statement analysis: variances, materiality, structure, waterfall."""

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.analysis import budget

COLUMNS = ["year", "order", "side", "group", "row_type", "label", "actual", "budget"]

# 2016 operating lines, with "Entrepreneuriat coopératif" corrected from 2091 to 0.
LINES_2016 = [
    ("charges", "60", "Achat équipement bureau", 1111, 905),
    ("charges", "60", "Fournitures de bureau", 20, 2500),
    ("charges", "60", "Entretien petit équipement", 1015, 300),
    ("charges", "60", "Fournitures eau électricité", 2091, 1200),
    ("charges", "60", "Entrepreneuriat coopératif", 0, 2000),
    ("charges", "61", "Locations", 8008, 9500),
    ("charges", "61", "Maintenance", 3048, 1720),
    ("charges", "61", "Assurances", 2727, 2700),
    ("charges", "61", "Documentation", 394, 500),
    ("charges", "61", "Formation", 5980, 1500),
    ("charges", "62", "Honoraires", 5848, 5000),
    ("charges", "62", "Publicité", 90, 1000),
    ("charges", "62", "Déplacements missions", 3457, 5400),
    ("charges", "62", "Frais postaux, téléphone", 2117, 2500),
    ("charges", "62", "Cotisations", 6613, 4000),
    ("charges", "62", "Taxe apprentissage formation", 864, 400),
    ("charges", "62", "Services bancaires", 551, 500),
    ("charges", "64", "Salaires et charges", 88437, 90000),
    ("charges", "64", "Autres charges personnel GEST", 1846, 2000),
    ("products", "own_resources", "Mutualisation", 93606, 70000),
    ("products", "own_resources", "Prestation de services", 2903, 3000),
    (
        "products",
        "subsidies",
        "Région PACA – Dispositif territorial d'accompagnement des créateurs d'activités",
        30625,
        30625,
    ),
    ("products", "subsidies", "Département HAUTES-ALPES", 5000, 15000),
    ("products", "other_income", "Uniformation", 1500, None),
    ("products", "other_income", "CICE", 26572, 15000),
]
OTHER_2016 = [
    ("charges", "", "total", "Coût total des charges", 136308, 133625),  # published, wrong
    ("charges", "non_operating", "line", "Autres charges de gestion", 238, None),
    ("charges", "non_operating", "line", "Dotations aux provisions et amortissements", 16846, None),
    ("charges", "non_operating", "line", "Charges financières", None, None),
    ("charges", "", "result", "Résultat", 16693, None),
    ("products", "own_resources", "subtotal", "Sous total Ressources propres", 99999, 73000),
    ("products", "", "operating_surplus", "Excédent Brut d'exploitation", 25989, None),
    ("products", "non_operating", "line", "Produits divers de gestion", 2145, None),
    ("products", "non_operating", "line", "Produits financiers", 1142, None),
    (
        "products",
        "non_operating",
        "line",
        "Produits exceptionnels sur exercices antérieurs",
        2523,
        None,
    ),
    ("products", "non_operating", "line", "Reprise sur provision", 1978, None),
]


def statement(lines, others=()) -> pd.DataFrame:
    rows = [(side, group, "line", label, a, b) for side, group, label, a, b in lines]
    rows += list(others)
    frame = pd.DataFrame([(2016, i + 1, *row) for i, row in enumerate(rows)], columns=COLUMNS)
    frame["group"] = frame["group"].replace("", None)
    return frame.astype({"actual": "Float64", "budget": "Float64"})


@pytest.fixture
def is_2016() -> pd.DataFrame:
    return statement(LINES_2016, OTHER_2016)


def key_figures(**values) -> pd.DataFrame:
    return pd.DataFrame({"indicator": list(values), "value": [float(v) for v in values.values()]})


# ---------------------------------------------------------------- lines and materiality


def test_missing_budget_gives_an_undefined_variance_zero_budget_a_variance():
    """A line nobody budgeted has no variance at all (not « the whole actual »); a line
    budgeted at 0 € has its actual as variance and an undefined percentage."""
    out = budget.lines(
        statement(
            [
                ("products", "other_income", "Uniformation", 1500, None),
                ("products", "other_income", "Don", 500, 0),
                ("products", "other_income", "Legs", 1200, 0),
            ]
        )
    )
    expected = pd.DataFrame(
        {
            "side": ["products"] * 3,
            "group": ["other_income"] * 3,
            "label": ["Uniformation", "Don", "Legs"],
            "actual": [1500.0, 500.0, 1200.0],
            "budget": [np.nan, 0.0, 0.0],
            "variance_eur": [np.nan, 500.0, 1200.0],
            "variance_pct": [np.nan, np.nan, np.nan],
            "material": [False, False, True],
        }
    )
    assert_frame_equal(out, expected)
    assert_frame_equal(budget.with_variance(out), expected.iloc[1:].reset_index(drop=True))
    assert_frame_equal(budget.without_variance(out), expected.iloc[:1])


def test_a_line_with_neither_booking_nor_budget_and_a_group_without_budget():
    """The crash of issue 11: a report line with no booking and no budget."""
    frame = statement(
        [
            ("charges", "60", "Fournitures", 1200, 1000),
            ("charges", "60", "Entrepreneuriat coopératif", None, None),
            ("charges", "61", "Locations", 800, None),
            ("products", "own_resources", "Mutualisation", 3000, 2500),
        ]
    )
    out = budget.lines(frame)
    assert out["variance_eur"].isna().tolist() == [False, True, True, False]
    groups = budget.groups(frame)
    expected = pd.DataFrame(
        {
            "side": ["charges", "charges", "products"],
            "group": ["60", "61", "own_resources"],
            "label": ["Achats", "Services extérieurs", "Ressources propres"],
            "actual": [1200.0, 800.0, 3000.0],
            "budget": [1000.0, np.nan, 2500.0],
            "variance_eur": [200.0, np.nan, 500.0],
            "variance_pct": [20.0, np.nan, 20.0],
        }
    )
    assert_frame_equal(groups, expected)
    steps = budget.waterfall_steps(frame)
    # budgeted surplus + every step = actual surplus, the unbudgeted group moving it by
    # its whole actual
    assert steps["amount"].iloc[0] == 1500.0
    assert steps["amount"].iloc[1:-1].sum() + steps["amount"].iloc[0] == steps["amount"].iloc[-1]
    assert steps["amount"].iloc[-1] == 1000.0


@pytest.mark.parametrize(
    ("actual", "budget_", "material"),
    [
        (6000, 5000, True),  # +1 000 € and +20 %: both thresholds reached exactly
        (4000, 5000, True),  # −1 000 € and −20 %
        (5999, 5000, False),  # 999 €: too small in euros
        (6500, 5500, False),  # 1 000 € but 18.2 %: too small relatively
        (20, 2500, True),  # −2 480 €, −99.2 %
        (90, 1000, False),  # −910 €, −91 %: large in %, small in euros
        (999, 0, False),  # budgeted at 0 €: judged on euros alone
        (1000, 0, True),
        (5000, None, False),  # not budgeted: no variance, never material
    ],
)
def test_materiality_threshold_edges(actual, budget_, material):
    line = budget.lines(statement([("charges", "62", "x", actual, budget_)])).iloc[0]
    assert bool(line["material"]) is material


def test_missing_actual_stays_missing_and_is_not_material():
    line = budget.lines(statement([("charges", "62", "x", None, 5000)])).iloc[0]
    assert math.isnan(line["actual"]) and math.isnan(line["variance_eur"])
    assert not line["material"]


def test_lines_keep_operating_lines_only(is_2016):
    out = budget.lines(is_2016)
    assert len(out) == len(LINES_2016)
    assert set(out["group"]) == set(budget.OPERATING_GROUPS)


def test_numeric_group_codes_are_normalised():
    frame = statement([("charges", "60", "x", 10, 10)])
    frame["group"] = [60.0]
    assert budget.lines(frame)["group"].tolist() == ["60"]


# ---------------------------------------------------------------- groups and totals


def test_groups_are_summed_from_lines_not_published_subtotals(is_2016):
    out = budget.groups(is_2016).set_index("group")
    assert out.loc["own_resources", "actual"] == 96509.0  # published subtotal says 99999
    assert out.loc["60", "actual"] == 4237.0
    assert out.loc["60", "label"] == "Achats"
    assert out.loc["own_resources", "variance_pct"] == pytest.approx(23509 / 73000 * 100)
    assert list(out.index) == ["60", "61", "62", "64", "own_resources", "subsidies", "other_income"]


def test_totals_2016(is_2016):
    assert budget.totals(is_2016) == {
        "charges_actual": 134217.0,
        "charges_budget": 133625.0,
        "products_actual": 160206.0,
        "products_budget": 133625.0,
        "operating_surplus_actual": 25989.0,
        "operating_surplus_budget": 0.0,
    }


def test_non_operating_and_net_result(is_2016):
    other = budget.non_operating(is_2016)
    assert len(other) == 7
    assert math.isnan(other.loc[other["label"] == "Charges financières", "actual"].iloc[0])
    assert budget.net_result(is_2016) == 16693.0


def test_products_structure(is_2016):
    expected = pd.DataFrame(
        {
            "category": ["Ressources propres", "Subventions", "Autres produits"],
            "actual": [96509.0, 35625.0, 28072.0],
            "share_pct": [x / 160206 * 100 for x in (96509, 35625, 28072)],
        }
    )
    assert_frame_equal(budget.products_structure(is_2016), expected)


def test_personnel_share(is_2016):
    assert round(budget.personnel_share_pct(is_2016), 1) == 67.3


def test_subsidy_leverage():
    figures = key_figures(
        ratio_receipts=253057,
        ratio_subsidies=35625,
        vat_paid_back=98720,
        social_contributions=154337,
        subsidy_leverage=7.1,
    )
    result = budget.subsidy_leverage(figures)
    assert round(result["leverage"], 2) == 7.10
    assert result["receipts_recomputed"] == 253057.0
    assert result["leverage_recomputed"] == pytest.approx(result["leverage"])
    assert result["leverage_stated"] == 7.1
    assert budget.subsidy_leverage(None)["leverage"] is None
    assert (
        budget.subsidy_leverage(key_figures(ratio_receipts=1, ratio_subsidies=0))["leverage"]
        is None
    )


def test_effective_contribution_rate(is_2016):
    rate = budget.effective_contribution_rate_pct(
        is_2016, key_figures(entrepreneurs_revenue=908700)
    )
    assert rate == pytest.approx(93606 / 908700 * 100)
    assert budget.effective_contribution_rate_pct(is_2016, None) is None


def test_subsidies_granted_vs_received(is_2016):
    out = budget.subsidies_granted_vs_received(
        is_2016, key_figures(subsidy_region_received=21437.5)
    )
    assert out[["granted", "received", "remaining"]].iloc[0].tolist() == [
        30625.0,
        21437.5,
        9187.5,
    ]
    assert out["label"].iloc[0].startswith("Région PACA")
    unknown = budget.subsidies_granted_vs_received(is_2016, None)
    assert math.isnan(unknown["received"].iloc[0]) and math.isnan(unknown["remaining"].iloc[0])


# ---------------------------------------------------------------- waterfall


def test_waterfall_reconciles(is_2016):
    steps = budget.waterfall_steps(is_2016)
    assert steps["kind"].tolist() == ["absolute"] + ["relative"] * 7 + ["total"]
    start = steps["amount"].iloc[0]
    relative = steps.loc[steps["kind"] == "relative", "amount"].sum()
    assert start + relative == pytest.approx(steps["amount"].iloc[-1])
    assert steps["amount"].iloc[-1] == 25989.0
    by_label = steps.set_index("label")["amount"]
    assert by_label["Ressources propres"] == 23509.0  # more resources: positive
    assert by_label["Services extérieurs"] == -4237.0  # overspent: negative
    assert by_label["Achats"] == 2668.0  # underspent: positive


def test_waterfall_small_case():
    frame = statement([("charges", "60", "a", 120, 100), ("products", "subsidies", "b", 150, 100)])
    expected = pd.DataFrame(
        {
            "label": [
                budget.BUDGET_RESULT_LABEL,
                "Subventions",
                "Achats",
                budget.ACTUAL_RESULT_LABEL,
            ],
            "amount": [0.0, 50.0, -20.0, 30.0],
            "kind": ["absolute", "relative", "relative", "total"],
        }
    )
    assert_frame_equal(budget.waterfall_steps(frame), expected)


# ---------------------------------------------------------------- absent data


def test_absent_income_statement():
    assert budget.lines(None).empty
    assert budget.groups(None).empty
    assert set(budget.totals(None).values()) == {None}
    assert budget.net_result(None) is None
    assert budget.products_structure(None).empty
    assert budget.personnel_share_pct(None) is None
    assert budget.effective_contribution_rate_pct(None, None) is None
    assert budget.subsidies_granted_vs_received(None, None).empty
    assert budget.waterfall_steps(None).empty
    assert budget.non_operating(None).empty
