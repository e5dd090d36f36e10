"""The cooperative's identity and settings (``data/cooperative.yml``).

One file per cooperative holds what code must never know: its name, legal details, the
cover's addressee and the settings that differ between cooperatives. Every stage reads it
through :func:`load`, which refuses a malformed file with its line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cae_report.config import parse_yaml
from cae_report.errors import DataError, Problem

FILE_NAME = "cooperative.yml"
REQUIRED = ("name", "report_title")
"""Keys without which no report can be titled."""


def path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load(data_dir: Path) -> dict[str, Any]:
    """The settings as a mapping; a DataError naming file, line and column when unusable."""
    file = path(data_dir)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError.one(
            file, "file not found: every project needs its cooperative.yml"
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError.one(file, f"not UTF-8 (byte {exc.start})") from None
    try:
        settings = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        column = str(mark.column + 1) if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError([Problem(file, f"invalid YAML: {problem}", line, column)]) from None
    if not isinstance(settings, dict):
        raise DataError.one(file, "expected a mapping of settings (key: value lines)", 1)
    missing = [key for key in REQUIRED if not settings.get(key)]
    if missing:
        raise DataError.one(file, f"missing setting(s): {', '.join(missing)}")
    return settings
