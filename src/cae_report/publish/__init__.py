"""Publishing: executed notebooks → one merged notebook → self-contained HTML and PDF.

The notebooks are executed once (papermill) before this stage; rendering never re-executes
them. Two interchangeable engines render the same merged notebook:

* ``quarto``: ``quarto render`` (Quarto ≥ 1.4, when installed; :mod:`.quarto_engine`);
* ``pandoc``: pandoc + Typst from Python wheels, the engines Quarto itself drives, with a Lua
  filter that emulates what Quarto does natively (:mod:`.pandoc_engine`).

Both read their options from ``_quarto.yml``, use the same HTML template, Typst partials
and CSS, and run the same two filters (``untrusted.lua``: data is text; ``typography.lua``:
the report's typography); :mod:`.html_page` finishes both pages (plotly.js, the
Content-Security-Policy) and :mod:`.check` checks both outputs before they are kept.
``quarto render`` at the project root goes through :mod:`.quarto_project`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cae_report import config as cae_config
from cae_report.data.cooperative import load as load_cooperative
from cae_report.publish import check
from cae_report.publish.assemble import (
    DRAFT_KEY,
    RenderError,
    assemble,
    chapters,
    load_config,
    stage_logo,
)

ENGINES = ("pandoc", "quarto")
INTERNAL_KEY = "cae-internal"
"""Document metadata key set on the internal edition: its value is the mark that the HTML
template (a banner at the top) and the Typst partials (a mark on every PDF page) print."""
INTERNAL_MARK = "Document interne — ne pas diffuser"
DRAFT_MARK = "Projet — chapitres à rédiger"
"""The mark of a draft: a report built while « À rédiger » paragraphs remain."""

__all__ = [
    "DRAFT_MARK",
    "ENGINES",
    "INTERNAL_KEY",
    "INTERNAL_MARK",
    "RenderError",
    "chapters",
    "edition_mark",
    "render",
]


def edition_mark(internal: bool, front: dict[str, Any]) -> str | None:
    """The mark every page of the report carries: the internal edition's, a draft's (a
    template paragraph still to write: ``front`` has :data:`DRAFT_KEY`), both, or none."""
    marks = ([INTERNAL_MARK] if internal else []) + ([DRAFT_MARK] if front.get(DRAFT_KEY) else [])
    return " · ".join(marks) or None


def render(
    executed_notebooks: list[Path],
    out_dir: Path,
    year: int,
    engine: str,
    root: Path,
    *,
    keep_intermediates: bool = False,
    internal: bool = False,
    at_once: bool = True,
) -> dict[str, Path]:
    """Render the report of ``year`` from executed notebooks (already in chapter order).

    Writes ``rapport-<year>.ipynb`` (the merged notebook), ``rapport-<year>.html`` and
    ``rapport-<year>.pdf`` into ``out_dir`` and returns their paths under the keys ``ipynb``,
    ``html`` and ``pdf``. ``root`` is the project folder holding ``_quarto.yml``. Intermediate
    files (Typst source, images, plotly.js include) are written to ``out_dir/.render-<year>/``
    and removed on success unless ``keep_intermediates``; they stay after a failure, to debug.
    ``internal``: the board's edition, marked "Document interne" on every page (metadata
    :data:`INTERNAL_KEY`, read by the templates of both engines). ``at_once``: the pandoc
    engine renders the HTML and the PDF at the same time (false: one after the other, for
    less memory while kernels still run other years' chapters).

    Before returning, the HTML and PDF are checked against the merged notebook
    (:func:`cae_report.publish.check.verify`: language, contents, captions, no code,
    self-contained, charts, the internal mark): a report that does not show what its
    notebook holds is an error, whatever the engine, and never replaces the previous one.

    Raises :class:`RenderError` naming the failed step, with pandoc's/Typst's/Quarto's stderr.
    """
    if engine not in ENGINES:
        raise RenderError("choose engine", f"unknown engine {engine!r} (expected one of {ENGINES})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = Path(root)
    config = load_config(root)
    stem = f"rapport-{year}"
    merged = out_dir / f"{stem}.ipynb"
    data_dir = cae_config.data_dir(root)
    front = assemble(
        [Path(p) for p in executed_notebooks],
        merged,
        year=year,
        config=config,
        cooperative=load_cooperative(data_dir),
        data_dir=data_dir,
    )
    tmp = out_dir / f".render-{year}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    html, pdf = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    mark = edition_mark(internal, front)
    if engine == "pandoc":
        from cae_report.publish import pandoc_engine

        meta = stage_logo({**front, **({INTERNAL_KEY: mark} if mark else {})}, data_dir, tmp)
        marks = {"config": config, "internal_mark": mark, "public_mark": INTERNAL_MARK}

        def html_step() -> list[str]:
            pandoc_engine.render_html(merged, html, config=config, front=meta, tmp=tmp)
            return check.html_problems(merged, html, **marks)

        def pdf_step() -> list[str]:
            pandoc_engine.render_pdf(merged, pdf, config=config, front=meta, tmp=tmp)
            return check.pdf_problems(merged, pdf, **marks)

        # At once: each is a pandoc (and Typst) process of its own, so on two cores the pair
        # takes the time of the longer one, each checked as soon as it is written.
        steps = _both(html_step, pdf_step) if at_once else [html_step(), pdf_step()]
        check.raise_problems([p for problems in steps for p in problems])
    else:
        from cae_report.publish import quarto_engine

        quarto_engine.render(
            merged,
            html,
            pdf,
            root=root,
            config=config,
            tmp=tmp,
            internal_mark=mark,
            data_dir=data_dir,
            keep_stage=keep_intermediates,
        )
        check.verify(
            merged, html, pdf, config=config, internal_mark=mark, public_mark=INTERNAL_MARK
        )
    if not keep_intermediates:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"ipynb": merged, "html": html, "pdf": pdf}


def _both(*steps):
    """Run ``steps`` in threads, return their results in order; the first failure is raised
    once all have ended (no file is left being written)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        futures = [pool.submit(step) for step in steps]
    return [future.result() for future in futures]
