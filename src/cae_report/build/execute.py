"""Execute one parameterised notebook with papermill, in its own process.

The build runs one such process per notebook (papermill has no kernel reuse and
notebooks of a year are independent), so a failure names its notebook and cell
in one line instead of a traceback.

    python -m cae_report.build.execute SOURCE.ipynb OUTPUT.ipynb PARAMETERS_JSON

with the build's parameters, e.g. ``{"year": 2016, "engine": "pandoc", "edition": "public"}``.

Run times that papermill and nbclient record are removed from the executed copy, so
the same inputs give the same bytes (reproducible builds, content-keyed cache).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import papermill as pm
from papermill.exceptions import PapermillExecutionError


def cell_label(source: str) -> str:
    """The ``#| label:`` of a cell, or its first line of code, to name it in messages."""
    lines = source.strip().splitlines()
    for line in lines:
        if line.startswith("#| label:"):
            return line.split(":", 1)[1].strip()
    code = [ln for ln in lines if not ln.startswith("#")]
    return (code or [""])[0][:60]


def strip_run_times(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop start/end times, durations and random ids: they change at every run, the
    results do not."""
    paper = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        paper.pop(key, None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id
        cell.metadata.pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            cell.metadata.get("papermill", {}).pop(key, None)
    return nb


def execute(source: Path, output: Path, parameters: dict, cwd: Path) -> None:
    """Run ``source`` with ``parameters`` injected; raise RuntimeError naming the failing cell."""
    try:
        pm.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(cwd),
            progress_bar=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        where = f"cell {exc.exec_count} ({cell_label(exc.source)})"
        raise RuntimeError(f"{source.name}, {where}: {exc.ename}: {exc.evalue}") from None
    nbformat.write(strip_run_times(nbformat.read(output, as_version=4)), output)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    source, output, parameters = Path(args[0]), Path(args[1]), json.loads(args[2])
    if not isinstance(parameters.get("year"), int):
        print("error: parameters must hold an integer year", file=sys.stderr)
        return 2
    try:
        execute(source, output, parameters, cwd=source.parent)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
