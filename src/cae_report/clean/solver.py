"""Deciding corrections from all the figures at once: a small exact identity solver.

A group of related published figures (a month's flows and headcounts, an income statement's
lines and totals, an audience table's counts and ratios…) is a set of variables, one per
published value, bound by identities: linear equalities (``lines = subtotal``) and rounded
ratios (``a stated share ≈ part / whole × 100`` to the precision it was written with).

When some identities do not hold, the question is which published values are wrong. The
answer the data can give is the *smallest* set of values whose change makes every identity
hold again. The search is exhaustive and exact (fractions, no floating point): every subset
of 1, 2 then 3 values taken from the violated identities, that touches each violated
identity, is solved for its unknowns (Gaussian elimination over the rationals for the linear
identities, intervals for the rounded ones). The set is trusted when it is the only one of its
size and fixes each of its values; otherwise the candidates are reported and nothing changes,
except when one stated prior singles out one candidate (a figure the report computed from
the others rather than the figures it is computed from; a value repeating the row above it,
the signature of a copy error): that candidate is applied as *probable*, saying so.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

MAX_CHANGES = 3
"""Largest set of published values one decision may change (the search is exhaustive)."""


def frac(value: object) -> Fraction:
    """An exact fraction of a published number (``2.57`` is 257/100, not a binary float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def decimals_of(value: float) -> int:
    """Decimals a published figure was written with (up to 3)."""
    for d in range(4):
        if math.isclose(value, round(value, d), abs_tol=1e-9):
            return d
    return 3


@dataclass(frozen=True)
class Var:
    """One published value.

    ``half`` is half the rounding step it was published with (0 for an exact count or
    amount), ``decimals`` the decimals a corrected value is written with (None: a whole
    count or an amount, kept as solved). ``derived``: a figure the report computes from
    others (a text total, a share, a rate), preferred as the culprit when the data tie.
    ``above``: the value of the row printed just above it in the same column (copy errors).
    """

    id: str
    label: str
    table: str
    key: str
    field: str
    value: Fraction
    integer: bool = False
    nonneg: bool = True
    half: Fraction = Fraction(0)
    decimals: int | None = None
    derived: bool = False
    above: Fraction | None = None
    location: tuple = ()


@dataclass(frozen=True)
class Identity:
    """``Σ terms·var + const = 0`` (kind ``linear``) or ``target ≈ scale·N/D + offset``
    (kind ``ratio``, N and D linear forms ``(terms, const)``), with the assumption it rests
    on when it is not plain arithmetic of the report's own table."""

    name: str
    terms: Mapping[str, Fraction] = field(default_factory=dict)
    const: Fraction = Fraction(0)
    kind: str = "linear"
    target: str | None = None
    num: tuple[Mapping[str, Fraction], Fraction] = ((), Fraction(0))
    den: tuple[Mapping[str, Fraction], Fraction] = ((), Fraction(1))
    scale: Fraction = Fraction(1)
    offset: Fraction = Fraction(0)
    assumption: str | None = None

    @property
    def vars(self) -> frozenset[str]:
        if self.kind == "linear":
            return frozenset(self.terms)
        return frozenset({self.target, *dict(self.num[0]), *dict(self.den[0])})


def linear(name: str, terms: Mapping[str, object], const: object = 0, **kw) -> Identity:
    """``Σ terms·var + const = 0``; zero coefficients are dropped (a var twice is summed)."""
    clean = {k: frac(v) for k, v in terms.items() if frac(v) != 0}
    return Identity(name, clean, frac(const), **kw)


def equal_sum(name: str, total: str, parts: Iterable[str], const: object = 0, **kw) -> Identity:
    """``total = Σ parts + const``."""
    terms: dict[str, Fraction] = {total: Fraction(1)}
    for p in parts:
        terms[p] = terms.get(p, Fraction(0)) - 1
    return linear(name, terms, -frac(const), **kw)


def ratio(
    name: str,
    target: str,
    num: Mapping[str, object],
    den: Mapping[str, object] | None = None,
    *,
    num_const: object = 0,
    den_const: object = 0,
    scale: object = 1,
    offset: object = 0,
    **kw,
) -> Identity:
    """``target ≈ scale · (Σ num + num_const) / (Σ den + den_const) + offset``."""
    n = ({k: frac(v) for k, v in num.items()}, frac(num_const))
    d = ({k: frac(v) for k, v in (den or {}).items()}, frac(den_const) if den else Fraction(1))
    return Identity(
        name,
        kind="ratio",
        target=target,
        num=n,
        den=d,
        scale=frac(scale),
        offset=frac(offset),
        **kw,
    )


# ---------------------------------------------------------------- evaluation


def _form(form, values: Mapping[str, Fraction]) -> Fraction:
    terms, const = form
    return sum((c * values[v] for v, c in dict(terms).items()), const)


def _form_range(form, values, half) -> tuple[Fraction, Fraction]:
    """Range of a linear form when each input may be off by its rounding half-step."""
    terms, const = form
    lo = hi = const
    for v, c in dict(terms).items():
        lo += c * values[v] - abs(c) * half(v)
        hi += c * values[v] + abs(c) * half(v)
    return lo, hi


def ratio_bounds(identity: Identity, values, half) -> tuple[Fraction, Fraction] | None:
    """The interval the ratio may take given its inputs' roundings; None when undefined."""
    n_lo, n_hi = _form_range(identity.num, values, half)
    d_lo, d_hi = _form_range(identity.den, values, half)
    if d_lo <= 0 <= d_hi:
        return None
    q = [n / d for n in (n_lo, n_hi) for d in (d_lo, d_hi)]
    a, b = identity.scale * min(q) + identity.offset, identity.scale * max(q) + identity.offset
    return (a, b) if a <= b else (b, a)


def holds(identity: Identity, values: Mapping[str, Fraction], half) -> bool:
    if identity.kind == "linear":
        return sum(c * values[v] for v, c in identity.terms.items()) + identity.const == 0
    bounds = ratio_bounds(identity, values, half)
    if bounds is None:
        return True  # undefined (zero base): another rule says so
    t = values[identity.target]
    tol = half(identity.target) + Fraction(1, 10**9)
    return bounds[0] - tol <= t <= bounds[1] + tol


# ---------------------------------------------------------------- solving one subset


@dataclass(frozen=True)
class Candidate:
    """A set of published values and what they must become. ``values`` holds the solved
    values; a value the identities do not fix is absent and its ``ranges`` entry says
    within which bounds it may lie (None: unbounded)."""

    vars: tuple[str, ...]
    values: Mapping[str, Fraction]
    ranges: Mapping[str, tuple[Fraction | None, Fraction | None]] = field(default_factory=dict)

    @property
    def unique(self) -> bool:
        return all(v in self.values for v in self.vars)


def _gauss(rows: list[list[Fraction]], k: int):
    """Row-reduce ``rows`` (k coefficients + right-hand side). Returns (pivots, reduced) or
    None when inconsistent."""
    m = [r[:] for r in rows]
    pivots: list[int] = []
    r = 0
    for c in range(k):
        p = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        piv = m[r][c]
        m[r] = [x / piv for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r], strict=True)]
        pivots.append(c)
        r += 1
    if any(all(x == 0 for x in row[:k]) and row[k] != 0 for row in m[r:]):
        return None
    return pivots, m[:r]


class System:
    """Variables and identities of one group of published figures."""

    def __init__(self, variables: Iterable[Var], identities: Iterable[Identity]):
        self.vars = {v.id: v for v in variables}
        self.identities = [i for i in identities if i.vars <= set(self.vars)]
        self.touching: dict[str, list[Identity]] = {}
        for ident in self.identities:
            for v in ident.vars:
                self.touching.setdefault(v, []).append(ident)

    def values(self) -> dict[str, Fraction]:
        return {k: v.value for k, v in self.vars.items()}

    def half(self, values_changed: frozenset[str] = frozenset()):
        def h(v: str) -> Fraction:
            var = self.vars[v]
            if v in values_changed and var.decimals is not None:
                return Fraction(1, 2 * 10**var.decimals)
            return var.half

        return h

    def violated(self, values=None) -> list[Identity]:
        values = values or self.values()
        h = self.half()
        return [i for i in self.identities if not holds(i, values, h)]

    # -- one subset -------------------------------------------------------------------

    def solve(self, subset: tuple[str, ...], base: Mapping[str, Fraction]) -> Candidate | None:
        """Values of ``subset`` that make every identity touching it hold, or None."""
        touching = {id(i): i for v in subset for i in self.touching.get(v, ())}.values()
        lin = [i for i in touching if i.kind == "linear"]
        rat = [i for i in touching if i.kind == "ratio"]
        col = {v: j for j, v in enumerate(subset)}
        k = len(subset)
        rows = []
        for ident in lin:
            row = [Fraction(0)] * (k + 1)
            rhs = -ident.const
            for v, c in ident.terms.items():
                if v in col:
                    row[col[v]] += c
                else:
                    rhs -= c * base[v]
            row[k] = rhs
            rows.append(row)
        solved = _gauss(rows, k) if rows else ([], [])
        if solved is None:
            return None
        pivots, reduced = solved
        values = dict(base)
        fixed: dict[str, Fraction] = {}
        free = [v for v in subset if col[v] not in pivots]
        for r, c in zip(reduced, pivots, strict=True):
            if any(r[j] != 0 for j in range(k) if j not in pivots):
                continue  # depends on a free variable
            fixed[subset[c]] = r[k]
        dependent = [v for v in subset if v not in fixed and v not in free]
        values.update(fixed)
        half = self.half(frozenset(subset))
        ranges: dict[str, tuple[Fraction | None, Fraction | None]] = {}
        # Rounded ratios: a target of the subset takes the value its inputs give.
        pending = list(rat)
        progress = True
        while progress:
            progress = False
            for ident in list(pending):
                inputs = ident.vars - {ident.target}
                unknown_inputs = [v for v in inputs if v in subset and v not in fixed]
                if ident.target in subset and ident.target not in fixed and not unknown_inputs:
                    var = self.vars[ident.target]
                    n, d = _form(ident.num, values), _form(ident.den, values)
                    if d == 0:
                        return None
                    exact = ident.scale * n / d + ident.offset
                    value = _round(exact, var.decimals)
                    fixed[ident.target] = values[ident.target] = value
                    pending.remove(ident)
                    progress = True
        free = [v for v in subset if v not in fixed]
        if len(free) == 1 and not dependent:
            v = free[0]
            interval = self._interval(v, pending, values, half)
            if interval is None:
                return None
            lo, hi = interval
            var = self.vars[v]
            if var.integer:
                lo_i = None if lo is None else math.ceil(lo - Fraction(1, 10**9))
                hi_i = None if hi is None else math.floor(hi + Fraction(1, 10**9))
                if lo_i is not None and hi_i is not None and lo_i > hi_i:
                    return None
                if lo_i is not None and lo_i == hi_i:
                    fixed[v] = values[v] = Fraction(lo_i)
                else:
                    ranges[v] = (lo_i, hi_i)
            elif lo is not None and lo == hi:
                fixed[v] = values[v] = lo
            else:
                ranges[v] = (lo, hi)
        elif free:
            for v in free:
                ranges[v] = (None, None)
        # Every value must change, keep its sign and be whole when it counts something.
        for v, value in fixed.items():
            var = self.vars[v]
            if value == var.value:
                return None
            if var.nonneg and value < 0:
                return None
            if var.integer and value.denominator != 1:
                return None
        if not ranges:
            for ident in touching:
                if not holds(ident, values, half):
                    return None
        else:
            for ident in touching:
                if not (ident.vars & set(ranges)) and not holds(ident, values, half):
                    return None
        return Candidate(subset, {v: fixed[v] for v in subset if v in fixed}, ranges)

    def _interval(self, v, ratios, values, half):
        """Bounds on the one free value ``v`` from the rounded ratios it enters."""
        lo: Fraction | None = Fraction(0) if self.vars[v].nonneg else None
        hi: Fraction | None = None
        for ident in ratios:
            if v not in ident.vars:
                continue
            if ident.target == v:
                return lo, hi  # a target free with free inputs: not bounded here
            t = values[ident.target]
            tol = half(ident.target) + Fraction(1, 10**9)
            # (t − tol − offset)/scale ≤ N/D ≤ (t + tol − offset)/scale, D > 0 assumed
            a = (t - tol - ident.offset) / ident.scale
            b = (t + tol - ident.offset) / ident.scale
            if a > b:
                a, b = b, a
            n_terms, n_const = ident.num
            d_terms, d_const = ident.den
            cn = dict(n_terms).get(v, Fraction(0))
            cd = dict(d_terms).get(v, Fraction(0))
            n0 = _form(ident.num, {**values, v: Fraction(0)})
            d0 = _form(ident.den, {**values, v: Fraction(0)})
            # a·(d0 + cd·x) ≤ n0 + cn·x  and  n0 + cn·x ≤ b·(d0 + cd·x)
            for coef, rhs in ((cn - a * cd, a * d0 - n0), (b * cd - cn, n0 - b * d0)):
                # coef·x ≥ rhs
                if coef == 0:
                    if rhs > 0:
                        return None
                elif coef > 0:
                    bound = rhs / coef
                    lo = bound if lo is None else max(lo, bound)
                else:
                    bound = rhs / coef
                    hi = bound if hi is None else min(hi, bound)
        if lo is not None and hi is not None and lo > hi:
            return None
        return lo, hi

    # -- the search ---------------------------------------------------------------------

    def candidates(self, violated: list[Identity], base=None) -> list[Candidate]:
        """Every smallest set of values (at most :data:`MAX_CHANGES`) whose change makes all
        identities hold; empty when none is that small."""
        base = dict(base or self.values())
        pool = sorted({v for i in violated for v in i.vars})
        sets = [i.vars for i in violated]
        for size in range(1, MAX_CHANGES + 1):
            found = []
            for subset in itertools.combinations(pool, size):
                chosen = set(subset)
                if not all(s & chosen for s in sets):
                    continue
                cand = self.solve(subset, base)
                if cand is not None:
                    found.append(cand)
            if found:
                return found
        return []


def _round(value: Fraction, decimals: int | None) -> Fraction:
    if decimals is None:
        return value
    q = Fraction(10) ** decimals
    scaled = value * q
    # Round half away from zero, as the report's figures are written.
    n = math.floor(abs(scaled) + Fraction(1, 2))
    return Fraction(n if scaled >= 0 else -n) / q


# ---------------------------------------------------------------- clusters and decisions


@dataclass
class Decision:
    """What the data say about one cluster of violated identities."""

    violated: list[Identity]
    candidates: list[Candidate]
    chosen: Candidate | None = None
    status: str = "undecided"  # corrected | probable | undecided
    prior: str | None = None  # why a tie was broken

    @property
    def assumptions(self) -> list[str]:
        seen: list[str] = []
        for ident in self.violated:
            if ident.assumption and ident.assumption not in seen:
                seen.append(ident.assumption)
        return seen


def clusters(system: System, violated: list[Identity]) -> list[list[Identity]]:
    """Violated identities that share a published value belong together, unless that value
    also enters an identity that holds: such a value is pinned by it (changing it would break
    a true identity), so it does not tie two disagreements to one cause. Two independent
    errors on one side of a statement thus stay two small problems, not one large one."""
    broken = {id(i) for i in violated}
    pinned = {v for i in system.identities if id(i) not in broken for v in i.vars}
    groups: list[tuple[set[str], list[Identity]]] = []
    for ident in violated:
        links = ident.vars - pinned
        joined = [g for g in groups if g[0] & links]
        vars_, members = set(links), [ident]
        for g in joined:
            vars_ |= g[0]
            members = g[1] + members
            groups.remove(g)
        groups.append((vars_, members))
    return [g[1] for g in groups]


def _neighbours(system: System, cluster_vars: set[str]) -> set[str]:
    """Values sharing an identity with ``cluster_vars``."""
    return {v for c in cluster_vars for i in system.touching.get(c, ()) for v in i.vars}


COPY_PRIOR = (
    "hypothèse : une valeur identique à celle de la ligne du dessus est une erreur de recopie"
)
DERIVED_PRIOR = (
    "hypothèse : le chiffre que le texte calcule à partir du tableau (total, part, taux) est "
    "celui qui a été mal reporté, plutôt que l'une des lignes du tableau"
)


def _prefer(system: System, found: list[Candidate]) -> tuple[Candidate | None, str | None]:
    """One candidate singled out by a stated prior, else None. Candidates are compared on
    the values they do not share (two candidates may agree on part of the fix)."""
    common = set.intersection(*(set(c.vars) for c in found)) if found else set()

    def own(c: Candidate) -> list[Var]:
        return [system.vars[v] for v in c.vars if v not in common]

    # A text figure against the table it summarises: the table's rows are the detail.
    derived = [
        c
        for c in found
        if c.unique and own(c) and all(v.derived and v.table == "key_figures" for v in own(c))
    ]
    others = [c for c in found if c not in derived]
    if len(derived) == 1 and all(v.table != "key_figures" for c in others for v in own(c)):
        return derived[0], DERIVED_PRIOR

    def copies(c: Candidate) -> bool:
        return (
            c.unique
            and bool(own(c))
            and all(v.above is not None and v.above == v.value for v in own(c))
        )

    copied = [c for c in found if copies(c)]
    if len(copied) == 1:
        return copied[0], COPY_PRIOR
    return None, None


def decide(system: System, base: Mapping[str, Fraction] | None = None) -> list[Decision]:
    """One decision per cluster of violated identities (the values are not changed here)."""
    base = dict(base or system.values())
    h = system.half()
    violated = [i for i in system.identities if not holds(i, base, h)]
    decisions: list[Decision] = []
    pending = clusters(system, violated)
    done: set[int] = set()
    for n, cluster in enumerate(pending):
        if n in done:
            continue
        found = system.candidates(cluster, base)
        if not found:
            # Errors in two clusters may only balance together (two counts that
            # compensate in a shared total): try the clusters sharing an identity.
            near = _neighbours(system, {v for i in cluster for v in i.vars})
            others = [
                m
                for m, other in enumerate(pending)
                if m != n and m not in done and any(near & i.vars for i in other)
            ]
            if others:
                # Solved together, or reported together: one disagreement, one finding.
                cluster = cluster + [i for m in others for i in pending[m]]
                found = system.candidates(cluster, base)
                done.update(others)
        decision = _decision(system, cluster, found)
        if decision.chosen is not None:
            base.update(decision.chosen.values)  # later clusters see this fix
        decisions.append(decision)
    return decisions


def _decision(system: System, cluster: list[Identity], found: list[Candidate]) -> Decision:
    involved = {v for i in cluster for v in i.vars}
    if any(len(c.vars) > 1 and set(c.vars) == involved for c in found):
        # Replacing every figure the disagreement involves: nothing is left to confirm it.
        return Decision(cluster, found)
    decision = Decision(cluster, found)
    if len(found) == 1 and found[0].unique:
        decision.chosen, decision.status = found[0], "corrected"
    elif len(found) > 1:
        chosen, prior = _prefer(system, found)
        if chosen is not None:
            decision.chosen, decision.status, decision.prior = chosen, "probable", prior
    return decision
