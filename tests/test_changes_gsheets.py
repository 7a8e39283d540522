"""The same ten nights on a Google Sheet, through the local Sheets API server: the same ledger,
movement, forecast snapshots and accuracy as on a workbook, every night within 5 requests, the
tool's sheets marked with developer metadata, and a user's own sheet never replaced."""

from __future__ import annotations

import json

import pipeline_nights as story
import pytest
from click.testing import CliRunner
from fake_sheets import FakeSheet, FakeSheets

KEY = "1HistoryKey_nights"
SOURCE = f"gsheet:{KEY}"
TOOL_SHEETS = ("salessheet history", "salessheet findings", "salessheet forecast")


def salessheet(api: FakeSheets, *args: str) -> tuple[int, dict]:
    from salessheet.cli import main

    result = CliRunner().invoke(main, [*args, "--format", "json"], env=api.env())
    assert result.stdout.strip(), result.stderr
    return result.exit_code, json.loads(result.stdout)


def put_deals(sheet: FakeSheet, deals: story.Deals) -> None:
    """A person edits the pipeline's own columns (A-G) in the browser."""
    rows = story.rows(deals)
    used = max(sheet.extent()[0], len(rows))
    for r in range(used):
        for c in range(len(story.HEADER)):
            sheet.put(r, c, rows[r][c] if r < len(rows) else None)


@pytest.fixture(scope="module")
def nights():
    with FakeSheets(token="nights-token") as api:
        deals = story.start()
        book = api.add_spreadsheet(KEY, "Pipeline", time_zone="Asia/Shanghai")
        pipeline = book.add_sheet("Pipeline", col_count=10)
        outs, requests = [], []
        for day, edit in story.NIGHTS:
            edit(deals)
            put_deals(pipeline, deals)
            api.reset_counts()
            code, out = salessheet(api, "run", SOURCE, "--today", day.isoformat())
            assert code in (0, 1), out
            outs.append(out)
            requests.append(api.total())
        yield api, book, outs, requests


def test_every_night_stays_within_five_requests(nights) -> None:
    api, book, outs, requests = nights
    assert max(requests) <= 5, requests
    assert requests[0] == 5  # metadata, read, re-read, add + mark the sheets, write
    assert requests[7] == 4  # a quiet night: only the forecast sheet changes


def test_the_tools_sheets_carry_developer_metadata(nights) -> None:
    api, book, outs, requests = nights
    for name in TOOL_SHEETS:
        meta = book.sheet(name).developer_metadata
        assert [(m["metadataKey"], m["metadataValue"], m["visibility"]) for m in meta] == [
            ("salessheet.owned", name, "DOCUMENT")
        ]


def test_same_ledger_events_as_on_a_workbook(nights) -> None:
    api, book, outs, requests = nights
    events = [[(e[2], e[3], e[4], e[5]) for e in out["events"]] for out in outs]
    assert events[1] == [("A", "amount", "1000", "1500"), ("F", "seen", "", "lead")]
    assert events[4] == [("A", "owner", "Ann", "Bob"), ("D", "stage", "follow_up", "lost")]
    assert events[5] == [("F", "removed", "lead", "")]


def test_same_movement_and_deals_as_on_a_workbook(nights) -> None:
    api, book, outs, requests = nights
    api.reset_counts()
    code, out = salessheet(api, "changes", SOURCE, "--since", "2026-09-28", "--until", "2026-10-04")
    assert code == 0
    assert api.total() == 2  # metadata and one read: changes never writes
    assert out["movement"] == story.WEEK_MOVEMENT
    got = [
        (d["deal_id"], d["kind"], d["from"], d["to"], d["amount_change"], d["date"], d["run"])
        for d in out["deals"]
    ]
    assert got == story.WEEK_DEALS
    code, out = salessheet(
        api, "changes", SOURCE, "--since", "2026-09-28", "--until", "2026-10-04",
        "--close-by", "2026-10-31",
    )  # fmt: skip
    assert out["movement"] == story.CLOSE_BY_MOVEMENT


def test_same_forecast_sheet_and_accuracy_as_on_a_workbook(nights) -> None:
    api, book, outs, requests = nights
    assert book.sheet("salessheet forecast").grid() == story.FORECAST_SHEET
    code, out = salessheet(api, "report", SOURCE, "--today", "2026-11-02")
    (october,) = out["forecast_accuracy"]["months"]
    assert {k: october[k] for k in story.OCTOBER} == story.OCTOBER


def test_a_users_own_sheet_named_like_the_ledger_is_refused():
    with FakeSheets(token="t") as api:
        book = api.add_spreadsheet(KEY)
        book.add_sheet("Pipeline", story.rows(story.start()))
        mine = book.add_sheet("salessheet history", [["Who", "When"], ["Ann", "Monday"]])
        api.reset_counts()
        code, out = salessheet(api, "run", SOURCE, "--today", "2026-10-01")
        assert code == 3
        assert "'salessheet history'" in out["error"]["message"]
        assert "rename" in out["error"]["hint"]
        assert mine.grid() == [["Who", "When"], ["Ann", "Monday"]]
        assert "spreadsheets.batchUpdate" not in api.counts
        assert "values.batchUpdate" not in api.counts


def test_a_ledger_of_an_earlier_version_is_adopted_and_marked_within_the_budget():
    from test_ledger_integrity import LEGACY_LEDGER

    with FakeSheets(token="t") as api:
        book = api.add_spreadsheet(KEY)
        book.add_sheet("Pipeline", story.rows({"X": ["Acme", "Lead", 1200, "Ann", None, None]}))
        ledger = book.add_sheet("salessheet history", LEGACY_LEDGER)
        api.reset_counts()
        code, out = salessheet(api, "run", SOURCE, "--today", "2026-11-05")
        assert code in (0, 1), out
        assert api.total() <= 5
        assert ledger.grid()[: len(LEGACY_LEDGER)] == [
            [v if v != "" else None for v in row] for row in LEGACY_LEDGER
        ]
        assert [m["metadataKey"] for m in ledger.developer_metadata] == ["salessheet.owned"]
