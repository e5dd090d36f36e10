"""Content keys: what a build step reads, and one SHA-256 for it.

The cache, the prepared results and the provenance record all name the same files, so they
are listed here once: a year's raw folder, the reference files and the cooperative's settings
(:func:`year_inputs`), the same for every year up to the report's (:func:`report_inputs`),
the package code (:func:`code_digest`). Keys depend on contents and relative paths, never on
times or absolute paths, so that two copies of the project share them.

Importing this module is cheap (no pandas): a no-op rebuild computes its keys with it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cae_report import config

PACKAGE = Path(__file__).resolve().parents[1]
COOPERATIVE = "cooperative.yml"
"""``data/cooperative.yml``: the cooperative's identity and settings, read by the report."""


def file_digest(path: Path) -> str:
    """SHA-256 of one file, read in blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_digest(paths: list[Path], base: Path) -> str:
    """One digest for many files: their paths (relative to ``base``) and contents."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(base).as_posix().encode() + b"\0" + file_digest(path).encode())
    return h.hexdigest()


def files(folder: Path, patterns: tuple[str, ...] = ("*",)) -> list[Path]:
    """Files under ``folder`` matching ``patterns`` (no ``__pycache__``); none if absent."""
    if not folder.is_dir():
        return []
    return sorted(
        {
            p
            for pattern in patterns
            for p in folder.rglob(pattern)
            if p.is_file() and "__pycache__" not in p.parts
        }
    )


def chapter_paths(root: Path) -> list[Path]:
    """The chapter notebooks of ``_quarto.yml`` (``cae-report: chapters``), in report order
    (:mod:`cae_report.report.chapters`, which imports no more than YAML: importing the
    publishing stage would cost a third of a no-op rebuild)."""
    from cae_report.report import chapters

    return chapters.notebooks(root)


def report_files(root: Path, year: int) -> list[Path]:
    """Every file of the report of ``year`` that exists: its notebooks and its written
    chapters (``report/<year>/`` or the template): a changed text rebuilds the year."""
    from cae_report.report import chapters

    return [p for p in chapters.sources(root, year) if p.is_file()]


def shared_inputs(root: Path) -> list[Path]:
    """What every year reads besides its raw folder: reference files, the cooperative's
    settings."""
    shared = files(config.reference_dir(root))
    cooperative = config.data_dir(root) / COOPERATIVE
    return shared + ([cooperative] if cooperative.is_file() else [])


def year_inputs(year: int, root: Path) -> list[Path]:
    """The files one year's preparation reads: its raw folder and :func:`shared_inputs`."""
    return files(config.raw_dir(year, root)) + shared_inputs(root)


def report_inputs(year: int, root: Path) -> list[Path]:
    """The data files a report of ``year`` reads: the raw folders of every year up to
    ``year`` (comparisons, history) and :func:`shared_inputs`."""
    raw = [
        p for y in config.available_years(root) if y <= year for p in files(config.raw_dir(y, root))
    ]
    return raw + shared_inputs(root)


def data_digest(year: int, root: Path) -> str:
    """The key of the data a chapter of ``year`` can read (:func:`report_inputs`)."""
    return tree_digest(report_inputs(year, root), config.data_dir(root))


def _code_files() -> list[Path]:
    publish = PACKAGE / "publish"
    return [p for p in files(PACKAGE, ("*.py",)) if publish not in p.parents]


def code_digest(root: Path, *, publishing: bool) -> str:
    """The package code: analysis code for notebooks, publishing code for rendering.

    Publishing code (templates, filter, engines, ``_quarto.yml``, the written chapters of
    ``report/``) is kept apart so that a change of layout re-renders without re-executing
    any notebook."""
    publish = PACKAGE / "publish"
    if publishing:
        parts = [tree_digest(files(publish), publish), file_digest(root / "_quarto.yml")]
        local = root / "src" / "cae_report" / "publish"
        if local.is_dir() and local.resolve() != publish:
            parts.append(tree_digest(files(local), local))
        written = config.report_dir(root)
        parts.append(tree_digest(files(written), written))
    else:
        parts = [tree_digest(_code_files(), PACKAGE)]
        lock = root / "requirements.lock"
        parts.append(file_digest(lock) if lock.is_file() else "")
    return hashlib.sha256("".join(parts).encode()).hexdigest()


_PREPARE_CODE: str | None = None


def prepare_code_digest() -> str:
    """The code that validates and cleans a year (the whole package but publishing), once per
    process: a kernel checks every prepared result it reads against it."""
    global _PREPARE_CODE
    if _PREPARE_CODE is None:
        _PREPARE_CODE = tree_digest(_code_files(), PACKAGE)
    return _PREPARE_CODE


def prepared_key(year: int, root: Path, internal: bool) -> str:
    """The content key of a year's prepared result: its inputs and those of the years before
    it (its rules compare with the previous year, prepared the same way), the code, the
    edition."""
    inputs = tree_digest(report_inputs(year, root), config.data_dir(root))
    payload = json.dumps([year, inputs, prepare_code_digest(), internal])
    return hashlib.sha256(payload.encode()).hexdigest()
