"""``cae-report``: a thin command line over the pipeline stages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cae_report import config
from cae_report.errors import DataError

EXIT_INVALID = 2


def parse_year(text: str, root: Path | None = None) -> int:
    """A year is data, not code: digits only, and a data folder must exist for it."""
    if not config.is_year_folder(text.strip()):
        raise argparse.ArgumentTypeError(f"not a year: {text!r} (expected four digits 0-9)")
    year = int(text)
    years = config.available_years(root)
    if year not in years:
        raise argparse.ArgumentTypeError(
            f"no data folder data/raw/{year}/ (years with data: "
            f"{', '.join(map(str, years)) or 'none'})"
        )
    return year


def parse_years(text: str, root: Path | None = None) -> list[int]:
    """``2013-2016`` or ``2015,2016``: each year checked like ``--year``."""
    years: list[int] = []
    for part in text.split(","):
        bounds = part.strip().split("-")
        if len(bounds) == 2:
            first, last = (
                parse_year(b, root) if i == 0 else _digits(b) for i, b in enumerate(bounds)
            )
            if last < first:
                raise argparse.ArgumentTypeError(f"empty range {part!r}")
            years += [parse_year(str(y), root) for y in range(first, last + 1)]
        else:
            years.append(parse_year(part, root))
    return sorted(set(years))


def _digits(text: str) -> int:
    if not config.is_year_folder(text.strip()):
        raise argparse.ArgumentTypeError(f"not a year: {text!r}")
    return int(text)


def cmd_check(args: argparse.Namespace) -> int:
    from cae_report.build.prepare import check

    year = args.year
    prepared = check(config.raw_dir(year), config.reference_dir(), config.processed_dir(year), year)
    for note in prepared.raw.notes:
        print(f"note: {note}")
    anomalies = prepared.anomalies
    coverage = "complete" if prepared.complete else "partial, " + lacks(prepared)
    print(
        f"{year}: data valid ({coverage}); {len(anomalies)} anomalies "
        f"({(anomalies['action'] == 'corrected').sum()} corrected, "
        f"{(anomalies['action'] == 'flagged').sum()} flagged; "
        f"{anomalies['finding'].nunique()} findings)"
    )
    for row in anomalies.itertuples():
        fix = f" -> {row.corrected}" if row.action == "corrected" else ""
        print(
            f"  [{row.finding} {row.status}] {row.table} | {row.key} | {row.field}: "
            f"{row.published}{fix}\n      {row.rule}: {row.message}"
        )
    print(f"clean tables and anomalies.csv written to {config.processed_dir(year)}")
    return 0


def lacks(prepared) -> str:
    """What a partial year lacks to be complete, in words."""
    from cae_report.data.contract import REQUIRED_COMPLETE

    absent = [t for t in REQUIRED_COMPLETE if t not in prepared.raw.coverage]
    partial = [t for t in REQUIRED_COMPLETE if prepared.raw.coverage.get(t) == "partial"]
    parts = []
    if absent:
        parts.append("no " + ", ".join(absent))
    if partial:
        parts.append("partial " + ", ".join(partial))
    return "; ".join(parts) or "declared partial"


def cmd_build(args: argparse.Namespace) -> int:
    from cae_report.build.orchestrate import build_year, print_summary

    result = build_year(
        args.year,
        engine=args.engine,
        internal=args.internal,
        jobs=args.notebook_jobs or None,
        use_cache=not args.no_cache,
    )
    if not result.ok:
        print(f"error: {result.error}", file=sys.stderr)
        print(
            f"the previous outputs in {config.build_dir(args.year, internal=args.internal)} "
            "are unchanged",
            file=sys.stderr,
        )
    print_summary([result])
    return 0 if result.ok else 1


def cmd_batch(args: argparse.Namespace) -> int:
    from cae_report.build.orchestrate import build_batch, print_summary

    results = build_batch(
        args.years or config.available_years(),
        engine=args.engine,
        jobs=args.jobs,
        use_cache=not args.no_cache,
    )
    print_summary(results)
    return 0 if all(r.ok for r in results) else 1


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cae-report", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="validate and clean a year's raw data")
    check.add_argument(
        "--year", type=parse_year, default=None, help="default: the latest year with data"
    )
    check.set_defaults(func=cmd_check)

    build = sub.add_parser("build", help="build a year's report (HTML and PDF)")
    build.add_argument(
        "--year", type=parse_year, default=None, help="default: the latest year with data"
    )
    build.add_argument(
        "--engine",
        choices=("auto", "quarto", "pandoc"),
        default="auto",
        help="auto: quarto when on PATH, else pandoc + Typst",
    )
    build.add_argument(
        "--internal",
        action="store_true",
        help="internal edition for the board, with personal details (addresses), every page "
        "marked; written to _build/<year>-interne/",
    )
    build.add_argument("--no-cache", action="store_true", help="execute and render everything")
    build.add_argument("--notebook-jobs", type=int, default=0, help=argparse.SUPPRESS)
    build.set_defaults(func=cmd_build)

    batch = sub.add_parser("batch", help="build several years")
    batch.add_argument(
        "--years", type=parse_years, default=None, help="e.g. 2013-2016; default: every year"
    )
    batch.add_argument(
        "--jobs",
        type=int,
        default=1,
        choices=range(1, 9),
        metavar="N",
        help="notebooks executed at once across the batch",
    )
    batch.add_argument("--no-cache", action="store_true", help="execute and render everything")
    batch.add_argument("--engine", choices=("auto", "quarto", "pandoc"), default="auto")
    batch.set_defaults(func=cmd_batch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if getattr(args, "year", "unset") is None:
        args.year = config.available_years()[-1]
    try:
        return args.func(args)
    except DataError as exc:
        print(f"error: invalid data ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
