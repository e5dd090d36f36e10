"""The figures the cooperative's written chapters cite by name: ``{{< var NAME >}}``.

The cooperative writes, the pipeline computes. A written chapter (``report/<year>/*.qmd``)
never types a figure; it names it with Quarto's ``var`` shortcode, and :func:`resolve`
replaces each name with the year's value formatted in French (``908 700 €``, ``+32,2 %``,
``11 juin 2016``, ``4e``). :data:`REGISTRY` is the one list of names: for each, its unit (how it
is formatted) and what it means. Values come from the year's clean tables: the computed
indicators first, then the figures the text states (``key_figures.csv``), the income
statement, the events (``events.csv``), the cooperative's file (``data/cooperative.yml``) and,
under ``previous.``, the same names for the year before.

* A name the registry does not know is an error naming file, line and column: a typo must not
  reach the board.
* A known name the year has no value for prints a visible French mention,
  « [non disponible pour 2015 : previous.contracts_cdi] », and is reported in the build log:
  never an empty string, never a guess.
* A value corrected by the checks carries the mark of its point in the annex (``−1,9 %⁴``).

The same formatted values are written as ``_variables.yml`` (:func:`quarto_variables`), where
Quarto's own ``var`` shortcode finds them, so that ``quarto preview`` of a written chapter
shows what the build prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cae_report.data.contract import KEY_FIGURES
from cae_report.data.keyfigures import missing
from cae_report.errors import Problem
from cae_report.fr import NNBSP, fmt_date, fmt_eur, fmt_int, fmt_num_max, month_name
from cae_report.report.display import Markdown, escape


@dataclass(frozen=True)
class Spec:
    """How a name is printed (``unit``) and what it means (for the template's README)."""

    unit: str
    meaning: str


# Units: count (84), eur (908 700 €; cents kept when there are some), pct (67,3 %), signed_pct
# (+32,2 %), number (7,1: one decimal at most), year (2016), month (janvier 2009), date
# (11 juin 2016, or « septembre 2016 » for a month), ordinal (4e), text (escaped as data).
UNITS = ("count", "eur", "pct", "signed_pct", "number", "year", "month", "date", "ordinal", "text")
_KEY_FIGURE_UNITS = {"count": "count", "eur": "eur", "pct": "pct", "ratio": "number"}
_KEY_FIGURE_UNITS |= {"hours": "number", "year": "year"}

COMPUTED: dict[str, Spec] = {
    "year": Spec("year", "the report's year"),
    "previous_year": Spec("year", "the year before"),
    "next_year": Spec("year", "the year after"),
    "headcount_start": Spec("count", "entrepreneurs at the start of the year"),
    "headcount_end": Spec("count", "entrepreneurs at the end of the year"),
    "entries": Spec("count", "entrepreneurs who joined during the year"),
    "exits": Spec("count", "entrepreneurs who left during the year"),
    "accompanied": Spec("count", "entrepreneurs accompanied (start + entries)"),
    "movements": Spec("count", "entries + exits"),
    "movement_rate_pct": Spec("pct", "movements in percent of the start headcount"),
    "subsidy_leverage": Spec("number", "social and tax receipts per euro of subsidy"),
    "receipts": Spec("eur", "social and tax receipts: VAT paid back + contributions"),
    "charges_actual": Spec("eur", "operating charges, actual"),
    "charges_budget": Spec("eur", "operating charges, budget"),
    "products_actual": Spec("eur", "operating products, actual"),
    "products_budget": Spec("eur", "operating products, budget"),
    "operating_surplus": Spec("eur", "operating surplus (products − charges)"),
    "net_result": Spec("eur", "the year's result"),
    "grand_total": Spec("eur", "the income statement's grand total (« Total général »)"),
    "own_resources_actual": Spec("eur", "own resources (mutualisation, services), actual"),
    "own_resources_variance_pct": Spec("signed_pct", "own resources against budget"),
    "subsidies_actual": Spec("eur", "operating subsidies, actual"),
    "subsidies_share_pct": Spec("pct", "subsidies in percent of operating products"),
    "personnel_share_pct": Spec("pct", "personnel costs in percent of operating charges"),
    "personnel_actual": Spec("eur", "personnel costs (group 64), actual"),
    "personnel_budget": Spec("eur", "personnel costs, budget"),
    "personnel_variance_pct": Spec("signed_pct", "personnel costs against budget"),
    "subsidy_region_actual": Spec("eur", "Région subsidy as booked (granted)"),
    "subsidy_region_budget": Spec("eur", "Région subsidy, budget"),
    "subsidy_region_variance_pct": Spec("signed_pct", "Région subsidy against budget"),
    "subsidy_department_actual": Spec("eur", "Département subsidy, actual"),
    "subsidy_department_budget": Spec("eur", "Département subsidy, budget"),
    "subsidy_department_variance_pct": Spec("signed_pct", "Département subsidy against budget"),
    "cice_actual": Spec("eur", "CICE tax credit, actual"),
    "cice_budget": Spec("eur", "CICE, budget"),
    "cice_variance_pct": Spec("signed_pct", "CICE against budget"),
    "cice_share_pct": Spec("pct", "CICE in percent of operating products"),
    "training_sessions": Spec("count", "collective training sessions (from the table)"),
    "training_hours": Spec("number", "attendee-hours of training (from the table)"),
    "training_attendance": Spec("count", "attendances at training sessions (from the table)"),
    "members_start": Spec("count", "associés at the start of the year (end − entries + exits)"),
    "members_entries": Spec("count", "associés who joined during the year"),
    "members_exits": Spec("count", "associés who left during the year"),
    "web_visits": Spec("count", "website visits"),
    "web_visitors": Spec("count", "website visitors"),
    "web_pageviews": Spec("count", "website page views"),
}
SIGNED = frozenset(
    {"entrepreneurs_revenue_growth_pct", "own_resources_variance_pct", "personnel_variance_pct"}
)
"""Key figures that are variances or growths: printed with their sign."""

_STATED = Spec("stated", "a figure stated in the text (key_figures.csv)")
REGISTRY: dict[str, Spec] = {**dict.fromkeys(KEY_FIGURES, _STATED), **COMPUTED}
"""Every fixed name. Families: ``previous.<name>``, ``event.<id>.date|edition|place``,
``cooperative.<key>`` (a key of ``data/cooperative.yml``)."""
EVENT_FIELDS = {"date": "date", "edition": "ordinal", "place": "text"}
PREVIOUS = "previous."


# ---------------------------------------------------------------- values


def _events(events) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if events is None:
        return values
    for row in events.itertuples():
        day, month = getattr(row, "date", None), getattr(row, "month", None)
        values[f"event.{row.id}.date"] = day if not missing(day) else month
        values[f"event.{row.id}.edition"] = getattr(row, "edition", None)
        values[f"event.{row.id}.place"] = getattr(row, "place", None)
    return values


def _stated(key_figures) -> dict[str, tuple[Any, str]]:
    if key_figures is None:
        return {}
    return {
        name: (value, _KEY_FIGURE_UNITS.get(unit, "number"))
        for name, value, unit in zip(
            key_figures["indicator"], key_figures["value"], key_figures["unit"], strict=True
        )
    }


def year_values(
    tables: dict, previous_tables: dict | None = None, computed: dict | None = None
) -> dict[str, Any]:
    """Every value of one year by name (None where the year lacks it): computed indicators
    over stated figures, income-statement amounts, sociétariat, events. ``computed``: the
    year's :func:`~cae_report.analysis.indicators.compute` with ``previous_tables``, when the
    caller already has it (the build writes it to ``indicators.json``)."""
    from cae_report.analysis import budget, compare, indicators, societariat, statement

    # The indicators with the previous year's tables win over the key figures' fill-ins
    # (as they are computed once, they also complete them).
    if computed is None:
        computed = indicators.compute(tables, previous_tables)
    values: dict[str, Any] = dict(compare.figures(tables, computed))
    values.update(computed)
    values.update(statement.figures(tables.get("income_statement")))
    values.update(societariat.summary(tables.get("members"), tables.get("key_figures")))
    values.pop("members_end", None)
    leverage = budget.subsidy_leverage(tables.get("key_figures"))
    values["receipts"] = leverage["receipts_recomputed"] or leverage["receipts"]
    values.update(_events(tables.get("events")))
    return {name: None if missing(v) else v for name, v in values.items()}


@dataclass
class Figures:
    """The values of one year and of the year before, ready to print by name."""

    year: int
    values: dict[str, Any]
    units: dict[str, str] = field(default_factory=dict)
    previous: Figures | None = None
    cooperative: dict[str, Any] = field(default_factory=dict)
    marks: dict[str, str] = field(default_factory=dict)

    def knows(self, name: str) -> bool:
        """Whether ``name`` is a name of the registry (or of one of its families)."""
        if name.startswith(PREVIOUS):
            rest = name.removeprefix(PREVIOUS)
            return not rest.startswith(PREVIOUS) and self.knows(rest)
        if name.startswith("cooperative."):
            return name.removeprefix("cooperative.") in self.cooperative
        event = re.fullmatch(r"event\.[a-z0-9_]+\.(\w+)", name)
        return event.group(1) in EVENT_FIELDS if event else name in REGISTRY

    def value(self, name: str) -> Any:
        if name.startswith(PREVIOUS):
            previous = self.previous
            return None if previous is None else previous.value(name.removeprefix(PREVIOUS))
        if name in ("year", "previous_year", "next_year"):
            return self.year + {"year": 0, "previous_year": -1, "next_year": 1}[name]
        if name.startswith("cooperative."):
            return self.cooperative.get(name.removeprefix("cooperative."))
        return self.values.get(name)

    def unit(self, name: str) -> str:
        if name.startswith(PREVIOUS):
            base = name.removeprefix(PREVIOUS)
            return self.previous.unit(base) if self.previous else self._own_unit(base)
        return self._own_unit(name)

    def _own_unit(self, name: str) -> str:
        if name.startswith("event."):
            return EVENT_FIELDS[name.rsplit(".", 1)[1]]
        if name.startswith("cooperative."):
            return _cooperative_unit(self.cooperative.get(name.removeprefix("cooperative.")))
        spec = REGISTRY[name].unit
        if spec == "stated":
            spec = "signed_pct" if name in SIGNED else self.units.get(name, "number")
        return spec

    def available(self, name: str) -> bool:
        return not missing(self.value(name))

    def text(self, name: str) -> str:
        """The French text of ``name`` (markdown: data escaped), or the visible mention when
        the year has no value. ``name`` must be known (see :meth:`knows`)."""
        if not self.available(name):
            return missing_mention(self._year_of(name), name)
        text = format_value(self.value(name), self.unit(name))
        return Markdown(text + self.marks.get(name, ""))

    def _year_of(self, name: str) -> int:
        return self.year - 1 if name.startswith(PREVIOUS) else self.year

    def names(self) -> list[str]:
        """Every name with a value or a known family member, for ``_variables.yml``."""
        fixed = [n for n in REGISTRY if n not in ("year",)]
        family = [n for n in self.values if n.startswith("event.")]
        coop = [f"cooperative.{k}" for k, v in self.cooperative.items() if _scalar(v)]
        own = ["year", *fixed, *family, *coop]
        return own + [PREVIOUS + n for n in own]


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _cooperative_unit(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        return "month"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "date"
    return "year" if isinstance(value, int) and 1000 <= value <= 2999 else "text"


def missing_mention(year: int, name: str) -> Markdown:
    """What the text shows for a value the year does not have: visible, and saying which."""
    return Markdown(f"**{escape(f'[non disponible pour {year} : {name}]')}**")


def _month(value: str) -> str:
    return f"{month_name(int(value[5:7]))} {value[:4]}"


def _ordinal(value: Any) -> str:
    number = int(value)
    return f"{fmt_int(number)}^{'er' if number == 1 else 'e'}^"


def _pct(value: float, signed: bool) -> str:
    sign = "+" if signed and round(value, 1) > 0 else ""
    return sign + fmt_num_max(value, 1) + NNBSP + "%"


def format_value(value: Any, unit: str) -> str:
    """One value as French markdown (a text value is escaped: it is data)."""
    if unit == "count":
        return fmt_int(value)
    if unit == "eur":
        return fmt_eur(value, 0 if float(value) == round(float(value)) else 2)
    if unit in ("pct", "signed_pct"):
        return _pct(float(value), unit == "signed_pct")
    if unit == "number":
        return fmt_num_max(value, 1) if float(value) != int(float(value)) else fmt_int(value)
    if unit == "year":
        return str(int(float(value)))
    if unit in ("month", "date"):
        text = str(value)
        return _month(text) if len(text) == 7 else fmt_date(text)
    if unit == "ordinal":
        return _ordinal(value)
    return escape(value)


def compute(prepared, previous, cooperative: dict, anomalies=None, computed=None) -> Figures:
    """The figures of ``prepared`` (a :class:`~cae_report.build.prepare.Prepared`) and of the
    year before (``previous``, or None), with the marks of the values the checks corrected;
    ``computed``: the year's indicators, when already computed (see :func:`year_values`)."""
    from cae_report.report import audit

    past = None
    if previous is not None:
        past = Figures(
            previous.year,
            year_values(previous.tables),
            _units(previous.tables),
            cooperative=cooperative,
        )
    figures = Figures(
        prepared.year,
        year_values(prepared.tables, previous.tables if previous is not None else None, computed),
        _units(prepared.tables),
        past,
        cooperative,
    )
    marks = audit.cell_marks(prepared.anomalies if anomalies is None else anomalies, "key_figures")
    figures.marks = {key: mark for (key, _field), mark in marks.items()}
    return figures


def _units(tables: dict) -> dict[str, str]:
    return {name: unit for name, (_v, unit) in _stated(tables.get("key_figures")).items()}


# ---------------------------------------------------------------- placeholders

_TOKENS = re.compile(
    r"(?P<fence>^[ ]{0,3}(?P<ticks>`{3,}|~{3,})[^\n]*\n.*?^[ ]{0,3}(?P=ticks)[ \t]*$)"
    r"|(?P<code>(?P<run>`+)(?!`).+?(?<!`)(?P=run)(?!`))"
    r"|(?P<escaped>\{\{\{<(?P<literal>[^\n]*?)>\}\}\})"
    r"|(?P<shortcode>\{\{<(?P<body>[^\n]*?)>\}\})"
    r"|(?P<open>\{\{<)",
    re.S | re.M,
)


@dataclass
class Resolved:
    """A written chapter with its placeholders replaced, and what the build log reports."""

    text: str
    problems: list[Problem] = field(default_factory=list)
    unavailable: list[tuple[int, int, str]] = field(default_factory=list)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _problem(path: Path, text: str, offset: int, message: str) -> Problem:
    line, column = _position(text, offset)
    return Problem(path, message, line, str(column))


def resolve(text: str, figures: Figures, path: Path) -> Resolved:
    """Replace every ``{{< var NAME >}}`` of ``text`` (the file ``path``) by its value.

    Code (spans and fenced blocks) is left as written, so a template can show a placeholder
    as an example; ``{{{< var x >}}}`` prints ``{{< var x >}}`` literally, as in Quarto.
    Unknown names and malformed shortcodes become :class:`Problem` s (line and column)."""
    out = Resolved("")
    parts: list[str] = []
    last = 0
    for match in _TOKENS.finditer(text):
        parts.append(text[last : match.start()])
        last = match.end()
        if match.group("fence") or match.group("code"):
            parts.append(match.group(0))
        elif match.group("escaped"):
            parts.append(escape("{{<" + match.group("literal") + ">}}"))
        elif match.group("open"):
            out.problems.append(
                _problem(path, text, match.start(), "unclosed shortcode: '{{<' without '>}}'")
            )
        else:
            parts.append(_placeholder(match, text, figures, path, out))
    parts.append(text[last:])
    out.text = "".join(parts)
    return out


def _placeholder(match: re.Match, text: str, figures: Figures, path: Path, out: Resolved) -> str:
    words = match.group("body").split()
    offset = match.start()
    if len(words) != 2 or words[0] != "var":
        message = (
            f"only {{{{< var NAME >}}}} is supported here, got '{match.group(0)}'"
            if not words or words[0] != "var"
            else f"'{match.group(0)}': expected exactly one name after var"
        )
        out.problems.append(_problem(path, text, offset, message))
        return match.group(0)
    name = words[1]
    if not figures.knows(name):
        close = _close_names(name, figures)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        message = f"unknown figure '{name}'{hint}: see report/_template/README.md for the names"
        out.problems.append(_problem(path, text, offset, message))
        return match.group(0)
    if not figures.available(name):
        out.unavailable.append((*_position(text, offset), name))
    return figures.text(name)


def _close_names(name: str, figures: Figures) -> list[str]:
    import difflib

    base = name.removeprefix(PREVIOUS)
    candidates = [*REGISTRY, *figures.values, *(f"cooperative.{k}" for k in figures.cooperative)]
    close = difflib.get_close_matches(base, candidates, n=3, cutoff=0.75)
    return [PREVIOUS + c if name.startswith(PREVIOUS) else c for c in close]


# ---------------------------------------------------------------- Quarto's _variables.yml


def quarto_variables(figures: Figures) -> dict[str, Any]:
    """The formatted values as nested mappings (``event.seminaire_annuel.date`` →
    ``event: {seminaire_annuel: {date: …}}``), what Quarto's ``var`` shortcode reads."""
    tree: dict[str, Any] = {}
    for name in figures.names():
        node = tree
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[leaf] = str(figures.text(name))
    return tree


def write_quarto_variables(figures: Figures, folder: Path) -> Path:
    """Write ``_variables.yml`` into ``folder`` (a Quarto project: the render's staging
    folder, or the project root for ``quarto preview``)."""
    path = Path(folder) / "_variables.yml"
    header = (
        f"# Generated by cae-report for {figures.year}: the figures the written chapters cite.\n"
        "# Do not edit (rebuild instead); see report/_template/README.md.\n"
    )
    body = yaml.safe_dump(quarto_variables(figures), allow_unicode=True, sort_keys=True)
    path.write_text(header + body, encoding="utf-8")
    return path


__all__ = [
    "REGISTRY",
    "Figures",
    "Resolved",
    "Spec",
    "compute",
    "format_value",
    "missing_mention",
    "quarto_variables",
    "resolve",
    "write_quarto_variables",
    "year_values",
]
