"""Entries, exits and headcounts: the monthly table, the text's yearly figures, last year's end.

Identities (published values are the unknowns):

* each month: end headcount = previous month's end + entries − exits (January starts from the
  text's opening headcount);
* the text's year-end headcount is December's; the text's entries, exits and movements are the
  sums of the twelve months; the people accompanied are the opening headcount plus the entries
  (a definition, stated as an assumption);
* the opening headcount is last year's closing one, when last year has data (an assumption:
  no one joins or leaves between 31 December and 1 January);
* the text's rate of movements per entrepreneur present at the start of the year, to the
  precision a figure in words has.

The forecasts are checked apart: a plan is not a measure, so a forecast that does not add up
is flagged with what it would be on the actual opening headcount, never corrected.
"""

from __future__ import annotations

from cae_report.clean.base import Anomaly, Context, Tables, kf, n
from cae_report.clean.identities import Builder
from cae_report.clean.solver import equal_sum, linear, ratio
from cae_report.data.keyfigures import stated
from cae_report.errors import DataError, Problem
from cae_report.fr import month_name

RULE = "headcount_identities"
START_IS_LAST_END = "l'effectif du 1er janvier est celui du 31 décembre de l'année précédente"
ACCOMPANIED = "les entrepreneurs accompagnés sont les présents en début d'année plus les entrées"
RATE_HALF = 0.05
"""Precision of a rate said in words (« presque 2 pour 3 » is 0,667 ± 0,05)."""


def check_months(tables: Tables, context: Context) -> list[Anomaly]:
    """A table declared complete must hold the twelve months, each once (a DataError naming
    what is missing or doubled); a partial one says what it lacks (a note)."""
    frame = tables.get("movements")
    if frame is None:
        return []
    months = [int(m) for m in frame["month"]]
    missing = [m for m in range(1, 13) if m not in months]
    doubled = sorted({m for m in months if months.count(m) > 1})
    if context.coverage.get("movements") == "complete" and (missing or doubled):
        folder = context.folder
        path = (folder / "movements.csv") if folder else "movements.csv"
        parts = []
        if missing:
            parts.append("missing month(s) " + ", ".join(_month(m) for m in missing))
        if doubled:
            parts.append("month(s) given twice " + ", ".join(_month(m) for m in doubled))
        raise DataError(
            [
                Problem(
                    path,
                    "declared complete in sources.csv but "
                    + "; ".join(parts)
                    + " (a complete year has the twelve months, each once; declare the file "
                    "partial if the report gives only some months)",
                )
            ]
        )
    if not missing:
        return []
    names = ", ".join(month_name(m) for m in missing)
    return [
        Anomaly(
            "movements",
            str(context.year or ""),
            "month",
            None,
            None,
            "partial_year",
            f"Le tableau mensuel ne couvre que {len(months)} mois sur 12 (manquent : {names}) : "
            "les totaux de l'année ne sont pas recalculés depuis le tableau, ceux du texte "
            "sont gardés tels quels.",
            status="note",
        )
    ]


def _month(m: int) -> str:
    return f"{m} ({month_name(m)})"


def declare(builder: Builder, tables: Tables, context: Context) -> None:
    """Variables and identities of the movements (see the module docstring)."""
    start = builder.key_figure("headcount_start", "Effectif en début d'année (texte)")
    end = builder.key_figure("headcount_end", "Effectif en fin d'année (texte)", derived=True)
    entries = builder.key_figure("entries", "Intégrations de l'année (texte)", derived=True)
    exits = builder.key_figure("exits", "Sorties de l'année (texte)", derived=True)
    moves = builder.key_figure("movements", "Mouvements de l'année (texte)", derived=True)
    accompanied = builder.key_figure(
        "accompanied", "Entrepreneurs accompagnés (texte)", derived=True
    )
    rate = builder.key_figure(
        "movement_rate_stated",
        "Mouvements par entrepreneur présent (texte)",
        integer=False,
        derived=True,
        half=RATE_HALF,
        decimals=2,
    )
    previous_end = _previous_end(context)
    if start is not None and previous_end is not None:
        builder.add(
            linear(
                f"effectif de début d'année = fin {context.year - 1 if context.year else ''}"
                f" ({n(previous_end)})",
                {start: 1},
                -previous_end,
                assumption=START_IS_LAST_END,
            )
        )
    frame = tables.get("movements")
    month_vars: dict[int, tuple[str, str, str]] = {}
    if frame is not None:
        for index, row in frame.sort_values("month").iterrows():
            m = int(row["month"])
            key = f"{int(row['year'])}-{m:02d}"
            name = month_name(m)
            month_vars[m] = (
                builder.cell("movements", index, "entries", key=key, label=f"Entrées de {name}"),
                builder.cell("movements", index, "exits", key=key, label=f"Sorties de {name}"),
                builder.cell(
                    "movements", index, "headcount_end", key=key, label=f"Effectif fin {name}"
                ),
            )
    for m, (e, x, h) in month_vars.items():
        name = month_name(m)
        if m == 1:
            if start is not None:
                builder.add(
                    linear(
                        "effectif fin janvier = début d'année + entrées − sorties",
                        {h: 1, start: -1, e: -1, x: 1},
                    )
                )
            elif previous_end is not None:
                builder.add(
                    linear(
                        f"effectif fin janvier = fin de l'année précédente ({n(previous_end)}) "
                        "+ entrées − sorties",
                        {h: 1, e: -1, x: 1},
                        -previous_end,
                        assumption=START_IS_LAST_END,
                    )
                )
        elif m - 1 in month_vars:
            prev_h = month_vars[m - 1][2]
            builder.add(
                linear(
                    f"effectif fin {name} = fin {month_name(m - 1)} + entrées − sorties",
                    {h: 1, prev_h: -1, e: -1, x: 1},
                )
            )
    complete = len(month_vars) == 12
    if complete:
        e_all = [month_vars[m][0] for m in range(1, 13)]
        x_all = [month_vars[m][1] for m in range(1, 13)]
        if end is not None:
            builder.add(
                linear(
                    "effectif de fin d'année = effectif fin décembre",
                    {end: 1, month_vars[12][2]: -1},
                )
            )
        if entries is not None:
            builder.add(equal_sum("intégrations = somme des entrées mensuelles", entries, e_all))
        if exits is not None:
            builder.add(equal_sum("sorties = somme des sorties mensuelles", exits, x_all))
        if moves is not None:
            builder.add(
                equal_sum("mouvements = entrées + sorties des douze mois", moves, e_all + x_all)
            )
        if accompanied is not None and start is not None:
            builder.add(
                equal_sum(
                    "accompagnés = début d'année + entrées des douze mois",
                    accompanied,
                    [start, *e_all],
                    assumption=ACCOMPANIED,
                )
            )
    elif not month_vars:
        if None not in (end, start, entries, exits):
            builder.add(
                linear(
                    "effectif de fin d'année = début + intégrations − sorties",
                    {end: 1, start: -1, entries: -1, exits: 1},
                )
            )
        if None not in (moves, entries, exits):
            builder.add(equal_sum("mouvements = intégrations + sorties", moves, [entries, exits]))
        if None not in (accompanied, start, entries):
            builder.add(
                equal_sum(
                    "accompagnés = début d'année + intégrations",
                    accompanied,
                    [start, entries],
                    assumption=ACCOMPANIED,
                )
            )
    if rate is not None and moves is not None and start is not None:
        builder.add(
            ratio(
                "mouvements par entrepreneur présent = mouvements / effectif de début d'année",
                rate,
                {moves: 1},
                {start: 1},
            )
        )


def _previous_end(context: Context) -> float | None:
    """Last year's closing headcount from its clean tables: December's row, else its text."""
    previous = context.previous
    if not previous:
        return None
    frame = previous.get("movements")
    if frame is not None:
        december = frame.loc[frame["month"] == 12, "headcount_end"]
        if not december.empty:
            return float(december.iloc[0])
    return stated(previous.get("key_figures"), "headcount_end")


def forecasts(tables: Tables, context: Context) -> list[Anomaly]:
    """Forecasts against each other, on the actual opening headcount. A plan may have been
    made on another opening headcount: flagged with what it would be, never corrected."""
    start = kf(tables, "headcount_start")
    f_in, f_out = kf(tables, "forecast_entries"), kf(tables, "forecast_exits")
    found: list[Anomaly] = []
    if start is None or f_in is None or f_out is None:
        return found
    checks = (
        ("forecast_headcount_end", start + f_in - f_out, f"{n(start)} + {n(f_in)} − {n(f_out)}"),
        ("forecast_accompanied", start + f_in, f"{n(start)} + {n(f_in)}"),
    )
    implied = []
    for name, expected, how in checks:
        value = kf(tables, name)
        if value is not None and value != expected:
            implied.append(
                value - (f_in - f_out) if name == "forecast_headcount_end" else value - f_in
            )
            found.append(
                _forecast(
                    name,
                    value,
                    f"Prévision publiée {n(value)} ; sur l'effectif réel de début d'année, "
                    f"{how} = {n(expected)}",
                )
            )
    if len(set(implied)) == 1 and len(implied) == 2:
        found = [
            Anomaly(
                a.table,
                a.key,
                a.field,
                a.published,
                None,
                a.rule,
                a.message + f" ; les deux prévisions concordent entre elles sur un effectif de "
                f"départ de {n(implied[0])} : elles ont sans doute été faites sur un autre "
                "effectif que celui constaté",
                finding="forecasts",
                status="undecided",
            )
            for a in found
        ]
    managed, accompanied = kf(tables, "forecast_managed"), kf(tables, "forecast_accompanied")
    if managed is not None and accompanied is not None and managed != accompanied:
        found.append(
            _forecast(
                "forecast_managed",
                managed,
                f"Objectif de gestion de {n(managed)} entrepreneurs, pour {n(accompanied)} "
                "accompagnés prévus (hypothèse : l'objectif porte sur tous les accompagnés) ; "
                + (
                    f"{n(managed)} est l'effectif de fin d'année prévu sur l'effectif réel "
                    f"de départ ({n(start)} + {n(f_in)} − {n(f_out)})"
                    if managed == start + f_in - f_out
                    else "rien ne dit lequel des deux vaut"
                ),
            )
        )
    return found


def _forecast(name: str, published: float, message: str) -> Anomaly:
    from cae_report.clean.base import plain

    return Anomaly(
        "key_figures",
        name,
        "value",
        plain(published),
        None,
        "forecast_consistency",
        message,
        finding="forecasts",
        status="undecided",
    )
