"""What every group of cleaning rules shares: the finding type, the context, small helpers.

A rule reads the (copied) tables, may correct them in place, and returns the
:class:`Anomaly` rows it found. Rows that come from one root cause share a ``finding`` id;
``status`` says what the data allowed: ``corrected`` (the other figures decide the value),
``probable`` (applied on a stated assumption among equally small explanations),
``undecided`` (flagged with its candidates), ``note`` (not an error: a spelling made
uniform, a table that only covers part of the year, a comparison that cannot be made).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from cae_report.clean import solver
from cae_report.data.keyfigures import stated
from cae_report.fr import fmt_num

Tables = dict[str, pd.DataFrame]

STATUSES = ("corrected", "probable", "undecided", "note")
# Corrected value of a percentage that has no meaning (variance against a zero budget).
UNDEFINED = "non défini"


@dataclass(frozen=True)
class Anomaly:
    table: str
    key: str
    field: str
    published: object
    corrected: object  # None when the rule only flags
    rule: str
    message: str
    finding: str = ""
    status: str = "undecided"

    @property
    def action(self) -> str:
        return "flagged" if self.corrected is None else "corrected"


@dataclass(frozen=True)
class Context:
    """What a year's rules may compare with besides its own tables.

    ``previous``: the previous year's clean tables (None when it has no valid data);
    ``settings``: the cooperative's ``cooperative.yml``; ``coverage``: complete/partial per
    table (from ``sources.csv``); ``folder``: the raw year folder, to name files in errors."""

    year: int | None = None
    previous: Tables | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    coverage: Mapping[str, str] = field(default_factory=dict)
    folder: Path | None = None


# ---------------------------------------------------------------- helpers


def kf(tables: Tables, name: str) -> float | None:
    """A key figure stated in the text, or None."""
    return stated(tables.get("key_figures"), name)


def agrees(published: float, computed: float, step: float | None = None) -> bool:
    """True when ``published`` is ``computed`` rounded the way it was written."""
    half = 0.5 * (step if step is not None else 10 ** -solver.decimals_of(published))
    return abs(published - computed) <= half + 1e-9


def n(value: object, decimals: int = 0) -> str:
    """A number as the board reads it (French), ``—`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, Fraction):
        value = float(value)
    return fmt_num(value, decimals)


def shown(value: object) -> str:
    """A published value with the decimals it needs (``2,57``, ``908 700``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = float(value)
    return fmt_num(number, solver.decimals_of(number))


def plain(value):
    """Numbers as int when whole, so anomalies.csv reads like the report."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Fraction):
        value = float(value)
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _plain(text: str, keep: str = "") -> str:
    """Accents dropped, lower case, every run of other characters (but ``keep``) one space."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(f"[^a-z0-9{keep}]+", " ", ascii_text.lower())


def fold(text: object) -> str:
    """Accent-, case- and punctuation-insensitive form for comparing names."""
    return _plain(str(text)).strip()


def fold_all(texts: list) -> list[str]:
    """:func:`fold` of each text, folded as one text (a long list, such as the official list of
    communes, several times faster). NFKD decomposes character by character and a line break
    stops the reordering of accents, so each line folds as the text alone; a list in which a
    text holds a line break is folded text by text."""
    joined = "\n".join(str(text) for text in texts)
    if not texts or joined.count("\n") != len(texts) - 1:
        return [fold(text) for text in texts]
    return [line.strip() for line in _plain(joined, keep="\n").split("\n")]
