"""Building a year's report: execute once (papermill), render many (HTML, PDF).

Everything is written to a temporary folder next to ``_build/<year>/`` and swapped
in only when every step succeeded, so a failed build leaves the previous report
in place. A year's build touches only its own folder: years can build at once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import config, indicators
from .errors import DataError
from .pipeline import prepare_year, previous_year, write_processed


@dataclass
class BuildResult:
    year: int
    ok: bool
    seconds: float
    outputs: dict[str, Path] = field(default_factory=dict)
    error: str | None = None


def chapters(root: Path) -> list[Path]:
    """The notebooks of the report, in order: ``_quarto.yml`` is the one place for it."""
    meta = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}
    return [root / p for p in meta["cae-report"]["chapters"]]


def resolve_engine(engine: str) -> str:
    """``auto``: Quarto when on PATH, else pandoc + Typst."""
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    if engine == "quarto" and not shutil.which("quarto"):
        raise RuntimeError("engine quarto asked but `quarto` is not on PATH; use --engine pandoc")
    return engine


def log(year: int, message: str) -> None:
    print(f"[{year}] {message}", file=sys.stderr, flush=True)


def execute_all(sources: list[Path], out_dir: Path, year: int, jobs: int) -> list[Path]:
    """Run every notebook in its own papermill process, ``jobs`` at a time."""
    out_dir.mkdir(parents=True, exist_ok=True)

    def run(source: Path) -> Path:
        target = out_dir / source.name
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "cae_report.execute", str(source), str(target), str(year)],
            capture_output=True,
            text=True,
            env={**os.environ, "CAE_REPORT_ROOT": str(config.project_root())},
        )
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.startswith("error:")]
            raise RuntimeError(lines[-1][7:] if lines else proc.stderr.strip()[-2000:])
        log(year, f"executed {source.name} in {time.perf_counter() - started:.1f} s")
        return target

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, sources))


def build_year(
    year: int, engine: str = "auto", internal: bool = False, jobs: int | None = None
) -> BuildResult:
    """Build ``_build/<year>/``: rapport-<year>.html/.pdf, indicators.json, anomalies.csv,
    the executed notebooks. Never raises for expected failures: the result says why."""
    started = time.perf_counter()
    root = config.project_root()
    out = config.build_dir(year, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{year}-", dir=out.parent))
    try:
        outputs = _build_into(tmp, year, resolve_engine(engine), internal, jobs, root)
        _swap(tmp, out)
        outputs = {k: out / v.relative_to(tmp) for k, v in outputs.items()}
        return BuildResult(year, True, time.perf_counter() - started, outputs)
    except DataError as exc:
        error = "invalid data:\n" + "\n".join(f"  {p}" for p in exc.problems)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, the build goes on
        error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RuntimeError) else str(exc)
    shutil.rmtree(tmp, ignore_errors=True)
    return BuildResult(year, False, time.perf_counter() - started, error=error)


def _build_into(
    tmp: Path, year: int, engine: str, internal: bool, jobs: int | None, root: Path
) -> dict[str, Path]:
    log(year, "validating and cleaning the data")
    prepared = prepare_year(year, root=root)
    write_processed(prepared, config.processed_dir(year, root))
    prepared.anomalies.to_csv(tmp / "anomalies.csv", index=False, lineterminator="\n")
    previous = previous_year(year, root)
    values = indicators.compute(prepared.tables, previous.tables if previous else None)
    (tmp / "indicators.json").write_text(
        json.dumps({"year": year, **values}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    sources = chapters(root)
    log(year, f"executing {len(sources)} notebooks")
    executed = execute_all(sources, tmp / "notebooks", year, jobs or os.cpu_count() or 1)
    log(year, f"rendering with {engine}")
    from .publish import render

    rendered = render(executed, tmp, year, engine, root)
    return {
        "html": rendered["html"],
        "pdf": rendered["pdf"],
        "indicators": tmp / "indicators.json",
        "anomalies": tmp / "anomalies.csv",
        "notebooks": tmp / "notebooks",
    }


def _swap(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` (two renames on one file system)."""
    old = None
    if out.exists():
        old = out.with_name(f".old-{out.name}-{os.getpid()}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_batch(years: list[int], engine: str = "auto", jobs: int = 1) -> list[BuildResult]:
    """Build several years, ``jobs`` at a time, each in its own process; failures are
    reported per year and do not stop the others."""

    def run(year: int) -> BuildResult:
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "cae_report.cli",
                "build",
                "--year",
                str(year),
                "--engine",
                engine,
                "--notebook-jobs",
                "1" if jobs > 1 else "0",
            ],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        for line in proc.stderr.splitlines():
            if line.startswith(f"[{year}]"):
                print(line, file=sys.stderr, flush=True)
        if proc.returncode == 0:
            out = config.build_dir(year)
            return BuildResult(
                year,
                True,
                seconds,
                {"html": out / f"rapport-{year}.html", "pdf": out / f"rapport-{year}.pdf"},
            )
        error = proc.stderr.strip().split("error: ", 1)[-1] if proc.stderr else "failed"
        return BuildResult(year, False, seconds, error=error)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, years))


def print_summary(results: list[BuildResult]) -> None:
    print(f"{'year':<6}{'status':<8}{'time':>8}  outputs / error")
    for r in results:
        status = "ok" if r.ok else "FAILED"
        detail = "  ".join(str(p) for k, p in r.outputs.items() if k in ("html", "pdf"))
        if not r.ok:
            detail = (r.error or "").replace("\n", "\n" + " " * 24)
        print(f"{r.year:<6}{status:<8}{r.seconds:>7.1f}s  {detail}")
