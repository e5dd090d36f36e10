"""The cleaning rules on tiny inline tables, through ``clean`` (so removing a rule from the
pipeline fails its test), and the identity solver on its own."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cae_report.clean import COLUMNS, Context, clean, solver
from cae_report.data.reference import Reference
from cae_report.errors import DataError

COMMUNES = pd.DataFrame(
    {
        "code": ["05046", "05040", "05061", "05063", "74157", "05132"],
        "name": ["Embrun", "Chorges", "Gap", "Guillestre", "Lyaud", "Saint-Bonnet-en-Champsaur"],
        "department": ["05", "05", "05", "05", "74", "05"],
        "postcodes": ["05200", "05230", "05000", "05600", "74200", "05500"],
        "kind": "commune-actuelle",
    }
)
REF = Reference(
    places=pd.DataFrame(
        {"name": ["Coodyssée Chorges", "Chorges"], "commune": ["Chorges"] * 2, "kind": ["", ""]}
    ),
    communes=COMMUNES,
)
SETTINGS = {"statement_lines": {"shares": {"cice_share_pct": "CICE"}}}


def kf(**values) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": 2020,
            "indicator": list(values),
            "value": pd.array([float(v) for v in values.values()], dtype="Float64"),
            "unit": "count",
            "source": "",
        }
    )


def run(context: Context | None = None, **tables):
    return clean(tables, REF, context or Context(2020, settings=SETTINGS))


def found(anomalies, rule=None, key=None):
    rows = anomalies if rule is None else anomalies[anomalies["rule"] == rule]
    return rows if key is None else rows[rows["key"] == key]


def months(entries, exits, headcounts, first=1):
    n = len(entries)
    return pd.DataFrame(
        {
            "year": 2020,
            "month": list(range(first, first + n)),
            "entries": pd.array(entries, dtype="Int64"),
            "exits": pd.array(exits, dtype="Int64"),
            "headcount_end": pd.array(headcounts, dtype="Int64"),
        }
    )


FLOWS_E = [2, 1, 3, 2, 1, 0, 1, 2, 4, 3, 2, 1]
FLOWS_X = [1, 2, 1, 2, 0, 2, 1, 1, 2, 3, 1, 3]


def year_table(start=84):
    heads, h = [], start
    for e, x in zip(FLOWS_E, FLOWS_X, strict=True):
        h += e - x
        heads.append(h)
    return months(FLOWS_E, FLOWS_X, heads)


# ---------------------------------------------------------------- the solver


def test_solver_corrects_the_one_value_that_fixes_every_identity():
    vars_ = [
        solver.Var(v, v, "t", v, "value", Fraction(x))
        for v, x in (("a", 2), ("b", 3), ("c", 1), ("total", 6), ("text", 4))
    ]
    system = solver.System(
        vars_,
        [
            solver.equal_sum("total", "total", ["a", "b"]),
            solver.equal_sum("text", "text", ["a", "c"]),
        ],
    )
    (decision,) = solver.decide(system)
    assert decision.status == "corrected"
    assert dict(decision.chosen.values) == {"a": Fraction(3)}  # a alone fixes both sums


def test_solver_ties_are_undecided_and_list_every_candidate():
    vars_ = [
        solver.Var(v, v, "t", v, "value", Fraction(x)) for v, x in (("a", 2), ("b", 3), ("s", 6))
    ]
    system = solver.System(vars_, [solver.equal_sum("s", "s", ["a", "b"])])
    (decision,) = solver.decide(system)
    assert decision.status == "undecided" and decision.chosen is None
    assert sorted(c.vars for c in decision.candidates) == [("a",), ("b",), ("s",)]


def test_solver_ratio_target_is_rounded_as_written_and_a_free_count_gets_its_interval():
    vars_ = [
        solver.Var("pv", "pv", "t", "pv", "value", Fraction(300), integer=True),
        solver.Var("v", "v", "t", "v", "value", Fraction(100), integer=True),
        solver.Var(
            "ppv", "ppv", "t", "ppv", "value", Fraction(25, 10), half=Fraction(5, 1000), decimals=2
        ),
    ]
    system = solver.System(vars_, [solver.ratio("ppv", "ppv", {"pv": 1}, {"v": 1})])
    found = system.candidates(system.violated())
    by_set = {c.vars: c for c in found}
    assert by_set[("ppv",)].values["ppv"] == Fraction(3)
    assert by_set[("pv",)].values == {"pv": 250}  # the one whole number giving 2,50
    assert by_set[("v",)].values == {"v": 120}


# ---------------------------------------------------------------- movements


def test_an_exit_typed_wrong_is_corrected_in_the_table_not_blamed_on_headcounts():
    table = year_table()
    table.loc[9, "exits"] = 2  # October: 3 in truth; headcounts and the text agree with 3
    figures = kf(headcount_start=84, headcount_end=87, entries=22, exits=19, movements=41)
    tables, anomalies = run(movements=table, key_figures=figures)
    assert found(anomalies, "headcount_identities")[
        ["key", "field", "published", "corrected", "status"]
    ].values.tolist() == [["2020-10", "exits", 2, 3, "corrected"]]
    assert_frame_equal(tables["movements"], year_table())
    assert_frame_equal(tables["key_figures"], figures)  # the right text figures stay


def test_a_headcount_typo_is_corrected_and_the_text_total_too():
    table = year_table()
    table.loc[11, "headcount_end"] = 8
    figures = kf(headcount_start=84, headcount_end=87, accompanied=160)
    tables, anomalies = run(movements=table, key_figures=figures)
    hit = found(anomalies, "headcount_identities").set_index("key")
    assert hit.loc["2020-12", "corrected"] == 87 and hit.loc["accompanied", "corrected"] == 106
    assert set(hit["status"]) == {"corrected"}
    assert "accompagnés sont les présents" in hit.loc["accompanied", "message"]  # assumption said


def test_a_complete_year_without_its_twelve_months_is_invalid_data():
    table = year_table().drop(index=[2, 7])  # March and August
    context = Context(2020, coverage={"movements": "complete"}, folder=Path("data/raw/2020"))
    with pytest.raises(DataError, match=r"missing month\(s\) 3 \(mars\), 8 \(août\)") as err:
        run(context, movements=table, key_figures=kf(entries=20))
    assert err.value.problems[0].file == Path("data/raw/2020/movements.csv")
    doubled = pd.concat([year_table(), year_table().iloc[[4]]], ignore_index=True)
    with pytest.raises(DataError, match=r"given twice 5 \(mai\)"):
        run(context, movements=doubled)


def test_a_partial_table_says_what_it_lacks_and_checks_no_yearly_total():
    table = year_table().iloc[:7]
    context = Context(2020, coverage={"movements": "partial"})
    _, anomalies = run(context, movements=table, key_figures=kf(headcount_start=84, entries=22))
    assert anomalies[["rule", "status"]].values.tolist() == [["partial_year", "note"]]
    assert "manquent : août, septembre" in anomalies["message"].iloc[0]


def test_opening_headcount_against_last_years_end():
    previous = {"movements": year_table(start=80), "key_figures": kf(headcount_end=83)}
    context = Context(2021, previous=previous)
    _, anomalies = run(context, movements=year_table(start=83), key_figures=kf(headcount_start=38))
    hit = found(anomalies, key="headcount_start")
    assert hit[["corrected", "status"]].values.tolist() == [[83, "corrected"]]


def test_forecasts_are_flagged_never_corrected():
    figures = kf(
        headcount_start=85,
        forecast_entries=15,
        forecast_exits=10,
        forecast_headcount_end=85,
        forecast_accompanied=95,
        forecast_managed=90,
    )
    _, anomalies = run(key_figures=figures)
    hit = found(anomalies, "forecast_consistency")
    assert sorted(hit["key"]) == [
        "forecast_accompanied",
        "forecast_headcount_end",
        "forecast_managed",
    ]
    assert set(hit["action"]) == {"flagged"} and set(hit["status"]) == {"undecided"}
    assert "effectif de départ de 80" in hit["message"].iloc[0]


# ---------------------------------------------------------------- list and contracts


def people(statuses: dict[str, int]) -> pd.DataFrame:
    rows = [s for s, k in statuses.items() for _ in range(k)]
    return pd.DataFrame(
        {
            "surname": [f"N{i}" for i in range(len(rows))],
            "first_name": "x",
            "postcode": "05000",
            "town": "GAP",
            "status": rows,
        }
    )


def test_the_list_and_the_headcount_settle_the_contract_counts():
    figures = kf(contracts_cdi=7, contracts_support=30, headcount_end=10)
    tables, anomalies = run(
        entrepreneurs=people({"Entrepreneur salarié": 7, "En convention": 3}), key_figures=figures
    )
    hit = found(anomalies, "headcount_identities")
    assert hit[["key", "corrected", "status"]].values.tolist() == [
        ["contracts_support", 3, "corrected"]
    ]
    assert "Entrepreneur salarié » y désigne un CDI" in hit["message"].iloc[0]


def test_a_list_that_disagrees_everywhere_is_one_undecided_finding_with_its_rows():
    figures = kf(contracts_cdi=72, contracts_support=12, headcount_end=84)
    list_ = people({"Entrepreneur salarié": 76, "En convention": 6, "CDD": 1, "Sortie": 1})
    _, anomalies = run(entrepreneurs=list_, key_figures=figures)
    assert anomalies["finding"].nunique() == 1
    assert set(anomalies["status"]) == {"undecided"}
    assert sorted(anomalies["key"]) == [
        "N82 x",
        "N83 x",
        "contracts_cdi",
        "contracts_support",
        "headcount_end",
    ]


def test_members_that_do_not_add_up_are_undecided_and_last_years_count_is_the_start():
    figures = kf(members=12, members_employees=11, members_external=2, members_previous=10)
    context = Context(2021, previous={"key_figures": kf(members=10)})
    _, anomalies = run(context, key_figures=figures)
    assert sorted(found(anomalies, "members_identities")["key"]) == [
        "members",
        "members_employees",
        "members_external",
    ]
    assert set(anomalies["status"]) == {"undecided"}
    assert "members_previous" not in set(anomalies["key"])  # « passé de 10 à 12 »: right


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


# ---------------------------------------------------------------- income statement


def statement(**overrides) -> pd.DataFrame:
    """A tiny income statement: two charge groups, two product groups, result rows."""
    rows = [
        ("charges", "60", "line", "Bureau", 40, 100, None),
        ("charges", "60", "line", "Eau", 60, 40, None),
        ("charges", "60", "line", "Copie", 0, 10, None),
        ("charges", "60", "subtotal", "ST 60", 100, 150, None),
        ("charges", "64", "line", "Salaires", 900, 1000, None),
        ("charges", "64", "subtotal", "ST 64", 900, 1000, None),
        ("charges", None, "total", "Total charges", 1000, 1150, None),
        ("products", "own_resources", "line", "Mutualisation", 1100, 1000, 10),
        ("products", "own_resources", "line", "CICE", 100, 150, -33),
        ("products", "own_resources", "subtotal", "ST own", 1200, 1150, 4),
        ("products", "other_income", "line", "Aide", 50, None, 100),
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
    for (label, column), value in overrides.items():
        frame.loc[frame["label"] == label, column] = value
    return frame.astype(
        {"actual": "Float64", "budget": "Float64", "published_variance_pct": "Float64"}
    )


def fix(frame, label, column, value):
    out = frame.copy()
    out.loc[out["label"] == label, column] = value
    return out


def test_a_copied_line_is_restored_as_probable_saying_why():
    frame = fix(statement(), "Copie", "actual", 60)  # repeats « Eau » above it
    tables, anomalies = run(income_statement=frame)
    hit = found(anomalies, "income_statement_identities")
    assert hit[["key", "corrected", "status"]].values.tolist() == [
        ["charges / Copie", 0, "probable"]
    ]
    assert "erreur de recopie" in hit["message"].iloc[0] and "« Eau »" in hit["message"].iloc[0]
    assert_frame_equal(
        tables["income_statement"], fix(statement(), "Aide", "published_variance_pct", pd.NA)
    )


def test_two_errors_on_one_side_are_both_corrected():
    frame = fix(fix(statement(), "Copie", "actual", 60), "ST 64", "actual", 990)
    _, anomalies = run(income_statement=frame)
    hit = found(anomalies, "income_statement_identities").set_index("key")
    assert hit.loc["charges / Copie", "corrected"] == 0
    assert hit.loc["charges / ST 64", ["corrected", "status"]].tolist() == [900, "corrected"]


def test_a_line_typo_is_found_by_its_subtotal_and_its_right_variance():
    frame = fix(statement(), "Mutualisation", "actual", 1010)  # variance 10 % says 1100
    tables, anomalies = run(income_statement=frame)
    hit = found(anomalies, "income_statement_identities")
    assert hit[["key", "field", "corrected", "status"]].values.tolist() == [
        ["products / Mutualisation", "actual", 1100, "corrected"]
    ]


def test_a_wrong_variance_is_recomputed_and_a_variance_without_budget_is_undefined():
    frame = fix(statement(), "Mutualisation", "published_variance_pct", 34)
    tables, anomalies = run(income_statement=frame)
    hit = found(anomalies).set_index("key")
    assert hit.loc["products / Mutualisation", "corrected"] == 10
    assert hit.loc["products / Aide", ["corrected", "rule"]].tolist() == [
        "non défini",
        "variance_pct",
    ]
    out = tables["income_statement"]
    assert pd.isna(out.loc[out["label"] == "Aide", "published_variance_pct"].item())


def test_stated_shares_and_an_ambiguous_line_share():
    figures = kf(personnel_share_pct=90, personnel_variance_pct=-19, cice_share_pct=7)
    _, anomalies = run(income_statement=statement(), key_figures=figures)
    hit = found(anomalies).set_index("key")
    assert "personnel_share_pct" not in hit.index  # 900 / 1000 = 90 %
    assert hit.loc["personnel_variance_pct", "corrected"] == -10  # 900 vs 1000
    assert hit.loc["cice_share_pct", "corrected"] == 8.0  # 100 / 1250, same base as the others
    ambiguous = kf(cice_share_pct=7.9)  # 100 / 1260 (grand total) = 7,9 %; on products 8 %
    hit = found(run(income_statement=statement(), key_figures=ambiguous)[1], key="cice_share_pct")
    assert hit[["action", "status"]].values.tolist() == [["flagged", "undecided"]]


def test_receipts_and_leverage():
    figures = kf(
        vat_paid_back=100,
        social_contributions=50,
        ratio_receipts=140,
        ratio_subsidies=20,
        subsidy_leverage=7.5,
    )
    hit = found(run(key_figures=figures)[1], "income_statement_identities")
    # 140 against 100 + 50, but the leverage 7,5 says 150: the receipts are the typo.
    assert hit[["key", "corrected"]].values.tolist() == [["ratio_receipts", 150]]


def test_revenue_growth_against_last_years_revenue():
    context = Context(2021, previous={"key_figures": kf(entrepreneurs_revenue=908700)})
    figures = kf(entrepreneurs_revenue=987000, entrepreneurs_revenue_growth_pct=7)
    hit = found(run(context, key_figures=figures)[1])
    assert set(hit["status"]) == {"undecided"}  # the rate, or the revenue it is computed from
    assert "→ 8,6" in hit["message"].iloc[0]
    right = kf(entrepreneurs_revenue=987000, entrepreneurs_revenue_growth_pct=8.6)
    assert run(context, key_figures=right)[1].empty


# ---------------------------------------------------------------- training, places, communes


def sessions(places=("Coodyssée Chorges", "Chorges")) -> pd.DataFrame:
    n = len(places)
    return pd.DataFrame(
        {
            "date": [f"2020-0{i + 1}-01" for i in range(n)],
            "type": "t",
            "summary": [f"s{i}" for i in range(n)],
            "place": list(places),
            "attendees": pd.array([3, 4, 2, 1][:n], dtype="Int64"),
            "hours": pd.array([9.0, 12.0, 6.0, 3.0][:n], dtype="Float64"),
        }
    )


def test_training_totals_against_the_table():
    figures = kf(training_sessions=3, training_hours=20, training_attendance=7)
    tables, anomalies = run(training=sessions(), key_figures=figures)
    hit = found(anomalies, "training_identities").set_index("key")
    assert hit.loc["training_sessions", ["corrected", "status"]].tolist() == [2, "corrected"]
    assert hit.loc["training_hours", ["corrected", "status"]].tolist() == [21, "probable"]
    assert "training_attendance" not in hit.index


def test_a_place_typo_is_corrected_and_a_new_venue_is_no_alarm():
    frame = sessions(("Coodyssée Charges", "Chorges", "Médiathèque de Gap", "Salle des fêtes"))
    tables, anomalies = run(training=frame)
    assert anomalies[["published", "corrected", "status"]].values.tolist() == [
        ["Coodyssée Charges", "Coodyssée Chorges", "corrected"]
    ]
    assert tables["training"]["place"].tolist()[0] == "Coodyssée Chorges"


def test_communes_against_the_official_list():
    frame = pd.DataFrame(
        {
            "surname": list("ABCDEF"),
            "first_name": "x",
            "status": "En convention",
            "postcode": ["05200", "05200", "05500", "74200", "05300", "05000"],
            "town": ["EMBRUN", "EMBRUM", "ST BONNET", "LE LYAUD", "LAGRAND", "GAP"],
        }
    )
    tables, anomalies = run(entrepreneurs=frame)
    hit = anomalies.set_index("surname" if "surname" in anomalies else "key")
    assert hit.loc["B x", ["corrected", "status"]].tolist() == ["EMBRUN", "corrected"]
    assert hit.loc["C x", ["corrected", "status"]].tolist() == ["SAINT BONNET", "note"]
    assert hit.loc["E x", ["action", "status"]].tolist() == ["flagged", "note"]  # former commune
    assert "D x" not in hit.index  # « Le Lyaud » is Lyaud
    assert tables["entrepreneurs"]["town"].tolist()[1] == "EMBRUN"


def test_same_street_address_in_two_towns_is_one_finding_without_publishing_it():
    frame = pd.DataFrame(
        {
            "surname": list("ABCD"),
            "first_name": list("abcd"),
            "status": "En convention",
            "address": ["12 rue X", "12, rue X", "Le Village", "Le Village"],
            "postcode": ["05000", "05200", "05000", "05200"],
            "town": ["GAP", "EMBRUN", "GAP", "EMBRUN"],
        }
    )
    hit = found(run(entrepreneurs=frame)[1], "shared_address")
    assert sorted(hit["key"]) == ["A a", "B b"] and hit["finding"].nunique() == 1
    assert "rue X" not in hit.to_csv()


# ---------------------------------------------------------------- audience


def web(filtered=(100, 80, 300, 3.0, 120.0, 60.0), all_=(110, 90, 320, 2.91, 118.0, 61.0)):
    cols = ["visits", "visitors", "pageviews", "pages_per_visit", "avg_duration_s", "bounce_pct"]
    frame = pd.DataFrame([filtered, all_], columns=cols)
    frame.insert(0, "segment_label", ["Sans spam", "Tout"])
    frame.insert(0, "segment", ["filtered", "all"])
    frame.insert(0, "year", 2020)
    return frame.astype({"visits": "Int64", "visitors": "Int64", "pageviews": "Int64"})


def test_pages_per_visit_is_corrected_in_the_table_and_a_right_gap_stays():
    figures = kf(web_pages_per_visit_diff_pct=3.09)  # 3,00 / 2,91 − 1: right
    bad = web(filtered=(100, 80, 300, 0.3, 120.0, 60.0))
    tables, anomalies = run(web_audience=bad, key_figures=figures)
    assert anomalies[["field", "corrected", "status"]].values.tolist() == [
        ["pages_per_visit", 3.0, "corrected"]
    ]
    assert_frame_equal(tables["web_audience"], web())
    assert_frame_equal(tables["key_figures"], figures)


def test_a_share_typo_and_a_wrong_gap():
    figures = kf(web_visits_share_pct=19.09, web_duration_diff_pct=9.0)
    _, anomalies = run(web_audience=web(), key_figures=figures)
    hit = anomalies.set_index("key")
    # The visits are pinned by their pages per visit: only the share can be wrong.
    assert hit.loc["web_visits_share_pct", ["corrected", "status"]].tolist() == [90.91, "corrected"]
    assert hit.loc["web_duration_diff_pct", "corrected"] == 1.69


def test_a_year_without_a_filtered_segment_has_no_share_to_check():
    alone = web().iloc[[1]]
    assert run(web_audience=alone, key_figures=kf(web_visits_share_pct=12))[1].empty


def test_countries_that_add_up_to_more_than_all_sessions():
    countries = pd.DataFrame(
        {"year": 2020, "country": ["France", "Belgium"], "sessions": [100, 14]}
    )
    hit = found(run(web_audience=web(), web_countries=countries)[1], "audience_shares")
    assert hit[["status", "action"]].values.tolist() == [["undecided", "flagged"]]
    assert "103,6 %" in hit["message"].iloc[0] and "France" in hit["message"].iloc[0]


@pytest.mark.parametrize("stated,ok", [(100, True), (200, False)])
def test_rounded_visits_against_exact(stated, ok):
    visits = pd.DataFrame({"year": [2020], "visits": [stated], "precision": ["rounded"]})
    assert run(web_audience=web(), web_visits=visits)[1].empty == ok


def test_partial_year_cleans_without_anomalies_and_findings_have_their_columns():
    tables, anomalies = run(
        web_visits=pd.DataFrame({"year": [2013], "visits": [7200], "precision": ["rounded"]})
    )
    assert anomalies.empty and list(tables) == ["web_visits"]
    assert list(anomalies.columns) == COLUMNS
    assert COLUMNS[-2:] == ["finding", "status"]


def test_folding_a_list_at_once_gives_each_name_its_own_fold():
    """The official list of communes is folded as one text: the same keys as one by one, on
    the whole list and on names whose accents, ligatures or breaks could cross a boundary."""
    from conftest import REFERENCE

    from cae_report.clean.base import fold, fold_all
    from cae_report.clean.places import _commune_key, _commune_keys
    from cae_report.data.reference import load_reference

    communes = load_reference(REFERENCE).communes["name"].tolist()
    assert len(communes) > 30000 and _commune_keys(communes) == [_commune_key(n) for n in communes]
    odd = ["\u0301abc", "e\u0301", "x\u0301y", "ﬁn", "Œuvre", "ß", "İle", "²", "ST. ÉTIENNE"]
    odd += ["Ste-Mt-St", " l’Île ", "a\u200bb", "", "12 rue", "\r\n", 7, "mts", "a\u2028b"]
    assert fold_all(odd) == [fold(t) for t in odd]
    assert _commune_keys(odd) == [_commune_key(t) for t in odd]
    broken = ["Saint-\nÉtienne", "Mont\u00a0Dauphin"]  # a line break inside a name
    assert fold_all(broken) == [fold(t) for t in broken] == ["saint etienne", "mont dauphin"]
    assert fold_all([]) == [] and _commune_keys([]) == []
