"""The legal accounting export FEC (Fichier des Écritures Comptables, art. A47 A-1 LPF).

Every French accounting package must produce this file for a tax audit, so it is the one
export the cooperative can always obtain, whatever software its accountant uses. Building
the income statement from it removes the hand-typed table (and its copy errors: the 2016
report repeats 2 091 € on the « Entrepreneuriat coopératif » line, which no ledger holds).

The readers are tolerant of what real exports look like (tab or pipe, trailing pipe,
UTF-8 with or without BOM or a Latin code page, CRLF, decimal comma, zero padding, the
``Montant``/``Sens`` variant, the cash-basis variants with extra columns) and strict on what
changes the figures: an undecodable amount or date, an unbalanced entry, an account that maps
to no report line. Every bad input is a :class:`~cae_report.errors.DataError` naming the file,
the line and the column.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from cae_report.data.contract import TABLES
from cae_report.errors import DataError, Problem

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
ENTRY_COLUMNS = ["line", "journal", "entry", "date", "account", "label", "debit", "credit"]

# Report structure that no account carries: subtotal labels as published in 2016 (they are
# not uniform, « Sous total/ Autres recettes »), and the group order of each side.
CHARGE_GROUPS = ("60", "61", "62", "64")
PRODUCT_GROUPS = ("own_resources", "subsidies", "other_income")
NON_OPERATING = "non_operating"
GROUPS = (*CHARGE_GROUPS, *PRODUCT_GROUPS, NON_OPERATING)
SIDE_GROUPS = {"charges": CHARGE_GROUPS, "products": PRODUCT_GROUPS}
SUBTOTAL_LABELS = {
    "60": "Sous total Achats",
    "61": "Sous total Services extérieurs",
    "62": "Sous total Autres services extérieurs",
    "64": "Sous total Charges de personnel",
    "own_resources": "Sous total Ressources propres",
    "subsidies": "Sous total Subventions demandées",
    "other_income": "Sous total/ Autres recettes",
}
TOTAL_LABELS = {"charges": "Coût total des charges", "products": "Coût total des produits"}
OPERATING_SURPLUS_LABEL = "Excédent Brut d'exploitation"
RESULT_LABEL = "Résultat"
GRAND_TOTAL_LABEL = "Total Général"
# The canonical table's columns, as the data contract declares them.
INCOME_STATEMENT_COLUMNS = [c.name for c in TABLES["income_statement"].columns]
MAPPING_COLUMNS = ("prefix", "side", "group", "label", "order", "note")
BUDGET_COLUMNS = ("label", "budget")

# A file with many bad cells would give thousands of identical messages; the first ones say it.
MAX_PROBLEMS = 50
_DATE = re.compile(r"^\d{8}$")
_AMOUNT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_SENS = {"D": 1, "C": -1, "+1": 1, "-1": -1, "1": 1}
_CP1252_ONLY = bytes(range(0x80, 0xA0))
_ENCODING_HINT = "save it as UTF-8 (or ISO-8859-15/cp1252), as the FEC format requires"


# ---------------------------------------------------------------- reading


def read_fec(path: Path) -> pd.DataFrame:
    """Read a FEC into one row per accounting line.

    Columns: line (the physical line of the file, header = 1, so errors and users can find
    it), journal (upper case: some tools write ``vt``), entry (EcritureNum), date
    (``datetime.date``), account, label (EcritureLib), debit and credit (float EUR).
    Columns the income statement does not need are checked for presence (the legal format
    requires them) but not kept; extra columns of the cash-basis variants are ignored.
    """
    path = Path(path)
    text = _decode(path)
    rows = _physical_lines(text)
    if not rows or not rows[0][1].strip():
        raise DataError.one(path, "empty file: no FEC header", line=1)
    header_line, header_text = rows[0]
    sep = _separator(path, header_text)
    header = [_header_name(h) for h in header_text.split(sep)]
    if header and header[-1] == "":
        header.pop()  # trailing separator after the last column
    index = _column_index(path, header)
    mode = "Montant/Sens" if "Montant" in index else "Debit/Credit"

    problems: list[Problem] = []
    records = []
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
            continue
        record = _record(path, number, cells, index, mode, problems)
        if record is not None:
            records.append(record)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise DataError(problems[:MAX_PROBLEMS])
    frame = pd.DataFrame(records, columns=ENTRY_COLUMNS)
    frame = frame.astype(
        {
            "line": "int64",
            "journal": "str",
            "entry": "str",
            "account": "str",
            "label": "str",
            "debit": "float64",
            "credit": "float64",
        }
    )
    frame.attrs["amount_columns"] = mode
    return frame


def _decode(path: Path) -> str:
    """Bytes to text: UTF-8 (BOM or not), else cp1252 or ISO-8859-15.

    The FEC allows ISO-8859-15 and many Windows tools write cp1252; they differ on bytes
    0x80-0x9F (printable in cp1252 only), which decides between them. UTF-16/32 (NUL bytes)
    is refused with the line where it shows, rather than read as garbage.
    """
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        nul = data.find(b"\x00")
        line = data[: max(nul, 0)].count(b"\n") + 1
        raise DataError.one(
            path,
            f"wrong encoding: the file looks like UTF-16/UTF-32 (NUL bytes); {_ENCODING_HINT}",
            line=line,
            column=_column_at(data, max(nul, 0)),
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if any(b in _CP1252_ONLY for b in data):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise DataError.one(
                path,
                f"wrong encoding: byte 0x{data[err.start]:02X} is neither UTF-8, cp1252 "
                f"nor printable ISO-8859-15; {_ENCODING_HINT}",
                line=line,
                column=_column_at(data, err.start),
            ) from None
    return data.decode("iso-8859-15")


def _column_at(data: bytes, offset: int) -> str:
    """Name of the column holding byte ``offset``, from an ASCII-readable header if any."""
    header = data.split(b"\n", 1)[0].decode("ascii", "replace").strip("\r")
    start = data.rfind(b"\n", 0, offset) + 1
    before = data[start:offset]
    sep = b"|" if header.count("|") > header.count("\t") else b"\t"
    position = before.count(sep)
    names = header.split(sep.decode())
    if "\x00" not in header and "\ufffd" not in header and position < len(names):
        return names[position].strip()
    return STANDARD_COLUMNS[0] if position == 0 else f"cell {position + 1}"


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
) -> dict | None:
    """One accounting line, or None after recording its problems."""

    def cell(column: str) -> str:
        return cells[index[column]].strip()

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
    if not cell("EcritureNum"):
        problems.append(Problem(path, "empty entry number", number, "EcritureNum"))
    if len(problems) > before:
        return None
    return {
        "line": number,
        "journal": cell("JournalCode").upper(),
        "entry": cell("EcritureNum"),
        "date": when,
        "account": account,
        "label": cell("EcritureLib"),
        "debit": debit,
        "credit": credit,
    }


def _date(path: Path, number: int, column: str, value: str, problems: list[Problem]):
    try:
        if not _DATE.match(value):
            raise ValueError
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        problems.append(
            Problem(path, f"bad date {value!r}: expected AAAAMMJJ (e.g. 20160131)", number, column)
        )
        return None


def _amount(path: Path, number: int, column: str, value: str, problems: list[Problem]) -> float:
    """Decimal comma (or point), zero padding and a sign are allowed; empty means 0."""
    if value == "":
        return 0.0
    try:
        if not _AMOUNT.match(value):
            raise InvalidOperation
        return float(Decimal(value.replace(",", ".")))
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


def check_fec(entries: pd.DataFrame, path: Path, fiscal_start: date, fiscal_end: date) -> None:
    """Balanced entries, balanced file, dates inside the fiscal year (not always calendar).

    An unbalanced entry means a broken export (a filtered view, a cut file); the report would
    then rest on figures that are not the accounts, so it is an error, not a warning.
    """
    path = Path(path)
    problems: list[Problem] = []
    column = _amount_column(entries)
    work = entries.assign(d=_cents(entries["debit"]), c=_cents(entries["credit"]))
    for (journal, entry), rows in work.groupby(["journal", "entry"], sort=False):
        diff = int(rows["d"].sum() - rows["c"].sum())
        if diff:
            problems.append(
                Problem(
                    path,
                    f"entry {entry} (journal {journal}) is unbalanced: debit "
                    f"{_eur(int(rows['d'].sum()))} − credit {_eur(int(rows['c'].sum()))} "
                    f"= {_eur(diff)}",
                    int(rows["line"].min()),
                    column,
                )
            )
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
    outside = work[(work["date"] < fiscal_start) | (work["date"] > fiscal_end)]
    for row in outside.head(MAX_PROBLEMS).itertuples():
        problems.append(
            Problem(
                path,
                f"date {row.date.isoformat()} of entry {row.entry} is outside the fiscal year "
                f"{fiscal_start.isoformat()}..{fiscal_end.isoformat()}",
                int(row.line),
                "EcritureDate",
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


def _read_csv(path: Path, columns: tuple[str, ...], name: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, csv.Error) as err:
        raise DataError.one(path, f"cannot read the {name}: {err}", line=1) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError([Problem(path, f"missing column {c!r}", 1, c) for c in missing])
    return frame


def read_mapping(path: Path) -> pd.DataFrame:
    """Read and check ``fec_mapping.csv`` (account prefix → report line).

    Checked here rather than at use, so a wrong mapping row is reported with its own line:
    a prefix of class 6/7 only, a known side and group, one side/group/order per label.
    """
    path = Path(path)
    frame = _read_csv(path, MAPPING_COLUMNS, "FEC mapping")
    problems = []
    seen: dict[str, tuple[str, str, str]] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        if not re.fullmatch(r"[67]\d*", row.prefix):
            problems.append(Problem(path, "prefix must be digits of class 6 or 7", i, "prefix"))
        if row.side not in ("charges", "products"):
            problems.append(Problem(path, f"unknown side {row.side!r}", i, "side"))
        if row.group not in GROUPS:
            problems.append(Problem(path, f"unknown group {row.group!r}", i, "group"))
        elif row.group not in (*SIDE_GROUPS.get(row.side, ()), NON_OPERATING):
            problems.append(
                Problem(path, f"group {row.group!r} is not a group of {row.side}", i, "group")
            )
        if not row.order.isdigit():
            problems.append(Problem(path, f"order {row.order!r} is not an integer", i, "order"))
        if not row.label.strip():
            problems.append(Problem(path, "empty label", i, "label"))
        key = (row.side, row.group, row.order)
        if seen.setdefault(row.label, key) != key:
            problems.append(
                Problem(path, f"label {row.label!r} has another side/group/order above", i, "label")
            )
    duplicated = frame["prefix"].duplicated(keep="first")
    for i in frame.index[duplicated]:
        problems.append(Problem(path, f"prefix {frame.at[i, 'prefix']} twice", i + 2, "prefix"))
    if problems:
        raise DataError(problems)
    return frame.assign(order=frame["order"].astype(int))


def read_budget(path: Path, known_labels: set[str] | None = None) -> pd.DataFrame:
    """Read ``budget.csv`` (label, budget): the budget is in no accounting export.

    An empty budget cell means "not budgeted" (kept missing, like the published table);
    a label that is not a report line is an error, since it would be silently lost.
    """
    path = Path(path)
    frame = _read_csv(path, BUDGET_COLUMNS, "budget")
    problems = []
    values = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        text = row.budget.strip().replace(",", ".")
        try:
            values.append(float(text) if text else float("nan"))
        except ValueError:
            problems.append(Problem(path, f"bad amount {row.budget!r}", i, "budget"))
            values.append(float("nan"))
        if known_labels is not None and row.label not in known_labels:
            problems.append(
                Problem(path, f"label {row.label!r} is no line of the FEC mapping", i, "label")
            )
    dup = frame["label"].duplicated()
    for i in frame.index[dup]:
        problems.append(Problem(path, f"label {frame.at[i, 'label']!r} twice", i + 2, "label"))
    if problems:
        raise DataError(problems)
    return pd.DataFrame({"label": frame["label"], "budget": pd.Series(values, dtype="float64")})


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
) -> tuple[pd.DataFrame, list[str]]:
    """The canonical ``income_statement`` table of a year, from its FEC.

    Each class 6/7 account goes to the report line of its longest mapping prefix; the
    amount follows the line's side (charges: debit − credit; products: credit − debit), so
    a class 6 account may feed a products line (CICE booked at 649, shown as income).
    Returns the table and one message per class 6/7 account no prefix maps (with its amount
    and first line): it is left out of the table, and the caller must report it.

    Every mapping line is a row, in mapping order. A line nothing was booked on is 0 € when it
    was budgeted and blank otherwise, as the published table prints it (« Charges
    financières »). Subtotals and totals carry the sum of the line budgets; the surplus,
    result and grand totals have no budget, as published.

    The result (all products − all charges of the table) must equal class 7 − class 6 of the
    FEC less the unmapped accounts, to the cent, or a DataError is raised: a line lost by a
    mapping given as a DataFrame (not checked like the file) would otherwise go unnoticed.
    A loss stays on the charges side as a negative « Résultat ».
    """
    path = Path(path)
    if not isinstance(mapping, pd.DataFrame):
        mapping = read_mapping(mapping)
    lines = _report_lines(mapping)
    if not isinstance(budget, pd.DataFrame):
        budget = read_budget(budget, {line.label for line in lines})
    budgets = dict(zip(budget["label"], budget["budget"], strict=True))

    work = entries[entries["account"].str.match(r"^[67]")].copy()
    prefixes = sorted(mapping["prefix"], key=len, reverse=True)
    label_of = dict(zip(mapping["prefix"], mapping["label"], strict=True))
    work["prefix"] = work["account"].map(lambda a: _longest_prefix(a, prefixes))
    work["net"] = _cents(work["debit"]) - _cents(work["credit"])  # debit − credit, cents

    unmapped_msgs, unmapped_effect = _unmapped(work[work["prefix"].isna()], path)
    mapped = work[work["prefix"].notna()].copy()
    mapped["line_label"] = mapped["prefix"].map(label_of)
    booked = mapped.groupby("line_label")["net"].sum().to_dict()

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
            add(side, group, "subtotal", SUBTOTAL_LABELS[group], cents / 100, _sum(budget_sum))
            sums[side]["operating"] += cents
            sums[side]["budget"] = _sum([sums[side]["budget"], _sum(budget_sum)])
        add(
            side,
            None,
            "total",
            TOTAL_LABELS[side],
            sums[side]["operating"] / 100,
            sums[side]["budget"],
        )
        if side == "products":
            surplus = sums["products"]["operating"] - sums["charges"]["operating"]
            add(side, None, "operating_surplus", OPERATING_SURPLUS_LABEL, surplus / 100, None)
        other = 0
        for line in lines:
            if line.side == side and line.group == NON_OPERATING:
                value, bud = _line_values(line, booked, budgets, sign)
                add(side, NON_OPERATING, "line", line.label, value, bud)
                other += 0 if pd.isna(value) else round(value * 100)
        sums[side]["all"] = sums[side]["operating"] + other
        if side == "charges":
            # Placeholder: the result needs the products side; filled below.
            add(side, None, "result", RESULT_LABEL, None, None)
            add(side, None, "grand_total", GRAND_TOTAL_LABEL, None, None)
        else:
            add(side, None, "grand_total", GRAND_TOTAL_LABEL, sums[side]["all"] / 100, None)

    result = sums["products"]["all"] - sums["charges"]["all"]
    ledger = -int(work["net"].sum()) - unmapped_effect  # class 7 − class 6, mapped part
    if result != ledger:
        raise DataError.one(
            path,
            f"the income statement result {_eur(result)} differs from class 7 − class 6 of "
            f"the FEC {_eur(ledger)} (unmapped accounts excluded): an account is counted "
            "twice or on the wrong side; check fec_mapping.csv",
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
    return out, unmapped_msgs


def _report_lines(mapping: pd.DataFrame) -> list[_Line]:
    lines = {
        row.label: _Line(row.side, row.group, row.label, int(row.order))
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


def _unmapped(rows: pd.DataFrame, path: Path) -> tuple[list[str], int]:
    """Messages for class 6/7 accounts no prefix maps, and their effect on the result (cents)."""
    messages = []
    for account, part in rows.groupby("account", sort=True):
        net = int(part["net"].sum())
        side = "charge (debit − credit)" if account.startswith("6") else "product (credit − debit)"
        amount = net if account.startswith("6") else -net
        messages.append(
            str(
                Problem(
                    path,
                    f"account {account} ({part['label'].iloc[0]}) maps to no report line: "
                    f"{side} {_eur(amount)} € left out of the income statement; add its prefix "
                    "to data/reference/fec_mapping.csv",
                    int(part["line"].min()),
                    "CompteNum",
                )
            )
        )
    return messages, -int(rows["net"].sum())
