"""Which characters Typst's embedded fonts can show: measured on Typst, written into
``typography.lua``.

The PDF is compiled with Typst's embedded fonts only (the same PDF on every machine); a
character that none of them has fails the accessible PDF (PDF/UA-1: "could not be displayed
with font"). The shared filter prints such a character as its code point instead; it needs
the list of characters the fonts do show, which this module measures by compiling probe
documents with the installed ``typst`` module (the Typst that Quarto 1.7 also bundles, 0.13)::

    python -m cae_report.publish.glyphs          # rewrite the table in typography.lua

It takes a few minutes; run it after a Typst upgrade. ``tests/test_publish.py`` checks a
sample of the table against Typst.
"""

from __future__ import annotations

import re
import sys
import tempfile
import unicodedata
from pathlib import Path

TYPOGRAPHY = Path(__file__).resolve().parent / "typography.lua"
PROBED = ((0x0000, 0x3100), (0xFB00, 0x10100), (0x1D400, 0x1D800), (0x1F000, 0x1FB00))
"""Blocks probed; outside them (CJK, other scripts of the astral planes…) nothing shows."""
COMBINING = ((0x0300, 0x0370), (0x1AB0, 0x1B00), (0x1DC0, 0x1E00), (0x20D0, 0x2100))
"""Combining marks: shown on their base letter (not probed alone)."""
_FAILED = re.compile(r'the text `"(.+?)"`')


def first_unshown(chars: list[str], folder: Path) -> str | None:
    """The first of ``chars`` that Typst cannot show (None when it shows them all)."""
    import typst

    source = folder / "probe.typ"
    text = " ".join(chars).replace("\\", "\\\\").replace('"', '\\"')
    source.write_text(
        '#set document(title: "probe")\n#set text(lang: "fr", font: ("Libertinus Serif",))\n'
        f'#"{text}"\n',
        encoding="utf-8",
    )
    try:
        typst.compile(
            str(source),
            output=str(folder / "probe.pdf"),
            ignore_system_fonts=True,
            pdf_standards=["ua-1"],
            pdf_tags=True,
        )
    except Exception as exc:  # typst.TypstError: the message names the character
        match = _FAILED.search(str(exc))
        if not match:
            raise
        return match.group(1)
    return None


def _printable(code: int) -> bool:
    return unicodedata.category(chr(code))[0] in "LNPS"


def measure() -> list[tuple[int, int]]:
    """The ranges of code points Typst's embedded fonts show, merged."""
    shown: set[int] = set()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for low, high in PROBED:
            for start in range(low, high, 0x80):
                block = [c for c in range(start, min(start + 0x80, high)) if _printable(c)]
                chars = [chr(c) for c in block]
                unshown: set[str] = set()
                while chars:
                    failed = first_unshown(chars, folder)
                    if failed is None or failed not in chars:
                        break
                    unshown.add(failed)
                    chars.remove(failed)
                shown |= {c for c in block if chr(c) not in unshown}
                for c in range(start, min(start + 0x80, high)):
                    category = unicodedata.category(chr(c))
                    if category in ("Zs", "Cc", "Cf") or any(a <= c < b for a, b in COMBINING):
                        shown.add(c)
    ranges: list[tuple[int, int]] = []
    for code in sorted(shown):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def lua_table(ranges: list[tuple[int, int]]) -> str:
    rows = [f"{{ 0x{a:04X}, 0x{b:04X} }}," for a, b in ranges]
    lines = ["local SUPPORTED = {"]
    line = " "
    for row in rows:
        if len(line) + len(row) + 1 > 95:
            lines.append(line)
            line = " "
        line += " " + row
    lines.append(line)
    lines.append("}")
    return "\n".join(lines)


def supported_ranges(path: Path = TYPOGRAPHY) -> list[tuple[int, int]]:
    """The table currently in ``typography.lua``."""
    text = path.read_text(encoding="utf-8")
    block = text[text.index("-- BEGIN GLYPHS") : text.index("-- END GLYPHS")]
    return [(int(a, 16), int(b, 16)) for a, b in re.findall(r"0x([0-9A-F]+), 0x([0-9A-F]+)", block)]


def write(ranges: list[tuple[int, int]], path: Path = TYPOGRAPHY) -> None:
    text = path.read_text(encoding="utf-8")
    begin, end = text.index("-- BEGIN GLYPHS\n"), text.index("-- END GLYPHS")
    path.write_text(
        text[: begin + len("-- BEGIN GLYPHS\n")] + lua_table(ranges) + "\n" + text[end:],
        encoding="utf-8",
    )


def main() -> int:
    ranges = measure()
    write(ranges)
    print(f"{TYPOGRAPHY}: {len(ranges)} ranges of characters Typst shows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
