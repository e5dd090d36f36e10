"""Building a year's report: execute once (papermill), render many (HTML, PDF).

Everything is written to a temporary folder next to ``_build/<year>/`` and swapped
in only when every step succeeded, so a failed build leaves the previous report
in place. A year's build touches only its own folder and content-addressed cache
entries, so years can build at once. The internal edition (``--internal``: personal
details for the board, every page marked) goes to ``_build/<year>-interne/`` and never
replaces the public report.

Cache (``_build/.cache/``), keyed on content, never on times:

* an executed notebook is reused when its source, the data it can read (the raw
  folders up to its year, the reference files), the package code, the lock file
  and its parameters (year, engine, edition) are unchanged; a notebook whose code uses
  :mod:`cae_report.build.provenance` (the annex) is also keyed on the provenance record, which
  adds the Git commit, the dirty flag and the tools' versions;
* the rendered HTML and PDF are reused when the executed notebooks, the publishing
  code and templates, ``_quarto.yml``, the engine and the edition are unchanged;
* a build whose every key is unchanged and whose outputs are in place is a no-op.

This module imports nothing heavy at the top: a no-op rebuild must stay under a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cae_report import config
from cae_report.errors import DataError

PACKAGE = Path(__file__).resolve().parents[1]
BUILD_KEY = ".build-key"
OUTPUTS = (
    "rapport-{year}.html",
    "rapport-{year}.pdf",
    "indicators.json",
    "anomalies.csv",
    "provenance.json",
)
_USES_PROVENANCE = re.compile(r"\bprovenance\.|import\s+provenance\b|cae_report\.provenance\b")


@dataclass
class BuildResult:
    year: int
    ok: bool
    seconds: float
    outputs: dict[str, Path] = field(default_factory=dict)
    error: str | None = None
    cached: bool = False
    warnings: list[str] = field(default_factory=list)


def log(year: int, message: str) -> None:
    print(f"[{year}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- content keys


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_digest(paths: list[Path], base: Path) -> str:
    """One digest for many files: their paths (relative to ``base``) and contents."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(base)).encode() + b"\0" + _file_digest(path).encode())
    return h.hexdigest()


def _files(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    return [
        p
        for pattern in patterns
        for p in folder.rglob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    ]


def data_digest(year: int, root: Path) -> str:
    """The data a notebook of ``year`` can read: raw folders up to that year, references,
    the cooperative's settings."""
    paths = [
        p
        for y in config.available_years(root)
        if y <= year
        for p in config.raw_dir(y, root).rglob("*")
        if p.is_file()
    ]
    paths += _files(config.reference_dir(root), ("*",))
    settings = config.data_dir(root) / "cooperative.yml"  # fiscal year, size limit…
    paths += [settings] if settings.is_file() else []
    return _tree_digest(paths, config.data_dir(root))


def code_digest(root: Path, *, publishing: bool) -> str:
    """The package code: analysis code for notebooks, publishing code for rendering.

    Publishing code (templates, filter, engines, ``_quarto.yml``) is kept apart so that a
    change of layout re-renders without re-executing any notebook."""
    publish = PACKAGE / "publish"
    if publishing:
        parts = [_tree_digest(_files(publish, ("*",)), publish), _file_digest(root / "_quarto.yml")]
        local = root / "src" / "cae_report" / "publish"
        if local.is_dir() and local.resolve() != publish:
            parts.append(_tree_digest(_files(local, ("*",)), local))
    else:
        parts = [
            _tree_digest(
                [p for p in _files(PACKAGE, ("*.py",)) if publish not in p.parents], PACKAGE
            )
        ]
        lock = root / "requirements.lock"
        parts.append(_file_digest(lock) if lock.is_file() else "")
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def notebook_key(source: Path, data: str, code: str, parameters: dict, provenance: str = "") -> str:
    payload = json.dumps([_file_digest(source), data, code, parameters, provenance], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def uses_provenance(source: Path) -> bool:
    """Whether the code cells of notebook ``source`` use :mod:`cae_report.build.provenance`."""
    cells = json.loads(source.read_text(encoding="utf-8")).get("cells", [])
    return any(
        _USES_PROVENANCE.search("".join(c.get("source", "")))
        for c in cells
        if c.get("cell_type") == "code"
    )


def render_key(
    executed: list[Path], publishing: str, engine: str, year: int, internal: bool = False
) -> str:
    payload = json.dumps([[_file_digest(p) for p in executed], publishing, engine, year, internal])
    return hashlib.sha256(payload.encode()).hexdigest()


# ---------------------------------------------------------------- steps


def resolve_engine(engine: str) -> str:
    """``auto``: Quarto when on PATH, else pandoc + Typst."""
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    if engine == "quarto" and not shutil.which("quarto"):
        raise RuntimeError("engine quarto asked but `quarto` is not on PATH; use --engine pandoc")
    return engine


def execute_all(
    sources: list[Path],
    out_dir: Path,
    parameters: dict,
    jobs: int,
    cache: Path | None,
    root: Path,
    provenance: str = "",
) -> list[Path]:
    """Run every notebook in its own papermill process, ``jobs`` at a time, unless the
    cache holds its executed copy for the same key. ``provenance``: the digest of the
    provenance record, in the key of the notebooks that show it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    year = parameters["year"]
    data, code = data_digest(year, root), code_digest(root, publishing=False)

    def run(source: Path) -> Path:
        target = out_dir / source.name
        key = notebook_key(
            source, data, code, parameters, provenance if uses_provenance(source) else ""
        )
        cached = cache / "notebooks" / f"{key}.ipynb" if cache else None
        if cached is not None and cached.is_file():
            shutil.copyfile(cached, target)
            log(year, f"reused {source.name} (unchanged)")
            return target
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "cae_report.build.execute",
                str(source),
                str(target),
                json.dumps(parameters),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "CAE_REPORT_ROOT": str(root)},
        )
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.startswith("error:")]
            raise RuntimeError(lines[-1][7:] if lines else proc.stderr.strip()[-2000:])
        if cached is not None:
            _store(target, cached)
        log(year, f"executed {source.name} in {time.perf_counter() - started:.1f} s")
        return target

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, sources))


def _store(source: Path, target: Path) -> None:
    """Copy into the cache atomically (another year's build may read it at once)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.copyfile(source, tmp)
    tmp.replace(target)


def build_year(
    year: int,
    engine: str = "auto",
    internal: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
) -> BuildResult:
    """Build ``_build/<year>/``: rapport-<year>.html/.pdf, indicators.json, anomalies.csv,
    the executed notebooks. Never raises for expected failures: the result says why."""
    started = time.perf_counter()
    root = config.project_root()
    out = config.build_dir(year, root, internal=internal)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        requested, engine = engine, resolve_engine(engine)
        if requested == "auto":
            found = shutil.which("quarto")
            why = f"quarto found at {found}" if found else "quarto not on PATH: pandoc + Typst"
            log(year, f"engine {engine} (auto): {why}")
        key = build_key(year, engine, internal, root)
        if use_cache and _up_to_date(out, year, key):
            log(year, "up to date (inputs, notebooks, code and parameters unchanged)")
            return BuildResult(
                year,
                True,
                time.perf_counter() - started,
                _outputs(out, year),
                cached=True,
                warnings=warnings_of(out),
            )
    except RuntimeError as exc:
        return BuildResult(year, False, time.perf_counter() - started, error=str(exc))
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{year}-", dir=out.parent))
    # The internal edition's cache holds personal details: kept apart from the public one.
    cache = out.parent / (".cache-interne" if internal else ".cache") if use_cache else None
    try:
        _build_into(tmp, year, engine, internal, jobs, root, cache)
        (tmp / BUILD_KEY).write_text(key + "\n")
        _swap(tmp, out)
        return BuildResult(
            year,
            True,
            time.perf_counter() - started,
            _outputs(out, year),
            warnings=warnings_of(out),
        )
    except DataError as exc:
        error = "invalid data:\n" + "\n".join(f"  {p}" for p in exc.problems)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, the build goes on
        error = str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}"
    shutil.rmtree(tmp, ignore_errors=True)
    return BuildResult(year, False, time.perf_counter() - started, error=error)


def build_key(year: int, engine: str, internal: bool, root: Path) -> str:
    from cae_report.build import provenance
    from cae_report.publish import chapters

    notebooks = _tree_digest(chapters(root), root)
    payload = json.dumps(
        [
            data_digest(year, root),
            code_digest(root, publishing=False),
            code_digest(root, publishing=True),
            notebooks,
            year,
            engine,
            internal,
            provenance.digest(provenance.collect(year, engine, root)),
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _up_to_date(out: Path, year: int, key: str) -> bool:
    stamp = out / BUILD_KEY
    if not stamp.is_file() or stamp.read_text().strip() != key:
        return False
    return all((out / name.format(year=year)).is_file() for name in OUTPUTS)


def warnings_of(out: Path) -> list[str]:
    """What a built year lacks from the previous one (``previous_year`` in indicators.json)."""
    try:
        record = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return list((record.get("previous_year") or {}).get("warnings", []))


def _outputs(out: Path, year: int) -> dict[str, Path]:
    return {
        "html": out / f"rapport-{year}.html",
        "pdf": out / f"rapport-{year}.pdf",
        "indicators": out / "indicators.json",
        "anomalies": out / "anomalies.csv",
        "provenance": out / "provenance.json",
        "notebooks": out / "notebooks",
    }


def _build_into(
    tmp: Path,
    year: int,
    engine: str,
    internal: bool,
    jobs: int | None,
    root: Path,
    cache: Path | None,
) -> None:
    from cae_report.analysis import indicators
    from cae_report.build import provenance
    from cae_report.build.prepare import prepare_year, previous_year_status, write_processed
    from cae_report.publish import chapters, render

    log(year, "validating and cleaning the data")
    prepared = prepare_year(year, root=root)
    write_processed(prepared, config.processed_dir(year, root))
    prepared.anomalies.to_csv(tmp / "anomalies.csv", index=False, lineterminator="\n")
    status = previous_year_status(year, root)
    previous = status.prepared
    values = indicators.compute(prepared.tables, previous.tables if previous else None)
    indicators.check(values)
    for warning in status.warnings:
        log(year, f"warning: {warning}")
    (tmp / "indicators.json").write_text(
        json.dumps(
            {"year": year, **values, "previous_year": status.as_dict()},
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    record = provenance.collect(year, engine, root)
    provenance.write(tmp / "provenance.json", record)
    sources = chapters(root)
    log(year, f"executing {len(sources)} notebooks")
    # Every notebook receives every parameter (papermill injects them all).
    parameters = {"year": year, "engine": engine, "edition": "internal" if internal else "public"}
    executed = execute_all(
        sources,
        tmp / "notebooks",
        parameters,
        jobs or os.cpu_count() or 1,
        cache,
        root,
        provenance.digest(record),
    )
    publishing = code_digest(root, publishing=True)
    rkey = render_key(executed, publishing, engine, year, internal)
    hit = cache / "render" / rkey if cache else None
    if hit is not None and all(
        (hit / f"rapport-{year}.{ext}").is_file() for ext in ("html", "pdf", "ipynb")
    ):
        for ext in ("html", "pdf", "ipynb"):
            shutil.copyfile(hit / f"rapport-{year}.{ext}", tmp / f"rapport-{year}.{ext}")
        log(year, "reused the rendered report (notebook results and templates unchanged)")
        return
    log(year, f"rendering with {engine}" + (" (internal edition)" if internal else ""))
    rendered = render(executed, tmp, year, engine, root, internal=internal)
    if hit is not None:
        for path in rendered.values():
            _store(path, hit / path.name)


def _swap(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` (two renames on one file system)."""
    old = None
    if out.exists():
        old = out.with_name(f".old-{out.name}-{os.getpid()}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_batch(
    years: list[int], engine: str = "auto", jobs: int = 1, use_cache: bool = True
) -> list[BuildResult]:
    """Build several years, each in its own process; ``jobs`` notebooks run at once in all.

    Failures are reported per year and do not stop the others."""

    def run(year: int) -> BuildResult:
        started = time.perf_counter()
        args = [
            sys.executable,
            "-m",
            "cae_report.cli",
            "build",
            "--year",
            str(year),
            "--engine",
            engine,
            "--notebook-jobs",
            "1",
        ]
        proc = subprocess.run(
            args + ([] if use_cache else ["--no-cache"]), capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        for line in proc.stderr.splitlines():
            if line.startswith(f"[{year}]"):
                print(line, file=sys.stderr, flush=True)
        if proc.returncode == 0:
            out = config.build_dir(year)
            return BuildResult(year, True, seconds, _outputs(out, year), warnings=warnings_of(out))
        errors = [ln for ln in proc.stderr.splitlines() if not ln.startswith(f"[{year}]")]
        error = "\n".join(errors).removeprefix("error: ") or "failed"
        return BuildResult(year, False, seconds, error=error)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, years))


def print_summary(results: list[BuildResult]) -> None:
    print(f"{'year':<6}{'status':<19}{'time':>8}  outputs / error")
    for r in results:
        status = ("ok, with warnings" if r.warnings else "ok") if r.ok else "FAILED"
        detail = "  ".join(str(p) for k, p in r.outputs.items() if k in ("html", "pdf"))
        if r.cached:
            detail += "  (up to date)"
        if not r.ok:
            detail = (r.error or "").replace("\n", "\n" + " " * 35)
        print(f"{r.year:<6}{status:<19}{r.seconds:>7.1f}s  {detail}")
        for warning in r.warnings:
            print(f"{'':<35}warning: {warning}")
