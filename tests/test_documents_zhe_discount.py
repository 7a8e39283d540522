"""Line discounts as Chinese sales write them: 9折 (the customer pays 90 %), 九五折, 8.5折.
They were refused as "cannot read '9折': not a number"."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from test_documents_issue import CLOSE, load

from salessheet.documents.line_items import zhe_discount
from salessheet.documents.service import issue_documents


def _book(path: Path, amount: int, discounts: list[object]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "商机"
    ws.append(["商机编号", "客户名称", "阶段", "金额", "币种", "负责人", "联系人", "预计成交日期"])
    ws.append(
        ["SJ-001", "社区科技有限公司", "报价与谈判", amount, "CNY", "王铭基", "李经理", CLOSE]
    )
    li = wb.create_sheet("Line Items")
    li.append(["商机编号", "产品名称", "数量", "单位", "含税单价", "折扣", "税率"])
    lines = [("平台授权", 10000), ("实施服务", 2000), ("培训", 1000)]
    for (name, price), discount in zip(lines, discounts, strict=True):
        li.append(["SJ-001", name, 1, "项", price, discount, "6%"])
    wb.save(path)
    return path


def test_zhe_discounts_price_the_lines(tmp_path: Path) -> None:
    # 10,000 at 9折 + 2,000 at 九五折 + 1,000 at 8.5折 = 9,000 + 1,900 + 850
    book = _book(tmp_path / "p.xlsx", 11750, ["9折", "九五折", "8.5折"])
    result = issue_documents(load(book), "quote", ["SJ-001"], out_dir=tmp_path / "out")
    assert result.failed == []
    html = result.issued[0].path.read_text("utf-8")
    for shown in ("¥9,000.00", "¥1,900.00", "¥850.00", "¥11,750.00", "10%", "5%", "15%"):
        assert shown in html, shown
    assert "壹万壹仟柒佰伍拾元整" in html


def test_what_is_no_zhe_is_still_refused(tmp_path: Path) -> None:
    book = _book(tmp_path / "p.xlsx", 13000, ["10折", "九折优惠", None])
    result = issue_documents(load(book), "quote", ["SJ-001"], out_dir=tmp_path / "out")
    assert result.failed[0].problems == [
        "sheet 'Line Items': 折扣 F2: cannot read '10折': not a number",
        "sheet 'Line Items': 折扣 F3: cannot read '九折优惠': not a number",
    ]


def test_zhe_values() -> None:
    assert [str(zhe_discount(v)) for v in ("9折", "九折", "95折", "九五折", "8.8折", "八八折")] == [
        "0.1", "0.1", "0.05", "0.05", "0.12", "0.12"
    ]  # fmt: skip
    assert [zhe_discount(v) for v in ("10折", "0折", "折", "90%", 9, "九十折")] == [None] * 6
