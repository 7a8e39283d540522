"""GSheetsStore against the local fake Sheets API, through the real gspread and requests code."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from fake_sheets import FakeSheets, Formula, SheetError

from salessheet.core.cells import CellError, RawSheet
from salessheet.core.errors import SourceError, StoreUnavailable
from salessheet.stores.base import CellWrite, RowGuard, SheetReplace, WriteBatch
from salessheet.stores.gsheets.store import GSheetsStore

KEY = "1TestSheetKey_abc-123"
HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Expected Close", "Check"]


class FakeTime:
    """Injected clock and sleep: retries and deadlines without real waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def api():
    with FakeSheets(token="secret-token-xyz") as fake:
        yield fake


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def open_store(api: FakeSheets, fake_time: FakeTime, **kwargs) -> GSheetsStore:
    return GSheetsStore(
        f"gsheet:{KEY}",
        env=api.env(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        **kwargs,
    )


def deal_rows(n: int) -> list[list]:
    rows = [HEADER]
    for i in range(1, n + 1):
        rows.append([f"D-{i:05d}", f"Customer {i}", "lead", 1000 + i, dt.date(2026, 12, 1), "#ok"])
    return rows


# ---------------------------------------------------------------- reading


def test_read_gives_the_same_cells_as_the_equivalent_xlsx(api, fake_time, tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    from salessheet.sheet.parsing import ParseContext, parse_date
    from salessheet.stores.xlsx.store import XlsxStore

    rows = [
        ["Deal ID", "Customer", "Amount", "Count", "Close", "Check", "Won"],
        ["0E761F02", "Acme 有限公司", 17499.9499999999, 3, dt.date(2026, 11, 28), "#N/A", True],
        [None, None, None, None, None, None, None],
        ["00123", "=not a formula", 0.1, 0, dt.date(2025, 2, 28), "#DIV/0!", False],
        ["D-4", None, -12, 1e15, dt.date(2030, 1, 1), "#REF!", None],
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(r, c)
            if isinstance(value, str) and value.startswith("="):
                cell.value = value
                cell.data_type = "s"  # text, as a user would see it
            else:
                cell.value = value
    xlsx_path = tmp_path / "same.xlsx"
    wb.save(xlsx_path)
    from_xlsx = XlsxStore(str(xlsx_path)).read(["Pipeline"])["Pipeline"]

    book = api.add_spreadsheet(KEY)
    book.add_sheet(
        "Pipeline",
        [
            [SheetError(v) if isinstance(v, str) and v.startswith("#") else v for v in r]
            for r in rows
        ],
    )
    from_gs = open_store(api, fake_time).read(["Pipeline"])["Pipeline"]

    assert len(from_gs.rows) == len(from_xlsx.rows) == 5
    ctx = ParseContext()
    for r, (g_row, x_row) in enumerate(zip(from_gs.rows, from_xlsx.rows, strict=True)):
        assert len(g_row) == len(x_row) == 7, r
        for c, (g, x) in enumerate(zip(g_row, x_row, strict=True)):
            if isinstance(x, dt.date):  # Google sends dates as serial numbers
                assert isinstance(g, int), (r, c, g)
                assert parse_date(g, ctx) == x
            elif isinstance(x, float) and not isinstance(g, bool):
                assert g == x and isinstance(g, int | float), (r, c, g, x)
            else:
                assert g == x and type(g) is type(x), (r, c, g, x)
    assert from_gs.rows[1][0] == "0E761F02"
    assert from_gs.rows[1][5] == CellError("#N/A")
    assert from_gs.rows[3][1] == "=not a formula"


@pytest.mark.parametrize("deals", [10, 20_000])
def test_read_is_two_requests_whatever_the_size(api, fake_time, deals: int):
    book = api.add_spreadsheet(KEY, locale="zh_CN", time_zone="Asia/Shanghai")
    book.add_sheet("Pipeline", deal_rows(deals))
    book.add_sheet("salessheet history", [["deal", "stage"], ["D-00001", "lead"]])
    book.add_sheet("Notes", [["x"]], hidden=True)
    store = open_store(api, fake_time)

    infos = store.sheets()
    got = store.read(["Pipeline", "salessheet history", "Line Items"])

    assert [(i.name, i.visible) for i in infos] == [
        ("Pipeline", True),
        ("salessheet history", True),
        ("Notes", False),
    ]
    assert (store.locale, store.timezone) == ("zh_CN", "Asia/Shanghai")
    assert sorted(got) == ["Pipeline", "salessheet history"]
    pipeline = got["Pipeline"]
    assert len(pipeline.rows) == deals + 1
    assert pipeline.rows[-1] == [
        f"D-{deals:05d}",
        f"Customer {deals}",
        "lead",
        1000 + deals,
        46357,  # 2026-12-01 as a serial number
        "#ok",
    ]
    assert dict(api.counts) == {"spreadsheets.get": 1, "values.batchGet": 1}
    assert store.requests_sent == 2
    batch_get = next(r for r in api.log if r.endpoint == "values.batchGet")
    assert batch_get.query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert batch_get.query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]
    assert batch_get.query["ranges"] == ["'Pipeline'", "'salessheet history'"]


def test_read_keeps_row_numbers_merges_and_hidden_sheets(api, fake_time):
    book = api.add_spreadsheet(KEY)
    sheet = book.add_sheet("It's Q4", hidden=True)
    sheet.set("B3", "Deal ID")
    sheet.set("C4", 7)
    sheet.merge("A1:D1")
    got = open_store(api, fake_time).read(["It's Q4"])["It's Q4"]
    assert got.visible is False
    assert got.merged == [((0, 0), (0, 3))]
    assert got.rows == [["", "", ""], ["", "", ""], ["", "Deal ID", ""], ["", "", 7]]


def test_read_of_absent_sheets_sends_no_values_request(api, fake_time):
    api.add_spreadsheet(KEY).add_sheet("Pipeline", [["a"]])
    store = open_store(api, fake_time)
    assert store.read(["Nope"]) == {}
    assert dict(api.counts) == {"spreadsheets.get": 1}


# ---------------------------------------------------------------- writing


def nightly_batch(read: RawSheet, flag_col: int) -> WriteBatch:
    batch = WriteBatch()
    batch.cells.append(CellWrite("Pipeline", 1, flag_col, "salessheet flags"))
    for r in range(2, len(read.rows) + 1):
        row = read.rows[r - 1]
        batch.cells.append(CellWrite("Pipeline", r, flag_col, f"⚠ stalled {r}"))
        flag = row[flag_col - 1] if len(row) >= flag_col else None
        batch.guards.append(RowGuard("Pipeline", r, {1: row[0], 3: row[2], flag_col: flag}))
    ledger = [["deal", "stage", "since"]] + [
        [row[0], row[2], dt.date(2026, 11, 28)] for row in read.rows[1:]
    ]
    batch.sheets.append(SheetReplace("salessheet history", ledger))
    return batch


@pytest.mark.parametrize("deals", [10, 20_000])
def test_nightly_run_stays_within_five_requests(api, fake_time, deals: int):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(deals), row_count=deals + 1, col_count=6)
    store = open_store(api, fake_time)

    read = store.read(["Pipeline", "salessheet history"])["Pipeline"]
    report = store.write(nightly_batch(read, flag_col=7))

    assert dict(api.counts) == {
        "spreadsheets.get": 1,
        "values.batchGet": 2,
        "spreadsheets.batchUpdate": 1,  # adds the history sheet, widens Pipeline to column G
        "values.batchUpdate": 1,
    }
    assert api.total() == 5
    assert report.skipped_rows == []
    assert report.written_cells == deals + 1
    assert report.written_sheets == ["salessheet history"]
    pipeline = book.sheet("Pipeline")
    assert pipeline.get("G1") == "salessheet flags"
    assert pipeline.get(f"G{deals + 1}") == f"⚠ stalled {deals + 1}"
    history = book.sheet("salessheet history")
    assert history.get("A1") == "deal"
    assert history.get(f"C{deals + 1}") == "2026-11-28"  # a date goes in as ISO text (RAW)
    assert len(history.grid()) == deals + 1


def test_second_identical_write_sends_nothing(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(3))
    store = open_store(api, fake_time)
    read = store.read(["Pipeline"])["Pipeline"]
    store.write(nightly_batch(read, flag_col=7))
    store = open_store(api, fake_time)  # the next night
    read = store.read(["Pipeline", "salessheet history"])["Pipeline"]
    api.reset_counts()

    report = store.write(nightly_batch(read, flag_col=7))

    assert report.unchanged is True
    assert report.written_cells == 0 and report.written_sheets == []
    assert dict(api.counts) == {"values.batchGet": 1}


def test_row_edited_between_read_and_write_is_skipped_not_overwritten(api, fake_time):
    book = api.add_spreadsheet(KEY)
    sheet = book.add_sheet("Pipeline", deal_rows(5))
    store = open_store(api, fake_time)
    read = store.read(["Pipeline"])["Pipeline"]
    # someone works in the sheet while the job runs
    sheet.set("C3", "negotiation")  # row 3 changes stage
    sheet.set("G5", "my own note")  # a person typed into the flag cell of row 5

    report = store.write(nightly_batch(read, flag_col=7))

    assert report.skipped_rows == [
        ("Pipeline", 3, "edited since read: C3 was 'lead', now 'negotiation'"),
        ("Pipeline", 5, "edited since read: G5 was empty, now 'my own note'"),
    ]
    assert sheet.get("G3") is None
    assert sheet.get("G5") == "my own note"
    assert sheet.get("G2") == "⚠ stalled 2"
    assert sheet.get("G4") == "⚠ stalled 4"
    assert report.written_cells == 4  # the header and rows 2, 4 and 6


def test_row_that_moved_is_skipped(api, fake_time):
    book = api.add_spreadsheet(KEY)
    sheet = book.add_sheet("Pipeline", deal_rows(3))
    store = open_store(api, fake_time)
    read = store.read(["Pipeline"])["Pipeline"]
    # a row is inserted above row 3: rows 3 and 4 now hold other deals
    rows = [list(r) for r in read.rows]
    rows.insert(2, ["D-NEW", "Newco", "lead", 5, 46357, "#ok"])
    sheet.set_rows(rows)

    report = store.write(nightly_batch(read, flag_col=7))

    assert [(s, r) for s, r, _ in report.skipped_rows] == [("Pipeline", 3), ("Pipeline", 4)]
    assert "A3 was 'D-00002', now 'D-NEW'" in report.skipped_rows[0][2]
    assert sheet.get("G3") is None and sheet.get("G4") is None
    assert sheet.get("G2") == "⚠ stalled 2"


def test_formula_like_text_is_written_raw(api, fake_time):
    book = api.add_spreadsheet(KEY)
    sheet = book.add_sheet("Pipeline", deal_rows(2))
    store = open_store(api, fake_time)
    store.read(["Pipeline"])
    hyperlink = '=HYPERLINK("http://x","y")'

    store.write(
        WriteBatch(
            cells=[CellWrite("Pipeline", 2, 2, hyperlink)],
            sheets=[SheetReplace("Findings", [["customer"], [hyperlink], ["=1+1"]])],
        )
    )

    assert sheet.get("B2") == hyperlink
    findings = book.sheet("Findings")
    assert findings.grid() == [["customer"], [hyperlink], ["=1+1"]]
    body = next(r for r in api.log if r.endpoint == "values.batchUpdate").body
    assert body["valueInputOption"] == "RAW"
    # the same text sent with USER_ENTERED would have become a formula: the fake tells them apart
    requests.put(
        f"{api.url}v4/spreadsheets/{KEY}/values/Pipeline!B3",
        params={"valueInputOption": "USER_ENTERED"},
        json={"values": [[hyperlink]]},
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=10,
    ).raise_for_status()
    assert sheet.get("B3") == Formula(hyperlink)


def test_replaced_sheet_loses_its_stale_rows_and_values_convert(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(1))
    ledger = book.add_sheet("salessheet history", [["a", "b", "c", "old"]] + [["x"] * 4] * 6)
    store = open_store(api, fake_time)
    store.read(["Pipeline", "salessheet history"])

    report = store.write(
        WriteBatch(
            sheets=[
                SheetReplace(
                    "salessheet history",
                    [
                        ["deal", "amount", "since"],
                        ["D-1", Decimal("1200.50"), dt.date(2026, 1, 31)],
                        ["D-2", Decimal("3"), None],
                    ],
                )
            ]
        )
    )

    assert report.written_sheets == ["salessheet history"]
    assert ledger.grid() == [
        ["deal", "amount", "since"],
        ["D-1", 1200.5, "2026-01-31"],
        ["D-2", 3, None],
    ]
    # the grid was large enough: the one batchUpdate only marks the sheet as salessheet's
    (update,) = [r for r in api.log if r.endpoint == "spreadsheets.batchUpdate"]
    assert [next(iter(r)) for r in update.body["requests"]] == ["createDeveloperMetadata"]
    assert [m["metadataKey"] for m in ledger.developer_metadata] == ["salessheet.owned"]


def test_writing_past_the_grid_grows_it_first(api, fake_time):
    book = api.add_spreadsheet(KEY)
    sheet = book.add_sheet("Pipeline", deal_rows(2), row_count=3, col_count=6)
    store = open_store(api, fake_time)
    store.read(["Pipeline"])
    store.write(WriteBatch(cells=[CellWrite("Pipeline", 5, 30, "far")]))
    assert (sheet.row_count, sheet.col_count) == (5, 30)
    assert sheet.get("AD5") == "far"


def test_write_without_read_still_fits_the_budget(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(2))
    store = open_store(api, fake_time)
    store.write(WriteBatch(sheets=[SheetReplace("New", [["a"]])]))
    assert dict(api.counts) == {
        "spreadsheets.get": 1,
        "spreadsheets.batchUpdate": 1,
        "values.batchUpdate": 1,
    }
    assert book.sheet("New").grid() == [["a"]]


# ---------------------------------------------------------------- retries and deadline


def test_two_429s_then_success(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(3))
    api.inject(429, 429, endpoint="values.batchGet")
    store = open_store(api, fake_time)

    got = store.read(["Pipeline"])

    assert got["Pipeline"].rows[1][0] == "D-00001"
    assert api.counts["values.batchGet"] == 3
    assert len(fake_time.sleeps) == 2
    first, second = fake_time.sleeps
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0  # exponential backoff with jitter


@pytest.mark.parametrize("deadline", [60.0, 10.0])
def test_permanent_503_gives_up_within_the_deadline(api, fake_time, deadline: float):
    api.add_spreadsheet(KEY).add_sheet("Pipeline", deal_rows(3))
    api.fail_always(503)
    store = open_store(api, fake_time, deadline_s=deadline)

    with pytest.raises(StoreUnavailable) as info:
        store.read(["Pipeline"])

    assert info.value.exit_code == 4
    assert "503" in info.value.message and "attempts" in info.value.message
    assert fake_time.now < deadline
    assert 2 <= api.counts["spreadsheets.get"] <= 6
    assert api.counts["spreadsheets.get"] == len(fake_time.sleeps) + 1


def test_add_sheet_is_not_blindly_repeated(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(1))
    store = open_store(api, fake_time)
    store.read(["Pipeline"])
    # the request is applied, but the answer is lost: sending it again would fail or duplicate
    api.inject(503, endpoint="spreadsheets.batchUpdate", after_apply=True)

    report = store.write(WriteBatch(sheets=[SheetReplace("Ledger", [["a"], ["b"]])]))

    assert report.written_sheets == ["Ledger"]
    assert [s.title for s in book.sheets] == ["Pipeline", "Ledger"]
    assert book.sheet("Ledger").grid() == [["a"], ["b"]]
    assert api.counts["spreadsheets.batchUpdate"] == 1  # looked (metadata) instead of resending
    assert api.counts["spreadsheets.get"] == 2


def test_add_sheet_that_did_not_happen_is_sent_again_after_looking(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(1))
    store = open_store(api, fake_time)
    store.read(["Pipeline"])
    api.inject(503, endpoint="spreadsheets.batchUpdate")

    store.write(WriteBatch(sheets=[SheetReplace("Ledger", [["a"]])]))

    assert [s.title for s in book.sheets] == ["Pipeline", "Ledger"]
    assert api.counts["spreadsheets.batchUpdate"] == 2
    assert len(fake_time.sleeps) == 1


# ---------------------------------------------------------------- errors a user can act on


def test_not_found_is_a_source_error(api, fake_time):
    store = open_store(api, fake_time)
    with pytest.raises(SourceError) as info:
        store.sheets()
    assert info.value.exit_code == 2
    assert f"spreadsheet {KEY} not found" in info.value.message
    assert "copy the address" in info.value.hint


def test_not_shared_says_share_it(api, fake_time):
    api.add_spreadsheet(KEY, shared=False).add_sheet("Pipeline", [["a"]])
    with pytest.raises(StoreUnavailable) as info:
        open_store(api, fake_time).sheets()
    assert info.value.exit_code == 4
    assert "403" in info.value.message
    assert info.value.hint.startswith("share the sheet with")


def test_wrong_token_is_reported_without_the_token(api, fake_time):
    api.add_spreadsheet(KEY).add_sheet("Pipeline", [["a"]])
    store = GSheetsStore(f"gsheet:{KEY}", env=api.env(token="wrong-token-123"))
    with pytest.raises(StoreUnavailable) as info:
        store.sheets()
    assert "401" in info.value.message
    assert "SALESSHEET_SHEETS_TOKEN" in info.value.hint
    assert "wrong-token-123" not in info.value.render()
    assert api.counts["spreadsheets.get"] == 1  # an auth failure is not retried


def test_unreachable_endpoint_gives_up_within_the_deadline(fake_time):
    env = {"SALESSHEET_SHEETS_ENDPOINT": "http://127.0.0.1:9/", "SALESSHEET_SHEETS_TOKEN": "t"}
    store = GSheetsStore(
        f"gsheet:{KEY}", env=env, sleep=fake_time.sleep, clock=fake_time.clock, deadline_s=20
    )
    with pytest.raises(StoreUnavailable) as info:
        store.sheets()
    assert "could not reach http://127.0.0.1:9" in info.value.message
    assert fake_time.now < 20


def test_missing_gspread_gives_an_install_hint(api, fake_time, monkeypatch):
    monkeypatch.setitem(sys.modules, "gspread", None)  # as if the extra were not installed
    store = open_store(api, fake_time)
    with pytest.raises(SourceError) as info:
        store.sheets()
    assert info.value.hint == "pip install 'salessheet[gsheets]'"


def test_viewer_access_cannot_write_and_is_not_retried(api, fake_time):
    book = api.add_spreadsheet(KEY, read_only=True)
    book.add_sheet("Pipeline", deal_rows(1))
    store = open_store(api, fake_time)
    store.read(["Pipeline"])
    with pytest.raises(StoreUnavailable) as info:
        store.write(WriteBatch(sheets=[SheetReplace("Ledger", [["a"]])]))
    assert (
        info.value.message == f"no permission to change spreadsheet {KEY} (403 permission denied)"
    )
    assert info.value.hint == (
        "share the sheet with the account of SALESSHEET_SHEETS_TOKEN"
        " as Editor (Viewer cannot write)"
    )
    assert api.counts["spreadsheets.batchUpdate"] == 1
    assert fake_time.sleeps == []
    assert [s.title for s in book.sheets] == ["Pipeline"]


def test_tool_sheet_renamed_in_another_case_is_still_found(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", deal_rows(1))
    ledger = book.add_sheet("Salessheet History", [["deal"], ["D-00001"], ["D-00002"]])
    store = open_store(api, fake_time)

    got = store.read(["Pipeline", "salessheet history"])
    store.write(WriteBatch(sheets=[SheetReplace("salessheet history", [["deal"], ["D-9"]])]))

    assert got["salessheet history"].rows == [["deal"], ["D-00001"], ["D-00002"]]
    assert [s.title for s in book.sheets] == ["Pipeline", "Salessheet History"]
    assert ledger.grid() == [["deal"], ["D-9"]]


def test_browser_address_with_gid_names_its_tab(api, fake_time):
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Summary", [["total"]], sheet_id=0)
    book.add_sheet("Deals", deal_rows(2), sheet_id=1234567)
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=1234567"
    store = GSheetsStore(url, env=api.env(), sleep=fake_time.sleep, clock=fake_time.clock)

    assert store.gid_sheet() == "Deals"
    assert store.read(["Deals"])["Deals"].rows[1][0] == "D-00001"
    assert GSheetsStore(f"gsheet:{KEY}#gid=99", env=api.env()).gid_sheet() is None
