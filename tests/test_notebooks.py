"""The source notebooks: thin, parameterised, committed without outputs, and the nbval
reference copies (tests/nbval, tests/fixtures/synthetic/nbval) in step with them.

nbval itself runs on those reference copies (``--nbval-lax`` in pyproject): every cell is
re-executed for 2016, 2015 and the synthetic year 2031, and the key-figure cells
(``# NBVAL_CHECK_OUTPUT``) must print what the reviewed references hold.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPLORE = ROOT / "notebooks" / "explore.ipynb"
"""The analyst's exploration notebook: beside the chapters, not part of the report."""
SOURCES = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if p != EXPLORE)
REFERENCES = [
    ROOT / "tests" / "nbval" / "2016",
    ROOT / "tests" / "nbval" / "2015",
    ROOT / "tests" / "fixtures" / "synthetic" / "nbval" / "2031",
]


def code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]


def test_every_notebook_is_a_chapter_of_the_report_in_order():
    """The chapter list mixes written chapters (report/{year}/…) and every notebook, once."""
    import yaml

    chapters = yaml.safe_load((ROOT / "_quarto.yml").read_text())["cae-report"]["chapters"]
    notebooks = [ROOT / c for c in chapters if c.endswith(".ipynb")]
    assert notebooks == SOURCES
    written = [c for c in chapters if not c.endswith(".ipynb")]
    assert all(c.startswith("report/{year}/") and c.endswith(".qmd") for c in written)
    template = sorted(p.name for p in (ROOT / "report" / "_template").glob("*.qmd"))
    assert sorted(c.removeprefix("report/{year}/") for c in written) == template


@pytest.mark.parametrize("path", [*SOURCES, EXPLORE], ids=lambda p: p.name)
def test_source_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert not any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


PARAMETERS = 'year: int = 2016\nengine: str = "pandoc"\nedition: str = "public"'
"""Papermill injects every parameter of the build into every notebook: each declares them all."""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_one_parameters_cell_with_a_typed_default_then_validation(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].source.strip() == PARAMETERS
    assert code[0] is tagged[0]
    assert "year = check_parameters(year, engine, edition)" in code[1].source


def test_check_parameters_validates_year_engine_and_edition():
    from cae_report.build.parameters import check_parameters

    assert check_parameters(2016) == 2016
    assert check_parameters(2016, "quarto", "internal", root=ROOT) == 2016
    assert check_parameters(None, root=ROOT) == max(
        int(p.name) for p in (ROOT / "data" / "raw").iterdir()
    )  # None: the latest year with data
    assert check_parameters("2016") == 2016  # papermill -r year 2016: a string
    for bad_year in ("02016", "2016 ", "٢٠١٦", "20l6", 2016.0, True):
        with pytest.raises(TypeError, match="year must be an integer"):
            check_parameters(bad_year)
    with pytest.raises(ValueError, match="no data folder for year 1999"):
        check_parameters(1999)
    for bad_engine in ("auto", "latex", "", None):
        with pytest.raises(ValueError, match="engine must be one of"):
            check_parameters(2016, bad_engine)
    for bad_edition in ("interne", "Public", "", 1):
        with pytest.raises(ValueError, match="edition must be one of"):
            check_parameters(2016, "pandoc", bad_edition)


@pytest.mark.parametrize("folder", REFERENCES, ids=lambda p: p.name)
def test_nbval_references_match_the_source_notebooks(folder):
    for source in SOURCES:
        reference = folder / source.name
        assert reference.is_file(), f"{reference} missing: run `make nbval-refs`"
        assert code_cells(reference) == code_cells(source), (
            f"{reference} is stale: run `make nbval-refs` and review the diff"
        )


@pytest.mark.parametrize("folder", REFERENCES, ids=lambda p: p.name)
def test_every_notebook_has_a_checked_key_figure_cell(folder):
    for reference in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(reference, as_version=4)
        checked = [c for c in nb.cells if "NBVAL_CHECK_OUTPUT" in c.get("source", "")]
        assert checked and all(c.outputs for c in checked), reference


def test_the_exploration_notebook_loads_and_slices_a_year(tmp_path):
    """``cae_report.load`` in the analyst's notebook: it runs, shows the tables as DataFrames
    and the anomalies; it is not a chapter."""
    import os

    import yaml

    from cae_report.build.execute import ChapterKernel

    chapters = yaml.safe_load((ROOT / "_quarto.yml").read_text())["cae-report"]["chapters"]
    assert "notebooks/explore.ipynb" not in chapters
    assert any("cae_report.load(year)" in source for source in code_cells(EXPLORE))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAE_REPORT")}
    with ChapterKernel(EXPLORE.parent, env) as kernel:
        kernel.start()
        kernel.execute(EXPLORE, tmp_path / "explore.ipynb", {"year": 2016})
    executed = nbformat.read(tmp_path / "explore.ipynb", as_version=4)
    assert "injected-parameters" in executed.cells[2].metadata["tags"]  # year can be changed
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "<table" in html and "headcount_end" in html  # DataFrames, shown as tables
    text = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "Entrepreneur" in text and "commune_names" in text  # slices and anomalies
    assert html.count("<table") >= 3 and "forecast_headcount_end" in html  # flagged ones
    assert all(str(y) in html for y in (2013, 2014, 2015, 2016))  # the visits of every year


def test_a_notebook_run_and_saved_in_jupyter_is_committed_as_it_was():
    """Git's clean filter (``make install``: nbstripout) gives back the committed bytes of a
    notebook that Jupyter ran and saved with the « Python (cae-report) » kernel: no output,
    no execution count, nothing of the machine (Python version, editor modes)."""
    import json
    import shlex
    import subprocess

    proc = subprocess.run(
        ["git", "config", "--get", "filter.nbstripout.clean"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip("the nbstripout filter is not set up in this checkout (make git-filter)")
    source = ROOT / "notebooks" / "08-compte-resultat.ipynb"
    committed = source.read_text(encoding="utf-8")
    nb = json.loads(committed)
    assert nb["metadata"]["kernelspec"]["name"] == "cae-report"
    nb["metadata"]["kernelspec"]["display_name"] = "Python (cae-report)"
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.7",
    }
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["execution_count"] = 3
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
    saved = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    cleaned = subprocess.run(
        shlex.split(proc.stdout.strip()), input=saved, capture_output=True, text=True, check=True
    ).stdout
    assert cleaned == committed
