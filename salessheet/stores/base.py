"""The store interface every medium implements (xlsx, csv, gsheets, memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from salessheet.core.cells import RawSheet, RawValue, SheetInfo, WriteValue


@dataclass(frozen=True)
class CellWrite:
    """One tool-owned cell to set. ``row``/``col`` are 1-based sheet coordinates."""

    sheet: str
    row: int
    col: int
    value: WriteValue


@dataclass(frozen=True)
class SheetReplace:
    """Replace the whole content of a tool-owned sheet (created if absent). Row 0 = header."""

    name: str
    rows: list[list[WriteValue]]


@dataclass(frozen=True)
class RowGuard:
    """What a row looked like when the run read it; a store that can see concurrent edits
    (Google Sheets) skips the row's cell writes if the cells no longer match."""

    sheet: str
    row: int
    expected: dict[int, RawValue]  # col (1-based) -> value read


@dataclass
class WriteBatch:
    cells: list[CellWrite] = field(default_factory=list)
    sheets: list[SheetReplace] = field(default_factory=list)
    guards: list[RowGuard] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.cells and not self.sheets


@dataclass
class WriteReport:
    written_cells: int = 0
    written_sheets: list[str] = field(default_factory=list)
    skipped_rows: list[tuple[str, int, str]] = field(default_factory=list)  # sheet, row, why
    backup: str | None = None
    unchanged: bool = False  # nothing differed: nothing was written


class Store(Protocol):
    """A pipeline source. ``read`` remembers what it read so ``write`` can refuse on change."""

    source: str  # as the user gave it
    kind: str  # "xlsx" | "csv" | "gsheets" | "memory"
    writable: bool
    # True for a store that others edit while a run works (Google Sheets): it checks each
    # written row against the batch's RowGuards. A file store refuses a changed file instead.
    checks_rows: bool

    def sheets(self) -> list[SheetInfo]: ...

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        """Read these sheets (those that exist) in one go."""
        ...

    def write(self, batch: WriteBatch) -> WriteReport:
        """Write owned cells and sheets in one batch; raise WriteRefused (exit 3) if unsafe."""
        ...

    def formula_columns(self, sheet: str, first_row: int) -> frozenset[int]:
        """The columns (1-based) of ``sheet`` holding a formula at or below ``first_row``, even
        one whose value reads as empty: never free for the tool's new flag columns. Empty for
        a store that cannot tell."""
        ...
