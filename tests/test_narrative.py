"""The French text of the report: computed numbers, French typography, no false claims."""

from __future__ import annotations

import pandas as pd

from cae_report.analysis import statement
from cae_report.build.prepare import prepare_year
from cae_report.report import audit, narrative

NB, NN = "\u00a0", "\u202f"


def test_peaks_text_uses_singular_below_two():
    peaks = pd.DataFrame({"month": [9], "entries": [1], "exits": [5], "turnover": [6]})
    assert narrative.peaks_text(peaks) == (
        f"Les mois les plus chargés en mouvements ont été septembre (1{NB}entrée, 5{NB}sorties)."
    )


def test_audience_text_when_no_target_is_met():
    targets = pd.DataFrame({"metric": ["bounce_pct"], "met": [False]})
    spam = pd.DataFrame({"metric": ["visits"], "kept_pct": [94.3188]})
    web = {"visits": 11173, "visitors": 8110, "pageviews": 30945}
    text = narrative.audience_text(web, targets, spam)
    assert f"11{NN}173{NB}visites" in text and f"94,3{NN}%" in text
    assert text.endswith("L'objectif d'audience n’est pas atteint.")
    three = pd.DataFrame({"metric": ["a", "b", "c"], "met": [False] * 3})
    assert narrative.audience_text(web, three, spam).endswith(
        "Aucun des 3 objectifs d'audience n'est atteint."
    )


def test_no_data_sentence_is_one_sentence():
    text = narrative.no_data("le compte de résultat", 2015)
    assert text.count(".") == 1 and "2015" in text


def test_quality_summary_counts_values_and_the_points_they_make():
    anomalies = pd.DataFrame(
        {
            "action": ["corrected", "corrected", "flagged", "flagged", "corrected"],
            "finding": ["F1", "F1", "F2", "F2", "F3"],
            "status": ["corrected", "corrected", "undecided", "undecided", "note"],
        }
    )
    text = audit.summary_sentence(2016, anomalies, complete=True)
    assert f"5{NB}valeurs" in text and f"dont 3{NB}valeurs changées" in text
    assert f"regroupées en 3{NB}points" in text
    assert f"1{NB}correction décidée par les autres chiffres, 1{NB}point non tranché, " in text
    assert f"1{NB}remarque." in text and "probable" not in text


def test_caveats_list_the_flagged_anomalies_of_the_figures_shown():
    anomalies = pd.DataFrame(
        {
            "key": ["contracts_cdi", "entries", "contracts_cdi"],
            "action": ["flagged", "flagged", "corrected"],
            "message": ["A ne concorde pas", "B", "C"],
        }
    )
    text = narrative.caveats(anomalies, ("contracts_cdi",))
    assert text.endswith("\n\n- A ne concorde pas.") and "B" not in text and "C" not in text
    numbered = anomalies.assign(table="key_figures", field="value", rule="r")
    text = narrative.caveats(numbered, ("contracts_cdi",))
    assert text.endswith("- A ne concorde pas (point 2 de l'annexe « Contrôles et corrections »).")
    assert narrative.caveats(anomalies, ("headcount_end",)) == ""


def test_income_statement_in_its_published_form_2016():
    data = prepare_year(2016)
    rows = statement.rows(data.tables["income_statement"])
    marks = audit.cell_marks(data.anomalies, "income_statement")
    charges = narrative.statement_table(rows, "charges", marks, {})
    products = narrative.statement_table(rows, "products", marks, {})
    line = products[products["Produits"] == "Uniformation"].iloc[0]
    assert line["Écart (%)"] == "non défini⁵" and line["Écart"] == ""  # no budget: no variance
    assert charges["Charges"].iloc[0] == "**60 Achats**"
    assert f"0{NB}€⁷" in charges["Réalisé"].tolist()  # the probable copy error, marked
    assert charges["Réalisé"].iloc[-1] == products["Réalisé"].iloc[-1] == f"**167{NN}994{NB}€**"
    assert f"**16{NN}693{NB}€**" in charges["Réalisé"].tolist()  # the result
    assert f"**25{NN}989{NB}€**" in products["Réalisé"].tolist()  # excédent brut
    assert "*Sous total Achats*" in charges["Charges"].tolist()


def test_monthly_table_marks_the_corrected_december_headcount():
    from cae_report.analysis import movements

    data = prepare_year(2016)
    marks = audit.cell_marks(data.anomalies, "movements")
    table = narrative.monthly_table(movements.monthly(data.tables["movements"]), 2016, marks)
    assert table.columns.tolist()[1] == "janv." and table.columns.tolist()[-1] == "Total"
    assert table.iloc[2]["déc."] == "84³" and table.iloc[2]["Total"] == "84"
    assert table.iloc[0]["Total"] == "24" and table.iloc[1]["Total"] == "25"
    assert "point 3." in audit.table_notes(marks)


def test_caveats_say_each_root_cause_once_by_its_first_sentence():
    message = "Ne concordent pas : CDI 72 publié, 76 par les autres chiffres. Hypothèses : x."
    anomalies = pd.DataFrame(
        {
            "table": "key_figures",
            "field": "value",
            "rule": "headcount_identities",
            "key": ["headcount_end", "contracts_cdi", "contracts_support"],
            "action": "flagged",
            "message": message,
            "finding": "F07",
        }
    )
    text = narrative.caveats(anomalies, ("headcount_end", "contracts_cdi", "contracts_support"))
    assert text.count("\n- ") == 1, text
    assert "\n- CDI 72 publié, 76 par les autres chiffres (point 1 de l'annexe" in text
    assert text.lower().count("ne concordent pas") == 1, text
    assert "Hypothèses" not in text
