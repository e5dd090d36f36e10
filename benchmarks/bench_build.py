"""Benchmark of the build against its floor and a plain papermill run, side by side in one run.

Everything runs on a copy of the project (the project's own ``_build`` is never touched).
Each round runs every measure once, one after another, so that a busy machine slows them all
alike and the ratios stay comparable; medians are over ``--repeat`` rounds, after one untimed
run of the floor and of the cold build (:data:`WARM_UP`). Peak memory is
the proportional set size (PSS) of the whole process tree (kernels included), sampled every
20 ms in one more run of each measure, never while a time is taken (sampling costs CPU):
resident sizes would count twice the pages that a process forked to run pandoc, or a kernel
forked from the fork server, shares with its parent.

* floor: papermill runs a notebook that only imports the package, pandas, matplotlib and
  plotly: one kernel start and the imports, the least a build that executes notebooks costs;
* cold build of ``--year`` (``--no-cache``: prepared, executed, rendered to HTML and PDF);
* plain papermill baseline: the same chapters executed one after another with papermill
  (execution only, no rendering), as one would without this tool;
* batch of ``--batch`` with 1 and with 2 jobs (cold);
* no-op rebuild (nothing changed: served from the verified cache).

The targets (issue 15) are checked and printed with the table that the README quotes:

    .venv/bin/python benchmarks/bench_build.py [--repeat 5] [--year 2016] [--skip-batch-1]

Writes ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
COPIED = (
    "_quarto.yml",
    "notebooks",
    "data/raw",
    "data/reference",
    "data/cooperative.yml",
    "report",
)
TARGETS = {
    "cold_vs_floor": 2.5,
    "cold_vs_baseline": 0.30,
    "batch_2_jobs_vs_cold": 2.0,
    "noop_s": 0.3,
    "peak_mib": 700,
}
WARM_UP = ("floor", "cold_build")
"""Run once, untimed, before the rounds (the longer measures come after them in each round)."""
FLOOR_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "parameters",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": ["year: int = 2016"],
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "imports",
            "metadata": {},
            "outputs": [],
            "source": [
                "import cae_report\n",
                "import pandas\n",
                "import matplotlib\n",
                "import plotly",
            ],
        },
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def make_root(tmp: Path) -> Path:
    """A copy of what a build reads, so the benchmark never touches the project's _build."""
    root = tmp / "project"
    root.mkdir()
    for name in COPIED:
        source, target = ROOT / name, root / name
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    shutil.copytree(ROOT / "src/cae_report/publish", root / "src/cae_report/publish")
    return root


def _memory(proc: psutil.Process) -> int:
    """A process's proportional set size (its private pages and its share of the pages it
    shares): summed over a tree, a process forked to run pandoc or git is not counted twice
    before it execs, as resident sizes would count it. Resident size where PSS is unknown."""
    try:
        return proc.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return proc.memory_info().rss


def run(cmd: list[str], root: Path, *, memory: bool = False) -> tuple[float, int]:
    """Wall time of one command and, with ``memory``, its peak memory (bytes of PSS, summed
    over the process tree; else 0). The two are measured in separate runs: reading a
    process's PSS costs about 4 ms of CPU, so sampling a build's six processes every 20 ms
    took half a core from a build that keeps both busy (and less from the floor's two)."""
    env = {**os.environ, "CAE_REPORT_ROOT": str(root)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            parent = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            try:
                procs = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(_memory(p) for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if memory:
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return seconds, peak


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cae_report.cli", *args]


def papermill_cmd(notebooks: list[str], year: int, out: Path) -> list[str]:
    """The notebooks one after another with plain papermill (one process, as a user would).

    Without rfc3987_syntax, as the build (see ``cae_report/build/__init__.py``): JupyterLab's
    dependencies make ``import papermill`` seconds slower otherwise, which would flatter the
    build's ratios."""
    script = (
        "import sys\n"
        "sys.modules.setdefault('rfc3987_syntax', None)\n"
        "import papermill as pm\n"
        f"for nb in {notebooks!r}:\n"
        f"    pm.execute_notebook(nb, {str(out)!r} + '/' + nb.split('/')[-1], "
        f"parameters={{'year': {year}}}, cwd='notebooks', kernel_name='python3', "
        "progress_bar=False)\n"
    )
    return [sys.executable, "-c", script]


def summary(times: list[float], peaks: list[int]) -> dict:
    return {
        "median_s": statistics.median(times),
        "runs_s": times,
        "peak_rss_mib": max(peaks) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--year", type=int, default=2016)
    parser.add_argument("--batch", default="2013-2016")
    parser.add_argument("--skip-batch-1", action="store_true", help="no batch with 1 job")
    args = parser.parse_args()
    year = str(args.year)
    from cae_report.report.chapters import notebooks

    with tempfile.TemporaryDirectory() as tmp:
        root = make_root(Path(tmp))
        # The notebooks only: the written chapters are not executed.
        chapters = [p.relative_to(root).as_posix() for p in notebooks(root)]
        out = Path(tmp) / "papermill"
        out.mkdir()
        floor = root / "notebooks" / "bench-floor.ipynb"
        floor.write_text(json.dumps(FLOOR_NOTEBOOK), encoding="utf-8")
        measures = {
            "floor": papermill_cmd(["notebooks/bench-floor.ipynb"], args.year, out),
            "cold_build": cli("build", "--year", year, "--engine", "pandoc", "--no-cache"),
            "papermill_baseline": papermill_cmd(chapters, args.year, out),
            "batch_jobs_2": cli(
                "batch", "--years", args.batch, "--jobs", "2", "--engine", "pandoc", "--no-cache"
            ),
        }
        if not args.skip_batch_1:
            measures["batch_jobs_1"] = cli(
                "batch", "--years", args.batch, "--jobs", "1", "--engine", "pandoc", "--no-cache"
            )
        runs: dict[str, tuple[list[float], list[int]]] = {name: ([], []) for name in measures}
        # Not timed: the first run in a new copy pays for what later runs find in the page
        # cache (the copy's files, the modules), and the floor, measured first, paid it all.
        for name in WARM_UP:
            run(measures[name], root)
        for round_ in range(args.repeat):
            for name, cmd in measures.items():
                seconds, _ = run(cmd, root)
                runs[name][0].append(seconds)
                print(f"  round {round_ + 1}: {name}: {seconds:.2f} s", file=sys.stderr)
        for name, cmd in measures.items():  # then memory, one sampled run of each
            _, peak = run(cmd, root, memory=True)
            runs[name][1].append(peak)
            print(f"  memory: {name}: peak {peak / 2**20:.0f} MiB", file=sys.stderr)
        floor.unlink()
        rebuild = cli("build", "--year", year, "--engine", "pandoc")
        run(rebuild, root)  # fill the cache
        noop = ([run(rebuild, root)[0] for _ in range(max(args.repeat, 5))], [])
        noop[1].append(run(rebuild, root, memory=True)[1])
        print(f"  no-op rebuild: {statistics.median(noop[0]):.2f} s", file=sys.stderr)
    results = {name: summary(*values) for name, values in runs.items()}
    results["noop_rebuild"] = summary(*noop)
    cold = results["cold_build"]["median_s"]
    results["ratios"] = {
        "cold_vs_floor": cold / results["floor"]["median_s"],
        "cold_vs_baseline": cold / results["papermill_baseline"]["median_s"],
        "batch_2_jobs_vs_cold": results["batch_jobs_2"]["median_s"] / cold,
    }
    if "batch_jobs_1" in results:
        results["ratios"]["batch_speedup_2_jobs"] = (
            results["batch_jobs_1"]["median_s"] / results["batch_jobs_2"]["median_s"]
        )
    results["peak_mib"] = max(
        results[name]["peak_rss_mib"]
        for name in ("cold_build", "batch_jobs_2", "batch_jobs_1", "noop_rebuild")
        if name in results
    )
    results["targets"] = targets(results)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_end": os.getloadavg(),
        "repeat": args.repeat,
    }
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results, args))


def targets(r: dict) -> dict[str, dict]:
    """Each target of issue 15 with its measured value and whether it is met."""
    measured = {
        **{
            k: r["ratios"][k] for k in ("cold_vs_floor", "cold_vs_baseline", "batch_2_jobs_vs_cold")
        },
        "noop_s": r["noop_rebuild"]["median_s"],
        "peak_mib": r["peak_mib"],
    }
    return {
        name: {"measured": measured[name], "target": limit, "met": measured[name] <= limit}
        for name, limit in TARGETS.items()
    }


def table(r: dict, args) -> str:
    rows = [
        ("Floor: papermill, a notebook that only imports the package", r["floor"]),
        (f"Cold build of {args.year} (`--no-cache`)", r["cold_build"]),
        (
            "Plain papermill baseline (chapters one after another, no render)",
            r["papermill_baseline"],
        ),
        (f"Batch {args.batch}, 2 jobs (cold)", r["batch_jobs_2"]),
    ]
    if "batch_jobs_1" in r:
        rows.append((f"Batch {args.batch}, 1 job (cold)", r["batch_jobs_1"]))
    rows.append(("No-op rebuild (verified cache)", r["noop_rebuild"]))
    lines = [
        f"| measure ({r['machine']['cpus']} cores, median of {args.repeat}) | time | peak memory |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {name} | {m['median_s']:.2f} s | {m['peak_rss_mib']:.0f} MiB |" for name, m in rows
    ]
    lines += ["", "| target | measured | limit | met |", "|---|---:|---:|:-:|"]
    labels = {
        "cold_vs_floor": "cold build / floor",
        "cold_vs_baseline": "cold build / papermill baseline",
        "batch_2_jobs_vs_cold": "batch, 2 jobs / cold build",
        "noop_s": "no-op rebuild (s)",
        "peak_mib": "peak memory (MiB)",
    }
    for name, t in r["targets"].items():
        met = "yes" if t["met"] else "no"
        lines.append(f"| {labels[name]} | {t['measured']:.2f} | {t['target']} | {met} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
