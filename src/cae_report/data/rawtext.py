"""Raw files as text: a size limit, the encoding, and no control characters.

Every reader of ``data/raw/`` (tables, FEC, audience exports, register) goes through
:func:`read_text`, so that a file is refused the same way whatever its kind, before any
parsing: too large (the limit is configurable, so a 200 MiB file never fills the memory),
UTF-8 spoiled by a few bytes of another encoding (never silently re-read as something else),
NUL or other control characters (never copied into the clean tables). A file written
wholly in a Windows or DOS code page (French Excel, older accounting packages) is read, and
the encoding chosen is said in a note.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cae_report.errors import DataError, Problem

DEFAULT_MAX_FILE_MIB = 100
"""Default limit per raw file, in MiB: far above any year of a cooperative's data (the
largest real FEC of a CAE is a few MiB), far below what would exhaust the machine."""
LIMIT_ENV = "CAE_REPORT_MAX_FILE_MIB"
LIMIT_KEY = "max_file_mib"
MIB = 1024 * 1024

# Code pages a French file not in UTF-8 is written in: Windows (Excel, most packages),
# ISO-8859-15 (the FEC's own norm allows it), DOS code page 850 (older accounting packages).
LEGACY = ("cp1252", "iso-8859-15", "cp850")
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "iso-8859-15": "ISO-8859-15",
    "cp850": "DOS code page 850",
}
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Control characters no text file holds: C0 except tab, LF and CR; DEL; C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Letters of French text, and characters that betray a wrong code page (box drawing, C1
# punctuation of cp1252 read from cp850 bytes, fractions and accents read from ISO-8859-15).
_FRENCH = set("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ€°«»’")
_SUSPICIOUS = set("‚ƒ„†‡ˆ‰Š‹ŽšžŸ¤¦¨´¸¼½¾ÚÞÓþÝýðÐ±¶§÷¹³²¯¬■ı") | {
    chr(c) for c in range(0x2500, 0x25A0)
}


@dataclass(frozen=True)
class Text:
    """The decoded text of a raw file and the encoding it was read with."""

    text: str
    encoding: str

    @property
    def note(self) -> str | None:
        """What the user should know about the encoding (None for plain UTF-8)."""
        if self.encoding in ("utf-8", "utf-8-sig"):
            return None
        return f"read as {ENCODING_NAMES[self.encoding]} (the file is not UTF-8)"


def file_limit(data_dir: Path | None = None) -> int:
    """The size limit per raw file, in bytes.

    ``CAE_REPORT_MAX_FILE_MIB`` wins (a one-off large import), else ``max_file_mib`` of
    ``data/cooperative.yml``, else :data:`DEFAULT_MAX_FILE_MIB`.
    """
    value: object = os.environ.get(LIMIT_ENV)
    where = f"environment variable {LIMIT_ENV}"
    if value is None and data_dir is not None and (data_dir / "cooperative.yml").is_file():
        from cae_report.data.cooperative import load

        value = load(data_dir).get(LIMIT_KEY)
        where = f"{data_dir / 'cooperative.yml'}: {LIMIT_KEY}"
    if value is None or value == "":
        return DEFAULT_MAX_FILE_MIB * MIB
    try:
        mib = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        mib = -1.0
    if not mib > 0:
        raise DataError.one(
            Path(where.split(":")[0]) if ":" in where else Path(LIMIT_ENV),
            f"the size limit per raw file must be a positive number of MiB, got {value!r}",
        )
    return int(mib * MIB)


def read_text(path: Path, max_bytes: int | None = None, *, utf16: bool = False) -> Text:
    """The text of a raw file, or a DataError naming line, column and byte.

    ``utf16``: accept UTF-16 with a BOM (what Matomo's API writes); elsewhere it is refused
    with the reason. ``max_bytes`` defaults to :func:`file_limit` without a data folder.
    """
    path = Path(path)
    limit = file_limit() if max_bytes is None else max_bytes
    size = path.stat().st_size
    if size > limit:
        raise DataError.one(
            path,
            f"file is {_size(size)}, above the limit of {_size(limit)} per raw file: check "
            f"it is the right file, or raise the limit in MiB ({LIMIT_KEY} in "
            f"data/cooperative.yml, or the environment variable {LIMIT_ENV})",
        )
    raw = path.read_bytes()
    text = decode(path, raw, utf16=utf16)
    check_controls(path, text.text)
    return text


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n / 1024:.1f} KiB"


def decode(path: Path, raw: bytes, *, utf16: bool = False) -> Text:
    """Bytes to text: UTF-8 (BOM or not), else one legacy code page for the whole file.

    A file whose bytes are valid UTF-8 in places and not in others is an error (a few bytes
    typed in another program): re-reading it all as cp1252 would turn every ``é`` of the
    rest into ``Ã©``.
    """
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise DataError.one(path, "file is UTF-32; save it as UTF-8 instead", 1)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not utf16:
            raise DataError.one(path, "file is UTF-16; save it as UTF-8 (CSV UTF-8) instead", 1)
        try:
            return Text(raw.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise DataError.one(path, f"invalid UTF-16 text: {exc.reason}", 1) from None
    encoding = "utf-8"
    if raw.startswith(codecs.BOM_UTF8):
        raw, encoding = raw[3:], "utf-8-sig"
    try:
        return Text(raw.decode("utf-8"), encoding)
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if b"\x00" in raw[:4096] and raw.count(b"\x00") * 4 > min(len(raw), 4096):
        raise DataError.one(
            path, "file looks like UTF-16 without a byte order mark; save it as UTF-8", 1
        )
    if encoding == "utf-8-sig" or _UTF8_MULTIBYTE.search(raw):
        line, column, where = locate(raw, first_bad)
        window = raw[max(0, first_bad - 40) : first_bad + 40]
        suggestion, _ = _best_legacy(window)
        hint = f" ({ENCODING_NAMES[suggestion]}?)" if suggestion else ""
        raise DataError(
            [
                Problem(
                    path,
                    f"byte 0x{raw[first_bad]:02X} ({where}) is not UTF-8 while the rest of "
                    f"the file is: a few characters typed in another encoding{hint}; "
                    "re-save the whole file as UTF-8",
                    line,
                    column,
                )
            ]
        )
    best, spoiler = _best_legacy(raw)
    if best is not None:
        return Text(raw.decode(best), best)
    if spoiler is not None:
        closest, byte = spoiler
        offset = raw.index(bytes([byte]))
        line, column, where = locate(raw, offset)
        message = (
            f"byte 0x{byte:02X} ({where}) is not {ENCODING_NAMES[closest]}, the encoding of "
            "the rest of the file (and the file is not UTF-8); save it as UTF-8"
        )
    else:
        line, column, where = locate(raw, first_bad)
        message = (
            f"byte 0x{raw[first_bad]:02X} ({where}) is neither UTF-8 nor Windows-1252, "
            "ISO-8859-15 or DOS 850 text; save the file as UTF-8"
        )
    raise DataError([Problem(path, message, line, column)])


def _best_legacy(raw: bytes) -> tuple[str | None, tuple[str, int] | None]:
    """The legacy code page that reads the bytes as plausible French text, or None and the
    closest one with the first byte value it cannot read.

    Only the frequencies of the bytes above 0x7F matter, so they are counted once (numpy
    keeps this fast on a large file) and each code page is scored on them: French letters
    count for it, characters that betray a wrong code page against it; a byte the code page
    does not define (or reads as a C1 control) rules it out.
    """
    counts = np.bincount(np.frombuffer(raw, dtype=np.uint8), minlength=256)
    present = [(byte, int(counts[byte])) for byte in range(0x80, 0x100) if counts[byte]]
    scores: dict[str, int] = {}
    spoilers: dict[str, int] = {}
    for encoding in LEGACY:
        score = 0
        for byte, count in present:
            try:
                char = bytes([byte]).decode(encoding)
            except UnicodeDecodeError:
                char = "\x80"
            if 0x80 <= ord(char) <= 0x9F:
                spoilers.setdefault(encoding, byte)
                continue
            score += count * ((char in _FRENCH) - 3 * (char in _SUSPICIOUS))
        scores[encoding] = score
    rank = {e: (scores[e], -LEGACY.index(e)) for e in LEGACY}
    readable = [e for e in LEGACY if e not in spoilers and scores[e] >= 0]
    if readable:
        return max(readable, key=rank.__getitem__), None
    spoiled = [e for e in spoilers if scores[e] > 0]
    if spoiled:
        closest = max(spoiled, key=rank.__getitem__)
        return None, (closest, spoilers[closest])
    return None, None


def check_controls(path: Path, text: str) -> None:
    """Refuse NUL and other control characters, naming their line, column and position."""
    match = _CONTROL.search(text)
    if match is None:
        return
    offset = match.start()
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    header = text.split("\n", 1)[0]
    column = column_name(header, text[start:offset])
    char = match.group()
    name = "NUL" if char == "\x00" else "control character"
    raise DataError(
        [
            Problem(
                path,
                f"{name} U+{ord(char):04X} at character {offset - start + 1} of the line: "
                "a text file holds no control characters (a binary file, or a copy-paste "
                "from another program?)",
                line,
                column,
            )
        ]
    )


def locate(raw: bytes, offset: int) -> tuple[int, str | None, str]:
    """Line, column name and a description of the byte at ``offset`` of ``raw``."""
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    header = raw.split(b"\n", 1)[0].decode("ascii", "replace")
    before = raw[start:offset].decode("ascii", "replace")
    return line, column_name(header, before), f"byte {offset - start + 1} of the line"


def column_name(header: str, before: str) -> str | None:
    """The header's name of the cell that ``before`` (the start of a line) leads into.

    The separator is the header's commonest of ``, ; tab |``; quotes are honoured, so a
    separator inside a quoted cell does not count.
    """
    header = header.lstrip("\ufeff").rstrip("\r")
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        return None
    names = [n.strip().strip('"') for n in header.split(sep)]
    position, quoted = 0, False
    for char in before:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            position += 1
    return names[position] if position < len(names) and names[position] else None
