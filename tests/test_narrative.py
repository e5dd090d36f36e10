"""The French text of the report: computed numbers, French typography, no false claims."""

from __future__ import annotations

import pandas as pd

from cae_report.analysis import compare
from cae_report.build.prepare import prepare_year, previous_year
from cae_report.report import audit, narrative

NB, NN = "\u00a0", "\u202f"


def test_movements_text_2016():
    summary = {
        "headcount_start": 85,
        "headcount_end": 84,
        "entries": 24,
        "exits": 25,
        "accompanied": 109,
        "movements": 49,
        "movement_rate_pct": 57.647,
        "net_change": -1,
    }
    text = narrative.movements_text(summary, 2016)
    assert f"85{NB}entrepreneurs au début de 2016" in text
    assert f"49{NB}mouvements" in text and f"57,6{NN}%" in text
    assert f"109{NB}entrepreneurs accompagnés" in text and "apparente stabilité" in text


def test_peaks_text_uses_singular_below_two():
    peaks = pd.DataFrame({"month": [9], "entries": [1], "exits": [5], "turnover": [6]})
    assert narrative.peaks_text(peaks) == (
        f"Les mois les plus chargés en mouvements ont été septembre (1{NB}entrée, 5{NB}sorties)."
    )


def test_variance_table_shows_undefined_not_100_percent():
    lines = pd.DataFrame(
        {
            "side": ["products"],
            "group": ["other_income"],
            "label": ["Uniformation"],
            "actual": [1500.0],
            "budget": [0.0],
            "variance_eur": [1500.0],
            "variance_pct": [float("nan")],
            "material": [True],
        }
    )
    row = narrative.variance_table(lines).iloc[0]
    assert row["Écart (%)"] == "non défini" and row["Écart"] == f"+1{NN}500{NB}€"
    assert row["Significatif"] == "oui"


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


def test_comparison_with_partial_previous_year():
    from cae_report import config
    from cae_report.data import cooperative

    settings = cooperative.load(config.data_dir())
    rows = compare.rows("budget", prepare_year(2016).tables, previous_year(2016).tables, settings)
    table = narrative.comparison_table(rows)
    assert table["Indicateur"].tolist() == [
        "Contributeurs à la mutualisation",
        f"Contributeurs entre 2{NN}000 et 4{NN}000{NB}€",
        "Part du personnel dans les charges (%)",
    ]
    assert table["Évolution"].tolist()[0] == f"+21{NN}%"  # 98 against 81


def test_quality_summary_counts_corrections_and_flags():
    anomalies = pd.DataFrame({"action": ["corrected", "flagged", "flagged"]})
    text = audit.summary_sentence(2016, anomalies, complete=True)
    assert f"3{NB}anomalies" in text and f"1{NB}correction déduite " in text
    assert f"2{NB}points signalés" in text


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
    assert narrative.caveats(anomalies, ("headcount_end",)) == ""
