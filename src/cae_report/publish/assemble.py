"""Merge the executed chapter notebooks into the one notebook both renderers read.

Quarto and pandoc both render a single ``rapport-<year>.ipynb`` made here, so that the two
engines see exactly the same cells and outputs:

* a leading raw cell holds the YAML front matter: the title and the cover (the cooperative's
  identity and the report's addressee, from ``data/cooperative.yml``), the subtitle and the
  dates of the year; the format options stay in ``_quarto.yml``;
* the papermill ``parameters`` / ``injected-parameters`` cells are dropped;
* debugging noise (stdout/stderr streams, ``execute_result``, errors) is removed unless the
  cell's options ask for it, because Quarto would otherwise print it;
* a code cell left without output is removed, so that no engine prints the caption of a
  table or figure that the year does not have (or that the edition leaves out);
* outputs are data, never markup: a ``text/html`` output is kept only when it is a chart
  drawn by plotly (whose JSON escapes ``<``, ``>`` and ``/``), ``application/javascript``
  outputs are dropped, a line of a ``text/markdown`` output that would open or close a
  fenced div or code block (``:::``, three backticks or tildes) is escaped so that it cannot
  leave Quarto's output wrapper, ``<!--`` is escaped (it would hide what follows), and
  ``output: asis`` (which would paste the output into
  the document unwrapped) is not kept; the renderers' ``untrusted.lua`` does the rest;
* each chart gets a ``#| fig-alt:`` option from its ``text/plain`` alt text (Quarto puts
  ``fig-alt`` on the image; our Lua filter reads the same option), and its plotly ``<div>`` id
  is prefixed with ``plotly-`` so that it cannot clash with the figure's own id (the
  ``fig-…`` label): two elements with one id would make ``Plotly.newPlot`` draw into the
  ``<figure>`` instead of the chart's ``<div>``;
* the output is deterministic: papermill/nbclient timestamps and execution counts are
  removed and cell ids are derived from the position (chapter, cell), so the same executed
  notebooks always give the same bytes.

The chapter list (``cae-report: chapters`` in ``_quarto.yml``) mixes the cooperative's written
chapters (``report/{year}/01-preambule.qmd``) and the notebooks that compute the tables and
charts. The written-chapter step (:func:`write_written_chapters`) resolves the written ones
into one-cell notebooks, placeholders replaced by the year's figures
(:mod:`cae_report.report.variables`), so that both engines render the same text;
:func:`in_report_order` then interleaves them with the executed notebooks. A year without
its ``report/<year>/`` folder is written from ``report/_template/``, its « À rédiger »
paragraphs shown and reported.

This module also holds what both engines share: reading ``_quarto.yml``, the cell-option
parser and :class:`RenderError`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import yaml

from cae_report.config import parse_yaml
from cae_report.report import chapters as report_chapters
from cae_report.report.chapters import TEMPLATE, Chapter, plan

QUARTO_CONFIG = "_quarto.yml"
_OPTION_LINE = re.compile(r"^#\|\s?(.*)$")
_PLOTLY_DIV = re.compile(r'<div id="([^"]+)" class="plotly-graph-div"')
_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}
_PLOTLY_CHART = re.compile(
    r"""\A\s*<div(?:\ style="[^"<>]*")?>\s*
    <div\ id="[A-Za-z0-9_-]+"\ class="plotly-graph-div"\ style="[^"<>]*"></div>\s*
    <script(?:\ type="text/javascript")?>[^<]*</script>\s*
    </div>\s*\Z""",
    re.VERBOSE | re.IGNORECASE,
)
"""What a chart's ``text/html`` output is (plotly's ``to_html(full_html=False)``): the only
raw HTML a notebook output may carry. Plotly writes the data as JSON with ``<``, ``>`` and
``/`` escaped, so no value can close the script or open a tag."""
_FENCE = re.compile(r"^( {0,3})(:{3,}|`{3,}|~{3,})", re.MULTILINE)
_COMMENT = "<!--"
"""An HTML comment opened in a data value would swallow what follows (table rows): the
``!`` is escaped (``<\\!--``), so the reader sees text."""
_DROPPED_MIME = ("application/javascript", "text/javascript")


class RenderError(RuntimeError):
    """A rendering step failed; the message names the step and carries the tool's stderr."""

    def __init__(self, step: str, detail: str = "") -> None:
        self.step = step
        self.detail = detail.strip()
        message = f"rendering failed at step '{step}'"
        if self.detail:
            message += f":\n{self.detail}"
        super().__init__(message)


# --- project configuration --------------------------------------------------------------------


def load_config(root: Path) -> dict[str, Any]:
    """``_quarto.yml`` as a dict: the one place for title, chapter order and format options."""
    path = Path(root) / QUARTO_CONFIG
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RenderError("read _quarto.yml", f"no {QUARTO_CONFIG} in {root}") from None
    except yaml.YAMLError as exc:
        raise RenderError("read _quarto.yml", str(exc)) from None
    if not isinstance(data, dict):
        raise RenderError("read _quarto.yml", f"{path} is not a YAML mapping")
    return data


def report_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The ``cae-report:`` section of ``_quarto.yml`` (our own keys, ignored by Quarto)."""
    settings = config.get("cae-report") or {}
    return settings if isinstance(settings, dict) else {}


WRITTEN_PREFIX = "written-"
_TO_WRITE = re.compile(r"^À rédiger\b")


def chapters(root: Path, config: dict[str, Any] | None = None) -> list[Path]:
    """The chapter NOTEBOOKS in report order (what is executed), from ``cae-report: chapters:``
    in ``_quarto.yml``; the written chapters are :func:`cae_report.report.chapters.plan`'s."""
    return report_chapters.notebooks(root, config)


def _to_write_paragraphs(text: str) -> tuple[str, list[int]]:
    """Template paragraphs still to write: shown as a quotation, their lines returned."""
    lines, found, start = text.split("\n"), [], True
    for i, line in enumerate(lines):
        if start and _TO_WRITE.match(line):
            found.append(i + 1)
        start = not line.strip()
    for first in found:
        lines[first - 1] = _TO_WRITE.sub("**À rédiger**", lines[first - 1], count=1)
        i = first - 1
        while i < len(lines) and lines[i].strip():
            lines[i] = "> " + lines[i]
            i += 1
    return "\n".join(lines), found


def _written_notebook(text: str, source: Path, to_write: int = 0) -> Any:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell(text.strip() + "\n")
    cell["id"] = "written"  # not nbformat's random id: the same text gives the same bytes
    nb.cells.append(cell)
    nb.metadata["cae-report"] = {"written-chapter": source.as_posix()}
    if to_write:
        nb.metadata["cae-report"]["to-write"] = to_write
    return nb


DRAFT_KEY = "cae-draft"
"""Front-matter key of a report some of whose written chapters are still to write: it is
then a draft, marked on every page (:func:`cae_report.publish.edition_mark`)."""


def write_written_chapters(
    year: int,
    root: Path,
    out_dir: Path,
    prepared: Any,
    previous: Any,
    *,
    config: dict[str, Any] | None = None,
    log: Callable[[str], None] = lambda message: None,
    indicators: dict[str, Any] | None = None,
) -> dict[Path, Path]:
    """The written-chapter step: resolve every written chapter of ``year`` into
    ``out_dir/notebooks/written-<name>.ipynb`` and write ``out_dir/_variables.yml``.

    ``prepared`` / ``previous``: the year's and the previous year's prepared data (see
    :mod:`cae_report.build.prepare`). Returns {chapter source: written notebook}. Raises a
    :class:`~cae_report.errors.DataError` naming file, line and column for every unknown
    figure or malformed placeholder, and for a chapter missing from a year's folder; logs
    every value the year lacks and every « À rédiger » paragraph of the template.
    ``indicators``: the year's computed indicators, when the caller already has them.
    """
    import nbformat

    from cae_report import config as paths
    from cae_report.data import cooperative
    from cae_report.errors import DataError
    from cae_report.report import variables

    settings = cooperative.load(paths.data_dir(root))
    figures = variables.compute(prepared, previous, settings, computed=indicators)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    variables.write_quarto_variables(figures, out_dir)
    folder = Path(out_dir) / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    problems, written = [], {}
    for chapter, shown, text, missing in _written_sources(root, year, config):
        if missing is not None:
            problems.append(missing)
            continue
        resolved = variables.resolve(text, figures, shown)
        problems += resolved.problems
        for line, column, name in resolved.unavailable:
            log(f"{shown}:{line}:{column}: no value for {name}: the report says so")
        text, to_write = _to_write_paragraphs(resolved.text)
        if to_write:
            lines = ", ".join(map(str, to_write))
            log(
                f"{shown}:{to_write[0]}: {len(to_write)} « À rédiger » paragraph(s) to write "
                f"(lines {lines})"
            )
        target = folder / f"{WRITTEN_PREFIX}{chapter.source.stem}.ipynb"
        nbformat.write(_written_notebook(text, shown, len(to_write)), str(target))
        written[chapter.source] = target
    if problems:
        raise DataError(problems)
    return written


def check_written_chapters(year: int, root: Path, *, config: dict[str, Any] | None = None) -> None:
    """Raise the :class:`~cae_report.errors.DataError` that :func:`write_written_chapters`
    would raise for an unknown figure, a malformed placeholder or a missing chapter, without
    computing a value: names are checked against the registry (``report/variables.py``) and
    ``cooperative.yml``. The build calls it before executing any chapter, and computes the
    values while the chapters execute."""
    from cae_report import config as paths
    from cae_report.data import cooperative
    from cae_report.errors import DataError
    from cae_report.report import variables

    names = variables.Figures(year, {}, cooperative=cooperative.load(paths.data_dir(root)))
    problems = []
    for _chapter, shown, text, missing in _written_sources(root, year, config):
        if missing is not None:
            problems.append(missing)
        else:
            problems += variables.resolve(text, names, shown).problems
    if problems:
        raise DataError(problems)


def _written_sources(root: Path, year: int, config: dict[str, Any] | None):
    """Each written chapter of ``year``: (chapter, path as shown, text, None), or
    (chapter, path, "", the problem) when the year's folder lacks it."""
    from cae_report.errors import Problem

    for chapter in (c for c in plan(root, year, config) if c.written):
        shown = _shown(chapter.source, root)
        if not chapter.source.is_file():
            yield chapter, shown, "", Problem(chapter.source, _missing_chapter(chapter, year))
        else:
            yield chapter, shown, chapter.source.read_text(encoding="utf-8"), None


def _shown(path: Path, root: Path) -> Path:
    """A chapter's path as the user writes it: relative to the project."""
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def _missing_chapter(chapter: Chapter, year: int) -> str:
    if chapter.template:
        return (
            f"chapter listed in _quarto.yml (cae-report: chapters) but neither report/{year}/ "
            f"nor its template report/{TEMPLATE}/ has it"
        )
    return (
        f"chapter listed in _quarto.yml (cae-report: chapters) but missing from report/{year}/: "
        f"copy it from report/{TEMPLATE}/ and write it"
    )


def in_report_order(
    root: Path,
    year: int,
    executed: list[Path],
    written: dict[Path, Path],
    config: dict[str, Any] | None = None,
) -> list[Path]:
    """Executed notebooks (named like their sources) and written chapters, in chapter order."""
    by_name = {Path(p).name: Path(p) for p in executed}
    return [
        written[c.source] if c.written else by_name[c.source.name]
        for c in plan(root, year, config)
        if c.written or c.source.name in by_name
    ]


# --- cell options -----------------------------------------------------------------------------


def parse_cell_options(source: str) -> tuple[dict[str, Any], str]:
    """Split a code cell into its Quarto ``#|`` options (YAML) and the remaining code.

    Only the leading ``#|`` lines count, as in Quarto. Invalid YAML gives no options rather
    than an error: rendering must not fail on a comment, and the Lua filter behaves the same.
    """
    lines = source.splitlines()
    option_lines: list[str] = []
    for line in lines:
        match = _OPTION_LINE.match(line)
        if not match:
            break
        option_lines.append(match.group(1))
    rest = "\n".join(lines[len(option_lines) :])
    if not option_lines:
        return {}, rest
    try:
        options = parse_yaml("\n".join(option_lines))
    except yaml.YAMLError:
        return {}, rest
    return (options if isinstance(options, dict) else {}), rest


def _cell_tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


# --- front matter -----------------------------------------------------------------------------


def _format_template(template: str, year: int) -> str:
    return template.format(year=year, next_year=year + 1)


def _execution_date(notebooks: list[Path]) -> dt.date | None:
    """The day the notebooks were executed (papermill metadata), the latest of them."""
    dates: list[dt.date] = []
    for path in notebooks:
        try:
            meta = json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError):
            continue
        stamp = (meta.get("papermill") or {}).get("end_time") or ""
        try:
            dates.append(dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).date())
        except ValueError:
            continue
    return max(dates) if dates else None


def report_date(config: dict[str, Any], year: int, notebooks: list[Path]) -> dt.date:
    """The publication date printed on the cover, never "now" (two renders must agree).

    In order: ``cae-report: date:`` in ``_quarto.yml`` (fixed publication date), then
    ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), then the day the notebooks
    were executed (papermill), then the day the newest notebook file was written.
    """
    configured = report_settings(config).get("date")
    if configured:
        text = _format_template(str(configured), year)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise RenderError(
                "read _quarto.yml", f"cae-report: date: {text!r} is not an ISO date (YYYY-MM-DD)"
            ) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    executed = _execution_date(notebooks)
    if executed:
        return executed
    mtimes = [Path(p).stat().st_mtime for p in notebooks if Path(p).exists()]
    if mtimes:
        return dt.datetime.fromtimestamp(max(mtimes), tz=dt.UTC).date()
    return dt.date(year + 1, 1, 1)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def cover(cooperative: dict[str, Any], data_dir: Path | None = None) -> dict[str, Any]:
    """The cover's lines, from the cooperative's settings (``data/cooperative.yml``).

    Returns the metadata both templates read: ``author`` (the organisation line: legal name
    and legal form) and ``cae-cover`` (addressee, address, contacts line, legal line, logo).
    Keys the cooperative leaves empty are left out, so the templates print nothing for them.
    """
    from cae_report.fr import typography

    def text(key: str) -> str:
        return _text(cooperative.get(key))

    name = text("legal_name") or text("name")
    organisation = " – ".join(part for part in (name, text("legal_form")) if part)
    # a no-break space before each bullet: a line never starts with one
    contacts = "\u00a0• ".join(
        part
        for part in (
            f"Tél. {text('phone')}" if text("phone") else "",
            text("email"),
            text("website"),
        )
        if part
    )
    legal = "\u00a0• ".join(
        part
        for part in (
            f"Siret : {text('siret')}" if text("siret") else "",
            f"NAF : {text('naf')}" if text("naf") else "",
            f"TVA : {text('vat_number')}" if text("vat_number") else "",
        )
        if part
    )
    lines = {
        "addressee": text("addressee"),
        "address": text("address"),
        "contacts": contacts,
        "legal": legal,
    }
    block: dict[str, Any] = {k: typography(v) for k, v in lines.items() if v}
    logo = text("logo")
    if logo:
        if data_dir is None or not (Path(data_dir) / logo).is_file():
            raise RenderError("read cooperative.yml", f"logo: {logo}: no such file in {data_dir}")
        block["logo"] = logo
    matter: dict[str, Any] = {}
    if organisation:
        matter["author"] = typography(organisation)
    if block:
        matter["cae-cover"] = block
    return matter


LOGO_STEM = "cae-logo"


def stage_logo(matter: dict[str, Any], data_dir: Path, folder: Path) -> dict[str, Any]:
    """``matter`` with its cover's logo (a path relative to ``data_dir``) copied into the
    folder an engine renders in, and named relative to it (Typst reads files under its root
    only; pandoc embeds the image in the HTML)."""
    import shutil

    logo = (matter.get("cae-cover") or {}).get("logo")
    if not logo:
        return matter
    source = Path(data_dir) / str(logo)
    name = LOGO_STEM + source.suffix.lower()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / name)
    return {**matter, "cae-cover": {**matter["cae-cover"], "logo": name}}


def front_matter(
    config: dict[str, Any],
    year: int,
    notebooks: list[Path],
    cooperative: dict[str, Any] | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """The document metadata: title and cover (from the cooperative), subtitle and dates.

    ``date`` is ISO so that Quarto formats it with ``date-format`` in the document language;
    ``date-iso`` is repeated for the Typst templates, which set the PDF's date from it.
    Without ``cooperative``, the title falls back to a ``title`` key of ``_quarto.yml``.
    """
    settings = report_settings(config)
    when = report_date(config, year, notebooks)
    matter: dict[str, Any] = {}
    title = _text((cooperative or {}).get("report_title")) or _text(config.get("title"))
    if title:
        matter["title"] = title
    subtitle = settings.get("subtitle", "{year}")
    if subtitle:
        matter["subtitle"] = _format_template(str(subtitle), year)
    if cooperative:
        matter.update(cover(cooperative, data_dir))
    matter["date"] = when.isoformat()
    matter["date-iso"] = when.isoformat()
    return matter


# --- merging ----------------------------------------------------------------------------------


def _keep_output(output: dict[str, Any], options: dict[str, Any]) -> bool:
    """Whether an output belongs in the report (the same rule as the Lua filter).

    stdout and ``execute_result`` only with an explicit ``output: true`` (``asis`` is about
    the markdown output, not a licence for prints), stderr with ``warning: true``, errors
    with ``error: true``; ``display_data`` unless ``output: false``.
    """
    kind = output.get("output_type")
    shown = options.get("output", None)
    if shown is False or options.get("include") is False:
        return False
    if kind == "stream":
        if output.get("name") == "stderr":
            return options.get("warning") is True
        return shown is True
    if kind == "execute_result":
        return shown is True
    if kind == "error":
        return options.get("error") is True
    return True


def _yaml_scalar(text: str) -> str:
    """A one-line YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def _plain_text(data: dict[str, Any]) -> str:
    value = data.get("text/plain", "")
    return "".join(value) if isinstance(value, list) else str(value)


def _fix_chart(cell: Any, options: dict[str, Any]) -> None:
    """Give a chart cell its ``fig-alt`` option and a plotly div id distinct from its label."""
    for output in cell.get("outputs", []):
        data = output.get("data") or {}
        html = data.get("text/html")
        if html is not None:
            text = "".join(html) if isinstance(html, list) else str(html)
            for div_id in set(_PLOTLY_DIV.findall(text)):
                if not div_id.startswith("plotly-"):
                    text = text.replace(f'"{div_id}"', f'"plotly-{div_id}"')
            data["text/html"] = text
    label = str(options.get("label", ""))
    if not label.startswith("fig-") or "fig-alt" in options:
        return
    alts = [
        _plain_text(o["data"])
        for o in cell.get("outputs", [])
        if o.get("output_type") == "display_data"
        and any(k.startswith("image/") or k == "text/html" for k in o.get("data", {}))
        and _plain_text(o["data"]).strip()
    ]
    if not alts:
        return
    lines = cell.source.splitlines()
    last_option = max(i for i, line in enumerate(lines) if _OPTION_LINE.match(line))
    lines.insert(last_option + 1, f"#| fig-alt: {_yaml_scalar(alts[0])}")
    cell.source = "\n".join(lines)


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def is_chart_html(html: str) -> bool:
    """Whether a ``text/html`` output is a plotly chart (see :data:`_PLOTLY_CHART`)."""
    return _PLOTLY_CHART.match(html) is not None


def _as_text(output: dict[str, Any]) -> dict[str, Any] | None:
    """``output`` with what may not reach a page removed (see the module docstring);
    None when nothing is left to show."""
    data = output.get("data")
    if not data:
        return output
    data = {k: v for k, v in data.items() if k not in _DROPPED_MIME}
    if "text/html" in data and not is_chart_html(_joined(data["text/html"])):
        del data["text/html"]
    if "text/markdown" in data:
        markdown = _FENCE.sub(r"\1\\\2", _joined(data["text/markdown"]))
        data["text/markdown"] = markdown.replace(_COMMENT, "<\\!--")
    if not any(k != "text/plain" for k in data) and not _joined(data.get("text/plain", "")):
        return None
    output["data"] = data
    return output


def _without_asis(source: str) -> str:
    lines = source.splitlines()
    kept = [
        line
        for i, line in enumerate(lines)
        if not (
            all(_OPTION_LINE.match(previous) for previous in lines[: i + 1])
            and re.fullmatch(r"#\|\s*output:\s*['\"]?asis['\"]?\s*", line)
        )
    ]
    return "\n".join(kept)


def _clean_cell(cell: Any, cell_id: str) -> Any | None:
    """A deterministic copy of ``cell`` for the merged notebook, or None to drop it."""
    if _cell_tags(cell) & _HIDDEN_TAGS:
        return None
    new = copy.deepcopy(cell)
    new["id"] = cell_id
    metadata = {k: v for k, v in new.get("metadata", {}).items() if k in ("tags",)}
    new["metadata"] = metadata
    if new.cell_type != "code":
        return new
    options, _ = parse_cell_options(new.source)
    if options.get("include") is False:
        return None
    new["execution_count"] = None
    outputs = []
    for output in new.get("outputs", []):
        if not _keep_output(output, options):
            continue
        if output.get("output_type") == "execute_result":
            output["execution_count"] = None
        kept = _as_text(output)
        if kept is not None:
            outputs.append(kept)
    new["outputs"] = outputs
    if not outputs and options.get("echo") is not True:
        # Nothing to show: no caption either (Quarto would caption an empty float).
        return None
    if options.get("output") == "asis":
        new.source = _without_asis(new.source)
        options.pop("output")
    if options:
        _fix_chart(new, options)
    return new


def assemble(
    executed_notebooks: list[Path],
    out_path: Path,
    *,
    year: int,
    config: dict[str, Any],
    cooperative: dict[str, Any] | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Write the merged notebook to ``out_path``; return its front matter (a dict).

    The notebooks are taken in the order given (the caller orders them by
    ``cae-report: chapters:``). The merged notebook names the generic ``python3`` kernel
    with its language (Quarto needs the language to read ``#|`` options, and never executes
    it): not the chapters' « Python (cae-report) » kernel, which a machine that only renders
    need not have. ``cooperative``: the settings of
    ``data/cooperative.yml`` (title and cover), ``data_dir`` the folder its logo is in.
    """
    if not executed_notebooks:
        raise RenderError("assemble", "no executed notebook to render")
    matter = front_matter(config, year, executed_notebooks, cooperative, data_dir)
    notebooks = []
    for path in executed_notebooks:
        try:
            notebooks.append(nbformat.read(str(path), as_version=4))
        except (OSError, ValueError) as exc:
            raise RenderError("assemble", f"cannot read {path}: {exc}") from None
    to_write = sum(nb.metadata.get("cae-report", {}).get("to-write", 0) for nb in notebooks)
    if to_write:
        matter[DRAFT_KEY] = to_write
    merged = nbformat.v4.new_notebook()
    front = yaml.safe_dump(matter, allow_unicode=True, sort_keys=False, width=1000)
    merged.cells.append(nbformat.v4.new_raw_cell(f"---\n{front}---"))
    merged.cells[0]["id"] = "front-matter"
    for chapter, nb in enumerate(notebooks, start=1):
        for index, cell in enumerate(nb.cells):
            cleaned = _clean_cell(cell, f"ch{chapter:02d}-{index:03d}")
            if cleaned is not None:
                merged.cells.append(cleaned)
    merged.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(merged, version=4)
    out_path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return matter


def merged_front(merged: Path) -> dict[str, Any]:
    """The front matter of a merged notebook (its first, raw cell)."""
    nb = nbformat.read(str(merged), as_version=4)
    source = nb.cells[0].source if nb.cells else ""
    return parse_yaml(source.strip().strip("-")) or {}


def new_year(root: Path, year: int) -> Path:
    """Start the written chapters of ``year``: copy ``report/_template/`` (its chapters, not
    its README) to ``report/<year>/``. A DataError if the folder exists: never overwrite text
    the cooperative wrote."""
    from cae_report.errors import DataError

    template = Path(root) / "report" / TEMPLATE
    target = Path(root) / "report" / str(year)
    if target.exists():
        raise DataError.one(target, "already exists: the chapters of this year are not replaced")
    if not template.is_dir():
        raise DataError.one(template, "no template folder to copy the chapters from")
    target.mkdir(parents=True)
    for source in sorted(template.glob("*.qmd")):
        (target / source.name).write_bytes(source.read_bytes())
    return target
