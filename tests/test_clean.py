"""One test per consistency rule, on tiny inline tables, through ``clean`` (so removing a
rule from the pipeline fails its test)."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.clean import clean
from cae_report.data.reference import Reference

REF = Reference(
    places=pd.DataFrame(
        {"name": ["Coodyssée Chorges", "Chorges"], "commune": ["Chorges"] * 2, "kind": ["", ""]}
    )
)


def kf(**values) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": 2020,
            "indicator": list(values),
            "value": [float(v) for v in values.values()],
            "unit": "count",
            "source": "",
        }
    )


def run(**tables):
    clean_tables, anomalies = clean(tables, REF)
    return clean_tables, anomalies


def found(anomalies, rule):
    return anomalies[anomalies["rule"] == rule]


def movements(headcounts, entries=(1, 2, 0), exits=(0, 1, 1)):
    return pd.DataFrame(
        {
            "year": 2020,
            "month": [1, 2, 3],
            "entries": list(entries),
            "exits": list(exits),
            "headcount_end": list(headcounts),
        }
    )


def test_stock_flow_typo_confirmed_by_next_month_is_corrected():
    tables, anomalies = run(movements=movements([11, 2, 11]), key_figures=kf(headcount_start=10))
    hit = found(anomalies, "headcount_stock_flow")
    assert hit[["key", "published", "corrected", "action"]].values.tolist() == [
        ["2020-02", 2, 12, "corrected"]
    ]
    assert_frame_equal(tables["movements"], movements([11, 12, 11]))


def test_stock_flow_last_month_confirmed_by_year_end_figure():
    tables, anomalies = run(
        movements=movements([11, 12, 1]), key_figures=kf(headcount_start=10, headcount_end=11)
    )
    assert found(anomalies, "headcount_stock_flow")["corrected"].tolist() == [11]


def test_stock_flow_break_nothing_confirms_is_only_flagged():
    tables, anomalies = run(movements=movements([11, 15, 14]), key_figures=kf(headcount_start=10))
    hit = found(anomalies, "headcount_stock_flow")
    assert hit["action"].tolist() == ["flagged"]
    assert tables["movements"]["headcount_end"].tolist() == [11, 15, 14]


def test_year_totals_stated_in_text_against_monthly_table():
    _, anomalies = run(
        movements=movements([11, 12, 11]),
        key_figures=kf(headcount_start=10, entries=4, exits=2, accompanied=13, movements=5),
    )
    hit = found(anomalies, "movement_totals").set_index("key")
    assert hit.loc["entries", "corrected"] == 3
    assert "exits" not in hit.index and "movements" not in hit.index
    assert "accompanied" not in hit.index  # 10 + 3 entries


def test_forecasts_must_agree_with_each_other():
    _, anomalies = run(
        key_figures=kf(
            headcount_start=85,
            forecast_entries=15,
            forecast_exits=10,
            forecast_headcount_end=85,
            forecast_accompanied=100,
            forecast_managed=90,
        )
    )
    hit = found(anomalies, "forecast_consistency")
    assert sorted(hit["key"]) == ["forecast_headcount_end", "forecast_managed"]
    assert set(hit["action"]) == {"flagged"}


def test_contracts_must_add_up_to_headcount():
    _, anomalies = run(key_figures=kf(contracts_cdi=70, contracts_support=12, headcount_end=84))
    assert found(anomalies, "contracts_vs_headcount")["key"].tolist() == ["contracts_cdi"]


def test_year_end_list_against_stated_contracts():
    people = pd.DataFrame(
        {
            "surname": ["A", "B", "C", "D"],
            "first_name": ["a", "b", "c", "d"],
            "status": ["Entrepreneur salarié", "Entrepreneur salarié", "CDD", "Sortie"],
            "town": "GAP",
        }
    )
    _, anomalies = run(
        entrepreneurs=people,
        key_figures=kf(contracts_cdi=1, contracts_support=0, headcount_end=4),
    )
    hit = found(anomalies, "year_end_list")
    assert sorted(hit["key"]) == ["C c", "D d", "contracts_cdi", "headcount_end"]


def test_members_counted_two_ways():
    _, anomalies = run(
        key_figures=kf(members=10, members_employees=8, members_external=3, members_previous=11)
    )
    assert sorted(found(anomalies, "members_count")["key"]) == ["members", "members_previous"]


def test_team_share_of_a_post_against_monthly_hours():
    team = pd.DataFrame(
        {
            "year": 2020,
            "name": ["X", "Y"],
            "role": "",
            "fte_pct": [40.0, 50.0],
            "hours_per_month": [60.0, 60.0],
        }
    )
    assert found(run(team=team)[1], "team_fte")["key"].tolist() == ["Y"]


def statement(**overrides) -> pd.DataFrame:
    """A tiny income statement: two charge groups, one product group, result rows."""
    rows = [
        # side, group, row_type, label, actual, budget, published variance
        ("charges", "60", "line", "Bureau", 40, 100, None),
        ("charges", "60", "line", "Eau", 60, 40, None),
        ("charges", "60", "line", "Copie", 60, 10, None),
        ("charges", "60", "subtotal", "ST 60", 100, 150, None),
        ("charges", "64", "line", "Salaires", 900, 1000, None),
        ("charges", "64", "subtotal", "ST 64", 900, 1000, None),
        ("charges", None, "total", "Total charges", 1000, 1150, None),
        ("products", "own_resources", "line", "Mutualisation", 1100, 1000, 10),
        ("products", "own_resources", "line", "CICE", 100, 150, -33),
        ("products", "other_income", "line", "Aide", 50, None, 100),
        ("products", "own_resources", "subtotal", "ST own", 1200, 1150, 4),
        ("products", "other_income", "subtotal", "ST other", 50, None, None),
        ("products", None, "total", "Total produits", 1250, 1150, 9),
        ("products", None, "operating_surplus", "EBE", 250, None, None),
        ("charges", "non_operating", "line", "Dotations", 20, None, None),
        ("products", "non_operating", "line", "Produits financiers", 10, None, None),
        ("charges", None, "result", "Résultat", 240, None, None),
        ("charges", None, "grand_total", "Total général", 1260, None, None),
        ("products", None, "grand_total", "Total général", 1260, None, None),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "side",
            "group",
            "row_type",
            "label",
            "actual",
            "budget",
            "published_variance_pct",
        ],
    )
    frame.insert(0, "order", range(1, len(frame) + 1))
    frame.insert(0, "year", 2020)
    for (label, column), value in overrides.items() if overrides else []:
        frame.loc[frame["label"] == label, column] = value
    return frame.astype(
        {"actual": "Float64", "budget": "Float64", "published_variance_pct": "Float64"}
    )


def test_copied_line_is_corrected_from_a_subtotal_the_total_confirms():
    tables, anomalies = run(income_statement=statement())
    hit = found(anomalies, "income_statement_sums")
    assert hit[["key", "field", "published", "corrected"]].values.tolist() == [
        ["charges / Copie", "actual", 60, 0]
    ]
    frame = tables["income_statement"]
    assert frame.loc[frame["label"] == "Copie", "actual"].item() == 0


def test_group_mismatch_without_an_identifiable_line_is_flagged():
    frame = statement()
    frame.loc[frame["label"] == "Copie", "actual"] = 30
    hit = found(run(income_statement=frame)[1], "income_statement_sums")
    assert hit[["key", "action"]].values.tolist() == [["charges / ST 60", "flagged"]]


def test_total_disagreeing_with_consistent_subtotals_is_corrected():
    frame = statement()
    frame.loc[frame["label"] == "Copie", "actual"] = 0
    frame.loc[frame["label"] == "Total produits", "budget"] = 1200
    hit = found(run(income_statement=frame)[1], "income_statement_sums")
    assert hit[["key", "field", "published", "corrected"]].values.tolist() == [
        ["products / Total produits", "budget", 1200, 1150]
    ]


def test_operating_surplus_is_products_minus_charges():
    frame = statement()
    frame.loc[frame["label"] == "Copie", "actual"] = 0
    frame.loc[frame["label"] == "EBE", "actual"] = 205
    hit = found(run(income_statement=frame)[1], "operating_surplus")
    assert hit[["published", "corrected"]].values.tolist() == [[205, 250]]


def test_result_and_grand_totals():
    frame = statement()
    frame.loc[frame["label"] == "Copie", "actual"] = 0
    frame.loc[frame["label"] == "Résultat", "actual"] = 200
    hit = found(run(income_statement=frame)[1], "result_and_grand_totals")
    assert hit[["key", "published", "corrected"]].values.tolist() == [
        ["charges / Résultat", 200, 240]
    ]


def test_variance_against_zero_budget_is_undefined_not_100():
    tables, anomalies = run(income_statement=statement())
    hit = found(anomalies, "variance_pct").set_index("key")
    assert hit.loc["products / Aide", "published"] == 100
    assert hit.loc["products / Aide", "corrected"] == "non défini"
    frame = tables["income_statement"]
    assert pd.isna(frame.loc[frame["label"] == "Aide", "published_variance_pct"].item())


def test_wrong_variance_percentage_is_recomputed():
    hit = found(run(income_statement=statement())[1], "variance_pct").set_index("key")
    # 1100 vs 1000 is +10 %: agrees; 1250 vs 1150 is +8.7 %, published 9: agrees.
    assert "products / Mutualisation" not in hit.index
    assert "products / Total produits" not in hit.index
    # CICE 100 vs 150 is -33.3 %: agrees with -33; own resources 1200 vs 1150 = +4.3 %: agrees.
    frame = statement()
    frame.loc[frame["label"] == "Mutualisation", "published_variance_pct"] = 34
    hit = found(run(income_statement=frame)[1], "variance_pct")
    assert hit[["key", "published", "corrected"]].values.tolist()[0] == [
        "products / Mutualisation",
        34,
        10,
    ]


def test_stated_percentages_against_the_accounts():
    frame = statement()
    frame.loc[frame["label"] == "Copie", "actual"] = 0
    figures = kf(personnel_share_pct=90, personnel_variance_pct=-10, cice_share_pct=7)
    tables, anomalies = run(income_statement=frame, key_figures=figures)
    hit = found(anomalies, "stated_account_figures").set_index("key")
    assert "personnel_share_pct" not in hit.index  # 900 / 1000 = 90 %
    assert "personnel_variance_pct" not in hit.index  # 900 vs 1000 = -10 %
    assert hit.loc["cice_share_pct", "corrected"] == 8.0  # 100 / 1250


def test_stated_leverage_and_receipts():
    figures = kf(
        vat_paid_back=100,
        social_contributions=50,
        ratio_receipts=150,
        ratio_subsidies=20,
        subsidy_leverage=9,
    )
    hit = found(run(key_figures=figures)[1], "stated_account_figures")
    assert hit[["key", "corrected"]].values.tolist() == [["subsidy_leverage", 7.5]]


def test_subsidy_booked_but_not_fully_received_is_flagged():
    frame = statement()
    frame.loc[frame["label"] == "Aide", ["label", "group"]] = ["Région X", "subsidies"]
    hit = found(
        run(income_statement=frame, key_figures=kf(subsidy_region_received=30))[1],
        "subsidies_received",
    )
    assert hit["action"].tolist() == ["flagged"]


def test_training_totals_against_text():
    training = pd.DataFrame(
        {
            "date": ["2020-01-01", "2020-02-01"],
            "type": "t",
            "summary": ["a", "b"],
            "place": "Chorges",
            "attendees": [3, 4],
            "hours": [9.0, 12.0],
        }
    )
    figures = kf(training_sessions=2, training_hours=20, training_attendance=7)
    tables, anomalies = run(training=training, key_figures=figures)
    hit = found(anomalies, "training_totals")
    assert hit[["key", "published", "corrected"]].values.tolist() == [["training_hours", 20, 21]]


def test_place_typo_is_corrected_to_the_cooperatives_own_place():
    training = pd.DataFrame(
        {
            "date": ["2020-01-01", "2020-02-01", "2020-03-01"],
            "type": "t",
            "summary": ["a", "b", "c"],
            "place": ["Coodyssée Charges", "Chorges", "Lyon"],
            "attendees": 1,
            "hours": 1.0,
        }
    )
    tables, anomalies = run(training=training)
    hit = found(anomalies, "place_names")
    assert hit[["published", "corrected", "action"]].values.tolist()[0] == [
        "Coodyssée Charges",
        "Coodyssée Chorges",
        "corrected",
    ]
    assert hit["action"].tolist() == ["corrected", "flagged"]  # Lyon: unknown, no near match
    assert tables["training"]["place"].tolist() == ["Coodyssée Chorges", "Chorges", "Lyon"]


def test_abbreviated_communes_are_spelled_in_full():
    people = pd.DataFrame(
        {
            "surname": ["A", "B"],
            "first_name": ["a", "b"],
            "status": "En convention",
            "town": ["ST CRÉPIN", "SAINT CRÉPIN"],
        }
    )
    tables, anomalies = run(entrepreneurs=people)
    assert tables["entrepreneurs"]["town"].tolist() == ["SAINT CRÉPIN"] * 2
    assert len(found(anomalies, "commune_names")) == 1


def test_same_street_address_in_two_towns_is_flagged_without_publishing_it():
    people = pd.DataFrame(
        {
            "surname": ["A", "B", "C", "D"],
            "first_name": ["a", "b", "c", "d"],
            "status": "En convention",
            "address": ["12 rue X", "12, rue X", "Le Village", "Le Village"],
            "postcode": ["05000", "01230", "05260", "05300"],
            "town": ["GAP", "Y", "Z", "W"],
        }
    )
    hit = found(run(entrepreneurs=people)[1], "shared_address")
    assert sorted(hit["key"]) == ["A a", "B b"]
    assert "rue X" not in hit.to_csv()


def web(filtered=(100, 80, 300, 3.0, 120.0, 60.0), all_=(110, 90, 320, 2.91, 118.0, 61.0)):
    cols = ["visits", "visitors", "pageviews", "pages_per_visit", "avg_duration_s", "bounce_pct"]
    frame = pd.DataFrame([filtered, all_], columns=cols)
    frame.insert(0, "segment", ["filtered", "all"])
    frame.insert(0, "year", 2020)
    return frame


def test_web_pages_per_visit_and_shares():
    figures = kf(
        web_visits_share_pct=90.91,
        web_visitors_share_pct=80,
        web_pages_per_visit_diff_pct=3.09,
        web_duration_diff_pct=9.0,
    )
    hit = found(run(web_audience=web(), key_figures=figures)[1], "web_consistency")
    assert sorted(hit["key"]) == ["web_duration_diff_pct", "web_visitors_share_pct"]
    bad = web(filtered=(100, 80, 300, 2.5, 120.0, 60.0))
    hit = found(run(web_audience=bad)[1], "web_consistency")
    assert hit[["field", "corrected"]].values.tolist() == [["pages_per_visit", 3.0]]


@pytest.mark.parametrize("stated,ok", [(100, True), (200, False)])
def test_rounded_visits_against_exact(stated, ok):
    visits = pd.DataFrame({"year": [2020], "visits": [stated], "precision": ["rounded"]})
    hit = found(run(web_audience=web(), web_visits=visits)[1], "web_consistency")
    assert hit.empty == ok


def test_partial_year_cleans_without_anomalies():
    tables, anomalies = run(
        web_visits=pd.DataFrame({"year": [2013], "visits": [7200], "precision": ["rounded"]})
    )
    assert anomalies.empty and list(tables) == ["web_visits"]
