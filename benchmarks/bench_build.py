"""Benchmark of the build, side by side in one run, on a copy of the project.

Measures (wall-clock medians over ``--repeat`` runs, and the peak resident memory of the
whole process tree, sampled every 20 ms):

* the cold build of the default year (``--no-cache``: every notebook executed, rendered);
* the plain baseline: the same notebooks executed one after another with papermill
  (execution only, no rendering), as a user would without this tool;
* the no-op rebuild (nothing changed: served from the cache);
* a batch of four years with 1 and with 2 jobs (cold).

    .venv/bin/python benchmarks/bench_build.py [--repeat 3] [--year 2016]

Prints a Markdown table (copied into the README) and writes benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
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


def make_root(tmp: Path) -> Path:
    """A copy of what a build reads, so the benchmark never touches the project's _build."""
    root = tmp / "project"
    root.mkdir()
    shutil.copy(ROOT / "_quarto.yml", root)
    for sub in ("notebooks", "report", "data/raw", "data/reference", "src/cae_report/publish"):
        shutil.copytree(ROOT / sub, root / sub)
    shutil.copy(ROOT / "data" / "cooperative.yml", root / "data")
    return root


def run(cmd: list[str], root: Path) -> tuple[float, int]:
    """Wall time and peak RSS (bytes, summed over the process tree) of one command."""
    env = {**os.environ, "CAE_REPORT_ROOT": str(root)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return seconds, peak


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cae_report.cli", *args]


def baseline_cmd(root: Path, year: int, out: Path) -> list[str]:
    """The notebooks one after another with plain papermill (one process, as a user would)."""
    import yaml

    chapters = yaml.safe_load((root / "_quarto.yml").read_text())["cae-report"]["chapters"]
    script = (
        "import papermill as pm, sys\n"
        f"for nb in {chapters!r}:\n"
        f"    pm.execute_notebook(nb, {str(out)!r} + '/' + nb.split('/')[-1], "
        f"parameters={{'year': {year}}}, cwd='notebooks', kernel_name='python3', "
        "progress_bar=False)\n"
    )
    return [sys.executable, "-c", script]


def measure(name: str, cmd: list[str], root: Path, repeat: int, before=None) -> dict:
    times, peaks = [], []
    for _ in range(repeat):
        if before:
            before()
        seconds, peak = run(cmd, root)
        times.append(seconds)
        peaks.append(peak)
        print(f"  {name}: {seconds:.2f} s, peak {peak / 2**20:.0f} MiB", file=sys.stderr)
    return {
        "median_s": statistics.median(times),
        "runs_s": times,
        "peak_rss_mib": max(peaks) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--year", type=int, default=2016)
    parser.add_argument("--batch", default="2013-2016")
    args = parser.parse_args()
    year, repeat = str(args.year), args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        root = make_root(Path(tmp))
        out = Path(tmp) / "baseline"
        out.mkdir()
        results = {
            "cold_build": measure(
                "cold build",
                cli("build", "--year", year, "--engine", "pandoc", "--no-cache"),
                root,
                repeat,
            ),
            "papermill_baseline": measure(
                "papermill baseline", baseline_cmd(root, args.year, out), root, repeat
            ),
        }
        run(cli("build", "--year", year, "--engine", "pandoc"), root)  # fill the cache
        results["noop_rebuild"] = measure(
            "no-op rebuild",
            cli("build", "--year", year, "--engine", "pandoc"),
            root,
            max(repeat, 5),
        )
        for jobs in (1, 2):
            results[f"batch_jobs_{jobs}"] = measure(
                f"batch {args.batch} jobs {jobs}",
                cli(
                    "batch",
                    "--years",
                    args.batch,
                    "--jobs",
                    str(jobs),
                    "--engine",
                    "pandoc",
                    "--no-cache",
                ),
                root,
                repeat,
            )
    results["ratio_cold_vs_baseline"] = (
        results["cold_build"]["median_s"] / results["papermill_baseline"]["median_s"]
    )
    results["batch_speedup_2_jobs"] = (
        results["batch_jobs_1"]["median_s"] / results["batch_jobs_2"]["median_s"]
    )
    results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results, args))


def table(r: dict, args) -> str:
    rows = [
        ("Cold build (no cache)", r["cold_build"]),
        ("Plain papermill baseline (sequential, no render)", r["papermill_baseline"]),
        ("No-op rebuild (cache)", r["noop_rebuild"]),
        (f"Batch {args.batch}, 1 job", r["batch_jobs_1"]),
        (f"Batch {args.batch}, 2 jobs", r["batch_jobs_2"]),
    ]
    lines = [
        f"| measure (year {args.year}, {r['machine']['cpus']} cores, "
        f"median of {args.repeat}) | time | peak memory |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {name} | {m['median_s']:.2f} s | {m['peak_rss_mib']:.0f} MiB |" for name, m in rows
    ]
    lines.append(f"| Cold build / baseline | {r['ratio_cold_vs_baseline']:.2f} | |")
    lines.append(f"| Batch speed-up, 2 jobs vs 1 | {r['batch_speedup_2_jobs']:.2f}× | |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
