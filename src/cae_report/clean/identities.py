"""From table cells to an identity system, and from the solver's decisions to findings.

The group modules (:mod:`.movements`, :mod:`.members`, :mod:`.accounts`, :mod:`.training`,
:mod:`.audience`) declare variables (published cells) and identities on a :class:`Builder`;
:meth:`Builder.run` decides in two passes — first the plain arithmetic of the report's own
tables, then with the identities that rest on an assumption (stated in the message) — applies
every correction to the tables and returns the findings.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pandas as pd

from cae_report.clean import solver
from cae_report.clean.base import Anomaly, Tables, plain, shown
from cae_report.clean.solver import Candidate, Decision, Identity, System, Var, frac
from cae_report.fr import DISAGREE


class Builder:
    """Collects the variables and identities of one group of related figures."""

    def __init__(self, tables: Tables, rule: str):
        self.tables = tables
        self.rule = rule
        self.vars: dict[str, Var] = {}
        self.identities: list[Identity] = []
        self._decisions = 0

    # -- variables -----------------------------------------------------------------------

    def cell(
        self,
        table: str,
        index,
        column: str,
        *,
        key: str,
        label: str,
        integer: bool = True,
        derived: bool = False,
        half: object = 0,
        decimals: int | None = None,
        above: object = None,
        nonneg: bool = True,
        empty_is_zero: bool = False,
    ) -> str | None:
        """A published cell as a variable; None when the cell is empty (not published),
        unless ``empty_is_zero`` (an empty line of a statement books nothing)."""
        vid = f"{table}|{key}|{column}"
        if vid in self.vars:
            return vid
        value = self.tables[table].loc[index, column]
        if value is None or pd.isna(value):
            if not empty_is_zero:
                return None
            value = 0
        self.vars[vid] = Var(
            vid,
            label,
            table,
            key,
            column,
            frac(value),
            integer=integer,
            nonneg=nonneg,
            half=frac(half),
            decimals=decimals,
            derived=derived,
            above=None if above is None or pd.isna(above) else frac(above),
            location=(table, index, column),
        )
        return vid

    def key_figure(
        self, name: str, label: str, *, integer: bool = True, derived: bool = False, **kw
    ) -> str | None:
        """A figure stated in the text (``key_figures``) as a variable, None when not stated."""
        frame = self.tables.get("key_figures")
        if frame is None:
            return None
        rows = frame.index[(frame["indicator"] == name) & frame["value"].notna()]
        if len(rows) == 0:
            return None
        return self.cell(
            "key_figures",
            rows[0],
            "value",
            key=name,
            label=label,
            integer=integer,
            derived=derived,
            **kw,
        )

    def value(self, vid: str) -> Fraction:
        return self.vars[vid].value

    def add(self, identity: Identity | None) -> None:
        if identity is not None and identity.vars <= set(self.vars):
            self.identities.append(identity)

    # -- deciding --------------------------------------------------------------------------

    def run(self) -> list[Anomaly]:
        """Decide, apply every correction to the tables, return the findings."""
        base = {k: v.value for k, v in self.vars.items()}
        found: list[Anomaly] = []
        plain_arithmetic = System(
            self.vars.values(), [i for i in self.identities if not i.assumption]
        )
        for decision in solver.decide(plain_arithmetic, base):
            if decision.chosen is not None:
                base.update(decision.chosen.values)
                found += self._rows(decision, base)
        everything = System(self.vars.values(), self.identities)
        for decision in solver.decide(everything, base):
            if decision.chosen is not None:
                base.update(decision.chosen.values)
            found += self._rows(decision, base)
        for vid, value in base.items():
            var = self.vars[vid]
            if value != var.value:
                table, index, column = var.location
                frame = self.tables[table]
                frame.loc[index, column] = int(value) if var.integer else float(value)
        return found

    # -- findings ----------------------------------------------------------------------------

    def _rows(self, decision: Decision, values) -> list[Anomaly]:
        self._decisions += 1
        token = f"{self.rule}#{self._decisions}"
        return [replace(row, finding=token) for row in self._messages(decision, values)]

    def _messages(self, decision: Decision, values) -> list[Anomaly]:
        why = DISAGREE + " ; ".join(
            describe(i, self.vars, values if decision.chosen is None else _published(self))
            for i in decision.violated
        )
        assumptions = decision.assumptions
        tail = (" Hypothèses : " + " ; ".join(assumptions) + ".") if assumptions else ""
        rows = []
        if decision.chosen is not None:
            chosen = decision.chosen
            size = len(chosen.vars)
            if decision.status == "corrected":
                how = (
                    "C'est la seule correction "
                    + ("d'un seul chiffre" if size == 1 else f"de {size} chiffres")
                    + " qui rétablit toutes ces égalités."
                )
            else:
                others = [c for c in decision.candidates if c is not chosen]
                how = (
                    "Autres corrections de même ampleur : "
                    + self._listing(others)
                    + f". Retenue : {self._candidate(chosen)} ({decision.prior})."
                )
            # A value every candidate changes the same way is decided whatever the tie.
            settled = {
                v
                for v in chosen.vars
                if all(c.values.get(v) == chosen.values[v] for c in decision.candidates)
            }
            for vid in chosen.vars:
                var = self.vars[vid]
                new = chosen.values[vid]
                status = "corrected" if vid in settled else decision.status
                rows.append(
                    Anomaly(
                        var.table,
                        var.key,
                        var.field,
                        plain(var.value),
                        plain(new),
                        self.rule,
                        f"{var.label} : publié {shown(var.value)}, retenu {shown(new)}. "
                        f"{why}. {how}{tail}",
                        status=status,
                    )
                )
            return rows
        if decision.candidates:
            how = (
                "Corrections possibles, que les autres chiffres ne permettent pas de "
                "départager : " + self._listing(decision.candidates) + "."
            )
            subjects = sorted({v for c in decision.candidates for v in c.vars}, key=self._order)
        else:
            how = (
                f"Aucune correction d'au plus {solver.MAX_CHANGES} chiffres ne rétablit ces "
                "égalités : plusieurs chiffres sont faux ou l'une des hypothèses ne vaut pas."
            )
            subjects = sorted({_subject(i) for i in decision.violated}, key=self._order)
        for vid in subjects:
            var = self.vars[vid]
            rows.append(
                Anomaly(
                    var.table,
                    var.key,
                    var.field,
                    plain(var.value),
                    None,
                    self.rule,
                    f"{why}. {how}{tail}",
                    status="undecided",
                )
            )
        return rows

    def _listing(self, candidates: list[Candidate], shown_at_most: int = 4) -> str:
        text = " ; ".join(self._candidate(c) for c in candidates[:shown_at_most])
        if len(candidates) > shown_at_most:
            text += f" ; et {len(candidates) - shown_at_most} autres de même ampleur"
        return text

    def _order(self, vid: str) -> int:
        return list(self.vars).index(vid)

    def _candidate(self, cand: Candidate) -> str:
        parts = []
        for vid in cand.vars:
            var = self.vars[vid]
            if vid in cand.values:
                parts.append(f"{var.label} {shown(var.value)} → {shown(cand.values[vid])}")
            else:
                lo, hi = cand.ranges.get(vid, (None, None))
                if lo is not None and hi is not None:
                    parts.append(f"{var.label} entre {shown(lo)} et {shown(hi)}")
                else:
                    parts.append(f"{var.label} (valeur non déterminée)")
        return " et ".join(parts)


def _published(builder: Builder) -> dict[str, Fraction]:
    return {k: v.value for k, v in builder.vars.items()}


def _subject(identity: Identity) -> str:
    """The value a row about an identity is attached to: its total or stated figure."""
    if identity.kind == "ratio":
        return identity.target
    return next(iter(identity.terms))


def describe(identity: Identity, variables: dict[str, Var], values) -> str:
    """An identity with the values it compares: ``name : publié a, calcul b``."""
    if identity.kind == "ratio":
        d = solver._form(identity.den, values)
        computed = (
            None
            if d == 0
            else identity.scale * solver._form(identity.num, values) / d + identity.offset
        )
        target = values[identity.target]
        text = "non défini" if computed is None else shown(_approx(computed, target))
        return f"{identity.name} (publié {shown(target)}, calculé {text})"
    subject = _subject(identity)
    coef = identity.terms[subject]
    rest = (
        -(sum(c * values[v] for v, c in identity.terms.items() if v != subject) + identity.const)
        / coef
    )
    return (
        f"{identity.name} ({shown(values[subject])} publié, {shown(rest)} par les autres chiffres)"
    )


def _approx(value: Fraction, like: Fraction) -> float:
    decimals = max(solver.decimals_of(float(like)), 1) + 1
    return round(float(value), decimals)
