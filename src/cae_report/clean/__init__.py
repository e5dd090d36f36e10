"""Cleaning with an audit trail: consistency rules over the published figures.

Each rule checks figures of the report against each other. Where the other
figures show what the value must be, the rule corrects it; where they cannot
decide, it only flags. Every finding is one row of ``anomalies.csv``; the
messages are in French because the board reads them.

Rules are plain functions ``rule(tables, ref) -> list[Anomaly]`` that may correct
the (copied) tables in place; :func:`clean` runs them in order.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd

from cae_report.data.contract import ANOMALY_COLUMNS
from cae_report.data.keyfigures import stated
from cae_report.data.reference import Reference
from cae_report.fr import fmt_num

Tables = dict[str, pd.DataFrame]

# Corrected value of a percentage that has no meaning (variance against a zero budget).
UNDEFINED = "non défini"
# Legal monthly hours of a full-time post (35 h × 52 / 12), to check shares of a post.
FULL_TIME_HOURS_PER_MONTH = 151.67


@dataclass(frozen=True)
class Anomaly:
    table: str
    key: str
    field: str
    published: object
    corrected: object  # None when the rule only flags
    rule: str
    message: str

    @property
    def action(self) -> str:
        return "flagged" if self.corrected is None else "corrected"


# ---------------------------------------------------------------- helpers


def kf(tables: Tables, name: str) -> float | None:
    """A key figure stated in the text, or None."""
    return stated(tables.get("key_figures"), name)


def _set_kf(tables: Tables, name: str, value: float) -> None:
    frame = tables["key_figures"]
    frame.loc[frame["indicator"] == name, "value"] = value


def _decimals(value: float) -> int:
    """Decimals a published figure was written with (up to 3)."""
    for d in range(4):
        if math.isclose(value, round(value, d), abs_tol=1e-9):
            return d
    return 3


def agrees(published: float, computed: float, step: float | None = None) -> bool:
    """True when ``published`` is ``computed`` rounded the way it was written."""
    half = 0.5 * (step if step is not None else 10 ** -_decimals(published))
    return abs(published - computed) <= half + 1e-9


def _n(value: float | None, decimals: int = 0) -> str:
    return "—" if value is None else fmt_num(value, decimals)


def _key_figure_anomaly(name, published, corrected, rule, message) -> Anomaly:
    return Anomaly("key_figures", name, "value", published, corrected, rule, message)


def _plain(value):
    """Numbers as int when whole, so anomalies.csv reads like the report."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    return value


# ---------------------------------------------------------------- movements


def headcount_stock_flow(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Month-end headcount = previous headcount + entries − exits.

    A break that the next month (or the year-end figure) confirms is a typo in
    that cell and is corrected; otherwise it is flagged.
    """
    if "movements" not in tables:
        return []
    mv = tables["movements"].sort_values("month")
    start = kf(tables, "headcount_start")
    if start is None:
        first = mv.iloc[0]
        start = first["headcount_end"] - first["entries"] + first["exits"]
    found, prev = [], start
    rows = list(mv.itertuples())
    for i, row in enumerate(rows):
        expected = prev + row.entries - row.exits
        if row.headcount_end != expected:
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            confirmed = (
                nxt.headcount_end == expected + nxt.entries - nxt.exits
                if nxt is not None
                else kf(tables, "headcount_end") == expected
            )
            found.append(
                Anomaly(
                    "movements",
                    f"{row.year}-{row.month:02d}",
                    "headcount_end",
                    int(row.headcount_end),
                    int(expected) if confirmed else None,
                    "headcount_stock_flow",
                    f"Effectif fin de mois publié {row.headcount_end} ; effectif précédent "
                    f"{_n(prev)} + entrées {row.entries} − sorties {row.exits} = {_n(expected)}"
                    + (
                        (
                            " (confirmé par le mois suivant)"
                            if nxt is not None
                            else " (confirmé par l'effectif de fin d'année)"
                        )
                        if confirmed
                        else " ; aucune autre donnée ne tranche"
                    ),
                )
            )
            if confirmed:
                tables["movements"].loc[row.Index, "headcount_end"] = expected
            else:
                expected = row.headcount_end
        prev = expected
    return found


def movement_totals(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Year totals stated in the text against the monthly table."""
    if "movements" not in tables or "key_figures" not in tables:
        return []
    mv = tables["movements"].sort_values("month")
    start = kf(tables, "headcount_start")
    entries, exits = int(mv["entries"].sum()), int(mv["exits"].sum())
    computed = {
        "entries": entries,
        "exits": exits,
        "headcount_end": int(mv["headcount_end"].iloc[-1]),
        "movements": entries + exits,
    }
    if start is not None:
        computed["accompanied"] = start + entries
    found = []
    for name, value in computed.items():
        stated = kf(tables, name)
        if stated is not None and stated != value:
            found.append(
                _key_figure_anomaly(
                    name,
                    _plain(stated),
                    _plain(value),
                    "movement_totals",
                    f"Le texte annonce {_n(stated)} ; le tableau mensuel donne {_n(value)}",
                )
            )
            _set_kf(tables, name, value)
    stated_rate = kf(tables, "movement_rate_stated")
    if stated_rate is not None and start:
        rate = computed["movements"] / start
        if abs(rate - stated_rate) > 0.05:
            found.append(
                _key_figure_anomaly(
                    "movement_rate_stated",
                    stated_rate,
                    None,
                    "movement_totals",
                    f"Le texte parle de « presque 2 mouvements pour 3 entrepreneurs » "
                    f"({_n(stated_rate, 2)}) ; {computed['movements']} mouvements pour "
                    f"{_n(start)} présents font {_n(rate, 2)}, soit moins de 3 pour 5",
                )
            )
    return found


def forecast_consistency(tables: Tables, ref: Reference) -> list[Anomaly]:
    """The forecasts must agree with each other and with the starting headcount."""
    start = kf(tables, "headcount_start")
    f_in, f_out = kf(tables, "forecast_entries"), kf(tables, "forecast_exits")
    if start is None or f_in is None or f_out is None:
        return []
    checks = [
        ("forecast_headcount_end", start + f_in - f_out, "début + intégrations − sorties prévues"),
        ("forecast_accompanied", start + f_in, "début + intégrations prévues"),
    ]
    managed = kf(tables, "forecast_managed")
    accompanied = kf(tables, "forecast_accompanied")
    found = []
    for name, expected, how in checks:
        stated = kf(tables, name)
        if stated is not None and stated != expected:
            found.append(
                _key_figure_anomaly(
                    name,
                    _plain(stated),
                    None,
                    "forecast_consistency",
                    f"Prévision publiée {_n(stated)} ; {how} ({_n(start)} + {_n(f_in)}"
                    + (f" − {_n(f_out)}" if "sorties" in how else "")
                    + f") donne {_n(expected)} : la prévision a sans doute été faite sur un "
                    "autre effectif de départ",
                )
            )
    if managed is not None and accompanied is not None and managed != accompanied:
        found.append(
            _key_figure_anomaly(
                "forecast_managed",
                _plain(managed),
                None,
                "forecast_consistency",
                f"Objectif opérationnel « gestion de {_n(managed)} entrepreneurs » alors que "
                f"le prévisionnel d'accompagnés est de {_n(accompanied)}",
            )
        )
    return found


# ---------------------------------------------------------------- contracts and members


def contracts_vs_headcount(tables: Tables, ref: Reference) -> list[Anomaly]:
    """CDI + support agreements must add up to the year-end headcount."""
    cdi, support = kf(tables, "contracts_cdi"), kf(tables, "contracts_support")
    end = kf(tables, "headcount_end")
    if cdi is None or support is None or end is None or cdi + support == end:
        return []
    return [
        _key_figure_anomaly(
            "contracts_cdi",
            _plain(cdi),
            None,
            "contracts_vs_headcount",
            f"CDI ({_n(cdi)}) + conventions ({_n(support)}) = {_n(cdi + support)}, "
            f"différent de l'effectif de fin d'année ({_n(end)})",
        )
    ]


def year_end_list(tables: Tables, ref: Reference) -> list[Anomaly]:
    """The year-end list of entrepreneurs against the stated contract counts."""
    people = tables.get("entrepreneurs")
    if people is None:
        return []
    found = []
    for row in people.itertuples():
        if row.status == "Sortie":
            found.append(
                Anomaly(
                    "entrepreneurs",
                    f"{row.surname} {row.first_name}",
                    "status",
                    row.status,
                    None,
                    "year_end_list",
                    "Personne sortie figurant dans la liste des entrepreneurs de fin d'année",
                )
            )
        elif row.status not in ("Entrepreneur salarié", "En convention"):
            found.append(
                Anomaly(
                    "entrepreneurs",
                    f"{row.surname} {row.first_name}",
                    "status",
                    row.status,
                    None,
                    "year_end_list",
                    f"Statut « {row.status} » : ni CDI d'entrepreneur salarié ni convention, "
                    "non compté dans les contrats annoncés",
                )
            )
    counts = people["status"].value_counts()
    for status, name, label in (
        ("Entrepreneur salarié", "contracts_cdi", "entrepreneurs en CDI"),
        ("En convention", "contracts_support", "conventions d'accompagnement"),
    ):
        stated, listed = kf(tables, name), int(counts.get(status, 0))
        if stated is not None and stated != listed:
            found.append(
                _key_figure_anomaly(
                    name,
                    _plain(stated),
                    None,
                    "year_end_list",
                    f"Le texte annonce {_n(stated)} {label} ; la liste en compte {listed} "
                    f"(statut « {status} »)",
                )
            )
    present = int((people["status"] != "Sortie").sum())
    end = kf(tables, "headcount_end")
    if end is not None and present != end:
        found.append(
            _key_figure_anomaly(
                "headcount_end",
                _plain(end),
                None,
                "year_end_list",
                f"La liste de fin d'année compte {present} personnes présentes "
                f"({len(people)} lignes dont {len(people) - present} sortie), pour un "
                f"effectif annoncé de {_n(end)}",
            )
        )
    return found


def members_count(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Members (associés) stated in two places must agree."""
    total = kf(tables, "members")
    employees, external = kf(tables, "members_employees"), kf(tables, "members_external")
    found = []
    if None not in (total, employees, external) and employees + external != total:
        found.append(
            _key_figure_anomaly(
                "members",
                _plain(total),
                None,
                "members_count",
                f"{_n(total)} associés annoncés mais {_n(employees)} salariés + "
                f"{_n(external)} externes = {_n(employees + external)}",
            )
        )
    previous = kf(tables, "members_previous")
    if total is not None and previous is not None and previous != total:
        found.append(
            _key_figure_anomaly(
                "members_previous",
                _plain(previous),
                None,
                "members_count",
                f"Le texte dit que le sociétariat « passera de {_n(previous)} sociétaires », "
                f"alors que le même rapport compte {_n(total)} associés au 31/12",
            )
        )
    return found


def team_fte(tables: Tables, ref: Reference) -> list[Anomaly]:
    """A share of a full-time post stated with monthly hours must match them."""
    team = tables.get("team")
    if team is None:
        return []
    found = []
    for row in team.itertuples():
        if pd.isna(row.fte_pct) or pd.isna(row.hours_per_month):
            continue
        share = row.hours_per_month / FULL_TIME_HOURS_PER_MONTH * 100
        if abs(share - row.fte_pct) > 2:
            found.append(
                Anomaly(
                    "team",
                    row.name,
                    "fte_pct",
                    _plain(row.fte_pct),
                    None,
                    "team_fte",
                    f"{_n(row.hours_per_month)} h par mois font {_n(share)} % d'un temps plein "
                    f"({FULL_TIME_HOURS_PER_MONTH} h), pas {_n(row.fte_pct)} %",
                )
            )
    return found


# ---------------------------------------------------------------- income statement

_OPERATING = ("60", "61", "62", "64", "own_resources", "subsidies", "other_income")


def _is_rows(tables: Tables) -> pd.DataFrame:
    return tables["income_statement"]


def _value(frame: pd.DataFrame, column: str, **match) -> float | None:
    rows = frame
    for k, v in match.items():
        rows = rows[rows[k] == v]
    if rows.empty:
        return None
    value = rows[column].iloc[0]
    return None if pd.isna(value) else float(value)


def _lines(frame: pd.DataFrame, side: str, group: str | None = None) -> pd.DataFrame:
    rows = frame[(frame["side"] == side) & (frame["row_type"] == "line")]
    if group is None:
        return rows[rows["group"].isin(_OPERATING)]
    return rows[rows["group"] == group]


def income_statement_sums(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Lines add up to their subtotal, subtotals to the total of their side.

    When a subtotal disagrees with its lines but the side's total confirms the
    subtotal, the faulty line is the one that repeats the line above it (a copy
    error): it is corrected to subtotal − other lines. Otherwise the mismatch is flagged.
    """
    if "income_statement" not in tables:
        return []
    frame = _is_rows(tables)
    found = []
    for column in ("actual", "budget"):
        for side in ("charges", "products"):
            subtotals = frame[(frame["side"] == side) & (frame["row_type"] == "subtotal")]
            total = _value(frame, column, side=side, row_type="total")
            corroborated = total is not None and math.isclose(
                subtotals[column].fillna(0).sum(), total
            )
            for sub in subtotals.itertuples():
                found += _check_group(frame, column, side, sub, corroborated)
            if total is not None:
                found += _check_total(frame, column, side, total)
    return found


def _check_group(frame, column, side, sub, corroborated) -> list[Anomaly]:
    lines = _lines(frame, side, sub.group).sort_values("order")
    published = getattr(sub, column)
    if pd.isna(published):
        return []
    line_sum = lines[column].fillna(0).sum()
    if math.isclose(line_sum, published):
        return []
    values = lines[column].tolist()
    copies = [
        i for i in range(1, len(values)) if pd.notna(values[i]) and values[i] == values[i - 1]
    ]
    if corroborated and len(copies) == 1:
        idx = lines.index[copies[0]]
        others = line_sum - values[copies[0]]
        fixed = published - others
        if fixed >= 0:
            frame.loc[idx, column] = fixed
            label = frame.loc[idx, "label"]
            return [
                Anomaly(
                    "income_statement",
                    f"{side} / {label}",
                    column,
                    _plain(values[copies[0]]),
                    _plain(fixed),
                    "income_statement_sums",
                    f"Les lignes du groupe font {_n(line_sum)} € pour un sous-total publié de "
                    f"{_n(published)} €, confirmé par le total ; la ligne « {label} » reprend "
                    f"le montant de la ligne précédente ({_n(values[copies[0]])} €) : "
                    f"erreur de recopie, montant déduit du sous-total = {_n(fixed)} €",
                )
            ]
    return [
        Anomaly(
            "income_statement",
            f"{side} / {sub.label}",
            column,
            _plain(published),
            None,
            "income_statement_sums",
            f"Sous-total publié {_n(published)} € ; la somme de ses lignes fait "
            f"{_n(line_sum)} € et rien ne permet de dire laquelle est fausse",
        )
    ]


def _check_total(frame, column, side, total) -> list[Anomaly]:
    subtotal_sum = (
        frame[(frame["side"] == side) & (frame["row_type"] == "subtotal")][column].fillna(0).sum()
    )
    line_sum = _lines(frame, side)[column].fillna(0).sum()
    if math.isclose(subtotal_sum, total) or not math.isclose(subtotal_sum, line_sum):
        return []
    idx = frame[(frame["side"] == side) & (frame["row_type"] == "total")].index[0]
    frame.loc[idx, column] = subtotal_sum
    return [
        Anomaly(
            "income_statement",
            f"{side} / {frame.loc[idx, 'label']}",
            column,
            _plain(total),
            _plain(subtotal_sum),
            "income_statement_sums",
            f"Total publié {_n(total)} € ; ses sous-totaux et ses lignes font tous deux "
            f"{_n(subtotal_sum)} €",
        )
    ]


def operating_surplus(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Operating surplus (EBE) = total products − total charges."""
    if "income_statement" not in tables:
        return []
    frame = _is_rows(tables)
    products = _value(frame, "actual", side="products", row_type="total")
    charges = _value(frame, "actual", side="charges", row_type="total")
    published = _value(frame, "actual", row_type="operating_surplus")
    if None in (products, charges, published) or math.isclose(products - charges, published):
        return []
    idx = frame[frame["row_type"] == "operating_surplus"].index[0]
    frame.loc[idx, "actual"] = products - charges
    return [
        Anomaly(
            "income_statement",
            f"products / {frame.loc[idx, 'label']}",
            "actual",
            _plain(published),
            _plain(products - charges),
            "operating_surplus",
            f"Produits {_n(products)} € − charges {_n(charges)} € = "
            f"{_n(products - charges)} €, pas {_n(published)} €",
        )
    ]


def result_and_grand_totals(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Result = products − charges, operating and not; both grand totals must balance."""
    if "income_statement" not in tables:
        return []
    frame = _is_rows(tables)

    def nonop(side):
        return _lines(frame, side, "non_operating")["actual"].fillna(0).sum()

    p_total = _value(frame, "actual", side="products", row_type="total")
    c_total = _value(frame, "actual", side="charges", row_type="total")
    if p_total is None or c_total is None:
        return []
    result = p_total + nonop("products") - c_total - nonop("charges")
    expected = {
        ("charges", "result"): result,
        ("products", "grand_total"): p_total + nonop("products"),
        ("charges", "grand_total"): c_total + nonop("charges") + result,
    }
    found = []
    for (side, row_type), value in expected.items():
        published = _value(frame, "actual", side=side, row_type=row_type)
        if published is None or math.isclose(published, value):
            continue
        idx = frame[(frame["side"] == side) & (frame["row_type"] == row_type)].index[0]
        frame.loc[idx, "actual"] = value
        found.append(
            Anomaly(
                "income_statement",
                f"{side} / {frame.loc[idx, 'label']}",
                "actual",
                _plain(published),
                _plain(value),
                "result_and_grand_totals",
                f"Publié {_n(published)} € ; les lignes du compte de résultat donnent "
                f"{_n(value)} €",
            )
        )
    return found


def variance_pct(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Published variance % against actual and budget; undefined against a zero budget."""
    if "income_statement" not in tables:
        return []
    frame = _is_rows(tables)
    if "published_variance_pct" not in frame:
        return []
    found = []
    for row in frame[frame["published_variance_pct"].notna()].itertuples():
        published = float(row.published_variance_pct)
        key = f"{row.side} / {row.label}"
        if pd.isna(row.budget) or row.budget == 0:
            frame.loc[row.Index, "published_variance_pct"] = pd.NA
            found.append(
                Anomaly(
                    "income_statement",
                    key,
                    "published_variance_pct",
                    _plain(published),
                    UNDEFINED,
                    "variance_pct",
                    f"Écart publié {_n(published)} % alors que le prévisionnel est nul : un "
                    "écart en pourcentage n'est pas défini (écart réel "
                    f"{_n(row.actual)} €) ; valeur retirée",
                )
            )
            continue
        computed = (row.actual - row.budget) / row.budget * 100
        if not agrees(published, computed):
            frame.loc[row.Index, "published_variance_pct"] = round(computed, 1)
            found.append(
                Anomaly(
                    "income_statement",
                    key,
                    "published_variance_pct",
                    _plain(published),
                    round(computed, 1),
                    "variance_pct",
                    f"({_n(row.actual)} − {_n(row.budget)}) / {_n(row.budget)} = "
                    f"{_n(computed, 1)} %, pas {_n(published)} %",
                )
            )
    return found


# The figures the text states about the accounts, and how to compute them.
def _stated_figures(frame: pd.DataFrame, tables: Tables) -> dict[str, tuple[float, str]]:
    def group_sum(side, group, column="actual"):
        return _lines(frame, side, group)[column].fillna(0).sum()

    products = _value(frame, "actual", side="products", row_type="total")
    charges = _value(frame, "actual", side="charges", row_type="total")
    figures: dict[str, tuple[float, str]] = {}
    own, own_b = (
        group_sum("products", "own_resources"),
        group_sum("products", "own_resources", "budget"),
    )
    if own_b:
        figures["own_resources_variance_pct"] = (
            (own - own_b) / own_b * 100,
            "écart des ressources propres au prévisionnel",
        )
    if products:
        figures["subsidies_share_pct"] = (
            group_sum("products", "subsidies") / products * 100,
            "part des subventions dans les produits d'exploitation",
        )
    if charges:
        figures["personnel_share_pct"] = (
            group_sum("charges", "64") / charges * 100,
            "part des charges de personnel dans les charges d'exploitation",
        )
    pers, pers_b = group_sum("charges", "64"), group_sum("charges", "64", "budget")
    if pers_b:
        figures["personnel_variance_pct"] = (
            (pers - pers_b) / pers_b * 100,
            "écart des charges de personnel au prévisionnel",
        )
    subsidies = group_sum("products", "subsidies")
    if subsidies:
        figures["ratio_subsidies"] = (subsidies, "sous-total des subventions")
    return figures


def stated_account_figures(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Percentages and ratios stated in the text against the income statement."""
    if "key_figures" not in tables:
        return []
    found = _receipts_and_leverage(tables)
    if "income_statement" not in tables:
        return found
    frame = _is_rows(tables)
    for name, (computed, what) in _stated_figures(frame, tables).items():
        stated = kf(tables, name)
        if stated is None or agrees(stated, computed):
            continue
        unit = " %" if name.endswith("_pct") else " €"
        found.append(
            _key_figure_anomaly(
                name,
                _plain(stated),
                round(computed, 1),
                "stated_account_figures",
                f"Le texte annonce {_n(stated)}{unit} ; {what} : {_n(computed, 1)}{unit}",
            )
        )
        _set_kf(tables, name, round(computed, 1))
    return found + _line_share(tables, frame, "cice_share_pct", "CICE")


def _line_share(tables: Tables, frame: pd.DataFrame, name: str, label: str) -> list[Anomaly]:
    """A line's stated share of products: flagged when it only fits another base."""
    stated = kf(tables, name)
    line = _value(frame, "actual", side="products", label=label)
    products = _value(frame, "actual", side="products", row_type="total")
    grand = _value(frame, "actual", side="products", row_type="grand_total")
    if stated is None or line is None or not products:
        return []
    on_products = line / products * 100
    if agrees(stated, on_products):
        return []
    on_grand = line / grand * 100 if grand else None
    other_base = on_grand is not None and agrees(stated, on_grand)
    return [
        _key_figure_anomaly(
            name,
            _plain(stated),
            None if other_base else round(on_products, 1),
            "stated_account_figures",
            f"Le texte annonce {_n(stated)} % pour « {label} » ; sur les produits "
            f"d'exploitation ({_n(products)} €, la base des autres parts du rapport) c'est "
            f"{_n(on_products, 1)} %"
            + (
                f", sur le total général ({_n(grand)} €) {_n(on_grand, 1)} % : base ambiguë"
                if other_base
                else ""
            ),
        )
    ]


def _receipts_and_leverage(tables: Tables) -> list[Anomaly]:
    found = []
    vat, social = kf(tables, "vat_paid_back"), kf(tables, "social_contributions")
    receipts = kf(tables, "ratio_receipts")
    if None not in (vat, social, receipts) and vat + social != receipts:
        found.append(
            _key_figure_anomaly(
                "ratio_receipts",
                _plain(receipts),
                _plain(vat + social),
                "stated_account_figures",
                f"TVA reversée {_n(vat)} € + cotisations {_n(social)} € = "
                f"{_n(vat + social)} €, pas {_n(receipts)} €",
            )
        )
        _set_kf(tables, "ratio_receipts", vat + social)
        receipts = vat + social
    subsidies, leverage = kf(tables, "ratio_subsidies"), kf(tables, "subsidy_leverage")
    if None not in (subsidies, leverage, receipts) and subsidies:
        computed = receipts / subsidies
        if not agrees(leverage, computed):
            found.append(
                _key_figure_anomaly(
                    "subsidy_leverage",
                    leverage,
                    round(computed, 1),
                    "stated_account_figures",
                    f"{_n(receipts)} / {_n(subsidies)} = {_n(computed, 2)}, pas {_n(leverage, 1)}",
                )
            )
    return found


def subsidies_received(tables: Tables, ref: Reference) -> list[Anomaly]:
    """A subsidy booked at its granted amount but only partly received is flagged."""
    received = kf(tables, "subsidy_region_received")
    if received is None or "income_statement" not in tables:
        return []
    frame = _is_rows(tables)
    rows = frame[(frame["group"] == "subsidies") & frame["label"].str.startswith("Région")]
    if rows.empty or rows["actual"].iloc[0] == received:
        return []
    booked = float(rows["actual"].iloc[0])
    return [
        Anomaly(
            "income_statement",
            f"products / {rows['label'].iloc[0]}",
            "actual",
            _plain(booked),
            None,
            "subsidies_received",
            f"Subvention comptée pour {_n(booked)} € (montant accordé) mais seulement "
            f"{_n(received, 2)} € reçus : {_n(booked - received, 2)} € restent à percevoir ; "
            "le ratio subventions / recettes et la part des subventions reposent sur le "
            "montant accordé",
        )
    ]


# ---------------------------------------------------------------- training, places, communes


def training_totals(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Sessions, hours and attendance stated in the text against the detailed table."""
    training = tables.get("training")
    if training is None or "key_figures" not in tables:
        return []
    computed = {
        "training_sessions": (len(training), "sessions"),
        "training_hours": (float(training["hours"].sum()), "heures"),
        "training_attendance": (int(training["attendees"].sum()), "présents"),
    }
    found = []
    for name, (value, unit) in computed.items():
        stated = kf(tables, name)
        if stated is not None and stated != value:
            found.append(
                _key_figure_anomaly(
                    name,
                    _plain(stated),
                    _plain(value),
                    "training_totals",
                    f"Le texte annonce {_n(stated)} {unit} ; le tableau des formations en "
                    f"totalise {_n(value)}",
                )
            )
            _set_kf(tables, name, value)
    return found


def _fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form for comparing names."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


def place_names(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Place names against the cooperative's own list; a near miss is a typo."""
    known = {_fold(n): n for n in ref.places["name"]}
    found = []
    for table in ("training", "events"):
        frame = tables.get(table)
        if frame is None:
            continue
        for idx, place in frame["place"].items():
            if pd.isna(place) or _fold(place) in known:  # an event may have no place
                continue
            close = difflib.get_close_matches(_fold(place), list(known), n=1, cutoff=0.8)
            corrected = known[close[0]] if close else None
            key = " / ".join(
                str(frame.loc[idx, c]) for c in ("date", "summary", "event") if c in frame
            )
            found.append(
                Anomaly(
                    table,
                    key,
                    "place",
                    place,
                    corrected,
                    "place_names",
                    f"Lieu « {place} » inconnu"
                    + (
                        f" : faute de frappe pour « {corrected} »"
                        if corrected
                        else " et sans équivalent proche dans data/reference/places.csv"
                    ),
                )
            )
            if corrected:
                frame.loc[idx, "place"] = corrected
    return found


_ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "MT": "MONT"}


def commune_names(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Abbreviated communes (``ST CRÉPIN``, ``MT DAUPHIN``) spelled in full, so counts by
    commune do not split one town in two."""
    people = tables.get("entrepreneurs")
    if people is None:
        return []
    found = []
    for idx, town in people["town"].items():
        words = re.split(r"([ -])", town)
        full = "".join(_ABBREVIATIONS.get(w.upper().rstrip("."), w) for w in words)
        if full != town:
            people.loc[idx, "town"] = full
            found.append(
                Anomaly(
                    "entrepreneurs",
                    f"{people.loc[idx, 'surname']} {people.loc[idx, 'first_name']}",
                    "town",
                    town,
                    full,
                    "commune_names",
                    f"Commune abrégée « {town} » écrite en entier « {full} »",
                )
            )
    return found


def shared_address(tables: Tables, ref: Reference) -> list[Anomaly]:
    """One street address under two different towns is a copy error in one of them."""
    people = tables.get("entrepreneurs")
    if people is None or "address" not in people:
        return []
    found = []
    # Only street addresses with a number: lieux-dits like « Le Village » recur in many towns.
    rows = people[people["address"].notna() & people["address"].str.contains(r"\d", na=False)]
    for _address, group in rows.groupby(rows["address"].map(_fold)):
        if group[["postcode", "town"]].drop_duplicates().shape[0] < 2:
            continue
        names = ", ".join(
            f"{r.surname} {r.first_name} ({r.postcode} {r.town})" for r in group.itertuples()
        )
        for r in group.itertuples():
            found.append(
                Anomaly(
                    "entrepreneurs",
                    f"{r.surname} {r.first_name}",
                    "address",
                    "(adresse masquée)",
                    None,
                    "shared_address",
                    f"Même adresse pour des communes différentes : {names} ; "
                    "l'une des deux adresses est sans doute recopiée",
                )
            )
    return found


# ---------------------------------------------------------------- website


def web_consistency(tables: Tables, ref: Reference) -> list[Anomaly]:
    """Audience figures against each other: shares, pages per visit, relative gaps."""
    web = tables.get("web_audience")
    if web is None:
        return []
    seg = web.set_index("segment")
    found = []
    for segment, row in seg.iterrows():
        computed = row["pageviews"] / row["visits"] if row["visits"] else None
        if computed is not None and not agrees(row["pages_per_visit"], computed, 0.01):
            found.append(
                Anomaly(
                    "web_audience",
                    f"{row['year']} / {segment}",
                    "pages_per_visit",
                    row["pages_per_visit"],
                    round(computed, 2),
                    "web_consistency",
                    f"{_n(row['pageviews'])} pages vues / {_n(row['visits'])} visites = "
                    f"{_n(computed, 2)}, pas {_n(row['pages_per_visit'], 2)}",
                )
            )
    if {"filtered", "all"} <= set(seg.index):
        found += _web_stated(tables, seg.loc["filtered"], seg.loc["all"])
    found += _web_visits_rounding(tables, seg)
    return found


def _web_stated(tables, flt, all_) -> list[Anomaly]:
    found = []
    shares = {
        "web_visits_share_pct": flt["visits"] / all_["visits"] * 100,
        "web_visitors_share_pct": flt["visitors"] / all_["visitors"] * 100,
        "web_pageviews_share_pct": flt["pageviews"] / all_["pageviews"] * 100,
    }
    for name, computed in shares.items():
        stated = kf(tables, name)
        if stated is not None and not agrees(stated, computed):
            found.append(
                _key_figure_anomaly(
                    name,
                    stated,
                    round(computed, 2),
                    "web_consistency",
                    f"Part publiée {_n(stated, 2)} %, calculée {_n(computed, 2)} %",
                )
            )
    # Relative gaps between the segment and the whole view, from rounded published values:
    # the published gap must lie in the interval those roundings allow.
    gaps = {
        "web_pages_per_visit_diff_pct": ("pages_per_visit", 0.005),
        "web_duration_diff_pct": ("avg_duration_s", 0.5),
        "web_bounce_diff_pct": ("bounce_pct", 0.005),
    }
    for name, (metric, half) in gaps.items():
        stated = kf(tables, name)
        if stated is None:
            continue
        a, b = flt[metric], all_[metric]
        low = ((a - half) / (b + half) - 1) * 100
        high = ((a + half) / (b - half) - 1) * 100
        if not (low - 0.005 <= stated <= high + 0.005):
            found.append(
                _key_figure_anomaly(
                    name,
                    stated,
                    None,
                    "web_consistency",
                    f"Écart publié {_n(stated, 2)} % hors de l'intervalle "
                    f"permis par les valeurs arrondies ({_n(low, 2)} à "
                    f"{_n(high, 2)} %)",
                )
            )
    return found


def _web_visits_rounding(tables, seg) -> list[Anomaly]:
    visits = tables.get("web_visits")
    if visits is None or "filtered" not in seg.index or visits.empty:
        return []
    row = visits.iloc[0]
    exact = seg.loc["filtered", "visits"]
    if row["precision"] == "exact":
        ok = row["visits"] == exact
    else:
        zeros = len(str(int(row["visits"]))) - len(str(int(row["visits"])).rstrip("0"))
        ok = round(exact, -zeros) == row["visits"]
    if ok:
        return []
    return [
        Anomaly(
            "web_visits",
            str(row["year"]),
            "visits",
            int(row["visits"]),
            None,
            "web_consistency",
            f"Visites annoncées {_n(row['visits'])} ; la statistique détaillée en compte "
            f"{_n(exact)}",
        )
    ]


# ---------------------------------------------------------------- driver

RULES: tuple[Callable[[Tables, Reference], list[Anomaly]], ...] = (
    headcount_stock_flow,
    movement_totals,
    forecast_consistency,
    contracts_vs_headcount,
    year_end_list,
    members_count,
    team_fte,
    income_statement_sums,
    operating_surplus,
    result_and_grand_totals,
    variance_pct,
    stated_account_figures,
    subsidies_received,
    training_totals,
    place_names,
    commune_names,
    shared_address,
    web_consistency,
)


def clean(tables: Tables, ref: Reference) -> tuple[Tables, pd.DataFrame]:
    """Apply every rule to a copy of the tables; return the clean tables and the anomalies."""
    work = {name: frame.copy() for name, frame in tables.items()}
    found: list[Anomaly] = []
    for rule in RULES:
        found += rule(work, ref)
    return work, anomalies_frame(found)


def anomalies_frame(found: list[Anomaly]) -> pd.DataFrame:
    rows = [{**asdict(a), "action": a.action} for a in found]
    return pd.DataFrame(rows, columns=ANOMALY_COLUMNS)
