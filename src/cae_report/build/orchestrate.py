"""Building reports: prepare each year once, execute the chapters on few kernels, render.

One run builds one year (``cae-report build``) or several (``cae-report batch``), the same way:

1. every year's content key is checked against its output folder, every file of which is
   verified against the SHA-256 the build recorded: an unchanged year is a no-op;
2. the chapters whose executed copy is not in the cache are queued, and ``jobs`` kernels start
   at once (:class:`cae_report.build.execute.ChapterKernel`), importing what the chapters
   import while
3. the data are prepared, each year needed exactly once for the whole run (the reports' years
   and every earlier year their chapters compare with), taken from the cache when unchanged
   (:func:`cae_report.build.prepare.prepare_for_build`); the kernels read that result;
4. each kernel takes the next chapter, of whichever year; when a year's last chapter is done,
   that kernel's thread renders the year (or takes the rendered report from the cache) and
   swaps it in.

Everything is written to a temporary folder next to ``_build/<year>/`` and swapped in only
when every step succeeded, in one atomic exchange of the two folders (``renameat2``), so a
failed or killed build leaves the previous report in place, never an absent folder. A build
removes the temporary folders that killed builds left. The internal edition (``--internal``:
personal details for the board, every page marked) goes to ``_build/<year>-interne/``, its
files named ``rapport-<year>-interne.*``, with its own private cache (``0700``), and never
replaces the public report; public folders are readable as the umask allows.

Cache (``_build/.cache/``, :mod:`cae_report.build.cache`), keyed on content, never on times,
every file verified by its SHA-256 before use:

* a prepared year: its raw files, the reference files, the code, the edition;
* an executed notebook: its source, the data it can read (the raw folders up to its year, the
  reference files), the package code, the lock file and its parameters (year, engine,
  edition); a notebook whose code uses :mod:`cae_report.build.provenance` (the annex) is also
  keyed on the provenance record (Git commit, dirty flag, tools' versions);
* the rendered HTML and PDF: the executed notebooks, the publishing code and templates,
  ``_quarto.yml``, the written chapters, the engine and the edition.

This module imports nothing heavy at the top: a no-op rebuild must stay well under a second.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cae_report import config
from cae_report.build import forkserver
from cae_report.build.cache import Cache, current_umask
from cae_report.build.digests import (
    chapter_paths,
    code_digest,
    data_digest,
    file_digest,
    report_files,
    tree_digest,
)
from cae_report.errors import DataError

if TYPE_CHECKING:
    from cae_report.build.prepare import Prepared

BUILD_KEY = ".build-key"
"""In an output folder: the build's key and the SHA-256 of every file it wrote."""
INTERNAL_SUFFIX = "-interne"
_USES_PROVENANCE = re.compile(r"\bprovenance\.|import\s+provenance\b|cae_report\.provenance\b")
_STALE = re.compile(r"^\.(tmp|old)-(?P<name>.+?)-(?P<pid>\d+)(-.*)?$")
MACHINE_FAULTS = {
    errno.ENOSPC: "the disk is full: free some space, then run the command again",
    errno.EDQUOT: "the disk quota is exceeded: free some space, then run the command again",
    errno.EROFS: "the folder is on a read-only file system: make it writable or use --root "
    "with a writable copy of the project",
    errno.EACCES: "permission denied: make the folder writable for this user",
    errno.EPERM: "the folder cannot be written (permissions or an immutable attribute): make it "
    "writable for this user",
}


@dataclass
class BuildResult:
    year: int
    ok: bool
    seconds: float
    outputs: dict[str, Path] = field(default_factory=dict)
    error: str | None = None
    cached: bool = False
    invalid: bool = False
    """The year's data are invalid (exit code 2), not a failed step."""
    warnings: list[str] = field(default_factory=list)
    """What the year's report lacks from the previous year (« ok, with warnings »)."""


def log(year: int | str, message: str) -> None:
    print(f"[{year}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- content keys


def notebook_key(source: Path, data: str, code: str, parameters: dict, provenance: str = "") -> str:
    payload = json.dumps([file_digest(source), data, code, parameters, provenance], sort_keys=True)
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
    payload = json.dumps([[file_digest(p) for p in executed], publishing, engine, year, internal])
    return hashlib.sha256(payload.encode()).hexdigest()


def build_key(
    year: int, engine: str, internal: bool, root: Path, record: dict | None = None
) -> str:
    """Everything a year's outputs depend on; ``record``: its provenance record, if collected."""
    from cae_report.build import provenance

    record = record if record is not None else provenance.collect(year, engine, root)
    payload = json.dumps(
        [
            data_digest(year, root),
            code_digest(root, publishing=False),
            code_digest(root, publishing=True),
            tree_digest(report_files(root, year), root),
            year,
            engine,
            internal,
            provenance.digest(record),
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# ---------------------------------------------------------------- output folders


def output_names(year: int, internal: bool = False) -> dict[str, str]:
    """The files of a year's output folder; the internal edition's report files say so."""
    stem = f"rapport-{year}{INTERNAL_SUFFIX if internal else ''}"
    return {
        "html": f"{stem}.html",
        "pdf": f"{stem}.pdf",
        "ipynb": f"{stem}.ipynb",
        "indicators": "indicators.json",
        "anomalies": "anomalies.csv",
        "provenance": "provenance.json",
        "notebooks": "notebooks",
    }


def _outputs(out: Path, year: int, internal: bool = False) -> dict[str, Path]:
    return {kind: out / name for kind, name in output_names(year, internal).items()}


def warnings_of(out: Path) -> list[str]:
    """What a built year lacks from the previous one (``previous_year`` in indicators.json)."""
    try:
        record = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return list((record.get("previous_year") or {}).get("warnings", []))


def _written_files(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of an output folder but the stamp, by relative path."""
    return {
        p.relative_to(folder).as_posix(): file_digest(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != BUILD_KEY
    }


def verify_outputs(out: Path, key: str) -> str | None:
    """None when ``out`` holds what the build of ``key`` wrote, byte for byte; else why not."""
    stamp = out / BUILD_KEY
    if not stamp.is_file():
        return "no build stamp" if out.exists() else "no previous report"
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded["key"] != key:
            return "inputs changed"
        files = recorded["files"]
    except (ValueError, KeyError, TypeError):
        return "unreadable build stamp"
    for name, digest in files.items():
        path = out / name
        if not path.is_file():
            return f"{path.name} is missing"
        if file_digest(path) != digest:
            return f"{name} differs from what the build wrote"
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False when the
    system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap(tmp: Path, out: Path) -> None:
    """Put ``tmp`` in place of ``out``; ``out`` is never absent when it existed before.

    One atomic exchange where the system offers it; otherwise two renames, and a build killed
    between them leaves ``.old-<name>-<pid>``, which the next build puts back
    (:func:`clean_stale`)."""
    if out.exists() and _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous report
        return
    old = None
    if out.exists():
        old = out.with_name(f".old-{out.name}-{os.getpid()}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(build_root: Path) -> list[str]:
    """Remove what killed builds left in ``_build/`` (``.tmp-*`` folders; ``.old-*`` folders are
    put back when their report is absent). Returns what was done, one line each."""
    done = []
    if not build_root.is_dir():
        return done
    for entry in sorted(build_root.iterdir()):
        match = _STALE.match(entry.name)
        if not match or not entry.is_dir() or _alive(int(match["pid"])):
            continue
        target = build_root / match["name"]
        if entry.name.startswith(".old-") and not target.exists():
            entry.rename(target)
            done.append(f"put back {target.name}/, left aside by an interrupted build")
        else:
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed {entry.name}/, left by an interrupted build")
    return done


def _public_mode(folder: Path) -> None:
    """``mkdtemp`` makes ``0700`` folders: a public report is readable as the umask allows."""
    os.chmod(folder, 0o777 & ~current_umask())


# ---------------------------------------------------------------- steps


def resolve_engine(engine: str) -> str:
    """``auto``: Quarto when on PATH, else pandoc + Typst."""
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    if engine == "quarto" and not shutil.which("quarto"):
        raise RuntimeError("engine quarto asked but `quarto` is not on PATH; use --engine pandoc")
    return engine


def machine_fault(exc: BaseException, where: Path | None = None) -> str | None:
    """One line for a fault of the machine (full disk, read-only folder), naming the path
    (``where`` when the error names none) and what to do; None for any other error."""
    if isinstance(exc, OSError) and exc.errno in MACHINE_FAULTS:
        path = exc.filename or where or "a file of the build"
        return f"cannot write {path}: {MACHINE_FAULTS[exc.errno]}"
    text = str(exc)
    for code, words in ((errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only")):
        if words in text:
            found = re.search(r"(/[^\s:'\"]+)", text)
            path = found.group(1) if found else where or "a file of the build"
            return f"cannot write {path}: {MACHINE_FAULTS[code]}"
    return None


def _describe(exc: BaseException, where: Path | None = None) -> str:
    fault = machine_fault(exc, where)
    if fault:
        return fault
    if isinstance(exc, RuntimeError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@dataclass
class YearPlan:
    """One year's build in a run: its keys, temporary folder, chapters and their state."""

    year: int
    out: Path
    key: str
    record: dict[str, Any]
    parameters: dict[str, Any]
    sources: list[Path]
    started: float
    tmp: Path | None = None
    pending: list[Path] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    left: int = 0
    written: dict[Path, Path] = field(default_factory=dict)
    """The written chapters, resolved (``publish.assemble.write_written_chapters``)."""
    error: str | None = None
    invalid: bool = False
    result: BuildResult | None = None


class Run:
    """The build of one or more years in one process (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        engine: str,
        internal: bool,
        jobs: int,
        use_cache: bool,
        *,
        work: Path | None = None,
    ):
        self.root = root
        # ``work``: execute only, into ``work/<year>/`` (Quarto's pre-render renders itself).
        self.work = work
        self.engine = engine
        self.internal = internal
        self.jobs = max(1, jobs)
        self.use_cache = use_cache
        self.build_root = root / "_build"
        self.cache = Cache(
            self.build_root / (".cache-interne" if internal else ".cache"),
            private=internal,
            read=use_cache,
        )
        self.lock = threading.Lock()
        # One render at a time: pandoc and Typst rendering two years at once took a batch past
        # 700 MiB; the kernels go on executing chapters meanwhile.
        self.render_lock = threading.Lock()

    # ------------------------------------------------------------ planning

    def plan(self, year: int) -> YearPlan | BuildResult:
        """The year's plan, or its result when its outputs are verified up to date."""
        from cae_report.build import provenance

        started = time.perf_counter()
        out = config.build_dir(year, self.root, internal=self.internal)
        if self.work is not None:
            out = self.work / str(year)
        record = provenance.collect(year, self.engine, self.root)
        key = build_key(year, self.engine, self.internal, self.root, record)
        if self.use_cache and self.work is None:
            why = verify_outputs(out, key)
            if why is None:
                log(year, "up to date (inputs, code and parameters unchanged; outputs verified)")
                return BuildResult(
                    year,
                    True,
                    time.perf_counter() - started,
                    _outputs(out, year, self.internal),
                    cached=True,
                    warnings=warnings_of(out),
                )
            if why not in ("inputs changed", "no previous report"):
                log(year, f"rebuilding: {why}")
        edition = "internal" if self.internal else "public"
        # Every notebook receives every parameter (papermill injects them all).
        parameters = {"year": year, "engine": self.engine, "edition": edition}
        return YearPlan(year, out, key, record, parameters, chapter_paths(self.root), started)

    def lookup_notebooks(self, plan: YearPlan) -> None:
        """Copy the cached executed notebooks into the plan's folder; queue the others."""
        from cae_report.build import provenance

        data, code = data_digest(plan.year, self.root), code_digest(self.root, publishing=False)
        prov = provenance.digest(plan.record)
        (plan.tmp / "notebooks").mkdir(parents=True, exist_ok=True)
        for source in plan.sources:
            key = notebook_key(
                source, data, code, plan.parameters, prov if uses_provenance(source) else ""
            )
            plan.keys[source.name] = key
            hit = self.cache.get("notebook", key)
            if hit is not None:
                shutil.copyfile(hit["notebook.ipynb"], plan.tmp / "notebooks" / source.name)
                log(plan.year, f"reused {source.name} (unchanged)")
            else:
                plan.pending.append(source)
        plan.left = len(plan.pending)

    # ------------------------------------------------------------ running

    def build(self, years: list[int]) -> list[BuildResult]:
        results: dict[int, BuildResult] = {}
        plans: list[YearPlan] = []
        self.tasks: queue.Queue = queue.Queue()
        self.workers: list[threading.Thread] = []
        self.forks: Any = None
        self.kernel_dir: Path | None = None
        self.chapters_left = 0
        try:
            self._plan_and_build(years, results, plans)
            self._stop_workers()  # the kernels' threads finish the years they render
        except KeyboardInterrupt:  # Ctrl-C: no waiting for the kernels (their threads are daemons)
            self._abandon()
            raise
        except BaseException:
            self._stop_workers()
            raise
        results.update({p.year: p.result for p in plans if p.result is not None})
        return [results[year] for year in years]

    def _plan_and_build(
        self, years: list[int], results: dict[int, BuildResult], plans: list[YearPlan]
    ) -> None:
        if not self.use_cache:  # every chapter runs: the kernels start at once
            try:
                self._start_workers(chapter_paths(self.root) * len(years))
            except Exception:  # noqa: BLE001, S110 - started later, or the failure said then
                pass
        for year in years:
            try:
                planned = self.plan(year)
            except Exception as exc:  # noqa: BLE001 - reported per year
                results[year] = BuildResult(year, False, 0.0, error=_describe(exc))
                continue
            if isinstance(planned, BuildResult):
                results[year] = planned
            else:
                plans.append(planned)
        if plans:
            self._build_plans(plans)

    def _start_workers(self, sources: list[Path]) -> None:
        """Start ``jobs`` kernels (at most one per chapter to run), each in its thread, importing
        what ``sources`` import; they take their chapters from :attr:`tasks`."""
        from cae_report.build.execute import imported_modules

        if self.workers or not sources:
            return
        self.kernel_dir = Path(
            tempfile.mkdtemp(prefix=f".tmp-run-{os.getpid()}-", dir=self.build_root)
        )
        env = {
            **os.environ,
            "CAE_REPORT_ROOT": str(self.root),
            "CAE_REPORT_PREPARED": str(self.manifest_path),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        warm = imported_modules(list(dict.fromkeys(sources)))
        self.forks = _fork_server(warm, env)
        for n in range(min(self.jobs, len(sources))):
            thread = threading.Thread(
                target=self._worker,
                args=(self.tasks, sources[0].parent, env, warm, f"kernel {n + 1}"),
                daemon=True,
            )
            thread.start()
            self.workers.append(thread)

    @property
    def manifest_path(self) -> Path:
        """Where the prepared results' manifest is written for the kernels."""
        assert self.kernel_dir is not None
        return self.kernel_dir / "prepared.json"

    def _stop_workers(self) -> None:
        workers, self.workers = self.workers, []
        for _ in workers:
            self.tasks.put(None)
        for thread in workers:
            thread.join()
        self._close_forks()
        while not self.tasks.empty():  # no kernel could start, or none was needed
            task = self.tasks.get()
            if task is not None:
                self._do(task, None)
        if self.kernel_dir is not None:
            shutil.rmtree(self.kernel_dir, ignore_errors=True)
            self.kernel_dir = None

    def _abandon(self) -> None:
        """What an interrupted build does instead of waiting for its kernels: stop them (a
        kernel started on its own ends when the build does). Its years' folders are left to the
        next build to clean up (:func:`clean_stale`): a kernel's thread may be swapping one in."""
        self.workers = []
        self._close_forks()
        if self.kernel_dir is not None:
            shutil.rmtree(self.kernel_dir, ignore_errors=True)
            self.kernel_dir = None

    def _close_forks(self) -> None:
        forks, self.forks = self.forks, None
        if forks is not None:
            forks.close()

    def _build_plans(self, plans: list[YearPlan]) -> None:
        for plan in plans:
            try:
                plan.tmp = Path(
                    tempfile.mkdtemp(
                        prefix=f".tmp-{plan.out.name}-{os.getpid()}-", dir=self.build_root
                    )
                )
                if not self.internal:
                    _public_mode(plan.tmp)
                self.lookup_notebooks(plan)
            except Exception as exc:  # noqa: BLE001
                self._fail(plan, _describe(exc, self.build_root))
        live = [p for p in plans if p.result is None]
        self._start_workers([source for p in live for source in p.pending])
        if self.kernel_dir is None:  # nothing to execute: the manifest is not read
            self.kernel_dir = Path(
                tempfile.mkdtemp(prefix=f".tmp-run-{os.getpid()}-", dir=self.build_root)
            )
        manifest, tasks = self.manifest_path, self.tasks
        try:
            prepared = self._prepare_years(live, manifest)
        except Exception as exc:  # noqa: BLE001 - the machine's faults, mostly
            prepared = {}
            for plan in live:
                self._fail(plan, _describe(exc, self.build_root))
        live = [p for p in live if p.result is None]
        with self.lock:
            self.chapters_left = sum(len(p.pending) for p in live)
            for plan in live:  # the chapters, and the rest of the year's preparation
                plan.left = len(plan.pending) + 1
        # The kernels execute the chapters (they read the manifest only) while this thread
        # writes what else the year needs (processed tables, indicators, written chapters):
        # the render waits for both, whichever ends last.
        for plan in live:
            if plan.pending:
                log(plan.year, f"executing {len(plan.pending)} notebooks")
                for source in plan.pending:
                    tasks.put(("chapter", plan, source))
        for plan in live:
            self._prepare_plan(plan, prepared)
            with self.lock:
                plan.left -= 1
                last = plan.left == 0
            if last:  # every chapter already executed (or none to execute): render
                tasks.put(("render", plan, None))

    def _prepare_years(
        self, plans: list[YearPlan], manifest_path: Path
    ) -> dict[int, Prepared | DataError]:
        """Prepare every year the plans need, once; write the manifest the kernels read.
        A year whose data are invalid fails its plan here, before any chapter is queued."""
        from cae_report.build.prepare import PREPARING, prepare_for_build, write_manifest
        from cae_report.publish.assemble import check_written_chapters

        wanted = [p for p in plans if p.result is None]
        if not wanted:
            return {}
        _freeze_modules(PREPARING)
        for plan in wanted:
            log(plan.year, "validating and cleaning the data")
        years = config.available_years(self.root)
        needed = sorted(
            {y for p in wanted for y in years if y <= p.year} | {p.year for p in wanted}
        )
        manifest, prepared = prepare_for_build(needed, self.root, self.cache)
        if self.internal:
            private, _ = prepare_for_build(
                [p.year for p in wanted], self.root, self.cache, internal=True
            )
            manifest["entries"].update(private["entries"])
        write_manifest(manifest, manifest_path)
        for plan in wanted:
            if isinstance(prepared[plan.year], DataError):
                self._fail(plan, _invalid(prepared[plan.year]), invalid=True)
                continue
            try:  # a bad name in the written chapters fails the year before any chapter runs
                check_written_chapters(plan.year, self.root)
            except DataError as exc:
                self._fail(plan, _invalid(exc), invalid=True)
        return prepared

    def _prepare_plan(self, plan: YearPlan, prepared: dict[int, Prepared | DataError]) -> None:
        """Write the year's processed tables, anomalies, indicators, provenance and written
        chapters into its folder; a failure fails the year (its chapters are then skipped)."""
        from cae_report.analysis import indicators
        from cae_report.analysis.compare import previous_status
        from cae_report.build import provenance
        from cae_report.build.csv_safe import write_csv
        from cae_report.build.prepare import write_processed
        from cae_report.publish.assemble import write_written_chapters

        result = prepared[plan.year]
        assert not isinstance(result, DataError)
        years = config.available_years(self.root)
        try:
            write_processed(result, config.processed_dir(plan.year, self.root))
            write_csv(result.anomalies, plan.tmp / "anomalies.csv")
            before = prepared.get(plan.year - 1)
            status = previous_status(
                plan.year,
                None if isinstance(before, DataError) else before,
                config.raw_dir(plan.year - 1, self.root).is_dir(),
                any(y < plan.year - 1 for y in years),
                tuple(str(p) for p in before.problems) if isinstance(before, DataError) else (),
            )
            previous = status.prepared
            values = indicators.compute(result.tables, previous.tables if previous else None)
            indicators.check(values)
            for warning in status.warnings:
                log(plan.year, f"warning: {warning}")
            record = {"year": plan.year, **values, "previous_year": status.as_dict()}
            (plan.tmp / "indicators.json").write_text(
                json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            provenance.write(plan.tmp / "provenance.json", plan.record)
            # The cooperative's written chapters, placeholders resolved (a bad name fails the
            # year before it is rendered).
            plan.written = write_written_chapters(
                plan.year,
                self.root,
                plan.tmp,
                result,
                previous,
                log=lambda message, year=plan.year: log(year, message),
                indicators=values,
            )
        except DataError as exc:
            self._fail_later(plan, _invalid(exc), invalid=True)
        except Exception as exc:  # noqa: BLE001
            self._fail_later(plan, _describe(exc, plan.tmp))

    def _fail_later(self, plan: YearPlan, error: str, *, invalid: bool = False) -> None:
        """Mark the year failed while its chapters may still be executing: the chapters left
        are skipped, and the last step to end reports the failure (:meth:`_finish`)."""
        with self.lock:
            plan.error = plan.error or error
            plan.invalid = plan.invalid or invalid

    def _worker(self, tasks: queue.Queue, cwd: Path, env: dict, warm: list[str], name: str) -> None:
        from cae_report.build.execute import ChapterKernel

        kernel = ChapterKernel(cwd, env, name=name, forks=self.forks)
        start_error = None
        try:
            kernel.start(warm)
        except Exception as exc:  # noqa: BLE001 - named in every chapter it would have run
            start_error = _describe(exc)
        try:
            while True:
                task = tasks.get()
                if task is None:
                    return
                if task[0] == "close":  # no chapter left: memory for the renders
                    kernel.close()
                    continue
                if start_error is not None and task[0] == "chapter":
                    self._chapter_done(task[1], start_error)
                    continue
                self._do(task, kernel)
        finally:
            kernel.close()

    def _do(self, task: tuple, kernel: Any) -> None:
        kind, plan, source = task
        if kind == "close":
            return
        if kind == "render":
            self._finish(plan)
            return
        if plan.error is not None or kernel is None:
            self._chapter_done(plan, plan.error or "no kernel to execute the chapters")
            return
        error = None
        try:
            if not kernel.alive:
                kernel.start()
            started = time.perf_counter()
            target = plan.tmp / "notebooks" / source.name
            kernel.execute(source, target, plan.parameters)
            self.cache.put("notebook", plan.keys[source.name], {"notebook.ipynb": target})
            log(plan.year, f"executed {source.name} in {time.perf_counter() - started:.1f} s")
        except Exception as exc:  # noqa: BLE001 - a failing cell fails its year only
            error = _describe(exc, plan.tmp)
        self._chapter_done(plan, error, kernel)

    def _chapter_done(self, plan: YearPlan, error: str | None, kernel: Any = None) -> None:
        with self.lock:
            if error is not None and plan.error is None:
                plan.error = error
            plan.left -= 1
            last = plan.left == 0
            self.chapters_left -= 1
            all_done = self.chapters_left == 0
        if all_done:  # the kernels are not needed any more: closed before the last renders
            if kernel is not None:
                kernel.close()
            self._close_forks()
            for _ in self.workers:
                self.tasks.put(("close", None, None))
        if last:
            self._finish(plan)

    def _finish(self, plan: YearPlan) -> None:
        """Render the year (or reuse its rendered report) and swap it in; or clean up."""
        if plan.result is not None:
            return
        if plan.error is not None:
            self._fail(plan, plan.error, invalid=plan.invalid)
            return
        try:
            ordered = self._write_order(plan)
            if self.work is None:
                with self.render_lock:
                    self._render(plan, ordered)
            files = _written_files(plan.tmp)
            stamp = {"key": plan.key, "files": files}
            (plan.tmp / BUILD_KEY).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
            swap(plan.tmp, plan.out)
        except Exception as exc:  # noqa: BLE001
            self._fail(plan, _describe(exc, plan.tmp))
            return
        plan.result = BuildResult(
            plan.year,
            True,
            time.perf_counter() - plan.started,
            _outputs(plan.out, plan.year, self.internal),
            warnings=warnings_of(plan.out),
        )

    def _render(self, plan: YearPlan, executed: list[Path]) -> None:
        """Render ``executed`` (the chapters in report order), or reuse the cached render."""
        from cae_report.publish import render

        year, tmp = plan.year, plan.tmp
        names = output_names(year, self.internal)
        rkey = render_key(
            executed, code_digest(self.root, publishing=True), self.engine, year, self.internal
        )
        hit = self.cache.get("render", rkey)
        if hit is not None:
            for kind in ("html", "pdf", "ipynb"):
                shutil.copyfile(hit[kind], tmp / names[kind])
            log(year, "reused the rendered report (notebook results and templates unchanged)")
            return
        log(
            year, f"rendering with {self.engine}" + (" (internal edition)" if self.internal else "")
        )
        # The HTML and the PDF at once when no kernel runs any more; one after the other
        # while kernels execute other years (a batch: two renders at once took it to 700 MiB).
        with self.lock:
            at_once = self.chapters_left == 0
        rendered = render(
            executed, tmp, year, self.engine, self.root, internal=self.internal, at_once=at_once
        )
        stored = {}
        for kind in ("html", "pdf", "ipynb"):
            target = tmp / names[kind]
            if rendered[kind] != target:
                rendered[kind].replace(target)
            stored[kind] = target
        self.cache.put("render", rkey, stored)

    def _write_order(self, plan: YearPlan) -> list[Path]:
        """``notebooks/chapters.json``: the executed notebooks and written chapters in report
        order (names in ``notebooks/``), for whoever renders them again (Quarto's pre-render,
        the analyst)."""
        from cae_report.publish.assemble import in_report_order

        executed = [plan.tmp / "notebooks" / s.name for s in plan.sources]
        ordered = in_report_order(self.root, plan.year, executed, plan.written)
        names = [path.relative_to(plan.tmp / "notebooks").as_posix() for path in ordered]
        (plan.tmp / "notebooks" / "chapters.json").write_text(json.dumps(names, indent=1) + "\n")
        return ordered

    def _fail(self, plan: YearPlan, error: str, *, invalid: bool = False) -> None:
        plan.error = plan.error or error
        plan.invalid = plan.invalid or invalid
        if plan.tmp is not None:
            shutil.rmtree(plan.tmp, ignore_errors=True)
        plan.result = BuildResult(
            plan.year,
            False,
            time.perf_counter() - plan.started,
            error=plan.error,
            invalid=plan.invalid,
        )


def _fork_server(modules: list[str], env: dict[str, str]) -> Any:
    """A fork server for the run's kernels (:mod:`cae_report.build.forkserver`), or None where
    it cannot start (the kernels then start the usual way)."""
    try:
        # One thread for numpy's BLAS: the kernels are forked from this process, and a thread
        # pool does not survive a fork (nor do these chapters' small tables need one).
        return forkserver.ForkServer(modules, {**env, "OPENBLAS_NUM_THREADS": "1"})
    except OSError:
        return None


def _freeze_modules(modules: tuple[str, ...]) -> None:
    """Import ``modules``, then take what is alive (the imported modules: pandas, pandera, the
    package) out of the garbage collector's sight, as the kernels do
    (:data:`cae_report.build.execute._FREEZE`): the full collections that preparing the years
    triggers went through all of it (0.8 s of a cold build of 2016)."""
    import gc
    import importlib

    for name in modules:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _invalid(exc: DataError) -> str:
    return "invalid data:\n" + "\n".join(f"  {p}" for p in exc.problems)


def build_years(
    years: list[int],
    engine: str = "auto",
    internal: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
) -> list[BuildResult]:
    """Build ``years`` in one run (see the module docstring); ``jobs`` kernels at most (default:
    one per core). Never raises for expected failures: each result says why."""
    root = config.project_root()
    build_root = root / "_build"
    try:
        build_root.mkdir(parents=True, exist_ok=True)
        for line in clean_stale(build_root):
            log("build", line)
        forkserver.remove_stale()
        requested, engine = engine, resolve_engine(engine)
        if requested == "auto":
            found = shutil.which("quarto")
            why = f"quarto found at {found}" if found else "quarto not on PATH: pandoc + Typst"
            log("build", f"engine {engine} (auto): {why}")
        run = Run(root, engine, internal, jobs or os.cpu_count() or 1, use_cache)
        return run.build(years)
    except Exception as exc:  # noqa: BLE001 - e.g. a read-only _build
        return [BuildResult(year, False, 0.0, error=_describe(exc, build_root)) for year in years]


def build_year(
    year: int,
    engine: str = "auto",
    internal: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
) -> BuildResult:
    """Build ``_build/<year>/``: rapport-<year>.html/.pdf, indicators.json, anomalies.csv,
    the executed notebooks. Never raises for expected failures: the result says why."""
    return build_years([year], engine, internal, jobs, use_cache)[0]


def execute_year(year: int, root: Path, engine: str, work: Path) -> list[Path]:
    """Validate, clean and execute ``year``'s chapters and resolve its written ones exactly as
    a build does (same kernels, same cache), into ``work/<year>/``, without rendering; return
    them in report order. For Quarto's pre-render, which renders them itself. A failed step
    raises :class:`BuildFailure` with the build's message."""
    work.mkdir(parents=True, exist_ok=True)
    run = Run(root, engine, False, os.cpu_count() or 1, True, work=work)
    result = run.build([year])[0]
    if not result.ok:
        raise BuildFailure(result.error or "build failed", invalid=result.invalid)
    folder = work / str(year)
    names = json.loads((folder / "notebooks" / "chapters.json").read_text())
    return [folder / "notebooks" / name for name in names]


class BuildFailure(RuntimeError):
    """A failed step of :func:`execute_year`; ``invalid``: the data are invalid (exit 2)."""

    def __init__(self, message: str, *, invalid: bool = False) -> None:
        super().__init__(message)
        self.invalid = invalid


def build_batch(
    years: list[int], engine: str = "auto", jobs: int = 1, use_cache: bool = True
) -> list[BuildResult]:
    """Build several years in one run: each year prepared once for all, ``jobs`` kernels
    taking the chapters of every year in turn. Failures are reported per year and do not
    stop the others."""
    return build_years(sorted(years, reverse=True), engine, False, jobs, use_cache)


def print_summary(results: list[BuildResult]) -> None:
    print(f"{'year':<6}{'status':<19}{'time':>8}  outputs / error")
    for r in sorted(results, key=lambda r: r.year):
        status = ("ok, with warnings" if r.warnings else "ok") if r.ok else "FAILED"
        detail = "  ".join(str(p) for k, p in r.outputs.items() if k in ("html", "pdf"))
        if r.cached:
            detail += "  (up to date)"
        if not r.ok:
            detail = (r.error or "").replace("\n", "\n" + " " * 35)
        print(f"{r.year:<6}{status:<19}{r.seconds:>7.1f}s  {detail}")
        for warning in r.warnings:
            print(f"{'':<35}warning: {warning}")
