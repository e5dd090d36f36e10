"""The build's two threads of work for a year: the kernels execute its chapters while the
build writes the rest of it (processed tables, indicators, written chapters). Whichever ends
last hands the year to the render: here the written step is held until every chapter has
executed, the order the kernels alone would never wait for."""

from __future__ import annotations

import importlib
import json
import time

import pytest
from conftest import make_root

from cae_report.build import orchestrate
from cae_report.report import chapters

# The module (``cae_report.publish.assemble`` is also the name of its function, re-exported).
assemble = importlib.import_module("cae_report.publish.assemble")


def _held_until_the_chapters_end(run, real, seen):
    def written_step(*args, **kwargs):
        deadline = time.monotonic() + 120
        while run.chapters_left > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["chapters left when the written step ran"] = run.chapters_left
        return real(*args, **kwargs)

    return written_step


@pytest.fixture
def run(tmp_path, monkeypatch):
    root = make_root(tmp_path)
    (root / "_build").mkdir()
    monkeypatch.setenv("CAE_REPORT_ROOT", str(root))
    # Execute only (as for Quarto's pre-render): the order of the year is what is checked.
    (tmp_path / "work").mkdir()
    return orchestrate.Run(root, "pandoc", False, 2, False, work=tmp_path / "work")


def test_the_year_waits_for_its_written_chapters_when_the_chapters_end_first(run, monkeypatch):
    seen: dict[str, int] = {}
    real = assemble.write_written_chapters
    monkeypatch.setattr(
        assemble, "write_written_chapters", _held_until_the_chapters_end(run, real, seen)
    )
    result = run.build([2016])[0]
    assert result.ok, result.error
    assert seen == {"chapters left when the written step ran": 0}
    folder = run.work / "2016" / "notebooks"
    order = json.loads((folder / "chapters.json").read_text(encoding="utf-8"))
    plan = chapters.plan(run.root, 2016)
    assert len(order) == len(plan)
    assert [name.startswith(assemble.WRITTEN_PREFIX) for name in order] == [c.written for c in plan]
    assert all((folder / name).is_file() for name in order)


def test_a_written_step_failing_after_the_chapters_fails_the_year(run, monkeypatch):
    seen: dict[str, int] = {}

    def broken(*args, **kwargs):
        raise RuntimeError("the written step broke")

    monkeypatch.setattr(
        assemble, "write_written_chapters", _held_until_the_chapters_end(run, broken, seen)
    )
    result = run.build([2016])[0]
    assert seen == {"chapters left when the written step ran": 0}
    assert not result.ok
    assert "the written step broke" in (result.error or "")
    assert not (run.work / "2016").exists()
