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

import os
import random
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from salessheet.core.cells import RawSheet, RawValue, SheetInfo, col_letter
from salessheet.core.display import clip
from salessheet.core.errors import (
    SalessheetError,
    SourceError,
    StoreUnavailable,
    UsageError,
)
from salessheet.core.owned import OWNED_COLUMN_PREFIX
from salessheet.stores.base import SheetReplace, WriteBatch, WriteReport
from salessheet.stores.gsheets.create import (
    _fresh_ids,
    _init_sheet_requests,
    _init_value,
)
from salessheet.stores.gsheets.credentials import (
    _key_type_hint,
    read_key_file,
)
from salessheet.stores.gsheets.errors import api_error, auth_error
from salessheet.stores.gsheets.markers import META_FIELDS as MARK_FIELDS
from salessheet.stores.gsheets.markers import add_marks
from salessheet.stores.gsheets.source import parse_gsheet_source
from salessheet.stores.gsheets.transport import (
    NETWORK_ERRORS,
    RetryPolicy,
    SheetsAdapter,
    emulator_session,
    emulator_settings,
    mount,
)
from salessheet.stores.gsheets.values import (
    _NEW_SHEET_MIN_COLS,
    _NEW_SHEET_MIN_ROWS,
    _first_difference,
    _Meta,
    _pad_over,
    _range_sheet,
    _range_start,
    _replacement,
    _rows_from,
    _sheet_rows,
    _show,
    _Tab,
    _tab_from,
    _value_ranges,
    from_api,
    quote_sheet,
    same_value,
    to_api,
    usable_zone,
)

INSTALL_HINT = "pip install 'salessheet[gsheets]'"
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
_META_FIELDS = (
    "spreadsheetId,properties(title,locale,timeZone),"
    "sheets(properties(sheetId,title,index,hidden,sheetType,gridProperties(rowCount,columnCount)),"
    f"merges,{MARK_FIELDS})"
)
_READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
# The re-read before writing shows formulas as written (other cells as _READ_PARAMS): a formula
# whose value reads "" (=IF(..., "")) looks like a free cell, and must not be written over.
_REREAD_PARAMS = {**_READ_PARAMS, "valueRenderOption": "FORMULA"}
_MAX_COLUMN_RANGES = 20  # above this, re-read one box per sheet instead of one range per column


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


class GSheetsStore:
    """A Google Sheet as a pipeline source; implements salessheet.stores.base.Store."""

    kind = "gsheets"
    writable = True
    checks_rows = True

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
        self._opened = False  # Google has answered for this spreadsheet once: a 404 is new

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
    def timezone(self) -> str | None:
        """The spreadsheet's time zone, e.g. ``Asia/Shanghai`` (from its metadata); None if
        Google names one no IANA zone matches (``GMT+05:30``): the profile's is used then."""
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
        meta = self._metadata()
        return [SheetInfo(_shown_name(meta, t), visible=not t.hidden) for t in meta.tabs if t.grid]

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
            out[name].marked = tab.marked
        return out

    def formula_columns(self, sheet: str, first_row: int) -> frozenset[int]:
        # read as values (UNFORMATTED_VALUE): formulas are not seen here (a request of their
        # own would pass the nightly budget of 5); the re-read before writing sees them, and
        # a column to be written that holds one is left alone (``write``)
        return frozenset()

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
                if _formula(now) or (isinstance(now, str) and now.startswith("'=")):
                    continue  # a formula: its value was read, the re-read shows its text
                if not same_value(expected, now):
                    changes.append(
                        f"{col_letter(col)}{guard.row} was {_show(expected)}, now {_show(now)}"
                    )
            if changes:
                skipped[(guard.sheet, guard.row)] = "edited since read: " + "; ".join(changes)

        # A cell to be written that holds a formula (its value read as empty, so its column
        # looked free): none of that sheet's cells is written (not even the header, so the
        # column is not claimed); the first row written says why. The ledger still is.
        # (The re-read covers each written column from its first written row to its last.)
        # A column headed as salessheet's on an earlier night is the tool's: a formula someone
        # put into one of its cells is theirs and kept, and only that row goes unflagged.
        formula_at: dict[str, tuple[int, int, str]] = {}  # sheet -> (row, col, formula)
        first_row: dict[str, int] = {}
        written_cols: set[tuple[str, int]] = set()
        claimed: set[tuple[str, int]] = set()  # columns whose header is written tonight
        written: set[tuple[str, int, int]] = set()
        for cw in batch.cells:
            tab = self._match(meta, cw.sheet)
            if tab is None or cw.sheet in replaced:
                continue
            first_row[tab.title] = min(first_row.get(tab.title, cw.row), cw.row)
            written_cols.add((tab.title, cw.col))
            written.add((tab.title, cw.row, cw.col))
            if isinstance(cw.value, str) and cw.value.startswith(OWNED_COLUMN_PREFIX):
                claimed.add((tab.title, cw.col))
        for (title, row, col), now in fresh.items():
            if (title, col) in written_cols and _formula(now) and (title, col) not in claimed:
                if (title, row, col) not in written:
                    continue  # a row this run leaves alone (the note is reported there)
                skipped.setdefault(
                    (title, row),
                    f"{col_letter(col)}{row} holds a formula ({clip(str(now), 60)}) typed over"
                    " salessheet's cell: kept, and this row is not flagged until it is moved to"
                    " a column of your own (or cleared)",
                )
            elif (title, col) in written_cols and _formula(now):
                seen = formula_at.get(title)
                if seen is None or (row, col) < seen[:2]:  # the first one: named
                    formula_at[title] = (row, col, str(now))
        for title, (row, col, text) in formula_at.items():
            letter = col_letter(col)
            skipped[(title, first_row[title])] = (
                f"{letter}{row} holds a formula ({clip(text, 60)}) whose value reads as empty: "
                f"column {letter} is not free, so no flags were written tonight. Give column "
                f"{letter} a header (or move its formulas) and the next run puts its columns "
                "right of it"
            )

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
            if tab.title in formula_at:
                continue
            value = to_api(cw.value)
            if same_value(fresh.get((tab.title, cw.row, cw.col), ""), value):
                continue
            cell_plan.setdefault(tab.title, {})[(cw.row, cw.col)] = value

        # replaced sheets, padded with "" over their current extent
        sheet_plan: dict[str, list[list[Any]]] = {}
        first_rows: dict[str, int] = {}  # rows above it are unchanged: not sent again
        for name, rep in replaced.items():
            grid = _replacement(rep, [c for c in batch.cells if c.sheet == name])
            tab = self._match(meta, name)
            title = name if tab is None else tab.title  # (a renamed tool's tab: its new name)
            if tab is not None:
                old = _sheet_rows(fresh, tab.title)
                grid = _pad_over(grid, old)
                first = _first_difference(grid, old)
                if first is None:
                    continue
                first_rows[title] = first
            if grid:
                sheet_plan[title] = grid

        report.skipped_rows = [(s, r, why) for (s, r), why in sorted(skipped.items())]
        if not cell_plan and not sheet_plan:
            report.unchanged = not skipped
            return report

        self._prepare_grids(meta, cell_plan, sheet_plan)
        data = _value_ranges(cell_plan, sheet_plan, first_rows)
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
            lambda http: http.values_batch_get(self.key, ranges, params=dict(_REREAD_PARAMS)),
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
        """One spreadsheets.batchUpdate adding missing sheets, marking the replaced ones (see
        markers.py) and growing grids that are too small; sent once, and only resent for what
        a fresh look shows is still missing."""
        for attempt in (1, 2):
            requests = add_marks(
                _grid_requests(meta, cell_plan, sheet_plan),
                sheet_plan,
                partial(self._match, meta),
                {t.sheet_id for t in meta.tabs},
                _fresh_ids,
            )
            if not requests:
                return
            try:
                answer = self._call(
                    "create sheets",
                    partial(_batch_update, self.key, requests),
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
                made = req.get("createDeveloperMetadata")
                if made:
                    where = made["developerMetadata"]["location"]["sheetId"]
                    for tab in meta.tabs:
                        tab.marked = tab.marked or tab.sheet_id == where
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
        if tab is None:  # a tool's sheet someone renamed: its mark still names it
            owned = [t for t in meta.tabs if t.owned_as == name and t.marked]
            tab = owned[0] if len(owned) == 1 else None
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
            self._opened = True
            props = answer.get("properties", {})
            self._meta = _Meta(
                title=props.get("title", ""),
                locale=props.get("locale", "en_US"),
                timezone=usable_zone(str(props.get("timeZone", "Etc/UTC"))),
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
        return AuthorizedSession(creds, refresh_timeout=policy.read_timeout_s)  # type: ignore[no-untyped-call]

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
                return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
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
                return Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
            except (ValueError, TypeError):
                raise SourceError(
                    f"{path} is an OAuth user token without refresh_token/client_id/client_secret",
                    hint="create the token again (see the README's 'Google Sheets' section)",
                ) from None
        raise SourceError(
            f"{path} is not a service-account key or an OAuth user token (type {kind!r})",
            hint=_key_type_hint(info),
        )

    def _who(self) -> str:
        """Who must be given access to the sheet, for messages."""
        if self.emulated:
            return "the account of SALESSHEET_SHEETS_TOKEN"
        return self._account or "the Google account of your credentials"

    def _api_error(self, exc: Any, action: str, writing: bool) -> SalessheetError:
        return api_error(
            exc,
            action=action,
            writing=writing,
            where=f"spreadsheet {self.key}",
            source=self.source,
            who=self._who(),
            emulated=self.emulated,
            attempts=self._adapter.attempts_for_last_request(),
            opened=self._opened,
        )

    def _auth_error(self, exc: BaseException) -> SalessheetError:
        return auth_error(exc, self._key_path, self._account)


# ---------------------------------------------------------------- module helpers


def _batch_update(key: str, requests: list[dict[str, Any]], http: Any) -> Any:
    """One spreadsheets.batchUpdate through gspread's HTTP client ``http``."""
    return http.batch_update(key, {"requests": requests})


def _auth_errors() -> tuple[type[BaseException], ...]:
    try:
        from google.auth import exceptions as gax
    except ImportError:  # pragma: no cover - google-auth comes with gspread
        return ()
    return (gax.RefreshError, gax.TransportError)


# ---------------------------------------------------------------- init (drawing an InitPlan)


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


def _formula(value: Any) -> bool:
    """A re-read cell holding a formula (the FORMULA render gives its text)."""
    return isinstance(value, str) and value.startswith("=")


def _shown_name(meta: _Meta, tab: _Tab) -> str:
    """A tab's name for the reader: its title, or, for a tool's sheet someone renamed (and no
    other tab took the old name), the tool's name in its mark, so the ledger goes on in it."""
    name = tab.owned_as
    if name and tab.marked and name != tab.title and meta.find(name) is None:
        if not any(t.title.casefold() == name.casefold() for t in meta.tabs):
            if sum(1 for t in meta.tabs if t.owned_as == name and t.marked) == 1:
                return name
    return tab.title
