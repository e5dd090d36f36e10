"""A chart of the report: its specification, the data behind it, and its two drawings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from cae_report.report.charts.spec import ChartSpec

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.figure import Figure


@dataclass(frozen=True, eq=False)
class Chart:
    """One chart: the :class:`~.spec.ChartSpec` both backends draw, and the table it shows.

    ``name`` is a stable id (``movements-monthly``): it names the figure in the notebook's
    output and the HTML ``div``, so that a rebuild gives identical bytes. ``alt`` is the
    sentence a screen reader (and the notebook's text output) gets instead of the picture.
    The drawings are made when first asked for.
    """

    spec: ChartSpec
    data: pd.DataFrame

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def alt(self) -> str:
        return self.spec.alt

    @cached_property
    def mpl(self) -> Figure:
        """The static figure (matplotlib), for the PDF and wherever plotly cannot run."""
        from cae_report.report.charts import mpl

        return mpl.draw(self.spec)

    @cached_property
    def plotly_json(self) -> dict[str, Any]:
        """The interactive figure as plotly JSON (``data``, ``layout``): what the notebook
        output carries, for JupyterLab and the HTML report."""
        from cae_report.report.charts import plotly

        return plotly.draw(self.spec)

    @cached_property
    def plotly(self) -> go.Figure:
        """The interactive figure as a plotly ``Figure``, every property validated: for the
        analyst who changes it."""
        import plotly.graph_objects as go

        return go.Figure(self.plotly_json)


def require_columns(df: pd.DataFrame, columns: Iterable[str], chart: str) -> None:
    """Fail early, naming what is missing, rather than with a KeyError deep in the drawing."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{chart}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{chart}: missing column(s): {', '.join(missing)}")
    if df.empty:
        raise ValueError(f"{chart}: no rows to plot")
