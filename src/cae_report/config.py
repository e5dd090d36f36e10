"""Every path of the project, defined once.

Stages take their paths as arguments; only the CLI and the notebooks call
these helpers, so tests can point the stages at temporary folders.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser when PyYAML has it (ten times faster than the
    pure-Python one: a build reads ``_quarto.yml``, ``cooperative.yml`` and every chapter's
    front matter and cell options, 0.25 s of a cold build); same results, same errors
    (``yaml.YAMLError`` with its ``problem_mark``)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def project_root(*, from_package: bool = True) -> Path:
    """The project root: ``CAE_REPORT_ROOT`` if set, else the folder holding ``_quarto.yml``.

    Searched upwards from the current directory first (notebooks run from ``notebooks/``
    or from a build folder), then, unless ``from_package`` is false (the command line: a
    command run outside a project says so), from the package (editable install).
    """
    env = os.environ.get("CAE_REPORT_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), PACKAGE_DIR) if from_package else (Path.cwd(),):
        for folder in (start, *start.parents):
            if (folder / "_quarto.yml").is_file() and (folder / "data").is_dir():
                return folder
    raise FileNotFoundError(
        "cannot find the project root (a folder with _quarto.yml and data/); set CAE_REPORT_ROOT"
    )


def data_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data"


def raw_dir(year: int, root: Path | None = None) -> Path:
    """``data/raw/<year>/``: immutable inputs, never written by code."""
    return data_dir(root) / "raw" / str(year)


def processed_dir(year: int, root: Path | None = None) -> Path:
    """``data/processed/<year>/``: clean tables, derived, not committed."""
    return data_dir(root) / "processed" / str(year)


def reference_dir(root: Path | None = None) -> Path:
    """``data/reference/``: mappings kept as data (activity sectors, place names)."""
    return data_dir(root) / "reference"


def notebooks_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "notebooks"


def report_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "report"


def build_dir(year: int, root: Path | None = None, *, internal: bool = False) -> Path:
    """``_build/<year>/``: the year's published outputs; ``_build/<year>-interne/`` for the
    internal edition (personal details, for the board), so that it never replaces the
    public report."""
    return (root or project_root()) / "_build" / (f"{year}-interne" if internal else str(year))


YEAR_FOLDER = re.compile(r"[0-9]{4}")
"""A year folder is named with four ASCII digits: ``str.isdigit`` also accepts ``٢٠١٧`` (which
``int`` reads as 2017) and ``2016²`` (which ``int`` refuses), and ``02016`` would be 2016 twice."""


def is_year_folder(name: str) -> bool:
    return YEAR_FOLDER.fullmatch(name) is not None


def available_years(root: Path | None = None) -> list[int]:
    """Years that have a raw data folder, oldest first (other folders are ignored)."""
    raw = data_dir(root) / "raw"
    if not raw.is_dir():
        return []
    return sorted(int(p.name) for p in raw.iterdir() if p.is_dir() and is_year_folder(p.name))


def ignored_folders(root: Path | None = None) -> list[Path]:
    """Folders of ``data/raw/`` that are not year folders, so the user is told they are ignored."""
    raw = data_dir(root) / "raw"
    if not raw.is_dir():
        return []
    return sorted(p for p in raw.iterdir() if p.is_dir() and not is_year_folder(p.name))
