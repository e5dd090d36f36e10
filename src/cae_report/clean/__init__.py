"""Cleaning with an audit trail: the published figures checked against each other.

Each group of related figures is a small system of identities (:mod:`.movements` and
:mod:`.members` share the year-end headcount; :mod:`.accounts`, :mod:`.training`,
:mod:`.audience`); :mod:`.solver` finds the smallest set of published values whose change makes
every identity hold and corrects them when that set is unique (else flags the candidates).
Names are checked by :mod:`.places`. Every finding is a row of ``anomalies.csv``; rows that
come from one root cause share a ``finding`` id, and ``status`` says corrected, probable,
undecided or note. Messages are in French (the board reads them) and built from the data.

:func:`clean` works on copies: the raw tables are never changed.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from cae_report.clean import accounts, audience, members, movements, places, training
from cae_report.clean.base import UNDEFINED, Anomaly, Context, Tables
from cae_report.clean.identities import Builder
from cae_report.data.contract import ANOMALY_COLUMNS
from cae_report.data.reference import Reference

COLUMNS = [*ANOMALY_COLUMNS, "finding", "status"]
"""Columns of ``anomalies.csv``: the contract's, plus the root cause and what was decided."""

__all__ = ["COLUMNS", "UNDEFINED", "Anomaly", "Context", "anomalies_frame", "clean"]


def _system(work: Tables, context: Context, rule: str, *declares) -> list[Anomaly]:
    builder = Builder(work, rule)
    for declare in declares:
        declare(builder, work, context)
    return builder.run()


def clean(
    tables: Tables, ref: Reference, context: Context | None = None
) -> tuple[Tables, pd.DataFrame]:
    """Check a copy of the tables; return the clean tables and the findings.

    Raises :class:`~cae_report.errors.DataError` for a table declared complete that is not
    (a year without its twelve months)."""
    context = context or Context()
    work = {name: frame.copy() for name, frame in tables.items()}
    found: list[Anomaly] = movements.check_months(work, context)
    found += places.commune_names(work, ref, context)
    found += places.place_names(work, ref, context)
    headcounts = _system(work, context, movements.RULE, movements.declare, members.declare)
    found += headcounts + members.list_rows(work, headcounts)
    found += movements.forecasts(work, context)
    found += _system(work, context, "members_identities", members.members_declare)
    found += members.members_start(work, context)
    found += members.team_fte(work, context)
    found += accounts.variance_undefined(work, context)
    found += _system(work, context, accounts.RULE, accounts.declare)
    found += accounts.line_shares(work, context)
    found += accounts.subsidies_received(work, context)
    found += _system(work, context, training.RULE, training.declare)
    found += _system(work, context, audience.RULE, audience.declare)
    found += audience.countries_sum(work, context)
    found += places.shared_address(work, ref, context)
    return work, anomalies_frame(found)


def anomalies_frame(found: list[Anomaly]) -> pd.DataFrame:
    """The findings as a table; ``finding`` ids numbered F01, F02… in order of appearance
    (rows of one root cause share one)."""
    ids: dict[str, str] = {}
    rows = []
    for i, a in enumerate(found):
        token = a.finding or f"#{i}"
        if token not in ids:
            ids[token] = f"F{len(ids) + 1:02d}"
        rows.append({**asdict(a), "action": a.action, "finding": ids[token]})
    return pd.DataFrame(rows, columns=COLUMNS)


def with_findings(anomalies: pd.DataFrame, extra: list[dict]) -> pd.DataFrame:
    """``anomalies`` followed by rows found elsewhere (export checks), each its own finding,
    undecided: they are differences the pipeline does not settle."""
    if not extra:
        return anomalies
    start = len(set(anomalies["finding"])) if not anomalies.empty else 0
    more = pd.DataFrame(extra, columns=ANOMALY_COLUMNS)
    more["finding"] = [f"F{start + i + 1:02d}" for i in range(len(more))]
    more["status"] = "undecided"
    return pd.concat([anomalies, more[COLUMNS]], ignore_index=True)
