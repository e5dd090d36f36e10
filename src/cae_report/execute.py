"""Execute one parameterised notebook with papermill, in its own process.

The build runs one such process per notebook (papermill has no kernel reuse and
notebooks of a year are independent), so a failure names its notebook and cell
in one line instead of a traceback.

    python -m cae_report.execute SOURCE.ipynb OUTPUT.ipynb YEAR
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def execute(source: Path, output: Path, year: int, cwd: Path) -> None:
    """Run ``source`` with ``year`` injected; raise RuntimeError naming the failing cell."""
    try:
        pm.execute_notebook(
            str(source),
            str(output),
            parameters={"year": year},
            kernel_name="python3",
            cwd=str(cwd),
            progress_bar=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        where = f"cell {exc.exec_count} ({cell_label(exc.source)})"
        raise RuntimeError(f"{source.name}, {where}: {exc.ename}: {exc.evalue}") from None


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    source, output, year = Path(args[0]), Path(args[1]), int(args[2])
    try:
        execute(source, output, year, cwd=source.parent)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
