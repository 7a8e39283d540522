"""Layout rows in a data area: titles, sections, totals, blanks, repeated and second headers,
instructions. No real deal is ever classified as layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salessheet.core.cells import CellError
from salessheet.core.textnorm import normalise
from salessheet.settings.profile import load_profile
from salessheet.sheet.layout import (
    LayoutRow,
    TableShape,
    classify_above_header,
    classify_rows,
    value_shape,
)
from salessheet.stores.registry import open_store


def corpus_dir() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "corpus"
        if candidate.is_dir():
            return candidate
    return None


def corpus_path(*parts: str) -> Path:
    base = corpus_dir()
    path = base.joinpath(*parts) if base else None
    if path is None or not path.exists():
        pytest.skip(f"corpus file {'/'.join(parts)} is not available")
    return path


HEADER = ["Deal ID", "Customer", "Stage", "Amount", "Owner", "Close Date"]
SHAPE = TableShape(header_row=3, id_col=1, stage_col=3, amount_cols=(4,))


def kinds(found: list[LayoutRow]) -> list[tuple[int, str]]:
    return [(r.row, r.kind) for r in found]


def sectioned_tracker() -> list[list]:
    rows: list[list] = [["Sales pipeline — Q3 2026"], [], HEADER, ["UNDER CONTRACT"]]
    for i in range(1, 5):  # rows 5-8
        rows.append([f"D-{i:03d}", f"Acme {i}", "Contract", 1000 * i, "Alice", dt.date(2026, 9, i)])
    rows.append(["Subtotal", None, None, 10_000, None, None])  # row 9
    rows.append([None] * 6)  # row 10
    rows.append(["PROSPECTS"])  # row 11
    for i in range(5, 10):  # rows 12-16
        rows.append([f"D-{i:03d}", f"Beta {i}", "Lead", 500 * i, "Bob", dt.date(2026, 10, i)])
    rows.append([None, None, None, 17_500, None, None])  # row 17: a sum without a label
    rows.append(list(HEADER))  # row 18: the header printed again
    rows.append(["D-010", "Gamma", "Negotiation", 7000, "Alice", dt.date(2026, 11, 1)])
    rows.append(["D-011", None, None, None, None, None])  # row 20: a deal not filled in yet
    rows.append(["Total", None, None, 34_500, None, None])  # row 21
    rows.append([None] * 6)  # trailing blank rows are not separators
    rows.append([None] * 6)
    return rows


def test_sectioned_tracker_titles_subtotals_blanks_repeated_header_total():
    rows = sectioned_tracker()
    found = classify_rows(rows, SHAPE)
    assert kinds(found) == [
        (4, "section"),
        (9, "subtotal"),
        (10, "blank"),
        (11, "section"),
        (17, "subtotal"),
        (18, "repeated-header"),
        (21, "total"),
    ]
    by_row = {r.row: r.evidence for r in found}
    assert "'UNDER CONTRACT'" in by_row[4]
    assert by_row[17] == (
        "row 17: Amount 17,500.00 is the sum of the 5 rows above it since the last section"
    )
    assert by_row[21] == "row 21: 'Total' in column A"
    # the deal with nothing but its id (row 20) stays a deal
    assert 20 not in by_row


def _with_summary_below(deals_after: bool = False) -> list[list]:
    """Six deals, an empty row, then a summary by stage someone built under the table (its
    formulas' cached values); ``deals_after``: an empty row and more deals below it."""
    rows: list[list] = [["Pipeline"], [], HEADER]
    for i in range(1, 7):  # rows 4-9
        rows.append([f"D-{i}", f"Acme {i}", "Lead", 1000 * i, "Ann", dt.date(2027, 1, i)])
    rows.append([None] * 6)  # row 10
    rows.append(["Stage", "Deals", "Amount"])  # row 11: its header, in other columns
    rows.append(["Lead", 6.0, 21000.0])  # rows 12-13: read as deals "Lead" and "Negotiation"
    rows.append(["Negotiation", 0.0, 0.0])
    if deals_after:
        rows.append([None] * 6)  # row 14
        rows.append(["D-7", "Beta", "Lead", 700, "Bob", dt.date(2027, 2, 1)])  # row 15
    return rows


def test_a_table_below_the_deals_is_not_read_as_deals():
    # before: deals "Stage" (stage 'Amount'), "Lead" and "Negotiation" (stage 0.0): 9 deals,
    # two unknown-stage errors, and 21,000 more in the pipeline
    found = classify_rows(_with_summary_below(), SHAPE)
    assert kinds(found) == [(10, "blank"), (11, "other-table"), (12, "other-table"),
                            (13, "other-table")]  # fmt: skip
    assert found[1].evidence == (
        "row 11: after an empty row, the header of another table ('Stage', 'Amount' in other "
        "columns than the deals' header): it and its rows up to the next empty row"
    )
    assert found[2].evidence == "row 12: in the table that starts on row 11"
    # it ends at the next empty row: deals below it are deals
    after = classify_rows(_with_summary_below(deals_after=True), SHAPE)
    assert kinds(after)[-2:] == [(13, "other-table"), (14, "blank")]


def test_header_words_in_a_row_of_deals_or_without_an_empty_row_make_no_table():
    rows = _with_summary_below()
    del rows[9]  # no empty row before it: judged row by row, as before
    assert all(k != "other-table" for _, k in kinds(classify_rows(rows, SHAPE)))
    rows = _with_summary_below()
    rows[10] = ["D-7", "Beta", "Stage", 700, "Amount", None]  # header words in a deal's cells
    assert all(k != "other-table" for _, k in kinds(classify_rows(rows, SHAPE)))


def test_rows_above_the_header():
    rows = sectioned_tracker()
    assert kinds(classify_above_header(rows, SHAPE)) == [(1, "title")]
    # a SUBTOTAL formula's cached value above the header (as in many Excel trackers)
    rows = [[None, None, None, 6000.0], HEADER]
    rows += [[f"D-{i}", "X", "Lead", 1000.0 * i, "A", None] for i in range(1, 4)]
    above = classify_above_header(rows, TableShape(2, 1, 3, (4,)))
    assert kinds(above) == [(1, "subtotal")]
    assert "is the sum of Amount below the header" in above[0].evidence
    kpi = [["Pipeline", 123.0], HEADER, ["D-1", "X", "Lead", 5.0]]
    assert kinds(classify_above_header(kpi, TableShape(2, 1, 3, (4,)))) == [(1, "summary")]


def test_a_deal_is_never_layout_whatever_else_it_holds():
    """Id + a stage the column uses = a deal, even with 'Total' in its name, an amount that
    equals the sum of the rows above, formula totals beside it, or a single other cell."""
    rows = [HEADER]
    rows.append(["D-1", "Acme", "Lead", 100, "A", None])
    rows.append(["D-2", "Beta", "Lead", 200, "B", None])
    rows.append(["D-3", "Total Logistics", "Lead", 300, "C", None])  # = 100 + 200
    rows.append(["D-4", "Subtotal Inc", "Lead", 600, "C", None])  # = sum above
    rows.append(["D-5", None, "Lead", None, None, None])
    rows.append(["D-6", CellError("#N/A"), "Lead", CellError("#N/A"), None, None])
    rows.append(["Grand Total", None, "Lead", 1200, None, None])  # a label is no id
    shape = TableShape(1, 1, 3, (4,))
    found = classify_rows(rows, shape)
    assert kinds(found) == [(8, "total")]
    # a stage the profile knows protects a row even when the sheet uses it once
    rows = [HEADER, ["D-1", "Acme", "Closed Won", 100, "A", None], ["Total", None, None, 100]]
    known = frozenset(load_profile("b2b").stage_lookup())
    assert kinds(classify_rows(rows, TableShape(1, 1, 3, (4,), known))) == [(3, "total")]


def test_without_an_id_column_the_stage_protects_and_without_a_stage_the_id_does():
    rows = [["Customer", "Stage", "Amount"], ["Acme", "Lead", 10], ["Beta", "Lead", 20]]
    rows.append(["Total", "Lead", 30])  # the stage is one the column uses: a deal
    rows.append(["Total", None, 60])
    assert kinds(classify_rows(rows, TableShape(1, None, 2, (3,)))) == [(5, "total")]
    rows = [["Deal ID", "Amount"], ["D-1", 10], ["D-2", 20], ["D-3", 30], ["Summe", 60]]
    assert kinds(classify_rows(rows, TableShape(1, 1, None, (2,)))) == [(5, "total")]


def test_formula_totals_beside_deals_do_not_make_them_layout():
    """isimbisyl's tracker: SUMIF stage totals in columns H–K on the same rows as deals."""
    rows = [["Deal ID", "Client", "Stage", "Deal Value", "", "", "", "Total per stage"]]
    rows.append(["D001", "Alpha", "Lead", 800_000.0, "", "", "", 1_400_000.0])
    rows.append(["D002", "Beta", "Lead", 600_000.0, "", "", "", 2_200_000.0])
    rows.append(["D003", "Gamma", "Qualified", 1_200_000.0, "", "", "", ""])
    rows.append(["D004", "Delta", "Qualified", 1_000_000.0, "", "", "", ""])
    # a stage used once, and an amount equal to the sum of the rows above: still a deal,
    # its id has the shape of the others
    rows.append(["D005", "Epsilon", "Closed Won", 3_600_000.0, "", "", "", ""])
    assert classify_rows(rows, TableShape(1, 1, 3, (4,))) == []
    # the same amount on a row without an id is a total
    rows.append(["", "", "", 7_200_000.0, "", "", "", ""])
    assert kinds(classify_rows(rows, TableShape(1, 1, 3, (4,)))) == [(7, "total")]


def test_instruction_second_header_and_example_rows_below_the_header():
    rows = [
        ["商机编号", "客户名称", "商机阶段", "预计金额（万元）", "预计成交日期"],
        ["OpportunityNo", "CustomerName", "Stage", "Amount", "ExpectedCloseDate"],
        ["必填", "必填", "必填，从下拉选择", "选填，单位万元", "格式：YYYY-MM-DD"],
        ["示例：SJ0001", "上海某某公司", "报价", 12.5, "2026-11-05"],
        ["SJ00001", "上海星河科技", "报价", 30.0, "2026-11-05"],
        ["SJ00002", "北京华信数据", "赢单", 18.0, "2026-12-01"],
    ]
    known = frozenset(load_profile("b2b").stage_lookup())
    found = classify_rows(rows, TableShape(1, 1, 3, (4,), known))
    assert kinds(found) == [(2, "second-header"), (3, "instruction"), (4, "example")]
    assert "field keys (OpportunityNo, CustomerName, Stage" in found[0].evidence
    assert "'必填，从下拉选择'" in found[1].evidence


def test_a_units_row_under_the_header_is_a_second_header():
    rows = [["Deal ID", "Stage", "Amount", "Probability"], ["", "", "万元", "%"]]
    rows += [["D-1", "Lead", 3.5, 10], ["D-2", "Lead", 4.0, 20]]
    found = classify_rows(rows, TableShape(1, 1, 2, (3,)))
    assert kinds(found) == [(2, "second-header")]
    assert "units row" in found[0].evidence


def test_instruction_words_are_only_looked_for_right_below_the_header():
    rows = [["Deal ID", "Stage", "Notes"], ["D-1", "Lead", "ok"], ["D-2", "Lead", "x"]]
    rows.append([None, None, "required: select the stage from the list"])  # mid-table note
    found = classify_rows(rows, TableShape(1, 1, 2, ()))
    assert kinds(found) == [(4, "section")]


def test_value_shape():
    assert value_shape("D-0001") == "A-9"
    assert value_shape("UNDER CONTRACT") == "A A"
    assert value_shape(17.0) == "9"
    assert value_shape("0068a00001JMUl0AAH") == "9A9A9A"


# --- corpus ---------------------------------------------------------------------------


def test_ayusophia_subtotal_above_the_header_and_no_layout_among_9994_deals():
    path = corpus_path("ayusophia_sales_pipeline_assessment", "Sales Pipeline.xlsx")
    sheet = open_store(str(path)).read(["Sales Pipeline"])["Sales Pipeline"]
    assert sheet.rows[1][:3] == ["index", "Row ID", "Opportunity ID"]
    shape = TableShape(header_row=2, id_col=3, stage_col=7, amount_cols=(9,))
    above = classify_above_header(sheet.rows, shape)
    assert kinds(above) == [(1, "subtotal")]
    assert above[0].evidence.startswith("row 1: I1 2,297,200.86 is the sum of Sales Amount")
    assert classify_rows(sheet.rows, shape) == []


def test_cn_opportunity_template_second_header_row_and_its_example_row_is_data():
    """Row 2 holds the English keys under the Chinese labels: a second header. Row 3 is
    keyboard-mash, but nothing marks it as an example: it stays data (never drop a row on a
    guess); the adopt guess warns about it instead."""
    path = corpus_path("shar123456_vue3proj_cn_opportunity_template", "商机导入模板.xlsx")
    sheet = open_store(str(path)).read(["sheet-1"])["sheet-1"]
    known = frozenset(normalise(s) for s in load_profile("b2b").stage_lookup())
    found = classify_rows(sheet.rows, TableShape(1, 3, 10, (8,), known))
    assert kinds(found) == [(2, "second-header")]
    assert found[0].evidence.startswith(
        "row 2: 10 field keys (CustomerCode, Customername, CommercialName, ...)"
    )
