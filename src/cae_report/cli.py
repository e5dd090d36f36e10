"""cae-report: the reproducible annual report of a Coopérative d'Activités et d'Emploi.

A thin command line over the pipeline stages (see ``make_parser`` for the help it prints).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from cae_report import __version__, config
from cae_report.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    DataError,
)

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "main"]


DESCRIPTION = """\
Validate a cooperative's yearly data, then build its annual report (HTML and PDF) from the
parameterised notebooks, reproducibly: the same inputs give the same bytes.
"""

EPILOG = """\
examples:
  cae-report check --year 2016           validate and clean 2016, list what the rules found
  cae-report build                       build the latest year into _build/<year>/
  cae-report build --year 2016 --engine pandoc --no-cache
  cae-report build --year 2016 --internal   the board's edition, in _build/2016-interne/
  cae-report batch --years 2013-2016 --jobs 2
  cae-report new-year 2017               start report/2017/ from report/_template/
  cae-report --root ~/coodyssee build    a project outside the current folder

project:
  The project is the folder holding _quarto.yml and data/: --root DIR, else the environment
  variable CAE_REPORT_ROOT, else the first such folder from the current one upwards.

exit codes (the same for every command):
  0   success
  1   a build step failed (a failing notebook cell, a missing engine, a full disk...)
  2   invalid data: each problem is printed with its file, line and column
  64  usage error: unknown option, a year that is not four digits or has no data folder,
      no project found
"""


class UsageError(Exception):
    """A command line that cannot run: one line, exit code :data:`EXIT_USAGE`."""


class Parser(argparse.ArgumentParser):
    """argparse with this tool's exit code for usage errors (argparse's own is 2, which here
    means invalid data)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def year_text(text: str) -> int:
    """A year on the command line: four ASCII digits (whether it has data is checked once
    the project is known)."""
    if not config.is_year_folder(text.strip()):
        raise argparse.ArgumentTypeError(f"not a year: {text!r} (expected four digits 0-9)")
    return int(text)


def years_text(text: str) -> list[int]:
    """``2013-2016`` or ``2015,2016`` (or both: ``2013-2014,2016``)."""
    years: list[int] = []
    for part in text.split(","):
        bounds = part.strip().split("-")
        if len(bounds) == 2:
            first, last = year_text(bounds[0]), year_text(bounds[1])
            if last < first:
                raise argparse.ArgumentTypeError(f"empty range {part!r}")
            years += range(first, last + 1)
        elif len(bounds) == 1:
            years.append(year_text(part))
        else:
            raise argparse.ArgumentTypeError(f"not a range of years: {part!r}")
    return sorted(set(years))


def check_years(years: list[int], root: Path) -> None:
    """Every year asked must have a data folder."""
    available = config.available_years(root)
    missing = [y for y in years if y not in available]
    if missing:
        raise UsageError(
            f"no data folder data/raw/{missing[0]}/ (years with data: "
            f"{', '.join(map(str, available)) or 'none'})"
        )


def find_root(option: str | None) -> Path:
    """The project root from ``--root``, ``CAE_REPORT_ROOT`` or the current folder; set in the
    environment so that the kernels and sub-processes use the same one."""
    given = option or os.environ.get("CAE_REPORT_ROOT")
    if given:
        root = Path(given).expanduser().resolve()
        if not ((root / "_quarto.yml").is_file() and (root / "data").is_dir()):
            source = "--root" if option else "CAE_REPORT_ROOT"
            raise UsageError(
                f"{source} {given} is not a cae-report project (no _quarto.yml and data/)"
            )
    else:
        try:
            root = config.project_root(from_package=False)
        except FileNotFoundError:
            raise UsageError(
                f"not inside a cae-report project ({Path.cwd()} and its parents hold no "
                "_quarto.yml with data/): use --root DIR or set CAE_REPORT_ROOT"
            ) from None
    os.environ["CAE_REPORT_ROOT"] = str(root)
    return root


def cmd_check(args: argparse.Namespace) -> int:
    from cae_report.build.prepare import check

    year, root = args.year, args.root
    prepared = check(
        config.raw_dir(year, root),
        config.reference_dir(root),
        config.processed_dir(year, root),
        year,
    )
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
    print(f"clean tables and anomalies.csv written to {config.processed_dir(year, root)}")
    return EXIT_OK


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


def exit_code(results: list) -> int:
    """0 when every year built; 1 when a step failed for one; else 2 when a year's data are
    invalid."""
    if all(r.ok for r in results):
        return EXIT_OK
    if any(not r.ok and not r.invalid for r in results):
        return EXIT_FAILED
    return EXIT_INVALID


def cmd_build(args: argparse.Namespace) -> int:
    from cae_report.build.orchestrate import build_year, print_summary

    result = build_year(
        args.year,
        engine=args.engine,
        internal=args.internal,
        jobs=args.jobs or None,
        use_cache=not args.no_cache,
    )
    if not result.ok:
        print(f"error: {result.error}", file=sys.stderr)
        folder = config.build_dir(args.year, args.root, internal=args.internal)
        print(f"the previous outputs in {folder} are unchanged", file=sys.stderr)
    print_summary([result])
    return exit_code([result])


def cmd_batch(args: argparse.Namespace) -> int:
    from cae_report.build.orchestrate import build_batch, print_summary

    results = build_batch(
        args.years, engine=args.engine, jobs=args.jobs, use_cache=not args.no_cache
    )
    print_summary(results)
    return exit_code(results)


def cmd_new_year(args: argparse.Namespace) -> int:
    from cae_report.publish.assemble import new_year

    target = new_year(args.root, args.year)
    print(
        f"{target} created from report/_template/: replace every « À rédiger » paragraph "
        "with the year's text (see report/_template/README.md)"
    )
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = Parser(
        prog="cae-report", description=DESCRIPTION, epilog=EPILOG, formatter_class=formatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="the project folder (holding _quarto.yml and data/); default: CAE_REPORT_ROOT, "
        "else the current folder or a parent",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="validate and clean a year's raw data, write data/processed/<year>/",
        description="Validate and clean a year's raw data; list every anomaly found; write the "
        "clean tables and anomalies.csv to data/processed/<year>/.",
        epilog="example:\n  cae-report check --year 2016",
        formatter_class=formatter,
    )
    check.add_argument(
        "--year", type=year_text, default=None, help="default: the latest year with data"
    )
    check.set_defaults(func=cmd_check)

    engines = ("auto", "quarto", "pandoc")
    build = sub.add_parser(
        "build",
        help="build a year's report (HTML and PDF) into _build/<year>/",
        description="Build a year's report into _build/<year>/: rapport-<year>.html and .pdf, "
        "indicators.json, anomalies.csv, provenance.json and the executed notebooks. An "
        "unchanged year is a no-op; a failure leaves the previous report in place.",
        epilog="examples:\n  cae-report build --year 2016\n"
        "  cae-report build --year 2016 --engine pandoc --no-cache\n"
        "  cae-report build --year 2016 --internal",
        formatter_class=formatter,
    )
    build.add_argument(
        "--year", type=year_text, default=None, help="default: the latest year with data"
    )
    build.add_argument(
        "--engine",
        choices=engines,
        default="auto",
        help="auto: quarto when on PATH, else pandoc + Typst",
    )
    build.add_argument(
        "--internal",
        action="store_true",
        help="internal edition for the board, with personal details (addresses), every page "
        "marked; written to _build/<year>-interne/ as rapport-<year>-interne.html and .pdf",
    )
    build.add_argument("--no-cache", action="store_true", help="execute and render everything")
    build.add_argument(
        "--jobs",
        type=int,
        default=0,
        choices=range(0, 9),
        metavar="N",
        help="kernels executing chapters at once (default: one per core)",
    )
    build.set_defaults(func=cmd_build)

    batch = sub.add_parser(
        "batch",
        help="build several years",
        description="Build several years in one run: each year's data prepared once, the "
        "chapters of every year executed by N kernels. A failing year does not stop the others.",
        epilog="example:\n  cae-report batch --years 2013-2016 --jobs 2",
        formatter_class=formatter,
    )
    batch.add_argument(
        "--years",
        type=years_text,
        default=None,
        help="e.g. 2013-2016 or 2015,2016; default: every year with data",
    )
    batch.add_argument(
        "--jobs",
        type=int,
        default=1,
        choices=range(1, 9),
        metavar="N",
        help="kernels executing chapters at once, across the batch (1 to 8)",
    )
    batch.add_argument("--no-cache", action="store_true", help="execute and render everything")
    batch.add_argument("--engine", choices=engines, default="auto")
    batch.set_defaults(func=cmd_batch)

    new = sub.add_parser(
        "new-year",
        help="start a year's written chapters from report/_template/",
        description="Copy report/_template/ to report/<year>/ (never over an existing folder): "
        "the cooperative then replaces every « À rédiger » paragraph with the year's text.",
        epilog="example:\n  cae-report new-year 2017",
        formatter_class=formatter,
    )
    new.add_argument("year", type=year_text, help="the year, e.g. 2017 (no data folder needed)")
    new.set_defaults(func=cmd_new_year)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line (``argv``: ``sys.argv[1:]`` when None)."""
    try:
        return _run(argv)
    finally:
        if argv is None:  # the process ends next (the console script, ``python -m``)
            # The interpreter's exit collects the garbage again and again while it clears
            # the modules, over everything a build has imported: 0.5 to 1 s for nothing.
            # What is frozen is skipped (the files are closed, the folders removed already).
            # A caller passing ``argv`` goes on: its garbage is left to the collector.
            gc.freeze()


def _run(argv: list[str] | None) -> int:
    args = make_parser().parse_args(argv)
    try:
        args.root = find_root(args.root)
        if getattr(args, "year", "unset") is None:
            available = config.available_years(args.root)
            if not available:
                raise UsageError(f"no year folder in {config.data_dir(args.root) / 'raw'}")
            args.year = available[-1]
        if args.command == "batch" and args.years is None:
            args.years = config.available_years(args.root)
        if args.command != "new-year":
            check_years(args.years if args.command == "batch" else [args.year], args.root)
        return args.func(args)
    except UsageError as exc:
        print(f"cae-report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DataError as exc:
        print(f"error: invalid data ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        from cae_report.build.orchestrate import machine_fault

        print(f"error: {machine_fault(exc) or exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("cae-report: interrupted; the reports in place are unchanged", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
