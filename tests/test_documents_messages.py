"""Refusals say where to look: the cell of a blank required field, the file a CSV's line items
are in."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from test_documents_issue import DEALS, LINES, load, write_workbook

from salessheet.documents.service import issue_documents


def test_a_blank_contact_names_its_cell_and_column(tmp_path: Path) -> None:
    deal = list(DEALS[0])
    deal[6] = None  # 联系人 / Contact, column G
    path = write_workbook(tmp_path / "p.xlsx", [deal], LINES[:4])
    result = issue_documents(load(path), "contract", ["D-1"], out_dir=tmp_path / "o")
    assert result.failed[0].problems == [
        "contact is blank (sheet 'Pipeline' G2, column 'Contact'); a contract needs it"
    ]


def test_a_sheet_without_a_contact_column_says_so_and_how_to_fix_it(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "p.xlsx", DEALS[:1], LINES[:4])
    wb = load_workbook(path)
    wb["Pipeline"].delete_cols(7)  # no Contact column at all
    wb.save(path)
    result = issue_documents(load(path), "contract", ["D-1"], out_dir=tmp_path / "o")
    assert result.failed[0].problems == [
        "contact is blank: sheet 'Pipeline' has no contact column; a contract needs it: add "
        "the column (or map your header to it in the config's columns.contact.aliases), or "
        "take contact out of documents.contract.required"
    ]


def test_a_bad_line_items_file_beside_a_csv_is_named(tmp_path: Path, cli) -> None:
    deals = tmp_path / "opp.csv"
    deals.write_text(
        "Deal ID,Customer,Stage,Amount,Currency,Owner,Expected Close\n"
        "D-7,Acme Corp,Negotiation,100,USD,Tom,2026-12-28\n",
        "utf-8",
    )
    (tmp_path / "opp.salessheet-Line-Items.csv").write_text(
        "Something,SKU,Quantity,Unit Price\nD-7,W,1,100\n", "utf-8"
    )
    config = tmp_path / "team.yaml"
    config.write_text("extends: b2b\ndocuments:\n  seller:\n    name: Qinghe Inc.\n", "utf-8")
    result = cli("quote", deals, "D-7", "--config", config, "--today", "2026-11-28", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["message"] == (
        "file opp.salessheet-Line-Items.csv beside opp.csv: the table cannot be read"
    )
    assert error["problems"][0].startswith(
        "required column 'deal_id' is missing from the header on row 1"
    )
