"""CSV files the build writes, safe to open in a spreadsheet (OWASP's CSV-injection rule).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula for Excel or LibreOffice (``=HYPERLINK(…)``, ``+cmd|' /C calc'!A0``). Such cells are
written with a leading apostrophe, which spreadsheets show as text. A cell that is a number
(``-1.9``, ``+34``, ``-5e3``) is left alone, whether its column is numeric or text, so the
figures keep their sign and stay numbers for whoever reads the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?")


def neutralise_cell(value: object) -> object:
    """``value`` with a leading ``'`` when it is text that a spreadsheet would run."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot become formulas (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype.kind in "biufcmM":  # numbers, booleans, dates: never formulas
            continue
        out[column] = series.map(neutralise_cell)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as the build's CSV files are written: UTF-8, ``\\n``, no index, text
    cells neutralised (:func:`neutralise`)."""
    neutralise(frame).to_csv(path, index=False, lineterminator="\n")
    return path
