"""What every notebook does first: check its parameters, load its year.

Papermill injects ``year``, ``engine`` and ``edition`` as data; this refuses anything but
a year with a data folder, a known rendering engine and a known edition before any of it
reaches a path or decides what is shown. A year may come as an integer (``-p year 2016``, the
build) or as four ASCII digits (``-r year 2016``: papermill's raw parameters are strings).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cae_report import config

ENGINES = ("pandoc", "quarto")
"""The renderers a build can use (``auto`` is resolved before the notebooks run)."""
EDITIONS = ("public", "internal")
"""``public``: the published report, no personal detail beyond name, activity, commune and
status. ``internal``: the board's edition (``cae-report build --internal``), with addresses."""


QUARTO_KERNEL_MARKS = ("QUARTO_FIG_FORMAT", "QUARTO_DOCUMENT_FILE")
"""Environment variables that Quarto's Jupyter engine sets for the kernels it starts."""


class InPlaceExecution(RuntimeError):
    """A chapter notebook executed by Quarto itself, which would overwrite the file."""


def refuse_in_place_execution(environ: dict[str, str] | None = None) -> None:
    """Stop a chapter notebook that Quarto executes in place (``quarto render
    notebooks/x.ipynb --execute``): Quarto writes the executed notebook over the committed
    one once every cell has run, so failing in the first cell keeps the file as committed.
    Papermill's executions (the build, the pre-render step) are not concerned."""
    env = os.environ if environ is None else environ
    document = env.get("QUARTO_DOCUMENT_FILE", "")
    if all(env.get(mark) for mark in QUARTO_KERNEL_MARKS) and document.endswith(".ipynb"):
        raise InPlaceExecution(
            f"Quarto is executing {document} in place, which would write its outputs into "
            "the committed notebook. Render the report for a year with "
            "`quarto render -P year:YYYY` (outputs in _build/quarto/) or "
            "`cae-report build --year YYYY`."
        )


def as_year(year: object) -> int:
    """``year`` as an int: an int, or four digits as a string (``papermill -r year 2016``,
    ``cae_report.load("2016")``); anything else is a TypeError that says so."""
    if isinstance(year, str) and re.fullmatch(r"[0-9]{4}", year):
        year = int(year)
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"parameter year must be an integer or four digits, got {year!r}")
    return year


def check_parameters(
    year: object,
    engine: object = "pandoc",
    edition: object = "public",
    root: Path | None = None,
) -> int:
    """The validated ``year`` parameter as an int with a ``data/raw/<year>/`` folder (None means
    the latest year with data, the default a notebook may declare; four digits as a string
    are a year too: ``papermill -r year 2016``), after checking that ``engine`` is one of
    :data:`ENGINES` and ``edition`` one of :data:`EDITIONS`."""
    if year is None:
        years = config.available_years(root)
        if not years:
            raise ValueError("no data folder at all: no latest year to default to")
        year = years[-1]
    year = as_year(year)
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"parameter engine must be one of {ENGINES}, got {engine!r}")
    if not isinstance(edition, str) or edition not in EDITIONS:
        raise ValueError(f"parameter edition must be one of {EDITIONS}, got {edition!r}")
    # Quarto executing a chapter in place would overwrite the committed notebook: stop it.
    refuse_in_place_execution()
    years = config.available_years(root)
    if year not in years:
        raise ValueError(f"no data folder for year {year} (years with data: {years})")
    return year
