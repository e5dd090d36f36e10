"""Chapters on one kernel, as papermill writes them (issue 15 item 2, issue 14 item 4).

Small notebooks made here: the executed copy is papermill's (parameters injected, metadata),
nothing leaks from one notebook to the next, a failure names the notebook and the cell,
kernels use no ports, and a kernel that does not start is retried then named.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from cae_report.build import execute
from cae_report.build.execute import ChapterKernel, KernelStartError, imported_modules

PARAMETERS = {"year": 2016, "engine": "pandoc", "edition": "public"}


def notebook(path: Path, *cells: str) -> Path:
    """A notebook with a tagged parameters cell, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    first = nbformat.v4.new_code_cell('year: int = 2000\nengine: str = "x"\nedition: str = "y"')
    first.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), first]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    for n, cell in enumerate(nb.cells):
        cell.id = f"c{n:02d}"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kernel")
    with ChapterKernel(folder, dict(os.environ)) as k:
        k.start(["json"])
        yield k


def comparable(nb: nbformat.NotebookNode) -> dict:
    """What papermill writes, without what changes at every run."""
    nb = execute.strip_run_times(nb)
    cells = [
        {
            "type": c.cell_type,
            "source": c.source,
            "id": c.id,
            "metadata": c.metadata,
            "count": c.get("execution_count"),
            "outputs": [
                {k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])
            ],
        }
        for c in nb.cells
    ]
    return {"metadata": nb.metadata, "cells": cells}


def test_an_executed_notebook_is_what_papermill_writes(kernel, tmp_path):
    source = notebook(tmp_path / "a.ipynb", "print(year, engine)", "year * 2", "x = 1")
    ours, theirs = tmp_path / "ours.ipynb", tmp_path / "theirs.ipynb"
    kernel.execute(source, ours, PARAMETERS)
    pm.execute_notebook(
        str(source),
        str(theirs),
        parameters=PARAMETERS,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    ours_nb = nbformat.read(ours, as_version=4)
    assert comparable(ours_nb) == comparable(nbformat.read(theirs, as_version=4))
    injected = ours_nb.cells[2]
    assert injected.metadata["tags"] == ["injected-parameters"] and "year = 2016" in injected.source
    assert ours_nb.metadata["papermill"]["parameters"] == PARAMETERS
    assert ours_nb.cells[3].outputs[0]["text"] == "2016 pandoc\n"


def test_a_print_sent_in_several_messages_is_one_output(kernel, tmp_path):
    """The kernel sends what a cell prints whenever its buffer is flushed: the same cell can
    give one stream output or several from one run to the next. The executed copy holds one,
    so that a rebuild gives the same bytes."""
    source = notebook(
        tmp_path / "prints.ipynb",
        "import sys\nprint('a', flush=True)\nprint('b', file=sys.stderr, flush=True)\n"
        "print('c', flush=True)\nprint('d')",
    )
    kernel.execute(source, tmp_path / "out.ipynb", PARAMETERS)
    outputs = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[3].outputs
    assert [(o.output_type, o.name, o.text) for o in outputs] == [
        ("stream", "stdout", "a\nc\nd\n"),
        ("stream", "stderr", "b\n"),
    ]


def test_nothing_leaks_from_one_notebook_to_the_next(kernel, tmp_path):
    first = notebook(tmp_path / "first.ipynb", "leaked = 41", "import os\nos.chdir('/')")
    second = notebook(tmp_path / "second.ipynb", "import os\nprint(os.getcwd())", "leaked + 1")
    kernel.execute(first, tmp_path / "o1.ipynb", PARAMETERS)
    with pytest.raises(RuntimeError) as failure:
        kernel.execute(second, tmp_path / "o2.ipynb", PARAMETERS)
    # Named by notebook and cell; the counts start again at 1 in every notebook.
    assert (
        str(failure.value)
        == "second.ipynb, cell 4 (leaked + 1): NameError: name 'leaked' is not defined"
    )
    third = notebook(tmp_path / "third.ipynb", "import os\nprint(os.getcwd())")
    kernel.execute(third, tmp_path / "o3.ipynb", PARAMETERS)
    out = nbformat.read(tmp_path / "o3.ipynb", as_version=4)
    assert [c.execution_count for c in out.cells if c.cell_type == "code"] == [1, 2, 3]
    assert out.cells[3].outputs[0]["text"] == f"{kernel.cwd}\n"  # the chapters' folder again


def test_a_failing_cell_is_named_by_its_label(kernel, tmp_path):
    source = notebook(tmp_path / "b.ipynb", "#| label: tbl-broken\nraise ValueError('boom')")
    with pytest.raises(RuntimeError, match=r"^b\.ipynb, cell 3 \(tbl-broken\): ValueError: boom$"):
        kernel.execute(source, tmp_path / "b-out.ipynb", PARAMETERS)
    ok = notebook(tmp_path / "c.ipynb", "1 + 1")
    kernel.execute(ok, tmp_path / "c-out.ipynb", PARAMETERS)  # the kernel goes on


def test_kernels_talk_over_unix_sockets_not_ports(kernel):
    info = json.loads(Path(kernel.km.connection_file).read_text())
    assert info["transport"] == "ipc" and info["ip"].startswith(str(kernel.folder))
    assert stat_mode(kernel.folder) == 0o700


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_kernels_started_at_the_same_moment_all_start(tmp_path):
    """Four kernels at once, the situation of the race on ports that failed batches."""
    kernels = [ChapterKernel(tmp_path, dict(os.environ), name=f"k{n}") for n in range(4)]
    errors: list[BaseException] = []

    def start(k: ChapterKernel) -> None:
        try:
            k.start()
            k.execute(
                notebook(tmp_path / f"{k.name}.ipynb", "1"), tmp_path / f"{k.name}-o.ipynb", {}
            )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(k,)) for k in kernels]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in kernels:
        k.close()
    assert not errors
    assert all(k.attempts == 1 for k in kernels)


def test_a_kernel_that_fails_once_is_started_again(tmp_path, monkeypatch, capsys):
    counter = tmp_path / "attempts"
    flaky = tmp_path / "flaky.py"
    flaky.write_text(
        "import os, sys\n"
        f"path = {str(counter)!r}\n"
        "n = int(open(path).read()) if os.path.exists(path) else 0\n"
        "open(path, 'w').write(str(n + 1))\n"
        "if n == 0:\n"
        "    sys.exit('simulated failure at start')\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', *sys.argv[1:]])\n"
    )
    monkeypatch.setattr(
        execute, "KERNEL_ARGV", [sys.executable, str(flaky), "-f", "{connection_file}"]
    )
    with ChapterKernel(tmp_path, dict(os.environ), name="flaky") as k:
        k.start()
        k.execute(notebook(tmp_path / "d.ipynb", "2"), tmp_path / "d-out.ipynb", {})
        assert k.attempts == 2
    assert "the kernel did not start" in capsys.readouterr().err


def test_a_kernel_that_never_starts_is_named_after_bounded_attempts(tmp_path, monkeypatch):
    monkeypatch.setattr(
        execute, "KERNEL_ARGV", [sys.executable, "-c", "import sys; sys.exit('no kernel here')"]
    )
    with ChapterKernel(tmp_path, dict(os.environ)) as k:
        with pytest.raises(KernelStartError) as failure:
            k.start()
        assert k.attempts == execute.START_ATTEMPTS
    message = str(failure.value)
    assert f"did not start after {execute.START_ATTEMPTS} attempts" in message
    assert "ipykernel_launcher" in message and "no kernel here" in message


def test_a_kernel_that_ends_while_it_warms_up_is_said_at_once(tmp_path):
    """A build whose year fails stops its kernels, one of which may still be importing: its
    thread learns it at once instead of waiting a minute for an answer."""
    with ChapterKernel(tmp_path, dict(os.environ)) as k:
        k.start()
        killer = threading.Timer(0.3, k.km.provisioner.process.kill)
        killer.start()
        with pytest.raises(RuntimeError, match="the kernel ended before it answered"):
            k._silent("import time; time.sleep(600)")
        killer.join()


def test_the_kernel_imports_only_what_the_chapters_import(tmp_path):
    source = notebook(
        tmp_path / "e.ipynb",
        "from cae_report.report import charts\nimport pandas as pd, json",
        "if True:\n    import nested_not_counted",
        "from . import relative",
        "not python (",
    )
    assert imported_modules([source]) == [
        "cae_report.report",
        "cae_report.report.charts",  # a module or a name: the kernel tries, nothing fails
        "pandas",
        "json",
    ]
