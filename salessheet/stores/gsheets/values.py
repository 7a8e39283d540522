"""Values and grids between the Sheets API and our cells: serial dates, error codes, RAW
writes, and the ranges one batch reads or writes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salessheet.core.cells import CellError, RawValue, col_letter, col_number
from salessheet.stores.base import CellWrite, SheetReplace
from salessheet.stores.gsheets.markers import is_marked, owned_as


def quote_sheet(name: str) -> str:
    """A sheet name as the start of an A1 range: ``'It''s'``."""
    return "'" + name.replace("'", "''") + "'"


def _range_start(a1_range: str) -> tuple[int, int]:
    """1-based (row, col) of the first cell of a range Google returned, e.g. ``'S'!B5:C9``."""
    cells = a1_range.rsplit("!", 1)[-1].split(":", 1)[0]
    letters = "".join(ch for ch in cells if ch.isalpha())
    digits = "".join(ch for ch in cells if ch.isdigit())
    return (int(digits) if digits else 1, col_number(letters) if letters else 1)


def from_api(value: RawValue) -> RawValue:
    """A value as the API returned it (UNFORMATTED_VALUE) -> RawValue."""
    if isinstance(value, str) and value in ERROR_CODES:
        return CellError(value)
    return value


def to_api(value: Any) -> Any:
    """A WriteValue -> JSON for RAW input: Decimal -> number, date -> ISO text, None -> ""."""
    if value is None:
        return ""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        if value == value.to_integral_value() and abs(value) < 2**53:
            return int(value)
        return float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _comparable(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, CellError):
        return ("error", value.code)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - dt.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    if isinstance(value, dt.date):
        return (value - _EPOCH).days
    return value


def same_value(a: Any, b: Any) -> bool:
    """True if two cell values are the same for change detection (None == "", 5 == 5.0)."""
    x, y = _comparable(a), _comparable(b)
    if isinstance(x, int | float) and isinstance(y, int | float):
        return float(x) == float(y)
    return type(x) is type(y) and x == y


def _show(value: Any) -> str:
    return (
        "empty"
        if value in (None, "")
        else repr(str(value) if isinstance(value, CellError) else value)
    )


_GMT_OFFSET = re.compile(r"(?:GMT|UTC)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?")


def usable_zone(name: str) -> str | None:
    """A spreadsheet's ``timeZone`` as an IANA zone name, or None when none fits.

    Google sends a CLDR id (``Asia/Shanghai``), or, for a zone it does not recognise, a custom
    one such as ``GMT-07:00``: that becomes ``Etc/GMT+7`` (POSIX signs are inverted). An offset
    with minutes (``GMT+05:30``) has no IANA zone: None, and the profile's time zone is used.
    """
    name = name.strip()
    match = _GMT_OFFSET.fullmatch(name)
    if match:
        sign, hours, minutes = match.groups()
        if minutes and int(minutes):
            return None
        offset = int(hours or 0)
        name = "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if sign == '+' else '+'}{offset}"
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _tab_from(sheet: Mapping[str, Any]) -> _Tab:
    props = sheet.get("properties", {})
    grid = props.get("gridProperties", {})
    merges = []
    for m in sheet.get("merges", []) or []:
        top, left = m.get("startRowIndex", 0), m.get("startColumnIndex", 0)
        bottom, right = m.get("endRowIndex", top + 1) - 1, m.get("endColumnIndex", left + 1) - 1
        merges.append(((top, left), (bottom, right)))
    return _Tab(
        sheet_id=int(props.get("sheetId", 0)),
        title=str(props.get("title", "")),
        index=int(props.get("index", 0)),
        hidden=bool(props.get("hidden", False)),
        rows=int(grid.get("rowCount", 0)),
        cols=int(grid.get("columnCount", 0)),
        grid=props.get("sheetType", "GRID") == "GRID",
        merges=merges,
        marked=is_marked(sheet),
        owned_as=owned_as(sheet),
    )


def _range_sheet(a1_range: str) -> str:
    if "!" not in a1_range:
        return a1_range
    name = a1_range.rsplit("!", 1)[0]
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    return name


def _rows_from(value_range: Mapping[str, Any]) -> list[list[RawValue]]:
    """A ValueRange -> rectangular rows from A1 ("" for empty cells)."""
    top, left = _range_start(value_range.get("range", "A1"))
    values = value_range.get("values", []) or []
    width = (left - 1) + max((len(r) for r in values), default=0)
    rows: list[list[RawValue]] = [[""] * width for _ in range(top - 1)]
    for row in values:
        cells = [""] * (left - 1) + [from_api(v) for v in row]
        cells += [""] * (width - len(cells))
        rows.append(cells)
    return rows


def _replacement(rep: SheetReplace, overlay: Iterable[CellWrite]) -> list[list[Any]]:
    grid = [[to_api(v) for v in row] for row in rep.rows]
    for cw in overlay:
        while len(grid) < cw.row:
            grid.append([])
        row = grid[cw.row - 1]
        row.extend([""] * (cw.col - len(row)))
        row[cw.col - 1] = to_api(cw.value)
    return grid


def _sheet_rows(fresh: Mapping[tuple[str, int, int], RawValue], title: str) -> list[list[Any]]:
    cells = {(r, c): v for (s, r, c), v in fresh.items() if s == title}
    if not cells:
        return []
    height = max(r for r, _ in cells)
    width = max(c for _, c in cells)
    return [[cells.get((r, c), "") for c in range(1, width + 1)] for r in range(1, height + 1)]


def _pad_over(new: list[list[Any]], old: list[list[Any]]) -> list[list[Any]]:
    height = max(len(new), len(old))
    width = max([len(r) for r in new] + [len(r) for r in old] + [0])
    out = []
    for r in range(height):
        row = list(new[r]) if r < len(new) else []
        row += [""] * (width - len(row))
        out.append(row)
    return out


def _first_difference(new: list[list[Any]], old: list[list[Any]]) -> int | None:
    """The first row (0-based) of ``new`` that differs from ``old``; None when none does."""
    for r, row in enumerate(new):
        old_row = old[r] if r < len(old) else []
        for c, value in enumerate(row):
            if not same_value(old_row[c] if c < len(old_row) else "", value):
                return r
    return None


def _value_ranges(
    cell_plan: Mapping[str, Mapping[tuple[int, int], Any]],
    sheet_plan: Mapping[str, list[list[Any]]],
    first_rows: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Cells as runs of consecutive rows per column; each replaced sheet as one block, from
    its first changed row (``first_rows``, 0-based; the rows above already hold the same
    values): a ledger that grew by 20 rows sends 20 rows, not the 165,000 above them."""
    data: list[dict[str, Any]] = []
    for name, grid in sheet_plan.items():
        first = first_rows.get(name, 0)
        width = max((len(r) for r in grid), default=1)
        data.append(
            {
                "range": f"{quote_sheet(name)}!A{first + 1}:{col_letter(width)}{len(grid)}",
                "majorDimension": "ROWS",
                "values": grid[first:],
            }
        )
    for title, cells in cell_plan.items():
        q = quote_sheet(title)
        by_col: dict[int, list[int]] = {}
        for r, c in cells:
            by_col.setdefault(c, []).append(r)
        for col, rows in sorted(by_col.items()):
            rows.sort()
            letter = col_letter(col)
            start = prev = rows[0]
            run = [cells[(start, col)]]
            for row in [*rows[1:], None]:
                if row is not None and row == prev + 1:
                    run.append(cells[(row, col)])
                    prev = row
                    continue
                rng = f"{q}!{letter}{start}" + (f":{letter}{prev}" if prev != start else "")
                data.append({"range": rng, "majorDimension": "ROWS", "values": [[v] for v in run]})
                if row is not None:
                    start = prev = row
                    run = [cells[(row, col)]]
    return data


ERROR_CODES = frozenset(
    {"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!"}
)


_NEW_SHEET_MIN_ROWS = 1000


_NEW_SHEET_MIN_COLS = 26


_EPOCH = dt.date(1899, 12, 30)


@dataclass
class _Tab:
    sheet_id: int
    title: str
    index: int
    hidden: bool
    rows: int
    cols: int
    grid: bool
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    marked: bool = False  # carries salessheet's ownership mark (markers.py)
    owned_as: str | None = None  # the tool's name in that mark (a renamed tab keeps it)


@dataclass
class _Meta:
    title: str
    locale: str
    timezone: str | None  # an IANA zone name (see usable_zone)
    tabs: list[_Tab]

    def find(self, name: str) -> _Tab | None:
        for tab in self.tabs:
            if tab.title == name:
                return tab
        return None
