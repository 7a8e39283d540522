"""Google Sheets as a pipeline store (gspread 6.x; the only module importing gspread/google-auth).

Request budget (see issue 5): ``read`` = one metadata request (cached; ``sheets()``, ``locale`` and
``timezone`` share it) + one ``values.batchGet`` for every requested sheet. ``write`` = one
``values.batchGet`` re-reading the guarded rows, the target cells and the replaced sheets, at most
one ``spreadsheets.batchUpdate`` (new tool-owned sheets, grid growth) and one
``values.batchUpdate`` with RAW input. A nightly run stays within 5 requests whatever the size.

With ``SALESSHEET_SHEETS_ENDPOINT`` set, requests go to that emulator with the bearer token of
``SALESSHEET_SHEETS_TOKEN`` instead of Google credentials (see gsheets_transport).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from salessheet.core.cells import CellError, RawSheet, RawValue, SheetInfo, col_letter, col_number
from salessheet.core.errors import (
    SalessheetError,
    SourceError,
    StoreUnavailable,
    UsageError,
    WriteRefused,
)
from salessheet.stores.base import CellWrite, SheetReplace, WriteBatch, WriteReport
from salessheet.stores.gsheets.source import parse_gsheet_source
from salessheet.stores.gsheets.transport import (
    NETWORK_ERRORS,
    RetryPolicy,
    SheetsAdapter,
    emulator_session,
    emulator_settings,
    mount,
)

INSTALL_HINT = "pip install 'salessheet[gsheets]'"
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
ERROR_CODES = frozenset(
    {"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!"}
)
_META_FIELDS = (
    "spreadsheetId,properties(title,locale,timeZone),"
    "sheets(properties(sheetId,title,index,hidden,sheetType,gridProperties(rowCount,columnCount)),"
    "merges)"
)
_READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
_NEW_SHEET_MIN_ROWS = 1000
_NEW_SHEET_MIN_COLS = 26
_MAX_COLUMN_RANGES = 20  # above this, re-read one box per sheet instead of one range per column
_EPOCH = dt.date(1899, 12, 30)


def _gspread() -> Any:
    """Import gspread, or explain how to install it (never an ImportError for the user)."""
    try:
        import gspread
    except ImportError:
        raise SourceError(
            "Google Sheets support is not installed (the gspread package is missing)",
            hint=INSTALL_HINT,
        ) from None
    return gspread


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


@dataclass
class _Meta:
    title: str
    locale: str
    timezone: str
    tabs: list[_Tab]

    def find(self, name: str) -> _Tab | None:
        for tab in self.tabs:
            if tab.title == name:
                return tab
        return None


def quote_sheet(name: str) -> str:
    """A sheet name as the start of an A1 range: ``'It''s'``."""
    return "'" + name.replace("'", "''") + "'"


def _range_start(a1_range: str) -> tuple[int, int]:
    """1-based (row, col) of the first cell of a range Google returned, e.g. ``'S'!B5:C9``."""
    cells = a1_range.rsplit("!", 1)[-1].split(":", 1)[0]
    letters = "".join(ch for ch in cells if ch.isalpha())
    digits = "".join(ch for ch in cells if ch.isdigit())
    return (int(digits) if digits else 1, col_number(letters) if letters else 1)


def from_api(value: Any) -> RawValue:
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


class GSheetsStore:
    """A Google Sheet as a pipeline source; implements salessheet.stores.base.Store."""

    kind = "gsheets"
    writable = True

    def __init__(
        self,
        source: str,
        credentials: str | None = None,
        *,
        deadline_s: float = 60.0,
        env: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.ref = parse_gsheet_source(source)
        self.key = self.ref.key
        self.credentials = credentials
        self.deadline_s = deadline_s
        self._env = dict(os.environ if env is None else env)
        emulator = emulator_settings(self._env)
        self.emulated = emulator is not None
        endpoint, token = emulator if emulator else (None, None)
        self._adapter = SheetsAdapter(
            endpoint=endpoint, token=token, policy=policy, sleep=sleep, clock=clock, rng=rng
        )
        self._http: Any = None
        self._account: str | None = None  # client_email of the key, for messages
        self._key_path: Path | None = None
        self._meta: _Meta | None = None

    # ------------------------------------------------------------ public API

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._adapter.stats.requests_sent()

    @property
    def locale(self) -> str:
        """The spreadsheet's locale, e.g. ``en_US`` or ``zh_CN`` (from its metadata)."""
        self._begin()
        return self._metadata().locale

    @property
    def timezone(self) -> str:
        """The spreadsheet's time zone, e.g. ``Asia/Shanghai`` (from its metadata)."""
        self._begin()
        return self._metadata().timezone

    @property
    def title(self) -> str:
        self._begin()
        return self._metadata().title

    def gid_sheet(self) -> str | None:
        """The tab the URL's ``#gid=N`` points at, if any (None if absent or unknown)."""
        if self.ref.gid is None:
            return None
        self._begin()
        for tab in self._metadata().tabs:
            if tab.sheet_id == self.ref.gid:
                return tab.title
        return None

    def refresh(self) -> None:
        """Forget the cached metadata (the next call fetches it again)."""
        self._meta = None

    def sheets(self) -> list[SheetInfo]:
        self._begin()
        return [SheetInfo(t.title, visible=not t.hidden) for t in self._metadata().tabs if t.grid]

    def read(self, names: list[str]) -> dict[str, RawSheet]:
        """The named sheets that exist, in one ``values.batchGet`` (after the cached metadata)."""
        self._begin()
        meta = self._metadata()
        wanted = [(n, self._match(meta, n)) for n in dict.fromkeys(names)]
        found = [(n, t) for n, t in wanted if t is not None and t.grid]
        if not found:
            return {}
        tabs = [t for _, t in found]
        ranges = [quote_sheet(t.title) for t in tabs]
        answer = self._call(
            "read",
            lambda http: http.values_batch_get(self.key, ranges, params=dict(_READ_PARAMS)),
        )
        value_ranges = answer.get("valueRanges", [])
        if len(value_ranges) != len(tabs):
            raise StoreUnavailable(
                f"Google Sheets answered {len(value_ranges)} ranges for {len(tabs)} sheets"
                f" of {self.source}",
                hint="run again; report a bug if it persists",
            )
        out: dict[str, RawSheet] = {}
        for (name, tab), vr in zip(found, value_ranges, strict=True):
            rows = _rows_from(vr)
            out[name] = RawSheet(tab.title, rows, list(tab.merges), visible=not tab.hidden)
        return out

    def write(self, batch: WriteBatch) -> WriteReport:
        """Write owned cells and sheets in one ``values.batchUpdate`` (RAW).

        Guarded rows whose cells changed since they were read are skipped and reported.
        """
        report = WriteReport()
        if batch.is_empty():
            report.unchanged = True
            return report
        self._begin()
        meta = self._metadata()
        replaced = {s.name: s for s in batch.sheets}
        fresh = self._reread(meta, batch, replaced)

        skipped: dict[tuple[str, int], str] = {}
        for guard in batch.guards:
            tab = self._match(meta, guard.sheet)
            if tab is None:
                skipped[(guard.sheet, guard.row)] = f"sheet {guard.sheet!r} no longer exists"
                continue
            changes = []
            for col, expected in sorted(guard.expected.items()):
                now = fresh.get((tab.title, guard.row, col), "")
                if not same_value(expected, now):
                    changes.append(
                        f"{col_letter(col)}{guard.row} was {_show(expected)}, now {_show(now)}"
                    )
            if changes:
                skipped[(guard.sheet, guard.row)] = "edited since read: " + "; ".join(changes)

        # cells, minus skipped rows and cells that already hold the value
        cell_plan: dict[str, dict[tuple[int, int], Any]] = {}
        for cw in batch.cells:
            if cw.sheet in replaced:
                continue  # folded into the replacement below
            tab = self._match(meta, cw.sheet)
            if tab is None:
                skipped.setdefault(
                    (cw.sheet, cw.row), f"sheet {cw.sheet!r} does not exist any more"
                )
                continue
            if (cw.sheet, cw.row) in skipped or (tab.title, cw.row) in skipped:
                continue
            value = to_api(cw.value)
            if same_value(fresh.get((tab.title, cw.row, cw.col), ""), value):
                continue
            cell_plan.setdefault(tab.title, {})[(cw.row, cw.col)] = value

        # replaced sheets, padded with "" over their current extent
        sheet_plan: dict[str, list[list[Any]]] = {}
        for name, rep in replaced.items():
            grid = _replacement(rep, [c for c in batch.cells if c.sheet == name])
            tab = self._match(meta, name)
            if tab is not None:
                old = _sheet_rows(fresh, tab.title)
                grid = _pad_over(grid, old)
                if _grids_equal(grid, old):
                    continue
            if grid:
                sheet_plan[name] = grid

        report.skipped_rows = [(s, r, why) for (s, r), why in sorted(skipped.items())]
        if not cell_plan and not sheet_plan:
            report.unchanged = not skipped
            return report

        self._prepare_grids(meta, cell_plan, sheet_plan)
        data = _value_ranges(cell_plan, sheet_plan)
        body = {"valueInputOption": "RAW", "data": data, "includeValuesInResponse": False}
        self._call("write", lambda http: http.values_batch_update(self.key, body), writing=True)
        report.written_cells = sum(len(cells) for cells in cell_plan.values())
        report.written_sheets = list(sheet_plan)
        return report

    def initialise(self, plan: Any) -> WriteReport:
        """Draw an InitPlan (``salessheet init``) onto an existing, empty spreadsheet.

        Four requests: metadata, one values.batchGet proving every tab is empty, one
        spreadsheets.batchUpdate (new tabs with formats, widths, frozen header, filter and
        dropdowns, replacing the empty ones) and one values.batchUpdate (RAW; dates as serial
        numbers under a date format). A spreadsheet holding any value is refused (exit 2).
        """
        self._begin()
        meta = self._metadata()
        grid_tabs = [t for t in meta.tabs if t.grid]
        if grid_tabs:
            ranges = [quote_sheet(t.title) for t in grid_tabs]
            answer = self._call(
                "check that the spreadsheet is empty",
                lambda http: http.values_batch_get(self.key, ranges, params=dict(_READ_PARAMS)),
            )
            used = [
                t.title
                for t, vr in zip(grid_tabs, answer.get("valueRanges", []), strict=False)
                if any(any(v != "" for v in row) for row in vr.get("values", []) or [])
            ]
            if used:
                raise UsageError(
                    f"{self.source}: the spreadsheet is not empty (data in "
                    + ", ".join(repr(u) for u in used)
                    + "); salessheet init never overwrites anything",
                    hint="create a new blank Google Sheet (sheets.new), share it with "
                    + (self._account or "the service account")
                    + " as Editor, and give its address",
                )
        if len(meta.tabs) != len(grid_tabs):
            raise UsageError(
                f"{self.source}: the spreadsheet has chart or object sheets; init needs a blank one"
            )
        taken = {t.sheet_id for t in meta.tabs}
        ids = _fresh_ids(taken, len(plan.sheets))
        requests: list[dict[str, Any]] = []
        for tab in meta.tabs:  # free the names first: the blank tab may already be "Pipeline"
            requests.append(
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": tab.sheet_id,
                            "title": f"salessheet-old-{tab.sheet_id}",
                        },
                        "fields": "title",
                    }
                }
            )
        for index, (sheet, sheet_id) in enumerate(zip(plan.sheets, ids, strict=True)):
            requests += _init_sheet_requests(sheet, sheet_id, index)
        requests += [{"deleteSheet": {"sheetId": t.sheet_id}} for t in meta.tabs]

        for attempt in (1, 2):
            try:
                self._call(
                    "set up",
                    lambda http: http.batch_update(self.key, {"requests": requests}),
                    writing=True,
                )
                break
            except StoreUnavailable as exc:
                if not getattr(exc, "transient", True) or attempt == 2:
                    raise
                if not self._adapter.pause(attempt):
                    raise
                self._meta = None
                titles = {t.title for t in self._metadata().tabs}
                if all(s.name in titles for s in plan.sheets):
                    break  # it was applied; only the answer was lost
        self._meta = None

        data = []
        for sheet in plan.sheets:
            rows = ([list(sheet.header)] if sheet.has_header else []) + [
                [_init_value(v) for v in row] for row in sheet.rows
            ]
            if not rows:
                continue
            width = max((len(r) for r in rows), default=1) or 1
            data.append(
                {
                    "range": f"{quote_sheet(sheet.name)}!A1:{col_letter(width)}{len(rows)}",
                    "majorDimension": "ROWS",
                    "values": [[("" if v is None else v) for v in row] for row in rows],
                }
            )
        report = WriteReport(written_sheets=[s.name for s in plan.sheets])
        if data:
            body = {"valueInputOption": "RAW", "data": data}
            self._call("fill", lambda http: http.values_batch_update(self.key, body), writing=True)
            report.written_cells = sum(
                1 for d in data for row in d["values"] for v in row if v != ""
            )
        return report

    # ------------------------------------------------------------ write helpers

    def _reread(
        self, meta: _Meta, batch: WriteBatch, replaced: Mapping[str, SheetReplace]
    ) -> dict[tuple[str, int, int], RawValue]:
        """One values.batchGet: guarded cells, target cells, and replaced sheets that exist."""
        wanted: dict[str, tuple[set[int], set[int]]] = {}  # sheet -> (rows, cols)

        def want(sheet: str, row: int, col: int) -> None:
            tab = self._match(meta, sheet)
            if tab is None or tab.title in replaced or row > tab.rows or col > tab.cols:
                return
            rows, cols = wanted.setdefault(tab.title, (set(), set()))
            rows.add(row)
            cols.add(col)

        for guard in batch.guards:
            for col in guard.expected:
                want(guard.sheet, guard.row, col)
        for cw in batch.cells:
            want(cw.sheet, cw.row, cw.col)
        ranges: list[str] = []
        for title, (rows, cols) in wanted.items():
            top, bottom = min(rows), max(rows)
            q = quote_sheet(title)
            if len(cols) > _MAX_COLUMN_RANGES:
                ranges.append(f"{q}!A{top}:{col_letter(max(cols))}{bottom}")
            else:
                for col in sorted(cols):
                    letter = col_letter(col)
                    ranges.append(f"{q}!{letter}{top}:{letter}{bottom}")
        for name in replaced:
            tab = self._match(meta, name)
            if tab is not None:
                ranges.append(quote_sheet(tab.title))
        if not ranges:
            return {}
        answer = self._call(
            "re-read before writing",
            lambda http: http.values_batch_get(self.key, ranges, params=dict(_READ_PARAMS)),
            writing=True,
        )
        fresh: dict[tuple[str, int, int], RawValue] = {}
        for vr in answer.get("valueRanges", []):
            name = _range_sheet(vr.get("range", ""))
            top, left = _range_start(vr.get("range", ""))
            for r, row in enumerate(vr.get("values", [])):
                for c, value in enumerate(row):
                    if value != "":
                        fresh[(name, top + r, left + c)] = from_api(value)
        return fresh

    def _prepare_grids(
        self,
        meta: _Meta,
        cell_plan: Mapping[str, Mapping[tuple[int, int], Any]],
        sheet_plan: Mapping[str, list[list[Any]]],
    ) -> None:
        """One spreadsheets.batchUpdate adding missing sheets and growing grids that are too
        small; sent once, and only resent for what a fresh look shows is still missing."""
        for attempt in (1, 2):
            requests = _grid_requests(meta, cell_plan, sheet_plan)
            if not requests:
                return
            try:
                answer = self._call(
                    "create sheets",
                    lambda http, reqs=requests: http.batch_update(self.key, {"requests": reqs}),
                    writing=True,
                )
            except StoreUnavailable as exc:
                transient = getattr(exc, "transient", True)
                if not transient or attempt == 2 or not self._adapter.pause(attempt):
                    raise
                self._meta = None
                meta = self._metadata()  # look before sending again
                continue
            self._meta = None
            for reply in answer.get("replies", []):
                props = (reply or {}).get("addSheet", {}).get("properties")
                if props:
                    meta.tabs.append(_tab_from({"properties": props}))
            for req in requests:
                upd = req.get("updateSheetProperties")
                if upd:
                    for tab in meta.tabs:
                        if tab.sheet_id == upd["properties"]["sheetId"]:
                            grid = upd["properties"]["gridProperties"]
                            tab.rows, tab.cols = grid["rowCount"], grid["columnCount"]
            self._meta = meta
            return

    # ------------------------------------------------------------ plumbing

    @staticmethod
    def _match(meta: _Meta, name: str) -> _Tab | None:
        tab = meta.find(name)
        if tab is None:
            folded = [t for t in meta.tabs if t.title.casefold() == name.casefold()]
            tab = folded[0] if len(folded) == 1 else None
        return tab

    def _begin(self) -> None:
        """Start a public operation: it must finish within ``deadline_s``."""
        self._adapter.begin(self.deadline_s)

    def _metadata(self) -> _Meta:
        if self._meta is None:
            answer = self._call(
                "open",
                lambda http: http.fetch_sheet_metadata(
                    self.key, params={"includeGridData": "false", "fields": _META_FIELDS}
                ),
            )
            props = answer.get("properties", {})
            self._meta = _Meta(
                title=props.get("title", ""),
                locale=props.get("locale", "en_US"),
                timezone=props.get("timeZone", "Etc/UTC"),
                tabs=sorted(
                    (_tab_from(s) for s in answer.get("sheets", [])), key=lambda t: t.index
                ),
            )
        return self._meta

    def _call(self, action: str, fn: Callable[[Any], Any], *, writing: bool = False) -> Any:
        """Run one API call, turning every failure into our errors."""
        http = self._client()
        gspread = _gspread()
        auth_errors = _auth_errors()
        try:
            return fn(http)
        except gspread.exceptions.APIError as exc:
            raise self._api_error(exc, action, writing) from None
        except auth_errors as exc:
            raise self._auth_error(exc) from None
        except NETWORK_ERRORS as exc:
            raise StoreUnavailable(
                f"Google Sheets: {action} {self.source} failed: {type(exc).__name__}",
                hint="check the network connection, then run again",
            ) from None

    def _client(self) -> Any:
        if self._http is None:
            gspread = _gspread()
            if self.emulated:
                session = emulator_session(self._adapter)
            else:
                session = self._google_session()
                mount(session, self._adapter)
            self._http = gspread.Client(auth=None, session=session).http_client
        return self._http

    def _google_session(self) -> Any:
        from google.auth.transport.requests import AuthorizedSession

        creds = self._load_credentials()
        policy = self._adapter.policy
        return AuthorizedSession(creds, refresh_timeout=policy.read_timeout_s)

    def _credentials_path(self) -> tuple[Path, str]:
        if self.credentials:
            return Path(self.credentials).expanduser(), "--credentials"
        if self._env.get(CREDENTIALS_ENV):
            return Path(self._env[CREDENTIALS_ENV]).expanduser(), CREDENTIALS_ENV
        config = Path(self._env.get("HOME", str(Path.home()))) / ".config" / "gspread"
        for name in ("service_account.json", "authorized_user.json"):
            if (config / name).is_file():
                return config / name, "gspread's default location"
        raise SourceError(
            f"no Google credentials to open {self.source}",
            hint=(
                "pass --credentials FILE (a service-account JSON key) or set "
                f"{CREDENTIALS_ENV}=FILE; the README's 'Google Sheets' section shows how to "
                "create one"
            ),
        )

    def _load_credentials(self) -> Any:
        path, origin = self._credentials_path()
        self._key_path = path
        info = read_key_file(path, origin)
        kind = info.get("type")
        if kind == "service_account":
            from google.oauth2 import service_account

            self._account = str(info.get("client_email") or "") or None
            try:
                return service_account.Credentials.from_service_account_info(
                    info, scopes=list(SCOPES)
                )
            except (ValueError, TypeError):
                raise SourceError(
                    f"the private key in {path} cannot be loaded (damaged or edited key file)",
                    hint="create a new JSON key for the service account and download it again",
                ) from None
        if kind == "authorized_user":
            from google.oauth2.credentials import Credentials

            try:
                return Credentials.from_authorized_user_info(info)
            except (ValueError, TypeError):
                raise SourceError(
                    f"{path} is an OAuth user token without refresh_token/client_id/client_secret",
                    hint="create the token again (see the README's 'Google Sheets' section)",
                ) from None
        raise SourceError(
            f"{path} is not a service-account key or an OAuth user token (type {kind!r})",
            hint=_key_type_hint(info),
        )

    def _share_hint(self, editor: bool = False) -> str:
        who = "the Google account of your credentials"
        if self.emulated:
            who = "the account of SALESSHEET_SHEETS_TOKEN"
        elif self._account:
            who = self._account
        if editor:
            return f"share the sheet with {who} as Editor (Viewer cannot write)"
        return f"share the sheet with {who} (Editor, or Viewer for read-only use)"

    def _api_error(self, exc: Any, action: str, writing: bool) -> SalessheetError:
        error = self._api_error_for(exc, action, writing)
        code = getattr(exc, "code", -1)
        # a caller may try again (after looking) only where Google may not have acted yet
        error.transient = isinstance(code, int) and (code in (408, 429) or code >= 500)  # type: ignore[attr-defined]
        return error

    def _api_error_for(self, exc: Any, action: str, writing: bool) -> SalessheetError:
        code = getattr(exc, "code", -1)
        error = getattr(exc, "error", {}) or {}
        message = str(error.get("message", "")).strip()
        status = str(error.get("status", "")).strip()
        tries = self._adapter.attempts_for_last_request()
        after = f" after {tries} attempts" if tries > 1 else ""
        where = f"spreadsheet {self.key}"
        if code == 404:
            return SourceError(
                f"{where} not found (Google Sheets 404)",
                hint=f"check the key in {self.source!r}: copy the address from the browser bar",
            )
        if code == 403:
            low = message.lower()
            if "has not been used" in low or "is disabled" in low or "not enabled" in low:
                return StoreUnavailable(
                    "the Google Sheets API is not enabled for the project of these credentials",
                    hint="enable it: Google Cloud console → APIs & Services → Library → "
                    "Google Sheets API → Enable (then wait a minute)",
                )
            if "quota" in low or "rate" in low:
                return StoreUnavailable(
                    f"Google Sheets quota exceeded for {where}{after}",
                    hint="wait a minute and run again",
                )
            if writing:
                return StoreUnavailable(
                    f"no permission to change {where} (403 permission denied)",
                    hint=self._share_hint(editor=True),
                )
            return StoreUnavailable(
                f"no access to {where} (403 permission denied)", hint=self._share_hint()
            )
        if code == 401:
            if self.emulated:
                hint = "check SALESSHEET_SHEETS_TOKEN"
            else:
                hint = "the key may have been deleted or revoked: create a new key and use that"
            return StoreUnavailable(
                f"Google rejected the credentials for {where} (401 unauthenticated)", hint=hint
            )
        if code == 429:
            return StoreUnavailable(
                f"Google Sheets quota exceeded while trying to {action} {where}{after}",
                hint="wait a minute and run again",
            )
        if isinstance(code, int) and code >= 500 or code == 408:
            return StoreUnavailable(
                f"Google Sheets unavailable ({code} {status}) while trying to {action}"
                f" {where}{after}",
                hint="try again later",
            )
        if code == 400 and writing:
            return WriteRefused(
                f"Google Sheets refused to {action} {where}: {message}",
                hint="nothing was written by this request; run again, and report a bug if it"
                " persists",
            )
        if code == 400:
            return SourceError(f"Google Sheets refused to {action} {where}: {message}")
        return StoreUnavailable(
            f"Google Sheets error {code} {status} while trying to {action} {where}: {message}"
        )

    def _auth_error(self, exc: BaseException) -> SalessheetError:
        reason = ""
        if exc.args and isinstance(exc.args[0], str):
            reason = exc.args[0].split("\n")[0][:200]
        name = type(exc).__name__
        if name == "RefreshError":
            who = f" for {self._account}" if self._account else ""
            return StoreUnavailable(
                f"Google did not accept the key in {self._key_path}{who}: {reason or name}",
                hint="the key may be deleted, revoked or from another project: create a new JSON"
                " key for the service account and use that file",
            )
        return StoreUnavailable(
            f"could not reach Google's sign-in service ({name})",
            hint="check the network connection, then run again",
        )


# ---------------------------------------------------------------- module helpers


def _auth_errors() -> tuple[type[BaseException], ...]:
    try:
        from google.auth import exceptions as gax
    except ImportError:  # pragma: no cover - google-auth comes with gspread
        return ()
    return (gax.RefreshError, gax.TransportError)


def read_key_file(path: Path, origin: str = "--credentials") -> dict[str, Any]:
    """Load a credentials JSON file, refusing missing, unreadable or world-readable files.

    Messages name the file and never include its content.
    """
    where = f"{path} (from {origin})"
    if not path.exists():
        raise SourceError(
            f"credentials file {where} does not exist",
            hint="download the service account's JSON key and give its path",
        )
    if not path.is_file():
        raise SourceError(f"credentials file {where} is not a file")
    if os.name == "posix":
        mode = path.stat().st_mode
        if mode & stat.S_IROTH:
            raise SourceError(
                f"credentials file {where} is readable by every user of this computer",
                hint=f"restrict it to yourself: chmod 600 '{path}'",
            )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(
            f"cannot read credentials file {where}: {exc.strerror or type(exc).__name__}",
            hint="check the file's owner and permissions",
        ) from None
    except UnicodeDecodeError:
        raise SourceError(f"credentials file {where} is not a JSON text file") from None
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"credentials file {where} is not valid JSON (line {exc.lineno}, column {exc.colno})",
            hint="download the JSON key again; do not edit it",
        ) from None
    if not isinstance(info, dict):
        raise SourceError(f"credentials file {where} is not a JSON object")
    return info


def _key_type_hint(info: Mapping[str, Any]) -> str:
    if "installed" in info or "web" in info:
        return (
            "this is an OAuth client file, not a token: run once "
            "`python -c \"import gspread; gspread.oauth(credentials_filename='FILE')\"` "
            "and use ~/.config/gspread/authorized_user.json"
        )
    return "use a service-account JSON key (IAM & Admin → Service accounts → Keys → Add key → JSON)"


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


def _grids_equal(new: list[list[Any]], old: list[list[Any]]) -> bool:
    for r, row in enumerate(new):
        old_row = old[r] if r < len(old) else []
        for c, value in enumerate(row):
            if not same_value(old_row[c] if c < len(old_row) else "", value):
                return False
    return True


def _grid_requests(
    meta: _Meta,
    cell_plan: Mapping[str, Mapping[tuple[int, int], Any]],
    sheet_plan: Mapping[str, list[list[Any]]],
) -> list[dict[str, Any]]:
    need: dict[str, tuple[int, int]] = {}
    for title, cells in cell_plan.items():
        need[title] = (max(r for r, _ in cells), max(c for _, c in cells))
    for name, grid in sheet_plan.items():
        need[name] = (len(grid), max((len(r) for r in grid), default=0))
    requests: list[dict[str, Any]] = []
    for name, (rows, cols) in need.items():
        tab = meta.find(name) or GSheetsStore._match(meta, name)
        if tab is None:
            requests.append(
                {
                    "addSheet": {
                        "properties": {
                            "title": name,
                            "gridProperties": {
                                "rowCount": max(rows, _NEW_SHEET_MIN_ROWS),
                                "columnCount": max(cols, _NEW_SHEET_MIN_COLS),
                                "frozenRowCount": 1,
                            },
                        }
                    }
                }
            )
        elif rows > tab.rows or cols > tab.cols:
            requests.append(
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": tab.sheet_id,
                            "gridProperties": {
                                "rowCount": max(rows, tab.rows),
                                "columnCount": max(cols, tab.cols),
                            },
                        },
                        "fields": "gridProperties.rowCount,gridProperties.columnCount",
                    }
                }
            )
    return requests


def _value_ranges(
    cell_plan: Mapping[str, Mapping[tuple[int, int], Any]],
    sheet_plan: Mapping[str, list[list[Any]]],
) -> list[dict[str, Any]]:
    """Cells as runs of consecutive rows per column; each replaced sheet as one block."""
    data: list[dict[str, Any]] = []
    for name, grid in sheet_plan.items():
        width = max((len(r) for r in grid), default=1)
        data.append(
            {
                "range": f"{quote_sheet(name)}!A1:{col_letter(width)}{len(grid)}",
                "majorDimension": "ROWS",
                "values": grid,
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
            for r in rows[1:] + [None]:
                if r is not None and r == prev + 1:
                    run.append(cells[(r, col)])
                    prev = r
                    continue
                rng = f"{q}!{letter}{start}" + (f":{letter}{prev}" if prev != start else "")
                data.append({"range": rng, "majorDimension": "ROWS", "values": [[v] for v in run]})
                if r is not None:
                    start = prev = r
                    run = [cells[(r, col)]]
    return data


# ---------------------------------------------------------------- init (drawing an InitPlan)

_HEADER_BG = {"red": 0x1F / 255, "green": 0x4E / 255, "blue": 0x79 / 255}
_TH_BG = {"red": 0xDD / 255, "green": 0xEB / 255, "blue": 0xF7 / 255}
_NUMBER_FORMATS = {
    "date": {"type": "DATE", "pattern": "yyyy-mm-dd"},
    "money": {"type": "NUMBER", "pattern": "#,##0.00"},
    "percent": {"type": "PERCENT", "pattern": "0%"},
    "text": {"type": "TEXT", "pattern": "@"},
}
_STYLE_FORMATS = {
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
