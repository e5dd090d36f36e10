"""Collective training: the session table against the totals the text states.

Identities: the text's number of sessions is the number of rows, its hours the sum of the
rows' attendee-hours, its attendance the sum of the rows' attendees. A row is the detail: when
only a total disagrees, the total is the figure taken as mistyped (said as an assumption).
"""

from __future__ import annotations

from cae_report.clean.base import Context, Tables
from cae_report.clean.identities import Builder
from cae_report.clean.solver import equal_sum, linear

RULE = "training_identities"


def declare(builder: Builder, tables: Tables, context: Context) -> None:
    frame = tables.get("training")
    if frame is None:
        return
    hours, attendees = [], []
    for index, row in frame.iterrows():
        key = f"{row['date']} / {row['summary']}"
        hours.append(
            builder.cell(
                "training", index, "hours", key=key, label=f"Heures du {key}", integer=False
            )
        )
        attendees.append(
            builder.cell("training", index, "attendees", key=key, label=f"Présents du {key}")
        )
    sessions = builder.key_figure("training_sessions", "Actions de formation (texte)", derived=True)
    total_hours = builder.key_figure(
        "training_hours", "Heures de formation (texte)", integer=False, derived=True
    )
    total_attendance = builder.key_figure(
        "training_attendance", "Participants aux formations (texte)", derived=True
    )
    if sessions is not None:
        builder.add(
            linear(f"actions = lignes du tableau ({len(frame)})", {sessions: 1}, -len(frame))
        )
    if total_hours is not None:
        builder.add(equal_sum("heures = somme des heures du tableau", total_hours, hours))
    if total_attendance is not None:
        builder.add(
            equal_sum("participants = somme des présents du tableau", total_attendance, attendees)
        )
