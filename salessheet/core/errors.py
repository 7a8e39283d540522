"""One exception hierarchy; each class carries the CLI exit code of the contract.

Rule violations are never exceptions: they are Findings (see findings.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salessheet.core.cells import RawSheet


class SalessheetError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with; ``problems`` lists every problem."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])
        self.hint = hint

    def render(self) -> str:
        lines = [self.message]
        lines += [f"  - {p}" for p in self.problems]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class UsageError(SalessheetError):
    """Bad command-line usage (exit 2)."""


class ConfigError(SalessheetError):
    """A pipeline config that does not load or does not match the schema (exit 2)."""


class SourceError(SalessheetError):
    """The source cannot be read or is not what its name says (exit 2)."""


class StructureError(SourceError):
    """The sheet is readable but unusable: missing/duplicate columns, merged data cells (exit 2).

    ``missing``: the fields the sheet has no column for (every required field when no header
    row was found); ``sheets``: the raw sheets looked at (``RawSheet``), where the api looks for
    near-miss headers to suggest; ``header_row``: the 1-based header row, when one was found.
    """

    def __init__(
        self,
        message: str,
        problems: list[str] | None = None,
        hint: str | None = None,
        *,
        missing: tuple[str, ...] | list[str] = (),
        sheets: list[RawSheet] | None = None,
        header_row: int | None = None,
    ):
        super().__init__(message, problems, hint)
        self.missing = tuple(missing)
        self.sheets = list(sheets or [])
        self.header_row = header_row


class PreflightError(SalessheetError):
    """A document cannot be produced from this deal's data (exit 2)."""


class WriteRefused(SalessheetError):
    """Refused to write: file locked, changed during the run, or data would be lost (exit 3)."""

    exit_code = 3


class StoreUnavailable(SalessheetError):
    """The store could not be reached (network, auth, quota) after retries (exit 4)."""

    exit_code = 4


class OutputError(SalessheetError):
    """Standard output could not be written: a full disk, or a pipe whose reader stopped
    (exit 2). Raised by the command line, which is what writes there."""
