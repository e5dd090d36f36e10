"""French formatting: exact code points, since a wrong space is invisible in a diff."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from cae_report import fr

NNBSP = "\u202f"  # narrow no-break space: thousands, before %
NBSP = "\u00a0"  # no-break space: before €, units


# --- constants match what Babel emits ---------------------------------------------------------


def test_babel_code_points_are_the_documented_ones():
    from babel.numbers import format_currency, format_decimal, format_percent

    assert format_decimal(908700, locale="fr_FR") == f"908{NNBSP}700"
    assert format_currency(-1717, "EUR", locale="fr_FR") == f"-1{NNBSP}717,00{NBSP}€"
    # Babel puts U+00A0 before %: fr.fmt_pct deliberately normalises it to U+202F.
    assert format_percent(0.32, locale="fr_FR") == f"32{NBSP}%"
    assert fr.MINUS == "-"
    assert fr.PLUS == "+"


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (908700, f"908{NNBSP}700"),
        (1234567, f"1{NNBSP}234{NNBSP}567"),
        (0, "0"),
        (-1717, f"-1{NNBSP}717"),
        (999.5, f"1{NNBSP}000"),
        (2.5, "3"),  # half-up, not Babel's half-even
        (-0.4, "0"),  # no "-0"
        (np.int64(908700), f"908{NNBSP}700"),
        (np.float64(84.0), "84"),
        (Decimal("12.5"), "13"),
    ],
)
def test_fmt_int(value, expected):
    assert fr.fmt_int(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2.77, 2, "2,77"),
        (7.1, 1, "7,1"),
        (7, 1, "7,0"),
        (2.675, 2, "2,68"),
        (1234.5, 1, f"1{NNBSP}234,5"),
        (-0.04, 1, "0,0"),
        (-3.14159, 3, "-3,142"),
    ],
)
def test_fmt_num(value, decimals, expected):
    assert fr.fmt_num(value, decimals) == expected


def test_fmt_num_max_drops_trailing_zeros():
    assert fr.fmt_num_max(3.0) == "3"
    assert fr.fmt_num_max(2.5) == "2,5"
    assert fr.fmt_num_max(2.777) == "2,78"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (908700, 0, f"908{NNBSP}700{NBSP}€"),
        (-1717, 0, f"-1{NNBSP}717{NBSP}€"),
        (0, 0, f"0{NBSP}€"),
        (-0.3, 0, f"0{NBSP}€"),
        (1234.5, 2, f"1{NNBSP}234,50{NBSP}€"),
        (99.995, 2, f"100,00{NBSP}€"),
        (23605.5, 0, f"23{NNBSP}606{NBSP}€"),
    ],
)
def test_fmt_eur(value, decimals, expected):
    assert fr.fmt_eur(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (23606, f"+23{NNBSP}606{NBSP}€"),
        (-1717, f"-1{NNBSP}717{NBSP}€"),
        (0, f"0{NBSP}€"),
        (0.4, f"0{NBSP}€"),
    ],
)
def test_fmt_signed_eur(value, expected):
    assert fr.fmt_signed_eur(value) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (32.2, {}, f"32{NNBSP}%"),
        (34, {"signed": True}, f"+34{NNBSP}%"),
        (-3, {"signed": True}, f"-3{NNBSP}%"),
        (-3, {}, f"-3{NNBSP}%"),
        (0, {"signed": True}, f"0{NNBSP}%"),
        (-0.2, {"signed": True}, f"0{NNBSP}%"),
        (2.2, {"decimals": 1}, f"2,2{NNBSP}%"),
        (61.54, {"decimals": 2}, f"61,54{NNBSP}%"),
        (34.5, {"signed": True}, f"+35{NNBSP}%"),
        (1250, {}, f"1{NNBSP}250{NNBSP}%"),
    ],
)
def test_fmt_pct(value, kwargs, expected):
    assert fr.fmt_pct(value, **kwargs) == expected


def test_fmt_pct_space_is_narrow_not_babels_nbsp():
    assert NBSP not in fr.fmt_pct(12.3, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, f"0{NNBSP}%"),
        (0.01, f"<{NBSP}0,1{NNBSP}%"),
        (0.4, f"0,4{NNBSP}%"),
        (0.96, f"1{NNBSP}%"),
        (89.4, f"89{NNBSP}%"),
    ],
)
def test_fmt_share_pct_never_shows_zero_for_a_nonzero_share(value, expected):
    assert fr.fmt_share_pct(value) == expected


@pytest.mark.parametrize("bad", [None, float("nan"), pd.NA, float("inf")])
def test_formatters_refuse_missing_values(bad):
    with pytest.raises(ValueError):
        fr.fmt_eur(bad)


def test_formatters_refuse_text_and_bools():
    with pytest.raises(TypeError):
        fr.fmt_int("12")
    with pytest.raises(TypeError):
        fr.fmt_int(True)


def test_fmt_count_uses_french_plural_rule():
    assert fr.fmt_count(24, "entrée") == f"24{NBSP}entrées"
    assert fr.fmt_count(1, "entrée") == f"1{NBSP}entrée"
    assert fr.fmt_count(0, "entrée") == f"0{NBSP}entrée"
    assert fr.fmt_count(1500, "visite") == f"1{NNBSP}500{NBSP}visites"
    assert fr.fmt_count(3, "pays", "pays") == f"3{NBSP}pays"


# --- durations, measures, dates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (122, f"2{NBSP}min{NBSP}02{NBSP}s"),
        (150, f"2{NBSP}min{NBSP}30{NBSP}s"),
        (45, f"45{NBSP}s"),
        (0, f"0{NBSP}s"),
        (59.6, f"1{NBSP}min{NBSP}00{NBSP}s"),
        (121.8, f"2{NBSP}min{NBSP}02{NBSP}s"),
        (3723, f"1{NBSP}h{NBSP}02{NBSP}min"),
    ],
)
def test_fmt_duration(seconds, expected):
    assert fr.fmt_duration(seconds) == expected


def test_fmt_duration_rejects_negative():
    with pytest.raises(ValueError):
        fr.fmt_duration(-5)


@pytest.mark.parametrize(
    ("value", "unit", "kwargs", "expected"),
    [
        (2.77, "pages", {}, f"2,77{NBSP}pages"),
        (122, "s", {}, f"2{NBSP}min{NBSP}02{NBSP}s"),
        (61.54, "%", {}, f"61,54{NNBSP}%"),
        (2.5, "pages", {"trim": True}, f"2,5{NBSP}pages"),
        (60, "%", {"trim": True}, f"60{NNBSP}%"),
        (3.5, "", {}, "3,50"),
    ],
)
def test_fmt_measure(value, unit, kwargs, expected):
    assert fr.fmt_measure(value, unit, **kwargs) == expected


def test_month_names_are_babel_format_names_lowercase():
    assert fr.month_name(1) == "janvier"
    assert fr.month_name(1, short=True) == "janv."
    assert fr.month_name(8) == "août"
    assert fr.month_name(5, short=True) == "mai"
    assert fr.month_name(12, short=True) == "déc."
    assert [fr.month_name(m, short=True) for m in range(1, 13)] == [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ]


@pytest.mark.parametrize("bad", [0, 13, 1.5])
def test_month_name_rejects_out_of_range(bad):
    with pytest.raises(ValueError):
        fr.month_name(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-12-31", "31 décembre 2016"),
        (dt.date(2016, 12, 31), "31 décembre 2016"),
        (pd.Timestamp("2016-02-29"), "29 février 2016"),
        (dt.datetime(2016, 8, 15, 10, 30), "15 août 2016"),
        ("2016-01-01", "1er janvier 2016"),
    ],
)
def test_fmt_date(value, expected):
    assert fr.fmt_date(value) == expected


# --- missing values and variances -------------------------------------------------------------


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_fmt_or_dash_shows_em_dash_for_missing(missing):
    assert fr.fmt_or_dash(missing, fr.fmt_eur) == "\u2014"


def test_fmt_or_dash_formats_present_values_including_zero():
    assert fr.fmt_or_dash(0, fr.fmt_eur) == f"0{NBSP}€"
    assert fr.fmt_or_dash(2.77, lambda v: fr.fmt_num(v, 2)) == "2,77"


@pytest.mark.parametrize(
    ("actual", "budget", "expected"),
    [
        (134, 100, f"+34{NNBSP}%"),
        (97, 100, f"-3{NNBSP}%"),
        (100, 100, f"0{NNBSP}%"),
        (5, 0, "non défini"),
        (5, None, "non défini"),
        (5, float("nan"), "non défini"),
        (None, 100, "non défini"),
        (-1500, -1000, f"-50{NNBSP}%"),  # a larger loss than budgeted is below budget
    ],
)
def test_variance_pct_text(actual, budget, expected):
    assert fr.variance_pct_text(actual, budget) == expected


def test_variance_pct_text_decimals():
    assert fr.variance_pct_text(102.2, 100, decimals=1) == f"+2,2{NNBSP}%"


def test_variance_pct_value():
    assert math.isclose(fr.variance_pct(91794.9, 68394), 34.21, abs_tol=0.01)
    assert fr.variance_pct(1, 0) is None


# --- chart helpers ----------------------------------------------------------------------------


def test_plotly_separators_are_decimal_comma_then_narrow_space():
    assert fr.PLOTLY_SEPARATORS == f",{NNBSP}"
    assert len(fr.PLOTLY_SEPARATORS) == 2  # plotly.js reads charAt(0) and charAt(1)
    fig = go.Figure(layout={"separators": fr.PLOTLY_SEPARATORS})
    assert fig.layout.separators == f",{NNBSP}"


def test_typography_puts_french_spaces_before_punctuation():
    from cae_report.fr import typography

    text = "Total : 12 € ; vraiment ? « oui » 5 % http://x.fr 10:30"
    assert typography(text) == (
        "Total\u00a0: 12\u00a0€\u202f; vraiment\u202f? «\u202foui\u202f» 5\u202f% http://x.fr 10:30"
    )
