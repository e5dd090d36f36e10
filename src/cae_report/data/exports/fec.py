"""The legal accounting export FEC (Fichier des Écritures Comptables, art. A47 A-1 LPF).

Every French accounting package must produce this file for a tax audit, so it is the one
export the cooperative can always obtain, whatever software its accountant uses. Building
the income statement from it removes the hand-typed table (and its copy errors: the 2016
report repeats 2 091 € on the « Entrepreneuriat coopératif » line, which no ledger holds).

The readers are tolerant of what real exports look like (tab or pipe, trailing pipe, cells
quoted by a CSV writer, UTF-8 with or without BOM or a Windows, ISO or DOS code page, CRLF,
decimal comma or point, zero or space padding, the ``Montant``/``Sens`` variant, the
cash-basis variants with extra columns, opening entries « à nouveaux » dated before the
fiscal year) and strict on what changes the figures: an undecodable amount or date, an
unbalanced entry, a chart of accounts that is not the PCG. Every bad input is a
:class:`~cae_report.errors.DataError` naming the file, the line and the column.

Privacy: the entry labels (``EcritureLib``: a customer's name, a bank reference) are never
read into a table; messages name an account by its ``CompteLib``, the chart's own label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from cae_report.data.contract import TABLES
from cae_report.data.rawtext import read_text
from cae_report.data.read import NO_ROWS, sniff_separator, split_records
from cae_report.errors import DataError, Problem
from cae_report.fr import fmt_date, fmt_eur

# The 18 columns of the standard file (Debit/Credit form), in the legal order.
STANDARD_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
# The variant allowed by the BOI: one signed-by-direction amount instead of two columns.
MONTANT_SENS = ("Montant", "Sens")
ENTRY_COLUMNS = [
    "line",
    "journal",
    "entry",
    "date",
    "account",
    "account_label",
    "debit",
    "credit",
    "opening",
]

# Report structure that no account carries: the group order of each side. The labels of the
# subtotal, total, surplus and result rows are the cooperative's wording, in
# data/reference/statement_labels.csv (LABELS_FILE), read by :func:`read_statement_labels`.
CHARGE_GROUPS = ("60", "61", "62", "64")
PRODUCT_GROUPS = ("own_resources", "subsidies", "other_income")
NON_OPERATING = "non_operating"
GROUPS = (*CHARGE_GROUPS, *PRODUCT_GROUPS, NON_OPERATING)
SIDE_GROUPS = {"charges": CHARGE_GROUPS, "products": PRODUCT_GROUPS}
LABEL_KEYS = (
    *CHARGE_GROUPS,
    *PRODUCT_GROUPS,
    "charges_total",
    "products_total",
    "operating_surplus",
    "result",
    "grand_total",
)
LABELS_FILE = "statement_labels.csv"
# The canonical table's columns, as the data contract declares them.
INCOME_STATEMENT_COLUMNS = [c.name for c in TABLES["income_statement"].columns]
MAPPING_COLUMNS = ("prefix", "side", "group", "label", "order", "note")
BUDGET_COLUMNS = ("label", "budget")
MAPPING_FILE = "fec_mapping.csv"
PCG_FILE = "fec_mapping_pcg.csv"
"""The PCG's structure: a default report line for every two-digit account prefix of classes
6 and 7, so that no account of the ledger is left out (``data/reference/README.md``)."""
PCG_PREFIXES = tuple(f"{c}{d}" for c in "67" for d in range(10))

# A file with many bad cells would give thousands of identical messages; the first ones say it.
MAX_PROBLEMS = 50
_DATE = re.compile(r"^(\d{8})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")
_AMOUNT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_GROUPED = re.compile(
    r"^[+-]?\d{1,3}(?:[ \u00a0\u202f.]\d{3})+,\d+$|^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+$"
)
_SENS = {"D": 1, "C": -1, "+1": 1, "-1": -1, "1": 1}
_ACCOUNT = re.compile(r"^\d{3}")

# Opening entries (« à nouveaux »): the balances carried over from the previous fiscal year,
# dated its last day or the first of this one. Journal codes and names the packages use
# (AN, AD « à-nouveaux détaillés », RAN, ANO; OUV « Balance initiale » in Odoo and Tryton).
OPENING_JOURNALS = frozenset({"AN", "AD", "ANO", "RAN", "ANX", "OUV", "OUVERTURE", "NOUV"})
_OPENING_NAME = re.compile(
    r"(?:[àa][ -]?nouveaux?|report\s+[àa]\s+nouveau|ouverture|balance\s+(?:initiale|d'ouverture)"
    r"|soldes?\s+d'ouverture|opening)",
    re.I,
)

# A non-PCG chart (Odoo's generic one books sales on 400000 « Product Sales »): an account
# outside classes 6 and 7 named like income or an expense, and not like a balance-sheet item.
_PL_NAME = re.compile(
    r"\b(?:sales|revenues?|income|expenses?|cost of|cogs|turnover|purchases?|salaries|wages)\b"
    r"|^(?:ventes?|achats?|produits?|charges?|salaires|prestations?|honoraires|loyers?"
    r"|chiffre d'affaires)\b",
    re.I,
)
_BALANCE_NAME = re.compile(
    r"payable|receivable|accrued|prepaid|deferred|unearned|advance|\btax|\bvat\b|\btva\b|taxe"
    r"|[àa] payer|[àa] recevoir|constat|d'avance|avances?|acomptes?|clients?|fournisseurs?"
    r"|provision|amortissement|d[ée]pr[ée]ciation|stock|cr[ée]ances?|dettes?|report|r[ée]serve"
    r"|r[ée]sultat|capital|banque|caisse|emprunt|personnel|sociaux|social|[ée]tat|organisme",
    re.I,
)


# ---------------------------------------------------------------- reading


def read_fec(path: Path, *, max_bytes: int | None = None) -> pd.DataFrame:
    """Read a FEC into one row per accounting line.

    Columns: line (the physical line of the file, header = 1, so errors and users can find
    it), journal (upper case: some tools write ``vt``), entry (EcritureNum), date
    (``datetime.date``), account (CompteNum), account_label (CompteLib), debit and credit
    (float EUR), opening (an « à nouveaux » line). The other columns are checked for presence
    (the legal format requires them) but not kept; extra columns of the cash-basis variants
    are ignored. ``attrs``: ``amount_columns`` and ``encoding``.
    """
    path = Path(path)
    decoded = read_text(path, max_bytes)
    encoding = decoded.encoding
    rows = _physical_lines(decoded.text)
    del decoded
    if not rows or not rows[0][1].strip():
        raise DataError.one(path, "empty file: no FEC header", line=1)
    header_text = rows[0][1]
    sep = _separator(path, header_text)
    header = [_header_name(_unquote(h)) for h in header_text.split(sep)]
    if header and header[-1] == "":
        header.pop()  # trailing separator after the last column
    index = _column_index(path, header)
    mode = "Montant/Sens" if "Montant" in index else "Debit/Credit"

    problems: list[Problem] = []
    columns: dict[str, list] = {name: [] for name in ENTRY_COLUMNS}
    for number, raw in rows[1:]:
        if not raw.strip():
            continue
        cells = raw.split(sep)
        if len(cells) > len(header) and all(not c.strip() for c in cells[len(header) :]):
            cells = cells[: len(header)]  # trailing separator(s)
        if len(cells) != len(header):
            kind = "truncated line" if len(cells) < len(header) else "too many cells"
            column = header[len(cells)] if len(cells) < len(header) else header[-1]
            problems.append(
                Problem(
                    path,
                    f"{kind}: {len(cells)} cells for {len(header)} columns in the header "
                    f"(a separator inside a label, or a line cut short)",
                    number,
                    column,
                )
            )
        else:
            _record(path, number, cells, index, mode, problems, columns)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(path, f"reading stopped after {MAX_PROBLEMS} problems"))
            break
    if problems:
        raise DataError(problems)
    if not columns["line"]:
        raise DataError.one(path, NO_ROWS.replace(", or remove the file", ""), 1)
    frame = pd.DataFrame(columns, columns=ENTRY_COLUMNS)
    frame = frame.astype(
        {
            "line": "int64",
            "journal": "str",
            "entry": "str",
            "account": "str",
            "account_label": "str",
            "debit": "float64",
            "credit": "float64",
            "opening": "bool",
        }
    )
    frame.attrs["amount_columns"] = mode
    frame.attrs["encoding"] = encoding
    return frame


def _physical_lines(text: str) -> list[tuple[int, str]]:
    """Numbered lines, whatever the line endings.

    CRLF and LF are line breaks; a file with CR only (old Mac tools) breaks on CR; in a
    LF file a stray CR (a label pasted from elsewhere) becomes a space so the cells stay.
    """
    text = text.replace("\r\n", "\n")
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [(i, line.rstrip("\r").replace("\r", " ")) for i, line in enumerate(lines, start=1)]


def _separator(path: Path, header: str) -> str:
    """Tab or pipe, the two separators the format allows, chosen from the header."""
    counts = {sep: header.count(sep) for sep in ("\t", "|")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] > 0:
        return sep
    found = [s for s in (";", ",") if s in header]
    hint = f" (the header uses {found[0]!r}, not allowed by the format)" if found else ""
    raise DataError.one(
        path,
        f"unknown separator: the header has neither tabs nor pipes{hint}; "
        "a FEC is tab- or pipe-separated",
        line=1,
        column=re.split(r"[;,]", header, maxsplit=1)[0].strip() or STANDARD_COLUMNS[0],
    )


def _unquote(cell: str) -> str:
    """A cell as a CSV writer quotes it (Odoo quotes a label holding ``"``), unquoted."""
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        return cell[1:-1].replace('""', '"').strip()
    return cell


def _header_name(cell: str) -> str:
    """Column names as the standard spells them: some tools change the case or pad."""
    name = cell.strip().lstrip("\ufeff")
    canonical = {c.lower(): c for c in (*STANDARD_COLUMNS, *MONTANT_SENS)}
    return canonical.get(name.lower(), name)


def _column_index(path: Path, header: list[str]) -> dict[str, int]:
    """Position of each required column; the Debit/Credit pair or the Montant/Sens pair."""
    present = set(header)
    if {"Debit", "Credit"} <= present:
        required = STANDARD_COLUMNS
    elif set(MONTANT_SENS) <= present:
        required = tuple(c for c in STANDARD_COLUMNS if c not in ("Debit", "Credit"))
        required += MONTANT_SENS
    else:
        required = STANDARD_COLUMNS
    missing = [c for c in required if c not in present]
    if missing:
        raise DataError(
            [Problem(path, f"missing required column {c!r} in the header", 1, c) for c in missing]
        )
    return {c: header.index(c) for c in required}


def _record(
    path: Path,
    number: int,
    cells: list[str],
    index: dict[str, int],
    mode: str,
    problems: list[Problem],
    out: dict[str, list],
) -> None:
    """Append one accounting line to ``out``, or record its problems."""

    def cell(column: str) -> str:
        return _unquote(cells[index[column]])

    before = len(problems)
    when = _date(path, number, "EcritureDate", cell("EcritureDate"), problems)
    if mode == "Debit/Credit":
        debit = _amount(path, number, "Debit", cell("Debit"), problems)
        credit = _amount(path, number, "Credit", cell("Credit"), problems)
    else:
        amount = _amount(path, number, "Montant", cell("Montant"), problems)
        sens = _SENS.get(cell("Sens").upper())
        if sens is None:
            problems.append(
                Problem(path, f"bad direction {cell('Sens')!r}: expected D or C", number, "Sens")
            )
        debit = amount if sens == 1 else 0.0
        credit = amount if sens == -1 else 0.0
    account = cell("CompteNum")
    if not account:
        problems.append(Problem(path, "empty account number", number, "CompteNum"))
    elif not _ACCOUNT.match(account):
        problems.append(
            Problem(
                path,
                f"account {account!r} does not start with three digits, as the FEC requires "
                "(the chart of accounts' numbers, art. A47 A-1 LPF)",
                number,
                "CompteNum",
            )
        )
    if not cell("EcritureNum"):
        problems.append(Problem(path, "empty entry number", number, "EcritureNum"))
    if len(problems) > before:
        return
    journal = cell("JournalCode").upper()
    out["line"].append(number)
    out["journal"].append(journal)
    out["entry"].append(cell("EcritureNum"))
    out["date"].append(when)
    out["account"].append(account)
    out["account_label"].append(cell("CompteLib"))
    out["debit"].append(debit)
    out["credit"].append(credit)
    out["opening"].append(
        journal in OPENING_JOURNALS
        or bool(_OPENING_NAME.search(cell("JournalLib")))
        or cell("EcritureNum").upper().startswith("OUVERTURE")
    )


def _date(path: Path, number: int, column: str, value: str, problems: list[Problem]):
    match = _DATE.match(value)
    try:
        if not match:
            raise ValueError
        text = match[1]
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        hint = ""
        if re.fullmatch(r"\d{8}", value):
            try:
                date(int(value[4:]), int(value[2:4]), int(value[:2]))
                hint = " (it reads as JJMMAAAA, the order some older exports use)"
            except ValueError:
                pass
        problems.append(
            Problem(
                path,
                f"bad date {value!r}: expected AAAAMMJJ (e.g. 20160131){hint}",
                number,
                column,
            )
        )
        return None


def _amount(path: Path, number: int, column: str, value: str, problems: list[Problem]) -> float:
    """Decimal comma (or point), zero or space padding, grouped thousands (``1 234,50``) and a
    sign are allowed; empty means 0."""
    if value == "":
        return 0.0
    text = value
    if _GROUPED.match(text):
        text = re.sub(r"[ \u00a0\u202f.](?=\d{3})", "", text)
    try:
        if not _AMOUNT.match(text):
            raise InvalidOperation
        return float(Decimal(text.replace(",", ".")))
    except InvalidOperation:
        problems.append(
            Problem(
                path,
                f"bad amount {value!r}: expected digits with a decimal comma (e.g. 1234,50)",
                number,
                column,
            )
        )
        return 0.0


# ---------------------------------------------------------------- checks


def _cents(values: pd.Series) -> pd.Series:
    """Amounts as integer cents, so that balances are exact to the cent."""
    return (values.astype("float64") * 100).round().astype("int64")


def _eur(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _amount_column(entries: pd.DataFrame) -> str:
    return "Montant" if entries.attrs.get("amount_columns") == "Montant/Sens" else "Debit/Credit"


def zero_entry_numbers(entries: pd.DataFrame) -> bool:
    """Every entry number (opening entries aside) is 0: entries cannot be told apart."""
    numbers = entries.loc[~entries["opening"], "entry"]
    return bool(len(numbers)) and bool(numbers.str.strip("0").eq("").all())


ZERO_ENTRY_NOTE = (
    "tous les numéros d'écriture (EcritureNum) du FEC valent 0 : l'équilibre de chaque "
    "écriture ne peut pas être vérifié, seul celui du fichier entier l'est"
)


def check_fec(entries: pd.DataFrame, path: Path, fiscal_start: date, fiscal_end: date) -> list[str]:
    """Balanced entries, balanced file, dates inside the fiscal year (not always calendar).

    An unbalanced entry means a broken export (a filtered view, a cut file); the report would
    then rest on figures that are not the accounts, so it is an error, not a warning. Opening
    entries may be dated on or before the first day. Returns the notes (in French) the
    report must print: where every entry number is 0, entries cannot be checked one by one.
    """
    path = Path(path)
    problems: list[Problem] = []
    notes: list[str] = []
    column = _amount_column(entries)
    work = entries.assign(d=_cents(entries["debit"]), c=_cents(entries["credit"]))
    if zero_entry_numbers(entries):
        notes.append(ZERO_ENTRY_NOTE)
    else:
        sums = work.groupby(["journal", "entry"], sort=False).agg(
            d=("d", "sum"), c=("c", "sum"), line=("line", "min")
        )
        for (journal, entry), row in sums[sums["d"] != sums["c"]].iterrows():
            problems.append(
                Problem(
                    path,
                    f"entry {entry} (journal {journal}) is unbalanced: debit "
                    f"{_eur(int(row['d']))} − credit {_eur(int(row['c']))} "
                    f"= {_eur(int(row['d'] - row['c']))}",
                    int(row["line"]),
                    column,
                )
            )
            if len(problems) >= MAX_PROBLEMS:
                break
    total = int(work["d"].sum() - work["c"].sum())
    if total:
        last = int(work["line"].max()) if len(work) else None
        problems.append(
            Problem(
                path,
                f"the file is unbalanced: total debit {_eur(int(work['d'].sum()))} − total "
                f"credit {_eur(int(work['c'].sum()))} = {_eur(total)}",
                last,
                column,
            )
        )
    problems += _outside(work, path, fiscal_start, fiscal_end)
    if problems:
        raise DataError(problems)
    return notes


def _outside(work: pd.DataFrame, path: Path, start: date, end: date) -> list[Problem]:
    """One problem for all the lines dated outside the fiscal year (opening lines may be
    dated before it): their count, the range of dates the file holds, the first lines."""
    dates = work["date"]
    early = (dates < start) & ~work["opening"]
    outside = work[early | (dates > end)]
    if outside.empty:
        return []
    first = ", ".join(f"{int(r.line)} ({r.date.isoformat()})" for r in outside.head(5).itertuples())
    low, high = dates.min(), dates.max()
    hint = ""
    month_start = low.replace(day=1)
    if (low.month, low.day) != (start.month, start.day) and (high - month_start).days < 366:
        hint = f"; a fiscal year starting on {month_start:%m-%d}?"
    return [
        Problem(
            path,
            f"{len(outside)} line(s) dated outside the fiscal year {start.isoformat()}.."
            f"{end.isoformat()} (dates in the file: {low.isoformat()}..{high.isoformat()}); "
            f"first lines: {first}{hint} Declare the fiscal year in data/cooperative.yml "
            "(fiscal_year), or export the FEC of this fiscal year",
            int(outside["line"].iloc[0]),
            "EcritureDate",
        )
    ]


_LEGAL_NAME = re.compile(r"^(\d{9})FEC(\d{8})\.(?:txt|csv)$", re.I)


def check_file_name(path: Path, fiscal_end: date, siren: str | None = None) -> None:
    """The legal name ``<SIREN>FEC<AAAAMMJJ>.txt`` states the closing date and the company:
    both must be those of the year folder (a FEC of another year or company is the commonest
    mix-up). Any other ``fec*.txt`` name states nothing to check."""
    match = _LEGAL_NAME.match(Path(path).name)
    if match is None:
        return
    problems = []
    try:
        closing = date(int(match[2][:4]), int(match[2][4:6]), int(match[2][6:]))
    except ValueError:
        closing = None
    if closing != fiscal_end:
        stated = closing.isoformat() if closing else match[2]
        problems.append(
            Problem(
                path,
                f"the file name states a fiscal year closing on {stated}; the fiscal year of "
                f"this folder closes on {fiscal_end.isoformat()} (data/cooperative.yml, "
                "fiscal_year): a FEC of another year?",
            )
        )
    if siren and match[1] != siren:
        problems.append(
            Problem(
                path,
                f"the file name states SIREN {match[1]}; the cooperative's is {siren} "
                "(siret in data/cooperative.yml): a FEC of another company?",
            )
        )
    if problems:
        raise DataError(problems)


def check_chart(entries: pd.DataFrame, path: Path) -> None:
    """The FEC must follow the PCG, where income and expenses are on classes 7 and 6.

    A non-PCG chart (Odoo's generic chart books sales on 400000 « Product Sales ») would give
    an empty or wrong statement with no warning: an account outside classes 6 and 7 named
    like income or an expense, or a ledger with no class 6 or 7 at all, is an error.
    """
    path = Path(path)
    work = entries[~entries["opening"]]
    work = work.assign(net=_cents(work["debit"]) - _cents(work["credit"]))
    problems = []
    accounts = work.groupby("account", sort=True).agg(
        net=("net", "sum"), line=("line", "min"), name=("account_label", "first")
    )
    for account, row in accounts.iterrows():
        if account[0] in "67" or row["net"] == 0:
            continue
        name = str(row["name"])
        if _PL_NAME.search(name) and not _BALANCE_NAME.search(name):
            side = "income (credit − debit" if row["net"] < 0 else "expenses (debit − credit"
            problems.append(
                Problem(
                    path,
                    f"account {account} « {name} » is of class {account[0]} but carries "
                    f"{side} {_eur(abs(int(row['net'])))} €): this FEC does not follow the "
                    "French chart of accounts (PCG), where income is on class 7 and expenses "
                    "on class 6, so no income statement can be built from it; export it with "
                    "the PCG chart (in Odoo, the French localisation)",
                    int(row["line"]),
                    "CompteNum",
                )
            )
        if len(problems) >= 5:
            break
    if not problems and len(work) and not work["account"].str[0].isin(["6", "7"]).any():
        problems.append(
            Problem(
                path,
                "no account of class 6 or 7 in the FEC: it does not follow the French chart "
                "of accounts (PCG), where income is on class 7 and expenses on class 6, so no "
                "income statement can be built from it",
                int(work["line"].min()),
                "CompteNum",
            )
        )
    if problems:
        raise DataError(problems)


# ---------------------------------------------------------------- reference files


@dataclass(frozen=True)
class _Line:
    side: str
    group: str
    label: str
    order: int
    default: bool = False


def _read_csv(path: Path, columns: tuple[str, ...]) -> tuple[str, list[tuple[int, dict]]]:
    """Separator and rows (line, cells by name) of a small reference or budget CSV."""
    text = read_text(path).text
    if not text.strip():
        raise DataError.one(path, "file is empty", 1)
    sep = sniff_separator(path, text.split("\n", 1)[0].rstrip("\r"), list(columns))
    header, rows, problems = split_records(path, text, sep)
    problems += [Problem(path, f"missing column {c!r}", 1, c) for c in columns if c not in header]
    if problems:
        raise DataError(problems)
    if not rows:
        raise DataError.one(path, NO_ROWS, 1)
    position = {c: header.index(c) for c in columns}
    return sep, [(line, {c: cells[i].strip() for c, i in position.items()}) for line, cells in rows]


def read_mapping(path: Path) -> pd.DataFrame:
    """Read and check a mapping file (account prefix → report line).

    Checked here rather than at use, so a wrong mapping row is reported with its own line:
    a prefix of class 6/7 only, a known side and group, one side/group/order per label.
    """
    path = Path(path)
    _, rows = _read_csv(path, MAPPING_COLUMNS)
    problems = []
    seen: dict[str, tuple[str, str, str]] = {}
    first: dict[str, int] = {}
    for i, row in rows:
        if not re.fullmatch(r"[67]\d*", row["prefix"]):
            problems.append(Problem(path, "prefix must be digits of class 6 or 7", i, "prefix"))
        if row["side"] not in ("charges", "products"):
            problems.append(Problem(path, f"unknown side {row['side']!r}", i, "side"))
        if row["group"] not in GROUPS:
            problems.append(Problem(path, f"unknown group {row['group']!r}", i, "group"))
        elif row["group"] not in (*SIDE_GROUPS.get(row["side"], ()), NON_OPERATING):
            problems.append(
                Problem(path, f"group {row['group']!r} is not a group of {row['side']}", i, "group")
            )
        if not row["order"].isdigit():
            problems.append(Problem(path, f"order {row['order']!r} is not an integer", i, "order"))
        if not row["label"]:
            problems.append(Problem(path, "empty label", i, "label"))
        key = (row["side"], row["group"], row["order"])
        if seen.setdefault(row["label"], key) != key:
            problems.append(
                Problem(
                    path, f"label {row['label']!r} has another side/group/order above", i, "label"
                )
            )
        if row["prefix"] in first:
            problems.append(Problem(path, f"prefix {row['prefix']} twice", i, "prefix"))
        first.setdefault(row["prefix"], i)
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame([row for _, row in rows], columns=list(MAPPING_COLUMNS))
    return frame.assign(order=frame["order"].astype(int))


def read_statement_labels(path: Path) -> dict[str, str]:
    """``statement_labels.csv`` (key, label, note): the labels of the rows no account carries
    (subtotals, totals, surplus, result), in the cooperative's own words; every key of
    :data:`LABEL_KEYS` once, a label not empty."""
    path = Path(path)
    _, rows = _read_csv(path, ("key", "label", "note"))
    problems, labels = [], {}
    for i, row in rows:
        key, label = row["key"].strip(), row["label"].strip()
        if key not in LABEL_KEYS:
            problems.append(
                Problem(path, f"unknown key {key!r} (expected one of {LABEL_KEYS})", i, "key")
            )
        elif key in labels:
            problems.append(Problem(path, f"key {key!r} twice", i, "key"))
        elif not label:
            problems.append(Problem(path, "empty label", i, "label"))
        else:
            labels[key] = label
    named = {row["key"].strip() for _, row in rows}
    problems += [Problem(path, f"no row for key {k!r}") for k in LABEL_KEYS if k not in named]
    if problems:
        raise DataError(problems)
    return labels


def load_mapping(path: Path) -> pd.DataFrame:
    """The cooperative's mapping (``fec_mapping.csv``) completed by the PCG's defaults
    (``fec_mapping_pcg.csv`` beside it): a ``default`` column tells the two apart.

    The cooperative's lines refine by longest prefix; a PCG default only serves the accounts
    no line of the cooperative's file takes. Together they cover every two-digit prefix of
    classes 6 and 7, so every account of those classes lands on a report line.
    """
    path = Path(path)
    own = read_mapping(path).assign(default=False)
    pcg_path = path.with_name(PCG_FILE)
    if not pcg_path.is_file():
        return own
    pcg = read_mapping(pcg_path).assign(default=True)
    problems = []
    lines = {r.label: (r.side, r.group, r.order) for r in own.itertuples()}
    for i, row in enumerate(pcg.itertuples(), start=2):
        if row.label in lines and lines[row.label] != (row.side, row.group, row.order):
            problems.append(
                Problem(pcg_path, f"label {row.label!r} is a line of {path.name} too", i, "label")
            )
    missing = [p for p in PCG_PREFIXES if p not in set(own["prefix"]) | set(pcg["prefix"])]
    problems += [
        Problem(
            pcg_path, f"no line for the PCG accounts {p}x: every class 6 and 7 prefix needs one"
        )
        for p in missing
    ]
    if problems:
        raise DataError(problems)
    pcg = pcg[~pcg["prefix"].isin(own["prefix"])]
    return pd.concat([own, pcg], ignore_index=True)


def read_budget(path: Path, known_labels: set[str] | None = None) -> pd.DataFrame:
    """Read ``budget.csv`` (label, budget): the budget is in no accounting export.

    An empty budget cell means "not budgeted" (kept missing, like the published table); a
    line the file does not list is not budgeted either. A label that is not a report line
    is an error, since it would be silently lost.
    """
    path = Path(path)
    sep, rows = _read_csv(path, BUDGET_COLUMNS)
    problems = []
    labels, values = [], []
    seen: dict[str, int] = {}
    for i, row in rows:
        text = row["budget"].replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if sep == ";" or re.fullmatch(r"[+-]?\d+,\d+", text):
            text = text.replace(",", ".")
        try:
            values.append(float(text) if text else float("nan"))
        except ValueError:
            problems.append(Problem(path, f"bad amount {row['budget']!r}", i, "budget"))
            values.append(float("nan"))
        if known_labels is not None and row["label"] not in known_labels:
            problems.append(
                Problem(path, f"label {row['label']!r} is no line of the FEC mapping", i, "label")
            )
        if row["label"] in seen:
            problems.append(Problem(path, f"label {row['label']!r} twice", i, "label"))
        seen.setdefault(row["label"], i)
        labels.append(row["label"])
    if problems:
        raise DataError(problems)
    return pd.DataFrame({"label": labels, "budget": pd.Series(values, dtype="float64")})


# ---------------------------------------------------------------- income statement


def _longest_prefix(account: str, prefixes: list[str]) -> str | None:
    """The longest mapping prefix the account starts with (prefixes sorted longest first)."""
    for prefix in prefixes:
        if account.startswith(prefix):
            return prefix
    return None


def income_statement_from_fec(
    entries: pd.DataFrame,
    mapping: pd.DataFrame | Path,
    budget: pd.DataFrame | Path,
    year: int,
    path: Path,
    labels: dict[str, str] | Path | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The canonical ``income_statement`` table of a year, from its FEC.

    ``labels``: the structure rows' labels (:func:`read_statement_labels`); by default the
    ``statement_labels.csv`` beside the mapping file (or in the project's reference folder
    when the mapping is a DataFrame).

    Each class 6/7 account goes to the report line of its longest mapping prefix (the
    cooperative's lines first, the PCG's defaults for the rest); the amount follows the
    line's side (charges: debit − credit; products: credit − debit), so a class 6 account may
    feed a products line (CICE booked at 649, shown as income). Opening entries are left out.
    Returns the table and the notes (in French) the report prints next to it: which accounts
    a PCG default line groups.

    Every line of the cooperative's mapping is a row, in mapping order; a PCG default line
    only when something is booked or budgeted on it. A line nothing was booked on is 0 € when
    it was budgeted and blank otherwise, as the published table prints it (« Charges
    financières »). Subtotals and totals carry the sum of the line budgets; the surplus,
    result and grand totals have no budget, as published.

    The result (all products − all charges of the table) must equal class 7 − class 6 of the
    FEC to the cent, or a DataError is raised (a mapping given as a DataFrame, not checked
    like the files, could lose a line). A loss stays on the charges side as a negative
    « Résultat ».
    """
    path = Path(path)
    if labels is None:
        from cae_report import config

        folder = (
            config.reference_dir() if isinstance(mapping, pd.DataFrame) else Path(mapping).parent
        )
        labels = folder / LABELS_FILE
    if not isinstance(labels, dict):
        labels = read_statement_labels(labels)
    if not isinstance(mapping, pd.DataFrame):
        mapping = load_mapping(mapping)
    if "default" not in mapping:
        mapping = mapping.assign(default=False)
    all_lines = _report_lines(mapping)
    if not isinstance(budget, pd.DataFrame):
        budget = read_budget(budget, {line.label for line in all_lines})
    budgets = dict(zip(budget["label"], budget["budget"], strict=True))

    work = entries[entries["account"].str.match(r"^[67]") & ~entries["opening"]].copy()
    prefixes = sorted(mapping["prefix"], key=len, reverse=True)
    label_of = dict(zip(mapping["prefix"], mapping["label"], strict=True))
    work["prefix"] = work["account"].map(lambda a: _longest_prefix(a, prefixes))
    work["net"] = _cents(work["debit"]) - _cents(work["credit"])  # debit − credit, cents
    unmapped = work[work["prefix"].isna()]
    if not unmapped.empty:
        first = unmapped.iloc[0]
        raise DataError.one(
            path,
            f"account {first['account']} « {first['account_label']} » matches no line of "
            "data/reference/fec_mapping*.csv; add its prefix",
            int(first["line"]),
            "CompteNum",
        )
    work["line_label"] = work["prefix"].map(label_of)
    booked = work.groupby("line_label")["net"].sum().to_dict()
    budgeted = {k for k, v in budgets.items() if not pd.isna(v)}
    lines = [
        line
        for line in all_lines
        if not line.default or line.label in booked or line.label in budgeted
    ]

    rows: list[dict] = []
    sums: dict = {
        side: {"all": 0, "operating": 0, "budget": None} for side in ("charges", "products")
    }

    def add(side, group, row_type, label, actual, budget_value):
        rows.append(
            {
                "side": side,
                "group": group,
                "row_type": row_type,
                "label": label,
                "actual": actual,
                "budget": budget_value,
            }
        )

    for side, groups in (("charges", CHARGE_GROUPS), ("products", PRODUCT_GROUPS)):
        sign = 1 if side == "charges" else -1
        for group in groups:
            members = [line for line in lines if line.side == side and line.group == group]
            if not members:
                continue
            cents = 0
            budget_sum = []
            for line in members:
                value, bud = _line_values(line, booked, budgets, sign)
                add(side, group, "line", line.label, value, bud)
                cents += 0 if pd.isna(value) else round(value * 100)
                budget_sum.append(bud)
            add(side, group, "subtotal", labels[group], cents / 100, _sum(budget_sum))
            sums[side]["operating"] += cents
            sums[side]["budget"] = _sum([sums[side]["budget"], _sum(budget_sum)])
        add(
            side,
            None,
            "total",
            labels[f"{side}_total"],
            sums[side]["operating"] / 100,
            sums[side]["budget"],
        )
        if side == "products":
            surplus = sums["products"]["operating"] - sums["charges"]["operating"]
            add(side, None, "operating_surplus", labels["operating_surplus"], surplus / 100, None)
        other = 0
        for line in lines:
            if line.side == side and line.group == NON_OPERATING:
                value, bud = _line_values(line, booked, budgets, sign)
                add(side, NON_OPERATING, "line", line.label, value, bud)
                other += 0 if pd.isna(value) else round(value * 100)
        sums[side]["all"] = sums[side]["operating"] + other
        if side == "charges":
            # Placeholder: the result needs the products side; filled below.
            add(side, None, "result", labels["result"], None, None)
            add(side, None, "grand_total", labels["grand_total"], None, None)
        else:
            add(side, None, "grand_total", labels["grand_total"], sums[side]["all"] / 100, None)

    result = sums["products"]["all"] - sums["charges"]["all"]
    ledger = -int(work["net"].sum())  # class 7 − class 6, opening entries aside
    if result != ledger:
        raise DataError.one(
            path,
            f"the income statement result {_eur(result)} differs from class 7 − class 6 of "
            f"the FEC {_eur(ledger)}: an account is counted twice or on the wrong side; "
            "check data/reference/fec_mapping*.csv",
            column=_amount_column(entries),
        )
    for row in rows:
        if row["row_type"] == "result":
            row["actual"] = result / 100
        elif row["row_type"] == "grand_total" and row["side"] == "charges":
            row["actual"] = (sums["charges"]["all"] + result) / 100

    out = pd.DataFrame(rows)
    out.insert(0, "year", year)
    out.insert(1, "order", range(1, len(out) + 1))
    out["published_variance_pct"] = None
    out["note"] = None
    out = out[INCOME_STATEMENT_COLUMNS].astype(
        {
            "year": "Int64",
            "order": "Int64",
            "actual": "Float64",
            "budget": "Float64",
            "published_variance_pct": "Float64",
        }
    )
    # Text columns as object with None for missing, like the clean tables of the pipeline.
    for column in ("side", "group", "row_type", "label", "note"):
        values = out[column].astype(object)
        out[column] = values.where(values.notna(), None).astype(object)
    defaults = {line.label for line in lines if line.default}
    return out, _default_notes(work[work["line_label"].isin(defaults)], mapping)


def ledger_result(entries: pd.DataFrame) -> float:
    """Class 7 − class 6 of the FEC (opening entries aside), in euros: what the statement's
    result must equal."""
    work = entries[entries["account"].str.match(r"^[67]") & ~entries["opening"]]
    return -int((_cents(work["debit"]) - _cents(work["credit"])).sum()) / 100


def _default_notes(rows: pd.DataFrame, mapping: pd.DataFrame) -> list[str]:
    """Which accounts a PCG default line groups, with their chart labels and amounts."""
    notes = []
    sides = dict(zip(mapping["label"], mapping["side"], strict=False))
    for label, part in rows.groupby("line_label", sort=False):
        sign = 1 if sides[label] == "charges" else -1
        accounts = part.groupby("account", sort=True).agg(
            net=("net", "sum"), name=("account_label", "first")
        )
        listed = ", ".join(
            f"{account} « {row['name']} » ({fmt_eur(sign * row['net'] / 100, 2)})"
            for account, row in accounts.iterrows()
        )
        notes.append(
            f"la ligne « {label} » regroupe des comptes sans ligne propre dans "
            f"data/reference/fec_mapping.csv, par classe du plan comptable : {listed}"
        )
    return notes


def _report_lines(mapping: pd.DataFrame) -> list[_Line]:
    lines = {
        row.label: _Line(row.side, row.group, row.label, int(row.order), bool(row.default))
        for row in mapping.itertuples(index=False)
    }
    return sorted(lines.values(), key=lambda line: line.order)


def _line_values(line: _Line, booked: dict, budgets: dict, sign: int):
    """Actual (side-signed) and budget of one report line."""
    bud = budgets.get(line.label)
    bud = None if bud is None or pd.isna(bud) else float(bud)
    if line.label in booked:
        return sign * int(booked[line.label]) / 100, bud
    return (0.0 if bud is not None else None), bud


def _sum(values: list) -> float | None:
    """Sum of the known values; None when none is known (no budget at all)."""
    known = [v for v in values if v is not None and not pd.isna(v)]
    return float(sum(known)) if known else None


def period_note(start: date, end: date, file: str) -> str:
    """The sentence that says where the statement comes from and which period it covers."""
    return (
        f"compte de résultat établi à partir du FEC ({file}), exercice du {fmt_date(start)} "
        f"au {fmt_date(end)}"
    )
