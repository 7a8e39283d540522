"""A local fake of the Google Sheets v4 API (and the bit of Drive v3 gspread uses).

Built from the documented request and response shapes
(https://developers.google.com/sheets/api/reference/rest). It keeps state, checks the bearer
token, counts requests per endpoint and can inject 429/5xx answers, so the real gspread code
(pointed here through SALESSHEET_SHEETS_ENDPOINT) can be tested without Google.

Cells hold what Google holds: str, int/float, bool, datetime.date/datetime, ``Formula`` (entered
with USER_ENTERED) or ``SheetError`` (``#N/A``...). Behaviour mirrored from the real API:

* values.get/batchGet: valueRenderOption (FORMATTED_VALUE default, UNFORMATTED_VALUE, FORMULA),
  dateTimeRenderOption (SERIAL_NUMBER default, FORMATTED_STRING), majorDimension ROWS/COLUMNS;
  trailing empty cells and rows are trimmed and ``values`` is omitted for an empty range;
* writes: valueInputOption is required; RAW stores strings as typed (``=x`` stays text),
  USER_ENTERED parses numbers, booleans, ISO dates and formulas; ``null`` leaves a cell alone,
  ``""`` empties it; writing outside the grid is a 400 ("exceeds grid limits");
* spreadsheets.batchUpdate is atomic: every request is checked before any is applied;
* answers look like Google's (checked against real recorded traffic in
  tests/test_gsheets_recordings.py): ``application/json; charset=UTF-8``, pretty-printed UTF-8,
  the ``fields`` partial-response mask honoured, ``sheetId`` 0 left out of merge ranges,
  ``mergeType`` MERGE_ROWS/MERGE_COLUMNS, simple arithmetic formulas evaluated, an ISO date typed
  with USER_ENTERED shown as typed.

Developer metadata: created with ``createDeveloperMetadata`` located on a sheet, listed under
``sheets[].developerMetadata`` in the metadata (with ``locationType: SHEET``), deleted with the
sheet. Not modelled: cell formats beyond what init sets, ``defaultFormat``/``spreadsheetTheme``
in the metadata, formulas other than arithmetic on numbers.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
import operator
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

_EPOCH = dt.date(1899, 12, 30)
ERROR_CODES = ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!")


@dataclass(frozen=True)
class Formula:
    text: str
    value: Any = ""  # what the formula shows; the fake does not evaluate formulas


@dataclass(frozen=True)
class SheetError:
    code: str  # "#N/A", "#REF!", ...


class IsoDate(dt.date):
    """A date typed as ``2020-01-01`` with USER_ENTERED: Google keeps showing it that way
    (the cell gets a yyyy-mm-dd format); equal to the plain date."""


_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def evaluate(formula: str) -> Any:
    """What Google shows for a formula of numbers and + - * / (``=4/2`` -> 2); "" otherwise."""

    def walk(node: ast.AST) -> float | int:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError("not arithmetic")

    try:
        value = walk(ast.parse(formula.lstrip("="), mode="eval").body)
        if value != value or value in (float("inf"), float("-inf")):
            return SheetError("#NUM!")
        return _number(value)
    except ZeroDivisionError:
        return SheetError("#DIV/0!")
    except (SyntaxError, ValueError, TypeError):
        return ""


@dataclass
class RecordedRequest:
    endpoint: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _bad(message: str) -> ApiError:
    return ApiError(400, message, "INVALID_ARGUMENT")


# ---------------------------------------------------------------- A1 notation


def col_letters(col: int) -> str:
    """0-based column -> letters."""
    col += 1
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def quote_sheet(title: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+", title
    ):
        return title
    return "'" + title.replace("'", "''") + "'"


_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def split_range(text: str) -> tuple[str | None, str]:
    """Split "'My Sheet'!A1:B2" into ("My Sheet", "A1:B2"), and "A1:B2" into (None, "A1:B2")."""
    if text.startswith("'"):
        i, name = 1, ""
        while i < len(text):
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    name += "'"
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest and not rest.startswith("!"):
                    raise _bad(f"Unable to parse range: {text}")
                return name, rest[1:]
            name += text[i]
            i += 1
        raise _bad(f"Unable to parse range: {text}")
    if "!" in text:
        name, _, cells = text.partition("!")
        return name, cells
    return None, text


# ---------------------------------------------------------------- state


@dataclass
class FakeSheet:
    sheet_id: int
    title: str
    index: int
    hidden: bool = False
    row_count: int = 1000
    col_count: int = 26
    cells: dict[int, dict[int, Any]] = field(default_factory=dict)  # row -> col -> value, 0-based
    merges: list[dict[str, int]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    formats: list[dict[str, Any]] = field(default_factory=list)
    frozen_rows: int = 0
    column_pixels: dict[int, int] = field(default_factory=dict)  # 0-based column -> width
    basic_filter: dict[str, Any] | None = None
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)  # on the sheet

    # -- helpers for tests
    def set_rows(self, rows: list[list[Any]], top: int = 0) -> None:
        """Replace the content with ``rows`` (None/"" = empty), growing the grid if needed."""
        self.cells = {}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.put(top + r, c, value)
        self.row_count = max(self.row_count, top + len(rows))
        self.col_count = max(self.col_count, max((len(r) for r in rows), default=0))

    def put(self, row: int, col: int, value: Any) -> None:
        if value is None or value == "":
            self.cells.get(row, {}).pop(col, None)
            if row in self.cells and not self.cells[row]:
                del self.cells[row]
        else:
            self.cells.setdefault(row, {})[col] = value

    def get(self, a1: str) -> Any:
        m = _CELL.match(a1)
        assert m and m.group(1) and m.group(2), a1
        return self.cells.get(int(m.group(2)) - 1, {}).get(col_index(m.group(1)))

    def set(self, a1: str, value: Any) -> None:
        m = _CELL.match(a1)
        assert m and m.group(1) and m.group(2), a1
        self.put(int(m.group(2)) - 1, col_index(m.group(1)), value)

    def merge(self, a1_range: str) -> None:
        top, left, bottom, right = parse_cells(a1_range, self)
        self.merges.append(
            {
                "sheetId": self.sheet_id,
                "startRowIndex": top,
                "endRowIndex": bottom + 1,
                "startColumnIndex": left,
                "endColumnIndex": right + 1,
            }
        )

    def extent(self) -> tuple[int, int]:
        """(rows, cols) of the used area from A1."""
        rows = max(self.cells, default=-1) + 1
        cols = max((max(c) for c in self.cells.values() if c), default=-1) + 1
        return rows, cols

    def grid(self) -> list[list[Any]]:
        """The stored values from A1 as a rectangle (None = empty)."""
        rows, cols = self.extent()
        return [[self.cells.get(r, {}).get(c) for c in range(cols)] for r in range(rows)]

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.row_count, "columnCount": self.col_count},
        }
        if self.frozen_rows:
            props["gridProperties"]["frozenRowCount"] = self.frozen_rows
        if self.hidden:
            props["hidden"] = True
        return props


def parse_cells(cells: str, sheet: FakeSheet) -> tuple[int, int, int, int]:
    """A1 cells part (may be empty) -> 0-based inclusive (top, left, bottom, right), unclamped."""
    if not cells:
        return 0, 0, sheet.row_count - 1, sheet.col_count - 1
    first, _, second = cells.partition(":")
    m1, m2 = _CELL.match(first), _CELL.match(second or first)
    if not m1 or not m2 or not (m1.group(0) and m2.group(0)):
        raise _bad(f"Unable to parse range: {quote_sheet(sheet.title)}!{cells}")
    c1, r1, c2, r2 = m1.group(1), m1.group(2), m2.group(1), m2.group(2)
    left = col_index(c1) if c1 else 0
    right = col_index(c2) if c2 else sheet.col_count - 1
    top = int(r1) - 1 if r1 else 0
    bottom = int(r2) - 1 if r2 else sheet.row_count - 1
    if (r1 and int(r1) < 1) or (r2 and int(r2) < 1):
        raise _bad(f"Unable to parse range: {quote_sheet(sheet.title)}!{cells}")
    if not c1 and not r1:
        raise _bad(f"Unable to parse range: {quote_sheet(sheet.title)}!{cells}")
    return min(top, bottom), min(left, right), max(top, bottom), max(left, right)


def a1_of(sheet: FakeSheet, top: int, left: int, bottom: int, right: int) -> str:
    start = f"{col_letters(left)}{top + 1}"
    end = f"{col_letters(right)}{bottom + 1}"
    cells = start if start == end else f"{start}:{end}"
    return f"{quote_sheet(sheet.title)}!{cells}"


@dataclass
class FakeSpreadsheet:
    key: str
    title: str = "Pipeline"
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    shared: bool = True
    read_only: bool = False  # shared as Viewer: reads work, writes get 403
    sheets: list[FakeSheet] = field(default_factory=list)
    _next_id: int = 0
    _next_metadata_id: int = 1

    def add_sheet(
        self,
        title: str,
        rows: list[list[Any]] | None = None,
        *,
        hidden: bool = False,
        row_count: int = 1000,
        col_count: int = 26,
        sheet_id: int | None = None,
        index: int | None = None,
    ) -> FakeSheet:
        if sheet_id is None:
            sheet_id = self._next_id
        self._next_id = max(self._next_id, sheet_id) + 1
        sheet = FakeSheet(sheet_id, title, len(self.sheets), hidden, row_count, col_count)
        if index is None or index >= len(self.sheets):
            self.sheets.append(sheet)
        else:
            self.sheets.insert(index, sheet)
        for i, s in enumerate(self.sheets):
            s.index = i
        if rows:
            sheet.set_rows(rows)
        return sheet

    def sheet(self, title: str) -> FakeSheet:
        for s in self.sheets:
            if s.title == title:
                return s
        for s in self.sheets:
            if s.title.casefold() == title.casefold():
                return s
        raise KeyError(title)

    def sheet_by_id(self, sheet_id: int) -> FakeSheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise _bad(f"No grid with id: {sheet_id}")

    def metadata(self) -> dict[str, Any]:
        sheets = []
        for s in self.sheets:
            entry: dict[str, Any] = {"properties": s.properties()}
            if s.merges:
                entry["merges"] = [_grid_range_json(m) for m in s.merges]
            if s.developer_metadata:
                entry["developerMetadata"] = [dict(m) for m in s.developer_metadata]
            sheets.append(entry)
        return {
            "spreadsheetId": self.key,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit",
        }

    def resolve(self, text: str) -> tuple[FakeSheet, tuple[int, int, int, int]]:
        name, cells = split_range(text)
        if name is None:
            try:  # a bare sheet name is a range too
                sheet = self._sheet_or_400(text, text)
                return sheet, parse_cells("", sheet)
            except ApiError:
                if not self.sheets:
                    raise
                sheet = self.sheets[0]
                return sheet, parse_cells(cells, sheet)
        sheet = self._sheet_or_400(name, text)
        return sheet, parse_cells(cells, sheet)

    def _sheet_or_400(self, name: str, text: str) -> FakeSheet:
        try:
            return self.sheet(name)
        except KeyError:
            raise _bad(f"Unable to parse range: {text}") from None


def _grid_range_json(grid_range: dict[str, int]) -> dict[str, int]:
    """A GridRange as Google writes it: ``sheetId`` 0 is a proto3 default and left out."""
    out = dict(grid_range)
    if out.get("sheetId") == 0:
        del out["sheetId"]
    return out


# ---------------------------------------------------------------- partial responses (fields)


_FIELD_NAME = re.compile(r"[A-Za-z0-9_*@]+")


def parse_fields(text: str) -> dict[str, Any]:
    """A ``fields`` mask (``a,b(c,d/e),f.g``) -> {name: sub-mask, or None for the whole field}."""
    text = text.replace(" ", "")
    tree, pos = _field_list(text, 0)
    if pos != len(text):
        raise _bad(f"Invalid field selection {text}")
    return tree


def _field_list(text: str, pos: int) -> tuple[dict[str, Any], int]:
    tree: dict[str, Any] = {}
    while True:
        pos = _field_path(text, pos, tree)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return tree, pos


def _field_path(text: str, pos: int, tree: dict[str, Any]) -> int:
    match = _FIELD_NAME.match(text, pos)
    if not match:
        raise _bad(f"Invalid field selection {text}")
    name, pos = match.group(0), match.end()
    if pos < len(text) and text[pos] in "/.(":
        if name in tree and tree[name] is None:  # already selected whole
            sub: dict[str, Any] = {}
        else:
            sub = tree.setdefault(name, {})
        if text[pos] == "(":
            inner, pos = _field_list(text, pos + 1)
            if pos >= len(text) or text[pos] != ")":
                raise _bad(f"Invalid field selection {text}")
            sub.update(inner)
            return pos + 1
        return _field_path(text, pos + 1, sub)
    tree[name] = None
    return pos


def apply_fields(value: Any, mask: dict[str, Any] | None) -> Any:
    """Keep only what the mask selects, as Google does for the ``fields`` parameter."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_fields(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: apply_fields(v, mask[k]) for k, v in value.items() if k in mask}
    return value


# ---------------------------------------------------------------- rendering


def _number(value: float | int) -> float | int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def serial(value: dt.date) -> float | int:
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime(1899, 12, 30, tzinfo=value.tzinfo)
        return _number(delta.days + delta.seconds / 86400)
    return (value - _EPOCH).days


def _format_date(value: dt.date, locale: str) -> str:
    if locale == "en_US" and not isinstance(value, IsoDate):
        text = f"{value.month}/{value.day}/{value.year}"
    else:
        text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, dt.datetime):
        text += f" {value.hour}:{value.minute:02d}:{value.second:02d}"
    return text


def render(value: Any, value_opt: str, date_opt: str, locale: str) -> Any:
    if isinstance(value, Formula):
        if value_opt == "FORMULA":
            return value.text
        value = value.value
    if isinstance(value, SheetError):
        return value.code
    if isinstance(value, bool):
        return value if value_opt != "FORMATTED_VALUE" else ("TRUE" if value else "FALSE")
    if isinstance(value, dt.date):
        if value_opt == "FORMATTED_VALUE" or date_opt == "FORMATTED_STRING":
            return _format_date(value, locale)
        return serial(value)
    if isinstance(value, int | float):
        if value_opt == "FORMATTED_VALUE":
            return str(_number(value))
        return _number(value)
    return value


def _parse_user_entered(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith("'"):
        return value[1:]
    if value.startswith("="):
        return Formula(value, evaluate(value))
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    if value in ERROR_CODES:
        return SheetError(value)
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value.strip()):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return IsoDate.fromisoformat(value)
        except ValueError:
            return value
    return value


_CONDITION_ARITY = {
    "ONE_OF_LIST": None,  # one or more
    "DATE_IS_VALID": 0,
    "DATE_BETWEEN": 2,
    "DATE_ON_OR_AFTER": 1,
    "DATE_ON_OR_BEFORE": 1,
    "NUMBER_BETWEEN": 2,
    "NUMBER_GREATER_THAN_EQ": 1,
    "NUMBER_LESS_THAN_EQ": 1,
    "TEXT_CONTAINS": 1,
    "CUSTOM_FORMULA": 1,
}


def _check_rule(rule: Any, i: int) -> None:
    """A DataValidationRule as the API checks it (for the condition types the fake knows)."""
    where = f"Invalid requests[{i}].setDataValidation"
    if not isinstance(rule, dict) or "condition" not in rule:
        raise _bad(f"{where}: rule.condition is required")
    condition = rule["condition"]
    kind = condition.get("type")
    if kind not in _CONDITION_ARITY:
        raise _bad(f"{where}: unknown condition type {kind!r} (not in the fake)")
    values = condition.get("values", [])
    arity = _CONDITION_ARITY[kind]
    if (arity is None and not values) or (arity is not None and len(values) != arity):
        raise _bad(f"{where}: {kind} takes {arity if arity is not None else '1+'} values")
    if any("userEnteredValue" not in v for v in values):
        raise _bad(f"{where}: each condition value needs userEnteredValue")


def _mask_paths(fields: str) -> list[str]:
    """A FieldMask as paths; Google takes ``a/b`` (gspread sends it) as well as ``a.b``."""
    return [f.strip().replace("/", ".") for f in fields.split(",") if f.strip()]


def _box(grid_range: dict[str, int], sheet: FakeSheet) -> tuple[int, int, int, int]:
    """A GridRange -> 0-based inclusive (top, left, bottom, right); open ends reach the edge."""
    return (
        grid_range.get("startRowIndex", 0),
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endRowIndex", sheet.row_count) - 1,
        grid_range.get("endColumnIndex", sheet.col_count) - 1,
    )


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _within(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return b[0] <= a[0] and a[2] <= b[2] and b[1] <= a[1] and a[3] <= b[3]


# ---------------------------------------------------------------- the server


# what Google's front end sends with every JSON answer (besides Date, Server and the length)
GOOGLE_HEADERS = {
    "Vary": "Origin, X-Origin, Referer",
    "Cache-Control": "private",
    "X-XSS-Protection": "0",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
}
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON answer as Google sends it: UTF-8 (not \\u escapes), two-space indent, newline."""
    body = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    response = Response(body.encode("utf-8"), status, content_type=JSON_CONTENT_TYPE)
    response.headers.update(GOOGLE_HEADERS)
    return response


class _QuietHandler(WSGIRequestHandler):
    def log(self, *args: Any, **kwargs: Any) -> None:  # no access log on the test output
        pass


class FakeSheets:
    """The fake API. Use as a context manager or call ``start()``/``stop()``.

    >>> with FakeSheets(token="t") as api:
    ...     book = api.add_spreadsheet("KEY")
    ...     book.add_sheet("Pipeline", [["ID", "Stage"], ["D-1", "lead"]])
    """

    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.counts: Counter[str] = Counter()
        self.log: list[RecordedRequest] = []
        self.lock = threading.RLock()
        self._faults: deque[tuple[int, str | None, bool]] = deque()
        self._always: tuple[int, str | None] | None = None
        self.retry_after: str | None = None  # Retry-After header on injected 429/503 answers
        self._server = None
        self._thread: threading.Thread | None = None
        self.drive_files: dict[str, dict[str, str]] = {}
        # the OAuth token endpoint (POST /token), for credentials whose token_uri points here
        self.token_reply: tuple[int, dict[str, Any]] = (
            200,
            {"access_token": self.token, "expires_in": 3599, "token_type": "Bearer"},
        )

    # -- lifecycle
    def start(self) -> FakeSheets:
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSheets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_port}/"

    def env(self, token: str | None = None) -> dict[str, str]:
        """Environment variables pointing the store here."""
        return {
            "SALESSHEET_SHEETS_ENDPOINT": self.url,
            "SALESSHEET_SHEETS_TOKEN": self.token if token is None else token,
        }

    # -- state and faults
    def add_spreadsheet(self, key: str, title: str = "Pipeline", **kwargs: Any) -> FakeSpreadsheet:
        book = FakeSpreadsheet(key, title, **kwargs)
        with self.lock:
            self.spreadsheets[key] = book
            self.drive_files[key] = {
                "id": key,
                "name": title,
                "createdTime": "2026-01-01T00:00:00.000Z",
                "modifiedTime": "2026-01-01T00:00:00.000Z",
            }
        return book

    def inject(
        self, *statuses: int, endpoint: str | None = None, after_apply: bool = False
    ) -> None:
        """The next matching requests get these statuses, in order (then normal service).

        With ``after_apply`` the request is carried out first and only its answer is lost,
        as when a connection drops after the server acted.
        """
        with self.lock:
            self._faults.extend((s, endpoint, after_apply) for s in statuses)

    def fail_always(self, status: int | None, endpoint: str | None = None) -> None:
        """Every matching request gets ``status`` until called again with None."""
        with self.lock:
            self._always = None if status is None else (status, endpoint)

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.log.clear()

    def total(self) -> int:
        return sum(self.counts.values())

    # -- WSGI
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
        raw_path = raw.split("?", 1)[0]
        query = parse_qs(request.query_string.decode(), keep_blank_values=True)
        body = request.get_json(silent=True) if request.data else None
        if raw_path == "/token" and request.method == "POST":
            with self.lock:
                self.counts["oauth.token"] += 1
                self.log.append(RecordedRequest("oauth.token", "POST", raw_path, {}, None))
                status, payload = self.token_reply
            return json_response(payload, status)(environ, start_response)
        try:
            endpoint, handler, args = self._route(request.method, raw_path)
        except ApiError as err:
            return self._error(err)(environ, start_response)
        with self.lock:
            self.counts[endpoint] += 1
            self.log.append(RecordedRequest(endpoint, request.method, raw_path, query, body))
            try:
                after = self._check_faults(endpoint)
                self._check_auth(request)
                result = handler(*args, query=query, body=body)
                if after is not None:
                    raise after
                if query.get("fields"):  # the partial-response mask every Google API takes
                    result = apply_fields(result, parse_fields(query["fields"][-1]))
                response = json_response(result)
            except ApiError as err:
                response = self._error(err)
        return response(environ, start_response)

    def _error(self, err: ApiError) -> Response:
        payload = {"error": {"code": err.code, "message": err.message, "status": err.status}}
        response = json_response(payload, err.code)
        if self.retry_after is not None and err.code in (429, 503):
            response.headers["Retry-After"] = self.retry_after
        return response

    def _check_faults(self, endpoint: str) -> ApiError | None:
        """Raise an injected failure now, or return one to raise after the request is applied."""
        status, after = None, False
        if self._faults and self._faults[0][1] in (None, endpoint):
            status, _, after = self._faults.popleft()
        elif self._always and self._always[1] in (None, endpoint):
            status = self._always[0]
        if status is None:
            return None
        reasons = {
            429: (
                "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per"
                " minute per user' of service 'sheets.googleapis.com'",
                "RESOURCE_EXHAUSTED",
            ),
            500: ("Internal error encountered.", "INTERNAL"),
            502: ("Bad gateway.", "UNAVAILABLE"),
            503: ("The service is currently unavailable.", "UNAVAILABLE"),
            504: ("The request timed out.", "DEADLINE_EXCEEDED"),
        }
        message, code = reasons.get(status, ("Injected failure.", "UNKNOWN"))
        if after:
            return ApiError(status, message, code)
        raise ApiError(status, message, code)

    def _check_auth(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header:
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access"
                " token, login cookie or other valid authentication credential.",
                "UNAUTHENTICATED",
            )
        if header != f"Bearer {self.token}":
            raise ApiError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token,"
                " login cookie or other valid authentication credential.",
                "UNAUTHENTICATED",
            )

    def _route(self, method: str, path: str) -> tuple[str, Any, tuple[Any, ...]]:
        if path.startswith("/drive/v3/files"):
            rest = path[len("/drive/v3/files") :].strip("/")
            if not rest and method == "GET":
                return "drive.files.list", self._drive_list, ()
            if not rest and method == "POST":
                return "drive.files.create", self._drive_create, ()
            if rest and "/" not in rest and method == "GET":
                return "drive.files.get", self._drive_get, (unquote(rest),)
            raise ApiError(404, "Not Found", "NOT_FOUND")
        if path.rstrip("/") == "/v4/spreadsheets" and method == "POST":
            return "spreadsheets.create", self._create, ()
        if not path.startswith("/v4/spreadsheets/"):
            raise ApiError(404, f"Not Found: {path}", "NOT_FOUND")
        rest = path[len("/v4/spreadsheets/") :]
        key, _, tail = rest.partition("/")
        if not tail:
            if key.endswith(":batchUpdate") and method == "POST":
                return "spreadsheets.batchUpdate", self._batch_update, (key[:-12],)
            if method == "GET":
                return "spreadsheets.get", self._get, (unquote(key),)
        elif tail == "values:batchGet" and method == "GET":
            return "values.batchGet", self._values_batch_get, (key,)
        elif tail == "values:batchUpdate" and method == "POST":
            return "values.batchUpdate", self._values_batch_update, (key,)
        elif tail == "values:batchClear" and method == "POST":
            return "values.batchClear", self._values_batch_clear, (key,)
        elif tail.startswith("values/"):
            rng = tail[len("values/") :]
            if rng.endswith(":append") and method == "POST":
                return "values.append", self._values_append, (key, unquote(rng[:-7]))
            if rng.endswith(":clear") and method == "POST":
                return "values.clear", self._values_clear, (key, unquote(rng[:-6]))
            if method == "GET":
                return "values.get", self._values_get, (key, unquote(rng))
            if method == "PUT":
                return "values.update", self._values_update, (key, unquote(rng))
        raise ApiError(404, f"Not Found: {method} {path}", "NOT_FOUND")

    # -- helpers
    def _book(self, key: str, write: bool = False) -> FakeSpreadsheet:
        book = self.spreadsheets.get(key)
        if book is None:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        if not book.shared or (write and book.read_only):
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        return book

    @staticmethod
    def _opt(query: dict[str, list[str]], name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = query.get(name, [default])[-1] or default
        if value not in allowed:
            raise _bad(f"Invalid value at '{name}' ({value})")
        return value

    def _read_range(
        self, book: FakeSpreadsheet, text: str, query: dict[str, list[str]]
    ) -> dict[str, Any]:
        value_opt = self._opt(
            query,
            "valueRenderOption",
            "FORMATTED_VALUE",
            ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"),
        )
        date_opt = self._opt(
            query, "dateTimeRenderOption", "SERIAL_NUMBER", ("SERIAL_NUMBER", "FORMATTED_STRING")
        )
        major = self._opt(query, "majorDimension", "ROWS", ("ROWS", "COLUMNS"))
        sheet, (top, left, bottom, right) = book.resolve(text)
        bottom = min(bottom, sheet.row_count - 1)
        right = min(right, sheet.col_count - 1)
        grid: list[list[Any]] = []
        for r in range(top, bottom + 1):
            row_cells = sheet.cells.get(r, {})
            row = [
                render(row_cells[c], value_opt, date_opt, book.locale) if c in row_cells else ""
                for c in range(left, right + 1)
            ]
            grid.append(row)
        if major == "COLUMNS":
            grid = [list(col) for col in zip(*grid, strict=False)] if grid else []
        # trim like Google: trailing empty cells of each row, then trailing empty rows
        for row in grid:
            while row and row[-1] == "":
                row.pop()
        while grid and not grid[-1]:
            grid.pop()
        out: dict[str, Any] = {
            "range": a1_of(sheet, top, left, bottom, right),
            "majorDimension": major,
        }
        if grid:
            out["values"] = grid
        return out

    def _write_range(
        self,
        book: FakeSpreadsheet,
        text: str,
        values: list[list[Any]],
        option: str | None,
        major: str = "ROWS",
        grow: bool = False,
        origin: tuple[int, int] | None = None,
    ) -> tuple[dict[str, Any], list[tuple[FakeSheet, int, int, Any]]]:
        """Check a write and return (response, cell changes); nothing is applied here."""
        if option not in ("RAW", "USER_ENTERED"):
            raise _bad("'valueInputOption' is required but not specified")
        sheet, (top, left, bottom, right) = book.resolve(text)
        if origin is not None:
            top, left = origin
        if major == "COLUMNS":
            width = max(len(values), 0)
            height = max((len(c) for c in values), default=0)
            rows = [[col[r] if r < len(col) else None for col in values] for r in range(height)]
        else:
            rows = values
            height = len(rows)
            width = max((len(r) for r in rows), default=0)
        if height == 0:
            return {"spreadsheetId": book.key, "updatedRange": text}, []
        last_row, last_col = top + height - 1, left + width - 1
        if origin is None and (last_row > bottom or last_col > right) and ":" in text:
            raise _bad(
                f"Requested writing within range [{text}], but tried writing to"
                f" {'row' if last_row > bottom else 'column'}"
                f" [{last_row + 1 if last_row > bottom else col_letters(last_col)}]"
            )
        if not grow and (last_row >= sheet.row_count or last_col >= sheet.col_count):
            raise _bad(
                f"Range ({a1_of(sheet, top, left, last_row, last_col)}) exceeds grid limits."
                f" Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
            )
        changes = []
        cells = 0
        touched_rows, touched_cols = set(), set()
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dict | list):
                    raise _bad(f"Invalid values[{r}][{c}]: list_value")
                stored = _parse_user_entered(value) if option == "USER_ENTERED" else value
                changes.append((sheet, top + r, left + c, stored))
                cells += 1
                touched_rows.add(r)
                touched_cols.add(c)
        response = {
            "spreadsheetId": book.key,
            "updatedRange": a1_of(sheet, top, left, last_row, last_col),
            "updatedRows": len(touched_rows),
            "updatedColumns": len(touched_cols),
            "updatedCells": cells,
        }
        return response, changes

    @staticmethod
    def _apply(changes: list[tuple[FakeSheet, int, int, Any]]) -> None:
        for sheet, r, c, value in changes:
            sheet.row_count = max(sheet.row_count, r + 1)
            sheet.col_count = max(sheet.col_count, c + 1)
            sheet.put(r, c, value)

    # -- Sheets endpoints
    def _get(self, key: str, *, query: Any, body: Any) -> dict[str, Any]:
        return self._book(key).metadata()

    def _create(self, *, query: Any, body: Any) -> dict[str, Any]:
        body = body or {}
        key = f"fake{len(self.spreadsheets) + 1:04d}"
        props = body.get("properties", {})
        book = self.add_spreadsheet(key, props.get("title", "Untitled spreadsheet"))
        for s in body.get("sheets") or [{"properties": {"title": "Sheet1"}}]:
            book.add_sheet(s.get("properties", {}).get("title", f"Sheet{len(book.sheets) + 1}"))
        return book.metadata()

    def _values_get(self, key: str, rng: str, *, query: Any, body: Any) -> dict[str, Any]:
        return self._read_range(self._book(key), rng, query)

    def _values_batch_get(self, key: str, *, query: Any, body: Any) -> dict[str, Any]:
        book = self._book(key)
        ranges = query.get("ranges", [])
        return {
            "spreadsheetId": book.key,
            "valueRanges": [self._read_range(book, r, query) for r in ranges],
        }

    def _values_update(self, key: str, rng: str, *, query: Any, body: Any) -> dict[str, Any]:
        book = self._book(key, write=True)
        body = body or {}
        option = query.get("valueInputOption", [None])[-1]
        response, changes = self._write_range(
            book, rng, body.get("values", []), option, body.get("majorDimension", "ROWS")
        )
        self._apply(changes)
        return response

    def _values_batch_update(self, key: str, *, query: Any, body: Any) -> dict[str, Any]:
        book = self._book(key, write=True)
        body = body or {}
        option = body.get("valueInputOption")
        responses, changes = [], []
        for item in body.get("data", []):
            response, more = self._write_range(
                book,
                item["range"],
                item.get("values", []),
                option,
                item.get("majorDimension", "ROWS"),
            )
            responses.append(response)
            changes += more
        self._apply(changes)  # all or nothing, like Google
        return {
            "spreadsheetId": book.key,
            "totalUpdatedRows": len({(s.sheet_id, r) for s, r, _, _ in changes}),
            "totalUpdatedColumns": len({(s.sheet_id, c) for s, _, c, _ in changes}),
            "totalUpdatedCells": len(changes),
            "totalUpdatedSheets": len({s.sheet_id for s, _, _, _ in changes}),
            "responses": responses,
        }

    def _values_append(self, key: str, rng: str, *, query: Any, body: Any) -> dict[str, Any]:
        book = self._book(key, write=True)
        body = body or {}
        option = query.get("valueInputOption", [None])[-1]
        sheet, (top, left, bottom, right) = book.resolve(rng)
        used = [r for r, cols in sheet.cells.items() if any(left <= c <= right for c in cols)]
        start = max(max(used, default=top - 1) + 1, top)
        insert = query.get("insertDataOption", ["OVERWRITE"])[-1]
        values = body.get("values", [])
        if insert == "INSERT_ROWS":
            shifted: dict[int, dict[int, Any]] = {}
            for r, cols in sheet.cells.items():
                shifted[r + len(values) if r >= start else r] = cols
            sheet.cells = shifted
        response, changes = self._write_range(
            book,
            rng,
            values,
            option,
            body.get("majorDimension", "ROWS"),
            grow=True,
            origin=(start, left),
        )
        self._apply(changes)
        table_bottom = max(start - 1, top)
        return {
            "spreadsheetId": book.key,
            "tableRange": a1_of(sheet, top, left, table_bottom, right if right < 10**6 else left),
            "updates": response,
        }

    def _values_clear(self, key: str, rng: str, *, query: Any, body: Any) -> dict[str, Any]:
        book = self._book(key, write=True)
        return {"spreadsheetId": book.key, "clearedRange": self._clear(book, rng)}

    def _values_batch_clear(self, key: str, *, query: Any, body: Any) -> dict[str, Any]:
        book = self._book(key, write=True)
        ranges = (body or {}).get("ranges", [])
        return {"spreadsheetId": book.key, "clearedRanges": [self._clear(book, r) for r in ranges]}

    @staticmethod
    def _clear(book: FakeSpreadsheet, rng: str) -> str:
        sheet, (top, left, bottom, right) = book.resolve(rng)
        bottom, right = min(bottom, sheet.row_count - 1), min(right, sheet.col_count - 1)
        for r in list(sheet.cells):
            if top <= r <= bottom:
                for c in list(sheet.cells[r]):
                    if left <= c <= right:
                        sheet.put(r, c, None)
        return a1_of(sheet, top, left, bottom, right)

    def _batch_update(self, key: str, *, query: Any, body: Any) -> dict[str, Any]:
        book = self._book(key, write=True)
        requests = (body or {}).get("requests", [])
        if not requests:
            raise _bad("Must specify at least one request.")
        # validate everything on a scratch copy first: the real call is atomic
        scratch = FakeSpreadsheet(book.key, book.title, book.locale, book.time_zone)
        scratch._next_id = book._next_id
        scratch.sheets = [
            dataclasses.replace(
                s,
                cells={},
                merges=[dict(m) for m in s.merges],
                validations=[],
                formats=[],
                developer_metadata=[dict(m) for m in s.developer_metadata],
            )
            for s in book.sheets
        ]
        scratch._next_metadata_id = book._next_metadata_id
        for i, req in enumerate(requests):
            self._apply_request(scratch, req, i)
        replies = [self._apply_request(book, req, i) for i, req in enumerate(requests)]
        return {"spreadsheetId": book.key, "replies": replies}

    def _apply_request(self, book: FakeSpreadsheet, req: dict[str, Any], i: int) -> dict[str, Any]:
        if len(req) != 1:
            raise _bad(f"Invalid requests[{i}]: exactly one request kind per entry")
        kind, arg = next(iter(req.items()))
        if kind == "addSheet":
            props = arg.get("properties", {})
            title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
            if any(s.title.casefold() == title.casefold() for s in book.sheets):
                raise _bad(
                    f'Invalid requests[{i}].addSheet: A sheet with the name "{title}" already'
                    " exists. Please enter another name."
                )
            grid = props.get("gridProperties", {})
            if "sheetId" in props and any(s.sheet_id == props["sheetId"] for s in book.sheets):
                raise _bad(
                    f"Invalid requests[{i}].addSheet: A sheet with the id {props['sheetId']}"
                    " already exists."
                )
            sheet = book.add_sheet(
                title,
                hidden=bool(props.get("hidden", False)),
                row_count=int(grid.get("rowCount", 1000)),
                col_count=int(grid.get("columnCount", 26)),
                sheet_id=props.get("sheetId"),
                index=props.get("index"),
            )
            sheet.frozen_rows = int(grid.get("frozenRowCount", 0))
            return {"addSheet": {"properties": sheet.properties()}}
        if kind == "deleteSheet":
            sheet = book.sheet_by_id(arg["sheetId"])
            book.sheets.remove(sheet)
            for n, s in enumerate(book.sheets):
                s.index = n
            return {}
        if kind == "updateSheetProperties":
            props = arg.get("properties", {})
            sheet = book.sheet_by_id(props.get("sheetId", 0))
            fields = _mask_paths(arg.get("fields", ""))
            if not fields:
                raise _bad(f"Invalid requests[{i}].updateSheetProperties: fields is required")
            known = {"title", "hidden", "index", "gridProperties", "*"}
            known |= {f"gridProperties.{k}" for k in ("rowCount", "columnCount", "frozenRowCount")}
            unknown = sorted(set(fields) - known)
            if unknown:
                raise _bad(
                    f"Invalid requests[{i}].updateSheetProperties: field {unknown[0]!r}"
                    " (not in the fake)"
                )
            grid = props.get("gridProperties", {})
            for f in fields:
                if f in ("title", "*"):
                    sheet.title = props.get("title", sheet.title)
                if f in ("hidden", "*"):
                    sheet.hidden = bool(props.get("hidden", False))
                if f in ("gridProperties.rowCount", "gridProperties", "*"):
                    sheet.row_count = int(grid.get("rowCount", sheet.row_count))
                if f in ("gridProperties.columnCount", "gridProperties", "*"):
                    sheet.col_count = int(grid.get("columnCount", sheet.col_count))
                if f in ("gridProperties.frozenRowCount", "gridProperties", "*"):
                    sheet.frozen_rows = int(grid.get("frozenRowCount", 0))
            return {}
        if kind == "updateSpreadsheetProperties":
            props = arg.get("properties", {})
            for f in _mask_paths(arg.get("fields", "")):
                if f in ("title", "*"):
                    book.title = props.get("title", book.title)
                if f in ("locale", "*"):
                    book.locale = props.get("locale", book.locale)
                if f in ("timeZone", "*"):
                    book.time_zone = props.get("timeZone", book.time_zone)
            return {}
        if kind == "appendDimension":
            sheet = book.sheet_by_id(arg["sheetId"])
            if arg.get("dimension") == "COLUMNS":
                sheet.col_count += int(arg["length"])
            else:
                sheet.row_count += int(arg["length"])
            return {}
        if kind == "updateDimensionProperties":
            rng = arg.get("range", {})
            sheet = book.sheet_by_id(rng.get("sheetId", 0))
            if arg.get("fields") != "pixelSize" or "pixelSize" not in arg.get("properties", {}):
                raise _bad(f"Invalid requests[{i}].updateDimensionProperties: fields/properties")
            if rng.get("dimension") == "COLUMNS":
                for c in range(rng.get("startIndex", 0), rng.get("endIndex", sheet.col_count)):
                    sheet.column_pixels[c] = int(arg["properties"]["pixelSize"])
            return {}
        if kind == "setBasicFilter":
            rng = (arg.get("filter") or {}).get("range")
            if not rng:
                raise _bad(f"Invalid requests[{i}].setBasicFilter: filter.range is required")
            book.sheet_by_id(rng.get("sheetId", 0)).basic_filter = dict(rng)
            return {}
        if kind in ("mergeCells", "unmergeCells"):
            grid_range = arg.get("range", {})
            sheet = book.sheet_by_id(grid_range.get("sheetId", 0))
            box = _box(grid_range, sheet)
            inside = [m for m in sheet.merges if _overlap(_box(m, sheet), box)]
            if kind == "unmergeCells":
                for m in inside:
                    sheet.merges.remove(m)
                return {}
            merge_type = arg.get("mergeType", "MERGE_ALL")
            if merge_type not in ("MERGE_ALL", "MERGE_ROWS", "MERGE_COLUMNS"):
                raise _bad(f"Invalid requests[{i}].mergeCells: mergeType {merge_type!r}")
            if any(not _within(_box(m, sheet), box) for m in inside):
                raise _bad(
                    f"Invalid requests[{i}].mergeCells: the range partly overlaps a merge"
                    " (the fake refuses it)"
                )
            for m in inside:  # a merge over merges replaces them (recorded: MERGE_ALL)
                sheet.merges.remove(m)
            top, left, bottom, right = box
            if merge_type == "MERGE_ROWS":
                parts = [(r, left, r, right) for r in range(top, bottom + 1)]
            elif merge_type == "MERGE_COLUMNS":
                parts = [(top, c, bottom, c) for c in range(left, right + 1)]
            else:
                parts = [box]
            for t, lft, b, rgt in parts:
                sheet.merges.append(
                    {
                        "sheetId": sheet.sheet_id,
                        "startRowIndex": t,
                        "endRowIndex": b + 1,
                        "startColumnIndex": lft,
                        "endColumnIndex": rgt + 1,
                    }
                )
            return {}
        if kind in ("setDataValidation", "repeatCell"):
            grid_range = arg.get("range", {})
            sheet = book.sheet_by_id(grid_range.get("sheetId", 0))
            if kind == "setDataValidation":
                _check_rule(arg.get("rule"), i)
                sheet.validations.append({"range": grid_range, "rule": arg.get("rule")})
            else:
                if not arg.get("fields"):
                    raise _bad(f"Invalid requests[{i}].repeatCell: fields is required")
                sheet.formats.append(
                    {"range": grid_range, "cell": arg.get("cell"), "fields": arg["fields"]}
                )
            return {}
        if kind == "createDeveloperMetadata":
            return self._create_metadata(book, arg, i)
        if kind in ("autoResizeDimensions", "addProtectedRange"):
            return {}
        raise _bad(f"Invalid requests[{i}]: unknown request kind {kind!r} (not in the fake)")

    @staticmethod
    def _create_metadata(book: FakeSpreadsheet, arg: dict[str, Any], i: int) -> dict[str, Any]:
        """Developer metadata located on a sheet (the only location the fake models), checked
        as Google checks it: a key, a visibility and a location are required; an id in use is
        refused."""
        meta = dict((arg or {}).get("developerMetadata") or {})
        where = f"Invalid requests[{i}].createDeveloperMetadata"
        if not meta.get("metadataKey"):
            raise _bad(f"{where}: metadataKey is required")
        if meta.get("visibility") not in ("DOCUMENT", "PROJECT"):
            raise _bad(f"{where}: visibility must be DOCUMENT or PROJECT")
        location = meta.get("location") or {}
        if set(location) != {"sheetId"}:
            raise _bad(f"{where}: location must name a sheet (sheetId) in the fake")
        sheet = book.sheet_by_id(int(location["sheetId"]))
        taken = {m["metadataId"] for s in book.sheets for m in s.developer_metadata}
        metadata_id = int(meta.get("metadataId") or 0)
        if metadata_id in taken:
            raise _bad(f"{where}: metadataId {metadata_id} is already in use")
        if not metadata_id:
            while book._next_metadata_id in taken:
                book._next_metadata_id += 1
            metadata_id = book._next_metadata_id
            book._next_metadata_id += 1
        stored = {
            "metadataId": metadata_id,
            "metadataKey": meta["metadataKey"],
            "location": {"locationType": "SHEET", "sheetId": sheet.sheet_id},
            "visibility": meta["visibility"],
        }
        if meta.get("metadataValue") is not None:
            stored["metadataValue"] = meta["metadataValue"]
        sheet.developer_metadata.append(stored)
        return {"createDeveloperMetadata": {"developerMetadata": dict(stored)}}

    # -- Drive
    def _drive_list(self, *, query: Any, body: Any) -> dict[str, Any]:
        q = query.get("q", [""])[-1]
        files = [f for k, f in self.drive_files.items() if self.spreadsheets[k].shared]
        m = re.search(r'name\s*=\s*"((?:[^"\\]|\\.)*)"', q)
        if m:
            files = [f for f in files if f["name"] == m.group(1)]
        return {"kind": "drive#fileList", "incompleteSearch": False, "files": files}

    def _drive_get(self, file_id: str, *, query: Any, body: Any) -> dict[str, Any]:
        self._book(file_id)
        return self.drive_files[file_id]

    def _drive_create(self, *, query: Any, body: Any) -> dict[str, Any]:
        body = body or {}
        key = f"fake{len(self.spreadsheets) + 1:04d}"
        book = self.add_spreadsheet(key, body.get("name", "Untitled spreadsheet"))
        book.add_sheet("Sheet1")
        return {
            "kind": "drive#file",
            "id": key,
            "name": book.title,
            "mimeType": "application/vnd.google-apps.spreadsheet",
        }
