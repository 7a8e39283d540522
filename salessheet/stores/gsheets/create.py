"""Drawing an InitPlan (salessheet init) on an empty Google Sheet: the batchUpdate requests
for headers, formats, widths, validations and styles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from salessheet.stores.gsheets.values import _EPOCH, to_api

_HEADER_BG = {"red": 0x1F / 255, "green": 0x4E / 255, "blue": 0x79 / 255}


_TH_BG = {"red": 0xDD / 255, "green": 0xEB / 255, "blue": 0xF7 / 255}


_NUMBER_FORMATS = {
    "date": {"type": "DATE", "pattern": "yyyy-mm-dd"},
    "money": {"type": "NUMBER", "pattern": "#,##0.00"},
    "percent": {"type": "PERCENT", "pattern": "0%"},
    "text": {"type": "TEXT", "pattern": "@"},
}


_STYLE_FORMATS: dict[str, dict[str, Any]] = {
    "title": {"textFormat": {"bold": True, "fontSize": 14}},
    "heading": {
        "textFormat": {
            "bold": True,
            "fontSize": 12,
            "foregroundColor": {"red": 0x1F / 255, "green": 0x4E / 255, "blue": 0x79 / 255},
        }
    },
    "th": {"textFormat": {"bold": True}, "backgroundColor": _TH_BG},
}


_MIN_INIT_COLS = 26


def _fresh_ids(taken: set[int], count: int) -> list[int]:
    """Sheet ids not in use, chosen by us so later requests of the same batch can name them."""
    ids: list[int] = []
    candidate = 1_000_001
    while len(ids) < count:
        if candidate not in taken:
            ids.append(candidate)
        candidate += 7919
    return ids


def _init_value(value: Any) -> Any:
    """Init writes dates as serial numbers: the column's date format shows them as dates."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return (value - _EPOCH).days
    return to_api(value)


def _grid_range(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }


def _condition_value(value: Decimal | dt.date) -> dict[str, str]:
    if isinstance(value, dt.date):
        return {"userEnteredValue": value.isoformat()}
    return {"userEnteredValue": str(value)}


def _validation_rule(v: Any) -> dict[str, Any]:
    if v.kind == "list":
        condition: dict[str, Any] = {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": str(x)} for x in v.values],
        }
    else:
        prefix = "DATE" if v.kind == "date" else "NUMBER"
        lo, hi = v.minimum, v.maximum
        if lo is not None and hi is not None:
            condition = {
                "type": f"{prefix}_BETWEEN",
                "values": [_condition_value(lo), _condition_value(hi)],
            }
        elif lo is not None:
            kind = "DATE_ON_OR_AFTER" if prefix == "DATE" else "NUMBER_GREATER_THAN_EQ"
            condition = {"type": kind, "values": [_condition_value(lo)]}
        elif hi is not None:
            kind = "DATE_ON_OR_BEFORE" if prefix == "DATE" else "NUMBER_LESS_THAN_EQ"
            condition = {"type": kind, "values": [_condition_value(hi)]}
        elif prefix == "DATE":
            condition = {"type": "DATE_IS_VALID"}
        else:
            condition = {
                "type": "NUMBER_BETWEEN",
                "values": [{"userEnteredValue": "-1E+15"}, {"userEnteredValue": "1E+15"}],
            }
    rule: dict[str, Any] = {
        "condition": condition,
        "strict": bool(v.strict),
        "showCustomUi": v.kind == "list",
    }
    if v.prompt:
        rule["inputMessage"] = v.prompt[:255]
    return rule


def _init_sheet_requests(sheet: Any, sheet_id: int, index: int) -> list[dict[str, Any]]:
    """spreadsheets.batchUpdate requests drawing one SheetPlan as a new tab."""
    first = 1 if sheet.has_header else 0  # 0-based index of the first data row
    ncols = max([len(sheet.columns)] + [len(r) for r in sheet.rows] + [1])
    nrows = max(first + sheet.data_rows, first + len(sheet.rows), 1)
    grid: dict[str, Any] = {"rowCount": nrows, "columnCount": max(ncols, _MIN_INIT_COLS)}
    if sheet.freeze_header and sheet.has_header:
        grid["frozenRowCount"] = 1
    out: list[dict[str, Any]] = [
        {
            "addSheet": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": sheet.name,
                    "index": index,
                    "gridProperties": grid,
                }
            }
        }
    ]
    if sheet.has_header and sheet.columns:
        out.append(
            {
                "repeatCell": {
                    "range": _grid_range(sheet_id, 0, 1, 0, len(sheet.columns)),
                    "cell": {
                        "userEnteredFormat": {
                            "backgroundColor": _HEADER_BG,
                            "horizontalAlignment": "CENTER",
                            "verticalAlignment": "MIDDLE",
                            "textFormat": {
                                "bold": True,
                                "foregroundColor": {"red": 1, "green": 1, "blue": 1},
                            },
                        }
                    },
                    "fields": "userEnteredFormat(backgroundColor,horizontalAlignment,"
                    "verticalAlignment,textFormat)",
                }
            }
        )
    for c, col in enumerate(sheet.columns):
        fmt = _NUMBER_FORMATS.get(col.kind)
        if fmt is not None and sheet.has_header:
            out.append(
                {
                    "repeatCell": {
                        "range": _grid_range(sheet_id, first, nrows, c, c + 1),
                        "cell": {"userEnteredFormat": {"numberFormat": fmt}},
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
        out.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": c,
                        "endIndex": c + 1,
                    },
                    "properties": {"pixelSize": int(round(col.width * 7 + 5))},
                    "fields": "pixelSize",
                }
            }
        )
    for r, style in sorted(sheet.styles.items()):
        out.append(
            {
                "repeatCell": {
                    "range": _grid_range(sheet_id, first + r, first + r + 1, 0, ncols),
                    "cell": {"userEnteredFormat": _STYLE_FORMATS[style]},
                    "fields": "userEnteredFormat(" + ",".join(sorted(_STYLE_FORMATS[style])) + ")",
                }
            }
        )
    if sheet.autofilter and sheet.has_header and sheet.columns:
        last = 1 + max(len(sheet.rows), 1)
        out.append(
            {
                "setBasicFilter": {
                    "filter": {"range": _grid_range(sheet_id, 0, last, 0, len(sheet.columns))}
                }
            }
        )
    for v in sheet.validations:
        out.append(
            {
                "setDataValidation": {
                    "range": _grid_range(
                        sheet_id, first, first + sheet.data_rows, v.column - 1, v.column
                    ),
                    "rule": _validation_rule(v),
                }
            }
        )
    return out
