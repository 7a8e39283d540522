"""The CLI on a Google Sheet (the fake, through SALESSHEET_SHEETS_ENDPOINT) gives what it
gives on the same data in an xlsx workbook, within the request budget."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import REPO
from fake_sheets import FakeSheets, FakeSpreadsheet, Formula, SheetError

from salessheet.core.cells import CellError
from salessheet.stores.xlsx.store import XlsxStore

KEY = "1PipelineKey_cli-test"
SOURCE = f"gsheet:{KEY}"
OWNED = ("salessheet history", "salessheet findings")
HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture
def api():
    with FakeSheets(token="cli-test-token") as fake:
        yield fake


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    src = REPO / "examples" / "pipeline.xlsx"
    if not src.exists():
        pytest.skip("examples/pipeline.xlsx is not built")
    dst = tmp_path / "pipeline.xlsx"
    dst.write_bytes(src.read_bytes())
    return dst


def to_fake(value: Any) -> Any:
    if isinstance(value, CellError):
        return SheetError(value.code)
    if value == "":
        return None
    return value


def upload(api: FakeSheets, path: Path, skip: tuple[str, ...] = ()) -> FakeSpreadsheet:
    """The workbook's sheets, cell for cell, as a Google Sheet in the fake."""
    store = XlsxStore(str(path))
    infos = [i for i in store.sheets() if i.name not in skip]
    book = api.add_spreadsheet(KEY, "Pipeline", locale="en_US", time_zone="Asia/Shanghai")
    for info, raw in zip(infos, store.read([i.name for i in infos]).values(), strict=True):
        sheet = book.add_sheet(info.name, hidden=not info.visible)
        sheet.set_rows([[to_fake(v) for v in row] for row in raw.rows])
        for (top, left), (bottom, right) in raw.merged:
            sheet.merges.append(
                {
                    "sheetId": sheet.sheet_id,
                    "startRowIndex": top,
                    "endRowIndex": bottom + 1,
                    "startColumnIndex": left,
                    "endColumnIndex": right + 1,
                }
            )
    return book


def drop_owned(path: Path) -> Path:
    """The example without its tool-owned sheets and flag columns: a first run."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for name in OWNED:
        if name in wb.sheetnames:
            del wb[name]
    ws = wb["Pipeline"]
    for cell in list(ws[1]):
        if isinstance(cell.value, str) and cell.value.startswith("⚑ salessheet"):
            ws.delete_cols(cell.column, 1)
            break
    for cell in list(ws[1]):
        if isinstance(cell.value, str) and cell.value.startswith("⚑ salessheet"):
            ws.delete_cols(cell.column, 1)
    wb.save(path)
    return path


def salessheet(api: FakeSheets | None, *args: str) -> tuple[int, dict]:
    from salessheet.cli import main

    env = api.env() if api else {"SALESSHEET_SHEETS_ENDPOINT": ""}
    result = CliRunner().invoke(main, [*args, "--format", "json"], env=env)
    assert result.stdout.strip(), result.stderr
    return result.exit_code, json.loads(result.stdout)


def comparable(value: Any) -> Any:
    """A cell value as both stores agree on it (Google sends dates as serial numbers)."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    if isinstance(value, dt.date):
        return (value - dt.date(1899, 12, 30)).days
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def grid(rows: list[list[Any]]) -> list[list[Any]]:
    out = [[comparable(v) for v in row] for row in rows]
    for row in out:
        while row and row[-1] in ("", None):
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def gsheet_grid(book: FakeSpreadsheet, name: str) -> list[list[Any]]:
    return grid([[v if v is not None else "" for v in row] for row in book.sheet(name).grid()])


def same_findings(from_gsheets: list[dict], from_xlsx: list[dict]) -> bool:
    """Equal, except that a finding's raw ``value`` in a date cell is the serial number Google
    sends where the xlsx store has the date (the rules report the raw cell)."""
    assert len(from_gsheets) == len(from_xlsx)
    for g, x in zip(from_gsheets, from_xlsx, strict=True):
        if g != x and isinstance(g["value"], int) and isinstance(x["value"], str):
            assert comparable(dt.date.fromisoformat(x["value"])) == g["value"], (g, x)
            g = {**g, "value": x["value"]}
        assert g == x
    return True


# ---------------------------------------------------------------- tests


def test_validate_gives_the_same_findings_as_on_xlsx(api, workbook: Path):
    upload(api, workbook)
    x_code, x_out = salessheet(None, "validate", str(workbook), "--today", "2026-11-28")
    g_code, g_out = salessheet(api, "validate", SOURCE, "--today", "2026-11-28")

    assert x_out.pop("source") == str(workbook)
    assert g_out.pop("source") == SOURCE
    x_findings = x_out.pop("findings")
    assert len(x_findings) == 12  # the example has problems to find
    assert same_findings(g_out.pop("findings"), x_findings)
    assert g_out == x_out
    assert g_code == x_code == 1
    assert api.total() == 2
    assert "values.batchUpdate" not in api.counts  # validate never writes


def test_run_writes_ledger_and_flags_like_xlsx_within_five_requests(api, workbook: Path):
    drop_owned(workbook)
    book = upload(api, workbook)
    assert [s.title for s in book.sheets] == ["Pipeline", "Line Items", "Products"]

    x_code, x_out = salessheet(None, "run", str(workbook), "--today", "2026-11-28")
    g_code, g_out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert g_code == x_code
    assert same_findings(g_out["findings"], x_out["findings"])
    assert api.total() <= 5, dict(api.counts)
    assert api.counts["values.batchUpdate"] == 1
    assert g_out["written"]["skipped_rows"] == []
    after = XlsxStore(str(workbook))
    names = [i.name for i in after.sheets()]
    assert [s.title for s in book.sheets] == names
    for name, raw in after.read(names).items():
        assert gsheet_grid(book, name) == grid(raw.rows), name
    flags = book.sheet("Pipeline").grid()[0][-2:]
    assert flags == ["⚑ salessheet: flags", "⚑ salessheet: days in stage"]


def test_second_run_without_edits_writes_nothing(api, workbook: Path):
    upload(api, workbook)
    salessheet(api, "run", SOURCE, "--today", "2026-11-28")
    api.reset_counts()
    before = {s.title: s.grid() for s in api.spreadsheets[KEY].sheets}

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert out["written"]["unchanged"] is True
    assert "values.batchUpdate" not in api.counts
    assert api.total() <= 3
    assert {s.title: s.grid() for s in api.spreadsheets[KEY].sheets} == before


def test_a_grown_ledger_sends_only_its_new_rows(api, workbook: Path):
    """A night that adds ledger rows writes those rows, not the whole history above them
    (after a year at 20,000 deals the ledger is 165,000 rows), and the sheet ends up exactly
    as a whole rewrite would leave it."""
    book = upload(api, drop_owned(workbook))
    salessheet(api, "run", SOURCE, "--today", "2026-11-27")
    history = book.sheet("salessheet history")
    before = history.grid()
    book.sheet("Pipeline").set("C3", "Opportunity")  # D-0002 moves on: one stage event
    api.log.clear()

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    [write] = [r for r in api.log if r.endpoint == "values.batchUpdate"]
    [sent] = [d for d in write.body["data"] if d["range"].startswith("'salessheet history'!")]
    after = history.grid()
    assert len(before) > 50 and len(after) > len(before)
    assert sent["range"] == f"'salessheet history'!A{len(before) + 1}:I{len(after)}"
    assert sent["values"] == [["" if v is None else v for v in r] for r in after[len(before) :]]
    assert after[: len(before)] == before
    assert [row[2:6] for row in sent["values"] if row[3] == "stage"] == [
        ["D-0002", "stage", "negotiation", "opportunity"]
    ]


def test_formula_like_names_stay_text_after_a_run(api, workbook: Path):
    book = upload(api, workbook)
    pipeline = book.sheet("Pipeline")
    pipeline.set("B2", HYPERLINK)  # a customer name a person typed as text
    pipeline.set("A3", "=D-0002")  # a deal id the ledger will copy into its own sheet

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert code in (0, 1), out
    assert pipeline.get("B2") == HYPERLINK
    history = book.sheet("salessheet history").grid()
    assert any(row[2] == "=D-0002" for row in history), "the ledger records the deal by its id"
    formulas = [
        (s.title, r, c)
        for s in book.sheets
        for r, cols in s.cells.items()
        for c, v in cols.items()
        if isinstance(v, Formula)
    ]
    assert formulas == []


def test_edit_during_the_run_is_not_overwritten(api, workbook: Path):
    """A row moves (another deal's id is now on it) between the run's read and its write."""
    book = upload(api, drop_owned(workbook))
    pipeline = book.sheet("Pipeline")
    original = api._values_batch_get
    calls = []

    def edit_after_first_read(key: str, *, query: Any, body: Any) -> Any:
        answer = original(key, query=query, body=body)
        calls.append(1)
        if len(calls) == 1:  # right after the run read the sheet
            pipeline.set("A5", "D-0999")
        return answer

    api._values_batch_get = edit_after_first_read  # the fake's own hook, not our code
    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert out["written"]["skipped_rows"] == [
        ["Pipeline", 5, "edited since read: A5 was 'D-0004', now 'D-0999'"]
    ]
    flag_col = len(pipeline.grid()[0]) - 1
    assert pipeline.cells[4].get(flag_col - 1) is None  # row 5 got no flag: it was skipped
    assert pipeline.cells[5].get(flag_col - 1)  # row 6 did
    assert pipeline.get("A5") == "D-0999"


def test_budget_holds_at_20000_deals(api, tmp_path: Path):
    rows: list[list[Any]] = [["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"]]
    for i in range(1, 20_001):
        rows.append([f"D-{i:05d}", f"Customer {i}", "Lead", 1000 + i, "Ann", dt.date(2027, 1, 31)])
    book = api.add_spreadsheet(KEY)
    book.add_sheet("Pipeline", rows)

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert out["summary"]["deals"] == 20_000
    assert api.total() <= 5, dict(api.counts)
    assert len(book.sheet("salessheet history").grid()) >= 20_001


def test_unreachable_store_exits_4_without_a_traceback(api, workbook: Path):
    upload(api, workbook)
    api.fail_always(403)  # e.g. the service account lost access
    from salessheet.cli import main

    result = CliRunner().invoke(main, ["validate", SOURCE], env=api.env())
    assert result.exit_code == 4
    assert "Traceback" not in result.output + result.stderr
    assert "share the sheet with" in result.stderr
    assert api.token not in result.stderr


def test_stalled_gives_the_same_deals_as_on_xlsx(api, workbook: Path):
    upload(api, workbook)
    x_code, x_out = salessheet(None, "stalled", str(workbook), "--today", "2026-11-28")
    g_code, g_out = salessheet(api, "stalled", SOURCE, "--today", "2026-11-28")
    assert g_code == x_code
    assert [s["deal_id"] for s in g_out["stalled"]] == [s["deal_id"] for s in x_out["stalled"]]
    assert g_out["stalled"] == x_out["stalled"]
    assert same_findings(g_out["findings"], x_out["findings"])
    assert api.total() == 2


def test_dry_run_writes_nothing(api, workbook: Path):
    book = upload(api, drop_owned(workbook))
    before = {s.title: s.grid() for s in book.sheets}
    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28", "--dry-run")
    assert out["dry_run"]["written"] is False
    assert out["dry_run"]["changes"]
    assert {s.title: s.grid() for s in book.sheets} == before
    assert dict(api.counts) == {"spreadsheets.get": 1, "values.batchGet": 1}


def test_flags_never_land_on_formulas_whose_values_read_empty(api, workbook: Path):
    """Right of the table, formulas showing "" (=IF(..., "")) read as empty cells: the first
    run took the column for its flags and wrote its header and flags over the user's formulas
    (Google keeps no copy). Now nothing is written in that sheet, the row says why, and the
    ledger is still recorded."""
    drop_owned(workbook)
    book = upload(api, workbook)
    pipeline = book.sheet("Pipeline")
    width = len([v for v in pipeline.grid()[0] if v not in (None, "")])
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[width]  # the first column right of the table
    formulas = {f"{letter}{r}": Formula(f'=IF(D{r}>100000,"big","")') for r in (2, 3, 4)}
    for ref, formula in formulas.items():
        pipeline.set(ref, formula)
    before = {ref: pipeline.get(ref) for ref in formulas}
    grid_before = pipeline.grid()

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert code in (0, 1), out
    assert {ref: pipeline.get(ref) for ref in formulas} == before
    assert pipeline.grid() == grid_before  # not a header, not a flag
    assert out["written"]["skipped_rows"] == [
        [
            "Pipeline",
            1,
            f'{letter}2 holds a formula (=IF(D2>100000,"big","")) whose value reads as '
            f"empty: column {letter} is not free, so no flags were written tonight. Give column "
            f"{letter} a header (or move its formulas) and the next run puts its columns right "
            "of it",
        ]
    ]
    history = book.sheet("salessheet history").grid()
    assert len(history) > 1, "the ledger is written all the same"


def test_spreadsheet_deleted_during_the_run_exits_4_and_the_next_night_recovers(
    api, workbook: Path
):
    """Someone deletes the spreadsheet while the nightly run works (Google then answers 404 to
    the write): the key is not wrong, so the message must not say to copy the address again and
    the exit code is 4 (store unreachable, run again), not 2 (bad input). Once it is restored
    from the Trash, the next run writes the ledger it could not."""
    from salessheet.cli import main

    book = upload(api, drop_owned(workbook))
    write = api._values_batch_update

    def deleted_meanwhile(key: str, **kwargs: Any) -> dict[str, Any]:
        api.spreadsheets.pop(key)  # moved to the Trash after the run read it
        return write(key, **kwargs)

    api._values_batch_update = deleted_meanwhile  # type: ignore[method-assign]
    result = CliRunner().invoke(main, ["run", SOURCE, "--today", "2026-11-28"], env=api.env())

    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        f"salessheet: spreadsheet {KEY} was there when this run opened it, but Google answered"
        " 404 when trying to write it: it was deleted while the run worked; nothing was written",
        "  hint: if it was deleted by mistake, restore it from Google Drive's Trash; then run"
        f" again ({SOURCE})",
    ]
    assert book.sheet("salessheet history").grid() == []  # (its empty tab came first)
    assert all(v is None or not str(v).startswith("⚑") for v in book.sheet("Pipeline").grid()[0])

    api._values_batch_update = write  # type: ignore[method-assign]
    api.spreadsheets[KEY] = book  # restored from the Trash
    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")
    assert code in (0, 1)
    assert out["written"]["skipped_rows"] == []
    assert book.sheet("salessheet history").grid()[0][:4] == ["Run", "Run Date", "Deal ID", "Event"]


def test_a_note_typed_into_the_flag_column_of_a_deal_is_kept_and_named(api, workbook: Path):
    """A person types "call back Monday" into the `⚑ salessheet: flags` cell of a deal (it is
    the column right of the table, and looks free on a clean deal). The next run used to erase
    it, writing the deal's (empty) flag over it. Now the note stays, the run names the cell, and
    every other row is flagged as before."""
    book = upload(api, drop_owned(workbook))
    salessheet(api, "run", SOURCE, "--today", "2026-11-28")
    sheet = book.sheet("Pipeline")
    header = sheet.grid()[0]
    flag = header.index("⚑ salessheet: flags")
    days = header.index("⚑ salessheet: days in stage")
    from fake_sheets import col_letters

    note_cell = f"{col_letters(flag)}3"
    sheet.set(note_cell, "call back Monday")
    others = {r: row[flag] for r, row in enumerate(sheet.grid(), start=1) if r not in (1, 3)}

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert sheet.get(note_cell) == "call back Monday"
    assert out["written"]["skipped_rows"] == [
        [
            "Pipeline",
            3,
            f"{note_cell} holds 'call back Monday', typed over salessheet's flag cell: kept, and"
            " this row is not flagged until it is moved to a column of your own (or cleared)",
        ]
    ]
    grid_after = sheet.grid()
    assert {r: row[flag] for r, row in enumerate(grid_after, start=1) if r not in (1, 3)} == others
    assert grid_after[2][days] is not None  # (row 3's day count was left as it was)


def test_a_formula_put_into_the_flag_column_costs_only_its_own_row(api, workbook: Path):
    """Someone fills a formula showing "" into one deal's cell of the `⚑ salessheet: flags`
    column (headed by the tool since the first night). The next run used to write no flag or
    day count anywhere in the pipeline tab and told them to "give column M a header", a column
    that has one. Now the formula is kept, that row alone goes unflagged and says why, and every
    other deal gets tonight's flags."""
    from fake_sheets import col_letters

    book = upload(api, drop_owned(workbook))
    salessheet(api, "run", SOURCE, "--today", "2026-11-27")
    sheet = book.sheet("Pipeline")
    header = sheet.grid()[0]
    flag = header.index("⚑ salessheet: flags")
    days = header.index("⚑ salessheet: days in stage")
    row = next(r for r, v in enumerate(sheet.grid(), 1) if str(v[flag]).startswith("⚠ stalled"))
    cell = f"{col_letters(flag)}{row}"
    formula = Formula(f'=IF(B{row}="","check","")', "")
    sheet.set(cell, formula)  # over the deal's flag: the cell shows nothing now
    before = [row[days] for row in sheet.grid()]

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert out["written"]["skipped_rows"] == [
        [
            "Pipeline",
            row,
            f'{cell} holds a formula (=IF(B{row}="","check","")) typed over salessheet\'s cell:'
            " kept, and this row is not flagged until it is moved to a column of your own"
            " (or cleared)",
        ]
    ]
    assert sheet.get(cell) == formula
    after = [row[days] for row in sheet.grid()]
    assert after[row - 1] == before[row - 1]  # that row untouched
    moved_on = [r for r, (b, a) in enumerate(zip(before, after, strict=True)) if b != a]
    assert len(moved_on) > 20  # every other open deal's day count went up by one
    assert all(after[r] == before[r] + 1 for r in moved_on)


def test_dry_run_names_the_note_it_would_keep(api, workbook: Path):
    """`run --dry-run` says which deal row a run would leave unflagged for a note typed into
    the flag column (the JSON has it under dry_run.skipped_rows), and writes nothing."""
    from fake_sheets import col_letters

    from salessheet.cli import main

    book = upload(api, drop_owned(workbook))
    salessheet(api, "run", SOURCE, "--today", "2026-11-28")
    sheet = book.sheet("Pipeline")
    cell = f"{col_letters(sheet.grid()[0].index('⚑ salessheet: flags'))}4"
    sheet.set(cell, "waiting for PO")
    before = {s.title: s.grid() for s in book.sheets}

    result = CliRunner().invoke(
        main, ["run", SOURCE, "--today", "2026-11-28", "--dry-run"], env=api.env()
    )

    assert (
        f"  would skip Pipeline row 4: {cell} holds 'waiting for PO', typed over salessheet's"
        " flag cell: kept, and this row is not flagged until it is moved to a column of your own"
        " (or cleared)"
    ) in result.stdout.splitlines()
    assert {s.title: s.grid() for s in book.sheets} == before


def test_a_renamed_history_tab_goes_on_holding_the_ledger(api, workbook: Path):
    """Someone renames the `salessheet history` tab ("Stage history"). The next run used to
    start a new ledger beside it: every deal "recorded for the first time", that night's stage
    move lost, days in stage back to 0. The tab carries salessheet's mark, so the run now finds
    it under its new name, records the move there and makes no second ledger."""
    book = upload(api, drop_owned(workbook))
    salessheet(api, "run", SOURCE, "--today", "2026-11-27")
    book.sheet("salessheet history").title = "Stage history"
    history = book.sheet("Stage history")
    before = history.grid()
    book.sheet("Pipeline").set("C3", "Opportunity")  # D-0002 moves on
    api.reset_counts()

    code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-28")

    assert [e[2:6] for e in out["events"]] == [["D-0002", "stage", "negotiation", "opportunity"]]
    assert out["written"]["sheets"][0] == "Stage history"
    assert [s.title for s in book.sheets].count("salessheet history") == 0
    after = history.grid()
    assert after[: len(before)] == before
    assert after[len(before)][2:6] == ["D-0002", "stage", "negotiation", "opportunity"]
    assert api.total() <= 5, dict(api.counts)
