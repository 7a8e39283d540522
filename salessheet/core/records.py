"""Typed records the rules, documents and analytics work on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from salessheet.core.cells import RawValue, a1


@dataclass
class TableLayout:
    """Where a mapped table sits in its sheet; shared by all its records."""

    sheet: str
    header_row: int  # 1-based
    col_of: dict[str, int]  # field -> 1-based column
    header_of: dict[str, str]  # field -> header text as written
    unmapped: dict[int, str] = field(default_factory=dict)  # 1-based column -> header text
    width: int = 0  # number of columns in the header row (last non-empty header)
    headerless: bool = False  # header: none: columns by position, header_row = first_row - 1
    # money field -> the currency its header (Amount (USD)) or the config's column gives
    currency_of: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Record:
    """One mapped row of a table (a deal, a line item, a product).

    ``values`` holds the parsed value per field (``str`` for ids and text, ``Decimal`` for
    money and numbers, ``datetime.date`` for dates, the stage id for stages); a field that is
    blank *or* could not be parsed is ``None`` (the parse problem is a separate finding).
    """

    layout: TableLayout
    row: int  # 1-based sheet row
    values: dict[str, Any]
    raw_row: list[RawValue]  # the row's raw cells as read (index 0 = column A)

    @property
    def sheet(self) -> str:
        return self.layout.sheet

    def get(self, name: str, default: Any = None) -> Any:
        v = self.values.get(name)
        return default if v is None else v

    def raw_value(self, name: str) -> RawValue:
        col = self.layout.col_of.get(name)
        if col is None or col > len(self.raw_row):
            return None
        return self.raw_row[col - 1]

    def cell(self, name: str) -> str | None:
        col = self.layout.col_of.get(name)
        return a1(self.row, col) if col else None

    def header(self, name: str) -> str | None:
        return self.layout.header_of.get(name)

    @property
    def raw(self) -> dict[str, RawValue]:
        return {f: self.raw_value(f) for f in self.layout.col_of}

    @property
    def cells(self) -> dict[str, str]:
        return {f: a1(self.row, c) for f, c in self.layout.col_of.items()}

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.layout.header_of)

    @property
    def extra(self) -> dict[str, RawValue]:
        """Unmapped columns of this row: header text -> raw value."""
        out = {}
        for col, header in self.layout.unmapped.items():
            out[header] = self.raw_row[col - 1] if col <= len(self.raw_row) else None
        return out


@dataclass(slots=True)
class Deal(Record):
    """A pipeline row. ``id`` is always text; ``stage`` is the profile's stage id or None."""

    id: str = ""
    stage: str | None = None


@dataclass(frozen=True)
class StageSpan:
    """A deal's stay in one stage, from the ledger (or the sheet's stage-date column)."""

    deal_id: str
    stage: str
    entered: dt.date
    left: dt.date | None  # None: still there
    entered_from_sheet: bool = False  # True when 'entered' came from the sheet's own column
