"""A budget with gaps, and audience figures a file does not give: the report's tables and
sentences show them as undefined, never crash, and the variance chart gets only the lines
that have a variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from cae_report.analysis import budget
from cae_report.report import charts, narrative

NBSP, NNBSP = "\u00a0", "\u202f"
COLUMNS = ["year", "order", "side", "group", "row_type", "label", "actual", "budget"]


def statement(rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            (2016, i + 1, side, group, "line", label, a, b)
            for i, (side, group, label, a, b) in enumerate(rows)
        ],  # fmt: skip
        columns=COLUMNS,
    )
    return frame.astype({"actual": "Float64", "budget": "Float64"})


GAPS = statement(
    [
        ("charges", "60", "Fournitures", 1200, 1000),
        ("charges", "60", "Entrepreneuriat coopératif", None, None),  # neither
        ("charges", "61", "Locations", 800, None),  # booked, not budgeted
        ("charges", "62", "Honoraires", None, 500),  # budgeted, not booked
        ("products", "own_resources", "Mutualisation", 3000, 2500),
    ]
)


def test_variance_table_shows_undefined_variances_as_such():
    table = narrative.variance_table(budget.lines(GAPS))
    expected = pd.DataFrame(
        {
            "Poste": [
                "Achats — Fournitures",
                "Achats — Entrepreneuriat coopératif",
                "Services extérieurs — Locations",
                "Autres services extérieurs — Honoraires",
                "Ressources propres — Mutualisation",
            ],
            "Réalisé": [f"1{NNBSP}200{NBSP}€", "—", f"800{NBSP}€", "—", f"3{NNBSP}000{NBSP}€"],
            "Prévu": [f"1{NNBSP}000{NBSP}€", "—", "—", f"500{NBSP}€", f"2{NNBSP}500{NBSP}€"],
            "Écart": [f"+200{NBSP}€", "non défini", "non défini", "non défini", f"+500{NBSP}€"],
            "Écart (%)": [f"+20{NNBSP}%", "non défini", "non défini", "non défini", f"+20{NNBSP}%"],
            "Significatif": ["", "", "", "", ""],
        }
    )
    assert_frame_equal(table, expected)


def test_groups_table_and_sentences_do_not_crash_on_gaps():
    groups = narrative.groups_table(budget.groups(GAPS))
    assert groups["Écart"].tolist() == [f"+200{NBSP}€", "non défini", "non défini", f"+500{NBSP}€"]
    assert groups["Prévu"].tolist()[1] == "—"
    text = narrative.material_text(budget.lines(GAPS))
    assert (
        "Sans prévisionnel ou sans réalisé, 2\u00a0lignes n’ont pas d’écart défini et ne "
        "figurent pas dans le graphique des écarts : « Locations » ; « Honoraires »."
    ) in text
    assert "Entrepreneuriat coopératif" not in text  # nothing on either side: nothing to say
    assert "au prévisionnel des seules lignes budgétées" in text
    totals = budget.totals(GAPS)
    sentence = narrative.budget_text(totals, budget.net_result(GAPS), pd.DataFrame(), None)
    assert sentence.startswith(f"Les produits d'exploitation atteignent 3{NNBSP}000{NBSP}€ pour")


def test_budget_text_without_any_budget():
    frame = statement(
        [("charges", "60", "x", 100, None), ("products", "own_resources", "y", 300, None)]
    )
    sentence = narrative.budget_text(budget.totals(frame), 200.0, pd.DataFrame(), None)
    assert sentence == (
        f"Les produits d'exploitation atteignent 300{NBSP}€, les charges 100{NBSP}€. "
        f"L'excédent d'exploitation est de 200{NBSP}€ et le résultat net de 200{NBSP}€."
    )


def test_the_variance_chart_gets_only_the_lines_with_a_variance():
    lines = budget.lines(GAPS)
    shown = budget.with_variance(lines)
    assert shown["label"].tolist() == ["Fournitures", "Mutualisation"]
    chart = charts.variance_chart(shown)
    assert chart.data["variance_eur"].notna().all() and len(chart.data) == 2
    assert_frame_equal(
        budget.without_variance(lines)[["label", "variance_eur"]],
        pd.DataFrame(
            {
                "label": ["Entrepreneuriat coopératif", "Locations", "Honoraires"],
                "variance_eur": [np.nan] * 3,
            }
        ),
    )


def test_audience_sentence_with_only_the_visits():
    web = pd.Series({"visits": 11846, "visitors": pd.NA, "pageviews": pd.NA})
    empty = pd.DataFrame(columns=["metric", "met"])
    assert narrative.audience_text(web, empty, pd.DataFrame()) == (
        f"Le site a reçu 11{NNBSP}846{NBSP}visites."
    )
    web = pd.Series({"visits": 11846, "visitors": 8639, "pageviews": pd.NA})
    assert narrative.audience_text(web, empty, pd.DataFrame()) == (
        f"Le site a reçu 11{NNBSP}846{NBSP}visites de 8{NNBSP}639{NBSP}visiteurs."
    )
