"""The cooperative writes, the pipeline computes: written chapters with {{< var NAME >}}
placeholders, resolved in French from the year's figures, with located errors for unknown
names and a visible mention for values a year lacks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import PROJECT, cli, make_root

from cae_report import config
from cae_report.build.prepare import prepare_year, previous_year
from cae_report.data import cooperative
from cae_report.errors import DataError
from cae_report.publish.assemble import (
    chapters,
    in_report_order,
    plan,
    write_written_chapters,
)
from cae_report.report import variables

NB, NN = "\u00a0", "\u202f"
PLACEHOLDER = re.compile(r"\{\{< var (\S+) >\}\}")


@pytest.fixture(scope="module")
def figures_2016() -> variables.Figures:
    settings = cooperative.load(config.data_dir(PROJECT))
    return variables.compute(prepare_year(2016), previous_year(2016), settings)


# The 2016 value each placeholder must print (/work/notes/placeholders.md), with the
# corrections the checks make: 219 hours and 51 attendances (text: 216 and 52), personnel
# costs -1,9 % (text: « baisse de 10 % »), CICE 16,6 % of operating products (text: 16 %).
EXPECTED_2016 = {
    "year": "2016",
    "previous_year": "2015",
    "next_year": "2017",
    "cooperative.founded": "2008",
    "cooperative.first_entrepreneurs": "janvier 2009",
    "research_actions": "2",
    "book_pages": "80",
    "membership_deadline_years": "3",
    "accompanied": "109",
    "forecast_accompanied": "95",
    "headcount_start": "85",
    "headcount_end": "84",
    "forecast_headcount_end": "85",
    "entries": "24",
    "exits": "25",
    "forecast_managed": "90",
    "forecast_entries": "15",
    "forecast_exits": "10",
    "movements": "49",
    "movement_rate_pct": f"57,6{NN}%",
    "subsidy_leverage": "7,1",
    "training_sessions": "12",
    "training_hours": "219⁸",
    "training_attendance": "51⁹",
    "training_requests": "12",
    "training_requests_funded": "8",
    "training_funded_amount": f"8{NN}508{NB}€",
    "members": "10",
    "members_employees": "8",
    "members_external": "2",
    "members_entries": "1",
    "members_exits": "1",
    "members_target": "40",
    "members_target_year": "2019",
    "own_resources_variance_pct": f"+32,2{NN}%",
    "mutualisation_contributors": "98",
    "previous.mutualisation_contributors": "81",
    "contributors_2000_4000": "11",
    "previous.contributors_2000_4000": "7",
    "contribution_band_low": f"2{NN}000{NB}€",
    "contribution_band_high": f"4{NN}000{NB}€",
    "new_entrepreneurs_established": "3",
    "big_contributor_exits": "1",
    "subsidy_region_actual": f"30{NN}625{NB}€",
    "subsidy_region_received": f"21{NN}437,50{NB}€",
    "subsidy_department_actual": f"5{NN}000{NB}€",
    "subsidy_department_variance_pct": f"-66,7{NN}%",
    "cice_actual": f"26{NN}572{NB}€",
    "cice_budget": f"15{NN}000{NB}€",
    "cice_share_pct": f"16,6{NN}%",
    "personnel_share_pct": f"67,3{NN}%",
    "previous.personnel_share_pct": f"70{NN}%",
    "personnel_actual": f"90{NN}283{NB}€",
    "personnel_budget": f"92{NN}000{NB}€",
    "personnel_variance_pct": f"-1,9{NN}%⁶",
    "charges_actual": f"134{NN}217{NB}€",
    "charges_budget": f"133{NN}625{NB}€",
    "net_result": f"16{NN}693{NB}€",
    "grand_total": f"167{NN}994{NB}€",
    "subsidies_share_pct": f"22,2{NN}%",
    "event.seminaire_annuel.date": "11 juin 2016",
    "event.restitution_recherche_action.date": "29 avril 2016",
    "event.depart_comptable.date": "septembre 2016",
    "event.depart_charge_social.date": "octobre 2016",
    "event.recrutement_session_1.date": "novembre 2016",
    "event.recrutement_session_2.date": "janvier 2017",
    "event.questionnaire_entrepreneurs.date": "septembre 2015",
    "event.booksprint.date": "décembre 2015",
    "event.salon_savoir_faire_local.edition": "4^e^",
    "event.forum_des_entrepreneurs.edition": "4^e^",
}


def test_every_placeholder_of_2016_prints_its_computed_value(figures_2016):
    used = {
        name
        for path in (PROJECT / "report" / "2016").glob("*.qmd")
        for name in PLACEHOLDER.findall(path.read_text(encoding="utf-8"))
    }
    assert used <= set(EXPECTED_2016), sorted(used - set(EXPECTED_2016))
    assert {name: figures_2016.text(name) for name in used} == {
        name: EXPECTED_2016[name] for name in used
    }


def test_no_figure_of_the_year_is_typed_in_the_2016_text():
    """Digits in the prose are only law references, dates of laws and names (« n° 2014-856 »,
    « 31 juillet 2014 », « décembre 2015 » decree), never a figure of the year."""
    allowed = {"2014", "856", "31", "2015"}
    for path in sorted((PROJECT / "report" / "2016").glob("*.qmd")):
        prose = PLACEHOLDER.sub("", path.read_text(encoding="utf-8"))
        typed = set(re.findall(r"\d+", prose)) - allowed
        assert not typed, f"{path.name}: {sorted(typed)}"


def test_indicators_the_build_already_computed_give_the_same_figures(figures_2016):
    from cae_report.analysis import indicators

    prepared, previous = prepare_year(2016), previous_year(2016)
    computed = indicators.compute(prepared.tables, previous.tables)
    settings = cooperative.load(config.data_dir(PROJECT))
    given = variables.compute(prepared, previous, settings, computed=computed)
    assert given.values == figures_2016.values
    assert given.previous.values == figures_2016.previous.values
    # What is given is what is used: the year's values come from it, not from a new compute.
    altered = {**computed, "entries": 999}
    assert variables.compute(prepared, previous, settings, computed=altered).value("entries") == 999


def test_template_placeholders_are_known_names(figures_2016):
    for path in sorted((PROJECT / "report" / "_template").glob("*")):
        for name in PLACEHOLDER.findall(path.read_text(encoding="utf-8")):
            if "NOM" in name or "NAME" in name or "<" in name or name.endswith("."):
                continue  # the README's and paragraphs' generic examples
            assert figures_2016.knows(name), f"{path.name}: {name}"


def test_units_are_formatted_in_french():
    assert variables.format_value(908700, "eur") == f"908{NN}700{NB}€"
    assert variables.format_value(21437.5, "eur") == f"21{NN}437,50{NB}€"
    assert variables.format_value(32.204, "signed_pct") == f"+32,2{NN}%"
    assert variables.format_value(-66.667, "signed_pct") == f"-66,7{NN}%"
    assert variables.format_value(0.01, "signed_pct") == f"0{NN}%"
    assert variables.format_value(70.0, "pct") == f"70{NN}%"
    assert variables.format_value(1234, "count") == f"1{NN}234"
    assert variables.format_value(7.1, "number") == "7,1"
    assert variables.format_value("2016-06-11", "date") == "11 juin 2016"
    assert variables.format_value("2016-07-01", "date") == "1er juillet 2016"
    assert variables.format_value("2016-09", "date") == "septembre 2016"
    assert variables.format_value(4, "ordinal") == "4^e^"
    assert variables.format_value(1, "ordinal") == "1^er^"
    assert variables.format_value("<b>x</b> *y*", "text") == r"\<b\>x\<\/b\> \*y\*".replace(
        r"\/", "/"
    )


def test_an_unknown_name_is_located_by_file_line_and_column(figures_2016):
    text = "# Titre\n\nNous avons accompagné {{< var accompanied >}} et {{< var acompanied >}}.\n"
    resolved = variables.resolve(text, figures_2016, Path("report/2016/x.qmd"))
    [problem] = resolved.problems
    assert (problem.file, problem.line, problem.column) == (Path("report/2016/x.qmd"), 3, "50")
    assert "unknown figure 'acompanied'" in problem.message
    assert "did you mean accompanied" in problem.message
    assert str(problem).startswith("report/2016/x.qmd:3: column '50':")


def test_malformed_placeholders_are_errors_too(figures_2016):
    text = "a {{< meta title >}} b {{< var >}} c {{< var x y >}} d {{< var headcount_end"
    problems = variables.resolve(text, figures_2016, Path("x.qmd")).problems
    assert [p.column for p in problems] == ["3", "24", "38", "56"]
    assert "only {{< var NAME >}}" in problems[0].message
    assert "unclosed" in problems[3].message


def test_code_and_escaped_shortcodes_stay_as_written(figures_2016):
    text = "`{{< var accompanied >}}` and {{{< var accompanied >}}} and {{< var accompanied >}}"
    resolved = variables.resolve(text, figures_2016, Path("x.qmd"))
    assert resolved.problems == []
    assert resolved.text.startswith("`{{< var accompanied >}}` and ")
    assert resolved.text.endswith(" and 109")
    assert r"\{\{\< var accompanied \>\}\}" in resolved.text


def test_a_value_the_year_lacks_is_said_and_listed():
    settings = cooperative.load(config.data_dir(PROJECT))
    figures = variables.compute(prepare_year(2015), previous_year(2015), settings)
    text = "CDI : {{< var contracts_cdi >}} ; avant : {{< var previous.contracts_cdi >}}."
    resolved = variables.resolve(text, figures, Path("report/_template/x.qmd"))
    assert resolved.text.startswith("CDI : 74 ; avant : ")
    assert rf"**\[non disponible pour 2014{NB}\: previous\.contracts\_cdi\]**" in resolved.text
    assert resolved.unavailable == [(1, 43, "previous.contracts_cdi")]


def test_quarto_variables_nest_dotted_names(figures_2016, tmp_path):
    tree = variables.quarto_variables(figures_2016)
    assert tree["event"]["seminaire_annuel"]["date"] == "11 juin 2016"
    assert tree["previous"]["mutualisation_contributors"] == "81"
    assert tree["accompanied"] == "109"
    path = variables.write_quarto_variables(figures_2016, tmp_path)
    assert path.name == "_variables.yml" and "accompanied: '109'" in path.read_text()


# ---------------------------------------------------------------- the written-chapter step


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(PROJECT / "_quarto.yml", root)
    shutil.copytree(PROJECT / "report", root / "report")
    shutil.copytree(PROJECT / "data" / "raw", root / "data" / "raw")
    shutil.copy(PROJECT / "data" / "cooperative.yml", root / "data")
    return root


def _step(root: Path, year: int, out: Path, log=None) -> dict:
    return write_written_chapters(
        year, root, out, prepare_year(year), previous_year(year), log=log or (lambda m: None)
    )


def test_the_chapter_list_mixes_written_chapters_and_notebooks():
    entries = plan(PROJECT, 2016)
    kinds = ["w" if c.written else "n" for c in entries]
    assert kinds[:3] == ["w", "w", "n"] and kinds.count("n") == len(chapters(PROJECT))
    assert entries[0].source == PROJECT / "report" / "2016" / "01-preambule.qmd"
    assert all(c.source.is_file() for c in entries)
    assert plan(PROJECT, 2015)[0].source.parent.name == "_template"


def test_written_chapters_become_notebooks_in_report_order(tmp_path):
    written = _step(PROJECT, 2016, tmp_path)
    assert (tmp_path / "_variables.yml").is_file()
    first = nbformat.read(written[PROJECT / "report" / "2016" / "01-preambule.qmd"], 4)
    assert first.cells[0].cell_type == "markdown"
    assert "accompagné 109 entrepreneurs" in first.cells[0].source
    executed = [tmp_path / p.name for p in chapters(PROJECT)]
    ordered = in_report_order(PROJECT, 2016, executed, written)
    assert [p.name for p in ordered[:3]] == [
        "written-01-preambule.ipynb",
        "written-02-rapport-moral.ipynb",
        "02-chiffres.ipynb",
    ]


def test_an_unknown_figure_in_a_written_chapter_fails_with_its_position(tmp_path):
    root = _project(tmp_path)
    chapter = root / "report" / "2016" / "03-organisation.qmd"
    chapter.write_text(chapter.read_text() + "\nIls sont {{< var headcount_fin >}}.\n")
    with pytest.raises(DataError) as error:
        _step(root, 2016, tmp_path / "out")
    [problem] = error.value.problems
    assert problem.file == Path("report/2016/03-organisation.qmd")
    assert problem.line == len(chapter.read_text().splitlines()) and problem.column == "10"


def test_a_template_year_builds_with_its_paragraphs_to_write_reported(tmp_path):
    logged: list[str] = []
    written = _step(PROJECT, 2015, tmp_path, logged.append)
    assert all(source.parent.name == "_template" for source in written)
    assert any("report/_template/01-preambule.qmd:3: 3 « À rédiger »" in m for m in logged)
    text = nbformat.read(next(iter(written.values())), 4).cells[0].source
    assert "> **À rédiger**" in text  # shown as a quotation, visibly unfinished


def test_a_year_folder_missing_a_chapter_is_an_error(tmp_path):
    root = _project(tmp_path)
    (root / "report" / "2016" / "05-communication.qmd").unlink()
    with pytest.raises(DataError, match="missing from report/2016/"):
        _step(root, 2016, tmp_path / "out")


def test_new_year_copies_the_template_and_never_overwrites(tmp_path):
    root = _project(tmp_path)
    proc = cli(root, "new-year", "2017")
    assert proc.returncode == 0, proc.stderr
    copied = sorted(p.name for p in (root / "report" / "2017").iterdir())
    assert copied == sorted(p.name for p in (root / "report" / "_template").glob("*.qmd"))
    again = cli(root, "new-year", "2017")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_a_build_naming_an_unknown_figure_fails_before_executing_anything(tmp_path):
    root = make_root(tmp_path)
    chapter = root / "report" / "2016" / "09-ressources.qmd"
    lines = chapter.read_text(encoding="utf-8").splitlines()
    lines[2] = "Écart : {{< var own_resource_variance_pct >}}. " + lines[2]
    chapter.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = cli(root, "build", "--year", "2016", "--engine", "pandoc")
    assert proc.returncode != 0
    assert (
        "report/2016/09-ressources.qmd:3: column '9': unknown figure "
        "'own_resource_variance_pct' (did you mean own_resources_variance_pct" in proc.stderr
    )
    assert "executed" not in proc.stderr and not (root / "_build" / "2016").exists()


def test_the_template_readme_lists_every_computed_name():
    readme = (PROJECT / "report" / "_template" / "README.md").read_text(encoding="utf-8")
    missing = [name for name in variables.COMPUTED if f"| `{name}` |" not in readme]
    assert not missing, "add them to report/_template/README.md: " + ", ".join(missing)


def test_a_report_with_paragraphs_to_write_is_a_draft_on_every_page(tmp_path):
    """A year built from the template says it is a draft (front matter, then the mark of
    every page: publish.edition_mark); the 2016 text, fully written, does not."""
    from cae_report.publish import DRAFT_MARK, INTERNAL_MARK, edition_mark
    from cae_report.publish.assemble import DRAFT_KEY, assemble, load_config

    fronts = {}
    for year in (2015, 2016):
        written = _step(PROJECT, year, tmp_path / str(year))
        fronts[year] = assemble(
            list(written.values()),
            tmp_path / f"{year}.ipynb",
            year=year,
            config=load_config(PROJECT),
        )
    assert fronts[2015][DRAFT_KEY] >= 3 and DRAFT_KEY not in fronts[2016]
    assert edition_mark(False, fronts[2015]) == DRAFT_MARK
    assert edition_mark(True, fronts[2015]) == f"{INTERNAL_MARK} · {DRAFT_MARK}"
    assert edition_mark(False, fronts[2016]) is None
    assert edition_mark(True, fronts[2016]) == INTERNAL_MARK
