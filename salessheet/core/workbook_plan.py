"""The plan of a new workbook, independent of the medium: sheets, headers, rows, formats,
widths, validations. ``salessheet.init`` builds it from a profile; each store draws it with its
own library (openpyxl for Excel, batchUpdate requests for Google Sheets)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Union

DATA_ROWS = 1000  # rows below the header that get formats and validations

# Format kinds and the number-format patterns that Excel and Google Sheets both understand.
FORMAT_PATTERNS = {
    "date": "yyyy-mm-dd",
    "money": "#,##0.00",
    "percent": "0%",
    "number": "General",
    "text": "@",
    "general": "General",
}

CellValue = Union[None, str, int, Decimal, dt.date]


@dataclass(frozen=True)
class ColumnPlan:
    header: str
    field: str | None  # the profile (or line-item) field the header maps to
    kind: str  # date | money | percent | number | text | general
    width: float  # in characters

    @property
    def number_format(self) -> str:
        return FORMAT_PATTERNS[self.kind]


@dataclass(frozen=True)
class Validation:
    """A data validation over one column's data rows (row 2 to 1 + SheetPlan.data_rows)."""

    column: int  # 1-based
    kind: Literal["list", "date", "decimal"]
    values: tuple[str, ...] = ()  # for list
    minimum: Decimal | dt.date | None = None
    maximum: Decimal | dt.date | None = None
    strict: bool = True  # True: refuse other values; False: warn only
    title: str = ""
    prompt: str = ""
    error: str = ""


@dataclass
class SheetPlan:
    name: str
    role: str  # pipeline | line_items | instructions
    columns: list[ColumnPlan]
    rows: list[list[CellValue]]  # below the header row (or from row 1 without a header)
    has_header: bool = True
    freeze_header: bool = True
    autofilter: bool = True
    validations: list[Validation] = field(default_factory=list)
    styles: dict[int, str] = field(default_factory=dict)  # 0-based row -> title|heading|th
    data_rows: int = DATA_ROWS

    @property
    def header(self) -> list[str]:
        return [c.header for c in self.columns] if self.has_header else []

    def column_of(self, name: str) -> int | None:
        """1-based column of a field, or None."""
        for i, c in enumerate(self.columns, start=1):
            if c.field == name:
                return i
        return None


@dataclass
class InitPlan:
    profile: str
    lang: str
    today: dt.date
    sheets: list[SheetPlan]

    def sheet(self, role: str) -> SheetPlan:
        return next(s for s in self.sheets if s.role == role)

    @property
    def pipeline(self) -> SheetPlan:
        return self.sheet("pipeline")

    @property
    def line_items(self) -> SheetPlan:
        return self.sheet("line_items")

    @property
    def instructions(self) -> SheetPlan:
        return self.sheet("instructions")

    def instructions_text(self) -> str:
        lines = []
        for row in self.instructions.rows:
            cells = [str(v) for v in row if v not in (None, "")]
            lines.append("  ".join(cells))
        return "\n".join(lines).strip() + "\n"
