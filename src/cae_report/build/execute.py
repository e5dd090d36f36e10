"""Execute chapters the way papermill does, many notebooks on one kernel.

Starting a kernel and importing pandas, matplotlib and plotly costs more than most chapters,
so a :class:`ChapterKernel` runs chapter after chapter: each one is parameterised as papermill
parameterises it (an ``injected-parameters`` cell after the ``parameters`` cell, papermill's
metadata), executed by papermill's own nbclient client, and checked by papermill's
error check; between two chapters the kernel's namespace is reset (``reset(new_session=True)``:
variables, figures, execution counts), so that a chapter sees nothing of the one before, while
the modules already imported stay imported. A failure names the notebook and the cell.

A run's kernels are forked from a fork server that has imported what the chapters import
(:mod:`cae_report.build.forkserver`); without one, or when it fails, a kernel starts as a
process of its own.

Kernels talk over Unix sockets (ZeroMQ ``ipc`` transport) in a private folder: two kernels
started at the same moment cannot collide on a port, there is none. A kernel that does not
start is started again, :data:`START_ATTEMPTS` times at most, then named in the error. The
kernel runs ``sys.executable``, the Python of the build, whatever Jupyter kernels the machine
has; its output goes to a log file, never to the terminal.

Run times that papermill and nbclient record are removed from the executed copy, and the
messages of a cell's stream are merged into one output (nbclient's ``coalesce_streams``), so
the same inputs give the same bytes (reproducible builds, content-keyed cache).
"""

from __future__ import annotations

import ast
import json
import queue
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cae_report.build.forkserver import KERNEL_ROOM, socket_folder

if TYPE_CHECKING:  # imported where used: nbformat (and jsonschema) take 0.2 s, which the
    import nbformat  # build would spend before it starts the fork server (orchestrate.py)

START_ATTEMPTS = 3
START_TIMEOUT_S = 60
REPLY_POLL_S = 0.2
"""How often a kernel that has not answered yet is checked for being still there."""
KERNEL_NAME = "python3"
KERNEL_ARGV = [
    sys.executable,
    "-m",
    "ipykernel_launcher",
    "-f",
    "{connection_file}",
    "--HistoryManager.enabled=False",  # no history database written by a build
]
"""The command of a build's kernel (a test may replace it to make a kernel fail)."""


class KernelStartError(RuntimeError):
    """The kernel did not start after :data:`START_ATTEMPTS` attempts."""


def cell_label(source: str) -> str:
    """The ``#| label:`` of a cell, or its first line of code, to name it in messages."""
    lines = source.strip().splitlines()
    for line in lines:
        if line.startswith("#| label:"):
            return line.split(":", 1)[1].strip()
    code = [ln for ln in lines if not ln.startswith("#")]
    return (code or [""])[0][:60]


def strip_run_times(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop start/end times, durations and random ids: they change at every run, the
    results do not."""
    paper = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        paper.pop(key, None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id
        cell.metadata.pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            cell.metadata.get("papermill", {}).pop(key, None)
    return nb


def imported_modules(sources: list[Path]) -> list[str]:
    """The modules the code cells of ``sources`` import at top level, in order of appearance.

    A kernel imports them while the build prepares the data, so that the first chapter does
    not wait for them; nothing else is imported."""
    seen: dict[str, None] = {}
    for source in sources:
        cells = json.loads(source.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            try:
                tree = ast.parse("".join(cell.get("source", "")))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    seen.update({alias.name: None for alias in node.names})
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    seen[node.module] = None  # and what it names, if modules (charts...)
                    seen.update({f"{node.module}.{alias.name}": None for alias in node.names})
    return list(seen)


_FREEZE = "import gc as _gc\n_gc.collect()\n_gc.freeze()\ndel _gc\n"
"""Collect the garbage, then move every object still alive out of the collector's sight
(``gc.freeze``). After the imports and between chapters, what is alive is the modules and
their caches (about 190 000 objects with pandas, matplotlib and plotly): a full collection
went through all of them, and IPython's ``reset`` runs one (about 0.15 s each, twice per
chapter, a quarter of a small chapter's time). Frozen, they are skipped; the chapter's own
objects are still collected."""


def _warm_code(modules: list[str]) -> str:
    """Import ``modules`` in the kernel and freeze (:func:`cae_report.build.forkserver.warm`)."""
    return f"from cae_report.build.forkserver import warm as _warm\n_warm({modules!r})\ndel _warm\n"


def _reset_code(cwd: Path) -> str:
    return (
        "import os as _os, sys as _sys\n"
        f"_os.chdir({str(cwd)!r})\n"
        "if 'matplotlib.pyplot' in _sys.modules:\n"
        "    _sys.modules['matplotlib.pyplot'].close('all')\n"
        "get_ipython().reset(new_session=True)\n" + _FREEZE
    )


async def wait_for_ready(kc: Any, timeout: float) -> None:
    """Wait until the kernel of client ``kc`` answers, as jupyter_client's ``wait_for_ready``
    does, less its last step: that one waits for 0.2 s of silence on IOPub before it returns,
    0.2 s of every kernel start (two per build, one per nbval notebook). Here what IOPub holds
    then is dropped without waiting: nbclient takes only the messages about the cell it runs,
    so a late one about this request never reaches an output either way. Works with the
    blocking and the asynchronous clients."""
    from jupyter_core.utils import ensure_async

    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        try:
            msg = await ensure_async(kc.shell_channel.get_msg(timeout=1))
        except queue.Empty:
            msg = None
        if msg is not None and msg["msg_type"] == "kernel_info_reply":
            try:  # IOPub is connected once the request's status reaches it
                await ensure_async(kc.iopub_channel.get_msg(timeout=0.2))
            except queue.Empty:
                pass
            else:
                kc._handle_kernel_info_reply(msg)  # the protocol version, as jupyter_client
                break
        if not await ensure_async(kc.is_alive()):
            raise RuntimeError("the kernel ended before it answered kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kernel did not answer in {timeout:.0f} s")
    while True:
        try:
            await ensure_async(kc.iopub_channel.get_msg(timeout=0))
        except queue.Empty:
            break


class ChapterKernel:
    """One IPython kernel that executes chapters one after another (see the module docstring).

    Used from one thread. ``env``: the kernel's environment (the build's, with the project root
    and the manifest of prepared results); ``cwd``: the chapters' folder."""

    def __init__(self, cwd: Path, env: dict[str, str], *, name: str = "kernel", forks: Any = None):
        self.cwd = Path(cwd)
        self.env = env
        self.name = name
        self.forks = forks
        """A :class:`~cae_report.build.forkserver.ForkServer` to fork the kernel from, or None."""
        # 0700, short socket paths; in the fork server's folder when there is one, which the
        # server removes even when the build is killed. TCP on localhost where no folder is
        # short enough for Unix sockets.
        within = forks.folder if forks is not None and forks.alive else None
        self.folder, self.unix_sockets = socket_folder("cae-kernel-", KERNEL_ROOM, within)
        self.log_path = self.folder / "kernel.log"
        self.km: Any = None
        self.kc: Any = None
        self.attempts = 0

    # ------------------------------------------------------------ life cycle

    def start(self, warm: list[str] | None = None) -> None:
        """Start the kernel (retried), then import ``warm`` in it."""
        last = ""
        for attempt in range(1, START_ATTEMPTS + 1):
            self.attempts = attempt
            try:
                self._start_once(attempt)
                break
            except Exception as exc:  # noqa: BLE001 - any start failure is retried
                last = f"{type(exc).__name__}: {exc}"
                self._kill()
                if attempt < START_ATTEMPTS:
                    print(
                        f"[{self.name}] the kernel did not start ({last}): starting it again",
                        file=sys.stderr,
                        flush=True,
                    )
        else:
            raise KernelStartError(
                f"the Python kernel ({KERNEL_ARGV[0]} -m ipykernel_launcher) did not start "
                f"after {START_ATTEMPTS} attempts: {last}{self._log_tail()}"
            )
        if warm:
            self._silent(_warm_code(warm))

    def _argv(self, attempt: int) -> list[str]:
        """The kernel's command: forked from the fork server while it serves (a first attempt
        that fails starts the next ones the usual way), else :data:`KERNEL_ARGV`."""
        launcher = KERNEL_ARGV[1:3] == ["-m", "ipykernel_launcher"]
        if self.forks is not None and self.forks.alive and launcher and attempt == 1:
            return self.forks.kernel_argv(KERNEL_ARGV)
        return list(KERNEL_ARGV)

    def _start_once(self, attempt: int) -> None:
        import nbformat
        from jupyter_client import AsyncKernelManager
        from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
        from jupyter_core.utils import run_sync
        from nbclient import NotebookClient

        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the server's may be gone
        argv = self._argv(attempt)

        class BuildKernelSpecs(KernelSpecManager):
            """Only the build's own kernel: the Python running the build."""

            def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
                return KernelSpec(
                    argv=argv,
                    display_name="Python 3",
                    language="python",
                    name=KERNEL_NAME,
                )

        self.km = AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=BuildKernelSpecs(),
            transport="ipc" if self.unix_sockets else "tcp",
            ip=str(self.folder / f"k{attempt}") if self.unix_sockets else "127.0.0.1",
            connection_file=str(self.folder / f"kernel-{attempt}.json"),
        )
        boot = NotebookClient(
            nbformat.v4.new_notebook(), km=self.km, startup_timeout=START_TIMEOUT_S
        )
        with self.log_path.open("ab") as log:
            boot.start_new_kernel(cwd=str(self.cwd), env=self.env, stdout=log, stderr=log)
        # While the kernel process starts: papermill (0.2 s to import), which the first
        # chapter would otherwise wait for.
        import papermill.execute  # noqa: F401

        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(wait_for_ready)(self.kc, START_TIMEOUT_S)
        self.kc.allow_stdin = False

    def close(self) -> None:
        """Stop the kernel at once and remove its folder."""
        self._kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _kill(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001, S110 - already gone
                pass
        if self.km is not None:
            try:
                # SIGKILL and reap at once: jupyter_client's kill polls every 0.1 s for the
                # process to end, and the report waits for the last kernel to be closed.
                process = getattr(self.km.provisioner, "process", None)
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait(timeout=START_TIMEOUT_S)
                if self.km.has_kernel:
                    run_sync(self.km.shutdown_kernel)(now=True)
                run_sync(self.km.cleanup_resources)()
            except Exception:  # noqa: BLE001, S110 - already gone
                pass
        self.km = self.kc = None

    def __enter__(self) -> ChapterKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""
        tail = [ln for ln in text.splitlines() if ln.strip()][-lines:]
        return ("; kernel output: " + " | ".join(tail)) if tail else ""

    @property
    def alive(self) -> bool:
        return self.km is not None and self.kc is not None

    # ------------------------------------------------------------ work

    def _silent(self, code: str) -> None:
        """Run ``code`` in the kernel, outside any notebook (no output, no execution count)."""
        from jupyter_core.utils import ensure_async, run_sync

        kc, km = self.kc, self.km

        async def reply() -> dict[str, Any]:
            msg_id = kc.execute(code, silent=True, store_history=False)
            deadline = time.monotonic() + START_TIMEOUT_S * 5
            while time.monotonic() < deadline:
                try:
                    msg = await ensure_async(kc.get_shell_msg(timeout=REPLY_POLL_S))
                except queue.Empty:  # a kernel stopped meanwhile (its year failed) never answers
                    if not await ensure_async(km.is_alive()):
                        raise RuntimeError("the kernel ended before it answered") from None
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    return msg["content"]
            raise TimeoutError("the kernel did not answer")

        content = run_sync(reply)()
        if content["status"] != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def execute(self, source: Path, output: Path, parameters: dict[str, Any]) -> None:
        """Execute notebook ``source`` with ``parameters`` injected, write it to ``output``;
        raise RuntimeError naming the notebook and the failing cell."""
        import nbformat
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NotebookExecutionManager
        from papermill.exceptions import PapermillExecutionError
        from papermill.execute import (
            prepare_notebook_metadata,
            raise_for_execution_errors,
            remove_error_markers,
        )
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        nb = load_notebook_node(str(source))
        nb = parameterize_notebook(nb, parameters, kernel_name=KERNEL_NAME, language="python")
        nb = prepare_notebook_metadata(nb, str(source), str(output))
        nb = remove_error_markers(nb)
        manager = NotebookExecutionManager(nb, output_path=None, progress_bar=False)
        manager.notebook_start()
        client = PapermillNotebookClient(
            manager,
            km=self.km,
            kernel_name=KERNEL_NAME,
            startup_timeout=START_TIMEOUT_S,
            # One output per stream and cell: the kernel sends a print in one message or in
            # several, as its flush timer falls (under load, « …]\n » came as « …] » then
            # « \n »), and the same inputs must give the same bytes.
            coalesce_streams=True,
        )
        client.kc = self.kc
        try:
            client.execute()
        except Exception as exc:  # the kernel died or stopped answering: not a cell error
            self._kill()
            raise RuntimeError(f"{source.name}: the kernel stopped ({exc})") from None
        finally:
            manager.notebook_complete()
            self._reset()
        try:
            raise_for_execution_errors(manager.nb, str(output))
        except PapermillExecutionError as exc:
            where = f"cell {exc.exec_count} ({cell_label(exc.source)})"
            raise RuntimeError(f"{source.name}, {where}: {exc.ename}: {exc.evalue}") from None
        nbformat.write(strip_run_times(manager.nb), output)

    def _reset(self) -> None:
        if self.alive:
            try:
                self._silent(_reset_code(self.cwd))
            except Exception:  # noqa: BLE001 - a kernel that cannot reset is not reused
                self._kill()
