"""French formatting of numbers, money, percentages, durations and dates: the single place for it.

Every figure the reader sees (tables, prose, chart labels, tick labels, alt texts) goes through
these functions, so that one document never mixes ``908,700``, ``908 700`` and ``908 700``.
Formatting is delegated to Babel (locale ``fr_FR``, CLDR data) so that separators follow the
French standard rather than ad-hoc string replacement.

Code points emitted (Babel 2.19, CLDR fr) and kept on purpose:

* thousands separator: U+202F NARROW NO-BREAK SPACE (``908\\u202f700``);
* decimal separator: ``,``;
* space between an amount and ``€``: U+00A0 NO-BREAK SPACE (Babel's currency pattern);
* space between a number and ``%``: U+202F. Babel emits U+00A0 there; it is normalised to
  U+202F, the French typographic rule for ``%`` (Imprimerie nationale), see :data:`PCT_SPACE`;
* minus sign: U+002D HYPHEN-MINUS, which is what CLDR defines for fr and what Babel emits; it
  stays searchable and copy-pastable into a spreadsheet. A sign is always written (never
  accounting parentheses), and a value that rounds to zero is written without sign;
* plus sign (signed variants): U+002B;
* missing value: U+2014 EM DASH.

Rounding is half-up on the decimal value as written (``2.675`` → ``2,68``, ``2.5`` → ``3``),
as a reader checking a figure by hand expects; Babel on its own rounds half-to-even.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from numbers import Integral, Real
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import format_currency as _babel_format_currency
from babel.numbers import format_decimal as _babel_format_decimal
from babel.numbers import get_minus_sign_symbol, get_plus_sign_symbol

LOCALE = "fr_FR"

NBSP = "\u00a0"
"""NO-BREAK SPACE: between a number and a unit word (``€``, ``min``, ``s``, ``pages``)."""

NNBSP = "\u202f"
"""NARROW NO-BREAK SPACE: Babel's fr thousands separator."""

PCT_SPACE = NNBSP
"""Space before ``%``: narrow and unbreakable, per French typography."""

DASH = "\u2014"
"""What a table shows for a missing value: visible, not a misleading zero."""

MINUS = get_minus_sign_symbol(LOCALE)
PLUS = get_plus_sign_symbol(LOCALE)

PLOTLY_SEPARATORS = ",\u202f"
"""plotly ``layout.separators``: decimal then thousands separator.

plotly.js reads the two characters with ``charAt(0)``/``charAt(1)`` and hands them to
d3-format's ``formatLocale``; U+202F is a single UTF-16 code unit, so it is accepted and hover
labels and ticks group thousands exactly like :func:`fmt_int`.
"""

UNDEFINED_VARIANCE = "non défini"

DISAGREE = "Ne concordent pas : "
"""How a finding of the cleaning rules starts: the equalities the published figures break.

A list of such findings says it once, in its heading (:func:`~cae_report.report.narrative.caveats`).
"""

COLON = NBSP + ":"
"""A colon as French typesets it, with the no-break space before: ``Écart\u00a0: ``."""

SEMICOLON = NNBSP + ";"
"""A semicolon with its narrow no-break space before, as French typesets it."""

DURATION_UNITS = frozenset({"s", "sec", "seconde", "secondes"})
"""Unit labels that mean "a duration in seconds", shown as ``2 min 02 s``."""


# --- internal helpers -------------------------------------------------------------------------


def _is_missing(x: Any) -> bool:
    """True for None, NaN and pandas' NA/NaT, without importing pandas."""
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN, pd.NA (raises on bool), NaT
    except TypeError:
        return True


def _to_decimal(x: Any, decimals: int) -> Decimal:
    """Round half-up to ``decimals`` places; reject missing or non-finite values loudly.

    Going through ``str`` keeps the value as written (``2.675`` stays 2.675, not 2.67499...).
    Negative zero after rounding becomes zero, so ``-0.2`` never prints as ``-0``.
    """
    if isinstance(x, bool):
        raise TypeError(f"expected a number, got a bool: {x!r}")
    if _is_missing(x):
        raise ValueError(f"cannot format a missing value ({x!r}); use fmt_or_dash")
    if isinstance(x, Decimal):
        value = x
    elif isinstance(x, Integral):
        value = Decimal(int(x))
    elif isinstance(x, Real) or hasattr(x, "__float__"):
        f = float(x)
        if not math.isfinite(f):
            raise ValueError(f"cannot format a non-finite value ({x!r})")
        value = Decimal(str(f))
    else:
        raise TypeError(f"expected a number, got {type(x).__name__}: {x!r}")
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded


def _pattern(decimals: int) -> str:
    """A grouped Babel number pattern with exactly ``decimals`` decimals."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _sign(value: Decimal, signed: bool) -> str:
    """An explicit ``+`` for positive values when asked; Babel already writes the minus."""
    return PLUS if signed and value > 0 else ""


# --- numbers ----------------------------------------------------------------------------------


def fmt_num(x: Any, decimals: int) -> str:
    """A number with a fixed number of decimals: ``2,77``, ``7,1``, ``1 234,5``.

    Fixed decimals keep a column of figures aligned and say how precise the source is.
    """
    value = _to_decimal(x, decimals)
    return _babel_format_decimal(value, format=_pattern(decimals), locale=LOCALE)


def fmt_num_max(x: Any, max_decimals: int = 2) -> str:
    """A number with at most ``max_decimals`` decimals, trailing zeros dropped: ``3``, ``2,5``.

    For targets and thresholds, where ``3,00 pages`` would suggest a false precision.
    """
    value = _to_decimal(x, max_decimals)
    pattern = "#,##0" + ("." + "#" * max_decimals if max_decimals else "")
    return _babel_format_decimal(value, format=pattern, locale=LOCALE)


def fmt_int(x: Any) -> str:
    """A whole number with French grouping: ``908 700`` (U+202F)."""
    return fmt_num(x, 0)


def fmt_eur(x: Any, decimals: int = 0) -> str:
    """An amount in euros: ``908 700 €``, ``-1 717 €`` (U+202F groups, U+00A0 before €).

    Built on Babel's fr currency pattern with the decimals overridden: the annual report rounds
    to the euro, Babel's default would print cents.
    """
    value = _to_decimal(x, decimals)
    standard = Locale.parse(LOCALE).currency_formats["standard"].pattern  # '#,##0.00\xa0¤'
    suffix = standard.partition(".00")[2]
    pattern = _pattern(decimals) + suffix
    return _babel_format_currency(
        value, "EUR", format=pattern, currency_digits=False, locale=LOCALE
    )


def fmt_signed_eur(x: Any, decimals: int = 0) -> str:
    """A variance in euros, always signed: ``+23 606 €``, ``-1 717 €``, ``0 €``."""
    value = _to_decimal(x, decimals)
    return _sign(value, True) + fmt_eur(value, decimals)


def fmt_pct(x: Any, decimals: int = 0, signed: bool = False) -> str:
    """A percentage given in percent (32.2 means 32,2 %): ``32 %``, ``+34 %``, ``2,2 %``.

    Not Babel's ``format_percent``, which multiplies by 100 and puts U+00A0 before ``%``: the
    analysis tables already hold percents, and French typography wants U+202F there.
    Zero is never signed (``0 %``), whatever ``signed`` says.
    """
    value = _to_decimal(x, decimals)
    return _sign(value, signed) + fmt_num(value, decimals) + PCT_SPACE + "%"


def fmt_count(n: Any, singular: str, plural: str | None = None) -> str:
    """``24 entrées``, ``1 entrée``, ``0 entrée``: French uses the singular below 2.

    ``plural`` defaults to ``singular + "s"``; give it for irregular words (``travaux``).
    """
    value = _to_decimal(n, 0)
    word = singular if abs(value) < 2 else (plural or singular + "s")
    return f"{fmt_int(value)}{NBSP}{word}"


def fmt_measure(value: Any, unit_label: str, decimals: int = 2, trim: bool = False) -> str:
    """A value with its unit as published: ``2,77 pages``, ``2 min 02 s``, ``61,54 %``.

    ``unit_label`` decides the form: seconds become a duration, ``%`` a percentage (value in
    percent), anything else is appended after a no-break space (empty: the number alone).
    ``trim`` drops trailing zeros (``2,5 pages`` rather than ``2,50 pages``), for targets.
    """
    unit = (unit_label or "").strip()
    if unit.lower() in DURATION_UNITS:
        return fmt_duration(value)
    number = fmt_num_max(value, decimals) if trim else fmt_num(value, decimals)
    if unit == "%":
        return number + PCT_SPACE + "%"
    return f"{number}{NBSP}{unit}" if unit else number


def fmt_share_pct(x: Any) -> str:
    """A share of a total in percent, never shown as ``0 %`` when it is not zero.

    Whole percents from 1 %; below, one decimal (``0,4 %``); below 0,05 %, ``< 0,1 %``.
    A reader adding up labels should not meet a "0 %" bar that visibly has a length.
    """
    value = float(_to_decimal(x, 6))
    if value == 0 or abs(value) >= 0.95:
        return fmt_pct(value)
    if abs(value) < 0.05:
        return "<" + NBSP + fmt_pct(0.1, 1)
    return fmt_pct(value, 1)


# --- durations and dates ----------------------------------------------------------------------


def fmt_duration(seconds: Any) -> str:
    """A duration as read on a web-analytics dashboard: ``45 s``, ``2 min 02 s``, ``1 h 05 min``.

    Seconds are zero-padded after minutes (``2 min 02 s``) like a clock; every space is U+00A0
    so that a duration never breaks across lines. Hours drop the seconds (they no longer matter).
    """
    total = int(_to_decimal(seconds, 0))
    if total < 0:
        raise ValueError(f"a duration cannot be negative: {seconds!r}")
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{fmt_int(hours)}{NBSP}h{NBSP}{minutes:02d}{NBSP}min"
    if minutes:
        return f"{minutes}{NBSP}min{NBSP}{secs:02d}{NBSP}s"
    return f"{secs}{NBSP}s"


@cache
def _month_names(short: bool) -> tuple[str, ...]:
    """Babel's *format* month names (used inside a date), lowercase as French writes them."""
    width = "abbreviated" if short else "wide"
    names = Locale.parse(LOCALE).months["format"][width]
    return tuple(names[m].lower() for m in range(1, 13))


def month_name(m: int, short: bool = False) -> str:
    """``1`` → ``janvier``; short → ``janv.`` (CLDR abbreviations: ``mai``, ``juin`` stay whole)."""
    if isinstance(m, bool) or not 1 <= int(m) <= 12 or int(m) != m:
        raise ValueError(f"month must be an integer 1-12, got {m!r}")
    return _month_names(short)[int(m) - 1]


def _to_date(d: Any) -> dt.date:
    """Accept a date, a datetime/Timestamp or an ISO string (the raw CSVs hold ``YYYY-MM-DD``)."""
    if isinstance(d, str):
        return dt.date.fromisoformat(d.strip()[:10])
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    if hasattr(d, "to_pydatetime"):
        return d.to_pydatetime().date()
    raise TypeError(f"expected a date, got {type(d).__name__}: {d!r}")


def fmt_date(d: Any) -> str:
    """``2016-12-31`` → ``31 décembre 2016``; the first of a month is ``1er janvier 2016``.

    Babel's long fr date, with the ordinal ``1er`` French requires (CLDR has no rule for it).
    Spaces are Babel's plain U+0020.
    """
    date = _to_date(d)
    text = _babel_format_date(date, format="long", locale=LOCALE)
    if date.day == 1 and text.startswith("1 "):
        text = "1er" + text[1:]
    return text


# --- missing values and variances -------------------------------------------------------------


def fmt_or_dash(value: Any, formatter: Callable[[Any], str]) -> str:
    """``formatter(value)``, or an em dash for None/NaN, so gaps show honestly (never as ``0``)."""
    return DASH if _is_missing(value) else formatter(value)


def variance_pct(actual: Any, budget: Any) -> float | None:
    """(actual - budget) / |budget| in percent, or None when it is undefined.

    Dividing by ``|budget|`` keeps the sign meaning "above budget" even for a budgeted loss;
    for the usual positive budget it is exactly (actual - budget) / budget.
    """
    if _is_missing(actual) or _is_missing(budget) or float(budget) == 0:
        return None
    return (float(actual) - float(budget)) / abs(float(budget)) * 100


def variance_pct_text(actual: Any, budget: Any, decimals: int = 0) -> str:
    """Signed variance to budget (``+34 %``, ``-3 %``), or ``non défini`` without a budget."""
    pct = variance_pct(actual, budget)
    return UNDEFINED_VARIANCE if pct is None else fmt_pct(pct, decimals, signed=True)


# --- matplotlib tick formatters ---------------------------------------------------------------


_SPACE_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]:(?=\s|$)")
_SPACE_BEFORE_HIGH = re.compile(r"[ \u00a0\u202f]([;!?])(?=\s|$)")
_AFTER_GUILLEMET = re.compile(r"«[ \u00a0\u202f]")
_BEFORE_EURO = re.compile(r"(?<=\d) (?=€)")
_BEFORE_PERCENT = re.compile(r"(?<=\d)[ \u00a0](?=%)")
_BEFORE_GUILLEMET = re.compile(r"[ \u00a0\u202f]»")


def typography(text: str) -> str:
    """French spacing in running text: U+00A0 before ``:`` and ``€``, U+202F before
    ``; ! ? %`` and inside « », so a line never breaks before the punctuation.

    Only spaces already typed are replaced: URLs, times and numbers are left alone."""
    text = _SPACE_BEFORE_COLON.sub(NBSP + ":", text)
    text = _SPACE_BEFORE_HIGH.sub(NNBSP + r"\1", text)
    text = _AFTER_GUILLEMET.sub("«" + NNBSP, text)
    text = _BEFORE_EURO.sub(NBSP, text)
    text = _BEFORE_PERCENT.sub(NNBSP, text)
    return _BEFORE_GUILLEMET.sub(NNBSP + "»", text)
