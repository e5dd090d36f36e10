"""What every chart shares whichever backend draws it: colours, fonts, sizes, drawn text.

Colours carry a role ("increase", "highlight"), so that a role means the same in every chart;
sizes are given once per backend unit (inches for the page, pixels for the screen).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from typing import Any

OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
"""Okabe & Ito (2008): eight colours distinguishable with every common colour-vision deficiency."""

NEUTRAL = "#8F8F8F"
"""Grey for "the rest" next to a highlighted colour (not an Okabe-Ito hue, carries no meaning);
3.2:1 against white, the least a mark needs (WCAG 2.1, 1.4.11 non-text contrast)."""

MARK_CONTRAST_MIN = 3.0
"""Least contrast ratio of a mark's colour with the white background (WCAG 1.4.11)."""

OKABE_ITO_DARK: dict[str, str] = {
    "orange": "#A97500",
    "sky_blue": "#1D97DC",
}
"""The two Okabe-Ito hues too light for a mark on white (2.3:1), darkened at the same hue and
saturation until they reach 4.0:1 and 3.2:1 (``tests/test_accessibility.py`` checks every role)."""

PALETTE: tuple[str, ...] = (*OKABE_ITO.values(), *OKABE_ITO_DARK.values(), NEUTRAL)
"""Every colour a chart may use, in either backend."""

COLORS: dict[str, str] = {
    "entries": OKABE_ITO["bluish_green"],
    "exits": OKABE_ITO["vermillion"],
    "headcount": OKABE_ITO["blue"],
    "increase": OKABE_ITO["bluish_green"],
    "decrease": OKABE_ITO["vermillion"],
    "total": OKABE_ITO["blue"],
    "main": OKABE_ITO["blue"],
    "highlight": OKABE_ITO_DARK["orange"],
    "muted": NEUTRAL,
    "rounded": OKABE_ITO_DARK["sky_blue"],
    "met": OKABE_ITO["bluish_green"],
    "not_met": OKABE_ITO["vermillion"],
    "target": OKABE_ITO["black"],
    "ink": OKABE_ITO["black"],
}
"""Colour by role, so that "increase" or "highlight" means the same in every chart."""

GRID = "#E5E5E5"
TEXT = "#222222"

# --- fonts: the body font of each medium --------------------------------------------------------

STATIC_FONT = "Libertinus Serif"
"""The PDF's body font (``mainfont`` of the Typst format in ``_quarto.yml``). The static figure
is an SVG whose text stays text: Typst sets it in this font, so chart and page match and the
chart's words can be searched and copied in the PDF."""
STATIC_FONT_FALLBACK = "serif"
"""Where the SVG is shown by a browser that lacks the font (an exported notebook)."""

INTERACTIVE_FONT = (
    '"Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, "Noto Sans", '
    '"Liberation Sans", sans-serif'
)
"""The HTML report's body font stack (``body`` in ``publish/report.css``): system fonts, offline."""

# --- sizes --------------------------------------------------------------------------------------

FIG_WIDTH_IN = 6.3
"""Text width of an A4 page with 2.2 cm margins (16.6 cm), a little less."""
FIG_HEIGHT_IN = 3.4
FONT_PT = 9
TITLE_PT = 10.5
PLOTLY_HEIGHT = 440
PLOTLY_FONT_PX = 14
PLOTLY_TITLE_PX = 16
SVG_HASHSALT = "cae-report"
"""Fixed salt for the SVG element ids, so that the same chart gives the same SVG bytes."""

TITLE_WRAP_STATIC = 72
TITLE_WRAP_INTERACTIVE = 34
"""A title line on screen: 34 characters of 16 px bold fit a 390 px phone, margins included."""

LABEL_WRAP_STATIC = 30
LABEL_WRAP_INTERACTIVE = 20
"""Characters per line of a category label: on the page (9 pt in 16 cm), on screen (two
columns of labels beside the bars fit a phone)."""
LABEL_MAX_LINES = 2
"""A category label (axis tick) takes at most this many lines, the rest ending in "…": a
third line would run into the neighbouring rows, whose spacing is even."""

# --- drawn text ---------------------------------------------------------------------------------

MINUS_SIGN = "\u2212"
_SIGN_MINUS = re.compile(r"(?<![\w.,])-(?=\d)")


def drawn_text(text: Any) -> str:
    """A value label as drawn: the sign of a negative number as U+2212 MINUS SIGN.

    :mod:`cae_report.fr` writes U+002D so that tables and text stay copy-pastable; a chart's
    numbers are typeset like the PDF's, with the minus sign, in labels, ticks and tooltips.
    Category labels and titles are left as given (they name things, not numbers).
    """
    return _SIGN_MINUS.sub(MINUS_SIGN, str(text))


def drawn_texts(texts: Iterable[Any]) -> tuple[str, ...]:
    return tuple(drawn_text(t) for t in texts)


def wrap(text: str, width: int, max_lines: int | None = None) -> str:
    """Wrap on word boundaries with ``\\n``; with ``max_lines``, cut with "…" at a word."""
    lines = textwrap.wrap(
        str(text), width, break_long_words=False, max_lines=max_lines, placeholder=" …"
    )
    return "\n".join(lines) or str(text)


def category_labels(labels: Iterable[Any], width: int) -> tuple[str, ...]:
    """Axis labels of categories: wrapped, at most :data:`LABEL_MAX_LINES` lines.

    Cutting must not make two categories read the same: if two cut labels coincide, the
    labels are wrapped in full instead.
    """
    texts = [str(label) for label in labels]
    cut = [wrap(t, width, LABEL_MAX_LINES) for t in texts]
    if len(set(cut)) < len(set(texts)):
        return tuple(wrap(t, width) for t in texts)
    return tuple(cut)


def lower_first(label: str) -> str:
    """Lowercase a label's first letter inside a sentence, leaving acronyms (``CICE``) alone."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label
