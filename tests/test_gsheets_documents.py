"""Quotes (with their register) and the analytics report on a Google Sheet match the same
workbook as xlsx, through the fake Sheets API (API level; the CLI commands come later)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import SELLER, seller_config
from fake_sheets import FakeSheets
from test_gsheets_cli import SOURCE, grid, gsheet_grid, upload

from salessheet.stores.xlsx.store import XlsxStore

TODAY = dt.date(2026, 11, 28)
REGISTER = "salessheet documents"


def _profile():
    from salessheet.settings.profile import load_profile

    return load_profile("b2b", overrides=SELLER)


PROFILE = _profile()


@pytest.fixture
def api(monkeypatch):
    with FakeSheets(token="documents-token") as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    src = Path(__file__).resolve().parents[1] / "examples" / "pipeline.xlsx"
    if not src.exists():
        pytest.skip("examples/pipeline.xlsx is not built")
    dst = tmp_path / "pipeline.xlsx"
    dst.write_bytes(src.read_bytes())
    return dst


def test_quote_is_the_same_document_and_registered_in_the_sheet(api, workbook, tmp_path):
    from salessheet.api import open_pipeline
    from salessheet.documents.service import issue_documents

    book = upload(api, workbook)
    results = {}
    for name, source in (("xlsx", str(workbook)), ("gsheets", SOURCE)):
        api.reset_counts()
        pipeline = open_pipeline(source, profile=PROFILE, today=TODAY)
        results[name] = issue_documents(
            pipeline, "quote", ["D-0002"], fmt="html", out_dir=tmp_path / name
        )
    x, g = results["xlsx"], results["gsheets"]

    assert [d.number for d in g.issued] == [d.number for d in x.issued] == ["Q-2026-0001"]
    assert g.issued[0].path.name == x.issued[0].path.name
    assert g.issued[0].path.read_bytes() == x.issued[0].path.read_bytes()
    assert g.register_written and g.write_report.written_sheets == [REGISTER]
    register = XlsxStore(str(workbook)).read([REGISTER])[REGISTER]
    assert gsheet_grid(book, REGISTER) == grid(register.rows)
    # read (2) + the register: a new sheet (1) and its values (1)
    assert dict(api.counts) == {
        "spreadsheets.get": 1,
        "values.batchGet": 1,
        "spreadsheets.batchUpdate": 1,
        "values.batchUpdate": 1,
    }


def test_same_quote_again_issues_nothing_new(api, workbook, tmp_path):
    from salessheet.api import open_pipeline
    from salessheet.documents.service import issue_documents

    book = upload(api, workbook)
    first = issue_documents(
        open_pipeline(SOURCE, profile=PROFILE, today=TODAY),
        "quote",
        ["D-0002"],
        fmt="html",
        out_dir=tmp_path,
    )
    before = book.sheet(REGISTER).grid()
    api.reset_counts()

    again = issue_documents(
        open_pipeline(SOURCE, profile=PROFILE, today=TODAY),
        "quote",
        ["D-0002"],
        fmt="html",
        out_dir=tmp_path,
    )

    assert [d.number for d in again.issued] == [d.number for d in first.issued]
    assert book.sheet(REGISTER).grid() == before
    assert "values.batchUpdate" not in api.counts


def test_report_is_the_same_as_on_xlsx_in_two_requests(api, workbook):
    from salessheet.analytics.service import build_report
    from salessheet.api import open_pipeline
    from salessheet.rules.engine import evaluate

    upload(api, workbook)
    x = build_report(evaluate(open_pipeline(str(workbook), today=TODAY))).to_dict()
    api.reset_counts()
    g = build_report(evaluate(open_pipeline(SOURCE, today=TODAY))).to_dict()

    assert x.pop("source") == str(workbook)
    assert g.pop("source") == SOURCE
    assert g == x
    assert x["funnel"]  # the example has a funnel to compare
    assert api.total() == 2


@pytest.mark.parametrize(("kind", "deal"), [("quote", "D-0002"), ("contract", "D-0003")])
def test_document_command_on_a_google_sheet(api, workbook, tmp_path, kind: str, deal: str):
    import json

    from click.testing import CliRunner

    from salessheet.cli import main

    book = upload(api, workbook)
    runner = CliRunner()
    out = {}
    for name, source in (("xlsx", str(workbook)), ("gsheets", SOURCE)):
        api.reset_counts()
        result = runner.invoke(
            main,
            [kind, source, deal, "--out", str(tmp_path / name), "--today", "2026-11-28",
             "--config", str(seller_config(tmp_path)), "--json"],
            env=api.env(),
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        out[name] = json.loads(result.stdout)

    assert out["gsheets"]["issued"][0]["number"] == out["xlsx"]["issued"][0]["number"]
    files = {name: sorted((tmp_path / name).iterdir()) for name in out}
    assert [f.name for f in files["gsheets"]] == [f.name for f in files["xlsx"]]
    assert files["gsheets"][0].read_bytes() == files["xlsx"][0].read_bytes()
    register = XlsxStore(str(workbook)).read([REGISTER])[REGISTER]
    assert gsheet_grid(book, REGISTER) == grid(register.rows)
    assert api.total() <= 5


def test_report_command_on_a_google_sheet(api, workbook, tmp_path):
    import json

    from click.testing import CliRunner

    from salessheet.cli import main

    upload(api, workbook)
    out = {}
    for name, source in (("xlsx", str(workbook)), ("gsheets", SOURCE)):
        api.reset_counts()
        result = CliRunner().invoke(
            main,
            ["report", source, "--today", "2026-11-28", "--format", "json",
             "--html", str(tmp_path / f"{name}.html")],
            env=api.env(),
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        out[name] = json.loads(result.stdout)

    assert out["xlsx"].pop("source") == str(workbook)
    assert out["gsheets"].pop("source") == SOURCE
    assert out["gsheets"] == out["xlsx"]
    assert (tmp_path / "gsheets.html").stat().st_size > 0
    assert dict(api.counts) == {"spreadsheets.get": 1, "values.batchGet": 1}
