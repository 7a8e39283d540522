"""openpyxl, in one place: writing a brand-new workbook (`salessheet init`). (Reading is
python-calamine's, see store.py; a sheet calamine refuses is read by careful.py, which unlike a
full openpyxl load costs memory in proportion to the values, never to the grid they span.)

A new file has nothing of the user's to lose, so openpyxl may write it whole. The file appears
atomically: it is saved to a temporary file in the same folder, flushed to disk, and linked
into place only if the name is still free — an existing file is never overwritten, and a crash
leaves no half-written workbook behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from salessheet.core.errors import SourceError, UsageError
from salessheet.core.files import fsync_dir
from salessheet.core.workbook_plan import CellValue, InitPlan, SheetPlan, Validation

LISTS_SHEET = "salessheet lists"  # hidden; holds dropdown values too long for an inline list
_INLINE_LIST_MAX = 255  # Excel's limit for an inline list formula, quotes included
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TH_FILL = PatternFill("solid", fgColor="DDEBF7")
_STYLES = {
    "title": Font(bold=True, size=14),
    "heading": Font(bold=True, size=12, color="1F4E79"),
    "th": Font(bold=True),
}


def refuse_existing(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise UsageError(
            f"{path}: the file already exists; salessheet init never overwrites a file",
            hint="choose a new file name, or move the existing file away first",
        )


def write_new_xlsx(plan: InitPlan, path: Path) -> None:
    """Create ``path`` from ``plan``. UsageError (exit 2) if it exists; nothing else is touched."""
    path = Path(path)
    refuse_existing(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(
            f"{path}: the folder {str(folder)!r} does not exist",
            hint="create the folder first, or give a path in an existing folder",
        )
    wb = build_workbook(plan)
    tmp = folder / f".~salessheet-init-{secrets.token_hex(6)}.xlsx"
    try:
        # like any new file: permissions from the umask (mkstemp would make it private)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise SourceError(f"{path}: cannot write in {str(folder)!r} ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            wb.save(fh)
            fh.flush()
            os.fsync(fh.fileno())
        _link_into_place(tmp, path)
    except OSError as exc:
        raise SourceError(f"{path}: cannot write the workbook ({exc.strerror or exc})") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(folder)


def _link_into_place(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the name ``path`` unless that name is taken (checked atomically by link)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        refuse_existing(path)
        raise
    except OSError:
        # no hard links on this file system: a plain rename, after one more check
        refuse_existing(path)
        os.replace(tmp, path)


def build_workbook(plan: InitPlan) -> Workbook:
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the empty sheet a new workbook starts with
    lists: list[list[str]] = []
    for sheet in plan.sheets:
        ws = wb.create_sheet(sheet.name)
        _fill(ws, sheet, lists)
    if lists:
        ws = wb.create_sheet(LISTS_SHEET)
        ws.sheet_state = "hidden"
        for c, values in enumerate(lists, start=1):
            for r, v in enumerate(values, start=1):
                ws.cell(r, c, v)
    wb.active = 0
    return wb


def _fill(ws: Worksheet, sheet: SheetPlan, lists: list[list[str]]) -> None:
    first = 1
    if sheet.has_header:
        ws.append(sheet.header)
        for cell in ws[1]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center")
        first = 2
    for r, row in enumerate(sheet.rows, start=first):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(r, c, _cell_value(value))
            col = sheet.columns[c - 1] if c <= len(sheet.columns) else None
            if col is not None and col.kind != "general":
                cell.number_format = col.number_format
    for i, col in enumerate(sheet.columns, start=1):
        dim = ws.column_dimensions[get_column_letter(i)]
        dim.width = col.width
        if sheet.has_header and col.kind != "general":
            dim.number_format = col.number_format  # applies to rows typed in later
    for r, style in sheet.styles.items():
        for cell in ws[r + first]:
            cell.font = _STYLES[style]
            if style == "th":
                cell.fill = _TH_FILL
    if sheet.freeze_header and sheet.has_header:
        ws.freeze_panes = "A2"
    if sheet.autofilter and sheet.has_header and sheet.columns:
        last = get_column_letter(len(sheet.columns))
        ws.auto_filter.ref = f"A1:{last}{1 + max(len(sheet.rows), 1)}"
    for v in sheet.validations:
        ws.add_data_validation(_validation(v, sheet, lists))


def _cell_value(value: CellValue) -> str | int | float | dt.date | None:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _clip(text: str, n: int) -> str | None:
    return (text[: n - 1] + "…" if len(text) > n else text) or None


def _list_formula(values: tuple[str, ...], lists: list[list[str]]) -> str:
    inline = '"' + ",".join(values) + '"'
    if len(inline) <= _INLINE_LIST_MAX and not any("," in v or '"' in v for v in values):
        return inline
    lists.append(list(values))
    col = get_column_letter(len(lists))
    return f"'{LISTS_SHEET}'!${col}$1:${col}${len(values)}"


def _validation(v: Validation, sheet: SheetPlan, lists: list[list[str]]) -> DataValidation:
    letter = get_column_letter(v.column)
    first = 2 if sheet.has_header else 1
    sqref = f"{letter}{first}:{letter}{first + sheet.data_rows - 1}"
    formula1: str | None = None
    formula2: str | None = None
    operator: Literal["between", "greaterThanOrEqual", "lessThanOrEqual"] | None = None
    if v.kind == "list":
        formula1 = _list_formula(v.values, lists)
    else:
        lo, hi = _bound(v.minimum), _bound(v.maximum)
        if lo is not None and hi is not None:
            formula1, formula2, operator = lo, hi, "between"
        elif lo is not None:
            formula1, operator = lo, "greaterThanOrEqual"
        elif hi is not None:
            formula1, operator = hi, "lessThanOrEqual"
    dv = DataValidation(
        type=v.kind,
        formula1=formula1,
        formula2=formula2,
        operator=operator,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=bool(v.prompt),
        errorStyle="stop" if v.strict else "warning",
        errorTitle=_clip(v.title, 32),
        error=_clip(v.error, 255),
        promptTitle=_clip(v.title, 32) if v.prompt else None,
        prompt=_clip(v.prompt, 255),
    )
    dv.add(sqref)
    return dv


def _bound(value: Decimal | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return f"DATE({value.year},{value.month},{value.day})"
    return str(value)
