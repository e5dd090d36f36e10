"""Render the merged notebook with Quarto (≥ 1.4): ``quarto render … --to html|typst``.

Quarto does not execute an ``.ipynb`` unless asked (and ``_quarto.yml`` says
``execute: enabled: false``), so it renders the outputs papermill stored. It reads ``#|`` cell
options natively, hides the code (``echo: false``), numbers figures and tables with the
``language:`` labels of ``_quarto.yml``, formats the date in French, and runs our two shared
filters (``untrusted.lua``, ``typography.lua``) and our templates: the same design as the
pandoc path, which emulates the rest.

Quarto renders inside a small Quarto project made for the build (:func:`stage_project`):

* a folder without any hidden component in its path: Quarto skips every path with a folder
  that starts with a dot (``kSkipHidden`` in Quarto's ``src/core/path.ts``), so a project
  under ``_build/.tmp-…/`` would not read its ``_quarto.yml``; and outside ``_build/``, whose
  ``_`` would put the notebook outside the project;
* ``_quarto.yml`` as the project's, without the settings of the project-root render
  (``pre-render``/``post-render`` scripts, ``render`` list, ``output-dir``: see
  :mod:`cae_report.publish.quarto_project`), with the files it names (filters, templates,
  partials, CSS);
* one copy of the notebook per format (:func:`stage_notebooks`), each holding only what
  that format shows, as the pandoc path does. For HTML, a chart's ``text/html`` becomes a
  markdown output holding the chart as raw HTML in a trusted div (``untrusted.lua``):
  Quarto adds require.js and jQuery from a CDN to any page with a ``text/html`` output
  (``src/core/jupyter/widgets.ts``), which a self-contained report cannot have.
"""

from __future__ import annotations

import copy
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import yaml

from cae_report.config import parse_yaml
from cae_report.publish import html_page
from cae_report.publish.assemble import QUARTO_CONFIG, RenderError, is_chart_html, stage_logo
from cae_report.report.mime import with_plotly_html

MIN_VERSION = (1, 4)
TESTED_VERSIONS = ("1.7.34",)
"""Quarto versions the test suite runs against (``.ci/run``), with the pandoc they bundle:
1.7.34 bundles pandoc 3.6.x (3.6.3; the offline kit of ``../shared/quarto`` builds it with
3.6.1) and Typst 0.13. The pandoc path uses pypandoc-binary's pandoc 3.9."""
QUARTO_TIMEOUT_S = 900
PLOTLY_HEADER = "plotly-header.html"
ROOT_ONLY_PROJECT_KEYS = ("pre-render", "post-render", "render", "output-dir")
"""``project:`` settings of the render at the project root, not of a build's staging."""
FORMATS = {"html": ".html", "typst": ".pdf"}


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
    """Quarto's version as a tuple, e.g. ``(1, 7, 34)``."""
    try:
        proc = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError("quarto --version", str(exc)) from None
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", proc.stdout)
    if proc.returncode != 0 or not match:
        raise RenderError("quarto --version", proc.stderr or proc.stdout)
    return tuple(int(part) for part in match.groups() if part is not None)


def referenced_files(config: dict[str, Any]) -> list[str]:
    """Relative paths of the files ``_quarto.yml`` names: filters, templates, partials, CSS."""
    names: list[str] = []

    def add(value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, dict):
                item = item.get("path")
            if isinstance(item, str) and item not in names:
                names.append(item)

    add(config.get("filters"))
    for options in (config.get("format") or {}).values():
        if isinstance(options, dict):
            for key in ("template-partials", "include-in-header", "css", "template", "filters"):
                add(options.get(key))
    return names


def stage_config(config: dict[str, Any]) -> dict[str, Any]:
    """``_quarto.yml`` for a build's staging project: the project's, minus the settings of
    the render at the project root (its pre-render step would build the report again)."""
    staged = copy.deepcopy(config)
    project = dict(staged.get("project") or {})
    for key in ROOT_ONLY_PROJECT_KEYS:
        project.pop(key, None)
    staged["project"] = project or {"type": "default"}
    return staged


def staging_parent(*candidates: Path) -> Path:
    """A folder to stage in whose absolute path has no hidden component (see the module
    docstring): the system's temporary folder, else the first candidate that qualifies."""
    for folder in (Path(tempfile.gettempdir()), *candidates):
        resolved = folder.resolve()
        if resolved.is_dir() and not any(part.startswith(".") for part in resolved.parts):
            return resolved
    raise RenderError(
        "stage quarto project",
        "no folder without a hidden (dot) component to render in: Quarto ignores such "
        "paths; set TMPDIR to one",
    )


def _escape_attribute(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def chart_markdown(html: str, alt: str, nonce: str) -> str:
    """A chart's HTML as a markdown output: raw HTML in a div that untrusted.lua trusts, with
    the accessible name the pandoc path gives its charts (quarto_options.lua)."""
    ticks = "`" * max(3, max((len(run) for run in re.findall(r"`+", html)), default=0) + 1)
    label = f' role="group" aria-label="{_escape_attribute(alt)}"' if alt.strip() else ""
    return (
        f"::: {{.cae-chart .cae-trusted-{nonce}{label}}}\n{ticks}{{=html}}\n{html}\n{ticks}\n:::\n"
    )


def _plain(data: dict[str, Any]) -> str:
    value = data.get("text/plain", "")
    return "".join(value) if isinstance(value, list) else str(value)


def _for_html(nb: Any, nonce: str) -> Any:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            # the interactive chart's div, drawn from its plotly JSON (the charts' outputs
            # carry no text/html: cae_report.report.charts.output)
            data = with_plotly_html(output.get("data") or {}, output.get("metadata"))
            html = data.get("text/html")
            if html is None:
                continue
            text = "".join(html) if isinstance(html, list) else str(html)
            if not is_chart_html(text):
                raise RenderError("stage quarto project", f"cell {cell.id}: text/html not a chart")
            output["data"] = {
                "text/markdown": chart_markdown(text, _plain(data), nonce),
                "text/plain": _plain(data),
            }
            output["metadata"] = {}
    return nb


_TYPST_MIME = ("text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/plain")


def _for_typst(nb: Any) -> Any:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data:
                output["data"] = {k: v for k, v in data.items() if k in _TYPST_MIME}
    return nb


def _front(nb: Any, merged: Path) -> tuple[Any, dict[str, Any]]:
    front = nb.cells[0] if nb.cells else None
    if front is None or front.cell_type != "raw" or not front.source.startswith("---"):
        raise RenderError("stage quarto project", f"{merged} has no YAML front matter cell")
    return front, parse_yaml(front.source.strip().strip("-")) or {}


def stage_notebooks(
    merged: Path,
    folder: Path,
    *,
    internal_mark: str | None = None,
    output_stem: str | None = None,
    data_dir: Path | None = None,
    nonce: str | None = None,
) -> dict[str, Path]:
    """Write the copies of ``merged`` that Quarto renders, one per format, into ``folder``
    with the plotly.js head include; return them by format (``html``, ``typst``).

    Each copy's front matter names its one format (so that ``quarto render`` of the folder
    renders each copy once), the trust nonce for the charts (HTML) and, for the internal
    edition, the ``cae-internal`` mark that both templates print (the HTML cover, every PDF
    page). ``output_stem``: the name of the outputs (``output-file``), else the copies' own.
    ``data_dir``: where the cover's logo is (copied next to the copies). ``nonce``: the
    charts' trust nonce (hexadecimal, at least 16 digits), drawn at random when not given.
    """
    folder.mkdir(parents=True, exist_ok=True)
    html_page.plotly_header(folder / PLOTLY_HEADER)
    stem = merged.stem
    staged: dict[str, Path] = {}
    for fmt in FORMATS:
        nb = nbformat.read(str(merged), as_version=4)
        front, matter = _front(nb, merged)
        if data_dir is not None:
            matter = stage_logo(matter, data_dir, folder)
        if fmt == "html":
            trust = nonce or secrets.token_hex(16)
            if not re.fullmatch(r"[0-9a-f]{16,}", trust):
                raise RenderError("stage quarto project", "the trust nonce must be hexadecimal")
            nb = _for_html(nb, trust)
            matter["cae-trust"] = trust
            matter["format"] = {"html": {"include-in-header": [PLOTLY_HEADER]}}
        else:
            nb = _for_typst(nb)
            matter["format"] = {"typst": {}}
        if internal_mark:
            matter["cae-internal"] = internal_mark
        if output_stem:
            matter["output-file"] = output_stem
        front.source = (
            "---\n"
            + yaml.safe_dump(matter, allow_unicode=True, sort_keys=False, width=1000)
            + "---"
        )
        path = folder / f"{stem}-{fmt}.ipynb"
        nbformat.write(nb, str(path))
        staged[fmt] = path
    return staged


def stage_project(
    merged: Path,
    root: Path,
    config: dict[str, Any],
    stage: Path,
    internal_mark: str | None = None,
    data_dir: Path | None = None,
) -> dict[str, Path]:
    """Make the small Quarto project described in the module docstring in ``stage``; return
    the notebooks to render, by format. ``internal_mark``: the internal edition's mark;
    ``data_dir``: the folder of the cooperative's settings (its logo)."""
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    (stage / QUARTO_CONFIG).write_text(
        "# Staged by cae_report.publish.quarto_engine from the project's _quarto.yml.\n"
        + yaml.safe_dump(stage_config(config), allow_unicode=True, sort_keys=False, width=1000),
        encoding="utf-8",
    )
    for name in referenced_files(config):
        source = root / name
        if not source.is_file():
            raise RenderError("stage quarto project", f"{QUARTO_CONFIG} names {name}: not found")
        target = stage / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    # The year's figures for Quarto's own {{< var >}} shortcode (written chapters left
    # unresolved by a hand-made merged notebook).
    variables = merged.parent / "_variables.yml"
    if variables.is_file():
        shutil.copyfile(variables, stage / "_variables.yml")
    return stage_notebooks(
        merged, stage, internal_mark=internal_mark, output_stem=merged.stem, data_dir=data_dir
    )


def _quarto_render(executable: str, notebook: Path, to: str, keep: bool = False) -> Path:
    """Run ``quarto render NOTEBOOK --to TO`` in its project; return the output file.
    ``keep``: keep the Typst source next to the notebook (to debug)."""
    step = f"quarto render --to {to}"
    env = {k: v for k, v in os.environ.items() if k != "QUARTO_PROFILE"}
    extra = ["-M", "keep-typ:true"] if keep and to == "typst" else []
    try:
        proc = subprocess.run(
            [executable, "render", notebook.name, "--to", to, "--no-execute", *extra],
            cwd=notebook.parent,
            capture_output=True,
            text=True,
            timeout=QUARTO_TIMEOUT_S,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(step, f"quarto took more than {QUARTO_TIMEOUT_S} s") from None
    except OSError as exc:
        raise RenderError(step, f"cannot run quarto: {exc}") from None
    if proc.returncode != 0:
        raise RenderError(step, f"quarto exited with {proc.returncode}:\n{proc.stderr}")
    output = notebook.parent / (output_stem(notebook) + FORMATS[to])
    if not output.is_file():
        raise RenderError(
            step, f"quarto reported success but {output.name} is missing\n{proc.stderr}"
        )
    return output


def output_stem(notebook: Path) -> str:
    """The name Quarto gives the outputs of a staged notebook (its ``output-file``)."""
    nb = nbformat.read(str(notebook), as_version=4)
    _, matter = _front(nb, notebook)
    return str(matter.get("output-file") or notebook.stem)


def check_version(executable: str) -> tuple[int, ...]:
    version = quarto_version(executable)
    if version[:2] < MIN_VERSION:
        raise RenderError(
            "quarto --version",
            f"Quarto {'.'.join(map(str, version))} is too old: the report needs >= 1.4 "
            "(Typst format, language overrides)",
        )
    return version


def render(
    merged: Path,
    out_html: Path,
    out_pdf: Path,
    *,
    root: Path,
    config: dict[str, Any],
    tmp: Path,
    internal_mark: str | None = None,
    data_dir: Path | None = None,
    keep_stage: bool = False,
) -> dict[str, Path]:
    """Render ``merged`` to ``out_html`` (self-contained) and ``out_pdf`` (Typst) with Quarto;
    ``internal_mark``: the internal edition's mark. The staging project is made in a new
    folder (mode 0700: the internal edition's notebooks hold addresses) and removed after,
    unless ``keep_stage`` (then moved to ``tmp/quarto``, with Quarto's Typst source, to
    debug)."""
    executable = quarto_executable()
    check_version(executable)
    parent = staging_parent(Path(root), Path(tmp))
    stage = Path(tempfile.mkdtemp(prefix=f"cae-report-quarto-{merged.stem}-", dir=parent))
    try:
        notebooks = stage_project(
            merged, Path(root), config, stage / "project", internal_mark, data_dir
        )
        # Both formats at once, each in its own copy of the project: a render writes the
        # project's .quarto/ folder, which two renders of one project would share.
        typst_project = stage / "project-typst"
        shutil.copytree(stage / "project", typst_project)
        with ThreadPoolExecutor(max_workers=2) as pool:
            html = pool.submit(_quarto_render, executable, notebooks["html"], "html")
            typst = typst_project / notebooks["typst"].name
            pdf = pool.submit(_quarto_render, executable, typst, "typst", keep=keep_stage)
            html_file, pdf_file = html.result(), pdf.result()
        shutil.move(str(html_file), out_html)
        html_page.finish(out_html)
        shutil.move(str(pdf_file), out_pdf)
    finally:
        if keep_stage:
            target = Path(tmp) / "quarto"
            shutil.rmtree(target, ignore_errors=True)
            kept = stage / "project-typst"
            shutil.move(str(kept if kept.is_dir() else stage / "project"), target)
        shutil.rmtree(stage, ignore_errors=True)
    return {"html": out_html, "pdf": out_pdf}
