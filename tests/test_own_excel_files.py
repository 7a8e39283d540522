"""A team's own Excel file, as a new user points salessheet at it: Excel tables with a totals
row, formulas a script wrote without results, and files that are not what their name says."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from conftest import TODAY
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table

from salessheet import api
from salessheet.core.errors import StructureError

HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"]
DEALS = [
    ["D-1", "Acme", "lead", 1000, "Ann", dt.date(2026, 12, 20)],
    ["D-2", "Beta", "negotiation", 2500, "Bob", dt.date(2026, 12, 30)],
    ["D-3", "Gamma", "opportunity", 4000, "Ann", dt.date(2027, 1, 15)],
]


def cache(path: Path, cells: dict[str, tuple[str, str]], part: str = "sheet1") -> None:
    """Give cells of a sheet a formula and the value Excel saved for it: {"F8": ("SUM(..)",
    "7500")} (openpyxl saves formulas without results). Each cell must already exist."""
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    name = f"xl/worksheets/{part}.xml"
    xml = items[name].decode()
    for ref, (formula, value) in cells.items():
        xml, n = re.subn(
            rf'<c r="{ref}"[^>]*>.*?</c>', f'<c r="{ref}"><f>{formula}</f><v>{value}</v></c>', xml
        )
        assert n == 1, f"no cell {ref}"
    items[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in items.items():
            zf.writestr(n, data)


def table_workbook(
    path: Path, *, left: int = 1, top: int = 1, totals: dict[str, tuple[str, str]]
) -> tuple[Path, int]:
    """The deals as an Excel table (named Deals) whose top-left cell is (top, left), with a
    totals row and no "Total" label: ``totals`` {header: (formula, cached value)}. Returns the
    path and the totals row's number."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    for j, h in enumerate(HEADER):
        ws.cell(top, left + j, h)
    for i, deal in enumerate(DEALS, start=1):
        for j, v in enumerate(deal):
            ws.cell(top + i, left + j, v)
    last = top + len(DEALS) + 1
    for h, (formula, _) in totals.items():
        ws.cell(last, left + HEADER.index(h), f"={formula}")
    ref = f"{get_column_letter(left)}{top}:{get_column_letter(left + len(HEADER) - 1)}{last}"
    table = Table(displayName="Deals", ref=ref, totalsRowCount=1)
    table._initialise_columns()
    for col, h in zip(table.tableColumns, HEADER, strict=True):
        col.name = h
    ws.add_table(table)
    wb.save(path)
    cache(
        path,
        {
            f"{get_column_letter(left + HEADER.index(h))}{last}": (f, v)
            for h, (f, v) in totals.items()
        },
    )
    return path, last


# --- an Excel table's totals row ----------------------------------------------------------


def test_a_tables_totals_row_without_a_label_is_no_deal_wherever_the_table_sits(
    tmp_path: Path,
) -> None:
    # Excel's totals row: an average of Amount, a count of Stage, no "Total" label anywhere;
    # neither is the sum of the rows above, so only the table's definition tells it apart
    book, last = table_workbook(
        tmp_path / "deals.xlsx",
        left=3,
        top=4,
        totals={
            "Stage": ("SUBTOTAL(103,Deals[Stage])", "3"),
            "Amount": ("SUBTOTAL(101,Deals[Amount])", "2500"),
        },
    )
    assert last == 8
    report = api.validate(book, today=TODAY)
    assert [d.id for d in api.open_pipeline(book, today=TODAY).deals] == ["D-1", "D-2", "D-3"]
    on_row = [(f.code, f.cell) for f in report.findings if f.row == last]
    assert on_row == []  # was: missing-id C8, unknown-stage E8 ('3.0')
    (skipped,) = [f for f in report.findings if f.code == "rows-skipped"]
    assert skipped.details == {"rows": [8], "kinds": {"total": 1}}
    assert skipped.message == (
        "1 row not read as deals: row 8: the totals row of Excel table 'Deals' (C8:H8)"
    )
    figures = api.report(book, today=TODAY).to_dict()
    assert figures["funnel"]["amount"]["by_currency"] == {"CNY": "7500.00"}
    assert sum(s["deals"] for s in figures["funnel"]["stages"]) == 3


def test_a_filtered_totals_row_is_skipped_even_with_layout_guesses_off(tmp_path: Path) -> None:
    # D-2 filtered out: SUBTOTAL(109) saved the visible sum, 5000, which no sum rule matches;
    # `layout_rows: none` turns guesses off, and the table's own definition is no guess
    book, last = table_workbook(
        tmp_path / "deals.xlsx", totals={"Amount": ("SUBTOTAL(109,Deals[Amount])", "5000")}
    )
    config = tmp_path / "team.yaml"
    config.write_text("extends: b2b\nlayout_rows: none\n", "utf-8")
    report = api.validate(book, profile=str(config), today=TODAY)
    assert [f.code for f in report.findings if f.row == last] == []
    p = api.open_pipeline(book, profile=str(config), today=TODAY)
    assert [d.row for d in p.deals] == [2, 3, 4]
    assert p.skipped_rows == {last: "total"}


def test_a_table_beside_the_deals_leaves_their_rows_alone(tmp_path: Path) -> None:
    # a stage summary as an Excel table to the right of the deals, its totals row on row 4,
    # which holds a deal
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append([*HEADER, None, "Summary", "Deals"])
    for deal in DEALS:
        ws.append(deal)
    ws["H2"], ws["I2"] = "open", 3
    ws["H3"], ws["I3"] = "won", 0
    ws["I4"] = "=SUBTOTAL(109,Summary[Deals])"
    table = Table(displayName="Summary", ref="H1:I4", totalsRowCount=1)
    table._initialise_columns()
    ws.add_table(table)
    book = tmp_path / "side.xlsx"
    wb.save(book)
    cache(book, {"I4": ("SUBTOTAL(109,Summary[Deals])", "3")})
    p = api.open_pipeline(book, today=TODAY)
    assert [d.id for d in p.deals] == ["D-1", "D-2", "D-3"]
    assert p.skipped_rows == {}


def test_config_init_lists_the_totals_row_and_its_config_reads_three_deals(
    tmp_path: Path,
) -> None:
    book, last = table_workbook(
        tmp_path / "deals.xlsx", totals={"Amount": ("SUBTOTAL(101,Deals[Amount])", "2500")}
    )
    result = api.config_init(book, today=TODAY)
    assert [(r.row, r.kind) for r in result.guess.layout] == [(last, "total")]
    assert len(api.open_pipeline(book, profile=str(result.path), today=TODAY).deals) == 3
    assert api.validate(book, profile=str(result.path), today=TODAY).summary()["errors"] == 0


# --- formulas a script saved without their results ----------------------------------------


def scripted_workbook(path: Path, rows: int = 6) -> Path:
    """What openpyxl (a script, an export tool) writes: Amount = Qty x Unit Price as formulas,
    saved with no results (nothing calculated them)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Deal ID", "Customer", "Stage", "Qty", "Unit Price", "Amount", "Owner", "Close"])
    for r in range(2, rows + 2):
        ws.append(
            [f"D-{r}", f"C{r}", "negotiation", r, 100, f"=D{r}*E{r}", "Ann", dt.date(2027, 1, 1)]
        )
    wb.save(path)
    return path


def test_amounts_a_script_wrote_as_formulas_are_one_error_naming_the_column(
    tmp_path: Path, cli
) -> None:
    book = scripted_workbook(tmp_path / "scripted.xlsx")
    report = api.validate(book, today=TODAY)
    (f,) = [f for f in report.findings if f.code == "formula-not-calculated"]
    assert (f.severity, f.sheet, f.column, f.cell) == ("error", "Pipeline", "Amount", None)
    assert f.message == (
        "Amount (column F): 6 cells hold a formula whose result was never saved (F2 =D2*E2, "
        "F3 =D3*E3, F4 =D4*E4 and 3 more), so they read as blank. The file was written by a "
        "program that does not calculate formulas (a script, openpyxl, an export tool): open it "
        "in Excel or LibreOffice, save it, and run again"
    )
    assert f.details == {"cells": ["F2", "F3", "F4", "F5", "F6", "F7"], "count": 6}
    # negotiation requires an amount: no missing-field per row on top of the one error
    assert [x.cell for x in report.findings if x.code == "missing-field"] == []
    code, out = cli.json("validate", book, "--today", TODAY.isoformat())
    assert code == 1
    assert [x["code"] for x in out["findings"]].count("formula-not-calculated") == 1
    notes = api.report(book, today=TODAY).to_dict()["notes"]
    assert notes[0].startswith("Not counted: Amount (column F): 6 cells hold a formula")


def test_the_same_formulas_with_the_results_excel_saved_read_as_amounts(tmp_path: Path) -> None:
    book = scripted_workbook(tmp_path / "saved.xlsx", rows=2)
    # as Excel saves them: each result, and a formula whose result is "" as text
    cache(book, {"F2": ("D2*E2", "200"), "F3": ("D3*E3", "300")})
    with zipfile.ZipFile(book) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    xml = items["xl/worksheets/sheet1.xml"].decode()
    xml = re.sub(r'<c r="B3"[^>]*>.*?</c>', '<c r="B3" t="str"><f>""</f><v></v></c>', xml)
    items["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(book, "w") as zf:
        for n, data in items.items():
            zf.writestr(n, data)
    report = api.validate(book, today=TODAY)
    assert [f.code for f in report.findings if f.code == "formula-not-calculated"] == []
    deals = api.open_pipeline(book, today=TODAY).deals
    assert [str(d.values["amount"]) for d in deals] == ["200", "300"]


def xlsxwriter_like(path: Path, rows: int = 2, *, recalc_flag: bool = True) -> Path:
    """What xlsxwriter (pandas' default Excel writer) saves: each formula with 0 as its
    result, and the workbook flagged to be recalculated on opening (``fullCalcOnLoad``).
    ``recalc_flag=False``: the flag gone, as Excel or LibreOffice save it (a 0 is then real)."""
    book = scripted_workbook(path, rows=rows)
    with zipfile.ZipFile(book) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = items["xl/worksheets/sheet1.xml"]
    assert sheet.count(b"</f><v></v></c>") == rows
    items["xl/worksheets/sheet1.xml"] = sheet.replace(b"</f><v></v></c>", b"</f><v>0</v></c>")
    workbook = items["xl/workbook.xml"]
    assert b'<calcPr calcId="124519" fullCalcOnLoad="1"/>' in workbook
    if not recalc_flag:
        items["xl/workbook.xml"] = workbook.replace(
            b'<calcPr calcId="124519" fullCalcOnLoad="1"/>', b'<calcPr calcId="191029"/>'
        )
    with zipfile.ZipFile(book, "w") as zf:
        for n, data in items.items():
            zf.writestr(n, data)
    return book


def test_formulas_xlsxwriter_saved_with_a_placeholder_0_are_not_amounts_of_0(
    tmp_path: Path,
) -> None:
    # pandas.to_excel with formulas: every amount read 0, and the report's pipeline was 0
    # without a word
    book = xlsxwriter_like(tmp_path / "pandas.xlsx", rows=4)
    report = api.validate(book, today=TODAY)
    (f,) = [f for f in report.findings if f.code == "formula-not-calculated"]
    assert f.message.startswith(
        "Amount (column F): 4 cells hold a formula whose result was never saved (F2 =D2*E2, "
    )
    assert f.details == {"cells": ["F2", "F3", "F4", "F5"], "count": 4}
    deals = api.open_pipeline(book, today=TODAY).deals
    assert [d.values["amount"] for d in deals] == [None] * 4  # unread, not 0


def test_a_0_excel_saved_as_a_formulas_result_is_an_amount_of_0(tmp_path: Path) -> None:
    book = xlsxwriter_like(tmp_path / "saved.xlsx", rows=2, recalc_flag=False)
    report = api.validate(book, today=TODAY)
    assert [f.code for f in report.findings if f.code == "formula-not-calculated"] == []
    deals = api.open_pipeline(book, today=TODAY).deals
    assert [str(d.values["amount"]) for d in deals] == ["0", "0"]


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_a_big_sheet_read_in_pieces_reports_its_unsaved_formulas_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    from salessheet.stores.xlsx import split as xlsx_split
    from salessheet.stores.xlsx.store import XlsxStore

    if xlsx_split.usable_cores() < 2:
        pytest.skip("a parallel read needs two cores")
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 4096)
    build = scripted_workbook if writer == "openpyxl" else xlsxwriter_like
    book = build(tmp_path / "big.xlsx", rows=300)
    store = XlsxStore(str(book))
    store.read(["Pipeline"])
    assert store.pieces_read["Pipeline"] >= 2
    (f,) = [
        f for f in api.validate(book, today=TODAY).findings if f.code == "formula-not-calculated"
    ]
    assert f.details["count"] == 300


# --- files named like workbooks that are something else ------------------------------------

SAVE_AS = "open it in Excel or LibreOffice and save it as an Excel workbook (.xlsx)"


def _ods(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return path


def _not_workbooks(folder: Path) -> dict[Path, tuple[str, str]]:
    """file -> (message, hint) a user gets, for each kind of file a CRM export or another
    program makes under a workbook's name."""
    cases: dict[Path, tuple[str, str]] = {}
    html = folder / "Opportunities.xlsx"
    html.write_text(
        '<html><head><meta charset="utf-8"></head><body><table><tr><td>Deal ID</td></tr>'
        "</table></body></html>",
        "utf-8",
    )
    cases[html] = (
        f"{html}: a web page (HTML), not an Excel workbook, despite its .xlsx name; many CRM "
        "'Excel' exports are an HTML table",
        f"{SAVE_AS}, or export the report from the CRM as CSV",
    )
    csv_ = folder / "deals export.xlsx"
    csv_.write_text("\ufeffDeal ID,Customer,Stage\r\nD-1,Acme,lead\r\n", "utf-8")
    cases[csv_] = (
        f"{csv_}: CSV text (separated by ','), not an Excel workbook, despite its .xlsx name",
        f"rename it to deals export.csv and run again, or {SAVE_AS}",
    )
    tsv = folder / "report.xls"
    tsv.write_text("Deal ID\tCustomer\tStage\nD-1\tAcme\tlead\n", "utf-8")
    cases[tsv] = (
        f"{tsv}: tab-separated text, not an Excel workbook, despite its .xls name",
        f"rename it to report.csv and run again, or {SAVE_AS}",
    )
    xml2003 = folder / "crm.xls"
    xml2003.write_text(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook '
        'xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>',
        "utf-8",
    )
    cases[xml2003] = (
        f"{xml2003}: an XML Spreadsheet 2003 file (a CRM's 'Excel' export), not an Excel "
        "workbook, despite its .xls name",
        SAVE_AS,
    )
    ods = _ods(folder / "calc.ods")
    renamed_ods = _ods(folder / "calc-renamed.xlsx")
    for path in (ods, renamed_ods):
        cases[path] = (
            f"{path}: an OpenDocument spreadsheet (.ods, LibreOffice's own format), not an "
            "Excel workbook",
            "open it in LibreOffice and save it as an Excel workbook: File › Save As, file type "
            "'Excel 2007-365 (.xlsx)'",
        )
    legacy = folder / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    cases[legacy] = (f"{legacy}: a legacy Excel 97-2003 .xls workbook", SAVE_AS)
    # Excel writes the stream directory of an encrypted workbook anywhere, often at the end
    encrypted = folder / "locked.xlsx"
    encrypted.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * (3 << 20)
        + "EncryptionInfo".encode("utf-16-le")
    )
    cases[encrypted] = (
        f"{encrypted}: the workbook is password-protected (encrypted)",
        "open it in Excel, remove the password (File › Info › Protect Workbook), save, and run "
        "again",
    )
    return cases


def test_files_that_are_not_what_their_name_says_name_what_they_are_and_what_to_do(
    tmp_path: Path, cli
) -> None:
    for path, (message, hint) in _not_workbooks(tmp_path).items():
        for command in ("validate", "report"):
            code, out = cli.json(command, path, "--today", TODAY.isoformat())
            assert code == 2, (path, out)
            assert (out["error"]["message"], out["error"]["hint"]) == (message, hint), path
        result = cli("config", "init", path, "--out", tmp_path / "team.yaml")
        assert result.exit_code == 2 and message in result.stderr, path


def test_a_workbook_named_xls_is_told_to_be_renamed_and_an_xlsm_reads(tmp_path: Path, cli) -> None:
    wb = Workbook()
    wb.active.title = "Pipeline"
    wb.active.append(HEADER)
    wb.active.append(DEALS[0])
    xls = tmp_path / "pipeline.xls"
    wb.save(xls)
    code, out = cli.json("validate", xls, "--today", TODAY.isoformat())
    assert code == 2
    assert out["error"]["message"] == f"{xls}: an Excel workbook (.xlsx) under a .xls name"
    assert out["error"]["hint"] == "rename it to pipeline.xlsx and run again"
    xlsm = tmp_path / "pipeline.xlsm"
    wb.save(xlsm)
    assert [d.id for d in api.open_pipeline(xlsm, today=TODAY).deals] == ["D-1"]


# --- another table beside the deals -------------------------------------------------------


def _beside(path: Path, right: list[list[object]]) -> Path:
    """The deals in A:F, an empty column G, and ``right`` (header first) from column H."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    for r, row in enumerate([HEADER, *DEALS], start=1):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    for r, row in enumerate(right, start=1):
        for c, v in enumerate(row, start=8):
            ws.cell(r, c, v)
    wb.save(path)
    return path


def test_a_stage_list_beside_the_deals_is_left_out_with_one_note(tmp_path: Path) -> None:
    # the list the Stage dropdown reads from, with each stage's probability, kept to the
    # right of the deals: before, "columns C ('Stage') and H ('Stage') both map to the field
    # 'stage'" stopped every command (exit 2)
    book = _beside(
        tmp_path / "lookup.xlsx",
        [["Stage", "Probability"], ["lead", 0.1], ["opportunity", 0.25], ["negotiation", 0.6],
         ["contract", 1], ["lost", 0]],
    )  # fmt: skip
    report = api.validate(book, today=TODAY)
    p = api.open_pipeline(book, today=TODAY)
    assert [d.id for d in p.deals] == ["D-1", "D-2", "D-3"]
    assert "probability" not in p.layout.col_of  # the list's, not the deals'
    (note,) = [f for f in report.findings if f.code == "header-note"]
    assert (note.severity, note.row) == ("info", 1)
    assert note.message == (
        "columns H ('Stage'), I ('Probability') are another table beside the deals, after the "
        "empty column G: not read (the deals' 'Stage' is column C); if they are deal columns, "
        "remove the empty column before it"
    )
    figures = api.report(book, today=TODAY).to_dict()
    assert figures["funnel"]["amount"]["by_currency"] == {"CNY": "7500.00"}


def test_a_second_table_of_deals_beside_the_first_is_still_refused_with_the_way_out(
    tmp_path: Path, cli
) -> None:
    # two teams' deals side by side: one table is read per sheet, so which is not guessed
    book = _beside(tmp_path / "two.xlsx", [HEADER, ["E-1", "X", "lead", 10, "Zed", None]])
    code, out = cli.json("validate", book, "--today", TODAY.isoformat())
    assert code == 2
    assert out["error"]["problems"][0] == (
        "columns A ('Deal ID') and H ('Deal ID') both map to the field 'deal_id': rename or "
        "remove one, or leave one out with ignore_columns: [H] in a config"
    )


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_ids_and_stages_a_script_wrote_as_formulas_are_one_error_each_not_one_per_row(
    tmp_path: Path, writer: str
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"])
    for _ in range(4):
        ws.append(['="D-"&ROW()', "x", '=IF(D2>0,"lead","lost")', 100, "Ann", "=TODAY()+30"])
    book = tmp_path / "ids.xlsx"
    wb.save(book)
    if writer == "xlsxwriter":  # each result saved as 0: id "0" four times, stage 0, 1899-12-30
        with zipfile.ZipFile(book) as zf:
            items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
        sheet = items["xl/worksheets/sheet1.xml"]
        items["xl/worksheets/sheet1.xml"] = sheet.replace(b"</f><v></v></c>", b"</f><v>0</v></c>")
        with zipfile.ZipFile(book, "w") as zf:
            for n, data in items.items():
                zf.writestr(n, data)
    report = api.validate(book, today=TODAY)
    assert sorted((f.code, f.column) for f in report.findings if f.severity == "error") == [
        ("formula-not-calculated", "Deal ID"),
        ("formula-not-calculated", "Expected Close"),
        ("formula-not-calculated", "Stage"),
    ]
    # (and the b2b profile's lost stage needs a lost-reason column this sheet lacks)
    assert [f.code for f in report.findings if f.severity != "error"] == ["missing-column"]


def test_a_summary_table_under_the_deals_is_left_out_of_the_pipeline(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"])
    for i in range(2, 8):
        ws.append([f"D-{i}", "Acme", "lead", 1000 * i, "Ann", dt.date(2027, 1, 1)])
    ws.append([])
    ws.append(["Stage", "Deals", "Amount"])
    ws.append(["lead", 6, 27000])
    ws.append(["negotiation", 0, 0])
    book = tmp_path / "summary.xlsx"
    wb.save(book)
    assert len(api.open_pipeline(book, today=TODAY).deals) == 6
    report = api.validate(book, today=TODAY)
    (skipped,) = [f for f in report.findings if f.code == "rows-skipped"]
    assert skipped.details == {"rows": [9, 10, 11], "kinds": {"other-table": 3}}
    assert [f.code for f in report.findings if f.severity == "error"] == []


# --- a header on two rows -------------------------------------------------------------------


def _two_row_header(path: Path, second: list[object]) -> Path:
    """Deal ID, Customer, Stage and Owner merged down over rows 1-2; 'Deal value' merged
    across D1:E1 over its sub-labels; ``second`` is row 2 (None where merged)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Deal ID", "Customer", "Stage", "Deal value", None, "Owner"])
    ws.append(second)
    for c in "ABCF":
        ws.merge_cells(f"{c}1:{c}2")
    ws.merge_cells("D1:E1")
    ws.append(["D-1", "Acme", "lead", 1000, "USD", "Ann"])
    ws.append(["D-2", "Beta", "negotiation", 2000, "EUR", "Bob"])
    wb.save(path)
    return path


def test_a_header_on_two_rows_with_merged_labels_is_one_header(tmp_path: Path) -> None:
    # before: "data in merged cells A1:A2: unmerge them so each deal has its own cells" (x4)
    book = _two_row_header(tmp_path / "two.xlsx", [None, None, None, "Amount", "Currency", None])
    p = api.open_pipeline(book, today=TODAY)
    assert p.layout.header_row == 2
    assert p.layout.col_of == {
        "deal_id": 1, "customer": 2, "stage": 3, "amount": 4, "currency": 5, "owner": 6
    }  # fmt: skip
    assert [(d.id, str(d.values["amount"]), d.values["currency"]) for d in p.deals] == [
        ("D-1", "1000", "USD"),
        ("D-2", "2000", "EUR"),
    ]
    result = api.config_init(book, today=TODAY)
    assert {f: c["header"] for f, c in result.to_dict()["columns"].items()} == {
        "deal_id": "Deal ID", "customer": "Customer", "stage": "Stage", "amount": "Amount",
        "currency": "Currency", "owner": "Owner",
    }  # fmt: skip
    assert len(api.open_pipeline(book, profile=str(result.path), today=TODAY).deals) == 2


def test_a_first_deal_under_labels_merged_down_over_it_is_still_refused(tmp_path: Path) -> None:
    # the second row is a deal (text under the header's own labels, not under a group): the
    # merges do reach into the data
    book = tmp_path / "two.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Deal ID", "Customer", "Stage", "Amount"])
    ws.append([None, "Acme", None, None])
    ws.merge_cells("A1:A2")
    ws.append(["D-1", "Beta", "lead", 5])
    wb.save(book)
    with pytest.raises(StructureError) as err:
        api.open_pipeline(book, today=TODAY)
    assert err.value.problems == [
        "data in merged cells A1:A2: unmerge them so each deal has its own cells"
    ]


def test_a_close_date_one_day_past_says_1_day(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Deal ID", "Customer", "Stage", "Amount", "Owner", "Expected Close"])
    ws.append(["D-1", "Acme", "lead", 1000, "Ann", TODAY - dt.timedelta(days=1)])
    ws.append(["D-2", "Beta", "lead", 1000, "Ann", TODAY - dt.timedelta(days=2)])
    book = tmp_path / "days.xlsx"
    wb.save(book)
    passed = [
        f.message for f in api.validate(book, today=TODAY).findings if f.code == "close-date-passed"
    ]
    yesterday, before = (TODAY - dt.timedelta(days=n) for n in (1, 2))
    assert passed == [
        f"expected close {yesterday} passed 1 day ago and the deal is still in lead",
        f"expected close {before} passed 2 days ago and the deal is still in lead",
    ]
