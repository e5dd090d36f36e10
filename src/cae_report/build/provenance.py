"""Where the figures come from: input files, code version, tools (``provenance.json``, annex).

:func:`collect` describes one build of one year: every input file the report reads (the raw
folders of every year up to the report's year, the reference files) with its SHA-256, the
project's code version (Git commit and whether the working tree had uncommitted changes),
the versions of Python and of the main packages, and the rendering engine with its version.

The record is reproducible: no timestamps, no absolute paths (paths are relative to the
project root, with ``/``), lists and keys in a fixed order. Two builds of the same tree give
the same ``provenance.json``. The build writes it next to the report (:func:`write`) and the
annex notebook of the internal edition (``notebooks/16-provenance.ipynb``) shows the same
record, in French.

Importing this module is cheap (no pandas): the build calls :func:`collect` for its no-op check.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cae_report import config
from cae_report.build.digests import chapter_paths, file_digest, report_inputs

if TYPE_CHECKING:
    import pandas as pd

UNKNOWN = "unknown"
PACKAGES = (
    "pandas",
    "pandera",
    "papermill",
    "plotly",
    "matplotlib",
    "babel",
    "pypandoc-binary",
    "typst",
    "nbformat",
)
"""Distributions whose version is recorded (the ones that shape the figures and the layout)."""
GIT_TIMEOUT_S = 30


# ---------------------------------------------------------------- collecting


def read_years(year: int, root: Path) -> list[int]:
    """The years whose raw folder a report of ``year`` reads: every one up to ``year``."""
    return [y for y in config.available_years(root) if y <= year]


def input_files(year: int, root: Path) -> list[dict[str, Any]]:
    """Every data file a report of ``year`` reads, sorted by path: ``data/raw/<y>/`` (y ≤
    ``year``), ``data/reference/`` and ``data/cooperative.yml``, as
    ``{"path": "data/raw/2016/movements.csv", "bytes": …, "sha256": …}``.

    The same files as the build's data key (:func:`cae_report.build.digests.report_inputs`)."""
    rows = [
        {
            "path": p.relative_to(root).as_posix(),
            "bytes": p.stat().st_size,
            "sha256": file_digest(p),
        }
        for p in report_inputs(year, root)
    ]
    return sorted(rows, key=lambda row: row["path"])


def build_pathspecs(root: Path) -> list[str]:
    """What a build reads, as Git pathspecs: the package, the chapters of ``_quarto.yml``, the
    data, the written chapters (``report/``) and the environment's pins. A scratch notebook
    beside the chapters is none of these."""
    fixed = ["src", "_quarto.yml", "data/raw", "data/reference", "data/cooperative.yml", "report"]
    fixed += ["pyproject.toml", "requirements.lock"]
    try:
        notebooks = [p.relative_to(root).as_posix() for p in chapter_paths(root)]
    except Exception:  # noqa: BLE001 - no readable _quarto.yml: the whole folder counts
        notebooks = ["notebooks"]
    return [f":(literal){spec}" for spec in fixed + notebooks]


def _git(root: Path, *args: str) -> str | None:
    """Output of a read-only git command in ``root``, or None (no git, not a repository…).

    ``GIT_OPTIONAL_LOCKS=0``: ``git status`` must not rewrite the index of the project."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        proc = subprocess.run(
            [git, *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def code_version(root: Path) -> dict[str, Any]:
    """``{"commit": <sha>, "dirty": bool}`` from Git; both ``"unknown"`` outside a repository.

    ``dirty`` is true when a file the build reads (:func:`build_pathspecs`) was modified, or
    exists neither committed nor ignored (``git status --porcelain``): the outputs may then come
    from code or data no commit holds. Other files (a scratch notebook, notes) do not count."""
    head = _git(root, "rev-parse", "--verify", "HEAD")
    commit = (head or "").strip()
    if not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", commit):
        return {"commit": UNKNOWN, "dirty": UNKNOWN}
    status = _git(
        root, "status", "--porcelain", "--untracked-files=all", "--", *build_pathspecs(root)
    )
    return {"commit": commit, "dirty": UNKNOWN if status is None else bool(status.strip())}


def package_versions() -> dict[str, str]:
    """Installed version of each of :data:`PACKAGES` (``"not installed"`` when absent)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def quarto_version() -> str:
    """Quarto's version (``1.7.34``, read by the engine's own ``quarto --version``), or
    ``"unknown"`` when Quarto is not on PATH or fails."""
    from cae_report.publish import RenderError, quarto_engine

    try:
        version = quarto_engine.quarto_version(quarto_engine.quarto_executable())
    except RenderError:
        return UNKNOWN
    return ".".join(map(str, version))


def engine_versions(engine: str) -> dict[str, str]:
    """The renderer and its versions: pandoc + the typst wheel, or Quarto."""
    if engine == "quarto":
        return {"name": "quarto", "quarto": quarto_version()}
    if engine != "pandoc":
        raise ValueError(f"unknown engine {engine!r} (expected 'pandoc' or 'quarto')")
    try:
        import pypandoc

        pandoc = str(pypandoc.get_pandoc_version())
    except (ImportError, OSError, RuntimeError):
        pandoc = UNKNOWN
    try:
        typst = metadata.version("typst")
    except metadata.PackageNotFoundError:
        typst = UNKNOWN
    return {"name": "pandoc", "pandoc": pandoc, "typst": typst}


def collect(year: int, engine: str, root: Path | None = None) -> dict[str, Any]:
    """The provenance record of the report of ``year`` rendered by ``engine`` (see the module
    docstring). ``root``: the project root (default :func:`cae_report.config.project_root`)."""
    root = Path(root or config.project_root()).resolve()
    return {
        "year": year,
        "years_read": read_years(year, root),
        "inputs": input_files(year, root),
        "code": code_version(root),
        "python": platform.python_version(),
        "packages": package_versions(),
        "engine": engine_versions(engine),
    }


def dumps(record: dict[str, Any]) -> str:
    """The record as ``provenance.json`` holds it: sorted keys, UTF-8, final newline."""
    return json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def digest(record: dict[str, Any]) -> str:
    """SHA-256 of :func:`dumps`: a cache key for what depends on the provenance."""
    return hashlib.sha256(dumps(record).encode("utf-8")).hexdigest()


def write(path: Path, record: dict[str, Any]) -> Path:
    """Write ``record`` (from :func:`collect`) to ``path`` (``provenance.json``)."""
    path = Path(path)
    path.write_text(dumps(record), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the annex, in French


def _years_phrase(years: list[int]) -> str:
    if not years:
        return "d'aucune année"
    if len(years) == 1:
        return f"de l'année {years[0]}"
    if years == list(range(years[0], years[-1] + 1)):
        return f"des années {years[0]} à {years[-1]}"
    return "des années " + ", ".join(map(str, years[:-1])) + f" et {years[-1]}"


def code_phrase(code: dict[str, Any]) -> str:
    """The code version in words: commit, and whether uncommitted changes were present."""
    if code.get("commit", UNKNOWN) == UNKNOWN:
        return (
            "La version du code n'est pas connue : le rapport n'a pas été produit depuis un "
            "dépôt Git."
        )
    text = f"Le code du projet est celui de la version (commit Git) {code['commit']}"
    if code.get("dirty") is True:
        return text + ", avec des modifications non enregistrées dans Git au moment du calcul."
    if code.get("dirty") is False:
        return text + ", sans modification non enregistrée."
    return text + " ; la présence de modifications non enregistrées n'a pas pu être vérifiée."


def engine_phrase(engine: dict[str, str]) -> str:
    if engine.get("name") == "quarto":
        return f"La mise en page a été faite par Quarto (version {engine.get('quarto')})."
    return (
        f"La mise en page a été faite par pandoc (version {engine.get('pandoc')}) et Typst "
        f"(paquet Python typst, version {engine.get('typst')})."
    )


def summary_text(record: dict[str, Any]) -> str:
    """The annex's opening paragraph: how many files, which years, code and engine."""
    from cae_report.fr import fmt_count

    inputs = record["inputs"]
    reference = sum(1 for row in inputs if row["path"].startswith("data/reference/"))
    raw = sum(1 for row in inputs if row["path"].startswith("data/raw/"))
    settings = len(inputs) - raw - reference
    return (
        f"Les chiffres de ce rapport sont calculés à partir de "
        f"{fmt_count(len(inputs), 'fichier')} : {fmt_count(raw, 'fichier')} de données "
        f"{_years_phrase(record['years_read'])}, "
        f"{fmt_count(reference, 'fichier de référence', 'fichiers de référence')}"
        + (" et les réglages de la coopérative" if settings else "")
        + ". "
        "L'empreinte SHA-256 de chaque fichier, donnée ci-dessous et dans le fichier "
        "provenance.json publié avec le rapport, permet de vérifier qu'un fichier est bien "
        "celui qui a servi : la moindre modification du fichier change son empreinte. "
        f"{code_phrase(record['code'])} {engine_phrase(record['engine'])}"
    )


def inputs_table(record: dict[str, Any]) -> pd.DataFrame:
    """One row per input file: path, size, SHA-256 (split in two halves so that it wraps)."""
    import pandas as pd

    from cae_report.fr import fmt_count

    rows = [
        {
            "Fichier": row["path"],
            "Taille": fmt_count(row["bytes"], "octet"),
            "Empreinte SHA-256": f"{row['sha256'][:32]} {row['sha256'][32:]}",
        }
        for row in record["inputs"]
    ]
    return pd.DataFrame(rows, columns=["Fichier", "Taille", "Empreinte SHA-256"])


def versions_table(record: dict[str, Any]) -> pd.DataFrame:
    """Code version, Python, packages and engine, one row each."""
    import pandas as pd

    code = record["code"]
    if code["commit"] == UNKNOWN:
        version = "inconnue (hors dépôt Git)"
    else:
        dirty = {True: "avec modifications non enregistrées", False: "sans modification"}
        version = f"{code['commit']} ({dirty.get(code['dirty'], 'état inconnu')})"
    rows = [("Code du projet (commit Git)", version), ("Python", record["python"])]
    rows += [(f"Paquet Python {name}", v) for name, v in record["packages"].items()]
    engine = record["engine"]
    if engine["name"] == "quarto":
        rows.append(("Moteur de mise en page : Quarto", engine["quarto"]))
    else:
        rows.append(("Moteur de mise en page : pandoc", engine["pandoc"]))
        rows.append(("Moteur de mise en page : Typst (paquet typst)", engine["typst"]))
    french = {UNKNOWN: "inconnue", "not installed": "non installé"}
    rows = [(label, french.get(value, value)) for label, value in rows]
    return pd.DataFrame(rows, columns=["Élément", "Version"])
