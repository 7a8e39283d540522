"""Raw cells and sheets as a store hands them over, before any parsing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Union


@dataclass(frozen=True)
class CellError:
    """A spreadsheet error value such as ``#N/A`` or ``#REF!`` (the cached result of a formula)."""

    code: str

    def __str__(self) -> str:
        return self.code


# What a store may put in a cell. Empty cells are ``None`` or ``""``.
RawValue = Union[
    None, str, int, float, bool, dt.date, dt.datetime, dt.time, dt.timedelta, CellError
]
# What may be written into a tool-owned cell: never a formula (strings are written as text).
WriteValue = Union[None, str, int, float, Decimal, dt.date]


@dataclass(frozen=True)
class TotalsRow:
    """A totals row of an Excel table (a ListObject), as the workbook's own table definition
    declares it (``totalsRowCount``): 1-based sheet row, the table's first and last column and
    its first row (its header row, when it has one).
    Its cells hold whatever the user put there (``=SUBTOTAL(109,[Amount])``, an average, a
    count, or nothing): it is never a record, whatever it holds."""

    table: str
    row: int
    first_col: int
    last_col: int
    top: int


@dataclass
class RawSheet:
    """One sheet as rows of raw cells. ``rows[0]`` is sheet row 1, ``rows[r][0]`` column A."""

    name: str
    rows: list[list[RawValue]]
    # merged ranges, 0-based inclusive ((top, left), (bottom, right))
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    visible: bool = True
    # 0-based (row, col) of every CellError, when the store knows them all (None: unknown)
    error_cells: frozenset[tuple[int, int]] | None = None
    # the store found salessheet's ownership mark on this sheet (True), looked and found none
    # (False), or cannot mark sheets (None); see salessheet.history.ownership
    marked: bool | None = None
    # the totals rows of the Excel tables on this sheet (a store that knows of none: empty)
    totals_rows: list[TotalsRow] = field(default_factory=list)
    # 0-based (row, col) -> formula of each cell holding a formula whose result was never
    # saved (a workbook a script wrote and no spreadsheet program calculated): read as blank
    unsaved_formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    # A store may hand a sheet over while its later rows are still being read (a big xlsx
    # sheet parsed in pieces). ``rows`` always waits for all of them; a reader that can work
    # row by row uses ``rows_so_far`` and ``more`` instead and starts before the end arrives.
    def rows_so_far(self) -> list[list[RawValue]]:
        return self.rows

    def more(self) -> bool:
        """Append the next rows that arrived to ``rows_so_far()``; False once all are there."""
        return False

    def head(self, n: int) -> list[list[RawValue]]:
        """The first ``n`` rows (fewer if the sheet is shorter)."""
        return self.rows[:n]


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool = True


@lru_cache(maxsize=4096)
def col_letter(col: int) -> str:
    """1-based column number to letters: 1 -> A, 28 -> AB."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def a1(row: int, col: int) -> str:
    """1-based row and column to an A1 reference."""
    return f"{col_letter(col)}{row}"


_BAD_SHEET_CHARS = frozenset("[]:*?/\\")


def sheet_name_problem(name: str) -> str | None:
    """What Excel refuses in a sheet name (1-31 characters, none of ``[]:*?/\\``, no
    apostrophe at either end), said as the end of a sentence about it; None when it is fine."""
    bad = sorted(set(name) & _BAD_SHEET_CHARS)
    if not name:
        return "is empty"
    if len(name) > 31:
        return f"has {len(name)} characters; Excel takes at most 31"
    if bad:
        return f"holds {' '.join(bad)}, which Excel does not allow in a sheet name"
    if name.startswith("'") or name.endswith("'"):
        return "starts or ends with an apostrophe, which Excel does not allow"
    return None
