"""The report's chapters: which files, in which order (``cae-report: chapters`` in ``_quarto.yml``).

The list mixes the cooperative's written chapters (``report/{year}/01-preambule.qmd``: a year
without its ``report/<year>/`` folder takes ``report/_template/``) and the notebooks that
compute the tables and charts placed between them. The build reads it to know what to
execute and what its keys depend on, the publishing stage to assemble the report; this module
imports only YAML, so that a no-op rebuild stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUARTO_CONFIG = "_quarto.yml"
TEMPLATE = "_template"
"""``report/_template/``: the chapters of a year whose ``report/<year>/`` does not exist."""


@dataclass(frozen=True)
class Chapter:
    """One entry of the chapter list: a written chapter (its file for the year, or the
    template's) or a notebook."""

    source: Path
    written: bool
    template: bool = False


def read_config(root: Path) -> dict[str, Any]:
    """``_quarto.yml`` as a mapping (empty when it holds none)."""
    from cae_report.config import parse_yaml

    data = parse_yaml((Path(root) / QUARTO_CONFIG).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def entries(root: Path, config: dict[str, Any] | None = None) -> list[str]:
    """The chapter list as written in ``_quarto.yml``."""
    cfg = config if config is not None else read_config(root)
    settings = cfg.get("cae-report") or {}
    names = settings.get("chapters") if isinstance(settings, dict) else None
    return [str(name) for name in names or []]


def _written(root: Path, entry: str, year: int) -> Chapter:
    own = Path(root) / entry.replace("{year}", str(year))
    if "{year}" in entry and not own.parent.is_dir():
        return Chapter(Path(root) / entry.replace("{year}", TEMPLATE), True, True)
    return Chapter(own, True)


def plan(root: Path, year: int, config: dict[str, Any] | None = None) -> list[Chapter]:
    """The report's chapters in order, written ones resolved for ``year``."""
    return [
        Chapter(Path(root) / entry, False)
        if entry.endswith(".ipynb")
        else _written(root, entry, year)
        for entry in entries(root, config)
    ]


def notebooks(root: Path, config: dict[str, Any] | None = None) -> list[Path]:
    """The chapter NOTEBOOKS in report order (what is executed)."""
    return [Path(root) / e for e in entries(root, config) if e.endswith(".ipynb")]


def sources(root: Path, year: int, config: dict[str, Any] | None = None) -> list[Path]:
    """Every file the report of ``year`` is made of, written chapters included (build key)."""
    return [chapter.source for chapter in plan(root, year, config)]
