"""The income statement and the figures the text states about the accounts.

Identities, for the actual and the budget columns: the lines of a group add up to its subtotal,
the subtotals to the side's total; operating surplus = products − charges; result = products −
charges, operating and not; each side's grand total balances; a printed variance is (actual −
budget) / budget. The text's percentages (shares, variances), the subsidies of its ratio, its
receipts (VAT + contributions), its leverage and the growth of the entrepreneurs' revenue (on
last year's revenue, when last year states it) are rounded functions of those figures.

Lines whose share or received amount the text gives are named in ``cooperative.yml``
(``statement_lines``): nothing here knows a particular cooperative's budget lines.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cae_report.clean.base import UNDEFINED, Anomaly, Context, Tables, agrees, fold, kf, n, plain
from cae_report.clean.identities import Builder
from cae_report.clean.solver import Identity, decimals_of, equal_sum, frac, linear, ratio
from cae_report.data.keyfigures import stated

RULE = "income_statement_identities"
OPERATING = ("60", "61", "62", "64", "own_resources", "subsidies", "other_income")
PERSONNEL = "64"
COLUMN_NAMES = {"actual": "réalisé", "budget": "prévisionnel"}
SHARE_BASE = "les parts du texte sont calculées sur le total des produits d'exploitation"
RATIO_SUBSIDIES = "les subventions du ratio du texte sont celles du compte de résultat"
RECEIPTS = "les recettes sociales et fiscales sont la TVA reversée plus les cotisations"
GROWTH = "le taux de croissance compare au chiffre d'affaires publié pour l'année précédente"


def _pct_decimals(value: float) -> int:
    return max(decimals_of(value), 1)


class _Statement:
    """Variables of one income statement, by row and column.

    The rows' side, group, type and order are read once into plain tuples: the identities ask
    for them hundreds of times, and a pandas mask per question cost most of the cleaning."""

    def __init__(self, builder: Builder, frame: pd.DataFrame):
        self.b, self.frame = builder, frame
        groups = ["" if pd.isna(g) else str(g) for g in frame["group"]]
        self._rows = sorted(
            zip(
                frame["order"].tolist(),
                frame.index,
                frame["side"].tolist(),
                groups,
                frame["row_type"].tolist(),
                frame["label"].tolist(),
                strict=True,
            ),
            key=lambda r: r[0],
        )
        self._by_index = {r[1]: r for r in self._rows}

    def var(self, index, column: str) -> str | None:
        order, _, side, group, row_type, label = self._by_index[index]
        is_line = row_type == "line"
        above = None
        if is_line:
            same = [
                r[1]
                for r in self._rows
                if r[2] == side and r[3] == group and r[4] == "line" and r[0] < order
            ]
            if same:
                above = self.frame.at[same[-1], column]
        return self.b.cell(
            "income_statement",
            index,
            column,
            key=f"{side} / {label}",
            label=f"« {label} » ({COLUMN_NAMES[column]})",
            integer=False,
            derived=not is_line,
            above=above,
            nonneg=row_type not in ("result", "operating_surplus"),
            empty_is_zero=is_line,
        )

    def rows(self, side: str, row_type: str, group: str | None = None) -> list:
        return [
            r[1]
            for r in self._rows
            if r[2] == side and r[4] == row_type and (group is None or r[3] == group)
        ]

    def one(self, side: str, row_type: str, column: str) -> str | None:
        rows = self.rows(side, row_type)
        return self.var(rows[0], column) if rows else None

    def lines(self, side: str, group: str, column: str) -> list[str]:
        return [self.var(i, column) for i in self.rows(side, "line", group)]

    def groups(self, side: str) -> list[str]:
        present = {r[3] for r in self._rows if r[2] == side}
        return [g for g in OPERATING if g in present]

    def group_form(self, side: str, group: str, column: str) -> dict[str, int] | None:
        """The group's amount: its subtotal when published, else its lines."""
        sub = [self.var(i, column) for i in self.rows(side, "subtotal", group)]
        sub = [s for s in sub if s is not None]
        if sub:
            return {sub[0]: 1}
        lines = self.lines(side, group, column)
        return {v: 1 for v in lines} if lines else None

    def total_form(self, side: str, column: str) -> dict[str, int] | None:
        total = self.one(side, "total", column)
        if total is not None:
            return {total: 1}
        form: dict[str, int] = {}
        for g in self.groups(side):
            form.update(self.group_form(side, g, column) or {})
        return form or None


def declare(builder: Builder, tables: Tables, context: Context) -> None:
    frame = tables.get("income_statement")
    if frame is not None:
        st = _Statement(builder, frame)
        for column in ("actual", "budget"):
            _sums(builder, st, column)
        _results(builder, st)
        _variances(builder, st, frame)
        _stated(builder, st)
    _receipts(builder, tables, context)


def _sums(builder: Builder, st: _Statement, column: str) -> None:
    what = COLUMN_NAMES[column]
    for side in ("charges", "products"):
        parts = []
        for group in st.groups(side):
            lines = st.lines(side, group, column)
            for sub_index in st.rows(side, "subtotal", group):
                sub = st.var(sub_index, column)
                if sub is not None:
                    label = st.frame.loc[sub_index, "label"]
                    builder.add(
                        equal_sum(f"« {label} » = somme de ses lignes ({what})", sub, lines)
                    )
            form = st.group_form(side, group, column)
            parts += list(form or {})
        total = st.one(side, "total", column)
        if total is not None and parts:
            label = st.frame.loc[st.rows(side, "total")[0], "label"]
            builder.add(
                equal_sum(
                    f"« {label} » ({side_name(side)}) = somme des groupes ({what})", total, parts
                )
            )


def side_name(side: str) -> str:
    return {"charges": "charges", "products": "produits"}[side]


def _results(builder: Builder, st: _Statement) -> None:
    for column in ("actual", "budget"):
        p_total = st.one("products", "total", column)
        c_total = st.one("charges", "total", column)
        if p_total is None or c_total is None:
            continue
        p_non = [v for v in st.lines("products", "non_operating", column)]
        c_non = [v for v in st.lines("charges", "non_operating", column)]
        surplus = st.one("products", "operating_surplus", column) or st.one(
            "charges", "operating_surplus", column
        )
        what = COLUMN_NAMES[column]
        if surplus is not None:
            builder.add(
                linear(
                    f"excédent brut d'exploitation = produits − charges d'exploitation ({what})",
                    {surplus: 1, p_total: -1, c_total: 1},
                )
            )
        result = st.one("charges", "result", column) or st.one("products", "result", column)
        if result is not None:
            terms = {result: 1, p_total: -1, c_total: 1}
            for v in p_non:
                terms[v] = terms.get(v, 0) - 1
            for v in c_non:
                terms[v] = terms.get(v, 0) + 1
            builder.add(
                linear(f"résultat = tous les produits − toutes les charges ({what})", terms)
            )
        p_grand = st.one("products", "grand_total", column)
        if p_grand is not None:
            builder.add(
                equal_sum(f"total général des produits ({what})", p_grand, [p_total, *p_non])
            )
        c_grand = st.one("charges", "grand_total", column)
        if c_grand is not None and result is not None:
            builder.add(
                equal_sum(
                    f"total général des charges = charges + résultat ({what})",
                    c_grand,
                    [c_total, *c_non, result],
                )
            )


def _variances(builder: Builder, st: _Statement, frame: pd.DataFrame) -> None:
    if "published_variance_pct" not in frame:
        return
    for index, row in frame[frame["published_variance_pct"].notna()].iterrows():
        if pd.isna(row["budget"]) or row["budget"] == 0 or pd.isna(row["actual"]):
            continue
        published = float(row["published_variance_pct"])
        target = builder.cell(
            "income_statement",
            index,
            "published_variance_pct",
            key=f"{row['side']} / {row['label']}",
            label=f"Écart publié de « {row['label']} »",
            integer=False,
            derived=True,
            nonneg=False,
            half=0.5 * 10 ** -decimals_of(published),
            decimals=_pct_decimals(published),
        )
        actual, budget = st.var(index, "actual"), st.var(index, "budget")
        builder.add(
            ratio(
                f"écart de « {row['label']} » = (réalisé − prévisionnel) / prévisionnel",
                target,
                {actual: 1, budget: -1},
                {budget: 1},
                scale=100,
            )
        )


def _stated_pct(builder: Builder, name: str, label: str) -> str | None:
    value = kf(builder.tables, name)
    if value is None:
        return None
    return builder.key_figure(
        name,
        label,
        integer=False,
        derived=True,
        nonneg=False,
        half=0.5 * 10 ** -decimals_of(value),
        decimals=_pct_decimals(value),
    )


def _stated(builder: Builder, st: _Statement) -> None:
    own_a = st.group_form("products", "own_resources", "actual")
    own_b = st.group_form("products", "own_resources", "budget")
    subs = st.group_form("products", "subsidies", "actual")
    pers_a = st.group_form("charges", PERSONNEL, "actual")
    pers_b = st.group_form("charges", PERSONNEL, "budget")
    products = st.total_form("products", "actual")
    charges = st.total_form("charges", "actual")
    figures = (
        (
            "own_resources_variance_pct",
            "Écart des ressources propres (texte)",
            "écart des ressources propres = (réalisé − prévisionnel) / prévisionnel",
            own_a,
            own_b,
            True,
            None,
        ),
        (
            "subsidies_share_pct",
            "Part des subventions (texte)",
            "part des subventions = subventions / produits d'exploitation",
            subs,
            products,
            False,
            SHARE_BASE,
        ),
        (
            "personnel_share_pct",
            "Part des charges de personnel (texte)",
            "part du personnel = charges de personnel / charges d'exploitation",
            pers_a,
            charges,
            False,
            None,
        ),
        (
            "personnel_variance_pct",
            "Écart des charges de personnel (texte)",
            "écart des charges de personnel = (réalisé − prévisionnel) / prévisionnel",
            pers_a,
            pers_b,
            True,
            None,
        ),
    )
    for name, label, relation, num, den, variance, assumption in figures:
        if not num or not den:
            continue
        target = _stated_pct(builder, name, label)
        if target is None:
            continue
        numerator = dict(num)
        if variance:
            for v, c in den.items():
                numerator[v] = numerator.get(v, 0) - c
        builder.add(ratio(relation, target, numerator, den, scale=100, assumption=assumption))
    ratio_subs = builder.key_figure(
        "ratio_subsidies", "Subventions du ratio (texte)", integer=False, derived=True
    )
    if ratio_subs is not None and subs:
        terms = {ratio_subs: 1}
        for v, c in subs.items():
            terms[v] = terms.get(v, 0) - c
        builder.add(
            linear(
                "subventions du ratio = subventions du compte de résultat",
                terms,
                assumption=RATIO_SUBSIDIES,
            )
        )


def _receipts(builder: Builder, tables: Tables, context: Context) -> None:
    vat = builder.key_figure("vat_paid_back", "TVA reversée (texte)", integer=False)
    social = builder.key_figure("social_contributions", "Cotisations (texte)", integer=False)
    receipts = builder.key_figure(
        "ratio_receipts", "Recettes sociales et fiscales (texte)", integer=False, derived=True
    )
    if None not in (vat, social, receipts):
        builder.add(
            equal_sum(
                "recettes du ratio = TVA reversée + cotisations",
                receipts,
                [vat, social],
                assumption=RECEIPTS,
            )
        )
    subsidies = builder.key_figure(
        "ratio_subsidies", "Subventions du ratio (texte)", integer=False, derived=True
    )
    leverage = kf(tables, "subsidy_leverage")
    if leverage is not None and receipts is not None and subsidies is not None:
        target = builder.key_figure(
            "subsidy_leverage",
            "Recettes par euro de subvention (texte)",
            integer=False,
            derived=True,
            half=0.5 * 10 ** -decimals_of(leverage),
            decimals=max(decimals_of(leverage), 1),
        )
        builder.add(
            ratio(
                "recettes par euro de subvention = recettes / subventions du ratio",
                target,
                {receipts: 1},
                {subsidies: 1},
            )
        )
    revenue = builder.key_figure(
        "entrepreneurs_revenue", "Chiffre d'affaires des entrepreneurs (texte)", integer=False
    )
    previous = stated((context.previous or {}).get("key_figures"), "entrepreneurs_revenue")
    growth = _stated_pct(
        builder, "entrepreneurs_revenue_growth_pct", "Croissance du chiffre d'affaires (texte)"
    )
    if revenue is not None and growth is not None and previous:
        builder.add(
            Identity(
                f"croissance du chiffre d'affaires sur celui de l'année précédente "
                f"({n(previous)} €)",
                kind="ratio",
                target=growth,
                num=({revenue: frac(1)}, -frac(previous)),
                den=({}, frac(previous)),
                scale=frac(100),
                assumption=GROWTH,
            )
        )


# ---------------------------------------------------------------- rules outside the system


def variance_undefined(tables: Tables, context: Context) -> list[Anomaly]:
    """A variance in percent against no budget has no meaning: removed, whatever it says."""
    frame = tables.get("income_statement")
    if frame is None or "published_variance_pct" not in frame:
        return []
    found = []
    for row in frame[frame["published_variance_pct"].notna()].itertuples():
        if not (pd.isna(row.budget) or row.budget == 0):
            continue
        frame.loc[row.Index, "published_variance_pct"] = pd.NA
        found.append(
            Anomaly(
                "income_statement",
                f"{row.side} / {row.label}",
                "published_variance_pct",
                plain(float(row.published_variance_pct)),
                UNDEFINED,
                "variance_pct",
                f"Écart publié {n(row.published_variance_pct)} % alors que le prévisionnel est "
                f"nul : un écart en pourcentage n'est pas défini (écart réel "
                f"{n(row.actual)} €) ; valeur retirée",
                status="corrected",
            )
        )
    return found


def _line(frame: pd.DataFrame, side: str, label: str) -> pd.Series | None:
    """The line whose label is (or begins with) ``label``, accents and case aside."""
    lines = frame[(frame["side"] == side) & (frame["row_type"] == "line")]
    target = fold(label)
    hit = lines[lines["label"].map(fold) == target]
    if hit.empty:
        hit = lines[lines["label"].map(lambda s: fold(s).startswith(target))]
    return None if hit.empty else hit.iloc[0]


def _statement_lines(context: Context) -> Mapping:
    return (context.settings or {}).get("statement_lines") or {}


def line_shares(tables: Tables, context: Context) -> list[Anomaly]:
    """A line's stated share of the products (lines named in ``cooperative.yml``): corrected on
    the base of the report's other shares, unless it only fits another base (ambiguous)."""
    frame = tables.get("income_statement")
    if frame is None:
        return []
    found = []
    for name, label in (_statement_lines(context).get("shares") or {}).items():
        value = kf(tables, name)
        line = _line(frame, "products", label)
        products = _row_value(frame, "products", "total")
        grand = _row_value(frame, "products", "grand_total")
        if value is None or line is None or pd.isna(line["actual"]) or not products:
            continue
        on_products = float(line["actual"]) / products * 100
        if agrees(value, on_products):
            continue
        on_grand = float(line["actual"]) / grand * 100 if grand else None
        other_base = on_grand is not None and agrees(value, on_grand)
        corrected = None if other_base else round(on_products, 1)
        found.append(
            Anomaly(
                "key_figures",
                name,
                "value",
                plain(value),
                corrected,
                "stated_account_figures",
                f"Le rapport publié annonce {n(value)} % pour « {line['label']} » ; "
                f"sur les produits "
                f"d'exploitation ({n(products)} €, la base des autres parts du rapport) c'est "
                f"{n(on_products, 1)} %"
                + (
                    f", sur le total général ({n(grand)} €) {n(on_grand, 1)} % : la base n'est "
                    "pas dite, les deux lectures restent possibles"
                    if other_base
                    else " (hypothèse : même base que les autres parts)"
                ),
                status="undecided" if other_base else "corrected",
            )
        )
        if corrected is not None:
            frame_kf = tables["key_figures"]
            frame_kf.loc[frame_kf["indicator"] == name, "value"] = corrected
    return found


def _row_value(frame: pd.DataFrame, side: str, row_type: str) -> float | None:
    rows = frame[(frame["side"] == side) & (frame["row_type"] == row_type)]["actual"].dropna()
    return None if rows.empty else float(rows.iloc[0])


def subsidies_received(tables: Tables, context: Context) -> list[Anomaly]:
    """A subsidy booked at its granted amount when the text says less was received: the
    shares and ratios rest on the amount granted (a note for the board, nothing is wrong)."""
    frame = tables.get("income_statement")
    if frame is None:
        return []
    found = []
    for name, label in (_statement_lines(context).get("received") or {}).items():
        received = kf(tables, name)
        line = _line(frame, "products", label)
        if received is None or line is None or pd.isna(line["actual"]):
            continue
        booked = float(line["actual"])
        if booked == received:
            continue
        found.append(
            Anomaly(
                "income_statement",
                f"products / {line['label']}",
                "actual",
                plain(booked),
                None,
                "subsidies_received",
                f"Subvention comptée pour {n(booked)} € (montant accordé) mais seulement "
                f"{n(received, 2)} € reçus : {n(booked - received, 2)} € restent à percevoir ; "
                "le ratio subventions / recettes et la part des subventions reposent sur le "
                "montant accordé",
                status="note",
            )
        )
    return found
