"""Render the merged notebook without Quarto: pandoc for HTML, pandoc + Typst for the PDF.

These are the engines Quarto itself drives, so the report looks the same whichever renderer
built it. Pandoc comes from the ``pypandoc-binary`` wheel and Typst from the ``typst`` wheel
(compiled in a process of its own), so nothing needs installing on the machine.

Format options are read from ``_quarto.yml`` (the one place for them) and translated: the keys
that are pandoc flags (``toc``, ``number-sections``, ``embed-resources``) become flags, the
rest become pandoc metadata, which our templates read as variables. The notebook-specific
behaviour (cell options, MIME choice, cross-references) is in ``quarto_options.lua``; the
project's own typography is in ``typography.lua``, which Quarto runs as well.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from cae_report.publish import html_page
from cae_report.publish.assemble import RenderError
from cae_report.report.mime import with_plotly_html

PUBLISH_DIR = Path(__file__).resolve().parent
LUA_FILTER = PUBLISH_DIR / "quarto_options.lua"
"""The emulation of what Quarto does natively (cell options, MIME choice, captions,
cross-references); it applies the data-safety rules of ``untrusted.lua`` as it reads outputs."""
TYPOGRAPHY_FILTER = PUBLISH_DIR / "typography.lua"
"""The report's own typography, the filter Quarto runs too (``filters:`` in _quarto.yml)."""
HTML_TEMPLATE = PUBLISH_DIR / "template.html"
HTML_CSS = PUBLISH_DIR / "report.css"
TYPST_TEMPLATE = PUBLISH_DIR / "template.typ"

READER = "ipynb+raw_markdown"
"""Markdown cells come raw, and the filter parses them (and text/markdown outputs) with pandoc's
full markdown reader, as Quarto does (citations for ``@fig-x``, footnotes, divs)."""

PANDOC_TIMEOUT_S = 300

PDF_STANDARDS = ["ua-1"]
"""The PDF is tagged and checked by Typst against PDF/UA-1 (accessible PDF): it refuses to
compile a document without a title, a language, alt text on every image or a sound structure
(tests/test_accessibility.py checks the result with pdfinfo)."""

# Keys of _quarto.yml that are Quarto's own business, not document metadata.
_NOT_METADATA = {"project", "format", "cae-report", "jupyter", "engine", "knitr", "filters"}
# Format options that are pandoc command-line flags or Quarto-only, not template variables.
_NOT_VARIABLES = {
    "toc",
    "toc-depth",
    "number-sections",
    "embed-resources",
    "self-contained",
    "theme",
    "template",
    "template-partials",
    "include-in-header",
    "keep-typ",
    "toc-location",
    "minimal",
    "css",
}


def pandoc_executable() -> str:
    """The pandoc binary shipped in the pypandoc-binary wheel (else one on PATH)."""
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        found = shutil.which("pandoc")
        if found:
            return found
    raise RenderError("find pandoc", "pandoc not found: install pypandoc-binary")


def french_date(iso: str) -> str:
    """``2025-06-01`` → ``1er juin 2025``, as printed on the cover (Quarto's date-format long)."""
    from cae_report.fr import fmt_date

    return fmt_date(dt.date.fromisoformat(iso))


def pandoc_settings(
    config: dict[str, Any], fmt: str, front: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Translate ``_quarto.yml`` (+ the front matter) into pandoc metadata and flags for ``fmt``.

    ``fmt`` is a key of ``format:`` (``html`` or ``typst``). Returns ``(metadata, flags)``.
    """
    options: dict[str, Any] = dict((config.get("format") or {}).get(fmt) or {})
    meta: dict[str, Any] = {k: v for k, v in config.items() if k not in _NOT_METADATA}
    meta.update({k: v for k, v in options.items() if k not in _NOT_VARIABLES})
    meta.update(front)
    language = config.get("language") or {}
    if isinstance(language, dict) and language.get("toc-title-document"):
        meta["toc-title"] = language["toc-title-document"]
    if front.get("date"):
        meta["date"] = french_date(str(front["date"]))
    flags: list[str] = []
    if options.get("toc"):
        flags.append("--toc")
        flags.append(f"--toc-depth={int(options.get('toc-depth', 3))}")
    if options.get("number-sections") and fmt == "html":
        flags.append("--number-sections")
    if fmt == "html" and (options.get("embed-resources") or options.get("self-contained")):
        flags.append("--embed-resources")
    return meta, flags


def _run_pandoc(step: str, args: list[str], cwd: Path) -> None:
    command = [pandoc_executable(), *args]
    try:
        proc = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=PANDOC_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise RenderError(step, f"pandoc took more than {PANDOC_TIMEOUT_S} s") from None
    except OSError as exc:
        raise RenderError(step, f"cannot run pandoc: {exc}") from None
    if proc.returncode != 0:
        raise RenderError(step, f"pandoc exited with {proc.returncode}:\n{proc.stderr}")
    if proc.stderr.strip():
        for line in proc.stderr.strip().splitlines():
            print(f"[{step}] {line}", file=sys.stderr)


def _write_metadata(path: Path, meta: dict[str, Any]) -> Path:
    path.write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=True, width=1000), encoding="utf-8"
    )
    return path


# Per format, the MIME types an output may show, best first (Quarto's order). Pandoc parses
# every representation it is given before the filter picks one: handing it only the chosen
# one (and the alt text) cuts its memory from about 1 GB to a fraction of that.
MIME_PRIORITY = {
    "html": ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg"),
    "typst": ("text/markdown", "image/svg+xml", "image/png", "image/jpeg"),
}


def for_format(merged: Path, fmt: str, tmp: Path) -> Path:
    """A copy of the merged notebook whose outputs keep one representation for ``fmt``."""
    nb = json.loads(merged.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            if fmt == "html":  # the interactive chart's div, from its plotly JSON
                data = with_plotly_html(data, output.get("metadata"))
            best = next((m for m in MIME_PRIORITY[fmt] if m in data), None)
            output["data"] = {m: v for m, v in data.items() if m in (best, "text/plain")}
    path = tmp / f"{merged.stem}.{fmt}.ipynb"
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


def render_html(
    merged: Path, out_html: Path, *, config: dict[str, Any], front: dict[str, Any], tmp: Path
) -> Path:
    """Self-contained HTML: interactive plotly charts, plotly.js once in the head, no CDN,
    a Content-Security-Policy (:mod:`cae_report.publish.html_page`)."""
    tmp.mkdir(parents=True, exist_ok=True)
    meta, flags = pandoc_settings(config, "html", front)
    meta_file = _write_metadata(tmp / "metadata-html.yml", meta)
    header = html_page.plotly_header(tmp / "plotly-header.html")
    args = [
        str(for_format(merged, "html", tmp)),
        f"--from={READER}",
        "--to=html5",
        "--standalone",
        f"--template={HTML_TEMPLATE}",
        f"--css={HTML_CSS}",
        "--ipynb-output=all",
        f"--lua-filter={LUA_FILTER}",
        f"--lua-filter={TYPOGRAPHY_FILTER}",
        f"--metadata-file={meta_file}",
        f"--include-in-header={header}",
        "--wrap=none",
        *flags,
        f"--output={out_html}",
    ]
    _run_pandoc("pandoc → html", args, cwd=tmp)
    return html_page.finish(out_html)


def _epoch(iso: str | None) -> int | None:
    if not iso:
        return None
    day = dt.date.fromisoformat(str(iso))
    return int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp())


def render_pdf(
    merged: Path, out_pdf: Path, *, config: dict[str, Any], front: dict[str, Any], tmp: Path
) -> Path:
    """PDF through Typst: pandoc writes the Typst source, the typst module compiles it.

    Only the fonts embedded in Typst are used (system fonts ignored), so the PDF is the same
    on every machine; its date comes from the metadata, so two renders give the same bytes.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    meta, flags = pandoc_settings(config, "typst", front)
    meta["cae-media-dir"] = str(tmp / "media")
    meta_file = _write_metadata(tmp / "metadata-typst.yml", meta)
    source = tmp / f"{out_pdf.stem}.typ"
    args = [
        str(for_format(merged, "typst", tmp)),
        f"--from={READER}",
        "--to=typst",
        "--standalone",
        f"--template={TYPST_TEMPLATE}",
        "--ipynb-output=all",
        f"--lua-filter={LUA_FILTER}",
        f"--lua-filter={TYPOGRAPHY_FILTER}",
        f"--metadata-file={meta_file}",
        "--extract-media=media",
        "--wrap=preserve",
        *flags,
        f"--output={source}",
    ]
    _run_pandoc("pandoc → typst", args, cwd=tmp)
    options = {
        "output": str(out_pdf),
        "root": str(tmp),
        "ignore_system_fonts": True,
        "timestamp": _epoch(front.get("date-iso")),
        "pdf_tags": True,
        "pdf_standards": PDF_STANDARDS,
    }
    compile_typst(source, options)
    return out_pdf


def compile_typst(source: Path, options: dict[str, Any]) -> None:
    """``typst.compile(source, **options)`` in a process of its own: Typst's fonts and layout
    (about 100 MiB) are given back when it ends, instead of staying in the build's process
    while its kernels run other years. A failure is a :class:`RenderError` with Typst's
    diagnostics."""
    proc = subprocess.run(
        [sys.executable, "-c", _TYPST_COMPILE, str(source), json.dumps(options)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:  # typst.TypstError and friends carry the diagnostics
        raise RenderError("typst compile", f"{source}:\n{proc.stderr.strip()}")


_TYPST_COMPILE = """\
import json, sys
import typst
try:
    typst.compile(sys.argv[1], **json.loads(sys.argv[2]))
except Exception as exc:
    sys.exit(str(exc))
"""
