"""What every notebook does first: check its parameters, load its year.

Papermill injects ``year`` as data; this refuses anything but an integer year with
a data folder before any of it reaches a path.
"""

from __future__ import annotations

from pathlib import Path

from . import config


def check_parameters(year: object, root: Path | None = None) -> int:
    """The validated ``year`` parameter (an int with a ``data/raw/<year>/`` folder)."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"parameter year must be an integer, got {year!r}")
    years = config.available_years(root)
    if year not in years:
        raise ValueError(f"no data folder for year {year} (years with data: {years})")
    return year
