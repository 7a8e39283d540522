"""`init` on a Google Sheet: the plan drawn onto a blank spreadsheet (in the fake), the same
cells as the xlsx init, dropdowns and formats, four requests, and never over existing data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fake_sheets import FakeSheets, FakeSpreadsheet
from test_gsheets_cli import grid, gsheet_grid

from salessheet.core.errors import UsageError
from salessheet.init.plan import build_init_plan
from salessheet.init.workbook import init_workbook
from salessheet.settings.profile import load_profile
from salessheet.stores.gsheets.store import GSheetsStore
from salessheet.stores.xlsx.store import XlsxStore

KEY = "1BlankSheetKey_init"
TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def api(monkeypatch):
    with FakeSheets(token="init-token") as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        yield fake


def blank(api: FakeSheets, first_tab: str = "Sheet1") -> FakeSpreadsheet:
    book = api.add_spreadsheet(KEY, "New pipeline")
    book.add_sheet(first_tab)
    return book


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_init_draws_the_same_workbook_as_xlsx(api, tmp_path: Path, lang: str):
    book = blank(api)
    profile = load_profile("b2b")

    init_workbook(f"gsheet:{KEY}", profile=profile, lang=lang, today=TODAY)
    init_workbook(str(tmp_path / "new.xlsx"), profile=profile, lang=lang, today=TODAY)

    xlsx = XlsxStore(str(tmp_path / "new.xlsx"))
    plan_names = [s.name for s in build_init_plan(profile, lang, today=TODAY).sheets]
    assert [s.title for s in book.sheets] == plan_names
    xlsx_path = str(tmp_path / "new.xlsx")
    for name, raw in xlsx.read(plan_names).items():
        # the instructions spell the commands with the source they were made for
        rows = [
            [v.replace(xlsx_path, f"gsheet:{KEY}") if isinstance(v, str) else v for v in row]
            for row in raw.rows
        ]
        assert gsheet_grid(book, name) == grid(rows), name
    assert dict(api.counts) == {
        "spreadsheets.get": 1,
        "values.batchGet": 1,
        "spreadsheets.batchUpdate": 1,
        "values.batchUpdate": 1,
    }


def test_init_sets_dropdowns_formats_and_frozen_header(api):
    book = blank(api, first_tab="Pipeline")  # the blank tab may already carry the name
    profile = load_profile("b2b")
    plan = build_init_plan(profile, "en", today=TODAY)

    GSheetsStore(f"gsheet:{KEY}").initialise(plan)

    pipeline = book.sheet(plan.pipeline.name)
    assert pipeline.frozen_rows == 1
    assert pipeline.row_count == 1 + plan.pipeline.data_rows
    stage_col = plan.pipeline.column_of("stage")
    stage_rule = next(
        v["rule"] for v in pipeline.validations if v["range"]["startColumnIndex"] == stage_col - 1
    )
    assert stage_rule["condition"]["type"] == "ONE_OF_LIST"
    allowed = [v["userEnteredValue"] for v in stage_rule["condition"]["values"]]
    assert allowed == list(
        next(v for v in plan.pipeline.validations if v.column == stage_col).values
    )
    assert pipeline.validations[0]["range"]["endRowIndex"] == 1 + plan.pipeline.data_rows
    date_col = plan.pipeline.column_of("expected_close")
    date_formats = [
        f["cell"]["userEnteredFormat"]["numberFormat"]
        for f in pipeline.formats
        if f["range"]["startColumnIndex"] == date_col - 1 and f["range"]["startRowIndex"] == 1
    ]
    assert date_formats == [{"type": "DATE", "pattern": "yyyy-mm-dd"}]
    assert isinstance(pipeline.get(f"{chr(64 + date_col)}2"), int)  # a date, not ISO text
    assert pipeline.basic_filter is not None
    assert pipeline.column_pixels[0] > 0


def test_a_fresh_google_pipeline_validates_clean(api):
    from salessheet.api import validate

    blank(api)
    init_workbook(f"gsheet:{KEY}", profile=load_profile("b2b"), lang="zh", today=TODAY)
    report = validate(f"gsheet:{KEY}", today=TODAY)
    assert report.findings == []
    assert report.to_dict()["summary"]["deals"] == 2


def test_init_refuses_a_spreadsheet_with_data(api):
    book = blank(api)
    book.sheets[0].set("C7", "someone's notes")
    with pytest.raises(UsageError) as info:
        init_workbook(f"gsheet:{KEY}", profile=load_profile("b2b"), lang="en", today=TODAY)
    assert "the spreadsheet is not empty (data in 'Sheet1')" in info.value.message
    assert info.value.exit_code == 2
    assert [s.title for s in book.sheets] == ["Sheet1"]
    assert book.sheets[0].get("C7") == "someone's notes"
    assert "spreadsheets.batchUpdate" not in api.counts


def test_config_init_takes_the_google_sheets_own_time_zone(api, tmp_path: Path):
    """A Google Sheet says its time zone: `config init` writes it (not the b2b profile's
    Asia/Shanghai, and not this computer's), so the nightly schedule keeps the team's clock."""
    from salessheet.api import config_init
    from salessheet.settings.profile import load_profile as load

    book = api.add_spreadsheet("1EnglishSheetKey_tz", "Deals", time_zone="America/Los_Angeles")
    book.add_sheet("Deals", [["Deal ID", "Stage", "Amount"], ["D1", "Proposal", 1200]])
    out = tmp_path / "deals.yaml"
    config_init("gsheet:1EnglishSheetKey_tz", out=out, today=TODAY, local_zone="Europe/Paris")
    text = out.read_text(encoding="utf-8")
    assert "timezone: America/Los_Angeles  # the spreadsheet's own time zone" in text
    assert "set timezone:" not in text  # nothing to check
    assert load(str(out)).timezone == "America/Los_Angeles"
