"""What a line-item sheet's price header says about tax, and a price column the sheet lacks.

A Chinese team's sheet often says which prices it holds: 含税单价, 单价（不含税）, Unit price
(excl. VAT). When the header says the opposite of ``documents.tax_mode``, the tax would be
counted twice or not at all, so the deal is refused with the cell, the header and the fix.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from test_documents_issue import CLOSE, load, profile_with_documents

from salessheet.documents.service import issue_documents

PIPELINE = [
    ["商机编号", "客户名称", "阶段", "金额", "币种", "负责人", "联系人", "预计成交日期"],
    ["SJ-001", "青岛海融欣达科技有限公司", "报价与谈判", 103000, "CNY", "王铭基", "李经理", CLOSE],
]


def _book(path: Path, price_header: str, lines: list[list] | None = None, products=None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "商机"
    for row in PIPELINE:
        ws.append(row)
    li = wb.create_sheet("Line Items")
    li.append(["商机编号", "产品编号", "产品名称", "数量", "单位", price_header, "税率"])
    for row in lines or [
        ["SJ-001", None, "需求分析", 15, "人天", 2000, "6%"],
        ["SJ-001", None, "系统设计", 20, "人天", 2500, "6%"],
        ["SJ-001", None, "云服务器", 1, "年", 23000, "13%"],
    ]:
        li.append(row)
    if products:
        ps = wb.create_sheet("Products")
        for row in products:
            ps.append(row)
    wb.save(path)
    return path


def _quote(path: Path, tmp_path: Path, tax_mode: str):
    profile = profile_with_documents(tax_mode=tax_mode)
    return issue_documents(load(path, profile), "quote", ["SJ-001"], out_dir=tmp_path / "out")


def test_prices_headed_before_tax_are_refused_under_inclusive_mode(tmp_path: Path) -> None:
    book = _book(tmp_path / "p.xlsx", "单价（不含税）")
    refused = _quote(book, tmp_path, "inclusive")
    assert refused.issued == []
    assert refused.failed[0].problems == [
        "sheet 'Line Items' F1: the header '单价（不含税）' says the unit prices exclude tax, "
        "but documents.tax_mode is inclusive (含税价), so the tax would be taken out of them "
        "and the total would lack it: set documents.tax_mode: exclusive in the config (or, if "
        "the prices do include tax, head the column 单价 or 含税单价)"
    ]
    assert not (tmp_path / "out").exists()
    # as the message says: the team's prices are before tax, the tax is added
    [doc] = _quote(book, tmp_path, "exclusive").issued
    html = doc.path.read_text("utf-8")
    assert "¥110,790.00" in html  # 103,000 + 6% of 80,000 + 13% of 23,000


def test_prices_headed_with_tax_are_refused_under_exclusive_mode(tmp_path: Path) -> None:
    book = _book(tmp_path / "p.xlsx", "含税单价")
    refused = _quote(book, tmp_path, "exclusive")
    assert refused.failed[0].problems == [
        "sheet 'Line Items' F1: the header '含税单价' says the unit prices include tax, but "
        "documents.tax_mode is exclusive, so the tax would be added to them a second time: set "
        "documents.tax_mode: inclusive in the config (or, if the prices do exclude tax, head "
        "the column 单价 or Unit price)"
    ]
    [doc] = _quote(book, tmp_path, "inclusive").issued
    assert "¥103,000.00" in doc.path.read_text("utf-8")


def test_english_price_headers_and_untaxed_lines(tmp_path: Path) -> None:
    book = _book(tmp_path / "p.xlsx", "Unit price (excl. VAT)")
    assert (
        "'Unit price (excl. VAT)' says the unit prices exclude tax"
        in (_quote(book, tmp_path, "inclusive").failed[0].problems[0])
    )
    untaxed = [["SJ-001", None, "Consulting", 1, "pcs", 103000, "0%"]]
    book = _book(tmp_path / "q.xlsx", "Unit price (excl. VAT)", untaxed)
    assert _quote(book, tmp_path, "inclusive").failed == []  # no tax: nothing to count twice
    book = _book(tmp_path / "r.xlsx", "Unit price (including freight)")
    assert _quote(book, tmp_path, "inclusive").failed == []  # says nothing about tax


def test_a_price_list_headed_before_tax_refuses_the_lines_it_prices(tmp_path: Path) -> None:
    products = [["SKU", "名称", "单价（未税）", "税率"], ["SV-1", "实施服务", 2000, "6%"]]
    lines = [["SJ-001", "SV-1", None, 51.5, "人天", None, None]]
    book = _book(tmp_path / "p.xlsx", "单价", lines, products)
    problems = _quote(book, tmp_path, "inclusive").failed[0].problems
    assert problems == [
        "sheet 'Products' C1: the header '单价（未税）' says the unit prices exclude tax, but "
        "documents.tax_mode is inclusive (含税价), so the tax would be taken out of them and "
        "the total would lack it: set documents.tax_mode: exclusive in the config (or, if the "
        "prices do include tax, head the column 单价 or 含税单价)"
    ]


def test_a_price_column_under_an_unknown_header_is_named_once(tmp_path: Path) -> None:
    """It said 'the unit price is blank' for every row, beside cells holding prices."""
    book = _book(tmp_path / "p.xlsx", "不含税单价")
    refused = _quote(book, tmp_path, "exclusive")
    assert refused.failed[0].problems == [
        "sheet 'Line Items': no column on row 1 is the unit price (accepted headers: Unit "
        "price, Price, Rate, 单价, 含税单价; column F ('不含税单价') is not one of them): rename "
        "the price column's header, or add yours to documents.line_items.columns.unit_price in "
        "the config"
    ]


def test_a_discount_column_the_profile_maps_is_the_documents_discount(tmp_path: Path) -> None:
    """The b2b profile reads 折扣 / Discount as its own `discount` field, so documents never
    saw the column they document as the document discount: the quote left the 10 % out."""
    for header in ("折扣", "Discount"):
        wb = Workbook()
        ws = wb.active
        ws.title = "商机"
        ws.append([*PIPELINE[0], header])
        ws.append([*PIPELINE[1][:3], 92700, *PIPELINE[1][4:], "10%"])
        li = wb.create_sheet("Line Items")
        li.append(["商机编号", "产品名称", "数量", "单位", "含税单价", "税率"])
        li.append(["SJ-001", "需求分析", 15, "人天", 2000, "6%"])
        li.append(["SJ-001", "系统设计", 20, "人天", 2500, "6%"])
        li.append(["SJ-001", "云服务器", 1, "年", 23000, "13%"])
        book = tmp_path / f"{header}.xlsx"
        wb.save(book)
        result = _quote(book, tmp_path / header, "inclusive")
        assert result.failed == []
        html = result.issued[0].path.read_text("utf-8")
        assert "整单折扣 (10%)" in html and "−¥10,300.00" in html
        assert "¥92,700.00" in html and "玖万贰仟柒佰元整" in html
