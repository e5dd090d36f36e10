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
SOURCES = sorted((ROOT / "notebooks").glob("*.ipynb"))
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


def test_every_chapter_is_a_notebook_of_the_report():
    import yaml

    chapters = yaml.safe_load((ROOT / "_quarto.yml").read_text())["cae-report"]["chapters"]
    assert [ROOT / c for c in chapters] == SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
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
    for bad_year in ("2016", 2016.0, True):
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
