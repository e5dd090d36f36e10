"""The PDF's body font for matplotlib, taken from the Typst that sets the PDF.

Libertinus Serif is neither a Debian nor a PyPI package, but the ``typst`` wheel (a pinned
dependency, which compiles the PDF) carries it: its binary embeds the OpenType files Typst
uses by default, whole. matplotlib measures and draws text with the same font files as the
PDF, so the chart's words have the PDF's letters and widths. The files are copied once into
matplotlib's cache folder (``Libertinus Serif`` then resolves like any installed font).
"""

from __future__ import annotations

import functools
import os
import struct
import tempfile
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
    end of its last table. Anything that does not parse as such, or is cut short, is skipped.
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
                whole = at + end <= len(blob) and end < 16_000_000
                if names.get(1) == family and style not in found and whole:
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


def _is_whole(path: Path, style: str) -> bool:
    """True when ``path`` holds exactly one whole font of :data:`STATIC_FONT` in ``style``.

    A cached file is checked before matplotlib reads it: a file cut short, or altered, is
    written again from the Typst binary.
    """
    try:
        blob = path.read_bytes()
    except OSError:
        return False
    return embedded_fonts(blob, STATIC_FONT).get(style) == blob


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file of this process's own.

    Several processes (the build's kernels) may extract the fonts at once on a fresh machine:
    each writes its own temporary file and renames it, so none moves another's file away and
    no process ever reads a half-written font.
    """
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as out:
        out.write(data)
    try:
        os.replace(out.name, path)
    except OSError:
        os.unlink(out.name)
        raise


def font_files(cache: Path) -> list[Path]:
    """The files of :data:`STATIC_FONT` in ``cache``, extracted first when missing or damaged.

    The folder is named for the Typst binary's size, so a new Typst brings its own files. No
    files when the Typst wheel, or the font inside it, is not there.
    """
    binary = _typst_binary()
    if binary is None:
        return []
    folder = cache / f"cae-report-fonts-{binary.stat().st_size}"
    paths = [folder / f"{STATIC_FONT.replace(' ', '')}-{s.replace(' ', '')}.otf" for s in _STYLES]
    if not all(_is_whole(p, s) for p, s in zip(paths, _STYLES, strict=True)):
        fonts = embedded_fonts(binary.read_bytes(), STATIC_FONT)
        folder.mkdir(parents=True, exist_ok=True)
        for style, path in zip(_STYLES, paths, strict=True):
            if style in fonts:
                _write_atomically(path, fonts[style])
    return [p for p in paths if p.is_file()]


@functools.cache
def register_body_font() -> bool:
    """Make :data:`STATIC_FONT` known to matplotlib; False when it cannot be found.

    Once per process; the font files are extracted once per machine (and per Typst build),
    into matplotlib's cache folder.
    """
    if any(f.name == STATIC_FONT for f in font_manager.fontManager.ttflist):
        return True
    for path in font_files(Path(mpl.get_cachedir())):
        font_manager.fontManager.addfont(str(path))
    return any(f.name == STATIC_FONT for f in font_manager.fontManager.ttflist)
