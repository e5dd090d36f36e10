"""A budget with gaps, and audience figures a file does not give: the report's tables and
sentences show them as undefined, never crash, and the variance chart gets only the lines
that have a variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from cae_report.analysis import budget
from cae_report.analysis import statement as statement_rows
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


def test_statement_shows_undefined_variances_as_such():
    table = narrative.statement_table(statement_rows.rows(GAPS), "charges", {}, {})
    eur = {v: f"{v}{NBSP}€" for v in ("800", "500")}
    expected = pd.DataFrame(
        {
            "Charges": [
                "**60 Achats**",
                "Fournitures",
                "Entrepreneuriat coopératif",
                "*Sous\\-total Achats*",
                "**61 Services extérieurs**",
                "Locations",
                "*Sous\\-total Services extérieurs*",
                "**62 Autres services extérieurs**",
                "Honoraires",
                "*Sous\\-total Autres services extérieurs*",
                "**Total des charges d'exploitation**",
                "**Résultat**",
                "**Total général**",
            ],
            "Réalisé": [
                "",
                f"1{NNBSP}200{NBSP}€",
                "—",
                f"*1{NNBSP}200{NBSP}€*",
                "",
                eur["800"],
                f"*{eur['800']}*",
                "",
                "—",
                "*—*",
                f"**2{NNBSP}000{NBSP}€**",
                f"**1{NNBSP}000{NBSP}€**",
                f"**3{NNBSP}000{NBSP}€**",
            ],
            "Prévisionnel": [
                "",
                f"1{NNBSP}000{NBSP}€",
                "",
                f"*1{NNBSP}000{NBSP}€*",
                "",
                "",
                "",
                "",
                eur["500"],
                f"*{eur['500']}*",
                f"**1{NNBSP}500{NBSP}€**",
                "",
                "",
            ],
            "Écart": ["", f"\\+200{NBSP}€", "", f"*\\+200{NBSP}€*", *[""] * 6]
            + [f"**\\+500{NBSP}€**", "", ""],
            "Écart (%)": ["", f"\\+20,0{NNBSP}%", "", f"\\+20,0{NNBSP}%", ""]
            + ["non défini", "non défini", "", "", "", f"\\+33,3{NNBSP}%", "", ""],
        }
    )
    assert_frame_equal(table.astype(str), expected)


def test_sentences_do_not_crash_on_gaps():
    text = narrative.material_text(budget.lines(GAPS))
    assert (
        "Sans prévisionnel ou sans réalisé, 2\u00a0lignes n’ont pas d’écart défini et ne "
        "figurent pas dans le graphique des écarts : « Locations » ; « Honoraires »."
    ) in text
    assert "Entrepreneuriat coopératif" not in text  # nothing on either side: nothing to say
    assert "au prévisionnel des seules lignes budgétées" in text


def test_statement_without_any_budget():
    frame = statement(
        [("charges", "60", "x", 100, None), ("products", "own_resources", "y", 300, None)]
    )
    table = narrative.statement_table(statement_rows.rows(frame), "charges", {}, {})
    assert table["Prévisionnel"].astype(str).tolist() == [""] * 6
    assert table["Écart (%)"].astype(str).tolist() == ["", *["non défini"] * 3, "", ""]
    assert table["Réalisé"].astype(str).tolist()[-2:] == [f"**200{NBSP}€**", f"**300{NBSP}€**"]


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


def test_analysis_of_uses_with_gaps():
    table = narrative.shares_table(statement_rows.shares(GAPS, "charges"), "charges")
    assert table["Prévisionnel"].astype(str).tolist()[:3] == [
        f"1{NNBSP}000{NBSP}€",
        "—",
        f"500{NBSP}€",
    ]
    assert table["Écart (%)"].tolist()[1] == "non défini"  # booked, not budgeted
    assert table["Emplois"].astype(str).tolist()[-1] == "**Total**"
