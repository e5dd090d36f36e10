"""Render the merged notebook with Quarto (≥ 1.4): ``quarto render … --to html|typst``.

Quarto does not execute an ``.ipynb`` unless asked (and ``_quarto.yml`` says
``execute: enabled: false``), so it renders the outputs papermill stored. It picks, for each
output, the richest MIME type for the target format (``text/html`` for HTML; ``text/markdown``,
then ``image/svg+xml``, ``image/png`` for Typst), reads ``#|`` cell options natively and
numbers figures/tables with the ``language:`` labels of ``_quarto.yml``.

Why a staging folder: the report's build folder (``_build/<year>/``) starts with ``_``, and
Quarto treats such files as outside the project, so ``_quarto.yml`` would not apply. The
merged notebook is therefore rendered inside a small Quarto project made of a byte copy of
``_quarto.yml``, the files it references (our Typst partials), plotly.js as an HTML include
and a copy of the notebook whose front matter adds that include to the HTML head only.
``_quarto.yml`` stays the one place for the options.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import yaml

from cae_report.publish.assemble import QUARTO_CONFIG, RenderError
from cae_report.publish.pandoc_engine import insert_plotlyjs, plotly_header
from cae_report.report.charts import with_plotly_html

MIN_VERSION = (1, 4)
QUARTO_TIMEOUT_S = 900
PLOTLY_HEADER = "plotly-header.html"
INTERNAL_BANNER = "internal-banner.html"


def quarto_executable() -> str:
    """``quarto`` from PATH, or a RenderError that says how to do without it."""
    found = shutil.which("quarto")
    if not found:
        raise RenderError(
            "find quarto",
            "quarto is not on PATH: install Quarto >= 1.4 (https://quarto.org) or render "
            "with engine 'pandoc' (pandoc + Typst from the Python wheels)",
        )
    return found


def quarto_version(executable: str) -> tuple[int, ...]:
    """Quarto's version as a tuple, e.g. ``(1, 7, 32)``."""
    try:
        proc = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError("quarto --version", str(exc)) from None
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", proc.stdout)
    if proc.returncode != 0 or not match:
        raise RenderError("quarto --version", proc.stderr or proc.stdout)
    return tuple(int(part) for part in match.groups() if part is not None)


def _referenced_files(config: dict[str, Any]) -> list[str]:
    """Relative paths of files named in ``_quarto.yml`` (template partials, includes, CSS)."""
    names: list[str] = []
    for options in (config.get("format") or {}).values():
        if not isinstance(options, dict):
            continue
        for key in ("template-partials", "include-in-header", "css", "template"):
            value = options.get(key)
            values = value if isinstance(value, list) else [value]
            names += [v for v in values if isinstance(v, str)]
    return names


def stage_project(
    merged: Path,
    root: Path,
    config: dict[str, Any],
    stage: Path,
    internal_mark: str | None = None,
) -> Path:
    """Make the small Quarto project described in the module docstring; return the notebook.

    The staged copy of the notebook gets ``format: html: include-in-header:`` in its front
    matter (document metadata always applies, with paths relative to the document, and is
    scoped to HTML so the Typst render never sees the script); the merged notebook in the
    build folder is left as assembled.

    ``internal_mark`` (internal edition): set as the ``cae-internal`` metadata, which our
    Typst partials print on every PDF page, and shown in a banner at the top of the HTML
    (``include-before-body``, Quarto's HTML template being Quarto's own).
    """
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.copyfile(root / QUARTO_CONFIG, stage / QUARTO_CONFIG)
    for name in _referenced_files(config):
        source = root / name
        if not source.is_file():
            raise RenderError("stage quarto project", f"{QUARTO_CONFIG} names {name}: not found")
        target = stage / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    plotly_header(stage / PLOTLY_HEADER)
    # The year's figures for Quarto's own {{< var >}} shortcode (written-chapter step).
    variables = merged.parent / "_variables.yml"
    if variables.is_file():
        shutil.copyfile(variables, stage / "_variables.yml")
    nb = nbformat.read(str(merged), as_version=4)
    front = nb.cells[0] if nb.cells else None
    if front is None or front.cell_type != "raw" or not front.source.startswith("---"):
        raise RenderError("stage quarto project", f"{merged} has no YAML front matter cell")
    matter = yaml.safe_load(front.source.strip().strip("-")) or {}
    matter.setdefault("format", {}).setdefault("html", {})["include-in-header"] = [PLOTLY_HEADER]
    if internal_mark:
        from html import escape

        matter["cae-internal"] = internal_mark
        (stage / INTERNAL_BANNER).write_text(
            # Quarto's theme does not load report.css: the style is inline.
            '<p class="internal-mark" role="note" style="margin:0;padding:0.6rem 1rem;'
            'background:#8b1a1a;color:#fff;font-weight:700;text-align:center">'
            f"{escape(internal_mark)}</p>\n",
            encoding="utf-8",
        )
        matter["format"]["html"]["include-before-body"] = [INTERNAL_BANNER]
    dumped = yaml.safe_dump(matter, allow_unicode=True, sort_keys=False, width=1000)
    front.source = f"---\n{dumped}---"
    for cell in nb.cells:  # the interactive charts' divs, from their plotly JSON (HTML)
        for output in cell.get("outputs", []):
            if output.get("data"):
                output["data"] = with_plotly_html(output["data"], output.get("metadata"))
    notebook = stage / merged.name
    nbformat.write(nb, str(notebook))
    return notebook


def _quarto_render(executable: str, notebook: Path, to: str) -> Path:
    """Run ``quarto render NOTEBOOK --to TO`` in the staging project; return the output file."""
    step = f"quarto render --to {to}"
    try:
        proc = subprocess.run(
            [executable, "render", notebook.name, "--to", to, "--no-execute"],
            cwd=notebook.parent,
            capture_output=True,
            text=True,
            timeout=QUARTO_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(step, f"quarto took more than {QUARTO_TIMEOUT_S} s") from None
    except OSError as exc:
        raise RenderError(step, f"cannot run quarto: {exc}") from None
    if proc.returncode != 0:
        raise RenderError(step, f"quarto exited with {proc.returncode}:\n{proc.stderr}")
    suffix = ".html" if to == "html" else ".pdf"
    output = notebook.with_suffix(suffix)
    if not output.is_file():
        raise RenderError(
            step, f"quarto reported success but {output.name} is missing\n{proc.stderr}"
        )
    return output


def render(
    merged: Path,
    out_html: Path,
    out_pdf: Path,
    *,
    root: Path,
    config: dict[str, Any],
    tmp: Path,
    internal_mark: str | None = None,
) -> dict[str, Path]:
    """Render ``merged`` to ``out_html`` (self-contained) and ``out_pdf`` (Typst) with Quarto;
    ``internal_mark``: the internal edition's mark (see :func:`stage_project`)."""
    executable = quarto_executable()
    version = quarto_version(executable)
    if version[:2] < MIN_VERSION:
        raise RenderError(
            "quarto --version",
            f"Quarto {'.'.join(map(str, version))} is too old: the report needs >= 1.4 "
            "(Typst format, language overrides)",
        )
    notebook = stage_project(merged, root, config, tmp / "quarto", internal_mark)
    html = _quarto_render(executable, notebook, "html")
    shutil.move(str(html), out_html)
    insert_plotlyjs(out_html)
    pdf = _quarto_render(executable, notebook, "typst")
    shutil.move(str(pdf), out_pdf)
    return {"html": out_html, "pdf": out_pdf}
