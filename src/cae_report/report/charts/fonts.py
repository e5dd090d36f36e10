"""The PDF's body font for matplotlib, taken from the Typst that sets the PDF.

Libertinus Serif is neither a Debian nor a PyPI package, but the ``typst`` wheel (a pinned
dependency, which compiles the PDF) carries it: its binary embeds the OpenType files Typst
uses by default, whole. matplotlib measures and draws text with the same font files as the
PDF, so the chart's words have the PDF's letters and widths. The files are copied once into
matplotlib's cache folder (``Libertinus Serif`` then resolves like any installed font).
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

from cae_report.report.charts.style import STATIC_FONT

_OPENTYPE_CFF = b"OTTO"
_STYLES = ("Regular", "Bold", "Italic", "Bold Italic")


def _name_table(blob: bytes, start: int, tables: dict[bytes, tuple[int, int]]) -> dict[int, str]:
    """Family (1) and subfamily (2) names from an OpenType ``name`` table (Windows records)."""
    offset, length = tables[b"name"]
    table = blob[start + offset : start + offset + length]
    _fmt, count, strings = struct.unpack(">HHH", table[:6])
    names: dict[int, str] = {}
    for i in range(count):
        platform, _enc, _lang, name_id, size, at = struct.unpack(
            ">HHHHHH", table[6 + 12 * i : 18 + 12 * i]
        )
        if platform == 3 and name_id in (1, 2):
            raw = table[strings + at : strings + at + size]
            names[name_id] = raw.decode("utf-16-be", "replace")
    return names


def embedded_fonts(blob: bytes, family: str) -> dict[str, bytes]:
    """The OpenType (CFF) fonts of ``family`` found whole inside ``blob``, by style name.

    A font file starts with ``OTTO``, a table count and a table directory; its length is the
    end of its last table. Anything that does not parse as such is skipped.
    """
    found: dict[str, bytes] = {}
    at = blob.find(_OPENTYPE_CFF)
    while at != -1:
        try:
            (count,) = struct.unpack(">H", blob[at + 4 : at + 6])
            tables: dict[bytes, tuple[int, int]] = {}
            if 2 <= count <= 64:
                for i in range(count):
                    record = blob[at + 12 + 16 * i : at + 28 + 16 * i]
                    tag = record[:4]
                    if not tag.isascii():
                        tables = {}
                        break
                    _checksum, offset, length = struct.unpack(">III", record[4:])
                    tables[tag] = (offset, length)
            if b"name" in tables and b"head" in tables:
                end = max(offset + length for offset, length in tables.values())
                names = _name_table(blob, at, tables)
                style = names.get(2, "")
                if names.get(1) == family and style not in found and end < 16_000_000:
                    found[style] = blob[at : at + end]
        except (struct.error, UnicodeDecodeError):
            pass
        at = blob.find(_OPENTYPE_CFF, at + 4)
    return found


def _typst_binary() -> Path | None:
    try:
        import typst
    except ImportError:
        return None
    return next(iter(sorted(Path(typst.__file__).parent.glob("_typst*"))), None)


@functools.cache
def register_body_font() -> bool:
    """Make :data:`STATIC_FONT` known to matplotlib; False when it cannot be found.

    Once per process; the font files are extracted once per machine (and per Typst build).
    """
    if any(f.name == STATIC_FONT for f in font_manager.fontManager.ttflist):
        return True
    binary = _typst_binary()
    if binary is None:
        return False
    stat = binary.stat()
    folder = Path(mpl.get_cachedir()) / f"cae-report-fonts-{stat.st_size}"
    paths = [folder / f"{STATIC_FONT.replace(' ', '')}-{s.replace(' ', '')}.otf" for s in _STYLES]
    if not all(p.is_file() for p in paths):
        fonts = embedded_fonts(binary.read_bytes(), STATIC_FONT)
        if not fonts:
            return False
        folder.mkdir(parents=True, exist_ok=True)
        for style, path in zip(_STYLES, paths, strict=True):
            if style in fonts:
                partial = path.with_suffix(".part")
                partial.write_bytes(fonts[style])
                partial.replace(path)
    for path in paths:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
    return any(f.name == STATIC_FONT for f in font_manager.fontManager.ttflist)
