"""Notebook-side helpers: emit narrative and tables exactly as the renderers expect them.

Notebooks call these instead of ``print``: stdout and ``execute_result`` outputs are debugging
noise that the report drops (see :mod:`cae_report.publish.assemble`). Each call emits ONE
``display_data`` output with ``text/markdown`` (what the report shows, read as pandoc markdown
by both Quarto and our pandoc filter) and ``text/plain`` (what a plain-text viewer shows).

Captions and labels are NOT arguments: they are the cell's Quarto options, so that Quarto and
the pandoc filter number and caption tables the same way::

    #| label: tbl-variance
    #| tbl-cap: Écarts entre budget et réalisé
    table(variance_df)

Quarto documents this pattern (a markdown table displayed by a cell with ``label: tbl-…`` and
``tbl-cap``): it puts the caption and id on the table found in the cell's output. The pandoc
renderer's Lua filter does the same. So the markdown must NOT carry its own
``: caption {#tbl-…}`` line, or the table would get two captions.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from cae_report.fr import typography

# Every ASCII punctuation character pandoc's markdown can give a meaning to (emphasis, links,
# raw HTML and Typst, math, citations, footnotes, lists, headings, tables, entities, sub- and
# superscripts, comments): escaped with a backslash (pandoc's ``all_symbols_escapable``).
# Quotes, commas, semicolons, ``?``, ``/`` and ``%`` mean nothing there and stay as they are,
# so that smart quotes still curl and French typography still applies.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!&$^~|@=:])")

_ASCII_SPACES = re.compile(r"[ \t\r\n\f\v]+")

_NUMBER = re.compile(
    r"""^[+\-\u2212]?            # sign
        [\d\u202f\u00a0 .,]*\d   # digits, with French separators
        [\d\u202f\u00a0 ]*       # trailing digits/spaces
        (?:[\u202f\u00a0 ]?(?:%|€|k€|M€|h|pt|pts|points?))?$  # a unit
    """,
    re.VERBOSE,
)
_MARKS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
"""Superscript digits: the marks of corrected cells (:func:`cae_report.report.audit.mark`)."""
_MISSING = {"", "\u2014", "-", "–", "n.d.", "nd", "non défini"}
_ALIGN = {"l": ":--", "r": "--:", "c": ":-:", "d": "---"}


class Markdown(str):
    """Markdown written by the project's code (``**Total**``, a superscript mark), never by
    data: :func:`escape` and :func:`table` leave it as it is. Build it with data parts
    already escaped, e.g. ``Markdown(f"**{escape(label)}**")``."""


def escape(value: Any) -> str:
    """Data as literal text in pandoc markdown, for both HTML and Typst: the one escape of
    the report. ``<svg onload=…>``, ``[x](javascript:…)``, ``<!--``, ``@fig-x``,
    `` `x`{=typst} ``, ``$5$``, ``#import``, ``*`` and ``_`` print as typed. Line breaks
    become spaces (a value never starts a block). :class:`Markdown` passes through.
    """
    if isinstance(value, Markdown):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    # Only ASCII white space is collapsed: U+00A0 and U+202F are French typography.
    text = _ASCII_SPACES.sub(" ", str(value)).strip(" ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", typography(text))


def _publish(data: dict[str, str]) -> None:
    from IPython.display import display

    display(data, raw=True)


def md(text: str) -> None:
    """Display French narrative (pandoc markdown: ``**gras**``, ``@fig-x`` references…).

    Shown as-is by both renderers; ``text/plain`` carries the same text for plain viewers.
    """
    text = typography(str(text).strip())
    _publish({"text/markdown": text, "text/plain": text})


def _is_numeric_column(values: pd.Series) -> bool:
    """True when every non-missing cell looks like a number (``1 234``, ``-3,5 %``, ``12 €``)."""
    seen = False
    for value in values:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        text = text.strip().strip("*").rstrip(_MARKS)  # bold totals, marks of corrections
        if text in _MISSING:
            continue
        if not _NUMBER.match(text):
            return False
        seen = True
    return seen


def _cell(value: Any) -> str:
    """One cell as markdown-safe text (:func:`escape`); a :class:`Markdown` cell is kept."""
    return escape(value)


def column_alignment(df: pd.DataFrame, align: str | None = None) -> str:
    """One letter per column: ``l`` left, ``r`` right, ``c`` centre, ``d`` default.

    Given ``align`` (e.g. ``"lrr"``) wins; otherwise numbers are right-aligned, text left.
    """
    if align is not None:
        if len(align) != len(df.columns) or set(align) - set(_ALIGN):
            raise ValueError(
                f"align={align!r}: expected one of l/r/c/d per column ({len(df.columns)} columns)"
            )
        return align
    return "".join(
        "r" if pd.api.types.is_numeric_dtype(df[c]) or _is_numeric_column(df[c]) else "l"
        for c in df.columns
    )


def to_markdown(df: pd.DataFrame, *, align: str | None = None) -> str:
    """A pipe table. Values should already be formatted strings (see :mod:`cae_report.fr`).

    The dashes of the separator line estimate each column's width: pandoc (under Quarto too)
    uses them as relative column widths when a row is longer than 72 characters. A column
    gets its widest cell up to 30 characters, and never less than its longest word, so that
    short columns are not squeezed into hyphenated fragments while long text columns wrap.
    (The pandoc renderer's filter lets the browser and Typst size columns themselves.)
    """
    letters = column_alignment(df, align)
    header = [_cell(c) for c in df.columns]
    rows = [[_cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
    widths = []
    for i, name in enumerate(header):
        cells = [name, *(r[i] for r in rows)]
        natural = max(len(c) for c in cells)
        word = max((len(w) for c in cells for w in c.split()), default=0)
        widths.append(max(3, word + 1, min(natural, 30)))
    seps = []
    for letter, dashes in zip(letters, widths, strict=True):
        marker = _ALIGN[letter]
        seps.append(
            (":" if marker.startswith(":") else "-")
            + "-" * (dashes - 2)
            + (":" if marker.endswith(":") else "-")
        )
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(seps) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def table(df: pd.DataFrame, *, align: str | None = None) -> None:
    """Display ``df`` as a markdown pipe table (``text/markdown``) plus ``text/plain``.

    The caption and label come from the cell options ``tbl-cap`` and ``label: tbl-…`` (see the
    module docstring), never from here. The index is not shown: reset it first if it matters.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"table() expects a pandas DataFrame, got {type(df).__name__}")
    if df.columns.empty:
        raise ValueError("table() got a DataFrame without columns")
    markdown = to_markdown(df, align=align)
    _publish({"text/markdown": markdown, "text/plain": df.to_string(index=False)})
