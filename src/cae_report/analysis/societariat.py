"""The sociétariat: associés at the close of the year, who joined and who left.

The year-end count and its split come from the text (``key_figures``: ``members``,
``members_employees``, ``members_external``); the movements from ``members.csv``. The count at
the start of the year is derived (end − entries + exits), which holds when the table lists
every movement of the year, as the published report does.
"""

from __future__ import annotations

import pandas as pd

from cae_report.data.keyfigures import stated

MOVEMENT_COLUMNS = ["month", "movement", "name", "category"]


def movements(members: pd.DataFrame | None) -> pd.DataFrame:
    """The entries and exits of associés in calendar order (exits first within a month)."""
    if members is None or members.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in MOVEMENT_COLUMNS})
    out = members[MOVEMENT_COLUMNS].astype("str")
    return out.sort_values(
        ["month", "movement", "name"], ascending=[True, False, True]
    ).reset_index(drop=True)


def summary(members: pd.DataFrame | None, key_figures: pd.DataFrame | None) -> dict:
    """members_end, members_employees, members_external (stated), entries, exits (counted
    when the year has the table), members_start (derived); None for what the year lacks."""
    moves = movements(members) if members is not None else None
    end = stated(key_figures, "members")
    entries = None if moves is None else int((moves["movement"] == "entry").sum())
    exits = None if moves is None else int((moves["movement"] == "exit").sum())
    start = None if end is None or entries is None else end - entries + exits
    return {
        "members_start": start,
        "members_end": end,
        "members_employees": stated(key_figures, "members_employees"),
        "members_external": stated(key_figures, "members_external"),
        "members_entries": entries,
        "members_exits": exits,
    }
