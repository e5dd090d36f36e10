"""``quarto render`` and ``quarto preview`` at the project root: the pre- and post-render
steps of ``_quarto.yml``.

Quarto runs this file with its own Python (``QUARTO_PYTHON`` or ``python3``), from the
project root::

    src/cae_report/publish/quarto_project.py pre-render
    src/cae_report/publish/quarto_project.py post-render

When that Python cannot import the project (no ``cae_report`` and its dependencies), the
script starts again with the project's (``$CAE_REPORT_PYTHON``, else ``.venv/bin/python``).

pre-render
    Chooses the year (:func:`year_from`: ``quarto render -P year:2015``, else an active
    profile named after a year, ``QUARTO_PROFILE=2015 quarto render``, else
    ``$CAE_REPORT_YEAR``, else the latest year with data), validates and cleans it,
    executes the chapter notebooks with papermill through the build's own code (sharing
    its cache, ``_build/.cache/``), merges them
    (:func:`cae_report.publish.assemble.assemble`, which also brings in the cooperative's
    written chapters) and writes into ``quarto/`` the notebooks Quarto renders, one per
    format (:func:`cae_report.publish.quarto_engine.stage_notebooks`). ``quarto/`` is
    generated and ignored by git; the render list of ``_quarto.yml`` is ``quarto/*.ipynb``,
    so neither ``tests/`` nor ``docs/`` nor the bare chapter notebooks are rendered, and the
    outputs land in ``_build/quarto/rapport-<year>.html`` and ``.pdf``.

    A chapter notebook is not part of the project's render list: ``quarto render
    notebooks/02-mouvements.ipynb`` renders it as a lone document (Quarto ignores the
    project's settings and steps for files outside the list, quarto-cli issue #14927).
    With ``--execute``, Quarto's Jupyter engine would write the executed notebook over the
    committed one; :func:`refuse_in_place_execution` (called by every notebook's first cell,
    through :func:`cae_report.build.parameters.check_parameters`) stops that execution
    with a message saying what to run instead, before anything is written.

post-render
    For each HTML output: plotly.js and the Content-Security-Policy
    (:func:`cae_report.publish.html_page.finish`; no policy in ``quarto preview``, whose
    live-reload client is a script of its own), then the check of both outputs against the
    merged notebook (:func:`cae_report.publish.check.verify`): a failed check is an error,
    and ``quarto render`` exits non-zero.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STAGE = "quarto"
"""The folder (under the project root) of the notebooks Quarto renders: generated."""
STATE = Path(".quarto") / "cae-report"
"""In Quarto's scratch folder (ignored by git): the secret of the charts' trust nonce."""
OUTPUT_SUBDIR = "quarto"


def _ensure_project_python() -> None:
    """Start again with the project's Python when this one cannot import the project."""
    import importlib

    try:
        for module in ("cae_report", "nbformat", "papermill"):
            importlib.import_module(module)
    except ImportError:
        candidates = [os.environ.get("CAE_REPORT_PYTHON"), str(ROOT / ".venv" / "bin" / "python")]
        for candidate in candidates:
            if candidate and Path(candidate).is_file() and Path(candidate) != Path(sys.executable):
                os.execv(candidate, [candidate, __file__, *sys.argv[1:]])
        sys.exit(
            f"error: {sys.executable} cannot import cae_report: run `make install` (creates "
            ".venv) or set CAE_REPORT_PYTHON / QUARTO_PYTHON to the project's Python"
        )


# --- the year -----------------------------------------------------------------------------


def quarto_args() -> list[str]:
    """The arguments of the Quarto command that runs this step (``render -P year:2015``…),
    read from the parent process on Linux; empty where that cannot be read."""
    try:
        args = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    for i, arg in enumerate(args):
        if arg.endswith((b"quarto.ts", b"quarto.js")):
            return [a.decode("utf-8", "replace") for a in args[i + 1 :] if a]
    return []


def param_year(args: list[str]) -> str | None:
    """The ``year`` of ``-P year:2015`` / ``--execute-param year:2015`` in ``args``."""
    for flag, value in zip(args, args[1:], strict=False):
        if flag in ("-P", "--execute-param") and value.split(":", 1)[0].strip() == "year":
            return value.split(":", 1)[1].strip() if ":" in value else ""
    return None


def year_from(
    years: list[int], *, param: str | None = None, profile: str = "", env_year: str | None = None
) -> int:
    """The year to render, from the first of: ``-P year:2015`` (``param``), an active Quarto
    profile whose name holds a year (``QUARTO_PROFILE=2015``), ``CAE_REPORT_YEAR``, else the
    latest year with data. A year without data is an error naming the years there are."""
    profiles = [p.strip() for p in re.split(r"[ ,]+", profile) if p.strip()]
    from_profiles = [
        m.group(0) for p in profiles for m in [re.search(r"(?<![0-9])[0-9]{4}(?![0-9])", p)] if m
    ]
    wanted = [param] if param is not None else from_profiles or ([env_year] if env_year else [])
    if not years:
        raise SystemExit("error: no year with data in data/raw/")
    if not wanted:
        return max(years)
    if len(wanted) > 1:
        raise SystemExit(f"error: several years asked ({', '.join(wanted)}): render one at a time")
    text = wanted[0].strip()
    if not re.fullmatch(r"[0-9]{4}", text) or int(text) not in years:
        raise SystemExit(
            f"error: year {text!r}: no data folder data/raw/{text}/ (years with data: "
            f"{', '.join(map(str, years))})"
        )
    return int(text)


def listed_files(kind: str) -> list[str]:
    """The project's ``INPUT`` or ``OUTPUT`` files of the render, as Quarto gives them to its
    scripts: an environment variable, or a file named by one (quarto-cli issue #10828)."""
    listed = os.environ.get(f"QUARTO_USE_FILE_FOR_PROJECT_{kind}_FILES")
    if listed and Path(listed).is_file():
        text = Path(listed).read_text(encoding="utf-8")
    else:
        text = os.environ.get(f"QUARTO_PROJECT_{kind}_FILES", "")
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- pre-render ---------------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"[cae-report] {message}", file=sys.stderr, flush=True)


def _secret(root: Path) -> bytes:
    """A random secret kept in Quarto's scratch folder: with the notebook's content, it
    makes the charts' trust nonce, which a data value cannot guess, stable between two
    pre-renders of the same notebook (so ``quarto preview`` sees no change)."""
    path = root / STATE / "secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(32))
        path.chmod(0o600)
    return path.read_bytes()


def executed_notebooks(year: int, root: Path) -> list[Path]:
    """Validate, clean and execute the year's chapters and resolve its written ones as
    ``cae-report build`` does (public edition, engine quarto, the build's kernels and cache);
    return them in report order."""
    from cae_report.build import orchestrate
    from cae_report.build.parameters import QUARTO_KERNEL_MARKS

    # Papermill's kernels are not Quarto's: none of the variables Quarto sets for a document
    # it executes may leak into them (refuse_in_place_execution).
    for name in (*QUARTO_KERNEL_MARKS, "QUARTO_DOCUMENT_PATH"):
        os.environ.pop(name, None)
    return orchestrate.execute_year(year, root, "quarto", root / "_build" / ".quarto-work")


def stage(year: int, root: Path) -> dict[str, Path]:
    """Merge the year's notebooks and write the notebooks Quarto renders into ``quarto/``."""
    from cae_report import config
    from cae_report.data.cooperative import load as load_cooperative
    from cae_report.publish import edition_mark, quarto_engine
    from cae_report.publish.assemble import assemble, load_config

    notebooks = executed_notebooks(year, root)
    work = root / "_build" / ".quarto-work" / str(year)
    merged = work / f"rapport-{year}.ipynb"
    data_dir = config.data_dir(root)
    front = assemble(
        notebooks,
        merged,
        year=year,
        config=load_config(root),
        cooperative=load_cooperative(data_dir),
        data_dir=data_dir,
    )
    folder = root / STAGE
    fresh = work / "stage"
    shutil.rmtree(fresh, ignore_errors=True)
    nonce = hashlib.sha256(_secret(root) + merged.read_bytes()).hexdigest()[:32]
    staged = quarto_engine.stage_notebooks(
        merged,
        fresh,
        internal_mark=edition_mark(False, front),
        output_stem=merged.stem,
        data_dir=data_dir,
        nonce=nonce,
    )
    # Replace quarto/ by the fresh copies, writing only the files that changed (a rewrite
    # would make `quarto preview` render again) and removing other years' notebooks.
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        if old.is_file() and not (fresh / old.name).is_file():
            old.unlink()
    for new in fresh.iterdir():
        target = folder / new.name
        if not target.is_file() or target.read_bytes() != new.read_bytes():
            shutil.copyfile(new, target)
    (work / "merged.json").write_text(
        json.dumps({"year": year, "merged": str(merged.relative_to(root))}) + "\n",
        encoding="utf-8",
    )
    return {fmt: folder / path.name for fmt, path in staged.items()}


def pre_render(root: Path) -> int:
    from cae_report import config
    from cae_report.build.orchestrate import BuildFailure
    from cae_report.errors import EXIT_FAILED, EXIT_INVALID, DataError

    files = listed_files("INPUT")
    # The report is asked for by a render of the whole project, of one of its notebooks,
    # or by `quarto preview` starting (no input files yet: it renders on request).
    report_asked = (
        os.environ.get("QUARTO_PROJECT_RENDER_ALL") == "1"
        or any(f.startswith(STAGE + "/") for f in files)
        or not files
    )
    if not report_asked:
        return 0
    year = year_from(
        config.available_years(root),
        param=param_year(quarto_args()),
        profile=os.environ.get("QUARTO_PROFILE", ""),
        env_year=os.environ.get("CAE_REPORT_YEAR"),
    )
    _log(f"year {year}: validating, executing the notebooks and merging the report")
    try:
        staged = stage(year, root)
    except DataError as exc:
        print("error: invalid data:\n" + "\n".join(f"  {p}" for p in exc.problems), file=sys.stderr)
        return EXIT_INVALID
    except BuildFailure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID if exc.invalid else EXIT_FAILED
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    _log("notebooks for Quarto: " + ", ".join(str(p.relative_to(root)) for p in staged.values()))
    write_index(root, year)
    return 0


INDEX = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8" />
<meta http-equiv="refresh" content="0; url={target}" />
<title>Rapport {year}</title></head>
<body><p><a href="{target}">Rapport {year}</a></p></body></html>
"""


def write_index(root: Path, year: int) -> Path:
    """``_build/index.html``: the page ``quarto preview`` opens (its address is the output
    folder's), leading to the year's report."""
    path = root / "_build" / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    target = f"{OUTPUT_SUBDIR}/rapport-{year}.html"
    text = INDEX.format(target=target, year=year)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


# --- post-render --------------------------------------------------------------------------


def in_preview() -> bool:
    """Whether the render is one of ``quarto preview`` (Quarto's command line, read from the
    parent process on Linux; ``CAE_REPORT_PREVIEW=1`` says so elsewhere)."""
    if os.environ.get("CAE_REPORT_PREVIEW") == "1":
        return True
    args = quarto_args()
    return bool(args) and args[0] == "preview"


RESOURCE_COPIES = ("report", "notebooks", "data")
"""Where Quarto copies the project's ``resources:`` (the files ``quarto preview`` watches)
in the output folder, ``_build/``: removed, they are not outputs."""


def remove_resource_copies(root: Path, config: dict) -> None:
    """Remove the copies of the project's resources that Quarto made in ``_build/``."""
    resources = (config.get("project") or {}).get("resources") or []
    tops = {str(r).lstrip("/").split("/", 1)[0] for r in resources}
    for name in tops & set(RESOURCE_COPIES):
        shutil.rmtree(root / "_build" / name, ignore_errors=True)


def post_render(root: Path) -> int:
    from cae_report.publish import INTERNAL_MARK, check, edition_mark, html_page
    from cae_report.publish.assemble import RenderError, load_config, merged_front

    remove_resource_copies(root, load_config(root))
    outputs = [root / f for f in listed_files("OUTPUT")]
    report = [p for p in outputs if p.parent == root / "_build" / OUTPUT_SUBDIR]
    if not report:
        return 0
    preview = in_preview()
    try:
        for html in (p for p in report if p.suffix == ".html" and p.is_file()):
            page = html.read_text(encoding="utf-8")
            if html_page.PLOTLY_PLACEHOLDER in page:
                page = html_page.insert_plotlyjs(page, html.name)
                if not preview:
                    page = html_page.add_csp(page, html.name)
                html.write_text(page, encoding="utf-8")
        stems = {p.stem for p in report}
        for stem in sorted(stems):
            html, pdf = root / "_build" / OUTPUT_SUBDIR / f"{stem}.html", None
            pdf = html.with_suffix(".pdf")
            year = stem.rsplit("-", 1)[-1]
            merged = root / "_build" / ".quarto-work" / year / f"{stem}.ipynb"
            if html.is_file() and pdf.is_file() and merged.is_file() and not preview:
                check.verify(
                    merged,
                    html,
                    pdf,
                    config=load_config(root),
                    internal_mark=edition_mark(False, merged_front(merged)),
                    public_mark=INTERNAL_MARK,
                )
                _log(f"checked {html.relative_to(root)} and {pdf.relative_to(root)}")
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("pre-render", "post-render"):
        print(__doc__, file=sys.stderr)
        return 2
    # Run as a script, this file's folder heads sys.path: its modules are not top-level ones.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    _ensure_project_python()
    root = Path(os.environ.get("QUARTO_PROJECT_DIR") or Path.cwd()).resolve()
    os.environ.setdefault("CAE_REPORT_ROOT", str(root))
    return pre_render(root) if argv[0] == "pre-render" else post_render(root)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
