"""Regenerate the nbval reference notebooks: ``make nbval-refs`` (review the diff, then commit).

For each (project root, year) the source chapters are executed, with ``year`` injected the
way papermill injects it, and written next to this file (``tests/nbval/<year>/``, or under the
synthetic fixture root so that its data are found). Every cell keeps its outputs, so that
``pytest --nbval`` (strict: see ``tests/conftest.py``) re-executes every cell and compares what
it shows: the narrative and the tables (``text/markdown``), the charts' text alternative with
their figures (``text/plain``), what the cells print. The representations nbval does not
compare (:data:`NOT_COMPARED`: the pictures and the interactive charts) are not stored, and
run metadata are dropped, so that the files stay small and diff cleanly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC = ROOT / "tests" / "fixtures" / "synthetic"
TARGETS = (
    (ROOT, 2016, ROOT / "tests" / "nbval" / "2016"),
    (ROOT, 2015, ROOT / "tests" / "nbval" / "2015"),
    (SYNTHETIC, 2031, SYNTHETIC / "nbval" / "2031"),
)
SANITIZE = ROOT / "tests" / "nbval" / "sanitize.cfg"
"""Regular expressions applied to both sides before nbval compares (commit, dirty state…)."""
NOT_COMPARED = (
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "application/pdf",
    "text/html",
    "application/vnd.plotly.v1+json",
)
"""A chart's pictures and its interactive version: drawn from the same data as its text
alternative (``text/plain``, compared), their bytes depend on the drawing libraries."""


def sources() -> list[Path]:
    """The report's chapter notebooks, in order (``_quarto.yml``)."""
    from cae_report.report import chapters

    return chapters.notebooks(ROOT)


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep every compared output; drop run metadata and what nbval does not compare."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill's random id would churn every diff
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        # Execution counts stay: nbval takes a cell without one for a cell never run (its
        # counts are 1, 2, 3… in every notebook, the kernel being reset between chapters).
        for output in cell.outputs:
            data = output.get("data")
            if data is not None:
                for mime in NOT_COMPARED:
                    data.pop(mime, None)
                output.get("metadata", {}).clear()
    return nb


def regenerate(root: Path, year: int, out_dir: Path) -> None:
    """Execute the chapters for ``year`` in ``out_dir`` (where nbval runs them) on one kernel."""
    from cae_report.build.execute import ChapterKernel

    out_dir.mkdir(parents=True, exist_ok=True)
    current = {source.name for source in sources()}
    for stale in sorted(out_dir.glob("*.ipynb")):
        if stale.name not in current:  # a notebook renamed or removed since the last run
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}", file=sys.stderr)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAE_REPORT")}
    with ChapterKernel(out_dir, env) as kernel:
        kernel.start()
        for source in sources():
            target = out_dir / source.name
            kernel.execute(source, target, {"year": year})
            nbformat.write(strip(nbformat.read(target, as_version=4)), target)
            print(f"wrote {target.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    for root, year, out_dir in TARGETS:
        regenerate(root, year, out_dir)
