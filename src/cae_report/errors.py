"""Errors a user can act on: each names the file, the line and the column.

The CLI prints them as ``file:line: column 'x': message`` (the format editors and
CI logs turn into links) and exits non-zero; no traceback is the only message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The exit codes of every command (the CLI, Quarto's pre-render step, make).
EXIT_OK = 0
EXIT_FAILED = 1
"""A step of the build failed (a failing cell, a missing engine, a full disk)."""
EXIT_INVALID = 2
"""The data are invalid: every problem is listed with its file, line and column."""
EXIT_USAGE = 64
"""The command line is wrong (unknown option, not a year, outside a project): BSD's EX_USAGE."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C): the shells' code for a command ended by SIGINT."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: Path
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
        col = f" column '{self.column}':" if self.column else ""
        return f"{where}:{col} {self.message}"


class DataError(Exception):
    """Raised when input data cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def one(
        cls, file: Path, message: str, line: int | None = None, column: str | None = None
    ) -> DataError:
        return cls([Problem(file, message, line, column)])
