"""cae-report: the reproducible annual report of a Coopérative d'Activités et d'Emploi.

For the analyst, one call gives a year's clean data::

    import cae_report
    data = cae_report.load(2016)
    data.tables["movements"]      # every clean table, as a pandas DataFrame
    data.anomalies                # what the consistency rules found and corrected or flagged

Importing the package is cheap: pandas and the cleaning rules load at the first ``load``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

# nbformat imports jsonschema, which imports the checkers of string formats that are installed
# (JupyterLab's jsonschema[format-nongpl] brings them): rfc3987_syntax compiles some thirty
# Earley parsers at import, 1.4 s for every process that reads a notebook (a build, each of
# Quarto's pre- and post-render steps), and isoduration imports arrow (0.1 s). No schema the
# project validates (notebooks) uses the "iri" or "duration" formats they check, so its
# processes do without them; an already imported one is kept. Here, in the package, so that
# whatever imports nbformat after ``cae_report`` (the CLI, Quarto's steps) is spared.
for _checker in ("rfc3987_syntax", "isoduration"):
    sys.modules.setdefault(_checker, None)
del _checker

if TYPE_CHECKING:
    from cae_report.build.prepare import Prepared

__version__ = "0.1.0"
__all__ = ["__version__", "load"]


def load(year: int | str, *, root: str | Path | None = None, internal: bool = False) -> Prepared:
    """The clean data of ``year``, validated and cleaned as the report's build does it.

    Returns a :class:`~cae_report.build.prepare.Prepared`: ``.tables`` maps each table name
    (``movements``, ``income_statement``, ``key_figures``, ``training``, ``entrepreneurs``, …)
    to a DataFrame, ``.anomalies`` is the DataFrame of ``anomalies.csv`` (one row per figure
    checked: table, key, field, published, corrected, rule, action, message), ``.raw`` the
    validated tables before cleaning, ``.complete`` whether the year has every table.

    ``root``: the project folder (default: ``CAE_REPORT_ROOT`` or the folder holding
    ``_quarto.yml`` above the current one). ``internal``: keep the personal details (addresses)
    that the public report leaves out; for the board's use only.

    Raises :class:`cae_report.errors.DataError`, naming file, line and column, when the year's
    data are invalid."""
    from cae_report.build.parameters import as_year
    from cae_report.build.prepare import prepare_year

    return prepare_year(
        as_year(year), internal=internal, root=Path(root) if root is not None else None
    )
