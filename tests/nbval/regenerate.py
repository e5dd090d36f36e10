"""Regenerate the nbval reference notebooks: ``make nbval-refs``.

For each (project root, year) the source notebooks are executed with papermill and
written next to this file (``tests/nbval/<year>/``, or under the synthetic fixture
root so that its data are found). Only the outputs of the key-figure cells
(``# NBVAL_CHECK_OUTPUT``) are kept: ``pytest --nbval-lax`` re-executes every cell of
these notebooks and compares those outputs. Review the diff before committing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC = ROOT / "tests" / "fixtures" / "synthetic"
TARGETS = (
    (ROOT, 2016, ROOT / "tests" / "nbval" / "2016"),
    (ROOT, 2015, ROOT / "tests" / "nbval" / "2015"),
    (SYNTHETIC, 2031, SYNTHETIC / "nbval" / "2031"),
)
MARKER = "NBVAL_CHECK_OUTPUT"


def sources() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only the checked outputs; drop run metadata so the files diff cleanly."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill's random id would churn every diff
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            if MARKER not in cell.source:
                cell.outputs = []
                cell.execution_count = None
    return nb


def regenerate(root: Path, year: int, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    current = {source.name for source in sources()}
    for stale in sorted(out_dir.glob("*.ipynb")):
        if stale.name not in current:  # a notebook renamed or removed since the last run
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}", file=sys.stderr)
    for source in sources():
        target = out_dir / source.name
        pm.execute_notebook(
            str(source),
            str(target),
            parameters={"year": year},
            cwd=str(out_dir),
            kernel_name="python3",
            progress_bar=False,
        )
        nbformat.write(strip(nbformat.read(target, as_version=4)), target)
        print(f"wrote {target.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    for root, year, out_dir in TARGETS:
        regenerate(root, year, out_dir)
